//! The wrapped push envelope (gcp-contracts §3a) into a [`PushMessage`].
//!
//! Real Pub/Sub sends `messageId` *and* `message_id` (likewise `publishTime`),
//! so the two spellings are separate fields here: a serde `alias` would
//! reject the body as a duplicate field. Unknown fields are ignored.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::Deserialize;

use super::PushMessage;

/// Why an envelope can never be handled. Such a push is acknowledged (a
/// redelivery would fail the same way) and counted as rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct EnvelopeError {
    /// The message id, when the body got far enough to have one (for the log).
    pub message_id: Option<String>,
    /// What is wrong, for the log and the response.
    pub reason: String,
    /// The metric label: `malformed_envelope` or `invalid_data`.
    pub kind: &'static str,
}

impl EnvelopeError {
    /// Never: the same bytes fail the same way every time.
    pub fn is_transient(&self) -> bool {
        false
    }
}

#[derive(Deserialize)]
struct Envelope {
    message: WireMessage,
    subscription: String,
    #[serde(default, rename = "deliveryAttempt")]
    delivery_attempt_camel: Option<u32>,
    #[serde(default, rename = "delivery_attempt")]
    delivery_attempt_snake: Option<u32>,
}

#[derive(Deserialize)]
struct WireMessage {
    #[serde(default)]
    data: Option<String>,
    #[serde(default)]
    attributes: Option<BTreeMap<String, String>>,
    #[serde(default, rename = "messageId")]
    message_id_camel: Option<String>,
    #[serde(default, rename = "message_id")]
    message_id_snake: Option<String>,
    #[serde(default, rename = "publishTime")]
    publish_time_camel: Option<String>,
    #[serde(default, rename = "publish_time")]
    publish_time_snake: Option<String>,
}

/// Parses a push body.
///
/// # Errors
/// An [`EnvelopeError`] when the body is not a push envelope, has no message
/// id, or its `data` is not standard base64.
pub fn parse_envelope(body: &[u8]) -> Result<PushMessage, EnvelopeError> {
    let envelope: Envelope = serde_json::from_slice(body).map_err(|error| EnvelopeError {
        message_id: salvage_message_id(body),
        reason: format!("malformed push envelope: {error}"),
        kind: "malformed_envelope",
    })?;
    let message = envelope.message;
    let message_id =
        message.message_id_camel.or(message.message_id_snake).filter(|id| !id.is_empty()).ok_or(EnvelopeError {
            message_id: None,
            reason: "malformed push envelope: message.messageId is missing".into(),
            kind: "malformed_envelope",
        })?;
    let data = match message.data.as_deref() {
        None | Some("") => Vec::new(),
        Some(encoded) => {
            base64::engine::general_purpose::STANDARD.decode(encoded.trim()).map_err(|error| EnvelopeError {
                message_id: Some(message_id.clone()),
                reason: format!("message.data is not valid base64: {error}"),
                kind: "invalid_data",
            })?
        }
    };
    Ok(PushMessage {
        subscription: envelope.subscription,
        message_id,
        data,
        attributes: message.attributes.unwrap_or_default(),
        publish_time: message.publish_time_camel.or(message.publish_time_snake),
        delivery_attempt: envelope.delivery_attempt_camel.or(envelope.delivery_attempt_snake),
    })
}

/// The message id of a body that did not parse as an envelope, if it is JSON
/// with one, so the rejection can be logged against it.
fn salvage_message_id(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let message = value.get("message")?;
    message.get("messageId").or_else(|| message.get("message_id"))?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_emulator_shape_with_both_spellings_parses() {
        let body = br#"{"subscription":"projects/p/subscriptions/s","message":{"data":"aGVsbG8=",
            "attributes":{"job_id":"j1"},"messageId":"7","message_id":"7",
            "publishTime":"2026-01-01T00:00:00Z","publish_time":"2026-01-01T00:00:00Z","orderingKey":"k"},
            "deliveryAttempt":3,"somethingNew":true}"#;
        let message = parse_envelope(body).unwrap();
        assert_eq!(message.data, b"hello");
        assert_eq!(message.message_id, "7");
        assert_eq!(message.attribute("job_id"), Some("j1"));
        assert_eq!(message.publish_time.as_deref(), Some("2026-01-01T00:00:00Z"));
        assert_eq!(message.delivery_attempt, Some(3));
        assert_eq!(message.subscription, "projects/p/subscriptions/s");
    }

    #[test]
    fn snake_case_only_and_no_data_parse_too() {
        let body = br#"{"subscription":"s","message":{"message_id":"9","attributes":{"a":"b"}}}"#;
        let message = parse_envelope(body).unwrap();
        assert_eq!(message.message_id, "9");
        assert!(message.data.is_empty());
    }

    #[test]
    fn data_that_is_not_base64_is_rejected_with_its_message_id() {
        let body = br#"{"subscription":"s","message":{"messageId":"5","data":"***"}}"#;
        let error = parse_envelope(body).unwrap_err();
        assert_eq!(error.kind, "invalid_data");
        assert_eq!(error.message_id.as_deref(), Some("5"));
    }

    #[test]
    fn a_body_that_is_not_an_envelope_is_rejected_as_malformed() {
        for body in [&b"not json"[..], br#"{"message":{"messageId":"1"}}"#, br#"{"subscription":"s","message":{}}"#] {
            assert_eq!(parse_envelope(body).unwrap_err().kind, "malformed_envelope");
        }
        let error = parse_envelope(br#"{"message":{"messageId":"1"}}"#).unwrap_err();
        assert_eq!(error.message_id.as_deref(), Some("1"));
    }
}
