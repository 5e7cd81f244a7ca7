//! `promoter daemon` end to end: it becomes ready, picks up a commit by watching the
//! repository, drives the promotion to TEST_DEPLOYED (seen through its JSON API), accepts a
//! signed webhook, and shuts down cleanly on SIGTERM.

mod common;

use boomi_promoter::sim::SimConfig;
use common::world::*;
use std::process::{Command, Stdio};
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_watches_reconciles_serves_and_stops() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let w = World::with_sim(SimConfig::instant()).await;
    let p = w.repo.join("promoter.yaml");
    let mut text: String = std::fs::read_to_string(&p)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("polling:"))
        .map(|l| format!("{l}\n"))
        .collect();
    text.push_str("polling: {branchReadyIntervalSeconds: 0, mergeIntervalSeconds: 0, releaseIntervalSeconds: 0}\n");
    std::fs::write(&p, text).unwrap();
    w.commit("fast polls");
    let secret = w.tmp.path().join("hook-secret");
    std::fs::write(&secret, "s3cret\n").unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("promoter"))
        .arg("daemon")
        .arg("--repo")
        .arg(&w.repo)
        .arg("--state")
        .arg(w.tmp.path().join("state"))
        .arg("--trust")
        .arg(common::root().join("examples/trust/allowed_signers"))
        .arg("--boomi")
        .arg(w.sim.base_url())
        .args(["--rate-limit", "1000", "--poll", "2"])
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--webhook-secret-file")
        .arg(&secret)
        .env("BOOMI_USERNAME", "ci@example.com")
        .env("BOOMI_TOKEN", "test-token")
        .env("PROMOTER_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
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
    assert!(metrics.contains("boomi_api_calls_total"), "{metrics}");
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
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let code = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < deadline, "daemon did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(code.success(), "{code:?}");
}
