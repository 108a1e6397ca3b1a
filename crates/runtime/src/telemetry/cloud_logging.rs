//! A `tracing` layer that writes one JSON object a line in Cloud Logging's
//! shape: `severity`, `message`, `timestamp`, `logging.googleapis.com/trace`,
//! `logging.googleapis.com/spanId`, and the fields of every enclosing span
//! (request_id, user_id, job_id, phase, duration_ms, status, ...) flattened at
//! the top level, innermost span winning.
//!
//! The trace and span ids come from the OpenTelemetry context that
//! `tracing-opentelemetry` keeps for each span, so a log line and the exported
//! span agree, and a `traceparent` carried in a Pub/Sub message puts the log
//! line into the job's trace.

use std::{io::Write, sync::OnceLock};

use opentelemetry::trace::TraceContextExt;
use serde_json::{Map, Value};
use tracing::{
    Event, Level, Subscriber,
    dispatcher::WeakDispatch,
    field::{Field, Visit},
    span,
};
use tracing_subscriber::{Layer, fmt::MakeWriter, layer::Context, registry::LookupSpan};

const TRACE_KEY: &str = "logging.googleapis.com/trace";
const SPAN_KEY: &str = "logging.googleapis.com/spanId";
const SAMPLED_KEY: &str = "logging.googleapis.com/trace_sampled";

/// Keys that span or event fields must not overwrite.
const RESERVED: &[&str] = &["severity", "message", "timestamp", "target", TRACE_KEY, SPAN_KEY, SAMPLED_KEY];

/// The layer; `W` is where lines go (stdout in services, a buffer in tests).
pub struct CloudLoggingLayer<W> {
    project_id: String,
    make_writer: W,
    /// Needed to ask `tracing-opentelemetry` for a span's context; set when
    /// the subscriber is turned into a `Dispatch`.
    dispatch: OnceLock<WeakDispatch>,
}

impl<W> CloudLoggingLayer<W> {
    /// A layer writing lines for `project_id` to `make_writer`.
    pub fn new(project_id: impl Into<String>, make_writer: W) -> Self {
        Self { project_id: project_id.into(), make_writer, dispatch: OnceLock::new() }
    }
}

/// The fields recorded on a span so far.
struct SpanFields(Map<String, Value>);

impl<S, W> Layer<S> for CloudLoggingLayer<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    fn on_register_dispatch(&self, subscriber: &tracing::Dispatch) {
        // A second registration (the same layer in two dispatchers) keeps the first.
        self.dispatch.get_or_init(|| subscriber.downgrade());
    }

    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = Map::new();
        attrs.record(&mut JsonVisitor(&mut fields));
        span.extensions_mut().insert(SpanFields(fields));
    }

    fn on_record(&self, id: &span::Id, values: &span::Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let Some(SpanFields(fields)) = extensions.get_mut::<SpanFields>() {
            values.record(&mut JsonVisitor(fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let metadata = event.metadata();
        let mut line = Map::new();
        line.insert("severity".into(), severity(metadata.level()).into());
        line.insert("timestamp".into(), chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true).into());
        line.insert("target".into(), metadata.target().into());

        let mut leaf = None;
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(SpanFields(fields)) = span.extensions().get::<SpanFields>() {
                    merge(&mut line, fields);
                }
                leaf = Some(span.id());
            }
        }

        let mut fields = Map::new();
        event.record(&mut JsonVisitor(&mut fields));
        let message = fields.remove("message").unwrap_or(Value::String(String::new()));
        merge(&mut line, &fields);
        line.insert("message".into(), message);

        if let Some(id) = leaf {
            self.insert_trace(&mut line, &id);
        }

        let Ok(mut bytes) = serde_json::to_vec(&line) else { return };
        bytes.push(b'\n');
        // One write per line, so concurrent lines never interleave.
        if let Err(error) = self.make_writer.make_writer_for(metadata).write_all(&bytes) {
            // The log itself is broken; stderr is the last place to say so.
            eprintln!("failed to write a log line: {error}");
        }
    }
}

impl<W> CloudLoggingLayer<W> {
    fn insert_trace(&self, line: &mut Map<String, Value>, id: &span::Id) {
        let Some(dispatch) = self.dispatch.get().and_then(WeakDispatch::upgrade) else { return };
        // Must not hold any span extensions here: this locks them.
        let Some(cx) = tracing_opentelemetry::get_otel_context(id, &dispatch) else { return };
        let span = cx.span();
        let span_context = span.span_context();
        if !span_context.is_valid() {
            return;
        }
        line.insert(
            TRACE_KEY.into(),
            format!("projects/{}/traces/{}", self.project_id, span_context.trace_id()).into(),
        );
        line.insert(SPAN_KEY.into(), span_context.span_id().to_string().into());
        line.insert(SAMPLED_KEY.into(), span_context.is_sampled().into());
    }
}

fn merge(line: &mut Map<String, Value>, fields: &Map<String, Value>) {
    for (key, value) in fields {
        if !RESERVED.contains(&key.as_str()) {
            line.insert(key.clone(), value.clone());
        }
    }
}

/// Cloud Logging's severity names for tracing's levels.
fn severity(level: &Level) -> &'static str {
    match *level {
        Level::ERROR => "ERROR",
        Level::WARN => "WARNING",
        Level::INFO => "INFO",
        Level::DEBUG | Level::TRACE => "DEBUG",
    }
}

/// Records tracing field values as JSON values, keeping numbers numbers.
struct JsonVisitor<'a>(&'a mut Map<String, Value>);

impl Visit for JsonVisitor<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        // The causes too: an error is logged once, where it is handled.
        let mut text = value.to_string();
        let mut source = value.source();
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        self.0.insert(field.name().into(), text.into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().into(), format!("{value:?}").into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_map_to_cloud_logging_severities() {
        assert_eq!(severity(&Level::WARN), "WARNING");
        assert_eq!(severity(&Level::TRACE), "DEBUG");
        assert_eq!(severity(&Level::ERROR), "ERROR");
    }
}
