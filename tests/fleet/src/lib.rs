//! The fleet on one machine, for its end-to-end tests and its benchmarks:
//! [`Fleet::up`] runs `deploy/local/up` with a fresh project, database and
//! ports, and tears all of it down when dropped; [`real_speed`] runs it
//! against models as slow as real ones.
//!
//! Needs Postgres, Redis and the Pub/Sub emulator (`tests/run` starts them).

#![allow(clippy::disallowed_methods, reason = "the servers' addresses come from tests/run's environment")]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use manga_domain::{ArtifactKey, JobId, PhaseId};
use serde_json::Value;

pub mod real_speed;

/// The Postgres server the fleet's databases are made on.
pub const PGURL: &str = "postgres://root@127.0.0.1:5432";

/// One fleet, torn down (services stopped, topology and database removed) when dropped.
pub struct Fleet {
    root: PathBuf,
    /// The run directory: pids/, logs/, blobs/.
    pub dir: tempfile::TempDir,
    base: u16,
    /// The Pub/Sub project of this run.
    pub project: String,
    /// The Postgres database of this run.
    pub database: String,
    /// The emulator's host:port.
    pub emulator: String,
    profile: &'static str,
    env: Vec<(String, String)>,
}

impl Fleet {
    /// The fleet from debug binaries, as the test runs it.
    pub fn up() -> Fleet {
        Self::up_with("dev", &[])
    }

    /// The fleet from `profile`'s binaries (`dev` or `release`), with extra environment for every service.
    pub fn up_with(profile: &'static str, env: &[(&str, &str)]) -> Fleet {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("repo root");
        let emulator = std::env::var("PUBSUB_EMULATOR_HOST").unwrap_or_else(|_| "127.0.0.1:8085".into());
        let suffix = uuid::Uuid::new_v4().simple().to_string()[..10].to_owned();
        let base = 20_000 + (u16::from_str_radix(&suffix[..3], 16).expect("hex") % 400) * 10;
        let fleet = Fleet {
            root,
            dir: tempfile::tempdir().expect("tempdir"),
            base,
            project: format!("fleet-test-{suffix}"),
            database: format!("manga_fleet_{suffix}"),
            emulator,
            profile,
            env: env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        };
        let status = fleet.script("up").status().expect("deploy/local/up runs");
        assert!(status.success(), "deploy/local/up failed; logs in {}", fleet.dir.path().display());
        fleet
    }

    /// `deploy/local/<name>` with this fleet's settings.
    pub fn script(&self, name: &str) -> Command {
        let mut cmd = Command::new(self.root.join("deploy/local").join(name));
        cmd.env("FLEET_DIR", self.dir.path())
            .env("FLEET_BASE_PORT", self.base.to_string())
            .env("FLEET_DATABASE", &self.database)
            .env("FLEET_PROFILE", self.profile)
            .env("GOOGLE_CLOUD_PROJECT", &self.project)
            .env("PUBSUB_EMULATOR_HOST", &self.emulator)
            .env("WORK_LEASE_SECONDS", "15")
            // A fresh Redis namespace per run, as the database is: no run sees another's sessions or cached answers.
            .env("REDIS_KEY_PREFIX", format!("{}:", self.project))
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    /// The orchestrator's URL for `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.base)
    }

    /// A service's log so far.
    pub fn log(&self, service: &str) -> String {
        std::fs::read_to_string(self.dir.path().join("logs").join(format!("{service}.log"))).unwrap_or_default()
    }

    /// Submits the example story; returns the new job's id.
    pub async fn submit(&self, http: &reqwest::Client, pages: u32, seed: u64) -> JobId {
        let created: Value = http
            .post(self.url("/v1/jobs"))
            .json(&serde_json::json!({ "story": story(), "pages": pages, "seed": seed }))
            .send()
            .await
            .expect("POST /v1/jobs")
            .json()
            .await
            .expect("JSON");
        JobId::parse(created["id"].as_str().expect("id")).expect("a job id")
    }

    /// Waits until the job has succeeded or failed; returns its view. On a timeout the panic
    /// shows the job's last view and every service's last log lines about it, since the fleet's
    /// logs go with its temporary directory.
    pub async fn finished(&self, http: &reqwest::Client, id: JobId) -> Value {
        let limit = Duration::from_secs(480);
        let started = Instant::now();
        let mut last = Value::Null;
        loop {
            let view =
                async { http.get(self.url(&format!("/v1/jobs/{id}"))).send().await.ok()?.json::<Value>().await.ok() };
            if let Some(job) = view.await {
                if matches!(job["state"].as_str(), Some("succeeded" | "failed")) {
                    return job;
                }
                last = job;
            }
            if started.elapsed() > limit {
                panic!(
                    "timed out after {limit:?} waiting for job {id} to finish; last seen:\n{last:#}\n{}",
                    self.trail(id)
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// The last lines each service logged about `id`.
    fn trail(&self, id: JobId) -> String {
        let id = id.to_string();
        let mut trail = String::new();
        let services = std::iter::once("orchestrator".to_owned()).chain(PhaseId::ALL.map(PhaseId::service));
        for service in services {
            let log = self.log(&service);
            let lines: Vec<&str> = log.lines().filter(|line| line.contains(&id)).collect();
            trail += &format!("--- {service}: {} lines about the job, the last 15:\n", lines.len());
            for line in &lines[lines.len().saturating_sub(15)..] {
                trail += line;
                trail.push('\n');
            }
        }
        trail
    }

    /// An artifact's bytes.
    pub fn blob(&self, key: &ArtifactKey) -> Vec<u8> {
        std::fs::read(self.dir.path().join("blobs").join(key.as_str())).unwrap_or_else(|e| panic!("{key}: {e}"))
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        let _stopped = self.script("down").status();
        let target = std::env::var("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|_| self.root.join("target"));
        let manga = target.join(if self.profile == "dev" { "debug" } else { self.profile }).join("manga");
        let _removed = Command::new(manga)
            .args([
                "topology",
                "--remove",
                "--project",
                &self.project,
                "--emulator",
                &self.emulator,
                "--endpoint",
                "x=http://x",
            ])
            .status();
        let _dropped = Command::new("psql")
            .args([
                &format!("{PGURL}/postgres"),
                "-qc",
                &format!("drop database if exists \"{}\" with (force)", self.database),
            ])
            .status();
    }
}

/// Polls until `check` gives a value or `limit` passes.
pub async fn wait_for<T>(limit: Duration, what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(started.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The English example story.
pub fn story() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/the-lighthouse-keeper.txt"))
        .expect("example story")
}

/// The person the test acts as.
pub const TEST_USER: &str = "fleet-test";

/// A client that acts as one person, with a token signed by the fleet's development key (deploy/local/up).
pub fn authorised_client() -> reqwest::Client {
    let secret = "local-fleet-development-key-not-for-production";
    let user = manga_store::UserId::parse(TEST_USER).expect("a user id");
    let token = manga_orchestrator::http::auth::JwtKeys::new(secret.as_bytes())
        .issue(&user, std::time::Duration::from_secs(3600));
    let mut headers = reqwest::header::HeaderMap::new();
    let value = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}")).expect("a header value");
    headers.insert(reqwest::header::AUTHORIZATION, value);
    reqwest::Client::builder().default_headers(headers).build().expect("an HTTP client")
}
