//! E-mail notifications over SMTP (lettre, rustls with ring; no OpenSSL).
//!
//! TLS modes: `none` (plain, for a local relay; port 25 by default), `starttls` (the default;
//! port 587) and `tls` (implicit TLS; port 465). The password comes from a [`SecretRef`]
//! (environment or file), read at each send so a rotated file is picked up, and never logged.

use super::event::{Event, Lists};
use super::secret::{self, Secret, SecretFence};
use super::{Notifier, NotifyError};
use crate::model::{Notifications, SecretRef, SmtpSettings};
use async_trait::async_trait;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// How long one SMTP exchange may take (connect, each command) before it is abandoned.
pub const DEFAULT_SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// The transport security of the SMTP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain text: only for a trusted local relay.
    None,
    /// Plain connection upgraded with `STARTTLS`, which is required.
    StartTls,
    /// TLS from the first byte (SMTPS).
    Tls,
}

impl TlsMode {
    /// `none`, `starttls` or `tls` (case-insensitive); unset means `starttls`.
    pub fn parse(s: Option<&str>) -> Result<TlsMode, NotifyError> {
        match s.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
            None | Some("starttls") => Ok(TlsMode::StartTls),
            Some("none") => Ok(TlsMode::None),
            Some("tls") => Ok(TlsMode::Tls),
            Some(other) => Err(NotifyError::Config(format!(
                "smtp.tls must be none, starttls or tls, not {other:?}"
            ))),
        }
    }

    /// The port used when `smtp.port` is not set.
    pub fn default_port(self) -> u16 {
        match self {
            TlsMode::None => 25,
            TlsMode::StartTls => 587,
            TlsMode::Tls => 465,
        }
    }
}

/// The checked SMTP settings.
#[derive(Debug, Clone)]
struct Config {
    host: String,
    port: u16,
    tls: TlsMode,
    from: Mailbox,
    username: Option<String>,
    password_from: Option<SecretRef>,
}

impl Config {
    fn check(s: &SmtpSettings) -> Result<Config, NotifyError> {
        let host = s.host.trim();
        if host.is_empty() {
            return Err(NotifyError::Config("smtp.host is empty".into()));
        }
        let tls = TlsMode::parse(s.tls.as_deref())?;
        let from: Mailbox = s
            .from
            .parse()
            .map_err(|e| NotifyError::Config(format!("smtp.from {:?}: {e}", s.from)))?;
        if tls == TlsMode::None && !s.allow_insecure && !is_loopback(host) {
            return Err(NotifyError::Config(format!(
                "smtp.tls is none but smtp.host {host:?} is not a loopback address: plain-text SMTP only to a local relay, unless the signed settings say allowInsecure: true"
            )));
        }
        let username = s.username.clone().filter(|u| !u.is_empty());
        if username.is_none() && s.password_from.is_some() {
            return Err(NotifyError::Config(
                "smtp.passwordFrom is set but smtp.username is not".into(),
            ));
        }
        if username.is_some() && s.password_from.is_none() {
            return Err(NotifyError::Config(
                "smtp.username is set but smtp.passwordFrom is not".into(),
            ));
        }
        Ok(Config {
            host: host.to_owned(),
            port: s.port.unwrap_or(tls.default_port()),
            tls,
            from,
            username,
            password_from: s.password_from.clone(),
        })
    }
}

pub use crate::model::validate::is_loopback_host as is_loopback;

/// Sends each event as a plain-text e-mail to the recipients of `seed-behaviors.md` §8.
#[derive(Debug, Clone)]
pub struct SmtpNotifier {
    config: Result<Config, String>,
    fence: SecretFence,
    developers_list: Option<String>,
    admins_list: Option<String>,
    timeout: Duration,
    on_failure: super::OnFailure,
}

impl SmtpNotifier {
    /// A notifier for the `smtp` settings and the distribution lists of `notifications`.
    /// `None` when `notifications.smtp` is not set. Settings that do not check out are logged
    /// now and at each send (nothing is sent).
    pub fn from_settings(n: &Notifications) -> Option<SmtpNotifier> {
        let smtp = n.smtp.as_ref()?;
        let config = Config::check(smtp).map_err(|e| e.to_string());
        if let Err(e) = &config {
            tracing::warn!(error = %e, "SMTP notifications are misconfigured; no e-mail will be sent");
        }
        Some(SmtpNotifier {
            config,
            fence: SecretFence::default(),
            developers_list: n.developers_list.clone(),
            admins_list: n.admins_list.clone(),
            timeout: DEFAULT_SMTP_TIMEOUT,
            on_failure: super::OnFailure::default(),
        })
    }

    /// Where the password may be read from (default: `PROMOTER_SECRET_*` variables only).
    pub fn with_secrets(mut self, fence: SecretFence) -> SmtpNotifier {
        self.fence = fence;
        self
    }

    /// Tell `on_failure` about every event this notifier fails to deliver.
    pub fn with_failure_hook(mut self, on_failure: super::OnFailure) -> SmtpNotifier {
        self.on_failure = on_failure;
        self
    }

    /// Change the per-exchange timeout (default [`DEFAULT_SMTP_TIMEOUT`]).
    pub fn with_timeout(mut self, timeout: Duration) -> SmtpNotifier {
        self.timeout = timeout;
        self
    }

    fn lists(&self) -> Lists<'_> {
        Lists {
            developers: self.developers_list.as_deref(),
            admins: self.admins_list.as_deref(),
        }
    }

    /// Build the e-mail of `event`. `None` when it has no recipient.
    pub fn message(&self, event: &Event) -> Result<Option<Message>, NotifyError> {
        let config = self
            .config
            .as_ref()
            .map_err(|e| NotifyError::Config(e.clone()))?;
        build_message(&config.from, event, self.lists())
    }

    /// Send `event`, reporting the failure instead of logging it.
    pub async fn try_send(&self, event: &Event) -> Result<(), NotifyError> {
        let config = self
            .config
            .as_ref()
            .map_err(|e| NotifyError::Config(e.clone()))?;
        let Some(message) = build_message(&config.from, event, self.lists())? else {
            tracing::debug!(
                event = %event.kind(),
                promotion = event.promotion_id(),
                "no e-mail recipient for this event"
            );
            return Ok(());
        };
        let password = match &config.password_from {
            Some(r) => Some(secret::resolve("SMTP password", r, &self.fence)?),
            None => None,
        };
        let transport = transport(config, password.as_ref(), self.timeout)?;
        transport
            .send(message)
            .await
            .map_err(|e| NotifyError::Smtp(e.to_string()))?;
        Ok(())
    }
}

#[async_trait]
impl Notifier for SmtpNotifier {
    async fn send(&self, event: &Event) {
        match self.try_send(event).await {
            Ok(()) => tracing::debug!(
                event = %event.kind(),
                promotion = event.promotion_id(),
                "notification e-mail sent"
            ),
            Err(e) => {
                tracing::warn!(
                    event = %event.kind(),
                    promotion = event.promotion_id(),
                    error = %e,
                    "notification e-mail not sent"
                );
                self.on_failure.fire("smtp", event);
            }
        }
    }
}

fn transport(
    config: &Config,
    password: Option<&Secret>,
    timeout: Duration,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, NotifyError> {
    super::install_crypto_provider();
    let tls = match config.tls {
        TlsMode::None => Tls::None,
        TlsMode::StartTls => Tls::Required(tls_parameters(&config.host)?),
        TlsMode::Tls => Tls::Wrapper(tls_parameters(&config.host)?),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host.as_str())
        .port(config.port)
        .timeout(Some(timeout))
        .tls(tls);
    if let (Some(user), Some(password)) = (&config.username, password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.expose().to_owned()));
    }
    Ok(builder.build())
}

fn tls_parameters(host: &str) -> Result<TlsParameters, NotifyError> {
    TlsParameters::new(host.to_owned()).map_err(|e| NotifyError::Smtp(format!("TLS setup: {e}")))
}

/// The e-mail of `event` from `from`; `None` when nobody is to receive it. An address that
/// does not parse is skipped with a warning (the others still receive the message).
fn build_message(
    from: &Mailbox,
    event: &Event,
    lists: Lists<'_>,
) -> Result<Option<Message>, NotifyError> {
    let rc = event.recipients(lists);
    let parse = |a: &str| match a.parse::<Mailbox>() {
        Ok(m) => Some(m),
        Err(e) => {
            tracing::warn!(address = a, error = %e, "skipping an e-mail address that does not parse");
            None
        }
    };
    let to: Vec<Mailbox> = rc.to.iter().filter_map(|a| parse(a)).collect();
    let cc: Vec<Mailbox> = rc.cc.iter().filter_map(|a| parse(a)).collect();
    if to.is_empty() && cc.is_empty() {
        return Ok(None);
    }
    let mut b = Message::builder()
        .from(from.clone())
        .subject(event.subject())
        .message_id(None)
        .header(ContentType::TEXT_PLAIN)
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("X-Promoter-Event"),
            event.kind().as_str().to_owned(),
        ));
    // A refused repository document belongs to no promotion.
    if let Some(id) = event.promotion_id() {
        b = b.raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("X-Promoter-Promotion"),
            id.to_owned(),
        ));
    }
    for m in to {
        b = b.to(m);
    }
    for m in cc {
        b = b.cc(m);
    }
    b.body(event.text_body())
        .map(Some)
        .map_err(|e| NotifyError::Smtp(format!("building the message: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(tls: Option<&str>) -> SmtpSettings {
        SmtpSettings {
            host: "mail.example.com".into(),
            port: None,
            from: "Promoter <promoter@example.com>".into(),
            tls: tls.map(str::to_owned),
            username: None,
            password_from: None,
            allow_insecure: false,
        }
    }

    #[test]
    fn plain_text_goes_only_to_a_loopback_relay() {
        for (host, allow, ok) in [
            ("127.0.0.1", false, true),
            ("127.1.2.3", false, true),
            ("::1", false, true),
            ("[::1]", false, true),
            ("LocalHost", false, true),
            ("mail.example.com", false, false),
            ("10.0.0.5", false, false),
            ("localhost.evil.example", false, false),
            ("mail.example.com", true, true),
        ] {
            let mut s = settings(Some("none"));
            s.host = host.into();
            s.allow_insecure = allow;
            let got = Config::check(&s);
            assert_eq!(got.is_ok(), ok, "{host} allowInsecure={allow}: {got:?}");
            if let Err(e) = got {
                assert!(e.to_string().contains("loopback"), "{e}");
            }
        }
    }

    #[test]
    fn tls_modes_and_their_default_ports() {
        for (s, mode, port) in [
            (None, TlsMode::StartTls, 587),
            (Some("starttls"), TlsMode::StartTls, 587),
            (Some("NONE"), TlsMode::None, 25),
            (Some("tls"), TlsMode::Tls, 465),
        ] {
            let mut st = settings(s);
            if mode == TlsMode::None {
                st.host = "127.0.0.1".into();
            }
            let c = Config::check(&st).unwrap();
            assert_eq!(c.tls, mode);
            assert_eq!(c.port, port);
        }
        assert!(Config::check(&settings(Some("ssl"))).is_err());
        let mut s = settings(Some("tls"));
        s.port = Some(2465);
        assert_eq!(Config::check(&s).unwrap().port, 2465);
    }

    #[test]
    fn bad_settings_are_refused() {
        let mut s = settings(None);
        s.from = "not an address".into();
        assert!(Config::check(&s).is_err());
        let mut s = settings(None);
        s.password_from = Some(SecretRef {
            env: Some("X".into()),
            file: None,
        });
        assert!(Config::check(&s)
            .unwrap_err()
            .to_string()
            .contains("username"));
        let mut s = settings(None);
        s.host = " ".into();
        assert!(Config::check(&s).is_err());
    }
}
