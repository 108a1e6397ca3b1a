//! A fake of the remote model providers, for tests: one HTTP server on
//! `127.0.0.1` that speaks
//!
//! - the Gemini API: `POST /v1beta/models/{model}:generateContent` and `:predict` (`x-goog-api-key`);
//! - Vertex AI: `POST /v1/projects/{p}/locations/{l}/publishers/google/models/{model}:generateContent`
//!   and `:predict` (`Authorization: Bearer`);
//! - OpenAI-compatible servers: `POST /v1/chat/completions`, `POST /v1/images/generations`;
//! - ComfyUI: `POST /prompt`, `GET /history/{id}`, `GET /queue`, `GET /view`, `POST /upload/image`,
//!
//! all on the same root, so one [`FakeProviders::url`] serves as `GEMINI_BASE_URL`,
//! `VERTEX_BASE_URL`, `OPENAI_BASE_URL` and `COMFYUI_URL` at once.
//!
//! It checks each request the way the real service would (auth present, the
//! schema dialect, Imagen's seed and watermark rule, OpenAI's strict schema
//! rules, sizes and aspect ratios, ComfyUI's typed inputs), answers a bad one
//! with the service's 400 and keeps the reason ([`Recorded::problem`],
//! [`FakeProviders::problems`]), and answers a good one in the real response
//! shape with usage counts.
//!
//! Text answers are valid for the schema the request carries and plausible for
//! the task (the manga pipeline's `concept`, `characters`, `plot` and
//! `feedback`), read from the prompt: the numbered sentences inside `<story>`,
//! the dialogue lines inside `<lines>`, the listed or capitalised names. Any
//! other schema gets a generic instance, so a new task also completes. Images
//! are PNGs of the asked size (or the aspect ratio's nominal one): a grey
//! ground ([`BACKGROUND`]) with a dark figure ([`INK`]).
//!
//! Faults are queued ([`FakeProviders::fail_next`]) or drawn at random with a
//! seed ([`FakeProviders::fail_randomly`]); see [`Fault`].
//!
//! ```no_run
//! # async fn demo() {
//! use manga_ai_fake::{FakeProviders, Fault};
//! let fake = FakeProviders::start().await;
//! let vars = fake.env_for("gemini"); // TEXT_PROVIDER=gemini, GEMINI_API_KEY, GEMINI_BASE_URL
//! fake.fail_next(&[Fault::RetryAfter(0), Fault::Unavailable]);
//! // … run the code under test with `vars` …
//! assert!(fake.problems().is_empty());
//! # }
//! ```
//!
//! The server runs on its own thread with its own runtime, so it keeps
//! answering while the test blocks (say, on a child process); it stops when
//! the [`FakeProviders`] is dropped.

mod answers;
mod picture;
mod schema;
mod server;
mod story;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;

pub use answers::{Line, TextTask};
pub use picture::{BACKGROUND, INK, nominal_size, png};
pub use schema::instance_of;

/// The API key [`FakeProviders::env_for`] configures (`GEMINI_API_KEY`, `OPENAI_API_KEY`).
pub const API_KEY: &str = "fake-api-key";
/// The Vertex access token it configures (`GOOGLE_OAUTH_ACCESS_TOKEN`).
pub const ACCESS_TOKEN: &str = "test-token";
/// The Vertex project it configures (`GOOGLE_CLOUD_PROJECT`).
pub const PROJECT: &str = "fake-project";
/// The Vertex location it configures (`VERTEX_LOCATION`).
pub const LOCATION: &str = "us-central1";

/// What the fake does to a request instead of answering it well.
///
/// Transport faults ([`RetryAfter`](Self::RetryAfter) to [`Timeout`](Self::Timeout),
/// [`WrongContentType`](Self::WrongContentType), [`Status`](Self::Status)) apply to
/// any endpoint. Answer faults take each provider's own form, and an endpoint
/// they mean nothing to answers normally:
///
/// | fault | Gemini | OpenAI chat | Imagen | OpenAI images | ComfyUI |
/// |---|---|---|---|---|---|
/// | `Truncated` | `MAX_TOKENS`, JSON cut | `length`, JSON cut | – | – | – |
/// | `SchemaViolation` | JSON missing a field | same | – | – | – |
/// | `Safety` | `finishReason: SAFETY` (images `IMAGE_SAFETY`) | `content_filter` | like `Filtered` | like `Filtered` | like `Filtered` |
/// | `Blocked` | `promptFeedback.blockReason` | `message.refusal` | like `Filtered` | like `Filtered` | like `Filtered` |
/// | `Filtered` | image: text part only | – | `raiFilteredReason`, no bytes | 400 `content_policy_violation` | history: `execution_error` |
/// | `Empty` | `candidates: []` | `choices: []` | `{}` | `data: []` | history: no images |
///
/// ComfyUI's answer faults are given to `POST /prompt` (which still queues the prompt); its history then
/// reports them. Imagen answers `raiFilteredReason` only when the request sets `includeRaiReason`, else `{}`.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// 429 with a `Retry-After: n` header (seconds).
    RetryAfter(u64),
    /// 429 with Google's `RetryInfo` detail, `retryDelay: "{n}s"`, and no header.
    RetryInfo(f64),
    /// 500, with `Retry-After: 0` so the client retries at once (see [`Status`](Self::Status) for one without).
    ServerError,
    /// 503, with `Retry-After: 0`.
    Unavailable,
    /// Waits this long, then answers normally: longer than the client's timeout, it is a timeout.
    Timeout(Duration),
    /// 200 with an HTML page (`text/html`).
    WrongContentType,
    /// This status with the provider's error body and no `Retry-After`.
    Status(u16),
    /// The JSON answer cut off at the length limit.
    Truncated,
    /// Valid JSON that does not fit the schema (a required field missing).
    SchemaViolation,
    /// The answer was blocked for safety.
    Safety,
    /// The prompt was blocked, or the model refused.
    Blocked,
    /// The image was filtered.
    Filtered,
    /// No candidates, choices or predictions.
    Empty,
}

impl Fault {
    /// The faults [`FakeProviders::fail_randomly`] draws from: every one transient and quick.
    pub fn transient() -> Vec<Fault> {
        vec![Fault::RetryAfter(0), Fault::RetryInfo(0.0), Fault::ServerError, Fault::Unavailable]
    }
}

/// Which API a request was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// Gemini `:generateContent`, text or images, Gemini API or Vertex AI.
    GenerateContent,
    /// Imagen `:predict`, Vertex AI or the Gemini API.
    Predict,
    /// OpenAI `/v1/chat/completions`.
    ChatCompletions,
    /// OpenAI `/v1/images/generations`.
    ImageGenerations,
    /// ComfyUI `POST /prompt`.
    ComfyPrompt,
    /// ComfyUI `GET /history/{id}`.
    ComfyHistory,
    /// ComfyUI `GET /view`.
    ComfyView,
    /// ComfyUI `POST /upload/image`.
    ComfyUpload,
    /// ComfyUI `GET /queue`.
    ComfyQueue,
    /// Anything else (answered 404).
    Other,
}

/// Token counts the fake reported in an answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Prompt tokens (`promptTokenCount`, `prompt_tokens`, `input_tokens`).
    pub input_tokens: u64,
    /// Answer tokens without thoughts (`candidatesTokenCount`, `completion_tokens`, `output_tokens`).
    pub output_tokens: u64,
    /// Gemini's `thoughtsTokenCount` (billed as output).
    pub thoughts_tokens: u64,
}

/// One request the fake received, and what it did with it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// Its number, from 1, in order of arrival.
    pub id: u64,
    /// `GET`, `POST`.
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The raw query string (`filename=a.png&type=output`), empty when none.
    pub query: String,
    /// Headers, names in lower case (a repeated header keeps its last value).
    pub headers: BTreeMap<String, String>,
    /// The body as JSON, when it parses.
    pub json: Option<Value>,
    /// The raw body (a multipart upload's bytes).
    pub body: Vec<u8>,
    /// When it arrived.
    pub at: Instant,
    /// Which API it was for.
    pub endpoint: Endpoint,
    /// The model named in the path or the body.
    pub model: Option<String>,
    /// For text requests, the task it was taken for (`concept`, `characters`, `plot`, `feedback`, or the
    /// schema's name without `_reply`, else `unknown`).
    pub task: Option<String>,
    /// The fault applied, if any.
    pub fault: Option<Fault>,
    /// The status answered.
    pub status: u16,
    /// The usage reported in the answer.
    pub usage: Option<Usage>,
    /// Why the fake found the request invalid (and answered 400, 401 or 404), if it did.
    pub problem: Option<String>,
}

impl Recorded {
    /// A header's value (the name in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    /// A query parameter, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        server::query_pairs(&self.query).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// For a text request, the system instruction and the user turn as sent.
    pub fn prompt(&self) -> Option<(String, String)> {
        let json = self.json.as_ref()?;
        match self.endpoint {
            Endpoint::GenerateContent | Endpoint::ChatCompletions => Some(answers::prompt_parts(json)),
            _ => None,
        }
    }
}

type Answerer = Arc<dyn Fn(&TextTask) -> Value + Send + Sync>;

struct RandomFaults {
    rate: f64,
    rng: fastrand::Rng,
    kinds: Vec<Fault>,
}

/// A ComfyUI prompt the fake has queued.
struct ComfyJob {
    polls: u32,
    /// Shown done by a history poll (so no longer in the queue).
    done: bool,
    number: u64,
    workflow: Value,
    output_node: String,
    filename: String,
    width: u32,
    height: u32,
    fault: Option<Fault>,
}

#[derive(Default)]
struct State {
    requests: Vec<Recorded>,
    queued: VecDeque<(Option<Endpoint>, Fault)>,
    random: Option<RandomFaults>,
    stall: Option<Duration>,
    answers: HashMap<String, Answerer>,
    /// History polls answered `{}` before a prompt is done; `None` never finishes.
    comfy_pending: Option<u32>,
    comfy_jobs: HashMap<String, ComfyJob>,
    comfy_uploads: HashMap<String, Vec<u8>>,
    /// Prompts queued by `POST /prompt`, a re-queued id counted again (as ComfyUI would render it again).
    comfy_queued: u32,
    max_side: Option<u32>,
    latency: Option<Latency>,
    counter: u64,
}

/// How long answers take, as real models' do: a seeded draw in a range per kind.
struct Latency {
    text: std::ops::RangeInclusive<Duration>,
    images: std::ops::RangeInclusive<Duration>,
    rng: fastrand::Rng,
}

impl Latency {
    fn draw(&mut self, image: bool) -> Duration {
        let range = if image { &self.images } else { &self.text };
        let (low, high) = (range.start().as_millis() as u64, range.end().as_millis() as u64);
        Duration::from_millis(self.rng.u64(low..=high.max(low)))
    }
}

impl State {
    fn new() -> Self {
        Self { comfy_pending: Some(1), ..Self::default() }
    }

    fn next_id(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    fn take_fault(&mut self, endpoint: Endpoint) -> Option<Fault> {
        if let Some(i) = self.queued.iter().position(|(only, _)| only.is_none_or(|e| e == endpoint)) {
            return self.queued.remove(i).map(|(_, f)| f);
        }
        let random = self.random.as_mut()?;
        if random.kinds.is_empty() || random.rng.f64() >= random.rate {
            return None;
        }
        let mut kinds = random.kinds.clone();
        if let Some(stall) = self.stall {
            kinds.push(Fault::Timeout(stall));
        }
        let i = random.rng.usize(..kinds.len());
        Some(kinds.swap_remove(i))
    }
}

#[derive(Clone)]
struct Shared(Arc<Mutex<State>>);

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The fake server. Dropping it stops the server.
pub struct FakeProviders {
    url: String,
    state: Shared,
    handle: actix_web::dev::ServerHandle,
}

impl std::fmt::Debug for FakeProviders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeProviders").field("url", &self.url).finish_non_exhaustive()
    }
}

impl FakeProviders {
    /// Starts a server on `127.0.0.1` at a free port (two workers, no signal handling).
    ///
    /// # Panics
    /// When no port can be bound or the server thread cannot start.
    pub async fn start() -> Self {
        Self::start_blocking()
    }

    /// [`start`](Self::start) for code that has no async runtime (a test of a binary).
    ///
    /// # Panics
    /// When no port can be bound or the server thread cannot start.
    pub fn start_blocking() -> Self {
        let state = Shared(Arc::new(Mutex::new(State::new())));
        #[allow(clippy::expect_used, reason = "a test fixture that cannot start has nothing to fall back on")]
        let (url, handle) = server::spawn(state.clone()).expect("the fake providers' server starts");
        Self { url, state, handle }
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Queues faults for the next requests, one each, in order.
    pub fn fail_next(&self, faults: &[Fault]) {
        self.state.lock().queued.extend(faults.iter().cloned().map(|f| (None, f)));
    }

    /// Queues faults for the next requests to `endpoint` only.
    pub fn fail_next_on(&self, endpoint: Endpoint, faults: &[Fault]) {
        self.state.lock().queued.extend(faults.iter().cloned().map(|f| (Some(endpoint), f)));
    }

    /// Fails about `rate` (0 to 1) of the requests that have no queued fault with one of
    /// [`Fault::transient`], drawn from a generator seeded with `seed`, and with
    /// [`Fault::Timeout`] of the stall too once [`set_stall`](Self::set_stall) is set.
    pub fn fail_randomly(&self, rate: f64, seed: u64) {
        self.fail_randomly_with(rate, seed, &Fault::transient());
    }

    /// Like [`fail_randomly`](Self::fail_randomly), drawing from `faults`.
    pub fn fail_randomly_with(&self, rate: f64, seed: u64, faults: &[Fault]) {
        self.state.lock().random = Some(RandomFaults {
            rate: rate.clamp(0.0, 1.0),
            rng: fastrand::Rng::with_seed(seed),
            kinds: faults.to_vec(),
        });
    }

    /// How long a random timeout stalls: set it longer than the client's timeout (`AI_TIMEOUT_SECONDS`).
    /// Until it is set, random faults include no stall.
    pub fn set_stall(&self, stall: Duration) {
        self.state.lock().stall = Some(stall);
    }

    /// Answers model calls after a seeded draw from `text` or `images`, as real models take
    /// their time (the seeds: text 3–15 s, images 10–30 s); follow-ups and uploads answer at once.
    pub fn set_latency(
        &self,
        text: std::ops::RangeInclusive<Duration>,
        images: std::ops::RangeInclusive<Duration>,
        seed: u64,
    ) {
        self.state.lock().latency = Some(Latency { text, images, rng: fastrand::Rng::with_seed(seed) });
    }

    /// Drops queued faults and stops random ones.
    pub fn stop_failing(&self) {
        let mut state = self.state.lock();
        state.queued.clear();
        state.random = None;
    }

    /// Answers every request for `task` (`concept`, `plot`, …) with `reply`, as it is, until
    /// [`default_answers`](Self::default_answers).
    pub fn answer(&self, task: &str, reply: Value) {
        self.answer_with(task, move |_| reply.clone());
    }

    /// Answers every request for `task` with what `reply` makes of it ([`TextTask::default_answer`]
    /// is the fake's own answer, to start from).
    pub fn answer_with(&self, task: &str, reply: impl Fn(&TextTask) -> Value + Send + Sync + 'static) {
        self.state.lock().answers.insert(task.to_owned(), Arc::new(reply));
    }

    /// Back to the fake's own answers for every task.
    pub fn default_answers(&self) {
        self.state.lock().answers.clear();
    }

    /// How many ComfyUI history polls answer `{}` (still running) before a prompt is done; 1 by default.
    pub fn comfyui_pending_polls(&self, polls: u32) {
        self.state.lock().comfy_pending = Some(polls);
    }

    /// How many prompts ComfyUI was asked to render (each accepted `POST /prompt`).
    pub fn comfyui_queued(&self) -> u32 {
        self.state.lock().comfy_queued
    }

    /// ComfyUI prompts never finish: every history poll answers `{}`.
    pub fn comfyui_never_finish(&self) {
        self.state.lock().comfy_pending = None;
    }

    /// Images no larger than `side` on their longer side (the aspect ratio kept), to keep tests quick.
    pub fn set_max_image_side(&self, side: u32) {
        self.state.lock().max_side = Some(side.max(8));
    }

    /// Every request so far, in order of arrival.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.lock().requests.clone()
    }

    /// The requests to `endpoint`.
    pub fn requests_to(&self, endpoint: Endpoint) -> Vec<Recorded> {
        self.requests().into_iter().filter(|r| r.endpoint == endpoint).collect()
    }

    /// How many requests so far.
    pub fn request_count(&self) -> usize {
        self.state.lock().requests.len()
    }

    /// Forgets the requests so far.
    pub fn clear_requests(&self) {
        self.state.lock().requests.clear();
    }

    /// Why each invalid request was refused (`METHOD /path: reason`): empty when every request was one
    /// the real service would take.
    pub fn problems(&self) -> Vec<String> {
        self.state
            .lock()
            .requests
            .iter()
            .filter_map(|r| r.problem.as_ref().map(|p| format!("{} {}: {p}", r.method, r.path)))
            .collect()
    }

    /// The variables that point one provider at the fake, for `AiSettings::from_vars` or a child
    /// process's environment:
    ///
    /// - `gemini`: text on the Gemini API (`TEXT_PROVIDER=gemini`, `GEMINI_API_KEY`, `GEMINI_BASE_URL`);
    /// - `gemini-image`: images on the Gemini API;
    /// - `vertex`: Gemini text on Vertex AI (`VERTEX_LOCATION`, `GOOGLE_CLOUD_PROJECT`, `VERTEX_BASE_URL`,
    ///   `GOOGLE_OAUTH_ACCESS_TOKEN`);
    /// - `vertex-image`: Gemini images on Vertex AI;
    /// - `imagen`: Imagen on Vertex AI;
    /// - `openai`: text on an OpenAI-compatible server (`OPENAI_BASE_URL`, `OPENAI_API_KEY`);
    /// - `openai-image`: images there;
    /// - `comfyui`: images on ComfyUI (`COMFYUI_URL`).
    ///
    /// Variables for a text and an image provider can be joined. Note that the Vertex ones send every
    /// Gemini and Imagen call through Vertex AI.
    ///
    /// # Panics
    /// For any other name.
    pub fn env_for(&self, provider: &str) -> Vec<(String, String)> {
        let url = self.url.as_str();
        let gemini_api = [("GEMINI_API_KEY", API_KEY), ("GEMINI_BASE_URL", url)];
        let vertex = [
            ("VERTEX_LOCATION", LOCATION),
            ("GOOGLE_CLOUD_PROJECT", PROJECT),
            ("VERTEX_BASE_URL", url),
            ("GOOGLE_OAUTH_ACCESS_TOKEN", ACCESS_TOKEN),
        ];
        let openai = [("OPENAI_BASE_URL", url), ("OPENAI_API_KEY", API_KEY)];
        let mut vars: Vec<(&str, &str)> = match provider {
            "gemini" => [("TEXT_PROVIDER", "gemini")].into_iter().chain(gemini_api).collect(),
            "gemini-image" => [("IMAGE_PROVIDER", "gemini-image")].into_iter().chain(gemini_api).collect(),
            "vertex" => [("TEXT_PROVIDER", "gemini")].into_iter().chain(vertex).collect(),
            "vertex-image" => [("IMAGE_PROVIDER", "gemini-image")].into_iter().chain(vertex).collect(),
            "imagen" => [("IMAGE_PROVIDER", "imagen")].into_iter().chain(vertex).collect(),
            "openai" => [("TEXT_PROVIDER", "openai")].into_iter().chain(openai).collect(),
            "openai-image" => [("IMAGE_PROVIDER", "openai")].into_iter().chain(openai).collect(),
            "comfyui" => vec![("IMAGE_PROVIDER", "comfyui"), ("COMFYUI_URL", url)],
            other => panic!(
                "env_for: no provider {other:?}; one of gemini, gemini-image, vertex, vertex-image, imagen, openai, \
                 openai-image, comfyui"
            ),
        };
        vars.dedup();
        vars.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
    }

    /// Stops the server and waits for it to stop.
    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

impl Drop for FakeProviders {
    fn drop(&mut self) {
        // The command is sent at once; the future only waits for it to be carried out.
        let _stopping = self.handle.stop(false);
    }
}
