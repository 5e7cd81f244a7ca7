//! `BoomiError`: every failure of a Boomi call, with its catalogue code and whether a retry
//! can help. Messages carry Boomi's text and the HTTP status, never a credential.

use crate::model::ErrorCode;

/// The kind of object a path addresses (decides the "not found" code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Component,
    Account,
    Extension,
    Release,
    Branch,
    MergeRequest,
    Package,
    Pack,
    Deployment,
    Environment,
    Other,
}

impl Resource {
    /// From the first segment of an API path (`Component/...`, `Branch/query`, ...).
    pub fn of_path(path: &str) -> Resource {
        let first = path.trim_start_matches('/').split(['/', '?', '~']).next();
        match first.unwrap_or("") {
            "Component" | "ComponentMetadata" | "ComponentReference" => Resource::Component,
            "Account" => Resource::Account,
            "EnvironmentExtensions"
            | "EnvironmentMapExtension"
            | "EnvironmentMapExtensionsSummary" => Resource::Extension,
            "ReleaseIntegrationPack" | "ReleaseIntegrationPackStatus" => Resource::Release,
            "Branch" => Resource::Branch,
            "MergeRequest" => Resource::MergeRequest,
            "PackagedComponent" => Resource::Package,
            "PublisherIntegrationPack" => Resource::Pack,
            "DeployedPackage" => Resource::Deployment,
            "Environment" => Resource::Environment,
            _ => Resource::Other,
        }
    }
}

/// What a failure means for the caller, one class per [`BoomiError`] (see
/// [`BoomiError::class`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// Trying again later can succeed: no HTTP answer, 429 or 5xx (503 is Boomi's rate
    /// limit), a branch not ready yet, a merge still running.
    Transient,
    /// The credentials, or their rights, were refused (401, 403) or none are usable: no call
    /// succeeds until they change.
    Auth,
    /// The addressed object does not exist (404, 410, or 400 with a "no such" message).
    NotFound,
    /// The request clashes with the platform's current state (HTTP 409, the branch limit
    /// reached, a package version that exists already): repeating it cannot help until that
    /// state changes, or the existing object is adopted.
    Conflict,
    /// Anything else: the same request fails again (other 4xx, an undecodable reply, an
    /// unusable configuration, a merge that ended in a failure stage).
    Permanent,
}

/// A failed Boomi call.
#[derive(Debug, thiserror::Error)]
pub enum BoomiError {
    /// HTTP 401: the credentials were refused. Never retried.
    #[error("Boomi rejected the credentials (HTTP 401) on {method} {path}: {message}")]
    AuthFailed {
        method: String,
        path: String,
        message: String,
    },
    /// No usable credentials were configured.
    #[error("no usable Boomi credentials: {0}")]
    Credentials(String),
    /// Boomi answered an error status (after retries, for the retryable ones).
    #[error("Boomi answered HTTP {status} on {method} {path}: {message}")]
    Http {
        status: u16,
        method: String,
        path: String,
        message: String,
        resource: Resource,
    },
    /// Boomi kept answering 503/429 until the retries ran out.
    #[error(
        "Boomi rate limit: HTTP {status} on {method} {path} after {attempts} attempts: {message}"
    )]
    RateLimited {
        status: u16,
        method: String,
        path: String,
        attempts: u32,
        message: String,
    },
    /// The request never got an HTTP answer (connection refused or reset, timeout).
    #[error("transport error on {method} {path} after {attempts} attempts: {message}")]
    Transport {
        method: String,
        path: String,
        attempts: u32,
        message: String,
    },
    /// The reply could not be decoded.
    #[error("unexpected reply to {method} {path}: {message}")]
    Decode {
        method: String,
        path: String,
        message: String,
    },
    /// The client configuration is unusable (bad URL, unreadable file).
    #[error("invalid Boomi client configuration: {0}")]
    Config(String),
    /// The 20-branch ceiling of the account is reached.
    #[error("branch limit reached: {message}")]
    BranchLimitReached { message: String },
    /// A branch did not become ready in time.
    #[error("branch {branch_id} still not ready after {polls} polls")]
    BranchNotReady { branch_id: String, polls: u32 },
    /// A merge request ended in a failure stage.
    #[error("merge request {id} failed in stage {stage}")]
    MergeFailed { id: String, stage: String },
    /// A merge request did not finish in time.
    #[error("merge request {id} still in stage {stage} after {polls} polls")]
    MergeTimeout {
        id: String,
        stage: String,
        polls: u32,
    },
    /// A package with this component and version exists already.
    #[error(
        "package version {package_version} of component {component_id} already exists: {message}"
    )]
    DuplicatePackageVersion {
        component_id: String,
        package_version: String,
        message: String,
    },
}

impl BoomiError {
    /// The catalogue code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            BoomiError::AuthFailed { .. } | BoomiError::Credentials(_) => ErrorCode::AuthFailed,
            BoomiError::Http {
                status,
                resource,
                message,
                ..
            } => {
                if *status == 401 {
                    ErrorCode::AuthFailed
                } else if *status == 403 {
                    ErrorCode::Unauthorized
                } else if *status == 429 || *status == 503 {
                    ErrorCode::ApiRateLimit
                } else if looks_not_found(*status, message) {
                    match resource {
                        Resource::Component => ErrorCode::ComponentNotFound,
                        Resource::Account => ErrorCode::AccountNotFound,
                        Resource::Extension => ErrorCode::ExtensionNotFound,
                        Resource::Release => ErrorCode::ReleaseNotFound,
                        _ => ErrorCode::ApiError,
                    }
                } else {
                    ErrorCode::ApiError
                }
            }
            BoomiError::RateLimited { .. } => ErrorCode::ApiRateLimit,
            BoomiError::Transport { .. } | BoomiError::Decode { .. } => ErrorCode::ApiError,
            BoomiError::Config(_) => ErrorCode::InvalidRequest,
            BoomiError::BranchLimitReached { .. } => ErrorCode::BranchLimitReached,
            BoomiError::BranchNotReady { .. } => ErrorCode::BranchCreationTimeout,
            BoomiError::MergeFailed { .. } => ErrorCode::MergeFailed,
            BoomiError::MergeTimeout { .. } => ErrorCode::MergeTimeout,
            BoomiError::DuplicatePackageVersion { .. } => ErrorCode::DuplicatePackageVersion,
        }
    }

    /// The class of this failure: what the caller can do about it. Consistent with
    /// [`Self::is_transient`] (`Transient`), [`Self::is_not_found`] (`NotFound`) and
    /// [`Self::code`] (`Auth` is `AUTH_FAILED` or `UNAUTHORIZED`).
    pub fn class(&self) -> ErrorClass {
        match self {
            BoomiError::AuthFailed { .. } | BoomiError::Credentials(_) => ErrorClass::Auth,
            BoomiError::Http {
                status, message, ..
            } => {
                if *status == 401 || *status == 403 {
                    ErrorClass::Auth
                } else if is_retryable_status(*status) {
                    ErrorClass::Transient
                } else if looks_not_found(*status, message) {
                    ErrorClass::NotFound
                } else if *status == 409 {
                    ErrorClass::Conflict
                } else {
                    ErrorClass::Permanent
                }
            }
            BoomiError::RateLimited { .. }
            | BoomiError::Transport { .. }
            | BoomiError::BranchNotReady { .. }
            | BoomiError::MergeTimeout { .. } => ErrorClass::Transient,
            BoomiError::BranchLimitReached { .. } | BoomiError::DuplicatePackageVersion { .. } => {
                ErrorClass::Conflict
            }
            BoomiError::Decode { .. } | BoomiError::Config(_) | BoomiError::MergeFailed { .. } => {
                ErrorClass::Permanent
            }
        }
    }

    /// Whether trying again later can succeed (transport, 5xx, 429, timeouts). 401 and other
    /// 4xx are permanent.
    pub fn is_transient(&self) -> bool {
        self.class() == ErrorClass::Transient
    }

    /// The HTTP status Boomi answered, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            BoomiError::AuthFailed { .. } => Some(401),
            BoomiError::Http { status, .. } | BoomiError::RateLimited { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }

    /// Whether the addressed object does not exist (404, or 400 with a "no such" message —
    /// Boomi's status for unknown ids is undocumented, `boomi-api.md` §6 q1).
    pub fn is_not_found(&self) -> bool {
        self.class() == ErrorClass::NotFound
    }
}

/// 429, 5xx: worth retrying.
pub fn is_retryable_status(status: u16) -> bool {
    status == 429 || (500..=599).contains(&status)
}

fn looks_not_found(status: u16, message: &str) -> bool {
    if status == 404 || status == 410 {
        return true;
    }
    if status != 400 {
        return false;
    }
    let m = message.to_ascii_lowercase();
    [
        "not found",
        "no such",
        "not exist",
        "doesn't exist",
        "unknown id",
        "invalid id",
        "could not find",
    ]
    .iter()
    .any(|p| m.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(status: u16, path: &str, message: &str) -> BoomiError {
        BoomiError::Http {
            status,
            method: "GET".into(),
            path: path.into(),
            message: message.into(),
            resource: Resource::of_path(path),
        }
    }

    #[test]
    fn codes_by_status_and_resource() {
        assert_eq!(http(401, "Branch/x", "bad").code(), ErrorCode::AuthFailed);
        assert_eq!(
            http(404, "Component/abc~Qjox", "").code(),
            ErrorCode::ComponentNotFound
        );
        assert_eq!(
            http(400, "ComponentMetadata/abc", "No such component: abc").code(),
            ErrorCode::ComponentNotFound
        );
        assert_eq!(
            http(400, "Component/abc", "Component has no change").code(),
            ErrorCode::ApiError
        );
        assert_eq!(
            http(404, "Account/x", "").code(),
            ErrorCode::AccountNotFound
        );
        assert_eq!(
            http(404, "EnvironmentExtensions/x", "").code(),
            ErrorCode::ExtensionNotFound
        );
        assert_eq!(
            http(404, "ReleaseIntegrationPackStatus/release-1", "").code(),
            ErrorCode::ReleaseNotFound
        );
        assert_eq!(http(403, "Branch", "").code(), ErrorCode::Unauthorized);
        assert_eq!(http(500, "Branch", "").code(), ErrorCode::ApiError);
    }

    #[test]
    fn transience() {
        assert!(http(503, "Branch", "").is_transient());
        assert!(http(502, "Branch", "").is_transient());
        assert!(http(429, "Branch", "").is_transient());
        assert!(!http(400, "Branch", "").is_transient());
        assert!(!http(401, "Branch", "").is_transient());
        let auth = BoomiError::AuthFailed {
            method: "GET".into(),
            path: "Branch".into(),
            message: "".into(),
        };
        assert!(!auth.is_transient());
        assert_eq!(auth.code(), ErrorCode::AuthFailed);
        let rl = BoomiError::RateLimited {
            status: 503,
            method: "GET".into(),
            path: "Branch".into(),
            attempts: 6,
            message: "".into(),
        };
        assert!(rl.is_transient());
        assert_eq!(rl.code(), ErrorCode::ApiRateLimit);
    }

    /// One index per variant: a new variant does not compile here until it has one, and then
    /// the class table below fails until it has a row.
    fn variant(e: &BoomiError) -> usize {
        match e {
            BoomiError::AuthFailed { .. } => 0,
            BoomiError::Credentials(_) => 1,
            BoomiError::Http { .. } => 2,
            BoomiError::RateLimited { .. } => 3,
            BoomiError::Transport { .. } => 4,
            BoomiError::Decode { .. } => 5,
            BoomiError::Config(_) => 6,
            BoomiError::BranchLimitReached { .. } => 7,
            BoomiError::BranchNotReady { .. } => 8,
            BoomiError::MergeFailed { .. } => 9,
            BoomiError::MergeTimeout { .. } => 10,
            BoomiError::DuplicatePackageVersion { .. } => 11,
        }
    }
    const VARIANTS: usize = 12;

    #[test]
    fn classes_of_every_variant_and_status() {
        use ErrorClass::*;
        let s = |x: &str| x.to_string();
        let table: Vec<(BoomiError, ErrorClass)> = vec![
            (
                BoomiError::AuthFailed {
                    method: s("POST"),
                    path: s("Branch"),
                    message: s("bad token"),
                },
                Auth,
            ),
            (BoomiError::Credentials(s("BOOMI_TOKEN is empty")), Auth),
            (http(401, "Branch", "Unauthorized"), Auth),
            (http(403, "Branch", "Access is not authorized"), Auth),
            (http(404, "Component/abc~Qjox", ""), NotFound),
            (http(410, "Branch/x", ""), NotFound),
            (http(400, "Branch/x", "Branch x does not exist."), NotFound),
            (http(409, "MergeRequest", "conflict"), Conflict),
            (http(429, "Branch", ""), Transient),
            (http(500, "Branch", ""), Transient),
            (http(503, "Branch", ""), Transient),
            (
                http(400, "Component/abc", "Component has no change"),
                Permanent,
            ),
            (http(422, "Branch", ""), Permanent),
            (
                BoomiError::RateLimited {
                    status: 503,
                    method: s("GET"),
                    path: s("Branch"),
                    attempts: 6,
                    message: s(""),
                },
                Transient,
            ),
            (
                BoomiError::Transport {
                    method: s("GET"),
                    path: s("Branch"),
                    attempts: 6,
                    message: s("connection refused"),
                },
                Transient,
            ),
            (
                BoomiError::Decode {
                    method: s("GET"),
                    path: s("Branch/x"),
                    message: s("not JSON"),
                },
                Permanent,
            ),
            (BoomiError::Config(s("bad URL")), Permanent),
            (
                BoomiError::BranchLimitReached {
                    message: s("limit"),
                },
                Conflict,
            ),
            (
                BoomiError::BranchNotReady {
                    branch_id: s("Qjox"),
                    polls: 30,
                },
                Transient,
            ),
            (
                BoomiError::MergeFailed {
                    id: s("TVI6MQ"),
                    stage: s("FAILED_TO_MERGE"),
                },
                Permanent,
            ),
            (
                BoomiError::MergeTimeout {
                    id: s("TVI6MQ"),
                    stage: s("MERGING"),
                    polls: 12,
                },
                Transient,
            ),
            (
                BoomiError::DuplicatePackageVersion {
                    component_id: s("abc"),
                    package_version: s("1.0"),
                    message: s("already exists"),
                },
                Conflict,
            ),
        ];
        let mut seen = [false; VARIANTS];
        for (e, want) in &table {
            seen[variant(e)] = true;
            assert_eq!(e.class(), *want, "{e}");
            assert_eq!(e.is_transient(), *want == Transient, "{e}");
            assert_eq!(e.is_not_found(), *want == NotFound, "{e}");
            if *want == Auth {
                assert!(
                    matches!(e.code(), ErrorCode::AuthFailed | ErrorCode::Unauthorized),
                    "{e}"
                );
            }
        }
        assert!(seen.iter().all(|x| *x), "a variant has no row: {seen:?}");
    }

    #[test]
    fn not_found_detection() {
        assert!(http(404, "Branch/x", "").is_not_found());
        assert!(http(400, "Branch/x", "Branch does not exist").is_not_found());
        assert!(!http(400, "Branch/x", "limit reached").is_not_found());
        assert!(!http(500, "Branch/x", "not found").is_not_found());
    }
}
