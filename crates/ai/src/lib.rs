//! The models behind the phases.
//!
//! - [`TextModel`]: reads the story and returns structured results (a
//!   [`Concept`], a [`CharacterBible`], a [`Plot`]). Remote models answer
//!   these with JSON against a schema; the local provider computes them.
//! - [`ImageModel`]: draws a panel or a portrait from a typed request and a
//!   seed, and says where it put each figure and face.
//! - [`local::LocalProvider`]: offline and deterministic. It really analyses
//!   the text and really draws: the default, and what tests use.
//!
//! - [`remote`]: what remote providers share (resilient HTTP, cache, rate
//!   limits, breaker, accounting, schemas, prompt templates) and the adapters
//!   that make a provider's JSON or pictures into the traits above.
//! - [`providers`]: Gemini (Vertex AI or API key, text and images), Imagen,
//!   OpenAI-compatible servers, ComfyUI.
//! - [`settings`] and [`registry`]: which provider each phase uses, from the environment.
//!
//! Depends on `domain` (types) and `render` (pixels, PNG); never on phases.

pub mod local;
pub mod providers;
pub mod registry;
pub mod remote;
pub mod settings;

use async_trait::async_trait;
use bytes::Bytes;
use manga_domain::{
    CharacterBible, CharacterSheet, Concept, FeedbackSuggestion, Figure, Language, PageCount, PanelPlan, Plot,
    StoryText,
};

pub use local::LocalProvider;
pub use registry::{Demand, Models, Shared, Workload};
pub use remote::usage::Ledger;
pub use settings::AiSettings;

/// What can go wrong calling a model.
#[derive(Debug, thiserror::Error)]
pub enum AiError {
    /// The model is busy, rate-limited or unreachable: try again later.
    #[error("the {provider} model is unavailable: {message}")]
    Unavailable {
        /// Which provider.
        provider: String,
        /// Why.
        message: String,
    },
    /// The request cannot succeed as asked (bad input, refused content).
    #[error("the {provider} model cannot do this: {message}")]
    Rejected {
        /// Which provider.
        provider: String,
        /// Why.
        message: String,
    },
    /// The model answered something that does not fit the schema.
    #[error("the {provider} model answered something unusable: {message}")]
    Malformed {
        /// Which provider.
        provider: String,
        /// What was wrong.
        message: String,
    },
}

impl AiError {
    /// Whether retrying the same call may help.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable { .. } | Self::Malformed { .. })
    }
}

/// What phase 1 asks of the text model beside the story.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConceptRequest {
    /// Forced language; `None` detects it.
    pub language: Option<Language>,
    /// Forced page count; `None` derives it from the story's length.
    pub pages: Option<PageCount>,
    /// Forced title; `None` takes the story's heading or derives one.
    pub title: Option<String>,
}

/// Reads stories.
#[async_trait]
pub trait TextModel: Send + Sync {
    /// The provider's name, for records (`local`, `gemini`).
    fn name(&self) -> &str;

    /// Phase 1: language, sentences, characters, places, times, dialogue with speakers, mood, summary, page count.
    ///
    /// # Errors
    /// [`AiError`]; transient ones may be retried.
    async fn analyse_story(&self, story: &StoryText, request: &ConceptRequest) -> Result<Concept, AiError>;

    /// Phase 2: a sheet per named character (portraits are drawn separately).
    ///
    /// # Errors
    /// [`AiError`]; transient ones may be retried.
    async fn design_characters(&self, story: &StoryText, concept: &Concept) -> Result<CharacterBible, AiError>;

    /// Phase 3: scenes with beats, places, cast and pages.
    ///
    /// # Errors
    /// [`AiError`]; transient ones may be retried.
    async fn outline_plot(&self, story: &StoryText, concept: &Concept, bible: &CharacterBible)
    -> Result<Plot, AiError>;

    /// Phase 4: a storyboard proposal (koma-wari) — per page a layout, per panel a shot, angle,
    /// action, cast and the dialogue lines it carries — or `None` to keep the rule-based one.
    /// The proposal comes back checked against `request` (every line once, in order; layouts
    /// and panel counts from the library; cast from the bible).
    ///
    /// # Errors
    /// [`AiError`]; the phase falls back to the rule-based storyboard and says so.
    async fn plan_storyboard(&self, request: &StoryboardRequest<'_>) -> Result<Option<StoryboardProposal>, AiError> {
        let _ = request;
        Ok(None)
    }

    /// Phase 6 on art that came without figure boxes: where each cast member's face is in
    /// the drawn panel, in pixels, or `None` when this model does not look at pictures.
    ///
    /// # Errors
    /// [`AiError`]; lettering then places balloons by the drawing's detail map instead.
    async fn locate_faces(&self, request: &FaceRequest<'_>) -> Result<Option<Vec<FaceBox>>, AiError> {
        let _ = request;
        Ok(None)
    }

    /// Understands a person's chat message about the job as one feedback action.
    ///
    /// # Errors
    /// [`AiError::Rejected`] when the message is not understood (the message says what is);
    /// providers that cannot do this say so.
    async fn suggest_feedback(&self, request: &FeedbackRequest<'_>) -> Result<FeedbackSuggestion, AiError> {
        let _ = request;
        Err(AiError::Rejected {
            provider: self.name().to_owned(),
            message: "chat is not supported by this provider".into(),
        })
    }
}

/// What the storyboard model is given: the story so far and the rule-based storyboard, whose
/// pages (their count and scenes) the proposal keeps.
#[derive(Debug, Clone)]
pub struct StoryboardRequest<'a> {
    /// Phase 1's output: the dialogue lines and the language.
    pub concept: &'a Concept,
    /// Phase 2's output: who may appear.
    pub bible: &'a CharacterBible,
    /// Phase 3's output: the scenes.
    pub plot: &'a Plot,
    /// The rule-based storyboard: its pages are the pages to plan.
    pub base: &'a manga_domain::Storyboard,
    /// The layouts the library offers: name and panel count.
    pub layouts: Vec<(String, usize)>,
}

/// A drawn panel whose faces are wanted.
#[derive(Debug, Clone)]
pub struct FaceRequest<'a> {
    /// The panel as PNG.
    pub png: &'a Bytes,
    /// Its size in pixels.
    pub width: u32,
    /// Its size in pixels.
    pub height: u32,
    /// Who may be in it.
    pub cast: &'a [CharacterSheet],
}

/// A face found in a panel, in panel pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceBox {
    /// Whose face.
    pub character: manga_domain::CharacterId,
    /// Where.
    pub face: manga_domain::Rect,
}

/// A checked storyboard proposal: one entry per page of the base storyboard.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryboardProposal {
    /// The pages, in order.
    pub pages: Vec<ProposedPage>,
}

/// One page of a proposal.
#[derive(Debug, Clone, PartialEq)]
pub struct ProposedPage {
    /// A layout of the library with exactly `panels.len()` panels.
    pub layout: String,
    /// The panels in reading order.
    pub panels: Vec<ProposedPanel>,
}

/// One panel of a proposal.
#[derive(Debug, Clone, PartialEq)]
pub struct ProposedPanel {
    /// Camera distance.
    pub shot: manga_domain::Shot,
    /// Camera height.
    pub angle: manga_domain::Angle,
    /// What happens, in a few words (the art prompt's action).
    pub action: String,
    /// Who is in it, from the bible (at most three).
    pub cast: Vec<manga_domain::CharacterId>,
    /// The dialogue lines it carries, in story order.
    pub lines: Vec<manga_domain::LineId>,
}

/// A chat message with what it may refer to.
#[derive(Debug, Clone, Default)]
pub struct FeedbackRequest<'a> {
    /// The person's words.
    pub message: String,
    /// The phase being looked at, if any.
    pub phase: Option<manga_domain::PhaseId>,
    /// Phase 1's output, to resolve the mood.
    pub concept: Option<&'a Concept>,
    /// Phase 2's output, to resolve names.
    pub bible: Option<&'a CharacterBible>,
    /// Phase 4's output, to resolve pages, panels and lines.
    pub storyboard: Option<&'a manga_domain::Storyboard>,
}

/// A panel to draw.
#[derive(Debug, Clone)]
pub struct PanelRequest {
    /// The storyboard's panel (shot, angle, place, cast, effect, action).
    pub panel: PanelPlan,
    /// Sheets of the characters in the panel's cast.
    pub characters: Vec<CharacterSheet>,
    /// Pixel width (the frame's).
    pub width: u32,
    /// Pixel height.
    pub height: u32,
    /// The job's seed; the same request and seed give the same image.
    pub seed: u64,
    /// Attempt number, so a redraw can vary.
    pub attempt: u32,
    /// The cast's phase-2 portraits (PNG), in cast order, for models that take reference images.
    pub references: Vec<Bytes>,
    /// Whether the page reads right to left, so estimated figures are placed in reading order.
    pub right_to_left: bool,
}

/// A portrait to draw.
#[derive(Debug, Clone)]
pub struct PortraitRequest {
    /// Who.
    pub character: CharacterSheet,
    /// Square size in pixels.
    pub size: u32,
    /// The job's seed.
    pub seed: u64,
}

/// A drawn image.
#[derive(Debug, Clone)]
pub struct DrawnImage {
    /// PNG bytes.
    pub png: Bytes,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Where figures and faces are (for a portrait, the one character).
    pub figures: Vec<Figure>,
    /// Which provider drew it (a fallback says `local`).
    pub provider: String,
    /// Whether `figures` were estimated from the picture rather than known from drawing it.
    pub figures_estimated: bool,
}

/// Draws pictures.
#[async_trait]
pub trait ImageModel: Send + Sync {
    /// The provider's name, for records.
    fn name(&self) -> &str;

    /// Whether [`PanelRequest::references`] reach the model; callers skip loading portraits otherwise.
    fn accepts_references(&self) -> bool {
        false
    }

    /// Phase 5: one panel.
    ///
    /// # Errors
    /// [`AiError`]; transient ones may be retried.
    async fn draw_panel(&self, request: &PanelRequest) -> Result<DrawnImage, AiError>;

    /// Phase 2: a character's reference portrait.
    ///
    /// # Errors
    /// [`AiError`]; transient ones may be retried.
    async fn draw_portrait(&self, request: &PortraitRequest) -> Result<DrawnImage, AiError>;
}
