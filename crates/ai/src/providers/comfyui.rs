//! A self-hosted ComfyUI server: a workflow in ComfyUI's API format with
//! `{{slot}}` placeholders is filled in, queued with `POST /prompt`, polled
//! through `GET /history/{id}` until it has outputs, and its first image is
//! fetched from `GET /view`.
//!
//! ComfyUI has no synchronous endpoint (only `/prompt` plus a websocket or
//! polling), so one image costs one queue call, a few history polls and one
//! download — all through the shared [`Http`] path, so they are retried,
//! rate-limited and counted like any other call.
//!
//! Queueing is not idempotent on ComfyUI's side, so the prompt's id is ours:
//! a hash of the filled workflow, sent as `prompt_id` (ComfyUI keeps a
//! supplied one). Before queueing, and before re-queueing after a lost
//! answer, the history and the queue are asked whether that id is already
//! there; so a timeout, a redelivery or a second instance never renders the
//! same picture twice.
//!
//! A second workflow (`COMFYUI_REFERENCE_WORKFLOW`, with a `{{reference}}`
//! slot in a `LoadImage` node) is used when a panel comes with the cast's
//! portraits: the first is uploaded through `POST /upload/image` under a
//! name from its hash, and the slot names it.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::AiError;
use crate::remote::http::{Http, Request};
use crate::remote::{Picture, PictureModel, PicturePrompt};

/// The built-in workflow: SDXL base 1.0, text to image, saved as `manga_*.png`.
pub const BUILTIN_WORKFLOW: &str = include_str!("../../workflows/sdxl-txt2img.json");

/// The aspect ratios asked for. SDXL draws any multiple of 64, so the list is
/// generous; the adapter crops to the panel's exact frame anyway.
pub const COMFYUI_RATIOS: [(u32, u32); 8] = [(1, 1), (3, 4), (4, 3), (2, 3), (3, 2), (9, 16), (16, 9), (21, 9)];

/// The slots a workflow must have: without a prompt every panel is the same
/// picture, and without a seed retries and re-rolls cannot differ.
const REQUIRED_SLOTS: [&str; 2] = ["{{prompt}}", "{{seed}}"];

/// How the queued prompts are labelled on the server (its UI shows the client).
const CLIENT_ID: &str = "manga";

/// The longer side SDXL was trained at; other sizes drift off-model.
const SDXL_LONG_SIDE: u32 = 1024;

/// The slot a reference workflow must have.
const REFERENCE_SLOT: &str = "{{reference}}";

/// A ComfyUI server running one workflow (and, for panels with portraits, a second).
pub struct ComfyUi {
    http: Http,
    /// The server's root, without a trailing slash.
    base: String,
    /// The workflow in API format, slots still unfilled.
    workflow: Value,
    /// The workflow for prompts with a reference image, if configured.
    reference_workflow: Option<Value>,
    /// How long to wait between history polls.
    poll_interval: Duration,
    /// How long a prompt may take, queue time included, before we give up.
    max_wait: Duration,
}

impl ComfyUi {
    /// The server at `base_url` running `workflow_json` (ComfyUI's API format,
    /// as saved by "Export (API)"), with `{{prompt}}`, `{{negative}}`,
    /// `{{seed}}`, `{{width}}` and `{{height}}` placeholders in its inputs.
    ///
    /// # Errors
    /// A sentence when the workflow is not ComfyUI API-format JSON or lacks
    /// the `{{prompt}}` or `{{seed}}` slot.
    pub fn new(http: Http, base_url: &str, workflow_json: &str) -> Result<Self, String> {
        Ok(Self {
            http,
            base: base_url.trim_end_matches('/').to_owned(),
            workflow: parse_workflow(workflow_json)?,
            reference_workflow: None,
            poll_interval: Duration::from_millis(250),
            max_wait: Duration::from_secs(300),
        })
    }

    /// Uses `workflow_json` for prompts that come with reference images; it must have a
    /// `{{reference}}` slot (the `image` input of a `LoadImage` node) besides the usual ones.
    ///
    /// # Errors
    /// A sentence like [`ComfyUi::new`]'s, or naming the missing `{{reference}}` slot.
    pub fn with_reference_workflow(mut self, workflow_json: &str) -> Result<Self, String> {
        let workflow = parse_workflow(workflow_json)?;
        if !mentions(&workflow, REFERENCE_SLOT) {
            return Err(format!(
                "the reference workflow has no {REFERENCE_SLOT} slot: put \"{REFERENCE_SLOT}\" in a LoadImage node's image input"
            ));
        }
        self.reference_workflow = Some(workflow);
        Ok(self)
    }

    /// Polls the history every `interval` instead of every 250 ms.
    #[must_use]
    pub fn with_poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// Gives up on a prompt after `max_wait` instead of 300 s.
    #[must_use]
    pub fn with_max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    fn unavailable(&self, message: String) -> AiError {
        AiError::Unavailable { provider: self.http.provider().to_owned(), message }
    }

    /// Polls the history until `prompt_id` has finished, then names its image.
    async fn wait_for(&self, prompt_id: &str) -> Result<ImageRef, AiError> {
        let provider = self.http.provider();
        let url = format!("{}/history/{}", self.base, encode(prompt_id));
        let started = Instant::now();
        loop {
            let history = self.http.send(&Request::get(url.as_str()).follow_up()).await?.json(provider)?;
            if let Progress::Done(image) = progress(&history, prompt_id, provider)? {
                return Ok(image);
            }
            let waited = started.elapsed();
            if waited >= self.max_wait {
                // Transient: the server may only be busy with someone else's queue.
                return Err(self.unavailable(format!(
                    "ComfyUI did not finish prompt {prompt_id} within {} s",
                    self.max_wait.as_secs_f64()
                )));
            }
            // Never sleep past the deadline: one last poll at it, then give up.
            tokio::time::sleep(self.poll_interval.min(self.max_wait - waited)).await;
        }
    }

    /// Queues `graph` as `prompt_id`. A transient failure may have queued it anyway (the
    /// answer was lost, not the request), so before each retry the server is asked first.
    async fn queue(&self, graph: &Value, prompt_id: &str) -> Result<(), AiError> {
        let provider = self.http.provider();
        let body = json!({ "prompt": graph, "client_id": CLIENT_ID, "prompt_id": prompt_id });
        let request = Request::post_json(format!("{}/prompt", self.base), body);
        let queued = self.http.send_unless(&request, || async { self.lookup(prompt_id).await == Seen::Here }).await?;
        let refused = queued.map(|answer| answer.json(provider)).transpose()?.as_ref().and_then(refusal);
        if let Some(message) = refused {
            return Err(AiError::Rejected {
                provider: provider.to_owned(),
                message: format!("ComfyUI refused the workflow: {message}"),
            });
        }
        Ok(())
    }

    /// Queues `graph` unless the server already has it, and returns its prompt id. The id is
    /// the graph's hash; one whose earlier run failed gets the next id in its series, since
    /// ComfyUI keeps a failure in its history under the id.
    async fn queue_once(&self, graph: Value) -> Result<String, AiError> {
        for generation in 0..MAX_GENERATIONS {
            let prompt_id = prompt_id_of(&graph, generation);
            match self.lookup(&prompt_id).await {
                Seen::Here => return Ok(prompt_id),
                Seen::Failed => continue,
                Seen::Unknown => {
                    self.queue(&graph, &prompt_id).await?;
                    return Ok(prompt_id);
                }
            }
        }
        Err(AiError::Rejected {
            provider: self.http.provider().to_owned(),
            message: format!("ComfyUI failed this picture {MAX_GENERATIONS} times"),
        })
    }

    /// Whether the server has `prompt_id` in its queue or history, and how it went. Unsure
    /// (the server does not answer) is unknown: at worst a picture is queued twice, never lost.
    async fn lookup(&self, prompt_id: &str) -> Seen {
        let provider = self.http.provider();
        let ask = |path: String| async move {
            let request = Request::get(format!("{}{path}", self.base)).follow_up().once();
            self.http.send(&request).await.and_then(|r| r.json(provider)).ok()
        };
        if let Some(history) = ask(format!("/history/{}", encode(prompt_id))).await
            && history.get(prompt_id).is_some()
        {
            return match progress(&history, prompt_id, provider) {
                Ok(_) => Seen::Here,
                Err(_) => Seen::Failed,
            };
        }
        let queued = ask("/queue".to_owned()).await.is_some_and(|queue| {
            ["queue_running", "queue_pending"].iter().any(|list| {
                queue.get(list).and_then(Value::as_array).is_some_and(|items| {
                    items.iter().any(|item| item.get(1).and_then(Value::as_str) == Some(prompt_id))
                })
            })
        });
        if queued { Seen::Here } else { Seen::Unknown }
    }

    /// Uploads a reference image under a name from its hash (so uploading it again is
    /// harmless) and returns the name ComfyUI stored it as.
    async fn upload(&self, png: &Bytes) -> Result<String, AiError> {
        let provider = self.http.provider();
        let name = format!("manga-ref-{}.png", &hex::encode(Sha256::digest(png))[..16]);
        let request = Request {
            json: None,
            multipart: Some(vec![
                ("image".into(), name.clone(), png.clone(), "image/png".into()),
                ("overwrite".into(), String::new(), Bytes::from_static(b"true"), "text/plain".into()),
            ]),
            ..Request::post_json(format!("{}/upload/image", self.base), Value::Null).follow_up()
        };
        let answer = self.http.send(&request).await?.json(provider)?;
        let stored = answer.get("name").and_then(Value::as_str).ok_or_else(|| AiError::Malformed {
            provider: provider.to_owned(),
            message: format!("the /upload/image answer has no name: {answer}"),
        })?;
        Ok(match answer.get("subfolder").and_then(Value::as_str).filter(|s| !s.is_empty()) {
            Some(folder) => format!("{folder}/{stored}"),
            None => stored.to_owned(),
        })
    }
}

/// What the server knows of a prompt id.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    /// Queued, running or done with an image.
    Here,
    /// Run, and failed.
    Failed,
    /// Never seen (or the server would not say).
    Unknown,
}

/// How many ids one picture may go through after failed runs.
const MAX_GENERATIONS: u32 = 4;

/// A prompt id from the filled workflow: the same picture asked twice has the same id, and
/// `generation` numbers the tries after failed runs. Shaped like a UUID, as ComfyUI's own are.
fn prompt_id_of(graph: &Value, generation: u32) -> String {
    let digest = hex::encode(Sha256::digest(format!("{generation}:{graph}").as_bytes()));
    format!("{}-{}-{}-{}-{}", &digest[..8], &digest[8..12], &digest[12..16], &digest[16..20], &digest[20..32])
}

#[async_trait]
impl PictureModel for ComfyUi {
    fn provider(&self) -> &str {
        self.http.provider()
    }

    fn model(&self) -> &str {
        self.http.model()
    }

    fn aspect_ratios(&self) -> &[(u32, u32)] {
        &COMFYUI_RATIOS
    }

    /// Only with a reference workflow: the built-in one is plain text to image.
    fn accepts_references(&self) -> bool {
        self.reference_workflow.is_some()
    }

    async fn generate_image(&self, prompt: &PicturePrompt) -> Result<Picture, AiError> {
        let provider = self.http.provider().to_owned();
        let (width, height) = sdxl_size(prompt.width, prompt.height);
        let (workflow, reference) = match (&self.reference_workflow, prompt.references.first()) {
            (Some(workflow), Some(image)) => (workflow, Some(self.upload(image).await?)),
            _ => (&self.workflow, None),
        };
        let slots = Slots {
            prompt: &prompt.prompt,
            negative: &prompt.negative,
            seed: u64::from(prompt.seed),
            width,
            height,
            reference: reference.as_deref(),
        };
        let graph = fill(workflow, &slots);
        let prompt_id = self.queue_once(graph).await?;
        let prompt_id = prompt_id.as_str();

        let image = self.wait_for(prompt_id).await?;
        let url = format!(
            "{}/view?filename={}&subfolder={}&type={}",
            self.base,
            encode(&image.filename),
            encode(&image.subfolder),
            encode(&image.kind)
        );
        let response = self.http.send(&Request::get(url).follow_up()).await?;
        let content_type = response
            .headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or(v).trim().to_ascii_lowercase());
        let mime = match content_type.as_deref() {
            Some(image_type) if image_type.starts_with("image/") => image_type.to_owned(),
            // Some proxies in front of ComfyUI drop the type; the file is the PNG SaveImage wrote.
            None | Some("" | "application/octet-stream") => "image/png".to_owned(),
            Some(other) => {
                return Err(AiError::Malformed {
                    provider,
                    message: format!("/view for {} answered {other}, not an image", image.filename),
                });
            }
        };
        if response.body.is_empty() {
            return Err(AiError::Malformed { provider, message: format!("/view for {} was empty", image.filename) });
        }
        Ok(Picture { bytes: response.body, mime, input_tokens: 0, output_tokens: 0 })
    }
}

/// SDXL's size for a `width` × `height` frame: the longer side 1024, each
/// side a multiple of 64 (what its latent grid and training buckets use).
pub fn sdxl_size(width: u32, height: u32) -> (u32, u32) {
    let (width, height) = (f64::from(width.max(1)), f64::from(height.max(1)));
    let scale = f64::from(SDXL_LONG_SIDE) / width.max(height);
    // At most 1024 / 64 = 16 steps, so the casts cannot truncate.
    let side = |length: f64| ((length * scale / 64.0).round().max(1.0) as u32) * 64;
    (side(width), side(height))
}

/// Parses and checks a workflow: API format, every required slot present.
fn parse_workflow(json: &str) -> Result<Value, String> {
    let mut workflow: Value = serde_json::from_str(json).map_err(|e| format!("the workflow is not JSON: {e}"))?;
    // A saved `/prompt` request body holds the graph under "prompt"; accept it as is.
    if let Some(inner) = workflow.get("prompt").filter(|p| p.is_object() && p.get("class_type").is_none()) {
        workflow = inner.clone();
    }
    let Some(nodes) = workflow.as_object() else {
        return Err("the workflow is not a JSON object of nodes (ComfyUI's API format)".into());
    };
    if nodes.contains_key("nodes") && nodes.contains_key("links") {
        return Err("the workflow is in ComfyUI's UI format; save it with \"Export (API)\" instead".into());
    }
    if nodes.is_empty() {
        return Err("the workflow has no nodes".into());
    }
    for (id, node) in nodes {
        let has_class = node.get("class_type").is_some_and(Value::is_string);
        let has_inputs = node.get("inputs").is_some_and(Value::is_object);
        if !has_class || !has_inputs {
            return Err(format!(
                "node {id} has no class_type and inputs: the workflow must be in ComfyUI's API format (\"Export (API)\")"
            ));
        }
    }
    for slot in REQUIRED_SLOTS {
        if !mentions(&workflow, slot) {
            return Err(format!("the workflow has no {slot} slot: put the string \"{slot}\" in the input it fills"));
        }
    }
    Ok(workflow)
}

/// Whether any string in `value` contains `placeholder`.
fn mentions(value: &Value, placeholder: &str) -> bool {
    match value {
        Value::String(s) => s.contains(placeholder),
        Value::Array(items) => items.iter().any(|v| mentions(v, placeholder)),
        Value::Object(map) => map.values().any(|v| mentions(v, placeholder)),
        _ => false,
    }
}

/// The values for one image.
struct Slots<'a> {
    prompt: &'a str,
    negative: &'a str,
    seed: u64,
    width: u32,
    height: u32,
    /// The uploaded reference image's name, for a reference workflow.
    reference: Option<&'a str>,
}

impl Slots<'_> {
    /// The JSON value for a whole-string slot: numbers stay numbers, since
    /// ComfyUI's validation rejects `"1024"` for an INT input.
    fn value(&self, name: &str) -> Option<Value> {
        Some(match name {
            "prompt" => Value::from(self.prompt),
            "negative" => Value::from(self.negative),
            "seed" => Value::from(self.seed),
            "width" => Value::from(self.width),
            "height" => Value::from(self.height),
            "reference" => Value::from(self.reference?),
            _ => return None,
        })
    }

    /// The text for a slot inside a longer string (`"manga_{{seed}}"`).
    fn text(&self, name: &str) -> Option<String> {
        self.value(name).map(|v| match v {
            Value::String(s) => s,
            other => other.to_string(),
        })
    }
}

/// `template` with its slots filled in.
fn fill(template: &Value, slots: &Slots<'_>) -> Value {
    match template {
        Value::String(s) => {
            let whole = s.strip_prefix("{{").and_then(|rest| rest.strip_suffix("}}"));
            match whole.and_then(|name| slots.value(name)) {
                Some(value) => value,
                None => Value::String(substitute(s, slots)),
            }
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| fill(v, slots)).collect()),
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), fill(v, slots))).collect()),
        other => other.clone(),
    }
}

/// Replaces every known `{{slot}}` in `text` in one pass, so a prompt that
/// itself says `{{negative}}` is not substituted again.
fn substitute(text: &str, slots: &Slots<'_>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let slot = after.find("}}").and_then(|end| slots.text(&after[..end]).map(|t| (end, t)));
        match slot {
            Some((end, value)) => {
                out.push_str(&value);
                rest = &after[end + 2..];
            }
            None => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Why `/prompt` refused the workflow, when it did despite a 2xx: an
/// `error`, or `node_errors` that are not empty.
fn refusal(answer: &Value) -> Option<String> {
    let mut reasons = Vec::new();
    if let Some(error) = answer.get("error").filter(|e| !e.is_null()) {
        let message = error.get("message").and_then(Value::as_str).or_else(|| error.as_str());
        reasons.push(message.map_or_else(|| error.to_string(), str::to_owned));
    }
    if let Some(nodes) = answer.get("node_errors").and_then(Value::as_object) {
        reasons.extend(nodes.iter().map(|(id, node)| node_error(id, node)));
    }
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

/// One node's validation errors: `node 6 (CLIPTextEncode): Required input is missing: clip`.
fn node_error(id: &str, node: &Value) -> String {
    let class = node.get("class_type").and_then(Value::as_str).unwrap_or("unknown node");
    let errors = node.get("errors").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
    let said: Vec<String> = errors
        .iter()
        .map(|e| {
            let message = e.get("message").and_then(Value::as_str).unwrap_or("invalid");
            match e.get("details").and_then(Value::as_str).filter(|d| !d.is_empty()) {
                Some(details) => format!("{message}: {details}"),
                None => message.to_owned(),
            }
        })
        .collect();
    let said = if said.is_empty() { "invalid".to_owned() } else { said.join(", ") };
    format!("node {id} ({class}): {said}")
}

/// An image ComfyUI saved, as `/view` wants it named.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ImageRef {
    filename: String,
    subfolder: String,
    /// `output` for SaveImage, `temp` for PreviewImage.
    kind: String,
}

/// How far a prompt has got, by its history.
#[derive(Debug, PartialEq, Eq)]
enum Progress {
    /// Queued or running: the history is still `{}`.
    Pending,
    /// Finished with this image.
    Done(ImageRef),
}

/// Reads a `/history/{id}` answer.
fn progress(history: &Value, prompt_id: &str, provider: &str) -> Result<Progress, AiError> {
    let Some(entry) = history.get(prompt_id) else {
        return Ok(Progress::Pending);
    };
    let status = entry.get("status");
    if status.and_then(|s| s.get("status_str")).and_then(Value::as_str) == Some("error") {
        // The same workflow fails the same way: a refusal, not an outage.
        return Err(AiError::Rejected {
            provider: provider.to_owned(),
            message: format!("ComfyUI failed running the workflow: {}", status_text(status)),
        });
    }
    let Some(outputs) = entry.get("outputs").and_then(Value::as_object) else {
        return Ok(Progress::Pending);
    };
    match first_image(outputs) {
        Some(image) => Ok(Progress::Done(image)),
        None => Err(AiError::Rejected {
            provider: provider.to_owned(),
            message: format!("prompt {prompt_id} finished without an image: the workflow needs a SaveImage node"),
        }),
    }
}

/// The first saved image, preferring `output` files over previews.
fn first_image(outputs: &Map<String, Value>) -> Option<ImageRef> {
    let images: Vec<ImageRef> = outputs
        .values()
        .filter_map(|node| node.get("images").and_then(Value::as_array))
        .flatten()
        .filter_map(|image| {
            let text = |key: &str| image.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
            let filename = text("filename");
            let kind = text("type");
            (!filename.is_empty()).then(|| ImageRef {
                filename,
                subfolder: text("subfolder"),
                kind: if kind.is_empty() { "output".to_owned() } else { kind },
            })
        })
        .collect();
    images.iter().find(|i| i.kind == "output").or_else(|| images.first()).cloned()
}

/// The error messages in a failed prompt's status, else a plain sentence.
fn status_text(status: Option<&Value>) -> String {
    let messages = status.and_then(|s| s.get("messages")).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
    // Each message is `[event, data]`; only errors and interruptions explain a failure.
    let said: Vec<String> = messages
        .iter()
        .filter_map(|m| {
            let event = m.get(0)?.as_str()?;
            let data = m.get(1);
            let field = |key: &str| data.and_then(|d| d.get(key)).and_then(Value::as_str);
            match event {
                "execution_error" => {
                    let node = match (field("node_type"), field("node_id")) {
                        (Some(class), Some(id)) => format!("{class} (node {id}): "),
                        (Some(class), None) => format!("{class}: "),
                        _ => String::new(),
                    };
                    let kind = field("exception_type").map(|t| format!("{t}: ")).unwrap_or_default();
                    Some(format!("{node}{kind}{}", field("exception_message").unwrap_or("an error").trim()))
                }
                "execution_interrupted" => Some("the prompt was interrupted".to_owned()),
                _ => None,
            }
        })
        .collect();
    if said.is_empty() { "no reason given".to_owned() } else { said.join("; ") }
}

/// Percent-encodes everything but RFC 3986's unreserved characters, for query values and path segments.
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots() -> Slots<'static> {
        Slots { prompt: "a cat on a roof", negative: "blurry", seed: 42, width: 768, height: 1024, reference: None }
    }

    #[test]
    fn the_builtin_workflow_parses_and_has_every_slot() {
        let workflow = parse_workflow(BUILTIN_WORKFLOW).unwrap();
        for slot in ["{{prompt}}", "{{negative}}", "{{seed}}", "{{width}}", "{{height}}"] {
            assert!(mentions(&workflow, slot), "{slot}");
        }
        assert_eq!(workflow["4"]["inputs"]["ckpt_name"], "sd_xl_base_1.0.safetensors");
        assert_eq!(workflow["9"]["class_type"], "SaveImage");
        assert_eq!(workflow["9"]["inputs"]["filename_prefix"], "manga");
    }

    #[test]
    fn filling_puts_numbers_as_numbers_and_text_as_text() {
        let workflow = parse_workflow(BUILTIN_WORKFLOW).unwrap();
        let filled = fill(&workflow, &slots());
        assert_eq!(filled["3"]["inputs"]["seed"], json!(42));
        assert_eq!(filled["5"]["inputs"]["width"], json!(768));
        assert_eq!(filled["5"]["inputs"]["height"], json!(1024));
        assert_eq!(filled["6"]["inputs"]["text"], json!("a cat on a roof"));
        assert_eq!(filled["7"]["inputs"]["text"], json!("blurry"));
        // Links and constants are untouched.
        assert_eq!(filled["3"]["inputs"]["model"], json!(["4", 0]));
        assert_eq!(filled["3"]["inputs"]["cfg"], json!(7.0));
        assert!(!filled.to_string().contains("{{"));
    }

    #[test]
    fn slots_inside_longer_strings_are_substituted_once() {
        let template = json!({
            "1": { "class_type": "CLIPTextEncode", "inputs": { "text": "masterpiece, {{prompt}}, {{unknown}}" } },
            "2": { "class_type": "SaveImage", "inputs": { "filename_prefix": "manga_{{seed}}_{{width}}x{{height}}" } },
        });
        let tricky = Slots { prompt: "says {{negative}}", ..slots() };
        let filled = fill(&template, &tricky);
        assert_eq!(filled["1"]["inputs"]["text"], "masterpiece, says {{negative}}, {{unknown}}");
        assert_eq!(filled["2"]["inputs"]["filename_prefix"], "manga_42_768x1024");
        assert_eq!(substitute("{{ {{seed}} }}", &slots()), "{{ 42 }}");
    }

    #[test]
    fn a_missing_slot_is_named() {
        let no_seed = r#"{"6": {"class_type": "CLIPTextEncode", "inputs": {"text": "{{prompt}}"}}}"#;
        let e = parse_workflow(no_seed).unwrap_err();
        assert!(e.contains("{{seed}}"), "{e}");
        let no_prompt = r#"{"3": {"class_type": "KSampler", "inputs": {"seed": "{{seed}}"}}}"#;
        let e = parse_workflow(no_prompt).unwrap_err();
        assert!(e.contains("{{prompt}}"), "{e}");
    }

    #[test]
    fn only_api_format_workflows_are_accepted() {
        assert!(parse_workflow("not json").unwrap_err().contains("not JSON"));
        assert!(parse_workflow("[1, 2]").unwrap_err().contains("API format"));
        assert!(parse_workflow("{}").unwrap_err().contains("no nodes"));
        let ui = r#"{"nodes": [], "links": [], "version": 0.4}"#;
        assert!(parse_workflow(ui).unwrap_err().contains("UI format"));
        let loose = r#"{"3": {"inputs": {"seed": "{{seed}}", "text": "{{prompt}}"}}}"#;
        assert!(parse_workflow(loose).unwrap_err().contains("node 3"));
        // A saved /prompt body is unwrapped.
        let body = format!(r#"{{"prompt": {BUILTIN_WORKFLOW}, "client_id": "x"}}"#);
        assert_eq!(parse_workflow(&body).unwrap(), parse_workflow(BUILTIN_WORKFLOW).unwrap());
    }

    #[test]
    fn sizes_have_a_1024_long_side_in_multiples_of_64() {
        assert_eq!(sdxl_size(1024, 1024), (1024, 1024));
        assert_eq!(sdxl_size(600, 820), (768, 1024));
        assert_eq!(sdxl_size(820, 600), (1024, 768));
        assert_eq!(sdxl_size(1240, 400), (1024, 320));
        assert_eq!(sdxl_size(2000, 1000), (1024, 512));
        assert_eq!(sdxl_size(90, 160), (576, 1024));
        assert_eq!(sdxl_size(5000, 10), (1024, 64));
        assert_eq!(sdxl_size(0, 0), (1024, 1024));
    }

    #[test]
    fn node_errors_in_the_queue_answer_are_a_refusal() {
        assert_eq!(refusal(&json!({"prompt_id": "a", "number": 1, "node_errors": {}})), None);
        let answer = json!({
            "error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation"},
            "node_errors": {"4": {
                "class_type": "CheckpointLoaderSimple",
                "errors": [{"type": "value_not_in_list", "message": "Value not in list", "details": "ckpt_name: 'x' not in []"}],
            }},
        });
        assert_eq!(
            refusal(&answer).unwrap(),
            "Prompt outputs failed validation; node 4 (CheckpointLoaderSimple): Value not in list: ckpt_name: 'x' not in []"
        );
    }

    #[test]
    fn history_is_pending_until_outputs_then_names_the_saved_image() {
        assert_eq!(progress(&json!({}), "p1", "comfyui").unwrap(), Progress::Pending);
        let done = json!({"p1": {
            "outputs": {
                "12": {"images": [{"filename": "preview.png", "subfolder": "", "type": "temp"}]},
                "9": {"images": [{"filename": "manga_00001_.png", "subfolder": "day 1", "type": "output"}]},
            },
            "status": {"status_str": "success", "completed": true, "messages": []},
        }});
        let Progress::Done(image) = progress(&done, "p1", "comfyui").unwrap() else { panic!("not done") };
        assert_eq!(image.filename, "manga_00001_.png");
        assert_eq!(image.subfolder, "day 1");
        assert_eq!(image.kind, "output");
        let empty = json!({"p1": {"outputs": {}, "status": {"status_str": "success", "completed": true}}});
        assert!(matches!(progress(&empty, "p1", "comfyui"), Err(AiError::Rejected { .. })));
    }

    #[test]
    fn a_failed_prompt_is_rejected_with_comfyuis_words() {
        let failed = json!({"p1": {"outputs": {}, "status": {"status_str": "error", "completed": false, "messages": [
            ["execution_start", {"prompt_id": "p1"}],
            ["execution_error", {"node_id": "3", "node_type": "KSampler", "exception_type": "RuntimeError", "exception_message": "CUDA out of memory\n"}],
        ]}}});
        match progress(&failed, "p1", "comfyui") {
            Err(AiError::Rejected { message, .. }) => {
                assert!(message.ends_with("KSampler (node 3): RuntimeError: CUDA out of memory"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let silent = json!({"p1": {"status": {"status_str": "error"}}});
        match progress(&silent, "p1", "comfyui") {
            Err(AiError::Rejected { message, .. }) => assert!(message.ends_with("no reason given"), "{message}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn view_parameters_are_percent_encoded() {
        assert_eq!(encode("manga_00001_.png"), "manga_00001_.png");
        assert_eq!(encode("a b/ç&=?"), "a%20b%2F%C3%A7%26%3D%3F");
        assert_eq!(encode(""), "");
    }
}
