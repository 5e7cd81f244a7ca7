//! The enums of Boomi's OpenAPI file, spelled as on the wire (branch and merge stages,
//! merge strategies, pack, release and deployment states, environment classification,
//! account status, query operators).

use serde::{Deserialize, Serialize};

wire_enum!(
    /// `Branch.stage`.
    BranchStage { Creating = "CREATING", Normal = "NORMAL", Deleting = "DELETING" }
);
wire_enum!(
    /// `MergeRequest.stage` / `previousStage`.
    MergeStage {
        NotExist = "NOT_EXIST",
        Drafting = "DRAFTING",
        FailedToDraft = "FAILED_TO_DRAFT",
        FailedToRedraft = "FAILED_TO_REDRAFT",
        Drafted = "DRAFTED",
        Reviewing = "REVIEWING",
        Merging = "MERGING",
        Merged = "MERGED",
        FailedToMerge = "FAILED_TO_MERGE",
        Deleted = "DELETED",
        Redrafting = "REDRAFTING",
        Reverted = "REVERTED",
    }
);
wire_enum!(
    /// `MergeRequest.strategy`.
    MergeStrategy { Override = "OVERRIDE", ConflictResolve = "CONFLICT_RESOLVE", Subset = "SUBSET" }
);
wire_enum!(
    /// `MergeRequest.priorityBranch` — an enum, not a branch id.
    PriorityBranch { Source = "SOURCE", Destination = "DESTINATION" }
);
wire_enum!(
    /// `MergeRequest.mergeRequestAction`.
    MergeRequestAction { Update = "UPDATE", Merge = "MERGE", RetryDrafting = "RETRY_DRAFTING", Revert = "REVERT" }
);
wire_enum!(
    /// `MergeRequestDetail.changeType`.
    ChangeType { Added = "ADDED", Modified = "MODIFIED", Deleted = "DELETED" }
);
wire_enum!(
    /// `MergeRequestDetail.resolution`.
    Resolution { Override = "OVERRIDE", KeepDestination = "KEEP_DESTINATION" }
);
wire_enum!(
    /// `MergeRequestDetail.stage`.
    MergeDetailStage {
        Drafted = "DRAFTED",
        Reviewed = "REVIEWED",
        ConflictResolved = "CONFLICT_RESOLVED",
        Merged = "MERGED",
        Reverted = "REVERTED",
    }
);
wire_enum!(
    /// `installationType` of integration packs.
    InstallationType { Single = "SINGLE", Multi = "MULTI" }
);
wire_enum!(
    /// `PublisherIntegrationPack.operationType` (update only).
    OperationType { Add = "ADD", Delete = "DELETE" }
);
wire_enum!(
    /// `ReleaseIntegrationPack.releaseSchedule`.
    ReleaseSchedule { Immediately = "IMMEDIATELY", ReleaseOnSpecifiedDate = "RELEASE_ON_SPECIFIED_DATE" }
);
wire_enum!(
    /// `ReleaseIntegrationPackStatus.releaseStatus`.
    ReleaseStatus { InProgress = "IN_PROGRESS", Success = "SUCCESS", Scheduled = "SCHEDULED", Error = "ERROR" }
);
wire_enum!(
    /// `DeployedPackage.listenerStatus`.
    ListenerStatus { Running = "RUNNING", Paused = "PAUSED" }
);
wire_enum!(
    /// `Environment.classification` — `PROD`, not `PRODUCTION`.
    Classification { Prod = "PROD", Test = "TEST" }
);
wire_enum!(
    /// `Account.status`.
    AccountStatus {
        Trial = "trial",
        Active = "active",
        Suspended = "suspended",
        Deleted = "deleted",
        Unlimited = "unlimited",
    }
);
wire_enum!(
    /// `Account.supportLevel`.
    SupportLevel { Standard = "standard", Premier = "premier" }
);
wire_enum!(
    /// `References.type`.
    ReferenceType { Dependent = "DEPENDENT", Independent = "INDEPENDENT" }
);
wire_enum!(
    /// Simple-expression operators of every `*SimpleExpression` schema (plus `STARTS_WITH`
    /// and `NOT_LIKE`, which the API's query chapter documents).
    Operator {
        Equals = "EQUALS",
        NotEquals = "NOT_EQUALS",
        Like = "LIKE",
        NotLike = "NOT_LIKE",
        StartsWith = "STARTS_WITH",
        IsNull = "IS_NULL",
        IsNotNull = "IS_NOT_NULL",
        Between = "BETWEEN",
        GreaterThan = "GREATER_THAN",
        GreaterThanOrEqual = "GREATER_THAN_OR_EQUAL",
        LessThan = "LESS_THAN",
        LessThanOrEqual = "LESS_THAN_OR_EQUAL",
        Contains = "CONTAINS",
        NotContains = "NOT_CONTAINS",
    }
);
wire_enum!(
    /// Grouping-expression operators (lower case on the wire).
    GroupOperator { And = "and", Or = "or" }
);
