//! HITL sessions: the hash `session:{job_id}` with the seeds' fields and TTL.
//!
//! Redis is a fast copy, never the truth: Postgres (crates/store) holds the
//! job. A session may vanish at any time (TTL, eviction, a Memorystore
//! failover), so [`Cache::get_session`] answering `None` is normal and the
//! caller rebuilds the session from the store and puts it back.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use manga_domain::{JobId, PhaseId};

use crate::{Cache, CacheError};

/// How long a session lives without a [`Cache::touch_session`] (the seeds' 3600 s).
pub const SESSION_TTL: Duration = Duration::from_secs(3600);

const USER_ID: &str = "user_id";
const CURRENT_PHASE: &str = "current_phase";
const FEEDBACK_TIMEOUT: &str = "feedback_timeout";
const SESSION_START: &str = "session_start";
const PHASE_RESULTS: &str = "phase_results";

/// One job's HITL session as the orchestrator instances share it.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// The job the session belongs to (the key's `{job_id}`).
    pub job_id: JobId,
    /// The owner, as the JWT's subject names them.
    pub user_id: String,
    /// The phase running or awaiting review; stored as its number 1..=8.
    pub current_phase: PhaseId,
    /// When the pending review times out and the default applies; `None`
    /// while no feedback is awaited.
    pub feedback_timeout: Option<DateTime<Utc>>,
    /// When the session began.
    pub session_start: DateTime<Utc>,
    /// Per-phase summaries for the live view. The orchestrator decides their
    /// shape; the cache only carries them, so they stay JSON here.
    pub phase_results: BTreeMap<PhaseId, serde_json::Value>,
}

impl Cache {
    /// Reads the session of `job_id`; `None` when Redis does not have it
    /// (expired or evicted), in which case the caller rebuilds it from the store.
    ///
    /// # Errors
    /// [`CacheError::Redis`] if Redis fails; [`CacheError::CorruptSession`] if
    /// the hash exists but a field cannot be read back.
    #[tracing::instrument(skip(self), fields(job_id = %job_id))]
    pub async fn get_session(&self, job_id: JobId) -> Result<Option<Session>, CacheError> {
        let fields: HashMap<String, String> = redis::cmd("HGETALL")
            .arg(self.session_key(job_id))
            .query_async(&mut self.conn())
            .await
            .map_err(CacheError::redis("HGETALL session"))?;
        if fields.is_empty() {
            return Ok(None);
        }
        decode(job_id, &fields).map(Some)
    }

    /// Writes the whole session, replacing any previous one, with a fresh
    /// [`SESSION_TTL`]. Replace-not-merge keeps a stale field (a cleared
    /// `feedback_timeout`) from surviving.
    ///
    /// # Errors
    /// [`CacheError::Redis`] if Redis fails; [`CacheError::Json`] if a phase
    /// result cannot be serialised.
    #[tracing::instrument(skip(self, session), fields(job_id = %session.job_id))]
    pub async fn put_session(&self, session: &Session) -> Result<(), CacheError> {
        let key = self.session_key(session.job_id);
        let fields = encode(session)?;
        // DEL + HSET + EXPIRE in one MULTI: readers never see a half-written
        // session or one without a TTL.
        redis::pipe()
            .atomic()
            .del(&key)
            .ignore()
            .hset_multiple(&key, &fields)
            .ignore()
            .expire(&key, ttl_seconds())
            .ignore()
            .query_async::<()>(&mut self.conn())
            .await
            .map_err(CacheError::redis("MULTI put session"))
    }

    /// Restarts the session's [`SESSION_TTL`] (on activity); `false` when there
    /// was no session to keep alive.
    ///
    /// # Errors
    /// [`CacheError::Redis`] if Redis fails.
    #[tracing::instrument(skip(self), fields(job_id = %job_id))]
    pub async fn touch_session(&self, job_id: JobId) -> Result<bool, CacheError> {
        redis::cmd("EXPIRE")
            .arg(self.session_key(job_id))
            .arg(ttl_seconds())
            .query_async(&mut self.conn())
            .await
            .map_err(CacheError::redis("EXPIRE session"))
    }

    /// Removes the session; `false` when there was none.
    ///
    /// # Errors
    /// [`CacheError::Redis`] if Redis fails.
    #[tracing::instrument(skip(self), fields(job_id = %job_id))]
    pub async fn delete_session(&self, job_id: JobId) -> Result<bool, CacheError> {
        let removed: u64 = redis::cmd("DEL")
            .arg(self.session_key(job_id))
            .query_async(&mut self.conn())
            .await
            .map_err(CacheError::redis("DEL session"))?;
        Ok(removed > 0)
    }

    /// The Redis key of a job's session: `{prefix}session:{job_id}`.
    pub fn session_key(&self, job_id: JobId) -> String {
        self.key(&format!("session:{job_id}"))
    }
}

fn ttl_seconds() -> i64 {
    SESSION_TTL.as_secs() as i64
}

fn encode(session: &Session) -> Result<Vec<(&'static str, String)>, CacheError> {
    let phase_results = serde_json::to_string(&session.phase_results)
        .map_err(|source| CacheError::Json { what: "session phase_results", source })?;
    let mut fields = vec![
        (USER_ID, session.user_id.clone()),
        (CURRENT_PHASE, session.current_phase.number().to_string()),
        (SESSION_START, timestamp(session.session_start)),
        (PHASE_RESULTS, phase_results),
    ];
    if let Some(deadline) = session.feedback_timeout {
        fields.push((FEEDBACK_TIMEOUT, timestamp(deadline)));
    }
    Ok(fields)
}

fn decode(job_id: JobId, fields: &HashMap<String, String>) -> Result<Session, CacheError> {
    let corrupt = |field: &'static str, reason: String| CacheError::CorruptSession { job_id, field, reason };
    let required = |field: &'static str| fields.get(field).ok_or_else(|| corrupt(field, "missing".to_owned()));

    let user_id = required(USER_ID)?.clone();
    let phase_text = required(CURRENT_PHASE)?;
    let current_phase = phase_text
        .parse::<u32>()
        .ok()
        .and_then(|n| PhaseId::from_number(n).ok())
        .ok_or_else(|| corrupt(CURRENT_PHASE, format!("{phase_text:?} is not a phase number 1..=8")))?;
    let session_start = parse_timestamp(required(SESSION_START)?).map_err(|reason| corrupt(SESSION_START, reason))?;
    let feedback_timeout = fields
        .get(FEEDBACK_TIMEOUT)
        .map(|text| parse_timestamp(text))
        .transpose()
        .map_err(|reason| corrupt(FEEDBACK_TIMEOUT, reason))?;
    let phase_results = match fields.get(PHASE_RESULTS) {
        Some(text) => serde_json::from_str(text).map_err(|e| corrupt(PHASE_RESULTS, e.to_string()))?,
        None => BTreeMap::new(),
    };
    Ok(Session { job_id, user_id, current_phase, feedback_timeout, session_start, phase_results })
}

/// RFC 3339 with as many fractional digits as needed, so a timestamp reads
/// back exactly and stays legible in `redis-cli HGETALL`.
fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn parse_timestamp(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc)).map_err(|e| format!("{text:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Session {
        Session {
            job_id: JobId::new(),
            user_id: "user-7".into(),
            current_phase: PhaseId::Name,
            feedback_timeout: None,
            session_start: Utc::now(),
            phase_results: BTreeMap::from([(PhaseId::Concept, serde_json::json!({"quality": 0.9}))]),
        }
    }

    #[test]
    fn a_session_survives_encoding_to_hash_fields_and_back() {
        let session = Session { feedback_timeout: Some(Utc::now()), ..sample() };
        let fields: HashMap<String, String> =
            encode(&session).unwrap().into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        assert_eq!(fields[CURRENT_PHASE], "4");
        assert_eq!(decode(session.job_id, &fields).unwrap(), session);
    }

    #[test]
    fn a_phase_number_outside_one_to_eight_is_reported_as_a_corrupt_field() {
        let session = sample();
        let mut fields: HashMap<String, String> =
            encode(&session).unwrap().into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        fields.insert(CURRENT_PHASE.into(), "9".into());
        let err = decode(session.job_id, &fields).unwrap_err();
        assert!(err.to_string().contains("invalid `current_phase`"), "{err}");
    }
}
