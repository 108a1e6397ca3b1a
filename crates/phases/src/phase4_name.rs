//! Phase 4, name (storyboard): scenes become pages, sentences and dialogue
//! become panels with shots, cast, balloons and SFX.
//!
//! Deterministic and model-free: the layout library gives real manga pages,
//! and every dialogue line lands in exactly one panel, in story order.

pub mod layouts;
mod panels;

use manga_domain::{
    ArtifactKey, BalloonKind, CharacterBible, Concept, JobOptions, LineId, PagePlan, PageSize, PhaseId, Plot,
    QualityReport, Reason, Storyboard,
};
use manga_proto::PhaseAddress;

use crate::artifacts::{load_json, save_json};
use crate::{PhaseContext, PhaseError, PhaseOutput};
pub use layouts::{Layout, reading_order_violations};
pub use panels::{max_balloon_chars, split_balloon_text};

/// Panels a page may have.
pub const PANELS_PER_PAGE: std::ops::RangeInclusive<usize> = 3..=7;

/// Builds the storyboard and stores `name.json`.
///
/// # Errors
/// [`PhaseError`] when inputs are missing.
pub async fn run(ctx: &PhaseContext, at: PhaseAddress) -> Result<PhaseOutput, PhaseError> {
    let blob = ctx.blob.as_ref();
    let concept: Concept = load_json(blob, &ArtifactKey::phase_output(at.job, at.version, PhaseId::Concept)).await?;
    let bible: CharacterBible =
        load_json(blob, &ArtifactKey::phase_output(at.job, at.version, PhaseId::Characters)).await?;
    let plot: Plot = load_json(blob, &ArtifactKey::phase_output(at.job, at.version, PhaseId::Plot)).await?;
    let options: JobOptions = load_json(blob, &ArtifactKey::options(at.job, at.version)).await?;
    let storyboard = storyboard(&concept, &bible, &plot, options.seed, at.attempt)?;
    let quality = check(&concept, &storyboard);
    let key = ArtifactKey::phase_output(at.job, at.version, PhaseId::Name);
    save_json(blob, &key, &storyboard).await?;
    Ok(PhaseOutput { outputs: vec![key], quality })
}

/// The storyboard for a plot. `attempt` varies layout choices on a retry.
///
/// # Errors
/// [`PhaseError::Invalid`] for a plot without scenes.
pub fn storyboard(
    concept: &Concept,
    bible: &CharacterBible,
    plot: &Plot,
    seed: u64,
    attempt: u32,
) -> Result<Storyboard, PhaseError> {
    if plot.scenes.is_empty() {
        return Err(PhaseError::Invalid("the plot has no scenes to storyboard".into()));
    }
    let size = PageSize::B5;
    let direction = concept.reading_direction;
    let mut pages: Vec<PagePlan> = Vec::new();
    for scene in &plot.scenes {
        let page_count = usize::from(scene.pages.max(1));
        let groups = panels::group_beats(concept, scene, page_count);
        let per_page = panels::panels_per_page(groups.len(), page_count);
        let mut groups = groups.into_iter();
        for (i, &n) in per_page.iter().enumerate() {
            let number = pages.len() as u16 + 1;
            let layout = choose_layout(n, i == 0, seed ^ u64::from(attempt).wrapping_mul(0x9e37_79b9), number);
            let frames = layout.frames(size, direction);
            let page_groups: Vec<_> = groups.by_ref().take(n).collect();
            let panel_plans = page_groups
                .iter()
                .zip(frames)
                .enumerate()
                .map(|(j, (group, frame))| {
                    panels::plan_panel(concept, bible, scene, group, number, j, frame, i == 0 && j == 0, seed)
                })
                .collect::<Result<Vec<_>, _>>()?;
            pages.push(PagePlan { number, scene: scene.id, layout: layout.name.to_owned(), panels: panel_plans });
        }
    }
    Ok(Storyboard { reading_direction: direction, page_size: size, pages })
}

/// Picks a layout with `n` panels; a scene's first page opens with a wide panel.
fn choose_layout(n: usize, opens_scene: bool, seed: u64, page: u16) -> &'static Layout {
    let candidates: Vec<&Layout> = Layout::with_panels(n).filter(|l| !opens_scene || l.opens_wide()).collect();
    let pick = manga_domain_hash(seed, u64::from(page)) as usize % candidates.len().max(1);
    candidates.get(pick).copied().unwrap_or(&layouts::LAYOUTS[0])
}

/// A small stable mix of two numbers.
pub(crate) fn manga_domain_hash(a: u64, b: u64) -> u64 {
    let mut x = a ^ b.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Checks the storyboard: every line once and whole, reading order, panel counts, balloon text length.
pub fn check(concept: &Concept, storyboard: &Storyboard) -> QualityReport {
    let mut reasons = Vec::new();
    let mut reason = |code: &str, message: String, penalty: f32| {
        reasons.push(Reason { code: code.into(), message, blame: PhaseId::Name, penalty });
    };
    // Dialogue coverage: parts of a line, in order, must rebuild it exactly.
    let mut seen: Vec<(LineId, String)> = Vec::new();
    for balloon in storyboard.panels().flat_map(|p| &p.balloons) {
        let Some(line) = balloon.line else { continue };
        match seen.last_mut() {
            Some((last, text)) if *last == line => text.push_str(&balloon.text),
            _ => seen.push((line, balloon.text.clone())),
        }
    }
    let expected: Vec<(LineId, String)> = concept.dialogue.iter().map(|l| (l.id, compact(&l.text))).collect();
    let got: Vec<(LineId, String)> = seen.into_iter().map(|(id, t)| (id, compact(&t))).collect();
    if got != expected {
        let missing = expected.iter().filter(|e| !got.contains(e)).count();
        let extra = got.len().saturating_sub(expected.len() - missing);
        reason(
            "dialogue_coverage",
            format!("{missing} dialogue lines missing or altered, {extra} extra or repeated"),
            0.5,
        );
    }
    for page in &storyboard.pages {
        if !PANELS_PER_PAGE.contains(&page.panels.len()) {
            reason("panel_count", format!("page {} has {} panels", page.number, page.panels.len()), 0.1);
        }
        let frames: Vec<_> = page.panels.iter().map(|p| p.frame).collect();
        let violations = reading_order_violations(&frames, storyboard.reading_direction);
        if violations > 0 {
            reason("reading_order", format!("page {} breaks reading order {violations} times", page.number), 0.2);
        }
    }
    let limit = max_balloon_chars(concept.language);
    let long = storyboard
        .panels()
        .flat_map(|p| &p.balloons)
        .filter(|b| b.kind != BalloonKind::Narration && b.text.chars().count() > limit)
        .count();
    if long > 0 {
        reason("balloon_length", format!("{long} balloons exceed {limit} characters"), 0.1);
    }
    QualityReport::from_reasons(reasons)
}

/// Text without whitespace, for comparing a line with its re-joined parts.
fn compact(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}
