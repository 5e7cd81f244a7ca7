//! Property test: any record survives the trip through the SQLite columns unchanged.

use boomi_promoter::model::{PromotionStatus as S, Target};
use boomi_promoter::store::{
    Cause, ComponentAction, ComponentResult, ComponentStatus, PromotionRecord, Store,
};
use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;

fn ts() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..4_000_000_000, 0u32..1_000_000)
        .prop_map(|(s, us)| Utc.timestamp_opt(s, us * 1000).single().unwrap())
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 ,\"'\\-]{0,20}",
        "\\PC{0,12}",
        Just(String::new()),
        Just("null".to_owned()),
        Just("[1,2]".to_owned()),
    ]
}

fn result() -> impl Strategy<Value = ComponentResult> {
    (
        text(),
        proptest::option::of(text()),
        text(),
        any::<bool>(),
        proptest::option::of(any::<i64>()),
    )
        .prop_map(|(dev, prod, name, stripped, version)| ComponentResult {
            dev_component_id: dev,
            prod_component_id: prod,
            name,
            component_type: "profile.json".into(),
            action: ComponentAction::Skipped,
            status: ComponentStatus::Skipped,
            version,
            config_stripped: stripped,
            error_message: None,
        })
}

fn record() -> impl Strategy<Value = PromotionRecord> {
    (
        "[a-z0-9][a-z0-9-]{2,20}",
        text(),
        prop_oneof![
            Just(S::Queued),
            Just(S::InProgress),
            Just(S::PendingPeerReview),
            Just(S::Failed)
        ],
        prop_oneof![Just(Target::Test), Just(Target::Production)],
        ts(),
        (
            proptest::option::of(text()),
            proptest::option::of(text()),
            proptest::option::of(ts()),
        ),
        (
            any::<i64>(),
            any::<bool>(),
            proptest::collection::vec(result(), 0..4),
        ),
    )
        .prop_map(
            |(id, account, status, target, at, (notes, branch, deployed), (n, hotfix, results))| {
                let mut r =
                    PromotionRecord::new(id, account, "a@b.c", "Orders", target, status, at);
                r.deployment_notes = notes;
                r.branch_id = branch;
                r.deployed_at = deployed;
                r.components_total = n;
                r.is_hotfix = hotfix;
                r.result_detail = results;
                // A record is born in a first status of its mode: production waiting for its
                // peer (or failed) is production from test; anything else starts QUEUED.
                match (target, status) {
                    (Target::Production, S::PendingPeerReview | S::Failed) => {
                        r.test_promotion_id = Some("tst-1".into())
                    }
                    (_, S::Queued) => {}
                    _ => r.status = S::Queued,
                }
                r
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn records_round_trip(r in record()) {
        let store = Store::open_in_memory().unwrap();
        let cause = Cause::new("reconciler").at(r.initiated_at);
        let stored = store.insert_promotion(&r, &cause).unwrap();
        prop_assert_eq!(&stored, &r);
        let back = store.get(&r.promotion_id).unwrap().unwrap();
        prop_assert_eq!(back, r);
    }
}
