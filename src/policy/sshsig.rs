//! SSHSIG detached signatures in namespace `boomi-promoter`, byte-compatible with
//! `ssh-keygen -Y sign -n boomi-promoter` and `ssh-keygen -Y verify` (ed25519 and ecdsa signing;
//! RSA verification only — ssh-key 0.6.7 cannot sign with RSA).

use super::signers::AllowedSigners;
use crate::model::ErrorCode;
use ssh_key::{HashAlg, LineEnding, PrivateKey, SshSig};
use std::path::Path;

/// The SSHSIG namespace of every promoter signature.
pub const NAMESPACE: &str = "boomi-promoter";

/// Why a signature was not accepted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SigError {
    #[error("signature file is not an SSH signature: {0}")]
    Malformed(String),
    #[error("signature is for namespace {found:?}, expected {NAMESPACE:?}")]
    WrongNamespace { found: String },
    #[error("signing key {fingerprint} is not in the allowed signers{context}")]
    UnknownKey {
        fingerprint: String,
        context: String,
    },
    #[error("signature by {fingerprint} does not verify: the file was changed after signing, or the signature belongs to another file")]
    BadSignature { fingerprint: String },
    #[error("cannot read private key {path}: {reason}")]
    Key { path: String, reason: String },
    #[error("cannot sign: {0}")]
    Sign(String),
}

impl SigError {
    pub fn code(&self) -> ErrorCode {
        match self {
            SigError::Malformed(_)
            | SigError::WrongNamespace { .. }
            | SigError::BadSignature { .. } => ErrorCode::SignatureInvalid,
            SigError::UnknownKey { .. } => ErrorCode::UnknownSigner,
            SigError::Key { .. } | SigError::Sign(_) => ErrorCode::InvalidRequest,
        }
    }
}

/// A signature that verified: the key's fingerprint and the principals the signers list gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub fingerprint: String,
    pub principals: Vec<String>,
}

/// Read an OpenSSH private key (unencrypted).
pub fn load_private_key(path: &Path) -> Result<PrivateKey, SigError> {
    let key = PrivateKey::read_openssh_file(path).map_err(|e| SigError::Key {
        path: path.display().to_string(),
        reason: public_key_file(path).unwrap_or_else(|| e.to_string()),
    })?;
    if key.is_encrypted() {
        return Err(SigError::Key {
            path: path.display().to_string(),
            reason: "the key is passphrase-protected; use ssh-keygen -Y sign -n boomi-promoter, or an unencrypted key".into(),
        });
    }
    Ok(key)
}

/// When `path` holds an OpenSSH public key (`ssh-ed25519 AAAA… comment`, what a `.pub` file
/// holds) rather than a private key: what to say instead of the PEM parser's error.
fn public_key_file(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    ssh_key::PublicKey::from_openssh(text.trim()).ok()?;
    let shown = path.display().to_string();
    Some(match shown.strip_suffix(".pub") {
        Some(private) => format!(
            "this is a public key; give the private key file ({private}, the same path without .pub)"
        ),
        None => "this is a public key; give the private key file (the one without .pub)".into(),
    })
}

/// Sign `msg` and return the armored signature (what goes in `<file>.sig`).
pub fn sign(key: &PrivateKey, msg: &[u8]) -> Result<String, SigError> {
    if matches!(key.algorithm(), ssh_key::Algorithm::Rsa { .. }) {
        return Err(SigError::Sign(
            "RSA keys can verify but not sign here; use an ed25519 or ecdsa key (or ssh-keygen -Y sign)".into(),
        ));
    }
    let sig = key
        .sign(NAMESPACE, HashAlg::Sha512, msg)
        .map_err(|e| SigError::Sign(e.to_string()))?;
    let mut pem = sig
        .to_pem(LineEnding::LF)
        .map_err(|e| SigError::Sign(e.to_string()))?;
    if !pem.ends_with('\n') {
        pem.push('\n');
    }
    Ok(pem)
}

/// Parse an armored signature (tolerates trailing whitespace, which ssh-key alone refuses).
pub fn parse(sig_text: &str) -> Result<SshSig, SigError> {
    SshSig::from_pem(sig_text.trim_end()).map_err(|e| SigError::Malformed(e.to_string()))
}

/// Verify `msg` against the armored signature and the allowed signers.
///
/// Checks, in order: the signature parses; its namespace is `boomi-promoter`; its key is in the
/// signers (for this namespace); the cryptography holds.
pub fn verify(sig_text: &str, msg: &[u8], signers: &AllowedSigners) -> Result<Verified, SigError> {
    let sig = parse(sig_text)?;
    if sig.namespace() != NAMESPACE {
        return Err(SigError::WrongNamespace {
            found: sig.namespace().to_string(),
        });
    }
    let fingerprint = ssh_key::PublicKey::from(sig.public_key().clone())
        .fingerprint(HashAlg::Sha256)
        .to_string();
    let entries = signers.find(sig.public_key(), NAMESPACE);
    let Some(first) = entries.first() else {
        return Err(SigError::UnknownKey {
            fingerprint,
            context: String::new(),
        });
    };
    first
        .key
        .verify(NAMESPACE, msg, &sig)
        .map_err(|_| SigError::BadSignature {
            fingerprint: fingerprint.clone(),
        })?;
    let mut principals: Vec<String> = entries
        .iter()
        .flat_map(|e| e.principals.iter().cloned())
        .collect();
    principals.dedup();
    Ok(Verified {
        fingerprint,
        principals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::signers::AllowedSigners;
    use ssh_key::rand_core::OsRng;

    fn key() -> PrivateKey {
        PrivateKey::random(&mut OsRng, ssh_key::Algorithm::Ed25519).unwrap()
    }

    fn signers_for(k: &PrivateKey, who: &str) -> AllowedSigners {
        let line = format!(
            "{who} namespaces=\"{NAMESPACE}\" {}",
            k.public_key().to_openssh().unwrap()
        );
        AllowedSigners::parse(&line).unwrap()
    }

    #[test]
    fn sign_then_verify() {
        let k = key();
        let pem = sign(&k, b"hello").unwrap();
        let v = verify(&pem, b"hello", &signers_for(&k, "alice@example.com")).unwrap();
        assert_eq!(v.principals, vec!["alice@example.com"]);
        assert!(v.fingerprint.starts_with("SHA256:"));
    }

    #[test]
    fn tampered_and_unknown() {
        let k = key();
        let pem = sign(&k, b"hello").unwrap();
        let s = signers_for(&k, "alice@example.com");
        assert_eq!(
            verify(&pem, b"hellO", &s).unwrap_err().code(),
            ErrorCode::SignatureInvalid
        );
        let other = signers_for(&key(), "bob@example.com");
        assert_eq!(
            verify(&pem, b"hello", &other).unwrap_err().code(),
            ErrorCode::UnknownSigner
        );
        assert!(matches!(
            verify("garbage", b"hello", &s),
            Err(SigError::Malformed(_))
        ));
    }

    #[test]
    fn wrong_namespace() {
        let k = key();
        let sig = k.sign("git", HashAlg::Sha512, b"hello").unwrap();
        let pem = sig.to_pem(LineEnding::LF).unwrap();
        let err = verify(&pem, b"hello", &signers_for(&k, "a@example.com")).unwrap_err();
        assert!(matches!(err, SigError::WrongNamespace { .. }), "{err}");
    }

    #[test]
    fn namespace_restricted_signer_entry() {
        let k = key();
        let pem = sign(&k, b"x").unwrap();
        let line = format!(
            "a@example.com namespaces=\"git\" {}",
            k.public_key().to_openssh().unwrap()
        );
        let s = AllowedSigners::parse(&line).unwrap();
        assert_eq!(
            verify(&pem, b"x", &s).unwrap_err().code(),
            ErrorCode::UnknownSigner
        );
    }
}
