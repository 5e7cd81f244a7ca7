//! Components: the revision sequence of each component across branches, what a branch sees
//! (own revisions, then inherited), folders, `Component` reads and saves (XML, secrets
//! protected, "no change" refused), deletion, and the `ComponentMetadata` and
//! `ComponentReference` rows.

use super::*;
use crate::sim::compxml::{self, esc};
use std::collections::BTreeSet;

/// A component and all its revisions (one version sequence across branches).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentRec {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub sub_type: Option<String>,
    pub created_date: String,
    pub created_by: String,
    pub revisions: Vec<Revision>,
}

/// One saved revision.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Revision {
    pub version: u32,
    pub branch_id: String,
    pub name: String,
    pub folder_id: String,
    pub description: Option<String>,
    pub object: String,
    pub process_overrides: Option<String>,
    /// field id → stored one-way hash
    pub secrets: BTreeMap<String, String>,
    pub secret_fields: BTreeSet<String>,
    pub deleted: bool,
    pub modified_date: String,
    pub modified_by: String,
}

impl Revision {
    pub(super) fn same_content(&self, other: &Revision) -> bool {
        self.name == other.name
            && self.folder_id == other.folder_id
            && self.description == other.description
            && self.object == other.object
            && self.process_overrides == other.process_overrides
            && self.secrets == other.secrets
            && self.deleted == other.deleted
    }
}

impl ComponentRec {
    pub(super) fn rev(&self, version: u32) -> Option<&Revision> {
        self.revisions.iter().find(|r| r.version == version)
    }
    pub(super) fn own_head(&self, branch: &str) -> Option<&Revision> {
        self.revisions
            .iter()
            .filter(|r| r.branch_id == branch)
            .max_by_key(|r| r.version)
    }
    pub(super) fn next_version(&self) -> u32 {
        self.revisions.iter().map(|r| r.version).max().unwrap_or(0) + 1
    }
}

/// A component type from the root element of its object.
pub(super) fn type_from_root(root: &str) -> Option<&'static str> {
    Some(match root {
        "process" => "process",
        "Operation" => "connector-action",
        "GenericConnectorConfig"
        | "HttpSettings"
        | "DatabaseSettings"
        | "SFTPSettings"
        | "ConnectorSettings" => "connector-settings",
        "map" | "Map" => "transform.map",
        "JSONProfile" => "profile.json",
        "XMLProfile" => "profile.xml",
        "DatabaseProfile" => "profile.db",
        "FlatFileProfile" => "profile.flatfile",
        "EDIProfile" => "profile.edi",
        "CrossRefTable" => "crossref",
        "ProcessingScript" => "script.processing",
        "scripting" => "script.mapping",
        "processRoute" => "processroute",
        "CertificateModel" => "certificate",
        _ => return None,
    })
}

impl AccountState {
    /// The revision of `comp` visible on `branch` (own revisions first, then inherited).
    pub(super) fn head<'a>(&'a self, comp: &'a ComponentRec, branch: &str) -> Option<&'a Revision> {
        if let Some(r) = comp.own_head(branch) {
            return Some(r);
        }
        let b = self.branches.get(branch)?;
        let v = b.base.get(&comp.id)?;
        comp.rev(*v)
    }

    /// Every revision visible in the history of `branch`.
    fn history<'a>(&'a self, comp: &'a ComponentRec, branch: &str) -> Vec<&'a Revision> {
        let mut out: Vec<&Revision> = comp
            .revisions
            .iter()
            .filter(|r| r.branch_id == branch)
            .collect();
        if let Some(b) = self.branches.get(branch) {
            if let (Some(parent), Some(base)) = (&b.parent_id, b.base.get(&comp.id)) {
                out.extend(
                    self.history(comp, parent)
                        .into_iter()
                        .filter(|r| r.version <= *base),
                );
            }
        }
        out.sort_by_key(|r| r.version);
        out.dedup_by_key(|r| r.version);
        out
    }

    pub(super) fn folder_id_for_path(&mut self, path: &str, counter: &mut u64) -> String {
        let path = path.trim().trim_matches('/').to_string();
        if let Some((id, _)) = self.folders.iter().find(|(_, p)| **p == path) {
            return id.clone();
        }
        *counter += 1;
        let id = b64id("F", *counter);
        self.folders.insert(id.clone(), path);
        id
    }

    fn folder_path(&self, id: &str) -> String {
        self.folders.get(id).cloned().unwrap_or_default()
    }

    /// Component ids in `object` that are components of this account (not `own`).
    fn references_in(&self, object: &str, own: &str) -> Vec<String> {
        compxml::referenced_ids(object)
            .into_iter()
            .filter(|id| id != own && self.components.contains_key(id))
            .collect()
    }
}

impl SimState {
    fn render(
        &self,
        acct: &AccountState,
        comp: &ComponentRec,
        rev: &Revision,
        branch: &str,
    ) -> String {
        let branch_name = acct
            .branches
            .get(branch)
            .map(|b| b.name.clone())
            .unwrap_or_default();
        let current = acct
            .head(comp, branch)
            .is_some_and(|h| h.version == rev.version);
        let path = acct.folder_path(&rev.folder_id);
        let folder_name = path.rsplit('/').next().unwrap_or("").to_string();
        let mut x = String::with_capacity(rev.object.len() + 1024);
        x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>");
        x.push_str("<bns:Component xmlns:bns=\"http://api.platform.boomi.com/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"");
        let mut attr = |k: &str, v: &str| {
            x.push_str(&format!(" {k}=\"{}\"", esc(v)));
        };
        attr("componentId", &comp.id);
        attr("version", &rev.version.to_string());
        attr("name", &rev.name);
        attr("type", &comp.kind);
        if let Some(st) = &comp.sub_type {
            attr("subType", st);
        }
        attr("createdDate", &comp.created_date);
        attr("createdBy", &comp.created_by);
        attr("modifiedDate", &rev.modified_date);
        attr("modifiedBy", &rev.modified_by);
        attr("deleted", if rev.deleted { "true" } else { "false" });
        attr("currentVersion", if current { "true" } else { "false" });
        attr("folderName", &folder_name);
        attr("folderFullPath", &path);
        attr("folderId", &rev.folder_id);
        attr("branchId", branch);
        attr("branchName", &branch_name);
        x.push('>');
        let root = compxml::object_root(&rev.object).unwrap_or_default();
        if rev.secret_fields.is_empty() {
            x.push_str("<bns:encryptedValues/>");
        } else {
            x.push_str("<bns:encryptedValues>");
            for f in &rev.secret_fields {
                let path = match f.strip_prefix('@').and_then(|k| k.split_once('/')) {
                    Some((elem, attr)) => format!("//{elem}/@{attr}"),
                    None => format!("//{root}/field[@id='{f}']/@value"),
                };
                x.push_str(&format!(
                    "<bns:encryptedValue path=\"{}\" isSet=\"{}\"/>",
                    esc(&path),
                    rev.secrets.contains_key(f)
                ));
            }
            x.push_str("</bns:encryptedValues>");
        }
        match &rev.description {
            Some(d) if !d.is_empty() => {
                x.push_str("<bns:description>");
                x.push_str(d);
                x.push_str("</bns:description>");
            }
            _ => x.push_str("<bns:description/>"),
        }
        x.push_str("<bns:object>");
        x.push_str(&rev.object);
        x.push_str("</bns:object>");
        if let Some(po) = &rev.process_overrides {
            x.push_str("<bns:processOverrides>");
            x.push_str(po);
            x.push_str("</bns:processOverrides>");
        } else if comp.kind == "process" {
            x.push_str("<bns:processOverrides/>");
        }
        x.push_str("</bns:Component>");
        x
    }

    /// Split `id~x` into the id and either a revision number or a branch id.
    fn resolve<'a>(
        &'a self,
        acct: &'a AccountState,
        spec: &str,
        ctx: &Ctx<'_>,
    ) -> ApiResult<(&'a ComponentRec, &'a Revision, String)> {
        let (id, tilde) = match spec.split_once('~') {
            Some((i, t)) => (i, Some(t)),
            None => (spec, None),
        };
        let comp = acct
            .components
            .get(id)
            .ok_or_else(|| ctx.unknown(format!("Component {id} does not exist.")))?;
        match tilde {
            Some(t) if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) => {
                let v: u32 = t.parse().map_err(|_| ApiErr::bad("bad version"))?;
                let rev = comp
                    .rev(v)
                    .ok_or_else(|| ctx.unknown(format!("Component {id} has no version {v}.")))?;
                Ok((comp, rev, rev.branch_id.clone()))
            }
            Some(branch) => {
                acct.live_branch(branch)
                    .ok_or_else(|| ctx.unknown(format!("Branch {branch} does not exist.")))?;
                let rev = acct.head(comp, branch).ok_or_else(|| {
                    ctx.unknown(format!("Component {id} does not exist on branch {branch}."))
                })?;
                Ok((comp, rev, branch.to_string()))
            }
            None => {
                let main = acct.main_branch.clone();
                let rev = acct
                    .head(comp, &main)
                    .ok_or_else(|| ctx.unknown(format!("Component {id} does not exist.")))?;
                Ok((comp, rev, main))
            }
        }
    }

    pub fn get_component(&self, acct_id: &str, spec: &str, ctx: &Ctx<'_>) -> ApiResult<String> {
        let acct = self.acct(acct_id);
        let (comp, rev, branch) = self.resolve(acct, spec, ctx)?;
        Ok(self.render(acct, comp, rev, &branch))
    }

    /// Create (`path_id` None) or update a component from a `bns:Component` document.
    pub fn save_component(
        &mut self,
        acct_id: &str,
        path_id: Option<&str>,
        path_branch: Option<&str>,
        xml: &str,
        ctx: &Ctx<'_>,
    ) -> ApiResult<String> {
        let parsed = compxml::parse_component(xml).map_err(ApiErr::bad)?;
        let mut counter = self.next_folder;
        let acct = self.accounts.get_mut(acct_id).expect("account");
        let branch = match (path_branch, parsed.attr("branchId")) {
            (Some(p), Some(a)) if p != a => {
                return Err(ApiErr::bad(format!(
                    "The branch in the URL ({p}) and the branchId attribute ({a}) differ."
                )))
            }
            (Some(p), _) => p.to_string(),
            (None, Some(a)) => a.to_string(),
            (None, None) => acct.main_branch.clone(),
        };
        acct.writable_branch(&branch, ctx)?;
        if parsed.object.trim().is_empty() {
            return Err(ApiErr::bad(
                "The component has no <bns:object> configuration.",
            ));
        }
        let name = parsed
            .attr("name")
            .ok_or_else(|| ApiErr::bad("The component name is required."))?
            .to_string();
        let prev: Option<Revision> = match path_id {
            Some(id) => {
                if let Some(body_id) = parsed.attr("componentId") {
                    if body_id != id {
                        return Err(ApiErr::bad(format!(
                            "The componentId in the body ({body_id}) does not match the URL ({id})."
                        )));
                    }
                }
                let comp = acct
                    .components
                    .get(id)
                    .ok_or_else(|| ctx.unknown(format!("Component {id} does not exist.")))?;
                if let Some(t) = parsed.attr("type") {
                    if t != comp.kind {
                        return Err(ApiErr::bad(format!(
                            "The component type cannot change from {} to {t}.",
                            comp.kind
                        )));
                    }
                }
                acct.head(comp, &branch).cloned()
            }
            None => None,
        };
        let kind = match path_id {
            Some(id) => acct.components[id].kind.clone(),
            None => match parsed.attr("type") {
                Some(t) => t.to_string(),
                None => compxml::object_root(&parsed.object)
                    .and_then(|r| type_from_root(&r))
                    .ok_or_else(|| ApiErr::bad("The component type is required."))?
                    .to_string(),
            },
        };
        let id = path_id.map(str::to_string).unwrap_or_else(uuid);
        let known_folder = parsed
            .attr("folderId")
            .filter(|f| acct.folders.contains_key(*f));
        let folder_id = if let Some(f) = known_folder {
            f.to_string()
        } else if let (Some(f), None) = (parsed.attr("folderId"), parsed.attr("folderFullPath")) {
            return Err(ApiErr::bad(format!("Folder {f} does not exist.")));
        } else if let Some(p) = parsed.attr("folderFullPath") {
            acct.folder_id_for_path(p, &mut counter)
        } else if let Some(p) = &prev {
            p.folder_id.clone()
        } else {
            let root = acct.name.clone();
            acct.folder_id_for_path(&root, &mut counter)
        };
        let mut extra = compxml::encrypted_field_ids(&parsed.encrypted_paths);
        let stored = prev.as_ref().map(|p| p.secrets.clone()).unwrap_or_default();
        if let Some(p) = &prev {
            extra.extend(p.secret_fields.iter().cloned());
        }
        let prot =
            compxml::protect_secrets(&id, &parsed.object, &extra, &stored).map_err(ApiErr::bad)?;
        let t = now();
        let mut rev = Revision {
            version: 0,
            branch_id: branch.clone(),
            name,
            folder_id,
            description: parsed.description.clone().filter(|d| !d.is_empty()),
            object: prot.object,
            process_overrides: parsed
                .process_overrides
                .clone()
                .filter(|p| !p.trim().is_empty()),
            secrets: prot.secrets,
            secret_fields: prot.secret_fields,
            deleted: false,
            modified_date: t.clone(),
            modified_by: ctx.user.clone(),
        };
        if let Some(p) = &prev {
            if p.same_content(&rev) {
                return Err(ApiErr::bad(format!(
                    "No changes were detected for component {id}; the component was not updated."
                )));
            }
        }
        let comp = acct
            .components
            .entry(id.clone())
            .or_insert_with(|| ComponentRec {
                id: id.clone(),
                kind,
                sub_type: parsed.attr("subType").map(str::to_string),
                created_date: t.clone(),
                created_by: ctx.user.clone(),
                revisions: Vec::new(),
            });
        rev.version = comp.next_version();
        comp.revisions.push(rev.clone());
        self.next_folder = counter;
        let acct = self.acct(acct_id);
        Ok(self.render(acct, &acct.components[&id], &rev, &branch))
    }

    fn metadata_json(
        &self,
        acct: &AccountState,
        comp: &ComponentRec,
        rev: &Revision,
        branch: &str,
    ) -> Value {
        let current = acct
            .head(comp, branch)
            .is_some_and(|h| h.version == rev.version);
        let path = acct.folder_path(&rev.folder_id);
        let mut v = json!({"@type": "ComponentMetadata", "componentId": comp.id,
            "version": rev.version, "name": rev.name, "type": comp.kind,
            "createdDate": comp.created_date, "createdBy": comp.created_by,
            "modifiedDate": rev.modified_date, "modifiedBy": rev.modified_by,
            "deleted": rev.deleted, "currentVersion": current,
            "folderName": path.rsplit('/').next().unwrap_or(""), "folderId": rev.folder_id,
            "branchId": branch,
            "branchName": acct.branches.get(branch).map(|b| b.name.clone()).unwrap_or_default()});
        if let Some(st) = &comp.sub_type {
            v["subType"] = json!(st);
        }
        v
    }

    pub fn get_metadata(&self, acct_id: &str, spec: &str, ctx: &Ctx<'_>) -> ApiResult<Value> {
        let acct = self.acct(acct_id);
        let (comp, rev, branch) = self.resolve(acct, spec, ctx)?;
        Ok(self.metadata_json(acct, comp, rev, &branch))
    }

    /// Rows for a ComponentMetadata query: every revision on main, or on every branch when
    /// the filter names a branch.
    pub fn metadata_rows(&self, acct_id: &str, all_branches: bool) -> Vec<Value> {
        let acct = self.acct(acct_id);
        let branches: Vec<String> = if all_branches {
            acct.branches
                .values()
                .filter(|b| !b.deleted)
                .map(|b| b.id.clone())
                .collect()
        } else {
            vec![acct.main_branch.clone()]
        };
        let mut rows = Vec::new();
        for comp in acct.components.values() {
            for br in &branches {
                for rev in acct.history(comp, br) {
                    rows.push(self.metadata_json(acct, comp, rev, br));
                }
            }
        }
        rows
    }

    /// `DELETE ComponentMetadata/{id}[~branch]`: a new, deleted revision.
    pub fn delete_component(&mut self, acct_id: &str, spec: &str, ctx: &Ctx<'_>) -> ApiResult<()> {
        let (id, branch) = {
            let acct = self.acct(acct_id);
            let (comp, rev, branch) = self.resolve(acct, spec, ctx)?;
            if rev.deleted {
                return Ok(());
            }
            (comp.id.clone(), branch)
        };
        let acct = self.acct_mut(acct_id);
        acct.writable_branch(&branch, ctx)?;
        let head = acct
            .head(&acct.components[&id], &branch)
            .cloned()
            .expect("resolved");
        let comp = acct.components.get_mut(&id).expect("exists");
        let mut rev = head;
        rev.version = comp.next_version();
        rev.branch_id = branch;
        rev.deleted = true;
        rev.modified_date = now();
        rev.modified_by = ctx.user.clone();
        comp.revisions.push(rev);
        Ok(())
    }

    /// Reference edges (parent revision → child) visible on `branch`, as JSON rows.
    pub fn reference_rows(
        &self,
        acct_id: &str,
        parent: Option<&str>,
        parent_version: Option<u32>,
        child: Option<&str>,
        branch: Option<&str>,
        ctx: &Ctx<'_>,
    ) -> ApiResult<Vec<Value>> {
        let acct = self.acct(acct_id);
        let branch = branch
            .map(str::to_string)
            .unwrap_or_else(|| acct.main_branch.clone());
        acct.live_branch(&branch)
            .ok_or_else(|| ctx.unknown(format!("Branch {branch} does not exist.")))?;
        let edge = |p: &ComponentRec, rev: &Revision, c: &str| {
            json!({"@type": "references", "parentComponentId": p.id, "parentVersion": rev.version,
                   "componentId": c, "type": "DEPENDENT", "branchId": branch})
        };
        let mut rows = Vec::new();
        if let Some(pid) = parent {
            let p = acct
                .components
                .get(pid)
                .ok_or_else(|| ctx.unknown(format!("Component {pid} does not exist.")))?;
            let rev = match parent_version {
                Some(v) => p
                    .rev(v)
                    .ok_or_else(|| ctx.unknown(format!("Component {pid} has no version {v}.")))?,
                None => acct
                    .head(p, &branch)
                    .ok_or_else(|| ctx.unknown(format!("Component {pid} does not exist.")))?,
            };
            for c in acct.references_in(&rev.object, &p.id) {
                rows.push(edge(p, rev, &c));
            }
        } else if let Some(cid) = child {
            if !acct.components.contains_key(cid) {
                return Err(ctx.unknown(format!("Component {cid} does not exist.")));
            }
            for p in acct.components.values() {
                if let Some(rev) = acct.head(p, &branch) {
                    if !rev.deleted
                        && acct
                            .references_in(&rev.object, &p.id)
                            .iter()
                            .any(|x| x == cid)
                    {
                        rows.push(edge(p, rev, cid));
                    }
                }
            }
        } else {
            return Err(ApiErr::bad(
                "A ComponentReference query must filter by componentId, or by parentComponentId and parentVersion.",
            ));
        }
        Ok(rows)
    }
}
