//! Behaviour of the XML engine on the cases the issue names, through the public API and the
//! `promoter xml` / `promoter diff` command line.

use assert_cmd::Command;
use boomi_promoter::model::ErrorCode;
use boomi_promoter::xml::{self, ProductionTarget, XmlError};
use std::collections::HashMap;
use std::path::PathBuf;

fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/xml")
        .join(name)
}

const DEV: &str = "0d3f6a1e-7b1c-4c7e-9a51-3f5d2c8b9e10";
const PROD: &str = "9a1e0c5d-3f4b-4c6d-8e9f-0a1b2c3d4e51";

#[test]
fn dev_id_inside_a_longer_token_is_left_alone() {
    let x = format!(
        r#"<process xmlns=""><map mapId="{DEV}"/><a v="{DEV}0"/><a v="x{DEV}"/><a v="{DEV}-copy"/><a v="{DEV}_2"/><a v="{DEV}.bak"/><a v="{{{DEV}}}"/><a v="{DEV}~Qjox"/><t>ids: {DEV},{DEV}1</t></process>"#
    );
    let o = xml::rewrite_references(&x, &map(&[(DEV, PROD)])).unwrap();
    assert_eq!(
        o.xml,
        format!(
            r#"<process xmlns=""><map mapId="{PROD}"/><a v="{DEV}0"/><a v="x{DEV}"/><a v="{DEV}-copy"/><a v="{DEV}_2"/><a v="{DEV}.bak"/><a v="{{{PROD}}}"/><a v="{PROD}~Qjox"/><t>ids: {PROD},{DEV}1</t></process>"#
        )
    );
    assert_eq!(o.references_rewritten, 1);
    assert_eq!(o.rewritten, vec![(DEV.to_string(), PROD.to_string())]);
}

#[test]
fn short_dev_id_inside_a_longer_one() {
    let x = r#"<p><connector operationId="dev-op-1"/><connector operationId="dev-op-10"/></p>"#;
    let o = xml::rewrite_references(x, &map(&[("dev-op-1", "prod-op-1")])).unwrap();
    assert_eq!(
        o.xml,
        r#"<p><connector operationId="prod-op-1"/><connector operationId="dev-op-10"/></p>"#
    );
    assert_eq!(o.unmapped.len(), 1);
    assert_eq!(o.unmapped[0].id, "dev-op-10");
    assert_eq!(o.unmapped[0].location, "connector/@operationId");
}

#[test]
fn chain_is_not_followed() {
    let x = r#"<p><processcall processId="a"/><processcall processId="b"/><t>a b</t></p>"#;
    let o = xml::rewrite_references(x, &map(&[("a", "b"), ("b", "c")])).unwrap();
    assert_eq!(
        o.xml,
        r#"<p><processcall processId="b"/><processcall processId="c"/><t>b c</t></p>"#
    );
    assert_eq!(o.references_rewritten, 2);
}

#[test]
fn overlapping_keys_prefer_the_longer_id() {
    let x = r#"<p v="ab.c"/>"#;
    let o = xml::rewrite_references(x, &map(&[("ab", "X"), ("ab.c", "Y"), ("b.c", "Z")])).unwrap();
    assert_eq!(o.xml, r#"<p v="Y"/>"#);
}

#[test]
fn folder_path_with_and_without_leading_slash() {
    let t = ProductionTarget {
        prod_component_id: None,
        branch_id: "QjoyMDI1OTk",
    };
    for (dev, want) in [
        ("DevTeamA/Orders", "/Promoted/DevTeamA/Orders"),
        ("/DevTeamA/Orders", "/Promoted/DevTeamA/Orders"),
        (
            "/DevTeamARoot/Orders/MyProcess/",
            "/Promoted/DevTeamARoot/Orders/MyProcess/",
        ),
    ] {
        let x = format!(
            r#"<bns:Component xmlns:bns="http://api.platform.boomi.com/" name="P" type="process" folderFullPath="{dev}"><bns:object/></bns:Component>"#
        );
        let out = xml::to_production(&x, &t).unwrap();
        let info = xml::ComponentInfo::parse(&out).unwrap();
        assert_eq!(info.folder_full_path.as_deref(), Some(want), "{dev}");
        assert_eq!(out.matches("folderFullPath=").count(), 1);
    }
}

const BOMB: &str = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY xxe SYSTEM "file:///etc/passwd">
]>
<bns:Component xmlns:bns="http://api.platform.boomi.com/" type="process" name="x"><bns:object><process xmlns="">&lol2;&xxe;</process></bns:object></bns:Component>"#;

#[test]
fn doctype_with_entities_is_refused_everywhere() {
    let pos = BOMB.find("<!DOCTYPE").unwrap();
    let want = XmlError::Doctype { position: pos };
    assert_eq!(xml::strip_env_config(BOMB, None).unwrap_err(), want);
    assert_eq!(
        xml::rewrite_references(BOMB, &HashMap::new()).unwrap_err(),
        want
    );
    assert_eq!(xml::references(BOMB).unwrap_err(), want);
    assert_eq!(xml::normalize(BOMB).unwrap_err(), want);
    assert_eq!(xml::ComponentInfo::parse(BOMB).unwrap_err(), want);
    let t = ProductionTarget {
        prod_component_id: None,
        branch_id: "b",
    };
    assert_eq!(xml::to_production(BOMB, &t).unwrap_err(), want);
    assert_eq!(want.code(), ErrorCode::XmlParseError);
    assert!(want.to_string().contains("DOCTYPE"));
}

#[test]
fn undefined_entity_without_dtd_is_refused_with_position() {
    let x = r#"<bns:Component xmlns:bns="x" type="process" name="n"><p>&xxe;</p></bns:Component>"#;
    let e = xml::strip_env_config(x, None).unwrap_err();
    assert_eq!(
        e,
        XmlError::UndefinedEntity {
            name: "xxe".into(),
            position: x.find("&xxe;").unwrap()
        }
    );
}

#[test]
fn malformed_xml_fails_closed_with_position() {
    let x = r#"<bns:Component xmlns:bns="x" type="process" name="n"><password>secret</pass></bns:Component>"#;
    let e = xml::strip_env_config(x, None).unwrap_err();
    assert!(matches!(e, XmlError::Parse { .. }), "{e}");
    assert!(e.position() > 0);
    // Truncated input (a cut-off download) must not pass either.
    let full = std::fs::read_to_string(fixture("connection-db.xml")).unwrap();
    let cut = &full[..full.len() / 2];
    assert!(xml::strip_env_config(cut, None).is_err());
}

#[test]
fn strip_keeps_everything_else_byte_for_byte() {
    let x = "<?xml version=\"1.0\"?>\r\n<bns:Component xmlns:bns='http://api.platform.boomi.com/'  type='process' name=\"n\">\n <!-- keep <password>me</password> -->\n <bns:object><process xmlns=\"\"><password><![CDATA[p&ss]]></password>\t<x a = 'b' >&amp;</x></process></bns:object></bns:Component>\n";
    let o = xml::strip_env_config(x, None).unwrap();
    assert_eq!(o.xml, x.replace("<![CDATA[p&ss]]>", ""));
    assert_eq!(o.stripped, vec!["password"]);
    // A leading byte-order mark is kept and does not shift the edits.
    let bom = format!("\u{feff}{x}");
    let o = xml::strip_env_config(&bom, None).unwrap();
    assert_eq!(o.xml, bom.replace("<![CDATA[p&ss]]>", ""));
    let t = ProductionTarget {
        prod_component_id: Some("p"),
        branch_id: "b",
    };
    let out = xml::to_production(&bom, &t).unwrap();
    assert!(out.starts_with("\u{feff}<?xml"));
    assert!(out.contains(r#"name="n" componentId="p" folderFullPath="/Promoted" branchId="b">"#));
}

fn promoter() -> Command {
    Command::cargo_bin("promoter").unwrap()
}

#[test]
fn cli_strip_human_and_json() {
    let out = promoter()
        .args(["xml", "strip"])
        .arg(fixture("connection-db.xml"))
        .assert()
        .success()
        .get_output()
        .clone();
    let expected = std::fs::read_to_string(fixture("connection-db.expected.xml")).unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("EncryptedValue"));

    let out = promoter()
        .args(["xml", "strip", "-o", "json"])
        .arg(fixture("operation-db-generic.xml"))
        .assert()
        .success()
        .get_output()
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["configStripped"], true);
    assert_eq!(
        v["strippedElements"],
        serde_json::json!(["field[@id='password']", "field[@id='host']"])
    );
    assert!(!v["xml"].as_str().unwrap().contains("Winter2026!erp"));
}

/// The reported attack: a capitalised or upper-case `password` id and a `type="password"` field
/// with another id kept their values through `promoter xml strip` and `xml production`.
#[test]
fn cli_strip_and_production_leave_no_secret_whatever_the_field_id_case() {
    const SECRETS: [&str; 4] = [
        "Attack-Pa55-One",
        "ATTACK-PA55-TWO",
        "attack passphrase three",
        "attack-key-four",
    ];
    for ty in ["connector-settings", "connector-action", "process"] {
        let doc = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<bns:Component xmlns:bns="http://api.platform.boomi.com/" componentId="0f1e2d3c-4b5a-4697-8877-665544332211" name="Attack" type="{ty}" folderFullPath="DevTeamA/X"><bns:object><GenericConnectorConfig xmlns="">
<field id="Password" type="password" value="{}"/>
<field id="PASSWORD" type="string" value="{}"/>
<field id="sshPassphrase" type="password" value="{}"/>
<field id="sshKeyContent" type="password"><EncryptedValue>{}</EncryptedValue></field>
<field id="timeout" type="integer" value="30"/>
</GenericConnectorConfig></bns:object></bns:Component>"#,
            SECRETS[0], SECRETS[1], SECRETS[2], SECRETS[3]
        );
        let runs: [&[&str]; 4] = [
            &["xml", "strip", "-"],
            &["xml", "strip", "-o", "json", "-"],
            &["xml", "production", "--branch", "QjoyMDI1OTk", "-"],
            &[
                "xml",
                "production",
                "-o",
                "json",
                "--branch",
                "QjoyMDI1OTk",
                "-",
            ],
        ];
        for args in runs {
            let out = promoter()
                .args(args)
                .write_stdin(doc.clone())
                .assert()
                .success()
                .get_output()
                .clone();
            let stdout = String::from_utf8(out.stdout).unwrap();
            let stderr = String::from_utf8(out.stderr).unwrap();
            for secret in SECRETS {
                assert!(
                    !stdout.contains(secret),
                    "{ty} {args:?}: {secret} in {stdout}"
                );
                assert!(
                    !stderr.contains(secret),
                    "{ty} {args:?}: {secret} in {stderr}"
                );
            }
            // The fields are still there, blanked, and the rest is kept.
            let xml_out = if args.contains(&"json") {
                let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
                let x = v["xml"].as_str().or(v["production"]["xml"].as_str());
                x.unwrap_or_else(|| panic!("{ty} {args:?}: no xml in {v}"))
                    .to_string()
            } else {
                stdout
            };
            for kept in [
                r#"<field id="Password" type="password" value=""/>"#,
                r#"<field id="PASSWORD" type="string" value=""/>"#,
                r#"<field id="sshPassphrase" type="password" value=""/>"#,
                r#"<field id="sshKeyContent" type="password"></field>"#,
                r#"<field id="timeout" type="integer" value="30"/>"#,
            ] {
                assert!(xml_out.contains(kept), "{ty} {args:?}: {kept} in {xml_out}");
            }
        }
    }
}

#[test]
fn cli_rewrite_with_yaml_and_json_mappings() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("p.xml");
    std::fs::write(
        &src,
        r#"<process xmlns=""><map mapId="dev-1"/><map mapId="dev-10"/></process>"#,
    )
    .unwrap();
    let yaml = dir.path().join("m.yaml");
    std::fs::write(&yaml, "dev-1: prod-1\n").unwrap();
    promoter()
        .args(["xml", "rewrite"])
        .arg(&src)
        .arg("--mappings")
        .arg(&yaml)
        .assert()
        .success()
        .stdout(r#"<process xmlns=""><map mapId="prod-1"/><map mapId="dev-10"/></process>"#)
        .stderr(predicates::str::contains("no mapping for dev-10"));

    let doc = dir.path().join("doc.yaml");
    std::fs::write(
        &doc,
        "apiVersion: promoter/v1\nkind: ConnectionMappings\nserial: 1\ndevAccountId: dev-a\nmappings:\n  - {devComponentId: dev-10, prodComponentId: prod-10, name: Orders DB}\n",
    )
    .unwrap();
    let out = promoter()
        .args(["xml", "rewrite", "-o", "json"])
        .arg(&src)
        .arg("--mappings")
        .arg(&doc)
        .assert()
        .success()
        .get_output()
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["referencesRewritten"], 1);
    assert_eq!(v["unmapped"][0]["id"], "dev-1");

    let json = dir.path().join("m.json");
    std::fs::write(&json, r#"{"dev-1": "p1", "dev-10": "p10"}"#).unwrap();
    promoter()
        .args(["xml", "rewrite"])
        .arg(&src)
        .arg("--mappings")
        .arg(&json)
        .assert()
        .success()
        .stdout(r#"<process xmlns=""><map mapId="p1"/><map mapId="p10"/></process>"#);

    promoter()
        .args(["xml", "rewrite", "--help"])
        .assert()
        .success()
        .stdout(predicates::str::contains("devComponentId"));
}

#[test]
fn cli_errors_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let bomb = dir.path().join("bomb.xml");
    std::fs::write(&bomb, BOMB).unwrap();
    let out = promoter()
        .args(["xml", "normalize", "-o", "json"])
        .arg(&bomb)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["code"], "XML_PARSE_ERROR");
    assert_eq!(v["position"], BOMB.find("<!DOCTYPE").unwrap());
    promoter()
        .args(["xml", "strip"])
        .arg(&bomb)
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicates::str::contains("XML_PARSE_ERROR"));
    promoter().args(["xml", "frobnicate"]).assert().code(2);
    promoter().args(["diff", "--left", "x"]).assert().code(2);
    promoter()
        .args(["xml", "strip", "/nonexistent/file.xml"])
        .assert()
        .code(1);
}

#[test]
fn cli_normalize_and_diff() {
    let dir = tempfile::tempdir().unwrap();
    let left = dir.path().join("main.xml");
    let right = dir.path().join("branch.xml");
    std::fs::write(&left, "<a y='1' x='2'><b>old</b><c/></a>").unwrap();
    std::fs::write(
        &right,
        "<a x=\"2\" y=\"1\">\n  <b>new</b>\n  <c/>\n  <d/>\n</a>",
    )
    .unwrap();
    promoter()
        .args(["xml", "normalize"])
        .arg(&left)
        .assert()
        .success()
        .stdout("<a x=\"2\" y=\"1\">\n  <b>old</b>\n  <c/>\n</a>\n");

    let out = promoter()
        .args(["diff", "-o", "json", "--side-by-side", "--left"])
        .arg(&left)
        .arg("--right")
        .arg(&right)
        .assert()
        .success()
        .get_output()
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["stats"],
        serde_json::json!({"added": 1, "removed": 0, "changed": 1, "unchanged": 3})
    );
    assert_eq!(v["rows"][1]["kind"], "CHANGED");
    assert_eq!(v["rows"][1]["left"], "  <b>old</b>");
    assert_eq!(v["rows"][3]["kind"], "ADDED");
    assert_eq!(v["identical"], false);

    promoter()
        .args(["diff", "--left"])
        .arg(&left)
        .arg("--right")
        .arg(&right)
        .assert()
        .success()
        .stdout(predicates::str::contains("-  <b>old</b>\n+  <b>new</b>"))
        .stdout(predicates::str::contains(
            "1 added, 0 removed, 1 changed, 3 unchanged",
        ));

    // A new component: empty left side.
    let empty = dir.path().join("empty.xml");
    std::fs::write(&empty, "").unwrap();
    promoter()
        .args(["diff", "--side-by-side", "--left"])
        .arg(&empty)
        .arg("--right")
        .arg(&right)
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "5 added, 0 removed, 0 changed, 0 unchanged",
        ));
}

#[test]
fn cli_production_create_and_update() {
    let out = promoter()
        .args([
            "xml",
            "production",
            "-o",
            "json",
            "--branch",
            "QjoyMDI1OTk",
            "--mappings",
        ])
        .arg(fixture("mappings.json"))
        .arg(fixture("process-orders.xml"))
        .assert()
        .success()
        .get_output()
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["action"], "CREATE");
    assert_eq!(v["production"]["referencesRewritten"], 7);
    let expected = std::fs::read_to_string(fixture("process-orders.expected.xml")).unwrap();
    assert_eq!(v["production"]["xml"], expected);

    promoter()
        .args(["xml", "production", "--branch", "QjoyMDI1OTk", "--mappings"])
        .arg(fixture("mappings.json"))
        .arg(fixture("map-order-to-erp.xml"))
        .assert()
        .success()
        .stderr(predicates::str::contains(
            "update of a15fde76-e280-4ecf-861b-cd72ef9e8056",
        ));
}

#[test]
fn cli_references() {
    promoter()
        .args(["xml", "references"])
        .arg(fixture("map-order-to-erp.xml"))
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "6cdb102d-e4f0-4b7c-b9ea-bfc0d1e2f30c\tcrossRefTable/@component",
        ));
}
