//! What the models cost: requests, tokens, images and dollars, per provider and model.

use serde::{Deserialize, Serialize};

/// One provider and model's calls within a phase attempt (or summed over a job).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AiUsage {
    /// `gemini`, `imagen`, `openai`, `comfyui`, `local`.
    pub provider: String,
    /// The model's name as the provider knows it.
    pub model: String,
    /// Requests that reached the provider (retries included).
    pub requests: u32,
    /// Prompt tokens the provider counted.
    pub input_tokens: u64,
    /// Answer tokens the provider counted (thinking included).
    pub output_tokens: u64,
    /// Images returned.
    pub images: u32,
    /// Answers served from the response cache instead of a call.
    pub cache_hits: u32,
    /// Attempts repeated after a transient failure.
    pub retries: u32,
    /// Estimated cost in US dollars at the price table's list prices.
    pub cost_usd: f64,
}

impl AiUsage {
    /// Adds another record of the same provider and model into this one.
    pub fn add(&mut self, other: &AiUsage) {
        self.requests += other.requests;
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.images += other.images;
        self.cache_hits += other.cache_hits;
        self.retries += other.retries;
        self.cost_usd += other.cost_usd;
    }

    /// Sums records by (provider, model), in first-seen order.
    pub fn merge<'a>(records: impl IntoIterator<Item = &'a AiUsage>) -> Vec<AiUsage> {
        let mut out: Vec<AiUsage> = Vec::new();
        for record in records {
            match out.iter_mut().find(|u| u.provider == record.provider && u.model == record.model) {
                Some(existing) => existing.add(record),
                None => out.push(record.clone()),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_sums_by_provider_and_model_and_keeps_first_seen_order() {
        let a =
            AiUsage { provider: "gemini".into(), model: "m".into(), requests: 2, cost_usd: 0.5, ..Default::default() };
        let b = AiUsage { provider: "imagen".into(), model: "i".into(), images: 3, ..Default::default() };
        let merged = AiUsage::merge([&a, &b, &a]);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].requests, 4);
        assert!((merged[0].cost_usd - 1.0).abs() < 1e-9);
        assert_eq!(merged[1].images, 3);
    }
}
