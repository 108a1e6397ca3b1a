use serde::{Deserialize, Serialize};

use crate::{CharacterId, Language, LineId, ReadingDirection};

/// Phase 1's output: what the story is, who is in it, where, and every line spoken.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Concept {
    /// A title: the story's own first-line heading if it has one, else derived.
    pub title: String,
    /// Detected (or requested) language.
    pub language: Language,
    /// How the manga is read.
    pub reading_direction: ReadingDirection,
    /// A genre label (`fable`, `adventure`, `romance`, ...).
    pub genre: String,
    /// The dominant mood.
    pub mood: Mood,
    /// A few theme words.
    pub themes: Vec<String>,
    /// A short summary in the story's language.
    pub summary: String,
    /// The story cut into sentences, in order. Later phases refer to these by index.
    pub sentences: Vec<Sentence>,
    /// Named characters, most mentioned first.
    pub characters: Vec<NamedCharacter>,
    /// Places, in order of first appearance.
    pub places: Vec<Place>,
    /// Time markers (morning, night, "three days later"), in order.
    pub times: Vec<TimeMark>,
    /// Every dialogue line, in story order; `LineId(i)` is at index `i`.
    pub dialogue: Vec<DialogueLine>,
    /// How many pages the manga gets.
    pub page_count: crate::PageCount,
}

/// One sentence of the story.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sentence {
    /// Position in [`Concept::sentences`].
    pub index: u32,
    /// Paragraph number (paragraphs are separated by blank lines), from 0.
    pub paragraph: u32,
    /// The text, trimmed.
    pub text: String,
    /// Whether this is a chapter or section heading rather than prose.
    pub heading: bool,
    /// Whether the sentence is (mostly) a dialogue line.
    pub dialogue: bool,
}

/// A character the story names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedCharacter {
    /// Stable id derived from the name.
    pub id: CharacterId,
    /// The name as written (without honorific).
    pub name: String,
    /// Other forms seen (with honorifics, nicknames).
    pub aliases: Vec<String>,
    /// How often the name appears.
    pub mentions: u32,
    /// The sentence where the name first appears.
    pub first_sentence: u32,
    /// Text near the name that describes looks (`金髪`, `red hair`, `old`), for phase 2.
    pub descriptors: Vec<String>,
}

/// A place named or implied by the story.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    /// The name as written (`極楽`, `the harbour`).
    pub name: String,
    /// What it looks like, for drawing backgrounds.
    pub kind: PlaceKind,
    /// The sentence where it first appears.
    pub first_sentence: u32,
}

/// The kinds of place the art can draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlaceKind {
    /// Open sky, clouds.
    Sky,
    /// Sea, river, lake, pond.
    Water,
    /// Indoors.
    Room,
    /// Woods.
    Forest,
    /// Town streets, buildings.
    Street,
    /// Mountains, cliffs.
    Mountain,
    /// Open fields, plains, gardens.
    Field,
    /// Underworld: darkness, fire, blood pool, needle mountain.
    Hell,
    /// Paradise: lotus pond, light.
    Heaven,
    /// A school or office.
    School,
    /// Not known: a neutral background.
    Unknown,
}

/// Time of day, for lighting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeOfDay {
    /// Dawn and morning.
    Morning,
    /// Daytime.
    Day,
    /// Dusk.
    Evening,
    /// Night.
    Night,
    /// Not stated.
    Unknown,
}

/// A time marker in the text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeMark {
    /// The words (`朝`, `that night`).
    pub text: String,
    /// What it means for lighting.
    pub time_of_day: TimeOfDay,
    /// Where it appears.
    pub sentence: u32,
}

/// A mood, from a lexicon of the story's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mood {
    /// Quiet, peaceful.
    Calm,
    /// Warm, happy.
    Warm,
    /// Suspense, danger, action.
    Tense,
    /// Grim, cruel, frightening.
    Dark,
    /// Sad, wistful.
    Melancholy,
    /// Strange, unknown.
    Mysterious,
    /// Funny.
    Comic,
}

/// How a line is spoken, which decides its balloon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// Ordinary speech: an ellipse.
    Speech,
    /// Shouted (!, ！, 叫んだ, shouted): a spiky balloon.
    Shout,
    /// Thought (（…）, thought, 思った): a cloud.
    Thought,
    /// Whispered or murmured (whispered, ささやいた, 小声で): a dashed balloon.
    Whisper,
    /// Written words read out, not spoken: a sign, a notice, a letter (the sign read,
    /// 書いてあった, 貼り紙): a box with no tail.
    Sign,
}

/// A line of dialogue and who says it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DialogueLine {
    /// Its number, in story order.
    pub id: LineId,
    /// The sentence it occurs in.
    pub sentence: u32,
    /// The speaker; `None` when the story does not let us tell ("unknown").
    pub speaker: Option<CharacterId>,
    /// The words, without the quotation marks.
    pub text: String,
    /// Speech, shout or thought.
    pub kind: LineKind,
}
