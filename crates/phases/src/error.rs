use manga_ai::AiError;
use manga_blob::BlobError;
use manga_domain::{ArtifactKey, DomainError};
use manga_render::RenderError;

/// Why a phase could not finish.
#[derive(Debug, thiserror::Error)]
pub enum PhaseError {
    /// A model call failed.
    #[error(transparent)]
    Ai(#[from] AiError),
    /// Reading or writing an artifact failed.
    #[error(transparent)]
    Blob(#[from] BlobError),
    /// Drawing or encoding failed.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// An input artifact exists but does not parse.
    #[error("artifact {key} is not valid: {message}")]
    BadArtifact {
        /// Which artifact.
        key: ArtifactKey,
        /// What is wrong.
        message: String,
    },
    /// An input makes no sense for this phase (e.g. a storyboard without pages).
    #[error("{0}")]
    Invalid(String),
    /// A value failed domain validation.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The job was cancelled while the phase ran.
    #[error("the job was cancelled")]
    Cancelled,
}

impl PhaseError {
    /// Whether retrying the same request may succeed (a 5xx for Pub/Sub), or
    /// it never will (ack it and mark the job failed).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Ai(e) => e.is_transient(),
            Self::Blob(e) => e.is_transient(),
            Self::Render(_) | Self::BadArtifact { .. } | Self::Invalid(_) | Self::Domain(_) | Self::Cancelled => false,
        }
    }
}
