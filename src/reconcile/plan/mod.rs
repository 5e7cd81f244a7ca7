//! The reconciler's decisions, as one pure function (DESIGN.md §4, after kube-runtime's
//! `reconcile`): from what the daemon knows of one promotion — its [`Mode`] and status, the
//! documents in force, and the facts it observed — to the **one** next [`Step`]: an effect, an
//! observation to make first, a wait, a person to wait for, a refusal, or an end.
//!
//! No I/O and no `async`; nothing from `boomi`, `store`, `source` or tokio. The driver
//! (`reconcile::driver`) fills an [`Observed`], asks [`next_step`], carries out exactly that
//! step (at most one Boomi mutation, journaled), records it, and asks again.
//!
//! The three modes share one lifecycle and one deploy pipeline; what differs between them is
//! data: [`pipeline`] lists the stages of each mode's deployment, [`failure_status`] where a
//! permanent failure of a stage leaves the promotion.

use crate::model::{ErrorCode, Mode, PromotionStatus};
use chrono::{DateTime, Utc};

pub use crate::model::status::can_transition;

/// A review document in git, compared with what the reconciler acted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewDoc {
    /// None in force.
    Absent,
    /// In force and not acted on yet (or acted on, these very bytes): its decision.
    Present { approved: bool },
    /// In force, but other bytes than the ones acted on.
    Changed,
}

/// The request in git.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestDoc {
    /// It verifies.
    Valid,
    /// It is there but does not verify (its problems say why).
    Broken,
    /// It vanished from git without a signed withdrawal.
    Vanished,
}

/// The promotion's documents in force (from the verified snapshot).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Documents {
    pub request: RequestDoc,
    pub peer_review: ReviewDoc,
    pub admin_review: ReviewDoc,
    /// The admin decision names the peer review that was acted on (`peerReviewDigest`).
    pub admin_on_acted_peer: bool,
    pub withdrawal: bool,
    pub cancel_test: bool,
    pub pack_assignment: bool,
}

impl Default for Documents {
    fn default() -> Self {
        Documents {
            request: RequestDoc::Valid,
            peer_review: ReviewDoc::Absent,
            admin_review: ReviewDoc::Absent,
            admin_on_acted_peer: false,
            withdrawal: false,
            cancel_test: false,
            pack_assignment: false,
        }
    }
}

/// The dependency tree of the promotion, as far as the engine needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Every component found and every connection mapped.
    Ready,
    /// Connection mappings missing (the list, for the message).
    MissingMappings(String),
    /// The tree cannot be promoted (a component not found, unreadable XML…).
    Invalid { code: ErrorCode, message: String },
}

/// The promotion branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Branch {
    /// None recorded.
    Absent,
    /// Recorded; its readiness not observed yet in this drive.
    Unconfirmed,
    /// Recorded and ready for writes.
    Ready,
}

/// What action C (promote onto the branch) has observed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Engine {
    /// Another promotion of the dev account that runs now.
    pub queued_behind: Option<String>,
    /// The initiator may still initiate on this dev account, against the policy in force now;
    /// `Err` says why not.
    pub initiator: Option<Result<(), (ErrorCode, String)>>,
    /// `None`: not resolved yet in this drive.
    pub resolution: Option<Resolution>,
    /// Branches in the account (all of them, `main` included) and the soft limit. `None`: not
    /// counted yet.
    pub branches: Option<(usize, usize)>,
    pub branch: Option<Branch>,
    /// The next component of the tree to promote, in dependency order (`None`: all done).
    pub next_component: Option<String>,
    /// Components that failed (or were skipped because a reference failed).
    pub failed_components: usize,
    /// Components promoted before a component they reference existed, not rewritten yet.
    pub forward_references: bool,
}

/// Where an environment of the deployment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Pending,
    Deployed,
    Failed,
}

/// The state of the release of the pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// Not released yet.
    NotReleased,
    /// Released; Boomi has not said it is done (or it was not asked in this drive).
    Running,
    /// Boomi answered: done.
    Done,
}

/// What the deploy pipeline has observed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pipeline {
    /// The branch was merged into main (TEST, hotfix).
    pub merged: bool,
    /// Production from test: main still holds the tested versions (checked once).
    pub tested_verified: bool,
    /// The package to deploy is known.
    pub package: bool,
    /// The integration pack is known.
    pub pack: bool,
    /// A pack can be named: by a document, or suggested from history.
    pub pack_choosable: bool,
    pub release: Release,
    /// The target environments, in order.
    pub environments: Vec<(String, Target)>,
    /// The extension access cache was refreshed after the deployment.
    pub extensions_refreshed: bool,
    /// Production from test: the TEST promotion still holds its kept branch.
    pub test_branch: bool,
    /// The promotion holds its own branch.
    pub own_branch: bool,
    /// Production: `Some(next opening)` when no deploy window is open now.
    pub window_closed: Option<DateTime<Utc>>,
    /// Production: the approvals the deployment guard asks for; `Err` says what is missing.
    pub approvals: Result<(), String>,
}

impl Default for Pipeline {
    fn default() -> Self {
        Pipeline {
            merged: false,
            tested_verified: false,
            package: false,
            pack: false,
            pack_choosable: false,
            release: Release::NotReleased,
            environments: Vec::new(),
            extensions_refreshed: false,
            test_branch: false,
            own_branch: false,
            window_closed: None,
            approvals: Ok(()),
        }
    }
}

/// Everything [`next_step`] decides from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    pub mode: Mode,
    pub status: PromotionStatus,
    pub now: DateTime<Utc>,
    pub docs: Documents,
    /// Trusted settings are in force (environments, windows).
    pub settings: bool,
    pub engine: Engine,
    pub pipeline: Pipeline,
    /// TEST_DEPLOY_FAILED: when the next attempt may start.
    pub retry_at: Option<DateTime<Utc>>,
    /// TEST promotions: the production promotion that builds on this one.
    pub successor: Option<String>,
    /// Production awaiting its admin: the version shipped is lower than production runs and
    /// the admin decision does not acknowledge it (the message names both versions).
    pub unacknowledged_downgrade: Option<String>,
}

impl Observed {
    /// A promotion in `status` with nothing observed yet.
    pub fn new(mode: Mode, status: PromotionStatus, now: DateTime<Utc>) -> Self {
        Observed {
            mode,
            status,
            now,
            docs: Documents::default(),
            settings: true,
            engine: Engine::default(),
            pipeline: Pipeline::default(),
            retry_at: None,
            successor: None,
            unacknowledged_downgrade: None,
        }
    }
}

/// A read to make before deciding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observation {
    /// The initiator's tier and dev-account access under the policy in force.
    Initiator,
    /// The dependency tree (reads only).
    Resolve,
    /// The branches of the account.
    CountBranches,
    /// Wait for the branch to be ready (polled).
    BranchReady,
    /// Wait for the release to finish (polled).
    ReleaseStatus,
}

/// One effect: at most one Boomi mutation (journaled), or one change of the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// QUEUED → IN_PROGRESS, under the branch-slot lock (the account lane checked again).
    Start,
    CreateBranch,
    /// Promote one component onto the branch.
    Promote {
        component: String,
    },
    /// Rewrite the components promoted before what they reference existed.
    RewriteForwardReferences,
    /// Write the mappings, COMPLETED.
    Complete,
    /// COMPLETED (hotfix) → PENDING_PEER_REVIEW.
    SubmitForReview,
    /// COMPLETED, TEST_DEPLOY_FAILED or PENDING_PACK_ASSIGNMENT → TEST_DEPLOYING.
    StartTestDeploy,
    Merge,
    VerifyTested,
    Package,
    ChoosePack,
    Release,
    Deploy {
        environment: String,
    },
    RefreshExtensions,
    /// Production from test: delete the TEST promotion's kept branch.
    DeleteTestBranch,
    /// Act on the peer review in force (approved → PENDING_ADMIN_REVIEW; rejected → the end).
    ActOnPeerReview {
        approved: bool,
    },
    /// Act on the admin decision in force (approved → DEPLOYING; denied → the end).
    ActOnAdminDecision {
        approved: bool,
    },
}

/// Why a promotion waits for the daemon itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wait {
    /// Another promotion of the dev account runs.
    QueuedBehind(String),
    /// The branch soft limit is reached.
    BranchLimit { count: usize, limit: usize },
    /// No deploy window is open.
    DeployWindow,
    /// A failed TEST deployment waits before it is tried again.
    Backoff,
    /// No trusted settings are in force.
    NoSettings,
}

/// Who a promotion waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Peer,
    Admin,
    /// An ADMIN's pack assignment.
    PackAssigner,
}

/// The one next thing to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Observe(Observation),
    Do(Effect),
    Wait {
        reason: Wait,
        until: Option<DateTime<Utc>>,
    },
    AwaitPerson(Role),
    /// A document in force breaks a rule the promotion log decides: noted, status unchanged.
    Refuse {
        code: ErrorCode,
        message: String,
    },
    /// The deployment guard would refuse: noted, status unchanged, retried.
    Guarded {
        code: ErrorCode,
        message: String,
    },
    /// Move to `status` (through `terminate` when it is terminal: the branch goes).
    Finish {
        status: PromotionStatus,
        code: Option<ErrorCode>,
        message: String,
    },
    /// Nothing to do: terminal, or TEST_DEPLOYED with nobody asking anything.
    Idle,
}

/// A stage of the deploy pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The guard's approvals (production).
    Approvals,
    /// A deploy window (production).
    Window,
    Merge,
    VerifyTested,
    Package,
    Pack,
    Release,
    Deploy,
    RefreshExtensions,
    DeleteTestBranch,
}

/// The stages of each mode's deployment, in order: the one pipeline, as data.
pub fn pipeline(mode: Mode) -> &'static [Stage] {
    use Stage::*;
    match mode {
        Mode::Test => &[Merge, Package, Pack, Release, Deploy, RefreshExtensions],
        Mode::ProductionFromTest => &[
            Approvals,
            Window,
            VerifyTested,
            Package,
            Pack,
            Release,
            Deploy,
            RefreshExtensions,
            DeleteTestBranch,
        ],
        Mode::Hotfix => &[
            Approvals,
            Window,
            Merge,
            Package,
            Pack,
            Release,
            Deploy,
            RefreshExtensions,
        ],
    }
}

/// The status a deploying promotion is in.
pub fn deploying_status(mode: Mode) -> PromotionStatus {
    match mode {
        Mode::Test => PromotionStatus::TestDeploying,
        Mode::ProductionFromTest | Mode::Hotfix => PromotionStatus::Deploying,
    }
}

/// Where a permanent failure of a pipeline stage leaves the promotion: a TEST deployment that
/// fails after its merge keeps its branch and is retried (TEST_DEPLOY_FAILED); anything else
/// fails the promotion.
pub fn failure_status(mode: Mode, stage: Stage) -> PromotionStatus {
    match (mode, stage) {
        (Mode::Test, Stage::Merge) => PromotionStatus::Failed,
        (
            Mode::Test,
            Stage::Approvals
            | Stage::Window
            | Stage::VerifyTested
            | Stage::Package
            | Stage::Pack
            | Stage::Release
            | Stage::Deploy
            | Stage::RefreshExtensions
            | Stage::DeleteTestBranch,
        ) => PromotionStatus::TestDeployFailed,
        (Mode::ProductionFromTest | Mode::Hotfix, _) => PromotionStatus::Failed,
    }
}

/// The stage an effect belongs to (for [`failure_status`]).
pub fn stage_of(effect: &Effect) -> Option<Stage> {
    match effect {
        Effect::Merge => Some(Stage::Merge),
        Effect::VerifyTested => Some(Stage::VerifyTested),
        Effect::Package => Some(Stage::Package),
        Effect::ChoosePack => Some(Stage::Pack),
        Effect::Release => Some(Stage::Release),
        Effect::Deploy { .. } => Some(Stage::Deploy),
        Effect::RefreshExtensions => Some(Stage::RefreshExtensions),
        Effect::DeleteTestBranch => Some(Stage::DeleteTestBranch),
        Effect::Start
        | Effect::CreateBranch
        | Effect::Promote { .. }
        | Effect::RewriteForwardReferences
        | Effect::Complete
        | Effect::SubmitForReview
        | Effect::StartTestDeploy
        | Effect::ActOnPeerReview { .. }
        | Effect::ActOnAdminDecision { .. } => None,
    }
}

fn finish(status: PromotionStatus, code: Option<ErrorCode>, message: impl Into<String>) -> Step {
    Step::Finish {
        status,
        code,
        message: message.into(),
    }
}

/// The one next step.
pub fn next_step(o: &Observed) -> Step {
    use PromotionStatus as S;
    if o.status.is_terminal() {
        return Step::Idle;
    }
    if !o.settings {
        return Step::Wait {
            reason: Wait::NoSettings,
            until: None,
        };
    }
    match (o.docs.request, o.status) {
        (RequestDoc::Valid, _) => {}
        // A request that no longer verifies: one that has not started fails with the rule it
        // breaks (the driver names it from the request's problems).
        (RequestDoc::Broken, S::Queued) => {
            return finish(
                S::Failed,
                None,
                "the request no longer verifies; see its problems",
            )
        }
        // Otherwise nothing destructive is done: it is reported until restored or withdrawn.
        (RequestDoc::Broken | RequestDoc::Vanished, _) => return Step::Idle,
    }
    match (o.mode, o.status) {
        (Mode::Test | Mode::Hotfix, S::Queued | S::InProgress) => engine(o),
        (Mode::Test, S::Completed) => Step::Do(Effect::StartTestDeploy),
        (Mode::Hotfix, S::Completed) => Step::Do(Effect::SubmitForReview),
        (Mode::Test, S::TestDeploying)
        | (Mode::ProductionFromTest | Mode::Hotfix, S::Deploying) => deploy(o),
        (Mode::Test, S::TestDeployFailed) => {
            if o.docs.cancel_test {
                return cancel(o);
            }
            match o.retry_at {
                Some(at) if at > o.now => Step::Wait {
                    reason: Wait::Backoff,
                    until: Some(at),
                },
                _ => Step::Do(Effect::StartTestDeploy),
            }
        }
        (Mode::Test, S::PendingPackAssignment) => {
            if o.docs.cancel_test {
                cancel(o)
            } else if o.docs.pack_assignment {
                Step::Do(Effect::StartTestDeploy)
            } else {
                Step::AwaitPerson(Role::PackAssigner)
            }
        }
        (Mode::Test, S::TestDeployed) => {
            if o.docs.cancel_test {
                cancel(o)
            } else {
                Step::Idle
            }
        }
        (Mode::ProductionFromTest | Mode::Hotfix, S::PendingPeerReview) => {
            if o.docs.withdrawal {
                return finish(S::Withdrawn, None, "withdrawn");
            }
            match o.docs.peer_review {
                ReviewDoc::Absent => Step::AwaitPerson(Role::Peer),
                ReviewDoc::Present { approved } => Step::Do(Effect::ActOnPeerReview { approved }),
                // Nothing was acted on yet, so nothing can have changed.
                ReviewDoc::Changed => Step::AwaitPerson(Role::Peer),
            }
        }
        (Mode::ProductionFromTest | Mode::Hotfix, S::PendingAdminReview) => {
            if o.docs.withdrawal {
                return finish(S::Withdrawn, None, "withdrawn");
            }
            if o.docs.peer_review == ReviewDoc::Changed {
                return Step::Refuse {
                    code: ErrorCode::AlreadyReviewed,
                    message:
                        "peer-review.yaml changed after it was acted on; the first review stands"
                            .into(),
                };
            }
            match o.docs.admin_review {
                ReviewDoc::Absent => Step::AwaitPerson(Role::Admin),
                ReviewDoc::Present { .. } | ReviewDoc::Changed if !o.docs.admin_on_acted_peer => {
                    Step::Refuse {
                        code: ErrorCode::StaleApproval,
                        message:
                            "the admin decision does not build on the peer review that was acted on"
                                .into(),
                    }
                }
                ReviewDoc::Present { approved: true } if o.unacknowledged_downgrade.is_some() => {
                    Step::Refuse {
                        code: ErrorCode::DowngradeNotAcknowledged,
                        message: format!(
                            "{}: approving it needs `acknowledgeDowngrade: true` (promoter decide --approve --acknowledge-downgrade)",
                            o.unacknowledged_downgrade.clone().unwrap_or_default()
                        ),
                    }
                }
                ReviewDoc::Present { approved } => {
                    Step::Do(Effect::ActOnAdminDecision { approved })
                }
                ReviewDoc::Changed => Step::AwaitPerson(Role::Admin),
            }
        }
        // Statuses a mode never has: nothing to do (the transition table refuses them).
        (Mode::ProductionFromTest, S::Queued | S::InProgress | S::Completed)
        | (
            Mode::ProductionFromTest | Mode::Hotfix,
            S::TestDeploying | S::TestDeployFailed | S::PendingPackAssignment | S::TestDeployed,
        )
        | (Mode::Test, S::PendingPeerReview | S::PendingAdminReview | S::Deploying) => Step::Idle,
        (
            Mode::Test | Mode::ProductionFromTest | Mode::Hotfix,
            S::Failed
            | S::PeerRejected
            | S::AdminRejected
            | S::Deployed
            | S::Withdrawn
            | S::TestCancelled,
        ) => Step::Idle,
    }
}

/// Cancel a TEST deployment, unless production builds on it.
fn cancel(o: &Observed) -> Step {
    match &o.successor {
        Some(s) => Step::Refuse {
            code: ErrorCode::InvalidPromotionStatus,
            message: format!(
                "cannot cancel: production promotion {s} builds on this test deployment"
            ),
        },
        None => finish(
            PromotionStatus::TestCancelled,
            None,
            "test deployment cancelled",
        ),
    }
}

/// Action C: from QUEUED to COMPLETED, one component at a time.
fn engine(o: &Observed) -> Step {
    use PromotionStatus as S;
    let e = &o.engine;
    if o.status == S::Queued {
        if let Some(other) = &e.queued_behind {
            return Step::Wait {
                reason: Wait::QueuedBehind(other.clone()),
                until: None,
            };
        }
    }
    // Tier and account access, against the policy in force now, before every step.
    match &e.initiator {
        None => return Step::Observe(Observation::Initiator),
        Some(Err((code, message))) => return finish(S::Failed, Some(*code), message.clone()),
        Some(Ok(())) => {}
    }
    // The tree (reads only): missing mappings stop the promotion before any branch exists.
    match &e.resolution {
        None => return Step::Observe(Observation::Resolve),
        Some(Resolution::MissingMappings(list)) => {
            return finish(
                S::Failed,
                Some(ErrorCode::MissingConnectionMappings),
                list.clone(),
            )
        }
        Some(Resolution::Invalid { code, message }) => {
            return finish(S::Failed, Some(*code), message.clone())
        }
        Some(Resolution::Ready) => {}
    }
    if o.status == S::Queued {
        return match e.branches {
            None => Step::Observe(Observation::CountBranches),
            Some((count, limit)) if count >= limit => Step::Wait {
                reason: Wait::BranchLimit { count, limit },
                until: None,
            },
            Some(_) => Step::Do(Effect::Start),
        };
    }
    match e.branch {
        None | Some(Branch::Absent) => return Step::Do(Effect::CreateBranch),
        Some(Branch::Unconfirmed) => return Step::Observe(Observation::BranchReady),
        Some(Branch::Ready) => {}
    }
    if let Some(c) = &e.next_component {
        return Step::Do(Effect::Promote {
            component: c.clone(),
        });
    }
    if e.failed_components > 0 {
        return finish(
            S::Failed,
            Some(ErrorCode::PromotionFailed),
            format!(
                "{} component(s) failed or were skipped; the branch has been deleted. No component mappings were written.",
                e.failed_components
            ),
        );
    }
    if e.forward_references {
        return Step::Do(Effect::RewriteForwardReferences);
    }
    Step::Do(Effect::Complete)
}

/// The deploy pipeline of the mode, stage by stage.
fn deploy(o: &Observed) -> Step {
    let p = &o.pipeline;
    for stage in pipeline(o.mode) {
        let step = match stage {
            Stage::Approvals => match &p.approvals {
                Ok(()) => None,
                Err(why) => Some(Step::Guarded {
                    code: ErrorCode::DeploymentNotApproved,
                    message: format!(
                        "production needs an APPROVED peer review and an APPROVED admin decision: {why}"
                    ),
                }),
            },
            Stage::Window => p.window_closed.map(|until| Step::Wait {
                reason: Wait::DeployWindow,
                until: Some(until),
            }),
            Stage::Merge => (!p.merged).then_some(Step::Do(Effect::Merge)),
            Stage::VerifyTested => (!p.tested_verified).then_some(Step::Do(Effect::VerifyTested)),
            Stage::Package => (!p.package).then_some(Step::Do(Effect::Package)),
            Stage::Pack => match (p.pack, p.pack_choosable, o.mode) {
                (true, _, _) => None,
                (false, true, _) => Some(Step::Do(Effect::ChoosePack)),
                (false, false, Mode::Test) => Some(finish(
                    PromotionStatus::PendingPackAssignment,
                    None,
                    "no test integration pack named or known",
                )),
                (false, false, Mode::ProductionFromTest | Mode::Hotfix) => Some(finish(
                    PromotionStatus::Failed,
                    Some(ErrorCode::PackAssignmentRequired),
                    "no production integration pack: name one in the request or the admin review",
                )),
            },
            Stage::Release => match p.release {
                Release::NotReleased => Some(Step::Do(Effect::Release)),
                Release::Running => Some(Step::Observe(Observation::ReleaseStatus)),
                Release::Done => None,
            },
            Stage::Deploy => p
                .environments
                .iter()
                .find(|(_, t)| *t == Target::Pending)
                .map(|(env, _)| {
                    Step::Do(Effect::Deploy {
                        environment: env.clone(),
                    })
                }),
            Stage::RefreshExtensions => {
                (!p.extensions_refreshed).then_some(Step::Do(Effect::RefreshExtensions))
            }
            Stage::DeleteTestBranch => p.test_branch.then_some(Step::Do(Effect::DeleteTestBranch)),
        };
        if let Some(step) = step {
            return step;
        }
    }
    // Every stage done: the end of the deployment.
    let failed: Vec<&str> = p
        .environments
        .iter()
        .filter(|(_, t)| *t == Target::Failed)
        .map(|(e, _)| e.as_str())
        .collect();
    let all_failed = !p.environments.is_empty() && failed.len() == p.environments.len();
    let partial = (!failed.is_empty())
        .then(|| format!("PARTIAL: deployment failed in {}", failed.join(", ")));
    match (o.mode, all_failed) {
        (Mode::Test, true) => finish(
            PromotionStatus::TestDeployFailed,
            Some(ErrorCode::DeploymentFailed),
            format!(
                "deployment failed in every test environment: {}",
                failed.join(", ")
            ),
        ),
        (Mode::ProductionFromTest | Mode::Hotfix, true) => finish(
            PromotionStatus::Failed,
            Some(ErrorCode::DeploymentFailed),
            format!(
                "deployment failed in every production environment: {}",
                failed.join(", ")
            ),
        ),
        (Mode::Test, false) => finish(
            PromotionStatus::TestDeployed,
            None,
            partial.unwrap_or_else(|| "deployed to the test environments".into()),
        ),
        (Mode::ProductionFromTest | Mode::Hotfix, false) => finish(
            PromotionStatus::Deployed,
            None,
            partial.unwrap_or_else(|| "deployed to production".into()),
        ),
    }
}

#[cfg(test)]
mod tests;
