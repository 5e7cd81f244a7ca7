//! The emulator's state and Boomi's behaviour over it, free of HTTP: accounts, components
//! with revisions per branch, branches, merge requests, packaged components, publisher packs,
//! releases, deployments, environments, extensions and map extensions. Every operation
//! takes and returns canonical JSON (or component XML) and fails with an [`ApiErr`] that the
//! server turns into Boomi's error body.

use super::compxml::{self, esc};
use super::faults::{take_event_fault, ActiveFault};
use super::seed::{Seed, SeedAccount, SeedUser};
use super::{SimConfig, SimError};
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// An API failure: the HTTP status and Boomi's message.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiErr {
    pub status: u16,
    pub message: String,
}

impl ApiErr {
    pub fn new(status: u16, message: impl Into<String>) -> ApiErr {
        ApiErr {
            status,
            message: message.into(),
        }
    }
    pub fn bad(message: impl Into<String>) -> ApiErr {
        ApiErr::new(400, message)
    }
}

pub type ApiResult<T> = Result<T, ApiErr>;

/// Per-call context: configuration, the calling user, the clock, the event faults.
pub struct Ctx<'a> {
    pub cfg: &'a SimConfig,
    pub user: String,
    pub faults: &'a mut Vec<ActiveFault>,
}

impl Ctx<'_> {
    fn unknown(&self, message: impl Into<String>) -> ApiErr {
        ApiErr::new(self.cfg.unknown_id_status, message)
    }
}

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn now_ms_text() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn b64id(prefix: &str, n: u64) -> String {
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(format!("{prefix}:{n}"))
}

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The whole emulated platform.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimState {
    pub primary: String,
    pub accounts: BTreeMap<String, AccountState>,
    /// Pinned credentials; always taken from the seed, never written to the state file.
    #[serde(skip)]
    pub users: Vec<SeedUser>,
    pub next_branch: u64,
    pub next_merge_request: u64,
    pub next_folder: u64,
}

/// One account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountState {
    pub id: String,
    pub name: String,
    pub status: String,
    pub parent: Option<String>,
    pub date_created: String,
    pub main_branch: String,
    /// folderId → folderFullPath
    pub folders: BTreeMap<String, String>,
    pub components: BTreeMap<String, ComponentRec>,
    pub branches: BTreeMap<String, BranchRec>,
    pub merge_requests: BTreeMap<String, MergeRec>,
    pub packages: BTreeMap<String, PackageRec>,
    pub packs: BTreeMap<String, PackRec>,
    pub releases: BTreeMap<String, ReleaseRec>,
    pub deployments: BTreeMap<String, DeploymentRec>,
    pub environments: BTreeMap<String, EnvironmentRec>,
    /// environmentId → extensions (canonical JSON, secret values removed)
    pub extensions: BTreeMap<String, Value>,
    /// secret key → hash of the secret value set through extensions
    pub extension_secrets: BTreeMap<String, String>,
    pub map_extensions: BTreeMap<String, MapExtRec>,
}

/// A component and all its revisions (one version sequence across branches).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentRec {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub sub_type: Option<String>,
    pub created_date: String,
    pub created_by: String,
    pub revisions: Vec<Revision>,
}

/// One saved revision.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Revision {
    pub version: u32,
    pub branch_id: String,
    pub name: String,
    pub folder_id: String,
    pub description: Option<String>,
    pub object: String,
    pub process_overrides: Option<String>,
    /// field id → stored one-way hash
    pub secrets: BTreeMap<String, String>,
    pub secret_fields: BTreeSet<String>,
    pub deleted: bool,
    pub modified_date: String,
    pub modified_by: String,
}

impl Revision {
    fn same_content(&self, other: &Revision) -> bool {
        self.name == other.name
            && self.folder_id == other.folder_id
            && self.description == other.description
            && self.object == other.object
            && self.process_overrides == other.process_overrides
            && self.secrets == other.secrets
            && self.deleted == other.deleted
    }
}

impl ComponentRec {
    fn rev(&self, version: u32) -> Option<&Revision> {
        self.revisions.iter().find(|r| r.version == version)
    }
    fn own_head(&self, branch: &str) -> Option<&Revision> {
        self.revisions
            .iter()
            .filter(|r| r.branch_id == branch)
            .max_by_key(|r| r.version)
    }
    fn next_version(&self) -> u32 {
        self.revisions.iter().map(|r| r.version).max().unwrap_or(0) + 1
    }
}

/// A branch; `base` holds the component versions it inherited from its parent.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BranchRec {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub parent_id: Option<String>,
    pub package_id: Option<String>,
    pub created_by: String,
    pub created_date: String,
    pub modified_by: String,
    pub modified_date: String,
    pub created_ms: i64,
    pub stage: String,
    pub reads: u32,
    pub deleted: bool,
    pub base: BTreeMap<String, u32>,
}

/// A merge request.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MergeRec {
    pub id: String,
    pub source_branch_id: String,
    pub destination_branch_id: String,
    pub strategy: String,
    pub priority_branch: String,
    pub stage: String,
    pub previous_stage: String,
    pub note: Option<String>,
    pub polls: u32,
    pub created_by: String,
    pub created_date: String,
    pub modified_by: String,
    pub modified_date: String,
    pub details: Vec<MergeDetail>,
}

/// One component of a merge request.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MergeDetail {
    pub component_guid: String,
    pub source_revision: u32,
    pub destination_revision: Option<u32>,
    pub merge_revision: Option<u32>,
    pub change_type: String,
    pub conflict: bool,
    pub resolution: String,
    pub excluded: bool,
    pub stage: String,
}

/// A packaged component.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageRec {
    pub package_id: String,
    pub package_version: String,
    pub component_id: String,
    pub component_version: u32,
    pub component_type: String,
    pub notes: String,
    pub shareable: bool,
    pub branch_name: String,
    pub created_date: String,
    pub created_by: String,
    pub deleted: bool,
    pub seq: u64,
}

/// A publisher integration pack.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackRec {
    pub id: String,
    pub name: String,
    pub installation_type: String,
    pub description: String,
    pub components: BTreeMap<String, PackComponent>,
}

/// A component of a pack.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackComponent {
    pub current_version: Option<String>,
    pub pending_version: Option<String>,
    pub deleted: bool,
}

/// A release request.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseRec {
    pub request_id: String,
    pub pack_id: String,
    pub release_schedule: String,
    pub release_on_date: Option<String>,
    /// (componentId, package version)
    pub components: Vec<(String, String)>,
    pub polls: u32,
    pub status: String,
    pub created_date: String,
}

/// A deployment.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentRec {
    pub deployment_id: String,
    pub version: u32,
    pub package_id: String,
    pub package_version: String,
    pub environment_id: String,
    pub component_id: String,
    pub component_version: u32,
    pub component_type: String,
    pub deployed_date: String,
    pub deployed_by: String,
    pub notes: String,
    pub active: bool,
    pub branch_name: String,
    pub listener_status: String,
}

/// An environment.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentRec {
    pub id: String,
    pub name: String,
    pub classification: String,
}

/// An extensible map in an environment.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MapExtRec {
    pub id: String,
    pub map_id: String,
    pub process_id: String,
    pub environment_id: String,
    pub name: String,
    pub source_connection_id: Option<String>,
    pub destination_connection_id: Option<String>,
    pub map: Value,
}

/// A component type from the root element of its object.
fn type_from_root(root: &str) -> Option<&'static str> {
    Some(match root {
        "process" => "process",
        "Operation" => "connector-action",
        "GenericConnectorConfig"
        | "HttpSettings"
        | "DatabaseSettings"
        | "SFTPSettings"
        | "ConnectorSettings" => "connector-settings",
        "map" | "Map" => "transform.map",
        "JSONProfile" => "profile.json",
        "XMLProfile" => "profile.xml",
        "DatabaseProfile" => "profile.db",
        "FlatFileProfile" => "profile.flatfile",
        "EDIProfile" => "profile.edi",
        "CrossRefTable" => "crossref",
        "ProcessingScript" => "script.processing",
        "scripting" => "script.mapping",
        "processRoute" => "processroute",
        "CertificateModel" => "certificate",
        _ => return None,
    })
}

const PACKAGEABLE: &[&str] = &[
    "certificate",
    "customlibrary",
    "flowservice",
    "process",
    "processroute",
    "tpgroup",
    "webservice",
];

/// Extension sections and their item list keys.
const EXT_SECTIONS: &[(&str, &str)] = &[
    ("connections", "connection"),
    ("operations", "operation"),
    ("tradingPartners", "tradingPartner"),
    ("sharedCommunications", "sharedCommunication"),
    ("crossReferences", "crossReference"),
    ("properties", "property"),
    ("PGPCertificates", "PGPCertificate"),
    ("processProperties", "ProcessProperty"),
];

/// A list that may come as an array, a single object, or be absent.
fn list(v: Option<&Value>) -> Vec<Value> {
    match v {
        Some(Value::Array(a)) => a.clone(),
        Some(Value::Null) | None => Vec::new(),
        Some(one) => vec![one.clone()],
    }
}

fn s(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(x) => Some(x.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn b(v: &Value, key: &str) -> Option<bool> {
    match v.get(key)? {
        Value::Bool(x) => Some(*x),
        Value::String(x) => match x.to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn u(v: &Value, key: &str) -> Option<u32> {
    match v.get(key)? {
        Value::Number(n) => n.as_u64().map(|x| x as u32),
        Value::String(x) => x.trim().parse::<f64>().ok().map(|f| f as u32),
        _ => None,
    }
}

impl AccountState {
    fn new(seed: &SeedAccount, parent: Option<String>, main_branch: String) -> AccountState {
        let t = now_ms_text();
        let mut branches = BTreeMap::new();
        branches.insert(
            main_branch.clone(),
            BranchRec {
                id: main_branch.clone(),
                name: "main".into(),
                description: None,
                parent_id: None,
                package_id: None,
                created_by: "system".into(),
                created_date: t.clone(),
                modified_by: "system".into(),
                modified_date: t.clone(),
                created_ms: 0,
                stage: "NORMAL".into(),
                reads: 0,
                deleted: false,
                base: BTreeMap::new(),
            },
        );
        AccountState {
            id: seed.id.clone(),
            name: seed.name.clone(),
            status: seed.status.clone(),
            parent,
            date_created: now(),
            main_branch,
            folders: BTreeMap::new(),
            components: BTreeMap::new(),
            branches,
            merge_requests: BTreeMap::new(),
            packages: BTreeMap::new(),
            packs: BTreeMap::new(),
            releases: BTreeMap::new(),
            deployments: BTreeMap::new(),
            environments: BTreeMap::new(),
            extensions: BTreeMap::new(),
            extension_secrets: BTreeMap::new(),
            map_extensions: BTreeMap::new(),
        }
    }

    fn live_branch(&self, id: &str) -> Option<&BranchRec> {
        self.branches.get(id).filter(|b| !b.deleted)
    }

    fn branch_by_name(&self, name: &str) -> Option<&BranchRec> {
        self.branches
            .values()
            .find(|b| !b.deleted && b.name == name)
    }

    /// The revision of `comp` visible on `branch` (own revisions first, then inherited).
    fn head<'a>(&'a self, comp: &'a ComponentRec, branch: &str) -> Option<&'a Revision> {
        if let Some(r) = comp.own_head(branch) {
            return Some(r);
        }
        let b = self.branches.get(branch)?;
        let v = b.base.get(&comp.id)?;
        comp.rev(*v)
    }

    /// Every revision visible in the history of `branch`.
    fn history<'a>(&'a self, comp: &'a ComponentRec, branch: &str) -> Vec<&'a Revision> {
        let mut out: Vec<&Revision> = comp
            .revisions
            .iter()
            .filter(|r| r.branch_id == branch)
            .collect();
        if let Some(b) = self.branches.get(branch) {
            if let (Some(parent), Some(base)) = (&b.parent_id, b.base.get(&comp.id)) {
                out.extend(
                    self.history(comp, parent)
                        .into_iter()
                        .filter(|r| r.version <= *base),
                );
            }
        }
        out.sort_by_key(|r| r.version);
        out.dedup_by_key(|r| r.version);
        out
    }

    fn folder_id_for_path(&mut self, path: &str, counter: &mut u64) -> String {
        let path = path.trim().trim_matches('/').to_string();
        if let Some((id, _)) = self.folders.iter().find(|(_, p)| **p == path) {
            return id.clone();
        }
        *counter += 1;
        let id = b64id("F", *counter);
        self.folders.insert(id.clone(), path);
        id
    }

    fn folder_path(&self, id: &str) -> String {
        self.folders.get(id).cloned().unwrap_or_default()
    }

    fn refresh_branch(&mut self, id: &str, cfg: &SimConfig) {
        if let Some(b) = self.branches.get_mut(id) {
            if b.stage == "CREATING"
                && b.reads >= cfg.branch_ready_after_reads
                && now_ms() - b.created_ms >= cfg.branch_ready_after.as_millis() as i64
            {
                b.stage = "NORMAL".into();
            }
        }
    }

    fn writable_branch(&mut self, id: &str, ctx: &Ctx<'_>) -> ApiResult<()> {
        self.refresh_branch(id, ctx.cfg);
        let b = self
            .live_branch(id)
            .ok_or_else(|| ctx.unknown(format!("Branch {id} does not exist.")))?;
        if b.stage != "NORMAL" {
            return Err(ApiErr::bad(format!(
                "Branch {} ({}) is not ready: its stage is {}.",
                b.name, b.id, b.stage
            )));
        }
        Ok(())
    }

    /// Component ids in `object` that are components of this account (not `own`).
    fn references_in(&self, object: &str, own: &str) -> Vec<String> {
        compxml::referenced_ids(object)
            .into_iter()
            .filter(|id| id != own && self.components.contains_key(id))
            .collect()
    }
}

impl SimState {
    /// Build the state from a seed.
    pub fn from_seed(seed: &Seed) -> Result<SimState, SimError> {
        let mut st = SimState {
            primary: seed.primary_account.id.clone(),
            accounts: BTreeMap::new(),
            users: seed.users.clone(),
            next_branch: 0,
            next_merge_request: 0,
            next_folder: 0,
        };
        let all = std::iter::once((&seed.primary_account, None)).chain(
            seed.accounts
                .iter()
                .map(|a| (a, Some(seed.primary_account.id.clone()))),
        );
        for (sa, parent) in all {
            if st.accounts.contains_key(&sa.id) {
                return Err(seed_err(format!("account {} is listed twice", sa.id)));
            }
            st.next_branch += 1;
            let main = b64id("B", st.next_branch);
            let mut acct = AccountState::new(sa, parent, main);
            st.seed_account(&mut acct, sa)?;
            st.accounts.insert(sa.id.clone(), acct);
        }
        Ok(st)
    }

    fn seed_account(&mut self, acct: &mut AccountState, sa: &SeedAccount) -> Result<(), SimError> {
        let main = acct.main_branch.clone();
        for c in &sa.components {
            let parsed = match &c.xml {
                Some(x) => compxml::parse_component(x)
                    .map_err(|e| seed_err(format!("account {}: {e}", sa.id)))?,
                None => compxml::ParsedComponent::default(),
            };
            let id =
                c.id.clone()
                    .or_else(|| parsed.attr("componentId").map(str::to_string))
                    .ok_or_else(|| seed_err(format!("account {}: a component has no id", sa.id)))?;
            let name = c
                .name
                .clone()
                .or_else(|| parsed.attr("name").map(str::to_string))
                .ok_or_else(|| seed_err(format!("component {id} has no name")))?;
            let object = c.object.clone().unwrap_or_else(|| parsed.object.clone());
            let kind = c
                .kind
                .clone()
                .or_else(|| parsed.attr("type").map(str::to_string))
                .or_else(|| {
                    compxml::object_root(&object)
                        .and_then(|r| type_from_root(&r).map(str::to_string))
                })
                .ok_or_else(|| seed_err(format!("component {id} has no type")))?;
            let folder_path = c
                .folder
                .clone()
                .or_else(|| parsed.attr("folderFullPath").map(str::to_string))
                .unwrap_or_else(|| sa.name.clone());
            let folder_id = acct.folder_id_for_path(&folder_path, &mut self.next_folder);
            let extra = compxml::encrypted_field_ids(&parsed.encrypted_paths);
            let prot = compxml::protect_secrets(&id, &object, &extra, &BTreeMap::new())
                .map_err(|e| seed_err(format!("component {id}: {e}")))?;
            let created = c
                .created_date
                .clone()
                .or_else(|| parsed.attr("createdDate").map(str::to_string))
                .unwrap_or_else(now);
            let by = c
                .created_by
                .clone()
                .or_else(|| parsed.attr("createdBy").map(str::to_string))
                .unwrap_or_else(|| "seed@example.com".into());
            if acct.components.contains_key(&id) {
                return Err(seed_err(format!("component {id} is listed twice")));
            }
            let current = c.version.unwrap_or(1).max(1);
            let modified = c
                .modified_date
                .clone()
                .or_else(|| parsed.attr("modifiedDate").map(str::to_string))
                .unwrap_or_else(|| created.clone());
            let first = Revision {
                version: 1,
                branch_id: main.clone(),
                name,
                folder_id,
                description: c
                    .description
                    .as_deref()
                    .map(esc)
                    .or(parsed.description.clone()),
                object: prot.object,
                process_overrides: parsed.process_overrides.clone(),
                secrets: prot.secrets,
                secret_fields: prot.secret_fields,
                deleted: false,
                modified_date: created.clone(),
                modified_by: by.clone(),
            };
            // The seed gives the current content; earlier revisions carry the same content.
            let revisions = (1..=current)
                .map(|v| Revision {
                    version: v,
                    modified_date: if v == current {
                        modified.clone()
                    } else {
                        created.clone()
                    },
                    ..first.clone()
                })
                .collect();
            acct.components.insert(
                id.clone(),
                ComponentRec {
                    id: id.clone(),
                    kind,
                    sub_type: c
                        .sub_type
                        .clone()
                        .or_else(|| parsed.attr("subType").map(str::to_string)),
                    created_date: created,
                    created_by: by,
                    revisions,
                },
            );
        }
        for sb in &sa.branches {
            self.next_branch += 1;
            let id = b64id("B", self.next_branch);
            let base = acct
                .components
                .values()
                .filter_map(|c| acct.head(c, &main).map(|r| (c.id.clone(), r.version)))
                .collect();
            let t = now_ms_text();
            acct.branches.insert(
                id.clone(),
                BranchRec {
                    id,
                    name: sb.name.clone(),
                    description: sb.description.clone(),
                    parent_id: Some(main.clone()),
                    package_id: None,
                    created_by: "seed@example.com".into(),
                    created_date: t.clone(),
                    modified_by: "seed@example.com".into(),
                    modified_date: t,
                    created_ms: 0,
                    stage: "NORMAL".into(),
                    reads: 0,
                    deleted: false,
                    base,
                },
            );
        }
        for (i, p) in sa.packages.iter().enumerate() {
            let comp = acct.components.get(&p.component_id).ok_or_else(|| {
                seed_err(format!("package of unknown component {}", p.component_id))
            })?;
            let version = p
                .component_version
                .unwrap_or_else(|| acct.head(comp, &main).map(|r| r.version).unwrap_or(1));
            let id = p.package_id.clone().unwrap_or_else(uuid);
            acct.packages.insert(
                id.clone(),
                PackageRec {
                    package_id: id,
                    package_version: p.package_version.clone(),
                    component_id: p.component_id.clone(),
                    component_version: version,
                    component_type: comp.kind.clone(),
                    notes: p.notes.clone().unwrap_or_default(),
                    shareable: p.shareable,
                    branch_name: "main".into(),
                    created_date: p.created_date.clone().unwrap_or_else(now),
                    created_by: p
                        .created_by
                        .clone()
                        .unwrap_or_else(|| "seed@example.com".into()),
                    deleted: false,
                    seq: i as u64,
                },
            );
        }
        for e in &sa.environments {
            if e.classification != "TEST" && e.classification != "PROD" {
                return Err(seed_err(format!(
                    "environment {}: classification must be TEST or PROD",
                    e.id
                )));
            }
            acct.environments.insert(
                e.id.clone(),
                EnvironmentRec {
                    id: e.id.clone(),
                    name: e.name.clone(),
                    classification: e.classification.clone(),
                },
            );
            let mut ext = empty_extensions(&e.id);
            if let Some(seeded) = &e.extensions {
                seed_extensions(acct, &e.id, &mut ext, seeded);
            }
            acct.extensions.insert(e.id.clone(), ext);
            for m in &e.map_extensions {
                let id = base64::engine::general_purpose::STANDARD_NO_PAD.encode(format!(
                    "{{\"environmentId\":\"{}\",\"mapId\":\"{}\",\"processId\":\"{}\"}}",
                    e.id, m.map_id, m.process_id
                ));
                acct.map_extensions.insert(
                    id.clone(),
                    MapExtRec {
                        id,
                        map_id: m.map_id.clone(),
                        process_id: m.process_id.clone(),
                        environment_id: e.id.clone(),
                        name: m.name.clone(),
                        source_connection_id: m.source_connection_id.clone(),
                        destination_connection_id: m.destination_connection_id.clone(),
                        map: complete_map(m.map.clone().unwrap_or(Value::Null)),
                    },
                );
            }
        }
        for p in &sa.packs {
            let mut components = BTreeMap::new();
            for c in &p.components {
                components.insert(
                    c.component_id.clone(),
                    PackComponent {
                        current_version: Some(c.version.clone()),
                        pending_version: None,
                        deleted: false,
                    },
                );
            }
            acct.packs.insert(
                p.id.clone(),
                PackRec {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    installation_type: p.installation_type.clone(),
                    description: p.description.clone(),
                    components,
                },
            );
        }
        for d in &sa.deployments {
            let pkg = acct
                .packages
                .get(&d.package_id)
                .ok_or_else(|| seed_err(format!("deployment of unknown package {}", d.package_id)))?
                .clone();
            if !acct.environments.contains_key(&d.environment_id) {
                return Err(seed_err(format!(
                    "deployment to unknown environment {}",
                    d.environment_id
                )));
            }
            let version = next_deployment(acct, &pkg.component_id, &d.environment_id);
            let id = d.deployment_id.clone().unwrap_or_else(uuid);
            acct.deployments.insert(
                id.clone(),
                DeploymentRec {
                    deployment_id: id,
                    version,
                    package_id: pkg.package_id.clone(),
                    package_version: pkg.package_version.clone(),
                    environment_id: d.environment_id.clone(),
                    component_id: pkg.component_id.clone(),
                    component_version: pkg.component_version,
                    component_type: pkg.component_type.clone(),
                    deployed_date: d.deployed_date.clone().unwrap_or_else(now),
                    deployed_by: d
                        .deployed_by
                        .clone()
                        .unwrap_or_else(|| "seed@example.com".into()),
                    notes: d.notes.clone().unwrap_or_default(),
                    active: true,
                    branch_name: "main".into(),
                    listener_status: "RUNNING".into(),
                },
            );
        }
        Ok(())
    }

    /// The account a call runs in: the path account, or `overrideAccount` when it is a
    /// sub-account of it.
    pub fn effective_account(&self, path_account: &str, over: Option<&str>) -> ApiResult<String> {
        let Some(acct) = self.accounts.get(path_account) else {
            return Err(ApiErr::new(
                403,
                format!("Access to account {path_account} is not authorized."),
            ));
        };
        match over {
            None => Ok(acct.id.clone()),
            Some(o) if o == acct.id => Ok(o.to_string()),
            Some(o) => match self.accounts.get(o) {
                Some(child) if child.parent.as_deref() == Some(path_account) => Ok(o.to_string()),
                _ => Err(ApiErr::new(
                    403,
                    format!(
                        "The override account {o} is not a sub-account of {path_account}; access is not authorized."
                    ),
                )),
            },
        }
    }

    pub fn acct(&self, id: &str) -> &AccountState {
        &self.accounts[id]
    }

    fn acct_mut(&mut self, id: &str) -> &mut AccountState {
        self.accounts.get_mut(id).expect("effective account exists")
    }

    // ---------------------------------------------------------------- accounts

    pub fn account_json(&self, id: &str) -> Value {
        let a = self.acct(id);
        json!({"@type": "Account", "accountId": a.id, "name": a.name, "status": a.status,
               "dateCreated": a.date_created, "supportAccess": false, "widgetAccount": false,
               "overDeployed": false, "suggestionsEnabled": false, "supportLevel": "standard"})
    }

    pub fn get_account(&self, caller: &str, id: &str, ctx: &Ctx<'_>) -> ApiResult<Value> {
        match self.accounts.get(id) {
            Some(a) if a.id == caller || a.parent.as_deref() == Some(caller) => {
                Ok(self.account_json(id))
            }
            _ => Err(ctx.unknown(format!("Account {id} was not found."))),
        }
    }

    pub fn account_rows(&self, caller: &str) -> Vec<Value> {
        self.accounts
            .values()
            .filter(|a| a.parent.as_deref() == Some(caller))
            .map(|a| self.account_json(&a.id))
            .collect()
    }

    // ---------------------------------------------------------------- components

    fn render(
        &self,
        acct: &AccountState,
        comp: &ComponentRec,
        rev: &Revision,
        branch: &str,
    ) -> String {
        let branch_name = acct
            .branches
            .get(branch)
            .map(|b| b.name.clone())
            .unwrap_or_default();
        let current = acct
            .head(comp, branch)
            .is_some_and(|h| h.version == rev.version);
        let path = acct.folder_path(&rev.folder_id);
        let folder_name = path.rsplit('/').next().unwrap_or("").to_string();
        let mut x = String::with_capacity(rev.object.len() + 1024);
        x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>");
        x.push_str("<bns:Component xmlns:bns=\"http://api.platform.boomi.com/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"");
        let mut attr = |k: &str, v: &str| {
            x.push_str(&format!(" {k}=\"{}\"", esc(v)));
        };
        attr("componentId", &comp.id);
        attr("version", &rev.version.to_string());
        attr("name", &rev.name);
        attr("type", &comp.kind);
        if let Some(st) = &comp.sub_type {
            attr("subType", st);
        }
        attr("createdDate", &comp.created_date);
        attr("createdBy", &comp.created_by);
        attr("modifiedDate", &rev.modified_date);
        attr("modifiedBy", &rev.modified_by);
        attr("deleted", if rev.deleted { "true" } else { "false" });
        attr("currentVersion", if current { "true" } else { "false" });
        attr("folderName", &folder_name);
        attr("folderFullPath", &path);
        attr("folderId", &rev.folder_id);
        attr("branchId", branch);
        attr("branchName", &branch_name);
        x.push('>');
        let root = compxml::object_root(&rev.object).unwrap_or_default();
        if rev.secret_fields.is_empty() {
            x.push_str("<bns:encryptedValues/>");
        } else {
            x.push_str("<bns:encryptedValues>");
            for f in &rev.secret_fields {
                let path = match f.strip_prefix('@').and_then(|k| k.split_once('/')) {
                    Some((elem, attr)) => format!("//{elem}/@{attr}"),
                    None => format!("//{root}/field[@id='{f}']/@value"),
                };
                x.push_str(&format!(
                    "<bns:encryptedValue path=\"{}\" isSet=\"{}\"/>",
                    esc(&path),
                    rev.secrets.contains_key(f)
                ));
            }
            x.push_str("</bns:encryptedValues>");
        }
        match &rev.description {
            Some(d) if !d.is_empty() => {
                x.push_str("<bns:description>");
                x.push_str(d);
                x.push_str("</bns:description>");
            }
            _ => x.push_str("<bns:description/>"),
        }
        x.push_str("<bns:object>");
        x.push_str(&rev.object);
        x.push_str("</bns:object>");
        if let Some(po) = &rev.process_overrides {
            x.push_str("<bns:processOverrides>");
            x.push_str(po);
            x.push_str("</bns:processOverrides>");
        } else if comp.kind == "process" {
            x.push_str("<bns:processOverrides/>");
        }
        x.push_str("</bns:Component>");
        x
    }

    /// Split `id~x` into the id and either a revision number or a branch id.
    fn resolve<'a>(
        &'a self,
        acct: &'a AccountState,
        spec: &str,
        ctx: &Ctx<'_>,
    ) -> ApiResult<(&'a ComponentRec, &'a Revision, String)> {
        let (id, tilde) = match spec.split_once('~') {
            Some((i, t)) => (i, Some(t)),
            None => (spec, None),
        };
        let comp = acct
            .components
            .get(id)
            .ok_or_else(|| ctx.unknown(format!("Component {id} does not exist.")))?;
        match tilde {
            Some(t) if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) => {
                let v: u32 = t.parse().map_err(|_| ApiErr::bad("bad version"))?;
                let rev = comp
                    .rev(v)
                    .ok_or_else(|| ctx.unknown(format!("Component {id} has no version {v}.")))?;
                Ok((comp, rev, rev.branch_id.clone()))
            }
            Some(branch) => {
                acct.live_branch(branch)
                    .ok_or_else(|| ctx.unknown(format!("Branch {branch} does not exist.")))?;
                let rev = acct.head(comp, branch).ok_or_else(|| {
                    ctx.unknown(format!("Component {id} does not exist on branch {branch}."))
                })?;
                Ok((comp, rev, branch.to_string()))
            }
            None => {
                let main = acct.main_branch.clone();
                let rev = acct
                    .head(comp, &main)
                    .ok_or_else(|| ctx.unknown(format!("Component {id} does not exist.")))?;
                Ok((comp, rev, main))
            }
        }
    }

    pub fn get_component(&self, acct_id: &str, spec: &str, ctx: &Ctx<'_>) -> ApiResult<String> {
        let acct = self.acct(acct_id);
        let (comp, rev, branch) = self.resolve(acct, spec, ctx)?;
        Ok(self.render(acct, comp, rev, &branch))
    }

    /// Create (`path_id` None) or update a component from a `bns:Component` document.
    pub fn save_component(
        &mut self,
        acct_id: &str,
        path_id: Option<&str>,
        path_branch: Option<&str>,
        xml: &str,
        ctx: &Ctx<'_>,
    ) -> ApiResult<String> {
        let parsed = compxml::parse_component(xml).map_err(ApiErr::bad)?;
        let mut counter = self.next_folder;
        let acct = self.accounts.get_mut(acct_id).expect("account");
        let branch = match (path_branch, parsed.attr("branchId")) {
            (Some(p), Some(a)) if p != a => {
                return Err(ApiErr::bad(format!(
                    "The branch in the URL ({p}) and the branchId attribute ({a}) differ."
                )))
            }
            (Some(p), _) => p.to_string(),
            (None, Some(a)) => a.to_string(),
            (None, None) => acct.main_branch.clone(),
        };
        acct.writable_branch(&branch, ctx)?;
        if parsed.object.trim().is_empty() {
            return Err(ApiErr::bad(
                "The component has no <bns:object> configuration.",
            ));
        }
        let name = parsed
            .attr("name")
            .ok_or_else(|| ApiErr::bad("The component name is required."))?
            .to_string();
        let prev: Option<Revision> = match path_id {
            Some(id) => {
                if let Some(body_id) = parsed.attr("componentId") {
                    if body_id != id {
                        return Err(ApiErr::bad(format!(
                            "The componentId in the body ({body_id}) does not match the URL ({id})."
                        )));
                    }
                }
                let comp = acct
                    .components
                    .get(id)
                    .ok_or_else(|| ctx.unknown(format!("Component {id} does not exist.")))?;
                if let Some(t) = parsed.attr("type") {
                    if t != comp.kind {
                        return Err(ApiErr::bad(format!(
                            "The component type cannot change from {} to {t}.",
                            comp.kind
                        )));
                    }
                }
                acct.head(comp, &branch).cloned()
            }
            None => None,
        };
        let kind = match path_id {
            Some(id) => acct.components[id].kind.clone(),
            None => match parsed.attr("type") {
                Some(t) => t.to_string(),
                None => compxml::object_root(&parsed.object)
                    .and_then(|r| type_from_root(&r))
                    .ok_or_else(|| ApiErr::bad("The component type is required."))?
                    .to_string(),
            },
        };
        let id = path_id.map(str::to_string).unwrap_or_else(uuid);
        let known_folder = parsed
            .attr("folderId")
            .filter(|f| acct.folders.contains_key(*f));
        let folder_id = if let Some(f) = known_folder {
            f.to_string()
        } else if let (Some(f), None) = (parsed.attr("folderId"), parsed.attr("folderFullPath")) {
            return Err(ApiErr::bad(format!("Folder {f} does not exist.")));
        } else if let Some(p) = parsed.attr("folderFullPath") {
            acct.folder_id_for_path(p, &mut counter)
        } else if let Some(p) = &prev {
            p.folder_id.clone()
        } else {
            let root = acct.name.clone();
            acct.folder_id_for_path(&root, &mut counter)
        };
        let mut extra = compxml::encrypted_field_ids(&parsed.encrypted_paths);
        let stored = prev.as_ref().map(|p| p.secrets.clone()).unwrap_or_default();
        if let Some(p) = &prev {
            extra.extend(p.secret_fields.iter().cloned());
        }
        let prot =
            compxml::protect_secrets(&id, &parsed.object, &extra, &stored).map_err(ApiErr::bad)?;
        let t = now();
        let mut rev = Revision {
            version: 0,
            branch_id: branch.clone(),
            name,
            folder_id,
            description: parsed.description.clone().filter(|d| !d.is_empty()),
            object: prot.object,
            process_overrides: parsed
                .process_overrides
                .clone()
                .filter(|p| !p.trim().is_empty()),
            secrets: prot.secrets,
            secret_fields: prot.secret_fields,
            deleted: false,
            modified_date: t.clone(),
            modified_by: ctx.user.clone(),
        };
        if let Some(p) = &prev {
            if p.same_content(&rev) {
                return Err(ApiErr::bad(format!(
                    "No changes were detected for component {id}; the component was not updated."
                )));
            }
        }
        let comp = acct
            .components
            .entry(id.clone())
            .or_insert_with(|| ComponentRec {
                id: id.clone(),
                kind,
                sub_type: parsed.attr("subType").map(str::to_string),
                created_date: t.clone(),
                created_by: ctx.user.clone(),
                revisions: Vec::new(),
            });
        rev.version = comp.next_version();
        comp.revisions.push(rev.clone());
        self.next_folder = counter;
        let acct = self.acct(acct_id);
        Ok(self.render(acct, &acct.components[&id], &rev, &branch))
    }

    fn metadata_json(
        &self,
        acct: &AccountState,
        comp: &ComponentRec,
        rev: &Revision,
        branch: &str,
    ) -> Value {
        let current = acct
            .head(comp, branch)
            .is_some_and(|h| h.version == rev.version);
        let path = acct.folder_path(&rev.folder_id);
        let mut v = json!({"@type": "ComponentMetadata", "componentId": comp.id,
            "version": rev.version, "name": rev.name, "type": comp.kind,
            "createdDate": comp.created_date, "createdBy": comp.created_by,
            "modifiedDate": rev.modified_date, "modifiedBy": rev.modified_by,
            "deleted": rev.deleted, "currentVersion": current,
            "folderName": path.rsplit('/').next().unwrap_or(""), "folderId": rev.folder_id,
            "branchId": branch,
            "branchName": acct.branches.get(branch).map(|b| b.name.clone()).unwrap_or_default()});
        if let Some(st) = &comp.sub_type {
            v["subType"] = json!(st);
        }
        v
    }

    pub fn get_metadata(&self, acct_id: &str, spec: &str, ctx: &Ctx<'_>) -> ApiResult<Value> {
        let acct = self.acct(acct_id);
        let (comp, rev, branch) = self.resolve(acct, spec, ctx)?;
        Ok(self.metadata_json(acct, comp, rev, &branch))
    }

    /// Rows for a ComponentMetadata query: every revision on main, or on every branch when
    /// the filter names a branch.
    pub fn metadata_rows(&self, acct_id: &str, all_branches: bool) -> Vec<Value> {
        let acct = self.acct(acct_id);
        let branches: Vec<String> = if all_branches {
            acct.branches
                .values()
                .filter(|b| !b.deleted)
                .map(|b| b.id.clone())
                .collect()
        } else {
            vec![acct.main_branch.clone()]
        };
        let mut rows = Vec::new();
        for comp in acct.components.values() {
            for br in &branches {
                for rev in acct.history(comp, br) {
                    rows.push(self.metadata_json(acct, comp, rev, br));
                }
            }
        }
        rows
    }

    /// `DELETE ComponentMetadata/{id}[~branch]`: a new, deleted revision.
    pub fn delete_component(&mut self, acct_id: &str, spec: &str, ctx: &Ctx<'_>) -> ApiResult<()> {
        let (id, branch) = {
            let acct = self.acct(acct_id);
            let (comp, rev, branch) = self.resolve(acct, spec, ctx)?;
            if rev.deleted {
                return Ok(());
            }
            (comp.id.clone(), branch)
        };
        let acct = self.acct_mut(acct_id);
        acct.writable_branch(&branch, ctx)?;
        let head = acct
            .head(&acct.components[&id], &branch)
            .cloned()
            .expect("resolved");
        let comp = acct.components.get_mut(&id).expect("exists");
        let mut rev = head;
        rev.version = comp.next_version();
        rev.branch_id = branch;
        rev.deleted = true;
        rev.modified_date = now();
        rev.modified_by = ctx.user.clone();
        comp.revisions.push(rev);
        Ok(())
    }

    /// Reference edges (parent revision → child) visible on `branch`, as JSON rows.
    pub fn reference_rows(
        &self,
        acct_id: &str,
        parent: Option<&str>,
        parent_version: Option<u32>,
        child: Option<&str>,
        branch: Option<&str>,
        ctx: &Ctx<'_>,
    ) -> ApiResult<Vec<Value>> {
        let acct = self.acct(acct_id);
        let branch = branch
            .map(str::to_string)
            .unwrap_or_else(|| acct.main_branch.clone());
        acct.live_branch(&branch)
            .ok_or_else(|| ctx.unknown(format!("Branch {branch} does not exist.")))?;
        let edge = |p: &ComponentRec, rev: &Revision, c: &str| {
            json!({"@type": "references", "parentComponentId": p.id, "parentVersion": rev.version,
                   "componentId": c, "type": "DEPENDENT", "branchId": branch})
        };
        let mut rows = Vec::new();
        if let Some(pid) = parent {
            let p = acct
                .components
                .get(pid)
                .ok_or_else(|| ctx.unknown(format!("Component {pid} does not exist.")))?;
            let rev = match parent_version {
                Some(v) => p
                    .rev(v)
                    .ok_or_else(|| ctx.unknown(format!("Component {pid} has no version {v}.")))?,
                None => acct
                    .head(p, &branch)
                    .ok_or_else(|| ctx.unknown(format!("Component {pid} does not exist.")))?,
            };
            for c in acct.references_in(&rev.object, &p.id) {
                rows.push(edge(p, rev, &c));
            }
        } else if let Some(cid) = child {
            if !acct.components.contains_key(cid) {
                return Err(ctx.unknown(format!("Component {cid} does not exist.")));
            }
            for p in acct.components.values() {
                if let Some(rev) = acct.head(p, &branch) {
                    if !rev.deleted
                        && acct
                            .references_in(&rev.object, &p.id)
                            .iter()
                            .any(|x| x == cid)
                    {
                        rows.push(edge(p, rev, cid));
                    }
                }
            }
        } else {
            return Err(ApiErr::bad(
                "A ComponentReference query must filter by componentId, or by parentComponentId and parentVersion.",
            ));
        }
        Ok(rows)
    }

    // ---------------------------------------------------------------- branches

    fn branch_json(acct: &AccountState, b: &BranchRec) -> Value {
        let mut v = json!({"@type": "Branch", "id": b.id, "name": b.name,
            "createdBy": b.created_by, "createdDate": b.created_date,
            "modifiedBy": b.modified_by, "modifiedDate": b.modified_date,
            "ready": b.stage == "NORMAL" && !b.deleted, "deleted": b.deleted, "stage": b.stage});
        if let Some(p) = &b.parent_id {
            v["parentId"] = json!(p);
        }
        if let Some(d) = &b.description {
            v["description"] = json!(d);
        }
        if let Some(p) = &b.package_id {
            v["packageId"] = json!(p);
        }
        let _ = acct;
        v
    }

    pub fn create_branch(
        &mut self,
        acct_id: &str,
        body: &Value,
        ctx: &Ctx<'_>,
    ) -> ApiResult<Value> {
        let name = s(body, "name")
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| ApiErr::bad("The branch name is required."))?;
        let limit = ctx.cfg.branch_limit;
        let acct = self.acct(acct_id);
        let live = acct.branches.values().filter(|b| !b.deleted).count();
        if live >= limit {
            return Err(ApiErr::bad(format!(
                "The branch limit has been reached: the account already has {live} branches (maximum {limit})."
            )));
        }
        if acct.branch_by_name(&name).is_some() {
            return Err(ApiErr::bad(format!(
                "A branch named {name} already exists."
            )));
        }
        let package_id = s(body, "packageId").or_else(|| s(body, "deploymentId"));
        let parent = match s(body, "parentId") {
            Some(p) => {
                let pb = acct
                    .live_branch(&p)
                    .ok_or_else(|| ApiErr::bad(format!("Parent branch {p} does not exist.")))?;
                if pb.stage != "NORMAL" {
                    return Err(ApiErr::bad(format!("Parent branch {p} is not ready.")));
                }
                p
            }
            None => acct.main_branch.clone(),
        };
        let mut base: BTreeMap<String, u32> = acct
            .components
            .values()
            .filter_map(|c| acct.head(c, &parent).map(|r| (c.id.clone(), r.version)))
            .collect();
        if let Some(pid) = &package_id {
            // Branch from a package (or a deployment): its component at the packaged version.
            let pkg = acct
                .packages
                .get(pid)
                .map(|p| (p.component_id.clone(), p.component_version))
                .or_else(|| {
                    acct.deployments
                        .get(pid)
                        .map(|d| (d.component_id.clone(), d.component_version))
                })
                .ok_or_else(|| ApiErr::bad(format!("Package {pid} does not exist.")))?;
            base.insert(pkg.0, pkg.1);
        }
        self.next_branch += 1;
        let id = b64id("B", self.next_branch);
        let t = now_ms_text();
        let rec = BranchRec {
            id: id.clone(),
            name,
            description: s(body, "description"),
            parent_id: Some(parent),
            package_id,
            created_by: ctx.user.clone(),
            created_date: t.clone(),
            modified_by: ctx.user.clone(),
            modified_date: t,
            created_ms: now_ms(),
            stage: "CREATING".into(),
            reads: 0,
            deleted: false,
            base,
        };
        let acct = self.acct_mut(acct_id);
        acct.branches.insert(id.clone(), rec);
        if ctx.cfg.branch_ready_after_reads == 0 && ctx.cfg.branch_ready_after.is_zero() {
            acct.refresh_branch(&id, ctx.cfg);
        }
        Ok(Self::branch_json(acct, &acct.branches[&id]))
    }

    pub fn get_branch(&mut self, acct_id: &str, id: &str, ctx: &Ctx<'_>) -> ApiResult<Value> {
        let acct = self.acct_mut(acct_id);
        match acct.branches.get_mut(id) {
            Some(b) if !b.deleted => b.reads += 1,
            _ => return Err(ctx.unknown(format!("Branch {id} does not exist."))),
        }
        acct.refresh_branch(id, ctx.cfg);
        Ok(Self::branch_json(acct, &acct.branches[id]))
    }

    pub fn update_branch(
        &mut self,
        acct_id: &str,
        id: &str,
        body: &Value,
        ctx: &Ctx<'_>,
    ) -> ApiResult<Value> {
        let acct = self.acct_mut(acct_id);
        if acct.live_branch(id).is_none() {
            return Err(ctx.unknown(format!("Branch {id} does not exist.")));
        }
        if let Some(name) = s(body, "name").filter(|n| !n.trim().is_empty()) {
            if acct.branch_by_name(&name).is_some_and(|b| b.id != id) {
                return Err(ApiErr::bad(format!(
                    "A branch named {name} already exists."
                )));
            }
            if acct.main_branch == id && name != "main" {
                return Err(ApiErr::bad("The main branch cannot be renamed."));
            }
            let b = acct.branches.get_mut(id).expect("live");
            b.name = name;
            b.modified_by = ctx.user.clone();
            b.modified_date = now_ms_text();
        }
        if let Some(d) = s(body, "description") {
            acct.branches.get_mut(id).expect("live").description = Some(d);
        }
        Ok(Self::branch_json(acct, &acct.branches[id]))
    }

    pub fn delete_branch(&mut self, acct_id: &str, id: &str, ctx: &Ctx<'_>) -> ApiResult<()> {
        let acct = self.acct_mut(acct_id);
        if acct.main_branch == id {
            return Err(ApiErr::bad("The main branch cannot be deleted."));
        }
        match acct.branches.get_mut(id) {
            Some(b) if !b.deleted => {
                b.deleted = true;
                b.stage = "DELETED".into();
                b.modified_by = ctx.user.clone();
                b.modified_date = now_ms_text();
            }
            _ => return Err(ctx.unknown(format!("Branch {id} does not exist."))),
        }
        for mr in acct.merge_requests.values_mut() {
            if (mr.source_branch_id == id || mr.destination_branch_id == id)
                && !matches!(mr.stage.as_str(), "MERGED" | "DELETED")
            {
                mr.previous_stage = std::mem::replace(&mut mr.stage, "DELETED".into());
            }
        }
        Ok(())
    }

    pub fn branch_rows(&mut self, acct_id: &str, cfg: &SimConfig) -> Vec<Value> {
        let acct = self.acct_mut(acct_id);
        let ids: Vec<String> = acct.branches.keys().cloned().collect();
        for id in &ids {
            acct.refresh_branch(id, cfg);
        }
        acct.branches
            .values()
            .filter(|b| !b.deleted)
            .map(|b| Self::branch_json(acct, b))
            .collect()
    }

    // ---------------------------------------------------------------- merge requests

    fn merge_json(acct: &AccountState, m: &MergeRec) -> Value {
        let bname = |id: &str| {
            acct.branches
                .get(id)
                .map(|b| b.name.clone())
                .unwrap_or_default()
        };
        let details: Vec<Value> = m
            .details
            .iter()
            .map(|d| {
                let mut v = json!({"@type": "MergeRequestDetail", "componentGuid": d.component_guid,
                    "sourceRevision": d.source_revision, "changeType": d.change_type,
                    "conflict": d.conflict, "resolution": d.resolution, "excluded": d.excluded,
                    "lockedOnDestinationBranch": false, "stage": d.stage,
                    "createdBy": m.created_by, "createdDate": m.created_date,
                    "modifiedBy": m.modified_by, "modifiedDate": m.modified_date});
                if let Some(r) = d.destination_revision {
                    v["destinationRevision"] = json!(r);
                }
                if let Some(r) = d.merge_revision {
                    v["mergeRevision"] = json!(r);
                }
                v
            })
            .collect();
        let mut v = json!({"@type": "MergeRequest", "id": m.id,
            "sourceBranchId": m.source_branch_id, "sourceBranchName": bname(&m.source_branch_id),
            "destinationBranchId": m.destination_branch_id,
            "destinationBranchName": bname(&m.destination_branch_id),
            "strategy": m.strategy, "priorityBranch": m.priority_branch,
            "stage": m.stage, "previousStage": m.previous_stage,
            "createdBy": m.created_by, "createdDate": m.created_date,
            "modifiedBy": m.modified_by, "modifiedDate": m.modified_date,
            "MergeRequestDetails": {"MergeRequestDetail": details}});
        if let Some(n) = &m.note {
            v["note"] = json!(n);
        }
        v
    }

    fn draft(
        acct: &AccountState,
        source: &str,
        dest: &str,
        strategy: &str,
        priority: &str,
    ) -> Vec<MergeDetail> {
        let src = &acct.branches[source];
        let mut out = Vec::new();
        for comp in acct.components.values() {
            let Some(s_rev) = comp.own_head(source) else {
                continue;
            };
            let d_rev = acct.head(comp, dest);
            if d_rev.is_some_and(|d| d.same_content(s_rev)) {
                continue;
            }
            let change = match (d_rev, s_rev.deleted) {
                (None, true) => continue,
                (None, false) => "ADDED",
                (Some(_), true) => "DELETED",
                (Some(_), false) => "MODIFIED",
            };
            let conflict = match (d_rev, src.base.get(&comp.id)) {
                (Some(d), Some(base)) => d.version != *base,
                (Some(_), None) => true,
                _ => false,
            };
            let resolution = if conflict && (strategy != "OVERRIDE" || priority == "DESTINATION") {
                if strategy == "OVERRIDE" {
                    "KEEP_DESTINATION"
                } else {
                    ""
                }
            } else {
                "OVERRIDE"
            };
            out.push(MergeDetail {
                component_guid: comp.id.clone(),
                source_revision: s_rev.version,
                destination_revision: d_rev.map(|d| d.version),
                merge_revision: None,
                change_type: change.into(),
                conflict,
                resolution: resolution.into(),
                excluded: false,
                stage: "DRAFTED".into(),
            });
        }
        out
    }

    pub fn create_merge(
        &mut self,
        acct_id: &str,
        body: &Value,
        ctx: &mut Ctx<'_>,
    ) -> ApiResult<Value> {
        let source =
            s(body, "sourceBranchId").ok_or_else(|| ApiErr::bad("sourceBranchId is required."))?;
        let dest = s(body, "destinationBranchId")
            .ok_or_else(|| ApiErr::bad("destinationBranchId is required."))?;
        let strategy = s(body, "strategy").unwrap_or_else(|| "OVERRIDE".into());
        if !["OVERRIDE", "CONFLICT_RESOLVE", "SUBSET"].contains(&strategy.as_str()) {
            return Err(ApiErr::bad(format!("Unknown merge strategy {strategy}.")));
        }
        let priority = s(body, "priorityBranch").unwrap_or_else(|| "SOURCE".into());
        if priority != "SOURCE" && priority != "DESTINATION" {
            return Err(ApiErr::bad(format!(
                "priorityBranch must be SOURCE or DESTINATION, not {priority}."
            )));
        }
        if source == dest {
            return Err(ApiErr::bad(
                "The source and destination branches must differ.",
            ));
        }
        let cfg = ctx.cfg;
        let acct = self.acct_mut(acct_id);
        for (what, id) in [("Source", &source), ("Destination", &dest)] {
            acct.refresh_branch(id, cfg);
            let b = acct
                .live_branch(id)
                .ok_or_else(|| ApiErr::bad(format!("{what} branch {id} does not exist.")))?;
            if b.stage != "NORMAL" {
                return Err(ApiErr::bad(format!("{what} branch {id} is not ready.")));
            }
        }
        self.next_merge_request += 1;
        let id = b64id("MR", self.next_merge_request);
        let acct = self.acct_mut(acct_id);
        let t = now();
        let mut rec = MergeRec {
            id: id.clone(),
            source_branch_id: source,
            destination_branch_id: dest,
            strategy,
            priority_branch: priority,
            stage: "DRAFTING".into(),
            previous_stage: "NOT_EXIST".into(),
            note: s(body, "note"),
            polls: 0,
            created_by: ctx.user.clone(),
            created_date: t.clone(),
            modified_by: ctx.user.clone(),
            modified_date: t,
            details: Vec::new(),
        };
        rec.details = Self::draft(
            acct,
            &rec.source_branch_id,
            &rec.destination_branch_id,
            &rec.strategy,
            &rec.priority_branch,
        );
        acct.merge_requests.insert(id.clone(), rec);
        if cfg.merge_stage_polls == 0 {
            Self::advance_merge(acct, &id, ctx);
        }
        Ok(Self::merge_json(acct, &acct.merge_requests[&id]))
    }

    fn set_stage(m: &mut MergeRec, stage: &str) {
        m.previous_stage = std::mem::replace(&mut m.stage, stage.into());
        m.modified_date = now();
        m.polls = 0;
    }

    /// Move a merge request through its automatic stages (all of them when polls are 0).
    fn advance_merge(acct: &mut AccountState, id: &str, ctx: &mut Ctx<'_>) {
        loop {
            let m = acct.merge_requests.get_mut(id).expect("exists");
            match m.stage.as_str() {
                "DRAFTING" => Self::set_stage(m, "DRAFTED"),
                "DRAFTED" => Self::set_stage(m, "REVIEWING"),
                "MERGING" => Self::finish_merge(acct, id, ctx),
                _ => return,
            }
            if ctx.cfg.merge_stage_polls > 0 {
                return;
            }
        }
    }

    fn finish_merge(acct: &mut AccountState, id: &str, ctx: &mut Ctx<'_>) {
        let m = acct.merge_requests[id].clone();
        let unresolved = m
            .details
            .iter()
            .any(|d| !d.excluded && d.conflict && d.resolution.is_empty());
        let src_alive = acct.live_branch(&m.source_branch_id).is_some();
        let dst_alive = acct.live_branch(&m.destination_branch_id).is_some();
        if unresolved || !src_alive || !dst_alive || take_event_fault(ctx.faults, false) {
            let m = acct.merge_requests.get_mut(id).expect("exists");
            Self::set_stage(m, "FAILED_TO_MERGE");
            return;
        }
        let t = now();
        let mut merged = Vec::new();
        for d in &m.details {
            if d.excluded || d.resolution != "OVERRIDE" {
                merged.push(None);
                continue;
            }
            let comp = acct.components.get_mut(&d.component_guid).expect("exists");
            let mut rev = comp
                .rev(d.source_revision)
                .expect("source revision")
                .clone();
            rev.version = comp.next_version();
            rev.branch_id = m.destination_branch_id.clone();
            rev.modified_date = t.clone();
            rev.modified_by = ctx.user.clone();
            merged.push(Some(rev.version));
            comp.revisions.push(rev);
        }
        let mr = acct.merge_requests.get_mut(id).expect("exists");
        for (d, v) in mr.details.iter_mut().zip(merged) {
            if let Some(v) = v {
                d.merge_revision = Some(v);
                d.stage = "MERGED".into();
            }
        }
        mr.modified_by = ctx.user.clone();
        Self::set_stage(mr, "MERGED");
    }

    pub fn get_merge(&mut self, acct_id: &str, id: &str, ctx: &mut Ctx<'_>) -> ApiResult<Value> {
        let acct = self.acct_mut(acct_id);
        let m = acct
            .merge_requests
            .get_mut(id)
            .ok_or_else(|| ctx.unknown(format!("Merge request {id} does not exist.")))?;
        if matches!(m.stage.as_str(), "DRAFTING" | "DRAFTED" | "MERGING") {
            m.polls += 1;
            if m.polls >= ctx.cfg.merge_stage_polls {
                Self::advance_merge(acct, id, ctx);
            }
        }
        Ok(Self::merge_json(acct, &acct.merge_requests[id]))
    }

    fn apply_detail_changes(m: &mut MergeRec, body: &Value) {
        let details = body
            .get("MergeRequestDetails")
            .map(|d| list(d.get("MergeRequestDetail")))
            .unwrap_or_default();
        for d in details {
            let Some(guid) = s(&d, "componentGuid") else {
                continue;
            };
            if let Some(md) = m.details.iter_mut().find(|x| x.component_guid == guid) {
                if let Some(e) = b(&d, "excluded") {
                    md.excluded = e;
                }
                if let Some(r) = s(&d, "resolution") {
                    md.resolution = r;
                    md.stage = "CONFLICT_RESOLVED".into();
                }
            }
        }
    }

    pub fn execute_merge(
        &mut self,
        acct_id: &str,
        id: &str,
        body: &Value,
        ctx: &mut Ctx<'_>,
    ) -> ApiResult<Value> {
        let action = s(body, "mergeRequestAction")
            .ok_or_else(|| ApiErr::bad("mergeRequestAction is required."))?;
        let strict = ctx.cfg.strict_merge_stages;
        let acct = self.acct_mut(acct_id);
        let m = acct
            .merge_requests
            .get_mut(id)
            .ok_or_else(|| ctx.unknown(format!("Merge request {id} does not exist.")))?;
        match action.as_str() {
            "MERGE" => {
                let ok = matches!(m.stage.as_str(), "REVIEWING" | "FAILED_TO_MERGE")
                    || (!strict && matches!(m.stage.as_str(), "DRAFTING" | "DRAFTED"));
                if !ok {
                    return Err(ApiErr::bad(format!(
                        "Merge request {id} is in stage {}; MERGE is allowed only in REVIEWING or FAILED_TO_MERGE.",
                        m.stage
                    )));
                }
                Self::apply_detail_changes(m, body);
                m.modified_by = ctx.user.clone();
                Self::set_stage(m, "MERGING");
                if ctx.cfg.merge_stage_polls == 0 {
                    Self::advance_merge(acct, id, ctx);
                }
            }
            "UPDATE" => {
                if !matches!(m.stage.as_str(), "DRAFTED" | "REVIEWING" | "FAILED_TO_MERGE") {
                    return Err(ApiErr::bad(format!(
                        "Merge request {id} cannot be updated in stage {}.",
                        m.stage
                    )));
                }
                Self::apply_detail_changes(m, body);
            }
            "RETRY_DRAFTING" => {
                return Err(ApiErr::bad(format!(
                    "Merge request {id} is in stage {}; RETRY_DRAFTING is allowed only in FAILED_TO_DRAFT or FAILED_TO_REDRAFT.",
                    m.stage
                )))
            }
            "REVERT" => {
                return Err(ApiErr::bad(format!(
                    "Merge request {id} cannot be reverted: completed merges cannot be rolled back."
                )))
            }
            other => return Err(ApiErr::bad(format!("Unknown mergeRequestAction {other}."))),
        }
        Ok(Self::merge_json(acct, &acct.merge_requests[id]))
    }

    pub fn update_merge(
        &mut self,
        acct_id: &str,
        id: &str,
        body: &Value,
        ctx: &mut Ctx<'_>,
    ) -> ApiResult<Value> {
        let mut body = body.clone();
        if body.get("mergeRequestAction").is_none() {
            body["mergeRequestAction"] = json!("UPDATE");
        }
        if let Some(n) = s(&body, "note") {
            if let Some(m) = self.acct_mut(acct_id).merge_requests.get_mut(id) {
                m.note = Some(n);
            }
        }
        self.execute_merge(acct_id, id, &body, ctx)
    }

    pub fn delete_merge(&mut self, acct_id: &str, id: &str, ctx: &Ctx<'_>) -> ApiResult<()> {
        let acct = self.acct_mut(acct_id);
        let m = acct
            .merge_requests
            .get_mut(id)
            .filter(|m| m.stage != "DELETED")
            .ok_or_else(|| ctx.unknown(format!("Merge request {id} does not exist.")))?;
        Self::set_stage(m, "DELETED");
        Ok(())
    }

    pub fn merge_rows(&self, acct_id: &str) -> Vec<Value> {
        let acct = self.acct(acct_id);
        acct.merge_requests
            .values()
            .filter(|m| m.stage != "DELETED")
            .map(|m| Self::merge_json(acct, m))
            .collect()
    }

    // ---------------------------------------------------------------- packages

    fn package_json(p: &PackageRec) -> Value {
        json!({"@type": "PackagedComponent", "packageId": p.package_id,
            "packageVersion": p.package_version, "componentId": p.component_id,
            "componentVersion": p.component_version, "componentType": p.component_type,
            "createdDate": p.created_date, "createdBy": p.created_by, "notes": p.notes,
            "shareable": p.shareable, "deleted": p.deleted, "branchName": p.branch_name,
            "fullyPubliclyConsumable": false})
    }

    fn make_package(acct: &mut AccountState, body: &Value, ctx: &Ctx<'_>) -> ApiResult<String> {
        let component_id =
            s(body, "componentId").ok_or_else(|| ApiErr::bad("componentId is required."))?;
        if let Some(pid) = s(body, "packageId") {
            // Restore a deleted package.
            let p = acct
                .packages
                .get_mut(&pid)
                .ok_or_else(|| ctx.unknown(format!("Packaged component {pid} does not exist.")))?;
            if !p.deleted {
                return Err(ApiErr::bad(format!(
                    "Packaged component {pid} is not deleted."
                )));
            }
            p.deleted = false;
            return Ok(pid);
        }
        let comp = acct
            .components
            .get(&component_id)
            .ok_or_else(|| ctx.unknown(format!("Component {component_id} does not exist.")))?;
        if !PACKAGEABLE.contains(&comp.kind.as_str()) {
            return Err(ApiErr::bad(format!(
                "Component {component_id} of type {} cannot be packaged.",
                comp.kind
            )));
        }
        let (branch_id, branch_name) = match s(body, "branchName") {
            Some(n) => {
                let b = acct
                    .branch_by_name(&n)
                    .ok_or_else(|| ApiErr::bad(format!("Branch {n} does not exist.")))?;
                if b.stage != "NORMAL" {
                    return Err(ApiErr::bad(format!("Branch {n} is not ready.")));
                }
                (b.id.clone(), n)
            }
            None => (acct.main_branch.clone(), "main".to_string()),
        };
        let rev = match u(body, "componentVersion") {
            Some(v) => comp.rev(v).ok_or_else(|| {
                ApiErr::bad(format!("Component {component_id} has no version {v}."))
            })?,
            None => acct.head(comp, &branch_id).ok_or_else(|| {
                ApiErr::bad(format!(
                    "Component {component_id} does not exist on branch {branch_name}."
                ))
            })?,
        };
        if rev.deleted {
            return Err(ApiErr::bad(format!("Component {component_id} is deleted.")));
        }
        let version = s(body, "packageVersion")
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| format!("{}.0", rev.version));
        if acct
            .packages
            .values()
            .any(|p| !p.deleted && p.component_id == component_id && p.package_version == version)
        {
            return Err(ApiErr::bad(format!(
                "A packaged component with version {version} already exists for component {component_id}."
            )));
        }
        let id = uuid();
        let seq = acct.packages.values().map(|p| p.seq + 1).max().unwrap_or(0);
        let rec = PackageRec {
            package_id: id.clone(),
            package_version: version,
            component_id,
            component_version: rev.version,
            component_type: comp.kind.clone(),
            notes: s(body, "notes").unwrap_or_default(),
            shareable: b(body, "shareable").unwrap_or(false),
            branch_name,
            created_date: now(),
            created_by: ctx.user.clone(),
            deleted: false,
            seq,
        };
        acct.packages.insert(id.clone(), rec);
        Ok(id)
    }

    pub fn create_package(
        &mut self,
        acct_id: &str,
        body: &Value,
        ctx: &Ctx<'_>,
    ) -> ApiResult<Value> {
        let acct = self.acct_mut(acct_id);
        let id = Self::make_package(acct, body, ctx)?;
        Ok(Self::package_json(&acct.packages[&id]))
    }

    pub fn get_package(&self, acct_id: &str, id: &str, ctx: &Ctx<'_>) -> ApiResult<Value> {
        self.acct(acct_id)
            .packages
            .get(id)
            .map(Self::package_json)
            .ok_or_else(|| ctx.unknown(format!("Packaged component {id} does not exist.")))
    }

    pub fn delete_package(&mut self, acct_id: &str, id: &str, ctx: &Ctx<'_>) -> ApiResult<()> {
        let acct = self.acct_mut(acct_id);
        let p = acct
            .packages
            .get(id)
            .filter(|p| !p.deleted)
            .ok_or_else(|| ctx.unknown(format!("Packaged component {id} does not exist.")))?
            .clone();
        if acct
            .deployments
            .values()
            .any(|d| d.active && d.package_id == id)
        {
            return Err(ApiErr::bad(format!(
                "Packaged component {id} is deployed and cannot be deleted."
            )));
        }
        if acct.packs.values().any(|pk| {
            pk.components.get(&p.component_id).is_some_and(|c| {
                c.current_version.as_deref() == Some(p.package_version.as_str())
                    || c.pending_version.as_deref() == Some(p.package_version.as_str())
            })
        }) {
            return Err(ApiErr::bad(format!(
                "Packaged component {id} is used by an integration pack and cannot be deleted."
            )));
        }
        acct.packages.get_mut(id).expect("exists").deleted = true;
        Ok(())
    }

    pub fn package_rows(&self, acct_id: &str) -> Vec<Value> {
        let acct = self.acct(acct_id);
        let mut ps: Vec<&PackageRec> = acct.packages.values().collect();
        ps.sort_by_key(|p| p.seq);
        ps.into_iter().map(Self::package_json).collect()
    }

    // ---------------------------------------------------------------- packs and releases

    fn latest_shareable<'a>(acct: &'a AccountState, component_id: &str) -> Option<&'a PackageRec> {
        acct.packages
            .values()
            .filter(|p| !p.deleted && p.shareable && p.component_id == component_id)
            .max_by_key(|p| p.seq)
    }

    fn pack_json(acct: &AccountState, p: &PackRec) -> Value {
        let comps: Vec<Value> = p
            .components
            .iter()
            .map(|(cid, c)| {
                let (name, kind) = acct
                    .components
                    .get(cid)
                    .and_then(|comp| {
                        acct.head(comp, &acct.main_branch)
                            .map(|r| (r.name.clone(), comp.kind.clone()))
                    })
                    .unwrap_or_default();
                let mut v = json!({"@type": "PublisherPackagedComponent", "componentId": cid,
                    "componentName": name, "componentType": kind, "deleted": c.deleted});
                if let Some(x) = &c.current_version {
                    v["currentVersion"] = json!(x);
                }
                if let Some(x) = &c.pending_version {
                    v["pendingVersion"] = json!(x);
                }
                if let Some(l) = Self::latest_shareable(acct, cid) {
                    v["latestVersion"] = json!(l.package_version);
                }
                v
            })
            .collect();
        json!({"@type": "PublisherIntegrationPack", "id": p.id, "name": p.name,
            "installationType": p.installation_type, "Description": p.description,
            "PublisherPackagedComponents": {"PublisherPackagedComponent": comps}})
    }

    fn pack_component_ids(body: &Value) -> Vec<String> {
        body.get("PublisherPackagedComponents")
            .map(|x| list(x.get("PublisherPackagedComponent")))
            .unwrap_or_default()
            .iter()
            .filter_map(|c| s(c, "componentId"))
            .collect()
    }

    fn pack_add(acct: &mut AccountState, pack_id: &str, ids: &[String]) -> ApiResult<()> {
        for cid in ids {
            let latest = Self::latest_shareable(acct, cid)
                .ok_or_else(|| {
                    ApiErr::bad(format!(
                        "Component {cid} has no shareable packaged component and cannot be added to an integration pack."
                    ))
                })?
                .package_version
                .clone();
            let pack = acct.packs.get_mut(pack_id).expect("exists");
            let entry = pack.components.entry(cid.clone()).or_insert(PackComponent {
                current_version: None,
                pending_version: None,
                deleted: false,
            });
            entry.deleted = false;
            if entry.current_version.as_deref() != Some(latest.as_str()) {
                entry.pending_version = Some(latest);
            }
        }
        Ok(())
    }

    pub fn create_pack(&mut self, acct_id: &str, body: &Value, _ctx: &Ctx<'_>) -> ApiResult<Value> {
        let name = s(body, "name")
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| ApiErr::bad("The integration pack name is required."))?;
        let installation_type = s(body, "installationType").unwrap_or_else(|| "MULTI".into());
        if installation_type != "SINGLE" && installation_type != "MULTI" {
            return Err(ApiErr::bad("installationType must be SINGLE or MULTI."));
        }
        let description = s(body, "Description")
            .or_else(|| s(body, "description"))
            .unwrap_or_default();
        let acct = self.acct_mut(acct_id);
        let id = uuid();
        acct.packs.insert(
            id.clone(),
            PackRec {
                id: id.clone(),
                name,
                installation_type,
                description,
                components: BTreeMap::new(),
            },
        );
        let ids = Self::pack_component_ids(body);
        if let Err(e) = Self::pack_add(acct, &id, &ids) {
            acct.packs.remove(&id);
            return Err(e);
        }
        Ok(Self::pack_json(acct, &acct.packs[&id]))
    }

    pub fn get_pack(&self, acct_id: &str, id: &str, ctx: &Ctx<'_>) -> ApiResult<Value> {
        let acct = self.acct(acct_id);
        acct.packs
            .get(id)
            .map(|p| Self::pack_json(acct, p))
            .ok_or_else(|| ctx.unknown(format!("Integration pack {id} does not exist.")))
    }

    pub fn update_pack(
        &mut self,
        acct_id: &str,
        id: &str,
        body: &Value,
        ctx: &Ctx<'_>,
    ) -> ApiResult<Value> {
        let acct = self.acct_mut(acct_id);
        let pack = acct
            .packs
            .get(id)
            .ok_or_else(|| ctx.unknown(format!("Integration pack {id} does not exist.")))?
            .clone();
        let ids = Self::pack_component_ids(body);
        let op = s(body, "operationType");
        if !ids.is_empty() && op.is_none() {
            return Err(ApiErr::bad(
                "operationType (ADD or DELETE) is required to change the packaged components.",
            ));
        }
        if let Some(name) = s(body, "name").filter(|n| *n != pack.name) {
            if pack.installation_type != "SINGLE" {
                return Err(ApiErr::bad(
                    "The name can be changed only for SINGLE integration packs.",
                ));
            }
            acct.packs.get_mut(id).expect("exists").name = name;
        }
        if let Some(d) = s(body, "Description").or_else(|| s(body, "description")) {
            acct.packs.get_mut(id).expect("exists").description = d;
        }
        match op.as_deref() {
            None => {}
            Some("ADD") => Self::pack_add(acct, id, &ids)?,
            Some("DELETE") => {
                let pack = acct.packs.get_mut(id).expect("exists");
                for cid in &ids {
                    let c = pack.components.get_mut(cid).ok_or_else(|| {
                        ApiErr::bad(format!("Component {cid} is not in integration pack {id}."))
                    })?;
                    c.deleted = true;
                }
            }
            Some(other) => return Err(ApiErr::bad(format!("Unknown operationType {other}."))),
        }
        Ok(Self::pack_json(acct, &acct.packs[id]))
    }

    pub fn delete_pack(&mut self, acct_id: &str, id: &str, ctx: &Ctx<'_>) -> ApiResult<()> {
        self.acct_mut(acct_id)
            .packs
            .remove(id)
            .map(|_| ())
            .ok_or_else(|| ctx.unknown(format!("Integration pack {id} does not exist.")))
    }

    pub fn pack_rows(&self, acct_id: &str) -> Vec<Value> {
        let acct = self.acct(acct_id);
        acct.packs
            .values()
            .map(|p| Self::pack_json(acct, p))
            .collect()
    }

    fn release_components_json(r: &ReleaseRec, released: bool) -> Value {
        let items: Vec<Value> = r
            .components
            .iter()
            .map(|(c, v)| {
                let mut x = json!({"componentId": c, "version": v});
                if released {
                    x["releasedVersion"] = json!(v);
                }
                x
            })
            .collect();
        json!({"ReleasePackagedComponent": items})
    }

    pub fn create_release(
        &mut self,
        acct_id: &str,
        body: &Value,
        base_url: &str,
        ctx: &Ctx<'_>,
    ) -> ApiResult<Value> {
        let pack_id = s(body, "id")
            .ok_or_else(|| ApiErr::bad("id (the integration pack id) is required."))?;
        let schedule = s(body, "releaseSchedule")
            .ok_or_else(|| ApiErr::bad("releaseSchedule is required."))?;
        let on_date = s(body, "releaseOnDate");
        match schedule.as_str() {
            "IMMEDIATELY" => {}
            "RELEASE_ON_SPECIFIED_DATE" if on_date.is_some() => {}
            "RELEASE_ON_SPECIFIED_DATE" => {
                return Err(ApiErr::bad(
                    "releaseOnDate is required for RELEASE_ON_SPECIFIED_DATE.",
                ))
            }
            other => return Err(ApiErr::bad(format!("Unknown releaseSchedule {other}."))),
        }
        let acct = self.acct_mut(acct_id);
        let pack = acct
            .packs
            .get(&pack_id)
            .ok_or_else(|| ctx.unknown(format!("Integration pack {pack_id} does not exist.")))?
            .clone();
        let requested: Vec<Value> = body
            .get("ReleasePackagedComponents")
            .map(|x| list(x.get("ReleasePackagedComponent")))
            .unwrap_or_default();
        let mut components = Vec::new();
        if requested.is_empty() {
            for (cid, c) in &pack.components {
                if c.deleted {
                    continue;
                }
                if let Some(v) = c.pending_version.clone().or(c.current_version.clone()) {
                    components.push((cid.clone(), v));
                }
            }
        } else {
            for item in &requested {
                let cid = s(item, "componentId")
                    .ok_or_else(|| ApiErr::bad("componentId is required."))?;
                if !pack.components.contains_key(&cid) {
                    return Err(ApiErr::bad(format!(
                        "Component {cid} is not in integration pack {pack_id}."
                    )));
                }
                let v = match s(item, "version") {
                    Some(v) => v,
                    None => pack.components[&cid]
                        .pending_version
                        .clone()
                        .or(pack.components[&cid].current_version.clone())
                        .ok_or_else(|| ApiErr::bad(format!("No version to release for {cid}.")))?,
                };
                if !acct.packages.values().any(|p| {
                    !p.deleted && p.shareable && p.component_id == cid && p.package_version == v
                }) {
                    return Err(ApiErr::bad(format!(
                        "Component {cid} has no shareable packaged component with version {v}."
                    )));
                }
                components.push((cid, v));
            }
        }
        if components.is_empty() {
            return Err(ApiErr::bad(format!(
                "Integration pack {pack_id} has nothing to release."
            )));
        }
        let request_id = format!("release-{}", uuid());
        let rec = ReleaseRec {
            request_id: request_id.clone(),
            pack_id: pack_id.clone(),
            release_schedule: schedule.clone(),
            release_on_date: on_date.clone(),
            components,
            polls: 0,
            status: if schedule == "IMMEDIATELY" {
                "IN_PROGRESS"
            } else {
                "SCHEDULED"
            }
            .into(),
            created_date: now(),
        };
        let comps = Self::release_components_json(&rec, false);
        acct.releases.insert(request_id.clone(), rec);
        let mut v = json!({"@type": "ReleaseIntegrationPack", "id": pack_id, "name": pack.name,
            "installationType": pack.installation_type, "releaseSchedule": schedule,
            "requestId": request_id,
            "releaseStatusUrl": format!("{base_url}/api/rest/v1/{acct_id}/ReleaseIntegrationPackStatus/{request_id}"),
            "ReleasePackagedComponents": comps});
        if let Some(d) = on_date {
            v["releaseOnDate"] = json!(d);
        }
        Ok(v)
    }

    /// Poll a release: `(http status, body)`; 202 while in progress or scheduled, 200 when done.
    pub fn release_status(
        &mut self,
        acct_id: &str,
        id: &str,
        ctx: &mut Ctx<'_>,
    ) -> ApiResult<(u16, Value)> {
        let polls_needed = ctx.cfg.release_in_progress_polls;
        let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
        let acct = self.acct_mut(acct_id);
        let r = acct
            .releases
            .get_mut(id)
            .ok_or_else(|| ctx.unknown(format!("Release request {id} does not exist.")))?;
        r.polls += 1;
        let due = match r.status.as_str() {
            "IN_PROGRESS" => r.polls > polls_needed,
            "SCHEDULED" => r
                .release_on_date
                .as_deref()
                .is_some_and(|d| d <= today.as_str()),
            _ => false,
        };
        if due {
            if take_event_fault(ctx.faults, true) {
                r.status = "ERROR".into();
            } else {
                r.status = "SUCCESS".into();
                let r = r.clone();
                if let Some(pack) = acct.packs.get_mut(&r.pack_id) {
                    // A release publishes exactly the list it was given: a package left out
                    // is unpublished (seed-behaviors §6.14).
                    for (cid, c) in pack.components.iter_mut() {
                        match r.components.iter().find(|(id, _)| id == cid) {
                            Some((_, v)) => {
                                c.current_version = Some(v.clone());
                                if c.pending_version.as_deref() == Some(v.as_str()) {
                                    c.pending_version = None;
                                }
                            }
                            None => c.current_version = None,
                        }
                    }
                    pack.components.retain(|_, c| !c.deleted);
                }
            }
        }
        let r = acct.releases[id].clone();
        let pack = acct.packs.get(&r.pack_id);
        let code = if matches!(r.status.as_str(), "IN_PROGRESS" | "SCHEDULED") {
            202
        } else {
            200
        };
        let mut v = json!({"@type": "ReleaseIntegrationPackStatus", "requestId": r.request_id,
            "integrationPackId": r.pack_id,
            "name": pack.map(|p| p.name.clone()).unwrap_or_default(),
            "installationType": pack.map(|p| p.installation_type.clone()).unwrap_or_default(),
            "releaseSchedule": r.release_schedule, "releaseStatus": r.status,
            "responseStatusCode": code,
            "ReleasePackagedComponents": Self::release_components_json(&r, r.status == "SUCCESS")});
        if let Some(d) = &r.release_on_date {
            v["releaseOnDate"] = json!(d);
        }
        Ok((code, v))
    }

    // ---------------------------------------------------------------- deployments

    fn deployment_json(d: &DeploymentRec) -> Value {
        json!({"@type": "DeployedPackage", "deploymentId": d.deployment_id, "version": d.version,
            "packageId": d.package_id, "packageVersion": d.package_version,
            "environmentId": d.environment_id, "componentId": d.component_id,
            "componentVersion": d.component_version, "componentType": d.component_type,
            "deployedDate": d.deployed_date, "deployedBy": d.deployed_by, "notes": d.notes,
            "active": d.active, "branchName": d.branch_name, "listenerStatus": d.listener_status})
    }

    pub fn create_deployment(
        &mut self,
        acct_id: &str,
        body: &Value,
        ctx: &Ctx<'_>,
    ) -> ApiResult<Value> {
        let env =
            s(body, "environmentId").ok_or_else(|| ApiErr::bad("environmentId is required."))?;
        let acct = self.acct_mut(acct_id);
        if !acct.environments.contains_key(&env) {
            return Err(ApiErr::bad(format!("Environment {env} does not exist.")));
        }
        let package_id = match s(body, "packageId") {
            Some(p) => {
                match acct.packages.get(&p) {
                    Some(pk) if !pk.deleted => {}
                    _ => {
                        return Err(ApiErr::bad(format!(
                            "Packaged component {p} does not exist."
                        )))
                    }
                }
                p
            }
            None if s(body, "componentId").is_some() => {
                let mut pb = json!({"componentId": s(body, "componentId"), "shareable": false});
                if let Some(n) = s(body, "notes") {
                    pb["notes"] = json!(n);
                }
                Self::make_package(acct, &pb, ctx)?
            }
            None => return Err(ApiErr::bad("packageId or componentId is required.")),
        };
        let listener = s(body, "listenerStatus").unwrap_or_else(|| "RUNNING".into());
        if listener != "RUNNING" && listener != "PAUSED" {
            return Err(ApiErr::bad("listenerStatus must be RUNNING or PAUSED."));
        }
        let pkg = acct.packages[&package_id].clone();
        let version = next_deployment(acct, &pkg.component_id, &env);
        let id = uuid();
        acct.deployments.insert(
            id.clone(),
            DeploymentRec {
                deployment_id: id.clone(),
                version,
                package_id,
                package_version: pkg.package_version,
                environment_id: env,
                component_id: pkg.component_id,
                component_version: pkg.component_version,
                component_type: pkg.component_type,
                deployed_date: now(),
                deployed_by: ctx.user.clone(),
                notes: s(body, "notes").unwrap_or_default(),
                active: true,
                branch_name: pkg.branch_name,
                listener_status: listener,
            },
        );
        Ok(Self::deployment_json(&acct.deployments[&id]))
    }

    pub fn get_deployment(&self, acct_id: &str, id: &str, ctx: &Ctx<'_>) -> ApiResult<Value> {
        self.acct(acct_id)
            .deployments
            .get(id)
            .map(Self::deployment_json)
            .ok_or_else(|| ctx.unknown(format!("Deployment {id} does not exist.")))
    }

    pub fn delete_deployment(&mut self, acct_id: &str, id: &str, ctx: &Ctx<'_>) -> ApiResult<()> {
        let d = self
            .acct_mut(acct_id)
            .deployments
            .get_mut(id)
            .filter(|d| d.active)
            .ok_or_else(|| ctx.unknown(format!("Deployment {id} does not exist.")))?;
        d.active = false;
        Ok(())
    }

    pub fn deployment_rows(&self, acct_id: &str) -> Vec<Value> {
        let acct = self.acct(acct_id);
        let mut ds: Vec<&DeploymentRec> = acct.deployments.values().collect();
        ds.sort_by(|a, b| {
            (a.deployed_date.as_str(), a.version).cmp(&(b.deployed_date.as_str(), b.version))
        });
        ds.into_iter().map(Self::deployment_json).collect()
    }

    // ---------------------------------------------------------------- environments

    fn env_json(e: &EnvironmentRec, acct: &str) -> Value {
        json!({"@type": "Environment", "id": e.id, "name": e.name,
               "classification": e.classification, "parentAccount": acct})
    }

    pub fn get_environment(&self, acct_id: &str, id: &str, ctx: &Ctx<'_>) -> ApiResult<Value> {
        self.acct(acct_id)
            .environments
            .get(id)
            .map(|e| Self::env_json(e, acct_id))
            .ok_or_else(|| ctx.unknown(format!("Environment {id} does not exist.")))
    }

    pub fn environment_rows(&self, acct_id: &str) -> Vec<Value> {
        self.acct(acct_id)
            .environments
            .values()
            .map(|e| Self::env_json(e, acct_id))
            .collect()
    }

    // ---------------------------------------------------------------- extensions

    pub fn get_extensions(&self, acct_id: &str, id: &str, ctx: &Ctx<'_>) -> ApiResult<Value> {
        self.acct(acct_id)
            .extensions
            .get(id)
            .cloned()
            .ok_or_else(|| ctx.unknown(format!("Environment extensions {id} do not exist.")))
    }

    pub fn extension_rows(&self, acct_id: &str) -> Vec<Value> {
        self.acct(acct_id).extensions.values().cloned().collect()
    }

    pub fn update_extensions(
        &mut self,
        acct_id: &str,
        id: &str,
        body: &Value,
        ctx: &Ctx<'_>,
    ) -> ApiResult<Value> {
        let acct = self.acct_mut(acct_id);
        let mut ext = acct
            .extensions
            .get(id)
            .cloned()
            .ok_or_else(|| ctx.unknown(format!("Environment extensions {id} do not exist.")))?;
        if let Some(env) = s(body, "environmentId") {
            if env != id {
                return Err(ApiErr::bad(format!(
                    "The environmentId in the body ({env}) does not match the URL ({id})."
                )));
            }
        }
        let partial = b(body, "partial").unwrap_or(false);
        let mut secrets = acct.extension_secrets.clone();
        if !partial {
            reset_extensions(&mut ext, id, &mut secrets);
        }
        merge_extensions(&mut ext, body, id, &mut secrets)?;
        acct.extension_secrets = secrets;
        acct.extensions.insert(id.to_string(), ext.clone());
        Ok(ext)
    }

    // ---------------------------------------------------------------- map extensions

    fn map_summary_json(m: &MapExtRec) -> Value {
        let set = |c: &Option<String>| {
            let mut v = json!({"BrowseField": []});
            if let Some(c) = c {
                v["connectionId"] = json!(c);
            }
            v
        };
        json!({"@type": "EnvironmentMapExtensionsSummary", "id": m.id, "mapId": m.map_id,
            "processId": m.process_id, "environmentId": m.environment_id, "extensionGroupId": "",
            "name": m.name, "SourceFieldSet": set(&m.source_connection_id),
            "DestinationFieldSet": set(&m.destination_connection_id)})
    }

    fn map_ext_json(m: &MapExtRec) -> Value {
        json!({"@type": "EnvironmentMapExtension", "id": m.id, "mapId": m.map_id,
            "processId": m.process_id, "environmentId": m.environment_id, "extensionGroupId": "",
            "name": m.name, "Map": m.map})
    }

    pub fn map_summary_rows(&self, acct_id: &str) -> Vec<Value> {
        self.acct(acct_id)
            .map_extensions
            .values()
            .map(Self::map_summary_json)
            .collect()
    }

    pub fn get_map_extension(&self, acct_id: &str, id: &str, ctx: &Ctx<'_>) -> ApiResult<Value> {
        self.acct(acct_id)
            .map_extensions
            .get(id)
            .map(Self::map_ext_json)
            .ok_or_else(|| ctx.unknown(format!("Map extension {id} does not exist.")))
    }

    pub fn update_map_extension(
        &mut self,
        acct_id: &str,
        id: &str,
        body: &Value,
        ctx: &Ctx<'_>,
    ) -> ApiResult<Value> {
        let m = self
            .acct_mut(acct_id)
            .map_extensions
            .get_mut(id)
            .ok_or_else(|| ctx.unknown(format!("Map extension {id} does not exist.")))?;
        for (key, want) in [
            ("mapId", &m.map_id),
            ("processId", &m.process_id),
            ("environmentId", &m.environment_id),
        ] {
            if let Some(v) = s(body, key) {
                if v != *want {
                    return Err(ApiErr::bad(format!(
                        "{key} {v} does not match map extension {id}."
                    )));
                }
            }
        }
        let incoming = body
            .get("Map")
            .cloned()
            .ok_or_else(|| ApiErr::bad("The Map element is required."))?;
        // Profiles cannot be changed; extended functions, mappings and profile extensions are
        // replaced as a whole.
        for key in [
            "ExtendedFunctions",
            "ExtendedMappings",
            "SourceProfileExtensions",
            "DestinationProfileExtensions",
        ] {
            m.map[key] = incoming
                .get(key)
                .cloned()
                .unwrap_or_else(|| empty_map_section(key));
        }
        m.map = complete_map(m.map.clone());
        Ok(Self::map_ext_json(m))
    }

    // ---------------------------------------------------------------- inspection

    /// The `/__sim/state` view: branches, components per account and branch, packages,
    /// packs, releases, deployments, merge requests.
    pub fn summary(&self) -> Value {
        let mut accounts = Map::new();
        for a in self.accounts.values() {
            let live: Vec<&BranchRec> = a.branches.values().filter(|b| !b.deleted).collect();
            let mut comps = Map::new();
            for c in a.components.values() {
                let mut per_branch = Map::new();
                for br in &live {
                    if let Some(r) = a.head(c, &br.id) {
                        per_branch.insert(
                            br.name.clone(),
                            json!({"version": r.version, "name": r.name, "deleted": r.deleted,
                                   "own": r.branch_id == br.id}),
                        );
                    }
                }
                comps.insert(
                    c.id.clone(),
                    json!({"type": c.kind, "versions": c.revisions.iter().map(|r| r.version).collect::<Vec<_>>(),
                           "branches": per_branch}),
                );
            }
            accounts.insert(
                a.id.clone(),
                json!({
                    "name": a.name,
                    "parent": a.parent,
                    "mainBranchId": a.main_branch,
                    "branches": live.iter().map(|b| json!({"id": b.id, "name": b.name, "stage": b.stage,
                        "ready": b.stage == "NORMAL", "parentId": b.parent_id})).collect::<Vec<_>>(),
                    "branchCount": live.len(),
                    "components": comps,
                    "componentCount": a.components.len(),
                    "mergeRequests": a.merge_requests.values().map(|m| Self::merge_json(a, m)).collect::<Vec<_>>(),
                    "packages": self.package_rows(&a.id),
                    "packs": self.pack_rows(&a.id),
                    "releases": a.releases.values().map(|r| json!({"requestId": r.request_id,
                        "integrationPackId": r.pack_id, "status": r.status, "polls": r.polls,
                        "components": r.components})).collect::<Vec<_>>(),
                    "deployments": self.deployment_rows(&a.id),
                    "environments": self.environment_rows(&a.id),
                }),
            );
        }
        json!({"primaryAccountId": self.primary, "accounts": accounts})
    }
}

fn seed_err(message: String) -> SimError {
    SimError::Seed {
        path: "<seed>".into(),
        message,
    }
}

fn next_deployment(acct: &mut AccountState, component: &str, env: &str) -> u32 {
    let mut max = 0;
    for d in acct.deployments.values_mut() {
        if d.component_id == component && d.environment_id == env {
            max = max.max(d.version);
            d.active = false;
        }
    }
    max + 1
}

fn empty_extensions(env: &str) -> Value {
    let mut v = json!({"@type": "EnvironmentExtensions", "id": env, "environmentId": env,
                       "extensionGroupId": ""});
    for (section, item) in EXT_SECTIONS {
        v[*section] = json!({ *item: [] });
    }
    v
}

fn empty_map_section(key: &str) -> Value {
    match key {
        "ExtendedFunctions" => json!({"Function": []}),
        "ExtendedMappings" => json!({"Mapping": []}),
        "BrowseSettings" => {
            json!({"SourceBrowse": {"BrowseFields": []}, "DestinationBrowse": {"BrowseFields": []}})
        }
        _ => json!({"Node": []}),
    }
}

/// Fill every section the MapExtension schema requires.
fn complete_map(map: Value) -> Value {
    let mut m = if map.is_object() { map } else { json!({}) };
    for key in [
        "BrowseSettings",
        "SourceProfile",
        "DestinationProfile",
        "SourceProfileExtensions",
        "DestinationProfileExtensions",
        "ExtendedFunctions",
        "ExtendedMappings",
    ] {
        if m.get(key).is_none_or(Value::is_null) {
            m[key] = empty_map_section(key);
        }
    }
    m
}

fn secret_key(env: &str, parts: &[&str]) -> String {
    format!("{env}|{}", parts.join("|"))
}

fn hash_secret(plain: &str) -> String {
    compxml::secret_hash("extension", "value", plain)
}

/// Apply a field update (value/useDefault) to a stored field, keeping secrets out of it.
fn apply_field(
    stored: &mut Value,
    incoming: &Value,
    key: String,
    secrets: &mut BTreeMap<String, String>,
) {
    let encrypted = b(stored, "usesEncryption").unwrap_or(false);
    if let Some(ud) = b(incoming, "useDefault") {
        stored["useDefault"] = json!(ud);
        if ud {
            if let Some(o) = stored.as_object_mut() {
                o.remove("value");
            }
            if encrypted {
                secrets.remove(&key);
                stored["encryptedValueSet"] = json!(false);
            }
        }
    }
    if let Some(v) = s(incoming, "value") {
        if b(incoming, "useDefault") != Some(true) {
            stored["useDefault"] = json!(false);
            if encrypted {
                secrets.insert(key, hash_secret(&v));
                stored["encryptedValueSet"] = json!(true);
            } else {
                stored["value"] = json!(v);
            }
        }
    }
    if let Some(co) = b(incoming, "componentOverride") {
        stored["componentOverride"] = json!(co);
    }
}

fn find_by<'a>(items: &'a mut [Value], key: &str, want: &str) -> Option<&'a mut Value> {
    items
        .iter_mut()
        .find(|i| s(i, key).as_deref() == Some(want))
}

/// Merge an update body into stored extensions at Boomi's partial-update granularity.
fn merge_extensions(
    ext: &mut Value,
    body: &Value,
    env: &str,
    secrets: &mut BTreeMap<String, String>,
) -> ApiResult<()> {
    // connections, operations, sharedCommunications: per field
    for (section, item) in [
        ("connections", "connection"),
        ("operations", "operation"),
        ("sharedCommunications", "sharedCommunication"),
    ] {
        let incoming = list(body.get(section).and_then(|x| x.get(item)));
        if incoming.is_empty() {
            continue;
        }
        let mut stored = list(ext[section].get(item));
        for inc in incoming {
            let id = s(&inc, "id").ok_or_else(|| ApiErr::bad(format!("A {item} needs an id.")))?;
            let target = find_by(&mut stored, "id", &id).ok_or_else(|| {
                ApiErr::bad(format!(
                    "{item} {id} is not extensible in environment {env}."
                ))
            })?;
            let mut fields = list(target.get("field"));
            for f in list(inc.get("field")) {
                let fid = s(&f, "id").ok_or_else(|| ApiErr::bad("A field needs an id."))?;
                let sf = find_by(&mut fields, "id", &fid).ok_or_else(|| {
                    ApiErr::bad(format!("Field {fid} of {item} {id} is not extensible."))
                })?;
                apply_field(sf, &f, secret_key(env, &[section, &id, &fid]), secrets);
            }
            target["field"] = Value::Array(fields);
        }
        ext[section] = json!({ item: stored });
    }
    // trading partners: per field inside categories
    let incoming = list(
        body.get("tradingPartners")
            .and_then(|x| x.get("tradingPartner")),
    );
    if !incoming.is_empty() {
        let mut stored = list(ext["tradingPartners"].get("tradingPartner"));
        for inc in incoming {
            let id = s(&inc, "id").ok_or_else(|| ApiErr::bad("A tradingPartner needs an id."))?;
            let target = find_by(&mut stored, "id", &id)
                .ok_or_else(|| ApiErr::bad(format!("tradingPartner {id} is not extensible.")))?;
            let mut cats = list(target.get("category"));
            for c in list(inc.get("category")) {
                let cid = s(&c, "id").unwrap_or_default();
                let sc = find_by(&mut cats, "id", &cid)
                    .ok_or_else(|| ApiErr::bad(format!("Category {cid} is not extensible.")))?;
                let mut fields = list(sc.get("field"));
                for f in list(c.get("field")) {
                    let fid = s(&f, "id").unwrap_or_default();
                    let sf = find_by(&mut fields, "id", &fid)
                        .ok_or_else(|| ApiErr::bad(format!("Field {fid} is not extensible.")))?;
                    apply_field(sf, &f, secret_key(env, &["tp", &id, &cid, &fid]), secrets);
                }
                sc["field"] = Value::Array(fields);
            }
            target["category"] = Value::Array(cats);
        }
        ext["tradingPartners"] = json!({"tradingPartner": stored});
    }
    // dynamic process properties: per property (free-form)
    let incoming = list(body.get("properties").and_then(|x| x.get("property")));
    if !incoming.is_empty() {
        let mut stored = list(ext["properties"].get("property"));
        for inc in incoming {
            let name = s(&inc, "name").ok_or_else(|| ApiErr::bad("A property needs a name."))?;
            let value = s(&inc, "value")
                .ok_or_else(|| ApiErr::bad(format!("Property {name} needs a value.")))?;
            match find_by(&mut stored, "name", &name) {
                Some(p) => p["value"] = json!(value),
                None => stored.push(json!({"name": name, "value": value})),
            }
        }
        ext["properties"] = json!({"property": stored});
    }
    // cross references: per table, all rows
    let incoming = list(
        body.get("crossReferences")
            .and_then(|x| x.get("crossReference")),
    );
    if !incoming.is_empty() {
        let mut stored = list(ext["crossReferences"].get("crossReference"));
        for inc in incoming {
            let id = s(&inc, "id").ok_or_else(|| ApiErr::bad("A crossReference needs an id."))?;
            let target = find_by(&mut stored, "id", &id)
                .ok_or_else(|| ApiErr::bad(format!("crossReference {id} is not extensible.")))?;
            let rows = list(inc.get("CrossReferenceRows").and_then(|r| r.get("row")));
            target["CrossReferenceRows"] = json!({"row": rows});
            target["overrideValues"] = json!(b(&inc, "overrideValues").unwrap_or(true));
        }
        ext["crossReferences"] = json!({"crossReference": stored});
    }
    // PGP certificates: per certificate
    let incoming = list(
        body.get("PGPCertificates")
            .and_then(|x| x.get("PGPCertificate")),
    );
    if !incoming.is_empty() {
        let mut stored = list(ext["PGPCertificates"].get("PGPCertificate"));
        for inc in incoming {
            let id = s(&inc, "id").ok_or_else(|| ApiErr::bad("A PGPCertificate needs an id."))?;
            let target = find_by(&mut stored, "id", &id)
                .ok_or_else(|| ApiErr::bad(format!("PGPCertificate {id} is not extensible.")))?;
            if let Some(v) = s(&inc, "value") {
                target["value"] = json!(v);
            }
            if let Some(ud) = b(&inc, "useDefault") {
                target["useDefault"] = json!(ud);
            }
        }
        ext["PGPCertificates"] = json!({"PGPCertificate": stored});
    }
    // process-property components: per property value
    let incoming = list(
        body.get("processProperties")
            .and_then(|x| x.get("ProcessProperty")),
    );
    if !incoming.is_empty() {
        let mut stored = list(ext["processProperties"].get("ProcessProperty"));
        for inc in incoming {
            let id = s(&inc, "id").ok_or_else(|| ApiErr::bad("A ProcessProperty needs an id."))?;
            let target = find_by(&mut stored, "id", &id)
                .ok_or_else(|| ApiErr::bad(format!("ProcessProperty {id} is not extensible.")))?;
            let mut values = list(target.get("ProcessPropertyValue"));
            for pv in list(inc.get("ProcessPropertyValue")) {
                let key = s(&pv, "key")
                    .ok_or_else(|| ApiErr::bad("A ProcessPropertyValue needs a key."))?;
                let sv = find_by(&mut values, "key", &key).ok_or_else(|| {
                    ApiErr::bad(format!("Process property {key} of {id} is not extensible."))
                })?;
                apply_field(sv, &pv, secret_key(env, &["pp", &id, &key]), secrets);
            }
            target["ProcessPropertyValue"] = Value::Array(values);
        }
        ext["processProperties"] = json!({"ProcessProperty": stored});
    }
    Ok(())
}

/// A full (non-partial) update: everything reverts to its default before the body applies.
fn reset_extensions(ext: &mut Value, env: &str, secrets: &mut BTreeMap<String, String>) {
    let reset_field = |f: &mut Value| {
        f["useDefault"] = json!(true);
        if let Some(o) = f.as_object_mut() {
            o.remove("value");
        }
        if b(f, "usesEncryption") == Some(true) {
            f["encryptedValueSet"] = json!(false);
        }
    };
    for (section, item) in [
        ("connections", "connection"),
        ("operations", "operation"),
        ("sharedCommunications", "sharedCommunication"),
    ] {
        let mut items = list(ext[section].get(item));
        for i in &mut items {
            let mut fields = list(i.get("field"));
            fields.iter_mut().for_each(reset_field);
            i["field"] = Value::Array(fields);
        }
        ext[section] = json!({ item: items });
    }
    let mut pps = list(ext["processProperties"].get("ProcessProperty"));
    for p in &mut pps {
        let mut values = list(p.get("ProcessPropertyValue"));
        values.iter_mut().for_each(reset_field);
        p["ProcessPropertyValue"] = Value::Array(values);
    }
    ext["processProperties"] = json!({"ProcessProperty": pps});
    let mut xrefs = list(ext["crossReferences"].get("crossReference"));
    for x in &mut xrefs {
        x["overrideValues"] = json!(false);
        x["CrossReferenceRows"] = json!({"row": []});
    }
    ext["crossReferences"] = json!({"crossReference": xrefs});
    ext["properties"] = json!({"property": []});
    secrets.retain(|k, _| !k.starts_with(&format!("{env}|")));
}

/// Load seeded extensions: canonical lists, secret values moved out of the JSON.
fn seed_extensions(acct: &mut AccountState, env: &str, ext: &mut Value, seeded: &Value) {
    for (section, item) in EXT_SECTIONS {
        let items = list(seeded.get(*section).and_then(|x| x.get(*item)));
        let mut out = Vec::new();
        for mut it in items {
            let scrub = |f: &mut Value, key: String, secrets: &mut BTreeMap<String, String>| {
                let encrypted = b(f, "usesEncryption").unwrap_or(false);
                if f.get("useDefault").is_none() {
                    f["useDefault"] = json!(f.get("value").is_none());
                }
                if encrypted {
                    let set = match s(f, "value") {
                        Some(v) => {
                            secrets.insert(key, hash_secret(&v));
                            true
                        }
                        None => false,
                    };
                    if let Some(o) = f.as_object_mut() {
                        o.remove("value");
                    }
                    f["encryptedValueSet"] = json!(set);
                } else if f.get("usesEncryption").is_none() && f.get("value").is_some() {
                    f["usesEncryption"] = json!(false);
                }
            };
            let id = s(&it, "id").unwrap_or_default();
            match *section {
                "connections" | "operations" | "sharedCommunications" => {
                    let mut fields = list(it.get("field"));
                    for f in &mut fields {
                        let fid = s(f, "id").unwrap_or_default();
                        scrub(
                            f,
                            secret_key(env, &[section, &id, &fid]),
                            &mut acct.extension_secrets,
                        );
                    }
                    it["field"] = Value::Array(fields);
                }
                "processProperties" => {
                    let mut values = list(it.get("ProcessPropertyValue"));
                    for f in &mut values {
                        let key = s(f, "key").unwrap_or_default();
                        scrub(
                            f,
                            secret_key(env, &["pp", &id, &key]),
                            &mut acct.extension_secrets,
                        );
                    }
                    it["ProcessPropertyValue"] = Value::Array(values);
                }
                "crossReferences" => {
                    let rows = list(it.get("CrossReferenceRows").and_then(|r| r.get("row")));
                    it["CrossReferenceRows"] = json!({"row": rows});
                }
                _ => {}
            }
            out.push(it);
        }
        ext[*section] = json!({ *item: out });
    }
}
