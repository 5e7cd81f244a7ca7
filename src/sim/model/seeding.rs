//! Building the emulator's state from a seed: accounts, components and their revisions,
//! branches, packages, environments with their extensions and map extensions, packs and
//! deployments, checked as they are loaded.

use super::components::type_from_root;
use super::deployments::next_deployment;
use super::extensions::{empty_extensions, seed_extensions};
use super::map_extensions::complete_map;
use super::*;
use crate::sim::compxml::{self, esc};
use crate::sim::seed::{Seed, SeedAccount};
use crate::sim::SimError;
use std::collections::BTreeMap;

impl SimState {
    /// Build the state from a seed.
    pub fn from_seed(seed: &Seed) -> Result<SimState, SimError> {
        let mut st = SimState {
            primary: seed.primary_account.id.clone(),
            accounts: BTreeMap::new(),
            users: seed.users.clone(),
            next_branch: 0,
            next_merge_request: 0,
            next_folder: 0,
        };
        let all = std::iter::once((&seed.primary_account, None)).chain(
            seed.accounts
                .iter()
                .map(|a| (a, Some(seed.primary_account.id.clone()))),
        );
        for (sa, parent) in all {
            if st.accounts.contains_key(&sa.id) {
                return Err(seed_err(format!("account {} is listed twice", sa.id)));
            }
            st.next_branch += 1;
            let main = b64id("B", st.next_branch);
            let mut acct = AccountState::new(sa, parent, main);
            st.seed_account(&mut acct, sa)?;
            st.accounts.insert(sa.id.clone(), acct);
        }
        Ok(st)
    }

    fn seed_account(&mut self, acct: &mut AccountState, sa: &SeedAccount) -> Result<(), SimError> {
        let main = acct.main_branch.clone();
        for c in &sa.components {
            let parsed = match &c.xml {
                Some(x) => compxml::parse_component(x)
                    .map_err(|e| seed_err(format!("account {}: {e}", sa.id)))?,
                None => compxml::ParsedComponent::default(),
            };
            let id =
                c.id.clone()
                    .or_else(|| parsed.attr("componentId").map(str::to_string))
                    .ok_or_else(|| seed_err(format!("account {}: a component has no id", sa.id)))?;
            let name = c
                .name
                .clone()
                .or_else(|| parsed.attr("name").map(str::to_string))
                .ok_or_else(|| seed_err(format!("component {id} has no name")))?;
            let object = c.object.clone().unwrap_or_else(|| parsed.object.clone());
            let kind = c
                .kind
                .clone()
                .or_else(|| parsed.attr("type").map(str::to_string))
                .or_else(|| {
                    compxml::object_root(&object)
                        .and_then(|r| type_from_root(&r).map(str::to_string))
                })
                .ok_or_else(|| seed_err(format!("component {id} has no type")))?;
            let folder_path = c
                .folder
                .clone()
                .or_else(|| parsed.attr("folderFullPath").map(str::to_string))
                .unwrap_or_else(|| sa.name.clone());
            let folder_id = acct.folder_id_for_path(&folder_path, &mut self.next_folder);
            let extra = compxml::encrypted_field_ids(&parsed.encrypted_paths);
            let prot = compxml::protect_secrets(&id, &object, &extra, &BTreeMap::new())
                .map_err(|e| seed_err(format!("component {id}: {e}")))?;
            let created = c
                .created_date
                .clone()
                .or_else(|| parsed.attr("createdDate").map(str::to_string))
                .unwrap_or_else(now);
            let by = c
                .created_by
                .clone()
                .or_else(|| parsed.attr("createdBy").map(str::to_string))
                .unwrap_or_else(|| "seed@example.com".into());
            if acct.components.contains_key(&id) {
                return Err(seed_err(format!("component {id} is listed twice")));
            }
            let current = c.version.unwrap_or(1).max(1);
            let modified = c
                .modified_date
                .clone()
                .or_else(|| parsed.attr("modifiedDate").map(str::to_string))
                .unwrap_or_else(|| created.clone());
            let first = Revision {
                version: 1,
                branch_id: main.clone(),
                name,
                folder_id,
                description: c
                    .description
                    .as_deref()
                    .map(esc)
                    .or(parsed.description.clone()),
                object: prot.object,
                process_overrides: parsed.process_overrides.clone(),
                secrets: prot.secrets,
                secret_fields: prot.secret_fields,
                deleted: false,
                modified_date: created.clone(),
                modified_by: by.clone(),
            };
            // The seed gives the current content; earlier revisions carry the same content.
            let revisions = (1..=current)
                .map(|v| Revision {
                    version: v,
                    modified_date: if v == current {
                        modified.clone()
                    } else {
                        created.clone()
                    },
                    ..first.clone()
                })
                .collect();
            acct.components.insert(
                id.clone(),
                ComponentRec {
                    id: id.clone(),
                    kind,
                    sub_type: c
                        .sub_type
                        .clone()
                        .or_else(|| parsed.attr("subType").map(str::to_string)),
                    created_date: created,
                    created_by: by,
                    revisions,
                },
            );
        }
        for sb in &sa.branches {
            self.next_branch += 1;
            let id = b64id("B", self.next_branch);
            let base = acct
                .components
                .values()
                .filter_map(|c| acct.head(c, &main).map(|r| (c.id.clone(), r.version)))
                .collect();
            let t = now_ms_text();
            acct.branches.insert(
                id.clone(),
                BranchRec {
                    id,
                    name: sb.name.clone(),
                    description: sb.description.clone(),
                    parent_id: Some(main.clone()),
                    package_id: None,
                    created_by: "seed@example.com".into(),
                    created_date: t.clone(),
                    modified_by: "seed@example.com".into(),
                    modified_date: t,
                    created_ms: 0,
                    stage: "NORMAL".into(),
                    reads: 0,
                    deleted: false,
                    base,
                },
            );
        }
        for (i, p) in sa.packages.iter().enumerate() {
            let comp = acct.components.get(&p.component_id).ok_or_else(|| {
                seed_err(format!("package of unknown component {}", p.component_id))
            })?;
            let version = p
                .component_version
                .unwrap_or_else(|| acct.head(comp, &main).map(|r| r.version).unwrap_or(1));
            let id = p.package_id.clone().unwrap_or_else(uuid);
            acct.packages.insert(
                id.clone(),
                PackageRec {
                    package_id: id,
                    package_version: p.package_version.clone(),
                    component_id: p.component_id.clone(),
                    component_version: version,
                    component_type: comp.kind.clone(),
                    notes: p.notes.clone().unwrap_or_default(),
                    shareable: p.shareable,
                    branch_name: "main".into(),
                    created_date: p.created_date.clone().unwrap_or_else(now),
                    created_by: p
                        .created_by
                        .clone()
                        .unwrap_or_else(|| "seed@example.com".into()),
                    deleted: false,
                    seq: i as u64,
                },
            );
        }
        for e in &sa.environments {
            if e.classification != "TEST" && e.classification != "PROD" {
                return Err(seed_err(format!(
                    "environment {}: classification must be TEST or PROD",
                    e.id
                )));
            }
            acct.environments.insert(
                e.id.clone(),
                EnvironmentRec {
                    id: e.id.clone(),
                    name: e.name.clone(),
                    classification: e.classification.clone(),
                },
            );
            let mut ext = empty_extensions(&e.id);
            if let Some(seeded) = &e.extensions {
                seed_extensions(acct, &e.id, &mut ext, seeded);
            }
            acct.extensions.insert(e.id.clone(), ext);
            for m in &e.map_extensions {
                let id = base64::engine::general_purpose::STANDARD_NO_PAD.encode(format!(
                    "{{\"environmentId\":\"{}\",\"mapId\":\"{}\",\"processId\":\"{}\"}}",
                    e.id, m.map_id, m.process_id
                ));
                acct.map_extensions.insert(
                    id.clone(),
                    MapExtRec {
                        id,
                        map_id: m.map_id.clone(),
                        process_id: m.process_id.clone(),
                        environment_id: e.id.clone(),
                        name: m.name.clone(),
                        source_connection_id: m.source_connection_id.clone(),
                        destination_connection_id: m.destination_connection_id.clone(),
                        map: complete_map(m.map.clone().unwrap_or(Value::Null)),
                    },
                );
            }
        }
        for p in &sa.packs {
            let mut components = BTreeMap::new();
            for c in &p.components {
                components.insert(
                    c.component_id.clone(),
                    PackComponent {
                        current_version: Some(c.version.clone()),
                        pending_version: None,
                        deleted: false,
                    },
                );
            }
            acct.packs.insert(
                p.id.clone(),
                PackRec {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    installation_type: p.installation_type.clone(),
                    description: p.description.clone(),
                    components,
                },
            );
        }
        for d in &sa.deployments {
            let pkg = acct
                .packages
                .get(&d.package_id)
                .ok_or_else(|| seed_err(format!("deployment of unknown package {}", d.package_id)))?
                .clone();
            if !acct.environments.contains_key(&d.environment_id) {
                return Err(seed_err(format!(
                    "deployment to unknown environment {}",
                    d.environment_id
                )));
            }
            let version = next_deployment(acct, &pkg.component_id, &d.environment_id);
            let id = d.deployment_id.clone().unwrap_or_else(uuid);
            acct.deployments.insert(
                id.clone(),
                DeploymentRec {
                    deployment_id: id,
                    version,
                    package_id: pkg.package_id.clone(),
                    package_version: pkg.package_version.clone(),
                    environment_id: d.environment_id.clone(),
                    component_id: pkg.component_id.clone(),
                    component_version: pkg.component_version,
                    component_type: pkg.component_type.clone(),
                    deployed_date: d.deployed_date.clone().unwrap_or_else(now),
                    deployed_by: d
                        .deployed_by
                        .clone()
                        .unwrap_or_else(|| "seed@example.com".into()),
                    notes: d.notes.clone().unwrap_or_default(),
                    active: true,
                    branch_name: "main".into(),
                    listener_status: "RUNNING".into(),
                },
            );
        }
        Ok(())
    }
}

fn seed_err(message: String) -> SimError {
    SimError::Seed {
        path: "<seed>".into(),
        message,
    }
}
