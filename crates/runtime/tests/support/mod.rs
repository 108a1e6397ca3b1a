//! Shared by the integration tests: a local OIDC issuer (an RSA key made in
//! the test, its JWKS served over HTTP, tokens signed with it), a handler
//! that records its calls, and `spawn_app` running the real `App` on port 0.
#![allow(dead_code, reason = "each test file uses a different part")]

use std::{
    collections::BTreeMap,
    sync::{
        Arc, LazyLock, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header, jwk::Jwk, jwk::JwkSet};
use manga_runtime::{App, AppError, Config, HandlerError, PushHandler, PushMessage, StopHandle};
use rsa::pkcs1::EncodeRsaPrivateKey as _;
use serde_json::{Value, json};
use tokio::sync::Notify;

pub const AUDIENCE: &str = "https://phase4-name.test.run.app";
pub const SERVICE_ACCOUNT: &str = "push@manga-test.iam.gserviceaccount.com";
pub const ISSUER: &str = "https://accounts.google.com";
pub const KID: &str = "test-key-1";

/// RSA key generation is slow-ish; one issuer key and one impostor key per
/// test binary.
static ISSUER_KEY: LazyLock<EncodingKey> = LazyLock::new(generate_key);
static IMPOSTOR_KEY: LazyLock<EncodingKey> = LazyLock::new(generate_key);

fn generate_key() -> EncodingKey {
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("generate an RSA key");
    let pem = key.to_pkcs1_pem(rsa::pkcs1::LineEnding::LF).expect("encode the RSA key as PEM");
    EncodingKey::from_rsa_pem(pem.as_bytes()).expect("load the RSA key")
}

/// A local OIDC issuer: serves its JWKS at `jwks_url` and counts fetches.
pub struct TestIssuer {
    pub jwks_url: String,
    fetches: Arc<AtomicUsize>,
    server: actix_web::dev::ServerHandle,
}

impl TestIssuer {
    pub async fn start() -> Self {
        let mut jwk = Jwk::from_encoding_key(&ISSUER_KEY, Algorithm::RS256).expect("JWK from the key");
        jwk.common.key_id = Some(KID.to_owned());
        let jwks = serde_json::to_string(&JwkSet { keys: vec![jwk] }).expect("serialise the JWKS");
        let fetches = Arc::new(AtomicUsize::new(0));
        let counter = fetches.clone();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the JWKS server");
        let port = listener.local_addr().expect("JWKS server address").port();
        let server = actix_web::HttpServer::new(move || {
            let jwks = jwks.clone();
            let counter = counter.clone();
            actix_web::App::new().route(
                "/oauth2/v3/certs",
                actix_web::web::get().to(move || {
                    counter.fetch_add(1, Ordering::SeqCst);
                    let jwks = jwks.clone();
                    async move { actix_web::HttpResponse::Ok().content_type("application/json").body(jwks) }
                }),
            )
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .expect("listen for JWKS requests")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self { jwks_url: format!("http://127.0.0.1:{port}/oauth2/v3/certs"), fetches, server: handle }
    }

    /// How many times the JWKS was fetched.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    /// Valid claims, for a test to spoil one of.
    pub fn claims(&self) -> Value {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_secs();
        json!({
            "iss": ISSUER, "aud": AUDIENCE, "email": SERVICE_ACCOUNT, "email_verified": true,
            "sub": "113774264463038321964", "azp": "113774264463038321964",
            "iat": now, "exp": now + 3600,
        })
    }

    /// A token signed by the issuer's key.
    pub fn token(&self, claims: &Value) -> String {
        sign(&ISSUER_KEY, KID, claims)
    }

    /// A token with the issuer's key id but signed by another key.
    pub fn forged_token(&self, claims: &Value) -> String {
        sign(&IMPOSTOR_KEY, KID, claims)
    }

    /// A token signed by the issuer's key under a key id the JWKS lacks.
    pub fn token_with_kid(&self, kid: &str, claims: &Value) -> String {
        sign(&ISSUER_KEY, kid, claims)
    }

    pub async fn stop(&self) {
        self.server.stop(false).await;
    }
}

fn sign(key: &EncodingKey, kid: &str, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, key).expect("sign the token")
}

/// Records every message; what it does depends on the message's data:
/// `transient`, `permanent`, `panic`, `slow` (waits for `release`), else Ok.
#[derive(Default)]
pub struct RecordingHandler {
    calls: Mutex<Vec<PushMessage>>,
    finished: AtomicUsize,
    not_ready: Mutex<Option<String>>,
    pub started: Notify,
    pub release: Notify,
}

impl RecordingHandler {
    pub fn calls(&self) -> Vec<PushMessage> {
        self.calls.lock().expect("calls lock").clone()
    }

    pub fn finished(&self) -> usize {
        self.finished.load(Ordering::SeqCst)
    }

    pub fn set_not_ready(&self, reason: Option<&str>) {
        *self.not_ready.lock().expect("ready lock") = reason.map(str::to_owned);
    }
}

#[async_trait::async_trait]
impl PushHandler for RecordingHandler {
    async fn handle(&self, message: PushMessage) -> Result<(), HandlerError> {
        let data = message.data.clone();
        self.calls.lock().expect("calls lock").push(message);
        let result = match data.as_slice() {
            b"transient" => Err(HandlerError::Transient("store unavailable".into())),
            b"permanent" => Err(HandlerError::Permanent("unknown job j-404".into())),
            b"panic" => panic!("handler bug"),
            b"slow" => {
                self.started.notify_one();
                self.release.notified().await;
                Ok(())
            }
            _ => Ok(()),
        };
        self.finished.fetch_add(1, Ordering::SeqCst);
        result
    }

    async fn ready(&self) -> Result<(), String> {
        match self.not_ready.lock().expect("ready lock").clone() {
            Some(reason) => Err(reason),
            None => Ok(()),
        }
    }
}

/// The real app on a free port.
pub struct TestApp {
    pub address: String,
    pub handler: Arc<RecordingHandler>,
    pub stop: StopHandle,
    pub running: tokio::task::JoinHandle<Result<(), AppError>>,
    pub client: reqwest::Client,
}

/// Variables for an app that verifies tokens from `issuer`.
pub fn verifying_vars(issuer: &TestIssuer) -> Vec<(String, String)> {
    [
        ("PORT", "0"),
        ("SERVICE_NAME", "phase4-name"),
        ("PUSH_AUDIENCE", AUDIENCE),
        ("PUSH_SERVICE_ACCOUNT", SERVICE_ACCOUNT),
        ("OIDC_JWKS_URL", issuer.jwks_url.as_str()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

pub async fn spawn_app(vars: Vec<(String, String)>) -> TestApp {
    let config = Config::from_vars(vars).expect("test configuration is valid");
    let handler = Arc::new(RecordingHandler::default());
    let app = App::build(config, handler.clone()).await.expect("build the app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let stop = app.stop_handle();
    let running = tokio::spawn(app.run_until_stopped());
    TestApp { address, handler, stop, running, client: reqwest::Client::new() }
}

/// A push envelope as Pub/Sub sends it (both spellings of the ids).
pub fn envelope(message_id: &str, data: &[u8], attributes: &BTreeMap<String, String>) -> Value {
    let data = base64::engine::general_purpose::STANDARD.encode(data);
    json!({
        "subscription": "projects/manga-local/subscriptions/phase-4-requests-push",
        "message": {
            "data": data, "attributes": attributes,
            "messageId": message_id, "message_id": message_id,
            "publishTime": "2026-11-02T10:00:00.000Z", "publish_time": "2026-11-02T10:00:00.000Z",
        },
    })
}

impl TestApp {
    pub async fn push(&self, token: Option<&str>, body: &Value) -> reqwest::Response {
        self.push_raw(token, serde_json::to_vec(body).expect("serialise envelope")).await
    }

    pub async fn push_raw(&self, token: Option<&str>, body: Vec<u8>) -> reqwest::Response {
        let mut request = self
            .client
            .post(format!("{}/pubsub/push", self.address))
            .header("content-type", "application/json")
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("send the push")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.address)).send().await.expect("send the GET")
    }

    pub async fn metrics(&self) -> String {
        self.get("/metrics").await.text().await.expect("read /metrics")
    }

    /// Stops the app and waits until it has drained.
    pub async fn shutdown(self) {
        self.stop.stop();
        let result = tokio::time::timeout(Duration::from_secs(15), self.running)
            .await
            .expect("the app stops within the grace period")
            .expect("the app task does not panic");
        assert!(result.is_ok(), "run_until_stopped returned {result:?}");
    }
}

/// Collects every line written.
#[derive(Clone, Default)]
pub struct Capture(pub Arc<Mutex<Vec<u8>>>);

impl Capture {
    pub fn lines(&self) -> Vec<Value> {
        let bytes = self.0.lock().expect("capture lock").clone();
        String::from_utf8(bytes)
            .expect("UTF-8 logs")
            .lines()
            .map(|line| serde_json::from_str(line).expect("every line is one JSON object"))
            .collect()
    }
}

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("capture lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
