//! Component mappings: dev component → production component, unique per dev account and dev
//! component id (`seed-behaviors.md` §1.1, action F). Written by the engine after a
//! successful promotion (`ENGINE`) or seeded by an admin's signed mappings file (`ADMIN`).

use super::record::{format_ts, parse_ts};
use super::{StoreError, Tx};
use chrono::{DateTime, Utc};
use rusqlite::types::Value as Sql;
use rusqlite::{params, params_from_iter};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Who wrote a mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MappingSource {
    /// The promotion engine, after every component of a promotion succeeded.
    Engine,
    /// An admin-signed `mappings/<devAccountId>.yaml` (shared connections).
    Admin,
}

impl MappingSource {
    pub fn as_str(self) -> &'static str {
        match self {
            MappingSource::Engine => "ENGINE",
            MappingSource::Admin => "ADMIN",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ENGINE" => Some(MappingSource::Engine),
            "ADMIN" => Some(MappingSource::Admin),
            _ => None,
        }
    }
}

/// One mapping. Several dev components (of one or many accounts) may map to the same
/// production component (shared connections).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentMapping {
    pub dev_account_id: String,
    pub dev_component_id: String,
    pub prod_component_id: String,
    pub component_name: String,
    /// Raw Boomi type, or `connection` for connections (the engine's lookup filters on it).
    pub component_type: String,
    pub prod_account_id: String,
    pub prod_latest_version: Option<i64>,
    #[serde(with = "super::record::ts_opt")]
    pub last_promoted_at: Option<DateTime<Utc>>,
    /// Email, stored lower-case.
    pub last_promoted_by: Option<String>,
    /// The promotion that last wrote it (`None` for admin seeding).
    pub last_promotion_id: Option<String>,
    pub source: MappingSource,
}

/// Filters for [`Tx::mappings`] (ANDed; none: every mapping).
#[derive(Debug, Clone, Default)]
pub struct MappingFilter {
    pub dev_account_id: Option<String>,
    pub dev_component_id: Option<String>,
    pub source: Option<MappingSource>,
    pub component_type: Option<String>,
}

fn row_to_mapping(r: &rusqlite::Row<'_>) -> Result<ComponentMapping, StoreError> {
    let at: Option<String> = r.get(7)?;
    let source: String = r.get(10)?;
    Ok(ComponentMapping {
        dev_account_id: r.get(0)?,
        dev_component_id: r.get(1)?,
        prod_component_id: r.get(2)?,
        component_name: r.get(3)?,
        component_type: r.get(4)?,
        prod_account_id: r.get(5)?,
        prod_latest_version: r.get(6)?,
        last_promoted_at: at
            .map(|s| parse_ts(&s).map_err(|e| StoreError::Corrupt(format!("{s:?}: {e}"))))
            .transpose()?,
        last_promoted_by: r.get(8)?,
        last_promotion_id: r.get(9)?,
        source: MappingSource::parse(&source)
            .ok_or_else(|| StoreError::Corrupt(format!("mapping source {source:?}")))?,
    })
}

impl Tx<'_> {
    /// Insert or replace the mapping of (`devAccountId`, `devComponentId`): a re-promotion
    /// updates it in place, never duplicates it.
    pub fn upsert_mapping(&self, m: &ComponentMapping) -> Result<(), StoreError> {
        if m.dev_account_id.is_empty()
            || m.dev_component_id.is_empty()
            || m.prod_component_id.is_empty()
        {
            return Err(StoreError::Invalid(
                "a mapping needs devAccountId, devComponentId and prodComponentId".into(),
            ));
        }
        self.conn().execute(
            "INSERT INTO mappings (dev_account_id, dev_component_id, prod_component_id, component_name,
                 component_type, prod_account_id, prod_latest_version, last_promoted_at,
                 last_promoted_by, last_promotion_id, source)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (dev_account_id, dev_component_id) DO UPDATE SET
                 prod_component_id = excluded.prod_component_id,
                 component_name = excluded.component_name,
                 component_type = excluded.component_type,
                 prod_account_id = excluded.prod_account_id,
                 prod_latest_version = excluded.prod_latest_version,
                 last_promoted_at = excluded.last_promoted_at,
                 last_promoted_by = excluded.last_promoted_by,
                 last_promotion_id = excluded.last_promotion_id,
                 source = excluded.source",
            params![
                m.dev_account_id,
                m.dev_component_id,
                m.prod_component_id,
                m.component_name,
                m.component_type,
                m.prod_account_id,
                m.prod_latest_version,
                m.last_promoted_at.as_ref().map(format_ts),
                m.last_promoted_by.as_ref().map(|s| s.to_lowercase()),
                m.last_promotion_id,
                m.source.as_str(),
            ],
        )?;
        Ok(())
    }

    /// Mappings matching `filter`, ordered by dev account, then dev component id.
    pub fn mappings(&self, f: &MappingFilter) -> Result<Vec<ComponentMapping>, StoreError> {
        let mut conds = Vec::new();
        let mut args = Vec::new();
        for (col, v) in [
            ("dev_account_id", f.dev_account_id.clone()),
            ("dev_component_id", f.dev_component_id.clone()),
            ("source", f.source.map(|s| s.as_str().to_owned())),
            ("component_type", f.component_type.clone()),
        ] {
            if let Some(v) = v {
                args.push(Sql::Text(v));
                conds.push(format!("{col} = ?{}", args.len()));
            }
        }
        let mut sql = String::from(
            "SELECT dev_account_id, dev_component_id, prod_component_id, component_name, component_type,
                    prod_account_id, prod_latest_version, last_promoted_at, last_promoted_by,
                    last_promotion_id, source
             FROM mappings",
        );
        if !conds.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conds.join(" AND "));
        }
        sql.push_str(" ORDER BY dev_account_id, dev_component_id");
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let mut rows = stmt.query(params_from_iter(args))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(row_to_mapping(r)?);
        }
        Ok(out)
    }

    /// Every mapping of one dev account, keyed by dev component id.
    pub fn mappings_of_account(
        &self,
        dev_account_id: &str,
    ) -> Result<BTreeMap<String, ComponentMapping>, StoreError> {
        Ok(self
            .mappings(&MappingFilter {
                dev_account_id: Some(dev_account_id.to_owned()),
                ..Default::default()
            })?
            .into_iter()
            .map(|m| (m.dev_component_id.clone(), m))
            .collect())
    }

    /// Make the `ADMIN` mappings of one dev account exactly `ms` (a new signed version of
    /// `mappings/<devAccountId>.yaml`): upsert each, delete the account's other `ADMIN`
    /// mappings; `ENGINE` mappings are left alone. Every item must belong to the account and
    /// be `ADMIN`. Returns the dev component ids removed. Do not call this because the file
    /// vanished: that is `DESIRED_STATE_MISSING`, not a signed change.
    pub fn replace_admin_mappings(
        &self,
        dev_account_id: &str,
        ms: &[ComponentMapping],
    ) -> Result<Vec<String>, StoreError> {
        if let Some(m) = ms
            .iter()
            .find(|m| m.dev_account_id != dev_account_id || m.source != MappingSource::Admin)
        {
            return Err(StoreError::Invalid(format!(
                "mapping {}/{} is not an ADMIN mapping of {dev_account_id}",
                m.dev_account_id, m.dev_component_id
            )));
        }
        let keep: std::collections::BTreeSet<&str> =
            ms.iter().map(|m| m.dev_component_id.as_str()).collect();
        let mut removed = Vec::new();
        for old in self.mappings(&MappingFilter {
            dev_account_id: Some(dev_account_id.to_owned()),
            source: Some(MappingSource::Admin),
            ..Default::default()
        })? {
            if !keep.contains(old.dev_component_id.as_str()) {
                self.delete_mapping(dev_account_id, &old.dev_component_id)?;
                removed.push(old.dev_component_id);
            }
        }
        for m in ms {
            self.upsert_mapping(m)?;
        }
        Ok(removed)
    }

    /// Delete one mapping by its key; `false` when there was none.
    pub fn delete_mapping(
        &self,
        dev_account_id: &str,
        dev_component_id: &str,
    ) -> Result<bool, StoreError> {
        Ok(self.conn().execute(
            "DELETE FROM mappings WHERE dev_account_id = ?1 AND dev_component_id = ?2",
            params![dev_account_id, dev_component_id],
        )? == 1)
    }
}

/// The CSV columns, in order.
pub const CSV_HEADER: &[&str] = &[
    "devAccountId",
    "devComponentId",
    "prodComponentId",
    "componentName",
    "componentType",
    "prodAccountId",
    "prodLatestVersion",
    "lastPromotedAt",
    "lastPromotedBy",
    "lastPromotionId",
    "mappingSource",
];

/// Quote a CSV field when needed (RFC 4180). A field starting with `=`, `+`, `-` or `@` is
/// prefixed with `'` so a spreadsheet does not run it as a formula.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// Mappings as CSV with a header line, CRLF line ends (RFC 4180).
pub fn to_csv(ms: &[ComponentMapping]) -> String {
    let mut out = CSV_HEADER.join(",");
    out.push_str("\r\n");
    for m in ms {
        let fields = [
            m.dev_account_id.clone(),
            m.dev_component_id.clone(),
            m.prod_component_id.clone(),
            m.component_name.clone(),
            m.component_type.clone(),
            m.prod_account_id.clone(),
            m.prod_latest_version
                .map(|v| v.to_string())
                .unwrap_or_default(),
            m.last_promoted_at
                .as_ref()
                .map(format_ts)
                .unwrap_or_default(),
            m.last_promoted_by.clone().unwrap_or_default(),
            m.last_promotion_id.clone().unwrap_or_default(),
            m.source.as_str().to_owned(),
        ];
        out.push_str(
            &fields
                .iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=cmd()"), "'=cmd()");
        assert_eq!(csv_field("line\nbreak"), "\"line\nbreak\"");
    }
}
