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
            "EnvironmentExtensions" | "EnvironmentMapExtension" | "EnvironmentMapExtensionsSummary" => {
                Resource::Extension
            }
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
    #[error("Boomi rate limit: HTTP {status} on {method} {path} after {attempts} attempts: {message}")]
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
    MergeTimeout { id: String, stage: String, polls: u32 },
    /// A package with this component and version exists already.
    #[error("package version {package_version} of component {component_id} already exists: {message}")]
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

    /// Whether trying again later can succeed (transport, 5xx, 429, timeouts). 401 and other
    /// 4xx are permanent.
    pub fn is_transient(&self) -> bool {
        match self {
            BoomiError::Transport { .. }
            | BoomiError::RateLimited { .. }
            | BoomiError::BranchNotReady { .. }
            | BoomiError::MergeTimeout { .. } => true,
            BoomiError::Http { status, .. } => is_retryable_status(*status),
            _ => false,
        }
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
        matches!(self, BoomiError::Http { status, message, .. } if looks_not_found(*status, message))
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
        "does not exist",
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
        assert_eq!(
            http(401, "Branch/x", "bad").code(),
            ErrorCode::AuthFailed
        );
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

    #[test]
    fn not_found_detection() {
        assert!(http(404, "Branch/x", "").is_not_found());
        assert!(http(400, "Branch/x", "Branch does not exist").is_not_found());
        assert!(!http(400, "Branch/x", "limit reached").is_not_found());
        assert!(!http(500, "Branch/x", "not found").is_not_found());
    }
}
