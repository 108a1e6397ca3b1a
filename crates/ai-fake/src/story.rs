//! Reading a prompt the way a careful model would: the data blocks, the
//! numbered sentences, the dialogue lines, the names, and a few keywords.

/// The text between `<tag>` and the next `</tag>` after it.
pub(crate) fn block<'a>(text: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = text.find(&open)? + open.len();
    let end = text[start..].find(&close).map_or(text.len(), |e| start + e);
    Some(text[start..end].trim_matches('\n'))
}

/// `[n] text` lines; lines that are not numbered continue the sentence before.
/// A block without numbers (the raw story) is split at sentence ends.
pub(crate) fn sentences(story: &str) -> Vec<(u32, String)> {
    let mut out: Vec<(u32, String)> = Vec::new();
    for line in story.lines() {
        let numbered = line
            .strip_prefix('[')
            .and_then(|rest| rest.split_once(']'))
            .and_then(|(n, text)| Some((n.trim().parse::<u32>().ok()?, text.trim().to_owned())));
        match (numbered, out.last_mut()) {
            (Some(sentence), _) => out.push(sentence),
            (None, Some(last)) if !line.trim().is_empty() => {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
            _ => {}
        }
    }
    if !out.is_empty() {
        return out;
    }
    split_sentences(story).into_iter().enumerate().map(|(i, s)| (i as u32, s)).collect()
}

/// Splits prose at `.`, `!`, `?` (and their full-width forms) followed by space or a closing quote,
/// and at blank lines.
fn split_sentences(text: &str) -> Vec<String> {
    const CLOSING: [char; 6] = ['"', '”', '’', '\'', '」', '』'];
    let mut out = Vec::new();
    for paragraph in text.split("\n\n") {
        let mut current = String::new();
        let chars: Vec<char> = paragraph.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '\n' {
                // A line that ends a quotation (Japanese dialogue, one line each) ends its sentence.
                if current.trim_end().ends_with(['」', '』']) {
                    push_trimmed(&mut out, &mut current);
                } else {
                    current.push(' ');
                }
                i += 1;
                continue;
            }
            current.push(c);
            if matches!(c, '.' | '!' | '?' | '。' | '！' | '？') {
                // Keep closing quotes with the sentence.
                let mut closed = false;
                while i + 1 < chars.len() && CLOSING.contains(&chars[i + 1]) {
                    i += 1;
                    closed = true;
                    current.push(chars[i]);
                }
                // `"Is it lit?" she asked.` and `「…？」とハルが` are one sentence: a lower-case word, or
                // anything straight after a closing quote, goes on with it.
                let next = chars.get(i + 1).copied();
                let next_word = chars[i + 1..].iter().find(|c| !c.is_whitespace());
                let goes_on = next_word.is_some_and(|c| c.is_lowercase())
                    || (closed && next.is_some_and(|n| !n.is_whitespace() && !matches!(n, '「' | '『' | '"' | '“')));
                let ends = next.is_none_or(char::is_whitespace) || !c.is_ascii();
                if ends && !goes_on {
                    push_trimmed(&mut out, &mut current);
                }
            }
            i += 1;
        }
        push_trimmed(&mut out, &mut current);
    }
    out
}

fn push_trimmed(out: &mut Vec<String>, current: &mut String) {
    let text = current.trim();
    if !text.is_empty() {
        out.push(text.to_owned());
    }
    current.clear();
}

/// Whether a sentence is a heading: short, without closing punctuation.
pub(crate) fn is_heading(sentence: &str) -> bool {
    let s = sentence.trim();
    !s.is_empty()
        && !s.ends_with(['.', '!', '?', '"', '”', '’', '\'', '…', '。', '！', '？', '」', ':', ',', ';'])
        && s.split_whitespace().count() <= 8
}

/// A sentence with quoted speech taken out (so names inside the quotes, usually those spoken to, drop).
pub(crate) fn outside_quotes(sentence: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in sentence.chars() {
        match c {
            '"' => inside = !inside,
            '“' | '「' | '『' => inside = true,
            '”' | '」' | '』' => inside = false,
            _ if !inside => out.push(c),
            _ => {}
        }
    }
    out
}

const NOT_NAMES: &[&str] = &[
    "A",
    "About",
    "After",
    "Again",
    "Ah",
    "All",
    "Also",
    "Although",
    "An",
    "And",
    "Another",
    "Any",
    "Are",
    "As",
    "At",
    "Be",
    "Because",
    "Before",
    "Behind",
    "Below",
    "Beside",
    "Between",
    "But",
    "By",
    "Can",
    "Come",
    "Could",
    "Did",
    "Do",
    "Does",
    "Down",
    "Each",
    "Even",
    "Ever",
    "Every",
    "Everyone",
    "Far",
    "For",
    "From",
    "Go",
    "Good",
    "Had",
    "Has",
    "Have",
    "He",
    "Her",
    "Here",
    "Hers",
    "Him",
    "His",
    "How",
    "However",
    "I",
    "If",
    "In",
    "Inside",
    "Into",
    "Is",
    "It",
    "Its",
    "Just",
    "Last",
    "Later",
    "Let",
    "Like",
    "Long",
    "May",
    "Maybe",
    "Me",
    "Meanwhile",
    "Might",
    "More",
    "Most",
    "Much",
    "Must",
    "My",
    "Never",
    "New",
    "Next",
    "No",
    "Nobody",
    "Nor",
    "Not",
    "Nothing",
    "Now",
    "Of",
    "Off",
    "Oh",
    "Ok",
    "Okay",
    "Old",
    "On",
    "Once",
    "One",
    "Only",
    "Or",
    "Our",
    "Out",
    "Outside",
    "Over",
    "Perhaps",
    "Please",
    "Said",
    "See",
    "She",
    "Should",
    "Since",
    "So",
    "Some",
    "Someone",
    "Something",
    "Soon",
    "Still",
    "Such",
    "Suddenly",
    "Than",
    "Thank",
    "Thanks",
    "That",
    "The",
    "Their",
    "Them",
    "Then",
    "There",
    "These",
    "They",
    "This",
    "Those",
    "Though",
    "Through",
    "Thus",
    "Till",
    "To",
    "Today",
    "Tomorrow",
    "Tonight",
    "Too",
    "Under",
    "Until",
    "Up",
    "Upon",
    "Us",
    "Very",
    "Was",
    "Wait",
    "We",
    "Well",
    "Were",
    "What",
    "When",
    "Whenever",
    "Where",
    "Which",
    "While",
    "Who",
    "Why",
    "Will",
    "With",
    "Within",
    "Without",
    "Would",
    "Yes",
    "Yet",
    "You",
    "Your",
    "Yours",
    "Ignore",
    "System",
    "Instructions",
    "Reply",
    "Answer",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "January",
    "February",
    "March",
    "April",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Chapter",
    "Part",
    "God",
    "Mr",
    "Mrs",
    "Ms",
    "Dr",
    "Sir",
    "Lady",
    "Lord",
    "Miss",
    "Master",
];

/// Titles that start a name (`Captain Reyes`) but are none alone.
const TITLES: &[&str] = &[
    "Mr",
    "Mrs",
    "Ms",
    "Dr",
    "Doctor",
    "Sir",
    "Lady",
    "Lord",
    "Miss",
    "Master",
    "Captain",
    "Professor",
    "King",
    "Queen",
    "Prince",
    "Princess",
    "Aunt",
    "Uncle",
    "Old",
    "Young",
    "Little",
];

/// Last words that make a capitalised phrase a place (`Gull Point`), not a person.
const PLACE_WORDS: &[&str] = &[
    "Point", "Bay", "Island", "Isle", "Street", "Road", "Lane", "Hill", "Hills", "Mountain", "Mount", "River", "Lake",
    "Harbour", "Harbor", "Station", "Church", "Castle", "Forest", "Wood", "Woods", "Sea", "Ocean", "Valley", "Town",
    "City", "Village", "Bridge", "Tower", "Cove", "Head", "Cape", "Park", "Square", "Hall", "School", "Temple",
];

/// A word of a sentence.
struct Token {
    text: String,
    /// It starts the sentence or a quotation.
    initial: bool,
    /// Only spaces separate it from the word before.
    joined: bool,
    /// The word before, if any.
    before: Option<String>,
}

/// The words of a sentence.
fn tokens(sentence: &str) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::new();
    let mut current = String::new();
    let mut initial = true;
    let mut current_initial = true;
    let mut joined = false;
    let mut current_joined = false;
    let mut in_quote = false;
    let flush = |current: &mut String, initial: bool, joined: bool, out: &mut Vec<Token>| {
        if !current.is_empty() {
            let before = out.last().map(|t| t.text.clone());
            out.push(Token { text: current.trim_end_matches(['\'', '’', '-']).to_owned(), initial, joined, before });
            current.clear();
        }
    };
    for c in sentence.chars() {
        if c.is_alphanumeric() || (matches!(c, '\'' | '’' | '-') && !current.is_empty()) {
            if current.is_empty() {
                current_initial = initial;
                current_joined = joined;
            }
            current.push(c);
            continue;
        }
        if !current.is_empty() {
            flush(&mut current, current_initial, current_joined, &mut out);
            initial = false;
            joined = true;
        }
        if c == '"' {
            // A straight quote opens or closes; only an opening one starts words anew.
            in_quote = !in_quote;
            initial = in_quote;
            joined = false;
        } else if matches!(c, '“' | '‘' | '(' | '「' | '『' | '.' | '!' | '?' | ':' | '—') {
            initial = true;
            joined = false;
        } else if !c.is_whitespace() {
            joined = false;
        }
    }
    flush(&mut current, current_initial, current_joined, &mut out);
    out
}

/// A capitalised word that could be (part of) a name: not a common word, not a contraction.
fn capitalised(word: &str) -> bool {
    let first_upper = word.chars().next().is_some_and(char::is_uppercase);
    let rest_lower = word.chars().skip(1).any(char::is_lowercase);
    let base = word.trim_end_matches("'s").trim_end_matches("’s");
    first_upper && rest_lower && word.chars().count() >= 2 && !base.contains(['\'', '’']) && !NOT_NAMES.contains(&base)
        || TITLES.contains(&word)
}

/// The characters of a story: each name the story uses most, with its longer forms as aliases.
///
/// A name is a run of capitalised words (a title may lead it: `Captain Reyes`) that appears at least
/// once inside a sentence, not after `the`, and not ending in a place word (`Gull Point`); a single
/// word that is part of a longer name (`Reyes`) is the name and the longer one an alias. Headings
/// are skipped. Japanese names are katakana words said twice or more, and names before an
/// honorific (`源蔵さん`).
pub(crate) fn characters(sentences: &[(u32, String)]) -> Vec<(String, Vec<String>)> {
    // Phrase, times inside a sentence, times in all.
    let mut seen: Vec<(String, u32, u32)> = Vec::new();
    let count = |phrase: String, inside: bool, seen: &mut Vec<(String, u32, u32)>| {
        let index = match seen.iter().position(|(w, _, _)| *w == phrase) {
            Some(i) => i,
            None => {
                seen.push((phrase, 0, 0));
                seen.len() - 1
            }
        };
        seen[index].1 += u32::from(inside);
        seen[index].2 += 1;
    };
    for (_, sentence) in sentences.iter().filter(|(_, s)| !is_heading(s)) {
        let tokens = tokens(sentence);
        let mut i = 0;
        while i < tokens.len() {
            if !capitalised(&tokens[i].text) {
                i += 1;
                continue;
            }
            let start = i;
            i += 1;
            while i < tokens.len()
                && tokens[i].joined
                && capitalised(&tokens[i].text)
                && !TITLES.contains(&tokens[i].text.as_str())
            {
                i += 1;
            }
            let words: Vec<String> = tokens[start..i]
                .iter()
                .map(|t| t.text.trim_end_matches("'s").trim_end_matches("’s").to_owned())
                .collect();
            let after_the = tokens[start].before.as_deref().is_some_and(|b| b.eq_ignore_ascii_case("the"));
            let place = words.last().is_some_and(|w| PLACE_WORDS.contains(&w.as_str()));
            let only_titles = words.iter().all(|w| TITLES.contains(&w.as_str()));
            if after_the || place || only_titles {
                continue;
            }
            let inside = !tokens[start].initial;
            count(words.join(" "), inside, &mut seen);
            // Each word of a longer name also stands for it.
            if words.len() > 1 {
                for word in words.iter().filter(|w| !TITLES.contains(&w.as_str())) {
                    count(word.clone(), false, &mut seen);
                }
            }
        }
        for name in japanese_names(sentence) {
            // An honorific makes a name at once; a bare katakana word must come twice.
            let honoured = HONORIFICS.iter().any(|h| sentence.contains(&format!("{name}{h}")));
            count(name, honoured, &mut seen);
        }
    }
    let japanese = |w: &str| w.chars().any(|c| is_katakana(c) || is_kanji(c));
    let alone = |w: &str| seen.iter().any(|(p, inside, _)| p == w && *inside >= 1);
    // A longer form only ever leading sentences still counts when its own name does (`Captain Reyes`).
    let qualified: Vec<&(String, u32, u32)> = seen
        .iter()
        .filter(|(w, inside, all)| {
            *inside >= 1 || (japanese(w) && *all >= 2) || (w.contains(' ') && w.split(' ').any(alone))
        })
        .collect();
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for (phrase, _, _) in &qualified {
        let parts: Vec<&str> = phrase.split(' ').collect();
        if parts.len() == 1 {
            continue;
        }
        // The most used single word of the phrase is the name; else the phrase itself.
        let single = parts
            .iter()
            .filter(|p| !TITLES.contains(p))
            .filter_map(|p| seen.iter().find(|(w, _, _)| w == p))
            .max_by_key(|(_, _, all)| *all);
        let name = match single {
            Some((word, _, all)) if *all > 1 => word.clone(),
            _ => phrase.clone(),
        };
        match out.iter_mut().find(|(n, _)| *n == name) {
            Some((_, aliases)) => aliases.push(phrase.clone()),
            None if name == *phrase => out.push((name, Vec::new())),
            None => out.push((name, vec![phrase.clone()])),
        }
    }
    for (word, _, _) in &qualified {
        let part_of_longer =
            out.iter().any(|(n, aliases)| n == word || aliases.iter().any(|a| a.split(' ').any(|p| p == word)));
        if !word.contains(' ') && !part_of_longer {
            out.push((word.clone(), Vec::new()));
        }
    }
    // In order of first appearance.
    let first = |name: &str| {
        seen.iter().position(|(w, _, _)| w == name || w.split(' ').any(|p| p == name)).unwrap_or(usize::MAX)
    };
    out.sort_by_key(|(name, _)| first(name));
    out
}

/// The names of [`characters`].
#[cfg(test)]
pub(crate) fn names(sentences: &[(u32, String)]) -> Vec<String> {
    characters(sentences).into_iter().map(|(name, _)| name).collect()
}

const HONORIFICS: [&str; 5] = ["さん", "様", "殿", "ちゃん", "くん"];

fn is_katakana(c: char) -> bool {
    ('\u{30A1}'..='\u{30FA}').contains(&c) || c == 'ー'
}

fn is_kanji(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c)
}

/// Katakana words of two or more, and one to four kanji before an honorific.
fn japanese_names(sentence: &str) -> Vec<String> {
    let chars: Vec<char> = sentence.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if is_katakana(chars[i]) && chars[i] != 'ー' {
            let start = i;
            while i < chars.len() && is_katakana(chars[i]) {
                i += 1;
            }
            if i - start >= 2 {
                out.push(chars[start..i].iter().collect());
            }
            continue;
        }
        i += 1;
    }
    for honorific in HONORIFICS {
        let mut rest = sentence;
        while let Some(at) = rest.find(honorific) {
            let before: Vec<char> = rest[..at].chars().collect();
            let run = before.iter().rev().take_while(|c| is_kanji(**c)).count().min(4);
            if run >= 1 {
                out.push(before[before.len() - run..].iter().collect());
            }
            rest = &rest[at + honorific.len()..];
        }
    }
    out
}

/// Where `name` occurs in `text` as a whole word (for Latin names) or anywhere (for others).
fn position_of(text: &str, name: &str) -> Option<usize> {
    if name.is_empty() {
        return None;
    }
    let latin = name.is_ascii();
    let mut from = 0;
    while let Some(found) = text[from..].find(name) {
        let at = from + found;
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        let bounded = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
        let possessive = text[at + name.len()..].starts_with("'s") || text[at + name.len()..].starts_with("’s");
        if !latin || (bounded(before) && (bounded(after) || possessive)) {
            return Some(at);
        }
        from = at + name.len();
    }
    None
}

/// Whether `name` appears in `text` as a name.
pub(crate) fn mentions(text: &str, name: &str) -> bool {
    position_of(text, name).is_some()
}

/// The first of `names` in `text` (by position).
pub(crate) fn first_name_in(text: &str, names: &[String]) -> Option<String> {
    names
        .iter()
        .filter_map(|n| position_of(text, n).map(|at| (at, n)))
        .min_by_key(|(at, _)| *at)
        .map(|(_, n)| n.clone())
}

/// A keyword table: the first entry whose word occurs in `text` (lower-cased, as a word start).
/// A Japanese keyword matches anywhere.
pub(crate) fn keyword<'a>(text: &str, table: &'a [(&'a str, &'a str)]) -> Option<(&'a str, &'a str)> {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    table.iter().copied().find(|(word, _)| {
        if word.is_ascii() { words.iter().any(|w| w.starts_with(word)) } else { lower.contains(word) }
    })
}

/// Places: a word of the story and the kind it means.
pub(crate) const PLACES: &[(&str, &str)] = &[
    ("lighthouse", "water"),
    ("harbour", "water"),
    ("harbor", "water"),
    ("sea", "water"),
    ("shore", "water"),
    ("beach", "water"),
    ("river", "water"),
    ("lake", "water"),
    ("pond", "water"),
    ("ship", "water"),
    ("boat", "water"),
    ("forest", "forest"),
    ("wood", "forest"),
    ("grove", "forest"),
    ("mountain", "mountain"),
    ("cliff", "mountain"),
    ("peak", "mountain"),
    ("field", "field"),
    ("meadow", "field"),
    ("farm", "field"),
    ("street", "street"),
    ("town", "street"),
    ("city", "street"),
    ("market", "street"),
    ("village", "street"),
    ("road", "street"),
    ("school", "school"),
    ("classroom", "school"),
    ("office", "school"),
    ("hell", "hell"),
    ("underworld", "hell"),
    ("heaven", "heaven"),
    ("paradise", "heaven"),
    ("sky", "sky"),
    ("cloud", "sky"),
    ("room", "room"),
    ("house", "room"),
    ("kitchen", "room"),
    ("hall", "room"),
    ("temple", "room"),
    ("castle", "room"),
    ("stairs", "room"),
    ("海", "water"),
    ("川", "water"),
    ("舟", "water"),
    ("森", "forest"),
    ("山", "mountain"),
    ("田んぼ", "field"),
    ("畑", "field"),
    ("村", "street"),
    ("町", "street"),
    ("学校", "school"),
    ("地獄", "hell"),
    ("極楽", "heaven"),
    ("空", "sky"),
    ("部屋", "room"),
    ("家", "room"),
];

/// Times: a word and the time of day it means.
pub(crate) const TIMES: &[(&str, &str)] = &[
    ("dawn", "morning"),
    ("morning", "morning"),
    ("sunrise", "morning"),
    ("noon", "day"),
    ("afternoon", "day"),
    ("daylight", "day"),
    ("dusk", "evening"),
    ("evening", "evening"),
    ("sunset", "evening"),
    ("twilight", "evening"),
    ("midnight", "night"),
    ("night", "night"),
    ("moon", "night"),
    ("dark", "night"),
    ("朝", "morning"),
    ("昼", "day"),
    ("夕", "evening"),
    ("夜", "night"),
];

/// Moods: a word and the mood it suggests.
pub(crate) const MOODS: &[(&str, &str)] = &[
    ("storm", "tense"),
    ("danger", "tense"),
    ("afraid", "tense"),
    ("fear", "tense"),
    ("嵐", "tense"),
    ("blood", "dark"),
    ("death", "dark"),
    ("dead", "dark"),
    ("kill", "dark"),
    ("hell", "dark"),
    ("地獄", "dark"),
    ("strange", "mysterious"),
    ("mystery", "mysterious"),
    ("secret", "mysterious"),
    ("ghost", "mysterious"),
    ("tears", "melancholy"),
    ("cried", "melancholy"),
    ("alone", "melancholy"),
    ("涙", "melancholy"),
    ("laugh", "comic"),
    ("joke", "comic"),
    ("silly", "comic"),
    ("love", "warm"),
    ("smile", "warm"),
    ("friend", "warm"),
    ("home", "warm"),
    ("笑", "warm"),
];

/// Words that describe looks, for descriptors.
pub(crate) const LOOKS: &[&str] = &[
    "hair", "eyes", "beard", "tall", "short", "old", "young", "wore", "wearing", "coat", "dress", "robe", "kimono",
    "glasses", "scar", "thin", "stout", "braid", "cloak", "armor", "armour", "uniform",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_sentences_and_blocks_are_read() {
        let prompt = "<story>\n[0] The Keeper\n[1] Mara climbed.\n[2] \"Is it lit?\" she asked.\n</story>\nmore";
        let story = block(prompt, "story").unwrap();
        let s = sentences(story);
        assert_eq!(s.len(), 3);
        assert_eq!(s[2], (2, "\"Is it lit?\" she asked.".to_owned()));
        assert!(is_heading(&s[0].1) && !is_heading(&s[1].1));
    }

    #[test]
    fn raw_prose_is_split_into_sentences() {
        let s = sentences("The Keeper\n\nMara climbed the stairs. \"Is it lit?\" she asked. Tom nodded.");
        let texts: Vec<&str> = s.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(texts, ["The Keeper", "Mara climbed the stairs.", "\"Is it lit?\" she asked.", "Tom nodded."]);
    }

    #[test]
    fn names_are_capitalised_words_inside_sentences() {
        let s = sentences(
            "The Keeper\n\nMara climbed the lighthouse that night. \"Is the lamp lit?\" she asked. \"Not yet,\" said Tom. \"Then light it,\" Mara said.",
        );
        assert_eq!(names(&s), ["Mara", "Tom"]);
        assert_eq!(first_name_in(&outside_quotes(&s[3].1), &names(&s)).as_deref(), Some("Tom"));
        assert_eq!(first_name_in(&outside_quotes(&s[2].1), &names(&s)), None);
        assert_eq!(keyword(&s[1].1, PLACES), Some(("lighthouse", "water")));
        assert_eq!(keyword(&s[1].1, TIMES), Some(("night", "night")));
        assert!(mentions("Mara's lamp", "Mara") && !mentions("Marathon", "Mara"));
    }

    #[test]
    fn longer_names_are_aliases_and_places_titles_and_contractions_are_no_names() {
        let s = sentences(
            "The Keeper\n\nEvery evening, Elias Crane climbed the lighthouse on Gull Point. Elias was old. \"Captain,\" Elias said. \"The Morning Star went out,\" said Reyes. Captain Reyes came up with Tom Hale. \"I'm here,\" Mara said. Rain fell. Rain fell harder.",
        );
        let found = characters(&s);
        let expected: Vec<(String, Vec<String>)> = vec![
            ("Elias".into(), vec!["Elias Crane".into()]),
            ("Reyes".into(), vec!["Captain Reyes".into()]),
            ("Tom Hale".into(), vec![]),
            ("Mara".into(), vec![]),
        ];
        assert_eq!(found, expected);
    }

    #[test]
    fn japanese_names_are_katakana_said_twice_or_kanji_before_an_honorific() {
        let s = sentences(
            "雲と風の約束\n\nハルは源蔵さんと暮らしていた。ハルは笑った。「雲が迷子になるの？」とハルが聞いた。",
        );
        assert_eq!(names(&s), ["ハル", "源蔵"]);
        let line = outside_quotes(&s[3].1);
        assert_eq!(first_name_in(&line, &names(&s)).as_deref(), Some("ハル"));
        assert_eq!(keyword("朝、川辺で", TIMES), Some(("朝", "morning")));
    }
}
