use serde::{Deserialize, Serialize};

use crate::{DomainError, PhaseId};

/// A phase's quality score, always in `0.0..=1.0`.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f32", into = "f32")]
pub struct Quality(f32);

impl Quality {
    /// Below this the orchestrator retries the phase that caused it.
    pub const THRESHOLD: Quality = Quality(0.70);
    /// A perfect score.
    pub const PERFECT: Quality = Quality(1.0);

    /// Parses a score.
    ///
    /// # Errors
    /// [`DomainError::QualityOutOfRange`] outside `0..=1` or for NaN.
    pub fn parse(value: f32) -> Result<Self, DomainError> {
        // `contains` is false for NaN too, so NaN cannot get in.
        if (0.0..=1.0).contains(&value) { Ok(Self(value)) } else { Err(DomainError::QualityOutOfRange(value)) }
    }

    /// A score from any float, clamped into range (NaN counts as 0).
    pub fn saturating(value: f32) -> Self {
        if value.is_nan() { Self(0.0) } else { Self(value.clamp(0.0, 1.0)) }
    }

    /// The score.
    pub fn get(self) -> f32 {
        self.0
    }

    /// Whether this score passes the quality gate.
    pub fn passes(self) -> bool {
        self >= Self::THRESHOLD
    }
}

impl TryFrom<f32> for Quality {
    type Error = DomainError;
    fn try_from(value: f32) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<Quality> for f32 {
    fn from(value: Quality) -> Self {
        value.0
    }
}

/// One thing that lowered a score, and the phase to blame for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    /// A stable machine-readable code (`text_overflow`, `balloon_over_face`, ...).
    pub code: String,
    /// What a person reads.
    pub message: String,
    /// The phase whose output caused it: the one to retry.
    pub blame: PhaseId,
    /// How much this took off the score.
    pub penalty: f32,
}

/// A score with its reasons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityReport {
    /// The score: 1 minus the penalties, floored at 0.
    pub score: Quality,
    /// Why it is not 1.
    pub reasons: Vec<Reason>,
}

impl QualityReport {
    /// A report from its reasons: the score is 1 minus their penalties.
    pub fn from_reasons(reasons: Vec<Reason>) -> Self {
        let penalty: f32 = reasons.iter().map(|r| r.penalty).sum();
        Self { score: Quality::saturating(1.0 - penalty), reasons }
    }

    /// A perfect report.
    pub fn perfect() -> Self {
        Self { score: Quality::PERFECT, reasons: Vec::new() }
    }

    /// The phase that lost the most points, if any did.
    pub fn most_to_blame(&self) -> Option<PhaseId> {
        let mut totals: Vec<(PhaseId, f32)> = Vec::new();
        for r in &self.reasons {
            match totals.iter_mut().find(|(p, _)| *p == r.blame) {
                Some((_, t)) => *t += r.penalty,
                None => totals.push((r.blame, r.penalty)),
            }
        }
        totals.into_iter().max_by(|a, b| a.1.total_cmp(&b.1)).map(|(p, _)| p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_and_out_of_range_scores_are_rejected() {
        assert!(Quality::parse(f32::NAN).is_err());
        assert!(Quality::parse(1.01).is_err());
        assert!(Quality::parse(-0.1).is_err());
        assert_eq!(Quality::parse(0.7).unwrap().get(), 0.7);
        assert!(serde_json::from_str::<Quality>("1.5").is_err());
    }

    #[test]
    fn a_report_blames_the_phase_with_the_largest_penalty() {
        let reason = |blame, penalty| Reason { code: "x".into(), message: "x".into(), blame, penalty };
        let report = QualityReport::from_reasons(vec![
            reason(PhaseId::Lettering, 0.2),
            reason(PhaseId::Name, 0.15),
            reason(PhaseId::Name, 0.1),
        ]);
        assert!((report.score.get() - 0.55).abs() < 1e-6);
        assert!(!report.score.passes());
        assert_eq!(report.most_to_blame(), Some(PhaseId::Name));
        assert_eq!(QualityReport::perfect().most_to_blame(), None);
    }
}
