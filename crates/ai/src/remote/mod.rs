//! Remote models: what every provider shares.
//!
//! A provider implements one or both of two small backend traits —
//! [`JsonModel`] (a prompt and a schema in, JSON text out) and
//! [`PictureModel`] (a prompt and references in, an image out) — and the
//! adapters [`RemoteText`] and [`RemoteImage`] turn those into the phases'
//! [`TextModel`](crate::TextModel) and [`ImageModel`](crate::ImageModel):
//! prompts from the templates, validation and repair of answers, retries with
//! the error fed back, the response cache, accounting, and cropping art to
//! the panel's frame.
//!
//! - [`http`]: the one resilient call (timeouts, retries, breaker, limits).
//! - [`cache`], [`limiter`], [`breaker`], [`metrics`], [`usage`], [`prices`].
//! - [`schema`], [`prompts`], [`replies`].

mod accounting;
pub mod breaker;
pub mod cache;
pub mod http;
mod image;
pub mod limiter;
pub mod metrics;
pub mod prices;
pub mod prompts;
pub mod replies;
pub mod schema;
mod text;
pub mod usage;

use async_trait::async_trait;
use bytes::Bytes;

pub use image::{RemoteImage, STYLE};
pub use text::RemoteText;

use crate::AiError;

/// What a structured-output call asks.
#[derive(Debug, Clone)]
pub struct JsonPrompt {
    /// The system instruction.
    pub system: String,
    /// The user turn (the story inside its delimiters).
    pub user: String,
    /// A name for the schema (`concept_reply`).
    pub schema_name: String,
    /// The strict JSON Schema (see [`schema::json_schema`]); providers convert it to their dialect.
    pub schema: serde_json::Value,
    /// Gemini's `responseSchema` form of the same schema.
    pub gemini_schema: serde_json::Value,
    /// Sampling temperature.
    pub temperature: f32,
    /// PNG pictures for the model to look at (a drawn panel whose faces are wanted); usually none.
    pub images: Vec<bytes::Bytes>,
}

/// A structured-output answer.
#[derive(Debug, Clone, Default)]
pub struct JsonAnswer {
    /// The JSON text as the model wrote it.
    pub text: String,
    /// Whether the model stopped at its length limit (the text may be cut).
    pub truncated: bool,
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Answer tokens.
    pub output_tokens: u64,
}

/// A model that answers with JSON fitting a schema.
#[async_trait]
pub trait JsonModel: Send + Sync {
    /// The provider's name (`gemini`, `openai`).
    fn provider(&self) -> &str;
    /// The model's name.
    fn model(&self) -> &str;
    /// One call.
    ///
    /// # Errors
    /// [`AiError`]: `Rejected` for a refusal or a block, `Malformed` for an unusable answer.
    async fn generate_json(&self, prompt: &JsonPrompt) -> Result<JsonAnswer, AiError>;
}

/// What an image call asks.
#[derive(Debug, Clone)]
pub struct PicturePrompt {
    /// What to draw.
    pub prompt: String,
    /// What to avoid, for models that take it.
    pub negative: String,
    /// The aspect ratio asked for, one the model supports (`(3, 4)`).
    pub aspect: (u32, u32),
    /// The size the result will be cropped to, for models that take a size.
    pub width: u32,
    /// Height, likewise.
    pub height: u32,
    /// The seed, for models that take one.
    pub seed: u32,
    /// Reference images (PNG), for models that accept them: the cast's portraits.
    pub references: Vec<Bytes>,
}

/// An image answer.
#[derive(Debug, Clone)]
pub struct Picture {
    /// The image bytes as returned (PNG).
    pub bytes: Bytes,
    /// Their MIME type as the provider said.
    pub mime: String,
    /// Prompt tokens, for providers that count them.
    pub input_tokens: u64,
    /// Answer tokens, likewise.
    pub output_tokens: u64,
}

/// A model that draws.
#[async_trait]
pub trait PictureModel: Send + Sync {
    /// The provider's name.
    fn provider(&self) -> &str;
    /// The model's name.
    fn model(&self) -> &str;
    /// The aspect ratios it can make, as (width, height).
    fn aspect_ratios(&self) -> &[(u32, u32)];
    /// Whether it takes reference images.
    fn accepts_references(&self) -> bool;
    /// One image.
    ///
    /// # Errors
    /// [`AiError`]: `Rejected` for a filtered or refused image.
    async fn generate_image(&self, prompt: &PicturePrompt) -> Result<Picture, AiError>;
}

/// The aspect ratio in `supported` nearest to `width`:`height` (by log ratio).
pub fn nearest_aspect(width: u32, height: u32, supported: &[(u32, u32)]) -> (u32, u32) {
    let want = (f64::from(width.max(1)) / f64::from(height.max(1))).ln();
    supported
        .iter()
        .copied()
        .min_by(|a, b| {
            let d = |r: (u32, u32)| ((f64::from(r.0) / f64::from(r.1)).ln() - want).abs();
            d(*a).total_cmp(&d(*b))
        })
        .unwrap_or((1, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_aspect_ratio_is_chosen_by_log_ratio() {
        let gemini = [(1, 1), (2, 3), (3, 2), (3, 4), (4, 3), (9, 16), (16, 9), (21, 9)];
        assert_eq!(nearest_aspect(1240, 400, &gemini), (21, 9));
        assert_eq!(nearest_aspect(600, 820, &gemini), (3, 4));
        assert_eq!(nearest_aspect(500, 1000, &gemini), (9, 16));
        assert_eq!(nearest_aspect(100, 100, &[(4, 3), (3, 4)]), (4, 3));
    }
}
