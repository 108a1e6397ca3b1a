//! Phase 7, compose: lettered panels into pages, and the quality checks that
//! decide whether a phase must be redone.

use std::collections::{BTreeSet, HashMap};

use futures_util::{StreamExt, TryStreamExt, stream};
use manga_domain::{
    ArtifactKey, ComposedPage, Composition, Concept, LetteredPanel, LetteringSet, PagePlan, PhaseId, QualityReport,
    Reason, Storyboard,
};
use manga_proto::{PhaseAddress, PhaseRequest};
use manga_render::compose::{PlacedPanel, compose_page};
use manga_render::image_io::{PngSpeed, decode_png, encode_png};

use crate::artifacts::{load_json, save_json};
use crate::phase4_name::reading_order_violations;
use crate::phase6_lettering::panel_defects;
use crate::{PhaseContext, PhaseError, PhaseOutput, Progress};

/// Composes every page and stores `compose.json`.
///
/// # Errors
/// [`PhaseError`] when inputs are missing or images cannot be read.
pub async fn run(
    ctx: &PhaseContext,
    at: PhaseAddress,
    request: &PhaseRequest,
    progress: &Progress,
) -> Result<PhaseOutput, PhaseError> {
    let blob = ctx.blob.as_ref();
    let concept: Concept = load_json(blob, &ArtifactKey::phase_output(at.job, at.version, PhaseId::Concept)).await?;
    let storyboard: Storyboard = load_json(blob, &ArtifactKey::phase_output(at.job, at.version, PhaseId::Name)).await?;
    let lettering: LetteringSet =
        load_json(blob, &ArtifactKey::phase_output(at.job, at.version, PhaseId::Lettering)).await?;
    let set_key = ArtifactKey::phase_output(at.job, at.version, PhaseId::Compose);
    // Named panels recompose only the pages holding them; the others stay as they were.
    let only = crate::handler::requested_panels(request, &storyboard)?;
    let mut kept: HashMap<u16, ComposedPage> = HashMap::new();
    if !only.is_empty() {
        let previous: Composition = load_json(blob, &set_key).await?;
        let touched: BTreeSet<u16> = only.iter().map(|p| p.page()).collect();
        kept = previous.pages.into_iter().filter(|p| !touched.contains(&p.number)).map(|p| (p.number, p)).collect();
    }
    let todo: Vec<PagePlan> = storyboard.pages.iter().filter(|p| !kept.contains_key(&p.number)).cloned().collect();
    let total = todo.len();
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let page_size = storyboard.page_size;
    let direction = storyboard.reading_direction;
    let cast = std::sync::Arc::new(concept.characters.clone());
    let composed: Vec<ComposedPage> = stream::iter(todo)
        .map(|plan| {
            let (ctx, progress, done, cast) = (ctx.clone(), progress.clone(), done.clone(), cast.clone());
            let lettered: Result<Vec<LetteredPanel>, PhaseError> = plan
                .panels
                .iter()
                .map(|p| lettering.panels.iter().find(|l| l.panel == p.id).cloned())
                .collect::<Option<_>>()
                .ok_or_else(|| {
                    PhaseError::Invalid(format!("page {} has a panel that was never lettered", plan.number))
                });
            async move {
                let panels = lettered?;
                let mut images = Vec::with_capacity(panels.len());
                for panel in &panels {
                    images.push(ctx.blob.get(&panel.image).await?);
                }
                let number = plan.number;
                let size = page_size;
                let (png, quality) = tokio::task::spawn_blocking(move || {
                    let pixmaps = images.iter().map(|b| decode_png(b)).collect::<Result<Vec<_>, _>>()?;
                    let placed: Vec<PlacedPanel<'_>> = plan
                        .panels
                        .iter()
                        .zip(&pixmaps)
                        .map(|(p, image)| PlacedPanel { frame: p.frame, image })
                        .collect();
                    let page = compose_page(size, &placed, plan.number)?;
                    let quality = check_page(&plan, &panels, direction, &cast);
                    Ok::<_, PhaseError>((encode_png(&page, PngSpeed::Fast)?, quality))
                })
                .await
                .map_err(|e| PhaseError::Invalid(format!("compose worker stopped: {e}")))??;
                let key = ArtifactKey::page(at.job, at.version, number);
                ctx.blob.put(&key, png.into(), "image/png").await?;
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                progress.advance(n, total, format!("page {number} composed")).await;
                Ok::<_, PhaseError>(ComposedPage {
                    number,
                    image: key,
                    width: page_size.width,
                    height: page_size.height,
                    quality,
                })
            }
        })
        .buffered(cpus)
        .try_collect()
        .await?;
    let outputs = std::iter::once(set_key.clone()).chain(composed.iter().map(|p| p.image.clone())).collect();
    kept.extend(composed.into_iter().map(|p| (p.number, p)));
    let pages: Vec<ComposedPage> = storyboard.pages.iter().filter_map(|p| kept.remove(&p.number)).collect();
    let quality = check_book(&concept, &storyboard, &lettering, &pages);
    let composition = Composition { pages, quality: quality.clone() };
    save_json(blob, &set_key, &composition).await?;
    Ok(PhaseOutput { outputs, quality })
}

/// A page's checks: lettering defects, empty panels, reading order.
pub fn check_page(
    plan: &PagePlan,
    panels: &[LetteredPanel],
    direction: manga_domain::ReadingDirection,
    cast: &[manga_domain::NamedCharacter],
) -> QualityReport {
    let mut reasons: Vec<Reason> = panels.iter().flat_map(|p| panel_defects(p, cast, direction)).collect();
    let frames: Vec<_> = plan.panels.iter().map(|p| p.frame).collect();
    let violations = reading_order_violations(&frames, direction);
    if violations > 0 {
        reasons.push(Reason {
            code: "reading_order".into(),
            message: format!("page {}: panels are out of reading order {violations} times", plan.number),
            blame: PhaseId::Name,
            penalty: 0.3,
        });
    }
    QualityReport::from_reasons(reasons)
}

/// The book's checks: every dialogue line lettered, and the worst page.
pub fn check_book(
    concept: &Concept,
    storyboard: &Storyboard,
    lettering: &LetteringSet,
    pages: &[ComposedPage],
) -> QualityReport {
    let mut reasons = Vec::new();
    let lettered: BTreeSet<u32> =
        lettering.panels.iter().flat_map(|p| &p.balloons).filter_map(|b| b.line).map(|l| l.0).collect();
    let planned: BTreeSet<u32> =
        storyboard.panels().flat_map(|p| &p.balloons).filter_map(|b| b.line).map(|l| l.0).collect();
    let missing: Vec<u32> = (0..concept.dialogue.len() as u32).filter(|i| !lettered.contains(i)).collect();
    if !missing.is_empty() {
        let blame = if missing.iter().all(|i| planned.contains(i)) { PhaseId::Lettering } else { PhaseId::Name };
        let message = format!("{} of {} dialogue lines are not on any page", missing.len(), concept.dialogue.len());
        reasons.push(Reason { code: "dialogue_coverage".into(), message, blame, penalty: 0.5 });
    }
    // The book is as good as its worst page.
    if let Some(worst) = pages.iter().min_by(|a, b| a.quality.score.get().total_cmp(&b.quality.score.get())) {
        for r in &worst.quality.reasons {
            reasons.push(Reason { message: format!("page {}: {}", worst.number, r.message), ..r.clone() });
        }
    }
    QualityReport::from_reasons(reasons)
}
