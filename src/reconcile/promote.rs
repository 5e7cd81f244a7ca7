//! Action C, the promotion engine (`seed-behaviors.md` §4 C, §6.4–§6.7): queue behind the dev
//! account's running promotion, re-check tier and account access, resolve the dependency tree
//! and refuse missing connection mappings before any branch exists, respect the branch soft
//! limit, create `promo-<id>` from main and wait for it, then promote every component in
//! dependency order (dev XML → strip → rewrite → create or update on the branch). Any component
//! failure fails the whole promotion (branch deleted, no mapping written, dependents SKIPPED);
//! success writes every mapping and COMPLETED in one transaction.

use super::{cause, close_open, require, step_open, Context, Outcome, StepError};
use crate::boomi::wire::Component;
use crate::boomi::{wait_branch_ready, BoomiError, MetadataQuery, Platform};
use crate::deps::{
    self, ComponentSource, ExistingMapping, IdCache, MappingSource as DepSource, ResolveRequest,
};
use crate::model::{ErrorCode, PromotionStatus, Tier};
use crate::policy::{PromotionDocs, Verified};
use crate::store::{
    ComponentAction, ComponentMapping, ComponentResult, ComponentStatus, MappingSource,
    PromotionRecord, Transition,
};
use async_trait::async_trait;
use serde_json::json;
use std::collections::{HashMap, HashSet};

/// The branch name of a promotion.
pub fn branch_name(id: &str) -> String {
    format!("promo-{id}")
}

/// Reads dev components through the platform for [`deps::resolve`].
pub struct PlatformReader<'a>(pub &'a dyn Platform);

#[async_trait]
impl ComponentSource for PlatformReader<'_> {
    async fn component_xml(
        &self,
        dev_account: &str,
        component_id: &str,
    ) -> Result<String, deps::SourceError> {
        self.0
            .get_component(Some(dev_account), component_id, None)
            .await
            .map(|c| c.xml().to_string())
            .map_err(to_source_error(component_id))
    }

    async fn child_references(
        &self,
        dev_account: &str,
        parent_component_id: &str,
        parent_version: u32,
    ) -> Result<Vec<deps::ApiReference>, deps::SourceError> {
        let refs = self
            .0
            .component_children(
                Some(dev_account),
                parent_component_id,
                parent_version as i64,
            )
            .await
            .map_err(to_source_error(parent_component_id))?;
        Ok(refs
            .into_iter()
            .filter_map(|r| {
                Some(deps::ApiReference {
                    parent_component_id: r.parent_component_id?,
                    component_id: r.component_id?,
                    dependency_type: match r.reference_type {
                        Some(crate::boomi::wire::ReferenceType::Independent) => {
                            deps::DependencyType::Independent
                        }
                        _ => deps::DependencyType::Dependent,
                    },
                })
            })
            .collect())
    }
}

fn to_source_error(id: &str) -> impl Fn(BoomiError) -> deps::SourceError + '_ {
    move |e| {
        if e.is_not_found() {
            deps::SourceError::NotFound { id: id.to_string() }
        } else if matches!(e.code(), ErrorCode::AuthFailed | ErrorCode::Unauthorized)
            || e.is_transient()
        {
            deps::SourceError::Fatal {
                code: e.code(),
                message: e.to_string(),
            }
        } else {
            deps::SourceError::Failed {
                code: e.code(),
                message: e.to_string(),
            }
        }
    }
}

/// Fail the promotion: delete its branch (if any; "already gone" is fine), record the error,
/// transition to FAILED.
pub(crate) async fn fail(
    ctx: &Context,
    rec: &PromotionRecord,
    code: ErrorCode,
    message: String,
    results: Option<Vec<ComponentResult>>,
) -> Result<Outcome, StepError> {
    let id = rec.promotion_id.as_str();
    let rec = require(&ctx.store, id)?;
    if let Some(b) = &rec.branch_id {
        delete_branch(ctx, id, b).await?;
    }
    let counts = results.as_deref().map(counts);
    ctx.store.apply(
        id,
        Some(&Transition::to(
            PromotionStatus::Failed,
            cause(format!("{code}: {message}")).at(ctx.clock.now()),
        )),
        |r| {
            r.error_code = Some(code);
            r.error_message = Some(super::truncate(&message, 5000));
            r.waiting_reason = None;
            r.branch_id = None;
            if let Some(res) = results {
                r.result_detail = res;
            }
            if let Some((c, u, f)) = counts {
                r.components_created = c;
                r.components_updated = u;
                r.components_failed = f;
            }
        },
    )?;
    tracing::info!(promotion = %id, %code, "promotion failed");
    Ok(Outcome::Settled)
}

/// Delete a promotion branch, journaled; "not found" counts as deleted. Clears `branchId`.
pub(crate) async fn delete_branch(
    ctx: &Context,
    id: &str,
    branch_id: &str,
) -> Result<(), StepError> {
    let step = super::begin(
        &ctx.store,
        id,
        "delete_branch",
        &json!({ "branchId": branch_id }),
    )?;
    let d = ctx.platform.delete_branch(None, branch_id).await?;
    ctx.store
        .finish_step(step, &json!({ "deleted": format!("{d:?}") }), None, |r| {
            r.branch_id = None;
        })?;
    Ok(())
}

fn counts(results: &[ComponentResult]) -> (i64, i64, i64) {
    let n = |a: ComponentAction| results.iter().filter(|r| r.action == a).count() as i64;
    (
        n(ComponentAction::Created),
        n(ComponentAction::Updated),
        n(ComponentAction::Failed),
    )
}

fn set_waiting(
    ctx: &Context,
    id: &str,
    code: Option<ErrorCode>,
    reason: String,
) -> Result<Outcome, StepError> {
    let rec = require(&ctx.store, id)?;
    if rec.waiting_reason.as_deref() != Some(reason.as_str()) || rec.error_code != code {
        ctx.store.update(id, |r| {
            r.waiting_reason = Some(reason);
            r.error_code = code;
        })?;
    }
    Ok(Outcome::Waiting)
}

/// Run action C for a QUEUED or IN_PROGRESS promotion.
pub async fn execute(
    ctx: &Context,
    desired: &Verified,
    docs: &PromotionDocs,
    rec: PromotionRecord,
    commit: &str,
) -> Result<Outcome, StepError> {
    let req = &docs.request.doc;
    let id = rec.promotion_id.clone();
    let dev = req.dev_account_id.clone();
    let Some(access) = &desired.access else {
        return set_waiting(ctx, &id, None, "no access policy is in force".into());
    };

    if rec.status == PromotionStatus::Queued {
        if let Some(other) = ctx.store.in_progress_for_account(&dev)? {
            if other.promotion_id != id {
                return set_waiting(
                    ctx,
                    &id,
                    None,
                    format!(
                        "queued behind {} ({} guard: one promotion per dev account at a time)",
                        other.promotion_id,
                        ErrorCode::PromotionInProgress
                    ),
                );
            }
        }
        // Tier and account access are checked again now, against the policy in force.
        let tier = access.tier(&req.initiated_by);
        if !tier.is_some_and(Tier::can_contribute) {
            return fail(
                ctx,
                &rec,
                ErrorCode::InsufficientTier,
                format!("{} may no longer initiate promotions", req.initiated_by),
                None,
            )
            .await;
        }
        if !access.can_access(&req.initiated_by, &dev) {
            return fail(
                ctx,
                &rec,
                ErrorCode::UnauthorizedAccountAccess,
                format!(
                    "{} no longer has access to dev account {dev}",
                    req.initiated_by
                ),
                None,
            )
            .await;
        }
    }

    // The root: the request's root component, or the component of its dev package.
    let root = match (&req.root_component_id, &req.dev_package_id, &req.components) {
        (Some(r), _, _) => r.clone(),
        (None, Some(pkg), _) => match ctx.platform.get_packaged_component(Some(&dev), pkg).await {
            Ok(p) => match p.component_id {
                Some(c) => c,
                None => {
                    return fail(
                        ctx,
                        &rec,
                        ErrorCode::ComponentNotFound,
                        format!("dev package {pkg} names no component"),
                        None,
                    )
                    .await
                }
            },
            Err(e) if e.is_not_found() => {
                return fail(
                    ctx,
                    &rec,
                    ErrorCode::ComponentNotFound,
                    format!("dev package {pkg} not found in {dev}"),
                    None,
                )
                .await
            }
            Err(e) => return Err(e.into()),
        },
        (None, None, Some(pins)) if !pins.is_empty() => pins[0].component_id.clone(),
        _ => {
            return fail(
                ctx,
                &rec,
                ErrorCode::InvalidRequest,
                "the request names no root component".into(),
                None,
            )
            .await
        }
    };

    // Resolve the tree (reads only). Missing connection mappings stop it before any branch.
    let stored = ctx.store.mappings_of_account(&dev)?;
    let existing: Vec<ExistingMapping> = stored
        .values()
        .map(|m| ExistingMapping {
            dev_component_id: m.dev_component_id.clone(),
            prod_component_id: m.prod_component_id.clone(),
            component_type: m.component_type.clone(),
            source: match m.source {
                MappingSource::Admin => DepSource::Admin,
                MappingSource::Engine => DepSource::Engine,
            },
        })
        .collect();
    let reader = PlatformReader(ctx.platform.as_ref());
    let resolution = match deps::resolve(
        &reader,
        &ResolveRequest::new(dev.clone(), root.clone(), existing.clone()),
    )
    .await
    {
        Ok(r) => r,
        Err(deps::DepsError::Source(e)) => {
            // Authentication and access failures wait for an operator; anything else is retried.
            return Err(if e.code() == ErrorCode::AuthFailed {
                StepError::fail(e.code(), e.to_string())
            } else {
                transient(e)
            });
        }
        Err(e) => return fail(ctx, &rec, e.code(), e.to_string(), None).await,
    };
    if resolution.has_missing_connections() {
        let list = resolution
            .missing_connections
            .iter()
            .map(|m| format!("{} ({})", m.name, m.dev_component_id))
            .collect::<Vec<_>>()
            .join(", ");
        return fail(
            ctx,
            &rec,
            ErrorCode::MissingConnectionMappings,
            format!(
                "{} connection mapping(s) missing in dev account {dev}: {list}. An admin must add them to mappings/{dev}.yaml",
                resolution.missing_connections.len()
            ),
            None,
        )
        .await;
    }
    if let Some(bad) = resolution
        .components
        .iter()
        .find(|c| matches!(c.status, deps::MappingStatus::Error { .. }))
    {
        if let deps::MappingStatus::Error { code, message } = &bad.status {
            return fail(
                ctx,
                &rec,
                *code,
                format!(
                    "component {} ({}): {message}",
                    bad.name, bad.dev_component_id
                ),
                None,
            )
            .await;
        }
    }

    let name = branch_name(&id);
    // Lanes run at the same time: counting the branches and creating this one happen under one
    // lock, so two promotions never both take the last slot.
    let mut slot = None;
    if rec.status == PromotionStatus::Queued {
        slot = Some(ctx.shared.branch_slot().await);
        // The branch soft limit, then the account lock, atomically with IN_PROGRESS.
        let branches = ctx.platform.query_branches(None, None).await?;
        let count = branches
            .iter()
            .filter(|b| b.name.as_deref() != Some("main"))
            .count();
        let limit = desired
            .settings
            .as_ref()
            .map(|s| s.branch_soft_limit)
            .unwrap_or(15) as usize;
        if count >= limit {
            return set_waiting(
                ctx,
                &id,
                Some(ErrorCode::BranchLimitReached),
                format!(
                    "{}: {count} branches exist (soft limit {limit}); waiting for one to be freed",
                    ErrorCode::BranchLimitReached
                ),
            );
        }
        let total = resolution.order.len() as i64;
        let started = ctx.store.write(|tx| {
            if let Some(other) = tx.in_progress_for_account(&dev)? {
                if other.promotion_id != id {
                    return Ok(false);
                }
            }
            tx.apply(
                &id,
                Some(&Transition::from_to(
                    PromotionStatus::Queued,
                    PromotionStatus::InProgress,
                    cause("promotion started")
                        .document(docs.request.path.clone())
                        .commit(commit)
                        .at(ctx.clock.now()),
                )),
                |r| {
                    r.components_total = total;
                    r.waiting_reason = None;
                    r.error_code = None;
                    r.error_message = None;
                    r.branch_name = Some(name.clone());
                },
            )?;
            Ok(true)
        })?;
        if !started {
            return Ok(Outcome::Waiting);
        }
    }
    let rec = require(&ctx.store, &id)?;

    // The branch: known, found after a crash, or created now.
    let branch_id = match &rec.branch_id {
        Some(b) => b.clone(),
        None => {
            let mut found = None;
            if step_open(&ctx.store, &id, "create_branch")? {
                found = ctx
                    .platform
                    .query_branches(None, Some(&name))
                    .await?
                    .into_iter()
                    .find(|b| b.name.as_deref() == Some(name.as_str()) && b.deleted != Some(true))
                    .and_then(|b| b.id);
                if let Some(b) = &found {
                    close_open(
                        &ctx.store,
                        &id,
                        "create_branch",
                        &json!({ "branchId": b, "recovered": true }),
                        |r| r.branch_id = Some(b.clone()),
                    )?;
                }
            }
            match found {
                Some(b) => b,
                None => {
                    let main = ctx.platform.main_branch_id(None).await?;
                    let step = super::begin(
                        &ctx.store,
                        &id,
                        "create_branch",
                        &json!({ "name": name, "parentId": main }),
                    )?;
                    let b = match ctx
                        .platform
                        .create_branch(
                            None,
                            &name,
                            &main,
                            Some(&format!("Promotion branch for {id}")),
                        )
                        .await
                    {
                        Ok(b) => b,
                        Err(BoomiError::BranchLimitReached { message }) => {
                            ctx.store.finish_step(
                                step,
                                &json!({ "error": "BRANCH_LIMIT_REACHED" }),
                                None,
                                |_| {},
                            )?;
                            ctx.store.apply(
                                &id,
                                Some(&Transition::from_to(
                                    PromotionStatus::InProgress,
                                    PromotionStatus::Queued,
                                    cause("branch limit reached"),
                                )),
                                |r| {
                                    r.waiting_reason = Some(format!(
                                        "{}: {message}",
                                        ErrorCode::BranchLimitReached
                                    ));
                                    r.error_code = Some(ErrorCode::BranchLimitReached);
                                },
                            )?;
                            return Ok(Outcome::Waiting);
                        }
                        Err(e) => return Err(e.into()),
                    };
                    let bid = b.id.clone().unwrap_or_default();
                    ctx.store
                        .finish_step(step, &json!({ "branchId": bid }), None, |r| {
                            r.branch_id = Some(bid.clone())
                        })?;
                    bid
                }
            }
        }
    };
    drop(slot);
    match wait_branch_ready(
        ctx.platform.as_ref(),
        None,
        &branch_id,
        ctx.config.branch_ready,
    )
    .await
    {
        Ok(_) => {}
        Err(BoomiError::BranchNotReady { polls, .. }) => {
            return fail(
                ctx,
                &rec,
                ErrorCode::BranchCreationTimeout,
                format!("branch {name} was not ready after {polls} polls; it was deleted"),
                None,
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    }

    // Promote every component in dependency order.
    let mut cache = IdCache::from_mappings(&existing);
    let mut results: Vec<ComponentResult> = rec.result_detail.clone();
    let mut bad: HashSet<String> = HashSet::new();
    let done: HashMap<String, ComponentResult> = results
        .iter()
        .filter(|r| r.status == ComponentStatus::Success)
        .map(|r| (r.dev_component_id.clone(), r.clone()))
        .collect();
    for dev_id in &resolution.order {
        if ctx.shared.stopping() && bad.is_empty() {
            // A graceful shutdown between two components: every finished one is journaled
            // with its result, and the next start carries on from here.
            return Ok(Outcome::Waiting);
        }
        let Some(comp) = resolution.component(dev_id) else {
            continue;
        };
        if let Some(r) = done.get(dev_id) {
            if let Some(p) = &r.prod_component_id {
                cache.insert(dev_id.clone(), p.clone());
            }
            continue;
        }
        let base = ComponentResult {
            dev_component_id: dev_id.clone(),
            prod_component_id: None,
            name: comp.name.clone(),
            component_type: comp.component_type.clone(),
            action: ComponentAction::Skipped,
            status: ComponentStatus::Skipped,
            version: None,
            config_stripped: false,
            error_message: None,
        };
        if let Some(dep) = comp.references.iter().find(|r| bad.contains(&r.id)) {
            bad.insert(dev_id.clone());
            push_result(
                &mut results,
                ComponentResult {
                    error_message: Some(format!("skipped: it references {} which failed", dep.id)),
                    ..base
                },
            );
            continue;
        }
        match promote_one(ctx, &id, comp, &cache, &branch_id).await {
            Ok(r) => {
                if let Some(p) = &r.prod_component_id {
                    cache.insert(dev_id.clone(), p.clone());
                }
                // promote_one recorded it with its journal step.
                push_result(&mut results, r);
            }
            Err(StepError::Fail { code, message }) => {
                bad.insert(dev_id.clone());
                push_result(
                    &mut results,
                    ComponentResult {
                        action: ComponentAction::Failed,
                        status: ComponentStatus::Failed,
                        error_message: Some(format!("{code}: {message}")),
                        ..base
                    },
                );
            }
            Err(e) => return Err(e),
        }
    }

    if !bad.is_empty() {
        let failed = results
            .iter()
            .filter(|r| r.action == ComponentAction::Failed)
            .count();
        let skipped = results
            .iter()
            .filter(|r| r.action == ComponentAction::Skipped)
            .count();
        return fail(
            ctx,
            &rec,
            ErrorCode::PromotionFailed,
            format!("{failed} component(s) failed and {skipped} were skipped; the branch has been deleted. No component mappings were written."),
            Some(results),
        )
        .await;
    }

    // Components promoted before a component they reference existed: rewrite them again.
    for f in &resolution.forward_references {
        if let Some(comp) = resolution.component(&f.component_id) {
            if let Some(prod) = cache.get(&f.component_id).map(str::to_string) {
                let x = deps::build_production_xml(
                    comp.xml.as_deref().unwrap_or_default(),
                    Some(&comp.component_type),
                    &cache,
                    Some(&prod),
                    &branch_id,
                )
                .map_err(|e| StepError::fail(e.code(), e.to_string()))?;
                match ctx
                    .platform
                    .update_component(None, &prod, &Component::from_xml(x.xml), Some(&branch_id))
                    .await
                {
                    Ok(_) => {}
                    Err(e) if is_no_change(&e) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }

    // Success: every mapping and COMPLETED, in one transaction.
    let (c, u, f) = counts(&results);
    let now = ctx.clock.now();
    let primary = rec.prod_account_id.clone();
    let mappings: Vec<ComponentMapping> = results
        .iter()
        .filter(|r| r.status == ComponentStatus::Success)
        .filter_map(|r| {
            Some(ComponentMapping {
                dev_account_id: dev.clone(),
                dev_component_id: r.dev_component_id.clone(),
                prod_component_id: r.prod_component_id.clone()?,
                component_name: r.name.clone(),
                component_type: r.component_type.clone(),
                prod_account_id: primary.clone(),
                prod_latest_version: r.version,
                last_promoted_at: Some(now),
                last_promoted_by: Some(rec.initiated_by.clone()),
                last_promotion_id: Some(id.clone()),
                source: MappingSource::Engine,
            })
        })
        .collect();
    ctx.store.write(|tx| {
        for m in &mappings {
            tx.upsert_mapping(m)?;
        }
        tx.apply(
            &id,
            Some(&Transition::from_to(
                PromotionStatus::InProgress,
                PromotionStatus::Completed,
                cause(format!("{c} created, {u} updated")).at(now),
            )),
            |r| {
                r.result_detail = results.clone();
                r.components_created = c;
                r.components_updated = u;
                r.components_failed = f;
                r.error_code = None;
                r.error_message = None;
                r.waiting_reason = None;
            },
        )?;
        Ok(())
    })?;
    tracing::info!(promotion = %id, created = c, updated = u, "promotion completed");
    Ok(Outcome::Settled)
}

fn transient(e: deps::SourceError) -> StepError {
    // A fatal read error that is not an authentication failure: try again later.
    StepError::Boomi(BoomiError::Transport {
        method: "GET".into(),
        path: "Component".into(),
        attempts: 0,
        message: e.to_string(),
    })
}

/// Finish a component's journal step and record its result on the promotion, atomically.
fn finish_with(
    ctx: &Context,
    step: crate::store::StepId,
    result: &serde_json::Value,
    res: &ComponentResult,
) -> Result<(), StepError> {
    ctx.store.finish_step(step, result, None, |r| {
        push_result(&mut r.result_detail, res.clone())
    })?;
    Ok(())
}

fn push_result(results: &mut Vec<ComponentResult>, r: ComponentResult) {
    results.retain(|x| x.dev_component_id != r.dev_component_id);
    results.push(r);
}

/// Boomi refused an update because nothing changed (the write was applied before a crash, or
/// the component is identical): the component is already as wanted.
pub(crate) fn is_no_change(e: &BoomiError) -> bool {
    matches!(e, BoomiError::Http { status: 400, message, .. } if message.to_ascii_lowercase().contains("no change"))
}

/// Promote one component onto the branch. `Err(Fail)` fails this component; other errors
/// abort the pass (retried later; every write is idempotent or looked up first).
async fn promote_one(
    ctx: &Context,
    id: &str,
    comp: &deps::ResolvedComponent,
    cache: &IdCache,
    branch_id: &str,
) -> Result<ComponentResult, StepError> {
    let dev_id = &comp.dev_component_id;
    let xml = comp.xml.as_deref().ok_or_else(|| {
        StepError::fail(
            ErrorCode::ComponentNotFound,
            "the component XML could not be read",
        )
    })?;
    let mapped = cache.get(dev_id).map(str::to_string);
    let build = |prod: Option<&str>| {
        deps::build_production_xml(xml, Some(&comp.component_type), cache, prod, branch_id)
            .map_err(|e| StepError::fail(e.code(), e.to_string()))
    };
    let ok = |action, prod: String, version: Option<i64>, stripped: bool| ComponentResult {
        dev_component_id: dev_id.clone(),
        prod_component_id: Some(prod),
        name: comp.name.clone(),
        component_type: comp.component_type.clone(),
        action,
        status: ComponentStatus::Success,
        version,
        config_stripped: stripped,
        error_message: None,
    };
    let permanent = |e: BoomiError| -> StepError {
        if e.is_transient() || e.code() == ErrorCode::AuthFailed {
            StepError::Boomi(e)
        } else {
            StepError::fail(e.code(), e.to_string())
        }
    };

    if let Some(prod) = &mapped {
        let x = build(Some(prod))?;
        let step_name = format!("update:{dev_id}");
        let step = super::begin(
            &ctx.store,
            id,
            &step_name,
            &json!({ "devComponentId": dev_id, "prodComponentId": prod, "branchId": branch_id }),
        )?;
        match ctx
            .platform
            .update_component(
                None,
                prod,
                &Component::from_xml(x.xml.clone()),
                Some(branch_id),
            )
            .await
        {
            Ok(c) => {
                let res = ok(
                    ComponentAction::Updated,
                    prod.clone(),
                    c.version(),
                    x.config_stripped,
                );
                finish_with(ctx, step, &json!({ "version": c.version() }), &res)?;
                return Ok(res);
            }
            Err(e) if is_no_change(&e) => {
                let v = ctx
                    .platform
                    .get_component(None, prod, Some(branch_id))
                    .await
                    .ok()
                    .and_then(|c| c.version());
                let res = ok(ComponentAction::Updated, prod.clone(), v, x.config_stripped);
                finish_with(ctx, step, &json!({ "version": v, "unchanged": true }), &res)?;
                return Ok(res);
            }
            Err(e) if e.is_not_found() => {
                // The mapped production component never reached main (a rejected promotion):
                // create it instead.
                ctx.store.finish_step(
                    step,
                    &json!({ "notFound": true, "fallback": "create" }),
                    None,
                    |_| {},
                )?;
            }
            Err(e) => {
                ctx.store
                    .finish_step(step, &json!({ "error": e.code() }), None, |_| {})?;
                return Err(permanent(e));
            }
        }
    }

    // Create. After a crash between intent and result, look for it on the branch first.
    let step_name = format!("create:{dev_id}");
    if step_open(&ctx.store, id, &step_name)? {
        let found = ctx
            .platform
            .query_component_metadata(
                None,
                &MetadataQuery {
                    name: Some(comp.name.clone()),
                    component_type: Some(comp.component_type.clone()),
                    branch_id: Some(branch_id.to_string()),
                    ..Default::default()
                },
            )
            .await?;
        // Ours was created on this branch by this run: not on main (a branch sees main's
        // components too, and one may carry the same name), and not already mapped.
        let mut mine = None;
        for m in found {
            let Some(c) = m.component_id.as_deref() else {
                continue;
            };
            if cache.as_map().values().any(|p| p == c) {
                continue;
            }
            match ctx.platform.get_component(None, c, None).await {
                Err(e) if e.is_not_found() => {
                    mine = Some(m);
                    break;
                }
                Err(e) => return Err(e.into()),
                Ok(_) => {}
            }
        }
        if let Some(m) = mine {
            let prod = m.component_id.clone().unwrap_or_default();
            let stripped = build(None)?.config_stripped;
            let res = ok(ComponentAction::Created, prod.clone(), m.version, stripped);
            close_open(
                &ctx.store,
                id,
                &step_name,
                &json!({ "prodComponentId": prod, "recovered": true }),
                |r| push_result(&mut r.result_detail, res.clone()),
            )?;
            return Ok(res);
        }
    }
    let x = build(None)?;
    let step = super::begin(
        &ctx.store,
        id,
        &step_name,
        &json!({ "devComponentId": dev_id, "name": comp.name, "branchId": branch_id }),
    )?;
    match ctx
        .platform
        .create_component(None, &Component::from_xml(x.xml), Some(branch_id))
        .await
    {
        Ok(c) => {
            let prod = c.component_id().ok_or_else(|| {
                StepError::fail(
                    ErrorCode::ApiError,
                    "Boomi created the component but returned no componentId",
                )
            })?;
            let res = ok(
                ComponentAction::Created,
                prod.clone(),
                c.version(),
                x.config_stripped,
            );
            finish_with(
                ctx,
                step,
                &json!({ "prodComponentId": prod, "version": c.version() }),
                &res,
            )?;
            Ok(res)
        }
        Err(e) => {
            if !e.is_transient() {
                ctx.store
                    .finish_step(step, &json!({ "error": e.code() }), None, |_| {})?;
            }
            Err(permanent(e))
        }
    }
}
