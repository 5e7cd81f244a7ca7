//! Merge requests: drafting the details (changes and conflicts against the destination),
//! the automatic stages `DRAFTING → DRAFTED → REVIEWING` and `MERGING → MERGED`, the
//! `MERGE` / `UPDATE` actions with OVERRIDE semantics, deletion and listing.

use super::*;
use crate::sim::faults::take_event_fault;

/// A merge request.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MergeRec {
    pub id: String,
    pub source_branch_id: String,
    pub destination_branch_id: String,
    pub strategy: String,
    pub priority_branch: String,
    pub stage: String,
    pub previous_stage: String,
    pub note: Option<String>,
    pub polls: u32,
    pub created_by: String,
    pub created_date: String,
    pub modified_by: String,
    pub modified_date: String,
    pub details: Vec<MergeDetail>,
}

/// One component of a merge request.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MergeDetail {
    pub component_guid: String,
    pub source_revision: u32,
    pub destination_revision: Option<u32>,
    pub merge_revision: Option<u32>,
    pub change_type: String,
    pub conflict: bool,
    pub resolution: String,
    pub excluded: bool,
    pub stage: String,
}

impl SimState {
    pub(super) fn merge_json(acct: &AccountState, m: &MergeRec) -> Value {
        let bname = |id: &str| {
            acct.branches
                .get(id)
                .map(|b| b.name.clone())
                .unwrap_or_default()
        };
        let details: Vec<Value> = m
            .details
            .iter()
            .map(|d| {
                let mut v = json!({"@type": "MergeRequestDetail", "componentGuid": d.component_guid,
                    "sourceRevision": d.source_revision, "changeType": d.change_type,
                    "conflict": d.conflict, "resolution": d.resolution, "excluded": d.excluded,
                    "lockedOnDestinationBranch": false, "stage": d.stage,
                    "createdBy": m.created_by, "createdDate": m.created_date,
                    "modifiedBy": m.modified_by, "modifiedDate": m.modified_date});
                if let Some(r) = d.destination_revision {
                    v["destinationRevision"] = json!(r);
                }
                if let Some(r) = d.merge_revision {
                    v["mergeRevision"] = json!(r);
                }
                v
            })
            .collect();
        let mut v = json!({"@type": "MergeRequest", "id": m.id,
            "sourceBranchId": m.source_branch_id, "sourceBranchName": bname(&m.source_branch_id),
            "destinationBranchId": m.destination_branch_id,
            "destinationBranchName": bname(&m.destination_branch_id),
            "strategy": m.strategy, "priorityBranch": m.priority_branch,
            "stage": m.stage, "previousStage": m.previous_stage,
            "createdBy": m.created_by, "createdDate": m.created_date,
            "modifiedBy": m.modified_by, "modifiedDate": m.modified_date,
            "MergeRequestDetails": {"MergeRequestDetail": details}});
        if let Some(n) = &m.note {
            v["note"] = json!(n);
        }
        v
    }

    fn draft(
        acct: &AccountState,
        source: &str,
        dest: &str,
        strategy: &str,
        priority: &str,
    ) -> Vec<MergeDetail> {
        let src = &acct.branches[source];
        let mut out = Vec::new();
        for comp in acct.components.values() {
            let Some(s_rev) = comp.own_head(source) else {
                continue;
            };
            let d_rev = acct.head(comp, dest);
            if d_rev.is_some_and(|d| d.same_content(s_rev)) {
                continue;
            }
            let change = match (d_rev, s_rev.deleted) {
                (None, true) => continue,
                (None, false) => "ADDED",
                (Some(_), true) => "DELETED",
                (Some(_), false) => "MODIFIED",
            };
            let conflict = match (d_rev, src.base.get(&comp.id)) {
                (Some(d), Some(base)) => d.version != *base,
                (Some(_), None) => true,
                _ => false,
            };
            let resolution = if conflict && (strategy != "OVERRIDE" || priority == "DESTINATION") {
                if strategy == "OVERRIDE" {
                    "KEEP_DESTINATION"
                } else {
                    ""
                }
            } else {
                "OVERRIDE"
            };
            out.push(MergeDetail {
                component_guid: comp.id.clone(),
                source_revision: s_rev.version,
                destination_revision: d_rev.map(|d| d.version),
                merge_revision: None,
                change_type: change.into(),
                conflict,
                resolution: resolution.into(),
                excluded: false,
                stage: "DRAFTED".into(),
            });
        }
        out
    }

    pub fn create_merge(
        &mut self,
        acct_id: &str,
        body: &Value,
        ctx: &mut Ctx<'_>,
    ) -> ApiResult<Value> {
        let source =
            s(body, "sourceBranchId").ok_or_else(|| ApiErr::bad("sourceBranchId is required."))?;
        let dest = s(body, "destinationBranchId")
            .ok_or_else(|| ApiErr::bad("destinationBranchId is required."))?;
        let strategy = s(body, "strategy").unwrap_or_else(|| "OVERRIDE".into());
        if !["OVERRIDE", "CONFLICT_RESOLVE", "SUBSET"].contains(&strategy.as_str()) {
            return Err(ApiErr::bad(format!("Unknown merge strategy {strategy}.")));
        }
        let priority = s(body, "priorityBranch").unwrap_or_else(|| "SOURCE".into());
        if priority != "SOURCE" && priority != "DESTINATION" {
            return Err(ApiErr::bad(format!(
                "priorityBranch must be SOURCE or DESTINATION, not {priority}."
            )));
        }
        if source == dest {
            return Err(ApiErr::bad(
                "The source and destination branches must differ.",
            ));
        }
        let cfg = ctx.cfg;
        let acct = self.acct_mut(acct_id);
        for (what, id) in [("Source", &source), ("Destination", &dest)] {
            acct.refresh_branch(id, cfg);
            let b = acct
                .live_branch(id)
                .ok_or_else(|| ApiErr::bad(format!("{what} branch {id} does not exist.")))?;
            if b.stage != "NORMAL" {
                return Err(ApiErr::bad(format!("{what} branch {id} is not ready.")));
            }
        }
        self.next_merge_request += 1;
        let id = b64id("MR", self.next_merge_request);
        let acct = self.acct_mut(acct_id);
        let t = now();
        let mut rec = MergeRec {
            id: id.clone(),
            source_branch_id: source,
            destination_branch_id: dest,
            strategy,
            priority_branch: priority,
            stage: "DRAFTING".into(),
            previous_stage: "NOT_EXIST".into(),
            note: s(body, "note"),
            polls: 0,
            created_by: ctx.user.clone(),
            created_date: t.clone(),
            modified_by: ctx.user.clone(),
            modified_date: t,
            details: Vec::new(),
        };
        rec.details = Self::draft(
            acct,
            &rec.source_branch_id,
            &rec.destination_branch_id,
            &rec.strategy,
            &rec.priority_branch,
        );
        acct.merge_requests.insert(id.clone(), rec);
        if cfg.merge_stage_polls == 0 {
            Self::advance_merge(acct, &id, ctx);
        }
        Ok(Self::merge_json(acct, &acct.merge_requests[&id]))
    }

    fn set_stage(m: &mut MergeRec, stage: &str) {
        m.previous_stage = std::mem::replace(&mut m.stage, stage.into());
        m.modified_date = now();
        m.polls = 0;
    }

    /// Move a merge request through its automatic stages (all of them when polls are 0).
    fn advance_merge(acct: &mut AccountState, id: &str, ctx: &mut Ctx<'_>) {
        loop {
            let m = acct.merge_requests.get_mut(id).expect("exists");
            match m.stage.as_str() {
                "DRAFTING" => Self::set_stage(m, "DRAFTED"),
                "DRAFTED" => Self::set_stage(m, "REVIEWING"),
                "MERGING" => Self::finish_merge(acct, id, ctx),
                _ => return,
            }
            if ctx.cfg.merge_stage_polls > 0 {
                return;
            }
        }
    }

    fn finish_merge(acct: &mut AccountState, id: &str, ctx: &mut Ctx<'_>) {
        let m = acct.merge_requests[id].clone();
        let unresolved = m
            .details
            .iter()
            .any(|d| !d.excluded && d.conflict && d.resolution.is_empty());
        let src_alive = acct.live_branch(&m.source_branch_id).is_some();
        let dst_alive = acct.live_branch(&m.destination_branch_id).is_some();
        if unresolved || !src_alive || !dst_alive || take_event_fault(ctx.faults, false) {
            let m = acct.merge_requests.get_mut(id).expect("exists");
            Self::set_stage(m, "FAILED_TO_MERGE");
            return;
        }
        let t = now();
        let mut merged = Vec::new();
        for d in &m.details {
            if d.excluded || d.resolution != "OVERRIDE" {
                merged.push(None);
                continue;
            }
            let comp = acct.components.get_mut(&d.component_guid).expect("exists");
            let mut rev = comp
                .rev(d.source_revision)
                .expect("source revision")
                .clone();
            rev.version = comp.next_version();
            rev.branch_id = m.destination_branch_id.clone();
            rev.modified_date = t.clone();
            rev.modified_by = ctx.user.clone();
            merged.push(Some(rev.version));
            comp.revisions.push(rev);
        }
        let mr = acct.merge_requests.get_mut(id).expect("exists");
        for (d, v) in mr.details.iter_mut().zip(merged) {
            if let Some(v) = v {
                d.merge_revision = Some(v);
                d.stage = "MERGED".into();
            }
        }
        mr.modified_by = ctx.user.clone();
        Self::set_stage(mr, "MERGED");
    }

    pub fn get_merge(&mut self, acct_id: &str, id: &str, ctx: &mut Ctx<'_>) -> ApiResult<Value> {
        let acct = self.acct_mut(acct_id);
        let m = acct
            .merge_requests
            .get_mut(id)
            .ok_or_else(|| ctx.unknown(format!("Merge request {id} does not exist.")))?;
        if matches!(m.stage.as_str(), "DRAFTING" | "DRAFTED" | "MERGING") {
            m.polls += 1;
            if m.polls >= ctx.cfg.merge_stage_polls {
                Self::advance_merge(acct, id, ctx);
            }
        }
        Ok(Self::merge_json(acct, &acct.merge_requests[id]))
    }

    fn apply_detail_changes(m: &mut MergeRec, body: &Value) {
        let details = body
            .get("MergeRequestDetails")
            .map(|d| list(d.get("MergeRequestDetail")))
            .unwrap_or_default();
        for d in details {
            let Some(guid) = s(&d, "componentGuid") else {
                continue;
            };
            if let Some(md) = m.details.iter_mut().find(|x| x.component_guid == guid) {
                if let Some(e) = b(&d, "excluded") {
                    md.excluded = e;
                }
                if let Some(r) = s(&d, "resolution") {
                    md.resolution = r;
                    md.stage = "CONFLICT_RESOLVED".into();
                }
            }
        }
    }

    pub fn execute_merge(
        &mut self,
        acct_id: &str,
        id: &str,
        body: &Value,
        ctx: &mut Ctx<'_>,
    ) -> ApiResult<Value> {
        let action = s(body, "mergeRequestAction")
            .ok_or_else(|| ApiErr::bad("mergeRequestAction is required."))?;
        let strict = ctx.cfg.strict_merge_stages;
        let acct = self.acct_mut(acct_id);
        let m = acct
            .merge_requests
            .get_mut(id)
            .ok_or_else(|| ctx.unknown(format!("Merge request {id} does not exist.")))?;
        match action.as_str() {
            "MERGE" => {
                let ok = matches!(m.stage.as_str(), "REVIEWING" | "FAILED_TO_MERGE")
                    || (!strict && matches!(m.stage.as_str(), "DRAFTING" | "DRAFTED"));
                if !ok {
                    return Err(ApiErr::bad(format!(
                        "Merge request {id} is in stage {}; MERGE is allowed only in REVIEWING or FAILED_TO_MERGE.",
                        m.stage
                    )));
                }
                Self::apply_detail_changes(m, body);
                m.modified_by = ctx.user.clone();
                Self::set_stage(m, "MERGING");
                if ctx.cfg.merge_stage_polls == 0 {
                    Self::advance_merge(acct, id, ctx);
                }
            }
            "UPDATE" => {
                if !matches!(m.stage.as_str(), "DRAFTED" | "REVIEWING" | "FAILED_TO_MERGE") {
                    return Err(ApiErr::bad(format!(
                        "Merge request {id} cannot be updated in stage {}.",
                        m.stage
                    )));
                }
                Self::apply_detail_changes(m, body);
            }
            "RETRY_DRAFTING" => {
                return Err(ApiErr::bad(format!(
                    "Merge request {id} is in stage {}; RETRY_DRAFTING is allowed only in FAILED_TO_DRAFT or FAILED_TO_REDRAFT.",
                    m.stage
                )))
            }
            "REVERT" => {
                return Err(ApiErr::bad(format!(
                    "Merge request {id} cannot be reverted: completed merges cannot be rolled back."
                )))
            }
            other => return Err(ApiErr::bad(format!("Unknown mergeRequestAction {other}."))),
        }
        Ok(Self::merge_json(acct, &acct.merge_requests[id]))
    }

    pub fn update_merge(
        &mut self,
        acct_id: &str,
        id: &str,
        body: &Value,
        ctx: &mut Ctx<'_>,
    ) -> ApiResult<Value> {
        let mut body = body.clone();
        if body.get("mergeRequestAction").is_none() {
            body["mergeRequestAction"] = json!("UPDATE");
        }
        if let Some(n) = s(&body, "note") {
            if let Some(m) = self.acct_mut(acct_id).merge_requests.get_mut(id) {
                m.note = Some(n);
            }
        }
        self.execute_merge(acct_id, id, &body, ctx)
    }

    pub fn delete_merge(&mut self, acct_id: &str, id: &str, ctx: &Ctx<'_>) -> ApiResult<()> {
        let acct = self.acct_mut(acct_id);
        let m = acct
            .merge_requests
            .get_mut(id)
            .filter(|m| m.stage != "DELETED")
            .ok_or_else(|| ctx.unknown(format!("Merge request {id} does not exist.")))?;
        Self::set_stage(m, "DELETED");
        Ok(())
    }

    pub fn merge_rows(&self, acct_id: &str) -> Vec<Value> {
        let acct = self.acct(acct_id);
        acct.merge_requests
            .values()
            .filter(|m| m.stage != "DELETED")
            .map(|m| Self::merge_json(acct, m))
            .collect()
    }
}
