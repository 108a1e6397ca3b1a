//! The models a service runs with: [`AiSettings`] from the environment, and
//! in the fleet the rate limit and the answer cache shared through Redis, so
//! every instance of every service draws from one budget and no instance
//! repeats a call another made.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use manga_ai::remote::cache::ResponseCache;
use manga_ai::remote::limiter::RateLimiter;
use manga_ai::remote::metrics::AiMetrics;
use manga_ai::{AiError, AiSettings, Models, Shared};
use manga_cache::{Cache, ModelAnswerKey};

/// How long a shared answer is kept: long enough for branches and revisions of a job.
pub const SHARED_ANSWER_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// The models the environment configures, sharing limits and answers through `redis` when given.
///
/// # Errors
/// One sentence naming the variable that is missing or wrong, or the provider that cannot be set up.
pub fn from_env(redis: Option<&Cache>, metrics: Arc<AiMetrics>) -> Result<Models, String> {
    let settings = AiSettings::from_env().map_err(|e| e.to_string())?;
    build(&settings, redis, metrics)
}

/// [`from_env`] over given settings.
///
/// # Errors
/// As [`from_env`].
pub fn build(settings: &AiSettings, redis: Option<&Cache>, metrics: Arc<AiMetrics>) -> Result<Models, String> {
    let shared = match redis {
        Some(cache) => Shared {
            limiter: Some(Arc::new(RedisRateLimiter::new(cache.clone(), settings.rate_limit_per_minute))),
            l2: Some(Arc::new(RedisAnswers::new(cache.clone(), SHARED_ANSWER_TTL))),
            metrics,
        },
        None => Shared { limiter: None, l2: None, metrics },
    };
    Models::build(settings, &shared)
}

/// Calls a minute per provider and model, as a token bucket in Redis (crates/cache).
pub struct RedisRateLimiter {
    buckets: manga_cache::RateLimiter,
    per_minute: u32,
}

impl RedisRateLimiter {
    /// A limit of `per_minute` calls a minute for each key, across every instance.
    pub fn new(cache: Cache, per_minute: u32) -> Self {
        Self { buckets: cache.rate_limiter(), per_minute: per_minute.max(1) }
    }
}

/// The longest single wait between tries for a token, so a long refill is re-checked.
const MAX_TOKEN_WAIT: Duration = Duration::from_secs(5);

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn acquire(&self, key: &str) -> Result<(), AiError> {
        let bucket = format!("ai:{key}");
        loop {
            match self.buckets.check(&bucket, self.per_minute, f64::from(self.per_minute) / 60.0).await {
                Ok(decision) if decision.allowed => return Ok(()),
                Ok(decision) => {
                    tokio::time::sleep(decision.retry_after.clamp(Duration::from_millis(5), MAX_TOKEN_WAIT)).await
                }
                // Fail open: the provider's own 429s (retried with backoff) still bound the rate while Redis is away.
                Err(e) => {
                    tracing::warn!(error = %e, key, "shared rate limit unavailable; calling without it");
                    return Ok(());
                }
            }
        }
    }
}

/// The second level of the answer cache, in Redis.
pub struct RedisAnswers {
    cache: Cache,
    ttl: Duration,
}

impl RedisAnswers {
    /// Answers kept in `cache` for `ttl`.
    pub fn new(cache: Cache, ttl: Duration) -> Self {
        Self { cache, ttl }
    }
}

#[async_trait]
impl ResponseCache for RedisAnswers {
    async fn get(&self, key: &str) -> Option<Bytes> {
        let key = ModelAnswerKey::from_digest(key)?;
        match self.cache.get_model_answer(&key).await {
            Ok(answer) => answer.map(Bytes::from),
            Err(e) => {
                tracing::warn!(error = %e, "shared answer cache unavailable; treating as a miss");
                None
            }
        }
    }

    async fn put(&self, key: &str, value: Bytes) {
        let Some(key) = ModelAnswerKey::from_digest(key) else { return };
        if let Err(e) = self.cache.set_model_answer(&key, &value, self.ttl).await {
            tracing::warn!(error = %e, "answer not kept in the shared cache");
        }
    }
}
