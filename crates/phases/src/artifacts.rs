//! Typed reads and writes of artifacts: JSON for structured outputs, PNG for pictures.

use bytes::Bytes;
use manga_blob::BlobStore;
use manga_domain::ArtifactKey;
use manga_render::image_io::{PngSpeed, decode_png, encode_png};
use manga_render::tiny_skia::Pixmap;
use serde::Serialize;
use serde::de::DeserializeOwned;

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
