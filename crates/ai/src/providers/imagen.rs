//! Imagen through `:predict` on Vertex AI (or the Gemini API): prompt,
//! negative prompt where the model takes one, aspect ratio, seed, one sample;
//! a filtered image (`raiFilteredReason`) is a refusal, not a crash.

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde_json::{Value, json};

use super::gemini::GoogleEndpoint;
use crate::AiError;
use crate::remote::http::Http;
use crate::remote::{Picture, PictureModel, PicturePrompt};

/// An Imagen model.
pub struct Imagen {
    http: Http,
    endpoint: GoogleEndpoint,
}

/// The aspect ratios Imagen takes.
pub const IMAGEN_RATIOS: [(u32, u32); 5] = [(1, 1), (3, 4), (4, 3), (9, 16), (16, 9)];

impl Imagen {
    /// The model behind `endpoint`.
    pub fn new(http: Http, endpoint: GoogleEndpoint) -> Self {
        Self { http, endpoint }
    }

    /// Only the older Imagen models take a negative prompt; newer ones reject the field.
    fn takes_negative_prompt(&self) -> bool {
        let model = self.http.model();
        model.starts_with("imagegeneration") || model == "imagen-3.0-generate-001"
    }
}

#[async_trait]
impl PictureModel for Imagen {
    fn provider(&self) -> &str {
        self.http.provider()
    }

    fn model(&self) -> &str {
        self.http.model()
    }

    fn aspect_ratios(&self) -> &[(u32, u32)] {
        &IMAGEN_RATIOS
    }

    fn accepts_references(&self) -> bool {
        false
    }

    async fn generate_image(&self, prompt: &PicturePrompt) -> Result<Picture, AiError> {
        let mut parameters = json!({
            "sampleCount": 1,
            "aspectRatio": format!("{}:{}", prompt.aspect.0, prompt.aspect.1),
            // A seed is only honoured without the watermark.
            "seed": prompt.seed,
            "addWatermark": false,
            "includeRaiReason": true,
            "personGeneration": "allow_adult",
            "outputOptions": { "mimeType": "image/png" },
        });
        if self.takes_negative_prompt() && !prompt.negative.is_empty() {
            parameters["negativePrompt"] = json!(prompt.negative);
        }
        let body = json!({ "instances": [{ "prompt": prompt.prompt }], "parameters": parameters });
        let provider = self.http.provider().to_owned();
        let request = self.endpoint.request(&provider, self.http.model(), "predict", body).await?;
        let reply = self.http.send(&request).await?.json(&provider)?;
        let predictions = reply.get("predictions").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
        if let Some(bytes) = predictions.iter().find_map(|p| p.get("bytesBase64Encoded").and_then(Value::as_str)) {
            let bytes = STANDARD.decode(bytes).map_err(|e| AiError::Malformed {
                provider: provider.clone(),
                message: format!("bytesBase64Encoded does not decode: {e}"),
            })?;
            let mime = predictions[0].get("mimeType").and_then(Value::as_str).unwrap_or("image/png").to_owned();
            return Ok(Picture { bytes: Bytes::from(bytes), mime, input_tokens: 0, output_tokens: 0 });
        }
        let reason = predictions.iter().find_map(|p| p.get("raiFilteredReason").and_then(Value::as_str));
        Err(AiError::Rejected {
            provider,
            message: match reason {
                Some(reason) => format!("the image was filtered: {reason}"),
                None => "no image came back (filtered without a reason)".into(),
            },
        })
    }
}
