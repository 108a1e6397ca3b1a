//! Phase 5 delivered again after a partial run draws only the panels still
//! missing: each delivery makes progress and no panel is paid for twice.

#![allow(clippy::unwrap_used, reason = "test helpers: a failure is the test failing")]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};

use async_trait::async_trait;
use bytes::Bytes;
use manga_ai::{AiError, DrawnImage, ImageModel, LocalProvider, PanelRequest, PortraitRequest};
use manga_blob::{BlobStore, LocalBlobStore};
use manga_bus::InMemoryBus;
use manga_domain::{ArtifactKey, JobId, JobOptions, PanelArtSet, PhaseId, Version};
use manga_phases::PhaseContext;
use manga_phases::handler::handle;
use manga_proto::{PhaseAddress, PhaseRequest, PhaseStatus};

/// The local painter, paid per panel, failing transiently once `budget` panels are drawn.
struct MeteredPainter {
    budget: AtomicI64,
    drawn: AtomicU32,
}

#[async_trait]
impl ImageModel for MeteredPainter {
    fn name(&self) -> &str {
        "metered"
    }

    async fn draw_panel(&self, request: &PanelRequest) -> Result<DrawnImage, AiError> {
        if self.budget.fetch_sub(1, Ordering::SeqCst) <= 0 {
            return Err(AiError::Unavailable { provider: "metered".into(), message: "overloaded".into() });
        }
        self.drawn.fetch_add(1, Ordering::SeqCst);
        manga_ai::remote::usage::note(format!("{} drawn by the metered painter", request.panel.id));
        LocalProvider.draw_panel(request).await
    }

    async fn draw_portrait(&self, request: &PortraitRequest) -> Result<DrawnImage, AiError> {
        LocalProvider.draw_portrait(request).await
    }
}

/// Phases 1–4 of `job` under `dir` with the local provider; returns the blob store.
async fn storyboarded(dir: &std::path::Path, job: JobId) -> Arc<dyn BlobStore> {
    let blob: Arc<dyn BlobStore> = Arc::new(LocalBlobStore::new(dir));
    let story =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/kumo-to-kaze.txt")).unwrap();
    blob.put(&ArtifactKey::story(job, Version::FIRST), Bytes::from(story), "text/plain").await.unwrap();
    let options = serde_json::to_vec(&JobOptions {
        pages: Some(manga_domain::PageCount::parse(2).unwrap()),
        ..JobOptions::default()
    })
    .unwrap();
    blob.put(&ArtifactKey::options(job, Version::FIRST), options.into(), "application/json").await.unwrap();
    let ctx =
        PhaseContext::new(blob.clone(), Arc::new(LocalProvider), Arc::new(LocalProvider), Arc::new(InMemoryBus::new()));
    for phase in [PhaseId::Concept, PhaseId::Characters, PhaseId::Plot, PhaseId::Name] {
        let handled = handle(&ctx, &request(job, phase), address(job, phase)).await;
        assert_eq!(handled.result.status(), PhaseStatus::Succeeded, "{phase}: {}", handled.result.error);
    }
    blob
}

fn address(job: JobId, phase: PhaseId) -> PhaseAddress {
    PhaseAddress { job, version: Version::FIRST, phase, attempt: 1 }
}

fn request(job: JobId, phase: PhaseId) -> PhaseRequest {
    PhaseRequest {
        job_id: job.to_string(),
        version: 1,
        phase: phase.number(),
        attempt: 1,
        seed: 1,
        ..PhaseRequest::default()
    }
}

async fn images(blob: &Arc<dyn BlobStore>, painter: Arc<MeteredPainter>, job: JobId) -> manga_phases::handler::Handled {
    let ctx = PhaseContext::new(blob.clone(), Arc::new(LocalProvider), painter, Arc::new(InMemoryBus::new()));
    handle(&ctx, &request(job, PhaseId::Images), address(job, PhaseId::Images)).await
}

#[tokio::test]
async fn a_second_delivery_of_phase_5_draws_only_the_panels_the_first_left() {
    let job = JobId::new();
    let (cut, whole) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());

    let blob = storyboarded(cut.path(), job).await;
    let painter = Arc::new(MeteredPainter { budget: AtomicI64::new(3), drawn: AtomicU32::new(0) });
    let first = images(&blob, painter.clone(), job).await;
    assert!(first.transient, "the painter ran out after 3 panels: {:?}", first.result.error);
    let drawn_first = painter.drawn.load(Ordering::SeqCst);
    assert_eq!(drawn_first, 3);

    let painter = Arc::new(MeteredPainter { budget: AtomicI64::new(i64::MAX), drawn: AtomicU32::new(0) });
    let second = images(&blob, painter.clone(), job).await;
    assert_eq!(second.result.status(), PhaseStatus::Succeeded, "{}", second.result.error);
    let set_key = ArtifactKey::phase_output(job, Version::FIRST, PhaseId::Images);
    let set: PanelArtSet = serde_json::from_slice(&blob.get(&set_key).await.unwrap()).unwrap();
    assert!(set.panels.len() > 3, "a job of {} panels", set.panels.len());
    assert_eq!(
        drawn_first + painter.drawn.load(Ordering::SeqCst),
        set.panels.len() as u32,
        "every panel drawn exactly once over the two deliveries"
    );

    assert_drawn_as_in_one_go(&blob, whole.path(), job).await;
}

/// The panels of `job` in `blob` are those one process draws in one go, byte for byte.
async fn assert_drawn_as_in_one_go(blob: &Arc<dyn BlobStore>, scratch: &std::path::Path, job: JobId) {
    let set_key = ArtifactKey::phase_output(job, Version::FIRST, PhaseId::Images);
    let set: PanelArtSet = serde_json::from_slice(&blob.get(&set_key).await.unwrap()).unwrap();
    let fresh = storyboarded(scratch, job).await;
    let painter = Arc::new(MeteredPainter { budget: AtomicI64::new(i64::MAX), drawn: AtomicU32::new(0) });
    assert_eq!(images(&fresh, painter, job).await.result.status(), PhaseStatus::Succeeded);
    let clean: PanelArtSet = serde_json::from_slice(&fresh.get(&set_key).await.unwrap()).unwrap();
    assert_eq!(set, clean);
    for art in &set.panels {
        assert_eq!(blob.get(&art.image).await.unwrap(), fresh.get(&art.image).await.unwrap(), "{}", art.panel);
    }
}

/// A push of `message` as the subscription `subscription` delivers it.
fn push(subscription: &str, id: usize, message: &manga_bus::BusMessage) -> manga_runtime::PushMessage {
    manga_runtime::PushMessage {
        subscription: format!("projects/p/subscriptions/{subscription}"),
        message_id: format!("m-{id}"),
        data: message.data.to_vec(),
        attributes: message.attributes.clone(),
        publish_time: None,
        delivery_attempt: None,
    }
}

/// Phase 5 as one fleet service runs it, over SQLite and the in-memory bus, for a storyboarded job.
struct FleetPhase5 {
    blob: Arc<dyn BlobStore>,
    store: Arc<dyn manga_store::Store>,
    service: Arc<manga_phases::service::PhaseService>,
    painter: Arc<MeteredPainter>,
    panels: manga_bus::Subscription,
    results: manga_bus::Subscription,
}

impl FleetPhase5 {
    async fn new(dir: &std::path::Path, job: JobId) -> Self {
        use manga_bus::{Bus, topics};
        use manga_store::{JobMode, NewJob, SqliteStore, Store, UserId};

        let blob = storyboarded(dir, job).await;
        let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().await.unwrap());
        let new = NewJob {
            id: job,
            user: UserId::parse("alice").unwrap(),
            mode: JobMode::Auto,
            options: JobOptions::default(),
            title: None,
            start: None,
        };
        store.create_job(new).await.unwrap();
        let bus = Arc::new(InMemoryBus::new());
        let panels = bus.subscribe(topics::PHASE_5_PANELS).await.unwrap();
        let results = bus.subscribe(topics::PHASE_COMPLETED).await.unwrap();
        let painter = Arc::new(MeteredPainter { budget: AtomicI64::new(i64::MAX), drawn: AtomicU32::new(0) });
        let ctx = PhaseContext::new(blob.clone(), Arc::new(LocalProvider), painter.clone(), bus);
        let service = Arc::new(manga_phases::service::PhaseService::new(
            PhaseId::Images,
            ctx,
            store.clone(),
            std::time::Duration::from_secs(60),
        ));
        Self { blob, store, service, painter, panels, results }
    }
}

/// The messages on `subscription` until none comes for 200 ms.
async fn sent_now(subscription: &mut manga_bus::Subscription) -> Vec<manga_bus::BusMessage> {
    let mut sent = Vec::new();
    while let Ok(Some(message)) = tokio::time::timeout(std::time::Duration::from_millis(200), subscription.next()).await
    {
        sent.push(message);
    }
    sent
}

/// The panel ids of `job`'s storyboard, in reading order.
async fn storyboard_panels(blob: &Arc<dyn BlobStore>, job: JobId) -> Vec<String> {
    let key = ArtifactKey::phase_output(job, Version::FIRST, PhaseId::Name);
    let storyboard: manga_domain::Storyboard = serde_json::from_slice(&blob.get(&key).await.unwrap()).unwrap();
    storyboard.panels().map(|p| p.id.to_string()).collect()
}

#[tokio::test]
async fn the_fleets_phase_5_sends_one_message_per_panel_and_the_last_one_drawn_sends_the_result_once() {
    use manga_runtime::PushHandler;

    let job = JobId::new();
    let (dir, whole) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let FleetPhase5 { blob, service, painter, mut panels, mut results, .. } = FleetPhase5::new(dir.path(), job).await;

    let request = manga_phases::handler::request_message(address(job, PhaseId::Images), 1);
    service.handle(push("phase-5-requests-push", 0, &request)).await.unwrap();
    assert_eq!(painter.drawn.load(Ordering::SeqCst), 0, "the phase's own request draws nothing");
    let items = sent_now(&mut panels).await;
    let storyboard_panels = storyboard_panels(&blob, job).await;
    let sent: Vec<String> = items.iter().map(|m| PhaseRequest::decode_checked(&m.data).unwrap().0.item).collect();
    assert_eq!(sent, storyboard_panels, "one message per panel, in order");
    assert_eq!(items[0].attributes.get("item").map(String::as_str), Some(sent[0].as_str()));

    // A copy of the phase's request while its panels are out (a duplicate, the stall sweep) is
    // answered at once and sends nothing: waiting on the run would spend its tries for nothing.
    let copy = tokio::time::timeout(
        std::time::Duration::from_secs(1),
        service.handle(push("phase-5-requests-push", 99, &request)),
    );
    assert!(matches!(copy.await, Ok(Ok(()))), "acknowledged at once");
    assert!(sent_now(&mut panels).await.is_empty());

    // Every panel delivered twice at once, as Pub/Sub may: each is drawn once, and one result goes out.
    let deliveries = items.iter().chain(&items).enumerate().map(|(n, item)| {
        let service = service.clone();
        let message = push("phase-5-panels-push", n + 1, item);
        tokio::spawn(async move { service.handle(message).await })
    });
    for delivery in futures_util::future::join_all(deliveries).await {
        let answered = delivery.unwrap();
        // A duplicate that found its twin drawing may be asked to come back; none may fail for good.
        assert!(!matches!(answered, Err(manga_runtime::HandlerError::Permanent(_))), "{answered:?}");
    }
    let result = tokio::time::timeout(std::time::Duration::from_secs(5), results.next()).await.unwrap().unwrap();
    let (result, at) = manga_proto::PhaseResult::decode_checked(&result.data).unwrap();
    assert_eq!((result.status(), at), (PhaseStatus::Succeeded, address(job, PhaseId::Images)), "{}", result.error);
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(300), results.next()).await.is_err(),
        "exactly one result"
    );
    assert_eq!(painter.drawn.load(Ordering::SeqCst), storyboard_panels.len() as u32, "each panel drawn once");
    let notes = result.reasons.iter().filter(|r| r.code == manga_phases::handler::MODEL_NOTE).count();
    assert_eq!(notes, storyboard_panels.len(), "each panel's note, carried from its receipt into the result");

    assert_drawn_as_in_one_go(&blob, whole.path(), job).await;
}

/// The local text model, counting how often it designs characters.
#[derive(Default)]
struct CountingDesigner {
    designs: AtomicU32,
}

#[async_trait]
impl manga_ai::TextModel for CountingDesigner {
    fn name(&self) -> &str {
        "counting"
    }

    async fn analyse_story(
        &self,
        story: &manga_domain::StoryText,
        request: &manga_ai::ConceptRequest,
    ) -> Result<manga_domain::Concept, AiError> {
        LocalProvider.analyse_story(story, request).await
    }

    async fn design_characters(
        &self,
        story: &manga_domain::StoryText,
        concept: &manga_domain::Concept,
    ) -> Result<manga_domain::CharacterBible, AiError> {
        self.designs.fetch_add(1, Ordering::SeqCst);
        LocalProvider.design_characters(story, concept).await
    }

    async fn outline_plot(
        &self,
        story: &manga_domain::StoryText,
        concept: &manga_domain::Concept,
        bible: &manga_domain::CharacterBible,
    ) -> Result<manga_domain::Plot, AiError> {
        LocalProvider.outline_plot(story, concept, bible).await
    }
}

/// The local painter's portraits, failing transiently once `budget` are drawn.
struct PortraitMeter {
    budget: AtomicI64,
    drawn: AtomicU32,
}

#[async_trait]
impl ImageModel for PortraitMeter {
    fn name(&self) -> &str {
        "portrait-meter"
    }

    async fn draw_panel(&self, request: &PanelRequest) -> Result<DrawnImage, AiError> {
        LocalProvider.draw_panel(request).await
    }

    async fn draw_portrait(&self, request: &PortraitRequest) -> Result<DrawnImage, AiError> {
        if self.budget.fetch_sub(1, Ordering::SeqCst) <= 0 {
            return Err(AiError::Unavailable { provider: "portrait-meter".into(), message: "overloaded".into() });
        }
        self.drawn.fetch_add(1, Ordering::SeqCst);
        LocalProvider.draw_portrait(request).await
    }
}

#[tokio::test]
async fn a_second_delivery_of_phase_2_asks_for_the_designs_once_and_draws_only_the_portraits_left() {
    let job = JobId::new();
    let (cut, whole) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let bus = Arc::new(InMemoryBus::new());
    let key = ArtifactKey::phase_output(job, Version::FIRST, PhaseId::Characters);
    let mut bibles = Vec::new();
    for dir in [cut.path(), whole.path()] {
        // Attempt 2 of phase 2 (phases 1–4 ran as attempt 1): nothing of it is kept yet.
        let blob = storyboarded(dir, job).await;
        let designer = Arc::new(CountingDesigner::default());
        let mut portraits_paid = 0;
        // In the cut run the painter gives out after one portrait, then a redelivery goes on.
        let budgets: &[i64] = if dir == cut.path() { &[1, i64::MAX] } else { &[i64::MAX] };
        for (n, budget) in budgets.iter().enumerate() {
            let painter = Arc::new(PortraitMeter { budget: AtomicI64::new(*budget), drawn: AtomicU32::new(0) });
            let ctx = PhaseContext::new(blob.clone(), designer.clone(), painter.clone(), bus.clone());
            let at = PhaseAddress { attempt: 2, ..address(job, PhaseId::Characters) };
            let handled = handle(&ctx, &PhaseRequest { attempt: 2, ..request(job, PhaseId::Characters) }, at).await;
            let last = n + 1 == budgets.len();
            assert_eq!(handled.transient, !last, "delivery {n}: {}", handled.result.error);
            portraits_paid += painter.drawn.load(Ordering::SeqCst);
        }
        assert_eq!(designer.designs.load(Ordering::SeqCst), 1, "the designs asked for once in {}", dir.display());
        let bible: manga_domain::CharacterBible = serde_json::from_slice(&blob.get(&key).await.unwrap()).unwrap();
        assert!(bible.characters.len() > 1, "a cast of {}", bible.characters.len());
        assert_eq!(portraits_paid as usize, bible.characters.len(), "each portrait drawn once");
        let mut portraits = Vec::new();
        for sheet in &bible.characters {
            portraits.push(blob.get(sheet.portrait.as_ref().unwrap()).await.unwrap());
        }
        bibles.push((bible, portraits));
    }
    assert_eq!(bibles[0], bibles[1], "the same bible and portraits as in one go, byte for byte");
}

#[tokio::test]
async fn the_fleets_phase_2_sends_one_message_per_portrait_after_asking_for_the_designs_once() {
    use manga_bus::{Bus, topics};
    use manga_runtime::PushHandler;
    use manga_store::{JobMode, NewJob, SqliteStore, Store, UserId};

    let job = JobId::new();
    let (dir, whole) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let blob = storyboarded(dir.path(), job).await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().await.unwrap());
    let user = UserId::parse("alice").unwrap();
    let new = NewJob { id: job, user, mode: JobMode::Auto, options: JobOptions::default(), title: None, start: None };
    store.create_job(new).await.unwrap();
    let bus = Arc::new(InMemoryBus::new());
    let mut portraits = bus.subscribe(topics::PHASE_2_PORTRAITS).await.unwrap();
    let mut results = bus.subscribe(topics::PHASE_COMPLETED).await.unwrap();
    let designer = Arc::new(CountingDesigner::default());
    let painter = Arc::new(PortraitMeter { budget: AtomicI64::new(i64::MAX), drawn: AtomicU32::new(0) });
    let ctx = PhaseContext::new(blob.clone(), designer.clone(), painter.clone(), bus.clone());
    let lease = std::time::Duration::from_secs(60);
    let service = manga_phases::service::PhaseService::new(PhaseId::Characters, ctx, store, lease);

    // Attempt 2: phases 1–4 ran as attempt 1, so nothing of this one is kept yet.
    let at = PhaseAddress { attempt: 2, ..address(job, PhaseId::Characters) };
    let whole_phase = manga_phases::handler::request_message(at, 1);
    service.handle(push("phase-2-requests-push", 0, &whole_phase)).await.unwrap();
    assert_eq!(painter.drawn.load(Ordering::SeqCst), 0, "the phase's own request draws no portrait");
    let mut items = Vec::new();
    while let Ok(Some(item)) = tokio::time::timeout(std::time::Duration::from_millis(200), portraits.next()).await {
        items.push(item);
    }
    for (n, item) in items.iter().enumerate() {
        service.handle(push("phase-2-portraits-push", n + 1, item)).await.unwrap();
    }
    let result = tokio::time::timeout(std::time::Duration::from_secs(5), results.next()).await.unwrap().unwrap();
    let (result, _) = manga_proto::PhaseResult::decode_checked(&result.data).unwrap();
    assert_eq!(result.status(), PhaseStatus::Succeeded, "{}", result.error);
    assert_eq!(designer.designs.load(Ordering::SeqCst), 1, "the designs asked for once");

    let key = ArtifactKey::phase_output(job, Version::FIRST, PhaseId::Characters);
    let bible: manga_domain::CharacterBible = serde_json::from_slice(&blob.get(&key).await.unwrap()).unwrap();
    let sent: Vec<String> = items.iter().map(|m| PhaseRequest::decode_checked(&m.data).unwrap().0.item).collect();
    let cast: Vec<String> = bible.characters.iter().map(|c| c.id.to_string()).collect();
    assert_eq!(sent, cast, "one message per character, in the bible's order");
    assert_eq!(painter.drawn.load(Ordering::SeqCst) as usize, cast.len(), "each portrait drawn once");

    // The same bible and portraits as one process makes in one go.
    let fresh = storyboarded(whole.path(), job).await;
    let ctx = PhaseContext::new(fresh.clone(), Arc::new(LocalProvider), Arc::new(LocalProvider), bus.clone());
    let handled = handle(&ctx, &PhaseRequest { attempt: 2, ..request(job, PhaseId::Characters) }, at).await;
    assert_eq!(handled.result.status(), PhaseStatus::Succeeded);
    let clean: manga_domain::CharacterBible = serde_json::from_slice(&fresh.get(&key).await.unwrap()).unwrap();
    assert_eq!(bible, clean);
    for sheet in &bible.characters {
        let portrait = sheet.portrait.as_ref().unwrap();
        assert_eq!(blob.get(portrait).await.unwrap(), fresh.get(portrait).await.unwrap(), "{}", sheet.id);
    }
}

#[tokio::test]
async fn a_delivery_after_its_holder_died_between_planning_and_sending_the_panels_sends_them() {
    use manga_runtime::PushHandler;

    let job = JobId::new();
    let dir = tempfile::tempdir().unwrap();
    let FleetPhase5 { blob, store, service, mut panels, mut results, .. } = FleetPhase5::new(dir.path(), job).await;
    // The dead holder: it claimed the run and planned every panel, under a lease still live, and sent none.
    let run = manga_store::PhaseRunKey { job, version: Version::FIRST, phase: PhaseId::Images, attempt: 1 };
    let storyboard_panels = storyboard_panels(&blob, job).await;
    let lease = std::time::Duration::from_secs(600);
    store.claim_phase_run(run, &manga_store::LeaseHolder::new(), lease).await.unwrap();
    store.plan_items(run, &storyboard_panels).await.unwrap();

    let request = manga_phases::handler::request_message(address(job, PhaseId::Images), 1);
    service.handle(push("phase-5-requests-push", 0, &request)).await.unwrap();
    let items = sent_now(&mut panels).await;
    let mut sent: Vec<String> = items.iter().map(|m| PhaseRequest::decode_checked(&m.data).unwrap().0.item).collect();
    sent.sort();
    let mut planned = storyboard_panels.clone();
    planned.sort();
    assert_eq!(sent, planned, "every planned panel sent by the redelivery");

    // Sent now: a further copy leaves the panels to finish the run.
    service.handle(push("phase-5-requests-push", 1, &request)).await.unwrap();
    assert!(sent_now(&mut panels).await.is_empty(), "nothing sent twice once all went out");
    for (n, item) in items.iter().enumerate() {
        service.handle(push("phase-5-panels-push", n + 2, item)).await.unwrap();
    }
    let result = tokio::time::timeout(std::time::Duration::from_secs(5), results.next()).await.unwrap().unwrap();
    let (result, _) = manga_proto::PhaseResult::decode_checked(&result.data).unwrap();
    assert_eq!(result.status(), PhaseStatus::Succeeded, "{}", result.error);
}
