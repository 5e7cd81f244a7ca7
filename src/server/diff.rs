//! The component diffs of a promotion (action G), shared by `promoter diff ID` and the
//! dashboard's side-by-side page: for each component the promotion promoted (a `SUCCESS`
//! `CREATED`/`UPDATED` item of `resultDetail` with a production id), the normalised XML on the
//! promotion's branch (`Component/{id}~{branchId}`) against main (`Component/{id}`; empty for a
//! create), with the §6.13 counts.

use crate::boomi::{BoomiError, Platform};
use crate::model::ErrorCode;
use crate::store::{ComponentAction, ComponentResult, ComponentStatus, PromotionRecord};
use crate::xml::{self, XmlError};
use serde::Serialize;

/// One component's diff (main on the left, the branch on the right).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentDiff {
    pub dev_component_id: String,
    pub prod_component_id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub component_type: String,
    /// `CREATE` or `UPDATE`.
    pub component_action: &'static str,
    /// 0 for a create.
    pub main_version: i64,
    pub branch_version: Option<i64>,
    pub identical: bool,
    pub stats: xml::DiffStats,
    pub unified: String,
    /// Side-by-side rows (`None` when the caller drops them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<Vec<xml::DiffRow>>,
}

/// Why a promotion cannot be diffed.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    /// The record has no branch any more (deleted on a terminal path).
    #[error("the branch of promotion {id} is gone (status {status}): there is nothing to diff")]
    NoBranch { id: String, status: String },
    /// The record names a branch Boomi no longer has.
    #[error("branch {branch_id} of promotion {id} is gone ({why} in Boomi)")]
    BranchGone {
        id: String,
        branch_id: String,
        why: &'static str,
    },
    /// No promoted component (matching the filter).
    #[error("{0}")]
    NothingToDiff(String),
    #[error("component {name} ({prod}) not found in {side}")]
    ComponentNotFound {
        name: String,
        prod: String,
        side: &'static str,
    },
    #[error("component {name} on {side}: {source}")]
    Xml {
        name: String,
        side: &'static str,
        source: XmlError,
    },
    #[error(transparent)]
    Boomi(#[from] BoomiError),
}

impl DiffError {
    /// The catalogue code.
    pub fn code(&self) -> ErrorCode {
        match self {
            DiffError::NoBranch { .. } | DiffError::BranchGone { .. } => {
                ErrorCode::InvalidPromotionStatus
            }
            DiffError::NothingToDiff(_) | DiffError::ComponentNotFound { .. } => {
                ErrorCode::ComponentNotFound
            }
            DiffError::Xml { .. } => ErrorCode::XmlParseError,
            DiffError::Boomi(e) => e.code(),
        }
    }
}

/// The components of `rec` that can be diffed, optionally only the one whose dev id,
/// production id or name (case-insensitive) is `component`.
pub fn promoted_components<'r>(
    rec: &'r PromotionRecord,
    component: Option<&str>,
) -> Vec<&'r ComponentResult> {
    rec.result_detail
        .iter()
        .filter(|c| {
            c.status == ComponentStatus::Success
                && matches!(
                    c.action,
                    ComponentAction::Created | ComponentAction::Updated
                )
                && c.prod_component_id.is_some()
        })
        .filter(|c| match component {
            None => true,
            Some(want) => {
                c.dev_component_id == want
                    || c.prod_component_id.as_deref() == Some(want)
                    || c.name.eq_ignore_ascii_case(want)
            }
        })
        .collect()
}

/// What [`promotion_diff`] would diff, decided from the record alone: its branch id and the
/// components. [`DiffError::NoBranch`] or [`DiffError::NothingToDiff`] otherwise.
pub fn check_diffable<'r>(
    rec: &'r PromotionRecord,
    component: Option<&str>,
) -> Result<(&'r str, Vec<&'r ComponentResult>), DiffError> {
    let id = &rec.promotion_id;
    let Some(branch_id) = rec.branch_id.as_deref().filter(|b| !b.is_empty()) else {
        return Err(DiffError::NoBranch {
            id: id.clone(),
            status: rec.status.to_string(),
        });
    };
    let selected = promoted_components(rec, component);
    if selected.is_empty() {
        return Err(DiffError::NothingToDiff(match component {
            Some(c) => format!("promotion {id} promoted no component matching {c:?}"),
            None => format!("promotion {id} has no promoted component yet"),
        }));
    }
    Ok((branch_id, selected))
}

/// Diff the promoted components of `rec` (in the primary account), branch against main.
pub async fn promotion_diff(
    platform: &dyn Platform,
    rec: &PromotionRecord,
    component: Option<&str>,
) -> Result<Vec<ComponentDiff>, DiffError> {
    let (branch_id, selected) = check_diffable(rec, component)?;
    let id = &rec.promotion_id;
    match platform.get_branch(None, branch_id).await {
        Ok(b) if b.deleted == Some(true) => {
            return Err(DiffError::BranchGone {
                id: id.clone(),
                branch_id: branch_id.to_string(),
                why: "deleted",
            })
        }
        Ok(_) => {}
        Err(e) if e.is_not_found() => {
            return Err(DiffError::BranchGone {
                id: id.clone(),
                branch_id: branch_id.to_string(),
                why: "not found",
            })
        }
        Err(e) => return Err(e.into()),
    }
    let branch_label = rec.branch_name.as_deref().unwrap_or(branch_id);
    let mut out = Vec::with_capacity(selected.len());
    for c in selected {
        let prod = c.prod_component_id.clone().unwrap_or_default();
        let not_found = |side: &'static str, e: BoomiError| {
            if e.is_not_found() {
                DiffError::ComponentNotFound {
                    name: c.name.clone(),
                    prod: prod.clone(),
                    side,
                }
            } else {
                DiffError::Boomi(e)
            }
        };
        let branch = platform
            .get_component(None, &prod, Some(branch_id))
            .await
            .map_err(|e| not_found("the branch", e))?;
        // What main holds decides: a component this promotion created is on main too once the
        // branch was merged (or when another promotion put it there); CREATE only when main
        // does not have it.
        let (create, main_xml, main_version) = match platform.get_component(None, &prod, None).await
        {
            Ok(m) => {
                let v = m.version().unwrap_or(0);
                (false, m.into_xml(), v)
            }
            Err(e) if e.is_not_found() && c.action == ComponentAction::Created => {
                (true, String::new(), 0)
            }
            Err(e) => return Err(not_found("main", e)),
        };
        let norm = |s: &str, side: &'static str| {
            xml::normalize(s).map_err(|e| DiffError::Xml {
                name: c.name.clone(),
                side,
                source: e,
            })
        };
        let left = norm(&main_xml, "main")?;
        let right = norm(branch.xml(), "the branch")?;
        let branch_version = branch.version();
        let d = xml::diff(
            &left,
            &right,
            &format!("main/{prod} (v{main_version})"),
            &format!("{branch_label}/{prod} (v{})", branch_version.unwrap_or(0)),
        );
        out.push(ComponentDiff {
            dev_component_id: c.dev_component_id.clone(),
            prod_component_id: prod.clone(),
            name: c.name.clone(),
            component_type: c.component_type.clone(),
            component_action: if create { "CREATE" } else { "UPDATE" },
            main_version,
            branch_version,
            identical: d.is_identical(),
            stats: d.stats,
            unified: d.unified,
            rows: Some(d.rows),
        });
    }
    Ok(out)
}

/// The review diff of a production promotion (DESIGN.md §3). After a TEST merge, branch and
/// main are equal, so for production from test each component's tested version (the main
/// version its TEST merge produced) is compared with the version of the last production
/// deployment that shipped it (from the promotion log), read as Boomi revisions
/// (`Component/{id}~{version}`); a component never deployed is a CREATE against an empty side.
/// A hotfix (or anything with its own branch) is branch against main.
pub async fn review_diff(
    platform: &dyn Platform,
    store: &crate::store::Store,
    rec: &PromotionRecord,
    component: Option<&str>,
) -> Result<Vec<ComponentDiff>, DiffError> {
    let Some(test_id) = rec.test_promotion_id.as_deref() else {
        return promotion_diff(platform, rec, component).await;
    };
    let store_err =
        |e: crate::store::StoreError| DiffError::Boomi(BoomiError::Config(e.to_string()));
    let test = store.get(test_id).map_err(store_err)?.ok_or_else(|| {
        DiffError::Boomi(BoomiError::Config(format!(
            "TEST promotion {test_id} is not in the store"
        )))
    })?;
    // Production deployments, newest first, with the versions each one shipped.
    let deployed = store
        .list(&crate::store::PromotionFilter {
            statuses: vec![crate::model::PromotionStatus::Deployed],
            target: Some(crate::model::Target::Production),
            ..Default::default()
        })
        .map_err(store_err)?;
    let mut shipped: Vec<Vec<crate::store::TestedVersion>> = Vec::new();
    for p in deployed
        .iter()
        .filter(|p| p.promotion_id != rec.promotion_id)
    {
        let versions = match &p.test_promotion_id {
            Some(t) => store
                .get(t)
                .map_err(store_err)?
                .map(|t| t.tested_versions)
                .unwrap_or_default(),
            None => p.tested_versions.clone(),
        };
        shipped.push(versions);
    }
    let mut out = Vec::new();
    for tv in &test.tested_versions {
        let dev = test
            .result_detail
            .iter()
            .find(|r| r.prod_component_id.as_deref() == Some(tv.component_id.as_str()));
        if let Some(c) = component {
            let matches = tv.component_id == c
                || tv.name == c
                || dev.is_some_and(|d| d.dev_component_id == c);
            if !matches {
                continue;
            }
        }
        let before = shipped.iter().find_map(|vs| {
            vs.iter()
                .find(|v| v.component_id == tv.component_id)
                .map(|v| v.version)
        });
        let read = |version: i64, side: &'static str| {
            let name = tv.name.clone();
            let prod = tv.component_id.clone();
            async move {
                let c = platform
                    .get_component_revision(None, &prod, version)
                    .await
                    .map_err(|e| {
                        if e.is_not_found() {
                            DiffError::ComponentNotFound {
                                name: name.clone(),
                                prod: prod.clone(),
                                side,
                            }
                        } else {
                            DiffError::Boomi(e)
                        }
                    })?;
                xml::normalize(c.xml()).map_err(|e| DiffError::Xml {
                    name,
                    side,
                    source: e,
                })
            }
        };
        let right = read(tv.version, "the tested version").await?;
        let left = match before {
            Some(v) => read(v, "the production version").await?,
            None => String::new(),
        };
        let d = xml::diff(
            &left,
            &right,
            &format!("production/{} (v{})", tv.component_id, before.unwrap_or(0)),
            &format!("tested/{} (v{})", tv.component_id, tv.version),
        );
        out.push(ComponentDiff {
            dev_component_id: dev.map(|d| d.dev_component_id.clone()).unwrap_or_default(),
            prod_component_id: tv.component_id.clone(),
            name: tv.name.clone(),
            component_type: dev.map(|d| d.component_type.clone()).unwrap_or_default(),
            component_action: if before.is_some() { "UPDATE" } else { "CREATE" },
            main_version: before.unwrap_or(0),
            branch_version: Some(tv.version),
            identical: d.is_identical(),
            stats: d.stats,
            unified: d.unified,
            rows: Some(d.rows),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PromotionStatus, Target};

    fn item(dev: &str, action: ComponentAction, status: ComponentStatus) -> ComponentResult {
        ComponentResult {
            dev_component_id: dev.into(),
            prod_component_id: Some(format!("p-{dev}")),
            name: format!("Name {dev}"),
            component_type: "process".into(),
            action,
            status,
            version: Some(1),
            config_stripped: false,
            error_message: None,
        }
    }

    #[test]
    fn only_successful_creates_and_updates_are_diffed() {
        let mut r = PromotionRecord::new(
            "p-1",
            "dev",
            "a@example.com",
            "P",
            Target::Test,
            PromotionStatus::Completed,
            chrono::Utc::now(),
        );
        r.result_detail = vec![
            item("a", ComponentAction::Created, ComponentStatus::Success),
            item("b", ComponentAction::Updated, ComponentStatus::Success),
            item("c", ComponentAction::Skipped, ComponentStatus::Skipped),
            item("d", ComponentAction::Failed, ComponentStatus::Failed),
        ];
        r.result_detail[1].prod_component_id = Some("prod-b".into());
        let ids = |v: Vec<&ComponentResult>| {
            v.iter()
                .map(|c| c.dev_component_id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(promoted_components(&r, None)), ["a", "b"]);
        assert_eq!(ids(promoted_components(&r, Some("prod-b"))), ["b"]);
        assert_eq!(ids(promoted_components(&r, Some("NAME A"))), ["a"]);
        assert!(promoted_components(&r, Some("c")).is_empty());
    }
}
