//! What can go wrong in the store, and whether trying again can help.

use manga_domain::JobId;
use thiserror::Error;

use crate::Revision;

/// A store operation that failed.
///
/// Callers decide with [`StoreError::is_transient`]: a transient error is
/// answered with a 5xx (Pub/Sub redelivers, the client retries); a permanent
/// one is acknowledged and, where it concerns a job, the job is marked failed.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The row asked for does not exist.
    #[error("{what} {id} was not found")]
    NotFound {
        /// What kind of row (`job`, `version`, `phase run`).
        what: &'static str,
        /// Its key, as a person reads it.
        id: String,
    },
    /// Another writer advanced the job since the caller read it.
    #[error("job {job} was changed by another writer: expected revision {expected}, found {actual}")]
    Conflict {
        /// The job.
        job: JobId,
        /// The revision the caller read.
        expected: Revision,
        /// The revision the job has now.
        actual: Revision,
    },
    /// A stored row does not make a valid domain value (hand edits, a bad migration).
    #[error("stored {what} is invalid: {reason}")]
    Corrupt {
        /// What kind of row.
        what: &'static str,
        /// Why it does not parse.
        reason: String,
    },
    /// The database refused or could not run a statement.
    #[error("database error while {doing}")]
    Database {
        /// What we were doing, e.g. `creating a job`.
        doing: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// The schema could not be brought up to date at start.
    #[error("database migrations failed")]
    Migrate(#[source] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Whether the same call may succeed later: lost connections, pool
    /// timeouts, serialisation failures and lock contention are transient;
    /// missing rows, conflicts, constraint and decode errors are not.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Database { source, .. } => is_transient_sqlx(source),
            Self::NotFound { .. } | Self::Conflict { .. } | Self::Corrupt { .. } | Self::Migrate(_) => false,
        }
    }

    /// Wraps a driver error with what we were doing.
    pub(crate) fn db(doing: &'static str) -> impl FnOnce(sqlx::Error) -> Self {
        move |source| Self::Database { doing, source }
    }

    /// A row that does not parse into its domain type.
    pub(crate) fn corrupt(what: &'static str, reason: impl ToString) -> Self {
        Self::Corrupt { what, reason: reason.to_string() }
    }

    /// Whether this is the database saying a foreign key points nowhere.
    pub(crate) fn is_foreign_key_violation(&self) -> bool {
        matches!(self, Self::Database { source: sqlx::Error::Database(e), .. }
            if e.kind() == sqlx::error::ErrorKind::ForeignKeyViolation)
    }

    /// Whether this is the database saying a unique key is taken.
    pub(crate) fn is_unique_violation(&self) -> bool {
        matches!(self, Self::Database { source: sqlx::Error::Database(e), .. }
            if e.kind() == sqlx::error::ErrorKind::UniqueViolation)
    }
}

fn is_transient_sqlx(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::BeginFailed => true,
        sqlx::Error::Database(e) => e.code().is_some_and(|code| is_transient_code(&code)),
        _ => false,
    }
}

/// Postgres SQLSTATEs and SQLite result codes that mean "not now" rather than "never".
fn is_transient_code(code: &str) -> bool {
    // Postgres: connection exceptions (08), serialisation failure and
    // deadlock (40001, 40P01), insufficient resources such as too many
    // connections (53), lock not available (55P03), shutdown or restart (57P0x).
    if code.starts_with("08") || code.starts_with("53") || code.starts_with("57P") {
        return true;
    }
    if matches!(code, "40001" | "40P01" | "55P03") {
        return true;
    }
    // SQLite reports its numeric (extended) result code; the low byte is the
    // primary code: 5 SQLITE_BUSY, 6 SQLITE_LOCKED.
    code.parse::<u32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_timeouts_and_io_errors_are_transient_and_decode_errors_are_not() {
        let transient = StoreError::db("reading a job")(sqlx::Error::PoolTimedOut);
        assert!(transient.is_transient());
        let io = StoreError::db("reading a job")(sqlx::Error::Io(std::io::Error::other("reset")));
        assert!(io.is_transient());
        let decode = StoreError::db("reading a job")(sqlx::Error::Decode("bad".into()));
        assert!(!decode.is_transient());
        assert!(!StoreError::NotFound { what: "job", id: "x".into() }.is_transient());
    }

    #[test]
    fn serialisation_failures_and_busy_databases_are_transient_but_constraint_codes_are_not() {
        for code in ["40001", "40P01", "08006", "53300", "57P01", "5", "517", "6"] {
            assert!(is_transient_code(code), "{code} should be transient");
        }
        for code in ["23505", "23503", "22P02", "19", "2067", "787"] {
            assert!(!is_transient_code(code), "{code} should be permanent");
        }
    }

    #[test]
    fn the_conflict_message_names_the_job_and_both_revisions() {
        let job = JobId::new();
        let e = StoreError::Conflict { job, expected: Revision::new(3), actual: Revision::new(4) };
        assert_eq!(e.to_string(), format!("job {job} was changed by another writer: expected revision 3, found 4"));
    }
}
