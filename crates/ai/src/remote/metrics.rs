//! Prometheus collectors for model calls, registered on a service's /metrics.

use prometheus::{CounterVec, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry};

/// `ai_requests_total{provider,model,outcome}`, `ai_tokens_total{provider,model,direction}`,
/// `ai_images_total`, `ai_cost_usd_total`, `ai_cache_hits_total`, `ai_request_seconds`, `ai_circuit_state`.
pub struct AiMetrics {
    requests: IntCounterVec,
    tokens: IntCounterVec,
    images: IntCounterVec,
    cost: CounterVec,
    cache_hits: IntCounterVec,
    seconds: HistogramVec,
    circuit: IntGaugeVec,
}

impl AiMetrics {
    /// New collectors, not yet registered.
    pub fn new() -> Self {
        let pm = ["provider", "model"];
        // The names and labels are constants, so building them cannot fail.
        #[allow(clippy::unwrap_used, reason = "constant, valid metric definitions")]
        Self {
            requests: IntCounterVec::new(
                Opts::new("ai_requests_total", "Model requests by outcome"),
                &["provider", "model", "outcome"],
            )
            .unwrap(),
            tokens: IntCounterVec::new(
                Opts::new("ai_tokens_total", "Model tokens by direction"),
                &["provider", "model", "direction"],
            )
            .unwrap(),
            images: IntCounterVec::new(Opts::new("ai_images_total", "Images returned by models"), &pm).unwrap(),
            cost: CounterVec::new(Opts::new("ai_cost_usd_total", "Estimated model cost in USD"), &pm).unwrap(),
            cache_hits: IntCounterVec::new(Opts::new("ai_cache_hits_total", "Answers served from cache"), &pm).unwrap(),
            seconds: HistogramVec::new(
                HistogramOpts::new("ai_request_seconds", "Model request latency")
                    .buckets(vec![0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0]),
                &pm,
            )
            .unwrap(),
            circuit: IntGaugeVec::new(
                Opts::new("ai_circuit_state", "Circuit breaker: 0 closed, 1 half-open, 2 open"),
                &pm,
            )
            .unwrap(),
        }
    }

    /// Registers every collector.
    ///
    /// # Errors
    /// When a collector of the same name is already registered.
    pub fn register(&self, registry: &Registry) -> Result<(), prometheus::Error> {
        registry.register(Box::new(self.requests.clone()))?;
        registry.register(Box::new(self.tokens.clone()))?;
        registry.register(Box::new(self.images.clone()))?;
        registry.register(Box::new(self.cost.clone()))?;
        registry.register(Box::new(self.cache_hits.clone()))?;
        registry.register(Box::new(self.seconds.clone()))?;
        registry.register(Box::new(self.circuit.clone()))?;
        Ok(())
    }

    pub(crate) fn observe(&self, provider: &str, model: &str, outcome: &str, seconds: f64) {
        self.requests.with_label_values(&[provider, model, outcome]).inc();
        self.seconds.with_label_values(&[provider, model]).observe(seconds);
    }

    pub(crate) fn breaker(&self, provider: &str, model: &str, state: i64) {
        self.circuit.with_label_values(&[provider, model]).set(state);
    }

    pub(crate) fn spent(&self, provider: &str, model: &str, input: u64, output: u64, images: u32, cost: f64) {
        self.tokens.with_label_values(&[provider, model, "input"]).inc_by(input);
        self.tokens.with_label_values(&[provider, model, "output"]).inc_by(output);
        self.images.with_label_values(&[provider, model]).inc_by(u64::from(images));
        self.cost.with_label_values(&[provider, model]).inc_by(cost);
    }

    pub(crate) fn cache_hit(&self, provider: &str, model: &str) {
        self.cache_hits.with_label_values(&[provider, model]).inc();
    }
}

impl Default for AiMetrics {
    fn default() -> Self {
        Self::new()
    }
}
