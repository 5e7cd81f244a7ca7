//! `promoter validate`, `promoter access allowed-signers`, `promoter schema`.

use super::files::{blob_at, load, tracked_location, Loaded};
use super::{print_json, Output};
use crate::model::{parse_document, schema_of, Document, ErrorCode, Kind, Problem};
use crate::policy::trust::trust_at_base;
use crate::policy::verify::{verify_repository, PolicyOutcome, Trust, POLICY_PATH};
use crate::policy::{Access, AllowedSigners, Verified};
use anyhow::{anyhow, Context, Result};
use clap::{Args, Subcommand};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The promotions repository: its root, a folder inside a git repository (the committed tree
    /// of that folder at HEAD is read), or a plain folder (its files are read)
    #[arg(default_value = ".")]
    pub repo: PathBuf,
    /// Check the change against this revision (what the promotions repository's CI runs on a
    /// pull request: `--base origin/main`): the policy, settings, mappings and the `--trust`
    /// file in force are taken from it, so a changed policy, promoter.yaml or mappings file must
    /// be signed by an ADMIN of the base policy and carry a greater `serial`
    #[arg(long)]
    pub base: Option<String>,
    /// Bootstrap allowed-signers file: the keys that may sign the access policy
    #[arg(long, env = "PROMOTER_TRUST")]
    pub trust: Option<PathBuf>,
    /// Read uncommitted files too (the work tree instead of HEAD)
    #[arg(long)]
    pub worktree: bool,
    #[arg(short = 'o', long, value_enum, default_value_t = Output::Human)]
    pub output: Output,
}

#[derive(Debug, Subcommand)]
pub enum AccessCommand {
    /// Print the access policy's keys as an OpenSSH allowed_signers file
    /// (for `ssh-keygen -Y verify -n boomi-promoter` and git's gpg.ssh.allowedSignersFile)
    AllowedSigners(AllowedSignersArgs),
}

#[derive(Debug, Args)]
pub struct AllowedSignersArgs {
    /// The promotions repository (reads access/policy.yaml at HEAD, or on disk outside git)
    #[arg(default_value = ".")]
    pub repo: PathBuf,
    /// Only the ADMINs (who may sign policy and mapping changes)
    #[arg(long)]
    pub admins: bool,
    /// Read the work tree instead of HEAD
    #[arg(long)]
    pub worktree: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").args(["kind", "all"]).required(true)))]
pub struct SchemaArgs {
    /// Document kind: Settings, AccessPolicy, ConnectionMappings, PromotionRequest, PeerReview,
    /// AdminReview, PackAssignment, Withdrawal, CancelTest
    pub kind: Option<String>,
    /// Every kind (with --dir)
    #[arg(long, requires = "dir")]
    pub all: bool,
    /// Write `<Kind>.schema.json` files into this directory instead of printing (for an
    /// editor's workspace schema mapping; see promotions/README.md)
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Verify the repository the way `validate` does (shared with other commands).
pub fn verify_loaded(loaded: &Loaded, trust: &Trust) -> Verified {
    verify_repository(&loaded.files, trust)
}

/// The trust `validate` checks against, and the problems of the trust itself: with `--base`,
/// the policy, settings and mappings in force at the base revision; the bootstrap signers from
/// `--trust`.
fn trust_from(args: &ValidateArgs) -> Result<(Trust, Vec<Problem>)> {
    let mut problems = Vec::new();
    let bootstrap = match &args.trust {
        Some(p) => bootstrap_signers(args, p, &mut problems)?,
        None => None,
    };
    let Some(base) = &args.base else {
        return Ok((
            Trust {
                bootstrap,
                ..Default::default()
            },
            problems,
        ));
    };
    let at_base = load(&args.repo, Some(base), false)?;
    let trust = trust_at_base(&at_base.files, bootstrap)
        .map_err(|e| anyhow!("base revision {base}: {e}"))?;
    Ok((trust, problems))
}

/// The `--trust` file. In a pull request (`--base`) a trust file inside the repository is read
/// at the base revision: the change under review must not choose who it is checked against. A
/// change to it is a problem of its own.
fn bootstrap_signers(
    args: &ValidateArgs,
    path: &std::path::Path,
    problems: &mut Vec<Problem>,
) -> Result<Option<AllowedSigners>> {
    let read = |p: &std::path::Path| {
        AllowedSigners::read(p).with_context(|| format!("--trust {}", p.display()))
    };
    let (Some(base), Some((git, rel))) = (&args.base, tracked_location(&args.repo, path)) else {
        return Ok(Some(read(path)?));
    };
    let at_base = blob_at(&git, base, &rel)?;
    let now = if args.worktree {
        std::fs::read(path).ok()
    } else {
        blob_at(&git, "HEAD", &rel)?
    };
    if at_base != now {
        problems.push(Problem::new(
            rel.as_str(),
            ErrorCode::PolicyChangeUntrusted,
            match &at_base {
                Some(_) => format!("the --trust file {rel} is changed by this change; trust comes from the base revision {base}, so its version there is used"),
                None => format!("the --trust file {rel} is added by this change; trust comes from the base revision {base}, which has none, so no bootstrap signer is used"),
            },
        ));
    }
    match at_base {
        Some(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            Ok(Some(AllowedSigners::parse(&text).map_err(|e| {
                anyhow!("--trust {rel} at the base revision {base}: {e}")
            })?))
        }
        None => Ok(None),
    }
}

fn promotion_json(p: &crate::policy::PromotionDocs) -> serde_json::Value {
    let r = &p.request.doc;
    json!({
        "id": p.id,
        "target": r.target,
        "mode": r.mode(),
        "devAccountId": r.dev_account_id,
        "processName": r.process_name,
        "initiatedBy": r.initiated_by,
        "packageVersion": r.package_version,
        "requestDigest": p.request.digest,
        "peerReview": p.peer_review.as_ref().map(|s| json!({"decision": s.doc.decision, "reviewer": s.doc.reviewer})),
        "adminReview": p.admin_review.as_ref().map(|s| json!({"decision": s.doc.decision, "admin": s.doc.admin})),
        "packAssignment": p.pack_assignment.as_ref().map(|s| json!({"admin": s.doc.admin})),
        "withdrawal": p.withdrawal.as_ref().map(|s| json!({"by": s.doc.by})),
        "cancelTest": p.cancel_test.as_ref().map(|s| json!({"by": s.doc.by})),
    })
}

/// How `validate` describes what happened to a trust root.
fn outcome_line(o: PolicyOutcome, signer: Option<&str>, what: &str) -> String {
    match o {
        PolicyOutcome::Unchanged => "unchanged since the base revision".to_string(),
        PolicyOutcome::Accepted => format!("accepted (signed by {})", signer.unwrap_or("?")),
        PolicyOutcome::SelfSigned => format!(
            "signed by the policy's own ADMIN {} — trust chain not checked (give --trust FILE or --base REV)",
            signer.unwrap_or("?")
        ),
        PolicyOutcome::Rejected => format!("REFUSED (see problems); the {what} in force stays"),
        PolicyOutcome::Missing => "MISSING".to_string(),
    }
}

/// The wire name of a serde enum value (`APPROVED`).
fn wire<T: serde::Serialize>(t: &T) -> String {
    serde_json::to_value(t)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn review_summary(p: &crate::policy::PromotionDocs) -> String {
    let mut parts = Vec::new();
    if let Some(s) = &p.peer_review {
        parts.push(format!(
            "peer {} by {}",
            wire(&s.doc.decision),
            s.doc.reviewer
        ));
    }
    if let Some(s) = &p.admin_review {
        parts.push(format!(
            "admin {} by {}",
            wire(&s.doc.decision),
            s.doc.admin
        ));
    }
    if p.pack_assignment.is_some() {
        parts.push("pack assigned".into());
    }
    if let Some(s) = &p.withdrawal {
        parts.push(format!("withdrawn by {}", s.doc.by));
    }
    if let Some(s) = &p.cancel_test {
        parts.push(format!("test cancelled by {}", s.doc.by));
    }
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join("; ")
    }
}

pub fn validate(args: ValidateArgs) -> Result<ExitCode> {
    let (trust, trust_problems) = trust_from(&args)?;
    let loaded = load(&args.repo, None, args.worktree)?;
    let mut v = verify_loaded(&loaded, &trust);
    v.problems.splice(0..0, trust_problems);
    let valid = v.problems.is_empty();
    match args.output {
        Output::Json => print_json(&json!({
            "repository": args.repo.display().to_string(),
            "source": loaded.origin,
            "commit": loaded.commit,
            "valid": valid,
            "policy": {
                "outcome": v.policy_outcome,
                "digest": v.policy_digest,
                "signedBy": v.policy_signer,
                "serial": v.access.as_ref().map(|a| a.policy().serial),
                "trustChainChecked": !matches!(v.policy_outcome, PolicyOutcome::SelfSigned),
            },
            "settings": {
                "outcome": v.settings_outcome,
                "digest": v.settings_digest,
                "signedBy": v.settings_signer,
                "serial": v.settings.as_ref().map(|s| s.serial),
            },
            "mappings": v.mappings.values().map(|m| json!({
                "devAccountId": m.doc.dev_account_id,
                "count": m.doc.mappings.len(),
                "signedBy": m.signer,
            })).collect::<Vec<_>>(),
            "promotions": v.promotions.values().map(promotion_json).collect::<Vec<_>>(),
            "problems": v.problems,
        })),
        Output::Human => {
            println!("Repository: {} ({})", args.repo.display(), loaded.origin);
            println!(
                "Policy: {}",
                outcome_line(v.policy_outcome, v.policy_signer.as_deref(), "policy")
            );
            println!(
                "Settings: {}",
                outcome_line(v.settings_outcome, v.settings_signer.as_deref(), "settings")
            );
            for m in v.mappings.values() {
                println!(
                    "Mappings: {} ({} connections, signed by {})",
                    m.doc.dev_account_id,
                    m.doc.mappings.len(),
                    m.signer
                );
            }
            if !v.promotions.is_empty() {
                println!();
                println!(
                    "{:<28} {:<11} {:<22} {:<14} {:<24} REVIEWS",
                    "PROMOTION", "TARGET", "MODE", "ACCOUNT", "INITIATOR"
                );
                for p in v.promotions.values() {
                    let r = &p.request.doc;
                    let mode = wire(&r.mode());
                    println!(
                        "{:<28} {:<11} {:<22} {:<14} {:<24} {}",
                        p.id,
                        r.target.as_str(),
                        mode,
                        r.dev_account_id,
                        r.initiated_by,
                        review_summary(p)
                    );
                }
            }
            if !v.problems.is_empty() {
                println!();
                println!("Problems ({}):", v.problems.len());
                for p in &v.problems {
                    println!("  {p}");
                }
            }
            let files: std::collections::BTreeSet<&str> =
                v.problems.iter().map(|p| p.file.as_str()).collect();
            println!();
            println!(
                "{} promotion(s) valid; {} problem(s) in {} file(s).",
                v.promotions.len(),
                v.problems.len(),
                files.len()
            );
        }
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub fn access(cmd: AccessCommand) -> Result<ExitCode> {
    match cmd {
        AccessCommand::AllowedSigners(a) => {
            let loaded = load(&a.repo, None, a.worktree)?;
            let bytes = loaded
                .files
                .get(POLICY_PATH)
                .ok_or_else(|| anyhow!("{} has no {POLICY_PATH}", a.repo.display()))?;
            let policy = match parse_document(POLICY_PATH, bytes) {
                Ok(Document::AccessPolicy(p)) => p,
                Ok(_) => return Err(anyhow!("{POLICY_PATH} is not an AccessPolicy")),
                Err(ps) => {
                    for p in ps {
                        eprintln!("{p}");
                    }
                    return Ok(ExitCode::from(1));
                }
            };
            let access = Access::new(policy);
            let signers = if a.admins {
                access.admin_signers()
            } else {
                access.allowed_signers()
            };
            print!("{}", signers.render());
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub fn schema(a: SchemaArgs) -> Result<ExitCode> {
    let kinds: Vec<Kind> = match &a.kind {
        Some(name) => match Kind::parse(name) {
            Some(k) => vec![k],
            None => {
                eprintln!(
                    "error: unknown kind {name:?}; one of: {}",
                    Kind::ALL
                        .iter()
                        .map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                return Ok(ExitCode::from(2));
            }
        },
        None => Kind::ALL.to_vec(),
    };
    let Some(dir) = &a.dir else {
        print_json(&schema_of(kinds[0]));
        return Ok(ExitCode::SUCCESS);
    };
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for k in kinds {
        let path = dir.join(format!("{k}.schema.json"));
        let mut text = serde_json::to_string_pretty(&schema_of(k))?;
        text.push('\n');
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        println!("{}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
