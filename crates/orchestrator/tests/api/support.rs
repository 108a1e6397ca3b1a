//! A product in one process behind the real routes, and a person with a token.

// Shared by several test binaries; each uses a part.
#![allow(dead_code)]

use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::{App, test};
use manga_orchestrator::api::{ApiSettings, routes};
use manga_orchestrator::http::auth::JwtKeys;
use manga_orchestrator::local::LocalProduct;
use manga_orchestrator::service::ServiceSettings;
use manga_store::UserId;
use serde_json::{Value, json};

pub const SECRET: &[u8] = b"test-secret-key-of-a-decent-length-0123456789";

pub const STORY_JA: &str = "蜘蛛の糸\n\n地獄の底で、カンダタは血の池に浮かんでいた。「助けてくれ」とカンダタは叫んだ。\n\n\
お釈迦様は一本の蜘蛛の糸を垂らした。「これを登れ」\n\nカンダタは糸を登った。下を見ると、罪人たちが続いていた。\
「この糸は俺のものだ。下りろ」\n\nその瞬間、糸はぷつりと切れた。";

pub struct Product {
    pub dir: tempfile::TempDir,
    pub local: LocalProduct,
    pub settings: ApiSettings,
}

impl Product {
    pub async fn start() -> Self {
        Self::start_with(ServiceSettings::default(), ApiSettings::for_tests(SECRET)).await
    }

    pub async fn start_with(service: ServiceSettings, settings: ApiSettings) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let local = LocalProduct::start(dir.path(), service, false).await.unwrap();
        Self { dir, local, settings }
    }

    /// A product whose jobs may choose among `models`.
    pub async fn start_with_models(models: manga_ai::Models) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let service = ServiceSettings::default();
        let local =
            LocalProduct::start_with(dir.path(), service, false, None, std::sync::Arc::new(models)).await.unwrap();
        Self { dir, local, settings: ApiSettings::for_tests(SECRET) }
    }

    pub async fn app(
        &self,
    ) -> impl Service<actix_http::Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error> {
        let routes = routes(self.local.service.clone(), self.settings.clone());
        test::init_service(App::new().configure(move |cfg| routes(cfg))).await
    }
}

pub fn token(user: &str) -> String {
    JwtKeys::new(SECRET).issue(&UserId::parse(user).unwrap(), Duration::from_secs(3600))
}

pub fn bearer(user: &str) -> (&'static str, String) {
    ("Authorization", format!("Bearer {}", token(user)))
}

/// Sends a request and returns the status and the JSON body (Null when empty or not JSON).
pub async fn call<S, B>(app: &S, req: test::TestRequest) -> (u16, Value)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let res = test::call_service(app, req.to_request()).await;
    let status = res.status().as_u16();
    let body = test::read_body(res).await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

pub async fn create<S, B>(app: &S, user: &str, body: Value) -> String
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let (status, job) =
        call(app, test::TestRequest::post().uri("/v1/jobs").insert_header(bearer(user)).set_json(body)).await;
    assert_eq!(status, 202, "{job}");
    job["id"].as_str().unwrap().to_owned()
}

/// Polls the job until `done` says so (or 60 s pass), returning the last view.
pub async fn wait_until<S, B>(app: &S, user: &str, id: &str, done: impl Fn(&Value) -> bool) -> Value
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let started = std::time::Instant::now();
    loop {
        let (status, job) =
            call(app, test::TestRequest::get().uri(&format!("/v1/jobs/{id}")).insert_header(bearer(user))).await;
        assert_eq!(status, 200, "{job}");
        if done(&job) {
            return job;
        }
        assert!(job["state"] != "failed", "the job failed: {job}");
        assert!(started.elapsed() < Duration::from_secs(120), "timed out waiting; the job is {job}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn state_is(state: &'static str) -> impl Fn(&Value) -> bool {
    move |job| job["state"] == state
}

pub fn small_job(mode: &str) -> Value {
    json!({"story": STORY_JA, "pages": 2, "mode": mode, "seed": 7})
}
