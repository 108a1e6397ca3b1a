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
use manga_orchestrator::service::{JobService, ServiceError, ServiceSettings};
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
    let (service, mut characters) = flaky_service(PhaseId::Characters, 1, dir.path(), Duration::from_secs(900)).await;
    let alice = UserId::parse("alice").unwrap();
    let job = service.create_job(&alice, one_page("灯台守の娘は嵐の夜に灯りを守った。")).await.unwrap();
    let at = PhaseAddress {
        job: JobId::parse(&job.id).unwrap(),
        version: Version::FIRST,
        phase: PhaseId::Concept,
        attempt: 1,
    };
    let result = concept_passed(&job.id);

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

#[tokio::test]
async fn a_dead_lettered_result_is_tried_once_more_then_fails_the_job_with_why() {
    use manga_orchestrator::fleet::FleetOrchestrator;
    use manga_runtime::{PushHandler, PushMessage};
    use prost::Message;

    let dir = tempfile::tempdir().unwrap();
    // Phase 2's request never goes out: every result of phase 1 fails to be taken.
    let topic = PhaseId::Characters.request_topic();
    let bus = Arc::new(FlakyBus { inner: InMemoryBus::new(), topic, failures: AtomicU32::new(u32::MAX) });
    let service = Arc::new(service_on(bus, dir.path(), Duration::from_secs(900)).await);
    let alice = UserId::parse("alice").unwrap();
    let job = service.create_job(&alice, one_page("灯台守の娘は嵐の夜に灯りを守った。")).await.unwrap();
    let result = concept_passed(&job.id);
    let orchestrator = FleetOrchestrator::new(service.clone());
    let push = |subscription: &str| PushMessage {
        subscription: format!("projects/p/subscriptions/{subscription}"),
        message_id: "1".into(),
        data: result.encode_to_vec(),
        attributes: [("CloudPubSubDeadLetterSourceDeliveryCount".to_owned(), "5".to_owned())].into(),
        publish_time: None,
        delivery_attempt: None,
    };

    // Five deliveries on the result's own subscription: each is left for redelivery.
    for _ in 0..5 {
        assert!(orchestrator.handle(push("phase-transition-handler")).await.is_err());
    }
    assert_eq!(service.get_job(&alice, &job.id).await.unwrap().state, "running");
    // Then Pub/Sub dead-letters it: the job ends, saying why.
    orchestrator.handle(push("phase-completed-dead-letter-push")).await.unwrap();
    let view = service.get_job(&alice, &job.id).await.unwrap();
    assert_eq!(view.state, "failed");
    let error = view.error.unwrap();
    assert!(error.starts_with("the result of phase 1 concept attempt 1 could not be taken after 5 tries"), "{error}");
}

#[test]
fn every_subscription_pushed_to_the_orchestrator_has_an_inbox() {
    use manga_orchestrator::fleet::Inbox;
    let topology = manga_bus::Topology::seeds();
    let routes: Vec<_> = topology.routes.iter().filter(|r| r.service == manga_bus::pubsub::ORCHESTRATOR).collect();
    assert_eq!(
        routes.len(),
        8 + 2 + 4 + 4,
        "8 request dead letters, the dead letters of phase 2's portraits and phase 5's panels, 4 work subscriptions, \
         their 4 dead letters"
    );
    for route in routes {
        let name = &route.subscription.name;
        assert!(Inbox::of(&format!("projects/p/subscriptions/{name}")).is_some(), "{name} has no inbox");
    }
    assert_eq!(Inbox::of("projects/p/subscriptions/phase-completed-dead-letter-push"), Some(Inbox::ResultDeadLetter));
    assert_eq!(Inbox::of("phase-5-requests-dead-letter-push"), Some(Inbox::RequestDeadLetter));
    assert_eq!(Inbox::of("phase-5-panels-dead-letter-push"), Some(Inbox::RequestDeadLetter));
    assert_eq!(Inbox::of("phase-2-portraits-dead-letter-push"), Some(Inbox::RequestDeadLetter));
    assert_eq!(Inbox::of("phase-5-panels-push"), None, "phase 5's panels are phase 5's");
    assert_eq!(Inbox::of("phase-transition-handler"), Some(Inbox::Result));
    assert_eq!(Inbox::of("phase-5-requests-push"), None, "a phase's own requests are not the orchestrator's");
}

/// A service over SQLite and files under `dir`, on `bus`, with the given phase deadline and 2 re-sends.
async fn service_on(bus: Arc<dyn Bus>, dir: &std::path::Path, deadline: Duration) -> JobService {
    let settings = ServiceSettings { phase_deadline: deadline, max_resends: 2, ..ServiceSettings::default() };
    JobService::new(
        Arc::new(SqliteStore::open(dir.join("manga.db")).await.unwrap()),
        bus,
        Arc::new(LocalBlobStore::new(dir.join("artifacts"))),
        Arc::new(LocalHub::new()),
        Arc::new(manga_ai::Models::local()),
        settings,
    )
}

/// A service whose first `failures` requests to `phase` are lost, and a subscription that sees those that go out.
async fn flaky_service(
    phase: PhaseId,
    failures: u32,
    dir: &std::path::Path,
    deadline: Duration,
) -> (JobService, Subscription) {
    let topic = phase.request_topic();
    let bus =
        Arc::new(FlakyBus { inner: InMemoryBus::new(), topic: topic.clone(), failures: AtomicU32::new(failures) });
    let requests = bus.subscribe(&topic).await.unwrap();
    (service_on(bus, dir, deadline).await, requests)
}

/// A service with a 300 ms phase deadline and a one-page job whose phase 1 request was taken
/// off the bus (as by a phase service), with the subscription that sees any request sent again.
async fn job_with_its_first_request_taken(
    dir: &std::path::Path,
) -> (JobService, Subscription, manga_orchestrator::views::JobView) {
    let bus = Arc::new(InMemoryBus::new());
    let mut requests = bus.subscribe(&PhaseId::Concept.request_topic()).await.unwrap();
    let service = service_on(bus, dir, Duration::from_millis(300)).await;
    let alice = UserId::parse("alice").unwrap();
    let job = service.create_job(&alice, one_page("灯台守の娘は嵐の夜に灯りを守った。")).await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), requests.next()).await.unwrap().unwrap();
    (service, requests, job)
}

/// Phase 1's first attempt of `job`, passed.
fn concept_passed(job: &str) -> PhaseResult {
    PhaseResult {
        job_id: job.to_owned(),
        version: 1,
        phase: 1,
        attempt: 1,
        status: PhaseStatus::Succeeded as i32,
        quality: 0.95,
        ..PhaseResult::default()
    }
}

fn one_page(story: &str) -> CreateJob {
    CreateJob { story: story.into(), pages: Some(1), ..CreateJob::default() }
}

#[tokio::test]
async fn a_first_request_the_bus_refuses_fails_the_job_at_once_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (service, _requests) = flaky_service(PhaseId::Concept, 1, dir.path(), Duration::from_secs(900)).await;
    let alice = UserId::parse("alice").unwrap();
    let refused = service.create_job(&alice, one_page("灯台守の娘は嵐の夜に灯りを守った。")).await;
    let Err(ServiceError::Unavailable(why)) = refused else { panic!("a 503, not {refused:?}") };
    assert!(why.starts_with("the job could not be started: "), "{why}");
    assert!(why.ends_with("nothing was run, so it can be created again"), "{why}");
    let jobs = service.list_jobs(&alice).await.unwrap();
    assert_eq!(jobs.len(), 1, "the job is kept, failed, so the person sees what happened");
    assert_eq!((jobs[0].state, jobs[0].error.as_deref()), ("failed", Some(why.as_str())));
    // The bus is back: creating it again runs.
    let job = service.create_job(&alice, one_page("灯台守の娘は嵐の夜に灯りを守った。")).await.unwrap();
    assert_eq!(job.state, "running");
}

#[tokio::test]
async fn a_first_request_lost_in_flight_is_sent_again_by_the_stall_sweep() {
    let dir = tempfile::tempdir().unwrap();
    // Taken by a phase service that died before claiming it.
    let (service, mut requests, job) = job_with_its_first_request_taken(dir.path()).await;
    let mut events = service.events().subscribe(JobId::parse(&job.id).unwrap()).await;

    assert_eq!(service.sweep_stalled().await.unwrap(), 0, "not yet past the deadline");
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(service.sweep_stalled().await.unwrap(), 1);
    let sent = tokio::time::timeout(Duration::from_secs(5), requests.next()).await.unwrap().unwrap();
    let (request, to) = PhaseRequest::decode_checked(&sent.data).unwrap();
    assert_eq!((to.phase, to.attempt, request.job_id), (PhaseId::Concept, 1, job.id.clone()));
    let event = tokio::time::timeout(Duration::from_secs(5), events.recv()).await.unwrap().unwrap();
    assert_eq!(
        (event.kind.as_str(), event.message.as_str()),
        ("phase_resent", "phase 1 concept made no progress in time; its request was sent again")
    );
    assert_eq!(service.sweep_stalled().await.unwrap(), 0, "the re-send restarted the clock");
}

#[tokio::test]
async fn a_step_that_never_answers_fails_the_job_after_its_re_sends_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens: every request goes nowhere, as with a phase service that is down.
    let service = service_on(Arc::new(InMemoryBus::new()), dir.path(), Duration::from_millis(100)).await;
    let alice = UserId::parse("alice").unwrap();
    let job = service.create_job(&alice, one_page("灯台守の娘は嵐の夜に灯りを守った。")).await.unwrap();
    for resend in 1..=2 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert_eq!(service.sweep_stalled().await.unwrap(), 1, "re-send {resend}");
        assert_eq!(service.get_job(&alice, &job.id).await.unwrap().state, "running");
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(service.sweep_stalled().await.unwrap(), 1);
    let view = service.get_job(&alice, &job.id).await.unwrap();
    assert_eq!(view.state, "failed");
    assert_eq!(
        view.error.as_deref(),
        Some(
            "phase 1 concept attempt 1 made no progress in about 1 s, though its request was sent 3 times; \
             the phase service may be down or failing"
        )
    );
    assert_eq!(service.sweep_stalled().await.unwrap(), 0, "a failed job is left alone");
}

#[tokio::test]
async fn a_job_left_running_by_a_stopped_process_finishes_when_the_product_starts_again() {
    let dir = tempfile::tempdir().unwrap();
    let alice = UserId::parse("alice").unwrap();
    // The first process took the job and died before any phase answered (its bus had no workers).
    let first = service_on(Arc::new(InMemoryBus::new()), dir.path(), Duration::from_secs(900)).await;
    let job = first
        .create_job(&alice, one_page("灯台守の娘は嵐の夜に灯りを守った。「消さないで」と父は言った。"))
        .await
        .unwrap();
    assert_eq!(job.state, "running");
    drop(first);

    let settings = ServiceSettings::default();
    let product = manga_orchestrator::local::LocalProduct::start(dir.path(), settings, false).await.unwrap();
    let mut state = String::new();
    for _ in 0..600 {
        state = product.service.get_job(&alice, &job.id).await.unwrap().state.to_owned();
        if state != "running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(state, "succeeded", "the restarted product resumed the job");
}

#[tokio::test]
async fn a_quiet_step_still_held_by_its_phase_service_is_not_sent_again() {
    use manga_store::{LeaseHolder, PhaseRunKey};

    let dir = tempfile::tempdir().unwrap();
    let (service, mut requests, job) = job_with_its_first_request_taken(dir.path()).await;
    // A phase service took the request and works on it for longer than the deadline, renewing its lease.
    let key = PhaseRunKey {
        job: JobId::parse(&job.id).unwrap(),
        version: Version::FIRST,
        phase: PhaseId::Concept,
        attempt: 1,
    };
    let holder = LeaseHolder::new();
    service.store().claim_phase_run(key, &holder, Duration::from_secs(30)).await.unwrap();

    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(service.sweep_stalled().await.unwrap(), 0, "held under a live lease: not stalled");
    assert!(tokio::time::timeout(Duration::from_millis(100), requests.next()).await.is_err(), "nothing re-sent");

    // The service died and its lease was let go: now the step is stalled and sent again.
    service.store().release_phase_run(key, &holder).await.unwrap();
    assert_eq!(service.sweep_stalled().await.unwrap(), 1);
    let sent = tokio::time::timeout(Duration::from_secs(5), requests.next()).await.unwrap().unwrap();
    let (_, to) = PhaseRequest::decode_checked(&sent.data).unwrap();
    assert_eq!((to.phase, to.attempt), (PhaseId::Concept, 1));
}

#[tokio::test]
async fn a_step_held_past_every_re_send_counts_as_stalled_all_the_same() {
    use manga_store::{LeaseHolder, PhaseRunKey};

    let dir = tempfile::tempdir().unwrap();
    // Deadline 300 ms and 2 re-sends: a run held for 900 ms or more has had its patience.
    let service = service_on(Arc::new(InMemoryBus::new()), dir.path(), Duration::from_millis(300)).await;
    let alice = UserId::parse("alice").unwrap();
    let job = service.create_job(&alice, one_page("灯台守の娘は嵐の夜に灯りを守った。")).await.unwrap();
    let key = PhaseRunKey {
        job: JobId::parse(&job.id).unwrap(),
        version: Version::FIRST,
        phase: PhaseId::Concept,
        attempt: 1,
    };
    service.store().claim_phase_run(key, &LeaseHolder::new(), Duration::from_secs(30)).await.unwrap();

    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(service.sweep_stalled().await.unwrap(), 0, "held, and within its patience");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(service.sweep_stalled().await.unwrap(), 1, "a run held that long is stuck, lease or not");
}
