//! Where an answer is counted: the phase attempt's ledger, the process's
//! Prometheus collectors, at the price table's list prices — always all three.

use std::sync::Arc;

use super::metrics::AiMetrics;
use super::prices::PriceTable;
use super::usage;

/// Counts answers for one adapter (text or images).
#[derive(Clone)]
pub(crate) struct Accounting {
    prices: Arc<PriceTable>,
    metrics: Arc<AiMetrics>,
}

impl Accounting {
    pub(crate) fn new(prices: Arc<PriceTable>, metrics: Arc<AiMetrics>) -> Self {
        Self { prices, metrics }
    }

    /// An answer the provider bills: tokens in and out, and images.
    pub(crate) fn spent(&self, provider: &str, model: &str, input: u64, output: u64, images: u32) {
        let cost = self.prices.cost(provider, model, input, output, images);
        usage::record_spend(provider, model, input, output, images, cost);
        self.metrics.spent(provider, model, input, output, images, cost);
    }

    /// An answer served from the cache instead of a call.
    pub(crate) fn cache_hit(&self, provider: &str, model: &str) {
        usage::record_cache_hit(provider, model);
        self.metrics.cache_hit(provider, model);
    }
}
