//! One job from story to publication: the state machine over the bus.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use manga_blob::BlobStore;
use manga_bus::{Bus, BusMessage, Subscription, topics};
use manga_domain::{ArtifactKey, JobId, JobOptions, PhaseId, PhaseRecord, StoryText, Version};
use manga_phases::handler::request_message;
use manga_proto::{PhaseAddress, PhaseResult, PhaseStatus, ProgressEvent, ProgressKind};
use prost::Message;
use serde::Serialize;

use crate::JobError;
use crate::machine::{JobMachine, Retry, Step};

/// How long one phase may take before the job gives up on it.
const PHASE_TIMEOUT: Duration = Duration::from_secs(600);

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
    /// What the job's model calls used, summed per provider and model over every phase.
    pub fn usage(&self) -> Vec<manga_domain::AiUsage> {
        manga_domain::AiUsage::merge(self.phases.iter().flat_map(|p| &p.usage))
    }
}

/// Drives jobs through the phases over a bus.
#[derive(Clone)]
pub struct Orchestrator {
    bus: Arc<dyn Bus>,
    blob: Arc<dyn BlobStore>,
}

impl Orchestrator {
    /// An orchestrator over a bus (phase workers must be listening on it) and the blob store they share.
    pub fn new(bus: Arc<dyn Bus>, blob: Arc<dyn BlobStore>) -> Self {
        Self { bus, blob }
    }

    /// Runs a job through all eight phases (auto mode).
    ///
    /// # Errors
    /// [`JobError`] when a phase fails permanently, times out, or storage fails.
    pub async fn run_job(&self, spec: &JobSpec) -> Result<JobReport, JobError> {
        let started = Instant::now();
        let version = Version::FIRST;
        let mut results = self.bus.subscribe(topics::PHASE_COMPLETED).await?;
        self.store_inputs(spec, version).await?;

        let mut machine = JobMachine::new(false);
        let mut step = machine.start();
        while let Step::Run { run, attempt, retry } = step {
            let phase = run.phase();
            if let Some(retry) = retry {
                tracing::info!(job_id = %spec.job, phase = retry.checked_by.name(), blame = phase.name(),
                    score = retry.score, "quality gate: retrying");
                let message = format!("re-running {phase}: score {:.2}: {}", retry.score, retry.reasons.join("; "));
                self.progress(spec.job, retry.checked_by, ProgressKind::PhaseRetrying, message).await;
            }
            let result = self.run_phase(&mut results, spec, version, phase, attempt).await?;
            step = machine.on_result(phase, attempt, &result.quality_report(), result.duration_ms, &result.usage());
        }
        self.progress(spec.job, PhaseId::Publish, ProgressKind::JobFinished, "published".into()).await;
        Ok(JobReport {
            job: spec.job,
            version,
            phases: machine.records(),
            retries: machine.retries().to_vec(),
            duration_ms: started.elapsed().as_millis() as u64,
        })
    }

    async fn store_inputs(&self, spec: &JobSpec, version: Version) -> Result<(), JobError> {
        let story = Bytes::from(spec.story.as_str().to_owned());
        self.blob.put(&ArtifactKey::story(spec.job, version), story, "text/plain; charset=utf-8").await?;
        let options = serde_json::to_vec_pretty(&spec.options).map_err(|e| manga_phases::PhaseError::BadArtifact {
            key: ArtifactKey::options(spec.job, version),
            message: e.to_string(),
        })?;
        self.blob.put(&ArtifactKey::options(spec.job, version), options.into(), "application/json").await?;
        Ok(())
    }

    /// Publishes one phase request and waits for its result.
    async fn run_phase(
        &self,
        results: &mut Subscription,
        spec: &JobSpec,
        version: Version,
        phase: PhaseId,
        attempt: u32,
    ) -> Result<PhaseResult, JobError> {
        let at = PhaseAddress { job: spec.job, version, phase, attempt };
        let message = request_message(at, spec.options.seed);
        self.bus.publish(&phase.request_topic(), message).await?;
        let wait = async {
            while let Some(message) = results.next().await {
                // Results of other jobs, or stale duplicates of earlier attempts, are not ours to act on.
                let Ok((result, at)) = PhaseResult::decode_checked(&message.data) else { continue };
                if at.job == spec.job && at.version == version && at.phase == phase && at.attempt == attempt {
                    return Ok(result);
                }
            }
            Err(JobError::Bus(manga_bus::BusError::Unavailable("the bus closed".into())))
        };
        let result = tokio::time::timeout(PHASE_TIMEOUT, wait)
            .await
            .map_err(|_| JobError::Timeout { phase, seconds: PHASE_TIMEOUT.as_secs() })??;
        if result.status() != PhaseStatus::Succeeded {
            self.progress(spec.job, phase, ProgressKind::JobFailed, result.error.clone()).await;
            return Err(JobError::PhaseFailed { phase, message: result.error });
        }
        Ok(result)
    }

    async fn progress(&self, job: JobId, phase: PhaseId, kind: ProgressKind, message: String) {
        let event = ProgressEvent {
            job_id: job.to_string(),
            version: 1,
            phase: phase.number(),
            kind: kind as i32,
            message,
            ..ProgressEvent::default()
        };
        if let Err(e) = self.bus.publish(topics::PROGRESS, BusMessage::new(event.encode_to_vec())).await {
            tracing::warn!(error = %e, "progress event not sent");
        }
    }
}
