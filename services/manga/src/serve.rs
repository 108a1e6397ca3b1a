//! `manga serve`: the product in this process. Wiring only; the server is
//! [`manga_orchestrator::local::serve`].

use std::time::Duration;

use manga_orchestrator::local::{ServeOptions, serve};
use manga_orchestrator::service::{ServiceSettings, TimeoutAction};

use crate::cli::ServeArgs;

/// Serves until Ctrl-C.
///
/// # Errors
/// A sentence when the models are misconfigured, the address cannot be bound or the data directory cannot be used.
pub async fn run(args: ServeArgs) -> Result<(), String> {
    let models = crate::models::configured(&args.models)?;
    let settings = ServiceSettings {
        feedback_wait: Duration::from_secs(args.max_feedback_wait),
        timeout_action: if args.timeout_action == "pause" { TimeoutAction::Pause } else { TimeoutAction::Approve },
        phase_deadline: Duration::from_secs(args.phase_deadline),
        ..ServiceSettings::default()
    };
    let options = ServeOptions {
        host: args.host,
        port: args.port,
        data: args.data,
        secret_key: args.secret_key.filter(|k| !k.is_empty()),
        cors_origins: args.cors_origins.into_iter().filter(|o| !o.is_empty()).collect(),
        rate_limit_per_minute: args.rate_limit,
        settings,
        models,
    };
    serve(options).await
}
