//! The operator HTTP server of the daemon: one axum router built by [`router`] from a
//! [`ServerState`], served by [`serve`] with graceful shutdown.
//!
//! | route | answers |
//! |---|---|
//! | `GET /healthz` | 200 `ok` while the process runs |
//! | `GET /readyz` | 200 once the first reconcile pass finished ([`ServerState::set_ready`]), 503 before |
//! | `GET /metrics` | [`Metrics`] in the text format 0.0.4, or OpenMetrics 1.0.0 when `Accept` prefers it ([`exposition`]); the gauges the store holds are refreshed per scrape |
//! | `GET /api/v1/promotions` | `{"promotions": [...]}`, newest first; `?status=A,B`, `?account=`, `?process=`, `?component=`, `?limit=` |
//! | `GET /api/v1/promotions/{id}` | `{"promotion", "audit", "steps", "problems", "clearedProblems"}`; a refused request (open problems, no record): `{"promotionId", "refused": true, "problems", "clearedProblems"}`; 404 `PROMOTION_NOT_FOUND` when there is neither |
//! | `GET /api/v1/problems` | `{"problems": [...]}`: every open problem (refused document), oldest first; `?promotion=ID`, `?code=CODE` |
//! | `GET /api/v1/promotions/{id}/diff` | the component diffs, branch against main (`?component=`, `?rows=true` for side-by-side rows); needs a platform |
//! | `GET /api/v1/queues/{peer,admin,ready}` | the peer-review, admin-review and ready-for-production queues |
//! | `GET /api/v1/mappings` | `{"mappings": [...]}`; `?account=`, `?source=ENGINE\|ADMIN`, `?format=csv` |
//! | `POST /hooks/git` | push webhook: GitHub's `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>` (or GitLab's `X-Gitlab-Token`) checked in constant time when a secret is set (401 otherwise), then wakes the reconciler (202) |
//! | `GET /`, `GET /promotions/{id}`, `GET /promotions/{id}/diff` | the read-only HTML dashboard ([`dashboard`], refused documents: [`problems`]); the side-by-side diff needs a platform ([`ServerState::with_platform`]) |
//!
//! API errors are JSON `{"code": "<ErrorCode>", "message": "..."}`. The store is blocking, so
//! every store read runs on the blocking pool. Nothing here writes to the store.

pub mod dashboard;
pub mod diff;
pub mod exposition;
pub mod metrics;
pub mod problems;

pub use metrics::Metrics;

use crate::model::{ErrorCode, PromotionStatus};
use crate::store::{MappingFilter, MappingSource, PromotionFilter, Store, StoreError};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hmac::{Hmac, Mac};
use serde_json::json;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The header GitHub (and compatible forges) put the body's HMAC in.
pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";

/// Largest webhook body accepted (GitHub caps payloads at 25 MB; pushes are far smaller).
const WEBHOOK_BODY_LIMIT: usize = 5 * 1024 * 1024;

/// Longest a request may take (the diff page reads Boomi through the shared rate limit).
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// Wakes the reconciler (e.g. `move || trigger.fire()` around a
/// [`crate::source::watch::Trigger`]). Must not block.
pub type Wake = Arc<dyn Fn() + Send + Sync>;

/// What the handlers share. Cheap to clone.
#[derive(Clone)]
pub struct ServerState {
    pub store: Arc<Store>,
    /// Set by the daemon once its first reconcile pass finished.
    pub ready: Arc<AtomicBool>,
    /// Why the daemon cannot do its work although it runs (a 401 from Boomi): `/readyz` says it.
    pub degraded: Arc<std::sync::Mutex<Option<String>>>,
    pub metrics: Metrics,
    /// Called by an accepted `POST /hooks/git`.
    pub wake: Option<Wake>,
    /// The Boomi platform for the dashboard's side-by-side diff (`None`: no diff page).
    pub platform: Option<Arc<dyn crate::boomi::Platform>>,
    /// The webhook HMAC secret; `None` accepts unsigned webhooks.
    webhook_secret: Option<Arc<[u8]>>,
}

impl std::fmt::Debug for ServerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerState")
            .field("store", &self.store)
            .field("ready", &self.ready.load(Ordering::SeqCst))
            .field("wake", &self.wake.is_some())
            .field("platform", &self.platform.is_some())
            .field(
                "webhook_secret",
                &self.webhook_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl ServerState {
    /// A state over `store`: not ready, fresh metrics, no wake-up, no webhook secret.
    pub fn new(store: Arc<Store>) -> ServerState {
        ServerState {
            store,
            ready: Arc::new(AtomicBool::new(false)),
            degraded: Default::default(),
            metrics: Metrics::new(),
            wake: None,
            platform: None,
            webhook_secret: None,
        }
    }

    /// Read component XML through this platform for the dashboard's diff page.
    pub fn with_platform(mut self, platform: Arc<dyn crate::boomi::Platform>) -> Self {
        self.platform = Some(platform);
        self
    }

    /// Share this readiness flag (the daemon keeps a clone and sets it).
    pub fn with_ready_flag(mut self, ready: Arc<AtomicBool>) -> Self {
        self.ready = ready;
        self
    }

    /// Use these metrics (the reconciler feeds a clone).
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// Call `wake` on every accepted webhook.
    pub fn with_wake(mut self, wake: impl Fn() + Send + Sync + 'static) -> Self {
        self.wake = Some(Arc::new(wake));
        self
    }

    /// Require `X-Hub-Signature-256` with this secret on webhooks. An empty secret is
    /// refused (it would make every signature trivially forgeable): `None` is kept.
    pub fn with_webhook_secret(mut self, secret: impl AsRef<[u8]>) -> Self {
        let s = secret.as_ref();
        self.webhook_secret = (!s.is_empty()).then(|| Arc::from(s));
        self
    }

    /// Whether a webhook secret is configured.
    pub fn has_webhook_secret(&self) -> bool {
        self.webhook_secret.is_some()
    }

    /// Mark the daemon ready (or not).
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::SeqCst);
    }

    /// Say why the daemon cannot do its work although it runs (`None`: it can).
    pub fn set_degraded(&self, why: Option<String>) {
        *self.degraded.lock().unwrap_or_else(|p| p.into_inner()) = why;
    }

    /// Why the daemon cannot do its work, if it cannot.
    pub fn degraded(&self) -> Option<String> {
        self.degraded
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Whether the daemon is ready.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }
}

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("promotion {0} not found")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("webhook signature: {0}")]
    Unauthorized(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServerError {
    /// The catalogue code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            ServerError::Store(e) => e.code(),
            ServerError::NotFound(_) => ErrorCode::PromotionNotFound,
            ServerError::BadRequest(_) => ErrorCode::InvalidRequest,
            ServerError::Unauthorized(_) => ErrorCode::Unauthorized,
            ServerError::Internal(_) => ErrorCode::DatahubError,
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            ServerError::Store(StoreError::NotFound(_)) | ServerError::NotFound(_) => {
                StatusCode::NOT_FOUND
            }
            ServerError::Store(_) | ServerError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ServerError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ServerError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
        }
    }
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::warn!(error = %self, "operator API request failed");
        }
        (
            status,
            Json(json!({"code": self.code().as_str(), "message": self.to_string()})),
        )
            .into_response()
    }
}

/// Run a blocking store read on the blocking pool.
pub(crate) async fn read_store<T: Send + 'static>(
    state: &ServerState,
    f: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ServerError> {
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || f(&store))
        .await
        .map_err(|e| ServerError::Internal(e.to_string()))?
        .map_err(ServerError::from)
}

/// The router of every route in the module documentation.
pub fn router(state: ServerState) -> Router {
    Router::new()
        .route("/api/v1/promotions", get(api_promotions))
        .route("/api/v1/promotions/{id}", get(api_promotion))
        .route("/api/v1/promotions/{id}/diff", get(api_promotion_diff))
        .route("/api/v1/problems", get(api_problems))
        .route("/api/v1/queues/{queue}", get(api_queue))
        .route("/api/v1/mappings", get(api_mappings))
        .route(
            "/hooks/git",
            post(git_hook).layer(axum::extract::DefaultBodyLimit::max(WEBHOOK_BODY_LIMIT)),
        )
        .route("/", get(dashboard::index))
        .route("/promotions/{id}", get(dashboard::promotion_page))
        .route("/promotions/{id}/diff", get(dashboard::diff_page))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        // Probes and scrapes come every few seconds and `/readyz` answers 503 until the first
        // pass by design: they are not traced (their answers are the signal).
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .with_state(state)
}

/// Serve the router on `listener` until `shutdown` completes, then stop accepting and let
/// in-flight requests finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: ServerState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<ServerState>) -> Response {
    if let Some(why) = state.degraded() {
        return (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {why}")).into_response();
    }
    if state.is_ready() {
        (StatusCode::OK, "ready").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: the first reconcile pass has not finished",
        )
            .into_response()
    }
}

async fn metrics_text(
    State(state): State<ServerState>,
    headers: HeaderMap,
) -> Result<Response, ServerError> {
    let metrics = state.metrics.clone();
    read_store(&state, move |s| metrics.refresh_from_store(s)).await?;
    let format = exposition::negotiate(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()));
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(format.content_type()),
        )],
        state.metrics.encode_as(format),
    )
        .into_response())
}

/// Parse `?status=A,B` (wire names, case-insensitive).
pub(crate) fn parse_statuses(s: &str) -> Result<Vec<PromotionStatus>, ServerError> {
    s.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            PromotionStatus::parse(&t.to_ascii_uppercase())
                .ok_or_else(|| ServerError::BadRequest(format!("unknown status {t:?}")))
        })
        .collect()
}

async fn api_promotions(
    State(state): State<ServerState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<serde_json::Value>, ServerError> {
    let mut filter = PromotionFilter::default();
    if let Some(s) = q.get("status") {
        filter.statuses = parse_statuses(s)?;
    }
    filter.dev_account_id = q.get("account").filter(|s| !s.is_empty()).cloned();
    filter.process_name = q.get("process").filter(|s| !s.is_empty()).cloned();
    filter.component_id = q.get("component").filter(|s| !s.is_empty()).cloned();
    if let Some(l) = q.get("limit") {
        filter.limit = Some(
            l.parse()
                .map_err(|_| ServerError::BadRequest(format!("limit {l:?} is not a number")))?,
        );
    }
    let list = read_store(&state, move |s| s.list(&filter)).await?;
    Ok(Json(json!({ "promotions": list })))
}

async fn api_promotion(
    State(state): State<ServerState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ServerError> {
    let key = id.clone();
    let (found, problems) = read_store(&state, move |s| {
        s.read(|tx| problems::read_promotion(tx, &key))
    })
    .await?;
    let Some((rec, audit, steps)) = found else {
        // The request itself was refused: its problems are all there is.
        if !problems.open.is_empty() {
            return Ok(Json(problems.refused_json(&id)));
        }
        return Err(ServerError::NotFound(id));
    };
    let mut v = json!({ "promotion": rec, "audit": audit, "steps": steps });
    problems.add_to(&mut v);
    Ok(Json(v))
}

async fn api_problems(
    State(state): State<ServerState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<serde_json::Value>, ServerError> {
    let promotion = q.get("promotion").filter(|s| !s.is_empty()).cloned();
    let code = match q.get("code").map(|c| c.trim()).filter(|c| !c.is_empty()) {
        Some(c) => Some(
            ErrorCode::parse(&c.to_ascii_uppercase())
                .ok_or_else(|| ServerError::BadRequest(format!("unknown code {c:?}")))?,
        ),
        None => None,
    };
    let mut list = read_store(&state, move |s| s.open_problems(promotion.as_deref())).await?;
    if let Some(code) = code {
        list.retain(|p| p.problem.code == code);
    }
    Ok(Json(json!({ "problems": list })))
}

async fn api_promotion_diff(
    State(state): State<ServerState>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ServerError> {
    let key = id.clone();
    let rec = read_store(&state, move |s| s.get(&key))
        .await?
        .ok_or(ServerError::NotFound(id))?;
    let Some(platform) = state.platform.clone() else {
        return Ok((
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({
                "code": ErrorCode::ApiError.as_str(),
                "message": "this server has no Boomi connection",
            })),
        )
            .into_response());
    };
    let component = q.get("component").filter(|c| !c.is_empty()).cloned();
    let with_rows = q.get("rows").is_some_and(|v| v == "true" || v == "1");
    match diff::promotion_diff(&*platform, &rec, component.as_deref()).await {
        Ok(mut diffs) => {
            if !with_rows {
                for d in &mut diffs {
                    d.rows = None;
                }
            }
            Ok(Json(json!({
                "promotionId": rec.promotion_id,
                "branchId": rec.branch_id,
                "branchName": rec.branch_name,
                "components": diffs,
            }))
            .into_response())
        }
        Err(e) => {
            let status = match &e {
                diff::DiffError::Boomi(_) => StatusCode::BAD_GATEWAY,
                _ => StatusCode::NOT_FOUND,
            };
            Ok((
                status,
                Json(json!({"code": e.code().as_str(), "message": e.to_string()})),
            )
                .into_response())
        }
    }
}

async fn api_queue(
    State(state): State<ServerState>,
    Path(queue): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ServerError> {
    let param = |k: &str| q.get(k).filter(|s| !s.is_empty()).cloned();
    // peer/admin: `?viewer=` hides the viewer's own promotions (nobody reviews their own);
    // ready: `?account=` and `?initiatedBy=` narrow the list.
    let viewer = param("viewer");
    let account = param("account");
    let initiated_by = param("initiatedBy");
    let list =
        match queue.as_str() {
            "peer" => read_store(&state, move |s| s.peer_queue(viewer.as_deref())).await?,
            "admin" => read_store(&state, move |s| s.admin_queue(viewer.as_deref())).await?,
            "ready" => {
                read_store(&state, move |s| {
                    s.ready_queue(account.as_deref(), initiated_by.as_deref())
                })
                .await?
            }
            other => return Ok((
                StatusCode::NOT_FOUND,
                Json(json!({
                    "code": ErrorCode::InvalidRequest.as_str(),
                    "message": format!("unknown queue {other:?}: expected peer, admin or ready"),
                })),
            )
                .into_response()),
        };
    Ok(Json(json!({ "queue": queue, "promotions": list })).into_response())
}

/// Parse `?source=ENGINE|ADMIN`.
pub(crate) fn parse_source(s: &str) -> Result<MappingSource, ServerError> {
    MappingSource::parse(&s.trim().to_ascii_uppercase()).ok_or_else(|| {
        ServerError::BadRequest(format!(
            "unknown mapping source {s:?}: expected ENGINE or ADMIN"
        ))
    })
}

async fn api_mappings(
    State(state): State<ServerState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ServerError> {
    let mut filter = MappingFilter {
        dev_account_id: q.get("account").filter(|s| !s.is_empty()).cloned(),
        ..Default::default()
    };
    if let Some(s) = q.get("source").filter(|s| !s.is_empty()) {
        filter.source = Some(parse_source(s)?);
    }
    match q.get("format").map(|s| s.to_ascii_lowercase()).as_deref() {
        Some("csv") => {
            let csv = read_store(&state, move |s| s.export_mappings_csv(&filter)).await?;
            Ok((
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("text/csv; charset=utf-8"),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        HeaderValue::from_static("attachment; filename=\"mappings.csv\""),
                    ),
                ],
                csv,
            )
                .into_response())
        }
        None | Some("json") => {
            let list = read_store(&state, move |s| s.mappings(&filter)).await?;
            Ok(Json(json!({ "mappings": list })).into_response())
        }
        Some(other) => Err(ServerError::BadRequest(format!(
            "unknown format {other:?}: expected json or csv"
        ))),
    }
}

/// Check a GitHub-style `sha256=<hex>` signature of `body` in constant time.
pub fn verify_webhook_signature(secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
    let Some(hex_sig) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&sig).is_ok()
}

/// The `X-Hub-Signature-256` value for `body` (what a forge sends; for tests and tools).
pub fn sign_webhook(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).expect("HMAC takes any key size");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A request header as text for a log field (`-` when absent or not text).
fn header_text(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(100).collect())
        .unwrap_or_else(|| "-".into())
}

async fn git_hook(
    State(state): State<ServerState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ServerError> {
    if let Some(secret) = &state.webhook_secret {
        // GitLab sends the secret itself instead of a signature.
        if let Some(token) = headers.get("x-gitlab-token") {
            if constant_time_eq(token.as_bytes(), secret) {
                return Ok(accept_hook(&state, &headers, "x-gitlab-event"));
            }
            tracing::warn!(
                reason = "bad GitLab token",
                event = %header_text(&headers, "x-gitlab-event"),
                bytes = body.len(),
                "webhook refused"
            );
            return Err(ServerError::Unauthorized("token does not match".into()));
        }
        let sig = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
        if sig.is_none() {
            tracing::warn!(
                reason = "no signature",
                event = %header_text(&headers, "x-github-event"),
                bytes = body.len(),
                "webhook refused"
            );
            return Err(ServerError::Unauthorized(format!(
                "missing {SIGNATURE_HEADER} header"
            )));
        }
        if !verify_webhook_signature(secret, &body, sig) {
            tracing::warn!(
                reason = "bad signature",
                event = %header_text(&headers, "x-github-event"),
                delivery = %header_text(&headers, "x-github-delivery"),
                bytes = body.len(),
                "webhook refused"
            );
            return Err(ServerError::Unauthorized("signature does not match".into()));
        }
    }
    Ok(accept_hook(&state, &headers, "x-github-event"))
}

/// Wake the reconciler for an authenticated webhook (a GitHub `ping` only answers).
fn accept_hook(state: &ServerState, headers: &HeaderMap, event_header: &str) -> Response {
    let event = headers
        .get(event_header)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("push")
        .to_string();
    let woke = match &state.wake {
        Some(w) if event != "ping" => {
            w();
            true
        }
        _ => false,
    };
    tracing::info!(event = %event, woke, "git webhook accepted");
    (
        StatusCode::ACCEPTED,
        Json(json!({ "accepted": true, "event": event, "woke": woke })),
    )
        .into_response()
}

/// Compare two byte strings without an early exit on the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_signatures() {
        let body = br#"{"ref":"refs/heads/main"}"#;
        let sig = sign_webhook(b"s3cret", body);
        assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64);
        assert!(verify_webhook_signature(b"s3cret", body, Some(&sig)));
        assert!(!verify_webhook_signature(b"other", body, Some(&sig)));
        assert!(!verify_webhook_signature(
            b"s3cret",
            b"tampered",
            Some(&sig)
        ));
        assert!(!verify_webhook_signature(b"s3cret", body, None));
        assert!(!verify_webhook_signature(
            b"s3cret",
            body,
            Some(sig.trim_start_matches("sha256="))
        ));
        assert!(!verify_webhook_signature(
            b"s3cret",
            body,
            Some("sha256=zz")
        ));
        // GitHub's documented example.
        assert_eq!(
            sign_webhook(b"It's a Secret to Everybody", b"Hello, World!"),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(constant_time_eq(b"", b""));
    }

    #[test]
    fn status_and_source_parsing() {
        assert_eq!(
            parse_statuses("test_deployed, FAILED").unwrap(),
            vec![PromotionStatus::TestDeployed, PromotionStatus::Failed]
        );
        assert!(parse_statuses("NOPE").is_err());
        assert_eq!(parse_source("admin").unwrap(), MappingSource::Admin);
        assert!(parse_source("x").is_err());
    }

    #[test]
    fn state_redacts_secret_and_flips_readiness() {
        let st = ServerState::new(Arc::new(Store::open_in_memory().unwrap()))
            .with_webhook_secret("hunter2");
        assert!(st.has_webhook_secret());
        assert!(!format!("{st:?}").contains("hunter2"));
        assert!(!st.is_ready());
        st.clone().set_ready(true);
        assert!(st.is_ready());
        assert!(!ServerState::new(st.store.clone())
            .with_webhook_secret("")
            .has_webhook_secret());
    }
}
