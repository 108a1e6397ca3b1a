//! The fleet with remote models: every phase service points at the in-process
//! fake of the providers (Gemini API text and images), 30 % of whose answers
//! fail transiently; the job still completes, its art and text come from the
//! fake, and its usage is shown by the orchestrator's API.
//!
//! Needs Postgres, Redis and the Pub/Sub emulator (`tests/run` starts them).

use manga_ai_fake::{Endpoint, FakeProviders};
use manga_fleet_tests::{Fleet, authorised_client};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_through_remote_models_with_30_percent_faults_completes_across_the_fleet() {
    let fake = FakeProviders::start().await;
    fake.set_max_image_side(256);
    fake.fail_randomly(0.3, 11);
    let mut env: Vec<(String, String)> =
        fake.env_for("gemini").into_iter().chain(fake.env_for("gemini-image")).collect();
    env.extend(
        [("AI_RETRIES", "8"), ("AI_RATE_LIMIT_PER_MINUTE", "100000")].map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let fleet = Fleet::up_with("dev", &env);
    let http = authorised_client();

    let id = fleet.submit(&http, 2, 5).await;
    let job = fleet.finished(&http, id).await;
    assert_eq!(job["state"], "succeeded", "{job:#}");
    assert!(fake.problems().is_empty(), "{:?}", fake.problems());

    // The phases' usage reaches the API's view: text from gemini, art from gemini-image, with retries.
    let usage = job["usage"].as_array().expect("usage");
    let of = |provider: &str| usage.iter().find(|u| u["provider"] == provider).unwrap_or_else(|| panic!("{job:#}"));
    let (text, art) = (of("gemini"), of("gemini-image"));
    assert!(text["requests"].as_u64().unwrap_or(0) >= 4, "concept, characters, plot, storyboard: {text}");
    assert!(art["images"].as_u64().unwrap_or(0) >= 4, "portraits and panels: {art}");
    assert!(job["cost_usd"].as_f64().unwrap_or(0.0) > 0.0, "{job:#}");
    let retries: u64 = usage.iter().map(|u| u["retries"].as_u64().unwrap_or(0)).sum();
    assert!(retries > 0, "30 % of the answers failed, so some calls were retried: {usage:?}");
    assert_eq!(job["phases"][4]["usage"][0]["provider"], "gemini-image", "{:#}", job["phases"][4]);
    let received = fake.requests_to(Endpoint::GenerateContent).len() as u64;
    let accounted: u64 = usage.iter().map(|u| u["requests"].as_u64().unwrap_or(0)).sum();
    assert_eq!(accounted, received, "every call the fake saw is accounted once, across nine processes");

    // Chat goes through the orchestrator's own text model, counted on its /metrics.
    let chat = http
        .post(fleet.url(&format!("/v1/jobs/{id}/chat")))
        .json(&serde_json::json!({"message": "make page 1 darker", "phase": 5}))
        .send()
        .await
        .expect("chat");
    assert_eq!(chat.status(), 200, "{}", chat.text().await.unwrap_or_default());
    let metrics = http.get(fleet.url("/metrics")).send().await.expect("metrics").text().await.expect("metrics body");
    assert!(
        metrics.lines().any(|l| l.starts_with("ai_requests_total{") && l.contains("provider=\"gemini\"")),
        "the orchestrator counts its chat call: {metrics}"
    );
}
