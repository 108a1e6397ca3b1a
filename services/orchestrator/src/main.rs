//! orchestrator: the jobs API and the job state machine of the fleet. Wiring only.
use std::sync::Arc;

use manga_orchestrator::fleet::FleetOrchestrator;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = manga_runtime::Config::from_env()?; // a bad value names its variable
    let _telemetry = manga_runtime::telemetry::init("orchestrator", &config.telemetry)?;
    let (store, bus, blob) = manga_phases::service::connect(&config).await?;
    let orchestrator = Arc::new(FleetOrchestrator::new(store, bus, blob));
    let app = manga_runtime::App::build_with_routes(config, orchestrator.clone(), orchestrator.routes()).await?;
    Ok(app.run_until_stopped().await?) // SIGTERM: finish in-flight work, then exit
}
