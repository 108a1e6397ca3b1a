//! [`Topology`]: the seeds' topics and subscriptions, created idempotently.
//!
//! | topic | subscription | pushed to |
//! |---|---|---|
//! | `phase-{n}-requests` (n = 1..8) | `phase-{n}-requests-push` | `phase{n}-{name}` |
//! | `phase-2-portraits` (one portrait each) | `phase-2-portraits-push` | `phase2-characters` |
//! | `phase-5-panels` (one panel each) | `phase-5-panels-push` | `phase5-images` |
//! | `phase-completed` (the seeds' phase-completion-topic) | `phase-transition-handler` | `orchestrator` |
//! | `hitl-feedback-topic` | `hitl-feedback-processor` | `orchestrator` |
//! | `session-management-topic` | `session-cleanup-service` | `orchestrator` |
//! | `phase-progress` | `phase-progress-push` | `orchestrator` (live events for people) |
//! | `{topic}-dead-letter` for each topic above | `{topic}-dead-letter-push` | `orchestrator` |
//!
//! Every subscription on a work topic dead-letters after 5 deliveries to
//! `{topic}-dead-letter` (7 days' retention, as in terraform). A dead-letter
//! topic keeps nothing without a subscription, so each has one, pushed to the
//! orchestrator, which marks the job failed; its envelope's `subscription`
//! and the `CloudPubSubDeadLetterSourceSubscription` attribute say where the
//! message came from.

use std::time::Duration;

#[cfg(feature = "pubsub")]
use super::admin::{Change, PubSubAdmin};
#[cfg(feature = "pubsub")]
use super::error::AdminError;
use super::names::dead_letter_topic;
use super::subscription::{RetryPolicy, SubscriptionSpec, TopicSpec};
use crate::topics;

/// The phase services, in order; `phase-{n}-requests` is pushed to the n-th.
pub const PHASE_SERVICES: [&str; 8] = [
    "phase1-concept",
    "phase2-characters",
    "phase3-plot",
    "phase4-name",
    "phase5-images",
    "phase6-lettering",
    "phase7-compose",
    "phase8-publish",
];

/// The service that receives completions, feedback, sessions and dead letters.
pub const ORCHESTRATOR: &str = "orchestrator";

/// The topic that carries phase `n`'s requests (`phase-3-requests`).
pub fn phase_requests_topic(phase: u8) -> String {
    format!("phase-{phase}-requests")
}

/// Topics hold messages for dead-letter inspection this long (terraform).
const DEAD_LETTER_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
/// A phase may take minutes (phase 5 draws every panel); a push delivery's
/// HTTP timeout is the ack deadline, so give it Pub/Sub's maximum.
const PHASE_ACK_DEADLINE: Duration = Duration::from_secs(600);
/// The orchestrator only records and forwards.
const ORCHESTRATOR_ACK_DEADLINE: Duration = Duration::from_secs(60);

/// One push subscription and the service it delivers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The service name given to the `endpoints` function of [`Topology::apply`].
    pub service: String,
    /// The subscription; its `push_endpoint` is filled in by `apply`.
    pub subscription: SubscriptionSpec,
}

/// Topics and subscriptions to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    /// Topics, dead-letter topics first so subscriptions can refer to them.
    pub topics: Vec<TopicSpec>,
    /// Push subscriptions.
    pub routes: Vec<Route>,
}

/// What [`Topology::apply`] did, by short resource name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopologyReport {
    /// Topics and subscriptions created now.
    pub created: Vec<String>,
    /// Topics and subscriptions that were already there (left unchanged).
    pub existing: Vec<String>,
}

impl Topology {
    /// The seeds' topology (see the module docs).
    pub fn seeds() -> Self {
        let mut work: Vec<(String, String, &str, Duration)> = (1..=8u8)
            .zip(PHASE_SERVICES)
            .map(|(n, service)| {
                let topic = phase_requests_topic(n);
                (format!("{topic}-push"), topic, service, PHASE_ACK_DEADLINE)
            })
            .collect();
        for (items, service) in
            [(topics::PHASE_2_PORTRAITS, PHASE_SERVICES[1]), (topics::PHASE_5_PANELS, PHASE_SERVICES[4])]
        {
            work.push((format!("{items}-push"), items.to_owned(), service, PHASE_ACK_DEADLINE));
        }
        for (topic, subscription) in [
            (topics::PHASE_COMPLETED, "phase-transition-handler"),
            (topics::HITL_FEEDBACK, "hitl-feedback-processor"),
            ("session-management-topic", "session-cleanup-service"),
            (topics::PROGRESS, "phase-progress-push"),
        ] {
            work.push((subscription.to_owned(), topic.to_owned(), ORCHESTRATOR, ORCHESTRATOR_ACK_DEADLINE));
        }

        let mut topology = Self { topics: Vec::new(), routes: Vec::new() };
        for (subscription, topic, service, ack_deadline) in work {
            let dead_letter = dead_letter_topic(&topic);
            topology.topics.push(TopicSpec::new(&dead_letter).with_retention(DEAD_LETTER_RETENTION));
            topology.topics.push(TopicSpec::new(&topic));
            topology.routes.push(Route {
                service: service.to_owned(),
                subscription: SubscriptionSpec::pull(subscription, &topic)
                    .with_ack_deadline(ack_deadline)
                    .with_dead_letter(&dead_letter)
                    .with_retry(RetryPolicy::default()),
            });
            topology.routes.push(Route {
                service: ORCHESTRATOR.to_owned(),
                subscription: SubscriptionSpec::pull(format!("{dead_letter}-push"), &dead_letter)
                    .with_ack_deadline(ORCHESTRATOR_ACK_DEADLINE)
                    .with_retry(RetryPolicy::default()),
            });
        }
        topology
    }
}

#[cfg(feature = "pubsub")]
impl Topology {
    /// Creates every topic, then every subscription, pushing each to
    /// `endpoints(service)` (e.g. `|s| format!("http://127.0.0.1:{}/pubsub/push", port(s))`).
    /// Safe to run again: existing resources are left as they are.
    ///
    /// # Errors
    /// The first [`AdminError`]; what was done before it stays done, and a
    /// rerun picks up from there.
    pub async fn apply(
        &self,
        admin: &PubSubAdmin,
        endpoints: impl Fn(&str) -> String,
    ) -> Result<TopologyReport, AdminError> {
        let mut report = TopologyReport::default();
        for topic in &self.topics {
            report.record(&topic.name, admin.create_topic(topic).await?);
        }
        for route in &self.routes {
            let mut spec = route.subscription.clone();
            spec.push_endpoint = Some(endpoints(&route.service));
            report.record(&spec.name, admin.create_subscription(&spec).await?);
        }
        Ok(report)
    }

    /// Deletes every subscription, then every topic (the local fleet's `down`).
    ///
    /// # Errors
    /// The first [`AdminError`] other than "already absent".
    pub async fn remove(&self, admin: &PubSubAdmin) -> Result<(), AdminError> {
        for route in &self.routes {
            admin.delete_subscription(&route.subscription.name).await?;
        }
        for topic in &self.topics {
            admin.delete_topic(&topic.name).await?;
        }
        Ok(())
    }
}

#[cfg(feature = "pubsub")]
impl TopologyReport {
    fn record(&mut self, name: &str, change: Change) {
        match change {
            Change::Made => self.created.push(name.to_owned()),
            Change::AlreadyInPlace => self.existing.push(name.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_topology_routes_each_phase_topic_to_its_service_with_dead_letters() {
        let topology = Topology::seeds();
        // 14 work topics (8 phases, phase 2's portraits, phase 5's panels, completions, feedback, sessions,
        // progress) and 14 dead-letter topics.
        assert_eq!((topology.topics.len(), topology.routes.len()), (28, 28));
        let portraits = topology.routes.iter().find(|r| r.subscription.name == "phase-2-portraits-push").unwrap();
        assert_eq!(portraits.service, "phase2-characters");
        let panels = topology.routes.iter().find(|r| r.subscription.name == "phase-5-panels-push").unwrap();
        assert_eq!((panels.service.as_str(), panels.subscription.topic.as_str()), ("phase5-images", "phase-5-panels"));
        assert!(panels.subscription.dead_letter.is_some());
        let progress = topology.routes.iter().find(|r| r.subscription.topic == "phase-progress").unwrap();
        assert_eq!(
            (progress.subscription.name.as_str(), progress.service.as_str()),
            ("phase-progress-push", "orchestrator")
        );
        let phase5 = topology.routes.iter().find(|r| r.subscription.name == "phase-5-requests-push").unwrap();
        assert_eq!(phase5.service, "phase5-images");
        assert_eq!(phase5.subscription.topic, "phase-5-requests");
        assert_eq!(phase5.subscription.ack_deadline, Duration::from_secs(600));
        let dead_letter = phase5.subscription.dead_letter.as_ref().unwrap();
        assert_eq!(
            (dead_letter.topic.as_str(), dead_letter.max_delivery_attempts),
            ("phase-5-requests-dead-letter", 5)
        );

        let completed = topology.routes.iter().find(|r| r.subscription.topic == "phase-completed").unwrap();
        assert_eq!(
            (completed.subscription.name.as_str(), completed.service.as_str()),
            ("phase-transition-handler", "orchestrator")
        );
        let retained = topology.topics.iter().find(|t| t.name == "hitl-feedback-topic-dead-letter").unwrap();
        assert_eq!(retained.message_retention, Some(Duration::from_secs(604_800)));
        assert!(topology.routes.iter().any(|r| r.subscription.topic == "session-management-topic-dead-letter"));
    }

    #[test]
    fn every_subscription_refers_to_a_topic_created_before_it() {
        let topology = Topology::seeds();
        let names: Vec<&str> = topology.topics.iter().map(|t| t.name.as_str()).collect();
        for route in &topology.routes {
            assert!(names.contains(&route.subscription.topic.as_str()), "{}", route.subscription.topic);
            if let Some(dead_letter) = &route.subscription.dead_letter {
                assert!(names.contains(&dead_letter.topic.as_str()), "{}", dead_letter.topic);
            }
        }
    }
}
