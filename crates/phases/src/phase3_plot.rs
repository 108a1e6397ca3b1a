//! Phase 3, plot: scenes with beats and pages, checked to cover the story exactly.

use manga_domain::{ArtifactKey, CharacterBible, Concept, JobOptions, PhaseId, Plot, QualityReport, Reason};
use manga_proto::PhaseAddress;

use crate::artifacts::{load_json, save_json};
use crate::phase1_concept::load_story;
use crate::{PhaseContext, PhaseError, PhaseOutput};

/// Outlines the plot, stores `plot.json`.
///
/// # Errors
/// [`PhaseError`] when inputs are missing or the model fails.
pub async fn run(ctx: &PhaseContext, at: PhaseAddress) -> Result<PhaseOutput, PhaseError> {
    let story = load_story(ctx, at).await?;
    let blob = ctx.blob.as_ref();
    let concept: Concept = load_json(blob, &ArtifactKey::phase_output(at.job, at.version, PhaseId::Concept)).await?;
    let bible: CharacterBible =
        load_json(blob, &ArtifactKey::phase_output(at.job, at.version, PhaseId::Characters)).await?;
    let options: JobOptions = load_json(blob, &ArtifactKey::options(at.job, at.version)).await?;
    let plot = ctx.text(PhaseId::Plot, &options)?.outline_plot(&story, &concept, &bible).await?;
    let quality = check(&concept, &plot);
    let key = ArtifactKey::phase_output(at.job, at.version, PhaseId::Plot);
    save_json(blob, &key, &plot).await?;
    Ok(PhaseOutput { outputs: vec![key], quality })
}

/// Checks that scenes cover every sentence once, in order, every line once,
/// and that pages add up to the concept's page count.
pub fn check(concept: &Concept, plot: &Plot) -> QualityReport {
    let mut reasons = Vec::new();
    let mut reason = |code: &str, message: String, penalty: f32| {
        reasons.push(Reason { code: code.into(), message, blame: PhaseId::Plot, penalty });
    };
    if plot.scenes.is_empty() {
        reason("no_scenes", "the plot has no scenes".into(), 1.0);
        return QualityReport::from_reasons(reasons);
    }
    let mut expected = 0;
    for scene in &plot.scenes {
        if scene.sentences.first != expected || scene.sentences.last < scene.sentences.first {
            reason("scene_gap", format!("scene {} does not start where the previous one ended", scene.id.0), 0.4);
            break;
        }
        expected = scene.sentences.last + 1;
    }
    if expected as usize != concept.sentences.len() {
        reason("scene_coverage", format!("scenes cover {expected} of {} sentences", concept.sentences.len()), 0.4);
    }
    let mut lines: Vec<u32> = plot.scenes.iter().flat_map(|s| s.lines.iter().map(|l| l.0)).collect();
    lines.sort_unstable();
    if lines != (0..concept.dialogue.len() as u32).collect::<Vec<_>>() {
        reason("line_coverage", "not every dialogue line is in exactly one scene".into(), 0.4);
    }
    let pages: u32 = plot.scenes.iter().map(|s| u32::from(s.pages)).sum();
    if pages != u32::from(concept.page_count.get()) || plot.scenes.iter().any(|s| s.pages == 0) {
        let message = format!("scenes take {pages} pages; the concept asks for {}", concept.page_count.get());
        reason("page_allotment", message, 0.3);
    }
    QualityReport::from_reasons(reasons)
}
