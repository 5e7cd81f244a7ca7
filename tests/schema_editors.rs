//! The JSON Schemas an editor checks documents with (`promoter schema`): every document of the
//! examples passes its schema, and a schema refuses what `validate` refuses wherever a schema
//! can say it — each case below is refused by both.

mod common;

use boomi_promoter::model::{parse_document, schema_of, Kind};
use serde_json::Value;
use std::path::Path;

fn yaml(text: &str) -> Value {
    serde_saphyr::from_str(text).expect("YAML")
}

/// The schema errors of a document (its `kind` picks the schema).
fn schema_errors(doc: &Value) -> Vec<String> {
    let kind = Kind::parse(doc["kind"].as_str().expect("kind")).expect("known kind");
    let schema = schema_of(kind);
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    validator.iter_errors(doc).map(|e| e.to_string()).collect()
}

fn yaml_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml") {
            out.push(p);
        }
    }
}

#[test]
fn every_example_document_passes_its_schema() {
    let mut files = Vec::new();
    yaml_files(&common::root().join("examples/demo-repo"), &mut files);
    yaml_files(&common::root().join("promotions"), &mut files);
    assert!(files.len() >= 8, "{files:?}");
    for f in files {
        let doc = yaml(&std::fs::read_to_string(&f).unwrap());
        let errors = schema_errors(&doc);
        assert!(errors.is_empty(), "{}: {errors:?}", f.display());
    }
}

const REQUEST: &str = "apiVersion: promoter/v1
kind: PromotionRequest
id: orders-fix-1
initiatedBy: alice@example.com
devAccountId: dev-team-a
processName: Orders
rootComponentId: 11111111-1111-4111-8111-111111111111
target: PRODUCTION
hotfix:
  justification: prod is down
packageVersion: 1.0.1
notes: urgent
";

fn request() -> Value {
    yaml(REQUEST)
}

/// Both the schema and the parser refuse `doc`.
fn refused_by_both(doc: &Value, what: &str) {
    let errors = schema_errors(doc);
    assert!(!errors.is_empty(), "{what}: the schema accepts it");
    let id = doc["id"]
        .as_str()
        .or(doc["promotion"].as_str())
        .unwrap_or("x");
    let file = match doc["kind"].as_str().unwrap() {
        "PromotionRequest" => "request.yaml",
        "PeerReview" => "peer-review.yaml",
        "AdminReview" => "admin-review.yaml",
        _ => "promoter.yaml",
    };
    let path = if file == "promoter.yaml" {
        file.to_string()
    } else {
        format!("promotions/{id}/{file}")
    };
    let text = serde_saphyr::to_string(doc).unwrap();
    assert!(
        parse_document(&path, text.as_bytes()).is_err(),
        "{what}: validate accepts it"
    );
}

#[test]
fn the_five_violations_of_the_issue_fail_the_schema() {
    let ok = request();
    assert!(schema_errors(&ok).is_empty(), "{:?}", schema_errors(&ok));
    let mut all = ok.clone();
    let cases: Vec<(&str, &str, Value)> = vec![
        ("id pattern", "id", "Orders_Fix".into()),
        (
            "packageVersion length",
            "packageVersion",
            "1.0.0-".repeat(4).into(),
        ),
        ("notes length", "notes", "n".repeat(501).into()),
        ("empty packageVersion", "packageVersion", " ".into()),
        ("initiatedBy e-mail", "initiatedBy", "alice".into()),
    ];
    for (what, key, value) in &cases {
        let mut doc = ok.clone();
        doc[*key] = value.clone();
        refused_by_both(&doc, what);
        all[*key] = value.clone();
    }
    let mut doc = ok.clone();
    doc["hotfix"]["justification"] = "j".repeat(1001).into();
    refused_by_both(&doc, "justification length");
    all["hotfix"]["justification"] = "j".repeat(1001).into();
    assert!(schema_errors(&all).len() >= 5, "{:?}", schema_errors(&all));
}

#[test]
fn rules_between_fields_are_in_the_schema() {
    let ok = request();
    let mut doc = ok.clone();
    doc["target"] = "TEST".into();
    refused_by_both(&doc, "a TEST request with a hotfix");
    let mut doc = ok.clone();
    doc.as_object_mut().unwrap().remove("hotfix");
    refused_by_both(
        &doc,
        "a PRODUCTION request with neither fromTest nor hotfix",
    );
    let mut doc = ok.clone();
    doc["fromTest"] = "orders-test-1".into();
    refused_by_both(&doc, "fromTest and hotfix");
    let mut doc = ok.clone();
    doc.as_object_mut().unwrap().remove("rootComponentId");
    refused_by_both(&doc, "nothing to promote");
    let mut doc = ok.clone();
    doc["integrationPack"] = serde_json::json!({"newName": "Orders - TEST"});
    refused_by_both(&doc, "a production request with a TEST pack");
    let mut doc = ok.clone();
    doc["integrationPack"] = serde_json::json!({"id": "p-1", "newName": "Orders"});
    refused_by_both(&doc, "both pack id and newName");
    let mut doc = ok.clone();
    doc["kind"] = "PeerReview".into();
    assert!(
        !schema_errors(&doc).is_empty(),
        "a request is no PeerReview"
    );

    let mut test = ok.clone();
    test["target"] = "TEST".into();
    test.as_object_mut().unwrap().remove("hotfix");
    test["integrationPack"] = serde_json::json!({"newName": "Orders - TEST"});
    assert!(
        schema_errors(&test).is_empty(),
        "{:?}",
        schema_errors(&test)
    );
    // Explicit nulls are absent fields for serde: the schema agrees.
    let mut nulls = test.clone();
    for key in [
        "hotfix",
        "fromTest",
        "integrationPack",
        "notes",
        "devPackageId",
    ] {
        nulls[key] = Value::Null;
    }
    assert!(
        schema_errors(&nulls).is_empty(),
        "{:?}",
        schema_errors(&nulls)
    );
    let text = serde_saphyr::to_string(&nulls).unwrap();
    assert!(parse_document("promotions/orders-fix-1/request.yaml", text.as_bytes()).is_ok());
    test["integrationPack"] = serde_json::json!({"newName": "Orders"});
    refused_by_both(&test, "a TEST request with a production pack");

    let review = yaml(&format!(
        "apiVersion: promoter/v1\nkind: PeerReview\npromotion: orders-fix-1\nrequestDigest: sha256:{}\ndecision: REJECTED\nreviewer: bob@example.com\ncomments: no tests\n",
        "a".repeat(64)
    ));
    assert!(
        schema_errors(&review).is_empty(),
        "{:?}",
        schema_errors(&review)
    );
    let mut doc = review.clone();
    doc.as_object_mut().unwrap().remove("comments");
    refused_by_both(&doc, "a rejection without comments");
    let mut doc = review.clone();
    doc["requestDigest"] = format!("sha256:{}", "A".repeat(64)).into();
    refused_by_both(&doc, "an upper-case digest");
}

#[test]
fn settings_limits_and_secret_references() {
    let settings = yaml(
        "apiVersion: promoter/v1\nkind: Settings\nserial: 1\nprimaryAccountId: primary-1\nnotifications:\n  smtp:\n    host: localhost\n    from: promoter@example.com\n    tls: none\n    passwordFrom: {file: ./smtp/password}\n  webhook:\n    url: https://hooks.example.com/x\n    secretFrom: {env: PROMOTER_SECRET_HOOK}\n",
    );
    assert!(
        schema_errors(&settings).is_empty(),
        "{:?}",
        schema_errors(&settings)
    );
    for (what, pointer, value) in [
        (
            "branch limit above Boomi's",
            "/branchSoftLimit",
            Value::from(21),
        ),
        ("rate above 10/s", "/apiRateLimit", Value::from(11)),
        ("tls mode", "/notifications/smtp/tls", "ssl".into()),
        (
            "the Boomi token as a secret",
            "/notifications/webhook/secretFrom/env",
            "BOOMI_TOKEN".into(),
        ),
        (
            "a secret file outside the directory",
            "/notifications/smtp/passwordFrom/file",
            "../state.db".into(),
        ),
        (
            "an absolute secret file",
            "/notifications/smtp/passwordFrom/file",
            "/etc/shadow".into(),
        ),
        (
            "a secret file through ..",
            "/notifications/smtp/passwordFrom/file",
            "a/../../b".into(),
        ),
    ] {
        let mut doc = settings.clone();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let target = if parent.is_empty() {
            &mut doc
        } else {
            doc.pointer_mut(parent).unwrap()
        };
        target[key] = value;
        refused_by_both(&doc, what);
    }
}
