//! Incremental verification gives exactly what verifying the whole repository gives, while
//! re-checking only the documents named as changed.

mod common;

use boomi_promoter::policy::{
    verify_incremental, verify_repository, AllowedSigners, Dirty, Files, Trust, Verified,
    VerifyMemo,
};
use std::collections::BTreeSet;

fn demo_files() -> Files {
    let base = common::root().join("examples/demo-repo");
    let mut files = Files::new();
    let mut stack = vec![base.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(&base)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                files.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    files
}

fn trust() -> Trust {
    Trust {
        bootstrap: Some(
            AllowedSigners::read(&common::root().join("examples/trust/allowed_signers")).unwrap(),
        ),
        ..Default::default()
    }
}

/// Everything a verification says, in a stable form (the access index is a hash map).
fn summary(v: &Verified) -> Vec<String> {
    vec![
        format!("{:?}", v.settings),
        format!("{:?}", v.access.as_ref().map(|a| a.policy())),
        format!(
            "{:?} {:?} {:?}",
            v.policy_digest, v.policy_outcome, v.policy_signer
        ),
        format!("{:?}", v.mappings),
        format!("{:?}", v.promotions),
        format!("{:?}", v.problems),
    ]
}

fn memo_of(files: &Files) -> VerifyMemo {
    verify_incremental(files, &trust(), None, None).1
}

/// Verify `after` incrementally from the memo of `before`, and compare with a full check.
fn check(before: &Files, after: &Files, promotions: &[&str], mappings: bool) {
    let ids: BTreeSet<String> = promotions.iter().map(|s| s.to_string()).collect();
    let dirty = Dirty {
        promotions: &ids,
        mappings,
    };
    let (inc, memo) = verify_incremental(after, &trust(), Some(memo_of(before)), Some(dirty));
    let full = verify_repository(after, &trust());
    assert_eq!(summary(&inc), summary(&full));
    // The new memo carries on: a second step with nothing changed is still the same.
    let nothing = BTreeSet::new();
    let (again, _) = verify_incremental(
        after,
        &trust(),
        Some(memo),
        Some(Dirty {
            promotions: &nothing,
            mappings: false,
        }),
    );
    assert_eq!(summary(&again), summary(&full));
}

#[test]
fn the_demo_repository_verifies_the_same_either_way() {
    let files = demo_files();
    let full = verify_repository(&files, &trust());
    assert!(full.problems.is_empty(), "{:?}", full.problems);
    assert_eq!(full.promotions.len(), 2);
    check(&files, &files, &[], false);
}

#[test]
fn changed_removed_and_added_promotions() {
    let before = demo_files();

    let mut after = before.clone();
    after.remove("promotions/orders-hotfix-1/peer-review.yaml");
    after.remove("promotions/orders-hotfix-1/peer-review.yaml.sig");
    check(&before, &after, &["orders-hotfix-1"], false);

    let mut after = before.clone();
    after
        .get_mut("promotions/orders-test-1/request.yaml")
        .unwrap()
        .extend_from_slice(b"# tampered\n");
    check(&before, &after, &["orders-test-1"], false);

    let mut after = before.clone();
    after.retain(|p, _| !p.starts_with("promotions/orders-test-1/"));
    check(&before, &after, &["orders-test-1"], false);

    let mut after = before.clone();
    for (p, b) in before.iter() {
        if let Some(rest) = p.strip_prefix("promotions/orders-test-1/") {
            after.insert(format!("promotions/copy-1/{rest}"), b.clone());
        }
    }
    check(&before, &after, &["copy-1"], false);
}

#[test]
fn mappings_and_settings() {
    let before = demo_files();

    let mut after = before.clone();
    after.remove("mappings/dev-team-b.yaml.sig");
    check(&before, &after, &[], true);

    // promoter.yaml is part of every promotion's check: a change means a full verification
    // even when no promotion is named.
    let mut after = before.clone();
    after
        .get_mut("promoter.yaml")
        .unwrap()
        .extend_from_slice(b"# edited\n");
    check(&before, &after, &[], false);
}

#[test]
fn documents_not_named_as_changed_are_not_checked_again() {
    let before = demo_files();
    let mut after = before.clone();
    after
        .get_mut("promotions/orders-test-1/request.yaml")
        .unwrap()
        .extend_from_slice(b"# tampered\n");
    let nothing = BTreeSet::new();
    let (inc, _) = verify_incremental(
        &after,
        &trust(),
        Some(memo_of(&before)),
        Some(Dirty {
            promotions: &nothing,
            mappings: false,
        }),
    );
    // The memo's result stands (the caller said nothing changed) ...
    assert!(inc.promotions.contains_key("orders-test-1"));
    // ... while a full check sees the broken signature.
    let full = verify_repository(&after, &trust());
    assert!(!full.promotions.contains_key("orders-test-1"));
    assert!(full
        .problems
        .iter()
        .any(|p| p.file == "promotions/orders-test-1/request.yaml"));
}
