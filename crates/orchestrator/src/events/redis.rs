//! [`RedisHub`]: job events across orchestrator instances, through the
//! Redis channels `phase_progress:{id}`, `hitl_feedback:{id}` and
//! `session_timeout:{id}`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures_util::StreamExt;
use manga_cache::{Cache, Channel};
use manga_domain::JobId;
use tokio::sync::broadcast;

use super::{EventHub, JobEvent, LocalHub};

/// The Redis channel an event belongs on.
fn channel_of(event: &JobEvent) -> Channel {
    match event.kind.as_str() {
        "feedback" | "chat" | "version_created" => Channel::HitlFeedback,
        "review_timeout" => Channel::SessionTimeout,
        _ => Channel::PhaseProgress,
    }
}

/// Fan-out across orchestrator instances through Redis channels.
pub struct RedisHub {
    cache: Cache,
    local: Arc<LocalHub>,
    following: Mutex<HashMap<JobId, tokio::task::JoinHandle<()>>>,
}

impl RedisHub {
    /// A hub over a Redis connection.
    pub fn new(cache: Cache) -> Self {
        Self { cache, local: Arc::new(LocalHub::new()), following: Mutex::new(HashMap::new()) }
    }
}

#[async_trait]
impl EventHub for RedisHub {
    async fn publish(&self, event: JobEvent) {
        let Ok(job) = JobId::parse(&event.job_id) else { return };
        if let Err(e) = self.cache.publish_json(channel_of(&event), job, &event).await {
            tracing::warn!(job_id = %job, error = %e, "event not published to Redis; delivering locally only");
            self.local.deliver(event);
        }
    }

    async fn subscribe(&self, job: JobId) -> broadcast::Receiver<Arc<JobEvent>> {
        let receiver = self.local.subscribe(job).await;
        let mut following = self.following.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        following.retain(|_, task| !task.is_finished());
        if !following.contains_key(&job) {
            let (cache, local) = (self.cache.clone(), self.local.clone());
            let task = tokio::spawn(async move {
                let mut stream = match cache.subscribe(job, &Channel::ALL).await {
                    Ok(stream) => stream,
                    Err(e) => {
                        tracing::warn!(job_id = %job, error = %e, "cannot follow the job's Redis channels");
                        return;
                    }
                };
                while let Some(message) = stream.next().await {
                    if let Ok(event) = message.json::<JobEvent>() {
                        local.deliver(event);
                    }
                    // Stop following once nobody on this instance watches the job.
                    if local.sender(job).receiver_count() == 0 {
                        break;
                    }
                }
            });
            following.insert(job, task);
        }
        receiver
    }

    fn open_streams(&self) -> usize {
        self.local.open_streams()
    }
}
