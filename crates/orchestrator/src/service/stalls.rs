//! No job left running with nothing in flight. A job whose step has not
//! changed within the phase deadline has its request sent again (a duplicate
//! is harmless: runs are idempotent per attempt); after `max_resends` the job
//! fails with a reason a person can read. The same re-send resumes every
//! unfinished job when `manga serve` starts again, since its in-memory bus
//! lost whatever was in flight. A step whose phase run is still held under a
//! live lease is being worked on, however quiet, and is not sent again.

use std::time::Duration;

use manga_domain::PhaseId;
use manga_proto::PhaseAddress;
use manga_store::{JobRecord, JobState, PhaseRunKey};

use super::{JobService, ServiceError, machine_of};
use crate::events::JobEvent;
use crate::machine::Step;

/// Jobs looked at per state and sweep; the rest wait for the next sweep.
const SWEEP_BATCH: u32 = 100;

/// Why a job is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Nudge {
    /// Its step outlived the phase deadline: counted, bounded.
    Stalled,
    /// The process that ran it restarted: nothing of it can still be in flight.
    Resumed,
}

impl JobService {
    /// Sends again the step of every job that has not changed within the phase
    /// deadline, and fails those already sent `max_resends` times. Returns how
    /// many jobs it touched.
    ///
    /// # Errors
    /// [`ServiceError::Unavailable`] when the store fails.
    pub async fn sweep_stalled(&self) -> Result<usize, ServiceError> {
        let deadline = chrono::Duration::from_std(self.settings.phase_deadline).unwrap_or(chrono::Duration::MAX);
        self.nudge_all(chrono::Utc::now() - deadline, Nudge::Stalled).await
    }

    /// Sends again the step of every unfinished job, whatever its age (at the
    /// start of a process whose bus kept nothing). Returns how many.
    ///
    /// # Errors
    /// [`ServiceError::Unavailable`] when the store fails.
    pub async fn resume_unfinished(&self) -> Result<usize, ServiceError> {
        self.nudge_all(chrono::Utc::now(), Nudge::Resumed).await
    }

    async fn nudge_all(&self, before: chrono::DateTime<chrono::Utc>, why: Nudge) -> Result<usize, ServiceError> {
        let mut touched = 0;
        for state in [JobState::Pending, JobState::Running] {
            for job in self.store.list_jobs_in_state(state, before, SWEEP_BATCH).await? {
                match self.nudge(job, why).await {
                    Ok(true) => touched += 1,
                    Ok(false) => {}
                    // Another instance moved the job meanwhile: it is not stalled.
                    Err(ServiceError::Conflict(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(touched)
    }

    /// Sends one job's current step again, or fails the job when it was sent often enough.
    async fn nudge(&self, job: JobRecord, why: Nudge) -> Result<bool, ServiceError> {
        let mut machine = machine_of(&job)?;
        let step = match machine.current_step() {
            // A job row whose first step was never saved (the process died between the two writes).
            Step::Done if job.state == JobState::Pending && !machine.is_done() => machine.start(),
            step => step,
        };
        let Step::Run { run, attempt, .. } = &step else {
            // Running in the row but reviewing or done in the machine: save what the machine says.
            let job = self.save(&job, &machine, &step, None).await?;
            self.act(&job, &machine, step).await;
            return Ok(true);
        };
        let phase = run.phase();
        if why == Nudge::Stalled && self.still_held(&job, phase, *attempt).await? {
            return Ok(false);
        }
        if why == Nudge::Stalled && machine.resends() >= self.settings.max_resends {
            let sends = machine.resends() + 1;
            let reason = format!(
                "phase {phase} attempt {attempt} made no progress in about {}, though its request was sent {sends} \
                 times; the phase service may be down or failing",
                about(self.settings.phase_deadline * sends)
            );
            let at = PhaseAddress { job: job.id, version: job.current_version, phase, attempt: *attempt };
            self.fail_job(at, &reason).await?;
            return Ok(true);
        }
        if why == Nudge::Stalled {
            machine.count_resend();
        }
        let job = self.save(&job, &machine, &step, None).await?;
        let message = match why {
            Nudge::Stalled => format!("phase {phase} made no progress in time; its request was sent again"),
            Nudge::Resumed => format!("phase {phase} resumed after a restart"),
        };
        tracing::warn!(job_id = %job.id, phase = phase.name(), attempt, resends = machine.resends(), "{message}");
        let event = JobEvent::new(job.id, job.current_version.get(), Some(phase.number()), "phase_resent", message);
        self.events.publish(event).await;
        self.act(&job, &machine, step).await;
        Ok(true)
    }

    /// Whether a phase service is still working on the step: its run is under a
    /// lease its heartbeat keeps renewing. Long work (phase 5 of a big job) is
    /// then left alone rather than run twice, for up to `max_resends + 1`
    /// deadlines from its start; past that it counts as stalled like any other.
    async fn still_held(&self, job: &JobRecord, phase: PhaseId, attempt: u32) -> Result<bool, ServiceError> {
        let key = PhaseRunKey { job: job.id, version: job.current_version, phase, attempt };
        let Some(run) = self.store.get_phase_run(key).await? else { return Ok(false) };
        let now = chrono::Utc::now();
        let patience = self.settings.phase_deadline * (self.settings.max_resends + 1);
        let patience = chrono::Duration::from_std(patience).unwrap_or(chrono::Duration::MAX);
        let held = run.is_held_at(now) && now - run.started_at < patience;
        if held {
            tracing::debug!(run = %key, "a quiet step is still held by its phase service; not re-sent");
        }
        Ok(held)
    }

    /// Runs [`Self::sweep_stalled`] until the task is dropped, every tenth of the phase
    /// deadline (between 1 s and a minute).
    pub fn spawn_stall_sweeper(&self) -> tokio::task::JoinHandle<()> {
        let every = (self.settings.phase_deadline / 10).clamp(Duration::from_secs(1), Duration::from_secs(60));
        self.spawn_sweep(every, "stall", |me| async move { me.sweep_stalled().await })
    }
}

/// A wait in words: seconds up to two minutes, else minutes (rounded up).
fn about(wait: Duration) -> String {
    let seconds = wait.as_secs_f64().ceil() as u64;
    if seconds < 120 { format!("{seconds} s") } else { format!("{} minutes", seconds.div_ceil(60)) }
}
