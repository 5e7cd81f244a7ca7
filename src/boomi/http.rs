//! `HttpPlatform`: the [`Platform`] over reqwest.
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

use super::error::{is_retryable_status, Resource};
use super::wire::*;
use super::*;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::io::Write;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Boomi's North-America API host.
pub const DEFAULT_BASE_URL: &str = "https://api.boomi.com";

/// Upper bound on `queryMore` pages of one query (a runaway-token guard: 10 million rows).
const MAX_PAGES: usize = 100_000;

/// Retry schedule: attempt `n` (0-based) waits `min(max_delay, base_delay * 2^n)` with equal
/// jitter (half fixed, half random). A `Retry-After` header raises the wait to at least its
/// value, still capped by `max_delay`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (so `max_retries + 1` calls at most).
    pub max_retries: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `attempt + 1`.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt.min(31)))
            .min(self.max_delay);
        let half = exp / 2;
        let jitter = if half.is_zero() {
            Duration::ZERO
        } else {
            Duration::from_nanos(rand::random_range(0..=half.as_nanos() as u64))
        };
        let d = half + jitter;
        match retry_after {
            Some(ra) => d.max(ra).min(self.max_delay),
            None => d,
        }
    }
}

/// One HTTP exchange with Boomi (every attempt), for metrics: `endpoint` is the path
/// template (`Branch/{id}`, `Component/{id}`, `MergeRequest/execute/{id}`), never an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallEvent {
    pub method: String,
    pub endpoint: String,
    /// `None` when no HTTP answer came back (transport error).
    pub status: Option<u16>,
    /// 1 for the first try.
    pub attempt: u32,
    pub duration: Duration,
}

/// Receives a [`CallEvent`] after every HTTP exchange (must be quick; called inline).
pub type CallObserver = Arc<dyn Fn(&CallEvent) + Send + Sync>;

/// The template of an API path relative to the account: ids become `{id}`.
pub fn endpoint_template(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    let mut segs = path.split('/').filter(|s| !s.is_empty());
    let Some(first) = segs.next() else {
        return String::new();
    };
    let object = first.split('~').next().unwrap_or(first);
    let mut out = object.to_string();
    for seg in segs {
        out.push('/');
        match seg {
            "query" | "queryMore" | "bulk" | "execute" | "update" => out.push_str(seg),
            _ => out.push_str("{id}"),
        }
    }
    out
}

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

/// A request body.
enum Body {
    None,
    Json(Vec<u8>),
    Xml(String),
    Text(String),
}

impl Body {
    fn content_type(&self) -> Option<&'static str> {
        match self {
            Body::None => None,
            Body::Json(_) => Some("application/json"),
            Body::Xml(_) => Some("application/xml"),
            Body::Text(_) => Some("text/plain"),
        }
    }
    fn bytes(&self) -> Option<Vec<u8>> {
        match self {
            Body::None => None,
            Body::Json(b) => Some(b.clone()),
            Body::Xml(s) | Body::Text(s) => Some(s.as_bytes().to_vec()),
        }
    }
    fn text(&self) -> Option<String> {
        self.bytes()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }
}

#[derive(Clone, Copy)]
enum Accept {
    Json,
    Xml,
}

/// A successful reply.
struct Reply {
    status: u16,
    body: String,
}

/// The traffic record file.
struct Recorder {
    file: Mutex<std::fs::File>,
}

impl Recorder {
    fn open(path: &std::path::Path) -> Result<Self, BoomiError> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| {
                BoomiError::Config(format!("cannot open record file {}: {e}", path.display()))
            })?;
        Ok(Recorder {
            file: Mutex::new(file),
        })
    }

    fn write(&self, entry: &Value) {
        let mut line = entry.to_string();
        line.push('\n');
        if let Ok(mut f) = self.file.lock() {
            if let Err(e) = f.write_all(line.as_bytes()) {
                tracing::warn!(error = %e, "cannot write the HTTP traffic record");
            }
        }
    }
}

/// Mask secret values in a JSON body before it is recorded: the `value` of any object that
/// says `usesEncryption: true` or `encrypted: true`.
fn redact_secrets(v: &mut Value) {
    match v {
        Value::Object(map) => {
            let secret = [map.get("usesEncryption"), map.get("encrypted")]
                .iter()
                .any(|f| {
                    matches!(f, Some(Value::Bool(true)))
                        || matches!(f, Some(Value::String(s)) if s.eq_ignore_ascii_case("true"))
                });
            if secret {
                if let Some(val) = map.get_mut("value") {
                    *val = Value::String("<redacted>".into());
                }
            }
            for (_, child) in map.iter_mut() {
                redact_secrets(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_secrets),
        _ => {}
    }
}

fn recorded_body(text: Option<String>, json: bool) -> Value {
    match text {
        None => Value::Null,
        Some(t) if json => match serde_json::from_str::<Value>(t.trim_start_matches('\u{feff}')) {
            Ok(mut v) => {
                redact_secrets(&mut v);
                Value::String(v.to_string())
            }
            Err(_) => Value::String(t),
        },
        Some(t)
            if t.trim_start_matches('\u{feff}')
                .trim_start()
                .starts_with('<') =>
        {
            Value::String(redact_xml_secrets(&t))
        }
        Some(t) => Value::String(t),
    }
}

/// Mask secrets in component XML before it is recorded: the `value` attribute of a
/// `<field ... type="password">` and any attribute named `password`. Everything else is kept
/// as it was (the record is a debugging aid).
pub fn redact_xml_secrets(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let tag_and_more = &rest[lt..];
        // A start tag ends at the first '>' outside quotes.
        let mut end = None;
        let mut quote: Option<char> = None;
        for (i, c) in tag_and_more.char_indices().skip(1) {
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if c == '"' || c == '\'' => quote = Some(c),
                None if c == '>' => {
                    end = Some(i + 1);
                    break;
                }
                None => {}
            }
        }
        let Some(end) = end else {
            out.push_str(tag_and_more);
            return out;
        };
        out.push_str(&redact_tag(&tag_and_more[..end]));
        rest = &tag_and_more[end..];
    }
    out.push_str(rest);
    out
}

fn redact_tag(tag: &str) -> String {
    let name_end = tag[1..]
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .map(|i| i + 1)
        .unwrap_or(tag.len());
    let name = &tag[1..name_end];
    if name.starts_with(['/', '!', '?']) {
        return tag.to_string();
    }
    let local = name.rsplit(':').next().unwrap_or(name);
    // Parse attributes (name, quote, value span).
    let mut attrs: Vec<(String, usize, usize)> = Vec::new();
    let b = tag.as_bytes();
    let mut i = name_end;
    while i < b.len() {
        while i < b.len() && (b[i] as char).is_whitespace() {
            i += 1;
        }
        let start = i;
        while i < b.len() && !matches!(b[i], b'=' | b'>' | b'/') && !(b[i] as char).is_whitespace()
        {
            i += 1;
        }
        let key = tag[start..i].to_string();
        while i < b.len() && (b[i] as char).is_whitespace() {
            i += 1;
        }
        if i >= b.len() || b[i] != b'=' {
            i += 1;
            continue;
        }
        i += 1;
        while i < b.len() && (b[i] as char).is_whitespace() {
            i += 1;
        }
        if i >= b.len() || !matches!(b[i], b'"' | b'\'') {
            continue;
        }
        let q = b[i];
        let vstart = i + 1;
        let Some(len) = tag[vstart..].find(q as char) else {
            break;
        };
        attrs.push((key, vstart, vstart + len));
        i = vstart + len + 1;
    }
    let attr_value = |k: &str| {
        attrs
            .iter()
            .find(|(n, _, _)| n == k)
            .map(|(_, s, e)| &tag[*s..*e])
    };
    let password_field =
        local == "field" && attr_value("type").is_some_and(|t| t.eq_ignore_ascii_case("password"));
    let mut out = String::with_capacity(tag.len());
    let mut last = 0;
    for (k, s, e) in &attrs {
        let local_key = k.rsplit(':').next().unwrap_or(k);
        let secret =
            local_key.eq_ignore_ascii_case("password") || (password_field && local_key == "value");
        if secret && s < e {
            out.push_str(&tag[last..*s]);
            out.push_str("&lt;redacted&gt;");
            last = *e;
        }
    }
    out.push_str(&tag[last..]);
    out
}

/// Whether repeating a call cannot change the outcome: reads (GET, queries), DELETE, and the
/// updates that set a state (extensions, map extensions, pack ADD). Creates, component
/// updates, merges, packaging, releases and deployments are not: after an ambiguous failure
/// (the request may have been carried out) they are not retried, so the caller can look the
/// object up before trying again instead of getting a silent duplicate.
pub fn is_idempotent(method: &Method, path: &str) -> bool {
    if *method == Method::GET || *method == Method::DELETE || *method == Method::HEAD {
        return true;
    }
    let path = path.split('?').next().unwrap_or(path);
    if path.ends_with("/query") || path.ends_with("/queryMore") {
        return true;
    }
    let template = endpoint_template(path);
    matches!(
        template.as_str(),
        "EnvironmentExtensions/{id}"
            | "EnvironmentExtensions/{id}/update"
            | "EnvironmentMapExtension/{id}"
            | "PublisherIntegrationPack/{id}"
    )
}

/// Percent-encode one path segment (RFC 3986 unreserved characters kept).
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Boomi's error text from a reply body: `message`, `error.message`, `errorMessage`, an XML
/// `<message>`, or the raw body (truncated).
pub fn error_message(body: &str) -> String {
    let body = body.trim_start_matches('\u{feff}').trim();
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        let candidates = [
            v.get("message"),
            v.get("error").and_then(|e| e.get("message")),
            v.get("errorMessage"),
            v.get("Error").and_then(|e| e.get("message")),
        ];
        if let Some(m) = candidates.into_iter().flatten().find_map(Value::as_str) {
            return m.to_string();
        }
    }
    for tag in ["message", "errorMessage"] {
        let open = format!("<{tag}>");
        let close = format!("</{tag}>");
        if let (Some(a), Some(b)) = (body.find(&open), body.find(&close)) {
            if a + open.len() <= b {
                return body[a + open.len()..b].to_string();
            }
        }
    }
    let mut s: String = body.chars().take(500).collect();
    if body.chars().count() > 500 {
        s.push('…');
    }
    s
}

fn parse_retry_after(v: Option<&HeaderValue>) -> Option<Duration> {
    let s = v?.to_str().ok()?.trim();
    if let Ok(secs) = s.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(s).ok()?;
    let now = chrono::Utc::now();
    let d = when.with_timezone(&chrono::Utc) - now;
    Some(d.to_std().unwrap_or(Duration::ZERO))
}

/// The Boomi Platform API over HTTP.
pub struct HttpPlatform {
    client: reqwest::Client,
    base: String,
    primary: String,
    authorization: HeaderValue,
    limiter: Arc<DefaultDirectRateLimiter>,
    retry: RetryPolicy,
    recorder: Option<Recorder>,
    observer: Option<CallObserver>,
}

impl std::fmt::Debug for HttpPlatform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpPlatform")
            .field("base", &self.base)
            .field("primary", &self.primary)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl HttpPlatform {
    /// Build the client (installs the rustls ring provider if none is installed yet).
    pub fn new(config: HttpConfig) -> Result<HttpPlatform, BoomiError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let base = config.base_url.trim().trim_end_matches('/').to_string();
        let parsed = url::Url::parse(&base)
            .map_err(|e| BoomiError::Config(format!("bad Boomi URL {base:?}: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(BoomiError::Config(format!(
                "bad Boomi URL {base:?}: scheme must be http or https"
            )));
        }
        if config.primary_account_id.trim().is_empty() {
            return Err(BoomiError::Config("the primary account id is empty".into()));
        }
        let rps = NonZeroU32::new(config.requests_per_second).ok_or_else(|| {
            BoomiError::Config("the rate limit must be at least 1 request per second".into())
        })?;
        let quota = Quota::per_second(rps).allow_burst(NonZeroU32::MIN);
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(30)))
            .user_agent(concat!("boomi-promoter/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| BoomiError::Config(format!("cannot build the HTTP client: {e}")))?;
        let mut authorization = HeaderValue::from_str(&config.credentials.authorization())
            .map_err(|_| {
                BoomiError::Credentials("the credentials are not valid header text".into())
            })?;
        authorization.set_sensitive(true);
        let recorder = match &config.record_http {
            Some(p) => Some(Recorder::open(p)?),
            None => None,
        };
        Ok(HttpPlatform {
            client,
            base,
            primary: config.primary_account_id.trim().to_string(),
            authorization,
            limiter: Arc::new(RateLimiter::direct(quota)),
            retry: config.retry,
            recorder,
            observer: config.observer,
        })
    }

    /// The primary account id.
    pub fn primary_account_id(&self) -> &str {
        &self.primary
    }

    fn url(&self, path: &str, account: Option<&str>) -> String {
        let mut u = format!(
            "{}/partner/api/rest/v1/{}/{}",
            self.base,
            encode_segment(&self.primary),
            path
        );
        if let Some(a) = account {
            u.push_str("?overrideAccount=");
            u.push_str(&encode_segment(a));
        }
        u
    }

    /// One logical call with rate limiting, retries and recording.
    async fn call(
        &self,
        method: Method,
        path: &str,
        account: Option<&str>,
        body: Body,
        accept: Accept,
    ) -> Result<Reply, BoomiError> {
        let url = self.url(path, account);
        let shown_path = url[self.base.len()..].to_string();
        let idempotent = is_idempotent(&method, path);
        let mut attempt: u32 = 0;
        loop {
            self.limiter.until_ready().await;
            let mut req = self
                .client
                .request(method.clone(), &url)
                .header(AUTHORIZATION, self.authorization.clone())
                .header(
                    ACCEPT,
                    match accept {
                        Accept::Json => "application/json",
                        Accept::Xml => "application/xml",
                    },
                );
            if let (Some(ct), Some(bytes)) = (body.content_type(), body.bytes()) {
                req = req.header(CONTENT_TYPE, ct).body(bytes);
            }
            let started = Instant::now();
            let outcome = req.send().await;
            let (status, retry_after, text, resp_ct, transport_err) = match outcome {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let retry_after = parse_retry_after(resp.headers().get(RETRY_AFTER));
                    let ct = resp
                        .headers()
                        .get(CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    match resp.bytes().await {
                        Ok(b) => (
                            Some(status),
                            retry_after,
                            String::from_utf8_lossy(&b).into_owned(),
                            ct,
                            None,
                        ),
                        Err(e) => (Some(status), retry_after, String::new(), ct, Some(e)),
                    }
                }
                Err(e) => (None, None, String::new(), None, Some(e)),
            };
            let elapsed = started.elapsed();
            if let Some(rec) = &self.recorder {
                let resp_json = resp_ct.as_deref().is_some_and(|c| c.contains("json"));
                rec.write(&serde_json::json!({
                    "ts": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                    "method": method.as_str(),
                    "path": shown_path,
                    "attempt": attempt + 1,
                    "status": status,
                    "error": transport_err.as_ref().map(|e| e.to_string()),
                    "duration_ms": elapsed.as_secs_f64() * 1000.0,
                    "authorization": "<redacted>",
                    "request_content_type": body.content_type(),
                    "request_body": recorded_body(body.text(), matches!(body, Body::Json(_))),
                    "response_content_type": resp_ct,
                    "response_body": if status.is_some() && transport_err.is_none() {
                        recorded_body(Some(text.clone()), resp_json)
                    } else { Value::Null },
                }));
            }
            if let Some(observe) = &self.observer {
                observe(&CallEvent {
                    method: method.to_string(),
                    endpoint: endpoint_template(path),
                    status: if transport_err.is_none() {
                        status
                    } else {
                        None
                    },
                    attempt: attempt + 1,
                    duration: elapsed,
                });
            }
            let can_retry = attempt < self.retry.max_retries;
            if let Some(e) = transport_err {
                tracing::debug!(%method, path = %shown_path, attempt, error = %e, "Boomi transport error");
                // A connect error means the request never left; anything later is ambiguous.
                if can_retry && (idempotent || e.is_connect()) {
                    tracing::info!(%method, path = %shown_path, attempt = attempt + 1, error = %e, "Boomi call failed in transport; retrying");
                    tokio::time::sleep(self.retry.delay(attempt, None)).await;
                    attempt += 1;
                    continue;
                }
                return Err(BoomiError::Transport {
                    method: method.to_string(),
                    path: shown_path,
                    attempts: attempt + 1,
                    message: e.to_string(),
                });
            }
            let status = status.expect("status with a body");
            tracing::debug!(%method, path = %shown_path, status, attempt, elapsed_ms = elapsed.as_millis() as u64, "Boomi call");
            if (200..300).contains(&status) {
                return Ok(Reply { status, body: text });
            }
            if status == 401 {
                return Err(BoomiError::AuthFailed {
                    method: method.to_string(),
                    path: shown_path,
                    message: error_message(&text),
                });
            }
            if is_retryable_status(status) {
                // 503/429 are refusals (Boomi's rate limit): nothing was carried out.
                let refused = status == 503 || status == 429;
                if can_retry && (idempotent || refused) {
                    tracing::info!(%method, path = %shown_path, status, attempt = attempt + 1, "Boomi answered a retryable status; retrying");
                    tokio::time::sleep(self.retry.delay(attempt, retry_after)).await;
                    attempt += 1;
                    continue;
                }
                if status == 503 || status == 429 {
                    return Err(BoomiError::RateLimited {
                        status,
                        method: method.to_string(),
                        path: shown_path,
                        attempts: attempt + 1,
                        message: error_message(&text),
                    });
                }
            }
            return Err(BoomiError::Http {
                status,
                method: method.to_string(),
                resource: Resource::of_path(path),
                path: shown_path,
                message: error_message(&text),
            });
        }
    }

    fn decode<T: WireObject + DeserializeOwned>(
        &self,
        method: &Method,
        path: &str,
        body: &str,
    ) -> Result<T, BoomiError> {
        let decode_err = |message: String| BoomiError::Decode {
            method: method.to_string(),
            path: path.to_string(),
            message,
        };
        let v: Value = serde_json::from_str(body.trim_start_matches('\u{feff}'))
            .map_err(|e| decode_err(format!("not JSON: {e}")))?;
        from_json_value(v).map_err(|e| decode_err(format!("not a {}: {e}", T::TYPE)))
    }

    fn json_body<B: Serialize>(body: &B) -> Body {
        Body::Json(serde_json::to_vec(body).expect("wire types serialise"))
    }

    async fn get_json<T: WireObject + DeserializeOwned>(
        &self,
        path: &str,
        account: Option<&str>,
    ) -> Result<T, BoomiError> {
        let r = self
            .call(Method::GET, path, account, Body::None, Accept::Json)
            .await?;
        self.decode(&Method::GET, path, &r.body)
    }

    async fn post_json<B: Serialize, T: WireObject + DeserializeOwned>(
        &self,
        path: &str,
        account: Option<&str>,
        body: &B,
    ) -> Result<T, BoomiError> {
        let r = self
            .call(
                Method::POST,
                path,
                account,
                Self::json_body(body),
                Accept::Json,
            )
            .await?;
        self.decode(&Method::POST, path, &r.body)
    }

    /// `POST {object}/query`, then `queryMore` until no token is returned.
    async fn query_all<T: DeserializeOwned>(
        &self,
        object: &str,
        account: Option<&str>,
        expression: Expression,
    ) -> Result<Vec<T>, BoomiError> {
        let config = QueryConfig::new(expression);
        let query_path = format!("{object}/query");
        let more_path = format!("{object}/queryMore");
        let mut page: QueryResult<T> = self.post_json(&query_path, account, &config).await?;
        let mut out = Vec::new();
        let mut last_token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            out.extend(page.result);
            let token = match page.query_token {
                Some(t) if !t.trim().is_empty() => t,
                _ => return Ok(out),
            };
            if last_token.as_deref() == Some(token.as_str()) {
                return Err(BoomiError::Decode {
                    method: "POST".into(),
                    path: more_path,
                    message: "Boomi returned the same queryToken twice".into(),
                });
            }
            let r = self
                .call(
                    Method::POST,
                    &more_path,
                    account,
                    Body::Text(token.clone()),
                    Accept::Json,
                )
                .await?;
            page = self.decode(&Method::POST, &more_path, &r.body)?;
            last_token = Some(token);
        }
        Err(BoomiError::Decode {
            method: "POST".into(),
            path: more_path,
            message: format!("more than {MAX_PAGES} pages"),
        })
    }

    async fn component_call(
        &self,
        method: Method,
        path: &str,
        account: Option<&str>,
        body: Body,
    ) -> Result<Component, BoomiError> {
        let r = self
            .call(method.clone(), path, account, body, Accept::Xml)
            .await?;
        let c = Component::from_xml(r.body);
        if c.component_id().is_none() {
            return Err(BoomiError::Decode {
                method: method.to_string(),
                path: path.to_string(),
                message: "the reply is not a component (no componentId on the root)".into(),
            });
        }
        Ok(c)
    }

    fn with_branch(
        component: &Component,
        branch_id: Option<&str>,
    ) -> Result<Component, BoomiError> {
        match branch_id {
            None => Ok(component.clone()),
            Some(b) => component
                .with_root_attr("branchId", b)
                .map_err(|e| BoomiError::Config(format!("component XML: {e}"))),
        }
    }
}

fn tilde(id: &str, suffix: Option<&str>) -> String {
    match suffix {
        Some(s) => format!("{}~{}", encode_segment(id), encode_segment(s)),
        None => encode_segment(id),
    }
}

fn looks_like_branch_limit(e: &BoomiError) -> bool {
    matches!(e, BoomiError::Http { status, message, .. }
        if (400..500).contains(status) && status != &401 && status != &403
            && message.to_ascii_lowercase().contains("limit"))
}

fn looks_like_duplicate_package(e: &BoomiError) -> bool {
    matches!(e, BoomiError::Http { status, message, .. }
    if (*status == 400 || *status == 409) && {
        let m = message.to_ascii_lowercase();
        m.contains("already exist") || m.contains("duplicate")
    })
}

#[async_trait]
impl Deployer for HttpPlatform {
    async fn release_pack(
        &self,
        pack_id: &str,
        components: &[ReleasePackagedComponent],
    ) -> Result<ReleaseIntegrationPack, BoomiError> {
        let body = ReleaseIntegrationPack {
            id: Some(pack_id.to_string()),
            release_schedule: Some(ReleaseSchedule::Immediately),
            release_packaged_components: Some(ReleasePackagedComponents {
                release_packaged_component: components.to_vec(),
            }),
            ..Default::default()
        };
        self.post_json("ReleaseIntegrationPack", None, &body).await
    }

    async fn deploy_package(
        &self,
        account: Option<&str>,
        environment_id: &str,
        package_id: &str,
        notes: Option<&str>,
    ) -> Result<DeployedPackage, BoomiError> {
        let body = DeployedPackage {
            environment_id: Some(environment_id.to_string()),
            package_id: Some(package_id.to_string()),
            notes: notes.map(str::to_string),
            ..Default::default()
        };
        self.post_json("DeployedPackage", account, &body).await
    }
}

#[async_trait]
impl Platform for HttpPlatform {
    async fn get_component(
        &self,
        account: Option<&str>,
        component_id: &str,
        branch_id: Option<&str>,
    ) -> Result<Component, BoomiError> {
        let path = format!("Component/{}", tilde(component_id, branch_id));
        self.component_call(Method::GET, &path, account, Body::None)
            .await
    }

    async fn get_component_revision(
        &self,
        account: Option<&str>,
        component_id: &str,
        version: i64,
    ) -> Result<Component, BoomiError> {
        let path = format!(
            "Component/{}",
            tilde(component_id, Some(&version.to_string()))
        );
        self.component_call(Method::GET, &path, account, Body::None)
            .await
    }

    async fn create_component(
        &self,
        account: Option<&str>,
        component: &Component,
        branch_id: Option<&str>,
    ) -> Result<Component, BoomiError> {
        let c = Self::with_branch(component, branch_id)?;
        self.component_call(Method::POST, "Component", account, Body::Xml(c.into_xml()))
            .await
    }

    async fn update_component(
        &self,
        account: Option<&str>,
        component_id: &str,
        component: &Component,
        branch_id: Option<&str>,
    ) -> Result<Component, BoomiError> {
        let c = Self::with_branch(component, branch_id)?;
        let path = format!("Component/{}", encode_segment(component_id));
        self.component_call(Method::POST, &path, account, Body::Xml(c.into_xml()))
            .await
    }

    async fn query_component_metadata(
        &self,
        account: Option<&str>,
        query: &MetadataQuery,
    ) -> Result<Vec<ComponentMetadata>, BoomiError> {
        self.query_all("ComponentMetadata", account, query.expression())
            .await
    }

    async fn get_component_metadata(
        &self,
        account: Option<&str>,
        component_id: &str,
        branch_id: Option<&str>,
    ) -> Result<ComponentMetadata, BoomiError> {
        let path = format!("ComponentMetadata/{}", tilde(component_id, branch_id));
        self.get_json(&path, account).await
    }

    async fn component_children(
        &self,
        account: Option<&str>,
        parent_component_id: &str,
        parent_version: i64,
    ) -> Result<Vec<References>, BoomiError> {
        let e = Expression::and(vec![
            Expression::eq("parentComponentId", parent_component_id),
            Expression::eq("parentVersion", parent_version.to_string()),
        ]);
        let groups: Vec<ComponentReference> =
            self.query_all("ComponentReference", account, e).await?;
        Ok(groups.into_iter().flat_map(|g| g.references).collect())
    }

    async fn component_where_used(
        &self,
        account: Option<&str>,
        component_id: &str,
        branch_id: Option<&str>,
    ) -> Result<Vec<References>, BoomiError> {
        match branch_id {
            None => {
                let groups: Vec<ComponentReference> = self
                    .query_all(
                        "ComponentReference",
                        account,
                        Expression::eq("componentId", component_id),
                    )
                    .await?;
                Ok(groups.into_iter().flat_map(|g| g.references).collect())
            }
            Some(b) => {
                let path = format!("ComponentReference/{}", tilde(component_id, Some(b)));
                match self.get_json::<ComponentReference>(&path, account).await {
                    Ok(r) => Ok(r.references),
                    // Boomi answers 400 for a component without references (gotcha 4); an
                    // unknown component stays an error.
                    Err(e @ BoomiError::Http { status: 400, .. }) if !e.is_not_found() => {
                        tracing::debug!(component_id, error = %e, "no references");
                        Ok(Vec::new())
                    }
                    Err(e) => Err(e),
                }
            }
        }
    }

    async fn query_branches(
        &self,
        account: Option<&str>,
        name: Option<&str>,
    ) -> Result<Vec<Branch>, BoomiError> {
        let e = match name {
            Some(n) => Expression::eq("name", n),
            None => Expression::not_null("id"),
        };
        self.query_all("Branch", account, e).await
    }

    async fn main_branch_id(&self, account: Option<&str>) -> Result<String, BoomiError> {
        let branches = self.query_branches(account, Some("main")).await?;
        branches
            .into_iter()
            .find(|b| b.name.as_deref() == Some("main") && b.deleted != Some(true))
            .and_then(|b| b.id)
            .ok_or_else(|| BoomiError::Decode {
                method: "POST".into(),
                path: "Branch/query".into(),
                message: "the account has no branch named main".into(),
            })
    }

    async fn create_branch(
        &self,
        account: Option<&str>,
        name: &str,
        parent_branch_id: &str,
        description: Option<&str>,
    ) -> Result<Branch, BoomiError> {
        let body = Branch {
            name: Some(name.to_string()),
            parent_id: Some(parent_branch_id.to_string()),
            description: description.map(str::to_string),
            ..Default::default()
        };
        match self.post_json("Branch", account, &body).await {
            Err(e) if looks_like_branch_limit(&e) => Err(BoomiError::BranchLimitReached {
                message: match e {
                    BoomiError::Http { message, .. } => message,
                    other => other.to_string(),
                },
            }),
            other => other,
        }
    }

    async fn get_branch(
        &self,
        account: Option<&str>,
        branch_id: &str,
    ) -> Result<Branch, BoomiError> {
        self.get_json(&format!("Branch/{}", encode_segment(branch_id)), account)
            .await
    }

    async fn delete_branch(
        &self,
        account: Option<&str>,
        branch_id: &str,
    ) -> Result<Deletion, BoomiError> {
        let path = format!("Branch/{}", encode_segment(branch_id));
        match self
            .call(Method::DELETE, &path, account, Body::None, Accept::Json)
            .await
        {
            Ok(_) => Ok(Deletion::Deleted),
            Err(e) if e.is_not_found() => Ok(Deletion::AlreadyGone),
            Err(e) => Err(e),
        }
    }

    async fn create_merge_request(
        &self,
        account: Option<&str>,
        source_branch_id: &str,
        destination_branch_id: &str,
        note: Option<&str>,
    ) -> Result<MergeRequest, BoomiError> {
        let body = MergeRequest {
            source_branch_id: Some(source_branch_id.to_string()),
            destination_branch_id: Some(destination_branch_id.to_string()),
            strategy: Some(MergeStrategy::Override),
            priority_branch: Some(PriorityBranch::Source),
            note: note.map(str::to_string),
            ..Default::default()
        };
        self.post_json("MergeRequest", account, &body).await
    }

    async fn get_merge_request(
        &self,
        account: Option<&str>,
        merge_request_id: &str,
    ) -> Result<MergeRequest, BoomiError> {
        self.get_json(
            &format!("MergeRequest/{}", encode_segment(merge_request_id)),
            account,
        )
        .await
    }

    async fn execute_merge_request(
        &self,
        account: Option<&str>,
        merge_request_id: &str,
    ) -> Result<MergeRequest, BoomiError> {
        let body = MergeRequest {
            id: Some(merge_request_id.to_string()),
            merge_request_action: Some(MergeRequestAction::Merge),
            ..Default::default()
        };
        self.post_json(
            &format!("MergeRequest/execute/{}", encode_segment(merge_request_id)),
            account,
            &body,
        )
        .await
    }

    async fn query_merge_requests(
        &self,
        account: Option<&str>,
        source_branch_id: &str,
    ) -> Result<Vec<MergeRequest>, BoomiError> {
        self.query_all(
            "MergeRequest",
            account,
            Expression::eq("sourceBranchId", source_branch_id),
        )
        .await
    }

    async fn query_packaged_components(
        &self,
        account: Option<&str>,
        query: &PackageQuery,
    ) -> Result<Vec<PackagedComponent>, BoomiError> {
        self.query_all("PackagedComponent", account, query.expression())
            .await
    }

    async fn get_packaged_component(
        &self,
        account: Option<&str>,
        package_id: &str,
    ) -> Result<PackagedComponent, BoomiError> {
        self.get_json(
            &format!("PackagedComponent/{}", encode_segment(package_id)),
            account,
        )
        .await
    }

    async fn create_packaged_component(
        &self,
        account: Option<&str>,
        package: &NewPackage,
    ) -> Result<PackagedComponent, BoomiError> {
        let body = PackagedComponent {
            component_id: Some(package.component_id.clone()),
            package_version: package.package_version.clone(),
            component_version: package.component_version,
            notes: package.notes.clone(),
            branch_name: package.branch_name.clone(),
            shareable: Some(package.shareable),
            ..Default::default()
        };
        match self.post_json("PackagedComponent", account, &body).await {
            Err(e) if looks_like_duplicate_package(&e) => {
                Err(BoomiError::DuplicatePackageVersion {
                    component_id: package.component_id.clone(),
                    package_version: package.package_version.clone().unwrap_or_default(),
                    message: match e {
                        BoomiError::Http { message, .. } => message,
                        other => other.to_string(),
                    },
                })
            }
            other => other,
        }
    }

    async fn create_publisher_pack(
        &self,
        name: &str,
        description: &str,
        installation_type: InstallationType,
    ) -> Result<PublisherIntegrationPack, BoomiError> {
        let body = PublisherIntegrationPack {
            name: Some(name.to_string()),
            installation_type: Some(installation_type),
            description: description.to_string(),
            ..Default::default()
        };
        self.post_json("PublisherIntegrationPack", None, &body)
            .await
    }

    async fn query_publisher_packs(
        &self,
        name: Option<&str>,
    ) -> Result<Vec<PublisherIntegrationPack>, BoomiError> {
        let e = match name {
            Some(n) => Expression::eq("name", n),
            None => Expression::not_null("id"),
        };
        self.query_all("PublisherIntegrationPack", None, e).await
    }

    async fn get_publisher_pack(
        &self,
        pack_id: &str,
    ) -> Result<PublisherIntegrationPack, BoomiError> {
        self.get_json(
            &format!("PublisherIntegrationPack/{}", encode_segment(pack_id)),
            None,
        )
        .await
    }

    async fn add_pack_components(
        &self,
        pack_id: &str,
        component_ids: &[String],
    ) -> Result<PublisherIntegrationPack, BoomiError> {
        let current = self.get_publisher_pack(pack_id).await?;
        let body = PublisherIntegrationPack {
            id: Some(pack_id.to_string()),
            name: current.name,
            installation_type: current.installation_type,
            operation_type: Some(OperationType::Add),
            description: current.description,
            publisher_packaged_components: Some(PublisherPackagedComponents {
                publisher_packaged_component: component_ids
                    .iter()
                    .map(|id| PublisherPackagedComponent {
                        component_id: Some(id.clone()),
                        ..Default::default()
                    })
                    .collect(),
            }),
        };
        self.post_json(
            &format!("PublisherIntegrationPack/{}", encode_segment(pack_id)),
            None,
            &body,
        )
        .await
    }

    async fn release_status(&self, request_id: &str) -> Result<ReleaseProgress, BoomiError> {
        let path = format!(
            "ReleaseIntegrationPackStatus/{}",
            encode_segment(request_id)
        );
        let r = self
            .call(Method::GET, &path, None, Body::None, Accept::Json)
            .await?;
        let status = if r.body.trim().is_empty() {
            ReleaseIntegrationPackStatus {
                request_id: Some(request_id.to_string()),
                response_status_code: r.status as i64,
                ..Default::default()
            }
        } else {
            self.decode(&Method::GET, &path, &r.body)?
        };
        Ok(ReleaseProgress {
            finished: r.status == 200,
            status,
        })
    }

    async fn query_deployed_packages(
        &self,
        account: Option<&str>,
        query: &DeploymentQuery,
    ) -> Result<Vec<DeployedPackage>, BoomiError> {
        self.query_all("DeployedPackage", account, query.expression())
            .await
    }

    async fn get_environment(
        &self,
        account: Option<&str>,
        environment_id: &str,
    ) -> Result<Environment, BoomiError> {
        self.get_json(
            &format!("Environment/{}", encode_segment(environment_id)),
            account,
        )
        .await
    }

    async fn query_environments(
        &self,
        account: Option<&str>,
        classification: Option<Classification>,
    ) -> Result<Vec<Environment>, BoomiError> {
        let e = match classification {
            Some(c) => Expression::eq("classification", c.as_str()),
            None => Expression::not_null("id"),
        };
        self.query_all("Environment", account, e).await
    }

    async fn list_sub_accounts(&self) -> Result<Vec<Account>, BoomiError> {
        let all: Vec<Account> = self
            .query_all("Account", None, Expression::not_null("ACCOUNTID"))
            .await?;
        Ok(all
            .into_iter()
            .filter(|a| a.account_id.as_deref() != Some(self.primary.as_str()))
            .collect())
    }

    async fn get_account(&self, account_id: &str) -> Result<Account, BoomiError> {
        self.get_json(&format!("Account/{}", encode_segment(account_id)), None)
            .await
    }

    async fn get_environment_extensions(
        &self,
        account: Option<&str>,
        extensions_id: &str,
    ) -> Result<EnvironmentExtensions, BoomiError> {
        self.get_json(
            &format!("EnvironmentExtensions/{}", encode_segment(extensions_id)),
            account,
        )
        .await
    }

    async fn update_environment_extensions(
        &self,
        account: Option<&str>,
        extensions: &EnvironmentExtensions,
    ) -> Result<EnvironmentExtensions, BoomiError> {
        let id = extensions
            .id
            .clone()
            .or_else(|| extensions.environment_id.clone())
            .ok_or_else(|| {
                BoomiError::Config("environment extensions need an id or environmentId".into())
            })?;
        let mut body = extensions.clone();
        body.id = Some(id.clone());
        if body.environment_id.is_none() {
            body.environment_id = Some(id.clone());
        }
        body.partial = Some(true);
        self.post_json(
            &format!("EnvironmentExtensions/{}", encode_segment(&id)),
            account,
            &body,
        )
        .await
    }

    async fn query_map_extension_summaries(
        &self,
        account: Option<&str>,
        environment_id: &str,
    ) -> Result<Vec<EnvironmentMapExtensionsSummary>, BoomiError> {
        self.query_all(
            "EnvironmentMapExtensionsSummary",
            account,
            Expression::eq("environmentId", environment_id),
        )
        .await
    }

    async fn get_map_extension(
        &self,
        account: Option<&str>,
        map_extension_id: &str,
    ) -> Result<EnvironmentMapExtension, BoomiError> {
        self.get_json(
            &format!(
                "EnvironmentMapExtension/{}",
                encode_segment(map_extension_id)
            ),
            account,
        )
        .await
    }

    async fn update_map_extension(
        &self,
        account: Option<&str>,
        map_extension: &EnvironmentMapExtension,
    ) -> Result<EnvironmentMapExtension, BoomiError> {
        let id = map_extension
            .id
            .clone()
            .ok_or_else(|| BoomiError::Config("the map extension has no id".into()))?;
        self.post_json(
            &format!("EnvironmentMapExtension/{}", encode_segment(&id)),
            account,
            map_extension,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_capped_jittered_and_honours_retry_after() {
        let p = RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
        };
        for attempt in 0..10 {
            let exp = Duration::from_millis(100 * 2u64.pow(attempt.min(20))).min(p.max_delay);
            let d = p.delay(attempt, None);
            assert!(d >= exp / 2 && d <= exp, "attempt {attempt}: {d:?}");
        }
        assert_eq!(
            p.delay(0, Some(Duration::from_millis(700))),
            Duration::from_millis(700)
        );
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(60))),
            Duration::from_millis(1000)
        );
        let zero = RetryPolicy {
            max_retries: 1,
            base_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
        };
        assert_eq!(zero.delay(3, Some(Duration::from_secs(5))), Duration::ZERO);
    }

    #[test]
    fn error_message_sources() {
        assert_eq!(
            error_message(r#"{"@type":"Error","message":"boom"}"#),
            "boom"
        );
        assert_eq!(error_message(r#"{"error":{"message":"nested"}}"#), "nested");
        assert_eq!(
            error_message(r#"{"statusCode":403,"errorMessage":"denied"}"#),
            "denied"
        );
        assert_eq!(error_message("<error><message>x</message></error>"), "x");
        assert_eq!(error_message("plain"), "plain");
        assert!(error_message(&"y".repeat(600)).ends_with('…'));
    }

    #[test]
    fn idempotency_by_method_and_endpoint() {
        assert!(is_idempotent(&Method::GET, "Component/abc~Qjox"));
        assert!(is_idempotent(&Method::DELETE, "Branch/Qjox"));
        assert!(is_idempotent(&Method::POST, "Branch/query"));
        assert!(is_idempotent(
            &Method::POST,
            "Branch/queryMore?overrideAccount=x"
        ));
        assert!(is_idempotent(&Method::POST, "EnvironmentExtensions/env-1"));
        assert!(is_idempotent(&Method::POST, "PublisherIntegrationPack/p-1"));
        for create in [
            "Component",
            "Component/abc",
            "Branch",
            "MergeRequest",
            "MergeRequest/execute/TVI6MQ",
            "PackagedComponent",
            "PublisherIntegrationPack",
            "ReleaseIntegrationPack",
            "DeployedPackage",
        ] {
            assert!(!is_idempotent(&Method::POST, create), "{create}");
        }
    }

    #[test]
    fn endpoint_templates_hide_ids() {
        assert_eq!(endpoint_template("Branch/QjoyMQ"), "Branch/{id}");
        assert_eq!(endpoint_template("Component/abc~Qjox"), "Component/{id}");
        assert_eq!(endpoint_template("Component"), "Component");
        assert_eq!(endpoint_template("Branch/query"), "Branch/query");
        assert_eq!(
            endpoint_template("MergeRequest/execute/TVI6MQ"),
            "MergeRequest/execute/{id}"
        );
        assert_eq!(
            endpoint_template("EnvironmentExtensions/env-1?overrideAccount=x"),
            "EnvironmentExtensions/{id}"
        );
    }

    #[test]
    fn segments_are_encoded() {
        assert_eq!(encode_segment("Qjox"), "Qjox");
        assert_eq!(encode_segment("a/b+c d"), "a%2Fb%2Bc%20d");
        assert_eq!(tilde("abc", Some("Qjox")), "abc~Qjox");
    }

    #[test]
    fn secrets_are_masked_in_the_record() {
        let v = recorded_body(
            Some(r#"{"connections":{"connection":[{"field":[{"id":"password","value":"hunter2","usesEncryption":true},{"id":"host","value":"db.local"}]}]}}"#.into()),
            true,
        );
        let s = v.as_str().unwrap();
        assert!(!s.contains("hunter2"));
        assert!(s.contains("db.local"));
    }

    #[test]
    fn secrets_are_masked_in_recorded_xml() {
        let xml = r#"<bns:Component xmlns:bns="http://api.platform.boomi.com/" name="a>b"><bns:object><DatabaseSettings xmlns=""><field id="host" type="string" value="db.local"/><field id="password" type="password" value="hunter2"/><AuthSettings user="svc" password='s3cret'/><field value="x&gt;" type="PASSWORD" id="p2"/></DatabaseSettings><!-- <field type="password" value="c"/> --></bns:object></bns:Component>"#;
        let v = recorded_body(Some(xml.to_string()), false);
        let s = v.as_str().unwrap();
        assert!(
            !s.contains("hunter2") && !s.contains("s3cret") && !s.contains("x&gt;"),
            "{s}"
        );
        assert!(s.contains(r#"<field id="host" type="string" value="db.local"/>"#));
        assert!(s.contains(r#"user="svc" password='&lt;redacted&gt;'"#));
        assert!(s.contains(r#"name="a>b""#));
        assert!(quick_xml::Reader::from_str(s).read_event().is_ok());
        assert_eq!(redact_xml_secrets("no tags"), "no tags");
        assert_eq!(redact_xml_secrets("<a b=\"1\""), "<a b=\"1\"");
    }

    #[test]
    fn config_validation() {
        let c = Credentials::new("u", "t").unwrap();
        assert!(HttpPlatform::new(HttpConfig::new("ftp://x", "p", c.clone())).is_err());
        assert!(HttpPlatform::new(HttpConfig::new("not a url", "p", c.clone())).is_err());
        let mut zero = HttpConfig::new("http://127.0.0.1:1", "p", c.clone());
        zero.requests_per_second = 0;
        assert!(HttpPlatform::new(zero).is_err());
        let p =
            HttpPlatform::new(HttpConfig::new("http://127.0.0.1:1/", "primary-abc123", c)).unwrap();
        assert_eq!(
            p.url("Branch/query", Some("dev-team-a")),
            "http://127.0.0.1:1/partner/api/rest/v1/primary-abc123/Branch/query?overrideAccount=dev-team-a"
        );
        assert!(!format!("{p:?}").contains("Basic"));
    }
}
