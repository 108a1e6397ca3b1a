//! The HTTP side: routing, request checks, faults, and each provider's answers.

use std::collections::BTreeMap;
use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::answers::{self, TextTask};
use crate::picture::{self, capped, imagen_size, nominal_size};
use crate::{ComfyJob, Endpoint, Fault, Recorded, Shared, Usage};

/// Starts the server on its own thread; returns its URL and handle.
pub(crate) fn spawn(state: Shared) -> std::io::Result<(String, actix_web::dev::ServerHandle)> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let (tx, rx) = std::sync::mpsc::channel::<std::io::Result<actix_web::dev::ServerHandle>>();
    let failed = tx.clone();
    std::thread::Builder::new().name("fake-providers".into()).spawn(move || {
        let system = actix_web::rt::System::new();
        let outcome = system.block_on(async move {
            let server = HttpServer::new(move || {
                App::new()
                    .app_data(web::Data::new(state.clone()))
                    .app_data(web::PayloadConfig::new(64 << 20))
                    .default_service(web::to(handle))
            })
            .workers(2)
            .disable_signals()
            .shutdown_timeout(1)
            .listen(listener)?
            .run();
            // The receiver only goes away if the caller did; then nobody needs the handle.
            let _sent = tx.send(Ok(server.handle()));
            server.await
        });
        if let Err(e) = outcome {
            let _sent = failed.send(Err(e));
        }
    })?;
    let handle = rx.recv().map_err(std::io::Error::other)??;
    Ok((format!("http://127.0.0.1:{port}"), handle))
}

/// Which family's error body and conventions apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Google,
    OpenAi,
    Comfy,
}

/// A request, read.
struct Incoming {
    method: String,
    path: String,
    query: String,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
    json: Option<Value>,
    endpoint: Endpoint,
    family: Family,
    model: Option<String>,
    vertex: bool,
    text: Option<TextTask>,
    host: String,
}

/// What to answer.
struct Outcome {
    status: u16,
    content_type: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    usage: Option<Usage>,
    problem: Option<String>,
}

impl Outcome {
    fn json(status: u16, body: &Value) -> Self {
        Self {
            status,
            content_type: "application/json; charset=utf-8",
            headers: Vec::new(),
            body: body.to_string().into_bytes(),
            usage: None,
            problem: None,
        }
    }

    fn ok(body: &Value) -> Self {
        Self::json(200, body)
    }

    fn with_usage(mut self, usage: Usage) -> Self {
        self.usage = Some(usage);
        self
    }
}

fn classify(method: &str, path: &str) -> (Endpoint, Family, Option<String>, bool) {
    let model_call = |rest: &str, vertex: bool| {
        let (model, call) = rest.rsplit_once(':').unwrap_or((rest, ""));
        let endpoint = match call {
            "generateContent" => Endpoint::GenerateContent,
            "predict" => Endpoint::Predict,
            _ => Endpoint::Other,
        };
        (endpoint, Family::Google, Some(model.to_owned()), vertex)
    };
    if let Some(rest) = path.strip_prefix("/v1beta/models/") {
        return model_call(rest, false);
    }
    if let Some(rest) = path.strip_prefix("/v1/projects/") {
        let parts: Vec<&str> = rest.splitn(6, '/').collect();
        if let [_, "locations", _, "publishers", "google", models] = parts.as_slice()
            && let Some(rest) = models.strip_prefix("models/")
        {
            return model_call(rest, true);
        }
        return (Endpoint::Other, Family::Google, None, true);
    }
    let endpoint = match (method, path) {
        (_, "/v1/chat/completions") => Endpoint::ChatCompletions,
        (_, "/v1/images/generations") => Endpoint::ImageGenerations,
        (_, "/prompt") => Endpoint::ComfyPrompt,
        (_, "/view") => Endpoint::ComfyView,
        (_, "/upload/image") => Endpoint::ComfyUpload,
        (_, "/queue") => Endpoint::ComfyQueue,
        (_, p) if p == "/history" || p.starts_with("/history/") => Endpoint::ComfyHistory,
        _ => Endpoint::Other,
    };
    let family = match endpoint {
        Endpoint::ChatCompletions | Endpoint::ImageGenerations => Family::OpenAi,
        Endpoint::Other => Family::Google,
        _ => Family::Comfy,
    };
    (endpoint, family, None, false)
}

/// `a=1&b=x%20y` as pairs, percent-decoded.
pub(crate) fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex = |c: u8| char::from(c).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push(high * 16 + low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Incoming {
    fn read(req: &HttpRequest, body: &[u8]) -> Self {
        let method = req.method().as_str().to_owned();
        let path = req.path().to_owned();
        let (endpoint, family, model, vertex) = classify(&method, &path);
        let headers: BTreeMap<String, String> = req
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_ascii_lowercase(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let json: Option<Value> = serde_json::from_slice(body).ok();
        let model = model.or_else(|| json.as_ref()?.get("model")?.as_str().map(str::to_owned));
        let is_text = match endpoint {
            Endpoint::ChatCompletions => true,
            Endpoint::GenerateContent => !wants_image(json.as_ref()),
            _ => false,
        };
        let text = json.as_ref().filter(|_| is_text).map(TextTask::from_request);
        let host = headers.get("host").cloned().unwrap_or_else(|| "127.0.0.1".into());
        Self {
            method,
            path,
            query: req.query_string().to_owned(),
            headers,
            body: body.to_vec(),
            json,
            endpoint,
            family,
            model,
            vertex,
            text,
            host,
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    fn body_json(&self) -> &Value {
        self.json.as_ref().unwrap_or(&Value::Null)
    }

    fn model(&self) -> &str {
        self.model.as_deref().unwrap_or("")
    }
}

fn wants_image(json: Option<&Value>) -> bool {
    json.and_then(|j| j.pointer("/generationConfig/responseModalities"))
        .and_then(Value::as_array)
        .is_some_and(|m| m.iter().any(|v| v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("image"))))
}

async fn handle(req: HttpRequest, body: web::Bytes, state: web::Data<Shared>) -> HttpResponse {
    let incoming = Incoming::read(&req, &body);
    let (id, fault, answerer, max_side, latency) = {
        let mut s = state.lock();
        let fault = s.take_fault(incoming.endpoint);
        let id = s.next_id();
        s.requests.push(Recorded {
            id,
            method: incoming.method.clone(),
            path: incoming.path.clone(),
            query: incoming.query.clone(),
            headers: incoming.headers.clone(),
            json: incoming.json.clone(),
            body: incoming.body.clone(),
            at: Instant::now(),
            endpoint: incoming.endpoint,
            model: incoming.model.clone(),
            task: incoming.text.as_ref().map(|t| t.task.clone()),
            fault: fault.clone(),
            status: 0,
            usage: None,
            problem: None,
        });
        let answerer = incoming.text.as_ref().and_then(|t| s.answers.get(&t.task).cloned());
        let image = matches!(incoming.endpoint, Endpoint::Predict | Endpoint::ImageGenerations)
            || incoming.endpoint == Endpoint::GenerateContent && incoming.text.is_none();
        let model_call = image || incoming.text.is_some();
        let latency = s.latency.as_mut().filter(|_| model_call).map(|l| l.draw(image));
        (id, fault, answerer, s.max_side, latency)
    };
    if let Some(latency) = latency {
        actix_web::rt::time::sleep(latency).await;
    }
    let context = Context { id, fault: fault.as_ref(), answerer, max_side, state: &state };
    let outcome = respond(&incoming, &context);
    {
        let mut s = state.lock();
        if let Some(recorded) = s.requests.iter_mut().rev().find(|r| r.id == id) {
            recorded.status = outcome.status;
            recorded.usage = outcome.usage;
            recorded.problem = outcome.problem.clone();
        }
    }
    if let Some(Fault::Timeout(stall)) = &fault {
        actix_web::rt::time::sleep(*stall).await;
    }
    let mut response = HttpResponse::build(StatusCode::from_u16(outcome.status).unwrap_or(StatusCode::OK));
    response.content_type(outcome.content_type);
    for (name, value) in outcome.headers {
        response.insert_header((name, value));
    }
    response.body(outcome.body)
}

struct Context<'a> {
    id: u64,
    fault: Option<&'a Fault>,
    answerer: Option<crate::Answerer>,
    max_side: Option<u32>,
    state: &'a Shared,
}

fn status_name(status: u16) -> &'static str {
    match status {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        405 => "METHOD_NOT_ALLOWED",
        408 | 504 => "DEADLINE_EXCEEDED",
        429 => "RESOURCE_EXHAUSTED",
        500 => "INTERNAL",
        503 => "UNAVAILABLE",
        _ => "UNKNOWN",
    }
}

/// An error in the family's own body.
fn error(family: Family, status: u16, message: &str) -> Outcome {
    let body = match family {
        Family::Google => json!({"error": {"code": status, "message": message, "status": status_name(status)}}),
        Family::OpenAi => {
            let kind = match status {
                429 => "rate_limit_exceeded",
                401 => "authentication_error",
                400 | 404 => "invalid_request_error",
                _ => "server_error",
            };
            json!({"error": {"message": message, "type": kind, "param": null, "code": null}})
        }
        Family::Comfy => {
            json!({"error": {"type": "fake_error", "message": message, "details": "", "extra_info": {}}, "node_errors": {}})
        }
    };
    Outcome::json(status, &body)
}

/// A request the real service would refuse: 400 (or `status`), with the reason kept.
fn refuse(family: Family, status: u16, reason: String) -> Outcome {
    let mut outcome = error(family, status, &reason);
    outcome.problem = Some(reason);
    outcome
}

fn transport_fault(family: Family, fault: &Fault) -> Option<Outcome> {
    let outcome = match fault {
        Fault::RetryAfter(seconds) => {
            let mut o = error(family, 429, "Resource has been exhausted (e.g. check quota).");
            o.headers.push(("retry-after", seconds.to_string()));
            o
        }
        Fault::RetryInfo(seconds) => Outcome::json(
            429,
            &json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
                "message": "You exceeded your current quota, please check your plan and billing details.",
                "details": [
                    {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{"quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests", "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}]},
                    {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": format!("{seconds}s")},
                ]}}),
        ),
        Fault::ServerError => {
            let mut o = error(family, 500, "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting");
            o.headers.push(("retry-after", "0".into()));
            o
        }
        Fault::Unavailable => {
            let mut o = error(family, 503, "The model is overloaded. Please try again later.");
            o.headers.push(("retry-after", "0".into()));
            o
        }
        Fault::Status(status) => error(family, *status, "The fake was told to fail this request."),
        Fault::WrongContentType => Outcome {
            status: 200,
            content_type: "text/html; charset=utf-8",
            headers: Vec::new(),
            body: b"<!DOCTYPE html><html><head><title>Sign in</title></head><body><h1>Please sign in to continue</h1></body></html>".to_vec(),
            usage: None,
            problem: None,
        },
        _ => return None,
    };
    Some(outcome)
}

fn respond(incoming: &Incoming, context: &Context<'_>) -> Outcome {
    if let Some(outcome) = context.fault.and_then(|f| transport_fault(incoming.family, f)) {
        return outcome;
    }
    let expected = match incoming.endpoint {
        Endpoint::ComfyHistory | Endpoint::ComfyView | Endpoint::ComfyQueue => "GET",
        Endpoint::Other => "",
        _ => "POST",
    };
    if incoming.endpoint == Endpoint::Other {
        return refuse(incoming.family, 404, format!("no such endpoint: {} {}", incoming.method, incoming.path));
    }
    if incoming.method != expected {
        return refuse(incoming.family, 405, format!("{} takes {expected}, not {}", incoming.path, incoming.method));
    }
    if incoming.family == Family::Google
        && let Err(reason) = google_auth(incoming)
    {
        let status = if incoming.vertex { 401 } else { 403 };
        return refuse(Family::Google, status, reason);
    }
    if incoming.family == Family::OpenAi
        && let Some(auth) = incoming.header("authorization")
        && auth.strip_prefix("Bearer ").is_none_or(|t| t.trim().is_empty())
    {
        return refuse(Family::OpenAi, 401, format!("the Authorization header is not `Bearer <key>`: {auth:?}"));
    }
    let needs_json = !matches!(
        incoming.endpoint,
        Endpoint::ComfyHistory | Endpoint::ComfyView | Endpoint::ComfyUpload | Endpoint::ComfyQueue
    );
    if needs_json && !incoming.json.as_ref().is_some_and(Value::is_object) {
        return refuse(incoming.family, 400, "the body is not a JSON object".into());
    }
    if needs_json && !incoming.header("content-type").is_some_and(|t| t.starts_with("application/json")) {
        return refuse(incoming.family, 400, "the content type is not application/json".into());
    }
    let result = match incoming.endpoint {
        Endpoint::GenerateContent if incoming.text.is_some() => gemini_text(incoming, context),
        Endpoint::GenerateContent => gemini_image(incoming, context),
        Endpoint::Predict => imagen(incoming, context),
        Endpoint::ChatCompletions => openai_chat(incoming, context),
        Endpoint::ImageGenerations => openai_images(incoming, context),
        Endpoint::ComfyPrompt => comfy_prompt(incoming, context),
        Endpoint::ComfyHistory => comfy_history(incoming, context),
        Endpoint::ComfyView => comfy_view(incoming, context),
        Endpoint::ComfyUpload => comfy_upload(incoming, context),
        Endpoint::ComfyQueue => Ok(comfy_queue(context)),
        Endpoint::Other => Err("no such endpoint".into()),
    };
    result.unwrap_or_else(|reason| refuse(incoming.family, 400, reason))
}

fn google_auth(incoming: &Incoming) -> Result<(), String> {
    if incoming.vertex {
        match incoming.header("authorization").and_then(|a| a.strip_prefix("Bearer ")) {
            Some(token) if !token.trim().is_empty() => Ok(()),
            _ => Err("Request is missing required authentication credential. Expected OAuth 2 access token.".into()),
        }
    } else {
        let key = incoming
            .header("x-goog-api-key")
            .map(str::to_owned)
            .or_else(|| query_pairs(&incoming.query).into_iter().find(|(k, _)| k == "key").map(|(_, v)| v));
        match key {
            Some(key) if !key.trim().is_empty() => Ok(()),
            _ => Err("Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.".into()),
        }
    }
}

/// The answer to a text task: a scripted one, else the fake's own.
fn text_answer(task: &TextTask, context: &Context<'_>) -> Value {
    match &context.answerer {
        Some(answer) => answer(task),
        None => task.default_answer(),
    }
}

/// The JSON text to send, with the shape faults applied. Returns the text and whether it was cut.
fn answer_text(task: &TextTask, context: &Context<'_>) -> (String, bool) {
    let answer = text_answer(task, context);
    match context.fault {
        Some(Fault::SchemaViolation) => (answers::violate(&answer, &task.schema).to_string(), false),
        Some(Fault::Truncated) => (answers::truncate(&answer.to_string()), true),
        _ => (answer.to_string(), false),
    }
}

const GEMINI_TYPES: [&str; 6] = ["STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT"];
const GEMINI_SCHEMA_KEYS: [&str; 21] = [
    "type",
    "format",
    "title",
    "description",
    "nullable",
    "enum",
    "maxItems",
    "minItems",
    "properties",
    "required",
    "minProperties",
    "maxProperties",
    "minLength",
    "maxLength",
    "pattern",
    "example",
    "anyOf",
    "propertyOrdering",
    "default",
    "items",
    "minimum",
];

/// Gemini's `responseSchema` is an OpenAPI subset: unknown fields are refused, as the API does.
fn check_gemini_schema(schema: &Value, at: &str) -> Result<(), String> {
    let Some(map) = schema.as_object() else { return Err(format!("{at}: a schema must be an object")) };
    for (key, value) in map {
        if !GEMINI_SCHEMA_KEYS.contains(&key.as_str()) && key != "maximum" {
            return Err(format!("Invalid JSON payload received. Unknown name \"{key}\" at '{at}': Cannot find field."));
        }
        match key.as_str() {
            "type" => {
                let ok = value.as_str().is_some_and(|t| GEMINI_TYPES.contains(&t.to_uppercase().as_str()));
                if !ok {
                    return Err(format!("Invalid value at '{at}.type': {value}"));
                }
            }
            "properties" => {
                let Some(properties) = value.as_object() else { return Err(format!("{at}.properties: not an object")) };
                for (name, property) in properties {
                    check_gemini_schema(property, &format!("{at}.properties[{name}].value"))?;
                }
            }
            "items" => check_gemini_schema(value, &format!("{at}.items"))?,
            "anyOf" => {
                for (i, option) in value.as_array().into_iter().flatten().enumerate() {
                    check_gemini_schema(option, &format!("{at}.any_of[{i}]"))?;
                }
            }
            "enum" if !value.as_array().is_some_and(|v| v.iter().all(Value::is_string)) => {
                return Err(format!("{at}.enum: only strings are allowed"));
            }
            _ => {}
        }
    }
    if let Some(required) = map.get("required").and_then(Value::as_array) {
        let properties = map.get("properties").and_then(Value::as_object);
        for name in required.iter().filter_map(Value::as_str) {
            if !properties.is_some_and(|p| p.contains_key(name)) {
                return Err(format!("{at}.required[{name}]: property is not defined"));
            }
        }
    }
    Ok(())
}

fn check_contents(body: &Value) -> Result<(), String> {
    let contents = body.get("contents").and_then(Value::as_array).filter(|c| !c.is_empty());
    let Some(contents) = contents else {
        return Err("* GenerateContentRequest.contents: contents is not specified".into());
    };
    for (i, content) in contents.iter().enumerate() {
        let parts = content.get("parts").and_then(Value::as_array).filter(|p| !p.is_empty());
        let Some(parts) = parts else {
            return Err(format!("* GenerateContentRequest.contents[{i}].parts: contents.parts must not be empty."));
        };
        if let Some(role) = content.get("role").and_then(Value::as_str)
            && !matches!(role, "user" | "model")
        {
            return Err(format!("Please use a valid role: user, model. (contents[{i}].role {role:?})"));
        }
        for (j, part) in parts.iter().enumerate() {
            if let Some(data) = part.get("inlineData") {
                let mime = data.get("mimeType").and_then(Value::as_str).unwrap_or("");
                let decodes = data.get("data").and_then(Value::as_str).is_some_and(|d| STANDARD.decode(d).is_ok());
                if mime.is_empty() || !decodes {
                    return Err(format!("contents[{i}].parts[{j}].inlineData: needs a mimeType and base64 data"));
                }
            } else if !part.get("text").is_some_and(Value::is_string) {
                return Err(format!("contents[{i}].parts[{j}]: a part needs text or inlineData"));
            }
        }
    }
    if let Some(system) = body.get("systemInstruction") {
        let ok = system
            .get("parts")
            .and_then(Value::as_array)
            .is_some_and(|p| !p.is_empty() && p.iter().all(|p| p.get("text").is_some_and(Value::is_string)));
        if !ok {
            return Err("systemInstruction: text parts only".into());
        }
    }
    Ok(())
}

fn safety_ratings(blocked: Option<&str>) -> Value {
    let categories = [
        "HARM_CATEGORY_HATE_SPEECH",
        "HARM_CATEGORY_DANGEROUS_CONTENT",
        "HARM_CATEGORY_HARASSMENT",
        "HARM_CATEGORY_SEXUALLY_EXPLICIT",
    ];
    Value::Array(
        categories
            .iter()
            .map(|c| match blocked {
                Some(b) if *c == b => json!({"category": c, "probability": "HIGH", "blocked": true}),
                _ => json!({"category": c, "probability": "NEGLIGIBLE"}),
            })
            .collect(),
    )
}

fn gemini_usage(usage: Usage) -> Value {
    let mut value = json!({
        "promptTokenCount": usage.input_tokens,
        "candidatesTokenCount": usage.output_tokens,
        "totalTokenCount": usage.input_tokens + usage.output_tokens + usage.thoughts_tokens,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": usage.input_tokens}],
    });
    if usage.thoughts_tokens > 0 {
        value["thoughtsTokenCount"] = json!(usage.thoughts_tokens);
    }
    if usage.output_tokens == 0 {
        value.as_object_mut().map(|m| m.remove("candidatesTokenCount"));
    }
    value
}

fn gemini_reply(incoming: &Incoming, context: &Context<'_>, mut reply: Value, usage: Usage) -> Outcome {
    reply["usageMetadata"] = gemini_usage(usage);
    reply["modelVersion"] = json!(incoming.model());
    reply["responseId"] = json!(format!("fake-{}", context.id));
    if incoming.vertex {
        reply["createTime"] = json!("2026-01-01T00:00:00.000000Z");
    }
    Outcome::ok(&reply).with_usage(usage)
}

fn gemini_text(incoming: &Incoming, context: &Context<'_>) -> Result<Outcome, String> {
    let body = incoming.body_json();
    check_contents(body)?;
    let config = body.get("generationConfig").cloned().unwrap_or(Value::Null);
    let mime = config.get("responseMimeType").and_then(Value::as_str);
    if let Some(schema) = config.get("responseSchema") {
        if !matches!(mime, Some("application/json" | "text/x.enum")) {
            return Err(format!(
                "* GenerationConfig.response_mime_type: must be application/json or text/x.enum when response_schema is set, got {mime:?}"
            ));
        }
        check_gemini_schema(schema, "generation_config.response_schema")?;
    }
    if let Some(t) = config.get("temperature")
        && !t.as_f64().is_some_and(|t| (0.0..=2.0).contains(&t))
    {
        return Err(format!("generation_config.temperature: {t} is not within 0 to 2"));
    }
    let task = incoming.text.as_ref().ok_or("not a text request")?;
    let input = answers::tokens(&task.system) + answers::tokens(&task.user);
    let thinking = incoming.model().starts_with("gemini-2.5") || incoming.model().starts_with("gemini-3");
    let blocked = |usage: Usage, reply: Value| Ok(gemini_reply(incoming, context, reply, usage));
    let prompt_only = Usage { input_tokens: input, ..Usage::default() };
    match context.fault {
        Some(Fault::Blocked) => {
            return blocked(
                prompt_only,
                json!({"promptFeedback": {"blockReason": "SAFETY", "safetyRatings": safety_ratings(Some("HARM_CATEGORY_DANGEROUS_CONTENT"))}}),
            );
        }
        Some(Fault::Safety) => {
            return blocked(
                prompt_only,
                json!({"candidates": [{"finishReason": "SAFETY", "index": 0, "safetyRatings": safety_ratings(Some("HARM_CATEGORY_HARASSMENT"))}]}),
            );
        }
        Some(Fault::Empty) => return blocked(prompt_only, json!({"candidates": []})),
        _ => {}
    }
    let (text, cut) = if mime == Some("application/json") || !task.schema.is_null() {
        answer_text(task, context)
    } else {
        ("This is the fake model's answer.".to_owned(), false)
    };
    let output = answers::tokens(&text);
    let usage = Usage {
        input_tokens: input,
        output_tokens: output,
        thoughts_tokens: if thinking { output / 4 + 8 } else { 0 },
    };
    let reply = json!({"candidates": [{
        "content": {"role": "model", "parts": [{"text": text}]},
        "finishReason": if cut { "MAX_TOKENS" } else { "STOP" },
        "index": 0,
        "safetyRatings": safety_ratings(None),
    }]});
    Ok(gemini_reply(incoming, context, reply, usage))
}

const GEMINI_RATIOS: [&str; 10] = ["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"];

fn gemini_image(incoming: &Incoming, context: &Context<'_>) -> Result<Outcome, String> {
    let body = incoming.body_json();
    check_contents(body)?;
    let aspect = body.pointer("/generationConfig/imageConfig/aspectRatio").and_then(Value::as_str).unwrap_or("1:1");
    if !GEMINI_RATIOS.contains(&aspect) {
        return Err(format!("generation_config.image_config.aspect_ratio: {aspect:?} is not supported"));
    }
    let (system, user) = answers::prompt_parts(body);
    if user.trim().is_empty() {
        return Err("the image prompt has no text".into());
    }
    let references = body
        .pointer("/contents/0/parts")
        .and_then(Value::as_array)
        .map_or(0, |parts| parts.iter().filter(|p| p.get("inlineData").is_some()).count() as u64);
    let input = answers::tokens(&system) + answers::tokens(&user) + 258 * references;
    let prompt_only = Usage { input_tokens: input, ..Usage::default() };
    let reply = match context.fault {
        Some(Fault::Blocked) => {
            json!({"promptFeedback": {"blockReason": "PROHIBITED_CONTENT", "safetyRatings": safety_ratings(None)}})
        }
        Some(Fault::Safety) => json!({"candidates": [{"finishReason": "IMAGE_SAFETY", "index": 0}]}),
        Some(Fault::Filtered) => json!({"candidates": [{
            "content": {"role": "model", "parts": [{"text": "I can't create that image. Try a different description."}]},
            "finishReason": "STOP", "index": 0}]}),
        Some(Fault::Empty) => json!({"candidates": []}),
        _ => {
            let (width, height) = capped(nominal_size(aspect), context.max_side);
            let data = STANDARD.encode(picture::png(width, height));
            let usage = Usage { input_tokens: input, output_tokens: 1290, thoughts_tokens: 0 };
            let reply = json!({"candidates": [{
                "content": {"role": "model", "parts": [
                    {"text": "Here is the picture."},
                    {"inlineData": {"mimeType": "image/png", "data": data}},
                ]},
                "finishReason": "STOP", "index": 0,
            }]});
            return Ok(gemini_reply(incoming, context, reply, usage));
        }
    };
    Ok(gemini_reply(incoming, context, reply, prompt_only))
}

const IMAGEN_RATIOS: [&str; 5] = ["1:1", "3:4", "4:3", "9:16", "16:9"];

fn imagen(incoming: &Incoming, context: &Context<'_>) -> Result<Outcome, String> {
    let body = incoming.body_json();
    let model = incoming.model();
    let prompt = body.pointer("/instances/0/prompt").and_then(Value::as_str).unwrap_or("");
    if prompt.trim().is_empty() {
        return Err("instances[0].prompt: a prompt is required".into());
    }
    let parameters = body.get("parameters").cloned().unwrap_or(json!({}));
    let samples = match parameters.get("sampleCount") {
        None => 1,
        Some(n) => {
            n.as_u64().filter(|n| (1..=4).contains(n)).ok_or(format!("parameters.sampleCount: {n} is not 1 to 4"))?
        }
    };
    let aspect = parameters.get("aspectRatio").and_then(Value::as_str).unwrap_or("1:1");
    if !IMAGEN_RATIOS.contains(&aspect) {
        return Err(format!("parameters.aspectRatio: {aspect:?} is not one of {}", IMAGEN_RATIOS.join(", ")));
    }
    let watermark = parameters.get("addWatermark").and_then(Value::as_bool).unwrap_or(true);
    if parameters.get("seed").is_some() {
        if watermark {
            return Err("Image generation failed: seed is not supported when addWatermark is true".into());
        }
        if parameters.get("seed").and_then(Value::as_u64).is_none_or(|s| s > u64::from(u32::MAX)) {
            return Err("parameters.seed: must be a uint32".into());
        }
    }
    let older = model.starts_with("imagegeneration") || model == "imagen-3.0-generate-001";
    if parameters.get("negativePrompt").is_some() && !older {
        return Err(format!("parameters.negativePrompt: negative prompts are not supported by {model}"));
    }
    if let Some(person) = parameters.get("personGeneration")
        && !person.as_str().is_some_and(|p| matches!(p, "dont_allow" | "allow_adult" | "allow_all"))
    {
        return Err(format!("parameters.personGeneration: {person} is not dont_allow, allow_adult or allow_all"));
    }
    if let Some(mime) = parameters.pointer("/outputOptions/mimeType")
        && !mime.as_str().is_some_and(|m| matches!(m, "image/png" | "image/jpeg"))
    {
        return Err(format!("parameters.outputOptions.mimeType: {mime} is not image/png or image/jpeg"));
    }
    let rai = parameters.get("includeRaiReason").and_then(Value::as_bool).unwrap_or(false);
    let reply = match context.fault {
        Some(Fault::Filtered | Fault::Safety | Fault::Blocked) if rai => json!({"predictions": [{
            "raiFilteredReason": "Your current safety filter threshold filtered out the generated image. Try rephrasing your prompt. Support codes: 58061214"
        }]}),
        Some(Fault::Filtered | Fault::Safety | Fault::Blocked | Fault::Empty) => json!({}),
        _ => {
            let (width, height) = capped(imagen_size(aspect), context.max_side);
            let data = STANDARD.encode(picture::png(width, height));
            let predictions: Vec<Value> =
                (0..samples).map(|_| json!({"bytesBase64Encoded": data, "mimeType": "image/png"})).collect();
            json!({"predictions": predictions, "deploymentResolvedModel": model})
        }
    };
    Ok(Outcome::ok(&reply))
}

/// OpenAI's strict mode: every object closed and every property required.
fn check_strict(schema: &Value, at: &str) -> Result<(), String> {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Object(properties)) = map.get("properties") {
                if map.get("additionalProperties") != Some(&Value::Bool(false)) {
                    return Err(format!(
                        "Invalid schema for response_format: In context=({at}), 'additionalProperties' is required to be supplied and to be false."
                    ));
                }
                let required: Vec<&str> = map
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                for name in properties.keys() {
                    if !required.contains(&name.as_str()) {
                        return Err(format!(
                            "Invalid schema for response_format: In context=({at}), 'required' is required to be supplied and to be an array including every key in properties. Missing '{name}'."
                        ));
                    }
                }
            }
            for (key, value) in map {
                check_strict(value, &format!("{at}, '{key}'"))?;
            }
            Ok(())
        }
        Value::Array(items) => items.iter().try_for_each(|v| check_strict(v, at)),
        _ => Ok(()),
    }
}

fn openai_chat(incoming: &Incoming, context: &Context<'_>) -> Result<Outcome, String> {
    let body = incoming.body_json();
    if incoming.model().is_empty() {
        return Err("you must provide a model parameter".into());
    }
    let messages = body.get("messages").and_then(Value::as_array).filter(|m| !m.is_empty());
    let Some(messages) = messages else { return Err("'messages' must be a non-empty array".into()) };
    for (i, message) in messages.iter().enumerate() {
        let role = message.get("role").and_then(Value::as_str).unwrap_or("");
        if !matches!(role, "system" | "developer" | "user" | "assistant" | "tool") {
            return Err(format!("messages[{i}].role: {role:?} is not a role"));
        }
        if !message.get("content").is_some_and(|c| c.is_string() || c.is_array()) {
            return Err(format!("messages[{i}].content: missing"));
        }
    }
    if let Some(t) = body.get("temperature")
        && !t.as_f64().is_some_and(|t| (0.0..=2.0).contains(&t))
    {
        return Err(format!("temperature: {t} is not within 0 to 2"));
    }
    let format = body.get("response_format");
    let json_mode = match format.and_then(|f| f.get("type")).and_then(Value::as_str) {
        None | Some("text") => false,
        Some("json_object") => true,
        Some("json_schema") => {
            let spec = body.pointer("/response_format/json_schema").ok_or("response_format.json_schema: missing")?;
            let name = spec.get("name").and_then(Value::as_str).unwrap_or("");
            let valid_name = !name.is_empty()
                && name.len() <= 64
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !valid_name {
                return Err(format!("response_format.json_schema.name: {name:?} must match ^[a-zA-Z0-9_-]{{1,64}}$"));
            }
            let schema =
                spec.get("schema").filter(|s| s.is_object()).ok_or("response_format.json_schema.schema: missing")?;
            if spec.get("strict").and_then(Value::as_bool) == Some(true) {
                if schema.get("type").and_then(Value::as_str) != Some("object") {
                    return Err("Invalid schema for response_format: the root must be an object".into());
                }
                check_strict(schema, "root")?;
            }
            true
        }
        Some(other) => return Err(format!("response_format.type: {other:?} is not text, json_object or json_schema")),
    };
    let task = incoming.text.as_ref().ok_or("not a text request")?;
    let input = answers::tokens(&task.system) + answers::tokens(&task.user);
    let (message, finish, output) = match context.fault {
        Some(Fault::Blocked) => {
            let refusal = "I'm sorry, but I can't help with that request.";
            (json!({"role": "assistant", "content": null, "refusal": refusal}), "stop", answers::tokens(refusal))
        }
        Some(Fault::Safety) => (json!({"role": "assistant", "content": null, "refusal": null}), "content_filter", 0),
        Some(Fault::Empty) => {
            let reply = chat_reply(incoming, context, Vec::new(), input, 0);
            return Ok(Outcome::ok(&reply).with_usage(Usage { input_tokens: input, ..Usage::default() }));
        }
        _ => {
            let (text, cut) = if json_mode {
                answer_text(task, context)
            } else {
                ("This is the fake model's answer.".to_owned(), false)
            };
            let output = answers::tokens(&text);
            (
                json!({"role": "assistant", "content": text, "refusal": null}),
                if cut { "length" } else { "stop" },
                output,
            )
        }
    };
    let choice = json!({"index": 0, "message": message, "logprobs": null, "finish_reason": finish});
    let reply = chat_reply(incoming, context, vec![choice], input, output);
    Ok(Outcome::ok(&reply).with_usage(Usage { input_tokens: input, output_tokens: output, thoughts_tokens: 0 }))
}

fn chat_reply(incoming: &Incoming, context: &Context<'_>, choices: Vec<Value>, input: u64, output: u64) -> Value {
    json!({
        "id": format!("chatcmpl-fake{}", context.id),
        "object": "chat.completion",
        "created": 1_767_225_600u64 + context.id,
        "model": incoming.model(),
        "choices": choices,
        "usage": {"prompt_tokens": input, "completion_tokens": output, "total_tokens": input + output,
                  "prompt_tokens_details": {"cached_tokens": 0}, "completion_tokens_details": {"reasoning_tokens": 0}},
        "system_fingerprint": "fp_fake",
    })
}

fn openai_images(incoming: &Incoming, context: &Context<'_>) -> Result<Outcome, String> {
    let body = incoming.body_json();
    let model = body.get("model").and_then(Value::as_str).unwrap_or("dall-e-2");
    let prompt = body.get("prompt").and_then(Value::as_str).unwrap_or("");
    if prompt.trim().is_empty() {
        return Err("'prompt' is required".into());
    }
    let gpt_image = model.starts_with("gpt-image");
    let n = body.get("n").map_or(Some(1), Value::as_u64).ok_or("'n' must be an integer")?;
    let max_n = if model.starts_with("dall-e-3") { 1 } else { 10 };
    if !(1..=max_n).contains(&n) {
        return Err(format!("'n': {n} is not 1 to {max_n} for {model}"));
    }
    let sizes: &[&str] = if gpt_image {
        &["1024x1024", "1536x1024", "1024x1536", "auto"]
    } else if model.starts_with("dall-e-3") {
        &["1024x1024", "1792x1024", "1024x1792"]
    } else {
        &["256x256", "512x512", "1024x1024"]
    };
    let size = body.get("size").and_then(Value::as_str).unwrap_or(if gpt_image { "auto" } else { "1024x1024" });
    if !sizes.contains(&size) {
        return Err(format!("Invalid value: '{size}'. Supported values are: {}.", sizes.join(", ")));
    }
    let format = body.get("response_format").and_then(Value::as_str);
    if gpt_image && body.get("response_format").is_some() {
        return Err("Unknown parameter: 'response_format'.".into());
    }
    if let Some(format) = format
        && !matches!(format, "url" | "b64_json")
    {
        return Err(format!("'response_format': {format:?} is not url or b64_json"));
    }
    match context.fault {
        Some(Fault::Filtered | Fault::Safety | Fault::Blocked) => {
            return Ok(Outcome::json(
                400,
                &json!({"error": {"code": "content_policy_violation", "param": null, "type": "invalid_request_error",
                    "message": "Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system."}}),
            ));
        }
        Some(Fault::Empty) => return Ok(Outcome::ok(&json!({"created": 1_767_225_600u64, "data": []}))),
        _ => {}
    }
    let (width, height) = size
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)))
        .unwrap_or((1024, 1024));
    let (width, height) = capped((width, height), context.max_side);
    let b64 = gpt_image || format == Some("b64_json");
    let data = if b64 { STANDARD.encode(picture::png(width, height)) } else { String::new() };
    let items: Vec<Value> = (0..n)
        .map(|i| {
            let mut item = if b64 {
                json!({"b64_json": data})
            } else {
                json!({"url": format!("http://{}/v1/files/fake-{}-{i}.png", incoming.host, context.id)})
            };
            if model.starts_with("dall-e-3") {
                item["revised_prompt"] = json!(prompt);
            }
            item
        })
        .collect();
    let mut reply = json!({"created": 1_767_225_600u64 + context.id, "data": items});
    if gpt_image {
        let input = answers::tokens(prompt);
        reply["usage"] = json!({"input_tokens": input, "output_tokens": 1056, "total_tokens": input + 1056,
            "input_tokens_details": {"text_tokens": input, "image_tokens": 0}});
        return Ok(Outcome::ok(&reply).with_usage(Usage {
            input_tokens: input,
            output_tokens: 1056,
            thoughts_tokens: 0,
        }));
    }
    Ok(Outcome::ok(&reply))
}

const INT_INPUTS: [&str; 6] = ["seed", "noise_seed", "width", "height", "steps", "batch_size"];

fn comfy_prompt(incoming: &Incoming, context: &Context<'_>) -> Result<Outcome, String> {
    let body = incoming.body_json();
    let Some(nodes) = body.get("prompt").and_then(Value::as_object) else {
        return Err("the body has no \"prompt\" object of nodes".into());
    };
    let mut node_errors = serde_json::Map::new();
    let mut output_node = None;
    let mut size = None;
    let mut prefix = "ComfyUI".to_owned();
    for (id, node) in nodes {
        let class = node.get("class_type").and_then(Value::as_str);
        let inputs = node.get("inputs").and_then(Value::as_object);
        let (Some(class), Some(inputs)) = (class, inputs) else {
            return Err(format!("node {id} has no class_type and inputs (is the workflow in API format?)"));
        };
        if matches!(class, "SaveImage" | "PreviewImage") && output_node.is_none() {
            output_node = Some(id.clone());
            if let Some(p) = inputs.get("filename_prefix").and_then(Value::as_str) {
                p.clone_into(&mut prefix);
            }
        }
        let mut errors = Vec::new();
        for name in INT_INPUTS {
            if let Some(value) = inputs.get(name)
                && !value.is_array()
                && !value.is_u64()
            {
                errors.push(json!({"type": "invalid_input_type", "message": "Failed to convert an input value to a INT value",
                    "details": format!("{name}, {value}, invalid literal for int()"), "extra_info": {"input_name": name}}));
            }
        }
        for (name, value) in inputs {
            if value.as_str().is_some_and(|s| s.contains("{{") && s.contains("}}")) {
                errors.push(json!({"type": "unfilled_slot", "message": "The workflow still has a {{slot}}",
                    "details": format!("{name}: {value}"), "extra_info": {"input_name": name}}));
            }
        }
        if class == "LoadImage"
            && let Some(image) = inputs.get("image").and_then(Value::as_str)
            && !context.state.lock().comfy_uploads.contains_key(image.trim_end_matches(" [input]"))
        {
            // ComfyUI's LoadImage validates that the file is in its input folder.
            errors.push(json!({"type": "custom_validation_failed", "message": "Custom validation failed for node",
                "details": format!("image - Invalid image file: {image}"), "extra_info": {"input_name": "image"}}));
        }
        if let (Some(w), Some(h)) =
            (inputs.get("width").and_then(Value::as_u64), inputs.get("height").and_then(Value::as_u64))
        {
            size = Some((w as u32, h as u32));
        }
        if !errors.is_empty() {
            node_errors.insert(id.clone(), json!({"errors": errors, "dependent_outputs": [], "class_type": class}));
        }
    }
    let Some(output_node) = output_node else {
        let mut outcome = Outcome::json(
            400,
            &json!({"error": {"type": "prompt_no_outputs", "message": "Prompt has no outputs", "details": "", "extra_info": {}}, "node_errors": {}}),
        );
        outcome.problem = Some("the workflow has no SaveImage or PreviewImage node".into());
        return Ok(outcome);
    };
    if !node_errors.is_empty() {
        let mut outcome = Outcome::json(
            400,
            &json!({"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": "", "extra_info": {}},
                    "node_errors": node_errors}),
        );
        outcome.problem = Some(format!("ComfyUI would not validate the workflow: {}", Value::Object(node_errors)));
        return Ok(outcome);
    }
    let (width, height) = size.unwrap_or((1024, 1024));
    let mut state = context.state.lock();
    let number = state.comfy_jobs.len() as u64;
    // ComfyUI keeps a client's own prompt_id, else makes one.
    let prompt_id = match body.get("prompt_id").and_then(Value::as_str) {
        Some(id) => id.to_owned(),
        None => format!("00000000-0000-4000-8000-{:012x}", context.id),
    };
    state.comfy_queued += 1;
    let filename = format!("{prefix}_{:05}_.png", number + 1);
    let fault =
        context.fault.filter(|f| matches!(f, Fault::Safety | Fault::Filtered | Fault::Blocked | Fault::Empty)).cloned();
    state.comfy_jobs.insert(
        prompt_id.clone(),
        ComfyJob {
            polls: 0,
            done: false,
            number,
            workflow: body["prompt"].clone(),
            output_node,
            filename,
            width,
            height,
            fault,
        },
    );
    Ok(Outcome::ok(&json!({"prompt_id": prompt_id, "number": number, "node_errors": {}})))
}

fn comfy_history(incoming: &Incoming, context: &Context<'_>) -> Result<Outcome, String> {
    let Some(prompt_id) = incoming.path.strip_prefix("/history/").map(str::to_owned) else {
        return Ok(Outcome::ok(&json!({})));
    };
    let mut state = context.state.lock();
    let pending = state.comfy_pending;
    let Some(job) = state.comfy_jobs.get_mut(&prompt_id) else { return Ok(Outcome::ok(&json!({}))) };
    let done = pending.is_some_and(|p| job.polls >= p);
    job.polls += 1;
    if !done {
        return Ok(Outcome::ok(&json!({})));
    }
    job.done = true;
    let node = job.output_node.clone();
    let started = json!(["execution_start", {"prompt_id": prompt_id, "timestamp": 1_767_225_600_000u64}]);
    let (outputs, status) = match &job.fault {
        Some(Fault::Empty) => (json!({}), json!({"status_str": "success", "completed": true, "messages": [started]})),
        Some(_) => (
            json!({}),
            json!({"status_str": "error", "completed": false, "messages": [started, ["execution_error", {
                "prompt_id": prompt_id, "node_id": "3", "node_type": "KSampler", "executed": [],
                "exception_type": "RuntimeError", "exception_message": "The picture was flagged by the safety checker\n",
                "traceback": [], "current_inputs": {}, "current_outputs": {}}]]}),
        ),
        None => (
            json!({ node.clone(): {"images": [{"filename": job.filename, "subfolder": "", "type": "output"}]} }),
            json!({"status_str": "success", "completed": true, "messages": [started,
                ["execution_cached", {"nodes": [], "prompt_id": prompt_id, "timestamp": 1_767_225_600_001u64}],
                ["execution_success", {"prompt_id": prompt_id, "timestamp": 1_767_225_601_000u64}]]}),
        ),
    };
    let entry = json!({
        "prompt": [job.number, prompt_id, job.workflow, {"client_id": "manga"}, [node.clone()]],
        "outputs": outputs,
        "status": status,
        "meta": { node.clone(): {"node_id": node, "display_node": node, "parent_node": null, "real_node_id": node} },
    });
    Ok(Outcome::ok(&json!({ prompt_id: entry })))
}

/// `GET /queue`: prompts whose history has not shown them done are running (ComfyUI lists `[number, id, prompt, extra, outputs]`).
fn comfy_queue(context: &Context<'_>) -> Outcome {
    let state = context.state.lock();
    let mut running: Vec<(&String, &ComfyJob)> = state.comfy_jobs.iter().filter(|(_, job)| !job.done).collect();
    running.sort_by_key(|(_, job)| job.number);
    let items: Vec<Value> = running
        .into_iter()
        .map(|(id, job)| json!([job.number, id, job.workflow, {"client_id": "manga"}, [job.output_node]]))
        .collect();
    Outcome::ok(&json!({"queue_running": items, "queue_pending": []}))
}

fn comfy_view(incoming: &Incoming, context: &Context<'_>) -> Result<Outcome, String> {
    let query = query_pairs(&incoming.query);
    let param = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let filename = param("filename");
    let kind = param("type");
    let found = {
        let state = context.state.lock();
        let image = state.comfy_jobs.values().find(|j| j.filename == filename).map(|j| (j.width, j.height));
        let upload = state.comfy_uploads.get(&filename).cloned();
        (image, upload)
    };
    let bytes = match found {
        (Some(size), _) if kind.is_empty() || kind == "output" => {
            let (width, height) = capped(size, context.max_side);
            picture::png(width, height)
        }
        (_, Some(upload)) if kind == "input" => upload,
        _ => return Ok(refuse(Family::Comfy, 404, format!("no {kind:?} file {filename:?}"))),
    };
    Ok(Outcome { status: 200, content_type: "image/png", headers: Vec::new(), body: bytes, usage: None, problem: None })
}

fn comfy_upload(incoming: &Incoming, context: &Context<'_>) -> Result<Outcome, String> {
    let content_type = incoming.header("content-type").unwrap_or("");
    let boundary = content_type
        .strip_prefix("multipart/form-data")
        .and_then(|rest| rest.split("boundary=").nth(1))
        .map(|b| b.split(';').next().unwrap_or(b).trim_matches('"').to_owned())
        .ok_or(format!("/upload/image takes multipart/form-data with a boundary, not {content_type:?}"))?;
    let (filename, bytes) =
        multipart_file(&incoming.body, &boundary, "image").ok_or("the upload has no \"image\" part with a filename")?;
    context.state.lock().comfy_uploads.insert(filename.clone(), bytes);
    Ok(Outcome::ok(&json!({"name": filename, "subfolder": "", "type": "input"})))
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|i| i + from)
}

/// The file name and bytes of the form part called `field`.
fn multipart_file(body: &[u8], boundary: &str, field: &str) -> Option<(String, Vec<u8>)> {
    let delimiter = format!("--{boundary}");
    let mut at = find(body, delimiter.as_bytes(), 0)?;
    loop {
        let headers_start = at + delimiter.len();
        let headers_end = find(body, b"\r\n\r\n", headers_start)?;
        let next = find(body, format!("\r\n{delimiter}").as_bytes(), headers_end)?;
        let headers = String::from_utf8_lossy(&body[headers_start..headers_end]);
        let named = headers.contains(&format!("name=\"{field}\""));
        let filename = headers.split("filename=\"").nth(1).and_then(|rest| rest.split('"').next());
        if let (true, Some(filename)) = (named, filename) {
            return Some((filename.to_owned(), body[headers_end + 4..next].to_vec()));
        }
        at = next + 2;
    }
}
