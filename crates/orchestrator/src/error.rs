use manga_domain::PhaseId;

/// Why a job did not finish.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The job ended without publishing: a phase failed permanently, its step
    /// stalled past every re-send, or it was cancelled.
    #[error("{reason}")]
    Failed {
        /// The phase the job was at.
        phase: PhaseId,
        /// Why, for a person.
        reason: String,
    },
    /// The job could not be started or followed.
    #[error("{0}")]
    Service(#[from] crate::service::ServiceError),
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
