//! Phase 5, images: one picture per panel from the image model, drawn in
//! parallel (at most min(cpus × 2, 8) at once), each with its figure boxes.
//!
//! Each panel drawn leaves a receipt for its attempt
//! ([`ArtifactKey::drawn_panel`]), so a delivery of the same attempt after a
//! cut request, a crash or a transient failure draws only what is missing:
//! every delivery makes progress, and no panel is paid for twice.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use futures_util::{StreamExt, stream};
use manga_ai::PanelRequest;
use manga_domain::{
    ArtifactKey, CharacterBible, JobOptions, PanelArt, PanelArtSet, PanelId, PhaseId, QualityReport, Reason, Shot,
    Storyboard,
};
use manga_proto::{PhaseAddress, PhaseRequest};

use crate::artifacts::{load_json, save_json};
use crate::{PhaseContext, PhaseError, PhaseOutput, Progress};

/// Draws the panels (all, or only those the request names) and stores `images.json`.
///
/// # Errors
/// [`PhaseError`] when inputs are missing, a panel id is unknown, or the model fails.
pub async fn run(
    ctx: &PhaseContext,
    at: PhaseAddress,
    request: &PhaseRequest,
    progress: &Progress,
) -> Result<PhaseOutput, PhaseError> {
    let blob = ctx.blob.as_ref();
    let storyboard: Storyboard = load_json(blob, &ArtifactKey::phase_output(at.job, at.version, PhaseId::Name)).await?;
    let bible: CharacterBible =
        load_json(blob, &ArtifactKey::phase_output(at.job, at.version, PhaseId::Characters)).await?;
    let options: JobOptions = load_json(blob, &ArtifactKey::options(at.job, at.version)).await?;
    let set_key = ArtifactKey::phase_output(at.job, at.version, PhaseId::Images);

    // A redraw of named panels keeps every other panel as it was.
    let only = crate::handler::requested_panels(request, &storyboard)?;
    let mut kept: HashMap<PanelId, PanelArt> = HashMap::new();
    if !only.is_empty() {
        let previous: PanelArtSet = load_json(blob, &set_key).await?;
        kept = previous.panels.into_iter().filter(|p| !only.contains(&p.panel)).map(|p| (p.panel, p)).collect();
    }
    let todo: Vec<_> = storyboard.panels().filter(|p| only.is_empty() || only.contains(&p.id)).cloned().collect();
    let total = todo.len();
    // Panels an earlier delivery of this attempt drew are kept as they are.
    let mut done = 0;
    let mut missing = Vec::with_capacity(total);
    for panel in todo {
        let receipt = ArtifactKey::drawn_panel(at.job, at.version, at.attempt, panel.id);
        match load_json::<PanelArt>(blob, &receipt).await {
            Ok(art) => {
                kept.insert(art.panel, art);
                done += 1;
            }
            Err(PhaseError::Blob(manga_blob::BlobError::NotFound(_))) => missing.push(panel),
            Err(e) => return Err(e),
        }
    }
    if done > 0 {
        progress.advance(done, total, format!("{done} panels kept from an earlier request")).await;
    }
    // Remote models that take reference images get the cast's portraits, so faces stay the same across panels.
    let mut portraits: HashMap<manga_domain::CharacterId, bytes::Bytes> = HashMap::new();
    let painter = ctx.image(PhaseId::Images, &options)?;
    if painter.accepts_references() {
        for sheet in &bible.characters {
            if let Some(key) = &sheet.portrait {
                portraits.insert(sheet.id.clone(), ctx.blob.get(key).await?);
            }
        }
    }
    let right_to_left = storyboard.reading_direction == manga_domain::ReadingDirection::RightToLeft;

    // After a failure, or past the request's work budget, no new panel starts, but those in
    // flight finish and keep their receipts: what was paid for is not thrown away. The first
    // batch always starts, so every request makes progress.
    let failed = AtomicBool::new(false);
    let budget_ends = ctx.work_budget.map(|budget| Instant::now() + budget);
    let mut started = 0;
    let mut drawn = stream::iter(missing)
        .take_while(|_| {
            started += 1;
            let in_budget = started <= ctx.image_concurrency || budget_ends.is_none_or(|end| Instant::now() < end);
            std::future::ready(in_budget && !failed.load(Ordering::SeqCst))
        })
        .map(|panel| {
            let characters = panel.cast.iter().filter_map(|id| bible.get(id).cloned()).collect();
            let references = panel.cast.iter().filter_map(|id| portraits.get(id).cloned()).collect();
            let request = PanelRequest {
                references,
                right_to_left,
                width: panel.frame.w.round() as u32,
                height: panel.frame.h.round() as u32,
                panel,
                characters,
                seed: options.seed,
                attempt: at.attempt,
            };
            let (ctx, painter) = (ctx.clone(), painter.clone());
            async move {
                let image = painter.draw_panel(&request).await?;
                let key = ArtifactKey::panel_art(at.job, at.version, request.panel.id);
                ctx.blob.put(&key, image.png, "image/png").await?;
                let art = PanelArt {
                    panel: request.panel.id,
                    image: key,
                    width: image.width,
                    height: image.height,
                    figures: image.figures,
                    provider: image.provider,
                    figures_estimated: image.figures_estimated,
                };
                let receipt = ArtifactKey::drawn_panel(at.job, at.version, at.attempt, art.panel);
                save_json(ctx.blob.as_ref(), &receipt, &art).await?;
                Ok::<_, PhaseError>(art)
            }
        })
        .buffer_unordered(ctx.image_concurrency);
    let mut first_error = None;
    while let Some(art) = drawn.next().await {
        match art {
            Ok(art) => {
                done += 1;
                progress.advance(done, total, format!("panel {} drawn", art.panel)).await;
                kept.insert(art.panel, art);
            }
            Err(e) => {
                failed.store(true, Ordering::SeqCst);
                first_error.get_or_insert(e);
            }
        }
    }
    drop(drawn);
    if let Some(e) = first_error {
        return Err(e);
    }
    if done < total {
        return Err(PhaseError::Unfinished { done, total });
    }
    let panels: Vec<PanelArt> = storyboard.panels().filter_map(|p| kept.remove(&p.id)).collect();
    let set = PanelArtSet { panels };
    let quality = check(&storyboard, &set);
    save_json(blob, &set_key, &set).await?;
    let outputs = std::iter::once(set_key).chain(set.panels.iter().map(|p| p.image.clone())).collect();
    Ok(PhaseOutput { outputs, quality })
}

/// Checks that every panel was drawn at its frame's size with its cast in it.
pub fn check(storyboard: &Storyboard, set: &PanelArtSet) -> QualityReport {
    let mut reasons = Vec::new();
    let mut reason = |code: &str, message: String, penalty: f32| {
        reasons.push(Reason { code: code.into(), message, blame: PhaseId::Images, penalty });
    };
    let planned = storyboard.panels().count();
    if set.panels.len() != planned {
        reason("missing_panels", format!("{} of {planned} panels were drawn", set.panels.len()), 0.5);
    }
    for (plan, art) in storyboard.panels().zip(&set.panels) {
        let expected = if plan.shot == Shot::CloseUp { plan.cast.len().min(1) } else { plan.cast.len() };
        if art.figures.len() < expected {
            let message = format!("panel {} shows {} of {expected} characters", plan.id, art.figures.len());
            reason("missing_figures", message, 0.05);
        }
    }
    QualityReport::from_reasons(reasons)
}
