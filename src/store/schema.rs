//! The schema of the state database as an ordered list of migrations, applied by
//! `PRAGMA user_version`: migration `i` (0-based) takes the database from version `i` to
//! `i + 1`, in its own transaction. A released migration is never edited; changes are new
//! entries at the end.

use super::StoreError;
use rusqlite::Connection;

/// Version 1: the promotion log, mappings, journal, audit, accepted ids, policy, key/value.
const V1: &str = r#"
CREATE TABLE promotions (
    "promotionId"             TEXT PRIMARY KEY NOT NULL,
    "devAccountId"            TEXT NOT NULL,
    "prodAccountId"           TEXT NOT NULL DEFAULT '',
    "devPackageId"            TEXT,
    "prodPackageId"           TEXT,
    "initiatedBy"             TEXT NOT NULL,
    "initiatedAt"             TEXT NOT NULL,
    "status"                  TEXT NOT NULL,
    "componentsTotal"         INTEGER NOT NULL DEFAULT 0,
    "componentsCreated"       INTEGER NOT NULL DEFAULT 0,
    "componentsUpdated"       INTEGER NOT NULL DEFAULT 0,
    "componentsFailed"        INTEGER NOT NULL DEFAULT 0,
    "errorMessage"            TEXT,
    "errorCode"               TEXT,
    "resultDetail"            TEXT NOT NULL DEFAULT '[]',
    "peerReviewStatus"        TEXT,
    "peerReviewedBy"          TEXT,
    "peerReviewedAt"          TEXT,
    "peerReviewComments"      TEXT,
    "adminReviewStatus"       TEXT,
    "adminApprovedBy"         TEXT,
    "adminApprovedAt"         TEXT,
    "adminComments"           TEXT,
    "branchId"                TEXT,
    "branchName"              TEXT,
    "integrationPackId"       TEXT,
    "integrationPackName"     TEXT,
    "releaseId"               TEXT,
    "testReleaseId"           TEXT,
    "processName"             TEXT NOT NULL,
    "packageVersion"          TEXT,
    "deploymentNotes"         TEXT,
    "deployedAt"              TEXT,
    "targetEnvironment"       TEXT NOT NULL CHECK ("targetEnvironment" IN ('TEST', 'PRODUCTION')),
    "isHotfix"                INTEGER NOT NULL DEFAULT 0,
    "hotfixJustification"     TEXT,
    "testPromotionId"         TEXT,
    "testDeployedAt"          TEXT,
    "testIntegrationPackId"   TEXT,
    "testIntegrationPackName" TEXT,
    "promotedFromTestBy"      TEXT,
    "withdrawnAt"             TEXT,
    "withdrawalReason"        TEXT,
    "requestDigest"           TEXT,
    "documentCommits"         TEXT NOT NULL DEFAULT '{}',
    "testedVersions"          TEXT NOT NULL DEFAULT '[]',
    "updatedAt"               TEXT NOT NULL
);
CREATE INDEX promotions_status ON promotions ("status");
CREATE INDEX promotions_account ON promotions ("devAccountId", "status");

CREATE TABLE mappings (
    dev_account_id      TEXT NOT NULL,
    dev_component_id    TEXT NOT NULL,
    prod_component_id   TEXT NOT NULL,
    component_name      TEXT NOT NULL,
    component_type      TEXT NOT NULL,
    prod_account_id     TEXT NOT NULL DEFAULT '',
    prod_latest_version INTEGER,
    last_promoted_at    TEXT,
    last_promoted_by    TEXT,
    last_promotion_id   TEXT,
    source              TEXT NOT NULL CHECK (source IN ('ENGINE', 'ADMIN')),
    PRIMARY KEY (dev_account_id, dev_component_id)
);

CREATE TABLE journal (
    step_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    promotion_id TEXT NOT NULL REFERENCES promotions ("promotionId"),
    step         TEXT NOT NULL,
    intent       TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    result       TEXT,
    finished_at  TEXT
);
CREATE INDEX journal_open ON journal (promotion_id) WHERE result IS NULL;

CREATE TABLE audit (
    audit_id     INTEGER PRIMARY KEY AUTOINCREMENT,
    promotion_id TEXT NOT NULL REFERENCES promotions ("promotionId"),
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    actor        TEXT NOT NULL,
    document     TEXT,
    git_commit   TEXT,
    reason       TEXT,
    at           TEXT NOT NULL
);
CREATE INDEX audit_promotion ON audit (promotion_id, audit_id);

CREATE TABLE accepted_ids (
    promotion_id TEXT PRIMARY KEY NOT NULL,
    accepted_at  TEXT NOT NULL,
    git_commit   TEXT
);

CREATE TABLE policies (
    policy_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    bytes       BLOB NOT NULL,
    digest      TEXT NOT NULL,
    git_commit  TEXT NOT NULL,
    accepted_at TEXT NOT NULL
);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
"#;

/// Version 2: visible waits, per-environment deployment results, history indexes.
const V2: &str = r#"
ALTER TABLE promotions ADD COLUMN "waitingReason" TEXT;
ALTER TABLE promotions ADD COLUMN "deployments" TEXT NOT NULL DEFAULT '[]';
CREATE INDEX promotions_process ON promotions ("processName", "targetEnvironment", "status");
CREATE INDEX promotions_initiated ON promotions ("initiatedAt");
CREATE INDEX promotions_test_parent ON promotions ("testPromotionId")
    WHERE "testPromotionId" IS NOT NULL;
"#;

/// Every migration, in order. `MIGRATIONS.len()` is the current schema version.
/// Version 3: the extension access cache (`seed-behaviors.md` §1.4, §6.9): who may edit each
/// extension component of each environment, refreshed after every deployment.
const V3: &str = r#"
CREATE TABLE extension_access (
    environment_id      TEXT NOT NULL,
    prod_component_id   TEXT NOT NULL,
    component_name      TEXT NOT NULL,
    component_type      TEXT NOT NULL,
    owner_process_id    TEXT NOT NULL,
    owner_process_name  TEXT NOT NULL,
    dev_account_id      TEXT NOT NULL,
    dev_account_name    TEXT NOT NULL,
    authorized_groups   TEXT NOT NULL,
    is_connection       INTEGER NOT NULL,
    is_shared           INTEGER NOT NULL,
    last_updated_at     TEXT NOT NULL,
    last_updated_by     TEXT NOT NULL,
    PRIMARY KEY (environment_id, prod_component_id)
);
"#;

/// Version 4: the trust closure. The review documents a promotion was moved on by (carried over
/// from the `acted:<id>:<doc>` meta keys of earlier versions), the accepted versions of
/// `promoter.yaml` and of each dev account's mappings (for the serial check), and the refused
/// documents ("refusals are state").
const V4: &str = r#"
ALTER TABLE promotions ADD COLUMN "approvals" TEXT NOT NULL DEFAULT '{}';
UPDATE promotions SET "approvals" = json_object(
    'peer', json((SELECT json_object(
        'decision', CASE promotions."peerReviewStatus" WHEN 'PEER_REJECTED' THEN 'REJECTED' ELSE 'APPROVED' END,
        'by', coalesce(promotions."peerReviewedBy", ''),
        'digest', m.value,
        'requestDigest', coalesce(promotions."requestDigest", ''))
      FROM meta m WHERE m.key = 'acted:' || promotions."promotionId" || ':peer-review')),
    'admin', json((SELECT json_object(
        'decision', CASE promotions."adminReviewStatus" WHEN 'ADMIN_REJECTED' THEN 'DENIED' ELSE 'APPROVED' END,
        'by', coalesce(promotions."adminApprovedBy", ''),
        'digest', m.value,
        'requestDigest', coalesce(promotions."requestDigest", ''),
        'peerReviewDigest', (SELECT p.value FROM meta p
                             WHERE p.key = 'acted:' || promotions."promotionId" || ':peer-review'))
      FROM meta m WHERE m.key = 'acted:' || promotions."promotionId" || ':admin-review')))
WHERE EXISTS (SELECT 1 FROM meta WHERE key IN (
    'acted:' || promotions."promotionId" || ':peer-review',
    'acted:' || promotions."promotionId" || ':admin-review'));

CREATE TABLE accepted_documents (
    key         TEXT PRIMARY KEY NOT NULL,
    path        TEXT NOT NULL,
    bytes       BLOB NOT NULL,
    digest      TEXT NOT NULL,
    serial      INTEGER NOT NULL,
    git_commit  TEXT NOT NULL,
    accepted_at TEXT NOT NULL
);

CREATE TABLE problems (
    problem_id     INTEGER PRIMARY KEY AUTOINCREMENT,
    promotion_id   TEXT,
    path           TEXT NOT NULL,
    code           TEXT NOT NULL,
    message        TEXT NOT NULL,
    line           INTEGER,
    col            INTEGER,
    claimed        TEXT,
    signer         TEXT,
    source         TEXT NOT NULL CHECK (source IN ('DOCUMENT', 'LIFECYCLE')),
    git_commit     TEXT NOT NULL,
    first_seen     TEXT NOT NULL,
    cleared_at     TEXT,
    cleared_commit TEXT
);
CREATE INDEX problems_open ON problems (promotion_id) WHERE cleared_at IS NULL;
CREATE INDEX problems_promotion ON problems (promotion_id, problem_id);
"#;

pub const MIGRATIONS: &[&str] = &[V1, V2, V3, V4];

/// The schema version this build writes.
pub fn current_version() -> u32 {
    MIGRATIONS.len() as u32
}

/// Read `PRAGMA user_version`.
pub fn version(conn: &Connection) -> Result<u32, StoreError> {
    Ok(conn.pragma_query_value(None, "user_version", |r| r.get::<_, u32>(0))?)
}

/// Bring the database to [`current_version`], one transaction per migration. Returns the
/// number of migrations applied. A database newer than this build is refused.
pub fn migrate(conn: &mut Connection) -> Result<usize, StoreError> {
    let found = version(conn)?;
    let supported = current_version();
    if found > supported {
        return Err(StoreError::SchemaTooNew { found, supported });
    }
    let mut applied = 0;
    for (i, script) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Re-check under the write lock: another process may have migrated meanwhile.
        if version(&tx)? as usize > i {
            tx.commit()?;
            continue;
        }
        tx.execute_batch(script)?;
        tx.pragma_update(None, "user_version", (i + 1) as u32)?;
        tx.commit()?;
        applied += 1;
        tracing::info!(version = i + 1, "state database migrated");
    }
    Ok(applied)
}
