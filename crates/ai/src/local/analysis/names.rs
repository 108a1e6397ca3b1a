//! Who the story names: candidates ([`super::pool`]) from the Japanese
//! ([`super::names_ja`]) or English ([`super::names_en`]) rules, counted
//! ([`super::mentions`]), ordered by mentions, with the look words found near
//! each name.

use std::collections::BTreeSet;

use manga_domain::{CharacterId, Language, NamedCharacter, Sentence};

use super::mentions::locate;
use super::{descriptors, names_en, names_ja};

/// The characters the story names, most mentioned first (ties: first to appear).
pub(crate) fn find(sentences: &[Sentence], lang: Language) -> Vec<NamedCharacter> {
    let pool = match lang {
        Language::Ja => names_ja::candidates(sentences),
        Language::En => names_en::candidates(sentences),
    };
    let mut characters: Vec<NamedCharacter> = pool
        .into_iter()
        .map(|(name, c)| NamedCharacter {
            id: CharacterId::from_name(&name),
            aliases: c.aliases.into_iter().filter(|a| *a != name).collect(),
            name,
            mentions: 0,
            first_sentence: 0,
            descriptors: Vec::new(),
        })
        .collect();
    let first = count_mentions(&mut characters, sentences, lang);
    let mut ranked: Vec<(NamedCharacter, (u32, usize))> =
        characters.into_iter().zip(first).filter(|(c, _)| c.mentions > 0).collect();
    ranked.sort_by(|(a, fa), (b, fb)| b.mentions.cmp(&a.mentions).then(fa.cmp(fb)));
    let mut characters: Vec<NamedCharacter> = ranked.into_iter().map(|(c, _)| c).collect();
    dedupe_ids(&mut characters);
    descriptors::attach(&mut characters, sentences, lang);
    characters
}

/// Counts mentions, and returns each character's first position (sentence, byte) for tie-breaks.
fn count_mentions(characters: &mut [NamedCharacter], sentences: &[Sentence], lang: Language) -> Vec<(u32, usize)> {
    let mut counts = vec![0u32; characters.len()];
    let mut first = vec![None; characters.len()];
    for sentence in sentences {
        for hit in locate(&sentence.text, characters, lang) {
            counts[hit.who] += 1;
            first[hit.who].get_or_insert((sentence.index, hit.start));
        }
    }
    for (i, c) in characters.iter_mut().enumerate() {
        c.mentions = counts[i];
        c.first_sentence = first[i].map_or(0, |(s, _)| s);
    }
    first.into_iter().map(|f| f.unwrap_or((u32::MAX, usize::MAX))).collect()
}

/// Two names could slug alike (`Mary Ann`, `Mary-Ann`); ids must stay unique.
fn dedupe_ids(characters: &mut [NamedCharacter]) {
    let mut seen = BTreeSet::new();
    for c in characters.iter_mut() {
        let mut id = c.id.clone();
        let mut n = 2;
        while !seen.insert(id.clone()) {
            id = CharacterId::from_name(&format!("{} {n}", c.name));
            n += 1;
        }
        c.id = id;
    }
}

#[cfg(test)]
mod tests {
    use super::super::sentences::split;
    use super::*;

    fn names(text: &str, lang: Language) -> Vec<(String, Vec<String>)> {
        find(&split(text, lang).sentences, lang).into_iter().map(|c| (c.name, c.aliases)).collect()
    }

    #[test]
    fn japanese_katakana_and_honorific_names_are_found() {
        let text = "ミナは村に住んでいた。ミナの友達は源さんだった。「ミナ、行こう」と源さんが言った。ドアが開いた。ドアの向こうは暗い。";
        let found = names(text, Language::Ja);
        assert_eq!(found[0].0, "ミナ");
        assert!(found.contains(&("源".to_owned(), vec!["源さん".to_owned()])), "{found:?}");
        assert!(!found.iter().any(|(n, _)| n == "ドア" || n == "村"), "{found:?}");
    }

    #[test]
    fn english_titles_merge_with_surnames_and_stop_words_are_not_names() {
        let text = "The storm came. Captain Reyes looked at Tom. \"Go,\" said Reyes. Then Tom ran. \
                    When the rain fell, Tom laughed. But Reyes did not. Reyes watched Tom go. Tom waved.";
        let found = names(text, Language::En);
        let names_only: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names_only, vec!["Tom", "Captain Reyes"]);
        assert_eq!(found[1].1, vec!["Reyes".to_owned()]);
    }
}
