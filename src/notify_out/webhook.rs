//! JSON webhook notifications: one `POST` per event with the event's JSON
//! ([`Event::to_json`]), signed with `X-Promoter-Signature-256: sha256=<hex HMAC-SHA256 of the
//! body>` when a secret is configured (the same scheme as GitHub's `X-Hub-Signature-256`).
//!
//! One attempt with a short timeout; redirects are not followed; any answer other than 2xx is
//! a failure. The URL can hold a token (chat webhooks do), so logs name only its host.

use super::event::Event;
use super::secret::{self, Secret, SecretFence};
use super::{Notifier, NotifyError};
use crate::model::{SecretRef, WebhookSettings};
use async_trait::async_trait;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "X-Promoter-Signature-256";
/// The header naming the event (`PEER_APPROVED`, ...).
pub const EVENT_HEADER: &str = "X-Promoter-Event";
/// A unique id per delivery.
pub const DELIVERY_HEADER: &str = "X-Promoter-Delivery";
/// The whole exchange may take this long.
pub const DEFAULT_WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// `sha256=<lower-case hex of HMAC-SHA256(secret, body)>`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Whether `header` is the signature of `body` under `secret` (constant-time comparison).
pub fn verify_signature(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(hex_sig) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

/// Posts each event's JSON to a URL.
#[derive(Debug, Clone)]
pub struct WebhookNotifier {
    url: Result<url::Url, String>,
    secret_from: Option<SecretRef>,
    fence: SecretFence,
    client: Result<reqwest::Client, String>,
    on_failure: super::OnFailure,
}

impl WebhookNotifier {
    /// A notifier for `settings`. A URL that does not parse is logged now and at each send
    /// (nothing is sent).
    pub fn new(settings: &WebhookSettings) -> WebhookNotifier {
        let url = url::Url::parse(&settings.url)
            .map_err(|e| format!("webhook url does not parse: {e}"))
            .and_then(|u| match u.scheme() {
                "http" | "https" => Ok(u),
                s => Err(format!("webhook url scheme must be http or https, not {s}")),
            });
        if let Err(e) = &url {
            tracing::warn!(error = %e, "webhook notifications are misconfigured; nothing will be posted");
        }
        WebhookNotifier {
            url,
            secret_from: settings.secret_from.clone(),
            fence: SecretFence::default(),
            client: client(DEFAULT_WEBHOOK_TIMEOUT),
            on_failure: super::OnFailure::default(),
        }
    }

    /// Where the secret may be read from (default: `PROMOTER_SECRET_*` variables only).
    pub fn with_secrets(mut self, fence: SecretFence) -> WebhookNotifier {
        self.fence = fence;
        self
    }

    /// Tell `on_failure` about every event this notifier fails to deliver.
    pub fn with_failure_hook(mut self, on_failure: super::OnFailure) -> WebhookNotifier {
        self.on_failure = on_failure;
        self
    }

    /// Change the timeout of the whole exchange (default [`DEFAULT_WEBHOOK_TIMEOUT`]).
    pub fn with_timeout(mut self, timeout: Duration) -> WebhookNotifier {
        self.client = client(timeout);
        self
    }

    fn host(&self) -> String {
        match &self.url {
            Ok(u) => u.host_str().unwrap_or("?").to_owned(),
            Err(_) => "?".to_owned(),
        }
    }

    /// Post `event`, reporting the failure instead of logging it.
    pub async fn try_send(&self, event: &Event) -> Result<(), NotifyError> {
        let url = self
            .url
            .as_ref()
            .map_err(|e| NotifyError::Config(e.clone()))?;
        let client = self
            .client
            .as_ref()
            .map_err(|e| NotifyError::Config(e.clone()))?;
        let secret: Option<Secret> = match &self.secret_from {
            Some(r) => Some(secret::resolve("webhook secret", r, &self.fence)?),
            None => None,
        };
        let body = serde_json::to_vec(&event.to_json())
            .map_err(|e| NotifyError::Http(format!("encoding the event: {e}")))?;
        let mut req = client
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(EVENT_HEADER, event.kind().as_str())
            .header(DELIVERY_HEADER, uuid::Uuid::new_v4().to_string());
        if let Some(s) = &secret {
            req = req.header(SIGNATURE_HEADER, signature(s.expose().as_bytes(), &body));
        }
        let resp = req
            .body(body)
            .send()
            .await
            .map_err(|e| NotifyError::Http(e.without_url().to_string()))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(NotifyError::Status(status.as_u16()));
        }
        Ok(())
    }
}

#[async_trait]
impl Notifier for WebhookNotifier {
    async fn send(&self, event: &Event) {
        match self.try_send(event).await {
            Ok(()) => tracing::debug!(
                event = %event.kind(),
                promotion = event.promotion_id(),
                host = %self.host(),
                "notification webhook delivered"
            ),
            Err(e) => {
                tracing::warn!(
                    event = %event.kind(),
                    promotion = event.promotion_id(),
                    host = %self.host(),
                    error = %e,
                    "notification webhook not delivered"
                );
                self.on_failure.fire("webhook", event);
            }
        }
    }
}

fn client(timeout: Duration) -> Result<reqwest::Client, String> {
    super::install_crypto_provider();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(CONNECT_TIMEOUT.min(timeout))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("boomi-promoter/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("building the HTTP client: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_a_known_vector() {
        // RFC 4231 test case 2.
        let sig = signature(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            sig,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(verify_signature(
            b"Jefe",
            b"what do ya want for nothing?",
            &sig
        ));
        assert!(!verify_signature(
            b"Jefe",
            b"what do ya want for nothing!",
            &sig
        ));
        assert!(!verify_signature(
            b"jefe",
            b"what do ya want for nothing?",
            &sig
        ));
        assert!(!verify_signature(b"Jefe", b"x", "sha1=00"));
        assert!(!verify_signature(b"Jefe", b"x", "sha256=zz"));
    }

    #[test]
    fn bad_urls_are_reported_at_send() {
        for url in ["not a url", "ftp://example.com/hook"] {
            let n = WebhookNotifier::new(&WebhookSettings {
                url: url.into(),
                secret_from: None,
            });
            assert!(n.url.is_err(), "{url}");
        }
    }
}
