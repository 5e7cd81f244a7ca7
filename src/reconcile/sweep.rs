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

/// Find (and with `prune`, delete) orphan promotion branches.
pub async fn sweep(ctx: &Context, prune: bool) -> Result<Vec<Orphan>, StepError> {
    let branches = ctx.platform.query_branches(None, None).await?;
    let records = ctx.store.list(&Default::default())?;
    let live = |name: &str, id: &str| {
        records.iter().any(|r| {
            (r.branch_id.as_deref() == Some(id) || r.branch_name.as_deref() == Some(name))
                && !r.status.is_terminal()
                && r.status != PromotionStatus::Queued
        })
    };
    let mut out = Vec::new();
    for b in branches {
        let (Some(name), Some(id)) = (b.name.clone(), b.id.clone()) else {
            continue;
        };
        if !name.starts_with("promo-") || b.deleted == Some(true) || live(&name, &id) {
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
