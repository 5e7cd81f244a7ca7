//! The example seed (`examples/sim-seed.yaml`), persistence across a restart, and the
//! `promoter sim` command.

#[path = "sim_helpers.rs"]
mod helpers;

use boomi_promoter::sim::{Seed, SimConfig};
use helpers::*;
use serde_json::json;
use std::io::{BufRead, BufReader};

const SEED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/sim-seed.yaml");
const ORDERS_MAIN: &str = "3f1c9a52-6a0e-4d2b-9b1e-0a7d5c2e8f11";
const INVOICE_SYNC: &str = "5f304152-b4c5-46d7-8c19-a3b4c5d6e71c";

#[tokio::test]
async fn example_seed_has_the_demo_accounts_and_objects() {
    let seed = Seed::from_yaml_file(SEED).expect("example seed loads");
    let sim = start(seed, SimConfig::instant()).await;
    // Dev accounts of the primary.
    let (accounts, _) = sim
        .query_all(
            None,
            "Account",
            json!({"operator": "IS_NOT_NULL", "property": "accountId", "argument": []}),
        )
        .await;
    let ids: Vec<&str> = accounts
        .iter()
        .map(|a| a["accountId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["dev-team-a", "dev-team-b"]);
    // Root processes by name.
    for (dev, name, id) in [
        ("dev-team-a", "Order Processing Main", ORDERS_MAIN),
        ("dev-team-b", "Invoice Sync", INVOICE_SYNC),
    ] {
        let (rows, _) = sim
            .query_all(
                Some(dev),
                "ComponentMetadata",
                json!({"operator": "and", "nestedExpression": [
                eq("name", name), eq("currentVersion", "true"), eq("deleted", "false")]}),
            )
            .await;
        assert_eq!(rows.len(), 1, "{dev}");
        assert_eq!(rows[0]["componentId"], id);
        assert_eq!(rows[0]["type"], "process");
    }
    // Packaged components in the dev accounts.
    let (pkgs, _) = sim
        .query_all(
            Some("dev-team-a"),
            "PackagedComponent",
            eq("componentId", ORDERS_MAIN),
        )
        .await;
    let versions: Vec<&str> = pkgs
        .iter()
        .map(|p| p["packageVersion"].as_str().unwrap())
        .collect();
    assert_eq!(versions, vec!["1.0.0", "1.1.0", "1.2.0"]);
    // The root's children are derived from its XML: 8 components of the tree.
    let (refs, _) = sim
        .query_all(
            Some("dev-team-a"),
            "ComponentReference",
            json!({"operator": "and", "nestedExpression": [
            eq("parentComponentId", ORDERS_MAIN), eq("parentVersion", "7")]}),
        )
        .await;
    let children = refs[0]["references"].as_array().unwrap();
    assert_eq!(children.len(), 7, "{refs:?}");
    // No secret of any dev component comes back.
    let (all, _) = sim
        .query_all(
            Some("dev-team-a"),
            "ComponentMetadata",
            eq("currentVersion", "true"),
        )
        .await;
    assert_eq!(all.len(), 11);
    for dev in ["dev-team-a", "dev-team-b"] {
        let (rows, _) = sim
            .query_all(Some(dev), "ComponentMetadata", eq("currentVersion", "true"))
            .await;
        for r in rows {
            let (s, xml) = sim
                .get_xml(
                    Some(dev),
                    &format!("Component/{}", r["componentId"].as_str().unwrap()),
                )
                .await;
            assert_eq!(s, 200);
            for secret in [
                "Dev-0rders!2026",
                "sf-api-Dev-7731",
                "Sftp#Dev-4491",
                "cs_dev_9f8e7d6c5b4a",
            ] {
                assert!(!xml.contains(secret), "{secret} leaked in {xml}");
            }
        }
    }
    let (_, conn) = sim
        .get_xml(
            Some("dev-team-a"),
            "Component/c4e5f6a7-2b3c-4d5e-9f80-1a2b3c4d5e13",
        )
        .await;
    assert!(conn.contains("orders-db.dev.team-a.internal"));
    assert!(conn.contains("isSet=\"true\""));
    // Environments, the production pack, extensions without secret values.
    let (envs, _) = sim
        .query_all(
            None,
            "Environment",
            json!({"operator": "IS_NOT_NULL", "property": "id", "argument": []}),
        )
        .await;
    let envs: Vec<(String, String)> = envs
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap().into(),
                e["classification"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        envs,
        vec![
            ("env-prod-1".into(), "PROD".into()),
            ("env-test-1".into(), "TEST".into())
        ]
    );
    let (packs, _) = sim
        .query_all(
            None,
            "PublisherIntegrationPack",
            eq("name", "Orders - PROD"),
        )
        .await;
    assert_eq!(packs.len(), 1);
    assert_eq!(
        packs[0]["PublisherPackagedComponents"]["PublisherPackagedComponent"][0]["currentVersion"],
        "1.0.0"
    );
    let (_, ext) = sim.get(None, "EnvironmentExtensions/env-prod-1").await;
    let text = ext.to_string();
    for secret in [
        "Pr0d-Orders#Vault-19",
        "sf-api-PROD-x81k",
        "cs_prod_1a2b3c4d5e6f",
        "whk_prod_7Qx2",
    ] {
        assert!(!text.contains(secret), "{secret} leaked");
    }
    let (deployed, _) = sim
        .query_all(None, "DeployedPackage", eq("environmentId", "env-prod-1"))
        .await;
    assert_eq!(deployed.len(), 1);
}

#[tokio::test]
async fn state_survives_a_restart_with_a_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sim-state.json");
    let cfg = SimConfig {
        state_file: Some(file.clone()),
        ..SimConfig::instant()
    };
    let mut seed = small_seed();
    seed.users.push(boomi_promoter::sim::SeedUser {
        user: "tester@example.com".into(),
        token: TOKEN.into(),
    });
    let sim = start(seed, cfg.clone()).await;
    let (_, b) = sim
        .post(
            Some("dev-team-a"),
            "Branch",
            json!({"name": "promo-persist"}),
        )
        .await;
    let branch = b["id"].as_str().unwrap().to_string();
    let (s, _) = sim
        .post(
            Some("dev-team-a"),
            "PackagedComponent",
            json!({"componentId": "aaaaaaaa-0000-4000-8000-000000000001", "packageVersion": "9.0"}),
        )
        .await;
    assert_eq!(s, 200);
    sim.server.shutdown().await;
    let saved = std::fs::read_to_string(&file).unwrap();
    assert!(saved.contains("promo-persist"));
    assert!(
        !saved.contains(TOKEN),
        "pinned tokens stay out of the state file"
    );
    assert!(
        !saved.contains("Sup3r-Secret!"),
        "component secrets are stored hashed"
    );
    assert!(
        !saved.contains("pw-test-1"),
        "extension secrets are stored hashed"
    );

    // A different seed is ignored: the state file wins.
    let sim = start(Seed::minimal(PRIMARY, &["dev-team-a"]), cfg).await;
    let (s, got) = sim
        .get(Some("dev-team-a"), &format!("Branch/{branch}"))
        .await;
    assert_eq!(s, 200, "{got}");
    assert_eq!(got["name"], "promo-persist");
    let (s, _) = sim
        .post(
            Some("dev-team-a"),
            "PackagedComponent",
            json!({"componentId": "aaaaaaaa-0000-4000-8000-000000000001", "packageVersion": "9.0"}),
        )
        .await;
    assert_eq!(s, 400, "the package from before the restart still counts");
    // New ids do not collide with old ones.
    let (_, b2) = sim
        .post(Some("dev-team-a"), "Branch", json!({"name": "promo-after"}))
        .await;
    assert_ne!(b2["id"], b["id"]);
}

#[test]
fn bad_seeds_are_reported() {
    assert!(Seed::from_yaml_str("primaryAccount: {id: x, name: y}\nunknownKey: 1\n").is_err());
    assert!(Seed::from_yaml_file("/nonexistent/seed.yaml").is_err());
    let missing_file = "primaryAccount:\n  id: x\n  name: y\n  components:\n    - file: nope.xml\n";
    let err = Seed::from_yaml_str(missing_file).unwrap_err();
    assert!(err.to_string().contains("nope.xml"), "{err}");
    assert_eq!(
        err.code(),
        boomi_promoter::model::ErrorCode::InvalidDocument
    );
}

#[test]
fn promoter_sim_serves_until_terminated() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_promoter"))
        .args(["sim", "--seed", SEED, "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("promoter runs");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("promoter sim listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_string();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let body: serde_json::Value = rt.block_on(async {
        reqwest::Client::new()
            .post(format!("{url}/partner/api/rest/v1/{PRIMARY}/PackagedComponent/query?overrideAccount=dev-team-a"))
            .basic_auth(USER, Some(TOKEN))
            .json(&json!({"QueryFilter": {"expression": eq("componentId", ORDERS_MAIN)}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(body["numberOfResults"], 3);
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
}
