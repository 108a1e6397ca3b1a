//! Live fan-out across orchestrator instances: Redis pub/sub on
//! `phase_progress:{id}`, `hitl_feedback:{id}` and `session_timeout:{id}`.
//!
//! Whichever instance learns of an event publishes it; every instance holding
//! a WebSocket or SSE stream for that job is subscribed and forwards it. Redis
//! pub/sub is fire-and-forget: a subscriber that is not connected misses the
//! message, so a client that (re)connects first reads the job's state from the
//! store, then follows the channel.

use std::fmt;

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use manga_domain::JobId;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::cache::CONNECT_TIMEOUT;
use crate::{Cache, CacheError};

/// The three per-job channels of the seeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// `phase_progress:{id}`: phase started, progressed, completed.
    PhaseProgress,
    /// `hitl_feedback:{id}`: a person's feedback on a phase.
    HitlFeedback,
    /// `session_timeout:{id}`: the review window closed and the default applied.
    SessionTimeout,
}

impl Channel {
    /// All three, for a client that follows everything about a job.
    pub const ALL: [Channel; 3] = [Self::PhaseProgress, Self::HitlFeedback, Self::SessionTimeout];

    /// The channel's name stem: `phase_progress`, `hitl_feedback`, `session_timeout`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PhaseProgress => "phase_progress",
            Self::HitlFeedback => "hitl_feedback",
            Self::SessionTimeout => "session_timeout",
        }
    }

    fn parse(stem: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == stem)
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One message received on a job's channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelMessage {
    /// Which channel it came on.
    pub channel: Channel,
    /// The job it is about.
    pub job_id: JobId,
    /// The bytes as published.
    pub payload: Vec<u8>,
}

impl ChannelMessage {
    /// Decodes the payload as JSON.
    ///
    /// # Errors
    /// [`CacheError::Json`] when the payload is not a `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, CacheError> {
        serde_json::from_slice(&self.payload).map_err(|source| CacheError::Json { what: "channel message", source })
    }
}

/// The messages of a subscription, in publication order. It ends when the
/// connection to Redis is lost; the subscriber then resubscribes and catches
/// up from the store (pub/sub keeps no history).
pub type ChannelStream = BoxStream<'static, ChannelMessage>;

impl Cache {
    /// Publishes raw bytes on `channel` of `job_id`; returns how many
    /// subscribers (across all instances) received it.
    ///
    /// # Errors
    /// [`CacheError::Redis`] if Redis fails.
    #[tracing::instrument(skip(self, payload), fields(job_id = %job_id, channel = %channel))]
    pub async fn publish(&self, channel: Channel, job_id: JobId, payload: &[u8]) -> Result<u64, CacheError> {
        redis::cmd("PUBLISH")
            .arg(self.channel_name(channel, job_id))
            .arg(payload)
            .query_async(&mut self.conn())
            .await
            .map_err(CacheError::redis("PUBLISH"))
    }

    /// Publishes `message` as JSON; see [`Cache::publish`].
    ///
    /// # Errors
    /// [`CacheError::Json`] if it cannot be serialised, [`CacheError::Redis`] if Redis fails.
    pub async fn publish_json<T: Serialize + ?Sized>(
        &self,
        channel: Channel,
        job_id: JobId,
        message: &T,
    ) -> Result<u64, CacheError> {
        let payload =
            serde_json::to_vec(message).map_err(|source| CacheError::Json { what: "channel message", source })?;
        self.publish(channel, job_id, &payload).await
    }

    /// Subscribes to `channels` of `job_id` on a connection of its own (a
    /// subscribed Redis connection can do nothing else). When this returns,
    /// Redis has confirmed the subscription: anything published afterwards
    /// arrives on the stream.
    ///
    /// # Errors
    /// [`CacheError::Connect`], [`CacheError::Timeout`] or [`CacheError::Redis`]
    /// (all transient) when the subscription cannot be set up.
    #[tracing::instrument(skip(self), fields(job_id = %job_id))]
    pub async fn subscribe(&self, job_id: JobId, channels: &[Channel]) -> Result<ChannelStream, CacheError> {
        let mut pubsub = tokio::time::timeout(CONNECT_TIMEOUT, self.client().get_async_pubsub())
            .await
            .map_err(|_| CacheError::Timeout { operation: "connect for SUBSCRIBE", after: CONNECT_TIMEOUT })?
            .map_err(CacheError::redis("connect for SUBSCRIBE"))?;
        let names: Vec<String> = channels.iter().map(|&c| self.channel_name(c, job_id)).collect();
        tokio::time::timeout(CONNECT_TIMEOUT, pubsub.subscribe(&names))
            .await
            .map_err(|_| CacheError::Timeout { operation: "SUBSCRIBE", after: CONNECT_TIMEOUT })?
            .map_err(CacheError::redis("SUBSCRIBE"))?;

        let prefix = self.prefix().to_owned();
        let stream = pubsub.into_on_message().filter_map(move |msg| {
            let parsed = parse_channel_name(&prefix, msg.get_channel_name());
            let message = match parsed {
                Some((channel, job_id)) => {
                    Some(ChannelMessage { channel, job_id, payload: msg.get_payload_bytes().to_vec() })
                }
                None => {
                    // Only our own names are subscribed, so this is a bug, not input.
                    tracing::warn!(channel = msg.get_channel_name(), "message on an unexpected Redis channel dropped");
                    None
                }
            };
            std::future::ready(message)
        });
        Ok(stream.boxed())
    }

    /// The Redis channel name: `{prefix}{channel}:{job_id}`.
    pub fn channel_name(&self, channel: Channel, job_id: JobId) -> String {
        self.key(&format!("{channel}:{job_id}"))
    }
}

fn parse_channel_name(prefix: &str, name: &str) -> Option<(Channel, JobId)> {
    let (stem, id) = name.strip_prefix(prefix)?.split_once(':')?;
    Some((Channel::parse(stem)?, JobId::parse(id).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_channel_name_parses_back_to_its_channel_and_job() {
        let job = JobId::new();
        let name = format!("t1:hitl_feedback:{job}");
        assert_eq!(parse_channel_name("t1:", &name), Some((Channel::HitlFeedback, job)));
        assert_eq!(parse_channel_name("other:", &name), None);
        assert_eq!(parse_channel_name("t1:", "t1:nope:x"), None);
    }
}
