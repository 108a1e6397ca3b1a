//! The L2 cache for model answers (crates/ai keeps the L1 in moka): bytes
//! under `model_answer:{sha256 hex of model, prompt, parameters}` with a TTL.
//! Shared by every instance, so one phase service's answer saves another's call.

use std::fmt;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::{Cache, CacheError};

/// Bumped when the key derivation changes, so old entries are never misread.
const KEY_VERSION: &[u8] = b"manga-model-answer-v1";

/// The cache key of one model call: the lowercase sha256 hex of the model,
/// the prompt and the parameters, each length-prefixed so that no two
/// different calls can produce the same bytes to hash.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModelAnswerKey(String);

impl ModelAnswerKey {
    /// Derives the key. `parameters` are canonicalised (object keys sorted at
    /// every depth) first, so `{"seed":1,"temperature":0.2}` and
    /// `{"temperature":0.2,"seed":1}` name the same answer.
    pub fn new(model: &str, prompt: &str, parameters: &serde_json::Value) -> Self {
        let mut canonical = String::new();
        write_canonical(parameters, &mut canonical);
        let mut hasher = Sha256::new();
        hasher.update(KEY_VERSION);
        for part in [model.as_bytes(), prompt.as_bytes(), canonical.as_bytes()] {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part);
        }
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let hex = hasher
            .finalize()
            .iter()
            .flat_map(|byte| [HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 0x0f)]])
            .map(char::from)
            .collect();
        Self(hex)
    }

    /// A key another hasher already made (the model layer keys its own
    /// answers): `None` unless it is 64 lowercase hex digits.
    pub fn from_digest(hex: &str) -> Option<Self> {
        let valid = hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        valid.then(|| Self(hex.to_owned()))
    }

    /// The 64 hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ModelAnswerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Serialises JSON with sorted object keys. serde_json's own order depends on
/// whether some crate in the build enables `preserve_order`, which must not
/// change our keys.
fn write_canonical(value: &serde_json::Value, out: &mut String) {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

impl Cache {
    /// The stored answer for `key`, if any and not expired.
    ///
    /// # Errors
    /// [`CacheError::Redis`] if Redis fails (callers treat that as a miss).
    #[tracing::instrument(skip(self), fields(key = %key))]
    pub async fn get_model_answer(&self, key: &ModelAnswerKey) -> Result<Option<Vec<u8>>, CacheError> {
        redis::cmd("GET")
            .arg(self.model_answer_key(key))
            .query_async(&mut self.conn())
            .await
            .map_err(CacheError::redis("GET model answer"))
    }

    /// Stores `answer` under `key` for `ttl` (millisecond resolution),
    /// replacing any previous answer.
    ///
    /// # Errors
    /// [`CacheError::InvalidTtl`] for a TTL under 1 ms; [`CacheError::Redis`] if Redis fails.
    #[tracing::instrument(skip(self, answer), fields(key = %key, bytes = answer.len()))]
    pub async fn set_model_answer(&self, key: &ModelAnswerKey, answer: &[u8], ttl: Duration) -> Result<(), CacheError> {
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
        if ttl_ms == 0 {
            return Err(CacheError::InvalidTtl(ttl));
        }
        redis::cmd("SET")
            .arg(self.model_answer_key(key))
            .arg(answer)
            .arg("PX")
            .arg(ttl_ms)
            .query_async::<()>(&mut self.conn())
            .await
            .map_err(CacheError::redis("SET model answer"))
    }

    /// The Redis key of a model answer: `{prefix}model_answer:{hex}`.
    pub fn model_answer_key(&self, key: &ModelAnswerKey) -> String {
        self.key(&format!("model_answer:{key}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_key_is_64_hex_digits_and_ignores_parameter_order() {
        let a = ModelAnswerKey::new("gemini-2.5-flash", "draw a cat", &json!({"seed": 1, "t": {"b": 2, "a": 1}}));
        let b = ModelAnswerKey::new("gemini-2.5-flash", "draw a cat", &json!({"t": {"a": 1, "b": 2}, "seed": 1}));
        assert_eq!(a, b);
        assert_eq!(a.as_str().len(), 64);
        assert!(a.as_str().chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_eq!(ModelAnswerKey::from_digest(a.as_str()), Some(a.clone()));
    }

    #[test]
    fn a_foreign_digest_must_be_64_lowercase_hex_digits() {
        assert!(ModelAnswerKey::from_digest(&"ab".repeat(32)).is_some());
        assert!(ModelAnswerKey::from_digest(&"AB".repeat(32)).is_none());
        assert!(ModelAnswerKey::from_digest(&"ab".repeat(31)).is_none());
        assert!(ModelAnswerKey::from_digest(&format!("{}../", "a".repeat(61))).is_none());
    }

    #[test]
    fn moving_text_between_model_and_prompt_changes_the_key() {
        let params = json!({});
        assert_ne!(ModelAnswerKey::new("ab", "c", &params), ModelAnswerKey::new("a", "bc", &params));
        assert_ne!(
            ModelAnswerKey::new("m", "p", &json!({"seed": 1})),
            ModelAnswerKey::new("m", "p", &json!({"seed": 2}))
        );
    }
}
