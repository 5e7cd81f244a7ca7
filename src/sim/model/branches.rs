//! Branches: creation (from a parent or a package, within the branch limit), readiness after
//! reads and/or time, rename, deletion (which also ends the merge requests touching it) and
//! listing.

use super::*;

/// A branch; `base` holds the component versions it inherited from its parent.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BranchRec {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub parent_id: Option<String>,
    pub package_id: Option<String>,
    pub created_by: String,
    pub created_date: String,
    pub modified_by: String,
    pub modified_date: String,
    pub created_ms: i64,
    pub stage: String,
    pub reads: u32,
    pub deleted: bool,
    pub base: BTreeMap<String, u32>,
}

impl AccountState {
    pub(super) fn live_branch(&self, id: &str) -> Option<&BranchRec> {
        self.branches.get(id).filter(|b| !b.deleted)
    }

    pub(super) fn branch_by_name(&self, name: &str) -> Option<&BranchRec> {
        self.branches
            .values()
            .find(|b| !b.deleted && b.name == name)
    }

    pub(super) fn refresh_branch(&mut self, id: &str, cfg: &SimConfig) {
        if let Some(b) = self.branches.get_mut(id) {
            if b.stage == "CREATING"
                && b.reads >= cfg.branch_ready_after_reads
                && now_ms() - b.created_ms >= cfg.branch_ready_after.as_millis() as i64
            {
                b.stage = "NORMAL".into();
            }
        }
    }

    pub(super) fn writable_branch(&mut self, id: &str, ctx: &Ctx<'_>) -> ApiResult<()> {
        self.refresh_branch(id, ctx.cfg);
        let b = self
            .live_branch(id)
            .ok_or_else(|| ctx.unknown(format!("Branch {id} does not exist.")))?;
        if b.stage != "NORMAL" {
            return Err(ApiErr::bad(format!(
                "Branch {} ({}) is not ready: its stage is {}.",
                b.name, b.id, b.stage
            )));
        }
        Ok(())
    }
}

impl SimState {
    fn branch_json(acct: &AccountState, b: &BranchRec) -> Value {
        let mut v = json!({"@type": "Branch", "id": b.id, "name": b.name,
            "createdBy": b.created_by, "createdDate": b.created_date,
            "modifiedBy": b.modified_by, "modifiedDate": b.modified_date,
            "ready": b.stage == "NORMAL" && !b.deleted, "deleted": b.deleted, "stage": b.stage});
        if let Some(p) = &b.parent_id {
            v["parentId"] = json!(p);
        }
        if let Some(d) = &b.description {
            v["description"] = json!(d);
        }
        if let Some(p) = &b.package_id {
            v["packageId"] = json!(p);
        }
        let _ = acct;
        v
    }

    pub fn create_branch(
        &mut self,
        acct_id: &str,
        body: &Value,
        ctx: &Ctx<'_>,
    ) -> ApiResult<Value> {
        let name = s(body, "name")
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| ApiErr::bad("The branch name is required."))?;
        let limit = ctx.cfg.branch_limit;
        let acct = self.acct(acct_id);
        let live = acct.branches.values().filter(|b| !b.deleted).count();
        if live >= limit {
            return Err(ApiErr::bad(format!(
                "The branch limit has been reached: the account already has {live} branches (maximum {limit})."
            )));
        }
        if acct.branch_by_name(&name).is_some() {
            return Err(ApiErr::bad(format!(
                "A branch named {name} already exists."
            )));
        }
        let package_id = s(body, "packageId").or_else(|| s(body, "deploymentId"));
        let parent = match s(body, "parentId") {
            Some(p) => {
                let pb = acct
                    .live_branch(&p)
                    .ok_or_else(|| ApiErr::bad(format!("Parent branch {p} does not exist.")))?;
                if pb.stage != "NORMAL" {
                    return Err(ApiErr::bad(format!("Parent branch {p} is not ready.")));
                }
                p
            }
            None => acct.main_branch.clone(),
        };
        let mut base: BTreeMap<String, u32> = acct
            .components
            .values()
            .filter_map(|c| acct.head(c, &parent).map(|r| (c.id.clone(), r.version)))
            .collect();
        if let Some(pid) = &package_id {
            // Branch from a package (or a deployment): its component at the packaged version.
            let pkg = acct
                .packages
                .get(pid)
                .map(|p| (p.component_id.clone(), p.component_version))
                .or_else(|| {
                    acct.deployments
                        .get(pid)
                        .map(|d| (d.component_id.clone(), d.component_version))
                })
                .ok_or_else(|| ApiErr::bad(format!("Package {pid} does not exist.")))?;
            base.insert(pkg.0, pkg.1);
        }
        self.next_branch += 1;
        let id = b64id("B", self.next_branch);
        let t = now_ms_text();
        let rec = BranchRec {
            id: id.clone(),
            name,
            description: s(body, "description"),
            parent_id: Some(parent),
            package_id,
            created_by: ctx.user.clone(),
            created_date: t.clone(),
            modified_by: ctx.user.clone(),
            modified_date: t,
            created_ms: now_ms(),
            stage: "CREATING".into(),
            reads: 0,
            deleted: false,
            base,
        };
        let acct = self.acct_mut(acct_id);
        acct.branches.insert(id.clone(), rec);
        if ctx.cfg.branch_ready_after_reads == 0 && ctx.cfg.branch_ready_after.is_zero() {
            acct.refresh_branch(&id, ctx.cfg);
        }
        Ok(Self::branch_json(acct, &acct.branches[&id]))
    }

    pub fn get_branch(&mut self, acct_id: &str, id: &str, ctx: &Ctx<'_>) -> ApiResult<Value> {
        let acct = self.acct_mut(acct_id);
        match acct.branches.get_mut(id) {
            Some(b) if !b.deleted => b.reads += 1,
            _ => return Err(ctx.unknown(format!("Branch {id} does not exist."))),
        }
        acct.refresh_branch(id, ctx.cfg);
        Ok(Self::branch_json(acct, &acct.branches[id]))
    }

    pub fn update_branch(
        &mut self,
        acct_id: &str,
        id: &str,
        body: &Value,
        ctx: &Ctx<'_>,
    ) -> ApiResult<Value> {
        let acct = self.acct_mut(acct_id);
        if acct.live_branch(id).is_none() {
            return Err(ctx.unknown(format!("Branch {id} does not exist.")));
        }
        if let Some(name) = s(body, "name").filter(|n| !n.trim().is_empty()) {
            if acct.branch_by_name(&name).is_some_and(|b| b.id != id) {
                return Err(ApiErr::bad(format!(
                    "A branch named {name} already exists."
                )));
            }
            if acct.main_branch == id && name != "main" {
                return Err(ApiErr::bad("The main branch cannot be renamed."));
            }
            let b = acct.branches.get_mut(id).expect("live");
            b.name = name;
            b.modified_by = ctx.user.clone();
            b.modified_date = now_ms_text();
        }
        if let Some(d) = s(body, "description") {
            acct.branches.get_mut(id).expect("live").description = Some(d);
        }
        Ok(Self::branch_json(acct, &acct.branches[id]))
    }

    pub fn delete_branch(&mut self, acct_id: &str, id: &str, ctx: &Ctx<'_>) -> ApiResult<()> {
        let acct = self.acct_mut(acct_id);
        if acct.main_branch == id {
            return Err(ApiErr::bad("The main branch cannot be deleted."));
        }
        match acct.branches.get_mut(id) {
            Some(b) if !b.deleted => {
                b.deleted = true;
                b.stage = "DELETED".into();
                b.modified_by = ctx.user.clone();
                b.modified_date = now_ms_text();
            }
            _ => return Err(ctx.unknown(format!("Branch {id} does not exist."))),
        }
        for mr in acct.merge_requests.values_mut() {
            if (mr.source_branch_id == id || mr.destination_branch_id == id)
                && !matches!(mr.stage.as_str(), "MERGED" | "DELETED")
            {
                mr.previous_stage = std::mem::replace(&mut mr.stage, "DELETED".into());
            }
        }
        Ok(())
    }

    pub fn branch_rows(&mut self, acct_id: &str, cfg: &SimConfig) -> Vec<Value> {
        let acct = self.acct_mut(acct_id);
        let ids: Vec<String> = acct.branches.keys().cloned().collect();
        for id in &ids {
            acct.refresh_branch(id, cfg);
        }
        acct.branches
            .values()
            .filter(|b| !b.deleted)
            .map(|b| Self::branch_json(acct, b))
            .collect()
    }
}
