//! Typed configuration, read once from environment variables.
//!
//! [`Config::from_env`] is the only place in the workspace that reads the
//! process environment; [`Config::from_vars`] parses the same names from any
//! list, so tests never touch the real environment. An empty value counts as
//! unset (deploy scripts often write `VAR=`). A bad value stops the service at
//! start with a message naming the variable.

use std::{collections::HashMap, fmt, time::Duration};

use reqwest::Url;

use crate::error::ConfigError;

/// Every variable this module reads, so `from_env` can pick them out.
const VARIABLES: &[&str] = &[
    "PORT",
    "SERVICE_NAME",
    "K_SERVICE",
    "GOOGLE_CLOUD_PROJECT",
    "PUBSUB_EMULATOR_HOST",
    "DATABASE_URL",
    "REDIS_URL",
    "REDIS_KEY_PREFIX",
    "PUSH_AUTH",
    "PUSH_AUDIENCE",
    "PUSH_SERVICE_ACCOUNT",
    "OIDC_ISSUERS",
    "OIDC_JWKS_URL",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "RUST_LOG",
    "SHUTDOWN_GRACE_SECONDS",
    "BLOB_ROOT",
    "WORK_LEASE_SECONDS",
    "REQUEST_TIMEOUT_SECONDS",
    "CONTAINER_CONCURRENCY",
    "SECRET_KEY",
    "JWT_ALGORITHM",
    "CORS_ORIGINS",
    "MAX_FEEDBACK_WAIT_TIME",
    "PHASE_DEADLINE_SECONDS",
    "HITL_TIMEOUT_ACTION",
    "TRUST_FORWARDED_FOR",
    "SIMULATED_AI_SCALE",
    "BLOB_BACKEND",
    "GCS_BUCKET_PREFIX",
];

const DEFAULT_PROJECT: &str = "manga-local";
const DEFAULT_ISSUERS: &str = "https://accounts.google.com,accounts.google.com";
const DEFAULT_JWKS_URL: &str = "https://www.googleapis.com/oauth2/v3/certs";

/// Settings every service shares.
#[derive(Clone)]
pub struct Config {
    /// `PORT` (default 8080; 0 picks a free port, for tests).
    pub port: u16,
    /// `SERVICE_NAME`, else Cloud Run's `K_SERVICE`, else `"manga"`.
    pub service_name: String,
    /// `GOOGLE_CLOUD_PROJECT` (default `manga-local`).
    pub project_id: String,
    /// `PUBSUB_EMULATOR_HOST` (`host:port`), set only against the emulator.
    pub pubsub_emulator_host: Option<String>,
    /// `DATABASE_URL`; may hold a password, hence [`Secret`].
    pub database_url: Option<Secret>,
    /// `REDIS_URL`; may hold a password, hence [`Secret`].
    pub redis_url: Option<Secret>,
    /// `REDIS_KEY_PREFIX` (default empty: the seeds' key names as they are).
    pub redis_key_prefix: String,
    /// `PUSH_AUTH` and the OIDC settings it needs.
    pub push_auth: PushAuth,
    /// Logs and traces.
    pub telemetry: TelemetryConfig,
    /// `SHUTDOWN_GRACE_SECONDS` (default 10): how long in-flight pushes may
    /// run after SIGTERM before they are cut off (and so redelivered).
    pub shutdown_grace: Duration,
    /// `BLOB_ROOT`: the directory artifacts live in when they are local
    /// files (the local fleet); unset means the service's default.
    pub blob_root: Option<std::path::PathBuf>,
    /// `BLOB_BACKEND` (`local`, the default, or `gcs`) with `GCS_BUCKET_PREFIX`.
    pub blob_backend: BlobBackend,
    /// `REQUEST_TIMEOUT_SECONDS` (unset: none): a push still running past it
    /// is answered 504 and its work dropped, as Cloud Run does at the service's
    /// `timeoutSeconds`; deploy/local/up sets it so the local fleet fails where
    /// Cloud Run would.
    pub request_timeout: Option<Duration>,
    /// `CONTAINER_CONCURRENCY` (unset: no limit): pushes handled at once; more
    /// wait for a free slot before their request timeout starts, as Cloud Run
    /// holds a request until an instance has room (its `containerConcurrency`).
    /// deploy/local/up sets it so a local service takes what one instance would.
    pub container_concurrency: Option<usize>,
    /// `WORK_LEASE_SECONDS` (default: the request timeout, else 60): how long a
    /// claim on a phase run stands without a heartbeat (one every quarter
    /// lease); after that a redelivery takes the run over (its instance is
    /// presumed dead).
    pub work_lease: Duration,
    /// What only the orchestrator reads (people's tokens, CORS, reviews).
    pub api: ApiConfig,
    /// `SIMULATED_AI_SCALE` (benchmarks only, unset normally): a phase service
    /// first waits its phase's real AI latency from the seeds times this factor
    /// (0.01 = a hundredth), so orchestration overhead can be measured against it.
    pub simulated_ai_scale: Option<f64>,
}

/// Where artifacts are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobBackend {
    /// Files under `BLOB_ROOT` (embedded mode, the local fleet).
    Local,
    /// Cloud Storage buckets `{prefix}{role}` (`GCS_BUCKET_PREFIX`, e.g. `my-project-manga-`).
    Gcs {
        /// The buckets' common prefix.
        bucket_prefix: String,
    },
}

/// The public API's settings (the orchestrator's; the phase services ignore them).
#[derive(Clone)]
pub struct ApiConfig {
    /// `SECRET_KEY`: the HS256 key people's tokens are signed with (required by the orchestrator).
    pub secret_key: Option<Secret>,
    /// `CORS_ORIGINS`, comma-separated (default none: the page's own origin only).
    pub cors_origins: Vec<String>,
    /// `MAX_FEEDBACK_WAIT_TIME` in seconds (default 1800): how long a review may wait.
    pub max_feedback_wait: Duration,
    /// `PHASE_DEADLINE_SECONDS` (default 900): how long a job may run one step with
    /// no change before the stall sweep sends its request again.
    pub phase_deadline: Duration,
    /// `HITL_TIMEOUT_ACTION` `approve` (default) or `pause`: what a review that waited too long does.
    pub pause_on_timeout: bool,
    /// `TRUST_FORWARDED_FOR` `true`/`false` (default false): the client IP is the first
    /// `X-Forwarded-For` hop (only behind a load balancer that sets it).
    pub trust_forwarded_for: bool,
}

/// How `POST /pubsub/push` authenticates its caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushAuth {
    /// `PUSH_AUTH=verify` (the default): a Google-signed OIDC token is required.
    Verify(OidcSettings),
    /// `PUSH_AUTH=off`: only allowed with `PUBSUB_EMULATOR_HOST`, because the
    /// emulator pushes without a token.
    Off,
}

/// What a push token must satisfy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcSettings {
    /// `PUSH_AUDIENCE`: the token's `aud` (the service URL).
    pub audience: String,
    /// `PUSH_SERVICE_ACCOUNT`: the token's `email`.
    pub service_account: String,
    /// `OIDC_ISSUERS`: accepted `iss` values, comma separated.
    pub issuers: Vec<String>,
    /// `OIDC_JWKS_URL`: where the signing keys are published.
    pub jwks_url: Url,
}

/// Logs and traces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelemetryConfig {
    /// The project in `logging.googleapis.com/trace` (`projects/{project}/traces/{id}`).
    pub project_id: String,
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`: the OTLP/HTTP base URL; spans are only
    /// exported when set.
    pub otlp_endpoint: Option<Url>,
    /// `RUST_LOG` (default `info`), an `EnvFilter` directive.
    pub log_filter: String,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self { project_id: DEFAULT_PROJECT.to_owned(), otlp_endpoint: None, log_filter: "info".to_owned() }
    }
}

/// A string that must not reach logs: `Debug` prints `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value, for the one place that needs it (a connection).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("port", &self.port)
            .field("service_name", &self.service_name)
            .field("project_id", &self.project_id)
            .field("pubsub_emulator_host", &self.pubsub_emulator_host)
            .field("database_url", &self.database_url)
            .field("redis_url", &self.redis_url)
            .field("redis_key_prefix", &self.redis_key_prefix)
            .field("push_auth", &self.push_auth)
            .field("telemetry", &self.telemetry)
            .field("shutdown_grace", &self.shutdown_grace)
            .field("blob_root", &self.blob_root)
            .field("blob_backend", &self.blob_backend)
            .field("request_timeout", &self.request_timeout)
            .field("container_concurrency", &self.container_concurrency)
            .field("work_lease", &self.work_lease)
            .field("simulated_ai_scale", &self.simulated_ai_scale)
            .finish()
    }
}

impl Config {
    /// Reads the process environment.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first bad variable.
    #[allow(clippy::disallowed_methods, reason = "the one place that reads the environment")]
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut vars = Vec::new();
        for &name in VARIABLES {
            match std::env::var(name) {
                Ok(value) => vars.push((name.to_owned(), value)),
                Err(std::env::VarError::NotPresent) => {}
                Err(std::env::VarError::NotUnicode(_)) => return Err(ConfigError::NotUnicode { name }),
            }
        }
        Self::from_vars(vars)
    }

    /// Parses the variables from a list of `(name, value)` pairs.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first bad variable.
    pub fn from_vars<I, K, V>(vars: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let vars =
            Vars(vars.into_iter().map(|(k, v)| (k.into(), v.into())).filter(|(_, v)| !v.trim().is_empty()).collect());

        let port = match vars.get("PORT") {
            None => 8080,
            Some(raw) => raw.trim().parse::<u16>().map_err(|_| ConfigError::Invalid {
                name: "PORT",
                expected: "a number from 0 to 65535",
                got: raw.to_owned(),
            })?,
        };
        let service_name = vars.get("SERVICE_NAME").or_else(|| vars.get("K_SERVICE")).unwrap_or("manga").to_owned();
        let project_id = vars.get("GOOGLE_CLOUD_PROJECT").unwrap_or(DEFAULT_PROJECT).to_owned();
        let pubsub_emulator_host = vars.get("PUBSUB_EMULATOR_HOST").map(str::to_owned);
        let push_auth = parse_push_auth(&vars, pubsub_emulator_host.is_some())?;
        let shutdown_grace = match vars.get("SHUTDOWN_GRACE_SECONDS") {
            None => Duration::from_secs(10),
            Some(raw) => Duration::from_secs(raw.trim().parse::<u64>().ok().filter(|s| *s <= 3600).ok_or(
                ConfigError::Invalid {
                    name: "SHUTDOWN_GRACE_SECONDS",
                    expected: "a whole number of seconds from 0 to 3600",
                    got: raw.to_owned(),
                },
            )?),
        };
        let request_timeout = seconds(
            &vars,
            "REQUEST_TIMEOUT_SECONDS",
            1..=3600,
            "a whole number of seconds from 1 to 3600 (Cloud Run's limit)",
        )?;
        let container_concurrency = match vars.get("CONTAINER_CONCURRENCY") {
            None => None,
            Some(raw) => match raw.trim().parse::<usize>() {
                Ok(n) if (1..=1000).contains(&n) => Some(n),
                _ => {
                    return Err(ConfigError::Invalid {
                        name: "CONTAINER_CONCURRENCY",
                        expected: "a whole number from 1 to 1000 (Cloud Run's limit)",
                        got: raw.to_owned(),
                    });
                }
            },
        };
        // A claim lives as long as its request could; the heartbeat keeps a longer run's.
        let work_lease = seconds(&vars, "WORK_LEASE_SECONDS", 1..=86_400, "a whole number of seconds from 1 to 86400")?
            .or(request_timeout)
            .unwrap_or(Duration::from_secs(60));
        let log_filter = vars.get("RUST_LOG").unwrap_or("info").to_owned();
        if tracing_subscriber::EnvFilter::try_new(&log_filter).is_err() {
            return Err(ConfigError::Invalid {
                name: "RUST_LOG",
                expected: "a tracing filter such as \"info\" or \"manga=debug,info\"",
                got: log_filter,
            });
        }
        let otlp_endpoint = vars.url("OTEL_EXPORTER_OTLP_ENDPOINT")?;
        let api = parse_api(&vars)?;
        let simulated_ai_scale = match vars.get("SIMULATED_AI_SCALE") {
            None => None,
            Some(raw) => Some(raw.trim().parse::<f64>().ok().filter(|s| (0.0..=1.0).contains(s)).ok_or(
                ConfigError::Invalid {
                    name: "SIMULATED_AI_SCALE",
                    expected: "a factor from 0 to 1, such as 0.01",
                    got: raw.to_owned(),
                },
            )?),
        };

        let blob_backend = match vars.get("BLOB_BACKEND").map(str::trim) {
            None | Some("local") => BlobBackend::Local,
            Some("gcs") => BlobBackend::Gcs {
                bucket_prefix: vars
                    .get("GCS_BUCKET_PREFIX")
                    .map(|p| p.trim().to_owned())
                    .ok_or(ConfigError::Missing { name: "GCS_BUCKET_PREFIX", why: "when BLOB_BACKEND=gcs" })?,
            },
            Some(other) => {
                return Err(ConfigError::Invalid { name: "BLOB_BACKEND", expected: "local or gcs", got: other.into() });
            }
        };

        Ok(Self {
            port,
            service_name,
            telemetry: TelemetryConfig { project_id: project_id.clone(), otlp_endpoint, log_filter },
            project_id,
            pubsub_emulator_host,
            database_url: vars.get("DATABASE_URL").map(Secret::new),
            redis_url: vars.get("REDIS_URL").map(Secret::new),
            redis_key_prefix: vars.get("REDIS_KEY_PREFIX").unwrap_or_default().to_owned(),
            push_auth,
            shutdown_grace,
            blob_root: vars.get("BLOB_ROOT").map(std::path::PathBuf::from),
            blob_backend,
            request_timeout,
            container_concurrency,
            work_lease,
            api,
            simulated_ai_scale,
        })
    }
}

fn parse_api(vars: &Vars) -> Result<ApiConfig, ConfigError> {
    if let Some(alg) = vars.get("JWT_ALGORITHM").map(str::trim).filter(|a| *a != "HS256") {
        return Err(ConfigError::Invalid {
            name: "JWT_ALGORITHM",
            expected: "HS256 (the only one supported)",
            got: alg.into(),
        });
    }
    let secret_key = vars.get("SECRET_KEY").map(Secret::new);
    if secret_key.as_ref().is_some_and(|k| k.expose().len() < 16) {
        return Err(ConfigError::Invalid {
            name: "SECRET_KEY",
            expected: "at least 16 characters",
            got: "(a shorter value, not shown)".into(),
        });
    }
    let cors_origins = vars
        .get("CORS_ORIGINS")
        .map(|v| v.split(',').map(str::trim).filter(|o| !o.is_empty()).map(str::to_owned).collect())
        .unwrap_or_default();
    let max_feedback_wait =
        seconds(vars, "MAX_FEEDBACK_WAIT_TIME", 1..=86_400, "a whole number of seconds from 1 to 86400")?
            .unwrap_or(Duration::from_secs(1800));
    let phase_deadline =
        seconds(vars, "PHASE_DEADLINE_SECONDS", 1..=86_400, "a whole number of seconds from 1 to 86400")?
            .unwrap_or(Duration::from_secs(900));
    let pause_on_timeout = match vars.get("HITL_TIMEOUT_ACTION").map(str::trim) {
        None | Some("approve") => false,
        Some("pause") => true,
        Some(other) => {
            return Err(ConfigError::Invalid {
                name: "HITL_TIMEOUT_ACTION",
                expected: "approve or pause",
                got: other.into(),
            });
        }
    };
    let trust_forwarded_for = match vars.get("TRUST_FORWARDED_FOR").map(str::trim) {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ConfigError::Invalid {
                name: "TRUST_FORWARDED_FOR",
                expected: "true or false",
                got: other.into(),
            });
        }
    };
    Ok(ApiConfig { secret_key, cors_origins, max_feedback_wait, phase_deadline, pause_on_timeout, trust_forwarded_for })
}

/// A variable in whole seconds within `range`; `None` when unset.
fn seconds(
    vars: &Vars,
    name: &'static str,
    range: std::ops::RangeInclusive<u64>,
    expected: &'static str,
) -> Result<Option<Duration>, ConfigError> {
    let Some(raw) = vars.get(name) else { return Ok(None) };
    match raw.trim().parse::<u64>() {
        Ok(s) if range.contains(&s) => Ok(Some(Duration::from_secs(s))),
        _ => Err(ConfigError::Invalid { name, expected, got: raw.to_owned() }),
    }
}

fn parse_push_auth(vars: &Vars, emulator: bool) -> Result<PushAuth, ConfigError> {
    match vars.get("PUSH_AUTH").map(str::trim) {
        None | Some("verify") => {}
        Some("off") if emulator => return Ok(PushAuth::Off),
        Some("off") => return Err(ConfigError::PushAuthOffWithoutEmulator),
        Some(other) => {
            return Err(ConfigError::Invalid {
                name: "PUSH_AUTH",
                expected: "\"verify\" or \"off\"",
                got: other.into(),
            });
        }
    }
    let why = "when PUSH_AUTH=verify (the default)";
    let audience = vars.get("PUSH_AUDIENCE").ok_or(ConfigError::Missing { name: "PUSH_AUDIENCE", why })?;
    let service_account =
        vars.get("PUSH_SERVICE_ACCOUNT").ok_or(ConfigError::Missing { name: "PUSH_SERVICE_ACCOUNT", why })?;
    let issuers_raw = vars.get("OIDC_ISSUERS").unwrap_or(DEFAULT_ISSUERS);
    let issuers: Vec<String> =
        issuers_raw.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
    if issuers.is_empty() {
        return Err(ConfigError::Invalid {
            name: "OIDC_ISSUERS",
            expected: "a comma-separated list of issuers",
            got: issuers_raw.to_owned(),
        });
    }
    let jwks_url = match vars.url("OIDC_JWKS_URL")? {
        Some(url) => url,
        None => Url::parse(DEFAULT_JWKS_URL).map_err(|_| ConfigError::Invalid {
            name: "OIDC_JWKS_URL",
            expected: "an http(s) URL",
            got: DEFAULT_JWKS_URL.to_owned(),
        })?,
    };
    Ok(PushAuth::Verify(OidcSettings {
        audience: audience.trim().to_owned(),
        service_account: service_account.trim().to_owned(),
        issuers,
        jwks_url,
    }))
}

/// The non-empty variables by name.
struct Vars(HashMap<String, String>);

impl Vars {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    fn url(&self, name: &'static str) -> Result<Option<Url>, ConfigError> {
        let Some(raw) = self.get(name) else { return Ok(None) };
        match Url::parse(raw.trim()) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(Some(url)),
            _ => Err(ConfigError::Invalid { name, expected: "an http(s) URL", got: raw.to_owned() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verify_vars() -> Vec<(&'static str, &'static str)> {
        vec![
            ("PUSH_AUDIENCE", "https://phase4.example.run.app"),
            ("PUSH_SERVICE_ACCOUNT", "push@p.iam.gserviceaccount.com"),
        ]
    }

    #[test]
    fn defaults_fill_every_unset_variable() {
        let config = Config::from_vars(verify_vars()).unwrap();
        assert_eq!(config.port, 8080);
        assert_eq!(config.project_id, "manga-local");
        assert_eq!(config.shutdown_grace, Duration::from_secs(10));
        assert_eq!(config.telemetry.otlp_endpoint, None);
        let PushAuth::Verify(oidc) = config.push_auth else { panic!("verify is the default") };
        assert_eq!(oidc.issuers, ["https://accounts.google.com", "accounts.google.com"]);
        assert_eq!(oidc.jwks_url.as_str(), "https://www.googleapis.com/oauth2/v3/certs");
        assert_eq!((config.request_timeout, config.work_lease), (None, Duration::from_secs(60)));
    }

    #[test]
    fn the_work_lease_follows_the_request_timeout_unless_set() {
        let mut vars = verify_vars();
        vars.push(("REQUEST_TIMEOUT_SECONDS", "20"));
        let config = Config::from_vars(vars.clone()).unwrap();
        assert_eq!(
            (config.request_timeout, config.work_lease),
            (Some(Duration::from_secs(20)), Duration::from_secs(20))
        );
        vars.push(("WORK_LEASE_SECONDS", "90"));
        vars.push(("CONTAINER_CONCURRENCY", "5"));
        let config = Config::from_vars(vars).unwrap();
        assert_eq!((config.work_lease, config.container_concurrency), (Duration::from_secs(90), Some(5)));
        let mut bad = verify_vars();
        bad.push(("CONTAINER_CONCURRENCY", "0"));
        let error = Config::from_vars(bad).unwrap_err().to_string();
        assert!(error.starts_with("CONTAINER_CONCURRENCY must be a whole number from 1 to 1000"), "{error}");
        let mut bad = verify_vars();
        bad.push(("REQUEST_TIMEOUT_SECONDS", "3601"));
        let error = Config::from_vars(bad).unwrap_err().to_string();
        assert!(
            error.starts_with("REQUEST_TIMEOUT_SECONDS must be a whole number of seconds from 1 to 3600"),
            "{error}"
        );
    }

    #[test]
    fn every_parsed_variable_is_read_from_the_environment() {
        // from_env reads only the listed names; a field parsed from an unlisted one would silently keep its default.
        for name in [
            "BLOB_ROOT",
            "WORK_LEASE_SECONDS",
            "REQUEST_TIMEOUT_SECONDS",
            "PORT",
            "DATABASE_URL",
            "SHUTDOWN_GRACE_SECONDS",
            "SIMULATED_AI_SCALE",
        ] {
            assert!(VARIABLES.contains(&name), "{name} is not read by from_env");
        }
        let mut vars = verify_vars();
        vars.extend([("BLOB_ROOT", "/srv/blobs"), ("WORK_LEASE_SECONDS", "15")]);
        let config = Config::from_vars(vars).unwrap();
        assert_eq!(config.blob_root, Some(std::path::PathBuf::from("/srv/blobs")));
        assert_eq!(config.work_lease, Duration::from_secs(15));
        let mut bad = verify_vars();
        bad.push(("WORK_LEASE_SECONDS", "0"));
        assert!(Config::from_vars(bad).unwrap_err().to_string().starts_with("WORK_LEASE_SECONDS must be"));
    }

    #[test]
    fn cloud_storage_needs_its_bucket_prefix() {
        assert_eq!(Config::from_vars(verify_vars()).unwrap().blob_backend, BlobBackend::Local);
        let mut vars = verify_vars();
        vars.extend([("BLOB_BACKEND", "gcs"), ("GCS_BUCKET_PREFIX", "my-project-manga-")]);
        let gcs = BlobBackend::Gcs { bucket_prefix: "my-project-manga-".into() };
        assert_eq!(Config::from_vars(vars).unwrap().blob_backend, gcs);
        let mut missing = verify_vars();
        missing.push(("BLOB_BACKEND", "gcs"));
        let error = Config::from_vars(missing).unwrap_err();
        assert_eq!(error, ConfigError::Missing { name: "GCS_BUCKET_PREFIX", why: "when BLOB_BACKEND=gcs" });
        let mut bad = verify_vars();
        bad.push(("BLOB_BACKEND", "s3"));
        assert_eq!(Config::from_vars(bad).unwrap_err().to_string(), r#"BLOB_BACKEND must be local or gcs, got "s3""#);
    }

    #[test]
    fn the_simulated_ai_scale_is_off_unless_set_and_must_be_a_factor() {
        assert_eq!(Config::from_vars(verify_vars()).unwrap().simulated_ai_scale, None);
        let mut vars = verify_vars();
        vars.push(("SIMULATED_AI_SCALE", "0.01"));
        assert_eq!(Config::from_vars(vars).unwrap().simulated_ai_scale, Some(0.01));
        let mut bad = verify_vars();
        bad.push(("SIMULATED_AI_SCALE", "2"));
        let error = Config::from_vars(bad).unwrap_err().to_string();
        assert_eq!(error, r#"SIMULATED_AI_SCALE must be a factor from 0 to 1, such as 0.01, got "2""#);
    }

    #[test]
    fn a_port_that_is_not_a_number_is_named_in_the_error() {
        let mut vars = verify_vars();
        vars.push(("PORT", "abc"));
        let error = Config::from_vars(vars).unwrap_err();
        assert_eq!(error.to_string(), r#"PORT must be a number from 0 to 65535, got "abc""#);
    }

    #[test]
    fn push_auth_off_without_the_emulator_names_both_variables() {
        let error = Config::from_vars([("PUSH_AUTH", "off")]).unwrap_err().to_string();
        assert!(error.contains("PUSH_AUTH") && error.contains("PUBSUB_EMULATOR_HOST"), "{error}");
    }

    #[test]
    fn push_auth_off_is_allowed_against_the_emulator() {
        let config = Config::from_vars([("PUSH_AUTH", "off"), ("PUBSUB_EMULATOR_HOST", "127.0.0.1:8085")]).unwrap();
        assert_eq!(config.push_auth, PushAuth::Off);
    }

    #[test]
    fn verification_without_an_audience_names_push_audience() {
        let error = Config::from_vars([("PUSH_SERVICE_ACCOUNT", "a@b")]).unwrap_err();
        assert_eq!(error, ConfigError::Missing { name: "PUSH_AUDIENCE", why: "when PUSH_AUTH=verify (the default)" });
    }

    #[test]
    fn a_bad_grace_period_or_endpoint_names_its_variable() {
        let mut vars = verify_vars();
        vars.push(("SHUTDOWN_GRACE_SECONDS", "-1"));
        assert!(Config::from_vars(vars).unwrap_err().to_string().starts_with("SHUTDOWN_GRACE_SECONDS must be"));
        let mut vars = verify_vars();
        vars.push(("OTEL_EXPORTER_OTLP_ENDPOINT", "not a url"));
        assert!(Config::from_vars(vars).unwrap_err().to_string().starts_with("OTEL_EXPORTER_OTLP_ENDPOINT must be"));
    }

    #[test]
    fn secrets_do_not_appear_in_debug_output() {
        let mut vars = verify_vars();
        vars.push(("DATABASE_URL", "postgres://u:hunter2@db/x"));
        let config = Config::from_vars(vars).unwrap();
        assert!(!format!("{config:?}").contains("hunter2"));
        assert_eq!(config.database_url.unwrap().expose(), "postgres://u:hunter2@db/x");
    }
}
