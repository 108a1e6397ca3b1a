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
            (Endpoint::ComfyHistory, "GET"),
            (Endpoint::ComfyQueue, "GET"),
            (Endpoint::ComfyPrompt, "POST"),
            (Endpoint::ComfyHistory, "GET"),
            (Endpoint::ComfyHistory, "GET"),
            (Endpoint::ComfyView, "GET")
        ],
        "not known yet, so queued; one poll still running, one done, then the download"
    );
    let queued = requests[2].json.as_ref().unwrap();
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

    // The id is ours, so the looks before and the polls after ask for the same one.
    let prompt_id = queued["prompt_id"].as_str().unwrap();
    assert_eq!(prompt_id.len(), 36, "{prompt_id}");
    for i in [0, 3, 4] {
        assert_eq!(requests[i].path, format!("/history/{prompt_id}"));
    }
    let view = &requests[5];
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
            assert!(message.contains("did not finish prompt ") && message.contains("within 0.2 s"), "{message}");
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
async fn a_lost_answer_to_the_queue_call_is_looked_up_not_queued_again_and_a_repeat_is_found_done() {
    let fake = FakeProviders::start().await;
    let policy = CallPolicy { timeout: Duration::from_millis(300), attempts: 3, ..CallPolicy::default() };
    let http = Http::new("comfyui", "sdxl", policy, 2, Arc::new(Unlimited), Arc::new(AiMetrics::new()));
    let comfy = ComfyUi::new(http, fake.url(), BUILTIN_WORKFLOW).unwrap().with_poll_interval(Duration::from_millis(10));
    // ComfyUI queues the prompt, then its answer never arrives in time.
    fake.fail_next_on(Endpoint::ComfyPrompt, &[Fault::Timeout(Duration::from_millis(600))]);
    let ledger = Ledger::default();
    let picture = ledger.scope(comfy.generate_image(&picture_prompt())).await.unwrap();
    assert!(picture.bytes.starts_with(b"\x89PNG"));
    assert_eq!(fake.comfyui_queued(), 1, "the timed-out queue call was found in the queue, not sent again");
    assert_eq!(fake.requests_to(Endpoint::ComfyPrompt).len(), 1);
    assert_eq!(ledger.usage()[0].retries, 1, "one retry, which looked first and found it queued");

    // The same picture again (another instance, a redelivery): found done, nothing rendered.
    let again = comfy.generate_image(&picture_prompt()).await.unwrap();
    assert_eq!(again.bytes, picture.bytes);
    assert_eq!(fake.comfyui_queued(), 1);

    // A 503 is not queued at all, so it is sent again.
    fake.fail_next_on(Endpoint::ComfyPrompt, &[Fault::Unavailable]);
    let other = PicturePrompt { seed: 8, ..picture_prompt() };
    let ledger = Ledger::default();
    ledger.scope(comfy.generate_image(&other)).await.unwrap();
    assert_eq!((fake.comfyui_queued(), fake.requests_to(Endpoint::ComfyPrompt).len()), (2, 3));
    assert_eq!(ledger.usage()[0].retries, 1);
    assert!(fake.problems().is_empty(), "{:?}", fake.problems());
}

#[tokio::test]
async fn a_picture_whose_run_failed_is_queued_again_under_the_next_id() {
    let fake = FakeProviders::start().await;
    let comfy =
        ComfyUi::new(http(), fake.url(), BUILTIN_WORKFLOW).unwrap().with_poll_interval(Duration::from_millis(10));
    fake.fail_next_on(Endpoint::ComfyPrompt, &[Fault::Safety]);
    assert!(comfy.generate_image(&picture_prompt()).await.is_err());
    comfy.generate_image(&picture_prompt()).await.unwrap();
    let ids: Vec<String> = fake
        .requests_to(Endpoint::ComfyPrompt)
        .iter()
        .map(|r| r.json.as_ref().unwrap()["prompt_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1], "the failure stays in ComfyUI's history under the first id");
}

#[tokio::test]
async fn a_reference_workflow_uploads_the_first_portrait_and_loads_it_by_name() {
    let fake = FakeProviders::start().await;
    fake.set_max_image_side(256);
    let reference = include_str!("../workflows/sdxl-revision-reference.json");
    let comfy = ComfyUi::new(http(), fake.url(), BUILTIN_WORKFLOW)
        .unwrap()
        .with_poll_interval(Duration::from_millis(10))
        .with_reference_workflow(reference)
        .unwrap();
    assert!(comfy.accepts_references());
    let portrait = Bytes::from(manga_ai_fake::png(32, 48));
    let with_cast =
        PicturePrompt { references: vec![portrait.clone(), Bytes::from(manga_ai_fake::png(8, 8))], ..picture_prompt() };
    comfy.generate_image(&with_cast).await.unwrap();
    assert!(fake.problems().is_empty(), "ComfyUI would accept it: {:?}", fake.problems());

    let uploads = fake.requests_to(Endpoint::ComfyUpload);
    assert_eq!(uploads.len(), 1, "the first portrait only");
    assert!(uploads[0].header("content-type").unwrap().starts_with("multipart/form-data; boundary="));
    let body = String::from_utf8_lossy(&uploads[0].body);
    assert!(body.contains("name=\"overwrite\"\r\n\r\ntrue"), "overwrite is a plain field");
    let graph = fake.requests_to(Endpoint::ComfyPrompt)[0].json.as_ref().unwrap()["prompt"].clone();
    let name = graph["10"]["inputs"]["image"].as_str().unwrap().to_owned();
    assert!(name.starts_with("manga-ref-") && name.ends_with(".png"), "{name}");
    assert_eq!(graph["12"]["class_type"], "unCLIPConditioning");
    let back = http().send(&Request::get(format!("{}/view?filename={name}&type=input", fake.url()))).await.unwrap();
    assert_eq!(back.body, portrait, "the uploaded bytes are the portrait's");

    // Without portraits (phase 2 draws them) the plain workflow runs.
    comfy.generate_image(&picture_prompt()).await.unwrap();
    assert_eq!(fake.requests_to(Endpoint::ComfyUpload).len(), 1);
    let plain = fake.requests_to(Endpoint::ComfyPrompt)[1].json.as_ref().unwrap()["prompt"].clone();
    assert!(plain.get("10").is_none());

    let broken = ComfyUi::new(http(), fake.url(), BUILTIN_WORKFLOW).unwrap().with_reference_workflow(BUILTIN_WORKFLOW);
    assert!(broken.err().unwrap().contains("{{reference}}"));
}
