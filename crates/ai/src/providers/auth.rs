//! Bearer tokens for Vertex AI: a fixed token when one is configured
//! (`GOOGLE_OAUTH_ACCESS_TOKEN`, also how tests authenticate), else
//! Application Default Credentials — the metadata server on Cloud Run, the
//! `gcloud auth application-default login` file or a service-account key
//! locally — through google-cloud-auth, which caches and refreshes tokens.

use google_cloud_auth::credentials::{AccessTokenCredentials, Builder};

use crate::AiError;

/// Where Vertex tokens come from.
#[derive(Clone)]
pub enum TokenSource {
    /// A token given in configuration.
    Fixed(String),
    /// Application Default Credentials.
    Adc(AccessTokenCredentials),
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Fixed(_) => "TokenSource::Fixed([redacted])",
            Self::Adc(_) => "TokenSource::Adc",
        })
    }
}

impl TokenSource {
    /// A fixed token if given, else ADC.
    ///
    /// # Errors
    /// A sentence when no credentials can be found.
    pub fn new(fixed: Option<String>) -> Result<Self, String> {
        if let Some(token) = fixed {
            return Ok(Self::Fixed(token));
        }
        Builder::default()
            .with_scopes(["https://www.googleapis.com/auth/cloud-platform"])
            .build_access_token_credentials()
            .map(Self::Adc)
            .map_err(|e| {
                format!(
                    "no Google credentials for Vertex AI ({e}); run `gcloud auth application-default login`, \
                     set GOOGLE_APPLICATION_CREDENTIALS, or set GOOGLE_OAUTH_ACCESS_TOKEN"
                )
            })
    }

    /// A current access token.
    ///
    /// # Errors
    /// [`AiError::Unavailable`] when the token cannot be had (the metadata server does not answer).
    pub async fn token(&self, provider: &str) -> Result<String, AiError> {
        match self {
            Self::Fixed(token) => Ok(token.clone()),
            Self::Adc(credentials) => credentials.access_token().await.map(|t| t.token).map_err(|e| {
                AiError::Unavailable { provider: provider.to_owned(), message: format!("no access token: {e}") }
            }),
        }
    }
}
