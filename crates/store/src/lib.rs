//! The system of record: jobs, versions, phase runs, artifacts, feedback and
//! processed Pub/Sub messages, behind one trait with two backends.
//!
//! - [`Store`]: the trait every caller uses; [`StoreError`] says whether to retry.
//! - `PgStore`: Postgres (the fleet, Cloud SQL), pooled per `PoolSettings`
//!   (the `postgres` feature).
//! - [`SqliteStore`]: SQLite (embedded mode, a laptop, tests), a file or memory.
//! - Records: [`JobRecord`] ([`JobState`], [`JobMode`], [`Revision`] for
//!   compare-and-set), [`VersionRecord`], [`PhaseRunRecord`] keyed by
//!   [`PhaseRunKey`], [`ArtifactRecord`], [`FeedbackRecord`], [`ProcessedMessage`]
//!   keyed by [`MessageKey`]. Idempotent writes answer [`Recorded`].
//! - [`WorkItems`]: a phase run spread over one message per item (phase 5's
//!   panels), each item claimed under a lease and counted down once.
//!
//! Both backends run their own migrations (`migrations/postgres`,
//! `migrations/sqlite`) when opened and share every SQL statement (`sql.rs`);
//! rows become domain types in one place (`rows.rs`). `tests/contract.rs`
//! holds both to the same contract. This crate depends on `manga-domain`
//! only, never on the orchestrator, phases or services.

#[macro_use]
mod rows;
#[macro_use]
mod sql;
#[macro_use]
mod items;

mod error;
mod history;
mod job;
mod message;
mod phase_run;
#[cfg(feature = "postgres")]
mod postgres;
mod sqlite;
mod store;

pub use error::StoreError;
pub use history::{ArtifactRecord, FeedbackRecord, NewFeedback, VersionRecord};
pub use items::{ItemClaim, ItemsLeft, WorkItems};
pub use job::{JobAdvance, JobMode, JobRecord, JobStart, JobState, NewJob, Revision, UserId};
pub use message::{MessageKey, MessageOutcome, ProcessedMessage};
pub use phase_run::{LeaseHolder, PhaseRunKey, PhaseRunOutcome, PhaseRunRecord, PhaseRunStatus, RunClaim};
#[cfg(feature = "postgres")]
pub use postgres::{PgStore, PoolSettings};
pub use sqlite::SqliteStore;
pub use store::{Recorded, Store};
