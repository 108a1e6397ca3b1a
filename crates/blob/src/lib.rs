//! Artifact storage, addressed by [`ArtifactKey`].
//!
//! - [`BlobStore`]: put, get, exists.
//! - [`LocalBlobStore`]: files under one directory (embedded mode, the local
//!   fleet). Writes go to a temporary file first and are renamed into place,
//!   so a reader never sees half an artifact.
//! - [`GcsBlobStore`]: Cloud Storage, one bucket per [`BucketRole`] (the
//!   fleet on GCP); preview images carry `Cache-Control: public,
//!   max-age=604800, immutable`. Behind the `gcs` feature.

#[cfg(feature = "gcs")]
mod gcs;

#[cfg(feature = "gcs")]
pub use gcs::{BucketRole, GcsBlobStore, PREVIEW_CACHE_CONTROL};

use std::io;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;
use manga_domain::ArtifactKey;

/// What can go wrong storing artifacts.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// No artifact under that key.
    #[error("artifact {0} does not exist")]
    NotFound(ArtifactKey),
    /// The store failed; may work later.
    #[error("could not {action} artifact {key}: {source}")]
    Io {
        /// What we were doing.
        action: &'static str,
        /// Which artifact.
        key: ArtifactKey,
        /// Why.
        source: io::Error,
    },
    /// Cloud Storage failed; may work later.
    #[error("could not {action} artifact {key} in bucket {bucket}: {source}")]
    Remote {
        /// What we were doing.
        action: &'static str,
        /// Which artifact.
        key: ArtifactKey,
        /// Where.
        bucket: String,
        /// Why.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The store could not be set up (bad settings, no credentials).
    #[error("cannot set up {what}: {source}")]
    Config {
        /// What could not be made.
        what: String,
        /// Why.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl BlobError {
    /// Whether retrying may help.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Io { .. } | Self::Remote { .. })
    }
}

/// Stores artifacts by key.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Stores `bytes` under `key`, replacing what was there.
    ///
    /// # Errors
    /// [`BlobError::Io`] when the store fails.
    async fn put(&self, key: &ArtifactKey, bytes: Bytes, content_type: &str) -> Result<(), BlobError>;

    /// Reads the artifact under `key`.
    ///
    /// # Errors
    /// [`BlobError::NotFound`] when there is none, [`BlobError::Io`] when the store fails.
    async fn get(&self, key: &ArtifactKey) -> Result<Bytes, BlobError>;

    /// Whether an artifact exists under `key`.
    ///
    /// # Errors
    /// [`BlobError::Io`] when the store fails.
    async fn exists(&self, key: &ArtifactKey) -> Result<bool, BlobError>;
}

/// Artifacts as files under a root directory.
#[derive(Debug, Clone)]
pub struct LocalBlobStore {
    root: PathBuf,
}

impl LocalBlobStore {
    /// A store rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The file behind `key`. Keys cannot contain `..` or start with `/`, so this stays under the root.
    pub fn path_of(&self, key: &ArtifactKey) -> PathBuf {
        self.root.join(key.as_str())
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

#[async_trait]
impl BlobStore for LocalBlobStore {
    async fn put(&self, key: &ArtifactKey, bytes: Bytes, _content_type: &str) -> Result<(), BlobError> {
        let path = self.path_of(key);
        let io = |source| BlobError::Io { action: "write", key: key.clone(), source };
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(io)?;
        }
        // A name of this write's own: two writes of one key at once (a job's machine snapshot, saved by a
        // result and by a person's approval) must not rename each other's file away.
        static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = path.with_extension(format!("tmp-{}-{n}", std::process::id()));
        tokio::fs::write(&tmp, &bytes).await.map_err(io)?;
        tokio::fs::rename(&tmp, &path).await.map_err(io)
    }

    async fn get(&self, key: &ArtifactKey) -> Result<Bytes, BlobError> {
        match tokio::fs::read(self.path_of(key)).await {
            Ok(bytes) => Ok(Bytes::from(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(BlobError::NotFound(key.clone())),
            Err(source) => Err(BlobError::Io { action: "read", key: key.clone(), source }),
        }
    }

    async fn exists(&self, key: &ArtifactKey) -> Result<bool, BlobError> {
        tokio::fs::try_exists(self.path_of(key)).await.map_err(|source| BlobError::Io {
            action: "check",
            key: key.clone(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn put_then_get_returns_the_bytes_and_missing_keys_say_so() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalBlobStore::new(dir.path());
        let key = ArtifactKey::parse("jobs/a/v1/concept.json").unwrap();
        assert!(!store.exists(&key).await.unwrap());
        store.put(&key, Bytes::from_static(b"{}"), "application/json").await.unwrap();
        store.put(&key, Bytes::from_static(b"{\"a\":1}"), "application/json").await.unwrap();
        assert_eq!(&store.get(&key).await.unwrap()[..], b"{\"a\":1}");
        assert!(store.exists(&key).await.unwrap());
        let missing = ArtifactKey::parse("jobs/a/v1/nothing.json").unwrap();
        let err = store.get(&missing).await.unwrap_err();
        assert_eq!(err.to_string(), "artifact jobs/a/v1/nothing.json does not exist");
        assert!(!err.is_transient());
        // No temporary files are left behind.
        let names: Vec<_> =
            std::fs::read_dir(dir.path().join("jobs/a/v1")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("concept.json")]);
    }

    #[tokio::test]
    async fn writes_of_one_key_at_once_all_succeed_and_one_of_them_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = std::sync::Arc::new(LocalBlobStore::new(dir.path()));
        let key = ArtifactKey::parse("jobs/a/v1/machine.json").unwrap();
        let writes: Vec<_> = (0..16)
            .map(|i| {
                let (store, key) = (store.clone(), key.clone());
                tokio::spawn(async move { store.put(&key, Bytes::from(format!("{i:02}")), "text/plain").await })
            })
            .collect();
        for write in writes {
            write.await.unwrap().expect("every write succeeds");
        }
        let kept = store.get(&key).await.unwrap();
        assert!(kept.len() == 2 && kept[0].is_ascii_digit(), "one whole write is kept: {kept:?}");
        assert_eq!(std::fs::read_dir(dir.path().join("jobs/a/v1")).unwrap().count(), 1, "no temporary files left");
    }
}
