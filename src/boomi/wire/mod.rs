//! Wire types of the Boomi Platform API, named and spelled exactly as the schemas of Boomi's
//! OpenAPI file (`reference/boomi-platform-openapi.json`).
//!
//! Shared by the client (`HttpPlatform`) and the emulator (`sim`). Decoding is lenient (booleans
//! and numbers sent as strings, one-item lists sent as a bare object, see [`super::lenient`]);
//! encoding is canonical (native JSON types, arrays, `None` fields left out). Objects that the
//! schema marks required *containers* (`MergeRequestDetails`, the eight extension sections,
//! `PublisherIntegrationPack.Description`) are always written, so replies validate against the
//! schema. Replies carry an `"@type"` discriminator: use [`to_typed_json`] to add it.
//!
//! Component bodies are XML only and never pass through these types except as [`Component`],
//! which keeps the document byte for byte and only reads the root attributes.
//!
//! This file holds what every wire type shares ([`WireObject`], the typed JSON helpers, the
//! `wire_enum!` macro), the error body and the registry of `@type` names; the types live in
//! one file per family and are re-exported here, so `crate::boomi::wire::X` is the path to use:
//!
//! | file | owns |
//! |---|---|
//! | `enums.rs` | the OpenAPI enums, spelled as on the wire |
//! | `query.rs` | query expressions, `*QueryConfig`, `QueryResult` |
//! | `components.rs` | component metadata, references, the `bns:Component` document |
//! | `branches.rs` | branches and merge requests |
//! | `packages.rs` | packaged components, publisher packs, releases, deployments |
//! | `accounts.rs` | environments and accounts |
//! | `extensions.rs` | environment extensions and map extensions |

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The Boomi API namespace (`bns:`).
pub const BNS: &str = "http://api.platform.boomi.com/";

/// A wire object that has a name in the OpenAPI file (the JSON `@type` discriminator and the
/// key of the `{"Branch": {...}}` wrapper some examples use).
pub trait WireObject {
    /// The schema name, e.g. `"Branch"`.
    const TYPE: &'static str;
}

/// Serialize `value` with `"@type": T::TYPE` as its first key (the reply form).
pub fn to_typed_json<T: WireObject + Serialize>(value: &T) -> Value {
    let inner = serde_json::to_value(value).expect("wire types serialise");
    let mut map = serde_json::Map::new();
    map.insert("@type".to_string(), Value::String(T::TYPE.to_string()));
    if let Value::Object(o) = inner {
        for (k, v) in o {
            if k != "@type" {
                map.insert(k, v);
            }
        }
    }
    Value::Object(map)
}

/// Decode a reply leniently: strips a `{"<Type>": {...}}` wrapper if present.
pub fn from_json_value<T: WireObject + serde::de::DeserializeOwned>(
    value: Value,
) -> Result<T, serde_json::Error> {
    let value = match value {
        Value::Object(mut o) if o.len() == 1 && o.get(T::TYPE).is_some_and(Value::is_object) => {
            o.remove(T::TYPE).expect("checked")
        }
        other => other,
    };
    serde_json::from_value(value)
}

macro_rules! wire_object {
    ($($t:ty => $name:literal),* $(,)?) => {
        $(impl WireObject for $t { const TYPE: &'static str = $name; })*
    };
}

macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $wire:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $wire)] $variant),*
        }
        impl $name {
            /// The wire spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),* }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($wire => Ok($name::$variant),)*
                    other => Err(format!("unknown {} {other:?}", stringify!($name))),
                }
            }
        }
    };
}

mod accounts;
mod branches;
mod components;
mod enums;
mod extensions;
mod packages;
mod query;

pub use accounts::*;
pub use branches::*;
pub use components::*;
pub use enums::*;
pub use extensions::*;
pub use packages::*;
pub use query::*;

/// The error body the emulator emits: `{"@type":"Error","message":"..."}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub message: String,
}

wire_object! {
    ComponentMetadata => "ComponentMetadata",
    ComponentReference => "ComponentReference",
    References => "references",
    Branch => "Branch",
    MergeRequest => "MergeRequest",
    PackagedComponent => "PackagedComponent",
    PublisherIntegrationPack => "PublisherIntegrationPack",
    ReleaseIntegrationPack => "ReleaseIntegrationPack",
    ReleaseIntegrationPackStatus => "ReleaseIntegrationPackStatus",
    DeployedPackage => "DeployedPackage",
    Environment => "Environment",
    Account => "Account",
    EnvironmentExtensions => "EnvironmentExtensions",
    EnvironmentMapExtensionsSummary => "EnvironmentMapExtensionsSummary",
    EnvironmentMapExtension => "EnvironmentMapExtension",
    QueryConfig => "QueryConfig",
    ErrorBody => "Error",
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn branch_decodes_lenient_and_encodes_canonical() {
        let b: Branch = from_json_value(json!({"Branch": {"@type":"Branch","id":"Qjox",
            "name":"main","ready":"true","stage":"NORMAL","deleted":"false"}}))
        .unwrap();
        assert_eq!(b.id.as_deref(), Some("Qjox"));
        assert!(b.is_ready());
        assert_eq!(b.deleted, Some(false));
        let out = to_typed_json(&b);
        assert_eq!(out["@type"], "Branch");
        assert_eq!(out["ready"], json!(true));
        assert!(out.get("parentId").is_none());
    }

    #[test]
    fn query_result_accepts_collapsed_list_and_missing_result() {
        let q: QueryResult<Branch> = serde_json::from_value(json!({"@type":"QueryResult",
            "numberOfResults":"1","result":{"id":"Qjox","name":"main"}}))
        .unwrap();
        assert_eq!(q.result.len(), 1);
        assert_eq!(q.number_of_results, Some(1));
        let empty: QueryResult<Branch> =
            serde_json::from_value(json!({"numberOfResults":0})).unwrap();
        assert!(empty.result.is_empty() && empty.query_token.is_none());
    }

    #[test]
    fn expressions_round_trip() {
        let q = QueryConfig::new(Expression::and(vec![
            Expression::eq("currentVersion", "true"),
            Expression::or(vec![
                Expression::eq("type", "process"),
                Expression::eq("type", "profile.json"),
            ]),
            Expression::not_null("componentId"),
        ]));
        let v = serde_json::to_value(&q).unwrap();
        assert_eq!(v["QueryFilter"]["expression"]["operator"], "and");
        assert_eq!(
            v["QueryFilter"]["expression"]["nestedExpression"][0],
            json!({"operator":"EQUALS","property":"currentVersion","argument":["true"]})
        );
        let back: QueryConfig = serde_json::from_value(v).unwrap();
        assert_eq!(back, q);
        // lenient: @type, boolean argument, collapsed nested list
        let lenient: QueryConfig = serde_json::from_value(json!({"QueryFilter":{"expression":{
            "@type":"GroupingExpression","operator":"and","nestedExpression":
            {"@type":"SimpleExpression","operator":"EQUALS","property":"deleted","argument":[false]}}}}))
        .unwrap();
        assert_eq!(
            lenient.query_filter.expression,
            Some(Expression::Grouping {
                operator: GroupOperator::And,
                nested_expression: vec![Expression::eq("deleted", "false")]
            })
        );
        assert!(serde_json::from_value::<QueryConfig>(
            json!({"QueryFilter":{"expression":{"operator":"WAT","property":"x"}}})
        )
        .is_err());
    }

    #[test]
    fn merge_request_always_carries_details() {
        let mr = MergeRequest {
            source_branch_id: Some("QjoyMDI2MDA".into()),
            destination_branch_id: Some("Qjox".into()),
            strategy: Some(MergeStrategy::Override),
            priority_branch: Some(PriorityBranch::Source),
            ..Default::default()
        };
        let v = serde_json::to_value(&mr).unwrap();
        assert_eq!(v["strategy"], "OVERRIDE");
        assert_eq!(v["priorityBranch"], "SOURCE");
        assert_eq!(v["MergeRequestDetails"], json!({"MergeRequestDetail": []}));
        let back: MergeRequest = serde_json::from_value(json!({"id":"TVI6NTUw","stage":"MERGING",
            "MergeRequestDetails":{"MergeRequestDetail":{"componentGuid":"c","sourceRevision":"4",
            "conflict":"false","changeType":"MODIFIED"}}}))
        .unwrap();
        assert_eq!(back.stage, Some(MergeStage::Merging));
        let d = &back.merge_request_details.merge_request_detail[0];
        assert_eq!(d.source_revision, Some(4));
        assert_eq!(d.conflict, Some(false));
    }

    #[test]
    fn extensions_write_all_sections() {
        let e = EnvironmentExtensions {
            id: Some("env-test-1".into()),
            environment_id: Some("env-test-1".into()),
            partial: Some(true),
            ..Default::default()
        };
        let v = serde_json::to_value(&e).unwrap();
        for k in [
            "connections",
            "operations",
            "tradingPartners",
            "sharedCommunications",
            "crossReferences",
            "properties",
            "PGPCertificates",
            "processProperties",
        ] {
            assert!(v.get(k).is_some(), "{k} missing");
        }
        let back: EnvironmentExtensions = serde_json::from_value(json!({"id":"x",
            "connections":{"connection":{"id":"c1","name":"DB","field":{"id":"password",
            "usesEncryption":"true","encryptedValueSet":"true"}}},
            "crossReferences":{"crossReference":[{"id":"x","CrossReferenceRows":{"row":
            [{"ref1":"a","ref2":"b"}]}}]}}))
        .unwrap();
        let f = &back.connections.connection[0].field[0];
        assert_eq!(f.uses_encryption, Some(true));
        assert!(f.value.is_none());
        assert_eq!(
            back.cross_references.cross_reference[0]
                .cross_reference_rows
                .row[0]
                .cells["ref2"],
            "b"
        );
    }

    #[test]
    fn pack_description_is_capitalised_and_always_written() {
        let p = PublisherIntegrationPack {
            name: Some("Orders - TEST".into()),
            installation_type: Some(InstallationType::Multi),
            ..Default::default()
        };
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["Description"], "");
        assert!(v.get("description").is_none());
    }

    #[test]
    fn component_root_attributes_and_byte_faithful_edit() {
        let xml = "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<bns:Component xmlns:bns=\"http://api.platform.boomi.com/\" componentId=\"abc\" version='3' name=\"A &amp; B\">\n  <bns:object><process xmlns=\"\" a=\"componentId\"/></bns:object>\n</bns:Component>";
        let c = Component::from_xml(xml);
        assert!(c.xml().starts_with("<?xml"));
        assert_eq!(c.component_id().as_deref(), Some("abc"));
        assert_eq!(c.version(), Some(3));
        assert_eq!(c.name().as_deref(), Some("A & B"));
        let with_branch = c.with_root_attr("branchId", "Qj&2").unwrap();
        assert!(with_branch
            .xml()
            .contains("name=\"A &amp; B\" branchId=\"Qj&amp;2\">"));
        assert_eq!(with_branch.branch_id().as_deref(), Some("Qj&2"));
        let replaced = with_branch.with_root_attr("version", "9").unwrap();
        assert!(replaced.xml().contains("version='9'"));
        // everything after the root start tag is untouched
        let tail = |s: &str| s[s.find("\n  <bns:object>").unwrap()..].to_string();
        assert_eq!(tail(replaced.xml()), tail(c.xml()));
        assert!(format!("{c:?}").contains("abc"));
        assert!(!format!("{c:?}").contains("process"));
    }
}
