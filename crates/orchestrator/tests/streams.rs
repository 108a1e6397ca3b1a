//! Live streams and persistence over a real socket: Server-Sent Events, the
//! WebSocket (events out, chat and feedback in), fan-out through Redis
//! between two hubs (two orchestrator instances), and a restart mid-review.

#![allow(clippy::unwrap_used)]

#[path = "api/support.rs"]
mod support;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use manga_orchestrator::api::{ApiSettings, routes};
use manga_orchestrator::events::{EventHub, JobEvent, RedisHub};
use manga_orchestrator::local::LocalProduct;
use manga_orchestrator::service::ServiceSettings;
use serde_json::{Value, json};
use support::*;
use tokio_tungstenite::tungstenite::Message;

/// Serves the product's routes on a free loopback port.
async fn listen(product: &Product) -> String {
    let routes = routes(product.local.service.clone(), product.settings.clone());
    let server = actix_web::HttpServer::new(move || {
        let routes = routes.clone();
        actix_web::App::new().configure(move |cfg| routes(cfg))
    })
    .workers(1)
    .bind(("127.0.0.1", 0))
    .unwrap();
    let address = server.addrs()[0];
    actix_web::rt::spawn(server.run());
    format!("127.0.0.1:{}", address.port())
}

async fn create_over_http(base: &str, body: Value) -> String {
    let res = reqwest::Client::new()
        .post(format!("http://{base}/v1/jobs"))
        .bearer_auth(token("alice"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn server_sent_events_start_with_a_snapshot_then_follow_the_job_to_its_end() {
    let product = Product::start().await;
    let base = listen(&product).await;
    let id = create_over_http(&base, small_job("auto")).await;
    let mut res =
        reqwest::get(format!("http://{base}/v1/jobs/{id}/events?access_token={}", token("alice"))).await.unwrap();
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let mut text = String::new();
    let mut kinds = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while !kinds.iter().any(|k| k == "job_finished") {
        let chunk = tokio::time::timeout_at(deadline, res.chunk()).await.expect("the job finishes").unwrap().unwrap();
        text.push_str(std::str::from_utf8(&chunk).unwrap());
        while let Some(end) = text.find("\n\n") {
            let frame: String = text.drain(..end + 2).collect();
            if let Some(data) = frame.lines().find_map(|l| l.strip_prefix("data: ")) {
                let event: JobEvent = serde_json::from_str(data).unwrap();
                assert_eq!(event.job_id, id);
                kinds.push(event.kind);
            }
        }
    }
    assert_eq!(kinds[0], "snapshot");
    assert!(kinds.iter().any(|k| k == "phase_progress"), "progress with counts: {kinds:?}");
    assert!(kinds.iter().filter(|k| *k == "phase_finished").count() >= 1, "{kinds:?}");

    let stranger =
        reqwest::get(format!("http://{base}/v1/jobs/{id}/events?access_token={}", token("bob"))).await.unwrap();
    assert_eq!(stranger.status(), 404, "someone else's job streams nothing");
}

#[actix_web::test]
async fn the_websocket_carries_events_out_and_chat_and_feedback_in() {
    let product = Product::start().await;
    let base = listen(&product).await;
    let id = create_over_http(&base, small_job("review")).await;
    let url = format!("ws://{base}/ws/jobs/{id}?access_token={}", token("alice"));
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    {
        let mut next = async || -> Value {
            loop {
                let message =
                    tokio::time::timeout(Duration::from_secs(60), socket.next()).await.unwrap().unwrap().unwrap();
                if let Message::Text(text) = message {
                    return serde_json::from_str(&text).unwrap();
                }
            }
        };
        assert_eq!(next().await["kind"], "snapshot");
        loop {
            let event = next().await;
            if event["kind"] == "awaiting_review" {
                assert_eq!(event["phase"], 1);
                break;
            }
        }
    }
    socket.send(Message::text(json!({"type": "chat", "message": "looks good", "phase": 1}).to_string())).await.unwrap();
    socket.send(Message::text(json!({"type": "feedback", "phase": 1, "action": "approve"}).to_string())).await.unwrap();
    socket.send(Message::text("{not json").to_string().into()).await.unwrap();
    let mut replies = Vec::new();
    while replies.len() < 3 {
        let message = tokio::time::timeout(Duration::from_secs(60), socket.next()).await.unwrap().unwrap().unwrap();
        let Message::Text(text) = message else { continue };
        let event: Value = serde_json::from_str(&text).unwrap();
        // Replies carry the answer (or an error); broadcasts of the same kinds have no `error` and a version.
        match event["kind"].as_str() {
            Some("chat") if event["data"]["action"] == "approve" && event["version"] == 0 => replies.push(event),
            Some("feedback") if event["data"]["job"].is_object() => replies.push(event),
            Some("error") => replies.push(event),
            _ => {}
        }
    }
    assert!(replies.iter().any(|e| e["kind"] == "chat" && e["data"]["phase"] == 1));
    assert!(replies.iter().any(|e| e["kind"] == "feedback" && e["data"]["job"]["phases"][0]["state"] == "approved"));
    assert!(replies.iter().any(|e| e["kind"] == "error" && e["error"].as_str().unwrap().contains("messages are")));
}

#[actix_web::test]
async fn a_restart_mid_review_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let settings = ApiSettings::for_tests(SECRET);
    let id = {
        let local = LocalProduct::start(dir.path(), ServiceSettings::default(), false).await.unwrap();
        let user = manga_store::UserId::parse("alice").unwrap();
        let body = serde_json::from_value(small_job("review")).unwrap();
        let job = local.service.create_job(&user, body).await.unwrap();
        for _ in 0..600 {
            if local.service.get_job(&user, &job.id).await.unwrap().state == "awaiting_review" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        job.id
    }; // the process "stops" here: every task is dropped
    let product = Product {
        local: LocalProduct::start(dir.path(), ServiceSettings::default(), false).await.unwrap(),
        dir,
        settings,
    };
    let app = product.app().await;
    let (status, job) =
        call(&app, actix_web::test::TestRequest::get().uri(&format!("/v1/jobs/{id}")).insert_header(bearer("alice")))
            .await;
    assert_eq!((status, job["state"].as_str(), job["current_phase"].as_u64()), (200, Some("awaiting_review"), Some(1)));
    let approve = actix_web::test::TestRequest::post()
        .uri(&format!("/v1/jobs/{id}/feedback"))
        .insert_header(bearer("alice"))
        .set_json(json!({"phase": 1, "action": "approve"}));
    assert_eq!(call(&app, approve).await.0, 202);
    wait_until(&app, "alice", &id, |j| j["state"] == "awaiting_review" && j["current_phase"] == 2).await;
}

#[allow(clippy::disallowed_methods, reason = "tests find Redis as tests/run exports it")]
fn redis_url() -> String {
    match std::env::var("REDIS_URL") {
        Ok(url) => url,
        Err(_) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("REDIS_URL is not set and CI=true: tests/run starts Redis")
        }
        Err(_) => "redis://127.0.0.1:6379".into(),
    }
}

#[tokio::test]
async fn an_event_published_on_one_instance_reaches_a_stream_on_another_through_redis() {
    let prefix = format!("test-{}:", uuid::Uuid::new_v4().simple());
    let url = redis_url();
    let connect = || manga_cache::Cache::connect(&url, prefix.clone());
    let (a, b) = (RedisHub::new(connect().await.expect("Redis is reachable")), RedisHub::new(connect().await.unwrap()));
    let job = manga_domain::JobId::new();
    let mut follows = a.subscribe(job).await;
    // The subscription is set up by a task; give it a moment, then publish until it arrives.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let got = loop {
        b.publish(JobEvent::new(job, 1, Some(5), "phase_progress", "panel p01-1 drawn")).await;
        if let Ok(Ok(event)) = tokio::time::timeout(Duration::from_millis(200), follows.recv()).await {
            break event;
        }
        assert!(tokio::time::Instant::now() < deadline, "the event never crossed Redis");
    };
    assert_eq!((got.kind.as_str(), got.message.as_str(), got.phase), ("phase_progress", "panel p01-1 drawn", Some(5)));
    assert_eq!(a.open_streams(), 1);
}

#[actix_web::test]
async fn every_change_is_mirrored_into_the_jobs_redis_session() {
    let prefix = format!("test-{}:", uuid::Uuid::new_v4().simple());
    let cache = manga_cache::Cache::connect(&redis_url(), prefix).await.expect("Redis is reachable");
    let dir = tempfile::tempdir().unwrap();
    let local = LocalProduct::start_with(
        dir.path(),
        ServiceSettings::default(),
        true,
        Some(std::sync::Arc::new(cache.clone())),
        Default::default(),
    )
    .await
    .unwrap();
    let user = manga_store::UserId::parse("alice").unwrap();
    let job = local.service.create_job(&user, serde_json::from_value(small_job("review")).unwrap()).await.unwrap();
    let id = manga_domain::JobId::parse(&job.id).unwrap();

    // Waits until the session in Redis satisfies `done`.
    let session_where = |done: fn(&manga_cache::Session) -> bool| {
        let cache = cache.clone();
        async move {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
            loop {
                let session = cache.get_session(id).await.unwrap();
                match session {
                    Some(s) if done(&s) => return s,
                    other => assert!(tokio::time::Instant::now() < deadline, "session never got there: {other:?}"),
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    use manga_domain::PhaseId;
    let review =
        session_where(|s| s.phase_results.get(&PhaseId::Concept).is_some_and(|r| r["state"] == "awaiting_review"))
            .await;
    assert_eq!((review.user_id.as_str(), review.current_phase), ("alice", PhaseId::Concept));
    let timeout = review.feedback_timeout.expect("a review waits with a deadline");
    let wait = (timeout - review.session_start).num_seconds();
    assert!((1799..=1900).contains(&wait), "the deadline is MAX_FEEDBACK_WAIT_TIME after the review began: {wait} s");
    assert_eq!(cache.session_key(id), format!("{}session:{id}", cache.prefix()));

    let approve = serde_json::from_value(json!({"phase": 1, "action": "approve"})).unwrap();
    local.service.feedback(&user, &job.id, approve).await.unwrap();
    let next = session_where(|s| s.current_phase == PhaseId::Characters && s.feedback_timeout.is_some()).await;
    assert_eq!(next.phase_results[&PhaseId::Concept]["state"], "approved");

    local.service.cancel(&user, &job.id).await.unwrap();
    let cancelled = session_where(|s| s.feedback_timeout.is_none()).await;
    assert_eq!(cancelled.current_phase, PhaseId::Characters);
    cache.purge_prefix().await.unwrap();
}

#[actix_web::test]
async fn hitl_counters_count_reviews_feedback_and_timeouts() {
    let dir = tempfile::tempdir().unwrap();
    let settings = ServiceSettings {
        feedback_wait: Duration::from_millis(300),
        timeout_action: manga_orchestrator::service::TimeoutAction::Pause,
        ..ServiceSettings::default()
    };
    let local = LocalProduct::start(dir.path(), settings, true).await.unwrap();
    let metrics = local.service.metrics().clone();
    let user = manga_store::UserId::parse("alice").unwrap();
    let job = local.service.create_job(&user, serde_json::from_value(small_job("review")).unwrap()).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while metrics.timeouts.get() == 0 {
        assert!(tokio::time::Instant::now() < deadline, "the review never timed out");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!((metrics.reviews.get(), metrics.timeouts.get()), (1, 1), "phase 1's review began and timed out");
    let approve = serde_json::from_value(json!({"phase": 1, "action": "approve"})).unwrap();
    local.service.feedback(&user, &job.id, approve).await.unwrap();
    assert_eq!(metrics.feedback.with_label_values(&["approve"]).get(), 1);
    let registry = prometheus::Registry::new();
    metrics.register(&registry).unwrap();
    let names: Vec<_> = registry.gather().iter().map(|f| f.name().to_owned()).collect();
    assert_eq!(names, ["hitl_feedback_total", "hitl_review_timeouts_total", "hitl_reviews_total"]);
}
