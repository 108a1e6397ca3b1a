//! Phase 5, images: one picture per panel from the image model, each with its
//! figure boxes.
//!
//! Each panel drawn leaves a receipt for its attempt
//! ([`ArtifactKey::drawn_panel`]: the art and what drawing it used), so a
//! delivery of the same attempt after a cut request, a crash or a transient
//! failure draws only what is missing, and no panel is paid for twice. In the
//! fleet each missing panel is its own message ([`draw_panel`], one push
//! request each, spread over instances) and the request that finds every
//! receipt assembles the set ([`run`]); in one process [`run`] draws what is
//! missing itself, at most `image_concurrency` at once.

use std::collections::{HashMap, HashSet};

use manga_ai::{ImageModel, PanelRequest};
use manga_domain::{
    ArtifactKey, CharacterBible, CharacterId, JobOptions, PanelArt, PanelArtSet, PanelId, PanelPlan, PhaseId,
    QualityReport, Reason, Shot, Storyboard,
};
use manga_proto::{PhaseAddress, PhaseRequest};

use crate::artifacts::{Receipt, UntilFirstFailure, load_json, pay_once, receipt, save_json};
use crate::{PhaseContext, PhaseError, PhaseOutput, Progress};

/// What drawing a panel needs, read once per request.
struct Inputs {
    storyboard: Storyboard,
    bible: CharacterBible,
    options: JobOptions,
    painter: std::sync::Arc<dyn ImageModel>,
    /// Remote models that take reference images get the cast's portraits, so faces stay the same.
    portraits: HashMap<CharacterId, bytes::Bytes>,
}

impl Inputs {
    /// Reads the storyboard, bible and options; the portraits only of `cast` (all: `None`).
    async fn load(ctx: &PhaseContext, at: PhaseAddress, cast: Option<&[CharacterId]>) -> Result<Self, PhaseError> {
        let blob = ctx.blob.as_ref();
        let storyboard = load_json(blob, &ArtifactKey::phase_output(at.job, at.version, PhaseId::Name)).await?;
        let bible: CharacterBible =
            load_json(blob, &ArtifactKey::phase_output(at.job, at.version, PhaseId::Characters)).await?;
        let options: JobOptions = load_json(blob, &ArtifactKey::options(at.job, at.version)).await?;
        let painter = ctx.image(PhaseId::Images, &options)?;
        let mut portraits = HashMap::new();
        if painter.accepts_references() {
            for sheet in bible.characters.iter().filter(|s| cast.is_none_or(|cast| cast.contains(&s.id))) {
                if let Some(key) = &sheet.portrait {
                    portraits.insert(sheet.id.clone(), ctx.blob.get(key).await?);
                }
            }
        }
        Ok(Self { storyboard, bible, options, painter, portraits })
    }

    /// Draws one panel, stores its art and its receipt, and adds what it used to the caller's ledger.
    async fn draw(&self, ctx: &PhaseContext, at: PhaseAddress, panel: PanelPlan) -> Result<PanelArt, PhaseError> {
        let request = PanelRequest {
            characters: panel.cast.iter().filter_map(|id| self.bible.get(id).cloned()).collect(),
            references: panel.cast.iter().filter_map(|id| self.portraits.get(id).cloned()).collect(),
            right_to_left: self.storyboard.reading_direction == manga_domain::ReadingDirection::RightToLeft,
            width: panel.frame.w.round() as u32,
            height: panel.frame.h.round() as u32,
            panel,
            seed: self.options.seed,
            attempt: at.attempt,
        };
        let receipt = ArtifactKey::drawn_panel(at.job, at.version, at.attempt, request.panel.id);
        pay_once(ctx.blob.as_ref(), &receipt, async {
            let image = self.painter.draw_panel(&request).await?;
            let key = ArtifactKey::panel_art(at.job, at.version, request.panel.id);
            ctx.blob.put(&key, image.png, "image/png").await?;
            Ok(PanelArt {
                panel: request.panel.id,
                image: key,
                width: image.width,
                height: image.height,
                figures: image.figures,
                provider: image.provider,
                figures_estimated: image.figures_estimated,
            })
        })
        .await
    }
}

/// The panels a request covers: those it names, or all.
fn requested(request: &PhaseRequest, storyboard: &Storyboard) -> Result<Vec<PanelPlan>, PhaseError> {
    let only = crate::scope::requested_panels(request, storyboard)?;
    Ok(storyboard.panels().filter(|p| only.is_empty() || only.contains(&p.id)).cloned().collect())
}

/// This attempt's receipt for a panel, if it drew it.
async fn drawn(ctx: &PhaseContext, at: PhaseAddress, panel: PanelId) -> Result<Option<Receipt<PanelArt>>, PhaseError> {
    receipt(ctx.blob.as_ref(), &ArtifactKey::drawn_panel(at.job, at.version, at.attempt, panel)).await
}

/// The panels of a request this attempt has not drawn yet: the fleet sends one message for each.
///
/// # Errors
/// [`PhaseError`] when the storyboard is missing or a requested panel is unknown.
pub async fn panels_to_draw(
    ctx: &PhaseContext,
    at: PhaseAddress,
    request: &PhaseRequest,
) -> Result<Vec<PanelId>, PhaseError> {
    let storyboard: Storyboard =
        load_json(ctx.blob.as_ref(), &ArtifactKey::phase_output(at.job, at.version, PhaseId::Name)).await?;
    let panels = requested(request, &storyboard)?;
    let mut missing = Vec::new();
    for panel in panels {
        if drawn(ctx, at, panel.id).await?.is_none() {
            missing.push(panel.id);
        }
    }
    Ok(missing)
}

/// Draws one panel of an attempt and keeps its receipt (a no-op when the receipt is there).
///
/// # Errors
/// [`PhaseError`] when inputs are missing, the panel is unknown, or the model fails.
pub async fn draw_panel(ctx: &PhaseContext, at: PhaseAddress, panel: PanelId) -> Result<PanelArt, PhaseError> {
    if let Some(kept) = drawn(ctx, at, panel).await? {
        return Ok(kept.made);
    }
    let storyboard: Storyboard =
        load_json(ctx.blob.as_ref(), &ArtifactKey::phase_output(at.job, at.version, PhaseId::Name)).await?;
    let plan = storyboard
        .panel(panel)
        .cloned()
        .ok_or_else(|| PhaseError::Invalid(format!("there is no panel {panel} in the storyboard")))?;
    let inputs = Inputs::load(ctx, at, Some(&plan.cast)).await?;
    inputs.draw(ctx, at, plan).await
}

/// Draws the panels (all, or only those the request names) that this attempt has no receipt
/// for, then stores `images.json`.
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
    let inputs = Inputs::load(ctx, at, None).await?;
    let set_key = ArtifactKey::phase_output(at.job, at.version, PhaseId::Images);
    let todo = requested(request, &inputs.storyboard)?;
    // A redraw of named panels keeps every other panel as it was.
    let mut kept: HashMap<PanelId, PanelArt> = HashMap::new();
    if todo.len() < inputs.storyboard.panels().count() {
        let redrawn: HashSet<PanelId> = todo.iter().map(|p| p.id).collect();
        let previous: PanelArtSet = load_json(blob, &set_key).await?;
        kept = previous.panels.into_iter().filter(|p| !redrawn.contains(&p.panel)).map(|p| (p.panel, p)).collect();
    }
    // Panels drawn by an earlier request or item of this attempt are kept, and what they used is counted.
    let total = todo.len();
    let mut done = 0;
    let mut missing = Vec::with_capacity(total);
    for panel in todo {
        match drawn(ctx, at, panel.id).await? {
            Some(receipt) => {
                let art = receipt.carry();
                kept.insert(art.panel, art);
                done += 1;
            }
            None => missing.push(panel),
        }
    }
    if done > 0 && !missing.is_empty() {
        progress.advance(done, total, format!("{done} panels kept from an earlier request")).await;
    }
    let drawing = missing.into_iter().map(|panel| inputs.draw(ctx, at, panel)).collect();
    let mut drawing = UntilFirstFailure::new(drawing, ctx.image_concurrency);
    while let Some(art) = drawing.next().await {
        done += 1;
        progress.advance(done, total, format!("panel {} drawn", art.panel)).await;
        kept.insert(art.panel, art);
    }
    drawing.finish()?;
    let panels: Vec<PanelArt> = inputs.storyboard.panels().filter_map(|p| kept.remove(&p.id)).collect();
    let set = PanelArtSet { panels };
    let quality = check(&inputs.storyboard, &set);
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
