//! Any OpenAI-compatible server (OpenAI, Ollama, vLLM, llama.cpp server,
//! LocalAI): chat completions with a `json_schema` response format for text,
//! `/v1/images/generations` with base64 answers for images.

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde_json::{Value, json};

use crate::AiError;
use crate::remote::http::{Http, Request};
use crate::remote::{JsonAnswer, JsonModel, JsonPrompt, Picture, PictureModel, PicturePrompt};

/// One model on an OpenAI-compatible server.
pub struct OpenAi {
    http: Http,
    base: String,
    key: Option<String>,
}

impl OpenAi {
    /// `base` is the scheme and host (`https://api.openai.com`, `http://127.0.0.1:11434`).
    pub fn new(http: Http, base: &str, key: Option<String>) -> Self {
        Self { http, base: base.trim_end_matches('/').to_owned(), key }
    }

    fn request(&self, path: &str, body: Value) -> Request {
        let request = Request::post_json(format!("{}{path}", self.base), body);
        match &self.key {
            Some(key) => request.header("authorization", format!("Bearer {key}")),
            None => request,
        }
    }

    fn malformed(&self, message: impl Into<String>) -> AiError {
        AiError::Malformed { provider: self.http.provider().to_owned(), message: message.into() }
    }

    fn rejected(&self, message: impl Into<String>) -> AiError {
        AiError::Rejected { provider: self.http.provider().to_owned(), message: message.into() }
    }

    /// The sizes the image model takes, as (width, height).
    fn sizes(&self) -> &'static [(u32, u32)] {
        if self.http.model().starts_with("dall-e-3") {
            &[(1024, 1024), (1792, 1024), (1024, 1792)]
        } else {
            &[(1024, 1024), (1536, 1024), (1024, 1536)]
        }
    }
}

#[async_trait]
impl JsonModel for OpenAi {
    fn provider(&self) -> &str {
        self.http.provider()
    }

    fn model(&self) -> &str {
        self.http.model()
    }

    async fn generate_json(&self, prompt: &JsonPrompt) -> Result<JsonAnswer, AiError> {
        // Pictures go as data URLs in a content array; a text-only turn stays a plain string.
        let user = if prompt.images.is_empty() {
            json!(prompt.user)
        } else {
            let mut content = vec![json!({ "type": "text", "text": prompt.user })];
            for image in &prompt.images {
                let url = format!("data:image/png;base64,{}", STANDARD.encode(image));
                content.push(json!({ "type": "image_url", "image_url": { "url": url } }));
            }
            Value::Array(content)
        };
        let body = json!({
            "model": self.http.model(),
            "messages": [
                { "role": "system", "content": prompt.system },
                { "role": "user", "content": user },
            ],
            "temperature": prompt.temperature,
            "response_format": {
                "type": "json_schema",
                "json_schema": { "name": prompt.schema_name, "schema": prompt.schema, "strict": true },
            },
        });
        let reply = self.http.send(&self.request("/v1/chat/completions", body)).await?.json(self.http.provider())?;
        let choice = reply.pointer("/choices/0").ok_or_else(|| self.malformed("the answer has no choices"))?;
        if let Some(refusal) = choice.pointer("/message/refusal").and_then(Value::as_str) {
            return Err(self.rejected(format!("the model refused: {refusal}")));
        }
        let finish = choice.get("finish_reason").and_then(Value::as_str).unwrap_or("stop");
        if finish == "content_filter" {
            return Err(self.rejected("the answer was filtered (content_filter)"));
        }
        let text = choice.pointer("/message/content").and_then(Value::as_str).unwrap_or_default().to_owned();
        if text.trim().is_empty() {
            return Err(self.malformed("the answer has no content"));
        }
        let n = |name: &str| reply.pointer(&format!("/usage/{name}")).and_then(Value::as_u64).unwrap_or(0);
        Ok(JsonAnswer {
            text,
            truncated: finish == "length",
            input_tokens: n("prompt_tokens"),
            output_tokens: n("completion_tokens"),
        })
    }
}

#[async_trait]
impl PictureModel for OpenAi {
    fn provider(&self) -> &str {
        self.http.provider()
    }

    fn model(&self) -> &str {
        self.http.model()
    }

    fn aspect_ratios(&self) -> &[(u32, u32)] {
        self.sizes()
    }

    fn accepts_references(&self) -> bool {
        false
    }

    async fn generate_image(&self, prompt: &PicturePrompt) -> Result<Picture, AiError> {
        // The aspect was chosen from `sizes`, whose entries are pixel sizes.
        let (w, h) = prompt.aspect;
        let mut body =
            json!({ "model": self.http.model(), "prompt": prompt.prompt, "n": 1, "size": format!("{w}x{h}") });
        // gpt-image models always answer in base64 and refuse the parameter; DALL·E needs it.
        if self.http.model().starts_with("dall-e") {
            body["response_format"] = json!("b64_json");
        }
        let reply = self.http.send(&self.request("/v1/images/generations", body)).await?.json(self.http.provider())?;
        let data = reply.pointer("/data/0/b64_json").and_then(Value::as_str).ok_or_else(|| {
            self.malformed("the answer has no data[0].b64_json (does the server answer images in base64?)")
        })?;
        let bytes = STANDARD.decode(data).map_err(|e| self.malformed(format!("b64_json does not decode: {e}")))?;
        let n = |name: &str| reply.pointer(&format!("/usage/{name}")).and_then(Value::as_u64).unwrap_or(0);
        Ok(Picture {
            bytes: Bytes::from(bytes),
            mime: "image/png".into(),
            input_tokens: n("input_tokens"),
            output_tokens: n("output_tokens"),
        })
    }
}
