//! The circuit breaker on the shared call path, against the fake providers.
//!
//! It opens after 5 consecutive transient failures and half-opens after 30 s. The 30 s is
//! fixed (`Http::new` builds `Breaker::default()`, and no setting changes it), so recovery
//! is not reachable here without waiting; `remote::breaker`'s unit tests cover the half-open
//! trial with a short cool-down. These tests cover what is reachable: opening, failing fast
//! without a request, the state seen through `Http::breaker`, per-model isolation, and a
//! refusal resetting the count.

#![allow(clippy::unwrap_used, reason = "test helpers: a failure is the test failing")]

mod common;

use std::sync::Arc;
use std::time::Duration;

use manga_ai::remote::breaker::BreakerState;
use manga_ai::remote::http::{CallPolicy, Http, Request};
use manga_ai::remote::limiter::Unlimited;
use manga_ai::remote::metrics::AiMetrics;
use manga_ai::{AiError, ConceptRequest};
use manga_ai_fake::{API_KEY, FakeProviders, Fault};
use manga_domain::{JobOptions, PhaseId};
use serde_json::json;

use common::{models, story};

#[tokio::test]
async fn five_failures_in_a_row_open_the_circuit_and_later_calls_fail_without_a_request() {
    let fake = FakeProviders::start().await;
    fake.set_max_image_side(256);
    let models = models(&fake, &["gemini", "gemini-image"], &[("AI_RETRIES", "9"), ("AI_CACHE", "off")]);
    let text = models.text(PhaseId::Concept, &JobOptions::default()).unwrap();
    fake.fail_next(&vec![Fault::RetryAfter(0); 5]);

    let error = text.analyse_story(&story(), &ConceptRequest::default()).await.unwrap_err();
    assert!(matches!(error, AiError::Unavailable { .. }), "{error}");
    assert_eq!(fake.request_count(), 5, "retrying stops once the circuit opens, though 9 retries were allowed");

    for _ in 0..3 {
        let error = text.analyse_story(&story(), &ConceptRequest::default()).await.unwrap_err();
        match &error {
            AiError::Unavailable { message, .. } => {
                assert!(message.contains("circuit for gemini-2.5-flash is open"), "{message}");
                assert!(message.contains("next try in 30 s") || message.contains("next try in 29 s"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(fake.request_count(), 5, "an open circuit fails fast, without reaching the server");

    // The breaker is per provider and model: the image model still calls out.
    let image = models.image(PhaseId::Characters, &JobOptions::default()).unwrap();
    image.draw_portrait(&common::portrait_request().await).await.unwrap();
    assert_eq!(fake.request_count(), 6);
}

#[tokio::test]
async fn a_refusal_resets_the_count_of_failures() {
    let fake = FakeProviders::start().await;
    let text = models(&fake, &["gemini"], &[("AI_RETRIES", "3"), ("AI_CACHE", "off")])
        .text(PhaseId::Concept, &JobOptions::default())
        .unwrap();
    // Three failures, then a 400: a refusal is an answer, so the count starts again.
    fake.fail_next(&[Fault::RetryAfter(0), Fault::RetryAfter(0), Fault::RetryAfter(0), Fault::Status(400)]);
    let error = text.analyse_story(&story(), &ConceptRequest::default()).await.unwrap_err();
    assert!(matches!(error, AiError::Rejected { .. }), "{error}");
    // Three more would make six in a row had the refusal counted, and open the circuit.
    fake.fail_next(&[Fault::RetryAfter(0), Fault::RetryAfter(0), Fault::RetryAfter(0)]);
    text.analyse_story(&story(), &ConceptRequest::default()).await.unwrap();
    assert_eq!(fake.request_count(), 8);
}

#[tokio::test]
async fn the_state_is_open_after_five_failures_and_closed_again_after_a_success() {
    let fake = FakeProviders::start().await;
    let policy = CallPolicy { timeout: Duration::from_secs(5), attempts: 1, ..CallPolicy::default() };
    let http = Http::new("gemini", "gemini-2.5-flash", policy, 2, Arc::new(Unlimited), Arc::new(AiMetrics::new()));
    let request = Request::post_json(
        format!("{}/v1beta/models/gemini-2.5-flash:generateContent", fake.url()),
        json!({"contents": [{"role": "user", "parts": [{"text": "Say ok."}]}]}),
    )
    .header("x-goog-api-key", API_KEY);

    fake.fail_next(&[Fault::ServerError, Fault::Unavailable, Fault::RetryInfo(0.0), Fault::RetryAfter(0)]);
    for _ in 0..4 {
        assert!(http.send(&request).await.is_err());
    }
    assert_eq!(http.breaker().state(), BreakerState::Closed, "four are not enough");
    http.send(&request).await.unwrap();
    assert_eq!(http.breaker().state(), BreakerState::Closed, "a success closes it and clears the count");

    fake.fail_next(&vec![Fault::Status(503); 5]);
    for _ in 0..5 {
        assert!(http.send(&request).await.is_err());
    }
    assert_eq!(http.breaker().state(), BreakerState::Open);
    assert!(http.breaker().admit().is_err());
    assert_eq!(http.breaker().state_code(), 2);
    let before = fake.request_count();
    assert!(http.send(&request).await.is_err());
    assert_eq!(fake.request_count(), before, "no request while open");
}

#[tokio::test]
async fn an_open_circuit_lets_one_trial_through_after_its_cool_down_and_a_success_closes_it() {
    let fake = FakeProviders::start().await;
    let policy = CallPolicy {
        timeout: Duration::from_secs(5),
        attempts: 1,
        breaker_failures: 2,
        breaker_cool_down: Duration::from_millis(300),
        ..CallPolicy::default()
    };
    let http = Http::new("gemini", "gemini-2.5-flash", policy, 2, Arc::new(Unlimited), Arc::new(AiMetrics::new()));
    let request = Request::post_json(
        format!("{}/v1beta/models/gemini-2.5-flash:generateContent", fake.url()),
        json!({"contents": [{"role": "user", "parts": [{"text": "Say ok."}]}]}),
    )
    .header("x-goog-api-key", API_KEY);
    fake.fail_next(&vec![Fault::Status(503); 3]);
    for _ in 0..2 {
        assert!(http.send(&request).await.is_err());
    }
    assert_eq!(http.breaker().state(), BreakerState::Open, "two failures open it when the policy says two");
    let before = fake.request_count();
    assert!(http.send(&request).await.is_err(), "still cooling down");
    assert_eq!(fake.request_count(), before);

    tokio::time::sleep(Duration::from_millis(350)).await;
    assert!(http.send(&request).await.is_err(), "the trial meets the third 503");
    assert_eq!(fake.request_count(), before + 1, "exactly one trial went through");
    assert_eq!(http.breaker().state(), BreakerState::Open, "a failed trial opens it again");

    tokio::time::sleep(Duration::from_millis(350)).await;
    http.send(&request).await.unwrap();
    assert_eq!(http.breaker().state(), BreakerState::Closed, "a successful trial closes it");
}
