//! The orchestrator: owns a job's state machine.
//!
//! - [`machine::JobMachine`]: a job's state: which phase runs next, the
//!   quality gate (a score below 0.70 re-runs the phase to blame, at most 3
//!   attempts, and everything after it), reviews and redraws.
//! - [`service::JobService`]: the one driver of that machine, and the product
//!   around it: jobs in the store, review mode, feedback and versions, chat,
//!   artifacts, events, and the sweeps that leave no job stalled.
//! - [`embedded::Embedded`]: one job to the end in one process (`manga
//!   generate`): the service over SQLite in memory, the in-memory bus, local
//!   files and the eight phase workers, returning a [`JobReport`].
//! - [`export`]: copies a finished job's files into an output directory,
//!   atomically, with `job.json`.
//!
//! - [`api`]: its HTTP API, OpenAPI document, SSE/WebSocket streams and web page.
//! - [`local::LocalProduct`]: all of it in one process (`manga serve`);
//!   [`fleet`]: the orchestrator service of the fleet.

pub mod api;
pub mod embedded;
mod error;
pub mod events;
pub mod export;
pub mod feed;
pub mod fleet;
pub mod http;
mod job;
pub mod local;
pub mod machine;
pub mod metrics;
pub mod plan;
pub mod service;
pub mod session;
pub mod views;
mod web_page;

pub use error::JobError;
pub use job::{JobReport, JobSpec};
pub use machine::{JobMachine, MAX_QUALITY_ATTEMPTS, Retry, Step};
