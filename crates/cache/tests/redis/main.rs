//! Integration tests against a real Redis at REDIS_URL (default
//! redis://127.0.0.1:6379). Each test works under its own random key prefix
//! and deletes it at the end; an unreachable Redis fails the test, naming
//! REDIS_URL, rather than skipping it.

mod channels;
mod connection;
mod model_answers;
mod rate_limit;
mod sessions;
mod stats;
mod support;
