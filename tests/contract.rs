//! Contract suite: every `Platform` method through the real `HttpPlatform` against the real
//! emulator (`sim::Server`) over HTTP on 127.0.0.1, and every JSON body of that traffic
//! (requests the client sent, replies the emulator gave) validated against the schema of its
//! endpoint in Boomi's OpenAPI file (`tests/fixtures/openapi/`, made by `extract.py`).

use boomi_promoter::boomi::wire::*;
use boomi_promoter::boomi::{
    wait_branch_ready, wait_merge_stage, BoomiError, CallEvent, Credentials, Deletion, Deployer,
    DeploymentQuery, HttpConfig, HttpPlatform, MetadataQuery, NewPackage, PackageQuery, Platform,
    Polling, RetryPolicy,
};
use boomi_promoter::model::ErrorCode;
use boomi_promoter::sim::{Fault, Seed, Server, SimConfig};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

const PRIMARY: &str = "primary-abc123";
const DEV_A: &str = "dev-team-a";
const DEV_B: &str = "dev-team-b";

const ROOT: &str = "1f0c6b0e-5a1d-4c61-9a56-0d7e3c2a9b10";
const SUB: &str = "2a7d4e1c-8b3f-4f0a-b6d2-51c9e7a3f021";
const CONN: &str = "3b8e5f2d-9c4a-4a1b-87e3-62dafb4b0132";
const OPER: &str = "4c9f6a3e-ad5b-4b2c-98f4-73ebac5c1243";
const MAP: &str = "5da07b4f-be6c-4c3d-a905-84fcbd6d2354";
const PROFILE: &str = "6eb18c50-cf7d-4d4e-ba16-950dce7e3465";
const PROD_CONN: &str = "7fc29d61-d08e-4e5f-8b27-a61edf8f4576";
const PROD_PROC: &str = "80d3ae72-e19f-4f60-9c38-b72fe0905687";
const PACK_PROD: &str = "9e1c2b3a-4d5e-4f60-8172-93a4b5c6d7e8";

const DB_PASSWORD: &str = "Sup3r-S3cret-Pa55";
const EXT_PASSWORD: &str = "Pr0d-DB-Secret!";

/// The seed of this suite: a primary account with a production pack, environments with
/// extensions and a map extension, and two dev accounts; `dev-team-a` holds a process tree and
/// `extra` generated profiles (to make queries page).
fn seed(extra: usize) -> Seed {
    let mut generated = String::new();
    for i in 0..extra {
        generated.push_str(&format!(
            "      - {{id: \"00000000-0000-4000-8000-{i:012}\", name: \"Generated Profile {i:03}\", type: profile.json, folder: \"Team A/Generated\", object: '<JSONProfile xmlns=\"\" strict=\"false\"><DataElements/></JSONProfile>'}}\n"
        ));
    }
    let yaml = format!(
        r#"
primaryAccount:
  id: {PRIMARY}
  name: Acme Production
  components:
    - id: {PROD_CONN}
      name: Orders DB (prod)
      type: connector-settings
      subType: database
      folder: Promoted/Orders
      object: '<DatabaseSettings xmlns=""><field id="host" type="string" value="db.prod.example.com"/><field id="password" type="password" value="prod-pw-1"/></DatabaseSettings>'
    - id: {PROD_PROC}
      name: Orders Legacy
      type: process
      folder: Promoted/Orders
      object: '<process xmlns="" note="legacy"><shapes><shape><configuration><connectoraction connectionId="{PROD_CONN}"/></configuration></shape></shapes></process>'
  packages:
    - {{packageId: "a1b2c3d4-0000-4000-8000-000000000001", componentId: {PROD_PROC}, packageVersion: "1.0", notes: first}}
  packs:
    - id: {PACK_PROD}
      name: Orders - PROD
      description: Order flows
      components:
        - {{componentId: {PROD_PROC}, version: "1.0"}}
  environments:
    - id: env-test-1
      name: Test
      classification: TEST
      extensions:
        connections:
          connection:
            - id: {PROD_CONN}
              name: Orders DB (prod)
              field:
                - {{id: host, value: db.test.example.com, useDefault: false}}
                - {{id: port, value: "5432", useDefault: false}}
                - {{id: password, value: test-secret-1, usesEncryption: true, useDefault: false}}
        properties:
          property:
            - {{name: batchSize, value: "100"}}
            - {{name: region, value: eu-west-1}}
      mapExtensions:
        - mapId: {MAP}
          processId: {PROD_PROC}
          name: Orders JSON - Orders DB
          sourceConnectionId: {PROD_CONN}
    - id: env-prod-1
      name: Production
      classification: PROD
  deployments:
    - {{environmentId: env-prod-1, packageId: "a1b2c3d4-0000-4000-8000-000000000001"}}
accounts:
  - id: {DEV_A}
    name: Team A Development
    components:
      - id: {ROOT}
        name: Order Processing Main
        type: process
        folder: Team A/Orders
        object: '<process xmlns="" note="v1"><shapes><shape><configuration><connectoraction connectionId="{CONN}" operationId="{OPER}"/></configuration></shape><shape><configuration><map mapId="{MAP}"/></configuration></shape><shape><configuration><processcall processId="{SUB}"/></configuration></shape></shapes></process>'
      - id: {SUB}
        name: Order Enrichment
        type: process
        folder: Team A/Orders
        object: '<process xmlns="" note="sub"><shapes/></process>'
      - id: {CONN}
        name: Orders DB
        type: connector-settings
        subType: database
        folder: Team A/Connections
        object: '<DatabaseSettings xmlns=""><field id="host" type="string" value="db.dev.internal"/><field id="port" type="string" value="5432"/><field id="password" type="password" value="{DB_PASSWORD}"/></DatabaseSettings>'
      - id: {OPER}
        name: Orders Select
        type: connector-action
        subType: database
        folder: Team A/Connections
        object: '<Operation xmlns=""><Configuration><DatabaseGetAction profileId="{PROFILE}"/></Configuration></Operation>'
      - id: {MAP}
        name: Orders JSON to DB
        type: transform.map
        folder: Team A/Orders
        object: '<map xmlns=""><SourceProfile profileId="{PROFILE}"/></map>'
      - id: {PROFILE}
        name: Orders JSON
        type: profile.json
        folder: Team A/Orders
        object: '<JSONProfile xmlns="" strict="false"><DataElements/></JSONProfile>'
{generated}    packages:
      - {{packageId: "b0000000-0000-4000-8000-000000000001", componentId: {ROOT}, packageVersion: "1.0", createdBy: alice@example.com, createdDate: "2026-11-01T10:00:00Z", notes: first}}
      - {{packageId: "b0000000-0000-4000-8000-000000000002", componentId: {ROOT}, packageVersion: "1.1", createdBy: bob@example.com, createdDate: "2026-11-10T10:00:00Z", notes: second}}
  - id: {DEV_B}
    name: Team B Development
"#
    );
    Seed::from_yaml_str(&yaml).expect("the suite's seed parses")
}

/// One emulator and a traffic record; builds clients against it.
struct Harness {
    server: Server,
    _dir: tempfile::TempDir,
    record: PathBuf,
}

impl Harness {
    async fn start(seed: Seed, config: SimConfig) -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let record = dir.path().join("traffic.jsonl");
        let server = Server::start(seed, config, "127.0.0.1:0".parse().unwrap())
            .await
            .expect("sim starts");
        Harness {
            server,
            _dir: dir,
            record,
        }
    }

    fn config(&self, rps: u32, retries: u32) -> HttpConfig {
        let mut c = HttpConfig::new(
            self.server.base_url(),
            PRIMARY,
            Credentials::new("ci@example.com", "t0ken-value").unwrap(),
        );
        c.requests_per_second = rps;
        c.retry = RetryPolicy {
            max_retries: retries,
            base_delay: Duration::from_millis(2),
            max_delay: Duration::from_millis(20),
        };
        c.record_http = Some(self.record.clone());
        c.timeout = Duration::from_secs(10);
        c
    }

    /// A fast client (the suite's emulator has no rate limit unless a test sets one).
    fn platform(&self) -> Arc<dyn Platform> {
        self.http()
    }

    /// The same client as its concrete type, which also deploys and releases ([`Deployer`]).
    fn http(&self) -> Arc<HttpPlatform> {
        Arc::new(HttpPlatform::new(self.config(1000, 3)).unwrap())
    }

    fn calls(&self, endpoint: &str) -> u64 {
        self.server.calls().get(endpoint).copied().unwrap_or(0)
    }

    /// Validate every recorded JSON body against the OpenAPI schemas; returns how many.
    fn validate_traffic(&self) -> usize {
        validate_record(&self.record)
    }

    async fn finish(self) -> usize {
        let n = self.validate_traffic();
        assert!(n > 0, "the test sent and received JSON bodies to validate");
        self.server.shutdown().await;
        n
    }
}

fn instant() -> SimConfig {
    SimConfig::instant()
}

fn fast_polling() -> Polling {
    Polling {
        interval: Duration::from_millis(1),
        max_polls: 20,
    }
}

// ---------------------------------------------------------------------------------------------
// OpenAPI schema validation of the traffic record

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/openapi")
}

struct Endpoint {
    method: String,
    segments: Vec<String>,
    request: Option<String>,
    response: Option<String>,
}

fn endpoints() -> Vec<Endpoint> {
    let v: Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("endpoints.json")).unwrap()).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| Endpoint {
            method: e["method"].as_str().unwrap().to_string(),
            segments: e["path"]
                .as_str()
                .unwrap()
                .split('/')
                .map(str::to_string)
                .collect(),
            request: e["request"].as_str().map(str::to_string),
            response: e["response"].as_str().map(str::to_string),
        })
        .collect()
}

/// Fields the OpenAPI schema lists as required although the server assigns them, so no
/// create request can carry them (PackagedComponent marks `packageId`, `createdBy`, ... as
/// required). Only these are relaxed, and only for requests.
fn server_assigned(schema: &str) -> &'static [&'static str] {
    match schema {
        "PackagedComponent" => &[
            "branchName",
            "componentType",
            "createdBy",
            "createdDate",
            "notes",
            "packageId",
            "packageVersion",
        ],
        _ => &[],
    }
}

fn load_schema(name: &str, for_request: bool) -> Value {
    let path = if name == "Error" {
        fixtures().join("error.json")
    } else {
        fixtures().join("schemas").join(format!("{name}.json"))
    };
    let mut schema: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    if for_request {
        let relaxed = server_assigned(name);
        if let Some(Value::Array(req)) = schema.get_mut("required") {
            req.retain(|f| !relaxed.contains(&f.as_str().unwrap_or("")));
        }
    }
    schema
}

fn validate(schema_name: &str, for_request: bool, body: &Value) -> Result<(), String> {
    let schema = load_schema(schema_name, for_request);
    let validator = jsonschema::validator_for(&schema).map_err(|e| e.to_string())?;
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

/// Remove every `required` keyword (types, enums and shapes still checked).
fn strip_required(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("required");
            m.values_mut().for_each(strip_required);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_required),
        _ => {}
    }
}

/// Validate types, enums and shapes only.
fn validate_shape(schema_name: &str, body: &Value) -> Result<(), String> {
    let mut schema = load_schema(schema_name, false);
    strip_required(&mut schema);
    let validator = jsonschema::validator_for(&schema).map_err(|e| e.to_string())?;
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

fn api_path(path: &str) -> Vec<String> {
    let path = path.split('?').next().unwrap();
    let rest = path
        .strip_prefix("/partner/api/rest/v1/")
        .or_else(|| path.strip_prefix("/api/rest/v1/"))
        .unwrap_or_else(|| panic!("not an API path: {path}"));
    rest.split('/').skip(1).map(str::to_string).collect()
}

/// The endpoint template matching a path; literal segments win over `{placeholders}`
/// (`PublisherIntegrationPack/query` is not `PublisherIntegrationPack/{id}`).
fn match_endpoint<'a>(eps: &'a [Endpoint], method: &str, segs: &[String]) -> Option<&'a Endpoint> {
    let is_var = |t: &String| t.starts_with('{') && t.ends_with('}');
    eps.iter()
        .filter(|e| {
            e.method == method
                && e.segments.len() == segs.len()
                && e.segments
                    .iter()
                    .zip(segs)
                    .all(|(t, s)| is_var(t) || t == s)
        })
        .min_by_key(|e| e.segments.iter().filter(|t| is_var(t)).count())
}

fn validate_record(record: &Path) -> usize {
    let eps = endpoints();
    let text = std::fs::read_to_string(record).unwrap_or_default();
    let mut failures = Vec::new();
    let mut validated = 0;
    for line in text.lines() {
        let entry: Value = serde_json::from_str(line).expect("record lines are JSON");
        assert_eq!(entry["authorization"], "<redacted>");
        let method = entry["method"].as_str().unwrap();
        let path = entry["path"].as_str().unwrap();
        let segs = api_path(path);
        let Some(ep) = match_endpoint(&eps, method, &segs) else {
            failures.push(format!("{method} {path}: no OpenAPI endpoint matches"));
            continue;
        };
        let is_json = |k: &str| entry[k].as_str().is_some_and(|c| c.contains("json"));
        if is_json("request_content_type") {
            let body: Value =
                serde_json::from_str(entry["request_body"].as_str().unwrap()).unwrap();
            match &ep.request {
                Some(s) => match validate(s, true, &body) {
                    Ok(()) => validated += 1,
                    Err(e) => {
                        failures.push(format!("{method} {path} request vs {s}: {e}\n  {body}"))
                    }
                },
                None => failures.push(format!("{method} {path}: JSON request but no schema")),
            }
        }
        let Some(status) = entry["status"].as_u64() else {
            continue; // transport failure: no reply
        };
        let body_text = entry["response_body"].as_str().unwrap_or("");
        if !is_json("response_content_type") || body_text.trim().is_empty() {
            continue;
        }
        let body: Value = serde_json::from_str(body_text).unwrap();
        let schema = if (200..300).contains(&status) {
            match &ep.response {
                Some(s) => s.clone(),
                None => {
                    failures.push(format!("{method} {path}: JSON reply but no schema"));
                    continue;
                }
            }
        } else {
            "Error".to_string()
        };
        match validate(&schema, false, &body) {
            Ok(()) => validated += 1,
            Err(e) => failures.push(format!(
                "{method} {path} {status} reply vs {schema}: {e}\n  {body}"
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} bodies break the OpenAPI schemas:\n{}",
        failures.len(),
        failures.join("\n")
    );
    validated
}

#[test]
fn schema_validation_catches_drift() {
    // The validator is not a rubber stamp: wrong enums, types and missing fields fail.
    assert!(validate(
        "EnvironmentQueryResponse",
        false,
        &json!({"numberOfResults": 1, "result": [{"classification": "PROD"}]})
    )
    .is_ok());
    assert!(validate(
        "EnvironmentQueryResponse",
        false,
        &json!({"numberOfResults": 1, "result": [{"classification": "PRODUCTION"}]})
    )
    .is_err());
    assert!(validate("Branch", false, &json!({"ready": "true"})).is_err());
    assert!(validate_shape("Branch", &json!({"ready": "true"})).is_err());
    assert!(validate_shape("PackagedComponent", &json!({"componentVersion": 2})).is_ok());
    assert!(validate_shape("PackagedComponent", &json!({"componentVersion": "2.0"})).is_err());
    assert!(validate(
        "MergeRequest",
        false,
        &json!({"priorityBranch": "Qjox", "MergeRequestDetails": {}})
    )
    .is_err());
    assert!(validate("MergeRequest", false, &json!({"stage": "MERGED"})).is_err());
    assert!(validate(
        "BranchQueryConfig",
        true,
        &json!({"QueryFilter": {"expression": {"operator": "EQUALS", "argument": ["x"]}}})
    )
    .is_err());
    assert!(validate("PackagedComponent", true, &json!({"componentId": "c"})).is_ok());
    assert!(validate("PackagedComponent", false, &json!({"componentId": "c"})).is_err());
    assert!(validate("Error", false, &json!({"@type": "Error", "message": "m"})).is_ok());
    assert!(validate("Error", false, &json!({"error": "m"})).is_err());
    // What our client sends validates.
    let q = QueryConfig::new(Expression::and(vec![
        Expression::eq("currentVersion", "true"),
        Expression::not_null("componentId"),
    ]));
    assert!(validate(
        "ComponentMetadataQueryConfig",
        true,
        &serde_json::to_value(&q).unwrap()
    )
    .is_ok());
}

#[test]
fn fixtures_are_the_extraction_of_the_openapi_file() {
    // Every endpoint names schemas that exist, and the schemas are self-contained.
    for e in endpoints() {
        for s in [&e.request, &e.response].into_iter().flatten() {
            let schema = load_schema(s, false);
            let text = schema.to_string();
            assert!(!text.contains("#/components/"), "{s} still refers outside");
            jsonschema::validator_for(&schema).unwrap_or_else(|err| panic!("{s}: {err}"));
        }
    }
}

/// Decode one documented reply with the client's wire type for that schema.
fn decode_example(schema: &str, v: Value) -> Result<Value, String> {
    fn one<T: WireObject + serde::de::DeserializeOwned + serde::Serialize>(
        v: Value,
    ) -> Result<Value, String> {
        from_json_value::<T>(v)
            .map(|t| serde_json::to_value(&t).unwrap())
            .map_err(|e| e.to_string())
    }
    match schema {
        "Account" => one::<Account>(v),
        "AccountQueryResponse" => one::<QueryResult<Account>>(v),
        "Branch" => one::<Branch>(v),
        "BranchQueryResponse" => one::<QueryResult<Branch>>(v),
        "ComponentMetadata" => one::<ComponentMetadata>(v),
        "ComponentMetadataQueryResponse" => one::<QueryResult<ComponentMetadata>>(v),
        "ComponentReference" => one::<ComponentReference>(v),
        "ComponentReferenceQueryResponse" => one::<QueryResult<ComponentReference>>(v),
        "DeployedPackage" => one::<DeployedPackage>(v),
        "DeployedPackageQueryResponse" => one::<QueryResult<DeployedPackage>>(v),
        "EnvironmentExtensions" => one::<EnvironmentExtensions>(v),
        "EnvironmentMapExtension" => one::<EnvironmentMapExtension>(v),
        "EnvironmentMapExtensionsSummaryQueryResponse" => {
            one::<QueryResult<EnvironmentMapExtensionsSummary>>(v)
        }
        "EnvironmentQueryResponse" => one::<QueryResult<Environment>>(v),
        "MergeRequest" => one::<MergeRequest>(v),
        "MergeRequestQueryResponse" => one::<QueryResult<MergeRequest>>(v),
        "PackagedComponent" => one::<PackagedComponent>(v),
        "PackagedComponentQueryResponse" => one::<QueryResult<PackagedComponent>>(v),
        "PublisherIntegrationPack" => one::<PublisherIntegrationPack>(v),
        "PublisherIntegrationPackQueryResponse" => one::<QueryResult<PublisherIntegrationPack>>(v),
        "ReleaseIntegrationPack" => one::<ReleaseIntegrationPack>(v),
        "ReleaseIntegrationPackStatus" => one::<ReleaseIntegrationPackStatus>(v),
        other => Err(format!("no wire type for {other}")),
    }
}

#[test]
fn the_client_decodes_boomis_documented_replies() {
    let v: Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("examples.json")).unwrap()).unwrap();
    let mut decoded = BTreeMap::new();
    let mut mislabeled = Vec::new();
    let mut failures = Vec::new();
    for e in v.as_array().unwrap() {
        let schema = e["schema"].as_str().unwrap();
        let at = format!(
            "{} {}",
            e["method"].as_str().unwrap(),
            e["path"].as_str().unwrap()
        );
        if schema == "Component" {
            continue; // XML only (boomi-api.md §1.3)
        }
        let ex = e["example"].clone();
        // The object the example shows: its "@type", or the key of a one-key wrapper.
        let shown = ex
            .get("@type")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| match &ex {
                Value::Object(m) if m.len() == 1 => m.keys().next().cloned(),
                _ => None,
            });
        let expected = if schema.ends_with("QueryResponse") {
            "QueryResult"
        } else {
            schema
        };
        if shown.as_deref().is_some_and(|s| s != expected) {
            mislabeled.push(at);
            continue;
        }
        match decode_example(schema, ex) {
            Ok(out) => {
                decoded.insert(at, out);
            }
            Err(err) => failures.push(format!("{at} ({schema}): {err}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Boomi's copy-paste mistakes, named so a changed OpenAPI file is noticed.
    assert_eq!(
        mislabeled,
        vec![
            "GET ComponentReference/{componentId}",
            "GET MergeRequest/{id}",
            "POST EnvironmentMapExtension/{id}",
        ]
    );
    assert!(decoded.len() >= 30, "{}", decoded.len());
    // Lenient forms really decoded: {"Branch": {...}} with "ready": "true".
    assert_eq!(decoded["GET Branch/{id}"]["ready"], json!(true));
    // {"QueryResult": {"numberOfResults": "1", "result": {...}}}: a collapsed one-item list.
    assert_eq!(decoded["POST Branch/query"]["numberOfResults"], json!(1));
    assert_eq!(
        decoded["POST Branch/query"]["result"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // The canonical re-encoding has the schema's types, enums and shapes (native booleans and
    // numbers, arrays). `required` is not checked here: Boomi's own examples leave out fields
    // the schema marks required (`branchName`, `notes` of PackagedComponent). The map-extension
    // `Map` subtree is passed through untouched, as the example wrote it.
    let mut broken = Vec::new();
    for (at, out) in &decoded {
        if at.contains("EnvironmentMapExtension/") {
            continue;
        }
        let (method, path) = at.split_once(' ').unwrap();
        let ep = match_endpoint(
            &endpoints(),
            method,
            &path.split('/').map(str::to_string).collect::<Vec<_>>(),
        )
        .map(|e| e.response.clone().unwrap())
        .unwrap();
        if let Err(e) = validate_shape(&ep, out) {
            broken.push(format!(
                "{at}: the canonical form of Boomi's example breaks {ep}: {e}\n{out}"
            ));
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Components, metadata, references

#[tokio::test]
async fn component_reads_metadata_and_references() {
    let h = Harness::start(seed(0), instant()).await;
    let p = h.platform();

    // XML read from a dev account through overrideAccount.
    let root = p.get_component(Some(DEV_A), ROOT, None).await.unwrap();
    assert_eq!(root.component_id().as_deref(), Some(ROOT));
    assert_eq!(root.name().as_deref(), Some("Order Processing Main"));
    assert_eq!(root.component_type().as_deref(), Some("process"));
    assert!(root.xml().contains(r#"<process xmlns="" note="v1">"#));
    // Not visible from the primary account.
    let e = p.get_component(None, ROOT, None).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::ComponentNotFound, "{e}");
    assert!(!e.is_transient());
    assert_eq!(h.calls("GET Component/{id}"), 2, "a 4xx is never retried");

    // Encrypted values never come back.
    let conn = p.get_component(Some(DEV_A), CONN, None).await.unwrap();
    assert!(conn.xml().contains("db.dev.internal"));
    assert!(!conn.xml().contains(DB_PASSWORD), "{}", conn.xml());

    // An update that sends the hash back keeps the stored secret; a new plain value replaces
    // it and is not returned either.
    let hash = field_value(conn.xml(), "password");
    assert!(!hash.is_empty());
    let edited = Component::from_xml(
        conn.xml()
            .replacen("db.dev.internal", "db2.dev.internal", 1),
    );
    let saved = p
        .update_component(Some(DEV_A), CONN, &edited, None)
        .await
        .unwrap();
    assert_eq!(saved.version(), Some(2));
    let reread = p.get_component(Some(DEV_A), CONN, None).await.unwrap();
    assert!(reread.xml().contains("db2.dev.internal"));
    assert_eq!(field_value(reread.xml(), "password"), hash, "secret kept");
    let rotated = Component::from_xml(reread.xml().replacen(
        &format!("value=\"{hash}\""),
        "value=\"N3w-Rotated-Secret\"",
        1,
    ));
    p.update_component(Some(DEV_A), CONN, &rotated, None)
        .await
        .unwrap();
    let after = p.get_component(Some(DEV_A), CONN, None).await.unwrap();
    assert!(!after.xml().contains("N3w-Rotated-Secret"));
    assert_ne!(
        field_value(after.xml(), "password"),
        hash,
        "secret replaced"
    );
    let record = std::fs::read_to_string(&h.record).unwrap();
    assert!(
        !record.contains("N3w-Rotated-Secret"),
        "the record masks XML secrets"
    );

    // Metadata: by id, by name, by folder; current and not deleted by default.
    let by_id = p
        .query_component_metadata(
            Some(DEV_A),
            &MetadataQuery {
                component_id: Some(ROOT.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(by_id.len(), 1);
    assert_eq!(by_id[0].current_version, Some(true));
    assert_eq!(by_id[0].version, Some(1));
    let by_name = p
        .query_component_metadata(
            Some(DEV_A),
            &MetadataQuery {
                name: Some("Orders DB".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(by_name.len(), 1);
    assert_eq!(by_name[0].component_id.as_deref(), Some(CONN));
    assert_eq!(
        by_name[0].component_type.as_deref(),
        Some("connector-settings")
    );
    let in_folder = p
        .query_component_metadata(
            Some(DEV_A),
            &MetadataQuery {
                folder_name: Some("Connections".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut ids: Vec<_> = in_folder
        .iter()
        .filter_map(|m| m.component_id.clone())
        .collect();
    ids.sort();
    assert_eq!(ids, vec![CONN.to_string(), OPER.to_string()]);
    let one = p
        .get_component_metadata(Some(DEV_A), MAP, None)
        .await
        .unwrap();
    assert_eq!(one.name.as_deref(), Some("Orders JSON to DB"));

    // References: children of a parent revision, and where-used.
    let children = p.component_children(Some(DEV_A), ROOT, 1).await.unwrap();
    let mut kids: Vec<_> = children
        .iter()
        .map(|r| {
            assert_eq!(r.parent_component_id.as_deref(), Some(ROOT));
            assert_eq!(r.parent_version, Some(1));
            r.component_id.clone().unwrap()
        })
        .collect();
    kids.sort();
    let mut expected = [CONN, OPER, MAP, SUB]
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>();
    expected.sort();
    assert_eq!(kids, expected);
    let users = p
        .component_where_used(Some(DEV_A), PROFILE, None)
        .await
        .unwrap();
    let mut parents: Vec<_> = users
        .iter()
        .map(|r| r.parent_component_id.clone().unwrap())
        .collect();
    parents.sort();
    let mut exp = vec![OPER.to_string(), MAP.to_string()];
    exp.sort();
    assert_eq!(parents, exp);
    assert!(p
        .component_where_used(Some(DEV_A), ROOT, None)
        .await
        .unwrap()
        .is_empty());

    assert!(h.finish().await > 0);
}

#[tokio::test]
async fn queries_page_past_one_hundred_results() {
    let h = Harness::start(seed(230), instant()).await;
    let p = h.platform();
    let all = p
        .query_component_metadata(Some(DEV_A), &MetadataQuery::default())
        .await
        .unwrap();
    assert_eq!(all.len(), 236);
    let mut ids: Vec<_> = all
        .iter()
        .map(|m| m.component_id.clone().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 236, "no row twice, none lost");
    assert_eq!(h.calls("POST ComponentMetadata/query"), 1);
    assert_eq!(h.calls("POST ComponentMetadata/queryMore"), 2);
    // queryMore posts the bare token as text/plain.
    let record = std::fs::read_to_string(&h.record).unwrap();
    let more: Vec<Value> = record
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["path"].as_str().unwrap().contains("queryMore"))
        .collect();
    assert_eq!(more.len(), 2);
    for e in &more {
        assert_eq!(e["request_content_type"], "text/plain");
        let body = e["request_body"].as_str().unwrap();
        assert!(
            !body.is_empty() && !body.contains('{'),
            "bare token: {body}"
        );
    }
    h.finish().await;
}

// ---------------------------------------------------------------------------------------------
// Branches, tilde reads, merges

/// The `value` attribute of `<field id="{id}" ...>` in component XML.
fn field_value(xml: &str, id: &str) -> String {
    let at = xml
        .find(&format!("<field id=\"{id}\""))
        .unwrap_or_else(|| panic!("no field {id}"));
    let tag = &xml[at..at + xml[at..].find('>').unwrap()];
    let v = tag.find("value=\"").expect("a value") + 7;
    tag[v..v + tag[v..].find('"').unwrap()].to_string()
}

fn bump_note(c: &Component, from: &str, to: &str) -> Component {
    let xml = c
        .xml()
        .replacen(&format!("note=\"{from}\""), &format!("note=\"{to}\""), 1);
    assert_ne!(xml, c.xml(), "the note {from} is in the component");
    Component::from_xml(xml)
}

#[tokio::test]
async fn branch_writes_stay_on_the_branch_until_an_override_merge() {
    let config = SimConfig {
        branch_ready_after_reads: 2,
        merge_stage_polls: 1,
        rate_limit_per_second: 0,
        ..SimConfig::default()
    };
    let h = Harness::start(seed(0), config).await;
    let p = h.platform();

    let main = p.main_branch_id(None).await.unwrap();
    let branches = p.query_branches(None, None).await.unwrap();
    assert!(branches
        .iter()
        .any(|b| b.id.as_deref() == Some(main.as_str())));

    // Create: answers at once, not ready; readiness is polled.
    let created = p
        .create_branch(None, "promo-contract", &main, Some("contract suite"))
        .await
        .unwrap();
    let bid = created.id.clone().unwrap();
    assert_eq!(created.ready, Some(false));
    assert_eq!(created.stage, Some(BranchStage::Creating));
    assert_eq!(created.parent_id.as_deref(), Some(main.as_str()));
    let ready = wait_branch_ready(p.as_ref(), None, &bid, fast_polling())
        .await
        .unwrap();
    assert!(ready.is_ready());
    assert_eq!(ready.stage, Some(BranchStage::Normal));
    assert_eq!(h.calls("GET Branch/{id}"), 2, "ready on the second read");
    let named = p
        .query_branches(None, Some("promo-contract"))
        .await
        .unwrap();
    assert_eq!(named.len(), 1);
    assert_eq!(named[0].id.as_deref(), Some(bid.as_str()));

    // Promote a dev component onto the branch (create), and change an existing prod one.
    let dev_root = p.get_component(Some(DEV_A), ROOT, None).await.unwrap();
    // The dev folder does not exist in the primary account: place it in the prod folder.
    let prod_folder = p
        .get_component_metadata(None, PROD_PROC, None)
        .await
        .unwrap()
        .folder_id
        .unwrap();
    let dev_root = dev_root.with_root_attr("folderId", &prod_folder).unwrap();
    let created_c = p
        .create_component(None, &dev_root, Some(&bid))
        .await
        .unwrap();
    let new_id = created_c.component_id().unwrap();
    assert_eq!(created_c.version(), Some(1));
    assert_eq!(created_c.branch_id().as_deref(), Some(bid.as_str()));
    let legacy = p.get_component(None, PROD_PROC, Some(&bid)).await.unwrap();
    let v_main = legacy.version().unwrap();
    let changed = p
        .update_component(
            None,
            PROD_PROC,
            &bump_note(&legacy, "legacy", "branch-edit"),
            Some(&bid),
        )
        .await
        .unwrap();
    assert_eq!(changed.version(), Some(v_main + 1), "version + 1 on save");

    // Where-used on the branch (GET ComponentReference/{id}~{branchId}); none answers empty.
    let users = p
        .component_where_used(None, PROD_CONN, Some(&bid))
        .await
        .unwrap();
    assert!(
        users
            .iter()
            .any(|r| r.parent_component_id.as_deref() == Some(PROD_PROC)
                && r.component_id.as_deref() == Some(PROD_CONN)),
        "{users:?}"
    );
    assert!(p
        .component_where_used(None, PROD_PROC, Some(&bid))
        .await
        .unwrap()
        .is_empty());
    let unknown = p
        .component_where_used(None, "99999999-0000-4000-8000-000000000000", Some(&bid))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), ErrorCode::ComponentNotFound, "{unknown}");

    // Tilde reads see the branch; main does not.
    let on_branch = p.get_component(None, PROD_PROC, Some(&bid)).await.unwrap();
    assert!(on_branch.xml().contains("note=\"branch-edit\""));
    let on_main = p.get_component(None, PROD_PROC, None).await.unwrap();
    assert!(on_main.xml().contains("note=\"legacy\""));
    assert_eq!(on_main.version(), Some(v_main));
    let missing = p.get_component(None, &new_id, None).await.unwrap_err();
    assert_eq!(missing.code(), ErrorCode::ComponentNotFound);
    assert!(p.get_component(None, &new_id, Some(&bid)).await.is_ok());
    // A past revision by number.
    let old = p
        .get_component_revision(None, PROD_PROC, v_main)
        .await
        .unwrap();
    assert!(old.xml().contains("note=\"legacy\""));
    // An update with no change is refused (400), not retried.
    let before = h.calls("POST Component/{id}");
    let same = p.get_component(None, PROD_PROC, Some(&bid)).await.unwrap();
    let e = p
        .update_component(None, PROD_PROC, &same, Some(&bid))
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(400), "{e}");
    assert_eq!(h.calls("POST Component/{id}"), before + 1);

    // Meanwhile main changes too: OVERRIDE with priority SOURCE lets the branch win.
    let main_edit = p
        .update_component(
            None,
            PROD_PROC,
            &bump_note(&on_main, "legacy", "main-edit"),
            None,
        )
        .await
        .unwrap();
    assert!(main_edit.xml().contains("main-edit"));

    // Merge: MERGE is refused before REVIEWING; then the stages run to MERGED.
    let mr = p
        .create_merge_request(None, &bid, &main, Some("promo-contract"))
        .await
        .unwrap();
    let mr_id = mr.id.clone().unwrap();
    assert_eq!(mr.strategy, Some(MergeStrategy::Override));
    assert_eq!(mr.priority_branch, Some(PriorityBranch::Source));
    assert_eq!(mr.stage, Some(MergeStage::Drafting));
    let early = p.execute_merge_request(None, &mr_id).await.unwrap_err();
    assert_eq!(early.status(), Some(400), "{early}");
    let reviewing = wait_merge_stage(
        p.as_ref(),
        None,
        &mr_id,
        &[MergeStage::Reviewing],
        fast_polling(),
    )
    .await
    .unwrap();
    let details = &reviewing.merge_request_details.merge_request_detail;
    assert!(details
        .iter()
        .any(|d| d.component_guid.as_deref() == Some(new_id.as_str())
            && d.change_type == Some(ChangeType::Added)));
    assert!(details
        .iter()
        .any(|d| d.component_guid.as_deref() == Some(PROD_PROC)));
    let listed = p.query_merge_requests(None, &bid).await.unwrap();
    assert!(listed
        .iter()
        .any(|m| m.id.as_deref() == Some(mr_id.as_str())));
    let executing = p.execute_merge_request(None, &mr_id).await.unwrap();
    assert_eq!(executing.stage, Some(MergeStage::Merging));
    let merged = wait_merge_stage(
        p.as_ref(),
        None,
        &mr_id,
        &[MergeStage::Merged],
        fast_polling(),
    )
    .await
    .unwrap();
    assert_eq!(merged.stage, Some(MergeStage::Merged));

    // After the merge main holds the branch's content (source won over main's edit).
    let after = p.get_component(None, PROD_PROC, None).await.unwrap();
    assert!(
        after.xml().contains("note=\"branch-edit\""),
        "{}",
        after.xml()
    );
    assert!(p.get_component(None, &new_id, None).await.is_ok());

    // Delete: 200, then "already gone" both count as deleted.
    assert_eq!(
        p.delete_branch(None, &bid).await.unwrap(),
        Deletion::Deleted
    );
    assert_eq!(
        p.delete_branch(None, &bid).await.unwrap(),
        Deletion::AlreadyGone
    );
    let state = h.server.state();
    assert!(state["accounts"][PRIMARY]["branches"]
        .as_array()
        .unwrap()
        .iter()
        .all(|b| b["id"] != bid.as_str()));
    h.finish().await;
}

#[tokio::test]
async fn failed_merge_and_branch_timeout_map_to_codes() {
    let config = SimConfig {
        branch_ready_after_reads: 50,
        merge_stage_polls: 0,
        rate_limit_per_second: 0,
        ..SimConfig::default()
    };
    let h = Harness::start(seed(0), config).await;
    let p = h.platform();
    let main = p.main_branch_id(Some(DEV_B)).await.unwrap();
    let b = p
        .create_branch(Some(DEV_B), "slow-branch", &main, None)
        .await
        .unwrap();
    let bid = b.id.unwrap();
    let e = wait_branch_ready(
        p.as_ref(),
        Some(DEV_B),
        &bid,
        Polling {
            interval: Duration::from_millis(1),
            max_polls: 3,
        },
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::BranchCreationTimeout);
    assert_eq!(h.calls("GET Branch/{id}"), 3);

    // A merge that ends in FAILED_TO_MERGE.
    let h2 = Harness::start(seed(0), instant()).await;
    let p2 = h2.platform();
    let main = p2.main_branch_id(None).await.unwrap();
    let b = p2.create_branch(None, "doomed", &main, None).await.unwrap();
    let bid = b.id.unwrap();
    wait_branch_ready(p2.as_ref(), None, &bid, fast_polling())
        .await
        .unwrap();
    let legacy = p2.get_component(None, PROD_PROC, Some(&bid)).await.unwrap();
    p2.update_component(
        None,
        PROD_PROC,
        &bump_note(&legacy, "legacy", "x"),
        Some(&bid),
    )
    .await
    .unwrap();
    h2.server.inject(Fault::FailMerge { count: 1 });
    let mr = p2
        .create_merge_request(None, &bid, &main, None)
        .await
        .unwrap();
    let mr_id = mr.id.unwrap();
    wait_merge_stage(
        p2.as_ref(),
        None,
        &mr_id,
        &[MergeStage::Reviewing],
        fast_polling(),
    )
    .await
    .unwrap();
    p2.execute_merge_request(None, &mr_id).await.unwrap();
    let e = wait_merge_stage(
        p2.as_ref(),
        None,
        &mr_id,
        &[MergeStage::Merged],
        fast_polling(),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::MergeFailed, "{e}");
    h.finish().await;
    h2.finish().await;
}

#[tokio::test]
async fn the_twentieth_branch_is_refused() {
    let h = Harness::start(seed(0), instant()).await;
    let p = h.platform();
    let main = p.main_branch_id(Some(DEV_A)).await.unwrap();
    // main counts: 19 more fill the account.
    for i in 1..20 {
        p.create_branch(Some(DEV_A), &format!("b-{i:02}"), &main, None)
            .await
            .unwrap_or_else(|e| panic!("branch {i}: {e}"));
    }
    assert_eq!(p.query_branches(Some(DEV_A), None).await.unwrap().len(), 20);
    let e = p
        .create_branch(Some(DEV_A), "one-too-many", &main, None)
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::BranchLimitReached, "{e}");
    assert!(!e.is_transient());
    // Deleting one makes room again.
    let victim = p.query_branches(Some(DEV_A), Some("b-07")).await.unwrap();
    let vid = victim[0].id.clone().unwrap();
    assert_eq!(
        p.delete_branch(Some(DEV_A), &vid).await.unwrap(),
        Deletion::Deleted
    );
    p.create_branch(Some(DEV_A), "one-too-many", &main, None)
        .await
        .unwrap();
    assert_eq!(
        h.server.state()["accounts"][DEV_A]["branchCount"],
        json!(20)
    );
    h.finish().await;
}

// ---------------------------------------------------------------------------------------------
// Packages, packs, releases, deployments, environments, accounts

#[tokio::test]
async fn packages_packs_releases_and_deployments() {
    let config = SimConfig {
        release_in_progress_polls: 1,
        ..SimConfig::instant()
    };
    let h = Harness::start(seed(0), config).await;
    let p = h.http();

    // Dev packages (action A's source).
    let dev = p
        .query_packaged_components(Some(DEV_A), &PackageQuery::default())
        .await
        .unwrap();
    let mut versions: Vec<_> = dev
        .iter()
        .map(|pc| pc.package_version.clone().unwrap())
        .collect();
    versions.sort();
    assert_eq!(versions, vec!["1.0", "1.1"]);
    assert!(dev
        .iter()
        .all(|pc| pc.component_id.as_deref() == Some(ROOT)));
    let got = p
        .get_packaged_component(Some(DEV_A), "b0000000-0000-4000-8000-000000000002")
        .await
        .unwrap();
    assert_eq!(got.created_by.as_deref(), Some("bob@example.com"));

    // Package the production process from main, then the same version again.
    let new = NewPackage {
        component_id: PROD_PROC.into(),
        package_version: Some("2.0".into()),
        notes: Some("contract".into()),
        shareable: true,
        ..Default::default()
    };
    let pkg = p.create_packaged_component(None, &new).await.unwrap();
    let pkg_id = pkg.package_id.clone().unwrap();
    assert_eq!(pkg.package_version.as_deref(), Some("2.0"));
    assert_eq!(pkg.component_type.as_deref(), Some("process"));
    assert_eq!(pkg.shareable, Some(true));
    let dup = p.create_packaged_component(None, &new).await.unwrap_err();
    assert_eq!(dup.code(), ErrorCode::DuplicatePackageVersion, "{dup}");
    let by_version = p
        .query_packaged_components(
            None,
            &PackageQuery {
                component_id: Some(PROD_PROC.into()),
                package_version: Some("2.0".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(by_version.len(), 1, "the refused duplicate created nothing");

    // Package from a branch by name.
    let main = p.main_branch_id(None).await.unwrap();
    let b = p
        .create_branch(None, "promo-pkg", &main, None)
        .await
        .unwrap();
    let bid = b.id.unwrap();
    wait_branch_ready(p.as_ref(), None, &bid, fast_polling())
        .await
        .unwrap();
    let legacy = p.get_component(None, PROD_PROC, Some(&bid)).await.unwrap();
    let edited = p
        .update_component(
            None,
            PROD_PROC,
            &bump_note(&legacy, "legacy", "hotfix"),
            Some(&bid),
        )
        .await
        .unwrap();
    let from_branch = p
        .create_packaged_component(
            None,
            &NewPackage {
                component_id: PROD_PROC.into(),
                package_version: Some("2.0.1-hotfix".into()),
                branch_name: Some("promo-pkg".into()),
                shareable: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(from_branch.branch_name.as_deref(), Some("promo-pkg"));
    assert_eq!(from_branch.component_version, edited.version());

    // Publisher packs: the seeded production pack, a new test pack, ADD keeps the others.
    let packs = p.query_publisher_packs(None).await.unwrap();
    assert!(packs
        .iter()
        .any(|k| k.name.as_deref() == Some("Orders - PROD")));
    let test_pack = p
        .create_publisher_pack(
            "Orders - TEST",
            "Order flows (test)",
            InstallationType::Multi,
        )
        .await
        .unwrap();
    let tp_id = test_pack.id.clone().unwrap();
    assert_eq!(test_pack.description, "Order flows (test)");
    let added = p
        .add_pack_components(&tp_id, &[PROD_PROC.to_string()])
        .await
        .unwrap();
    assert!(added
        .components()
        .iter()
        .any(|c| c.component_id.as_deref() == Some(PROD_PROC)));
    let fetched = p.get_publisher_pack(&tp_id).await.unwrap();
    assert_eq!(fetched.name.as_deref(), Some("Orders - TEST"));
    assert_eq!(
        fetched.description, "Order flows (test)",
        "ADD keeps the description"
    );
    assert_eq!(fetched.components().len(), 1);
    let by_name = p
        .query_publisher_packs(Some("Orders - TEST"))
        .await
        .unwrap();
    assert_eq!(by_name.len(), 1);

    // Release: 202 while running, then 200.
    let rel = p
        .release_pack(
            &tp_id,
            &[ReleasePackagedComponent {
                component_id: Some(PROD_PROC.into()),
                version: Some("2.0".into()),
                ..Default::default()
            }],
        )
        .await
        .unwrap();
    let request_id = rel.request_id.clone().unwrap();
    let first = p.release_status(&request_id).await.unwrap();
    assert!(!first.finished);
    assert_eq!(first.status.release_status, Some(ReleaseStatus::InProgress));
    let second = p.release_status(&request_id).await.unwrap();
    assert!(second.finished);
    assert_eq!(second.status.release_status, Some(ReleaseStatus::Success));
    assert_eq!(second.status.response_status_code, 200);
    let unknown = p
        .release_status("release-does-not-exist")
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), ErrorCode::ReleaseNotFound, "{unknown}");

    // Deploy to the test environment; query by environment.
    let envs = p
        .query_environments(None, Some(Classification::Test))
        .await
        .unwrap();
    assert_eq!(envs.len(), 1);
    assert_eq!(envs[0].id.as_deref(), Some("env-test-1"));
    let all_envs = p.query_environments(None, None).await.unwrap();
    assert_eq!(all_envs.len(), 2);
    assert!(all_envs
        .iter()
        .any(|e| e.classification == Some(Classification::Prod)
            && e.name.as_deref() == Some("Production")));
    let dep = p
        .deploy_package(None, "env-test-1", &pkg_id, Some("contract"))
        .await
        .unwrap();
    assert_eq!(dep.environment_id.as_deref(), Some("env-test-1"));
    assert_eq!(dep.package_id.as_deref(), Some(pkg_id.as_str()));
    assert_eq!(dep.active, Some(true));
    let deps = p
        .query_deployed_packages(
            None,
            &DeploymentQuery {
                environment_id: Some("env-test-1".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(deps.len(), 1);
    let prod = p
        .query_deployed_packages(
            None,
            &DeploymentQuery {
                environment_id: Some("env-prod-1".into()),
                active: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(prod.len(), 1);
    assert_eq!(prod[0].component_id.as_deref(), Some(PROD_PROC));
    h.finish().await;
}

#[tokio::test]
async fn accounts_are_the_primarys_sub_accounts() {
    let h = Harness::start(seed(0), instant()).await;
    let p = h.platform();
    let subs = p.list_sub_accounts().await.unwrap();
    let names: BTreeMap<String, String> = subs
        .iter()
        .map(|a| (a.account_id.clone().unwrap(), a.name.clone().unwrap()))
        .collect();
    assert_eq!(
        names,
        BTreeMap::from([
            (DEV_A.to_string(), "Team A Development".to_string()),
            (DEV_B.to_string(), "Team B Development".to_string()),
        ])
    );
    let a = p.get_account(DEV_B).await.unwrap();
    assert_eq!(a.name.as_deref(), Some("Team B Development"));
    assert_eq!(a.status, Some(AccountStatus::Active));
    let e = p.get_account("nobody-XXXXXX").await.unwrap_err();
    assert!(
        matches!(
            e.code(),
            ErrorCode::AccountNotFound | ErrorCode::Unauthorized
        ),
        "{e}"
    );
    h.finish().await;
}

// ---------------------------------------------------------------------------------------------
// Extensions

#[tokio::test]
async fn extensions_partial_update_keeps_what_was_not_sent_and_hides_secrets() {
    let h = Harness::start(seed(0), instant()).await;
    let p = h.platform();
    let ext = p
        .get_environment_extensions(None, "env-test-1")
        .await
        .unwrap();
    assert_eq!(ext.environment_id.as_deref(), Some("env-test-1"));
    let conn = &ext.connections.connection[0];
    let field = |c: &Connection, id: &str| {
        c.field
            .iter()
            .find(|f| f.id.as_deref() == Some(id))
            .cloned()
            .unwrap()
    };
    assert_eq!(
        field(conn, "host").value.as_deref(),
        Some("db.test.example.com")
    );
    let pw = field(conn, "password");
    assert_eq!(pw.uses_encryption, Some(true));
    assert_eq!(pw.encrypted_value_set, Some(true));
    assert!(pw.value.is_none(), "secret values are never returned");

    // Partial update: change one property and the secret only.
    let update = EnvironmentExtensions {
        id: Some("env-test-1".into()),
        environment_id: Some("env-test-1".into()),
        connections: Connections {
            connection: vec![Connection {
                id: conn.id.clone(),
                name: conn.name.clone(),
                field: vec![Field {
                    id: Some("password".into()),
                    value: Some(EXT_PASSWORD.into()),
                    use_default: Some(false),
                    uses_encryption: Some(true),
                    ..Default::default()
                }],
            }],
        },
        properties: Properties {
            property: vec![Property {
                name: "batchSize".into(),
                value: "500".into(),
            }],
        },
        ..Default::default()
    };
    let reply = p
        .update_environment_extensions(None, &update)
        .await
        .unwrap();
    let rpw = field(&reply.connections.connection[0], "password");
    assert_eq!(rpw.encrypted_value_set, Some(true));
    assert!(rpw.value.is_none());
    let again = p
        .get_environment_extensions(None, "env-test-1")
        .await
        .unwrap();
    let c = &again.connections.connection[0];
    assert_eq!(
        field(c, "host").value.as_deref(),
        Some("db.test.example.com"),
        "kept"
    );
    assert_eq!(field(c, "port").value.as_deref(), Some("5432"), "kept");
    assert!(field(c, "password").value.is_none());
    let props: BTreeMap<_, _> = again
        .properties
        .property
        .iter()
        .map(|p| (p.name.clone(), p.value.clone()))
        .collect();
    assert_eq!(props["batchSize"], "500");
    assert_eq!(props["region"], "eu-west-1", "a property not sent is kept");
    // Nothing the emulator returned, and nothing in the record, holds the secret.
    assert!(!h.server.state().to_string().contains(EXT_PASSWORD));
    let record = std::fs::read_to_string(&h.record).unwrap();
    assert!(!record.contains(EXT_PASSWORD), "the record masks secrets");
    assert!(
        !record.contains("t0ken-value"),
        "the record never holds the token"
    );
    let missing = p
        .get_environment_extensions(None, "env-nope")
        .await
        .unwrap_err();
    assert_eq!(missing.code(), ErrorCode::ExtensionNotFound, "{missing}");
    h.finish().await;
}

#[tokio::test]
async fn map_extensions_summary_get_and_update() {
    let h = Harness::start(seed(0), instant()).await;
    let p = h.platform();
    let sums = p
        .query_map_extension_summaries(None, "env-test-1")
        .await
        .unwrap();
    assert_eq!(sums.len(), 1);
    let s = &sums[0];
    assert_eq!(s.map_id.as_deref(), Some(MAP));
    assert_eq!(s.process_id.as_deref(), Some(PROD_PROC));
    assert_eq!(s.source_field_set.connection_id.as_deref(), Some(PROD_CONN));
    let id = s.id.clone().unwrap();
    let mut ext = p.get_map_extension(None, &id).await.unwrap();
    assert_eq!(ext.map_id.as_deref(), Some(MAP));
    let map = ext.map.get_or_insert_with(|| json!({}));
    map["ExtendedMappings"] =
        json!({"Mapping": [{"fromXPath": "Orders/id", "toXPath": "ORDERS/ORDER_ID"}]});
    let updated = p.update_map_extension(None, &ext).await.unwrap();
    let again = p.get_map_extension(None, &id).await.unwrap();
    for got in [&updated, &again] {
        let m = got.map.as_ref().unwrap();
        let mapping = &m["ExtendedMappings"]["Mapping"];
        let first = if mapping.is_array() {
            &mapping[0]
        } else {
            mapping
        };
        assert_eq!(first["toXPath"], "ORDERS/ORDER_ID");
    }
    assert!(p
        .query_map_extension_summaries(None, "env-prod-1")
        .await
        .unwrap()
        .is_empty());
    h.finish().await;
}

// ---------------------------------------------------------------------------------------------
// Retries, authentication, rate limit

#[tokio::test]
async fn two_503s_then_success_takes_exactly_three_calls() {
    let h = Harness::start(seed(0), instant()).await;
    let events: Arc<std::sync::Mutex<Vec<CallEvent>>> = Default::default();
    let mut config = h.config(1000, 3);
    let sink = events.clone();
    config.observer = Some(Arc::new(move |e: &CallEvent| {
        sink.lock().unwrap().push(e.clone())
    }));
    let p = HttpPlatform::new(config).unwrap();
    let main = p.main_branch_id(None).await.unwrap();
    h.server.inject(Fault::FailNth {
        endpoint: "GET Branch/{id}".into(),
        nth: 1,
        count: 2,
        status: 503,
        message: None,
        retry_after: None,
    });
    let b = p.get_branch(None, &main).await.unwrap();
    assert_eq!(b.name.as_deref(), Some("main"));
    assert_eq!(h.calls("GET Branch/{id}"), 3);
    // The observer saw every attempt, by endpoint template (no ids).
    let seen: Vec<(String, Option<u16>, u32)> = events
        .lock()
        .unwrap()
        .iter()
        .map(|e| (format!("{} {}", e.method, e.endpoint), e.status, e.attempt))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("POST Branch/query".to_string(), Some(200), 1),
            ("GET Branch/{id}".to_string(), Some(503), 1),
            ("GET Branch/{id}".to_string(), Some(503), 2),
            ("GET Branch/{id}".to_string(), Some(200), 3),
        ]
    );
    h.finish().await;
}

#[tokio::test]
async fn retries_cover_5xx_429_and_dropped_connections_and_honour_retry_after() {
    let h = Harness::start(seed(0), instant()).await;
    let p = h.platform();
    h.server.inject(Fault::FailNth {
        endpoint: "POST Environment/query".into(),
        nth: 1,
        count: 1,
        status: 502,
        message: None,
        retry_after: None,
    });
    h.server.inject(Fault::FailNth {
        endpoint: "POST Environment/query".into(),
        nth: 2,
        count: 1,
        status: 429,
        message: None,
        // 1 s asked; the test policy caps every wait at 20 ms.
        retry_after: Some(1),
    });
    h.server.inject(Fault::CloseConnection {
        endpoint: "POST Environment/query".into(),
        nth: 3,
        count: 1,
    });
    let envs = p.query_environments(None, None).await.unwrap();
    assert_eq!(envs.len(), 2);
    assert_eq!(h.calls("POST Environment/query"), 4);
    h.finish().await;
}

#[tokio::test]
async fn rate_limit_answers_after_the_last_retry_give_api_rate_limit() {
    let h = Harness::start(seed(0), instant()).await;
    let p = HttpPlatform::new(h.config(1000, 2)).unwrap();
    h.server.inject(Fault::FailNth {
        endpoint: "POST Branch/query".into(),
        nth: 1,
        count: 100,
        status: 503,
        message: Some("The API rate limit has been exceeded.".into()),
        retry_after: None,
    });
    let e = p.query_branches(None, None).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::ApiRateLimit, "{e}");
    assert!(e.is_transient());
    assert!(
        matches!(e, BoomiError::RateLimited { attempts: 3, .. }),
        "{e:?}"
    );
    assert_eq!(h.calls("POST Branch/query"), 3);
    // A 500 that persists is an API error, also after exactly max_retries + 1 calls.
    h.server.clear_faults();
    h.server.inject(Fault::FailNth {
        endpoint: "GET Branch/{id}".into(),
        nth: 1,
        count: 100,
        status: 500,
        message: None,
        retry_after: None,
    });
    let e = p.get_branch(None, "Qjox").await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::ApiError);
    assert_eq!(e.status(), Some(500));
    assert_eq!(h.calls("GET Branch/{id}"), 3);
    h.finish().await;
}

#[tokio::test]
async fn a_401_is_one_call_and_auth_failed() {
    let mut s = seed(0);
    s.users = vec![boomi_promoter::sim::SeedUser {
        user: "ci@example.com".into(),
        token: "the-right-token".into(),
    }];
    let h = Harness::start(s, instant()).await;
    let p = h.platform(); // sends t0ken-value
    let e = p.get_branch(None, "Qjox").await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::AuthFailed, "{e}");
    assert!(!e.is_transient());
    assert_eq!(h.calls("GET Branch/{id}"), 1);
    assert!(!e.to_string().contains("t0ken-value"));
    // The pinned pair works.
    let mut good = h.config(1000, 3);
    good.credentials = Credentials::new("BOOMI_TOKEN.ci@example.com", "the-right-token").unwrap();
    let ok = HttpPlatform::new(good).unwrap();
    assert!(ok.main_branch_id(None).await.is_ok());
    h.finish().await;
}

#[tokio::test]
async fn a_client_limit_below_the_emulators_means_no_503() {
    // Emulator: Boomi's 10 requests/s per account. Client: 8/s, no retries, 24 calls at once.
    let config = SimConfig {
        rate_limit_per_second: 10,
        ..SimConfig::instant()
    };
    let h = Harness::start(seed(0), config).await;
    let p: Arc<dyn Platform> = Arc::new(HttpPlatform::new(h.config(8, 0)).unwrap());
    let calls = (0..24).map(|_| {
        let p = p.clone();
        async move { p.query_environments(None, None).await }
    });
    let results = futures::future::join_all(calls).await;
    assert!(
        results.iter().all(|r| r.is_ok()),
        "{:?}",
        results.iter().find(|r| r.is_err())
    );
    assert_eq!(h.server.state()["rateLimited"], json!(0));

    // Control: above the emulator's limit the same burst does meet 503s.
    let fast: Arc<dyn Platform> = Arc::new(HttpPlatform::new(h.config(1000, 0)).unwrap());
    let calls = (0..24).map(|_| {
        let p = fast.clone();
        async move { p.query_environments(Some(DEV_B), None).await }
    });
    let results = futures::future::join_all(calls).await;
    let limited = results
        .iter()
        .filter(|r| matches!(r, Err(e) if e.code() == ErrorCode::ApiRateLimit))
        .count();
    assert!(limited > 0, "the emulator enforces its limit");
    assert!(h.server.state()["rateLimited"].as_u64().unwrap() > 0);
    h.finish().await;
}

// ---------------------------------------------------------------------------------------------
// The whole promotion flow (boomi-api.md §3) on the example seed

#[tokio::test]
async fn the_promotion_flow_on_the_example_seed() {
    let seed_file = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sim-seed.yaml");
    let config = SimConfig {
        rate_limit_per_second: 0,
        ..SimConfig::default()
    };
    let h = Harness::start(Seed::from_yaml_file(&seed_file).unwrap(), config).await;
    let p = h.http();

    // The dev process tree, resolved through metadata and references (one level per call).
    let roots = p
        .query_component_metadata(
            Some(DEV_A),
            &MetadataQuery {
                name: Some("Order Processing Main".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(roots.len(), 1);
    let root_id = roots[0].component_id.clone().unwrap();
    assert_eq!(root_id, "3f1c9a52-6a0e-4d2b-9b1e-0a7d5c2e8f11");
    let mut tree = vec![(root_id.clone(), roots[0].version.unwrap())];
    let mut i = 0;
    while i < tree.len() {
        let (id, version) = tree[i].clone();
        for r in p
            .component_children(Some(DEV_A), &id, version)
            .await
            .unwrap()
        {
            let child = r.component_id.unwrap();
            if !tree.iter().any(|(c, _)| *c == child) {
                let m = p
                    .get_component_metadata(Some(DEV_A), &child, None)
                    .await
                    .unwrap();
                tree.push((child, m.version.unwrap()));
            }
        }
        i += 1;
    }
    assert!(tree.len() >= 6, "a realistic tree: {tree:?}");

    // 1-2. Branch from main, wait until ready.
    let main = p.main_branch_id(None).await.unwrap();
    let branch = p
        .create_branch(None, "promo-orders-demo", &main, Some("demo"))
        .await
        .unwrap();
    let bid = branch.id.unwrap();
    wait_branch_ready(p.as_ref(), None, &bid, fast_polling())
        .await
        .unwrap();

    // 3-4. Read every dev component, write it to the branch of the primary account.
    // Dev folders do not exist in the primary account: place them in a production folder.
    let prod_folder = p
        .query_component_metadata(None, &MetadataQuery::default())
        .await
        .unwrap()
        .into_iter()
        .find_map(|m| m.folder_id)
        .unwrap();
    let mut promoted = BTreeMap::new();
    for (id, _) in &tree {
        let dev = p.get_component(Some(DEV_A), id, None).await.unwrap();
        assert!(dev.xml().contains("<bns:object>"));
        let dev = dev.with_root_attr("folderId", &prod_folder).unwrap();
        let created = p.create_component(None, &dev, Some(&bid)).await.unwrap();
        promoted.insert(id.clone(), created.component_id().unwrap());
    }
    let new_root = promoted[&root_id].clone();
    assert!(p.get_component(None, &new_root, None).await.is_err());

    // 5. Merge (OVERRIDE, source wins).
    let mr = p
        .create_merge_request(None, &bid, &main, Some("promo-orders-demo"))
        .await
        .unwrap();
    let mr_id = mr.id.unwrap();
    let reviewing = wait_merge_stage(
        p.as_ref(),
        None,
        &mr_id,
        &[MergeStage::Reviewing],
        fast_polling(),
    )
    .await
    .unwrap();
    assert_eq!(
        reviewing.merge_request_details.merge_request_detail.len(),
        tree.len()
    );
    p.execute_merge_request(None, &mr_id).await.unwrap();
    wait_merge_stage(
        p.as_ref(),
        None,
        &mr_id,
        &[MergeStage::Merged],
        fast_polling(),
    )
    .await
    .unwrap();
    for new_id in promoted.values() {
        p.get_component(None, new_id, None).await.unwrap();
    }

    // 6. Package from main.
    let pkg = p
        .create_packaged_component(
            None,
            &NewPackage {
                component_id: new_root.clone(),
                package_version: Some("1.0.0".into()),
                notes: Some("promo-orders-demo".into()),
                shareable: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();

    // 7-8. Test pack, release, poll 202 then 200.
    let pack = p
        .create_publisher_pack(
            "Orders - TEST",
            "Order flows (test)",
            InstallationType::Multi,
        )
        .await
        .unwrap();
    let pack_id = pack.id.unwrap();
    p.add_pack_components(&pack_id, std::slice::from_ref(&new_root))
        .await
        .unwrap();
    let rel = p
        .release_pack(
            &pack_id,
            &[ReleasePackagedComponent {
                component_id: Some(new_root.clone()),
                version: Some("1.0.0".into()),
                ..Default::default()
            }],
        )
        .await
        .unwrap();
    let request_id = rel.request_id.unwrap();
    let mut polls = 0;
    let done = loop {
        polls += 1;
        let s = p.release_status(&request_id).await.unwrap();
        if s.finished {
            break s;
        }
        assert!(polls < 10, "the release finishes");
    };
    assert!(polls >= 2, "202 at least once before 200");
    assert_eq!(done.status.release_status, Some(ReleaseStatus::Success));

    // Deploy to the test environment.
    let envs = p
        .query_environments(None, Some(Classification::Test))
        .await
        .unwrap();
    let env_id = envs[0].id.clone().unwrap();
    assert_eq!(env_id, "env-test-1");
    let pkg_id = pkg.package_id.unwrap();
    p.deploy_package(None, &env_id, &pkg_id, Some("promo-orders-demo"))
        .await
        .unwrap();
    let deployed = p
        .query_deployed_packages(
            None,
            &DeploymentQuery {
                environment_id: Some(env_id),
                package_id: Some(pkg_id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(deployed.len(), 1);

    // 9. Delete the branch; only main is left.
    assert_eq!(
        p.delete_branch(None, &bid).await.unwrap(),
        Deletion::Deleted
    );
    let left = p.query_branches(None, None).await.unwrap();
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(left[0].name.as_deref(), Some("main"));
    assert!(h.finish().await > 20);
}

#[tokio::test]
async fn creates_are_not_retried_when_the_answer_is_lost() {
    let h = Harness::start(seed(0), instant()).await;
    let p = h.platform();
    let main = p.main_branch_id(None).await.unwrap();
    // The branch is created, the answer lost (connection dropped): no blind second POST.
    h.server.inject(Fault::LoseResponse {
        endpoint: "POST Branch".into(),
        nth: 1,
        count: 1,
        status: None,
    });
    let e = p
        .create_branch(None, "promo-lost", &main, None)
        .await
        .unwrap_err();
    assert!(
        matches!(e, BoomiError::Transport { attempts: 1, .. }),
        "{e:?}"
    );
    assert!(e.is_transient(), "the caller may look up and try again");
    assert_eq!(h.calls("POST Branch"), 1);
    assert_eq!(
        p.query_branches(None, Some("promo-lost"))
            .await
            .unwrap()
            .len(),
        1
    );

    // A 500 after the package was made: reported, not repeated (no duplicate version error).
    h.server.inject(Fault::LoseResponse {
        endpoint: "POST PackagedComponent".into(),
        nth: 1,
        count: 1,
        status: Some(500),
    });
    let new = NewPackage {
        component_id: PROD_PROC.into(),
        package_version: Some("9.9".into()),
        shareable: true,
        ..Default::default()
    };
    let e = p.create_packaged_component(None, &new).await.unwrap_err();
    assert_eq!(e.status(), Some(500), "{e}");
    assert_eq!(h.calls("POST PackagedComponent"), 1);
    let made = p
        .query_packaged_components(
            None,
            &PackageQuery {
                component_id: Some(PROD_PROC.into()),
                package_version: Some("9.9".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(made.len(), 1, "carried out exactly once");

    // A 503 refusal on a create is retried: nothing was carried out.
    h.server.inject(Fault::FailNth {
        endpoint: "POST Branch".into(),
        nth: 1,
        count: 1,
        status: 503,
        message: None,
        retry_after: None,
    });
    let b = p
        .create_branch(None, "promo-503", &main, None)
        .await
        .unwrap();
    assert_eq!(b.name.as_deref(), Some("promo-503"));
    assert_eq!(h.calls("POST Branch"), 3);
    assert_eq!(
        p.query_branches(None, Some("promo-503"))
            .await
            .unwrap()
            .len(),
        1
    );

    // Reads are retried after a dropped connection.
    h.server.inject(Fault::CloseConnection {
        endpoint: "GET Branch/{id}".into(),
        nth: 1,
        count: 1,
    });
    p.get_branch(None, &main).await.unwrap();
    assert_eq!(h.calls("GET Branch/{id}"), 2);
    h.finish().await;
}
