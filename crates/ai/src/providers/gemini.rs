//! Gemini through `generateContent`, on Vertex AI (bearer token) or on the
//! Gemini API (API key): structured text for phases 1–3, and images from
//! the Gemini image models (`responseModalities` with IMAGE, reference
//! portraits as `inlineData`).

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde_json::{Value, json};

use super::auth::TokenSource;
use crate::AiError;
use crate::remote::http::{Http, Request};
use crate::remote::{JsonAnswer, JsonModel, JsonPrompt, Picture, PictureModel, PicturePrompt};

/// Which Google endpoint serves the model.
#[derive(Debug, Clone)]
pub enum GoogleEndpoint {
    /// The Gemini API with a key (`x-goog-api-key`).
    ApiKey {
        /// Scheme and host (`https://generativelanguage.googleapis.com`, or a test server).
        base: String,
        /// The key.
        key: String,
    },
    /// Vertex AI with a bearer token.
    Vertex {
        /// Scheme and host (`https://{location}-aiplatform.googleapis.com`, or a test server).
        base: String,
        /// The project.
        project: String,
        /// The location (`asia-northeast1`, `global`).
        location: String,
        /// Where tokens come from.
        tokens: TokenSource,
    },
}

impl GoogleEndpoint {
    /// The default Vertex host for a location.
    pub fn vertex_host(location: &str) -> String {
        if location == "global" {
            "https://aiplatform.googleapis.com".into()
        } else {
            format!("https://{location}-aiplatform.googleapis.com")
        }
    }

    /// The request for `model:method` with auth.
    ///
    /// # Errors
    /// [`AiError::Unavailable`] when no token can be had.
    pub async fn request(&self, provider: &str, model: &str, method: &str, body: Value) -> Result<Request, AiError> {
        Ok(match self {
            Self::ApiKey { base, key } => {
                Request::post_json(format!("{}/v1beta/models/{model}:{method}", base.trim_end_matches('/')), body)
                    .header("x-goog-api-key", key.clone())
            }
            Self::Vertex { base, project, location, tokens } => Request::post_json(
                format!(
                    "{}/v1/projects/{project}/locations/{location}/publishers/google/models/{model}:{method}",
                    base.trim_end_matches('/')
                ),
                body,
            )
            .header("authorization", format!("Bearer {}", tokens.token(provider).await?)),
        })
    }
}

/// A Gemini model on one endpoint.
pub struct Gemini {
    http: Http,
    endpoint: GoogleEndpoint,
}

impl Gemini {
    /// `http` carries the provider and model names and the call policy.
    pub fn new(http: Http, endpoint: GoogleEndpoint) -> Self {
        Self { http, endpoint }
    }

    async fn generate(&self, body: Value) -> Result<Value, AiError> {
        let request = self.endpoint.request(self.http.provider(), self.http.model(), "generateContent", body).await?;
        self.http.send(&request).await?.json(self.http.provider())
    }

    fn err_malformed(&self, message: String) -> AiError {
        AiError::Malformed { provider: self.http.provider().to_owned(), message }
    }

    fn err_rejected(&self, message: String) -> AiError {
        AiError::Rejected { provider: self.http.provider().to_owned(), message }
    }

    /// The first candidate's parts, after handling blocks and finish reasons.
    /// Returns the parts and whether the answer stopped at the length limit.
    fn candidate<'a>(&self, reply: &'a Value) -> Result<(&'a [Value], bool), AiError> {
        if let Some(reason) = reply.pointer("/promptFeedback/blockReason").and_then(Value::as_str) {
            return Err(self.err_rejected(format!("the prompt was blocked ({reason})")));
        }
        let Some(candidate) = reply.get("candidates").and_then(|c| c.get(0)) else {
            return Err(self.err_malformed("the answer has no candidates".into()));
        };
        let reason = candidate.get("finishReason").and_then(Value::as_str).unwrap_or("STOP");
        let parts = candidate.pointer("/content/parts").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
        match reason {
            "STOP" | "FINISH_REASON_UNSPECIFIED" => Ok((parts, false)),
            "MAX_TOKENS" => Ok((parts, true)),
            "SAFETY" | "PROHIBITED_CONTENT" | "BLOCKLIST" | "SPII" | "IMAGE_SAFETY" | "IMAGE_PROHIBITED_CONTENT" => {
                Err(self.err_rejected(format!("the answer was blocked ({reason})")))
            }
            // Recitation and the rest: another try may answer differently.
            other => Err(self.err_malformed(format!("the model stopped early ({other})"))),
        }
    }
}

fn tokens(reply: &Value) -> (u64, u64) {
    let n = |name: &str| reply.pointer(&format!("/usageMetadata/{name}")).and_then(Value::as_u64).unwrap_or(0);
    (n("promptTokenCount"), n("candidatesTokenCount") + n("thoughtsTokenCount"))
}

#[async_trait]
impl JsonModel for Gemini {
    fn provider(&self) -> &str {
        self.http.provider()
    }

    fn model(&self) -> &str {
        self.http.model()
    }

    async fn generate_json(&self, prompt: &JsonPrompt) -> Result<JsonAnswer, AiError> {
        let mut parts = vec![json!({ "text": prompt.user })];
        for image in &prompt.images {
            parts.push(json!({ "inlineData": { "mimeType": "image/png", "data": STANDARD.encode(image) } }));
        }
        let body = json!({
            "systemInstruction": { "parts": [{ "text": prompt.system }] },
            "contents": [{ "role": "user", "parts": parts }],
            "generationConfig": {
                "temperature": prompt.temperature,
                "responseMimeType": "application/json",
                "responseSchema": prompt.gemini_schema,
            },
        });
        let reply = self.generate(body).await?;
        let (parts, truncated) = self.candidate(&reply)?;
        let text: String = parts
            .iter()
            .filter(|p| p.get("thought").and_then(Value::as_bool) != Some(true))
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect();
        if text.trim().is_empty() {
            return Err(self.err_malformed("the answer has no text".into()));
        }
        let (input_tokens, output_tokens) = tokens(&reply);
        Ok(JsonAnswer { text, truncated, input_tokens, output_tokens })
    }
}

/// The aspect ratios Gemini image models take (`imageConfig.aspectRatio`).
pub const GEMINI_IMAGE_RATIOS: [(u32, u32); 10] =
    [(1, 1), (2, 3), (3, 2), (3, 4), (4, 3), (4, 5), (5, 4), (9, 16), (16, 9), (21, 9)];

#[async_trait]
impl PictureModel for Gemini {
    fn provider(&self) -> &str {
        self.http.provider()
    }

    fn model(&self) -> &str {
        self.http.model()
    }

    fn aspect_ratios(&self) -> &[(u32, u32)] {
        &GEMINI_IMAGE_RATIOS
    }

    fn accepts_references(&self) -> bool {
        true
    }

    async fn generate_image(&self, prompt: &PicturePrompt) -> Result<Picture, AiError> {
        let mut parts = vec![json!({ "text": prompt.prompt })];
        if !prompt.references.is_empty() {
            parts.push(json!({ "text": "Reference portraits of the characters, in the order listed: draw them looking like this." }));
        }
        for reference in &prompt.references {
            parts.push(json!({ "inlineData": { "mimeType": "image/png", "data": STANDARD.encode(reference) } }));
        }
        let body = json!({
            "contents": [{ "role": "user", "parts": parts }],
            "generationConfig": {
                "responseModalities": ["TEXT", "IMAGE"],
                "imageConfig": { "aspectRatio": format!("{}:{}", prompt.aspect.0, prompt.aspect.1) },
                "seed": prompt.seed,
            },
        });
        let reply = self.generate(body).await?;
        let (parts, _) = self.candidate(&reply)?;
        let Some(data) = parts.iter().find_map(|p| p.get("inlineData")) else {
            let said: String = parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).collect();
            return Err(self.err_rejected(format!(
                "no image in the answer{}",
                if said.is_empty() { String::new() } else { format!(": {said}") }
            )));
        };
        let mime = data.get("mimeType").and_then(Value::as_str).unwrap_or("").to_owned();
        let bytes = data
            .get("data")
            .and_then(Value::as_str)
            .and_then(|b| STANDARD.decode(b).ok())
            .ok_or_else(|| self.err_malformed("the image's data is not base64".into()))?;
        let (input_tokens, output_tokens) = tokens(&reply);
        Ok(Picture { bytes: Bytes::from(bytes), mime, input_tokens, output_tokens })
    }
}
