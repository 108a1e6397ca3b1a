//! Rows as the database returns them, and their one mapping to domain types.
//! Both backends decode into these structs, so a column's meaning is
//! written once.

use chrono::{DateTime, Timelike, Utc};
use manga_domain::{ArtifactKey, JobId, JobOptions, PhaseId, Quality, Reason, Version};
use sqlx::types::Json;
use uuid::Uuid;

use crate::{
    ArtifactRecord, FeedbackRecord, JobRecord, MessageKey, MessageOutcome, NewFeedback, PhaseRunKey, PhaseRunRecord,
    ProcessedMessage, Revision, StoreError, UserId, VersionRecord,
};

/// Columns selected for a job, in [`JobRow`]'s order (a macro so SQL can be `concat!`ed into `&'static str`).
macro_rules! job_columns {
    () => {
        "id, user_id, state, current_phase, current_version, mode, options, title, error, machine, revision, \
         created_at, updated_at"
    };
}

/// Columns selected for a phase run, in [`PhaseRunRow`]'s order.
macro_rules! phase_run_columns {
    () => {
        "job_id, version, phase, attempt, status, quality, reasons, outputs, started_at, finished_at, duration_ms, \
         error, lease_until, items_left, items_sent"
    };
}

/// Now, cut to microseconds: Postgres keeps no finer, so both backends
/// return exactly what was written.
pub(crate) fn now() -> DateTime<Utc> {
    let now = Utc::now();
    now.with_nanosecond(now.nanosecond() / 1_000 * 1_000).unwrap_or(now)
}

pub(crate) fn job_uuid(id: JobId) -> Result<Uuid, StoreError> {
    // JobId wraps a Uuid but does not expose it; its Display is the hyphenated form.
    Uuid::parse_str(&id.to_string()).map_err(|e| StoreError::corrupt("job id", e))
}

fn job_id(id: Uuid) -> Result<JobId, StoreError> {
    JobId::parse(&id.hyphenated().to_string()).map_err(|e| StoreError::corrupt("job id", e))
}

pub(crate) fn version_number(version: Version) -> i64 {
    i64::from(version.get())
}

fn version(what: &'static str, n: i64) -> Result<Version, StoreError> {
    let n = u32::try_from(n).map_err(|e| StoreError::corrupt(what, e))?;
    Version::parse(n).map_err(|e| StoreError::corrupt(what, e))
}

fn user(id: &str) -> Result<UserId, StoreError> {
    UserId::parse(id).map_err(|e| StoreError::corrupt("user id", e))
}

/// The stored name of a phase (`concept` ... `publish`).
pub(crate) fn phase_name(phase: PhaseId) -> &'static str {
    phase.name()
}

fn phase(name: &str) -> Result<PhaseId, StoreError> {
    PhaseId::ALL.into_iter().find(|p| p.name() == name).ok_or_else(|| StoreError::corrupt("phase", name))
}

#[derive(sqlx::FromRow)]
pub(crate) struct JobRow {
    id: Uuid,
    user_id: String,
    state: String,
    current_phase: Option<String>,
    current_version: i64,
    mode: String,
    options: Json<JobOptions>,
    title: Option<String>,
    error: Option<String>,
    machine: Option<Json<serde_json::Value>>,
    revision: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<JobRow> for JobRecord {
    type Error = StoreError;
    fn try_from(row: JobRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: job_id(row.id)?,
            user: user(&row.user_id)?,
            state: row.state.parse().map_err(|e| StoreError::corrupt("job state", e))?,
            current_phase: row.current_phase.as_deref().map(phase).transpose()?,
            current_version: version("job version", row.current_version)?,
            mode: row.mode.parse().map_err(|e| StoreError::corrupt("job mode", e))?,
            options: row.options.0,
            title: row.title,
            error: row.error,
            machine: row.machine.map(|m| m.0),
            revision: Revision::new(row.revision),
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct VersionRow {
    job_id: Uuid,
    number: i64,
    parent: Option<i64>,
    note: Option<String>,
    created_at: DateTime<Utc>,
}

impl TryFrom<VersionRow> for VersionRecord {
    type Error = StoreError;
    fn try_from(row: VersionRow) -> Result<Self, StoreError> {
        Ok(Self {
            job: job_id(row.job_id)?,
            number: version("version", row.number)?,
            parent: row.parent.map(|p| version("parent version", p)).transpose()?,
            note: row.note,
            created_at: row.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct PhaseRunRow {
    job_id: Uuid,
    version: i64,
    phase: String,
    attempt: i64,
    status: String,
    quality: Option<f64>,
    reasons: Json<Vec<Reason>>,
    outputs: Json<Vec<ArtifactKey>>,
    started_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    duration_ms: Option<i64>,
    error: Option<String>,
    lease_until: Option<DateTime<Utc>>,
    items_left: Option<i64>,
    items_sent: bool,
}

impl TryFrom<PhaseRunRow> for PhaseRunRecord {
    type Error = StoreError;
    fn try_from(row: PhaseRunRow) -> Result<Self, StoreError> {
        let key = PhaseRunKey {
            job: job_id(row.job_id)?,
            version: version("phase run version", row.version)?,
            phase: phase(&row.phase)?,
            attempt: u32::try_from(row.attempt).map_err(|e| StoreError::corrupt("phase run attempt", e))?,
        };
        // Stored from an f32, so the narrowing is exact.
        let quality = row.quality.map(|q| Quality::parse(q as f32)).transpose();
        Ok(Self {
            key,
            status: row.status.parse().map_err(|e| StoreError::corrupt("phase run status", e))?,
            quality: quality.map_err(|e| StoreError::corrupt("phase run quality", e))?,
            reasons: row.reasons.0,
            outputs: row.outputs.0,
            started_at: row.started_at,
            finished_at: row.finished_at,
            duration_ms: row
                .duration_ms
                .map(u64::try_from)
                .transpose()
                .map_err(|e| StoreError::corrupt("phase run duration", e))?,
            error: row.error,
            lease_until: row.lease_until,
            items_left: row
                .items_left
                .map(u32::try_from)
                .transpose()
                .map_err(|e| StoreError::corrupt("phase run items left", e))?,
            items_sent: row.items_sent,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ArtifactRow {
    job_id: Uuid,
    version: i64,
    key: String,
    content_type: String,
    size: i64,
    sha256: Option<String>,
}

impl TryFrom<ArtifactRow> for ArtifactRecord {
    type Error = StoreError;
    fn try_from(row: ArtifactRow) -> Result<Self, StoreError> {
        Ok(Self {
            job: job_id(row.job_id)?,
            version: version("artifact version", row.version)?,
            key: ArtifactKey::parse(&row.key).map_err(|e| StoreError::corrupt("artifact key", e))?,
            content_type: row.content_type,
            size: u64::try_from(row.size).map_err(|e| StoreError::corrupt("artifact size", e))?,
            sha256: row.sha256,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct FeedbackRow {
    id: i64,
    job_id: Uuid,
    version: i64,
    phase: String,
    action: Json<serde_json::Value>,
    user_id: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<FeedbackRow> for FeedbackRecord {
    type Error = StoreError;
    fn try_from(row: FeedbackRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.id,
            feedback: NewFeedback {
                job: job_id(row.job_id)?,
                version: version("feedback version", row.version)?,
                phase: phase(&row.phase)?,
                action: row.action.0,
                user: user(&row.user_id)?,
            },
            created_at: row.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct MessageRow {
    key: String,
    message_id: String,
    outcome: String,
    reason: Option<String>,
    processed_at: DateTime<Utc>,
}

impl TryFrom<MessageRow> for ProcessedMessage {
    type Error = StoreError;
    fn try_from(row: MessageRow) -> Result<Self, StoreError> {
        let outcome = match (row.outcome.as_str(), row.reason) {
            ("claimed", _) => MessageOutcome::Claimed,
            ("poison", reason) => MessageOutcome::Poison { reason: reason.unwrap_or_default() },
            (other, _) => return Err(StoreError::corrupt("message outcome", other)),
        };
        Ok(Self {
            key: MessageKey::parse(&row.key).map_err(|e| StoreError::corrupt("message key", e))?,
            message_id: row.message_id,
            outcome,
            processed_at: row.processed_at,
        })
    }
}

/// The columns a finished run writes.
pub(crate) struct OutcomeColumns {
    pub(crate) quality: Option<f64>,
    pub(crate) reasons: Json<Vec<Reason>>,
    pub(crate) outputs: Json<Vec<ArtifactKey>>,
    pub(crate) error: Option<String>,
}

impl From<&crate::PhaseRunOutcome> for OutcomeColumns {
    fn from(outcome: &crate::PhaseRunOutcome) -> Self {
        use crate::PhaseRunOutcome::{Failed, Retrying, Succeeded};
        match outcome {
            Succeeded { report, outputs } | Retrying { report, outputs } => Self {
                quality: Some(f64::from(report.score.get())),
                reasons: Json(report.reasons.clone()),
                outputs: Json(outputs.clone()),
                error: None,
            },
            Failed { error } => {
                Self { quality: None, reasons: Json(Vec::new()), outputs: Json(Vec::new()), error: Some(error.clone()) }
            }
        }
    }
}
