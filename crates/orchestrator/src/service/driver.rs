//! The job driver: the one place a job's [`JobMachine`] is moved on. Each
//! change is saved with compare-and-set and then acted on (a phase request
//! sent, watchers told); results, dead letters and the sweeps come in here,
//! whether from the in-process bus (`manga generate`, `manga serve`) or from
//! Pub/Sub pushes (the fleet).

use std::time::Duration;

use manga_domain::{ArtifactKey, Concept, PhaseId, Version};
use manga_phases::PhaseScope;
use manga_phases::handler::scoped_request_message;
use manga_proto::{PhaseAddress, PhaseResult, PhaseStatus, ProgressEvent};
use manga_store::{JobAdvance, JobRecord, JobState, StoreError};

use super::{JobService, ServiceError, TimeoutAction, machine_of};
use crate::events::JobEvent;
use crate::machine::{JobMachine, PlannedRun, Step};
use crate::views::JobView;

impl JobService {
    /// Saves the machine with the state its step implies (compare-and-set), and a snapshot for restores.
    pub(super) async fn save(
        &self,
        job: &JobRecord,
        machine: &JobMachine,
        step: &Step,
        version: Option<Version>,
    ) -> Result<JobRecord, ServiceError> {
        let (state, phase) = match step {
            Step::Run { run, .. } => (JobState::Running, Some(run.phase())),
            Step::AwaitReview { phase, .. } => (JobState::AwaitingReview, Some(*phase)),
            Step::Done => (JobState::Succeeded, None),
        };
        let value = serde_json::to_value(machine).map_err(|e| ServiceError::Unavailable(e.to_string()))?;
        let title = match (&job.title, machine.record(PhaseId::Concept)) {
            // The story's own title, once phase 1 has read it (the person's, when given, stays).
            (None, Some(_)) => {
                self.read_typed::<Concept>(job.id, job.current_version, PhaseId::Concept).await?.map(|c| c.title)
            }
            _ => None,
        };
        let advance =
            JobAdvance { state, current_phase: phase, current_version: version, machine: Some(value.clone()), title };
        let job = self.store.advance_job(job.id, job.revision, advance).await?;
        self.keep_snapshot(&job, machine, &value).await?;
        Ok(job)
    }

    /// Keeps a copy of the machine just saved with `job`: in the blob store, for restoring the
    /// version later, and in Redis when sessions are mirrored there.
    pub(super) async fn keep_snapshot(
        &self,
        job: &JobRecord,
        machine: &JobMachine,
        value: &serde_json::Value,
    ) -> Result<(), ServiceError> {
        let snapshot = serde_json::to_vec(value).map_err(|e| ServiceError::Unavailable(e.to_string()))?;
        self.blob.put(&ArtifactKey::machine(job.id, job.current_version), snapshot.into(), "application/json").await?;
        self.mirror_session(job, machine).await;
        Ok(())
    }

    /// Does what a saved step asks: send the request, or tell the watchers.
    /// Acts on a step the job has saved, logging a request that could not be sent.
    pub(super) async fn act(&self, job: &JobRecord, machine: &JobMachine, step: Step) {
        if let Err(e) = self.try_act(job, machine, step).await {
            // The job stays running with its step saved; sending it again is safe (idempotent runs).
            tracing::error!(job_id = %job.id, error = %e, "phase request not sent");
        }
    }

    /// Acts on a step the job has saved: sends the planned run, or tells who waits.
    ///
    /// # Errors
    /// [`ServiceError::Unavailable`] when the run's request could not be published.
    pub(super) async fn try_act(&self, job: &JobRecord, machine: &JobMachine, step: Step) -> Result<(), ServiceError> {
        let v = job.current_version.get();
        match step {
            Step::Run { run, attempt, retry } => {
                if let Some(retry) = retry {
                    let message =
                        format!("re-running {}: score {:.2}: {}", run.phase(), retry.score, retry.reasons.join("; "));
                    tracing::info!(job_id = %job.id, phase = run.phase().name(), "quality gate: {message}");
                    let event = JobEvent::new(job.id, v, Some(retry.checked_by.number()), "phase_retrying", message);
                    self.events.publish(event).await;
                }
                self.send(job, &run, attempt).await.map_err(|e| ServiceError::Unavailable(e.to_string()))?;
            }
            Step::AwaitReview { phase, reasons } => {
                let mut message = format!("{phase} is ready for review");
                if !reasons.is_empty() {
                    message = format!("{message}; the quality gate gave up: {}", reasons.join("; "));
                }
                self.metrics.reviews.inc();
                let mut event = JobEvent::new(job.id, v, Some(phase.number()), "awaiting_review", message);
                event.quality = machine.record(phase).map(|r| r.quality.get());
                self.events.publish(event).await;
            }
            Step::Done => {
                tracing::info!(job_id = %job.id, version = v, "job published");
                let mut event = JobEvent::new(job.id, v, Some(8), "job_finished", "published");
                event.data = serde_json::to_value(JobView::new(job, machine)).ok();
                self.events.publish(event).await;
            }
        }
        Ok(())
    }

    /// Publishes a phase request (safe to repeat: phases are idempotent per attempt).
    pub(super) async fn send(
        &self,
        job: &JobRecord,
        run: &PlannedRun,
        attempt: u32,
    ) -> Result<(), manga_bus::BusError> {
        let at = PhaseAddress { job: job.id, version: job.current_version, phase: run.phase(), attempt };
        let scope = PhaseScope { panels: run.panels.clone(), characters: run.characters.clone() };
        let mut message = scoped_request_message(at, job.options.seed, &scope);
        manga_runtime::telemetry::inject_current(&mut message.attributes);
        self.bus.publish(&run.phase().request_topic(), message).await.map(drop)
    }

    /// Takes a phase's result.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown job (the message can never succeed);
    /// [`ServiceError::Unavailable`] when the store fails (redeliver).
    pub async fn on_result(&self, result: &PhaseResult, at: PhaseAddress) -> Result<(), ServiceError> {
        for _ in 0..8 {
            let job = match self.store.get_job(at.job).await {
                Ok(job) => job,
                Err(StoreError::NotFound { .. }) => {
                    return Err(ServiceError::NotFound(format!("unknown job {}", at.job)));
                }
                Err(e) => return Err(e.into()),
            };
            if job.state.is_terminal() && job.state != JobState::Succeeded || at.version != job.current_version {
                // Cancelled or failed, or a version no longer current: nothing to act on.
                return Ok(());
            }
            let mut machine = machine_of(&job)?;
            if !machine.expects(at.phase, at.attempt) {
                // A duplicate of a result already acted on: make sure the request it led to went out.
                if let Step::Run { run, attempt, .. } = machine.current_step() {
                    self.send(&job, &run, attempt).await.map_err(|e| ServiceError::Unavailable(e.to_string()))?;
                }
                return Ok(());
            }
            if result.status() != PhaseStatus::Succeeded {
                machine.on_failure(at.phase, at.attempt, result.duration_ms, &result.usage());
                let reason = format!("phase {} failed: {}", at.phase, result.error);
                let value = serde_json::to_value(&machine).map_err(|e| ServiceError::Unavailable(e.to_string()))?;
                let advance = JobAdvance { machine: Some(value), ..JobAdvance::to(JobState::Running, Some(at.phase)) };
                match self.store.advance_job(job.id, job.revision, advance).await {
                    Err(StoreError::Conflict { .. }) => continue,
                    other => other?,
                };
                let failed = self.store.fail_job(job.id, &reason).await?;
                self.mirror_session(failed.get(), &machine).await;
                self.events
                    .publish(JobEvent::new(job.id, at.version.get(), Some(at.phase.number()), "job_failed", reason))
                    .await;
                return Ok(());
            }
            let step =
                machine.on_result(at.phase, at.attempt, &result.quality_report(), result.duration_ms, &result.usage());
            let job = match self.save(&job, &machine, &step, None).await {
                Err(ServiceError::Conflict(_)) => continue,
                other => other?,
            };
            // A request not sent fails this result, so it is redelivered; the redelivery is a
            // duplicate, and a duplicate sends the saved step again (above).
            return self.try_act(&job, &machine, step).await;
        }
        Err(ServiceError::Unavailable("the job kept changing under this result".into()))
    }

    /// A request that could not be delivered: the job fails with the reason, unless
    /// the request was for a run the job no longer waits for (a stale duplicate).
    ///
    /// # Errors
    /// [`ServiceError::Unavailable`] when the store fails.
    pub async fn on_dead_letter(&self, at: PhaseAddress, reason: &str) -> Result<(), ServiceError> {
        let job = match self.store.get_job(at.job).await {
            Ok(job) => job,
            Err(StoreError::NotFound { .. }) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let stale = job.current_version != at.version
            || (job.machine.is_some() && !machine_of(&job)?.expects(at.phase, at.attempt));
        if stale {
            tracing::info!(job_id = %at.job, phase = at.phase.name(), attempt = at.attempt,
                "dead letter of a run the job no longer waits for; ignored");
            return Ok(());
        }
        self.fail_job(at, reason).await
    }

    /// Ends a job as failed with `reason` (kept: the first reason wins), telling who watches.
    ///
    /// # Errors
    /// [`ServiceError::Unavailable`] when the store fails.
    pub async fn fail_job(&self, at: PhaseAddress, reason: &str) -> Result<(), ServiceError> {
        match self.store.fail_job(at.job, reason).await {
            Ok(recorded) => {
                match machine_of(recorded.get()) {
                    Ok(machine) => self.mirror_session(recorded.get(), &machine).await,
                    Err(e) => tracing::warn!(job_id = %at.job, error = %e, "session not mirrored to Redis"),
                }
                if recorded.is_new() {
                    tracing::warn!(job_id = %at.job, phase = at.phase.name(), reason, "job failed");
                    let event = JobEvent::new(at.job, at.version.get(), Some(at.phase.number()), "job_failed", reason);
                    self.events.publish(event).await;
                }
                Ok(())
            }
            Err(StoreError::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Passes a phase's progress on to the people watching.
    pub async fn on_progress(&self, event: &ProgressEvent) {
        self.events.publish(JobEvent::from_progress(event)).await;
    }

    /// Applies the timeout action to reviews that waited longer than allowed. Returns how many.
    ///
    /// # Errors
    /// [`ServiceError::Unavailable`] when the store fails.
    pub async fn sweep_reviews(&self) -> Result<usize, ServiceError> {
        let wait = chrono::Duration::from_std(self.settings.feedback_wait).unwrap_or(chrono::Duration::MAX);
        let before = chrono::Utc::now() - wait;
        let mut applied = 0;
        for job in self.store.list_jobs_in_state(JobState::AwaitingReview, before, 100).await? {
            let mut machine = machine_of(&job)?;
            let Some(phase) = machine.reviewing() else { continue };
            if machine.is_paused() {
                continue;
            }
            let (step, message) = match self.settings.timeout_action {
                TimeoutAction::Approve => (machine.approve(phase)?, format!("no review of {phase} in time: approved")),
                TimeoutAction::Pause => {
                    machine.pause();
                    (machine.current_step(), format!("no review of {phase} in time: paused"))
                }
            };
            let job = match self.save(&job, &machine, &step, None).await {
                Err(ServiceError::Conflict(_)) => continue,
                other => other?,
            };
            tracing::info!(job_id = %job.id, phase = phase.name(), "{message}");
            self.metrics.timeouts.inc();
            let event =
                JobEvent::new(job.id, job.current_version.get(), Some(phase.number()), "review_timeout", message);
            self.events.publish(event).await;
            if self.settings.timeout_action == TimeoutAction::Approve {
                self.act(&job, &machine, step).await;
            }
            applied += 1;
        }
        Ok(applied)
    }

    /// Runs [`Self::sweep_reviews`] every `every` until the task is dropped.
    pub fn spawn_review_sweeper(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        self.spawn_sweep(every, "review", |me| async move { me.sweep_reviews().await })
    }

    /// Runs `sweep` every `every` until the task is dropped; a failed sweep is logged and the next tries again.
    pub(super) fn spawn_sweep<F, Fut>(
        &self,
        every: Duration,
        what: &'static str,
        sweep: F,
    ) -> tokio::task::JoinHandle<()>
    where
        F: Fn(JobService) -> Fut + Send + 'static,
        Fut: Future<Output = Result<usize, ServiceError>> + Send,
    {
        let me = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if let Err(e) = sweep(me.clone()).await {
                    tracing::warn!(error = %e, sweep = what, "sweep failed");
                }
            }
        })
    }
}
