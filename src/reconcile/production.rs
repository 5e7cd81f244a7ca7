//! The way to production (DESIGN.md §3, `seed-behaviors.md` §4 D/E3, §5): the effects of the
//! reviews — a completed hotfix submitted for review, the peer review acted on (APPROVED →
//! PENDING_ADMIN_REVIEW, REJECTED → PEER_REJECTED), the admin decision acted on (APPROVED →
//! DEPLOYING, DENIED → ADMIN_REJECTED), each recorded with the digests the deployment guard
//! checks — and the deploy windows of `promoter.yaml`. Which of them runs when is `plan`'s
//! decision; the production deployment itself is the one pipeline of `deploy`.

use super::{cause, Context, StepError};
use crate::model::{
    AdminDecision, AdminReviewStatus, DeployWindow, PeerDecision, PeerReviewStatus, PromotionStatus,
};
use crate::policy::PromotionDocs;
use crate::store::{Approval, PromotionRecord, Transition};
use chrono::{DateTime, Utc};

/// The wire name of a decision (`APPROVED`).
fn wire_name<T: serde::Serialize>(t: &T) -> String {
    serde_json::to_value(t)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
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

/// Effect::SubmitForReview: a completed hotfix waits for its peer review.
pub fn submit_for_review(
    ctx: &Context,
    rec: &PromotionRecord,
    commit: &str,
) -> Result<(), StepError> {
    ctx.store.apply(
        &rec.promotion_id,
        Some(&Transition::from_to(
            PromotionStatus::Completed,
            PromotionStatus::PendingPeerReview,
            cause("hotfix submitted for peer review")
                .commit(commit)
                .at(ctx.clock.now()),
        )),
        |r| r.peer_review_status = Some(PeerReviewStatus::PendingPeerReview),
    )?;
    Ok(())
}

/// Effect::ActOnPeerReview: APPROVED → PENDING_ADMIN_REVIEW; REJECTED → PEER_REJECTED through
/// `terminate` (the branch goes). Either way the reviewer's fields and the review acted on
/// (its digest, the request digest it carried) are recorded with the transition.
pub async fn act_on_peer_review(
    ctx: &Context,
    docs: &PromotionDocs,
    rec: &PromotionRecord,
    commit: &str,
) -> Result<(), StepError> {
    let Some(pr) = &docs.peer_review else {
        return Ok(());
    };
    let now = ctx.clock.now();
    let approval = Approval {
        decision: wire_name(&pr.doc.decision),
        by: pr.doc.reviewer.to_lowercase(),
        digest: pr.digest.clone(),
        request_digest: pr.doc.request_digest.clone(),
        peer_review_digest: None,
        commit: Some(commit.to_string()),
    };
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
    let c = cause(format!("peer {verb} by {}", pr.signer))
        .document(pr.path.clone())
        .commit(commit)
        .at(now);
    super::driver::terminate(ctx, &rec.promotion_id, to, c, |r| {
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
        }
    })
    .await
}

/// Effect::ActOnAdminDecision: APPROVED → DEPLOYING; DENIED → ADMIN_REJECTED through
/// `terminate`. The decision acted on is recorded with the transition.
pub async fn act_on_admin_decision(
    ctx: &Context,
    docs: &PromotionDocs,
    rec: &PromotionRecord,
    commit: &str,
) -> Result<(), StepError> {
    let Some(ar) = &docs.admin_review else {
        return Ok(());
    };
    let now = ctx.clock.now();
    let approval = Approval {
        decision: wire_name(&ar.doc.decision),
        by: ar.doc.admin.to_lowercase(),
        digest: ar.digest.clone(),
        request_digest: ar.doc.request_digest.clone(),
        peer_review_digest: Some(ar.doc.peer_review_digest.clone()),
        commit: Some(commit.to_string()),
    };
    let (to, why, status) = match ar.doc.decision {
        AdminDecision::Approved => (
            PromotionStatus::Deploying,
            format!("approved by {}", ar.signer),
            AdminReviewStatus::AdminApproved,
        ),
        AdminDecision::Denied => (
            PromotionStatus::AdminRejected,
            format!("denied by {}", ar.signer),
            AdminReviewStatus::AdminRejected,
        ),
    };
    let c = cause(why).document(ar.path.clone()).commit(commit).at(now);
    super::driver::terminate(ctx, &rec.promotion_id, to, c, |r| {
        r.approvals.admin = Some(approval.clone());
        r.admin_review_status = Some(status);
        r.admin_approved_by = Some(ar.doc.admin.to_lowercase());
        r.admin_approved_at = Some(now);
        r.admin_comments = ar.doc.comments.clone();
        r.document_commits.admin_review = Some(commit.to_string());
        r.error_code = None;
        r.waiting_reason = None;
    })
    .await
}
