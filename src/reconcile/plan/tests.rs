//! Table tests of the planner: one row per transition of the lifecycle and per exit path.

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
            "a downgrade needs its acknowledgement",
            Mode::ProductionFromTest,
            S::PendingAdminReview,
            |o| {
                o.docs.admin_review = ReviewDoc::Present { approved: true };
                o.docs.admin_on_acted_peer = true;
                o.unacknowledged_downgrade = Some("1.3.0 after 1.4.0".into())
            },
            Box::new(|s| {
                matches!(
                    s,
                    Step::Refuse {
                        code: ErrorCode::DowngradeNotAcknowledged,
                        ..
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
            |o| o.docs.request = RequestDoc::Broken,
            Box::new(ends(S::Failed)),
        ),
        (
            "a vanished request is only reported",
            Mode::Test,
            S::Queued,
            |o| o.docs.request = RequestDoc::Vanished,
            Box::new(|s| *s == Step::Idle),
        ),
        (
            "a broken request stops a started one",
            Mode::Hotfix,
            S::PendingAdminReview,
            |o| o.docs.request = RequestDoc::Broken,
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
