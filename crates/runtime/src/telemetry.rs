//! Logs and traces for a service.
//!
//! - [`init`] installs the global subscriber: JSON lines on stdout in Cloud
//!   Logging's shape ([`CloudLoggingLayer`]), filtered by `RUST_LOG`, and
//!   OpenTelemetry spans, exported over OTLP/HTTP when
//!   `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
//! - [`dispatch`] builds the same thing with any writer and without
//!   installing it, so tests capture the lines (zero-to-production's
//!   `get_subscriber(name, filter, sink)`).
//! - [`propagation`] carries `traceparent` in Pub/Sub attributes.
//!
//! Spans get OpenTelemetry ids even when nothing is exported, so log lines
//! always carry `logging.googleapis.com/trace`.

mod cloud_logging;
pub mod propagation;

use std::{sync::mpsc, time::Duration};

pub use cloud_logging::CloudLoggingLayer;
use opentelemetry::trace::TracerProvider as _;
#[cfg(feature = "otlp")]
use opentelemetry_otlp::WithExportConfig as _;
#[cfg(feature = "otlp")]
use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
use opentelemetry_sdk::{
    Resource,
    trace::{Sampler, SdkTracerProvider},
};
pub use propagation::{extract, inject, inject_context, inject_current, set_parent_from_attributes};
use tracing::Dispatch;
use tracing_subscriber::{EnvFilter, Registry, fmt::MakeWriter, layer::SubscriberExt as _};

use crate::{config::TelemetryConfig, error::TelemetryError};

/// How long dropping [`Telemetry`] waits for the last spans to be exported.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// Keeps the tracer provider alive; dropping it flushes and shuts down the
/// span exporter. Hold it until `main` returns.
#[must_use = "dropping the guard stops exporting spans"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// The tracer provider, e.g. to create spans outside `tracing`.
    pub fn provider(&self) -> Option<&SdkTracerProvider> {
        self.provider.as_ref()
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        let Some(provider) = self.provider.take() else { return };
        // The batch processor runs as a Tokio task; shutting down blocks until
        // it has flushed. Block on another thread, with a bound, so a
        // single-threaded runtime (or a dead collector) cannot hang the exit.
        let (done, wait) = mpsc::channel();
        std::thread::spawn(move || {
            // The waiter may have given up already; then nobody needs the answer.
            done.send(provider.shutdown()).unwrap_or_default();
        });
        match wait.recv_timeout(FLUSH_TIMEOUT) {
            Ok(Ok(())) => {}
            // Logging has stopped with the provider: stderr is all that is left.
            Ok(Err(error)) => eprintln!("failed to flush spans at shutdown: {error}"),
            Err(_) => eprintln!("gave up flushing spans after {FLUSH_TIMEOUT:?}"),
        }
    }
}

/// Installs the global subscriber writing to stdout.
///
/// # Errors
/// `TelemetryError::Exporter` when the OTLP exporter cannot be built,
/// [`TelemetryError::AlreadyInstalled`] when called twice.
pub fn init(service_name: &str, config: &TelemetryConfig) -> Result<Telemetry, TelemetryError> {
    let (dispatch, telemetry) = dispatch(service_name, config, std::io::stdout)?;
    tracing::dispatcher::set_global_default(dispatch)?;
    Ok(telemetry)
}

/// Builds the subscriber without installing it; lines go to `make_writer`.
/// Use `tracing::dispatcher::with_default` (or `set_default`) to apply it.
///
/// # Errors
/// `TelemetryError::Exporter` when the OTLP exporter cannot be built, and
/// [`TelemetryError::NoRuntime`] when exporting is asked for outside Tokio.
pub fn dispatch<W>(
    service_name: &str,
    config: &TelemetryConfig,
    make_writer: W,
) -> Result<(Dispatch, Telemetry), TelemetryError>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let provider = tracer_provider(service_name, config)?;
    let tracer = provider.tracer(service_name.to_owned());
    // The filter was validated with the rest of the configuration.
    let filter = EnvFilter::try_new(&config.log_filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let subscriber = Registry::default()
        .with(filter)
        .with(tracing_opentelemetry::layer().with_tracer(tracer))
        .with(CloudLoggingLayer::new(config.project_id.clone(), make_writer));
    Ok((Dispatch::new(subscriber), Telemetry { provider: Some(provider) }))
}

fn tracer_provider(service_name: &str, config: &TelemetryConfig) -> Result<SdkTracerProvider, TelemetryError> {
    #[cfg_attr(not(feature = "otlp"), allow(unused_mut))]
    let mut builder = SdkTracerProvider::builder()
        .with_resource(Resource::builder().with_service_name(service_name.to_owned()).build())
        // Follow the publisher's sampling decision so a job's trace is whole.
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::AlwaysOn)));
    if let Some(endpoint) = &config.otlp_endpoint {
        let endpoint = traces_endpoint(endpoint.as_str());
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(TelemetryError::NoRuntime);
        }
        #[cfg(not(feature = "otlp"))]
        return Err(TelemetryError::NoExporter { endpoint });
        #[cfg(feature = "otlp")]
        {
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_endpoint(endpoint.clone())
                .build()
                .map_err(|source| TelemetryError::Exporter { endpoint, source })?;
            builder = builder
                .with_span_processor(BatchSpanProcessor::builder(exporter, opentelemetry_sdk::runtime::Tokio).build());
        }
    }
    Ok(builder.build())
}

/// `OTEL_EXPORTER_OTLP_ENDPOINT` is the collector's base URL; OTLP/HTTP
/// traces go to `{base}/v1/traces` (the OpenTelemetry spec's rule for that
/// variable, which the exporter does not apply to an explicit endpoint).
fn traces_endpoint(base: &str) -> String {
    if base.trim_end_matches('/').ends_with("/v1/traces") {
        base.to_owned()
    } else {
        format!("{}/v1/traces", base.trim_end_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_traces_path_is_appended_once() {
        assert_eq!(traces_endpoint("http://collector:4318"), "http://collector:4318/v1/traces");
        assert_eq!(traces_endpoint("http://collector:4318/"), "http://collector:4318/v1/traces");
        assert_eq!(traces_endpoint("http://c:4318/v1/traces"), "http://c:4318/v1/traces");
    }
}
