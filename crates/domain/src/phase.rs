use std::fmt;

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// The eight phases, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseId {
    /// 1: text analysis.
    Concept,
    /// 2: character bible and portraits.
    Characters,
    /// 3: scenes and structure.
    Plot,
    /// 4: the "name" (storyboard).
    Name,
    /// 5: one image per panel.
    Images,
    /// 6: balloons and text.
    Lettering,
    /// 7: panels into pages, with quality checks.
    Compose,
    /// 8: PDF, CBZ, PNG.
    Publish,
}

impl PhaseId {
    /// All phases in order.
    pub const ALL: [PhaseId; 8] = [
        Self::Concept,
        Self::Characters,
        Self::Plot,
        Self::Name,
        Self::Images,
        Self::Lettering,
        Self::Compose,
        Self::Publish,
    ];

    /// The phase number, 1 to 8.
    pub fn number(self) -> u32 {
        self as u32 + 1
    }

    /// The phase with this number.
    ///
    /// # Errors
    /// [`DomainError::UnknownPhase`] outside 1..=8.
    pub fn from_number(n: u32) -> Result<Self, DomainError> {
        n.checked_sub(1).and_then(|i| Self::ALL.get(i as usize).copied()).ok_or(DomainError::UnknownPhase(n))
    }

    /// The short name: `concept`, `characters`, ... (also the service suffix).
    pub fn name(self) -> &'static str {
        match self {
            Self::Concept => "concept",
            Self::Characters => "characters",
            Self::Plot => "plot",
            Self::Name => "name",
            Self::Images => "images",
            Self::Lettering => "lettering",
            Self::Compose => "compose",
            Self::Publish => "publish",
        }
    }

    /// The service that runs this phase in the fleet, e.g. `phase4-name`.
    pub fn service(self) -> String {
        format!("phase{}-{}", self.number(), self.name())
    }

    /// The Pub/Sub topic that carries this phase's requests, e.g. `phase-4-requests`.
    pub fn request_topic(self) -> String {
        format!("phase-{}-requests", self.number())
    }

    /// The next phase, if any.
    pub fn next(self) -> Option<PhaseId> {
        Self::from_number(self.number() + 1).ok()
    }
}

impl fmt::Display for PhaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.number(), self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_are_numbered_one_to_eight() {
        assert_eq!(PhaseId::Concept.number(), 1);
        assert_eq!(PhaseId::Publish.number(), 8);
        assert_eq!(PhaseId::from_number(4).unwrap(), PhaseId::Name);
        assert_eq!(PhaseId::from_number(0), Err(DomainError::UnknownPhase(0)));
        assert_eq!(PhaseId::from_number(9), Err(DomainError::UnknownPhase(9)));
        assert_eq!(PhaseId::Name.service(), "phase4-name");
        assert_eq!(PhaseId::Images.request_topic(), "phase-5-requests");
        assert_eq!(PhaseId::Publish.next(), None);
    }
}
