use manga_cache::{Cache, CacheError};
use manga_domain::JobId;

use crate::support::TestCache;

#[tokio::test]
async fn ping_succeeds_against_a_live_redis() {
    let cache = TestCache::new().await;

    cache.ping().await.unwrap();
}

#[tokio::test]
async fn an_unreachable_redis_is_a_transient_connect_error_naming_the_url_without_its_password() {
    // Port 1 refuses connections on any ordinary machine.
    let err = Cache::connect("redis://:hunter2@127.0.0.1:1/0", "").await.unwrap_err();

    assert!(matches!(err, CacheError::Connect { .. }), "{err:?}");
    assert!(err.is_transient());
    assert_eq!(err.to_string(), "cannot connect to Redis at redis://***@127.0.0.1:1/0");
}

#[tokio::test]
async fn a_malformed_url_is_a_permanent_error() {
    let err = Cache::connect("http://not-redis", "").await.unwrap_err();

    assert!(matches!(err, CacheError::InvalidUrl { .. }), "{err:?}");
    assert!(!err.is_transient());
}

#[tokio::test]
async fn purging_a_prefix_deletes_its_keys_and_nothing_else() {
    let mine = TestCache::new().await;
    let other = TestCache::new().await;
    let job_id = JobId::new();
    let session = manga_cache::Session {
        job_id,
        user_id: "u".into(),
        current_phase: manga_domain::PhaseId::Concept,
        feedback_timeout: None,
        session_start: chrono::Utc::now(),
        phase_results: Default::default(),
    };
    mine.put_session(&session).await.unwrap();
    assert!(mine.rate_limiter().check("ip:x", 5, 1.0).await.unwrap().allowed);
    other.put_session(&session).await.unwrap();

    assert_eq!(mine.purge_prefix().await.unwrap(), 2);

    assert_eq!(mine.get_session(job_id).await.unwrap(), None);
    assert_eq!(other.get_session(job_id).await.unwrap(), Some(session));
}

#[tokio::test]
async fn purging_under_the_empty_production_prefix_is_refused() {
    let url = crate::support::redis_url();
    let production =
        Cache::connect(&url, "").await.unwrap_or_else(|e| panic!("Redis is not reachable at REDIS_URL={url} ({e})"));

    let err = production.purge_prefix().await.unwrap_err();

    assert!(matches!(err, CacheError::EmptyPrefix));
}
