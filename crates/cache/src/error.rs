//! [`CacheError`]: what went wrong talking to Redis, and whether trying again can help.

use std::time::Duration;

use manga_domain::JobId;
use redis::{RedisError, RetryMethod};

/// An error from the cache.
///
/// Callers branch on [`CacheError::is_transient`], never on the text: a
/// transient error is worth a retry (a push handler answers 5xx so Pub/Sub
/// redelivers); a permanent one will fail the same way again.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// The Redis URL could not be parsed.
    #[error("invalid Redis URL {url}")]
    InvalidUrl {
        /// The URL with any password replaced by `***`.
        url: String,
        /// What the redis crate said.
        #[source]
        source: RedisError,
    },

    /// Redis could not be reached when connecting.
    #[error("cannot connect to Redis at {url}")]
    Connect {
        /// The URL with any password replaced by `***`.
        url: String,
        /// What the redis crate said.
        #[source]
        source: RedisError,
    },

    /// A command failed (connection lost, server error, unexpected reply).
    #[error("Redis {operation} failed")]
    Redis {
        /// What we were doing, e.g. `"HGETALL session"`.
        operation: &'static str,
        /// What the redis crate said.
        #[source]
        source: RedisError,
    },

    /// Redis did not answer in time.
    #[error("Redis {operation} timed out after {after:?}")]
    Timeout {
        /// What we were doing.
        operation: &'static str,
        /// How long we waited.
        after: Duration,
    },

    /// A stored session hash could not be read back into a [`crate::Session`].
    #[error("session {job_id} in Redis has an invalid `{field}`: {reason}")]
    CorruptSession {
        /// The job whose session is damaged.
        job_id: JobId,
        /// The hash field at fault.
        field: &'static str,
        /// Why it was rejected.
        reason: String,
    },

    /// A JSON payload could not be encoded or decoded.
    #[error("invalid JSON for {what}")]
    Json {
        /// What the JSON was, e.g. `"phase_progress message"`.
        what: &'static str,
        /// What serde_json said.
        #[source]
        source: serde_json::Error,
    },

    /// A rate limit with no capacity or no refill can never admit anything.
    #[error("invalid rate limit: capacity {capacity} and refill {refill_per_sec}/s must both be positive")]
    InvalidRateLimit {
        /// The requested bucket size.
        capacity: u32,
        /// The requested refill rate.
        refill_per_sec: f64,
    },

    /// A time to live shorter than Redis' resolution (1 ms).
    #[error("time to live {0:?} is shorter than 1 ms")]
    InvalidTtl(Duration),

    /// Deleting "every key under the prefix" with an empty prefix would wipe
    /// the production keyspace, so it is refused.
    #[error("refusing to delete keys under an empty prefix (that is the whole keyspace)")]
    EmptyPrefix,

    /// Redis answered something this crate cannot interpret.
    #[error("unexpected Redis reply to {operation}: {reason}")]
    UnexpectedReply {
        /// What we were doing.
        operation: &'static str,
        /// What was wrong with the answer.
        reason: String,
    },
}

impl CacheError {
    /// True when the same call may succeed later: Redis unreachable, a dropped
    /// connection, a timeout, or a server busy loading or failing over.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Connect { .. } | Self::Timeout { .. } => true,
            Self::Redis { source, .. } => redis_error_is_transient(source),
            Self::InvalidUrl { .. }
            | Self::CorruptSession { .. }
            | Self::Json { .. }
            | Self::InvalidRateLimit { .. }
            | Self::InvalidTtl(_)
            | Self::EmptyPrefix
            | Self::UnexpectedReply { .. } => false,
        }
    }

    pub(crate) fn redis(operation: &'static str) -> impl FnOnce(RedisError) -> Self {
        move |source| Self::Redis { operation, source }
    }
}

fn redis_error_is_transient(error: &RedisError) -> bool {
    if error.is_io_error() || error.is_timeout() || error.is_connection_dropped() || error.is_connection_refusal() {
        return true;
    }
    // The crate's own judgement: LOADING, BUSY, TRYAGAIN, MASTERDOWN and the
    // like come back as "retry", wrong types and script errors as "no retry".
    !matches!(error.retry_method(), RetryMethod::NoRetry)
}

/// The URL as it may appear in logs and error messages: no password.
pub(crate) fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => format!("{}***{}", &url[..scheme_end + 3], &url[at..]),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_in_the_url_is_redacted() {
        assert_eq!(redact_url("redis://:s3cret@10.0.2.10:6379/0"), "redis://***@10.0.2.10:6379/0");
        assert_eq!(redact_url("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
    }

    #[test]
    fn a_dropped_connection_is_transient_and_a_bad_session_is_not() {
        let io = RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        assert!(CacheError::Redis { operation: "GET", source: io }.is_transient());
        let corrupt = CacheError::CorruptSession { job_id: JobId::new(), field: "current_phase", reason: "9".into() };
        assert!(!corrupt.is_transient());
        assert!(!CacheError::EmptyPrefix.is_transient());
    }
}
