//! The quality gate: a score below 0.70 re-runs the phase to blame (at most
//! 3 attempts) and everything after it; a permanent failure ends the job
//! with the phase's reason.

use std::sync::Arc;

use async_trait::async_trait;
use manga_ai::{
    AiError, ConceptRequest, DrawnImage, ImageModel, LocalProvider, PanelRequest, PortraitRequest, TextModel,
};
use manga_domain::{CharacterBible, Concept, JobId, JobOptions, PageCount, PhaseId, Plot, StoryText};
use manga_orchestrator::embedded::Embedded;
use manga_orchestrator::{JobError, JobSpec, MAX_QUALITY_ATTEMPTS};
use manga_render::image_io::{PngSpeed, encode_png, new_pixmap};

/// Draws blank panels until attempt `good_from`, then real ones.
struct BlankUntil {
    good_from: u32,
}

#[async_trait]
impl ImageModel for BlankUntil {
    fn name(&self) -> &str {
        "blank-until"
    }

    async fn draw_panel(&self, request: &PanelRequest) -> Result<DrawnImage, AiError> {
        if request.attempt >= self.good_from {
            return LocalProvider.draw_panel(request).await;
        }
        let mut pixmap = new_pixmap(request.width, request.height).expect("size");
        pixmap.fill(manga_render::tiny_skia::Color::WHITE);
        let png = encode_png(&pixmap, PngSpeed::Fast).expect("png");
        Ok(DrawnImage {
            png: png.into(),
            width: request.width,
            height: request.height,
            figures: vec![],
            provider: "blank".into(),
            figures_estimated: false,
        })
    }

    async fn draw_portrait(&self, request: &PortraitRequest) -> Result<DrawnImage, AiError> {
        LocalProvider.draw_portrait(request).await
    }
}

/// A text model that refuses everything.
struct Refusing;

#[async_trait]
impl TextModel for Refusing {
    fn name(&self) -> &str {
        "refusing"
    }
    async fn analyse_story(&self, _: &StoryText, _: &ConceptRequest) -> Result<Concept, AiError> {
        Err(AiError::Rejected { provider: "refusing".into(), message: "the content policy says no".into() })
    }
    async fn design_characters(&self, _: &StoryText, _: &Concept) -> Result<CharacterBible, AiError> {
        unreachable!("phase 1 failed")
    }
    async fn outline_plot(&self, _: &StoryText, _: &Concept, _: &CharacterBible) -> Result<Plot, AiError> {
        unreachable!("phase 1 failed")
    }
}

fn spec() -> JobSpec {
    let story = "「待って！」とミナが叫んだ。\n\nケンは振り返った。「どうしたの？」\n\n二人は森の中を走った。「こっちだ」とケンが言った。";
    JobSpec {
        job: JobId::new(),
        story: StoryText::parse(story).expect("story"),
        options: JobOptions { pages: Some(PageCount::parse(2).expect("2")), ..JobOptions::default() },
    }
}

#[tokio::test]
async fn blank_panels_fail_the_gate_and_only_images_and_what_follows_are_redone() {
    let work = tempfile::tempdir().unwrap();
    let pipeline = Embedded::start_with(work.path(), Arc::new(LocalProvider), Arc::new(BlankUntil { good_from: 2 }))
        .await
        .unwrap();
    let report = pipeline.run_job(&spec()).await.expect("the job recovers");
    let attempts = |phase| report.phases.iter().find(|r| r.phase == phase).expect("record").attempts;
    assert_eq!(attempts(PhaseId::Concept), 1);
    assert_eq!(attempts(PhaseId::Name), 1);
    assert_eq!(attempts(PhaseId::Images), 2, "images drawn again");
    assert!(report.retries.iter().any(|r| r.phase == PhaseId::Images && r.score < 0.70), "{:?}", report.retries);
    let compose = report.phases.iter().find(|r| r.phase == PhaseId::Compose).unwrap();
    assert!(compose.quality.passes(), "after the redraw the pages pass: {:?}", compose.reasons);
}

#[tokio::test]
async fn a_phase_that_never_passes_is_accepted_after_three_attempts_with_its_reasons() {
    let work = tempfile::tempdir().unwrap();
    let never = Arc::new(BlankUntil { good_from: u32::MAX });
    let pipeline = Embedded::start_with(work.path(), Arc::new(LocalProvider), never).await.unwrap();
    let report = pipeline.run_job(&spec()).await.expect("the job still finishes");
    let images = report.phases.iter().find(|r| r.phase == PhaseId::Images).unwrap();
    assert_eq!(images.attempts, MAX_QUALITY_ATTEMPTS);
    let compose = report.phases.iter().find(|r| r.phase == PhaseId::Compose).unwrap();
    assert!(!compose.quality.passes());
    assert!(compose.reasons.iter().any(|r| r.contains("is blank")), "{:?}", compose.reasons);
    assert_eq!(report.phases.len(), 8, "publish still ran");
}

#[tokio::test]
async fn a_permanent_failure_ends_the_job_with_the_phase_and_its_reason() {
    let work = tempfile::tempdir().unwrap();
    let pipeline = Embedded::start_with(work.path(), Arc::new(Refusing), Arc::new(LocalProvider)).await.unwrap();
    let err = pipeline.run_job(&spec()).await.unwrap_err();
    assert!(matches!(err, JobError::Failed { phase: PhaseId::Concept, .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "phase 1 concept failed: the refusing model cannot do this: the content policy says no"
    );
}
