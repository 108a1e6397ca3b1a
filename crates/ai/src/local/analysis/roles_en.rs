//! People an English story never names but lets speak: `said the old
//! minister`, `a little child said`, `said one of the swindlers`. Each is a
//! character called by what they are (`Minister`), found under the singular
//! and the plural of that word, so `the swindlers` are the ones who speak as
//! `one of the swindlers`. Only a role that speaks counts: a story full of
//! soldiers that never say a word has no soldier in its cast.

use manga_domain::{Language, Sentence};

use super::draft::without_quotes;
use super::language::capitalise;
use super::pool::{Pool, add};
use super::quotes;

/// Nouns for people, singular and plural.
#[rustfmt::skip]
const ROLES: &[(&str, &str)] = &[
    ("child", "children"), ("boy", "boys"), ("girl", "girls"), ("man", "men"), ("woman", "women"),
    ("father", "fathers"), ("mother", "mothers"), ("son", "sons"), ("daughter", "daughters"), ("wife", "wives"),
    ("husband", "husbands"), ("grandmother", "grandmothers"), ("grandfather", "grandfathers"),
    ("minister", "ministers"), ("swindler", "swindlers"), ("weaver", "weavers"), ("soldier", "soldiers"),
    ("sailor", "sailors"), ("fisherman", "fishermen"), ("farmer", "farmers"), ("merchant", "merchants"),
    ("stranger", "strangers"), ("priest", "priests"), ("monk", "monks"), ("guard", "guards"),
    ("servant", "servants"), ("maid", "maids"), ("keeper", "keepers"), ("innkeeper", "innkeepers"),
    ("hunter", "hunters"), ("thief", "thieves"), ("witch", "witches"), ("giant", "giants"),
    ("courtier", "courtiers"), ("chamberlain", "chamberlains"), ("officer", "officers"), ("doctor", "doctors"),
    ("teacher", "teachers"), ("driver", "drivers"), ("shopkeeper", "shopkeepers"), ("neighbour", "neighbours"),
    ("neighbor", "neighbors"), ("caretaker", "caretakers"), ("baker", "bakers"), ("captain", "captains"),
];

/// Words that open the noun phrase after a saying verb (`said the …`, `said one of the …`).
const DETERMINERS: &[&str] = &["the", "a", "an", "his", "her", "their", "its", "my", "our", "your", "one"];

/// How many words a role may stand after the determiner (`said a little old child`).
const REACH: usize = 4;

/// The roles of `sentences` that speak, keyed by their capitalised singular.
pub(crate) fn speaking(sentences: &[Sentence], saying: &[&str]) -> Pool {
    let mut pool = Pool::new();
    for s in sentences.iter().filter(|s| !s.heading) {
        for clause in narration_clauses(&s.text) {
            let words: Vec<&str> = clause.split_whitespace().collect();
            for k in (0..words.len()).filter(|&k| saying.contains(&words[k])) {
                let after = role_after(&words[k + 1..]);
                let before = k.checked_sub(1).and_then(|p| role_before(&words[..=p]));
                if let Some((singular, plural)) = after.or(before) {
                    add(&mut pool, &capitalise(singular), Some(singular), true);
                    add(&mut pool, &capitalise(singular), Some(plural), true);
                }
            }
        }
    }
    pool
}

/// `the taller swindler`, `one of the swindlers`: a determiner, then a role within reach.
fn role_after(words: &[&str]) -> Option<(&'static str, &'static str)> {
    if !words.first().is_some_and(|w| DETERMINERS.contains(w)) {
        return None;
    }
    words.iter().take(REACH + 1).find_map(|w| role_of(w))
}

/// `the old minister said`: a role just before the verb, with a determiner in reach before it.
fn role_before(words: &[&str]) -> Option<(&'static str, &'static str)> {
    let (last, rest) = words.split_last()?;
    let role = role_of(last)?;
    rest.iter().rev().take(REACH).any(|w| DETERMINERS.contains(w)).then_some(role)
}

/// Whether a written form is the plural of a role (`swindlers`, `children`).
pub(crate) fn is_plural(form: &str) -> bool {
    ROLES.iter().any(|(_, many)| form.eq_ignore_ascii_case(many))
}

fn role_of(word: &str) -> Option<(&'static str, &'static str)> {
    ROLES.iter().find(|(one, many)| word == *one || word == *many).copied()
}

/// The lowercased narration of a sentence, cut at punctuation and at each
/// quote (`|`), so words on either side of a quote are never one clause.
fn narration_clauses(text: &str) -> Vec<String> {
    without_quotes(text, &quotes::spans(text, Language::En), '|')
        .to_lowercase()
        .split(|c: char| !(c.is_alphabetic() || c == ' ' || c == '\'' || c == '’'))
        .map(str::to_owned)
        .filter(|c| !c.trim().is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAYING: &[&str] = &["said", "asked", "thought"];

    fn sentence(text: &str) -> Sentence {
        Sentence { index: 0, paragraph: 0, text: text.into(), heading: false, dialogue: false }
    }

    fn found(texts: &[&str]) -> Vec<(String, Vec<String>)> {
        let sentences: Vec<Sentence> = texts.iter().map(|t| sentence(t)).collect();
        speaking(&sentences, SAYING).into_iter().map(|(n, c)| (n, c.aliases.into_iter().collect())).collect()
    }

    #[test]
    fn a_role_that_speaks_is_a_person_found_by_both_its_forms() {
        let got = found(&[
            "\"Well, sir,\" said one of the swindlers.",
            "\"Oh,\" said the old minister, peering through his spectacles.",
            "\"Look,\" a little child said.",
        ]);
        assert_eq!(
            got,
            vec![
                ("Child".to_owned(), vec!["child".to_owned(), "children".to_owned()]),
                ("Minister".to_owned(), vec!["minister".to_owned(), "ministers".to_owned()]),
                ("Swindler".to_owned(), vec!["swindler".to_owned(), "swindlers".to_owned()]),
            ]
        );
    }

    #[test]
    fn a_role_that_never_speaks_or_only_speaks_in_a_quote_is_no_one() {
        let got = found(&[
            "The soldiers marched past the old minister.",
            "\"The minister said no,\" Tom said.",
            "Everyone in the street and at the windows said nothing.",
        ]);
        assert_eq!(got, vec![]);
    }
}
