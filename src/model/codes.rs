//! The error-code catalogue (`seed-behaviors.md` §2.3 plus the codes GitOps needs).
//!
//! Every problem the product reports to a person carries one of these codes. The wire and
//! JSON form is the SCREAMING_SNAKE_CASE name (`SELF_REVIEW_NOT_ALLOWED`).

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident ),* $(,)?) => {
        /// A catalogued error code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum ErrorCode { $( $(#[$doc])* $variant ),* }

        impl ErrorCode {
            /// Every code, in catalogue order.
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant ),* ];
        }
    };
}

codes! {
    // Infrastructure
    /// Boomi rejected the credentials (HTTP 401). Never retried.
    AuthFailed,
    /// The account does not exist or is not reachable.
    AccountNotFound,
    /// A component id is unknown to Boomi (or an unknown promotion in review, per the seeds).
    ComponentNotFound,
    /// The state store failed (the seeds' DataHub).
    DatahubError,
    /// Boomi kept answering 503/429 after every retry.
    ApiRateLimit,
    /// A request or document is malformed.
    InvalidRequest,
    /// Any other Boomi API failure.
    ApiError,
    /// Component XML could not be parsed.
    XmlParseError,
    /// Catalogued by the seeds, never raised (cycles are not errors).
    DependencyCycle,
    // Promotion (C)
    InsufficientTier,
    PromotionInProgress,
    BranchLimitReached,
    BranchCreationTimeout,
    MissingConnectionMappings,
    PromotionFailed,
    UnauthorizedAccountAccess,
    // Packaging (D)
    PromotionNotCompleted,
    SelfApprovalNotAllowed,
    MergeFailed,
    MergeTimeout,
    DeploymentFailed,
    TestDeployFailed,
    HotfixJustificationRequired,
    /// Approving a hotfix without `acknowledgeHotfix: true`.
    HotfixAcknowledgementRequired,
    InvalidDeploymentTarget,
    TestPromotionNotFound,
    PackAssignmentRequired,
    MainChangedSinceTest,
    DuplicatePackageVersion,
    // Review (E3)
    SelfReviewNotAllowed,
    AlreadyReviewed,
    InvalidReviewState,
    // Withdrawal and cancellation
    PromotionNotFound,
    InvalidPromotionStatus,
    NotPromotionInitiator,
    // Mappings (F)
    InvalidAction,
    // Extensions
    Unauthorized,
    ClientAccountNotFound,
    ExtensionNotFound,
    UnauthorizedExtensionEdit,
    ConnectionEditAdminOnly,
    CopyFailed,
    MapExtensionReadonly,
    // Release status (P)
    ReleaseNotFound,
    // GitOps: documents, signatures, trust
    /// YAML that does not parse, or a field that breaks a rule.
    InvalidDocument,
    /// A document with no `.sig` beside it.
    SignatureMissing,
    /// The signature does not verify (tampered bytes, wrong namespace, malformed).
    SignatureInvalid,
    /// The signing key belongs to nobody in the accepted policy / trust set.
    UnknownSigner,
    /// The identity the document claims is not a principal of the signing key.
    IdentityMismatch,
    /// A review or decision whose `requestDigest` (or `peerReviewDigest`) no longer matches.
    StaleApproval,
    /// A policy or mappings change not signed by an ADMIN of the accepted policy.
    PolicyChangeUntrusted,
    /// A document the store knows about vanished from git without a signed withdrawal.
    DesiredStateMissing,
    /// A promotion id that was already used.
    PromotionIdReused,
    // GitOps: the trust closure
    /// A `promoter.yaml` change not signed by an ADMIN of the policy in force (or a bootstrap
    /// signer); the accepted settings stay in force.
    SettingsChangeUntrusted,
    /// A policy, settings or mappings version whose `serial` is not greater than the accepted
    /// one (an older signed version committed again).
    DocumentReplayed,
    /// Boomi and `promoter.yaml` classify an environment differently; nothing deploys there.
    EnvironmentClassificationMismatch,
    /// A deployment or release that production uses, without a fresh APPROVED peer review and
    /// APPROVED admin review on the record.
    DeploymentNotApproved,
    /// A secret reference outside the fence (`PROMOTER_SECRET_*` variables, files under
    /// `--secrets-dir`), or plain-text SMTP to a host that is not loopback.
    SecretReferenceRefused,
    /// Production would go back to a lower package version than it runs, and the admin
    /// decision does not say `acknowledgeDowngrade: true`.
    DowngradeNotAcknowledged,
    /// Two people of the access policy whose e-mails look alike (UTS #39 skeletons), or a
    /// non-ASCII e-mail without `allowUnicodeEmail: true`.
    ConfusableIdentity,
}

impl ErrorCode {
    /// The catalogue name, e.g. `SELF_REVIEW_NOT_ALLOWED`.
    pub fn as_str(self) -> &'static str {
        // serde_json renders a unit variant as a quoted string; strip the quotes once.
        CODE_NAMES[self as usize]
    }

    /// Parse a catalogue name.
    pub fn parse(s: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

static CODE_NAMES: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
    ErrorCode::ALL
        .iter()
        .map(|c| {
            let s = serde_json::to_string(c).expect("code serialises");
            &*Box::leak(s.trim_matches('"').to_string().into_boxed_str())
        })
        .collect()
});

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(c.as_str()), Some(*c));
        }
        assert_eq!(
            ErrorCode::SelfReviewNotAllowed.as_str(),
            "SELF_REVIEW_NOT_ALLOWED"
        );
        assert_eq!(ErrorCode::AuthFailed.to_string(), "AUTH_FAILED");
    }
}
