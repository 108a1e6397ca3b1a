//! What the story is about: a title when the story has none, theme words,
//! the turning point, and a short summary in the story's own language.

use std::collections::BTreeMap;

use manga_domain::{Language, NamedCharacter, Place, Sentence};

use super::language::{is_hiragana, is_kanji, is_word_char};
use super::names_ja::KANJI_STOP;

/// Words that mark a turn (転) in the story.
#[rustfmt::skip]
const TURN_WORDS: &[&str] = &[
    "しかし", "ところが", "突然", "不意に", "その時", "その途端", "急に", "ふと", "suddenly", "but then", "without warning", "all at once",
    "just then", "then the", "at that moment",
];

/// Theme lexicons: a label per language, and the stems that point to it.
const THEMES: &[(&str, &str, &[&str])] = &[
    ("慈悲", "mercy", &["慈悲", "憐れ", "救", "助け", "mercy", "save", "rescue", "help"]),
    ("欲", "greed", &["欲", "自分ばかり", "独り占め", "greed", "mine", "selfish"]),
    ("罪と罰", "guilt", &["罪", "罰", "悪事", "guilt", "sin", "punish", "crime"]),
    ("友情", "friendship", &["友", "仲間", "friend", "together", "companion"]),
    (
        "家族",
        "family",
        &["母", "父", "家族", "姉", "兄", "mother", "father", "family", "daughter", "son", "sister", "brother"],
    ),
    ("勇気", "courage", &["勇気", "勇", "怖くない", "courage", "brave", "dare"]),
    ("自然", "nature", &["風", "雲", "森", "川", "山", "wind", "cloud", "forest", "river", "tide"]),
    ("海", "the sea", &["海", "波", "sea", "wave", "tide", "harbour", "ship"]),
    ("約束", "promise", &["約束", "誓", "promise", "swear", "vow"]),
    ("孤独", "solitude", &["一人", "独り", "孤独", "alone", "lonely", "solitude"]),
    ("希望", "hope", &["希望", "光", "願", "hope", "light", "wish"]),
    ("別れ", "farewell", &["別れ", "さよなら", "goodbye", "farewell", "leave"]),
];

/// The first sentence with a turn word after the first fifth of the story, if any.
pub(crate) fn turning_point(sentences: &[Sentence]) -> Option<usize> {
    let n = sentences.len();
    let from = n / 5;
    let until = n.saturating_sub(n / 10).max(from + 1);
    (from..until.min(n)).find(|&i| {
        let lower = sentences[i].text.to_lowercase();
        !sentences[i].heading && TURN_WORDS.iter().any(|w| lower.contains(w))
    })
}

/// Three to five theme words in the story's language.
pub(crate) fn themes(text: &str, lang: Language, characters: &[NamedCharacter], places: &[Place]) -> Vec<String> {
    let lower = text.to_lowercase();
    let mut scored: Vec<(usize, usize, String)> = THEMES
        .iter()
        .enumerate()
        .map(|(i, (ja, en, stems))| {
            let n: usize =
                stems.iter().filter(|s| s.is_ascii() == (lang == Language::En)).map(|s| lower.matches(s).count()).sum();
            (n, i, if lang == Language::Ja { (*ja).to_owned() } else { (*en).to_owned() })
        })
        .filter(|(n, _, _)| *n >= 2)
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut out: Vec<String> = scored.into_iter().take(4).map(|(_, _, t)| t).collect();
    for word in content_words(text, lang, characters, places) {
        if out.len() >= 4 {
            break;
        }
        if !out.contains(&word) {
            out.push(word);
        }
    }
    out.truncate(5);
    out
}

/// Frequent content words: two-kanji words (Japanese) or long words (English), not names.
fn content_words(text: &str, lang: Language, characters: &[NamedCharacter], places: &[Place]) -> Vec<String> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let is_name = |w: &str| {
        characters.iter().any(|c| c.name.contains(w) || w.contains(c.name.as_str()))
            || places.iter().any(|p| p.name.ends_with(w))
    };
    match lang {
        Language::Ja => {
            // Two-kanji nouns: whole runs of two, followed by a particle or punctuation (not `見上げる`).
            let chars: Vec<char> = text.chars().collect();
            for (i, pair) in chars.windows(2).enumerate() {
                let word: String = pair.iter().collect();
                let alone = !i.checked_sub(1).is_some_and(|p| is_kanji(chars[p]))
                    && chars
                        .get(i + 2)
                        .is_none_or(|&n| !is_kanji(n) && (!is_hiragana(n) || "はがのにをともへでや".contains(n)));
                let numeral = "一二三四五六七八九十百千万何数".contains(pair[0]);
                if alone && pair.iter().all(|&c| is_kanji(c)) && !numeral && !KANJI_STOP.contains(&word.as_str()) {
                    *counts.entry(word).or_default() += 1;
                }
            }
        }
        Language::En => {
            for word in text.split(|c: char| !is_word_char(c)).filter(|w| w.len() >= 5) {
                let lower = word.to_lowercase();
                if !EN_COMMON.contains(&lower.as_str()) {
                    *counts.entry(lower).or_default() += 1;
                }
            }
        }
    }
    let mut ranked: Vec<(String, usize)> = counts.into_iter().filter(|(w, n)| *n >= 2 && !is_name(w)).collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked.into_iter().map(|(w, _)| w).take(5).collect()
}

/// Long English words too common to be themes.
#[rustfmt::skip]
const EN_COMMON: &[&str] = &[
    "there", "their", "which", "would", "could", "should", "about", "after", "before", "again", "other", "where",
    "while", "still", "never", "every", "through", "looked", "said", "asked", "thought", "something", "nothing",
    "always", "because", "little", "turned", "began", "around", "against", "under", "those", "these", "being",
    "himself", "herself", "itself", "first", "right", "another", "going", "think", "know", "knew", "until",
    "shouted", "replied", "answered", "whispered", "called", "seemed", "across", "toward", "towards", "behind",
    "without",
];

/// The first prose sentence, the turning sentence and the last, trimmed to about 200 characters.
pub(crate) fn summary(sentences: &[Sentence], turn: Option<usize>) -> String {
    let prose: Vec<&Sentence> = sentences.iter().filter(|s| !s.heading).collect();
    let (Some(first), Some(last)) = (prose.first(), prose.last()) else {
        return sentences.first().map(|s| s.text.clone()).unwrap_or_default();
    };
    let mut picked: Vec<&str> = vec![&first.text];
    if let Some(t) = turn.and_then(|t| sentences.get(t)).filter(|t| t.index != first.index && t.index != last.index) {
        picked.push(&t.text);
    }
    if last.index != first.index {
        picked.push(&last.text);
    }
    let joined = picked.join(if first.text.is_ascii() { " " } else { "" });
    trim_chars(&joined, 200)
}

/// At most `max` characters, with `…` when cut.
pub(crate) fn trim_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A title for a story without one: the main character and the first place.
pub(crate) fn derived_title(
    lang: Language,
    characters: &[NamedCharacter],
    places: &[Place],
    sentences: &[Sentence],
) -> String {
    let who = characters.first().map(|c| c.name.as_str());
    let place = places.first().map(|p| p.name.as_str());
    match (lang, who, place) {
        (Language::Ja, Some(w), Some(p)) => format!("{w}と{p}"),
        (Language::Ja, Some(w), None) => format!("{w}の物語"),
        (Language::Ja, None, Some(p)) => format!("{p}の物語"),
        (Language::En, Some(w), Some(p)) => format!("{w} and {}", title_case(p)),
        (Language::En, Some(w), None) => format!("The Tale of {w}"),
        (Language::En, None, Some(p)) => title_case(p),
        (_, None, None) => sentences.first().map(|s| trim_chars(&s.text, 20)).unwrap_or_else(|| "Untitled".into()),
    }
}

fn title_case(text: &str) -> String {
    text.split_whitespace()
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(i: u32, text: &str) -> Sentence {
        Sentence { index: i, paragraph: 0, text: text.into(), heading: false, dialogue: false }
    }

    #[test]
    fn the_summary_takes_the_opening_the_turn_and_the_end() {
        let sentences: Vec<Sentence> = ["A.", "B.", "C.", "D.", "Suddenly E.", "F.", "G.", "H.", "I.", "J."]
            .iter()
            .enumerate()
            .map(|(i, t)| s(i as u32, t))
            .collect();
        let turn = turning_point(&sentences);
        assert_eq!(turn, Some(4));
        assert_eq!(summary(&sentences, turn), "A. Suddenly E. J.");
    }

    #[test]
    fn long_summaries_are_cut_with_an_ellipsis() {
        let long = "あ".repeat(300);
        assert_eq!(trim_chars(&long, 200).chars().count(), 200);
        assert!(trim_chars(&long, 200).ends_with('…'));
    }
}
