//! The bus side of a phase: a `PhaseRequest` in, a `PhaseResult` out.
//!
//! [`handle`] runs a phase for one delivery; [`items_to_do`], [`draw_item`]
//! and [`finish`] are a phase spread over one message per item. The service
//! around them, with its leases and redeliveries, is [`crate::service`].

use std::time::Instant;

use manga_bus::BusMessage;
use manga_domain::{CharacterId, PanelId, PhaseId};
use manga_proto::{PhaseAddress, PhaseRequest, PhaseResult, PhaseStatus, ProgressKind, QualityReason};
use prost::Message;

use crate::scope::PhaseScope;
use crate::{PhaseContext, PhaseError, PhaseOutput, Progress};

/// A phase's outcome as a result message, and whether a failure may pass if retried.
#[derive(Debug, Clone)]
pub struct Handled {
    /// The message for the orchestrator.
    pub result: PhaseResult,
    /// Set for a failure that may pass on a retry (a model or store outage):
    /// the caller should have the request redelivered rather than report it.
    pub transient: bool,
}

/// The reason code of a model's note in a quality report (a panel that fell back to local, a repaired answer).
pub const MODEL_NOTE: &str = "model_note";

/// Runs the phase a request names and describes the outcome as a result message.
pub async fn handle(ctx: &PhaseContext, request: &PhaseRequest, at: PhaseAddress) -> Handled {
    Progress::new(ctx.bus.clone(), at).send(ProgressKind::PhaseStarted, 0, 0, format!("{} started", at.phase)).await;
    finish(ctx, request, at).await
}

/// Runs the phase to its end once its items are done (phases 2 and 5 in the fleet: each portrait or panel was
/// drawn by its own push), and describes the outcome; it started long ago, so that is not said again.
pub async fn finish(ctx: &PhaseContext, request: &PhaseRequest, at: PhaseAddress) -> Handled {
    let started = Instant::now();
    let progress = Progress::new(ctx.bus.clone(), at);
    // Every model call the phase makes records into this attempt's ledger.
    let ledger = manga_ai::Ledger::default();
    let outcome = ctx.models.with_timeout_of(at.phase, ledger.scope(run_phase(ctx, request, at, &progress))).await;
    let duration_ms = started.elapsed().as_millis() as u64;
    let usage = ledger.usage();
    let mut result = PhaseResult {
        job_id: at.job.to_string(),
        version: at.version.get(),
        phase: at.phase.number(),
        attempt: at.attempt,
        duration_ms,
        usage: usage.iter().map(manga_proto::AiUsage::from).collect(),
        ..PhaseResult::default()
    };
    let mut transient = false;
    match outcome {
        Ok(output) => {
            tracing::info!(job_id = %at.job, phase = at.phase.name(), attempt = at.attempt, duration_ms,
                quality = output.quality.score.get(), "phase finished");
            result.status = PhaseStatus::Succeeded as i32;
            result.quality = output.quality.score.get();
            result.reasons = output
                .quality
                .reasons
                .iter()
                .map(|r| QualityReason {
                    code: r.code.clone(),
                    message: r.message.clone(),
                    blame: r.blame.number(),
                    penalty: r.penalty,
                })
                .chain(ledger.notes().into_iter().map(|note| QualityReason {
                    // Said, not scored: a fallback or a repaired answer explains the output without lowering it.
                    code: MODEL_NOTE.into(),
                    message: note,
                    blame: at.phase.number(),
                    penalty: 0.0,
                }))
                .collect();
            result.outputs = output.outputs.iter().map(ToString::to_string).collect();
            progress.finished(result.quality, format!("{} finished", at.phase)).await;
        }
        Err(error) => {
            transient = error.is_transient();
            if transient {
                // Not the job's end: the request is delivered again.
                progress.send(ProgressKind::PhaseProgress, 0, 0, format!("{error}; trying again")).await;
            } else {
                progress.send(ProgressKind::JobFailed, 0, 0, error.to_string()).await;
            }
            tracing::warn!(job_id = %at.job, phase = at.phase.name(), attempt = at.attempt, duration_ms,
                transient, error = %error, "phase failed");
            result.status = PhaseStatus::Failed as i32;
            result.error = error.to_string();
        }
    }
    Handled { result, transient }
}

async fn run_phase(
    ctx: &PhaseContext,
    request: &PhaseRequest,
    at: PhaseAddress,
    progress: &Progress,
) -> Result<PhaseOutput, PhaseError> {
    match at.phase {
        PhaseId::Concept => crate::phase1_concept::run(ctx, at).await,
        PhaseId::Characters => crate::phase2_characters::run(ctx, at, request).await,
        PhaseId::Plot => crate::phase3_plot::run(ctx, at).await,
        PhaseId::Name => crate::phase4_name::run(ctx, at).await,
        PhaseId::Images => crate::phase5_images::run(ctx, at, request, progress).await,
        PhaseId::Lettering => crate::phase6_lettering::run(ctx, at, request, progress).await,
        PhaseId::Compose => crate::phase7_compose::run(ctx, at, request, progress).await,
        PhaseId::Publish => crate::phase8_publish::run(ctx, at, progress).await,
    }
}

/// The items of a request not done yet by its attempt, for a phase spread over one message per
/// item: phase 2's portraits (after the designs, one text call), phase 5's panels; none for
/// the other phases.
///
/// # Errors
/// [`PhaseError`] when inputs are missing, a named panel or character is unknown, or the model fails.
pub async fn items_to_do(
    ctx: &PhaseContext,
    request: &PhaseRequest,
    at: PhaseAddress,
) -> Result<Vec<String>, PhaseError> {
    fn strings<T: ToString>(ids: Vec<T>) -> Vec<String> {
        ids.iter().map(ToString::to_string).collect()
    }
    match at.phase {
        PhaseId::Characters => {
            let designs = crate::phase2_characters::portraits_to_draw(ctx, at, request);
            Ok(strings(ctx.models.with_timeout_of(at.phase, designs).await?))
        }
        PhaseId::Images => Ok(strings(crate::phase5_images::panels_to_draw(ctx, at, request).await?)),
        _ => Ok(Vec::new()),
    }
}

/// Draws the one item a request names (`request.item`: a character's portrait in phase 2, a
/// panel in phase 5), under the phase's model call timeout.
///
/// # Errors
/// [`PhaseError`] when the item is not one of the phase's, its inputs are missing, or the model fails.
pub async fn draw_item(ctx: &PhaseContext, request: &PhaseRequest, at: PhaseAddress) -> Result<(), PhaseError> {
    let item = request.item.as_str();
    let drawing = async {
        match at.phase {
            PhaseId::Characters => {
                let character = CharacterId::parse(item)?;
                crate::phase2_characters::draw_portrait(ctx, at, request, &character).await
            }
            PhaseId::Images => crate::phase5_images::draw_panel(ctx, at, PanelId::parse(item)?).await.map(drop),
            phase => Err(PhaseError::Invalid(format!("{phase} has no items; {item} cannot be one"))),
        }
    };
    ctx.models.with_timeout_of(at.phase, drawing).await
}

/// The bus message asking for one whole phase attempt, with the attributes
/// every hop carries (`job_id`, `phase`, `attempt`).
pub fn request_message(at: PhaseAddress, seed: u64) -> BusMessage {
    scoped_request_message(at, seed, &PhaseScope::default())
}

/// The bus message asking for one phase attempt narrowed to `scope`.
pub fn scoped_request_message(at: PhaseAddress, seed: u64, scope: &PhaseScope) -> BusMessage {
    let request = PhaseRequest {
        job_id: at.job.to_string(),
        version: at.version.get(),
        phase: at.phase.number(),
        attempt: at.attempt,
        seed,
        panels: scope.panels.iter().map(ToString::to_string).collect(),
        characters: scope.characters.iter().map(ToString::to_string).collect(),
        ..PhaseRequest::default()
    };
    addressed(request.encode_to_vec(), at)
}

/// The bus message reporting one phase attempt's result.
pub fn result_message(result: &PhaseResult, at: PhaseAddress) -> BusMessage {
    addressed(result.encode_to_vec(), at)
}

fn addressed(data: Vec<u8>, at: PhaseAddress) -> BusMessage {
    BusMessage::new(data)
        .with_attribute("job_id", at.job.to_string())
        .with_attribute("phase", at.phase.number().to_string())
        .with_attribute("attempt", at.attempt.to_string())
}
