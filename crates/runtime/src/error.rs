//! Errors of the runtime, one enum per thing that can fail, each saying
//! whether retrying could help (`is_transient()`).
//!
//! The mapping of push errors to HTTP status codes lives in one place:
//! the `ResponseError` impl for [`PushError`].

use actix_web::{HttpResponse, ResponseError, http::StatusCode};

/// A configuration value is missing, malformed or refused. Always permanent:
/// the service must not start.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// A variable is set to a value that does not parse.
    #[error("{name} must be {expected}, got \"{got}\"")]
    Invalid {
        /// The environment variable.
        name: &'static str,
        /// What a valid value looks like.
        expected: &'static str,
        /// The value found.
        got: String,
    },
    /// A variable that the other settings make necessary is unset.
    #[error("{name} must be set {why}")]
    Missing {
        /// The environment variable.
        name: &'static str,
        /// Why it is needed.
        why: &'static str,
    },
    /// A variable holds bytes that are not UTF-8.
    #[error("{name} must be valid UTF-8")]
    NotUnicode {
        /// The environment variable.
        name: &'static str,
    },
    /// `PUSH_AUTH=off` outside the emulator would accept forged pushes.
    #[error(
        "PUSH_AUTH=off is refused unless PUBSUB_EMULATOR_HOST is set: only the emulator pushes without a signed token"
    )]
    PushAuthOffWithoutEmulator,
}

impl ConfigError {
    /// Configuration never fixes itself by retrying.
    pub fn is_transient(&self) -> bool {
        false
    }
}

/// Telemetry could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The OTLP exporter could not be built.
    #[cfg(feature = "otlp")]
    #[error("failed to build the OTLP span exporter for {endpoint}: {source}")]
    Exporter {
        /// The traces endpoint.
        endpoint: String,
        /// The exporter's error.
        #[source]
        source: opentelemetry_otlp::ExporterBuildError,
    },
    /// Traces were asked for, but this build has no OTLP exporter.
    #[cfg(not(feature = "otlp"))]
    #[error(
        "OTEL_EXPORTER_OTLP_ENDPOINT is set ({endpoint}), but this build exports no traces: build with the `otlp` feature"
    )]
    NoExporter {
        /// The traces endpoint.
        endpoint: String,
    },
    /// Exporting needs a Tokio runtime (the batch processor is a task).
    #[error("OTEL_EXPORTER_OTLP_ENDPOINT is set but telemetry was initialised outside a Tokio runtime")]
    NoRuntime,
    /// A global subscriber was already installed (by `init` or someone else).
    #[error("a global tracing subscriber is already installed: {0}")]
    AlreadyInstalled(#[from] tracing::dispatcher::SetGlobalDefaultError),
}

impl TelemetryError {
    /// Neither case improves by retrying.
    pub fn is_transient(&self) -> bool {
        false
    }
}

/// The application could not start or stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The port could not be bound.
    #[error("failed to bind 0.0.0.0:{port}: {source}")]
    Bind {
        /// The configured port.
        port: u16,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The HTTP client used to fetch the OIDC keys could not be built.
    #[error("failed to build the HTTP client for the OIDC keys: {0}")]
    HttpClient(#[source] reqwest::Error),
    /// A metric could not be registered (usually a duplicate name).
    #[error("failed to register metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    /// The server failed while running.
    #[error("the HTTP server failed: {0}")]
    Server(#[source] std::io::Error),
}

impl AppError {
    /// A bind failure (port in use) may clear up; the rest will not.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Bind { .. })
    }
}

/// What a [`crate::PushHandler`] reports when it could not handle a message.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum HandlerError {
    /// Retrying may succeed (a dependency is down, a timeout): the push is
    /// answered 503 so Pub/Sub redelivers it with backoff.
    #[error("transient failure: {0}")]
    Transient(String),
    /// The message can never succeed (it does not decode, its job is unknown):
    /// the push is acknowledged so Pub/Sub stops redelivering it, and logged.
    #[error("permanent failure: {0}")]
    Permanent(String),
}

impl HandlerError {
    /// True when Pub/Sub should redeliver.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient(_))
    }
}

/// Why a push token was refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization: Bearer` header.
    #[error("missing bearer token")]
    MissingToken,
    /// The header is not `Bearer <jwt>` or the JWT does not parse.
    #[error("malformed bearer token: {0}")]
    Malformed(String),
    /// The token's header names an algorithm other than RS256.
    #[error("token algorithm must be RS256, got {0}")]
    WrongAlgorithm(String),
    /// The token's key id is not in the issuer's key set.
    #[error("token key id {0:?} is not in the issuer's key set")]
    UnknownKey(String),
    /// Signature, issuer, audience or expiry check failed.
    #[error("token rejected: {0}")]
    Invalid(String),
    /// The token was not issued to the configured push service account.
    #[error("token email {0:?} is not the push service account")]
    WrongEmail(String),
    /// The token's email is not verified.
    #[error("token email is not verified")]
    EmailNotVerified,
    /// The key set could not be fetched: not the caller's fault.
    #[error("failed to fetch the OIDC key set from {url}: {reason}")]
    KeysUnavailable {
        /// The JWKS URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
}

impl AuthError {
    /// Only an unreachable key set is worth retrying; a bad token stays bad.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::KeysUnavailable { .. })
    }
}

/// Why a push request was not acknowledged.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The token was missing or invalid: 401, nothing processed.
    #[error(transparent)]
    Unauthorized(AuthError),
    /// The body exceeds the limit: 413.
    #[error("request body exceeds {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body could not be read from the connection.
    #[error("failed to read the request body: {0}")]
    Body(String),
    /// The handler asked for redelivery, or a dependency of the check is down: 503.
    #[error("{0}")]
    Unavailable(String),
    /// The service is shutting down and takes no new work: 503 so another
    /// instance gets the redelivery.
    #[error("shutting down; not taking new work")]
    Draining,
    /// The handler panicked: a bug, 500 so the message is retried and in the
    /// end dead-lettered.
    #[error("the handler panicked")]
    HandlerPanicked,
    /// The handler outlived the request timeout (`REQUEST_TIMEOUT_SECONDS`, Cloud
    /// Run's `timeoutSeconds`): 504, its work dropped, so Pub/Sub redelivers.
    #[error("the request outlived its {seconds} s timeout")]
    TimedOut {
        /// The timeout in seconds.
        seconds: u64,
    },
}

impl PushError {
    /// Whether Pub/Sub redelivering may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unauthorized(auth) => auth.is_transient(),
            Self::PayloadTooLarge { .. } => false,
            Self::Body(_) | Self::Unavailable(_) | Self::Draining | Self::HandlerPanicked | Self::TimedOut { .. } => {
                true
            }
        }
    }
}

impl From<AuthError> for PushError {
    fn from(error: AuthError) -> Self {
        // An unreachable key set is our problem, not a forged token: answer
        // 503 so Pub/Sub retries instead of treating the push as refused.
        if error.is_transient() { Self::Unavailable(error.to_string()) } else { Self::Unauthorized(error) }
    }
}

impl ResponseError for PushError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Body(_) => StatusCode::BAD_REQUEST,
            Self::Unavailable(_) | Self::Draining => StatusCode::SERVICE_UNAVAILABLE,
            Self::HandlerPanicked => StatusCode::INTERNAL_SERVER_ERROR,
            Self::TimedOut { .. } => StatusCode::GATEWAY_TIMEOUT,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if matches!(self, Self::Unauthorized(_)) {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        response.json(serde_json::json!({ "error": self.to_string() }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_key_set_becomes_503_not_401() {
        let error = PushError::from(AuthError::KeysUnavailable { url: "u".into(), reason: "down".into() });
        assert_eq!(error.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        let error = PushError::from(AuthError::MissingToken);
        assert_eq!(error.status_code(), StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn only_transient_handler_errors_ask_for_redelivery() {
        assert!(HandlerError::Transient("db down".into()).is_transient());
        assert!(!HandlerError::Permanent("bad proto".into()).is_transient());
    }
}
