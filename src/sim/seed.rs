//! The emulator's seed file: accounts, components (component XML in files beside the seed),
//! packaged components, environments with extensions and map extensions, publisher packs,
//! deployments, pinned credentials and faults. Read from YAML with serde-saphyr.

use super::faults::Fault;
use super::SimError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A whole seed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Seed {
    /// The primary (production, publishing) account.
    pub primary_account: SeedAccount,
    /// Development sub-accounts of the primary, reached with `overrideAccount`.
    #[serde(default)]
    pub accounts: Vec<SeedAccount>,
    /// Pinned credentials; when empty any `BOOMI_TOKEN.<user>` / token pair is accepted.
    #[serde(default)]
    pub users: Vec<SeedUser>,
    /// Faults active from the start.
    #[serde(default)]
    pub faults: Vec<Fault>,
}

/// An accepted user/token pair (`user` without the `BOOMI_TOKEN.` prefix).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedUser {
    pub user: String,
    pub token: String,
}

/// One account and what it holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedAccount {
    pub id: String,
    pub name: String,
    #[serde(default = "active")]
    pub status: String,
    #[serde(default)]
    pub components: Vec<SeedComponent>,
    /// Extra branches (besides main), created ready from main.
    #[serde(default)]
    pub branches: Vec<SeedBranch>,
    #[serde(default)]
    pub packages: Vec<SeedPackage>,
    #[serde(default)]
    pub environments: Vec<SeedEnvironment>,
    #[serde(default)]
    pub packs: Vec<SeedPack>,
    #[serde(default)]
    pub deployments: Vec<SeedDeployment>,
}

fn active() -> String {
    "active".into()
}

fn yes() -> bool {
    true
}

/// A component: either a `file` (or inline `xml`) holding a whole `bns:Component`
/// document, or `id` + `name` + `type` + `object` inline. Fields given here override the
/// document's root attributes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedComponent {
    /// Path of a `bns:Component` XML file, relative to the seed file.
    #[serde(default)]
    pub file: Option<PathBuf>,
    /// A `bns:Component` document inline.
    #[serde(default)]
    pub xml: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub sub_type: Option<String>,
    /// `folderFullPath`, e.g. `Team A/Orders`.
    #[serde(default)]
    pub folder: Option<String>,
    /// The configuration (the content of `<bns:object>`) inline.
    #[serde(default)]
    pub object: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// The current revision number (default 1).
    #[serde(default)]
    pub version: Option<u32>,
    #[serde(default)]
    pub created_by: Option<String>,
    #[serde(default)]
    pub created_date: Option<String>,
    #[serde(default)]
    pub modified_date: Option<String>,
}

/// An extra branch.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedBranch {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// A packaged component.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedPackage {
    #[serde(default)]
    pub package_id: Option<String>,
    pub component_id: String,
    pub package_version: String,
    /// Defaults to the component's current version.
    #[serde(default)]
    pub component_version: Option<u32>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default = "yes")]
    pub shareable: bool,
    #[serde(default)]
    pub created_by: Option<String>,
    #[serde(default)]
    pub created_date: Option<String>,
}

/// An environment, its extensions (Boomi's `EnvironmentExtensions` JSON shape; a field with
/// `usesEncryption: true` keeps its `value` secret) and its extensible maps.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedEnvironment {
    pub id: String,
    pub name: String,
    /// `TEST` or `PROD`.
    pub classification: String,
    #[serde(default)]
    pub extensions: Option<Value>,
    #[serde(default)]
    pub map_extensions: Vec<SeedMapExtension>,
}

/// An extensible map in an environment.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedMapExtension {
    pub map_id: String,
    pub process_id: String,
    pub name: String,
    #[serde(default)]
    pub source_connection_id: Option<String>,
    #[serde(default)]
    pub destination_connection_id: Option<String>,
    /// The `Map` object (Boomi's `MapExtension` JSON shape); missing sections are filled.
    #[serde(default)]
    pub map: Option<Value>,
}

/// A publisher integration pack with its released components.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedPack {
    pub id: String,
    pub name: String,
    #[serde(default = "multi")]
    pub installation_type: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub components: Vec<SeedPackComponent>,
}

fn multi() -> String {
    "MULTI".into()
}

/// A component of a pack and the package version currently released.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedPackComponent {
    pub component_id: String,
    pub version: String,
}

/// A deployment of a packaged component to an environment.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedDeployment {
    #[serde(default)]
    pub deployment_id: Option<String>,
    pub environment_id: String,
    pub package_id: String,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub deployed_by: Option<String>,
    #[serde(default)]
    pub deployed_date: Option<String>,
}

impl Seed {
    /// Read a seed file; component `file`s are resolved relative to its directory.
    pub fn from_yaml_file(path: impl AsRef<Path>) -> Result<Seed, SimError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| SimError::Seed {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::parse(&text, base, &path.display().to_string())
    }

    /// Parse a seed from text; relative component files resolve against the current directory.
    pub fn from_yaml_str(text: &str) -> Result<Seed, SimError> {
        Self::parse(text, Path::new("."), "<seed>")
    }

    /// Parse a seed from text with relative component files resolved against `base`.
    pub fn from_yaml_str_in(text: &str, base: &Path) -> Result<Seed, SimError> {
        Self::parse(text, base, "<seed>")
    }

    fn parse(text: &str, base: &Path, origin: &str) -> Result<Seed, SimError> {
        let mut seed: Seed = serde_saphyr::from_str(text).map_err(|e| SimError::Seed {
            path: origin.to_string(),
            message: e.to_string(),
        })?;
        let accounts = std::iter::once(&mut seed.primary_account).chain(seed.accounts.iter_mut());
        for account in accounts {
            for c in &mut account.components {
                if let Some(file) = c.file.take() {
                    let full = base.join(&file);
                    let xml = std::fs::read_to_string(&full).map_err(|e| SimError::Seed {
                        path: full.display().to_string(),
                        message: e.to_string(),
                    })?;
                    c.xml = Some(xml);
                }
            }
        }
        Ok(seed)
    }

    /// A minimal seed: a primary account and the given dev sub-accounts, nothing else.
    pub fn minimal(primary: &str, devs: &[&str]) -> Seed {
        Seed {
            primary_account: SeedAccount {
                id: primary.into(),
                name: format!("{primary} (primary)"),
                status: active(),
                ..Default::default()
            },
            accounts: devs
                .iter()
                .map(|d| SeedAccount {
                    id: (*d).into(),
                    name: (*d).into(),
                    status: active(),
                    ..Default::default()
                })
                .collect(),
            users: Vec::new(),
            faults: Vec::new(),
        }
    }
}
