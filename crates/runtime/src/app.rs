//! The HTTP application: binds its port in [`App::build`] (so tests pass port
//! 0 and read [`App::port`]), serves until SIGTERM/SIGINT or a
//! [`StopHandle`], then drains: new pushes get 503, in-flight ones may finish
//! within the grace period, and `run_until_stopped` returns `Ok`.

use std::{
    net::TcpListener,
    sync::{Arc, atomic::AtomicBool, atomic::Ordering},
};

use actix_web::{App as ActixApp, HttpServer, dev::Server, middleware::from_fn, web};
use tokio::sync::Notify;

use crate::{
    config::{Config, PushAuth},
    error::AppError,
    metrics::Metrics,
    observe::observe,
    oidc::OidcVerifier,
    push::PushHandler,
    routes::{self, AppState},
};

/// The largest push body accepted (Pub/Sub messages are at most 10 MB, and
/// base64 in a JSON envelope adds a third).
pub const PUSH_BODY_LIMIT: usize = 14 * 1024 * 1024;

/// A service's own routes, added to every worker's app.
pub type ExtraRoutes = Arc<dyn Fn(&mut web::ServiceConfig) + Send + Sync>;

/// A bound, not yet running, service.
pub struct App {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
    stop: Arc<Notify>,
}

/// Asks a running [`App`] to shut down as on SIGTERM (for tests and for
/// services that stop themselves).
#[derive(Clone)]
pub struct StopHandle(Arc<Notify>);

impl StopHandle {
    /// Starts the graceful shutdown; `run_until_stopped` returns once drained.
    pub fn stop(&self) {
        // `notify_one` keeps a permit, so a stop before the app starts
        // waiting is not lost.
        self.0.notify_one();
    }
}

impl App {
    /// Binds `0.0.0.0:{config.port}` and prepares the routes.
    ///
    /// # Errors
    /// [`AppError::Bind`] if the port is taken, [`AppError::Metrics`] if the
    /// handler's metrics clash, [`AppError::HttpClient`] if the OIDC client
    /// cannot be built.
    pub async fn build(config: Config, handler: Arc<dyn PushHandler>) -> Result<Self, AppError> {
        Self::build_with_routes(config, handler, Arc::new(|_: &mut web::ServiceConfig| {})).await
    }

    /// As [`App::build`], plus the service's own routes (the orchestrator's
    /// API), mounted beside the shared ones.
    ///
    /// # Errors
    /// As [`App::build`].
    pub async fn build_with_routes(
        config: Config,
        handler: Arc<dyn PushHandler>,
        extra: ExtraRoutes,
    ) -> Result<Self, AppError> {
        let listener = TcpListener::bind(("0.0.0.0", config.port))
            .map_err(|source| AppError::Bind { port: config.port, source })?;
        let port = listener.local_addr().map_err(|source| AppError::Bind { port: config.port, source })?.port();

        let metrics = Metrics::new()?;
        handler.register_metrics(metrics.registry())?;
        let verifier = match config.push_auth {
            PushAuth::Verify(settings) => Some(OidcVerifier::new(settings).map_err(AppError::HttpClient)?),
            PushAuth::Off => {
                tracing::warn!("PUSH_AUTH=off: pushes are accepted without a token (Pub/Sub emulator only)");
                None
            }
        };
        let state = web::Data::new(AppState {
            service_name: config.service_name.clone(),
            handler,
            verifier,
            metrics,
            draining: AtomicBool::new(false),
            body_limit: PUSH_BODY_LIMIT,
            request_timeout: config.request_timeout,
            slots: config.container_concurrency.map(tokio::sync::Semaphore::new),
        });

        let app_state = state.clone();
        let server = HttpServer::new(move || {
            let extra = extra.clone();
            ActixApp::new()
                .wrap(from_fn(observe))
                .app_data(app_state.clone())
                .route("/health", web::get().to(routes::health))
                .route("/ready", web::get().to(routes::ready))
                .route("/metrics", web::get().to(routes::metrics))
                .route("/pubsub/push", web::post().to(routes::push))
                .configure(|c| extra(c))
                .default_service(web::to(routes::not_found))
        })
        // Signals are handled in `run_until_stopped`, which must mark the
        // app as draining before the server stops.
        .disable_signals()
        .shutdown_timeout(config.shutdown_grace.as_secs())
        .listen(listener)
        .map_err(AppError::Server)?
        .run();
        tracing::info!(port, service = %config.service_name, "listening");
        Ok(Self { port, server, state, stop: Arc::new(Notify::new()) })
    }

    /// The bound port (the real one when `PORT=0`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The metrics; `metrics().registry()` takes a service's own metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.state.metrics
    }

    /// A handle that stops the app as SIGTERM would.
    pub fn stop_handle(&self) -> StopHandle {
        StopHandle(self.stop.clone())
    }

    /// Serves until SIGTERM, SIGINT or [`StopHandle::stop`], then stops
    /// taking work and lets in-flight requests finish within the grace
    /// period (those cut off are redelivered by Pub/Sub).
    ///
    /// # Errors
    /// [`AppError::Server`] if the server fails.
    pub async fn run_until_stopped(self) -> Result<(), AppError> {
        let Self { server, state, stop, .. } = self;
        let handle = server.handle();
        let mut server = std::pin::pin!(server);
        tokio::select! {
            result = &mut server => return result.map_err(AppError::Server),
            reason = shutdown_requested(&stop) => {
                tracing::info!(reason, "shutting down: no new work, draining in-flight requests");
            }
        }
        state.draining.store(true, Ordering::SeqCst);
        let (_, result) = tokio::join!(handle.stop(true), server);
        result.map_err(AppError::Server)?;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Resolves with the name of whatever asked for the shutdown.
async fn shutdown_requested(stop: &Notify) -> &'static str {
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            // Without a SIGTERM handler the other triggers still work.
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = terminate => "SIGTERM",
        result = tokio::signal::ctrl_c() => match result {
            Ok(()) => "SIGINT",
            Err(_) => std::future::pending().await,
        },
        () = stop.notified() => "stop requested",
    }
}
