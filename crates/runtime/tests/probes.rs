//! `/health`, `/ready`, `/metrics` and unknown paths on the real app.

mod support;

use serde_json::Value;
use support::{TestIssuer, spawn_app, verifying_vars};

#[tokio::test]
async fn health_answers_200_with_the_service_name() {
    let issuer = TestIssuer::start().await;
    let app = spawn_app(verifying_vars(&issuer)).await;

    let response = app.get("/health").await;

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["service"], "phase4-name");
    app.shutdown().await;
}

#[tokio::test]
async fn ready_answers_503_with_the_handlers_reason_until_it_is_ready() {
    let issuer = TestIssuer::start().await;
    let app = spawn_app(verifying_vars(&issuer)).await;
    app.handler.set_not_ready(Some("postgres: connection refused"));

    let response = app.get("/ready").await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(body["error"], "postgres: connection refused");

    app.handler.set_not_ready(None);
    let response = app.get("/ready").await;
    assert_eq!(response.status(), 200);
    app.shutdown().await;
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status_in_prometheus_text() {
    let issuer = TestIssuer::start().await;
    let app = spawn_app(verifying_vars(&issuer)).await;
    app.get("/health").await;
    app.get("/health").await;
    app.get("/no/such/page").await;

    let response = app.get("/metrics").await;

    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"].to_str().expect("content type").starts_with("text/plain; version=0.0.4")
    );
    let text = response.text().await.expect("metrics text");
    assert!(text.contains(r#"http_requests_total{method="GET",route="/health",status="200"} 2"#), "{text}");
    assert!(text.contains(r#"http_requests_total{method="GET",route="unmatched",status="404"} 1"#), "{text}");
    assert!(text.contains(r#"http_request_duration_seconds_count{method="GET",route="/health",status="200"} 2"#));
    assert!(text.contains("pubsub_push_in_flight 0"));
    app.shutdown().await;
}

#[tokio::test]
async fn an_unknown_path_answers_a_json_404() {
    let issuer = TestIssuer::start().await;
    let app = spawn_app(verifying_vars(&issuer)).await;

    let response = app.get("/no/such/page").await;

    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.expect("JSON body");
    assert_eq!(body["error"], "not found");
    app.shutdown().await;
}

#[tokio::test]
async fn a_service_can_register_its_own_metrics_in_the_apps_registry() {
    let issuer = TestIssuer::start().await;
    let app = spawn_app(verifying_vars(&issuer)).await;
    let counter = prometheus::IntCounter::new("phase_runs_total", "phase runs").expect("a valid counter");
    let config = manga_runtime::Config::from_vars(verifying_vars(&issuer)).expect("config");
    let other = manga_runtime::App::build(config, app.handler.clone()).await.expect("a second app");
    other.metrics().registry().register(Box::new(counter.clone())).expect("register the counter");
    counter.inc();

    assert!(other.metrics().render().contains("phase_runs_total 1"));
    assert!(!app.metrics().await.contains("phase_runs_total"), "each app has its own registry");
    app.shutdown().await;
}
