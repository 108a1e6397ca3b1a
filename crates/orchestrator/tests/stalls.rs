//! Ways a job could be left Running with nothing in flight (issue 12), each
//! shown to end in the job moving on.

#![allow(clippy::unwrap_used, reason = "test helpers: a failure is the test failing")]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use manga_blob::LocalBlobStore;
use manga_bus::{Bus, BusError, BusMessage, InMemoryBus, Subscription};
use manga_domain::{JobId, PhaseId, Version};
use manga_orchestrator::events::LocalHub;
use manga_orchestrator::service::{JobService, ServiceSettings};
use manga_orchestrator::views::CreateJob;
use manga_proto::{PhaseAddress, PhaseRequest, PhaseResult, PhaseStatus};
use manga_store::{SqliteStore, UserId};

/// A bus whose first `failures` publishes to `topic` fail.
struct FlakyBus {
    inner: InMemoryBus,
    topic: String,
    failures: AtomicU32,
}

#[async_trait]
impl Bus for FlakyBus {
    async fn publish(&self, topic: &str, message: BusMessage) -> Result<String, BusError> {
        if topic == self.topic
            && self.failures.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
        {
            return Err(BusError::Unavailable("Pub/Sub is briefly away".into()));
        }
        self.inner.publish(topic, message).await
    }

    async fn subscribe(&self, topic: &str) -> Result<Subscription, BusError> {
        self.inner.subscribe(topic).await
    }
}

#[tokio::test]
async fn a_next_request_that_could_not_be_sent_fails_the_result_so_its_redelivery_sends_it() {
    let dir = tempfile::tempdir().unwrap();
    let topic = PhaseId::Characters.request_topic();
    let bus = Arc::new(FlakyBus { inner: InMemoryBus::new(), topic: topic.clone(), failures: AtomicU32::new(1) });
    let mut characters = bus.subscribe(&topic).await.unwrap();
    let service = JobService::new(
        Arc::new(SqliteStore::in_memory().await.unwrap()),
        bus.clone(),
        Arc::new(LocalBlobStore::new(dir.path())),
        Arc::new(LocalHub::new()),
        Arc::new(manga_ai::Models::local()),
        ServiceSettings::default(),
    );
    let alice = UserId::parse("alice").unwrap();
    let body = CreateJob {
        story: "灯台守の娘は嵐の夜に灯りを守った。".into(), pages: Some(1), ..CreateJob::default()
    };
    let job = service.create_job(&alice, body).await.unwrap();
    let at = PhaseAddress {
        job: JobId::parse(&job.id).unwrap(),
        version: Version::FIRST,
        phase: PhaseId::Concept,
        attempt: 1,
    };
    let result = PhaseResult {
        job_id: job.id.clone(),
        version: 1,
        phase: 1,
        attempt: 1,
        status: PhaseStatus::Succeeded as i32,
        quality: 0.95,
        ..PhaseResult::default()
    };

    let first = service.on_result(&result, at).await;
    assert!(first.is_err(), "phase 2's request was not sent, so the result must come again: {first:?}");
    // Pub/Sub redelivers the result; the job already moved on, and now its request goes out.
    service.on_result(&result, at).await.unwrap();
    let sent = tokio::time::timeout(Duration::from_secs(5), characters.next()).await.unwrap().unwrap();
    let (request, to) = PhaseRequest::decode_checked(&sent.data).unwrap();
    assert_eq!((to.phase, to.attempt, request.job_id), (PhaseId::Characters, 1, job.id.clone()));
    let view = service.get_job(&alice, &job.id).await.unwrap();
    assert_eq!((view.state, view.phases[1].state), ("running", "running"));
}
