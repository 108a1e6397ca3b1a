//! The person's say: feedback on a phase (approve, revise, regenerate, edit; planned or applied) and chat.

use manga_domain::{CharacterBible, Concept, FeedbackAction, FeedbackSuggestion, PhaseId, Plot, Storyboard, Version};
use manga_store::{JobRecord, JobState, NewFeedback, UserId};

use super::{JobService, ServiceError, parse_phase};
use crate::events::JobEvent;
use crate::machine::JobMachine;
use crate::plan::{Plan, PlanInputs, plan, set_pointer};
use crate::views::{FeedbackBody, FeedbackOutcome, JobView};

impl JobService {
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
    pub(super) async fn plan_change(
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

    pub(super) async fn record_feedback(
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
}

pub(super) fn describe(action: &FeedbackAction) -> String {
    match action {
        FeedbackAction::Approve => "approve".into(),
        FeedbackAction::Revise { comment } => format!("revise ({comment})"),
        FeedbackAction::Regenerate { target } => format!("regenerate {target}"),
        FeedbackAction::Edit { field, .. } => format!("edit {field}"),
    }
}

pub(super) fn describe_value(action: &serde_json::Value) -> String {
    serde_json::from_value::<FeedbackAction>(action.clone()).map_or_else(|_| "feedback".into(), |a| describe(&a))
}
