//! Verifies the OIDC token Pub/Sub puts on each push (gcp-contracts §3c):
//! RS256 signed by a key from the issuer's JWKS, `iss` among the configured
//! issuers, `aud` the service URL, `exp` in the future, `email` the push
//! service account with `email_verified` true.
//!
//! Keys are cached; an unknown `kid` (Google rotates keys) triggers a refetch,
//! at most once a minute, so a flood of forged tokens cannot turn into a
//! flood of requests to the issuer.

use std::{
    collections::HashMap,
    sync::RwLock,
    time::{Duration, Instant},
};

use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use serde::Deserialize;

use crate::{config::OidcSettings, error::AuthError};

/// The shortest time between two key-set fetches.
const REFETCH_INTERVAL: Duration = Duration::from_secs(60);
/// How long a key-set fetch may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// The claims of a verified push token that a handler may care about.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct PushClaims {
    /// The service account Pub/Sub signed for.
    #[serde(default)]
    pub email: String,
    /// Google sends a bool; some issuers a string.
    #[serde(default)]
    email_verified: Option<serde_json::Value>,
    /// The account's unique id.
    #[serde(default)]
    pub sub: Option<String>,
}

impl PushClaims {
    /// Whether the issuer vouches for `email`.
    pub fn email_verified(&self) -> bool {
        match &self.email_verified {
            Some(serde_json::Value::Bool(verified)) => *verified,
            Some(serde_json::Value::String(text)) => text == "true",
            _ => false,
        }
    }
}

/// Checks push tokens against one issuer's keys.
pub struct OidcVerifier {
    settings: OidcSettings,
    http: reqwest::Client,
    keys: RwLock<HashMap<String, DecodingKey>>,
    /// When the key set was last fetched; also serialises fetches.
    fetched_at: tokio::sync::Mutex<Option<Instant>>,
}

impl OidcVerifier {
    /// A verifier with an empty key cache (keys are fetched on first use, so
    /// the service starts even when the issuer is briefly unreachable).
    ///
    /// # Errors
    /// The HTTP client could not be built.
    pub fn new(settings: OidcSettings) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder().timeout(FETCH_TIMEOUT).build()?;
        Ok(Self { settings, http, keys: RwLock::new(HashMap::new()), fetched_at: tokio::sync::Mutex::new(None) })
    }

    /// Verifies the value of an `Authorization` header.
    ///
    /// # Errors
    /// An [`AuthError`] saying which check failed; only
    /// [`AuthError::KeysUnavailable`] is transient.
    pub async fn verify(&self, authorization: Option<&str>) -> Result<PushClaims, AuthError> {
        let token = bearer_token(authorization)?;
        let header = jsonwebtoken::decode_header(token).map_err(|error| AuthError::Malformed(error.to_string()))?;
        if header.alg != Algorithm::RS256 {
            return Err(AuthError::WrongAlgorithm(format!("{:?}", header.alg)));
        }
        let kid = header.kid.ok_or_else(|| AuthError::Malformed("the token header has no kid".into()))?;
        let key = self.key(&kid).await?;

        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[&self.settings.audience]);
        validation.set_issuer(&self.settings.issuers);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let claims = jsonwebtoken::decode::<PushClaims>(token, &key, &validation)
            .map_err(|error| AuthError::Invalid(error.to_string()))?
            .claims;

        if claims.email != self.settings.service_account {
            return Err(AuthError::WrongEmail(claims.email));
        }
        if !claims.email_verified() {
            return Err(AuthError::EmailNotVerified);
        }
        Ok(claims)
    }

    fn cached(&self, kid: &str) -> Option<DecodingKey> {
        // A poisoned lock only means a writer panicked mid-insert; the map is
        // still a valid cache.
        self.keys.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(kid).cloned()
    }

    async fn key(&self, kid: &str) -> Result<DecodingKey, AuthError> {
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        let mut fetched_at = self.fetched_at.lock().await;
        // Another request may have refreshed the keys while this one waited.
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        if fetched_at.is_some_and(|at| at.elapsed() < REFETCH_INTERVAL) {
            return Err(AuthError::UnknownKey(kid.to_owned()));
        }
        let keys = self.fetch().await?;
        *fetched_at = Some(Instant::now());
        let key = keys.get(kid).cloned();
        *self.keys.write().unwrap_or_else(std::sync::PoisonError::into_inner) = keys;
        key.ok_or_else(|| AuthError::UnknownKey(kid.to_owned()))
    }

    #[tracing::instrument(skip(self), fields(url = %self.settings.jwks_url))]
    async fn fetch(&self) -> Result<HashMap<String, DecodingKey>, AuthError> {
        let url = self.settings.jwks_url.clone();
        let unavailable = |reason: String| AuthError::KeysUnavailable { url: url.to_string(), reason };
        let response = self.http.get(url.clone()).send().await.map_err(|error| unavailable(error.to_string()))?;
        if !response.status().is_success() {
            return Err(unavailable(format!("status {}", response.status())));
        }
        let set: JwkSet = response.json().await.map_err(|error| unavailable(error.to_string()))?;
        let keys: HashMap<_, _> = set
            .keys
            .iter()
            .filter_map(|jwk| {
                let kid = jwk.common.key_id.clone()?;
                // Keys of other types (EC, ...) cannot verify RS256 tokens.
                DecodingKey::from_jwk(jwk).ok().map(|key| (kid, key))
            })
            .collect();
        tracing::info!(keys = keys.len(), "fetched the OIDC key set");
        Ok(keys)
    }
}

fn bearer_token(authorization: Option<&str>) -> Result<&str, AuthError> {
    let value = authorization.ok_or(AuthError::MissingToken)?.trim();
    let (scheme, token) =
        value.split_once(' ').ok_or_else(|| AuthError::Malformed("expected \"Bearer <token>\"".into()))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(AuthError::Malformed("expected \"Bearer <token>\"".into()));
    }
    Ok(token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_scheme_is_case_insensitive_and_required() {
        assert_eq!(bearer_token(Some("bearer abc")).unwrap(), "abc");
        assert!(matches!(bearer_token(None), Err(AuthError::MissingToken)));
        assert!(matches!(bearer_token(Some("Basic abc")), Err(AuthError::Malformed(_))));
        assert!(matches!(bearer_token(Some("Bearer ")), Err(AuthError::Malformed(_))));
    }

    #[test]
    fn email_verified_accepts_a_bool_or_the_string_true() {
        let claims: PushClaims = serde_json::from_str(r#"{"email":"a","email_verified":"true"}"#).unwrap();
        assert!(claims.email_verified());
        let claims: PushClaims = serde_json::from_str(r#"{"email":"a"}"#).unwrap();
        assert!(!claims.email_verified());
    }
}
