//! `PubSubBus` and `PubSubAdmin` against the real Pub/Sub emulator at
//! `PUBSUB_EMULATOR_HOST` (default `127.0.0.1:8085`). Each test works in its
//! own random project, and deletes what it made when it ends, even on panic
//! (a push subscription to a closed port would otherwise be retried forever).

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use base64::Engine;
use manga_bus::pubsub::{AdminError, Change, PubSubAdmin, PubSubBus, SubscriptionSpec, TopicSpec, Topology};
use manga_bus::{Bus, BusMessage, Subscription};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(30);

#[allow(clippy::disallowed_methods, reason = "tests find the emulator as the services' config does")]
fn emulator_host() -> String {
    std::env::var("PUBSUB_EMULATOR_HOST").unwrap_or_else(|_| "127.0.0.1:8085".to_owned())
}

/// A fresh project on a reachable emulator; fails loudly when there is none.
async fn fresh_project() -> (String, String) {
    let host = emulator_host();
    let answer = reqwest::get(format!("http://{host}/")).await;
    let ok = matches!(&answer, Ok(response) if response.status().is_success());
    assert!(
        ok,
        "the Pub/Sub emulator is not reachable at {host} (set PUBSUB_EMULATOR_HOST, or start it: \
         /usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator --host=127.0.0.1 --port=8085): {answer:?}"
    );
    (host, format!("test-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]))
}

/// Deletes subscriptions, then topics, when dropped. Plain blocking HTTP, so
/// it also runs while a failed test unwinds.
struct Teardown {
    host: String,
    project: String,
    subscriptions: Vec<String>,
    topics: Vec<String>,
}

impl Teardown {
    fn new(host: &str, project: &str) -> Self {
        Self { host: host.to_owned(), project: project.to_owned(), subscriptions: Vec::new(), topics: Vec::new() }
    }
}

impl Drop for Teardown {
    fn drop(&mut self) {
        let subscriptions = self.subscriptions.iter().map(|s| format!("subscriptions/{s}"));
        let topics = self.topics.iter().map(|t| format!("topics/{t}"));
        for resource in subscriptions.chain(topics) {
            let Ok(mut stream) = std::net::TcpStream::connect(&self.host) else { return };
            let request = format!(
                "DELETE /v1/projects/{}/{resource} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                self.project, self.host
            );
            // Best effort: the emulator's own state is throwaway.
            if stream.write_all(request.as_bytes()).is_ok() {
                // Wait for the answer so the deletion is done before the next one.
                std::io::Read::read(&mut stream, &mut [0u8; 256]).ok();
            }
        }
    }
}

/// One request the test push endpoint received.
#[derive(Debug)]
struct Pushed {
    path: String,
    headers: String,
    body: serde_json::Value,
}

/// A local HTTP endpoint that answers every request with `status` and hands
/// the requests to the test.
async fn push_endpoint(status: u16) -> (String, mpsc::UnboundedReceiver<Pushed>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free local port");
    let port = listener.local_addr().expect("a bound listener has an address").port();
    let (sender, receiver) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let sender = sender.clone();
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                let mut chunk = [0u8; 4096];
                let (head, body) = loop {
                    let n = socket.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buffer.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buffer).into_owned();
                    let Some(end) = text.find("\r\n\r\n") else { continue };
                    let length = text[..end]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned())
                        })
                        .and_then(|v| v.parse::<usize>().ok())
                        .unwrap_or(0);
                    if buffer.len() >= end + 4 + length {
                        break (text[..end].to_owned(), buffer[end + 4..end + 4 + length].to_vec());
                    }
                };
                // Recorded before answering, so the test sees every delivery
                // that Pub/Sub has counted.
                let path = head.split_whitespace().nth(1).unwrap_or_default().to_owned();
                let json = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
                // The test may already be done with the endpoint.
                sender.send(Pushed { path, headers: head, body: json }).ok();
                let reason = if status < 300 { "OK" } else { "Internal Server Error" };
                let reply = format!("HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                socket.write_all(reply.as_bytes()).await.ok();
            });
        }
    });
    (format!("http://127.0.0.1:{port}/pubsub/push?from=emulator"), receiver)
}

async fn next_within(subscription: &mut Subscription) -> BusMessage {
    tokio::time::timeout(WAIT, subscription.next())
        .await
        .expect("no message within 30 s")
        .expect("the subscription ended")
}

async fn pushed_within(pushes: &mut mpsc::UnboundedReceiver<Pushed>) -> Pushed {
    tokio::time::timeout(WAIT, pushes.recv()).await.expect("no push within 30 s").expect("the endpoint stopped")
}

#[tokio::test]
async fn a_published_message_is_pulled_with_its_bytes_attributes_and_server_id() {
    let (host, project) = fresh_project().await;
    let mut teardown = Teardown::new(&host, &project);
    let admin = PubSubAdmin::new(&project, Some(host.clone()), None).unwrap();
    assert_eq!(admin.create_topic(&TopicSpec::new("phase-3-requests")).await.unwrap(), Change::Made);
    teardown.topics.push("phase-3-requests".into());
    let bus = PubSubBus::new(&project, Some(host.clone())).await.unwrap();

    let mut subscription = bus.subscribe("phase-3-requests").await.unwrap();
    let data = vec![0u8, 159, 146, 150, 10, 255];
    let message =
        BusMessage::new(data.clone()).with_attribute("job_id", "j-1").with_attribute("traceparent", "00-abc-def-01");
    let id = bus.publish("phase-3-requests", message).await.unwrap();

    let received = next_within(&mut subscription).await;
    assert!(!id.is_empty());
    assert_eq!(received.id, id);
    assert_eq!(&received.data[..], &data[..]);
    let expected: BTreeMap<String, String> =
        [("job_id", "j-1"), ("traceparent", "00-abc-def-01")].map(|(k, v)| (k.to_owned(), v.to_owned())).into();
    assert_eq!(received.attributes, expected);
}

#[tokio::test]
async fn two_messages_published_in_a_row_both_arrive() {
    // The emulator delivers in publish order on one stream, but Pub/Sub only
    // promises order with ordering keys, so this asserts arrival, not order.
    let (host, project) = fresh_project().await;
    let mut teardown = Teardown::new(&host, &project);
    let admin = PubSubAdmin::new(&project, Some(host.clone()), None).unwrap();
    admin.create_topic(&TopicSpec::new("phase-completed")).await.unwrap();
    teardown.topics.push("phase-completed".into());
    let bus = PubSubBus::new(&project, Some(host.clone())).await.unwrap();
    let mut subscription = bus.subscribe("phase-completed").await.unwrap();

    let first = bus.publish("phase-completed", BusMessage::new("one")).await.unwrap();
    let second = bus.publish("phase-completed", BusMessage::new("two")).await.unwrap();
    let mut got = [next_within(&mut subscription).await, next_within(&mut subscription).await];
    got.sort_by(|a, b| a.data.cmp(&b.data));
    assert_eq!((got[0].id.as_str(), &got[0].data[..]), (first.as_str(), &b"one"[..]));
    assert_eq!((got[1].id.as_str(), &got[1].data[..]), (second.as_str(), &b"two"[..]));
    assert_ne!(first, second);
}

#[tokio::test]
async fn dropping_a_subscription_deletes_its_private_pull_subscription() {
    let (host, project) = fresh_project().await;
    let mut teardown = Teardown::new(&host, &project);
    let admin = PubSubAdmin::new(&project, Some(host.clone()), None).unwrap();
    admin.create_topic(&TopicSpec::new("hitl-feedback-topic")).await.unwrap();
    teardown.topics.push("hitl-feedback-topic".into());
    let bus = PubSubBus::new(&project, Some(host.clone())).await.unwrap();

    let subscription = bus.subscribe("hitl-feedback-topic").await.unwrap();
    let names = admin.topic_subscriptions("hitl-feedback-topic").await.unwrap();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(names[0].starts_with("hitl-feedback-topic-pull-"), "{names:?}");
    teardown.subscriptions.extend(names.clone());

    drop(subscription);
    let deadline = tokio::time::Instant::now() + WAIT;
    while !admin.topic_subscriptions("hitl-feedback-topic").await.unwrap().is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "{} was not deleted within 30 s", names[0]);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(admin.subscription(&names[0]).await.unwrap(), None);
}

#[tokio::test]
async fn publishing_to_a_missing_topic_is_a_permanent_error_naming_the_topic() {
    let (host, project) = fresh_project().await;
    let bus = PubSubBus::new(&project, Some(host)).await.unwrap();
    let error = bus.publish_message("no-such-topic", BusMessage::new("x")).await.unwrap_err();
    assert!(!error.is_transient(), "{error:?}");
    assert_eq!(error.to_string(), format!("publishing to projects/{project}/topics/no-such-topic failed"));
    let through_trait = bus.subscribe("no-such-topic").await.err().expect("subscribing to a missing topic fails");
    assert!(through_trait.to_string().contains("create subscription"), "{through_trait}");
}

#[tokio::test]
async fn a_push_subscription_delivers_the_wrapped_envelope_with_base64_data() {
    let (host, project) = fresh_project().await;
    let mut teardown = Teardown::new(&host, &project);
    let admin = PubSubAdmin::new(&project, Some(host.clone()), None).unwrap();
    admin.create_topic(&TopicSpec::new("phase-1-requests")).await.unwrap();
    teardown.topics.push("phase-1-requests".into());
    let (endpoint, mut pushes) = push_endpoint(204).await;
    let spec = SubscriptionSpec::push("phase-1-requests-push", "phase-1-requests", &endpoint)
        .with_ack_deadline(Duration::from_secs(30));
    assert_eq!(admin.create_subscription(&spec).await.unwrap(), Change::Made);
    teardown.subscriptions.push(spec.name.clone());
    assert_eq!(admin.create_subscription(&spec).await.unwrap(), Change::AlreadyInPlace);
    assert_eq!(admin.subscription("phase-1-requests-push").await.unwrap(), Some(spec));

    let bus = PubSubBus::new(&project, Some(host.clone())).await.unwrap();
    let id = bus.publish("phase-1-requests", BusMessage::new("ストーリー").with_attribute("phase", "1")).await.unwrap();

    let pushed = pushed_within(&mut pushes).await;
    assert_eq!(pushed.path, "/pubsub/push?from=emulator");
    assert!(pushed.headers.to_ascii_lowercase().contains("content-type: application/json"), "{}", pushed.headers);
    let body = &pushed.body;
    assert_eq!(body["subscription"], format!("projects/{project}/subscriptions/phase-1-requests-push"));
    assert_eq!(body["message"]["messageId"], id.as_str());
    assert_eq!(body["message"]["attributes"]["phase"], "1");
    let data = base64::engine::general_purpose::STANDARD.decode(body["message"]["data"].as_str().unwrap()).unwrap();
    assert_eq!(String::from_utf8(data).unwrap(), "ストーリー");
}

#[tokio::test]
async fn a_message_its_endpoint_always_refuses_lands_on_the_dead_letter_topic_after_5_deliveries() {
    let (host, project) = fresh_project().await;
    let mut teardown = Teardown::new(&host, &project);
    let admin = PubSubAdmin::new(&project, Some(host.clone()), None).unwrap();
    for topic in ["phase-5-requests", "phase-5-requests-dead-letter"] {
        admin.create_topic(&TopicSpec::new(topic)).await.unwrap();
        teardown.topics.push(topic.into());
    }
    // The dead-letter topic keeps nothing without a subscription: read it by pull.
    let bus = PubSubBus::new(&project, Some(host.clone())).await.unwrap();
    let mut dead_letters = bus.subscribe("phase-5-requests-dead-letter").await.unwrap();
    teardown.subscriptions.extend(admin.topic_subscriptions("phase-5-requests-dead-letter").await.unwrap());

    let (endpoint, mut pushes) = push_endpoint(500).await;
    let spec = SubscriptionSpec::push("phase-5-requests-push", "phase-5-requests", endpoint)
        .with_dead_letter("phase-5-requests-dead-letter");
    admin.create_subscription(&spec).await.unwrap();
    teardown.subscriptions.push(spec.name.clone());

    let id = bus.publish("phase-5-requests", BusMessage::new("poison").with_attribute("job_id", "j-5")).await.unwrap();
    let dead = next_within(&mut dead_letters).await;

    assert_eq!(&dead.data[..], b"poison");
    assert_eq!(dead.attributes.get("job_id").map(String::as_str), Some("j-5"));
    assert_eq!(dead.attributes.get("CloudPubSubDeadLetterSourceDeliveryCount").map(String::as_str), Some("5"));
    assert_eq!(
        dead.attributes.get("CloudPubSubDeadLetterSourceSubscription").map(String::as_str),
        Some("phase-5-requests-push")
    );
    assert_ne!(dead.id, id, "the dead letter is a new message on another topic");
    let mut deliveries = 0;
    while let Ok(pushed) = pushes.try_recv() {
        assert_eq!(pushed.body["message"]["messageId"], id.as_str());
        deliveries += 1;
    }
    assert_eq!(deliveries, 5);
}

#[tokio::test]
async fn the_seed_topology_applies_idempotently_with_each_service_endpoint() {
    let (host, project) = fresh_project().await;
    let mut teardown = Teardown::new(&host, &project);
    let admin = PubSubAdmin::new(&project, Some(host.clone()), None).unwrap();
    let topology = Topology::seeds();
    teardown.subscriptions.extend(topology.routes.iter().map(|r| r.subscription.name.clone()));
    teardown.topics.extend(topology.topics.iter().map(|t| t.name.clone()));
    // Port 9 (discard): nothing is published, so nothing is pushed there.
    let endpoints = |service: &str| format!("http://127.0.0.1:9/{service}/pubsub/push");

    let first = topology.apply(&admin, endpoints).await.unwrap();
    assert_eq!((first.created.len(), first.existing.len()), (56, 0));
    let second = topology.apply(&admin, endpoints).await.unwrap();
    assert_eq!((second.created.len(), second.existing.len()), (0, 56));

    let phase5 = admin.subscription("phase-5-requests-push").await.unwrap().expect("phase 5's subscription exists");
    assert_eq!(phase5.topic, "phase-5-requests");
    assert_eq!(phase5.push_endpoint.as_deref(), Some("http://127.0.0.1:9/phase5-images/pubsub/push"));
    assert_eq!(phase5.ack_deadline, Duration::from_secs(600));
    let dead_letter = phase5.dead_letter.expect("phase 5 dead-letters");
    assert_eq!((dead_letter.topic.as_str(), dead_letter.max_delivery_attempts), ("phase-5-requests-dead-letter", 5));
    assert_eq!(
        admin.topic_subscriptions("phase-completed-dead-letter").await.unwrap(),
        vec!["phase-completed-dead-letter-push".to_owned()]
    );
    let handler = admin.subscription("phase-transition-handler").await.unwrap().unwrap();
    assert_eq!(handler.push_endpoint.as_deref(), Some("http://127.0.0.1:9/orchestrator/pubsub/push"));

    topology.remove(&admin).await.unwrap();
    assert_eq!(admin.subscription("phase-5-requests-push").await.unwrap(), None);
    assert_eq!(admin.delete_topic("phase-1-requests").await.unwrap(), Change::AlreadyInPlace);
}

#[tokio::test]
async fn a_subscription_to_a_missing_topic_is_a_permanent_404() {
    let (host, project) = fresh_project().await;
    let admin = PubSubAdmin::new(&project, Some(host), None).unwrap();
    let error = admin.create_subscription(&SubscriptionSpec::pull("orphan", "no-such-topic")).await.unwrap_err();
    assert!(matches!(error, AdminError::Status { status: 404, .. }), "{error:?}");
    assert!(!error.is_transient());
}

#[tokio::test]
async fn an_unreachable_pubsub_is_a_transient_admin_error() {
    // Port 1 on loopback refuses connections.
    let admin = PubSubAdmin::new("p", Some("127.0.0.1:1".to_owned()), None).unwrap();
    let error = admin.create_topic(&TopicSpec::new("topic")).await.unwrap_err();
    assert!(matches!(error, AdminError::Unreachable { method: "PUT", .. }), "{error:?}");
    assert!(error.is_transient());
}

#[tokio::test]
async fn ping_says_whether_pubsub_answers() {
    let (host, project) = fresh_project().await;
    let bus = PubSubBus::new(project.clone(), Some(host)).await.unwrap();
    bus.ping().await.expect("the emulator answers");

    // A port nobody listens on: the probe reports it instead of hanging.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = closed.local_addr().unwrap();
    drop(closed);
    let bus = PubSubBus::new(project, Some(address.to_string())).await.unwrap();
    let err = bus.ping().await.expect_err("nothing listens there");
    let text = err.to_string();
    assert!(text.contains("Pub/Sub"), "{text}");
}
