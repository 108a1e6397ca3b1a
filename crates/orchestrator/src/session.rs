//! The Redis copy of a job's HITL session (`session:{job_id}`, TTL 3600 s).
//!
//! Postgres holds the truth; the session is what other orchestrator
//! instances and dashboards read cheaply. It is rewritten whole after every
//! change the service saves, so it is never more than one write behind.

use std::collections::BTreeMap;

use chrono::Duration as ChronoDuration;
use manga_cache::Session;
use manga_domain::PhaseId;
use manga_store::{JobRecord, JobState};

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
