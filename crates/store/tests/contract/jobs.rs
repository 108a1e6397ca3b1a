//! The contract for jobs and versions: create, read, list, compare-and-set, fail, branch.

use std::sync::Arc;

use manga_domain::{JobId, PhaseId, Version};
use manga_store::{JobAdvance, JobMode, JobStart, JobState, NewJob, Store, StoreError};
use serde_json::json;

use crate::fixtures::*;

pub async fn a_created_job_reads_back_pending_at_revision_one_with_its_first_version(store: Arc<dyn Store>) {
    let new = new_job("alice");
    let created = store.create_job(new.clone()).await.unwrap();
    let read = store.get_job(new.id).await.unwrap();

    assert_eq!(read, created);
    assert_eq!(read.id, new.id);
    assert_eq!(read.user, new.user);
    assert_eq!(read.state, JobState::Pending);
    assert_eq!(read.mode, JobMode::Review);
    assert_eq!(read.options, new.options);
    assert_eq!(read.title.as_deref(), Some("蜘蛛の糸"));
    assert_eq!(read.current_phase, None);
    assert_eq!(read.current_version, Version::FIRST);
    assert_eq!(read.revision.get(), 1);
    assert_eq!(read.error, None);
    assert_eq!(read.created_at, read.updated_at);

    let versions = store.list_versions(new.id).await.unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!((versions[0].number, versions[0].parent), (Version::FIRST, None));
}

pub async fn a_job_created_with_its_first_step_is_running_at_that_phase_with_its_machine(store: Arc<dyn Store>) {
    let machine = json!({"runs": [{"phase": "concept", "attempt": 1}]});
    let new =
        NewJob { start: Some(JobStart { phase: PhaseId::Concept, machine: machine.clone() }), ..new_job("alice") };
    let created = store.create_job(new.clone()).await.unwrap();
    assert_eq!(store.get_job(new.id).await.unwrap(), created);
    assert_eq!(
        (created.state, created.current_phase, created.machine, created.revision.get()),
        (JobState::Running, Some(PhaseId::Concept), Some(machine), 1),
        "one write: no pending row in between"
    );
    let running = store.list_jobs_in_state(JobState::Running, chrono::Utc::now(), 10).await.unwrap();
    assert!(running.iter().any(|j| j.id == new.id), "the stall sweep finds it");
}

pub async fn creating_the_same_job_twice_is_a_permanent_error(store: Arc<dyn Store>) {
    let new = new_job("alice");
    store.create_job(new.clone()).await.unwrap();
    let second = store.create_job(new.clone()).await.unwrap_err();
    assert!(matches!(second, StoreError::Database { doing: "creating a job", .. }), "{second:?}");
    assert!(!second.is_transient(), "a unique violation never goes away by retrying");
    assert_eq!(store.list_versions(new.id).await.unwrap().len(), 1, "the failed create left no second version");
}

pub async fn jobs_are_listed_newest_first_and_only_to_their_owner(store: Arc<dyn Store>) {
    let mut alices = Vec::new();
    for _ in 0..3 {
        alices.push(store.create_job(new_job("alice")).await.unwrap().id);
    }
    let bobs = store.create_job(new_job("bob")).await.unwrap().id;

    let listed = store.list_jobs(&user("alice"), 10).await.unwrap();
    let ids: Vec<JobId> = listed.iter().map(|j| j.id).collect();
    assert_eq!(ids.len(), 3);
    assert!(!ids.contains(&bobs), "bob's job was listed to alice");
    for id in &alices {
        assert!(ids.contains(id));
    }
    assert!(listed.windows(2).all(|w| w[0].created_at >= w[1].created_at), "not newest first");
    assert_eq!(store.list_jobs(&user("alice"), 2).await.unwrap().len(), 2);
    assert_eq!(store.list_jobs(&user("bob"), 10).await.unwrap().iter().map(|j| j.id).collect::<Vec<_>>(), vec![bobs]);
    assert!(store.list_jobs(&user("carol"), 10).await.unwrap().is_empty());
}

pub async fn a_job_that_does_not_exist_is_not_found_by_every_job_operation(store: Arc<dyn Store>) {
    let ghost = JobId::new();
    let real = store.create_job(new_job("alice")).await.unwrap();
    let id = ghost.to_string();
    assert_not_found(store.get_job(ghost).await, "job", &id);
    let advance = JobAdvance::to(JobState::Running, Some(PhaseId::Concept));
    assert_not_found(store.advance_job(ghost, real.revision, advance).await, "job", &id);
    assert_not_found(store.fail_job(ghost, "dead letter").await, "job", &id);
    assert_not_found(store.create_version(ghost, Version::FIRST, None).await, "job", &id);
    assert_not_found(store.list_versions(ghost).await, "job", &id);
    let e = store.get_job(ghost).await.unwrap_err();
    assert!(!e.is_transient());
    assert_eq!(e.to_string(), format!("job {ghost} was not found"));
}

pub async fn every_job_state_survives_a_round_trip(store: Arc<dyn Store>) {
    let job = store.create_job(new_job("alice")).await.unwrap();
    let mut revision = job.revision;
    for (state, phase) in JobState::ALL.into_iter().zip(PhaseId::ALL) {
        let advanced = store.advance_job(job.id, revision, JobAdvance::to(state, Some(phase))).await.unwrap();
        let read = store.get_job(job.id).await.unwrap();
        assert_eq!((read.state, read.current_phase), (state, Some(phase)));
        assert_eq!(read, advanced);
        assert_eq!(read.revision.get(), revision.get() + 1);
        revision = read.revision;
    }
    // The version and machine snapshot move only when given.
    let machine = json!({"awaiting": ["images", 2]});
    let to = JobAdvance {
        state: JobState::Running,
        current_phase: None,
        current_version: Some(Version::parse(1).unwrap()),
        machine: Some(machine.clone()),
        title: Some("糸".into()),
    };
    let read = store.advance_job(job.id, revision, to).await.unwrap();
    assert_eq!((read.current_phase, read.machine.as_ref()), (None, Some(&machine)));
    assert_eq!(read.title.as_deref(), Some("糸"));
    let read = store.advance_job(job.id, read.revision, JobAdvance::to(JobState::Succeeded, None)).await.unwrap();
    assert_eq!(read.machine, Some(machine), "a None machine keeps the stored one");
    assert_eq!(read.title.as_deref(), Some("糸"), "a None title keeps the stored one");
    assert_eq!(read.state, JobState::Succeeded);
}

pub async fn an_advance_from_a_stale_revision_is_a_conflict_naming_both_revisions(store: Arc<dyn Store>) {
    let job = store.create_job(new_job("alice")).await.unwrap();
    let stale = job.revision;
    store.advance_job(job.id, stale, JobAdvance::to(JobState::Running, Some(PhaseId::Concept))).await.unwrap();

    let err = store
        .advance_job(job.id, stale, JobAdvance::to(JobState::Running, Some(PhaseId::Characters)))
        .await
        .unwrap_err();
    match &err {
        StoreError::Conflict { job: j, expected, actual } => {
            assert_eq!((*j, expected.get(), actual.get()), (job.id, 1, 2));
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert!(!err.is_transient(), "a conflict needs a re-read, not a blind retry");
    let read = store.get_job(job.id).await.unwrap();
    assert_eq!((read.current_phase, read.revision.get()), (Some(PhaseId::Concept), 2), "the loser wrote nothing");
}

pub async fn of_concurrent_advances_from_one_revision_exactly_one_wins(store: Arc<dyn Store>) {
    const CONTENDERS: usize = 8;
    let job = store.create_job(new_job("alice")).await.unwrap();
    let barrier = Arc::new(tokio::sync::Barrier::new(CONTENDERS));
    let mut tasks = Vec::new();
    for n in 0..CONTENDERS {
        let (store, barrier) = (Arc::clone(&store), Arc::clone(&barrier));
        // Each contender names itself in the machine snapshot, so the winner is visible in the row.
        let to = JobAdvance { machine: Some(json!({ "writer": n })), ..JobAdvance::to(JobState::Running, None) };
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            store.advance_job(job.id, job.revision, to).await
        }));
    }
    let mut winners = Vec::new();
    for (n, task) in tasks.into_iter().enumerate() {
        match task.await.unwrap() {
            Ok(record) => winners.push((n, record)),
            Err(StoreError::Conflict { expected, actual, .. }) => assert_eq!((expected.get(), actual.get()), (1, 2)),
            Err(other) => panic!("contender {n} failed with {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one advance may win");
    let (winner, _) = &winners[0];
    let read = store.get_job(job.id).await.unwrap();
    assert_eq!(read.revision.get(), 2, "the job advanced once");
    assert_eq!(read.machine, Some(json!({ "writer": winner })));
}

pub async fn failing_a_job_keeps_the_first_reason_and_makes_an_in_flight_advance_conflict(store: Arc<dyn Store>) {
    let job = store.create_job(new_job("alice")).await.unwrap();
    let running =
        store.advance_job(job.id, job.revision, JobAdvance::to(JobState::Running, Some(PhaseId::Images))).await;
    let running = running.unwrap();

    let failed = store.fail_job(job.id, "phase-5-requests: dead-lettered after 5 deliveries").await.unwrap();
    assert!(failed.is_new());
    assert_eq!(failed.get().state, JobState::Failed);
    assert_eq!(failed.get().error.as_deref(), Some("phase-5-requests: dead-lettered after 5 deliveries"));

    let again = store.fail_job(job.id, "a second reason").await.unwrap();
    assert!(!again.is_new(), "a duplicate dead letter changes nothing");
    assert_eq!(again.get().error.as_deref(), Some("phase-5-requests: dead-lettered after 5 deliveries"));

    let late = store.advance_job(job.id, running.revision, JobAdvance::to(JobState::Running, Some(PhaseId::Lettering)));
    assert!(matches!(late.await, Err(StoreError::Conflict { .. })));
    assert_eq!(store.get_job(job.id).await.unwrap().state, JobState::Failed);

    let done = store.create_job(new_job("alice")).await.unwrap();
    store.advance_job(done.id, done.revision, JobAdvance::to(JobState::Succeeded, None)).await.unwrap();
    let kept = store.fail_job(done.id, "stale poison").await.unwrap();
    assert_eq!((kept.is_new(), kept.get().state), (false, JobState::Succeeded), "a finished job stays finished");
}

pub async fn versions_branch_from_their_parent_and_an_unknown_parent_is_not_found(store: Arc<dyn Store>) {
    let job = store.create_job(new_job("alice")).await.unwrap();
    let v2 = store.create_version(job.id, Version::FIRST, Some("redraw panel p03-2")).await.unwrap();
    let v3 = store.create_version(job.id, Version::FIRST, None).await.unwrap();
    let v4 = store.create_version(job.id, v2.number, Some("revise lettering")).await.unwrap();

    assert_eq!((v2.number.get(), v2.parent, v2.note.as_deref()), (2, Some(Version::FIRST), Some("redraw panel p03-2")));
    assert_eq!((v3.number.get(), v3.parent), (3, Some(Version::FIRST)));
    assert_eq!((v4.number.get(), v4.parent), (4, Some(v2.number)));
    let listed = store.list_versions(job.id).await.unwrap();
    let tree: Vec<(u32, Option<u32>)> = listed.iter().map(|v| (v.number.get(), v.parent.map(Version::get))).collect();
    assert_eq!(tree, vec![(1, None), (2, Some(1)), (3, Some(1)), (4, Some(2))]);

    let nine = Version::parse(9).unwrap();
    assert_not_found(store.create_version(job.id, nine, None).await, "version", &format!("{}/v9", job.id));
    assert_eq!(store.list_versions(job.id).await.unwrap().len(), 4);
}

pub async fn jobs_waiting_in_a_state_are_found_oldest_first_across_users(store: Arc<dyn Store>) {
    let mut waiting = Vec::new();
    for owner in ["alice", "bob"] {
        let job = store.create_job(new_job(owner)).await.unwrap();
        let advance = JobAdvance::to(JobState::AwaitingReview, Some(PhaseId::Plot));
        waiting.push(store.advance_job(job.id, job.revision, advance).await.unwrap());
    }
    let running = store.create_job(new_job("alice")).await.unwrap();
    store.advance_job(running.id, running.revision, JobAdvance::to(JobState::Running, None)).await.unwrap();
    let later = chrono::Utc::now() + chrono::Duration::seconds(1);

    let found = store.list_jobs_in_state(JobState::AwaitingReview, later, 100).await.unwrap();
    let ids: Vec<JobId> = found.iter().map(|j| j.id).collect();
    assert!(ids.contains(&waiting[0].id) && ids.contains(&waiting[1].id), "both users' waiting jobs");
    assert!(!ids.contains(&running.id), "a running job is not waiting");
    assert!(found.windows(2).all(|w| w[0].updated_at <= w[1].updated_at), "not oldest first");
    let earlier = waiting[0].updated_at;
    let none = store.list_jobs_in_state(JobState::AwaitingReview, earlier, 100).await.unwrap();
    assert!(!none.iter().any(|j| j.id == waiting[0].id), "a job written at the cut-off is not older than it");
}
