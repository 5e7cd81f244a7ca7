//! The emulator's state and Boomi's behaviour over it, free of HTTP: accounts, components
//! with revisions per branch, branches, merge requests, packaged components, publisher packs,
//! releases, deployments, environments, extensions and map extensions. Every operation
//! takes and returns canonical JSON (or component XML) and fails with an [`ApiErr`] that the
//! server turns into Boomi's error body.
//!
//! This file owns the state types ([`SimState`], [`AccountState`]), the per-call context
//! ([`Ctx`]), the shared helpers (clock, ids, lenient JSON field readers) and the
//! `/__sim/state` summary. Each object family has its own file, with its record types and
//! the `SimState` operations over it:
//!
//! | file | owns |
//! |---|---|
//! | `seeding.rs` | building the state from a [`Seed`](super::Seed) |
//! | `accounts.rs` | accounts (`overrideAccount`) and environments |
//! | `components.rs` | components, revisions, folders, metadata and reference queries |
//! | `branches.rs` | branches: creation, readiness, limit, deletion |
//! | `merges.rs` | merge requests: drafting, stages, OVERRIDE merges |
//! | `packages.rs` | packaged components |
//! | `packs.rs` | publisher integration packs and their releases |
//! | `deployments.rs` | deployed packages |
//! | `extensions.rs` | environment extensions (partial updates, encrypted values) |
//! | `map_extensions.rs` | environment map extensions |

mod accounts;
mod branches;
mod components;
mod deployments;
mod extensions;
mod map_extensions;
mod merges;
mod packages;
mod packs;
mod seeding;

pub use accounts::EnvironmentRec;
pub use branches::BranchRec;
pub use components::{ComponentRec, Revision};
pub use deployments::DeploymentRec;
pub use map_extensions::MapExtRec;
pub use merges::MergeRec;
pub use packages::PackageRec;
pub use packs::{PackComponent, PackRec, ReleaseRec};

use super::faults::ActiveFault;
use super::seed::{SeedAccount, SeedUser};
use super::SimConfig;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

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
}

impl SimState {
    pub fn acct(&self, id: &str) -> &AccountState {
        &self.accounts[id]
    }

    fn acct_mut(&mut self, id: &str) -> &mut AccountState {
        self.accounts.get_mut(id).expect("effective account exists")
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
