use std::sync::Arc;
use std::time::Instant;

use manga_ai::{ImageModel, TextModel};
use manga_blob::BlobStore;
use manga_bus::{Bus, BusMessage, topics};
use manga_proto::{PhaseAddress, ProgressEvent, ProgressKind};
use prost::Message;

/// What every phase needs from the outside world.
#[derive(Clone)]
pub struct PhaseContext {
    /// Where artifacts live.
    pub blob: Arc<dyn BlobStore>,
    /// The text model (phases 1–3).
    pub text: Arc<dyn TextModel>,
    /// The image model (phases 2 and 5).
    pub image: Arc<dyn ImageModel>,
    /// Where progress events go.
    pub bus: Arc<dyn Bus>,
    /// How many images to draw at once: min(cpus × 2, 8).
    pub image_concurrency: usize,
}

impl PhaseContext {
    /// A context with the image concurrency the design asks for: min(cpus × 2, 8).
    pub fn new(
        blob: Arc<dyn BlobStore>,
        text: Arc<dyn TextModel>,
        image: Arc<dyn ImageModel>,
        bus: Arc<dyn Bus>,
    ) -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        Self { blob, text, image, bus, image_concurrency: (cpus * 2).min(8) }
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
