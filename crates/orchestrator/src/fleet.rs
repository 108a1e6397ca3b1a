//! The orchestrator as a fleet service: the [`JobService`] behind the public
//! API, fed by Pub/Sub pushes:
//!
//! - `phase-transition-handler` (topic `phase-completed`): phase results;
//! - `phase-{n}-requests-dead-letter-push`, `phase-2-portraits-…` and `phase-5-panels-…`:
//!   requests that failed 5 deliveries: the job fails;
//! - `phase-completed-dead-letter-push`: results not taken in 5 deliveries: one more
//!   try, else the job fails with why;
//! - `phase-progress-push` (topic `phase-progress`): progress for live streams.

use std::sync::Arc;

use async_trait::async_trait;
use manga_bus::topics;
use manga_domain::PhaseId;
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

    /// Starts the sweeps every orchestrator instance runs: reviews nobody answered,
    /// and jobs whose step outlived the phase deadline. They run for the life of the process.
    pub fn spawn_sweepers(&self) -> [tokio::task::JoinHandle<()>; 2] {
        [self.service.spawn_review_sweeper(std::time::Duration::from_secs(5)), self.service.spawn_stall_sweeper()]
    }

    /// The public API's routes.
    pub fn routes(&self, settings: ApiSettings) -> manga_runtime::ExtraRoutes {
        crate::api::routes(self.service.clone(), settings)
    }
}

/// What a push to the orchestrator carries, known by the subscription it came through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbox {
    /// `phase-transition-handler`: a phase result.
    Result,
    /// `phase-progress-push`: a progress event.
    Progress,
    /// `phase-{n}-requests-dead-letter-push` (and `phase-2-portraits-…`, `phase-5-panels-…`,
    /// one item's request): a request no delivery could run.
    RequestDeadLetter,
    /// `phase-completed-dead-letter-push`: a result the orchestrator could not take in 5 deliveries.
    ResultDeadLetter,
    /// `phase-progress-dead-letter-push`: a progress event nobody could be told of.
    ProgressDeadLetter,
    /// A subscription of the seeds' topology that nothing publishes to yet
    /// (`hitl-feedback-processor`, `session-cleanup-service` and their dead letters).
    Unused(String),
}

impl Inbox {
    /// The inbox of a subscription, by its full (`projects/p/subscriptions/s`) or short name;
    /// `None` for a subscription the seeds' topology does not route to the orchestrator.
    pub fn of(subscription: &str) -> Option<Self> {
        let short = subscription.rsplit('/').next().unwrap_or(subscription);
        let dead_letter_of = |topic: &str| short == format!("{}-push", manga_bus::pubsub::dead_letter_topic(topic));
        let inbox = match short {
            "phase-transition-handler" => Self::Result,
            "phase-progress-push" => Self::Progress,
            _ if dead_letter_of(topics::PHASE_COMPLETED) => Self::ResultDeadLetter,
            _ if dead_letter_of(topics::PROGRESS) => Self::ProgressDeadLetter,
            _ if PhaseId::ALL.iter().any(|p| dead_letter_of(&p.request_topic())) => Self::RequestDeadLetter,
            _ if dead_letter_of(topics::PHASE_2_PORTRAITS) || dead_letter_of(topics::PHASE_5_PANELS) => {
                Self::RequestDeadLetter
            }
            "hitl-feedback-processor" | "session-cleanup-service" => Self::Unused(short.to_owned()),
            _ if dead_letter_of(topics::HITL_FEEDBACK) || dead_letter_of("session-management-topic") => {
                Self::Unused(short.to_owned())
            }
            _ => return None,
        };
        Some(inbox)
    }
}

#[async_trait]
impl PushHandler for FleetOrchestrator {
    async fn handle(&self, message: PushMessage) -> Result<(), HandlerError> {
        let inbox = Inbox::of(&message.subscription).ok_or_else(|| {
            HandlerError::Permanent(format!("the orchestrator takes nothing from {}", message.subscription))
        })?;
        let count = || message.attribute("CloudPubSubDeadLetterSourceDeliveryCount").unwrap_or("5").to_owned();
        match inbox {
            Inbox::Result => {
                let (result, at) = PhaseResult::decode_checked(&message.data)
                    .map_err(|e| HandlerError::Permanent(format!("undecodable phase result: {e}")))?;
                self.service.on_result(&result, at).await.map_err(handler_error)
            }
            Inbox::Progress => {
                let event = ProgressEvent::decode(message.data.as_ref())
                    .map_err(|e| HandlerError::Permanent(format!("undecodable progress event: {e}")))?;
                self.service.on_progress(&event).await;
                Ok(())
            }
            Inbox::RequestDeadLetter => {
                let (request, at) = PhaseRequest::decode_checked(&message.data)
                    .map_err(|e| HandlerError::Permanent(format!("undecodable dead-lettered request: {e}")))?;
                let what = match request.item.as_str() {
                    "" => format!("{} attempt {}", at.phase, at.attempt),
                    item => format!("{item} of {} attempt {}", at.phase, at.attempt),
                };
                let reason = format!("{what} could not be delivered after {} tries", count());
                self.service.on_dead_letter(at, &reason).await.map_err(handler_error)
            }
            Inbox::ResultDeadLetter => {
                let (result, at) = PhaseResult::decode_checked(&message.data)
                    .map_err(|e| HandlerError::Permanent(format!("undecodable dead-lettered result: {e}")))?;
                // One more try (what stopped it may have passed); else the job ends with why, never left running.
                match self.service.on_result(&result, at).await {
                    Ok(()) => Ok(()),
                    Err(e) => {
                        let reason = format!(
                            "the result of phase {} attempt {} could not be taken after {} tries: {e}",
                            at.phase,
                            at.attempt,
                            count()
                        );
                        self.service.fail_job(at, &reason).await.map_err(handler_error)
                    }
                }
            }
            Inbox::ProgressDeadLetter => {
                tracing::warn!(subscription = %message.subscription, "a progress event was dead-lettered; dropped");
                Ok(())
            }
            Inbox::Unused(name) => {
                Err(HandlerError::Permanent(format!("nothing is published for {name}; the message is dropped")))
            }
        }
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
#[cfg(feature = "fleet")]
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
        phase_deadline: config.api.phase_deadline,
        ..ServiceSettings::default()
    };
    // The orchestrator's models parse chat messages and tell which providers a job may choose.
    let models = manga_phases::models::from_env(cache.as_ref(), Arc::new(manga_ai::remote::metrics::AiMetrics::new()))
        .map_err(|e| anyhow::anyhow!(e))?;
    let mut service = JobService::new(store, bus, blob, events, Arc::new(models), settings);
    if let Some(cache) = cache {
        service = service.with_sessions(Arc::new(cache));
    }
    let mut api = ApiSettings::new(secret.expose().as_bytes(), config.api.cors_origins.clone());
    api.limiter = limiter;
    api.trust_forwarded = config.api.trust_forwarded_for;
    Ok((service, api))
}
