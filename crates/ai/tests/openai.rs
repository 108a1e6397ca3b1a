//! An OpenAI-compatible server (text through chat completions, images through
//! `/v1/images/generations`) against the fake providers.

#![allow(clippy::unwrap_used, reason = "test helpers: a failure is the test failing")]

mod common;

use std::time::{Duration, Instant};

use manga_ai::remote::prices::PriceTable;
use manga_ai::{AiError, ConceptRequest, Ledger};
use manga_ai_fake::{API_KEY, BACKGROUND, Endpoint, FakeProviders, Fault};
use manga_domain::{JobOptions, PhaseId};

use common::{models, story};

#[tokio::test]
async fn text_goes_through_chat_completions_with_a_strict_json_schema_and_the_bearer_key() {
    let fake = FakeProviders::start().await;
    let text = models(&fake, &["openai"], &[]).text(PhaseId::Concept, &JobOptions::default()).unwrap();
    let ledger = Ledger::default();
    let concept = ledger.scope(text.analyse_story(&story(), &ConceptRequest::default())).await.unwrap();
    assert_eq!(concept.title, "The Keeper");
    assert_eq!(concept.characters.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["Mara", "Tom"]);

    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/v1/chat/completions"));
    assert_eq!(request.header("authorization"), Some(format!("Bearer {API_KEY}").as_str()));
    let body = request.json.as_ref().unwrap();
    assert_eq!(body["model"], "gpt-4o-mini");
    let format = &body["response_format"];
    assert_eq!(format["type"], "json_schema");
    assert_eq!(format["json_schema"]["name"], "concept_reply");
    assert_eq!(format["json_schema"]["strict"], true);
    let schema = &format["json_schema"]["schema"];
    assert_eq!((schema["type"].as_str(), &schema["additionalProperties"]), (Some("object"), &serde_json::json!(false)));
    assert!(schema["required"].as_array().unwrap().iter().any(|r| r == "lines"), "{schema}");
    assert_eq!(body["messages"][0]["role"], "system");
    assert!(body["messages"][0]["content"].as_str().unwrap().contains("never an instruction"));
    let user = body["messages"][1]["content"].as_str().unwrap();
    let inside = user.split("<story>").nth(1).unwrap().split("</story>").next().unwrap();
    assert!(inside.starts_with("\n[0] The Keeper\n[1] Mara climbed the lighthouse that night."), "{user}");
    assert!(inside.contains("[3] \"Not yet,\" said Tom."), "{user}");
    assert!(!user.split("</story>").nth(1).unwrap().contains("Mara climbed"), "the story only inside its block");

    let reported = request.usage.unwrap();
    let usage = &ledger.usage()[0];
    assert_eq!((usage.provider.as_str(), usage.model.as_str()), ("openai", "gpt-4o-mini"));
    assert_eq!(
        (usage.requests, usage.input_tokens, usage.output_tokens),
        (1, reported.input_tokens, reported.output_tokens)
    );
    let price = PriceTable::builtin();
    let listed = price.find("openai", "gpt-4o-mini").unwrap();
    let expected = listed.input_per_million * reported.input_tokens as f64 / 1e6
        + listed.output_per_million * reported.output_tokens as f64 / 1e6;
    assert!(expected > 0.0 && (usage.cost_usd - expected).abs() < 1e-12, "{} vs {expected}", usage.cost_usd);
    assert!(fake.problems().is_empty(), "{:?}", fake.problems());
}

#[tokio::test]
async fn a_refusal_and_a_content_filter_are_refusals_and_a_cut_answer_is_repaired() {
    let fake = FakeProviders::start().await;
    let text =
        models(&fake, &["openai"], &[("AI_CACHE", "off")]).text(PhaseId::Concept, &JobOptions::default()).unwrap();

    fake.fail_next(&[Fault::Blocked]);
    let error = text.analyse_story(&story(), &ConceptRequest::default()).await.unwrap_err();
    assert!(matches!(error, AiError::Rejected { .. }) && error.to_string().contains("refused"), "{error}");
    assert_eq!(fake.request_count(), 1, "a refusal is an answer: no retry");
    assert!(fake.requests()[0].usage.unwrap().output_tokens > 0, "the refusal's words are counted");

    fake.fail_next(&[Fault::Safety]);
    let error = text.analyse_story(&story(), &ConceptRequest::default()).await.unwrap_err();
    assert!(matches!(error, AiError::Rejected { .. }) && error.to_string().contains("content_filter"), "{error}");
    assert_eq!(fake.request_count(), 2);

    fake.fail_next(&[Fault::Truncated]);
    let ledger = Ledger::default();
    let concept = ledger.scope(text.analyse_story(&story(), &ConceptRequest::default())).await.unwrap();
    assert_eq!(concept.title, "The Keeper");
    assert!(ledger.notes().iter().any(|n| n.contains("repaired")), "{:?}", ledger.notes());
    let cut = &fake.requests()[2];
    assert_eq!(cut.fault, Some(Fault::Truncated));
    // The cut answer lost required fields, so it was asked again with the problem fed back.
    let asked_again = &fake.requests()[3];
    let user = asked_again.json.as_ref().unwrap()["messages"][1]["content"].as_str().unwrap().to_owned();
    assert!(user.contains("Your previous answer could not be used"), "{user}");
    assert_eq!(ledger.usage()[0].requests, 2);
}

#[tokio::test]
async fn a_429_waits_for_retry_after_and_the_cache_prevents_the_second_call() {
    let fake = FakeProviders::start().await;
    fake.fail_next(&[Fault::RetryAfter(1)]);
    let text = models(&fake, &["openai"], &[]).text(PhaseId::Concept, &JobOptions::default()).unwrap();
    let ledger = Ledger::default();
    let started = Instant::now();
    ledger.scope(text.analyse_story(&story(), &ConceptRequest::default())).await.unwrap();
    let requests = fake.requests();
    assert_eq!(requests.iter().map(|r| r.status).collect::<Vec<_>>(), [429, 200]);
    let waited = requests[1].at - requests[0].at;
    assert!(
        waited >= Duration::from_millis(990) && waited < Duration::from_secs(3),
        "Retry-After: 1 honoured: {waited:?}"
    );
    assert!(started.elapsed() >= Duration::from_secs(1));
    let usage = &ledger.usage()[0];
    assert_eq!((usage.requests, usage.retries), (2, 1));

    let again = Ledger::default();
    let concept = again.scope(text.analyse_story(&story(), &ConceptRequest::default())).await.unwrap();
    assert_eq!(concept.title, "The Keeper");
    assert_eq!(fake.request_count(), 2, "the cache answered");
    assert_eq!((again.usage()[0].cache_hits, again.usage()[0].requests), (1, 0));
}

#[tokio::test]
async fn images_ask_for_base64_at_a_supported_size_and_are_priced_per_image() {
    let fake = FakeProviders::start().await;
    fake.set_max_image_side(512);
    let request = common::panel_request(vec![]).await;

    // DALL·E needs `response_format: b64_json`.
    let dalle = models(&fake, &["openai-image"], &[("IMAGE_MODEL", "dall-e-3")]);
    let drawn = dalle.image(PhaseId::Images, &JobOptions::default()).unwrap().draw_panel(&request).await.unwrap();
    assert_eq!((drawn.width, drawn.height, drawn.provider.as_str()), (300, 400, "openai"));
    assert_eq!(common::red_at(&drawn.png, 2, 2), BACKGROUND);
    let sent = fake.requests().pop().unwrap();
    assert_eq!(
        (sent.path.as_str(), sent.header("authorization")),
        ("/v1/images/generations", Some("Bearer fake-api-key"))
    );
    let body = sent.json.unwrap();
    assert_eq!(body["response_format"], "b64_json");
    assert_eq!(body["model"], "dall-e-3");
    assert_eq!(body["size"], "1024x1792", "the supported size nearest 3:4");
    assert_eq!(body["n"], 1);
    assert!(body["prompt"].as_str().unwrap().contains("a tall woman with a grey braid"), "{body}");

    // gpt-image models answer in base64 always and refuse the parameter.
    let gpt = models(&fake, &["openai-image"], &[]);
    let ledger = Ledger::default();
    ledger.scope(gpt.image(PhaseId::Images, &JobOptions::default()).unwrap().draw_panel(&request)).await.unwrap();
    let sent = fake.requests().pop().unwrap();
    let body = sent.json.as_ref().unwrap();
    assert_eq!((body["model"].as_str(), body["size"].as_str()), (Some("gpt-image-1"), Some("1024x1536")));
    assert!(body.get("response_format").is_none(), "{body}");
    let usage = &ledger.usage()[0];
    let reported = sent.usage.unwrap();
    assert_eq!(
        (usage.images, usage.input_tokens, usage.output_tokens),
        (1, reported.input_tokens, reported.output_tokens)
    );
    let per_image = PriceTable::builtin().find("openai", "gpt-image-1").unwrap().per_image;
    assert!(per_image > 0.0 && (usage.cost_usd - per_image).abs() < 1e-12, "{}", usage.cost_usd);
    assert_eq!(fake.requests_to(Endpoint::ImageGenerations).len(), 2);
    assert!(fake.problems().is_empty(), "{:?}", fake.problems());
}

#[tokio::test]
async fn a_refused_image_is_a_refusal_or_with_the_fallback_a_local_drawing() {
    let fake = FakeProviders::start().await;
    let request = common::panel_request(vec![]).await;
    let strict = models(&fake, &["openai-image"], &[("IMAGE_FALLBACK", "none")]);
    fake.fail_next(&[Fault::Filtered]);
    let error = strict.image(PhaseId::Images, &JobOptions::default()).unwrap().draw_panel(&request).await.unwrap_err();
    assert!(matches!(error, AiError::Rejected { .. }) && error.to_string().contains("safety system"), "{error}");

    let lenient = models(&fake, &["openai-image"], &[]);
    fake.fail_next(&[Fault::Filtered]);
    let ledger = Ledger::default();
    let drawn =
        ledger.scope(lenient.image(PhaseId::Images, &JobOptions::default()).unwrap().draw_panel(&request)).await;
    assert_eq!(drawn.unwrap().provider, "local");
    assert!(ledger.notes().iter().any(|n| n.contains("fell back to local")), "{:?}", ledger.notes());
    assert_eq!(fake.request_count(), 2, "neither refusal was retried");
}
