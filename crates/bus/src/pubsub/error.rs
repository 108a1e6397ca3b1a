//! What can go wrong talking to Pub/Sub, split by what the caller can do.

use google_cloud_gax::error::rpc::Code;
use google_cloud_pubsub::error::PublishError;

use super::names::NameError;

/// A failure of the gRPC clients behind [`super::PubSubBus`].
#[derive(Debug, thiserror::Error)]
pub enum PubSubError {
    /// A client could not be built (no default credentials, a bad endpoint).
    #[error("could not build the Pub/Sub {client} client")]
    Client {
        /// Which client: `publisher`, `subscriber` or `subscription admin`.
        client: &'static str,
        /// What the client library said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A call to Pub/Sub failed.
    #[error("Pub/Sub {operation} of {resource} failed")]
    Rpc {
        /// What we were doing, e.g. `create subscription`.
        operation: &'static str,
        /// The full resource name it was about.
        resource: String,
        /// The status from the service or the transport.
        #[source]
        source: google_cloud_pubsub::Error,
    },
    /// A publish failed.
    #[error("publishing to {topic} failed")]
    Publish {
        /// The full topic name.
        topic: String,
        /// What the publisher said.
        #[source]
        source: PublishError,
    },
    /// A resource name Pub/Sub would refuse.
    #[error(transparent)]
    Name(#[from] NameError),
}

impl PubSubError {
    /// Whether retrying may help: the service was unreachable, overloaded or
    /// timed out. A missing topic or a denied permission is permanent.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Client { .. } | Self::Name(_) => false,
            Self::Rpc { source, .. } => rpc_is_transient(source),
            Self::Publish { source: PublishError::Rpc(source), .. } => rpc_is_transient(source),
            // The publisher's task is gone (the process is shutting down):
            // another instance can publish the same message.
            Self::Publish { source: PublishError::Shutdown, .. } => true,
            Self::Publish { .. } => false,
        }
    }
}

/// Whether an RPC error is worth retrying.
pub(crate) fn rpc_is_transient(error: &google_cloud_pubsub::Error) -> bool {
    if error.is_transport() || error.is_timeout() || error.is_io() || error.is_connect() {
        return true;
    }
    error.status().is_some_and(|status| {
        matches!(
            status.code,
            Code::Unavailable
                | Code::DeadlineExceeded
                | Code::ResourceExhausted
                | Code::Aborted
                | Code::Internal
                | Code::Unknown
                | Code::Cancelled
        )
    })
}

/// A failure of the REST admin client, [`super::PubSubAdmin`].
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No answer: the emulator is not running, DNS or TLS failed, a timeout.
    #[error("could not reach Pub/Sub for {method} {url}")]
    Unreachable {
        /// The HTTP method.
        method: &'static str,
        /// The request URL.
        url: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// Pub/Sub answered with an error status.
    #[error("Pub/Sub answered {status} to {method} {url}: {body}")]
    Status {
        /// The HTTP method.
        method: &'static str,
        /// The request URL.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The error body (Google's `{"error": {...}}` envelope), for the log.
        body: String,
    },
    /// Pub/Sub answered 2xx with a body we could not read.
    #[error("unexpected body from Pub/Sub for {method} {url}")]
    Body {
        /// The HTTP method.
        method: &'static str,
        /// The request URL.
        url: String,
        /// Why it did not parse.
        #[source]
        source: reqwest::Error,
    },
    /// The HTTP client could not be built (TLS backend).
    #[error("could not build the HTTP client for the Pub/Sub admin API")]
    Client(#[source] reqwest::Error),
    /// A resource name Pub/Sub would refuse.
    #[error(transparent)]
    Name(#[from] NameError),
}

impl AdminError {
    /// Whether retrying may help: no answer, 429 or a 5xx.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unreachable { .. } => true,
            Self::Status { status, .. } => *status == 429 || *status >= 500,
            Self::Body { .. } | Self::Client(_) | Self::Name(_) => false,
        }
    }
}
