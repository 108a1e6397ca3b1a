//! The orchestrator as a fleet service: the [`JobService`] behind the public
//! API, fed by Pub/Sub pushes:
//!
//! - `phase-transition-handler` (topic `phase-completed`): phase results;
//! - `…-dead-letter-push`: requests that failed 5 deliveries: the job fails;
//! - `phase-progress-push` (topic `phase-progress`): progress for live streams.

use std::sync::Arc;

use async_trait::async_trait;
use manga_proto::{PhaseRequest, PhaseResult, ProgressEvent};
use manga_runtime::{HandlerError, PushHandler, PushMessage};
use prost::Message;

use crate::api::ApiSettings;
use crate::service::{JobService, ServiceError};

/// The fleet orchestrator.
#[derive(Clone)]
pub struct FleetOrchestrator {
    service: Arc<JobService>,
}

fn handler_error(e: ServiceError) -> HandlerError {
    match e {
        ServiceError::Unavailable(m) => HandlerError::Transient(m),
        other => HandlerError::Permanent(other.to_string()),
    }
}

impl FleetOrchestrator {
    /// An orchestrator over the service.
    pub fn new(service: Arc<JobService>) -> Self {
        Self { service }
    }

    /// The service.
    pub fn service(&self) -> &Arc<JobService> {
        &self.service
    }

    /// The public API's routes.
    pub fn routes(&self, settings: ApiSettings) -> manga_runtime::ExtraRoutes {
        crate::api::routes(self.service.clone(), settings)
    }
}

#[async_trait]
impl PushHandler for FleetOrchestrator {
    async fn handle(&self, message: PushMessage) -> Result<(), HandlerError> {
        if message.subscription.ends_with("-dead-letter-push") {
            let (_, at) = PhaseRequest::decode_checked(&message.data)
                .map_err(|e| HandlerError::Permanent(format!("undecodable dead letter: {e}")))?;
            let count = message.attribute("CloudPubSubDeadLetterSourceDeliveryCount").unwrap_or("5");
            let reason = format!("{} attempt {} could not be delivered after {count} tries", at.phase, at.attempt);
            return self.service.on_dead_letter(at, &reason).await.map_err(handler_error);
        }
        if message.subscription.ends_with("phase-progress-push") {
            let event = ProgressEvent::decode(message.data.as_ref())
                .map_err(|e| HandlerError::Permanent(format!("undecodable progress event: {e}")))?;
            self.service.on_progress(&event).await;
            return Ok(());
        }
        let (result, at) = PhaseResult::decode_checked(&message.data)
            .map_err(|e| HandlerError::Permanent(format!("undecodable phase result: {e}")))?;
        self.service.on_result(&result, at).await.map_err(handler_error)
    }

    async fn ready(&self) -> Result<(), String> {
        self.service.ready().await
    }

    fn register_metrics(&self, registry: &prometheus::Registry) -> Result<(), prometheus::Error> {
        self.service.metrics().register(registry)?;
        // Chat's model calls (intent parsing) are counted like the phases' are.
        match self.service.models().metrics() {
            Some(ai) => ai.register(registry),
            None => Ok(()),
        }
    }
}

/// Connects the orchestrator's dependencies from its configuration:
/// Postgres, Pub/Sub and artifacts as the phase services do, Redis for
/// events and rate limits (in-process ones without `REDIS_URL`).
///
/// # Errors
/// A message naming what is missing or unreachable (`SECRET_KEY`, the database, Redis).
pub async fn connect(config: &manga_runtime::Config) -> anyhow::Result<(JobService, ApiSettings)> {
    use crate::events::{EventHub, LocalHub, RedisHub};
    use crate::http::limits::{Limiter, MemoryLimiter, RedisLimiter};
    use crate::service::{ServiceSettings, TimeoutAction};

    let secret = config.api.secret_key.as_ref().ok_or_else(|| {
        anyhow::anyhow!("SECRET_KEY must be set: the orchestrator signs and checks people's tokens with it")
    })?;
    let (store, bus, blob) = manga_phases::service::connect(config).await?;
    let cache = match &config.redis_url {
        Some(url) => Some(
            manga_cache::Cache::connect(url.expose(), config.redis_key_prefix.clone())
                .await
                .map_err(|e| anyhow::anyhow!("REDIS_URL: {e}"))?,
        ),
        None => None,
    };
    let (events, limiter): (Arc<dyn EventHub>, Arc<dyn Limiter>) = match &cache {
        Some(cache) => (
            Arc::new(RedisHub::new(cache.clone())),
            Arc::new(RedisLimiter(manga_cache::RateLimiter::new(cache.clone()))),
        ),
        None => (Arc::new(LocalHub::new()), Arc::new(MemoryLimiter::default())),
    };
    let settings = ServiceSettings {
        feedback_wait: config.api.max_feedback_wait,
        timeout_action: if config.api.pause_on_timeout { TimeoutAction::Pause } else { TimeoutAction::Approve },
    };
    // The orchestrator's models parse chat messages and tell which providers a job may choose.
    let models = manga_phases::models::from_env(cache.as_ref(), Arc::new(manga_ai::remote::metrics::AiMetrics::new()))
        .map_err(|e| anyhow::anyhow!(e))?;
    let mut service = JobService::new(store, bus, blob, events, Arc::new(models), settings);
    if let Some(cache) = cache {
        service = service.with_sessions(cache);
    }
    let mut api = ApiSettings::new(secret.expose().as_bytes(), config.api.cors_origins.clone());
    api.limiter = limiter;
    api.trust_forwarded = config.api.trust_forwarded_for;
    Ok((service, api))
}
