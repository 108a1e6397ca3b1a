//! [`Cache`]: one Redis connection (a self-healing `ConnectionManager`) and
//! the key prefix every key and channel of this crate lives under.

use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::CacheError;
use crate::error::redact_url;

/// How long one command may take before it is reported as [`CacheError::Timeout`].
/// Redis answers in under a millisecond; seconds mean it is gone, and a request
/// path must not hang on it.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long establishing a connection may take (the seeds' socket_connect_timeout).
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Keys deleted per `SCAN` page by [`Cache::purge_prefix`].
const SCAN_PAGE: usize = 500;

/// A handle on Redis: sessions, channels, rate limits, model answers, stats.
///
/// Cheap to clone; clones share one multiplexed connection that reconnects on
/// its own after a failure. Every key and channel name is `prefix + name`:
/// production uses an empty prefix (`session:{job_id}` as the seeds name it),
/// tests a random one so that concurrent tests never see each other's keys.
#[derive(Clone)]
pub struct Cache {
    client: redis::Client,
    conn: ConnectionManager,
    prefix: Arc<str>,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

impl Cache {
    /// Connects to Redis at `url` (`redis://host:6379/0`, `rediss://` for TLS)
    /// and namespaces every key and channel under `prefix`.
    ///
    /// # Errors
    /// [`CacheError::InvalidUrl`] for a malformed URL (permanent);
    /// [`CacheError::Connect`] when Redis cannot be reached (transient).
    pub async fn connect(url: &str, prefix: impl Into<String>) -> Result<Self, CacheError> {
        let client =
            redis::Client::open(url).map_err(|source| CacheError::InvalidUrl { url: redact_url(url), source })?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            // A few quick retries at start; a service that cannot reach Redis
            // should say so within seconds, not minutes.
            .set_number_of_retries(2);
        let conn = client
            .get_connection_manager_with_config(config)
            .await
            .map_err(|source| CacheError::Connect { url: redact_url(url), source })?;
        Ok(Self { client, conn, prefix: Arc::from(prefix.into()) })
    }

    /// The prefix given to [`Cache::connect`].
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Round trip to Redis, for `/ready`.
    ///
    /// # Errors
    /// [`CacheError::Redis`] (transient) when Redis does not answer `PONG`.
    pub async fn ping(&self) -> Result<(), CacheError> {
        let reply: String =
            redis::cmd("PING").query_async(&mut self.conn()).await.map_err(CacheError::redis("PING"))?;
        if reply == "PONG" {
            Ok(())
        } else {
            Err(CacheError::UnexpectedReply { operation: "PING", reason: format!("answered {reply:?}") })
        }
    }

    /// Deletes every key under this cache's prefix and returns how many went.
    /// Meant for tests and for tearing down a per-run namespace.
    ///
    /// # Errors
    /// [`CacheError::EmptyPrefix`] when the prefix is empty (that would be the
    /// whole production keyspace); [`CacheError::Redis`] if a command fails.
    pub async fn purge_prefix(&self) -> Result<u64, CacheError> {
        if self.prefix.is_empty() {
            return Err(CacheError::EmptyPrefix);
        }
        let pattern = format!("{}*", escape_glob(&self.prefix));
        let mut conn = self.conn();
        let mut cursor: u64 = 0;
        let mut deleted: u64 = 0;
        loop {
            let (next, keys): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(SCAN_PAGE)
                .query_async(&mut conn)
                .await
                .map_err(CacheError::redis("SCAN prefix"))?;
            if !keys.is_empty() {
                let n: u64 = redis::cmd("UNLINK")
                    .arg(&keys)
                    .query_async(&mut conn)
                    .await
                    .map_err(CacheError::redis("UNLINK"))?;
                deleted += n;
            }
            if next == 0 {
                return Ok(deleted);
            }
            cursor = next;
        }
    }

    /// `prefix + name`: the full Redis key (or channel) for `name`.
    pub(crate) fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// A handle on the shared connection (clones are cheap and multiplexed).
    pub(crate) fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// The client, for connections that cannot be shared (SUBSCRIBE).
    pub(crate) fn client(&self) -> &redis::Client {
        &self.client
    }
}

/// Escapes Redis glob metacharacters so a prefix matches only itself.
fn escape_glob(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\' | '^' | '-') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_metacharacters_in_a_prefix_match_only_themselves() {
        assert_eq!(escape_glob("t-1:"), "t\\-1:");
        assert_eq!(escape_glob("a*b?[c]\\"), "a\\*b\\?\\[c\\]\\\\");
    }
}
