//! The driver of one promotion (kube-runtime's controller to `plan`'s `reconcile`): observe
//! what the planner needs, ask [`plan::next_step`], carry out exactly that step — at most one
//! Boomi mutation, journaled (`journaled`), or one change of the record — record it, and ask
//! again, until the promotion waits for something or someone.
//!
//! Every end of a promotion goes through [`terminate`]: the branch is deleted (or, when Boomi
//! will not delete it now, handed to the orphan sweep), `branchName` is cleared, and the
//! transition is written with its cause.

use super::plan::{self, Effect, Observation, Observed, ReviewDoc, Step, Wait};
use super::promote::{self, EngineMemo};
use super::{
    cause, deploy, production, refused, require, step_done, sync, truncate, Context, Outcome,
    StepError,
};
use crate::model::{AdminDecision, ErrorCode, Mode, PeerDecision, PromotionStatus};
use crate::policy::{PromotionDocs, Verified};
use crate::store::{Cause, DeploymentStatus, PromotionRecord, Transition};

/// Steps one drive takes at most (a promotion of many components takes one per component).
const MAX_STEPS: usize = 5000;

/// What one drive keeps between its steps: observations, and the branch-slot lock held from
/// counting the branches until the promotion's branch exists.
#[derive(Default)]
struct Memo<'a> {
    engine: EngineMemo,
    slot: Option<tokio::sync::MutexGuard<'a, ()>>,
    release_done: bool,
    refreshed: bool,
    test_branch_done: bool,
}

/// Drive one promotion until it waits or settles.
pub(crate) async fn drive(
    ctx: &Context,
    desired: &Verified,
    id: &str,
    docs: Option<&PromotionDocs>,
    commit: &str,
) -> Result<Outcome, StepError> {
    let mut memo = Memo::default();
    let mut last: Option<(Step, PromotionRecord)> = None;
    let rec = require(&ctx.store, id)?;
    if docs.is_some() && rec.error_code == Some(ErrorCode::DesiredStateMissing) {
        // The request is back: the flag goes with its cause.
        ctx.store.update(id, |r| {
            r.error_code = None;
            if r.waiting_reason
                .as_deref()
                .is_some_and(|w| w.starts_with(ErrorCode::DesiredStateMissing.as_str()))
            {
                r.waiting_reason = None;
            }
        })?;
    }
    for _ in 0..MAX_STEPS {
        if ctx.shared.stopping() {
            // A graceful shutdown: the step under way has finished; take no new one.
            return Ok(Outcome::Waiting);
        }
        let rec = require(&ctx.store, id)?;
        let observed = observe(ctx, desired, &rec, docs, &memo)?;
        let step = plan::next_step(&observed);
        if last.as_ref().is_some_and(|(s, r)| *s == step && *r == rec)
            && matches!(step, Step::Do(_))
        {
            // The same effect again with nothing changed: a bug, not a reason to spin.
            tracing::warn!(promotion = %id, ?step, "a step changed nothing; the promotion waits");
            return Ok(Outcome::Waiting);
        }
        last = Some((step.clone(), rec.clone()));
        let before = rec.status;
        let outcome = carry_out(ctx, desired, &rec, docs, commit, &mut memo, step).await?;
        let after_rec = require(&ctx.store, id)?;
        if after_rec.status != before {
            tracing::info!(
                promotion = %id,
                from = %before,
                to = %after_rec.status,
                code = %after_rec.error_code.map(|c| c.as_str()).unwrap_or("-"),
                "status changed"
            );
            if let Some(event) = crate::notify_out::Event::on_transition(&after_rec) {
                ctx.notifier.send(&event).await;
            }
            // A failed TEST deployment is tried again by a later pass, after its pause.
            if after_rec.status == PromotionStatus::TestDeployFailed {
                return Ok(Outcome::Waiting);
            }
        }
        if let Some(o) = outcome {
            return Ok(o);
        }
    }
    tracing::warn!(promotion = %id, "a drive took {MAX_STEPS} steps; it goes on in the next pass");
    Ok(Outcome::Waiting)
}

/// What the planner decides from: the record, the documents in force, and what this drive has
/// observed.
fn observe(
    ctx: &Context,
    desired: &Verified,
    rec: &PromotionRecord,
    docs: Option<&PromotionDocs>,
    memo: &Memo<'_>,
) -> Result<Observed, StepError> {
    use PromotionStatus as S;
    let mode = rec.mode();
    let mut o = Observed::new(mode, rec.status, ctx.clock.now());
    o.settings = desired.settings.is_some();
    o.docs = documents(desired, rec, docs);
    let Some(docs) = docs else {
        return Ok(o);
    };
    match rec.status {
        S::Queued | S::InProgress => {
            let e = &memo.engine;
            o.engine = plan::Engine {
                queued_behind: if rec.status == S::Queued {
                    ctx.store
                        .in_progress_for_account(&rec.dev_account_id)?
                        .filter(|other| other.promotion_id != rec.promotion_id)
                        .map(|other| other.promotion_id)
                } else {
                    None
                },
                initiator: Some(promote::initiator_check(desired, rec)),
                resolution: e.fact.clone(),
                branches: e.branches,
                branch: Some(match (&rec.branch_id, e.branch_ready) {
                    (None, _) => plan::Branch::Absent,
                    (Some(_), false) => plan::Branch::Unconfirmed,
                    (Some(_), true) => plan::Branch::Ready,
                }),
                next_component: e.next_component(rec),
                failed_components: e.bad.len(),
                forward_references: e.forward_references(),
            };
        }
        S::TestDeploying | S::Deploying => {
            o.pipeline = pipeline(ctx, desired, rec, docs, memo)?;
        }
        S::PendingAdminReview => {
            o.unacknowledged_downgrade = downgrade(ctx, rec, docs)?;
        }
        S::TestDeployFailed => {
            let backoff = chrono::Duration::from_std(ctx.config.retry_backoff).unwrap_or_default();
            o.retry_at = Some(rec.updated_at + backoff);
        }
        S::Completed
        | S::Failed
        | S::TestDeployed
        | S::PendingPackAssignment
        | S::TestCancelled
        | S::PendingPeerReview
        | S::PeerRejected
        | S::AdminRejected
        | S::Deployed
        | S::Withdrawn => {}
    }
    if docs.cancel_test.is_some()
        && matches!(
            rec.status,
            S::TestDeployed | S::TestDeployFailed | S::PendingPackAssignment
        )
    {
        o.successor = ctx
            .store
            .production_successor(&rec.promotion_id)?
            .map(|s| s.promotion_id);
    }
    Ok(o)
}

/// The documents in force as the planner sees them.
fn documents(
    desired: &Verified,
    rec: &PromotionRecord,
    docs: Option<&PromotionDocs>,
) -> plan::Documents {
    let Some(d) = docs else {
        let request = format!("promotions/{}/request.yaml", rec.promotion_id);
        return plan::Documents {
            request: if desired.problems.iter().any(|p| p.file == request) {
                plan::RequestDoc::Broken
            } else {
                plan::RequestDoc::Vanished
            },
            ..Default::default()
        };
    };
    let acted_peer = rec.approvals.peer.as_ref().map(|a| a.digest.as_str());
    let acted_admin = rec.approvals.admin.as_ref().map(|a| a.digest.as_str());
    let review = |digest: Option<&str>, acted: Option<&str>, approved: bool| match (digest, acted) {
        (None, _) => ReviewDoc::Absent,
        (Some(d), Some(a)) if d != a => ReviewDoc::Changed,
        (Some(_), _) => ReviewDoc::Present { approved },
    };
    plan::Documents {
        request: plan::RequestDoc::Valid,
        peer_review: review(
            d.peer_review.as_ref().map(|p| p.digest.as_str()),
            acted_peer,
            d.peer_review
                .as_ref()
                .is_some_and(|p| p.doc.decision == PeerDecision::Approved),
        ),
        admin_review: review(
            d.admin_review.as_ref().map(|a| a.digest.as_str()),
            acted_admin,
            d.admin_review
                .as_ref()
                .is_some_and(|a| a.doc.decision == AdminDecision::Approved),
        ),
        admin_on_acted_peer: d
            .admin_review
            .as_ref()
            .is_some_and(|a| acted_peer == Some(a.doc.peer_review_digest.as_str())),
        withdrawal: d.withdrawal.is_some(),
        cancel_test: d.cancel_test.is_some(),
        pack_assignment: d.pack_assignment.is_some(),
    }
}

/// Where the deploy pipeline stands.
fn pipeline(
    ctx: &Context,
    desired: &Verified,
    rec: &PromotionRecord,
    docs: &PromotionDocs,
    memo: &Memo<'_>,
) -> Result<plan::Pipeline, StepError> {
    let id = rec.promotion_id.as_str();
    let production = rec.mode() != Mode::Test;
    let environments = deploy::environments_of(desired, docs, rec)
        .into_iter()
        .map(|env| {
            let t = match rec.deployments.iter().find(|d| d.environment_id == env) {
                Some(d) if d.status == DeploymentStatus::Deployed => plan::Target::Deployed,
                Some(d) if d.status == DeploymentStatus::Failed => plan::Target::Failed,
                _ => plan::Target::Pending,
            };
            (env, t)
        })
        .collect();
    let test_branch = match (&rec.test_promotion_id, memo.test_branch_done) {
        (Some(t), false) => ctx.store.get(t)?.is_some_and(|t| t.branch_id.is_some()),
        _ => false,
    };
    let windows = desired
        .settings
        .as_ref()
        .map(|s| s.deploy_windows.clone())
        .unwrap_or_default();
    Ok(plan::Pipeline {
        merged: step_done(&ctx.store, id, "merge")?.is_some(),
        tested_verified: step_done(&ctx.store, id, "verify_tested")?.is_some(),
        package: rec.prod_package_id.is_some(),
        pack: rec.integration_pack_id.is_some(),
        pack_choosable: rec.integration_pack_id.is_none()
            && deploy::pack_pick(ctx, docs, rec)?.is_some(),
        release: match (deploy::released(ctx, id)?, memo.release_done) {
            (false, _) => plan::Release::NotReleased,
            (true, false) => plan::Release::Running,
            (true, true) => plan::Release::Done,
        },
        environments,
        extensions_refreshed: memo.refreshed,
        test_branch,
        own_branch: rec.branch_id.is_some(),
        window_closed: if production {
            production::window(&windows, ctx.clock.now()).err()
        } else {
            None
        },
        approvals: if production {
            super::guard::check_approvals(&super::guard::ApprovalFacts::of(rec, Some(docs)))
        } else {
            Ok(())
        },
    })
}

/// A production deployment of a lower package version than production runs, not acknowledged
/// by the admin decision: the message naming both versions.
fn downgrade(
    ctx: &Context,
    rec: &PromotionRecord,
    docs: &PromotionDocs,
) -> Result<Option<String>, StepError> {
    if docs
        .admin_review
        .as_ref()
        .is_some_and(|a| a.doc.acknowledge_downgrade)
    {
        return Ok(None);
    }
    let Some(version) = rec.package_version.as_deref() else {
        return Ok(None);
    };
    let Some(running) = ctx
        .store
        .production_running(&rec.process_name, &rec.promotion_id)?
    else {
        return Ok(None);
    };
    let Some(prod) = running.package_version.as_deref() else {
        return Ok(None);
    };
    Ok(
        (crate::model::validate::compare_versions(version, prod) == std::cmp::Ordering::Less).then(
            || {
                format!(
                    "{} {version} is lower than {prod}, which production runs ({})",
                    rec.process_name, running.promotion_id
                )
            },
        ),
    )
}

/// Carry out one step. `Some(outcome)` ends the drive.
async fn carry_out<'a>(
    ctx: &'a Context,
    desired: &Verified,
    rec: &PromotionRecord,
    docs: Option<&PromotionDocs>,
    commit: &str,
    memo: &mut Memo<'a>,
    step: Step,
) -> Result<Option<Outcome>, StepError> {
    let id = rec.promotion_id.as_str();
    match step {
        Step::Idle => {
            if docs.is_none() && !rec.status.is_terminal() {
                sync::note_missing(ctx, rec)?;
            }
            Ok(Some(Outcome::Settled))
        }
        Step::AwaitPerson(_) => Ok(Some(Outcome::Settled)),
        Step::Wait { reason, until } => wait(ctx, rec, reason, until),
        Step::Refuse { code, message } => {
            note(ctx, rec, code, message)?;
            Ok(Some(Outcome::Settled))
        }
        Step::Guarded { code, message } => refused(ctx, id, code, &message).map(Some),
        Step::Observe(obs) => {
            let Some(docs) = docs else {
                return Ok(Some(Outcome::Settled));
            };
            observe_now(ctx, desired, rec, docs, commit, memo, obs).await
        }
        Step::Do(effect) => {
            let Some(docs) = docs else {
                return Ok(Some(Outcome::Settled));
            };
            match effect_now(ctx, desired, rec, docs, commit, memo, &effect).await {
                Ok(o) => Ok(o),
                Err(e) => on_error(ctx, rec, &effect, e).await,
            }
        }
        Step::Finish {
            status,
            code,
            message,
        } => {
            finish(ctx, desired, rec, docs, commit, status, code, message).await?;
            Ok(None)
        }
    }
}

/// A wait for the daemon itself: shown on the record.
fn wait(
    ctx: &Context,
    rec: &PromotionRecord,
    reason: Wait,
    until: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<Option<Outcome>, StepError> {
    let (code, text, outcome) = match reason {
        Wait::QueuedBehind(other) => (
            None,
            format!(
                "queued behind {other} ({} guard: one promotion per dev account at a time)",
                ErrorCode::PromotionInProgress
            ),
            Outcome::Waiting,
        ),
        Wait::BranchLimit { count, limit } => (
            Some(ErrorCode::BranchLimitReached),
            format!(
                "{}: {count} branches exist (soft limit {limit}); waiting for one to be freed",
                ErrorCode::BranchLimitReached
            ),
            Outcome::Waiting,
        ),
        Wait::DeployWindow => (
            rec.error_code,
            format!(
                "approved; waiting for the next deploy window at {}",
                until
                    .map(|u| u.format("%Y-%m-%d %H:%M UTC").to_string())
                    .unwrap_or_default()
            ),
            Outcome::Waiting,
        ),
        Wait::Backoff => return Ok(Some(Outcome::Waiting)),
        Wait::NoSettings => (
            rec.error_code,
            format!(
                "{}: no trusted promoter.yaml is in force (signed by an ADMIN, with a serial); nothing runs until one is",
                ErrorCode::SettingsChangeUntrusted
            ),
            Outcome::Settled,
        ),
    };
    if rec.waiting_reason.as_deref() != Some(text.as_str()) || rec.error_code != code {
        ctx.store.update(&rec.promotion_id, |r| {
            r.waiting_reason = Some(text);
            r.error_code = code;
        })?;
    }
    Ok(Some(outcome))
}

/// A rule the promotion log decides (status unchanged), noted once.
fn note(
    ctx: &Context,
    rec: &PromotionRecord,
    code: ErrorCode,
    message: String,
) -> Result<(), StepError> {
    let reason = format!("{code}: {message}");
    if rec.waiting_reason.as_deref() != Some(reason.as_str()) {
        ctx.store.update(&rec.promotion_id, |r| {
            r.error_code = Some(code);
            r.waiting_reason = Some(reason);
        })?;
    }
    Ok(())
}

async fn observe_now<'a>(
    ctx: &'a Context,
    desired: &Verified,
    rec: &PromotionRecord,
    docs: &PromotionDocs,
    commit: &str,
    memo: &mut Memo<'a>,
    obs: Observation,
) -> Result<Option<Outcome>, StepError> {
    match obs {
        // Always observed with the record (the policy in force is in `desired`).
        Observation::Initiator => {}
        Observation::Resolve => {
            promote::resolve(ctx, &docs.request.doc, &mut memo.engine).await?;
            promote::remember_promoted(&mut memo.engine, rec);
        }
        Observation::CountBranches => {
            // Lanes run at the same time: counting the branches and creating this one happen
            // under one lock, so two promotions never both take the last slot.
            if memo.slot.is_none() {
                memo.slot = Some(ctx.shared.branch_slot().await);
            }
            memo.engine.branches = Some(promote::count_branches(ctx, desired).await?);
        }
        Observation::BranchReady => {
            let branch = rec.branch_id.clone().unwrap_or_default();
            match promote::await_branch(ctx, &branch).await? {
                Ok(()) => memo.engine.branch_ready = true,
                Err(polls) => {
                    let name = promote::branch_name(&rec.promotion_id);
                    finish(
                        ctx,
                        desired,
                        rec,
                        Some(docs),
                        commit,
                        PromotionStatus::Failed,
                        Some(ErrorCode::BranchCreationTimeout),
                        format!("branch {name} was not ready after {polls} polls; it was deleted"),
                    )
                    .await?;
                }
            }
        }
        Observation::ReleaseStatus => {
            deploy::await_release(ctx, rec).await?;
            memo.release_done = true;
        }
    }
    Ok(None)
}

async fn effect_now<'a>(
    ctx: &'a Context,
    desired: &Verified,
    rec: &PromotionRecord,
    docs: &PromotionDocs,
    commit: &str,
    memo: &mut Memo<'a>,
    effect: &Effect,
) -> Result<Option<Outcome>, StepError> {
    let id = rec.promotion_id.as_str();
    match effect {
        Effect::Start => {
            let started = promote::start(ctx, docs, rec, &memo.engine, commit)?;
            if !started {
                memo.slot = None;
                return Ok(Some(Outcome::Waiting));
            }
        }
        Effect::CreateBranch => {
            promote::create_branch(ctx, id).await?;
            memo.slot = None;
        }
        Effect::Promote { component } => {
            let branch = rec.branch_id.clone().unwrap_or_default();
            promote::promote_component(ctx, id, &mut memo.engine, component, &branch).await?;
        }
        Effect::RewriteForwardReferences => {
            let branch = rec.branch_id.clone().unwrap_or_default();
            promote::rewrite_forward_references(ctx, &mut memo.engine, &branch).await?;
        }
        Effect::Complete => promote::complete(ctx, rec)?,
        Effect::SubmitForReview => production::submit_for_review(ctx, rec, commit)?,
        Effect::StartTestDeploy => deploy::start_test_deploy(ctx, docs, rec, commit)?,
        Effect::Merge => deploy::merge(ctx, id).await?,
        Effect::VerifyTested => deploy::verify_tested(ctx, rec).await?,
        Effect::Package => deploy::package_step(ctx, docs, rec).await?,
        Effect::ChoosePack => deploy::choose_pack(ctx, docs, rec).await?,
        Effect::Release => {
            deploy::release_step(ctx, docs, rec).await?;
            memo.release_done = true;
        }
        Effect::Deploy { environment } => {
            deploy::deploy_step(ctx, desired, docs, rec, environment).await?;
        }
        Effect::RefreshExtensions => {
            deploy::refresh_step(ctx, desired, docs, rec).await?;
            memo.refreshed = true;
        }
        Effect::DeleteTestBranch => {
            match deploy::delete_test_branch(ctx, rec).await {
                Ok(()) => {}
                Err(e) if e.is_transient() => return Err(e),
                // Production is deployed: a branch Boomi will not delete now is the sweep's.
                Err(e) => {
                    tracing::warn!(promotion = %id, error = %e, "the kept test branch was not deleted; the orphan sweep reports it")
                }
            }
            memo.test_branch_done = true;
        }
        Effect::ActOnPeerReview { .. } => {
            production::act_on_peer_review(ctx, docs, rec, commit).await?
        }
        Effect::ActOnAdminDecision { .. } => {
            production::act_on_admin_decision(ctx, docs, rec, commit).await?
        }
    }
    Ok(None)
}

/// A step that failed: the deployment guard's refusal waits; a transient error is retried; a
/// permanent failure of a pipeline stage leaves the promotion where `plan::failure_status`
/// says; anything else is an error of the drive (recorded and retried).
async fn on_error(
    ctx: &Context,
    rec: &PromotionRecord,
    effect: &Effect,
    e: StepError,
) -> Result<Option<Outcome>, StepError> {
    let id = rec.promotion_id.as_str();
    if let StepError::Refused { code, message } = &e {
        return refused(ctx, id, *code, message).map(Some);
    }
    // Transient errors are retried; a 401 stops the lane (the caller's rule), never the
    // promotion.
    if e.is_transient() || e.code() == ErrorCode::AuthFailed {
        return Err(e);
    }
    let Some(stage) = plan::stage_of(effect) else {
        return Err(e);
    };
    let code = e.code();
    let message = e.to_string();
    match plan::failure_status(rec.mode(), stage) {
        PromotionStatus::TestDeployFailed => {
            terminate(
                ctx,
                id,
                PromotionStatus::TestDeployFailed,
                cause(format!("{code}: {message}")).at(ctx.clock.now()),
                |r| {
                    r.error_code = Some(code);
                    r.error_message = Some(truncate(&message, 5000));
                    r.waiting_reason = Some(format!(
                        "{}: retried after a pause",
                        ErrorCode::TestDeployFailed
                    ));
                },
            )
            .await?;
            Ok(Some(Outcome::Waiting))
        }
        status => {
            terminate(
                ctx,
                id,
                status,
                cause(format!("{code}: {message}")).at(ctx.clock.now()),
                |r| {
                    r.error_code = Some(code);
                    r.error_message = Some(truncate(&message, 5000));
                    r.waiting_reason = None;
                },
            )
            .await?;
            tracing::info!(promotion = %id, %code, "promotion failed");
            Ok(None)
        }
    }
}

/// The end (or a resting status) the planner chose, with what goes with it on the record.
#[allow(clippy::too_many_arguments)]
async fn finish(
    ctx: &Context,
    desired: &Verified,
    rec: &PromotionRecord,
    docs: Option<&PromotionDocs>,
    commit: &str,
    status: PromotionStatus,
    code: Option<ErrorCode>,
    message: String,
) -> Result<(), StepError> {
    use PromotionStatus as S;
    let id = rec.promotion_id.as_str();
    let now = ctx.clock.now();
    match status {
        S::Failed => {
            // A request that no longer verifies fails with the rule it breaks.
            let (code, message) = match (code, docs) {
                (Some(c), _) => (c, message),
                (None, None) => {
                    let request = format!("promotions/{id}/request.yaml");
                    match desired.problems.iter().find(|p| p.file == request) {
                        Some(p) => (p.code, p.message.clone()),
                        None => (ErrorCode::DesiredStateMissing, message),
                    }
                }
                (None, Some(_)) => (ErrorCode::PromotionFailed, message),
            };
            let counts = promote::result_counts(&rec.result_detail);
            terminate(
                ctx,
                id,
                S::Failed,
                cause(format!("{code}: {message}")).at(now),
                |r| {
                    r.error_code = Some(code);
                    r.error_message = Some(truncate(&message, 5000));
                    r.waiting_reason = None;
                    (
                        r.components_created,
                        r.components_updated,
                        r.components_failed,
                    ) = counts;
                },
            )
            .await?;
            tracing::info!(promotion = %id, %code, "promotion failed");
        }
        S::Withdrawn => {
            let Some(w) = docs.and_then(|d| d.withdrawal.as_ref()) else {
                return Ok(());
            };
            terminate(
                ctx,
                id,
                S::Withdrawn,
                cause(format!("withdrawn by {}", w.signer))
                    .document(w.path.clone())
                    .commit(commit)
                    .at(now),
                |r| {
                    r.withdrawn_at = Some(now);
                    r.withdrawal_reason = w.doc.reason.clone();
                    r.waiting_reason = None;
                    r.document_commits.withdrawal = Some(commit.to_string());
                },
            )
            .await?;
        }
        S::TestCancelled => {
            let Some(c) = docs.and_then(|d| d.cancel_test.as_ref()) else {
                return Ok(());
            };
            terminate(
                ctx,
                id,
                S::TestCancelled,
                cause(format!("test deployment cancelled by {}", c.signer))
                    .document(c.path.clone())
                    .commit(commit)
                    .at(now),
                |r| {
                    r.waiting_reason = None;
                    r.document_commits.cancel_test = Some(commit.to_string());
                },
            )
            .await?;
        }
        S::TestDeployed | S::Deployed => {
            let partial = message.starts_with("PARTIAL").then(|| message.clone());
            let test = status == S::TestDeployed;
            terminate(ctx, id, status, cause(message).at(now), |r| {
                if test {
                    r.test_deployed_at = Some(now);
                }
                r.deployed_at = Some(now);
                r.waiting_reason = partial;
                r.error_code = None;
                r.error_message = None;
            })
            .await?;
            tracing::info!(
                promotion = %id,
                "{}",
                if test { "test deployed" } else { "deployed to production" }
            );
        }
        S::TestDeployFailed => {
            let code = code.unwrap_or(ErrorCode::TestDeployFailed);
            terminate(
                ctx,
                id,
                status,
                cause(format!("{code}: {message}")).at(now),
                |r| {
                    r.error_code = Some(code);
                    r.error_message = Some(truncate(&message, 5000));
                    r.waiting_reason = Some(format!(
                        "{}: retried after a pause",
                        ErrorCode::TestDeployFailed
                    ));
                },
            )
            .await?;
        }
        S::PendingPackAssignment => {
            terminate(ctx, id, status, cause(message).at(now), |r| {
                r.waiting_reason = Some(format!(
                    "no test integration pack: an admin assigns one with `promoter assign-pack {id}` (pack-assignment.yaml)"
                ))
            })
            .await?;
        }
        S::Queued
        | S::InProgress
        | S::Completed
        | S::TestDeploying
        | S::PendingPeerReview
        | S::PeerRejected
        | S::PendingAdminReview
        | S::AdminRejected
        | S::Deploying => {
            terminate(ctx, id, status, cause(message).at(now), |_| {}).await?;
        }
    }
    Ok(())
}

/// Move a promotion to `to`, writing `edit` with the transition. When `to` is terminal the
/// branch goes first (200 and 404 both count); when Boomi will not delete it now, the branch
/// is handed to the orphan sweep (its id stays on the record) and the promotion still ends.
/// `branchName` is cleared on every terminal path.
pub(crate) async fn terminate(
    ctx: &Context,
    id: &str,
    to: PromotionStatus,
    cause: Cause,
    edit: impl FnOnce(&mut PromotionRecord),
) -> Result<(), StepError> {
    let rec = require(&ctx.store, id)?;
    let mut left = None;
    if to.is_terminal() {
        if let Some(b) = rec.branch_id.clone() {
            if let Err(e) = promote::delete_branch(ctx, id, &b).await {
                tracing::warn!(promotion = %id, branch = %b, error = %e, "branch not deleted; the orphan sweep deletes it");
                left = Some(b);
            }
        }
    }
    ctx.store
        .apply(id, Some(&Transition::from_to(rec.status, to, cause)), |r| {
            edit(r);
            if to.is_terminal() {
                r.branch_id = left;
                r.branch_name = None;
            }
        })?;
    Ok(())
}
