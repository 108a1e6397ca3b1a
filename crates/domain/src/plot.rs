use serde::{Deserialize, Serialize};

use crate::{CharacterId, LineId, Mood, PlaceKind, SceneId, TimeOfDay};

/// Phase 3's output: the story as scenes, each with its beat and its pages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plot {
    /// The structure the beats follow.
    pub structure: Structure,
    /// Scenes in story order; together they cover every sentence once.
    pub scenes: Vec<Scene>,
}

/// Story structures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Structure {
    /// 起承転結, the four-part structure of Japanese storytelling.
    Kishotenketsu,
    /// Setup, confrontation, resolution.
    ThreeAct,
}

/// A scene's place in the structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Beat {
    /// 起: introduction.
    Ki,
    /// 承: development.
    Sho,
    /// 転: twist.
    Ten,
    /// 結: conclusion.
    Ketsu,
    /// Act one.
    Setup,
    /// Act two.
    Confrontation,
    /// Act three.
    Resolution,
}

/// A stretch of sentences, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentenceSpan {
    /// First sentence index.
    pub first: u32,
    /// Last sentence index (inclusive).
    pub last: u32,
}

impl SentenceSpan {
    /// Whether sentence `i` is in the span.
    pub fn contains(&self, i: u32) -> bool {
        (self.first..=self.last).contains(&i)
    }
}

/// One scene.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scene {
    /// Its number, from 0.
    pub id: SceneId,
    /// A short title (the chapter heading, or the place).
    pub title: String,
    /// Where it sits in the structure.
    pub beat: Beat,
    /// The place's name, if the text gives one.
    pub place: Option<String>,
    /// What to draw behind it.
    pub place_kind: PlaceKind,
    /// Lighting.
    pub time_of_day: TimeOfDay,
    /// Who appears, most present first.
    pub cast: Vec<CharacterId>,
    /// The sentences it covers.
    pub sentences: SentenceSpan,
    /// The dialogue lines in it, in order.
    pub lines: Vec<LineId>,
    /// The pages it gets (at least 1).
    pub pages: u16,
    /// One line saying what happens.
    pub summary: String,
    /// The scene's own mood.
    pub mood: Mood,
}
