//! The extension access cache (the seeds' ExtensionAccessMapping, `seed-behaviors.md` §1.4):
//! for each environment and extension component, which teams may edit it, upserted on
//! (environment, production component) after every deployment.

use super::record::{format_ts, parse_ts};
use super::{StoreError, Tx};
use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::Serialize;

/// One row of the cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtensionAccess {
    pub environment_id: String,
    pub prod_component_id: String,
    pub component_name: String,
    /// `connection`, `operation`, `processProperty`, `tradingPartner`, `sharedCommunication`.
    pub component_type: String,
    pub owner_process_id: String,
    pub owner_process_name: String,
    /// Empty when no mapping names the component (admin-only).
    pub dev_account_id: String,
    pub dev_account_name: String,
    /// The teams that may edit it (the seeds' SSO groups), first seen first.
    pub authorized_groups: Vec<String>,
    pub is_connection_extension: bool,
    pub is_shared_component: bool,
    #[serde(with = "super::record::ts")]
    pub last_updated_at: DateTime<Utc>,
    pub last_updated_by: String,
}

impl Tx<'_> {
    /// Insert or replace rows, keyed on (environment, production component).
    pub fn upsert_extension_access(&self, rows: &[ExtensionAccess]) -> Result<(), StoreError> {
        for r in rows {
            self.conn().execute(
                "INSERT OR REPLACE INTO extension_access (environment_id, prod_component_id,
                   component_name, component_type, owner_process_id, owner_process_name,
                   dev_account_id, dev_account_name, authorized_groups, is_connection, is_shared,
                   last_updated_at, last_updated_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                params![
                    r.environment_id,
                    r.prod_component_id,
                    r.component_name,
                    r.component_type,
                    r.owner_process_id,
                    r.owner_process_name,
                    r.dev_account_id,
                    r.dev_account_name,
                    serde_json::to_string(&r.authorized_groups)
                        .map_err(|e| StoreError::Invalid(e.to_string()))?,
                    r.is_connection_extension,
                    r.is_shared_component,
                    format_ts(&r.last_updated_at),
                    r.last_updated_by,
                ],
            )?;
        }
        Ok(())
    }

    /// The cached rows, of one environment or all, ordered by environment and component.
    pub fn extension_access(
        &self,
        environment_id: Option<&str>,
    ) -> Result<Vec<ExtensionAccess>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT environment_id, prod_component_id, component_name, component_type,
                    owner_process_id, owner_process_name, dev_account_id, dev_account_name,
                    authorized_groups, is_connection, is_shared, last_updated_at, last_updated_by
             FROM extension_access WHERE ?1 IS NULL OR environment_id = ?1
             ORDER BY environment_id, prod_component_id",
        )?;
        let mut rows = stmt.query(params![environment_id])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let groups: String = r.get(8)?;
            let at: String = r.get(11)?;
            out.push(ExtensionAccess {
                environment_id: r.get(0)?,
                prod_component_id: r.get(1)?,
                component_name: r.get(2)?,
                component_type: r.get(3)?,
                owner_process_id: r.get(4)?,
                owner_process_name: r.get(5)?,
                dev_account_id: r.get(6)?,
                dev_account_name: r.get(7)?,
                authorized_groups: serde_json::from_str(&groups)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                is_connection_extension: r.get(9)?,
                is_shared_component: r.get(10)?,
                last_updated_at: parse_ts(&at).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                last_updated_by: r.get(12)?,
            });
        }
        Ok(out)
    }
}
