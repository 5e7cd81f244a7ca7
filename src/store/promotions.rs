//! Promotion records: insert, compare-and-set transitions with their audit rows, edits,
//! the queries of the CLI and the reconciler, and the step journal.

use super::record::{self, format_ts, parse_ts, PromotionRecord, COLUMNS};
use super::{StoreError, Tx};
use crate::model::status::can_transition;
use crate::model::{PromotionStatus, Target};
use chrono::{DateTime, Utc};
use rusqlite::types::Value as Sql;
use rusqlite::{params, params_from_iter, OptionalExtension};
use serde::Serialize;

/// Who or what caused a change, for the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cause {
    /// An email (lower-cased when stored) or `reconciler`.
    pub actor: String,
    /// The document behind the change, e.g. `promotions/x/peer-review.yaml`.
    pub document: Option<String>,
    /// The commit the document was read at.
    pub commit: Option<String>,
    /// Free text (an error message, "branch deleted", ...).
    pub reason: Option<String>,
    #[serde(with = "super::record::ts")]
    pub at: DateTime<Utc>,
}

impl Cause {
    /// A cause by `actor`, now.
    pub fn new(actor: impl Into<String>) -> Self {
        Cause {
            actor: actor.into(),
            document: None,
            commit: None,
            reason: None,
            at: Utc::now(),
        }
    }

    pub fn document(mut self, path: impl Into<String>) -> Self {
        self.document = Some(path.into());
        self
    }

    pub fn commit(mut self, commit: impl Into<String>) -> Self {
        self.commit = Some(commit.into());
        self
    }

    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    pub fn at(mut self, at: DateTime<Utc>) -> Self {
        self.at = at;
        self
    }
}

/// A status change: compare-and-set against the stored status, checked against the
/// transition table, audited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub to: PromotionStatus,
    /// When set, the stored status must be exactly this one (the status the caller decided
    /// from); otherwise the change is refused with [`StoreError::StatusConflict`].
    pub expected: Option<PromotionStatus>,
    pub cause: Cause,
}

impl Transition {
    /// A transition to `to`, from whatever is stored (still checked against the table).
    pub fn to(to: PromotionStatus, cause: Cause) -> Self {
        Transition {
            to,
            expected: None,
            cause,
        }
    }

    /// A transition that only happens if the stored status is `from`.
    pub fn from_to(from: PromotionStatus, to: PromotionStatus, cause: Cause) -> Self {
        Transition {
            to,
            expected: Some(from),
            cause,
        }
    }
}

/// One row of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub id: i64,
    pub promotion_id: String,
    /// `None` when the record was created.
    pub from: Option<PromotionStatus>,
    pub to: PromotionStatus,
    pub actor: String,
    pub document: Option<String>,
    pub commit: Option<String>,
    pub reason: Option<String>,
    #[serde(with = "super::record::ts")]
    pub at: DateTime<Utc>,
}

/// Filters for [`Tx::list`]; every filter given is ANDed. Results are newest first
/// (`initiatedAt`, then id, descending).
#[derive(Debug, Clone, Default)]
pub struct PromotionFilter {
    /// Any of these statuses (empty: any).
    pub statuses: Vec<PromotionStatus>,
    pub dev_account_id: Option<String>,
    /// Compared case-insensitively.
    pub initiated_by: Option<String>,
    pub target: Option<Target>,
    /// Exact match.
    pub process_name: Option<String>,
    /// A dev or prod component id appearing in `resultDetail`.
    pub component_id: Option<String>,
    /// `initiatedAt >= since`.
    pub since: Option<DateTime<Utc>>,
    /// `initiatedAt <= until`.
    pub until: Option<DateTime<Utc>>,
    pub limit: Option<usize>,
}

/// An integration pack suggested from history (`seed-behaviors.md` §6.15).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PackSuggestion {
    pub pack_id: String,
    pub pack_name: Option<String>,
    /// The promotion the suggestion comes from.
    pub from_promotion: String,
}

/// The id of a journal step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct StepId(pub i64);

/// One journal entry: the intent recorded before a Boomi mutation, and its result after.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    pub id: StepId,
    pub promotion_id: String,
    pub step: String,
    pub intent: serde_json::Value,
    #[serde(with = "super::record::ts")]
    pub started_at: DateTime<Utc>,
    /// `None` while the step is open (crash recovery looks the object up first).
    pub result: Option<serde_json::Value>,
    #[serde(with = "super::record::ts_opt")]
    pub finished_at: Option<DateTime<Utc>>,
}

/// Production statuses that do not count as a successor of a TEST promotion: a failed,
/// rejected or withdrawn production attempt lets the test deployment be promoted again
/// (`seed-behaviors.md` §6.8, [REC]).
const DEAD_SUCCESSOR: &str = "'FAILED', 'WITHDRAWN', 'PEER_REJECTED', 'ADMIN_REJECTED'";

/// The seeds' limit on `errorMessage`, in characters.
pub const ERROR_MESSAGE_LIMIT: usize = 5000;

/// What every stored record obeys: emails lower-case (they compare case-insensitively
/// everywhere), `errorMessage` at most [`ERROR_MESSAGE_LIMIT`] characters.
fn normalise(rec: &mut PromotionRecord) {
    rec.initiated_by = rec.initiated_by.to_lowercase();
    for email in [
        &mut rec.peer_reviewed_by,
        &mut rec.admin_approved_by,
        &mut rec.promoted_from_test_by,
    ]
    .into_iter()
    .flatten()
    {
        *email = email.to_lowercase();
    }
    if let Some(m) = &mut rec.error_message {
        if m.chars().count() > ERROR_MESSAGE_LIMIT {
            let cut: String = m.chars().take(ERROR_MESSAGE_LIMIT - 1).collect();
            *m = format!("{cut}…");
        }
    }
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn ts_col(s: String) -> Result<DateTime<Utc>, StoreError> {
    parse_ts(&s).map_err(|e| corrupt(format!("timestamp {s:?}: {e}")))
}

fn status_col(s: &str) -> Result<PromotionStatus, StoreError> {
    PromotionStatus::parse(s).ok_or_else(|| corrupt(format!("unknown status {s:?}")))
}

impl Tx<'_> {
    fn query_records(&self, sql: &str, args: Vec<Sql>) -> Result<Vec<PromotionRecord>, StoreError> {
        let mut stmt = self.conn().prepare_cached(sql)?;
        let mut rows = stmt.query(params_from_iter(args))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(record::from_row(row, 0).map_err(corrupt)?);
        }
        Ok(out)
    }

    fn write_record(
        &self,
        rec: &PromotionRecord,
        stored_status: Option<PromotionStatus>,
    ) -> Result<(), StoreError> {
        let values = record::to_values(rec).map_err(StoreError::Invalid)?;
        match stored_status {
            None => {
                let cols = COLUMNS
                    .iter()
                    .map(|(c, _)| format!("\"{c}\""))
                    .collect::<Vec<_>>();
                let marks = (1..=COLUMNS.len())
                    .map(|i| format!("?{i}"))
                    .collect::<Vec<_>>();
                let sql = format!(
                    "INSERT INTO promotions ({}) VALUES ({})",
                    cols.join(", "),
                    marks.join(", ")
                );
                self.conn().execute(&sql, params_from_iter(values))?;
            }
            Some(stored) => {
                let sets = COLUMNS
                    .iter()
                    .enumerate()
                    .map(|(i, (c, _))| format!("\"{c}\" = ?{}", i + 1))
                    .collect::<Vec<_>>();
                let n = COLUMNS.len();
                let sql = format!(
                    "UPDATE promotions SET {} WHERE \"promotionId\" = ?{} AND \"status\" = ?{}",
                    sets.join(", "),
                    n + 1,
                    n + 2
                );
                let mut args = values;
                args.push(Sql::Text(rec.promotion_id.clone()));
                args.push(Sql::Text(stored.as_str().to_owned()));
                let changed = self.conn().execute(&sql, params_from_iter(args))?;
                if changed != 1 {
                    return Err(StoreError::Invalid(format!(
                        "promotion {} changed underneath the update",
                        rec.promotion_id
                    )));
                }
            }
        }
        Ok(())
    }

    fn write_audit(
        &self,
        id: &str,
        from: Option<PromotionStatus>,
        to: PromotionStatus,
        cause: &Cause,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO audit (promotion_id, from_status, to_status, actor, document, git_commit, reason, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                id,
                from.map(|s| s.as_str()),
                to.as_str(),
                cause.actor.to_lowercase(),
                cause.document,
                cause.commit,
                cause.reason,
                format_ts(&cause.at),
            ],
        )?;
        Ok(())
    }

    /// Create a promotion record. Its status must be a valid first status
    /// (`can_transition(mode, None, status)`); its id must never have had a record. The id is also
    /// remembered as accepted, and the creation is audited. Emails are stored lower-case,
    /// `errorMessage` is bounded ([`ERROR_MESSAGE_LIMIT`]); `updatedAt` is the cause's time.
    pub fn insert_promotion(
        &self,
        rec: &PromotionRecord,
        cause: &Cause,
    ) -> Result<PromotionRecord, StoreError> {
        if !can_transition(rec.mode(), None, rec.status) {
            return Err(StoreError::RefusedTransition {
                promotion: rec.promotion_id.clone(),
                from: None,
                to: rec.status,
            });
        }
        if self.get(&rec.promotion_id)?.is_some() {
            return Err(StoreError::AlreadyExists(rec.promotion_id.clone()));
        }
        let mut rec = rec.clone();
        normalise(&mut rec);
        rec.updated_at = cause.at;
        self.write_record(&rec, None)?;
        self.accept_id(&rec.promotion_id, cause.commit.as_deref())?;
        self.write_audit(&rec.promotion_id, None, rec.status, cause)?;
        Ok(rec)
    }

    /// The record of a promotion, if any.
    pub fn get(&self, id: &str) -> Result<Option<PromotionRecord>, StoreError> {
        let sql = format!(
            "SELECT {} FROM promotions WHERE \"promotionId\" = ?1",
            record::select_list("")
        );
        Ok(self
            .query_records(&sql, vec![Sql::Text(id.to_owned())])?
            .into_iter()
            .next())
    }

    /// The record of a promotion, or [`StoreError::NotFound`].
    pub fn require(&self, id: &str) -> Result<PromotionRecord, StoreError> {
        self.get(id)?
            .ok_or_else(|| StoreError::NotFound(id.to_owned()))
    }

    /// Change the status (compare-and-set, audited) without other edits.
    pub fn transition(&self, id: &str, t: &Transition) -> Result<PromotionRecord, StoreError> {
        self.apply(id, Some(t), |_| {})
    }

    /// Edit fields of a record without changing its status.
    pub fn update(
        &self,
        id: &str,
        edit: impl FnOnce(&mut PromotionRecord),
    ) -> Result<PromotionRecord, StoreError> {
        self.apply(id, None, edit)
    }

    /// Apply `edit` to the stored record and, when `t` is given, change its status:
    ///
    /// - the stored status must equal `t.expected` when that is set ([`StoreError::StatusConflict`]);
    /// - `stored -> t.to` must be in the transition table ([`StoreError::RefusedTransition`]);
    /// - an audit row is written in the same transaction.
    ///
    /// `edit` may not change `promotionId` or `status` (statuses change only through a
    /// transition). `updatedAt` is set to the transition's time (or now). Returns the record
    /// as stored.
    pub fn apply(
        &self,
        id: &str,
        t: Option<&Transition>,
        edit: impl FnOnce(&mut PromotionRecord),
    ) -> Result<PromotionRecord, StoreError> {
        let stored = self.require(id)?;
        let mut rec = stored.clone();
        edit(&mut rec);
        if rec.promotion_id != stored.promotion_id || rec.status != stored.status {
            return Err(StoreError::Invalid(format!(
                "promotion {id}: an edit may not change the id or the status"
            )));
        }
        normalise(&mut rec);
        rec.updated_at = Utc::now();
        if let Some(t) = t {
            if let Some(expected) = t.expected {
                if expected != stored.status {
                    return Err(StoreError::StatusConflict {
                        promotion: id.to_owned(),
                        expected,
                        actual: stored.status,
                    });
                }
            }
            if !can_transition(stored.mode(), Some(stored.status), t.to) {
                return Err(StoreError::RefusedTransition {
                    promotion: id.to_owned(),
                    from: Some(stored.status),
                    to: t.to,
                });
            }
            rec.status = t.to;
            rec.updated_at = t.cause.at;
        }
        self.write_record(&rec, Some(stored.status))?;
        if let Some(t) = t {
            self.write_audit(id, Some(stored.status), t.to, &t.cause)?;
        }
        Ok(rec)
    }

    /// Records matching `filter`, newest first.
    pub fn list(&self, f: &PromotionFilter) -> Result<Vec<PromotionRecord>, StoreError> {
        let mut conds: Vec<String> = Vec::new();
        let mut args: Vec<Sql> = Vec::new();
        let arg = |v: Sql, args: &mut Vec<Sql>| {
            args.push(v);
            format!("?{}", args.len())
        };
        if !f.statuses.is_empty() {
            let marks = f
                .statuses
                .iter()
                .map(|s| arg(Sql::Text(s.as_str().into()), &mut args))
                .collect::<Vec<_>>();
            conds.push(format!("p.\"status\" IN ({})", marks.join(", ")));
        }
        if let Some(a) = &f.dev_account_id {
            let m = arg(Sql::Text(a.clone()), &mut args);
            conds.push(format!("p.\"devAccountId\" = {m}"));
        }
        if let Some(by) = &f.initiated_by {
            let m = arg(Sql::Text(by.to_lowercase()), &mut args);
            conds.push(format!("p.\"initiatedBy\" = {m}"));
        }
        if let Some(t) = f.target {
            let m = arg(Sql::Text(t.as_str().into()), &mut args);
            conds.push(format!("p.\"targetEnvironment\" = {m}"));
        }
        if let Some(p) = &f.process_name {
            let m = arg(Sql::Text(p.clone()), &mut args);
            conds.push(format!("p.\"processName\" = {m}"));
        }
        if let Some(c) = &f.component_id {
            let m = arg(Sql::Text(c.clone()), &mut args);
            conds.push(format!(
                "EXISTS (SELECT 1 FROM json_each(p.\"resultDetail\") j
                   WHERE json_extract(j.value, '$.devComponentId') = {m}
                      OR json_extract(j.value, '$.prodComponentId') = {m})"
            ));
        }
        if let Some(s) = &f.since {
            let m = arg(Sql::Text(format_ts(s)), &mut args);
            conds.push(format!("p.\"initiatedAt\" >= {m}"));
        }
        if let Some(u) = &f.until {
            let m = arg(Sql::Text(format_ts(u)), &mut args);
            conds.push(format!("p.\"initiatedAt\" <= {m}"));
        }
        let mut sql = format!("SELECT {} FROM promotions p", record::select_list("p."));
        if !conds.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conds.join(" AND "));
        }
        sql.push_str(" ORDER BY p.\"initiatedAt\" DESC, p.\"promotionId\" DESC");
        if let Some(l) = f.limit {
            sql.push_str(&format!(" LIMIT {l}"));
        }
        self.query_records(&sql, args)
    }

    fn queue(
        &self,
        status: PromotionStatus,
        viewer: Option<&str>,
    ) -> Result<Vec<PromotionRecord>, StoreError> {
        let viewer = viewer.map(str::to_lowercase);
        Ok(self
            .list(&PromotionFilter {
                statuses: vec![status],
                ..Default::default()
            })?
            .into_iter()
            .filter(|r| viewer.as_deref() != Some(r.initiated_by.as_str()))
            .collect())
    }

    /// Promotions waiting for a peer (`PENDING_PEER_REVIEW`), newest first, without those
    /// `viewer` initiated (case-insensitive): nobody reviews their own promotion.
    pub fn peer_queue(&self, viewer: Option<&str>) -> Result<Vec<PromotionRecord>, StoreError> {
        self.queue(PromotionStatus::PendingPeerReview, viewer)
    }

    /// Promotions waiting for an admin (`PENDING_ADMIN_REVIEW`), newest first, without those
    /// `viewer` initiated.
    pub fn admin_queue(&self, viewer: Option<&str>) -> Result<Vec<PromotionRecord>, StoreError> {
        self.queue(PromotionStatus::PendingAdminReview, viewer)
    }

    /// TEST promotions ready for production (`seed-behaviors.md` E4/§6.8): `TEST_DEPLOYED`
    /// TEST records with no live PRODUCTION successor (a failed, rejected or withdrawn one
    /// does not count), optionally of one dev account / initiator; newest test deploy first.
    pub fn ready_queue(
        &self,
        dev_account_id: Option<&str>,
        initiated_by: Option<&str>,
    ) -> Result<Vec<PromotionRecord>, StoreError> {
        let sql = format!(
            "SELECT {} FROM promotions p
             WHERE p.\"targetEnvironment\" = 'TEST' AND p.\"status\" = 'TEST_DEPLOYED'
               AND (?1 IS NULL OR p.\"devAccountId\" = ?1)
               AND (?2 IS NULL OR p.\"initiatedBy\" = ?2)
               AND NOT EXISTS (
                   SELECT 1 FROM promotions s
                   WHERE s.\"targetEnvironment\" = 'PRODUCTION'
                     AND s.\"testPromotionId\" = p.\"promotionId\"
                     AND s.\"status\" NOT IN ({DEAD_SUCCESSOR}))
             ORDER BY COALESCE(p.\"testDeployedAt\", p.\"initiatedAt\") DESC, p.\"promotionId\" DESC",
            record::select_list("p.")
        );
        let opt = |v: Option<String>| v.map(Sql::Text).unwrap_or(Sql::Null);
        self.query_records(
            &sql,
            vec![
                opt(dev_account_id.map(str::to_owned)),
                opt(initiated_by.map(str::to_lowercase)),
            ],
        )
    }

    /// The live PRODUCTION promotion built on TEST promotion `test_id`, if any (a failed,
    /// rejected or withdrawn one is not live).
    pub fn production_successor(
        &self,
        test_id: &str,
    ) -> Result<Option<PromotionRecord>, StoreError> {
        let sql = format!(
            "SELECT {} FROM promotions p
             WHERE p.\"targetEnvironment\" = 'PRODUCTION' AND p.\"testPromotionId\" = ?1
               AND p.\"status\" NOT IN ({DEAD_SUCCESSOR})
             ORDER BY p.\"initiatedAt\" DESC LIMIT 1",
            record::select_list("p.")
        );
        Ok(self
            .query_records(&sql, vec![Sql::Text(test_id.to_owned())])?
            .into_iter()
            .next())
    }

    /// The pack to suggest for a new promotion of `process_name` to `target`
    /// (`seed-behaviors.md` §6.15): TEST → the newest `TEST_DEPLOYED` TEST record's test pack;
    /// PRODUCTION → the newest `DEPLOYED` record's pack. Newest by the deploy time, falling
    /// back to `initiatedAt`.
    pub fn suggest_pack(
        &self,
        process_name: &str,
        target: Target,
    ) -> Result<Option<PackSuggestion>, StoreError> {
        let sql = match target {
            Target::Test => {
                "SELECT COALESCE(NULLIF(\"testIntegrationPackId\", ''), \"integrationPackId\"),
                        CASE WHEN COALESCE(\"testIntegrationPackId\", '') <> ''
                             THEN \"testIntegrationPackName\" ELSE \"integrationPackName\" END,
                        \"promotionId\"
                 FROM promotions
                 WHERE \"processName\" = ?1 AND \"targetEnvironment\" = 'TEST'
                   AND \"status\" = 'TEST_DEPLOYED'
                   AND COALESCE(NULLIF(\"testIntegrationPackId\", ''), NULLIF(\"integrationPackId\", '')) IS NOT NULL
                 ORDER BY COALESCE(\"testDeployedAt\", \"initiatedAt\") DESC, \"promotionId\" DESC
                 LIMIT 1"
            }
            Target::Production => {
                "SELECT \"integrationPackId\", \"integrationPackName\", \"promotionId\"
                 FROM promotions
                 WHERE \"processName\" = ?1 AND \"targetEnvironment\" = 'PRODUCTION'
                   AND \"status\" = 'DEPLOYED' AND COALESCE(\"integrationPackId\", '') <> ''
                 ORDER BY COALESCE(\"deployedAt\", \"initiatedAt\") DESC, \"promotionId\" DESC
                 LIMIT 1"
            }
        };
        Ok(self
            .conn()
            .query_row(sql, [process_name], |r| {
                Ok(PackSuggestion {
                    pack_id: r.get(0)?,
                    pack_name: r.get(1)?,
                    from_promotion: r.get(2)?,
                })
            })
            .optional()?)
    }

    /// The newest DEPLOYED production promotion of a process other than `except` (what
    /// production runs of it).
    pub fn production_running(
        &self,
        process_name: &str,
        except: &str,
    ) -> Result<Option<PromotionRecord>, StoreError> {
        let sql = format!(
            "SELECT {} FROM promotions p
             WHERE p.\"processName\" = ?1 AND p.\"targetEnvironment\" = 'PRODUCTION'
               AND p.\"status\" = 'DEPLOYED' AND p.\"promotionId\" <> ?2
             ORDER BY COALESCE(p.\"deployedAt\", p.\"initiatedAt\") DESC LIMIT 1",
            record::select_list("p.")
        );
        Ok(self
            .query_records(
                &sql,
                vec![
                    Sql::Text(process_name.to_owned()),
                    Sql::Text(except.to_owned()),
                ],
            )?
            .into_iter()
            .next())
    }

    /// Whether a production promotion has released into this integration pack (so production
    /// uses it, and a TEST promotion must never release into it).
    pub fn pack_used_by_production(&self, pack_id: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT 1 FROM promotions WHERE \"targetEnvironment\" = 'PRODUCTION'
                   AND \"integrationPackId\" = ?1 AND \"releaseId\" IS NOT NULL LIMIT 1",
                [pack_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// The `IN_PROGRESS` promotion of a dev account (the one-per-account lock), if any.
    pub fn in_progress_for_account(
        &self,
        dev_account_id: &str,
    ) -> Result<Option<PromotionRecord>, StoreError> {
        Ok(self
            .list(&PromotionFilter {
                statuses: vec![PromotionStatus::InProgress],
                dev_account_id: Some(dev_account_id.to_owned()),
                limit: Some(1),
                ..Default::default()
            })?
            .into_iter()
            .next())
    }

    /// The `QUEUED` promotions of a dev account, oldest first (who starts next when the
    /// account's lock is released).
    pub fn queued_for_account(
        &self,
        dev_account_id: &str,
    ) -> Result<Vec<PromotionRecord>, StoreError> {
        let mut v = self.list(&PromotionFilter {
            statuses: vec![PromotionStatus::Queued],
            dev_account_id: Some(dev_account_id.to_owned()),
            ..Default::default()
        })?;
        v.reverse();
        Ok(v)
    }

    /// Every record that still holds a Boomi branch (`branchId` set and not empty), oldest
    /// first: the branch sweeper compares these with the branches Boomi lists.
    pub fn branches_in_use(&self) -> Result<Vec<PromotionRecord>, StoreError> {
        let sql = format!(
            "SELECT {} FROM promotions p WHERE COALESCE(p.\"branchId\", '') <> ''
             ORDER BY p.\"initiatedAt\", p.\"promotionId\"",
            record::select_list("p.")
        );
        self.query_records(&sql, Vec::new())
    }

    /// How many records are in each status (every status, zeros included, table order).
    pub fn count_by_status(&self) -> Result<Vec<(PromotionStatus, u64)>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT \"status\", COUNT(*) FROM promotions GROUP BY \"status\"")?;
        let mut counts = std::collections::HashMap::new();
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let s: String = r.get(0)?;
            counts.insert(status_col(&s)?, r.get::<_, i64>(1)? as u64);
        }
        Ok(PromotionStatus::ALL
            .iter()
            .map(|s| (*s, counts.get(s).copied().unwrap_or(0)))
            .collect())
    }

    /// The audit log of one promotion, oldest first.
    pub fn audit(&self, promotion_id: &str) -> Result<Vec<AuditEntry>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT audit_id, promotion_id, from_status, to_status, actor, document, git_commit, reason, at
             FROM audit WHERE promotion_id = ?1 ORDER BY audit_id",
        )?;
        let mut rows = stmt.query([promotion_id])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let from: Option<String> = r.get(2)?;
            let to: String = r.get(3)?;
            out.push(AuditEntry {
                id: r.get(0)?,
                promotion_id: r.get(1)?,
                from: from.as_deref().map(status_col).transpose()?,
                to: status_col(&to)?,
                actor: r.get(4)?,
                document: r.get(5)?,
                commit: r.get(6)?,
                reason: r.get(7)?,
                at: ts_col(r.get(8)?)?,
            });
        }
        Ok(out)
    }

    // ---- journal ---------------------------------------------------------------------------

    /// Record the intent of a step before its Boomi mutation. The promotion must exist.
    pub fn begin_step(
        &self,
        promotion_id: &str,
        step: &str,
        intent: &serde_json::Value,
    ) -> Result<StepId, StoreError> {
        self.require(promotion_id)?;
        self.conn().execute(
            "INSERT INTO journal (promotion_id, step, intent, started_at) VALUES (?1, ?2, ?3, ?4)",
            params![
                promotion_id,
                step,
                intent.to_string(),
                format_ts(&Utc::now())
            ],
        )?;
        Ok(StepId(self.conn().last_insert_rowid()))
    }

    /// Record the result of an open step. A step is finished once.
    pub fn finish_step(
        &self,
        step: StepId,
        result: &serde_json::Value,
    ) -> Result<Step, StoreError> {
        let Some(s) = self.step(step)? else {
            return Err(StoreError::StepNotFound(step.0));
        };
        if s.result.is_some() {
            return Err(StoreError::StepFinished(step.0));
        }
        let now = Utc::now();
        self.conn().execute(
            "UPDATE journal SET result = ?1, finished_at = ?2 WHERE step_id = ?3 AND result IS NULL",
            params![result.to_string(), format_ts(&now), step.0],
        )?;
        Ok(Step {
            result: Some(result.clone()),
            finished_at: Some(now),
            ..s
        })
    }

    fn steps_where(&self, cond: &str, arg: Sql) -> Result<Vec<Step>, StoreError> {
        let sql = format!(
            "SELECT step_id, promotion_id, step, intent, started_at, result, finished_at
             FROM journal WHERE {cond} ORDER BY step_id"
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let mut rows = stmt.query([arg])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let intent: String = r.get(3)?;
            let result: Option<String> = r.get(5)?;
            let finished: Option<String> = r.get(6)?;
            out.push(Step {
                id: StepId(r.get(0)?),
                promotion_id: r.get(1)?,
                step: r.get(2)?,
                intent: serde_json::from_str(&intent).map_err(corrupt)?,
                started_at: ts_col(r.get(4)?)?,
                result: result
                    .map(|s| serde_json::from_str(&s))
                    .transpose()
                    .map_err(corrupt)?,
                finished_at: finished.map(ts_col).transpose()?,
            });
        }
        Ok(out)
    }

    /// One journal step.
    pub fn step(&self, step: StepId) -> Result<Option<Step>, StoreError> {
        Ok(self
            .steps_where("step_id = ?1", Sql::Integer(step.0))?
            .into_iter()
            .next())
    }

    /// The id of the newest journal step (0 when the journal is empty): the number of steps
    /// begun between two readings is their difference.
    pub fn last_step_id(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn()
            .query_row("SELECT COALESCE(MAX(step_id), 0) FROM journal", [], |r| {
                r.get(0)
            })?)
    }

    /// Every step of a promotion, oldest first.
    pub fn steps(&self, promotion_id: &str) -> Result<Vec<Step>, StoreError> {
        self.steps_where("promotion_id = ?1", Sql::Text(promotion_id.to_owned()))
    }

    /// Every open step of every promotion, oldest first (crash recovery at start-up).
    pub fn all_open_steps(&self) -> Result<Vec<Step>, StoreError> {
        self.steps_where("result IS NULL AND ?1 IS NULL", Sql::Null)
    }

    /// The steps of a promotion that have an intent but no result (a crash happened between
    /// them), oldest first.
    pub fn open_steps(&self, promotion_id: &str) -> Result<Vec<Step>, StoreError> {
        self.steps_where(
            "promotion_id = ?1 AND result IS NULL",
            Sql::Text(promotion_id.to_owned()),
        )
    }
}
