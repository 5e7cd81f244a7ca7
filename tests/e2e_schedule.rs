//! Scheduling end to end (temp git repo + `sim` on 127.0.0.1:0 + the real HTTP client): a pass
//! looks only at what changed in git or was waiting, and the promotions of different dev
//! accounts run at the same time without taking the same last branch slot twice.

mod common;

use boomi_promoter::boomi::Platform;
use boomi_promoter::model::{ErrorCode, PromotionStatus};
use boomi_promoter::reconcile::{Config, Context, Reconciler};
use boomi_promoter::sim::Fault;
use common::world::*;

/// orders-t1 TEST_DEPLOYED, and orders-p1 (production from it) waiting for its peer review.
async fn settled_world() -> World {
    let w = World::new().await;
    w.request_test("orders-t1", "2.0.0");
    w.commit("orders-t1");
    assert!(w.converge().await.converged());
    w.request_prod("orders-p1", "orders-t1", "2.0.0");
    w.commit("orders-p1");
    w.converge().await;
    assert_eq!(w.record("orders-t1").status, PromotionStatus::TestDeployed);
    assert_eq!(
        w.record("orders-p1").status,
        PromotionStatus::PendingPeerReview
    );
    w
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pass_looks_only_at_what_changed() {
    let w = settled_world().await;
    let audit_t1 = w.store.audit("orders-t1").unwrap().len();

    // Nothing changed and nothing waits: no promotion is looked at, no Boomi call is made.
    let calls = w.call_count();
    let r = w.pass().await;
    assert_eq!(r.scope, Some(0), "{r:?}");
    assert!(r.statuses.is_empty(), "{r:?}");
    assert_eq!(r.steps, 0);
    assert_eq!(w.call_count(), calls, "an idle pass calls Boomi");

    // A commit that adds one promotion: only that one is looked at.
    w.request_invoices("invoices-t1", "3.0.0");
    w.commit("invoices-t1");
    let r = w.pass().await;
    assert_eq!(r.scope, Some(1), "{r:?}");
    assert_eq!(
        r.statuses.keys().collect::<Vec<_>>(),
        vec!["invoices-t1"],
        "{r:?}"
    );
    w.converge().await;
    assert_eq!(
        w.record("invoices-t1").status,
        PromotionStatus::TestDeployed
    );
    assert_eq!(w.store.audit("orders-t1").unwrap().len(), audit_t1);

    // A signed review of orders-p1 moves it, and only it.
    w.write_as(
        "bob",
        &[
            "review",
            "orders-p1",
            "--approve",
            "--comments",
            "looks right",
        ],
    );
    w.commit("peer review");
    let r = w.pass().await;
    assert_eq!(r.scope, Some(1), "{r:?}");
    assert_eq!(
        w.record("orders-p1").status,
        PromotionStatus::PendingAdminReview
    );

    // A vanished request is reported on its own record.
    std::fs::remove_file(w.repo.join("promotions/orders-p1/request.yaml")).unwrap();
    w.commit("oops");
    let r = w.pass().await;
    assert_eq!(r.scope, Some(1), "{r:?}");
    let p1 = w.record("orders-p1");
    assert_eq!(p1.status, PromotionStatus::PendingAdminReview);
    assert_eq!(p1.error_code, Some(ErrorCode::DesiredStateMissing));

    // promoter.yaml changed: every unfinished promotion is looked at again.
    w.edit_settings(|text| format!("{text}# reviewed\n"));
    w.commit("settings");
    let r = w.pass().await;
    assert_eq!(r.scope, None, "{r:?}");
    assert!(r.statuses.contains_key("orders-p1"), "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_process_starts_with_a_full_pass() {
    let w = settled_world().await;
    let again = Reconciler::new(w.reconciler.ctx.clone());
    let source = boomi_promoter::source::GitSource::local(&w.repo, "main").unwrap();
    let head = source.head().unwrap();
    let r = again.pass_at(&source, &head).await.unwrap();
    assert_eq!(r.scope, None);
    assert_eq!(r.statuses.len(), 2, "{r:?}");
    // Then only what changes.
    let r = again.pass_at(&source, &head).await.unwrap();
    assert_eq!(r.scope, Some(0));
}

/// The journal step ids of a promotion (ids grow with time across all promotions).
fn step_ids(w: &World, id: &str) -> (i64, i64) {
    let ids: Vec<i64> = w.store.steps(id).unwrap().iter().map(|s| s.id.0).collect();
    assert!(!ids.is_empty(), "{id} has no steps");
    (*ids.iter().min().unwrap(), *ids.iter().max().unwrap())
}

async fn two_accounts(concurrency: usize) -> World {
    let mut w = World::new().await;
    w.reconciler = Reconciler::new(Context {
        config: Config {
            concurrency,
            ..fast_config()
        },
        ..w.reconciler.ctx.clone()
    });
    w.request_test("orders-t1", "2.0.0");
    w.request_invoices("invoices-t1", "3.0.0");
    w.commit("two dev accounts");
    let r = w.converge().await;
    assert!(r.converged(), "{r:?}");
    for id in ["orders-t1", "invoices-t1"] {
        assert_eq!(w.record(id).status, PromotionStatus::TestDeployed, "{id}");
    }
    w
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_accounts_run_at_the_same_time() {
    let w = two_accounts(4).await;
    let (a0, a1) = step_ids(&w, "orders-t1");
    let (b0, b1) = step_ids(&w, "invoices-t1");
    assert!(
        a0 < b1 && b0 < a1,
        "the two promotions did not overlap: orders {a0}..{a1}, invoices {b0}..{b1}"
    );
    // Nothing duplicated: one branch and one package per promotion.
    let names = w.branch_names();
    for b in ["promo-orders-t1", "promo-invoices-t1"] {
        assert_eq!(names.iter().filter(|n| *n == b).count(), 1, "{names:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_concurrency_one_they_run_one_after_the_other() {
    let w = two_accounts(1).await;
    let (a0, a1) = step_ids(&w, "orders-t1");
    let (b0, b1) = step_ids(&w, "invoices-t1");
    assert!(a1 < b0 || b1 < a0, "orders {a0}..{a1}, invoices {b0}..{b1}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_dev_accounts_never_take_the_last_branch_slot_twice() {
    let w = World::new().await;
    // main and 13 others: one slot is left under the soft limit of 15.
    let others = w.feature_branches(13).await;
    // Slow branch queries: both lanes count the branches at about the same time, so without
    // the slot lock both would see a free slot.
    w.sim.inject(Fault::Latency {
        endpoint: "POST Branch/query".into(),
        millis: 400,
    });
    w.request_test("orders-t1", "2.0.0");
    w.request_invoices("invoices-t1", "3.0.0");
    w.commit("two dev accounts, one slot");
    let r = w.pass().await;
    assert!(!r.converged());
    let promo: Vec<String> = w
        .branch_names()
        .into_iter()
        .filter(|n| n.starts_with("promo-"))
        .collect();
    assert_eq!(
        promo.len(),
        1,
        "exactly one promotion got the slot: {promo:?}"
    );
    let waiting = ["orders-t1", "invoices-t1"]
        .into_iter()
        .map(|id| w.record(id))
        .find(|r| r.status == PromotionStatus::Queued)
        .expect("one promotion waits");
    assert_eq!(waiting.error_code, Some(ErrorCode::BranchLimitReached));

    // A freed slot lets the waiting one go on, without a new commit.
    w.sim.clear_faults();
    w.platform.delete_branch(None, &others[0]).await.unwrap();
    let r = w.converge().await;
    assert!(r.converged(), "{r:?}");
    for id in ["orders-t1", "invoices-t1"] {
        assert_eq!(w.record(id).status, PromotionStatus::TestDeployed, "{id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_request_and_its_production_request_in_one_commit() {
    let w = World::new().await;
    // The production request's id sorts first; it still waits for its TEST promotion.
    w.request_test("zz-test", "2.0.0");
    w.request_prod("aa-prod", "zz-test", "2.0.0");
    w.commit("both at once");
    let r = w.converge().await;
    assert!(r.converged(), "{r:?}");
    assert_eq!(w.record("zz-test").status, PromotionStatus::TestDeployed);
    let prod = w.record("aa-prod");
    assert_eq!(
        prod.status,
        PromotionStatus::PendingPeerReview,
        "{:?}",
        prod.error_message
    );
    assert_eq!(prod.test_promotion_id.as_deref(), Some("zz-test"));
}

/// A TEST request of `account` naming the integration pack "Shared - TEST".
fn request_shared_pack(w: &World, who: &str, id: &str, account: &str, process: &str, root: &str) {
    w.write_as(
        who,
        &[
            "new",
            "--id",
            id,
            "--account",
            account,
            "--process",
            process,
            "--root",
            root,
            "--package-version",
            "5.0.0",
            "--new-pack",
            "Shared - TEST",
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_dev_accounts_share_one_integration_pack() {
    let w = World::new().await;
    // Pack lookups answered late (the emulator has looked before it answers): both lanes look
    // the pack up at about the same time, so without the pack-name lock both would see no pack
    // and create one each. Slow releases too. One lane creates the pack, the other finds it;
    // the last release publishes both processes.
    w.sim.inject(Fault::SlowAnswer {
        endpoint: "POST PublisherIntegrationPack/query".into(),
        millis: 700,
    });
    w.sim.inject(Fault::Latency {
        endpoint: "ReleaseIntegrationPackStatus".into(),
        millis: 100,
    });
    request_shared_pack(
        &w,
        "alice",
        "orders-t1",
        "dev-team-a",
        "Order Processing Main",
        ORDERS_ROOT,
    );
    request_shared_pack(
        &w,
        "bob",
        "invoices-t1",
        "dev-team-b",
        "Invoice Sync",
        INVOICE_ROOT,
    );
    w.commit("one pack for two processes");
    let r = w.converge().await;
    assert!(r.converged(), "{r:?}");
    let orders = w.record("orders-t1");
    let invoices = w.record("invoices-t1");
    assert_eq!(orders.status, PromotionStatus::TestDeployed);
    assert_eq!(invoices.status, PromotionStatus::TestDeployed);
    assert_eq!(orders.integration_pack_id, invoices.integration_pack_id);

    let packs: Vec<serde_json::Value> = w.primary()["packs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "Shared - TEST")
        .cloned()
        .collect();
    assert_eq!(packs.len(), 1, "the pack was created twice: {packs:#?}");
    // Both processes are published by the last release.
    let published: Vec<&str> = packs[0]["PublisherPackagedComponents"]
        ["PublisherPackagedComponent"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["currentVersion"] == "5.0.0")
        .filter_map(|c| c["componentName"].as_str())
        .collect();
    assert!(
        published.contains(&"Order Processing Main") && published.contains(&"Invoice Sync"),
        "{published:?} of {:#}",
        packs[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_production_request_is_looked_at_when_its_test_request_changes() {
    let w = settled_world().await;
    std::fs::remove_dir_all(w.repo.join("promotions/orders-t1")).unwrap();
    w.commit("the TEST request vanished");
    let r = w.pass().await;
    // orders-t1 changed; orders-p1 depends on it (fromTest) and no longer verifies.
    assert_eq!(r.scope, Some(2), "{r:?}");
    let p1 = w.record("orders-p1");
    assert_eq!(p1.status, PromotionStatus::PendingPeerReview);
    assert_eq!(p1.error_code, Some(ErrorCode::DesiredStateMissing));
    assert!(r
        .problems
        .iter()
        .any(|p| p.code == ErrorCode::TestPromotionNotFound));
}
