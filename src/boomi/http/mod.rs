//! `HttpPlatform`: the [`Platform`](super::Platform) over reqwest.
//!
//! * Paths: `{base}/partner/api/rest/v1/{primaryAccountId}/{Object}...`, with
//!   `?overrideAccount={dev}` only when a dev account is given.
//! * Basic auth `BOOMI_TOKEN.<user>:<token>`; the header is marked sensitive and never logged
//!   or recorded.
//! * JSON everywhere except `Component` (XML, kept byte for byte). `queryMore` with the bare
//!   token as `text/plain` until no token is returned.
//! * One rate limiter for every call of this client (governor GCRA, no burst, so at most
//!   `requests_per_second` calls start in any one-second window).
//! * Retries for transport errors, 429 and 5xx (503 is Boomi's rate-limit answer) with capped
//!   exponential backoff, jitter and `Retry-After`; never for 401 or any other 4xx. Calls that
//!   are not idempotent (creates, merges, packaging, releases, deployments) are retried only
//!   when nothing can have happened (503/429 refusals, connect errors), see [`is_idempotent`].
//! * An optional traffic record: one JSON line per HTTP exchange (every attempt), with the
//!   Authorization header redacted and secret extension values masked.
//!
//! | file | owns |
//! |---|---|
//! | `transport.rs` | [`HttpPlatform`] itself: URLs, the rate limiter, one logical call with its retries ([`RetryPolicy`]), [`CallEvent`]s, JSON decoding, `queryMore` paging |
//! | `recorder.rs` | the `--record-http` JSON lines and the redaction of secrets in them |
//! | `client.rs` | the [`Platform`](super::Platform) and [`Deployer`](super::Deployer) implementations over the transport |
//!
//! This file holds the client's configuration ([`HttpConfig`]) and re-exports the public
//! names, so `crate::boomi::http::X` is the path to use.

mod client;
mod recorder;
mod transport;

pub use recorder::redact_xml_secrets;
pub use transport::{
    encode_segment, endpoint_template, error_message, is_idempotent, CallEvent, CallObserver,
    HttpPlatform, RetryPolicy,
};

use super::Credentials;
use std::path::PathBuf;
use std::time::Duration;

/// Boomi's North-America API host.
pub const DEFAULT_BASE_URL: &str = "https://api.boomi.com";

/// Configuration of an [`HttpPlatform`].
#[derive(Clone)]
pub struct HttpConfig {
    /// `https://api.boomi.com` by default; `http://127.0.0.1:9090` for `promoter sim`.
    pub base_url: String,
    /// The authenticating (primary) account id, in every path.
    pub primary_account_id: String,
    pub credentials: Credentials,
    /// The shared client-side limit (default 8; Boomi's own is 10 and answers 503 above it).
    pub requests_per_second: u32,
    pub retry: RetryPolicy,
    /// Append a JSON line per HTTP exchange to this file.
    pub record_http: Option<PathBuf>,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Called after every HTTP exchange (metrics: calls by endpoint and status).
    pub observer: Option<CallObserver>,
}

impl std::fmt::Debug for HttpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpConfig")
            .field("base_url", &self.base_url)
            .field("primary_account_id", &self.primary_account_id)
            .field("credentials", &self.credentials)
            .field("requests_per_second", &self.requests_per_second)
            .field("retry", &self.retry)
            .field("record_http", &self.record_http)
            .field("timeout", &self.timeout)
            .field("observer", &self.observer.as_ref().map(|_| "<fn>"))
            .finish()
    }
}

impl HttpConfig {
    /// A configuration with the defaults (8 requests/s, 5 retries from 1 s to 30 s, 60 s
    /// timeout, no record).
    pub fn new(
        base_url: impl Into<String>,
        primary_account_id: impl Into<String>,
        credentials: Credentials,
    ) -> Self {
        HttpConfig {
            base_url: base_url.into(),
            primary_account_id: primary_account_id.into(),
            credentials,
            requests_per_second: 8,
            retry: RetryPolicy::default(),
            record_http: None,
            timeout: Duration::from_secs(60),
            observer: None,
        }
    }
}
