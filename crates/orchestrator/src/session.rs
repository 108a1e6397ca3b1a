//! A job's HITL session, copied out after every change the service saves
//! ([`SessionMirror`]): in the fleet, to Redis (`session:{job_id}`, TTL
//! 3600 s), where other orchestrator instances and dashboards read it
//! cheaply. Postgres holds the truth; the copy is rewritten whole after every
//! change, so it is never more than one write behind.

use std::time::Duration;

use async_trait::async_trait;
use manga_store::JobRecord;

use crate::machine::JobMachine;

/// Why a copy failed: the mirror's own error, kept whole.
pub type MirrorError = Box<dyn std::error::Error + Send + Sync>;

/// Where the service copies each job's session after a change.
#[async_trait]
pub trait SessionMirror: Send + Sync {
    /// Rewrites the copy of `job`'s session from the machine just saved with it.
    async fn mirror(&self, job: &JobRecord, machine: &JobMachine, feedback_wait: Duration) -> Result<(), MirrorError>;
    /// Whether the copy's home answers, for `/ready`.
    async fn ping(&self) -> Result<(), MirrorError>;
}

#[cfg(feature = "fleet")]
pub use redis::session_of;

#[cfg(feature = "fleet")]
mod redis {
    use std::collections::BTreeMap;

    use async_trait::async_trait;
    use chrono::Duration as ChronoDuration;
    use manga_cache::{Cache, Session};
    use manga_domain::PhaseId;
    use manga_store::{JobRecord, JobState};

    use super::{MirrorError, SessionMirror};
    use crate::machine::JobMachine;
    use crate::views::JobView;

    /// The session that mirrors `job`: its owner, the phase it is at, when a
    /// pending review times out, and a summary of every phase that has a state.
    pub fn session_of(job: &JobRecord, machine: &JobMachine, feedback_wait: std::time::Duration) -> Session {
        let view = JobView::new(job, machine);
        let phase_results: BTreeMap<PhaseId, serde_json::Value> = PhaseId::ALL
            .into_iter()
            .zip(&view.phases)
            .filter(|(_, p)| p.state != "pending")
            .map(|(phase, p)| {
                let summary = serde_json::json!({
                    "state": p.state,
                    "attempts": p.attempts,
                    "quality": p.quality,
                    "duration_ms": p.duration_ms,
                });
                (phase, summary)
            })
            .collect();
        let feedback_timeout = (job.state == JobState::AwaitingReview && !machine.is_paused())
            .then(|| job.updated_at + ChronoDuration::from_std(feedback_wait).unwrap_or(ChronoDuration::MAX));
        Session {
            job_id: job.id,
            user_id: job.user.to_string(),
            // Before phase 1 is requested and after the last one the session still names a phase.
            current_phase: job.current_phase.unwrap_or(if job.state.is_terminal() {
                PhaseId::Publish
            } else {
                PhaseId::Concept
            }),
            feedback_timeout,
            session_start: job.created_at,
            phase_results,
        }
    }

    #[async_trait]
    impl SessionMirror for Cache {
        async fn mirror(
            &self,
            job: &JobRecord,
            machine: &JobMachine,
            feedback_wait: std::time::Duration,
        ) -> Result<(), MirrorError> {
            Ok(self.put_session(&session_of(job, machine, feedback_wait)).await?)
        }

        async fn ping(&self) -> Result<(), MirrorError> {
            Ok(Cache::ping(self).await?)
        }
    }
}
