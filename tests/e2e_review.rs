//! Two-layer approval to production, every exit path, and the codes that only the promotion
//! log can decide (issue 6), end to end against the emulator.

mod common;

use boomi_promoter::model::{ErrorCode, PromotionStatus};
use boomi_promoter::reconcile::ManualClock;
use boomi_promoter::sim::{Fault, SimConfig};
use common::world::*;
use std::sync::Arc;

/// TEST_DEPLOYED test promotion `t1`.
async fn tested(w: &World) {
    w.request_test("tst-1", "2.0.0");
    w.commit("test request");
    w.converge().await;
    assert_eq!(w.record("tst-1").status, PromotionStatus::TestDeployed);
}

fn has_problem(
    report: &boomi_promoter::reconcile::PassReport,
    file: &str,
    code: ErrorCode,
) -> bool {
    report
        .problems
        .iter()
        .any(|p| p.file == file && p.code == code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_then_production_from_test_with_peer_and_admin_approval() {
    let w = World::new().await;
    tested(&w).await;
    w.request_prod("prd-1", "tst-1", "2.0.0");
    w.commit("production request");
    w.converge().await;
    assert_eq!(w.record("prd-1").status, PromotionStatus::PendingPeerReview);

    w.write_as(
        "bob",
        &["review", "prd-1", "--approve", "--comments", "looks right"],
    );
    w.commit("peer review");
    w.converge().await;
    let p1 = w.record("prd-1");
    assert_eq!(p1.status, PromotionStatus::PendingAdminReview);
    assert_eq!(p1.peer_reviewed_by.as_deref(), Some("bob@example.com"));
    assert!(
        w.branch_names().contains(&"promo-tst-1".to_string()),
        "the tested branch is kept until the end"
    );

    w.admin_approves("prd-1", &[]);
    w.commit("admin approval");
    let report = w.converge().await;
    assert!(report.converged(), "{report:?}");
    let p1 = w.record("prd-1");
    assert_eq!(p1.status, PromotionStatus::Deployed, "{p1:#?}");
    assert_eq!(p1.admin_approved_by.as_deref(), Some("carol@example.com"));
    assert_eq!(p1.test_promotion_id.as_deref(), Some("tst-1"));
    // The tested package is shipped; released in the production pack and deployed to PROD.
    let t1 = w.record("tst-1");
    assert_eq!(p1.prod_package_id, t1.prod_package_id);
    let p = w.primary();
    let pack = p["packs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "Orders - PROD")
        .unwrap()
        .clone();
    let comps: Vec<_> = pack["PublisherPackagedComponents"]["PublisherPackagedComponent"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        comps.len() >= 2,
        "the existing production process stays in the pack: {comps:?}"
    );
    let release = p["releases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["requestId"] == p1.release_id.clone().unwrap().as_str())
        .unwrap()
        .clone();
    assert_eq!(release["status"], "SUCCESS");
    assert_eq!(
        release["components"].as_array().unwrap().len(),
        comps.len(),
        "release safety: every component of the pack"
    );
    assert!(p["deployments"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["environmentId"] == "env-prod-1"
            && d["packageId"] == p1.prod_package_id.clone().unwrap().as_str()));
    // The kept test branch is deleted only now.
    assert!(!w.branch_names().contains(&"promo-tst-1".to_string()));
    assert!(w.record("tst-1").branch_id.is_none());
    assert_eq!(
        w.record("tst-1").promoted_from_test_by.as_deref(),
        Some("alice@example.com")
    );
    assert_eq!(
        p1.promoted_from_test_by.as_deref(),
        Some("alice@example.com")
    );
    // The test deployment has its production successor: it is no longer "ready".
    assert!(w.store.ready_queue(None, None).unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hotfix_to_production_and_the_acknowledgement() {
    let w = World::new().await;
    w.request_hotfix("fix-1", "9.0.1");
    w.commit("hotfix");
    w.converge().await;
    let h1 = w.record("fix-1");
    assert_eq!(h1.status, PromotionStatus::PendingPeerReview, "{h1:#?}");
    assert!(h1.is_hotfix);
    assert!(w.branch_names().contains(&"promo-fix-1".to_string()));
    w.write_as("bob", &["review", "fix-1", "--approve"]);
    // Without the acknowledgement the approval does not count.
    w.write_as("carol", &["decide", "fix-1", "--approve"]);
    w.commit("reviews");
    let report = w.converge().await;
    assert!(has_problem(
        &report,
        "promotions/fix-1/admin-review.yaml",
        ErrorCode::HotfixAcknowledgementRequired
    ));
    assert_eq!(
        w.record("fix-1").status,
        PromotionStatus::PendingAdminReview
    );
    w.admin_approves("fix-1", &["--acknowledge-hotfix", "--force"]);
    w.commit("acknowledged");
    w.converge().await;
    let h1 = w.record("fix-1");
    assert_eq!(h1.status, PromotionStatus::Deployed, "{h1:#?}");
    assert!(h1.is_hotfix);
    assert!(h1
        .hotfix_justification
        .as_deref()
        .unwrap()
        .contains("null ship-to"));
    assert!(
        !w.branch_names().contains(&"promo-fix-1".to_string()),
        "branch deleted"
    );
    assert!(w.primary()["deployments"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["environmentId"] == "env-prod-1"
            && d["packageId"] == h1.prod_package_id.clone().unwrap().as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_rejection_and_admin_denial_delete_the_branch_and_leave_main_alone() {
    let w = World::new().await;
    let main_before = w.main_versions();
    w.request_hotfix("fix-1", "9.0.1");
    w.request_hotfix("fix-2", "9.0.2");
    w.commit("two hotfixes");
    w.converge().await;
    w.write_as(
        "bob",
        &[
            "review",
            "fix-1",
            "--reject",
            "--comments",
            "touches the wrong shape",
        ],
    );
    w.write_as("bob", &["review", "fix-2", "--approve"]);
    w.commit("reviews");
    w.converge().await;
    w.write_as(
        "carol",
        &[
            "decide",
            "fix-2",
            "--deny",
            "--comments",
            "not during quarter close",
        ],
    );
    w.commit("denial");
    w.converge().await;
    let h1 = w.record("fix-1");
    let h2 = w.record("fix-2");
    assert_eq!(h1.status, PromotionStatus::PeerRejected);
    assert_eq!(
        h1.peer_review_comments.as_deref(),
        Some("touches the wrong shape")
    );
    assert_eq!(h2.status, PromotionStatus::AdminRejected);
    assert_eq!(
        h2.admin_comments.as_deref(),
        Some("not during quarter close")
    );
    assert!(h1.branch_id.is_none() && h2.branch_id.is_none());
    assert_eq!(w.branch_names(), vec!["main".to_string()]);
    let main_after = w.main_versions();
    for (id, v) in &main_before {
        assert_eq!(main_after.get(id), Some(v), "main untouched for {id}");
    }
    assert!(
        main_after.keys().all(|k| main_before.contains_key(k)),
        "nothing new on main"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdrawal_from_each_pending_state_and_by_someone_else() {
    let w = World::new().await;
    w.request_hotfix("fix-1", "9.0.1");
    w.request_hotfix("fix-2", "9.0.2");
    w.commit("hotfixes");
    w.converge().await;
    w.write_as("bob", &["review", "fix-2", "--approve"]);
    w.commit("h2 reviewed");
    w.converge().await;
    assert_eq!(
        w.record("fix-2").status,
        PromotionStatus::PendingAdminReview
    );
    // bob may not withdraw alice's promotion.
    w.write_as("bob", &["withdraw", "fix-1"]);
    w.commit("bob withdraws");
    let report = w.converge().await;
    assert!(has_problem(
        &report,
        "promotions/fix-1/withdrawal.yaml",
        ErrorCode::NotPromotionInitiator
    ));
    assert_eq!(w.record("fix-1").status, PromotionStatus::PendingPeerReview);
    // alice withdraws h1 (peer stage); carol, an admin, withdraws h2 (admin stage).
    w.write_as(
        "alice",
        &["withdraw", "fix-1", "--reason", "superseded", "--force"],
    );
    w.write_as("carol", &["withdraw", "fix-2"]);
    w.commit("withdrawals");
    w.converge().await;
    let h1 = w.record("fix-1");
    assert_eq!(h1.status, PromotionStatus::Withdrawn);
    assert_eq!(h1.withdrawal_reason.as_deref(), Some("superseded"));
    assert!(h1.withdrawn_at.is_some());
    assert_eq!(w.record("fix-2").status, PromotionStatus::Withdrawn);
    assert_eq!(w.branch_names(), vec!["main".to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_test_deletes_the_kept_branch() {
    let w = World::new().await;
    tested(&w).await;
    assert!(w.branch_names().contains(&"promo-tst-1".to_string()));
    w.write_as(
        "alice",
        &[
            "cancel-test",
            "tst-1",
            "--reason",
            "not going to production",
        ],
    );
    w.commit("cancel");
    w.converge().await;
    let t1 = w.record("tst-1");
    assert_eq!(t1.status, PromotionStatus::TestCancelled);
    assert!(t1.branch_id.is_none());
    assert!(!w.branch_names().contains(&"promo-tst-1".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_codes() {
    let w = World::new().await;
    w.request_hotfix("fix-1", "9.0.1");
    w.commit("hotfix");
    w.converge().await;
    // Self-review in another case, by the initiator's own key.
    w.write_as("alice", &["review", "fix-1", "--approve"]);
    std::fs::rename(
        w.repo.join("promotions/fix-1/peer-review.yaml"),
        w.tmp.path().join("x"),
    )
    .unwrap();
    let text = std::fs::read_to_string(w.tmp.path().join("x"))
        .unwrap()
        .replace("alice@example.com", "ALICE@Example.com");
    std::fs::write(w.repo.join("promotions/fix-1/peer-review.yaml"), text).unwrap();
    common::promoter()
        .arg("sign")
        .arg(w.repo.join("promotions/fix-1/peer-review.yaml"))
        .arg("--key")
        .arg(w.key("alice"))
        .assert()
        .success();
    w.commit("self review");
    let report = w.converge().await;
    assert!(
        has_problem(
            &report,
            "promotions/fix-1/peer-review.yaml",
            ErrorCode::SelfReviewNotAllowed
        ),
        "{:?}",
        report.problems
    );
    assert_eq!(w.record("fix-1").status, PromotionStatus::PendingPeerReview);

    // bob reviews; then erin's review replaces bob's after it was acted on: ALREADY_REVIEWED.
    w.write_as("bob", &["review", "fix-1", "--approve", "--force"]);
    w.commit("bob reviews");
    w.converge().await;
    assert_eq!(
        w.record("fix-1").status,
        PromotionStatus::PendingAdminReview
    );
    // (erin is not in the demo policy; carol reviews as a peer instead)
    w.write_as(
        "carol",
        &[
            "review",
            "fix-1",
            "--reject",
            "--comments",
            "second opinion",
            "--force",
        ],
    );
    w.commit("second review");
    w.converge().await;
    let h1 = w.record("fix-1");
    assert_eq!(h1.status, PromotionStatus::PendingAdminReview);
    assert_eq!(h1.error_code, Some(ErrorCode::AlreadyReviewed), "{h1:#?}");

    // Self-approval: carol's own hotfix.
    w.write_as(
        "carol",
        &[
            "new",
            "--id",
            "fix-9",
            "--account",
            "dev-team-a",
            "--process",
            "Order Processing Main",
            "--root",
            ORDERS_ROOT,
            "--target",
            "production",
            "--package-version",
            "9.9.9",
            "--hotfix",
            "urgent",
        ],
    );
    w.commit("carol's hotfix");
    w.converge().await;
    w.write_as("bob", &["review", "fix-9", "--approve"]);
    w.write_as(
        "carol",
        &["decide", "fix-9", "--approve", "--acknowledge-hotfix"],
    );
    w.commit("carol approves herself");
    let report = w.converge().await;
    assert!(has_problem(
        &report,
        "promotions/fix-9/admin-review.yaml",
        ErrorCode::SelfApprovalNotAllowed
    ));
    assert_eq!(
        w.record("fix-9").status,
        PromotionStatus::PendingAdminReview
    );

    // Stale approval after a request edit.
    let p = w.repo.join("promotions/fix-9/request.yaml");
    std::fs::write(
        &p,
        std::fs::read_to_string(&p)
            .unwrap()
            .replace("9.9.9", "9.9.8"),
    )
    .unwrap();
    common::promoter()
        .arg("sign")
        .arg(&p)
        .arg("--key")
        .arg(w.key("carol"))
        .assert()
        .success();
    w.commit("request edited after the review");
    let report = w.converge().await;
    assert!(has_problem(
        &report,
        "promotions/fix-9/peer-review.yaml",
        ErrorCode::StaleApproval
    ));

    // A review of a TEST promotion: INVALID_REVIEW_STATE.
    w.request_test("tst-5", "5.0.0");
    w.write_as("bob", &["review", "tst-5", "--approve"]);
    w.commit("review of a test promotion");
    let report = w.converge().await;
    assert!(has_problem(
        &report,
        "promotions/tst-5/peer-review.yaml",
        ErrorCode::InvalidReviewState
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_from_an_unknown_or_failed_test() {
    let w = World::new().await;
    // A TEST promotion that failed (missing mapping for its account) cannot go to production.
    w.drop_mappings("dev-team-b");
    w.write_as(
        "carol",
        &[
            "new",
            "--id",
            "tst-b",
            "--account",
            "dev-team-b",
            "--process",
            "Invoice Sync",
            "--root",
            INVOICE_ROOT,
            "--package-version",
            "3.0.0",
        ],
    );
    w.commit("failing test");
    w.converge().await;
    assert_eq!(w.record("tst-b").status, PromotionStatus::Failed);
    w.write_as(
        "carol",
        &[
            "new",
            "--id",
            "prd-b",
            "--account",
            "dev-team-b",
            "--process",
            "Invoice Sync",
            "--from-test",
            "tst-b",
            "--target",
            "production",
            "--package-version",
            "3.0.0",
        ],
    );
    w.commit("production from a failed test");
    w.converge().await;
    let pb = w.record("prd-b");
    assert_eq!(pb.status, PromotionStatus::Failed);
    assert_eq!(pb.error_code, Some(ErrorCode::TestPromotionNotFound));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn main_changed_since_test() {
    let w = World::new().await;
    tested(&w).await;
    // A developer changes the map; another TEST promotion takes it to main.
    w.touch_dev("dev-team-a", "0a8b9c0d-6f70-4182-9dc4-5e6f70819217")
        .await;
    w.request_test("tst-2", "2.0.1");
    w.commit("second test");
    w.converge().await;
    assert_eq!(w.record("tst-2").status, PromotionStatus::TestDeployed);
    w.request_prod("prd-1", "tst-1", "2.0.0");
    w.commit("prod from the first test");
    w.converge().await;
    w.write_as("bob", &["review", "prd-1", "--approve"]);
    w.commit("review");
    w.converge().await;
    w.admin_approves("prd-1", &[]);
    w.commit("approve");
    w.converge().await;
    let p1 = w.record("prd-1");
    assert_eq!(p1.status, PromotionStatus::Failed, "{p1:#?}");
    assert_eq!(p1.error_code, Some(ErrorCode::MainChangedSinceTest));
    assert!(p1
        .error_message
        .unwrap()
        .contains("Order JSON to ERP XML Map"));
    // Nothing went to production.
    assert!(!w.primary()["deployments"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["environmentId"] == "env-prod-1"
            && d["packageId"] == w.record("tst-1").prod_package_id.unwrap().as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_failed_and_merge_timeout() {
    let w = World::new().await;
    w.sim.inject(Fault::FailMerge { count: 1 });
    w.request_test("tst-1", "2.0.0");
    w.commit("request");
    w.converge().await;
    let t1 = w.record("tst-1");
    assert_eq!(t1.status, PromotionStatus::Failed, "{t1:#?}");
    assert_eq!(t1.error_code, Some(ErrorCode::MergeFailed));
    assert!(t1.branch_id.is_none());
    assert_eq!(w.branch_names(), vec!["main".to_string()]);

    // A merge that never finishes within the polls.
    let slow = World::with_sim(SimConfig {
        merge_stage_polls: 1000,
        ..SimConfig::instant()
    })
    .await;
    slow.request_test("tst-1", "2.0.0");
    slow.commit("request");
    slow.converge().await;
    let t1 = slow.record("tst-1");
    assert_eq!(t1.status, PromotionStatus::Failed, "{t1:#?}");
    assert_eq!(t1.error_code, Some(ErrorCode::MergeTimeout));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_outside_the_deploy_window_waits_for_it() {
    // The demo window: Monday to Thursday 18:00-21:00 Europe/Berlin. Saturday noon is outside.
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
    w.commit("approved on a Saturday");
    let report = w.converge().await;
    let h1 = w.record("fix-1");
    assert_eq!(h1.status, PromotionStatus::Deploying);
    let why = h1.waiting_reason.unwrap();
    assert!(
        why.contains("2026-11-23 17:00 UTC"),
        "Monday 18:00 Berlin: {why}"
    );
    assert!(!report.converged());
    // Monday 18:30 Berlin (17:30 UTC): the window is open.
    clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-11-23T17:30:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc),
    );
    w.converge().await;
    assert_eq!(w.record("fix-1").status, PromotionStatus::Deployed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_follow_the_lifecycle_and_a_dead_endpoint_changes_nothing() {
    use boomi_promoter::notify_out::{EventKind, RecordingNotifier};
    let recorder = Arc::new(RecordingNotifier::new());
    let mut w = World::new().await;
    w.reconciler.ctx.notifier = recorder.clone();
    tested(&w).await;
    w.request_prod("prd-1", "tst-1", "2.0.0");
    w.commit("production request");
    w.converge().await;
    w.write_as("bob", &["review", "prd-1", "--approve"]);
    w.commit("peer review");
    w.converge().await;
    w.admin_approves("prd-1", &[]);
    w.commit("admin approval");
    w.converge().await;
    let kinds: Vec<EventKind> = recorder.events().iter().map(|e| e.kind()).collect();
    assert_eq!(
        kinds,
        vec![
            EventKind::TestDeployed,
            EventKind::PeerReviewNeeded,
            EventKind::PeerApproved,
            EventKind::AdminApprovedDeployed
        ],
        "one event per step, in order"
    );
    assert!(recorder.events().iter().all(|e| e
        .promotion_id()
        .is_some_and(|id| e.text_body().contains(id))));

    // The same path with a webhook nobody listens on: same outcome.
    let mut dead = World::new().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    dead.reconciler.ctx.notifier =
        boomi_promoter::notify_out::from_settings(&boomi_promoter::model::Notifications {
            developers_list: Some("dev@example.com".into()),
            admins_list: Some("admins@example.com".into()),
            smtp: None,
            webhook: Some(boomi_promoter::model::WebhookSettings {
                url: format!("http://127.0.0.1:{port}/hook"),
                secret_from: None,
            }),
        });
    tested(&dead).await;
    dead.request_hotfix("fix-1", "9.0.1");
    dead.commit("hotfix");
    dead.converge().await;
    assert_eq!(
        dead.record("fix-1").status,
        PromotionStatus::PendingPeerReview
    );
    assert_eq!(dead.record("tst-1").status, PromotionStatus::TestDeployed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queues_and_pack_suggestions() {
    let w = World::new().await;
    tested(&w).await;
    let state = w.tmp.path().to_path_buf();
    let queue = |args: &[&str]| -> serde_json::Value {
        let out = common::promoter()
            .arg("queue")
            .args(args)
            .arg("--state")
            .arg(&state)
            .args(["-o", "json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v["promotions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["promotionId"].as_str().unwrap().to_string())
            .collect()
    };
    let ready = queue(&["--ready"]);
    assert_eq!(ids(&ready), vec!["tst-1"]);
    assert_eq!(ready["promotions"][0]["age"], "green");

    w.request_prod("prd-1", "tst-1", "2.0.0");
    w.commit("production request");
    w.converge().await;
    assert_eq!(ids(&queue(&["--as", "bob@example.com"])), vec!["prd-1"]);
    assert!(
        ids(&queue(&["--as", "ALICE@example.com"])).is_empty(),
        "the initiator's own are left out"
    );
    assert!(
        ids(&queue(&["--ready"])).is_empty(),
        "a production successor is on its way"
    );
    w.write_as("bob", &["review", "prd-1", "--approve"]);
    w.commit("review");
    w.converge().await;
    assert_eq!(ids(&queue(&["--admin"])), vec!["prd-1"]);
    assert!(ids(&queue(&["--as", "bob@example.com"])).is_empty());

    // Action J's suggestion from history.
    let out = common::promoter()
        .args([
            "packs",
            "--suggest-for",
            "Order Processing Main",
            "--purpose",
            "TEST",
            "-o",
            "json",
            "--state",
        ])
        .arg(&state)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["suggestedPackName"], "Orders - TEST");
    assert_eq!(v["fromPromotion"], "tst-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_follow_the_access_policy() {
    let w = World::new().await;
    let accounts = |who: &str| {
        let out = common::promoter()
            .args([
                "accounts",
                "-o",
                "json",
                "--as",
                &format!("{who}@example.com"),
                "--repo",
            ])
            .arg(&w.repo)
            .args(["--boomi", &w.sim.base_url(), "--primary-account", PRIMARY])
            .env("BOOMI_USERNAME", "ci@example.com")
            .env("BOOMI_TOKEN", "x")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        (out.status.code(), text)
    };
    let (code, alice) = accounts("alice");
    assert_eq!(code, Some(0), "{alice}");
    assert!(
        alice.contains("dev-team-a") && !alice.contains("dev-team-b"),
        "{alice}"
    );
    let (_, carol) = accounts("carol");
    assert!(
        carol.contains("dev-team-a") && carol.contains("dev-team-b"),
        "{carol}"
    );
    let (code, dave) = accounts("dave");
    assert_eq!(code, Some(1));
    assert!(dave.contains("INSUFFICIENT_TIER"), "{dave}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_promotion_without_a_pack_waits_for_the_admins_assignment() {
    let w = World::new().await;
    // No pack named and no history for this process.
    w.write_as(
        "alice",
        &[
            "new",
            "--id",
            "tst-np",
            "--account",
            "dev-team-a",
            "--process",
            "Order Processing Main",
            "--root",
            ORDERS_ROOT,
            "--package-version",
            "4.0.0",
        ],
    );
    w.commit("request without a pack");
    w.converge().await;
    let rec = w.record("tst-np");
    assert_eq!(
        rec.status,
        PromotionStatus::PendingPackAssignment,
        "{rec:#?}"
    );
    assert!(rec.waiting_reason.unwrap().contains("assign-pack tst-np"));
    // A contributor cannot assign; the admin does, with a new TEST pack.
    w.write_as(
        "carol",
        &[
            "assign-pack",
            "tst-np",
            "--new-pack",
            "Orders Nightly - TEST",
        ],
    );
    w.commit("pack assigned");
    w.converge().await;
    let rec = w.record("tst-np");
    assert_eq!(rec.status, PromotionStatus::TestDeployed, "{rec:#?}");
    assert_eq!(
        rec.test_integration_pack_name.as_deref(),
        Some("Orders Nightly - TEST")
    );
    assert!(w.primary()["packs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "Orders Nightly - TEST"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_review_diff_compares_tested_versions_with_the_last_production_deployment() {
    let w = World::new().await;
    let state = w.tmp.path().to_path_buf();
    let diff = |id: &str| -> serde_json::Value {
        let out = common::promoter()
            .args(["diff", id, "-o", "json", "--state"])
            .arg(&state)
            .args(["--boomi", &w.sim.base_url(), "--primary-account", PRIMARY])
            .env("BOOMI_USERNAME", "ci@example.com")
            .env("BOOMI_TOKEN", "x")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    tested(&w).await;
    w.request_prod("prd-1", "tst-1", "2.0.0");
    w.commit("production request");
    w.converge().await;
    // Never in production before: every component is new.
    let v = diff("prd-1");
    let comps = v["components"].as_array().unwrap();
    assert_eq!(comps.len(), w.record("tst-1").tested_versions.len());
    assert!(
        comps.iter().all(|c| c["componentAction"] == "CREATE"),
        "{v:#}"
    );
    w.write_as("bob", &["review", "prd-1", "--approve"]);
    w.commit("review");
    w.converge().await;
    w.admin_approves("prd-1", &[]);
    w.commit("approve");
    w.converge().await;
    assert_eq!(w.record("prd-1").status, PromotionStatus::Deployed);

    // The map changes, is tested, and goes for production again.
    w.touch_dev("dev-team-a", "0a8b9c0d-6f70-4182-9dc4-5e6f70819217")
        .await;
    w.request_test("tst-2", "2.0.1");
    w.commit("second test");
    w.converge().await;
    w.request_prod("prd-2", "tst-2", "2.0.1");
    w.commit("second production request");
    w.converge().await;
    let v = diff("prd-2");
    let comps = v["components"].as_array().unwrap();
    assert!(
        comps.iter().all(|c| c["componentAction"] == "UPDATE"),
        "{v:#}"
    );
    let map = comps
        .iter()
        .find(|c| c["name"] == "Order JSON to ERP XML Map")
        .unwrap();
    assert_eq!(map["identical"], false);
    assert!(
        map["unified"].as_str().unwrap().contains("(edited)"),
        "{map:#}"
    );
    let unchanged = comps.iter().filter(|c| c["identical"] == true).count();
    assert!(
        unchanged >= 1,
        "components that did not change are identical"
    );

    // `show --diff` carries the same review diff beside the review trail.
    let out = common::promoter()
        .args(["show", "prd-2", "--diff", "-o", "json", "--state"])
        .arg(&state)
        .args(["--boomi", &w.sim.base_url(), "--primary-account", PRIMARY])
        .env("BOOMI_USERNAME", "ci@example.com")
        .env("BOOMI_TOKEN", "x")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let review = v["reviewDiff"].as_array().unwrap();
    assert!(review
        .iter()
        .any(|c| c["name"] == "Order JSON to ERP XML Map" && c["identical"] == false));
    assert!(v["audit"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["to"] == "PENDING_PEER_REVIEW"));
}
