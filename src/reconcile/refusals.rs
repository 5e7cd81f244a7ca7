//! Refusals are state: the problems the reconciler keeps in the store, shows everywhere, logs
//! once and tells the author about, and clears when their cause is reverted or superseded.
//!
//! Two sources feed them:
//!
//! - the verification of the repository (every problem `policy` reports: signatures, identities,
//!   tiers, teams, self-review, self-approval, stale approvals…), kept as a whole each pass;
//! - the rules that need the promotion log ([`lifecycle`], pure): a review that arrives on a
//!   promotion that can no longer take it (a review on a WITHDRAWN promotion), a review or
//!   decision changed after it was acted on, an admin decision on another peer review, a
//!   request that vanished from git, a request edited after it was accepted, and the deployment
//!   guard's refusals — computed for the promotions a pass looks at.

use super::{Context, StepError};
use crate::model::{ErrorCode, Problem, PromotionStatus};
use crate::policy::PromotionDocs;
use crate::store::{ProblemScope, ProblemSource, PromotionRecord, StoredProblem};
use std::collections::BTreeSet;

fn path(id: &str, file: &str) -> String {
    format!("promotions/{id}/{file}")
}

/// The problems of one promotion that only its record can tell: pure, from the record and the
/// promotion's verified documents in force (`None`: the request does not verify or vanished;
/// `request_in_git` says which).
pub fn lifecycle(
    rec: &PromotionRecord,
    docs: Option<&PromotionDocs>,
    request_in_git: bool,
    admin_file: bool,
) -> Vec<Problem> {
    use PromotionStatus as S;
    let id = rec.promotion_id.as_str();
    let status = rec.status;
    let mut out = Vec::new();
    let Some(docs) = docs else {
        if !request_in_git && !status.is_terminal() {
            out.push(Problem::new(
                path(id, "request.yaml"),
                ErrorCode::DesiredStateMissing,
                format!(
                    "the request of this {status} promotion vanished from git without a signed withdrawal; nothing is done until it is restored or withdrawn"
                ),
            ));
        }
        return out;
    };
    if rec.request_digest.as_deref() != Some(docs.request.digest.as_str()) && !status.is_terminal()
    {
        out.push(
            Problem::new(
                docs.request.path.as_str(),
                ErrorCode::InvalidPromotionStatus,
                "request.yaml changed after it was accepted; the change is ignored (withdraw or cancel, then open a new promotion)",
            )
            .by(
                Some(&docs.request.doc.initiated_by),
                Some(&docs.request.signer),
            ),
        );
    }
    let late = |what: &str| {
        format!("{what} arrived when the promotion was already {status}; it is ignored")
    };
    // The peer review: taken in PENDING_PEER_REVIEW only.
    if let Some(pr) = &docs.peer_review {
        let acted = rec.approvals.peer.as_ref();
        let problem = match (status, acted) {
            (_, Some(a)) if a.digest != pr.digest => Some((
                ErrorCode::AlreadyReviewed,
                format!(
                    "peer-review.yaml changed after {} reviewed it; the first review stands",
                    a.by
                ),
            )),
            (_, Some(_)) => None,
            (S::Withdrawn | S::Failed | S::TestCancelled, None) => {
                Some((ErrorCode::InvalidPromotionStatus, late("the peer review")))
            }
            _ => None,
        };
        if let Some((code, msg)) = problem {
            out.push(
                Problem::new(pr.path.as_str(), code, msg)
                    .by(Some(&pr.doc.reviewer), Some(&pr.signer)),
            );
        }
    }
    // The admin decision: taken in PENDING_ADMIN_REVIEW, on the peer review acted on.
    if let Some(ar) = &docs.admin_review {
        let acted = rec.approvals.admin.as_ref();
        let acted_peer = rec.approvals.peer.as_ref().map(|p| p.digest.as_str());
        let problem = match (status, acted) {
            (_, Some(a)) if a.digest != ar.digest => Some((
                ErrorCode::AlreadyReviewed,
                format!(
                    "admin-review.yaml changed after {}'s decision was acted on; the first decision stands",
                    a.by
                ),
            )),
            (_, Some(_)) => None,
            (S::PendingAdminReview, None)
                if acted_peer != Some(ar.doc.peer_review_digest.as_str()) =>
            {
                Some((
                    ErrorCode::StaleApproval,
                    "the admin decision does not build on the peer review that was acted on"
                        .to_string(),
                ))
            }
            (S::Withdrawn | S::Failed | S::PeerRejected | S::TestCancelled, None) => {
                Some((ErrorCode::InvalidPromotionStatus, late("the admin decision")))
            }
            _ => None,
        };
        if let Some((code, msg)) = problem {
            out.push(
                Problem::new(ar.path.as_str(), code, msg).by(Some(&ar.doc.admin), Some(&ar.signer)),
            );
        }
    }
    // An admin decision before the promotion awaits one.
    if admin_file && rec.approvals.admin.is_none() && early(status) {
        out.push(Problem::new(
            path(id, "admin-review.yaml"),
            ErrorCode::PromotionNotCompleted,
            format!(
                "the promotion is {status}: an admin decides once it awaits an admin review (after an APPROVED peer review is acted on); the decision is ignored until then"
            ),
        ).by(
            docs.admin_review.as_ref().map(|a| a.doc.admin.as_str()),
            docs.admin_review.as_ref().map(|a| a.signer.as_str()),
        ));
    }
    // A withdrawal: taken while waiting for a review.
    if let Some(w) = &docs.withdrawal {
        if matches!(
            status,
            S::Deploying | S::Deployed | S::PeerRejected | S::AdminRejected | S::Failed
        ) {
            out.push(
                Problem::new(
                    w.path.as_str(),
                    ErrorCode::InvalidPromotionStatus,
                    format!("a {status} promotion cannot be withdrawn; the withdrawal is ignored"),
                )
                .by(Some(&w.doc.by), Some(&w.signer)),
            );
        }
    }
    // A test cancellation: taken once the test deployment is done (or failed).
    if let Some(c) = &docs.cancel_test {
        let refused_here = rec.error_code == Some(ErrorCode::InvalidPromotionStatus)
            && matches!(
                status,
                S::TestDeployed | S::TestDeployFailed | S::PendingPackAssignment
            );
        let msg = if refused_here {
            rec.waiting_reason.clone()
        } else if status == S::Failed {
            Some(format!(
                "a {status} promotion cannot be cancelled; the cancellation is ignored"
            ))
        } else {
            None
        };
        if let Some(msg) = msg {
            out.push(
                Problem::new(c.path.as_str(), ErrorCode::InvalidPromotionStatus, msg)
                    .by(Some(&c.doc.by), Some(&c.signer)),
            );
        }
    }
    // An approval of a downgrade without its acknowledgement.
    if rec.error_code == Some(ErrorCode::DowngradeNotAcknowledged)
        && status == S::PendingAdminReview
    {
        if let Some(ar) = &docs.admin_review {
            out.push(
                Problem::new(
                    ar.path.as_str(),
                    ErrorCode::DowngradeNotAcknowledged,
                    rec.waiting_reason.clone().unwrap_or_default(),
                )
                .by(Some(&ar.doc.admin), Some(&ar.signer)),
            );
        }
    }
    // The deployment guard's refusals, while the promotion waits on them.
    if let Some(
        code @ (ErrorCode::DeploymentNotApproved
        | ErrorCode::EnvironmentClassificationMismatch
        | ErrorCode::InvalidDeploymentTarget),
    ) = rec.error_code
    {
        if !status.is_terminal() {
            out.push(
                Problem::new(
                    docs.request.path.as_str(),
                    code,
                    rec.error_message.clone().unwrap_or_default(),
                )
                .by(
                    Some(&docs.request.doc.initiated_by),
                    Some(&docs.request.signer),
                ),
            );
        }
    }
    out
}

/// Statuses before a promotion awaits its admin decision.
pub fn early(status: PromotionStatus) -> bool {
    use PromotionStatus as S;
    match status {
        S::Queued | S::InProgress | S::Completed | S::PendingPeerReview => true,
        S::Failed
        | S::TestDeploying
        | S::TestDeployed
        | S::TestDeployFailed
        | S::PendingPackAssignment
        | S::TestCancelled
        | S::PeerRejected
        | S::PendingAdminReview
        | S::AdminRejected
        | S::Deploying
        | S::Deployed
        | S::Withdrawn => false,
    }
}

/// Whether a verification problem is one the lifecycle says better: an admin decision
/// refused as stale or out of order while its promotion does not await one yet
/// (`PROMOTION_NOT_COMPLETED`, naming the status, is kept instead).
pub fn superseded_by_lifecycle(
    p: &Problem,
    status_of: impl Fn(&str) -> Option<PromotionStatus>,
) -> bool {
    let Some(id) = crate::store::promotion_of(&p.file) else {
        return false;
    };
    p.file.ends_with("/admin-review.yaml")
        && matches!(
            p.code,
            ErrorCode::StaleApproval | ErrorCode::InvalidReviewState
        )
        && status_of(id).is_some_and(early)
}

/// Keep the verification's problems: open the new ones, clear those whose cause is gone.
/// Returns the newly opened.
pub fn keep_document_problems(
    ctx: &Context,
    problems: &[Problem],
    commit: &str,
) -> Result<Vec<StoredProblem>, StepError> {
    let now = ctx.clock.now();
    Ok(ctx.store.write(|tx| {
        tx.sync_problems(
            ProblemSource::Document,
            ProblemScope::All,
            problems,
            commit,
            now,
        )
    })?)
}

/// Keep the lifecycle problems of the promotions `ids` (all of them, computed by the caller).
pub fn keep_lifecycle_problems(
    ctx: &Context,
    ids: &BTreeSet<String>,
    problems: &[Problem],
    commit: &str,
) -> Result<Vec<StoredProblem>, StepError> {
    let now = ctx.clock.now();
    Ok(ctx.store.write(|tx| {
        tx.sync_problems(
            ProblemSource::Lifecycle,
            ProblemScope::Promotions(ids),
            problems,
            commit,
            now,
        )
    })?)
}

/// Say each newly kept problem once: a WARN line with its fields, and a notification to the
/// document's author.
pub async fn announce(ctx: &Context, opened: &[StoredProblem]) {
    for p in opened {
        let d = &p.problem;
        tracing::warn!(
            file = %d.file,
            line = d.line,
            code = %d.code,
            promotion = %p.promotion_id.as_deref().unwrap_or("-"),
            claimed = %d.claimed().unwrap_or("-"),
            signer = %d.signer().unwrap_or("-"),
            commit = %p.commit,
            "document refused: {}",
            d.message
        );
        if let Some(event) = crate::notify_out::Event::document_refused(p) {
            ctx.notifier.send(&event).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;
    use crate::policy::Signed;
    use crate::store::Approval;

    fn signed<T>(doc: T, file: &str, digest: &str, signer: &str) -> Signed<T> {
        Signed {
            doc,
            path: format!("promotions/p1/{file}"),
            digest: digest.into(),
            signer: signer.into(),
            fingerprint: "SHA256:x".into(),
        }
    }

    fn docs() -> PromotionDocs {
        let request = PromotionRequest {
            api_version: ApiVersion::V1,
            kind: Kind::PromotionRequest,
            id: "p1".into(),
            initiated_by: "alice@example.com".into(),
            dev_account_id: "dev-team-a".into(),
            process_name: "Orders".into(),
            root_component_id: Some("root".into()),
            dev_package_id: None,
            components: None,
            target: Target::Production,
            from_test: None,
            hotfix: Some(Hotfix {
                justification: "down".into(),
            }),
            package_version: "1.0.1".into(),
            integration_pack: None,
            environments: None,
            notes: None,
        };
        PromotionDocs {
            id: "p1".into(),
            request: signed(request, "request.yaml", "sha256:req", "alice@example.com"),
            peer_review: None,
            admin_review: None,
            pack_assignment: None,
            withdrawal: None,
            cancel_test: None,
        }
    }

    fn peer(digest: &str) -> Signed<PeerReview> {
        signed(
            PeerReview {
                api_version: ApiVersion::V1,
                kind: Kind::PeerReview,
                promotion: "p1".into(),
                request_digest: "sha256:req".into(),
                decision: PeerDecision::Approved,
                reviewer: "bob@example.com".into(),
                comments: None,
            },
            "peer-review.yaml",
            digest,
            "bob@example.com",
        )
    }

    fn admin(digest: &str, on_peer: &str) -> Signed<AdminReview> {
        signed(
            AdminReview {
                api_version: ApiVersion::V1,
                kind: Kind::AdminReview,
                promotion: "p1".into(),
                request_digest: "sha256:req".into(),
                peer_review_digest: on_peer.into(),
                decision: AdminDecision::Approved,
                admin: "carol@example.com".into(),
                acknowledge_hotfix: true,
                acknowledge_downgrade: false,
                integration_pack: None,
                environments: None,
                comments: None,
            },
            "admin-review.yaml",
            digest,
            "carol@example.com",
        )
    }

    fn withdrawal() -> Signed<Withdrawal> {
        signed(
            Withdrawal {
                api_version: ApiVersion::V1,
                kind: Kind::Withdrawal,
                promotion: "p1".into(),
                request_digest: "sha256:req".into(),
                by: "alice@example.com".into(),
                reason: None,
            },
            "withdrawal.yaml",
            "sha256:w",
            "alice@example.com",
        )
    }

    fn record(status: PromotionStatus) -> PromotionRecord {
        let mut r = PromotionRecord::new(
            "p1",
            "dev-team-a",
            "alice@example.com",
            "Orders",
            Target::Production,
            status,
            chrono::Utc::now(),
        );
        r.request_digest = Some("sha256:req".into());
        r
    }

    fn acted(digest: &str) -> Approval {
        Approval {
            decision: "APPROVED".into(),
            by: "bob@example.com".into(),
            digest: digest.into(),
            request_digest: "sha256:req".into(),
            peer_review_digest: Some("sha256:peer".into()),
            commit: None,
        }
    }

    fn codes(ps: &[Problem]) -> Vec<(String, ErrorCode)> {
        ps.iter()
            .map(|p| {
                (
                    p.file.trim_start_matches("promotions/p1/").to_string(),
                    p.code,
                )
            })
            .collect()
    }

    #[test]
    fn the_rules_that_need_the_promotion_log() {
        use PromotionStatus as S;
        type Case = (
            &'static str,
            PromotionStatus,
            fn(&mut PromotionRecord, &mut PromotionDocs),
            Vec<(&'static str, ErrorCode)>,
        );
        let cases: Vec<Case> = vec![
            ("nothing to say", S::PendingPeerReview, |_, _| {}, vec![]),
            (
                "a review on a withdrawn promotion",
                S::Withdrawn,
                |_, d| d.peer_review = Some(peer("sha256:peer")),
                vec![("peer-review.yaml", ErrorCode::InvalidPromotionStatus)],
            ),
            (
                "a decision on a withdrawn promotion",
                S::Withdrawn,
                |_, d| d.admin_review = Some(admin("sha256:admin", "sha256:peer")),
                vec![("admin-review.yaml", ErrorCode::InvalidPromotionStatus)],
            ),
            (
                "a review changed after it was acted on",
                S::PendingAdminReview,
                |r, d| {
                    r.approvals.peer = Some(acted("sha256:peer"));
                    d.peer_review = Some(peer("sha256:peer-edited"));
                },
                vec![("peer-review.yaml", ErrorCode::AlreadyReviewed)],
            ),
            (
                "the review acted on, unchanged",
                S::Deployed,
                |r, d| {
                    r.approvals.peer = Some(acted("sha256:peer"));
                    d.peer_review = Some(peer("sha256:peer"));
                },
                vec![],
            ),
            (
                "a decision on another peer review",
                S::PendingAdminReview,
                |r, d| {
                    r.approvals.peer = Some(acted("sha256:peer"));
                    d.peer_review = Some(peer("sha256:peer"));
                    d.admin_review = Some(admin("sha256:admin", "sha256:older-peer"));
                },
                vec![("admin-review.yaml", ErrorCode::StaleApproval)],
            ),
            (
                "a decision before the promotion awaits one",
                S::PendingPeerReview,
                |_, d| d.admin_review = Some(admin("sha256:admin", "sha256:peer")),
                vec![("admin-review.yaml", ErrorCode::PromotionNotCompleted)],
            ),
            (
                "a decision while the hotfix is still promoted",
                S::InProgress,
                |_, d| d.admin_review = Some(admin("sha256:admin", "sha256:peer")),
                vec![("admin-review.yaml", ErrorCode::PromotionNotCompleted)],
            ),
            (
                "a decision changed after it was acted on",
                S::Deploying,
                |r, d| {
                    r.approvals.peer = Some(acted("sha256:peer"));
                    r.approvals.admin = Some(acted("sha256:admin"));
                    d.admin_review = Some(admin("sha256:admin-edited", "sha256:peer"));
                },
                vec![("admin-review.yaml", ErrorCode::AlreadyReviewed)],
            ),
            (
                "a withdrawal after the approval",
                S::Deploying,
                |_, d| d.withdrawal = Some(withdrawal()),
                vec![("withdrawal.yaml", ErrorCode::InvalidPromotionStatus)],
            ),
            (
                "a withdrawal before the review is pending, not refused",
                S::InProgress,
                |_, d| d.withdrawal = Some(withdrawal()),
                vec![],
            ),
            (
                "a request edited after it was accepted",
                S::PendingPeerReview,
                |r, _| r.request_digest = Some("sha256:first".into()),
                vec![("request.yaml", ErrorCode::InvalidPromotionStatus)],
            ),
            (
                "the guard refused",
                S::Deploying,
                |r, _| {
                    r.error_code = Some(ErrorCode::DeploymentNotApproved);
                    r.error_message = Some("no admin decision".into());
                },
                vec![("request.yaml", ErrorCode::DeploymentNotApproved)],
            ),
        ];
        for (name, status, edit, expected) in cases {
            let mut r = record(status);
            let mut d = docs();
            edit(&mut r, &mut d);
            let got = lifecycle(&r, Some(&d), true, d.admin_review.is_some());
            let expected: Vec<(String, ErrorCode)> = expected
                .into_iter()
                .map(|(f, c)| (f.to_string(), c))
                .collect();
            assert_eq!(codes(&got), expected, "{name}");
            for p in &got {
                assert!(p.author_email().is_some(), "{name}: {p:?}");
            }
        }
    }

    #[test]
    fn a_vanished_request_is_a_problem_until_it_is_back() {
        let r = record(PromotionStatus::PendingAdminReview);
        assert_eq!(
            codes(&lifecycle(&r, None, false, false)),
            vec![("request.yaml".to_string(), ErrorCode::DesiredStateMissing)]
        );
        // Present but invalid: the verification says why, not this.
        assert!(lifecycle(&r, None, true, false).is_empty());
        // A finished promotion's files may be cleaned up.
        assert!(lifecycle(&record(PromotionStatus::Deployed), None, false, false).is_empty());
    }
}
