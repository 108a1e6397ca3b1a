//! Imagen through Vertex AI's `:predict` against the fake providers.

#![allow(clippy::unwrap_used, reason = "test helpers: a failure is the test failing")]

mod common;

use manga_ai::remote::prices::PriceTable;
use manga_ai::{AiError, Ledger};
use manga_ai_fake::{ACCESS_TOKEN, BACKGROUND, FakeProviders, Fault};
use manga_domain::{JobOptions, PhaseId};
use serde_json::json;

use common::models;

const PATH: &str = "/v1/projects/fake-project/locations/us-central1/publishers/google/models";

#[tokio::test]
async fn imagen_on_vertex_gets_the_path_the_bearer_token_and_its_parameters() {
    let fake = FakeProviders::start().await;
    fake.set_max_image_side(512);
    let image = models(&fake, &["imagen"], &[]).image(PhaseId::Images, &JobOptions::default()).unwrap();
    let ledger = Ledger::default();
    let drawn = ledger.scope(image.draw_panel(&common::panel_request(vec![]).await)).await.unwrap();
    assert_eq!((drawn.width, drawn.height, drawn.provider.as_str()), (300, 400, "imagen"));
    assert_eq!(common::red_at(&drawn.png, 2, 2), BACKGROUND, "the fake's art");

    let sent = fake.requests().pop().unwrap();
    assert_eq!(sent.path, format!("{PATH}/imagen-4.0-generate-001:predict"));
    assert_eq!(sent.header("authorization"), Some(format!("Bearer {ACCESS_TOKEN}").as_str()));
    let body = sent.json.unwrap();
    let prompt = body["instances"][0]["prompt"].as_str().unwrap();
    assert!(prompt.contains("a tall woman with a grey braid and an oilskin coat"), "{prompt}");
    let parameters = &body["parameters"];
    assert_eq!(parameters["sampleCount"], 1);
    assert_eq!(parameters["aspectRatio"], "3:4");
    assert_eq!(parameters["seed"], 7);
    assert_eq!(parameters["addWatermark"], false, "a seed is only honoured without the watermark");
    assert!(parameters.get("negativePrompt").is_none(), "Imagen 4 takes no negative prompt: {parameters}");

    let usage = &ledger.usage()[0];
    let per_image = PriceTable::builtin().find("imagen", "imagen-4.0-generate-001").unwrap().per_image;
    assert_eq!((usage.requests, usage.images), (1, 1));
    assert!((usage.cost_usd - per_image).abs() < 1e-12, "{}", usage.cost_usd);

    let portrait = image.draw_portrait(&common::portrait_request().await).await.unwrap();
    assert_eq!((portrait.width, portrait.height), (256, 256));
    let sent = fake.requests().pop().unwrap();
    assert_eq!(sent.json.unwrap()["parameters"]["aspectRatio"], "1:1");
    assert!(fake.problems().is_empty(), "{:?}", fake.problems());
}

#[tokio::test]
async fn only_the_older_models_are_sent_the_negative_prompt() {
    let fake = FakeProviders::start().await;
    fake.set_max_image_side(256);
    let older = models(&fake, &["imagen"], &[("IMAGE_MODEL", "imagen-3.0-generate-001")]);
    older
        .image(PhaseId::Images, &JobOptions::default())
        .unwrap()
        .draw_panel(&common::panel_request(vec![]).await)
        .await
        .unwrap();
    let sent = fake.requests().pop().unwrap();
    assert_eq!(sent.path, format!("{PATH}/imagen-3.0-generate-001:predict"));
    let negative = sent.json.unwrap()["parameters"]["negativePrompt"].as_str().unwrap().to_owned();
    assert!(negative.contains("watermark") && negative.contains("speech balloon"), "{negative}");
    let newer = models(&fake, &["imagen"], &[("IMAGE_MODEL", "imagen-4.0-fast-generate-001")]);
    newer
        .image(PhaseId::Images, &JobOptions::default())
        .unwrap()
        .draw_panel(&common::panel_request(vec![]).await)
        .await
        .unwrap();
    let sent = fake.requests().pop().unwrap();
    assert!(sent.json.unwrap()["parameters"].get("negativePrompt").is_none());
    assert!(fake.problems().is_empty(), "the fake refuses a negative prompt to a newer model: {:?}", fake.problems());
}

#[tokio::test]
async fn a_filtered_image_is_a_refusal_and_with_the_local_fallback_the_panel_is_drawn_locally() {
    let fake = FakeProviders::start().await;
    fake.set_max_image_side(256);
    let request = common::panel_request(vec![]).await;

    let strict = models(&fake, &["imagen"], &[("IMAGE_FALLBACK", "none")]);
    fake.fail_next(&[Fault::Filtered]);
    let error = strict.image(PhaseId::Images, &JobOptions::default()).unwrap().draw_panel(&request).await.unwrap_err();
    match &error {
        AiError::Rejected { provider, message } => {
            assert_eq!(provider, "imagen");
            assert!(message.contains("filtered") && message.contains("safety filter"), "{message}");
        }
        other => panic!("a filtered image is a refusal, not {other:?}"),
    }
    assert_eq!(fake.request_count(), 1, "a refusal is not retried");
    assert!(fake.requests()[0].json.as_ref().unwrap()["parameters"]["includeRaiReason"] == json!(true));

    let lenient = models(&fake, &["imagen"], &[("IMAGE_FALLBACK", "local")]);
    fake.fail_next(&[Fault::Filtered]);
    let ledger = Ledger::default();
    let drawn = ledger
        .scope(lenient.image(PhaseId::Images, &JobOptions::default()).unwrap().draw_panel(&request))
        .await
        .unwrap();
    assert_eq!(drawn.provider, "local");
    assert!(!drawn.figures_estimated, "local art knows where it drew its figures");
    assert!(
        ledger.notes().iter().any(|n| n.contains("fell back to local") && n.contains("filtered")),
        "{:?}",
        ledger.notes()
    );

    // A refusal is not cached: the next request for the same panel asks again, and is drawn.
    let drawn = lenient.image(PhaseId::Images, &JobOptions::default()).unwrap().draw_panel(&request).await.unwrap();
    assert_eq!(drawn.provider, "imagen");
    assert_eq!(fake.request_count(), 3);
}

#[tokio::test]
async fn an_answer_that_is_not_json_or_has_no_image_is_malformed_not_a_crash() {
    let fake = FakeProviders::start().await;
    let image = models(&fake, &["imagen"], &[("IMAGE_FALLBACK", "none")])
        .image(PhaseId::Images, &JobOptions::default())
        .unwrap();
    let request = common::panel_request(vec![]).await;
    fake.fail_next(&[Fault::WrongContentType]);
    let error = image.draw_panel(&request).await.unwrap_err();
    assert!(matches!(error, AiError::Malformed { .. }) && error.to_string().contains("text/html"), "{error}");
    fake.fail_next(&[Fault::Empty]);
    let error = image.draw_panel(&request).await.unwrap_err();
    assert!(matches!(error, AiError::Rejected { .. }) && error.to_string().contains("no image came back"), "{error}");
}
