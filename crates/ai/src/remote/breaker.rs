//! A circuit breaker per provider and model: after 5 consecutive failures it
//! opens and fails calls at once for 30 s, then lets one trial through
//! (half-open); a success closes it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The breaker's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls fail at once until the cool-down ends.
    Open,
    /// One trial call is allowed; its outcome decides.
    HalfOpen,
}

#[derive(Debug)]
struct Inner {
    failures: u32,
    opened_at: Option<Instant>,
    trial_in_flight: bool,
}

/// See the module docs.
#[derive(Debug)]
pub struct Breaker {
    threshold: u32,
    cool_down: Duration,
    inner: Mutex<Inner>,
}

impl Default for Breaker {
    /// The seeds' numbers: open after 5 failures, half-open after 30 s.
    fn default() -> Self {
        Self::new(5, Duration::from_secs(30))
    }
}

impl Breaker {
    /// A breaker with its own numbers.
    pub fn new(threshold: u32, cool_down: Duration) -> Self {
        Self { threshold, cool_down, inner: Mutex::new(Inner { failures: 0, opened_at: None, trial_in_flight: false }) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The state now.
    pub fn state(&self) -> BreakerState {
        let inner = self.lock();
        match inner.opened_at {
            None => BreakerState::Closed,
            Some(at) if at.elapsed() < self.cool_down => BreakerState::Open,
            Some(_) => BreakerState::HalfOpen,
        }
    }

    /// 0 closed, 1 half-open, 2 open: for the `ai_circuit_state` gauge.
    pub fn state_code(&self) -> i64 {
        match self.state() {
            BreakerState::Closed => 0,
            BreakerState::HalfOpen => 1,
            BreakerState::Open => 2,
        }
    }

    /// Whether calls are being refused.
    pub fn is_open(&self) -> bool {
        self.state() == BreakerState::Open
    }

    /// Lets a call through, or says how long until the next trial.
    ///
    /// # Errors
    /// The time left in the cool-down while open (or while a half-open trial is in flight).
    pub fn admit(&self) -> Result<(), Duration> {
        let mut inner = self.lock();
        let Some(at) = inner.opened_at else { return Ok(()) };
        let elapsed = at.elapsed();
        if elapsed < self.cool_down {
            return Err(self.cool_down - elapsed);
        }
        if inner.trial_in_flight {
            return Err(Duration::from_secs(1));
        }
        inner.trial_in_flight = true;
        Ok(())
    }

    /// A call succeeded (or was answered with a refusal): close.
    pub fn success(&self) {
        let mut inner = self.lock();
        *inner = Inner { failures: 0, opened_at: None, trial_in_flight: false };
    }

    /// A call failed transiently.
    pub fn failure(&self) {
        let mut inner = self.lock();
        inner.failures += 1;
        let trial_failed = inner.trial_in_flight;
        inner.trial_in_flight = false;
        if trial_failed || inner.failures >= self.threshold {
            inner.opened_at = Some(Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_opens_after_the_threshold_half_opens_after_the_cool_down_and_closes_on_success() {
        let breaker = Breaker::new(3, Duration::from_millis(40));
        for _ in 0..2 {
            breaker.failure();
        }
        assert_eq!(breaker.state(), BreakerState::Closed);
        breaker.failure();
        assert_eq!(breaker.state(), BreakerState::Open);
        assert!(breaker.admit().is_err());
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        assert!(breaker.admit().is_ok(), "one trial goes through");
        assert!(breaker.admit().is_err(), "only one");
        breaker.success();
        assert_eq!(breaker.state(), BreakerState::Closed);
    }

    #[test]
    fn a_failed_trial_opens_it_again() {
        let breaker = Breaker::new(1, Duration::from_millis(20));
        breaker.failure();
        std::thread::sleep(Duration::from_millis(30));
        breaker.admit().unwrap();
        breaker.failure();
        assert_eq!(breaker.state(), BreakerState::Open);
    }
}
