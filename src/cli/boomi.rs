//! The read commands over the Boomi API — `promoter accounts`, `promoter packages --account
//! DEV` (action A), `promoter packs [--purpose]` (action J) — and [`BoomiArgs`], the Boomi
//! connection flags every Boomi-facing command flattens.
//!
//! The listing logic is in plain async functions over `&dyn Platform` ([`dev_accounts`],
//! [`dev_packages`], [`integration_packs`]) so the reconciler, the server and tests reuse them.

use crate::boomi::wire::{Account, InstallationType, PublisherIntegrationPack};
use crate::boomi::{
    BoomiError, Credentials, HttpConfig, HttpPlatform, PackageQuery, Platform, DEFAULT_BASE_URL,
};
use crate::model::ErrorCode;
use anyhow::Context as _;
use clap::{Args, ValueEnum};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// How to reach Boomi (or `promoter sim`). Flattened into every command that talks to Boomi.
#[derive(Debug, Clone, Args)]
pub struct BoomiArgs {
    /// Base URL of the Boomi Platform API (`promoter sim` serves http://127.0.0.1:9090).
    #[arg(long = "boomi", env = "PROMOTER_BOOMI_URL", default_value = DEFAULT_BASE_URL, value_name = "URL")]
    pub boomi_url: String,
    /// The primary (production) account id, used in every API path. Default: `primaryAccountId`
    /// of `promoter.yaml` in the current directory or in `promotions/`.
    #[arg(long = "primary-account", env = "PROMOTER_ACCOUNT", value_name = "ID")]
    pub primary_account: Option<String>,
    /// File holding `user:token` (or `BOOMI_TOKEN.user:token`). Without it: BOOMI_USERNAME and
    /// BOOMI_TOKEN.
    #[arg(long, env = "BOOMI_TOKEN_FILE", value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Append every HTTP exchange to FILE as JSON lines (Authorization redacted).
    #[arg(long, value_name = "FILE")]
    pub record_http: Option<PathBuf>,
    /// Client-side limit in requests per second (Boomi answers 503 above 10).
    #[arg(
        long,
        env = "PROMOTER_RATE_LIMIT",
        default_value_t = 8,
        value_name = "N"
    )]
    pub rate_limit: u32,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    pub timeout: u64,
}

impl BoomiArgs {
    /// The primary account id: the flag/env, else `promoter.yaml` (current dir, `promotions/`).
    pub fn primary_account_id(&self) -> anyhow::Result<String> {
        if let Some(p) = self.primary_account.as_deref().map(str::trim) {
            if !p.is_empty() {
                return Ok(p.to_string());
            }
        }
        for candidate in ["promoter.yaml", "promotions/promoter.yaml"] {
            if let Some(id) = primary_from_settings(Path::new(candidate))? {
                return Ok(id);
            }
        }
        anyhow::bail!(
            "no primary account: give --primary-account, set PROMOTER_ACCOUNT, or run where promoter.yaml is"
        )
    }

    /// The client configuration (credentials resolved, never printed).
    pub fn http_config(&self) -> anyhow::Result<HttpConfig> {
        let credentials = Credentials::resolve(self.token_file.as_deref())?;
        let mut c = HttpConfig::new(&self.boomi_url, self.primary_account_id()?, credentials);
        c.requests_per_second = self.rate_limit;
        c.record_http = self.record_http.clone();
        c.timeout = Duration::from_secs(self.timeout.max(1));
        Ok(c)
    }

    /// An `HttpPlatform` from these flags.
    pub fn platform(&self) -> anyhow::Result<HttpPlatform> {
        Ok(HttpPlatform::new(self.http_config()?)?)
    }
}

fn primary_from_settings(path: &Path) -> anyhow::Result<Option<String>> {
    let Ok(bytes) = std::fs::read(path) else {
        return Ok(None);
    };
    match crate::model::parse_document(&path.display().to_string(), &bytes) {
        Ok(crate::model::Document::Settings(s)) => Ok(Some(s.primary_account_id)),
        Ok(_) => Ok(None),
        Err(problems) => {
            let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
            anyhow::bail!("{}: {}", path.display(), text.join("; "))
        }
    }
}

/// Output format of the read commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Output {
    /// Aligned columns for people.
    #[default]
    Table,
    Json,
    Yaml,
}

// ---------------------------------------------------------------------------------------------
// Listings (reusable)

/// A development account as `promoter accounts` shows it (action A0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DevAccount {
    pub account_id: String,
    pub account_name: String,
    pub status: Option<String>,
}

/// The primary's sub-accounts, limited to `allow` (account ids the caller may see, from the
/// access policy) when given, sorted by id. Deleted accounts are left out.
pub async fn dev_accounts(
    platform: &dyn Platform,
    allow: Option<&[String]>,
) -> Result<Vec<DevAccount>, BoomiError> {
    let accounts = platform.list_sub_accounts().await?;
    Ok(select_accounts(accounts, allow))
}

/// The pure part of [`dev_accounts`].
pub fn select_accounts(accounts: Vec<Account>, allow: Option<&[String]>) -> Vec<DevAccount> {
    let mut out: Vec<DevAccount> = accounts
        .into_iter()
        .filter(|a| a.status != Some(crate::boomi::wire::AccountStatus::Deleted))
        .filter_map(|a| {
            let id = a.account_id?;
            if let Some(allow) = allow {
                if !allow.iter().any(|x| x == &id) {
                    return None;
                }
            }
            Some(DevAccount {
                account_name: a.name.unwrap_or_else(|| id.clone()),
                account_id: id,
                status: a.status.map(|s| s.to_string()),
            })
        })
        .collect();
    out.sort_by(|a, b| a.account_id.cmp(&b.account_id));
    out
}

/// A packaged component of a dev account (action A's row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DevPackage {
    pub package_id: String,
    pub package_version: String,
    pub component_id: String,
    pub component_name: Option<String>,
    pub component_type: Option<String>,
    pub component_version: Option<i64>,
    pub created_date: Option<String>,
    pub created_by: Option<String>,
    pub notes: Option<String>,
}

/// The packages of a dev account, newest first, with component names and types.
pub async fn dev_packages(
    platform: &dyn Platform,
    dev_account: &str,
) -> Result<Vec<DevPackage>, BoomiError> {
    let packages = platform
        .query_packaged_components(Some(dev_account), &PackageQuery::default())
        .await?;
    let mut names: BTreeMap<String, (Option<String>, Option<String>)> = BTreeMap::new();
    for p in &packages {
        let Some(id) = &p.component_id else { continue };
        if names.contains_key(id) {
            continue;
        }
        let entry = match platform
            .get_component_metadata(Some(dev_account), id, None)
            .await
        {
            Ok(m) => (m.name, m.component_type),
            // A package of a since-deleted component still lists, without a name.
            Err(e) if e.is_not_found() => (None, None),
            Err(e) => return Err(e),
        };
        names.insert(id.clone(), entry);
    }
    let mut out: Vec<DevPackage> = packages
        .into_iter()
        .filter(|p| p.deleted != Some(true))
        .map(|p| {
            let component_id = p.component_id.unwrap_or_default();
            let (name, kind) = names.get(&component_id).cloned().unwrap_or_default();
            DevPackage {
                package_id: p.package_id.unwrap_or_default(),
                package_version: p.package_version.unwrap_or_default(),
                component_name: name,
                component_type: kind.or(p.component_type),
                component_version: p.component_version,
                created_date: p.created_date,
                created_by: p.created_by,
                notes: p.notes,
                component_id,
            }
        })
        .collect();
    sort_newest_first(&mut out);
    Ok(out)
}

fn parse_date(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|d| d.with_timezone(&chrono::Utc))
}

/// Newest `createdDate` first (undated last); ties by package version, highest first.
pub fn sort_newest_first(packages: &mut [DevPackage]) {
    packages.sort_by(|a, b| {
        let da = a.created_date.as_deref().and_then(parse_date);
        let db = b.created_date.as_deref().and_then(parse_date);
        db.cmp(&da)
            .then_with(|| compare_versions(&b.package_version, &a.package_version))
            .then_with(|| a.package_id.cmp(&b.package_id))
    });
}

/// Compare dotted versions numerically where both parts are numbers (`1.10` > `1.9`).
pub fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    let mut ia = a.split(['.', '-']);
    let mut ib = b.split(['.', '-']);
    loop {
        match (ia.next(), ib.next()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, Some(_)) => return std::cmp::Ordering::Less,
            (Some(_), None) => return std::cmp::Ordering::Greater,
            (Some(x), Some(y)) => {
                let o = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(n), Ok(m)) => n.cmp(&m),
                    _ => x.cmp(y),
                };
                if o != std::cmp::Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

/// Which integration packs to list (action J): test packs end in ` - TEST`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
#[value(rename_all = "UPPER")]
pub enum PackPurpose {
    Test,
    Production,
    #[default]
    All,
}

impl PackPurpose {
    /// Whether a pack of this name serves the purpose.
    pub fn matches(self, name: &str) -> bool {
        let test = name.ends_with(" - TEST");
        match self {
            PackPurpose::Test => test,
            PackPurpose::Production => !test,
            PackPurpose::All => true,
        }
    }
}

/// A publisher integration pack as `promoter packs` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PackSummary {
    pub pack_id: String,
    pub pack_name: String,
    pub pack_description: String,
    pub installation_type: Option<String>,
    /// Primary component ids in the pack.
    pub components: Vec<String>,
}

/// The MULTI-install publisher packs for a purpose, sorted by name.
pub async fn integration_packs(
    platform: &dyn Platform,
    purpose: PackPurpose,
) -> Result<Vec<PackSummary>, BoomiError> {
    let packs = platform.query_publisher_packs(None).await?;
    Ok(select_packs(packs, purpose))
}

/// The pure part of [`integration_packs`].
pub fn select_packs(
    packs: Vec<PublisherIntegrationPack>,
    purpose: PackPurpose,
) -> Vec<PackSummary> {
    let mut out: Vec<PackSummary> = packs
        .into_iter()
        .filter(|p| {
            p.installation_type.unwrap_or(InstallationType::Multi) == InstallationType::Multi
        })
        .filter(|p| purpose.matches(p.name.as_deref().unwrap_or("")))
        .map(|p| PackSummary {
            components: p
                .components()
                .iter()
                .filter(|c| c.deleted != Some(true))
                .filter_map(|c| c.component_id.clone())
                .collect(),
            pack_id: p.id.unwrap_or_default(),
            pack_name: p.name.unwrap_or_default(),
            pack_description: p.description,
            installation_type: p.installation_type.map(|t| t.to_string()),
        })
        .collect();
    out.sort_by(|a, b| {
        a.pack_name
            .cmp(&b.pack_name)
            .then(a.pack_id.cmp(&b.pack_id))
    });
    out
}

// ---------------------------------------------------------------------------------------------
// Commands

/// List the development sub-accounts of the primary account.
#[derive(Debug, Args)]
pub struct AccountsArgs {
    #[command(flatten)]
    pub boomi: BoomiArgs,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Output::Table)]
    pub output: Output,
}

/// List the packaged components of a development account, newest first.
#[derive(Debug, Args)]
pub struct PackagesArgs {
    /// The development account (sub-account id).
    #[arg(long, value_name = "DEV_ACCOUNT")]
    pub account: String,
    #[command(flatten)]
    pub boomi: BoomiArgs,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Output::Table)]
    pub output: Output,
}

/// List the integration packs the primary account publishes.
#[derive(Debug, Args)]
pub struct PacksArgs {
    /// TEST packs end in " - TEST"; PRODUCTION packs are the others.
    #[arg(long, value_enum, default_value_t = PackPurpose::All, ignore_case = true)]
    pub purpose: PackPurpose,
    #[command(flatten)]
    pub boomi: BoomiArgs,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Output::Table)]
    pub output: Output,
}

/// A failed command: the code for machines, the message for people.
struct Failure {
    code: ErrorCode,
    message: String,
}

impl From<BoomiError> for Failure {
    fn from(e: BoomiError) -> Self {
        Failure {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        let code = e
            .downcast_ref::<BoomiError>()
            .map(BoomiError::code)
            .unwrap_or(ErrorCode::InvalidRequest);
        Failure {
            code,
            message: format!("{e:#}"),
        }
    }
}

fn finish(command: &str, output: Output, result: Result<String, Failure>) -> ExitCode {
    match result {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(f) => {
            if output == Output::Json {
                println!(
                    "{}",
                    serde_json::json!({"error": {"code": f.code, "message": f.message}})
                );
            }
            eprintln!("promoter {command}: {} {}", f.code, f.message);
            ExitCode::from(1)
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn render<T: Serialize>(output: Output, rows: &[T], table: impl FnOnce() -> String) -> String {
    match output {
        Output::Table => table(),
        Output::Json => {
            let mut s = serde_json::to_string_pretty(rows).expect("rows serialise");
            s.push('\n');
            s
        }
        Output::Yaml => serde_saphyr::to_string(&rows).expect("rows serialise"),
    }
}

/// Aligned columns with a header; `-` for missing cells.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(c);
                s.push_str(&" ".repeat(widths[i] - c.chars().count() + 2));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = line(header.to_vec());
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    out
}

fn cell(v: &Option<String>) -> String {
    v.clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "-".into())
}

/// Run `promoter accounts`.
pub fn run_accounts(args: AccountsArgs) -> ExitCode {
    let result = (|| -> Result<String, Failure> {
        let platform = args.boomi.platform()?;
        let rows = runtime()?.block_on(dev_accounts(&platform, None))?;
        Ok(render(args.output, &rows, || {
            if rows.is_empty() {
                return "no development accounts\n".into();
            }
            table(
                &["ACCOUNT", "NAME", "STATUS"],
                &rows
                    .iter()
                    .map(|a| {
                        vec![
                            a.account_id.clone(),
                            a.account_name.clone(),
                            cell(&a.status),
                        ]
                    })
                    .collect::<Vec<_>>(),
            )
        }))
    })();
    finish("accounts", args.output, result)
}

/// Run `promoter packages --account DEV`.
pub fn run_packages(args: PackagesArgs) -> ExitCode {
    let result = (|| -> Result<String, Failure> {
        let platform = args.boomi.platform()?;
        let rows = runtime()?
            .block_on(dev_packages(&platform, &args.account))
            .map_err(|e| {
                // Boomi refuses an override account outside the hierarchy with 403.
                let mut f = Failure::from(e);
                if f.code == ErrorCode::Unauthorized {
                    f.code = ErrorCode::AccountNotFound;
                }
                f
            })?;
        Ok(render(args.output, &rows, || {
            if rows.is_empty() {
                return format!("no packaged components in {}\n", args.account);
            }
            table(
                &[
                    "CREATED",
                    "VERSION",
                    "COMPONENT",
                    "TYPE",
                    "REV",
                    "CREATED BY",
                    "PACKAGE ID",
                ],
                &rows
                    .iter()
                    .map(|p| {
                        vec![
                            cell(&p.created_date),
                            p.package_version.clone(),
                            p.component_name
                                .clone()
                                .unwrap_or_else(|| p.component_id.clone()),
                            cell(&p.component_type),
                            p.component_version
                                .map(|v| v.to_string())
                                .unwrap_or("-".into()),
                            cell(&p.created_by),
                            p.package_id.clone(),
                        ]
                    })
                    .collect::<Vec<_>>(),
            )
        }))
    })();
    finish("packages", args.output, result)
}

/// Run `promoter packs`.
pub fn run_packs(args: PacksArgs) -> ExitCode {
    let result = (|| -> Result<String, Failure> {
        let platform = args.boomi.platform()?;
        let rows = runtime()?.block_on(integration_packs(&platform, args.purpose))?;
        Ok(render(args.output, &rows, || {
            if rows.is_empty() {
                return "no integration packs\n".into();
            }
            table(
                &["NAME", "PACK ID", "COMPONENTS", "DESCRIPTION"],
                &rows
                    .iter()
                    .map(|p| {
                        vec![
                            p.pack_name.clone(),
                            p.pack_id.clone(),
                            p.components.len().to_string(),
                            if p.pack_description.is_empty() {
                                "-".into()
                            } else {
                                p.pack_description.clone()
                            },
                        ]
                    })
                    .collect::<Vec<_>>(),
            )
        }))
    })();
    finish("packs", args.output, result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boomi::wire::{
        AccountStatus, PublisherPackagedComponent, PublisherPackagedComponents,
    };

    fn pkg(id: &str, version: &str, date: Option<&str>) -> DevPackage {
        DevPackage {
            package_id: id.into(),
            package_version: version.into(),
            component_id: "c".into(),
            component_name: None,
            component_type: None,
            component_version: None,
            created_date: date.map(str::to_string),
            created_by: None,
            notes: None,
        }
    }

    #[test]
    fn packages_sort_newest_first() {
        let mut v = vec![
            pkg("a", "1.0", Some("2026-06-10T12:00:00Z")),
            pkg("b", "1.9", None),
            pkg("c", "1.1", Some("2026-10-01T08:00:00.000Z")),
            pkg("d", "1.10", None),
            pkg("e", "2.0", Some("2026-06-10T14:00:00+02:00")),
        ];
        sort_newest_first(&mut v);
        let ids: Vec<_> = v.iter().map(|p| p.package_id.as_str()).collect();
        // e is 12:00Z like a: same instant, higher version first.
        assert_eq!(ids, vec!["c", "e", "a", "d", "b"]);
    }

    #[test]
    fn versions_compare_numerically() {
        use std::cmp::Ordering::*;
        assert_eq!(compare_versions("1.10", "1.9"), Greater);
        assert_eq!(compare_versions("2.0", "2.0"), Equal);
        assert_eq!(compare_versions("2.0.1", "2.0"), Greater);
        assert_eq!(compare_versions("v2-beta", "v2-alpha"), Greater);
    }

    #[test]
    fn pack_purpose_filters_by_name_and_multi() {
        let pack = |name: &str, t: InstallationType, comps: &[&str]| PublisherIntegrationPack {
            id: Some(format!("id-{name}")),
            name: Some(name.into()),
            installation_type: Some(t),
            publisher_packaged_components: Some(PublisherPackagedComponents {
                publisher_packaged_component: comps
                    .iter()
                    .map(|c| PublisherPackagedComponent {
                        component_id: Some(c.to_string()),
                        ..Default::default()
                    })
                    .collect(),
            }),
            ..Default::default()
        };
        let packs = vec![
            pack("Orders - TEST", InstallationType::Multi, &["x"]),
            pack("Orders - PROD", InstallationType::Multi, &["x", "y"]),
            pack("Single", InstallationType::Single, &[]),
        ];
        let names = |p: PackPurpose| {
            select_packs(packs.clone(), p)
                .into_iter()
                .map(|s| s.pack_name)
                .collect::<Vec<_>>()
        };
        assert_eq!(names(PackPurpose::Test), vec!["Orders - TEST"]);
        assert_eq!(names(PackPurpose::Production), vec!["Orders - PROD"]);
        assert_eq!(
            names(PackPurpose::All),
            vec!["Orders - PROD", "Orders - TEST"]
        );
        assert_eq!(
            select_packs(packs, PackPurpose::Production)[0]
                .components
                .len(),
            2
        );
    }

    #[test]
    fn accounts_respect_the_allow_list() {
        let acct = |id: &str, status| Account {
            account_id: Some(id.into()),
            name: Some(format!("{id} name")),
            status: Some(status),
            ..Default::default()
        };
        let all = vec![
            acct("dev-b", AccountStatus::Active),
            acct("dev-a", AccountStatus::Active),
            acct("gone", AccountStatus::Deleted),
        ];
        let ids = |v: Vec<DevAccount>| v.into_iter().map(|a| a.account_id).collect::<Vec<_>>();
        assert_eq!(
            ids(select_accounts(all.clone(), None)),
            vec!["dev-a", "dev-b"]
        );
        let allow = vec!["dev-b".to_string(), "other".to_string()];
        assert_eq!(
            ids(select_accounts(all.clone(), Some(&allow))),
            vec!["dev-b"]
        );
        assert!(select_accounts(all, Some(&[])).is_empty());
    }

    #[test]
    fn tables_align() {
        let t = table(
            &["A", "LONGER"],
            &[
                vec!["xyz".into(), "1".into()],
                vec!["q".into(), "22".into()],
            ],
        );
        assert_eq!(t, "A    LONGER\nxyz  1\nq    22\n");
    }
}
