//! The lifecycle's loose ends, each found by trying the product as a user would, end to end
//! against the emulator (issue "the reconciler as a pure planner", item 5).

mod common;

use boomi_promoter::model::{ErrorCode, PromotionStatus};
use boomi_promoter::sim::Fault;
use common::world::{World, ORDERS_ROOT, PROD_PACK};
use common::{git, promoter};

/// A hotfix by alice, peer-waiting.
async fn hotfix_waiting_for_its_peer(w: &World, id: &str, version: &str) {
    w.request_hotfix(id, version);
    w.commit("hotfix");
    w.converge().await;
    assert_eq!(w.record(id).status, PromotionStatus::PendingPeerReview);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejection_ends_even_when_boomi_will_not_delete_the_branch() {
    let w = World::new().await;
    hotfix_waiting_for_its_peer(&w, "fix-1", "9.1.1").await;
    assert!(w.branch_names().contains(&"promo-fix-1".to_string()));
    w.sim.inject(Fault::ErrorRate {
        endpoint: "DELETE Branch/{id}".into(),
        rate: 1.0,
        status: 500,
        seed: 0,
    });
    w.write_as(
        "bob",
        &["review", "fix-1", "--reject", "--comments", "not now"],
    );
    w.commit("rejected");
    let report = w.converge().await;
    let rec = w.record("fix-1");
    assert_eq!(rec.status, PromotionStatus::PeerRejected, "{rec:#?}");
    assert!(report.converged(), "{report:?}");
    assert_eq!(rec.branch_name, None, "branchName is cleared on every end");
    let handed = rec
        .branch_id
        .clone()
        .expect("the branch is handed to the sweep");
    // The sweep retries (and says so) while Boomi refuses; then it deletes the branch.
    let ctx = &w.reconciler.ctx;
    let found = boomi_promoter::reconcile::sweep::sweep(ctx, false)
        .await
        .unwrap();
    assert!(found.iter().any(|o| o.branch_id == handed && !o.deleted));
    w.sim.clear_faults();
    let found = boomi_promoter::reconcile::sweep::sweep(ctx, false)
        .await
        .unwrap();
    assert!(found.iter().any(|o| o.branch_id == handed && o.deleted));
    assert!(!w.branch_names().contains(&"promo-fix-1".to_string()));
    assert_eq!(w.record("fix-1").branch_id, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_promotion_keeps_no_branch_name() {
    let w = World::new().await;
    // Every component write is refused: the first component fails the promotion.
    w.sim.inject(Fault::ErrorRate {
        endpoint: "POST Component".into(),
        rate: 1.0,
        status: 400,
        seed: 0,
    });
    w.request_test("tst-1", "2.0.0");
    w.commit("request");
    w.converge().await;
    let rec = w.record("tst-1");
    assert_eq!(rec.status, PromotionStatus::Failed, "{rec:#?}");
    assert_eq!(rec.error_code, Some(ErrorCode::PromotionFailed));
    assert_eq!(rec.branch_id, None);
    assert_eq!(rec.branch_name, None);
    assert!(!w.branch_names().contains(&"promo-tst-1".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_promotion_queued_behind_another_says_which() {
    let w = World::new().await;
    // The first promotion of the account stops half-way (its branch never becomes ready in
    // time, and Boomi keeps failing the reads it retries).
    w.sim.inject(Fault::ErrorRate {
        endpoint: "GET Branch/{id}".into(),
        rate: 1.0,
        status: 503,
        seed: 0,
    });
    w.request_test("tst-a", "2.0.0");
    w.commit("first");
    w.converge().await;
    assert_eq!(w.record("tst-a").status, PromotionStatus::InProgress);
    w.request_test("tst-b", "2.0.1");
    w.commit("second");
    w.converge().await;
    let b = w.record("tst-b");
    assert_eq!(b.status, PromotionStatus::Queued);
    let why = b.waiting_reason.unwrap_or_default();
    assert!(why.contains("queued behind tst-a"), "{why}");
    // Show and status say it too.
    let state = w.tmp.path().to_str().unwrap().to_string();
    let out = promoter()
        .args(["status", "--state", &state])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("queued behind tst-a"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_decision_before_its_time_names_the_status() {
    let w = World::new().await;
    hotfix_waiting_for_its_peer(&w, "fix-1", "9.2.1").await;
    // bob reviews and carol decides at once, but the peer review changes before the daemon
    // acts on it: the promotion is still waiting for its peer.
    w.write_as("bob", &["review", "fix-1", "--approve"]);
    w.admin_approves("fix-1", &["--acknowledge-hotfix"]);
    w.write_as(
        "bob",
        &[
            "review",
            "fix-1",
            "--approve",
            "--comments",
            "second thoughts, still fine",
            "--force",
        ],
    );
    // ...and the daemon sees them only now, in one commit.
    w.commit("reviews");
    w.converge().await;
    let ps = w.store.open_problems(Some("fix-1")).unwrap();
    let p = ps
        .iter()
        .find(|p| p.problem.file == "promotions/fix-1/admin-review.yaml")
        .unwrap_or_else(|| panic!("{ps:#?}"));
    // Acted on: the peer review moved it on; the decision built on the older review is stale.
    assert_eq!(
        w.record("fix-1").status,
        PromotionStatus::PendingAdminReview
    );
    assert_eq!(p.problem.code, ErrorCode::StaleApproval, "{p:?}");

    // A decision while the hotfix is still being promoted: not STALE_APPROVAL, but the status.
    w.sim.inject(Fault::ErrorRate {
        endpoint: "GET Branch/{id}".into(),
        rate: 1.0,
        status: 503,
        seed: 0,
    });
    w.request_hotfix("fix-2", "9.2.2");
    w.commit("another hotfix");
    w.converge().await;
    assert_eq!(w.record("fix-2").status, PromotionStatus::InProgress);
    // Written by hand: the writer refuses to decide without a peer review.
    let dir = w.repo.join("promotions/fix-2");
    let dg = boomi_promoter::model::digest(&std::fs::read(dir.join("request.yaml")).unwrap());
    std::fs::write(
        dir.join("admin-review.yaml"),
        format!(
            "apiVersion: promoter/v1\nkind: AdminReview\npromotion: fix-2\nrequestDigest: {dg}\npeerReviewDigest: sha256:{}\ndecision: APPROVED\nadmin: carol@example.com\nacknowledgeHotfix: true\nintegrationPack: {{id: {PROD_PACK}}}\n",
            "0".repeat(64)
        ),
    )
    .unwrap();
    promoter()
        .arg("sign")
        .arg(dir.join("admin-review.yaml"))
        .arg("--key")
        .arg(w.key("carol"))
        .assert()
        .success();
    w.commit("an early decision");
    w.converge().await;
    let ps = w.store.open_problems(Some("fix-2")).unwrap();
    let p = ps
        .iter()
        .find(|p| p.problem.file == "promotions/fix-2/admin-review.yaml")
        .unwrap_or_else(|| panic!("{ps:#?}"));
    assert_eq!(p.problem.code, ErrorCode::PromotionNotCompleted, "{p:?}");
    assert!(p.problem.message.contains("IN_PROGRESS"), "{p:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn components_of_a_denied_hotfix_are_never_update_targets() {
    let w = World::new().await;
    hotfix_waiting_for_its_peer(&w, "fix-1", "9.3.1").await;
    // Nothing reached main yet: no engine mapping exists.
    let engine = |w: &World| {
        w.store
            .mappings_of_account("dev-team-a")
            .unwrap()
            .into_values()
            .filter(|m| m.source == boomi_promoter::store::MappingSource::Engine)
            .count()
    };
    assert_eq!(engine(&w), 0);
    w.write_as("bob", &["review", "fix-1", "--approve"]);
    w.commit("peer");
    w.converge().await;
    w.write_as(
        "carol",
        &["decide", "fix-1", "--deny", "--comments", "not this way"],
    );
    w.commit("denied");
    w.converge().await;
    assert_eq!(w.record("fix-1").status, PromotionStatus::AdminRejected);
    assert_eq!(engine(&w), 0, "a denied hotfix maps nothing");
    // The next promotion creates its components again (on main, via its merge).
    w.request_test("tst-1", "9.3.2");
    w.commit("test");
    w.converge().await;
    let t = w.record("tst-1");
    assert_eq!(t.status, PromotionStatus::TestDeployed);
    assert!(
        t.components_created > 0 && t.components_updated == 0,
        "{t:#?}"
    );
    assert!(engine(&w) > 0, "mapped once merged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_is_final_and_stops_only_its_lane() {
    let w = World::new().await;
    w.sim.inject(Fault::FailNth {
        endpoint: "POST Branch".into(),
        nth: 1,
        count: 1000,
        status: 401,
        message: Some("token revoked".into()),
        retry_after: None,
    });
    w.request_test("tst-1", "2.0.0");
    w.commit("request");
    let out = w.cli(&["reconcile", "--once"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        w.sim.calls().get("POST Branch").copied().unwrap_or(0),
        1,
        "one call: a 401 is never repeated"
    );
    let state = w.tmp.path().join("state");
    let out = promoter()
        .args(["status", "--state"])
        .arg(&state)
        .args(["-o", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rec = v["promotions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["promotionId"] == "tst-1")
        .unwrap()
        .clone();
    assert_eq!(rec["errorCode"], "AUTH_FAILED", "{rec:#}");
    assert_eq!(rec["status"], "IN_PROGRESS");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_once_ends_when_boomi_is_down() {
    let w = World::new().await;
    w.request_test("tst-1", "2.0.0");
    w.commit("request");
    // Nobody listens on this port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("promoter"));
    cmd.args(["reconcile", "--once", "--repo"])
        .arg(&w.repo)
        .arg("--state")
        .arg(w.tmp.path().join("state"))
        .arg("--trust")
        .arg(common::root().join("examples/trust/allowed_signers"))
        .args(["--boomi", &format!("http://127.0.0.1:{port}")])
        .env("BOOMI_USERNAME", "ci@example.com")
        .env("BOOMI_TOKEN", "test-token");
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("still waiting"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_answers_405_to_a_query_that_is_not_a_post() {
    let w = World::new().await;
    let http = reqwest::Client::new();
    for method in [
        reqwest::Method::GET,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
    ] {
        let r = http
            .request(
                method.clone(),
                format!(
                    "{}/api/rest/v1/{}/Branch/query",
                    w.sim.base_url(),
                    common::world::PRIMARY
                ),
            )
            .basic_auth("BOOMI_TOKEN.ci@example.com", Some("test-token"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 405, "{method}");
    }
}

#[test]
fn a_promotion_id_never_leaves_the_repository() {
    let r = common::TestRepo::new();
    let out = promoter()
        .args([
            "new",
            "--id",
            "../../escape",
            "--account",
            "dev-team-a",
            "--process",
            "Orders",
            "--root",
            ORDERS_ROOT,
            "--package-version",
            "1.0.0",
            "--as",
            "alice@example.com",
            "--key",
        ])
        .arg(r.key("alice"))
        .arg("--repo")
        .arg(&r.dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("INVALID_DOCUMENT"));
    assert!(!r.tmp.path().join("escape").exists());
    assert!(!r.dir.join("escape").exists());
    assert!(!r.dir.parent().unwrap().join("escape").exists());
}

#[test]
fn json_into_a_closed_pipe_ends_quietly() {
    let r = common::TestRepo::new();
    r.commit("base");
    let bin = assert_cmd::cargo::cargo_bin("promoter");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "'{}' validate '{}' -o json | head -c 1",
            bin.display(),
            r.dir.display()
        ))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let _ = git;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_test_deployment_is_retried_after_its_pause() {
    let w = World::new().await;
    // Boomi refuses every deployment (a permanent 400): every test environment fails.
    w.sim.inject(Fault::ErrorRate {
        endpoint: "POST DeployedPackage".into(),
        rate: 1.0,
        status: 400,
        seed: 0,
    });
    w.request_test("tst-1", "2.0.0");
    w.commit("request");
    w.pass().await;
    let rec = w.record("tst-1");
    assert_eq!(rec.status, PromotionStatus::TestDeployFailed, "{rec:#?}");
    assert_eq!(rec.error_code, Some(ErrorCode::DeploymentFailed));
    assert!(rec.branch_id.is_some(), "the branch is kept for the retry");
    assert!(rec
        .waiting_reason
        .unwrap_or_default()
        .contains("TEST_DEPLOY_FAILED"));
    // Boomi deploys again: the next pass retries (the test harness pauses zero seconds).
    w.sim.clear_faults();
    w.converge().await;
    let rec = w.record("tst-1");
    assert_eq!(rec.status, PromotionStatus::TestDeployed, "{rec:#?}");
    assert_eq!(rec.error_code, None);
    let audit: Vec<PromotionStatus> = w
        .store
        .audit("tst-1")
        .unwrap()
        .into_iter()
        .map(|a| a.to)
        .collect();
    assert!(audit.windows(2).any(|p| p
        == [
            PromotionStatus::TestDeployFailed,
            PromotionStatus::TestDeploying
        ]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_without_a_pack_fails_with_pack_assignment_required() {
    let w = World::new().await;
    hotfix_waiting_for_its_peer(&w, "fix-1", "9.4.1").await;
    w.write_as("bob", &["review", "fix-1", "--approve"]);
    w.commit("peer");
    w.converge().await;
    // Approved, but nobody names a production pack and history knows none.
    w.write_as(
        "carol",
        &["decide", "fix-1", "--approve", "--acknowledge-hotfix"],
    );
    w.commit("approved without a pack");
    w.converge().await;
    let rec = w.record("fix-1");
    assert_eq!(rec.status, PromotionStatus::Failed, "{rec:#?}");
    assert_eq!(rec.error_code, Some(ErrorCode::PackAssignmentRequired));
    assert_eq!(rec.branch_id, None);
    assert!(!w.branch_names().contains(&"promo-fix-1".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn going_back_to_an_older_version_needs_an_acknowledgement() {
    let w = World::new().await;
    // 1.4.0 goes to production.
    w.request_test("tst-14", "1.4.0");
    w.commit("test 1.4.0");
    w.converge().await;
    w.request_prod("prd-14", "tst-14", "1.4.0");
    w.commit("prod 1.4.0");
    w.converge().await;
    w.write_as("bob", &["review", "prd-14", "--approve"]);
    w.commit("peer");
    w.converge().await;
    w.admin_approves("prd-14", &[]);
    w.commit("admin");
    w.converge().await;
    assert_eq!(w.record("prd-14").status, PromotionStatus::Deployed);
    // Then an older 1.3.0 is tested and asked for.
    w.request_test("tst-13", "1.3.0");
    w.commit("test 1.3.0");
    w.converge().await;
    assert_eq!(w.record("tst-13").status, PromotionStatus::TestDeployed);
    w.request_prod("prd-13", "tst-13", "1.3.0");
    w.commit("prod 1.3.0");
    w.converge().await;
    w.write_as("bob", &["review", "prd-13", "--approve"]);
    w.commit("peer");
    w.converge().await;
    w.admin_approves("prd-13", &[]);
    w.commit("admin, no acknowledgement");
    w.converge().await;
    let rec = w.record("prd-13");
    assert_eq!(rec.status, PromotionStatus::PendingAdminReview, "{rec:#?}");
    assert_eq!(rec.error_code, Some(ErrorCode::DowngradeNotAcknowledged));
    assert!(rec.waiting_reason.unwrap().contains("1.4.0"));
    let ps = w.store.open_problems(Some("prd-13")).unwrap();
    assert!(ps
        .iter()
        .any(|p| p.problem.code == ErrorCode::DowngradeNotAcknowledged
            && p.problem.file == "promotions/prd-13/admin-review.yaml"));
    // The admin acknowledges it: it goes.
    w.admin_approves("prd-13", &["--acknowledge-downgrade", "--force"]);
    w.commit("admin, acknowledged");
    w.converge().await;
    assert_eq!(w.record("prd-13").status, PromotionStatus::Deployed);
    assert!(w.store.open_problems(Some("prd-13")).unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_from_test_shows_the_tested_components() {
    let w = World::new().await;
    w.request_test("tst-1", "2.0.0");
    w.commit("test");
    w.converge().await;
    w.request_prod("prd-1", "tst-1", "2.0.0");
    w.commit("prod");
    w.converge().await;
    let t = w.record("tst-1");
    let p = w.record("prd-1");
    assert!(t.components_total > 0);
    assert_eq!(p.components_total, t.components_total);
    assert_eq!(p.result_detail, t.result_detail);
    assert_eq!(p.tested_versions, t.tested_versions);
    let state = w.tmp.path().to_str().unwrap().to_string();
    let out = promoter()
        .args(["show", "prd-1", "--state", &state])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("Components ({})", t.result_detail.len())),
        "{text}"
    );
    assert!(text.contains("Tested on main"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_state_directory_does_not_duplicate_production_components() {
    use boomi_promoter::reconcile::{guard::Gate, Context, Reconciler};
    use boomi_promoter::store::Store;
    use std::sync::Arc;
    let mut w = World::new().await;
    w.request_test("tst-1", "2.0.0");
    w.commit("test");
    w.converge().await;
    let first = w.record("tst-1");
    assert_eq!(first.status, PromotionStatus::TestDeployed);
    assert!(first.components_created > 0);
    // Names of the components main holds, with how often each appears.
    let on_main = |w: &World| {
        let mut names = std::collections::BTreeMap::<String, usize>::new();
        for c in w.primary()["components"].as_object().unwrap().values() {
            if let Some(n) = c["branches"]["main"]["name"].as_str() {
                *names.entry(n.to_string()).or_default() += 1;
            }
        }
        names
    };
    let before = on_main(&w);
    // The state directory is lost: a fresh store, the same Boomi and git. (tst-1 leaves git,
    // so the fresh daemon does not meet it again.)
    for f in ["request.yaml", "request.yaml.sig"] {
        std::fs::remove_file(w.repo.join("promotions/tst-1").join(f)).unwrap();
    }
    w.commit("tst-1 is history");
    let fresh = Arc::new(Store::open(w.tmp.path().join("fresh.db")).unwrap());
    let ctx = w.reconciler.ctx.clone();
    w.reconciler = Reconciler::new(Context {
        store: fresh.clone(),
        gate: Arc::new(Gate::new(
            w.platform.clone(),
            w.platform.clone(),
            fresh.clone(),
        )),
        ..ctx
    });
    w.store = fresh;
    w.request_test("tst-2", "2.0.1");
    w.commit("a new test after the loss");
    w.converge().await;
    let second = w.record("tst-2");
    assert_eq!(second.status, PromotionStatus::TestDeployed, "{second:#?}");
    assert_eq!(second.components_created, 0, "{second:#?}");
    assert_eq!(second.components_updated, first.components_total);
    assert_eq!(on_main(&w), before, "no component twice on main");
    // ...and the mappings are back.
    assert!(!w
        .store
        .mappings_of_account("dev-team-a")
        .unwrap()
        .is_empty());
}
