//! The one store trait, implemented by [`crate::PgStore`] and [`crate::SqliteStore`]
//! and held to one contract (`tests/contract.rs`).

use async_trait::async_trait;
use manga_domain::{JobId, Version};

use crate::{
    ArtifactRecord, FeedbackRecord, JobAdvance, JobRecord, LeaseHolder, MessageKey, NewFeedback, NewJob, PhaseRunKey,
    PhaseRunOutcome, PhaseRunRecord, ProcessedMessage, Revision, RunClaim, StoreError, UserId, VersionRecord,
};

/// The result of an idempotent write: whether it changed anything, with the row as it now is.
#[derive(Debug, Clone, PartialEq)]
pub enum Recorded<T> {
    /// This call wrote the row.
    New(T),
    /// The row was already there (a duplicate delivery); nothing changed.
    Unchanged(T),
}

impl<T> Recorded<T> {
    /// Whether this call wrote the row.
    pub fn is_new(&self) -> bool {
        matches!(self, Self::New(_))
    }

    /// The row.
    pub fn get(&self) -> &T {
        match self {
            Self::New(t) | Self::Unchanged(t) => t,
        }
    }

    /// The row, owned.
    pub fn into_inner(self) -> T {
        match self {
            Self::New(t) | Self::Unchanged(t) => t,
        }
    }
}

/// The system of record for jobs, versions, phase runs, artifacts, feedback
/// and processed Pub/Sub messages.
///
/// Every method's errors are [`StoreError`]s: check
/// [`StoreError::is_transient`] before retrying.
#[async_trait]
pub trait Store: crate::WorkItems + Send + Sync {
    /// Checks the database answers (for `/ready`).
    ///
    /// # Errors
    /// A transient [`StoreError::Database`] when it does not.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Creates a job in state `pending` at revision 1, with its version 1.
    ///
    /// # Errors
    /// [`StoreError::Database`] (a unique violation) when the id exists.
    async fn create_job(&self, job: NewJob) -> Result<JobRecord, StoreError>;

    /// Reads a job.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when there is no such job.
    async fn get_job(&self, id: JobId) -> Result<JobRecord, StoreError>;

    /// A user's jobs, newest first, at most `limit`. Other users' jobs never appear.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    async fn list_jobs(&self, user: &UserId, limit: u32) -> Result<Vec<JobRecord>, StoreError>;

    /// Jobs of every user in `state` whose row was last written before
    /// `updated_before`, oldest first, at most `limit` (for the review-timeout sweep).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    async fn list_jobs_in_state(
        &self,
        state: crate::JobState,
        updated_before: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<Vec<JobRecord>, StoreError>;

    /// Writes a job's new state and phase if its revision is still `expected`,
    /// and bumps the revision: of two orchestrators advancing from the same
    /// revision, exactly one succeeds.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when another writer got there first (re-read
    /// and decide again); [`StoreError::NotFound`] when there is no such job.
    async fn advance_job(&self, id: JobId, expected: Revision, to: JobAdvance) -> Result<JobRecord, StoreError>;

    /// Marks a job failed with the reason, whatever its revision (a dead
    /// letter does not know it), so any in-flight advance then conflicts.
    /// A job already succeeded, failed or cancelled is left as it is.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when there is no such job.
    async fn fail_job(&self, id: JobId, reason: &str) -> Result<Recorded<JobRecord>, StoreError>;

    /// Makes the job's next version, branching from `parent`.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the job or the parent version does not exist.
    async fn create_version(
        &self,
        job: JobId,
        parent: Version,
        note: Option<&str>,
    ) -> Result<VersionRecord, StoreError>;

    /// A job's versions, oldest first.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when there is no such job.
    async fn list_versions(&self, job: JobId) -> Result<Vec<VersionRecord>, StoreError>;

    /// Claims a phase run for one delivery, in one statement: a new run starts
    /// held by `holder` until `lease` from now; a `running` run whose lease ran
    /// out is taken over (its lease renewed for `holder`); a run held under a
    /// live lease, or finished, is returned as it is.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the job's version does not exist.
    async fn claim_phase_run(
        &self,
        key: PhaseRunKey,
        holder: &LeaseHolder,
        lease: std::time::Duration,
    ) -> Result<RunClaim, StoreError>;

    /// Extends `holder`'s lease on a running run to `lease` from now (a
    /// heartbeat). False when the run has finished or another holder took it.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    async fn renew_phase_run(
        &self,
        key: PhaseRunKey,
        holder: &LeaseHolder,
        lease: std::time::Duration,
    ) -> Result<bool, StoreError>;

    /// Ends `holder`'s lease at once (its attempt failed transiently, or its
    /// request was cut), so the next delivery takes the run over without
    /// waiting. False when `holder` no longer held it.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    async fn release_phase_run(&self, key: PhaseRunKey, holder: &LeaseHolder) -> Result<bool, StoreError>;

    /// Ends every lease on running runs and their items, for a process that is the only one
    /// on its database starting again (`manga serve`): nothing from before can still hold
    /// one, and its re-sent steps should not wait for leases of the dead. Returns how many
    /// runs were held.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    async fn release_every_lease(&self) -> Result<u64, StoreError>;

    /// Records how a started run ended. The first outcome wins: a later call
    /// returns [`Recorded::Unchanged`] with the stored run.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the run was never started.
    async fn finish_phase_run(
        &self,
        key: PhaseRunKey,
        outcome: PhaseRunOutcome,
    ) -> Result<Recorded<PhaseRunRecord>, StoreError>;

    /// One run, if it was ever claimed.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    async fn get_phase_run(&self, key: PhaseRunKey) -> Result<Option<PhaseRunRecord>, StoreError>;

    /// The runs of one version of a job, in the order they started.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    async fn list_phase_runs(&self, job: JobId, version: Version) -> Result<Vec<PhaseRunRecord>, StoreError>;

    /// Records an artifact; recording the same key again replaces its
    /// metadata (a retried phase rewrites its outputs).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the job's version does not exist.
    async fn record_artifact(&self, artifact: &ArtifactRecord) -> Result<(), StoreError>;

    /// The artifacts of one version, by key.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    async fn list_artifacts(&self, job: JobId, version: Version) -> Result<Vec<ArtifactRecord>, StoreError>;

    /// Records the person's feedback.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when the job's version does not exist.
    async fn record_feedback(&self, feedback: NewFeedback) -> Result<FeedbackRecord, StoreError>;

    /// A job's feedback, in the order received.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    async fn list_feedback(&self, job: JobId) -> Result<Vec<FeedbackRecord>, StoreError>;

    /// Records a message that can never succeed (undecodable, unknown job)
    /// with its reason; use [`MessageKey::undecodable`] when it has no
    /// meaning to key by. The first poison reason is kept.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    async fn record_poison(&self, message_id: &str, key: &MessageKey, reason: &str) -> Result<(), StoreError>;

    /// What became of a message, if it was seen.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    async fn processed_message(&self, key: &MessageKey) -> Result<Option<ProcessedMessage>, StoreError>;
}
