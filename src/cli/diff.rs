//! `promoter diff ID` (a promotion's components through the Boomi API: branch against main, or
//! for a production from test the review diff) and `promoter diff --left FILE --right FILE`
//! (two component XML files). Split from [`super::read`], whose conventions it follows.

use super::read::{fail, open_state, runtime, BoomiArgs};
use super::{print_json, Output};
use crate::model::ErrorCode;
use crate::server::diff as diffs;
use crate::xml;
use anyhow::{anyhow, bail, Result};
use clap::{ArgGroup, Args};
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// `promoter diff ID` (a promotion's components, branch against main) or
/// `promoter diff --left FILE --right FILE` (two component XML files).
#[derive(Debug, Args)]
#[command(
    about = "Diff a promotion's components (branch against main), or two component XML files",
    group(ArgGroup::new("what").args(["id", "left"]).required(true))
)]
pub struct DiffArgs {
    /// The promotion whose components to diff (needs --state and the Boomi flags)
    #[arg(conflicts_with_all = ["left", "right"])]
    pub id: Option<String>,
    /// Only this component (dev id, production id or name)
    #[arg(long, requires = "id")]
    pub component: Option<String>,
    /// The old side file (e.g. main); an empty file means the component is new
    #[arg(long, requires = "right")]
    pub left: Option<PathBuf>,
    /// The new side file (e.g. the promotion branch)
    #[arg(long, requires = "left")]
    pub right: Option<PathBuf>,
    /// Show side-by-side rows instead of a unified diff
    #[arg(long)]
    pub side_by_side: bool,
    /// The daemon's state directory (with a promotion id)
    #[arg(long, env = "PROMOTER_STATE", value_name = "DIR")]
    pub state: Option<PathBuf>,
    #[command(flatten)]
    pub boomi: BoomiArgs,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: Output,
}

/// Run `promoter diff`.
pub fn diff(a: DiffArgs) -> Result<ExitCode> {
    let Some(id) = a.id.clone() else {
        let (Some(left), Some(right)) = (a.left.clone(), a.right.clone()) else {
            bail!("give a promotion id, or --left FILE and --right FILE");
        };
        return super::xml::run_diff(super::xml::DiffArgs {
            left,
            right,
            side_by_side: a.side_by_side,
            output: match a.output {
                Output::Human => super::xml::Output::Human,
                Output::Json => super::xml::Output::Json,
            },
        });
    };
    let state = a
        .state
        .as_deref()
        .ok_or_else(|| anyhow!("give --state DIR (or PROMOTER_STATE) with a promotion id"))?;
    let store = open_state(state)?;
    let Some(rec) = store.get(&id)? else {
        return Ok(fail(
            a.output,
            ErrorCode::PromotionNotFound,
            &format!("promotion {id} not found"),
        ));
    };
    let prod_account = (!rec.prod_account_id.is_empty()).then_some(rec.prod_account_id.as_str());
    // Production from test: the review diff (tested versions against the last production
    // deployment); otherwise branch against main.
    let review = rec.test_promotion_id.is_some();
    // Decide what there is to diff before asking for Boomi credentials.
    if !review {
        if let Err(e) = diffs::check_diffable(&rec, a.component.as_deref()) {
            return Ok(fail(a.output, e.code(), &e.to_string()));
        }
    }
    let platform = a.boomi.platform_or(prod_account)?;
    let outcome = runtime()?.block_on(diffs::review_diff(
        &platform,
        &store,
        &rec,
        a.component.as_deref(),
    ));
    let mut diffs = match outcome {
        Ok(d) => d,
        Err(e) => return Ok(fail(a.output, e.code(), &e.to_string())),
    };
    match a.output {
        Output::Json => {
            if !a.side_by_side {
                for d in &mut diffs {
                    d.rows = None;
                }
            }
            print_json(&json!({
                "ok": true,
                "promotionId": rec.promotion_id,
                "branchId": rec.branch_id,
                "branchName": rec.branch_name,
                "components": diffs,
            }));
        }
        Output::Human => {
            let mut out = std::io::stdout().lock();
            for d in &diffs {
                writeln!(
                    out,
                    "== {} ({}) {}  {}  {} v{} -> {} v{}: {} added, {} removed, {} changed, {} unchanged",
                    d.name,
                    d.component_type,
                    d.prod_component_id,
                    d.component_action,
                    if review { "production" } else { "main" },
                    d.main_version,
                    if review { "tested" } else { "branch" },
                    d.branch_version.map(|v| v.to_string()).unwrap_or("?".into()),
                    d.stats.added,
                    d.stats.removed,
                    d.stats.changed,
                    d.stats.unchanged
                )?;
                if d.identical {
                    writeln!(out, "(no difference)")?;
                } else if a.side_by_side {
                    write_side_by_side(&mut out, d.rows.as_deref().unwrap_or(&[]))?;
                } else {
                    out.write_all(d.unified.as_bytes())?;
                }
                writeln!(out)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Side-by-side rows: left line number and text, a mark (`>` added, `<` removed, `|`
/// changed), right line number and text.
pub(super) fn write_side_by_side(
    out: &mut impl Write,
    rows: &[xml::DiffRow],
) -> std::io::Result<()> {
    let width = rows
        .iter()
        .filter_map(|r| r.left.as_ref())
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0)
        .min(100);
    for r in rows {
        let mark = match r.kind {
            xml::RowKind::Equal => ' ',
            xml::RowKind::Added => '>',
            xml::RowKind::Removed => '<',
            xml::RowKind::Changed => '|',
        };
        let l = r.left.as_deref().unwrap_or("");
        let pad = width.saturating_sub(l.chars().count());
        writeln!(
            out,
            "{:>5} {}{} {} {:>5} {}",
            r.left_line.map(|n| n.to_string()).unwrap_or_default(),
            l,
            " ".repeat(pad),
            mark,
            r.right_line.map(|n| n.to_string()).unwrap_or_default(),
            r.right.as_deref().unwrap_or("")
        )?;
    }
    Ok(())
}
