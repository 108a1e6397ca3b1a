use manga_domain::PhaseId;

/// Why a job did not finish.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// A phase failed permanently.
    #[error("phase {phase} failed: {message}")]
    PhaseFailed {
        /// Which phase.
        phase: PhaseId,
        /// Its error, for a person.
        message: String,
    },
    /// A phase did not answer in time.
    #[error("phase {phase} did not finish within {seconds} s")]
    Timeout {
        /// Which phase.
        phase: PhaseId,
        /// The limit.
        seconds: u64,
    },
    /// The bus failed.
    #[error(transparent)]
    Bus(#[from] manga_bus::BusError),
    /// The database could not be opened or failed.
    #[error("the job database failed: {0}")]
    Store(String),
    /// Storing the job's inputs or reading its outputs failed.
    #[error(transparent)]
    Blob(#[from] manga_blob::BlobError),
    /// An output could not be read back.
    #[error(transparent)]
    Phase(#[from] manga_phases::PhaseError),
    /// Writing the exported files failed.
    #[error("could not write {path}: {source}")]
    Export {
        /// Where.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}
