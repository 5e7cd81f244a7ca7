//! Promotion statuses, review sub-statuses and the transition table (DESIGN.md §3,
//! `seed-behaviors.md` §5). The table is one exhaustive match; anything not in it is refused.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The PromotionLog `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PromotionStatus {
    Queued,
    InProgress,
    Completed,
    Failed,
    TestDeploying,
    TestDeployed,
    TestDeployFailed,
    PendingPackAssignment,
    TestCancelled,
    PendingPeerReview,
    PeerRejected,
    PendingAdminReview,
    AdminRejected,
    Deploying,
    Deployed,
    Withdrawn,
}

impl PromotionStatus {
    pub const ALL: &'static [PromotionStatus] = &[
        Self::Queued,
        Self::InProgress,
        Self::Completed,
        Self::Failed,
        Self::TestDeploying,
        Self::TestDeployed,
        Self::TestDeployFailed,
        Self::PendingPackAssignment,
        Self::TestCancelled,
        Self::PendingPeerReview,
        Self::PeerRejected,
        Self::PendingAdminReview,
        Self::AdminRejected,
        Self::Deploying,
        Self::Deployed,
        Self::Withdrawn,
    ];

    /// The wire name, e.g. `TEST_DEPLOYED`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "QUEUED",
            Self::InProgress => "IN_PROGRESS",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
            Self::TestDeploying => "TEST_DEPLOYING",
            Self::TestDeployed => "TEST_DEPLOYED",
            Self::TestDeployFailed => "TEST_DEPLOY_FAILED",
            Self::PendingPackAssignment => "PENDING_PACK_ASSIGNMENT",
            Self::TestCancelled => "TEST_CANCELLED",
            Self::PendingPeerReview => "PENDING_PEER_REVIEW",
            Self::PeerRejected => "PEER_REJECTED",
            Self::PendingAdminReview => "PENDING_ADMIN_REVIEW",
            Self::AdminRejected => "ADMIN_REJECTED",
            Self::Deploying => "DEPLOYING",
            Self::Deployed => "DEPLOYED",
            Self::Withdrawn => "WITHDRAWN",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|x| x.as_str() == s)
    }

    /// Terminal statuses never change again. `TEST_DEPLOYED` is not terminal (it may be
    /// cancelled or promoted to production).
    pub fn is_terminal(self) -> bool {
        match self {
            Self::Failed
            | Self::PeerRejected
            | Self::AdminRejected
            | Self::Withdrawn
            | Self::Deployed
            | Self::TestCancelled => true,
            Self::Queued
            | Self::InProgress
            | Self::Completed
            | Self::TestDeploying
            | Self::TestDeployed
            | Self::TestDeployFailed
            | Self::PendingPackAssignment
            | Self::PendingPeerReview
            | Self::PendingAdminReview
            | Self::Deploying => false,
        }
    }

    /// Whether `self -> to` is in the transition table. `None` as the source is "no record yet".
    pub fn can_transition(from: Option<Self>, to: Self) -> bool {
        use PromotionStatus::*;
        match from {
            None => matches!(to, Queued | InProgress | PendingPeerReview | Failed),
            Some(from) => match from {
                Queued => matches!(to, InProgress | Failed),
                InProgress => matches!(to, Completed | Failed | Queued),
                // COMPLETED: a TEST promotion goes on to deploy; a hotfix goes to review.
                Completed => matches!(to, TestDeploying | PendingPeerReview | Failed),
                TestDeploying => matches!(
                    to,
                    TestDeployed | TestDeployFailed | PendingPackAssignment | Failed
                ),
                TestDeployFailed => matches!(to, TestDeploying | TestCancelled),
                PendingPackAssignment => matches!(to, TestDeploying | TestCancelled),
                TestDeployed => matches!(to, TestCancelled),
                PendingPeerReview => matches!(to, PendingAdminReview | PeerRejected | Withdrawn),
                PendingAdminReview => matches!(to, Deploying | AdminRejected | Withdrawn),
                Deploying => matches!(to, Deployed | Failed),
                Failed | PeerRejected | AdminRejected | Withdrawn | Deployed | TestCancelled => {
                    false
                }
            },
        }
    }
}

impl fmt::Display for PromotionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `peerReviewStatus` (`seed-behaviors.md` §5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PeerReviewStatus {
    PendingPeerReview,
    PeerApproved,
    PeerRejected,
}

/// `adminReviewStatus` (`seed-behaviors.md` §5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AdminReviewStatus {
    PendingAdminReview,
    AdminApproved,
    AdminRejected,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in PromotionStatus::ALL {
            assert_eq!(PromotionStatus::parse(s.as_str()), Some(*s));
            let json = serde_json::to_string(s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
    }

    #[test]
    fn terminal_states_have_no_exit() {
        for from in PromotionStatus::ALL.iter().filter(|s| s.is_terminal()) {
            for to in PromotionStatus::ALL {
                assert!(
                    !PromotionStatus::can_transition(Some(*from), *to),
                    "{from} -> {to}"
                );
            }
        }
    }

    #[test]
    fn the_happy_paths_are_allowed() {
        use PromotionStatus::*;
        let test_path = [
            InProgress,
            Completed,
            TestDeploying,
            TestDeployed,
            TestCancelled,
        ];
        let hotfix = [
            InProgress,
            Completed,
            PendingPeerReview,
            PendingAdminReview,
            Deploying,
            Deployed,
        ];
        for path in [&test_path[..], &hotfix[..]] {
            assert!(PromotionStatus::can_transition(None, path[0]));
            for w in path.windows(2) {
                assert!(
                    PromotionStatus::can_transition(Some(w[0]), w[1]),
                    "{} -> {}",
                    w[0],
                    w[1]
                );
            }
        }
        assert!(!PromotionStatus::can_transition(
            Some(PendingPeerReview),
            Deployed
        ));
        assert!(!PromotionStatus::can_transition(Some(Completed), Deployed));
    }
}
