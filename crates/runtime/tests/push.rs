//! `POST /pubsub/push` against the real app: authentication with a local
//! OIDC issuer, acks, nacks, rejections and what /metrics records of them.

mod support;

use std::collections::BTreeMap;

use serde_json::Value;
use support::{AUDIENCE, TestIssuer, envelope, spawn_app, verifying_vars};

fn attributes() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("job_id".to_owned(), "job-42".to_owned()),
        ("phase".to_owned(), "4".to_owned()),
        ("attempt".to_owned(), "1".to_owned()),
    ])
}

async fn error_text(response: reqwest::Response) -> String {
    let body: Value = response.json().await.expect("a JSON error body");
    body["error"].as_str().expect("an \"error\" string").to_owned()
}

#[tokio::test]
async fn a_push_with_a_valid_token_is_handled_once_and_acked() {
    let issuer = TestIssuer::start().await;
    let app = spawn_app(verifying_vars(&issuer)).await;
    let token = issuer.token(&issuer.claims());

    let response = app.push(Some(&token), &envelope("m-1", b"plot ready", &attributes())).await;

    assert_eq!(response.status(), 204);
    let calls = app.handler.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].message_id, "m-1");
    assert_eq!(calls[0].data, b"plot ready");
    assert_eq!(calls[0].attribute("job_id"), Some("job-42"));
    assert_eq!(calls[0].subscription, "projects/manga-local/subscriptions/phase-4-requests-push");
    assert_eq!(calls[0].publish_time.as_deref(), Some("2026-11-02T10:00:00.000Z"));
    assert!(app.metrics().await.contains(r#"pubsub_push_total{outcome="acked"} 1"#));
    app.shutdown().await;
}

#[tokio::test]
async fn a_push_without_a_token_is_refused_with_401_and_not_handled() {
    let issuer = TestIssuer::start().await;
    let app = spawn_app(verifying_vars(&issuer)).await;

    let response = app.push(None, &envelope("m-1", b"x", &attributes())).await;

    assert_eq!(response.status(), 401);
    assert_eq!(error_text(response).await, "missing bearer token");
    assert!(app.handler.calls().is_empty());
    assert!(app.metrics().await.contains(r#"pubsub_push_total{outcome="unauthorized"} 1"#));
    app.shutdown().await;
}

#[tokio::test]
async fn a_token_signed_by_another_key_is_refused_with_401() {
    let issuer = TestIssuer::start().await;
    let app = spawn_app(verifying_vars(&issuer)).await;
    let token = issuer.forged_token(&issuer.claims());

    let response = app.push(Some(&token), &envelope("m-1", b"x", &attributes())).await;

    assert_eq!(response.status(), 401);
    assert!(error_text(response).await.contains("InvalidSignature"));
    assert!(app.handler.calls().is_empty());
    app.shutdown().await;
}

#[tokio::test]
async fn tokens_failing_any_claim_check_are_refused_with_401_and_not_handled() {
    let issuer = TestIssuer::start().await;
    let app = spawn_app(verifying_vars(&issuer)).await;
    let now = issuer.claims()["iat"].as_u64().expect("iat");
    let cases: [(&str, &str, Value, &str); 5] = [
        ("wrong audience", "aud", "https://someone-else.run.app".into(), "InvalidAudience"),
        ("wrong email", "email", "intruder@evil.iam.gserviceaccount.com".into(), "is not the push service account"),
        ("unverified email", "email_verified", false.into(), "email is not verified"),
        ("expired", "exp", (now - 3600).into(), "ExpiredSignature"),
        ("wrong issuer", "iss", "https://evil.example.com".into(), "InvalidIssuer"),
    ];
    for (case, claim, value, expected) in cases {
        let mut claims = issuer.claims();
        claims[claim] = value;
        let response = app.push(Some(&issuer.token(&claims)), &envelope("m-1", b"x", &attributes())).await;
        assert_eq!(response.status(), 401, "{case}");
        let error = error_text(response).await;
        assert!(error.contains(expected), "{case}: {error}");
    }
    assert!(app.handler.calls().is_empty());
    assert!(app.metrics().await.contains(r#"pubsub_push_total{outcome="unauthorized"} 5"#));
    app.shutdown().await;
}

#[tokio::test]
async fn an_unknown_key_id_refetches_the_key_set_at_most_once_a_minute() {
    let issuer = TestIssuer::start().await;
    let app = spawn_app(verifying_vars(&issuer)).await;
    let good = issuer.token(&issuer.claims());
    assert_eq!(app.push(Some(&good), &envelope("m-1", b"x", &attributes())).await.status(), 204);
    assert_eq!(issuer.fetches(), 1);

    let unknown = issuer.token_with_kid("rotated-away", &issuer.claims());
    for _ in 0..3 {
        let response = app.push(Some(&unknown), &envelope("m-2", b"x", &attributes())).await;
        assert_eq!(response.status(), 401);
        assert!(error_text(response).await.contains("rotated-away"));
    }

    assert_eq!(issuer.fetches(), 1, "the key set was fetched less than a minute ago");
    assert_eq!(app.handler.calls().len(), 1);
    app.shutdown().await;
}

#[tokio::test]
async fn an_unreachable_key_set_answers_503_so_pubsub_retries() {
    let issuer = TestIssuer::start().await;
    let app = spawn_app(verifying_vars(&issuer)).await;
    issuer.stop().await;

    let response = app.push(Some(&issuer.token(&issuer.claims())), &envelope("m-1", b"x", &attributes())).await;

    assert_eq!(response.status(), 503);
    assert!(error_text(response).await.contains("failed to fetch the OIDC key set"));
    assert!(app.handler.calls().is_empty());
    app.shutdown().await;
}

#[tokio::test]
async fn a_malformed_envelope_is_acked_not_handled_and_counted_as_rejected() {
    let issuer = TestIssuer::start().await;
    let app = spawn_app(verifying_vars(&issuer)).await;
    let token = issuer.token(&issuer.claims());

    let response = app.push_raw(Some(&token), b"{\"not\": \"an envelope\"".to_vec()).await;

    assert_eq!(response.status(), 200, "a poison message is acked, never redelivered forever");
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(body["status"], "rejected");
    assert!(body["reason"].as_str().expect("reason").starts_with("malformed push envelope"));
    assert!(app.handler.calls().is_empty());
    let metrics = app.metrics().await;
    assert!(metrics.contains(r#"pubsub_push_rejected_total{reason="malformed_envelope"} 1"#), "{metrics}");
    assert!(metrics.contains(r#"pubsub_push_total{outcome="rejected"} 1"#));
    app.shutdown().await;
}

#[tokio::test]
async fn data_that_is_not_base64_is_acked_and_counted_as_invalid_data() {
    let issuer = TestIssuer::start().await;
    let app = spawn_app(verifying_vars(&issuer)).await;
    let mut body = envelope("m-1", b"x", &attributes());
    body["message"]["data"] = "%%% not base64 %%%".into();

    let response = app.push(Some(&issuer.token(&issuer.claims())), &body).await;

    assert_eq!(response.status(), 200);
    assert!(app.handler.calls().is_empty());
    assert!(app.metrics().await.contains(r#"pubsub_push_rejected_total{reason="invalid_data"} 1"#));
    app.shutdown().await;
}

#[tokio::test]
async fn a_transient_handler_failure_answers_503_so_pubsub_redelivers() {
    let issuer = TestIssuer::start().await;
    let app = spawn_app(verifying_vars(&issuer)).await;

    let response = app.push(Some(&issuer.token(&issuer.claims())), &envelope("m-1", b"transient", &attributes())).await;

    assert_eq!(response.status(), 503);
    assert_eq!(error_text(response).await, "store unavailable");
    assert_eq!(app.handler.calls().len(), 1);
    assert!(app.metrics().await.contains(r#"pubsub_push_total{outcome="nacked"} 1"#));
    app.shutdown().await;
}

#[tokio::test]
async fn a_permanent_handler_failure_is_acked_and_counted_as_rejected() {
    let issuer = TestIssuer::start().await;
    let app = spawn_app(verifying_vars(&issuer)).await;

    let response = app.push(Some(&issuer.token(&issuer.claims())), &envelope("m-1", b"permanent", &attributes())).await;

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(body["reason"], "unknown job j-404");
    assert_eq!(app.handler.calls().len(), 1);
    assert!(app.metrics().await.contains(r#"pubsub_push_rejected_total{reason="permanent_failure"} 1"#));
    app.shutdown().await;
}

#[tokio::test]
async fn a_panicking_handler_answers_500_and_the_app_keeps_serving() {
    let issuer = TestIssuer::start().await;
    let app = spawn_app(verifying_vars(&issuer)).await;
    let token = issuer.token(&issuer.claims());

    let response = app.push(Some(&token), &envelope("m-1", b"panic", &attributes())).await;
    assert_eq!(response.status(), 500);
    assert_eq!(error_text(response).await, "the handler panicked");

    let response = app.push(Some(&token), &envelope("m-2", b"fine", &attributes())).await;
    assert_eq!(response.status(), 204);
    assert!(app.metrics().await.contains("pubsub_push_in_flight 0"));
    app.shutdown().await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413() {
    let issuer = TestIssuer::start().await;
    let app = spawn_app(verifying_vars(&issuer)).await;

    let response =
        app.push_raw(Some(&issuer.token(&issuer.claims())), vec![b' '; manga_runtime::PUSH_BODY_LIMIT + 1]).await;

    assert_eq!(response.status(), 413);
    assert!(error_text(response).await.contains("exceeds"));
    assert!(app.handler.calls().is_empty());
    app.shutdown().await;
}

#[tokio::test]
async fn with_push_auth_off_against_the_emulator_a_tokenless_push_is_handled() {
    let vars = [("PORT", "0"), ("PUSH_AUTH", "off"), ("PUBSUB_EMULATOR_HOST", "127.0.0.1:8085")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let app = spawn_app(vars).await;

    let response = app.push(None, &envelope("m-1", b"x", &attributes())).await;

    assert_eq!(response.status(), 204);
    assert_eq!(app.handler.calls().len(), 1);
    app.shutdown().await;
}

#[test]
fn the_audience_the_tests_use_is_an_https_service_url() {
    // Guards the fixture: Pub/Sub's default audience is the push endpoint URL.
    assert!(AUDIENCE.starts_with("https://"));
}

#[tokio::test]
async fn a_push_still_running_at_the_request_timeout_answers_504_and_its_work_is_dropped() {
    let issuer = TestIssuer::start().await;
    let mut vars = verifying_vars(&issuer);
    vars.push(("REQUEST_TIMEOUT_SECONDS".into(), "1".into()));
    let app = spawn_app(vars).await;
    let token = issuer.token(&issuer.claims());

    // `slow` waits for a release that never comes: Cloud Run would cut it at its timeoutSeconds.
    let started = std::time::Instant::now();
    let response = app.push(Some(&token), &envelope("m-1", b"slow", &attributes())).await;
    assert_eq!(response.status(), 504);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(error_text(response).await, "the request outlived its 1 s timeout");
    assert_eq!(app.handler.finished(), 0, "the cut handler never finished");

    let response = app.push(Some(&token), &envelope("m-2", b"fine", &attributes())).await;
    assert_eq!(response.status(), 204, "a push within the limit is untouched");
    assert!(app.metrics().await.contains(r#"pubsub_push_total{outcome="nacked"} 1"#));
    app.shutdown().await;
}

#[tokio::test]
async fn past_its_container_concurrency_a_push_waits_for_a_slot_before_its_timeout_starts() {
    let issuer = TestIssuer::start().await;
    let mut vars = verifying_vars(&issuer);
    vars.push(("CONTAINER_CONCURRENCY".into(), "1".into()));
    vars.push(("REQUEST_TIMEOUT_SECONDS".into(), "1".into()));
    let app = std::sync::Arc::new(spawn_app(vars).await);
    let token = issuer.token(&issuer.claims());

    let (first, token_first) = (app.clone(), token.clone());
    let holding =
        tokio::spawn(async move { first.push(Some(&token_first), &envelope("m-1", b"slow", &attributes())).await });
    app.handler.started.notified().await;
    let (second, token_second) = (app.clone(), token.clone());
    let waiting =
        tokio::spawn(async move { second.push(Some(&token_second), &envelope("m-2", b"fine", &attributes())).await });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(app.handler.calls().len(), 1, "the second push waits while the one slot is taken");
    // The first is cut at its 1 s timeout, which frees the slot; the second then runs with its own full second,
    // though it has waited longer than that in all.
    assert_eq!(holding.await.unwrap().status(), 504);
    let started = std::time::Instant::now();
    assert_eq!(waiting.await.unwrap().status(), 204);
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    assert_eq!(app.handler.calls().len(), 2);
}
