//! Deployments: a packaged component (or a component, packaged on the fly) deployed to an
//! environment, one active deployment per component and environment, undeploy and listing.

use super::*;

/// A deployment.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentRec {
    pub deployment_id: String,
    pub version: u32,
    pub package_id: String,
    pub package_version: String,
    pub environment_id: String,
    pub component_id: String,
    pub component_version: u32,
    pub component_type: String,
    pub deployed_date: String,
    pub deployed_by: String,
    pub notes: String,
    pub active: bool,
    pub branch_name: String,
    pub listener_status: String,
}

impl SimState {
    fn deployment_json(d: &DeploymentRec) -> Value {
        json!({"@type": "DeployedPackage", "deploymentId": d.deployment_id, "version": d.version,
            "packageId": d.package_id, "packageVersion": d.package_version,
            "environmentId": d.environment_id, "componentId": d.component_id,
            "componentVersion": d.component_version, "componentType": d.component_type,
            "deployedDate": d.deployed_date, "deployedBy": d.deployed_by, "notes": d.notes,
            "active": d.active, "branchName": d.branch_name, "listenerStatus": d.listener_status})
    }

    pub fn create_deployment(
        &mut self,
        acct_id: &str,
        body: &Value,
        ctx: &Ctx<'_>,
    ) -> ApiResult<Value> {
        let env =
            s(body, "environmentId").ok_or_else(|| ApiErr::bad("environmentId is required."))?;
        let acct = self.acct_mut(acct_id);
        if !acct.environments.contains_key(&env) {
            return Err(ApiErr::bad(format!("Environment {env} does not exist.")));
        }
        let package_id = match s(body, "packageId") {
            Some(p) => {
                match acct.packages.get(&p) {
                    Some(pk) if !pk.deleted => {}
                    _ => {
                        return Err(ApiErr::bad(format!(
                            "Packaged component {p} does not exist."
                        )))
                    }
                }
                p
            }
            None if s(body, "componentId").is_some() => {
                let mut pb = json!({"componentId": s(body, "componentId"), "shareable": false});
                if let Some(n) = s(body, "notes") {
                    pb["notes"] = json!(n);
                }
                Self::make_package(acct, &pb, ctx)?
            }
            None => return Err(ApiErr::bad("packageId or componentId is required.")),
        };
        let listener = s(body, "listenerStatus").unwrap_or_else(|| "RUNNING".into());
        if listener != "RUNNING" && listener != "PAUSED" {
            return Err(ApiErr::bad("listenerStatus must be RUNNING or PAUSED."));
        }
        let pkg = acct.packages[&package_id].clone();
        let version = next_deployment(acct, &pkg.component_id, &env);
        let id = uuid();
        acct.deployments.insert(
            id.clone(),
            DeploymentRec {
                deployment_id: id.clone(),
                version,
                package_id,
                package_version: pkg.package_version,
                environment_id: env,
                component_id: pkg.component_id,
                component_version: pkg.component_version,
                component_type: pkg.component_type,
                deployed_date: now(),
                deployed_by: ctx.user.clone(),
                notes: s(body, "notes").unwrap_or_default(),
                active: true,
                branch_name: pkg.branch_name,
                listener_status: listener,
            },
        );
        Ok(Self::deployment_json(&acct.deployments[&id]))
    }

    pub fn get_deployment(&self, acct_id: &str, id: &str, ctx: &Ctx<'_>) -> ApiResult<Value> {
        self.acct(acct_id)
            .deployments
            .get(id)
            .map(Self::deployment_json)
            .ok_or_else(|| ctx.unknown(format!("Deployment {id} does not exist.")))
    }

    pub fn delete_deployment(&mut self, acct_id: &str, id: &str, ctx: &Ctx<'_>) -> ApiResult<()> {
        let d = self
            .acct_mut(acct_id)
            .deployments
            .get_mut(id)
            .filter(|d| d.active)
            .ok_or_else(|| ctx.unknown(format!("Deployment {id} does not exist.")))?;
        d.active = false;
        Ok(())
    }

    pub fn deployment_rows(&self, acct_id: &str) -> Vec<Value> {
        let acct = self.acct(acct_id);
        let mut ds: Vec<&DeploymentRec> = acct.deployments.values().collect();
        ds.sort_by(|a, b| {
            (a.deployed_date.as_str(), a.version).cmp(&(b.deployed_date.as_str(), b.version))
        });
        ds.into_iter().map(Self::deployment_json).collect()
    }
}

pub(super) fn next_deployment(acct: &mut AccountState, component: &str, env: &str) -> u32 {
    let mut max = 0;
    for d in acct.deployments.values_mut() {
        if d.component_id == component && d.environment_id == env {
            max = max.max(d.version);
            d.active = false;
        }
    }
    max + 1
}
