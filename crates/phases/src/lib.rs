//! The eight phases of the manga pipeline, and the bus handler that runs them.
//!
//! Each phase is a module with a pure core (typed inputs -> typed output +
//! [`QualityReport`](manga_domain::QualityReport)) and a `run` that loads its
//! inputs from the blob store, calls the core, and stores its outputs:
//!
//! | # | module | output |
//! |---|---|---|
//! | 1 | [`phase1_concept`] | `Concept` |
//! | 2 | [`phase2_characters`] | `CharacterBible` + portraits |
//! | 3 | [`phase3_plot`] | `Plot` |
//! | 4 | [`phase4_name`] | `Storyboard` |
//! | 5 | [`phase5_images`] | `PanelArtSet` + panel PNGs |
//! | 6 | [`phase6_lettering`] | `LetteringSet` + lettered PNGs |
//! | 7 | [`phase7_compose`] | `Composition` + page PNGs |
//! | 8 | [`phase8_publish`] | `Publication`: PDF, CBZ, thumbnails |
//!
//! [`handler`] turns a `PhaseRequest` from the bus into a `PhaseResult`: the
//! same code a phase service runs in the fleet and the embedded run in-process.

pub mod artifacts;
mod context;
mod error;
pub mod handler;
#[cfg(feature = "fleet")]
pub mod models;
pub mod phase1_concept;
pub mod phase2_characters;
pub mod phase3_plot;
pub mod phase4_name;
pub mod phase5_images;
pub mod phase6_lettering;
pub mod phase7_compose;
pub mod phase8_publish;
mod scope;
pub mod service;
pub mod simulated;

pub use context::{PhaseContext, Progress};
pub use error::PhaseError;
pub use scope::PhaseScope;

/// What a phase run produced: the keys it wrote and how good it is.
#[derive(Debug, Clone)]
pub struct PhaseOutput {
    /// Artifact keys written, the structured output first.
    pub outputs: Vec<manga_domain::ArtifactKey>,
    /// The quality report.
    pub quality: manga_domain::QualityReport,
}
