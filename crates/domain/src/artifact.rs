use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{DomainError, JobId, PanelId, PhaseId, Version};

/// Where an artifact lives in a blob store: a relative, slash-separated path
/// with no `..`, the same in local files and in a Cloud Storage bucket.
///
/// Every key is made here, so the layout of a job's artifacts is written once.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ArtifactKey(String);

impl ArtifactKey {
    /// Parses a key.
    ///
    /// # Errors
    /// [`DomainError::InvalidId`] for empty keys, absolute paths, `..`, backslashes or empty segments.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let ok = !text.is_empty()
            && !text.starts_with('/')
            && !text.contains('\\')
            && text.split('/').all(|s| !s.is_empty() && s != "." && s != "..");
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(DomainError::InvalidId { kind: "artifact", value: text.to_owned() })
        }
    }

    fn job(job: JobId, version: Version, rest: &str) -> Self {
        Self(format!("jobs/{job}/{version}/{rest}"))
    }

    /// A phase's structured output: `jobs/{job}/v{n}/{phase}.json`.
    pub fn phase_output(job: JobId, version: Version, phase: PhaseId) -> Self {
        Self::job(job, version, &format!("{}.json", phase.name()))
    }

    /// The result message one phase attempt sent (protobuf), kept so a redelivery can send it
    /// again: `jobs/{job}/v{n}/results/{phase}-{attempt}.pb`. Versions do not inherit it.
    pub fn phase_result(job: JobId, version: Version, phase: PhaseId, attempt: u32) -> Self {
        Self::job(job, version, &format!("results/{}-{attempt}.pb", phase.name()))
    }

    /// The story text a job was made from.
    pub fn story(job: JobId, version: Version) -> Self {
        Self::job(job, version, "story.txt")
    }

    /// The orchestrator's state machine as it stood for a version (to restore it).
    pub fn machine(job: JobId, version: Version) -> Self {
        Self::job(job, version, "machine.json")
    }

    /// An artifact of a version by its name within the version (`pages/page-001.png`).
    ///
    /// # Errors
    /// [`DomainError::InvalidId`] when the name is not a clean relative path.
    pub fn in_version(job: JobId, version: Version, name: &str) -> Result<Self, DomainError> {
        Self::parse(&format!("jobs/{job}/{version}/{name}"))
    }

    /// The name within its version (`pages/page-001.png`), and the version, for keys made here.
    pub fn name_in_version(&self) -> Option<(Version, &str)> {
        let mut parts = self.0.splitn(4, '/');
        let (_, _, version, name) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let version = version.strip_prefix('v')?.parse().ok().and_then(|n| Version::parse(n).ok())?;
        Some((version, name))
    }

    /// The job's options.
    pub fn options(job: JobId, version: Version) -> Self {
        Self::job(job, version, "options.json")
    }

    /// A character's reference portrait.
    pub fn portrait(job: JobId, version: Version, character: &crate::CharacterId) -> Self {
        Self::job(job, version, &format!("portraits/{character}.png"))
    }

    /// A panel's raw art (phase 5).
    pub fn panel_art(job: JobId, version: Version, panel: PanelId) -> Self {
        Self::job(job, version, &format!("panels/{panel}.png"))
    }

    /// The receipt of a panel drawn by one attempt of phase 5 (its [`crate::PanelArt`] as JSON):
    /// a redelivery of that attempt keeps the panel instead of paying for it again.
    pub fn drawn_panel(job: JobId, version: Version, attempt: u32, panel: PanelId) -> Self {
        Self::job(job, version, &format!("drawn/attempt-{attempt}/{panel}.json"))
    }

    /// The character designs one attempt of phase 2 got from the text model, before any
    /// portrait (a receipt, JSON): a redelivery of that attempt keeps them instead of asking again.
    pub fn designed_characters(job: JobId, version: Version, attempt: u32) -> Self {
        Self::job(job, version, &format!("drawn/attempt-{attempt}/characters.json"))
    }

    /// The receipt of a portrait drawn by one attempt of phase 2 (JSON).
    pub fn drawn_portrait(job: JobId, version: Version, attempt: u32, character: &crate::CharacterId) -> Self {
        Self::job(job, version, &format!("drawn/attempt-{attempt}/portrait-{character}.json"))
    }

    /// A panel's lettered image (phase 6).
    pub fn lettered_panel(job: JobId, version: Version, panel: PanelId) -> Self {
        Self::job(job, version, &format!("lettered/{panel}.png"))
    }

    /// A composed page (phase 7).
    pub fn page(job: JobId, version: Version, number: u16) -> Self {
        Self::job(job, version, &format!("pages/page-{number:03}.png"))
    }

    /// A page thumbnail (phase 8).
    pub fn thumbnail(job: JobId, version: Version, number: u16) -> Self {
        Self::job(job, version, &format!("thumbs/page-{number:03}.png"))
    }

    /// A published file (`manga.pdf`, `manga.cbz`, `reader.json`).
    pub fn product(job: JobId, version: Version, file: &str) -> Self {
        Self::job(job, version, &format!("publish/{file}"))
    }

    /// The key as a path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ArtifactKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl TryFrom<String> for ArtifactKey {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ArtifactKey> for String {
    fn from(value: ArtifactKey) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_escape_their_store() {
        for bad in ["", "/etc/passwd", "a/../b", "a//b", "a\\b", "./a"] {
            assert!(ArtifactKey::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(ArtifactKey::parse("jobs/x/v1/concept.json").is_ok());
    }

    #[test]
    fn every_made_key_parses() {
        let job = JobId::new();
        let v = Version::FIRST;
        let panel = PanelId::new(2, 3).unwrap();
        let key = ArtifactKey::panel_art(job, v, panel);
        assert_eq!(key.as_str(), format!("jobs/{job}/v1/panels/p02-3.png"));
        assert_eq!(ArtifactKey::parse(key.as_str()).unwrap(), key);
        assert_eq!(ArtifactKey::phase_output(job, v, PhaseId::Plot).as_str(), format!("jobs/{job}/v1/plot.json"));
    }
}
