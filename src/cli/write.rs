//! The writers: `new`, `review`, `decide`, `withdraw`, `cancel-test`, `assign-pack`. Each
//! writes one document into `promotions/<id>/` of the work tree, fills in the digests of the
//! documents it builds on, checks it with the same parser the daemon uses, and signs it.
//! Before anything is written, the key must be one the access policy (at HEAD, or in the
//! work tree) lists for `--as`. Committing (and opening a pull request) is left to the person.

use super::files::committed_and_disk;
use super::sign::sign_file_with;
use crate::model::*;
use crate::policy::verify::POLICY_PATH;
use crate::policy::Access;
use anyhow::{anyhow, bail, Context, Result};
use clap::{ArgGroup, Args, ValueEnum};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Who writes and signs.
#[derive(Debug, Args)]
pub struct Author {
    /// Your e-mail as the access policy lists it
    #[arg(long = "as", value_name = "EMAIL", env = "PROMOTER_AS")]
    pub email: String,
    /// Your OpenSSH private key (ed25519 or ecdsa)
    #[arg(long, env = "PROMOTER_KEY")]
    pub key: PathBuf,
    /// The promotions repository work tree
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// Replace the document if it exists
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TargetArg {
    Test,
    Production,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("what").args(["root", "component", "dev_package", "from_test"]).multiple(true).required(true)))]
pub struct NewArgs {
    #[command(flatten)]
    pub author: Author,
    /// Promotion id (default: derived from the process name and the time)
    #[arg(long)]
    pub id: Option<String>,
    /// Dev account id
    #[arg(long)]
    pub account: String,
    /// Root process name
    #[arg(long)]
    pub process: String,
    /// Root process component id (components are resolved from it)
    #[arg(long)]
    pub root: Option<String>,
    /// Pin a component id (repeatable)
    #[arg(long)]
    pub component: Vec<String>,
    /// Dev package id
    #[arg(long)]
    pub dev_package: Option<String>,
    #[arg(long, value_enum, default_value_t = TargetArg::Test)]
    pub target: TargetArg,
    /// PRODUCTION from this TEST promotion
    #[arg(long)]
    pub from_test: Option<String>,
    /// PRODUCTION hotfix with this justification (≤ 1000 characters)
    #[arg(long, value_name = "JUSTIFICATION")]
    pub hotfix: Option<String>,
    #[arg(long)]
    pub package_version: String,
    /// Existing integration pack id
    #[arg(long, conflicts_with = "new_pack")]
    pub pack_id: Option<String>,
    /// New integration pack name (TEST packs end in " - TEST")
    #[arg(long)]
    pub new_pack: Option<String>,
    #[arg(long, requires = "new_pack")]
    pub pack_description: Option<String>,
    /// Environment id (repeatable; default: all of the target's class)
    #[arg(long = "env")]
    pub environments: Vec<String>,
    /// Deployment notes (≤ 500 characters)
    #[arg(long)]
    pub notes: Option<String>,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("decision").args(["approve", "reject"]).required(true)))]
pub struct ReviewArgs {
    /// Promotion id
    pub id: String,
    #[command(flatten)]
    pub author: Author,
    #[arg(long)]
    pub approve: bool,
    #[arg(long)]
    pub reject: bool,
    /// Comments (required to reject; ≤ 500 characters)
    #[arg(long)]
    pub comments: Option<String>,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("decision").args(["approve", "deny"]).required(true)))]
pub struct DecideArgs {
    /// Promotion id
    pub id: String,
    #[command(flatten)]
    pub author: Author,
    #[arg(long)]
    pub approve: bool,
    #[arg(long)]
    pub deny: bool,
    /// Acknowledge that this hotfix skips the test cycle (required to approve a hotfix)
    #[arg(long)]
    pub acknowledge_hotfix: bool,
    /// Acknowledge that production goes back to a lower package version than it runs
    #[arg(long)]
    pub acknowledge_downgrade: bool,
    /// Production integration pack id (overrides the request's)
    #[arg(long, conflicts_with = "new_pack")]
    pub pack_id: Option<String>,
    /// New production integration pack name
    #[arg(long)]
    pub new_pack: Option<String>,
    /// Environment id (repeatable)
    #[arg(long = "env")]
    pub environments: Vec<String>,
    /// Comments (required to deny; ≤ 500 characters)
    #[arg(long)]
    pub comments: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExitArgs {
    /// Promotion id
    pub id: String,
    #[command(flatten)]
    pub author: Author,
    /// Reason (≤ 500 characters)
    #[arg(long)]
    pub reason: Option<String>,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("pack").args(["pack_id", "new_pack"]).required(true)))]
pub struct AssignPackArgs {
    /// Promotion id
    pub id: String,
    #[command(flatten)]
    pub author: Author,
    /// Existing integration pack id
    #[arg(long)]
    pub pack_id: Option<String>,
    /// New TEST integration pack name (ends in " - TEST")
    #[arg(long)]
    pub new_pack: Option<String>,
    #[arg(long, requires = "new_pack")]
    pub pack_description: Option<String>,
}

/// YAML of a document: struct field order, `None`s left out.
pub fn to_yaml<T: Serialize>(doc: &T) -> Result<String> {
    fn prune(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.retain(|_, x| !x.is_null());
                m.values_mut().for_each(prune);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(prune),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(doc)?;
    prune(&mut v);
    let mut text = serde_saphyr::to_string(&v)?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

fn promotion_dir(repo: &Path, id: &str) -> PathBuf {
    repo.join("promotions").join(id)
}

/// Write `promotions/<id>/<file>`, check it parses as the daemon will read it, sign it.
/// Refuse a key the access policy does not list for `--as`: the daemon would refuse what it
/// signs (`IDENTITY_MISMATCH` when it is someone else's key, `UNKNOWN_SIGNER` when it is
/// nobody's). The policy is read as `promoter access allowed-signers` reads it: committed at
/// HEAD, and the work tree's when it differs (a policy change committed together with the
/// document); the key passes when either lists it for `--as`. Without a policy, say that
/// nothing can be checked and go on.
fn check_key_belongs(author: &Author, key: &ssh_key::PrivateKey) -> Result<()> {
    let cannot = |why: String| {
        eprintln!(
            "warning: {why}: cannot check that --key {} belongs to {}",
            author.key.display(),
            author.email
        );
        Ok(())
    };
    let versions = committed_and_disk(&author.repo, POLICY_PATH)?;
    if versions.is_empty() {
        return cannot(format!("{} has no {POLICY_PATH}", author.repo.display()));
    }
    // The first reason (HEAD's) is the one told.
    let mut refusal: Option<String> = None;
    for (bytes, from) in versions {
        // Who holds which key is all this needs: the policy's own rules (look-alike e-mails,
        // shared keys…) are for `validate` and the daemon to judge.
        let Some(policy) = std::str::from_utf8(&bytes)
            .ok()
            .and_then(|t| serde_saphyr::from_str::<AccessPolicy>(t).ok())
        else {
            continue;
        };
        match key_refusal(author, key, &Access::new(policy), from) {
            None => return Ok(()),
            Some(why) => {
                refusal.get_or_insert(why);
            }
        }
    }
    match refusal {
        Some(why) => Err(anyhow!(why)),
        None => cannot(format!("{POLICY_PATH} is not a valid access policy")),
    }
}

/// Why `access` does not let `key` sign as `--as` (`None`: it does).
fn key_refusal(
    author: &Author,
    key: &ssh_key::PrivateKey,
    access: &Access,
    from: &str,
) -> Option<String> {
    let mine = key.public_key().key_data();
    let holds = |keys: &[String]| {
        keys.iter()
            .filter_map(|k| ssh_key::PublicKey::from_openssh(k.trim()).ok())
            .any(|k| k.key_data() == mine)
    };
    let Some(person) = access.person(&author.email) else {
        return Some(format!(
            "--as {} is not a person of {POLICY_PATH} ({from}); nothing written (the daemon would refuse the document: {})",
            author.email,
            ErrorCode::UnknownSigner
        ));
    };
    if holds(&person.keys) {
        return None;
    }
    let owner = access
        .policy()
        .people
        .iter()
        .find(|p| holds(&p.keys))
        .map(|p| p.email.clone());
    Some(format!(
        "--key {} ({}) is not a key of {} in {POLICY_PATH} ({from}){}; nothing written (the daemon would refuse the document: {})",
        author.key.display(),
        key.public_key().fingerprint(ssh_key::HashAlg::Sha256),
        author.email,
        owner
            .as_deref()
            .map_or_else(String::new, |o| format!(": it is {o}'s")),
        if owner.is_some() {
            ErrorCode::IdentityMismatch
        } else {
            ErrorCode::UnknownSigner
        }
    ))
}

fn write_signed(author: &Author, id: &str, kind: Kind, yaml: &str) -> Result<ExitCode> {
    let key = crate::policy::load_private_key(&author.key)?;
    check_key_belongs(author, &key)?;
    let file = kind.promotion_file().expect("promotion document");
    // The id names a directory: check it before anything is created (`../../x` never leaves
    // the repository).
    if !crate::model::validate::is_valid_promotion_id(id) {
        eprintln!(
            "{}: promotion id {id:?} must match [a-z0-9][a-z0-9-]{{2,63}}; nothing written",
            crate::model::ErrorCode::InvalidDocument
        );
        return Ok(ExitCode::from(1));
    }
    let dir = promotion_dir(&author.repo, id);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(file);
    if path.exists() && !author.force {
        bail!("{} exists; use --force to replace it", path.display());
    }
    let rel = format!("promotions/{id}/{file}");
    if let Err(problems) = parse_document(&rel, yaml.as_bytes()) {
        for p in &problems {
            eprintln!("{p}");
        }
        eprintln!("nothing written");
        return Ok(ExitCode::from(1));
    }
    std::fs::write(&path, yaml).with_context(|| format!("writing {}", path.display()))?;
    let sig = match sign_file_with(&path, &key, None) {
        Ok(s) => s,
        Err(e) => {
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
    };
    println!("wrote {} and {}", path.display(), sig.display());
    println!("next: git add {} && git commit", dir.display());
    Ok(ExitCode::SUCCESS)
}

fn read_request(repo: &Path, id: &str) -> Result<(PromotionRequest, String)> {
    let path = promotion_dir(repo, id).join("request.yaml");
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let rel = format!("promotions/{id}/request.yaml");
    match parse_document(&rel, &bytes) {
        Ok(Document::PromotionRequest(r)) => Ok((r, digest(&bytes))),
        Ok(_) => Err(anyhow!("{} is not a PromotionRequest", path.display())),
        Err(ps) => Err(anyhow!(
            "{} is not valid: {}",
            path.display(),
            ps.iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        )),
    }
}

fn pack(
    id: Option<String>,
    new_name: Option<String>,
    description: Option<String>,
) -> Option<PackChoice> {
    (id.is_some() || new_name.is_some()).then_some(PackChoice {
        id,
        new_name,
        description,
    })
}

/// A default id: slug of the process name plus the UTC time.
fn default_id(process: &str) -> String {
    let mut slug: String = process
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    while slug.contains("--") {
        slug = slug.replace("--", "-");
    }
    let slug = slug.trim_matches('-');
    let slug = if slug.is_empty() { "promotion" } else { slug };
    let slug: String = slug.chars().take(40).collect();
    format!(
        "{}-{}",
        slug.trim_end_matches('-'),
        chrono::Utc::now().format("%Y%m%d-%H%M%S")
    )
}

pub fn new(a: NewArgs) -> Result<ExitCode> {
    let id = a.id.clone().unwrap_or_else(|| default_id(&a.process));
    let target = match a.target {
        TargetArg::Test => Target::Test,
        TargetArg::Production => Target::Production,
    };
    let doc = PromotionRequest {
        api_version: ApiVersion::V1,
        kind: Kind::PromotionRequest,
        id: id.clone(),
        initiated_by: a.author.email.clone(),
        dev_account_id: a.account,
        process_name: a.process,
        root_component_id: a.root,
        dev_package_id: a.dev_package,
        components: (!a.component.is_empty()).then(|| {
            a.component
                .into_iter()
                .map(|c| ComponentPin {
                    component_id: c,
                    name: None,
                    component_type: None,
                    folder_full_path: None,
                })
                .collect()
        }),
        target,
        from_test: a.from_test,
        hotfix: a.hotfix.map(|justification| Hotfix { justification }),
        package_version: a.package_version,
        integration_pack: pack(a.pack_id, a.new_pack, a.pack_description),
        environments: (!a.environments.is_empty()).then_some(a.environments),
        notes: a.notes,
    };
    write_signed(&a.author, &id, Kind::PromotionRequest, &to_yaml(&doc)?)
}

pub fn review(a: ReviewArgs) -> Result<ExitCode> {
    let (_, request_digest) = read_request(&a.author.repo, &a.id)?;
    let doc = PeerReview {
        api_version: ApiVersion::V1,
        kind: Kind::PeerReview,
        promotion: a.id.clone(),
        request_digest,
        decision: if a.approve {
            PeerDecision::Approved
        } else {
            PeerDecision::Rejected
        },
        reviewer: a.author.email.clone(),
        comments: a.comments,
    };
    write_signed(&a.author, &a.id, Kind::PeerReview, &to_yaml(&doc)?)
}

pub fn decide(a: DecideArgs) -> Result<ExitCode> {
    let (_, request_digest) = read_request(&a.author.repo, &a.id)?;
    let peer_path = promotion_dir(&a.author.repo, &a.id).join("peer-review.yaml");
    let peer = std::fs::read(&peer_path).with_context(|| {
        format!(
            "reading {} (an admin decision builds on the peer review)",
            peer_path.display()
        )
    })?;
    let doc = AdminReview {
        api_version: ApiVersion::V1,
        kind: Kind::AdminReview,
        promotion: a.id.clone(),
        request_digest,
        peer_review_digest: digest(&peer),
        decision: if a.approve {
            AdminDecision::Approved
        } else {
            AdminDecision::Denied
        },
        admin: a.author.email.clone(),
        acknowledge_hotfix: a.acknowledge_hotfix,
        acknowledge_downgrade: a.acknowledge_downgrade,
        integration_pack: pack(a.pack_id, a.new_pack, None),
        environments: (!a.environments.is_empty()).then_some(a.environments),
        comments: a.comments,
    };
    write_signed(&a.author, &a.id, Kind::AdminReview, &to_yaml(&doc)?)
}

pub fn withdraw(a: ExitArgs) -> Result<ExitCode> {
    let (_, request_digest) = read_request(&a.author.repo, &a.id)?;
    let doc = Withdrawal {
        api_version: ApiVersion::V1,
        kind: Kind::Withdrawal,
        promotion: a.id.clone(),
        request_digest,
        by: a.author.email.clone(),
        reason: a.reason,
    };
    write_signed(&a.author, &a.id, Kind::Withdrawal, &to_yaml(&doc)?)
}

pub fn cancel_test(a: ExitArgs) -> Result<ExitCode> {
    let (_, request_digest) = read_request(&a.author.repo, &a.id)?;
    let doc = CancelTest {
        api_version: ApiVersion::V1,
        kind: Kind::CancelTest,
        promotion: a.id.clone(),
        request_digest,
        by: a.author.email.clone(),
        reason: a.reason,
    };
    write_signed(&a.author, &a.id, Kind::CancelTest, &to_yaml(&doc)?)
}

pub fn assign_pack(a: AssignPackArgs) -> Result<ExitCode> {
    let (_, request_digest) = read_request(&a.author.repo, &a.id)?;
    let doc = PackAssignment {
        api_version: ApiVersion::V1,
        kind: Kind::PackAssignment,
        promotion: a.id.clone(),
        request_digest,
        admin: a.author.email.clone(),
        integration_pack: pack(a.pack_id, a.new_pack, a.pack_description)
            .expect("clap requires a pack"),
    };
    write_signed(&a.author, &a.id, Kind::PackAssignment, &to_yaml(&doc)?)
}
