//! `manga serve` killed mid-job (SIGKILL: nothing is flushed, nothing said)
//! and started again on the same `--data` finishes the job it left, and
//! takes the token it gave before (no SECRET_KEY: the key kept in `--data`),
//! so a page left open carries on.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// `manga serve` on a free port; returns the child and its base URL and token.
fn serve(data: &std::path::Path) -> (Child, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_manga"))
        .args(["serve", "--port", "0", "--data"])
        .arg(data)
        .env_remove("SECRET_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("manga serve starts");
    let stdout = child.stdout.take().expect("stdout");
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("a line");
        if let Some(url) = line.strip_prefix("manga serve: open ") {
            let (base, token) = url.split_once("/#token=").expect("url with token");
            return (child, base.to_owned(), token.to_owned());
        }
    }
    child.kill().ok();
    child.wait().ok();
    panic!("manga serve never printed its address");
}

fn curl(args: &[&str]) -> Value {
    let out = Command::new("curl").args(["-s", "--max-time", "10"]).args(args).output().expect("curl runs");
    serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
}

fn job(base: &str, token: &str, id: &str) -> Value {
    curl(&["-H", &format!("Authorization: Bearer {token}"), &format!("{base}/v1/jobs/{id}")])
}

#[test]
fn a_job_interrupted_by_kill_9_finishes_after_a_restart() {
    let data = tempfile::tempdir().expect("temp dir");
    let (mut first, base, token) = serve(data.path());
    let story = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/kumo-to-kaze.txt"))
        .expect("example story");
    let body = serde_json::json!({ "story": story, "pages": 24 }).to_string();
    let created = curl(&[
        "-X",
        "POST",
        "-H",
        &format!("Authorization: Bearer {token}"),
        "-H",
        "Content-Type: application/json",
        "--data",
        &body,
        &format!("{base}/v1/jobs"),
    ]);
    let id = created["id"].as_str().unwrap_or_else(|| panic!("a job id: {created}")).to_owned();

    // Kill it once the job is past its first phases and still running.
    let started = Instant::now();
    loop {
        let view = job(&base, &token, &id);
        assert_eq!(view["state"], "running", "the job ended before it could be interrupted: {view}");
        if view["current_phase"].as_u64().is_some_and(|p| p >= 4) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "phase 4 never began: {view}");
        std::thread::sleep(Duration::from_millis(50));
    }
    first.kill().expect("SIGKILL");
    first.wait().expect("reaped");

    let (mut second, base, _) = serve(data.path());
    let started = Instant::now();
    let view = loop {
        // The first run's token, as a page left open holds it.
        let view = job(&base, &token, &id);
        if view["state"] != "running" {
            break view;
        }
        assert!(started.elapsed() < Duration::from_secs(300), "still running after the restart: {view}");
        std::thread::sleep(Duration::from_millis(200));
    };
    second.kill().ok();
    second.wait().ok();
    assert_eq!(view["state"], "succeeded", "{view}");
    let pages = data.path().join("artifacts/jobs").join(&id).join("v1/pages");
    assert_eq!(std::fs::read_dir(&pages).expect("pages written").count(), 24, "every page of the resumed job");
}
