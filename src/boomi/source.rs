//! The adapter between the Boomi client and dependency resolution: [`PlatformSource`]
//! implements [`deps::ComponentSource`] over any [`Platform`] (the real `HttpPlatform`, or the
//! emulator through it).
//!
//! - `component_xml` is `GET Component/{id}` in the dev account (`overrideAccount`), main branch;
//! - `child_references` is `ComponentReference/query` by parent id and version; Boomi answers
//!   400 for a component that references nothing, which is an empty list here;
//! - errors map to [`SourceError`]: "not found" → `NotFound`, credentials refused (401) or
//!   access denied (403) → `Fatal` (resolution stops), anything else → `Failed` (that one
//!   component is marked `ERROR` and the traversal goes on).

use super::wire::ReferenceType;
use super::{BoomiError, Platform};
use crate::deps::{self, ApiReference, DependencyType, SourceError};
use crate::model::ErrorCode;
use async_trait::async_trait;

/// [`deps::ComponentSource`] over a [`Platform`]: `PlatformSource(&platform)`.
#[derive(Clone, Copy)]
pub struct PlatformSource<'a>(pub &'a dyn Platform);

impl std::fmt::Debug for PlatformSource<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlatformSource")
    }
}

/// Map a Boomi failure of a read about `component_id` to a [`SourceError`].
pub fn source_error(component_id: &str, e: BoomiError) -> SourceError {
    if e.is_not_found() {
        return SourceError::NotFound {
            id: component_id.to_string(),
        };
    }
    let code = e.code();
    let fatal = matches!(
        e,
        BoomiError::AuthFailed { .. } | BoomiError::Credentials(_) | BoomiError::Config(_)
    ) || e.status() == Some(403)
        || matches!(code, ErrorCode::AuthFailed | ErrorCode::Unauthorized);
    let message = e.to_string();
    if fatal {
        SourceError::Fatal { code, message }
    } else {
        SourceError::Failed { code, message }
    }
}

#[async_trait]
impl deps::ComponentSource for PlatformSource<'_> {
    async fn component_xml(
        &self,
        dev_account: &str,
        component_id: &str,
    ) -> Result<String, SourceError> {
        self.0
            .get_component(Some(dev_account), component_id, None)
            .await
            .map(|c| c.into_xml())
            .map_err(|e| source_error(component_id, e))
    }

    async fn child_references(
        &self,
        dev_account: &str,
        parent_component_id: &str,
        parent_version: u32,
    ) -> Result<Vec<ApiReference>, SourceError> {
        let refs = match self
            .0
            .component_children(
                Some(dev_account),
                parent_component_id,
                i64::from(parent_version),
            )
            .await
        {
            Ok(r) => r,
            // Boomi answers 400 to a reference query that matches nothing (gotcha 4).
            Err(BoomiError::Http { status: 400, .. }) => Vec::new(),
            Err(e) => return Err(source_error(parent_component_id, e)),
        };
        let mut out: Vec<ApiReference> = Vec::new();
        for r in refs {
            let Some(child) = r.component_id.filter(|c| !c.trim().is_empty()) else {
                continue;
            };
            if child == parent_component_id {
                continue;
            }
            let dependency_type = match r.reference_type {
                Some(ReferenceType::Independent) => DependencyType::Independent,
                Some(ReferenceType::Dependent) | None => DependencyType::Dependent,
            };
            if out
                .iter()
                .any(|a| a.component_id == child && a.dependency_type == dependency_type)
            {
                continue;
            }
            out.push(ApiReference {
                parent_component_id: r
                    .parent_component_id
                    .unwrap_or_else(|| parent_component_id.to_string()),
                component_id: child,
                dependency_type,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boomi::Resource;

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
    fn error_mapping() {
        assert_eq!(
            source_error("c1", http(404, "Component/c1", "")),
            SourceError::NotFound { id: "c1".into() }
        );
        assert_eq!(
            source_error("c1", http(400, "Component/c1", "No such component c1")),
            SourceError::NotFound { id: "c1".into() }
        );
        let auth = BoomiError::AuthFailed {
            method: "GET".into(),
            path: "Component/c1".into(),
            message: "bad token".into(),
        };
        assert!(matches!(
            source_error("c1", auth),
            SourceError::Fatal {
                code: ErrorCode::AuthFailed,
                ..
            }
        ));
        assert!(matches!(
            source_error("c1", http(403, "Component/c1", "forbidden")),
            SourceError::Fatal {
                code: ErrorCode::Unauthorized,
                ..
            }
        ));
        assert!(matches!(
            source_error("c1", http(500, "Component/c1", "boom")),
            SourceError::Failed {
                code: ErrorCode::ApiError,
                ..
            }
        ));
        let transport = BoomiError::Transport {
            method: "GET".into(),
            path: "Component/c1".into(),
            attempts: 6,
            message: "connection refused".into(),
        };
        assert!(matches!(
            source_error("c1", transport),
            SourceError::Failed { .. }
        ));
    }
}
