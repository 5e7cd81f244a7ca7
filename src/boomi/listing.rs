//! Listings over the platform, shared by the CLI, the reconciler and the server: the dev
//! accounts a caller may see (action A0), a dev account's packages newest first (action A),
//! and the integration packs for a purpose (action J).

use super::wire::{Account, InstallationType, PublisherIntegrationPack};
use super::{BoomiError, PackageQuery, Platform};
use serde::Serialize;
use std::collections::BTreeMap;

/// A development account as `promoter accounts` shows it (action A0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DevAccount {
    pub account_id: String,
    pub account_name: String,
    pub status: Option<String>,
}

/// The primary's sub-accounts, limited to `allow` (account ids the caller may see, from the
/// access policy) when given, sorted by id. Deleted accounts are left out.
pub async fn dev_accounts(
    platform: &dyn Platform,
    allow: Option<&[String]>,
) -> Result<Vec<DevAccount>, BoomiError> {
    let accounts = platform.list_sub_accounts().await?;
    Ok(select_accounts(accounts, allow))
}

/// The pure part of [`dev_accounts`].
pub fn select_accounts(accounts: Vec<Account>, allow: Option<&[String]>) -> Vec<DevAccount> {
    let mut out: Vec<DevAccount> = accounts
        .into_iter()
        .filter(|a| a.status != Some(super::wire::AccountStatus::Deleted))
        .filter_map(|a| {
            let id = a.account_id?;
            if let Some(allow) = allow {
                if !allow.iter().any(|x| x == &id) {
                    return None;
                }
            }
            Some(DevAccount {
                account_name: a.name.unwrap_or_else(|| id.clone()),
                account_id: id,
                status: a.status.map(|s| s.to_string()),
            })
        })
        .collect();
    out.sort_by(|a, b| a.account_id.cmp(&b.account_id));
    out
}

/// A packaged component of a dev account (action A's row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DevPackage {
    pub package_id: String,
    pub package_version: String,
    pub component_id: String,
    pub component_name: Option<String>,
    pub component_type: Option<String>,
    pub component_version: Option<i64>,
    pub created_date: Option<String>,
    pub created_by: Option<String>,
    pub notes: Option<String>,
}

/// The packages of a dev account, newest first, with component names and types.
pub async fn dev_packages(
    platform: &dyn Platform,
    dev_account: &str,
) -> Result<Vec<DevPackage>, BoomiError> {
    let packages = platform
        .query_packaged_components(Some(dev_account), &PackageQuery::default())
        .await?;
    let mut names: BTreeMap<String, (Option<String>, Option<String>)> = BTreeMap::new();
    for p in &packages {
        let Some(id) = &p.component_id else { continue };
        if names.contains_key(id) {
            continue;
        }
        let entry = match platform
            .get_component_metadata(Some(dev_account), id, None)
            .await
        {
            Ok(m) => (m.name, m.component_type),
            // A package of a since-deleted component still lists, without a name.
            Err(e) if e.is_not_found() => (None, None),
            Err(e) => return Err(e),
        };
        names.insert(id.clone(), entry);
    }
    let mut out: Vec<DevPackage> = packages
        .into_iter()
        .filter(|p| p.deleted != Some(true))
        .map(|p| {
            let component_id = p.component_id.unwrap_or_default();
            let (name, kind) = names.get(&component_id).cloned().unwrap_or_default();
            DevPackage {
                package_id: p.package_id.unwrap_or_default(),
                package_version: p.package_version.unwrap_or_default(),
                component_name: name,
                component_type: kind.or(p.component_type),
                component_version: p.component_version,
                created_date: p.created_date,
                created_by: p.created_by,
                notes: p.notes,
                component_id,
            }
        })
        .collect();
    sort_newest_first(&mut out);
    Ok(out)
}

fn parse_date(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|d| d.with_timezone(&chrono::Utc))
}

/// Newest `createdDate` first (undated last); ties by package version, highest first.
pub fn sort_newest_first(packages: &mut [DevPackage]) {
    packages.sort_by(|a, b| {
        let da = a.created_date.as_deref().and_then(parse_date);
        let db = b.created_date.as_deref().and_then(parse_date);
        db.cmp(&da)
            .then_with(|| compare_versions(&b.package_version, &a.package_version))
            .then_with(|| a.package_id.cmp(&b.package_id))
    });
}

/// Compare dotted versions numerically where both parts are numbers (`1.10` > `1.9`).
pub fn compare_versions(a: &str, b: &str) -> std::cmp::Ordering {
    let mut ia = a.split(['.', '-']);
    let mut ib = b.split(['.', '-']);
    loop {
        match (ia.next(), ib.next()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, Some(_)) => return std::cmp::Ordering::Less,
            (Some(_), None) => return std::cmp::Ordering::Greater,
            (Some(x), Some(y)) => {
                let o = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(n), Ok(m)) => n.cmp(&m),
                    _ => x.cmp(y),
                };
                if o != std::cmp::Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

/// Which integration packs to list (action J): test packs end in ` - TEST`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum PackPurpose {
    Test,
    Production,
    #[default]
    All,
}

impl std::str::FromStr for PackPurpose {
    type Err = String;
    /// `TEST`, `PRODUCTION` or `ALL`, any case.
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_uppercase().as_str() {
            "TEST" => Ok(PackPurpose::Test),
            "PRODUCTION" => Ok(PackPurpose::Production),
            "ALL" => Ok(PackPurpose::All),
            other => Err(format!(
                "unknown pack purpose {other:?} (TEST, PRODUCTION or ALL)"
            )),
        }
    }
}

impl PackPurpose {
    /// Whether a pack of this name serves the purpose.
    pub fn matches(self, name: &str) -> bool {
        let test = name.ends_with(" - TEST");
        match self {
            PackPurpose::Test => test,
            PackPurpose::Production => !test,
            PackPurpose::All => true,
        }
    }
}

/// A publisher integration pack as `promoter packs` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PackSummary {
    pub pack_id: String,
    pub pack_name: String,
    pub pack_description: String,
    pub installation_type: Option<String>,
    /// Primary component ids in the pack.
    pub components: Vec<String>,
}

/// The MULTI-install publisher packs for a purpose, sorted by name.
pub async fn integration_packs(
    platform: &dyn Platform,
    purpose: PackPurpose,
) -> Result<Vec<PackSummary>, BoomiError> {
    let packs = platform.query_publisher_packs(None).await?;
    Ok(select_packs(packs, purpose))
}

/// The pure part of [`integration_packs`].
pub fn select_packs(
    packs: Vec<PublisherIntegrationPack>,
    purpose: PackPurpose,
) -> Vec<PackSummary> {
    let mut out: Vec<PackSummary> = packs
        .into_iter()
        .filter(|p| {
            p.installation_type.unwrap_or(InstallationType::Multi) == InstallationType::Multi
        })
        .filter(|p| purpose.matches(p.name.as_deref().unwrap_or("")))
        .map(|p| PackSummary {
            components: p
                .components()
                .iter()
                .filter(|c| c.deleted != Some(true))
                .filter_map(|c| c.component_id.clone())
                .collect(),
            pack_id: p.id.unwrap_or_default(),
            pack_name: p.name.unwrap_or_default(),
            pack_description: p.description,
            installation_type: p.installation_type.map(|t| t.to_string()),
        })
        .collect();
    out.sort_by(|a, b| {
        a.pack_name
            .cmp(&b.pack_name)
            .then(a.pack_id.cmp(&b.pack_id))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purposes_parse_in_any_case() {
        assert_eq!("test".parse::<PackPurpose>(), Ok(PackPurpose::Test));
        assert_eq!(
            "PRODUCTION".parse::<PackPurpose>(),
            Ok(PackPurpose::Production)
        );
        assert_eq!("All".parse::<PackPurpose>(), Ok(PackPurpose::All));
        assert!("HOTFIX".parse::<PackPurpose>().is_err());
    }
    use crate::boomi::wire::{
        AccountStatus, PublisherPackagedComponent, PublisherPackagedComponents,
    };

    fn pkg(id: &str, version: &str, date: Option<&str>) -> DevPackage {
        DevPackage {
            package_id: id.into(),
            package_version: version.into(),
            component_id: "c".into(),
            component_name: None,
            component_type: None,
            component_version: None,
            created_date: date.map(str::to_string),
            created_by: None,
            notes: None,
        }
    }

    #[test]
    fn packages_sort_newest_first() {
        let mut v = vec![
            pkg("a", "1.0", Some("2026-06-10T12:00:00Z")),
            pkg("b", "1.9", None),
            pkg("c", "1.1", Some("2026-10-01T08:00:00.000Z")),
            pkg("d", "1.10", None),
            pkg("e", "2.0", Some("2026-06-10T14:00:00+02:00")),
        ];
        sort_newest_first(&mut v);
        let ids: Vec<_> = v.iter().map(|p| p.package_id.as_str()).collect();
        // e is 12:00Z like a: same instant, higher version first.
        assert_eq!(ids, vec!["c", "e", "a", "d", "b"]);
    }

    #[test]
    fn versions_compare_numerically() {
        use std::cmp::Ordering::*;
        assert_eq!(compare_versions("1.10", "1.9"), Greater);
        assert_eq!(compare_versions("2.0", "2.0"), Equal);
        assert_eq!(compare_versions("2.0.1", "2.0"), Greater);
        assert_eq!(compare_versions("v2-beta", "v2-alpha"), Greater);
    }

    #[test]
    fn pack_purpose_filters_by_name_and_multi() {
        let pack = |name: &str, t: InstallationType, comps: &[&str]| PublisherIntegrationPack {
            id: Some(format!("id-{name}")),
            name: Some(name.into()),
            installation_type: Some(t),
            publisher_packaged_components: Some(PublisherPackagedComponents {
                publisher_packaged_component: comps
                    .iter()
                    .map(|c| PublisherPackagedComponent {
                        component_id: Some(c.to_string()),
                        ..Default::default()
                    })
                    .collect(),
            }),
            ..Default::default()
        };
        let packs = vec![
            pack("Orders - TEST", InstallationType::Multi, &["x"]),
            pack("Orders - PROD", InstallationType::Multi, &["x", "y"]),
            pack("Single", InstallationType::Single, &[]),
        ];
        let names = |p: PackPurpose| {
            select_packs(packs.clone(), p)
                .into_iter()
                .map(|s| s.pack_name)
                .collect::<Vec<_>>()
        };
        assert_eq!(names(PackPurpose::Test), vec!["Orders - TEST"]);
        assert_eq!(names(PackPurpose::Production), vec!["Orders - PROD"]);
        assert_eq!(
            names(PackPurpose::All),
            vec!["Orders - PROD", "Orders - TEST"]
        );
        assert_eq!(
            select_packs(packs, PackPurpose::Production)[0]
                .components
                .len(),
            2
        );
    }

    #[test]
    fn accounts_respect_the_allow_list() {
        let acct = |id: &str, status| Account {
            account_id: Some(id.into()),
            name: Some(format!("{id} name")),
            status: Some(status),
            ..Default::default()
        };
        let all = vec![
            acct("dev-b", AccountStatus::Active),
            acct("dev-a", AccountStatus::Active),
            acct("gone", AccountStatus::Deleted),
        ];
        let ids = |v: Vec<DevAccount>| v.into_iter().map(|a| a.account_id).collect::<Vec<_>>();
        assert_eq!(
            ids(select_accounts(all.clone(), None)),
            vec!["dev-a", "dev-b"]
        );
        let allow = vec!["dev-b".to_string(), "other".to_string()];
        assert_eq!(
            ids(select_accounts(all.clone(), Some(&allow))),
            vec!["dev-b"]
        );
        assert!(select_accounts(all, Some(&[])).is_empty());
    }
}
