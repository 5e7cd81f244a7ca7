//! What the trust closure keeps: the accepted versions of `promoter.yaml` and of each dev
//! account's connection mappings (their bytes and serial, so an older signed version can never
//! come back), and the refused documents — "refusals are state": every problem found in git or
//! in a promotion's life is kept, shown, and cleared when its cause is reverted or superseded.

use super::record::{format_ts, parse_ts};
use super::{StoreError, Tx};
use crate::model::{ErrorCode, Problem};
use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// Key of the accepted settings in `accepted_documents`.
pub const SETTINGS_KEY: &str = "settings";

/// Key of the accepted mappings of a dev account in `accepted_documents`.
pub fn mappings_key(dev_account_id: &str) -> String {
    format!("mappings:{dev_account_id}")
}

/// A version of a trust-root document (other than the policy) that passed the trust chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AcceptedDocument {
    /// [`SETTINGS_KEY`] or [`mappings_key`].
    pub key: String,
    /// Where it was in the repository.
    pub path: String,
    /// The exact bytes of the file.
    #[serde(skip)]
    pub bytes: Vec<u8>,
    pub digest: String,
    pub serial: u64,
    pub commit: String,
    #[serde(with = "super::record::ts")]
    pub accepted_at: DateTime<Utc>,
}

/// Where a kept problem was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProblemSource {
    /// Verifying the repository: parse, signature, identity, the rules git alone decides.
    Document,
    /// A rule that needs the promotion log or Boomi (a review on a finished promotion, a changed
    /// review after it was acted on, the deployment guard).
    Lifecycle,
}

impl ProblemSource {
    fn as_str(self) -> &'static str {
        match self {
            ProblemSource::Document => "DOCUMENT",
            ProblemSource::Lifecycle => "LIFECYCLE",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "DOCUMENT" => Some(ProblemSource::Document),
            "LIFECYCLE" => Some(ProblemSource::Lifecycle),
            _ => None,
        }
    }
}

/// A problem the store keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredProblem {
    pub id: i64,
    /// The promotion whose directory holds the file (`None`: policy, settings, mappings).
    pub promotion_id: Option<String>,
    #[serde(flatten)]
    pub problem: Problem,
    pub source: ProblemSource,
    /// The commit in which it was first seen.
    pub commit: String,
    #[serde(with = "super::record::ts")]
    pub first_seen: DateTime<Utc>,
    #[serde(
        with = "super::record::ts_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub cleared_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cleared_commit: Option<String>,
}

impl StoredProblem {
    pub fn is_open(&self) -> bool {
        self.cleared_at.is_none()
    }
}

/// The promotion a repository path belongs to (`promotions/<id>/...`).
pub fn promotion_of(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("promotions/")?;
    let (id, file) = rest.split_once('/')?;
    (!file.is_empty()).then_some(id)
}

/// Which kept problems a [`Tx::sync_problems`] call speaks for.
#[derive(Debug, Clone, Copy)]
pub enum ProblemScope<'a> {
    /// Every problem of the source.
    All,
    /// The problems of these promotions only.
    Promotions(&'a BTreeSet<String>),
}

const PROBLEM_COLUMNS: &str = "problem_id, promotion_id, path, code, message, line, col, claimed, signer, source, git_commit, first_seen, cleared_at, cleared_commit";

fn problem_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<StoredProblem, String>> {
    let code: String = r.get(3)?;
    let source: String = r.get(9)?;
    let first_seen: String = r.get(11)?;
    let cleared_at: Option<String> = r.get(12)?;
    let build = || -> Result<StoredProblem, String> {
        Ok(StoredProblem {
            id: r.get(0).map_err(|e| e.to_string())?,
            promotion_id: r.get(1).map_err(|e| e.to_string())?,
            problem: Problem {
                file: r.get(2).map_err(|e| e.to_string())?,
                line: r
                    .get::<_, Option<i64>>(5)
                    .map_err(|e| e.to_string())?
                    .map(|v| v as u64),
                column: r
                    .get::<_, Option<i64>>(6)
                    .map_err(|e| e.to_string())?
                    .map(|v| v as u64),
                code: ErrorCode::parse(&code).ok_or_else(|| format!("problem code {code:?}"))?,
                message: r.get(4).map_err(|e| e.to_string())?,
                author: None,
            }
            .by(
                r.get::<_, Option<String>>(7)
                    .map_err(|e| e.to_string())?
                    .as_deref(),
                r.get::<_, Option<String>>(8)
                    .map_err(|e| e.to_string())?
                    .as_deref(),
            ),
            source: ProblemSource::parse(&source)
                .ok_or_else(|| format!("problem source {source:?}"))?,
            commit: r.get(10).map_err(|e| e.to_string())?,
            first_seen: parse_ts(&first_seen).map_err(|e| format!("first_seen: {e}"))?,
            cleared_at: cleared_at
                .as_deref()
                .map(parse_ts)
                .transpose()
                .map_err(|e| format!("cleared_at: {e}"))?,
            cleared_commit: r.get(13).map_err(|e| e.to_string())?,
        })
    };
    Ok(build())
}

/// What identifies a kept problem across passes: the file, the code and the message.
fn key_of(p: &Problem) -> (&str, ErrorCode, &str) {
    (p.file.as_str(), p.code, p.message.as_str())
}

impl Tx<'_> {
    /// Record a newly accepted settings or mappings version (replacing the one in force).
    pub fn accept_document(&self, d: &AcceptedDocument) -> Result<(), StoreError> {
        let serial = i64::try_from(d.serial)
            .map_err(|_| StoreError::Corrupt(format!("serial {} is too large", d.serial)))?;
        self.conn().execute(
            "INSERT INTO accepted_documents (key, path, bytes, digest, serial, git_commit, accepted_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (key) DO UPDATE SET path = excluded.path, bytes = excluded.bytes,
                 digest = excluded.digest, serial = excluded.serial,
                 git_commit = excluded.git_commit, accepted_at = excluded.accepted_at",
            params![
                d.key,
                d.path,
                d.bytes,
                d.digest,
                serial,
                d.commit,
                format_ts(&d.accepted_at)
            ],
        )?;
        Ok(())
    }

    /// Every accepted settings and mappings version in force, by key.
    pub fn accepted_documents(&self) -> Result<Vec<AcceptedDocument>, StoreError> {
        self.query_accepted("", None)
    }

    /// One accepted document.
    pub fn accepted_document(&self, key: &str) -> Result<Option<AcceptedDocument>, StoreError> {
        Ok(self
            .query_accepted("WHERE key = ?1", Some(key))?
            .into_iter()
            .next())
    }

    fn query_accepted(
        &self,
        filter: &str,
        key: Option<&str>,
    ) -> Result<Vec<AcceptedDocument>, StoreError> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT key, path, bytes, digest, serial, git_commit, accepted_at FROM accepted_documents {filter} ORDER BY key"
        ))?;
        let map = |r: &rusqlite::Row<'_>| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
            ))
        };
        let rows = match key {
            Some(k) => stmt.query_map([k], map)?.collect::<Result<Vec<_>, _>>()?,
            None => stmt.query_map([], map)?.collect::<Result<Vec<_>, _>>()?,
        };
        rows.into_iter()
            .map(|(key, path, bytes, digest, serial, commit, at)| {
                Ok(AcceptedDocument {
                    accepted_at: parse_ts(&at)
                        .map_err(|e| StoreError::Corrupt(format!("{key} accepted_at: {e}")))?,
                    key,
                    path,
                    bytes,
                    digest,
                    serial: serial.max(0) as u64,
                    commit,
                })
            })
            .collect()
    }

    /// Make the open problems of `source` within `scope` equal `current`: a kept problem no
    /// longer in `current` is cleared (its cause was reverted or superseded), a problem not kept
    /// yet is opened. Returns the problems opened by this call (to log and notify once).
    pub fn sync_problems(
        &self,
        source: ProblemSource,
        scope: ProblemScope<'_>,
        current: &[Problem],
        commit: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<StoredProblem>, StoreError> {
        let open: Vec<StoredProblem> = self
            .open_problems(None)?
            .into_iter()
            .filter(|p| p.source == source)
            .filter(|p| match scope {
                ProblemScope::All => true,
                ProblemScope::Promotions(ids) => {
                    p.promotion_id.as_ref().is_some_and(|id| ids.contains(id))
                }
            })
            .collect();
        let wanted: HashMap<(&str, ErrorCode, &str), &Problem> =
            current.iter().map(|p| (key_of(p), p)).collect();
        let mut kept = std::collections::HashSet::new();
        let ts = format_ts(&now);
        for p in &open {
            if wanted.contains_key(&key_of(&p.problem)) {
                kept.insert(key_of(&p.problem));
            } else {
                self.conn().execute(
                    "UPDATE problems SET cleared_at = ?2, cleared_commit = ?3 WHERE problem_id = ?1",
                    params![p.id, ts, commit],
                )?;
            }
        }
        let mut opened = Vec::new();
        let mut inserted = std::collections::HashSet::new();
        for p in current {
            let key = key_of(p);
            if kept.contains(&key) || !inserted.insert(key) {
                continue;
            }
            let promotion = promotion_of(&p.file);
            self.conn().execute(
                "INSERT INTO problems (promotion_id, path, code, message, line, col, claimed, signer, source, git_commit, first_seen)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    promotion,
                    p.file,
                    p.code.as_str(),
                    p.message,
                    p.line.map(|v| v as i64),
                    p.column.map(|v| v as i64),
                    p.claimed(),
                    p.signer(),
                    source.as_str(),
                    commit,
                    ts
                ],
            )?;
            opened.push(StoredProblem {
                id: self.conn().last_insert_rowid(),
                promotion_id: promotion.map(str::to_string),
                problem: p.clone(),
                source,
                commit: commit.to_string(),
                first_seen: now,
                cleared_at: None,
                cleared_commit: None,
            });
        }
        Ok(opened)
    }

    /// Open problems, oldest first: all of them, or those of one promotion.
    pub fn open_problems(&self, promotion: Option<&str>) -> Result<Vec<StoredProblem>, StoreError> {
        let sql = match promotion {
            Some(_) => format!("SELECT {PROBLEM_COLUMNS} FROM problems WHERE cleared_at IS NULL AND promotion_id = ?1 ORDER BY problem_id"),
            None => format!("SELECT {PROBLEM_COLUMNS} FROM problems WHERE cleared_at IS NULL ORDER BY problem_id"),
        };
        self.query_problems(&sql, promotion)
    }

    /// Every problem of a promotion, open and cleared, oldest first.
    pub fn problems_of(&self, promotion: &str) -> Result<Vec<StoredProblem>, StoreError> {
        self.query_problems(
            &format!("SELECT {PROBLEM_COLUMNS} FROM problems WHERE promotion_id = ?1 ORDER BY problem_id"),
            Some(promotion),
        )
    }

    /// Promotion id → number of open problems.
    pub fn open_problem_counts(&self) -> Result<HashMap<String, u64>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT promotion_id, count(*) FROM problems WHERE cleared_at IS NULL AND promotion_id IS NOT NULL GROUP BY promotion_id",
        )?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows
            .into_iter()
            .map(|(id, n)| (id, n.max(0) as u64))
            .collect())
    }

    fn query_problems(
        &self,
        sql: &str,
        promotion: Option<&str>,
    ) -> Result<Vec<StoredProblem>, StoreError> {
        let mut stmt = self.conn().prepare_cached(sql)?;
        let rows = match promotion {
            Some(id) => stmt
                .query_map([id], problem_from_row)?
                .collect::<Result<Vec<_>, _>>()?,
            None => stmt
                .query_map([], problem_from_row)?
                .collect::<Result<Vec<_>, _>>()?,
        };
        rows.into_iter()
            .map(|r| r.map_err(StoreError::Corrupt))
            .collect()
    }
}
