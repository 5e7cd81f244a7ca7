//! The trust roots of a promotions repository — `access/policy.yaml`, `promoter.yaml` and
//! `mappings/*.yaml` — and the chain that decides which version of each is in force.
//!
//! Every root is a signed document with an integer `serial`. A new version (other bytes than
//! the accepted one) replaces the accepted one only when
//!
//! 1. it parses and keeps the document rules (for the policy: no look-alike identities);
//! 2. its signature verifies against the keys that may change it: the ADMINs of the policy in
//!    force or the operator's bootstrap signers (`--trust`) — for the policy itself, the ADMINs
//!    of the policy accepted *before* this snapshot;
//! 3. its `serial` is greater than the accepted one's (`DOCUMENT_REPLAYED` otherwise: an older
//!    signed version committed again must not come back).
//!
//! A refused version is reported with its code and the accepted version stays in force. With no
//! trust anchor at all (no bootstrap signers, nothing accepted: `promoter validate` without
//! `--trust` or `--base`) the policy is taken on its own ADMINs' word and says so
//! ([`Outcome::SelfSigned`]).

use super::access::Access;
use super::signers::AllowedSigners;
use super::sshsig::{self, SigError};
use super::verify::{Files, Signed};
use crate::model::*;
use std::collections::BTreeMap;

/// Path of the access policy.
pub const POLICY_PATH: &str = "access/policy.yaml";
/// Path of the settings.
pub const SETTINGS_PATH: &str = "promoter.yaml";

/// A policy accepted earlier (from the store, or the base revision of a pull request).
#[derive(Debug, Clone)]
pub struct AcceptedPolicy {
    pub policy: AccessPolicy,
    pub digest: String,
}

/// Settings accepted earlier.
#[derive(Debug, Clone)]
pub struct AcceptedSettings {
    pub settings: Settings,
    pub digest: String,
}

/// The connection mappings of one dev account accepted earlier.
#[derive(Debug, Clone)]
pub struct AcceptedMappings {
    pub mappings: ConnectionMappings,
    pub digest: String,
}

/// Where trust in the roots comes from: the operator's bootstrap signers and the versions in
/// force before this snapshot.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// The operator's bootstrap allowed-signers file: keys that may sign the roots.
    pub bootstrap: Option<AllowedSigners>,
    /// The policy in force before this snapshot.
    pub accepted: Option<AcceptedPolicy>,
    /// The settings in force before this snapshot.
    pub settings: Option<AcceptedSettings>,
    /// Dev account id → the mappings in force before this snapshot.
    pub mappings: BTreeMap<String, AcceptedMappings>,
}

impl Trust {
    /// Whether anything anchors the chain (bootstrap signers or an accepted policy).
    pub fn anchored(&self) -> bool {
        self.bootstrap
            .as_ref()
            .is_some_and(|b| !b.entries.is_empty())
            || self.accepted.is_some()
    }
}

/// What happened to one root document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PolicyOutcome {
    /// Same bytes as the accepted version.
    Unchanged,
    /// A new version, signed by a key allowed to change it, with a greater serial.
    Accepted,
    /// No trust anchor was given: accepted because one of the policy's own ADMINs signed it.
    SelfSigned,
    /// Refused; the accepted version (if any) stays in force.
    Rejected,
    /// Not in the repository.
    Missing,
}

impl PolicyOutcome {
    /// Whether this snapshot brings a new version into force.
    pub fn is_new(self) -> bool {
        match self {
            PolicyOutcome::Accepted | PolicyOutcome::SelfSigned => true,
            PolicyOutcome::Unchanged | PolicyOutcome::Rejected | PolicyOutcome::Missing => false,
        }
    }
}

/// The evaluation of one root: the version in force after this snapshot.
#[derive(Debug, Clone)]
pub struct Root<T> {
    pub in_force: Option<T>,
    /// `sha256:` of the version in force.
    pub digest: Option<String>,
    pub outcome: PolicyOutcome,
    /// Who signed the version this snapshot brought into force.
    pub signer: Option<String>,
}

impl<T> Root<T> {
    fn kept(in_force: Option<T>, digest: Option<String>, outcome: PolicyOutcome) -> Self {
        Root {
            in_force,
            digest,
            outcome,
            signer: None,
        }
    }
}

pub(crate) fn sig_problem(path: &str, e: &SigError, context: &str) -> Problem {
    let msg = match e {
        SigError::UnknownKey { fingerprint, .. } => {
            format!("signing key {fingerprint} is not in {context}")
        }
        other => other.to_string(),
    };
    Problem::new(path, e.code(), msg)
}

/// Verify the detached signature `<path>.sig` over `bytes`.
pub(crate) fn check_signature(
    files: &Files,
    path: &str,
    bytes: &[u8],
    signers: &AllowedSigners,
    context: &str,
) -> Result<sshsig::Verified, Problem> {
    let sig_path = format!("{path}.sig");
    let Some(sig) = files.get(&sig_path) else {
        return Err(Problem::new(
            path,
            ErrorCode::SignatureMissing,
            format!(
                "no signature: sign it with `promoter sign {path} --key KEY` (writes {sig_path})"
            ),
        ));
    };
    let text = String::from_utf8_lossy(sig);
    sshsig::verify(&text, bytes, signers).map_err(|e| sig_problem(path, &e, context))
}

/// Who signed `path`, among everyone of `access` (for naming the author of a refused change).
fn attributed_signer(
    files: &Files,
    path: &str,
    bytes: &[u8],
    access: Option<&Access>,
) -> Option<String> {
    let access = access?;
    let sig = files.get(&format!("{path}.sig"))?;
    sshsig::verify(
        &String::from_utf8_lossy(sig),
        bytes,
        &access.allowed_signers(),
    )
    .ok()
    .and_then(|v| v.principals.into_iter().next())
}

/// The keys that may change a root other than the policy: the ADMINs of the policy in force and
/// the bootstrap signers.
fn root_signers(access: Option<&Access>, trust: &Trust) -> AllowedSigners {
    let mut signers = access.map(Access::admin_signers).unwrap_or_default();
    if let Some(b) = &trust.bootstrap {
        signers.entries.extend(b.entries.iter().cloned());
    }
    signers
}

fn replayed(path: &str, what: &str, serial: u64, accepted: u64) -> Problem {
    Problem::new(
        path,
        ErrorCode::DocumentReplayed,
        format!(
            "{what} has serial {serial}, but serial {accepted} is in force: only a greater serial replaces it (an older signed version cannot come back)"
        ),
    )
}

/// The common start of a root's evaluation: `Err(Missing)` when the file is absent (reported:
/// `vanished` when a version was accepted, `absent` otherwise), `Err(Unchanged)` when it has the
/// accepted bytes, `Err(Rejected)` when it does not parse as `kind`; else the document, its
/// digest and its bytes.
#[allow(clippy::too_many_arguments)]
fn read_root<'f, T>(
    files: &'f Files,
    path: &str,
    kind: Kind,
    accepted_digest: Option<&str>,
    vanished: &str,
    absent: &str,
    take: impl FnOnce(Document) -> Option<T>,
    problems: &mut Vec<Problem>,
) -> Result<(T, String, &'f [u8]), PolicyOutcome> {
    let Some(bytes) = files.get(path) else {
        problems.push(match accepted_digest {
            Some(_) => Problem::new(path, ErrorCode::DesiredStateMissing, vanished),
            None => Problem::new(path, ErrorCode::InvalidDocument, absent),
        });
        return Err(PolicyOutcome::Missing);
    };
    let d = digest(bytes);
    if accepted_digest == Some(d.as_str()) {
        return Err(PolicyOutcome::Unchanged);
    }
    match parse_document(path, bytes) {
        Ok(doc) => {
            let found = doc.kind();
            take(doc).map(|t| (t, d, bytes.as_slice())).ok_or_else(|| {
                problems.push(Problem::new(
                    path,
                    ErrorCode::InvalidDocument,
                    format!("expected kind {kind}, found {found}"),
                ));
                PolicyOutcome::Rejected
            })
        }
        Err(ps) => {
            problems.extend(ps);
            Err(PolicyOutcome::Rejected)
        }
    }
}

/// Evaluate `access/policy.yaml` against the trust chain.
pub fn evaluate_policy(files: &Files, trust: &Trust, problems: &mut Vec<Problem>) -> Root<Access> {
    let accepted = trust.accepted.as_ref();
    let keep = |outcome| {
        Root::kept(
            accepted.map(|a| Access::new(a.policy.clone())),
            accepted.map(|a| a.digest.clone()),
            outcome,
        )
    };
    let (policy, d, bytes) = match read_root(
        files,
        POLICY_PATH,
        Kind::AccessPolicy,
        accepted.map(|a| a.digest.as_str()),
        "the access policy vanished from the repository; the accepted one stays in force",
        "the repository has no access policy",
        |doc| match doc {
            Document::AccessPolicy(p) => Some(p),
            _ => None,
        },
        problems,
    ) {
        Ok(x) => x,
        Err(outcome) => return keep(outcome),
    };
    let mut trusted = AllowedSigners::default();
    if let Some(a) = accepted {
        trusted
            .entries
            .extend(Access::new(a.policy.clone()).admin_signers().entries);
    }
    if let Some(b) = &trust.bootstrap {
        trusted.entries.extend(b.entries.iter().cloned());
    }
    let candidate = Access::new(policy);
    let self_signed = trusted.entries.is_empty();
    if self_signed {
        trusted = candidate.admin_signers();
    }
    let context = if self_signed {
        "the ADMIN keys of the policy itself (no --trust or --base given)"
    } else if accepted.is_some() {
        "the ADMIN keys of the accepted policy or the bootstrap signers"
    } else {
        "the bootstrap signers"
    };
    let in_force_note = if accepted.is_some() {
        "the accepted policy stays in force"
    } else {
        "no policy is in force"
    };
    let v = match check_signature(files, POLICY_PATH, bytes, &trusted, context) {
        Ok(v) => v,
        Err(p) => {
            let signer = attributed_signer(files, POLICY_PATH, bytes, Some(&candidate));
            problems.push(
                Problem::new(
                    POLICY_PATH,
                    ErrorCode::PolicyChangeUntrusted,
                    format!(
                        "policy change refused ({}: {}); {in_force_note}",
                        p.code, p.message
                    ),
                )
                .by(None, signer.as_deref()),
            );
            return keep(PolicyOutcome::Rejected);
        }
    };
    let signer = v.principals.first().cloned();
    if let Some(a) = accepted {
        if candidate.policy().serial <= a.policy.serial {
            let mut p = replayed(
                POLICY_PATH,
                "the access policy",
                candidate.policy().serial,
                a.policy.serial,
            )
            .by(None, signer.as_deref());
            p.message.push_str(&format!("; {in_force_note}"));
            p.line = parse::line_of_key(&String::from_utf8_lossy(bytes), "serial");
            problems.push(p);
            return keep(PolicyOutcome::Rejected);
        }
    }
    Root {
        in_force: Some(candidate),
        digest: Some(d),
        outcome: if self_signed {
            PolicyOutcome::SelfSigned
        } else {
            PolicyOutcome::Accepted
        },
        signer,
    }
}

/// Evaluate `promoter.yaml`: signed by an ADMIN of the policy in force (or a bootstrap signer),
/// with a greater serial than the accepted settings.
pub fn evaluate_settings(
    files: &Files,
    trust: &Trust,
    policy: &Root<Access>,
    problems: &mut Vec<Problem>,
) -> Root<Settings> {
    let accepted = trust.settings.as_ref();
    let keep = |outcome| {
        Root::kept(
            accepted.map(|a| a.settings.clone()),
            accepted.map(|a| a.digest.clone()),
            outcome,
        )
    };
    let (settings, d, bytes) = match read_root(
        files,
        SETTINGS_PATH,
        Kind::Settings,
        accepted.map(|a| a.digest.as_str()),
        "promoter.yaml vanished from the repository; the accepted settings stay in force",
        "the repository has no promoter.yaml (the settings: primary account, environments)",
        |doc| match doc {
            Document::Settings(s) => Some(s),
            _ => None,
        },
        problems,
    ) {
        Ok(x) => x,
        Err(outcome) => return keep(outcome),
    };
    let in_force_note = if accepted.is_some() {
        "the accepted settings stay in force"
    } else {
        "no settings are in force"
    };
    let access = policy.in_force.as_ref();
    let signers = root_signers(access, trust);
    let v = match check_signature(
        files,
        SETTINGS_PATH,
        bytes,
        &signers,
        "the ADMIN keys of the access policy or the bootstrap signers",
    ) {
        Ok(v) => v,
        Err(p) => {
            let signer = attributed_signer(files, SETTINGS_PATH, bytes, access);
            problems.push(
                Problem::new(
                    SETTINGS_PATH,
                    ErrorCode::SettingsChangeUntrusted,
                    format!(
                        "settings change refused: promoter.yaml must be signed by an ADMIN ({}: {}); {in_force_note}",
                        p.code, p.message
                    ),
                )
                .by(None, signer.as_deref()),
            );
            return keep(PolicyOutcome::Rejected);
        }
    };
    let signer = v.principals.first().cloned();
    if let Some(a) = accepted {
        if settings.serial <= a.settings.serial {
            let mut p = replayed(
                SETTINGS_PATH,
                "promoter.yaml",
                settings.serial,
                a.settings.serial,
            )
            .by(None, signer.as_deref());
            p.message.push_str(&format!("; {in_force_note}"));
            p.line = parse::line_of_key(&String::from_utf8_lossy(bytes), "serial");
            problems.push(p);
            return keep(PolicyOutcome::Rejected);
        }
    }
    Root {
        in_force: Some(settings),
        digest: Some(d),
        outcome: if policy.outcome == PolicyOutcome::SelfSigned {
            PolicyOutcome::SelfSigned
        } else {
            PolicyOutcome::Accepted
        },
        signer,
    }
}

/// What [`verify_mappings`] found: the mappings that verified by dev account, the outcome per
/// dev account, and the problems.
pub type MappingsOutcome = (
    BTreeMap<String, Signed<ConnectionMappings>>,
    BTreeMap<String, PolicyOutcome>,
    Vec<Problem>,
);

/// `mappings/<devAccountId>.yaml`: ADMIN-signed connection mappings, one file per dev account,
/// each with a greater serial than the accepted mappings of its account.
///
/// Returns the mappings that verified (new or unchanged) by dev account, the outcome per dev
/// account, and the problems. A refused file leaves the accepted mappings of its account in
/// force (the caller keeps them).
pub fn verify_mappings(files: &Files, access: &Access, trust: &Trust) -> MappingsOutcome {
    let mut mappings = BTreeMap::new();
    let mut outcomes = BTreeMap::new();
    let mut problems = Vec::new();
    let admins = root_signers(Some(access), trust);
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for (path, bytes) in files.iter().filter(|(p, _)| is_mapping_path(p)) {
        let doc = match parse_document(path, bytes) {
            Ok(Document::ConnectionMappings(m)) => m,
            Ok(other) => {
                problems.push(Problem::new(
                    path.as_str(),
                    ErrorCode::InvalidDocument,
                    format!("expected kind ConnectionMappings, found {}", other.kind()),
                ));
                continue;
            }
            Err(ps) => {
                problems.extend(ps);
                continue;
            }
        };
        let dev = doc.dev_account_id.clone();
        if let Some(first) = seen.get(&dev) {
            problems.push(
                Problem::new(
                    path.as_str(),
                    ErrorCode::InvalidDocument,
                    format!("{first} already holds the mappings of dev account {dev}; one file per dev account"),
                )
                .at(parse::line_of_key(&String::from_utf8_lossy(bytes), "devAccountId"), None),
            );
            continue;
        }
        seen.insert(dev.clone(), path.clone());
        let d = digest(bytes);
        let accepted = trust.mappings.get(&dev);
        let v = match check_signature(
            files,
            path,
            bytes,
            &admins,
            "the ADMIN keys of the access policy",
        ) {
            Ok(v) => v,
            Err(p) => {
                let signer = attributed_signer(files, path, bytes, Some(access));
                problems.push(
                    Problem::new(
                        path.as_str(),
                        ErrorCode::PolicyChangeUntrusted,
                        format!(
                            "connection mappings must be signed by an ADMIN ({}: {}){}",
                            p.code,
                            p.message,
                            if accepted.is_some() {
                                "; the accepted mappings stay in force"
                            } else {
                                ""
                            }
                        ),
                    )
                    .by(None, signer.as_deref()),
                );
                outcomes.insert(dev, PolicyOutcome::Rejected);
                continue;
            }
        };
        let signer = v.principals.first().cloned().unwrap_or_default();
        let outcome = match accepted {
            Some(a) if a.digest == d => PolicyOutcome::Unchanged,
            Some(a) if doc.serial <= a.mappings.serial => {
                let mut p = replayed(
                    path,
                    &format!("the mappings of {dev}"),
                    doc.serial,
                    a.mappings.serial,
                )
                .by(None, Some(&signer));
                p.message.push_str("; the accepted mappings stay in force");
                p.line = parse::line_of_key(&String::from_utf8_lossy(bytes), "serial");
                problems.push(p);
                outcomes.insert(dev, PolicyOutcome::Rejected);
                continue;
            }
            _ => PolicyOutcome::Accepted,
        };
        outcomes.insert(dev.clone(), outcome);
        mappings.insert(
            dev,
            Signed {
                doc,
                path: path.clone(),
                digest: d,
                signer,
                fingerprint: v.fingerprint,
            },
        );
    }
    (mappings, outcomes, problems)
}

/// `mappings/<file>.yaml` (one level, YAML).
pub fn is_mapping_path(p: &str) -> bool {
    p.strip_prefix("mappings/")
        .is_some_and(|f| !f.contains('/') && (f.ends_with(".yaml") || f.ends_with(".yml")))
}

/// The roots in force at a base revision (what `validate --base` compares a change with): the
/// policy, settings and mappings of `files`, checked against `bootstrap` when given (an
/// untrusted base policy is an error), else taken as the base has them.
pub fn trust_at_base(files: &Files, bootstrap: Option<AllowedSigners>) -> Result<Trust, String> {
    let mut problems = Vec::new();
    let anchor = Trust {
        bootstrap: bootstrap.clone(),
        ..Default::default()
    };
    let policy = evaluate_policy(files, &anchor, &mut problems);
    let access = match (&policy.in_force, policy.outcome) {
        (Some(a), PolicyOutcome::Accepted | PolicyOutcome::SelfSigned) => a.clone(),
        _ => {
            return Err(format!(
                "the access policy at the base revision is not in force: {}",
                problems
                    .iter()
                    .filter(|p| p.file == POLICY_PATH)
                    .map(|p| p.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ))
        }
    };
    let settings = evaluate_settings(files, &anchor, &policy, &mut problems);
    let (mappings, _, _) = verify_mappings(files, &access, &anchor);
    Ok(Trust {
        bootstrap,
        accepted: Some(AcceptedPolicy {
            policy: access.policy().clone(),
            digest: policy.digest.unwrap_or_default(),
        }),
        settings: match (settings.in_force, settings.digest) {
            (Some(settings), Some(digest)) => Some(AcceptedSettings { settings, digest }),
            _ => None,
        },
        mappings: mappings
            .into_iter()
            .map(|(dev, m)| {
                (
                    dev,
                    AcceptedMappings {
                        mappings: m.doc,
                        digest: m.digest,
                    },
                )
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::sshsig::sign;
    use ssh_key::private::Ed25519Keypair;
    use ssh_key::PrivateKey;

    fn key(seed: u8) -> PrivateKey {
        PrivateKey::from(Ed25519Keypair::from_seed(&[seed; 32]))
    }

    fn openssh(k: &PrivateKey) -> String {
        k.public_key().to_openssh().unwrap()
    }

    const ADMIN: u8 = 1;
    const ALICE: u8 = 2;
    const BOOT: u8 = 3;

    fn policy_text() -> String {
        format!(
            "apiVersion: promoter/v1\nkind: AccessPolicy\nserial: 1\npeople:\n  - {{email: carol@example.com, name: Carol, tier: ADMIN, keys: [\"{}\"]}}\n  - {{email: alice@example.com, name: Alice, tier: CONTRIBUTOR, keys: [\"{}\"]}}\n",
            openssh(&key(ADMIN)),
            openssh(&key(ALICE))
        )
    }

    fn settings_text(serial: u64, prod: &str) -> String {
        format!("apiVersion: promoter/v1\nkind: Settings\nserial: {serial}\nprimaryAccountId: p\nenvironments:\n  - {{id: env-prod-1, name: P, classification: {prod}}}\n")
    }

    fn put(files: &mut Files, path: &str, text: &str, signer: Option<u8>) {
        files.insert(path.into(), text.as_bytes().to_vec());
        files.remove(&format!("{path}.sig"));
        if let Some(s) = signer {
            files.insert(
                format!("{path}.sig"),
                sign(&key(s), text.as_bytes()).unwrap().into_bytes(),
            );
        }
    }

    fn bootstrap() -> AllowedSigners {
        AllowedSigners::parse(&format!(
            "root@example.com namespaces=\"boomi-promoter\" {}\n",
            openssh(&key(BOOT))
        ))
        .unwrap()
    }

    /// Evaluate the settings of `files` against a trust with the policy accepted and, when given,
    /// settings accepted at `accepted_serial`.
    fn settings_outcome(
        files: &Files,
        accepted_serial: Option<u64>,
    ) -> (PolicyOutcome, Vec<ErrorCode>) {
        let policy_bytes = policy_text();
        let accepted = match parse_document(POLICY_PATH, policy_bytes.as_bytes()) {
            Ok(Document::AccessPolicy(policy)) => AcceptedPolicy {
                policy,
                digest: digest(policy_bytes.as_bytes()),
            },
            _ => unreachable!("the test policy parses"),
        };
        let settings = accepted_serial.map(|n| {
            let text = settings_text(n, "PROD");
            match parse_document(SETTINGS_PATH, text.as_bytes()) {
                Ok(Document::Settings(settings)) => AcceptedSettings {
                    settings,
                    digest: digest(text.as_bytes()),
                },
                _ => unreachable!("the test settings parse"),
            }
        });
        let trust = Trust {
            bootstrap: Some(bootstrap()),
            accepted: Some(accepted),
            settings,
            mappings: BTreeMap::new(),
        };
        let mut problems = Vec::new();
        let policy = evaluate_policy(files, &trust, &mut problems);
        let root = evaluate_settings(files, &trust, &policy, &mut problems);
        (root.outcome, problems.iter().map(|p| p.code).collect())
    }

    #[test]
    fn who_may_change_promoter_yaml() {
        use PolicyOutcome::*;
        let mut base = Files::new();
        put(&mut base, POLICY_PATH, &policy_text(), Some(ADMIN));
        type Case = (
            &'static str,
            Option<u64>,
            u64,
            &'static str,
            Option<u8>,
            PolicyOutcome,
            Vec<ErrorCode>,
        );
        let cases: Vec<Case> = vec![
            (
                "first version by an ADMIN",
                None,
                1,
                "PROD",
                Some(ADMIN),
                Accepted,
                vec![],
            ),
            (
                "first version by a bootstrap signer",
                None,
                1,
                "PROD",
                Some(BOOT),
                Accepted,
                vec![],
            ),
            (
                "unsigned",
                None,
                1,
                "PROD",
                None,
                Rejected,
                vec![ErrorCode::SettingsChangeUntrusted],
            ),
            (
                "by a contributor",
                Some(1),
                2,
                "TEST",
                Some(ALICE),
                Rejected,
                vec![ErrorCode::SettingsChangeUntrusted],
            ),
            (
                "unchanged bytes",
                Some(1),
                1,
                "PROD",
                Some(ADMIN),
                Unchanged,
                vec![],
            ),
            (
                "same serial, other bytes",
                Some(1),
                1,
                "TEST",
                Some(ADMIN),
                Rejected,
                vec![ErrorCode::DocumentReplayed],
            ),
            (
                "an older serial",
                Some(5),
                4,
                "PROD",
                Some(ADMIN),
                Rejected,
                vec![ErrorCode::DocumentReplayed],
            ),
            (
                "a greater serial",
                Some(1),
                2,
                "TEST",
                Some(ADMIN),
                Accepted,
                vec![],
            ),
        ];
        for (name, accepted, serial, prod, signer, outcome, codes) in cases {
            let mut files = base.clone();
            put(
                &mut files,
                SETTINGS_PATH,
                &settings_text(serial, prod),
                signer,
            );
            assert_eq!(
                settings_outcome(&files, accepted),
                (outcome, codes),
                "{name}"
            );
        }
        // Gone from the repository: the accepted settings stay, and that is said.
        assert_eq!(
            settings_outcome(&base, Some(1)),
            (Missing, vec![ErrorCode::DesiredStateMissing])
        );
        assert_eq!(
            settings_outcome(&base, None),
            (Missing, vec![ErrorCode::InvalidDocument])
        );
    }

    #[test]
    fn a_refused_settings_change_keeps_the_accepted_settings_in_force() {
        let mut files = Files::new();
        put(&mut files, POLICY_PATH, &policy_text(), Some(ADMIN));
        put(
            &mut files,
            SETTINGS_PATH,
            &settings_text(2, "TEST"),
            Some(ALICE),
        );
        let policy_bytes = policy_text();
        let Ok(Document::AccessPolicy(policy)) =
            parse_document(POLICY_PATH, policy_bytes.as_bytes())
        else {
            unreachable!()
        };
        let accepted_text = settings_text(1, "PROD");
        let Ok(Document::Settings(settings)) =
            parse_document(SETTINGS_PATH, accepted_text.as_bytes())
        else {
            unreachable!()
        };
        let trust = Trust {
            bootstrap: None,
            accepted: Some(AcceptedPolicy {
                policy,
                digest: digest(policy_bytes.as_bytes()),
            }),
            settings: Some(AcceptedSettings {
                settings,
                digest: digest(accepted_text.as_bytes()),
            }),
            mappings: BTreeMap::new(),
        };
        let mut problems = Vec::new();
        let policy = evaluate_policy(&files, &trust, &mut problems);
        let root = evaluate_settings(&files, &trust, &policy, &mut problems);
        let in_force = root.in_force.unwrap();
        assert_eq!(in_force.serial, 1);
        assert_eq!(
            in_force.environments[0].classification,
            Classification::Prod
        );
        // The refusal names who signed the change.
        assert_eq!(problems[0].signer(), Some("alice@example.com"));
    }

    #[test]
    fn two_files_for_one_dev_account_are_refused() {
        let mut files = Files::new();
        let text = "apiVersion: promoter/v1\nkind: ConnectionMappings\nserial: 1\ndevAccountId: dev-a\nmappings: []\n";
        put(&mut files, "mappings/dev-a.yaml", text, Some(ADMIN));
        put(&mut files, "mappings/other.yaml", text, Some(ADMIN));
        let Ok(Document::AccessPolicy(policy)) =
            parse_document(POLICY_PATH, policy_text().as_bytes())
        else {
            unreachable!()
        };
        let (m, outcomes, problems) =
            verify_mappings(&files, &Access::new(policy), &Trust::default());
        assert_eq!(m.len(), 1);
        assert_eq!(outcomes.get("dev-a"), Some(&PolicyOutcome::Accepted));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].file, "mappings/other.yaml");
    }
}
