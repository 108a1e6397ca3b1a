//! manga-cache: everything the fleet keeps in Redis (Memorystore in the cloud).
//!
//! - [`Cache`] ([`cache`]): connection, key prefix, `ping` for `/ready`.
//! - [`Session`] ([`session`]): the HITL session hash `session:{job_id}`, TTL
//!   3600 s. A copy of what Postgres holds; a missing session is rebuilt by
//!   the caller from the store.
//! - [`Channel`] ([`channel`]): pub/sub on `phase_progress:{id}`,
//!   `hitl_feedback:{id}`, `session_timeout:{id}`, so a WebSocket on any
//!   orchestrator instance sees every event.
//! - [`RateLimiter`] ([`rate_limit`]): an atomic token bucket in Lua.
//! - [`ModelAnswerKey`] ([`model_answer`]): the L2 cache of model answers.
//! - [`KeyspaceStats`] ([`stats`]): keyspace hit rate from `INFO stats`.
//! - [`CacheError`] ([`error`]): with `is_transient()`.
//!
//! Every key and channel is `prefix + name`: empty in production, random per
//! test. Depends on `manga-domain` only; knows nothing of the store, the bus
//! or HTTP.

pub mod cache;
pub mod channel;
pub mod error;
pub mod model_answer;
pub mod rate_limit;
pub mod session;
pub mod stats;

pub use cache::Cache;
pub use channel::{Channel, ChannelMessage, ChannelStream};
pub use error::CacheError;
pub use model_answer::ModelAnswerKey;
pub use rate_limit::{Decision, RateLimiter};
pub use session::{SESSION_TTL, Session};
pub use stats::KeyspaceStats;
