//! What the API shows and accepts: JSON shapes, documented for /openapi.json.

use chrono::{DateTime, Utc};
use manga_domain::{AiUsage, ArtifactKey, FeedbackAction, JobId, PhaseId, Version};
use manga_store::{JobRecord, JobState, VersionRecord};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::machine::JobMachine;
use crate::plan::Plan;

/// `POST /v1/jobs`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateJob {
    /// The story: a paragraph to a short novel, Japanese or English.
    pub story: String,
    /// A title; absent takes the story's own or derives one.
    pub title: Option<String>,
    /// Pages wanted, 1..=64; absent lets the story's length decide.
    #[schema(minimum = 1, maximum = 64)]
    pub pages: Option<u32>,
    /// `auto` (detect), `ja` or `en`.
    pub language: Option<String>,
    /// `auto` (from the language), `rtl` or `ltr`.
    pub direction: Option<String>,
    /// Drawing style; only `manga` so far.
    pub style: Option<String>,
    /// Seed for everything random, so a job can be reproduced.
    pub seed: Option<u64>,
    /// `auto` runs straight through; `review` pauses after each phase.
    pub mode: Option<String>,
    /// AI provider per phase (`{"images": "gemini-image"}`), one of those configured on the server
    /// (`local` always is); a phase without a model takes none.
    #[schema(value_type = Option<Object>)]
    pub providers: Option<std::collections::BTreeMap<String, String>>,
}

/// Links from a job.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobLinks {
    /// The job.
    #[serde(rename = "self")]
    pub this: String,
    /// Server-sent events.
    pub events: String,
    /// WebSocket.
    pub ws: String,
    /// The PDF, once published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pdf: Option<String>,
    /// The CBZ, once published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cbz: Option<String>,
}

/// One phase of a job.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PhaseStatusView {
    /// 1..=8.
    pub phase: u32,
    /// `concept` … `publish`.
    pub name: &'static str,
    /// `pending`, `running`, `retrying`, `awaiting_review`, `approved`, `failed`.
    pub state: &'static str,
    /// Attempts made.
    pub attempts: u32,
    /// The last attempt's quality score.
    pub quality: Option<f32>,
    /// Why the score is not perfect.
    pub reasons: Vec<String>,
    /// Wall time of all attempts.
    pub duration_ms: Option<u64>,
    /// Why it failed.
    pub error: Option<String>,
    /// Model calls of all attempts, per provider and model: requests, tokens, images, cache hits, retries, cost_usd.
    #[schema(value_type = Vec<Object>)]
    pub usage: Vec<AiUsage>,
}

/// A job as its owner sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobView {
    /// The id.
    pub id: String,
    /// The title, once known.
    pub title: Option<String>,
    /// `pending`, `running`, `awaiting_review`, `paused`, `succeeded`, `failed`, `cancelled`.
    pub state: &'static str,
    /// `auto` or `review`.
    pub mode: &'static str,
    /// The current version.
    pub version: u32,
    /// The phase running, awaiting review, or last run (1..=8).
    pub current_phase: Option<u32>,
    /// Why the job failed.
    pub error: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// All eight phases, in order.
    pub phases: Vec<PhaseStatusView>,
    /// Model calls of the whole job, per provider and model.
    #[schema(value_type = Vec<Object>)]
    pub usage: Vec<AiUsage>,
    /// Estimated cost of the job's model calls in US dollars, at list prices.
    pub cost_usd: f64,
    /// Where to go next.
    pub links: JobLinks,
}

impl JobView {
    /// The view of a stored job and its machine.
    pub fn new(job: &JobRecord, machine: &JobMachine) -> Self {
        let failed_phase = (job.state == JobState::Failed).then_some(job.current_phase).flatten();
        let phases = PhaseId::ALL
            .into_iter()
            .map(|phase| {
                let record = machine.record(phase);
                let failed = failed_phase == Some(phase);
                PhaseStatusView {
                    phase: phase.number(),
                    name: phase.name(),
                    state: if failed { "failed" } else { machine.state(phase).as_str() },
                    attempts: record.map_or(0, |r| r.attempts),
                    quality: record.map(|r| r.quality.get()),
                    reasons: record.map(|r| r.reasons.clone()).unwrap_or_default(),
                    duration_ms: record.map(|r| r.duration_ms),
                    error: if failed { job.error.clone() } else { None },
                    usage: record.map(|r| r.usage.clone()).unwrap_or_default(),
                }
            })
            .collect::<Vec<_>>();
        let usage = AiUsage::merge(phases.iter().flat_map(|p| &p.usage));
        let state =
            if job.state == JobState::AwaitingReview && machine.is_paused() { "paused" } else { job.state.as_str() };
        let base = format!("/v1/jobs/{}", job.id);
        let published = job.state == JobState::Succeeded;
        Self {
            id: job.id.to_string(),
            title: job.title.clone().or_else(|| job.options.title.clone()),
            state,
            mode: job.mode.as_str(),
            version: job.current_version.get(),
            current_phase: job.current_phase.map(PhaseId::number),
            error: job.error.clone(),
            created_at: job.created_at,
            updated_at: job.updated_at,
            cost_usd: usage.iter().map(|u| u.cost_usd).sum(),
            usage,
            phases,
            links: JobLinks {
                events: format!("{base}/events"),
                ws: format!("/ws/jobs/{}", job.id),
                pdf: published.then(|| format!("{base}/artifacts/manga.pdf")),
                cbz: published.then(|| format!("{base}/artifacts/manga.cbz")),
                this: base,
            },
        }
    }
}

/// `GET /v1/jobs`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobList {
    /// Newest first.
    pub jobs: Vec<JobView>,
}

/// An image to show for a phase.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Preview {
    /// `portrait`, `panel`, `lettered`, `page`, `thumbnail`.
    pub kind: &'static str,
    /// A caption.
    pub label: String,
    /// What to regenerate to redo it (`panel:p01-2`, `page:1`, `portrait:kandata`).
    pub target: Option<String>,
    /// Where to fetch it.
    pub url: String,
}

impl Preview {
    /// A preview of an artifact, linked by the version and name in its key.
    pub fn of(job: JobId, kind: &'static str, label: String, target: Option<String>, key: &ArtifactKey) -> Self {
        let url = artifact_url(job, key);
        Self { kind, label, target, url }
    }
}

/// The API URL of an artifact key (`jobs/{job}/v{n}/{name}` → `/v1/jobs/{job}/artifacts/{name}?version=n`).
pub fn artifact_url(job: JobId, key: &ArtifactKey) -> String {
    let mut parts = key.as_str().splitn(4, '/');
    let (_, _, version, name) = (parts.next(), parts.next(), parts.next(), parts.next());
    match (version.and_then(|v| v.strip_prefix('v')), name) {
        (Some(v), Some(name)) => format!("/v1/jobs/{job}/artifacts/{name}?version={v}"),
        _ => format!("/v1/jobs/{job}/artifacts/{key}"),
    }
}

/// A one-click choice offered for a phase.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Preset {
    /// The button's text.
    pub label: String,
    /// The feedback it sends.
    #[schema(value_type = Object)]
    pub action: FeedbackAction,
}

/// `GET /v1/jobs/{id}/phases/{n}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PhaseDetail {
    /// 1..=8.
    pub phase: u32,
    /// `concept` … `publish`.
    pub name: &'static str,
    /// As in the job view.
    pub state: &'static str,
    /// The version shown.
    pub version: u32,
    /// The phase's output JSON; null until it has run.
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    /// Images to show.
    pub previews: Vec<Preview>,
    /// One-click feedback.
    pub presets: Vec<Preset>,
}

/// `POST /v1/jobs/{id}/feedback`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct FeedbackBody {
    /// The phase, 1..=8.
    #[schema(minimum = 1, maximum = 8)]
    pub phase: u32,
    /// `approve`, `revise` (with `comment`), `regenerate` (with `target`), `edit` (with `field` and `value`).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub action: FeedbackAction,
    /// Only say what the change would redo.
    #[serde(default)]
    pub dry_run: bool,
}

/// What feedback did (or, for a dry run, would do).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FeedbackOutcome {
    /// The version the change makes (the current one for approve and dry runs).
    pub version: u32,
    /// The version it branched from.
    pub parent: Option<u32>,
    /// What it redoes.
    pub plan: Plan,
    /// The job after it.
    pub job: JobView,
}

/// `POST /v1/jobs/{id}/chat`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ChatBody {
    /// The person's words.
    pub message: String,
    /// The phase being looked at, as context.
    pub phase: Option<u32>,
}

/// One version of a job.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionView {
    /// Its number.
    pub version: u32,
    /// The version it branched from.
    pub parent: Option<u32>,
    /// Why it was made.
    pub note: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<&VersionRecord> for VersionView {
    fn from(v: &VersionRecord) -> Self {
        Self {
            version: v.number.get(),
            parent: v.parent.map(Version::get),
            note: v.note.clone(),
            created_at: v.created_at,
        }
    }
}

/// `GET /v1/jobs/{id}/versions`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionList {
    /// The current version.
    pub current: u32,
    /// Oldest first.
    pub versions: Vec<VersionView>,
}

/// `POST /v1/jobs/{id}/versions/{v}/branch`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct BranchBody {
    /// Why.
    pub note: Option<String>,
}

/// A new branch.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BranchOutcome {
    /// The new version.
    pub version: u32,
    /// The version it copies.
    pub parent: u32,
    /// The job after it.
    pub job: JobView,
}
