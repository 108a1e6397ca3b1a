//! The job state machine, without I/O: which phase runs next, given each
//! result. The embedded loop and the fleet's event handler drive the same
//! machine, and it serialises, so the fleet can keep it in Postgres.

use std::collections::BTreeMap;

use manga_domain::{PhaseId, PhaseRecord, Quality, QualityReport};
use serde::{Deserialize, Serialize};

/// How many times the quality gate may run a phase before accepting it as it is.
pub const MAX_QUALITY_ATTEMPTS: u32 = 3;

/// One quality-gate retry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Retry {
    /// The phase whose check failed.
    pub checked_by: PhaseId,
    /// The phase re-run.
    pub phase: PhaseId,
    /// The score that failed the gate.
    pub score: f32,
    /// Why.
    pub reasons: Vec<String>,
}

/// What to do next.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Send this phase's request.
    Run {
        /// The phase.
        phase: PhaseId,
        /// Its attempt number (every run of a phase gets a new one: the idempotency key).
        attempt: u32,
        /// Set when the quality gate sent us back.
        retry: Option<Retry>,
    },
    /// Every phase has run; the job is published.
    Done,
}

/// A job's progress through the phases.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JobMachine {
    attempts: BTreeMap<PhaseId, u32>,
    gate_runs: BTreeMap<PhaseId, u32>,
    records: BTreeMap<PhaseId, PhaseRecord>,
    retries: Vec<Retry>,
    awaiting: Option<(PhaseId, u32)>,
}

impl JobMachine {
    /// The first step: phase 1, attempt 1.
    pub fn start(&mut self) -> Step {
        self.run(PhaseId::Concept, None)
    }

    /// Whether a result for (`phase`, `attempt`) is the one being waited for
    /// (anything else is a stale or duplicate delivery).
    pub fn expects(&self, phase: PhaseId, attempt: u32) -> bool {
        self.awaiting == Some((phase, attempt))
    }

    /// The phase and attempt being waited for.
    pub fn awaiting(&self) -> Option<(PhaseId, u32)> {
        self.awaiting
    }

    /// Takes a successful result and decides the next step: the next phase,
    /// the phase to blame if the score is below 0.70 and it has tries left, or done.
    pub fn on_result(&mut self, phase: PhaseId, attempt: u32, report: &QualityReport, duration_ms: u64) -> Step {
        self.awaiting = None;
        let reasons: Vec<String> = report.reasons.iter().map(|r| r.message.clone()).collect();
        let record = self.records.entry(phase).or_insert_with(|| PhaseRecord {
            phase,
            attempts: 0,
            quality: Quality::PERFECT,
            reasons: Vec::new(),
            duration_ms: 0,
        });
        record.attempts = attempt;
        record.quality = report.score;
        record.reasons = reasons.clone();
        record.duration_ms += duration_ms;

        if !report.score.passes() {
            // Blame this phase or an earlier one; never a later one, which has not run yet.
            let blame = report.most_to_blame().filter(|b| *b <= phase).unwrap_or(phase);
            if self.gate_runs.get(&blame).copied().unwrap_or(0) < MAX_QUALITY_ATTEMPTS {
                let retry = Retry { checked_by: phase, phase: blame, score: report.score.get(), reasons };
                self.retries.push(retry.clone());
                return self.run(blame, Some(retry));
            }
        }
        match phase.next() {
            Some(next) => self.run(next, None),
            None => Step::Done,
        }
    }

    fn run(&mut self, phase: PhaseId, retry: Option<Retry>) -> Step {
        let attempt = self.attempts.entry(phase).or_default();
        *attempt += 1;
        let attempt = *attempt;
        *self.gate_runs.entry(phase).or_default() += 1;
        self.awaiting = Some((phase, attempt));
        Step::Run { phase, attempt, retry }
    }

    /// One record per phase that has run, in phase order.
    pub fn records(&self) -> Vec<PhaseRecord> {
        self.records.values().cloned().collect()
    }

    /// The quality-gate retries so far.
    pub fn retries(&self) -> &[Retry] {
        &self.retries
    }
}

#[cfg(test)]
mod tests {
    use manga_domain::Reason;

    use super::*;

    fn report(score: f32, blame: PhaseId) -> QualityReport {
        let reasons = vec![Reason { code: "x".into(), message: "bad".into(), blame, penalty: 1.0 - score }];
        QualityReport::from_reasons(reasons)
    }

    fn run(step: &Step) -> (PhaseId, u32) {
        match step {
            Step::Run { phase, attempt, .. } => (*phase, *attempt),
            Step::Done => panic!("expected a run, got done"),
        }
    }

    #[test]
    fn good_results_walk_the_phases_in_order_then_finish() {
        let mut m = JobMachine::default();
        let mut step = m.start();
        for phase in PhaseId::ALL {
            assert_eq!(run(&step), (phase, 1));
            assert!(m.expects(phase, 1) && !m.expects(phase, 2));
            step = m.on_result(phase, 1, &QualityReport::perfect(), 5);
        }
        assert_eq!(step, Step::Done);
        assert_eq!(m.records().len(), 8);
        assert!(m.retries().is_empty());
    }

    #[test]
    fn a_failing_score_sends_the_job_back_to_the_phase_to_blame_with_a_new_attempt() {
        let mut m = JobMachine::default();
        let mut step = m.start();
        while run(&step).0 != PhaseId::Compose {
            let (phase, attempt) = run(&step);
            step = m.on_result(phase, attempt, &QualityReport::perfect(), 1);
        }
        let step = m.on_result(PhaseId::Compose, 1, &report(0.4, PhaseId::Images), 1);
        assert_eq!(run(&step), (PhaseId::Images, 2));
        let step = m.on_result(PhaseId::Images, 2, &QualityReport::perfect(), 1);
        assert_eq!(run(&step), (PhaseId::Lettering, 2), "what follows the redone phase runs again");
        assert_eq!(m.retries()[0].checked_by, PhaseId::Compose);
    }

    #[test]
    fn the_gate_gives_up_after_three_runs_and_a_later_phase_is_never_blamed() {
        let mut m = JobMachine::default();
        let mut step = m.start();
        for expected in 1..=MAX_QUALITY_ATTEMPTS {
            assert_eq!(run(&step), (PhaseId::Concept, expected));
            step = m.on_result(PhaseId::Concept, expected, &report(0.1, PhaseId::Publish), 1);
        }
        assert_eq!(run(&step), (PhaseId::Characters, 1), "accepted after {MAX_QUALITY_ATTEMPTS} runs");
        assert_eq!(m.retries().len(), 2);
        assert!(m.retries().iter().all(|r| r.phase == PhaseId::Concept));
    }

    #[test]
    fn the_machine_survives_a_round_trip_through_json() {
        let mut m = JobMachine::default();
        let step = m.start();
        let (phase, attempt) = run(&step);
        m.on_result(phase, attempt, &report(0.5, PhaseId::Concept), 3);
        let json = serde_json::to_string(&m).unwrap();
        let back: JobMachine = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
        assert!(back.expects(PhaseId::Concept, 2));
    }
}
