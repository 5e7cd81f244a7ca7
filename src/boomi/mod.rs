//! The Boomi Platform API as the lifecycle sees it.
//!
//! * [`Platform`]: an async, object-safe trait in domain words (components, branches, merges,
//!   packages, packs, releases, deployments, environments, accounts, extensions). Every method
//!   that Boomi allows on a sub-account takes the effective account as `Option<&str>`
//!   (`None` = the primary account, `Some(dev)` = `?overrideAccount=dev`).
//! * [`wire`]: the JSON wire types, named and spelled as the schemas of Boomi's OpenAPI file.
//! * [`HttpPlatform`]: the reqwest implementation (partner API paths, Basic auth with an API
//!   token, one shared rate limiter, retries with capped exponential backoff and jitter,
//!   `queryMore` paging, an optional traffic record).
//! * [`BoomiError`] with catalogue codes, and [`Credentials`].
//! * [`listing`]: the read-side listings (dev accounts, dev packages, integration packs).

pub mod credentials;
pub mod error;
pub mod http;
pub mod lenient;
pub mod listing;
pub mod source;
pub mod wire;

pub use credentials::Credentials;
pub use error::{BoomiError, ErrorClass, Resource};
pub use http::{CallEvent, CallObserver, HttpConfig, HttpPlatform, RetryPolicy, DEFAULT_BASE_URL};

use async_trait::async_trait;
use std::time::Duration;
use wire::*;

/// Filter of a component metadata query. By default only current, not deleted revisions are
/// returned (`currentVersion=true`, `deleted=false`); every given field narrows the query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetadataQuery {
    pub component_id: Option<String>,
    pub name: Option<String>,
    pub folder_id: Option<String>,
    pub folder_name: Option<String>,
    pub component_type: Option<String>,
    pub branch_id: Option<String>,
    /// Return every revision, deleted ones too.
    pub all_revisions: bool,
}

impl MetadataQuery {
    /// The query expression.
    pub fn expression(&self) -> Expression {
        let mut e = Vec::new();
        if !self.all_revisions {
            e.push(Expression::eq("currentVersion", "true"));
            e.push(Expression::eq("deleted", "false"));
        }
        let fields = [
            ("componentId", &self.component_id),
            ("name", &self.name),
            ("folderId", &self.folder_id),
            ("folderName", &self.folder_name),
            ("type", &self.component_type),
            ("branchId", &self.branch_id),
        ];
        for (prop, v) in fields {
            if let Some(v) = v {
                e.push(Expression::eq(prop, v.clone()));
            }
        }
        if e.is_empty() {
            e.push(Expression::not_null("componentId"));
        }
        Expression::and(e)
    }
}

/// Filter of a packaged component query (every given field narrows it; none = all packages).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageQuery {
    pub component_id: Option<String>,
    pub package_version: Option<String>,
    pub component_version: Option<i64>,
    pub component_type: Option<String>,
}

impl PackageQuery {
    /// The query expression.
    pub fn expression(&self) -> Expression {
        let mut e = Vec::new();
        if let Some(v) = &self.component_id {
            e.push(Expression::eq("componentId", v.clone()));
        }
        if let Some(v) = &self.package_version {
            e.push(Expression::eq("packageVersion", v.clone()));
        }
        if let Some(v) = self.component_version {
            e.push(Expression::eq("componentVersion", v.to_string()));
        }
        if let Some(v) = &self.component_type {
            e.push(Expression::eq("componentType", v.clone()));
        }
        if e.is_empty() {
            e.push(Expression::not_null("packageId"));
        }
        Expression::and(e)
    }
}

/// Filter of a deployed package query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeploymentQuery {
    pub environment_id: Option<String>,
    pub package_id: Option<String>,
    pub component_id: Option<String>,
    pub active: Option<bool>,
}

impl DeploymentQuery {
    /// The query expression.
    pub fn expression(&self) -> Expression {
        let mut e = Vec::new();
        if let Some(v) = &self.environment_id {
            e.push(Expression::eq("environmentId", v.clone()));
        }
        if let Some(v) = &self.package_id {
            e.push(Expression::eq("packageId", v.clone()));
        }
        if let Some(v) = &self.component_id {
            e.push(Expression::eq("componentId", v.clone()));
        }
        if let Some(v) = self.active {
            e.push(Expression::eq("active", v.to_string()));
        }
        if e.is_empty() {
            e.push(Expression::not_null("deploymentId"));
        }
        Expression::and(e)
    }
}

/// What to package.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewPackage {
    pub component_id: String,
    /// Free text; Boomi derives one from the component revision when absent.
    pub package_version: Option<String>,
    pub notes: Option<String>,
    /// Package the component as it is on this branch (by name); `None` = main.
    pub branch_name: Option<String>,
    /// Package this revision of the component rather than the current one.
    pub component_version: Option<i64>,
    /// Required `true` for a process that goes into an integration pack.
    pub shareable: bool,
}

/// Whether a delete removed the object now or found it already gone (both mean "deleted").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deletion {
    Deleted,
    AlreadyGone,
}

/// One poll of a release: Boomi answers 202 while it runs or is scheduled, 200 when done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseProgress {
    /// `true` on the 200 answer.
    pub finished: bool,
    pub status: ReleaseIntegrationPackStatus,
}

/// The Boomi Platform API in the words of the promotion lifecycle. Object safe; used as
/// `Arc<dyn Platform>`.
#[async_trait]
pub trait Platform: Send + Sync {
    // ----- components (XML) ------------------------------------------------------------------

    /// `GET Component/{id}` (main) or `Component/{id}~{branchId}` (a branch).
    async fn get_component(
        &self,
        account: Option<&str>,
        component_id: &str,
        branch_id: Option<&str>,
    ) -> Result<Component, BoomiError>;

    /// `GET Component/{id}~{version}`: a past revision.
    async fn get_component_revision(
        &self,
        account: Option<&str>,
        component_id: &str,
        version: i64,
    ) -> Result<Component, BoomiError>;

    /// `POST Component`: create (version 1). With a branch, `branchId` is set on the root.
    async fn create_component(
        &self,
        account: Option<&str>,
        component: &Component,
        branch_id: Option<&str>,
    ) -> Result<Component, BoomiError>;

    /// `POST Component/{id}`: full replace (version + 1; secrets left out are kept). With a
    /// branch, `branchId` is set on the root.
    async fn update_component(
        &self,
        account: Option<&str>,
        component_id: &str,
        component: &Component,
        branch_id: Option<&str>,
    ) -> Result<Component, BoomiError>;

    /// `POST ComponentMetadata/query` (+ `queryMore`).
    async fn query_component_metadata(
        &self,
        account: Option<&str>,
        query: &MetadataQuery,
    ) -> Result<Vec<ComponentMetadata>, BoomiError>;

    /// `GET ComponentMetadata/{id}` (or `{id}~{branchId}`).
    async fn get_component_metadata(
        &self,
        account: Option<&str>,
        component_id: &str,
        branch_id: Option<&str>,
    ) -> Result<ComponentMetadata, BoomiError>;

    /// The components a parent revision uses (`ComponentReference/query` by
    /// `parentComponentId` + `parentVersion`; a revision number names one revision across
    /// branches, so no branch is needed). One level only.
    async fn component_children(
        &self,
        account: Option<&str>,
        parent_component_id: &str,
        parent_version: i64,
    ) -> Result<Vec<References>, BoomiError>;

    /// The components that use `component_id` in their current revision ("where used").
    async fn component_where_used(
        &self,
        account: Option<&str>,
        component_id: &str,
        branch_id: Option<&str>,
    ) -> Result<Vec<References>, BoomiError>;

    // ----- branches ---------------------------------------------------------------------------

    /// `POST Branch/query`: all branches, or those with this name.
    async fn query_branches(
        &self,
        account: Option<&str>,
        name: Option<&str>,
    ) -> Result<Vec<Branch>, BoomiError>;

    /// The id of the `main` branch.
    async fn main_branch_id(&self, account: Option<&str>) -> Result<String, BoomiError>;

    /// `POST Branch` from the parent branch id; answers at once with `ready=false`.
    /// The account's branch ceiling answers [`BoomiError::BranchLimitReached`].
    async fn create_branch(
        &self,
        account: Option<&str>,
        name: &str,
        parent_branch_id: &str,
        description: Option<&str>,
    ) -> Result<Branch, BoomiError>;

    /// `GET Branch/{id}` (`ready`, `stage`).
    async fn get_branch(
        &self,
        account: Option<&str>,
        branch_id: &str,
    ) -> Result<Branch, BoomiError>;

    /// `DELETE Branch/{id}`; "not found" counts as deleted.
    async fn delete_branch(
        &self,
        account: Option<&str>,
        branch_id: &str,
    ) -> Result<Deletion, BoomiError>;

    // ----- merge requests ---------------------------------------------------------------------

    /// `POST MergeRequest` with `strategy: OVERRIDE`, `priorityBranch: SOURCE`.
    async fn create_merge_request(
        &self,
        account: Option<&str>,
        source_branch_id: &str,
        destination_branch_id: &str,
        note: Option<&str>,
    ) -> Result<MergeRequest, BoomiError>;

    /// `GET MergeRequest/{id}`.
    async fn get_merge_request(
        &self,
        account: Option<&str>,
        merge_request_id: &str,
    ) -> Result<MergeRequest, BoomiError>;

    /// `POST MergeRequest/execute/{id}` with `mergeRequestAction: MERGE`.
    async fn execute_merge_request(
        &self,
        account: Option<&str>,
        merge_request_id: &str,
    ) -> Result<MergeRequest, BoomiError>;

    /// `POST MergeRequest/query` by `sourceBranchId` (the active merge requests of a branch).
    async fn query_merge_requests(
        &self,
        account: Option<&str>,
        source_branch_id: &str,
    ) -> Result<Vec<MergeRequest>, BoomiError>;

    // ----- packaged components ----------------------------------------------------------------

    /// `POST PackagedComponent/query` (+ `queryMore`).
    async fn query_packaged_components(
        &self,
        account: Option<&str>,
        query: &PackageQuery,
    ) -> Result<Vec<PackagedComponent>, BoomiError>;

    /// `GET PackagedComponent/{id}`.
    async fn get_packaged_component(
        &self,
        account: Option<&str>,
        package_id: &str,
    ) -> Result<PackagedComponent, BoomiError>;

    /// `POST PackagedComponent` from main or from a branch (`branchName`). A version that
    /// exists already answers [`BoomiError::DuplicatePackageVersion`].
    async fn create_packaged_component(
        &self,
        account: Option<&str>,
        package: &NewPackage,
    ) -> Result<PackagedComponent, BoomiError>;

    // ----- publisher integration packs and releases -------------------------------------------

    /// `POST PublisherIntegrationPack`.
    async fn create_publisher_pack(
        &self,
        name: &str,
        description: &str,
        installation_type: InstallationType,
    ) -> Result<PublisherIntegrationPack, BoomiError>;

    /// `POST PublisherIntegrationPack/query`: all packs, or those with this name.
    async fn query_publisher_packs(
        &self,
        name: Option<&str>,
    ) -> Result<Vec<PublisherIntegrationPack>, BoomiError>;

    /// `GET PublisherIntegrationPack/{id}`.
    async fn get_publisher_pack(
        &self,
        pack_id: &str,
    ) -> Result<PublisherIntegrationPack, BoomiError>;

    /// `POST PublisherIntegrationPack/{id}` with `operationType: ADD` and the components
    /// (primary component ids); name and description are kept.
    async fn add_pack_components(
        &self,
        pack_id: &str,
        component_ids: &[String],
    ) -> Result<PublisherIntegrationPack, BoomiError>;

    /// `GET ReleaseIntegrationPackStatus/{requestId}`: 202 (running) or 200 (done).
    async fn release_status(&self, request_id: &str) -> Result<ReleaseProgress, BoomiError>;

    // ----- deployments and environments -------------------------------------------------------

    /// `POST DeployedPackage/query` (+ `queryMore`).
    async fn query_deployed_packages(
        &self,
        account: Option<&str>,
        query: &DeploymentQuery,
    ) -> Result<Vec<DeployedPackage>, BoomiError>;

    /// `GET Environment/{id}`: one environment and its classification.
    async fn get_environment(
        &self,
        account: Option<&str>,
        environment_id: &str,
    ) -> Result<Environment, BoomiError>;

    /// `POST Environment/query`: all environments, or those of one classification.
    async fn query_environments(
        &self,
        account: Option<&str>,
        classification: Option<Classification>,
    ) -> Result<Vec<Environment>, BoomiError>;

    // ----- accounts ---------------------------------------------------------------------------

    /// `POST Account/query` in the primary account: its sub-accounts.
    async fn list_sub_accounts(&self) -> Result<Vec<Account>, BoomiError>;

    /// `GET Account/{id}`.
    async fn get_account(&self, account_id: &str) -> Result<Account, BoomiError>;

    // ----- extensions -------------------------------------------------------------------------

    /// `GET EnvironmentExtensions/{id}` (id = the environment id, or env + extension group).
    async fn get_environment_extensions(
        &self,
        account: Option<&str>,
        extensions_id: &str,
    ) -> Result<EnvironmentExtensions, BoomiError>;

    /// `POST EnvironmentExtensions/{id}` with `partial=true` (only what is sent changes).
    async fn update_environment_extensions(
        &self,
        account: Option<&str>,
        extensions: &EnvironmentExtensions,
    ) -> Result<EnvironmentExtensions, BoomiError>;

    /// `POST EnvironmentMapExtensionsSummary/query` by environment.
    async fn query_map_extension_summaries(
        &self,
        account: Option<&str>,
        environment_id: &str,
    ) -> Result<Vec<EnvironmentMapExtensionsSummary>, BoomiError>;

    /// `GET EnvironmentMapExtension/{id}`.
    async fn get_map_extension(
        &self,
        account: Option<&str>,
        map_extension_id: &str,
    ) -> Result<EnvironmentMapExtension, BoomiError>;

    /// `POST EnvironmentMapExtension/{id}`: replaces the extended mappings and functions.
    async fn update_map_extension(
        &self,
        account: Option<&str>,
        map_extension: &EnvironmentMapExtension,
    ) -> Result<EnvironmentMapExtension, BoomiError>;
}

/// How often and how long to poll an asynchronous Boomi object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Polling {
    pub interval: Duration,
    pub max_polls: u32,
}

impl Default for Polling {
    fn default() -> Self {
        Polling {
            interval: Duration::from_secs(2),
            max_polls: 60,
        }
    }
}

/// The Boomi calls that make something run in an environment: releasing an integration pack
/// and deploying a package. Kept apart from [`Platform`] so that the reconciler, which holds a
/// `dyn Platform`, cannot reach them except through its deployment guard
/// (`reconcile::guard::Gate`), the one place that checks classification and approvals.
#[async_trait]
pub trait Deployer: Send + Sync {
    /// `POST ReleaseIntegrationPack` (`releaseSchedule: IMMEDIATELY`) of these components and
    /// package versions; the reply carries the `requestId`.
    async fn release_pack(
        &self,
        pack_id: &str,
        components: &[ReleasePackagedComponent],
    ) -> Result<ReleaseIntegrationPack, BoomiError>;

    /// `POST DeployedPackage`: deploy a package to an environment.
    async fn deploy_package(
        &self,
        account: Option<&str>,
        environment_id: &str,
        package_id: &str,
        notes: Option<&str>,
    ) -> Result<DeployedPackage, BoomiError>;
}

/// Poll `GET Branch/{id}` until `ready=true`; [`BoomiError::BranchNotReady`] after
/// `max_polls` reads.
pub async fn wait_branch_ready(
    platform: &dyn Platform,
    account: Option<&str>,
    branch_id: &str,
    polling: Polling,
) -> Result<Branch, BoomiError> {
    for n in 0..polling.max_polls {
        let b = platform.get_branch(account, branch_id).await?;
        if b.is_ready() {
            return Ok(b);
        }
        if n + 1 < polling.max_polls {
            tokio::time::sleep(polling.interval).await;
        }
    }
    Err(BoomiError::BranchNotReady {
        branch_id: branch_id.to_string(),
        polls: polling.max_polls,
    })
}

/// Poll a merge request until it reaches one of `targets`; a failure stage
/// (`FAILED_TO_DRAFT`, `FAILED_TO_REDRAFT`, `DELETED`, and `FAILED_TO_MERGE` unless it is a
/// target) answers [`BoomiError::MergeFailed`], running out of polls
/// [`BoomiError::MergeTimeout`].
pub async fn wait_merge_stage(
    platform: &dyn Platform,
    account: Option<&str>,
    merge_request_id: &str,
    targets: &[MergeStage],
    polling: Polling,
) -> Result<MergeRequest, BoomiError> {
    let mut last = String::from("unknown");
    for n in 0..polling.max_polls {
        let mr = platform
            .get_merge_request(account, merge_request_id)
            .await?;
        if let Some(stage) = mr.stage {
            if targets.contains(&stage) {
                return Ok(mr);
            }
            if matches!(
                stage,
                MergeStage::FailedToDraft
                    | MergeStage::FailedToRedraft
                    | MergeStage::FailedToMerge
                    | MergeStage::Deleted
                    | MergeStage::Reverted
            ) {
                return Err(BoomiError::MergeFailed {
                    id: merge_request_id.to_string(),
                    stage: stage.to_string(),
                });
            }
            last = stage.to_string();
        }
        if n + 1 < polling.max_polls {
            tokio::time::sleep(polling.interval).await;
        }
    }
    Err(BoomiError::MergeTimeout {
        id: merge_request_id.to_string(),
        stage: last,
        polls: polling.max_polls,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn metadata_query_defaults_to_current_not_deleted() {
        let q = MetadataQuery {
            name: Some("Order Processing Main".into()),
            ..Default::default()
        };
        let v = serde_json::to_value(QueryConfig::new(q.expression())).unwrap();
        assert_eq!(
            v,
            json!({"QueryFilter":{"expression":{"operator":"and","nestedExpression":[
                {"operator":"EQUALS","property":"currentVersion","argument":["true"]},
                {"operator":"EQUALS","property":"deleted","argument":["false"]},
                {"operator":"EQUALS","property":"name","argument":["Order Processing Main"]}]}}})
        );
        let all = MetadataQuery {
            all_revisions: true,
            ..Default::default()
        };
        assert_eq!(all.expression(), Expression::not_null("componentId"));
    }

    #[test]
    fn package_and_deployment_queries() {
        assert_eq!(
            PackageQuery::default().expression(),
            Expression::not_null("packageId")
        );
        let q = PackageQuery {
            component_id: Some("c".into()),
            package_version: Some("1.0".into()),
            ..Default::default()
        };
        assert_eq!(
            q.expression(),
            Expression::and(vec![
                Expression::eq("componentId", "c"),
                Expression::eq("packageVersion", "1.0")
            ])
        );
        let d = DeploymentQuery {
            environment_id: Some("env-test-1".into()),
            active: Some(true),
            ..Default::default()
        };
        assert_eq!(
            d.expression(),
            Expression::and(vec![
                Expression::eq("environmentId", "env-test-1"),
                Expression::eq("active", "true")
            ])
        );
    }
}
