//! Accounting: what a phase attempt's model calls used, gathered without
//! threading a ledger through every signature.
//!
//! The phase handler runs a phase inside [`Ledger::scope`]; every remote call
//! made while that future runs (on the same task) records into it. Calls
//! outside a scope (a `providers check`) are not accounted.

use std::sync::{Arc, Mutex};

use manga_domain::AiUsage;

tokio::task_local! {
    static LEDGER: Ledger;
}

/// The usage and notes of one phase attempt.
#[derive(Clone, Default)]
pub struct Ledger {
    inner: Arc<Mutex<Entries>>,
}

#[derive(Default)]
struct Entries {
    usage: Vec<AiUsage>,
    notes: Vec<String>,
}

impl Ledger {
    /// Runs `future` with this ledger collecting its model calls.
    pub async fn scope<F: std::future::Future>(&self, future: F) -> F::Output {
        LEDGER.scope(self.clone(), future).await
    }

    /// Usage so far, one record per provider and model.
    pub fn usage(&self) -> Vec<AiUsage> {
        self.lock().usage.clone()
    }

    /// Notes so far (a fallback taken, an answer repaired), for the quality report.
    pub fn notes(&self) -> Vec<String> {
        self.lock().notes.clone()
    }

    /// Adds work done elsewhere to this ledger: another item's or an earlier
    /// request's calls, kept with what they made, so the attempt counts every part.
    pub fn carry(&self, usage: &[AiUsage], notes: &[String]) {
        let mut entries = self.lock();
        let merged = AiUsage::merge(entries.usage.iter().chain(usage));
        entries.usage = merged;
        entries.notes.extend(notes.iter().cloned());
    }

    /// The ledger of the scope this runs in, if any.
    pub fn current() -> Option<Self> {
        LEDGER.try_with(Clone::clone).ok()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn with_entry(provider: &str, model: &str, change: impl FnOnce(&mut AiUsage)) {
    // Outside a scope there is nothing to record into: that is not an error.
    let _outside_a_scope = LEDGER.try_with(|ledger| {
        let mut entries = ledger.lock();
        let index = match entries.usage.iter().position(|u| u.provider == provider && u.model == model) {
            Some(i) => i,
            None => {
                entries.usage.push(AiUsage { provider: provider.into(), model: model.into(), ..Default::default() });
                entries.usage.len() - 1
            }
        };
        change(&mut entries.usage[index]);
    });
}

pub(crate) fn record_request(provider: &str, model: &str) {
    with_entry(provider, model, |u| u.requests += 1);
}

pub(crate) fn record_retry(provider: &str, model: &str) {
    with_entry(provider, model, |u| u.retries += 1);
}

pub(crate) fn record_cache_hit(provider: &str, model: &str) {
    with_entry(provider, model, |u| u.cache_hits += 1);
}

pub(crate) fn record_spend(provider: &str, model: &str, input: u64, output: u64, images: u32, cost: f64) {
    with_entry(provider, model, |u| {
        u.input_tokens += input;
        u.output_tokens += output;
        u.images += images;
        u.cost_usd += cost;
    });
}

/// Adds a note for the phase's quality report.
pub fn note(text: impl Into<String>) {
    let text = text.into();
    tracing::info!(note = %text, "model note");
    let _outside_a_scope = LEDGER.try_with(|ledger| ledger.lock().notes.push(text));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn calls_inside_a_scope_are_recorded_and_calls_outside_are_not() {
        let ledger = Ledger::default();
        record_request("gemini", "m");
        ledger
            .scope(async {
                record_request("gemini", "m");
                record_spend("gemini", "m", 10, 5, 0, 0.01);
                record_cache_hit("imagen", "i");
                note("a note");
            })
            .await;
        let usage = ledger.usage();
        assert_eq!(usage.len(), 2);
        assert_eq!((usage[0].requests, usage[0].input_tokens, usage[0].output_tokens), (1, 10, 5));
        assert_eq!(usage[1].cache_hits, 1);
        assert_eq!(ledger.notes(), vec!["a note".to_owned()]);

        let earlier = AiUsage { provider: "gemini".into(), model: "m".into(), requests: 2, ..Default::default() };
        ledger.scope(async { Ledger::current().unwrap().carry(&[earlier], &["kept".to_owned()]) }).await;
        assert_eq!(ledger.usage()[0].requests, 3, "carried usage adds to the same model's record");
        assert_eq!(ledger.notes(), vec!["a note".to_owned(), "kept".to_owned()]);
    }
}
