//! `promoter validate`, `promoter access allowed-signers`, `promoter schema`.

use super::files::{load, Loaded};
use super::{print_json, Output};
use crate::model::{parse_document, schema_of, Document, Kind};
use crate::policy::verify::{verify_repository, AcceptedPolicy, PolicyOutcome, Trust, POLICY_PATH};
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
    /// Start the policy trust chain at this revision (what the promotions repository's CI runs
    /// on a pull request: `--base origin/main`); the HEAD policy must be signed by an ADMIN of
    /// the base policy
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
pub struct SchemaArgs {
    /// Document kind: Settings, AccessPolicy, ConnectionMappings, PromotionRequest, PeerReview,
    /// AdminReview, PackAssignment, Withdrawal, CancelTest
    pub kind: String,
}

/// Verify the repository the way `validate` does (shared with other commands).
pub fn verify_loaded(loaded: &Loaded, trust: &Trust) -> Verified {
    verify_repository(&loaded.files, trust)
}

fn trust_from(args: &ValidateArgs) -> Result<Trust> {
    let bootstrap = match &args.trust {
        Some(p) => {
            Some(AllowedSigners::read(p).with_context(|| format!("--trust {}", p.display()))?)
        }
        None => None,
    };
    let mut trust = Trust {
        bootstrap,
        accepted: None,
    };
    if let Some(base) = &args.base {
        let at_base = load(&args.repo, Some(base), false)?;
        let Some(bytes) = at_base.files.get(POLICY_PATH) else {
            return Err(anyhow!("the base revision {base} has no {POLICY_PATH}"));
        };
        // The base policy is what is already in force on the base branch. With --trust it must
        // itself verify against the bootstrap signers.
        if trust.bootstrap.is_some() {
            let v = verify_repository(&at_base.files, &trust);
            if matches!(
                v.policy_outcome,
                PolicyOutcome::Rejected | PolicyOutcome::Missing
            ) {
                return Err(anyhow!(
                    "the access policy at the base revision {base} is not trusted by --trust: {}",
                    v.problems
                        .iter()
                        .filter(|p| p.file == POLICY_PATH)
                        .map(|p| p.message.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                ));
            }
        }
        match parse_document(POLICY_PATH, bytes) {
            Ok(Document::AccessPolicy(policy)) => {
                trust.accepted = Some(AcceptedPolicy {
                    policy,
                    digest: crate::model::digest(bytes),
                })
            }
            _ => {
                return Err(anyhow!(
                    "the access policy at the base revision {base} does not parse"
                ))
            }
        }
    }
    Ok(trust)
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
    let trust = trust_from(&args)?;
    let loaded = load(&args.repo, None, args.worktree)?;
    let v = verify_loaded(&loaded, &trust);
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
                "trustChainChecked": !matches!(v.policy_outcome, PolicyOutcome::SelfSigned),
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
            let policy_line = match v.policy_outcome {
                PolicyOutcome::Unchanged => "unchanged since the base revision".to_string(),
                PolicyOutcome::Accepted => format!(
                    "accepted (signed by {})",
                    v.policy_signer.as_deref().unwrap_or("?")
                ),
                PolicyOutcome::SelfSigned => format!(
                    "signed by its own ADMIN {} — trust chain not checked (give --trust FILE or --base REV)",
                    v.policy_signer.as_deref().unwrap_or("?")
                ),
                PolicyOutcome::Rejected => "REFUSED (see problems)".to_string(),
                PolicyOutcome::Missing => "MISSING".to_string(),
            };
            println!("Policy: {policy_line}");
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
    let Some(kind) = Kind::parse(&a.kind) else {
        eprintln!(
            "error: unknown kind {:?}; one of: {}",
            a.kind,
            Kind::ALL
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Ok(ExitCode::from(2));
    };
    print_json(&schema_of(kind));
    Ok(ExitCode::SUCCESS)
}
