//! What a topic or a subscription should look like: [`TopicSpec`],
//! [`SubscriptionSpec`] with its [`DeadLetterPolicy`] and [`RetryPolicy`],
//! and their REST JSON form.

// The REST forms and full paths are for the admin client (the `pubsub` feature).
#![cfg_attr(not(feature = "pubsub"), allow(dead_code))]

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use super::names::{NameError, short_name, topic_path};

/// How often a message is delivered before it goes to the dead-letter topic
/// (the seeds' value; Pub/Sub allows 5..=100).
pub const MAX_DELIVERY_ATTEMPTS: u8 = 5;

/// A topic to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSpec {
    /// The short name, e.g. `phase-3-requests`.
    pub name: String,
    /// How long the topic keeps messages (7 days for dead-letter topics in
    /// terraform); `None` for Pub/Sub's default. The emulator ignores it.
    pub message_retention: Option<Duration>,
}

impl TopicSpec {
    /// A topic with the default retention.
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into(), message_retention: None }
    }

    /// Keeps messages for `retention`.
    pub fn with_retention(mut self, retention: Duration) -> Self {
        self.message_retention = Some(retention);
        self
    }
}

/// Where undeliverable messages go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetterPolicy {
    /// The short name of the dead-letter topic.
    pub topic: String,
    /// Deliveries before a message is dead-lettered.
    pub max_delivery_attempts: u8,
}

/// The redelivery backoff after a nack (a non-2xx push answer). The emulator
/// redelivers about every second whatever this says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The first wait (Pub/Sub: 0..=600 s).
    pub minimum_backoff: Duration,
    /// The longest wait (Pub/Sub: 0..=600 s).
    pub maximum_backoff: Duration,
}

impl Default for RetryPolicy {
    /// Pub/Sub's own defaults, written out: 10 s to 600 s.
    fn default() -> Self {
        Self { minimum_backoff: Duration::from_secs(10), maximum_backoff: Duration::from_secs(600) }
    }
}

/// A subscription to create, or one read back from Pub/Sub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionSpec {
    /// The short name, e.g. `phase-3-requests-push`.
    pub name: String,
    /// The short name of the topic it reads.
    pub topic: String,
    /// Push delivery to this URL; `None` for a pull subscription.
    pub push_endpoint: Option<String>,
    /// For push, the HTTP timeout of each delivery; for pull, the lease.
    pub ack_deadline: Duration,
    /// Where messages go after too many failed deliveries.
    pub dead_letter: Option<DeadLetterPolicy>,
    /// Redelivery backoff; `None` for immediate redelivery.
    pub retry: Option<RetryPolicy>,
}

impl SubscriptionSpec {
    /// A pull subscription with a 10 s ack deadline.
    pub fn pull(name: impl Into<String>, topic: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            topic: topic.into(),
            push_endpoint: None,
            ack_deadline: Duration::from_secs(10),
            dead_letter: None,
            retry: None,
        }
    }

    /// A push subscription delivering to `endpoint` (wrapped envelopes).
    pub fn push(name: impl Into<String>, topic: impl Into<String>, endpoint: impl Into<String>) -> Self {
        Self { push_endpoint: Some(endpoint.into()), ..Self::pull(name, topic) }
    }

    /// Sets the ack deadline (Pub/Sub: 10..=600 s).
    pub fn with_ack_deadline(mut self, deadline: Duration) -> Self {
        self.ack_deadline = deadline;
        self
    }

    /// Dead-letters to `topic` after [`MAX_DELIVERY_ATTEMPTS`] deliveries.
    pub fn with_dead_letter(mut self, topic: impl Into<String>) -> Self {
        self.dead_letter = Some(DeadLetterPolicy { topic: topic.into(), max_delivery_attempts: MAX_DELIVERY_ATTEMPTS });
        self
    }

    /// Sets the redelivery backoff.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// The REST body of `PUT /v1/projects/{p}/subscriptions/{name}`.
    pub(crate) fn to_rest(&self, project: &str) -> Result<serde_json::Value, NameError> {
        let mut body = json!({
            "topic": topic_path(project, &self.topic)?,
            "ackDeadlineSeconds": self.ack_deadline.as_secs(),
        });
        if let Some(endpoint) = &self.push_endpoint {
            body["pushConfig"] = json!({ "pushEndpoint": endpoint });
        }
        if let Some(dead_letter) = &self.dead_letter {
            body["deadLetterPolicy"] = json!({
                "deadLetterTopic": topic_path(project, &dead_letter.topic)?,
                "maxDeliveryAttempts": dead_letter.max_delivery_attempts,
            });
        }
        if let Some(retry) = &self.retry {
            body["retryPolicy"] = json!({
                "minimumBackoff": format!("{}s", retry.minimum_backoff.as_secs()),
                "maximumBackoff": format!("{}s", retry.maximum_backoff.as_secs()),
            });
        }
        Ok(body)
    }

    /// Reads the REST form back (full names become short ones).
    pub(crate) fn from_rest(rest: RestSubscription) -> Self {
        Self {
            name: short_name(&rest.name).to_owned(),
            topic: short_name(&rest.topic).to_owned(),
            push_endpoint: rest.push_config.push_endpoint.filter(|endpoint| !endpoint.is_empty()),
            ack_deadline: Duration::from_secs(rest.ack_deadline_seconds),
            dead_letter: rest.dead_letter_policy.map(|policy| DeadLetterPolicy {
                topic: short_name(&policy.dead_letter_topic).to_owned(),
                // Pub/Sub reports 0 for "the default", which is 5.
                max_delivery_attempts: match policy.max_delivery_attempts {
                    0 => MAX_DELIVERY_ATTEMPTS,
                    n => n,
                },
            }),
            retry: rest.retry_policy.map(|policy| RetryPolicy {
                minimum_backoff: parse_duration(policy.minimum_backoff.as_deref()),
                maximum_backoff: parse_duration(policy.maximum_backoff.as_deref()),
            }),
        }
    }
}

/// A subscription as the REST API returns it (unknown fields ignored).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RestSubscription {
    name: String,
    topic: String,
    #[serde(default)]
    push_config: RestPushConfig,
    #[serde(default)]
    ack_deadline_seconds: u64,
    dead_letter_policy: Option<RestDeadLetterPolicy>,
    retry_policy: Option<RestRetryPolicy>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RestPushConfig {
    push_endpoint: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RestDeadLetterPolicy {
    dead_letter_topic: String,
    #[serde(default)]
    max_delivery_attempts: u8,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RestRetryPolicy {
    minimum_backoff: Option<String>,
    maximum_backoff: Option<String>,
}

/// A protobuf JSON duration (`"10s"`, `"0.5s"`); absent or unreadable is zero,
/// which is what Pub/Sub means by an unset backoff.
fn parse_duration(text: Option<&str>) -> Duration {
    text.and_then(|t| t.strip_suffix('s'))
        .and_then(|seconds| seconds.parse::<f64>().ok())
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_push_subscription_with_dead_letters_has_the_rest_shape_pubsub_expects() {
        let spec = SubscriptionSpec::push("sub-push", "topic", "http://127.0.0.1:9/pubsub/push")
            .with_ack_deadline(Duration::from_secs(60))
            .with_dead_letter("topic-dead-letter")
            .with_retry(RetryPolicy::default());
        assert_eq!(
            spec.to_rest("p").unwrap(),
            json!({
                "topic": "projects/p/topics/topic",
                "ackDeadlineSeconds": 60,
                "pushConfig": { "pushEndpoint": "http://127.0.0.1:9/pubsub/push" },
                "deadLetterPolicy": { "deadLetterTopic": "projects/p/topics/topic-dead-letter", "maxDeliveryAttempts": 5 },
                "retryPolicy": { "minimumBackoff": "10s", "maximumBackoff": "600s" },
            })
        );
    }

    #[test]
    fn a_rest_subscription_reads_back_as_the_spec_that_made_it() {
        let rest: RestSubscription = serde_json::from_value(json!({
            "name": "projects/p/subscriptions/sub-push",
            "topic": "projects/p/topics/topic",
            "pushConfig": { "pushEndpoint": "http://x/y", "attributes": {} },
            "ackDeadlineSeconds": 60,
            "deadLetterPolicy": { "deadLetterTopic": "projects/p/topics/topic-dead-letter", "maxDeliveryAttempts": 5 },
            "retryPolicy": { "minimumBackoff": "10s", "maximumBackoff": "600s" },
            "messageRetentionDuration": "604800s",
        }))
        .unwrap();
        let expected = SubscriptionSpec::push("sub-push", "topic", "http://x/y")
            .with_ack_deadline(Duration::from_secs(60))
            .with_dead_letter("topic-dead-letter")
            .with_retry(RetryPolicy::default());
        assert_eq!(SubscriptionSpec::from_rest(rest), expected);
    }

    #[test]
    fn a_pull_subscription_has_no_push_config_and_an_empty_endpoint_reads_as_pull() {
        assert_eq!(SubscriptionSpec::pull("sub", "topic").to_rest("p").unwrap().get("pushConfig"), None);
        let rest: RestSubscription = serde_json::from_value(json!({
            "name": "projects/p/subscriptions/s", "topic": "projects/p/topics/topic", "pushConfig": {}
        }))
        .unwrap();
        assert_eq!(SubscriptionSpec::from_rest(rest).push_endpoint, None);
        assert_eq!(parse_duration(Some("0.5s")), Duration::from_millis(500));
        assert_eq!(parse_duration(None), Duration::ZERO);
    }
}
