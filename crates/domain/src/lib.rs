//! The manga pipeline's vocabulary, shared by every crate and service.
//!
//! - [`StoryText`], [`Language`], [`ReadingDirection`]: the input, parsed once.
//! - [`PhaseId`], [`Quality`], [`QualityReport`]: the eight phases and how they are judged.
//! - Phase outputs, in order: [`Concept`], [`CharacterBible`], [`Plot`],
//!   [`Storyboard`], [`PanelArtSet`], [`LetteringSet`], [`Composition`], [`Publication`].
//! - [`AiUsage`]: what the models cost, per provider and model.
//! - [`ArtifactKey`]: where each output lives in a blob store, one naming scheme for all.
//!
//! Raw strings and numbers become these types at the edges (CLI, HTTP, proto,
//! model output); inside, the types carry the proof. This crate depends on
//! nothing of ours.

mod artifact;
mod characters;
mod concept;
mod error;
mod feedback;
mod geometry;
mod ids;
mod images;
mod job;
mod phase;
mod plot;
mod quality;
mod story;
mod storyboard;
mod usage;

pub use artifact::ArtifactKey;
pub use characters::*;
pub use concept::*;
pub use error::DomainError;
pub use feedback::{FeedbackAction, FeedbackSuggestion, Target};
pub use geometry::{Point, Rect, Rgb, segments_cross};
pub use ids::{CharacterId, JobId, LineId, PanelId, SceneId, Version, fnv1a};
pub use images::*;
pub use job::*;
pub use phase::PhaseId;
pub use plot::*;
pub use quality::{Quality, QualityReport, Reason};
pub use story::{Language, ReadingDirection, StoryText};
pub use storyboard::*;
pub use usage::AiUsage;
