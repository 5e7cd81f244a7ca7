//! The promotion record (the seeds' PromotionLog, `seed-behaviors.md` §1.3, plus the GitOps
//! fields) and the typed values it carries, with the mapping between the record and the
//! columns of the `promotions` table.
//!
//! Field names serialise in the seeds' camelCase (`promotionId`, `initiatedBy`, ...) so the CLI
//! can print a record as JSON; the table columns carry the same names. Timestamps are RFC 3339
//! UTC with microseconds (`2026-11-21T08:37:00.000000Z`): fixed width, so they sort as text.

use crate::model::{AdminReviewStatus, ErrorCode, Mode, PeerReviewStatus, PromotionStatus, Target};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One promotion: every PromotionLog field plus what the reconciler needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromotionRecord {
    // identity and counts
    pub promotion_id: String,
    pub dev_account_id: String,
    pub prod_account_id: String,
    pub dev_package_id: Option<String>,
    pub prod_package_id: Option<String>,
    /// Stored lower-case.
    pub initiated_by: String,
    #[serde(with = "ts")]
    pub initiated_at: DateTime<Utc>,
    pub status: PromotionStatus,
    pub components_total: i64,
    pub components_created: i64,
    pub components_updated: i64,
    pub components_failed: i64,
    pub error_message: Option<String>,
    pub error_code: Option<ErrorCode>,
    /// Per-component results (the seeds' `resultDetail`, a JSON list).
    pub result_detail: Vec<ComponentResult>,
    /// Why the promotion visibly waits (branch limit, deploy window, queued behind X).
    pub waiting_reason: Option<String>,
    // peer review
    pub peer_review_status: Option<PeerReviewStatus>,
    pub peer_reviewed_by: Option<String>,
    #[serde(with = "ts_opt")]
    pub peer_reviewed_at: Option<DateTime<Utc>>,
    pub peer_review_comments: Option<String>,
    // admin review
    pub admin_review_status: Option<AdminReviewStatus>,
    pub admin_approved_by: Option<String>,
    #[serde(with = "ts_opt")]
    pub admin_approved_at: Option<DateTime<Utc>>,
    pub admin_comments: Option<String>,
    // branch
    pub branch_id: Option<String>,
    pub branch_name: Option<String>,
    // packaging
    pub integration_pack_id: Option<String>,
    pub integration_pack_name: Option<String>,
    pub release_id: Option<String>,
    pub test_release_id: Option<String>,
    pub process_name: String,
    pub package_version: Option<String>,
    pub deployment_notes: Option<String>,
    #[serde(with = "ts_opt")]
    pub deployed_at: Option<DateTime<Utc>>,
    // environment
    pub target_environment: Target,
    pub is_hotfix: bool,
    pub hotfix_justification: Option<String>,
    pub test_promotion_id: Option<String>,
    #[serde(with = "ts_opt")]
    pub test_deployed_at: Option<DateTime<Utc>>,
    pub test_integration_pack_id: Option<String>,
    pub test_integration_pack_name: Option<String>,
    pub promoted_from_test_by: Option<String>,
    // withdrawal
    #[serde(with = "ts_opt")]
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdrawal_reason: Option<String>,
    // GitOps
    /// `sha256:<hex>` of the exact bytes of `request.yaml` this record was built from.
    pub request_digest: Option<String>,
    /// The commit that introduced each document of the promotion.
    pub document_commits: DocumentCommits,
    /// TEST records: the main version each promoted component had after the merge.
    pub tested_versions: Vec<TestedVersion>,
    /// One entry per target environment of the last deployment.
    pub deployments: Vec<DeploymentResult>,
    /// The peer review and admin decision the reconciler acted on, with the digests they were
    /// bound to (what the deployment guard checks before anything runs in production).
    pub approvals: Approvals,
    #[serde(with = "ts")]
    pub updated_at: DateTime<Utc>,
}

/// The review documents a promotion was moved on by.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Approvals {
    pub peer: Option<Approval>,
    pub admin: Option<Approval>,
}

/// One review document acted on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Approval {
    /// `APPROVED`, `REJECTED` (peer) or `DENIED` (admin).
    pub decision: String,
    /// The reviewer or admin, lower-case.
    pub by: String,
    /// `sha256:` of the review document's bytes.
    pub digest: String,
    /// The `requestDigest` it carried.
    pub request_digest: String,
    /// The `peerReviewDigest` an admin decision carried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_review_digest: Option<String>,
    /// The commit that brought it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

impl Approval {
    pub fn is_approved(&self) -> bool {
        self.decision == "APPROVED"
    }
}

impl PromotionRecord {
    /// A fresh record with every optional field empty and the counts at zero.
    pub fn new(
        promotion_id: impl Into<String>,
        dev_account_id: impl Into<String>,
        initiated_by: &str,
        process_name: impl Into<String>,
        target_environment: Target,
        status: PromotionStatus,
        initiated_at: DateTime<Utc>,
    ) -> Self {
        PromotionRecord {
            promotion_id: promotion_id.into(),
            dev_account_id: dev_account_id.into(),
            prod_account_id: String::new(),
            dev_package_id: None,
            prod_package_id: None,
            initiated_by: initiated_by.to_lowercase(),
            initiated_at,
            status,
            components_total: 0,
            components_created: 0,
            components_updated: 0,
            components_failed: 0,
            error_message: None,
            error_code: None,
            result_detail: Vec::new(),
            waiting_reason: None,
            peer_review_status: None,
            peer_reviewed_by: None,
            peer_reviewed_at: None,
            peer_review_comments: None,
            admin_review_status: None,
            admin_approved_by: None,
            admin_approved_at: None,
            admin_comments: None,
            branch_id: None,
            branch_name: None,
            integration_pack_id: None,
            integration_pack_name: None,
            release_id: None,
            test_release_id: None,
            process_name: process_name.into(),
            package_version: None,
            deployment_notes: None,
            deployed_at: None,
            target_environment,
            is_hotfix: false,
            hotfix_justification: None,
            test_promotion_id: None,
            test_deployed_at: None,
            test_integration_pack_id: None,
            test_integration_pack_name: None,
            promoted_from_test_by: None,
            withdrawn_at: None,
            withdrawal_reason: None,
            request_digest: None,
            document_commits: DocumentCommits::default(),
            tested_versions: Vec::new(),
            deployments: Vec::new(),
            approvals: Approvals::default(),
            updated_at: initiated_at,
        }
    }
}

impl PromotionRecord {
    /// The deployment mode, fixed when the request was accepted: TEST, production from a TEST
    /// promotion (`testPromotionId`), or a hotfix.
    pub fn mode(&self) -> Mode {
        match (self.target_environment, &self.test_promotion_id) {
            (Target::Test, _) => Mode::Test,
            (Target::Production, Some(_)) => Mode::ProductionFromTest,
            (Target::Production, None) => Mode::Hotfix,
        }
    }
}

/// The commit that introduced each document of a promotion (`None`: not seen yet).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DocumentCommits {
    pub request: Option<String>,
    pub peer_review: Option<String>,
    pub admin_review: Option<String>,
    pub pack_assignment: Option<String>,
    pub withdrawal: Option<String>,
    pub cancel_test: Option<String>,
}

/// What happened to one component in a promotion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ComponentAction {
    Created,
    Updated,
    Failed,
    Skipped,
}

/// The outcome status of one component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ComponentStatus {
    Success,
    Failed,
    Skipped,
}

/// One item of `resultDetail`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentResult {
    pub dev_component_id: String,
    pub prod_component_id: Option<String>,
    pub name: String,
    #[serde(rename = "type")]
    pub component_type: String,
    pub action: ComponentAction,
    pub status: ComponentStatus,
    pub version: Option<i64>,
    #[serde(default)]
    pub config_stripped: bool,
    pub error_message: Option<String>,
}

/// The main version of a component recorded after a TEST merge ("ship what was tested").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestedVersion {
    /// The production component id.
    pub component_id: String,
    pub name: String,
    pub version: i64,
}

/// The state of a deployment to one environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeploymentStatus {
    Pending,
    Deployed,
    Failed,
}

/// The deployment of a promotion's package to one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentResult {
    pub environment_id: String,
    pub deployment_id: Option<String>,
    pub status: DeploymentStatus,
    pub error: Option<String>,
}

/// The SQL type of a column of `promotions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Col {
    Text,
    Int,
    Bool,
    /// A JSON document stored as text.
    Json,
}

/// Every column of `promotions`, named like the record's serialised fields.
pub(crate) const COLUMNS: &[(&str, Col)] = &[
    ("promotionId", Col::Text),
    ("devAccountId", Col::Text),
    ("prodAccountId", Col::Text),
    ("devPackageId", Col::Text),
    ("prodPackageId", Col::Text),
    ("initiatedBy", Col::Text),
    ("initiatedAt", Col::Text),
    ("status", Col::Text),
    ("componentsTotal", Col::Int),
    ("componentsCreated", Col::Int),
    ("componentsUpdated", Col::Int),
    ("componentsFailed", Col::Int),
    ("errorMessage", Col::Text),
    ("errorCode", Col::Text),
    ("resultDetail", Col::Json),
    ("waitingReason", Col::Text),
    ("peerReviewStatus", Col::Text),
    ("peerReviewedBy", Col::Text),
    ("peerReviewedAt", Col::Text),
    ("peerReviewComments", Col::Text),
    ("adminReviewStatus", Col::Text),
    ("adminApprovedBy", Col::Text),
    ("adminApprovedAt", Col::Text),
    ("adminComments", Col::Text),
    ("branchId", Col::Text),
    ("branchName", Col::Text),
    ("integrationPackId", Col::Text),
    ("integrationPackName", Col::Text),
    ("releaseId", Col::Text),
    ("testReleaseId", Col::Text),
    ("processName", Col::Text),
    ("packageVersion", Col::Text),
    ("deploymentNotes", Col::Text),
    ("deployedAt", Col::Text),
    ("targetEnvironment", Col::Text),
    ("isHotfix", Col::Bool),
    ("hotfixJustification", Col::Text),
    ("testPromotionId", Col::Text),
    ("testDeployedAt", Col::Text),
    ("testIntegrationPackId", Col::Text),
    ("testIntegrationPackName", Col::Text),
    ("promotedFromTestBy", Col::Text),
    ("withdrawnAt", Col::Text),
    ("withdrawalReason", Col::Text),
    ("requestDigest", Col::Text),
    ("documentCommits", Col::Json),
    ("testedVersions", Col::Json),
    ("deployments", Col::Json),
    ("approvals", Col::Json),
    ("updatedAt", Col::Text),
];

/// `"promotionId", "devAccountId", ...` for SELECT lists.
pub(crate) fn select_list(alias: &str) -> String {
    COLUMNS
        .iter()
        .map(|(c, _)| format!("{alias}\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The record as one SQL value per column of [`COLUMNS`], in order.
pub(crate) fn to_values(rec: &PromotionRecord) -> Result<Vec<rusqlite::types::Value>, String> {
    use rusqlite::types::Value as Sql;
    use serde_json::Value as J;
    let json = serde_json::to_value(rec).map_err(|e| e.to_string())?;
    let J::Object(map) = json else {
        return Err("record did not serialise to an object".into());
    };
    let mut out = Vec::with_capacity(COLUMNS.len());
    for (name, col) in COLUMNS {
        let v = map.get(*name).cloned().unwrap_or(J::Null);
        let sql = match (col, v) {
            (_, J::Null) if *col != Col::Json => Sql::Null,
            (Col::Text, J::String(s)) => Sql::Text(s),
            (Col::Int, J::Number(n)) => Sql::Integer(
                n.as_i64()
                    .ok_or_else(|| format!("{name}: not an integer"))?,
            ),
            (Col::Bool, J::Bool(b)) => Sql::Integer(b as i64),
            (Col::Json, v) => Sql::Text(serde_json::to_string(&v).map_err(|e| e.to_string())?),
            (_, v) => return Err(format!("{name}: unexpected value {v}")),
        };
        out.push(sql);
    }
    Ok(out)
}

/// Build a record from a row selected with [`select_list`] starting at column `offset`.
pub(crate) fn from_row(row: &rusqlite::Row<'_>, offset: usize) -> Result<PromotionRecord, String> {
    use rusqlite::types::ValueRef;
    use serde_json::Value as J;
    let mut map = serde_json::Map::with_capacity(COLUMNS.len());
    for (i, (name, col)) in COLUMNS.iter().enumerate() {
        let v = row
            .get_ref(offset + i)
            .map_err(|e| format!("{name}: {e}"))?;
        let j = match (col, v) {
            (Col::Json, ValueRef::Null) => J::Null,
            (_, ValueRef::Null) => J::Null,
            (Col::Text, ValueRef::Text(t)) => J::String(
                std::str::from_utf8(t)
                    .map_err(|e| format!("{name}: {e}"))?
                    .to_owned(),
            ),
            (Col::Int, ValueRef::Integer(n)) => J::from(n),
            (Col::Bool, ValueRef::Integer(n)) => J::Bool(n != 0),
            (Col::Json, ValueRef::Text(t)) => {
                serde_json::from_slice(t).map_err(|e| format!("{name}: {e}"))?
            }
            (_, other) => return Err(format!("{name}: unexpected SQL value {other:?}")),
        };
        map.insert((*name).to_owned(), j);
    }
    serde_json::from_value(J::Object(map)).map_err(|e| e.to_string())
}

/// Format a timestamp the way the store writes it (fixed width, sorts as text).
pub fn format_ts(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Parse a timestamp written by [`format_ts`] (any RFC 3339 form is accepted).
pub fn parse_ts(s: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc))
}

pub(crate) mod ts {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_ts(t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_ts(&s).map_err(serde::de::Error::custom)
    }
}

pub(crate) mod ts_opt {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&super::format_ts(t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        let s = Option::<String>::deserialize(d)?;
        s.map(|s| super::parse_ts(&s).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> PromotionRecord {
        let t = parse_ts("2026-11-21T08:00:00Z").unwrap();
        let mut r = PromotionRecord::new(
            "orders-1",
            "dev-a",
            "Alice@Example.com",
            "Orders",
            Target::Production,
            PromotionStatus::PendingPeerReview,
            t,
        );
        r.result_detail.push(ComponentResult {
            dev_component_id: "d1".into(),
            prod_component_id: Some("p1".into()),
            name: "Main".into(),
            component_type: "process".into(),
            action: ComponentAction::Created,
            status: ComponentStatus::Success,
            version: Some(1),
            config_stripped: true,
            error_message: None,
        });
        r.is_hotfix = true;
        r.error_code = Some(ErrorCode::BranchLimitReached);
        r.peer_review_status = Some(PeerReviewStatus::PendingPeerReview);
        r.deployed_at = Some(t);
        r.document_commits.request = Some("abc".into());
        r
    }

    #[test]
    fn columns_cover_every_serialised_field() {
        let json = serde_json::to_value(full()).unwrap();
        let keys: std::collections::BTreeSet<_> =
            json.as_object().unwrap().keys().cloned().collect();
        let cols: std::collections::BTreeSet<_> =
            COLUMNS.iter().map(|(c, _)| c.to_string()).collect();
        assert_eq!(keys, cols);
    }

    #[test]
    fn json_uses_the_seed_names() {
        let json = serde_json::to_value(full()).unwrap();
        assert_eq!(json["initiatedBy"], "alice@example.com");
        assert_eq!(json["status"], "PENDING_PEER_REVIEW");
        assert_eq!(json["targetEnvironment"], "PRODUCTION");
        assert_eq!(json["errorCode"], "BRANCH_LIMIT_REACHED");
        assert_eq!(json["initiatedAt"], "2026-11-21T08:00:00.000000Z");
        assert_eq!(json["resultDetail"][0]["type"], "process");
        assert_eq!(json["resultDetail"][0]["action"], "CREATED");
        assert_eq!(json["documentCommits"]["request"], "abc");
    }

    #[test]
    fn timestamps_have_fixed_width() {
        let a = parse_ts("2026-11-21T08:00:00Z").unwrap();
        let b = parse_ts("2026-11-21T08:00:00.5Z").unwrap();
        assert_eq!(format_ts(&a).len(), format_ts(&b).len());
        assert!(format_ts(&a) < format_ts(&b));
    }
}
