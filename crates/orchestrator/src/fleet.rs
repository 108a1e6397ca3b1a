//! The orchestrator as a fleet service: jobs live in Postgres with their
//! [`JobMachine`]; phase results arrive by push; each result advances the
//! machine with a compare-and-set, then the next request is published.
//!
//! - `POST /v1/jobs` `{"story": "...", "pages": 8, "seed": 1}` -> 202 `{"id": ...}`
//! - `GET /v1/jobs/{id}` -> the job's state, phase and per-phase runs
//! - pushes from `phase-transition-handler` (results) and the dead-letter
//!   subscriptions (requests that failed 5 times: the job is marked failed).

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use async_trait::async_trait;
use bytes::Bytes;
use manga_blob::BlobStore;
use manga_bus::Bus;
use manga_domain::{ArtifactKey, JobId, JobOptions, Language, PageCount, PhaseId, StoryText, Version};
use manga_proto::{PhaseRequest, PhaseResult, PhaseStatus};
use manga_runtime::{HandlerError, PushHandler, PushMessage};
use manga_store::{JobAdvance, JobMode, JobRecord, JobState, NewJob, Store, StoreError, UserId};
use serde::{Deserialize, Serialize};

use crate::machine::{JobMachine, Step};

/// The fleet orchestrator.
#[derive(Clone)]
pub struct FleetOrchestrator {
    store: Arc<dyn Store>,
    bus: Arc<dyn Bus>,
    blob: Arc<dyn BlobStore>,
}

/// `POST /v1/jobs`.
#[derive(Debug, Deserialize)]
pub struct CreateJob {
    /// The story text.
    pub story: String,
    /// Pages wanted.
    pub pages: Option<u32>,
    /// `ja`, `en` or absent to detect.
    pub language: Option<String>,
    /// Seed.
    pub seed: Option<u64>,
    /// Title.
    pub title: Option<String>,
}

#[derive(Serialize)]
struct JobView {
    id: String,
    state: &'static str,
    current_phase: Option<PhaseId>,
    error: Option<String>,
    title: Option<String>,
    phases: Vec<PhaseView>,
}

#[derive(Serialize)]
struct PhaseView {
    phase: PhaseId,
    attempt: u32,
    status: String,
    quality: Option<f32>,
    duration_ms: Option<u64>,
}

fn store_error(e: StoreError) -> HandlerError {
    if e.is_transient() { HandlerError::Transient(e.to_string()) } else { HandlerError::Permanent(e.to_string()) }
}

impl FleetOrchestrator {
    /// An orchestrator over the fleet's store, bus and blob store.
    pub fn new(store: Arc<dyn Store>, bus: Arc<dyn Bus>, blob: Arc<dyn BlobStore>) -> Self {
        Self { store, bus, blob }
    }

    /// Creates a job, stores its inputs, and sends phase 1's request.
    ///
    /// # Errors
    /// A sentence for the caller: 4xx-worthy input problems as `Err(Ok(msg))`, server problems as `Err(Err(msg))`.
    pub async fn create_job(&self, body: CreateJob, user: UserId) -> Result<JobId, Result<String, String>> {
        let story = StoryText::parse(body.story).map_err(|e| Ok(e.to_string()))?;
        let pages = body.pages.map(PageCount::parse).transpose().map_err(|e| Ok(e.to_string()))?;
        let language = body.language.as_deref().map(Language::parse).transpose().map_err(|e| Ok(e.to_string()))?;
        let options = JobOptions { pages, language, seed: body.seed.unwrap_or(1), author: None, title: body.title };
        let id = JobId::new();
        let v = Version::FIRST;
        let server = |e: &dyn std::fmt::Display| Err(e.to_string());
        self.blob
            .put(&ArtifactKey::story(id, v), Bytes::from(story.as_str().to_owned()), "text/plain; charset=utf-8")
            .await
            .map_err(|e| server(&e))?;
        let options_json = serde_json::to_vec(&options).map_err(|e| server(&e))?;
        self.blob
            .put(&ArtifactKey::options(id, v), options_json.into(), "application/json")
            .await
            .map_err(|e| server(&e))?;
        let job = self
            .store
            .create_job(NewJob {
                id,
                user,
                mode: JobMode::Auto,
                options: options.clone(),
                title: options.title.clone(),
            })
            .await
            .map_err(|e| server(&e))?;
        let mut machine = JobMachine::default();
        let step = machine.start();
        self.save_and_send(&job, &machine, step).await.map_err(|e| server(&e))?;
        Ok(id)
    }

    /// Saves the machine (compare-and-set on the job's revision), then sends the step's request.
    async fn save_and_send(&self, job: &JobRecord, machine: &JobMachine, step: Step) -> Result<(), HandlerError> {
        let machine_json = serde_json::to_value(machine).map_err(|e| HandlerError::Permanent(e.to_string()))?;
        match &step {
            Step::Run { phase, .. } => {
                let advance =
                    JobAdvance { machine: Some(machine_json), ..JobAdvance::to(JobState::Running, Some(*phase)) };
                self.store.advance_job(job.id, job.revision, advance).await.map_err(store_error)?;
            }
            Step::Done => {
                let advance = JobAdvance { machine: Some(machine_json), ..JobAdvance::to(JobState::Succeeded, None) };
                self.store.advance_job(job.id, job.revision, advance).await.map_err(store_error)?;
                tracing::info!(job_id = %job.id, "job published");
                return Ok(());
            }
        }
        self.send(job, machine).await
    }

    /// Publishes the request the machine is waiting for (safe to repeat: phases are idempotent per attempt).
    async fn send(&self, job: &JobRecord, machine: &JobMachine) -> Result<(), HandlerError> {
        let Some((phase, attempt)) = machine.awaiting() else { return Ok(()) };
        let at = manga_proto::PhaseAddress { job: job.id, version: job.current_version, phase, attempt };
        let mut message = manga_phases::handler::request_message(at, job.options.seed);
        manga_runtime::telemetry::inject_current(&mut message.attributes);
        self.bus.publish(&phase.request_topic(), message).await.map_err(|e| HandlerError::Transient(e.to_string()))?;
        Ok(())
    }

    async fn on_result(&self, result: PhaseResult, at: manga_proto::PhaseAddress) -> Result<(), HandlerError> {
        let job = match self.store.get_job(at.job).await {
            Ok(job) => job,
            Err(StoreError::NotFound { .. }) => return Err(HandlerError::Permanent(format!("unknown job {}", at.job))),
            Err(e) => return Err(store_error(e)),
        };
        if job.state.is_terminal() {
            return Ok(());
        }
        let mut machine: JobMachine = match &job.machine {
            Some(value) => serde_json::from_value(value.clone()).map_err(|e| HandlerError::Permanent(e.to_string()))?,
            None => return Err(HandlerError::Permanent(format!("job {} has no state machine", job.id))),
        };
        if !machine.expects(at.phase, at.attempt) {
            // A duplicate of a result already acted on: make sure the step it led to was sent.
            return self.send(&job, &machine).await;
        }
        if result.status() != PhaseStatus::Succeeded {
            self.store
                .fail_job(job.id, &format!("{} failed: {}", at.phase, result.error))
                .await
                .map_err(store_error)?;
            return Ok(());
        }
        let step = machine.on_result(at.phase, at.attempt, &result.quality_report(), result.duration_ms);
        self.save_and_send(&job, &machine, step).await
    }

    async fn on_dead_letter(&self, message: &PushMessage) -> Result<(), HandlerError> {
        let Ok((_, at)) = PhaseRequest::decode_checked(&message.data) else {
            return Err(HandlerError::Permanent("undecodable dead letter".into()));
        };
        let count = message.attribute("CloudPubSubDeadLetterSourceDeliveryCount").unwrap_or("5");
        let reason = format!("{} attempt {} could not be delivered after {count} tries", at.phase, at.attempt);
        match self.store.fail_job(at.job, &reason).await {
            Ok(_) | Err(StoreError::NotFound { .. }) => Ok(()),
            Err(e) => Err(store_error(e)),
        }
    }

    /// The HTTP API routes.
    pub fn routes(self: &Arc<Self>) -> manga_runtime::ExtraRoutes {
        let me = self.clone();
        Arc::new(move |cfg: &mut web::ServiceConfig| {
            cfg.app_data(web::Data::from(me.clone()))
                .app_data(web::JsonConfig::default().limit(2 * 1024 * 1024).error_handler(|err, _| {
                    let message = err.to_string();
                    actix_web::error::InternalError::from_response(
                        err,
                        HttpResponse::BadRequest().json(serde_json::json!({ "error": message })),
                    )
                    .into()
                }))
                .route("/v1/jobs", web::post().to(create))
                .route("/v1/jobs/{id}", web::get().to(get));
        })
    }
}

async fn create(me: web::Data<FleetOrchestrator>, body: web::Json<CreateJob>) -> HttpResponse {
    // Auth comes with the public API (issue 5); the fleet's own tests act as one local user.
    let user = match UserId::parse("local") {
        Ok(u) => u,
        Err(e) => return HttpResponse::InternalServerError().json(serde_json::json!({ "error": e.to_string() })),
    };
    match me.create_job(body.into_inner(), user).await {
        Ok(id) => HttpResponse::Accepted()
            .json(serde_json::json!({ "id": id.to_string(), "links": { "self": format!("/v1/jobs/{id}") } })),
        Err(Ok(message)) => HttpResponse::BadRequest().json(serde_json::json!({ "error": message })),
        Err(Err(message)) => HttpResponse::ServiceUnavailable().json(serde_json::json!({ "error": message })),
    }
}

async fn get(me: web::Data<FleetOrchestrator>, id: web::Path<String>) -> HttpResponse {
    let Ok(id) = JobId::parse(&id) else {
        return HttpResponse::NotFound().json(serde_json::json!({ "error": "no such job" }));
    };
    let job = match me.store.get_job(id).await {
        Ok(job) => job,
        Err(StoreError::NotFound { .. }) => {
            return HttpResponse::NotFound().json(serde_json::json!({ "error": "no such job" }));
        }
        Err(e) => return HttpResponse::ServiceUnavailable().json(serde_json::json!({ "error": e.to_string() })),
    };
    let runs = me.store.list_phase_runs(job.id, job.current_version).await.unwrap_or_default();
    let view = JobView {
        id: job.id.to_string(),
        state: job.state.as_str(),
        current_phase: job.current_phase,
        error: job.error.clone(),
        title: job.title.clone(),
        phases: runs
            .iter()
            .map(|r| PhaseView {
                phase: r.key.phase,
                attempt: r.key.attempt,
                status: format!("{:?}", r.status).to_lowercase(),
                quality: r.quality.map(|q| q.get()),
                duration_ms: r.duration_ms,
            })
            .collect(),
    };
    HttpResponse::Ok().json(view)
}

#[async_trait]
impl PushHandler for FleetOrchestrator {
    async fn handle(&self, message: PushMessage) -> Result<(), HandlerError> {
        if message.subscription.ends_with("-dead-letter-push") {
            return self.on_dead_letter(&message).await;
        }
        let (result, at) = PhaseResult::decode_checked(&message.data)
            .map_err(|e| HandlerError::Permanent(format!("undecodable phase result: {e}")))?;
        self.on_result(result, at).await
    }

    async fn ready(&self) -> Result<(), String> {
        self.store.ping().await.map_err(|e| format!("Postgres: {e}"))
    }
}
