//! Property tests: no function panics on arbitrary input; on well-formed input strip and
//! rewrite give well-formed output identical outside what they changed; normalise is
//! idempotent.

use boomi_promoter::xml::{self, ProductionTarget};
use proptest::prelude::*;
use std::collections::HashMap;

const NAMES: &[&str] = &[
    "process",
    "field",
    "password",
    "host",
    "url",
    "port",
    "EncryptedValue",
    "apiKey",
    "connector",
    "map",
    "bns:password",
    "keyStore",
    "credentials",
    "shape",
    "x",
    "token",
    "sshPassphrase",
];
const ATTRS: &[&str] = &[
    "id",
    "value",
    "url",
    "password",
    "port",
    "connectionId",
    "mapId",
    "processId",
    "component",
    "name",
    "type",
    "k",
    "Password",
    "accessToken",
    "allowDynamicCredentials",
];
const IDS: &[&str] = &[
    "id-a",
    "id-b",
    "id-c",
    "id-a1",
    "x",
    "a b",
    "host",
    "password",
    "PASSWORD",
    "sshPassphrase",
    G1,
    G2,
    // A GUID inside a longer token, and one next to another: not ids / two ids.
    "x3f1c9a52-6a0e-4d2b-9b1e-0a7d5c2e8f11",
    "3f1c9a52-6a0e-4d2b-9b1e-0a7d5c2e8f11-1",
    "3f1c9a52-6a0e-4d2b-9b1e-0a7d5c2e8f11 5f304152-b4c5-46d7-8c19-a3b4c5d6e71c",
    "3F1C9A52-6A0E-4D2B-9B1E-0A7D5C2E8F11",
];
const G1: &str = "3f1c9a52-6a0e-4d2b-9b1e-0a7d5c2e8f11";
const G2: &str = "5f304152-b4c5-46d7-8c19-a3b4c5d6e71c";

/// Values: ids, words, characters that need escaping.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(IDS).prop_map(str::to_string),
        "[a-zA-Z0-9 ._-]{0,12}",
        prop::sample::select(vec!["&amp;", "&lt;x&gt;", "&#65;", "&quot;", " "])
            .prop_map(str::to_string),
    ]
}

#[derive(Debug, Clone)]
enum Node {
    El(String, Vec<(String, String)>, Vec<Node>),
    Text(String),
    CData(String),
    Comment(String),
}

fn node() -> impl Strategy<Value = Node> {
    let leaf = prop_oneof![
        value().prop_map(Node::Text),
        "[a-z0-9 <&-]{0,8}".prop_map(Node::CData),
        "[a-z ]{0,8}".prop_map(Node::Comment),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        (
            prop::sample::select(NAMES),
            prop::collection::btree_map(prop::sample::select(ATTRS), value(), 0..4),
            prop::collection::vec(inner, 0..5),
        )
            .prop_map(|(n, attrs, kids)| {
                Node::El(
                    n.to_string(),
                    attrs.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
                    kids,
                )
            })
    })
}

fn render(n: &Node, out: &mut String) {
    match n {
        Node::El(name, attrs, kids) => {
            out.push('<');
            out.push_str(name);
            for (k, v) in attrs {
                out.push_str(&format!(" {k}=\"{}\"", v.replace('"', "&quot;")));
            }
            if kids.is_empty() {
                out.push_str("/>");
            } else {
                out.push('>');
                for k in kids {
                    render(k, out);
                }
                out.push_str(&format!("</{name}>"));
            }
        }
        Node::Text(t) => out.push_str(t),
        Node::CData(c) => out.push_str(&format!("<![CDATA[{c}]]>")),
        Node::Comment(c) => out.push_str(&format!("<!--{c}-->")),
    }
}

fn document() -> impl Strategy<Value = (String, String)> {
    (
        prop::sample::select(vec!["process", "connector-action", "profile.json", "connector-settings"]),
        prop::collection::vec(node(), 0..6),
    )
        .prop_map(|(ty, body)| {
            let mut s = format!(
                "<?xml version=\"1.0\"?>\n<bns:Component xmlns:bns=\"http://api.platform.boomi.com/\" componentId=\"self\" name=\"n\" type=\"{ty}\" folderFullPath=\"A/B\"><bns:object>"
            );
            for n in &body {
                render(n, &mut s);
            }
            s.push_str("</bns:object></bns:Component>");
            (ty.to_string(), s)
        })
}

/// `a` and `b` agree once every old value and every replacement is removed from both (the
/// replacements use characters the generator never produces elsewhere).
fn unchanged_outside(a: &str, b: &str, old: &[&str], new: &[&str]) -> bool {
    let all: Vec<&str> = old.iter().chain(new).copied().collect();
    let strip = |s: &str, vals: &[&str]| {
        let mut t = s.to_string();
        let mut vals: Vec<&str> = vals.iter().copied().filter(|v| !v.is_empty()).collect();
        vals.sort_by_key(|v| std::cmp::Reverse(v.len()));
        for v in vals {
            t = t.replace(v, "");
        }
        t
    };
    strip(a, &all) == strip(b, &all)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn nothing_panics_on_arbitrary_input(s in "\\PC{0,200}", t in "[<>&;=\"'/a-z!?\\[\\] -]{0,120}") {
        let m: HashMap<String, String> = [("a".to_string(), "b".to_string())].into();
        let target = ProductionTarget { prod_component_id: Some("p"), branch_id: "b" };
        for input in [s.as_str(), t.as_str()] {
            let _ = xml::strip_env_config(input, None);
            let _ = xml::strip_env_config(input, Some("process"));
            let _ = xml::rewrite_references(input, &m);
            let _ = xml::references(input);
            let _ = xml::to_production(input, &target);
            let _ = xml::normalize(input);
            let _ = xml::ComponentInfo::parse(input);
            let _ = xml::diff(input, &t, "l", "r");
        }
    }

    #[test]
    fn strip_output_is_well_formed_and_only_blanks((ty, doc) in document()) {
        let o = xml::strip_env_config(&doc, None).unwrap();
        prop_assert!(xml::normalize(&o.xml).is_ok());
        prop_assert!(o.xml.len() <= doc.len());
        if !xml::is_stripped_type(&ty) {
            prop_assert_eq!(&o.xml, &doc);
        }
        if !o.config_stripped {
            prop_assert_eq!(&o.xml, &doc);
        }
        // Stripping only deletes bytes: the output is a subsequence of the input.
        let mut it = doc.chars();
        prop_assert!(o.xml.chars().all(|c| it.any(|d| d == c)));
        // Idempotent.
        let again = xml::strip_env_config(&o.xml, None).unwrap();
        prop_assert_eq!(&again.xml, &o.xml);
        prop_assert!(!again.config_stripped);
    }

    #[test]
    fn rewrite_output_is_well_formed_and_identical_elsewhere((_ty, doc) in document()) {
        let m: HashMap<String, String> = [
            ("id-a", "P#1"), ("id-b", "id-c"), ("id-c", "Q&2"),
        ].iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        let o = xml::rewrite_references(&doc, &m).unwrap();
        prop_assert!(xml::normalize(&o.xml).is_ok());
        prop_assert!(o.references_rewritten <= 3);
        if o.references_rewritten == 0 {
            prop_assert_eq!(&o.xml, &doc);
        }
        prop_assert!(unchanged_outside(&doc, &o.xml, &["id-a", "id-b", "id-c"], &["P#1", "id-c", "Q&amp;2", "Q&2"]));
        // No chaining: id-b became id-c, never Q&2 ... so every id-c in the output came from id-b
        // or was there before.
        let before = doc.matches("id-b").count() + doc.matches("id-c").count();
        prop_assert!(o.xml.matches("id-c").count() <= before);
        // The root's own id is never touched.
        prop_assert!(o.xml.contains("componentId=\"self\""));
    }

    #[test]
    fn normalize_is_idempotent((_ty, doc) in document()) {
        let n = xml::normalize(&doc).unwrap();
        let n2 = xml::normalize(&n).unwrap();
        prop_assert_eq!(&n2, &n);
        prop_assert!(!n.ends_with('\n'));
        prop_assert!(n.lines().all(|l| l == l.trim_end()));
        let d = xml::diff(&n, &n2, "a", "b");
        prop_assert!(d.is_identical());
    }

    /// The one-pass promotion equals strip, then rewrite, then the production root.
    #[test]
    fn fused_pass_equals_the_three_steps((_ty, doc) in document(), update in any::<bool>()) {
        let m: HashMap<String, String> = [
            ("id-a", "P#1"), ("id-b", "id-c"), ("id-c", "Q&2"), ("host", "H#"), ("password", "W#"),
        ].iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        let t = ProductionTarget {
            prod_component_id: update.then_some("prod-self"),
            branch_id: "QjoyMDI1OTk",
        };
        let s = xml::strip_env_config(&doc, None).unwrap();
        let r = xml::rewrite_references(&s.xml, &m).unwrap();
        let p = xml::to_production(&r.xml, &t).unwrap();
        let f = xml::promote(&doc, None, &m, &t).unwrap();
        prop_assert_eq!(&f.xml, &p);
        prop_assert_eq!(&f.stripped, &s.stripped);
        prop_assert_eq!(&f.rewritten, &r.rewritten);
        prop_assert_eq!(&f.unmapped, &r.unmapped);
    }

    /// A map of GUIDs only takes the fast search; it finds exactly what the general walk finds
    /// (forced here by one extra key that is not a GUID and never occurs).
    #[test]
    fn guid_keys_rewrite_like_any_keys((_ty, doc) in document()) {
        let fast: HashMap<String, String> = [(G1, "9a8b7c6d-0000-4000-8000-000000000001"), (G2, "P&1")]
            .iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        let mut general = fast.clone();
        general.insert("never-in-a-document".into(), "x".into());
        let a = xml::rewrite_references(&doc, &fast).unwrap();
        let b = xml::rewrite_references(&doc, &general).unwrap();
        prop_assert_eq!(&a.xml, &b.xml);
        prop_assert_eq!(&a.rewritten, &b.rewritten);
        prop_assert_eq!(&a.unmapped, &b.unmapped);
    }

    #[test]
    fn production_keeps_the_body((_ty, doc) in document()) {
        let t = ProductionTarget { prod_component_id: None, branch_id: "QjoyMDI1OTk" };
        let out = xml::to_production(&doc, &t).unwrap();
        let body = |s: &str| s[s.find("<bns:object>").unwrap()..].to_string();
        prop_assert_eq!(body(&out), body(&doc));
        let info = xml::ComponentInfo::parse(&out).unwrap();
        prop_assert_eq!(info.id, None);
        prop_assert_eq!(info.folder_full_path.as_deref(), Some("/Promoted/A/B"));
    }
}
