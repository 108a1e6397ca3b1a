use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::DomainError;

/// One manga generation job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct JobId(Uuid);

impl JobId {
    /// A fresh random id.
    pub fn new() -> Self {
        Self(Uuid::new_v4())
    }

    /// Parses the canonical hyphenated form.
    ///
    /// # Errors
    /// [`DomainError::InvalidId`] when the text is not a UUID.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        Uuid::parse_str(text).map(Self).map_err(|_| DomainError::InvalidId { kind: "job", value: text.to_owned() })
    }
}

impl Default for JobId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl TryFrom<String> for JobId {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<JobId> for String {
    fn from(value: JobId) -> Self {
        value.to_string()
    }
}

/// A version of a job's artifacts. Version 1 is the first run; feedback makes new ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Version(u32);

impl Version {
    /// The first version of every job.
    pub const FIRST: Self = Self(1);

    /// Parses a version number (1 or more).
    ///
    /// # Errors
    /// [`DomainError::InvalidId`] for 0.
    pub fn parse(n: u32) -> Result<Self, DomainError> {
        if n == 0 {
            return Err(DomainError::InvalidId { kind: "version", value: n.to_string() });
        }
        Ok(Self(n))
    }

    /// The number.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for Version {
    type Error = DomainError;
    fn try_from(value: u32) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<Version> for u32 {
    fn from(value: Version) -> Self {
        value.0
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.0)
    }
}

/// A character, named by a stable slug of its name (`kandata`, `c-e58faa`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CharacterId(String);

impl CharacterId {
    /// Makes the id for a character name: lowercase ASCII letters and digits
    /// stay, anything else (kana, kanji) is replaced by a short stable hash.
    pub fn from_name(name: &str) -> Self {
        let ascii: String = name
            .trim()
            .chars()
            .map(|c| c.to_ascii_lowercase())
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let ascii = ascii.trim_matches('-').to_owned();
        if !ascii.is_empty() && name.is_ascii() {
            return Self(collapse_dashes(&ascii));
        }
        Self(format!("c-{:08x}", fnv1a(name.trim().as_bytes()) as u32))
    }

    /// Parses an id as written by [`CharacterId::from_name`].
    ///
    /// # Errors
    /// [`DomainError::InvalidId`] for empty ids or characters outside `[a-z0-9-]`.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let ok = !text.is_empty()
            && text.len() <= 64
            && text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(DomainError::InvalidId { kind: "character", value: text.to_owned() })
        }
    }

    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn collapse_dashes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '-' && out.ends_with('-') {
            continue;
        }
        out.push(c);
    }
    out
}

/// FNV-1a, 64 bit: a stable hash for ids and for deriving looks from names.
/// (std's hasher is randomly seeded per process, which would break determinism.)
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

impl TryFrom<String> for CharacterId {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CharacterId> for String {
    fn from(value: CharacterId) -> Self {
        value.0
    }
}

impl fmt::Display for CharacterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One dialogue line of the story, numbered in order of appearance from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LineId(pub u32);

impl fmt::Display for LineId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "L{}", self.0)
    }
}

/// One scene of the plot, numbered from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SceneId(pub u32);

/// A panel: its page (from 1) and its place in reading order on that page (from 1).
/// Written `p03-2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PanelId {
    page: u16,
    index: u8,
}

impl PanelId {
    /// The panel at reading position `index` (from 1) of page `page` (from 1).
    ///
    /// # Errors
    /// [`DomainError::InvalidId`] when either is 0.
    pub fn new(page: u16, index: u8) -> Result<Self, DomainError> {
        if page == 0 || index == 0 {
            return Err(DomainError::InvalidId { kind: "panel", value: format!("p{page:02}-{index}") });
        }
        Ok(Self { page, index })
    }

    /// Parses `p03-2`.
    ///
    /// # Errors
    /// [`DomainError::InvalidId`] for any other form.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let bad = || DomainError::InvalidId { kind: "panel", value: text.to_owned() };
        let rest = text.strip_prefix('p').ok_or_else(bad)?;
        let (page, index) = rest.split_once('-').ok_or_else(bad)?;
        let page = page.parse().map_err(|_| bad())?;
        let index = index.parse().map_err(|_| bad())?;
        Self::new(page, index).map_err(|_| bad())
    }

    /// The page number, from 1.
    pub fn page(self) -> u16 {
        self.page
    }

    /// The reading position on the page, from 1.
    pub fn index(self) -> u8 {
        self.index
    }
}

impl fmt::Display for PanelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "p{:02}-{}", self.page, self.index)
    }
}

impl TryFrom<String> for PanelId {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<PanelId> for String {
    fn from(value: PanelId) -> Self {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_names_become_readable_slugs() {
        assert_eq!(CharacterId::from_name("Mary  Ann").as_str(), "mary-ann");
        assert_eq!(CharacterId::from_name("Kandata").as_str(), "kandata");
    }

    #[test]
    fn japanese_names_become_stable_hashes() {
        let a = CharacterId::from_name("犍陀多");
        assert_eq!(a, CharacterId::from_name(" 犍陀多 "));
        assert!(a.as_str().starts_with("c-") && a.as_str().len() == 10, "{a}");
        assert_ne!(a, CharacterId::from_name("御釈迦様"));
        assert!(CharacterId::parse(a.as_str()).is_ok());
    }

    #[test]
    fn panel_ids_round_trip_and_reject_zero() {
        let id = PanelId::new(3, 2).unwrap();
        assert_eq!(id.to_string(), "p03-2");
        assert_eq!(PanelId::parse("p03-2").unwrap(), id);
        assert!(PanelId::parse("p00-1").is_err());
        assert!(PanelId::parse("03-2").is_err());
        assert!(PanelId::new(1, 0).is_err());
    }

    #[test]
    fn version_zero_does_not_exist() {
        assert!(Version::parse(0).is_err());
        assert_eq!(Version::FIRST.get(), 1);
    }
}
