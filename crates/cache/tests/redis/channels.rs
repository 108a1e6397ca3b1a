use std::time::Duration;

use futures_util::StreamExt;
use manga_cache::{Channel, ChannelMessage};
use manga_domain::JobId;
use serde::{Deserialize, Serialize};

use crate::support::TestCache;

const ARRIVAL: Duration = Duration::from_secs(5);

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Progress {
    phase: u32,
    percent: u8,
}

async fn next_message(stream: &mut manga_cache::ChannelStream) -> ChannelMessage {
    tokio::time::timeout(ARRIVAL, stream.next())
        .await
        .unwrap_or_else(|_| panic!("no message arrived within {ARRIVAL:?}"))
        .expect("the subscription ended early")
}

#[tokio::test]
async fn a_published_progress_message_arrives_at_a_subscriber_on_another_connection() {
    let publisher = TestCache::new().await;
    let job_id = JobId::new();
    let mut stream = publisher.subscribe(job_id, &Channel::ALL).await.unwrap();

    let receivers =
        publisher.publish_json(Channel::PhaseProgress, job_id, &Progress { phase: 5, percent: 40 }).await.unwrap();

    assert_eq!(receivers, 1);
    let message = next_message(&mut stream).await;
    assert_eq!(message.channel, Channel::PhaseProgress);
    assert_eq!(message.job_id, job_id);
    assert_eq!(message.json::<Progress>().unwrap(), Progress { phase: 5, percent: 40 });
}

#[tokio::test]
async fn a_subscriber_gets_only_its_jobs_messages_in_publication_order() {
    let cache = TestCache::new().await;
    let job_id = JobId::new();
    let other = JobId::new();
    let mut stream = cache.subscribe(job_id, &[Channel::HitlFeedback, Channel::SessionTimeout]).await.unwrap();

    assert_eq!(cache.publish(Channel::HitlFeedback, other, b"not yours").await.unwrap(), 0);
    assert_eq!(cache.publish(Channel::PhaseProgress, job_id, b"not subscribed").await.unwrap(), 0);
    cache.publish(Channel::HitlFeedback, job_id, b"approve").await.unwrap();
    cache.publish(Channel::SessionTimeout, job_id, b"\x00\xffraw").await.unwrap();

    let first = next_message(&mut stream).await;
    let second = next_message(&mut stream).await;
    assert_eq!((first.channel, first.payload.as_slice()), (Channel::HitlFeedback, b"approve".as_slice()));
    assert_eq!((second.channel, second.payload.as_slice()), (Channel::SessionTimeout, b"\x00\xffraw".as_slice()));
}

#[tokio::test]
async fn every_subscribed_instance_receives_each_event() {
    let instance_a = TestCache::new().await;
    // A second connection under the same prefix: another orchestrator instance.
    let instance_b = manga_cache::Cache::connect(&crate::support::redis_url(), instance_a.prefix()).await.unwrap();
    let job_id = JobId::new();
    let mut on_a = instance_a.subscribe(job_id, &[Channel::PhaseProgress]).await.unwrap();
    let mut on_b = instance_b.subscribe(job_id, &[Channel::PhaseProgress]).await.unwrap();

    assert_eq!(instance_b.publish(Channel::PhaseProgress, job_id, b"phase 3 done").await.unwrap(), 2);

    assert_eq!(next_message(&mut on_a).await.payload, b"phase 3 done");
    assert_eq!(next_message(&mut on_b).await.payload, b"phase 3 done");
}

#[tokio::test]
async fn a_subscriber_under_another_prefix_hears_nothing() {
    let a = TestCache::new().await;
    let b = TestCache::new().await;
    let job_id = JobId::new();
    let _in_b = b.subscribe(job_id, &Channel::ALL).await.unwrap();

    assert_eq!(a.publish(Channel::PhaseProgress, job_id, b"x").await.unwrap(), 0);
    assert_ne!(a.channel_name(Channel::PhaseProgress, job_id), b.channel_name(Channel::PhaseProgress, job_id));
}

#[tokio::test]
async fn a_payload_that_is_not_the_expected_json_is_a_json_error() {
    let cache = TestCache::new().await;
    let job_id = JobId::new();
    let mut stream = cache.subscribe(job_id, &[Channel::PhaseProgress]).await.unwrap();
    cache.publish(Channel::PhaseProgress, job_id, b"{\"phase\":\"five\"}").await.unwrap();

    let err = next_message(&mut stream).await.json::<Progress>().unwrap_err();

    assert!(!err.is_transient());
    assert_eq!(err.to_string(), "invalid JSON for channel message");
}
