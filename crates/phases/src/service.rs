//! A phase as a fleet service: the push handler behind `POST /pubsub/push`.
//!
//! Pub/Sub delivers at least once, so work is keyed by (job, version, phase,
//! attempt). A delivery claims the run in one statement
//! ([`Store::claim_phase_run`]) under a lease of `WORK_LEASE_SECONDS`, which a
//! heartbeat renews every quarter lease while the phase runs. A duplicate of
//! finished work sends the kept result again; a duplicate of work held under a
//! live lease waits a while for it (the holder may have died) and is then
//! asked to come back later (503); a run whose lease ran out
//! (its instance died, as with SIGKILL, or stalled) is taken over, and the
//! old holder, should it wake, finds its lease gone and drops its outcome.
//! A transient failure, or a request cut short, releases the lease at once so
//! the redelivery runs without waiting. Outputs are deterministic, so a
//! second run writes the same artifacts.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use manga_blob::{BlobStore, GcsBlobStore, LocalBlobStore};
use manga_bus::{Bus, BusMessage, PubSubBus, topics};
use manga_domain::{ArtifactKey, PhaseId};
use manga_proto::{PhaseAddress, PhaseRequest, PhaseResult, PhaseStatus};
use manga_runtime::{BlobBackend, Config, HandlerError, PushHandler, PushMessage};
use manga_store::{LeaseHolder, MessageKey, PgStore, PhaseRunKey, PhaseRunOutcome, PoolSettings, RunClaim, Store};
use prost::Message;

use crate::PhaseContext;
use crate::handler::handle;

/// Where local-file artifacts live when `BLOB_ROOT` is not set.
pub const DEFAULT_BLOB_ROOT: &str = "/tmp/manga-blobs";

/// One phase's push handler.
pub struct PhaseService {
    phase: PhaseId,
    ctx: PhaseContext,
    store: Arc<dyn Store>,
    lease: std::time::Duration,
    metrics: PhaseMetrics,
    /// The model calls' collectors, on the same /metrics.
    ai_metrics: Arc<manga_ai::remote::metrics::AiMetrics>,
    /// `SIMULATED_AI_SCALE`'s wait before each run (benchmarks only).
    simulated_ai: Option<std::time::Duration>,
}

/// Per-phase duration and outcome, on the service's /metrics.
#[derive(Clone)]
struct PhaseMetrics {
    runs: prometheus::IntCounterVec,
    seconds: prometheus::HistogramVec,
}

impl PhaseMetrics {
    fn new() -> Self {
        let runs = prometheus::IntCounterVec::new(
            prometheus::Opts::new("phase_runs_total", "Phase runs by phase and outcome"),
            &["phase", "outcome"],
        );
        let seconds = prometheus::HistogramVec::new(
            prometheus::HistogramOpts::new("phase_duration_seconds", "Phase run wall time")
                .buckets(vec![0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0]),
            &["phase", "outcome"],
        );
        // Both are built from constant, valid options; failure here is a programming error caught by the tests.
        Self { runs: runs.expect("valid counter"), seconds: seconds.expect("valid histogram") }
    }

    fn observe(&self, phase: PhaseId, outcome: &str, seconds: f64) {
        self.runs.with_label_values(&[phase.name(), outcome]).inc();
        self.seconds.with_label_values(&[phase.name(), outcome]).observe(seconds);
    }
}

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
        let mut ctx = PhaseContext::with_models(blob, Arc::new(models), bus);
        let call_timeout = settings.phase_timeouts.get(&phase).copied().unwrap_or(settings.timeout);
        ctx.work_budget = config.request_timeout.map(|request| work_budget(request, call_timeout));
        let simulated_ai = config.simulated_ai_scale.map(|scale| crate::simulated::scaled(phase, scale));
        let metrics = PhaseMetrics::new();
        Ok(Self { phase, ctx, store, lease: config.work_lease, metrics, ai_metrics, simulated_ai })
    }

    /// A handler over given parts (tests).
    pub fn new(phase: PhaseId, ctx: PhaseContext, store: Arc<dyn Store>, lease: std::time::Duration) -> Self {
        let ai_metrics = Arc::new(manga_ai::remote::metrics::AiMetrics::new());
        Self { phase, ctx, store, lease, metrics: PhaseMetrics::new(), ai_metrics, simulated_ai: None }
    }

    async fn poison(&self, message: &PushMessage, reason: String) -> HandlerError {
        let key = MessageKey::undecodable(&message.message_id);
        if let Err(e) = self.store.record_poison(&message.message_id, &key, &reason).await {
            tracing::error!(error = %e, "poison message not recorded");
        }
        HandlerError::Permanent(reason)
    }

    /// Claims the run for this delivery: `Ok(Some(holder))` to do the work, `Ok(None)` for a
    /// duplicate of finished work, an error (redeliver later) while another delivery holds it.
    ///
    /// While another delivery holds the run, this one waits (at most half its work budget, or a
    /// lease) for that lease to run out or the work to finish. Pub/Sub gives a message five
    /// deliveries, and the emulator redelivers about every second: answered at once, a crash's
    /// redeliveries would all be spent before the dead holder's lease ends, and the job dead-lettered.
    async fn claim(&self, run: PhaseRunKey) -> Result<Option<LeaseHolder>, HandlerError> {
        let holder = LeaseHolder::new();
        let patience = self.ctx.work_budget.map_or(self.lease, |budget| budget / 2);
        let give_up = tokio::time::Instant::now() + patience;
        loop {
            match self.store.claim_phase_run(run, &holder, self.lease).await.map_err(transient)? {
                RunClaim::Held { took_over, .. } => {
                    if took_over {
                        // Its lease ran out (an instance died or stalled) or was released (a transient
                        // failure, a cut request, or the phase going on in a new request).
                        tracing::info!(job_id = %run.job, phase = run.phase.name(), attempt = run.attempt,
                            "taking over a run no longer held");
                    }
                    return Ok(Some(holder));
                }
                RunClaim::Finished(_) => return Ok(None),
                RunClaim::HeldElsewhere(other) => {
                    let now = tokio::time::Instant::now();
                    if now >= give_up {
                        return Err(HandlerError::Transient(format!(
                            "{} attempt {} is running elsewhere",
                            run.phase, run.attempt
                        )));
                    }
                    // Look again when its lease ends, and at least every second in case it finishes first.
                    let lease_left = other
                        .lease_until
                        .and_then(|until| (until - chrono::Utc::now()).to_std().ok())
                        .unwrap_or_default();
                    let wait =
                        lease_left.clamp(std::time::Duration::from_millis(50), std::time::Duration::from_secs(1));
                    tokio::time::sleep(wait.min(give_up - now)).await;
                }
            }
        }
    }

    /// Runs `work` while renewing the lease every quarter lease. `None` when the lease
    /// was lost to a takeover: the new holder's outcome counts, not this one's.
    async fn holding<T>(&self, run: PhaseRunKey, holder: &LeaseHolder, work: impl Future<Output = T>) -> Option<T> {
        let heartbeat = async {
            let mut beat = tokio::time::interval(self.lease / 4);
            beat.tick().await;
            loop {
                beat.tick().await;
                match self.store.renew_phase_run(run, holder, self.lease).await {
                    Ok(true) => {}
                    Ok(false) => return,
                    // An outage shorter than the lease costs nothing; a longer one ends in a takeover.
                    Err(e) => tracing::warn!(job_id = %run.job, error = %e, "lease not renewed; trying again"),
                }
            }
        };
        tokio::select! {
            out = work => Some(out),
            () = heartbeat => None,
        }
    }
}

/// Releases a lease when the handler is dropped before it finished the run (a request cut
/// at its timeout, a shutdown), so the redelivery need not wait for the lease to run out.
struct LeaseGuard {
    store: Arc<dyn Store>,
    run: PhaseRunKey,
    holder: Option<LeaseHolder>,
}

impl LeaseGuard {
    /// Releases the lease now (a transient failure: the redelivery should run at once).
    async fn release(mut self) -> Result<(), HandlerError> {
        if let Some(holder) = self.holder.take() {
            self.store.release_phase_run(self.run, &holder).await.map_err(transient)?;
        }
        Ok(())
    }

    /// The run is finished: nothing to release.
    fn disarm(mut self) {
        self.holder = None;
    }
}

impl Drop for LeaseGuard {
    fn drop(&mut self) {
        let (Some(holder), Ok(runtime)) = (self.holder.take(), tokio::runtime::Handle::try_current()) else { return };
        let (store, run) = (self.store.clone(), self.run);
        runtime.spawn(async move {
            if let Err(e) = store.release_phase_run(run, &holder).await {
                tracing::warn!(job_id = %run.job, error = %e, "lease of a cut request not released; it runs out");
            }
        });
    }
}

impl PhaseService {
    async fn publish(&self, result: &PhaseResult, at: PhaseAddress) -> Result<(), HandlerError> {
        let mut reply = crate::handler::result_message(result, at);
        manga_runtime::telemetry::inject_current(&mut reply.attributes);
        self.ctx
            .bus
            .publish(topics::PHASE_COMPLETED, reply)
            .await
            .map(drop)
            .map_err(|e| HandlerError::Transient(e.to_string()))
    }

    /// A delivery of a run already finished: its result may never have gone out (the publish
    /// failed after the run was marked finished), so it is sent again. The orchestrator takes
    /// a result once; a second copy changes nothing.
    async fn send_again(&self, at: PhaseAddress) -> Result<(), HandlerError> {
        let kept = ArtifactKey::phase_result(at.job, at.version, at.phase, at.attempt);
        match self.ctx.blob.get(&kept).await {
            Ok(bytes) => {
                let result = PhaseResult::decode(bytes.as_ref())
                    .map_err(|e| HandlerError::Permanent(format!("the kept result {kept} does not decode: {e}")))?;
                tracing::info!(job_id = %at.job, phase = at.phase.name(), attempt = at.attempt,
                    "duplicate delivery of a finished run: its result is sent again");
                self.publish(&result, at).await
            }
            Err(manga_blob::BlobError::NotFound(_)) => {
                tracing::info!(job_id = %at.job, phase = at.phase.name(), attempt = at.attempt,
                    "duplicate delivery acknowledged; the run kept no result to send again");
                Ok(())
            }
            Err(e) => Err(HandlerError::Transient(e.to_string())),
        }
    }
}

/// How long a request may start new items: what is left of the request timeout once the
/// longest model call and a margin for saving are set aside (a quarter of it at least), so a
/// request is never cut mid-item.
pub fn work_budget(request: std::time::Duration, call: std::time::Duration) -> std::time::Duration {
    let margin = std::time::Duration::from_secs(5);
    request.checked_sub(call + margin).filter(|b| *b >= request / 4).unwrap_or(request / 4)
}

fn transient(e: manga_store::StoreError) -> HandlerError {
    if e.is_transient() { HandlerError::Transient(e.to_string()) } else { HandlerError::Permanent(e.to_string()) }
}

#[async_trait]
impl PushHandler for PhaseService {
    async fn handle(&self, message: PushMessage) -> Result<(), HandlerError> {
        let (request, at) = match PhaseRequest::decode_checked(&message.data) {
            Ok(ok) => ok,
            Err(e) => return Err(self.poison(&message, format!("undecodable phase request: {e}")).await),
        };
        if at.phase != self.phase {
            return Err(self
                .poison(&message, format!("{} request sent to the {} service", at.phase, self.phase))
                .await);
        }
        let run = PhaseRunKey { job: at.job, version: at.version, phase: at.phase, attempt: at.attempt };
        let Some(holder) = self.claim(run).await? else {
            return self.send_again(at).await;
        };
        let lease = LeaseGuard { store: self.store.clone(), run, holder: Some(holder.clone()) };
        let started = std::time::Instant::now();
        let work = async {
            if let Some(wait) = self.simulated_ai {
                tokio::time::sleep(wait).await;
            }
            handle(&self.ctx, &request, at).await
        };
        let Some(handled) = self.holding(run, &holder, work).await else {
            lease.disarm();
            tracing::warn!(job_id = %at.job, phase = at.phase.name(), attempt = at.attempt,
                "lease lost to a takeover; this delivery's outcome is dropped");
            return Ok(());
        };
        let outcome = match (handled.transient, handled.result.status()) {
            _ if handled.unfinished => "handed_on",
            (true, _) => "transient_failure",
            (false, PhaseStatus::Succeeded) => "succeeded",
            _ => "failed",
        };
        self.metrics.observe(self.phase, outcome, started.elapsed().as_secs_f64());
        if handled.unfinished {
            // What was done is kept; the same request, sent anew, goes on from there in a fresh request.
            lease.release().await?;
            // It carries what this request used and took, so the result counts every part.
            let on = PhaseRequest {
                usage_so_far: handled.result.usage.clone(),
                duration_ms_so_far: handled.result.duration_ms,
                ..request.clone()
            };
            let mut again = BusMessage::new(on.encode_to_vec());
            again.attributes = message.attributes.clone();
            self.ctx.bus.publish(&self.phase.request_topic(), again).await.map_err(|e| {
                HandlerError::Transient(format!("{}; the next part not sent: {e}", handled.result.error))
            })?;
            return Ok(());
        }
        if handled.transient {
            // Let Pub/Sub redeliver, and the redelivery run at once.
            lease.release().await?;
            return Err(HandlerError::Transient(handled.result.error));
        }
        let result = handled.result;
        let outcome = if result.status() == PhaseStatus::Succeeded {
            PhaseRunOutcome::Succeeded { report: result.quality_report(), outputs: result.output_keys() }
        } else {
            PhaseRunOutcome::Failed { error: result.error.clone() }
        };
        // Kept before the run is marked finished: from then on a redelivery sends this copy.
        let kept = ArtifactKey::phase_result(at.job, at.version, at.phase, at.attempt);
        let encoded = Bytes::from(result.encode_to_vec());
        self.ctx
            .blob
            .put(&kept, encoded, "application/x-protobuf")
            .await
            .map_err(|e| HandlerError::Transient(e.to_string()))?;
        self.store.finish_phase_run(run, outcome).await.map_err(transient)?;
        lease.disarm();
        self.publish(&result, at).await
    }

    async fn ready(&self) -> Result<(), String> {
        self.store.ping().await.map_err(|e| format!("Postgres: {e}"))?;
        self.ctx.bus.ping().await.map_err(|e| format!("Pub/Sub: {e}"))
    }

    fn register_metrics(&self, registry: &prometheus::Registry) -> Result<(), prometheus::Error> {
        registry.register(Box::new(self.metrics.runs.clone()))?;
        registry.register(Box::new(self.metrics.seconds.clone()))?;
        self.ai_metrics.register(registry)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::work_budget;

    #[test]
    fn the_work_budget_leaves_room_for_the_longest_call_and_is_never_under_a_quarter() {
        let s = Duration::from_secs;
        assert_eq!(work_budget(s(60), s(40)), s(15), "phase 5: 60 s request, 40 s panel calls");
        assert_eq!(work_budget(s(300), s(120)), s(175));
        assert_eq!(work_budget(s(20), s(20)), s(5), "a call as long as the request: a quarter");
    }
}
