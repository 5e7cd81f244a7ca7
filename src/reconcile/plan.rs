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

/// The promotion's documents in force (from the verified snapshot).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Documents {
    /// The request verifies. When it does not (vanished or broken), nothing runs.
    pub request_valid: bool,
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
            request_valid: true,
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
    if !o.docs.request_valid {
        // A request that no longer verifies: one that has not started fails with the rule it
        // breaks (the driver knows which); otherwise nothing destructive is done.
        return match o.status {
            S::Queued => finish(
                S::Failed,
                None,
                "the request no longer verifies; see its problems",
            ),
            _ => Step::Idle,
        };
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
mod tests {
    use super::*;
    use PromotionStatus as S;

    fn at(h: u32) -> DateTime<Utc> {
        chrono::DateTime::parse_from_rfc3339(&format!("2026-11-23T{h:02}:00:00Z"))
            .unwrap()
            .with_timezone(&Utc)
    }

    fn base(mode: Mode, status: PromotionStatus) -> Observed {
        Observed::new(mode, status, at(12))
    }

    /// An engine that has observed everything and is ready to start.
    fn engine_ready() -> Engine {
        Engine {
            queued_behind: None,
            initiator: Some(Ok(())),
            resolution: Some(Resolution::Ready),
            branches: Some((3, 15)),
            branch: Some(Branch::Ready),
            next_component: None,
            failed_components: 0,
            forward_references: false,
        }
    }

    /// A pipeline with every stage done, the environments deployed.
    fn pipeline_done() -> Pipeline {
        Pipeline {
            merged: true,
            tested_verified: true,
            package: true,
            pack: true,
            pack_choosable: true,
            release: Release::Done,
            environments: vec![("env-1".into(), Target::Deployed)],
            extensions_refreshed: true,
            test_branch: false,
            own_branch: true,
            window_closed: None,
            approvals: Ok(()),
        }
    }

    fn do_(e: Effect) -> Step {
        Step::Do(e)
    }

    fn ends(status: PromotionStatus) -> impl Fn(&Step) -> bool {
        move |s| matches!(s, Step::Finish { status: got, .. } if *got == status)
    }

    /// One row per transition of the lifecycle and per exit path, in every mode.
    #[test]
    fn the_lifecycle_table() {
        type Edit = fn(&mut Observed);
        type Check = Box<dyn Fn(&Step) -> bool>;
        let rows: Vec<(&str, Mode, PromotionStatus, Edit, Check)> = vec![
            // --- action C
            (
                "queued behind another of the account",
                Mode::Test,
                S::Queued,
                |o| o.engine.queued_behind = Some("other".into()),
                Box::new(
                    |s| matches!(s, Step::Wait { reason: Wait::QueuedBehind(x), .. } if x == "other"),
                ),
            ),
            (
                "the initiator is checked first",
                Mode::Test,
                S::Queued,
                |_| {},
                Box::new(|s| *s == Step::Observe(Observation::Initiator)),
            ),
            (
                "a demoted initiator fails",
                Mode::Hotfix,
                S::Queued,
                |o| o.engine.initiator = Some(Err((ErrorCode::InsufficientTier, "demoted".into()))),
                Box::new(|s| {
                    matches!(
                        s,
                        Step::Finish {
                            status: S::Failed,
                            code: Some(ErrorCode::InsufficientTier),
                            ..
                        }
                    )
                }),
            ),
            (
                "a demoted initiator fails mid-way too",
                Mode::Test,
                S::InProgress,
                |o| {
                    o.engine = engine_ready();
                    o.engine.initiator =
                        Some(Err((ErrorCode::UnauthorizedAccountAccess, "moved".into())))
                },
                Box::new(|s| {
                    matches!(
                        s,
                        Step::Finish {
                            status: S::Failed,
                            code: Some(ErrorCode::UnauthorizedAccountAccess),
                            ..
                        }
                    )
                }),
            ),
            (
                "then the tree is resolved",
                Mode::Test,
                S::Queued,
                |o| o.engine.initiator = Some(Ok(())),
                Box::new(|s| *s == Step::Observe(Observation::Resolve)),
            ),
            (
                "missing mappings fail before a branch",
                Mode::Test,
                S::Queued,
                |o| {
                    o.engine.initiator = Some(Ok(()));
                    o.engine.resolution = Some(Resolution::MissingMappings("Orders DB".into()))
                },
                Box::new(|s| {
                    matches!(
                        s,
                        Step::Finish {
                            status: S::Failed,
                            code: Some(ErrorCode::MissingConnectionMappings),
                            ..
                        }
                    )
                }),
            ),
            (
                "an unreadable tree fails",
                Mode::Test,
                S::Queued,
                |o| {
                    o.engine.initiator = Some(Ok(()));
                    o.engine.resolution = Some(Resolution::Invalid {
                        code: ErrorCode::ComponentNotFound,
                        message: "x".into(),
                    })
                },
                Box::new(|s| {
                    matches!(
                        s,
                        Step::Finish {
                            status: S::Failed,
                            code: Some(ErrorCode::ComponentNotFound),
                            ..
                        }
                    )
                }),
            ),
            (
                "branches are counted",
                Mode::Test,
                S::Queued,
                |o| {
                    o.engine = engine_ready();
                    o.engine.branches = None
                },
                Box::new(|s| *s == Step::Observe(Observation::CountBranches)),
            ),
            (
                "the soft limit holds the promotion",
                Mode::Test,
                S::Queued,
                |o| {
                    o.engine = engine_ready();
                    o.engine.branches = Some((15, 15))
                },
                Box::new(|s| {
                    matches!(
                        s,
                        Step::Wait {
                            reason: Wait::BranchLimit {
                                count: 15,
                                limit: 15
                            },
                            ..
                        }
                    )
                }),
            ),
            (
                "QUEUED → IN_PROGRESS",
                Mode::Hotfix,
                S::Queued,
                |o| o.engine = engine_ready(),
                Box::new(|s| *s == do_(Effect::Start)),
            ),
            (
                "the branch is created",
                Mode::Test,
                S::InProgress,
                |o| {
                    o.engine = engine_ready();
                    o.engine.branch = Some(Branch::Absent)
                },
                Box::new(|s| *s == do_(Effect::CreateBranch)),
            ),
            (
                "and waited for",
                Mode::Test,
                S::InProgress,
                |o| {
                    o.engine = engine_ready();
                    o.engine.branch = Some(Branch::Unconfirmed)
                },
                Box::new(|s| *s == Step::Observe(Observation::BranchReady)),
            ),
            (
                "one component at a time",
                Mode::Test,
                S::InProgress,
                |o| {
                    o.engine = engine_ready();
                    o.engine.next_component = Some("c1".into())
                },
                Box::new(|s| {
                    *s == do_(Effect::Promote {
                        component: "c1".into(),
                    })
                }),
            ),
            (
                "a failed component fails the promotion",
                Mode::Hotfix,
                S::InProgress,
                |o| {
                    o.engine = engine_ready();
                    o.engine.failed_components = 2
                },
                Box::new(|s| {
                    matches!(
                        s,
                        Step::Finish {
                            status: S::Failed,
                            code: Some(ErrorCode::PromotionFailed),
                            ..
                        }
                    )
                }),
            ),
            (
                "forward references are rewritten",
                Mode::Test,
                S::InProgress,
                |o| {
                    o.engine = engine_ready();
                    o.engine.forward_references = true
                },
                Box::new(|s| *s == do_(Effect::RewriteForwardReferences)),
            ),
            (
                "IN_PROGRESS → COMPLETED",
                Mode::Test,
                S::InProgress,
                |o| o.engine = engine_ready(),
                Box::new(|s| *s == do_(Effect::Complete)),
            ),
            // --- after C
            (
                "COMPLETED → TEST_DEPLOYING",
                Mode::Test,
                S::Completed,
                |_| {},
                Box::new(|s| *s == do_(Effect::StartTestDeploy)),
            ),
            (
                "COMPLETED → PENDING_PEER_REVIEW (hotfix)",
                Mode::Hotfix,
                S::Completed,
                |_| {},
                Box::new(|s| *s == do_(Effect::SubmitForReview)),
            ),
            // --- the TEST pipeline
            (
                "TEST: merge first",
                Mode::Test,
                S::TestDeploying,
                |_| {},
                Box::new(|s| *s == do_(Effect::Merge)),
            ),
            (
                "TEST: package",
                Mode::Test,
                S::TestDeploying,
                |o| {
                    o.pipeline = pipeline_done();
                    o.pipeline.package = false
                },
                Box::new(|s| *s == do_(Effect::Package)),
            ),
            (
                "TEST: a pack can be chosen",
                Mode::Test,
                S::TestDeploying,
                |o| {
                    o.pipeline = pipeline_done();
                    o.pipeline.pack = false
                },
                Box::new(|s| *s == do_(Effect::ChoosePack)),
            ),
            (
                "TEST_DEPLOYING → PENDING_PACK_ASSIGNMENT",
                Mode::Test,
                S::TestDeploying,
                |o| {
                    o.pipeline = pipeline_done();
                    o.pipeline.pack = false;
                    o.pipeline.pack_choosable = false
                },
                Box::new(ends(S::PendingPackAssignment)),
            ),
            (
                "TEST: release",
                Mode::Test,
                S::TestDeploying,
                |o| {
                    o.pipeline = pipeline_done();
                    o.pipeline.release = Release::NotReleased
                },
                Box::new(|s| *s == do_(Effect::Release)),
            ),
            (
                "TEST: wait for the release",
                Mode::Test,
                S::TestDeploying,
                |o| {
                    o.pipeline = pipeline_done();
                    o.pipeline.release = Release::Running
                },
                Box::new(|s| *s == Step::Observe(Observation::ReleaseStatus)),
            ),
            (
                "TEST: deploy each environment",
                Mode::Test,
                S::TestDeploying,
                |o| {
                    o.pipeline = pipeline_done();
                    o.pipeline.environments = vec![
                        ("a".into(), Target::Deployed),
                        ("b".into(), Target::Pending),
                    ]
                },
                Box::new(|s| {
                    *s == do_(Effect::Deploy {
                        environment: "b".into(),
                    })
                }),
            ),
            (
                "TEST: refresh the extension cache",
                Mode::Test,
                S::TestDeploying,
                |o| {
                    o.pipeline = pipeline_done();
                    o.pipeline.extensions_refreshed = false
                },
                Box::new(|s| *s == do_(Effect::RefreshExtensions)),
            ),
            (
                "TEST_DEPLOYING → TEST_DEPLOYED (branch kept)",
                Mode::Test,
                S::TestDeploying,
                |o| o.pipeline = pipeline_done(),
                Box::new(ends(S::TestDeployed)),
            ),
            (
                "TEST: partly failed is still deployed",
                Mode::Test,
                S::TestDeploying,
                |o| {
                    o.pipeline = pipeline_done();
                    o.pipeline.environments.push(("b".into(), Target::Failed))
                },
                Box::new(
                    |s| matches!(s, Step::Finish { status: S::TestDeployed, message, .. } if message.starts_with("PARTIAL")),
                ),
            ),
            (
                "TEST_DEPLOYING → TEST_DEPLOY_FAILED",
                Mode::Test,
                S::TestDeploying,
                |o| {
                    o.pipeline = pipeline_done();
                    o.pipeline.environments = vec![("a".into(), Target::Failed)]
                },
                Box::new(|s| {
                    matches!(
                        s,
                        Step::Finish {
                            status: S::TestDeployFailed,
                            code: Some(ErrorCode::DeploymentFailed),
                            ..
                        }
                    )
                }),
            ),
            (
                "TEST: no approvals or windows needed",
                Mode::Test,
                S::TestDeploying,
                |o| {
                    o.pipeline = pipeline_done();
                    o.pipeline.approvals = Err("none".into());
                    o.pipeline.window_closed = Some(at(18))
                },
                Box::new(ends(S::TestDeployed)),
            ),
            (
                "TEST_DEPLOY_FAILED waits out its backoff",
                Mode::Test,
                S::TestDeployFailed,
                |o| o.retry_at = Some(at(13)),
                Box::new(|s| {
                    matches!(
                        s,
                        Step::Wait {
                            reason: Wait::Backoff,
                            until: Some(_)
                        }
                    )
                }),
            ),
            (
                "TEST_DEPLOY_FAILED → TEST_DEPLOYING",
                Mode::Test,
                S::TestDeployFailed,
                |o| o.retry_at = Some(at(11)),
                Box::new(|s| *s == do_(Effect::StartTestDeploy)),
            ),
            (
                "TEST_DEPLOY_FAILED → TEST_CANCELLED",
                Mode::Test,
                S::TestDeployFailed,
                |o| o.docs.cancel_test = true,
                Box::new(ends(S::TestCancelled)),
            ),
            (
                "PENDING_PACK_ASSIGNMENT waits for an admin",
                Mode::Test,
                S::PendingPackAssignment,
                |_| {},
                Box::new(|s| *s == Step::AwaitPerson(Role::PackAssigner)),
            ),
            (
                "PENDING_PACK_ASSIGNMENT → TEST_DEPLOYING",
                Mode::Test,
                S::PendingPackAssignment,
                |o| o.docs.pack_assignment = true,
                Box::new(|s| *s == do_(Effect::StartTestDeploy)),
            ),
            (
                "PENDING_PACK_ASSIGNMENT → TEST_CANCELLED",
                Mode::Test,
                S::PendingPackAssignment,
                |o| o.docs.cancel_test = true,
                Box::new(ends(S::TestCancelled)),
            ),
            (
                "TEST_DEPLOYED rests",
                Mode::Test,
                S::TestDeployed,
                |_| {},
                Box::new(|s| *s == Step::Idle),
            ),
            (
                "TEST_DEPLOYED → TEST_CANCELLED",
                Mode::Test,
                S::TestDeployed,
                |o| o.docs.cancel_test = true,
                Box::new(ends(S::TestCancelled)),
            ),
            (
                "no cancel under a production successor",
                Mode::Test,
                S::TestDeployed,
                |o| {
                    o.docs.cancel_test = true;
                    o.successor = Some("prd".into())
                },
                Box::new(|s| {
                    matches!(
                        s,
                        Step::Refuse {
                            code: ErrorCode::InvalidPromotionStatus,
                            ..
                        }
                    )
                }),
            ),
            // --- reviews
            (
                "waiting for a peer",
                Mode::ProductionFromTest,
                S::PendingPeerReview,
                |_| {},
                Box::new(|s| *s == Step::AwaitPerson(Role::Peer)),
            ),
            (
                "PENDING_PEER_REVIEW → PENDING_ADMIN_REVIEW",
                Mode::Hotfix,
                S::PendingPeerReview,
                |o| o.docs.peer_review = ReviewDoc::Present { approved: true },
                Box::new(|s| *s == do_(Effect::ActOnPeerReview { approved: true })),
            ),
            (
                "PENDING_PEER_REVIEW → PEER_REJECTED",
                Mode::ProductionFromTest,
                S::PendingPeerReview,
                |o| o.docs.peer_review = ReviewDoc::Present { approved: false },
                Box::new(|s| *s == do_(Effect::ActOnPeerReview { approved: false })),
            ),
            (
                "PENDING_PEER_REVIEW → WITHDRAWN",
                Mode::Hotfix,
                S::PendingPeerReview,
                |o| {
                    o.docs.withdrawal = true;
                    o.docs.peer_review = ReviewDoc::Present { approved: true }
                },
                Box::new(ends(S::Withdrawn)),
            ),
            (
                "waiting for an admin",
                Mode::Hotfix,
                S::PendingAdminReview,
                |_| {},
                Box::new(|s| *s == Step::AwaitPerson(Role::Admin)),
            ),
            (
                "PENDING_ADMIN_REVIEW → DEPLOYING",
                Mode::ProductionFromTest,
                S::PendingAdminReview,
                |o| {
                    o.docs.admin_review = ReviewDoc::Present { approved: true };
                    o.docs.admin_on_acted_peer = true
                },
                Box::new(|s| *s == do_(Effect::ActOnAdminDecision { approved: true })),
            ),
            (
                "PENDING_ADMIN_REVIEW → ADMIN_REJECTED",
                Mode::Hotfix,
                S::PendingAdminReview,
                |o| {
                    o.docs.admin_review = ReviewDoc::Present { approved: false };
                    o.docs.admin_on_acted_peer = true
                },
                Box::new(|s| *s == do_(Effect::ActOnAdminDecision { approved: false })),
            ),
            (
                "PENDING_ADMIN_REVIEW → WITHDRAWN",
                Mode::ProductionFromTest,
                S::PendingAdminReview,
                |o| o.docs.withdrawal = true,
                Box::new(ends(S::Withdrawn)),
            ),
            (
                "a changed peer review is refused",
                Mode::Hotfix,
                S::PendingAdminReview,
                |o| o.docs.peer_review = ReviewDoc::Changed,
                Box::new(|s| {
                    matches!(
                        s,
                        Step::Refuse {
                            code: ErrorCode::AlreadyReviewed,
                            ..
                        }
                    )
                }),
            ),
            (
                "a decision on another peer review is refused",
                Mode::Hotfix,
                S::PendingAdminReview,
                |o| o.docs.admin_review = ReviewDoc::Present { approved: true },
                Box::new(|s| {
                    matches!(
                        s,
                        Step::Refuse {
                            code: ErrorCode::StaleApproval,
                            ..
                        }
                    )
                }),
            ),
            // --- the production pipelines
            (
                "production needs its approvals first",
                Mode::ProductionFromTest,
                S::Deploying,
                |o| {
                    o.pipeline = pipeline_done();
                    o.pipeline.approvals = Err("no admin".into())
                },
                Box::new(|s| {
                    matches!(
                        s,
                        Step::Guarded {
                            code: ErrorCode::DeploymentNotApproved,
                            ..
                        }
                    )
                }),
            ),
            (
                "production waits for its window",
                Mode::Hotfix,
                S::Deploying,
                |o| {
                    o.pipeline = pipeline_done();
                    o.pipeline.window_closed = Some(at(17))
                },
                Box::new(|s| {
                    matches!(
                        s,
                        Step::Wait {
                            reason: Wait::DeployWindow,
                            until: Some(_)
                        }
                    )
                }),
            ),
            (
                "from test: main is checked, not merged",
                Mode::ProductionFromTest,
                S::Deploying,
                |o| {
                    o.pipeline = pipeline_done();
                    o.pipeline.merged = false;
                    o.pipeline.tested_verified = false
                },
                Box::new(|s| *s == do_(Effect::VerifyTested)),
            ),
            (
                "hotfix: merge",
                Mode::Hotfix,
                S::Deploying,
                |o| {
                    o.pipeline = pipeline_done();
                    o.pipeline.merged = false;
                    o.pipeline.tested_verified = false
                },
                Box::new(|s| *s == do_(Effect::Merge)),
            ),
            (
                "production without a pack fails",
                Mode::Hotfix,
                S::Deploying,
                |o| {
                    o.pipeline = pipeline_done();
                    o.pipeline.pack = false;
                    o.pipeline.pack_choosable = false
                },
                Box::new(|s| {
                    matches!(
                        s,
                        Step::Finish {
                            status: S::Failed,
                            code: Some(ErrorCode::PackAssignmentRequired),
                            ..
                        }
                    )
                }),
            ),
            (
                "from test: the kept test branch goes",
                Mode::ProductionFromTest,
                S::Deploying,
                |o| {
                    o.pipeline = pipeline_done();
                    o.pipeline.test_branch = true
                },
                Box::new(|s| *s == do_(Effect::DeleteTestBranch)),
            ),
            (
                "DEPLOYING → DEPLOYED",
                Mode::ProductionFromTest,
                S::Deploying,
                |o| o.pipeline = pipeline_done(),
                Box::new(ends(S::Deployed)),
            ),
            (
                "DEPLOYING → DEPLOYED (hotfix)",
                Mode::Hotfix,
                S::Deploying,
                |o| o.pipeline = pipeline_done(),
                Box::new(ends(S::Deployed)),
            ),
            (
                "DEPLOYING → FAILED",
                Mode::Hotfix,
                S::Deploying,
                |o| {
                    o.pipeline = pipeline_done();
                    o.pipeline.environments = vec![("p".into(), Target::Failed)]
                },
                Box::new(|s| {
                    matches!(
                        s,
                        Step::Finish {
                            status: S::Failed,
                            code: Some(ErrorCode::DeploymentFailed),
                            ..
                        }
                    )
                }),
            ),
            // --- the guards of every status
            (
                "nothing runs without settings",
                Mode::Test,
                S::TestDeploying,
                |o| o.settings = false,
                Box::new(|s| {
                    matches!(
                        s,
                        Step::Wait {
                            reason: Wait::NoSettings,
                            ..
                        }
                    )
                }),
            ),
            (
                "a broken request fails before it starts",
                Mode::Test,
                S::Queued,
                |o| o.docs.request_valid = false,
                Box::new(ends(S::Failed)),
            ),
            (
                "a broken request stops a started one",
                Mode::Hotfix,
                S::PendingAdminReview,
                |o| o.docs.request_valid = false,
                Box::new(|s| *s == Step::Idle),
            ),
        ];
        for (name, mode, status, edit, expect) in rows {
            let mut o = base(mode, status);
            edit(&mut o);
            let step = next_step(&o);
            assert!(expect(&step), "{name}: {mode:?} {status} gave {step:?}");
            // Whatever a step moves to is in the mode's transition table.
            if let Step::Finish { status: to, .. } = step {
                assert!(
                    can_transition(mode, Some(status), to),
                    "{name}: {status} -> {to}"
                );
            }
        }
    }

    /// Terminal statuses and statuses a mode never has: nothing to do, in every case.
    #[test]
    fn nothing_moves_a_finished_promotion() {
        for mode in [Mode::Test, Mode::ProductionFromTest, Mode::Hotfix] {
            for status in PromotionStatus::ALL {
                let mut o = base(mode, *status);
                o.docs.withdrawal = true;
                o.docs.cancel_test = true;
                o.docs.peer_review = ReviewDoc::Present { approved: true };
                if status.is_terminal() {
                    assert_eq!(next_step(&o), Step::Idle, "{mode:?} {status}");
                }
                // Any status the mode can never reach is idle too.
                let reachable = can_transition(mode, None, *status)
                    || PromotionStatus::ALL
                        .iter()
                        .any(|from| can_transition(mode, Some(*from), *status));
                if !reachable {
                    assert_eq!(next_step(&o), Step::Idle, "{mode:?} {status}");
                }
            }
        }
    }

    /// The one pipeline: the modes differ only in their stages.
    #[test]
    fn the_pipelines_are_data() {
        assert!(!pipeline(Mode::Test).contains(&Stage::Approvals));
        for m in [Mode::ProductionFromTest, Mode::Hotfix] {
            assert_eq!(&pipeline(m)[..2], &[Stage::Approvals, Stage::Window]);
        }
        assert!(pipeline(Mode::ProductionFromTest).contains(&Stage::VerifyTested));
        assert!(!pipeline(Mode::ProductionFromTest).contains(&Stage::Merge));
        assert_eq!(failure_status(Mode::Test, Stage::Merge), S::Failed);
        assert_eq!(
            failure_status(Mode::Test, Stage::Release),
            S::TestDeployFailed
        );
        assert_eq!(failure_status(Mode::Hotfix, Stage::Release), S::Failed);
        assert_eq!(deploying_status(Mode::Test), S::TestDeploying);
        assert_eq!(deploying_status(Mode::Hotfix), S::Deploying);
    }
}
