//! What a job accumulates: versions, artifacts and the person's feedback.

use chrono::{DateTime, Utc};
use manga_domain::{ArtifactKey, JobId, PhaseId, Version};

use crate::UserId;

/// A version of a job. Version 1 is made with the job; each later one
/// branches from a parent (feedback on phase k re-runs from k).
#[derive(Debug, Clone, PartialEq)]
pub struct VersionRecord {
    /// The job.
    pub job: JobId,
    /// The version.
    pub number: Version,
    /// The version it branched from; `None` for version 1.
    pub parent: Option<Version>,
    /// Why it was made, e.g. the feedback's comment.
    pub note: Option<String>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// An artifact a version produced. The bytes live in the blob store under `key`.
#[derive(Debug, Clone, PartialEq)]
pub struct ArtifactRecord {
    /// The job.
    pub job: JobId,
    /// The version.
    pub version: Version,
    /// Where the bytes are.
    pub key: ArtifactKey,
    /// Its MIME type, e.g. `image/png`.
    pub content_type: String,
    /// Its length in bytes.
    pub size: u64,
    /// Hex SHA-256 of the bytes, when computed.
    pub sha256: Option<String>,
}

/// Feedback as the person sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFeedback {
    /// The job.
    pub job: JobId,
    /// The version the person looked at.
    pub version: Version,
    /// The phase it is about.
    pub phase: PhaseId,
    /// What to do (approve, revise, regenerate a panel): the orchestrator's
    /// serialised action; the store keeps it as given.
    pub action: serde_json::Value,
    /// Who sent it.
    pub user: UserId,
}

/// A feedback row.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedbackRecord {
    /// Its id, increasing in the order received.
    pub id: i64,
    /// What was sent.
    pub feedback: NewFeedback,
    /// When it was received.
    pub created_at: DateTime<Utc>,
}
