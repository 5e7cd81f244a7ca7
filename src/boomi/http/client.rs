//! The [`Platform`] and [`Deployer`] implementations of [`HttpPlatform`]: each method in
//! domain words mapped to its Boomi path, body and reply, over the transport; Boomi's
//! branch-limit and duplicate-package answers turned into their own errors.

use super::transport::{Accept, Body};
use super::{encode_segment, HttpPlatform};
use crate::boomi::wire::*;
use crate::boomi::*;
use reqwest::Method;

fn tilde(id: &str, suffix: Option<&str>) -> String {
    match suffix {
        Some(s) => format!("{}~{}", encode_segment(id), encode_segment(s)),
        None => encode_segment(id),
    }
}

fn looks_like_branch_limit(e: &BoomiError) -> bool {
    matches!(e, BoomiError::Http { status, message, .. }
        if (400..500).contains(status) && status != &401 && status != &403
            && message.to_ascii_lowercase().contains("limit"))
}

fn looks_like_duplicate_package(e: &BoomiError) -> bool {
    matches!(e, BoomiError::Http { status, message, .. }
    if (*status == 400 || *status == 409) && {
        let m = message.to_ascii_lowercase();
        m.contains("already exist") || m.contains("duplicate")
    })
}

#[async_trait]
impl Deployer for HttpPlatform {
    async fn release_pack(
        &self,
        pack_id: &str,
        components: &[ReleasePackagedComponent],
    ) -> Result<ReleaseIntegrationPack, BoomiError> {
        let body = ReleaseIntegrationPack {
            id: Some(pack_id.to_string()),
            release_schedule: Some(ReleaseSchedule::Immediately),
            release_packaged_components: Some(ReleasePackagedComponents {
                release_packaged_component: components.to_vec(),
            }),
            ..Default::default()
        };
        self.post_json("ReleaseIntegrationPack", None, &body).await
    }

    async fn deploy_package(
        &self,
        account: Option<&str>,
        environment_id: &str,
        package_id: &str,
        notes: Option<&str>,
    ) -> Result<DeployedPackage, BoomiError> {
        let body = DeployedPackage {
            environment_id: Some(environment_id.to_string()),
            package_id: Some(package_id.to_string()),
            notes: notes.map(str::to_string),
            ..Default::default()
        };
        self.post_json("DeployedPackage", account, &body).await
    }
}

#[async_trait]
impl Platform for HttpPlatform {
    async fn get_component(
        &self,
        account: Option<&str>,
        component_id: &str,
        branch_id: Option<&str>,
    ) -> Result<Component, BoomiError> {
        let path = format!("Component/{}", tilde(component_id, branch_id));
        self.component_call(Method::GET, &path, account, Body::None)
            .await
    }

    async fn get_component_revision(
        &self,
        account: Option<&str>,
        component_id: &str,
        version: i64,
    ) -> Result<Component, BoomiError> {
        let path = format!(
            "Component/{}",
            tilde(component_id, Some(&version.to_string()))
        );
        self.component_call(Method::GET, &path, account, Body::None)
            .await
    }

    async fn create_component(
        &self,
        account: Option<&str>,
        component: &Component,
        branch_id: Option<&str>,
    ) -> Result<Component, BoomiError> {
        let c = Self::with_branch(component, branch_id)?;
        self.component_call(Method::POST, "Component", account, Body::Xml(c.into_xml()))
            .await
    }

    async fn update_component(
        &self,
        account: Option<&str>,
        component_id: &str,
        component: &Component,
        branch_id: Option<&str>,
    ) -> Result<Component, BoomiError> {
        let c = Self::with_branch(component, branch_id)?;
        let path = format!("Component/{}", encode_segment(component_id));
        self.component_call(Method::POST, &path, account, Body::Xml(c.into_xml()))
            .await
    }

    async fn query_component_metadata(
        &self,
        account: Option<&str>,
        query: &MetadataQuery,
    ) -> Result<Vec<ComponentMetadata>, BoomiError> {
        self.query_all("ComponentMetadata", account, query.expression())
            .await
    }

    async fn get_component_metadata(
        &self,
        account: Option<&str>,
        component_id: &str,
        branch_id: Option<&str>,
    ) -> Result<ComponentMetadata, BoomiError> {
        let path = format!("ComponentMetadata/{}", tilde(component_id, branch_id));
        self.get_json(&path, account).await
    }

    async fn component_children(
        &self,
        account: Option<&str>,
        parent_component_id: &str,
        parent_version: i64,
    ) -> Result<Vec<References>, BoomiError> {
        let e = Expression::and(vec![
            Expression::eq("parentComponentId", parent_component_id),
            Expression::eq("parentVersion", parent_version.to_string()),
        ]);
        let groups: Vec<ComponentReference> =
            self.query_all("ComponentReference", account, e).await?;
        Ok(groups.into_iter().flat_map(|g| g.references).collect())
    }

    async fn component_where_used(
        &self,
        account: Option<&str>,
        component_id: &str,
        branch_id: Option<&str>,
    ) -> Result<Vec<References>, BoomiError> {
        match branch_id {
            None => {
                let groups: Vec<ComponentReference> = self
                    .query_all(
                        "ComponentReference",
                        account,
                        Expression::eq("componentId", component_id),
                    )
                    .await?;
                Ok(groups.into_iter().flat_map(|g| g.references).collect())
            }
            Some(b) => {
                let path = format!("ComponentReference/{}", tilde(component_id, Some(b)));
                match self.get_json::<ComponentReference>(&path, account).await {
                    Ok(r) => Ok(r.references),
                    // Boomi answers 400 for a component without references (gotcha 4); an
                    // unknown component stays an error.
                    Err(e @ BoomiError::Http { status: 400, .. }) if !e.is_not_found() => {
                        tracing::debug!(component_id, error = %e, "no references");
                        Ok(Vec::new())
                    }
                    Err(e) => Err(e),
                }
            }
        }
    }

    async fn query_branches(
        &self,
        account: Option<&str>,
        name: Option<&str>,
    ) -> Result<Vec<Branch>, BoomiError> {
        let e = match name {
            Some(n) => Expression::eq("name", n),
            None => Expression::not_null("id"),
        };
        self.query_all("Branch", account, e).await
    }

    async fn main_branch_id(&self, account: Option<&str>) -> Result<String, BoomiError> {
        let branches = self.query_branches(account, Some("main")).await?;
        branches
            .into_iter()
            .find(|b| b.name.as_deref() == Some("main") && b.deleted != Some(true))
            .and_then(|b| b.id)
            .ok_or_else(|| BoomiError::Decode {
                method: "POST".into(),
                path: "Branch/query".into(),
                message: "the account has no branch named main".into(),
            })
    }

    async fn create_branch(
        &self,
        account: Option<&str>,
        name: &str,
        parent_branch_id: &str,
        description: Option<&str>,
    ) -> Result<Branch, BoomiError> {
        let body = Branch {
            name: Some(name.to_string()),
            parent_id: Some(parent_branch_id.to_string()),
            description: description.map(str::to_string),
            ..Default::default()
        };
        match self.post_json("Branch", account, &body).await {
            Err(e) if looks_like_branch_limit(&e) => Err(BoomiError::BranchLimitReached {
                message: match e {
                    BoomiError::Http { message, .. } => message,
                    other => other.to_string(),
                },
            }),
            other => other,
        }
    }

    async fn get_branch(
        &self,
        account: Option<&str>,
        branch_id: &str,
    ) -> Result<Branch, BoomiError> {
        self.get_json(&format!("Branch/{}", encode_segment(branch_id)), account)
            .await
    }

    async fn delete_branch(
        &self,
        account: Option<&str>,
        branch_id: &str,
    ) -> Result<Deletion, BoomiError> {
        let path = format!("Branch/{}", encode_segment(branch_id));
        match self
            .call(Method::DELETE, &path, account, Body::None, Accept::Json)
            .await
        {
            Ok(_) => Ok(Deletion::Deleted),
            Err(e) if e.is_not_found() => Ok(Deletion::AlreadyGone),
            Err(e) => Err(e),
        }
    }

    async fn create_merge_request(
        &self,
        account: Option<&str>,
        source_branch_id: &str,
        destination_branch_id: &str,
        note: Option<&str>,
    ) -> Result<MergeRequest, BoomiError> {
        let body = MergeRequest {
            source_branch_id: Some(source_branch_id.to_string()),
            destination_branch_id: Some(destination_branch_id.to_string()),
            strategy: Some(MergeStrategy::Override),
            priority_branch: Some(PriorityBranch::Source),
            note: note.map(str::to_string),
            ..Default::default()
        };
        self.post_json("MergeRequest", account, &body).await
    }

    async fn get_merge_request(
        &self,
        account: Option<&str>,
        merge_request_id: &str,
    ) -> Result<MergeRequest, BoomiError> {
        self.get_json(
            &format!("MergeRequest/{}", encode_segment(merge_request_id)),
            account,
        )
        .await
    }

    async fn execute_merge_request(
        &self,
        account: Option<&str>,
        merge_request_id: &str,
    ) -> Result<MergeRequest, BoomiError> {
        let body = MergeRequest {
            id: Some(merge_request_id.to_string()),
            merge_request_action: Some(MergeRequestAction::Merge),
            ..Default::default()
        };
        self.post_json(
            &format!("MergeRequest/execute/{}", encode_segment(merge_request_id)),
            account,
            &body,
        )
        .await
    }

    async fn query_merge_requests(
        &self,
        account: Option<&str>,
        source_branch_id: &str,
    ) -> Result<Vec<MergeRequest>, BoomiError> {
        self.query_all(
            "MergeRequest",
            account,
            Expression::eq("sourceBranchId", source_branch_id),
        )
        .await
    }

    async fn query_packaged_components(
        &self,
        account: Option<&str>,
        query: &PackageQuery,
    ) -> Result<Vec<PackagedComponent>, BoomiError> {
        self.query_all("PackagedComponent", account, query.expression())
            .await
    }

    async fn get_packaged_component(
        &self,
        account: Option<&str>,
        package_id: &str,
    ) -> Result<PackagedComponent, BoomiError> {
        self.get_json(
            &format!("PackagedComponent/{}", encode_segment(package_id)),
            account,
        )
        .await
    }

    async fn create_packaged_component(
        &self,
        account: Option<&str>,
        package: &NewPackage,
    ) -> Result<PackagedComponent, BoomiError> {
        let body = PackagedComponent {
            component_id: Some(package.component_id.clone()),
            package_version: package.package_version.clone(),
            component_version: package.component_version,
            notes: package.notes.clone(),
            branch_name: package.branch_name.clone(),
            shareable: Some(package.shareable),
            ..Default::default()
        };
        match self.post_json("PackagedComponent", account, &body).await {
            Err(e) if looks_like_duplicate_package(&e) => {
                Err(BoomiError::DuplicatePackageVersion {
                    component_id: package.component_id.clone(),
                    package_version: package.package_version.clone().unwrap_or_default(),
                    message: match e {
                        BoomiError::Http { message, .. } => message,
                        other => other.to_string(),
                    },
                })
            }
            other => other,
        }
    }

    async fn create_publisher_pack(
        &self,
        name: &str,
        description: &str,
        installation_type: InstallationType,
    ) -> Result<PublisherIntegrationPack, BoomiError> {
        let body = PublisherIntegrationPack {
            name: Some(name.to_string()),
            installation_type: Some(installation_type),
            description: description.to_string(),
            ..Default::default()
        };
        self.post_json("PublisherIntegrationPack", None, &body)
            .await
    }

    async fn query_publisher_packs(
        &self,
        name: Option<&str>,
    ) -> Result<Vec<PublisherIntegrationPack>, BoomiError> {
        let e = match name {
            Some(n) => Expression::eq("name", n),
            None => Expression::not_null("id"),
        };
        self.query_all("PublisherIntegrationPack", None, e).await
    }

    async fn get_publisher_pack(
        &self,
        pack_id: &str,
    ) -> Result<PublisherIntegrationPack, BoomiError> {
        self.get_json(
            &format!("PublisherIntegrationPack/{}", encode_segment(pack_id)),
            None,
        )
        .await
    }

    async fn add_pack_components(
        &self,
        pack_id: &str,
        component_ids: &[String],
    ) -> Result<PublisherIntegrationPack, BoomiError> {
        let current = self.get_publisher_pack(pack_id).await?;
        let body = PublisherIntegrationPack {
            id: Some(pack_id.to_string()),
            name: current.name,
            installation_type: current.installation_type,
            operation_type: Some(OperationType::Add),
            description: current.description,
            publisher_packaged_components: Some(PublisherPackagedComponents {
                publisher_packaged_component: component_ids
                    .iter()
                    .map(|id| PublisherPackagedComponent {
                        component_id: Some(id.clone()),
                        ..Default::default()
                    })
                    .collect(),
            }),
        };
        self.post_json(
            &format!("PublisherIntegrationPack/{}", encode_segment(pack_id)),
            None,
            &body,
        )
        .await
    }

    async fn release_status(&self, request_id: &str) -> Result<ReleaseProgress, BoomiError> {
        let path = format!(
            "ReleaseIntegrationPackStatus/{}",
            encode_segment(request_id)
        );
        let r = self
            .call(Method::GET, &path, None, Body::None, Accept::Json)
            .await?;
        let status = if r.body.trim().is_empty() {
            ReleaseIntegrationPackStatus {
                request_id: Some(request_id.to_string()),
                response_status_code: r.status as i64,
                ..Default::default()
            }
        } else {
            self.decode(&Method::GET, &path, &r.body)?
        };
        Ok(ReleaseProgress {
            finished: r.status == 200,
            status,
        })
    }

    async fn query_deployed_packages(
        &self,
        account: Option<&str>,
        query: &DeploymentQuery,
    ) -> Result<Vec<DeployedPackage>, BoomiError> {
        self.query_all("DeployedPackage", account, query.expression())
            .await
    }

    async fn get_environment(
        &self,
        account: Option<&str>,
        environment_id: &str,
    ) -> Result<Environment, BoomiError> {
        self.get_json(
            &format!("Environment/{}", encode_segment(environment_id)),
            account,
        )
        .await
    }

    async fn query_environments(
        &self,
        account: Option<&str>,
        classification: Option<Classification>,
    ) -> Result<Vec<Environment>, BoomiError> {
        let e = match classification {
            Some(c) => Expression::eq("classification", c.as_str()),
            None => Expression::not_null("id"),
        };
        self.query_all("Environment", account, e).await
    }

    async fn list_sub_accounts(&self) -> Result<Vec<Account>, BoomiError> {
        let all: Vec<Account> = self
            .query_all("Account", None, Expression::not_null("ACCOUNTID"))
            .await?;
        Ok(all
            .into_iter()
            .filter(|a| a.account_id.as_deref() != Some(self.primary.as_str()))
            .collect())
    }

    async fn get_account(&self, account_id: &str) -> Result<Account, BoomiError> {
        self.get_json(&format!("Account/{}", encode_segment(account_id)), None)
            .await
    }

    async fn get_environment_extensions(
        &self,
        account: Option<&str>,
        extensions_id: &str,
    ) -> Result<EnvironmentExtensions, BoomiError> {
        self.get_json(
            &format!("EnvironmentExtensions/{}", encode_segment(extensions_id)),
            account,
        )
        .await
    }

    async fn update_environment_extensions(
        &self,
        account: Option<&str>,
        extensions: &EnvironmentExtensions,
    ) -> Result<EnvironmentExtensions, BoomiError> {
        let id = extensions
            .id
            .clone()
            .or_else(|| extensions.environment_id.clone())
            .ok_or_else(|| {
                BoomiError::Config("environment extensions need an id or environmentId".into())
            })?;
        let mut body = extensions.clone();
        body.id = Some(id.clone());
        if body.environment_id.is_none() {
            body.environment_id = Some(id.clone());
        }
        body.partial = Some(true);
        self.post_json(
            &format!("EnvironmentExtensions/{}", encode_segment(&id)),
            account,
            &body,
        )
        .await
    }

    async fn query_map_extension_summaries(
        &self,
        account: Option<&str>,
        environment_id: &str,
    ) -> Result<Vec<EnvironmentMapExtensionsSummary>, BoomiError> {
        self.query_all(
            "EnvironmentMapExtensionsSummary",
            account,
            Expression::eq("environmentId", environment_id),
        )
        .await
    }

    async fn get_map_extension(
        &self,
        account: Option<&str>,
        map_extension_id: &str,
    ) -> Result<EnvironmentMapExtension, BoomiError> {
        self.get_json(
            &format!(
                "EnvironmentMapExtension/{}",
                encode_segment(map_extension_id)
            ),
            account,
        )
        .await
    }

    async fn update_map_extension(
        &self,
        account: Option<&str>,
        map_extension: &EnvironmentMapExtension,
    ) -> Result<EnvironmentMapExtension, BoomiError> {
        let id = map_extension
            .id
            .clone()
            .ok_or_else(|| BoomiError::Config("the map extension has no id".into()))?;
        self.post_json(
            &format!("EnvironmentMapExtension/{}", encode_segment(&id)),
            account,
            map_extension,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded() {
        assert_eq!(encode_segment("Qjox"), "Qjox");
        assert_eq!(encode_segment("a/b+c d"), "a%2Fb%2Bc%20d");
        assert_eq!(tilde("abc", Some("Qjox")), "abc~Qjox");
    }
}
