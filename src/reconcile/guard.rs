//! The deployment guard: the one door to the Boomi calls that make something run in an
//! environment — creating a `DeployedPackage` and releasing an integration pack.
//!
//! Whatever the documents in git say, and whichever mode or future document kind asks:
//!
//! - an environment is deployed to only when **Boomi** (`GET Environment/{id}`, read once per
//!   pass) and the settings in force classify it the same way; otherwise nothing deploys there
//!   and the promotion shows `ENVIRONMENT_CLASSIFICATION_MISMATCH`;
//! - a TEST promotion deploys only to TEST environments and releases only into a TEST pack (its
//!   name ends in ` - TEST` and no production promotion has used it); a production promotion
//!   only to PROD environments and production packs (`INVALID_DEPLOYMENT_TARGET`);
//! - a production deployment or release needs, on the record, an APPROVED peer review and an
//!   APPROVED admin decision by people other than the initiator, bound to the request in force
//!   (`requestDigest`) and to each other (`peerReviewDigest`), and the same documents still in
//!   force in git (`DEPLOYMENT_NOT_APPROVED`).
//!
//! The decisions are pure functions ([`decide_deploy`], [`decide_release`]) tested over every
//! mode × classification × review state. The effects go through [`Gate`], which holds the only
//! [`Deployer`] the reconciler has: `Context::platform` is a `dyn Platform`, which has no
//! method that deploys, so no other code path of the reconciler can create a deployment.

use crate::boomi::wire::{
    DeployedPackage, PublisherIntegrationPack, ReleaseIntegrationPack, ReleasePackagedComponent,
};
use crate::boomi::{BoomiError, Deployer, Platform};
use crate::model::validate::TEST_PACK_SUFFIX;
use crate::model::{Classification, ErrorCode, Mode, Settings};
use crate::policy::PromotionDocs;
use crate::store::{Approval, PromotionRecord, Store, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What the guard knows of an environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentFacts {
    pub id: String,
    /// Boomi's classification; `None` when Boomi does not know the environment.
    pub boomi: Option<Classification>,
    /// The classification of the settings in force; `None` when `promoter.yaml` does not list it.
    pub settings: Option<Classification>,
}

/// What the guard knows of an integration pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackFacts {
    pub id: String,
    pub name: Option<String>,
    /// A production promotion has released into this pack before.
    pub production_used: bool,
}

impl PackFacts {
    /// A TEST pack: named `… - TEST` and never used by production. Anything else counts as a
    /// pack production uses.
    pub fn classification(&self) -> Classification {
        let test_name = self.name.as_deref().is_some_and(|n| {
            n.len() >= TEST_PACK_SUFFIX.len()
                && n[n.len() - TEST_PACK_SUFFIX.len()..].eq_ignore_ascii_case(TEST_PACK_SUFFIX)
        });
        if test_name && !self.production_used {
            Classification::Test
        } else {
            Classification::Prod
        }
    }
}

/// The approvals of a promotion as the guard sees them: what the reconciler acted on (on the
/// record) and what is in force in git now.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApprovalFacts<'a> {
    /// The initiator, lower-case.
    pub initiator: &'a str,
    /// The request digest the record was built from.
    pub request_digest: Option<&'a str>,
    pub peer: Option<&'a Approval>,
    pub admin: Option<&'a Approval>,
    /// Digests of the documents in force in git now.
    pub request_in_force: Option<&'a str>,
    pub peer_in_force: Option<&'a str>,
    pub admin_in_force: Option<&'a str>,
}

impl<'a> ApprovalFacts<'a> {
    /// The facts of a record and the verified documents in force.
    pub fn of(rec: &'a PromotionRecord, docs: Option<&'a PromotionDocs>) -> Self {
        ApprovalFacts {
            initiator: &rec.initiated_by,
            request_digest: rec.request_digest.as_deref(),
            peer: rec.approvals.peer.as_ref(),
            admin: rec.approvals.admin.as_ref(),
            request_in_force: docs.map(|d| d.request.digest.as_str()),
            peer_in_force: docs
                .and_then(|d| d.peer_review.as_ref())
                .map(|p| p.digest.as_str()),
            admin_in_force: docs
                .and_then(|d| d.admin_review.as_ref())
                .map(|a| a.digest.as_str()),
        }
    }
}

/// Why the guard refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Boomi and the settings disagree about an environment (or one of them does not know it).
    #[error("environment {env}: {why}; nothing deploys there until Boomi and promoter.yaml agree")]
    ClassificationMismatch { env: String, why: String },
    /// The target is of the other class than the mode deploys to.
    #[error("{0}")]
    WrongTarget(String),
    /// Production without its two approvals.
    #[error("{0}")]
    NotApproved(String),
}

impl Refusal {
    pub fn code(&self) -> ErrorCode {
        match self {
            Refusal::ClassificationMismatch { .. } => ErrorCode::EnvironmentClassificationMismatch,
            Refusal::WrongTarget(_) => ErrorCode::InvalidDeploymentTarget,
            Refusal::NotApproved(_) => ErrorCode::DeploymentNotApproved,
        }
    }
}

fn class_name(c: Classification) -> &'static str {
    match c {
        Classification::Test => "TEST",
        Classification::Prod => "PROD",
    }
}

fn mode_name(m: Mode) -> &'static str {
    match m {
        Mode::Test => "a TEST promotion",
        Mode::ProductionFromTest => "a production promotion",
        Mode::Hotfix => "a hotfix",
    }
}

/// Whether the approvals allow production: the exact conditions, each a reason when broken.
pub fn check_approvals(a: &ApprovalFacts<'_>) -> Result<(), String> {
    let Some(request) = a.request_digest else {
        return Err("the record holds no request digest".into());
    };
    let Some(peer) = a.peer else {
        return Err("no peer review was acted on".into());
    };
    let Some(admin) = a.admin else {
        return Err("no admin decision was acted on".into());
    };
    if !peer.is_approved() {
        return Err(format!(
            "the peer review is {}, not APPROVED",
            peer.decision
        ));
    }
    if !admin.is_approved() {
        return Err(format!(
            "the admin decision is {}, not APPROVED",
            admin.decision
        ));
    }
    let initiator = a.initiator.to_lowercase();
    if peer.by.to_lowercase() == initiator {
        return Err(format!("the peer review is by the initiator {}", peer.by));
    }
    if admin.by.to_lowercase() == initiator {
        return Err(format!(
            "the admin decision is by the initiator {}",
            admin.by
        ));
    }
    if peer.request_digest != request {
        return Err("the peer review was made on another version of the request".into());
    }
    if admin.request_digest != request {
        return Err("the admin decision was made on another version of the request".into());
    }
    if admin.peer_review_digest.as_deref() != Some(peer.digest.as_str()) {
        return Err(
            "the admin decision does not build on the peer review that was acted on".into(),
        );
    }
    if a.request_in_force != Some(request) {
        return Err("the request in git is not the one that was approved".into());
    }
    if a.peer_in_force != Some(peer.digest.as_str()) {
        return Err("the peer review in git is not the one that was acted on".into());
    }
    if a.admin_in_force != Some(admin.digest.as_str()) {
        return Err("the admin decision in git is not the one that was acted on".into());
    }
    Ok(())
}

/// May `mode` deploy to this environment with these approvals?
pub fn decide_deploy(
    mode: Mode,
    env: &EnvironmentFacts,
    approvals: &ApprovalFacts<'_>,
) -> Result<(), Refusal> {
    let class = match (env.boomi, env.settings) {
        (None, _) => {
            return Err(Refusal::ClassificationMismatch {
                env: env.id.clone(),
                why: "Boomi does not know it".into(),
            })
        }
        (Some(_), None) => {
            return Err(Refusal::ClassificationMismatch {
                env: env.id.clone(),
                why: "promoter.yaml does not list it".into(),
            })
        }
        (Some(b), Some(s)) if b != s => {
            return Err(Refusal::ClassificationMismatch {
                env: env.id.clone(),
                why: format!(
                    "Boomi classifies it {}, promoter.yaml {}",
                    class_name(b),
                    class_name(s)
                ),
            })
        }
        (Some(b), Some(_)) => b,
    };
    match (mode, class) {
        (Mode::Test, Classification::Test) => Ok(()),
        (Mode::ProductionFromTest | Mode::Hotfix, Classification::Prod) => check_approvals(
            approvals,
        )
        .map_err(|why| {
            Refusal::NotApproved(format!(
                "deploying to production environment {} needs an APPROVED peer review and an APPROVED admin decision: {why}",
                env.id
            ))
        }),
        (Mode::Test, Classification::Prod)
        | (Mode::ProductionFromTest | Mode::Hotfix, Classification::Test) => {
            Err(Refusal::WrongTarget(format!(
                "{} does not deploy to {} environment {}",
                mode_name(mode),
                class_name(class),
                env.id
            )))
        }
    }
}

/// May `mode` release this pack with these approvals?
pub fn decide_release(
    mode: Mode,
    pack: &PackFacts,
    approvals: &ApprovalFacts<'_>,
) -> Result<(), Refusal> {
    let name = pack.name.as_deref().unwrap_or("?");
    match (mode, pack.classification()) {
        (Mode::Test, Classification::Test) => Ok(()),
        (Mode::Test, Classification::Prod) => Err(Refusal::WrongTarget(format!(
            "a TEST promotion releases only into a TEST pack (named \"… - TEST\", never used by production); {:?} ({}) {}",
            name,
            pack.id,
            if pack.production_used {
                "is used by production"
            } else {
                "is not a TEST pack"
            }
        ))),
        (Mode::ProductionFromTest | Mode::Hotfix, Classification::Prod) => check_approvals(
            approvals,
        )
        .map_err(|why| {
            Refusal::NotApproved(format!(
                "releasing integration pack {name:?} needs an APPROVED peer review and an APPROVED admin decision: {why}"
            ))
        }),
        (Mode::ProductionFromTest | Mode::Hotfix, Classification::Test) => {
            Err(Refusal::WrongTarget(format!(
                "{} does not release into the TEST pack {name:?} ({})",
                mode_name(mode),
                pack.id
            )))
        }
    }
}

/// A refusal or a failed call.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Boomi(#[from] BoomiError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A deployment the reconciler asks for.
#[derive(Debug, Clone, Copy)]
pub struct DeployRequest<'a> {
    pub record: &'a PromotionRecord,
    /// The promotion's documents in force (the verified snapshot).
    pub docs: Option<&'a PromotionDocs>,
    pub settings: Option<&'a Settings>,
    pub environment_id: &'a str,
    pub package_id: &'a str,
    pub notes: Option<&'a str>,
}

/// A release the reconciler asks for.
#[derive(Debug, Clone, Copy)]
pub struct ReleaseRequest<'a> {
    pub record: &'a PromotionRecord,
    pub docs: Option<&'a PromotionDocs>,
    /// The pack as Boomi returned it.
    pub pack: &'a PublisherIntegrationPack,
    pub components: &'a [ReleasePackagedComponent],
}

/// The reconciler's only way to deploy or release: every call is decided first.
pub struct Gate {
    deployer: Arc<dyn Deployer>,
    platform: Arc<dyn Platform>,
    store: Arc<Store>,
    /// Boomi's classification per environment, read once per pass.
    environments: Mutex<HashMap<String, Option<Classification>>>,
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate").finish_non_exhaustive()
    }
}

impl Gate {
    pub fn new(
        deployer: Arc<dyn Deployer>,
        platform: Arc<dyn Platform>,
        store: Arc<Store>,
    ) -> Self {
        Gate {
            deployer,
            platform,
            store,
            environments: Mutex::new(HashMap::new()),
        }
    }

    /// Forget the classifications read in the previous pass.
    pub fn new_pass(&self) {
        self.environments
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Boomi's classification of an environment (`None`: Boomi does not know it), cached for
    /// the pass.
    async fn boomi_classification(&self, env: &str) -> Result<Option<Classification>, BoomiError> {
        if let Some(c) = self
            .environments
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(env)
        {
            return Ok(*c);
        }
        let c = match self.platform.get_environment(None, env).await {
            Ok(e) => e.classification.map(|c| match c {
                crate::boomi::wire::Classification::Prod => Classification::Prod,
                crate::boomi::wire::Classification::Test => Classification::Test,
            }),
            Err(e) if e.is_not_found() => None,
            Err(e) => return Err(e),
        };
        self.environments
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(env.to_string(), c);
        Ok(c)
    }

    /// Decide a deployment; `Ok` when it may happen (no call to Boomi but the classification
    /// read).
    pub async fn check_deploy(&self, r: &DeployRequest<'_>) -> Result<(), GateError> {
        let env = EnvironmentFacts {
            id: r.environment_id.to_string(),
            boomi: self.boomi_classification(r.environment_id).await?,
            settings: r.settings.and_then(|s| {
                s.environments
                    .iter()
                    .find(|e| e.id == r.environment_id)
                    .map(|e| e.classification)
            }),
        };
        decide_deploy(r.record.mode(), &env, &ApprovalFacts::of(r.record, r.docs))?;
        Ok(())
    }

    /// Decide, then create the `DeployedPackage`.
    pub async fn deploy(&self, r: &DeployRequest<'_>) -> Result<DeployedPackage, GateError> {
        self.check_deploy(r).await?;
        Ok(self
            .deployer
            .deploy_package(None, r.environment_id, r.package_id, r.notes)
            .await?)
    }

    /// Decide a release; `Ok` when it may happen.
    pub fn check_release(&self, r: &ReleaseRequest<'_>) -> Result<(), GateError> {
        let id = r.pack.id.clone().unwrap_or_default();
        let pack = PackFacts {
            production_used: self.store.pack_used_by_production(&id)?,
            id,
            name: r.pack.name.clone(),
        };
        decide_release(r.record.mode(), &pack, &ApprovalFacts::of(r.record, r.docs))?;
        Ok(())
    }

    /// Decide, then release the pack.
    pub async fn release(
        &self,
        r: &ReleaseRequest<'_>,
    ) -> Result<ReleaseIntegrationPack, GateError> {
        self.check_release(r)?;
        let id = r.pack.id.clone().unwrap_or_default();
        Ok(self.deployer.release_pack(&id, r.components).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQ: &str = "sha256:req";
    const PEER: &str = "sha256:peer";
    const ADMIN: &str = "sha256:admin";

    fn approval(decision: &str, by: &str, digest: &str, peer: Option<&str>) -> Approval {
        Approval {
            decision: decision.into(),
            by: by.into(),
            digest: digest.into(),
            request_digest: REQ.into(),
            peer_review_digest: peer.map(str::to_string),
            commit: None,
        }
    }

    /// The review states the table runs over.
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Reviews {
        None,
        PeerOnly,
        PeerRejected,
        AdminDenied,
        Approved,
        SelfReviewed,
        SelfApproved,
        StaleRequest,
        AdminOnOtherPeer,
        PeerGoneFromGit,
        AdminChangedInGit,
        RequestChangedInGit,
    }

    const ALL_REVIEWS: &[Reviews] = &[
        Reviews::None,
        Reviews::PeerOnly,
        Reviews::PeerRejected,
        Reviews::AdminDenied,
        Reviews::Approved,
        Reviews::SelfReviewed,
        Reviews::SelfApproved,
        Reviews::StaleRequest,
        Reviews::AdminOnOtherPeer,
        Reviews::PeerGoneFromGit,
        Reviews::AdminChangedInGit,
        Reviews::RequestChangedInGit,
    ];

    /// Runs `f` with the approval facts of a review state.
    fn with_facts<T>(r: Reviews, f: impl FnOnce(&ApprovalFacts<'_>) -> T) -> T {
        let peer_ok = approval("APPROVED", "bob@example.com", PEER, None);
        let admin_ok = approval("APPROVED", "carol@example.com", ADMIN, Some(PEER));
        let peer_rejected = approval("REJECTED", "bob@example.com", PEER, None);
        let admin_denied = approval("DENIED", "carol@example.com", ADMIN, Some(PEER));
        let self_peer = approval("APPROVED", "Alice@example.com", PEER, None);
        let self_admin = approval("APPROVED", "alice@example.com", ADMIN, Some(PEER));
        let mut stale_peer = peer_ok.clone();
        stale_peer.request_digest = "sha256:old".into();
        let other_admin = approval("APPROVED", "carol@example.com", ADMIN, Some("sha256:x"));
        let (peer, admin) = match r {
            Reviews::None => (None, None),
            Reviews::PeerOnly => (Some(&peer_ok), None),
            Reviews::PeerRejected => (Some(&peer_rejected), None),
            Reviews::AdminDenied => (Some(&peer_ok), Some(&admin_denied)),
            Reviews::SelfReviewed => (Some(&self_peer), Some(&admin_ok)),
            Reviews::SelfApproved => (Some(&peer_ok), Some(&self_admin)),
            Reviews::StaleRequest => (Some(&stale_peer), Some(&admin_ok)),
            Reviews::AdminOnOtherPeer => (Some(&peer_ok), Some(&other_admin)),
            Reviews::Approved
            | Reviews::PeerGoneFromGit
            | Reviews::AdminChangedInGit
            | Reviews::RequestChangedInGit => (Some(&peer_ok), Some(&admin_ok)),
        };
        let facts = ApprovalFacts {
            initiator: "alice@example.com",
            request_digest: Some(REQ),
            peer,
            admin,
            request_in_force: Some(if r == Reviews::RequestChangedInGit {
                "sha256:edited"
            } else {
                REQ
            }),
            peer_in_force: (r != Reviews::PeerGoneFromGit).then_some(PEER),
            admin_in_force: Some(if r == Reviews::AdminChangedInGit {
                "sha256:other"
            } else {
                ADMIN
            }),
        };
        f(&facts)
    }

    fn env(boomi: Option<Classification>, settings: Option<Classification>) -> EnvironmentFacts {
        EnvironmentFacts {
            id: "env-1".into(),
            boomi,
            settings,
        }
    }

    const MODES: &[Mode] = &[Mode::Test, Mode::ProductionFromTest, Mode::Hotfix];
    const CLASSES: &[Option<Classification>] =
        &[None, Some(Classification::Test), Some(Classification::Prod)];

    /// Every mode × Boomi classification × settings classification × review state: exactly
    /// the cases below may deploy.
    #[test]
    fn deploy_decisions_over_every_combination() {
        let mut allowed = 0;
        for &mode in MODES {
            for &boomi in CLASSES {
                for &settings in CLASSES {
                    for &reviews in ALL_REVIEWS {
                        let got =
                            with_facts(reviews, |a| decide_deploy(mode, &env(boomi, settings), a));
                        let expected: Result<(), ErrorCode> = match (boomi, settings) {
                            (None, _) | (_, None) => {
                                Err(ErrorCode::EnvironmentClassificationMismatch)
                            }
                            (Some(b), Some(s)) if b != s => {
                                Err(ErrorCode::EnvironmentClassificationMismatch)
                            }
                            (Some(c), _) => match (mode, c) {
                                (Mode::Test, Classification::Test) => Ok(()),
                                (Mode::Test, Classification::Prod) => {
                                    Err(ErrorCode::InvalidDeploymentTarget)
                                }
                                (_, Classification::Test) => {
                                    Err(ErrorCode::InvalidDeploymentTarget)
                                }
                                (_, Classification::Prod) if reviews == Reviews::Approved => Ok(()),
                                (_, Classification::Prod) => Err(ErrorCode::DeploymentNotApproved),
                            },
                        };
                        assert_eq!(
                            got.as_ref().map_err(Refusal::code),
                            expected.as_ref().map_err(|c| *c),
                            "{mode:?} boomi={boomi:?} settings={settings:?} {reviews:?}: {got:?}"
                        );
                        allowed += usize::from(got.is_ok());
                    }
                }
            }
        }
        // TEST × TEST for every review state, and PROD × PROD only when approved, for the two
        // production modes.
        assert_eq!(allowed, ALL_REVIEWS.len() + 2);
    }

    #[test]
    fn release_decisions_over_every_combination() {
        let packs = [
            ("Orders - TEST", false, Classification::Test),
            ("orders - test", false, Classification::Test),
            ("Orders - TEST", true, Classification::Prod),
            ("Orders - PROD", false, Classification::Prod),
            ("Orders", false, Classification::Prod),
        ];
        for &mode in MODES {
            for (name, used, class) in packs {
                let pack = PackFacts {
                    id: "pk".into(),
                    name: Some(name.into()),
                    production_used: used,
                };
                assert_eq!(pack.classification(), class, "{name} {used}");
                for &reviews in ALL_REVIEWS {
                    let got = with_facts(reviews, |a| decide_release(mode, &pack, a));
                    let expected = match (mode, class) {
                        (Mode::Test, Classification::Test) => Ok(()),
                        (Mode::Test, Classification::Prod) | (_, Classification::Test) => {
                            Err(ErrorCode::InvalidDeploymentTarget)
                        }
                        (_, Classification::Prod) if reviews == Reviews::Approved => Ok(()),
                        (_, Classification::Prod) => Err(ErrorCode::DeploymentNotApproved),
                    };
                    assert_eq!(
                        got.as_ref().map_err(Refusal::code),
                        expected.as_ref().map_err(|c: &ErrorCode| *c),
                        "{mode:?} {name} used={used} {reviews:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn each_broken_condition_is_named() {
        let cases = [
            (Reviews::None, "no peer review"),
            (Reviews::PeerOnly, "no admin decision"),
            (Reviews::PeerRejected, "no admin decision"),
            (Reviews::AdminDenied, "DENIED"),
            (Reviews::SelfReviewed, "peer review is by the initiator"),
            (Reviews::SelfApproved, "admin decision is by the initiator"),
            (Reviews::StaleRequest, "another version of the request"),
            (
                Reviews::AdminOnOtherPeer,
                "does not build on the peer review",
            ),
            (Reviews::PeerGoneFromGit, "peer review in git"),
            (Reviews::AdminChangedInGit, "admin decision in git"),
            (Reviews::RequestChangedInGit, "request in git"),
        ];
        for (r, says) in cases {
            let e = with_facts(r, check_approvals).unwrap_err();
            assert!(e.contains(says), "{r:?}: {e}");
        }
        assert!(with_facts(Reviews::Approved, check_approvals).is_ok());
    }
}
