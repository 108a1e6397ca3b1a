//! Prometheus metrics every service exposes at `/metrics`, in one registry
//! that services extend with their own (phase durations, AI calls, ...).

use prometheus::{Encoder as _, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder};

/// What happened to one push, as Pub/Sub sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOutcome {
    /// Handled: 2xx.
    Acked,
    /// Pub/Sub will redeliver: 5xx.
    Nacked,
    /// Acknowledged without being handled, because it can never succeed
    /// (malformed envelope, bad data, a permanent handler failure).
    Rejected,
    /// Refused with 401: no or bad token; nothing processed.
    Unauthorized,
}

impl PushOutcome {
    /// The `outcome` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Acked => "acked",
            Self::Nacked => "nacked",
            Self::Rejected => "rejected",
            Self::Unauthorized => "unauthorized",
        }
    }
}

/// The runtime's metrics and the registry they live in.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    push_outcomes: IntCounterVec,
    push_rejections: IntCounterVec,
    push_in_flight: IntGauge,
}

impl Metrics {
    /// A fresh registry with the runtime's metrics registered.
    ///
    /// # Errors
    /// A [`prometheus::Error`] if a metric definition is invalid.
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests by method, route and status"),
            &["method", "route", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP request latency by method, route and status")
                // Pushes run whole phases (seconds to minutes), so the
                // buckets reach well past the default 10 s.
                .buckets(vec![0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0]),
            &["method", "route", "status"],
        )?;
        let push_outcomes = IntCounterVec::new(
            Opts::new("pubsub_push_total", "Pub/Sub pushes by outcome (acked, nacked, rejected, unauthorized)"),
            &["outcome"],
        )?;
        let push_rejections = IntCounterVec::new(
            Opts::new("pubsub_push_rejected_total", "Pushes acknowledged without being handled, by reason"),
            &["reason"],
        )?;
        let push_in_flight = IntGauge::new("pubsub_push_in_flight", "Pushes being handled now")?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(push_outcomes.clone()))?;
        registry.register(Box::new(push_rejections.clone()))?;
        registry.register(Box::new(push_in_flight.clone()))?;
        Ok(Self { registry, requests, latency, push_outcomes, push_rejections, push_in_flight })
    }

    /// The registry, to register a service's own metrics in.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Counts one finished HTTP request.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let status = status.to_string();
        let labels = [method, route, status.as_str()];
        self.requests.with_label_values(&labels).inc();
        self.latency.with_label_values(&labels).observe(seconds);
    }

    /// Counts one push outcome.
    pub fn observe_push(&self, outcome: PushOutcome) {
        self.push_outcomes.with_label_values(&[outcome.as_str()]).inc();
    }

    /// Counts one rejected push; `reason` must be a small fixed set
    /// (`malformed_envelope`, `invalid_data`, `permanent_failure`).
    pub fn observe_rejection(&self, reason: &'static str) {
        self.observe_push(PushOutcome::Rejected);
        self.push_rejections.with_label_values(&[reason]).inc();
    }

    /// Marks one push in flight until the returned guard is dropped.
    pub fn push_in_flight(&self) -> InFlight {
        self.push_in_flight.inc();
        InFlight(self.push_in_flight.clone())
    }

    /// The Prometheus text exposition of every registered metric.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        // Encoding to a Vec fails only on an invalid metric family, which
        // registration already rules out; an empty page is the fallback.
        if TextEncoder::new().encode(&self.registry.gather(), &mut buffer).is_err() {
            buffer.clear();
        }
        String::from_utf8(buffer).unwrap_or_default()
    }
}

/// Decrements the in-flight gauge on drop, also when a handler panics.
pub struct InFlight(IntGauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejection_counts_as_an_outcome_and_a_reason() {
        let metrics = Metrics::new().unwrap();
        metrics.observe_rejection("invalid_data");
        let text = metrics.render();
        assert!(text.contains(r#"pubsub_push_total{outcome="rejected"} 1"#), "{text}");
        assert!(text.contains(r#"pubsub_push_rejected_total{reason="invalid_data"} 1"#), "{text}");
    }

    #[test]
    fn the_in_flight_gauge_falls_back_when_the_guard_drops() {
        let metrics = Metrics::new().unwrap();
        let guard = metrics.push_in_flight();
        assert!(metrics.render().contains("pubsub_push_in_flight 1"));
        drop(guard);
        assert!(metrics.render().contains("pubsub_push_in_flight 0"));
    }
}
