//! Pub/Sub idempotency: keys for processed messages and what became of them.

use std::fmt;

use chrono::{DateTime, Utc};
use manga_domain::DomainError;

/// The key a poison message is kept under. (Work is made idempotent by
/// phase runs held under a lease, not by claiming messages.)
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
    /// Claimed by a handler: written only by versions before phase-run leases, read for their rows.
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
