//! The read commands over the Boomi API — `promoter accounts`, `promoter packages --account
//! DEV` (action A), `promoter packs [--purpose]` (action J) — and [`BoomiArgs`], the Boomi
//! connection flags every Boomi-facing command flattens.
//!
//! The listing logic lives in [`crate::boomi::listing`] (plain async functions over
//! `&dyn Platform`) so the reconciler, the server and tests reuse it.

use crate::boomi::listing::{dev_accounts, dev_packages, integration_packs, PackPurpose};
use crate::boomi::{BoomiError, Credentials, HttpConfig, HttpPlatform, DEFAULT_BASE_URL};
use crate::model::ErrorCode;
use anyhow::Context as _;
use clap::{Args, ValueEnum};
use serde::Serialize;
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

    /// An `HttpPlatform`, with `fallback_primary` (e.g. a promotion record's primary account)
    /// used when no primary account was given.
    pub fn platform_or(&self, fallback_primary: Option<&str>) -> anyhow::Result<HttpPlatform> {
        match (&self.primary_account, fallback_primary) {
            (None, Some(p)) if !p.trim().is_empty() => {
                let with = BoomiArgs {
                    primary_account: Some(p.to_string()),
                    ..self.clone()
                };
                with.platform()
            }
            _ => self.platform(),
        }
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
// Commands

/// List the development sub-accounts of the primary account.
#[derive(Debug, Args)]
pub struct AccountsArgs {
    /// Only the dev accounts this person may use under the access policy (their teams'
    /// accounts; every account for an ADMIN; none for READONLY)
    #[arg(long = "as", value_name = "EMAIL", requires = "repo")]
    pub as_email: Option<String>,
    /// The promotions repository whose access/policy.yaml (committed, at HEAD) decides --as
    #[arg(long, value_name = "PATH")]
    pub repo: Option<std::path::PathBuf>,
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
    /// TEST, PRODUCTION or ALL (any case). TEST packs end in " - TEST"; PRODUCTION packs are
    /// the others.
    #[arg(long, default_value = "ALL", value_parser = clap::builder::ValueParser::new(|s: &str| s.parse::<PackPurpose>()))]
    pub purpose: PackPurpose,
    /// Suggest a pack for this process from the promotion history (action J): the pack of its
    /// newest TEST_DEPLOYED (TEST) or DEPLOYED (PRODUCTION) promotion. Needs --state.
    #[arg(long, value_name = "PROCESS", requires = "state")]
    pub suggest_for: Option<String>,
    /// State directory of the daemon (for --suggest-for)
    #[arg(long, env = "PROMOTER_STATE")]
    pub state: Option<std::path::PathBuf>,
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
        let allowed = match (&args.as_email, &args.repo) {
            (Some(who), Some(repo)) => policy_accounts(repo, who)?,
            _ => None,
        };
        let platform = args.boomi.platform()?;
        let rows = runtime()?.block_on(dev_accounts(&platform, allowed.as_deref()))?;
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
    if let (Some(process), Some(state)) = (&args.suggest_for, &args.state) {
        return suggest_pack(process, state, args.purpose, args.output);
    }
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

/// The dev accounts `who` may use under the committed access policy of `repo`.
fn policy_accounts(repo: &std::path::Path, who: &str) -> Result<Option<Vec<String>>, Failure> {
    let fail = |m: String| Failure {
        code: ErrorCode::InvalidRequest,
        message: m,
    };
    let loaded = super::files::load(repo, None, false).map_err(|e| fail(format!("{e:#}")))?;
    let bytes = loaded
        .files
        .get(crate::policy::verify::POLICY_PATH)
        .ok_or_else(|| fail(format!("{} has no access/policy.yaml", repo.display())))?;
    let policy = match crate::model::parse_document(crate::policy::verify::POLICY_PATH, bytes) {
        Ok(crate::model::Document::AccessPolicy(p)) => p,
        _ => return Err(fail("access/policy.yaml does not parse".into())),
    };
    let access = crate::policy::Access::new(policy);
    if access.person(who).is_none() {
        return Err(Failure {
            code: ErrorCode::UnknownSigner,
            message: format!("{who} is not in the access policy"),
        });
    }
    if !access
        .tier(who)
        .is_some_and(crate::model::Tier::can_contribute)
    {
        return Err(Failure {
            code: ErrorCode::InsufficientTier,
            message: format!("{who} is not a CONTRIBUTOR or ADMIN"),
        });
    }
    if access.is_admin(who) {
        return Ok(None); // an ADMIN sees every account
    }
    Ok(Some(access.accounts_of(who).into_iter().collect()))
}

/// `packs --suggest-for PROCESS`: the suggestion from history, offline (no Boomi call).
fn suggest_pack(
    process: &str,
    state: &std::path::Path,
    purpose: PackPurpose,
    output: Output,
) -> ExitCode {
    let store = match super::read::open_state(state) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(1);
        }
    };
    let targets: &[crate::model::Target] = match purpose {
        PackPurpose::Test => &[crate::model::Target::Test],
        PackPurpose::Production => &[crate::model::Target::Production],
        PackPurpose::All => &[crate::model::Target::Production, crate::model::Target::Test],
    };
    let mut found = None;
    for t in targets {
        match store.suggest_pack(process, *t) {
            Ok(Some(s)) => {
                found = Some(s);
                break;
            }
            Ok(None) => {}
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(1);
            }
        }
    }
    match output {
        Output::Json | Output::Yaml => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "suggestForProcess": process,
                "suggestedPackId": found.as_ref().map(|s| s.pack_id.clone()).unwrap_or_default(),
                "suggestedPackName": found.as_ref().and_then(|s| s.pack_name.clone()).unwrap_or_default(),
                "fromPromotion": found.as_ref().map(|s| s.from_promotion.clone()),
            }))
            .expect("json")
        ),
        Output::Table => match &found {
            Some(s) => println!(
                "suggested: {} ({}) — used by promotion {}",
                s.pack_name.clone().unwrap_or_default(),
                s.pack_id,
                s.from_promotion
            ),
            None => println!("no suggestion: no earlier promotion of {process:?} names a pack"),
        },
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

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
