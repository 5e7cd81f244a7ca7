//! Promotion statuses, review sub-statuses and the transition table (DESIGN.md §3,
//! `seed-behaviors.md` §5). The table is one exhaustive match; anything not in it is refused.

use super::docs::Mode;
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
}

/// Whether `from -> to` is in the transition table of `mode` (`from: None`: the record's first
/// status). One exhaustive match over (mode, status); anything not in it is refused.
pub fn can_transition(mode: Mode, from: Option<PromotionStatus>, to: PromotionStatus) -> bool {
    use PromotionStatus::*;
    match (mode, from) {
        // A request is accepted QUEUED; production from test is born waiting for its peer (or
        // FAILED when its TEST promotion cannot be used).
        (Mode::Test | Mode::Hotfix, None) => matches!(to, Queued),
        (Mode::ProductionFromTest, None) => matches!(to, PendingPeerReview | Failed),
        // Action C.
        (Mode::Test | Mode::Hotfix, Some(Queued)) => matches!(to, InProgress | Failed),
        (Mode::Test | Mode::Hotfix, Some(InProgress)) => matches!(to, Completed | Failed | Queued),
        // COMPLETED: a TEST promotion deploys; a hotfix goes to review.
        (Mode::Test, Some(Completed)) => matches!(to, TestDeploying | Failed),
        (Mode::Hotfix, Some(Completed)) => matches!(to, PendingPeerReview | Failed),
        // The TEST deployment.
        (Mode::Test, Some(TestDeploying)) => matches!(
            to,
            TestDeployed | TestDeployFailed | PendingPackAssignment | Failed
        ),
        (Mode::Test, Some(TestDeployFailed | PendingPackAssignment)) => {
            matches!(to, TestDeploying | TestCancelled)
        }
        (Mode::Test, Some(TestDeployed)) => matches!(to, TestCancelled),
        // The way to production.
        (Mode::ProductionFromTest | Mode::Hotfix, Some(PendingPeerReview)) => {
            matches!(to, PendingAdminReview | PeerRejected | Withdrawn)
        }
        (Mode::ProductionFromTest | Mode::Hotfix, Some(PendingAdminReview)) => {
            matches!(to, Deploying | AdminRejected | Withdrawn)
        }
        (Mode::ProductionFromTest | Mode::Hotfix, Some(Deploying)) => {
            matches!(to, Deployed | Failed)
        }
        // Statuses a mode never has.
        (Mode::ProductionFromTest, Some(Queued | InProgress | Completed))
        | (
            Mode::ProductionFromTest | Mode::Hotfix,
            Some(TestDeploying | TestDeployFailed | PendingPackAssignment | TestDeployed),
        )
        | (Mode::Test, Some(PendingPeerReview | PendingAdminReview | Deploying)) => false,
        // Terminal statuses never change again.
        (
            Mode::Test | Mode::ProductionFromTest | Mode::Hotfix,
            Some(Failed | PeerRejected | AdminRejected | Withdrawn | Deployed | TestCancelled),
        ) => false,
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

    const MODES: [Mode; 3] = [Mode::Test, Mode::ProductionFromTest, Mode::Hotfix];

    #[test]
    fn terminal_states_have_no_exit() {
        for mode in MODES {
            for from in PromotionStatus::ALL.iter().filter(|s| s.is_terminal()) {
                for to in PromotionStatus::ALL {
                    assert!(
                        !can_transition(mode, Some(*from), *to),
                        "{mode:?}: {from} -> {to}"
                    );
                }
            }
        }
    }

    /// One row per transition of the lifecycle, per mode; every other pair is refused.
    #[test]
    fn the_table_of_each_mode() {
        use PromotionStatus::*;
        let allowed: &[(Mode, Option<PromotionStatus>, PromotionStatus)] = &[
            (Mode::Test, None, Queued),
            (Mode::Test, Some(Queued), InProgress),
            (Mode::Test, Some(Queued), Failed),
            (Mode::Test, Some(InProgress), Completed),
            (Mode::Test, Some(InProgress), Failed),
            (Mode::Test, Some(InProgress), Queued),
            (Mode::Test, Some(Completed), TestDeploying),
            (Mode::Test, Some(Completed), Failed),
            (Mode::Test, Some(TestDeploying), TestDeployed),
            (Mode::Test, Some(TestDeploying), TestDeployFailed),
            (Mode::Test, Some(TestDeploying), PendingPackAssignment),
            (Mode::Test, Some(TestDeploying), Failed),
            (Mode::Test, Some(TestDeployFailed), TestDeploying),
            (Mode::Test, Some(TestDeployFailed), TestCancelled),
            (Mode::Test, Some(PendingPackAssignment), TestDeploying),
            (Mode::Test, Some(PendingPackAssignment), TestCancelled),
            (Mode::Test, Some(TestDeployed), TestCancelled),
            (Mode::Hotfix, None, Queued),
            (Mode::Hotfix, Some(Queued), InProgress),
            (Mode::Hotfix, Some(Queued), Failed),
            (Mode::Hotfix, Some(InProgress), Completed),
            (Mode::Hotfix, Some(InProgress), Failed),
            (Mode::Hotfix, Some(InProgress), Queued),
            (Mode::Hotfix, Some(Completed), PendingPeerReview),
            (Mode::Hotfix, Some(Completed), Failed),
            (Mode::Hotfix, Some(PendingPeerReview), PendingAdminReview),
            (Mode::Hotfix, Some(PendingPeerReview), PeerRejected),
            (Mode::Hotfix, Some(PendingPeerReview), Withdrawn),
            (Mode::Hotfix, Some(PendingAdminReview), Deploying),
            (Mode::Hotfix, Some(PendingAdminReview), AdminRejected),
            (Mode::Hotfix, Some(PendingAdminReview), Withdrawn),
            (Mode::Hotfix, Some(Deploying), Deployed),
            (Mode::Hotfix, Some(Deploying), Failed),
            (Mode::ProductionFromTest, None, PendingPeerReview),
            (Mode::ProductionFromTest, None, Failed),
            (
                Mode::ProductionFromTest,
                Some(PendingPeerReview),
                PendingAdminReview,
            ),
            (
                Mode::ProductionFromTest,
                Some(PendingPeerReview),
                PeerRejected,
            ),
            (Mode::ProductionFromTest, Some(PendingPeerReview), Withdrawn),
            (
                Mode::ProductionFromTest,
                Some(PendingAdminReview),
                Deploying,
            ),
            (
                Mode::ProductionFromTest,
                Some(PendingAdminReview),
                AdminRejected,
            ),
            (
                Mode::ProductionFromTest,
                Some(PendingAdminReview),
                Withdrawn,
            ),
            (Mode::ProductionFromTest, Some(Deploying), Deployed),
            (Mode::ProductionFromTest, Some(Deploying), Failed),
        ];
        let mut froms: Vec<Option<PromotionStatus>> = vec![None];
        froms.extend(PromotionStatus::ALL.iter().copied().map(Some));
        for mode in MODES {
            for from in &froms {
                for to in PromotionStatus::ALL {
                    let want = allowed.contains(&(mode, *from, *to));
                    assert_eq!(
                        can_transition(mode, *from, *to),
                        want,
                        "{mode:?}: {from:?} -> {to}"
                    );
                }
            }
        }
    }
}
