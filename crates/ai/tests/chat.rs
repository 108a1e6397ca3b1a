//! Chat through a remote text model: a person's free-form message becomes one
//! feedback action, answered as JSON by the fake and checked against the job.

#![allow(clippy::unwrap_used, reason = "test code: a failure is the test failing")]

mod common;

use manga_ai::{AiError, FeedbackRequest};
use manga_ai_fake::{Endpoint, FakeProviders};
use manga_domain::{
    BalloonKind, BalloonPlan, FeedbackAction, LineId, PagePlan, PageSize, PhaseId, ReadingDirection, SceneId,
    Storyboard, Target,
};
use serde_json::json;

/// A one-page storyboard of [`common::STORY`] whose panel 1-1 carries line 1.
async fn storyboard() -> Storyboard {
    let mut panel = common::panel_request(vec![]).await.panel;
    panel.balloons = vec![BalloonPlan {
        line: Some(LineId(1)),
        kind: BalloonKind::Speech,
        speaker: panel.cast.first().cloned(),
        text: "Is the lamp lit?".into(),
    }];
    let page = PagePlan { number: 1, scene: SceneId(1), layout: "single".into(), panels: vec![panel] };
    Storyboard { reading_direction: ReadingDirection::LeftToRight, page_size: PageSize::B5, pages: vec![page] }
}

#[tokio::test]
async fn a_message_becomes_one_checked_action_and_nonsense_is_refused_with_the_models_words() {
    let fake = FakeProviders::start().await;
    let models = common::models(&fake, &["gemini"], &[]);
    let text = models.text(PhaseId::Concept, &Default::default()).unwrap();
    let (concept, bible) = common::local_cast().await;
    let board = storyboard().await;
    let ask = |message: &str| FeedbackRequest {
        message: message.into(),
        phase: Some(PhaseId::Name),
        concept: Some(&concept),
        bible: Some(&bible),
        storyboard: Some(&board),
    };

    let edit = text.suggest_feedback(&ask("Change line 1 to \"Is the lamp burning?\"")).await.unwrap();
    assert_eq!(edit.phase, PhaseId::Name);
    let expected = FeedbackAction::Edit {
        field: "/pages/0/panels/0/balloons/0/text".into(),
        value: json!("Is the lamp burning?"),
    };
    assert_eq!(edit.action, expected);

    let redraw = text.suggest_feedback(&ask("please redraw page 1")).await.unwrap();
    assert_eq!(
        (redraw.phase, redraw.action),
        (PhaseId::Images, FeedbackAction::Regenerate { target: Target::Page(1) })
    );

    let mood = text.suggest_feedback(&ask("make the mood more dark")).await.unwrap();
    assert_eq!(mood.action, FeedbackAction::Edit { field: "/mood".into(), value: json!("dark") });
    assert_eq!(mood.phase, PhaseId::Concept);

    // The request: the message is data inside <message>, the job's lines and panels are listed.
    let sent = fake.requests_to(Endpoint::GenerateContent);
    let (system, user) = sent[0].prompt().unwrap();
    assert!(system.contains("exactly one editing action"), "{system}");
    assert!(user.contains("<message>\nChange line 1 to \"Is the lamp burning?\"\n</message>"), "{user}");
    assert!(user.contains("line:1 (panel p01-1): Is the lamp lit?") && user.contains("page:1: panel:p01-1"), "{user}");

    // A page that does not exist is fed back to the model, which cannot do better here: a clear refusal.
    fake.answer("feedback", json!({"action": "regenerate", "target": "page:9", "summary": "Page 9 is redrawn."}));
    let err = text.suggest_feedback(&ask("redraw page 9")).await.unwrap_err();
    assert!(matches!(err, AiError::Malformed { .. }), "{err}");
    assert!(err.to_string().contains("page:9"), "{err}");
    let retried = fake.requests_to(Endpoint::GenerateContent).len() - sent.len();
    assert_eq!(retried, 3, "asked three times, the problem fed back");

    fake.answer("feedback", json!({"action": "unclear", "summary": "I could not tell what to change."}));
    let err = text.suggest_feedback(&ask("banana")).await.unwrap_err();
    assert!(matches!(err, AiError::Rejected { .. }), "{err}");
    assert!(err.to_string().contains("could not tell what to change"), "{err}");
}
