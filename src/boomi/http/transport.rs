//! The transport under [`HttpPlatform`]: request URLs, the shared rate limiter, one logical
//! call with its retries (capped exponential backoff, jitter, `Retry-After`, idempotency),
//! the [`CallEvent`] of every exchange, JSON decoding of replies and `queryMore` paging.

use super::recorder::{recorded_body, Recorder};
use super::HttpConfig;
use crate::boomi::error::{is_retryable_status, Resource};
use crate::boomi::wire::*;
use crate::boomi::BoomiError;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

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

/// A request body.
pub(super) enum Body {
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
pub(super) enum Accept {
    Json,
    Xml,
}

/// A successful reply.
pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) body: String,
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
    pub(super) primary: String,
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
    pub(super) async fn call(
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

    pub(super) fn decode<T: WireObject + DeserializeOwned>(
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

    pub(super) async fn get_json<T: WireObject + DeserializeOwned>(
        &self,
        path: &str,
        account: Option<&str>,
    ) -> Result<T, BoomiError> {
        let r = self
            .call(Method::GET, path, account, Body::None, Accept::Json)
            .await?;
        self.decode(&Method::GET, path, &r.body)
    }

    pub(super) async fn post_json<B: Serialize, T: WireObject + DeserializeOwned>(
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
    pub(super) async fn query_all<T: DeserializeOwned>(
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

    pub(super) async fn component_call(
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

    pub(super) fn with_branch(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boomi::Credentials;

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
