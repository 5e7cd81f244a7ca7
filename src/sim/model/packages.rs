//! Packaged components: creation from main or a branch (one version per component, only
//! packageable types), restore, deletion (refused while deployed or in a pack) and listing.

use super::*;

/// A packaged component.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageRec {
    pub package_id: String,
    pub package_version: String,
    pub component_id: String,
    pub component_version: u32,
    pub component_type: String,
    pub notes: String,
    pub shareable: bool,
    pub branch_name: String,
    pub created_date: String,
    pub created_by: String,
    pub deleted: bool,
    pub seq: u64,
}

const PACKAGEABLE: &[&str] = &[
    "certificate",
    "customlibrary",
    "flowservice",
    "process",
    "processroute",
    "tpgroup",
    "webservice",
];

impl SimState {
    fn package_json(p: &PackageRec) -> Value {
        json!({"@type": "PackagedComponent", "packageId": p.package_id,
            "packageVersion": p.package_version, "componentId": p.component_id,
            "componentVersion": p.component_version, "componentType": p.component_type,
            "createdDate": p.created_date, "createdBy": p.created_by, "notes": p.notes,
            "shareable": p.shareable, "deleted": p.deleted, "branchName": p.branch_name,
            "fullyPubliclyConsumable": false})
    }

    pub(super) fn make_package(
        acct: &mut AccountState,
        body: &Value,
        ctx: &Ctx<'_>,
    ) -> ApiResult<String> {
        let component_id =
            s(body, "componentId").ok_or_else(|| ApiErr::bad("componentId is required."))?;
        if let Some(pid) = s(body, "packageId") {
            // Restore a deleted package.
            let p = acct
                .packages
                .get_mut(&pid)
                .ok_or_else(|| ctx.unknown(format!("Packaged component {pid} does not exist.")))?;
            if !p.deleted {
                return Err(ApiErr::bad(format!(
                    "Packaged component {pid} is not deleted."
                )));
            }
            p.deleted = false;
            return Ok(pid);
        }
        let comp = acct
            .components
            .get(&component_id)
            .ok_or_else(|| ctx.unknown(format!("Component {component_id} does not exist.")))?;
        if !PACKAGEABLE.contains(&comp.kind.as_str()) {
            return Err(ApiErr::bad(format!(
                "Component {component_id} of type {} cannot be packaged.",
                comp.kind
            )));
        }
        let (branch_id, branch_name) = match s(body, "branchName") {
            Some(n) => {
                let b = acct
                    .branch_by_name(&n)
                    .ok_or_else(|| ApiErr::bad(format!("Branch {n} does not exist.")))?;
                if b.stage != "NORMAL" {
                    return Err(ApiErr::bad(format!("Branch {n} is not ready.")));
                }
                (b.id.clone(), n)
            }
            None => (acct.main_branch.clone(), "main".to_string()),
        };
        let rev = match u(body, "componentVersion") {
            Some(v) => comp.rev(v).ok_or_else(|| {
                ApiErr::bad(format!("Component {component_id} has no version {v}."))
            })?,
            None => acct.head(comp, &branch_id).ok_or_else(|| {
                ApiErr::bad(format!(
                    "Component {component_id} does not exist on branch {branch_name}."
                ))
            })?,
        };
        if rev.deleted {
            return Err(ApiErr::bad(format!("Component {component_id} is deleted.")));
        }
        let version = s(body, "packageVersion")
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| format!("{}.0", rev.version));
        if acct
            .packages
            .values()
            .any(|p| !p.deleted && p.component_id == component_id && p.package_version == version)
        {
            return Err(ApiErr::bad(format!(
                "A packaged component with version {version} already exists for component {component_id}."
            )));
        }
        let id = uuid();
        let seq = acct.packages.values().map(|p| p.seq + 1).max().unwrap_or(0);
        let rec = PackageRec {
            package_id: id.clone(),
            package_version: version,
            component_id,
            component_version: rev.version,
            component_type: comp.kind.clone(),
            notes: s(body, "notes").unwrap_or_default(),
            shareable: b(body, "shareable").unwrap_or(false),
            branch_name,
            created_date: now(),
            created_by: ctx.user.clone(),
            deleted: false,
            seq,
        };
        acct.packages.insert(id.clone(), rec);
        Ok(id)
    }

    pub fn create_package(
        &mut self,
        acct_id: &str,
        body: &Value,
        ctx: &Ctx<'_>,
    ) -> ApiResult<Value> {
        let acct = self.acct_mut(acct_id);
        let id = Self::make_package(acct, body, ctx)?;
        Ok(Self::package_json(&acct.packages[&id]))
    }

    pub fn get_package(&self, acct_id: &str, id: &str, ctx: &Ctx<'_>) -> ApiResult<Value> {
        self.acct(acct_id)
            .packages
            .get(id)
            .map(Self::package_json)
            .ok_or_else(|| ctx.unknown(format!("Packaged component {id} does not exist.")))
    }

    pub fn delete_package(&mut self, acct_id: &str, id: &str, ctx: &Ctx<'_>) -> ApiResult<()> {
        let acct = self.acct_mut(acct_id);
        let p = acct
            .packages
            .get(id)
            .filter(|p| !p.deleted)
            .ok_or_else(|| ctx.unknown(format!("Packaged component {id} does not exist.")))?
            .clone();
        if acct
            .deployments
            .values()
            .any(|d| d.active && d.package_id == id)
        {
            return Err(ApiErr::bad(format!(
                "Packaged component {id} is deployed and cannot be deleted."
            )));
        }
        if acct.packs.values().any(|pk| {
            pk.components.get(&p.component_id).is_some_and(|c| {
                c.current_version.as_deref() == Some(p.package_version.as_str())
                    || c.pending_version.as_deref() == Some(p.package_version.as_str())
            })
        }) {
            return Err(ApiErr::bad(format!(
                "Packaged component {id} is used by an integration pack and cannot be deleted."
            )));
        }
        acct.packages.get_mut(id).expect("exists").deleted = true;
        Ok(())
    }

    pub fn package_rows(&self, acct_id: &str) -> Vec<Value> {
        let acct = self.acct(acct_id);
        let mut ps: Vec<&PackageRec> = acct.packages.values().collect();
        ps.sort_by_key(|p| p.seq);
        ps.into_iter().map(Self::package_json).collect()
    }
}
