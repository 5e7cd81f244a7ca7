//! The read-side commands over the state store: `status`, `show`, `history`, `mappings list`,
//! `mappings export`, and `diff` ([`super::diff`]: a promotion's components, branch against
//! main, through the Boomi API; `diff --left/--right` still diffs two files).
//!
//! Every command takes `--state DIR` (env `PROMOTER_STATE`); the database is
//! `DIR/state.db` ([`state_db`]). A missing database is an error (nothing is created).
//! Human tables by default, `-o json` for scripts; exit 0 on success, 1 when the command
//! failed (an unknown promotion is `PROMOTION_NOT_FOUND`; `show` of a refused request prints
//! its problems and exits 1).
//!
//! Refused documents are shown too ([`super::problems`]): `status` has a PROBLEMS column, rows
//! `REFUSED` for refused requests and the repository problems; `show` a problems section.

use super::problems::{write_problems, write_refused, StatusProblems};
use super::{print_json, Output};

use crate::model::{ErrorCode, PromotionStatus};
use crate::server::diff as diffs;
use crate::server::problems::read_promotion;
use crate::store::{MappingFilter, MappingSource, PromotionFilter, PromotionRecord, Store};
use anyhow::{bail, Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use clap::{ArgGroup, Args, Subcommand};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The state database inside a state directory.
pub fn state_db(dir: impl AsRef<Path>) -> PathBuf {
    dir.as_ref().join("state.db")
}

/// Open the state database of `dir` for reading; it must exist already.
pub fn open_state(dir: &Path) -> Result<Store> {
    let db = state_db(dir);
    if !db.is_file() {
        bail!(
            "no state database at {} (give the daemon's --state directory, or set PROMOTER_STATE)",
            db.display()
        );
    }
    Store::open(&db).with_context(|| format!("opening {}", db.display()))
}

/// `--state DIR`
#[derive(Debug, Clone, Args)]
pub struct StateArgs {
    /// The daemon's state directory (holds state.db)
    #[arg(long, env = "PROMOTER_STATE", value_name = "DIR")]
    pub state: PathBuf,
}

pub use super::boomi::BoomiArgs;
pub use super::diff::{diff, DiffArgs};

/// A single-threaded runtime for one command.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Report a failure with its code: JSON on stdout with `-o json`, a line on stderr otherwise.
pub(crate) fn fail(output: Output, code: ErrorCode, message: &str) -> ExitCode {
    match output {
        Output::Json => print_json(&json!({"ok": false, "code": code, "message": message})),
        Output::Human => eprintln!("error: {code}: {message}"),
    }
    ExitCode::from(1)
}

/// A plain-text table: columns padded to their widest cell, two spaces apart.
pub(crate) fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut s = String::new();
        for (i, c) in cells.enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            s.push_str(c);
            let pad = widths
                .get(i)
                .copied()
                .unwrap_or(0)
                .saturating_sub(c.chars().count());
            s.push_str(&" ".repeat(pad));
        }
        s.trim_end().to_string()
    };
    let mut out = line(&mut headers.iter().copied());
    out.push('\n');
    for r in rows {
        out.push_str(&line(&mut r.iter().map(String::as_str)));
        out.push('\n');
    }
    out
}

fn dash(s: Option<&str>) -> String {
    match s {
        Some(v) if !v.is_empty() => v.to_string(),
        _ => "-".into(),
    }
}

pub(super) fn when(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// `TEST`, `PRODUCTION` or `HOTFIX`.
pub fn mode(r: &PromotionRecord) -> &'static str {
    crate::server::dashboard::mode(r)
}

fn wire<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn parse_status(s: &str) -> Result<PromotionStatus, String> {
    PromotionStatus::parse(&s.trim().to_ascii_uppercase().replace('-', "_")).ok_or_else(|| {
        format!(
            "unknown status {s:?}; one of: {}",
            PromotionStatus::ALL
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

fn parse_source(s: &str) -> Result<MappingSource, String> {
    MappingSource::parse(&s.trim().to_ascii_uppercase())
        .ok_or_else(|| format!("unknown mapping source {s:?}: ENGINE or ADMIN"))
}

/// A start bound: `YYYY-MM-DD` (midnight UTC) or RFC 3339.
fn parse_since(s: &str) -> Result<DateTime<Utc>, String> {
    parse_date(s, false)
}

/// An end bound: `YYYY-MM-DD` (the whole day, UTC) or RFC 3339.
fn parse_until(s: &str) -> Result<DateTime<Utc>, String> {
    parse_date(s, true)
}

fn parse_date(s: &str, end_of_day: bool) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("{s:?} is not a date (YYYY-MM-DD) or an RFC 3339 time"))?;
    let t = if end_of_day {
        d.and_hms_micro_opt(23, 59, 59, 999_999)
    } else {
        d.and_hms_opt(0, 0, 0)
    }
    .expect("valid time of day");
    Ok(t.and_utc())
}

// ---- status -----------------------------------------------------------------------------------

/// `promoter status`: every promotion (newest first) with its open problems, then the
/// refused requests (rows `REFUSED`: open problems and no record; not listed when `--status`
/// or `--account` is given) and the repository problems (always).
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub state: StateArgs,
    /// Only promotions in this status (repeatable, or comma-separated)
    #[arg(long, value_parser = parse_status, value_delimiter = ',')]
    pub status: Vec<PromotionStatus>,
    /// Only promotions of this dev account
    #[arg(long, value_name = "DEV")]
    pub account: Option<String>,
    /// At most this many (newest first)
    #[arg(long)]
    pub limit: Option<usize>,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: Output,
}

fn status_rows(list: &[PromotionRecord], problems: &StatusProblems) -> Vec<Vec<String>> {
    list.iter()
        .map(|r| {
            vec![
                r.promotion_id.clone(),
                r.status.as_str().to_string(),
                r.target_environment.as_str().to_string(),
                mode(r).to_string(),
                r.dev_account_id.clone(),
                dash(r.branch_name.as_deref().or(r.branch_id.as_deref())),
                dash(r.package_version.as_deref()),
                problems.cell(&r.promotion_id),
                dash(r.error_code.map(|c| c.as_str())),
                dash(r.waiting_reason.as_deref()),
            ]
        })
        .collect()
}

/// Run `promoter status`.
pub fn status(a: StatusArgs) -> Result<ExitCode> {
    let store = open_state(&a.state.state)?;
    let filter = PromotionFilter {
        statuses: a.status.clone(),
        dev_account_id: a.account.clone(),
        limit: a.limit,
        ..Default::default()
    };
    let unfiltered = a.status.is_empty() && a.account.is_none();
    let (list, problems) =
        store.read(|tx| Ok((tx.list(&filter)?, StatusProblems::read(tx, unfiltered)?)))?;
    match a.output {
        Output::Json => print_json(&problems.json(&list)),
        Output::Human => {
            let mut rows = status_rows(&list, &problems);
            rows.extend(problems.refused_rows());
            if rows.is_empty() {
                println!("No promotions.");
            } else {
                print!(
                    "{}",
                    table(
                        &[
                            "ID",
                            "STATUS",
                            "TARGET",
                            "MODE",
                            "DEV ACCOUNT",
                            "BRANCH",
                            "VERSION",
                            "PROBLEMS",
                            "ERROR",
                            "WAITING"
                        ],
                        &rows
                    )
                );
            }
            problems.write_repository(&mut std::io::stdout().lock())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

// ---- show -------------------------------------------------------------------------------------

/// `promoter show ID`: the record, its problems (open and cleared), components, deployments,
/// journal and audit trail. A refused request (problems, no record) shows its problems and
/// exits 1; an id with neither is `PROMOTION_NOT_FOUND`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The promotion id
    pub id: String,
    #[command(flatten)]
    pub state: StateArgs,
    /// Add the review diff (production from test: tested versions against the last production
    /// deployment; otherwise the branch against main). Needs the Boomi flags.
    #[arg(long)]
    pub diff: bool,
    #[command(flatten)]
    pub boomi: BoomiArgs,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: Output,
}

/// Run `promoter show`.
pub fn show(a: ShowArgs) -> Result<ExitCode> {
    let store = open_state(&a.state.state)?;
    let (found, problems) = store.read(|tx| read_promotion(tx, &a.id))?;
    let Some((rec, audit, steps)) = found else {
        if !problems.open.is_empty() {
            match a.output {
                Output::Json => print_json(&problems.refused_json(&a.id)),
                Output::Human => write_refused(&mut std::io::stdout().lock(), &a.id, &problems)?,
            }
            return Ok(ExitCode::from(1));
        }
        return Ok(fail(
            a.output,
            ErrorCode::PromotionNotFound,
            &format!("promotion {} not found", a.id),
        ));
    };
    let review = if a.diff {
        let prod_account =
            (!rec.prod_account_id.is_empty()).then_some(rec.prod_account_id.as_str());
        let platform = a.boomi.platform_or(prod_account)?;
        match runtime()?.block_on(diffs::review_diff(&platform, &store, &rec, None)) {
            Ok(mut d) => {
                d.iter_mut().for_each(|c| c.rows = None);
                Some(Ok(d))
            }
            Err(e) => Some(Err(e.to_string())),
        }
    } else {
        None
    };
    if a.output == Output::Json {
        let diff_json = match &review {
            Some(Ok(d)) => json!(d),
            Some(Err(e)) => json!({ "error": e }),
            None => serde_json::Value::Null,
        };
        let mut v =
            json!({ "promotion": rec, "audit": audit, "steps": steps, "reviewDiff": diff_json });
        problems.add_to(&mut v);
        print_json(&v);
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Promotion {}  {}  {}  {}",
        rec.promotion_id,
        rec.status,
        mode(&rec),
        rec.process_name
    )?;
    writeln!(out)?;
    let map = match serde_json::to_value(&rec)? {
        serde_json::Value::Object(m) => m,
        _ => Default::default(),
    };
    let width = map.keys().map(|k| k.len()).max().unwrap_or(0);
    for (k, v) in &map {
        if matches!(k.as_str(), "resultDetail" | "deployments") {
            continue;
        }
        let text = match v {
            serde_json::Value::Null => "-".to_string(),
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        writeln!(out, "  {k:<width$}  {text}")?;
    }
    write_problems(&mut out, &problems)?;

    writeln!(out, "\nComponents ({}):", rec.result_detail.len())?;
    if !rec.result_detail.is_empty() {
        let rows: Vec<Vec<String>> = rec
            .result_detail
            .iter()
            .map(|c| {
                vec![
                    c.name.clone(),
                    c.component_type.clone(),
                    c.dev_component_id.clone(),
                    dash(c.prod_component_id.as_deref()),
                    wire(&c.action),
                    wire(&c.status),
                    c.version.map(|v| v.to_string()).unwrap_or("-".into()),
                    if c.config_stripped { "yes" } else { "no" }.into(),
                    dash(c.error_message.as_deref()),
                ]
            })
            .collect();
        write_indented(
            &mut out,
            &table(
                &[
                    "NAME", "TYPE", "DEV ID", "PROD ID", "ACTION", "STATUS", "VERSION", "STRIPPED",
                    "ERROR",
                ],
                &rows,
            ),
        )?;
    }

    if !rec.tested_versions.is_empty() {
        writeln!(
            out,
            "\nTested on main ({}): what production ships",
            rec.tested_versions.len()
        )?;
        let rows: Vec<Vec<String>> = rec
            .tested_versions
            .iter()
            .map(|t| {
                vec![
                    t.name.clone(),
                    t.component_id.clone(),
                    format!("v{}", t.version),
                ]
            })
            .collect();
        write_indented(
            &mut out,
            &table(&["NAME", "PROD ID", "MAIN VERSION"], &rows),
        )?;
    }

    writeln!(out, "\nDeployments ({}):", rec.deployments.len())?;
    if !rec.deployments.is_empty() {
        let rows: Vec<Vec<String>> = rec
            .deployments
            .iter()
            .map(|d| {
                vec![
                    d.environment_id.clone(),
                    dash(d.deployment_id.as_deref()),
                    wire(&d.status),
                    dash(d.error.as_deref()),
                ]
            })
            .collect();
        write_indented(
            &mut out,
            &table(&["ENVIRONMENT", "DEPLOYMENT", "STATUS", "ERROR"], &rows),
        )?;
    }

    writeln!(out, "\nJournal ({} steps):", steps.len())?;
    for s in &steps {
        writeln!(
            out,
            "  #{} {}  started {}  {}",
            s.id.0,
            s.step,
            when(&s.started_at),
            match &s.finished_at {
                Some(t) => format!("finished {}", when(t)),
                None => "OPEN (no result yet)".into(),
            }
        )?;
        writeln!(out, "      intent: {}", s.intent)?;
        if let Some(r) = &s.result {
            writeln!(out, "      result: {r}")?;
        }
    }

    writeln!(out, "\nAudit trail ({}):", audit.len())?;
    if !audit.is_empty() {
        let rows: Vec<Vec<String>> = audit
            .iter()
            .map(|e| {
                vec![
                    when(&e.at),
                    e.from
                        .map(|s| s.as_str().to_string())
                        .unwrap_or("(created)".into()),
                    e.to.as_str().to_string(),
                    e.actor.clone(),
                    dash(e.document.as_deref()),
                    dash(
                        e.commit
                            .as_deref()
                            .map(|c| c.chars().take(12).collect::<String>())
                            .as_deref(),
                    ),
                    dash(e.reason.as_deref()),
                ]
            })
            .collect();
        write_indented(
            &mut out,
            &table(
                &["AT", "FROM", "TO", "ACTOR", "DOCUMENT", "COMMIT", "REASON"],
                &rows,
            ),
        )?;
    }
    match &review {
        None => {}
        Some(Err(e)) => writeln!(out, "\nReview diff: not available ({e})")?,
        Some(Ok(diffs)) => {
            writeln!(out, "\nReview diff:")?;
            for d in diffs {
                writeln!(
                    out,
                    "  == {} ({}) {}  v{} -> v{}: {} added, {} removed, {} changed",
                    d.name,
                    d.component_action,
                    d.prod_component_id,
                    d.main_version,
                    d.branch_version.unwrap_or(0),
                    d.stats.added,
                    d.stats.removed,
                    d.stats.changed
                )?;
                if !d.identical {
                    write_indented(&mut out, &d.unified)?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn write_indented(out: &mut impl Write, text: &str) -> std::io::Result<()> {
    for l in text.lines() {
        writeln!(out, "  {l}")?;
    }
    Ok(())
}

// ---- history ----------------------------------------------------------------------------------

/// `promoter history --process NAME | --component ID`
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("subject").args(["process", "component"]).required(true)))]
pub struct HistoryArgs {
    /// The root process name (exact)
    #[arg(long)]
    pub process: Option<String>,
    /// A dev or production component id promoted by the promotions
    #[arg(long)]
    pub component: Option<String>,
    /// Only promotions initiated on or after this date (YYYY-MM-DD or RFC 3339)
    #[arg(long, value_parser = parse_since)]
    pub since: Option<DateTime<Utc>>,
    /// Only promotions initiated on or before this date (YYYY-MM-DD: the whole day)
    #[arg(long, value_parser = parse_until)]
    pub until: Option<DateTime<Utc>>,
    /// Only promotions in this status (repeatable, or comma-separated)
    #[arg(long, value_parser = parse_status, value_delimiter = ',')]
    pub status: Vec<PromotionStatus>,
    /// At most this many (newest first)
    #[arg(long)]
    pub limit: Option<usize>,
    #[command(flatten)]
    pub state: StateArgs,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: Output,
}

/// Run `promoter history`.
pub fn history(a: HistoryArgs) -> Result<ExitCode> {
    if let (Some(s), Some(u)) = (a.since, a.until) {
        if s > u {
            bail!("--since is after --until");
        }
    }
    let store = open_state(&a.state.state)?;
    let list = store.list(&PromotionFilter {
        statuses: a.status.clone(),
        process_name: a.process.clone(),
        component_id: a.component.clone(),
        since: a.since,
        until: a.until,
        limit: a.limit,
        ..Default::default()
    })?;
    if a.output == Output::Json {
        print_json(&json!({ "promotions": list }));
        return Ok(ExitCode::SUCCESS);
    }
    if list.is_empty() {
        println!("No promotions found.");
        return Ok(ExitCode::SUCCESS);
    }
    let mut headers = vec![
        "ID",
        "INITIATED",
        "STATUS",
        "MODE",
        "PROCESS",
        "BY",
        "VERSION",
        "CREATED/UPDATED/FAILED",
    ];
    if a.component.is_some() {
        headers.extend(["COMPONENT", "ACTION", "PROD VERSION"]);
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|r| {
            let mut row = vec![
                r.promotion_id.clone(),
                when(&r.initiated_at),
                r.status.as_str().to_string(),
                mode(r).to_string(),
                r.process_name.clone(),
                r.initiated_by.clone(),
                dash(r.package_version.as_deref()),
                format!(
                    "{}/{}/{}",
                    r.components_created, r.components_updated, r.components_failed
                ),
            ];
            if let Some(c) = &a.component {
                let hit = r.result_detail.iter().find(|d| {
                    &d.dev_component_id == c || d.prod_component_id.as_deref() == Some(c)
                });
                row.push(hit.map(|d| d.name.clone()).unwrap_or("-".into()));
                row.push(hit.map(|d| wire(&d.action)).unwrap_or("-".into()));
                row.push(
                    hit.and_then(|d| d.version)
                        .map(|v| v.to_string())
                        .unwrap_or("-".into()),
                );
            }
            row
        })
        .collect();
    print!("{}", table(&headers, &rows));
    Ok(ExitCode::SUCCESS)
}

// ---- mappings ---------------------------------------------------------------------------------

/// `promoter mappings ...`
#[derive(Debug, Subcommand)]
pub enum MappingsCommand {
    /// List component mappings (dev component -> production component)
    List(MappingsListArgs),
    /// Export component mappings as CSV
    Export(MappingsExportArgs),
}

/// `promoter mappings list`
#[derive(Debug, Args)]
pub struct MappingsListArgs {
    /// Only this dev account
    #[arg(long, value_name = "DEV")]
    pub account: Option<String>,
    /// Only mappings written by the engine (ENGINE) or seeded by an admin (ADMIN)
    #[arg(long, value_parser = parse_source)]
    pub source: Option<MappingSource>,
    #[command(flatten)]
    pub state: StateArgs,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: Output,
}

/// `promoter mappings export --csv`
#[derive(Debug, Args)]
pub struct MappingsExportArgs {
    /// CSV (RFC 4180, header line first); the only export format
    #[arg(long, default_value_t = true)]
    pub csv: bool,
    /// Only this dev account
    #[arg(long, value_name = "DEV")]
    pub account: Option<String>,
    /// Only ENGINE or ADMIN mappings
    #[arg(long, value_parser = parse_source)]
    pub source: Option<MappingSource>,
    /// Write to this file instead of stdout
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    #[command(flatten)]
    pub state: StateArgs,
}

/// Run `promoter mappings ...`.
pub fn mappings(c: MappingsCommand) -> Result<ExitCode> {
    match c {
        MappingsCommand::List(a) => {
            let store = open_state(&a.state.state)?;
            let list = store.mappings(&MappingFilter {
                dev_account_id: a.account.clone(),
                source: a.source,
                ..Default::default()
            })?;
            match a.output {
                Output::Json => print_json(&json!({ "mappings": list })),
                Output::Human if list.is_empty() => println!("No mappings."),
                Output::Human => {
                    let rows: Vec<Vec<String>> = list
                        .iter()
                        .map(|m| {
                            vec![
                                m.dev_account_id.clone(),
                                m.dev_component_id.clone(),
                                m.prod_component_id.clone(),
                                m.component_name.clone(),
                                m.component_type.clone(),
                                m.source.as_str().to_string(),
                                m.prod_latest_version
                                    .map(|v| v.to_string())
                                    .unwrap_or("-".into()),
                                m.last_promoted_at.as_ref().map(when).unwrap_or("-".into()),
                                dash(m.last_promotion_id.as_deref()),
                            ]
                        })
                        .collect();
                    print!(
                        "{}",
                        table(
                            &[
                                "DEV ACCOUNT",
                                "DEV COMPONENT",
                                "PROD COMPONENT",
                                "NAME",
                                "TYPE",
                                "SOURCE",
                                "PROD VERSION",
                                "LAST PROMOTED",
                                "PROMOTION"
                            ],
                            &rows
                        )
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        MappingsCommand::Export(a) => {
            if !a.csv {
                bail!("CSV is the only export format");
            }
            let store = open_state(&a.state.state)?;
            let csv = store.export_mappings_csv(&MappingFilter {
                dev_account_id: a.account.clone(),
                source: a.source,
                ..Default::default()
            })?;
            match &a.file {
                Some(p) => {
                    std::fs::write(p, &csv).with_context(|| format!("writing {}", p.display()))?
                }
                None => std::io::stdout().lock().write_all(csv.as_bytes())?,
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(
            parse_since("2026-11-01").unwrap().to_rfc3339(),
            "2026-11-01T00:00:00+00:00"
        );
        let u = parse_until("2026-11-01").unwrap();
        assert_eq!(u.format("%H:%M:%S").to_string(), "23:59:59");
        assert!(parse_since("2026-11-01T10:00:00+02:00").is_ok());
        assert!(parse_since("yesterday").is_err());
    }

    #[test]
    fn statuses_parse_loosely() {
        assert_eq!(
            parse_status("test-deployed").unwrap(),
            PromotionStatus::TestDeployed
        );
        assert!(parse_status("bogus").unwrap_err().contains("QUEUED"));
    }

    #[test]
    fn tables_align() {
        let t = table(
            &["A", "LONG HEADER"],
            &[vec!["xxxx".into(), "y".into()], vec!["z".into(), "".into()]],
        );
        assert_eq!(t, "A     LONG HEADER\nxxxx  y\nz\n");
    }
}
