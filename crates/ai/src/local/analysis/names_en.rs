//! English name rules: capitalised words and pairs seen away from the start
//! of a sentence, titled names (`Captain Reyes`, `Old Tom`), and words next
//! to a saying verb (`said Mara`); stop words and place names are not people.

use std::collections::{BTreeMap, BTreeSet};

use manga_domain::Sentence;

use super::language::is_word_char;
use super::pool::{Pool, add};

/// Capitalised words that are not names.
#[rustfmt::skip]
const STOP: &[&str] = &[
    "I", "I'm", "I'll", "I've", "I'd", "The", "A", "An", "He", "She", "It", "It's", "They", "We", "You", "His",
    "Her", "Hers", "Their", "Our", "My", "Your", "Its", "This", "That", "These", "Those", "There", "Here", "Then",
    "When", "But", "And", "Or", "So", "If", "As", "At", "In", "On", "Of", "For", "To", "From", "With", "By", "Into",
    "No", "Yes", "Not", "Oh", "Ah", "Well", "What", "Who", "Why", "How", "Where", "Which", "Once", "One", "Two",
    "Three", "After", "Before", "While", "Now", "Just", "Still", "All", "Some", "Every", "Each", "Monday", "Tuesday",
    "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December", "God", "OK", "Okay", "Please", "Thank",
    "Thanks", "Good", "Come", "Go", "Let", "Don't", "Did", "Do", "Is", "Are", "Was", "Were", "Will", "Can", "Could",
    "Would", "Should", "Maybe", "Perhaps", "Even", "Only", "Never", "Always", "Nothing", "Something", "Everyone",
    "Someone", "Nobody", "Hello", "Hey", "Hi", "Sir", "Madam", "Dear", "Christmas", "English", "Chapter", "Part",
    "Whatever", "Because", "Though", "Although", "Until", "Soon", "Later", "Again", "Look", "Listen", "Wait", "Stop",
    "Help", "Sorry", "Don", "Up", "Down", "Out", "Over", "Under", "Through", "Behind", "Below", "Above", "Across",
];

/// Words that come before a name and belong to it.
#[rustfmt::skip]
const TITLES: &[&str] = &[
    "Mr", "Mrs", "Ms", "Miss", "Dr", "Doctor", "Captain", "Capt", "Old", "Young", "Aunt", "Uncle", "Father",
    "Mother", "Sister", "Brother", "Grandma", "Grandpa", "Granny", "Sir", "Lady", "Lord", "Professor", "Mister",
    "Master", "Widow", "King", "Queen", "Prince", "Princess", "Little", "Big",
];

/// Words after a capitalised word that make it part of a place's name.
#[rustfmt::skip]
const PLACE_NOUNS: &[&str] = &[
    "Harbour", "Harbor", "Street", "Bay", "Point", "Island", "Isle", "Road", "Lane", "Inn", "Hill", "River",
    "Lighthouse", "Light", "Town", "Cove", "Head", "Rock", "Rocks", "Sea", "Ocean", "Church", "Square", "Bridge",
    "Market", "Station", "Castle", "Mountain", "Forest", "Wood", "Woods", "Lake", "Village", "City", "Valley",
    "Hall", "House", "Tavern", "Quay", "Pier", "Sound",
];

#[rustfmt::skip]
const SAYING: &[&str] = &[
    "said", "asked", "shouted", "yelled", "cried", "replied", "answered", "whispered", "called", "muttered",
    "murmured", "added", "thought", "wondered", "screamed", "roared", "snapped", "laughed", "exclaimed", "sighed",
];

/// A word of a sentence.
#[derive(Debug, Clone)]
struct Token<'a> {
    text: &'a str,
    start: usize,
    /// First word of a sentence (or of a quoted sentence), where every word is capitalised.
    initial: bool,
}

fn tokens(text: &str) -> Vec<Token<'_>> {
    let mut out: Vec<Token<'_>> = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    let mut gap_start = 0;
    while i < chars.len() {
        if !is_word_char(chars[i].1) {
            i += 1;
            continue;
        }
        let start = chars[i].0;
        let mut j = i;
        // Letters, and apostrophes between letters (don't, O'Neill).
        while j < chars.len()
            && (is_word_char(chars[j].1)
                || ("'’".contains(chars[j].1) && chars.get(j + 1).is_some_and(|&(_, c)| is_word_char(c)) && j > i))
        {
            j += 1;
        }
        let end = chars.get(j).map_or(text.len(), |&(b, _)| b);
        let word = strip_possessive(&text[start..end]);
        let gap = &text[gap_start..start];
        // `Mr. Hale`: the full stop of a title does not start a sentence.
        let after_title =
            out.last().is_some_and(|p: &Token<'_>| ["Mr", "Mrs", "Ms", "Dr", "St", "Capt", "Prof"].contains(&p.text));
        let initial = out.is_empty() || (opens_sentence(gap) && !after_title);
        out.push(Token { text: word, start, initial });
        gap_start = end;
        i = j;
    }
    out
}

/// Whether the characters between two words start a new sentence.
fn opens_sentence(gap: &str) -> bool {
    let trimmed = gap.trim_end();
    let after_stop = gap.trim().ends_with(['.', '!', '?', '…']) || gap.trim().ends_with(['—', ':']);
    let opens_quote = trimmed.ends_with(['"', '“', '‘', '\'', '(']) && (trimmed.len() == gap.len());
    after_stop || opens_quote
}

/// Whether two words are parts of one name: only a space (or a title's full stop) between them.
fn joined(text: &str, a: &Token<'_>, b: &Token<'_>) -> bool {
    let gap = text.get(a.start + a.text.len()..b.start).unwrap_or("");
    gap == " " || (gap == ". " && TITLES.contains(&a.text))
}

/// Whether `word` is said to someone: after a comma, before a pause or the
/// end of the quote (`Come on, Ken.`, `It's the cat, Rosa.`).
fn called_by_name(text: &str, word: &Token<'_>) -> bool {
    let before = text[..word.start].trim_end_matches(' ');
    let after = text[word.start + word.text.len()..].chars().next();
    before.ends_with(',') && after.is_some_and(|c| ",.!?\"”—".contains(c))
}

fn strip_possessive(word: &str) -> &str {
    word.strip_suffix("'s").or_else(|| word.strip_suffix("’s")).unwrap_or(word)
}

fn capitalised(word: &str) -> bool {
    word.chars().next().is_some_and(char::is_uppercase) && word.chars().skip(1).any(char::is_lowercase)
}

/// Name candidates of an English story.
pub(crate) fn candidates(sentences: &[Sentence]) -> Pool {
    let lower_words: BTreeSet<String> = sentences
        .iter()
        .flat_map(|s| tokens(&s.text).into_iter().map(|t| t.text.to_owned()).collect::<Vec<_>>())
        .filter(|w| w.chars().next().is_some_and(char::is_lowercase))
        .collect();
    // Per name: (occurrences away from a sentence start, occurrences in all, beside a saying verb).
    let mut seen: BTreeMap<String, (u32, u32, bool)> = BTreeMap::new();
    let mut titled = Pool::new();
    for s in sentences.iter().filter(|s| !s.heading) {
        let toks = tokens(&s.text);
        let mut i = 0;
        while i < toks.len() {
            let t = &toks[i];
            if !capitalised(t.text) || (STOP.contains(&t.text) && !TITLES.contains(&t.text)) {
                i += 1;
                continue;
            }
            let mut j = i + 1;
            while j < toks.len()
                && j < i + 3
                && capitalised(toks[j].text)
                && !STOP.contains(&toks[j].text)
                && !toks[j].initial
                && joined(&s.text, &toks[j - 1], &toks[j])
            {
                j += 1;
            }
            let words = &toks[i..j];
            if words.last().is_some_and(|w| PLACE_NOUNS.contains(&w.text))
                || toks.get(j).is_some_and(|n| PLACE_NOUNS.contains(&n.text))
            {
                i = j;
                continue;
            }
            let span_end = words.last().map_or(t.start, |w| w.start + w.text.len());
            let full = &s.text[t.start..span_end];
            if TITLES.contains(&t.text) && words.len() >= 2 {
                let rest_start = words[1].start;
                add(&mut titled, full, Some(&s.text[rest_start..span_end]), true);
            } else if !TITLES.contains(&t.text) {
                // `"Are you awake, Sam?"`: someone called by name is a person, even if never named outside a quote.
                let called = words.len() == 1 && called_by_name(&s.text, t);
                let saying = i.checked_sub(1).is_some_and(|p| SAYING.contains(&toks[p].text))
                    || toks.get(j).is_some_and(|n| SAYING.contains(&n.text))
                    || called;
                let entry = seen.entry(full.to_owned()).or_insert((0, 0, false));
                entry.0 += u32::from(!t.initial);
                entry.1 += 1;
                entry.2 |= saying;
            }
            i = j;
        }
    }
    let common = |name: &str| name.split_whitespace().any(|w| lower_words.contains(&w.to_lowercase()));
    // `Thomas Marsh` twice and `Thomas` once are one person seen three times.
    let singles: Vec<String> = seen.keys().filter(|n| !n.contains(' ')).cloned().collect();
    let mut folded: Vec<(String, String)> = Vec::new();
    for single in singles {
        let longer: Vec<&String> = seen
            .keys()
            .filter(|long| long.split_whitespace().next() == Some(single.as_str()) && **long != single)
            .collect();
        let [long] = longer.as_slice() else { continue };
        let long = (*long).clone();
        if let Some((away, all, saying)) = seen.get(&single).copied() {
            let entry = seen.entry(long.clone()).or_insert((0, 0, false));
            entry.0 += away;
            entry.1 += all;
            entry.2 |= saying;
            folded.push((single, long));
        }
    }
    let mut pool = Pool::new();
    for (name, (away, all, saying)) in &seen {
        let enough = *away >= 2 || (*saying && *all >= 1) || (*all >= 3 && *away >= 1);
        if enough && !common(name) {
            add(&mut pool, name, None, *saying || *away >= 2);
        }
    }
    for (single, long) in folded {
        if let Some(entry) = pool.get_mut(&long) {
            entry.aliases.insert(single);
        }
    }
    let longs: BTreeSet<String> =
        seen.keys().filter(|n| n.contains(' ') && !common(n)).chain(titled.keys()).cloned().collect();
    let mut pool = merge(pool, titled, &longs);
    for (role, c) in super::roles_en::speaking(sentences, SAYING) {
        let entry = pool.entry(role).or_default();
        entry.aliases.extend(c.aliases);
        entry.strong = true;
    }
    address_royalty(&mut pool);
    pool
}

/// Royal titles, and how a story refers to the one who holds them without a name.
const ROYAL: &[(&str, &[&str])] = &[
    ("Emperor", &["His Majesty", "Your Majesty"]),
    ("King", &["His Majesty", "Your Majesty"]),
    ("Empress", &["Her Majesty", "Your Majesty"]),
    ("Queen", &["Her Majesty", "Your Majesty"]),
    ("Prince", &["His Highness", "Your Highness"]),
    ("Princess", &["Her Highness", "Your Highness"]),
];

/// `His Majesty` is the story's one emperor, king or queen (`the Emperor … His Majesty walked`).
fn address_royalty(pool: &mut Pool) {
    let royals: Vec<(String, &[&str])> = pool
        .keys()
        .filter_map(|name| {
            let title = name.split_whitespace().next_back()?;
            ROYAL.iter().find(|(t, _)| *t == title).map(|(_, forms)| (name.clone(), *forms))
        })
        .collect();
    for (name, forms) in &royals {
        let alone = royals.iter().filter(|(_, f)| f == forms).count() == 1;
        if let Some(entry) = pool.get_mut(name).filter(|_| alone) {
            entry.aliases.extend(forms.iter().map(|f| (*f).to_owned()));
        }
    }
    pool.retain(|name, _| !["Majesty", "Highness"].contains(&name.as_str()));
}

/// Folds `Reyes` into `Captain Reyes` and `Elias` into `Elias Crane` when only one longer name holds it.
fn merge(mut pool: Pool, titled: Pool, longs: &BTreeSet<String>) -> Pool {
    for (name, c) in titled {
        let entry = pool.entry(name).or_default();
        entry.aliases.extend(c.aliases);
        entry.strong = true;
    }
    let singles: Vec<String> = pool.keys().filter(|n| !n.contains(' ')).cloned().collect();
    for short in singles {
        let holders: Vec<&String> =
            longs.iter().filter(|long| long.split_whitespace().any(|w| w.trim_end_matches('.') == short)).collect();
        let [long] = holders.as_slice() else { continue };
        if let Some(c) = pool.remove(&short) {
            let entry = pool.entry((*long).clone()).or_default();
            entry.aliases.insert(short.clone());
            entry.aliases.extend(c.aliases);
            entry.strong |= c.strong;
        }
    }
    pool
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentence(text: &str) -> Sentence {
        Sentence { index: 0, paragraph: 0, text: text.into(), heading: false, dialogue: false }
    }

    #[test]
    fn words_after_a_closing_quote_are_not_sentence_starts() {
        let toks = tokens("\"Is it bad?\" Mara asked. Then she left.");
        let flags: Vec<(&str, bool)> = toks.iter().map(|t| (t.text, t.initial)).collect();
        assert_eq!(flags[0], ("Is", true));
        assert_eq!(flags[3], ("Mara", false));
        assert_eq!(flags[5], ("Then", true));
    }

    #[test]
    fn place_names_and_common_words_are_not_people() {
        let pool = candidates(&[
            sentence("They sailed from Carrow Harbour with Elias."),
            sentence("Later Elias saw Carrow Harbour and the Storm."),
            sentence("The storm grew, and Storm hit Elias."),
        ]);
        assert_eq!(pool.keys().collect::<Vec<_>>(), vec!["Elias"]);
    }

    #[test]
    fn a_first_name_alone_counts_for_the_one_full_name_it_opens() {
        let pool = candidates(&[
            sentence("Her father, Thomas Marsh, kept the light."),
            sentence("That night Thomas went down to the village."),
            sentence("Thomas Marsh burst into the lamp room."),
        ]);
        assert_eq!(pool.keys().collect::<Vec<_>>(), vec!["Thomas Marsh"]);
        assert!(pool["Thomas Marsh"].aliases.contains("Thomas"));
    }

    #[test]
    fn someone_called_by_name_in_a_quote_is_a_person() {
        let pool = candidates(&[
            sentence("\"Are you awake, Sam?\""),
            sentence("\"It's the cat, Rosa.\""),
            sentence("\"I saw Paris in the spring, Tom said.\""),
        ]);
        assert_eq!(pool.keys().collect::<Vec<_>>(), vec!["Rosa", "Sam", "Tom"]);
    }

    #[test]
    fn a_full_name_absorbs_its_first_name() {
        let pool = candidates(&[
            sentence("Then Elias Crane came."),
            sentence("We saw Elias there."),
            sentence("And Elias ran."),
        ]);
        assert_eq!(pool.keys().collect::<Vec<_>>(), vec!["Elias Crane"]);
        assert!(pool["Elias Crane"].aliases.contains("Elias"));
    }
}
