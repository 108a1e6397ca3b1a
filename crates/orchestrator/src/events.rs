//! Live progress for people watching a job: one JSON event type, and a hub
//! that fans events out to every WebSocket and SSE stream of that job.
//!
//! - [`LocalHub`]: one process (`manga serve`, tests).
//! - `RedisHub` (the `fleet` feature): the fleet. Events go through the Redis channel
//!   `phase_progress:{id}` (and `hitl_feedback:{id}`, `session_timeout:{id}`),
//!   so a stream held by any orchestrator instance sees every event.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use manga_domain::JobId;
use manga_proto::{ProgressEvent, ProgressKind};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

#[cfg(feature = "fleet")]
mod redis;
#[cfg(feature = "fleet")]
pub use redis::RedisHub;

/// How many events a slow client may fall behind before it misses some.
const BUFFER: usize = 256;

/// One event about a job, as WebSocket and SSE clients receive it.
///
/// Hubs hand out `Arc<JobEvent>`: one event reaches every stream of its job
/// without a copy, and [`JobEvent::to_json`] encodes it once for all of them.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JobEvent {
    /// The job.
    pub job_id: String,
    /// The version the event is about.
    pub version: u32,
    /// The phase (1..=8), when the event is about one.
    pub phase: Option<u32>,
    /// `snapshot`, `phase_started`, `phase_progress`, `phase_finished`, `phase_retrying`,
    /// `awaiting_review`, `job_finished`, `job_failed`, `job_cancelled`, `version_created`,
    /// `feedback`, `chat`, `review_timeout`, `phase_resent` (the stall sweep sent a step again).
    pub kind: String,
    /// Units done (panels drawn, pages composed).
    pub done: u32,
    /// Units in all; 0 when not countable.
    pub total: u32,
    /// One line for a person.
    pub message: String,
    /// The phase's quality score, on `phase_finished`.
    pub quality: Option<f32>,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// A payload: the job on `snapshot`, the suggestion on `chat`, the outcome on `feedback`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Value>,
    /// Set when a client's request over the WebSocket failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The JSON text, made by the first stream that sends the event.
    #[serde(skip)]
    encoded: OnceLock<bytestring::ByteString>,
}

impl JobEvent {
    /// An event of `kind` about a job.
    pub fn new(job: JobId, version: u32, phase: Option<u32>, kind: &str, message: impl Into<String>) -> Self {
        Self {
            job_id: job.to_string(),
            version,
            phase,
            kind: kind.to_owned(),
            done: 0,
            total: 0,
            message: message.into(),
            quality: None,
            at: Utc::now(),
            data: None,
            error: None,
            encoded: OnceLock::new(),
        }
    }

    /// A phase service's progress message, as people see it.
    pub fn from_progress(event: &ProgressEvent) -> Self {
        let kind = match event.kind() {
            ProgressKind::PhaseStarted => "phase_started",
            ProgressKind::PhaseProgress => "phase_progress",
            ProgressKind::PhaseFinished => "phase_finished",
            ProgressKind::AwaitingReview => "awaiting_review",
            ProgressKind::JobFinished => "job_finished",
            ProgressKind::JobFailed => "job_failed",
            ProgressKind::PhaseRetrying => "phase_retrying",
            ProgressKind::Unspecified => "phase_progress",
        };
        Self {
            job_id: event.job_id.clone(),
            version: event.version,
            phase: (event.phase > 0).then_some(event.phase),
            kind: kind.to_owned(),
            done: event.done,
            total: event.total,
            message: event.message.clone(),
            quality: (event.kind() == ProgressKind::PhaseFinished).then_some(event.quality),
            at: Utc::now(),
            data: None,
            error: None,
            encoded: OnceLock::new(),
        }
    }

    /// The event as JSON, encoded on first use and shared by every stream
    /// that sends it (a clone is a reference count). Change no field after the first call.
    pub fn to_json(&self) -> bytestring::ByteString {
        self.encoded.get_or_init(|| serde_json::to_string(self).unwrap_or_else(|_| "{}".into()).into()).clone()
    }
}

/// Where job events go and where streams pick them up.
#[async_trait]
pub trait EventHub: Send + Sync {
    /// Sends an event to everyone following its job. Never fails the caller:
    /// live progress is a convenience, the store is the truth.
    async fn publish(&self, event: JobEvent);

    /// Follows a job's events from now on.
    async fn subscribe(&self, job: JobId) -> broadcast::Receiver<Arc<JobEvent>>;

    /// How many streams are open on this instance (for `/metrics`).
    fn open_streams(&self) -> usize;
}

/// Fan-out inside one process.
#[derive(Default)]
pub struct LocalHub {
    senders: Mutex<HashMap<JobId, broadcast::Sender<Arc<JobEvent>>>>,
}

impl LocalHub {
    /// A hub with no subscribers.
    pub fn new() -> Self {
        Self::default()
    }

    fn sender(&self, job: JobId) -> broadcast::Sender<Arc<JobEvent>> {
        let mut senders = self.senders.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Forget jobs nobody follows any more, so the map does not grow forever.
        senders.retain(|_, s| s.receiver_count() > 0);
        senders.entry(job).or_insert_with(|| broadcast::channel(BUFFER).0).clone()
    }

    fn deliver(&self, event: JobEvent) {
        let Ok(job) = JobId::parse(&event.job_id) else { return };
        let senders = self.senders.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(sender) = senders.get(&job) {
            // No receivers is fine: nobody is watching.
            sender.send(Arc::new(event)).ok();
        }
    }
}

#[async_trait]
impl EventHub for LocalHub {
    async fn publish(&self, event: JobEvent) {
        self.deliver(event);
    }

    async fn subscribe(&self, job: JobId) -> broadcast::Receiver<Arc<JobEvent>> {
        self.sender(job).subscribe()
    }

    fn open_streams(&self) -> usize {
        let senders = self.senders.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        senders.values().map(broadcast::Sender::receiver_count).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_local_hub_delivers_a_jobs_events_only_to_that_jobs_followers() {
        let hub = LocalHub::new();
        let (a, b) = (JobId::new(), JobId::new());
        let mut follows_a = hub.subscribe(a).await;
        let mut follows_b = hub.subscribe(b).await;
        assert_eq!(hub.open_streams(), 2);
        hub.publish(JobEvent::new(a, 1, Some(5), "phase_started", "images started")).await;
        let got = follows_a.recv().await.unwrap();
        assert_eq!((got.kind.as_str(), got.phase), ("phase_started", Some(5)));
        assert!(follows_b.try_recv().is_err(), "b saw a's event");
        drop(follows_a);
        drop(follows_b);
        hub.publish(JobEvent::new(a, 1, None, "job_finished", "done")).await;
        assert_eq!(hub.open_streams(), 0);
    }

    #[test]
    fn progress_messages_become_events_with_their_counts() {
        let job = JobId::new();
        let progress = ProgressEvent {
            job_id: job.to_string(),
            version: 2,
            phase: 5,
            kind: ProgressKind::PhaseProgress as i32,
            done: 3,
            total: 12,
            message: "panel p01-3 drawn".into(),
            ..ProgressEvent::default()
        };
        let event = JobEvent::from_progress(&progress);
        assert_eq!((event.kind.as_str(), event.done, event.total, event.version), ("phase_progress", 3, 12, 2));
        assert_eq!(event.quality, None);
        let json = serde_json::to_value(&event).unwrap();
        assert!(json.get("data").is_none() && json.get("error").is_none());
    }
}
