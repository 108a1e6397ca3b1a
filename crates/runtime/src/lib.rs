//! What every fleet service shares, so a service's `main` is only wiring:
//!
//! ```no_run
//! # use std::sync::Arc;
//! # struct Storyboard;
//! # #[async_trait::async_trait]
//! # impl manga_runtime::PushHandler for Storyboard {
//! #     async fn handle(&self, _: manga_runtime::PushMessage) -> Result<(), manga_runtime::HandlerError> { Ok(()) }
//! #     async fn ready(&self) -> Result<(), String> { Ok(()) }
//! # }
//! # async fn main_() -> anyhow::Result<()> {
//! let config = manga_runtime::Config::from_env()?; // a bad value names its variable
//! let _telemetry = manga_runtime::telemetry::init("phase4-name", &config.telemetry)?;
//! let app = manga_runtime::App::build(config, Arc::new(Storyboard)).await?;
//! Ok(app.run_until_stopped().await?) // SIGTERM: drain, then exit 0
//! # }
//! ```
//!
//! - [`config`]: [`Config`], read once from environment variables (the only
//!   place that reads them).
//! - [`telemetry`]: JSON logs in Cloud Logging's shape, OpenTelemetry traces
//!   over OTLP, `traceparent` in Pub/Sub attributes.
//! - [`App`]: actix-web with `/health`, `/ready`, `/metrics` and
//!   `POST /pubsub/push` (OIDC-verified) calling a [`PushHandler`]; graceful
//!   shutdown.
//! - [`error`]: typed errors with `is_transient()`; the one mapping of push
//!   errors to status codes.
//!
//! Depends on no other crate of ours except `domain`; the phases and the
//! orchestrator depend on it, never the reverse.

mod app;
pub mod config;
pub mod error;
pub mod metrics;
mod observe;
pub mod oidc;
pub mod push;
mod routes;
pub mod telemetry;

pub use app::{App, ExtraRoutes, PUSH_BODY_LIMIT, StopHandle};
pub use config::{ApiConfig, BlobBackend, Config, OidcSettings, PushAuth, Secret, TelemetryConfig};
pub use error::{AppError, AuthError, ConfigError, HandlerError, PushError, TelemetryError};
pub use metrics::{Metrics, PushOutcome};
pub use push::{PushHandler, PushMessage};
