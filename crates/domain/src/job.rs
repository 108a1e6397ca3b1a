use serde::{Deserialize, Serialize};

use crate::{DomainError, Language, PhaseId, Quality};

/// A page count within what a manga here can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct PageCount(u16);

impl PageCount {
    /// Fewest pages a manga can have.
    pub const MIN: u32 = 1;
    /// Most pages a manga can have.
    pub const MAX: u32 = 64;

    /// Parses a requested page count.
    ///
    /// # Errors
    /// [`DomainError::PageCountOutOfRange`] outside `MIN..=MAX`.
    pub fn parse(n: u32) -> Result<Self, DomainError> {
        if (Self::MIN..=Self::MAX).contains(&n) { Ok(Self(n as u16)) } else { Err(DomainError::PageCountOutOfRange(n)) }
    }

    /// A page count clamped into range.
    pub fn clamped(n: u32) -> Self {
        Self(n.clamp(Self::MIN, Self::MAX) as u16)
    }

    /// The number.
    pub fn get(self) -> u16 {
        self.0
    }
}

impl TryFrom<u32> for PageCount {
    type Error = DomainError;
    fn try_from(value: u32) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<PageCount> for u32 {
    fn from(value: PageCount) -> Self {
        u32::from(value.0)
    }
}

/// What the person asked for, beside the story itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobOptions {
    /// Pages wanted; `None` lets phase 1 decide from the story's length.
    pub pages: Option<PageCount>,
    /// Language; `None` detects it.
    pub language: Option<Language>,
    /// Seed for everything random, so a job can be reproduced.
    pub seed: u64,
    /// The author's name for the title page and metadata.
    pub author: Option<String>,
    /// A title; `None` takes the story's own or derives one.
    pub title: Option<String>,
    /// Provider per phase name (`{"images": "imagen"}`), overriding the configured one for this job.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub providers: std::collections::BTreeMap<String, String>,
}

impl Default for JobOptions {
    fn default() -> Self {
        Self { pages: None, language: None, seed: 1, author: None, title: None, providers: Default::default() }
    }
}

/// How one phase went, for job.json and the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseRecord {
    /// Which phase.
    pub phase: PhaseId,
    /// Attempts made (1 unless the quality gate retried it).
    pub attempts: u32,
    /// The last attempt's score.
    pub quality: Quality,
    /// Why the score is not perfect.
    pub reasons: Vec<String>,
    /// Wall time of all attempts, in milliseconds.
    pub duration_ms: u64,
    /// What all attempts' model calls used, per provider and model.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub usage: Vec<crate::AiUsage>,
}
