//! What a sentence shows besides people: animals, fire and light, weather,
//! and the objects people hold or use, from a two-language lexicon. The
//! panel art draws what this finds in the panel's action, so a dog that
//! sleeps by the fire while the snow falls is a dog, a fire and snow.

use manga_domain::Language;

use super::language::{detect, find_all, in_text_order};

/// Something the art can draw that is not a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Thing {
    /// A dog.
    Dog,
    /// A cat.
    Cat,
    /// Birds in the sky.
    Bird,
    /// A horse.
    Horse,
    /// A fish.
    Fish,
    /// A spider on its thread.
    Spider,
    /// A fire: hearth, campfire, flames.
    Fire,
    /// A lamp, lantern or candle.
    Lamp,
    /// Falling rain.
    Rain,
    /// Falling snow.
    Snow,
    /// A lightning bolt.
    Lightning,
    /// A boat or ship.
    Boat,
    /// A hanging bell.
    Bell,
    /// A book or newspaper.
    Book,
    /// A letter.
    Letter,
    /// A cup of tea.
    Cup,
    /// A sword.
    Sword,
    /// A gun.
    Gun,
    /// An umbrella.
    Umbrella,
    /// Flowers.
    Flower,
    /// Fireworks in the sky.
    Fireworks,
    /// A thread or rope hanging from above.
    Thread,
}

/// Where a thing is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// Over the whole panel (weather).
    Everywhere,
    /// In the sky, above the people.
    Above,
    /// On the ground beside the people.
    Ground,
    /// In a person's hand.
    Hand,
}

impl Thing {
    /// Where it belongs in a panel.
    pub fn setting(self) -> Setting {
        use Thing::*;
        match self {
            Rain | Snow => Setting::Everywhere,
            Bird | Lightning | Fireworks | Bell | Spider | Thread => Setting::Above,
            Book | Letter | Cup | Sword | Gun | Umbrella => Setting::Hand,
            Dog | Cat | Horse | Fish | Fire | Lamp | Boat | Flower => Setting::Ground,
        }
    }

    /// Whether a clause that denies it (雨も降らなかった, 傘もささずに, "no rain") means
    /// it is not there: for what happens and what is used, not for what merely is
    /// (犬は吠えなかった still has a dog).
    fn deniable(self) -> bool {
        matches!(self, Thing::Rain | Thing::Snow | Thing::Lightning | Thing::Fire | Thing::Fireworks | Thing::Umbrella)
    }
}

use Thing::{
    Bell, Bird, Boat, Book, Cat, Cup, Dog, Fire, Fireworks, Fish, Flower, Gun, Horse, Lamp, Letter, Lightning, Rain,
    Snow, Spider, Sword, Thread, Umbrella,
};

/// Japanese words; a word listed under `JA_NOT` at the same place is another word
/// (`鳥居` is a gate, not a bird; `花火` are fireworks, not flowers).
const JA_THINGS: &[(&str, Thing)] = &[
    ("子犬", Dog),
    ("犬", Dog),
    ("猫", Cat),
    ("ネコ", Cat),
    ("小鳥", Bird),
    ("鳥", Bird),
    ("カラス", Bird),
    ("烏", Bird),
    ("雀", Bird),
    ("スズメ", Bird),
    ("カモメ", Bird),
    ("鳩", Bird),
    ("梟", Bird),
    ("フクロウ", Bird),
    ("馬", Horse),
    ("魚", Fish),
    ("蜘蛛", Spider),
    ("焚き火", Fire),
    ("焚火", Fire),
    ("篝火", Fire),
    ("かがり火", Fire),
    ("炎", Fire),
    ("暖炉", Fire),
    ("囲炉裏", Fire),
    ("火事", Fire),
    ("火鉢", Fire),
    ("ランプ", Lamp),
    ("ランタン", Lamp),
    ("提灯", Lamp),
    ("灯籠", Lamp),
    ("行灯", Lamp),
    ("蝋燭", Lamp),
    ("ろうそく", Lamp),
    ("ロウソク", Lamp),
    ("夕立", Rain),
    ("豪雨", Rain),
    ("嵐", Rain),
    ("雨", Rain),
    ("吹雪", Snow),
    ("雪", Snow),
    ("稲妻", Lightning),
    ("稲光", Lightning),
    ("雷", Lightning),
    ("小舟", Boat),
    ("舟", Boat),
    ("船", Boat),
    ("ボート", Boat),
    ("鈴", Bell),
    ("鐘", Bell),
    ("新聞", Book),
    ("日記", Book),
    ("絵本", Book),
    ("手紙", Letter),
    ("封筒", Letter),
    ("茶碗", Cup),
    ("湯呑", Cup),
    ("湯のみ", Cup),
    ("お茶", Cup),
    ("刀", Sword),
    ("剣", Sword),
    ("猟銃", Gun),
    ("鉄砲", Gun),
    ("銃", Gun),
    ("傘", Umbrella),
    ("花火", Fireworks),
    ("光の花", Fireworks),
    ("火花", Fireworks),
    ("花", Flower),
    ("蓮", Flower),
    ("桜", Flower),
    ("糸", Thread),
    ("縄", Thread),
    ("ロープ", Thread),
];

/// Longer Japanese words that hold a word of [`JA_THINGS`] and mean something else.
const JA_NOT: &[&str] = &[
    "鳥居",
    "馬鹿",
    "雨戸",
    "花火",
    "光の花",
    "火花",
    "剣幕",
    "真剣",
    "銃声",
    "糸口",
    "船長",
    "風鈴",
    "鈴木",
    "炎天",
    "火事場",
];

/// English words, matched whole and in lower case.
const EN_THINGS: &[(&str, Thing)] = &[
    ("dog", Dog),
    ("dogs", Dog),
    ("puppy", Dog),
    ("hound", Dog),
    ("hounds", Dog),
    ("cat", Cat),
    ("cats", Cat),
    ("kitten", Cat),
    ("bird", Bird),
    ("birds", Bird),
    ("gull", Bird),
    ("gulls", Bird),
    ("seagull", Bird),
    ("seagulls", Bird),
    ("crow", Bird),
    ("crows", Bird),
    ("sparrow", Bird),
    ("sparrows", Bird),
    ("owl", Bird),
    ("horse", Horse),
    ("horses", Horse),
    ("pony", Horse),
    ("fish", Fish),
    ("spider", Spider),
    ("spiders", Spider),
    ("fire", Fire),
    ("fireplace", Fire),
    ("hearth", Fire),
    ("campfire", Fire),
    ("bonfire", Fire),
    ("flames", Fire),
    ("flame", Fire),
    ("lamp", Lamp),
    ("lamps", Lamp),
    ("lantern", Lamp),
    ("lanterns", Lamp),
    ("candle", Lamp),
    ("candles", Lamp),
    ("rain", Rain),
    ("raining", Rain),
    ("rained", Rain),
    ("downpour", Rain),
    ("drizzle", Rain),
    ("snow", Snow),
    ("snowing", Snow),
    ("snowed", Snow),
    ("snowflakes", Snow),
    ("blizzard", Snow),
    ("lightning", Lightning),
    ("thunder", Lightning),
    ("thunderstorm", Lightning),
    ("boat", Boat),
    ("boats", Boat),
    ("ship", Boat),
    ("ships", Boat),
    ("ferry", Boat),
    ("canoe", Boat),
    ("schooner", Boat),
    ("bell", Bell),
    ("bells", Bell),
    ("book", Book),
    ("books", Book),
    ("newspaper", Book),
    ("diary", Book),
    ("letter", Letter),
    ("envelope", Letter),
    ("cup", Cup),
    ("teacup", Cup),
    ("mug", Cup),
    ("tea", Cup),
    ("sword", Sword),
    ("swords", Sword),
    ("katana", Sword),
    ("gun", Gun),
    ("guns", Gun),
    ("rifle", Gun),
    ("rifles", Gun),
    ("pistol", Gun),
    ("umbrella", Umbrella),
    ("flower", Flower),
    ("flowers", Flower),
    ("lotus", Flower),
    ("blossom", Flower),
    ("blossoms", Flower),
    ("fireworks", Fireworks),
    ("firework", Fireworks),
    ("thread", Thread),
    ("rope", Thread),
    ("cord", Thread),
];

/// Words that deny what follows them in an English clause.
const EN_DENIALS: &[&str] = &["no", "not", "never", "without", "nor"];

/// Endings that deny what comes before them in a Japanese clause.
const JA_DENIALS: &[&str] = &["なかった", "ない", "ず", "ません"];

/// The things a text shows, in the order it first names them, each once.
pub fn things_in(text: &str) -> Vec<Thing> {
    let lang = detect(text);
    let lower = text.to_lowercase();
    let mut found: Vec<(usize, Thing)> = Vec::new();
    let lexicon = if lang == Language::Ja { JA_THINGS } else { EN_THINGS };
    for &(word, thing) in lexicon {
        for at in find_all(&lower, word, lang) {
            if lang == Language::Ja && inside_other_word(&lower, at, word) {
                continue;
            }
            if thing.deniable() && denied(&lower, at, word.len(), lang) {
                continue;
            }
            found.push((at, thing));
        }
    }
    in_text_order(found)
}

/// Whether a whole word is one of the things (`蜘蛛`, `提灯`): a thing, not a person.
pub(crate) fn is_thing_word(word: &str) -> bool {
    JA_THINGS.iter().chain(EN_THINGS).any(|(w, _)| *w == word)
}

/// Whether the word at `at` is part of a longer word that means something else.
fn inside_other_word(text: &str, at: usize, word: &str) -> bool {
    JA_NOT.iter().any(|other| {
        *other != word
            && other.contains(word)
            && text.match_indices(other).any(|(o, _)| o <= at && at + word.len() <= o + other.len())
    })
}

/// Whether the clause holding the word denies it: a denial before it in
/// English ("not a drop of rain"), after it in Japanese (雨も降らなかった).
fn denied(text: &str, at: usize, len: usize, lang: Language) -> bool {
    let is_break = |c: char| matches!(c, '、' | '。' | ',' | '.' | ';' | '!' | '?' | '！' | '？' | '」' | '「');
    let start = text[..at].rfind(is_break).map_or(0, |i| i + text[i..].chars().next().map_or(1, char::len_utf8));
    let end = text[at + len..].find(is_break).map_or(text.len(), |i| at + len + i);
    match lang {
        Language::Ja => JA_DENIALS.iter().any(|d| text[at + len..end].contains(d)),
        Language::En => {
            let before = &text[start..at];
            before.contains("n't") || EN_DENIALS.iter().any(|d| !find_all(before, d, Language::En).is_empty())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sentence_shows_its_animals_fire_and_weather_in_order() {
        assert_eq!(things_in("The old dog slept by the fire while the snow fell outside."), vec![Dog, Fire, Snow]);
        assert_eq!(things_in("子犬が暖炉のそばで眠り、外では雪が降っていた。"), vec![Dog, Fire, Snow]);
    }

    #[test]
    fn weather_that_does_not_happen_is_not_drawn() {
        assert_eq!(things_in("その年の夏、山あいの小さな村には一滴の雨も降らなかった。"), vec![]);
        assert_eq!(things_in("Not a drop of rain had fallen since May."), vec![]);
        assert_eq!(things_in("The rain did not stop all night."), vec![Rain]);
        assert_eq!(things_in("雨の渋谷で、ケンは傘もささずに立っていた。"), vec![Rain]);
    }

    #[test]
    fn longer_words_that_hold_a_thing_are_not_that_thing() {
        assert_eq!(things_in("鳥居の前で、夜空に花火が上がった。"), vec![Fireworks]);
        assert_eq!(things_in("「馬鹿なことを言うな」と船長は言った。"), vec![]);
        assert_eq!(things_in("He fired twice and the fishing fleet left."), vec![]);
    }

    #[test]
    fn what_people_hold_is_found_in_either_language() {
        assert_eq!(things_in("She read the letter with a cup of tea."), vec![Letter, Cup]);
        assert_eq!(things_in("男は刀を抜き、傘を投げ捨てた。"), vec![Sword, Umbrella]);
        assert_eq!(Sword.setting(), Setting::Hand);
        assert_eq!(Rain.setting(), Setting::Everywhere);
    }
}
