//! [`QueuedNotifier`]: hands events to a background task so `send` returns at once, whatever
//! the SMTP relay or the webhook receiver does. Events are delivered one after the other, in
//! the order they were sent; when the queue is full an event is dropped with a warning (a
//! notification never holds up the reconciler); an [`OnFailure`] hook counts the drops.

use super::event::Event;
use super::{Notifier, OnFailure};
use async_trait::async_trait;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The default number of events waiting for delivery before new ones are dropped.
pub const DEFAULT_QUEUE_CAPACITY: usize = 256;

/// Sends through `inner` from a background task.
pub struct QueuedNotifier {
    tx: Mutex<Option<mpsc::Sender<Event>>>,
    worker: Mutex<Option<JoinHandle<()>>>,
    on_failure: OnFailure,
}

impl QueuedNotifier {
    /// Start the delivery task on the current tokio runtime (panics outside one, like
    /// `tokio::spawn`). `capacity` is at least 1.
    pub fn spawn(inner: Arc<dyn Notifier>, capacity: usize) -> QueuedNotifier {
        QueuedNotifier::spawn_with(inner, capacity, OnFailure::default())
    }

    /// [`QueuedNotifier::spawn`], telling `on_failure` about every event dropped before
    /// delivery (channel `queue`).
    pub fn spawn_with(
        inner: Arc<dyn Notifier>,
        capacity: usize,
        on_failure: OnFailure,
    ) -> QueuedNotifier {
        let (tx, mut rx) = mpsc::channel::<Event>(capacity.max(1));
        let worker = tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                inner.send(&event).await;
            }
        });
        QueuedNotifier {
            tx: Mutex::new(Some(tx)),
            worker: Mutex::new(Some(worker)),
            on_failure,
        }
    }

    /// Stop taking events and wait until the queued ones are delivered (or have failed and
    /// been logged). For a graceful shutdown. Later `send`s are dropped with a warning.
    pub async fn close(&self) {
        drop(self.tx.lock().unwrap_or_else(|p| p.into_inner()).take());
        let worker = self.worker.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(w) = worker {
            if let Err(e) = w.await {
                tracing::warn!(error = %e, "the notification task ended abnormally");
            }
        }
    }
}

#[async_trait]
impl Notifier for QueuedNotifier {
    async fn send(&self, event: &Event) {
        let tx = self.tx.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let Some(tx) = tx else {
            tracing::warn!(
                event = %event.kind(),
                promotion = event.promotion_id(),
                "notification dropped: the notifier is closed"
            );
            self.on_failure.fire("queue", event);
            return;
        };
        match tx.try_send(event.clone()) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(e)) => {
                tracing::warn!(
                    event = %e.kind(),
                    promotion = e.promotion_id(),
                    "notification dropped: too many notifications are waiting for delivery"
                );
                self.on_failure.fire("queue", &e);
            }
            Err(mpsc::error::TrySendError::Closed(e)) => {
                tracing::warn!(
                    event = %e.kind(),
                    promotion = e.promotion_id(),
                    "notification dropped: the notification task has stopped"
                );
                self.on_failure.fire("queue", &e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PromotionStatus, Target};
    use crate::notify_out::{EventKind, RecordingNotifier};
    use crate::store::record::PromotionRecord;
    use futures::FutureExt;

    /// Waits for the gate to open before passing the event on.
    struct Gated {
        gate: Arc<tokio::sync::Semaphore>,
        out: Arc<RecordingNotifier>,
    }

    #[async_trait]
    impl Notifier for Gated {
        async fn send(&self, event: &Event) {
            let _permit = self.gate.acquire().await.expect("gate open");
            self.out.send(event).await;
        }
    }

    fn record() -> PromotionRecord {
        PromotionRecord::new(
            "p-001",
            "dev",
            "a@x",
            "P",
            Target::Production,
            PromotionStatus::PendingPeerReview,
            chrono::Utc::now(),
        )
    }

    #[tokio::test]
    async fn send_returns_at_once_and_delivery_keeps_the_order() {
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let out = Arc::new(RecordingNotifier::new());
        let q = QueuedNotifier::spawn(
            Arc::new(Gated {
                gate: gate.clone(),
                out: out.clone(),
            }),
            8,
        );
        let r = record();
        // the inner notifier is blocked, yet send completes on its first poll
        for e in [
            Event::peer_review_needed(&r),
            Event::peer_approved(&r, "b@x", None),
            Event::admin_denied(&r, "c@x", Some("no")),
        ] {
            assert!(q.send(&e).now_or_never().is_some(), "send waited");
        }
        assert!(out.events().is_empty());
        gate.add_permits(100);
        q.close().await;
        let kinds: Vec<_> = out.events().iter().map(Event::kind).collect();
        assert_eq!(
            kinds,
            [
                EventKind::PeerReviewNeeded,
                EventKind::PeerApproved,
                EventKind::AdminDenied
            ]
        );
        // closed: dropped, not delivered, no panic
        q.send(&Event::peer_review_needed(&r)).await;
        assert_eq!(out.events().len(), 3);
    }

    #[tokio::test]
    async fn a_full_queue_drops_new_events() {
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let out = Arc::new(RecordingNotifier::new());
        let dropped = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
        let d = dropped.clone();
        let q = QueuedNotifier::spawn_with(
            Arc::new(Gated {
                gate: gate.clone(),
                out: out.clone(),
            }),
            1,
            OnFailure::new(Arc::new(move |channel: &str, event: &str| {
                d.lock().unwrap().push((channel.into(), event.into()))
            })),
        );
        let r = record();
        // current-thread runtime: the worker does not run between these two sends
        q.send(&Event::peer_review_needed(&r)).await;
        q.send(&Event::peer_approved(&r, "b@x", None)).await;
        gate.add_permits(100);
        q.close().await;
        let kinds: Vec<_> = out.events().iter().map(Event::kind).collect();
        assert_eq!(kinds, [EventKind::PeerReviewNeeded]);
        assert_eq!(
            *dropped.lock().unwrap(),
            [(
                "queue".to_string(),
                EventKind::PeerApproved.as_str().to_string()
            )]
        );
    }
}
