//! [`PubSubBus`]: the [`Bus`] trait over Google Cloud Pub/Sub, with the
//! official `google-cloud-pubsub` gRPC clients (the emulator in tests).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use google_cloud_auth::credentials::anonymous;
use google_cloud_pubsub::client::{BasePublisher, Publisher, Subscriber, SubscriptionAdmin};
use google_cloud_pubsub::model::{ExpirationPolicy, Message};

use super::error::{PubSubError, rpc_is_transient};
use super::names::{subscription_path, topic_path};
use super::pull::{Cleanup, spawn_pull};
use crate::{Bus, BusError, BusMessage, Subscription};

/// How long a forgotten pull subscription lives on real Pub/Sub (the
/// service's minimum). [`Bus::subscribe`] deletes its subscription when the
/// [`Subscription`] drops, but a killed process cannot; Pub/Sub then removes
/// it after a day without a subscriber. The emulator ignores this.
const ORPHAN_TTL: Duration = Duration::from_secs(24 * 3600);

/// The Google Cloud Pub/Sub bus.
///
/// - `publish(topic, ..)` publishes to `projects/{project}/topics/{topic}`
///   (the topic must exist: see [`super::Topology`]) and returns the
///   server's message id.
/// - `subscribe(topic)` creates a pull subscription
///   `{topic}-pull-{uuid}` for that topic, reads it with the client's
///   **streaming pull**, and acks each message once it is in the
///   [`Subscription`]'s channel. The subscription is deleted when the
///   `Subscription` is dropped (and expires after a day if the process dies).
/// - [`PubSubBus::subscription`] reads an existing, shared subscription
///   instead (several workers splitting one stream of work); it is never
///   deleted.
///
/// Errors through the [`Bus`] trait are [`BusError::Unavailable`] with the
/// cause in the text; the inherent methods return typed [`PubSubError`]s.
pub struct PubSubBus {
    project: String,
    publisher_client: BasePublisher,
    /// One batching publisher per topic, made on first use: each owns a
    /// background task, so they are kept rather than rebuilt per message.
    publishers: Mutex<HashMap<String, Publisher>>,
    subscriber: Subscriber,
    admin: SubscriptionAdmin,
}

impl PubSubBus {
    /// Connects to Pub/Sub for `project`.
    ///
    /// With `emulator_host` (`127.0.0.1:8085`, the value of
    /// `PUBSUB_EMULATOR_HOST`) the clients talk plain HTTP/2 to
    /// `http://{host}` with anonymous credentials, because the client library
    /// does not read that variable itself. Without it they use
    /// `https://pubsub.googleapis.com` and Application Default Credentials
    /// (the service account on Cloud Run).
    ///
    /// # Errors
    /// [`PubSubError::Client`] when a client cannot be built (no default
    /// credentials), [`PubSubError::Name`] for an invalid project id.
    pub async fn new(project: impl Into<String>, emulator_host: Option<String>) -> Result<Self, PubSubError> {
        let project = project.into();
        // Validates the project id once, so later paths cannot fail on it.
        topic_path(&project, "probe")?;
        let endpoint = emulator_host.map(|host| format!("http://{host}"));
        let boxed = |client: &'static str| {
            move |e: google_cloud_gax::client_builder::Error| PubSubError::Client { client, source: Box::new(e) }
        };

        let mut publisher = BasePublisher::builder();
        let mut subscriber = Subscriber::builder();
        let mut admin = SubscriptionAdmin::builder();
        if let Some(endpoint) = &endpoint {
            publisher = publisher.with_endpoint(endpoint).with_credentials(anonymous::Builder::new().build());
            subscriber = subscriber.with_endpoint(endpoint).with_credentials(anonymous::Builder::new().build());
            admin = admin.with_endpoint(endpoint).with_credentials(anonymous::Builder::new().build());
        }
        Ok(Self {
            project,
            publisher_client: publisher.build().await.map_err(boxed("publisher"))?,
            publishers: Mutex::new(HashMap::new()),
            subscriber: subscriber.build().await.map_err(boxed("subscriber"))?,
            admin: admin.build().await.map_err(boxed("subscription admin"))?,
        })
    }

    /// The project every topic and subscription name is under.
    pub fn project(&self) -> &str {
        &self.project
    }

    /// Publishes one message to `topic`; returns the server's message id.
    ///
    /// # Errors
    /// [`PubSubError::Rpc`] when Pub/Sub refuses it (`is_transient()` tells a
    /// missing topic from an outage), [`PubSubError::Name`] for a bad topic name.
    pub async fn publish_message(&self, topic: &str, message: BusMessage) -> Result<String, PubSubError> {
        let path = topic_path(&self.project, topic)?;
        let publisher = self.publisher(&path);
        let message = Message::new().set_data(message.data).set_attributes(message.attributes);
        publisher.publish(message).await.map_err(|source| PubSubError::Publish { topic: path.clone(), source })
    }

    /// Creates a fresh pull subscription on `topic` and streams it; the
    /// subscription is deleted when the returned [`Subscription`] drops.
    ///
    /// # Errors
    /// [`PubSubError::Rpc`] when the subscription cannot be created (e.g. the
    /// topic does not exist).
    pub async fn subscribe_fresh(&self, topic: &str) -> Result<Subscription, PubSubError> {
        let topic_path = topic_path(&self.project, topic)?;
        let name = private_subscription_name(topic);
        let path = subscription_path(&self.project, &name)?;
        self.admin
            .create_subscription()
            .set_name(&path)
            .set_topic(&topic_path)
            .set_expiration_policy(ExpirationPolicy::new().set_ttl(orphan_ttl()))
            .send()
            .await
            .map_err(|source| PubSubError::Rpc { operation: "create subscription", resource: path.clone(), source })?;
        tracing::debug!(subscription = %path, topic = %topic_path, "created a private pull subscription");
        let stream = self.subscriber.subscribe(&path).build();
        Ok(spawn_pull(stream, path.clone(), Some(Cleanup { admin: self.admin.clone(), subscription: path })))
    }

    /// Streams an existing subscription (shared by several workers, created
    /// by [`super::Topology`] or terraform). It is not deleted on drop.
    ///
    /// # Errors
    /// [`PubSubError::Name`] for an invalid name; a missing subscription ends
    /// the stream (its `next()` returns `None`) with the error logged.
    ///
    /// # Panics
    /// Outside a Tokio runtime (the pull runs as a spawned task).
    pub fn subscription(&self, subscription: &str) -> Result<Subscription, PubSubError> {
        let path = subscription_path(&self.project, subscription)?;
        let stream = self.subscriber.subscribe(&path).build();
        Ok(spawn_pull(stream, path, None))
    }

    /// The cached publisher for a topic path, made on first use.
    fn publisher(&self, path: &str) -> Publisher {
        // A poisoned lock only means another publish panicked mid-insert; the
        // map itself is still a valid cache.
        let mut publishers = self.publishers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        publishers.entry(path.to_owned()).or_insert_with(|| self.publisher_client.publisher(path).build()).clone()
    }
}

#[async_trait]
impl Bus for PubSubBus {
    async fn publish(&self, topic: &str, message: BusMessage) -> Result<String, BusError> {
        self.publish_message(topic, message).await.map_err(to_bus_error)
    }

    async fn subscribe(&self, topic: &str) -> Result<Subscription, BusError> {
        self.subscribe_fresh(topic).await.map_err(to_bus_error)
    }

    /// Asks for a subscription that need not exist: any answer from the
    /// server, `NOT_FOUND` included, means Pub/Sub is reachable; a transport
    /// error, a timeout or `UNAVAILABLE` means it is not.
    async fn ping(&self) -> Result<(), BusError> {
        let path = subscription_path(&self.project, "readiness-probe").map_err(|e| to_bus_error(e.into()))?;
        let call = self.admin.get_subscription().set_subscription(&path).send();
        match tokio::time::timeout(PING_TIMEOUT, call).await {
            Err(_) => Err(BusError::Unavailable(format!("Pub/Sub did not answer within {PING_TIMEOUT:?}"))),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) if rpc_is_transient(&e) => Err(BusError::Unavailable(format!("Pub/Sub is unreachable: {e}"))),
            Ok(Err(_)) => Ok(()),
        }
    }
}

/// How long a readiness probe waits for Pub/Sub.
const PING_TIMEOUT: Duration = Duration::from_secs(3);

/// The `Bus` trait has one error kind; keep the whole cause chain in its text.
fn to_bus_error(error: PubSubError) -> BusError {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    BusError::Unavailable(text)
}

/// `{topic}-pull-{uuid}`, cut so it stays within Pub/Sub's 255 characters.
fn private_subscription_name(topic: &str) -> String {
    let suffix = format!("-pull-{}", uuid::Uuid::new_v4().simple());
    let keep = topic.len().min(255 - suffix.len());
    // Topic names are ASCII (checked by topic_path), so any cut is a char boundary.
    format!("{}{suffix}", &topic[..keep])
}

fn orphan_ttl() -> google_cloud_wkt::Duration {
    // 86 400 s is well inside protobuf Duration's range, so this cannot fail.
    google_cloud_wkt::Duration::try_from(ORPHAN_TTL).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_subscription_is_named_after_its_topic_and_fits_pubsub_limits() {
        let name = private_subscription_name("phase-3-requests");
        assert!(name.starts_with("phase-3-requests-pull-"), "{name}");
        assert_eq!(name.len(), "phase-3-requests-pull-".len() + 32);
        let long = private_subscription_name(&"t".repeat(255));
        assert_eq!(long.len(), 255);
        assert!(subscription_path("p", &long).is_ok());
    }

    #[test]
    fn a_bus_error_keeps_the_cause_chain() {
        let error = PubSubError::Name(crate::pubsub::NameError { kind: "topic", name: "x".into(), reason: "short" });
        assert_eq!(to_bus_error(error).to_string(), "the bus is unavailable: topic name \"x\" is invalid: short");
    }
}
