//! Every prompt template rendered with a sample job, exactly as it is sent,
//! pinned in `tests/pinned/`. A change to a template or to what fills it shows
//! up here: if it is meant, bump the template's version and re-pin with
//! `PIN_PROMPTS=1 cargo test -p manga-ai --test pinned_prompts`.

#![allow(clippy::unwrap_used, reason = "test code: a failure is the test failing")]

mod common;

use std::path::PathBuf;

use manga_ai::{FaceRequest, FeedbackRequest, StoryboardRequest};
use manga_ai_fake::{Endpoint, FakeProviders};
use manga_domain::{
    BalloonKind, BalloonPlan, LineId, PagePlan, PageSize, PhaseId, ReadingDirection, SceneId, Storyboard,
};

#[tokio::test]
async fn every_template_renders_as_pinned_for_a_sample_job() {
    let fake = FakeProviders::start().await;
    fake.set_max_image_side(64);
    let models = common::models(&fake, &["gemini", "gemini-image"], &[("AI_CACHE", "off")]);
    let options = Default::default();
    let (text, image) =
        (models.text(PhaseId::Concept, &options).unwrap(), models.image(PhaseId::Images, &options).unwrap());

    let story = common::story();
    let concept = text.analyse_story(&story, &Default::default()).await.unwrap();
    let bible = text.design_characters(&story, &concept).await.unwrap();
    let plot = text.outline_plot(&story, &concept, &bible).await.unwrap();
    let mut panel = common::panel_request(vec![]).await;
    panel.panel.balloons = vec![BalloonPlan {
        line: Some(LineId(0)),
        kind: BalloonKind::Speech,
        speaker: panel.panel.cast.first().cloned(),
        text: "Is the lamp lit?".into(),
    }];
    let page = PagePlan { number: 1, scene: SceneId(0), layout: "3-tiers".into(), panels: vec![panel.panel.clone()] };
    let base =
        Storyboard { reading_direction: ReadingDirection::LeftToRight, page_size: PageSize::B5, pages: vec![page] };
    let layouts = vec![("3-tiers".to_owned(), 3), ("single".to_owned(), 1)];
    let request = StoryboardRequest { concept: &concept, bible: &bible, plot: &plot, base: &base, layouts };
    // The fake's koma-wari may not fit this one-page sample: only the prompt matters here.
    let _proposal = text.plan_storyboard(&request).await;
    let chat = FeedbackRequest {
        message: "Make Mara's line angrier".into(),
        phase: Some(PhaseId::Name),
        concept: Some(&concept),
        bible: Some(&bible),
        storyboard: Some(&base),
    };
    let _suggestion = text.suggest_feedback(&chat).await;
    let drawn = image.draw_panel(&panel).await.unwrap();
    let faces = FaceRequest { png: &drawn.png, width: drawn.width, height: drawn.height, cast: &panel.characters };
    text.locate_faces(&faces).await.unwrap();
    image.draw_portrait(&common::portrait_request().await).await.unwrap();

    let mut seen = Vec::new();
    let mut images = ["panel", "portrait"].into_iter();
    // The face request carries a picture but asks for JSON: it is a text task.
    for request in fake.requests_to(Endpoint::GenerateContent) {
        let image_request = request.json.as_ref().unwrap().pointer("/generationConfig/responseModalities").is_some();
        let image_request = image_request && request.task.as_deref() != Some("faces");
        let name = if image_request { images.next().unwrap().to_owned() } else { request.task.clone().unwrap() };
        if seen.contains(&name) {
            continue; // an answer asked again: the first asking is the template's
        }
        let (system, user) = request.prompt().unwrap();
        check(&name, &format!("=== system ===\n{system}\n=== user ===\n{user}\n"));
        seen.push(name);
    }
    assert_eq!(seen, ["concept", "characters", "plot", "storyboard", "feedback", "panel", "faces", "portrait"]);
}

fn check(name: &str, rendered: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/pinned").join(format!("{name}.txt"));
    #[allow(clippy::disallowed_methods, reason = "a test switch, read only here")]
    if std::env::var_os("PIN_PROMPTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, rendered).unwrap();
        return;
    }
    let pinned = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} is not pinned ({e}); run with PIN_PROMPTS=1", path.display()));
    assert!(
        pinned == rendered,
        "the {name} prompt changed; if that is meant, bump its template version and re-pin with PIN_PROMPTS=1.\n--- pinned\n{pinned}\n--- now\n{rendered}"
    );
}
