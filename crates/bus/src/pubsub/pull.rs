//! The task that moves messages from a streaming pull into a [`Subscription`].
//!
//! A message is acked only after it is in the subscription's channel, so a
//! message is never lost between Pub/Sub and the reader; if the reader is
//! gone it is nacked and Pub/Sub redelivers it (to another reader of a shared
//! subscription). Delivery is therefore at least once, as everywhere on
//! Pub/Sub.

use std::time::Duration;

use google_cloud_pubsub::client::SubscriptionAdmin;
use google_cloud_pubsub::model::Message;
use google_cloud_pubsub::subscriber::MessageStream;
use tokio::sync::mpsc;

use super::error::rpc_is_transient;
use crate::{BusMessage, Subscription};

/// The longest pause between attempts after the stream reports an outage.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// A subscription to delete when its reader is gone.
pub(crate) struct Cleanup {
    pub(crate) admin: SubscriptionAdmin,
    pub(crate) subscription: String,
}

/// Starts pulling `stream` into a new [`Subscription`].
pub(crate) fn spawn_pull(stream: MessageStream, subscription: String, cleanup: Option<Cleanup>) -> Subscription {
    let (sender, receiver) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        pump(stream, &sender, &subscription).await;
        // Close the stream before deleting what it reads.
        drop(sender);
        if let Some(cleanup) = cleanup {
            delete(cleanup).await;
        }
    });
    Subscription { receiver }
}

/// Delivers until the reader drops its [`Subscription`] or the stream ends
/// for good (the subscription was deleted, permission was revoked).
async fn pump(mut stream: MessageStream, sender: &mpsc::UnboundedSender<BusMessage>, subscription: &str) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let item = tokio::select! {
            // Without this the task would live until the next message arrives.
            () = sender.closed() => return,
            item = stream.next() => item,
        };
        match item {
            None => return,
            Some(Ok((message, handler))) => {
                backoff = Duration::from_millis(100);
                if sender.send(to_bus_message(message)).is_ok() {
                    handler.ack();
                } else {
                    handler.nack();
                    return;
                }
            }
            Some(Err(error)) if rpc_is_transient(&error) => {
                tracing::warn!(subscription, error = %error, retry_in_ms = backoff.as_millis() as u64, "streaming pull interrupted");
                tokio::select! {
                    () = sender.closed() => return,
                    () = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            Some(Err(error)) => {
                tracing::error!(subscription, error = %error, "streaming pull failed; the subscription ends");
                return;
            }
        }
    }
}

/// Pub/Sub's message as ours: the server id, the bytes, the attributes.
fn to_bus_message(message: Message) -> BusMessage {
    BusMessage { id: message.message_id, data: message.data, attributes: message.attributes.into_iter().collect() }
}

async fn delete(cleanup: Cleanup) {
    let Cleanup { admin, subscription } = cleanup;
    match admin.delete_subscription().set_subscription(&subscription).send().await {
        Ok(()) => tracing::debug!(subscription, "deleted the private pull subscription"),
        // It expires by itself after a day without readers; say so once.
        Err(error) => tracing::warn!(subscription, error = %error, "could not delete a private pull subscription"),
    }
}
