//! Golden tests: every fixture in `tests/fixtures/xml/` against its exact expected output
//! (see the README there), plus per-type assertions on what was stripped and rewritten.

use boomi_promoter::deps::{build_production_xml, IdCache};
use boomi_promoter::xml::{self, ComponentInfo};
use std::collections::HashMap;
use std::path::PathBuf;

const BRANCH: &str = "QjoyMDI1OTk";

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/xml")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn mappings() -> HashMap<String, String> {
    serde_json::from_str(&read("mappings.json")).unwrap()
}

fn cache() -> IdCache {
    let mut c = IdCache::default();
    for (d, p) in mappings() {
        c.insert(d, p);
    }
    c
}

/// The fixture's expected output, computed the way the README says.
fn produce(name: &str) -> (String, Vec<String>, usize) {
    let src = read(&format!("{name}.xml"));
    let info = ComponentInfo::parse(&src).unwrap();
    let ty = info.component_type.clone().unwrap();
    if ty == "connector-settings" {
        let o = xml::strip_env_config(&src, None).unwrap();
        return (o.xml, o.stripped, 0);
    }
    let cache = cache();
    let prod = info.id.as_deref().and_then(|id| cache.get(id));
    let p = build_production_xml(&src, None, &cache, prod, BRANCH).unwrap();
    (p.xml, p.stripped, p.references_rewritten)
}

fn golden(name: &str) -> (Vec<String>, usize) {
    let (out, stripped, rewritten) = produce(name);
    let expected = read(&format!("{name}.expected.xml"));
    assert!(
        out == expected,
        "{name}: output differs from {name}.expected.xml\n{}",
        xml::diff(&expected, &out, "expected", "actual").unified
    );
    // The output is well-formed and still a component.
    xml::normalize(&out).unwrap();
    (stripped, rewritten)
}

fn all_fixture_names() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .filter_map(|e| {
            let n = e.ok()?.file_name().into_string().ok()?;
            (n.ends_with(".xml") && !n.ends_with(".expected.xml"))
                .then(|| n.trim_end_matches(".xml").to_string())
        })
        .collect();
    v.sort();
    v
}

#[test]
fn every_fixture_has_an_expected_output_and_matches_it() {
    let names = all_fixture_names();
    assert!(names.len() >= 12, "{names:?}");
    for n in names {
        golden(&n);
    }
}

#[test]
fn process_with_connector_map_and_subprocess_references() {
    let (stripped, rewritten) = golden("process-orders");
    assert_eq!(stripped, vec!["apiToken"]);
    // 2 connections, 2 operations, map, script, sub-process.
    assert_eq!(rewritten, 7);
    let out = read("process-orders.expected.xml");
    // A create: no componentId, the promoted folder, the branch, no dev audit attributes.
    let info = ComponentInfo::parse(&out).unwrap();
    assert_eq!(info.id, None);
    assert_eq!(
        info.folder_full_path.as_deref(),
        Some("/Promoted/DevTeamA/Orders")
    );
    assert_eq!(info.branch_id.as_deref(), Some(BRANCH));
    assert_eq!(info.version, None);
    for attr in [
        "createdBy=",
        "modifiedDate=",
        "folderId=",
        "currentVersion=",
        "branchName=",
    ] {
        assert!(!out.contains(attr), "{attr} left in the production copy");
    }
    assert!(!out.contains("st_live_8f2K9xQ4mLz7Rt1v"));
    // Every reference now points to production.
    for r in xml::references(&out).unwrap() {
        assert!(
            mappings().values().any(|p| *p == r.id),
            "{} ({}) not rewritten",
            r.id,
            r.location
        );
    }
}

#[test]
fn subprocess_update_keeps_its_trailing_slash_folder() {
    golden("process-notify-fulfilment");
    let info = ComponentInfo::parse(&read("process-notify-fulfilment.expected.xml")).unwrap();
    assert_eq!(
        info.id.as_deref(),
        Some("5c0a8e21-9d3b-4f7a-b1c6-7e2d9a4f3b01")
    );
    assert_eq!(
        info.folder_full_path.as_deref(),
        Some("/Promoted/DevTeamA/Orders/Sub-processes/")
    );
}

#[test]
fn http_connector_action_has_nothing_to_strip() {
    let (stripped, rewritten) = golden("operation-http");
    assert!(stripped.is_empty());
    assert_eq!(rewritten, 1, "the response profile");
}

#[test]
fn generic_connector_action_field_password_is_blanked() {
    let (stripped, rewritten) = golden("operation-db-generic");
    assert_eq!(stripped, vec!["field[@id='password']", "field[@id='host']"]);
    assert_eq!(rewritten, 1, "the DB profile (attribute and field)");
    let out = read("operation-db-generic.expected.xml");
    assert!(!out.contains("Winter2026!erp"));
    assert!(out.contains(r#"<field id="username" type="string" value="erp_orders_svc"/>"#));
}

#[test]
fn connector_settings_with_encrypted_value() {
    let (stripped, _) = golden("connection-db");
    assert_eq!(
        stripped,
        vec![
            "field[@id='host']",
            "field[@id='port']",
            "field[@id='jdbcUrl']",
            "field[@id='password']",
            "EncryptedValue"
        ]
    );
    let out = read("connection-db.expected.xml");
    for secret in ["AQICAHhW", "oracle-erp-dev", "1521"] {
        assert!(!out.contains(secret), "{secret}");
    }
    assert!(out.contains(r#"<field id="dbName" type="string">ERPDEV</field>"#));
    let (stripped, _) = golden("connection-http");
    assert_eq!(
        stripped,
        vec![
            "HttpSettings/@url",
            "AuthSettings/@password",
            "accessTokenEndpoint/@url",
            "credentials",
            "accessKeyId"
        ]
    );
    let out = read("connection-http.expected.xml");
    for secret in [
        "s3cr3t-Sh0p!2026",
        "shop-api.dev.example.com",
        "AKIAIOSFODNN7EXAMPLE",
    ] {
        assert!(!out.contains(secret), "{secret}");
    }
}

#[test]
fn connection_password_typed_fields_and_any_case_ids_are_blanked() {
    let (stripped, _) = golden("connection-sftp");
    assert_eq!(
        stripped,
        vec![
            "field[@id='host']",
            "field[@id='port']",
            "field[@id='Password']",
            "field[@id='PASSWORD']",
            "field[@id='sshPassphrase']",
            "field[@id='sshKeyContent']",
            "EncryptedValue"
        ]
    );
    let out = read("connection-sftp.expected.xml");
    for secret in [
        "Sftp-Dev-Pa55!",
        "Legacy-Sftp-2026",
        "correct horse battery staple",
        "AQICAHhXr4Zl",
        "sftp.partner-dev.example.com",
        "2222",
    ] {
        assert!(!out.contains(secret), "{secret}");
    }
    for kept in [
        r#"<field id="Password" type="password" value=""/>"#,
        r#"<field id="sshKeyContent" type="password"></field>"#,
        r#"<field id="username" type="string" value="orders_sftp"/>"#,
        r#"<field id="timeout" type="integer" value="30"/>"#,
        r#"<field id="remoteDirectory" type="string" value="/inbound/orders"/>"#,
    ] {
        assert!(out.contains(kept), "{kept}");
    }
}

#[test]
fn operation_password_typed_fields_and_any_case_names_are_blanked_in_production() {
    let (stripped, rewritten) = golden("operation-sftp-upload");
    assert_eq!(
        stripped,
        vec![
            "field[@id='Password']",
            "field[@id='PASSWORD']",
            "field[@id='sshPassphrase']",
            "field[@id='privateKeyPassphrase']",
            "field[@id='uploadKey']",
            "ProxySettings/@ProxyPassword"
        ]
    );
    assert_eq!(rewritten, 1, "the request profile");
    let out = read("operation-sftp-upload.expected.xml");
    for secret in [
        "Op-Override-Pa55",
        "Op-Legacy-2026",
        "battery staple horse correct",
        "Pk-Phrase-Dev-9",
        "Upl-Key-Dev-3",
        "Proxy-Dev-77",
    ] {
        assert!(!out.contains(secret), "{secret}");
    }
    assert!(out.contains(r#"<field id="timeout" type="integer" value="30"/>"#));
    assert!(out.contains(r#"requestProfile="b260ef87-f391-4fd0-972c-de83f0af9167""#));
    let info = ComponentInfo::parse(&out).unwrap();
    assert_eq!(
        info.id.as_deref(),
        Some("b1324d5e-6f70-4182-8d9e-0f1a2b3c4d5e")
    );
}

#[test]
fn map_with_profiles_script_and_crossref_is_rewritten_not_stripped() {
    let (stripped, rewritten) = golden("map-order-to-erp");
    assert!(stripped.is_empty());
    assert_eq!(rewritten, 4);
    let src = read("map-order-to-erp.xml");
    assert_eq!(xml::strip_env_config(&src, None).unwrap().xml, src);
}

#[test]
fn passthrough_types_are_untouched_by_strip() {
    for n in [
        "profile-json-shop-order",
        "profile-xml-erp-order",
        "profile-db-upsert-order",
        "script-processing-correlation",
        "script-mapping-clean-name",
        "crossref-country-codes",
        "map-order-to-erp",
    ] {
        let src = read(&format!("{n}.xml"));
        let o = xml::strip_env_config(&src, None).unwrap();
        assert_eq!(o.xml, src, "{n}");
        assert!(!o.config_stripped, "{n}");
        let (stripped, rewritten) = golden(n);
        assert!(stripped.is_empty(), "{n}");
        if n != "map-order-to-erp" {
            assert_eq!(rewritten, 0, "{n}");
            // Only the root element differs.
            let out = read(&format!("{n}.expected.xml"));
            let body = |s: &str| s[s.find("<bns:encryptedValues").unwrap()..].to_string();
            assert_eq!(body(&out), body(&src), "{n}");
        }
    }
}

#[test]
fn expected_outputs_differ_from_inputs_only_where_changed() {
    // Stripping then rewriting never touches bytes outside edits: normalising the input with
    // the same edits applied gives the normalised output.
    for n in all_fixture_names() {
        let src = read(&format!("{n}.xml"));
        let out = read(&format!("{n}.expected.xml"));
        let d = xml::diff_xml(&src, &out, "in", "out").unwrap();
        assert_eq!(d.stats.added, 0, "{n}: {}", d.unified);
    }
}
