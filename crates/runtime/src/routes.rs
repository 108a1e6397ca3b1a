//! The routes every service serves: `/health`, `/ready`, `/metrics` and
//! `POST /pubsub/push`.

use std::{
    panic::AssertUnwindSafe,
    sync::{Arc, atomic::AtomicBool, atomic::Ordering},
    time::Instant,
};

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use bytes::{Bytes, BytesMut};
use futures_util::{FutureExt as _, StreamExt as _};
use tracing::{Instrument as _, field::Empty};

use crate::{
    error::{HandlerError, PushError},
    metrics::{Metrics, PushOutcome},
    oidc::OidcVerifier,
    push::{PushHandler, PushMessage, parse_envelope},
    telemetry::propagation,
};

/// Shared by every worker.
pub(crate) struct AppState {
    pub(crate) service_name: String,
    pub(crate) handler: Arc<dyn PushHandler>,
    /// `None` when `PUSH_AUTH=off` (emulator only).
    pub(crate) verifier: Option<OidcVerifier>,
    pub(crate) metrics: Metrics,
    /// Set on SIGTERM: new pushes get 503 so Pub/Sub hands them to another
    /// instance, and `/ready` fails so no new traffic is routed here.
    pub(crate) draining: AtomicBool,
    pub(crate) body_limit: usize,
    /// `REQUEST_TIMEOUT_SECONDS`: a push still running past it is cut, as Cloud Run cuts it.
    pub(crate) request_timeout: Option<std::time::Duration>,
    /// `CONTAINER_CONCURRENCY`: pushes handled at once; the rest wait here, before their
    /// request timeout starts, as Cloud Run holds a request until an instance has room.
    pub(crate) slots: Option<tokio::sync::Semaphore>,
}

/// `GET /health`: the process is alive.
pub(crate) async fn health(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok", "service": state.service_name }))
}

/// `GET /ready`: the handler's dependencies answer, and we are not draining.
pub(crate) async fn ready(state: web::Data<AppState>) -> HttpResponse {
    if state.draining.load(Ordering::SeqCst) {
        return HttpResponse::ServiceUnavailable().json(serde_json::json!({ "error": "shutting down" }));
    }
    match state.handler.ready().await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })),
        Err(reason) => {
            tracing::warn!(reason = %reason, "not ready");
            HttpResponse::ServiceUnavailable().json(serde_json::json!({ "error": reason }))
        }
    }
}

/// `GET /metrics`: Prometheus text.
pub(crate) async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(state.metrics.render())
}

/// `POST /pubsub/push`: authenticate, read, parse, handle. A 2xx acks the
/// message; anything else makes Pub/Sub redeliver it.
pub(crate) async fn push(
    request: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PushError> {
    let _in_flight = state.metrics.push_in_flight();
    let result = accept_push(&request, payload, &state).await;
    match &result {
        Ok(Ack::Handled) => state.metrics.observe_push(PushOutcome::Acked),
        // Counted with its reason where it was decided.
        Ok(Ack::Rejected(_)) => {}
        Err(PushError::Unauthorized(error)) => {
            tracing::warn!(error = %error, "push refused: not authenticated");
            state.metrics.observe_push(PushOutcome::Unauthorized);
        }
        Err(error) => {
            tracing::warn!(error = %error, "push not acknowledged; Pub/Sub will redeliver");
            state.metrics.observe_push(PushOutcome::Nacked);
        }
    }
    result.map(Ack::into_response)
}

/// How an acknowledged push ended.
enum Ack {
    Handled,
    /// Acknowledged without success, with the reason.
    Rejected(String),
}

impl Ack {
    fn into_response(self) -> HttpResponse {
        match self {
            Self::Handled => HttpResponse::NoContent().finish(),
            Self::Rejected(reason) => {
                HttpResponse::Ok().json(serde_json::json!({ "status": "rejected", "reason": reason }))
            }
        }
    }
}

async fn accept_push(request: &HttpRequest, payload: web::Payload, state: &AppState) -> Result<Ack, PushError> {
    if state.draining.load(Ordering::SeqCst) {
        return Err(PushError::Draining);
    }
    // Authenticate before reading the body: an unauthenticated caller costs
    // us no more than its headers.
    if let Some(verifier) = &state.verifier {
        let authorization = request.headers().get(header::AUTHORIZATION).and_then(|value| value.to_str().ok());
        verifier.verify(authorization).await?;
    }
    let body = read_body(request, payload, state.body_limit).await?;
    let message = match parse_envelope(&body) {
        Ok(message) => message,
        Err(error) => {
            // Redelivering the same bytes cannot help: ack, and say why once.
            tracing::warn!(message_id = error.message_id.as_deref(), reason = %error.reason, "push rejected");
            state.metrics.observe_rejection(error.kind);
            return Ok(Ack::Rejected(error.reason));
        }
    };
    handle(message, state).await
}

async fn handle(message: PushMessage, state: &AppState) -> Result<Ack, PushError> {
    let span = tracing::info_span!(
        "pubsub_push",
        message_id = %message.message_id,
        subscription = %message.subscription,
        job_id = message.attribute("job_id"),
        phase = message.attribute("phase"),
        attempt = message.attribute("attempt"),
        delivery_attempt = message.delivery_attempt,
        status = Empty,
        duration_ms = Empty,
    );
    // The publisher's trace, so one job is one trace across services; without
    // one the span stays a child of the HTTP request's.
    propagation::set_parent_from_attributes(&span, &message.attributes);

    // The semaphore is never closed, so acquiring fails only if it were; then nothing is held back.
    let _slot = match &state.slots {
        Some(slots) => slots.acquire().await.ok(),
        None => None,
    };
    let started = Instant::now();
    let handling = AssertUnwindSafe(state.handler.handle(message)).catch_unwind().instrument(span.clone());
    let outcome = match state.request_timeout {
        // Dropping the handler's future is what Cloud Run's cut amounts to at worst: its outcome never counts.
        Some(limit) => match tokio::time::timeout(limit, handling).await {
            Ok(outcome) => outcome,
            Err(_) => {
                span.record("status", "timed_out");
                let _entered = span.enter();
                tracing::warn!(timeout_s = limit.as_secs(), "push cut at the request timeout; Pub/Sub will redeliver");
                return Err(PushError::TimedOut { seconds: limit.as_secs() });
            }
        },
        None => handling.await,
    };
    span.record("duration_ms", u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
    let _entered = span.enter();
    match outcome {
        Ok(Ok(())) => {
            span.record("status", "acked");
            tracing::info!("push handled");
            Ok(Ack::Handled)
        }
        Ok(Err(HandlerError::Transient(reason))) => {
            span.record("status", "nacked");
            Err(PushError::Unavailable(reason))
        }
        Ok(Err(HandlerError::Permanent(reason))) => {
            span.record("status", "rejected");
            tracing::error!(reason = %reason, "push failed permanently; acknowledged so it is not redelivered");
            state.metrics.observe_rejection("permanent_failure");
            Ok(Ack::Rejected(reason))
        }
        Err(_panic) => {
            span.record("status", "panicked");
            tracing::error!("push handler panicked");
            Err(PushError::HandlerPanicked)
        }
    }
}

/// Reads the body up to `limit` bytes; more is 413 (checked against
/// `Content-Length` first, so an honest oversized request is not read at all).
async fn read_body(request: &HttpRequest, mut payload: web::Payload, limit: usize) -> Result<Bytes, PushError> {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(PushError::PayloadTooLarge { limit });
    }
    let mut body = BytesMut::with_capacity(declared.unwrap_or(0).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|error| PushError::Body(error.to_string()))?;
        if body.len() + chunk.len() > limit {
            return Err(PushError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Any other path: a JSON 404.
pub(crate) async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(serde_json::json!({ "error": "not found" }))
}
