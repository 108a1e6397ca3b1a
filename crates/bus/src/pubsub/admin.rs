//! [`PubSubAdmin`]: topics and subscriptions over the Pub/Sub REST API
//! (`/v1/projects/{p}/topics/{t}`, `/v1/projects/{p}/subscriptions/{s}`).
//!
//! REST rather than gRPC because the same plain HTTP calls work against the
//! emulator (no auth) and the cloud (a bearer token), and the local fleet
//! script can reproduce any of them with `curl`.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::error::AdminError;
use super::names::{short_name, subscription_path, topic_path};
use super::subscription::{SubscriptionSpec, TopicSpec};

/// What a create or delete call did. Both are idempotent, so "already so"
/// is success, not an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The resource was created (or deleted).
    Made,
    /// It already existed (or was already absent); nothing changed.
    AlreadyInPlace,
}

/// The Pub/Sub admin API for one project.
#[derive(Debug, Clone)]
pub struct PubSubAdmin {
    http: reqwest::Client,
    /// `http://{emulator_host}` or `https://pubsub.googleapis.com`.
    base: String,
    project: String,
    /// Sent as `Authorization: Bearer`; `None` for the emulator.
    token: Option<String>,
}

impl PubSubAdmin {
    /// An admin client for `project`.
    ///
    /// With `emulator_host` (`127.0.0.1:8085`) it calls `http://{host}/v1/...`
    /// without auth; otherwise `https://pubsub.googleapis.com/v1/...` with
    /// `token` as the bearer token (an OAuth access token with the `pubsub`
    /// or `cloud-platform` scope, e.g. from the metadata server or
    /// `gcloud auth print-access-token`). Access tokens expire after about an
    /// hour: build a new admin for a new token. Setup is short-lived, so this
    /// client does not refresh tokens itself.
    ///
    /// # Errors
    /// [`AdminError::Name`] for an invalid project id, [`AdminError::Client`]
    /// when the HTTP client cannot be built.
    pub fn new(
        project: impl Into<String>,
        emulator_host: Option<String>,
        token: Option<String>,
    ) -> Result<Self, AdminError> {
        let project = project.into();
        topic_path(&project, "probe")?;
        let base = match emulator_host {
            Some(host) => format!("http://{host}"),
            None => "https://pubsub.googleapis.com".to_owned(),
        };
        let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().map_err(AdminError::Client)?;
        Ok(Self { http, base, project, token })
    }

    /// The project this client manages.
    pub fn project(&self) -> &str {
        &self.project
    }

    /// Creates a topic; an existing one is left as it is.
    ///
    /// # Errors
    /// [`AdminError`] when Pub/Sub refuses or cannot be reached.
    pub async fn create_topic(&self, topic: &TopicSpec) -> Result<Change, AdminError> {
        let path = topic_path(&self.project, &topic.name)?;
        let mut body = json!({});
        if let Some(retention) = topic.message_retention {
            body["messageRetentionDuration"] = json!(format!("{}s", retention.as_secs()));
        }
        self.create(&path, &body).await
    }

    /// Creates a subscription (push when `push_endpoint` is set, pull
    /// otherwise); an existing one is left as it is, even if its settings
    /// differ (delete it first to change them).
    ///
    /// # Errors
    /// [`AdminError`] when Pub/Sub refuses (e.g. 404: the topic or the
    /// dead-letter topic does not exist) or cannot be reached.
    pub async fn create_subscription(&self, spec: &SubscriptionSpec) -> Result<Change, AdminError> {
        let path = subscription_path(&self.project, &spec.name)?;
        let body = spec.to_rest(&self.project)?;
        self.create(&path, &body).await
    }

    /// A subscription's settings, or `None` when it does not exist.
    ///
    /// # Errors
    /// [`AdminError`] when Pub/Sub refuses or cannot be reached.
    pub async fn subscription(&self, name: &str) -> Result<Option<SubscriptionSpec>, AdminError> {
        let path = subscription_path(&self.project, name)?;
        let Some(response) = self.call(Method::GET, &path, None, &[StatusCode::NOT_FOUND]).await? else {
            return Ok(None);
        };
        let url = self.url(&path);
        let rest = response.json().await.map_err(|source| AdminError::Body { method: "GET", url, source })?;
        Ok(Some(SubscriptionSpec::from_rest(rest)))
    }

    /// The short names of the subscriptions attached to `topic`.
    ///
    /// # Errors
    /// [`AdminError`] when Pub/Sub refuses (404: no such topic) or cannot be reached.
    pub async fn topic_subscriptions(&self, topic: &str) -> Result<Vec<String>, AdminError> {
        #[derive(serde::Deserialize)]
        struct Page {
            #[serde(default)]
            subscriptions: Vec<String>,
        }
        let path = format!("{}/subscriptions", topic_path(&self.project, topic)?);
        let Some(response) = self.call(Method::GET, &path, None, &[]).await? else {
            return Ok(Vec::new());
        };
        let url = self.url(&path);
        let page: Page = response.json().await.map_err(|source| AdminError::Body { method: "GET", url, source })?;
        // The emulator and small projects fit in one page; topology sizes are tens.
        Ok(page.subscriptions.iter().map(|s| short_name(s).to_owned()).collect())
    }

    /// Deletes a subscription; an absent one is fine.
    ///
    /// # Errors
    /// [`AdminError`] when Pub/Sub refuses or cannot be reached.
    pub async fn delete_subscription(&self, name: &str) -> Result<Change, AdminError> {
        self.delete(&subscription_path(&self.project, name)?).await
    }

    /// Deletes a topic; an absent one is fine. Its subscriptions stay,
    /// detached (Pub/Sub's rule), so delete them first.
    ///
    /// # Errors
    /// [`AdminError`] when Pub/Sub refuses or cannot be reached.
    pub async fn delete_topic(&self, name: &str) -> Result<Change, AdminError> {
        self.delete(&topic_path(&self.project, name)?).await
    }

    async fn create(&self, path: &str, body: &serde_json::Value) -> Result<Change, AdminError> {
        // 409 ALREADY_EXISTS is the idempotent case.
        let response = self.call(Method::PUT, path, Some(body), &[StatusCode::CONFLICT]).await?;
        Ok(if response.is_some() { Change::Made } else { Change::AlreadyInPlace })
    }

    async fn delete(&self, path: &str) -> Result<Change, AdminError> {
        let response = self.call(Method::DELETE, path, None, &[StatusCode::NOT_FOUND]).await?;
        Ok(if response.is_some() { Change::Made } else { Change::AlreadyInPlace })
    }

    /// One REST call. `Ok(None)` when the status is one of `tolerated`.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        tolerated: &[StatusCode],
    ) -> Result<Option<reqwest::Response>, AdminError> {
        let url = self.url(path);
        let name = method_name(&method);
        let mut request = self.http.request(method, &url);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|source| AdminError::Unreachable {
            method: name,
            url: url.clone(),
            source,
        })?;
        let status = response.status();
        if tolerated.contains(&status) {
            return Ok(None);
        }
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            return Err(AdminError::Status { method: name, url, status: status.as_u16(), body });
        }
        Ok(Some(response))
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v1/{path}", self.base)
    }
}

fn method_name(method: &Method) -> &'static str {
    match *method {
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::POST => "POST",
        _ => "GET",
    }
}
