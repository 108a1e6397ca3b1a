//! Jobs: creating one (its inputs stored, phase 1 sent), reading, listing, cancelling, a phase's output.

use bytes::Bytes;
use manga_domain::{ArtifactKey, JobId, JobOptions, Language, PageCount, PhaseId, StoryText, Version};
use manga_proto::PhaseAddress;
use manga_store::{JobAdvance, JobMode, JobRecord, JobStart, JobState, NewJob, StoreError, UserId};

use super::artifacts::{presets, previews};
use super::{JobService, ServiceError, job_not_found, machine_of, parse_phase};
use crate::JobSpec;
use crate::events::JobEvent;
use crate::machine::{JobMachine, Step};
use crate::views::{CreateJob, JobView, PhaseDetail};

impl JobService {
    /// Creates a job, stores its inputs, and sends phase 1's request.
    ///
    /// # Errors
    /// [`ServiceError::BadInput`] for a bad story or option; [`ServiceError::Unavailable`] when storage fails,
    /// or when phase 1's request could not be sent (the job is then failed, saying so).
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
        let options = JobOptions { pages, language, seed: body.seed.unwrap_or(1), author: None, title, providers };
        let spec = JobSpec { job: JobId::new(), story, options };
        let (job, machine) = self.start_job(user, &spec, mode).await?;
        Ok(JobView::new(&job, &machine))
    }

    /// Starts a job whose input is already checked: stores the story and
    /// options, writes the job with its first step, and sends phase 1's request.
    /// `create_job` (the API) and the embedded pipeline (`manga generate`) both start jobs here.
    ///
    /// # Errors
    /// [`ServiceError::Unavailable`] when storage fails, or when phase 1's request could not be sent
    /// (the job is then failed, saying so).
    pub async fn start_job(
        &self,
        user: &UserId,
        spec: &JobSpec,
        mode: JobMode,
    ) -> Result<(JobRecord, JobMachine), ServiceError> {
        let (id, v) = (spec.job, Version::FIRST);
        let story = Bytes::from(spec.story.as_str().to_owned());
        self.blob.put(&ArtifactKey::story(id, v), story, "text/plain; charset=utf-8").await?;
        let options_json = serde_json::to_vec(&spec.options).map_err(|e| ServiceError::Unavailable(e.to_string()))?;
        self.blob.put(&ArtifactKey::options(id, v), options_json.into(), "application/json").await?;
        let mut machine = JobMachine::new(mode == JobMode::Review);
        let step = machine.start();
        let value = serde_json::to_value(&machine).map_err(|e| ServiceError::Unavailable(e.to_string()))?;
        // The row and its first step in one write: from here on the stall sweep sees a running job,
        // so whatever fails below is sent again after the phase deadline, never left pending or silent.
        let phase = match &step {
            Step::Run { run, .. } => run.phase(),
            _ => PhaseId::Concept,
        };
        let start = JobStart { phase, machine: value.clone() };
        let title = spec.options.title.clone();
        let new = NewJob { id, user: user.clone(), mode, options: spec.options.clone(), title, start: Some(start) };
        let job = self.store.create_job(new).await?;
        tracing::info!(job_id = %id, user_id = %user, mode = mode.as_str(), "job created");
        if let Err(e) = self.keep_snapshot(&job, &machine, &value).await {
            // A copy for restores, written again at every step: not worth failing a started job for.
            tracing::warn!(job_id = %id, error = %e, "the first machine snapshot was not kept");
        }
        if let Err(e) = self.try_act(&job, &machine, step).await {
            // Nothing ran, and a person waiting on a job the stall sweep would start only after the phase
            // deadline is worse off than one told at once: the job ends, saying why, and the answer is a 503.
            let reason = format!("the job could not be started: {e}; nothing was run, so it can be created again");
            let at = PhaseAddress { job: id, version: v, phase: PhaseId::Concept, attempt: 1 };
            self.fail_job(at, &reason).await?;
            return Err(ServiceError::Unavailable(reason));
        }
        Ok((job, machine))
    }

    /// The caller's job, or 404 (someone else's job is a 404 too: its existence is not theirs to know).
    pub(super) async fn owned(&self, user: &UserId, id: &str) -> Result<(JobRecord, JobMachine), ServiceError> {
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
