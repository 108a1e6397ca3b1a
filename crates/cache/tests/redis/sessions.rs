use std::collections::BTreeMap;

use chrono::{Duration as ChronoDuration, Utc};
use manga_cache::Session;
use manga_domain::{JobId, PhaseId};
use redis::AsyncCommands;
use serde_json::json;

use crate::support::TestCache;

fn session(job_id: JobId) -> Session {
    let start = Utc::now();
    Session {
        job_id,
        user_id: "user-42".into(),
        current_phase: PhaseId::Plot,
        feedback_timeout: Some(start + ChronoDuration::minutes(30)),
        session_start: start,
        phase_results: BTreeMap::from([
            (PhaseId::Concept, json!({"quality": 0.91, "genre": "slice-of-life"})),
            (PhaseId::Characters, json!({"quality": 0.84})),
        ]),
    }
}

#[tokio::test]
async fn a_session_reads_back_as_written_with_the_seeds_fields_and_a_ttl_of_an_hour() {
    let cache = TestCache::new().await;
    let written = session(JobId::new());

    cache.put_session(&written).await.unwrap();

    assert_eq!(cache.get_session(written.job_id).await.unwrap(), Some(written.clone()));
    let mut raw = cache.raw().await;
    let key = cache.session_key(written.job_id);
    assert_eq!(key, format!("{}session:{}", cache.prefix(), written.job_id));
    let ttl: i64 = raw.ttl(&key).await.unwrap();
    assert!((3590..=3600).contains(&ttl), "TTL of {key} is {ttl}, expected about 3600");
    let fields: BTreeMap<String, String> = raw.hgetall(&key).await.unwrap();
    assert_eq!(
        fields.keys().map(String::as_str).collect::<Vec<_>>(),
        ["current_phase", "feedback_timeout", "phase_results", "session_start", "user_id"]
    );
    assert_eq!(fields["current_phase"], "3");
    assert_eq!(fields["user_id"], "user-42");
}

#[tokio::test]
async fn putting_a_session_again_replaces_it_and_drops_a_cleared_feedback_timeout() {
    let cache = TestCache::new().await;
    let first = session(JobId::new());
    cache.put_session(&first).await.unwrap();

    let second = Session { current_phase: PhaseId::Name, feedback_timeout: None, ..first.clone() };
    cache.put_session(&second).await.unwrap();

    let read = cache.get_session(first.job_id).await.unwrap().expect("session present");
    assert_eq!(read.current_phase, PhaseId::Name);
    assert_eq!(read.feedback_timeout, None);
    let exists: bool = cache.raw().await.hexists(cache.session_key(first.job_id), "feedback_timeout").await.unwrap();
    assert!(!exists, "the old feedback_timeout field survived the rewrite");
}

#[tokio::test]
async fn touching_a_session_restores_its_full_ttl() {
    let cache = TestCache::new().await;
    let written = session(JobId::new());
    cache.put_session(&written).await.unwrap();
    let key = cache.session_key(written.job_id);
    let mut raw = cache.raw().await;
    let _: bool = raw.expire(&key, 10).await.unwrap();

    assert!(cache.touch_session(written.job_id).await.unwrap());

    let ttl: i64 = raw.ttl(&key).await.unwrap();
    assert!((3590..=3600).contains(&ttl), "TTL after touch is {ttl}, expected about 3600");
}

#[tokio::test]
async fn a_missing_session_reads_as_none_cannot_be_touched_and_deletes_as_false() {
    let cache = TestCache::new().await;
    let job_id = JobId::new();

    assert_eq!(cache.get_session(job_id).await.unwrap(), None);
    assert!(!cache.touch_session(job_id).await.unwrap());
    assert!(!cache.delete_session(job_id).await.unwrap());
}

#[tokio::test]
async fn a_deleted_session_is_gone() {
    let cache = TestCache::new().await;
    let written = session(JobId::new());
    cache.put_session(&written).await.unwrap();

    assert!(cache.delete_session(written.job_id).await.unwrap());

    assert_eq!(cache.get_session(written.job_id).await.unwrap(), None);
}

#[tokio::test]
async fn a_damaged_session_hash_is_reported_naming_the_field() {
    let cache = TestCache::new().await;
    let written = session(JobId::new());
    cache.put_session(&written).await.unwrap();
    let _: i64 = cache.raw().await.hset(cache.session_key(written.job_id), "current_phase", "twelve").await.unwrap();

    let err = cache.get_session(written.job_id).await.unwrap_err();

    assert!(!err.is_transient());
    assert_eq!(
        err.to_string(),
        format!(
            "session {} in Redis has an invalid `current_phase`: \"twelve\" is not a phase number 1..=8",
            written.job_id
        )
    );
}

#[tokio::test]
async fn caches_with_different_prefixes_do_not_see_each_others_sessions() {
    let a = TestCache::new().await;
    let b = TestCache::new().await;
    let job_id = JobId::new();
    let in_a = session(job_id);
    a.put_session(&in_a).await.unwrap();

    assert_eq!(b.get_session(job_id).await.unwrap(), None);

    let in_b = Session { user_id: "someone-else".into(), ..in_a.clone() };
    b.put_session(&in_b).await.unwrap();
    assert_eq!(a.get_session(job_id).await.unwrap(), Some(in_a));
    assert_eq!(b.get_session(job_id).await.unwrap(), Some(in_b));
    assert!(b.delete_session(job_id).await.unwrap());
    assert!(a.get_session(job_id).await.unwrap().is_some(), "deleting in b removed a's session");
}
