//! The fleet at real model speed: [`run`] is the `real_speed` bench, and its
//! short form in the tests.
//!
//! Every phase service points at the fake providers (Gemini text and images),
//! which answer text in 3–15 s and images in 10–30 s (the seeds' latencies),
//! all times `scale`; each service cuts a push at its Cloud Run timeoutSeconds
//! times the same scale, as Cloud Run would. Jobs of `pages` pages run one
//! after another. Measured per job: phase 5's wall time against
//! ceil(panels / concurrency) × the mean image latency (the goal is at most
//! 1.2×; the concurrency here is the emulator's two pushes of a subscription
//! at once) and model calls per panel (1.0 with no faults); in all, phase 5's
//! pushes (its request, one per panel, and the redeliveries) and jobs left
//! running (must be 0).
//!
//! With `faults` the same runs under faults: 30 % of model calls answer
//! 429/503/500, every tenth message on the work topics is delivered a second
//! time (a tap on the topics publishes a copy), and phase 5 is killed with
//! SIGKILL mid-job and started again. Every job must then end succeeded or
//! failed with a reason, none left running.

#![allow(clippy::unwrap_used, reason = "a test harness: a failure should stop the run loudly")]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use manga_ai_fake::{Endpoint, FakeProviders};
use manga_bus::{Bus, BusMessage, PubSubBus};
use manga_domain::{ArtifactKey, CharacterBible, PanelArtSet, PhaseId, Version};
use manga_store::{JobState, PgStore, PoolSettings, Store};

use crate::{Fleet, PGURL, authorised_client, wait_for};

/// What to run.
#[derive(Debug, Clone)]
pub struct RealSpeed {
    /// Model latencies and request timeouts are the seeds' times this.
    pub scale: f64,
    /// One job of each many pages, in turn.
    pub pages: Vec<u32>,
    /// The services' cargo profile: `dev` or `release`.
    pub profile: &'static str,
    /// Model faults, duplicated messages and a SIGKILL of phase 5.
    pub faults: bool,
}

/// One job's figures.
#[derive(Debug, Clone)]
pub struct JobFigures {
    /// Pages asked for.
    pub pages: u32,
    /// `succeeded` or `failed` (never `running`: [`Fleet::finished`] waits).
    pub state: String,
    /// Why it failed.
    pub error: String,
    /// Panels drawn.
    pub panels: usize,
    /// Phase 5's wall time, from its first claim to its result.
    pub phase5_secs: f64,
    /// ceil(panels / concurrency) × the mean image latency.
    pub ideal_secs: f64,
    /// Image calls the fake model received per panel (portraits set aside).
    pub image_calls_per_panel: f64,
    /// From the job's creation to its end.
    pub job_secs: f64,
}

/// Everything a run measured.
#[derive(Debug, Clone)]
pub struct Figures {
    /// Each job, in the order run.
    pub jobs: Vec<JobFigures>,
    /// Pushes phase 5 handled over all jobs.
    pub phase5_pushes: usize,
    /// Jobs still running at the end.
    pub left_running: usize,
    /// Messages the fault tap delivered twice.
    pub copies: Option<usize>,
}

/// Whole seconds of `seconds × scale`, at least 1 (the services' settings are whole seconds).
fn scaled_secs(seconds: f64, scale: f64) -> String {
    ((seconds * scale).ceil() as u64).max(1).to_string()
}

/// Taps the work topics and publishes every tenth message once more, as Pub/Sub's
/// at-least-once delivery may; returns how many copies went out.
async fn duplicate_every_tenth(bus: Arc<PubSubBus>) -> Arc<AtomicUsize> {
    let (seen, copies) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let topics = PhaseId::ALL
        .iter()
        .map(|p| p.request_topic())
        .chain([manga_bus::topics::PHASE_5_PANELS.to_owned(), manga_bus::topics::PHASE_COMPLETED.to_owned()]);
    for topic in topics {
        let mut tap = bus.subscribe(&topic).await.expect("a tap on the topic");
        let (bus, seen, copies) = (bus.clone(), seen.clone(), copies.clone());
        tokio::spawn(async move {
            while let Some(message) = tap.next().await {
                if message.attributes.contains_key("bench_copy") || seen.fetch_add(1, Ordering::SeqCst) % 10 != 9 {
                    continue;
                }
                let mut copy = BusMessage::new(message.data.to_vec());
                copy.attributes = message.attributes.clone();
                copy.attributes.insert("bench_copy".into(), "1".into());
                if bus.publish(&topic, copy).await.is_ok() {
                    copies.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
    }
    copies
}

/// Brings up the fleet against the slow fake models, runs the jobs, and measures them,
/// printing a line per job as it ends.
///
/// # Panics
/// When the fleet cannot come up, a job does not end within [`Fleet::finished`]'s wait, or
/// (without faults) a job fails.
pub async fn run(settings: &RealSpeed) -> Figures {
    let scale = settings.scale;
    let at = |seconds: f64| Duration::from_secs_f64(seconds * scale);
    let fake = FakeProviders::start().await;
    fake.set_max_image_side(256);
    fake.set_latency(at(3.0)..=at(15.0), at(10.0)..=at(30.0), 5);
    if settings.faults {
        fake.fail_randomly(0.3, 11);
    }
    let mut env: Vec<(String, String)> =
        fake.env_for("gemini").into_iter().chain(fake.env_for("gemini-image")).collect();
    let owned = |k: &str, v: String| (k.to_owned(), v);
    env.extend([
        owned("FLEET_TIME_SCALE", scale.to_string()),
        owned("PHASE2_AI_TIMEOUT_SECONDS", scaled_secs(40.0, scale)),
        owned("PHASE5_AI_TIMEOUT_SECONDS", scaled_secs(40.0, scale)),
        owned("AI_TIMEOUT_SECONDS", scaled_secs(120.0, scale)),
        owned("PHASE_DEADLINE_SECONDS", scaled_secs(900.0, scale)),
        owned("AI_RATE_LIMIT_PER_MINUTE", "100000".into()),
        // Every panel a real call: the answer cache would answer alike panels from Redis.
        owned("AI_CACHE", "off".into()),
        // As deploy/cloudrun/phase5-images.yaml: one image call per push, as many as its containerConcurrency.
        owned("AI_CONCURRENCY", "5".into()),
        // The runtime's info line per push handled counts phase 5's pushes.
        owned("RUST_LOG", "warn,manga_runtime::routes=info".into()),
    ]);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let fleet = Fleet::up_with(settings.profile, &env);
    let http = authorised_client();
    let store = PgStore::connect(&format!("{PGURL}/{}", fleet.database), PoolSettings::default()).await.unwrap();
    let copies = if settings.faults {
        let bus = PubSubBus::new(fleet.project.clone(), Some(fleet.emulator.clone())).await.unwrap();
        Some(duplicate_every_tenth(Arc::new(bus)).await)
    } else {
        None
    };
    // One panel a push. Cloud Run would take containerConcurrency (5) pushes an instance, over as many
    // instances as it starts; the emulator pushes a subscription's messages two at a time (two push
    // loops, each waiting for its answer), so two panels at once is what this fleet can do.
    let concurrency = 2.0;
    let mean_image = at(20.0).as_secs_f64();
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    println!(
        "machine: {cpus} cpus; {} fleet on one machine; latencies x{scale}: text {:.1}-{:.1} s, images {:.1}-{:.1} s; \
         request timeouts x{scale}",
        settings.profile,
        at(3.0).as_secs_f64(),
        at(15.0).as_secs_f64(),
        at(10.0).as_secs_f64(),
        at(30.0).as_secs_f64()
    );
    let mut jobs = Vec::new();
    for &n in &settings.pages {
        fake.clear_requests();
        let id = fleet.submit(&http, n, 7).await;
        if settings.faults {
            // SIGKILL phase 5 a few panels into the phase, and start it again as Cloud Run would.
            wait_for(Duration::from_secs(600), "phase 5 to start", async || {
                let job: serde_json::Value =
                    http.get(fleet.url(&format!("/v1/jobs/{id}"))).send().await.ok()?.json().await.ok()?;
                (job["current_phase"] == 5).then_some(())
            })
            .await;
            tokio::time::sleep(at(40.0)).await;
            let pid = std::fs::read_to_string(fleet.dir.path().join("pids/phase5-images")).unwrap();
            assert!(std::process::Command::new("kill").args(["-9", pid.trim()]).status().unwrap().success());
            let restarted = fleet.script("up").env("FLEET_NO_BUILD", "1").status().unwrap();
            assert!(restarted.success(), "phase 5 did not come back");
            println!("  phase 5 killed (SIGKILL) {:.1} s into the phase and started again", at(40.0).as_secs_f64());
        }
        let job = fleet.finished(&http, id).await;
        let state = job["state"].as_str().unwrap_or_default().to_owned();
        let error = job["error"].as_str().unwrap_or_default().to_owned();
        if state != "succeeded" {
            assert!(settings.faults, "no faults, yet: {job:#}");
            println!("{n} pages: failed: {error}");
            jobs.push(JobFigures {
                pages: n,
                state,
                error,
                panels: 0,
                phase5_secs: 0.0,
                ideal_secs: 0.0,
                image_calls_per_panel: 0.0,
                job_secs: 0.0,
            });
            continue;
        }
        let v = Version::FIRST;
        let set: PanelArtSet =
            serde_json::from_slice(&fleet.blob(&ArtifactKey::phase_output(id, v, PhaseId::Images))).unwrap();
        let bible: CharacterBible =
            serde_json::from_slice(&fleet.blob(&ArtifactKey::phase_output(id, v, PhaseId::Characters))).unwrap();
        let images = fake.requests_to(Endpoint::GenerateContent).iter().filter(|r| r.task.is_none()).count();
        let panels = set.panels.len();
        let panel_calls = images.saturating_sub(bible.characters.len());
        let runs = store.list_phase_runs(id, v).await.unwrap();
        let phase5 = runs.iter().find(|r| r.key.phase == PhaseId::Images).unwrap();
        let wall = (phase5.finished_at.unwrap() - phase5.started_at).as_seconds_f64();
        let ideal = (panels as f64 / concurrency).ceil() * mean_image;
        let at_job = |field: &str| job[field].as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().unwrap();
        let figures = JobFigures {
            pages: n,
            state,
            error,
            panels,
            phase5_secs: wall,
            ideal_secs: ideal,
            image_calls_per_panel: panel_calls as f64 / panels as f64,
            job_secs: (at_job("updated_at") - at_job("created_at")).as_seconds_f64(),
        };
        println!(
            "{n} pages: {panels} panels; phase 5 {wall:.1} s vs ideal {ideal:.1} s = {:.2}x; {:.2} image calls a panel; \
             job {:.1} s",
            wall / ideal,
            figures.image_calls_per_panel,
            figures.job_secs,
        );
        jobs.push(figures);
        println!(
            "  phase 5 pushes handled, all jobs so far: {}",
            fleet.log("phase5-images").matches("push handled").count()
        );
    }
    let left_running = store.list_jobs_in_state(JobState::Running, chrono::Utc::now(), 1000).await.unwrap().len();
    let phase5_pushes = fleet.log("phase5-images").matches("push handled").count();
    Figures { jobs, phase5_pushes, left_running, copies: copies.map(|c| c.load(Ordering::SeqCst)) }
}
