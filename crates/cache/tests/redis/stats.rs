use std::time::Duration;

use manga_cache::ModelAnswerKey;
use serde_json::json;

use crate::support::{TestCache, wait_for};

#[tokio::test]
async fn the_hit_rate_is_a_fraction_that_rises_after_hits() {
    let cache = TestCache::new().await;
    let key = ModelAnswerKey::new("m", "p", &json!({}));
    // Make sure the counters have a miss to weigh the hits against.
    assert_eq!(cache.get_model_answer(&key).await.unwrap(), None);
    cache.set_model_answer(&key, b"a", Duration::from_secs(60)).await.unwrap();
    let before = cache.keyspace_stats().await.unwrap();
    assert!((0.0..=1.0).contains(&before.hit_rate()));
    assert!(before.misses >= 1);

    // Other clients of the same Redis may add misses meanwhile, so keep hitting
    // until the rate has moved instead of assuming one hit is enough.
    let after = wait_for("the hit rate to rise", Duration::from_secs(10), || async {
        for _ in 0..50 {
            assert!(cache.get_model_answer(&key).await.unwrap().is_some());
        }
        let now = cache.keyspace_stats().await.unwrap();
        (now.hit_rate() > before.hit_rate()).then_some(now)
    })
    .await;

    assert!(after.hits >= before.hits + 50);
    let rate = cache.keyspace_hit_rate().await.unwrap();
    assert!((0.0..=1.0).contains(&rate) && rate > before.hit_rate(), "rate {rate}");
}
