//! The emulator speaks exactly the shared wire types of `boomi::wire`: every JSON object it
//! returns decodes into the matching type and encodes back to the same JSON (ignoring the
//! `@type` discriminators), so no field is misspelled, mistyped, or unknown to the client.

#[path = "sim_helpers.rs"]
mod helpers;

use boomi_promoter::boomi::wire::{self, WireObject};
use boomi_promoter::sim::{Seed, SimConfig};
use helpers::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

const SEED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/sim-seed.yaml");

fn strip_types(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| k.as_str() != "@type")
                .map(|(k, v)| (k.clone(), strip_types(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_types).collect()),
        other => other.clone(),
    }
}

fn round_trip<T: WireObject + Serialize + DeserializeOwned>(what: &str, v: &Value) {
    assert_eq!(v["@type"], T::TYPE, "{what}: {v}");
    let typed: T = wire::from_json_value(v.clone()).unwrap_or_else(|e| panic!("{what}: {e}: {v}"));
    let back = wire::to_typed_json(&typed);
    assert_eq!(
        strip_types(&back),
        strip_types(v),
        "{what} does not round-trip"
    );
}

#[tokio::test]
async fn every_reply_is_the_canonical_form_of_a_wire_type() {
    let sim = start(Seed::from_yaml_file(SEED).unwrap(), SimConfig::instant()).await;
    let dev = Some("dev-team-a");
    let all = json!({"operator": "IS_NOT_NULL", "property": "id", "argument": []});

    let (accounts, _) = sim
        .query_all(
            None,
            "Account",
            json!({"operator": "IS_NOT_NULL", "property": "accountId", "argument": []}),
        )
        .await;
    assert_eq!(accounts.len(), 2);
    for a in &accounts {
        round_trip::<wire::Account>("Account", a);
    }
    let (meta, _) = sim
        .query_all(dev, "ComponentMetadata", eq("currentVersion", "true"))
        .await;
    assert_eq!(meta.len(), 11);
    for m in &meta {
        round_trip::<wire::ComponentMetadata>("ComponentMetadata", m);
    }
    let (refs, _) = sim
        .query_all(dev, "ComponentReference", json!({"operator": "and", "nestedExpression": [
            eq("parentComponentId", "3f1c9a52-6a0e-4d2b-9b1e-0a7d5c2e8f11"), eq("parentVersion", "7")]}))
        .await;
    round_trip::<wire::ComponentReference>("ComponentReference", &refs[0]);

    let (branches, _) = sim.query_all(dev, "Branch", all.clone()).await;
    let main = branches[0]["id"].as_str().unwrap().to_string();
    round_trip::<wire::Branch>("Branch", &branches[0]);
    let (_, b) = sim
        .post(
            dev,
            "Branch",
            json!({"name": "promo-w", "parentId": main, "description": "d"}),
        )
        .await;
    round_trip::<wire::Branch>("Branch", &b);
    let branch = b["id"].as_str().unwrap().to_string();
    let obj = r#"<XMLProfile xmlns="" modelVersion="2"><x/></XMLProfile>"#;
    let (s, _) = sim
        .post_xml(
            dev,
            "Component/2c0d1e2f-8192-43a4-9fe6-708192a3b419",
            &component_xml(
                Some("2c0d1e2f-8192-43a4-9fe6-708192a3b419"),
                "ERP Order XML Profile",
                "profile.xml",
                Some(&branch),
                obj,
            ),
        )
        .await;
    assert_eq!(s, 200);
    let (_, mr) = sim
        .post(
            dev,
            "MergeRequest",
            json!({"sourceBranchId": branch, "destinationBranchId": main,
        "strategy": "OVERRIDE", "priorityBranch": "SOURCE"}),
        )
        .await;
    round_trip::<wire::MergeRequest>("MergeRequest", &mr);
    let (_, merged) = sim
        .post(
            dev,
            &format!("MergeRequest/execute/{}", mr["id"].as_str().unwrap()),
            json!({"id": mr["id"], "mergeRequestAction": "MERGE"}),
        )
        .await;
    assert_eq!(merged["stage"], "MERGED");
    round_trip::<wire::MergeRequest>("MergeRequest", &merged);

    let (pkgs, _) = sim
        .query_all(
            dev,
            "PackagedComponent",
            json!({"operator": "IS_NOT_NULL", "property": "packageId", "argument": []}),
        )
        .await;
    assert_eq!(pkgs.len(), 3);
    for p in &pkgs {
        round_trip::<wire::PackagedComponent>("PackagedComponent", p);
    }
    let (packs, _) = sim
        .query_all(None, "PublisherIntegrationPack", all.clone())
        .await;
    round_trip::<wire::PublisherIntegrationPack>("PublisherIntegrationPack", &packs[0]);
    let prod = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e801";
    let (_, _) = sim
        .post(
            None,
            "PackagedComponent",
            json!({"componentId": prod, "packageVersion": "1.1.0", "shareable": true}),
        )
        .await;
    let pack_id = packs[0]["id"].as_str().unwrap();
    let (_, upd) = sim
        .post(
            None,
            &format!("PublisherIntegrationPack/{pack_id}"),
            json!({"id": pack_id, "operationType": "ADD",
        "PublisherPackagedComponents": {"PublisherPackagedComponent": [{"componentId": prod}]}}),
        )
        .await;
    round_trip::<wire::PublisherIntegrationPack>("PublisherIntegrationPack", &upd);
    let (_, rel) = sim.post(None, "ReleaseIntegrationPack", json!({"id": pack_id, "releaseSchedule": "IMMEDIATELY",
        "ReleasePackagedComponents": {"ReleasePackagedComponent": [{"componentId": prod, "version": "1.1.0"}]}})).await;
    round_trip::<wire::ReleaseIntegrationPack>("ReleaseIntegrationPack", &rel);
    let (code, st) = sim
        .get(
            None,
            &format!(
                "ReleaseIntegrationPackStatus/{}",
                rel["requestId"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(code, 200);
    round_trip::<wire::ReleaseIntegrationPackStatus>("ReleaseIntegrationPackStatus", &st);

    let (deps, _) = sim
        .query_all(
            None,
            "DeployedPackage",
            json!({"operator": "IS_NOT_NULL", "property": "deploymentId", "argument": []}),
        )
        .await;
    round_trip::<wire::DeployedPackage>("DeployedPackage", &deps[0]);
    let (envs, _) = sim.query_all(None, "Environment", all.clone()).await;
    assert_eq!(envs.len(), 2);
    for e in &envs {
        round_trip::<wire::Environment>("Environment", e);
    }
    for env in ["env-test-1", "env-prod-1"] {
        let (_, ext) = sim.get(None, &format!("EnvironmentExtensions/{env}")).await;
        round_trip::<wire::EnvironmentExtensions>("EnvironmentExtensions", &ext);
    }
    let (sums, _) = sim
        .query_all(
            None,
            "EnvironmentMapExtensionsSummary",
            eq("environmentId", "env-prod-1"),
        )
        .await;
    round_trip::<wire::EnvironmentMapExtensionsSummary>(
        "EnvironmentMapExtensionsSummary",
        &sums[0],
    );
    let (_, m) = sim
        .get(
            None,
            &format!(
                "EnvironmentMapExtension/{}",
                sums[0]["id"].as_str().unwrap()
            ),
        )
        .await;
    round_trip::<wire::EnvironmentMapExtension>("EnvironmentMapExtension", &m);
    let (_, err) = sim.get(None, "Branch/nope").await;
    round_trip::<wire::ErrorBody>("Error", &err);
}
