//! The state store: one SQLite database (rusqlite, bundled SQLite; WAL, foreign keys, a busy
//! timeout) holding what the reconciler has observed and done:
//!
//! - the promotion log ([`PromotionRecord`], every PromotionLog field of `seed-behaviors.md`
//!   §1.3 plus the GitOps fields), whose status changes only through a compare-and-set
//!   [`Transition`] checked against the mode's table ([`crate::model::status::can_transition`]), with an audit row
//!   written in the same transaction;
//! - component mappings ([`ComponentMapping`], unique per dev account and dev component id);
//! - the step journal ([`Step`]): the intent before each Boomi mutation and the result after,
//!   the result written in the same transaction as the status change it causes;
//! - the audit log ([`AuditEntry`]), every promotion id ever accepted, the accepted access
//!   policy and a small key/value table (the last reconciled commit, ...).
//!
//! The schema is migrated on open by `PRAGMA user_version` ([`schema::MIGRATIONS`]).
//!
//! Every operation exists on [`Tx`] (one transaction); [`Store::write`] and [`Store::read`]
//! run a closure in a transaction so several operations commit together, and [`Store`] has a
//! one-call shortcut for each. The API is blocking: call it from `spawn_blocking` (or accept a
//! short block: every statement is indexed and small).

mod extensions;
mod mappings;
mod meta;
mod promotions;
pub mod record;
pub mod schema;
mod trust;

pub use extensions::ExtensionAccess;
pub use mappings::{ComponentMapping, MappingFilter, MappingSource};
pub use meta::{AcceptedPolicy, LAST_RECONCILED_COMMIT};
pub use promotions::{
    AuditEntry, Cause, PackSuggestion, PromotionFilter, Step, StepId, Transition,
    ERROR_MESSAGE_LIMIT,
};
pub use record::{
    Approval, Approvals, ComponentAction, ComponentResult, ComponentStatus, DeploymentResult,
    DeploymentStatus, DocumentCommits, PromotionRecord, TestedVersion,
};
pub use trust::{
    mappings_key, promotion_of, AcceptedDocument, ProblemScope, ProblemSource, StoredProblem,
    SETTINGS_KEY,
};

use crate::model::{ErrorCode, PromotionStatus};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// How long a statement waits for another connection's write lock before failing.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("state store: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("state store: cannot use {path}: {message}")]
    Open { path: PathBuf, message: String },
    #[error("state store: corrupt data: {0}")]
    Corrupt(String),
    #[error("state store: database schema version {found} is newer than this build supports ({supported})")]
    SchemaTooNew { found: u32, supported: u32 },
    #[error("promotion {0} not found")]
    NotFound(String),
    #[error("promotion {0} already exists")]
    AlreadyExists(String),
    /// The transition is not in the table (`PromotionStatus::can_transition`).
    #[error("promotion {promotion}: transition {} -> {to} refused", from.map(|s| s.as_str()).unwrap_or("(none)"))]
    RefusedTransition {
        promotion: String,
        from: Option<PromotionStatus>,
        to: PromotionStatus,
    },
    /// The stored status is not the one the caller based its decision on.
    #[error("promotion {promotion}: expected status {expected}, stored status is {actual}")]
    StatusConflict {
        promotion: String,
        expected: PromotionStatus,
        actual: PromotionStatus,
    },
    #[error("journal step {0} not found")]
    StepNotFound(i64),
    #[error("journal step {0} already has a result")]
    StepFinished(i64),
    #[error("state store: {0}")]
    Invalid(String),
}

impl StoreError {
    /// The catalogue code a person sees for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            StoreError::RefusedTransition { .. } | StoreError::StatusConflict { .. } => {
                ErrorCode::InvalidPromotionStatus
            }
            StoreError::NotFound(_) => ErrorCode::PromotionNotFound,
            StoreError::AlreadyExists(_) => ErrorCode::PromotionIdReused,
            _ => ErrorCode::DatahubError,
        }
    }

    /// Whether retrying the same operation later may succeed (the database was busy/locked).
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => matches!(
                e.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ),
            _ => false,
        }
    }
}

/// The state database. Cheap to share behind an `Arc`; operations are serialised on one
/// connection.
pub struct Store {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Open (creating if needed) the database at `path` and migrate it to the current schema.
    pub fn open(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        let path = path.as_ref();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Open {
                path: path.to_owned(),
                message: e.to_string(),
            })?;
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )?;
        Self::setup(conn, Some(path.to_owned()))
    }

    /// Open an existing database read-only (CLI commands beside a running daemon). Nothing
    /// is migrated: a database at another schema version is refused; writes fail.
    pub fn open_read_only(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        let path = path.as_ref();
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| StoreError::Open {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let found = schema::version(&conn)?;
        let supported = schema::current_version();
        if found > supported {
            return Err(StoreError::SchemaTooNew { found, supported });
        }
        if found < supported {
            return Err(StoreError::Open {
                path: path.to_owned(),
                message: format!(
                    "schema version {found} is older than {supported}; open it read-write once (start the daemon) to migrate"
                ),
            });
        }
        Ok(Store {
            conn: Mutex::new(conn),
            path: Some(path.to_owned()),
        })
    }

    /// A private in-memory database (tests, dry runs).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        Self::setup(Connection::open_in_memory()?, None)
    }

    fn setup(mut conn: Connection, path: Option<PathBuf>) -> Result<Store, StoreError> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        if path.is_some() {
            let mode: String =
                conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(StoreError::Open {
                    path: path.clone().unwrap_or_default(),
                    message: format!("cannot enable WAL (journal_mode is {mode})"),
                });
            }
            // FULL: a journal intent must survive a power loss once the Boomi call it
            // announces has been made.
            conn.pragma_update(None, "synchronous", "FULL")?;
        }
        conn.pragma_update(None, "foreign_keys", true)?;
        schema::migrate(&mut conn)?;
        Ok(Store {
            conn: Mutex::new(conn),
            path,
        })
    }

    /// The database file (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        schema::version(&self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic inside a closure rolls its transaction back (drop), so the connection is
        // still consistent: take it over rather than poisoning the whole daemon.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Run `f` in one write transaction: everything it does commits together, or nothing
    /// does when it returns an error. Use only `tx` inside `f`: calling a [`Store`] method
    /// there would wait for the connection `f` holds (a deadlock).
    pub fn write<T>(
        &self,
        f: impl FnOnce(&Tx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.lock();
        let tx = Tx {
            tx: conn.transaction_with_behavior(TransactionBehavior::Immediate)?,
        };
        let out = f(&tx)?;
        tx.tx.commit()?;
        Ok(out)
    }

    /// Run `f` in one read transaction (a consistent snapshot).
    pub fn read<T>(
        &self,
        f: impl FnOnce(&Tx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.lock();
        let tx = Tx {
            tx: conn.transaction_with_behavior(TransactionBehavior::Deferred)?,
        };
        let out = f(&tx)?;
        tx.tx.commit()?;
        Ok(out)
    }

    // ---- one-call shortcuts (each one transaction) ------------------------------------------

    /// See [`Tx::insert_promotion`].
    pub fn insert_promotion(
        &self,
        rec: &PromotionRecord,
        cause: &Cause,
    ) -> Result<PromotionRecord, StoreError> {
        self.write(|tx| tx.insert_promotion(rec, cause))
    }

    /// See [`Tx::get`].
    pub fn get(&self, id: &str) -> Result<Option<PromotionRecord>, StoreError> {
        self.read(|tx| tx.get(id))
    }

    /// See [`Tx::transition`].
    pub fn transition(&self, id: &str, t: &Transition) -> Result<PromotionRecord, StoreError> {
        self.write(|tx| tx.transition(id, t))
    }

    /// See [`Tx::update`].
    pub fn update(
        &self,
        id: &str,
        edit: impl FnOnce(&mut PromotionRecord),
    ) -> Result<PromotionRecord, StoreError> {
        self.write(|tx| tx.update(id, edit))
    }

    /// See [`Tx::apply`].
    pub fn apply(
        &self,
        id: &str,
        t: Option<&Transition>,
        edit: impl FnOnce(&mut PromotionRecord),
    ) -> Result<PromotionRecord, StoreError> {
        self.write(|tx| tx.apply(id, t, edit))
    }

    /// See [`Tx::list`].
    pub fn list(&self, filter: &PromotionFilter) -> Result<Vec<PromotionRecord>, StoreError> {
        self.read(|tx| tx.list(filter))
    }

    /// See [`Tx::peer_queue`].
    pub fn peer_queue(&self, viewer: Option<&str>) -> Result<Vec<PromotionRecord>, StoreError> {
        self.read(|tx| tx.peer_queue(viewer))
    }

    /// See [`Tx::admin_queue`].
    pub fn admin_queue(&self, viewer: Option<&str>) -> Result<Vec<PromotionRecord>, StoreError> {
        self.read(|tx| tx.admin_queue(viewer))
    }

    /// See [`Tx::ready_queue`].
    pub fn ready_queue(
        &self,
        dev_account_id: Option<&str>,
        initiated_by: Option<&str>,
    ) -> Result<Vec<PromotionRecord>, StoreError> {
        self.read(|tx| tx.ready_queue(dev_account_id, initiated_by))
    }

    /// See [`Tx::suggest_pack`].
    pub fn suggest_pack(
        &self,
        process_name: &str,
        target: crate::model::Target,
    ) -> Result<Option<PackSuggestion>, StoreError> {
        self.read(|tx| tx.suggest_pack(process_name, target))
    }

    /// See [`Tx::in_progress_for_account`].
    pub fn in_progress_for_account(
        &self,
        dev_account_id: &str,
    ) -> Result<Option<PromotionRecord>, StoreError> {
        self.read(|tx| tx.in_progress_for_account(dev_account_id))
    }

    /// See [`Tx::queued_for_account`].
    pub fn queued_for_account(
        &self,
        dev_account_id: &str,
    ) -> Result<Vec<PromotionRecord>, StoreError> {
        self.read(|tx| tx.queued_for_account(dev_account_id))
    }

    /// See [`Tx::branches_in_use`].
    pub fn branches_in_use(&self) -> Result<Vec<PromotionRecord>, StoreError> {
        self.read(|tx| tx.branches_in_use())
    }

    /// See [`Tx::production_successor`].
    pub fn production_successor(
        &self,
        test_id: &str,
    ) -> Result<Option<PromotionRecord>, StoreError> {
        self.read(|tx| tx.production_successor(test_id))
    }

    /// See [`Tx::count_by_status`].
    pub fn count_by_status(&self) -> Result<Vec<(PromotionStatus, u64)>, StoreError> {
        self.read(|tx| tx.count_by_status())
    }

    /// See [`Tx::audit`].
    pub fn audit(&self, promotion_id: &str) -> Result<Vec<AuditEntry>, StoreError> {
        self.read(|tx| tx.audit(promotion_id))
    }

    /// See [`Tx::begin_step`].
    pub fn begin_step(
        &self,
        promotion_id: &str,
        step: &str,
        intent: &serde_json::Value,
    ) -> Result<StepId, StoreError> {
        self.write(|tx| tx.begin_step(promotion_id, step, intent))
    }

    /// Write a step's result and, in the same transaction, the optional status transition
    /// and record edits it causes. Returns the record as stored afterwards.
    pub fn finish_step(
        &self,
        step: StepId,
        result: &serde_json::Value,
        transition: Option<&Transition>,
        edit: impl FnOnce(&mut PromotionRecord),
    ) -> Result<PromotionRecord, StoreError> {
        self.write(|tx| {
            let s = tx.finish_step(step, result)?;
            tx.apply(&s.promotion_id, transition, edit)
        })
    }

    /// See [`Tx::open_steps`].
    pub fn open_steps(&self, promotion_id: &str) -> Result<Vec<Step>, StoreError> {
        self.read(|tx| tx.open_steps(promotion_id))
    }

    /// See [`Tx::all_open_steps`].
    pub fn all_open_steps(&self) -> Result<Vec<Step>, StoreError> {
        self.read(|tx| tx.all_open_steps())
    }

    /// See [`Tx::last_step_id`].
    pub fn last_step_id(&self) -> Result<i64, StoreError> {
        self.read(|tx| tx.last_step_id())
    }

    /// See [`Tx::steps`].
    pub fn steps(&self, promotion_id: &str) -> Result<Vec<Step>, StoreError> {
        self.read(|tx| tx.steps(promotion_id))
    }

    /// See [`Tx::upsert_mapping`].
    pub fn upsert_mapping(&self, m: &ComponentMapping) -> Result<(), StoreError> {
        self.write(|tx| tx.upsert_mapping(m))
    }

    /// Upsert several mappings in one transaction (all or none).
    pub fn upsert_mappings(&self, ms: &[ComponentMapping]) -> Result<(), StoreError> {
        self.write(|tx| ms.iter().try_for_each(|m| tx.upsert_mapping(m)))
    }

    /// See [`Tx::mappings`].
    pub fn mappings(&self, filter: &MappingFilter) -> Result<Vec<ComponentMapping>, StoreError> {
        self.read(|tx| tx.mappings(filter))
    }

    /// See [`Tx::mappings_of_account`].
    pub fn mappings_of_account(
        &self,
        dev_account_id: &str,
    ) -> Result<std::collections::BTreeMap<String, ComponentMapping>, StoreError> {
        self.read(|tx| tx.mappings_of_account(dev_account_id))
    }

    /// See [`Tx::replace_admin_mappings`].
    pub fn replace_admin_mappings(
        &self,
        dev_account_id: &str,
        ms: &[ComponentMapping],
    ) -> Result<Vec<String>, StoreError> {
        self.write(|tx| tx.replace_admin_mappings(dev_account_id, ms))
    }

    /// See [`Tx::delete_mapping`].
    pub fn delete_mapping(
        &self,
        dev_account_id: &str,
        dev_component_id: &str,
    ) -> Result<bool, StoreError> {
        self.write(|tx| tx.delete_mapping(dev_account_id, dev_component_id))
    }

    /// The mappings matching `filter` as CSV (header line first, RFC 4180 quoting).
    pub fn export_mappings_csv(&self, filter: &MappingFilter) -> Result<String, StoreError> {
        Ok(mappings::to_csv(&self.mappings(filter)?))
    }

    /// See [`Tx::accept_id`].
    pub fn accept_id(&self, id: &str, commit: Option<&str>) -> Result<bool, StoreError> {
        self.write(|tx| tx.accept_id(id, commit))
    }

    /// See [`Tx::is_accepted`].
    pub fn is_accepted(&self, id: &str) -> Result<bool, StoreError> {
        self.read(|tx| tx.is_accepted(id))
    }

    /// See [`Tx::accepted_ids`].
    pub fn accepted_ids(&self) -> Result<Vec<String>, StoreError> {
        self.read(|tx| tx.accepted_ids())
    }

    /// See [`Tx::accept_policy`].
    pub fn accept_policy(&self, p: &AcceptedPolicy) -> Result<(), StoreError> {
        self.write(|tx| tx.accept_policy(p))
    }

    /// See [`Tx::accepted_policy`].
    pub fn accepted_policy(&self) -> Result<Option<AcceptedPolicy>, StoreError> {
        self.read(|tx| tx.accepted_policy())
    }

    /// See [`Tx::meta`].
    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.read(|tx| tx.meta(key))
    }

    /// See [`Tx::set_meta`].
    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.write(|tx| tx.set_meta(key, value))
    }

    /// See [`Tx::production_running`].
    pub fn production_running(
        &self,
        process_name: &str,
        except: &str,
    ) -> Result<Option<PromotionRecord>, StoreError> {
        self.read(|tx| tx.production_running(process_name, except))
    }

    /// See [`Tx::pack_used_by_production`].
    pub fn pack_used_by_production(&self, pack_id: &str) -> Result<bool, StoreError> {
        self.read(|tx| tx.pack_used_by_production(pack_id))
    }

    /// See [`Tx::accept_document`].
    pub fn accept_document(&self, d: &AcceptedDocument) -> Result<(), StoreError> {
        self.write(|tx| tx.accept_document(d))
    }

    /// See [`Tx::accepted_documents`].
    pub fn accepted_documents(&self) -> Result<Vec<AcceptedDocument>, StoreError> {
        self.read(|tx| tx.accepted_documents())
    }

    /// See [`Tx::open_problems`].
    pub fn open_problems(&self, promotion: Option<&str>) -> Result<Vec<StoredProblem>, StoreError> {
        self.read(|tx| tx.open_problems(promotion))
    }

    /// See [`Tx::problems_of`].
    pub fn problems_of(&self, promotion: &str) -> Result<Vec<StoredProblem>, StoreError> {
        self.read(|tx| tx.problems_of(promotion))
    }

    /// See [`Tx::open_problem_counts`].
    pub fn open_problem_counts(
        &self,
    ) -> Result<std::collections::HashMap<String, u64>, StoreError> {
        self.read(|tx| tx.open_problem_counts())
    }

    /// The last commit the reconciler finished (key [`LAST_RECONCILED_COMMIT`]).
    pub fn last_reconciled_commit(&self) -> Result<Option<String>, StoreError> {
        self.meta(LAST_RECONCILED_COMMIT)
    }

    /// Remember the last commit the reconciler finished.
    pub fn set_last_reconciled_commit(&self, commit: &str) -> Result<(), StoreError> {
        self.set_meta(LAST_RECONCILED_COMMIT, commit)
    }
}

/// One open transaction. Obtained from [`Store::write`] or [`Store::read`]; every operation
/// of the store is a method here.
pub struct Tx<'c> {
    tx: rusqlite::Transaction<'c>,
}

impl Tx<'_> {
    fn conn(&self) -> &Connection {
        &self.tx
    }
}
