//! Look words (金髪, 老人, red hair, spectacles) near a name, collected for
//! phase 2 so a character is drawn as the text describes them.

use manga_domain::{Language, NamedCharacter, Sentence};

use super::language::find_all;
use super::mentions::{Hit, locate};
use super::quotes;

/// Japanese look words.
#[rustfmt::skip]
pub(crate) const JA: &[&str] = &[
    "金髪", "黒髪", "白髪", "赤毛", "銀髪", "茶髪", "長い髪", "短い髪", "坊主", "禿げ", "眼鏡", "めがね", "老人", "老婆", "お爺さん", "お婆さん", "爺さん",
    "婆さん", "少年", "少女", "子供", "幼い", "娘", "若者", "若い", "大男", "巨人", "太った", "痩せた", "背の高い", "背の低い", "小柄", "大柄", "着物", "浴衣",
    "鎧", "制服", "僧", "袈裟", "ぼろ", "襤褸", "髭", "ひげ", "青い目", "鋭い目", "泥坊", "泥棒", "盗人", "鬼", "侍", "漁師", "仏",
    // `カンダタという男`: how the story introduces them says who they are.
    "という男", "と云う男", "という女", "と云う女",
];

/// English look words (lowercase, matched as whole words).
#[rustfmt::skip]
pub(crate) const EN: &[&str] = &[
    "blond", "blonde", "golden hair", "black-haired", "black hair", "dark hair", "brown hair", "red hair",
    "red-haired", "grey hair", "gray hair", "white hair", "grey-haired", "white-haired", "grey beard", "white beard",
    "beard", "bald", "old", "elderly", "young", "child", "little", "girl", "boy", "spectacles", "glasses", "tall",
    "short", "fat", "stout", "thin", "slender", "broad", "giant", "armour", "armor", "uniform", "robe", "kimono",
    "coat", "oilskin", "dress", "suit", "apron", "rags", "blue eyes", "green eyes", "brown eyes", "grey eyes",
    "freckled", "scar", "thief", "pirate", "witch", "villain", "fisherman", "sailor",
];

/// Fills each character's `descriptors`: every look word in a sentence goes to the nearest name in it.
pub(crate) fn attach(characters: &mut [NamedCharacter], sentences: &[Sentence], lang: Language) {
    let lexicon = if lang == Language::Ja { JA } else { EN };
    for s in sentences {
        let hits = locate(&s.text, characters, lang);
        if hits.is_empty() {
            continue;
        }
        let hay = if lang == Language::En { s.text.to_lowercase() } else { s.text.clone() };
        if hay.len() != s.text.len() {
            continue; // lowercasing moved bytes; positions would not line up
        }
        let mut words: Vec<(usize, &str)> = Vec::new();
        let mut sorted: Vec<&str> = lexicon.to_vec();
        sorted.sort_by_key(|w| std::cmp::Reverse(w.len()));
        for word in sorted {
            for at in find_all(&hay, word, lang) {
                let overlaps = words.iter().any(|&(b, w)| at < b + w.len() && b < at + word.len());
                // A name's own letters (`Old Tom`) describe it too, but only once.
                if !overlaps {
                    words.push((at, word));
                }
            }
        }
        words.sort_by_key(|&(at, _)| at);
        // Words inside quotes describe whoever the speaker talks about, not a name nearby.
        let spans = quotes::spans(&s.text, lang);
        words.retain(|&(at, _)| !spans.iter().any(|q| q.outer.contains(&at)));
        for (at, word) in words {
            let owner = if lang == Language::Ja { japanese_owner(&s.text, &hits, at, word.len()) } else { None };
            let nearest = owner.or_else(|| {
                hits.iter().min_by_key(|h| if at >= h.end { at - h.end } else { h.start.saturating_sub(at) }).copied()
            });
            if let Some(hit) = nearest {
                let list = &mut characters[hit.who].descriptors;
                if !list.iter().any(|d| d == word) {
                    list.push(word.to_owned());
                }
            }
        }
    }
}

/// Japanese modifiers come before what they describe: `ハルという少女` and `白髪の源蔵` are close
/// to their name; otherwise a look word belongs to the sentence's topic (`小太郎は…背の低い少年だ`).
fn japanese_owner(text: &str, hits: &[Hit], at: usize, len: usize) -> Option<Hit> {
    // Distance in characters, never across the end of a sentence.
    let gap = |a: usize, b: usize| {
        text.get(a..b).filter(|g| !g.contains(['。', '！', '？'])).map_or(usize::MAX, |g| g.chars().count())
    };
    let just_before = hits.iter().rev().find(|h| h.end <= at && gap(h.end, at) <= 4);
    let just_after = hits.iter().find(|h| h.start >= at + len && gap(at + len, h.start) <= 12);
    let topic = hits.iter().find(|h| h.end <= at && text[h.end..].starts_with(['は', 'が']));
    just_before.or(just_after).or(topic).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(name: &str) -> NamedCharacter {
        crate::local::analysis::test_person(name, &[])
    }

    #[test]
    fn look_words_go_to_the_nearest_name() {
        let mut people = vec![person("Mara"), person("Elias")];
        let s = Sentence {
            index: 0,
            paragraph: 0,
            text: "Mara, red hair flying, met Elias in his grey beard and spectacles.".into(),
            heading: false,
            dialogue: false,
        };
        attach(&mut people, &[s], Language::En);
        assert_eq!(people[0].descriptors, vec!["red hair"]);
        assert_eq!(people[1].descriptors, vec!["grey beard", "spectacles"]);
    }

    #[test]
    fn japanese_look_words_go_to_the_name_they_modify_or_the_topic() {
        let mut people = vec![person("小太郎"), person("ハル"), person("源蔵")];
        let text = "小太郎はハルより二つ年下の、背の低い少年だ。白髪の源蔵さんが来た。";
        let s = Sentence { index: 0, paragraph: 0, text: text.into(), heading: false, dialogue: false };
        attach(&mut people, &[s], Language::Ja);
        assert_eq!(people[0].descriptors, vec!["背の低い", "少年"]);
        assert!(people[1].descriptors.is_empty());
        assert_eq!(people[2].descriptors, vec!["白髪"]);
    }

    #[test]
    fn how_a_japanese_story_introduces_someone_says_who_they_are() {
        let mut people = vec![person("カンダタ")];
        let text = "その中に、カンダタという男がいた。";
        let s = Sentence { index: 0, paragraph: 0, text: text.into(), heading: false, dialogue: false };
        attach(&mut people, &[s], Language::Ja);
        assert_eq!(people[0].descriptors, vec!["という男"]);
        let gender = crate::local::analysis::gender::japanese(&people[0]);
        assert_eq!(gender, Some(crate::local::analysis::gender::Gender::Male));
    }
}
