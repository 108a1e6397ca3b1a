//! A job as the store keeps it: its state, mode, owner and revision.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use manga_domain::{DomainError, JobId, JobOptions, PhaseId, Version};

/// The person a job belongs to: the `sub` of their token.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(String);

impl UserId {
    /// Longest id accepted; token subjects are far shorter.
    pub const MAX_LEN: usize = 256;

    /// Parses a user id: non-empty, no surrounding whitespace, at most [`Self::MAX_LEN`] bytes.
    ///
    /// # Errors
    /// [`DomainError::InvalidId`] otherwise.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let ok = !text.is_empty() && text.len() <= Self::MAX_LEN && text.trim() == text;
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(DomainError::InvalidId { kind: "user", value: text.to_owned() })
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    /// Created; no phase has been requested yet.
    Pending,
    /// A phase is running or queued.
    Running,
    /// Review mode: a phase finished and the job waits for the person.
    AwaitingReview,
    /// Every phase ran; the publication exists.
    Succeeded,
    /// Stopped by an error it cannot get past (see the job's `error`).
    Failed,
    /// Stopped by the person.
    Cancelled,
}

impl JobState {
    /// Every state, for exhaustive tests and docs.
    pub const ALL: [JobState; 6] =
        [Self::Pending, Self::Running, Self::AwaitingReview, Self::Succeeded, Self::Failed, Self::Cancelled];

    /// The stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::AwaitingReview => "awaiting_review",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    /// Whether the job has stopped (it may still branch into a new version).
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Cancelled)
    }
}

impl FromStr for JobState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|state| state.as_str() == s).ok_or_else(|| format!("unknown job state {s:?}"))
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether the job pauses for the person after each phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobMode {
    /// Runs through without stopping.
    Auto,
    /// Pauses after each phase until feedback (or the timeout).
    Review,
}

impl JobMode {
    /// The stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Review => "review",
        }
    }
}

impl FromStr for JobMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(Self::Auto),
            "review" => Ok(Self::Review),
            other => Err(format!("unknown job mode {other:?}")),
        }
    }
}

/// How many times a job row has been written. Every write bumps it, so a
/// writer that read revision `n` can only write while it is still `n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Revision(i64);

impl Revision {
    pub(crate) fn new(n: i64) -> Self {
        Self(n)
    }

    /// The number (1 for a new job).
    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What is needed to create a job.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    /// The id, chosen by the caller so a retried create is recognisable.
    pub id: JobId,
    /// The owner.
    pub user: UserId,
    /// Auto or review.
    pub mode: JobMode,
    /// What the person asked for.
    pub options: JobOptions,
    /// A title, if known at creation.
    pub title: Option<String>,
    /// Where the job starts, written with its row in one statement: `None`
    /// leaves it `pending` with no machine.
    pub start: Option<JobStart>,
}

/// A job's first step, written with the job: `running` at `phase`, with its machine.
#[derive(Debug, Clone, PartialEq)]
pub struct JobStart {
    /// The phase it runs first.
    pub phase: PhaseId,
    /// The orchestrator's serialised state machine.
    pub machine: serde_json::Value,
}

/// A job row.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    /// The id.
    pub id: JobId,
    /// The owner.
    pub user: UserId,
    /// Where the job is.
    pub state: JobState,
    /// The phase running, awaiting review, or last run.
    pub current_phase: Option<PhaseId>,
    /// The version being worked on.
    pub current_version: Version,
    /// Auto or review.
    pub mode: JobMode,
    /// What the person asked for.
    pub options: JobOptions,
    /// The title, once known.
    pub title: Option<String>,
    /// Why the job failed, when it did.
    pub error: Option<String>,
    /// The orchestrator's serialised state machine; its shape is the orchestrator's.
    pub machine: Option<serde_json::Value>,
    /// For compare-and-set: pass it back to [`crate::Store::advance_job`].
    pub revision: Revision,
    /// When the job was created.
    pub created_at: DateTime<Utc>,
    /// When the row was last written.
    pub updated_at: DateTime<Utc>,
}

/// The new position of a job, written only if nobody moved it first.
#[derive(Debug, Clone, PartialEq)]
pub struct JobAdvance {
    /// The new state.
    pub state: JobState,
    /// The new current phase (`None` clears it).
    pub current_phase: Option<PhaseId>,
    /// A new current version; `None` keeps the stored one.
    pub current_version: Option<Version>,
    /// A new machine snapshot; `None` keeps the stored one.
    pub machine: Option<serde_json::Value>,
    /// A title (once phase 1 has found one); `None` keeps the stored one.
    pub title: Option<String>,
}

impl JobAdvance {
    /// Moves to `state` at `phase`, keeping version and machine.
    pub fn to(state: JobState, phase: Option<PhaseId>) -> Self {
        Self { state, current_phase: phase, current_version: None, machine: None, title: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_job_state_parses_back_from_its_name() {
        for state in JobState::ALL {
            assert_eq!(state.as_str().parse::<JobState>(), Ok(state));
        }
        assert_eq!("done".parse::<JobState>(), Err("unknown job state \"done\"".to_owned()));
    }

    #[test]
    fn blank_or_padded_user_ids_are_rejected() {
        assert!(UserId::parse("").is_err());
        assert!(UserId::parse(" alice").is_err());
        assert!(UserId::parse(&"a".repeat(257)).is_err());
        assert_eq!(UserId::parse("alice@example.com").unwrap().as_str(), "alice@example.com");
    }
}
