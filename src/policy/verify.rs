//! Verifying a promotions repository: the access-policy trust chain, signatures, claimed
//! identities and the rules that can be decided from git alone (tiers, teams, self-review,
//! self-approval, stale approvals, who may withdraw or cancel).
//!
//! The input is the repository's files (path → exact bytes); the output is the verified documents
//! plus every problem found, per file. One bad file never hides the others: a bad review is
//! dropped from its promotion, a bad request drops its promotion, and the rest goes on. Rules that
//! need the promotion log (current status, `ALREADY_REVIEWED`, `TEST_DEPLOYED` of a `fromTest`
//! promotion) belong to the reconciler.

use super::access::{norm, Access};
use super::trust::{check_signature, evaluate_policy, evaluate_settings, verify_mappings};
pub use super::trust::{
    is_mapping_path, AcceptedMappings, AcceptedPolicy, AcceptedSettings, PolicyOutcome, Trust,
    POLICY_PATH, SETTINGS_PATH,
};
use crate::model::*;
use std::collections::{BTreeMap, BTreeSet};

/// Repository files: path relative to the root → exact bytes.
pub type Files = BTreeMap<String, Vec<u8>>;

/// A document whose signature and identity verified.
#[derive(Debug, Clone)]
pub struct Signed<T> {
    pub doc: T,
    pub path: String,
    /// `sha256:` digest of the exact bytes.
    pub digest: String,
    /// The e-mail (as the policy spells it) of the signer.
    pub signer: String,
    pub fingerprint: String,
}

/// The verified documents of one promotion.
#[derive(Debug, Clone)]
pub struct PromotionDocs {
    pub id: String,
    pub request: Signed<PromotionRequest>,
    pub peer_review: Option<Signed<PeerReview>>,
    pub admin_review: Option<Signed<AdminReview>>,
    pub pack_assignment: Option<Signed<PackAssignment>>,
    pub withdrawal: Option<Signed<Withdrawal>>,
    pub cancel_test: Option<Signed<CancelTest>>,
}

/// The result of verifying a repository.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The settings in force after this snapshot.
    pub settings: Option<Settings>,
    pub settings_digest: Option<String>,
    pub settings_outcome: PolicyOutcome,
    /// Who signed the settings version in force, when this snapshot changed it.
    pub settings_signer: Option<String>,
    /// The policy in force after this snapshot.
    pub access: Option<Access>,
    pub policy_digest: Option<String>,
    pub policy_outcome: PolicyOutcome,
    /// Who signed the policy version in force, when this snapshot changed it.
    pub policy_signer: Option<String>,
    /// Dev account → the mappings of this snapshot that verified (new or unchanged); a refused
    /// file is absent and its account's accepted mappings stay in force.
    pub mappings: BTreeMap<String, Signed<ConnectionMappings>>,
    /// Dev account → what happened to its mappings file.
    pub mapping_outcomes: BTreeMap<String, PolicyOutcome>,
    pub promotions: BTreeMap<String, PromotionDocs>,
    pub problems: Vec<Problem>,
}

impl Verified {
    /// Problems of one promotion (its files).
    pub fn problems_of(&self, id: &str) -> Vec<&Problem> {
        let prefix = format!("promotions/{id}/");
        self.problems
            .iter()
            .filter(|p| p.file.starts_with(&prefix))
            .collect()
    }

    /// Promotion ids that appear in the repository (valid or not).
    pub fn promotion_ids_with_problems(&self) -> BTreeSet<String> {
        self.problems
            .iter()
            .filter_map(|p| promotion_of_path(&p.file).map(str::to_string))
            .collect()
    }
}

/// `promotions/<id>/...` → `<id>`.
pub fn promotion_of_path(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("promotions/")?;
    let (id, file) = rest.split_once('/')?;
    (!file.is_empty()).then_some(id)
}

/// Parse, verify the signature, check that the claimed identity is a principal of the key.
fn signed_doc(
    files: &Files,
    path: &str,
    access: &Access,
) -> Result<(Document, Signed<()>), Vec<Problem>> {
    let bytes = &files[path];
    let doc = parse_document(path, bytes)?;
    let claimed = doc.claimed_identity().unwrap_or_default();
    let v = check_signature(
        files,
        path,
        bytes,
        &access.allowed_signers(),
        "the access policy",
    )
    .map_err(|p| vec![p.by(Some(claimed), None)])?;
    let signer = v
        .principals
        .iter()
        .find(|p| norm(p) == norm(claimed))
        .cloned();
    let Some(signer) = signer else {
        let line = parse::line_of_key(&String::from_utf8_lossy(bytes), claimed_key(doc.kind()));
        return Err(vec![Problem::new(
            path,
            ErrorCode::IdentityMismatch,
            format!(
                "the document claims {claimed} but is signed by the key of {}",
                v.principals.join(", ")
            ),
        )
        .at(line, None)
        .by(Some(claimed), v.principals.first().map(String::as_str))]);
    };
    Ok((
        doc,
        Signed {
            doc: (),
            path: path.to_string(),
            digest: digest(bytes),
            signer,
            fingerprint: v.fingerprint,
        },
    ))
}

fn claimed_key(kind: Kind) -> &'static str {
    match kind {
        Kind::PromotionRequest => "initiatedBy",
        Kind::PeerReview => "reviewer",
        Kind::AdminReview | Kind::PackAssignment => "admin",
        Kind::Withdrawal | Kind::CancelTest => "by",
        Kind::Settings | Kind::AccessPolicy | Kind::ConnectionMappings => "kind",
    }
}

fn with<T>(s: Signed<()>, doc: T) -> Signed<T> {
    Signed {
        doc,
        path: s.path,
        digest: s.digest,
        signer: s.signer,
        fingerprint: s.fingerprint,
    }
}

/// Verify a whole repository snapshot.
pub fn verify_repository(files: &Files, trust: &Trust) -> Verified {
    verify_incremental(files, trust, None, None).0
}

/// Which documents changed since the snapshot a [`VerifyMemo`] was made from.
#[derive(Debug, Clone, Copy)]
pub struct Dirty<'a> {
    /// Promotions with a file added, changed or removed.
    pub promotions: &'a BTreeSet<String>,
    /// Whether any `mappings/*` file changed.
    pub mappings: bool,
}

/// The per-document results of an earlier verification, kept so that the next snapshot only
/// re-verifies what changed (signatures are the expensive part). Valid only while the policy in
/// force and `promoter.yaml` stay the same: every promotion's verification depends on both.
#[derive(Debug, Clone, Default)]
pub struct VerifyMemo {
    /// Digest of the policy in force and of `promoter.yaml` when the memo was made.
    basis: Option<(String, Option<String>)>,
    mappings: BTreeMap<String, Signed<ConnectionMappings>>,
    mapping_outcomes: BTreeMap<String, PolicyOutcome>,
    mapping_problems: Vec<Problem>,
    /// Promotion id → its documents (when the request verified) and its files' problems,
    /// before the rules across promotions.
    promotions: BTreeMap<String, (Option<PromotionDocs>, Vec<Problem>)>,
}

impl VerifyMemo {
    /// Number of promotions the memo holds results for.
    pub fn len(&self) -> usize {
        self.promotions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.promotions.is_empty()
    }

    /// Promotions whose request builds on one of `ids` (`fromTest`): the rules across
    /// promotions make their verification depend on those.
    pub fn dependents_of(&self, ids: &BTreeSet<String>) -> BTreeSet<String> {
        self.promotions
            .iter()
            .filter(|(_, (docs, _))| {
                docs.as_ref()
                    .and_then(|d| d.request.doc.from_test.as_ref())
                    .is_some_and(|t| ids.contains(t))
            })
            .map(|(id, _)| id.clone())
            .collect()
    }
}

/// Verify a snapshot, re-using the results of `memo` for every document `dirty` does not name.
///
/// The policy and the settings are always evaluated (one file each). When the policy in force or
/// the settings differ from the memo's, or `memo`/`dirty` is `None`, everything is verified as
/// [`verify_repository`] does; the result is the same either way (a test checks it). Returns the
/// verification and the memo for the next snapshot.
pub fn verify_incremental(
    files: &Files,
    trust: &Trust,
    memo: Option<VerifyMemo>,
    dirty: Option<Dirty<'_>>,
) -> (Verified, VerifyMemo) {
    let mut problems = Vec::new();
    let policy = evaluate_policy(files, trust, &mut problems);
    let settings = evaluate_settings(files, trust, &policy, &mut problems);
    let mut verified = Verified {
        settings: settings.in_force,
        settings_digest: settings.digest,
        settings_outcome: settings.outcome,
        settings_signer: settings.signer,
        access: None,
        policy_digest: policy.digest,
        policy_outcome: policy.outcome,
        policy_signer: policy.signer,
        mappings: BTreeMap::new(),
        mapping_outcomes: BTreeMap::new(),
        promotions: BTreeMap::new(),
        problems: Vec::new(),
    };

    let Some(access) = policy.in_force else {
        // Without a policy nothing can be verified; say so once per signed document.
        for path in files.keys().filter(|p| is_signed_document(p)) {
            problems.push(Problem::new(
                path.as_str(),
                ErrorCode::UnknownSigner,
                "no access policy is in force, so no signature can be checked",
            ));
        }
        verified.problems = problems;
        return (verified, VerifyMemo::default());
    };

    // Every promotion's verification depends on the policy and the settings in force.
    let basis = Some((
        verified.policy_digest.clone().unwrap_or_default(),
        verified.settings_digest.clone(),
    ));
    let reuse = match (memo, dirty) {
        (Some(m), Some(d)) if m.basis == basis => Some((m, d)),
        _ => None,
    };
    let mut next = VerifyMemo {
        basis,
        ..Default::default()
    };
    match reuse {
        Some((m, d)) => {
            if d.mappings {
                (next.mappings, next.mapping_outcomes, next.mapping_problems) =
                    verify_mappings(files, &access, trust);
            } else {
                (next.mappings, next.mapping_outcomes, next.mapping_problems) =
                    (m.mappings, m.mapping_outcomes, m.mapping_problems);
            }
            next.promotions = m.promotions;
            for id in d.promotions {
                next.promotions.remove(id);
                let prefix = format!("promotions/{id}/");
                let paths: Vec<&str> = files
                    .range(prefix.clone()..)
                    .take_while(|(p, _)| p.starts_with(&prefix))
                    .map(|(p, _)| p.as_str())
                    .filter(|p| promotion_of_path(p) == Some(id.as_str()))
                    .collect();
                if !paths.is_empty() {
                    let mut ps = Vec::new();
                    let docs = verify_promotion(
                        files,
                        id,
                        &paths,
                        &access,
                        verified.settings.as_ref(),
                        &mut ps,
                    );
                    next.promotions.insert(id.clone(), (docs, ps));
                }
            }
        }
        None => {
            (next.mappings, next.mapping_outcomes, next.mapping_problems) =
                verify_mappings(files, &access, trust);
            let mut by_promotion: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
            for path in files.keys() {
                if let Some(id) = promotion_of_path(path) {
                    by_promotion.entry(id).or_default().push(path);
                }
            }
            for (id, paths) in by_promotion {
                let mut ps = Vec::new();
                let docs = verify_promotion(
                    files,
                    id,
                    &paths,
                    &access,
                    verified.settings.as_ref(),
                    &mut ps,
                );
                next.promotions.insert(id.to_string(), (docs, ps));
            }
        }
    }

    problems.extend(next.mapping_problems.iter().cloned());
    let mut promotions = BTreeMap::new();
    for (id, (docs, ps)) in &next.promotions {
        problems.extend(ps.iter().cloned());
        if let Some(d) = docs {
            promotions.insert(id.clone(), d.clone());
        }
    }
    cross_promotion_rules(&mut promotions, &mut problems);

    verified.access = Some(access);
    verified.mappings = next.mappings.clone();
    verified.mapping_outcomes = next.mapping_outcomes.clone();
    verified.promotions = promotions;
    verified.problems = problems;
    (verified, next)
}

fn is_signed_document(p: &str) -> bool {
    is_mapping_path(p) || promotion_of_path(p).is_some_and(|_| p.ends_with(".yaml"))
}

fn verify_promotion(
    files: &Files,
    id: &str,
    paths: &[&str],
    access: &Access,
    settings: Option<&Settings>,
    problems: &mut Vec<Problem>,
) -> Option<PromotionDocs> {
    let authors = std::cell::RefCell::new(BTreeMap::new());
    let first = problems.len();
    let docs = verify_promotion_docs(files, id, paths, access, settings, problems, &authors);
    // Every problem of a document whose signature verified names its author.
    let authors = authors.into_inner();
    for p in &mut problems[first..] {
        if let (None, Some((claimed, signer))) = (&p.author, authors.get(&p.file)) {
            *p = p.clone().by(Some(claimed), Some(signer));
        }
    }
    docs
}

/// Path → (claimed identity, signer) of the documents of a promotion whose signature verified.
type Authors = std::cell::RefCell<BTreeMap<String, (String, String)>>;

fn verify_promotion_docs(
    files: &Files,
    id: &str,
    paths: &[&str],
    access: &Access,
    settings: Option<&Settings>,
    problems: &mut Vec<Problem>,
    authors: &Authors,
) -> Option<PromotionDocs> {
    let dir = format!("promotions/{id}/");
    // Layout: known document files and their signatures only.
    for p in paths {
        let name = &p[dir.len()..];
        if name.contains('/') {
            problems.push(Problem::new(
                *p,
                ErrorCode::InvalidDocument,
                "unexpected nested file in a promotion directory",
            ));
        } else if let Some(doc_name) = name.strip_suffix(".sig") {
            if Kind::from_promotion_file(doc_name).is_none()
                || !files.contains_key(&format!("{dir}{doc_name}"))
            {
                problems.push(Problem::new(
                    *p,
                    ErrorCode::InvalidDocument,
                    "a signature with no document beside it",
                ));
            }
        } else if Kind::from_promotion_file(name).is_none() {
            problems.push(Problem::new(
                *p,
                ErrorCode::InvalidDocument,
                "unexpected file: a promotion directory holds request.yaml, peer-review.yaml, admin-review.yaml, pack-assignment.yaml, withdrawal.yaml, cancel-test.yaml and their .sig files",
            ));
        }
    }
    let request_path = format!("{dir}request.yaml");
    let Some(request_bytes) = files.get(&request_path) else {
        problems.push(Problem::new(
            dir.trim_end_matches('/'),
            ErrorCode::InvalidDocument,
            "promotion directory without request.yaml",
        ));
        return None;
    };
    let request = match signed_doc(files, &request_path, access) {
        Ok((Document::PromotionRequest(r), s)) => {
            authors.borrow_mut().insert(
                request_path.clone(),
                (r.initiated_by.clone(), s.signer.clone()),
            );
            with(s, r)
        }
        Ok((other, _)) => {
            problems.push(Problem::new(
                request_path.as_str(),
                ErrorCode::InvalidDocument,
                format!("expected kind PromotionRequest, found {}", other.kind()),
            ));
            return None;
        }
        Err(ps) => {
            problems.extend(ps);
            return None;
        }
    };
    let request_text = String::from_utf8_lossy(request_bytes).into_owned();
    let r = &request.doc;
    let at_key = |key: &str| parse::line_of_key(&request_text, key);
    // The initiator: CONTRIBUTOR or ADMIN with access to the dev account.
    let tier = access.tier(&r.initiated_by);
    if !tier.is_some_and(Tier::can_contribute) {
        problems.push(
            Problem::new(
                request_path.as_str(),
                ErrorCode::InsufficientTier,
                format!(
                    "{} is {}; initiating a promotion needs CONTRIBUTOR or ADMIN",
                    r.initiated_by,
                    tier.map(Tier::as_str).unwrap_or("not in the access policy")
                ),
            )
            .at(at_key("initiatedBy"), None),
        );
        return None;
    }
    if !access.can_access(&r.initiated_by, &r.dev_account_id) {
        problems.push(
            Problem::new(
                request_path.as_str(),
                ErrorCode::UnauthorizedAccountAccess,
                format!(
                    "no team of {} has access to dev account {}",
                    r.initiated_by, r.dev_account_id
                ),
            )
            .at(at_key("devAccountId"), None),
        );
        return None;
    }
    // The environments named must be of the target's class in the settings in force: a TEST
    // request never names a production environment (it would run unreviewed).
    if let Some(envs) = &r.environments {
        let bad = environment_problems(settings, envs, r.target.classification());
        if !bad.is_empty() {
            let line = at_key("environments");
            problems.extend(bad.into_iter().map(|(code, msg)| {
                Problem::new(request_path.as_str(), code, msg)
                    .at(line, None)
                    .by(Some(&r.initiated_by), Some(&request.signer))
            }));
            return None;
        }
    }

    let mut docs = PromotionDocs {
        id: id.to_string(),
        request,
        peer_review: None,
        admin_review: None,
        pack_assignment: None,
        withdrawal: None,
        cancel_test: None,
    };
    let initiator = norm(&docs.request.doc.initiated_by);
    let request_digest = docs.request.digest.clone();
    let is_production = docs.request.doc.target == Target::Production;
    let is_hotfix = docs.request.doc.is_hotfix();

    // Load one follow-up document: parse, signature, identity, digest.
    let load = |name: &str,
                problems: &mut Vec<Problem>|
     -> Option<(Document, Signed<()>, String)> {
        let path = format!("{dir}{name}");
        files.get(&path)?;
        match signed_doc(files, &path, access) {
            Ok((doc, s)) => {
                authors.borrow_mut().insert(
                    path.clone(),
                    (
                        doc.claimed_identity().unwrap_or_default().to_string(),
                        s.signer.clone(),
                    ),
                );
                let text = String::from_utf8_lossy(&files[&path]).into_owned();
                if doc.request_digest() != Some(request_digest.as_str()) {
                    problems.push(
                        Problem::new(
                            path.as_str(),
                            ErrorCode::StaleApproval,
                            "requestDigest does not match request.yaml: the request changed after this was signed, so it no longer counts (sign it again against the current request)",
                        )
                        .at(parse::line_of_key(&text, "requestDigest"), None),
                    );
                    return None;
                }
                Some((doc, s, text))
            }
            Err(ps) => {
                problems.extend(ps);
                None
            }
        }
    };
    let fail = |problems: &mut Vec<Problem>,
                path: &str,
                text: &str,
                key: &str,
                code: ErrorCode,
                msg: String| {
        problems.push(Problem::new(path, code, msg).at(parse::line_of_key(text, key), None));
    };

    if let Some((Document::PeerReview(pr), s, text)) = load("peer-review.yaml", problems) {
        let path = s.path.clone();
        let tier = access.tier(&pr.reviewer);
        if !is_production {
            fail(
                problems,
                &path,
                &text,
                "promotion",
                ErrorCode::InvalidReviewState,
                "a TEST promotion is not reviewed; peer review applies to PRODUCTION requests"
                    .into(),
            );
        } else if !tier.is_some_and(Tier::can_contribute) {
            fail(
                problems,
                &path,
                &text,
                "reviewer",
                ErrorCode::InsufficientTier,
                format!(
                    "{} is {}; a peer reviewer must be CONTRIBUTOR or ADMIN",
                    pr.reviewer,
                    tier.map(Tier::as_str).unwrap_or("unknown")
                ),
            );
        } else if norm(&pr.reviewer) == initiator {
            fail(
                problems,
                &path,
                &text,
                "reviewer",
                ErrorCode::SelfReviewNotAllowed,
                format!(
                    "{} initiated this promotion and cannot peer-review it",
                    pr.reviewer
                ),
            );
        } else {
            docs.peer_review = Some(with(s, pr));
        }
    }
    if let Some((Document::AdminReview(ar), s, text)) = load("admin-review.yaml", problems) {
        let path = s.path.clone();
        let peer_bytes = files.get(&format!("{dir}peer-review.yaml"));
        if !is_production {
            fail(
                problems,
                &path,
                &text,
                "promotion",
                ErrorCode::InvalidReviewState,
                "a TEST promotion has no admin review".into(),
            );
        } else if !access.is_admin(&ar.admin) {
            fail(
                problems,
                &path,
                &text,
                "admin",
                ErrorCode::InsufficientTier,
                format!("{} is not an ADMIN", ar.admin),
            );
        } else if norm(&ar.admin) == initiator {
            fail(
                problems,
                &path,
                &text,
                "admin",
                ErrorCode::SelfApprovalNotAllowed,
                format!(
                    "{} initiated this promotion and cannot decide on it",
                    ar.admin
                ),
            );
        } else if peer_bytes.is_none_or(|b| digest(b) != ar.peer_review_digest) {
            fail(problems, &path, &text, "peerReviewDigest", ErrorCode::StaleApproval, "peerReviewDigest does not match peer-review.yaml: the decision was made on another peer review".into());
        } else if docs
            .peer_review
            .as_ref()
            .is_none_or(|p| p.doc.decision != PeerDecision::Approved)
        {
            fail(
                problems,
                &path,
                &text,
                "decision",
                ErrorCode::InvalidReviewState,
                "an admin decision needs a valid, APPROVED peer review first".into(),
            );
        } else if let Some((code, msg)) = ar.environments.as_ref().and_then(|e| {
            environment_problems(settings, e, Classification::Prod)
                .into_iter()
                .next()
        }) {
            fail(problems, &path, &text, "environments", code, msg);
        } else if is_hotfix && ar.decision == AdminDecision::Approved && !ar.acknowledge_hotfix {
            fail(
                problems,
                &path,
                &text,
                "acknowledgeHotfix",
                ErrorCode::HotfixAcknowledgementRequired,
                "approving a hotfix needs `acknowledgeHotfix: true` (it skips the test cycle)"
                    .into(),
            );
        } else {
            docs.admin_review = Some(with(s, ar));
        }
    }
    if let Some((Document::PackAssignment(pa), s, text)) = load("pack-assignment.yaml", problems) {
        let path = s.path.clone();
        if is_production {
            fail(problems, &path, &text, "promotion", ErrorCode::InvalidPromotionStatus, "pack assignment applies to TEST promotions; production packs come with the admin review".into());
        } else if !access.is_admin(&pa.admin) {
            fail(
                problems,
                &path,
                &text,
                "admin",
                ErrorCode::InsufficientTier,
                format!("{} is not an ADMIN", pa.admin),
            );
        } else {
            docs.pack_assignment = Some(with(s, pa));
        }
    }
    if let Some((Document::Withdrawal(w), s, text)) = load("withdrawal.yaml", problems) {
        let path = s.path.clone();
        if !is_production {
            fail(problems, &path, &text, "promotion", ErrorCode::InvalidPromotionStatus, "only a promotion waiting for review can be withdrawn; a TEST deployment is cancelled with cancel-test.yaml".into());
        } else if norm(&w.by) != initiator && !access.is_admin(&w.by) {
            fail(
                problems,
                &path,
                &text,
                "by",
                ErrorCode::NotPromotionInitiator,
                format!("{} is neither the initiator nor an ADMIN", w.by),
            );
        } else {
            docs.withdrawal = Some(with(s, w));
        }
    }
    if let Some((Document::CancelTest(c), s, text)) = load("cancel-test.yaml", problems) {
        let path = s.path.clone();
        if is_production {
            fail(
                problems,
                &path,
                &text,
                "promotion",
                ErrorCode::InvalidPromotionStatus,
                "cancel-test applies to TEST promotions".into(),
            );
        } else if norm(&c.by) != initiator && !access.is_admin(&c.by) {
            fail(
                problems,
                &path,
                &text,
                "by",
                ErrorCode::NotPromotionInitiator,
                format!("{} is neither the initiator nor an ADMIN", c.by),
            );
        } else {
            docs.cancel_test = Some(with(s, c));
        }
    }
    Some(docs)
}

/// Why environments named by a request or an admin review cannot be deployed to for a target
/// of class `wanted`: unknown to the settings in force, or of the other class. Empty when they
/// all can.
fn environment_problems(
    settings: Option<&Settings>,
    envs: &[String],
    wanted: Classification,
) -> Vec<(ErrorCode, String)> {
    let Some(settings) = settings else {
        return vec![(
            ErrorCode::InvalidDeploymentTarget,
            "no trusted promoter.yaml is in force, so the environments named cannot be checked"
                .into(),
        )];
    };
    let class = |c: Classification| match c {
        Classification::Test => "TEST",
        Classification::Prod => "PROD",
    };
    envs.iter()
        .filter_map(
            |e| match settings.environments.iter().find(|x| &x.id == e) {
                None => Some((
                    ErrorCode::InvalidDeploymentTarget,
                    format!("environment {e:?} is not in promoter.yaml"),
                )),
                Some(x) if x.classification != wanted => Some((
                    ErrorCode::InvalidDeploymentTarget,
                    format!(
                    "environment {e:?} is classified {}, but this deploys to {} environments only",
                    class(x.classification),
                    class(wanted)
                ),
                )),
                Some(_) => None,
            },
        )
        .collect()
}

/// Rules across promotions: a production-from-test request must name a TEST promotion of the
/// same dev account and process that is in the repository.
fn cross_promotion_rules(
    promotions: &mut BTreeMap<String, PromotionDocs>,
    problems: &mut Vec<Problem>,
) {
    let mut drop = Vec::new();
    for (id, p) in promotions.iter() {
        let r = &p.request.doc;
        let Some(from) = &r.from_test else { continue };
        let ok = promotions.get(from).is_some_and(|t| {
            t.request.doc.target == Target::Test
                && t.request.doc.dev_account_id == r.dev_account_id
                && t.request.doc.process_name == r.process_name
        });
        if !ok {
            problems.push(Problem::new(
                p.request.path.as_str(),
                ErrorCode::TestPromotionNotFound,
                format!(
                    "fromTest {from:?} is not a valid TEST promotion of dev account {} and process {:?} in this repository",
                    r.dev_account_id, r.process_name
                ),
            ));
            drop.push(id.clone());
        }
    }
    for id in drop {
        promotions.remove(&id);
    }
}
