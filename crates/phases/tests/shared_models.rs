//! The fleet's shared model limits and answers, against a real Redis at
//! REDIS_URL (default redis://127.0.0.1:6379): a missing Redis fails the
//! test, naming REDIS_URL, rather than skipping it.

#![allow(clippy::unwrap_used, reason = "test code: a failure is the test failing")]

use std::time::{Duration, Instant};

use bytes::Bytes;
use manga_ai::remote::cache::{ResponseCache, cache_key};
use manga_ai::remote::limiter::RateLimiter;
use manga_cache::Cache;
use manga_phases::models::{RedisAnswers, RedisRateLimiter, SHARED_ANSWER_TTL};

/// A connection under a fresh prefix, so runs never see each other's keys.
async fn redis() -> Cache {
    // Tests take their server address from the environment like CI does.
    #[allow(clippy::disallowed_methods)]
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let prefix = format!("test:{}:", uuid::Uuid::new_v4().simple());
    Cache::connect(&url, prefix).await.unwrap_or_else(|e| {
        panic!("Redis is not reachable at REDIS_URL={url} ({e}); start redis-server or set REDIS_URL")
    })
}

#[tokio::test]
async fn two_instances_draw_from_one_budget_per_provider_and_model() {
    let cache = redis().await;
    // Two services' limiters over the same Redis: 60 a minute is a full bucket of 60, then one a second.
    let (a, b) = (RedisRateLimiter::new(cache.clone(), 60), RedisRateLimiter::new(cache.clone(), 60));
    let started = Instant::now();
    for i in 0..60 {
        let limiter = if i % 2 == 0 { &a } else { &b };
        limiter.acquire("gemini:gemini-2.5-flash").await.unwrap();
    }
    let burst = started.elapsed();
    assert!(burst < Duration::from_millis(900), "a full bucket lets 60 calls through at once: {burst:?}");
    b.acquire("imagen:imagen-4.0-generate-001").await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(950), "another model has its own bucket");
    let before = Instant::now();
    a.acquire("gemini:gemini-2.5-flash").await.unwrap();
    let waited = before.elapsed();
    assert!(
        waited >= Duration::from_millis(500),
        "the 61st call waits for a token the other instance left: {waited:?}"
    );
    cache.purge_prefix().await.unwrap();
}

#[tokio::test]
async fn an_answer_kept_by_one_instance_is_found_by_another_and_odd_keys_are_ignored() {
    let cache = redis().await;
    let (one, two) =
        (RedisAnswers::new(cache.clone(), SHARED_ANSWER_TTL), RedisAnswers::new(cache.clone(), SHARED_ANSWER_TTL));
    let key = cache_key(&[b"gemini", b"gemini-2.5-flash", b"concept v1", b"the story"]);
    assert_eq!(two.get(&key).await, None);
    one.put(&key, Bytes::from_static(b"{\"title\":\"The Keeper\"}")).await;
    assert_eq!(two.get(&key).await.as_deref(), Some(&b"{\"title\":\"The Keeper\"}"[..]));
    // A key that is not one of ours is never read or written.
    one.put("../../etc", Bytes::from_static(b"x")).await;
    assert_eq!(two.get("../../etc").await, None);
    cache.purge_prefix().await.unwrap();
}
