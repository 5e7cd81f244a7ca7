//! `promoter queue`: what waits for a person — the peer-review queue of a reviewer (E2; their
//! own promotions excluded), the admin queue, and the TEST deployments ready for production
//! (E4; no live production successor), with their age coloured green (< 15 days), amber
//! (15–30) and red (> 30).

use super::read::open_state;
use super::{print_json, Output};
use crate::store::PromotionRecord;
use anyhow::Result;
use clap::{ArgGroup, Args};
use serde_json::json;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("which").args(["as_email", "admin", "ready"]).required(true)))]
pub struct QueueArgs {
    /// The peer-review queue of this reviewer (PENDING_PEER_REVIEW, their own left out)
    #[arg(long = "as", value_name = "EMAIL")]
    pub as_email: Option<String>,
    /// The admin queue (PENDING_ADMIN_REVIEW)
    #[arg(long)]
    pub admin: bool,
    /// TEST deployments ready for production (no production successor yet)
    #[arg(long)]
    pub ready: bool,
    /// State directory of the daemon
    #[arg(long, env = "PROMOTER_STATE")]
    pub state: PathBuf,
    #[arg(short = 'o', long, value_enum, default_value_t = Output::Human)]
    pub output: Output,
}

/// Days since a TEST deployment (or since the promotion began).
pub fn age_days(r: &PromotionRecord, now: chrono::DateTime<chrono::Utc>) -> i64 {
    (now - r.test_deployed_at.unwrap_or(r.initiated_at)).num_days()
}

/// `green` under 15 days, `amber` 15 to 30, `red` over 30 (`seed-behaviors.md` §7).
pub fn age_colour(days: i64) -> &'static str {
    match days {
        d if d > 30 => "red",
        d if d >= 15 => "amber",
        _ => "green",
    }
}

pub fn queue(a: QueueArgs) -> Result<ExitCode> {
    let store = open_state(&a.state)?;
    let now = chrono::Utc::now();
    let (title, rows) = if let Some(who) = &a.as_email {
        (
            format!("peer reviews waiting for {who}"),
            store.peer_queue(Some(who))?,
        )
    } else if a.admin {
        (
            "admin decisions waiting".to_string(),
            store.admin_queue(None)?,
        )
    } else {
        (
            "TEST deployments ready for production".to_string(),
            store.ready_queue(None, None)?,
        )
    };
    match a.output {
        Output::Json => print_json(&json!({
            "queue": if a.ready { "ready" } else if a.admin { "admin" } else { "peer" },
            "promotions": rows.iter().map(|r| {
                let days = age_days(r, now);
                json!({
                    "promotionId": r.promotion_id, "status": r.status, "processName": r.process_name,
                    "devAccountId": r.dev_account_id, "initiatedBy": r.initiated_by,
                    "initiatedAt": r.initiated_at, "packageVersion": r.package_version,
                    "isHotfix": r.is_hotfix, "testPromotionId": r.test_promotion_id,
                    "branchName": r.branch_name, "testDeployedAt": r.test_deployed_at,
                    "testIntegrationPackName": r.test_integration_pack_name,
                    "ageDays": days, "age": age_colour(days),
                })
            }).collect::<Vec<_>>(),
        })),
        Output::Human => {
            println!("{title}: {}", rows.len());
            if !rows.is_empty() {
                println!(
                    "{:<28} {:<24} {:<9} {:<12} {:<24} AGE",
                    "PROMOTION", "PROCESS", "VERSION", "ACCOUNT", "INITIATOR"
                );
            }
            let tty = std::io::stdout().is_terminal();
            for r in &rows {
                let days = age_days(r, now);
                let colour = age_colour(days);
                let age = if tty {
                    let code = match colour {
                        "red" => 31,
                        "amber" => 33,
                        _ => 32,
                    };
                    format!("\x1b[{code}m{days}d {colour}\x1b[0m")
                } else {
                    format!("{days}d {colour}")
                };
                println!(
                    "{:<28} {:<24} {:<9} {:<12} {:<24} {age}{}",
                    r.promotion_id,
                    r.process_name,
                    r.package_version.clone().unwrap_or_default(),
                    r.dev_account_id,
                    r.initiated_by,
                    if r.is_hotfix { "  HOTFIX" } else { "" }
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_coloured_by_the_seed_thresholds() {
        assert_eq!(age_colour(0), "green");
        assert_eq!(age_colour(14), "green");
        assert_eq!(age_colour(15), "amber");
        assert_eq!(age_colour(30), "amber");
        assert_eq!(age_colour(31), "red");
    }
}
