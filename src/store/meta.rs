//! Accepted promotion ids (never reused), the accepted access policy (with its history) and
//! a small key/value table.

use super::record::{format_ts, parse_ts};
use super::{StoreError, Tx};
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

/// Key of the last commit the reconciler finished.
pub const LAST_RECONCILED_COMMIT: &str = "last_reconciled_commit";

/// A version of `access/policy.yaml` that passed the trust chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AcceptedPolicy {
    /// The exact bytes of the file.
    #[serde(skip)]
    pub bytes: Vec<u8>,
    /// `sha256:<hex>` of `bytes`.
    pub digest: String,
    pub commit: String,
    #[serde(with = "super::record::ts")]
    pub accepted_at: DateTime<Utc>,
}

impl Tx<'_> {
    /// Remember a promotion id as accepted. Returns `true` the first time, `false` when it
    /// was already accepted (ids are never reused).
    pub fn accept_id(&self, id: &str, commit: Option<&str>) -> Result<bool, StoreError> {
        Ok(self.conn().execute(
            "INSERT OR IGNORE INTO accepted_ids (promotion_id, accepted_at, git_commit) VALUES (?1, ?2, ?3)",
            params![id, format_ts(&Utc::now()), commit],
        )? == 1)
    }

    /// Whether an id was ever accepted.
    pub fn is_accepted(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT 1 FROM accepted_ids WHERE promotion_id = ?1",
                [id],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Every id ever accepted, sorted.
    pub fn accepted_ids(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT promotion_id FROM accepted_ids ORDER BY promotion_id")?;
        let ids = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ids)
    }

    /// Record a newly accepted access policy; it becomes the one in force. Accepting the
    /// version already in force (same digest and commit) is a no-op.
    pub fn accept_policy(&self, p: &AcceptedPolicy) -> Result<(), StoreError> {
        if let Some(cur) = self.accepted_policy()? {
            if cur.digest == p.digest && cur.commit == p.commit {
                return Ok(());
            }
        }
        self.conn().execute(
            "INSERT INTO policies (bytes, digest, git_commit, accepted_at) VALUES (?1, ?2, ?3, ?4)",
            params![p.bytes, p.digest, p.commit, format_ts(&p.accepted_at)],
        )?;
        Ok(())
    }

    /// The access policy in force (the last accepted), if any.
    pub fn accepted_policy(&self) -> Result<Option<AcceptedPolicy>, StoreError> {
        let row = self
            .conn()
            .query_row(
                "SELECT bytes, digest, git_commit, accepted_at FROM policies ORDER BY policy_id DESC LIMIT 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, Vec<u8>>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                },
            )
            .optional()?;
        row.map(|(bytes, digest, commit, at)| {
            Ok(AcceptedPolicy {
                bytes,
                digest,
                commit,
                accepted_at: parse_ts(&at)
                    .map_err(|e| StoreError::Corrupt(format!("policy accepted_at {at:?}: {e}")))?,
            })
        })
        .transpose()
    }

    /// A value of the key/value table.
    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    /// Set a value of the key/value table.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }
}
