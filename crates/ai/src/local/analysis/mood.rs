//! Mood and genre from lexicons of the story's own words, counted in both
//! languages (`地獄`, `血`, `blood`, `smile`...).

use manga_domain::{Language, Mood};

use super::language::is_word_char;

/// Mood lexicons. Japanese entries are stems matched anywhere; English ones match word starts.
const MOODS: &[(Mood, &[&str])] = &[
    (
        Mood::Dark,
        &[
            "地獄",
            "血",
            "死",
            "殺",
            "恐ろし",
            "闇",
            "罪",
            "苦し",
            "呻",
            "針の山",
            "亡者",
            "blood",
            "death",
            "dead",
            "die",
            "kill",
            "fear",
            "dark",
            "grave",
            "corpse",
            "cruel",
            "terror",
            "drown",
        ],
    ),
    (
        Mood::Tense,
        &[
            "走",
            "急",
            "叫",
            "危な",
            "危険",
            "嵐",
            "戦",
            "逃げ",
            "追",
            "慌て",
            "必死",
            "run",
            "ran",
            "danger",
            "fight",
            "storm",
            "hurry",
            "rush",
            "scream",
            "shout",
            "chase",
            "panic",
            "crash",
            "wave",
            "gale",
            "desperate",
        ],
    ),
    (
        Mood::Warm,
        &[
            "笑",
            "嬉し",
            "優し",
            "温か",
            "暖か",
            "ありがとう",
            "喜",
            "微笑",
            "smile",
            "laugh",
            "kind",
            "warm",
            "glad",
            "happy",
            "thank",
            "gentle",
            "hug",
            "joy",
        ],
    ),
    (
        Mood::Melancholy,
        &[
            "悲し", "涙", "寂し", "泣", "哀れ", "別れ", "失", "sad", "tear", "lonely", "alone", "weep", "cry", "grief",
            "loss", "lost", "miss", "sorrow",
        ],
    ),
    (
        Mood::Calm,
        &[
            "静か",
            "穏やか",
            "のんびり",
            "ゆっくり",
            "そよ",
            "quiet",
            "peace",
            "calm",
            "still",
            "gentle",
            "slow",
            "soft",
        ],
    ),
    (
        Mood::Mysterious,
        &[
            "不思議",
            "謎",
            "妙",
            "怪し",
            "秘密",
            "幻",
            "霧",
            "strange",
            "mystery",
            "myster",
            "secret",
            "odd",
            "fog",
            "mist",
            "ghost",
            "whisper",
            "shadow",
        ],
    ),
    (
        Mood::Comic,
        &["滑稽", "おかし", "ずっこけ", "ドタバタ", "冗談", "funny", "joke", "silly", "giggle", "grin", "clumsy"],
    ),
];

/// Genre lexicons, scored the same way; `drama` when nothing scores.
const GENRES: &[(&str, &[&str])] = &[
    ("fable", &["昔", "むかし", "御釈迦", "仏", "極楽", "地獄", "教え", "once upon", "moral", "fox", "king", "lesson"]),
    ("adventure", &["旅", "冒険", "宝", "船", "嵐", "journey", "quest", "treasure", "ship", "storm", "voyage", "sail"]),
    ("romance", &["恋", "好き", "愛", "結婚", "love", "kiss", "heart", "marry", "darling"]),
    ("horror", &["幽霊", "化け物", "怪物", "呪", "ghost", "monster", "curse", "corpse", "haunt"]),
    ("mystery", &["謎", "事件", "犯人", "探偵", "mystery", "detective", "clue", "murder", "secret"]),
    ("slice_of_life", &["学校", "友達", "朝ご飯", "弁当", "school", "friend", "breakfast", "homework", "neighbour"]),
    ("fantasy", &["魔法", "竜", "妖怪", "狐", "精霊", "神", "magic", "dragon", "witch", "spirit", "fairy", "spell"]),
];

/// How often the stems of `lexicon` occur in `text`.
fn score(text: &str, lower: &str, lexicon: &[&str], lang: Language) -> usize {
    lexicon
        .iter()
        .map(|stem| {
            if stem.is_ascii() {
                if lang == Language::Ja {
                    return 0;
                }
                lower
                    .match_indices(stem)
                    .filter(|(i, _)| !lower[..*i].chars().next_back().is_some_and(is_word_char))
                    .count()
            } else {
                text.matches(stem).count()
            }
        })
        .sum()
}

/// Counts per mood, in the order of [`MOODS`].
pub(crate) fn mood_counts(text: &str, lang: Language) -> Vec<(Mood, usize)> {
    let lower = text.to_lowercase();
    MOODS.iter().map(|(mood, lexicon)| (*mood, score(text, &lower, lexicon, lang))).collect()
}

/// The dominant mood of `text`; calm when no mood word occurs. Ties go to the mood listed first.
pub(crate) fn mood_of(text: &str, lang: Language) -> Mood {
    let counts = mood_counts(text, lang);
    let best = counts.iter().map(|&(_, n)| n).max().unwrap_or(0);
    if best == 0 {
        return Mood::Calm;
    }
    counts.into_iter().find(|&(_, n)| n == best).map_or(Mood::Calm, |(m, _)| m)
}

/// How many dark words (blood, death, 地獄) a text holds, for spotting antagonists.
pub(crate) fn darkness(text: &str, lang: Language) -> usize {
    let lower = text.to_lowercase();
    MOODS.iter().filter(|(m, _)| *m == Mood::Dark).map(|(_, lexicon)| score(text, &lower, lexicon, lang)).sum()
}

/// A genre label (`fable`, `adventure`, ...), `drama` when no lexicon scores.
pub(crate) fn genre_of(text: &str, lang: Language) -> String {
    let lower = text.to_lowercase();
    let mut best = ("drama", 0usize);
    for (genre, lexicon) in GENRES {
        let mut n = score(text, &lower, lexicon, lang);
        // A story that opens like a folk tale is a fable whatever else it holds.
        let opening: String = text.chars().take(40).collect();
        if *genre == "fable" && (opening.contains("昔") || opening.contains("むかし") || lower.starts_with("once upon"))
        {
            n += 3;
        }
        if n > best.1 {
            best = (genre, n);
        }
    }
    best.0.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hell_and_blood_make_a_dark_mood() {
        assert_eq!(mood_of("地獄の底の血の池で、罪人たちが苦しんでいた。", Language::Ja), Mood::Dark);
        assert_eq!(mood_of("They laughed and smiled, glad and warm.", Language::En), Mood::Warm);
        assert_eq!(mood_of("The table was brown.", Language::En), Mood::Calm);
    }

    #[test]
    fn a_storm_at_sea_is_an_adventure_and_an_old_tale_is_a_fable() {
        assert_eq!(genre_of("The storm hit the ship on its voyage.", Language::En), "adventure");
        assert_eq!(genre_of("昔々、ある村に狐がいました。", Language::Ja), "fable");
    }
}
