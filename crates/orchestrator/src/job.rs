//! What a job is asked to make and how a finished one went, as the CLI and
//! the embedded pipeline see it. [`crate::service::JobService`] drives it.

use manga_domain::{JobId, JobOptions, PhaseRecord, StoryText, Version};
use serde::Serialize;

use crate::machine::{JobMachine, Retry};

/// What to make.
#[derive(Debug, Clone)]
pub struct JobSpec {
    /// The job's id.
    pub job: JobId,
    /// The story.
    pub story: StoryText,
    /// The person's options.
    pub options: JobOptions,
}

/// How a finished job went.
#[derive(Debug, Clone, Serialize)]
pub struct JobReport {
    /// The job.
    pub job: JobId,
    /// The version built.
    pub version: Version,
    /// One record per phase, in order (the last attempt's quality).
    pub phases: Vec<PhaseRecord>,
    /// Phases the quality gate re-ran, with why.
    pub retries: Vec<Retry>,
    /// Wall time of the whole job in milliseconds.
    pub duration_ms: u64,
}

impl JobReport {
    /// The report of `job`'s `version` from its machine.
    pub fn of(job: JobId, version: Version, machine: &JobMachine, duration_ms: u64) -> Self {
        Self { job, version, phases: machine.records(), retries: machine.retries().to_vec(), duration_ms }
    }

    /// What the job's model calls used, summed per provider and model over every phase.
    pub fn usage(&self) -> Vec<manga_domain::AiUsage> {
        manga_domain::AiUsage::merge(self.phases.iter().flat_map(|p| &p.usage))
    }
}
