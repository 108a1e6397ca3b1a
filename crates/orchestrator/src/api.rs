//! The public HTTP API over [`JobService`]: routes, OpenAPI document,
//! Server-Sent Events and WebSocket streams, and the web page.
//!
//! Cross-cutting pieces (errors, JWT, rate limits, CORS, file responses)
//! live in [`crate::http`]; this module only maps requests to the service.

use std::sync::Arc;
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use manga_store::UserId;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use utoipa::OpenApi;

use crate::events::JobEvent;
use actix_web::middleware::from_fn;

use crate::http::auth::{AuthUser, JwtKeys};
use crate::http::cors::{CorsOrigins, cors};
use crate::http::error::ApiError;
use crate::http::files::{content_type_for, serve_bytes};
use crate::http::limits::{Limiter, MemoryLimiter, Rate, RateLimits, rate_limit};
use crate::service::{JobService, ServiceError};
use crate::views::{
    BranchBody, BranchOutcome, ChatBody, CreateJob, FeedbackBody, FeedbackOutcome, JobList, JobView, PhaseDetail,
    VersionList,
};

/// Largest request body: a 200,000-character story, JSON-escaped, fits with room to spare.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// How often an idle stream gets a keep-alive.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::BadInput(m) => Self::BadRequest(m),
            ServiceError::NotFound(m) => Self::NotFound(m),
            ServiceError::Conflict(m) => Self::Conflict(m),
            ServiceError::Unprocessable(m) => Self::Unprocessable(m),
            ServiceError::Unavailable(m) => Self::Unavailable(m),
        }
    }
}

type Service = web::Data<JobService>;
type ApiResult<T> = Result<T, ApiError>;

/// The OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(title = "Manga pipeline", description = "Turn a story into a lettered manga, reviewing every phase on the way."),
    paths(
        create_job, list_jobs, get_job, cancel_job, get_phase, post_feedback, post_chat, list_versions,
        branch_version, restore_version, get_artifact, job_events
    ),
    components(schemas(
        CreateJob, JobView, JobList, PhaseDetail, FeedbackBody, FeedbackOutcome, ChatBody, VersionList,
        BranchBody, BranchOutcome, JobEvent, ErrorBody
    )),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

/// `{"error": "…"}`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct ErrorBody {
    /// One sentence for a person.
    error: String,
}

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        let scheme = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build();
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// Options of a plain-text upload, as query parameters.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
struct UploadOptions {
    title: Option<String>,
    pages: Option<u32>,
    language: Option<String>,
    direction: Option<String>,
    style: Option<String>,
    seed: Option<u64>,
    mode: Option<String>,
}

/// Reads a body up to [`MAX_BODY_BYTES`], or 413.
async fn read_body(mut payload: web::Payload) -> ApiResult<Bytes> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("the request body could not be read: {e}")))?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ApiError::TooLarge(format!("the request body is larger than {} MiB", MAX_BODY_BYTES >> 20)));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    if std::str::from_utf8(body).is_err() {
        return Err(ApiError::BadRequest("the request body is not UTF-8".into()));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(format!("the JSON body is invalid: {e}")))
}

/// Create a job from a story (JSON, or a `.txt` upload as `text/plain` with options in the query).
#[utoipa::path(post, path = "/v1/jobs", request_body(content = CreateJob, description = "or text/plain with options as query parameters"),
    params(UploadOptions),
    responses((status = 202, body = JobView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 413, body = ErrorBody)))]
async fn create_job(req: HttpRequest, me: Service, user: AuthUser, payload: web::Payload) -> ApiResult<HttpResponse> {
    let body = read_body(payload).await?;
    let content_type = req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    let create = if content_type.starts_with("text/plain") {
        let story =
            String::from_utf8(body.to_vec()).map_err(|_| ApiError::BadRequest("the story is not UTF-8 text".into()))?;
        let options = web::Query::<UploadOptions>::from_query(req.query_string())
            .map_err(|e| ApiError::BadRequest(format!("bad query parameters: {e}")))?
            .into_inner();
        CreateJob {
            story,
            title: options.title,
            pages: options.pages,
            language: options.language,
            direction: options.direction,
            style: options.style,
            seed: options.seed,
            mode: options.mode,
            providers: None,
        }
    } else if content_type.is_empty() || content_type.starts_with("application/json") {
        parse_json(&body)?
    } else {
        return Err(ApiError::BadRequest(format!(
            "content type {content_type:?} is not accepted; send application/json or text/plain"
        )));
    };
    let view = me.create_job(&user.0, create).await?;
    Ok(HttpResponse::Accepted().insert_header(("Location", view.links.this.clone())).json(view))
}

/// The caller's jobs, newest first.
#[utoipa::path(get, path = "/v1/jobs", responses((status = 200, body = JobList), (status = 401, body = ErrorBody)))]
async fn list_jobs(me: Service, user: AuthUser) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(JobList { jobs: me.list_jobs(&user.0).await? }))
}

/// A job's status: state, each phase's state, attempts, quality, timings and errors.
#[utoipa::path(get, path = "/v1/jobs/{id}", params(("id" = String, Path)),
    responses((status = 200, body = JobView), (status = 404, body = ErrorBody)))]
async fn get_job(me: Service, user: AuthUser, id: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(me.get_job(&user.0, &id).await?))
}

/// Cancel a job.
#[utoipa::path(delete, path = "/v1/jobs/{id}", params(("id" = String, Path)),
    responses((status = 202, body = JobView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn cancel_job(me: Service, user: AuthUser, id: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Accepted().json(me.cancel(&user.0, &id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct VersionQuery {
    /// A version; the current one when absent.
    version: Option<u32>,
    /// The token, for links opened by a browser.
    #[allow(dead_code)]
    access_token: Option<String>,
}

fn version_query(req: &HttpRequest) -> ApiResult<VersionQuery> {
    web::Query::<VersionQuery>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| ApiError::BadRequest(format!("bad query parameters: {e}")))
}

/// A phase's structured result, previews and one-click presets.
#[utoipa::path(get, path = "/v1/jobs/{id}/phases/{n}", params(("id" = String, Path), ("n" = u32, Path), VersionQuery),
    responses((status = 200, body = PhaseDetail), (status = 404, body = ErrorBody)))]
async fn get_phase(
    req: HttpRequest,
    me: Service,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, n) = path.into_inner();
    let n: u32 = n.parse().map_err(|_| ApiError::NotFound(format!("there is no phase {n:?}; phases are 1 to 8")))?;
    let query = version_query(&req)?;
    Ok(HttpResponse::Ok().json(me.phase_detail(&user.0, &id, n, query.version).await?))
}

/// Approve, revise, regenerate a panel/page/portrait, or edit a field; `dry_run` only plans.
#[utoipa::path(post, path = "/v1/jobs/{id}/feedback", params(("id" = String, Path)), request_body = FeedbackBody,
    responses((status = 202, body = FeedbackOutcome), (status = 200, description = "a dry run's plan", body = FeedbackOutcome),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn post_feedback(
    me: Service,
    user: AuthUser,
    id: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let body: FeedbackBody = parse_json(&read_body(payload).await?)?;
    let dry_run = body.dry_run;
    let outcome = me.feedback(&user.0, &id, body).await?;
    Ok(if dry_run { HttpResponse::Ok() } else { HttpResponse::Accepted() }.json(outcome))
}

/// Understand a chat message as feedback (not applied: confirm it through /feedback).
#[utoipa::path(post, path = "/v1/jobs/{id}/chat", params(("id" = String, Path)), request_body = ChatBody,
    responses((status = 200, description = "the suggested feedback"), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn post_chat(
    me: Service,
    user: AuthUser,
    id: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let body: ChatBody = parse_json(&read_body(payload).await?)?;
    Ok(HttpResponse::Ok().json(me.chat(&user.0, &id, &body.message, body.phase).await?))
}

/// A job's versions.
#[utoipa::path(get, path = "/v1/jobs/{id}/versions", params(("id" = String, Path)),
    responses((status = 200, body = VersionList), (status = 404, body = ErrorBody)))]
async fn list_versions(me: Service, user: AuthUser, id: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(me.versions(&user.0, &id).await?))
}

fn version_number(text: &str) -> ApiResult<u32> {
    text.parse().map_err(|_| ApiError::NotFound(format!("there is no version {text:?}")))
}

/// Branch a new version from version v, and make it current.
#[utoipa::path(post, path = "/v1/jobs/{id}/versions/{v}/branch", params(("id" = String, Path), ("v" = u32, Path)),
    request_body = BranchBody,
    responses((status = 201, body = BranchOutcome), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn branch_version(
    me: Service,
    user: AuthUser,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let (id, v) = path.into_inner();
    let body = read_body(payload).await?;
    let body: BranchBody = if body.is_empty() { BranchBody::default() } else { parse_json(&body)? };
    Ok(HttpResponse::Created().json(me.branch(&user.0, &id, version_number(&v)?, body.note).await?))
}

/// Make version v current again.
#[utoipa::path(post, path = "/v1/jobs/{id}/versions/{v}/restore", params(("id" = String, Path), ("v" = u32, Path)),
    responses((status = 200, body = JobView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn restore_version(me: Service, user: AuthUser, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let (id, v) = path.into_inner();
    Ok(HttpResponse::Ok().json(me.restore(&user.0, &id, version_number(&v)?).await?))
}

/// A file: `manga.pdf`, `manga.cbz`, `reader.json`, `pages/page-001.png`, `thumbs/…`, `panels/…`, `lettered/…`, `portraits/…`.
#[utoipa::path(get, path = "/v1/jobs/{id}/artifacts/{name}", params(("id" = String, Path), ("name" = String, Path), VersionQuery),
    responses((status = 200, description = "the file"), (status = 206, description = "a range of it"), (status = 304, description = "not modified"),
        (status = 404, body = ErrorBody), (status = 416, description = "unsatisfiable range")))]
async fn get_artifact(
    req: HttpRequest,
    me: Service,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, name) = path.into_inner();
    let name = name.strip_prefix("publish/").unwrap_or(&name);
    // Published files live under publish/ but are asked for by their plain names.
    let stored = if matches!(name, "manga.pdf" | "manga.cbz" | "reader.json") {
        format!("publish/{name}")
    } else {
        name.to_owned()
    };
    let query = version_query(&req)?;
    let (key, bytes) = me.artifact(&user.0, &id, &stored, query.version).await?;
    let etag = format!("{:016x}", manga_domain::fnv1a(&bytes));
    let download = matches!(name, "manga.pdf" | "manga.cbz").then_some(name);
    Ok(serve_bytes(&req, bytes, content_type_for(key.as_str()), &etag, download))
}

fn sse_frame(event: &JobEvent) -> Bytes {
    Bytes::from(format!("event: {}\ndata: {}\n\n", event.kind, &*event.to_json()))
}

/// Live progress as Server-Sent Events; the first is a `snapshot` of the job.
#[utoipa::path(get, path = "/v1/jobs/{id}/events", params(("id" = String, Path)),
    responses((status = 200, description = "text/event-stream of JobEvent"), (status = 404, body = ErrorBody)))]
async fn job_events(me: Service, user: AuthUser, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let (job, snapshot) = me.snapshot(&user.0, &id).await?;
    let receiver = me.events().subscribe(job).await;
    let first = futures_util::stream::once(async move { Ok::<_, actix_web::Error>(sse_frame(&snapshot)) });
    let rest = futures_util::stream::unfold(receiver, |mut receiver| async move {
        loop {
            match tokio::time::timeout(KEEP_ALIVE, receiver.recv()).await {
                Ok(Ok(event)) => return Some((Ok(sse_frame(&event)), receiver)),
                Ok(Err(RecvError::Lagged(_))) => continue,
                Ok(Err(RecvError::Closed)) => return None,
                Err(_) => return Some((Ok(Bytes::from_static(b": keep-alive\n\n")), receiver)),
            }
        }
    });
    Ok(HttpResponse::Ok()
        .insert_header(("Content-Type", "text/event-stream"))
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(first.chain(rest)))
}

/// What a WebSocket client may send.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMessage {
    Feedback(FeedbackBody),
    Chat(ChatBody),
}

async fn job_socket(
    req: HttpRequest,
    me: Service,
    user: AuthUser,
    id: web::Path<String>,
    body: web::Payload,
) -> ApiResult<HttpResponse> {
    let (job, snapshot) = me.snapshot(&user.0, &id).await?;
    let mut receiver = me.events().subscribe(job).await;
    let (response, mut session, stream) =
        actix_ws::handle(&req, body).map_err(|e| ApiError::BadRequest(format!("not a WebSocket handshake: {e}")))?;
    let mut stream = stream.max_frame_size(64 * 1024).aggregate_continuations();
    let (service, user, id) = (me.into_inner(), user.0, id.into_inner());
    // Thousands of sockets wait here at once: keep each one's task small. The
    // snapshot (the whole job) is dropped once sent, and a reply's future,
    // deep and large, is boxed only while one is being made.
    let first = snapshot.to_json();
    drop(snapshot);
    actix_web::rt::spawn(async move {
        let send = |event: &JobEvent| event.to_json();
        if session.text(first).await.is_err() {
            return;
        }
        loop {
            tokio::select! {
                event = receiver.recv() => match event {
                    Ok(event) => if session.text(send(&event)).await.is_err() { break },
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => break,
                },
                message = stream.next() => match message {
                    Some(Ok(actix_ws::AggregatedMessage::Text(text))) => {
                        let reply = Box::pin(answer(&service, &user, &id, &text)).await;
                        if session.text(send(&reply)).await.is_err() { break }
                    }
                    Some(Ok(actix_ws::AggregatedMessage::Ping(bytes))) => {
                        if session.pong(&bytes).await.is_err() { break }
                    }
                    Some(Ok(actix_ws::AggregatedMessage::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => {}
                },
            }
        }
        session.close(None).await.ok();
    });
    Ok(response)
}

/// Answers one WebSocket request with an event carrying the result or the error.
async fn answer(service: &Arc<JobService>, user: &UserId, id: &str, text: &str) -> JobEvent {
    let job = manga_domain::JobId::parse(id).unwrap_or_default();
    let reply = |kind: &str| JobEvent::new(job, 0, None, kind, "");
    match serde_json::from_str::<ClientMessage>(text) {
        Ok(ClientMessage::Feedback(body)) => {
            let mut event = reply("feedback");
            match service.feedback(user, id, body).await {
                Ok(outcome) => {
                    event.version = outcome.version;
                    event.data = serde_json::to_value(&outcome).ok();
                }
                Err(e) => event.error = Some(e.to_string()),
            }
            event
        }
        Ok(ClientMessage::Chat(body)) => {
            let mut event = reply("chat");
            match service.chat(user, id, &body.message, body.phase).await {
                Ok(suggestion) => {
                    event.message = suggestion.summary.clone();
                    event.data = serde_json::to_value(&suggestion).ok();
                }
                Err(e) => event.error = Some(e.to_string()),
            }
            event
        }
        Err(e) => {
            let mut event = reply("error");
            event.error = Some(format!("messages are {{\"type\": \"feedback\" | \"chat\", …}}: {e}"));
            event
        }
    }
}

async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

async fn ws_health(me: Service) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok", "open_streams": me.events().open_streams() }))
}

/// How the API authenticates, limits and shares itself.
#[derive(Clone)]
pub struct ApiSettings {
    /// The HS256 key for people's tokens.
    pub jwt: JwtKeys,
    /// Browser origins allowed besides the page itself.
    pub cors_origins: Vec<String>,
    /// Where rate-limit buckets live.
    pub limiter: Arc<dyn Limiter>,
    /// Per client IP (the seeds: 1000 a minute).
    pub per_ip: Rate,
    /// Per user.
    pub per_user: Rate,
    /// Trust the first `X-Forwarded-For` hop (behind the load balancer).
    pub trust_forwarded: bool,
}

impl ApiSettings {
    /// The seeds' limits, kept in this process.
    pub fn new(secret: &[u8], cors_origins: Vec<String>) -> Self {
        Self {
            jwt: JwtKeys::new(secret),
            cors_origins,
            limiter: Arc::new(MemoryLimiter::default()),
            per_ip: Rate::PER_IP,
            per_user: Rate::PER_USER,
            trust_forwarded: false,
        }
    }

    /// As [`Self::new`], for tests (no origins).
    pub fn for_tests(secret: &[u8]) -> Self {
        Self::new(secret, Vec::new())
    }
}

/// The API, the streams and the web page, with auth, CORS and rate limits, as routes to mount.
pub fn routes(service: Arc<JobService>, settings: ApiSettings) -> manga_runtime::ExtraRoutes {
    Arc::new(move |cfg: &mut web::ServiceConfig| {
        let limits = RateLimits {
            limiter: settings.limiter.clone(),
            per_ip: settings.per_ip,
            per_user: settings.per_user,
            trust_forwarded: settings.trust_forwarded,
            keys: settings.jwt.clone(),
        };
        let origins = CorsOrigins(settings.cors_origins.clone());
        let service = service.clone();
        cfg.service(
            web::scope("")
                .app_data(web::Data::new(settings.jwt.clone()))
                .app_data(web::Data::new(limits))
                .wrap(from_fn(rate_limit))
                .wrap(from_fn(move |req, next| cors(origins.clone(), req, next)))
                .configure(move |cfg| configure(cfg, service.clone()))
                .default_service(web::to(crate::http::error::not_found)),
        );
    })
}

/// Mounts the API's routes (without auth keys, limits or CORS: see [`routes`]).
fn configure(cfg: &mut web::ServiceConfig, service: Arc<JobService>) {
    cfg.app_data(web::Data::from(service))
        .app_data(crate::http::error::path_config())
        .app_data(crate::http::error::query_config())
        .route("/openapi.json", web::get().to(openapi_json))
        .route("/ws/health", web::get().to(ws_health))
        .route("/ws/jobs/{id}", web::get().to(job_socket))
        .route("/v1/jobs", web::post().to(create_job))
        .route("/v1/jobs", web::get().to(list_jobs))
        .route("/v1/jobs/{id}", web::get().to(get_job))
        .route("/v1/jobs/{id}", web::delete().to(cancel_job))
        .route("/v1/jobs/{id}/phases/{n}", web::get().to(get_phase))
        .route("/v1/jobs/{id}/feedback", web::post().to(post_feedback))
        .route("/v1/jobs/{id}/chat", web::post().to(post_chat))
        .route("/v1/jobs/{id}/versions", web::get().to(list_versions))
        .route("/v1/jobs/{id}/versions/{v}/branch", web::post().to(branch_version))
        .route("/v1/jobs/{id}/versions/{v}/restore", web::post().to(restore_version))
        .route("/v1/jobs/{id}/artifacts/{name:.+}", web::get().to(get_artifact))
        .route("/v1/jobs/{id}/events", web::get().to(job_events));
    crate::web_page::configure(cfg);
}
