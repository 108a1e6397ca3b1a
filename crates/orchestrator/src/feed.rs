//! The fleet's pushes in one process. Each route of the seeds' topology
//! ([`Topology::seeds`]) becomes a subscription on the in-process bus whose
//! messages go to the push handler that route's service runs in the fleet: a
//! phase service for a phase's requests and items, the fleet orchestrator for
//! results, progress and dead letters. Delivery keeps Pub/Sub's contract: a
//! transient failure (or a panic) is delivered again after a backoff, as
//! many times as the route's dead-letter policy allows (5), and then goes to
//! its dead-letter topic; a permanent failure is acknowledged and logged. So
//! `manga serve` and `manga generate` run the fleet's own code over the
//! fleet's own messages, one panel per message included.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use manga_bus::pubsub::{DeadLetterPolicy, MAX_DELIVERY_ATTEMPTS, Route};
use manga_bus::{Bus, BusError, BusMessage, Topology};
use manga_runtime::{HandlerError, PushHandler, PushMessage};
use tokio::sync::Semaphore;
use tokio::task::{JoinHandle, JoinSet};

/// Who takes one route's messages, and how many at once.
#[derive(Clone)]
pub struct Delivery {
    /// The service's push handler.
    pub handler: Arc<dyn PushHandler>,
    /// Messages handled at once; 1 keeps them in the order they were published (results, progress).
    pub at_once: usize,
}

/// The project named in the subscription of every push this feed makes.
const PROJECT: &str = "local";

/// The wait before the delivery after `attempt`: Pub/Sub's exponential backoff, in
/// half-seconds rather than its 10 s, as one process has no instance to wait for.
fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(500 << attempt.saturating_sub(1).min(4))
}

/// Subscribes a delivery loop to every route `deliveries` names a handler for (by the
/// route's service, `phase5-images`, `orchestrator`, and its topic). The loops run until
/// the bus goes away; aborting one also stops its deliveries in flight.
///
/// # Errors
/// [`BusError`] when a subscription cannot be made.
pub async fn start(
    bus: Arc<dyn Bus>,
    deliveries: impl Fn(&Route) -> Option<Delivery>,
) -> Result<Vec<JoinHandle<()>>, BusError> {
    let mut loops = Vec::new();
    for route in Topology::seeds().routes {
        let Some(delivery) = deliveries(&route) else { continue };
        let spec = route.subscription;
        let mut messages = bus.subscribe(&spec.topic).await?;
        let route = Arc::new(LocalRoute {
            bus: bus.clone(),
            subscription: format!("projects/{PROJECT}/subscriptions/{}", spec.name),
            dead_letter: spec.dead_letter,
            handler: delivery.handler,
        });
        let slots = Arc::new(Semaphore::new(delivery.at_once.max(1)));
        loops.push(tokio::spawn(async move {
            let mut in_flight = JoinSet::new();
            while let Some(message) = messages.next().await {
                // Taken before the next message is read, so `at_once` 1 keeps the order.
                let Ok(slot) = slots.clone().acquire_owned().await else { return };
                let route = route.clone();
                in_flight.spawn(async move {
                    route.deliver(message).await;
                    drop(slot);
                });
                while in_flight.try_join_next().is_some() {}
            }
        }));
    }
    Ok(loops)
}

/// One route of the topology, fed from the in-process bus.
struct LocalRoute {
    bus: Arc<dyn Bus>,
    /// `projects/local/subscriptions/{name}`, as a push names it.
    subscription: String,
    /// Where a message goes after its last failed delivery, and after how many.
    dead_letter: Option<DeadLetterPolicy>,
    handler: Arc<dyn PushHandler>,
}

impl LocalRoute {
    /// Delivers one message until it is handled, fails for good, or runs out of deliveries.
    async fn deliver(&self, message: BusMessage) {
        let deliveries =
            u32::from(self.dead_letter.as_ref().map_or(MAX_DELIVERY_ATTEMPTS, |p| p.max_delivery_attempts));
        for attempt in 1..=deliveries {
            let push = PushMessage {
                subscription: self.subscription.clone(),
                message_id: message.id.clone(),
                data: message.data.to_vec(),
                attributes: message.attributes.clone(),
                publish_time: None,
                delivery_attempt: Some(attempt),
            };
            let handled = AssertUnwindSafe(self.handler.handle(push)).catch_unwind().await;
            let reason = match handled {
                Ok(Ok(())) => return,
                Ok(Err(HandlerError::Permanent(reason))) => {
                    tracing::error!(subscription = %self.subscription, message_id = %message.id, reason = %reason,
                        "message failed permanently; acknowledged so it is not delivered again");
                    return;
                }
                Ok(Err(HandlerError::Transient(reason))) => reason,
                Err(_panic) => "the handler panicked".to_owned(),
            };
            tracing::warn!(subscription = %self.subscription, message_id = %message.id, attempt, reason = %reason,
                "delivery failed; delivering again");
            if attempt < deliveries {
                tokio::time::sleep(backoff(attempt)).await;
            }
        }
        self.dead_letter(message, deliveries).await;
    }

    /// Hands a message no delivery could take to the route's dead-letter topic, with the
    /// attributes Pub/Sub adds, for the orchestrator to fail its job with why.
    async fn dead_letter(&self, mut message: BusMessage, deliveries: u32) {
        let Some(DeadLetterPolicy { topic, .. }) = &self.dead_letter else {
            tracing::error!(subscription = %self.subscription, message_id = %message.id,
                "a dead letter with nowhere to go is dropped");
            return;
        };
        let source = self.subscription.clone();
        message.attributes.insert("CloudPubSubDeadLetterSourceDeliveryCount".into(), deliveries.to_string());
        message.attributes.insert("CloudPubSubDeadLetterSourceSubscription".into(), source);
        for attempt in 1..=deliveries {
            match self.bus.publish(topic, message.clone()).await {
                Ok(_) => return,
                Err(e) => tracing::warn!(topic, error = %e, "dead letter not published; trying again"),
            }
            tokio::time::sleep(backoff(attempt)).await;
        }
        tracing::error!(topic, message_id = %message.id, "dead letter not published; the stall sweep will find its job");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use async_trait::async_trait;
    use manga_bus::{InMemoryBus, Subscription};

    use super::*;

    /// Fails transiently `failures` times, then fails for good or succeeds; records each delivery.
    struct Flaky {
        failures: u32,
        then_permanent: bool,
        seen: Mutex<Vec<PushMessage>>,
    }

    impl Flaky {
        fn new(failures: u32) -> Arc<Self> {
            Arc::new(Self { failures, then_permanent: false, seen: Mutex::default() })
        }
    }

    #[async_trait]
    impl PushHandler for Flaky {
        async fn handle(&self, message: PushMessage) -> Result<(), HandlerError> {
            let mut seen = self.seen.lock().unwrap();
            seen.push(message);
            if seen.len() as u32 <= self.failures {
                return Err(HandlerError::Transient("briefly away".into()));
            }
            if self.then_permanent { Err(HandlerError::Permanent("never".into())) } else { Ok(()) }
        }

        async fn ready(&self) -> Result<(), String> {
            Ok(())
        }
    }

    /// Feeds only phase 1's requests to `handler`; returns the bus and its dead letters.
    async fn phase_1_fed_to(handler: Arc<Flaky>) -> (Arc<InMemoryBus>, Subscription, Vec<JoinHandle<()>>) {
        let bus = Arc::new(InMemoryBus::new());
        let dead = bus.subscribe("phase-1-requests-dead-letter").await.unwrap();
        let loops = start(bus.clone() as Arc<dyn Bus>, |route| {
            (route.subscription.name == "phase-1-requests-push")
                .then(|| Delivery { handler: handler.clone() as Arc<dyn PushHandler>, at_once: 1 })
        })
        .await
        .unwrap();
        (bus, dead, loops)
    }

    async fn quiet(subscription: &mut Subscription, wait: Duration) -> bool {
        tokio::time::timeout(wait, subscription.next()).await.is_err()
    }

    #[tokio::test]
    async fn a_transient_failure_is_delivered_again_with_its_count_and_then_handled() {
        let handler = Flaky::new(2);
        let (bus, mut dead, _loops) = phase_1_fed_to(handler.clone()).await;
        bus.publish("phase-1-requests", BusMessage::new("go")).await.unwrap();
        assert!(quiet(&mut dead, Duration::from_secs(3)).await, "nothing dead-lettered");
        let seen = handler.seen.lock().unwrap().clone();
        let attempts: Vec<Option<u32>> = seen.iter().map(|push| push.delivery_attempt).collect();
        assert_eq!(attempts, [Some(1), Some(2), Some(3)]);
        assert_eq!(seen[0].subscription, "projects/local/subscriptions/phase-1-requests-push");
        assert_eq!(seen[2].data, b"go");
    }

    #[tokio::test]
    async fn five_failed_deliveries_go_to_the_dead_letter_topic_and_a_permanent_failure_is_not_retried() {
        let handler = Flaky::new(u32::MAX);
        let (bus, mut dead, _loops) = phase_1_fed_to(handler.clone()).await;
        bus.publish("phase-1-requests", BusMessage::new("doomed")).await.unwrap();
        let letter = tokio::time::timeout(Duration::from_secs(15), dead.next()).await.unwrap().unwrap();
        assert_eq!(letter.data.as_ref(), b"doomed");
        assert_eq!(letter.attributes["CloudPubSubDeadLetterSourceDeliveryCount"], "5");
        assert_eq!(
            letter.attributes["CloudPubSubDeadLetterSourceSubscription"],
            "projects/local/subscriptions/phase-1-requests-push"
        );
        assert_eq!(handler.seen.lock().unwrap().len(), 5);

        let never = Arc::new(Flaky { failures: 0, then_permanent: true, seen: Mutex::default() });
        let (bus, mut dead, _loops) = phase_1_fed_to(never.clone()).await;
        bus.publish("phase-1-requests", BusMessage::new("bad")).await.unwrap();
        assert!(quiet(&mut dead, Duration::from_secs(2)).await, "a permanent failure is acknowledged");
        assert_eq!(never.seen.lock().unwrap().len(), 1, "and never delivered again");
    }

    #[test]
    fn the_backoff_doubles_from_half_a_second_and_stops_at_eight() {
        let waits: Vec<u64> = (1..=6).map(|n| backoff(n).as_millis() as u64).collect();
        assert_eq!(waits, [500, 1000, 2000, 4000, 8000, 8000]);
    }
}
