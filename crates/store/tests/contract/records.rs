//! The contract for what jobs accumulate: phase runs, processed messages, artifacts, feedback.

use std::sync::Arc;
use std::time::Duration;

use manga_domain::{ArtifactKey, JobId, PhaseId, Quality, QualityReport, Version};
use manga_store::{
    ArtifactRecord, LeaseHolder, MessageKey, MessageOutcome, NewFeedback, PhaseRunKey, PhaseRunOutcome, PhaseRunStatus,
    Recorded, RunClaim, Store,
};
use serde_json::json;

use crate::fixtures::*;

pub async fn a_finished_phase_run_keeps_its_first_outcome(store: Arc<dyn Store>) {
    let job = store.create_job(new_job("alice")).await.unwrap();
    let key = run_key(job.id, PhaseId::Lettering, 1);
    let lease = Duration::from_secs(60);
    store.claim_phase_run(key, &LeaseHolder::new(), lease).await.unwrap();
    let outputs = vec![ArtifactKey::phase_output(job.id, Version::FIRST, PhaseId::Lettering)];
    let outcome = PhaseRunOutcome::Retrying { report: report(0.55), outputs: outputs.clone() };

    let finished = store.finish_phase_run(key, outcome.clone()).await.unwrap();
    assert!(finished.is_new());
    let run = finished.get();
    assert_eq!(run.status, PhaseRunStatus::Retrying);
    assert_eq!(run.quality, Some(Quality::parse(0.55).unwrap()));
    assert_eq!(run.reasons, report(0.55).reasons);
    assert_eq!(run.outputs, outputs);
    assert!(run.finished_at.is_some_and(|at| at >= run.started_at));
    assert!(run.duration_ms.is_some());

    let duplicate = store.finish_phase_run(key, PhaseRunOutcome::Failed { error: "late".into() }).await.unwrap();
    assert_eq!(duplicate, Recorded::Unchanged(run.clone()), "the first outcome wins");
    let restart = store.claim_phase_run(key, &LeaseHolder::new(), lease).await.unwrap();
    assert!(matches!(&restart, RunClaim::Finished(r) if r == run), "a finished run is not restarted: {restart:?}");

    let failing = run_key(job.id, PhaseId::Images, 1);
    store.claim_phase_run(failing, &LeaseHolder::new(), lease).await.unwrap();
    let failed = store.finish_phase_run(failing, PhaseRunOutcome::Failed { error: "model timed out".into() }).await;
    let failed = failed.unwrap().into_inner();
    assert_eq!(
        (failed.status, failed.error.as_deref(), failed.quality),
        (PhaseRunStatus::Failed, Some("model timed out"), None)
    );
    let stored = store.list_phase_runs(job.id, Version::FIRST).await.unwrap();
    assert_eq!(stored, vec![run.clone(), failed]);
}

pub async fn a_phase_run_is_held_by_one_delivery_until_its_lease_runs_out(store: Arc<dyn Store>) {
    let job = store.create_job(new_job("alice")).await.unwrap();
    let key = run_key(job.id, PhaseId::Images, 1);
    let (first, second) = (LeaseHolder::new(), LeaseHolder::new());
    let short = Duration::from_millis(300);

    let claim = store.claim_phase_run(key, &first, short).await.unwrap();
    let RunClaim::Held { run, took_over: false } = claim else { panic!("the first claim holds the run: {claim:?}") };
    assert_eq!(run.status, PhaseRunStatus::Running);
    let claim = store.claim_phase_run(key, &second, short).await.unwrap();
    assert!(matches!(claim, RunClaim::HeldElsewhere(_)), "a live lease keeps a second delivery out: {claim:?}");
    let held = store.get_phase_run(key).await.unwrap().unwrap();
    assert!(held.is_held_at(chrono::Utc::now()), "the run reads as held: {held:?}");

    tokio::time::sleep(short + Duration::from_millis(50)).await;
    assert!(!held.is_held_at(chrono::Utc::now()), "a lease not renewed runs out");
    let claim = store.claim_phase_run(key, &second, short).await.unwrap();
    let RunClaim::Held { run: taken, took_over: true } = claim else {
        panic!("an expired lease is taken over: {claim:?}")
    };
    assert_eq!(taken.started_at, run.started_at, "a takeover keeps when the run began");
    assert!(!store.renew_phase_run(key, &first, short).await.unwrap(), "the first holder lost it");
    assert!(store.renew_phase_run(key, &second, short).await.unwrap());
    assert!(store.release_phase_run(key, &second).await.unwrap());
    let released = store.get_phase_run(key).await.unwrap().unwrap();
    assert_eq!((released.status, released.lease_until), (PhaseRunStatus::Running, None), "released, still unfinished");
    assert!(store.get_phase_run(run_key(job.id, PhaseId::Concept, 9)).await.unwrap().is_none());

    let outcome = PhaseRunOutcome::Succeeded { report: QualityReport::perfect(), outputs: vec![] };
    store.finish_phase_run(key, outcome).await.unwrap();
    tokio::time::sleep(short + Duration::from_millis(50)).await;
    let claim = store.claim_phase_run(key, &LeaseHolder::new(), short).await.unwrap();
    assert!(
        matches!(&claim, RunClaim::Finished(r) if r.status == PhaseRunStatus::Succeeded),
        "a finished run is never claimed again, lease or not: {claim:?}"
    );
    assert!(!store.renew_phase_run(key, &second, short).await.unwrap(), "nothing to renew once finished");

    let ghost = run_key(JobId::new(), PhaseId::Concept, 1);
    let missing = store.claim_phase_run(ghost, &first, short).await;
    assert!(matches!(missing, Err(manga_store::StoreError::NotFound { what: "version", .. })), "{missing:?}");
}

pub async fn a_renewed_lease_keeps_the_run_and_a_released_one_frees_it_at_once(store: Arc<dyn Store>) {
    let job = store.create_job(new_job("alice")).await.unwrap();
    let key = run_key(job.id, PhaseId::Characters, 1);
    let (holder, other) = (LeaseHolder::new(), LeaseHolder::new());
    let lease = Duration::from_millis(400);
    store.claim_phase_run(key, &holder, lease).await.unwrap();
    // Heartbeats past the first lease's end keep the run.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(store.renew_phase_run(key, &holder, lease).await.unwrap());
    }
    let claim = store.claim_phase_run(key, &other, lease).await.unwrap();
    assert!(matches!(claim, RunClaim::HeldElsewhere(_)), "renewed 600 ms after a 400 ms lease began: {claim:?}");

    assert!(!store.release_phase_run(key, &other).await.unwrap(), "only the holder releases");
    assert!(store.release_phase_run(key, &holder).await.unwrap());
    let claim = store.claim_phase_run(key, &other, Duration::from_secs(60)).await.unwrap();
    assert!(matches!(claim, RunClaim::Held { took_over: true, .. }), "released: taken at once: {claim:?}");
}

pub async fn of_concurrent_claims_on_an_expired_run_exactly_one_takes_it_over(store: Arc<dyn Store>) {
    let job = store.create_job(new_job("alice")).await.unwrap();
    let key = run_key(job.id, PhaseId::Lettering, 1);
    store.claim_phase_run(key, &LeaseHolder::new(), Duration::from_millis(1)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let racers: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.claim_phase_run(key, &LeaseHolder::new(), Duration::from_secs(60)).await })
        })
        .collect();
    let mut claims = Vec::new();
    for racer in racers {
        claims.push(racer.await.unwrap().unwrap());
    }
    let held = claims.iter().filter(|c| matches!(c, RunClaim::Held { .. })).count();
    assert_eq!(held, 1, "{claims:?}");
}

pub async fn phase_runs_for_a_missing_version_or_never_started_are_not_found(store: Arc<dyn Store>) {
    let job = store.create_job(new_job("alice")).await.unwrap();
    let v2 = Version::parse(2).unwrap();
    let key = PhaseRunKey { job: job.id, version: v2, phase: PhaseId::Concept, attempt: 1 };
    let (holder, lease) = (LeaseHolder::new(), Duration::from_secs(60));
    assert_not_found(store.claim_phase_run(key, &holder, lease).await, "version", &format!("{}/v2", job.id));
    let ghost = run_key(JobId::new(), PhaseId::Concept, 1);
    assert_not_found(store.claim_phase_run(ghost, &holder, lease).await, "version", &format!("{}/v1", ghost.job));

    let never = run_key(job.id, PhaseId::Publish, 1);
    let outcome = PhaseRunOutcome::Succeeded { report: QualityReport::perfect(), outputs: vec![] };
    assert_not_found(store.finish_phase_run(never, outcome).await, "phase run", &never.to_string());
    assert!(store.list_phase_runs(job.id, Version::FIRST).await.unwrap().is_empty());
}

pub async fn a_poison_message_is_kept_with_its_first_reason(store: Arc<dyn Store>) {
    let undecodable = MessageKey::undecodable("77");
    store.record_poison("77", &undecodable, "protobuf does not decode: invalid wire type").await.unwrap();
    store.record_poison("77", &undecodable, "second delivery").await.unwrap();
    let poison = store.processed_message(&undecodable).await.unwrap().unwrap();
    assert_eq!(poison.outcome, MessageOutcome::Poison { reason: "protobuf does not decode: invalid wire type".into() });
    assert_eq!(poison.key.as_str(), "message:77");
    assert_eq!(store.processed_message(&MessageKey::parse("never").unwrap()).await.unwrap(), None);
}

pub async fn recording_an_artifact_again_replaces_its_metadata(store: Arc<dyn Store>) {
    let job = store.create_job(new_job("alice")).await.unwrap();
    let page = ArtifactRecord {
        job: job.id,
        version: Version::FIRST,
        key: ArtifactKey::page(job.id, Version::FIRST, 1),
        content_type: "image/png".into(),
        size: 1024,
        sha256: None,
    };
    let pdf = ArtifactRecord {
        key: ArtifactKey::product(job.id, Version::FIRST, "manga.pdf"),
        content_type: "application/pdf".into(),
        ..page.clone()
    };
    store.record_artifact(&pdf).await.unwrap();
    store.record_artifact(&page).await.unwrap();
    let redrawn = ArtifactRecord { size: 2048, sha256: Some("ab".repeat(32)), ..page.clone() };
    store.record_artifact(&redrawn).await.unwrap();

    let listed = store.list_artifacts(job.id, Version::FIRST).await.unwrap();
    assert_eq!(listed, vec![redrawn, pdf], "one row per key, by key");
    let elsewhere = ArtifactRecord { version: Version::parse(3).unwrap(), ..page };
    assert_not_found(store.record_artifact(&elsewhere).await, "version", &format!("{}/v3", job.id));
}

pub async fn feedback_is_kept_in_order_with_its_action_and_author(store: Arc<dyn Store>) {
    let job = store.create_job(new_job("alice")).await.unwrap();
    let approve = NewFeedback {
        job: job.id,
        version: Version::FIRST,
        phase: PhaseId::Concept,
        action: json!({"approve": {}}),
        user: user("alice"),
    };
    let revise =
        NewFeedback {
            phase: PhaseId::Name, action: json!({"revise": {"comment": "もっと大きく"}}), ..approve.clone()
        };
    let first = store.record_feedback(approve.clone()).await.unwrap();
    let second = store.record_feedback(revise.clone()).await.unwrap();
    assert!(second.id > first.id);
    let listed = store.list_feedback(job.id).await.unwrap();
    assert_eq!(listed.iter().map(|f| f.feedback.clone()).collect::<Vec<_>>(), vec![approve.clone(), revise]);
    assert_eq!(listed[0], first);

    let missing = NewFeedback { version: Version::parse(2).unwrap(), ..approve };
    assert_not_found(store.record_feedback(missing).await, "version", &format!("{}/v2", job.id));
}
