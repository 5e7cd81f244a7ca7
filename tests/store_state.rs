//! End-to-end tests of the store's mappings, accepted policy and key/value table.

use boomi_promoter::store::record::parse_ts;
use boomi_promoter::store::{
    AcceptedPolicy, ComponentMapping, MappingFilter, MappingSource, Store, StoreError,
};

fn mapping(
    account: &str,
    dev: &str,
    prod: &str,
    version: i64,
    source: MappingSource,
) -> ComponentMapping {
    ComponentMapping {
        dev_account_id: account.into(),
        dev_component_id: dev.into(),
        prod_component_id: prod.into(),
        component_name: format!("Name, of {dev}"),
        component_type: "connection".into(),
        prod_account_id: "primary".into(),
        prod_latest_version: Some(version),
        last_promoted_at: Some(parse_ts("2026-11-21T08:00:00Z").unwrap()),
        last_promoted_by: Some("Alice@Example.com".into()),
        last_promotion_id: None,
        source,
    }
}

#[test]
fn mappings_are_unique_per_account_and_dev_id() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s.db")).unwrap();
    store
        .upsert_mappings(&[
            mapping("dev-a", "c1", "P1", 1, MappingSource::Admin),
            mapping("dev-a", "c2", "P1", 1, MappingSource::Admin),
            mapping("dev-b", "c1", "P1", 1, MappingSource::Admin),
        ])
        .unwrap();
    // Re-promotion updates in place.
    let mut again = mapping("dev-a", "c1", "P1", 2, MappingSource::Engine);
    again.last_promotion_id = Some("orders-2".into());
    store.upsert_mapping(&again).unwrap();

    let all = store.mappings(&MappingFilter::default()).unwrap();
    assert_eq!(all.len(), 3);
    let a = store.mappings_of_account("dev-a").unwrap();
    assert_eq!(a.len(), 2);
    assert_eq!(a["c1"].prod_latest_version, Some(2));
    assert_eq!(a["c1"].source, MappingSource::Engine);
    assert_eq!(
        a["c1"].last_promoted_by.as_deref(),
        Some("alice@example.com")
    );
    assert_eq!(a["c1"].last_promotion_id.as_deref(), Some("orders-2"));

    let by_dev = store
        .mappings(&MappingFilter {
            dev_component_id: Some("c1".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(by_dev.len(), 2);
    let admin = store
        .mappings(&MappingFilter {
            source: Some(MappingSource::Admin),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(admin.len(), 2);

    let csv = store
        .export_mappings_csv(&MappingFilter {
            dev_account_id: Some("dev-b".into()),
            ..Default::default()
        })
        .unwrap();
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert!(lines[0].starts_with("devAccountId,devComponentId,prodComponentId,"));
    assert_eq!(
        lines[1],
        "dev-b,c1,P1,\"Name, of c1\",connection,primary,1,2026-11-21T08:00:00.000000Z,alice@example.com,,ADMIN"
    );
    assert_eq!(lines.len(), 3); // header, one row, trailing empty

    assert!(store.delete_mapping("dev-b", "c1").unwrap());
    assert!(!store.delete_mapping("dev-b", "c1").unwrap());
    assert_eq!(store.mappings(&MappingFilter::default()).unwrap().len(), 2);

    // A mapping without its key is refused.
    let mut bad = mapping("dev-a", "", "P1", 1, MappingSource::Admin);
    bad.dev_component_id.clear();
    assert!(matches!(
        store.upsert_mapping(&bad).unwrap_err(),
        StoreError::Invalid(_)
    ));
}

#[test]
fn a_failed_batch_writes_no_mapping() {
    let store = Store::open_in_memory().unwrap();
    let mut bad = mapping("dev-a", "c2", "", 1, MappingSource::Engine);
    bad.prod_component_id.clear();
    let err = store
        .upsert_mappings(&[mapping("dev-a", "c1", "P1", 1, MappingSource::Engine), bad])
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)));
    assert!(store
        .mappings(&MappingFilter::default())
        .unwrap()
        .is_empty());
}

#[test]
fn the_accepted_policy_and_the_last_commit_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    {
        let store = Store::open(&path).unwrap();
        assert_eq!(store.accepted_policy().unwrap(), None);
        assert_eq!(store.last_reconciled_commit().unwrap(), None);
        let at = parse_ts("2026-11-21T08:00:00Z").unwrap();
        store
            .accept_policy(&AcceptedPolicy {
                bytes: b"v1".to_vec(),
                digest: "sha256:1".into(),
                commit: "c1".into(),
                accepted_at: at,
            })
            .unwrap();
        store
            .accept_policy(&AcceptedPolicy {
                bytes: b"v2\0".to_vec(),
                digest: "sha256:2".into(),
                commit: "c2".into(),
                accepted_at: at,
            })
            .unwrap();
        store.set_last_reconciled_commit("c1").unwrap();
        store.set_last_reconciled_commit("c2").unwrap();
    }
    let store = Store::open(&path).unwrap();
    let p = store.accepted_policy().unwrap().unwrap();
    assert_eq!(p.bytes, b"v2\0");
    assert_eq!(p.commit, "c2");
    assert_eq!(
        store.last_reconciled_commit().unwrap().as_deref(),
        Some("c2")
    );
}

#[test]
fn two_handles_on_one_file_see_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let a = Store::open(&path).unwrap();
    let b = Store::open(&path).unwrap();
    a.set_meta("k", "1").unwrap();
    assert_eq!(b.meta("k").unwrap().as_deref(), Some("1"));
    let shared = std::sync::Arc::new(b);
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let s = shared.clone();
            std::thread::spawn(move || {
                for j in 0..25 {
                    s.accept_id(&format!("id-{i}-{j}"), None).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(a.accepted_ids().unwrap().len(), 100);
}

#[test]
fn a_new_admin_mappings_file_replaces_only_admin_mappings_of_its_account() {
    let store = Store::open_in_memory().unwrap();
    store
        .upsert_mappings(&[
            mapping("dev-a", "c1", "P1", 1, MappingSource::Admin),
            mapping("dev-a", "c2", "P2", 1, MappingSource::Admin),
            mapping("dev-a", "proc", "P9", 3, MappingSource::Engine),
            mapping("dev-b", "c1", "P1", 1, MappingSource::Admin),
        ])
        .unwrap();
    let removed = store
        .replace_admin_mappings(
            "dev-a",
            &[
                mapping("dev-a", "c1", "P1-new", 1, MappingSource::Admin),
                mapping("dev-a", "c3", "P3", 1, MappingSource::Admin),
            ],
        )
        .unwrap();
    assert_eq!(removed, vec!["c2"]);
    let a = store.mappings_of_account("dev-a").unwrap();
    assert_eq!(
        a.keys().map(String::as_str).collect::<Vec<_>>(),
        vec!["c1", "c3", "proc"]
    );
    assert_eq!(a["c1"].prod_component_id, "P1-new");
    assert_eq!(a["proc"].source, MappingSource::Engine);
    assert_eq!(store.mappings_of_account("dev-b").unwrap().len(), 1);

    // An item of another account is refused and nothing changes.
    let err = store
        .replace_admin_mappings(
            "dev-a",
            &[mapping("dev-b", "x", "P", 1, MappingSource::Admin)],
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)));
    assert_eq!(store.mappings_of_account("dev-a").unwrap().len(), 3);
}
