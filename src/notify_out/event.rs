//! The seven notification events of `seed-behaviors.md` §8: who receives each one, its
//! subject, its plain-text body and its JSON form for the webhook. Pure: no I/O.
//!
//! An [`Event`] is a snapshot taken from a [`PromotionRecord`] plus what the event adds (the
//! reviewer, the comments). It owns its data, so it can be handed to a background task.
//! Withdrawal, test cancellation, promotion failure and pack assignment have no event: the
//! sources never send anything for them.

use crate::model::{PromotionStatus, Target};
use crate::store::record::{format_ts, parse_ts, DeploymentStatus, PromotionRecord};
use chrono::Utc;
use serde::Serialize;
use serde_json::{json, Value};
use std::fmt::Write as _;

/// The text used when a reviewer left no comments.
pub const NO_COMMENTS: &str = "No comments provided.";

/// The subject prefix of the emergency-hotfix events.
pub const HOTFIX_PREFIX: &str = "⚠ EMERGENCY HOTFIX";

/// Which of the seven events (the `event` field of the webhook JSON).
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
}

impl EventKind {
    /// Every kind, in the order of §8's table rows as numbered (1…7 by trigger).
    pub const ALL: &'static [EventKind] = &[
        EventKind::PeerReviewNeeded,
        EventKind::HotfixSubmitted,
        EventKind::PeerApproved,
        EventKind::PeerRejected,
        EventKind::AdminApprovedDeployed,
        EventKind::AdminDenied,
        EventKind::TestDeployed,
    ];

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

/// One of the seven notification events of `seed-behaviors.md` §8.
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
        }
    }

    /// The promotion the event is about.
    pub fn promotion(&self) -> &PromotionSummary {
        match self {
            Event::PeerReviewNeeded { promotion }
            | Event::HotfixSubmitted { promotion }
            | Event::PeerApproved { promotion, .. }
            | Event::PeerRejected { promotion, .. }
            | Event::AdminApprovedDeployed { promotion, .. }
            | Event::AdminDenied { promotion, .. }
            | Event::TestDeployed { promotion, .. } => promotion,
        }
    }

    pub fn promotion_id(&self) -> &str {
        &self.promotion().promotion_id
    }

    /// Who receives the e-mail (§8): the dev and admin lists (submitter in Cc) for a
    /// submission; the admin list and the submitter for a peer approval; the submitter for a
    /// peer rejection and a test deployment; the submitter and the peer reviewer for an admin
    /// decision.
    pub fn recipients(&self, lists: Lists<'_>) -> Recipients {
        let submitter = self.promotion().initiated_by.as_str();
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
        }
        let to = dedup(to, &[]);
        let cc = dedup(cc, &to);
        Recipients { to, cc }
    }

    /// The subject line (§8's patterns).
    pub fn subject(&self) -> String {
        let title = self.promotion().title();
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
        }
    }

    /// The plain-text body. Always names the promotion id, and for a hotfix the
    /// justification.
    pub fn text_body(&self) -> String {
        let p = self.promotion();
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
            | Event::AdminDenied { .. } => {
                let _ = writeln!(b, "Details: promoter show {id}");
            }
        }
        b.push_str("\n-- \nboomi-promoter\n");
        b
    }

    /// The JSON the webhook posts: `{"event": "PEER_APPROVED", "promotionId": ..., ...}`.
    ///
    /// Always present: `event`, `promotionId`, `subject`, `promotion` (the summary). Then what
    /// the event adds: `review` (#2, #3), `decision` (#4, #5), `deployment` (#4, #6).
    pub fn to_json(&self) -> Value {
        let p = self.promotion();
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
fn human_ts(s: &str) -> String {
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
fn field(b: &mut String, label: &str, value: &str) {
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
mod tests {
    use super::*;
    use crate::store::record::DeploymentResult;

    fn record(target: Target, status: PromotionStatus) -> PromotionRecord {
        let t = parse_ts("2026-11-21T08:00:00Z").unwrap();
        let mut r = PromotionRecord::new(
            "orders-2026-11-21",
            "dev-team-a",
            "Alice@Example.com",
            "Order Processing Main",
            target,
            status,
            t,
        );
        r.package_version = Some("1.2.0".into());
        r.components_total = 5;
        r.components_created = 3;
        r.components_updated = 2;
        r.deployment_notes = Some("first cut".into());
        r
    }

    fn hotfix() -> PromotionRecord {
        let mut r = record(Target::Production, PromotionStatus::PendingPeerReview);
        r.is_hotfix = true;
        r.hotfix_justification = Some("orders are lost since 07:00".into());
        r
    }

    const LISTS: Lists<'static> = Lists {
        developers: Some("dev@example.com"),
        admins: Some("admins@example.com; ops@example.com"),
    };

    #[test]
    fn submission_goes_to_both_lists_with_the_submitter_in_cc() {
        let r = record(Target::Production, PromotionStatus::PendingPeerReview);
        let e = Event::submitted_for_review(&r).unwrap();
        assert_eq!(e.kind(), EventKind::PeerReviewNeeded);
        let to = e.recipients(LISTS);
        assert_eq!(
            to.to,
            ["dev@example.com", "admins@example.com", "ops@example.com"]
        );
        assert_eq!(to.cc, ["alice@example.com"]);
        assert_eq!(
            e.subject(),
            "Peer Review Needed: Order Processing Main v1.2.0"
        );
        let h = Event::submitted_for_review(&hotfix()).unwrap();
        assert_eq!(h.kind(), EventKind::HotfixSubmitted);
        assert_eq!(h.recipients(LISTS), to);
        assert!(
            Event::submitted_for_review(&record(Target::Test, PromotionStatus::Completed))
                .is_none()
        );
    }

    #[test]
    fn hotfix_subjects_and_bodies_carry_the_marker_and_justification() {
        let h = hotfix();
        let e = Event::hotfix_submitted(&h);
        assert_eq!(
            e.subject(),
            "⚠ EMERGENCY HOTFIX — Peer Review Needed: Order Processing Main v1.2.0"
        );
        let body = e.text_body();
        assert!(body.contains("orders are lost since 07:00"), "{body}");
        assert!(body.contains("skips the test environment"), "{body}");
        assert!(body.contains("orders-2026-11-21"));

        let a = Event::peer_approved(&h, "Bob@Example.com", None);
        assert!(a
            .subject()
            .starts_with("⚠ EMERGENCY HOTFIX — Peer Approved — Admin Review Needed: "));
        assert!(a.text_body().contains("orders are lost since 07:00"));
        let plain = Event::peer_approved(
            &record(Target::Production, PromotionStatus::PendingAdminReview),
            "bob@example.com",
            Some("ok"),
        );
        assert_eq!(
            plain.subject(),
            "Peer Approved — Admin Review Needed: Order Processing Main v1.2.0"
        );
    }

    #[test]
    fn peer_approval_goes_to_admins_and_submitter_with_default_comment() {
        let r = record(Target::Production, PromotionStatus::PendingAdminReview);
        let e = Event::peer_approved(&r, "Bob@Example.com", Some("   "));
        let rc = e.recipients(LISTS);
        assert_eq!(
            rc.to,
            ["admins@example.com", "ops@example.com", "alice@example.com"]
        );
        assert!(rc.cc.is_empty());
        let body = e.text_body();
        assert!(body.contains(NO_COMMENTS), "{body}");
        assert!(body.contains("bob@example.com"));
        assert!(body.contains("APPROVED"));
        let j = e.to_json();
        assert_eq!(j["event"], "PEER_APPROVED");
        assert_eq!(j["promotionId"], "orders-2026-11-21");
        assert_eq!(j["review"]["reviewer"], "bob@example.com");
        assert_eq!(j["review"]["decision"], "APPROVED");
        assert_eq!(j["review"]["comments"], Value::Null);
    }

    #[test]
    fn rejection_goes_to_the_submitter_only_with_the_reason() {
        let r = record(Target::Production, PromotionStatus::PeerRejected);
        let e = Event::peer_rejected(&r, "bob@example.com", Some("missing error handling"));
        assert_eq!(
            e.recipients(LISTS),
            Recipients {
                to: vec!["alice@example.com".into()],
                cc: vec![]
            }
        );
        assert_eq!(
            e.subject(),
            "Peer Review Rejected: Order Processing Main v1.2.0"
        );
        assert!(e.text_body().contains("missing error handling"));
    }

    #[test]
    fn admin_decisions_go_to_submitter_and_peer_reviewer() {
        let mut r = record(Target::Production, PromotionStatus::Deployed);
        r.peer_reviewed_by = Some("Bob@Example.com".into());
        r.prod_package_id = Some("pkg-prod-9".into());
        r.deployed_at = Some(parse_ts("2026-11-21T09:30:00Z").unwrap());
        r.deployments.push(DeploymentResult {
            environment_id: "env-prod-1".into(),
            deployment_id: Some("dep-42".into()),
            status: DeploymentStatus::Deployed,
            error: None,
        });
        let e = Event::admin_approved_deployed(&r, "carol@example.com", None);
        assert_eq!(
            e.recipients(LISTS).to,
            ["alice@example.com", "bob@example.com"]
        );
        assert_eq!(
            e.subject(),
            "Approved & Deployed: Order Processing Main v1.2.0"
        );
        let body = e.text_body();
        for needle in [
            "dep-42",
            "pkg-prod-9",
            "carol@example.com",
            "2026-11-21 09:30 UTC",
            NO_COMMENTS,
        ] {
            assert!(body.contains(needle), "{needle} missing from\n{body}");
        }
        let j = e.to_json();
        assert_eq!(j["deployment"]["deployments"][0]["deploymentId"], "dep-42");
        assert_eq!(j["deployment"]["prodPackageId"], "pkg-prod-9");
        assert_eq!(j["decision"]["admin"], "carol@example.com");

        let d = Event::admin_denied(&r, "carol@example.com", Some("not in this window"));
        assert_eq!(d.subject(), "Admin Denied: Order Processing Main v1.2.0");
        assert!(d.text_body().contains("not in this window"));
        assert_eq!(d.to_json()["decision"]["decision"], "DENIED");
        // the same person as submitter and peer reviewer is written once
        r.peer_reviewed_by = Some("ALICE@example.com".into());
        assert_eq!(
            Event::admin_denied(&r, "carol@example.com", None)
                .recipients(LISTS)
                .to,
            ["alice@example.com"]
        );
    }

    #[test]
    fn test_deployed_only_when_the_outcome_is_test_deployed() {
        let mut r = record(Target::Test, PromotionStatus::PendingPackAssignment);
        assert!(Event::test_deployed(&r).is_none());
        r.status = PromotionStatus::TestDeployFailed;
        assert!(Event::test_deployed(&r).is_none());
        r.status = PromotionStatus::TestDeployed;
        r.integration_pack_name = Some("Orders - TEST".into());
        r.test_deployed_at = Some(parse_ts("2026-11-21T08:10:00Z").unwrap());
        let e = Event::test_deployed(&r).unwrap();
        assert_eq!(e.recipients(LISTS).to, ["alice@example.com"]);
        assert_eq!(e.subject(), "Test Deployed: Order Processing Main v1.2.0");
        let body = e.text_body();
        assert!(body.contains("Orders - TEST"));
        assert!(body.contains("2026-11-21 08:10 UTC"), "{body}");
        assert_eq!(
            e.to_json()["deployment"]["integrationPackName"],
            "Orders - TEST"
        );
    }

    #[test]
    fn production_from_test_references_the_test_deployment() {
        let mut r = record(Target::Production, PromotionStatus::PendingPeerReview);
        r.test_promotion_id = Some("orders-test-7".into());
        r.test_integration_pack_name = Some("Orders - TEST".into());
        let body = Event::peer_review_needed(&r).text_body();
        assert!(body.contains("orders-test-7"), "{body}");
        assert!(body.contains("Orders - TEST"));
        assert!(body.contains("first cut"));
        assert!(body.contains("5 (3 created, 2 updated, 0 failed)"));
    }

    #[test]
    fn every_event_names_the_promotion_and_has_its_own_wire_name() {
        let mut r = hotfix();
        r.status = PromotionStatus::TestDeployed;
        let events = [
            Event::peer_review_needed(&r),
            Event::hotfix_submitted(&r),
            Event::peer_approved(&r, "b@x", None),
            Event::peer_rejected(&r, "b@x", None),
            Event::admin_approved_deployed(&r, "c@x", None),
            Event::admin_denied(&r, "c@x", None),
            Event::test_deployed(&r).unwrap(),
        ];
        let kinds: Vec<_> = events.iter().map(Event::kind).collect();
        assert_eq!(kinds, EventKind::ALL);
        for e in &events {
            assert!(e.text_body().contains("orders-2026-11-21"));
            assert!(e.text_body().contains("orders are lost since 07:00"));
            let j = e.to_json();
            assert_eq!(j["event"], e.kind().as_str());
            assert_eq!(
                serde_json::to_value(e.kind()).unwrap(),
                Value::String(e.kind().as_str().into())
            );
            assert_eq!(
                j["promotion"]["hotfixJustification"],
                "orders are lost since 07:00"
            );
        }
    }

    #[test]
    fn missing_version_and_lists_are_tolerated() {
        let mut r = record(Target::Production, PromotionStatus::PendingPeerReview);
        r.package_version = None;
        let e = Event::peer_review_needed(&r);
        assert_eq!(e.subject(), "Peer Review Needed: Order Processing Main");
        let rc = e.recipients(Lists::default());
        assert!(rc.to.is_empty());
        assert_eq!(rc.cc, ["alice@example.com"]);
        assert!(!rc.is_empty());
    }

    #[test]
    fn transitions_map_to_events_and_exits_send_nothing() {
        let mut r = record(Target::Production, PromotionStatus::PendingPeerReview);
        r.peer_reviewed_by = Some("bob@example.com".into());
        r.peer_review_comments = Some("looks fine".into());
        r.admin_approved_by = Some("carol@example.com".into());
        let expect = |r: &PromotionRecord| Event::on_transition(r).map(|e| e.kind());
        assert_eq!(expect(&r), Some(EventKind::PeerReviewNeeded));
        r.status = PromotionStatus::PendingAdminReview;
        let e = Event::on_transition(&r).unwrap();
        assert_eq!(e.kind(), EventKind::PeerApproved);
        assert!(e.text_body().contains("looks fine"));
        r.status = PromotionStatus::PeerRejected;
        assert_eq!(expect(&r), Some(EventKind::PeerRejected));
        r.status = PromotionStatus::Deployed;
        assert_eq!(expect(&r), Some(EventKind::AdminApprovedDeployed));
        r.status = PromotionStatus::AdminRejected;
        assert_eq!(expect(&r), Some(EventKind::AdminDenied));
        r.status = PromotionStatus::TestDeployed;
        assert_eq!(expect(&r), Some(EventKind::TestDeployed));
        for s in [
            PromotionStatus::Withdrawn,
            PromotionStatus::TestCancelled,
            PromotionStatus::Failed,
            PromotionStatus::TestDeployFailed,
            PromotionStatus::PendingPackAssignment,
            PromotionStatus::Queued,
            PromotionStatus::InProgress,
            PromotionStatus::Completed,
            PromotionStatus::TestDeploying,
            PromotionStatus::Deploying,
        ] {
            r.status = s;
            assert_eq!(expect(&r), None, "{s:?}");
        }
        let mut t = record(Target::Test, PromotionStatus::Deployed);
        assert_eq!(expect(&t), None);
        t.status = PromotionStatus::PendingPeerReview;
        assert_eq!(expect(&t), None);
    }

    #[test]
    fn multi_line_values_stay_aligned() {
        let mut b = String::new();
        field(&mut b, "Notes", "one\ntwo");
        assert_eq!(b, format!("{:<18}one\n{:<18}two\n", "Notes:", ""));
    }
}
