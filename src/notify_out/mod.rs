//! Notifications (`seed-behaviors.md` §8, DESIGN.md §6): the seven events of a promotion's
//! life, and `DOCUMENT_REFUSED` (a refused document, told to its author), sent by SMTP e-mail
//! and/or a signed JSON webhook as `promoter.yaml`'s `notifications` says.
//!
//! - [`event`]: the [`Event`]s, their recipients, subjects, bodies and JSON (pure).
//! - [`refusal`]: what `DOCUMENT_REFUSED` says ([`RefusalInfo`], pure).
//! - [`smtp`]: [`SmtpNotifier`] (lettre over rustls; TLS modes `none`, `starttls`, `tls`).
//! - [`webhook`]: [`WebhookNotifier`] (reqwest; `X-Promoter-Signature-256` HMAC-SHA256).
//! - [`queue`]: [`QueuedNotifier`], delivery from a background task so `send` returns at once.
//! - [`Notifier`]: what the reconciler calls. `send` never fails: a failed notification is
//!   logged with `tracing::warn!` and dropped, so it never blocks or repeats a step; an
//!   [`OnFailure`] hook (the daemon's metrics) is told about each one.
//!
//! Wiring it into the daemon, and sending the event of a status change:
//!
//! ```no_run
//! use boomi_promoter::model::Settings;
//! use boomi_promoter::notify_out::{self, Event, Notifier, QueuedNotifier};
//! use boomi_promoter::store::PromotionRecord;
//! use std::sync::Arc;
//!
//! async fn wire(settings: &Settings, record: &PromotionRecord) {
//!     let notifier = Arc::new(QueuedNotifier::spawn(
//!         notify_out::from_optional_settings(settings.notifications.as_ref()),
//!         notify_out::DEFAULT_QUEUE_CAPACITY,
//!     ));
//!     // after the transition is committed:
//!     if let Some(event) = Event::on_transition(record) {
//!         notifier.send(&event).await; // returns at once; never fails
//!     }
//!     notifier.close().await; // at shutdown: deliver what is queued
//! }
//! ```
//!
//! Withdrawal, test cancellation, promotion failure and pack assignment send nothing: there is
//! no event for them.

pub mod event;
pub mod queue;
pub mod refusal;
pub mod secret;
pub mod smtp;
pub mod webhook;

pub use event::{Event, EventKind, Lists, PromotionSummary, Recipients};
pub use queue::{QueuedNotifier, DEFAULT_QUEUE_CAPACITY};
pub use refusal::RefusalInfo;
pub use secret::{SecretFence, SECRET_ENV_PREFIX};
pub use smtp::{SmtpNotifier, TlsMode};
pub use webhook::{signature, verify_signature, WebhookNotifier};

use crate::model::Notifications;
use async_trait::async_trait;
use std::sync::{Arc, Mutex};

/// Why one notification was not delivered. Only logged: a notification failure is never a
/// promotion's error, so these carry no [`ErrorCode`](crate::model::ErrorCode). No variant
/// ever holds a secret.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The `notifications` settings do not check out.
    #[error("notification settings: {0}")]
    Config(String),
    /// A secret could not be read (names the variable or file, never the value).
    #[error("{what}: {reason}")]
    Secret { what: &'static str, reason: String },
    /// The SMTP exchange failed (connect, TLS, authentication, refused recipient, timeout).
    #[error("SMTP: {0}")]
    Smtp(String),
    /// The webhook request failed in transport (refused, timeout, TLS).
    #[error("webhook: {0}")]
    Http(String),
    /// The webhook receiver answered with a status other than 2xx.
    #[error("webhook receiver answered HTTP {0}")]
    Status(u16),
}

/// Told about every notification that was not delivered: the channel (`smtp`, `webhook`, or
/// `queue` for one dropped before delivery) and the event kind (`PEER_APPROVED`). Must be
/// quick: it is called inline.
pub type FailureHook = Arc<dyn Fn(&str, &str) + Send + Sync>;

/// An optional [`FailureHook`] (none by default).
#[derive(Clone, Default)]
pub struct OnFailure(Option<FailureHook>);

impl OnFailure {
    pub fn new(hook: FailureHook) -> OnFailure {
        OnFailure(Some(hook))
    }

    /// Tell the hook, if any, that `event` was not delivered through `channel`.
    pub(crate) fn fire(&self, channel: &str, event: &Event) {
        if let Some(h) = &self.0 {
            h(channel, event.kind().as_str());
        }
    }
}

impl std::fmt::Debug for OnFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "OnFailure(<hook>)"
        } else {
            "OnFailure(None)"
        })
    }
}

/// Sends notifications. `send` never returns an error: failures are logged with
/// `tracing::warn!` and swallowed.
#[async_trait]
pub trait Notifier: Send + Sync {
    async fn send(&self, event: &Event);
}

/// Sends nothing (no `notifications` in `promoter.yaml`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoopNotifier;

#[async_trait]
impl Notifier for NoopNotifier {
    async fn send(&self, event: &Event) {
        tracing::debug!(
            event = %event.kind(),
            promotion = event.promotion_id(),
            "no notification target configured"
        );
    }
}

/// Sends every event to each of several notifiers, concurrently.
#[derive(Clone, Default)]
pub struct MultiNotifier {
    targets: Vec<Arc<dyn Notifier>>,
}

impl MultiNotifier {
    pub fn new(targets: Vec<Arc<dyn Notifier>>) -> Self {
        MultiNotifier { targets }
    }

    pub fn len(&self) -> usize {
        self.targets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }
}

#[async_trait]
impl Notifier for MultiNotifier {
    async fn send(&self, event: &Event) {
        futures::future::join_all(self.targets.iter().map(|t| t.send(event))).await;
    }
}

/// Keeps every event it is given: for tests of the code that emits events.
#[derive(Debug, Default)]
pub struct RecordingNotifier {
    events: Mutex<Vec<Event>>,
}

impl RecordingNotifier {
    pub fn new() -> Self {
        Self::default()
    }

    /// The events sent so far, oldest first.
    pub fn events(&self) -> Vec<Event> {
        self.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

#[async_trait]
impl Notifier for RecordingNotifier {
    async fn send(&self, event: &Event) {
        self.events
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(event.clone());
    }
}

/// The notifier `notifications` asks for: SMTP and/or webhook, or nothing; secrets only from
/// `PROMOTER_SECRET_*` variables.
pub fn from_settings(n: &Notifications) -> Arc<dyn Notifier> {
    from_settings_with(n, &SecretFence::default())
}

/// [`from_settings`] with secrets read inside `fence`.
pub fn from_settings_with(n: &Notifications, fence: &SecretFence) -> Arc<dyn Notifier> {
    from_settings_observed(n, fence, &OnFailure::default())
}

/// [`from_settings_with`], telling `on_failure` about every notification not delivered.
pub fn from_settings_observed(
    n: &Notifications,
    fence: &SecretFence,
    on_failure: &OnFailure,
) -> Arc<dyn Notifier> {
    let mut targets = targets(n, fence, on_failure);
    match targets.len() {
        0 => Arc::new(NoopNotifier),
        1 => targets.pop().expect("one target"),
        _ => Arc::new(MultiNotifier::new(targets)),
    }
}

fn targets(
    n: &Notifications,
    fence: &SecretFence,
    on_failure: &OnFailure,
) -> Vec<Arc<dyn Notifier>> {
    let mut targets: Vec<Arc<dyn Notifier>> = Vec::new();
    if let Some(smtp) = SmtpNotifier::from_settings(n) {
        targets.push(Arc::new(
            smtp.with_secrets(fence.clone())
                .with_failure_hook(on_failure.clone()),
        ));
    }
    if let Some(w) = &n.webhook {
        targets.push(Arc::new(
            WebhookNotifier::new(w)
                .with_secrets(fence.clone())
                .with_failure_hook(on_failure.clone()),
        ));
    }
    targets
}

/// [`from_settings`] for the optional `notifications` of `promoter.yaml`.
pub fn from_optional_settings(n: Option<&Notifications>) -> Arc<dyn Notifier> {
    from_optional_settings_with(n, &SecretFence::default())
}

/// [`from_optional_settings`] with secrets read inside `fence`.
pub fn from_optional_settings_with(
    n: Option<&Notifications>,
    fence: &SecretFence,
) -> Arc<dyn Notifier> {
    from_optional_settings_observed(n, fence, &OnFailure::default())
}

/// [`from_optional_settings_with`], telling `on_failure` about every notification not
/// delivered.
pub fn from_optional_settings_observed(
    n: Option<&Notifications>,
    fence: &SecretFence,
    on_failure: &OnFailure,
) -> Arc<dyn Notifier> {
    match n {
        Some(n) => from_settings_observed(n, fence, on_failure),
        None => Arc::new(NoopNotifier),
    }
}

/// reqwest and lettre are built without a default rustls provider: install ring's (once; a
/// provider installed earlier by someone else is kept).
pub(crate) fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{SmtpSettings, WebhookSettings};

    fn notifications(smtp: bool, webhook: bool) -> Notifications {
        Notifications {
            developers_list: Some("dev@example.com".into()),
            admins_list: None,
            smtp: smtp.then(|| SmtpSettings {
                host: "localhost".into(),
                port: Some(2525),
                from: "promoter@example.com".into(),
                tls: Some("none".into()),
                username: None,
                password_from: None,
                allow_insecure: false,
            }),
            webhook: webhook.then(|| WebhookSettings {
                url: "http://127.0.0.1:9/hook".into(),
                secret_from: None,
            }),
        }
    }

    #[test]
    fn from_settings_picks_the_configured_targets() {
        assert!(SmtpNotifier::from_settings(&notifications(false, true)).is_none());
        assert!(SmtpNotifier::from_settings(&notifications(true, false)).is_some());
        let f = SecretFence::default();
        assert_eq!(
            targets(&notifications(false, false), &f, &OnFailure::default()).len(),
            0
        );
        assert_eq!(
            targets(&notifications(true, false), &f, &OnFailure::default()).len(),
            1
        );
        assert_eq!(
            targets(&notifications(false, true), &f, &OnFailure::default()).len(),
            1
        );
        assert_eq!(
            targets(&notifications(true, true), &f, &OnFailure::default()).len(),
            2
        );
    }

    #[tokio::test]
    async fn recording_notifier_keeps_events_in_order() {
        use crate::model::{PromotionStatus, Target};
        use crate::store::record::PromotionRecord;
        let r = PromotionRecord::new(
            "p-001",
            "dev",
            "a@x",
            "P",
            Target::Production,
            PromotionStatus::PendingPeerReview,
            chrono::Utc::now(),
        );
        let rec = Arc::new(RecordingNotifier::new());
        let multi = MultiNotifier::new(vec![rec.clone(), Arc::new(NoopNotifier)]);
        assert_eq!(multi.len(), 2);
        multi.send(&Event::peer_review_needed(&r)).await;
        multi.send(&Event::peer_approved(&r, "b@x", None)).await;
        let kinds: Vec<_> = rec.events().iter().map(Event::kind).collect();
        assert_eq!(
            kinds,
            [EventKind::PeerReviewNeeded, EventKind::PeerApproved]
        );
    }
}
