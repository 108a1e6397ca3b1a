//! WebSocket figures, printed for docs/benchmarks.md (not a timed test):
//! how many sockets one `manga serve` process holds, its memory with them
//! open, and how late a progress event reaches every socket.
//!
//! 1. starts the release `manga serve` (MANGA_BIN, else the target dir's
//!    release binary: `cargo build --release -p manga` first) and makes a job
//!    in review mode;
//! 2. opens WS_CONNECTIONS (10,000) sockets on that job from this process;
//! 3. approves phases 1–3 one after another: each runs and broadcasts its
//!    progress to every socket; latency = arrival here − the event's `at`,
//!    stamped by the server when the event was made (same clock).
//!
//! Server and client share the machine's cores, so latencies include this
//! process reading 10,000 sockets. Needs `ulimit -n` above the socket count.
//!
//! Run: `cargo bench -p manga-orchestrator --bench websockets`.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a bench binary: a failure should stop it loudly")]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

/// Sockets opened at once while connecting.
const OPENING_AT_ONCE: usize = 256;

/// What the client reads of an event: as little as it needs, so that reading
/// 10,000 sockets costs the shared cores little.
#[derive(serde::Deserialize)]
struct Stamp<'a> {
    kind: &'a str,
    phase: Option<u64>,
    at: chrono::DateTime<chrono::Utc>,
}

/// The server process; killed when dropped.
struct Server {
    child: Child,
    base: String,
    token: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

#[allow(clippy::disallowed_methods, reason = "a bench reads its knobs from the environment")]
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn manga_bin() -> String {
    env("MANGA_BIN").unwrap_or_else(|| {
        let target =
            env("CARGO_TARGET_DIR").unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../../target").into());
        format!("{target}/release/manga")
    })
}

fn start_server(data: &std::path::Path) -> Server {
    let bin = manga_bin();
    let mut child = Command::new(&bin)
        .args(["serve", "--port", "0", "--data"])
        .arg(data)
        // 10,000 upgrades from one address in seconds: the per-IP limit is not what is measured.
        .env("RATE_LIMIT_PER_MINUTE", "100000000")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {bin} (cargo build --release -p manga): {e}"));
    let stdout = BufReader::new(child.stdout.take().unwrap());
    for line in stdout.lines() {
        let line = line.unwrap();
        if let Some(url) = line.strip_prefix("manga serve: open http://") {
            let (address, token) = url.split_once("/#token=").unwrap();
            return Server { child, base: address.to_owned(), token: token.to_owned() };
        }
    }
    child.kill().ok();
    child.wait().ok();
    panic!("manga serve exited without printing its address");
}

/// Resident memory of a process, from /proc, in MiB.
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib / 1024.0
}

fn open_files_limit() -> usize {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|soft| soft.parse().ok())
        .unwrap_or(usize::MAX)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

async fn job_state(client: &reqwest::Client, server: &Server, id: &str) -> Value {
    let url = format!("http://{}/v1/jobs/{id}", server.base);
    client.get(url).bearer_auth(&server.token).send().await.unwrap().json().await.unwrap()
}

async fn wait_for_review(client: &reqwest::Client, server: &Server, id: &str, phase: u64) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let job = job_state(client, server, id).await;
        if job["state"] == "awaiting_review" && job["current_phase"] == phase {
            return;
        }
        assert!(Instant::now() < deadline, "phase {phase} never awaited review: {job}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn main() {
    let connections: usize = env("WS_CONNECTIONS").and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let limit = open_files_limit();
    assert!(
        limit > connections + 100,
        "`ulimit -n` is {limit}; {connections} sockets need more (ulimit -n {})",
        connections * 2
    );
    let data = tempfile::tempdir().unwrap();
    let server = start_server(data.path());
    let pid = server.child.id();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let story = include_str!("../../../examples/kumo-to-kaze.txt");
        let created: Value = client
            .post(format!("http://{}/v1/jobs", server.base))
            .bearer_auth(&server.token)
            .json(&json!({"story": story, "pages": 4, "mode": "review", "seed": 1}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = created["id"].as_str().expect("a job id").to_owned();
        wait_for_review(&client, &server, &id, 1).await;
        let idle = rss_mib(pid);

        // Open the sockets, a few hundred at a time; each reads its snapshot first.
        let url = format!("ws://{}/ws/jobs/{id}?access_token={}", server.base, server.token);
        let latencies = Arc::new(Mutex::new(Vec::<f64>::new()));
        let opening = Instant::now();
        let mut readers = Vec::with_capacity(connections);
        let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<u64>();
        for chunk in (0..connections).collect::<Vec<_>>().chunks(OPENING_AT_ONCE) {
            let opened = futures_util::future::join_all(chunk.iter().map(|_| async {
                let (mut socket, _) = tokio_tungstenite::connect_async(&url).await.expect("socket opens");
                let first = socket.next().await.expect("a snapshot").expect("readable");
                assert!(first.to_text().unwrap().contains("\"snapshot\""));
                socket
            }))
            .await;
            for mut socket in opened {
                let (latencies, done_tx) = (latencies.clone(), done_tx.clone());
                readers.push(tokio::spawn(async move {
                    while let Some(Ok(message)) = socket.next().await {
                        let Message::Text(text) = message else { continue };
                        let arrived = chrono::Utc::now();
                        let event: Stamp = serde_json::from_str(&text).unwrap();
                        let ms = (arrived - event.at).num_microseconds().unwrap_or(i64::MAX) as f64 / 1000.0;
                        latencies.lock().unwrap().push(ms);
                        if event.kind == "awaiting_review" {
                            done_tx.send(event.phase.unwrap_or(0)).ok();
                        }
                    }
                }));
            }
        }
        let open_time = opening.elapsed();
        tokio::time::sleep(Duration::from_secs(1)).await;
        let open_rss = rss_mib(pid);
        let health: Value =
            client.get(format!("http://{}/ws/health", server.base)).send().await.unwrap().json().await.unwrap();

        // Three phases' worth of broadcasts: approve, then wait until every socket saw the next review.
        for phase in 1..=3u64 {
            client
                .post(format!("http://{}/v1/jobs/{id}/feedback", server.base))
                .bearer_auth(&server.token)
                .json(&json!({"phase": phase, "action": "approve"}))
                .send()
                .await
                .unwrap()
                .error_for_status()
                .unwrap();
            let mut reached = 0;
            let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
            while reached < connections {
                let got = tokio::time::timeout_at(deadline, done_rx.recv()).await.expect("every socket hears the review");
                if got == Some(phase + 1) {
                    reached += 1;
                }
            }
        }
        let peak_rss = rss_mib(pid);
        let mut all = latencies.lock().unwrap().clone();
        all.sort_by(f64::total_cmp);
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        println!("machine: {cpus} cpus; server: {} (release), client: this process", manga_bin());
        println!("sockets: {connections} open in {:.2} s; /ws/health open_streams = {}", open_time.as_secs_f64(), health["open_streams"]);
        println!(
            "server RSS: {idle:.0} MiB idle, {open_rss:.0} MiB with the sockets open ({:.1} KiB a socket), {peak_rss:.0} MiB after broadcasting",
            (open_rss - idle) * 1024.0 / connections as f64
        );
        println!(
            "broadcast: {} deliveries ({} events × {connections} sockets); latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            all.len(),
            all.len() / connections.max(1),
            percentile(&all, 50.0),
            percentile(&all, 99.0),
            all.last().copied().unwrap_or(f64::NAN)
        );
        for reader in readers {
            reader.abort();
        }
    });
}
