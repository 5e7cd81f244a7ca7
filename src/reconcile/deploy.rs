//! The effects of the deploy pipeline, one for every mode (`plan::pipeline` lists the stages of
//! each; DESIGN.md §3, `seed-behaviors.md` §4 D, §6.14, §6.15): merge the promotion branch into
//! main (OVERRIDE, polled) and record the main version of every promoted component ("ship what
//! was tested"), or check that main still holds them (production from test); package from main
//! (or ship the tested package); choose the integration pack (named by a document, or suggested
//! from history); add the package and release the pack with every component it holds (release
//! safety), through the deployment guard, and poll the release; deploy to each environment
//! through the guard; refresh the extension access cache; delete the kept test branch.

use super::guard::{DeployRequest, GateError, ReleaseRequest};
use super::{cause, close_open, require, step_done, step_open, Context, StepError};
use crate::boomi::wire::{InstallationType, MergeStage, ReleasePackagedComponent, ReleaseStatus};
use crate::boomi::{
    wait_merge_stage, BoomiError, DeploymentQuery, NewPackage, PackageQuery, Polling,
};
use crate::model::{Classification, ErrorCode, Mode, PackChoice, PromotionStatus, Target};
use crate::policy::{PromotionDocs, Verified};
use crate::store::{
    ComponentStatus, DeploymentResult, DeploymentStatus, PromotionRecord, TestedVersion, Transition,
};
use serde_json::json;

/// Effect::StartTestDeploy: COMPLETED, TEST_DEPLOY_FAILED (after its pause) or
/// PENDING_PACK_ASSIGNMENT (a pack was assigned) → TEST_DEPLOYING. A retry forgets the
/// environments that failed, so they are tried again.
pub fn start_test_deploy(
    ctx: &Context,
    docs: &PromotionDocs,
    rec: &PromotionRecord,
    commit: &str,
) -> Result<(), StepError> {
    let from = rec.status;
    let mut cause = cause(match from {
        PromotionStatus::Completed => "test deployment started",
        PromotionStatus::TestDeployFailed => "retrying the test deployment",
        _ => "integration pack assigned",
    })
    .commit(commit)
    .at(ctx.clock.now());
    let assignment = docs
        .pack_assignment
        .as_ref()
        .filter(|_| from == PromotionStatus::PendingPackAssignment);
    if let Some(pa) = assignment {
        cause = cause.document(pa.path.clone());
    }
    ctx.store.apply(
        &rec.promotion_id,
        Some(&Transition::from_to(
            from,
            PromotionStatus::TestDeploying,
            cause,
        )),
        |r| {
            r.deployments
                .retain(|d| d.status != DeploymentStatus::Failed);
            if from == PromotionStatus::PendingPackAssignment {
                r.waiting_reason = None;
                if assignment.is_some() {
                    r.document_commits.pack_assignment = Some(commit.to_string());
                }
            }
        },
    )?;
    Ok(())
}

fn merge_err(e: BoomiError) -> StepError {
    match e {
        BoomiError::MergeFailed { .. } => StepError::fail(ErrorCode::MergeFailed, e.to_string()),
        BoomiError::MergeTimeout { .. } => StepError::fail(ErrorCode::MergeTimeout, e.to_string()),
        other => other.into(),
    }
}

/// Where a promotion's integration pack comes from.
pub(crate) enum PackPick {
    /// A document names it (the pack assignment or admin review, else the request).
    Named(PackChoice),
    /// History suggests it: the pack of the newest promotion of the process and target.
    Suggested { id: String, name: String },
}

/// The integration pack a promotion would use. `None`: nobody named one and history knows none.
pub(crate) fn pack_pick(
    ctx: &Context,
    docs: &PromotionDocs,
    rec: &PromotionRecord,
) -> Result<Option<PackPick>, StepError> {
    let req = &docs.request.doc;
    let named = match rec.mode() {
        Mode::Test => docs
            .pack_assignment
            .as_ref()
            .map(|a| a.doc.integration_pack.clone())
            .or_else(|| req.integration_pack.clone()),
        Mode::ProductionFromTest | Mode::Hotfix => docs
            .admin_review
            .as_ref()
            .and_then(|a| a.doc.integration_pack.clone())
            .or_else(|| req.integration_pack.clone()),
    }
    .filter(|c| c.id.is_some() || c.new_name.is_some());
    if let Some(c) = named {
        return Ok(Some(PackPick::Named(c)));
    }
    Ok(ctx
        .store
        .suggest_pack(&rec.process_name, rec.target_environment)?
        .map(|s| PackPick::Suggested {
            id: s.pack_id,
            name: s.pack_name.unwrap_or_default(),
        }))
}

/// Effect::ChoosePack: the pack named (found or created) or suggested, recorded.
pub async fn choose_pack(
    ctx: &Context,
    docs: &PromotionDocs,
    rec: &PromotionRecord,
) -> Result<(), StepError> {
    let id = rec.promotion_id.as_str();
    let (pack_id, pack_name) = match pack_pick(ctx, docs, rec)? {
        None => return Ok(()),
        Some(PackPick::Suggested { id, name }) => (id, name),
        Some(PackPick::Named(choice)) => match named_pack(ctx, id, &choice).await? {
            Some(x) => x,
            None => return Ok(()),
        },
    };
    let test = rec.mode() == Mode::Test;
    ctx.store.update(id, |r| {
        r.integration_pack_id = Some(pack_id.clone());
        r.integration_pack_name = Some(pack_name.clone());
        if test {
            r.test_integration_pack_id = Some(pack_id.clone());
            r.test_integration_pack_name = Some(pack_name.clone());
        }
    })?;
    Ok(())
}

/// The integration pack a choice names: an existing id, or a pack found or created by name.
pub(crate) async fn named_pack(
    ctx: &Context,
    id: &str,
    choice: &PackChoice,
) -> Result<Option<(String, String)>, StepError> {
    let p = ctx.platform.as_ref();
    match choice {
        PackChoice { id: Some(pid), .. } => {
            let pack = p.get_publisher_pack(pid).await?;
            Ok(Some((pid.clone(), pack.name.unwrap_or_default())))
        }
        PackChoice {
            new_name: Some(name),
            description,
            ..
        } => {
            let _pack = ctx.shared.pack(&format!("name:{name}")).await;
            let existing = p
                .query_publisher_packs(Some(name))
                .await?
                .into_iter()
                .find(|pk| pk.name.as_deref() == Some(name.as_str()))
                .and_then(|pk| pk.id);
            if let Some(pid) = existing {
                // Created before a crash, or by someone else: either way it is the pack.
                close_open(
                    &ctx.store,
                    id,
                    "create_pack",
                    &json!({ "packId": pid, "recovered": true }),
                    |_| {},
                )?;
                return Ok(Some((pid, name.clone())));
            }
            let step = super::begin(&ctx.store, id, "create_pack", &json!({ "name": name }))?;
            let pack = p
                .create_publisher_pack(
                    name,
                    description.as_deref().unwrap_or(name),
                    InstallationType::Multi,
                )
                .await?;
            let pid = pack.id.unwrap_or_default();
            ctx.store
                .finish_step(step, &json!({ "packId": pid }), None, |_| {})?;
            Ok(Some((pid, name.clone())))
        }
        _ => Ok(None),
    }
}

/// The production id of the promotion's root process.
pub(crate) fn root_prod_id(
    rec: &PromotionRecord,
    req: &crate::model::PromotionRequest,
) -> Result<String, StepError> {
    rec.result_detail
        .iter()
        .rev()
        .find(|r| Some(&r.dev_component_id) == req.root_component_id.as_ref())
        .or_else(|| {
            rec.result_detail
                .iter()
                .rev()
                .find(|r| r.component_type == "process")
        })
        .and_then(|r| r.prod_component_id.clone())
        .ok_or_else(|| {
            StepError::fail(
                ErrorCode::PromotionNotCompleted,
                "no promoted root process to package",
            )
        })
}

/// The environments of a deploy: the ones named, or every one of the class in promoter.yaml.
pub(crate) fn target_environments(
    desired: &Verified,
    named: Option<&Vec<String>>,
    class: Classification,
) -> Vec<String> {
    match named {
        Some(e) => e.clone(),
        None => desired
            .settings
            .as_ref()
            .map(|s| {
                s.environments
                    .iter()
                    .filter(|e| e.classification == class)
                    .map(|e| e.id.clone())
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// Merge the promotion branch into main (OVERRIDE, polled) once, and record the main version
/// of every promoted component.
pub(crate) async fn merge(ctx: &Context, id: &str) -> Result<(), StepError> {
    let p = ctx.platform.as_ref();
    let rec = require(&ctx.store, id)?;
    if step_done(&ctx.store, id, "merge")?.is_none() {
        let branch = rec.branch_id.clone().ok_or_else(|| {
            StepError::fail(
                ErrorCode::MergeFailed,
                "the promotion branch is gone; nothing to merge",
            )
        })?;
        let main = p.main_branch_id(None).await?;
        let mut existing = None;
        if step_open(&ctx.store, id, "merge")? {
            existing = p
                .query_merge_requests(None, &branch)
                .await?
                .into_iter()
                .find(|m| !matches!(m.stage, Some(MergeStage::Deleted)))
                .and_then(|m| m.id);
        }
        let mr_id = match existing {
            Some(m) => m,
            None => {
                super::begin(
                    &ctx.store,
                    id,
                    "merge",
                    &json!({ "sourceBranchId": branch, "destinationBranchId": main }),
                )?;
                let mr = p
                    .create_merge_request(None, &branch, &main, Some(&format!("promotion {id}")))
                    .await?;
                let mr_id = mr.id.unwrap_or_default();
                ctx.store
                    .update(id, |r| r.waiting_reason = Some(format!("merging {mr_id}")))?;
                mr_id
            }
        };
        let mr = wait_merge_stage(
            p,
            None,
            &mr_id,
            &[
                MergeStage::Reviewing,
                MergeStage::Merged,
                MergeStage::Merging,
            ],
            ctx.config.merge,
        )
        .await
        .map_err(merge_err)?;
        if mr.stage == Some(MergeStage::Reviewing) {
            p.execute_merge_request(None, &mr_id).await?;
        }
        wait_merge_stage(p, None, &mr_id, &[MergeStage::Merged], ctx.config.merge)
            .await
            .map_err(merge_err)?;
        let mut tested = Vec::new();
        for r in rec
            .result_detail
            .iter()
            .filter(|r| r.status == ComponentStatus::Success)
        {
            if let Some(prod) = &r.prod_component_id {
                let c = p.get_component(None, prod, None).await?;
                tested.push(TestedVersion {
                    component_id: prod.clone(),
                    name: r.name.clone(),
                    version: c.version().unwrap_or_default(),
                });
            }
        }
        // What main now holds, and the mappings of the components that reached it, in one
        // transaction with the merge's result.
        let mappings = super::promote::engine_mappings(&rec, &tested, ctx.clock.now());
        ctx.store.write(|tx| {
            for s in tx.open_steps(id)?.into_iter().filter(|s| s.step == "merge") {
                tx.finish_step(s.id, &json!({ "mergeRequestId": mr_id }))?;
            }
            for m in &mappings {
                tx.upsert_mapping(m)?;
            }
            tx.apply(id, None, |r| {
                r.tested_versions = tested.clone();
                r.waiting_reason = None;
            })?;
            Ok(())
        })?;
    }
    Ok(())
}

/// Package the root process from main once (crash-safe: an open intent is looked up first).
pub(crate) async fn package(
    ctx: &Context,
    id: &str,
    root_prod: &str,
    version: &str,
) -> Result<String, StepError> {
    let p = ctx.platform.as_ref();
    let rec = require(&ctx.store, id)?;
    let root_prod = root_prod.to_string();
    let version = version.to_string();
    let package_id = match &rec.prod_package_id {
        Some(pk) => pk.clone(),
        None => {
            let mut found = None;
            if step_open(&ctx.store, id, "package")? {
                found = p
                    .query_packaged_components(
                        None,
                        &PackageQuery {
                            component_id: Some(root_prod.clone()),
                            package_version: Some(version.clone()),
                            ..Default::default()
                        },
                    )
                    .await?
                    .into_iter()
                    .find(|pk| pk.deleted != Some(true))
                    .and_then(|pk| pk.package_id);
            }
            let pk = match found {
                Some(pk) => {
                    close_open(
                        &ctx.store,
                        id,
                        "package",
                        &json!({ "packageId": pk, "recovered": true }),
                        |r| r.prod_package_id = Some(pk.clone()),
                    )?;
                    pk
                }
                None => {
                    let step = super::begin(
                        &ctx.store,
                        id,
                        "package",
                        &json!({ "componentId": root_prod, "packageVersion": version }),
                    )?;
                    let created = p
                        .create_packaged_component(
                            None,
                            &NewPackage {
                                component_id: root_prod.clone(),
                                package_version: Some(version.clone()),
                                notes: rec
                                    .deployment_notes
                                    .clone()
                                    .or_else(|| Some(format!("promotion {id}"))),
                                branch_name: None,
                                component_version: None,
                                shareable: true,
                            },
                        )
                        .await;
                    match created {
                        Ok(pk) => {
                            let pk = pk.package_id.unwrap_or_default();
                            ctx.store.finish_step(
                                step,
                                &json!({ "packageId": pk }),
                                None,
                                |r| r.prod_package_id = Some(pk.clone()),
                            )?;
                            pk
                        }
                        Err(BoomiError::DuplicatePackageVersion { .. })
                            if same_package(ctx, &rec, &root_prod, &version)
                                .await?
                                .is_some() =>
                        {
                            // Our own earlier attempt (its answer was lost), or an identical
                            // package: it holds exactly the root version this promotion merged.
                            let pk = same_package(ctx, &rec, &root_prod, &version)
                                .await?
                                .unwrap_or_default();
                            ctx.store.finish_step(
                                step,
                                &json!({ "packageId": pk, "recovered": true }),
                                None,
                                |r| r.prod_package_id = Some(pk.clone()),
                            )?;
                            pk
                        }
                        Err(e) => {
                            if !e.is_transient() {
                                ctx.store.finish_step(
                                    step,
                                    &json!({ "error": e.code() }),
                                    None,
                                    |_| {},
                                )?;
                            }
                            return Err(match e {
                                BoomiError::DuplicatePackageVersion { .. } => StepError::fail(
                                    ErrorCode::DuplicatePackageVersion,
                                    format!("package version {version} of the root process exists already; request a new packageVersion in a new promotion ({e})"),
                                ),
                                other => other.into(),
                            });
                        }
                    }
                }
            };
            ctx.store
                .update(id, |r| r.prod_package_id = Some(pk.clone()))?;
            pk
        }
    };

    Ok(package_id)
}

/// Add the package to the pack and release the pack with every component it holds (release
/// safety, `seed-behaviors.md` §6.14), once; then poll the release until Boomi answers 200.
pub(crate) async fn release(
    ctx: &Context,
    docs: &PromotionDocs,
    pack_id: &str,
    root_prod: &str,
    version: &str,
    target: Target,
) -> Result<(), StepError> {
    let id = docs.id.as_str();
    let p = ctx.platform.as_ref();
    let root_prod = root_prod.to_string();
    let version = version.to_string();
    // One release of a pack at a time: the release lists every component the pack holds.
    let _pack = ctx.shared.pack(pack_id).await;
    if step_done(&ctx.store, id, "release")?.is_none() {
        // The guard decides on the pack before anything is added to it: a component added to a
        // pack production uses would ship with that pack's next release.
        let pack = p.get_publisher_pack(pack_id).await?;
        let mut list: Vec<ReleasePackagedComponent> = pack
            .components()
            .iter()
            .filter(|c| {
                c.component_id.as_deref() != Some(root_prod.as_str()) && c.deleted != Some(true)
            })
            .filter_map(|c| {
                let v = c
                    .current_version
                    .clone()
                    .or_else(|| c.pending_version.clone())
                    .or_else(|| c.latest_version.clone())?;
                Some(ReleasePackagedComponent {
                    component_id: c.component_id.clone(),
                    version: Some(v),
                    released_version: None,
                })
            })
            .collect();
        list.push(ReleasePackagedComponent {
            component_id: Some(root_prod.clone()),
            version: Some(version.clone()),
            released_version: None,
        });
        let rec = require(&ctx.store, id)?;
        let request = ReleaseRequest {
            record: &rec,
            docs: Some(docs),
            pack: &pack,
            components: &list,
        };
        ctx.gate.check_release(&request)?;
        p.add_pack_components(pack_id, std::slice::from_ref(&root_prod))
            .await?;
        let step = super::begin(
            &ctx.store,
            id,
            "release",
            &json!({ "packId": pack_id, "components": list.len() }),
        )?;
        let release = ctx.gate.release(&request).await?;
        let request_id = release.request_id.unwrap_or_default();
        ctx.store.finish_step(
            step,
            &json!({ "requestId": request_id }),
            None,
            |r| match target {
                Target::Test => r.test_release_id = Some(request_id.clone()),
                Target::Production => r.release_id = Some(request_id.clone()),
            },
        )?;
    }
    let rec = require(&ctx.store, id)?;
    let request_id = match target {
        Target::Test => rec.test_release_id,
        Target::Production => rec.release_id,
    };
    if let Some(request_id) = &request_id {
        wait_release(ctx, request_id, ctx.config.release).await?;
    }
    Ok(())
}

/// Deploy the package to each environment (the gap between them), once per environment;
/// per-environment results land on the record.
pub(crate) async fn deploy_environments(
    ctx: &Context,
    desired: &Verified,
    docs: &PromotionDocs,
    package_id: &str,
    envs: &[String],
) -> Result<(), StepError> {
    let id = docs.id.as_str();
    let p = ctx.platform.as_ref();
    let package_id = package_id.to_string();
    for (i, env) in envs.iter().enumerate() {
        let rec = require(&ctx.store, id)?;
        if rec
            .deployments
            .iter()
            .any(|d| &d.environment_id == env && d.status == DeploymentStatus::Deployed)
        {
            continue;
        }
        if i > 0 {
            ctx.clock.sleep(ctx.config.deploy_gap).await;
        }
        let step_name = format!("deploy:{env}");
        let mut result = None;
        if step_open(&ctx.store, id, &step_name)? {
            let found = p
                .query_deployed_packages(
                    None,
                    &DeploymentQuery {
                        environment_id: Some(env.clone()),
                        package_id: Some(package_id.clone()),
                        ..Default::default()
                    },
                )
                .await?;
            if let Some(d) = found.into_iter().next() {
                let r = DeploymentResult {
                    environment_id: env.clone(),
                    deployment_id: d.deployment_id.clone(),
                    status: DeploymentStatus::Deployed,
                    error: None,
                };
                close_open(
                    &ctx.store,
                    id,
                    &step_name,
                    &json!({ "deploymentId": d.deployment_id, "recovered": true }),
                    |rec| push_deployment(rec, r.clone()),
                )?;
                result = Some(r);
            }
        }
        let result = match result {
            Some(r) => r,
            None => {
                let request = DeployRequest {
                    record: &rec,
                    docs: Some(docs),
                    settings: desired.settings.as_ref(),
                    environment_id: env,
                    package_id: &package_id,
                    notes: rec.deployment_notes.as_deref(),
                };
                ctx.gate.check_deploy(&request).await?;
                let step = super::begin(
                    &ctx.store,
                    id,
                    &step_name,
                    &json!({ "environmentId": env, "packageId": package_id }),
                )?;
                match ctx.gate.deploy(&request).await {
                    Ok(d) => {
                        let r = DeploymentResult {
                            environment_id: env.clone(),
                            deployment_id: d.deployment_id.clone(),
                            status: DeploymentStatus::Deployed,
                            error: None,
                        };
                        ctx.store.finish_step(
                            step,
                            &json!({ "deploymentId": d.deployment_id }),
                            None,
                            |rec| push_deployment(rec, r.clone()),
                        )?;
                        r
                    }
                    Err(GateError::Boomi(e)) if !e.is_transient() => {
                        let r = DeploymentResult {
                            environment_id: env.clone(),
                            deployment_id: None,
                            status: DeploymentStatus::Failed,
                            error: Some(e.to_string()),
                        };
                        ctx.store.finish_step(
                            step,
                            &json!({ "error": e.code() }),
                            None,
                            |rec| push_deployment(rec, r.clone()),
                        )?;
                        r
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        };
        let _ = result;
    }

    Ok(())
}

/// The package of `root_prod` at `version` if it holds the root's version this promotion
/// merged (recorded in `tested_versions`).
async fn same_package(
    ctx: &Context,
    rec: &PromotionRecord,
    root_prod: &str,
    version: &str,
) -> Result<Option<String>, StepError> {
    let Some(merged) = rec
        .tested_versions
        .iter()
        .find(|t| t.component_id == root_prod)
    else {
        return Ok(None);
    };
    let found = ctx
        .platform
        .query_packaged_components(
            None,
            &PackageQuery {
                component_id: Some(root_prod.to_string()),
                package_version: Some(version.to_string()),
                ..Default::default()
            },
        )
        .await?;
    Ok(found
        .into_iter()
        .find(|p| p.deleted != Some(true) && p.component_version == Some(merged.version))
        .and_then(|p| p.package_id))
}

fn push_deployment(rec: &mut PromotionRecord, r: DeploymentResult) {
    rec.deployments
        .retain(|d| d.environment_id != r.environment_id);
    rec.deployments.push(r);
}

/// Poll a release until Boomi answers 200; an `ERROR` status fails the deployment.
async fn wait_release(ctx: &Context, request_id: &str, polling: Polling) -> Result<(), StepError> {
    for n in 0..polling.max_polls {
        let progress = ctx.platform.release_status(request_id).await?;
        if progress.finished {
            return match progress.status.release_status {
                Some(ReleaseStatus::Error) => Err(StepError::fail(
                    ErrorCode::DeploymentFailed,
                    format!("release {request_id} ended in ERROR"),
                )),
                _ => Ok(()),
            };
        }
        if n + 1 < polling.max_polls {
            ctx.clock.sleep(polling.interval).await;
        }
    }
    Err(StepError::Boomi(BoomiError::Transport {
        method: "GET".into(),
        path: format!("ReleaseIntegrationPackStatus/{request_id}"),
        attempts: polling.max_polls,
        message: "the release is still running".into(),
    }))
}

/// The production id of the promotion's root process, and the package version it ships (for
/// production from test: the TEST promotion's root).
pub(crate) fn root_and_version(
    ctx: &Context,
    docs: &PromotionDocs,
    rec: &PromotionRecord,
) -> Result<(String, String), StepError> {
    let req = &docs.request.doc;
    let version = rec
        .package_version
        .clone()
        .unwrap_or_else(|| req.package_version.clone());
    let root = match (rec.mode(), &rec.test_promotion_id) {
        (Mode::ProductionFromTest, Some(test_id)) => {
            root_prod_id(&require(&ctx.store, test_id)?, req)?
        }
        _ => root_prod_id(rec, req)?,
    };
    Ok((root, version))
}

/// Effect::VerifyTested (production from test): main must still hold the versions the TEST
/// deployment merged ("ship what was tested"); checked once, journaled.
pub async fn verify_tested(ctx: &Context, rec: &PromotionRecord) -> Result<(), StepError> {
    let id = rec.promotion_id.as_str();
    let test_id = rec.test_promotion_id.clone().unwrap_or_default();
    let test = require(&ctx.store, &test_id)?;
    let mut changed = Vec::new();
    for tv in &test.tested_versions {
        let now = ctx
            .platform
            .get_component(None, &tv.component_id, None)
            .await?
            .version()
            .unwrap_or_default();
        if now != tv.version {
            changed.push(format!("{} (tested v{}, main v{now})", tv.name, tv.version));
        }
    }
    if !changed.is_empty() {
        return Err(StepError::fail(
            ErrorCode::MainChangedSinceTest,
            format!(
                "main changed since {test_id} was tested: {}; test again",
                changed.join(", ")
            ),
        ));
    }
    let step = super::begin(
        &ctx.store,
        id,
        "verify_tested",
        &json!({ "testPromotionId": test_id }),
    )?;
    ctx.store
        .finish_step(step, &json!({ "ok": true }), None, |_| {})?;
    Ok(())
}

/// Effect::Package: the package to deploy. Production from test ships the tested package when
/// the version is the same; otherwise (and for TEST and hotfixes) a new package of the root
/// from main.
pub async fn package_step(
    ctx: &Context,
    docs: &PromotionDocs,
    rec: &PromotionRecord,
) -> Result<(), StepError> {
    let id = rec.promotion_id.as_str();
    let (root, version) = root_and_version(ctx, docs, rec)?;
    if let (Mode::ProductionFromTest, Some(test_id)) = (rec.mode(), &rec.test_promotion_id) {
        let test = require(&ctx.store, test_id)?;
        if test.package_version.as_deref() == Some(version.as_str()) {
            if let Some(pk) = test.prod_package_id.clone() {
                ctx.store
                    .update(id, |r| r.prod_package_id = Some(pk.clone()))?;
                return Ok(());
            }
        }
    } else if rec.mode() == Mode::Hotfix && !step_open(&ctx.store, id, "package")? {
        // A hotfix never reuses a package version that exists already.
        let found = ctx
            .platform
            .query_packaged_components(
                None,
                &PackageQuery {
                    component_id: Some(root.clone()),
                    package_version: Some(version.clone()),
                    ..Default::default()
                },
            )
            .await?;
        if !found.is_empty() {
            return Err(StepError::fail(
                ErrorCode::DuplicatePackageVersion,
                format!("package version {version} of the root process exists already"),
            ));
        }
    }
    package(ctx, id, &root, &version).await?;
    Ok(())
}

/// Effect::Release: add the package to the pack and release the pack (through the guard),
/// then wait for Boomi to finish it.
pub async fn release_step(
    ctx: &Context,
    docs: &PromotionDocs,
    rec: &PromotionRecord,
) -> Result<(), StepError> {
    let (root, version) = root_and_version(ctx, docs, rec)?;
    let pack_id = rec.integration_pack_id.clone().unwrap_or_default();
    release(ctx, docs, &pack_id, &root, &version, rec.target_environment).await
}

/// Observation::ReleaseStatus: wait for a release made earlier to finish.
pub async fn await_release(ctx: &Context, rec: &PromotionRecord) -> Result<(), StepError> {
    let request_id = match rec.target_environment {
        Target::Test => rec.test_release_id.clone(),
        Target::Production => rec.release_id.clone(),
    };
    if let Some(request_id) = &request_id {
        wait_release(ctx, request_id, ctx.config.release).await?;
    }
    Ok(())
}

/// Whether the release step of the promotion is done.
pub fn released(ctx: &Context, id: &str) -> Result<bool, StepError> {
    Ok(step_done(&ctx.store, id, "release")?.is_some())
}

/// The environments of the promotion's deployment: the ones named (the admin review's, else the
/// request's), or every one of the target's class in the settings.
pub fn environments_of(
    desired: &Verified,
    docs: &PromotionDocs,
    rec: &PromotionRecord,
) -> Vec<String> {
    let req = &docs.request.doc;
    match rec.mode() {
        Mode::Test => target_environments(desired, req.environments.as_ref(), Classification::Test),
        Mode::ProductionFromTest | Mode::Hotfix => {
            let named = docs
                .admin_review
                .as_ref()
                .and_then(|a| a.doc.environments.clone())
                .or_else(|| req.environments.clone());
            target_environments(desired, named.as_ref(), Classification::Prod)
        }
    }
}

/// Effect::Deploy: one environment, through the guard (a pause after the previous one).
pub async fn deploy_step(
    ctx: &Context,
    desired: &Verified,
    docs: &PromotionDocs,
    rec: &PromotionRecord,
    env: &str,
) -> Result<(), StepError> {
    if !rec.deployments.is_empty() {
        ctx.clock.sleep(ctx.config.deploy_gap).await;
    }
    let package_id = rec.prod_package_id.clone().unwrap_or_default();
    deploy_environments(ctx, desired, docs, &package_id, &[env.to_string()]).await
}

/// Effect::RefreshExtensions: the extension access cache of the deployed environments (best
/// effort: a failure is logged, never the deployment's).
pub async fn refresh_step(
    ctx: &Context,
    desired: &Verified,
    docs: &PromotionDocs,
    rec: &PromotionRecord,
) -> Result<(), StepError> {
    let (root, _) = root_and_version(ctx, docs, rec)?;
    let deployed: Vec<String> = rec
        .deployments
        .iter()
        .filter(|d| d.status == DeploymentStatus::Deployed)
        .map(|d| d.environment_id.clone())
        .collect();
    super::extensions::refresh(ctx, desired, rec, &root, &deployed).await;
    Ok(())
}

/// Effect::DeleteTestBranch (production from test): the TEST promotion's kept branch goes, and
/// the TEST record names who took it to production.
pub async fn delete_test_branch(ctx: &Context, rec: &PromotionRecord) -> Result<(), StepError> {
    let Some(test_id) = rec.test_promotion_id.clone() else {
        return Ok(());
    };
    let test = require(&ctx.store, &test_id)?;
    if let Some(b) = test.branch_id.clone() {
        super::promote::delete_branch(ctx, &test_id, &b).await?;
    }
    let by = rec.initiated_by.clone();
    ctx.store
        .update(&test_id, |r| r.promoted_from_test_by = Some(by))?;
    Ok(())
}
