//! The steps of action C, the promotion engine (`seed-behaviors.md` §4 C, §6.4–§6.7), as `plan`
//! orders them: check the initiator against the policy in force, resolve the dependency tree
//! (missing connection mappings refuse the promotion before any branch exists), count the
//! branches (the soft limit counts `main` too), start, create `promo-<id>` from main and wait for
//! it, promote one component at a time in dependency order (dev XML → strip → rewrite → create or
//! update on the branch; a failure skips its dependents), rewrite forward references, COMPLETED.
//! The engine mappings are written when the branch is merged (`deploy::merge`).

use super::{cause, close_open, journaled, plan, step_open, Context, StepError};
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
use std::collections::HashSet;

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

/// Delete a promotion branch, journaled; "not found" counts as deleted. Clears `branchId`.
pub(crate) async fn delete_branch(
    ctx: &Context,
    id: &str,
    branch_id: &str,
) -> Result<(), StepError> {
    // Deleting is idempotent (a deleted branch answers "not found", which counts): no lookup
    // is needed after a crash, the call is simply made again.
    journaled(
        ctx,
        id,
        "delete_branch",
        json!({ "branchId": branch_id }),
        || async { Ok(None) },
        || async { Ok(ctx.platform.delete_branch(None, branch_id).await?) },
        |d| json!({ "deleted": format!("{d:?}") }),
        |_, r| r.branch_id = None,
    )
    .await?;
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

/// What action C keeps between the steps of one drive: the resolved tree, the dev → production
/// id cache, the components that failed, and whether the forward references were rewritten.
#[derive(Default)]
pub struct EngineMemo {
    pub tree: Option<deps::Resolution>,
    pub fact: Option<plan::Resolution>,
    pub existing: Vec<ExistingMapping>,
    pub cache: IdCache,
    /// Components that failed, or were skipped because a reference failed.
    pub bad: HashSet<String>,
    pub forward_done: bool,
    pub branches: Option<(usize, usize)>,
    pub branch_ready: bool,
}

impl EngineMemo {
    /// The next component to promote, in dependency order: not promoted yet and not failed.
    pub fn next_component(&self, rec: &PromotionRecord) -> Option<String> {
        let tree = self.tree.as_ref()?;
        tree.order
            .iter()
            .find(|d| {
                !self.bad.contains(*d)
                    && !rec
                        .result_detail
                        .iter()
                        .any(|r| &r.dev_component_id == *d && r.status == ComponentStatus::Success)
            })
            .cloned()
    }

    pub fn forward_references(&self) -> bool {
        !self.forward_done
            && self
                .tree
                .as_ref()
                .is_some_and(|t| !t.forward_references.is_empty())
    }
}

/// Whether the initiator may still initiate on the dev account, under the policy in force.
pub fn initiator_check(
    desired: &Verified,
    rec: &PromotionRecord,
) -> Result<(), (ErrorCode, String)> {
    let Some(access) = &desired.access else {
        return Err((
            ErrorCode::InsufficientTier,
            "no access policy is in force".into(),
        ));
    };
    let who = &rec.initiated_by;
    if !access.tier(who).is_some_and(Tier::can_contribute) {
        return Err((
            ErrorCode::InsufficientTier,
            format!("{who} may no longer initiate promotions"),
        ));
    }
    if !access.can_access(who, &rec.dev_account_id) {
        return Err((
            ErrorCode::UnauthorizedAccountAccess,
            format!(
                "{who} no longer has access to dev account {}",
                rec.dev_account_id
            ),
        ));
    }
    Ok(())
}

/// Observation::Resolve: the root, then the dependency tree (reads only). Missing connection
/// mappings and unreadable components are facts for the planner; a transient or
/// authentication failure is an error of the step.
pub async fn resolve(
    ctx: &Context,
    req: &crate::model::PromotionRequest,
    memo: &mut EngineMemo,
) -> Result<(), StepError> {
    let dev = req.dev_account_id.clone();
    let invalid = |code, message: String| plan::Resolution::Invalid { code, message };
    // The root: the request's root component, or the component of its dev package.
    let root = match (&req.root_component_id, &req.dev_package_id, &req.components) {
        (Some(r), _, _) => Ok(r.clone()),
        (None, Some(pkg), _) => match ctx.platform.get_packaged_component(Some(&dev), pkg).await {
            Ok(p) => p.component_id.ok_or_else(|| {
                invalid(
                    ErrorCode::ComponentNotFound,
                    format!("dev package {pkg} names no component"),
                )
            }),
            Err(e) if e.is_not_found() => Err(invalid(
                ErrorCode::ComponentNotFound,
                format!("dev package {pkg} not found in {dev}"),
            )),
            Err(e) => return Err(e.into()),
        },
        (None, None, Some(pins)) if !pins.is_empty() => Ok(pins[0].component_id.clone()),
        _ => Err(invalid(
            ErrorCode::InvalidRequest,
            "the request names no root component".into(),
        )),
    };
    let root = match root {
        Ok(r) => r,
        Err(fact) => {
            memo.fact = Some(fact);
            return Ok(());
        }
    };
    let stored = ctx.store.mappings_of_account(&dev)?;
    memo.existing = stored
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
    memo.cache = IdCache::from_mappings(&memo.existing);
    let reader = PlatformReader(ctx.platform.as_ref());
    let resolution = match deps::resolve(
        &reader,
        &ResolveRequest::new(dev.clone(), root, memo.existing.clone()),
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
        Err(e) => {
            memo.fact = Some(invalid(e.code(), e.to_string()));
            return Ok(());
        }
    };
    memo.fact = Some(if resolution.has_missing_connections() {
        let list = resolution
            .missing_connections
            .iter()
            .map(|m| format!("{} ({})", m.name, m.dev_component_id))
            .collect::<Vec<_>>()
            .join(", ");
        plan::Resolution::MissingMappings(format!(
            "{} connection mapping(s) missing in dev account {dev}: {list}. An admin must add them to mappings/{dev}.yaml",
            resolution.missing_connections.len()
        ))
    } else if let Some((bad, code, message)) =
        resolution.components.iter().find_map(|c| match &c.status {
            deps::MappingStatus::Error { code, message } => Some((c, *code, message.clone())),
            _ => None,
        })
    {
        invalid(
            code,
            format!(
                "component {} ({}): {message}",
                bad.name, bad.dev_component_id
            ),
        )
    } else {
        plan::Resolution::Ready
    });
    memo.tree = Some(resolution);
    Ok(())
}

/// Observation::CountBranches: every branch of the account, `main` included (Boomi's ceiling
/// of 20 counts it), and the soft limit of the settings.
pub async fn count_branches(
    ctx: &Context,
    desired: &Verified,
) -> Result<(usize, usize), StepError> {
    let branches = ctx.platform.query_branches(None, None).await?;
    let count = branches.iter().filter(|b| b.deleted != Some(true)).count();
    let limit = desired
        .settings
        .as_ref()
        .map(|s| s.branch_soft_limit)
        .unwrap_or(15) as usize;
    Ok((count, limit))
}

/// Effect::Start: QUEUED → IN_PROGRESS, unless another promotion of the dev account started
/// meanwhile (`false`: the promotion waits).
pub fn start(
    ctx: &Context,
    docs: &PromotionDocs,
    rec: &PromotionRecord,
    memo: &EngineMemo,
    commit: &str,
) -> Result<bool, StepError> {
    let id = rec.promotion_id.clone();
    let dev = rec.dev_account_id.clone();
    let total = memo.tree.as_ref().map_or(0, |t| t.order.len()) as i64;
    let name = branch_name(&id);
    Ok(ctx.store.write(|tx| {
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
    })?)
}

/// Effect::CreateBranch: the branch `promo-<id>` from main, journaled (after a crash, the
/// branch of that name is adopted). Boomi's own limit sends the promotion back to QUEUED.
pub async fn create_branch(ctx: &Context, id: &str) -> Result<(), StepError> {
    let name = branch_name(id);
    let lookup = || async {
        Ok(ctx
            .platform
            .query_branches(None, Some(&name))
            .await?
            .into_iter()
            .find(|b| b.name.as_deref() == Some(name.as_str()) && b.deleted != Some(true))
            .and_then(|b| b.id))
    };
    let main = ctx.platform.main_branch_id(None).await?;
    let created = journaled(
        ctx,
        id,
        "create_branch",
        json!({ "name": name, "parentId": main }),
        lookup,
        || async {
            let b = ctx
                .platform
                .create_branch(
                    None,
                    &name,
                    &main,
                    Some(&format!("Promotion branch for {id}")),
                )
                .await?;
            Ok(b.id.unwrap_or_default())
        },
        |b: &String| json!({ "branchId": b }),
        |b: &String, r: &mut PromotionRecord| r.branch_id = Some(b.clone()),
    )
    .await;
    match created {
        Ok(_) => Ok(()),
        Err(StepError::Boomi(BoomiError::BranchLimitReached { message })) => {
            ctx.store.apply(
                id,
                Some(&Transition::from_to(
                    PromotionStatus::InProgress,
                    PromotionStatus::Queued,
                    cause("branch limit reached"),
                )),
                |r| {
                    r.waiting_reason =
                        Some(format!("{}: {message}", ErrorCode::BranchLimitReached));
                    r.error_code = Some(ErrorCode::BranchLimitReached);
                },
            )?;
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Observation::BranchReady: poll until the branch is ready. `Err(polls)` when it never was.
pub async fn await_branch(ctx: &Context, branch_id: &str) -> Result<Result<(), u32>, StepError> {
    match wait_branch_ready(
        ctx.platform.as_ref(),
        None,
        branch_id,
        ctx.config.branch_ready,
    )
    .await
    {
        Ok(_) => Ok(Ok(())),
        Err(BoomiError::BranchNotReady { polls, .. }) => Ok(Err(polls)),
        Err(e) => Err(e.into()),
    }
}

/// Effect::Promote: one component onto the branch (skipped when a reference failed). A
/// failure of the component is recorded and remembered; other errors end the step.
pub async fn promote_component(
    ctx: &Context,
    id: &str,
    memo: &mut EngineMemo,
    dev_id: &str,
    branch_id: &str,
) -> Result<(), StepError> {
    let Some(tree) = memo.tree.as_ref() else {
        return Ok(());
    };
    let Some(comp) = tree.component(dev_id) else {
        memo.bad.insert(dev_id.to_string());
        return Ok(());
    };
    let base = ComponentResult {
        dev_component_id: dev_id.to_string(),
        prod_component_id: None,
        name: comp.name.clone(),
        component_type: comp.component_type.clone(),
        action: ComponentAction::Skipped,
        status: ComponentStatus::Skipped,
        version: None,
        config_stripped: false,
        error_message: None,
    };
    let record = |res: ComponentResult| -> Result<(), StepError> {
        ctx.store
            .update(id, |r| push_result(&mut r.result_detail, res))?;
        Ok(())
    };
    if let Some(dep) = comp.references.iter().find(|r| memo.bad.contains(&r.id)) {
        memo.bad.insert(dev_id.to_string());
        return record(ComponentResult {
            error_message: Some(format!("skipped: it references {} which failed", dep.id)),
            ..base
        });
    }
    match promote_one(ctx, id, comp, &memo.cache, branch_id).await {
        Ok(r) => {
            if let Some(p) = &r.prod_component_id {
                memo.cache.insert(dev_id.to_string(), p.clone());
            }
            Ok(())
        }
        Err(StepError::Fail { code, message }) => {
            memo.bad.insert(dev_id.to_string());
            record(ComponentResult {
                action: ComponentAction::Failed,
                status: ComponentStatus::Failed,
                error_message: Some(format!("{code}: {message}")),
                ..base
            })
        }
        Err(e) => Err(e),
    }
}

/// Fill the id cache with the components promoted in an earlier drive.
pub fn remember_promoted(memo: &mut EngineMemo, rec: &PromotionRecord) {
    for r in rec
        .result_detail
        .iter()
        .filter(|r| r.status == ComponentStatus::Success)
    {
        if let Some(p) = &r.prod_component_id {
            memo.cache.insert(r.dev_component_id.clone(), p.clone());
        }
    }
}

/// Effect::RewriteForwardReferences: the components promoted before a component they
/// reference existed are written again with the production id.
pub async fn rewrite_forward_references(
    ctx: &Context,
    memo: &mut EngineMemo,
    branch_id: &str,
) -> Result<(), StepError> {
    if let Some(tree) = &memo.tree {
        for f in &tree.forward_references {
            let Some(comp) = tree.component(&f.component_id) else {
                continue;
            };
            let Some(prod) = memo.cache.get(&f.component_id).map(str::to_string) else {
                continue;
            };
            let x = deps::build_production_xml(
                comp.xml.as_deref().unwrap_or_default(),
                Some(&comp.component_type),
                &memo.cache,
                Some(&prod),
                branch_id,
            )
            .map_err(|e| StepError::fail(e.code(), e.to_string()))?;
            match ctx
                .platform
                .update_component(None, &prod, &Component::from_xml(x.xml), Some(branch_id))
                .await
            {
                Ok(_) => {}
                Err(e) if is_no_change(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    memo.forward_done = true;
    Ok(())
}

/// Effect::Complete: COMPLETED with the counts. The component mappings are written when the
/// branch is merged (`deploy::merge`): a component that never reaches main (a denied hotfix,
/// a failed merge) must never become the target of a later update.
pub fn complete(ctx: &Context, rec: &PromotionRecord) -> Result<(), StepError> {
    let id = rec.promotion_id.clone();
    let (c, u, f) = counts(&rec.result_detail);
    let now = ctx.clock.now();
    ctx.store.apply(
        &id,
        Some(&Transition::from_to(
            PromotionStatus::InProgress,
            PromotionStatus::Completed,
            cause(format!("{c} created, {u} updated")).at(now),
        )),
        |r| {
            r.components_created = c;
            r.components_updated = u;
            r.components_failed = f;
            r.error_code = None;
            r.error_message = None;
            r.waiting_reason = None;
        },
    )?;
    tracing::info!(promotion = %id, created = c, updated = u, "promotion completed");
    Ok(())
}

/// The engine mappings of a promotion's promoted components (dev id → production id), with
/// the main version each got from the merge when known.
pub fn engine_mappings(
    rec: &PromotionRecord,
    tested: &[crate::store::TestedVersion],
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<ComponentMapping> {
    rec.result_detail
        .iter()
        .filter(|r| r.status == ComponentStatus::Success)
        .filter_map(|r| {
            let prod = r.prod_component_id.clone()?;
            let version = tested
                .iter()
                .find(|t| t.component_id == prod)
                .map(|t| t.version)
                .or(r.version);
            Some(ComponentMapping {
                dev_account_id: rec.dev_account_id.clone(),
                dev_component_id: r.dev_component_id.clone(),
                prod_component_id: prod,
                component_name: r.name.clone(),
                component_type: r.component_type.clone(),
                prod_account_id: rec.prod_account_id.clone(),
                prod_latest_version: version,
                last_promoted_at: Some(now),
                last_promoted_by: Some(rec.initiated_by.clone()),
                last_promotion_id: Some(rec.promotion_id.clone()),
                source: MappingSource::Engine,
            })
        })
        .collect()
}

/// The counts of a promotion's results: created, updated, failed.
pub fn result_counts(results: &[ComponentResult]) -> (i64, i64, i64) {
    counts(results)
}

fn transient(e: deps::SourceError) -> StepError {
    // A fatal read error that is not an authentication failure: try again later. The reader
    // already retried the call; its message says how often.
    StepError::Retry {
        code: e.code(),
        message: e.to_string(),
    }
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

/// The dev account of the promotion `id`.
fn comp_account(ctx: &Context, id: &str) -> Result<String, StepError> {
    Ok(super::require(&ctx.store, id)?.dev_account_id)
}

/// The line the engine writes into every production copy's description: how a production copy
/// is recognised when the state directory is lost. It carries a digest of the dev account and
/// component id, never the dev id itself (no dev id reaches production).
pub fn provenance_marker(dev_account: &str, dev_component_id: &str) -> String {
    let d = crate::model::digest(format!("{dev_account}/{dev_component_id}").as_bytes());
    let hex = d.strip_prefix("sha256:").unwrap_or(&d);
    format!("[promoted by boomi-promoter {}]", &hex[..24.min(hex.len())])
}

/// The component XML with `marker` in its `bns:description` (added once).
pub fn with_marker(xml: &str, marker: &str) -> String {
    if xml.contains(marker) {
        return xml.to_string();
    }
    if let Some(i) = xml.find("</bns:description>") {
        let mut out = String::with_capacity(xml.len() + marker.len() + 1);
        out.push_str(&xml[..i]);
        out.push('\n');
        out.push_str(marker);
        out.push_str(&xml[i..]);
        return out;
    }
    if let Some(i) = xml.find("<bns:description/>") {
        return format!(
            "{}<bns:description>{marker}</bns:description>{}",
            &xml[..i],
            &xml[i + "<bns:description/>".len()..]
        );
    }
    match xml.find("<bns:object") {
        Some(i) => format!(
            "{}<bns:description>{marker}</bns:description>{}",
            &xml[..i],
            &xml[i..]
        ),
        None => xml.to_string(),
    }
}

/// The production copy of a dev component that main already holds: same name and type, in the
/// promoted folder of the dev component's folder (`/Promoted/<dev path>`), carrying this
/// engine's provenance marker for that dev component, and mapped to no other dev component.
/// `None` when there is none (or more than one: nothing is guessed).
async fn production_copy_on_main(
    ctx: &Context,
    comp: &deps::ResolvedComponent,
    cache: &IdCache,
    marker: &str,
) -> Result<Option<String>, StepError> {
    let candidates = ctx
        .platform
        .query_component_metadata(
            None,
            &MetadataQuery {
                name: Some(comp.name.clone()),
                component_type: Some(comp.component_type.clone()),
                ..Default::default()
            },
        )
        .await?;
    let folder = crate::xml::promoted_folder_path(&comp.folder_full_path);
    let mut found = Vec::new();
    for m in candidates {
        let Some(id) = m.component_id else { continue };
        if cache.as_map().values().any(|p| *p == id) {
            continue;
        }
        match ctx.platform.get_component(None, &id, None).await {
            // Boomi writes the path with or without its leading slash. Only a copy this engine
            // wrote (its provenance marker) is adopted: a component someone else put there is
            // never taken over.
            Ok(c)
                if c.folder_full_path()
                    .is_some_and(|f| f.trim_matches('/') == folder.trim_matches('/'))
                    && c.xml().contains(marker) =>
            {
                found.push(id)
            }
            Ok(_) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e.into()),
        }
    }
    if found.len() == 1 {
        let id = found.remove(0);
        tracing::info!(component = %comp.name, prod = %id, "production copy found on main; updated in place, not created again");
        Ok(Some(id))
    } else {
        Ok(None)
    }
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
    let marker = provenance_marker(&comp_account(ctx, id)?, dev_id);
    let build = |prod: Option<&str>| {
        deps::build_production_xml(xml, Some(&comp.component_type), cache, prod, branch_id)
            .map(|mut x| {
                x.xml = with_marker(&x.xml, &marker);
                x
            })
            .map_err(|e| StepError::fail(e.code(), e.to_string()))
    };
    let mapped = match cache.get(dev_id) {
        Some(p) => Some(p.to_string()),
        // No mapping: a production copy a promotion made before may still be on main (the
        // state directory was lost or rebuilt). Adopt it rather than create a duplicate.
        None => production_copy_on_main(ctx, comp, cache, &marker).await?,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_goes_into_the_description_once() {
        let m = provenance_marker("dev-a", "c1");
        let with_desc = r#"<bns:Component xmlns:bns="x"><bns:description>Orders</bns:description><bns:object/></bns:Component>"#;
        let out = with_marker(with_desc, &m);
        assert!(
            out.contains(&format!("Orders\n{m}</bns:description>")),
            "{out}"
        );
        assert_eq!(with_marker(&out, &m), out, "added once");
        let empty =
            r#"<bns:Component xmlns:bns="x"><bns:description/><bns:object/></bns:Component>"#;
        assert!(with_marker(empty, &m).contains(&format!(
            "<bns:description>{m}</bns:description><bns:object/>"
        )));
        let none = r#"<bns:Component xmlns:bns="x"><bns:object><a/></bns:object></bns:Component>"#;
        assert!(with_marker(none, &m).contains(&format!(
            "<bns:description>{m}</bns:description><bns:object>"
        )));
        assert_ne!(
            provenance_marker("dev-a", "c1"),
            provenance_marker("dev-b", "c1")
        );
    }
}
