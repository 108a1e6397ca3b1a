//! The log lines a real push produces, captured from the global subscriber
//! (its own test binary: a process has one global subscriber).

mod support;

use std::collections::BTreeMap;

use manga_runtime::{TelemetryConfig, telemetry};
use serde_json::Value;
use support::{Capture, TestIssuer, envelope, spawn_app, verifying_vars};

#[tokio::test]
async fn a_push_logs_in_the_publishers_trace_with_the_job_and_the_http_outcome() {
    let capture = Capture::default();
    let config = TelemetryConfig { project_id: "manga-test".into(), ..TelemetryConfig::default() };
    let (dispatch, _guard) = telemetry::dispatch("phase4-name", &config, capture.clone()).expect("telemetry");
    tracing::dispatcher::set_global_default(dispatch).expect("the only global subscriber in this binary");
    let issuer = TestIssuer::start().await;
    let app = spawn_app(verifying_vars(&issuer)).await;
    let attributes = BTreeMap::from([
        ("job_id".to_owned(), "job-42".to_owned()),
        ("phase".to_owned(), "4".to_owned()),
        ("traceparent".to_owned(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned()),
    ]);

    let response = app.push(Some(&issuer.token(&issuer.claims())), &envelope("m-7", b"x", &attributes)).await;
    assert_eq!(response.status(), 204);
    app.shutdown().await;

    let text = String::from_utf8(capture.0.lock().expect("capture lock").clone()).expect("UTF-8");
    let lines: Vec<Value> = text.lines().map(|line| serde_json::from_str(line).expect("one JSON object")).collect();
    let handled = lines.iter().find(|line| line["message"] == "push handled").expect("a 'push handled' line");
    assert_eq!(handled["severity"], "INFO");
    assert_eq!(handled["logging.googleapis.com/trace"], "projects/manga-test/traces/4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(handled["job_id"], "job-42");
    assert_eq!(handled["phase"], "4");
    assert_eq!(handled["message_id"], "m-7");
    assert_eq!(handled["status"], "acked");
    assert!(handled["duration_ms"].is_u64());
    assert!(handled["request_id"].as_str().is_some_and(|id| !id.is_empty()));
    let finished = lines
        .iter()
        .find(|line| line["message"] == "request finished" && line["route"] == "/pubsub/push")
        .expect("a 'request finished' line for the push");
    assert_eq!(finished["status"], 204);
    assert_eq!(finished["method"], "POST");
}
