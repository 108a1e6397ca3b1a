//! Pub/Sub idempotency: keys for processed messages and what became of them.

use std::fmt;

use chrono::{DateTime, Utc};
use manga_domain::DomainError;

use crate::PhaseRunKey;

/// What a handler claims before acting on a message. Pub/Sub delivers at
/// least once and a redelivery has a new message id, so the key is derived
/// from the message's meaning, not its id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessageKey(String);

impl MessageKey {
    /// Longest key accepted.
    pub const MAX_LEN: usize = 512;

    /// Parses a key made elsewhere: non-empty, at most [`Self::MAX_LEN`] bytes.
    ///
    /// # Errors
    /// [`DomainError::InvalidId`] otherwise.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        if text.is_empty() || text.len() > Self::MAX_LEN {
            return Err(DomainError::InvalidId { kind: "message key", value: text.to_owned() });
        }
        Ok(Self(text.to_owned()))
    }

    /// The key of a request to run a phase: `request:{job}/{version}/{phase}#{attempt}`.
    pub fn phase_request(run: &PhaseRunKey) -> Self {
        Self(format!("request:{run}"))
    }

    /// The key of a phase's completion: `result:{job}/{version}/{phase}#{attempt}`.
    pub fn phase_result(run: &PhaseRunKey) -> Self {
        Self(format!("result:{run}"))
    }

    /// The key of a message that could not be decoded, so has no meaning to key by.
    pub fn undecodable(message_id: &str) -> Self {
        Self(format!("message:{message_id}"))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MessageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What became of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageOutcome {
    /// A handler claimed it; later deliveries are duplicates.
    Claimed,
    /// It can never succeed; acknowledged and kept with the reason.
    Poison {
        /// Why, e.g. `protobuf does not decode: ...`.
        reason: String,
    },
}

/// A processed-message row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessedMessage {
    /// The key.
    pub key: MessageKey,
    /// The Pub/Sub message id of the delivery that claimed it.
    pub message_id: String,
    /// What became of it.
    pub outcome: MessageOutcome,
    /// When.
    pub processed_at: DateTime<Utc>,
}
