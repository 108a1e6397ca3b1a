//! Whom an English `she said` or `he said` means: each character's gender
//! from titles (`Mrs.`), look words (`girl`), nouns beside the name (`his
//! granddaughter Mara`) and the pronouns that follow it in the narration;
//! then the most recently mentioned character who fits.

use manga_domain::{NamedCharacter, Sentence};

use super::language::find_all;
use super::mentions::{Hit, locate};
use super::quotes;

/// A character's grammatical gender, as far as the text shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gender {
    Female,
    Male,
}

/// A subject pronoun beside a saying verb: `she said`, `said he`, `they said`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pronoun {
    She,
    He,
    They,
}

/// Titles that open a name and settle its gender.
const FEMALE_TITLES: &[&str] =
    &["Mrs", "Miss", "Ms", "Lady", "Aunt", "Mother", "Sister", "Grandma", "Granny", "Queen", "Princess", "Widow"];
const MALE_TITLES: &[&str] =
    &["Mr", "Mister", "Sir", "Lord", "Uncle", "Father", "Brother", "Grandpa", "King", "Prince", "Master"];

/// Nouns that, beside a name, say what the person is (`a red-haired girl named Pip`).
#[rustfmt::skip]
const FEMALE_NOUNS: &[&str] = &[
    "girl", "woman", "lady", "mother", "sister", "daughter", "granddaughter", "wife", "aunt", "queen", "princess",
    "grandmother", "widow", "niece",
];
#[rustfmt::skip]
const MALE_NOUNS: &[&str] = &[
    "boy", "man", "gentleman", "father", "brother", "son", "grandson", "husband", "uncle", "king", "prince",
    "grandfather", "nephew",
];
const FEMALE_PRONOUNS: &[&str] = &["she", "her", "herself", "hers"];
const MALE_PRONOUNS: &[&str] = &["he", "him", "his", "himself"];

/// Weights: a title is decisive, a noun beside the name is strong, a pronoun is a hint.
const TITLE: i32 = 10;
const NOUN: i32 = 3;
const PRONOUN: i32 = 1;
/// How far (bytes of narration) a noun may stand from the name it describes.
const NOUN_REACH: usize = 40;
/// How many sentences back a pronoun may reach for its character.
const LOOK_BACK: usize = 12;

/// Words between a subject and its saying verb (`he had said`, `she would answer`).
const AUXILIARIES: &[&str] =
    &["had", "has", "have", "would", "will", "could", "might", "must", "should", "did", "then"];

/// The words that may be a saying verb's subject, in lowercased `lower` with
/// the verb at byte `v`: the one before it (past any auxiliaries) and the one after it.
pub(crate) fn beside_verb(lower: &str, v: usize) -> [&str; 2] {
    let bare = |w: &str| w.trim_matches(|c: char| !c.is_alphabetic()).to_owned();
    let before = lower
        .get(..v)
        .map(|b| b.split_whitespace().rev().find(|w| !AUXILIARIES.contains(&bare(w).as_str())).unwrap_or(""))
        .unwrap_or("");
    let after = lower.get(v..).and_then(|a| a.split_whitespace().nth(1)).unwrap_or("");
    [before, after].map(|w| w.trim_matches(|c: char| !c.is_alphabetic()))
}

/// The subject pronoun beside a saying verb (`she said`, `said he`, `they had said`), at English byte positions.
pub(crate) fn pronoun_at_verb(text: &str, verbs: &[usize]) -> Option<Pronoun> {
    let lower = text.to_lowercase();
    verbs.iter().find_map(|&v| {
        beside_verb(&lower, v).into_iter().find_map(|w| match w {
            "she" => Some(Pronoun::She),
            "he" => Some(Pronoun::He),
            "they" => Some(Pronoun::They),
            _ => None,
        })
    })
}

/// Which characters are groups: those the story calls more often by a plural
/// role (`the swindlers`) than by any other of their names.
pub(crate) fn groups(characters: &[NamedCharacter], sentences: &[Sentence]) -> Vec<bool> {
    let mut plural = vec![0i32; characters.len()];
    for s in sentences.iter().filter(|s| !s.heading) {
        for h in locate(&s.text, characters, manga_domain::Language::En) {
            plural[h.who] += if super::roles_en::is_plural(&s.text[h.start..h.end]) { 1 } else { -1 };
        }
    }
    plural.into_iter().map(|p| p > 0).collect()
}

/// Each character's gender, or `None` when the text does not show it (English only).
pub(crate) fn genders(characters: &[NamedCharacter], sentences: &[Sentence]) -> Vec<Option<Gender>> {
    genders_apart_from(characters, sentences, &groups(characters, sentences))
}

/// [`genders`], given which characters are groups: a group takes neither `he`
/// nor `she`, nor the nouns beside it.
fn genders_apart_from(characters: &[NamedCharacter], sentences: &[Sentence], groups: &[bool]) -> Vec<Option<Gender>> {
    let mut score: Vec<i32> = characters.iter().map(title_score).collect();
    for (c, s) in characters.iter().zip(score.iter_mut()) {
        *s += NOUN * (count(&c.descriptors, "girl") - count(&c.descriptors, "boy"));
    }
    let narrated: Vec<(String, Vec<Hit>)> = sentences
        .iter()
        .map(|s| narration_of(s, characters))
        .map(|(text, hits)| (text, hits.into_iter().filter(|h| !groups[h.who]).collect()))
        .collect();
    for (i, (text, hits)) in narrated.iter().enumerate() {
        for (at, sign) in words(text, FEMALE_NOUNS, MALE_NOUNS) {
            let gap = |h: &Hit| if at >= h.end { at - h.end } else { h.start.saturating_sub(at) };
            if let Some(h) = hits.iter().filter(|h| gap(h) <= NOUN_REACH).min_by_key(|h| gap(h)) {
                score[h.who] += sign * NOUN;
            }
        }
        // Pronouns after the only person named here, and in a next sentence that names nobody, are theirs.
        let Some(first) = hits.first().filter(|f| hits.iter().all(|h| h.who == f.who)) else { continue };
        let all = words(text, FEMALE_PRONOUNS, MALE_PRONOUNS);
        // `He had left Elsie …, and a promise that he would be back`: a pronoun before the name is
        // someone else, and so are its like after it.
        let someone_else: Vec<i32> = all.iter().filter(|&&(at, _)| at < first.start).map(|p| p.1).collect();
        let mut pronouns: Vec<i32> = all
            .into_iter()
            .filter(|&(at, sign)| at > first.end && !someone_else.contains(&sign))
            .map(|p| p.1)
            .collect();
        if let Some((next, _)) = narrated.get(i + 1).filter(|(_, h)| h.is_empty()) {
            pronouns.extend(words(next, FEMALE_PRONOUNS, MALE_PRONOUNS).into_iter().map(|p| p.1));
        }
        score[first.who] += PRONOUN * pronouns.iter().sum::<i32>();
    }
    score.into_iter().map(|s| (s != 0).then_some(if s > 0 { Gender::Female } else { Gender::Male })).collect()
}

/// Each character's gender as the story shows it: pronouns and titles in English
/// ([`genders`]); in Japanese, the words describing them, the role word they
/// are called by, a `くん`, or how the given name ends ([`japanese`]).
pub(crate) fn of_characters(
    characters: &[NamedCharacter],
    sentences: &[Sentence],
    lang: manga_domain::Language,
) -> Vec<Option<Gender>> {
    match lang {
        manga_domain::Language::En => genders(characters, sentences),
        manga_domain::Language::Ja => characters.iter().map(japanese).collect(),
    }
}

/// A Japanese character's gender, when the story or the name shows it.
pub(crate) fn japanese(c: &NamedCharacter) -> Option<Gender> {
    const FEMALE_WORDS: &[&str] = &["少女", "娘", "女", "母", "姉", "婆", "姫", "妹", "妻", "お嬢"];
    const MALE_WORDS: &[&str] = &["少年", "男", "父", "兄", "爺", "息子", "坊", "王", "殿", "弟", "夫", "僧"];
    // Given names: endings common to one gender (`小太郎`, `健一`; `美咲`, `花子`).
    const FEMALE_ENDINGS: &[char] = &[
        '子', '美', '恵', '香', '奈', '菜', '花', '江', '代', '枝', '乃', '紀', '咲', '絵', '織', '華', '穂', '音',
        '葉', '里',
    ];
    const MALE_ENDINGS: &[char] = &[
        '郎', '一', '太', '介', '助', '輔', '男', '夫', '雄', '平', '蔵', '吉', '彦', '朗', '也', '哉', '斗', '翔',
        '樹', '蓮', '健', '治', '次',
    ];
    let said = |words: &[&str]| {
        c.descriptors.iter().any(|d| words.iter().any(|w| d.contains(w))) || words.iter().any(|w| c.name.contains(w))
    };
    match (said(FEMALE_WORDS), said(MALE_WORDS)) {
        (true, false) => return Some(Gender::Female),
        (false, true) => return Some(Gender::Male),
        _ => {}
    }
    if c.aliases.iter().any(|a| a.ends_with("くん") || a.ends_with('君')) {
        return Some(Gender::Male);
    }
    let last = c.name.chars().last()?;
    if c.name.starts_with('美') || FEMALE_ENDINGS.contains(&last) {
        Some(Gender::Female)
    } else if MALE_ENDINGS.contains(&last) {
        Some(Gender::Male)
    } else {
        None
    }
}

/// What the characters are, for pronouns: each one's gender, and whether it is a group.
pub(crate) struct People {
    pub genders: Vec<Option<Gender>>,
    pub groups: Vec<bool>,
}

impl People {
    pub(crate) fn of(characters: &[NamedCharacter], sentences: &[Sentence]) -> Self {
        let groups = groups(characters, sentences);
        Self { genders: genders_apart_from(characters, sentences, &groups), groups }
    }
}

/// The character a pronoun in sentence `si` stands for: for `they`, the most recently
/// mentioned group; else the most recently mentioned one of its gender, else the most recent
/// of unknown gender who did not speak the line before, else nobody.
pub(crate) fn resolve(
    pronoun: Pronoun,
    si: usize,
    sentences: &[Sentence],
    characters: &[NamedCharacter],
    people: &People,
    previous: Option<usize>,
) -> Option<usize> {
    let recent: Vec<usize> = sentences[si.saturating_sub(LOOK_BACK)..=si]
        .iter()
        .rev()
        .flat_map(|s| narration_of(s, characters).1.into_iter().rev().map(|h| h.who))
        .collect();
    let gender = match pronoun {
        Pronoun::They => return recent.into_iter().find(|&w| people.groups[w]),
        Pronoun::She => Gender::Female,
        Pronoun::He => Gender::Male,
    };
    let single: Vec<usize> = recent.into_iter().filter(|&w| !people.groups[w]).collect();
    single
        .iter()
        .find(|&&w| people.genders[w] == Some(gender))
        .or_else(|| single.iter().find(|&&w| people.genders[w].is_none() && Some(w) != previous))
        .copied()
}

fn title_score(c: &NamedCharacter) -> i32 {
    let titled = |list: &[&str]| {
        std::iter::once(&c.name)
            .chain(&c.aliases)
            .filter_map(|n| n.split_whitespace().next())
            .any(|w| list.contains(&w.trim_end_matches('.')))
    };
    TITLE * (i32::from(titled(FEMALE_TITLES)) - i32::from(titled(MALE_TITLES)))
}

fn count(list: &[String], word: &str) -> i32 {
    i32::from(list.iter().any(|d| d == word))
}

/// A sentence in lowercase with its quotes blanked out (same byte positions), and the names in it.
fn narration_of(s: &Sentence, characters: &[NamedCharacter]) -> (String, Vec<Hit>) {
    let lower = s.text.to_lowercase();
    if s.heading || lower.len() != s.text.len() {
        return (String::new(), Vec::new()); // lowercasing moved bytes; positions would not line up
    }
    let spans = quotes::spans(&s.text, manga_domain::Language::En);
    let mut text = lower.into_bytes();
    for span in &spans {
        text[span.outer.clone()].fill(b' ');
    }
    let text = String::from_utf8(text).unwrap_or_default();
    let hits = locate(&s.text, characters, manga_domain::Language::En)
        .into_iter()
        .filter(|h| !spans.iter().any(|q| q.outer.contains(&h.start)))
        .collect();
    (text, hits)
}

/// Positions of whole words from either list: +1 for the first (female), -1 for the second (male).
fn words(text: &str, female: &[&str], male: &[&str]) -> Vec<(usize, i32)> {
    let mut out: Vec<(usize, i32)> = female
        .iter()
        .flat_map(|w| find_all(text, w, manga_domain::Language::En).into_iter().map(|at| (at, 1)))
        .chain(male.iter().flat_map(|w| find_all(text, w, manga_domain::Language::En).into_iter().map(|at| (at, -1))))
        .collect();
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::local::analysis::test_person as person;

    fn sentences(texts: &[&str]) -> Vec<Sentence> {
        texts
            .iter()
            .enumerate()
            .map(|(i, t)| Sentence {
                index: i as u32,
                paragraph: i as u32,
                text: (*t).into(),
                heading: false,
                dialogue: false,
            })
            .collect()
    }

    #[test]
    fn titles_nouns_and_following_pronouns_give_a_gender() {
        let people = [person("Pip", &[]), person("Ansel", &[]), person("Mrs. Pell", &[]), person("Tom", &["boy"])];
        let text = sentences(&[
            "His apprentice, a red-haired girl named Pip, swept the floor.",
            "Ansel was an old man now.",
            "Mrs. Pell sent a boy up the path.",
            "\"She is late,\" Tom said.",
        ]);
        let got = genders(&people, &text);
        assert_eq!(got, vec![Some(Gender::Female), Some(Gender::Male), Some(Gender::Female), Some(Gender::Male)]);
    }

    #[test]
    fn a_pronoun_before_the_only_name_is_someone_else_and_so_are_its_like_after_it() {
        let people = [person("Elsie", &[])];
        let text = sentences(&[
            "He had left Elsie with the lamp, and a promise that he would be back.",
            "Elsie heard it first, and then she saw the beam.",
        ]);
        assert_eq!(genders(&people, &text), vec![Some(Gender::Female)]);
    }

    #[test]
    fn a_pronoun_falls_back_to_someone_of_unknown_gender_who_did_not_just_speak() {
        let people = [person("Pip", &[]), person("Ansel", &[])];
        let text = sentences(&["Pip and Ansel walked in.", "\"This one,\" she said."]);
        let unknown = People { genders: vec![None, None], groups: vec![false, false] };
        assert_eq!(resolve(Pronoun::She, 1, &text, &people, &unknown, Some(1)), Some(0));
        assert_eq!(resolve(Pronoun::She, 1, &text, &people, &unknown, Some(0)), Some(1));
        let both_male = People { genders: vec![Some(Gender::Male); 2], groups: vec![false, false] };
        assert_eq!(resolve(Pronoun::She, 1, &text, &people, &both_male, None), None, "nothing fits");
        assert_eq!(resolve(Pronoun::They, 1, &text, &people, &both_male, None), None, "no group");
    }

    #[test]
    fn they_is_the_group_mentioned_last_and_a_group_is_never_he() {
        let mut people = vec![person("Emperor", &[]), person("Swindler", &[])];
        people[1].aliases = vec!["swindler".into(), "swindlers".into()];
        let text = sentences(&[
            "The Emperor went to see the cloth.",
            "The swindlers sat at the looms, and he looked at the swindlers.",
            "\"It is ready,\" they said.",
            "\"Oh,\" he said.",
        ]);
        let known = People::of(&people, &text);
        assert_eq!(known.groups, vec![false, true]);
        assert_eq!(resolve(Pronoun::They, 2, &text, &people, &known, None), Some(1));
        assert_eq!(resolve(Pronoun::He, 3, &text, &people, &known, Some(1)), Some(0));
    }
}
