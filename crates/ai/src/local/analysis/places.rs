//! Where and when: a two-language lexicon of places (地獄, 蓮池, the harbour)
//! and times of day (朝, 夜, dusk, "the next day").

use manga_domain::{Language, Place, PlaceKind, Sentence, TimeMark, TimeOfDay};

use super::language::{find_all, is_kanji, is_word_char};

use PlaceKind::{Field, Forest, Heaven, Hell, Mountain, Room, School, Sky, Street, Water};

/// Japanese place words; longer words come first so `極楽の蓮池` wins over `蓮池`.
const JA_PLACES: &[(&str, PlaceKind)] = &[
    ("極楽の蓮池", Heaven),
    ("血の池", Hell),
    ("針の山", Hell),
    ("地獄", Hell),
    ("極楽", Heaven),
    ("天国", Heaven),
    ("天上", Heaven),
    ("蓮池", Water),
    ("小川", Water),
    ("川辺", Water),
    ("川岸", Water),
    ("海辺", Water),
    ("浜辺", Water),
    ("港", Water),
    ("湖", Water),
    ("池", Water),
    ("海", Water),
    ("川", Water),
    ("滝", Water),
    ("夜空", Sky),
    ("空", Sky),
    ("雲の上", Sky),
    ("森", Forest),
    ("林", Forest),
    ("竹藪", Forest),
    ("山道", Mountain),
    ("峠", Mountain),
    ("崖", Mountain),
    ("山", Mountain),
    ("商店街", Street),
    ("参道", Street),
    ("境内", Street),
    ("神社", Street),
    ("鳥居", Street),
    ("屋台", Street),
    ("土手", Water),
    ("河原", Water),
    ("川沿い", Water),
    ("堤防", Water),
    ("町", Street),
    ("街", Street),
    ("村", Street),
    ("駅", Street),
    ("市場", Street),
    ("広場", Street),
    ("交差点", Street),
    ("路地", Street),
    ("東京", Street),
    ("渋谷", Street),
    ("新宿", Street),
    ("野原", Field),
    ("田んぼ", Field),
    ("畑", Field),
    ("庭", Field),
    ("草原", Field),
    ("丘", Field),
    ("部屋", Room),
    ("屋敷", Room),
    ("台所", Room),
    ("小屋", Room),
    ("家", Room),
    ("店", Room),
    ("寺", Room),
    ("宿", Room),
    ("城", Room),
    ("学校", School),
    ("教室", School),
    ("会社", School),
    ("事務所", School),
];

/// English place words (matched as whole lowercase words).
const EN_PLACES: &[(&str, PlaceKind)] = &[
    ("hell", Hell),
    ("underworld", Hell),
    ("paradise", Heaven),
    ("heaven", Heaven),
    ("harbour", Water),
    ("harbor", Water),
    ("sea", Water),
    ("ocean", Water),
    ("river", Water),
    ("lake", Water),
    ("pond", Water),
    ("shore", Water),
    ("beach", Water),
    ("bay", Water),
    ("quay", Water),
    ("pier", Water),
    ("sky", Sky),
    ("clouds", Sky),
    ("forest", Forest),
    ("woods", Forest),
    ("wood", Forest),
    ("street", Street),
    ("streets", Street),
    ("town", Street),
    ("city", Street),
    ("village", Street),
    ("station", Street),
    ("market", Street),
    ("square", Street),
    ("mountain", Mountain),
    ("cliff", Mountain),
    ("cliffs", Mountain),
    ("hill", Mountain),
    ("rocks", Mountain),
    ("field", Field),
    ("fields", Field),
    ("garden", Field),
    ("meadow", Field),
    ("lighthouse", Room),
    ("lamp room", Room),
    ("room", Room),
    ("house", Room),
    ("cottage", Room),
    ("kitchen", Room),
    ("bedroom", Room),
    ("downstairs", Room),
    ("upstairs", Room),
    ("shop", Room),
    ("inn", Room),
    ("tavern", Room),
    ("hall", Room),
    ("palace", Room),
    ("castle", Room),
    ("library", Room),
    ("fireplace", Room),
    ("hearth", Room),
    ("church", Room),
    ("school", School),
    ("classroom", School),
    ("office", School),
];

/// Japanese time words, longest first.
const JA_TIMES: &[(&str, TimeOfDay)] = &[
    ("夜明け", TimeOfDay::Morning),
    ("明け方", TimeOfDay::Morning),
    ("早朝", TimeOfDay::Morning),
    ("翌朝", TimeOfDay::Morning),
    ("今朝", TimeOfDay::Morning),
    ("朝", TimeOfDay::Morning),
    ("真昼", TimeOfDay::Day),
    ("正午", TimeOfDay::Day),
    ("昼間", TimeOfDay::Day),
    ("昼", TimeOfDay::Day),
    ("夕暮れ", TimeOfDay::Evening),
    ("夕焼け", TimeOfDay::Evening),
    ("夕方", TimeOfDay::Evening),
    ("日暮れ", TimeOfDay::Evening),
    ("黄昏", TimeOfDay::Evening),
    ("日が暮れ", TimeOfDay::Evening),
    ("日が沈", TimeOfDay::Evening),
    ("夕日", TimeOfDay::Evening),
    ("日が傾", TimeOfDay::Evening),
    ("日は傾", TimeOfDay::Evening),
    ("日はすっかり傾", TimeOfDay::Evening),
    ("朝日", TimeOfDay::Morning),
    // The sky and light of a night, where `夜` is not a word alone.
    ("夜空", TimeOfDay::Night),
    ("夜更け", TimeOfDay::Night),
    ("夜風", TimeOfDay::Night),
    ("月夜", TimeOfDay::Night),
    ("星空", TimeOfDay::Night),
    ("月明かり", TimeOfDay::Night),
    ("真夜中", TimeOfDay::Night),
    ("夜中", TimeOfDay::Night),
    ("深夜", TimeOfDay::Night),
    ("今夜", TimeOfDay::Night),
    ("夜", TimeOfDay::Night),
    ("晩", TimeOfDay::Night),
    ("翌日", TimeOfDay::Unknown),
    ("次の日", TimeOfDay::Unknown),
    ("三日後", TimeOfDay::Unknown),
    ("数日後", TimeOfDay::Unknown),
    ("一年後", TimeOfDay::Unknown),
    ("やがて", TimeOfDay::Unknown),
    ("その春", TimeOfDay::Unknown),
    ("その夏", TimeOfDay::Unknown),
    ("その秋", TimeOfDay::Unknown),
    ("その冬", TimeOfDay::Unknown),
    ("翌年", TimeOfDay::Unknown),
];

/// English time words and phrases.
const EN_TIMES: &[(&str, TimeOfDay)] = &[
    ("next morning", TimeOfDay::Morning),
    ("dawn", TimeOfDay::Morning),
    ("sunrise", TimeOfDay::Morning),
    ("morning", TimeOfDay::Morning),
    ("noon", TimeOfDay::Day),
    ("midday", TimeOfDay::Day),
    ("afternoon", TimeOfDay::Day),
    ("evening", TimeOfDay::Evening),
    ("supper", TimeOfDay::Evening),
    ("dinner", TimeOfDay::Evening),
    ("eight o'clock", TimeOfDay::Night),
    ("nine o'clock", TimeOfDay::Night),
    ("ten o'clock", TimeOfDay::Night),
    ("eleven o'clock", TimeOfDay::Night),
    ("dusk", TimeOfDay::Evening),
    ("sunset", TimeOfDay::Evening),
    ("twilight", TimeOfDay::Evening),
    ("midnight", TimeOfDay::Night),
    ("moonlight", TimeOfDay::Night),
    ("moonlit", TimeOfDay::Night),
    ("starlight", TimeOfDay::Night),
    ("after dark", TimeOfDay::Night),
    ("tonight", TimeOfDay::Night),
    ("night", TimeOfDay::Night),
    ("the next day", TimeOfDay::Unknown),
    ("the following day", TimeOfDay::Unknown),
    ("days later", TimeOfDay::Unknown),
    ("weeks later", TimeOfDay::Unknown),
    ("years later", TimeOfDay::Unknown),
    ("a week later", TimeOfDay::Unknown),
    ("after a week", TimeOfDay::Unknown),
    ("after a few days", TimeOfDay::Unknown),
    ("that spring", TimeOfDay::Unknown),
    ("that summer", TimeOfDay::Unknown),
    ("that autumn", TimeOfDay::Unknown),
    ("that winter", TimeOfDay::Unknown),
    ("the next year", TimeOfDay::Unknown),
];

/// Whether `word` is in the Japanese place lexicon (so it is not taken for a name).
pub(crate) fn is_place_word(word: &str) -> bool {
    JA_PLACES.iter().any(|(w, _)| *w == word)
}

/// Whether `word` is in the Japanese time lexicon.
pub(crate) fn is_time_word(word: &str) -> bool {
    JA_TIMES.iter().any(|(w, _)| *w == word)
}

/// A lexicon hit: its byte range and what it means.
struct Found<T> {
    start: usize,
    end: usize,
    value: T,
}

/// Lexicon words in `text`, longest first without overlaps, in text order.
fn scan<T: Copy>(text: &str, lexicon: &[(&str, T)], lang: Language) -> Vec<Found<T>> {
    let lower = text.to_lowercase();
    let hay = if lang == Language::En && lower.len() == text.len() { lower.as_str() } else { text };
    let mut sorted: Vec<&(&str, T)> = lexicon.iter().collect();
    sorted.sort_by_key(|entry| std::cmp::Reverse(entry.0.len()));
    let mut found: Vec<Found<T>> = Vec::new();
    for &&(word, value) in &sorted {
        for start in find_all(hay, word, lang) {
            let end = start + word.len();
            if lang == Language::Ja && word.chars().count() == 1 && !single_kanji_alone(hay, start, end) {
                continue;
            }
            if found.iter().all(|f| end <= f.start || start >= f.end) {
                found.push(Found { start, end, value });
            }
        }
    }
    found.sort_by_key(|f| f.start);
    found
}

/// A one-kanji word (`山`, `夜`) counts only when not part of a longer kanji word (`山田`, `夜叉`).
fn single_kanji_alone(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    !before.is_some_and(is_kanji) && !after.is_some_and(is_kanji)
}

/// The places of a story, in order of first appearance, one entry per name.
pub(crate) fn places(sentences: &[Sentence], lang: Language) -> Vec<Place> {
    let mut out: Vec<Place> = Vec::new();
    for s in sentences {
        for p in places_in(&s.text, lang) {
            if !out.iter().any(|q| q.name == p.0) {
                out.push(Place { name: p.0, kind: p.1, first_sentence: s.index });
            }
        }
    }
    out
}

/// The places named in one text, as (name, kind), in order.
pub(crate) fn places_in(text: &str, lang: Language) -> Vec<(String, PlaceKind)> {
    let lexicon = if lang == Language::Ja { JA_PLACES } else { EN_PLACES };
    scan(text, lexicon, lang)
        .into_iter()
        .filter(|f| lang == Language::Ja || !names_another_place(text, f.end))
        .map(|f| (place_name(text, f.start, f.end, lang), f.value))
        .collect()
}

/// Whether the capitalised place word ending at `end` is the first word of a
/// name that goes on (`Harbor Library` is a library, not a harbour).
fn names_another_place(text: &str, end: usize) -> bool {
    let before = text.get(..end).unwrap_or_default();
    let word_start = before
        .rfind(|c: char| !is_word_char(c))
        .map_or(0, |i| i + before[i..].chars().next().map_or(1, char::len_utf8));
    let capital = text.get(word_start..end).is_some_and(|w| w.starts_with(char::is_uppercase));
    let rest = text.get(end..).unwrap_or_default();
    capital && rest.starts_with(' ') && rest[1..].starts_with(char::is_uppercase)
}

/// `極楽`; `the harbour`; `Carrow Harbour` when a proper name comes before the word.
fn place_name(text: &str, start: usize, end: usize, lang: Language) -> String {
    // Positions come from a lowercased copy of the same length; `get` keeps a mismatch from panicking.
    let word = text.get(start..end).unwrap_or_default();
    if lang == Language::Ja {
        return word.to_owned();
    }
    let before = text.get(..start).unwrap_or_default().trim_end();
    let prev: String =
        before.chars().rev().take_while(|&c| is_word_char(c)).collect::<Vec<_>>().into_iter().rev().collect();
    let proper = prev.chars().next().is_some_and(char::is_uppercase)
        && !["The", "A", "An", "His", "Her", "Their", "Our", "My", "Its", "This", "That"].contains(&prev.as_str())
        && before.len() > prev.len();
    if proper {
        format!("{prev} {}", super::language::capitalise(word))
    } else {
        format!("the {}", word.to_lowercase())
    }
}

/// Time markers in the story, in order (one per word per sentence):
/// `every evening` is a habit and `that morning` mid-sentence looks back,
/// so neither moves the story's clock.
pub(crate) fn times(sentences: &[Sentence], lang: Language) -> Vec<TimeMark> {
    let lexicon = if lang == Language::Ja { JA_TIMES } else { EN_TIMES };
    let mut out = Vec::new();
    for s in sentences {
        let mut seen: Vec<String> = Vec::new();
        for f in scan(&s.text, lexicon, lang) {
            let Some(text) = s.text.get(f.start..f.end).map(str::to_owned) else { continue };
            // `The Morning Star` is a boat, not the time: a capital inside an English sentence is
            // a name (but a title capitalises its words: `The Night Shift`).
            if lang == Language::En && f.start > 0 && text.starts_with(char::is_uppercase) && !s.heading {
                continue;
            }
            if lang == Language::En && not_now(&s.text, f.start) {
                continue;
            }
            if !seen.contains(&text) {
                seen.push(text.clone());
                out.push(TimeMark { text, time_of_day: f.value, sentence: s.index });
            }
        }
    }
    out
}

/// Whether the English time word at `start` is a habit (`every evening`) or
/// a look back (`there that morning`) rather than the time it is now.
fn not_now(text: &str, start: usize) -> bool {
    let before = text.get(..start).unwrap_or_default().trim_end().to_lowercase();
    let prev = before.rsplit(|c: char| !is_word_char(c)).next().unwrap_or_default();
    let mid_sentence = before.trim_start_matches(|c: char| !is_word_char(c)).len() > prev.len();
    matches!(prev, "every" | "each") || (prev == "that" && mid_sentence)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lotus_pond_of_paradise_is_heaven_and_a_plain_pond_is_water() {
        let got = places_in("極楽の蓮池のふちを歩く。池の水。山田は山へ行った。", Language::Ja);
        assert_eq!(got, vec![("極楽の蓮池".into(), Heaven), ("池".into(), Water), ("山".into(), Mountain)]);
    }

    #[test]
    fn english_places_keep_their_proper_names() {
        let got = places_in("She walked from Carrow harbour to the lighthouse.", Language::En);
        assert_eq!(got, vec![("Carrow Harbour".into(), Water), ("the lighthouse".into(), Room)]);
        let got = places_in("She had worked at the Harbor Library for years.", Language::En);
        assert_eq!(got, vec![("Harbor Library".into(), Room)], "the first word of a name is not the place");
    }

    #[test]
    fn times_of_day_and_relative_markers_are_found() {
        let s = super::super::sentences::split("夜明けに村を出た。三日後、雨が降った。\n\nAt dusk", Language::Ja);
        let marks: Vec<(String, TimeOfDay)> =
            times(&s.sentences, Language::Ja).into_iter().map(|t| (t.text, t.time_of_day)).collect();
        assert_eq!(marks, vec![("夜明け".into(), TimeOfDay::Morning), ("三日後".into(), TimeOfDay::Unknown)]);
    }

    #[test]
    fn habitual_and_looking_back_times_do_not_move_the_clock() {
        let text =
            "Every evening he lit the lamp. The notice had not been there that morning.\n\nThat night it rained.";
        let s = super::super::sentences::split(text, Language::En);
        let marks: Vec<String> = times(&s.sentences, Language::En).into_iter().map(|t| t.text).collect();
        assert_eq!(marks, vec!["night".to_owned()]);
    }
}
