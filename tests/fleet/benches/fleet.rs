//! Fleet figures, printed for docs/benchmarks.md (not a timed test).
//!
//! The release fleet comes up on this machine (deploy/local/up: the Pub/Sub
//! emulator, Postgres, Redis, nine services) with `SIMULATED_AI_SCALE=0.01`:
//! every phase first waits its real AI latency from the seeds ×0.01. Then a
//! warm-up job and FLEET_BENCH_JOBS (5) measured jobs run one after another.
//!
//! - handoff: one phase's run finished (its completion is published next) →
//!   the next phase's run started: two Pub/Sub push deliveries with the
//!   orchestrator's Postgres transition in between (from the phase runs table);
//! - orchestration overhead: job wall time (created → succeeded, server clock)
//!   − the simulated AI waits (sequential, so all on the critical path)
//!   − the same job's compute, measured embedded in one process.
//!
//! Run: `cargo bench -p manga-fleet-tests --bench fleet` (needs Postgres,
//! Redis and the emulator, as the fleet test does).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a bench binary: a failure should stop it loudly")]

use std::time::{Duration, Instant};

use manga_domain::{JobId, JobOptions, PageCount, PhaseId, StoryText, Version};
use manga_fleet_tests::{Fleet, PGURL, authorised_client, story};
use manga_orchestrator::JobSpec;
use manga_orchestrator::embedded::Embedded;
use manga_phases::simulated;
use manga_store::{PgStore, PoolSettings, Store};

const SCALE: f64 = 0.01;
const PAGES: u32 = 4;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * (sorted.len().saturating_sub(1)) as f64).round() as usize;
    sorted.get(rank).copied().unwrap_or(f64::NAN)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    percentile(&values, 50.0)
}

#[allow(clippy::disallowed_methods, reason = "a bench reads its knobs from the environment")]
fn jobs_to_measure() -> usize {
    std::env::var("FLEET_BENCH_JOBS").ok().and_then(|n| n.parse().ok()).unwrap_or(5)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let options = || JobOptions { pages: Some(PageCount::parse(PAGES).unwrap()), seed: 3, ..JobOptions::default() };

        // The jobs' own compute, with no bus, database or network: the embedded pipeline.
        let mut compute = Vec::new();
        for _ in 0..3 {
            let work = tempfile::tempdir().unwrap();
            let embedded = Embedded::start(work.path()).await.unwrap();
            let spec = JobSpec { job: JobId::new(), story: StoryText::parse(story()).unwrap(), options: options() };
            let started = Instant::now();
            embedded.run_job(&spec).await.unwrap();
            compute.push(started.elapsed().as_secs_f64());
        }
        let compute = median(compute);

        let scale = SCALE.to_string();
        let fleet = Fleet::up_with("release", &[("SIMULATED_AI_SCALE", &scale), ("RUST_LOG", "warn")]);
        let http = authorised_client();
        let store = PgStore::connect(&format!("{PGURL}/{}", fleet.database), PoolSettings::default()).await.unwrap();
        let simulated: Duration = PhaseId::ALL.into_iter().map(|p| simulated::scaled(p, SCALE)).sum();
        let real_ai: Duration = PhaseId::ALL.into_iter().map(simulated::seed_ai_latency).sum();

        let (mut walls, mut handoffs) = (Vec::new(), Vec::new());
        for i in 0..=jobs_to_measure() {
            let id = fleet.submit(&http, PAGES, 3).await;
            let job = fleet.finished(&http, id).await;
            assert_eq!(job["state"], "succeeded", "{job:#}");
            if i == 0 {
                continue; // warm-up: first connections, caches, fonts
            }
            let at = |field: &str| job[field].as_str().unwrap().parse::<chrono::DateTime<chrono::Utc>>().unwrap();
            walls.push((at("updated_at") - at("created_at")).as_seconds_f64());
            let runs = store.list_phase_runs(id, Version::FIRST).await.unwrap();
            for pair in PhaseId::ALL.windows(2) {
                let of = |phase| runs.iter().find(|r| r.key.phase == phase && r.key.attempt == 1).unwrap();
                let (before, after) = (of(pair[0]), of(pair[1]));
                handoffs.push((after.started_at - before.finished_at.unwrap()).as_seconds_f64() * 1000.0);
            }
        }
        handoffs.sort_by(f64::total_cmp);
        let wall = median(walls.clone());
        let overhead = wall - simulated.as_secs_f64() - compute;
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        println!("machine: {cpus} cpus; release fleet on one machine; {} jobs of {PAGES} pages after a warm-up", walls.len());
        println!(
            "handoff between phases ({} samples): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            handoffs.len(),
            percentile(&handoffs, 50.0),
            percentile(&handoffs, 99.0),
            handoffs.last().copied().unwrap_or(f64::NAN)
        );
        println!(
            "job wall time: median {wall:.3} s (all: {walls:.3?}); simulated AI waits {:.3} s (x{SCALE} of {} s); compute (embedded) {compute:.3} s",
            simulated.as_secs_f64(),
            real_ai.as_secs()
        );
        println!(
            "orchestration overhead: {overhead:.3} s a job = {:.2} % of the AI time at real scale ({} s)",
            overhead / real_ai.as_secs_f64() * 100.0,
            real_ai.as_secs()
        );
    });
}
