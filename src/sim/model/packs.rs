//! Publisher integration packs (ADD / DELETE of packaged components, pending versions) and
//! their releases (immediate or scheduled, 202 while in progress, exactly the given list
//! published).

use super::*;
use crate::sim::faults::take_event_fault;

/// A publisher integration pack.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackRec {
    pub id: String,
    pub name: String,
    pub installation_type: String,
    pub description: String,
    pub components: BTreeMap<String, PackComponent>,
}

/// A component of a pack.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackComponent {
    pub current_version: Option<String>,
    pub pending_version: Option<String>,
    pub deleted: bool,
}

/// A release request.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseRec {
    pub request_id: String,
    pub pack_id: String,
    pub release_schedule: String,
    pub release_on_date: Option<String>,
    /// (componentId, package version)
    pub components: Vec<(String, String)>,
    pub polls: u32,
    pub status: String,
    pub created_date: String,
}

impl SimState {
    fn latest_shareable<'a>(acct: &'a AccountState, component_id: &str) -> Option<&'a PackageRec> {
        acct.packages
            .values()
            .filter(|p| !p.deleted && p.shareable && p.component_id == component_id)
            .max_by_key(|p| p.seq)
    }

    fn pack_json(acct: &AccountState, p: &PackRec) -> Value {
        let comps: Vec<Value> = p
            .components
            .iter()
            .map(|(cid, c)| {
                let (name, kind) = acct
                    .components
                    .get(cid)
                    .and_then(|comp| {
                        acct.head(comp, &acct.main_branch)
                            .map(|r| (r.name.clone(), comp.kind.clone()))
                    })
                    .unwrap_or_default();
                let mut v = json!({"@type": "PublisherPackagedComponent", "componentId": cid,
                    "componentName": name, "componentType": kind, "deleted": c.deleted});
                if let Some(x) = &c.current_version {
                    v["currentVersion"] = json!(x);
                }
                if let Some(x) = &c.pending_version {
                    v["pendingVersion"] = json!(x);
                }
                if let Some(l) = Self::latest_shareable(acct, cid) {
                    v["latestVersion"] = json!(l.package_version);
                }
                v
            })
            .collect();
        json!({"@type": "PublisherIntegrationPack", "id": p.id, "name": p.name,
            "installationType": p.installation_type, "Description": p.description,
            "PublisherPackagedComponents": {"PublisherPackagedComponent": comps}})
    }

    fn pack_component_ids(body: &Value) -> Vec<String> {
        body.get("PublisherPackagedComponents")
            .map(|x| list(x.get("PublisherPackagedComponent")))
            .unwrap_or_default()
            .iter()
            .filter_map(|c| s(c, "componentId"))
            .collect()
    }

    fn pack_add(acct: &mut AccountState, pack_id: &str, ids: &[String]) -> ApiResult<()> {
        for cid in ids {
            let latest = Self::latest_shareable(acct, cid)
                .ok_or_else(|| {
                    ApiErr::bad(format!(
                        "Component {cid} has no shareable packaged component and cannot be added to an integration pack."
                    ))
                })?
                .package_version
                .clone();
            let pack = acct.packs.get_mut(pack_id).expect("exists");
            let entry = pack.components.entry(cid.clone()).or_insert(PackComponent {
                current_version: None,
                pending_version: None,
                deleted: false,
            });
            entry.deleted = false;
            if entry.current_version.as_deref() != Some(latest.as_str()) {
                entry.pending_version = Some(latest);
            }
        }
        Ok(())
    }

    pub fn create_pack(&mut self, acct_id: &str, body: &Value, _ctx: &Ctx<'_>) -> ApiResult<Value> {
        let name = s(body, "name")
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| ApiErr::bad("The integration pack name is required."))?;
        let installation_type = s(body, "installationType").unwrap_or_else(|| "MULTI".into());
        if installation_type != "SINGLE" && installation_type != "MULTI" {
            return Err(ApiErr::bad("installationType must be SINGLE or MULTI."));
        }
        let description = s(body, "Description")
            .or_else(|| s(body, "description"))
            .unwrap_or_default();
        let acct = self.acct_mut(acct_id);
        let id = uuid();
        acct.packs.insert(
            id.clone(),
            PackRec {
                id: id.clone(),
                name,
                installation_type,
                description,
                components: BTreeMap::new(),
            },
        );
        let ids = Self::pack_component_ids(body);
        if let Err(e) = Self::pack_add(acct, &id, &ids) {
            acct.packs.remove(&id);
            return Err(e);
        }
        Ok(Self::pack_json(acct, &acct.packs[&id]))
    }

    pub fn get_pack(&self, acct_id: &str, id: &str, ctx: &Ctx<'_>) -> ApiResult<Value> {
        let acct = self.acct(acct_id);
        acct.packs
            .get(id)
            .map(|p| Self::pack_json(acct, p))
            .ok_or_else(|| ctx.unknown(format!("Integration pack {id} does not exist.")))
    }

    pub fn update_pack(
        &mut self,
        acct_id: &str,
        id: &str,
        body: &Value,
        ctx: &Ctx<'_>,
    ) -> ApiResult<Value> {
        let acct = self.acct_mut(acct_id);
        let pack = acct
            .packs
            .get(id)
            .ok_or_else(|| ctx.unknown(format!("Integration pack {id} does not exist.")))?
            .clone();
        let ids = Self::pack_component_ids(body);
        let op = s(body, "operationType");
        if !ids.is_empty() && op.is_none() {
            return Err(ApiErr::bad(
                "operationType (ADD or DELETE) is required to change the packaged components.",
            ));
        }
        if let Some(name) = s(body, "name").filter(|n| *n != pack.name) {
            if pack.installation_type != "SINGLE" {
                return Err(ApiErr::bad(
                    "The name can be changed only for SINGLE integration packs.",
                ));
            }
            acct.packs.get_mut(id).expect("exists").name = name;
        }
        if let Some(d) = s(body, "Description").or_else(|| s(body, "description")) {
            acct.packs.get_mut(id).expect("exists").description = d;
        }
        match op.as_deref() {
            None => {}
            Some("ADD") => Self::pack_add(acct, id, &ids)?,
            Some("DELETE") => {
                let pack = acct.packs.get_mut(id).expect("exists");
                for cid in &ids {
                    let c = pack.components.get_mut(cid).ok_or_else(|| {
                        ApiErr::bad(format!("Component {cid} is not in integration pack {id}."))
                    })?;
                    c.deleted = true;
                }
            }
            Some(other) => return Err(ApiErr::bad(format!("Unknown operationType {other}."))),
        }
        Ok(Self::pack_json(acct, &acct.packs[id]))
    }

    pub fn delete_pack(&mut self, acct_id: &str, id: &str, ctx: &Ctx<'_>) -> ApiResult<()> {
        self.acct_mut(acct_id)
            .packs
            .remove(id)
            .map(|_| ())
            .ok_or_else(|| ctx.unknown(format!("Integration pack {id} does not exist.")))
    }

    pub fn pack_rows(&self, acct_id: &str) -> Vec<Value> {
        let acct = self.acct(acct_id);
        acct.packs
            .values()
            .map(|p| Self::pack_json(acct, p))
            .collect()
    }

    fn release_components_json(r: &ReleaseRec, released: bool) -> Value {
        let items: Vec<Value> = r
            .components
            .iter()
            .map(|(c, v)| {
                let mut x = json!({"componentId": c, "version": v});
                if released {
                    x["releasedVersion"] = json!(v);
                }
                x
            })
            .collect();
        json!({"ReleasePackagedComponent": items})
    }

    pub fn create_release(
        &mut self,
        acct_id: &str,
        body: &Value,
        base_url: &str,
        ctx: &Ctx<'_>,
    ) -> ApiResult<Value> {
        let pack_id = s(body, "id")
            .ok_or_else(|| ApiErr::bad("id (the integration pack id) is required."))?;
        let schedule = s(body, "releaseSchedule")
            .ok_or_else(|| ApiErr::bad("releaseSchedule is required."))?;
        let on_date = s(body, "releaseOnDate");
        match schedule.as_str() {
            "IMMEDIATELY" => {}
            "RELEASE_ON_SPECIFIED_DATE" if on_date.is_some() => {}
            "RELEASE_ON_SPECIFIED_DATE" => {
                return Err(ApiErr::bad(
                    "releaseOnDate is required for RELEASE_ON_SPECIFIED_DATE.",
                ))
            }
            other => return Err(ApiErr::bad(format!("Unknown releaseSchedule {other}."))),
        }
        let acct = self.acct_mut(acct_id);
        let pack = acct
            .packs
            .get(&pack_id)
            .ok_or_else(|| ctx.unknown(format!("Integration pack {pack_id} does not exist.")))?
            .clone();
        let requested: Vec<Value> = body
            .get("ReleasePackagedComponents")
            .map(|x| list(x.get("ReleasePackagedComponent")))
            .unwrap_or_default();
        let mut components = Vec::new();
        if requested.is_empty() {
            for (cid, c) in &pack.components {
                if c.deleted {
                    continue;
                }
                if let Some(v) = c.pending_version.clone().or(c.current_version.clone()) {
                    components.push((cid.clone(), v));
                }
            }
        } else {
            for item in &requested {
                let cid = s(item, "componentId")
                    .ok_or_else(|| ApiErr::bad("componentId is required."))?;
                if !pack.components.contains_key(&cid) {
                    return Err(ApiErr::bad(format!(
                        "Component {cid} is not in integration pack {pack_id}."
                    )));
                }
                let v = match s(item, "version") {
                    Some(v) => v,
                    None => pack.components[&cid]
                        .pending_version
                        .clone()
                        .or(pack.components[&cid].current_version.clone())
                        .ok_or_else(|| ApiErr::bad(format!("No version to release for {cid}.")))?,
                };
                if !acct.packages.values().any(|p| {
                    !p.deleted && p.shareable && p.component_id == cid && p.package_version == v
                }) {
                    return Err(ApiErr::bad(format!(
                        "Component {cid} has no shareable packaged component with version {v}."
                    )));
                }
                components.push((cid, v));
            }
        }
        if components.is_empty() {
            return Err(ApiErr::bad(format!(
                "Integration pack {pack_id} has nothing to release."
            )));
        }
        let request_id = format!("release-{}", uuid());
        let rec = ReleaseRec {
            request_id: request_id.clone(),
            pack_id: pack_id.clone(),
            release_schedule: schedule.clone(),
            release_on_date: on_date.clone(),
            components,
            polls: 0,
            status: if schedule == "IMMEDIATELY" {
                "IN_PROGRESS"
            } else {
                "SCHEDULED"
            }
            .into(),
            created_date: now(),
        };
        let comps = Self::release_components_json(&rec, false);
        acct.releases.insert(request_id.clone(), rec);
        let mut v = json!({"@type": "ReleaseIntegrationPack", "id": pack_id, "name": pack.name,
            "installationType": pack.installation_type, "releaseSchedule": schedule,
            "requestId": request_id,
            "releaseStatusUrl": format!("{base_url}/api/rest/v1/{acct_id}/ReleaseIntegrationPackStatus/{request_id}"),
            "ReleasePackagedComponents": comps});
        if let Some(d) = on_date {
            v["releaseOnDate"] = json!(d);
        }
        Ok(v)
    }

    /// Poll a release: `(http status, body)`; 202 while in progress or scheduled, 200 when done.
    pub fn release_status(
        &mut self,
        acct_id: &str,
        id: &str,
        ctx: &mut Ctx<'_>,
    ) -> ApiResult<(u16, Value)> {
        let polls_needed = ctx.cfg.release_in_progress_polls;
        let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
        let acct = self.acct_mut(acct_id);
        let r = acct
            .releases
            .get_mut(id)
            .ok_or_else(|| ctx.unknown(format!("Release request {id} does not exist.")))?;
        r.polls += 1;
        let due = match r.status.as_str() {
            "IN_PROGRESS" => r.polls > polls_needed,
            "SCHEDULED" => r
                .release_on_date
                .as_deref()
                .is_some_and(|d| d <= today.as_str()),
            _ => false,
        };
        if due {
            if take_event_fault(ctx.faults, true) {
                r.status = "ERROR".into();
            } else {
                r.status = "SUCCESS".into();
                let r = r.clone();
                if let Some(pack) = acct.packs.get_mut(&r.pack_id) {
                    // A release publishes exactly the list it was given: a package left out
                    // is unpublished (seed-behaviors §6.14).
                    for (cid, c) in pack.components.iter_mut() {
                        match r.components.iter().find(|(id, _)| id == cid) {
                            Some((_, v)) => {
                                c.current_version = Some(v.clone());
                                if c.pending_version.as_deref() == Some(v.as_str()) {
                                    c.pending_version = None;
                                }
                            }
                            None => c.current_version = None,
                        }
                    }
                    pack.components.retain(|_, c| !c.deleted);
                }
            }
        }
        let r = acct.releases[id].clone();
        let pack = acct.packs.get(&r.pack_id);
        let code = if matches!(r.status.as_str(), "IN_PROGRESS" | "SCHEDULED") {
            202
        } else {
            200
        };
        let mut v = json!({"@type": "ReleaseIntegrationPackStatus", "requestId": r.request_id,
            "integrationPackId": r.pack_id,
            "name": pack.map(|p| p.name.clone()).unwrap_or_default(),
            "installationType": pack.map(|p| p.installation_type.clone()).unwrap_or_default(),
            "releaseSchedule": r.release_schedule, "releaseStatus": r.status,
            "responseStatusCode": code,
            "ReleasePackagedComponents": Self::release_components_json(&r, r.status == "SUCCESS")});
        if let Some(d) = &r.release_on_date {
            v["releaseOnDate"] = json!(d);
        }
        Ok((code, v))
    }
}
