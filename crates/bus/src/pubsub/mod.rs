//! Google Cloud Pub/Sub: the fleet's bus, and the admin calls that lay out
//! its topics and subscriptions.
//!
//! - [`PubSubBus`]: the [`crate::Bus`] trait on the official
//!   `google-cloud-pubsub` gRPC client; `subscribe` is a streaming pull on
//!   a private subscription deleted when the [`crate::Subscription`] drops.
//! - [`PubSubAdmin`]: topics and subscriptions (push, dead-letter, retry)
//!   over the REST API, against the emulator or the cloud.
//! - [`Topology`]: the seeds' topics and subscriptions, applied idempotently.
//!
//! Push deliveries are parsed by `crates/runtime`, not here. Both clients
//! take the emulator's `host:port` as a parameter (the value of
//! `PUBSUB_EMULATOR_HOST`, read by the service's config): nothing here reads
//! the environment.

#[cfg(feature = "pubsub")]
mod admin;
#[cfg(feature = "pubsub")]
mod bus;
#[cfg(feature = "pubsub")]
mod error;
mod names;
#[cfg(feature = "pubsub")]
mod pull;
mod subscription;
mod topology;

#[cfg(feature = "pubsub")]
pub use admin::{Change, PubSubAdmin};
#[cfg(feature = "pubsub")]
pub use bus::PubSubBus;
#[cfg(feature = "pubsub")]
pub use error::{AdminError, PubSubError};
pub use names::{DEAD_LETTER_SUFFIX, NameError, dead_letter_topic, subscription_path, topic_path};
pub use subscription::{DeadLetterPolicy, MAX_DELIVERY_ATTEMPTS, RetryPolicy, SubscriptionSpec, TopicSpec};
pub use topology::{ORCHESTRATOR, PHASE_SERVICES, Route, Topology, TopologyReport, phase_requests_topic};
