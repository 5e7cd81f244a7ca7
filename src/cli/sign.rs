//! `promoter sign` and `promoter verify`: detached SSHSIG signatures over exact file bytes.

use super::{print_json, Output};
use crate::model::{parse_document, ErrorCode};
use crate::policy::{self, access::norm, AllowedSigners};
use anyhow::{Context, Result};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct SignArgs {
    /// The file to sign (its exact bytes are signed)
    pub file: PathBuf,
    /// OpenSSH private key (ed25519 or ecdsa, unencrypted)
    #[arg(long, env = "PROMOTER_KEY")]
    pub key: PathBuf,
    /// Where to write the signature (default FILE.sig)
    #[arg(long)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The signed file
    pub file: PathBuf,
    /// OpenSSH allowed-signers file (see `promoter access allowed-signers`)
    #[arg(long)]
    pub allowed_signers: PathBuf,
    /// The signature (default FILE.sig)
    #[arg(long)]
    pub signature: Option<PathBuf>,
    #[arg(short = 'o', long, value_enum, default_value_t = Output::Human)]
    pub output: Output,
}

fn sig_path(file: &std::path::Path) -> PathBuf {
    let mut s = file.as_os_str().to_owned();
    s.push(".sig");
    PathBuf::from(s)
}

/// Sign `file` with `key`, writing the signature to `output` (default `file.sig`).
pub fn sign_file(
    file: &std::path::Path,
    key: &std::path::Path,
    output: Option<PathBuf>,
) -> Result<PathBuf> {
    let key = policy::load_private_key(key)?;
    sign_file_with(file, &key, output)
}

/// Sign `file` with a key already loaded, writing the signature to `output` (default
/// `file.sig`).
pub fn sign_file_with(
    file: &std::path::Path,
    key: &ssh_key::PrivateKey,
    output: Option<PathBuf>,
) -> Result<PathBuf> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let pem = policy::sign(key, &bytes)?;
    let out = output.unwrap_or_else(|| sig_path(file));
    std::fs::write(&out, pem).with_context(|| format!("writing {}", out.display()))?;
    Ok(out)
}

pub fn sign(a: SignArgs) -> Result<ExitCode> {
    let out = sign_file(&a.file, &a.key, a.output)?;
    eprintln!("signed {} -> {}", a.file.display(), out.display());
    Ok(ExitCode::SUCCESS)
}

pub fn verify(a: VerifyArgs) -> Result<ExitCode> {
    let bytes = std::fs::read(&a.file).with_context(|| format!("reading {}", a.file.display()))?;
    let sig_file = a.signature.clone().unwrap_or_else(|| sig_path(&a.file));
    let sig = std::fs::read_to_string(&sig_file)
        .with_context(|| format!("reading {}", sig_file.display()))?;
    let signers = AllowedSigners::read(&a.allowed_signers)?;
    let file = a.file.display().to_string();
    let fail = |code: ErrorCode, message: String| -> Result<ExitCode> {
        match a.output {
            Output::Json => print_json(&serde_json::json!({
                "file": file, "valid": false, "code": code, "message": message
            })),
            Output::Human => eprintln!("{file}: {code}: {message}"),
        }
        Ok(ExitCode::from(1))
    };
    let v = match policy::sshsig::verify(&sig, &bytes, &signers) {
        Ok(v) => v,
        Err(e) => return fail(e.code(), e.to_string()),
    };
    // A promoter document claims an identity: it must be a principal of the key.
    let claimed = parse_document(&file, &bytes)
        .ok()
        .and_then(|d| d.claimed_identity().map(str::to_string));
    if let Some(claimed) = &claimed {
        if !v.principals.iter().any(|p| norm(p) == norm(claimed)) {
            return fail(
                ErrorCode::IdentityMismatch,
                format!(
                    "the document claims {claimed} but is signed by the key of {}",
                    v.principals.join(", ")
                ),
            );
        }
    }
    match a.output {
        Output::Json => print_json(&serde_json::json!({
            "file": file, "valid": true, "principals": v.principals,
            "fingerprint": v.fingerprint, "claimedIdentity": claimed
        })),
        Output::Human => println!(
            "Good \"{}\" signature for {} with key {}",
            policy::NAMESPACE,
            v.principals.join(","),
            v.fingerprint
        ),
    }
    Ok(ExitCode::SUCCESS)
}
