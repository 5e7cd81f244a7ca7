//! The orphan-branch sweep: `promo-*` branches of the primary account that belong to no live
//! promotion (a crash before the journal, a record deleted by hand, another installation's
//! leftovers). They are reported, and deleted only when the operator asks (`--prune-orphans`):
//! leaked branches count against Boomi's 20-branch ceiling.

use super::{Context, StepError};
use crate::model::PromotionStatus;

/// A `promo-*` branch that no live promotion owns.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Orphan {
    pub branch_id: String,
    pub name: String,
    pub deleted: bool,
}

/// Find (and with `prune`, delete) orphan promotion branches. First, the branches that ended
/// promotions handed over (Boomi would not delete them when the promotion ended) are deleted
/// again: they are known to be ours.
pub async fn sweep(ctx: &Context, prune: bool) -> Result<Vec<Orphan>, StepError> {
    let mut out = Vec::new();
    for rec in ctx.store.list(&Default::default())? {
        let (true, Some(branch)) = (rec.status.is_terminal(), rec.branch_id.clone()) else {
            continue;
        };
        let name = super::promote::branch_name(&rec.promotion_id);
        match super::promote::delete_branch(ctx, &rec.promotion_id, &branch).await {
            Ok(()) => {
                tracing::info!(promotion = %rec.promotion_id, branch = %name, "handed-over branch deleted");
                out.push(Orphan {
                    branch_id: branch,
                    name,
                    deleted: true,
                });
            }
            Err(e) => {
                tracing::warn!(promotion = %rec.promotion_id, branch = %name, error = %e, "handed-over branch still not deleted; the next sweep tries again");
                out.push(Orphan {
                    branch_id: branch,
                    name,
                    deleted: false,
                });
            }
        }
    }
    let branches = ctx.platform.query_branches(None, None).await?;
    let records = ctx.store.list(&Default::default())?;
    let live = |name: &str, id: &str| {
        records.iter().any(|r| {
            (r.branch_id.as_deref() == Some(id) || r.branch_name.as_deref() == Some(name))
                && !r.status.is_terminal()
                && r.status != PromotionStatus::Queued
        })
    };
    for b in branches {
        let (Some(name), Some(id)) = (b.name.clone(), b.id.clone()) else {
            continue;
        };
        if !name.starts_with("promo-")
            || b.deleted == Some(true)
            || live(&name, &id)
            || out.iter().any(|o| o.branch_id == id)
        {
            continue;
        }
        let deleted = if prune {
            ctx.platform.delete_branch(None, &id).await?;
            tracing::warn!(branch = %name, "orphan promotion branch deleted");
            true
        } else {
            tracing::warn!(branch = %name, "orphan promotion branch (run with --prune-orphans to delete it)");
            false
        };
        out.push(Orphan {
            branch_id: id,
            name,
            deleted,
        });
    }
    Ok(out)
}
