//! A phase service's wiring on Cloud Run (the `fleet` feature): Postgres,
//! Pub/Sub, Cloud Storage or local files, and the models with their limits
//! and answer cache shared through Redis, all from the service's [`Config`].

use std::sync::Arc;

use manga_blob::{BlobStore, GcsBlobStore, LocalBlobStore};
use manga_bus::{Bus, PubSubBus};
use manga_domain::PhaseId;
use manga_runtime::{BlobBackend, Config};
use manga_store::{PgStore, PoolSettings, Store};

use super::{PhaseMetrics, PhaseService, work_budget};
use crate::PhaseContext;

/// Where local-file artifacts live when `BLOB_ROOT` is not set.
pub const DEFAULT_BLOB_ROOT: &str = "/tmp/manga-blobs";

/// Why a service could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A required setting is missing.
    #[error("{0} must be set for a fleet service")]
    Missing(&'static str),
    /// Postgres could not be reached or migrated.
    #[error(transparent)]
    Store(#[from] manga_store::StoreError),
    /// Pub/Sub could not be reached.
    #[error(transparent)]
    PubSub(#[from] manga_bus::pubsub::PubSubError),
    /// The artifact store could not be set up.
    #[error(transparent)]
    Blob(#[from] manga_blob::BlobError),
    /// The models' settings are wrong, or Redis (their shared limits and cache) is unreachable.
    #[error("{0}")]
    Models(String),
}

/// The store, bus and blob store every fleet service uses, from its config.
///
/// # Errors
/// [`ServiceError`] when DATABASE_URL is missing or a dependency is unreachable.
pub async fn connect(config: &Config) -> Result<(Arc<dyn Store>, Arc<dyn Bus>, Arc<dyn BlobStore>), ServiceError> {
    let url = config.database_url.as_ref().ok_or(ServiceError::Missing("DATABASE_URL"))?;
    let store: Arc<dyn Store> = Arc::new(PgStore::connect(url.expose(), PoolSettings::default()).await?);
    let bus: Arc<dyn Bus> =
        Arc::new(PubSubBus::new(config.project_id.clone(), config.pubsub_emulator_host.clone()).await?);
    let blob: Arc<dyn BlobStore> = match &config.blob_backend {
        BlobBackend::Local => {
            Arc::new(LocalBlobStore::new(config.blob_root.clone().unwrap_or_else(|| DEFAULT_BLOB_ROOT.into())))
        }
        BlobBackend::Gcs { bucket_prefix } => Arc::new(GcsBlobStore::new(bucket_prefix)?),
    };
    Ok((store, bus, blob))
}

impl PhaseService {
    /// Connects the phase's dependencies and the models the environment configures
    /// (`TEXT_PROVIDER`, `IMAGE_PROVIDER`, …; the offline provider when unset), whose
    /// rate limit and answer cache are shared through Redis when `REDIS_URL` is set.
    ///
    /// # Errors
    /// [`ServiceError`] when a dependency or a setting is missing or wrong.
    pub async fn connect(phase: PhaseId, config: &Config) -> Result<Self, ServiceError> {
        let ai_metrics = Arc::new(manga_ai::remote::metrics::AiMetrics::new());
        // Settings first: a wrong one is reported before anything is dialled.
        let settings = manga_ai::AiSettings::from_env().map_err(|e| ServiceError::Models(e.to_string()))?;
        let (store, bus, blob) = connect(config).await?;
        let redis = match &config.redis_url {
            Some(url) => Some(
                manga_cache::Cache::connect(url.expose(), config.redis_key_prefix.clone())
                    .await
                    .map_err(|e| ServiceError::Models(format!("REDIS_URL: {e}")))?,
            ),
            None => None,
        };
        let models =
            crate::models::build(&settings, redis.as_ref(), ai_metrics.clone()).map_err(ServiceError::Models)?;
        let ctx = PhaseContext::with_models(blob, Arc::new(models), bus);
        let call_timeout = settings.phase_timeouts.get(&phase).copied().unwrap_or(settings.timeout);
        let work_budget = config.request_timeout.map(|request| work_budget(request, call_timeout));
        let simulated_ai = config.simulated_ai_scale.map(|scale| crate::simulated::scaled(phase, scale));
        let metrics = PhaseMetrics::new();
        Ok(Self { phase, ctx, store, lease: config.work_lease, work_budget, metrics, ai_metrics, simulated_ai })
    }
}
