//! `promoter daemon` end to end: it becomes ready, picks up a commit by watching the
//! repository, drives the promotion to TEST_DEPLOYED (seen through its JSON API), accepts a
//! signed webhook, and shuts down cleanly on SIGTERM.

mod common;

use boomi_promoter::model::PromotionStatus;
use boomi_promoter::sim::{Fault, SimConfig};
use boomi_promoter::store::Store;
use common::world::*;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

async fn wait_for<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(90);
    while !f().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A free port on 127.0.0.1.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `promoter daemon` on this world, listening on `port`.
fn daemon(w: &World, port: u16, extra: &[&str]) -> Child {
    w.cli(&["daemon"])
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .args(extra)
        .env("PROMOTER_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// SIGTERM, then the exit status (within 30 s).
fn terminate(child: &mut Child) -> ExitStatus {
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        assert!(Instant::now() < deadline, "daemon did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_watches_reconciles_serves_and_stops() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let w = World::with_sim(SimConfig::instant()).await;
    w.instant_polls();
    let secret = w.tmp.path().join("hook-secret");
    std::fs::write(&secret, "s3cret\n").unwrap();
    let port = free_port();
    let mut child = daemon(
        &w,
        port,
        &[
            "--poll",
            "2",
            "--webhook-secret-file",
            secret.to_str().unwrap(),
        ],
    );
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let status = |path: &'static str| {
        let http = http.clone();
        let url = format!("{base}{path}");
        async move {
            http.get(url)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        }
    };
    wait_for("readiness", || async { status("/readyz").await == 200 }).await;
    assert_eq!(status("/healthz").await, 200);

    // A commit is picked up by the watcher.
    w.request_test("daemon-t1", "2.0.0");
    w.commit("request");
    let url = format!("{base}/api/v1/promotions/daemon-t1");
    wait_for("TEST_DEPLOYED", || {
        let http = http.clone();
        let url = url.clone();
        async move {
            match http.get(url).send().await {
                Ok(r) if r.status().is_success() => {
                    let v: serde_json::Value = r.json().await.unwrap_or_default();
                    let s = v.pointer("/promotion/status").cloned().unwrap_or_default();
                    s == "TEST_DEPLOYED"
                }
                _ => false,
            }
        }
    })
    .await;

    // Metrics and the dashboard answer.
    let metrics = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for want in [
        "promoter_boomi_api_call_duration_seconds_count{method=\"POST\",endpoint=\"Branch\",status=\"2",
        "promoter_last_successful_reconcile_timestamp_seconds ",
        "promoter_promotions{status=\"TEST_DEPLOYED\"} 1",
        "# TYPE promoter_build_info gauge",
    ] {
        assert!(metrics.contains(want), "{want}\n{metrics}");
    }
    let page = http
        .get(format!("{base}/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("daemon-t1"));

    // The webhook wants the HMAC of the body.
    let body = br#"{"ref":"refs/heads/main"}"#.to_vec();
    let bad = http
        .post(format!("{base}/hooks/git"))
        .header("X-Hub-Signature-256", "sha256=00")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 401);
    let sig = boomi_promoter::server::sign_webhook(b"s3cret", &body);
    let good = http
        .post(format!("{base}/hooks/git"))
        .header("X-Hub-Signature-256", sig)
        .body(body)
        .send()
        .await
        .unwrap();
    assert!(good.status().is_success(), "{}", good.status());

    // SIGTERM: a clean exit.
    let code = terminate(&mut child);
    assert!(code.success(), "{code:?}");
}

/// SIGTERM while a component write is under way: the write finishes and is journaled, no new
/// step starts, the daemon exits 0; the next run carries on without duplicating anything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_step_under_way_finish() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let w = World::with_sim(SimConfig::instant()).await;
    w.instant_polls();
    w.request_test("graceful-t1", "2.0.0");
    w.commit("request");
    let before = w.primary()["componentCount"].as_i64().unwrap();
    // Every component write takes a while.
    w.sim.inject(Fault::Latency {
        endpoint: "POST Component".into(),
        millis: 1500,
    });
    let state = w.tmp.path().join("state");
    let mut child = daemon(&w, free_port(), &["--poll", "60"]);

    // Wait until a component write is under way (its intent is journaled, no result yet).
    let db = state.join("state.db");
    wait_for("a component write under way", || {
        let db = db.clone();
        async move {
            let Ok(store) = Store::open_read_only(&db) else {
                return false;
            };
            store
                .all_open_steps()
                .map(|s| s.iter().any(|s| s.step.starts_with("create:")))
                .unwrap_or(false)
        }
    })
    .await;
    let code = terminate(&mut child);
    assert!(code.success(), "{code:?}");

    // The write under way finished and has its result; nothing else was started.
    {
        let store = Store::open(&db).unwrap();
        let open = store.all_open_steps().unwrap();
        assert!(
            open.is_empty(),
            "open steps after a graceful stop: {open:#?}"
        );
        let rec = store.get("graceful-t1").unwrap().unwrap();
        assert_eq!(rec.status, PromotionStatus::InProgress);
        let written = store
            .steps("graceful-t1")
            .unwrap()
            .iter()
            .filter(|s| s.step.starts_with("create:"))
            .count();
        assert!(written >= 1);
    }

    // The next run carries on: TEST_DEPLOYED, one copy of every component.
    w.sim.clear_faults();
    let out = w
        .cli(&["reconcile", "--once"])
        .env("PROMOTER_LOG", "error")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let store = Store::open(&db).unwrap();
    assert_eq!(
        store.get("graceful-t1").unwrap().unwrap().status,
        PromotionStatus::TestDeployed
    );
    let created = store
        .get("graceful-t1")
        .unwrap()
        .unwrap()
        .components_created;
    let after = w.primary()["componentCount"].as_i64().unwrap();
    assert!(created > 0);
    assert_eq!(after, before + created, "a component was created twice");
}
