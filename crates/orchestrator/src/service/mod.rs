//! The orchestrator as a product: jobs kept in the store with their
//! [`JobMachine`], driven by phase results from the bus and by the person's
//! decisions; versions, feedback, chat, artifacts and live events.
//!
//! The same service runs in the fleet (Postgres, Pub/Sub push, Redis fan-out)
//! and embedded behind `manga serve` (SQLite, the in-memory bus, one process).
//! Every state change is a compare-and-set on the job's revision, so two
//! instances never double-advance a job; a lost race re-reads and re-decides.

mod artifacts;
mod driver;
mod feedback;
mod jobs;
mod stalls;
mod versions;

use std::sync::Arc;
use std::time::Duration;

use manga_ai::Models;
use manga_blob::{BlobError, BlobStore};
use manga_bus::Bus;
use manga_domain::PhaseId;
use manga_store::{JobMode, JobRecord, Store, StoreError};

use crate::events::EventHub;
use crate::machine::{JobMachine, MachineError};

/// What went wrong, in the words the API answers with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// The request is malformed or out of range (400).
    #[error("{0}")]
    BadInput(String),
    /// No such job (or not the caller's), version, phase output or artifact (404).
    #[error("{0}")]
    NotFound(String),
    /// The job is not in a state that allows this (409).
    #[error("{0}")]
    Conflict(String),
    /// Well-formed, but names something that does not exist or cannot be done (422).
    #[error("{0}")]
    Unprocessable(String),
    /// A dependency failed; retrying may work (503).
    #[error("{0}")]
    Unavailable(String),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { .. } => Self::NotFound(e.to_string()),
            StoreError::Conflict { .. } => Self::Conflict("the job changed meanwhile; try again".into()),
            other => Self::Unavailable(other.to_string()),
        }
    }
}

impl From<BlobError> for ServiceError {
    fn from(e: BlobError) -> Self {
        match e {
            BlobError::NotFound(key) => Self::NotFound(format!("artifact {key} does not exist")),
            other => Self::Unavailable(other.to_string()),
        }
    }
}

impl From<MachineError> for ServiceError {
    fn from(e: MachineError) -> Self {
        Self::Conflict(e.to_string())
    }
}

/// What happens when nobody answers a review in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutAction {
    /// Approve and go on.
    Approve,
    /// Leave the job paused until the person comes back.
    Pause,
}

/// The orchestrator's knobs.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    /// How long a review may wait (MAX_FEEDBACK_WAIT_TIME, default 1800 s).
    pub feedback_wait: Duration,
    /// What the timeout does.
    pub timeout_action: TimeoutAction,
    /// How long a job may run one step with no change before its request is
    /// sent again (PHASE_DEADLINE_SECONDS, default 900 s: a phase's five
    /// deliveries with Pub/Sub's backoff fit in it).
    pub phase_deadline: Duration,
    /// Re-sends of one step before the job fails with the reason (default 3).
    pub max_resends: u32,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        Self {
            feedback_wait: Duration::from_secs(1800),
            timeout_action: TimeoutAction::Approve,
            phase_deadline: Duration::from_secs(900),
            max_resends: 3,
        }
    }
}

/// The orchestrator service.
#[derive(Clone)]
pub struct JobService {
    store: Arc<dyn Store>,
    bus: Arc<dyn Bus>,
    blob: Arc<dyn BlobStore>,
    events: Arc<dyn EventHub>,
    models: Arc<Models>,
    settings: ServiceSettings,
    sessions: Option<Arc<dyn crate::session::SessionMirror>>,
    metrics: crate::metrics::HitlMetrics,
}

/// Longest story accepted, in characters (the same limit as the CLI).
pub const MAX_STORY_CHARS: usize = 200_000;

fn job_not_found() -> ServiceError {
    ServiceError::NotFound("no such job".into())
}

impl JobService {
    /// A service over the store, bus, blob store and event hub; `models` are the
    /// providers jobs may choose, and their text model parses chat messages.
    pub fn new(
        store: Arc<dyn Store>,
        bus: Arc<dyn Bus>,
        blob: Arc<dyn BlobStore>,
        events: Arc<dyn EventHub>,
        models: Arc<Models>,
        settings: ServiceSettings,
    ) -> Self {
        Self { store, bus, blob, events, models, settings, sessions: None, metrics: Default::default() }
    }

    /// Copies every job's session to `mirror` (Redis in the fleet) after each change.
    #[must_use]
    pub fn with_sessions(mut self, mirror: Arc<dyn crate::session::SessionMirror>) -> Self {
        self.sessions = Some(mirror);
        self
    }

    /// Rewrites the copy of `job`'s session from the machine just saved with
    /// it. It is a copy: a failure is logged, never the caller's error, and
    /// the next change rewrites it.
    async fn mirror_session(&self, job: &JobRecord, machine: &JobMachine) {
        let Some(mirror) = &self.sessions else { return };
        if let Err(e) = mirror.mirror(job, machine, self.settings.feedback_wait).await {
            tracing::warn!(job_id = %job.id, error = %e, "session not mirrored");
        }
    }

    /// The event hub, for streams.
    pub fn events(&self) -> &Arc<dyn EventHub> {
        &self.events
    }

    /// The providers jobs may choose.
    pub fn models(&self) -> &Models {
        &self.models
    }

    /// The HITL counters, to register on `/metrics`.
    pub fn metrics(&self) -> &crate::metrics::HitlMetrics {
        &self.metrics
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// A job's row and machine, whoever owns it: for a driver inside the process, not for the API.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown job; [`ServiceError::Unavailable`] when the store fails.
    pub async fn job_and_machine(&self, id: manga_domain::JobId) -> Result<(JobRecord, JobMachine), ServiceError> {
        let job = self.store.get_job(id).await?;
        let machine = machine_of(&job)?;
        Ok((job, machine))
    }

    /// Whether the dependencies answer: Postgres, the bus, and Redis when sessions are mirrored there.
    ///
    /// # Errors
    /// The first that does not, named, with its error.
    pub async fn ready(&self) -> Result<(), String> {
        self.store.ping().await.map_err(|e| format!("Postgres: {e}"))?;
        self.bus.ping().await.map_err(|e| format!("Pub/Sub: {e}"))?;
        if let Some(mirror) = &self.sessions {
            mirror.ping().await.map_err(|e| format!("Redis: {e}"))?;
        }
        Ok(())
    }
}

fn machine_of(job: &JobRecord) -> Result<JobMachine, ServiceError> {
    match &job.machine {
        Some(value) => serde_json::from_value(value.clone())
            .map_err(|e| ServiceError::Unavailable(format!("job {}'s state is unreadable: {e}", job.id))),
        None => Ok(JobMachine::new(job.mode == JobMode::Review)),
    }
}

fn parse_phase(n: u32) -> Result<PhaseId, ServiceError> {
    PhaseId::from_number(n).map_err(|_| ServiceError::BadInput(format!("phase must be 1 to 8, not {n}")))
}
