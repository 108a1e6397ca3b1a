//! W3C `traceparent` in Pub/Sub message attributes, so one job is one trace
//! across the services it passes through.
//!
//! The publisher calls [`inject`] (or [`inject_current`]) into the message's
//! attributes; the push endpoint calls [`extract`] and makes the handler's span
//! a child of that context with [`set_parent_from_attributes`].

use std::collections::BTreeMap;

use opentelemetry::{
    Context,
    propagation::{Extractor, Injector, TextMapPropagator},
    trace::TraceContextExt,
};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The attribute that carries the W3C trace context.
pub const TRACEPARENT: &str = "traceparent";

/// Writes the context of `span` as `traceparent` (and `tracestate` when
/// present) into `attributes`. Does nothing when the span has no valid
/// OpenTelemetry context (telemetry not installed, or the span disabled).
pub fn inject(span: &tracing::Span, attributes: &mut BTreeMap<String, String>) {
    inject_context(&span.context(), attributes);
}

/// [`inject`] for the current span.
pub fn inject_current(attributes: &mut BTreeMap<String, String>) {
    inject(&tracing::Span::current(), attributes);
}

/// Writes an OpenTelemetry context into `attributes`.
pub fn inject_context(cx: &Context, attributes: &mut BTreeMap<String, String>) {
    if cx.span().span_context().is_valid() {
        TraceContextPropagator::new().inject_context(cx, &mut Attributes(attributes));
    }
}

/// Reads the trace context from `attributes`. The result has no valid span
/// context when `traceparent` is absent or malformed (check with
/// `cx.span().span_context().is_valid()`).
pub fn extract(attributes: &BTreeMap<String, String>) -> Context {
    TraceContextPropagator::new().extract(&ReadAttributes(attributes))
}

/// Makes `span` a child of the trace in `attributes`, if they carry one.
/// Returns whether a parent was set. Must be called before the span is first
/// entered (after that its trace id is fixed).
pub fn set_parent_from_attributes(span: &tracing::Span, attributes: &BTreeMap<String, String>) -> bool {
    let cx = extract(attributes);
    if !cx.span().span_context().is_valid() {
        return false;
    }
    span.set_parent(cx).is_ok()
}

struct Attributes<'a>(&'a mut BTreeMap<String, String>);

impl Injector for Attributes<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }
}

struct ReadAttributes<'a>(&'a BTreeMap<String, String>);

impl Extractor for ReadAttributes<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        // W3C header names are case-insensitive; attribute keys usually are
        // lower case already, so try the exact key first.
        self.0
            .get(key)
            .map(String::as_str)
            .or_else(|| self.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str()))
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_traceparent_survives_extract_then_inject_unchanged() {
        let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let attributes = BTreeMap::from([(TRACEPARENT.to_owned(), traceparent.to_owned())]);
        let cx = extract(&attributes);
        assert_eq!(cx.span().span_context().trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
        let mut out = BTreeMap::new();
        inject_context(&cx, &mut out);
        assert_eq!(out.get(TRACEPARENT).map(String::as_str), Some(traceparent));
    }

    #[test]
    fn a_malformed_traceparent_gives_no_parent() {
        let attributes = BTreeMap::from([(TRACEPARENT.to_owned(), "00-zz-zz-01".to_owned())]);
        assert!(!extract(&attributes).span().span_context().is_valid());
        let mut out = BTreeMap::new();
        inject_context(&extract(&attributes), &mut out);
        assert!(out.is_empty());
    }
}
