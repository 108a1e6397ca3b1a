//! Phase 2 by rules: a character sheet per named character, with a role
//! (most mentioned is the protagonist), a look, and a personality and
//! speech style read from the lines they speak.

use manga_domain::{
    CharacterBible, CharacterSheet, Concept, Language, LineKind, NamedCharacter, PlaceKind, Role, Sentence,
};

use super::look::{self, Palette, Realm, Setting};
use super::mentions::locate;
use super::{gender, mood, places, summary};

/// Words that make a character a villain.
const VILLAIN: &[&str] =
    &["鬼", "盗人", "悪", "泥棒", "泥坊", "thief", "villain", "pirate", "witch", "smuggler", "demon", "wrecker"];

/// One sheet per character of `concept`, in the same order.
pub(crate) fn bible(concept: &Concept) -> CharacterBible {
    let lang = concept.language;
    let setting = setting_of(concept);
    let protagonist = protagonist(&concept.characters);
    let mut palette = Palette::default();
    // Who is named where, found once: stories can be long and casts large.
    let named: Vec<Vec<usize>> = concept
        .sentences
        .iter()
        .map(|s| locate(&s.text, &concept.characters, lang).into_iter().map(|h| h.who).collect())
        .collect();
    let genders = gender::of_characters(&concept.characters, &concept.sentences, lang);
    let characters = concept
        .characters
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let own: Vec<&Sentence> =
                concept.sentences.iter().zip(&named).filter(|(_, who)| who.contains(&i)).map(|(s, _)| s).collect();
            let role = role_of(c, i == protagonist, &own, lang);
            let look = look::design(c, genders[i], setting, realm_of(&own, lang), &mut palette);
            let lines: Vec<&manga_domain::DialogueLine> =
                concept.dialogue.iter().filter(|l| l.speaker.as_ref() == Some(&c.id)).collect();
            CharacterSheet {
                id: c.id.clone(),
                name: c.name.clone(),
                role,
                personality: personality(c, role, &lines),
                speech_style: speech_style(&lines, lang),
                look,
                portrait: None,
                appearance: String::new(),
            }
        })
        .collect();
    CharacterBible { characters }
}

/// The most mentioned character; ties go to the one who appears first.
fn protagonist(characters: &[NamedCharacter]) -> usize {
    characters
        .iter()
        .enumerate()
        .max_by(|(_, a), (_, b)| a.mentions.cmp(&b.mentions).then(b.first_sentence.cmp(&a.first_sentence)))
        .map_or(0, |(i, _)| i)
}

fn setting_of(concept: &Concept) -> Setting {
    if concept.language == Language::En {
        return Setting::Western;
    }
    let text: String = concept.sentences.iter().map(|s| s.text.as_str()).collect();
    let modern = ["学校", "電車", "スマホ", "携帯", "会社", "テレビ", "自動車", "コンビニ", "教室"]
        .iter()
        .filter(|w| text.contains(*w))
        .count();
    if modern >= 2 { Setting::JapaneseModern } else { Setting::JapanesePeriod }
}

fn realm_of(own: &[&Sentence], lang: Language) -> Realm {
    let (mut hell, mut heaven) = (0, 0);
    for s in own {
        for (_, kind) in places::places_in(&s.text, lang) {
            match kind {
                PlaceKind::Hell => hell += 1,
                PlaceKind::Heaven => heaven += 1,
                _ => {}
            }
        }
    }
    if hell > heaven && hell >= 2 {
        Realm::Hell
    } else if heaven > hell && heaven >= 2 {
        Realm::Heaven
    } else {
        Realm::Ordinary
    }
}

fn role_of(c: &NamedCharacter, is_protagonist: bool, own: &[&Sentence], lang: Language) -> Role {
    if is_protagonist {
        return Role::Protagonist;
    }
    let named_villain = VILLAIN.iter().any(|v| {
        let v_lower = v.to_lowercase();
        c.name.to_lowercase().contains(&v_lower) || c.descriptors.iter().any(|d| d.to_lowercase() == v_lower)
    });
    let dark: usize = own.iter().map(|s| mood::darkness(&s.text, lang)).sum();
    let dark_company = dark >= 3 && dark * 2 >= own.len().max(1);
    if (named_villain || dark_company) && !look::is_holy(c) { Role::Antagonist } else { Role::Support }
}

/// What a character's lines say about them.
#[derive(Debug, Default)]
struct Voice {
    lines: usize,
    shouts: usize,
    questions: usize,
    thoughts: usize,
    polite: usize,
    rough: usize,
    chars: usize,
}

fn voice(lines: &[&manga_domain::DialogueLine]) -> Voice {
    let mut v = Voice { lines: lines.len(), ..Voice::default() };
    for l in lines {
        let lower = l.text.to_lowercase();
        v.shouts += usize::from(l.kind == LineKind::Shout);
        v.thoughts += usize::from(l.kind == LineKind::Thought);
        v.questions += usize::from(l.text.trim_end().ends_with(['？', '?']));
        v.polite += usize::from(
            ["です", "ます", "ございます", "ください", "please", "thank", "sir", "ma'am"]
                .iter()
                .any(|w| lower.contains(w)),
        );
        v.rough += usize::from(
            ["だぜ", "だぞ", "おい、", "おい！", "てめえ", "貴様", "うるせえ", "damn", "blast", "fool", "shut up"]
                .iter()
                .any(|w| lower.contains(w)),
        );
        v.chars += l.text.chars().count();
    }
    v
}

fn personality(c: &NamedCharacter, role: Role, lines: &[&manga_domain::DialogueLine]) -> String {
    let v = voice(lines);
    let mut traits: Vec<&str> = Vec::new();
    if look::is_holy(c) {
        traits.push("serene, compassionate");
    }
    match role {
        Role::Protagonist => traits.push("determined"),
        Role::Antagonist => traits.push("menacing"),
        Role::Support => {}
    }
    if v.lines == 0 {
        traits.push("quiet, observant");
    }
    if v.lines > 0 && v.shouts * 3 >= v.lines {
        traits.push("loud, impulsive");
    }
    if v.lines > 0 && v.questions * 3 >= v.lines {
        traits.push("curious");
    }
    if v.polite * 2 >= v.lines.max(1) {
        traits.push("polite, reserved");
    }
    if v.rough > 0 {
        traits.push("blunt");
    }
    if v.thoughts > 0 {
        traits.push("introspective");
    }
    if c.descriptors.iter().any(|d| {
        ["老人", "老婆", "白髪", "お爺さん", "お婆さん", "old", "elderly", "grey beard", "white beard"]
            .contains(&d.as_str())
    }) {
        traits.push("wise, weathered");
    }
    if traits.len() < 2 {
        traits.push(if v.lines >= 4 { "talkative, warm" } else { "steady" });
    }
    traits.truncate(4);
    traits.join(", ")
}

fn speech_style(lines: &[&manga_domain::DialogueLine], lang: Language) -> String {
    let v = voice(lines);
    if v.lines == 0 {
        return "silent: never speaks aloud".into();
    }
    let mut parts: Vec<&str> = Vec::new();
    if v.polite * 2 >= v.lines {
        parts.push(if lang == Language::Ja { "polite (です/ます)" } else { "polite and formal" });
    } else if v.rough > 0 {
        parts.push("rough, casual speech");
    }
    if v.shouts * 3 >= v.lines {
        parts.push("exclaims often");
    }
    if v.questions * 3 >= v.lines {
        parts.push("asks many questions");
    }
    if v.thoughts * 2 >= v.lines {
        parts.push("mostly inner thoughts");
    }
    let average = v.chars / v.lines;
    let short = if lang == Language::Ja { 10 } else { 25 };
    let long = if lang == Language::Ja { 30 } else { 70 };
    if average <= short {
        parts.push("short, clipped lines");
    } else if average >= long {
        parts.push("long, flowing sentences");
    }
    if parts.is_empty() {
        parts.push("plain, natural speech");
    }
    let sample = lines.iter().max_by_key(|l| l.text.chars().count().min(24)).map(|l| summary::trim_chars(&l.text, 24));
    match (sample, lang) {
        (Some(s), Language::Ja) => format!("{}; e.g. 「{s}」", parts.join(", ")),
        (Some(s), Language::En) => format!("{}; e.g. \"{s}\"", parts.join(", ")),
        (None, _) => parts.join(", "),
    }
}

#[cfg(test)]
mod tests {
    use manga_domain::{OutfitKind, PlaceKind, StoryText};

    use super::super::{analyse_story, design_characters};
    use super::*;
    use crate::ConceptRequest;

    #[test]
    fn a_buddha_in_paradise_and_a_thief_in_hell_are_told_apart() {
        let text = "ある日、御釈迦様は極楽の蓮池のふちを歩いていた。御釈迦様はふと蓮池の下を見た。\n\n\
                    地獄の底に犍陀多と云う男が居た。犍陀多は人を殺した大泥坊であった。地獄の血の池で犍陀多は苦しんでいた。\n\n\
                    御釈迦様は蜘蛛の糸を地獄へ下ろした。犍陀多はその糸をつかんだ。「しめた！」と犍陀多は叫んだ。";
        let story = StoryText::parse(text).expect("a story");
        let concept = analyse_story(&story, &ConceptRequest::default()).expect("a concept");
        let names: Vec<&str> = concept.characters.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, vec!["犍陀多", "御釈迦"]);
        assert!(concept.places.iter().any(|p| p.kind == PlaceKind::Heaven && p.name == "極楽の蓮池"));
        assert!(concept.places.iter().any(|p| p.kind == PlaceKind::Hell));
        assert_eq!(concept.dialogue[0].kind, LineKind::Shout);
        let bible = design_characters(&story, &concept).expect("a bible");
        let sheet = |name: &str| bible.characters.iter().find(|s| s.name == name).expect("a sheet");
        assert_eq!(sheet("犍陀多").role, Role::Protagonist);
        assert_eq!(sheet("犍陀多").look.outfit, OutfitKind::Rags);
        assert_eq!(sheet("御釈迦").look.outfit, OutfitKind::Robe);
        assert_eq!(sheet("御釈迦").role, Role::Support);
        assert!(sheet("御釈迦").personality.contains("serene"));
    }

    #[test]
    fn a_villain_who_is_not_the_hero_is_the_antagonist() {
        let text = "Anna walked home. Anna sang. Anna laughed at the sky. The pirate Black Rook waited in the dark. \
                    Black Rook loved blood and death. \"Give me the gold!\" shouted Black Rook. Anna ran.";
        let story = StoryText::parse(text).expect("a story");
        let concept = analyse_story(&story, &ConceptRequest::default()).expect("a concept");
        let bible = design_characters(&story, &concept).expect("a bible");
        let roles: Vec<(&str, Role)> = bible.characters.iter().map(|s| (s.name.as_str(), s.role)).collect();
        assert_eq!(roles, vec![("Anna", Role::Protagonist), ("Black Rook", Role::Antagonist)]);
    }
}
