//! The HTTP side of the emulator: an axum router served connection by connection with hyper
//! (so a fault can drop a connection without answering), Boomi's paths under both prefixes,
//! Basic auth, the per-account rate limit, faults, paging, `/__sim/*` inspection and control,
//! and persistence of the state after every call.

use super::faults::{self, ActiveFault, Fault};
use super::model::{ApiErr, ApiResult, Ctx, SimState};
use super::query::{parse_query_config, Expr};
use super::{Seed, SimConfig, SimError};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, Response, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use base64::Engine as _;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running emulator.
pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

struct Shared {
    inner: Mutex<Inner>,
    cfg: SimConfig,
    limiter: Option<DefaultKeyedRateLimiter<String>>,
    base_url: String,
}

struct Inner {
    state: SimState,
    faults: Vec<ActiveFault>,
    calls: BTreeMap<String, u64>,
    total_calls: u64,
    rate_limited: u64,
    pages: HashMap<String, Page>,
    page_seq: u64,
}

/// Unconsumed query pages kept at most (the oldest are forgotten, like expired tokens).
const MAX_PENDING_PAGES: usize = 1000;

struct Page {
    seq: u64,
    account: String,
    object: String,
    rows: Vec<Value>,
}

/// Marker put on a response to make the connection drop instead of answering.
#[derive(Clone, Copy)]
struct DropConnection;

#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for Dropped {}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn snapshot(&self) -> Value {
        let inner = self.lock();
        let mut v = inner.state.summary();
        v["calls"] = json!(inner.calls);
        v["totalCalls"] = json!(inner.total_calls);
        v["rateLimited"] = json!(inner.rate_limited);
        v["faults"] = json!(inner.faults);
        v
    }

    fn persist(&self, inner: &Inner) {
        let Some(path) = &self.cfg.state_file else {
            return;
        };
        if let Err(e) = write_state(path, &inner.state) {
            tracing::warn!(file = %path.display(), error = %e, "could not persist the emulator state");
        }
    }
}

fn write_state(path: &std::path::Path, state: &SimState) -> std::io::Result<()> {
    let text = serde_json::to_vec_pretty(state).map_err(std::io::Error::other)?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

impl Server {
    /// Start the emulator on `addr` (use `127.0.0.1:0` in tests). With a `state_file` that
    /// exists, the state is loaded from it instead of the seed.
    pub async fn start(
        seed: Seed,
        config: SimConfig,
        addr: SocketAddr,
    ) -> Result<Server, SimError> {
        let state = match &config.state_file {
            Some(p) if p.exists() => {
                let text = std::fs::read(p).map_err(|e| SimError::State {
                    path: p.display().to_string(),
                    message: e.to_string(),
                })?;
                let mut st =
                    serde_json::from_slice::<SimState>(&text).map_err(|e| SimError::State {
                        path: p.display().to_string(),
                        message: e.to_string(),
                    })?;
                st.users = seed.users.clone();
                st
            }
            _ => SimState::from_seed(&seed)?,
        };
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| SimError::Bind { addr, source: e })?;
        let addr = listener
            .local_addr()
            .map_err(|e| SimError::Bind { addr, source: e })?;
        let limiter = NonZeroU32::new(config.rate_limit_per_second)
            .map(|n| RateLimiter::keyed(Quota::per_second(n)));
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                state,
                faults: seed.faults.iter().cloned().map(ActiveFault::new).collect(),
                calls: BTreeMap::new(),
                total_calls: 0,
                rate_limited: 0,
                pages: HashMap::new(),
                page_seq: 0,
            }),
            cfg: config,
            limiter,
            base_url: format!("http://{addr}"),
        });
        shared.persist(&shared.lock());
        let router = Router::new()
            .route("/__sim/state", get(sim_state))
            .route(
                "/__sim/faults",
                get(list_faults).post(add_faults).delete(clear_faults),
            )
            .route("/__sim/calls", axum::routing::delete(clear_calls))
            .fallback(api)
            .with_state(shared.clone());
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(serve(listener, router, stop_rx));
        Ok(Server {
            addr,
            shared,
            stop,
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The same JSON as `GET /__sim/state`.
    pub fn state(&self) -> Value {
        self.shared.snapshot()
    }

    /// Add a fault at run time.
    pub fn inject(&self, fault: Fault) {
        self.shared.lock().faults.push(ActiveFault::new(fault));
    }

    /// Remove every fault.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Calls received per endpoint (`METHOD Template`).
    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.shared.lock().calls.clone()
    }

    /// Stop accepting, let in-flight calls finish (up to 5 s), persist the state.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.shared.persist(&self.shared.lock());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

async fn serve(listener: TcpListener, router: Router, mut stop: watch::Receiver<bool>) {
    use hyper::service::Service as _;
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let tower = hyper_util::service::TowerToHyperService::new(router.clone());
                let svc = hyper::service::service_fn(move |req| {
                    let fut = tower.call(req);
                    async move {
                        let resp: Response<Body> = match fut.await {
                            Ok(r) => r,
                            Err(never) => match never {},
                        };
                        if resp.extensions().get::<DropConnection>().is_some() {
                            return Err(Dropped);
                        }
                        Ok(resp)
                    }
                });
                let mut stop_conn = stop.clone();
                conns.spawn(async move {
                    let conn = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), svc);
                    tokio::pin!(conn);
                    tokio::select! {
                        _ = conn.as_mut() => {}
                        _ = stop_conn.changed() => {
                            conn.as_mut().graceful_shutdown();
                            let _ = conn.await;
                        }
                    }
                });
            }
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    conns.abort_all();
}

// ------------------------------------------------------------------ /__sim

async fn sim_state(State(shared): State<Arc<Shared>>) -> Response<Body> {
    json_response(200, &shared.snapshot())
}

async fn list_faults(State(shared): State<Arc<Shared>>) -> Response<Body> {
    json_response(200, &json!(shared.lock().faults))
}

async fn add_faults(State(shared): State<Arc<Shared>>, body: Bytes) -> Response<Body> {
    let parsed: Result<Vec<Fault>, _> =
        serde_json::from_slice::<Value>(&body).and_then(|v| match v {
            Value::Array(_) => serde_json::from_value(v),
            one => serde_json::from_value(one).map(|f| vec![f]),
        });
    match parsed {
        Ok(fs) => {
            let mut inner = shared.lock();
            inner.faults.extend(fs.into_iter().map(ActiveFault::new));
            json_response(200, &json!(inner.faults))
        }
        Err(e) => error_response(400, &format!("bad fault: {e}"), false),
    }
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> Response<Body> {
    shared.lock().faults.clear();
    json_response(200, &json!([]))
}

async fn clear_calls(State(shared): State<Arc<Shared>>) -> Response<Body> {
    let mut inner = shared.lock();
    inner.calls.clear();
    inner.total_calls = 0;
    inner.rate_limited = 0;
    json_response(200, &json!({}))
}

// ------------------------------------------------------------------ responses

fn json_response(status: u16, v: &Value) -> Response<Body> {
    let mut r = Response::new(Body::from(serde_json::to_vec(v).unwrap_or_default()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn xml_response(status: u16, x: String) -> Response<Body> {
    let mut r = Response::new(Body::from(x));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/xml; charset=UTF-8"),
    );
    r
}

fn error_response(status: u16, message: &str, xml: bool) -> Response<Body> {
    if xml {
        xml_response(
            status,
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><error><message>{}</message></error>",
                super::compxml::esc(message)
            ),
        )
    } else {
        json_response(status, &json!({"@type": "Error", "message": message}))
    }
}

enum Reply {
    Json(u16, Value),
    Xml(String),
    Empty,
}

// ------------------------------------------------------------------ routing

struct Route {
    partner: bool,
    account: String,
    object: String,
    /// `Component~{branch}` → the branch
    object_tilde: Option<String>,
    rest: Vec<String>,
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Some(v) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_route(path: &str) -> Option<Route> {
    let (partner, rest) = if let Some(r) = path.strip_prefix("/partner/api/rest/v1/") {
        (true, r)
    } else if let Some(r) = path.strip_prefix("/api/rest/v1/") {
        (false, r)
    } else {
        return None;
    };
    let mut segs = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode);
    let account = segs.next()?;
    let first = segs.next()?;
    let (object, object_tilde) = match first.split_once('~') {
        Some((o, t)) => (o.to_string(), Some(t.to_string())),
        None => (first, None),
    };
    Some(Route {
        partner,
        account,
        object,
        object_tilde,
        rest: segs.collect(),
    })
}

/// `METHOD Template` for call counting and fault matching.
fn endpoint_key(method: &Method, r: &Route) -> String {
    let mut t = r.object.clone();
    if r.object_tilde.is_some() {
        t.push_str("~{branchId}");
    }
    match r.rest.as_slice() {
        [] => {}
        [op] if op == "query" || op == "queryMore" || op == "bulk" => {
            t.push('/');
            t.push_str(op);
        }
        [op, _] if op == "execute" => t.push_str("/execute/{id}"),
        [_] => t.push_str("/{id}"),
        [_, op] => {
            t.push_str("/{id}/");
            t.push_str(op);
        }
        _ => t.push_str("/…"),
    }
    format!("{method} {t}")
}

fn basic_user(headers: &HeaderMap, state: &SimState) -> Result<String, String> {
    let h = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or("Authentication is required.")?;
    let encoded = h
        .strip_prefix("Basic ")
        .or_else(|| h.strip_prefix("basic "))
        .ok_or("Only Basic authentication is supported.")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or("Malformed Basic credentials.")?;
    let (user, token) = decoded
        .split_once(':')
        .ok_or("Malformed Basic credentials.")?;
    let name = user
        .strip_prefix("BOOMI_TOKEN.")
        .filter(|n| !n.is_empty())
        .ok_or("The user name must be BOOMI_TOKEN.<user name>.")?;
    if token.is_empty() {
        return Err("The API token is missing.".into());
    }
    if !state.users.is_empty()
        && !state
            .users
            .iter()
            .any(|u| u.user == name && u.token == token)
    {
        return Err("Invalid credentials.".into());
    }
    Ok(name.to_string())
}

async fn api(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let Some(route) = parse_route(uri.path()) else {
        let mut inner = shared.lock();
        inner.total_calls += 1;
        *inner.calls.entry(format!("{method} ?")).or_default() += 1;
        return error_response(404, &format!("No such endpoint: {}", uri.path()), false);
    };
    let xml = route.object == "Component"
        && !headers
            .get(header::ACCEPT)
            .and_then(|a| a.to_str().ok())
            .is_some_and(|a| a.contains("json"));
    let key = endpoint_key(&method, &route);
    let over = if route.partner {
        uri.query().and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "overrideAccount")
                .map(|(_, v)| v.into_owned())
                .filter(|v| !v.is_empty())
        })
    } else {
        None
    };
    // Count, authenticate, rate-limit, decide faults.
    let (user, account, decision) = {
        let mut inner = shared.lock();
        inner.total_calls += 1;
        *inner.calls.entry(key.clone()).or_default() += 1;
        let user = match basic_user(&headers, &inner.state) {
            Ok(u) => u,
            Err(m) => {
                let mut r = error_response(401, &m, xml);
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"Boomi Platform API\""),
                );
                return r;
            }
        };
        let account = match inner
            .state
            .effective_account(&route.account, over.as_deref())
        {
            Ok(a) => a,
            Err(e) => return error_response(e.status, &e.message, xml),
        };
        if let Some(l) = &shared.limiter {
            if l.check_key(&account).is_err() {
                inner.rate_limited += 1;
                let status = shared.cfg.rate_limit_status;
                return error_response(
                    status,
                    &format!("The API rate limit for account {account} has been exceeded; please retry later."),
                    xml,
                );
            }
        }
        let d = faults::decide(&mut inner.faults, &key);
        (user, account, d)
    };
    if decision.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(decision.delay_ms)).await;
    }
    if decision.close {
        let mut r = Response::new(Body::empty());
        r.extensions_mut().insert(DropConnection);
        return r;
    }
    if let Some((status, message, retry_after)) = decision.fail {
        let mut r = error_response(status, &message, xml);
        if let Some(s) = retry_after {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        return r;
    }
    let result = {
        let mut inner = shared.lock();
        let result = dispatch(&shared, &mut inner, &method, &route, &account, user, &body);
        shared.persist(&inner);
        result
    };
    if decision.answer_delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(decision.answer_delay_ms)).await;
    }
    if let Some(lost) = decision.lose_response {
        tracing::info!(endpoint = %key, account = %account, "sim call carried out, answer lost");
        return match lost {
            Some(status) => error_response(status, &format!("Injected fault: {status}"), xml),
            None => {
                let mut r = Response::new(Body::empty());
                r.extensions_mut().insert(DropConnection);
                r
            }
        };
    }
    let response = match result {
        Ok(Reply::Json(status, v)) => json_response(status, &v),
        Ok(Reply::Xml(x)) => xml_response(200, x),
        Ok(Reply::Empty) => StatusCode::OK.into_response(),
        Err(e) => {
            tracing::debug!(endpoint = %key, status = e.status, message = %e.message, "sim error");
            error_response(e.status, &e.message, xml)
        }
    };
    tracing::info!(
        endpoint = %key,
        account = %account,
        status = response.status().as_u16(),
        "sim call"
    );
    response
}

fn json_body(body: &Bytes, object: &str) -> ApiResult<Value> {
    let text = std::str::from_utf8(body).map_err(|_| ApiErr::bad("The body is not UTF-8."))?;
    let text = text.trim_start_matches('\u{feff}').trim();
    if text.is_empty() {
        return Ok(Value::Null);
    }
    let v: Value = serde_json::from_str(text)
        .map_err(|e| ApiErr::bad(format!("The body is not valid JSON: {e}")))?;
    // Accept the wrapped form {"Branch": {...}} too.
    if let Value::Object(m) = &v {
        if m.len() == 1 {
            if let Some(inner @ Value::Object(_)) = m.get(object) {
                return Ok(inner.clone());
            }
        }
    }
    Ok(v)
}

fn page(
    inner: &mut Inner,
    cfg: &SimConfig,
    account: &str,
    object: &str,
    mut rows: Vec<Value>,
) -> Value {
    let size = cfg.page_size.max(1);
    let rest = if rows.len() > size {
        rows.split_off(size)
    } else {
        Vec::new()
    };
    let mut v = json!({"@type": "QueryResult", "numberOfResults": rows.len(), "result": rows});
    if !rest.is_empty() {
        let raw: Vec<u8> = uuid::Uuid::new_v4()
            .as_bytes()
            .iter()
            .chain(uuid::Uuid::new_v4().as_bytes())
            .copied()
            .collect();
        let token = format!(
            "EXAMPLE{}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        );
        if inner.pages.len() >= MAX_PENDING_PAGES {
            if let Some(oldest) = inner
                .pages
                .iter()
                .min_by_key(|(_, p)| p.seq)
                .map(|(k, _)| k.clone())
            {
                inner.pages.remove(&oldest);
            }
        }
        inner.page_seq += 1;
        let seq = inner.page_seq;
        inner.pages.insert(
            token.clone(),
            Page {
                seq,
                account: account.to_string(),
                object: object.to_string(),
                rows: rest,
            },
        );
        v["queryToken"] = json!(token);
    }
    v
}

fn query_more(
    inner: &mut Inner,
    cfg: &SimConfig,
    account: &str,
    object: &str,
    body: &Bytes,
) -> ApiResult<Value> {
    let text = String::from_utf8_lossy(body).trim().to_string();
    let token = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| {
            v.get("queryToken")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or(text);
    let p = inner
        .pages
        .remove(&token)
        .filter(|p| p.account == account && p.object == object)
        .ok_or_else(|| ApiErr::bad("The queryToken is invalid or has expired."))?;
    let (account, object) = (p.account.clone(), p.object.clone());
    Ok(page(inner, cfg, &account, &object, p.rows))
}

fn filtered(rows: Vec<Value>, expr: &Expr) -> Vec<Value> {
    rows.into_iter().filter(|r| expr.matches(r)).collect()
}

fn need_id(route: &Route) -> ApiResult<&str> {
    match route.rest.as_slice() {
        [id] | [id, _] => Ok(id),
        _ => Err(ApiErr::new(404, "No such endpoint.")),
    }
}

#[allow(clippy::too_many_arguments)]
fn dispatch(
    shared: &Shared,
    inner: &mut Inner,
    method: &Method,
    route: &Route,
    account: &str,
    user: String,
    body: &Bytes,
) -> ApiResult<Reply> {
    let cfg = &shared.cfg;
    let obj = route.object.as_str();
    let rest: Vec<&str> = route.rest.iter().map(String::as_str).collect();
    let is_get = *method == Method::GET;
    let is_post = *method == Method::POST;
    let is_delete = *method == Method::DELETE;

    // `query`, `queryMore` and `bulk` take a POST only (Boomi answers 405 to other methods).
    if matches!(rest.as_slice(), ["query"] | ["queryMore"] | ["bulk"]) && !is_post {
        return Err(ApiErr::new(
            405,
            format!("{method} is not allowed on {obj}/{}; use POST", rest[0]),
        ));
    }
    // queryMore for every object
    if is_post && rest.as_slice() == ["queryMore"] {
        return query_more(inner, cfg, account, obj, body).map(|v| Reply::Json(200, v));
    }
    if obj == "Component" {
        let Inner { state, faults, .. } = inner;
        let ctx = Ctx { cfg, user, faults };
        let text = String::from_utf8_lossy(body);
        return match (method.clone(), rest.as_slice()) {
            (Method::GET, [spec]) => state.get_component(account, spec, &ctx).map(Reply::Xml),
            (Method::POST, []) => state
                .save_component(account, None, route.object_tilde.as_deref(), &text, &ctx)
                .map(Reply::Xml),
            (Method::POST, [spec]) => {
                let (id, branch) = match spec.split_once('~') {
                    Some((i, b)) if !b.chars().all(|c| c.is_ascii_digit()) => (i, Some(b)),
                    Some(_) => return Err(ApiErr::bad("A component revision cannot be updated.")),
                    None => (*spec, None),
                };
                state
                    .save_component(account, Some(id), branch, &text, &ctx)
                    .map(Reply::Xml)
            }
            _ => Err(ApiErr::new(404, "No such endpoint.")),
        };
    }
    let json = if is_post {
        json_body(body, obj)?
    } else {
        Value::Null
    };
    let expr = if is_post && rest.as_slice() == ["query"] {
        Some(parse_query_config(&json).map_err(ApiErr::bad)?)
    } else {
        None
    };
    let Inner { state, faults, .. } = inner;
    let mut ctx = Ctx { cfg, user, faults };
    let reply = match (obj, rest.as_slice()) {
        // ---------------------------------------------------------- Account
        ("Account", ["query"]) => {
            let rows = filtered(state.account_rows(account), expr.as_ref().expect("query"));
            return Ok(Reply::Json(200, page(inner, cfg, account, obj, rows)));
        }
        ("Account", [id]) if is_get => state.get_account(account, id, &ctx)?,
        // ---------------------------------------------------------- ComponentMetadata
        ("ComponentMetadata", ["query"]) => {
            let e = expr.expect("query");
            let all = e.mentions("branchId") || e.mentions("branchName");
            let rows = filtered(state.metadata_rows(account, all), &e);
            return Ok(Reply::Json(200, page(inner, cfg, account, obj, rows)));
        }
        ("ComponentMetadata", [spec]) if is_get => state.get_metadata(account, spec, &ctx)?,
        ("ComponentMetadata", [spec]) if is_delete => {
            state.delete_component(account, spec, &ctx)?;
            return Ok(Reply::Empty);
        }
        // ---------------------------------------------------------- ComponentReference
        ("ComponentReference", ["query"]) => {
            let e = expr.expect("query");
            let parent = e.required_equals("parentComponentId");
            let pv = match e.required_equals("parentVersion") {
                Some(v) => Some(
                    v.parse::<f64>()
                        .map_err(|_| ApiErr::bad(format!("parentVersion {v} is not a number.")))?
                        as u32,
                ),
                None => None,
            };
            let child = e.required_equals("componentId");
            let branch = e.required_equals("branchId");
            let edges = state.reference_rows(
                account,
                parent.as_deref(),
                pv,
                child.as_deref(),
                branch.as_deref(),
                &ctx,
            )?;
            let edges = filtered(edges, &e);
            let mut groups: Vec<(String, Vec<Value>)> = Vec::new();
            for edge in edges {
                let k = if parent.is_some() {
                    format!("{}~{}", edge["parentComponentId"], edge["parentVersion"])
                } else {
                    edge["componentId"].to_string()
                };
                match groups.iter_mut().find(|(g, _)| *g == k) {
                    Some((_, v)) => v.push(edge),
                    None => groups.push((k, vec![edge])),
                }
            }
            let rows = groups
                .into_iter()
                .map(|(_, refs)| json!({"@type": "ComponentReference", "references": refs}))
                .collect();
            return Ok(Reply::Json(200, page(inner, cfg, account, obj, rows)));
        }
        ("ComponentReference", [spec]) if is_get => {
            let (id, branch) = match spec.split_once('~') {
                Some((i, b)) => (i, Some(b)),
                None => (*spec, None),
            };
            let edges = state.reference_rows(account, None, None, Some(id), branch, &ctx)?;
            let has_children = || {
                state
                    .reference_rows(account, Some(id), None, None, branch, &ctx)
                    .is_ok_and(|c| !c.is_empty())
            };
            // Boomi answers 400 only when the component has neither parents nor children.
            if edges.is_empty() && !has_children() {
                return Err(ApiErr::bad(format!(
                    "Component {id} has no parent or child references."
                )));
            }
            json!({"@type": "ComponentReference", "references": edges})
        }
        // ---------------------------------------------------------- Branch
        ("Branch", ["query"]) => {
            let rows = filtered(state.branch_rows(account, cfg), &expr.expect("query"));
            return Ok(Reply::Json(200, page(inner, cfg, account, obj, rows)));
        }
        ("Branch", []) if is_post => state.create_branch(account, &json, &ctx)?,
        ("Branch", [id]) if is_get => state.get_branch(account, id, &ctx)?,
        ("Branch", [id]) if is_post => state.update_branch(account, id, &json, &ctx)?,
        ("Branch", [id]) if is_delete => {
            state.delete_branch(account, id, &ctx)?;
            return Ok(Reply::Empty);
        }
        // ---------------------------------------------------------- MergeRequest
        ("MergeRequest", ["query"]) => {
            let e = expr.expect("query");
            if !(e.mentions("sourceBranchId") || e.mentions("destinationBranchId")) {
                return Err(ApiErr::bad(
                    "A MergeRequest query must filter by sourceBranchId or destinationBranchId.",
                ));
            }
            let rows = filtered(state.merge_rows(account), &e);
            return Ok(Reply::Json(200, page(inner, cfg, account, obj, rows)));
        }
        ("MergeRequest", []) if is_post => state.create_merge(account, &json, &mut ctx)?,
        ("MergeRequest", ["execute", id]) if is_post => {
            state.execute_merge(account, id, &json, &mut ctx)?
        }
        ("MergeRequest", [id]) if is_get => state.get_merge(account, id, &mut ctx)?,
        ("MergeRequest", [id]) if is_post => state.update_merge(account, id, &json, &mut ctx)?,
        ("MergeRequest", [id]) if is_delete => {
            state.delete_merge(account, id, &ctx)?;
            return Ok(Reply::Empty);
        }
        // ---------------------------------------------------------- PackagedComponent
        ("PackagedComponent", ["query"]) => {
            let rows = filtered(state.package_rows(account), &expr.expect("query"));
            return Ok(Reply::Json(200, page(inner, cfg, account, obj, rows)));
        }
        ("PackagedComponent", []) if is_post => state.create_package(account, &json, &ctx)?,
        ("PackagedComponent", [id]) if is_get => state.get_package(account, id, &ctx)?,
        ("PackagedComponent", [id]) if is_delete => {
            state.delete_package(account, id, &ctx)?;
            return Ok(Reply::Empty);
        }
        // ---------------------------------------------------------- packs and releases
        ("PublisherIntegrationPack", ["query"]) => {
            let rows = filtered(state.pack_rows(account), &expr.expect("query"));
            return Ok(Reply::Json(200, page(inner, cfg, account, obj, rows)));
        }
        ("PublisherIntegrationPack", []) if is_post => state.create_pack(account, &json, &ctx)?,
        ("PublisherIntegrationPack", [id]) if is_get => state.get_pack(account, id, &ctx)?,
        ("PublisherIntegrationPack", [id]) if is_post => {
            state.update_pack(account, id, &json, &ctx)?
        }
        ("PublisherIntegrationPack", [id]) if is_delete => {
            state.delete_pack(account, id, &ctx)?;
            return Ok(Reply::Empty);
        }
        ("ReleaseIntegrationPack", []) if is_post => {
            state.create_release(account, &json, &shared.base_url, &ctx)?
        }
        ("ReleaseIntegrationPackStatus", [id]) if is_get => {
            let (code, v) = state.release_status(account, id, &mut ctx)?;
            return Ok(Reply::Json(code, v));
        }
        // ---------------------------------------------------------- DeployedPackage
        ("DeployedPackage", ["query"]) => {
            let rows = filtered(state.deployment_rows(account), &expr.expect("query"));
            return Ok(Reply::Json(200, page(inner, cfg, account, obj, rows)));
        }
        ("DeployedPackage", []) if is_post => state.create_deployment(account, &json, &ctx)?,
        ("DeployedPackage", [id]) if is_get => state.get_deployment(account, id, &ctx)?,
        ("DeployedPackage", [id]) if is_delete => {
            state.delete_deployment(account, id, &ctx)?;
            return Ok(Reply::Empty);
        }
        // ---------------------------------------------------------- Environment
        ("Environment", ["query"]) => {
            let rows = filtered(state.environment_rows(account), &expr.expect("query"));
            return Ok(Reply::Json(200, page(inner, cfg, account, obj, rows)));
        }
        ("Environment", [id]) if is_get => state.get_environment(account, id, &ctx)?,
        // ---------------------------------------------------------- extensions
        ("EnvironmentExtensions", ["query"]) => {
            let rows = filtered(state.extension_rows(account), &expr.expect("query"));
            return Ok(Reply::Json(200, page(inner, cfg, account, obj, rows)));
        }
        ("EnvironmentExtensions", [id]) if is_get => state.get_extensions(account, id, &ctx)?,
        ("EnvironmentExtensions", [id]) | ("EnvironmentExtensions", [id, "update"]) if is_post => {
            state.update_extensions(account, id, &json, &ctx)?
        }
        ("EnvironmentMapExtensionsSummary", ["query"]) => {
            let rows = filtered(state.map_summary_rows(account), &expr.expect("query"));
            return Ok(Reply::Json(200, page(inner, cfg, account, obj, rows)));
        }
        ("EnvironmentMapExtension", [id]) if is_get => {
            state.get_map_extension(account, id, &ctx)?
        }
        ("EnvironmentMapExtension", [id]) | ("EnvironmentMapExtension", [id, "update"])
            if is_post =>
        {
            state.update_map_extension(account, id, &json, &ctx)?
        }
        _ => {
            let _ = need_id(route);
            return Err(ApiErr::new(
                404,
                format!("The emulator does not implement {method} {obj} with this path."),
            ));
        }
    };
    Ok(Reply::Json(200, reply))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_endpoint_keys() {
        let r = parse_route("/partner/api/rest/v1/primary-abc123/Component/abc~QjoyMQ").unwrap();
        assert!(r.partner);
        assert_eq!(r.account, "primary-abc123");
        assert_eq!(endpoint_key(&Method::GET, &r), "GET Component/{id}");
        let r = parse_route("/api/rest/v1/acc/Component~QjoyMQ").unwrap();
        assert_eq!(r.object_tilde.as_deref(), Some("QjoyMQ"));
        assert_eq!(endpoint_key(&Method::POST, &r), "POST Component~{branchId}");
        let r = parse_route("/api/rest/v1/acc/MergeRequest/execute/TVI6MQ").unwrap();
        assert_eq!(
            endpoint_key(&Method::POST, &r),
            "POST MergeRequest/execute/{id}"
        );
        let r = parse_route("/api/rest/v1/acc/Branch/query").unwrap();
        assert_eq!(endpoint_key(&Method::POST, &r), "POST Branch/query");
        let r = parse_route("/api/rest/v1/acc/EnvironmentExtensions/e1/update").unwrap();
        assert_eq!(
            endpoint_key(&Method::POST, &r),
            "POST EnvironmentExtensions/{id}/update"
        );
        assert!(parse_route("/other").is_none());
        assert!(parse_route("/api/rest/v1/acc").is_none());
        assert_eq!(percent_decode("a%7Eb%2"), "a~b%2");
    }
}
