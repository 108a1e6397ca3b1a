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
//! The HTTP API, review mode and versions build on this (see the issues).

pub mod embedded;
mod error;
pub mod export;
pub mod fleet;
mod job;
pub mod machine;

pub use error::JobError;
pub use job::{JobReport, JobSpec, Orchestrator};
pub use machine::{JobMachine, MAX_QUALITY_ATTEMPTS, Retry, Step};
