//! The product in one process (`manga serve`, `manga generate`, the API
//! tests): the [`JobService`] over SQLite, the in-memory bus, local files,
//! and the fleet's own push handlers (eight phase services and the
//! orchestrator's) fed from the bus by [`feed`] as Pub/Sub would push to
//! them: the same messages, one per panel and portrait, the same leases and
//! redeliveries, the same dead letters.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use manga_ai::Models;
use manga_blob::LocalBlobStore;
use manga_bus::{Bus, InMemoryBus};
use manga_domain::PhaseId;
use manga_phases::PhaseContext;
use manga_phases::service::{PhaseService, item_topic};
use manga_runtime::PushHandler;
use manga_store::{SqliteStore, Store};
use tokio::task::JoinHandle;

use crate::JobError;
use crate::events::{EventHub, LocalHub};
use crate::feed::{self, Delivery};
use crate::fleet::FleetOrchestrator;
use crate::service::{JobService, ServiceSettings};

/// A running in-process product. Dropping it stops its tasks.
pub struct LocalProduct {
    /// The service the API serves.
    pub service: Arc<JobService>,
    /// The bus the phase workers and the service share.
    pub bus: Arc<InMemoryBus>,
    /// Where artifacts are (`artifacts/` under the data directory).
    pub blob: Arc<LocalBlobStore>,
    tasks: Vec<JoinHandle<()>>,
}

impl LocalProduct {
    /// Starts everything with state under `dir` (`manga.db`, `artifacts/`) and the
    /// local models; `in_memory_db` keeps the database in memory.
    ///
    /// # Errors
    /// [`JobError`] when the database cannot be opened or a worker cannot subscribe.
    pub async fn start(dir: &Path, settings: ServiceSettings, in_memory_db: bool) -> Result<Self, JobError> {
        Self::start_with(dir, settings, in_memory_db, None, Arc::new(Models::local())).await
    }

    /// [`Self::start`] with the given models, copying each job's session to `sessions` when given.
    ///
    /// # Errors
    /// As [`Self::start`].
    pub async fn start_with(
        dir: &Path,
        settings: ServiceSettings,
        in_memory_db: bool,
        sessions: Option<Arc<dyn crate::session::SessionMirror>>,
        models: Arc<Models>,
    ) -> Result<Self, JobError> {
        let store: Arc<dyn Store> = if in_memory_db {
            Arc::new(SqliteStore::in_memory().await.map_err(|e| JobError::Store(e.to_string()))?)
        } else {
            Arc::new(SqliteStore::open(dir.join("manga.db")).await.map_err(|e| JobError::Store(e.to_string()))?)
        };
        let bus = Arc::new(InMemoryBus::new());
        let blob = Arc::new(LocalBlobStore::new(dir.join("artifacts")));
        let events: Arc<dyn EventHub> = Arc::new(LocalHub::new());
        let mut service =
            JobService::new(store.clone(), bus.clone(), blob.clone(), events, models.clone(), settings.clone());
        if let Some(mirror) = sessions {
            service = service.with_sessions(mirror);
        }
        let service = Arc::new(service);

        // Nothing of an earlier process can still hold a lease on this database: its re-sent
        // steps below must not wait for the dead.
        let released = store.release_every_lease().await.map_err(|e| JobError::Store(e.to_string()))?;
        if released > 0 {
            tracing::info!(runs = released, "leases of an earlier run released");
        }
        let ctx = PhaseContext::with_models(blob.clone(), models, bus.clone() as Arc<dyn Bus>);
        let mut tasks = feed::start(bus.clone() as Arc<dyn Bus>, deliveries(&service, &ctx, &store)).await?;
        let sweep_every = settings.feedback_wait.min(Duration::from_secs(5)).max(Duration::from_millis(100));
        tasks.push(service.spawn_review_sweeper(sweep_every));
        tasks.push(service.spawn_stall_sweeper());
        // Whatever was in flight when the last process stopped died with its in-memory bus. A busy
        // database can refuse the first try; the stall sweep is a whole phase deadline away, so
        // try again shortly rather than leave those jobs waiting that long.
        let resumer = service.clone();
        tasks.push(tokio::spawn(async move {
            for wait in [0u64, 1, 2, 4, 8, 16] {
                tokio::time::sleep(Duration::from_secs(wait)).await;
                match resumer.resume_unfinished().await {
                    Ok(0) => return,
                    Ok(n) => return tracing::info!(jobs = n, "resumed the jobs an earlier run left unfinished"),
                    Err(e) => tracing::warn!(error = %e, "unfinished jobs not resumed yet; trying again"),
                }
            }
            tracing::warn!("unfinished jobs not resumed; the stall sweep will");
        }));
        Ok(Self { service, bus, blob, tasks })
    }
}

/// How long a phase run or item is held in one process without a heartbeat (one every
/// quarter of it). Only a process that stopped can miss one, and a restart releases them all.
const LOCAL_LEASE: Duration = Duration::from_secs(30);

/// Requests of different jobs at once, on one phase's topic.
const REQUESTS_AT_ONCE: usize = 16;

/// Who takes each route of the fleet's topology in one process: the phase services and the
/// orchestrator the fleet runs, with as many items (panels, portraits) at once as the image
/// model takes, and results and progress in the order they were sent.
fn deliveries(
    service: &Arc<JobService>,
    ctx: &PhaseContext,
    store: &Arc<dyn Store>,
) -> impl Fn(&manga_bus::pubsub::Route) -> Option<Delivery> {
    let orchestrator: Arc<dyn PushHandler> = Arc::new(FleetOrchestrator::new(service.clone()));
    let phases: Vec<(String, Arc<dyn PushHandler>)> = PhaseId::ALL
        .iter()
        .map(|&phase| {
            let handler = PhaseService::new(phase, ctx.clone(), store.clone(), LOCAL_LEASE);
            (phase.service(), Arc::new(handler) as Arc<dyn PushHandler>)
        })
        .collect();
    let items_at_once = ctx.image_concurrency;
    move |route| {
        if route.service == manga_bus::pubsub::ORCHESTRATOR {
            return Some(Delivery { handler: orchestrator.clone(), at_once: 1 });
        }
        let (_, handler) = phases.iter().find(|(name, _)| *name == route.service)?;
        let is_items = PhaseId::ALL.iter().any(|&p| item_topic(p) == Some(route.subscription.topic.as_str()));
        Some(Delivery { handler: handler.clone(), at_once: if is_items { items_at_once } else { REQUESTS_AT_ONCE } })
    }
}

impl Drop for LocalProduct {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// The one person of a process that serves nobody else.
pub(crate) fn local_user() -> manga_store::UserId {
    manga_store::UserId::parse("local").expect("'local' is a valid user id")
}

/// What `manga serve` was asked for.
#[derive(Clone)]
pub struct ServeOptions {
    /// Address to listen on.
    pub host: String,
    /// Port (0 picks one).
    pub port: u16,
    /// Where the database and artifacts live.
    pub data: std::path::PathBuf,
    /// The HS256 key; `None` uses the one kept in the data directory (made on first use).
    pub secret_key: Option<String>,
    /// Browser origins allowed besides the page itself.
    pub cors_origins: Vec<String>,
    /// Requests a minute per client IP and per user.
    pub rate_limit_per_minute: u32,
    /// Review timeouts.
    pub settings: ServiceSettings,
    /// The models jobs run with and may choose from.
    pub models: Arc<Models>,
}

/// The signing key kept in the data directory (`secret-key`, readable by its owner only),
/// made on first use, so a restarted `manga serve` accepts the tokens it gave before and an
/// open page picks its job up again.
fn kept_secret(data: &Path) -> Result<String, String> {
    let path = data.join("secret-key");
    match std::fs::read_to_string(&path) {
        Ok(key) if key.trim().len() >= 32 => return Ok(key.trim().to_owned()),
        Ok(_) => return Err(format!("{} is shorter than 32 characters; remove it to make a new key", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    }
    // 244 random bits from two v4 UUIDs.
    let key = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut file, 0o600);
    let written = file.open(&path).and_then(|mut f| std::io::Write::write_all(&mut f, key.as_bytes()));
    written.map_err(|e| format!("cannot keep a signing key in {}: {e}", path.display()))?;
    Ok(key)
}

/// How long the token `serve` prints stays valid.
const LOCAL_TOKEN_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// Serves the web page and the API until Ctrl-C or SIGTERM, printing the
/// address with a token for the single local user.
///
/// # Errors
/// A sentence when the data directory or the address cannot be used.
pub async fn serve(options: ServeOptions) -> Result<(), String> {
    std::fs::create_dir_all(&options.data)
        .map_err(|e| format!("cannot use {} for data: {e}", options.data.display()))?;
    let product =
        LocalProduct::start_with(&options.data, options.settings.clone(), false, None, options.models.clone())
            .await
            .map_err(|e| format!("cannot start: {e}"))?;
    let secret = match options.secret_key.clone() {
        Some(key) => key,
        None => kept_secret(&options.data)?,
    };
    let mut api = crate::api::ApiSettings::new(secret.as_bytes(), options.cors_origins.clone());
    let rate = crate::http::limits::Rate { capacity: options.rate_limit_per_minute, per: Duration::from_secs(60) };
    (api.per_ip, api.per_user) = (rate, rate);
    let token = api.jwt.issue(&local_user(), LOCAL_TOKEN_TTL);
    let routes = crate::api::routes(product.service.clone(), api);
    let server = actix_web::HttpServer::new(move || {
        let routes = routes.clone();
        actix_web::App::new()
            .route(
                "/health",
                actix_web::web::get()
                    .to(|| async { actix_web::HttpResponse::Ok().json(serde_json::json!({"status": "ok"})) }),
            )
            .configure(move |cfg| routes(cfg))
    })
    .workers(2)
    .shutdown_timeout(10)
    .bind((options.host.as_str(), options.port))
    .map_err(|e| format!("cannot listen on {}:{}: {e}", options.host, options.port))?;
    let address = server.addrs().first().copied().ok_or("the server has no address")?;
    println!("manga serve: jobs and files in {}", options.data.display());
    println!("manga serve: open http://{address}/#token={token}");
    use std::io::Write;
    std::io::stdout().flush().ok();
    server.run().await.map_err(|e| format!("the server stopped: {e}"))?;
    drop(product);
    Ok(())
}
