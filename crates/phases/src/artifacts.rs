//! Typed reads and writes of artifacts: JSON for structured outputs, PNG for pictures.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use futures_util::{StreamExt, stream};
use manga_ai::Ledger;
use manga_blob::BlobStore;
use manga_domain::{AiUsage, ArtifactKey};
use manga_render::image_io::{PngSpeed, decode_png, encode_png};
use manga_render::tiny_skia::Pixmap;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::PhaseError;

/// Reads and parses a JSON artifact.
///
/// # Errors
/// [`PhaseError::Blob`] when missing, [`PhaseError::BadArtifact`] when it does not parse.
pub async fn load_json<T: DeserializeOwned>(blob: &dyn BlobStore, key: &ArtifactKey) -> Result<T, PhaseError> {
    let bytes = blob.get(key).await?;
    serde_json::from_slice(&bytes).map_err(|e| PhaseError::BadArtifact { key: key.clone(), message: e.to_string() })
}

/// Writes a value as pretty JSON (people read these in job.json and the API).
///
/// # Errors
/// [`PhaseError::Blob`] when the store fails.
pub async fn save_json<T: Serialize>(blob: &dyn BlobStore, key: &ArtifactKey, value: &T) -> Result<(), PhaseError> {
    let bytes = serde_json::to_vec_pretty(value)
        .map_err(|e| PhaseError::BadArtifact { key: key.clone(), message: e.to_string() })?;
    blob.put(key, Bytes::from(bytes), "application/json").await?;
    Ok(())
}

/// Reads and decodes a PNG artifact.
///
/// # Errors
/// [`PhaseError::Blob`] when missing, [`PhaseError::Render`] when not a PNG.
pub async fn load_png(blob: &dyn BlobStore, key: &ArtifactKey) -> Result<Pixmap, PhaseError> {
    let bytes = blob.get(key).await?;
    Ok(decode_png(&bytes)?)
}

/// Encodes and writes a PNG artifact; returns the encoded bytes.
///
/// # Errors
/// [`PhaseError::Render`] or [`PhaseError::Blob`].
pub async fn save_png(
    blob: &dyn BlobStore,
    key: &ArtifactKey,
    pixmap: &Pixmap,
    speed: PngSpeed,
) -> Result<Bytes, PhaseError> {
    let bytes = Bytes::from(encode_png(pixmap, speed)?);
    blob.put(key, bytes.clone(), "image/png").await?;
    Ok(bytes)
}

/// What an attempt keeps for one piece of model work it paid for (a panel, a portrait, the
/// character designs): the piece, and what its calls used and noted. A redelivery of the same
/// attempt (after a cut request, a crash, a transient failure) keeps the piece instead of paying
/// for it again, and the attempt's result still counts what it cost.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Receipt<T> {
    pub made: T,
    #[serde(default)]
    pub usage: Vec<AiUsage>,
    #[serde(default)]
    pub notes: Vec<String>,
}

impl<T> Receipt<T> {
    /// The piece, with what it cost added to the ledger of the scope this runs in.
    pub fn carry(self) -> T {
        if let Some(ledger) = Ledger::current() {
            ledger.carry(&self.usage, &self.notes);
        }
        self.made
    }
}

/// The receipt at `key`, if the work was paid for.
///
/// # Errors
/// [`PhaseError`] when the store fails or the receipt does not parse.
pub(crate) async fn receipt<T: DeserializeOwned>(
    blob: &dyn BlobStore,
    key: &ArtifactKey,
) -> Result<Option<Receipt<T>>, PhaseError> {
    match load_json(blob, key).await {
        Ok(receipt) => Ok(Some(receipt)),
        Err(PhaseError::Blob(manga_blob::BlobError::NotFound(_))) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The piece whose receipt is at `key`, or `work` run in its own ledger and its receipt kept
/// there; either way what it cost is added to the caller's ledger.
///
/// # Errors
/// What `work` fails with, or [`PhaseError`] when the store fails.
pub(crate) async fn pay_once<T, F>(blob: &dyn BlobStore, key: &ArtifactKey, work: F) -> Result<T, PhaseError>
where
    T: Serialize + DeserializeOwned,
    F: Future<Output = Result<T, PhaseError>>,
{
    if let Some(kept) = receipt(blob, key).await? {
        return Ok(kept.carry());
    }
    let ledger = Ledger::default();
    let made = ledger.scope(work).await?;
    let receipt = Receipt { made, usage: ledger.usage(), notes: ledger.notes() };
    save_json(blob, key, &receipt).await?;
    Ok(receipt.carry())
}

/// Pieces of paid work (portraits, panels) run at most `at_once` at a time. After the first
/// failure no new piece starts, but those in flight finish and keep their receipts (what was
/// paid for is not thrown away); [`Self::finish`] then returns that failure.
pub(crate) struct UntilFirstFailure<'a, T> {
    pieces: std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<T, PhaseError>> + Send + 'a>>,
    failed: Arc<AtomicBool>,
    first_error: Option<PhaseError>,
}

impl<'a, T: Send + 'a> UntilFirstFailure<'a, T> {
    pub fn new<Fut>(work: Vec<Fut>, at_once: usize) -> Self
    where
        Fut: Future<Output = Result<T, PhaseError>> + Send + 'a,
    {
        let failed = Arc::new(AtomicBool::new(false));
        let stop = failed.clone();
        let pieces = stream::iter(work)
            .take_while(move |_| std::future::ready(!stop.load(Ordering::SeqCst)))
            .buffer_unordered(at_once);
        Self { pieces: Box::pin(pieces), failed, first_error: None }
    }

    /// The next piece made, as it lands; `None` once every started piece has ended.
    pub async fn next(&mut self) -> Option<T> {
        loop {
            match self.pieces.next().await? {
                Ok(made) => return Some(made),
                Err(e) => {
                    self.failed.store(true, Ordering::SeqCst);
                    self.first_error.get_or_insert(e);
                }
            }
        }
    }

    /// The first failure, if there was one.
    ///
    /// # Errors
    /// That failure.
    pub fn finish(self) -> Result<(), PhaseError> {
        self.first_error.map_or(Ok(()), Err)
    }
}
