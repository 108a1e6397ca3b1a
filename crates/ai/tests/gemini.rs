//! Gemini (text and images, Gemini API and Vertex AI) against the fake providers.

#![allow(clippy::unwrap_used, reason = "test helpers: a failure is the test failing")]

mod common;

use std::time::Duration;

use manga_ai::remote::prices::PriceTable;
use manga_ai::{AiError, ConceptRequest, Ledger};
use manga_ai_fake::{BACKGROUND, Endpoint, FakeProviders, Fault};
use manga_domain::{JobOptions, PhaseId};
use serde_json::{Value, json};

use common::{models, story};

/// The hand-written answer the first version of this test's fake gave: one character with an
/// alias, a place with an out-of-range sentence, and speakers alternating between a character
/// and a name that is none.
fn scripted_concept(fake: &FakeProviders) {
    fake.answer_with("concept", |task| {
        let mut reply = task.default_answer();
        reply["title"] = json!("From the fake");
        reply["summary"] = json!("A summary written by the fake model.");
        reply["characters"] = json!([{"name": "Mara", "aliases": ["the keeper"], "descriptors": []}]);
        reply["places"] = json!([{"name": "lighthouse", "kind": "water", "first_sentence": 999}]);
        reply["lines"] = task
            .lines
            .iter()
            .map(|l| {
                let speaker = if l.number % 2 == 0 { json!("Mara") } else { json!("Nobody Known") };
                json!({"line": l.number, "speaker": speaker, "kind": "speech"})
            })
            .collect();
        reply
    });
}

#[tokio::test]
async fn phase_one_comes_from_gemini_with_the_key_and_schema_and_unknown_speakers_stay_unknown() {
    let fake = FakeProviders::start().await;
    scripted_concept(&fake);
    let text = models(&fake, &["gemini"], &[]).text(PhaseId::Concept, &JobOptions::default()).unwrap();
    let ledger = Ledger::default();
    let concept = ledger.scope(text.analyse_story(&story(), &ConceptRequest::default())).await.unwrap();

    assert_eq!(concept.summary, "A summary written by the fake model.");
    assert_eq!(concept.characters[0].name, "Mara");
    assert!(concept.places[0].first_sentence < concept.sentences.len() as u32, "an out-of-range sentence is clamped");
    assert!(!concept.dialogue.is_empty());
    for line in &concept.dialogue {
        let expected = (line.id.0 % 2 == 0).then(|| concept.characters[0].id.clone());
        assert_eq!(line.speaker, expected, "line {}: a name not among the characters stays unknown", line.id.0);
    }
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    let body = request.json.as_ref().unwrap();
    assert_eq!(request.path, "/v1beta/models/gemini-2.5-flash:generateContent");
    assert_eq!(request.header("x-goog-api-key"), Some(manga_ai_fake::API_KEY));
    assert_eq!(request.task.as_deref(), Some("concept"));
    assert_eq!(body["generationConfig"]["responseMimeType"], "application/json");
    assert_eq!(body["generationConfig"]["responseSchema"]["type"], "OBJECT");
    assert!(body["contents"][0]["parts"][0]["text"].as_str().unwrap().contains("<story>\n[0] The Keeper"));
    assert!(body["systemInstruction"]["parts"][0]["text"].as_str().unwrap().contains("never an instruction"));
    let reported = request.usage.unwrap();
    assert!(reported.thoughts_tokens > 0, "thoughts are billed as output, so they must be counted");
    let usage = ledger.usage();
    assert_eq!(
        (usage[0].requests, usage[0].input_tokens, usage[0].output_tokens),
        (1, reported.input_tokens, reported.output_tokens + reported.thoughts_tokens)
    );
    let expected = PriceTable::builtin().cost(
        "gemini",
        "gemini-2.5-flash",
        reported.input_tokens,
        reported.output_tokens + reported.thoughts_tokens,
        0,
    );
    assert!(
        usage[0].cost_usd > 0.0 && (usage[0].cost_usd - expected).abs() < 1e-12,
        "{} vs {expected}",
        usage[0].cost_usd
    );
    assert!(ledger.notes().iter().any(|n| n.contains("Nobody Known")), "{:?}", ledger.notes());
    assert!(fake.problems().is_empty(), "{:?}", fake.problems());
}

#[tokio::test]
async fn the_fakes_own_answer_attributes_the_lines_from_the_story() {
    let fake = FakeProviders::start().await;
    let text = models(&fake, &["gemini"], &[]).text(PhaseId::Concept, &JobOptions::default()).unwrap();
    let concept = text.analyse_story(&story(), &ConceptRequest::default()).await.unwrap();
    assert_eq!(concept.title, "The Keeper");
    let names: Vec<&str> = concept.characters.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Mara", "Tom"]);
    let speaker = |i: usize| {
        concept.dialogue[i]
            .speaker
            .as_ref()
            .and_then(|id| concept.characters.iter().find(|c| &c.id == id))
            .map(|c| c.name.as_str())
    };
    assert_eq!(concept.dialogue.len(), 3);
    assert_eq!((speaker(0), speaker(1), speaker(2)), (None, Some("Tom"), Some("Mara")), "\"she asked\" names nobody");
    assert_eq!(concept.places[0].kind, manga_domain::PlaceKind::Water);
    assert_eq!(concept.times[0].time_of_day, manga_domain::TimeOfDay::Night);
}

#[tokio::test]
async fn a_429_waits_the_retry_delay_a_503_is_retried_and_a_second_run_is_served_from_the_cache() {
    let fake = FakeProviders::start().await;
    fake.fail_next(&[Fault::RetryInfo(0.3), Fault::Unavailable]);
    let text = models(&fake, &["gemini"], &[]).text(PhaseId::Concept, &JobOptions::default()).unwrap();
    let ledger = Ledger::default();
    ledger.scope(text.analyse_story(&story(), &ConceptRequest::default())).await.unwrap();
    let requests = fake.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!((requests[0].status, requests[1].status, requests[2].status), (429, 503, 200));
    assert!(requests[1].at - requests[0].at >= Duration::from_millis(280), "RetryInfo's 0.3 s was honoured");
    assert!(requests[2].at - requests[1].at < Duration::from_millis(250), "Retry-After: 0 means at once");
    assert_eq!(ledger.usage()[0].retries, 2);

    let again = Ledger::default();
    again.scope(text.analyse_story(&story(), &ConceptRequest::default())).await.unwrap();
    assert_eq!(fake.requests().len(), 3, "no call the second time");
    assert_eq!(again.usage()[0].cache_hits, 1);
}

#[tokio::test]
async fn a_truncated_answer_is_repaired_and_a_safety_block_is_a_refusal() {
    let fake = FakeProviders::start().await;
    scripted_concept(&fake);
    fake.fail_next(&[Fault::Truncated]);
    let text =
        models(&fake, &["gemini"], &[("AI_CACHE", "off")]).text(PhaseId::Concept, &JobOptions::default()).unwrap();
    let ledger = Ledger::default();
    let concept = ledger.scope(text.analyse_story(&story(), &ConceptRequest::default())).await.unwrap();
    assert_eq!(concept.summary, "A summary written by the fake model.");
    assert!(ledger.notes().iter().any(|n| n.contains("repaired")), "{:?}", ledger.notes());
    let cut = &fake.requests()[0];
    assert_eq!(cut.fault, Some(Fault::Truncated));

    fake.fail_next(&[Fault::Safety]);
    let error = text.analyse_story(&story(), &ConceptRequest::default()).await.unwrap_err();
    assert!(matches!(error, AiError::Rejected { .. }), "{error}");
    assert!(error.to_string().contains("SAFETY"), "{error}");

    fake.fail_next(&[Fault::Blocked]);
    let before = fake.request_count();
    let error = text.analyse_story(&story(), &ConceptRequest::default()).await.unwrap_err();
    assert!(matches!(error, AiError::Rejected { .. }) && error.to_string().contains("prompt was blocked"), "{error}");
    assert_eq!(fake.request_count(), before + 1, "a refusal is not retried");
}

#[tokio::test]
async fn a_gemini_image_is_cropped_to_the_frame_with_the_portraits_as_references() {
    let fake = FakeProviders::start().await;
    let image = models(&fake, &["gemini-image"], &[]).image(PhaseId::Images, &JobOptions::default()).unwrap();
    let request = common::panel_request(vec![bytes::Bytes::from(manga_ai_fake::png(8, 8))]).await;
    let ledger = Ledger::default();
    let drawn = ledger.scope(image.draw_panel(&request)).await.unwrap();
    assert_eq!((drawn.width, drawn.height), (300, 400));
    assert_eq!(drawn.provider, "gemini-image");
    assert!(drawn.figures_estimated && drawn.figures.len() == 1);
    assert_eq!(common::red_at(&drawn.png, 2, 2), BACKGROUND, "the fake's art, not local art");

    let recorded = fake.requests().pop().unwrap();
    let body = recorded.json.unwrap();
    assert_eq!(recorded.path, "/v1beta/models/gemini-2.5-flash-image:generateContent");
    assert_eq!(body["generationConfig"]["imageConfig"]["aspectRatio"], "3:4");
    assert_eq!(body["generationConfig"]["responseModalities"], json!(["TEXT", "IMAGE"]));
    let prompt = body["contents"][0]["parts"][0]["text"].as_str().unwrap();
    assert!(prompt.contains("a tall woman with a grey braid and an oilskin coat"), "{prompt}");
    assert!(prompt.contains("Black-and-white") && prompt.contains("night"), "{prompt}");
    assert_eq!(body["contents"][0]["parts"][2]["inlineData"]["mimeType"], "image/png");
    let usage = &ledger.usage()[0];
    assert_eq!((usage.images, usage.output_tokens), (1, recorded.usage.unwrap().output_tokens));
    assert!(fake.problems().is_empty(), "{:?}", fake.problems());
}

#[tokio::test]
async fn vertex_ai_takes_the_project_path_and_the_bearer_token() {
    let fake = FakeProviders::start().await;
    let models = models(&fake, &["vertex", "vertex-image"], &[]);
    let text = models.text(PhaseId::Concept, &JobOptions::default()).unwrap();
    text.analyse_story(&story(), &ConceptRequest::default()).await.unwrap();
    let image = models.image(PhaseId::Characters, &JobOptions::default()).unwrap();
    let drawn = image.draw_portrait(&common::portrait_request().await).await.unwrap();
    assert_eq!((drawn.width, drawn.height, drawn.provider.as_str()), (256, 256, "gemini-image"));

    let requests = fake.requests_to(Endpoint::GenerateContent);
    assert_eq!(requests.len(), 2);
    let base = "/v1/projects/fake-project/locations/us-central1/publishers/google/models";
    assert_eq!(requests[0].path, format!("{base}/gemini-2.5-flash:generateContent"));
    assert_eq!(requests[1].path, format!("{base}/gemini-2.5-flash-image:generateContent"));
    for request in &requests {
        assert_eq!(request.header("authorization"), Some("Bearer test-token"));
        assert_eq!(request.header("x-goog-api-key"), None, "no API key on Vertex AI");
    }
    assert_eq!(requests[1].json.as_ref().unwrap()["generationConfig"]["imageConfig"]["aspectRatio"], "1:1");
    let gemini_schema: &Value = &requests[0].json.as_ref().unwrap()["generationConfig"]["responseSchema"];
    assert!(!gemini_schema.to_string().contains("additionalProperties"), "Gemini's schema dialect has none");
    assert!(fake.problems().is_empty(), "{:?}", fake.problems());
}
