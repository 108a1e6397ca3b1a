//! The job state machine, without I/O: which phase runs next, given each
//! result and each decision of the person. The embedded loop, the fleet's
//! event handler and the API drive the same machine, and it serialises, so
//! the fleet keeps it in Postgres.
//!
//! Work is a queue of [`PlannedRun`]s. A new job queues phases 1..=8; a
//! change (a revised phase, a redrawn panel, an edited line) puts the runs
//! it needs at the front. In review mode a run marked `review_after` stops
//! the machine in [`Step::AwaitReview`] until [`JobMachine::approve`].

use std::collections::{BTreeMap, VecDeque};

use manga_domain::{AiUsage, CharacterId, PanelId, PhaseId, PhaseRecord, Quality, QualityReport};
use serde::{Deserialize, Serialize};

/// How many times the quality gate may run a phase before handing it to the person.
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

/// One phase to run, possibly narrowed to some panels or portraits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedRun {
    /// The phase.
    pub phase: Option<PhaseId>,
    /// Only these panels (phases 5–7); empty = all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub panels: Vec<PanelId>,
    /// Only these portraits (phase 2); empty = the whole bible.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub characters: Vec<CharacterId>,
    /// In review mode, stop for the person once this run has passed.
    #[serde(default)]
    pub review_after: bool,
}

impl PlannedRun {
    /// A whole phase.
    pub fn whole(phase: PhaseId) -> Self {
        Self { phase: Some(phase), ..Self::default() }
    }

    /// The phase (always set for queued runs; `Option` only so `Default` exists).
    pub fn phase(&self) -> PhaseId {
        self.phase.unwrap_or(PhaseId::Concept)
    }
}

/// How a phase stands, as the person sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseState {
    /// Not run yet.
    Pending,
    /// Requested, no result yet.
    Running,
    /// Run again by the quality gate.
    Retrying,
    /// Done; waiting for the person (review mode).
    AwaitingReview,
    /// Done and accepted (by the person, or automatically in auto mode).
    Approved,
    /// Failed permanently.
    Failed,
}

impl PhaseState {
    /// The API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Retrying => "retrying",
            Self::AwaitingReview => "awaiting_review",
            Self::Approved => "approved",
            Self::Failed => "failed",
        }
    }
}

/// What to do next.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Send this phase's request.
    Run {
        /// The run (phase and narrowing).
        run: PlannedRun,
        /// Its attempt number (every run of a phase gets a new one: the idempotency key).
        attempt: u32,
        /// Set when the quality gate sent us back.
        retry: Option<Retry>,
    },
    /// Wait for the person's decision on this phase.
    AwaitReview {
        /// The phase to review.
        phase: PhaseId,
        /// Why the machine stopped here if not by plan (the gate gave up), for the person.
        reasons: Vec<String>,
    },
    /// Every phase has run; the job is published.
    Done,
}

/// Why the machine refused a decision.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MachineError {
    /// Approval of a phase that is not waiting for it.
    #[error("phase {phase} is not awaiting review (it is {state})")]
    NotAwaitingReview {
        /// The phase named.
        phase: PhaseId,
        /// How it stands.
        state: &'static str,
    },
    /// A change while a phase is still running.
    #[error("phase {phase} is still running; send the change once it has finished")]
    Busy {
        /// The running phase.
        phase: PhaseId,
    },
    /// A change to a phase that has not produced anything yet.
    #[error("phase {phase} has not run yet, so there is nothing to change")]
    NotRunYet {
        /// The phase named.
        phase: PhaseId,
    },
}

/// A job's progress through the phases.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JobMachine {
    attempts: BTreeMap<PhaseId, u32>,
    gate_runs: BTreeMap<PhaseId, u32>,
    records: BTreeMap<PhaseId, PhaseRecord>,
    retries: Vec<Retry>,
    /// The run in flight and its attempt.
    #[serde(default)]
    in_flight: Option<(PlannedRun, u32)>,
    #[serde(default)]
    queue: VecDeque<PlannedRun>,
    #[serde(default)]
    review: bool,
    #[serde(default)]
    states: BTreeMap<PhaseId, PhaseState>,
    /// The phase waiting for the person.
    #[serde(default)]
    reviewing: Option<PhaseId>,
    /// Set when the feedback wait ran out and the default action is to pause.
    #[serde(default)]
    paused: bool,
    #[serde(default)]
    done: bool,
    /// How often the run in flight was sent again because it made no progress in time.
    #[serde(default)]
    resends: u32,
}

impl JobMachine {
    /// A machine for a new job: phases 1..=8, stopping after each for the person when `review`.
    pub fn new(review: bool) -> Self {
        let queue = PhaseId::ALL.into_iter().map(|p| PlannedRun { review_after: review, ..PlannedRun::whole(p) });
        Self { review, queue: queue.collect(), ..Self::default() }
    }

    /// The first step: phase 1, attempt 1.
    pub fn start(&mut self) -> Step {
        if self.queue.is_empty() && self.records.is_empty() {
            *self = Self::new(self.review);
        }
        self.next()
    }

    /// Whether a result for (`phase`, `attempt`) is the one being waited for
    /// (anything else is a stale or duplicate delivery).
    pub fn expects(&self, phase: PhaseId, attempt: u32) -> bool {
        self.awaiting() == Some((phase, attempt))
    }

    /// The phase and attempt being waited for.
    pub fn awaiting(&self) -> Option<(PhaseId, u32)> {
        self.in_flight.as_ref().map(|(run, attempt)| (run.phase(), *attempt))
    }

    /// The run in flight.
    pub fn in_flight(&self) -> Option<&PlannedRun> {
        self.in_flight.as_ref().map(|(run, _)| run)
    }

    /// Whether the job pauses for the person after each phase.
    pub fn is_review(&self) -> bool {
        self.review
    }

    /// The phase waiting for the person, if any.
    pub fn reviewing(&self) -> Option<PhaseId> {
        self.reviewing
    }

    /// Whether the feedback wait ran out and the job was paused.
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// How often the run in flight was sent again by the stall sweep.
    pub fn resends(&self) -> u32 {
        self.resends
    }

    /// Counts one more re-send of the run in flight.
    pub fn count_resend(&mut self) {
        self.resends += 1;
    }

    /// Whether every phase has run and nothing is queued.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// How `phase` stands.
    pub fn state(&self, phase: PhaseId) -> PhaseState {
        self.states.get(&phase).copied().unwrap_or(PhaseState::Pending)
    }

    /// The highest phase that has produced output (changes may touch it and what precedes it).
    pub fn frontier(&self) -> Option<PhaseId> {
        self.records.keys().next_back().copied()
    }

    /// Takes a successful result and decides the next step: the phase to
    /// blame if the score is below 0.70 and it has tries left, a stop for
    /// review, the next queued run, or done.
    pub fn on_result(
        &mut self,
        phase: PhaseId,
        attempt: u32,
        report: &QualityReport,
        duration_ms: u64,
        usage: &[AiUsage],
    ) -> Step {
        if !self.expects(phase, attempt) {
            // Not what we wait for: nothing changes.
            return self.current_step();
        }
        let Some((run, _)) = self.in_flight.take() else { return self.current_step() };
        let reasons: Vec<String> = report.reasons.iter().map(|r| r.message.clone()).collect();
        let record = self.add_attempt(phase, attempt, duration_ms, usage);
        record.quality = report.score;
        record.reasons = reasons.clone();

        if !report.score.passes() {
            // Blame this phase or an earlier one; never a later one, which has not run yet.
            let blame = report.most_to_blame().filter(|b| *b <= phase).unwrap_or(phase);
            if self.gate_runs.get(&blame).copied().unwrap_or(0) < MAX_QUALITY_ATTEMPTS {
                let retry = Retry { checked_by: phase, phase: blame, score: report.score.get(), reasons };
                self.retries.push(retry.clone());
                // Redo the blamed phase and what follows it up to the checker, with the same narrowing.
                let mut redo: Vec<PlannedRun> = PhaseId::ALL
                    .into_iter()
                    .filter(|p| *p > blame && *p <= phase)
                    .map(|p| PlannedRun { phase: Some(p), review_after: false, ..run.clone() })
                    .collect();
                if let Some(last) = redo.last_mut() {
                    last.review_after = run.review_after;
                }
                let first =
                    PlannedRun { phase: Some(blame), review_after: run.review_after && blame == phase, ..run.clone() };
                for later in redo.into_iter().rev() {
                    self.queue.push_front(later);
                }
                return self.launch(first, Some(retry));
            }
            if self.review {
                // The gate gave up: the person decides, with the reasons shown.
                return self.stop_for_review(phase, reasons);
            }
        }
        if run.review_after && self.review {
            return self.stop_for_review(phase, Vec::new());
        }
        self.states.insert(phase, PhaseState::Approved);
        self.next()
    }

    /// Records that `phase` failed for good; what its attempt spent still counts.
    pub fn on_failure(&mut self, phase: PhaseId, attempt: u32, duration_ms: u64, usage: &[AiUsage]) {
        self.in_flight = None;
        self.states.insert(phase, PhaseState::Failed);
        self.add_attempt(phase, attempt, duration_ms, usage);
    }

    /// The phase's record with one more attempt added: its time and, since every attempt was
    /// paid for, its usage add up.
    fn add_attempt(&mut self, phase: PhaseId, attempt: u32, duration_ms: u64, usage: &[AiUsage]) -> &mut PhaseRecord {
        let record = self.records.entry(phase).or_insert_with(|| PhaseRecord {
            phase,
            attempts: 0,
            quality: Quality::PERFECT,
            reasons: Vec::new(),
            duration_ms: 0,
            usage: Vec::new(),
        });
        record.attempts = attempt;
        record.duration_ms += duration_ms;
        record.usage = AiUsage::merge(record.usage.iter().chain(usage));
        record
    }

    /// The person accepts `phase`: the machine goes on.
    ///
    /// # Errors
    /// [`MachineError::NotAwaitingReview`] when `phase` is not the one waiting.
    pub fn approve(&mut self, phase: PhaseId) -> Result<Step, MachineError> {
        if self.reviewing != Some(phase) {
            return Err(MachineError::NotAwaitingReview { phase, state: self.state(phase).as_str() });
        }
        self.reviewing = None;
        self.paused = false;
        self.states.insert(phase, PhaseState::Approved);
        Ok(self.next())
    }

    /// The feedback wait ran out and the default action is to pause: the
    /// job stays where it is, marked paused, until the person approves.
    pub fn pause(&mut self) {
        if self.reviewing.is_some() {
            self.paused = true;
        }
    }

    /// Checks a change to `phase` could be applied now.
    ///
    /// # Errors
    /// [`MachineError::Busy`] while a run is in flight; [`MachineError::NotRunYet`] for a phase with no output.
    pub fn can_change(&self, phase: PhaseId) -> Result<(), MachineError> {
        if let Some((running, _)) = self.awaiting() {
            return Err(MachineError::Busy { phase: running });
        }
        if !self.records.contains_key(&phase) {
            return Err(MachineError::NotRunYet { phase });
        }
        Ok(())
    }

    /// Applies a change: `runs` (in phase order) go to the front of the
    /// queue, dropping any for phases that have not produced output yet
    /// (they run later in the normal course). In review mode the machine
    /// stops after the last of them; with nothing to run it stops on
    /// `phase` again (the edit is the new output to review).
    ///
    /// # Errors
    /// As [`Self::can_change`].
    pub fn apply_change(&mut self, phase: PhaseId, runs: Vec<PlannedRun>) -> Result<Step, MachineError> {
        self.can_change(phase)?;
        let frontier = self.frontier().unwrap_or(PhaseId::Concept);
        let mut runs: Vec<PlannedRun> = runs.into_iter().filter(|r| r.phase() <= frontier).collect();
        for run in &mut runs {
            run.review_after = false;
        }
        self.done = false;
        self.paused = false;
        let reviewing = self.reviewing.take();
        let Some(last) = runs.last_mut() else {
            return Ok(match reviewing {
                Some(p) => self.stop_for_review(p, Vec::new()),
                None if self.queue.is_empty() => self.finish(),
                None => self.next(),
            });
        };
        // Stop for review after the change, on what was being reviewed if it re-ran, else on the last re-run.
        last.review_after = self.review;
        for run in runs.into_iter().rev() {
            self.queue.push_front(run);
        }
        Ok(self.next())
    }

    /// What the machine is doing now, as a step (for re-sending after a restart).
    pub fn current_step(&self) -> Step {
        if let Some((run, attempt)) = &self.in_flight {
            return Step::Run { run: run.clone(), attempt: *attempt, retry: None };
        }
        if let Some(phase) = self.reviewing {
            return Step::AwaitReview { phase, reasons: Vec::new() };
        }
        Step::Done
    }

    fn next(&mut self) -> Step {
        match self.queue.pop_front() {
            Some(run) => self.launch(run, None),
            None => self.finish(),
        }
    }

    fn finish(&mut self) -> Step {
        self.done = true;
        Step::Done
    }

    fn stop_for_review(&mut self, phase: PhaseId, reasons: Vec<String>) -> Step {
        self.reviewing = Some(phase);
        self.states.insert(phase, PhaseState::AwaitingReview);
        Step::AwaitReview { phase, reasons }
    }

    fn launch(&mut self, run: PlannedRun, retry: Option<Retry>) -> Step {
        let phase = run.phase();
        let attempt = self.attempts.entry(phase).or_default();
        *attempt += 1;
        let attempt = *attempt;
        *self.gate_runs.entry(phase).or_default() += 1;
        self.in_flight = Some((run.clone(), attempt));
        self.resends = 0;
        self.states.insert(phase, if retry.is_some() { PhaseState::Retrying } else { PhaseState::Running });
        // Phases queued after this one have to run again.
        for later in &self.queue {
            if self.records.contains_key(&later.phase()) && self.state(later.phase()) != PhaseState::Running {
                self.states.insert(later.phase(), PhaseState::Pending);
            }
        }
        Step::Run { run, attempt, retry }
    }

    /// Resets the quality gate's count for `phase`, for a change asked by the person.
    pub fn reset_gate(&mut self, phase: PhaseId) {
        self.gate_runs.remove(&phase);
    }

    /// One record per phase that has run, in phase order.
    pub fn records(&self) -> Vec<PhaseRecord> {
        self.records.values().cloned().collect()
    }

    /// The record of one phase, if it has run.
    pub fn record(&self, phase: PhaseId) -> Option<&PhaseRecord> {
        self.records.get(&phase)
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
            Step::Run { run, attempt, .. } => (run.phase(), *attempt),
            other => panic!("expected a run, got {other:?}"),
        }
    }

    fn finish(m: &mut JobMachine, step: &Step) -> Step {
        let (phase, attempt) = run(step);
        m.on_result(phase, attempt, &QualityReport::perfect(), 1, &[])
    }

    #[test]
    fn good_results_walk_the_phases_in_order_then_finish() {
        let mut m = JobMachine::new(false);
        let mut step = m.start();
        for phase in PhaseId::ALL {
            assert_eq!(run(&step), (phase, 1));
            assert!(m.expects(phase, 1) && !m.expects(phase, 2));
            assert_eq!(m.state(phase), PhaseState::Running);
            step = m.on_result(phase, 1, &QualityReport::perfect(), 5, &[]);
            assert_eq!(m.state(phase), PhaseState::Approved);
        }
        assert_eq!(step, Step::Done);
        assert!(m.is_done());
        assert_eq!(m.records().len(), 8);
        assert!(m.retries().is_empty());
    }

    #[test]
    fn a_failing_score_sends_the_job_back_to_the_phase_to_blame_with_a_new_attempt() {
        let mut m = JobMachine::new(false);
        let mut step = m.start();
        while run(&step).0 != PhaseId::Compose {
            step = finish(&mut m, &step);
        }
        let step = m.on_result(PhaseId::Compose, 1, &report(0.4, PhaseId::Images), 1, &[]);
        assert_eq!(run(&step), (PhaseId::Images, 2));
        assert_eq!(m.state(PhaseId::Images), PhaseState::Retrying);
        let step = finish(&mut m, &step);
        assert_eq!(run(&step), (PhaseId::Lettering, 2), "what follows the redone phase runs again");
        let step = finish(&mut m, &step);
        assert_eq!(run(&step), (PhaseId::Compose, 2));
        let step = finish(&mut m, &step);
        assert_eq!(run(&step), (PhaseId::Publish, 1));
        assert_eq!(m.retries()[0].checked_by, PhaseId::Compose);
    }

    #[test]
    fn the_gate_gives_up_after_three_runs_and_a_later_phase_is_never_blamed() {
        let mut m = JobMachine::new(false);
        let mut step = m.start();
        for expected in 1..=MAX_QUALITY_ATTEMPTS {
            assert_eq!(run(&step), (PhaseId::Concept, expected));
            step = m.on_result(PhaseId::Concept, expected, &report(0.1, PhaseId::Publish), 1, &[]);
        }
        assert_eq!(run(&step), (PhaseId::Characters, 1), "accepted after {MAX_QUALITY_ATTEMPTS} runs");
        assert_eq!(m.retries().len(), 2);
        assert!(m.retries().iter().all(|r| r.phase == PhaseId::Concept));
    }

    #[test]
    fn usage_adds_up_over_attempts_failed_ones_too_and_a_duplicate_result_adds_nothing() {
        let spent = |requests, cost_usd| AiUsage {
            provider: "gemini".into(),
            model: "gemini-2.5-flash".into(),
            requests,
            cost_usd,
            ..AiUsage::default()
        };
        let mut m = JobMachine::new(false);
        m.start();
        let step = m.on_result(PhaseId::Concept, 1, &report(0.1, PhaseId::Concept), 1, &[spent(2, 0.01)]);
        assert_eq!(run(&step), (PhaseId::Concept, 2));
        m.on_result(PhaseId::Concept, 2, &QualityReport::perfect(), 1, &[spent(1, 0.02)]);
        m.on_result(PhaseId::Concept, 2, &QualityReport::perfect(), 1, &[spent(9, 9.0)]);
        let usage = &m.records()[0].usage;
        assert_eq!(usage.len(), 1);
        assert_eq!(usage[0].requests, 3);
        assert!((usage[0].cost_usd - 0.03).abs() < 1e-9, "{}", usage[0].cost_usd);

        // A failed attempt was paid for too.
        let step = m.on_result(PhaseId::Characters, 1, &report(0.1, PhaseId::Characters), 1, &[spent(4, 0.04)]);
        assert_eq!(run(&step), (PhaseId::Characters, 2));
        m.on_failure(PhaseId::Characters, 2, 1, &[spent(5, 0.05)]);
        assert_eq!(m.state(PhaseId::Characters), PhaseState::Failed);
        let record = &m.records()[1];
        assert_eq!((record.phase, record.attempts, record.usage[0].requests), (PhaseId::Characters, 2, 9));
        assert!((record.usage[0].cost_usd - 0.09).abs() < 1e-9, "{}", record.usage[0].cost_usd);
    }

    #[test]
    fn in_review_mode_when_the_gate_gives_up_the_person_decides() {
        let mut m = JobMachine::new(true);
        let mut step = m.start();
        for expected in 1..=MAX_QUALITY_ATTEMPTS {
            step = m.on_result(PhaseId::Concept, expected, &report(0.1, PhaseId::Concept), 1, &[]);
        }
        match step {
            Step::AwaitReview { phase, reasons } => {
                assert_eq!(phase, PhaseId::Concept);
                assert_eq!(reasons, vec!["bad".to_owned()]);
            }
            other => panic!("expected a review stop, got {other:?}"),
        }
    }

    #[test]
    fn review_mode_stops_after_every_phase_until_approved() {
        let mut m = JobMachine::new(true);
        let mut step = m.start();
        for phase in PhaseId::ALL {
            assert_eq!(run(&step), (phase, 1));
            let stop = finish(&mut m, &step);
            assert_eq!(stop, Step::AwaitReview { phase, reasons: vec![] });
            assert_eq!(m.state(phase), PhaseState::AwaitingReview);
            let wrong = phase.next().unwrap_or(PhaseId::Concept);
            assert!(m.approve(wrong).is_err(), "approving {wrong} while {phase} waits");
            step = m.approve(phase).unwrap();
            assert_eq!(m.state(phase), PhaseState::Approved);
        }
        assert_eq!(step, Step::Done);
    }

    #[test]
    fn a_change_runs_only_its_plan_then_stops_for_review_where_it_was() {
        let mut m = JobMachine::new(true);
        let mut step = m.start();
        // Run through phase 5 and stop there for review.
        loop {
            let phase = run(&step).0;
            finish(&mut m, &step);
            if phase == PhaseId::Images {
                break;
            }
            step = m.approve(phase).unwrap();
        }
        assert_eq!(m.reviewing(), Some(PhaseId::Images));
        let panel = PanelId::parse("p02-1").unwrap();
        let plan: Vec<PlannedRun> = [PhaseId::Images, PhaseId::Lettering, PhaseId::Compose, PhaseId::Publish]
            .into_iter()
            .map(|p| PlannedRun { panels: vec![panel], ..PlannedRun::whole(p) })
            .collect();
        let step = m.apply_change(PhaseId::Images, plan).unwrap();
        let Step::Run { run: redo, attempt, .. } = &step else { panic!("expected a run, got {step:?}") };
        assert_eq!((redo.phase(), *attempt, redo.panels.clone()), (PhaseId::Images, 2, vec![panel]));
        assert!(m.can_change(PhaseId::Images).is_err(), "busy while the redraw runs");
        // Phases 6..8 have not run yet: they were dropped from the plan and come in the normal course.
        let stop = finish(&mut m, &step);
        assert_eq!(stop, Step::AwaitReview { phase: PhaseId::Images, reasons: vec![] });
        let next = m.approve(PhaseId::Images).unwrap();
        let Step::Run { run: next, .. } = next else { panic!("expected lettering") };
        assert_eq!((next.phase(), next.panels.is_empty()), (PhaseId::Lettering, true));
    }

    #[test]
    fn a_change_to_a_finished_auto_job_runs_its_plan_and_finishes_again() {
        let mut m = JobMachine::new(false);
        let mut step = m.start();
        while step != Step::Done {
            step = finish(&mut m, &step);
        }
        assert!(m.can_change(PhaseId::Name).is_ok());
        let plan = vec![PlannedRun::whole(PhaseId::Lettering), PlannedRun::whole(PhaseId::Publish)];
        let mut step = m.apply_change(PhaseId::Name, plan).unwrap();
        assert!(!m.is_done());
        let mut ran = Vec::new();
        while step != Step::Done {
            ran.push(run(&step).0);
            step = finish(&mut m, &step);
        }
        assert_eq!(ran, vec![PhaseId::Lettering, PhaseId::Publish]);
        assert!(m.is_done());
    }

    #[test]
    fn changes_to_phases_that_have_not_run_are_refused() {
        let mut m = JobMachine::new(true);
        let step = m.start();
        assert_eq!(m.can_change(PhaseId::Concept), Err(MachineError::Busy { phase: PhaseId::Concept }));
        finish(&mut m, &step);
        assert_eq!(m.can_change(PhaseId::Images), Err(MachineError::NotRunYet { phase: PhaseId::Images }));
        assert!(m.can_change(PhaseId::Concept).is_ok());
    }

    #[test]
    fn a_stale_result_changes_nothing() {
        let mut m = JobMachine::new(false);
        let step = m.start();
        let before = m.clone();
        let again = m.on_result(PhaseId::Plot, 7, &QualityReport::perfect(), 1, &[]);
        assert_eq!(again, step);
        assert_eq!(m, before);
    }

    #[test]
    fn the_machine_survives_a_round_trip_through_json() {
        let mut m = JobMachine::new(true);
        let step = m.start();
        let (phase, attempt) = run(&step);
        m.on_result(phase, attempt, &report(0.5, PhaseId::Concept), 3, &[]);
        let json = serde_json::to_string(&m).unwrap();
        let back: JobMachine = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
        assert!(back.expects(PhaseId::Concept, 2));
    }
}
