//! The document kinds of the promotions repository (DESIGN.md Appendix A) as serde types.
//!
//! Every document carries `apiVersion: promoter/v1` and a `kind`. Unknown fields are refused.
//! Field rules that need more than serde live in [`validate`](super::validate).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The one API version this build understands.
pub const API_VERSION: &str = "promoter/v1";

/// `apiVersion` (always `promoter/v1`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ApiVersion {
    #[serde(rename = "promoter/v1")]
    V1,
}

/// The kinds of document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum Kind {
    Settings,
    AccessPolicy,
    ConnectionMappings,
    PromotionRequest,
    PeerReview,
    AdminReview,
    PackAssignment,
    Withdrawal,
    CancelTest,
}

impl Kind {
    pub const ALL: &'static [Kind] = &[
        Kind::Settings,
        Kind::AccessPolicy,
        Kind::ConnectionMappings,
        Kind::PromotionRequest,
        Kind::PeerReview,
        Kind::AdminReview,
        Kind::PackAssignment,
        Kind::Withdrawal,
        Kind::CancelTest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Settings => "Settings",
            Kind::AccessPolicy => "AccessPolicy",
            Kind::ConnectionMappings => "ConnectionMappings",
            Kind::PromotionRequest => "PromotionRequest",
            Kind::PeerReview => "PeerReview",
            Kind::AdminReview => "AdminReview",
            Kind::PackAssignment => "PackAssignment",
            Kind::Withdrawal => "Withdrawal",
            Kind::CancelTest => "CancelTest",
        }
    }

    /// Case-insensitive parse of a kind name.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
    }

    /// The file name a promotion-scoped document has inside `promotions/<id>/`.
    pub fn promotion_file(self) -> Option<&'static str> {
        match self {
            Kind::PromotionRequest => Some("request.yaml"),
            Kind::PeerReview => Some("peer-review.yaml"),
            Kind::AdminReview => Some("admin-review.yaml"),
            Kind::PackAssignment => Some("pack-assignment.yaml"),
            Kind::Withdrawal => Some("withdrawal.yaml"),
            Kind::CancelTest => Some("cancel-test.yaml"),
            Kind::Settings | Kind::AccessPolicy | Kind::ConnectionMappings => None,
        }
    }

    /// The kind a promotion-scoped file name holds.
    pub fn from_promotion_file(name: &str) -> Option<Kind> {
        Kind::ALL
            .iter()
            .copied()
            .find(|k| k.promotion_file() == Some(name))
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

// ---------------------------------------------------------------------------------------------
// promoter.yaml

/// `promoter.yaml`: settings of one promotions repository.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Settings {
    pub api_version: ApiVersion,
    pub kind: Kind,
    /// Increases with every change; only a greater serial replaces the accepted settings.
    pub serial: u64,
    /// The primary (production) Boomi account id.
    #[schemars(pattern(super::schema::NOT_BLANK))]
    pub primary_account_id: String,
    /// Environments of the primary account the promoter deploys to.
    #[serde(default)]
    pub environments: Vec<EnvironmentSpec>,
    /// Refuse to create a promotion branch when this many branches exist (default 15).
    #[serde(default = "default_branch_soft_limit")]
    #[schemars(range(min = 1, max = 20))]
    pub branch_soft_limit: u32,
    /// Boomi API requests per second (default 8; Boomi's documented limit is 10).
    #[serde(default = "default_api_rate_limit")]
    #[schemars(range(min = 1, max = 10))]
    pub api_rate_limit: u32,
    /// PRODUCTION deploys wait for one of these windows; none means "any time".
    #[serde(default)]
    pub deploy_windows: Vec<DeployWindow>,
    #[serde(default)]
    pub notifications: Option<Notifications>,
    #[serde(default)]
    pub polling: Option<Polling>,
    /// Cron schedule of the orphan-branch sweep (default hourly).
    #[serde(default)]
    pub orphan_sweep: Option<String>,
}

fn default_branch_soft_limit() -> u32 {
    15
}
fn default_api_rate_limit() -> u32 {
    8
}

/// An environment of the primary account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnvironmentSpec {
    pub id: String,
    pub name: String,
    pub classification: Classification,
}

/// Boomi's environment classification (`PROD`, not `PRODUCTION`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Classification {
    Test,
    Prod,
}

/// A window in which PRODUCTION deploys may run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeployWindow {
    /// Standard 5-field crontab line (croner syntax), e.g. `0 18 * * MON-THU`.
    pub cron: String,
    #[schemars(range(min = 1))]
    pub duration_minutes: u32,
    /// IANA time zone, default UTC.
    #[serde(default)]
    pub timezone: Option<String>,
}

/// Where notifications go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Notifications {
    #[serde(default)]
    pub developers_list: Option<String>,
    #[serde(default)]
    pub admins_list: Option<String>,
    #[serde(default)]
    pub smtp: Option<SmtpSettings>,
    #[serde(default)]
    pub webhook: Option<WebhookSettings>,
}

/// SMTP relay settings. Credentials come from the environment or a file, never from git.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    #[serde(default)]
    pub port: Option<u16>,
    #[schemars(pattern(super::schema::EMAIL_PATTERN), length(max = super::schema::MAX_EMAIL))]
    pub from: String,
    /// `none` (plain, for local relays), `starttls` or `tls`.
    #[serde(default)]
    #[schemars(extend("enum" = ["none", "starttls", "tls", null]))]
    pub tls: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    /// Where the password comes from.
    #[serde(default)]
    pub password_from: Option<SecretRef>,
    /// Allow `tls: none` to a host that is not a loopback address (the password and the
    /// mail then cross the network in clear text).
    #[serde(default)]
    pub allow_insecure: bool,
}

/// A JSON webhook receiver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookSettings {
    #[schemars(url)]
    pub url: String,
    /// HMAC secret for `X-Promoter-Signature-256`.
    #[serde(default)]
    pub secret_from: Option<SecretRef>,
}

/// A secret held outside git: an environment variable named `PROMOTER_SECRET_*`, or a file
/// under the daemon's `--secrets-dir` (a path relative to it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SecretRef {
    #[serde(default)]
    #[schemars(pattern(super::schema::SECRET_ENV_PATTERN))]
    pub env: Option<String>,
    #[serde(default)]
    #[schemars(pattern(super::schema::SECRET_FILE_PATTERN))]
    pub file: Option<String>,
}

/// Poll intervals and attempt counts (the seeds' 5 s × 6 and 5 s × 12 by default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Polling {
    #[serde(default)]
    pub branch_ready_interval_seconds: Option<u64>,
    #[serde(default)]
    pub branch_ready_attempts: Option<u32>,
    #[serde(default)]
    pub merge_interval_seconds: Option<u64>,
    #[serde(default)]
    pub merge_attempts: Option<u32>,
    #[serde(default)]
    pub release_interval_seconds: Option<u64>,
    #[serde(default)]
    pub release_attempts: Option<u32>,
}

// ---------------------------------------------------------------------------------------------
// access/policy.yaml

/// Tier of a person (`seed-behaviors.md` §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Tier {
    Admin,
    Contributor,
    Readonly,
    Operator,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Admin => "ADMIN",
            Tier::Contributor => "CONTRIBUTOR",
            Tier::Readonly => "READONLY",
            Tier::Operator => "OPERATOR",
        }
    }

    /// CONTRIBUTOR or ADMIN: may initiate and peer-review.
    pub fn can_contribute(self) -> bool {
        match self {
            Tier::Admin | Tier::Contributor => true,
            Tier::Readonly | Tier::Operator => false,
        }
    }
}

/// `access/policy.yaml`: who may do what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccessPolicy {
    pub api_version: ApiVersion,
    pub kind: Kind,
    /// Increases with every change; only a greater serial replaces the accepted policy.
    pub serial: u64,
    pub people: Vec<Person>,
    #[serde(default)]
    pub teams: Vec<Team>,
}

/// A person of the access policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Person {
    #[schemars(pattern(super::schema::EMAIL_PATTERN), length(max = super::schema::MAX_EMAIL))]
    pub email: String,
    pub name: String,
    pub tier: Tier,
    #[serde(default)]
    pub teams: Vec<String>,
    /// OpenSSH public keys (`ssh-ed25519 AAAA... comment`).
    #[serde(default)]
    #[schemars(inner(pattern(super::schema::PUBLIC_KEY_PATTERN)))]
    pub keys: Vec<String>,
    /// Accept an e-mail with non-ASCII characters for this person (refused otherwise: such
    /// addresses can look like someone else's).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_unicode_email: bool,
}

/// A team and the dev accounts it may use (the seeds' DevAccountAccess).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Team {
    pub name: String,
    #[serde(default)]
    pub dev_accounts: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// mappings/<devAccountId>.yaml

/// `mappings/<devAccountId>.yaml`: admin-seeded connection mappings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConnectionMappings {
    pub api_version: ApiVersion,
    pub kind: Kind,
    /// Increases with every change; only a greater serial replaces the accepted mappings of
    /// the dev account.
    pub serial: u64,
    #[schemars(pattern(super::schema::NOT_BLANK))]
    pub dev_account_id: String,
    pub mappings: Vec<ConnectionMapping>,
}

/// One dev connection id → production (`#Connections`) id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConnectionMapping {
    #[schemars(pattern(super::schema::NOT_BLANK), length(max = super::validate::MAX_GUID))]
    pub dev_component_id: String,
    #[schemars(pattern(super::schema::NOT_BLANK), length(max = super::validate::MAX_GUID))]
    pub prod_component_id: String,
    #[schemars(length(max = super::validate::MAX_COMPONENT_NAME))]
    pub name: String,
}

// ---------------------------------------------------------------------------------------------
// promotions/<id>/request.yaml

/// Where a promotion goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Target {
    Test,
    Production,
}

impl Target {
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Test => "TEST",
            Target::Production => "PRODUCTION",
        }
    }

    /// The environment classification a target deploys to.
    pub fn classification(self) -> Classification {
        match self {
            Target::Test => Classification::Test,
            Target::Production => Classification::Prod,
        }
    }
}

/// `promotions/<id>/request.yaml`, signed by its initiator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PromotionRequest {
    pub api_version: ApiVersion,
    pub kind: Kind,
    /// Equals the directory name; `[a-z0-9][a-z0-9-]{2,63}`.
    #[schemars(pattern(super::schema::PROMOTION_ID_PATTERN))]
    pub id: String,
    #[schemars(pattern(super::schema::EMAIL_PATTERN), length(max = super::schema::MAX_EMAIL))]
    pub initiated_by: String,
    #[schemars(pattern(super::schema::NOT_BLANK))]
    pub dev_account_id: String,
    #[schemars(pattern(super::schema::NOT_BLANK))]
    pub process_name: String,
    /// The root process; or give `devPackageId`.
    #[serde(default)]
    pub root_component_id: Option<String>,
    #[serde(default)]
    pub dev_package_id: Option<String>,
    /// Optional pin of the components to promote.
    #[serde(default)]
    pub components: Option<Vec<ComponentPin>>,
    pub target: Target,
    /// PRODUCTION from a TEST promotion (its id).
    #[serde(default)]
    #[schemars(pattern(super::schema::PROMOTION_ID_PATTERN))]
    pub from_test: Option<String>,
    /// PRODUCTION hotfix; exclusive with `fromTest`.
    #[serde(default)]
    pub hotfix: Option<Hotfix>,
    #[schemars(pattern(super::schema::NOT_BLANK), length(max = super::validate::MAX_PACKAGE_VERSION))]
    pub package_version: String,
    #[serde(default)]
    pub integration_pack: Option<PackChoice>,
    /// Environment ids; default: every environment of the target's classification.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub environments: Option<Vec<String>>,
    /// Deployment notes (≤ 500 characters).
    #[serde(default)]
    #[schemars(length(max = super::validate::MAX_COMMENTS))]
    pub notes: Option<String>,
}

impl PromotionRequest {
    pub fn is_hotfix(&self) -> bool {
        self.hotfix.is_some()
    }

    /// The deployment mode the request asks for (DESIGN.md §3).
    pub fn mode(&self) -> Mode {
        match (self.target, &self.from_test, &self.hotfix) {
            (Target::Test, _, _) => Mode::Test,
            (Target::Production, Some(_), _) => Mode::ProductionFromTest,
            (Target::Production, None, _) => Mode::Hotfix,
        }
    }
}

/// The three deployment modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Mode {
    Test,
    ProductionFromTest,
    Hotfix,
}

/// A component pinned in a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ComponentPin {
    pub component_id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, rename = "type")]
    pub component_type: Option<String>,
    #[serde(default)]
    pub folder_full_path: Option<String>,
}

/// Hotfix details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Hotfix {
    /// Why production cannot wait for a test cycle (required, ≤ 1000 characters).
    #[serde(default)]
    #[schemars(required, pattern(super::schema::NOT_BLANK), length(max = super::validate::MAX_JUSTIFICATION))]
    pub justification: String,
}

/// An integration pack: an existing id, or a new pack by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PackChoice {
    #[serde(default)]
    #[schemars(pattern(super::schema::NOT_BLANK))]
    pub id: Option<String>,
    #[serde(default)]
    #[schemars(pattern(super::schema::NOT_BLANK), length(max = super::validate::MAX_PACK_NAME))]
    pub new_name: Option<String>,
    #[serde(default)]
    #[schemars(length(max = super::validate::MAX_PACK_DESCRIPTION))]
    pub description: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// reviews and exits

/// A peer's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PeerDecision {
    Approved,
    Rejected,
}

/// An admin's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AdminDecision {
    Approved,
    Denied,
}

/// `promotions/<id>/peer-review.yaml`, signed by the reviewer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PeerReview {
    pub api_version: ApiVersion,
    pub kind: Kind,
    #[schemars(pattern(super::schema::PROMOTION_ID_PATTERN))]
    pub promotion: String,
    /// `sha256:<hex>` of the exact bytes of `request.yaml`.
    #[schemars(pattern(super::schema::DIGEST_PATTERN))]
    pub request_digest: String,
    pub decision: PeerDecision,
    #[schemars(pattern(super::schema::EMAIL_PATTERN), length(max = super::schema::MAX_EMAIL))]
    pub reviewer: String,
    /// ≤ 500 characters; required for REJECTED.
    #[serde(default)]
    #[schemars(length(max = super::validate::MAX_COMMENTS))]
    pub comments: Option<String>,
}

/// `promotions/<id>/admin-review.yaml`, signed by an admin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdminReview {
    pub api_version: ApiVersion,
    pub kind: Kind,
    #[schemars(pattern(super::schema::PROMOTION_ID_PATTERN))]
    pub promotion: String,
    #[schemars(pattern(super::schema::DIGEST_PATTERN))]
    pub request_digest: String,
    /// `sha256:<hex>` of the exact bytes of `peer-review.yaml`.
    #[schemars(pattern(super::schema::DIGEST_PATTERN))]
    pub peer_review_digest: String,
    pub decision: AdminDecision,
    #[schemars(pattern(super::schema::EMAIL_PATTERN), length(max = super::schema::MAX_EMAIL))]
    pub admin: String,
    /// Required `true` when the request is a hotfix.
    #[serde(default)]
    pub acknowledge_hotfix: bool,
    /// Required `true` to ship a package version lower than the one production runs.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub acknowledge_downgrade: bool,
    #[serde(default)]
    pub integration_pack: Option<PackChoice>,
    #[serde(default)]
    pub environments: Option<Vec<String>>,
    /// ≤ 500 characters; required for DENIED.
    #[serde(default)]
    #[schemars(length(max = super::validate::MAX_COMMENTS))]
    pub comments: Option<String>,
}

/// `promotions/<id>/pack-assignment.yaml`, signed by an admin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PackAssignment {
    pub api_version: ApiVersion,
    pub kind: Kind,
    #[schemars(pattern(super::schema::PROMOTION_ID_PATTERN))]
    pub promotion: String,
    #[schemars(pattern(super::schema::DIGEST_PATTERN))]
    pub request_digest: String,
    #[schemars(pattern(super::schema::EMAIL_PATTERN), length(max = super::schema::MAX_EMAIL))]
    pub admin: String,
    pub integration_pack: PackChoice,
}

/// `promotions/<id>/withdrawal.yaml`, signed by the initiator or an admin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Withdrawal {
    pub api_version: ApiVersion,
    pub kind: Kind,
    #[schemars(pattern(super::schema::PROMOTION_ID_PATTERN))]
    pub promotion: String,
    #[schemars(pattern(super::schema::DIGEST_PATTERN))]
    pub request_digest: String,
    #[schemars(pattern(super::schema::EMAIL_PATTERN), length(max = super::schema::MAX_EMAIL))]
    pub by: String,
    /// ≤ 500 characters.
    #[serde(default)]
    #[schemars(length(max = super::validate::MAX_COMMENTS))]
    pub reason: Option<String>,
}

/// `promotions/<id>/cancel-test.yaml`, signed by the initiator or an admin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CancelTest {
    pub api_version: ApiVersion,
    pub kind: Kind,
    #[schemars(pattern(super::schema::PROMOTION_ID_PATTERN))]
    pub promotion: String,
    #[schemars(pattern(super::schema::DIGEST_PATTERN))]
    pub request_digest: String,
    #[schemars(pattern(super::schema::EMAIL_PATTERN), length(max = super::schema::MAX_EMAIL))]
    pub by: String,
    #[serde(default)]
    #[schemars(length(max = super::validate::MAX_COMMENTS))]
    pub reason: Option<String>,
}

/// Any parsed document.
#[derive(Debug, Clone, PartialEq)]
pub enum Document {
    Settings(Settings),
    AccessPolicy(AccessPolicy),
    ConnectionMappings(ConnectionMappings),
    PromotionRequest(PromotionRequest),
    PeerReview(PeerReview),
    AdminReview(AdminReview),
    PackAssignment(PackAssignment),
    Withdrawal(Withdrawal),
    CancelTest(CancelTest),
}

impl Document {
    pub fn kind(&self) -> Kind {
        match self {
            Document::Settings(_) => Kind::Settings,
            Document::AccessPolicy(_) => Kind::AccessPolicy,
            Document::ConnectionMappings(_) => Kind::ConnectionMappings,
            Document::PromotionRequest(_) => Kind::PromotionRequest,
            Document::PeerReview(_) => Kind::PeerReview,
            Document::AdminReview(_) => Kind::AdminReview,
            Document::PackAssignment(_) => Kind::PackAssignment,
            Document::Withdrawal(_) => Kind::Withdrawal,
            Document::CancelTest(_) => Kind::CancelTest,
        }
    }

    /// The identity the document claims (the one that must have signed it), if any.
    pub fn claimed_identity(&self) -> Option<&str> {
        match self {
            Document::Settings(_) | Document::AccessPolicy(_) | Document::ConnectionMappings(_) => {
                None
            }
            Document::PromotionRequest(d) => Some(&d.initiated_by),
            Document::PeerReview(d) => Some(&d.reviewer),
            Document::AdminReview(d) => Some(&d.admin),
            Document::PackAssignment(d) => Some(&d.admin),
            Document::Withdrawal(d) => Some(&d.by),
            Document::CancelTest(d) => Some(&d.by),
        }
    }

    /// The promotion a promotion-scoped document belongs to.
    pub fn promotion(&self) -> Option<&str> {
        match self {
            Document::Settings(_) | Document::AccessPolicy(_) | Document::ConnectionMappings(_) => {
                None
            }
            Document::PromotionRequest(d) => Some(&d.id),
            Document::PeerReview(d) => Some(&d.promotion),
            Document::AdminReview(d) => Some(&d.promotion),
            Document::PackAssignment(d) => Some(&d.promotion),
            Document::Withdrawal(d) => Some(&d.promotion),
            Document::CancelTest(d) => Some(&d.promotion),
        }
    }

    /// The `requestDigest` a promotion-scoped document (other than the request) carries.
    pub fn request_digest(&self) -> Option<&str> {
        match self {
            Document::PeerReview(d) => Some(&d.request_digest),
            Document::AdminReview(d) => Some(&d.request_digest),
            Document::PackAssignment(d) => Some(&d.request_digest),
            Document::Withdrawal(d) => Some(&d.request_digest),
            Document::CancelTest(d) => Some(&d.request_digest),
            Document::Settings(_)
            | Document::AccessPolicy(_)
            | Document::ConnectionMappings(_)
            | Document::PromotionRequest(_) => None,
        }
    }
}
