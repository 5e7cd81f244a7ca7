//! `promoter demo` on a fresh checkout: prints the timeline and exits 0.

mod common;

use predicates::prelude::*;

#[test]
fn the_demo_walks_the_whole_lifecycle() {
    common::promoter()
        .arg("demo")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "orders-test → QUEUED → IN_PROGRESS → COMPLETED → TEST_DEPLOYING → TEST_DEPLOYED",
        ))
        .stdout(predicate::str::contains("SELF_REVIEW_NOT_ALLOWED"))
        .stdout(predicate::str::contains("orders-prod → DEPLOYED"))
        .stdout(predicate::str::contains(
            "orders-hotfix → DEPLOYING → DEPLOYED",
        ))
        .stdout(predicate::str::contains("orders-risky → PEER_REJECTED"))
        .stdout(predicate::str::contains("orders-oops → WITHDRAWN"))
        .stdout(predicate::str::contains(
            "refused: promoter.yaml — SETTINGS_CHANGE_UNTRUSTED",
        ))
        .stdout(predicate::str::contains(
            "refused: promotions/orders-sneak/request.yaml — INVALID_DEPLOYMENT_TARGET",
        ))
        .stdout(predicate::str::contains("branches: main"));
}
