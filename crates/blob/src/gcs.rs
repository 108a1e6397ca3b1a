//! Artifacts in Cloud Storage, one bucket per role as the seeds lay them out
//! (seed 001 §4.3): `{prefix}input-data`, `{prefix}output-images`,
//! `{prefix}preview-cache`, `{prefix}version-snapshots`,
//! `{prefix}final-products`, `{prefix}temp-data`. An artifact's role follows
//! from its key, so every service finds it in the same bucket; the buckets'
//! lifecycle rules (terraform/modules/storage) then apply per role.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use manga_domain::ArtifactKey;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::path::Path;
use object_store::{Attribute, Attributes, ObjectStore, ObjectStoreExt, PutOptions, PutPayload};

use crate::{BlobError, BlobStore};

/// What preview images are served with: a week, never revalidated, since a
/// version's preview never changes once written (seed 001 §4.3).
pub const PREVIEW_CACHE_CONTROL: &str = "public, max-age=604800, immutable";

/// Which bucket an artifact belongs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BucketRole {
    /// What the person gave: the story and the options (kept 90 days).
    InputData,
    /// Portraits, panel art, lettered panels, pages.
    OutputImages,
    /// Thumbnails the web page previews (kept 30 days, served from a CDN).
    PreviewCache,
    /// Phase outputs and the orchestrator's state of each version (Nearline after 7 days).
    VersionSnapshots,
    /// The published PDF, CBZ and reader manifest (Nearline after 30 days, Coldline after a year).
    FinalProducts,
    /// Anything else (deleted after 7 days).
    TempData,
}

impl BucketRole {
    /// Every role, in the seeds' order.
    pub const ALL: [Self; 6] = [
        Self::InputData,
        Self::OutputImages,
        Self::PreviewCache,
        Self::VersionSnapshots,
        Self::FinalProducts,
        Self::TempData,
    ];

    /// The role's name, the end of its bucket's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::InputData => "input-data",
            Self::OutputImages => "output-images",
            Self::PreviewCache => "preview-cache",
            Self::VersionSnapshots => "version-snapshots",
            Self::FinalProducts => "final-products",
            Self::TempData => "temp-data",
        }
    }

    /// The role of an artifact, from its name within its version.
    pub fn of(key: &ArtifactKey) -> Self {
        let Some((_, name)) = key.name_in_version() else { return Self::TempData };
        let folder = name.split_once('/').map(|(folder, _)| folder);
        match (folder, name) {
            (None, "story.txt" | "options.json") => Self::InputData,
            (Some("portraits" | "panels" | "lettered" | "pages"), _) => Self::OutputImages,
            (Some("thumbs"), _) => Self::PreviewCache,
            (Some("publish"), _) => Self::FinalProducts,
            (None, json) if json.ends_with(".json") => Self::VersionSnapshots,
            _ => Self::TempData,
        }
    }
}

/// Artifacts in Cloud Storage, bucket by [`BucketRole`].
pub struct GcsBlobStore {
    prefix: String,
    /// One client per bucket, in [`BucketRole::ALL`]'s order (indexed by role).
    buckets: Vec<Arc<dyn ObjectStore>>,
}

impl std::fmt::Debug for GcsBlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GcsBlobStore").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

impl GcsBlobStore {
    /// The buckets `{prefix}{role}` with the environment's credentials
    /// (Application Default Credentials: the service account on Cloud Run).
    ///
    /// # Errors
    /// [`BlobError::Config`] when a client cannot be built.
    pub fn new(prefix: &str) -> Result<Self, BlobError> {
        Self::with_builder(prefix, GoogleCloudStorageBuilder::from_env)
    }

    /// The same, with each bucket's client made from `builder()` (tests point
    /// it at a local server with a service-account key holding `gcs_base_url`).
    ///
    /// # Errors
    /// [`BlobError::Config`] when a client cannot be built.
    pub fn with_builder(prefix: &str, builder: impl Fn() -> GoogleCloudStorageBuilder) -> Result<Self, BlobError> {
        let mut buckets = Vec::with_capacity(BucketRole::ALL.len());
        for role in BucketRole::ALL {
            let bucket = format!("{prefix}{}", role.name());
            let store = builder().with_bucket_name(&bucket).build().map_err(|source| BlobError::Config {
                what: format!("the Cloud Storage client for bucket {bucket}"),
                source: Box::new(source),
            })?;
            buckets.push(Arc::new(store) as Arc<dyn ObjectStore>);
        }
        Ok(Self { prefix: prefix.to_owned(), buckets })
    }

    /// The bucket an artifact is stored in.
    pub fn bucket_of(&self, key: &ArtifactKey) -> String {
        format!("{}{}", self.prefix, BucketRole::of(key).name())
    }

    fn store(&self, key: &ArtifactKey) -> &Arc<dyn ObjectStore> {
        // The buckets were made in ALL's order, which is the enum's declaration order.
        &self.buckets[BucketRole::of(key) as usize]
    }

    fn error(&self, action: &'static str, key: &ArtifactKey, e: object_store::Error) -> BlobError {
        match e {
            object_store::Error::NotFound { .. } => BlobError::NotFound(key.clone()),
            other => {
                BlobError::Remote { action, key: key.clone(), bucket: self.bucket_of(key), source: Box::new(other) }
            }
        }
    }
}

#[async_trait]
impl BlobStore for GcsBlobStore {
    async fn put(&self, key: &ArtifactKey, bytes: Bytes, content_type: &str) -> Result<(), BlobError> {
        let mut attributes = Attributes::new();
        attributes.insert(Attribute::ContentType, content_type.to_owned().into());
        if BucketRole::of(key) == BucketRole::PreviewCache {
            attributes.insert(Attribute::CacheControl, PREVIEW_CACHE_CONTROL.into());
        }
        let options = PutOptions { attributes, ..PutOptions::default() };
        self.store(key)
            .put_opts(&Path::from(key.as_str()), PutPayload::from(bytes), options)
            .await
            .map(|_| ())
            .map_err(|e| self.error("write", key, e))
    }

    async fn get(&self, key: &ArtifactKey) -> Result<Bytes, BlobError> {
        let read = async { self.store(key).get(&Path::from(key.as_str())).await?.bytes().await };
        read.await.map_err(|e| self.error("read", key, e))
    }

    async fn exists(&self, key: &ArtifactKey) -> Result<bool, BlobError> {
        match self.store(key).head(&Path::from(key.as_str())).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(self.error("check", key, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use manga_domain::{JobId, PhaseId, Version};

    use super::*;

    #[test]
    fn each_artifact_goes_to_the_bucket_of_its_role() {
        let (job, v) = (JobId::new(), Version::FIRST);
        let key = |name: &str| ArtifactKey::in_version(job, v, name).unwrap();
        let roles = [
            (ArtifactKey::story(job, v), BucketRole::InputData),
            (ArtifactKey::options(job, v), BucketRole::InputData),
            (key("portraits/kandata.png"), BucketRole::OutputImages),
            (key("panels/p01-1.png"), BucketRole::OutputImages),
            (key("lettered/p01-1.png"), BucketRole::OutputImages),
            (ArtifactKey::page(job, v, 3), BucketRole::OutputImages),
            (ArtifactKey::thumbnail(job, v, 3), BucketRole::PreviewCache),
            (ArtifactKey::phase_output(job, v, PhaseId::Name), BucketRole::VersionSnapshots),
            (ArtifactKey::machine(job, v), BucketRole::VersionSnapshots),
            (ArtifactKey::product(job, v, "manga.pdf"), BucketRole::FinalProducts),
            (ArtifactKey::product(job, v, "reader.json"), BucketRole::FinalProducts),
            (key("scratch/x.bin"), BucketRole::TempData),
            (ArtifactKey::parse("elsewhere/a.txt").unwrap(), BucketRole::TempData),
        ];
        for (key, role) in roles {
            assert_eq!(BucketRole::of(&key), role, "{key}");
        }
        let order: Vec<_> = BucketRole::ALL.iter().map(|r| *r as usize).collect();
        assert_eq!(order, [0, 1, 2, 3, 4, 5], "ALL is in declaration order: GcsBlobStore indexes its buckets by it");
        let names: Vec<_> = BucketRole::ALL.iter().map(|r| r.name()).collect();
        assert_eq!(
            names,
            ["input-data", "output-images", "preview-cache", "version-snapshots", "final-products", "temp-data"]
        );
    }
}
