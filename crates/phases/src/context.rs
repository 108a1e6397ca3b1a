use std::sync::Arc;
use std::time::Instant;

use manga_ai::{ImageModel, Models, TextModel};
use manga_blob::BlobStore;
use manga_bus::{Bus, BusMessage, topics};
use manga_domain::{JobOptions, PhaseId};
use manga_proto::{PhaseAddress, ProgressEvent, ProgressKind};
use prost::Message;

use crate::PhaseError;

/// What every phase needs from the outside world.
#[derive(Clone)]
pub struct PhaseContext {
    /// Where artifacts live.
    pub blob: Arc<dyn BlobStore>,
    /// The configured models, and which one each phase (or a job's own choice) uses.
    pub models: Arc<Models>,
    /// Where progress events go.
    pub bus: Arc<dyn Bus>,
    /// How many images to draw at once: min(cpus × 2, 8).
    pub image_concurrency: usize,
}

impl PhaseContext {
    /// One text and one image model for every phase (tests, custom wiring).
    pub fn new(
        blob: Arc<dyn BlobStore>,
        text: Arc<dyn TextModel>,
        image: Arc<dyn ImageModel>,
        bus: Arc<dyn Bus>,
    ) -> Self {
        Self::with_models(blob, Arc::new(Models::single(text, image)), bus)
    }

    /// A context over the configured models, with the image concurrency the design asks for: min(cpus × 2, 8).
    pub fn with_models(blob: Arc<dyn BlobStore>, models: Arc<Models>, bus: Arc<dyn Bus>) -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        Self { blob, models, bus, image_concurrency: (cpus * 2).min(8) }
    }

    /// The text model `phase` of this job uses.
    ///
    /// # Errors
    /// [`PhaseError::Invalid`] when the job asks for a provider not configured here.
    pub fn text(&self, phase: PhaseId, options: &JobOptions) -> Result<Arc<dyn TextModel>, PhaseError> {
        self.models.text(phase, options).map_err(PhaseError::Invalid)
    }

    /// The image model `phase` of this job uses.
    ///
    /// # Errors
    /// [`PhaseError::Invalid`] when the job asks for a provider not configured here.
    pub fn image(&self, phase: PhaseId, options: &JobOptions) -> Result<Arc<dyn ImageModel>, PhaseError> {
        self.models.image(phase, options).map_err(PhaseError::Invalid)
    }
}

/// Reports a phase's progress on the bus, for people watching.
#[derive(Clone)]
pub struct Progress {
    bus: Arc<dyn Bus>,
    address: PhaseAddress,
    started: Instant,
}

impl Progress {
    /// Progress for one phase attempt.
    pub fn new(bus: Arc<dyn Bus>, address: PhaseAddress) -> Self {
        Self { bus, address, started: Instant::now() }
    }

    /// `done` of `total` units (panels, pages) finished.
    pub async fn advance(&self, done: usize, total: usize, message: impl Into<String>) {
        self.send(ProgressKind::PhaseProgress, done, total, message.into()).await;
    }

    /// The phase finished with this score.
    pub async fn finished(&self, quality: f32, message: String) {
        self.publish(ProgressKind::PhaseFinished, 0, 0, message, quality).await;
    }

    /// Sends one event. Progress is advisory: a failure to send is logged, never fatal.
    pub async fn send(&self, kind: ProgressKind, done: usize, total: usize, message: String) {
        self.publish(kind, done, total, message, 0.0).await;
    }

    async fn publish(&self, kind: ProgressKind, done: usize, total: usize, message: String, quality: f32) {
        let event = ProgressEvent {
            job_id: self.address.job.to_string(),
            version: self.address.version.get(),
            phase: self.address.phase.number(),
            kind: kind as i32,
            done: done as u32,
            total: total as u32,
            message,
            attempt: self.address.attempt,
            quality,
            elapsed_ms: self.started.elapsed().as_millis() as u64,
        };
        let message = BusMessage::new(event.encode_to_vec()).with_attribute("job_id", self.address.job.to_string());
        if let Err(e) = self.bus.publish(topics::PROGRESS, message).await {
            tracing::warn!(error = %e, "progress event not sent");
        }
    }
}
