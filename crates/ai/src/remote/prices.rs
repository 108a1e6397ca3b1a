//! List prices, to estimate what a job costs. The table is `prices.json`
//! beside this crate's sources (with its sources and date); `AI_PRICES_FILE`
//! replaces it.

use serde::Deserialize;

/// One model's price.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Price {
    /// Provider name.
    pub provider: String,
    /// Model name, or a prefix ending in `*`.
    pub model: String,
    /// USD per million input tokens.
    #[serde(default)]
    pub input_per_million: f64,
    /// USD per million output tokens.
    #[serde(default)]
    pub output_per_million: f64,
    /// USD per image returned.
    #[serde(default)]
    pub per_image: f64,
}

/// The price table.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct PriceTable {
    /// Where the prices come from.
    pub source: String,
    /// When they were read.
    pub date: String,
    /// The prices.
    pub prices: Vec<Price>,
}

impl PriceTable {
    /// The table shipped with the crate.
    pub fn builtin() -> Self {
        // The file is in the repository and checked by a test, so it parses.
        #[allow(clippy::expect_used, reason = "the built-in table is tested")]
        Self::parse(include_str!("../../prices.json")).expect("prices.json parses")
    }

    /// Parses a table.
    ///
    /// # Errors
    /// A sentence when the JSON does not fit.
    pub fn parse(json: &str) -> Result<Self, String> {
        serde_json::from_str(json).map_err(|e| format!("the price table does not parse: {e}"))
    }

    /// The price of `provider`/`model`: an exact entry, else the longest matching prefix.
    pub fn find(&self, provider: &str, model: &str) -> Option<&Price> {
        let candidates = self.prices.iter().filter(|p| p.provider == provider);
        let exact = candidates.clone().find(|p| p.model == model);
        exact.or_else(|| {
            candidates
                .filter_map(|p| {
                    p.model.strip_suffix('*').filter(|prefix| model.starts_with(prefix)).map(|pre| (pre.len(), p))
                })
                .max_by_key(|(len, _)| *len)
                .map(|(_, p)| p)
        })
    }

    /// The estimated cost of one answer; 0 for a model not in the table.
    pub fn cost(&self, provider: &str, model: &str, input: u64, output: u64, images: u32) -> f64 {
        self.find(provider, model).map_or(0.0, |p| {
            p.input_per_million * input as f64 / 1e6
                + p.output_per_million * output as f64 / 1e6
                + p.per_image * f64::from(images)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_table_parses_and_prices_by_exact_name_or_prefix() {
        let table = PriceTable::builtin();
        assert!(!table.source.is_empty() && !table.date.is_empty());
        let flash = table.find("gemini", "gemini-2.5-flash").unwrap();
        assert!(flash.input_per_million > 0.0);
        let cost = table.cost("gemini", "gemini-2.5-flash", 1_000_000, 1_000_000, 0);
        assert!((cost - (flash.input_per_million + flash.output_per_million)).abs() < 1e-9);
        assert_eq!(table.cost("nobody", "nothing", 5, 5, 5), 0.0);
        assert!(table.cost("openai", "gpt-4o-mini-2024-07-18", 1_000_000, 0, 0) > 0.0, "prefix entries match");
    }
}
