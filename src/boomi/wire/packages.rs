//! Packages and what follows them: `PackagedComponent`, publisher integration packs and
//! their components, release requests and their status, `DeployedPackage`.

use super::*;
use crate::boomi::lenient as l;
use serde::{Deserialize, Serialize};

/// `PackagedComponent` (XML child elements).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackagedComponent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "l::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub package_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "l::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub component_version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(
        default,
        deserialize_with = "l::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub shareable: Option<bool>,
    /// Package from this branch (request); the branch it came from (reply).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(
        default,
        deserialize_with = "l::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub deleted: Option<bool>,
    #[serde(
        default,
        deserialize_with = "l::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub fully_publicly_consumable: Option<bool>,
}

/// One component of a publisher pack (`PublisherPackagedComponent`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublisherPackagedComponent {
    /// The primary component id (not a package id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_type: Option<String>,
    #[serde(
        default,
        deserialize_with = "l::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub current_version: Option<String>,
    #[serde(
        default,
        deserialize_with = "l::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub pending_version: Option<String>,
    #[serde(
        default,
        deserialize_with = "l::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub latest_version: Option<String>,
    #[serde(
        default,
        deserialize_with = "l::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub deleted: Option<bool>,
}

/// `PublisherPackagedComponents` wrapper.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublisherPackagedComponents {
    #[serde(
        rename = "PublisherPackagedComponent",
        default,
        deserialize_with = "l::list"
    )]
    pub publisher_packaged_component: Vec<PublisherPackagedComponent>,
}

/// `PublisherIntegrationPack`: an integration pack this (primary) account publishes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublisherIntegrationPack {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(
        rename = "installationType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub installation_type: Option<InstallationType>,
    /// Update only (`ADD` / `DELETE`).
    #[serde(
        rename = "operationType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub operation_type: Option<OperationType>,
    /// Capital `D`; required by the schema, so always written.
    #[serde(rename = "Description", default, deserialize_with = "l::string")]
    pub description: String,
    #[serde(
        rename = "PublisherPackagedComponents",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub publisher_packaged_components: Option<PublisherPackagedComponents>,
}

impl PublisherIntegrationPack {
    /// The packaged components (empty when none are listed).
    pub fn components(&self) -> &[PublisherPackagedComponent] {
        self.publisher_packaged_components
            .as_ref()
            .map(|c| c.publisher_packaged_component.as_slice())
            .unwrap_or(&[])
    }
}

/// `ReleasePackagedComponent`: a component and the package version to release.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleasePackagedComponent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "l::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub version: Option<String>,
    #[serde(
        default,
        deserialize_with = "l::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub released_version: Option<String>,
}

/// `ReleasePackagedComponents` wrapper.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleasePackagedComponents {
    #[serde(
        rename = "ReleasePackagedComponent",
        default,
        deserialize_with = "l::list"
    )]
    pub release_packaged_component: Vec<ReleasePackagedComponent>,
}

/// `ReleaseIntegrationPack`: request (`id` = the pack id) and reply (`requestId`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseIntegrationPack {
    /// The integration pack id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installation_type: Option<InstallationType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_schedule: Option<ReleaseSchedule>,
    /// `yyyy-MM-dd`, for scheduled releases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_on_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_status_url: Option<String>,
    #[serde(
        rename = "ReleasePackagedComponents",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub release_packaged_components: Option<ReleasePackagedComponents>,
}

/// `ReleaseIntegrationPackStatus` (202 while running or scheduled, 200 when done).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseIntegrationPackStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration_pack_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installation_type: Option<InstallationType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_schedule: Option<ReleaseSchedule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_on_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_status: Option<ReleaseStatus>,
    /// Required by the schema: always written (0 when unknown).
    #[serde(default, deserialize_with = "l::i64_or_zero")]
    pub response_status_code: i64,
    #[serde(
        rename = "ReleasePackagedComponents",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub release_packaged_components: Option<ReleasePackagedComponents>,
}

/// `DeployedPackage` (XML child elements).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeployedPackage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "l::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "l::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub package_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "l::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub component_version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployed_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployed_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(
        default,
        deserialize_with = "l::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub active: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listener_status: Option<ListenerStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}
