//! Artifacts: a version's files by name (looking through its parents), JSON outputs, previews and presets.

use bytes::Bytes;
use manga_blob::BlobError;
use manga_domain::{ArtifactKey, FeedbackAction, JobId, PhaseId, Version};
use manga_store::{JobRecord, JobState, UserId};
use serde::de::DeserializeOwned;

use super::{JobService, ServiceError};
use crate::views::{Preset, Preview};

impl JobService {
    /// An artifact of a version by name; a version shares what it did not redo with its parent.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an unknown name or version, or a cancelled job's files.
    pub async fn artifact(
        &self,
        user: &UserId,
        id: &str,
        name: &str,
        version: Option<u32>,
    ) -> Result<(ArtifactKey, Bytes), ServiceError> {
        let (job, _) = self.owned(user, id).await?;
        if job.state == JobState::Cancelled {
            return Err(ServiceError::NotFound("the job was cancelled; its files are gone".into()));
        }
        let version = self.version_of(&job, version).await?;
        // Every artifact is a file with an extension; a bare name is a folder
        // (`publish`, `pages`), which a local store cannot read as one.
        let file = name.rsplit('/').next().unwrap_or(name);
        if name == "machine.json" || !file.contains('.') {
            return Err(ServiceError::NotFound(format!("no artifact named {name}")));
        }
        let versions = self.store.list_versions(job.id).await?;
        let mut at = Some(version);
        while let Some(v) = at {
            let key = self.key(job.id, v, name)?;
            match self.blob.get(&key).await {
                Ok(bytes) => return Ok((key, bytes)),
                Err(BlobError::NotFound(_)) => at = versions.iter().find(|r| r.number == v).and_then(|r| r.parent),
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::NotFound(format!("no artifact named {name} in {version}")))
    }

    pub(super) fn key(&self, job: JobId, version: Version, name: &str) -> Result<ArtifactKey, ServiceError> {
        ArtifactKey::in_version(job, version, name)
            .map_err(|_| ServiceError::NotFound(format!("no artifact named {name}")))
    }

    pub(super) async fn version_of(&self, job: &JobRecord, version: Option<u32>) -> Result<Version, ServiceError> {
        match version {
            None => Ok(job.current_version),
            Some(n) => self.existing_version(job, n).await,
        }
    }

    /// A JSON output by name, looking through the parents for what a version did not redo.
    pub(super) async fn read_json(
        &self,
        job: JobId,
        version: Version,
        name: &str,
    ) -> Result<Option<serde_json::Value>, ServiceError> {
        match self.blob.get(&self.key(job, version, name)?).await {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| ServiceError::Unavailable(format!("{name} of {version} is unreadable: {e}"))),
            Err(BlobError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub(super) async fn read_typed<T: DeserializeOwned>(
        &self,
        job: JobId,
        version: Version,
        phase: PhaseId,
    ) -> Result<Option<T>, ServiceError> {
        let Some(value) = self.read_json(job, version, &format!("{}.json", phase.name())).await? else {
            return Ok(None);
        };
        serde_json::from_value(value).map(Some).map_err(|e| ServiceError::Unavailable(format!("{phase} output: {e}")))
    }

    pub(super) async fn write_json(
        &self,
        job: JobId,
        version: Version,
        name: &str,
        value: &serde_json::Value,
    ) -> Result<(), ServiceError> {
        let bytes = serde_json::to_vec_pretty(value).map_err(|e| ServiceError::Unavailable(e.to_string()))?;
        self.blob.put(&self.key(job, version, name)?, bytes.into(), "application/json").await?;
        Ok(())
    }
}

/// Images worth showing for a phase's output.
pub(super) fn previews(job: JobId, phase: PhaseId, result: &serde_json::Value) -> Vec<Preview> {
    let key = |v: &serde_json::Value| v.as_str().and_then(|s| ArtifactKey::parse(s).ok());
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    let list = |field: &str| result.get(field).and_then(serde_json::Value::as_array).cloned().unwrap_or_default();
    match phase {
        PhaseId::Characters => list("characters")
            .iter()
            .filter_map(|c| {
                let id = text(&c["id"]);
                Some(Preview::of(
                    job,
                    "portrait",
                    text(&c["name"]),
                    Some(format!("portrait:{id}")),
                    &key(&c["portrait"])?,
                ))
            })
            .collect(),
        PhaseId::Images | PhaseId::Lettering => {
            let kind = if phase == PhaseId::Images { "panel" } else { "lettered" };
            list("panels")
                .iter()
                .filter_map(|p| {
                    let id = text(&p["panel"]);
                    Some(Preview::of(job, kind, id.clone(), Some(format!("panel:{id}")), &key(&p["image"])?))
                })
                .collect()
        }
        PhaseId::Compose => list("pages")
            .iter()
            .filter_map(|p| {
                let n = p["number"].as_u64()?;
                Some(Preview::of(job, "page", format!("page {n}"), Some(format!("page:{n}")), &key(&p["image"])?))
            })
            .collect(),
        PhaseId::Publish => list("thumbnails")
            .iter()
            .enumerate()
            .filter_map(|(i, t)| Some(Preview::of(job, "thumbnail", format!("page {}", i + 1), None, &key(t)?)))
            .collect(),
        PhaseId::Concept | PhaseId::Plot | PhaseId::Name => Vec::new(),
    }
}

/// One-click choices per phase.
pub(super) fn presets(phase: PhaseId) -> Vec<Preset> {
    let preset = |label: &str, action: FeedbackAction| Preset { label: label.to_owned(), action };
    let revise = |label: &str, comment: &str| preset(label, FeedbackAction::Revise { comment: comment.to_owned() });
    let mut presets = vec![preset("Looks good", FeedbackAction::Approve)];
    match phase {
        PhaseId::Concept => presets.push(revise("Read the story again", "read the story again")),
        PhaseId::Characters => presets.push(revise("Redesign the characters", "redesign the characters")),
        PhaseId::Plot => presets.push(revise("Restructure the plot", "restructure the plot")),
        PhaseId::Name => presets.push(revise("Lay the pages out again", "lay the pages out again")),
        PhaseId::Images => {
            presets.push(preset("Redraw page 1", FeedbackAction::Regenerate { target: manga_domain::Target::Page(1) }));
            presets.push(revise("Redraw every panel", "redraw every panel"));
        }
        PhaseId::Lettering => presets.push(revise("Letter again", "letter again")),
        PhaseId::Compose => presets.push(revise("Compose again", "compose again")),
        PhaseId::Publish => {}
    }
    presets
}
