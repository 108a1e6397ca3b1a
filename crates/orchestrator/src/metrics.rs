//! The orchestrator's human-in-the-loop figures on `/metrics`, for the
//! seeds' HITL alert (feedback timeout rate > 0.3, seed 001 §5.3):
//! reviews started, reviews that timed out, feedback applied by action.

use prometheus::{IntCounter, IntCounterVec, Opts, Registry};

/// HITL counters. Cheap to clone; clones count into the same series.
#[derive(Clone)]
pub struct HitlMetrics {
    /// Reviews that began (a phase waiting for a person).
    pub reviews: IntCounter,
    /// Reviews the timeout settled (MAX_FEEDBACK_WAIT_TIME passed).
    pub timeouts: IntCounter,
    /// Feedback applied, by action (`approve`, `revise`, `regenerate`, `edit`).
    pub feedback: IntCounterVec,
}

impl HitlMetrics {
    /// Fresh counters, not yet registered.
    pub fn new() -> Self {
        // Constant, valid names and labels: failure is a programming error the tests catch.
        let counter = |name: &str, help: &str| IntCounter::new(name, help).expect("a valid counter");
        Self {
            reviews: counter("hitl_reviews_total", "Reviews that began: a phase waiting for a person"),
            timeouts: counter("hitl_review_timeouts_total", "Reviews settled by MAX_FEEDBACK_WAIT_TIME"),
            feedback: IntCounterVec::new(Opts::new("hitl_feedback_total", "Feedback applied, by action"), &["action"])
                .expect("a valid counter"),
        }
    }

    /// Adds the counters to a service's registry.
    ///
    /// # Errors
    /// A [`prometheus::Error`] for a name registered twice.
    pub fn register(&self, registry: &Registry) -> Result<(), prometheus::Error> {
        registry.register(Box::new(self.reviews.clone()))?;
        registry.register(Box::new(self.timeouts.clone()))?;
        registry.register(Box::new(self.feedback.clone()))
    }
}

impl Default for HitlMetrics {
    fn default() -> Self {
        Self::new()
    }
}
