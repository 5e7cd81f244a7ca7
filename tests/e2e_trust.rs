//! The trust closure, end to end: each way around the two-approval promise that was found by
//! trying the product as someone with push access to the promotions repository, against the
//! emulator, with real SSH signatures, a real git repository and the real HTTP client. Each test
//! fails without its fix.

mod common;

use boomi_promoter::model::{ErrorCode, PromotionStatus};
use boomi_promoter::reconcile::ManualClock;
use boomi_promoter::sim::SimConfig;
use boomi_promoter::store::StoredProblem;
use common::world::{bump_serial, World, PROD_PACK};
use common::{git, promoter, root};
use std::sync::Arc;

/// `promoter sign` with a demo key.
fn sign(w: &World, rel: &str, who: &str) {
    promoter()
        .arg("sign")
        .arg(w.repo.join(rel))
        .arg("--key")
        .arg(w.key(who))
        .assert()
        .success();
}

fn read(w: &World, rel: &str) -> String {
    std::fs::read_to_string(w.repo.join(rel)).unwrap()
}

fn write(w: &World, rel: &str, text: &str) {
    let p = w.repo.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// The production deployment `examples/sim-seed.yaml` starts with.
const SEEDED_DEPLOYMENT: &str = "8e9fa0b1-c2d3-4e4f-9a5b-6c7d8e9f0a02";

/// Deployments made in an environment (besides the seeded one).
fn deployments_in(w: &World, env: &str) -> usize {
    w.primary()["deployments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["environmentId"] == env && d["deploymentId"] != SEEDED_DEPLOYMENT)
        .count()
}

/// The open problems the store keeps for a promotion (or the repository: `None`).
fn open(w: &World, promotion: Option<&str>) -> Vec<StoredProblem> {
    w.store
        .open_problems(None)
        .unwrap()
        .into_iter()
        .filter(|p| p.promotion_id.as_deref() == promotion)
        .collect()
}

fn has(ps: &[StoredProblem], file: &str, code: ErrorCode) -> bool {
    ps.iter()
        .any(|p| p.problem.file == file && p.problem.code == code)
}

/// `promoter validate --trust <demo trust> -o json` on the committed repository, with extras.
fn validate(w: &World, extra: &[&str]) -> (serde_json::Value, i32) {
    let out = promoter()
        .arg("validate")
        .arg(&w.repo)
        .arg("--trust")
        .arg(root().join("examples/trust/allowed_signers"))
        .args(["-o", "json"])
        .args(extra)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (v, out.status.code().unwrap_or(-1))
}

fn codes_for(v: &serde_json::Value, file: &str) -> Vec<String> {
    v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["file"] == file)
        .map(|p| p["code"].as_str().unwrap().to_string())
        .collect()
}

/// alice's TEST request for the order flow, with extra `promoter new` flags.
fn alice_test_request(w: &World, id: &str, extra: &[&str]) {
    let mut args = vec![
        "new",
        "--id",
        id,
        "--account",
        "dev-team-a",
        "--process",
        "Order Processing Main",
        "--root",
        common::world::ORDERS_ROOT,
        "--package-version",
        "7.0.0",
    ];
    args.extend_from_slice(extra);
    w.write_as("alice", &args);
}

// --- 1. a TEST request aimed at production -----------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_request_naming_a_production_environment_is_refused_and_never_runs() {
    let w = World::new().await;
    alice_test_request(
        &w,
        "tst-prod",
        &["--new-pack", "Orders - TEST", "--env", "env-prod-1"],
    );
    w.commit("a TEST request aimed at production");

    let (v, code) = validate(&w, &[]);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(
        codes_for(&v, "promotions/tst-prod/request.yaml"),
        vec!["INVALID_DEPLOYMENT_TARGET"]
    );
    assert!(
        v["promotions"].as_array().unwrap().is_empty(),
        "the promotion must not count as valid: {v:#}"
    );

    w.converge().await;
    assert!(w.store.get("tst-prod").unwrap().is_none(), "never accepted");
    assert_eq!(deployments_in(&w, "env-prod-1"), 0);
    assert_eq!(deployments_in(&w, "env-test-1"), 0);
    // The refusal is kept on the (placeholder of the) promotion, with who asked.
    let ps = open(&w, Some("tst-prod"));
    assert!(
        has(
            &ps,
            "promotions/tst-prod/request.yaml",
            ErrorCode::InvalidDeploymentTarget
        ),
        "{ps:#?}"
    );
    assert_eq!(ps[0].problem.claimed(), Some("alice@example.com"));
    assert_eq!(ps[0].problem.signer(), Some("alice@example.com"));
}

// --- 2. promoter.yaml is signed -----------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contributor_cannot_reclassify_production_as_test() {
    let w = World::new().await;
    w.converge().await;
    // alice re-classifies env-prod-1 as TEST, raises the serial and signs it herself.
    let text = read(&w, "promoter.yaml").replace(
        "{id: env-prod-1, name: Production, classification: PROD}",
        "{id: env-prod-1, name: Production, classification: TEST}",
    );
    write(&w, "promoter.yaml", &bump_serial(&text));
    sign(&w, "promoter.yaml", "alice");
    // ...and a TEST promotion that deploys to "every TEST environment".
    alice_test_request(&w, "tst-1", &["--new-pack", "Orders - TEST"]);
    w.commit("alice re-classifies production");

    let (v, code) = validate(&w, &["--base", "HEAD~1"]);
    assert_eq!(code, 1);
    assert_eq!(
        codes_for(&v, "promoter.yaml"),
        vec!["SETTINGS_CHANGE_UNTRUSTED"]
    );
    assert_eq!(v["settings"]["outcome"], "REJECTED");

    w.converge().await;
    assert_eq!(w.record("tst-1").status, PromotionStatus::TestDeployed);
    assert_eq!(deployments_in(&w, "env-test-1"), 1);
    assert_eq!(deployments_in(&w, "env-prod-1"), 0, "production untouched");
    let ps = open(&w, None);
    assert!(
        has(&ps, "promoter.yaml", ErrorCode::SettingsChangeUntrusted),
        "{ps:#?}"
    );
    let p = ps
        .iter()
        .find(|p| p.problem.file == "promoter.yaml")
        .unwrap();
    assert_eq!(p.problem.signer(), Some("alice@example.com"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_signed_reclassification_still_meets_boomis_classification() {
    let w = World::new().await;
    // Even an ADMIN-signed settings change cannot make Boomi's PROD environment a TEST one.
    w.edit_settings(|t| {
        t.replace(
            "{id: env-prod-1, name: Production, classification: PROD}",
            "{id: env-prod-1, name: Production, classification: TEST}",
        )
    });
    alice_test_request(&w, "tst-1", &["--new-pack", "Orders - TEST"]);
    w.commit("carol re-classifies production; alice tests");
    w.converge().await;
    let rec = w.record("tst-1");
    assert_eq!(rec.status, PromotionStatus::TestDeploying, "{rec:#?}");
    assert_eq!(
        rec.error_code,
        Some(ErrorCode::EnvironmentClassificationMismatch)
    );
    assert!(rec.waiting_reason.unwrap().contains("env-prod-1"));
    assert_eq!(deployments_in(&w, "env-prod-1"), 0);
    assert!(has(
        &open(&w, Some("tst-1")),
        "promotions/tst-1/request.yaml",
        ErrorCode::EnvironmentClassificationMismatch
    ));
    // The admin corrects promoter.yaml: the TEST environment gets its deployment, production
    // none, and the refusal clears.
    w.edit_settings(|t| {
        t.replace(
            "{id: env-prod-1, name: Production, classification: TEST}",
            "{id: env-prod-1, name: Production, classification: PROD}",
        )
    });
    w.commit("carol corrects the classification");
    w.converge().await;
    assert_eq!(w.record("tst-1").status, PromotionStatus::TestDeployed);
    assert_eq!(deployments_in(&w, "env-prod-1"), 0);
    assert!(open(&w, Some("tst-1")).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_the_deploy_windows_takes_an_admin() {
    // Friday noon UTC: outside the demo window (Monday to Thursday, 18:00-21:00 Berlin).
    let friday = chrono::DateTime::parse_from_rfc3339("2026-11-27T12:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let clock = Arc::new(ManualClock::new(friday));
    let w = World::build(SimConfig::instant(), clock.clone(), true).await;
    w.converge().await;
    // An unsigned edit that removes the windows (the old signature no longer matches).
    let text: String = read(&w, "promoter.yaml")
        .lines()
        .filter(|l| !l.starts_with("deployWindows:") && !l.contains("cron:"))
        .map(|l| format!("{l}\n"))
        .collect();
    write(&w, "promoter.yaml", &bump_serial(&text));
    w.request_hotfix("fix-1", "9.0.1");
    w.commit("no more windows");
    w.converge().await;
    w.write_as("bob", &["review", "fix-1", "--approve"]);
    w.admin_approves("fix-1", &["--acknowledge-hotfix"]);
    w.commit("approved on a Friday");
    w.converge().await;
    let rec = w.record("fix-1");
    assert_eq!(rec.status, PromotionStatus::Deploying);
    assert!(
        rec.waiting_reason.unwrap().contains("deploy window"),
        "still waits for the window"
    );
    assert_eq!(deployments_in(&w, "env-prod-1"), 0);
    assert!(has(
        &open(&w, None),
        "promoter.yaml",
        ErrorCode::SettingsChangeUntrusted
    ));
}

// --- 2c/3. secrets are fenced -------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_cannot_send_the_boomi_token_anywhere() {
    let w = World::new().await;
    // A relay that records everything it receives.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
    let sink = received.clone();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut s, _)) = listener.accept().await {
            let _ = s.write_all(b"220 relay ESMTP\r\n").await;
            let mut buf = [0u8; 4096];
            while let Ok(n) = s.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
                let _ = s.write_all(b"250 ok\r\n").await;
            }
        }
    });
    // The first reconcile accepts the demo settings (no SMTP).
    let out = w.cli(&["reconcile", "--once"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Signed by the ADMIN even: an SMTP relay anywhere, in clear text, with the Boomi token,
    // or a file the daemon can read.
    for (host, password) in [
        ("203.0.113.9", "{env: BOOMI_TOKEN}"),
        ("127.0.0.1", "{env: BOOMI_TOKEN}"),
        ("127.0.0.1", "{file: /etc/passwd}"),
        ("127.0.0.1", "{file: ../state/state.db}"),
    ] {
        w.edit_settings(|t| with_smtp(&t, host, port, password));
        w.commit("the admin points notifications elsewhere");
        let (v, code) = validate(&w, &["--base", "HEAD~1"]);
        assert_eq!(code, 1, "{host} {password}: {v:#}");
        assert!(
            codes_for(&v, "promoter.yaml").contains(&"SECRET_REFERENCE_REFUSED".to_string()),
            "{host} {password}: {v:#}"
        );
        git(&w.repo, &["revert", "--no-edit", "HEAD"]);
    }
    // The daemon with such settings committed and a TEST promotion that would notify: nothing
    // reaches the relay, least of all the token.
    w.edit_settings(|t| with_smtp(&t, "127.0.0.1", port, "{env: BOOMI_TOKEN}"));
    w.request_test("tst-1", "2.0.0");
    w.commit("token exfiltration attempt");
    let out = w
        .cli(&["reconcile", "--once"])
        .env("BOOMI_TOKEN", "t0ken-never-leaves")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("SECRET_REFERENCE_REFUSED"), "{stderr}");
    assert!(!stderr.contains("t0ken-never-leaves"));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let got = received.lock().unwrap().clone();
    assert!(
        !String::from_utf8_lossy(&got).contains("t0ken"),
        "the token reached the relay"
    );
    let b64 = base64_of("t0ken-never-leaves");
    assert!(!String::from_utf8_lossy(&got).contains(&b64));
}

/// The settings with their `notifications` replaced by an SMTP relay.
fn with_smtp(settings: &str, host: &str, port: u16, password: &str) -> String {
    let kept: String = settings
        .lines()
        .filter(|l| {
            !l.starts_with("notifications:")
                && !l.starts_with("  developersList:")
                && !l.starts_with("  adminsList:")
        })
        .map(|l| format!("{l}\n"))
        .collect();
    format!(
        "{kept}notifications:\n  developersList: dev@example.com\n  smtp: {{host: \"{host}\", port: {port}, from: promoter@example.com, tls: none, username: bot, passwordFrom: {password}}}\n"
    )
}

fn base64_of(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("\0bot\0{s}"))
}

// --- 3. replay ------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_signed_policy_cannot_come_back() {
    let w = World::new().await;
    // v2: carol makes alice an ADMIN.
    let v1 = read(&w, "access/policy.yaml");
    let v2 = bump_serial(&v1).replacen("tier: CONTRIBUTOR", "tier: ADMIN", 1);
    write(&w, "access/policy.yaml", &v2);
    sign(&w, "access/policy.yaml", "carol");
    let v2_sig = read(&w, "access/policy.yaml.sig");
    w.commit("alice is an admin");
    w.converge().await;
    // v3: alice is demoted again.
    write(
        &w,
        "access/policy.yaml",
        &bump_serial(&v1).replace("serial: 2", "serial: 3"),
    );
    sign(&w, "access/policy.yaml", "carol");
    w.commit("alice is demoted");
    w.converge().await;
    // The replay: v2 committed again, exact bytes and signature.
    write(&w, "access/policy.yaml", &v2);
    write(&w, "access/policy.yaml.sig", &v2_sig);
    // ...and alice uses her old power on carol's hotfix, peer-reviewed by bob.
    w.write_as(
        "carol",
        &[
            "new",
            "--id",
            "fix-c",
            "--account",
            "dev-team-a",
            "--process",
            "Order Processing Main",
            "--root",
            common::world::ORDERS_ROOT,
            "--target",
            "production",
            "--package-version",
            "9.9.1",
            "--hotfix",
            "carol's fix",
        ],
    );
    w.write_as("bob", &["review", "fix-c", "--approve"]);
    w.write_as(
        "alice",
        &[
            "decide",
            "fix-c",
            "--approve",
            "--acknowledge-hotfix",
            "--pack-id",
            PROD_PACK,
        ],
    );
    w.commit("the old policy again");

    let (v, code) = validate(&w, &["--base", "HEAD~1"]);
    assert_eq!(code, 1);
    assert_eq!(
        codes_for(&v, "access/policy.yaml"),
        vec!["DOCUMENT_REPLAYED"]
    );
    assert_eq!(
        codes_for(&v, "promotions/fix-c/admin-review.yaml"),
        vec!["INSUFFICIENT_TIER"]
    );

    w.converge().await;
    assert!(has(
        &open(&w, None),
        "access/policy.yaml",
        ErrorCode::DocumentReplayed
    ));
    let rec = w.record("fix-c");
    assert_eq!(rec.status, PromotionStatus::PendingAdminReview, "{rec:#?}");
    assert_eq!(deployments_in(&w, "env-prod-1"), 0);
    let in_force = w.store.accepted_policy().unwrap().unwrap();
    assert!(String::from_utf8_lossy(&in_force.bytes).contains("serial: 3"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn older_signed_mappings_cannot_come_back() {
    const DEV_DB: &str = "c4e5f6a7-2b3c-4d5e-9f80-1a2b3c4d5e13";
    let w = World::new().await;
    w.converge().await;
    let v1 = read(&w, "mappings/dev-team-a.yaml");
    let v2 = bump_serial(&v1).replace(
        "1c2d3e4f-5061-4728-93a4-b5c6d7e8f902",
        "99999999-9999-4999-8999-999999999999",
    );
    write(&w, "mappings/dev-team-a.yaml", &v2);
    sign(&w, "mappings/dev-team-a.yaml", "carol");
    let v2_sig = read(&w, "mappings/dev-team-a.yaml.sig");
    w.commit("orders DB moved");
    w.converge().await;
    let prod_of = |w: &World| {
        w.store
            .mappings_of_account("dev-team-a")
            .unwrap()
            .into_iter()
            .find(|(_, m)| m.dev_component_id == DEV_DB)
            .unwrap()
            .1
            .prod_component_id
    };
    assert_eq!(prod_of(&w), "99999999-9999-4999-8999-999999999999");
    write(
        &w,
        "mappings/dev-team-a.yaml",
        &bump_serial(&v1).replace("serial: 2", "serial: 3"),
    );
    sign(&w, "mappings/dev-team-a.yaml", "carol");
    w.commit("orders DB back");
    w.converge().await;
    assert_eq!(prod_of(&w), "1c2d3e4f-5061-4728-93a4-b5c6d7e8f902");
    // The replay of v2.
    write(&w, "mappings/dev-team-a.yaml", &v2);
    write(&w, "mappings/dev-team-a.yaml.sig", &v2_sig);
    w.commit("replay");
    let (v, code) = validate(&w, &["--base", "HEAD~1"]);
    assert_eq!(code, 1);
    assert_eq!(
        codes_for(&v, "mappings/dev-team-a.yaml"),
        vec!["DOCUMENT_REPLAYED"]
    );
    w.converge().await;
    assert_eq!(prod_of(&w), "1c2d3e4f-5061-4728-93a4-b5c6d7e8f902");
    assert!(has(
        &open(&w, None),
        "mappings/dev-team-a.yaml",
        ErrorCode::DocumentReplayed
    ));
}

// --- the deployment guard at run time -----------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_waits_when_an_approval_leaves_git_before_the_window() {
    // Approved on a Saturday; the admin decision is deleted before Monday's window opens.
    let sat = chrono::DateTime::parse_from_rfc3339("2026-11-21T12:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let clock = Arc::new(ManualClock::new(sat));
    let w = World::build(SimConfig::instant(), clock.clone(), true).await;
    w.request_hotfix("fix-1", "9.0.1");
    w.commit("hotfix");
    w.converge().await;
    w.write_as("bob", &["review", "fix-1", "--approve"]);
    w.admin_approves("fix-1", &["--acknowledge-hotfix"]);
    w.commit("approved");
    w.converge().await;
    assert_eq!(w.record("fix-1").status, PromotionStatus::Deploying);
    let releases_before = w.primary()["releases"].as_array().unwrap().len();
    for f in ["admin-review.yaml", "admin-review.yaml.sig"] {
        std::fs::remove_file(w.repo.join("promotions/fix-1").join(f)).unwrap();
    }
    w.commit("the approval is taken back");
    clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-11-23T17:30:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc),
    );
    w.converge().await;
    let rec = w.record("fix-1");
    assert_eq!(rec.status, PromotionStatus::Deploying, "{rec:#?}");
    assert_eq!(rec.error_code, Some(ErrorCode::DeploymentNotApproved));
    assert_eq!(deployments_in(&w, "env-prod-1"), 0);
    assert_eq!(
        w.primary()["releases"].as_array().unwrap().len(),
        releases_before,
        "no release of the production pack"
    );
    assert!(has(
        &open(&w, Some("fix-1")),
        "promotions/fix-1/request.yaml",
        ErrorCode::DeploymentNotApproved
    ));
    // The approval comes back: it deploys.
    git(&w.repo, &["revert", "--no-edit", "HEAD"]);
    w.converge().await;
    assert_eq!(w.record("fix-1").status, PromotionStatus::Deployed);
    assert_eq!(deployments_in(&w, "env-prod-1"), 1);
    assert!(open(&w, Some("fix-1")).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_promotion_cannot_release_into_the_production_pack() {
    let w = World::new().await;
    alice_test_request(&w, "tst-1", &["--pack-id", PROD_PACK]);
    w.commit("a TEST promotion into the production pack");
    let pack_before = w.primary()["packs"].clone();
    w.converge().await;
    let rec = w.record("tst-1");
    assert_eq!(rec.status, PromotionStatus::TestDeploying, "{rec:#?}");
    assert_eq!(rec.error_code, Some(ErrorCode::InvalidDeploymentTarget));
    assert_eq!(
        w.primary()["packs"],
        pack_before,
        "nothing was added to or released from the production pack"
    );
    assert_eq!(deployments_in(&w, "env-test-1"), 0);
}

// --- 5. refusals are visible --------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refused_document_is_kept_with_its_author_and_cleared_with_its_cause() {
    use boomi_promoter::notify_out::{EventKind, RecordingNotifier};
    let recorder = Arc::new(RecordingNotifier::new());
    let mut w = World::new().await;
    w.reconciler.ctx.notifier = recorder.clone();
    // Self-review: alice reviews her own hotfix.
    w.request_hotfix("fix-self", "8.0.1");
    w.write_as("alice", &["review", "fix-self", "--approve"]);
    // A READONLY initiator.
    w.write_as(
        "dave",
        &[
            "new",
            "--id",
            "by-dave",
            "--account",
            "dev-team-a",
            "--process",
            "Order Processing Main",
            "--root",
            common::world::ORDERS_ROOT,
            "--package-version",
            "8.0.2",
        ],
    );
    // Another team's dev account.
    w.write_as(
        "alice",
        &[
            "new",
            "--id",
            "other-team",
            "--account",
            "dev-team-b",
            "--process",
            "Invoice Sync",
            "--root",
            common::world::INVOICE_ROOT,
            "--package-version",
            "8.0.3",
        ],
    );
    // Self-approval: carol's own hotfix, peer-reviewed by bob, approved by carol.
    w.write_as(
        "carol",
        &[
            "new",
            "--id",
            "fix-carol",
            "--account",
            "dev-team-a",
            "--process",
            "Order Processing Main",
            "--root",
            common::world::ORDERS_ROOT,
            "--target",
            "production",
            "--package-version",
            "8.0.4",
            "--hotfix",
            "carol's fix",
        ],
    );
    w.write_as("bob", &["review", "fix-carol", "--approve"]);
    w.admin_approves("fix-carol", &["--acknowledge-hotfix"]);
    // A hotfix approval without the acknowledgement.
    w.request_hotfix("fix-noack", "8.0.5");
    w.write_as("bob", &["review", "fix-noack", "--approve"]);
    w.admin_approves("fix-noack", &[]);
    // A withdrawn promotion.
    w.request_hotfix("fix-gone", "8.0.6");
    w.commit("many refusals");
    w.converge().await;
    w.write_as("alice", &["withdraw", "fix-gone"]);
    w.commit("withdrawn");
    w.converge().await;
    assert_eq!(w.record("fix-gone").status, PromotionStatus::Withdrawn);
    // ...and a review committed after the withdrawal.
    w.write_as("bob", &["review", "fix-gone", "--approve"]);
    w.commit("a late review");
    w.converge().await;

    for (id, file, code) in [
        (
            "fix-self",
            "peer-review.yaml",
            ErrorCode::SelfReviewNotAllowed,
        ),
        ("by-dave", "request.yaml", ErrorCode::InsufficientTier),
        (
            "other-team",
            "request.yaml",
            ErrorCode::UnauthorizedAccountAccess,
        ),
        (
            "fix-carol",
            "admin-review.yaml",
            ErrorCode::SelfApprovalNotAllowed,
        ),
        (
            "fix-noack",
            "admin-review.yaml",
            ErrorCode::HotfixAcknowledgementRequired,
        ),
        (
            "fix-gone",
            "peer-review.yaml",
            ErrorCode::InvalidPromotionStatus,
        ),
    ] {
        let ps = open(&w, Some(id));
        let path = format!("promotions/{id}/{file}");
        let p = ps
            .iter()
            .find(|p| p.problem.file == path && p.problem.code == code)
            .unwrap_or_else(|| panic!("{id}: no {code} on {file}: {ps:#?}"));
        assert!(p.problem.author_email().is_some(), "{p:?}");
    }
    // The refused requests have no record, only their problems.
    assert!(w.store.get("by-dave").unwrap().is_none());
    assert!(w.store.get("other-team").unwrap().is_none());

    // Each author was told once, and nobody else.
    let refusals: Vec<_> = recorder
        .events()
        .into_iter()
        .filter(|e| e.kind() == EventKind::DocumentRefused)
        .collect();
    for (file, author) in [
        ("promotions/fix-self/peer-review.yaml", "alice@example.com"),
        ("promotions/by-dave/request.yaml", "dave@example.com"),
        ("promotions/fix-gone/peer-review.yaml", "bob@example.com"),
        (
            "promotions/fix-carol/admin-review.yaml",
            "carol@example.com",
        ),
    ] {
        let told: Vec<_> = refusals
            .iter()
            .filter(|e| e.refusal().is_some_and(|r| r.file == file))
            .collect();
        assert_eq!(told.len(), 1, "{file}: {refusals:#?}");
        assert_eq!(told[0].refusal().unwrap().author, author);
    }

    // Shown by the CLI: a PROBLEMS count, REFUSED rows, and `show` of a refused request.
    let state = w.tmp.path().to_str().unwrap().to_string();
    let out = promoter()
        .args(["status", "--state", &state, "-o", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let refused: Vec<&str> = v["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["promotionId"].as_str().unwrap())
        .collect();
    assert!(
        refused.contains(&"by-dave") && refused.contains(&"other-team"),
        "{v:#}"
    );
    let gone = v["promotions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["promotionId"] == "fix-gone")
        .unwrap();
    assert_eq!(gone["problems"], 1, "{gone:#}");
    let human = promoter()
        .args(["status", "--state", &state])
        .output()
        .unwrap();
    let human = String::from_utf8_lossy(&human.stdout);
    assert!(
        human.contains("PROBLEMS") && human.contains("REFUSED"),
        "{human}"
    );
    let show = promoter()
        .args(["show", "by-dave", "--state", &state])
        .output()
        .unwrap();
    assert_eq!(show.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&show.stdout).contains("INSUFFICIENT_TIER"),
        "{}",
        String::from_utf8_lossy(&show.stdout)
    );

    // A problem clears when its cause goes: alice's self-review is deleted.
    for f in ["peer-review.yaml", "peer-review.yaml.sig"] {
        std::fs::remove_file(w.repo.join("promotions/fix-self").join(f)).unwrap();
    }
    w.commit("alice drops her self-review");
    w.converge().await;
    assert!(open(&w, Some("fix-self")).is_empty());
    let all = w.store.problems_of("fix-self").unwrap();
    assert!(all.iter().all(|p| !p.is_open()) && !all.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_logs_each_refusal_once_with_its_fields() {
    let w = World::new().await;
    w.write_as(
        "dave",
        &[
            "new",
            "--id",
            "by-dave",
            "--account",
            "dev-team-a",
            "--process",
            "Order Processing Main",
            "--root",
            common::world::ORDERS_ROOT,
            "--package-version",
            "8.3.0",
        ],
    );
    w.commit("a READONLY initiator");
    let run = || {
        let out = w.cli(&["reconcile", "--once"]).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let first = run();
    let lines: Vec<&str> = first
        .lines()
        .filter(|l| l.contains("document refused"))
        .collect();
    assert_eq!(lines.len(), 1, "{first}");
    for field in [
        "WARN",
        "file=promotions/by-dave/request.yaml",
        "code=INSUFFICIENT_TIER",
        "promotion=by-dave",
        "claimed=dave@example.com",
        "signer=dave@example.com",
    ] {
        assert!(lines[0].contains(field), "{field}: {}", lines[0]);
    }
    // The same commit again: already said.
    let again = run();
    assert!(!again.contains("document refused"), "{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vanished_request_is_flagged_until_it_comes_back() {
    let w = World::new().await;
    w.request_hotfix("fix-1", "8.1.1");
    w.commit("hotfix");
    w.converge().await;
    assert_eq!(w.record("fix-1").status, PromotionStatus::PendingPeerReview);
    std::fs::remove_file(w.repo.join("promotions/fix-1/request.yaml")).unwrap();
    w.commit("oops");
    w.converge().await;
    assert_eq!(
        w.record("fix-1").error_code,
        Some(ErrorCode::DesiredStateMissing)
    );
    assert!(has(
        &open(&w, Some("fix-1")),
        "promotions/fix-1/request.yaml",
        ErrorCode::DesiredStateMissing
    ));
    git(&w.repo, &["revert", "--no-edit", "HEAD"]);
    w.converge().await;
    let rec = w.record("fix-1");
    assert_eq!(rec.error_code, None, "{rec:#?}");
    assert!(rec.waiting_reason.is_none(), "{rec:#?}");
    assert!(open(&w, Some("fix-1")).is_empty());
}

// --- 6. look-alike identities -------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_look_alike_identity_is_refused_with_the_policy() {
    let w = World::new().await;
    w.request_hotfix("fix-1", "8.2.1");
    w.commit("hotfix");
    w.converge().await;
    // carol (tricked) signs a policy giving alice a second person: Cyrillic "а" in "аlice".
    let alice_key = std::fs::read_to_string(w.key("alice").with_extension("pub")).unwrap();
    let alice_key: String = alice_key
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    let person = format!(
        "  - email: \u{430}lice@example.com\n    name: Alice Two\n    tier: CONTRIBUTOR\n    teams: [team-a]\n    keys: [\"{alice_key}\"]\n"
    );
    let v2 = bump_serial(&read(&w, "access/policy.yaml")).replacen(
        "\nteams:\n",
        &format!("\n{person}teams:\n"),
        1,
    );
    assert!(v2.contains("Alice Two"));
    write(&w, "access/policy.yaml", &v2);
    sign(&w, "access/policy.yaml", "carol");
    // Under the second identity, alice approves her own hotfix.
    w.write_as_email(
        "\u{430}lice@example.com",
        "alice",
        &["review", "fix-1", "--approve"],
    );
    w.commit("a second alice");
    let (v, code) = validate(&w, &["--base", "HEAD~1"]);
    assert_eq!(code, 1, "{v:#}");
    assert!(
        codes_for(&v, "access/policy.yaml").contains(&"CONFUSABLE_IDENTITY".to_string()),
        "{v:#}"
    );
    w.converge().await;
    assert_eq!(w.record("fix-1").status, PromotionStatus::PendingPeerReview);
    let ps = open(&w, None);
    assert!(
        has(&ps, "access/policy.yaml", ErrorCode::ConfusableIdentity),
        "{ps:#?}"
    );
    assert!(
        !open(&w, Some("fix-1")).is_empty(),
        "the review is refused too"
    );
}

// --- 4. CI trust comes from the base --------------------------------------------------------

#[test]
fn a_pull_request_cannot_choose_its_own_trust() {
    let r = common::TestRepo::new();
    r.write(
        "trust/allowed_signers",
        &format!(
            "carol@example.com namespaces=\"boomi-promoter\" {}\n",
            r.public_key("carol")
        ),
    );
    r.commit("base");
    git(&r.dir, &["branch", "base"]);
    // The pull request: alice adds her key to the trust file and signs a policy making her an
    // ADMIN.
    let trust = r.path("trust/allowed_signers");
    let mut t = std::fs::read_to_string(&trust).unwrap();
    t.push_str(&format!(
        "alice@example.com namespaces=\"boomi-promoter\" {}\n",
        r.public_key("alice")
    ));
    std::fs::write(&trust, t).unwrap();
    let mut people = common::PEOPLE.to_vec();
    people[0] = ("alice", "ADMIN", "[team-a]");
    r.write_policy_v2(&people);
    r.sign("access/policy.yaml", "alice");
    r.commit("alice trusts alice");
    // The README's recipe, as the CI examples run it.
    let (v, code) = r.validate(&["--base", "base", "--trust", trust.to_str().unwrap()]);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["policy"]["outcome"], "REJECTED", "{v:#}");
    assert_eq!(
        common::TestRepo::codes_for(&v, "access/policy.yaml"),
        vec!["POLICY_CHANGE_UNTRUSTED"]
    );
    assert_eq!(
        common::TestRepo::codes_for(&v, "trust/allowed_signers"),
        vec!["POLICY_CHANGE_UNTRUSTED"]
    );
    // A trust file the pull request adds is not used either.
    let r2 = common::TestRepo::new();
    r2.commit("base");
    git(&r2.dir, &["branch", "base"]);
    r2.write(
        "trust/allowed_signers",
        &format!(
            "alice@example.com namespaces=\"boomi-promoter\" {}\n",
            r2.public_key("alice")
        ),
    );
    r2.write_policy_v2(&people);
    r2.sign("access/policy.yaml", "alice");
    r2.commit("alice brings her own trust");
    let t2 = r2.path("trust/allowed_signers");
    let (v, code) = r2.validate(&["--base", "base", "--trust", t2.to_str().unwrap()]);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["policy"]["outcome"], "REJECTED", "{v:#}");
    // An unchanged trust file and an admin-signed change: accepted.
    let r3 = common::TestRepo::new();
    r3.write(
        "trust/allowed_signers",
        &format!(
            "carol@example.com namespaces=\"boomi-promoter\" {}\n",
            r3.public_key("carol")
        ),
    );
    r3.commit("base");
    git(&r3.dir, &["branch", "base"]);
    r3.write_policy_v2(&people);
    r3.sign("access/policy.yaml", "carol");
    r3.commit("carol promotes alice");
    let t3 = r3.path("trust/allowed_signers");
    let (v, code) = r3.validate(&["--base", "base", "--trust", t3.to_str().unwrap()]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["policy"]["outcome"], "ACCEPTED");
}

#[test]
fn the_ci_examples_run_the_recipe() {
    for f in [
        "examples/ci/github-actions.yml",
        "examples/ci/gitlab-ci.yml",
    ] {
        let text = std::fs::read_to_string(root().join(f)).unwrap();
        let v: serde_json::Value =
            serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(v.is_object(), "{f}");
        let run = text
            .lines()
            .skip_while(|l| !l.contains("promoter validate"))
            .take(3)
            .collect::<String>();
        for needle in ["promoter validate", "--base", "--trust"] {
            assert!(run.contains(needle), "{f}: {needle} missing in {run}");
        }
        assert!(
            text.contains("fetch-depth: 0") || text.contains("GIT_DEPTH: \"0\""),
            "{f}: the base revision must be fetched"
        );
    }
}
