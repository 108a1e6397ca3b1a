//! One resilient HTTP call to a model: rate limit, concurrency limit, circuit
//! breaker, timeout, and retries with exponential backoff and full jitter that
//! honour `Retry-After` and Google's `RetryInfo`.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};
use bytes::Bytes;
use reqwest::header::HeaderMap;
use tokio::sync::Semaphore;

use super::breaker::Breaker;
use super::limiter::RateLimiter;
use super::metrics::AiMetrics;
use super::usage;
use crate::AiError;

tokio::task_local! {
    /// The per-request timeout of the phase whose calls run in this task, when it has its own.
    static CALL_TIMEOUT: Duration;
}

/// Runs `future` with every model request in it timed out after `timeout` instead of the
/// policy's (a phase's own timeout: the seeds give portraits 20 s and panels 60 s).
pub async fn with_call_timeout<F: Future>(timeout: Duration, future: F) -> F::Output {
    CALL_TIMEOUT.scope(timeout, future).await
}

/// How hard to try one call.
#[derive(Debug, Clone)]
pub struct CallPolicy {
    /// Per-request timeout.
    pub timeout: Duration,
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The first backoff before jitter; it doubles each retry.
    pub base_delay: Duration,
    /// The longest wait between attempts, `Retry-After` included.
    pub max_delay: Duration,
    /// Consecutive failures that open the circuit.
    pub breaker_failures: u32,
    /// How long an open circuit waits before it lets one trial call through.
    pub breaker_cool_down: Duration,
}

impl Default for CallPolicy {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(120),
            attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
            // The seeds' numbers: open after 5 failures, half-open after 30 s.
            breaker_failures: 5,
            breaker_cool_down: Duration::from_secs(30),
        }
    }
}

/// A request to send: built anew for each attempt.
#[derive(Debug, Clone)]
pub struct Request {
    /// GET or POST.
    pub method: reqwest::Method,
    /// The full URL.
    pub url: String,
    /// Extra headers (auth).
    pub headers: Vec<(String, String)>,
    /// The JSON body, if any.
    pub json: Option<serde_json::Value>,
    /// A multipart body's parts (name, file name, bytes, content type), if any; a part with
    /// no file name is a plain text field.
    pub multipart: Option<Vec<(String, String, Bytes, String)>>,
    /// Whether the call counts as a model request (rate limit, accounting); a poll for a result does not.
    pub metered: bool,
    /// Whether [`Http::send`] may repeat it after a transient failure; off for a lookup whose
    /// "not there" is as good an answer as an error (see [`Http::send_unless`] for a call that
    /// must look before it repeats).
    pub retry: bool,
}

impl Request {
    /// A POST with a JSON body.
    pub fn post_json(url: impl Into<String>, body: serde_json::Value) -> Self {
        let (headers, json, multipart) = (Vec::new(), Some(body), None);
        Self { method: reqwest::Method::POST, url: url.into(), headers, json, multipart, metered: true, retry: true }
    }

    /// A GET.
    pub fn get(url: impl Into<String>) -> Self {
        let (headers, json, multipart) = (Vec::new(), None, None);
        Self { method: reqwest::Method::GET, url: url.into(), headers, json, multipart, metered: true, retry: true }
    }

    /// Marks a follow-up of a request already counted (polling for its result, fetching it):
    /// it takes no rate-limit token and is not accounted as a model request.
    #[must_use]
    pub fn follow_up(mut self) -> Self {
        self.metered = false;
        self
    }

    /// Sends it once, however transient a failure: see [`Request::retry`].
    #[must_use]
    pub fn once(mut self) -> Self {
        self.retry = false;
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}

/// A successful answer.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status (2xx).
    pub status: u16,
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body.
    pub body: Bytes,
}

impl Response {
    /// The body as JSON.
    ///
    /// # Errors
    /// [`AiError::Malformed`] when the body is not JSON (a wrong content type, an HTML error page).
    pub fn json(&self, provider: &str) -> Result<serde_json::Value, AiError> {
        serde_json::from_slice(&self.body).map_err(|e| AiError::Malformed {
            provider: provider.to_owned(),
            message: format!(
                "the answer is not JSON ({e}; content type {})",
                self.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("not given")
            ),
        })
    }
}

/// The HTTP side of one provider and model: shared by every call to it.
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    provider: String,
    model: String,
    policy: CallPolicy,
    breaker: Arc<Breaker>,
    permits: Arc<Semaphore>,
    limiter: Arc<dyn RateLimiter>,
    metrics: Arc<AiMetrics>,
}

/// One failed attempt, with how long the server asked us to wait.
struct Attempt {
    error: AiError,
    retry_after: Option<Duration>,
}

impl Http {
    /// The call path for `provider`/`model`.
    pub fn new(
        provider: &str,
        model: &str,
        policy: CallPolicy,
        concurrency: usize,
        limiter: Arc<dyn RateLimiter>,
        metrics: Arc<AiMetrics>,
    ) -> Self {
        Self {
            client: reqwest::Client::builder().timeout(policy.timeout).build().unwrap_or_default(),
            provider: provider.to_owned(),
            model: model.to_owned(),
            breaker: Arc::new(Breaker::new(policy.breaker_failures, policy.breaker_cool_down)),
            policy,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            limiter,
            metrics,
        }
    }

    /// The provider's name.
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// The model's name.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// The breaker, to read its state.
    pub fn breaker(&self) -> &Breaker {
        &self.breaker
    }

    /// Sends `request`, retrying transient failures.
    ///
    /// # Errors
    /// [`AiError::Unavailable`] when every attempt failed transiently or the breaker is open;
    /// [`AiError::Rejected`] for an answer that retrying cannot change (4xx other than 408/429).
    pub async fn send(&self, request: &Request) -> Result<Response, AiError> {
        let answer = self.send_unless(request, || std::future::ready(false)).await?;
        answer.ok_or_else(|| self.rejected("a retry was skipped without a reason".into()))
    }

    /// Sends `request` like [`Http::send`], but before each retry asks `already_done`; when it
    /// says yes (the lost answer's request did reach the server), stops with `None`. For calls
    /// that are not idempotent on the server, such as queueing a picture.
    ///
    /// # Errors
    /// As [`Http::send`].
    pub async fn send_unless<F, Fut>(&self, request: &Request, already_done: F) -> Result<Option<Response>, AiError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = bool>,
    {
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.policy.base_delay)
            .with_max_delay(self.policy.max_delay)
            .with_max_times(if request.retry { self.policy.attempts.saturating_sub(1) as usize } else { 0 });
        let max = self.policy.max_delay;
        let tried = AtomicBool::new(false);
        let attempt = || async {
            if tried.swap(true, Ordering::Relaxed) && already_done().await {
                return Ok(None);
            }
            self.attempt(request).await.map(Some)
        };
        attempt
            .retry(backoff)
            .when(|a: &Attempt| a.error.is_transient() && !self.breaker.is_open())
            // Full jitter: a random wait up to the exponential step, unless the server named one.
            .adjust(move |a: &Attempt, step| step.map(|d| a.retry_after.unwrap_or_else(|| d.mul_f64(fastrand::f64())).min(max)))
            .notify(|a: &Attempt, wait| {
                if request.metered {
                    usage::record_retry(&self.provider, &self.model);
                }
                tracing::warn!(provider = %self.provider, model = %self.model, error = %a.error, wait_ms = wait.as_millis() as u64, "model call failed; retrying");
            })
            .await
            .map_err(|a| a.error)
    }

    async fn attempt(&self, request: &Request) -> Result<Response, Attempt> {
        let plain = |error| Attempt { error, retry_after: None };
        self.breaker.admit().map_err(|wait| {
            plain(AiError::Unavailable {
                provider: self.provider.clone(),
                message: format!(
                    "the circuit for {} is open after repeated failures; next try in {} s",
                    self.model,
                    wait.as_secs().max(1)
                ),
            })
        })?;
        if request.metered {
            self.limiter.acquire(&format!("{}:{}", self.provider, self.model)).await.map_err(plain)?;
        }
        let _permit = self.permits.acquire().await.map_err(|_| {
            plain(AiError::Unavailable { provider: self.provider.clone(), message: "shutting down".into() })
        })?;
        let started = Instant::now();
        let outcome = self.exchange(request).await;
        let label = match &outcome {
            Ok(_) => "ok",
            Err(a) if a.error.is_transient() => "transient",
            Err(_) => "rejected",
        };
        if request.metered {
            self.metrics.observe(&self.provider, &self.model, label, started.elapsed().as_secs_f64());
            usage::record_request(&self.provider, &self.model);
        }
        match &outcome {
            Ok(_) => self.breaker.success(),
            // Only failures of the service count against the breaker: a refusal is an answer.
            Err(a) if a.error.is_transient() => self.breaker.failure(),
            Err(_) => self.breaker.success(),
        }
        self.metrics.breaker(&self.provider, &self.model, self.breaker.state_code());
        outcome
    }

    async fn exchange(&self, request: &Request) -> Result<Response, Attempt> {
        let timeout = CALL_TIMEOUT.try_with(|t| *t).unwrap_or(self.policy.timeout);
        let mut builder = self.client.request(request.method.clone(), &request.url).timeout(timeout);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some(json) = &request.json {
            builder = builder.json(json);
        }
        if let Some(parts) = &request.multipart {
            let mut form = reqwest::multipart::Form::new();
            for (name, file, bytes, mime) in parts {
                if file.is_empty() {
                    // A plain form field (`overwrite=true`), not a file.
                    form = form.text(name.clone(), String::from_utf8_lossy(bytes).into_owned());
                    continue;
                }
                let part = reqwest::multipart::Part::bytes(bytes.to_vec())
                    .file_name(file.clone())
                    .mime_str(mime)
                    .map_err(|e| Attempt { error: self.rejected(e.to_string()), retry_after: None })?;
                form = form.part(name.clone(), part);
            }
            builder = builder.multipart(form);
        }
        let unavailable = |message: String| Attempt {
            error: AiError::Unavailable { provider: self.provider.clone(), message },
            retry_after: None,
        };
        let response = builder.send().await.map_err(|e| {
            if e.is_timeout() {
                unavailable(format!("no answer within {} s", timeout.as_secs_f64()))
            } else {
                unavailable(format!("cannot reach {}: {}", host_of(&request.url), root_cause(&e)))
            }
        })?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(|e| unavailable(format!("the answer broke off: {e}")))?;
        if (200..300).contains(&status) {
            return Ok(Response { status, headers, body });
        }
        let message = error_message(status, &body);
        let retry_after = retry_after(&headers, &body);
        let error = if matches!(status, 408 | 429 | 500 | 502 | 503 | 504) {
            AiError::Unavailable { provider: self.provider.clone(), message }
        } else {
            AiError::Rejected { provider: self.provider.clone(), message }
        };
        Err(Attempt { error, retry_after })
    }

    fn rejected(&self, message: String) -> AiError {
        AiError::Rejected { provider: self.provider.clone(), message }
    }
}

fn host_of(url: &str) -> &str {
    url.split("://").nth(1).and_then(|rest| rest.split('/').next()).unwrap_or(url)
}

fn root_cause(error: &dyn std::error::Error) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// The server's own words: Google's `{"error": {"message"}}`, OpenAI's `{"error": {"message"}}`,
/// ComfyUI's `{"error": {"message"}}` or `{"error": "..."}`, else the start of the body.
fn error_message(status: u16, body: &[u8]) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let said = parsed.as_ref().and_then(|v| {
        let error = v.get("error")?;
        error.get("message").and_then(|m| m.as_str()).or_else(|| error.as_str()).map(str::to_owned)
    });
    let said = said.unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(200)]).trim().to_owned());
    format!("HTTP {status}: {said}")
}

/// `Retry-After` in seconds (or an HTTP date), else Google's `RetryInfo.retryDelay` (`"15.2s"`).
pub(crate) fn retry_after(headers: &HeaderMap, body: &[u8]) -> Option<Duration> {
    if let Some(value) = headers.get("retry-after").and_then(|v| v.to_str().ok()) {
        if let Ok(seconds) = value.trim().parse::<f64>() {
            return Duration::try_from_secs_f64(seconds.max(0.0)).ok();
        }
        if let Ok(when) = httpdate::parse_http_date(value.trim()) {
            return Some(when.duration_since(std::time::SystemTime::now()).unwrap_or_default());
        }
    }
    let parsed: serde_json::Value = serde_json::from_slice(body).ok()?;
    let details = parsed.get("error")?.get("details")?.as_array()?;
    details.iter().find_map(|d| {
        let is_retry_info = d.get("@type")?.as_str()?.ends_with("google.rpc.RetryInfo");
        let delay = d.get("retryDelay")?.as_str()?.strip_suffix('s')?.parse::<f64>().ok()?;
        is_retry_info.then(|| Duration::try_from_secs_f64(delay.max(0.0)).ok()).flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_the_header_first_then_googles_retry_info() {
        let mut headers = HeaderMap::new();
        let body = br#"{"error":{"code":429,"details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"15.2s"}]}}"#;
        assert_eq!(retry_after(&headers, body), Some(Duration::from_millis(15_200)));
        headers.insert("retry-after", "3".parse().unwrap());
        assert_eq!(retry_after(&headers, body), Some(Duration::from_secs(3)));
        assert_eq!(retry_after(&HeaderMap::new(), b"{}"), None);
    }

    #[test]
    fn error_messages_quote_the_server() {
        assert_eq!(error_message(400, br#"{"error":{"message":"bad schema"}}"#), "HTTP 400: bad schema");
        assert_eq!(error_message(502, b"<html>bad gateway</html>"), "HTTP 502: <html>bad gateway</html>");
    }
}
