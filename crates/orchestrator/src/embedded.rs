//! The whole pipeline in one process, one job to the end: what `manga
//! generate`, the quality-gate tests and the benches run.
//!
//! It is [`LocalProduct`] with its database in memory: the same
//! [`JobService`] drives the job as in `manga serve` and the fleet, the
//! in-memory bus carries the same protobuf messages the fleet sends over
//! Pub/Sub, eight in-process workers run the same phase handlers, and
//! artifacts go to local files. No servers, no keys, no network.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use manga_ai::{ImageModel, LocalProvider, Models, TextModel};
use manga_blob::LocalBlobStore;
use manga_bus::InMemoryBus;
use manga_domain::{PhaseId, Version};
use manga_store::{JobMode, JobState};
use tokio::sync::broadcast::error::RecvError;

use crate::local::{LocalProduct, local_user};
use crate::service::{JobService, ServiceSettings};
use crate::{JobError, JobReport, JobSpec};

/// How often a job's row is read when no event says it ended (an event can be missed by a lagging follower).
const LOOK_EVERY: Duration = Duration::from_secs(2);

/// A running embedded pipeline. Dropping it stops the workers.
pub struct Embedded {
    product: LocalProduct,
    /// The bus, to watch the phases' messages on.
    pub bus: Arc<InMemoryBus>,
    /// Where artifacts are.
    pub blob: Arc<LocalBlobStore>,
}

impl Embedded {
    /// Starts the eight phase workers with the local provider, artifacts under `work_dir`.
    ///
    /// # Errors
    /// [`JobError`] if the database cannot be made or a worker cannot subscribe.
    pub async fn start(work_dir: &Path) -> Result<Self, JobError> {
        Self::start_with(work_dir, Arc::new(LocalProvider), Arc::new(LocalProvider)).await
    }

    /// Starts the workers with one text and one image model for every phase.
    ///
    /// # Errors
    /// As [`Self::start`].
    pub async fn start_with(
        work_dir: &Path,
        text: Arc<dyn TextModel>,
        image: Arc<dyn ImageModel>,
    ) -> Result<Self, JobError> {
        Self::start_with_models(work_dir, Arc::new(Models::single(text, image))).await
    }

    /// Starts the workers with the configured models (per phase, and a job's own choice).
    ///
    /// # Errors
    /// As [`Self::start`].
    pub async fn start_with_models(work_dir: &Path, models: Arc<Models>) -> Result<Self, JobError> {
        let product = LocalProduct::start_with(work_dir, ServiceSettings::default(), true, None, models).await?;
        let (bus, blob) = (product.bus.clone(), product.blob.clone());
        Ok(Self { product, bus, blob })
    }

    /// The service that drives jobs, for following their events.
    pub fn service(&self) -> &Arc<JobService> {
        &self.product.service
    }

    /// Runs a job through all eight phases (auto mode) and waits for its end.
    ///
    /// # Errors
    /// [`JobError::Failed`] when the job ends without publishing, with the reason the job
    /// records; [`JobError::Service`] when it cannot be started or its state cannot be read.
    pub async fn run_job(&self, spec: &JobSpec) -> Result<JobReport, JobError> {
        let started = Instant::now();
        let service = self.service();
        // Follow before starting, so no event of the job is missed.
        let mut events = service.events().subscribe(spec.job).await;
        service.start_job(&local_user(), spec, JobMode::Auto).await?;
        loop {
            match tokio::time::timeout(LOOK_EVERY, events.recv()).await {
                Ok(Ok(event)) if !matches!(event.kind.as_str(), "job_finished" | "job_failed" | "job_cancelled") => {
                    continue;
                }
                // An ending event, a missed one, or a quiet while: the row says where the job is.
                Ok(Ok(_) | Err(RecvError::Lagged(_))) | Err(_) => {}
                Ok(Err(RecvError::Closed)) => tokio::time::sleep(LOOK_EVERY).await,
            }
            let (job, machine) = service.job_and_machine(spec.job).await?;
            let phase = job.current_phase.unwrap_or(PhaseId::Publish);
            match job.state {
                JobState::Succeeded => {
                    let duration_ms = started.elapsed().as_millis() as u64;
                    return Ok(JobReport::of(spec.job, Version::FIRST, &machine, duration_ms));
                }
                JobState::Failed => {
                    let reason = job.error.unwrap_or_else(|| format!("phase {phase} failed"));
                    return Err(JobError::Failed { phase, reason });
                }
                JobState::Cancelled => return Err(JobError::Failed { phase, reason: "the job was cancelled".into() }),
                _ => {}
            }
        }
    }
}
