//! The orchestrator as a product: jobs kept in the store with their
//! [`JobMachine`], driven by phase results from the bus and by the person's
//! decisions; versions, feedback, chat, artifacts and live events.
//!
//! The same service runs in the fleet (Postgres, Pub/Sub push, Redis fan-out)
//! and embedded behind `manga serve` (SQLite, the in-memory bus, one process).
//! Every state change is a compare-and-set on the job's revision, so two
//! instances never double-advance a job; a lost race re-reads and re-decides.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use manga_ai::Models;
use manga_blob::{BlobError, BlobStore};
use manga_bus::Bus;
use manga_domain::{
    ArtifactKey, CharacterBible, Concept, FeedbackAction, FeedbackSuggestion, JobId, JobOptions, Language, PageCount,
    PhaseId, Plot, StoryText, Storyboard, Version,
};
use manga_phases::PhaseScope;
use manga_phases::handler::scoped_request_message;
use manga_proto::{PhaseAddress, PhaseResult, PhaseStatus, ProgressEvent};
use manga_store::{
    JobAdvance, JobMode, JobRecord, JobState, NewFeedback, NewJob, Store, StoreError, UserId, VersionRecord,
};
use serde::de::DeserializeOwned;

use crate::events::{EventHub, JobEvent};
use crate::machine::{JobMachine, MachineError, PlannedRun, Step};
use crate::plan::{Plan, PlanInputs, plan, set_pointer};
use crate::views::{
    BranchOutcome, CreateJob, FeedbackBody, FeedbackOutcome, JobView, PhaseDetail, Preset, Preview, VersionList,
    VersionView,
};

/// What went wrong, in the words the API answers with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// The request is malformed or out of range (400).
    #[error("{0}")]
    BadInput(String),
    /// No such job (or not the caller's), version, phase output or artifact (404).
    #[error("{0}")]
    NotFound(String),
    /// The job is not in a state that allows this (409).
    #[error("{0}")]
    Conflict(String),
    /// Well-formed, but names something that does not exist or cannot be done (422).
    #[error("{0}")]
    Unprocessable(String),
    /// A dependency failed; retrying may work (503).
    #[error("{0}")]
    Unavailable(String),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { .. } => Self::NotFound(e.to_string()),
            StoreError::Conflict { .. } => Self::Conflict("the job changed meanwhile; try again".into()),
            other => Self::Unavailable(other.to_string()),
        }
    }
}

impl From<BlobError> for ServiceError {
    fn from(e: BlobError) -> Self {
        match e {
            BlobError::NotFound(key) => Self::NotFound(format!("artifact {key} does not exist")),
            other => Self::Unavailable(other.to_string()),
        }
    }
}

impl From<MachineError> for ServiceError {
    fn from(e: MachineError) -> Self {
        Self::Conflict(e.to_string())
    }
}

/// What happens when nobody answers a review in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutAction {
    /// Approve and go on.
    Approve,
    /// Leave the job paused until the person comes back.
    Pause,
}

/// The orchestrator's knobs.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    /// How long a review may wait (MAX_FEEDBACK_WAIT_TIME, default 1800 s).
    pub feedback_wait: Duration,
    /// What the timeout does.
    pub timeout_action: TimeoutAction,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        Self { feedback_wait: Duration::from_secs(1800), timeout_action: TimeoutAction::Approve }
    }
}

/// The orchestrator service.
#[derive(Clone)]
pub struct JobService {
    store: Arc<dyn Store>,
    bus: Arc<dyn Bus>,
    blob: Arc<dyn BlobStore>,
    events: Arc<dyn EventHub>,
    models: Arc<Models>,
    settings: ServiceSettings,
    sessions: Option<manga_cache::Cache>,
    metrics: crate::metrics::HitlMetrics,
}

/// Longest story accepted, in characters (the same limit as the CLI).
pub const MAX_STORY_CHARS: usize = 200_000;

fn job_not_found() -> ServiceError {
    ServiceError::NotFound("no such job".into())
}

impl JobService {
    /// A service over the store, bus, blob store and event hub; `models` are the
    /// providers jobs may choose, and their text model parses chat messages.
    pub fn new(
        store: Arc<dyn Store>,
        bus: Arc<dyn Bus>,
        blob: Arc<dyn BlobStore>,
        events: Arc<dyn EventHub>,
        models: Arc<Models>,
        settings: ServiceSettings,
    ) -> Self {
        Self { store, bus, blob, events, models, settings, sessions: None, metrics: Default::default() }
    }

    /// Mirrors every job's session into Redis (`session:{job_id}`) after each change.
    #[must_use]
    pub fn with_sessions(mut self, cache: manga_cache::Cache) -> Self {
        self.sessions = Some(cache);
        self
    }

    /// Rewrites the Redis copy of `job`'s session from the machine just saved
    /// with it. Redis is a copy: a failure is logged, never the caller's
    /// error, and the next change rewrites it.
    async fn mirror_session(&self, job: &JobRecord, machine: &JobMachine) {
        let Some(cache) = &self.sessions else { return };
        let session = crate::session::session_of(job, machine, self.settings.feedback_wait);
        if let Err(e) = cache.put_session(&session).await {
            tracing::warn!(job_id = %job.id, error = %e, "session not mirrored to Redis");
        }
    }

    /// The event hub, for streams.
    pub fn events(&self) -> &Arc<dyn EventHub> {
        &self.events
    }

    /// The providers jobs may choose.
    pub fn models(&self) -> &Models {
        &self.models
    }

    /// The HITL counters, to register on `/metrics`.
    pub fn metrics(&self) -> &crate::metrics::HitlMetrics {
        &self.metrics
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Whether the dependencies answer: Postgres, the bus, and Redis when sessions are mirrored there.
    ///
    /// # Errors
    /// The first that does not, named, with its error.
    pub async fn ready(&self) -> Result<(), String> {
        self.store.ping().await.map_err(|e| format!("Postgres: {e}"))?;
        self.bus.ping().await.map_err(|e| format!("Pub/Sub: {e}"))?;
        if let Some(cache) = &self.sessions {
            cache.ping().await.map_err(|e| format!("Redis: {e}"))?;
        }
        Ok(())
    }

    // ---- jobs ----

    /// Creates a job, stores its inputs, and sends phase 1's request.
    ///
    /// # Errors
    /// [`ServiceError::BadInput`] for a bad story or option; [`ServiceError::Unavailable`] when storage fails.
    pub async fn create_job(&self, user: &UserId, body: CreateJob) -> Result<JobView, ServiceError> {
        let bad = |e: &dyn std::fmt::Display| ServiceError::BadInput(e.to_string());
        let story = StoryText::parse(body.story).map_err(|e| bad(&e))?;
        let pages = body.pages.map(PageCount::parse).transpose().map_err(|e| bad(&e))?;
        let language = match body.language.as_deref() {
            None | Some("auto") => None,
            Some(code) => Some(Language::parse(code).map_err(|e| bad(&e))?),
        };
        let mode = match body.mode.as_deref() {
            None | Some("auto") => JobMode::Auto,
            Some("review") => JobMode::Review,
            Some(other) => return Err(bad(&format!("mode must be auto or review, not {other:?}"))),
        };
        if let Some(direction) = body.direction.as_deref().filter(|d| !matches!(*d, "auto" | "rtl" | "ltr")) {
            return Err(bad(&format!("direction must be auto, rtl or ltr, not {direction:?}")));
        }
        if let Some(style) = body.style.as_deref().filter(|s| *s != "manga") {
            return Err(bad(&format!("style {style:?} is not available; the styles are: manga")));
        }
        for (phase, provider) in body.providers.iter().flatten() {
            let Some(id) = PhaseId::ALL.iter().copied().find(|p| p.name() == phase) else {
                return Err(bad(&format!("providers: {phase:?} is not a phase")));
            };
            let choices = self.models.choices(id);
            if choices.is_empty() {
                return Err(bad(&format!("providers: {phase} uses no model, so it takes no provider")));
            }
            if !choices.contains(provider) {
                return Err(bad(&format!(
                    "provider {provider:?} for {phase} is not configured here; configured: {}",
                    choices.join(", ")
                )));
            }
        }
        let title = body.title.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        if title.as_ref().is_some_and(|t| t.chars().count() > 200) {
            return Err(bad(&"the title is longer than 200 characters"));
        }
        let providers = body.providers.clone().unwrap_or_default();
        let options =
            JobOptions { pages, language, seed: body.seed.unwrap_or(1), author: None, title: title.clone(), providers };
        let id = JobId::new();
        let v = Version::FIRST;
        self.blob
            .put(&ArtifactKey::story(id, v), Bytes::from(story.as_str().to_owned()), "text/plain; charset=utf-8")
            .await?;
        let options_json = serde_json::to_vec(&options).map_err(|e| ServiceError::Unavailable(e.to_string()))?;
        self.blob.put(&ArtifactKey::options(id, v), options_json.into(), "application/json").await?;
        let job = self.store.create_job(NewJob { id, user: user.clone(), mode, options, title }).await?;
        tracing::info!(job_id = %id, user_id = %user, mode = mode.as_str(), "job created");
        let mut machine = JobMachine::new(mode == JobMode::Review);
        let step = machine.start();
        let job = self.save(&job, &machine, &step, None).await?;
        self.act(&job, &machine, step).await;
        Ok(JobView::new(&job, &machine))
    }

    /// The caller's job, or 404 (someone else's job is a 404 too: its existence is not theirs to know).
    async fn owned(&self, user: &UserId, id: &str) -> Result<(JobRecord, JobMachine), ServiceError> {
        let id = JobId::parse(id).map_err(|_| job_not_found())?;
        let job = match self.store.get_job(id).await {
            Ok(job) if &job.user == user => job,
            Ok(_) | Err(StoreError::NotFound { .. }) => return Err(job_not_found()),
            Err(e) => return Err(e.into()),
        };
        let machine = machine_of(&job)?;
        Ok((job, machine))
    }

    /// One job.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown job or someone else's.
    pub async fn get_job(&self, user: &UserId, id: &str) -> Result<JobView, ServiceError> {
        let (job, machine) = self.owned(user, id).await?;
        Ok(JobView::new(&job, &machine))
    }

    /// The caller's jobs, newest first.
    ///
    /// # Errors
    /// [`ServiceError::Unavailable`] when the store fails.
    pub async fn list_jobs(&self, user: &UserId) -> Result<Vec<JobView>, ServiceError> {
        let jobs = self.store.list_jobs(user, 100).await?;
        jobs.iter().map(|job| Ok(JobView::new(job, &machine_of(job)?))).collect()
    }

    /// Cancels a job: no further phase is requested and results still in flight are discarded.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`]; [`ServiceError::Conflict`] when it has already ended.
    pub async fn cancel(&self, user: &UserId, id: &str) -> Result<JobView, ServiceError> {
        loop {
            let (job, machine) = self.owned(user, id).await?;
            if job.state.is_terminal() {
                return Err(ServiceError::Conflict(format!("the job has already ended ({})", job.state)));
            }
            match self
                .store
                .advance_job(job.id, job.revision, JobAdvance::to(JobState::Cancelled, job.current_phase))
                .await
            {
                Ok(job) => {
                    tracing::info!(job_id = %job.id, "job cancelled");
                    self.mirror_session(&job, &machine).await;
                    let event = JobEvent::new(job.id, job.current_version.get(), None, "job_cancelled", "cancelled");
                    self.events.publish(event).await;
                    return Ok(JobView::new(&job, &machine));
                }
                Err(StoreError::Conflict { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    // ---- phases ----

    /// One phase's output for a version (the current one by default), with previews and presets.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown job, phase or version.
    pub async fn phase_detail(
        &self,
        user: &UserId,
        id: &str,
        phase: u32,
        version: Option<u32>,
    ) -> Result<PhaseDetail, ServiceError> {
        let (job, machine) = self.owned(user, id).await?;
        let phase = parse_phase(phase).map_err(|e| ServiceError::NotFound(e.to_string()))?;
        let version = self.version_of(&job, version).await?;
        let result: Option<serde_json::Value> =
            self.read_json(job.id, version, &format!("{}.json", phase.name())).await?;
        let previews = match &result {
            Some(result) => previews(job.id, phase, result),
            None => Vec::new(),
        };
        let state = if job.current_version == version { machine.state(phase).as_str() } else { "approved" };
        Ok(PhaseDetail {
            phase: phase.number(),
            name: phase.name(),
            state,
            version: version.get(),
            result,
            previews,
            presets: presets(phase),
        })
    }

    // ---- feedback ----

    /// Applies (or, for a dry run, plans) the person's feedback on a phase.
    ///
    /// # Errors
    /// [`ServiceError::BadInput`] for a bad phase number; [`ServiceError::Conflict`] when the job is
    /// not in a state for it; [`ServiceError::Unprocessable`] for a target or field that does not exist.
    pub async fn feedback(&self, user: &UserId, id: &str, body: FeedbackBody) -> Result<FeedbackOutcome, ServiceError> {
        let phase = parse_phase(body.phase)?;
        for _ in 0..8 {
            let (job, mut machine) = self.owned(user, id).await?;
            if matches!(job.state, JobState::Cancelled | JobState::Pending) {
                return Err(ServiceError::Conflict(format!("the job is {}; it takes no feedback", job.state)));
            }
            let parent = job.current_version;
            if body.action == FeedbackAction::Approve {
                let step = machine.approve(phase)?;
                if body.dry_run {
                    return Ok(FeedbackOutcome {
                        version: parent.get(),
                        parent: None,
                        plan: Plan::default(),
                        job: JobView::new(&job, &machine),
                    });
                }
                let job = match self.save(&job, &machine, &step, None).await {
                    Err(ServiceError::Conflict(_)) => continue,
                    other => other?,
                };
                self.record_feedback(&job, parent, phase, &body.action, user).await;
                self.act(&job, &machine, step).await;
                return Ok(FeedbackOutcome {
                    version: parent.get(),
                    parent: None,
                    plan: Plan::default(),
                    job: JobView::new(&job, &machine),
                });
            }
            machine.can_change(phase)?;
            let (plan, edited) = self.plan_change(&job, &machine, phase, &body.action).await?;
            if body.dry_run {
                return Ok(FeedbackOutcome {
                    version: parent.get(),
                    parent: Some(parent.get()),
                    plan,
                    job: JobView::new(&job, &machine),
                });
            }
            let note = format!("{} on {}", describe(&body.action), phase);
            let version = self.branch_artifacts(&job, parent, &note).await?;
            if let Some((name, value)) = &edited {
                self.write_json(job.id, version.number, name, value).await?;
            }
            for run in &plan.runs {
                machine.reset_gate(run.phase());
            }
            let step = machine.apply_change(phase, plan.runs.clone())?;
            let job = match self.save(&job, &machine, &step, Some(version.number)).await {
                Err(ServiceError::Conflict(_)) => continue,
                other => other?,
            };
            self.record_feedback(&job, parent, phase, &body.action, user).await;
            let mut event = JobEvent::new(job.id, version.number.get(), Some(phase.number()), "version_created", note);
            event.data = serde_json::to_value(&plan).ok();
            self.events.publish(event).await;
            self.act(&job, &machine, step).await;
            return Ok(FeedbackOutcome {
                version: version.number.get(),
                parent: Some(parent.get()),
                plan,
                job: JobView::new(&job, &machine),
            });
        }
        Err(ServiceError::Conflict("the job kept changing; try again".into()))
    }

    /// Plans a change, and for an edit produces the edited output (checked against its type).
    async fn plan_change(
        &self,
        job: &JobRecord,
        machine: &JobMachine,
        phase: PhaseId,
        action: &FeedbackAction,
    ) -> Result<(Plan, Option<(String, serde_json::Value)>), ServiceError> {
        let v = job.current_version;
        let bible: Option<CharacterBible> = self.read_typed(job.id, v, PhaseId::Characters).await?;
        let storyboard: Option<Storyboard> = self.read_typed(job.id, v, PhaseId::Name).await?;
        let records = machine.records();
        let inputs = PlanInputs { bible: bible.as_ref(), storyboard: storyboard.as_ref(), records: &records };
        let plan = plan(phase, action, &inputs)
            .map_err(|e| ServiceError::Unprocessable(e.0))?
            .priced(|demands| self.models.price(demands, &job.options));
        let FeedbackAction::Edit { field, value } = action else { return Ok((plan, None)) };
        let name = format!("{}.json", phase.name());
        let mut doc: serde_json::Value = self
            .read_json(job.id, v, &name)
            .await?
            .ok_or_else(|| ServiceError::Conflict(format!("phase {phase} has no output to edit")))?;
        set_pointer(&mut doc, field, value.clone()).map_err(|e| ServiceError::Unprocessable(e.0))?;
        let invalid = |e: serde_json::Error| ServiceError::Unprocessable(format!("{field} cannot be {value}: {e}"));
        match phase {
            PhaseId::Concept => serde_json::from_value::<Concept>(doc.clone()).map(drop),
            PhaseId::Characters => serde_json::from_value::<CharacterBible>(doc.clone()).map(drop),
            PhaseId::Plot => serde_json::from_value::<Plot>(doc.clone()).map(drop),
            PhaseId::Name => serde_json::from_value::<Storyboard>(doc.clone()).map(drop),
            _ => Ok(()),
        }
        .map_err(invalid)?;
        Ok((plan, Some((name, doc))))
    }

    async fn record_feedback(
        &self,
        job: &JobRecord,
        version: Version,
        phase: PhaseId,
        action: &FeedbackAction,
        user: &UserId,
    ) {
        let action = serde_json::to_value(action).unwrap_or(serde_json::Value::Null);
        let kind = action.get("action").and_then(serde_json::Value::as_str).unwrap_or("other");
        self.metrics.feedback.with_label_values(&[kind]).inc();
        let feedback = NewFeedback { job: job.id, version, phase, action: action.clone(), user: user.clone() };
        if let Err(e) = self.store.record_feedback(feedback).await {
            tracing::warn!(job_id = %job.id, error = %e, "feedback applied but not recorded");
        }
        let mut event =
            JobEvent::new(job.id, job.current_version.get(), Some(phase.number()), "feedback", describe_value(&action));
        event.data = Some(action);
        self.events.publish(event).await;
    }

    /// Understands a chat message as feedback, without applying it.
    ///
    /// # Errors
    /// [`ServiceError::BadInput`] for an empty message; [`ServiceError::Unprocessable`] when it is not understood.
    pub async fn chat(
        &self,
        user: &UserId,
        id: &str,
        message: &str,
        phase: Option<u32>,
    ) -> Result<FeedbackSuggestion, ServiceError> {
        let (job, machine) = self.owned(user, id).await?;
        let message = message.trim();
        if message.is_empty() {
            return Err(ServiceError::BadInput("the message is empty".into()));
        }
        if message.chars().count() > 2000 {
            return Err(ServiceError::BadInput("the message is longer than 2000 characters".into()));
        }
        let hint = match phase {
            Some(n) => Some(parse_phase(n)?),
            None => machine.reviewing().or(job.current_phase),
        };
        let v = job.current_version;
        let concept: Option<Concept> = self.read_typed(job.id, v, PhaseId::Concept).await?;
        let bible: Option<CharacterBible> = self.read_typed(job.id, v, PhaseId::Characters).await?;
        let storyboard: Option<Storyboard> = self.read_typed(job.id, v, PhaseId::Name).await?;
        let request = manga_ai::FeedbackRequest {
            message: message.to_owned(),
            phase: hint,
            concept: concept.as_ref(),
            bible: bible.as_ref(),
            storyboard: storyboard.as_ref(),
        };
        let text = self.models.text(PhaseId::Concept, &job.options).map_err(ServiceError::Unavailable)?;
        let suggestion =
            text.suggest_feedback(&request).await.map_err(|e| ServiceError::Unprocessable(e.to_string()))?;
        let mut event =
            JobEvent::new(job.id, v.get(), Some(suggestion.phase.number()), "chat", suggestion.summary.clone());
        event.data = serde_json::to_value(&suggestion).ok();
        self.events.publish(event).await;
        Ok(suggestion)
    }

    // ---- versions ----

    /// A job's versions.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`].
    pub async fn versions(&self, user: &UserId, id: &str) -> Result<VersionList, ServiceError> {
        let (job, _) = self.owned(user, id).await?;
        let versions = self.store.list_versions(job.id).await?;
        Ok(VersionList {
            current: job.current_version.get(),
            versions: versions.iter().map(VersionView::from).collect(),
        })
    }

    /// Makes a new version with `from`'s outputs and makes it current.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown version; [`ServiceError::Conflict`] while a phase runs.
    pub async fn branch(
        &self,
        user: &UserId,
        id: &str,
        from: u32,
        note: Option<String>,
    ) -> Result<BranchOutcome, ServiceError> {
        let (job, _) = self.owned(user, id).await?;
        let from = self.existing_version(&job, from).await?;
        self.ensure_idle(&job).await?;
        let machine = self.machine_at(&job, from).await?;
        let note = note.unwrap_or_else(|| format!("branched from {from}"));
        let version = self.branch_artifacts(&job, from, &note).await?;
        let job = self.switch_to(&job, &machine, version.number).await?;
        let event = JobEvent::new(job.id, version.number.get(), None, "version_created", note);
        self.events.publish(event).await;
        Ok(BranchOutcome { version: version.number.get(), parent: from.get(), job: JobView::new(&job, &machine) })
    }

    /// Makes an existing version current again.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown version; [`ServiceError::Conflict`] while a phase runs.
    pub async fn restore(&self, user: &UserId, id: &str, to: u32) -> Result<JobView, ServiceError> {
        let (job, _) = self.owned(user, id).await?;
        let to = self.existing_version(&job, to).await?;
        self.ensure_idle(&job).await?;
        let machine = self.machine_at(&job, to).await?;
        let job = self.switch_to(&job, &machine, to).await?;
        let event = JobEvent::new(job.id, to.get(), None, "version_restored", format!("{to} restored"));
        self.events.publish(event).await;
        Ok(JobView::new(&job, &machine))
    }

    async fn ensure_idle(&self, job: &JobRecord) -> Result<(), ServiceError> {
        match job.state {
            JobState::Running | JobState::Pending => {
                Err(ServiceError::Conflict("a phase is running; wait for it or cancel the job first".into()))
            }
            JobState::Cancelled => Err(ServiceError::Conflict("the job was cancelled".into())),
            _ => Ok(()),
        }
    }

    async fn existing_version(&self, job: &JobRecord, n: u32) -> Result<Version, ServiceError> {
        let versions = self.store.list_versions(job.id).await?;
        versions.iter().find(|v| v.number.get() == n).map(|v| v.number).ok_or_else(|| {
            ServiceError::NotFound(format!("the job has no version {n}; it has 1 to {}", versions.len()))
        })
    }

    async fn machine_at(&self, job: &JobRecord, version: Version) -> Result<JobMachine, ServiceError> {
        if version == job.current_version {
            return machine_of(job);
        }
        let bytes = self.blob.get(&ArtifactKey::machine(job.id, version)).await?;
        serde_json::from_slice(&bytes)
            .map_err(|e| ServiceError::Unavailable(format!("{version}'s state is unreadable: {e}")))
    }

    async fn switch_to(
        &self,
        job: &JobRecord,
        machine: &JobMachine,
        version: Version,
    ) -> Result<JobRecord, ServiceError> {
        let step = machine.current_step();
        let job = self.save(job, machine, &step, Some(version)).await?;
        self.act(&job, machine, step).await;
        Ok(job)
    }

    /// Makes a new version branching from `parent`, with its inputs and phase outputs.
    /// The JSON keeps pointing at the parent's images, which never change.
    async fn branch_artifacts(
        &self,
        job: &JobRecord,
        parent: Version,
        note: &str,
    ) -> Result<VersionRecord, ServiceError> {
        let version = self.store.create_version(job.id, parent, Some(note)).await?;
        let mut names: Vec<String> = vec!["story.txt".into(), "options.json".into()];
        names.extend(PhaseId::ALL.iter().map(|p| format!("{}.json", p.name())));
        for name in names {
            let (from, to) = (self.key(job.id, parent, &name)?, self.key(job.id, version.number, &name)?);
            match self.blob.get(&from).await {
                Ok(bytes) => {
                    let content_type =
                        if name.ends_with(".txt") { "text/plain; charset=utf-8" } else { "application/json" };
                    self.blob.put(&to, bytes, content_type).await?;
                }
                Err(BlobError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(version)
    }

    // ---- artifacts ----

    /// An artifact of a version by name; a version shares what it did not redo with its parent.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown name or version, or a cancelled job's files.
    pub async fn artifact(
        &self,
        user: &UserId,
        id: &str,
        name: &str,
        version: Option<u32>,
    ) -> Result<(ArtifactKey, Bytes), ServiceError> {
        let (job, _) = self.owned(user, id).await?;
        if job.state == JobState::Cancelled {
            return Err(ServiceError::NotFound("the job was cancelled; its files are gone".into()));
        }
        let version = self.version_of(&job, version).await?;
        // Every artifact is a file with an extension; a bare name is a folder
        // (`publish`, `pages`), which a local store cannot read as one.
        let file = name.rsplit('/').next().unwrap_or(name);
        if name == "machine.json" || !file.contains('.') {
            return Err(ServiceError::NotFound(format!("no artifact named {name}")));
        }
        let versions = self.store.list_versions(job.id).await?;
        let mut at = Some(version);
        while let Some(v) = at {
            let key = self.key(job.id, v, name)?;
            match self.blob.get(&key).await {
                Ok(bytes) => return Ok((key, bytes)),
                Err(BlobError::NotFound(_)) => at = versions.iter().find(|r| r.number == v).and_then(|r| r.parent),
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::NotFound(format!("no artifact named {name} in {version}")))
    }

    fn key(&self, job: JobId, version: Version, name: &str) -> Result<ArtifactKey, ServiceError> {
        ArtifactKey::in_version(job, version, name)
            .map_err(|_| ServiceError::NotFound(format!("no artifact named {name}")))
    }

    async fn version_of(&self, job: &JobRecord, version: Option<u32>) -> Result<Version, ServiceError> {
        match version {
            None => Ok(job.current_version),
            Some(n) => self.existing_version(job, n).await,
        }
    }

    /// A JSON output by name, looking through the parents for what a version did not redo.
    async fn read_json(
        &self,
        job: JobId,
        version: Version,
        name: &str,
    ) -> Result<Option<serde_json::Value>, ServiceError> {
        match self.blob.get(&self.key(job, version, name)?).await {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| ServiceError::Unavailable(format!("{name} of {version} is unreadable: {e}"))),
            Err(BlobError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn read_typed<T: DeserializeOwned>(
        &self,
        job: JobId,
        version: Version,
        phase: PhaseId,
    ) -> Result<Option<T>, ServiceError> {
        let Some(value) = self.read_json(job, version, &format!("{}.json", phase.name())).await? else {
            return Ok(None);
        };
        serde_json::from_value(value).map(Some).map_err(|e| ServiceError::Unavailable(format!("{phase} output: {e}")))
    }

    async fn write_json(
        &self,
        job: JobId,
        version: Version,
        name: &str,
        value: &serde_json::Value,
    ) -> Result<(), ServiceError> {
        let bytes = serde_json::to_vec_pretty(value).map_err(|e| ServiceError::Unavailable(e.to_string()))?;
        self.blob.put(&self.key(job, version, name)?, bytes.into(), "application/json").await?;
        Ok(())
    }

    // ---- driving the machine ----

    /// Saves the machine with the state its step implies (compare-and-set), and a snapshot for restores.
    async fn save(
        &self,
        job: &JobRecord,
        machine: &JobMachine,
        step: &Step,
        version: Option<Version>,
    ) -> Result<JobRecord, ServiceError> {
        let (state, phase) = match step {
            Step::Run { run, .. } => (JobState::Running, Some(run.phase())),
            Step::AwaitReview { phase, .. } => (JobState::AwaitingReview, Some(*phase)),
            Step::Done => (JobState::Succeeded, None),
        };
        let value = serde_json::to_value(machine).map_err(|e| ServiceError::Unavailable(e.to_string()))?;
        let snapshot = serde_json::to_vec(&value).map_err(|e| ServiceError::Unavailable(e.to_string()))?;
        let title = match (&job.title, machine.record(PhaseId::Concept)) {
            // The story's own title, once phase 1 has read it (the person's, when given, stays).
            (None, Some(_)) => {
                self.read_typed::<Concept>(job.id, job.current_version, PhaseId::Concept).await?.map(|c| c.title)
            }
            _ => None,
        };
        let advance = JobAdvance { state, current_phase: phase, current_version: version, machine: Some(value), title };
        let job = self.store.advance_job(job.id, job.revision, advance).await?;
        self.blob.put(&ArtifactKey::machine(job.id, job.current_version), snapshot.into(), "application/json").await?;
        self.mirror_session(&job, machine).await;
        Ok(job)
    }

    /// Does what a saved step asks: send the request, or tell the watchers.
    /// Acts on a step the job has saved, logging a request that could not be sent.
    async fn act(&self, job: &JobRecord, machine: &JobMachine, step: Step) {
        if let Err(e) = self.try_act(job, machine, step).await {
            // The job stays running with its step saved; sending it again is safe (idempotent runs).
            tracing::error!(job_id = %job.id, error = %e, "phase request not sent");
        }
    }

    /// Acts on a step the job has saved: sends the planned run, or tells who waits.
    ///
    /// # Errors
    /// [`ServiceError::Unavailable`] when the run's request could not be published.
    async fn try_act(&self, job: &JobRecord, machine: &JobMachine, step: Step) -> Result<(), ServiceError> {
        let v = job.current_version.get();
        match step {
            Step::Run { run, attempt, retry } => {
                if let Some(retry) = retry {
                    let message =
                        format!("re-running {}: score {:.2}: {}", run.phase(), retry.score, retry.reasons.join("; "));
                    tracing::info!(job_id = %job.id, phase = run.phase().name(), "quality gate: {message}");
                    let event = JobEvent::new(job.id, v, Some(retry.checked_by.number()), "phase_retrying", message);
                    self.events.publish(event).await;
                }
                self.send(job, &run, attempt).await.map_err(|e| ServiceError::Unavailable(e.to_string()))?;
            }
            Step::AwaitReview { phase, reasons } => {
                let mut message = format!("{phase} is ready for review");
                if !reasons.is_empty() {
                    message = format!("{message}; the quality gate gave up: {}", reasons.join("; "));
                }
                self.metrics.reviews.inc();
                let mut event = JobEvent::new(job.id, v, Some(phase.number()), "awaiting_review", message);
                event.quality = machine.record(phase).map(|r| r.quality.get());
                self.events.publish(event).await;
            }
            Step::Done => {
                tracing::info!(job_id = %job.id, version = v, "job published");
                let mut event = JobEvent::new(job.id, v, Some(8), "job_finished", "published");
                event.data = serde_json::to_value(JobView::new(job, machine)).ok();
                self.events.publish(event).await;
            }
        }
        Ok(())
    }

    /// Publishes a phase request (safe to repeat: phases are idempotent per attempt).
    async fn send(&self, job: &JobRecord, run: &PlannedRun, attempt: u32) -> Result<(), manga_bus::BusError> {
        let at = PhaseAddress { job: job.id, version: job.current_version, phase: run.phase(), attempt };
        let scope = PhaseScope { panels: run.panels.clone(), characters: run.characters.clone() };
        let mut message = scoped_request_message(at, job.options.seed, &scope);
        manga_runtime::telemetry::inject_current(&mut message.attributes);
        self.bus.publish(&run.phase().request_topic(), message).await.map(drop)
    }

    /// Takes a phase's result.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown job (the message can never succeed);
    /// [`ServiceError::Unavailable`] when the store fails (redeliver).
    pub async fn on_result(&self, result: &PhaseResult, at: PhaseAddress) -> Result<(), ServiceError> {
        for _ in 0..8 {
            let job = match self.store.get_job(at.job).await {
                Ok(job) => job,
                Err(StoreError::NotFound { .. }) => {
                    return Err(ServiceError::NotFound(format!("unknown job {}", at.job)));
                }
                Err(e) => return Err(e.into()),
            };
            if job.state.is_terminal() && job.state != JobState::Succeeded || at.version != job.current_version {
                // Cancelled or failed, or a version no longer current: nothing to act on.
                return Ok(());
            }
            let mut machine = machine_of(&job)?;
            if !machine.expects(at.phase, at.attempt) {
                // A duplicate of a result already acted on: make sure the request it led to went out.
                if let Step::Run { run, attempt, .. } = machine.current_step() {
                    self.send(&job, &run, attempt).await.map_err(|e| ServiceError::Unavailable(e.to_string()))?;
                }
                return Ok(());
            }
            if result.status() != PhaseStatus::Succeeded {
                machine.on_failure(at.phase, at.attempt, result.duration_ms, &result.usage());
                let reason = format!("{} failed: {}", at.phase, result.error);
                let value = serde_json::to_value(&machine).map_err(|e| ServiceError::Unavailable(e.to_string()))?;
                let advance = JobAdvance { machine: Some(value), ..JobAdvance::to(JobState::Running, Some(at.phase)) };
                match self.store.advance_job(job.id, job.revision, advance).await {
                    Err(StoreError::Conflict { .. }) => continue,
                    other => other?,
                };
                let failed = self.store.fail_job(job.id, &reason).await?;
                self.mirror_session(failed.get(), &machine).await;
                self.events
                    .publish(JobEvent::new(job.id, at.version.get(), Some(at.phase.number()), "job_failed", reason))
                    .await;
                return Ok(());
            }
            let step =
                machine.on_result(at.phase, at.attempt, &result.quality_report(), result.duration_ms, &result.usage());
            let job = match self.save(&job, &machine, &step, None).await {
                Err(ServiceError::Conflict(_)) => continue,
                other => other?,
            };
            // A request not sent fails this result, so it is redelivered; the redelivery is a
            // duplicate, and a duplicate sends the saved step again (above).
            return self.try_act(&job, &machine, step).await;
        }
        Err(ServiceError::Unavailable("the job kept changing under this result".into()))
    }

    /// A request that could not be delivered: the job fails with the reason.
    ///
    /// # Errors
    /// [`ServiceError::Unavailable`] when the store fails.
    pub async fn on_dead_letter(&self, at: PhaseAddress, reason: &str) -> Result<(), ServiceError> {
        match self.store.fail_job(at.job, reason).await {
            Ok(recorded) => {
                // The only path that has not just read the machine: the dead letter names the job alone.
                match machine_of(recorded.get()) {
                    Ok(machine) => self.mirror_session(recorded.get(), &machine).await,
                    Err(e) => tracing::warn!(job_id = %at.job, error = %e, "session not mirrored to Redis"),
                }
                if recorded.is_new() {
                    let event = JobEvent::new(at.job, at.version.get(), Some(at.phase.number()), "job_failed", reason);
                    self.events.publish(event).await;
                }
                Ok(())
            }
            Err(StoreError::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Passes a phase's progress on to the people watching.
    pub async fn on_progress(&self, event: &ProgressEvent) {
        self.events.publish(JobEvent::from_progress(event)).await;
    }

    /// Applies the timeout action to reviews that waited longer than allowed. Returns how many.
    ///
    /// # Errors
    /// [`ServiceError::Unavailable`] when the store fails.
    pub async fn sweep_reviews(&self) -> Result<usize, ServiceError> {
        let wait = chrono::Duration::from_std(self.settings.feedback_wait).unwrap_or(chrono::Duration::MAX);
        let before = chrono::Utc::now() - wait;
        let mut applied = 0;
        for job in self.store.list_jobs_in_state(JobState::AwaitingReview, before, 100).await? {
            let mut machine = machine_of(&job)?;
            let Some(phase) = machine.reviewing() else { continue };
            if machine.is_paused() {
                continue;
            }
            let (step, message) = match self.settings.timeout_action {
                TimeoutAction::Approve => (machine.approve(phase)?, format!("no review of {phase} in time: approved")),
                TimeoutAction::Pause => {
                    machine.pause();
                    (machine.current_step(), format!("no review of {phase} in time: paused"))
                }
            };
            let job = match self.save(&job, &machine, &step, None).await {
                Err(ServiceError::Conflict(_)) => continue,
                other => other?,
            };
            tracing::info!(job_id = %job.id, phase = phase.name(), "{message}");
            self.metrics.timeouts.inc();
            let event =
                JobEvent::new(job.id, job.current_version.get(), Some(phase.number()), "review_timeout", message);
            self.events.publish(event).await;
            if self.settings.timeout_action == TimeoutAction::Approve {
                self.act(&job, &machine, step).await;
            }
            applied += 1;
        }
        Ok(applied)
    }

    /// Runs [`Self::sweep_reviews`] every `every` until the task is dropped.
    pub fn spawn_review_sweeper(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if let Err(e) = me.sweep_reviews().await {
                    tracing::warn!(error = %e, "review sweep failed");
                }
            }
        })
    }

    /// The current view of a job for a stream's first event (no ownership check: the caller did it).
    ///
    /// # Errors
    /// As [`Self::get_job`].
    pub async fn snapshot(&self, user: &UserId, id: &str) -> Result<(JobId, JobEvent), ServiceError> {
        let (job, machine) = self.owned(user, id).await?;
        let view = JobView::new(&job, &machine);
        let mut event = JobEvent::new(job.id, job.current_version.get(), view.current_phase, "snapshot", view.state);
        event.data = serde_json::to_value(&view).ok();
        Ok((job.id, event))
    }
}

fn machine_of(job: &JobRecord) -> Result<JobMachine, ServiceError> {
    match &job.machine {
        Some(value) => serde_json::from_value(value.clone())
            .map_err(|e| ServiceError::Unavailable(format!("job {}'s state is unreadable: {e}", job.id))),
        None => Ok(JobMachine::new(job.mode == JobMode::Review)),
    }
}

fn parse_phase(n: u32) -> Result<PhaseId, ServiceError> {
    PhaseId::from_number(n).map_err(|_| ServiceError::BadInput(format!("phase must be 1 to 8, not {n}")))
}

fn describe(action: &FeedbackAction) -> String {
    match action {
        FeedbackAction::Approve => "approve".into(),
        FeedbackAction::Revise { comment } => format!("revise ({comment})"),
        FeedbackAction::Regenerate { target } => format!("regenerate {target}"),
        FeedbackAction::Edit { field, .. } => format!("edit {field}"),
    }
}

fn describe_value(action: &serde_json::Value) -> String {
    serde_json::from_value::<FeedbackAction>(action.clone()).map_or_else(|_| "feedback".into(), |a| describe(&a))
}

/// Images worth showing for a phase's output.
fn previews(job: JobId, phase: PhaseId, result: &serde_json::Value) -> Vec<Preview> {
    let key = |v: &serde_json::Value| v.as_str().and_then(|s| ArtifactKey::parse(s).ok());
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    let list = |field: &str| result.get(field).and_then(serde_json::Value::as_array).cloned().unwrap_or_default();
    match phase {
        PhaseId::Characters => list("characters")
            .iter()
            .filter_map(|c| {
                let id = text(&c["id"]);
                Some(Preview::of(
                    job,
                    "portrait",
                    text(&c["name"]),
                    Some(format!("portrait:{id}")),
                    &key(&c["portrait"])?,
                ))
            })
            .collect(),
        PhaseId::Images | PhaseId::Lettering => {
            let kind = if phase == PhaseId::Images { "panel" } else { "lettered" };
            list("panels")
                .iter()
                .filter_map(|p| {
                    let id = text(&p["panel"]);
                    Some(Preview::of(job, kind, id.clone(), Some(format!("panel:{id}")), &key(&p["image"])?))
                })
                .collect()
        }
        PhaseId::Compose => list("pages")
            .iter()
            .filter_map(|p| {
                let n = p["number"].as_u64()?;
                Some(Preview::of(job, "page", format!("page {n}"), Some(format!("page:{n}")), &key(&p["image"])?))
            })
            .collect(),
        PhaseId::Publish => list("thumbnails")
            .iter()
            .enumerate()
            .filter_map(|(i, t)| Some(Preview::of(job, "thumbnail", format!("page {}", i + 1), None, &key(t)?)))
            .collect(),
        PhaseId::Concept | PhaseId::Plot | PhaseId::Name => Vec::new(),
    }
}

/// One-click choices per phase.
fn presets(phase: PhaseId) -> Vec<Preset> {
    let preset = |label: &str, action: FeedbackAction| Preset { label: label.to_owned(), action };
    let revise = |label: &str, comment: &str| preset(label, FeedbackAction::Revise { comment: comment.to_owned() });
    let mut presets = vec![preset("Looks good", FeedbackAction::Approve)];
    match phase {
        PhaseId::Concept => presets.push(revise("Read the story again", "read the story again")),
        PhaseId::Characters => presets.push(revise("Redesign the characters", "redesign the characters")),
        PhaseId::Plot => presets.push(revise("Restructure the plot", "restructure the plot")),
        PhaseId::Name => presets.push(revise("Lay the pages out again", "lay the pages out again")),
        PhaseId::Images => {
            presets.push(preset("Redraw page 1", FeedbackAction::Regenerate { target: manga_domain::Target::Page(1) }));
            presets.push(revise("Redraw every panel", "redraw every panel"));
        }
        PhaseId::Lettering => presets.push(revise("Letter again", "letter again")),
        PhaseId::Compose => presets.push(revise("Compose again", "compose again")),
        PhaseId::Publish => {}
    }
    presets
}
