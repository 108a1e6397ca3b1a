//! A token-bucket rate limiter shared by every instance (e.g. the seeds'
//! 1000 requests a minute per client IP: capacity 1000, refill 1000/60 per s).

use std::sync::LazyLock;
use std::time::Duration;

use crate::{Cache, CacheError};

static TOKEN_BUCKET: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(include_str!("token_bucket.lua")));

/// The verdict on one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may proceed (it took a token).
    pub allowed: bool,
    /// Whole tokens left after this request.
    pub remaining: u32,
    /// When denied, how long until a token is available (for `Retry-After`);
    /// zero when allowed.
    pub retry_after: Duration,
}

/// A token-bucket limiter over a [`Cache`]; cheap to clone.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    cache: Cache,
}

impl RateLimiter {
    /// A limiter whose buckets live under `cache`'s prefix.
    pub fn new(cache: Cache) -> Self {
        Self { cache }
    }

    /// Takes one token from the bucket named `key` (e.g. `ip:203.0.113.9`),
    /// which holds up to `capacity` tokens and regains `refill_per_sec` per
    /// second. A new bucket starts full.
    ///
    /// # Errors
    /// [`CacheError::InvalidRateLimit`] for a zero capacity or a rate that is
    /// not a positive finite number; [`CacheError::Redis`] if Redis fails.
    /// Callers decide whether to fail open or closed when Redis is down.
    #[tracing::instrument(skip(self))]
    pub async fn check(&self, key: &str, capacity: u32, refill_per_sec: f64) -> Result<Decision, CacheError> {
        if capacity == 0 || !refill_per_sec.is_finite() || refill_per_sec <= 0.0 {
            return Err(CacheError::InvalidRateLimit { capacity, refill_per_sec });
        }
        let (allowed, retry_us, remaining): (i64, i64, i64) = TOKEN_BUCKET
            .key(self.cache.rate_limit_key(key))
            .arg(capacity)
            .arg(refill_per_sec)
            .invoke_async(&mut self.cache.conn())
            .await
            .map_err(CacheError::redis("EVALSHA token bucket"))?;
        Ok(Decision {
            allowed: allowed == 1,
            remaining: u32::try_from(remaining.max(0)).unwrap_or(capacity),
            retry_after: Duration::from_micros(u64::try_from(retry_us.max(0)).unwrap_or(0)),
        })
    }
}

impl Cache {
    /// A [`RateLimiter`] over this cache.
    pub fn rate_limiter(&self) -> RateLimiter {
        RateLimiter::new(self.clone())
    }

    /// The Redis key of a bucket: `{prefix}rate_limit:{key}`.
    pub fn rate_limit_key(&self, key: &str) -> String {
        self.key(&format!("rate_limit:{key}"))
    }
}
