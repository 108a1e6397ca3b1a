//! The contract for a phase run spread over items: planned, claimed under a lease, counted down once.

use std::sync::Arc;
use std::time::Duration;

use manga_domain::{PhaseId, QualityReport};
use manga_store::{ItemClaim, ItemsLeft, LeaseHolder, PhaseRunOutcome, Store};

use crate::fixtures::*;

fn panels(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|id| (*id).to_owned()).collect()
}

pub async fn items_are_claimed_once_and_the_last_one_finished_says_so(store: Arc<dyn Store>) {
    let job = store.create_job(new_job("alice")).await.unwrap();
    let run = run_key(job.id, PhaseId::Images, 1);
    let lease = Duration::from_secs(60);
    store.claim_phase_run(run, &LeaseHolder::new(), lease).await.unwrap();
    assert_eq!(store.plan_items(run, &panels(&["p01-1", "p01-2", "p02-1"])).await.unwrap(), 3);
    let planned = store.get_phase_run(run).await.unwrap().unwrap();
    assert_eq!((planned.items_left, planned.items_sent), (Some(3), false), "planned, not sent");
    assert_eq!(store.undone_items(run).await.unwrap(), panels(&["p01-1", "p01-2", "p02-1"]));
    store.items_sent(run).await.unwrap();
    assert!(store.get_phase_run(run).await.unwrap().unwrap().items_sent);

    let (first, second) = (LeaseHolder::new(), LeaseHolder::new());
    assert_eq!(store.claim_item(run, "p01-1", &first, lease).await.unwrap(), ItemClaim::Held);
    let claim = store.claim_item(run, "p01-1", &second, lease).await.unwrap();
    assert!(matches!(claim, ItemClaim::HeldElsewhere(_)), "a live lease keeps a duplicate out: {claim:?}");
    assert!(!store.release_item(run, "p01-1", &second).await.unwrap(), "only the holder releases");
    assert!(store.renew_item(run, "p01-1", &first, lease).await.unwrap());

    assert_eq!(store.finish_item(run, "p01-1").await.unwrap(), Some(ItemsLeft { left: 2, total: 3 }));
    assert_eq!(store.undone_items(run).await.unwrap(), panels(&["p01-2", "p02-1"]), "only what is left");
    assert_eq!(store.finish_item(run, "p01-1").await.unwrap(), None, "a duplicate finish counts nothing");
    assert_eq!(store.claim_item(run, "p01-1", &second, lease).await.unwrap(), ItemClaim::Done);
    assert!(!store.renew_item(run, "p01-1", &first, lease).await.unwrap(), "nothing to renew once done");

    // Planning again (a re-sent request) adds nothing done twice and keeps the count true.
    assert_eq!(store.plan_items(run, &panels(&["p01-1", "p01-2", "p02-1"])).await.unwrap(), 2);
    for item in ["p01-2", "p02-1"] {
        assert_eq!(store.claim_item(run, item, &LeaseHolder::new(), lease).await.unwrap(), ItemClaim::Held);
    }
    assert_eq!(store.finish_item(run, "p01-2").await.unwrap(), Some(ItemsLeft { left: 1, total: 3 }));
    assert_eq!(store.finish_item(run, "p02-1").await.unwrap(), Some(ItemsLeft { left: 0, total: 3 }));
    assert_eq!(store.get_phase_run(run).await.unwrap().unwrap().items_left, Some(0));

    assert_not_found(store.claim_item(run, "p09-9", &first, lease).await, "phase item", &format!("{run}/p09-9"));
    assert_not_found(store.finish_item(run, "p09-9").await, "phase item", &format!("{run}/p09-9"));
    let never_claimed = run_key(job.id, PhaseId::Images, 2);
    assert_not_found(
        store.plan_items(never_claimed, &panels(&["p01-1"])).await,
        "running phase run",
        &never_claimed.to_string(),
    );
    let outcome = PhaseRunOutcome::Succeeded { report: QualityReport::perfect(), outputs: vec![] };
    store.finish_phase_run(run, outcome).await.unwrap();
    assert_not_found(store.plan_items(run, &panels(&["p03-1"])).await, "running phase run", &run.to_string());
}

pub async fn an_item_whose_lease_ran_out_is_taken_over_and_its_work_keeps_the_run_held(store: Arc<dyn Store>) {
    let job = store.create_job(new_job("alice")).await.unwrap();
    let run = run_key(job.id, PhaseId::Images, 1);
    let short = Duration::from_millis(300);
    store.claim_phase_run(run, &LeaseHolder::new(), short).await.unwrap();
    store.plan_items(run, &panels(&["p01-1"])).await.unwrap();

    let (first, second) = (LeaseHolder::new(), LeaseHolder::new());
    assert_eq!(store.claim_item(run, "p01-1", &first, short).await.unwrap(), ItemClaim::Held);
    // Heartbeats on the item past the run's own lease keep the run held too.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert!(store.renew_item(run, "p01-1", &first, short).await.unwrap());
    }
    let held = store.get_phase_run(run).await.unwrap().unwrap();
    assert!(held.is_held_at(chrono::Utc::now()), "450 ms into a 300 ms lease, held by its item's work: {held:?}");

    tokio::time::sleep(short + Duration::from_millis(50)).await;
    assert_eq!(store.claim_item(run, "p01-1", &second, short).await.unwrap(), ItemClaim::Held, "taken over");
    assert!(!store.renew_item(run, "p01-1", &first, short).await.unwrap(), "the first holder lost it");
    assert!(store.release_item(run, "p01-1", &second).await.unwrap());
    assert_eq!(store.claim_item(run, "p01-1", &first, short).await.unwrap(), ItemClaim::Held, "released: at once");
}

pub async fn of_concurrent_finishes_of_a_runs_items_exactly_one_sees_none_left(store: Arc<dyn Store>) {
    let job = store.create_job(new_job("alice")).await.unwrap();
    let run = run_key(job.id, PhaseId::Images, 1);
    store.claim_phase_run(run, &LeaseHolder::new(), Duration::from_secs(60)).await.unwrap();
    let items: Vec<String> = (1..=8).map(|n| format!("p01-{n}")).collect();
    store.plan_items(run, &items).await.unwrap();
    // Every item finished twice at once, as duplicate deliveries would.
    let racers: Vec<_> = items
        .iter()
        .chain(&items)
        .map(|item| {
            let (store, item) = (store.clone(), item.clone());
            tokio::spawn(async move { store.finish_item(run, &item).await })
        })
        .collect();
    let mut lefts = Vec::new();
    for racer in racers {
        if let Some(left) = racer.await.unwrap().unwrap() {
            lefts.push(left.left);
        }
    }
    lefts.sort_unstable();
    assert_eq!(lefts, (0..8).collect::<Vec<u32>>(), "each count seen once, zero by one delivery");
}

pub async fn releasing_every_lease_lets_a_restarted_process_take_runs_and_items_at_once(store: Arc<dyn Store>) {
    let job = store.create_job(new_job("alice")).await.unwrap();
    let run = run_key(job.id, PhaseId::Images, 1);
    let lease = Duration::from_secs(600);
    store.claim_phase_run(run, &LeaseHolder::new(), lease).await.unwrap();
    store.plan_items(run, &panels(&["p01-1", "p01-2"])).await.unwrap();
    assert_eq!(store.claim_item(run, "p01-1", &LeaseHolder::new(), lease).await.unwrap(), ItemClaim::Held);
    let finished = run_key(job.id, PhaseId::Concept, 1);
    store.claim_phase_run(finished, &LeaseHolder::new(), lease).await.unwrap();
    let outcome = PhaseRunOutcome::Succeeded { report: QualityReport::perfect(), outputs: vec![] };
    store.finish_phase_run(finished, outcome).await.unwrap();

    assert_eq!(store.release_every_lease().await.unwrap(), 1, "the one running run was held");
    let claim = store.claim_phase_run(run, &LeaseHolder::new(), lease).await.unwrap();
    assert!(matches!(claim, manga_store::RunClaim::Held { took_over: true, .. }), "{claim:?}");
    assert_eq!(store.claim_item(run, "p01-1", &LeaseHolder::new(), lease).await.unwrap(), ItemClaim::Held);
    let again = store.claim_phase_run(finished, &LeaseHolder::new(), lease).await.unwrap();
    assert!(matches!(again, manga_store::RunClaim::Finished(_)), "a finished run stays finished: {again:?}");
}
