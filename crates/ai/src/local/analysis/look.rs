//! How a character looks: traits the text states (from the descriptors of
//! phase 1), the rest drawn from a stable hash of the name, with outfits that
//! suit the setting and outfit colours that no two characters share.

use super::gender::Gender;
pub(crate) use super::palette::Palette;
use manga_domain::{AgeGroup, Build, HairStyle, Look, NamedCharacter, OutfitKind, Rgb};

/// What kind of world the story is set in, for clothes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Setting {
    /// Old Japan: folk tales, temples, villages.
    JapanesePeriod,
    /// Present-day Japan: schools, trains, offices.
    JapaneseModern,
    /// An English-language story.
    Western,
}

/// Where a character mostly appears, when that decides clothes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Realm {
    /// Hell: sinners in rags.
    Hell,
    /// Paradise.
    Heaven,
    /// Anywhere else.
    Ordinary,
}

const BLACK: Rgb = Rgb(30, 28, 32);
const DARK_BROWN: Rgb = Rgb(62, 42, 30);
const BROWN: Rgb = Rgb(108, 72, 44);
const AUBURN: Rgb = Rgb(138, 62, 34);
const BLOND: Rgb = Rgb(214, 178, 104);
const GREY: Rgb = Rgb(196, 196, 200);

/// FNV-1a: a stable hash, unlike std's per-process seeded one.
pub(crate) fn stable_hash(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// Picks from `options` with a few bits of `hash` (`shift` chooses which bits).
fn pick<T: Copy>(options: &[T], hash: u64, shift: u32) -> T {
    options[((hash >> shift) % options.len() as u64) as usize]
}

/// Whether the character is a buddha, monk or god, who wears a robe and keeps calm.
pub(crate) fn is_holy(c: &NamedCharacter) -> bool {
    ["釈迦", "仏", "如来", "菩薩", "和尚", "僧", "神様", "Buddha", "monk", "priest"]
        .iter()
        .any(|w| c.name.contains(w) || c.aliases.iter().any(|a| a.contains(w)) || c.descriptors.iter().any(|d| d == w))
}

/// The look of one character.
pub(crate) fn design(
    c: &NamedCharacter,
    gender: Option<Gender>,
    setting: Setting,
    realm: Realm,
    palette: &mut Palette,
) -> Look {
    let h = stable_hash(&c.name);
    let has = |words: &[&str]| c.descriptors.iter().find(|d| words.contains(&d.as_str())).cloned();
    let titled = |words: &[&str]| words.iter().any(|w| c.name.starts_with(&format!("{w} ")) || c.name.starts_with(w));
    let mut from_text = Vec::new();
    let mut note = |trait_name: &str, word: &str| from_text.push(format!("{trait_name}:{word}"));

    let age = if let Some(w) = has(&[
        "老人",
        "老婆",
        "お爺さん",
        "お婆さん",
        "爺さん",
        "婆さん",
        "白髪",
        "old",
        "elderly",
        "grey beard",
        "white beard",
    ]) {
        note("age", &w);
        AgeGroup::Old
    } else if let Some(w) = has(&["子供", "幼い", "child", "little"]) {
        note("age", &w);
        AgeGroup::Child
    } else if let Some(w) = has(&["少年", "少女", "若者", "若い", "娘", "young", "girl", "boy"]) {
        note("age", &w);
        AgeGroup::Young
    } else if titled(&["Old", "お爺", "お婆", "爺", "婆", "おじい", "おばあ"]) {
        note("age", "name");
        AgeGroup::Old
    } else if titled(&["Little", "Young"]) {
        AgeGroup::Child
    } else {
        pick(&[AgeGroup::Adult, AgeGroup::Adult, AgeGroup::Young], h, 3)
    };

    let natural: &[Rgb] = if setting == Setting::Western {
        &[BLACK, DARK_BROWN, BROWN, AUBURN, BLOND]
    } else {
        &[BLACK, BLACK, DARK_BROWN, BLACK, BROWN]
    };
    let hair_color = if let Some(w) = has(&["金髪", "blond", "blonde", "golden hair"]) {
        note("hair_color", &w);
        BLOND
    } else if let Some(w) = has(&["黒髪", "black hair", "black-haired", "dark hair"]) {
        note("hair_color", &w);
        BLACK
    } else if let Some(w) = has(&[
        "白髪",
        "銀髪",
        "grey hair",
        "gray hair",
        "white hair",
        "grey-haired",
        "white-haired",
        "grey beard",
        "white beard",
    ]) {
        note("hair_color", &w);
        GREY
    } else if let Some(w) = has(&["赤毛", "red hair", "red-haired"]) {
        note("hair_color", &w);
        AUBURN
    } else if let Some(w) = has(&["茶髪", "brown hair"]) {
        note("hair_color", &w);
        BROWN
    } else if age == AgeGroup::Old {
        GREY
    } else {
        pick(natural, h, 7)
    };

    let holy = is_holy(c);
    let hair_style = if let Some(w) = has(&["坊主", "禿げ", "bald", "僧"]) {
        note("hair_style", &w);
        HairStyle::Bald
    } else if let Some(w) = has(&["長い髪"]) {
        note("hair_style", &w);
        HairStyle::Long
    } else if holy {
        HairStyle::Bun
    } else if let Some(gender) = gender {
        // Hair is what tells a boy from a girl at a glance in manga.
        // The bun is drawn as a woman's; a man's top-knot would need its own drawing.
        let period = setting == Setting::JapanesePeriod && age != AgeGroup::Child;
        match (gender, period) {
            (Gender::Male, _) => pick(&[HairStyle::Short, HairStyle::Spiky, HairStyle::Short], h, 11),
            (Gender::Female, true) => pick(&[HairStyle::Long, HairStyle::Bun, HairStyle::Ponytail], h, 11),
            (Gender::Female, false) => pick(&[HairStyle::Long, HairStyle::Ponytail, HairStyle::Bob], h, 11),
        }
    } else if setting == Setting::JapanesePeriod && age != AgeGroup::Child {
        pick(&[HairStyle::Bun, HairStyle::Short, HairStyle::Long, HairStyle::Ponytail], h, 11)
    } else {
        pick(
            &[
                HairStyle::Short,
                HairStyle::Long,
                HairStyle::Spiky,
                HairStyle::Ponytail,
                HairStyle::Bob,
                HairStyle::Short,
            ],
            h,
            11,
        )
    };

    let eye_color = if let Some(w) = has(&["青い目", "blue eyes"]) {
        note("eye_color", &w);
        Rgb(70, 120, 190)
    } else if let Some(w) = has(&["green eyes"]) {
        note("eye_color", &w);
        Rgb(70, 140, 90)
    } else if let Some(w) = has(&["grey eyes"]) {
        note("eye_color", &w);
        Rgb(130, 140, 150)
    } else if setting == Setting::Western {
        pick(&[Rgb(80, 55, 35), Rgb(110, 80, 50), Rgb(70, 120, 190), Rgb(70, 140, 90), Rgb(130, 140, 150)], h, 15)
    } else {
        pick(&[Rgb(40, 28, 22), Rgb(62, 42, 30), Rgb(80, 55, 35)], h, 15)
    };

    let (lo, span) = if setting == Setting::Western { (0.0, 0.75) } else { (0.1, 0.35) };
    let t = lo + span * ((h >> 19) % 100) as f32 / 100.0;
    let skin = Rgb(252, 226, 204).mix(Rgb(150, 100, 70), t);

    let build = if let Some(w) = has(&["太った", "fat", "stout", "大柄"]) {
        note("build", &w);
        Build::Heavy
    } else if let Some(w) = has(&["痩せた", "thin", "slender"]) {
        note("build", &w);
        Build::Slim
    } else if let Some(w) = has(&["大男", "巨人", "giant", "broad"]) {
        note("build", &w);
        Build::Sturdy
    } else if age == AgeGroup::Child {
        Build::Slim
    } else {
        pick(&[Build::Slim, Build::Average, Build::Average, Build::Sturdy], h, 23)
    };

    let outfit = if let Some(w) = has(&["着物", "浴衣", "kimono"]) {
        note("outfit", &w);
        OutfitKind::Kimono
    } else if let Some(w) = has(&["鎧", "armour", "armor"]) {
        note("outfit", &w);
        OutfitKind::Armor
    } else if let Some(w) = has(&["制服", "uniform"]) {
        note("outfit", &w);
        OutfitKind::Uniform
    } else if let Some(w) = has(&["僧", "袈裟", "robe"]) {
        note("outfit", &w);
        OutfitKind::Robe
    } else if let Some(w) = has(&["ぼろ", "襤褸", "rags"]) {
        note("outfit", &w);
        OutfitKind::Rags
    } else if let Some(w) = has(&["dress"]) {
        note("outfit", &w);
        OutfitKind::Dress
    } else if let Some(w) = has(&["suit"]) {
        note("outfit", &w);
        OutfitKind::Suit
    } else if holy {
        OutfitKind::Robe
    } else if realm == Realm::Hell {
        OutfitKind::Rags
    } else if setting == Setting::JapanesePeriod || realm == Realm::Heaven {
        OutfitKind::Kimono
    } else if titled(&["Captain", "Capt", "Sergeant", "Officer", "Constable"]) {
        OutfitKind::Uniform
    } else if titled(&["Mr", "Dr", "Doctor", "Professor", "Mayor"]) {
        OutfitKind::Suit
    } else if setting == Setting::JapaneseModern && age == AgeGroup::Young {
        OutfitKind::Uniform
    } else {
        pick(&[OutfitKind::Casual, OutfitKind::Casual, OutfitKind::Casual, OutfitKind::Suit], h, 27)
    };

    let spectacles = match has(&["眼鏡", "めがね", "spectacles", "glasses"]) {
        Some(w) => {
            note("spectacles", &w);
            true
        }
        None => (h >> 31).is_multiple_of(9) && age != AgeGroup::Child,
    };

    let height = if let Some(w) = has(&["大男", "巨人", "giant"]) {
        note("height", &w);
        1.12
    } else if let Some(w) = has(&["背の高い", "tall"]) {
        note("height", &w);
        1.06
    } else if let Some(w) = has(&["背の低い", "小柄", "short"]) {
        note("height", &w);
        0.9
    } else {
        match age {
            AgeGroup::Child => 0.65,
            AgeGroup::Old => 0.92,
            AgeGroup::Young => 0.97,
            AgeGroup::Adult => 1.0,
        }
    };

    let outfit_color = if holy { palette.outfit_from(&[Rgb(236, 214, 150)], 0) } else { palette.outfit(h >> 35) };
    let accent_color = palette.accent(h >> 41);

    Look {
        hair_color,
        hair_style,
        eye_color,
        skin,
        build,
        age,
        outfit,
        outfit_color,
        accent_color,
        spectacles,
        height,
        from_text,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    use crate::local::analysis::test_person as person;

    #[test]
    fn stated_traits_win_and_are_recorded() {
        let look = design(
            &person("ミナ", &["金髪", "眼鏡", "少女"]),
            Some(Gender::Female),
            Setting::JapanesePeriod,
            Realm::Ordinary,
            &mut Palette::default(),
        );
        assert_eq!(look.hair_color, BLOND);
        assert!(look.spectacles);
        assert_eq!(look.age, AgeGroup::Young);
        assert!(look.from_text.contains(&"hair_color:金髪".to_owned()), "{:?}", look.from_text);
    }

    #[test]
    fn a_buddha_wears_a_robe_and_a_sinner_in_hell_wears_rags() {
        let mut palette = Palette::default();
        assert_eq!(
            design(&person("御釈迦", &[]), None, Setting::JapanesePeriod, Realm::Heaven, &mut palette).outfit,
            OutfitKind::Robe
        );
        assert_eq!(
            design(&person("犍陀多", &[]), None, Setting::JapanesePeriod, Realm::Hell, &mut palette).outfit,
            OutfitKind::Rags
        );
    }

    #[test]
    fn hair_tells_a_boy_from_a_girl_and_japanese_names_tell_which() {
        let boyish = [HairStyle::Short, HairStyle::Spiky];
        let girlish = [HairStyle::Long, HairStyle::Ponytail, HairStyle::Bob, HairStyle::Bun];
        for (name, descriptors, gender) in [
            ("健一", &[][..], Gender::Male),
            ("小太郎", &[][..], Gender::Male),
            ("蓮", &[][..], Gender::Male),
            ("美紀", &[][..], Gender::Female),
            ("花子", &[][..], Gender::Female),
            ("ハル", &["少女"][..], Gender::Female),
        ] {
            let who = person(name, descriptors);
            assert_eq!(crate::local::analysis::gender::japanese(&who), Some(gender), "{name}");
            for setting in [Setting::JapanesePeriod, Setting::JapaneseModern] {
                let hair = design(&who, Some(gender), setting, Realm::Ordinary, &mut Palette::default()).hair_style;
                let fits = if gender == Gender::Male { &boyish[..] } else { &girlish[..] };
                assert!(fits.contains(&hair), "{name} in {setting:?}: {hair:?}");
            }
        }
        assert_eq!(crate::local::analysis::gender::japanese(&person("ハル", &[])), None, "the name alone does not say");
    }

    #[test]
    fn many_characters_never_share_an_outfit_colour() {
        let mut palette = Palette::default();
        let colours: BTreeSet<(u8, u8, u8)> = (0..40)
            .map(|i| {
                design(&person(&format!("Person{i}"), &[]), None, Setting::Western, Realm::Ordinary, &mut palette)
                    .outfit_color
            })
            .map(|c| (c.0, c.1, c.2))
            .collect();
        assert_eq!(colours.len(), 40);
    }
}
