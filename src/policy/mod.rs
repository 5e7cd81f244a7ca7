//! Trust: SSHSIG signing and verification (namespace `boomi-promoter`), OpenSSH allowed-signers
//! files, the access policy (tiers, teams, dev accounts), the policy trust chain, and the rules
//! that turn a repository's files into verified documents plus per-file problems.

pub mod access;
pub mod signers;
pub mod sshsig;
pub mod trust;
pub mod verify;

pub use access::Access;
pub use signers::AllowedSigners;
pub use sshsig::{load_private_key, sign, NAMESPACE};
pub use verify::{
    verify_incremental, verify_repository, AcceptedPolicy, Dirty, Files, PolicyOutcome,
    PromotionDocs, Signed, Trust, Verified, VerifyMemo,
};
