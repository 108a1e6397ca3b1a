use std::time::Duration;

use manga_cache::{CacheError, ModelAnswerKey};
use redis::AsyncCommands;
use serde_json::json;

use crate::support::{TestCache, wait_for};

fn key(prompt: &str) -> ModelAnswerKey {
    ModelAnswerKey::new("gemini-2.5-flash", prompt, &json!({"temperature": 0.2, "seed": 7}))
}

#[tokio::test]
async fn a_stored_answer_reads_back_byte_for_byte_with_its_ttl() {
    let cache = TestCache::new().await;
    let answer = "{\"title\":\"雨の駅\"}\u{0}\u{ff}".as_bytes();

    cache.set_model_answer(&key("concept of story 1"), answer, Duration::from_secs(600)).await.unwrap();

    assert_eq!(cache.get_model_answer(&key("concept of story 1")).await.unwrap().as_deref(), Some(answer));
    let redis_key = cache.model_answer_key(&key("concept of story 1"));
    assert_eq!(redis_key, format!("{}model_answer:{}", cache.prefix(), key("concept of story 1")));
    let pttl: i64 = cache.raw().await.pttl(&redis_key).await.unwrap();
    assert!((595_000..=600_000).contains(&pttl), "PTTL {pttl}");
}

#[tokio::test]
async fn an_unknown_call_is_a_miss() {
    let cache = TestCache::new().await;
    cache.set_model_answer(&key("one prompt"), b"a", Duration::from_secs(60)).await.unwrap();

    assert_eq!(cache.get_model_answer(&key("another prompt")).await.unwrap(), None);
}

#[tokio::test]
async fn an_answer_expires_after_its_ttl() {
    let cache = TestCache::new().await;
    cache.set_model_answer(&key("short-lived"), b"answer", Duration::from_millis(150)).await.unwrap();
    assert!(cache.get_model_answer(&key("short-lived")).await.unwrap().is_some());

    wait_for("the answer to expire", Duration::from_secs(3), || async {
        cache.get_model_answer(&key("short-lived")).await.unwrap().is_none().then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_ttl_under_a_millisecond_is_rejected() {
    let cache = TestCache::new().await;

    let err = cache.set_model_answer(&key("p"), b"a", Duration::from_micros(500)).await.unwrap_err();

    assert!(matches!(err, CacheError::InvalidTtl(_)));
    assert_eq!(cache.get_model_answer(&key("p")).await.unwrap(), None);
}
