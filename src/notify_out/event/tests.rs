//! Unit tests of the promotion events: recipients, subjects, bodies and JSON of each of the
//! seven (the refused-document event is tested in `notify_out::refusal`).

use super::*;
use crate::store::record::DeploymentResult;

fn record(target: Target, status: PromotionStatus) -> PromotionRecord {
    let t = parse_ts("2026-11-21T08:00:00Z").unwrap();
    let mut r = PromotionRecord::new(
        "orders-2026-11-21",
        "dev-team-a",
        "Alice@Example.com",
        "Order Processing Main",
        target,
        status,
        t,
    );
    r.package_version = Some("1.2.0".into());
    r.components_total = 5;
    r.components_created = 3;
    r.components_updated = 2;
    r.deployment_notes = Some("first cut".into());
    r
}

fn hotfix() -> PromotionRecord {
    let mut r = record(Target::Production, PromotionStatus::PendingPeerReview);
    r.is_hotfix = true;
    r.hotfix_justification = Some("orders are lost since 07:00".into());
    r
}

const LISTS: Lists<'static> = Lists {
    developers: Some("dev@example.com"),
    admins: Some("admins@example.com; ops@example.com"),
};

#[test]
fn submission_goes_to_both_lists_with_the_submitter_in_cc() {
    let r = record(Target::Production, PromotionStatus::PendingPeerReview);
    let e = Event::submitted_for_review(&r).unwrap();
    assert_eq!(e.kind(), EventKind::PeerReviewNeeded);
    let to = e.recipients(LISTS);
    assert_eq!(
        to.to,
        ["dev@example.com", "admins@example.com", "ops@example.com"]
    );
    assert_eq!(to.cc, ["alice@example.com"]);
    assert_eq!(
        e.subject(),
        "Peer Review Needed: Order Processing Main v1.2.0"
    );
    let h = Event::submitted_for_review(&hotfix()).unwrap();
    assert_eq!(h.kind(), EventKind::HotfixSubmitted);
    assert_eq!(h.recipients(LISTS), to);
    assert!(
        Event::submitted_for_review(&record(Target::Test, PromotionStatus::Completed)).is_none()
    );
}

#[test]
fn hotfix_subjects_and_bodies_carry_the_marker_and_justification() {
    let h = hotfix();
    let e = Event::hotfix_submitted(&h);
    assert_eq!(
        e.subject(),
        "⚠ EMERGENCY HOTFIX — Peer Review Needed: Order Processing Main v1.2.0"
    );
    let body = e.text_body();
    assert!(body.contains("orders are lost since 07:00"), "{body}");
    assert!(body.contains("skips the test environment"), "{body}");
    assert!(body.contains("orders-2026-11-21"));

    let a = Event::peer_approved(&h, "Bob@Example.com", None);
    assert!(a
        .subject()
        .starts_with("⚠ EMERGENCY HOTFIX — Peer Approved — Admin Review Needed: "));
    assert!(a.text_body().contains("orders are lost since 07:00"));
    let plain = Event::peer_approved(
        &record(Target::Production, PromotionStatus::PendingAdminReview),
        "bob@example.com",
        Some("ok"),
    );
    assert_eq!(
        plain.subject(),
        "Peer Approved — Admin Review Needed: Order Processing Main v1.2.0"
    );
}

#[test]
fn peer_approval_goes_to_admins_and_submitter_with_default_comment() {
    let r = record(Target::Production, PromotionStatus::PendingAdminReview);
    let e = Event::peer_approved(&r, "Bob@Example.com", Some("   "));
    let rc = e.recipients(LISTS);
    assert_eq!(
        rc.to,
        ["admins@example.com", "ops@example.com", "alice@example.com"]
    );
    assert!(rc.cc.is_empty());
    let body = e.text_body();
    assert!(body.contains(NO_COMMENTS), "{body}");
    assert!(body.contains("bob@example.com"));
    assert!(body.contains("APPROVED"));
    let j = e.to_json();
    assert_eq!(j["event"], "PEER_APPROVED");
    assert_eq!(j["promotionId"], "orders-2026-11-21");
    assert_eq!(j["review"]["reviewer"], "bob@example.com");
    assert_eq!(j["review"]["decision"], "APPROVED");
    assert_eq!(j["review"]["comments"], Value::Null);
}

#[test]
fn rejection_goes_to_the_submitter_only_with_the_reason() {
    let r = record(Target::Production, PromotionStatus::PeerRejected);
    let e = Event::peer_rejected(&r, "bob@example.com", Some("missing error handling"));
    assert_eq!(
        e.recipients(LISTS),
        Recipients {
            to: vec!["alice@example.com".into()],
            cc: vec![]
        }
    );
    assert_eq!(
        e.subject(),
        "Peer Review Rejected: Order Processing Main v1.2.0"
    );
    assert!(e.text_body().contains("missing error handling"));
}

#[test]
fn admin_decisions_go_to_submitter_and_peer_reviewer() {
    let mut r = record(Target::Production, PromotionStatus::Deployed);
    r.peer_reviewed_by = Some("Bob@Example.com".into());
    r.prod_package_id = Some("pkg-prod-9".into());
    r.deployed_at = Some(parse_ts("2026-11-21T09:30:00Z").unwrap());
    r.deployments.push(DeploymentResult {
        environment_id: "env-prod-1".into(),
        deployment_id: Some("dep-42".into()),
        status: DeploymentStatus::Deployed,
        error: None,
    });
    let e = Event::admin_approved_deployed(&r, "carol@example.com", None);
    assert_eq!(
        e.recipients(LISTS).to,
        ["alice@example.com", "bob@example.com"]
    );
    assert_eq!(
        e.subject(),
        "Approved & Deployed: Order Processing Main v1.2.0"
    );
    let body = e.text_body();
    for needle in [
        "dep-42",
        "pkg-prod-9",
        "carol@example.com",
        "2026-11-21 09:30 UTC",
        NO_COMMENTS,
    ] {
        assert!(body.contains(needle), "{needle} missing from\n{body}");
    }
    let j = e.to_json();
    assert_eq!(j["deployment"]["deployments"][0]["deploymentId"], "dep-42");
    assert_eq!(j["deployment"]["prodPackageId"], "pkg-prod-9");
    assert_eq!(j["decision"]["admin"], "carol@example.com");

    let d = Event::admin_denied(&r, "carol@example.com", Some("not in this window"));
    assert_eq!(d.subject(), "Admin Denied: Order Processing Main v1.2.0");
    assert!(d.text_body().contains("not in this window"));
    assert_eq!(d.to_json()["decision"]["decision"], "DENIED");
    // the same person as submitter and peer reviewer is written once
    r.peer_reviewed_by = Some("ALICE@example.com".into());
    assert_eq!(
        Event::admin_denied(&r, "carol@example.com", None)
            .recipients(LISTS)
            .to,
        ["alice@example.com"]
    );
}

#[test]
fn test_deployed_only_when_the_outcome_is_test_deployed() {
    let mut r = record(Target::Test, PromotionStatus::PendingPackAssignment);
    assert!(Event::test_deployed(&r).is_none());
    r.status = PromotionStatus::TestDeployFailed;
    assert!(Event::test_deployed(&r).is_none());
    r.status = PromotionStatus::TestDeployed;
    r.integration_pack_name = Some("Orders - TEST".into());
    r.test_deployed_at = Some(parse_ts("2026-11-21T08:10:00Z").unwrap());
    let e = Event::test_deployed(&r).unwrap();
    assert_eq!(e.recipients(LISTS).to, ["alice@example.com"]);
    assert_eq!(e.subject(), "Test Deployed: Order Processing Main v1.2.0");
    let body = e.text_body();
    assert!(body.contains("Orders - TEST"));
    assert!(body.contains("2026-11-21 08:10 UTC"), "{body}");
    assert_eq!(
        e.to_json()["deployment"]["integrationPackName"],
        "Orders - TEST"
    );
}

#[test]
fn production_from_test_references_the_test_deployment() {
    let mut r = record(Target::Production, PromotionStatus::PendingPeerReview);
    r.test_promotion_id = Some("orders-test-7".into());
    r.test_integration_pack_name = Some("Orders - TEST".into());
    let body = Event::peer_review_needed(&r).text_body();
    assert!(body.contains("orders-test-7"), "{body}");
    assert!(body.contains("Orders - TEST"));
    assert!(body.contains("first cut"));
    assert!(body.contains("5 (3 created, 2 updated, 0 failed)"));
}

#[test]
fn every_event_names_the_promotion_and_has_its_own_wire_name() {
    let mut r = hotfix();
    r.status = PromotionStatus::TestDeployed;
    let events = [
        Event::peer_review_needed(&r),
        Event::hotfix_submitted(&r),
        Event::peer_approved(&r, "b@x", None),
        Event::peer_rejected(&r, "b@x", None),
        Event::admin_approved_deployed(&r, "c@x", None),
        Event::admin_denied(&r, "c@x", None),
        Event::test_deployed(&r).unwrap(),
    ];
    let kinds: Vec<_> = events.iter().map(Event::kind).collect();
    assert_eq!(kinds, EventKind::PROMOTION);
    assert_eq!(
        EventKind::ALL[..EventKind::PROMOTION.len()],
        *EventKind::PROMOTION
    );
    for e in &events {
        assert!(e.text_body().contains("orders-2026-11-21"));
        assert!(e.text_body().contains("orders are lost since 07:00"));
        let j = e.to_json();
        assert_eq!(j["event"], e.kind().as_str());
        assert_eq!(
            serde_json::to_value(e.kind()).unwrap(),
            Value::String(e.kind().as_str().into())
        );
        assert_eq!(
            j["promotion"]["hotfixJustification"],
            "orders are lost since 07:00"
        );
    }
}

#[test]
fn missing_version_and_lists_are_tolerated() {
    let mut r = record(Target::Production, PromotionStatus::PendingPeerReview);
    r.package_version = None;
    let e = Event::peer_review_needed(&r);
    assert_eq!(e.subject(), "Peer Review Needed: Order Processing Main");
    let rc = e.recipients(Lists::default());
    assert!(rc.to.is_empty());
    assert_eq!(rc.cc, ["alice@example.com"]);
    assert!(!rc.is_empty());
}

#[test]
fn transitions_map_to_events_and_exits_send_nothing() {
    let mut r = record(Target::Production, PromotionStatus::PendingPeerReview);
    r.peer_reviewed_by = Some("bob@example.com".into());
    r.peer_review_comments = Some("looks fine".into());
    r.admin_approved_by = Some("carol@example.com".into());
    let expect = |r: &PromotionRecord| Event::on_transition(r).map(|e| e.kind());
    assert_eq!(expect(&r), Some(EventKind::PeerReviewNeeded));
    r.status = PromotionStatus::PendingAdminReview;
    let e = Event::on_transition(&r).unwrap();
    assert_eq!(e.kind(), EventKind::PeerApproved);
    assert!(e.text_body().contains("looks fine"));
    r.status = PromotionStatus::PeerRejected;
    assert_eq!(expect(&r), Some(EventKind::PeerRejected));
    r.status = PromotionStatus::Deployed;
    assert_eq!(expect(&r), Some(EventKind::AdminApprovedDeployed));
    r.status = PromotionStatus::AdminRejected;
    assert_eq!(expect(&r), Some(EventKind::AdminDenied));
    r.status = PromotionStatus::TestDeployed;
    assert_eq!(expect(&r), Some(EventKind::TestDeployed));
    for s in [
        PromotionStatus::Withdrawn,
        PromotionStatus::TestCancelled,
        PromotionStatus::Failed,
        PromotionStatus::TestDeployFailed,
        PromotionStatus::PendingPackAssignment,
        PromotionStatus::Queued,
        PromotionStatus::InProgress,
        PromotionStatus::Completed,
        PromotionStatus::TestDeploying,
        PromotionStatus::Deploying,
    ] {
        r.status = s;
        assert_eq!(expect(&r), None, "{s:?}");
    }
    let mut t = record(Target::Test, PromotionStatus::Deployed);
    assert_eq!(expect(&t), None);
    t.status = PromotionStatus::PendingPeerReview;
    assert_eq!(expect(&t), None);
}

#[test]
fn multi_line_values_stay_aligned() {
    let mut b = String::new();
    field(&mut b, "Notes", "one\ntwo");
    assert_eq!(b, format!("{:<18}one\n{:<18}two\n", "Notes:", ""));
}
