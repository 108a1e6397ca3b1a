use serde::{Deserialize, Serialize};

use crate::{CharacterId, LineId, Mood, PanelId, PlaceKind, ReadingDirection, Rect, SceneId, TimeOfDay};

/// Page size in pixels. B5 proportions (182 × 257 mm) at about 173 dpi.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageSize {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl PageSize {
    /// The default page: 1240 × 1751 px, B5's 182:257.
    pub const B5: PageSize = PageSize { width: 1240, height: 1751 };
}

/// Phase 4's output: the "name", the storyboard of every page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Storyboard {
    /// Reading order for pages and panels.
    pub reading_direction: ReadingDirection,
    /// Page size in pixels.
    pub page_size: PageSize,
    /// Pages in order.
    pub pages: Vec<PagePlan>,
}

impl Storyboard {
    /// Every panel, in reading order across the book.
    pub fn panels(&self) -> impl Iterator<Item = &PanelPlan> {
        self.pages.iter().flat_map(|p| p.panels.iter())
    }

    /// The panel with this id.
    pub fn panel(&self, id: PanelId) -> Option<&PanelPlan> {
        self.pages.get(usize::from(id.page()).checked_sub(1)?)?.panels.iter().find(|p| p.id == id)
    }
}

/// One page of the storyboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PagePlan {
    /// Page number, from 1.
    pub number: u16,
    /// The scene it belongs to.
    pub scene: SceneId,
    /// Which layout of the library it uses.
    pub layout: String,
    /// Panels in reading order.
    pub panels: Vec<PanelPlan>,
}

/// Camera distance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Shot {
    /// The whole place; figures small.
    Wide,
    /// Figures from the knees or waist up.
    Medium,
    /// A face.
    CloseUp,
}

/// Camera height.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Angle {
    /// Level with the eyes.
    Eye,
    /// Looking down.
    High,
    /// Looking up.
    Low,
}

/// Drawn effects over a panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Nothing.
    None,
    /// Parallel speed lines (movement).
    SpeedLines,
    /// Lines converging on the focus (shock, emphasis).
    FocusLines,
}

/// What a balloon is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BalloonKind {
    /// An ellipse with a tail.
    Speech,
    /// A spiky burst.
    Shout,
    /// A cloud with bubbles for a tail.
    Thought,
    /// A rectangular caption box, no tail.
    Narration,
    /// A dashed ellipse with a tail: a whisper.
    Whisper,
    /// A box ruled twice, no tail: written words (a sign, a notice, a letter).
    Sign,
}

impl BalloonKind {
    /// Every kind.
    pub const ALL: [BalloonKind; 6] =
        [Self::Speech, Self::Shout, Self::Thought, Self::Narration, Self::Whisper, Self::Sign];

    /// Whether it is a box (narration, a sign) rather than a shape around an ellipse.
    pub fn is_boxed(self) -> bool {
        matches!(self, Self::Narration | Self::Sign)
    }

    /// Whether it has a tail (or bubbles) towards whoever speaks: not for narration or written words.
    pub fn has_tail(self) -> bool {
        !self.is_boxed()
    }
}

/// A balloon the storyboard asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BalloonPlan {
    /// The dialogue line it carries (`None` for narration).
    pub line: Option<LineId>,
    /// Its shape.
    pub kind: BalloonKind,
    /// Who speaks (the tail points at them).
    pub speaker: Option<CharacterId>,
    /// The text to letter.
    pub text: String,
}

/// One panel of the storyboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelPlan {
    /// Page and reading position.
    pub id: PanelId,
    /// The frame on the page, in page pixels.
    pub frame: Rect,
    /// Camera distance.
    pub shot: Shot,
    /// Camera height.
    pub angle: Angle,
    /// What to draw behind.
    pub place_kind: PlaceKind,
    /// Lighting.
    pub time_of_day: TimeOfDay,
    /// The scene's mood (tone and darkness).
    pub mood: Mood,
    /// Who is in the panel, in the order they stand (left to right).
    pub cast: Vec<CharacterId>,
    /// The character the panel is about (the speaker), if any.
    pub focus: Option<CharacterId>,
    /// What happens, in words (from the story).
    pub action: String,
    /// Speed or focus lines.
    pub effect: Effect,
    /// Balloons in reading order.
    pub balloons: Vec<BalloonPlan>,
    /// Sound effects to letter large.
    pub sfx: Vec<String>,
}
