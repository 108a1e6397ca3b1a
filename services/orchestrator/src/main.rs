//! orchestrator: the public API, the web page and the job state machine of the fleet. Wiring only.
use std::sync::Arc;

use manga_orchestrator::fleet::FleetOrchestrator;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = manga_runtime::Config::from_env()?; // a bad value names its variable
    let _telemetry = manga_runtime::telemetry::init("orchestrator", &config.telemetry)?;
    let (service, api) = manga_orchestrator::fleet::connect(&config).await?;
    let orchestrator = FleetOrchestrator::new(Arc::new(service));
    let _sweepers = orchestrator.spawn_sweepers();
    let routes = orchestrator.routes(api);
    let app = manga_runtime::App::build_with_routes(config, Arc::new(orchestrator), routes).await?;
    Ok(app.run_until_stopped().await?) // SIGTERM: finish in-flight work, then exit
}
