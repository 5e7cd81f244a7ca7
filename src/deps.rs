//! Dependency resolution (action B, `seed-behaviors.md` §6.4–§6.6) and the per-component
//! promotion helper (§6.7 steps 2–5).
//!
//! [`resolve`] walks the component tree breadth-first from the root over a [`ComponentSource`]
//! (the Boomi client implements it; [`MemorySource`] is the in-memory one used by tests and
//! offline tools). Each component's XML is read **once**; its children (the reference positions
//! of [`crate::xml::references`]), name, type, folder and version come from that XML, and the XML
//! is kept in the result so the promotion step never fetches a component twice in one run.
//!
//! - Each component is visited once, so a cycle A→B→A simply ends (no error).
//! - At most [`TRAVERSAL_LIMIT`] components are visited; more sets `partial`.
//! - Every component gets its breadth-first `depth` (root 0), a `dependencyType` and a mapping
//!   status from the dev account's existing mappings: `NEW`, `UPDATE(prod id)`,
//!   `CONNECTION_MAPPED(prod id)`, `CONNECTION_MISSING` (or `ERROR` when it could not be read).
//! - Connections (`connector-settings`/`connection`) are never promoted: every missing mapping
//!   is collected (never just the first) into `missing_connections`, which the caller reports as
//!   `MISSING_CONNECTION_MAPPINGS`.
//! - The promotion `order` is topological over the real reference edges, dependencies first,
//!   the type priority of §6.5 as the tie-break and the root last. A cycle is broken at the
//!   lowest-priority member; references that point forward in the order to a component that
//!   has no production id yet are listed in `forward_references`, so the caller can rewrite those
//!   components again once everything exists (the requirement: every reference to a component
//!   promoted in the same run ends up rewritten).
//! - With `check_references`, the XML-derived edges are cross-checked against the
//!   ComponentReference API and any difference is reported in `reference_mismatches`.
//!
//! `dependencyType` comes from the ComponentReference API when `check_references` is on; from
//! the XML alone it is `DEPENDENT` for every referenced component (references in a component's
//! configuration are pulled into its package) and `INDEPENDENT` for the root.

use crate::model::ErrorCode;
use crate::xml::{self, ComponentInfo, ProductionTarget, Reference, XmlError};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet, VecDeque};

/// The traversal cap of §6.4.
pub const TRAVERSAL_LIMIT: usize = 200;

/// Why a [`ComponentSource`] call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// The component does not exist in that account (or is not visible).
    #[error("component {id} not found")]
    NotFound { id: String },
    /// A failure that stops the whole resolution (authentication, account access, …).
    #[error("{code}: {message}")]
    Fatal { code: ErrorCode, message: String },
    /// A failure of this one read (after the client's own retries).
    #[error("{code}: {message}")]
    Failed { code: ErrorCode, message: String },
}

impl SourceError {
    pub fn code(&self) -> ErrorCode {
        match self {
            SourceError::NotFound { .. } => ErrorCode::ComponentNotFound,
            SourceError::Fatal { code, .. } | SourceError::Failed { code, .. } => *code,
        }
    }
}

/// `DEPENDENT` or `INDEPENDENT` (ComponentReference `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DependencyType {
    Dependent,
    Independent,
}

/// One edge reported by the ComponentReference API: `parent` uses `component_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiReference {
    pub parent_component_id: String,
    pub component_id: String,
    pub dependency_type: DependencyType,
}

/// What resolution needs from Boomi, reading a dev account through `overrideAccount`.
#[async_trait]
pub trait ComponentSource: Send + Sync {
    /// `GET Component/{component_id}` in the dev account: the full `bns:Component` XML.
    async fn component_xml(
        &self,
        dev_account: &str,
        component_id: &str,
    ) -> Result<String, SourceError>;

    /// The components `parent_component_id` (at `parent_version`) uses, one level:
    /// `POST ComponentReference/query` filtered on `parentComponentId` + `parentVersion`.
    /// A component with no references is an empty list (Boomi answers 400 there).
    async fn child_references(
        &self,
        dev_account: &str,
        parent_component_id: &str,
        parent_version: u32,
    ) -> Result<Vec<ApiReference>, SourceError>;
}

/// Who wrote an existing mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MappingSource {
    /// Written by a promotion (`PROMOTION_ENGINE`).
    Engine,
    /// Seeded by an admin (`ADMIN_SEEDING`), e.g. a connection.
    Admin,
}

/// An existing dev→prod mapping of the dev account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExistingMapping {
    pub dev_component_id: String,
    pub prod_component_id: String,
    pub component_type: String,
    pub source: MappingSource,
}

/// Mapping status of one resolved component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MappingStatus {
    /// Not promoted before: will be created.
    New,
    /// Promoted before: will update this production component.
    #[serde(rename_all = "camelCase")]
    Update { prod_component_id: String },
    /// A connection with an admin-seeded mapping (never promoted; references are rewritten).
    #[serde(rename_all = "camelCase")]
    ConnectionMapped { prod_component_id: String },
    /// A connection without a mapping: blocks the promotion.
    ConnectionMissing,
    /// The component could not be read or parsed.
    Error { code: ErrorCode, message: String },
}

/// One component of the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedComponent {
    pub dev_component_id: String,
    pub name: String,
    pub component_type: String,
    pub folder_full_path: String,
    pub dev_version: Option<u32>,
    pub depth: usize,
    pub dependency_type: DependencyType,
    #[serde(flatten)]
    pub status: MappingStatus,
    pub is_connection: bool,
    /// Whether promoting it blanks environment configuration (`hasEnvConfig`).
    pub has_env_config: bool,
    /// The components it references (from its XML), in document order.
    pub references: Vec<Reference>,
    /// The dev XML as read (kept for the promotion step; not serialised).
    #[serde(skip)]
    pub xml: Option<String>,
}

/// A connection without a mapping (`missingConnectionMappings[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MissingConnection {
    pub dev_component_id: String,
    pub name: String,
    pub component_type: String,
    pub dev_account_id: String,
}

/// A difference between the XML-derived references and the ComponentReference API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferenceMismatch {
    pub component_id: String,
    pub only_in_xml: Vec<String>,
    pub only_in_api: Vec<String>,
}

/// A reference from `component_id` to `references_id`, a component promoted later in the same
/// run and not yet mapped: `component_id` must be rewritten again once `references_id` exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ForwardReference {
    pub component_id: String,
    pub references_id: String,
}

/// What to resolve.
#[derive(Debug, Clone)]
pub struct ResolveRequest {
    pub dev_account_id: String,
    pub root_component_id: String,
    /// Every existing mapping of this dev account (engine and admin).
    pub mappings: Vec<ExistingMapping>,
    pub check_references: bool,
    /// Traversal cap; [`TRAVERSAL_LIMIT`] normally.
    pub limit: usize,
}

impl ResolveRequest {
    pub fn new(
        dev_account_id: impl Into<String>,
        root_component_id: impl Into<String>,
        mappings: Vec<ExistingMapping>,
    ) -> Self {
        ResolveRequest {
            dev_account_id: dev_account_id.into(),
            root_component_id: root_component_id.into(),
            mappings,
            check_references: false,
            limit: TRAVERSAL_LIMIT,
        }
    }
}

/// The resolved tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resolution {
    pub dev_account_id: String,
    pub root_component_id: String,
    pub root_process_name: String,
    pub total_components: usize,
    /// In breadth-first order (the root first).
    pub components: Vec<ResolvedComponent>,
    /// Dev ids to promote, in promotion order (connections and unreadable components excluded;
    /// the root last).
    pub order: Vec<String>,
    pub missing_connections: Vec<MissingConnection>,
    /// True when the traversal cap was hit or a component could not be read.
    pub partial: bool,
    pub forward_references: Vec<ForwardReference>,
    /// Only with `check_references`.
    pub reference_mismatches: Vec<ReferenceMismatch>,
}

impl Resolution {
    pub fn component(&self, dev_id: &str) -> Option<&ResolvedComponent> {
        self.components
            .iter()
            .find(|c| c.dev_component_id == dev_id)
    }

    /// Every component that references `dev_id` directly or transitively (the components to
    /// mark `SKIPPED` when `dev_id` fails, §6.7), in breadth-first order.
    pub fn dependents_of(&self, dev_id: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut frontier = vec![dev_id.to_string()];
        while let Some(id) = frontier.pop() {
            for c in &self.components {
                let uses = c.references.iter().any(|r| r.id == id);
                if uses && c.dev_component_id != dev_id && !out.contains(&c.dev_component_id) {
                    out.push(c.dev_component_id.clone());
                    frontier.push(c.dev_component_id.clone());
                }
            }
        }
        let pos = |id: &String| {
            self.components
                .iter()
                .position(|c| &c.dev_component_id == id)
        };
        out.sort_by_key(pos);
        out
    }

    /// True when any connection lacks a mapping (`MISSING_CONNECTION_MAPPINGS`).
    pub fn has_missing_connections(&self) -> bool {
        !self.missing_connections.is_empty()
    }
}

/// Why resolution stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DepsError {
    /// The root component does not exist.
    #[error("root component {id} not found in dev account {account}")]
    RootNotFound { id: String, account: String },
    /// The root component could not be parsed.
    #[error("root component {id}: {source}")]
    RootXml { id: String, source: XmlError },
    /// A fatal source failure (authentication, account access).
    #[error("{0}")]
    Source(SourceError),
}

impl DepsError {
    pub fn code(&self) -> ErrorCode {
        match self {
            DepsError::RootNotFound { .. } => ErrorCode::ComponentNotFound,
            DepsError::RootXml { .. } => ErrorCode::XmlParseError,
            DepsError::Source(e) => e.code(),
        }
    }
}

/// True for a connection's type (raw `connector-settings` or canonical `connection`).
pub fn is_connection_type(t: &str) -> bool {
    matches!(
        t.trim().to_ascii_lowercase().as_str(),
        "connector-settings" | "connection"
    )
}

/// The §6.5 type priority ×10 (lower first), with its recommendation: `transform.map` counts as
/// a map and scripts sit between maps and processes. The root is placed last separately.
pub fn type_priority(component_type: &str) -> u32 {
    let t = component_type.trim().to_ascii_lowercase();
    let t = match t.as_str() {
        "connector-settings" => "connection".to_string(),
        "connector-action" => "operation".to_string(),
        "scripting" => "script".to_string(),
        "transform.map" => "map".to_string(),
        s if s.starts_with("profile.") => "profile".to_string(),
        _ => t,
    };
    if t.contains("profile") {
        10
    } else if t == "connection" {
        20
    } else if t.contains("operation") {
        30
    } else if t == "map" {
        40
    } else if t.starts_with("script") {
        45
    } else if t == "processroute" {
        60
    } else {
        50
    }
}

/// The dev→prod id cache of one run: pre-loaded with **all** mappings of the dev account, then
/// extended with each component as it is promoted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdCache {
    map: HashMap<String, String>,
}

impl IdCache {
    pub fn from_mappings(mappings: &[ExistingMapping]) -> Self {
        IdCache {
            map: mappings
                .iter()
                .map(|m| (m.dev_component_id.clone(), m.prod_component_id.clone()))
                .collect(),
        }
    }

    pub fn insert(&mut self, dev: impl Into<String>, prod: impl Into<String>) {
        self.map.insert(dev.into(), prod.into());
    }

    pub fn get(&self, dev: &str) -> Option<&str> {
        self.map.get(dev).map(String::as_str)
    }

    pub fn as_map(&self) -> &HashMap<String, String> {
        &self.map
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// The production XML of one component and what was done to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductionXml {
    pub xml: String,
    pub config_stripped: bool,
    pub stripped: Vec<String>,
    pub rewritten: Vec<(String, String)>,
    pub references_rewritten: usize,
    pub unmapped: Vec<Reference>,
}

/// Build the production XML of one component: strip → rewrite (with the run's id cache) →
/// production root element, in one pass ([`xml::promote`]). `prod_component_id` `None` = create, `Some` = update. Any failure
/// fails the component (fail closed).
pub fn build_production_xml(
    dev_xml: &str,
    component_type: Option<&str>,
    cache: &IdCache,
    prod_component_id: Option<&str>,
    branch_id: &str,
) -> Result<ProductionXml, XmlError> {
    let out = xml::promote(
        dev_xml,
        component_type,
        cache.as_map(),
        &ProductionTarget {
            prod_component_id,
            branch_id,
        },
    )?;
    Ok(ProductionXml {
        xml: out.xml,
        config_stripped: out.config_stripped,
        stripped: out.stripped,
        rewritten: out.rewritten,
        references_rewritten: out.references_rewritten,
        unmapped: out.unmapped,
    })
}

struct Visit {
    id: String,
    depth: usize,
}

/// Resolve the dependency tree of `req.root_component_id` (see the module documentation).
pub async fn resolve(
    source: &dyn ComponentSource,
    req: &ResolveRequest,
) -> Result<Resolution, DepsError> {
    let account = req.dev_account_id.as_str();
    let by_dev: HashMap<&str, &ExistingMapping> = req
        .mappings
        .iter()
        .map(|m| (m.dev_component_id.as_str(), m))
        .collect();

    let mut queue: VecDeque<Visit> = VecDeque::new();
    let mut queued: HashSet<String> = HashSet::new();
    let mut visited: Vec<ResolvedComponent> = Vec::new();
    let mut partial = false;
    queue.push_back(Visit {
        id: req.root_component_id.clone(),
        depth: 0,
    });
    queued.insert(req.root_component_id.clone());

    while let Some(v) = queue.pop_front() {
        if visited.len() >= req.limit {
            partial = true;
            continue;
        }
        let is_root = visited.is_empty();
        let fetched = source.component_xml(account, &v.id).await;
        let xml_text = match fetched {
            Ok(x) => x,
            Err(SourceError::NotFound { .. }) if is_root => {
                return Err(DepsError::RootNotFound {
                    id: v.id,
                    account: account.to_string(),
                })
            }
            Err(e @ SourceError::Fatal { .. }) => return Err(DepsError::Source(e)),
            Err(e) if is_root => return Err(DepsError::Source(e)),
            Err(e) => {
                partial = true;
                visited.push(error_component(&v, e.code(), e.to_string(), is_root));
                continue;
            }
        };
        let parsed = ComponentInfo::parse(&xml_text)
            .and_then(|info| xml::references(&xml_text).map(|refs| (info, refs)));
        let (info, refs) = match parsed {
            Ok(p) => p,
            Err(e) if is_root => {
                return Err(DepsError::RootXml {
                    id: v.id,
                    source: e,
                });
            }
            Err(e) => {
                partial = true;
                visited.push(error_component(&v, e.code(), e.to_string(), is_root));
                continue;
            }
        };
        let component_type = info.component_type.clone().unwrap_or_default();
        let is_connection = is_connection_type(&component_type);
        let mapping = by_dev.get(v.id.as_str());
        let status = match (is_connection, mapping) {
            (true, Some(m)) => MappingStatus::ConnectionMapped {
                prod_component_id: m.prod_component_id.clone(),
            },
            (true, None) => MappingStatus::ConnectionMissing,
            (false, Some(m)) => MappingStatus::Update {
                prod_component_id: m.prod_component_id.clone(),
            },
            (false, None) => MappingStatus::New,
        };
        let has_env_config = !is_connection
            && xml::strip_env_config(&xml_text, Some(&component_type))
                .map(|o| o.config_stripped)
                .unwrap_or(false);
        for r in &refs {
            if r.id != v.id && !queued.contains(&r.id) {
                queued.insert(r.id.clone());
                queue.push_back(Visit {
                    id: r.id.clone(),
                    depth: v.depth + 1,
                });
            }
        }
        visited.push(ResolvedComponent {
            dev_component_id: v.id.clone(),
            name: info.name.unwrap_or_default(),
            component_type,
            folder_full_path: info.folder_full_path.unwrap_or_default(),
            dev_version: info.version,
            depth: v.depth,
            dependency_type: if is_root {
                DependencyType::Independent
            } else {
                DependencyType::Dependent
            },
            status,
            is_connection,
            has_env_config,
            references: refs,
            xml: Some(xml_text),
        });
    }

    let mut reference_mismatches = Vec::new();
    if req.check_references {
        let mut api_types: HashMap<String, DependencyType> = HashMap::new();
        for c in &visited {
            if matches!(c.status, MappingStatus::Error { .. }) {
                continue;
            }
            let api = source
                .child_references(account, &c.dev_component_id, c.dev_version.unwrap_or(0))
                .await;
            let api = match api {
                Ok(a) => a,
                Err(e @ SourceError::Fatal { .. }) => return Err(DepsError::Source(e)),
                Err(e) => {
                    reference_mismatches.push(ReferenceMismatch {
                        component_id: c.dev_component_id.clone(),
                        only_in_xml: vec![],
                        only_in_api: vec![format!("<unavailable: {e}>")],
                    });
                    continue;
                }
            };
            let xml_ids: Vec<&str> = c.references.iter().map(|r| r.id.as_str()).collect();
            let mut api_ids: Vec<&str> = Vec::new();
            for a in &api {
                if !api_ids.contains(&a.component_id.as_str()) {
                    api_ids.push(a.component_id.as_str());
                }
                api_types
                    .entry(a.component_id.clone())
                    .and_modify(|t| {
                        // DEPENDENT anywhere wins: the component is pulled in by a parent.
                        if a.dependency_type == DependencyType::Dependent {
                            *t = DependencyType::Dependent
                        }
                    })
                    .or_insert(a.dependency_type);
            }
            let only_in_xml: Vec<String> = xml_ids
                .iter()
                .filter(|i| !api_ids.contains(i))
                .map(|s| s.to_string())
                .collect();
            let only_in_api: Vec<String> = api_ids
                .iter()
                .filter(|i| !xml_ids.contains(i))
                .map(|s| s.to_string())
                .collect();
            if !only_in_xml.is_empty() || !only_in_api.is_empty() {
                reference_mismatches.push(ReferenceMismatch {
                    component_id: c.dev_component_id.clone(),
                    only_in_xml,
                    only_in_api,
                });
            }
        }
        for c in visited.iter_mut().skip(1) {
            if let Some(t) = api_types.get(&c.dev_component_id) {
                c.dependency_type = *t;
            }
        }
    }

    let missing_connections = visited
        .iter()
        .filter(|c| c.status == MappingStatus::ConnectionMissing)
        .map(|c| MissingConnection {
            dev_component_id: c.dev_component_id.clone(),
            name: c.name.clone(),
            component_type: c.component_type.clone(),
            dev_account_id: account.to_string(),
        })
        .collect();

    let cache = IdCache::from_mappings(&req.mappings);
    let (order, forward_references) = promotion_order(&visited, &req.root_component_id, &cache);

    let root = &visited[0];
    Ok(Resolution {
        dev_account_id: account.to_string(),
        root_component_id: req.root_component_id.clone(),
        root_process_name: root.name.clone(),
        total_components: visited.len(),
        order,
        missing_connections,
        partial,
        forward_references,
        reference_mismatches,
        components: visited,
    })
}

fn error_component(
    v: &Visit,
    code: ErrorCode,
    message: String,
    is_root: bool,
) -> ResolvedComponent {
    ResolvedComponent {
        dev_component_id: v.id.clone(),
        name: String::new(),
        component_type: String::new(),
        folder_full_path: String::new(),
        dev_version: None,
        depth: v.depth,
        dependency_type: if is_root {
            DependencyType::Independent
        } else {
            DependencyType::Dependent
        },
        status: MappingStatus::Error { code, message },
        is_connection: false,
        has_env_config: false,
        references: vec![],
        xml: None,
    }
}

/// Topological promotion order over the reference edges (see the module documentation).
/// Returns the order and the forward references that need a second rewrite.
pub fn promotion_order(
    components: &[ResolvedComponent],
    root_id: &str,
    cache: &IdCache,
) -> (Vec<String>, Vec<ForwardReference>) {
    // The components to promote, by index in BFS order.
    let nodes: Vec<&ResolvedComponent> = components
        .iter()
        .filter(|c| !c.is_connection && !matches!(c.status, MappingStatus::Error { .. }))
        .collect();
    let index: HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.dev_component_id.as_str(), i))
        .collect();
    let n = nodes.len();
    // deps[i] = nodes i references; users[j] = nodes referencing j.
    let mut deps: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, c) in nodes.iter().enumerate() {
        for r in &c.references {
            if let Some(&j) = index.get(r.id.as_str()) {
                if j != i && !deps[i].contains(&j) {
                    deps[i].push(j);
                    users[j].push(i);
                }
            }
        }
    }
    let key = |i: usize| -> (u32, usize) {
        let c = nodes[i];
        let p = if c.dev_component_id == root_id {
            u32::MAX
        } else {
            type_priority(&c.component_type)
        };
        (p, i)
    };
    let mut pending: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut done = vec![false; n];
    let mut ready: BinaryHeap<std::cmp::Reverse<((u32, usize), usize)>> = BinaryHeap::new();
    for (i, _) in pending.iter().enumerate().filter(|(_, &p)| p == 0) {
        ready.push(std::cmp::Reverse((key(i), i)));
    }
    let mut order: Vec<usize> = Vec::with_capacity(n);
    while order.len() < n {
        let next = match ready.pop() {
            Some(std::cmp::Reverse((_, i))) if !done[i] => i,
            Some(_) => continue,
            None => {
                // A cycle: break it at the remaining node with the lowest key.
                match (0..n).filter(|&i| !done[i]).min_by_key(|&i| key(i)) {
                    Some(i) => i,
                    None => break,
                }
            }
        };
        done[next] = true;
        order.push(next);
        for &u in &users[next] {
            if !done[u] {
                pending[u] -= 1;
                if pending[u] == 0 {
                    ready.push(std::cmp::Reverse((key(u), u)));
                }
            }
        }
    }
    let position: BTreeMap<usize, usize> = order.iter().enumerate().map(|(p, &i)| (i, p)).collect();
    let mut forward = Vec::new();
    for &i in &order {
        for &j in &deps[i] {
            let later = position[&j] > position[&i];
            if later && cache.get(&nodes[j].dev_component_id).is_none() {
                forward.push(ForwardReference {
                    component_id: nodes[i].dev_component_id.clone(),
                    references_id: nodes[j].dev_component_id.clone(),
                });
            }
        }
    }
    (
        order
            .into_iter()
            .map(|i| nodes[i].dev_component_id.clone())
            .collect(),
        forward,
    )
}

/// An in-memory [`ComponentSource`]: component XML per (dev account, id) and, optionally, the
/// ComponentReference answers. Used by tests and offline tools.
#[derive(Debug, Clone, Default)]
pub struct MemorySource {
    components: HashMap<(String, String), String>,
    references: HashMap<(String, String), Vec<ApiReference>>,
    failures: HashMap<(String, String), SourceError>,
    reads: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl MemorySource {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a component; its id is read from the XML's `componentId`.
    pub fn add_xml(&mut self, dev_account: &str, xml: &str) -> Result<(), XmlError> {
        let info = ComponentInfo::parse(xml)?;
        let id = info.id.ok_or_else(|| XmlError::MissingAttribute {
            name: "componentId".into(),
            position: 0,
        })?;
        self.components
            .insert((dev_account.to_string(), id), xml.to_string());
        Ok(())
    }

    /// Add a component under an explicit id.
    pub fn insert(&mut self, dev_account: &str, id: &str, xml: impl Into<String>) {
        self.components
            .insert((dev_account.to_string(), id.to_string()), xml.into());
    }

    /// Set what the ComponentReference API answers for a parent.
    pub fn set_references(&mut self, dev_account: &str, parent: &str, refs: Vec<ApiReference>) {
        self.references
            .insert((dev_account.to_string(), parent.to_string()), refs);
    }

    /// Make reading one component fail.
    pub fn fail(&mut self, dev_account: &str, id: &str, err: SourceError) {
        self.failures
            .insert((dev_account.to_string(), id.to_string()), err);
    }

    /// The component ids read so far, in order (to check nothing is fetched twice).
    pub fn reads(&self) -> Vec<String> {
        self.reads.lock().map(|g| g.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl ComponentSource for MemorySource {
    async fn component_xml(
        &self,
        dev_account: &str,
        component_id: &str,
    ) -> Result<String, SourceError> {
        if let Ok(mut g) = self.reads.lock() {
            g.push(component_id.to_string());
        }
        let key = (dev_account.to_string(), component_id.to_string());
        if let Some(e) = self.failures.get(&key) {
            return Err(e.clone());
        }
        self.components
            .get(&key)
            .cloned()
            .ok_or_else(|| SourceError::NotFound {
                id: component_id.to_string(),
            })
    }

    async fn child_references(
        &self,
        dev_account: &str,
        parent_component_id: &str,
        _parent_version: u32,
    ) -> Result<Vec<ApiReference>, SourceError> {
        Ok(self
            .references
            .get(&(dev_account.to_string(), parent_component_id.to_string()))
            .cloned()
            .unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities() {
        assert!(type_priority("profile.json") < type_priority("connector-settings"));
        assert!(type_priority("connector-settings") < type_priority("connector-action"));
        assert!(type_priority("connector-action") < type_priority("transform.map"));
        assert!(type_priority("transform.map") < type_priority("script.processing"));
        assert!(type_priority("script.processing") < type_priority("process"));
        assert!(type_priority("process") < type_priority("processroute"));
        assert_eq!(type_priority("crossref"), type_priority("process"));
    }

    #[test]
    fn id_cache() {
        let mut c = IdCache::from_mappings(&[ExistingMapping {
            dev_component_id: "d".into(),
            prod_component_id: "p".into(),
            component_type: "connection".into(),
            source: MappingSource::Admin,
        }]);
        assert_eq!(c.get("d"), Some("p"));
        c.insert("e", "q");
        assert_eq!(c.len(), 2);
    }
}
