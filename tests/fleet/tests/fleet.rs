//! The fleet end to end: `deploy/local/up` brings up the emulator topology,
//! a fresh Postgres database and the nine services; a story goes in through
//! the orchestrator's API; the published pages must equal the embedded
//! pipeline's for the same story and seed, byte for byte.
//!
//! Needs Postgres, Redis and the Pub/Sub emulator (`tests/run` starts them).

use std::process::Command;
use std::time::Duration;

use manga_bus::{Bus, BusMessage, PubSubBus};
use manga_domain::{ArtifactKey, JobId, JobOptions, PageCount, PhaseId, StoryText, Version};
use manga_fleet_tests::{Fleet, PGURL, TEST_USER, authorised_client, story, wait_for};
use manga_orchestrator::JobSpec;
use manga_orchestrator::embedded::Embedded;
use manga_proto::PhaseRequest;
use manga_store::{JobMode, NewJob, PgStore, PoolSettings, Store, UserId};
use prost::Message;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_story_goes_through_nine_services_and_matches_the_embedded_pipeline() {
    let fleet = Fleet::up();
    let http = authorised_client();

    // Bad input gets a 400 with a reason, and creates nothing.
    let bad = http.post(fleet.url("/v1/jobs")).json(&serde_json::json!({ "story": "   " })).send().await.expect("POST");
    assert_eq!(bad.status().as_u16(), 400);
    assert!(bad.text().await.unwrap_or_default().contains("empty"));

    let id = fleet.submit(&http, 4, 3).await;
    let job = fleet.finished(&http, id).await;
    assert_eq!(job["state"], "succeeded", "{job:#}");

    // Each phase ran in its own process, in order, exactly once per attempt (the store's phase runs).
    let store =
        PgStore::connect(&format!("{PGURL}/{}", fleet.database), PoolSettings::default()).await.expect("Postgres");
    let runs = store.list_phase_runs(id, Version::FIRST).await.expect("phase runs");
    for phase in PhaseId::ALL {
        assert_eq!(job["phases"][phase.number() as usize - 1]["state"], "approved", "{phase}: {job:#}");
        let attempts: Vec<u32> = runs.iter().filter(|r| r.key.phase == phase).map(|r| r.key.attempt).collect();
        assert!(!attempts.is_empty(), "{phase} never ran");
        assert_eq!(attempts, (1..=attempts.len() as u32).collect::<Vec<_>>(), "{phase}: attempts {attempts:?}");
        let log = fleet.log(&phase.service());
        assert!(
            log.contains(&id.to_string()) && log.contains("phase finished"),
            "{} did not log the job",
            phase.service()
        );
    }

    // The same story and seed, embedded, give the same pages, byte for byte.
    let work = tempfile::tempdir().expect("tempdir");
    let embedded = Embedded::start(work.path()).await.expect("embedded pipeline");
    let options = JobOptions { pages: Some(PageCount::parse(4).expect("4")), seed: 3, ..JobOptions::default() };
    let spec = JobSpec { job: JobId::new(), story: StoryText::parse(story()).expect("story"), options };
    embedded.run_job(&spec).await.expect("embedded job");
    let read = async |key: &ArtifactKey| {
        manga_blob::BlobStore::get(embedded.blob.as_ref(), key).await.expect("artifact").to_vec()
    };
    let v = Version::FIRST;
    let fleet_board: Value =
        serde_json::from_slice(&fleet.blob(&ArtifactKey::phase_output(id, v, PhaseId::Name))).expect("json");
    let local_board: Value =
        serde_json::from_slice(&read(&ArtifactKey::phase_output(spec.job, v, PhaseId::Name)).await).expect("json");
    assert_eq!(fleet_board, local_board, "the same storyboard");
    for page in 1..=4 {
        let fleet_page = fleet.blob(&ArtifactKey::page(id, v, page));
        let local_page = read(&ArtifactKey::page(spec.job, v, page)).await;
        assert!(fleet_page == local_page, "page {page} differs between fleet and embedded");
    }

    // A duplicated delivery sends the finished run's kept result again, which changes nothing.
    let bus = PubSubBus::new(fleet.project.clone(), Some(fleet.emulator.clone())).await.expect("Pub/Sub");
    let request =
        PhaseRequest { job_id: id.to_string(), version: 1, phase: 4, attempt: 1, seed: 3, ..Default::default() };
    bus.publish(&PhaseId::Name.request_topic(), BusMessage::new(request.encode_to_vec())).await.expect("publish");
    wait_for(Duration::from_secs(30), "the duplicate to be acknowledged", async || {
        fleet.log("phase4-name").contains("duplicate delivery of a finished run").then_some(())
    })
    .await;
    let after: Value =
        http.get(fleet.url(&format!("/v1/jobs/{id}"))).send().await.expect("GET").json().await.expect("JSON");
    assert_eq!(after["phases"], job["phases"], "no phase ran again");
    assert_eq!(after["state"], "succeeded");

    // A message that can never be understood is acknowledged, not redelivered forever.
    bus.publish(&PhaseId::Plot.request_topic(), BusMessage::new(vec![0xff, 0x01, 0x02])).await.expect("publish");
    wait_for(Duration::from_secs(30), "the poison message to be rejected", async || {
        fleet.log("phase3-plot").contains("undecodable phase request").then_some(())
    })
    .await;

    // Killing phase 5 with SIGKILL mid-job and starting it again still completes the job:
    // Pub/Sub redelivers, and the restarted service takes over the dead one's claim after its lease.
    let second = fleet.submit(&http, 12, 5).await;
    wait_for(Duration::from_secs(120), "phase 5 to start", async || {
        let job: Value = http.get(fleet.url(&format!("/v1/jobs/{second}"))).send().await.ok()?.json().await.ok()?;
        (job["current_phase"] == 5).then_some(())
    })
    .await;
    let pid = std::fs::read_to_string(fleet.dir.path().join("pids/phase5-images")).expect("phase 5 pid");
    let killed = Command::new("kill").args(["-9", pid.trim()]).status().expect("kill");
    assert!(killed.success());
    // Restarted from the binaries already built, as Cloud Run starts a new instance: a rebuild here
    // (another build touched the shared target directory) would outlast the five deliveries.
    let restarted = fleet.script("up").env("FLEET_NO_BUILD", "1").status().expect("deploy/local/up runs");
    assert!(restarted.success(), "phase 5 did not come back");
    let job = fleet.finished(&http, second).await;
    assert_eq!(job["state"], "succeeded", "{job:#}");
    assert_eq!(fleet.log("phase5-images").matches("\"listening\"").count(), 2, "phase 5 ran as two processes");
    for page in 1..=12 {
        assert!(!fleet.blob(&ArtifactKey::page(second, v, page)).is_empty());
    }

    // A request whose handler always fails (transiently) lands on the dead-letter topic after
    // 5 deliveries, and the orchestrator marks its job failed with that reason.
    let doomed = JobId::new();
    let user = UserId::parse(TEST_USER).expect("user");
    let new =
        NewJob { id: doomed, user, mode: JobMode::Auto, options: JobOptions::default(), title: None, start: None };
    store.create_job(new).await.expect("job row");
    // A directory where the story file should be: every read fails with an I/O error, which is transient.
    std::fs::create_dir_all(fleet.dir.path().join("blobs").join(ArtifactKey::story(doomed, v).as_str())).expect("dir");
    let request = PhaseRequest { job_id: doomed.to_string(), version: 1, phase: 1, attempt: 1, ..Default::default() };
    bus.publish(&PhaseId::Concept.request_topic(), BusMessage::new(request.encode_to_vec())).await.expect("publish");
    // Five deliveries with Pub/Sub's backoff (10 s doubling) take minutes on a busy machine.
    let failed: Value = wait_for(Duration::from_secs(240), "the dead letter to fail the job", async || {
        let job: Value = http.get(fleet.url(&format!("/v1/jobs/{doomed}"))).send().await.ok()?.json().await.ok()?;
        (job["state"] == "failed").then_some(job)
    })
    .await;
    let reason = failed["error"].as_str().unwrap_or_default();
    assert!(reason.contains("could not be delivered after 5 tries"), "{failed:#}");
}
