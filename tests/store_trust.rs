//! The store's part of the trust closure, on real SQLite files: the approvals a v3 database
//! remembered as `acted:` keys become the record's `approvals`, accepted settings and mappings
//! survive a restart, and kept problems open and clear with their cause.

use boomi_promoter::model::{ErrorCode, Problem};
use boomi_promoter::store::record::parse_ts;
use boomi_promoter::store::{
    mappings_key, schema, AcceptedDocument, ProblemScope, ProblemSource, Store, SETTINGS_KEY,
};
use std::collections::BTreeSet;

#[test]
fn a_v3_database_keeps_the_reviews_it_acted_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        for m in &schema::MIGRATIONS[..3] {
            conn.execute_batch(m).unwrap();
        }
        conn.pragma_update(None, "user_version", 3).unwrap();
        conn.execute(
            "INSERT INTO promotions (\"promotionId\", \"devAccountId\", \"initiatedBy\", \"initiatedAt\",
                 \"status\", \"processName\", \"targetEnvironment\", \"updatedAt\", \"requestDigest\",
                 \"peerReviewStatus\", \"peerReviewedBy\", \"adminReviewStatus\", \"adminApprovedBy\")
             VALUES ('fix-1', 'dev-a', 'alice@example.com', '2026-01-01T00:00:00.000000Z',
                 'DEPLOYING', 'Orders', 'PRODUCTION', '2026-01-01T00:00:00.000000Z', 'sha256:req',
                 'PEER_APPROVED', 'bob@example.com', 'ADMIN_APPROVED', 'carol@example.com')",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO promotions (\"promotionId\", \"devAccountId\", \"initiatedBy\", \"initiatedAt\",
                 \"status\", \"processName\", \"targetEnvironment\", \"updatedAt\")
             VALUES ('tst-1', 'dev-a', 'alice@example.com', '2026-01-01T00:00:00.000000Z',
                 'TEST_DEPLOYED', 'Orders', 'TEST', '2026-01-01T00:00:00.000000Z')",
            [],
        )
        .unwrap();
        for (k, v) in [
            ("acted:fix-1:peer-review", "sha256:peer"),
            ("acted:fix-1:admin-review", "sha256:admin"),
        ] {
            conn.execute("INSERT INTO meta (key, value) VALUES (?1, ?2)", [k, v])
                .unwrap();
        }
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), schema::current_version());
    let fix = store.get("fix-1").unwrap().unwrap();
    let peer = fix.approvals.peer.expect("peer review carried over");
    assert_eq!(peer.decision, "APPROVED");
    assert_eq!(peer.by, "bob@example.com");
    assert_eq!(peer.digest, "sha256:peer");
    assert_eq!(peer.request_digest, "sha256:req");
    let admin = fix.approvals.admin.expect("admin decision carried over");
    assert_eq!(admin.decision, "APPROVED");
    assert_eq!(admin.by, "carol@example.com");
    assert_eq!(admin.digest, "sha256:admin");
    assert_eq!(admin.peer_review_digest.as_deref(), Some("sha256:peer"));
    let tst = store.get("tst-1").unwrap().unwrap();
    assert_eq!(tst.approvals, Default::default());
}

#[test]
fn accepted_settings_and_mappings_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let at = parse_ts("2026-12-01T10:00:00.000000Z").unwrap();
    {
        let store = Store::open(&path).unwrap();
        for (key, file, serial) in [
            (SETTINGS_KEY.to_string(), "promoter.yaml", 3),
            (mappings_key("dev-a"), "mappings/dev-a.yaml", 7),
        ] {
            store
                .accept_document(&AcceptedDocument {
                    key,
                    path: file.into(),
                    bytes: format!("serial: {serial}\n").into_bytes(),
                    digest: format!("sha256:{serial}"),
                    serial,
                    commit: "c1".into(),
                    accepted_at: at,
                })
                .unwrap();
        }
        // A newer settings version replaces the old one.
        store
            .accept_document(&AcceptedDocument {
                key: SETTINGS_KEY.into(),
                path: "promoter.yaml".into(),
                bytes: b"serial: 4\n".to_vec(),
                digest: "sha256:4".into(),
                serial: 4,
                commit: "c2".into(),
                accepted_at: at,
            })
            .unwrap();
    }
    let store = Store::open(&path).unwrap();
    let docs = store.accepted_documents().unwrap();
    assert_eq!(docs.len(), 2);
    let settings = docs.iter().find(|d| d.key == SETTINGS_KEY).unwrap();
    assert_eq!((settings.serial, settings.commit.as_str()), (4, "c2"));
    let m = docs.iter().find(|d| d.key == "mappings:dev-a").unwrap();
    assert_eq!(m.serial, 7);
    assert_eq!(m.bytes, b"serial: 7\n");
}

#[test]
fn problems_open_once_and_clear_with_their_cause() {
    let store = Store::open_in_memory().unwrap();
    let t1 = parse_ts("2026-12-01T10:00:00.000000Z").unwrap();
    let t2 = parse_ts("2026-12-01T11:00:00.000000Z").unwrap();
    let review = Problem::new(
        "promotions/p1/peer-review.yaml",
        ErrorCode::SelfReviewNotAllowed,
        "alice initiated this promotion and cannot peer-review it",
    )
    .at(Some(6), None)
    .by(Some("alice@example.com"), Some("alice@example.com"));
    let policy = Problem::new(
        "access/policy.yaml",
        ErrorCode::PolicyChangeUntrusted,
        "policy change refused",
    );
    let sync = |ps: &[Problem], commit: &str, at| {
        store
            .write(|tx| {
                tx.sync_problems(ProblemSource::Document, ProblemScope::All, ps, commit, at)
            })
            .unwrap()
    };
    let opened = sync(&[review.clone(), policy.clone()], "c1", t1);
    assert_eq!(opened.len(), 2);
    assert_eq!(opened[0].promotion_id.as_deref(), Some("p1"));
    assert_eq!(opened[1].promotion_id, None);
    // The same problems again: nothing new.
    assert!(sync(&[review.clone(), policy.clone()], "c2", t2).is_empty());
    let open = store.open_problems(Some("p1")).unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].problem.claimed(), Some("alice@example.com"));
    assert_eq!(open[0].problem.line, Some(6));
    assert_eq!(open[0].commit, "c1", "first seen in c1");
    assert_eq!(
        store.open_problem_counts().unwrap().get("p1").copied(),
        Some(1)
    );
    // The self-review is deleted: its problem clears; the policy's stays.
    assert!(sync(std::slice::from_ref(&policy), "c3", t2).is_empty());
    assert!(store.open_problems(Some("p1")).unwrap().is_empty());
    let all = store.problems_of("p1").unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].cleared_commit.as_deref(), Some("c3"));
    assert_eq!(all[0].cleared_at, Some(t2));
    assert_eq!(store.open_problems(None).unwrap().len(), 1);

    // Lifecycle problems are kept per promotion: a sync for p2 leaves p3's alone.
    let late = |id: &str| {
        Problem::new(
            format!("promotions/{id}/peer-review.yaml"),
            ErrorCode::InvalidPromotionStatus,
            "late",
        )
    };
    let lifecycle = |ids: &[&str], ps: &[Problem]| {
        let ids: BTreeSet<String> = ids.iter().map(|s| s.to_string()).collect();
        store
            .write(|tx| {
                tx.sync_problems(
                    ProblemSource::Lifecycle,
                    ProblemScope::Promotions(&ids),
                    ps,
                    "c4",
                    t2,
                )
            })
            .unwrap()
    };
    assert_eq!(lifecycle(&["p2", "p3"], &[late("p2"), late("p3")]).len(), 2);
    assert!(lifecycle(&["p2"], &[]).is_empty());
    assert!(store.open_problems(Some("p2")).unwrap().is_empty());
    assert_eq!(store.open_problems(Some("p3")).unwrap().len(), 1);
    // ...and a document sync does not touch lifecycle problems.
    sync(&[], "c5", t2);
    assert_eq!(store.open_problems(Some("p3")).unwrap().len(), 1);
    assert!(store
        .open_problems(None)
        .unwrap()
        .iter()
        .all(|p| p.problem.file != "access/policy.yaml"));
}
