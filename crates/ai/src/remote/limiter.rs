//! Rate limits on model calls: requests a minute per provider and model.
//!
//! In one process a GCRA limiter (governor) paces calls; the fleet plugs in
//! a limiter shared through Redis (crates/cache's token bucket), so every
//! instance of every service draws from one budget.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use governor::{DefaultDirectRateLimiter, Quota};

use crate::AiError;

/// Waits until a call to `key` (`provider:model`) may go out.
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Waits for a permit.
    ///
    /// # Errors
    /// [`AiError::Unavailable`] when the limiter itself cannot be asked (a shared store is down).
    async fn acquire(&self, key: &str) -> Result<(), AiError>;
}

/// No limit.
pub struct Unlimited;

#[async_trait]
impl RateLimiter for Unlimited {
    async fn acquire(&self, _key: &str) -> Result<(), AiError> {
        Ok(())
    }
}

/// An in-process limit of `per_minute` calls per key, paced evenly.
pub struct LocalRateLimiter {
    per_minute: NonZeroU32,
    limiters: Mutex<HashMap<String, Arc<DefaultDirectRateLimiter>>>,
}

impl LocalRateLimiter {
    /// A limiter allowing `per_minute` calls a minute for each key.
    pub fn new(per_minute: NonZeroU32) -> Self {
        Self { per_minute, limiters: Mutex::new(HashMap::new()) }
    }
}

#[async_trait]
impl RateLimiter for LocalRateLimiter {
    async fn acquire(&self, key: &str) -> Result<(), AiError> {
        let limiter = {
            let mut map = self.limiters.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            map.entry(key.to_owned())
                .or_insert_with(|| Arc::new(DefaultDirectRateLimiter::direct(Quota::per_minute(self.per_minute))))
                .clone()
        };
        limiter.until_ready().await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_local_limiter_lets_a_burst_of_the_quota_through_then_paces() {
        let limiter = LocalRateLimiter::new(NonZeroU32::new(600).unwrap());
        let started = std::time::Instant::now();
        // 600 a minute is one each 100 ms once the burst (the whole quota) is spent; another key is independent.
        for _ in 0..600 {
            limiter.acquire("a").await.unwrap();
        }
        assert!(started.elapsed() < std::time::Duration::from_millis(500));
        limiter.acquire("b").await.unwrap();
        let before = std::time::Instant::now();
        limiter.acquire("a").await.unwrap();
        assert!(before.elapsed() >= std::time::Duration::from_millis(50), "the 601st call waited");
    }
}
