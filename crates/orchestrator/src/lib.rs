//! The orchestrator: owns a job's state machine.
//!
//! - [`Orchestrator::run_job`]: sends each phase's request on the bus, waits
//!   for its result, applies the quality gate (a score below 0.70 re-runs the
//!   phase to blame, at most 3 attempts, and everything after it), and
//!   returns a [`JobReport`].
//! - [`embedded`]: the whole pipeline in one process: in-memory bus, local
//!   files, the local provider, and the eight phase workers.
//! - [`export`]: copies a finished job's files into an output directory,
//!   atomically, with `job.json`.
//!
//! - [`service::JobService`]: the product: jobs in the store with their
//!   machine, review mode, feedback and versions, chat, artifacts, events.
//! - [`api`]: its HTTP API, OpenAPI document, SSE/WebSocket streams and web page.
//! - [`local::LocalProduct`]: all of it in one process (`manga serve`);
//!   [`fleet`]: the orchestrator service of the fleet.

pub mod api;
pub mod embedded;
mod error;
pub mod events;
pub mod export;
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
pub use job::{JobReport, JobSpec, Orchestrator};
pub use machine::{JobMachine, MAX_QUALITY_ATTEMPTS, Retry, Step};
