//! ComfyUI (queue, poll the history, fetch the image) against the fake providers.

#![allow(clippy::unwrap_used, reason = "test helpers: a failure is the test failing")]

mod common;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use manga_ai::providers::comfyui::{BUILTIN_WORKFLOW, ComfyUi, sdxl_size};
use manga_ai::remote::http::{CallPolicy, Http, Request};
use manga_ai::remote::limiter::Unlimited;
use manga_ai::remote::metrics::AiMetrics;
use manga_ai::remote::{PictureModel as _, PicturePrompt};
use manga_ai::{AiError, Ledger};
use manga_ai_fake::{BACKGROUND, Endpoint, FakeProviders, Fault};
use manga_domain::{JobOptions, PhaseId};

use common::models;

fn http() -> Http {
    let policy = CallPolicy { timeout: Duration::from_secs(5), attempts: 2, ..CallPolicy::default() };
    Http::new("comfyui", "sdxl", policy, 2, Arc::new(Unlimited), Arc::new(AiMetrics::new()))
}

fn picture_prompt() -> PicturePrompt {
    PicturePrompt {
        prompt: "A lighthouse keeper on the stairs.".into(),
        negative: "colour".into(),
        aspect: (3, 4),
        width: 300,
        height: 400,
        seed: 7,
        references: vec![],
    }
}

#[tokio::test]
async fn a_panel_is_queued_with_its_prompt_seed_and_size_polled_until_done_and_fetched() {
    let fake = FakeProviders::start().await;
    fake.set_max_image_side(512);
    let image = models(&fake, &["comfyui"], &[]).image(PhaseId::Images, &JobOptions::default()).unwrap();
    let ledger = Ledger::default();
    let drawn = ledger.scope(image.draw_panel(&common::panel_request(vec![]).await)).await.unwrap();
    assert_eq!((drawn.width, drawn.height, drawn.provider.as_str()), (300, 400, "comfyui"));
    assert_eq!(common::red_at(&drawn.png, 2, 2), BACKGROUND, "the fake's art");

    let requests = fake.requests();
    let route: Vec<(Endpoint, &str)> = requests.iter().map(|r| (r.endpoint, r.method.as_str())).collect();
    assert_eq!(
        route,
        [
            (Endpoint::ComfyPrompt, "POST"),
            (Endpoint::ComfyHistory, "GET"),
            (Endpoint::ComfyHistory, "GET"),
            (Endpoint::ComfyView, "GET")
        ],
        "queued, one poll still running, one done, then the download"
    );
    let queued = requests[0].json.as_ref().unwrap();
    assert_eq!(queued["client_id"], "manga");
    let workflow = &queued["prompt"];
    let prompt = workflow["6"]["inputs"]["text"].as_str().unwrap();
    assert!(prompt.contains("a tall woman with a grey braid and an oilskin coat"), "{prompt}");
    assert!(workflow["7"]["inputs"]["text"].as_str().unwrap().contains("watermark"));
    assert_eq!(workflow["3"]["inputs"]["seed"], 7);
    let (width, height) = sdxl_size(300, 400);
    assert_eq!(
        (workflow["5"]["inputs"]["width"].as_u64(), workflow["5"]["inputs"]["height"].as_u64()),
        (Some(768), Some(1024))
    );
    assert_eq!((width, height), (768, 1024));
    assert!(!workflow.to_string().contains("{{"), "every slot filled");

    let prompt_id = fake.requests()[0].id;
    let history = &requests[1];
    assert!(history.path.starts_with("/history/00000000-"), "{} (prompt {prompt_id})", history.path);
    assert_eq!(history.path, requests[2].path);
    let view = &requests[3];
    assert_eq!(view.query_param("filename").as_deref(), Some("manga_00001_.png"));
    assert_eq!(view.query_param("type").as_deref(), Some("output"));
    assert_eq!(view.query_param("subfolder").as_deref(), Some(""));
    let usage = &ledger.usage()[0];
    // The polls and the download are follow-ups of the one queued request, not model requests.
    assert_eq!((usage.requests, usage.images, usage.cost_usd), (1, 1, 0.0));
    assert!(fake.problems().is_empty(), "{:?}", fake.problems());
}

#[tokio::test]
async fn a_history_that_never_completes_ends_in_a_clear_timeout() {
    // The poll interval and the wait are not settings, so this goes through the provider type.
    let fake = FakeProviders::start().await;
    fake.comfyui_never_finish();
    let comfy = ComfyUi::new(http(), fake.url(), BUILTIN_WORKFLOW)
        .unwrap()
        .with_poll_interval(Duration::from_millis(20))
        .with_max_wait(Duration::from_millis(200));
    let error = comfy.generate_image(&picture_prompt()).await.unwrap_err();
    match &error {
        AiError::Unavailable { message, .. } => {
            assert!(
                message.contains("did not finish prompt 00000000-") && message.contains("within 0.2 s"),
                "{message}"
            );
        }
        other => panic!("a prompt that never finishes is a transient failure, not {other:?}"),
    }
    let polls = fake.requests_to(Endpoint::ComfyHistory).len();
    assert!((5..=12).contains(&polls), "polled every 20 ms for 200 ms: {polls}");
    assert!(fake.requests_to(Endpoint::ComfyView).is_empty());
}

#[tokio::test]
async fn a_failed_workflow_is_a_refusal_in_comfyuis_words_and_a_bad_view_is_malformed() {
    let fake = FakeProviders::start().await;
    fake.set_max_image_side(256);
    let comfy =
        ComfyUi::new(http(), fake.url(), BUILTIN_WORKFLOW).unwrap().with_poll_interval(Duration::from_millis(10));
    fake.fail_next_on(Endpoint::ComfyPrompt, &[Fault::Safety]);
    let error = comfy.generate_image(&picture_prompt()).await.unwrap_err();
    assert!(matches!(error, AiError::Rejected { .. }), "{error}");
    assert!(error.to_string().contains("KSampler (node 3): RuntimeError: The picture was flagged"), "{error}");

    fake.fail_next_on(Endpoint::ComfyPrompt, &[Fault::Empty]);
    let error = comfy.generate_image(&picture_prompt()).await.unwrap_err();
    assert!(error.to_string().contains("finished without an image"), "{error}");

    fake.fail_next_on(Endpoint::ComfyView, &[Fault::WrongContentType]);
    let error = comfy.generate_image(&picture_prompt()).await.unwrap_err();
    assert!(matches!(error, AiError::Malformed { .. }) && error.to_string().contains("text/html"), "{error}");

    // A 503 on a poll is retried like any call.
    fake.fail_next_on(Endpoint::ComfyHistory, &[Fault::Unavailable]);
    let picture = comfy.generate_image(&picture_prompt()).await.unwrap();
    assert!(picture.bytes.starts_with(b"\x89PNG") && picture.mime == "image/png");
    assert!(fake.problems().is_empty(), "{:?}", fake.problems());
}

#[tokio::test]
async fn a_workflow_with_an_unfilled_number_slot_is_refused_as_comfyui_would() {
    let fake = FakeProviders::start().await;
    // `{{width}}` left as text where ComfyUI wants an INT, as a workflow with a typo'd slot would send it.
    let workflow = BUILTIN_WORKFLOW.replace("{{width}}", "{{wdth}}");
    let comfy = ComfyUi::new(http(), fake.url(), &workflow).unwrap();
    let error = comfy.generate_image(&picture_prompt()).await.unwrap_err();
    assert!(matches!(error, AiError::Rejected { .. }), "{error}");
    assert!(error.to_string().contains("Prompt outputs failed validation"), "{error}");
    assert_eq!(fake.problems().len(), 1, "{:?}", fake.problems());
    assert!(fake.problems()[0].contains("INT"), "{:?}", fake.problems());
}

#[tokio::test]
async fn an_uploaded_reference_image_can_be_viewed_back() {
    // ComfyUI's provider does not upload yet (its workflows take no images); the fake and the shared call path do.
    let fake = FakeProviders::start().await;
    let png = Bytes::from(manga_ai_fake::png(16, 16));
    let upload = Request {
        multipart: Some(vec![("image".into(), "ref.png".into(), png.clone(), "image/png".into())]),
        ..Request::post_json(format!("{}/upload/image", fake.url()), serde_json::Value::Null)
    };
    let upload = Request { json: None, ..upload };
    let answer = http().send(&upload).await.unwrap().json("comfyui").unwrap();
    assert_eq!(answer, serde_json::json!({"name": "ref.png", "subfolder": "", "type": "input"}));
    let recorded = fake.requests().pop().unwrap();
    assert!(recorded.header("content-type").unwrap().starts_with("multipart/form-data; boundary="));
    let back = http().send(&Request::get(format!("{}/view?filename=ref.png&type=input", fake.url()))).await.unwrap();
    assert_eq!(back.body, png);
}
