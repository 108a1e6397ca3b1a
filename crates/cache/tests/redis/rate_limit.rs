use std::time::{Duration, Instant};

use manga_cache::CacheError;
use redis::AsyncCommands;

use crate::support::{TestCache, wait_for};

#[tokio::test]
async fn the_bucket_allows_its_capacity_then_denies_with_a_retry_after() {
    let cache = TestCache::new().await;
    let limiter = cache.rate_limiter();

    let mut remaining = Vec::new();
    for _ in 0..3 {
        let decision = limiter.check("ip:203.0.113.9", 3, 1.0).await.unwrap();
        assert!(decision.allowed);
        assert_eq!(decision.retry_after, Duration::ZERO);
        remaining.push(decision.remaining);
    }
    let denied = limiter.check("ip:203.0.113.9", 3, 1.0).await.unwrap();

    assert_eq!(remaining, [2, 1, 0]);
    assert!(!denied.allowed);
    assert_eq!(denied.remaining, 0);
    // One token a second, just emptied: about a second to wait, never zero.
    assert!(
        denied.retry_after > Duration::from_millis(800) && denied.retry_after <= Duration::from_secs(1),
        "retry_after {:?}",
        denied.retry_after
    );
}

#[tokio::test]
async fn an_empty_bucket_refills_at_its_rate() {
    let cache = TestCache::new().await;
    let limiter = cache.rate_limiter();
    for _ in 0..2 {
        assert!(limiter.check("user:7", 2, 10.0).await.unwrap().allowed);
    }
    let denied = limiter.check("user:7", 2, 10.0).await.unwrap();
    assert!(!denied.allowed);
    let emptied = Instant::now();

    let decision = wait_for("a refilled token", Duration::from_secs(3), || async {
        let decision = limiter.check("user:7", 2, 10.0).await.unwrap();
        decision.allowed.then_some(decision)
    })
    .await;

    // Ten tokens a second: the next one comes after about 100 ms, not at once.
    assert!(emptied.elapsed() >= Duration::from_millis(50), "refilled after only {:?}", emptied.elapsed());
    assert_eq!(decision.remaining, 0);
}

#[tokio::test]
async fn buckets_are_independent_and_expire_once_they_would_be_full() {
    let cache = TestCache::new().await;
    let limiter = cache.rate_limiter();
    assert!(limiter.check("ip:a", 1, 0.5).await.unwrap().allowed);
    assert!(!limiter.check("ip:a", 1, 0.5).await.unwrap().allowed);

    assert!(limiter.check("ip:b", 1, 0.5).await.unwrap().allowed);

    // Capacity 1 at 0.5/s is full again after 2 s; the key lives 2 s + 1 s slack.
    let pttl: i64 = cache.raw().await.pttl(cache.rate_limit_key("ip:a")).await.unwrap();
    assert!((2_000..=3_000).contains(&pttl), "PTTL {pttl}");
}

#[tokio::test]
async fn a_zero_capacity_or_a_non_positive_rate_is_rejected_before_touching_redis() {
    let cache = TestCache::new().await;
    let limiter = cache.rate_limiter();

    for (capacity, rate) in [(0, 1.0), (5, 0.0), (5, -1.0), (5, f64::NAN)] {
        let err = limiter.check("k", capacity, rate).await.unwrap_err();
        assert!(matches!(err, CacheError::InvalidRateLimit { .. }), "{capacity}, {rate}: {err}");
        assert!(!err.is_transient());
    }
    let exists: bool = cache.raw().await.exists(cache.rate_limit_key("k")).await.unwrap();
    assert!(!exists);
}
