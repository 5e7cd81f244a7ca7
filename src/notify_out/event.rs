//! The notification events: the seven of `seed-behaviors.md` §8, and `DOCUMENT_REFUSED` (a
//! refused document, told to its author; [`super::refusal`]). Who receives each one, its
//! subject, its plain-text body and its JSON form for the webhook. Pure: no I/O.
//!
//! A promotion event is a snapshot taken from a [`PromotionRecord`] plus what the event adds
//! (the reviewer, the comments); a refusal is taken from a kept problem ([`StoredProblem`]).
//! An event owns its data, so it can be handed to a background task.
//! Withdrawal, test cancellation, promotion failure and pack assignment have no event: the
//! sources never send anything for them.

pub use super::refusal::RefusalInfo;
use crate::model::{PromotionStatus, Target};
use crate::store::record::{format_ts, parse_ts, DeploymentStatus, PromotionRecord};
use crate::store::StoredProblem;
use chrono::Utc;
use serde::Serialize;
use serde_json::{json, Value};
use std::fmt::Write as _;

/// The text used when a reviewer left no comments.
pub const NO_COMMENTS: &str = "No comments provided.";

/// The subject prefix of the emergency-hotfix events.
pub const HOTFIX_PREFIX: &str = "⚠ EMERGENCY HOTFIX";

/// Which event (the `event` field of the webhook JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventKind {
    /// §8 #1: a production-from-test promotion waits for peer review.
    PeerReviewNeeded,
    /// §8 #7: an emergency hotfix waits for peer review.
    HotfixSubmitted,
    /// §8 #2: the peer approved; the admin review is next.
    PeerApproved,
    /// §8 #3: the peer rejected.
    PeerRejected,
    /// §8 #4: an admin approved and the package is deployed to production.
    AdminApprovedDeployed,
    /// §8 #5: an admin denied.
    AdminDenied,
    /// §8 #6: a TEST promotion is deployed to the test environments.
    TestDeployed,
    /// A document of the repository is refused (told to its author only).
    DocumentRefused,
}

impl EventKind {
    /// Every kind: the seven promotion events ([`EventKind::PROMOTION`]), then
    /// `DOCUMENT_REFUSED`.
    pub const ALL: &'static [EventKind] = &[
        EventKind::PeerReviewNeeded,
        EventKind::HotfixSubmitted,
        EventKind::PeerApproved,
        EventKind::PeerRejected,
        EventKind::AdminApprovedDeployed,
        EventKind::AdminDenied,
        EventKind::TestDeployed,
        EventKind::DocumentRefused,
    ];

    /// The seven events of a promotion's life, in the order of §8's table rows as numbered
    /// (1…7 by trigger): the kinds whose event carries a [`PromotionSummary`].
    pub const PROMOTION: &'static [EventKind] = EventKind::ALL.split_at(7).0;

    /// The wire name (`PEER_APPROVED`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::PeerReviewNeeded => "PEER_REVIEW_NEEDED",
            EventKind::HotfixSubmitted => "HOTFIX_SUBMITTED",
            EventKind::PeerApproved => "PEER_APPROVED",
            EventKind::PeerRejected => "PEER_REJECTED",
            EventKind::AdminApprovedDeployed => "ADMIN_APPROVED_DEPLOYED",
            EventKind::AdminDenied => "ADMIN_DENIED",
            EventKind::TestDeployed => "TEST_DEPLOYED",
            EventKind::DocumentRefused => "DOCUMENT_REFUSED",
        }
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What every event says about its promotion, copied from the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PromotionSummary {
    pub promotion_id: String,
    pub process_name: String,
    pub package_version: Option<String>,
    /// The submitter (lower-case e-mail).
    pub initiated_by: String,
    pub dev_account_id: String,
    pub target: Target,
    pub is_hotfix: bool,
    pub hotfix_justification: Option<String>,
    pub components_total: i64,
    pub components_created: i64,
    pub components_updated: i64,
    pub components_failed: i64,
    pub notes: Option<String>,
    /// Production from test: the TEST promotion whose content is shipped.
    pub test_promotion_id: Option<String>,
    pub test_integration_pack_name: Option<String>,
    pub test_deployed_at: Option<String>,
}

impl PromotionSummary {
    fn of(rec: &PromotionRecord) -> Self {
        PromotionSummary {
            promotion_id: rec.promotion_id.clone(),
            process_name: rec.process_name.clone(),
            package_version: non_empty(rec.package_version.as_deref()),
            initiated_by: rec.initiated_by.clone(),
            dev_account_id: rec.dev_account_id.clone(),
            target: rec.target_environment,
            is_hotfix: rec.is_hotfix,
            hotfix_justification: non_empty(rec.hotfix_justification.as_deref()),
            components_total: rec.components_total,
            components_created: rec.components_created,
            components_updated: rec.components_updated,
            components_failed: rec.components_failed,
            notes: non_empty(rec.deployment_notes.as_deref()),
            test_promotion_id: non_empty(rec.test_promotion_id.as_deref()),
            test_integration_pack_name: non_empty(rec.test_integration_pack_name.as_deref()),
            test_deployed_at: rec.test_deployed_at.as_ref().map(format_ts),
        }
    }

    /// `{processName} v{packageVersion}` (without the version when there is none).
    fn title(&self) -> String {
        match &self.package_version {
            Some(v) => format!("{} v{}", self.process_name, v),
            None => self.process_name.clone(),
        }
    }
}

/// A peer's decision as the events carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerDecisionInfo {
    pub reviewer: String,
    pub comments: Option<String>,
}

/// An admin's decision as the events carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminDecisionInfo {
    pub admin: String,
    pub comments: Option<String>,
    /// The peer reviewer of the promotion (a recipient of the admin's decision).
    pub peer_reviewer: Option<String>,
}

/// One deployment to one environment, as event #4 reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentInfo {
    pub environment_id: String,
    pub deployment_id: Option<String>,
    pub status: DeploymentStatus,
}

/// What event #4 adds: the production deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeployedInfo {
    pub prod_package_id: Option<String>,
    pub integration_pack_name: Option<String>,
    pub release_id: Option<String>,
    pub deployed_at: String,
    pub deployments: Vec<DeploymentInfo>,
}

/// What event #6 adds: the test deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestDeployedInfo {
    pub integration_pack_name: Option<String>,
    pub deployed_at: String,
    pub deployments: Vec<DeploymentInfo>,
}

/// One notification event: the seven of `seed-behaviors.md` §8, or a refused document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// #1: submission of a production-from-test promotion for peer review.
    PeerReviewNeeded { promotion: PromotionSummary },
    /// #7: an emergency hotfix submitted for peer review.
    HotfixSubmitted { promotion: PromotionSummary },
    /// #2: peer approved, admin review needed.
    PeerApproved {
        promotion: PromotionSummary,
        review: PeerDecisionInfo,
    },
    /// #3: peer rejected.
    PeerRejected {
        promotion: PromotionSummary,
        review: PeerDecisionInfo,
    },
    /// #4: admin approved, deployed to production.
    AdminApprovedDeployed {
        promotion: PromotionSummary,
        decision: AdminDecisionInfo,
        deployed: DeployedInfo,
    },
    /// #5: admin denied.
    AdminDenied {
        promotion: PromotionSummary,
        decision: AdminDecisionInfo,
    },
    /// #6: test deployment complete.
    TestDeployed {
        promotion: PromotionSummary,
        deployed: TestDeployedInfo,
    },
    /// A refused document, told to its author.
    DocumentRefused { refusal: RefusalInfo },
}

/// The addresses one event goes to: `To` and `Cc`, de-duplicated ignoring case, no address in
/// both.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recipients {
    pub to: Vec<String>,
    pub cc: Vec<String>,
}

impl Recipients {
    /// Every address, `To` first.
    pub fn all(&self) -> impl Iterator<Item = &str> {
        self.to.iter().chain(self.cc.iter()).map(String::as_str)
    }

    /// No address at all.
    pub fn is_empty(&self) -> bool {
        self.to.is_empty() && self.cc.is_empty()
    }
}

/// The distribution lists an event may go to (from `promoter.yaml`'s `notifications`).
///
/// Each list is one address or several separated by `,` or `;`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Lists<'a> {
    pub developers: Option<&'a str>,
    pub admins: Option<&'a str>,
}

impl<'a> Lists<'a> {
    /// The lists of the `notifications` settings.
    pub fn of(settings: &'a crate::model::Notifications) -> Self {
        Lists {
            developers: settings.developers_list.as_deref(),
            admins: settings.admins_list.as_deref(),
        }
    }
}

impl Event {
    // -----------------------------------------------------------------------------------------
    // construction

    /// #1: a production-from-test promotion was submitted for peer review.
    pub fn peer_review_needed(rec: &PromotionRecord) -> Event {
        Event::PeerReviewNeeded {
            promotion: PromotionSummary::of(rec),
        }
    }

    /// #7: an emergency hotfix was submitted for peer review.
    pub fn hotfix_submitted(rec: &PromotionRecord) -> Event {
        Event::HotfixSubmitted {
            promotion: PromotionSummary::of(rec),
        }
    }

    /// The submission event of a promotion that now waits for peer review: #7 for a hotfix,
    /// #1 otherwise. `None` for a TEST promotion (it has no review).
    pub fn submitted_for_review(rec: &PromotionRecord) -> Option<Event> {
        match (rec.target_environment, rec.is_hotfix) {
            (Target::Test, _) => None,
            (Target::Production, true) => Some(Event::hotfix_submitted(rec)),
            (Target::Production, false) => Some(Event::peer_review_needed(rec)),
        }
    }

    /// #2: `reviewer` approved the promotion; an admin review is needed.
    pub fn peer_approved(rec: &PromotionRecord, reviewer: &str, comments: Option<&str>) -> Event {
        Event::PeerApproved {
            promotion: PromotionSummary::of(rec),
            review: PeerDecisionInfo {
                reviewer: reviewer.to_lowercase(),
                comments: non_empty(comments),
            },
        }
    }

    /// #3: `reviewer` rejected the promotion; `reason` is the review's comments.
    pub fn peer_rejected(rec: &PromotionRecord, reviewer: &str, reason: Option<&str>) -> Event {
        Event::PeerRejected {
            promotion: PromotionSummary::of(rec),
            review: PeerDecisionInfo {
                reviewer: reviewer.to_lowercase(),
                comments: non_empty(reason),
            },
        }
    }

    /// #4: `admin` approved and the package is deployed to production.
    ///
    /// The deployment (per-environment deployment ids, production package id, release, time)
    /// is read from the record, so build the event after the record holds the results; when
    /// `deployedAt` is not set yet, now is used. The peer reviewer comes from
    /// `peerReviewedBy`.
    pub fn admin_approved_deployed(
        rec: &PromotionRecord,
        admin: &str,
        comments: Option<&str>,
    ) -> Event {
        Event::AdminApprovedDeployed {
            promotion: PromotionSummary::of(rec),
            decision: admin_decision(rec, admin, comments),
            deployed: DeployedInfo {
                prod_package_id: non_empty(rec.prod_package_id.as_deref()),
                integration_pack_name: non_empty(rec.integration_pack_name.as_deref()),
                release_id: non_empty(rec.release_id.as_deref()),
                deployed_at: format_ts(&rec.deployed_at.unwrap_or_else(Utc::now)),
                deployments: deployments(rec),
            },
        }
    }

    /// #5: `admin` denied the promotion; `comments` carry the reason.
    pub fn admin_denied(rec: &PromotionRecord, admin: &str, comments: Option<&str>) -> Event {
        Event::AdminDenied {
            promotion: PromotionSummary::of(rec),
            decision: admin_decision(rec, admin, comments),
        }
    }

    /// #6: the TEST promotion is deployed. `None` unless the record's status is
    /// `TEST_DEPLOYED` (§8: not sent when the promotion waits in `PENDING_PACK_ASSIGNMENT`,
    /// nor on a failed test deployment).
    ///
    /// The test pack is `testIntegrationPackName`, else `integrationPackName`; the time is
    /// `testDeployedAt`, else `deployedAt`, else now.
    pub fn test_deployed(rec: &PromotionRecord) -> Option<Event> {
        if rec.status != PromotionStatus::TestDeployed {
            return None;
        }
        let at = rec
            .test_deployed_at
            .or(rec.deployed_at)
            .unwrap_or_else(Utc::now);
        Some(Event::TestDeployed {
            promotion: PromotionSummary::of(rec),
            deployed: TestDeployedInfo {
                integration_pack_name: non_empty(rec.test_integration_pack_name.as_deref())
                    .or_else(|| non_empty(rec.integration_pack_name.as_deref())),
                deployed_at: format_ts(&at),
                deployments: deployments(rec),
            },
        })
    }

    /// A document is refused: tell its author (the signer, else the identity it claims), and
    /// nobody else. `None` when no author is known or the problem is cleared already.
    pub fn document_refused(p: &StoredProblem) -> Option<Event> {
        RefusalInfo::of(p).map(|refusal| Event::DocumentRefused { refusal })
    }

    /// The event to send now that `rec` has just entered its current status, from what the
    /// record holds (`peerReviewedBy`, `peerReviewComments`, `adminApprovedBy`,
    /// `adminComments`, the deployments):
    ///
    /// | status | event |
    /// |---|---|
    /// | `PENDING_PEER_REVIEW` (production) | #1, or #7 for a hotfix |
    /// | `PENDING_ADMIN_REVIEW` | #2 |
    /// | `PEER_REJECTED` | #3 |
    /// | `DEPLOYED` (production) | #4 |
    /// | `ADMIN_REJECTED` | #5 |
    /// | `TEST_DEPLOYED` | #6 |
    ///
    /// Every other status — `WITHDRAWN`, `TEST_CANCELLED`, `FAILED`, `TEST_DEPLOY_FAILED`,
    /// `PENDING_PACK_ASSIGNMENT`, the working states — sends nothing (`None`).
    pub fn on_transition(rec: &PromotionRecord) -> Option<Event> {
        let peer = rec.peer_reviewed_by.as_deref().unwrap_or("");
        let admin = rec.admin_approved_by.as_deref().unwrap_or("");
        match rec.status {
            PromotionStatus::PendingPeerReview => Event::submitted_for_review(rec),
            PromotionStatus::PendingAdminReview => Some(Event::peer_approved(
                rec,
                peer,
                rec.peer_review_comments.as_deref(),
            )),
            PromotionStatus::PeerRejected => Some(Event::peer_rejected(
                rec,
                peer,
                rec.peer_review_comments.as_deref(),
            )),
            PromotionStatus::Deployed => match rec.target_environment {
                Target::Production => Some(Event::admin_approved_deployed(
                    rec,
                    admin,
                    rec.admin_comments.as_deref(),
                )),
                Target::Test => None,
            },
            PromotionStatus::AdminRejected => Some(Event::admin_denied(
                rec,
                admin,
                rec.admin_comments.as_deref(),
            )),
            PromotionStatus::TestDeployed => Event::test_deployed(rec),
            PromotionStatus::Queued
            | PromotionStatus::InProgress
            | PromotionStatus::Completed
            | PromotionStatus::Failed
            | PromotionStatus::TestDeploying
            | PromotionStatus::TestDeployFailed
            | PromotionStatus::PendingPackAssignment
            | PromotionStatus::TestCancelled
            | PromotionStatus::Deploying
            | PromotionStatus::Withdrawn => None,
        }
    }

    // -----------------------------------------------------------------------------------------
    // reading

    pub fn kind(&self) -> EventKind {
        match self {
            Event::PeerReviewNeeded { .. } => EventKind::PeerReviewNeeded,
            Event::HotfixSubmitted { .. } => EventKind::HotfixSubmitted,
            Event::PeerApproved { .. } => EventKind::PeerApproved,
            Event::PeerRejected { .. } => EventKind::PeerRejected,
            Event::AdminApprovedDeployed { .. } => EventKind::AdminApprovedDeployed,
            Event::AdminDenied { .. } => EventKind::AdminDenied,
            Event::TestDeployed { .. } => EventKind::TestDeployed,
            Event::DocumentRefused { .. } => EventKind::DocumentRefused,
        }
    }

    /// The promotion a promotion event is about (`None` for a refused document).
    pub fn promotion(&self) -> Option<&PromotionSummary> {
        match self {
            Event::PeerReviewNeeded { promotion }
            | Event::HotfixSubmitted { promotion }
            | Event::PeerApproved { promotion, .. }
            | Event::PeerRejected { promotion, .. }
            | Event::AdminApprovedDeployed { promotion, .. }
            | Event::AdminDenied { promotion, .. }
            | Event::TestDeployed { promotion, .. } => Some(promotion),
            Event::DocumentRefused { .. } => None,
        }
    }

    /// The refused document of a `DOCUMENT_REFUSED` event.
    pub fn refusal(&self) -> Option<&RefusalInfo> {
        match self {
            Event::DocumentRefused { refusal } => Some(refusal),
            _ => None,
        }
    }

    /// The promotion the event is about: always set for a promotion event; for a refused
    /// document, the promotion whose directory holds it (`None` for a repository document).
    pub fn promotion_id(&self) -> Option<&str> {
        match self {
            Event::DocumentRefused { refusal } => refusal.promotion_id.as_deref(),
            other => other.promotion().map(|p| p.promotion_id.as_str()),
        }
    }

    /// Who receives the e-mail (§8): the dev and admin lists (submitter in Cc) for a
    /// submission; the admin list and the submitter for a peer approval; the submitter for a
    /// peer rejection and a test deployment; the submitter and the peer reviewer for an admin
    /// decision; the author alone for a refused document (never a list).
    pub fn recipients(&self, lists: Lists<'_>) -> Recipients {
        let submitter = self.promotion().map_or("", |p| p.initiated_by.as_str());
        let mut to: Vec<&str> = Vec::new();
        let mut cc: Vec<&str> = Vec::new();
        match self {
            Event::PeerReviewNeeded { .. } | Event::HotfixSubmitted { .. } => {
                to.extend(split_list(lists.developers));
                to.extend(split_list(lists.admins));
                cc.push(submitter);
            }
            Event::PeerApproved { .. } => {
                to.extend(split_list(lists.admins));
                to.push(submitter);
            }
            Event::PeerRejected { .. } | Event::TestDeployed { .. } => to.push(submitter),
            Event::AdminApprovedDeployed { decision, .. } | Event::AdminDenied { decision, .. } => {
                to.push(submitter);
                if let Some(peer) = &decision.peer_reviewer {
                    to.push(peer);
                }
            }
            Event::DocumentRefused { refusal } => to.push(&refusal.author),
        }
        let to = dedup(to, &[]);
        let cc = dedup(cc, &to);
        Recipients { to, cc }
    }

    /// The subject line (§8's patterns; `Refused: {file} ({code})` for a refused document).
    pub fn subject(&self) -> String {
        let title = self
            .promotion()
            .map(PromotionSummary::title)
            .unwrap_or_default();
        match self {
            Event::PeerReviewNeeded { .. } => format!("Peer Review Needed: {title}"),
            Event::HotfixSubmitted { .. } => {
                format!("{HOTFIX_PREFIX} — Peer Review Needed: {title}")
            }
            Event::PeerApproved { promotion, .. } => {
                if promotion.is_hotfix {
                    format!("{HOTFIX_PREFIX} — Peer Approved — Admin Review Needed: {title}")
                } else {
                    format!("Peer Approved — Admin Review Needed: {title}")
                }
            }
            Event::PeerRejected { .. } => format!("Peer Review Rejected: {title}"),
            Event::AdminApprovedDeployed { .. } => format!("Approved & Deployed: {title}"),
            Event::AdminDenied { .. } => format!("Admin Denied: {title}"),
            Event::TestDeployed { .. } => format!("Test Deployed: {title}"),
            Event::DocumentRefused { refusal } => refusal.subject(),
        }
    }

    /// The plain-text body. Always names the promotion id (for a refused document, the
    /// promotion or "repository"), and for a hotfix the justification.
    pub fn text_body(&self) -> String {
        let Some(p) = self.promotion() else {
            return self
                .refusal()
                .map(RefusalInfo::text_body)
                .unwrap_or_default();
        };
        let mut b = String::new();
        let intro = match self {
            Event::PeerReviewNeeded { .. } => {
                "A promotion to production is waiting for a peer review.".to_owned()
            }
            Event::HotfixSubmitted { .. } => "An EMERGENCY HOTFIX is waiting for a peer review.\n\
                 This hotfix skips the test environment: once a peer and an admin approve it, \
                 it goes straight to production."
                .to_owned(),
            Event::PeerApproved { review, .. } => format!(
                "{} approved this promotion in peer review. It now needs an admin review.",
                review.reviewer
            ),
            Event::PeerRejected { review, .. } => {
                format!(
                    "{} rejected this promotion in peer review.",
                    review.reviewer
                )
            }
            Event::AdminApprovedDeployed { decision, .. } => format!(
                "{} approved this promotion and it is deployed to production.",
                decision.admin
            ),
            Event::AdminDenied { decision, .. } => {
                format!("{} denied this promotion.", decision.admin)
            }
            Event::TestDeployed { .. } => {
                "This promotion is deployed to the test environments. Its branch is kept for the \
                 production review."
                    .to_owned()
            }
            Event::DocumentRefused { .. } => String::new(),
        };
        b.push_str(&intro);
        b.push_str("\n\n");

        field(&mut b, "Promotion", &p.promotion_id);
        field(&mut b, "Process", &p.process_name);
        field(
            &mut b,
            "Version",
            p.package_version.as_deref().unwrap_or("(not set)"),
        );
        field(&mut b, "Submitted by", &p.initiated_by);
        field(&mut b, "Dev account", &p.dev_account_id);
        field(&mut b, "Target", p.target.as_str());
        field(
            &mut b,
            "Components",
            &format!(
                "{} ({} created, {} updated, {} failed)",
                p.components_total, p.components_created, p.components_updated, p.components_failed
            ),
        );
        if let Some(notes) = &p.notes {
            field(&mut b, "Notes", notes);
        }
        if p.is_hotfix {
            field(
                &mut b,
                "EMERGENCY HOTFIX",
                "yes, skips the test environment",
            );
            field(
                &mut b,
                "Justification",
                p.hotfix_justification
                    .as_deref()
                    .unwrap_or("(none recorded)"),
            );
        }
        if let Some(test) = &p.test_promotion_id {
            let mut s = format!("promotion {test}");
            if let Some(pack) = &p.test_integration_pack_name {
                let _ = write!(s, ", pack \"{pack}\"");
            }
            if let Some(at) = &p.test_deployed_at {
                let _ = write!(s, ", deployed {}", human_ts(at));
            }
            field(&mut b, "Tested in", &s);
        }

        match self {
            Event::PeerReviewNeeded { .. } | Event::HotfixSubmitted { .. } => {}
            Event::PeerApproved { review, .. } => {
                b.push('\n');
                field(&mut b, "Peer reviewer", &review.reviewer);
                field(&mut b, "Decision", "APPROVED");
                field(&mut b, "Comments", comments_or_default(&review.comments));
            }
            Event::PeerRejected { review, .. } => {
                b.push('\n');
                field(&mut b, "Peer reviewer", &review.reviewer);
                field(&mut b, "Decision", "REJECTED");
                field(&mut b, "Reason", comments_or_default(&review.comments));
            }
            Event::AdminApprovedDeployed {
                decision, deployed, ..
            } => {
                b.push('\n');
                field(&mut b, "Approved by", &decision.admin);
                if let Some(peer) = &decision.peer_reviewer {
                    field(&mut b, "Peer reviewer", peer);
                }
                field(&mut b, "Deployed at", &human_ts(&deployed.deployed_at));
                field(
                    &mut b,
                    "Prod package",
                    deployed.prod_package_id.as_deref().unwrap_or("(unknown)"),
                );
                if let Some(pack) = &deployed.integration_pack_name {
                    field(&mut b, "Integration pack", pack);
                }
                if let Some(rel) = &deployed.release_id {
                    field(&mut b, "Release", rel);
                }
                deployments_block(&mut b, &deployed.deployments);
                field(&mut b, "Comments", comments_or_default(&decision.comments));
            }
            Event::AdminDenied { decision, .. } => {
                b.push('\n');
                field(&mut b, "Denied by", &decision.admin);
                if let Some(peer) = &decision.peer_reviewer {
                    field(&mut b, "Peer reviewer", peer);
                }
                field(&mut b, "Reason", comments_or_default(&decision.comments));
            }
            Event::TestDeployed { deployed, .. } => {
                b.push('\n');
                field(
                    &mut b,
                    "Test pack",
                    deployed
                        .integration_pack_name
                        .as_deref()
                        .unwrap_or("(unknown)"),
                );
                field(&mut b, "Deployed at", &human_ts(&deployed.deployed_at));
                deployments_block(&mut b, &deployed.deployments);
            }
            Event::DocumentRefused { .. } => {}
        }

        b.push('\n');
        let id = &p.promotion_id;
        match self {
            Event::PeerReviewNeeded { .. } | Event::HotfixSubmitted { .. } => {
                let _ = writeln!(
                    b,
                    "Review it:\n  promoter show {id}\n  promoter diff {id}\n  promoter review {id} --approve   (or --reject)"
                );
            }
            Event::PeerApproved { .. } => {
                let _ = writeln!(
                    b,
                    "Decide it:\n  promoter show {id}\n  promoter decide {id} --approve   (or --deny)"
                );
            }
            Event::TestDeployed { .. } => {
                let _ = writeln!(
                    b,
                    "To ship it, request a PRODUCTION promotion with `fromTest: {id}`.\nDetails: promoter show {id}"
                );
            }
            Event::PeerRejected { .. }
            | Event::AdminApprovedDeployed { .. }
            | Event::AdminDenied { .. }
            | Event::DocumentRefused { .. } => {
                let _ = writeln!(b, "Details: promoter show {id}");
            }
        }
        b.push_str("\n-- \nboomi-promoter\n");
        b
    }

    /// The JSON the webhook posts: `{"event": "PEER_APPROVED", "promotionId": ..., ...}`.
    ///
    /// Always present: `event`, `promotionId`, `subject`. A promotion event then has
    /// `isHotfix`, `promotion` (the summary) and what the event adds: `review` (#2, #3),
    /// `decision` (#4, #5), `deployment` (#4, #6). `DOCUMENT_REFUSED` has `refusal` instead
    /// (and `promotionId` is `null` for a repository document).
    pub fn to_json(&self) -> Value {
        let Some(p) = self.promotion() else {
            return self
                .refusal()
                .map_or(Value::Null, |r| r.to_json(self.kind().as_str()));
        };
        let mut v = json!({
            "event": self.kind().as_str(),
            "promotionId": p.promotion_id,
            "subject": self.subject(),
            "isHotfix": p.is_hotfix,
            "promotion": p,
        });
        let obj = v.as_object_mut().expect("object literal");
        let mut put = |k: &str, x: Value| {
            obj.insert(k.to_owned(), x);
        };
        match self {
            Event::PeerReviewNeeded { .. } | Event::HotfixSubmitted { .. } => {}
            Event::PeerApproved { review, .. } => {
                put("review", with_decision(review, "APPROVED"));
            }
            Event::PeerRejected { review, .. } => {
                put("review", with_decision(review, "REJECTED"));
            }
            Event::AdminApprovedDeployed {
                decision, deployed, ..
            } => {
                put("decision", with_decision(decision, "APPROVED"));
                put("deployment", to_value(deployed));
            }
            Event::AdminDenied { decision, .. } => {
                put("decision", with_decision(decision, "DENIED"));
            }
            Event::TestDeployed { deployed, .. } => put("deployment", to_value(deployed)),
            Event::DocumentRefused { .. } => {}
        }
        v
    }
}

// ---------------------------------------------------------------------------------------------
// helpers

fn admin_decision(rec: &PromotionRecord, admin: &str, comments: Option<&str>) -> AdminDecisionInfo {
    AdminDecisionInfo {
        admin: admin.to_lowercase(),
        comments: non_empty(comments),
        peer_reviewer: non_empty(rec.peer_reviewed_by.as_deref()).map(|s| s.to_lowercase()),
    }
}

fn deployments(rec: &PromotionRecord) -> Vec<DeploymentInfo> {
    rec.deployments
        .iter()
        .map(|d| DeploymentInfo {
            environment_id: d.environment_id.clone(),
            deployment_id: non_empty(d.deployment_id.as_deref()),
            status: d.status,
        })
        .collect()
}

fn deployments_block(b: &mut String, deployments: &[DeploymentInfo]) {
    for d in deployments {
        let status = match d.status {
            DeploymentStatus::Pending => "pending",
            DeploymentStatus::Deployed => "deployed",
            DeploymentStatus::Failed => "failed",
        };
        field(
            b,
            "Deployment",
            &format!(
                "{} in environment {} ({status})",
                d.deployment_id.as_deref().unwrap_or("(no id)"),
                d.environment_id
            ),
        );
    }
}

/// `2026-11-21 18:05 UTC` from a stored RFC 3339 timestamp (unchanged when it does not parse).
pub(super) fn human_ts(s: &str) -> String {
    match parse_ts(s) {
        Ok(t) => t.format("%Y-%m-%d %H:%M UTC").to_string(),
        Err(_) => s.to_owned(),
    }
}

fn to_value<T: Serialize>(x: &T) -> Value {
    serde_json::to_value(x).unwrap_or(Value::Null)
}

fn with_decision<T: Serialize>(x: &T, decision: &str) -> Value {
    let mut v = to_value(x);
    if let Some(o) = v.as_object_mut() {
        o.insert("decision".into(), Value::String(decision.into()));
    }
    v
}

fn comments_or_default(c: &Option<String>) -> &str {
    c.as_deref().unwrap_or(NO_COMMENTS)
}

/// `Label:` padded to a column, then the value; continuation lines indented.
pub(super) fn field(b: &mut String, label: &str, value: &str) {
    const WIDTH: usize = 18;
    let head = format!("{label}:");
    let mut lines = value.lines();
    let first = lines.next().unwrap_or("");
    let _ = writeln!(b, "{head:<WIDTH$}{first}");
    for l in lines {
        let _ = writeln!(b, "{:<WIDTH$}{l}", "");
    }
}

fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The addresses of a distribution list: separated by `,` or `;`, blanks dropped.
pub fn split_list(list: Option<&str>) -> impl Iterator<Item = &str> {
    list.unwrap_or("")
        .split([',', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Keep the first of each address (ignoring case), and none of `exclude`.
fn dedup(addrs: Vec<&str>, exclude: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in addrs {
        let seen = |x: &String| x.eq_ignore_ascii_case(a);
        if !out.iter().any(seen) && !exclude.iter().any(seen) {
            out.push(a.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests;
