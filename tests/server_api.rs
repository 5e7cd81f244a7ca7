//! The operator HTTP server driven over real HTTP on 127.0.0.1:0, with a state store filled
//! through the `Store` API: health, readiness, metrics, the JSON API, the git webhook's HMAC
//! check and the HTML dashboard, refused documents included.

mod common;

use boomi_promoter::model::{ErrorCode, Problem, PromotionStatus as S, Target};
use boomi_promoter::server::{self, Metrics, ServerState};
use boomi_promoter::store::record::parse_ts;
use boomi_promoter::store::{
    ComponentAction, ComponentMapping, ComponentResult, ComponentStatus, MappingSource,
    ProblemScope, ProblemSource, PromotionRecord, Store,
};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::oneshot;

struct Running {
    base: String,
    http: reqwest::Client,
    state: ServerState,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request")
    }

    async fn json(&self, path: &str) -> (u16, Value) {
        let r = self.get(path).await;
        let status = r.status().as_u16();
        (status, r.json().await.expect("JSON body"))
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task
            .await
            .expect("server task")
            .expect("server ends cleanly");
    }
}

async fn start(state: ServerState) -> Running {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(server::serve(listener, state.clone(), async move {
        let _ = rx.await;
    }));
    Running {
        base: format!("http://{addr}"),
        http: reqwest::Client::new(),
        state,
        stop: Some(tx),
        task,
    }
}

fn rec(id: &str, status: S, target: Target, at: &str, process: &str) -> PromotionRecord {
    PromotionRecord::new(
        id,
        "dev-team-a",
        "Alice@Example.com",
        process,
        target,
        status,
        parse_ts(at).unwrap(),
    )
}

fn walk(store: &Store, r: PromotionRecord, path: &[S]) {
    common::insert_walked(store, r, path);
}

/// A store with: a TEST promotion deployed (ready for production), one waiting for a peer,
/// one waiting for an admin, a failed one, and two mappings.
fn filled_store() -> Arc<Store> {
    let store = Store::open_in_memory().unwrap();
    let mut t = rec(
        "orders-test-1",
        S::Queued,
        Target::Test,
        "2026-11-01T08:00:00Z",
        "Order Processing Main",
    );
    t.result_detail.push(ComponentResult {
        dev_component_id: "dev-proc".into(),
        prod_component_id: Some("prod-proc".into()),
        name: "Order Processing Main".into(),
        component_type: "process".into(),
        action: ComponentAction::Created,
        status: ComponentStatus::Success,
        version: Some(1),
        config_stripped: false,
        error_message: None,
    });
    walk(
        &store,
        t,
        &[
            S::InProgress,
            S::Completed,
            S::TestDeploying,
            S::TestDeployed,
        ],
    );
    store
        .update("orders-test-1", |r| {
            r.test_deployed_at = Some(chrono::Utc::now() - chrono::Duration::days(40));
            r.package_version = Some("1.2.0".into());
        })
        .unwrap();
    walk(
        &store,
        rec(
            "orders-hotfix-1",
            S::PendingPeerReview,
            Target::Production,
            "2026-11-10T08:00:00Z",
            "Order Processing Main",
        ),
        &[],
    );
    walk(
        &store,
        rec(
            "invoices-prod-1",
            S::PendingPeerReview,
            Target::Production,
            "2026-11-12T08:00:00Z",
            "Invoice Sync",
        ),
        &[S::PendingAdminReview],
    );
    walk(
        &store,
        rec(
            "orders-broken-1",
            S::Queued,
            Target::Test,
            "2026-11-15T08:00:00Z",
            "Order Processing Main",
        ),
        &[S::Failed],
    );
    let step = store
        .begin_step(
            "orders-test-1",
            "create-branch",
            &json!({"name": "promo-orders-test-1"}),
        )
        .unwrap();
    store
        .finish_step(step, &json!({"branchId": "QjoxMjM"}), None, |_| {})
        .unwrap();
    for (dev, prod, source) in [
        ("dev-conn", "prod-conn", MappingSource::Admin),
        ("dev-proc", "prod-proc", MappingSource::Engine),
    ] {
        store
            .upsert_mapping(&ComponentMapping {
                dev_account_id: "dev-team-a".into(),
                dev_component_id: dev.into(),
                prod_component_id: prod.into(),
                component_name: format!("Name, \"{dev}\""),
                component_type: if source == MappingSource::Admin {
                    "connection".into()
                } else {
                    "process".into()
                },
                prod_account_id: "primary-abc123".into(),
                prod_latest_version: Some(1),
                last_promoted_at: None,
                last_promoted_by: None,
                last_promotion_id: None,
                source,
            })
            .unwrap();
    }
    Arc::new(store)
}

#[tokio::test]
async fn health_and_readiness_flip() {
    let srv = start(ServerState::new(filled_store())).await;
    let r = srv.get("/healthz").await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.text().await.unwrap(), "ok");
    assert_eq!(srv.get("/readyz").await.status().as_u16(), 503);
    srv.state.set_ready(true);
    let r = srv.get("/readyz").await;
    assert_eq!(r.status().as_u16(), 200);
    srv.state.set_ready(false);
    assert_eq!(srv.get("/readyz").await.status().as_u16(), 503);
    srv.stop().await;
}

#[tokio::test]
async fn metrics_refresh_the_store_gauges_per_scrape_in_the_format_asked_for() {
    let store = refused_store();
    let in_use = store.branches_in_use().unwrap().len();
    let metrics = Metrics::new();
    let srv = start(ServerState::new(store.clone()).with_metrics(metrics.clone())).await;
    let ms = std::time::Duration::from_millis;
    metrics.boomi_call("GET", "Component/{id}", Some(200), ms(40));
    metrics.boomi_call("POST", "Branch", Some(503), ms(900));
    metrics.error(ErrorCode::MissingConnectionMappings);
    metrics.observe_reconcile(ms(1200));

    // No Accept (curl, promtool): the text format 0.0.4.
    let r = srv.get("/metrics").await;
    assert_eq!(r.status().as_u16(), 200);
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert_eq!(ct, "text/plain; version=0.0.4; charset=utf-8");
    let text = r.text().await.unwrap();
    let branches = format!("promoter_branches_in_use {in_use}");
    for want in [
        "promoter_promotions{status=\"TEST_DEPLOYED\"} 1",
        "promoter_promotions{status=\"PENDING_PEER_REVIEW\"} 1",
        "promoter_promotions{status=\"PENDING_ADMIN_REVIEW\"} 1",
        "promoter_promotions{status=\"FAILED\"} 1",
        "promoter_promotions{status=\"DEPLOYED\"} 0",
        "promoter_boomi_api_call_duration_seconds_count{method=\"GET\",endpoint=\"Component/{id}\",status=\"200\"} 1",
        "promoter_boomi_api_call_duration_seconds_count{method=\"POST\",endpoint=\"Branch\",status=\"503\"} 1",
        "# TYPE promoter_errors_total counter",
        "promoter_errors_total{code=\"MISSING_CONNECTION_MAPPINGS\"} 1",
        &branches,
        "promoter_branch_soft_limit 15",
        "promoter_refused_documents{code=\"STALE_APPROVAL\"} 1",
        "promoter_refused_documents{code=\"SIGNATURE_INVALID\"} 1",
        "promoter_refused_documents{code=\"DOCUMENT_REPLAYED\"} 1",
        "promoter_reconcile_duration_seconds_count 1",
        "promoter_reconcile_duration_seconds_bucket{le=\"2.5\"} 1",
        "promoter_reconcile_duration_seconds_bucket{le=\"1.0\"} 0",
        "# TYPE promoter_build_info gauge",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    assert!(!text.contains("# EOF"), "{text}");

    // Prometheus's Accept: OpenMetrics.
    let r = srv
        .http
        .get(format!("{}/metrics", srv.base))
        .header(
            "accept",
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
        )
        .send()
        .await
        .unwrap();
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(
        ct.starts_with("application/openmetrics-text; version=1.0.0"),
        "{ct}"
    );
    let om = r.text().await.unwrap();
    assert!(om.contains("# TYPE promoter_build info"), "{om}");
    assert!(om.trim_end().ends_with("# EOF"), "{om}");

    // A new promotion shows at the next scrape.
    walk(
        &store,
        rec(
            "late-1",
            S::PendingPeerReview,
            Target::Production,
            "2026-11-20T08:00:00Z",
            "Late",
        ),
        &[],
    );
    let text = srv.get("/metrics").await.text().await.unwrap();
    assert!(
        text.contains("promoter_promotions{status=\"PENDING_PEER_REVIEW\"} 2"),
        "{text}"
    );
    srv.stop().await;
}

#[tokio::test]
async fn json_api_lists_filters_and_shows_promotions() {
    let srv = start(ServerState::new(filled_store())).await;

    let (st, v) = srv.json("/api/v1/promotions").await;
    assert_eq!(st, 200);
    let ids: Vec<&str> = v["promotions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["promotionId"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "orders-broken-1",
            "invoices-prod-1",
            "orders-hotfix-1",
            "orders-test-1"
        ]
    );

    let (_, v) = srv
        .json("/api/v1/promotions?status=test_deployed,FAILED")
        .await;
    let ids: Vec<&str> = v["promotions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["promotionId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["orders-broken-1", "orders-test-1"]);

    let (st, v) = srv.json("/api/v1/promotions?status=NOPE").await;
    assert_eq!(st, 400);
    assert_eq!(v["code"], "INVALID_REQUEST");

    let (st, v) = srv.json("/api/v1/promotions/orders-test-1").await;
    assert_eq!(st, 200);
    assert_eq!(v["promotion"]["status"], "TEST_DEPLOYED");
    assert_eq!(v["promotion"]["packageVersion"], "1.2.0");
    assert_eq!(
        v["promotion"]["resultDetail"][0]["prodComponentId"],
        "prod-proc"
    );
    let audit = v["audit"].as_array().unwrap();
    assert_eq!(audit.len(), 5, "creation + 4 transitions: {audit:?}");
    assert_eq!(audit[0]["to"], "QUEUED");
    assert_eq!(audit[4]["to"], "TEST_DEPLOYED");
    assert_eq!(v["steps"][0]["step"], "create-branch");
    assert_eq!(v["steps"][0]["result"]["branchId"], "QjoxMjM");

    let (st, v) = srv.json("/api/v1/promotions/no-such-promo").await;
    assert_eq!(st, 404);
    assert_eq!(v["code"], "PROMOTION_NOT_FOUND");

    for (queue, want) in [
        ("peer", "orders-hotfix-1"),
        ("admin", "invoices-prod-1"),
        ("ready", "orders-test-1"),
    ] {
        let (st, v) = srv.json(&format!("/api/v1/queues/{queue}")).await;
        assert_eq!(st, 200);
        let list = v["promotions"].as_array().unwrap();
        assert_eq!(list.len(), 1, "{queue}: {v}");
        assert_eq!(list[0]["promotionId"], want);
    }
    // Nobody reviews their own promotion.
    let (_, v) = srv
        .json("/api/v1/queues/peer?viewer=ALICE@example.com")
        .await;
    assert!(v["promotions"].as_array().unwrap().is_empty());
    let (_, v) = srv
        .json("/api/v1/queues/ready?initiatedBy=bob@example.com")
        .await;
    assert!(v["promotions"].as_array().unwrap().is_empty());
    let (_, v) = srv
        .json("/api/v1/queues/ready?account=dev-team-a&initiatedBy=alice@example.com")
        .await;
    assert_eq!(v["promotions"].as_array().unwrap().len(), 1);
    let (st, _) = srv.json("/api/v1/queues/other").await;
    assert_eq!(st, 404);
    srv.stop().await;
}

#[tokio::test]
async fn mappings_as_json_and_csv() {
    let srv = start(ServerState::new(filled_store())).await;
    let (st, v) = srv.json("/api/v1/mappings").await;
    assert_eq!(st, 200);
    assert_eq!(v["mappings"].as_array().unwrap().len(), 2);
    let (_, v) = srv.json("/api/v1/mappings?source=admin").await;
    let list = v["mappings"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["prodComponentId"], "prod-conn");
    let (_, v) = srv.json("/api/v1/mappings?account=dev-other").await;
    assert!(v["mappings"].as_array().unwrap().is_empty());

    let r = srv.get("/api/v1/mappings?format=csv").await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[0].starts_with("devAccountId,devComponentId,prodComponentId"));
    // RFC 4180 quoting of a name with a comma and quotes.
    assert!(csv.contains("\"Name, \"\"dev-conn\"\"\""), "{csv}");
    let (st, v) = srv.json("/api/v1/mappings?format=xml").await;
    assert_eq!(st, 400);
    assert_eq!(v["code"], "INVALID_REQUEST");
    srv.stop().await;
}

#[tokio::test]
async fn webhook_checks_the_hmac_then_wakes_the_reconciler() {
    let woken = Arc::new(AtomicUsize::new(0));
    let w = woken.clone();
    let state = ServerState::new(filled_store())
        .with_webhook_secret("It's a Secret to Everybody")
        .with_wake(move || {
            w.fetch_add(1, Ordering::SeqCst);
        });
    let srv = start(state).await;
    let url = format!("{}/hooks/git", srv.base);
    let body = br#"{"ref":"refs/heads/main","after":"abc"}"#.to_vec();

    // No signature.
    let r = srv.http.post(&url).body(body.clone()).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    // Wrong secret.
    let bad = server::sign_webhook(b"wrong", &body);
    let r = srv
        .http
        .post(&url)
        .header("X-Hub-Signature-256", bad)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    // Right secret, tampered body.
    let good = server::sign_webhook(b"It's a Secret to Everybody", &body);
    let r = srv
        .http
        .post(&url)
        .header("X-Hub-Signature-256", &good)
        .body(b"{}".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(woken.load(Ordering::SeqCst), 0);

    // Accepted.
    let r = srv
        .http
        .post(&url)
        .header("X-Hub-Signature-256", &good)
        .header("X-GitHub-Event", "push")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["woke"], true);
    assert_eq!(woken.load(Ordering::SeqCst), 1);

    // A ping is accepted but wakes nothing.
    let ping = br#"{"zen":"Keep it logically awesome."}"#.to_vec();
    let r = srv
        .http
        .post(&url)
        .header(
            "X-Hub-Signature-256",
            server::sign_webhook(b"It's a Secret to Everybody", &ping),
        )
        .header("X-GitHub-Event", "ping")
        .body(ping)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    assert_eq!(woken.load(Ordering::SeqCst), 1);

    // GitLab's token header: the secret itself.
    let r = srv
        .http
        .post(&url)
        .header("X-Gitlab-Token", "not it")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = srv
        .http
        .post(&url)
        .header("X-Gitlab-Token", "It's a Secret to Everybody")
        .header("X-Gitlab-Event", "Push Hook")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    assert_eq!(woken.load(Ordering::SeqCst), 2);
    srv.stop().await;

    // Without a secret, any body is accepted.
    let woken = Arc::new(AtomicUsize::new(0));
    let w = woken.clone();
    let srv = start(ServerState::new(filled_store()).with_wake(move || {
        w.fetch_add(1, Ordering::SeqCst);
    }))
    .await;
    let r = srv
        .http
        .post(format!("{}/hooks/git", srv.base))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    assert_eq!(woken.load(Ordering::SeqCst), 1);
    srv.stop().await;
}

#[tokio::test]
async fn dashboard_renders_and_escapes() {
    let store = refused_store();
    let evil = "<script>alert('pwned')</script> & \"Co\"";
    walk(
        &store,
        rec(
            "evil-1",
            S::PendingPeerReview,
            Target::Production,
            "2026-11-19T08:00:00Z",
            evil,
        ),
        &[],
    );
    store
        .update("evil-1", |r| {
            r.waiting_reason = Some("<img src=x onerror=alert(1)>".into())
        })
        .unwrap();
    let srv = start(ServerState::new(store)).await;

    let r = srv.get("/").await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(!csp.contains("script-src"), "{csp}");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let html = r.text().await.unwrap();
    assert!(!html.contains("<script>"), "raw script tag in\n{html}");
    assert!(!html.contains("<img"), "raw img tag");
    assert!(
        html.contains("&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt; &amp; &quot;Co&quot;")
    );
    assert!(html.contains("<h2>Pipeline</h2>"));
    assert!(html.contains("Peer review queue (2)"));
    assert!(html.contains("Admin review queue (1)"));
    assert!(html.contains("Production readiness (1)"));
    assert!(html.contains("<a href=\"/promotions/orders-test-1\">orders-test-1</a>"));
    assert!(html.contains("href=\"/api/v1/mappings?format=csv\""));
    // Deployed to test 40 days ago: red, with the stale banner.
    assert!(html.contains("<td class=\"num red\">40</td>"), "{html}");
    assert!(html.contains("class=\"banner\""));
    assert!(!html.to_lowercase().contains("<script src"));
    // Refused documents: every open problem, escaped, linking to its promotion.
    assert!(html.contains("<h2>Refused documents (3)</h2>"), "{html}");
    assert!(!html.contains("<b>eve"), "raw b tag");

    assert!(
        html.contains("&lt;script&gt;alert(&#39;refused&#39;)&lt;/script&gt; &amp; &quot;q&quot;")
    );
    assert!(html.contains("&lt;b&gt;eve&lt;/b&gt;@example.com / -"));
    assert!(html.contains("<a href=\"/promotions/ghost-1\">ghost-1</a>"));
    assert!(html.contains("<td>repository</td>"));
    assert!(html.contains("promotions/orders-test-1/admin-review.yaml:5:16"));
    assert!(html.contains("STALE_APPROVAL"));

    let r = srv.get("/promotions/evil-1").await;
    assert_eq!(r.status().as_u16(), 200);
    let page = r.text().await.unwrap();
    assert!(!page.contains("<script>"));
    assert!(page.contains("&lt;script&gt;"));
    assert!(
        page.contains("Audit trail (4)"),
        "walked from QUEUED: {page}"
    );

    let page = srv
        .get("/promotions/orders-test-1")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Components (1)"));
    assert!(page.contains("prod-proc"));
    assert!(page.contains("create-branch"));
    assert!(page.contains("TEST_DEPLOYED"));
    assert!(page.contains("Problems (1 open)"), "{page}");
    assert!(page.contains("carol@example.com / carol@example.com"));

    // the refused request has a page: its problems, escaped
    let r = srv.get("/promotions/ghost-1").await;
    assert_eq!(r.status().as_u16(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("REFUSED"), "{page}");
    assert!(page.contains("Problems (1 open)"));
    assert!(page.contains("SIGNATURE_INVALID"));
    assert!(!page.contains("<script>"), "{page}");
    assert!(page.contains("&lt;script&gt;"));

    let r = srv.get("/promotions/nope-1").await;
    assert_eq!(r.status().as_u16(), 404);
    assert!(r.text().await.unwrap().contains("PROMOTION_NOT_FOUND"));
    srv.stop().await;
}

/// A message a forger could write into a refused document.
const EVIL: &str = "<script>alert('refused')</script> & \"q\"";

/// [`filled_store`] with refused documents kept: one on `orders-test-1` (a record), a refused
/// request `ghost-1` (no record) whose message holds a script, and a repository document.
fn refused_store() -> Arc<Store> {
    let store = filled_store();
    let problems = [
        Problem::new(
            "promotions/orders-test-1/admin-review.yaml",
            ErrorCode::StaleApproval,
            "requestDigest does not match request.yaml",
        )
        .at(Some(5), Some(16))
        .by(Some("carol@example.com"), Some("carol@example.com")),
        Problem::new(
            "promotions/ghost-1/request.yaml",
            ErrorCode::SignatureInvalid,
            EVIL,
        )
        .by(Some("<b>eve</b>@example.com"), None),
        Problem::new(
            "access/policy.yaml",
            ErrorCode::DocumentReplayed,
            "serial 3 is not greater than 7",
        ),
    ];
    let opened = store
        .write(|tx| {
            tx.sync_problems(
                ProblemSource::Document,
                ProblemScope::All,
                &problems,
                "c0ffee0123456789",
                parse_ts("2026-11-20T10:00:00Z").unwrap(),
            )
        })
        .unwrap();
    assert_eq!(opened.len(), 3);
    store
}

#[tokio::test]
async fn json_api_shows_problems_and_refused_requests() {
    let srv = start(ServerState::new(refused_store())).await;

    let (st, v) = srv.json("/api/v1/promotions/orders-test-1").await;
    assert_eq!(st, 200);
    assert_eq!(v["promotion"]["status"], "TEST_DEPLOYED");
    assert_eq!(v["problems"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["problems"][0]["code"], "STALE_APPROVAL");
    assert_eq!(v["problems"][0]["line"], 5);
    assert_eq!(v["problems"][0]["signer"], "carol@example.com");
    assert!(v["clearedProblems"].as_array().unwrap().is_empty());
    let (_, v) = srv.json("/api/v1/promotions/invoices-prod-1").await;
    assert!(v["problems"].as_array().unwrap().is_empty());

    // a refused request has no record: 200 with its problems, not 404
    let (st, v) = srv.json("/api/v1/promotions/ghost-1").await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["promotionId"], "ghost-1");
    assert_eq!(v["refused"], true);
    assert_eq!(v["problems"][0]["file"], "promotions/ghost-1/request.yaml");
    assert_eq!(v["problems"][0]["message"], EVIL);
    assert!(v.get("promotion").is_none());
    let (st, v) = srv.json("/api/v1/promotions/no-such-promo").await;
    assert_eq!(st, 404);
    assert_eq!(v["code"], "PROMOTION_NOT_FOUND");

    let (st, v) = srv.json("/api/v1/problems").await;
    assert_eq!(st, 200);
    let files: Vec<&str> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            "promotions/orders-test-1/admin-review.yaml",
            "promotions/ghost-1/request.yaml",
            "access/policy.yaml"
        ]
    );
    let (_, v) = srv.json("/api/v1/problems?promotion=ghost-1").await;
    assert_eq!(v["problems"].as_array().unwrap().len(), 1);
    assert_eq!(v["problems"][0]["code"], "SIGNATURE_INVALID");
    let (_, v) = srv.json("/api/v1/problems?code=document_replayed").await;
    assert_eq!(v["problems"].as_array().unwrap().len(), 1);
    assert_eq!(v["problems"][0]["promotionId"], Value::Null);
    let (_, v) = srv
        .json("/api/v1/problems?promotion=orders-test-1&code=DOCUMENT_REPLAYED")
        .await;
    assert!(v["problems"].as_array().unwrap().is_empty());
    let (st, v) = srv.json("/api/v1/problems?code=NOPE").await;
    assert_eq!(st, 400);
    assert_eq!(v["code"], "INVALID_REQUEST");
    srv.stop().await;
}
