//! JSON log lines in Cloud Logging's shape, captured through the writer
//! parameter, `traceparent` carried through Pub/Sub attributes, and spans
//! exported over OTLP/HTTP to a collector.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;

use manga_runtime::{TelemetryConfig, telemetry};
use support::Capture;

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

fn capture() -> (tracing::Dispatch, telemetry::Telemetry, Capture) {
    let capture = Capture::default();
    let config = TelemetryConfig { project_id: "manga-test".into(), ..TelemetryConfig::default() };
    let (dispatch, guard) = telemetry::dispatch("phase4-name", &config, capture.clone()).expect("telemetry");
    (dispatch, guard, capture)
}

fn carrying_traceparent() -> BTreeMap<String, String> {
    BTreeMap::from([("traceparent".to_owned(), TRACEPARENT.to_owned())])
}

#[test]
fn a_log_line_in_a_span_with_a_traceparent_carries_the_trace_and_the_span_fields() {
    let (dispatch, _guard, capture) = capture();
    tracing::dispatcher::with_default(&dispatch, || {
        let span = tracing::info_span!("pubsub_push", job_id = "job-42", phase = "4", user_id = "u-7");
        assert!(telemetry::set_parent_from_attributes(&span, &carrying_traceparent()));
        span.in_scope(|| tracing::info!(duration_ms = 12_u64, status = "acked", "phase finished"));
    });

    let lines = capture.lines();
    assert_eq!(lines.len(), 1);
    let line = &lines[0];
    assert_eq!(line["severity"], "INFO");
    assert_eq!(line["message"], "phase finished");
    assert_eq!(line["logging.googleapis.com/trace"], "projects/manga-test/traces/4bf92f3577b34da6a3ce929d0e0e4736");
    let span_id = line["logging.googleapis.com/spanId"].as_str().expect("a span id");
    assert_eq!(span_id.len(), 16);
    assert_ne!(span_id, "00f067aa0ba902b7", "the handler's span is a child of the publisher's");
    assert_eq!(line["job_id"], "job-42");
    assert_eq!(line["phase"], "4");
    assert_eq!(line["user_id"], "u-7");
    assert_eq!(line["duration_ms"], 12);
    assert_eq!(line["status"], "acked");
    assert!(line["timestamp"].as_str().expect("a timestamp").ends_with('Z'));
}

#[test]
fn warnings_are_written_with_cloud_loggings_severity_name() {
    let (dispatch, _guard, capture) = capture();
    tracing::dispatcher::with_default(&dispatch, || {
        tracing::warn!("slow");
        tracing::error!(error = "boom", "failed");
        tracing::debug!("filtered out at the default level");
    });

    let lines = capture.lines();
    let severities: Vec<_> = lines.iter().map(|line| line["severity"].as_str().expect("severity")).collect();
    assert_eq!(severities, ["WARNING", "ERROR"]);
    assert_eq!(lines[1]["error"], "boom");
    assert!(lines[0].get("logging.googleapis.com/trace").is_none(), "no span, no trace");
}

#[test]
fn inner_span_fields_win_over_outer_ones() {
    let (dispatch, _guard, capture) = capture();
    tracing::dispatcher::with_default(&dispatch, || {
        let outer = tracing::info_span!("http_request", request_id = "r-1", status = tracing::field::Empty);
        outer.record("status", 204_u64);
        outer.in_scope(|| {
            tracing::info_span!("pubsub_push", status = "nacked").in_scope(|| tracing::info!("done"));
        });
    });

    let line = &capture.lines()[0];
    assert_eq!(line["request_id"], "r-1");
    assert_eq!(line["status"], "nacked");
    assert!(line["logging.googleapis.com/trace"].as_str().expect("a generated trace").starts_with("projects/"));
}

#[test]
fn a_traceparent_injected_from_a_span_extracts_to_the_same_trace() {
    let (dispatch, _guard, _capture) = capture();
    let mut outgoing = BTreeMap::new();
    tracing::dispatcher::with_default(&dispatch, || {
        let span = tracing::info_span!("publish_phase_request");
        telemetry::set_parent_from_attributes(&span, &carrying_traceparent());
        telemetry::inject(&span, &mut outgoing);
    });

    let traceparent = outgoing.get("traceparent").expect("a traceparent attribute");
    let parts: Vec<_> = traceparent.split('-').collect();
    assert_eq!(parts[0], "00");
    assert_eq!(parts[1], "4bf92f3577b34da6a3ce929d0e0e4736", "same trace: one job is one trace");
    assert_ne!(parts[2], "00f067aa0ba902b7", "a new span of that trace");
    assert_eq!(parts[3], "01");
    use opentelemetry::trace::TraceContextExt as _;
    let cx = telemetry::extract(&outgoing);
    assert_eq!(cx.span().span_context().trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
}

#[test]
fn without_a_subscriber_nothing_is_injected() {
    let mut outgoing = BTreeMap::new();
    telemetry::inject(&tracing::info_span!("no subscriber"), &mut outgoing);
    assert!(outgoing.is_empty());
}

/// What a fake OTLP/HTTP collector received: (path, content type, body).
type Received = std::sync::Arc<std::sync::Mutex<Vec<(String, String, Vec<u8>)>>>;

/// An OTLP/HTTP collector on a free port that keeps every request.
async fn collector() -> (String, Received) {
    let received = Received::default();
    let keep = received.clone();
    let server = actix_web::HttpServer::new(move || {
        let keep = keep.clone();
        actix_web::App::new().default_service(actix_web::web::to(
            move |req: actix_web::HttpRequest, body: actix_web::web::Bytes| {
                let keep = keep.clone();
                async move {
                    let content_type =
                        req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                    keep.lock().unwrap().push((req.path().to_owned(), content_type, body.to_vec()));
                    actix_web::HttpResponse::Ok().content_type("application/x-protobuf").finish()
                }
            },
        ))
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    (format!("http://127.0.0.1:{port}"), received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_are_exported_over_otlp_http_in_the_publishers_trace() {
    let (endpoint, received) = collector().await;
    let config = TelemetryConfig {
        project_id: "manga-test".into(),
        otlp_endpoint: Some(endpoint.parse().unwrap()),
        ..TelemetryConfig::default()
    };
    let (dispatch, guard) = telemetry::dispatch("phase4-name", &config, Capture::default()).expect("telemetry");
    tracing::dispatcher::with_default(&dispatch, || {
        let span = tracing::info_span!("pubsub_push", job_id = "job-42");
        assert!(telemetry::set_parent_from_attributes(&span, &carrying_traceparent()));
        span.in_scope(|| tracing::info!("phase finished"));
    });
    // Dropping the guard flushes the batch to the collector.
    tokio::task::spawn_blocking(move || drop(guard)).await.unwrap();

    let received = received.lock().unwrap();
    assert_eq!(received.len(), 1, "one export request");
    let (path, content_type, body) = &received[0];
    assert_eq!((path.as_str(), content_type.as_str()), ("/v1/traces", "application/x-protobuf"));
    // The protobuf carries the span's name, the service's name and the publisher's trace id (16 raw bytes).
    let contains = |needle: &[u8]| body.windows(needle.len()).any(|w| w == needle);
    assert!(contains(b"pubsub_push") && contains(b"phase4-name"));
    let trace_id: Vec<u8> =
        (0..16).map(|i| u8::from_str_radix(&TRACEPARENT[3 + 2 * i..5 + 2 * i], 16).unwrap()).collect();
    assert!(contains(&trace_id), "the exported span belongs to the publisher's trace");
}
