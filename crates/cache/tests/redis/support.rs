//! `TestCache`: a [`Cache`] under a fresh random prefix, purged on drop.

use std::future::Future;
use std::ops::Deref;
use std::time::{Duration, Instant};

use manga_cache::Cache;

/// The Redis these tests use.
pub fn redis_url() -> String {
    // Tests take their server address from the environment like CI does;
    // the library itself never reads the environment.
    #[allow(clippy::disallowed_methods)]
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// A cache under `test-{uuid}:`, whose keys are deleted when it is dropped.
pub struct TestCache {
    cache: Cache,
}

impl TestCache {
    /// Connects under a new random prefix; panics naming REDIS_URL if Redis is down.
    pub async fn new() -> Self {
        let prefix = format!("test-{}:", uuid::Uuid::new_v4().simple());
        let url = redis_url();
        let cache = Cache::connect(&url, prefix).await.unwrap_or_else(|e| {
            panic!("Redis is not reachable at REDIS_URL={url} ({e}); start redis-server or set REDIS_URL")
        });
        Self { cache }
    }

    /// A raw connection for looking behind the crate's back (TTL, HGETALL).
    pub async fn raw(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(redis_url())
            .expect("REDIS_URL parses")
            .get_multiplexed_async_connection()
            .await
            .expect("raw connection to REDIS_URL")
    }
}

impl Deref for TestCache {
    type Target = Cache;
    fn deref(&self) -> &Cache {
        &self.cache
    }
}

impl Drop for TestCache {
    fn drop(&mut self) {
        // Drop cannot await, and it must also run when a test panics, so the
        // cleanup uses a short-lived synchronous connection.
        let pattern = format!("{}*", self.cache.prefix().replace('-', "\\-"));
        let Ok(mut conn) = redis::Client::open(redis_url()).and_then(|c| c.get_connection()) else { return };
        let mut cursor: u64 = 0;
        loop {
            let page: redis::RedisResult<(u64, Vec<String>)> =
                redis::cmd("SCAN").arg(cursor).arg("MATCH").arg(&pattern).arg("COUNT").arg(500).query(&mut conn);
            let Ok((next, keys)) = page else { return };
            if !keys.is_empty() && redis::cmd("DEL").arg(&keys).query::<u64>(&mut conn).is_err() {
                return;
            }
            if next == 0 {
                return;
            }
            cursor = next;
        }
    }
}

/// Polls `condition` every 10 ms until it yields `Some`, failing the test
/// with `what` after `limit`.
pub async fn wait_for<T, F, Fut>(what: &str, limit: Duration, mut condition: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = condition().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
