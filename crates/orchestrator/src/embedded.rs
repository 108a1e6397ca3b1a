//! The whole pipeline in one process: no servers, no keys, no network.
//!
//! An in-memory bus carries the same protobuf messages the fleet sends over
//! Pub/Sub, eight in-process workers run the same phase handlers the phase
//! services run, and artifacts go to local files.

use std::path::Path;
use std::sync::Arc;

use manga_ai::{ImageModel, LocalProvider, Models, TextModel};
use manga_blob::LocalBlobStore;
use manga_bus::InMemoryBus;
use manga_domain::PhaseId;
use manga_phases::PhaseContext;
use tokio::task::JoinHandle;

use crate::{JobError, Orchestrator};

/// A running embedded pipeline. Dropping it stops the workers.
pub struct Embedded {
    /// Drives jobs.
    pub orchestrator: Orchestrator,
    /// The bus, to watch progress on.
    pub bus: Arc<InMemoryBus>,
    /// Where artifacts are.
    pub blob: Arc<LocalBlobStore>,
    workers: Vec<JoinHandle<()>>,
}

impl Embedded {
    /// Starts the eight phase workers with the local provider, artifacts under `work_dir`.
    ///
    /// # Errors
    /// [`JobError::Bus`] if a worker cannot subscribe.
    pub async fn start(work_dir: &Path) -> Result<Self, JobError> {
        Self::start_with(work_dir, Arc::new(LocalProvider), Arc::new(LocalProvider)).await
    }

    /// Starts the workers with one text and one image model for every phase.
    ///
    /// # Errors
    /// [`JobError::Bus`] if a worker cannot subscribe.
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
    /// [`JobError::Bus`] if a worker cannot subscribe.
    pub async fn start_with_models(work_dir: &Path, models: Arc<Models>) -> Result<Self, JobError> {
        let bus = Arc::new(InMemoryBus::new());
        let blob = Arc::new(LocalBlobStore::new(work_dir));
        let ctx = PhaseContext::with_models(blob.clone(), models, bus.clone());
        let mut workers = Vec::with_capacity(PhaseId::ALL.len());
        for phase in PhaseId::ALL {
            workers.push(manga_phases::handler::serve(ctx.clone(), phase).await?);
        }
        Ok(Self { orchestrator: Orchestrator::new(bus.clone(), blob.clone()), bus, blob, workers })
    }
}

impl Drop for Embedded {
    fn drop(&mut self) {
        for worker in &self.workers {
            worker.abort();
        }
    }
}
