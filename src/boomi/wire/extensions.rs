//! Environment extensions (connections, operations, trading partners, shared
//! communications, cross references, properties, PGP certificates, process properties) and
//! environment map extensions.

use crate::boomi::lenient as l;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `CustomProperties` → `PropertyPair[]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomProperties {
    #[serde(default, deserialize_with = "l::list")]
    pub properties: Vec<PropertyPair>,
}

/// `PropertyPair`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PropertyPair {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(
        default,
        deserialize_with = "l::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub encrypted: Option<bool>,
}

/// `CloudManagedSecretConfig`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudManagedSecretConfig {
    #[serde(
        default,
        deserialize_with = "l::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub uses_remote_secrets_manager: Option<bool>,
    /// `AWS` | `AZURE` | `GCP`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets_manager_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_reference: Option<String>,
}

/// `Field` of a connection/operation/... extension. A secret shows `usesEncryption=true`,
/// `encryptedValueSet` and never a `value`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Field {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(
        default,
        deserialize_with = "l::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub value: Option<String>,
    #[serde(
        default,
        deserialize_with = "l::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub use_default: Option<bool>,
    #[serde(
        default,
        deserialize_with = "l::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub uses_encryption: Option<bool>,
    #[serde(
        default,
        deserialize_with = "l::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub encrypted_value_set: Option<bool>,
    #[serde(
        default,
        deserialize_with = "l::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub component_override: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_properties: Option<CustomProperties>,
    #[serde(
        rename = "CloudManagedSecretConfig",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub cloud_managed_secret_config: Option<CloudManagedSecretConfig>,
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.id.as_deref().unwrap_or("?"))
    }
}

/// `Connection` extension (also the shape of `Operation`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "l::list")]
    pub field: Vec<Field>,
}

/// `Connections` wrapper.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connections {
    #[serde(default, deserialize_with = "l::list")]
    pub connection: Vec<Connection>,
}

/// `Operation` extension.
pub type Operation = Connection;

/// `Operations` wrapper.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operations {
    #[serde(default, deserialize_with = "l::list")]
    pub operation: Vec<Operation>,
}

/// `TradingPartnerCategory`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradingPartnerCategory {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "l::list")]
    pub field: Vec<Field>,
}

/// `TradingPartner`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradingPartner {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "l::list")]
    pub category: Vec<TradingPartnerCategory>,
}

/// `TradingPartners` wrapper.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TradingPartners {
    #[serde(default, deserialize_with = "l::list")]
    pub trading_partner: Vec<TradingPartner>,
}

/// `SharedCommunication`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedCommunication {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub communication_type: Option<String>,
    #[serde(default, deserialize_with = "l::list")]
    pub field: Vec<Field>,
}

/// `SharedCommunications` wrapper.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SharedCommunications {
    #[serde(default, deserialize_with = "l::list")]
    pub shared_communication: Vec<SharedCommunication>,
}

/// `CrossReferenceRow`: `ref1` … `ref20` (absent cells left out).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrossReferenceRow {
    #[serde(flatten)]
    pub cells: std::collections::BTreeMap<String, String>,
}

/// `CrossReferenceRows` wrapper.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrossReferenceRows {
    #[serde(default, deserialize_with = "l::list")]
    pub row: Vec<CrossReferenceRow>,
}

/// `CrossReference` table override (all rows are sent on update).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrossReference {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(
        rename = "overrideValues",
        default,
        deserialize_with = "l::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub override_values: Option<bool>,
    #[serde(rename = "CrossReferenceRows", default)]
    pub cross_reference_rows: CrossReferenceRows,
}

/// `CrossReferences` wrapper.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CrossReferences {
    #[serde(default, deserialize_with = "l::list")]
    pub cross_reference: Vec<CrossReference>,
}

/// `Property`: a dynamic process property (both fields required).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Property {
    #[serde(default, deserialize_with = "l::string")]
    pub name: String,
    #[serde(default, deserialize_with = "l::string")]
    pub value: String,
}

/// `Properties` wrapper.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Properties {
    #[serde(default, deserialize_with = "l::list")]
    pub property: Vec<Property>,
}

/// `PGPCertificate`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PGPCertificate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(
        default,
        deserialize_with = "l::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub use_default: Option<bool>,
}

/// `PGPCertificates` wrapper.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PGPCertificates {
    #[serde(rename = "PGPCertificate", default, deserialize_with = "l::list")]
    pub pgp_certificate: Vec<PGPCertificate>,
}

/// `ProcessPropertyValue`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessPropertyValue {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(
        default,
        deserialize_with = "l::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub value: Option<String>,
    #[serde(
        default,
        deserialize_with = "l::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub use_default: Option<bool>,
    #[serde(
        default,
        deserialize_with = "l::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub encrypted_value_set: Option<bool>,
    #[serde(
        default,
        deserialize_with = "l::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub uses_encryption: Option<bool>,
    #[serde(
        default,
        deserialize_with = "l::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub component_override: Option<bool>,
    #[serde(
        default,
        deserialize_with = "l::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub validate: Option<bool>,
}

/// `OverrideProcessProperty`: a process-property component and its values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverrideProcessProperty {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "ProcessPropertyValue", default, deserialize_with = "l::list")]
    pub process_property_value: Vec<ProcessPropertyValue>,
}

/// `OverrideProcessProperties` wrapper.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverrideProcessProperties {
    #[serde(rename = "ProcessProperty", default, deserialize_with = "l::list")]
    pub process_property: Vec<OverrideProcessProperty>,
}

/// `EnvironmentExtensions`. All eight sections are required by the schema and always written
/// (empty lists when there is nothing); `partial=true` on update changes only what is sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentExtensions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension_group_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "l::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub partial: Option<bool>,
    #[serde(default)]
    pub connections: Connections,
    #[serde(default)]
    pub operations: Operations,
    #[serde(default)]
    pub trading_partners: TradingPartners,
    #[serde(default)]
    pub shared_communications: SharedCommunications,
    #[serde(default)]
    pub cross_references: CrossReferences,
    #[serde(default)]
    pub properties: Properties,
    #[serde(rename = "PGPCertificates", default)]
    pub pgp_certificates: PGPCertificates,
    #[serde(default)]
    pub process_properties: OverrideProcessProperties,
}

/// `BrowseField`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrowseField {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// `MapExtensionBrowseData`: credentials needed to re-import a profile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapExtensionBrowseData {
    #[serde(
        rename = "connectionId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub connection_id: Option<String>,
    #[serde(rename = "BrowseField", default, deserialize_with = "l::list")]
    pub browse_field: Vec<BrowseField>,
}

/// `EnvironmentMapExtensionsSummary`: one extensible map of an environment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentMapExtensionsSummary {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension_group_id: Option<String>,
    /// Required by the schema: always written.
    #[serde(rename = "SourceFieldSet", default)]
    pub source_field_set: MapExtensionBrowseData,
    /// Required by the schema: always written.
    #[serde(rename = "DestinationFieldSet", default)]
    pub destination_field_set: MapExtensionBrowseData,
}

/// `EnvironmentMapExtension`. The `Map` subtree (`MapExtension`: browse settings, profiles,
/// profile extensions, extended functions and mappings) is kept as opaque JSON so a
/// GET-modify-POST round trip loses nothing; the update replaces the whole extended mapping set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentMapExtension {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension_group_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "Map", default, skip_serializing_if = "Option::is_none")]
    pub map: Option<Value>,
}
