//! The message bus between the orchestrator and the phase services.
//!
//! - [`Bus`]: publish to a topic, subscribe to a topic. Pub/Sub semantics:
//!   a subscription sees every message published after it was made.
//! - [`InMemoryBus`]: one process, no server (embedded mode and tests).
//! - `PubSubBus`: Google Cloud Pub/Sub (the fleet; the emulator in tests),
//!   with `PubSubAdmin` for topics and push subscriptions (the `pubsub`
//!   feature), and [`Topology`], the seeds' topics, subscriptions and dead letters.
//!
//! Messages are opaque bytes (encoded `manga_proto` messages) plus string
//! attributes (`traceparent`, `job_id`, `phase`, `attempt`), as on Pub/Sub.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use bytes::Bytes;
use tokio::sync::mpsc;

pub mod pubsub;
pub use pubsub::Topology;
#[cfg(feature = "pubsub")]
pub use pubsub::{PubSubAdmin, PubSubBus};

/// Topic names, as the seeds name them.
pub mod topics {
    /// Every phase's result goes here, to the orchestrator.
    pub const PHASE_COMPLETED: &str = "phase-completed";
    /// Progress events for people watching.
    pub const PROGRESS: &str = "phase-progress";
    /// Human feedback for the orchestrator.
    pub const HITL_FEEDBACK: &str = "hitl-feedback-topic";
    /// Phase 2's portraits, one message each, so no push request draws more than one.
    pub const PHASE_2_PORTRAITS: &str = "phase-2-portraits";
    /// Phase 5's panels, one message each, so no push request draws more than one.
    pub const PHASE_5_PANELS: &str = "phase-5-panels";
}

/// One message on the bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusMessage {
    /// Assigned by the bus on publish.
    pub id: String,
    /// The encoded payload.
    pub data: Bytes,
    /// Small string metadata.
    pub attributes: BTreeMap<String, String>,
}

impl BusMessage {
    /// A message to publish (the bus assigns its id).
    pub fn new(data: impl Into<Bytes>) -> Self {
        Self { id: String::new(), data: data.into(), attributes: BTreeMap::new() }
    }

    /// Adds an attribute.
    pub fn with_attribute(mut self, key: &str, value: impl Into<String>) -> Self {
        self.attributes.insert(key.to_owned(), value.into());
        self
    }
}

/// What can go wrong on the bus.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// The bus is shut down or unreachable; try again later.
    #[error("the bus is unavailable: {0}")]
    Unavailable(String),
}

impl BusError {
    /// Whether retrying may help.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// Messages arriving on one subscription.
pub struct Subscription {
    receiver: mpsc::UnboundedReceiver<BusMessage>,
}

impl Subscription {
    /// The next message, or `None` when the bus is gone.
    pub async fn next(&mut self) -> Option<BusMessage> {
        self.receiver.recv().await
    }
}

/// Publish and subscribe by topic name.
#[async_trait]
pub trait Bus: Send + Sync {
    /// Publishes a message; returns its id.
    ///
    /// # Errors
    /// [`BusError::Unavailable`] when the bus cannot take it.
    async fn publish(&self, topic: &str, message: BusMessage) -> Result<String, BusError>;

    /// Starts a subscription that receives every later message on `topic`.
    ///
    /// # Errors
    /// [`BusError::Unavailable`] when the bus cannot make one.
    async fn subscribe(&self, topic: &str) -> Result<Subscription, BusError>;

    /// Whether the bus answers, for readiness probes. An in-process bus always does.
    ///
    /// # Errors
    /// [`BusError::Unavailable`] when the broker cannot be reached.
    async fn ping(&self) -> Result<(), BusError> {
        Ok(())
    }
}

/// A bus inside one process. Delivery is exactly once per subscription, in order.
#[derive(Default)]
pub struct InMemoryBus {
    subscribers: Mutex<HashMap<String, Vec<mpsc::UnboundedSender<BusMessage>>>>,
    next_id: AtomicU64,
}

impl InMemoryBus {
    /// An empty bus.
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl Bus for InMemoryBus {
    async fn publish(&self, topic: &str, mut message: BusMessage) -> Result<String, BusError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        message.id = id.to_string();
        let mut subscribers = self.subscribers.lock().map_err(|_| BusError::Unavailable("lock poisoned".into()))?;
        if let Some(list) = subscribers.get_mut(topic) {
            // A dropped subscription is simply forgotten, as Pub/Sub forgets a deleted one.
            list.retain(|tx| tx.send(message.clone()).is_ok());
        }
        Ok(message.id)
    }

    async fn subscribe(&self, topic: &str) -> Result<Subscription, BusError> {
        let (tx, receiver) = mpsc::unbounded_channel();
        self.subscribers
            .lock()
            .map_err(|_| BusError::Unavailable("lock poisoned".into()))?
            .entry(topic.to_owned())
            .or_default()
            .push(tx);
        Ok(Subscription { receiver })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_subscription_gets_each_later_message_once_in_order() {
        let bus = InMemoryBus::new();
        bus.publish("t", BusMessage::new("before")).await.unwrap();
        let mut a = bus.subscribe("t").await.unwrap();
        let mut b = bus.subscribe("t").await.unwrap();
        let mut other = bus.subscribe("other").await.unwrap();
        let id1 = bus.publish("t", BusMessage::new("one").with_attribute("phase", "5")).await.unwrap();
        let id2 = bus.publish("t", BusMessage::new("two")).await.unwrap();
        assert_ne!(id1, id2);
        for sub in [&mut a, &mut b] {
            let m = sub.next().await.unwrap();
            assert_eq!((m.id.as_str(), &m.data[..]), (id1.as_str(), &b"one"[..]));
            assert_eq!(m.attributes.get("phase").map(String::as_str), Some("5"));
            assert_eq!(&sub.next().await.unwrap().data[..], b"two");
        }
        bus.publish("other", BusMessage::new("x")).await.unwrap();
        assert_eq!(&other.next().await.unwrap().data[..], b"x");
    }

    #[tokio::test]
    async fn a_dropped_subscription_does_not_block_publishing() {
        let bus = InMemoryBus::new();
        drop(bus.subscribe("t").await.unwrap());
        assert!(bus.publish("t", BusMessage::new("x")).await.is_ok());
    }
}
