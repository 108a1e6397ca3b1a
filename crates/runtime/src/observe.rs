//! Per-request middleware: a span with a request id (and Cloud Run's
//! `traceparent` as its parent), the request counter and latency histogram,
//! and one log line when the request finishes.

use std::{collections::BTreeMap, time::Instant};

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
    web,
};
use tracing::{Instrument as _, field::Empty};

use crate::{routes::AppState, telemetry::propagation};

/// Routes polled by probes and scrapers; logged at DEBUG so they do not
/// drown the interesting lines.
const QUIET_ROUTES: &[&str] = &["/health", "/ready", "/metrics"];

/// The middleware function, for `actix_web::middleware::from_fn`.
pub(crate) async fn observe(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = request.method().to_string();
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .filter(|value| !value.is_empty() && value.len() <= 128)
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    let span = tracing::info_span!(
        "http_request",
        request_id = %request_id,
        method = %method,
        route = Empty,
        status = Empty,
        duration_ms = Empty,
    );
    propagation::set_parent_from_attributes(&span, &trace_headers(&request));
    let metrics = request.app_data::<web::Data<AppState>>().map(|state| state.metrics.clone());

    let result = next.call(request).instrument(span.clone()).await;

    let (status, route) = match &result {
        Ok(response) => (response.status().as_u16(), response.request().match_pattern()),
        Err(error) => (error.as_response_error().status_code().as_u16(), None),
    };
    // Unmatched paths share one label so scanners cannot blow up the series.
    let route = route.unwrap_or_else(|| "unmatched".to_owned());
    let elapsed = started.elapsed();
    span.record("route", route.as_str());
    span.record("status", status);
    span.record("duration_ms", u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX));
    if let Some(metrics) = metrics {
        metrics.observe_request(&method, &route, status, elapsed.as_secs_f64());
    }
    span.in_scope(|| {
        if QUIET_ROUTES.contains(&route.as_str()) {
            tracing::debug!("request finished");
        } else {
            tracing::info!("request finished");
        }
    });
    result
}

/// The W3C trace headers of a request, in the shape the propagator reads.
fn trace_headers(request: &ServiceRequest) -> BTreeMap<String, String> {
    ["traceparent", "tracestate"]
        .into_iter()
        .filter_map(|name| {
            let value = request.headers().get(name)?.to_str().ok()?;
            Some((name.to_owned(), value.to_owned()))
        })
        .collect()
}
