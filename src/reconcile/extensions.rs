//! The extension access cache refresh after a deployment (`seed-behaviors.md` §6.9): for each
//! deployed environment, read its extensions and record, per extension component, the dev
//! account(s) whose mappings name it and the teams that may edit it. A failure is logged and
//! never fails the deployment.

use super::Context;
use crate::policy::Verified;
use crate::store::{ExtensionAccess, MappingFilter, PromotionRecord};
use std::collections::BTreeMap;

/// An extension component: id, name, cache type, connection?, name when missing.
type Item = (
    Option<String>,
    Option<String>,
    &'static str,
    bool,
    &'static str,
);

/// Refresh the cache for the environments a promotion was deployed to.
pub async fn refresh(
    ctx: &Context,
    desired: &Verified,
    rec: &PromotionRecord,
    root_prod: &str,
    envs: &[String],
) {
    for env in envs {
        if let Err(e) = refresh_one(ctx, desired, rec, root_prod, env).await {
            tracing::warn!(promotion = %rec.promotion_id, environment = %env, error = %e, "extension access cache not refreshed (the deployment stands)");
        }
    }
}

async fn refresh_one(
    ctx: &Context,
    desired: &Verified,
    rec: &PromotionRecord,
    root_prod: &str,
    env: &str,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let ext = ctx.platform.get_environment_extensions(None, env).await?;
    let mut by_prod: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for m in ctx.store.mappings(&MappingFilter::default())? {
        by_prod
            .entry(m.prod_component_id)
            .or_default()
            .push(m.dev_account_id);
    }
    let groups_of = |account: &str| -> Vec<String> {
        desired
            .access
            .as_ref()
            .map(|a| {
                a.policy()
                    .teams
                    .iter()
                    .filter(|t| t.dev_accounts.iter().any(|d| d == account))
                    .map(|t| t.name.clone())
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut items: Vec<Item> = Vec::new();
    for c in &ext.connections.connection {
        items.push((
            c.id.clone(),
            c.name.clone(),
            "connection",
            true,
            "Unknown Connection",
        ));
    }
    for o in &ext.operations.operation {
        items.push((
            o.id.clone(),
            o.name.clone(),
            "operation",
            false,
            "Unknown Operation",
        ));
    }
    for p in &ext.process_properties.process_property {
        items.push((
            p.id.clone(),
            p.name.clone(),
            "processProperty",
            false,
            "Unknown Process Property",
        ));
    }
    for t in &ext.trading_partners.trading_partner {
        items.push((
            t.id.clone(),
            t.name.clone(),
            "tradingPartner",
            false,
            "Unknown Trading Partner",
        ));
    }
    for s in &ext.shared_communications.shared_communication {
        items.push((
            s.id.clone(),
            s.name.clone(),
            "sharedCommunication",
            false,
            "Unknown Shared Communication",
        ));
    }
    let now = ctx.clock.now();
    let mut rows = Vec::new();
    for (id, name, kind, is_connection, unknown) in items {
        let Some(id) = id else { continue };
        let accounts = by_prod.get(&id).cloned().unwrap_or_default();
        let mut distinct: Vec<String> = Vec::new();
        for a in &accounts {
            if !distinct.contains(a) {
                distinct.push(a.clone());
            }
        }
        let mut groups: Vec<String> = Vec::new();
        for a in &distinct {
            for g in groups_of(a) {
                if !groups.contains(&g) {
                    groups.push(g);
                }
            }
        }
        let account = accounts.last().cloned().unwrap_or_default();
        rows.push(ExtensionAccess {
            environment_id: env.to_string(),
            prod_component_id: id,
            component_name: name.unwrap_or_else(|| unknown.to_string()),
            component_type: kind.to_string(),
            owner_process_id: root_prod.to_string(),
            owner_process_name: rec.process_name.clone(),
            dev_account_name: account.clone(),
            dev_account_id: account,
            authorized_groups: groups,
            is_connection_extension: is_connection,
            is_shared_component: distinct.len() > 1,
            last_updated_at: now,
            last_updated_by: "PROCESS_D_DEPLOY".into(),
        });
    }
    let n = rows.len();
    ctx.store.write(|tx| tx.upsert_extension_access(&rows))?;
    tracing::debug!(environment = %env, rows = n, "extension access cache refreshed");
    Ok(())
}
