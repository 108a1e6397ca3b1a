//! Keyspace hit rate from `INFO stats`, for the cache-hit-rate metric (the
//! seeds' `hits / (hits + misses)`). These counters are server-wide: they
//! cover every client of this Redis, not only this prefix.

use crate::{Cache, CacheError};

/// The server's keyspace lookup counters since its start (or `CONFIG RESETSTAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyspaceStats {
    /// Lookups that found their key.
    pub hits: u64,
    /// Lookups that did not.
    pub misses: u64,
}

impl KeyspaceStats {
    /// `hits / (hits + misses)` in `0.0..=1.0`; `0.0` before any lookup (as the
    /// seeds report it), so the metric is never NaN.
    pub fn hit_rate(self) -> f64 {
        let total = self.hits.saturating_add(self.misses);
        if total == 0 { 0.0 } else { self.hits as f64 / total as f64 }
    }

    /// Reads `keyspace_hits` and `keyspace_misses` out of an `INFO stats` reply.
    fn parse(info: &str) -> Result<Self, CacheError> {
        let field = |name: &'static str| {
            info.lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
                .ok_or_else(|| reply_error(format!("no {name} line")))?
                .trim()
                .parse::<u64>()
                .map_err(|e| reply_error(format!("{name}: {e}")))
        };
        Ok(Self { hits: field("keyspace_hits")?, misses: field("keyspace_misses")? })
    }
}

fn reply_error(reason: String) -> CacheError {
    CacheError::UnexpectedReply { operation: "INFO stats", reason }
}

impl Cache {
    /// The server's keyspace hit and miss counters.
    ///
    /// # Errors
    /// [`CacheError::Redis`] if Redis fails; [`CacheError::UnexpectedReply`]
    /// if the reply lacks the counters.
    pub async fn keyspace_stats(&self) -> Result<KeyspaceStats, CacheError> {
        let info: String = redis::cmd("INFO")
            .arg("stats")
            .query_async(&mut self.conn())
            .await
            .map_err(CacheError::redis("INFO stats"))?;
        KeyspaceStats::parse(&info)
    }

    /// The keyspace hit rate in `0.0..=1.0`, for a gauge; see [`KeyspaceStats::hit_rate`].
    ///
    /// # Errors
    /// As [`Cache::keyspace_stats`].
    pub async fn keyspace_hit_rate(&self) -> Result<f64, CacheError> {
        Ok(self.keyspace_stats().await?.hit_rate())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_and_misses_are_read_from_an_info_stats_reply() {
        let info =
            "# Stats\r\ntotal_connections_received:9\r\nkeyspace_hits:30\r\nkeyspace_misses:10\r\nevicted_keys:0\r\n";
        let stats = KeyspaceStats::parse(info).unwrap();
        assert_eq!(stats, KeyspaceStats { hits: 30, misses: 10 });
        assert_eq!(stats.hit_rate(), 0.75);
    }

    #[test]
    fn no_lookups_yet_is_a_hit_rate_of_zero_not_nan() {
        assert_eq!(KeyspaceStats { hits: 0, misses: 0 }.hit_rate(), 0.0);
    }

    #[test]
    fn a_reply_without_the_counters_is_an_unexpected_reply() {
        let err = KeyspaceStats::parse("# Stats\r\n").unwrap_err();
        assert_eq!(err.to_string(), "unexpected Redis reply to INFO stats: no keyspace_hits line");
    }
}
