//! phase4-name: phase 4 of the manga pipeline as a fleet service. Wiring only.
use std::sync::Arc;

use manga_domain::PhaseId;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = manga_runtime::Config::from_env()?; // a bad value names its variable
    let _telemetry = manga_runtime::telemetry::init("phase4-name", &config.telemetry)?;
    let handler = manga_phases::service::PhaseService::connect(PhaseId::Name, &config).await?;
    let app = manga_runtime::App::build(config, Arc::new(handler)).await?;
    Ok(app.run_until_stopped().await?) // SIGTERM: finish in-flight work, then exit
}
