//! A phase service's answer survives a failed publish: the push is
//! redelivered, and the redelivery publishes the result the first delivery
//! computed instead of acking it as a duplicate (issue 12, stall 2).

#![allow(clippy::unwrap_used, reason = "test helpers: a failure is the test failing")]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use manga_blob::{BlobStore, LocalBlobStore};
use manga_bus::{Bus, BusError, BusMessage, InMemoryBus, Subscription, topics};
use manga_domain::{ArtifactKey, JobOptions, PhaseId, Version};
use manga_phases::PhaseContext;
use manga_phases::service::PhaseService;
use manga_proto::{PhaseAddress, PhaseResult, PhaseStatus};
use manga_runtime::{PushHandler, PushMessage};
use manga_store::{JobMode, NewJob, PhaseRunStatus, SqliteStore, Store, UserId};
use prost::Message;

/// A bus whose first `failures` publishes to `phase-completed` fail.
struct FlakyBus {
    inner: InMemoryBus,
    failures: AtomicU32,
}

#[async_trait]
impl Bus for FlakyBus {
    async fn publish(&self, topic: &str, message: BusMessage) -> Result<String, BusError> {
        if topic == topics::PHASE_COMPLETED
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
async fn a_result_whose_publish_failed_is_published_by_the_redelivery() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().await.unwrap());
    let blob: Arc<dyn BlobStore> = Arc::new(LocalBlobStore::new(dir.path()));
    let bus = Arc::new(FlakyBus { inner: InMemoryBus::new(), failures: AtomicU32::new(1) });
    let mut results = bus.subscribe(topics::PHASE_COMPLETED).await.unwrap();

    let job = job_with_story(&store, &blob).await;

    let ctx =
        PhaseContext::new(blob, Arc::new(manga_ai::LocalProvider), Arc::new(manga_ai::LocalProvider), bus.clone());
    let service = PhaseService::new(PhaseId::Concept, ctx, store.clone(), Duration::from_secs(300));
    let at = PhaseAddress { job: job.id, version: Version::FIRST, phase: PhaseId::Concept, attempt: 1 };
    let request = manga_phases::handler::request_message(at, 1);
    let push = PushMessage {
        subscription: "projects/p/subscriptions/phase1-concept-push".into(),
        message_id: "m-1".into(),
        data: request.data.to_vec(),
        attributes: BTreeMap::new(),
        publish_time: None,
        delivery_attempt: None,
    };

    let first = service.handle(push.clone()).await;
    assert!(first.is_err(), "the publish failed, so Pub/Sub must redeliver: {first:?}");
    let runs = store.list_phase_runs(job.id, Version::FIRST).await.unwrap();
    assert_eq!(runs[0].status, PhaseRunStatus::Succeeded, "the work itself was done and recorded");

    // The redelivery finds the run finished: it must publish that run's result, not drop it.
    service.handle(push.clone()).await.unwrap();
    let message = tokio::time::timeout(Duration::from_secs(5), results.next()).await.unwrap().unwrap();
    let (result, got) = PhaseResult::decode_checked(&message.data).unwrap();
    assert_eq!(got, at);
    assert_eq!(result.status(), PhaseStatus::Succeeded);
    assert!(result.quality > 0.0 && !result.outputs.is_empty(), "{result:?}");

    // A third delivery sends the same copy again, and the work is not redone.
    service.handle(push).await.unwrap();
    let again = tokio::time::timeout(Duration::from_secs(5), results.next()).await.unwrap().unwrap();
    assert_eq!(
        PhaseResult::decode(again.data.as_ref()).unwrap(),
        result,
        "a duplicate is harmless to the orchestrator"
    );
}

/// The local text model, whose first `failures` concept calls fail transiently
/// and whose every concept call takes `delay`, counted in `calls`.
#[derive(Default)]
struct FlakyText {
    failures: AtomicU32,
    delay: Duration,
    calls: AtomicU32,
}

#[async_trait]
impl manga_ai::TextModel for FlakyText {
    fn name(&self) -> &str {
        "flaky"
    }

    async fn analyse_story(
        &self,
        story: &manga_domain::StoryText,
        request: &manga_ai::ConceptRequest,
    ) -> Result<manga_domain::Concept, manga_ai::AiError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(self.delay).await;
        if self.failures.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
            return Err(manga_ai::AiError::Unavailable { provider: "flaky".into(), message: "overloaded".into() });
        }
        manga_ai::LocalProvider.analyse_story(story, request).await
    }

    async fn design_characters(
        &self,
        story: &manga_domain::StoryText,
        concept: &manga_domain::Concept,
    ) -> Result<manga_domain::CharacterBible, manga_ai::AiError> {
        manga_ai::LocalProvider.design_characters(story, concept).await
    }

    async fn outline_plot(
        &self,
        story: &manga_domain::StoryText,
        concept: &manga_domain::Concept,
        bible: &manga_domain::CharacterBible,
    ) -> Result<manga_domain::Plot, manga_ai::AiError> {
        manga_ai::LocalProvider.outline_plot(story, concept, bible).await
    }
}

/// A job in the store with its story and options in the blob store.
async fn job_with_story(store: &Arc<dyn Store>, blob: &Arc<dyn BlobStore>) -> manga_store::JobRecord {
    let job = store
        .create_job(NewJob {
            id: manga_domain::JobId::new(),
            user: UserId::parse("alice").unwrap(),
            mode: JobMode::Auto,
            options: JobOptions::default(),
            title: None,
            start: None,
        })
        .await
        .unwrap();
    let story = "灯台守の娘は嵐の夜に灯りを守った。「消さないで」と父は言った。";
    blob.put(&ArtifactKey::story(job.id, Version::FIRST), Bytes::from(story), "text/plain").await.unwrap();
    let options = serde_json::to_vec(&JobOptions::default()).unwrap();
    blob.put(&ArtifactKey::options(job.id, Version::FIRST), options.into(), "application/json").await.unwrap();
    job
}

/// A concept service over SQLite whose text model takes `delay` a call, with a job to run.
async fn slow_concept_service(
    dir: &std::path::Path,
    delay: Duration,
    lease: Duration,
) -> (PhaseService, Arc<FlakyText>, Arc<dyn Store>, PushMessage) {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().await.unwrap());
    let blob: Arc<dyn BlobStore> = Arc::new(LocalBlobStore::new(dir));
    let bus: Arc<dyn Bus> = Arc::new(InMemoryBus::new());
    let job = job_with_story(&store, &blob).await;
    let text = Arc::new(FlakyText { delay, ..FlakyText::default() });
    let ctx = PhaseContext::new(blob, text.clone(), Arc::new(manga_ai::LocalProvider), bus);
    let service = PhaseService::new(PhaseId::Concept, ctx, store.clone(), lease);
    let at = PhaseAddress { job: job.id, version: Version::FIRST, phase: PhaseId::Concept, attempt: 1 };
    let push = PushMessage {
        subscription: "projects/p/subscriptions/phase-1-requests-push".into(),
        message_id: "m-1".into(),
        data: manga_phases::handler::request_message(at, 1).data.to_vec(),
        attributes: BTreeMap::new(),
        publish_time: None,
        delivery_attempt: None,
    };
    (service, text, store, push)
}

#[tokio::test]
async fn a_run_longer_than_its_lease_keeps_it_by_heartbeat_and_a_duplicate_does_not_run_it_again() {
    let dir = tempfile::tempdir().unwrap();
    // The model takes four leases; the heartbeat renews every quarter lease. The lease is long enough
    // that a heartbeat delayed by a busy CI machine (two cores, the fleet tests beside) still lands in time.
    let (service, text, store, push) =
        slow_concept_service(dir.path(), Duration::from_millis(4000), Duration::from_millis(1000)).await;
    let service = Arc::new(service);
    let first = tokio::spawn({
        let (service, push) = (service.clone(), push.clone());
        async move { service.handle(push).await }
    });
    // Redeliveries well past the first lease's end find the run held: each waits a lease for it and
    // leaves it to its holder; once it has finished, a redelivery is a duplicate and is acknowledged.
    let mut held_elsewhere = 0;
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(1100)).await;
        match service.handle(push.clone()).await {
            Err(manga_runtime::HandlerError::Transient(m)) if m.contains("running elsewhere") => held_elsewhere += 1,
            Ok(()) => assert!(first.is_finished(), "a duplicate was acknowledged while the run was going on"),
            other => panic!("{other:?}"),
        }
    }
    assert!(held_elsewhere >= 1, "the first redelivery came while the run was held");
    first.await.unwrap().unwrap();
    assert_eq!(text.calls.load(Ordering::SeqCst), 1, "the model was paid once");
    let runs = store.list_phase_runs(push_job(&push), Version::FIRST).await.unwrap();
    assert_eq!(runs[0].status, PhaseRunStatus::Succeeded);
}

#[tokio::test]
async fn a_request_cut_at_its_timeout_releases_its_lease_so_the_redelivery_runs_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (service, text, store, push) =
        slow_concept_service(dir.path(), Duration::from_millis(600), Duration::from_secs(600)).await;
    // Cloud Run cuts the request: the handler's future is dropped mid-run.
    let cut = tokio::time::timeout(Duration::from_millis(200), service.handle(push.clone())).await;
    assert!(cut.is_err(), "the first delivery was still running when cut");
    // The release runs on its own task; a redelivery comes after Pub/Sub's backoff.
    tokio::time::sleep(Duration::from_millis(100)).await;
    service.handle(push.clone()).await.unwrap();
    assert_eq!(
        text.calls.load(Ordering::SeqCst),
        2,
        "the redelivery ran, 10 minutes before the lease would have ended"
    );
    let runs = store.list_phase_runs(push_job(&push), Version::FIRST).await.unwrap();
    assert_eq!(runs[0].status, PhaseRunStatus::Succeeded);
}

#[tokio::test]
async fn a_redelivery_after_its_holder_died_waits_out_the_lease_and_runs_the_work() {
    let dir = tempfile::tempdir().unwrap();
    let lease = Duration::from_secs(2);
    let (service, text, store, push) = slow_concept_service(dir.path(), Duration::ZERO, lease).await;
    // A delivery claimed the run and its instance was killed: no heartbeat, no release.
    let run =
        manga_store::PhaseRunKey { job: push_job(&push), version: Version::FIRST, phase: PhaseId::Concept, attempt: 1 };
    let dead = Duration::from_millis(800);
    store.claim_phase_run(run, &manga_store::LeaseHolder::new(), dead).await.unwrap();
    let started = std::time::Instant::now();
    service.handle(push.clone()).await.expect("the redelivery runs the phase itself");
    assert!(started.elapsed() >= dead - Duration::from_millis(100), "it waited for the dead holder's lease");
    assert_eq!(text.calls.load(Ordering::SeqCst), 1, "the model was paid once");
    let runs = store.list_phase_runs(run.job, Version::FIRST).await.unwrap();
    assert_eq!(runs[0].status, PhaseRunStatus::Succeeded);
}

fn push_job(push: &PushMessage) -> manga_domain::JobId {
    manga_proto::PhaseRequest::decode_checked(&push.data).unwrap().1.job
}
