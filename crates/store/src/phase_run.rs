//! One run of one phase: its idempotency key, status and outcome.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use manga_domain::{ArtifactKey, JobId, PhaseId, Quality, QualityReport, Reason, Version};

/// What makes a phase run unique. Pub/Sub delivers at least once, so every
/// handler is keyed by this and a redelivery finds the run it already made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PhaseRunKey {
    /// The job.
    pub job: JobId,
    /// The version being produced.
    pub version: Version,
    /// The phase.
    pub phase: PhaseId,
    /// The attempt, from 1: each quality-gate retry is a new attempt.
    pub attempt: u32,
}

impl fmt::Display for PhaseRunKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}#{}", self.job, self.version, self.phase.name(), self.attempt)
    }
}

/// Where a phase run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhaseRunStatus {
    /// Started and not finished (or its process died: a redelivery may run it again).
    Running,
    /// Finished and passed the quality gate (or was accepted as it is).
    Succeeded,
    /// Finished with an error.
    Failed,
    /// Finished below the quality gate; a later attempt will run.
    Retrying,
}

impl PhaseRunStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Retrying => "retrying",
        }
    }
}

impl FromStr for PhaseRunStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "running" => Ok(Self::Running),
            "succeeded" => Ok(Self::Succeeded),
            "failed" => Ok(Self::Failed),
            "retrying" => Ok(Self::Retrying),
            other => Err(format!("unknown phase run status {other:?}")),
        }
    }
}

/// How a phase run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum PhaseRunOutcome {
    /// It produced outputs that passed the gate.
    Succeeded {
        /// The score and its reasons.
        report: QualityReport,
        /// What it wrote to the blob store.
        outputs: Vec<ArtifactKey>,
    },
    /// It produced outputs below the gate; another attempt follows.
    Retrying {
        /// The score and its reasons.
        report: QualityReport,
        /// What it wrote to the blob store.
        outputs: Vec<ArtifactKey>,
    },
    /// It failed.
    Failed {
        /// Why, for the person.
        error: String,
    },
}

impl PhaseRunOutcome {
    /// The status this outcome stores.
    pub fn status(&self) -> PhaseRunStatus {
        match self {
            Self::Succeeded { .. } => PhaseRunStatus::Succeeded,
            Self::Retrying { .. } => PhaseRunStatus::Retrying,
            Self::Failed { .. } => PhaseRunStatus::Failed,
        }
    }
}

/// A phase run row.
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseRunRecord {
    /// Job, version, phase, attempt.
    pub key: PhaseRunKey,
    /// Where it is.
    pub status: PhaseRunStatus,
    /// The score, once finished with outputs.
    pub quality: Option<Quality>,
    /// Why the score is not perfect.
    pub reasons: Vec<Reason>,
    /// What it wrote.
    pub outputs: Vec<ArtifactKey>,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// Wall time from start to finish.
    pub duration_ms: Option<u64>,
    /// Why it failed.
    pub error: Option<String>,
    /// Until when a delivery holds it (renewed by that delivery's heartbeat); `None` once released.
    pub lease_until: Option<DateTime<Utc>>,
    /// For a run spread over items ([`crate::WorkItems`]): how many are not done yet.
    pub items_left: Option<u32>,
    /// For a run spread over items: whether every item's message went out
    /// ([`crate::WorkItems::items_sent`]). Planned but not sent, its holder may
    /// have died mid-send.
    pub items_sent: bool,
}

impl PhaseRunRecord {
    /// Whether a delivery is working on it at `now`: running, under a lease not yet run out.
    pub fn is_held_at(&self, now: DateTime<Utc>) -> bool {
        self.status == PhaseRunStatus::Running && self.lease_until.is_some_and(|until| until > now)
    }
}

/// Who holds a running phase run: one delivery's token, made fresh for each claim.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LeaseHolder(String);

impl LeaseHolder {
    /// A new holder (a random v4 UUID).
    pub fn new() -> Self {
        Self(uuid::Uuid::new_v4().simple().to_string())
    }

    /// The stored form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for LeaseHolder {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for LeaseHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What one delivery's claim on a phase run found.
#[derive(Debug, Clone, PartialEq)]
pub enum RunClaim {
    /// The delivery holds the run now, under a fresh lease: the run is new, or
    /// (`took_over`) it was running under a lease that had run out.
    Held {
        /// The run as stored.
        run: PhaseRunRecord,
        /// An earlier holder's lease ran out (its instance died or stalled).
        took_over: bool,
    },
    /// Another delivery holds it under a live lease.
    HeldElsewhere(PhaseRunRecord),
    /// It has finished: the delivery is a duplicate.
    Finished(PhaseRunRecord),
}
