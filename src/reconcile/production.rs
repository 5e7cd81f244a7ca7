//! The way to production and every way out (DESIGN.md §3, `seed-behaviors.md` §4 D/E3/E4/E5,
//! §5): peer review (APPROVED → PENDING_ADMIN_REVIEW, REJECTED → branch deleted,
//! PEER_REJECTED), the admin decision (DENIED → branch deleted, ADMIN_REJECTED; APPROVED →
//! DEPLOYING), the production deploy of both modes — production from test ("ship what was
//! tested", package from main, production pack, release, deploy to PROD, delete the kept test
//! branch) and hotfix (merge, package, release, deploy, delete the branch) — inside the deploy
//! windows of `promoter.yaml`, withdrawal, and cancellation of a TEST deployment.
//!
//! The signature and identity rules of each document were checked by `policy`; here go the
//! rules that need the promotion log: the state a document applies to (`INVALID_REVIEW_STATE`,
//! `INVALID_PROMOTION_STATUS`), a review that changed after it was acted on
//! (`ALREADY_REVIEWED`), and an admin decision that does not build on the peer review that was
//! acted on (`STALE_APPROVAL`).

use super::deploy::{self, named_pack, root_prod_id, target_environments};
use super::guard::{check_approvals, ApprovalFacts};
use super::promote::{delete_branch, fail};
use super::{cause, require, step_done, step_open, Context, Outcome, StepError};
use crate::boomi::PackageQuery;
use crate::model::{
    AdminDecision, AdminReviewStatus, Classification, DeployWindow, ErrorCode, Mode, PeerDecision,
    PeerReviewStatus, PromotionStatus, Settings, Target,
};
use crate::policy::{PromotionDocs, Signed, Verified};
use crate::store::{Approval, PromotionRecord, Transition};
use chrono::{DateTime, Utc};
use serde_json::json;

/// The wire name of a decision (`APPROVED`).
fn wire_name<T: serde::Serialize>(t: &T) -> String {
    serde_json::to_value(t)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Note a rule the promotion log decides (status unchanged), once.
fn note(ctx: &Context, id: &str, code: ErrorCode, message: String) -> Result<Outcome, StepError> {
    let rec = require(&ctx.store, id)?;
    let reason = format!("{code}: {message}");
    if rec.waiting_reason.as_deref() != Some(reason.as_str()) {
        ctx.store.update(id, |r| {
            r.error_code = Some(code);
            r.waiting_reason = Some(reason);
        })?;
    }
    Ok(Outcome::Settled)
}

/// Whether a deploy window is open at `now`; `Err(next opening)` when closed. No windows: open.
pub fn window(windows: &[DeployWindow], now: DateTime<Utc>) -> Result<(), DateTime<Utc>> {
    if windows.is_empty() {
        return Ok(());
    }
    let mut next: Option<DateTime<Utc>> = None;
    for w in windows {
        let Ok(cron) = w.cron.parse::<croner::Cron>() else {
            continue;
        };
        let tz: chrono_tz::Tz = w
            .timezone
            .as_deref()
            .and_then(|t| t.parse().ok())
            .unwrap_or(chrono_tz::UTC);
        let local = now.with_timezone(&tz);
        let duration = chrono::Duration::minutes(w.duration_minutes as i64);
        if let Ok(prev) = cron.find_previous_occurrence(&local, true) {
            if local < prev + duration {
                return Ok(());
            }
        }
        if let Ok(n) = cron.find_next_occurrence(&local, false) {
            let n = n.with_timezone(&Utc);
            next = Some(next.map_or(n, |x| x.min(n)));
        }
    }
    Err(next.unwrap_or(now + chrono::Duration::days(365)))
}

/// Drive a promotion through review, decision, production deploy and the exits.
pub async fn execute(
    ctx: &Context,
    desired: &Verified,
    docs: &PromotionDocs,
    rec: PromotionRecord,
    commit: &str,
) -> Result<Outcome, StepError> {
    let id = rec.promotion_id.clone();
    let now = ctx.clock.now();
    let t = |from: PromotionStatus, to: PromotionStatus, why: String, doc: &str| {
        Transition::from_to(
            from,
            to,
            cause(why).document(doc.to_string()).commit(commit).at(now),
        )
    };
    match rec.status {
        PromotionStatus::PendingPeerReview => {
            if let Some(w) = &docs.withdrawal {
                return withdraw(ctx, &rec, w, commit).await;
            }
            let Some(pr) = &docs.peer_review else {
                return Ok(Outcome::Settled);
            };
            // APPROVED → PENDING_ADMIN_REVIEW; REJECTED → branch deleted, PEER_REJECTED. Either
            // way the reviewer's fields and the digest acted on are recorded in one transaction.
            let (to, verb, peer_status) = match pr.doc.decision {
                PeerDecision::Approved => (
                    PromotionStatus::PendingAdminReview,
                    "approved",
                    PeerReviewStatus::PeerApproved,
                ),
                PeerDecision::Rejected => (
                    PromotionStatus::PeerRejected,
                    "rejected",
                    PeerReviewStatus::PeerRejected,
                ),
            };
            if to == PromotionStatus::PeerRejected {
                if let Some(b) = rec.branch_id.clone() {
                    delete_branch(ctx, &id, &b).await?;
                }
            }
            let approval = Approval {
                decision: wire_name(&pr.doc.decision),
                by: pr.doc.reviewer.to_lowercase(),
                digest: pr.digest.clone(),
                request_digest: pr.doc.request_digest.clone(),
                peer_review_digest: None,
                commit: Some(commit.to_string()),
            };
            ctx.store.write(|tx| {
                tx.apply(
                    &id,
                    Some(&t(
                        PromotionStatus::PendingPeerReview,
                        to,
                        format!("peer {verb} by {}", pr.signer),
                        &pr.path,
                    )),
                    |r| {
                        r.approvals.peer = Some(approval.clone());
                        r.peer_review_status = Some(peer_status);
                        r.peer_reviewed_by = Some(pr.doc.reviewer.to_lowercase());
                        r.peer_reviewed_at = Some(now);
                        r.peer_review_comments = pr.doc.comments.clone();
                        r.document_commits.peer_review = Some(commit.to_string());
                        r.waiting_reason = None;
                        if to == PromotionStatus::PendingAdminReview {
                            r.admin_review_status = Some(AdminReviewStatus::PendingAdminReview);
                            r.error_code = None;
                        } else {
                            r.branch_id = None;
                        }
                    },
                )?;
                Ok(())
            })?;
            Ok(Outcome::Settled)
        }
        PromotionStatus::PendingAdminReview => {
            if let Some(w) = &docs.withdrawal {
                return withdraw(ctx, &rec, w, commit).await;
            }
            let acted_peer = rec.approvals.peer.as_ref().map(|p| p.digest.clone());
            if let Some(pr) = &docs.peer_review {
                if acted_peer.as_deref().is_some_and(|d| d != pr.digest) {
                    return note(
                        ctx,
                        &id,
                        ErrorCode::AlreadyReviewed,
                        format!("peer-review.yaml changed after {} reviewed it; the first review stands", rec.peer_reviewed_by.clone().unwrap_or_default()),
                    );
                }
            }
            let Some(ar) = &docs.admin_review else {
                return Ok(Outcome::Settled);
            };
            if acted_peer.as_deref() != Some(ar.doc.peer_review_digest.as_str()) {
                return note(
                    ctx,
                    &id,
                    ErrorCode::StaleApproval,
                    "the admin decision does not build on the peer review that was acted on".into(),
                );
            }
            let comments = ar.doc.comments.clone();
            let approval = Approval {
                decision: wire_name(&ar.doc.decision),
                by: ar.doc.admin.to_lowercase(),
                digest: ar.digest.clone(),
                request_digest: ar.doc.request_digest.clone(),
                peer_review_digest: Some(ar.doc.peer_review_digest.clone()),
                commit: Some(commit.to_string()),
            };
            match ar.doc.decision {
                AdminDecision::Denied => {
                    if let Some(b) = rec.branch_id.clone() {
                        delete_branch(ctx, &id, &b).await?;
                    }
                    ctx.store.write(|tx| {
                        tx.apply(
                            &id,
                            Some(&t(
                                PromotionStatus::PendingAdminReview,
                                PromotionStatus::AdminRejected,
                                format!("denied by {}", ar.signer),
                                &ar.path,
                            )),
                            |r| {
                                r.approvals.admin = Some(approval.clone());
                                r.admin_review_status = Some(AdminReviewStatus::AdminRejected);
                                r.admin_approved_by = Some(ar.doc.admin.to_lowercase());
                                r.admin_approved_at = Some(now);
                                r.admin_comments = comments.clone();
                                r.document_commits.admin_review = Some(commit.to_string());
                                r.branch_id = None;
                                r.waiting_reason = None;
                            },
                        )?;
                        Ok(())
                    })?;
                    Ok(Outcome::Settled)
                }
                AdminDecision::Approved => {
                    ctx.store.write(|tx| {
                        tx.apply(
                            &id,
                            Some(&t(
                                PromotionStatus::PendingAdminReview,
                                PromotionStatus::Deploying,
                                format!("approved by {}", ar.signer),
                                &ar.path,
                            )),
                            |r| {
                                r.approvals.admin = Some(approval.clone());
                                r.admin_review_status = Some(AdminReviewStatus::AdminApproved);
                                r.admin_approved_by = Some(ar.doc.admin.to_lowercase());
                                r.admin_approved_at = Some(now);
                                r.admin_comments = comments.clone();
                                r.document_commits.admin_review = Some(commit.to_string());
                                r.error_code = None;
                                r.waiting_reason = None;
                            },
                        )?;
                        Ok(())
                    })?;
                    deploy_production(ctx, desired, docs, &id).await
                }
            }
        }
        PromotionStatus::Deploying => deploy_production(ctx, desired, docs, &id).await,
        PromotionStatus::TestDeployed
        | PromotionStatus::TestDeployFailed
        | PromotionStatus::PendingPackAssignment => {
            let Some(c) = &docs.cancel_test else {
                return Ok(Outcome::Settled);
            };
            if let Some(s) = ctx.store.production_successor(&id)? {
                return note(
                    ctx,
                    &id,
                    ErrorCode::InvalidPromotionStatus,
                    format!(
                        "cannot cancel: production promotion {} builds on this test deployment",
                        s.promotion_id
                    ),
                );
            }
            if let Some(b) = rec.branch_id.clone() {
                delete_branch(ctx, &id, &b).await?;
            }
            ctx.store.apply(
                &id,
                Some(&t(
                    rec.status,
                    PromotionStatus::TestCancelled,
                    format!("test deployment cancelled by {}", c.signer),
                    &c.path,
                )),
                |r| {
                    r.branch_id = None;
                    r.waiting_reason = None;
                    r.document_commits.cancel_test = Some(commit.to_string());
                },
            )?;
            Ok(Outcome::Settled)
        }
        _ => Ok(Outcome::Settled),
    }
}

async fn withdraw(
    ctx: &Context,
    rec: &PromotionRecord,
    w: &Signed<crate::model::Withdrawal>,
    commit: &str,
) -> Result<Outcome, StepError> {
    let id = rec.promotion_id.as_str();
    if let Some(b) = rec.branch_id.clone() {
        delete_branch(ctx, id, &b).await?;
    }
    let now = ctx.clock.now();
    ctx.store.apply(
        id,
        Some(&Transition::from_to(
            rec.status,
            PromotionStatus::Withdrawn,
            cause(format!("withdrawn by {}", w.signer))
                .document(w.path.clone())
                .commit(commit)
                .at(now),
        )),
        |r| {
            r.withdrawn_at = Some(now);
            r.withdrawal_reason = w.doc.reason.clone();
            r.branch_id = None;
            r.waiting_reason = None;
            r.document_commits.withdrawal = Some(commit.to_string());
        },
    )?;
    Ok(Outcome::Settled)
}

/// The approved production deploy (DEPLOYING), inside a deploy window.
async fn deploy_production(
    ctx: &Context,
    desired: &Verified,
    docs: &PromotionDocs,
    id: &str,
) -> Result<Outcome, StepError> {
    // The approvals the deployment guard will ask for, checked before any work: an approval
    // that left git since it was acted on stops the deploy here, whatever else is missing.
    let rec = require(&ctx.store, id)?;
    if let Err(why) = check_approvals(&ApprovalFacts::of(&rec, Some(docs))) {
        return super::refused(
            ctx,
            id,
            ErrorCode::DeploymentNotApproved,
            &format!(
                "production needs an APPROVED peer review and an APPROVED admin decision: {why}"
            ),
        );
    }
    let windows = desired
        .settings
        .as_ref()
        .map(|s: &Settings| s.deploy_windows.clone())
        .unwrap_or_default();
    if let Err(next) = window(&windows, ctx.clock.now()) {
        let reason = format!(
            "approved; waiting for the next deploy window at {}",
            next.format("%Y-%m-%d %H:%M UTC")
        );
        let rec = require(&ctx.store, id)?;
        if rec.waiting_reason.as_deref() != Some(reason.as_str()) {
            ctx.store.update(id, |r| r.waiting_reason = Some(reason))?;
        }
        return Ok(Outcome::Waiting);
    }
    match run_production(ctx, desired, docs, id).await {
        Ok(o) => Ok(o),
        Err(e) if e.is_transient() => Err(e),
        Err(StepError::Refused { code, message }) => super::refused(ctx, id, code, &message),
        Err(e) => {
            let rec = require(&ctx.store, id)?;
            fail(ctx, &rec, e.code(), e.to_string(), None).await
        }
    }
}

async fn run_production(
    ctx: &Context,
    desired: &Verified,
    docs: &PromotionDocs,
    id: &str,
) -> Result<Outcome, StepError> {
    let req = &docs.request.doc;
    let p = ctx.platform.as_ref();
    let rec = require(&ctx.store, id)?;
    let version = rec
        .package_version
        .clone()
        .unwrap_or_else(|| req.package_version.clone());
    let mut test_record = None;
    let root_prod = match req.mode() {
        Mode::ProductionFromTest => {
            let test_id = rec.test_promotion_id.clone().unwrap_or_default();
            let test = require(&ctx.store, &test_id)?;
            // Ship what was tested: main must still hold the versions the test deploy merged.
            if step_done(&ctx.store, id, "verify_tested")?.is_none() {
                let mut changed = Vec::new();
                for tv in &test.tested_versions {
                    let now = p
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
            }
            let root = root_prod_id(&test, req)?;
            test_record = Some(test);
            root
        }
        Mode::Hotfix => {
            deploy::merge(ctx, id).await?;
            root_prod_id(&rec, req)?
        }
        Mode::Test => return Ok(Outcome::Settled),
    };

    // The package: the tested one when the version is the same, else a new one from main.
    let package_id = match &rec.prod_package_id {
        Some(p) => p.clone(),
        None => {
            let existing = if let Some(t) = &test_record {
                if t.package_version.as_deref() == Some(version.as_str()) {
                    t.prod_package_id.clone()
                } else {
                    None
                }
            } else {
                None
            };
            match existing {
                Some(pk) => {
                    ctx.store
                        .update(id, |r| r.prod_package_id = Some(pk.clone()))?;
                    pk
                }
                None => {
                    let found = p
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
                        .next();
                    if found.is_some()
                        && !step_open(&ctx.store, id, "package")?
                        && test_record.is_none()
                    {
                        return Err(StepError::fail(
                            ErrorCode::DuplicatePackageVersion,
                            format!("package version {version} of the root process exists already"),
                        ));
                    }
                    deploy::package(ctx, id, &root_prod, &version).await?
                }
            }
        }
    };

    // The production pack: the admin's choice, the request's, or the suggestion.
    let rec = require(&ctx.store, id)?;
    let pack_id = match &rec.integration_pack_id {
        Some(pk) => pk.clone(),
        None => {
            let choice = docs
                .admin_review
                .as_ref()
                .and_then(|a| a.doc.integration_pack.clone())
                .or_else(|| req.integration_pack.clone());
            let named = match &choice {
                Some(c) => named_pack(ctx, id, c).await?,
                None => None,
            };
            let (pack_id, pack_name) = match named {
                Some(x) => x,
                None => match ctx.store.suggest_pack(&rec.process_name, Target::Production)? {
                    Some(s) => (s.pack_id, s.pack_name.unwrap_or_default()),
                    None => {
                        return Err(StepError::fail(
                            ErrorCode::PackAssignmentRequired,
                            "no production integration pack: name one in the request or the admin review",
                        ))
                    }
                },
            };
            ctx.store.update(id, |r| {
                r.integration_pack_id = Some(pack_id.clone());
                r.integration_pack_name = Some(pack_name.clone());
            })?;
            pack_id
        }
    };
    deploy::release(
        ctx,
        docs,
        &pack_id,
        &root_prod,
        &version,
        Target::Production,
    )
    .await?;
    let named_envs = docs
        .admin_review
        .as_ref()
        .and_then(|a| a.doc.environments.clone())
        .or_else(|| req.environments.clone());
    let envs = target_environments(desired, named_envs.as_ref(), Classification::Prod);
    deploy::deploy_environments(ctx, desired, docs, &package_id, &envs).await?;
    {
        let rec = require(&ctx.store, id)?;
        let deployed: Vec<String> = rec
            .deployments
            .iter()
            .filter(|d| d.status == crate::store::DeploymentStatus::Deployed)
            .map(|d| d.environment_id.clone())
            .collect();
        super::extensions::refresh(ctx, desired, &rec, &root_prod, &deployed).await;
    }

    // Clean up: the kept test branch (production from test) or the hotfix branch; the TEST
    // record is linked to who took it to production.
    if let Some(t) = &test_record {
        if let Some(b) = t.branch_id.clone() {
            delete_branch(ctx, &t.promotion_id, &b).await?;
        }
        let by = rec.initiated_by.clone();
        ctx.store
            .update(&t.promotion_id, |r| r.promoted_from_test_by = Some(by))?;
    }
    let rec = require(&ctx.store, id)?;
    if let Some(b) = rec.branch_id.clone() {
        delete_branch(ctx, id, &b).await?;
    }
    let rec = require(&ctx.store, id)?;
    let failed: Vec<String> = rec
        .deployments
        .iter()
        .filter(|d| d.status == crate::store::DeploymentStatus::Failed)
        .map(|d| d.environment_id.clone())
        .collect();
    if !envs.is_empty() && failed.len() == envs.len() {
        return Err(StepError::fail(
            ErrorCode::DeploymentFailed,
            format!(
                "deployment failed in every production environment: {}",
                failed.join(", ")
            ),
        ));
    }
    let now = ctx.clock.now();
    let partial = (!failed.is_empty())
        .then(|| format!("PARTIAL: deployment failed in {}", failed.join(", ")));
    ctx.store.apply(
        id,
        Some(&Transition::from_to(
            PromotionStatus::Deploying,
            PromotionStatus::Deployed,
            cause(
                partial
                    .clone()
                    .unwrap_or_else(|| "deployed to production".into()),
            )
            .at(now),
        )),
        |r| {
            r.deployed_at = Some(now);
            r.branch_id = None;
            r.waiting_reason = partial;
            r.error_code = None;
            r.error_message = None;
        },
    )?;

    tracing::info!(promotion = %id, "deployed to production");
    Ok(Outcome::Settled)
}
