//! Branches and merge requests: `Branch`, `MergeRequest` and its `MergeRequestDetail`s.

use super::*;
use crate::boomi::lenient as l;
use serde::{Deserialize, Serialize};

/// `Branch` (XML attributes). The id field is `id`, never `branchId`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Branch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Id of the parent **branch**.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "l::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub ready: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<BranchStage>,
    #[serde(
        default,
        deserialize_with = "l::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub deleted: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_date: Option<String>,
}

impl Branch {
    /// `ready=true` (and not still creating).
    pub fn is_ready(&self) -> bool {
        self.ready == Some(true) && self.stage != Some(BranchStage::Creating)
    }
}

/// One component of a merge (`MergeRequestDetail`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MergeRequestDetail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_guid: Option<String>,
    #[serde(
        default,
        deserialize_with = "l::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub source_revision: Option<i64>,
    #[serde(
        default,
        deserialize_with = "l::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub destination_revision: Option<i64>,
    #[serde(
        default,
        deserialize_with = "l::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub merge_revision: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_type: Option<ChangeType>,
    #[serde(
        default,
        deserialize_with = "l::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub conflict: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Resolution>,
    #[serde(
        default,
        deserialize_with = "l::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub excluded: Option<bool>,
    #[serde(
        default,
        deserialize_with = "l::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub locked_on_destination_branch: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<MergeDetailStage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_date: Option<String>,
}

/// `MergeRequestDetails` wrapper.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeRequestDetails {
    #[serde(rename = "MergeRequestDetail", default, deserialize_with = "l::list")]
    pub merge_request_detail: Vec<MergeRequestDetail>,
}

/// `MergeRequest` (XML attributes).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MergeRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_branch_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_branch_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_branch_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_branch_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<MergeStrategy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_branch: Option<PriorityBranch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<MergeStage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_stage: Option<MergeStage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge_request_action: Option<MergeRequestAction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked_date: Option<String>,
    #[serde(
        default,
        deserialize_with = "l::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub lock_nonce: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inactive_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_date: Option<String>,
    /// Required by the schema: always written (empty list when there are no details).
    #[serde(rename = "MergeRequestDetails", default)]
    pub merge_request_details: MergeRequestDetails,
}
