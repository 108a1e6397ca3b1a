//! What a service implements to receive Pub/Sub pushes: [`PushHandler`], and
//! the message it is given, [`PushMessage`].

mod envelope;

use std::collections::BTreeMap;

pub use envelope::{EnvelopeError, parse_envelope};

use crate::error::HandlerError;

/// A service's work: one Pub/Sub message in, ack or retry out.
///
/// Delivery is at least once, so `handle` must be idempotent (keyed on
/// job, version, phase, attempt).
#[async_trait::async_trait]
pub trait PushHandler: Send + Sync + 'static {
    /// Handles one message.
    ///
    /// # Errors
    /// [`HandlerError::Transient`] answers 503 (Pub/Sub redelivers);
    /// [`HandlerError::Permanent`] is acknowledged, logged and never redelivered.
    async fn handle(&self, message: PushMessage) -> Result<(), HandlerError>;

    /// Checks the handler's dependencies (database, Redis, Pub/Sub) for `/ready`.
    ///
    /// # Errors
    /// The reason the service is not ready, shown in the 503 body.
    async fn ready(&self) -> Result<(), String>;

    /// Registers the service's own metrics; called once by `App::build`.
    ///
    /// # Errors
    /// A [`prometheus::Error`] (a duplicate name), which stops the build.
    fn register_metrics(&self, _registry: &prometheus::Registry) -> Result<(), prometheus::Error> {
        Ok(())
    }
}

/// One pushed message, decoded from the envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushMessage {
    /// `projects/{project}/subscriptions/{name}`.
    pub subscription: String,
    /// Pub/Sub's id of the message; the same on every redelivery.
    pub message_id: String,
    /// The payload, base64-decoded (empty when the message had only attributes).
    pub data: Vec<u8>,
    /// Attributes: `traceparent`, `job_id`, `phase`, `attempt`, ...
    pub attributes: BTreeMap<String, String>,
    /// When Pub/Sub received it (RFC 3339), if given.
    pub publish_time: Option<String>,
    /// Present only when the subscription has a dead-letter policy (and not
    /// from the emulator): do not depend on it for correctness.
    pub delivery_attempt: Option<u32>,
}

impl PushMessage {
    /// One attribute's value.
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }
}
