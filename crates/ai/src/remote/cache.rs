//! The response cache: a model's answer kept under the sha256 of everything
//! that decided it (provider, model, template version, inputs, parameters),
//! so re-running a job, a branch or a revision repeats no call.
//!
//! L1 is in memory (moka); L2 is on disk for the CLI, or Redis in the fleet
//! (an adapter over crates/cache, outside this crate).

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use sha2::{Digest, Sha256};

/// A cache of answers by key.
#[async_trait]
pub trait ResponseCache: Send + Sync {
    /// The answer under `key`, if kept.
    async fn get(&self, key: &str) -> Option<Bytes>;
    /// Keeps an answer. Failing to keep one is not an error: it only costs a call later.
    async fn put(&self, key: &str, value: Bytes);
}

/// The key for a call: sha256 over its parts, each length-prefixed so parts cannot run together.
pub fn cache_key(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hex::encode(hasher.finalize())
}

/// Keeps nothing.
pub struct NoCache;

#[async_trait]
impl ResponseCache for NoCache {
    async fn get(&self, _key: &str) -> Option<Bytes> {
        None
    }
    async fn put(&self, _key: &str, _value: Bytes) {}
}

/// In memory, bounded by bytes (64 MiB by default).
pub struct MemoryCache {
    inner: moka::future::Cache<String, Bytes>,
}

impl MemoryCache {
    /// A cache holding at most `max_bytes` of answers.
    pub fn new(max_bytes: u64) -> Self {
        let inner = moka::future::Cache::builder()
            .weigher(|_k: &String, v: &Bytes| u32::try_from(v.len()).unwrap_or(u32::MAX))
            .max_capacity(max_bytes)
            .build();
        Self { inner }
    }
}

#[async_trait]
impl ResponseCache for MemoryCache {
    async fn get(&self, key: &str) -> Option<Bytes> {
        self.inner.get(key).await
    }
    async fn put(&self, key: &str, value: Bytes) {
        self.inner.insert(key.to_owned(), value).await;
    }
}

/// Files under a directory, one per key: survives between CLI runs.
pub struct DiskCache {
    dir: PathBuf,
}

impl DiskCache {
    /// A cache in `dir` (made when first written).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(&key[..2.min(key.len())]).join(key)
    }
}

#[async_trait]
impl ResponseCache for DiskCache {
    async fn get(&self, key: &str) -> Option<Bytes> {
        tokio::fs::read(self.path(key)).await.ok().map(Bytes::from)
    }
    async fn put(&self, key: &str, value: Bytes) {
        let path = self.path(key);
        let write = async {
            if let Some(parent) = path.parent() {
                tokio::fs::create_dir_all(parent).await?;
            }
            // Write then rename, so a reader never sees half an answer.
            let tmp = path.with_extension(format!("tmp{}", std::process::id()));
            tokio::fs::write(&tmp, &value).await?;
            tokio::fs::rename(&tmp, &path).await
        };
        if let Err(e) = write.await {
            tracing::warn!(error = %e, "model answer not cached on disk");
        }
    }
}

/// L1 in front of L2: a hit in L2 is copied into L1.
pub struct Layered {
    l1: Arc<dyn ResponseCache>,
    l2: Arc<dyn ResponseCache>,
}

impl Layered {
    /// `l1` in front of `l2`.
    pub fn new(l1: Arc<dyn ResponseCache>, l2: Arc<dyn ResponseCache>) -> Self {
        Self { l1, l2 }
    }
}

#[async_trait]
impl ResponseCache for Layered {
    async fn get(&self, key: &str) -> Option<Bytes> {
        if let Some(hit) = self.l1.get(key).await {
            return Some(hit);
        }
        let hit = self.l2.get(key).await?;
        self.l1.put(key, hit.clone()).await;
        Some(hit)
    }
    async fn put(&self, key: &str, value: Bytes) {
        self.l1.put(key, value.clone()).await;
        self.l2.put(key, value).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_when_any_part_differs_even_if_the_concatenation_is_the_same() {
        assert_ne!(cache_key(&[b"ab", b"c"]), cache_key(&[b"a", b"bc"]));
        assert_eq!(cache_key(&[b"ab", b"c"]), cache_key(&[b"ab", b"c"]));
        assert_eq!(cache_key(&[b"x"]).len(), 64);
    }

    #[tokio::test]
    async fn an_l2_hit_survives_a_new_l1_and_fills_it() {
        let dir = tempfile::tempdir().unwrap();
        let key = cache_key(&[b"k"]);
        Layered::new(Arc::new(MemoryCache::new(1 << 20)), Arc::new(DiskCache::new(dir.path())))
            .put(&key, Bytes::from_static(b"answer"))
            .await;
        let l1 = Arc::new(MemoryCache::new(1 << 20));
        let fresh = Layered::new(l1.clone(), Arc::new(DiskCache::new(dir.path())));
        assert_eq!(fresh.get(&key).await.as_deref(), Some(&b"answer"[..]));
        assert_eq!(l1.get(&key).await.as_deref(), Some(&b"answer"[..]), "copied into L1");
        assert_eq!(fresh.get(&cache_key(&[b"other"])).await, None);
    }
}
