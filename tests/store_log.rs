//! End-to-end tests of the state store on real SQLite files: migrations, the promotion log
//! with compare-and-set transitions and audit, the journal, and the queries.

use boomi_promoter::model::{ErrorCode, PromotionStatus as S, Target};
use boomi_promoter::store::record::parse_ts;
use boomi_promoter::store::{
    schema, Cause, ComponentAction, ComponentResult, ComponentStatus, DeploymentResult,
    DeploymentStatus, PromotionFilter, PromotionRecord, Store, StoreError, TestedVersion,
    Transition,
};
use chrono::{DateTime, Utc};
use serde_json::json;

fn t(s: &str) -> DateTime<Utc> {
    parse_ts(s).unwrap()
}

fn rec(id: &str, status: S, target: Target, at: &str) -> PromotionRecord {
    PromotionRecord::new(
        id,
        "dev-a",
        "Alice@Example.com",
        "Orders",
        target,
        status,
        t(at),
    )
}

fn engine() -> Cause {
    Cause::new("reconciler")
}

/// Insert a record and walk it through `path` (each step a valid transition of its mode). A
/// production record born waiting for its peer is one from a TEST promotion.
fn walk(store: &Store, mut r: PromotionRecord, path: &[S]) -> PromotionRecord {
    if r.status == S::PendingPeerReview && r.test_promotion_id.is_none() {
        r.test_promotion_id = Some("tst-base".into());
    }
    let mut out = store.insert_promotion(&r, &engine()).unwrap();
    for s in path {
        out = store
            .transition(&r.promotion_id, &Transition::to(*s, engine()))
            .unwrap();
    }
    out
}

#[test]
fn opening_a_v1_database_migrates_it_and_reopening_is_a_no_op() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    {
        // A database as the first release wrote it.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(schema::MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO promotions (\"promotionId\", \"devAccountId\", \"initiatedBy\", \"initiatedAt\",
                 \"status\", \"processName\", \"targetEnvironment\", \"updatedAt\")
             VALUES ('old-one', 'dev-a', 'bob@example.com', '2026-01-01T00:00:00.000000Z',
                 'TEST_DEPLOYED', 'Orders', 'TEST', '2026-01-01T00:00:00.000000Z')",
            [],
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), schema::current_version());
    assert!(schema::current_version() >= 2);
    let old = store
        .get("old-one")
        .unwrap()
        .expect("row kept across migration");
    assert_eq!(old.status, S::TestDeployed);
    assert_eq!(old.waiting_reason, None);
    assert!(old.deployments.is_empty());
    drop(store);

    // Reopening applies nothing.
    let mut conn = rusqlite::Connection::open(&path).unwrap();
    assert_eq!(schema::migrate(&mut conn).unwrap(), 0);
    drop(conn);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), schema::current_version());
    assert!(store.get("old-one").unwrap().is_some());

    // The file is in WAL mode.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn a_database_newer_than_the_build_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", schema::current_version() + 1)
        .unwrap();
    drop(conn);
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::SchemaTooNew { .. }), "{err}");
    assert_eq!(err.code(), ErrorCode::DatahubError);
}

#[test]
fn a_full_record_round_trips_through_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/state.db");
    let mut r = rec("orders-1", S::Queued, Target::Test, "2026-11-21T08:00:00Z");
    r.prod_account_id = "primary".into();
    r.dev_package_id = Some("pkg-1".into());
    r.components_total = 2;
    r.result_detail = vec![ComponentResult {
        dev_component_id: "d1".into(),
        prod_component_id: Some("p1".into()),
        name: "Main \"process\"".into(),
        component_type: "process".into(),
        action: ComponentAction::Created,
        status: ComponentStatus::Success,
        version: Some(3),
        config_stripped: true,
        error_message: None,
    }];
    r.is_hotfix = true;
    r.hotfix_justification = Some("prod down".into());
    r.error_code = Some(ErrorCode::BranchLimitReached);
    r.waiting_reason = Some("branch limit reached (15/15)".into());
    r.document_commits.request = Some("c0ffee".into());
    r.tested_versions = vec![TestedVersion {
        component_id: "p1".into(),
        name: "Main".into(),
        version: 4,
    }];
    r.deployments = vec![DeploymentResult {
        environment_id: "env-test".into(),
        deployment_id: Some("dep-1".into()),
        status: DeploymentStatus::Deployed,
        error: None,
    }];
    r.test_deployed_at = Some(t("2026-11-21T09:00:00.123456Z"));
    r.request_digest = Some("sha256:00".into());
    let stored = Store::open(&path)
        .unwrap()
        .insert_promotion(&r, &engine().at(t("2026-11-21T08:00:01Z")))
        .unwrap();
    assert_eq!(stored.initiated_by, "alice@example.com");
    let back = Store::open(&path)
        .unwrap()
        .get("orders-1")
        .unwrap()
        .unwrap();
    assert_eq!(back, stored);
    assert_eq!(
        serde_json::to_value(&back).unwrap(),
        serde_json::to_value(&stored).unwrap()
    );
}

#[test]
fn transitions_are_checked_against_the_table_and_audited() {
    let store = Store::open_in_memory().unwrap();
    // A record cannot be born DEPLOYED.
    let err = store
        .insert_promotion(
            &rec(
                "x-1",
                S::Deployed,
                Target::Production,
                "2026-11-21T08:00:00Z",
            ),
            &engine(),
        )
        .unwrap_err();
    assert!(matches!(
        err,
        StoreError::RefusedTransition { from: None, .. }
    ));
    assert!(store.get("x-1").unwrap().is_none());

    store
        .insert_promotion(
            &rec("p-1", S::Queued, Target::Test, "2026-11-21T08:00:00Z"),
            &engine(),
        )
        .unwrap();
    // QUEUED -> DEPLOYED is not in the table: refused, nothing written.
    let err = store
        .transition("p-1", &Transition::to(S::Deployed, engine()))
        .unwrap_err();
    assert!(matches!(
        err,
        StoreError::RefusedTransition {
            from: Some(S::Queued),
            to: S::Deployed,
            ..
        }
    ));
    assert_eq!(err.code(), ErrorCode::InvalidPromotionStatus);
    assert_eq!(store.get("p-1").unwrap().unwrap().status, S::Queued);

    // Compare-and-set: a decision taken from a stale status is refused.
    let err = store
        .transition(
            "p-1",
            &Transition::from_to(S::InProgress, S::Completed, engine()),
        )
        .unwrap_err();
    assert!(matches!(
        err,
        StoreError::StatusConflict {
            expected: S::InProgress,
            actual: S::Queued,
            ..
        }
    ));

    let cause = Cause::new("Bob@Example.com")
        .document("promotions/p-1/request.yaml")
        .commit("abc123")
        .reason("started")
        .at(t("2026-11-21T08:05:00Z"));
    let r = store
        .transition("p-1", &Transition::from_to(S::Queued, S::InProgress, cause))
        .unwrap();
    assert_eq!(r.status, S::InProgress);
    assert_eq!(r.updated_at, t("2026-11-21T08:05:00Z"));

    // An edit may not sneak a status change in.
    let err = store
        .update("p-1", |r| r.status = S::Completed)
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)));
    assert_eq!(store.get("p-1").unwrap().unwrap().status, S::InProgress);

    let audit = store.audit("p-1").unwrap();
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[0].from, None);
    assert_eq!(audit[0].to, S::Queued);
    assert_eq!(audit[1].from, Some(S::Queued));
    assert_eq!(audit[1].to, S::InProgress);
    assert_eq!(audit[1].actor, "bob@example.com");
    assert_eq!(
        audit[1].document.as_deref(),
        Some("promotions/p-1/request.yaml")
    );
    assert_eq!(audit[1].commit.as_deref(), Some("abc123"));
    assert_eq!(audit[1].reason.as_deref(), Some("started"));
    assert_eq!(audit[1].at, t("2026-11-21T08:05:00Z"));

    // Unknown promotion.
    let err = store
        .transition("nope", &Transition::to(S::InProgress, engine()))
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::PromotionNotFound);
}

#[test]
fn ids_are_never_reused() {
    let store = Store::open_in_memory().unwrap();
    let r = rec("once", S::Queued, Target::Test, "2026-11-21T08:00:00Z");
    store.insert_promotion(&r, &engine().commit("c1")).unwrap();
    assert!(store.is_accepted("once").unwrap());
    let err = store.insert_promotion(&r, &engine()).unwrap_err();
    assert!(matches!(err, StoreError::AlreadyExists(_)));
    assert_eq!(err.code(), ErrorCode::PromotionIdReused);
    assert!(!store.accept_id("once", None).unwrap());
    assert!(store.accept_id("other", Some("c2")).unwrap());
    assert_eq!(store.accepted_ids().unwrap(), vec!["once", "other"]);
}

#[test]
fn the_journal_writes_results_and_transitions_atomically() {
    let store = Store::open_in_memory().unwrap();
    walk(
        &store,
        rec("j-1", S::Queued, Target::Test, "2026-11-21T08:00:00Z"),
        &[S::InProgress],
    );

    let a = store
        .begin_step("j-1", "create-branch", &json!({"name": "promo-j-1"}))
        .unwrap();
    let b = store
        .begin_step("j-1", "promote-component", &json!({"devComponentId": "d1"}))
        .unwrap();
    let open = store.open_steps("j-1").unwrap();
    assert_eq!(store.all_open_steps().unwrap(), open);
    assert_eq!(open.iter().map(|s| s.id).collect::<Vec<_>>(), vec![a, b]);
    assert_eq!(open[0].intent["name"], "promo-j-1");

    // Finishing with a refused transition rolls the result back too: the step stays open.
    let err = store
        .finish_step(
            a,
            &json!({"branchId": "B1"}),
            Some(&Transition::to(S::Deployed, engine())),
            |r| r.branch_id = Some("B1".into()),
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::RefusedTransition { .. }));
    assert_eq!(store.open_steps("j-1").unwrap().len(), 2);
    assert_eq!(store.get("j-1").unwrap().unwrap().branch_id, None);

    // A plain result with a record edit.
    let r = store
        .finish_step(a, &json!({"branchId": "B1"}), None, |r| {
            r.branch_id = Some("B1".into());
            r.branch_name = Some("promo-j-1".into());
        })
        .unwrap();
    assert_eq!(r.branch_id.as_deref(), Some("B1"));
    assert_eq!(r.status, S::InProgress);

    // The last step completes the promotion in the same transaction.
    let r = store
        .finish_step(
            b,
            &json!({"prodComponentId": "p1"}),
            Some(&Transition::from_to(S::InProgress, S::Completed, engine())),
            |r| r.components_created = 1,
        )
        .unwrap();
    assert_eq!(r.status, S::Completed);
    assert_eq!(r.components_created, 1);
    assert!(store.open_steps("j-1").unwrap().is_empty());
    let steps = store.steps("j-1").unwrap();
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[1].result.as_ref().unwrap()["prodComponentId"], "p1");
    assert!(steps[1].finished_at.is_some());

    assert!(matches!(
        store.finish_step(b, &json!({}), None, |_| {}).unwrap_err(),
        StoreError::StepFinished(_)
    ));
    assert!(matches!(
        store
            .finish_step(boomi_promoter::store::StepId(999), &json!({}), None, |_| {})
            .unwrap_err(),
        StoreError::StepNotFound(999)
    ));
    // No step for an unknown promotion.
    assert!(store.begin_step("ghost", "x", &json!({})).is_err());
}

#[test]
fn several_operations_commit_together_or_not_at_all() {
    let store = Store::open_in_memory().unwrap();
    let r = store.write(|tx| {
        tx.insert_promotion(
            &rec("w-1", S::Queued, Target::Test, "2026-11-21T08:00:00Z"),
            &engine(),
        )?;
        tx.set_meta("k", "v")?;
        Err::<(), _>(StoreError::Invalid("abort".into()))
    });
    assert!(r.is_err());
    assert!(store.get("w-1").unwrap().is_none());
    assert!(!store.is_accepted("w-1").unwrap());
    assert_eq!(store.meta("k").unwrap(), None);
}

#[test]
fn queues_follow_the_seed_rules() {
    let store = Store::open_in_memory().unwrap();
    let peer_path = [S::InProgress, S::Completed, S::PendingPeerReview];
    walk(
        &store,
        rec(
            "peer-old",
            S::Queued,
            Target::Production,
            "2026-11-20T08:00:00Z",
        ),
        &peer_path,
    );
    let mut mine = rec(
        "peer-mine",
        S::Queued,
        Target::Production,
        "2026-11-21T08:00:00Z",
    );
    mine.initiated_by = "bob@example.com".into();
    walk(&store, mine, &peer_path);
    walk(
        &store,
        rec(
            "admin-1",
            S::PendingPeerReview,
            Target::Production,
            "2026-11-21T07:00:00Z",
        ),
        &[S::PendingAdminReview],
    );
    walk(
        &store,
        rec(
            "withdrawn",
            S::PendingPeerReview,
            Target::Production,
            "2026-11-21T06:00:00Z",
        ),
        &[S::Withdrawn],
    );

    let ids = |v: Vec<PromotionRecord>| v.into_iter().map(|r| r.promotion_id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.peer_queue(None).unwrap()),
        vec!["peer-mine", "peer-old"]
    );
    assert_eq!(
        ids(store.peer_queue(Some("BOB@example.COM")).unwrap()),
        vec!["peer-old"]
    );
    assert_eq!(ids(store.admin_queue(None).unwrap()), vec!["admin-1"]);
    assert!(store
        .admin_queue(Some("alice@example.com"))
        .unwrap()
        .is_empty());

    let counts = store.count_by_status().unwrap();
    assert_eq!(counts.len(), S::ALL.len());
    assert!(counts.contains(&(S::PendingPeerReview, 2)));
    assert!(counts.contains(&(S::Withdrawn, 1)));
    assert!(counts.contains(&(S::Deployed, 0)));
}

fn test_deployed(store: &Store, id: &str, at: &str, pack: &str) {
    let mut r = rec(id, S::Queued, Target::Test, at);
    r.test_deployed_at = Some(t(at));
    r.test_integration_pack_id = Some(pack.into());
    r.test_integration_pack_name = Some(format!("{pack} - TEST"));
    r.integration_pack_id = Some(pack.into());
    walk(
        store,
        r,
        &[
            S::InProgress,
            S::Completed,
            S::TestDeploying,
            S::TestDeployed,
        ],
    );
}

fn production_of(store: &Store, id: &str, test: &str, path: &[S]) {
    let mut r = rec(
        id,
        S::PendingPeerReview,
        Target::Production,
        "2026-11-21T10:00:00Z",
    );
    r.test_promotion_id = Some(test.into());
    walk(store, r, path);
}

#[test]
fn the_ready_queue_hides_tests_with_a_live_production_successor() {
    let store = Store::open_in_memory().unwrap();
    test_deployed(&store, "t-live", "2026-11-01T00:00:00Z", "ip1");
    test_deployed(&store, "t-rejected", "2026-11-02T00:00:00Z", "ip1");
    test_deployed(&store, "t-done", "2026-11-03T00:00:00Z", "ip1");
    test_deployed(&store, "t-free", "2026-11-04T00:00:00Z", "ip1");
    let mut other = rec("t-other", S::Queued, Target::Test, "2026-11-05T00:00:00Z");
    other.dev_account_id = "dev-b".into();
    walk(
        &store,
        other,
        &[
            S::InProgress,
            S::Completed,
            S::TestDeploying,
            S::TestDeployed,
        ],
    );
    // Not TEST_DEPLOYED: never ready.
    walk(
        &store,
        rec("t-failed", S::Queued, Target::Test, "2026-11-06T00:00:00Z"),
        &[S::Failed],
    );

    production_of(&store, "p-live", "t-live", &[]);
    production_of(&store, "p-rej", "t-rejected", &[S::PeerRejected]);
    production_of(
        &store,
        "p-done",
        "t-done",
        &[S::PendingAdminReview, S::Deploying, S::Deployed],
    );

    let ids = |v: Vec<PromotionRecord>| v.into_iter().map(|r| r.promotion_id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.ready_queue(None, None).unwrap()),
        vec!["t-other", "t-free", "t-rejected"]
    );
    assert_eq!(
        ids(store.ready_queue(Some("dev-a"), None).unwrap()),
        vec!["t-free", "t-rejected"]
    );
    assert!(store
        .ready_queue(None, Some("nobody@example.com"))
        .unwrap()
        .is_empty());
    assert_eq!(
        store
            .ready_queue(None, Some("ALICE@example.com"))
            .unwrap()
            .len(),
        3
    );

    assert_eq!(
        store
            .read(|tx| tx.production_successor("t-live"))
            .unwrap()
            .unwrap()
            .promotion_id,
        "p-live"
    );
    assert!(store
        .read(|tx| tx.production_successor("t-rejected"))
        .unwrap()
        .is_none());
}

#[test]
fn pack_suggestions_come_from_the_newest_deploy_of_the_same_process() {
    let store = Store::open_in_memory().unwrap();
    assert_eq!(store.suggest_pack("Orders", Target::Test).unwrap(), None);
    test_deployed(&store, "t-1", "2026-11-01T00:00:00Z", "ip-old");
    test_deployed(&store, "t-2", "2026-11-03T00:00:00Z", "ip-new");
    let s = store.suggest_pack("Orders", Target::Test).unwrap().unwrap();
    assert_eq!(s.pack_id, "ip-new");
    assert_eq!(s.pack_name.as_deref(), Some("ip-new - TEST"));
    assert_eq!(s.from_promotion, "t-2");
    assert_eq!(store.suggest_pack("Billing", Target::Test).unwrap(), None);
    // A TEST deploy is no production history.
    assert_eq!(
        store.suggest_pack("Orders", Target::Production).unwrap(),
        None
    );

    for (id, at, pack) in [
        ("p-1", "2026-11-10T00:00:00Z", "prod-b"),
        ("p-2", "2026-11-05T00:00:00Z", "prod-a"),
    ] {
        let mut r = rec(
            id,
            S::PendingPeerReview,
            Target::Production,
            "2026-11-01T00:00:00Z",
        );
        r.integration_pack_id = Some(pack.into());
        r.integration_pack_name = Some(format!("Orders {pack}"));
        r.deployed_at = Some(t(at));
        walk(
            &store,
            r,
            &[S::PendingAdminReview, S::Deploying, S::Deployed],
        );
    }
    let mut undeployed = rec(
        "p-3",
        S::PendingPeerReview,
        Target::Production,
        "2026-11-20T00:00:00Z",
    );
    undeployed.integration_pack_id = Some("prod-c".into());
    walk(&store, undeployed, &[]);
    let s = store
        .suggest_pack("Orders", Target::Production)
        .unwrap()
        .unwrap();
    assert_eq!(
        (s.pack_id.as_str(), s.from_promotion.as_str()),
        ("prod-b", "p-1")
    );
}

#[test]
fn history_filters_by_process_component_and_dates() {
    let store = Store::open_in_memory().unwrap();
    for (id, at, process, comp) in [
        ("h-1", "2026-11-01T00:00:00Z", "Orders", "d-1"),
        ("h-2", "2026-11-02T00:00:00Z", "Orders", "d-2"),
        ("h-3", "2026-11-03T00:00:00Z", "Billing", "d-1"),
    ] {
        let mut r = rec(id, S::Queued, Target::Test, at);
        r.process_name = process.into();
        r.result_detail = vec![ComponentResult {
            dev_component_id: comp.into(),
            prod_component_id: Some(format!("prod-{comp}")),
            name: "x".into(),
            component_type: "process".into(),
            action: ComponentAction::Updated,
            status: ComponentStatus::Success,
            version: Some(2),
            config_stripped: false,
            error_message: None,
        }];
        store.insert_promotion(&r, &engine()).unwrap();
    }
    let ids = |f: PromotionFilter| {
        store
            .list(&f)
            .unwrap()
            .into_iter()
            .map(|r| r.promotion_id)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(PromotionFilter::default()), vec!["h-3", "h-2", "h-1"]);
    assert_eq!(
        ids(PromotionFilter {
            process_name: Some("Orders".into()),
            ..Default::default()
        }),
        vec!["h-2", "h-1"]
    );
    assert_eq!(
        ids(PromotionFilter {
            component_id: Some("d-1".into()),
            ..Default::default()
        }),
        vec!["h-3", "h-1"]
    );
    assert_eq!(
        ids(PromotionFilter {
            component_id: Some("prod-d-2".into()),
            ..Default::default()
        }),
        vec!["h-2"]
    );
    assert_eq!(
        ids(PromotionFilter {
            since: Some(t("2026-11-02T00:00:00Z")),
            until: Some(t("2026-11-02T23:59:59Z")),
            ..Default::default()
        }),
        vec!["h-2"]
    );
    assert_eq!(
        ids(PromotionFilter {
            limit: Some(1),
            ..Default::default()
        }),
        vec!["h-3"]
    );
    assert_eq!(
        ids(PromotionFilter {
            statuses: vec![S::Queued, S::Failed],
            initiated_by: Some("ALICE@EXAMPLE.COM".into()),
            ..Default::default()
        })
        .len(),
        3
    );
}

#[test]
fn the_account_lock_finds_the_in_progress_promotion() {
    let store = Store::open_in_memory().unwrap();
    walk(
        &store,
        rec("a-1", S::Queued, Target::Test, "2026-11-21T08:00:00Z"),
        &[S::InProgress],
    );
    walk(
        &store,
        rec("a-2", S::Queued, Target::Test, "2026-11-21T08:01:00Z"),
        &[],
    );
    assert_eq!(
        store
            .in_progress_for_account("dev-a")
            .unwrap()
            .unwrap()
            .promotion_id,
        "a-1"
    );
    assert!(store.in_progress_for_account("dev-b").unwrap().is_none());
    store
        .transition("a-1", &Transition::to(S::Completed, engine()))
        .unwrap();
    assert!(store.in_progress_for_account("dev-a").unwrap().is_none());
}

#[test]
fn queued_promotions_start_oldest_first_and_branches_are_tracked() {
    let store = Store::open_in_memory().unwrap();
    walk(
        &store,
        rec("q-2", S::Queued, Target::Test, "2026-11-21T08:02:00Z"),
        &[],
    );
    walk(
        &store,
        rec("q-1", S::Queued, Target::Test, "2026-11-21T08:01:00Z"),
        &[],
    );
    let mut other = rec("q-b", S::Queued, Target::Test, "2026-11-21T08:00:00Z");
    other.dev_account_id = "dev-b".into();
    walk(&store, other, &[]);
    let ids: Vec<_> = store
        .queued_for_account("dev-a")
        .unwrap()
        .into_iter()
        .map(|r| r.promotion_id)
        .collect();
    assert_eq!(ids, vec!["q-1", "q-2"]);

    assert!(store.branches_in_use().unwrap().is_empty());
    store
        .update("q-1", |r| {
            r.branch_id = Some("B-1".into());
            r.branch_name = Some("promo-q-1".into());
        })
        .unwrap();
    store
        .update("q-2", |r| r.branch_id = Some(String::new()))
        .unwrap();
    let held = store.branches_in_use().unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].branch_id.as_deref(), Some("B-1"));
    store.update("q-1", |r| r.branch_id = None).unwrap();
    assert!(store.branches_in_use().unwrap().is_empty());
}

#[test]
fn emails_are_lower_cased_and_error_messages_bounded() {
    let store = Store::open_in_memory().unwrap();
    walk(
        &store,
        rec(
            "n-1",
            S::PendingPeerReview,
            Target::Production,
            "2026-11-21T08:00:00Z",
        ),
        &[],
    );
    let r = store
        .transition(
            "n-1",
            &Transition::to(S::PendingAdminReview, Cause::new("Bob@Example.com")),
        )
        .unwrap();
    assert_eq!(r.status, S::PendingAdminReview);
    let r = store
        .update("n-1", |r| {
            r.peer_reviewed_by = Some("Bob@Example.COM".into());
            r.initiated_by = "ALICE@example.com".into();
            r.error_message = Some("é".repeat(6000));
        })
        .unwrap();
    assert_eq!(r.peer_reviewed_by.as_deref(), Some("bob@example.com"));
    assert_eq!(r.initiated_by, "alice@example.com");
    let msg = store.get("n-1").unwrap().unwrap().error_message.unwrap();
    assert_eq!(
        msg.chars().count(),
        boomi_promoter::store::ERROR_MESSAGE_LIMIT
    );
    assert!(msg.ends_with('…'));
}

#[test]
fn a_read_only_handle_reads_beside_a_writer_and_cannot_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    // Nothing there yet: refused, and nothing is created.
    assert!(Store::open_read_only(&path).is_err());
    assert!(!path.exists());

    let writer = Store::open(&path).unwrap();
    walk(
        &writer,
        rec("ro-1", S::Queued, Target::Test, "2026-11-21T08:00:00Z"),
        &[],
    );
    let reader = Store::open_read_only(&path).unwrap();
    assert_eq!(reader.get("ro-1").unwrap().unwrap().status, S::Queued);
    writer
        .transition("ro-1", &Transition::to(S::InProgress, engine()))
        .unwrap();
    assert_eq!(reader.get("ro-1").unwrap().unwrap().status, S::InProgress);
    assert!(reader.set_meta("k", "v").is_err());
    assert!(reader
        .transition("ro-1", &Transition::to(S::Completed, engine()))
        .is_err());
    assert_eq!(writer.get("ro-1").unwrap().unwrap().status, S::InProgress);
}
