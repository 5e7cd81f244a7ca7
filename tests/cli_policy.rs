//! The foundation end to end through the CLI: validate, the trust chain, and one test per
//! rule code, on temp git repositories signed with the demo keys.

mod common;

use common::{promoter, TestRepo};
use predicates::prelude::*;

#[test]
fn demo_repository_is_valid() {
    let demo = common::root().join("examples/demo-repo");
    promoter()
        .arg("validate")
        .arg(&demo)
        .arg("--worktree")
        .assert()
        .success()
        .stdout(predicate::str::contains("orders-test-1"))
        .stdout(predicate::str::contains("orders-hotfix-1"));
    promoter()
        .arg("validate")
        .arg(&demo)
        .arg("--worktree")
        .arg("--trust")
        .arg(common::root().join("examples/trust/allowed_signers"))
        .assert()
        .success();
}

#[test]
fn committed_content_only_unless_worktree() {
    let r = TestRepo::new();
    r.commit("policy");
    r.new_test("orders-1");
    // Not committed yet: HEAD has no promotion.
    let (v, code) = r.validate(&[]);
    assert_eq!(code, 0);
    assert_eq!(v["promotions"].as_array().unwrap().len(), 0);
    let (v, _) = r.validate(&["--worktree"]);
    assert_eq!(v["promotions"][0]["id"], "orders-1");
    r.commit("request");
    let (v, _) = r.validate(&[]);
    assert_eq!(v["promotions"][0]["id"], "orders-1");
    // A folder inside the repository reads that folder's committed tree.
    let sub = r.tmp.path().join("outer");
    std::fs::create_dir_all(&sub).unwrap();
}

#[test]
fn several_bad_documents_are_all_reported_and_good_ones_still_valid() {
    let r = TestRepo::new();
    r.new_test("good-one");
    // 1. unknown field (line and column)
    r.new_test("bad-field");
    let p = "promotions/bad-field/request.yaml";
    let text = r.read(p) + "colour: blue\n";
    r.write(p, &text);
    r.sign(p, "alice");
    // 2. a tampered request (signature no longer verifies)
    r.new_test("tampered");
    let p2 = "promotions/tampered/request.yaml";
    r.write(p2, &r.read(p2).replace("1.0.0", "1.0.9"));
    // 3. a request without signature
    r.new_test("unsigned");
    std::fs::remove_file(r.path("promotions/unsigned/request.yaml.sig")).unwrap();
    // 4. a stray file
    r.write("promotions/good-one/notes.txt", "hello");
    r.commit("docs");

    let (v, code) = r.validate(&[]);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["valid"], false);
    let ids: Vec<&str> = v["promotions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["good-one"], "the good promotion is still valid");
    let problems = v["problems"].as_array().unwrap();
    let find = |file: &str| {
        problems
            .iter()
            .find(|x| x["file"] == file)
            .unwrap_or_else(|| panic!("no problem for {file}: {v:#}"))
    };
    let bf = find(p);
    assert_eq!(bf["code"], "INVALID_DOCUMENT");
    assert_eq!(bf["line"], 10);
    assert!(bf["column"].is_number());
    assert!(bf["message"].as_str().unwrap().contains("colour"));
    assert_eq!(find(p2)["code"], "SIGNATURE_INVALID");
    assert_eq!(
        find("promotions/unsigned/request.yaml")["code"],
        "SIGNATURE_MISSING"
    );
    assert_eq!(
        find("promotions/good-one/notes.txt")["code"],
        "INVALID_DOCUMENT"
    );

    // The human form lists them too, with file:line and code.
    promoter()
        .arg("validate")
        .arg(&r.dir)
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "promotions/bad-field/request.yaml:10:",
        ))
        .stdout(predicate::str::contains("SIGNATURE_INVALID"))
        .stdout(predicate::str::contains("SIGNATURE_MISSING"))
        .stdout(predicate::str::contains("good-one"));
}

#[test]
fn self_review_in_another_case_is_refused() {
    let r = TestRepo::new();
    r.new_hotfix("fix-1", "alice");
    r.write_as(
        "ALICE@Example.com",
        "alice",
        &["review", "fix-1", "--approve"],
    )
    .success();
    r.commit("self review");
    let (v, code) = r.validate(&[]);
    assert_eq!(code, 1);
    assert_eq!(
        TestRepo::codes_for(&v, "promotions/fix-1/peer-review.yaml"),
        vec!["SELF_REVIEW_NOT_ALLOWED"]
    );
    // The request itself stays valid, without the review.
    assert_eq!(v["promotions"][0]["id"], "fix-1");
    assert!(v["promotions"][0]["peerReview"].is_null());
}

#[test]
fn an_approval_made_stale_by_a_one_byte_edit() {
    let r = TestRepo::new();
    r.new_hotfix("fix-1", "alice");
    r.write_as("bob@example.com", "bob", &["review", "fix-1", "--approve"])
        .success();
    r.commit("reviewed");
    let (v, code) = r.validate(&[]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["promotions"][0]["peerReview"]["decision"], "APPROVED");
    // One byte changes in the request; the initiator signs it again.
    let p = "promotions/fix-1/request.yaml";
    r.write(p, &r.read(p).replace("1.0.1", "1.0.2"));
    r.sign(p, "alice");
    r.commit("edit after approval");
    let (v, code) = r.validate(&[]);
    assert_eq!(code, 1);
    assert_eq!(
        TestRepo::codes_for(&v, "promotions/fix-1/peer-review.yaml"),
        vec!["STALE_APPROVAL"]
    );
    assert!(v["promotions"][0]["peerReview"].is_null());
}

#[test]
fn an_approval_copied_from_another_promotion() {
    let r = TestRepo::new();
    r.new_hotfix("fix-1", "alice");
    r.new_hotfix("fix-2", "alice");
    r.write_as("bob@example.com", "bob", &["review", "fix-1", "--approve"])
        .success();
    for f in ["peer-review.yaml", "peer-review.yaml.sig"] {
        std::fs::copy(
            r.path(&format!("promotions/fix-1/{f}")),
            r.path(&format!("promotions/fix-2/{f}")),
        )
        .unwrap();
    }
    r.commit("copied");
    let (v, _) = r.validate(&[]);
    assert_eq!(
        TestRepo::codes_for(&v, "promotions/fix-2/peer-review.yaml"),
        vec!["STALE_APPROVAL"]
    );
    assert!(TestRepo::codes_for(&v, "promotions/fix-1/peer-review.yaml").is_empty());
}

#[test]
fn a_readonly_reviewer_is_refused() {
    let r = TestRepo::new();
    r.new_hotfix("fix-1", "alice");
    r.write_as(
        "dave@example.com",
        "dave",
        &["review", "fix-1", "--approve"],
    )
    .success();
    r.commit("readonly review");
    let (v, _) = r.validate(&[]);
    assert_eq!(
        TestRepo::codes_for(&v, "promotions/fix-1/peer-review.yaml"),
        vec!["INSUFFICIENT_TIER"]
    );
}

#[test]
fn a_readonly_initiator_is_refused() {
    let r = TestRepo::new();
    r.write_as(
        "dave@example.com",
        "dave",
        &[
            "new",
            "--id",
            "ro-1",
            "--account",
            "dev-team-a",
            "--process",
            "P",
            "--root",
            "x",
            "--package-version",
            "1",
        ],
    )
    .success();
    r.commit("readonly request");
    let (v, _) = r.validate(&[]);
    assert_eq!(
        TestRepo::codes_for(&v, "promotions/ro-1/request.yaml"),
        vec!["INSUFFICIENT_TIER"]
    );
}

#[test]
fn an_initiator_outside_the_accounts_team() {
    let r = TestRepo::new();
    // bob is on team-b; dev-team-a belongs to team-a.
    r.write_as(
        "bob@example.com",
        "bob",
        &[
            "new",
            "--id",
            "b-1",
            "--account",
            "dev-team-a",
            "--process",
            "P",
            "--root",
            "x",
            "--package-version",
            "1",
        ],
    )
    .success();
    r.commit("wrong team");
    let (v, _) = r.validate(&[]);
    let problems = v["problems"].as_array().unwrap();
    assert_eq!(
        TestRepo::codes_for(&v, "promotions/b-1/request.yaml"),
        vec!["UNAUTHORIZED_ACCOUNT_ACCESS"]
    );
    assert!(problems[0]["line"].is_number(), "points at devAccountId");
}

#[test]
fn hotfix_justification_missing_or_too_long() {
    let r = TestRepo::new();
    // The writer refuses to write an invalid document (and writes nothing).
    r.write_as(
        "alice@example.com",
        "alice",
        &[
            "new",
            "--id",
            "h-1",
            "--account",
            "dev-team-a",
            "--process",
            "P",
            "--root",
            "x",
            "--target",
            "production",
            "--package-version",
            "1",
            "--hotfix",
            "",
        ],
    )
    .code(1)
    .stderr(predicate::str::contains("HOTFIX_JUSTIFICATION_REQUIRED"));
    assert!(!r.path("promotions/h-1/request.yaml").exists());
    // Written by hand and signed: validate reports it.
    let doc = |j: &str| {
        format!("apiVersion: promoter/v1\nkind: PromotionRequest\nid: ID\ninitiatedBy: alice@example.com\ndevAccountId: dev-team-a\nprocessName: P\nrootComponentId: x\ntarget: PRODUCTION\nhotfix:\n  justification: \"{j}\"\npackageVersion: \"1\"\n")
    };
    r.write(
        "promotions/h-empty/request.yaml",
        &doc("").replace("ID", "h-empty"),
    );
    r.sign("promotions/h-empty/request.yaml", "alice");
    r.write(
        "promotions/h-long/request.yaml",
        &doc(&"j".repeat(1001)).replace("ID", "h-long"),
    );
    r.sign("promotions/h-long/request.yaml", "alice");
    r.write(
        "promotions/h-ok/request.yaml",
        &doc(&"j".repeat(1000)).replace("ID", "h-ok"),
    );
    r.sign("promotions/h-ok/request.yaml", "alice");
    r.commit("hotfixes");
    let (v, _) = r.validate(&[]);
    assert_eq!(
        TestRepo::codes_for(&v, "promotions/h-empty/request.yaml"),
        vec!["HOTFIX_JUSTIFICATION_REQUIRED"]
    );
    let long = TestRepo::codes_for(&v, "promotions/h-long/request.yaml");
    assert_eq!(long, vec!["INVALID_DOCUMENT"]);
    let msg = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["file"] == "promotions/h-long/request.yaml")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("1001") && msg.contains("1000"), "{msg}");
    assert_eq!(v["promotions"][0]["id"], "h-ok");
}

#[test]
fn an_admin_approving_their_own_promotion() {
    let r = TestRepo::new();
    r.new_hotfix("fix-c", "carol");
    r.write_as("bob@example.com", "bob", &["review", "fix-c", "--approve"])
        .success();
    r.write_as(
        "carol@example.com",
        "carol",
        &["decide", "fix-c", "--approve", "--acknowledge-hotfix"],
    )
    .success();
    r.commit("self approval");
    let (v, _) = r.validate(&[]);
    assert_eq!(
        TestRepo::codes_for(&v, "promotions/fix-c/admin-review.yaml"),
        vec!["SELF_APPROVAL_NOT_ALLOWED"]
    );
}

#[test]
fn a_hotfix_approval_needs_the_acknowledgement() {
    let r = TestRepo::new();
    r.new_hotfix("fix-1", "alice");
    r.write_as("bob@example.com", "bob", &["review", "fix-1", "--approve"])
        .success();
    r.write_as(
        "carol@example.com",
        "carol",
        &["decide", "fix-1", "--approve"],
    )
    .success();
    r.commit("no ack");
    let (v, _) = r.validate(&[]);
    assert_eq!(
        TestRepo::codes_for(&v, "promotions/fix-1/admin-review.yaml"),
        vec!["HOTFIX_ACKNOWLEDGEMENT_REQUIRED"]
    );
    // With the acknowledgement it counts.
    r.write_as(
        "carol@example.com",
        "carol",
        &[
            "decide",
            "fix-1",
            "--approve",
            "--acknowledge-hotfix",
            "--force",
        ],
    )
    .success();
    r.commit("ack");
    let (v, code) = r.validate(&[]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["promotions"][0]["adminReview"]["decision"], "APPROVED");
}

#[test]
fn admin_decision_rules() {
    let r = TestRepo::new();
    // Without a peer review first.
    r.new_hotfix("fix-1", "alice");
    r.write("promotions/fix-1/peer-review.yaml", "placeholder");
    r.write_as(
        "carol@example.com",
        "carol",
        &["decide", "fix-1", "--deny", "--comments", "no"],
    )
    .success();
    std::fs::remove_file(r.path("promotions/fix-1/peer-review.yaml")).unwrap();
    // By a contributor.
    r.new_hotfix("fix-2", "alice");
    r.write_as("bob@example.com", "bob", &["review", "fix-2", "--approve"])
        .success();
    r.write_as(
        "erin@example.com",
        "erin",
        &["decide", "fix-2", "--approve", "--acknowledge-hotfix"],
    )
    .success();
    // On a peer review that changed after the decision.
    r.new_hotfix("fix-3", "alice");
    r.write_as("bob@example.com", "bob", &["review", "fix-3", "--approve"])
        .success();
    r.write_as(
        "carol@example.com",
        "carol",
        &["decide", "fix-3", "--approve", "--acknowledge-hotfix"],
    )
    .success();
    r.write_as(
        "bob@example.com",
        "bob",
        &[
            "review",
            "fix-3",
            "--approve",
            "--comments",
            "again",
            "--force",
        ],
    )
    .success();
    r.commit("decisions");
    let (v, _) = r.validate(&[]);
    assert_eq!(
        TestRepo::codes_for(&v, "promotions/fix-1/admin-review.yaml"),
        vec!["STALE_APPROVAL"]
    );
    assert_eq!(
        TestRepo::codes_for(&v, "promotions/fix-2/admin-review.yaml"),
        vec!["INSUFFICIENT_TIER"]
    );
    assert_eq!(
        TestRepo::codes_for(&v, "promotions/fix-3/admin-review.yaml"),
        vec!["STALE_APPROVAL"]
    );
}

#[test]
fn a_rejected_peer_review_blocks_the_admin_decision() {
    let r = TestRepo::new();
    r.new_hotfix("fix-1", "alice");
    r.write_as(
        "bob@example.com",
        "bob",
        &["review", "fix-1", "--reject", "--comments", "not safe"],
    )
    .success();
    r.write_as(
        "carol@example.com",
        "carol",
        &["decide", "fix-1", "--approve", "--acknowledge-hotfix"],
    )
    .success();
    r.commit("rejected then approved");
    let (v, _) = r.validate(&[]);
    assert_eq!(
        TestRepo::codes_for(&v, "promotions/fix-1/admin-review.yaml"),
        vec!["INVALID_REVIEW_STATE"]
    );
}

#[test]
fn withdrawal_and_cancel_by_someone_else() {
    let r = TestRepo::new();
    r.new_hotfix("fix-1", "alice");
    r.write_as("bob@example.com", "bob", &["withdraw", "fix-1"])
        .success();
    r.new_test("t-1");
    r.write_as("erin@example.com", "erin", &["cancel-test", "t-1"])
        .success();
    // The initiator and an admin may.
    r.new_hotfix("fix-2", "alice");
    r.write_as(
        "alice@example.com",
        "alice",
        &["withdraw", "fix-2", "--reason", "not needed"],
    )
    .success();
    r.new_test("t-2");
    r.write_as("carol@example.com", "carol", &["cancel-test", "t-2"])
        .success();
    r.commit("exits");
    let (v, _) = r.validate(&[]);
    assert_eq!(
        TestRepo::codes_for(&v, "promotions/fix-1/withdrawal.yaml"),
        vec!["NOT_PROMOTION_INITIATOR"]
    );
    assert_eq!(
        TestRepo::codes_for(&v, "promotions/t-1/cancel-test.yaml"),
        vec!["NOT_PROMOTION_INITIATOR"]
    );
    assert!(TestRepo::codes_for(&v, "promotions/fix-2/withdrawal.yaml").is_empty());
    assert!(TestRepo::codes_for(&v, "promotions/t-2/cancel-test.yaml").is_empty());
}

#[test]
fn identity_mismatch_and_key_not_in_policy() {
    let r = TestRepo::new();
    // bob's key signs a request that claims alice (the writers refuse that: `promoter sign`).
    r.write_as(
        "alice@example.com",
        "alice",
        &[
            "new",
            "--id",
            "imp-1",
            "--account",
            "dev-team-a",
            "--process",
            "P",
            "--root",
            "x",
            "--package-version",
            "1",
        ],
    )
    .success();
    r.sign("promotions/imp-1/request.yaml", "bob");
    // A key that is in no policy signs a request.
    let stranger = r.tmp.path().join("stranger");
    let st = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&stranger)
        .status()
        .unwrap();
    assert!(st.success());
    r.write_as(
        "alice@example.com",
        "alice",
        &[
            "new",
            "--id",
            "str-1",
            "--account",
            "dev-team-a",
            "--process",
            "P",
            "--root",
            "x",
            "--package-version",
            "1",
        ],
    )
    .success();
    promoter()
        .arg("sign")
        .arg(r.path("promotions/str-1/request.yaml"))
        .arg("--key")
        .arg(&stranger)
        .assert()
        .success();
    r.commit("impostors");
    let (v, _) = r.validate(&[]);
    assert_eq!(
        TestRepo::codes_for(&v, "promotions/imp-1/request.yaml"),
        vec!["IDENTITY_MISMATCH"]
    );
    assert_eq!(
        TestRepo::codes_for(&v, "promotions/str-1/request.yaml"),
        vec!["UNKNOWN_SIGNER"]
    );
    let msg = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["file"] == "promotions/str-1/request.yaml")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("access policy"), "{msg}");
}

#[test]
fn from_test_must_name_a_test_promotion() {
    let r = TestRepo::new();
    r.new_test("t-1");
    r.write_as(
        "alice@example.com",
        "alice",
        &[
            "new",
            "--id",
            "p-1",
            "--account",
            "dev-team-a",
            "--process",
            "Orders",
            "--from-test",
            "t-1",
            "--target",
            "production",
            "--package-version",
            "1",
        ],
    )
    .success();
    r.write_as(
        "alice@example.com",
        "alice",
        &[
            "new",
            "--id",
            "p-2",
            "--account",
            "dev-team-a",
            "--process",
            "Orders",
            "--from-test",
            "nope-1",
            "--target",
            "production",
            "--package-version",
            "1",
        ],
    )
    .success();
    r.commit("prod from test");
    let (v, _) = r.validate(&[]);
    assert!(
        TestRepo::codes_for(&v, "promotions/p-1/request.yaml").is_empty(),
        "{v:#}"
    );
    assert_eq!(
        TestRepo::codes_for(&v, "promotions/p-2/request.yaml"),
        vec!["TEST_PROMOTION_NOT_FOUND"]
    );
}

// --- trust chain -------------------------------------------------------------------------------

#[test]
fn policy_change_signed_by_a_contributor_is_refused_and_the_old_policy_stays() {
    let r = TestRepo::new();
    r.commit("base");
    git_branch(&r, "base");
    // alice promotes herself to ADMIN and signs it herself.
    let mut people = common::PEOPLE.to_vec();
    people[0] = ("alice", "ADMIN", "[team-a]");
    r.write_policy_v2(&people);
    r.sign("access/policy.yaml", "alice");
    // ...and uses the new power: an admin decision on a promotion of carol.
    r.new_hotfix("fix-b", "carol");
    r.write_as(
        "erin@example.com",
        "erin",
        &["review", "fix-b", "--approve"],
    )
    .success();
    r.write_as(
        "alice@example.com",
        "alice",
        &["decide", "fix-b", "--approve", "--acknowledge-hotfix"],
    )
    .success();
    r.commit("alice's coup");
    let (v, code) = r.validate(&["--base", "base"]);
    assert_eq!(code, 1);
    assert_eq!(v["policy"]["outcome"], "REJECTED");
    assert_eq!(
        TestRepo::codes_for(&v, "access/policy.yaml"),
        vec!["POLICY_CHANGE_UNTRUSTED"]
    );
    // The old policy stays in force: alice is still a CONTRIBUTOR.
    assert_eq!(
        TestRepo::codes_for(&v, "promotions/fix-b/admin-review.yaml"),
        vec!["INSUFFICIENT_TIER"]
    );
    // Also with a bootstrap trust file that only trusts carol.
    let trust = r.tmp.path().join("trust");
    std::fs::write(
        &trust,
        format!(
            "carol@example.com namespaces=\"boomi-promoter\" {}\n",
            r.public_key("carol")
        ),
    )
    .unwrap();
    let (v, _) = r.validate(&["--trust", trust.to_str().unwrap()]);
    assert_eq!(
        TestRepo::codes_for(&v, "access/policy.yaml"),
        vec!["POLICY_CHANGE_UNTRUSTED"]
    );
}

#[test]
fn policy_change_signed_by_an_admin_of_the_previous_version_is_accepted() {
    let r = TestRepo::new();
    r.commit("base");
    git_branch(&r, "base");
    let mut people = common::PEOPLE.to_vec();
    people[0] = ("alice", "ADMIN", "[team-a]");
    r.write_policy_v2(&people);
    r.sign("access/policy.yaml", "carol");
    r.new_hotfix("fix-b", "carol");
    r.write_as(
        "erin@example.com",
        "erin",
        &["review", "fix-b", "--approve"],
    )
    .success();
    r.write_as(
        "alice@example.com",
        "alice",
        &["decide", "fix-b", "--approve", "--acknowledge-hotfix"],
    )
    .success();
    r.commit("carol promotes alice");
    let (v, code) = r.validate(&["--base", "base"]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["policy"]["outcome"], "ACCEPTED");
    assert_eq!(v["policy"]["signedBy"], "carol@example.com");
    assert_eq!(
        v["promotions"][0]["adminReview"]["admin"],
        "alice@example.com"
    );
    // The unchanged policy compared with itself.
    let (v, _) = r.validate(&["--base", "HEAD"]);
    assert_eq!(v["policy"]["outcome"], "UNCHANGED");
}

#[test]
fn bootstrap_trust() {
    let r = TestRepo::new();
    r.commit("policy");
    let trust = r.tmp.path().join("trust");
    std::fs::write(
        &trust,
        format!(
            "carol@example.com namespaces=\"boomi-promoter\" {}\n",
            r.public_key("carol")
        ),
    )
    .unwrap();
    let (v, code) = r.validate(&["--trust", trust.to_str().unwrap()]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["policy"]["outcome"], "ACCEPTED");
    assert_eq!(v["policy"]["trustChainChecked"], true);
    // A bootstrap file that trusts someone else refuses the policy.
    std::fs::write(&trust, format!("bob@example.com {}\n", r.public_key("bob"))).unwrap();
    let (v, code) = r.validate(&["--trust", trust.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(v["policy"]["outcome"], "REJECTED");
    // Without any trust anchor the policy is only checked against its own admins, and says so.
    let (v, code) = r.validate(&[]);
    assert_eq!(code, 0);
    assert_eq!(v["policy"]["outcome"], "SELF_SIGNED");
    assert_eq!(v["policy"]["trustChainChecked"], false);
}

#[test]
fn mappings_must_be_signed_by_an_admin() {
    let r = TestRepo::new();
    r.sign("mappings/dev-team-a.yaml", "alice");
    r.commit("contributor-signed mappings");
    let (v, _) = r.validate(&[]);
    assert_eq!(
        TestRepo::codes_for(&v, "mappings/dev-team-a.yaml"),
        vec!["POLICY_CHANGE_UNTRUSTED"]
    );
    assert_eq!(v["mappings"].as_array().unwrap().len(), 0);
}

#[test]
fn a_vanished_policy_is_reported_not_applied() {
    let r = TestRepo::new();
    r.commit("base");
    git_branch(&r, "base");
    std::fs::remove_file(r.path("access/policy.yaml")).unwrap();
    std::fs::remove_file(r.path("access/policy.yaml.sig")).unwrap();
    r.new_test("t-1");
    r.commit("policy removed");
    let (v, code) = r.validate(&["--base", "base"]);
    assert_eq!(code, 1);
    assert_eq!(
        TestRepo::codes_for(&v, "access/policy.yaml"),
        vec!["DESIRED_STATE_MISSING"]
    );
    // The accepted policy still verifies the new request.
    assert_eq!(v["promotions"][0]["id"], "t-1");
}

fn git_branch(r: &TestRepo, name: &str) {
    common::git(&r.dir, &["branch", name]);
}

// --- other commands ----------------------------------------------------------------------------

#[test]
fn allowed_signers_export_and_schema() {
    let r = TestRepo::new();
    r.commit("policy");
    let out = promoter()
        .args(["access", "allowed-signers"])
        .arg(&r.dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 5);
    assert!(
        text.lines()
            .all(|l| l.contains("namespaces=\"boomi-promoter\"")),
        "{text}"
    );
    assert!(text.contains("carol@example.com namespaces=\"boomi-promoter\" ssh-ed25519 "));
    let out = promoter()
        .args(["access", "allowed-signers", "--admins"])
        .arg(&r.dir)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 1);

    let out = promoter().args(["schema", "PeerReview"]).output().unwrap();
    assert!(out.status.success());
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(schema["additionalProperties"], false);
    assert!(schema["properties"]["requestDigest"].is_object());
    promoter().args(["schema", "Nope"]).assert().code(2);
}

#[test]
fn usage_errors_exit_2() {
    promoter()
        .args(["validate", "--no-such-flag"])
        .assert()
        .code(2);
    promoter()
        .args(["review", "x", "--as", "a@example.com", "--key", "k"])
        .assert()
        .code(2);
    promoter()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("validate"));
}
