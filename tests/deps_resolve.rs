//! Dependency resolution over the in-memory source: the fixture tree, cycles, the 200 guard,
//! missing connection mappings, the promotion order and a whole simulated promotion run.

use boomi_promoter::deps::{
    build_production_xml, resolve, ApiReference, DependencyType, ExistingMapping, IdCache,
    MappingSource, MappingStatus, MemorySource, ResolveRequest, SourceError, TRAVERSAL_LIMIT,
};
use boomi_promoter::model::ErrorCode;
use boomi_promoter::xml;
use std::collections::HashSet;
use std::path::PathBuf;

const ACCOUNT: &str = "dev-team-a-H566GG";
const ROOT: &str = "a1e0c5d2-3f4b-4c6d-8e9f-0a1b2c3d4e51";
const SUB: &str = "b2f1d6e3-4a5c-4d7e-9fa0-1b2c3d4e5f62";
const HTTP_CONN: &str = "c3a2e7f4-5b6d-4e8f-a0b1-2c3d4e5f6a73";
const DB_CONN: &str = "e5c4a9b6-7d8f-4a0b-82d3-4e5f6a7b8c95";
const MAP: &str = "17e6cbd8-9fab-4c2d-a4f5-6a7b8c9daeb7";

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

fn fixture_source() -> MemorySource {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/xml");
    let mut s = MemorySource::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let n = p.file_name().unwrap().to_str().unwrap().to_string();
        if n.ends_with(".xml") && !n.ends_with(".expected.xml") {
            s.add_xml(ACCOUNT, &std::fs::read_to_string(&p).unwrap())
                .unwrap();
        }
    }
    s
}

fn mapping(dev: &str, prod: &str, ty: &str, source: MappingSource) -> ExistingMapping {
    ExistingMapping {
        dev_component_id: dev.into(),
        prod_component_id: prod.into(),
        component_type: ty.into(),
        source,
    }
}

fn seeded_connections() -> Vec<ExistingMapping> {
    vec![
        mapping(
            HTTP_CONN,
            "6d1b9f32-ae4c-4a8b-82d7-8f3eab5a4c12",
            "connection",
            MappingSource::Admin,
        ),
        mapping(
            DB_CONN,
            "8f3dbc54-c06e-4cad-a4f9-ab50cd7c6e34",
            "connection",
            MappingSource::Admin,
        ),
    ]
}

/// A minimal component whose body references `refs` (as process-call references).
fn comp(id: &str, ty: &str, refs: &[&str]) -> String {
    let calls: String = refs
        .iter()
        .map(|r| format!(r#"<processcall processId="{r}"/>"#))
        .collect();
    format!(
        r#"<bns:Component xmlns:bns="http://api.platform.boomi.com/" componentId="{id}" version="1" name="C {id}" type="{ty}" folderFullPath="Dev/X"><bns:object><process xmlns="">{calls}</process></bns:object></bns:Component>"#
    )
}

#[test]
fn fixture_tree_resolves_with_statuses_depths_and_order() {
    let src = fixture_source();
    let mut mappings = seeded_connections();
    mappings.push(mapping(
        SUB,
        "5c0a8e21-9d3b-4f7a-b1c6-7e2d9a4f3b01",
        "process",
        MappingSource::Engine,
    ));
    let req = ResolveRequest::new(ACCOUNT, ROOT, mappings);
    let r = block_on(resolve(&src, &req)).unwrap();

    assert_eq!(r.root_process_name, "Order Processing Main");
    assert_eq!(r.total_components, 13);
    assert!(!r.partial);
    assert!(r.missing_connections.is_empty());

    // Each component read exactly once, and its XML kept.
    let reads = src.reads();
    assert_eq!(reads.len(), 13);
    assert_eq!(reads.iter().collect::<HashSet<_>>().len(), 13);
    assert!(r.components.iter().all(|c| c.xml.is_some()));

    let root = r.component(ROOT).unwrap();
    assert_eq!(root.depth, 0);
    assert_eq!(root.dependency_type, DependencyType::Independent);
    assert_eq!(root.status, MappingStatus::New);
    assert!(root.has_env_config, "the apiToken");
    assert_eq!(root.dev_version, Some(12));
    assert_eq!(root.folder_full_path, "DevTeamA/Orders");

    let sub = r.component(SUB).unwrap();
    assert_eq!(sub.depth, 1);
    assert_eq!(
        sub.status,
        MappingStatus::Update {
            prod_component_id: "5c0a8e21-9d3b-4f7a-b1c6-7e2d9a4f3b01".into()
        }
    );
    let conn = r.component(DB_CONN).unwrap();
    assert!(conn.is_connection);
    assert!(matches!(
        conn.status,
        MappingStatus::ConnectionMapped { .. }
    ));
    // Profiles and scripts referenced by the map sit at depth 2.
    let crossref = r.component("6cdb102d-e4f0-4b7c-b9ea-bfc0d1e2f30c").unwrap();
    assert_eq!(crossref.depth, 2);
    assert_eq!(crossref.component_type, "crossref");
    assert_eq!(crossref.dependency_type, DependencyType::Dependent);

    // Promotion order: no connections, dependencies first, the root last.
    assert_eq!(r.order.len(), 11);
    assert!(!r.order.contains(&HTTP_CONN.to_string()));
    assert_eq!(r.order.last().unwrap(), ROOT);
    let pos = |id: &str| r.order.iter().position(|x| x == id).unwrap();
    for c in &r.components {
        if c.is_connection {
            continue;
        }
        for dep in &c.references {
            if let Some(p) = r.order.iter().position(|x| *x == dep.id) {
                assert!(
                    p < pos(&c.dev_component_id),
                    "{} before {}",
                    dep.id,
                    c.dev_component_id
                );
            }
        }
    }
    // Tie-break by type: the profiles come before the operations and maps.
    assert!(
        pos("28f7dce9-a0bc-4d3e-b5a6-7b8c9daebfc8") < pos("d4b3f8a5-6c7e-4f9a-b1c2-3d4e5f6a7b84")
    );
    assert!(r.forward_references.is_empty());

    // When the JSON profile fails, everything using it directly or transitively is skipped.
    assert_eq!(
        r.dependents_of("28f7dce9-a0bc-4d3e-b5a6-7b8c9daebfc8"),
        vec![ROOT, "d4b3f8a5-6c7e-4f9a-b1c2-3d4e5f6a7b84", MAP, SUB]
    );

    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["components"][0]["status"], "NEW");
    assert!(json["components"][0].get("xml").is_none());
}

#[test]
fn three_missing_connection_mappings_are_all_reported() {
    let mut s = MemorySource::new();
    s.insert(ACCOUNT, "root", comp("root", "process", &["c1", "p2"]));
    s.insert(ACCOUNT, "p2", comp("p2", "process", &["c2", "c3", "c4"]));
    for c in ["c1", "c2", "c3", "c4"] {
        s.insert(ACCOUNT, c, comp(c, "connector-settings", &[]));
    }
    let req = ResolveRequest::new(
        ACCOUNT,
        "root",
        vec![mapping("c3", "prod-c3", "connection", MappingSource::Admin)],
    );
    let r = block_on(resolve(&s, &req)).unwrap();
    let missing: Vec<&str> = r
        .missing_connections
        .iter()
        .map(|m| m.dev_component_id.as_str())
        .collect();
    assert_eq!(missing, vec!["c1", "c2", "c4"]);
    assert!(r.has_missing_connections());
    assert!(r
        .missing_connections
        .iter()
        .all(|m| m.dev_account_id == ACCOUNT));
    assert_eq!(r.missing_connections[1].name, "C c2");
    assert_eq!(
        r.component("c3").unwrap().status,
        MappingStatus::ConnectionMapped {
            prod_component_id: "prod-c3".into()
        }
    );
    assert_eq!(r.order, vec!["p2", "root"]);
    let _ = ErrorCode::MissingConnectionMappings; // what the reconciler reports for this list
}

#[test]
fn cycle_resolves_to_two_components() {
    let mut s = MemorySource::new();
    s.insert(ACCOUNT, "A", comp("A", "process", &["B"]));
    s.insert(ACCOUNT, "B", comp("B", "process", &["A"]));
    let r = block_on(resolve(&s, &ResolveRequest::new(ACCOUNT, "A", vec![]))).unwrap();
    assert_eq!(r.total_components, 2);
    assert_eq!(s.reads(), vec!["A", "B"]);
    assert!(!r.partial);
    assert_eq!(r.order, vec!["B", "A"]);
    // B refers to A, which only exists after B: B must be rewritten again.
    assert_eq!(r.forward_references.len(), 1);
    assert_eq!(r.forward_references[0].component_id, "B");
    assert_eq!(r.forward_references[0].references_id, "A");
    // Not when A is mapped already.
    let req = ResolveRequest::new(
        ACCOUNT,
        "A",
        vec![mapping("A", "pA", "process", MappingSource::Engine)],
    );
    let r = block_on(resolve(&s, &req)).unwrap();
    assert!(r.forward_references.is_empty());
}

#[test]
fn traversal_stops_at_200_and_says_partial() {
    let mut s = MemorySource::new();
    let kids: Vec<String> = (0..250).map(|i| format!("k{i:03}")).collect();
    let refs: Vec<&str> = kids.iter().map(String::as_str).collect();
    s.insert(ACCOUNT, "root", comp("root", "process", &refs));
    for k in &kids {
        s.insert(ACCOUNT, k, comp(k, "profile.json", &[]));
    }
    let r = block_on(resolve(&s, &ResolveRequest::new(ACCOUNT, "root", vec![]))).unwrap();
    assert_eq!(r.total_components, TRAVERSAL_LIMIT);
    assert!(r.partial);
    assert_eq!(
        s.reads().len(),
        TRAVERSAL_LIMIT,
        "nothing read beyond the cap"
    );
    // Exactly at the cap: not partial.
    let mut s = MemorySource::new();
    let refs: Vec<&str> = kids[..199].iter().map(String::as_str).collect();
    s.insert(ACCOUNT, "root", comp("root", "process", &refs));
    for k in &kids[..199] {
        s.insert(ACCOUNT, k, comp(k, "profile.json", &[]));
    }
    let r = block_on(resolve(&s, &ResolveRequest::new(ACCOUNT, "root", vec![]))).unwrap();
    assert_eq!(r.total_components, 200);
    assert!(!r.partial);
}

#[test]
fn failures_unknown_root_and_fatal_errors() {
    let mut s = MemorySource::new();
    s.insert(
        ACCOUNT,
        "root",
        comp("root", "process", &["gone", "bad", "ok"]),
    );
    s.insert(ACCOUNT, "bad", "<bns:Component><unclosed>".to_string());
    s.insert(ACCOUNT, "ok", comp("ok", "process", &[]));
    let r = block_on(resolve(&s, &ResolveRequest::new(ACCOUNT, "root", vec![]))).unwrap();
    assert!(r.partial);
    assert!(matches!(
        r.component("gone").unwrap().status,
        MappingStatus::Error {
            code: ErrorCode::ComponentNotFound,
            ..
        }
    ));
    assert!(matches!(
        r.component("bad").unwrap().status,
        MappingStatus::Error {
            code: ErrorCode::XmlParseError,
            ..
        }
    ));
    assert_eq!(r.order, vec!["ok", "root"]);

    let e = block_on(resolve(&s, &ResolveRequest::new(ACCOUNT, "nope", vec![]))).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ComponentNotFound);

    s.fail(
        ACCOUNT,
        "ok",
        SourceError::Fatal {
            code: ErrorCode::AuthFailed,
            message: "401".into(),
        },
    );
    let e = block_on(resolve(&s, &ResolveRequest::new(ACCOUNT, "root", vec![]))).unwrap_err();
    assert_eq!(e.code(), ErrorCode::AuthFailed);
}

#[test]
fn check_references_reports_differences_and_takes_dependency_types() {
    let mut s = MemorySource::new();
    s.insert(ACCOUNT, "root", comp("root", "process", &["a", "b"]));
    s.insert(ACCOUNT, "a", comp("a", "process", &[]));
    s.insert(ACCOUNT, "b", comp("b", "process", &[]));
    let edge = |c: &str, t| ApiReference {
        parent_component_id: "root".into(),
        component_id: c.into(),
        dependency_type: t,
    };
    s.set_references(
        ACCOUNT,
        "root",
        vec![
            edge("a", DependencyType::Independent),
            edge("z", DependencyType::Dependent),
        ],
    );
    let mut req = ResolveRequest::new(ACCOUNT, "root", vec![]);
    req.check_references = true;
    let r = block_on(resolve(&s, &req)).unwrap();
    assert_eq!(r.reference_mismatches.len(), 1);
    assert_eq!(r.reference_mismatches[0].component_id, "root");
    assert_eq!(r.reference_mismatches[0].only_in_xml, vec!["b"]);
    assert_eq!(r.reference_mismatches[0].only_in_api, vec!["z"]);
    assert_eq!(
        r.component("a").unwrap().dependency_type,
        DependencyType::Independent
    );
    assert_eq!(
        r.component("b").unwrap().dependency_type,
        DependencyType::Dependent
    );
    // Without the flag nothing is checked.
    let r = block_on(resolve(&s, &ResolveRequest::new(ACCOUNT, "root", vec![]))).unwrap();
    assert!(r.reference_mismatches.is_empty());
}

/// Simulate a whole promotion run over the fixtures: every reference to a component promoted
/// in the same run ends up rewritten, from the XML fetched once during resolution.
#[test]
fn whole_run_rewrites_every_reference() {
    let src = fixture_source();
    let req = ResolveRequest::new(ACCOUNT, ROOT, seeded_connections());
    let r = block_on(resolve(&src, &req)).unwrap();
    let mut cache = IdCache::from_mappings(&req.mappings);
    let mut written: Vec<(String, String)> = Vec::new(); // (dev id, production xml)
    for (n, dev) in r.order.iter().enumerate() {
        let c = r.component(dev).unwrap();
        let prod_id = cache.get(dev).map(str::to_string);
        let out = build_production_xml(
            c.xml.as_deref().unwrap(),
            Some(&c.component_type),
            &cache,
            prod_id.as_deref(),
            "QjoyMDI1OTk",
        )
        .unwrap();
        // The platform would assign the id on create.
        let new_id = prod_id.unwrap_or_else(|| format!("00000000-0000-4000-8000-{n:012}"));
        cache.insert(dev.clone(), new_id);
        written.push((dev.clone(), out.xml));
    }
    assert_eq!(src.reads().len(), 13, "nothing fetched twice");
    let dev_ids: HashSet<&str> = r
        .components
        .iter()
        .map(|c| c.dev_component_id.as_str())
        .collect();
    for (dev, x) in &written {
        for reference in xml::references(x).unwrap() {
            assert!(
                !dev_ids.contains(reference.id.as_str()),
                "{dev}: dev id {} left at {}",
                reference.id,
                reference.location
            );
        }
        let info = xml::ComponentInfo::parse(x).unwrap();
        assert!(info.folder_full_path.unwrap().starts_with("/Promoted/"));
    }
    // The root is a create, and secrets are gone.
    let root_xml = &written.last().unwrap().1;
    assert!(xml::ComponentInfo::parse(root_xml).unwrap().id.is_none());
    assert!(!root_xml.contains("st_live_8f2K9xQ4mLz7Rt1v"));
}
