//! The reconciler end to end (issue 5): a temp git repository, the emulator on `127.0.0.1:0`,
//! the real HTTP client; each test asserts both our promotion log and the emulator's state.

mod common;

use boomi_promoter::boomi::Platform;
use boomi_promoter::model::{ErrorCode, PromotionStatus};
use boomi_promoter::sim::Fault;
use boomi_promoter::store::{ComponentAction, ComponentStatus, MappingFilter, MappingSource};
use common::world::*;

fn engine_mappings(w: &World) -> Vec<boomi_promoter::store::ComponentMapping> {
    w.store
        .mappings(&MappingFilter {
            dev_account_id: Some("dev-team-a".into()),
            source: Some(MappingSource::Engine),
            ..Default::default()
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn happy_test_path() {
    let w = World::new().await;
    w.request_test("orders-t1", "2.0.0");
    w.commit("TEST request");
    let report = w.converge().await;
    assert!(report.converged(), "{report:?}");
    let rec = w.record("orders-t1");
    assert_eq!(rec.status, PromotionStatus::TestDeployed, "{rec:#?}");
    assert!(rec.error_code.is_none());

    // Components: every one promoted, on main after the merge, in /Promoted folders, every
    // reference rewritten to a production id.
    let results: Vec<_> = rec
        .result_detail
        .iter()
        .filter(|r| r.status == ComponentStatus::Success)
        .collect();
    assert_eq!(results.len() as i64, rec.components_total);
    assert!(results.len() >= 8, "{results:#?}");
    let dev_ids: Vec<String> = rec
        .result_detail
        .iter()
        .map(|r| r.dev_component_id.clone())
        .collect();
    let seed_conn_ids = [
        "c4e5f6a7-2b3c-4d5e-9f80-1a2b3c4d5e13",
        "d5f6a7b8-3c4d-4e5f-8a91-2b3c4d5e6f14",
    ];
    for r in &results {
        let prod = r.prod_component_id.as_deref().unwrap();
        let xml = w.main_xml(prod).await;
        // Boomi answers folder paths without the leading slash.
        assert!(
            xml.contains("folderFullPath=\"/Promoted/")
                || xml.contains("folderFullPath=\"Promoted/"),
            "{}: {xml}",
            r.name
        );
        for d in dev_ids.iter().map(String::as_str).chain(seed_conn_ids) {
            assert!(!xml.contains(d), "{} still references dev id {d}", r.name);
        }
        assert!(
            !xml.contains("T3st-Orders") && !xml.contains("sf-api-TEST"),
            "{}: secrets leaked",
            r.name
        );
    }
    // Environment configuration of the dev account never reaches production.
    let xml_of = |name: &str| {
        let id = results
            .iter()
            .find(|r| r.name == name)
            .unwrap()
            .prod_component_id
            .clone()
            .unwrap();
        let w = &w;
        async move { w.main_xml(&id).await }
    };
    let op = xml_of("Orders DB Insert Operation").await;
    assert!(
        op.contains(r#"<field id="password" type="password" value=""/>"#),
        "{op}"
    );
    assert!(
        op.contains(r#"<field id="host" type="string" value=""/>"#),
        "{op}"
    );
    for leaked in ["orders-db.dev.internal", "15432", "Dev-Orders"] {
        assert!(!op.contains(leaked), "{leaked} leaked: {op}");
    }
    let rec_op = results
        .iter()
        .find(|r| r.name == "Orders DB Insert Operation")
        .unwrap();
    assert!(rec_op.config_stripped);
    let http = xml_of("Orders API Get Operation").await;
    assert!(!http.contains("storefront-api.dev.example.com"), "{http}");

    // Tested versions recorded after the merge.
    assert_eq!(rec.tested_versions.len(), results.len());

    // Mappings written, one per promoted component.
    let maps = engine_mappings(&w);
    assert_eq!(maps.len(), results.len());
    assert!(maps
        .iter()
        .all(|m| m.last_promotion_id.as_deref() == Some("orders-t1")));

    // Package, pack, release, deployment; the branch is kept.
    let p = w.primary();
    let pkg = rec.prod_package_id.clone().unwrap();
    let pkgs = p["packages"].as_array().unwrap();
    assert!(pkgs
        .iter()
        .any(|x| x["packageId"] == pkg.as_str() && x["packageVersion"] == "2.0.0"));
    let pack = p["packs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "Orders - TEST")
        .expect("test pack")
        .clone();
    assert_eq!(rec.test_integration_pack_id.as_deref(), pack["id"].as_str());
    let rel = p["releases"].as_array().unwrap();
    assert!(rel.iter().any(
        |r| r["requestId"] == rec.test_release_id.clone().unwrap().as_str()
            && r["status"] == "SUCCESS"
    ));
    let deps = p["deployments"].as_array().unwrap();
    assert!(deps
        .iter()
        .any(|d| d["packageId"] == pkg.as_str() && d["environmentId"] == "env-test-1"));
    assert!(
        w.branch_names().contains(&"promo-orders-t1".to_string()),
        "branch kept"
    );
    assert!(rec.branch_id.is_some());
    // The journal has no open step.
    assert!(w.store.open_steps("orders-t1").unwrap().is_empty());
    // The extension access cache of env-test-1: the Orders DB connection is team-a's (through
    // the admin mapping of dev-team-a), a connection extension; an unmapped component is
    // admin-only.
    let cache = w
        .store
        .read(|tx| tx.extension_access(Some("env-test-1")))
        .unwrap();
    let db = cache
        .iter()
        .find(|e| e.prod_component_id == "1c2d3e4f-5061-4728-93a4-b5c6d7e8f902")
        .expect("Orders DB in the cache");
    assert!(db.is_connection_extension);
    assert_eq!(db.authorized_groups, vec!["team-a".to_string()]);
    assert_eq!(db.dev_account_id, "dev-team-a");
    assert_eq!(db.owner_process_name, "Order Processing Main");
    let settings = cache
        .iter()
        .find(|e| e.component_type == "processProperty")
        .expect("process property in the cache");
    assert!(settings.authorized_groups.is_empty() && settings.dev_account_id.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn re_promotion_updates_in_place() {
    let w = World::new().await;
    w.request_test("orders-t1", "2.0.0");
    w.commit("first");
    w.converge().await;
    let first = w.record("orders-t1");
    assert_eq!(first.status, PromotionStatus::TestDeployed);
    let count_before = w.primary()["componentCount"].clone();

    // The developers changed every component since (Boomi refuses an update without change).
    for r in &first.result_detail {
        w.touch_dev("dev-team-a", &r.dev_component_id).await;
    }
    let main_before: Vec<(String, u64)> = first
        .result_detail
        .iter()
        .map(|r| {
            let id = r.prod_component_id.clone().unwrap();
            let v = w.main_versions()[&id];
            (id, v)
        })
        .collect();
    w.request_test("orders-t2", "2.0.1");
    w.commit("second");
    w.converge().await;
    let second = w.record("orders-t2");
    assert_eq!(second.status, PromotionStatus::TestDeployed, "{second:#?}");
    assert_eq!(second.components_created, 0);
    assert_eq!(second.components_updated, second.components_total);
    for r in &second.result_detail {
        assert_eq!(r.action, ComponentAction::Updated, "{r:?}");
        let before = first
            .result_detail
            .iter()
            .find(|x| x.dev_component_id == r.dev_component_id)
            .unwrap();
        assert_eq!(
            r.prod_component_id, before.prod_component_id,
            "same production component"
        );
        let main_then = main_before
            .iter()
            .find(|(id, _)| Some(id) == r.prod_component_id.as_ref())
            .unwrap()
            .1;
        assert_eq!(
            r.version.unwrap() as u64,
            main_then + 1,
            "{}: version + 1",
            r.name
        );
    }
    assert_eq!(
        w.primary()["componentCount"],
        count_before,
        "no duplicate component"
    );
    assert_eq!(engine_mappings(&w).len(), second.result_detail.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn branch_limit_waits_then_proceeds() {
    let w = World::new().await;
    // main and 14 others: 15 branches, the soft limit (Boomi's ceiling of 20 counts main too).
    let others = w.feature_branches(14).await;
    w.request_test("orders-t1", "2.0.0");
    w.commit("request");
    let report = w.converge().await;
    assert!(!report.converged());
    let rec = w.record("orders-t1");
    assert_eq!(rec.status, PromotionStatus::Queued);
    assert_eq!(rec.error_code, Some(ErrorCode::BranchLimitReached));
    assert!(rec.waiting_reason.unwrap().contains("BRANCH_LIMIT_REACHED"));
    assert!(
        !w.branch_names().contains(&"promo-orders-t1".to_string()),
        "no branch created"
    );

    w.platform.delete_branch(None, &others[0]).await.unwrap();
    let report = w.converge().await;
    assert!(report.converged(), "{report:?}");
    assert_eq!(w.record("orders-t1").status, PromotionStatus::TestDeployed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_connection_mappings_are_all_listed_and_no_branch_is_left() {
    let w = World::new().await;
    w.drop_mappings("dev-team-b");
    w.write_as(
        "carol",
        &[
            "new",
            "--id",
            "invoices-t1",
            "--account",
            "dev-team-b",
            "--process",
            "Invoice Sync",
            "--root",
            INVOICE_ROOT,
            "--package-version",
            "3.0.0",
            "--new-pack",
            "Invoices - TEST",
        ],
    );
    w.commit("request without mappings");
    w.converge().await;
    let rec = w.record("invoices-t1");
    assert_eq!(rec.status, PromotionStatus::Failed);
    assert_eq!(rec.error_code, Some(ErrorCode::MissingConnectionMappings));
    let msg = rec.error_message.unwrap();
    assert!(
        msg.contains("71526374-d6e7-48f9-8e3b-c5d6e7f8091e")
            && msg.contains("82637485-e7f8-490a-9f4c-d6e7f8091a1f"),
        "{msg}"
    );
    assert!(msg.starts_with("2 connection mapping(s) missing"), "{msg}");
    assert_eq!(w.branch_names(), vec!["main".to_string()]);
    assert!(rec.branch_id.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_write_failing_half_way_fails_everything() {
    let w = World::new().await;
    // The third component create is refused by Boomi.
    w.sim.inject(Fault::FailNth {
        endpoint: "POST Component".into(),
        nth: 3,
        count: 1,
        status: 400,
        message: Some("Invalid component configuration".into()),
        retry_after: None,
    });
    w.request_test("orders-t1", "2.0.0");
    w.commit("request");
    w.converge().await;
    let rec = w.record("orders-t1");
    assert_eq!(rec.status, PromotionStatus::Failed, "{rec:#?}");
    assert_eq!(rec.error_code, Some(ErrorCode::PromotionFailed));
    assert!(rec
        .error_message
        .as_deref()
        .unwrap()
        .contains("No component mappings were written"));
    assert!(rec.branch_id.is_none());
    assert_eq!(rec.components_failed, 1);
    let failed = rec
        .result_detail
        .iter()
        .find(|r| r.action == ComponentAction::Failed)
        .unwrap();
    let skipped: Vec<_> = rec
        .result_detail
        .iter()
        .filter(|r| r.action == ComponentAction::Skipped)
        .collect();
    assert!(!skipped.is_empty(), "dependents are skipped: {rec:#?}");
    assert!(
        skipped.iter().any(|s| s.name == "Order Processing Main"),
        "the root depends on everything"
    );
    assert!(failed
        .error_message
        .as_deref()
        .unwrap()
        .contains("Invalid component configuration"));
    assert!(engine_mappings(&w).is_empty(), "no mappings");
    assert_eq!(w.branch_names(), vec!["main".to_string()], "branch deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_requests_for_one_account_run_one_after_the_other() {
    let w = World::new().await;
    w.request_test("orders-a", "2.0.0");
    w.request_test("orders-b", "2.0.1");
    w.commit("two requests together");
    // The first one's writes keep failing for now (transient): it stays IN_PROGRESS.
    w.sim.inject(Fault::FailNth {
        endpoint: "POST Component".into(),
        nth: 2,
        count: 1000,
        status: 503,
        message: None,
        retry_after: None,
    });
    let report = w.pass().await;
    assert!(!report.converged());
    assert_eq!(w.record("orders-a").status, PromotionStatus::InProgress);
    let b = w.record("orders-b");
    assert_eq!(b.status, PromotionStatus::Queued);
    assert!(b.waiting_reason.unwrap().contains("queued behind orders-a"));
    w.sim.clear_faults();
    let report = w.converge().await;
    assert!(report.converged(), "{report:?}");
    assert_eq!(w.record("orders-a").status, PromotionStatus::TestDeployed);
    assert_eq!(w.record("orders-b").status, PromotionStatus::TestDeployed);
    // b started only after a finished C.
    let a_done = w
        .store
        .audit("orders-a")
        .unwrap()
        .into_iter()
        .find(|e| e.to == PromotionStatus::Completed)
        .unwrap();
    let b_start = w
        .store
        .audit("orders-b")
        .unwrap()
        .into_iter()
        .find(|e| e.to == PromotionStatus::InProgress)
        .unwrap();
    assert!(b_start.id > a_done.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_initiator_whose_team_lost_the_account_before_execution() {
    let w = World::new().await;
    // Hold the promotion in the queue with the branch limit.
    let main = w.platform.main_branch_id(None).await.unwrap();
    for i in 0..15 {
        w.platform
            .create_branch(None, &format!("feature-{i}"), &main, None)
            .await
            .unwrap();
    }
    w.request_test("orders-t1", "2.0.0");
    w.commit("request");
    w.converge().await;
    assert_eq!(w.record("orders-t1").status, PromotionStatus::Queued);
    // An admin moves dev-team-a away from team-a.
    let p = w.repo.join("access/policy.yaml");
    let text = std::fs::read_to_string(&p).unwrap().replace(
        "{name: team-a, devAccounts: [dev-team-a]}",
        "{name: team-a, devAccounts: []}",
    );
    std::fs::write(&p, common::world::bump_serial(&text)).unwrap();
    common::promoter()
        .arg("sign")
        .arg(&p)
        .arg("--key")
        .arg(w.key("carol"))
        .assert()
        .success();
    w.commit("team-a loses dev-team-a");
    w.converge().await;
    let rec = w.record("orders-t1");
    assert_eq!(rec.status, PromotionStatus::Failed);
    assert_eq!(rec.error_code, Some(ErrorCode::UnauthorizedAccountAccess));
    assert!(!w.branch_names().contains(&"promo-orders-t1".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_503s_converges_without_error() {
    let w = World::new().await;
    w.sim.inject(Fault::ErrorRate {
        endpoint: "*".into(),
        rate: 0.3,
        status: 503,
        seed: 7,
    });
    w.request_test("orders-t1", "2.0.0");
    w.commit("request");
    let report = w.converge().await;
    assert!(report.converged(), "{report:?}");
    let rec = w.record("orders-t1");
    assert_eq!(rec.status, PromotionStatus::TestDeployed, "{rec:#?}");
    assert!(rec.error_code.is_none() && rec.error_message.is_none());
    assert!(
        w.sim.state()["rateLimited"].as_u64().unwrap_or(0) + w.sim.calls().values().sum::<u64>()
            > 0
    );
    // No duplicates despite retries.
    let names: Vec<String> = w.branch_names();
    assert_eq!(names.iter().filter(|n| n.starts_with("promo-")).count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_orphan_sweep_reports_and_prunes_only_orphans() {
    let w = World::new().await;
    w.request_test("orders-t1", "2.0.0");
    w.commit("request");
    w.converge().await;
    let main = w.platform.main_branch_id(None).await.unwrap();
    w.platform
        .create_branch(None, "promo-gone-1", &main, None)
        .await
        .unwrap();
    w.platform
        .create_branch(None, "feature-x", &main, None)
        .await
        .unwrap();
    let ctx = &w.reconciler.ctx;
    let found = boomi_promoter::reconcile::sweep::sweep(ctx, false)
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(),
        vec!["promo-gone-1"],
        "the kept TEST branch is live"
    );
    assert!(
        w.branch_names().contains(&"promo-gone-1".to_string()),
        "only reported"
    );
    let pruned = boomi_promoter::reconcile::sweep::sweep(ctx, true)
        .await
        .unwrap();
    assert!(pruned[0].deleted);
    let names = w.branch_names();
    assert!(!names.contains(&"promo-gone-1".to_string()));
    assert!(
        names.contains(&"promo-orders-t1".to_string()) && names.contains(&"feature-x".to_string())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_answers_to_every_create_are_looked_up_not_repeated() {
    let w = World::new().await;
    // Boomi applies each of these writes but the answer never arrives (a 502 from a proxy).
    for endpoint in [
        "POST Branch",
        "POST Component",
        "POST MergeRequest",
        "POST PackagedComponent",
        "POST PublisherIntegrationPack",
        "POST DeployedPackage",
    ] {
        w.sim.inject(Fault::LoseResponse {
            endpoint: endpoint.into(),
            nth: 2.min(if endpoint == "POST Component" { 2 } else { 1 }),
            count: 1,
            status: Some(502),
        });
    }
    w.request_test("orders-t1", "2.0.0");
    w.commit("request");
    let report = w.converge().await;
    let rec = w.record("orders-t1");
    if !report.converged() {
        let root = rec
            .result_detail
            .last()
            .unwrap()
            .prod_component_id
            .clone()
            .unwrap();
        let q = w
            .platform
            .query_packaged_components(
                None,
                &boomi_promoter::boomi::PackageQuery {
                    component_id: Some(root.clone()),
                    package_version: Some("2.0.0".into()),
                    ..Default::default()
                },
            )
            .await;
        eprintln!("DBG query {q:?}");
        for s in w.store.steps("orders-t1").unwrap() {
            eprintln!("DBG step {} {:?}", s.step, s.result);
        }
    }
    assert!(
        report.converged(),
        "{report:?} {:?} {:?}",
        rec.error_code,
        rec.error_message
    );
    assert_eq!(rec.status, PromotionStatus::TestDeployed, "{rec:#?}");
    assert!(
        w.store.open_steps("orders-t1").unwrap().is_empty(),
        "every intent has its result"
    );
    // Exactly one of everything.
    assert_eq!(
        w.branch_names()
            .iter()
            .filter(|n| n.starts_with("promo-"))
            .count(),
        1
    );
    let p = w.primary();
    let ours = |key: &str, field: &str, value: &str| {
        p[key]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x[field] == value)
            .count()
    };
    assert_eq!(ours("packs", "name", "Orders - TEST"), 1);
    assert_eq!(
        ours(
            "deployments",
            "packageId",
            rec.prod_package_id.as_deref().unwrap()
        ),
        1
    );
    let created: Vec<_> = rec
        .result_detail
        .iter()
        .filter_map(|r| r.prod_component_id.clone())
        .collect();
    let unique: std::collections::BTreeSet<_> = created.iter().collect();
    assert_eq!(unique.len(), created.len());
    let names: Vec<String> = p["components"]
        .as_object()
        .unwrap()
        .values()
        .map(|c| {
            c["branches"]["main"]["name"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    for r in &rec.result_detail {
        let n = names.iter().filter(|x| **x == r.name).count();
        assert!(
            n <= 2,
            "{} appears {n} times (the seed's production copy and ours at most)",
            r.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_extension_cache_refresh_never_fails_the_deploy() {
    let w = World::new().await;
    w.sim.inject(Fault::FailNth {
        endpoint: "GET EnvironmentExtensions/{id}".into(),
        nth: 1,
        count: 100,
        status: 400,
        message: Some("No such environment".into()),
        retry_after: None,
    });
    w.request_test("orders-t1", "2.0.0");
    w.commit("request");
    let report = w.converge().await;
    assert!(report.converged(), "{report:?}");
    assert_eq!(w.record("orders-t1").status, PromotionStatus::TestDeployed);
    assert!(w
        .store
        .read(|tx| tx.extension_access(None))
        .unwrap()
        .is_empty());
}
