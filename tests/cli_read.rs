//! The read-side commands through the `promoter` binary: `status`, `show`, `history`,
//! `mappings` on a state store filled through the `Store` API (refused documents included),
//! and `deps` / `diff` against the Boomi emulator (`sim::Server` on 127.0.0.1:0) through the
//! real HTTP client.

mod common;

use assert_cmd::Command;
use boomi_promoter::boomi::wire::Component;
use boomi_promoter::boomi::{Credentials, HttpConfig, HttpPlatform, Platform};
use boomi_promoter::model::{ErrorCode, Problem, PromotionStatus as S, Target};
use boomi_promoter::sim::{Seed, Server, SimConfig};
use boomi_promoter::store::record::parse_ts;
use boomi_promoter::store::{
    Cause, ComponentAction, ComponentMapping, ComponentResult, ComponentStatus, MappingSource,
    ProblemScope, ProblemSource, PromotionRecord, Store, Transition,
};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const PRIMARY: &str = "primary-abc123";
const DEV: &str = "dev-team-a";
/// Ids shared with examples/demo-repo (mappings/dev-team-a.yaml).
const ROOT: &str = "a1000000-0000-4000-8000-000000000001";
const DB_CONN: &str = "a1000000-0000-4000-8000-0000000000c1";
const API_CONN: &str = "a1000000-0000-4000-8000-0000000000c2";
const PROD_DB_CONN: &str = "f0000000-0000-4000-8000-0000000000c1";
const PROD_API_CONN: &str = "f0000000-0000-4000-8000-0000000000c2";
const SUBPROCESS: &str = "a1000000-0000-4000-8000-000000000002";
const MAP: &str = "a1000000-0000-4000-8000-000000000003";
const PROFILE_JSON: &str = "a1000000-0000-4000-8000-000000000004";
const PROFILE_XML: &str = "a1000000-0000-4000-8000-000000000005";
const OP_GET: &str = "a1000000-0000-4000-8000-000000000006";
const OP_INSERT: &str = "a1000000-0000-4000-8000-000000000007";
const SCRIPT: &str = "a1000000-0000-4000-8000-000000000008";
const PROD_ROOT: &str = "f0000000-0000-4000-8000-000000000001";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn promoter() -> Command {
    let mut c = Command::cargo_bin("promoter").expect("promoter binary");
    for k in [
        "PROMOTER_STATE",
        "PROMOTER_BOOMI_URL",
        "PROMOTER_ACCOUNT",
        "PROMOTER_TRUST",
        "BOOMI_TOKEN_FILE",
    ] {
        c.env_remove(k);
    }
    c.env("BOOMI_USERNAME", "tester@example.com")
        .env("BOOMI_TOKEN", "secret-token");
    c
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().expect("promoter runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn json_of(r: &Run) -> Value {
    serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", r.stdout, r.stderr))
}

fn engine() -> Cause {
    Cause::new("reconciler")
}

fn rec(id: &str, status: S, target: Target, at: &str, process: &str) -> PromotionRecord {
    let mut r = PromotionRecord::new(
        id,
        DEV,
        "alice@example.com",
        process,
        target,
        status,
        parse_ts(at).unwrap(),
    );
    r.prod_account_id = PRIMARY.into();
    r
}

fn walk(store: &Store, r: PromotionRecord, path: &[S]) {
    common::insert_walked(store, r, path);
}

fn result(dev: &str, prod: &str, name: &str, ty: &str, action: ComponentAction) -> ComponentResult {
    ComponentResult {
        dev_component_id: dev.into(),
        prod_component_id: Some(prod.into()),
        name: name.into(),
        component_type: ty.into(),
        action,
        status: ComponentStatus::Success,
        version: Some(1),
        config_stripped: false,
        error_message: None,
    }
}

fn mapping(dev: &str, prod: &str, name: &str, ty: &str, source: MappingSource) -> ComponentMapping {
    ComponentMapping {
        dev_account_id: DEV.into(),
        dev_component_id: dev.into(),
        prod_component_id: prod.into(),
        component_name: name.into(),
        component_type: ty.into(),
        prod_account_id: PRIMARY.into(),
        prod_latest_version: Some(3),
        last_promoted_at: Some(parse_ts("2026-10-01T10:00:00Z").unwrap()),
        last_promoted_by: Some("alice@example.com".into()),
        last_promotion_id: None,
        source,
    }
}

/// A state directory whose store holds four promotions of two processes and two mappings.
fn filled_state() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let store = Store::open(state.join("state.db")).unwrap();

    let mut t = rec(
        "orders-test-1",
        S::Queued,
        Target::Test,
        "2026-10-01T08:00:00Z",
        "Order Processing Main",
    );
    t.package_version = Some("1.0.0".into());
    t.result_detail.push(result(
        ROOT,
        PROD_ROOT,
        "Order Processing Main",
        "process",
        ComponentAction::Created,
    ));
    walk(
        &store,
        t,
        &[
            S::InProgress,
            S::Completed,
            S::TestDeploying,
            S::TestDeployed,
        ],
    );
    store
        .update("orders-test-1", |r| {
            r.branch_id = Some("QjoxMDAx".into());
            r.branch_name = Some("promo-orders-test-1".into());
            r.components_total = 1;
            r.components_created = 1;
        })
        .unwrap();
    let step = store
        .begin_step("orders-test-1", "merge", &json!({"source": "QjoxMDAx"}))
        .unwrap();
    store
        .finish_step(step, &json!({"mergeRequestId": "mr-1"}), None, |_| {})
        .unwrap();

    let mut h = rec(
        "orders-hotfix-1",
        S::PendingPeerReview,
        Target::Production,
        "2026-11-10T08:00:00Z",
        "Order Processing Main",
    );
    h.is_hotfix = true;
    h.hotfix_justification = Some("Orders stuck in production".into());
    h.result_detail.push(result(
        ROOT,
        PROD_ROOT,
        "Order Processing Main",
        "process",
        ComponentAction::Updated,
    ));
    walk(&store, h, &[]);

    let mut f = rec(
        "orders-broken-1",
        S::Queued,
        Target::Test,
        "2026-11-15T08:00:00Z",
        "Order Processing Main",
    );
    f.error_code = None;
    walk(&store, f, &[]);
    store
        .apply(
            "orders-broken-1",
            Some(&Transition::to(
                S::Failed,
                engine().reason("connections not mapped"),
            )),
            |r| {
                r.error_code = Some(boomi_promoter::model::ErrorCode::MissingConnectionMappings);
                r.error_message = Some("One or more connection mappings not found".into());
            },
        )
        .unwrap();

    walk(
        &store,
        rec(
            "invoices-1",
            S::PendingPeerReview,
            Target::Production,
            "2026-11-18T08:00:00Z",
            "Invoice Sync",
        ),
        &[],
    );

    store
        .upsert_mappings(&[
            mapping(
                DB_CONN,
                PROD_DB_CONN,
                "Orders DB",
                "connection",
                MappingSource::Admin,
            ),
            mapping(
                ROOT,
                PROD_ROOT,
                "Order Processing Main",
                "process",
                MappingSource::Engine,
            ),
        ])
        .unwrap();
    drop(store);
    (dir, state)
}

fn state_arg(state: &Path) -> [String; 2] {
    ["--state".into(), state.display().to_string()]
}

#[test]
fn status_lists_newest_first_with_mode_and_filters() {
    let (_d, state) = filled_state();
    let r = run(promoter().arg("status").args(state_arg(&state)));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines[0].starts_with("ID"), "{}", r.stdout);
    for h in [
        "STATUS",
        "TARGET",
        "MODE",
        "DEV ACCOUNT",
        "BRANCH",
        "VERSION",
        "ERROR",
        "WAITING",
    ] {
        assert!(lines[0].contains(h), "header {h} in {}", lines[0]);
    }
    let order: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        order,
        [
            "invoices-1",
            "orders-broken-1",
            "orders-hotfix-1",
            "orders-test-1"
        ]
    );
    let hotfix = lines
        .iter()
        .find(|l| l.starts_with("orders-hotfix-1"))
        .unwrap();
    assert!(
        hotfix.contains("PRODUCTION") && hotfix.contains("HOTFIX"),
        "{hotfix}"
    );
    let broken = lines
        .iter()
        .find(|l| l.starts_with("orders-broken-1"))
        .unwrap();
    assert!(broken.contains("MISSING_CONNECTION_MAPPINGS"), "{broken}");
    let test = lines
        .iter()
        .find(|l| l.starts_with("orders-test-1"))
        .unwrap();
    assert!(test.contains("promo-orders-test-1") && test.contains("1.0.0"));

    let r = run(promoter()
        .args(["status", "--status", "test_deployed,FAILED", "-o", "json"])
        .args(state_arg(&state)));
    assert_eq!(r.code, 0);
    let v = json_of(&r);
    let ids: Vec<&str> = v["promotions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["promotionId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["orders-broken-1", "orders-test-1"]);

    // A bad status is a usage error.
    let r = run(promoter()
        .args(["status", "--status", "NOPE"])
        .args(state_arg(&state)));
    assert_eq!(r.code, 2);

    // A state directory without a database is an error, and nothing is created there.
    let empty = tempfile::tempdir().unwrap();
    let r = run(promoter().arg("status").args(state_arg(empty.path())));
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("no state database"), "{}", r.stderr);
    assert!(!empty.path().join("state.db").exists());
}

#[test]
fn show_prints_the_whole_record_and_unknown_ids_fail() {
    let (_d, state) = filled_state();
    let r = run(promoter()
        .args(["show", "orders-test-1"])
        .args(state_arg(&state)));
    assert_eq!(r.code, 0, "{}", r.stderr);
    for want in [
        "Promotion orders-test-1  TEST_DEPLOYED  TEST  Order Processing Main",
        "branchName",
        "promo-orders-test-1",
        "Components (1):",
        PROD_ROOT,
        "CREATED",
        "Journal (1 steps):",
        "merge",
        "mr-1",
        "Audit trail (5):",
        "(created)",
    ] {
        assert!(r.stdout.contains(want), "missing {want:?} in\n{}", r.stdout);
    }

    let r = run(promoter()
        .args(["show", "orders-broken-1", "-o", "json"])
        .args(state_arg(&state)));
    let v = json_of(&r);
    assert_eq!(v["promotion"]["status"], "FAILED");
    assert_eq!(v["promotion"]["errorCode"], "MISSING_CONNECTION_MAPPINGS");
    assert_eq!(v["audit"][1]["reason"], "connections not mapped");
    assert!(v["steps"].as_array().unwrap().is_empty());

    let r = run(promoter().args(["show", "nope-1"]).args(state_arg(&state)));
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("PROMOTION_NOT_FOUND"), "{}", r.stderr);
    let r = run(promoter()
        .args(["show", "nope-1", "-o", "json"])
        .args(state_arg(&state)));
    assert_eq!(r.code, 1);
    let v = json_of(&r);
    assert_eq!(v["ok"], false);
    assert_eq!(v["code"], "PROMOTION_NOT_FOUND");
}

/// The refused documents of [`refused_state`]: two on `orders-test-1` (a record), one refused
/// request `ghost-1` (no record) and one repository document.
fn refusals() -> Vec<Problem> {
    vec![
        Problem::new(
            "promotions/orders-test-1/peer-review.yaml",
            ErrorCode::IdentityMismatch,
            "claims bob@example.com, signed by mallory@example.com",
        )
        .at(Some(3), Some(11))
        .by(Some("bob@example.com"), Some("mallory@example.com")),
        Problem::new(
            "promotions/orders-test-1/withdrawal.yaml",
            ErrorCode::SignatureMissing,
            "no withdrawal.yaml.sig",
        ),
        Problem::new(
            "promotions/ghost-1/request.yaml",
            ErrorCode::SignatureInvalid,
            "the signature does not verify",
        )
        .by(Some("eve@example.com"), None),
        Problem::new(
            "access/policy.yaml",
            ErrorCode::DocumentReplayed,
            "serial 3 is not greater than 7",
        )
        .at(Some(2), None),
    ]
}

/// [`filled_state`] with the problems of [`refusals`] kept (commit `c0ffee…`), then the
/// withdrawal's problem cleared (commit `beef…`).
fn refused_state() -> (tempfile::TempDir, PathBuf) {
    let (dir, state) = filled_state();
    let store = Store::open(state.join("state.db")).unwrap();
    let sync = |problems: &[Problem], commit: &str, at: &str| {
        store
            .write(|tx| {
                tx.sync_problems(
                    ProblemSource::Document,
                    ProblemScope::All,
                    problems,
                    commit,
                    parse_ts(at).unwrap(),
                )
            })
            .unwrap()
    };
    let all = refusals();
    assert_eq!(
        sync(&all, "c0ffee0123456789", "2026-11-20T10:00:00Z").len(),
        4
    );
    let mut left = all;
    left.remove(1);
    assert!(sync(&left, "beef0123456789ab", "2026-11-21T10:00:00Z").is_empty());
    drop(store);
    (dir, state)
}

#[test]
fn status_counts_problems_and_lists_refused_requests_and_repository_problems() {
    let (_d, state) = refused_state();
    let r = run(promoter().arg("status").args(state_arg(&state)));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    let col = lines[0].find("PROBLEMS").expect("a PROBLEMS column");
    let cell = |id: &str| {
        let l = lines
            .iter()
            .find(|l| l.starts_with(&format!("{id} ")))
            .unwrap_or_else(|| panic!("no row {id} in\n{}", r.stdout));
        l[col..].split_whitespace().next().unwrap().to_owned()
    };
    assert_eq!(cell("orders-test-1"), "1");
    assert_eq!(cell("invoices-1"), "-");
    assert_eq!(cell("ghost-1"), "1");
    let ghost = lines.iter().find(|l| l.starts_with("ghost-1 ")).unwrap();
    assert!(
        ghost.contains("REFUSED") && ghost.contains("SIGNATURE_INVALID"),
        "{ghost}"
    );
    // the refused request comes after the records
    assert_eq!(
        lines[5].split_whitespace().next(),
        Some("ghost-1"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains(
        "Repository problems:\n  access/policy.yaml:2: DOCUMENT_REPLAYED: serial 3 is not greater than 7"
    ), "{}", r.stdout);

    let v = json_of(&run(promoter()
        .args(["status", "-o", "json"])
        .args(state_arg(&state))));
    let count = |id: &str| {
        v["promotions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["promotionId"] == id)
            .unwrap()["problems"]
            .clone()
    };
    assert_eq!(count("orders-test-1"), 1);
    assert_eq!(count("invoices-1"), 0);
    assert_eq!(v["refused"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["refused"][0]["promotionId"], "ghost-1");
    assert_eq!(v["refused"][0]["problems"][0]["code"], "SIGNATURE_INVALID");
    assert_eq!(v["refused"][0]["problems"][0]["claimed"], "eve@example.com");
    assert_eq!(v["repositoryProblems"][0]["file"], "access/policy.yaml");
    assert_eq!(v["repositoryProblems"][0]["promotionId"], Value::Null);

    // a filter hides the refused requests (they have no status or account), not the
    // repository problems
    let v = json_of(&run(promoter()
        .args(["status", "--status", "TEST_DEPLOYED", "-o", "json"])
        .args(state_arg(&state))));
    assert_eq!(v["promotions"].as_array().unwrap().len(), 1);
    assert!(v["refused"].as_array().unwrap().is_empty(), "{v}");
    assert_eq!(v["repositoryProblems"].as_array().unwrap().len(), 1);
    let r = run(promoter()
        .args(["status", "--account", DEV])
        .args(state_arg(&state)));
    assert!(!r.stdout.contains("ghost-1"), "{}", r.stdout);
    assert!(r.stdout.contains("Repository problems:"));
}

#[test]
fn show_lists_problems_and_a_refused_request_exits_1() {
    let (_d, state) = refused_state();
    let r = run(promoter()
        .args(["show", "orders-test-1"])
        .args(state_arg(&state)));
    assert_eq!(r.code, 0, "{}", r.stderr);
    for want in [
        "Promotion orders-test-1  TEST_DEPLOYED",
        "Problems (1 open):",
        "promotions/orders-test-1/peer-review.yaml:3:11  IDENTITY_MISMATCH  claims bob@example.com",
        "claimed / signer: bob@example.com / mallory@example.com; first seen 2026-11-20 10:00 in commit c0ffee012345",
        "Cleared problems (1):",
        "promotions/orders-test-1/withdrawal.yaml  SIGNATURE_MISSING  no withdrawal.yaml.sig  (cleared at 2026-11-21 10:00 in commit beef01234567)",
        "Components (1):",
    ] {
        assert!(r.stdout.contains(want), "missing {want:?} in\n{}", r.stdout);
    }
    let v = json_of(&run(promoter()
        .args(["show", "orders-test-1", "-o", "json"])
        .args(state_arg(&state))));
    assert_eq!(v["promotion"]["status"], "TEST_DEPLOYED");
    assert_eq!(v["problems"].as_array().unwrap().len(), 1);
    assert_eq!(v["problems"][0]["code"], "IDENTITY_MISMATCH");
    assert_eq!(v["problems"][0]["signer"], "mallory@example.com");
    assert_eq!(v["problems"][0]["commit"], "c0ffee0123456789");
    assert_eq!(v["clearedProblems"][0]["code"], "SIGNATURE_MISSING");
    assert_eq!(v["clearedProblems"][0]["clearedCommit"], "beef0123456789ab");
    // a promotion without problems says so
    let v = json_of(&run(promoter()
        .args(["show", "invoices-1", "-o", "json"])
        .args(state_arg(&state))));
    assert!(v["problems"].as_array().unwrap().is_empty());

    // the refused request: its problems, exit 1
    let r = run(promoter().args(["show", "ghost-1"]).args(state_arg(&state)));
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    for want in [
        "Promotion ghost-1  REFUSED",
        "Problems (1 open):",
        "promotions/ghost-1/request.yaml  SIGNATURE_INVALID  the signature does not verify",
        "eve@example.com / -",
    ] {
        assert!(r.stdout.contains(want), "missing {want:?} in\n{}", r.stdout);
    }
    let r = run(promoter()
        .args(["show", "ghost-1", "-o", "json"])
        .args(state_arg(&state)));
    assert_eq!(r.code, 1);
    let v = json_of(&r);
    assert_eq!(v["promotionId"], "ghost-1");
    assert_eq!(v["refused"], true);
    assert_eq!(v["problems"][0]["file"], "promotions/ghost-1/request.yaml");

    // neither a record nor a problem: PROMOTION_NOT_FOUND, as before
    let r = run(promoter()
        .args(["show", "nope-1", "-o", "json"])
        .args(state_arg(&state)));
    assert_eq!(r.code, 1);
    assert_eq!(json_of(&r)["code"], "PROMOTION_NOT_FOUND");
}

#[test]
fn history_by_process_and_component_with_dates() {
    let (_d, state) = filled_state();
    let ids = |r: &Run| -> Vec<String> {
        json_of(r)["promotions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["promotionId"].as_str().unwrap().to_string())
            .collect()
    };
    let r = run(promoter()
        .args([
            "history",
            "--process",
            "Order Processing Main",
            "-o",
            "json",
        ])
        .args(state_arg(&state)));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        ids(&r),
        ["orders-broken-1", "orders-hotfix-1", "orders-test-1"]
    );
    let r = run(promoter()
        .args([
            "history",
            "--process",
            "Order Processing Main",
            "--since",
            "2026-11-01",
            "--until",
            "2026-11-10",
            "-o",
            "json",
        ])
        .args(state_arg(&state)));
    assert_eq!(ids(&r), ["orders-hotfix-1"]);

    // By production component id, human table with the component's action.
    let r = run(promoter()
        .args(["history", "--component", PROD_ROOT])
        .args(state_arg(&state)));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows: Vec<&str> = r.stdout.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{}", r.stdout);
    assert!(rows[0].starts_with("orders-hotfix-1") && rows[0].contains("UPDATED"));
    assert!(rows[1].starts_with("orders-test-1") && rows[1].contains("CREATED"));

    // Neither --process nor --component: usage error.
    let r = run(promoter().arg("history").args(state_arg(&state)));
    assert_eq!(r.code, 2);
    let r = run(promoter()
        .args(["history", "--process", "Nothing Like It"])
        .args(state_arg(&state)));
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("No promotions found"));
}

#[test]
fn mappings_list_and_csv_export() {
    let (d, state) = filled_state();
    let r = run(promoter()
        .args(["mappings", "list"])
        .args(state_arg(&state)));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains(PROD_DB_CONN) && r.stdout.contains("ADMIN"));
    assert!(r.stdout.contains(PROD_ROOT) && r.stdout.contains("ENGINE"));

    let r = run(promoter()
        .args(["mappings", "list", "--source", "admin", "-o", "json"])
        .args(state_arg(&state)));
    let v = json_of(&r);
    let list = v["mappings"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["devComponentId"], DB_CONN);

    let r = run(promoter()
        .args(["mappings", "export", "--csv", "--account", DEV])
        .args(state_arg(&state)));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3, "{}", r.stdout);
    assert!(lines[0].starts_with("devAccountId,devComponentId,prodComponentId"));
    assert!(lines.iter().any(|l| l.starts_with(&format!(
        "{DEV},{DB_CONN},{PROD_DB_CONN},Orders DB,connection"
    ))));

    let file = d.path().join("out.csv");
    let r = run(promoter()
        .args([
            "mappings",
            "export",
            "--csv",
            "--account",
            "dev-other",
            "--file",
        ])
        .arg(&file)
        .args(state_arg(&state)));
    assert_eq!(r.code, 0);
    let csv = std::fs::read_to_string(&file).unwrap();
    assert_eq!(csv.split("\r\n").filter(|l| !l.is_empty()).count(), 1);
}

// ---- against the emulator ----------------------------------------------------------------------

fn seed_yaml() -> String {
    format!(
        r#"
primaryAccount:
  id: {PRIMARY}
  name: Primary
  components:
    - id: {PROD_ROOT}
      name: Order Processing Main
      type: process
      folder: Promoted/Team A/Orders
      version: 2
      object: '<process xmlns=""><shapes><shape name="shape1" userlabel="Start"/></shapes></process>'
  branches:
    - name: promo-orders-diff-1
accounts:
  - id: {DEV}
    name: Team A
    components:
      - id: {ROOT}
        name: Order Processing Main
        type: process
        folder: Team A/Orders
        version: 7
        object: '<process xmlns=""><shapes><shape name="s1"><configuration><connectoraction connectionId="{API_CONN}" operationId="{OP_GET}"/></configuration></shape><shape name="s2"><configuration><processcall processId="{SUBPROCESS}"/></configuration></shape><shape name="s3"><configuration><map mapId="{MAP}"/></configuration></shape><shape name="s4"><configuration><connectoraction connectionId="{DB_CONN}" operationId="{OP_INSERT}"/></configuration></shape></shapes></process>'
      - id: {SUBPROCESS}
        name: Order Validation
        type: process
        folder: Team A/Orders
        version: 3
        object: '<process xmlns=""><shapes><shape name="s1"><configuration><dataprocess><step><dataprocessscript><scriptComponent component="{SCRIPT}"/></dataprocessscript></step></dataprocess></configuration></shape></shapes></process>'
      - id: {MAP}
        name: Order JSON to ERP XML
        type: transform.map
        folder: Team A/Maps
        object: '<Map xmlns="" fromProfile="{PROFILE_JSON}" toProfile="{PROFILE_XML}"><Mappings/></Map>'
      - id: {PROFILE_JSON}
        name: Order JSON Profile
        type: profile.json
        folder: Team A/Profiles
        object: '<JSONProfile xmlns=""/>'
      - id: {PROFILE_XML}
        name: ERP Order XML Profile
        type: profile.xml
        folder: Team A/Profiles
        object: '<XMLProfile xmlns=""/>'
      - id: {OP_GET}
        name: Orders API Get
        type: connector-action
        folder: Team A/Operations
        object: '<Operation xmlns=""><Configuration/></Operation>'
      - id: {OP_INSERT}
        name: Orders DB Insert
        type: connector-action
        folder: Team A/Operations
        object: '<Operation xmlns=""><Configuration><DatabaseSendAction><field id="profile" type="string" value="{PROFILE_XML}"/></DatabaseSendAction></Configuration></Operation>'
      - id: {SCRIPT}
        name: Normalize Order
        type: script.processing
        folder: Team A/Scripts
        object: '<Script xmlns="" language="groovy2"><script>return 1</script></Script>'
      - id: {DB_CONN}
        name: Orders DB Connection
        type: connector-settings
        folder: Team A/Connections
        object: '<GenericConnectorConfig xmlns=""><field id="host" type="string" value="db.dev"/></GenericConnectorConfig>'
      - id: {API_CONN}
        name: Orders API Connection
        type: connector-settings
        folder: Team A/Connections
        object: '<GenericConnectorConfig xmlns=""><field id="url" type="string" value="https://api.dev"/></GenericConnectorConfig>'
"#
    )
}

struct Sim {
    rt: tokio::runtime::Runtime,
    server: Option<Server>,
    base: String,
}

impl Sim {
    fn start() -> Sim {
        Sim::start_with(Seed::from_yaml_str(&seed_yaml()).expect("seed parses"))
    }

    fn start_with(seed: Seed) -> Sim {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let rt = tokio::runtime::Runtime::new().unwrap();
        let server = rt
            .block_on(Server::start(
                seed,
                SimConfig::instant(),
                "127.0.0.1:0".parse().unwrap(),
            ))
            .expect("emulator starts");
        let base = server.base_url();
        Sim {
            rt,
            server: Some(server),
            base,
        }
    }

    fn platform(&self) -> HttpPlatform {
        HttpPlatform::new(HttpConfig::new(
            &self.base,
            PRIMARY,
            Credentials::new("tester@example.com", "secret-token").unwrap(),
        ))
        .unwrap()
    }

    fn cmd(&self, sub: &str) -> Command {
        let mut c = promoter();
        c.arg(sub)
            .args(["--boomi", &self.base, "--primary-account", PRIMARY]);
        c
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(s) = self.server.take() {
            self.rt.block_on(s.shutdown());
        }
    }
}

fn deps_cmd(sim: &Sim) -> Command {
    let mut c = sim.cmd("deps");
    c.args(["--account", DEV, "--root", ROOT]);
    c
}

#[test]
fn deps_flags_missing_connection_mappings_then_passes_with_store_mappings() {
    let sim = Sim::start();

    // No mappings at all: both connections are missing.
    let r = run(&mut deps_cmd(&sim));
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let out = &r.stdout;
    assert!(
        out.contains("Order Processing Main") && out.contains("10 components"),
        "{out}"
    );
    // The tree, indented by depth.
    let line = |name: &str| {
        out.lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("{name} not in\n{out}"))
            .to_string()
    };
    assert!(
        line("Order Processing Main [").starts_with("Order Processing Main [process] NEW"),
        "{out}"
    );
    assert!(
        line("Order Validation [process]").starts_with("  Order Validation"),
        "{out}"
    );
    assert!(
        line("Normalize Order").starts_with("    Normalize Order [script.processing]"),
        "{out}"
    );
    assert!(
        line("Orders DB Connection")
            .starts_with("  Orders DB Connection [connector-settings] CONNECTION_MISSING"),
        "{out}"
    );
    assert!(
        line("ERP Order XML Profile").starts_with("    ERP Order XML Profile"),
        "{out}"
    );
    assert!(
        out.contains("MISSING_CONNECTION_MAPPINGS: 2 connection(s)"),
        "{out}"
    );
    // The promotion order: profiles first, the root last, no connection.
    let order: Vec<&str> = out
        .split("Promotion order:")
        .nth(1)
        .unwrap()
        .lines()
        .filter(|l| {
            l.trim_start()
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
        })
        .collect();
    assert_eq!(order.len(), 8, "{out}");
    assert!(order[0].contains("Profile"), "{order:?}");
    assert!(order[7].contains("Order Processing Main"), "{order:?}");
    assert!(!order.iter().any(|l| l.contains("Connection")));

    // With a store holding the admin connection mappings and an engine mapping of the root.
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let store = Store::open(state.join("state.db")).unwrap();
    store
        .upsert_mappings(&[
            mapping(
                DB_CONN,
                PROD_DB_CONN,
                "Orders DB",
                "connection",
                MappingSource::Admin,
            ),
            mapping(
                API_CONN,
                PROD_API_CONN,
                "Orders API",
                "connection",
                MappingSource::Admin,
            ),
            mapping(
                ROOT,
                PROD_ROOT,
                "Order Processing Main",
                "process",
                MappingSource::Engine,
            ),
        ])
        .unwrap();
    drop(store);
    let r = run(deps_cmd(&sim).args(state_arg(&state)));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains(&format!(
        "Order Processing Main [process] UPDATE -> {PROD_ROOT}"
    )));
    assert!(r.stdout.contains(&format!(
        "Orders DB Connection [connector-settings] CONNECTION_MAPPED -> {PROD_DB_CONN}"
    )));
    assert!(r.stdout.contains("Every connection is mapped."));

    // JSON, with the ComponentReference cross-check.
    let r = run(deps_cmd(&sim)
        .args(["--check-references", "-o", "json"])
        .args(state_arg(&state)));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json_of(&r);
    assert_eq!(v["ok"], true);
    assert_eq!(v["totalComponents"], 10);
    assert_eq!(v["missingConnections"].as_array().unwrap().len(), 0);
    assert_eq!(v["mappingSources"]["store"], 3);
    assert_eq!(v["order"].as_array().unwrap().last().unwrap(), ROOT);
    let root = &v["components"][0];
    assert_eq!(root["status"], "UPDATE");
    assert_eq!(root["prodComponentId"], PROD_ROOT);

    // An unknown root.
    let r = run(sim.cmd("deps").args([
        "--account",
        DEV,
        "--root",
        "no-such-component",
        "-o",
        "json",
    ]));
    assert_eq!(r.code, 1);
    assert_eq!(json_of(&r)["code"], "COMPONENT_NOT_FOUND");
}

#[test]
fn deps_takes_verified_connection_mappings_from_the_repository() {
    // The demo repository names the example seed's ids.
    let sim = Sim::start_with(Seed::from_yaml_file(root().join("examples/sim-seed.yaml")).unwrap());
    const SEED_ROOT: &str = "3f1c9a52-6a0e-4d2b-9b1e-0a7d5c2e8f11";
    const SEED_API_CONN: &str = "d5f6a7b8-3c4d-4e5f-8a91-2b3c4d5e6f14";
    const SEED_PROD_API_CONN: &str = "2d3e4f50-6172-4839-a4b5-c6d7e8f90a03";
    let deps_cmd = |sim: &Sim| {
        let mut c = sim.cmd("deps");
        c.args(["--account", DEV, "--root", SEED_ROOT]);
        c
    };
    let repo = root().join("examples/demo-repo");
    let trust = root().join("examples/trust/allowed_signers");
    let r = run(deps_cmd(&sim)
        .args(["-o", "json", "--repo"])
        .arg(&repo)
        .arg("--trust")
        .arg(&trust));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let v = json_of(&r);
    assert_eq!(v["mappingSources"]["repository"], 2);
    let conn = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["devComponentId"] == SEED_API_CONN)
        .unwrap();
    assert_eq!(conn["status"], "CONNECTION_MAPPED");
    assert_eq!(conn["prodComponentId"], SEED_PROD_API_CONN);

    // A tampered copy of the mappings file is not used.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("repo");
    copy_dir(&repo, &copy);
    let f = copy.join("mappings/dev-team-a.yaml");
    let text = std::fs::read_to_string(&f).unwrap();
    std::fs::write(&f, text.replace("Orders DB", "Orders DB (edited)")).unwrap();
    let r = run(deps_cmd(&sim)
        .arg("--repo")
        .arg(&copy)
        .arg("--trust")
        .arg(&trust));
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stderr.contains("mappings/dev-team-a.yaml"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("not used"), "{}", r.stderr);
    assert!(r.stdout.contains("MISSING_CONNECTION_MAPPINGS"));
}

#[test]
fn deps_stops_on_refused_credentials() {
    let mut seed = Seed::from_yaml_str(&seed_yaml()).unwrap();
    seed.users.push(boomi_promoter::sim::SeedUser {
        user: "tester@example.com".into(),
        token: "the-real-token".into(),
    });
    let sim = Sim::start_with(seed);
    // `promoter()` sends `secret-token`: Boomi answers 401, resolution stops (no retry).
    let r = run(deps_cmd(&sim).args(["-o", "json"]));
    assert_eq!(r.code, 1, "{}", r.stdout);
    let v = json_of(&r);
    assert_eq!(v["code"], "AUTH_FAILED", "{v}");
    assert!(!r.stdout.contains("secret-token") && !r.stderr.contains("secret-token"));
    let r = run(deps_cmd(&sim).env("BOOMI_TOKEN", "the-real-token"));
    assert_eq!(r.code, 1, "connections still unmapped: {}", r.stdout);
    assert!(r.stdout.contains("MISSING_CONNECTION_MAPPINGS"));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn diff_compares_branch_with_main_and_reports_a_gone_branch() {
    let sim = Sim::start();
    let platform = sim.platform();
    // Put a changed revision of the root and a brand-new script on the promotion branch.
    let (branch_id, new_id, on_main_id) = sim.rt.block_on(async {
        let branches = platform
            .query_branches(None, Some("promo-orders-diff-1"))
            .await
            .unwrap();
        let branch_id = branches[0].id.clone().unwrap();
        let main = platform.get_component(None, PROD_ROOT, None).await.unwrap();
        let changed = main
            .xml()
            .replace("userlabel=\"Start\"", "userlabel=\"Start here\"")
            .replace("</shapes>", "<shape name=\"shape2\" userlabel=\"Stop\"/></shapes>");
        assert_ne!(changed, main.xml());
        platform
            .update_component(None, PROD_ROOT, &Component::from_xml(changed), Some(&branch_id))
            .await
            .unwrap();
        let created = platform
            .create_component(
                None,
                &Component::from_xml(
                    "<bns:Component xmlns:bns=\"http://api.platform.boomi.com/\" name=\"Normalize Order\" type=\"script.processing\" folderFullPath=\"Promoted/Team A/Scripts\"><bns:object><Script xmlns=\"\"><script>return 1</script></Script></bns:object></bns:Component>",
                ),
                Some(&branch_id),
            )
            .await
            .unwrap();
        // A component main holds (the branch sees it too).
        let on_main = platform
            .create_component(
                None,
                &Component::from_xml(
                    "<bns:Component xmlns:bns=\"http://api.platform.boomi.com/\" name=\"Trim Names\" type=\"script.processing\" folderFullPath=\"Promoted/Team A/Scripts\"><bns:object><Script xmlns=\"\"><script>return 2</script></Script></bns:object></bns:Component>",
                ),
                None,
            )
            .await
            .unwrap();
        // ...and the branch's own revision of it.
        platform
            .update_component(
                None,
                on_main.component_id().as_deref().unwrap(),
                &Component::from_xml(on_main.xml().replace("return 2", "return 3")),
                Some(&branch_id),
            )
            .await
            .unwrap();
        (
            branch_id,
            created.component_id().unwrap(),
            on_main.component_id().unwrap(),
        )
    });

    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let store = Store::open(state.join("state.db")).unwrap();
    let mut r = rec(
        "orders-diff-1",
        S::PendingPeerReview,
        Target::Production,
        "2026-11-20T08:00:00Z",
        "Order Processing Main",
    );
    r.is_hotfix = true;
    r.branch_id = Some(branch_id.clone());
    r.branch_name = Some("promo-orders-diff-1".into());
    r.result_detail.push(result(
        ROOT,
        PROD_ROOT,
        "Order Processing Main",
        "process",
        ComponentAction::Updated,
    ));
    r.result_detail.push(result(
        SCRIPT,
        &new_id,
        "Normalize Order",
        "script.processing",
        ComponentAction::Created,
    ));
    // Recorded as created, but main holds it (merged since, or put there by another promotion):
    // the diff compares with main's version, never "CREATE main v0".
    r.result_detail.push(result(
        "dev-trim-names",
        &on_main_id,
        "Trim Names",
        "script.processing",
        ComponentAction::Created,
    ));
    walk(&store, r, &[]);
    let mut gone = rec(
        "orders-gone-1",
        S::PendingPeerReview,
        Target::Production,
        "2026-11-20T09:00:00Z",
        "Order Processing Main",
    );
    gone.result_detail.push(result(
        ROOT,
        PROD_ROOT,
        "Order Processing Main",
        "process",
        ComponentAction::Updated,
    ));
    walk(&store, gone.clone(), &[S::Withdrawn]);
    let mut stale = gone;
    stale.promotion_id = "orders-stale-1".into();
    stale.branch_id = Some("QjoxOTk5OTk".into());
    walk(&store, stale, &[]);
    drop(store);

    let r = run(sim
        .cmd("diff")
        .args(["orders-diff-1", "-o", "json"])
        .args(state_arg(&state)));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let v = json_of(&r);
    let comps = v["components"].as_array().unwrap();
    assert_eq!(comps.len(), 3);
    let on_main = &comps[2];
    assert_eq!(on_main["componentAction"], "UPDATE", "{on_main}");
    assert!(on_main["mainVersion"].as_i64().unwrap() >= 1, "{on_main}");
    let upd = &comps[0];
    assert_eq!(upd["componentAction"], "UPDATE");
    assert_eq!(upd["mainVersion"], 2);
    assert_eq!(upd["identical"], false);
    assert_eq!(upd["stats"]["added"], 1, "{upd}");
    // The root element line (version, branch, modification) and the edited shape.
    assert_eq!(upd["stats"]["changed"], 2, "{upd}");
    assert_eq!(upd["branchVersion"], 3);
    assert!(upd["unified"].as_str().unwrap().contains("+"));
    assert!(upd.get("rows").is_none());
    let new = &comps[1];
    assert_eq!(new["componentAction"], "CREATE");
    assert_eq!(new["mainVersion"], 0);
    assert_eq!(new["stats"]["removed"], 0);
    assert!(new["stats"]["added"].as_u64().unwrap() > 0);

    // Human, one component, side by side.
    let r = run(sim
        .cmd("diff")
        .args([
            "orders-diff-1",
            "--component",
            "Order Processing Main",
            "--side-by-side",
        ])
        .args(state_arg(&state)));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("== Order Processing Main (process)"));
    assert!(r.stdout.contains("UPDATE  main v2 -> branch v"));
    assert!(
        r.stdout.contains("1 added, 0 removed, 2 changed"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.lines().any(|l| l.contains(" | ")), "{}", r.stdout);
    assert!(!r.stdout.contains("Normalize Order"));

    // The branch was deleted with the withdrawal.
    let r = run(sim
        .cmd("diff")
        .args(["orders-gone-1"])
        .args(state_arg(&state)));
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("gone"), "{}", r.stderr);
    // The record still names a branch Boomi no longer has.
    let r = run(sim
        .cmd("diff")
        .args(["orders-stale-1", "-o", "json"])
        .args(state_arg(&state)));
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(json_of(&r)["message"].as_str().unwrap().contains("gone"));
    // Unknown promotion.
    let r = run(sim.cmd("diff").args(["nope-1"]).args(state_arg(&state)));
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("PROMOTION_NOT_FOUND"));
}

#[test]
fn diff_of_two_files_still_works() {
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("l.xml");
    let r_ = dir.path().join("r.xml");
    std::fs::write(&l, "<a><b x='1'/></a>").unwrap();
    std::fs::write(&r_, "<a><b x='2'/></a>").unwrap();
    let r = run(promoter()
        .arg("diff")
        .arg("--left")
        .arg(&l)
        .arg("--right")
        .arg(&r_));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("0 added, 0 removed, 1 changed"),
        "{}",
        r.stdout
    );
    // An id and files together is a usage error.
    let r = run(promoter()
        .args(["diff", "some-id", "--left"])
        .arg(&l)
        .arg("--right")
        .arg(&r_));
    assert_eq!(r.code, 2);
}
