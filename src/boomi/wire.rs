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

use super::lenient as l;
use serde::de::{self, Deserializer};
use serde::ser::{SerializeMap, Serializer};
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

// ---------------------------------------------------------------------------------------------
// Enums (OpenAPI enums, spelled as on the wire)

wire_enum!(
    /// `Branch.stage`.
    BranchStage { Creating = "CREATING", Normal = "NORMAL", Deleting = "DELETING" }
);
wire_enum!(
    /// `MergeRequest.stage` / `previousStage`.
    MergeStage {
        NotExist = "NOT_EXIST",
        Drafting = "DRAFTING",
        FailedToDraft = "FAILED_TO_DRAFT",
        FailedToRedraft = "FAILED_TO_REDRAFT",
        Drafted = "DRAFTED",
        Reviewing = "REVIEWING",
        Merging = "MERGING",
        Merged = "MERGED",
        FailedToMerge = "FAILED_TO_MERGE",
        Deleted = "DELETED",
        Redrafting = "REDRAFTING",
        Reverted = "REVERTED",
    }
);
wire_enum!(
    /// `MergeRequest.strategy`.
    MergeStrategy { Override = "OVERRIDE", ConflictResolve = "CONFLICT_RESOLVE", Subset = "SUBSET" }
);
wire_enum!(
    /// `MergeRequest.priorityBranch` — an enum, not a branch id.
    PriorityBranch { Source = "SOURCE", Destination = "DESTINATION" }
);
wire_enum!(
    /// `MergeRequest.mergeRequestAction`.
    MergeRequestAction { Update = "UPDATE", Merge = "MERGE", RetryDrafting = "RETRY_DRAFTING", Revert = "REVERT" }
);
wire_enum!(
    /// `MergeRequestDetail.changeType`.
    ChangeType { Added = "ADDED", Modified = "MODIFIED", Deleted = "DELETED" }
);
wire_enum!(
    /// `MergeRequestDetail.resolution`.
    Resolution { Override = "OVERRIDE", KeepDestination = "KEEP_DESTINATION" }
);
wire_enum!(
    /// `MergeRequestDetail.stage`.
    MergeDetailStage {
        Drafted = "DRAFTED",
        Reviewed = "REVIEWED",
        ConflictResolved = "CONFLICT_RESOLVED",
        Merged = "MERGED",
        Reverted = "REVERTED",
    }
);
wire_enum!(
    /// `installationType` of integration packs.
    InstallationType { Single = "SINGLE", Multi = "MULTI" }
);
wire_enum!(
    /// `PublisherIntegrationPack.operationType` (update only).
    OperationType { Add = "ADD", Delete = "DELETE" }
);
wire_enum!(
    /// `ReleaseIntegrationPack.releaseSchedule`.
    ReleaseSchedule { Immediately = "IMMEDIATELY", ReleaseOnSpecifiedDate = "RELEASE_ON_SPECIFIED_DATE" }
);
wire_enum!(
    /// `ReleaseIntegrationPackStatus.releaseStatus`.
    ReleaseStatus { InProgress = "IN_PROGRESS", Success = "SUCCESS", Scheduled = "SCHEDULED", Error = "ERROR" }
);
wire_enum!(
    /// `DeployedPackage.listenerStatus`.
    ListenerStatus { Running = "RUNNING", Paused = "PAUSED" }
);
wire_enum!(
    /// `Environment.classification` — `PROD`, not `PRODUCTION`.
    Classification { Prod = "PROD", Test = "TEST" }
);
wire_enum!(
    /// `Account.status`.
    AccountStatus {
        Trial = "trial",
        Active = "active",
        Suspended = "suspended",
        Deleted = "deleted",
        Unlimited = "unlimited",
    }
);
wire_enum!(
    /// `Account.supportLevel`.
    SupportLevel { Standard = "standard", Premier = "premier" }
);
wire_enum!(
    /// `References.type`.
    ReferenceType { Dependent = "DEPENDENT", Independent = "INDEPENDENT" }
);
wire_enum!(
    /// Simple-expression operators of every `*SimpleExpression` schema (plus `STARTS_WITH`
    /// and `NOT_LIKE`, which the API's query chapter documents).
    Operator {
        Equals = "EQUALS",
        NotEquals = "NOT_EQUALS",
        Like = "LIKE",
        NotLike = "NOT_LIKE",
        StartsWith = "STARTS_WITH",
        IsNull = "IS_NULL",
        IsNotNull = "IS_NOT_NULL",
        Between = "BETWEEN",
        GreaterThan = "GREATER_THAN",
        GreaterThanOrEqual = "GREATER_THAN_OR_EQUAL",
        LessThan = "LESS_THAN",
        LessThanOrEqual = "LESS_THAN_OR_EQUAL",
        Contains = "CONTAINS",
        NotContains = "NOT_CONTAINS",
    }
);
wire_enum!(
    /// Grouping-expression operators (lower case on the wire).
    GroupOperator { And = "and", Or = "or" }
);

// ---------------------------------------------------------------------------------------------
// Queries

/// A query expression: `*SimpleExpression` or `*GroupingExpression`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expression {
    Simple {
        operator: Operator,
        property: String,
        argument: Vec<String>,
    },
    Grouping {
        operator: GroupOperator,
        nested_expression: Vec<Expression>,
    },
}

impl Expression {
    /// `property EQUALS value`.
    pub fn eq(property: &str, value: impl Into<String>) -> Self {
        Expression::Simple {
            operator: Operator::Equals,
            property: property.to_string(),
            argument: vec![value.into()],
        }
    }

    /// `property IS_NOT_NULL` (the "everything" query).
    pub fn not_null(property: &str) -> Self {
        Expression::Simple {
            operator: Operator::IsNotNull,
            property: property.to_string(),
            argument: Vec::new(),
        }
    }

    /// Any operator with its arguments.
    pub fn simple(operator: Operator, property: &str, argument: Vec<String>) -> Self {
        Expression::Simple {
            operator,
            property: property.to_string(),
            argument,
        }
    }

    /// `and` of the given expressions; a single expression is returned as is.
    pub fn and(mut nested: Vec<Expression>) -> Self {
        if nested.len() == 1 {
            return nested.pop().expect("one");
        }
        Expression::Grouping {
            operator: GroupOperator::And,
            nested_expression: nested,
        }
    }

    /// `or` of the given expressions; a single expression is returned as is.
    pub fn or(mut nested: Vec<Expression>) -> Self {
        if nested.len() == 1 {
            return nested.pop().expect("one");
        }
        Expression::Grouping {
            operator: GroupOperator::Or,
            nested_expression: nested,
        }
    }
}

impl Serialize for Expression {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Expression::Simple {
                operator,
                property,
                argument,
            } => {
                let mut m = s.serialize_map(Some(3))?;
                m.serialize_entry("operator", operator)?;
                m.serialize_entry("property", property)?;
                m.serialize_entry("argument", argument)?;
                m.end()
            }
            Expression::Grouping {
                operator,
                nested_expression,
            } => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("operator", operator)?;
                m.serialize_entry("nestedExpression", nested_expression)?;
                m.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Expression {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            operator: String,
            #[serde(default)]
            property: Option<String>,
            #[serde(default, deserialize_with = "l::string_list")]
            argument: Vec<String>,
            #[serde(default, rename = "nestedExpression", deserialize_with = "l::list")]
            nested_expression: Vec<Expression>,
            #[serde(default, rename = "@type")]
            at_type: Option<String>,
        }
        let raw = Raw::deserialize(d)?;
        let grouping = raw.at_type.as_deref().map(|t| t.contains("Grouping"))
            == Some(true)
            || (raw.property.is_none()
                && matches!(raw.operator.to_ascii_lowercase().as_str(), "and" | "or"));
        if grouping {
            let operator = match raw.operator.to_ascii_lowercase().as_str() {
                "and" => GroupOperator::And,
                "or" => GroupOperator::Or,
                other => {
                    return Err(de::Error::custom(format!(
                        "unknown grouping operator {other:?}"
                    )))
                }
            };
            Ok(Expression::Grouping {
                operator,
                nested_expression: raw.nested_expression,
            })
        } else {
            let operator: Operator = raw.operator.parse().map_err(de::Error::custom)?;
            let property = raw
                .property
                .ok_or_else(|| de::Error::custom("simple expression without property"))?;
            Ok(Expression::Simple {
                operator,
                property,
                argument: raw.argument,
            })
        }
    }
}

/// `QueryFilter` of every `*QueryConfig`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryFilter {
    /// Absent only in lenient input (some clients post an empty filter to list everything).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<Expression>,
}

/// `*QueryConfig`: the body of `POST {Object}/query`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryConfig {
    #[serde(rename = "QueryFilter")]
    pub query_filter: QueryFilter,
}

impl QueryConfig {
    /// A query with this expression.
    pub fn new(expression: Expression) -> Self {
        QueryConfig {
            query_filter: QueryFilter {
                expression: Some(expression),
            },
        }
    }
}

/// `*QueryResponse` (`@type: QueryResult`). `queryToken` is present only when more pages remain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(
    serialize = "T: Serialize",
    deserialize = "T: serde::de::DeserializeOwned"
))]
pub struct QueryResult<T> {
    #[serde(
        rename = "numberOfResults",
        default,
        deserialize_with = "l::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub number_of_results: Option<i64>,
    #[serde(
        rename = "queryToken",
        default,
        deserialize_with = "l::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub query_token: Option<String>,
    #[serde(default, deserialize_with = "l::list")]
    pub result: Vec<T>,
}

impl<T> WireObject for QueryResult<T> {
    const TYPE: &'static str = "QueryResult";
}

// ---------------------------------------------------------------------------------------------
// Components

/// `ComponentMetadata` (all attributes in XML). A query returns one row per revision.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_id: Option<String>,
    #[serde(default, deserialize_with = "l::opt_i64", skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `type` (`process`, `connector-settings`, `transform.map`, ...).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub component_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_by: Option<String>,
    #[serde(default, deserialize_with = "l::opt_bool", skip_serializing_if = "Option::is_none")]
    pub deleted: Option<bool>,
    #[serde(default, deserialize_with = "l::opt_bool", skip_serializing_if = "Option::is_none")]
    pub current_version: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copied_from_component_id: Option<String>,
    #[serde(default, deserialize_with = "l::opt_i64", skip_serializing_if = "Option::is_none")]
    pub copied_from_component_version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch_id: Option<String>,
}

/// One reference (`References` schema): `parentComponentId` (the user) at `parentVersion`
/// uses `componentId`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct References {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_component_id: Option<String>,
    #[serde(default, deserialize_with = "l::opt_i64", skip_serializing_if = "Option::is_none")]
    pub parent_version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_id: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub reference_type: Option<ReferenceType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch_id: Option<String>,
}

/// `ComponentReference`: a list of [`References`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentReference {
    #[serde(default, deserialize_with = "l::list")]
    pub references: Vec<References>,
}

/// A component: the `bns:Component` XML document, kept byte for byte (gotcha 1). Only the root
/// element's attributes are read.
#[derive(Clone, PartialEq, Eq)]
pub struct Component {
    xml: String,
}

impl std::fmt::Debug for Component {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The body may hold connection secrets: show identity only.
        f.debug_struct("Component")
            .field("componentId", &self.component_id())
            .field("version", &self.version())
            .field("name", &self.name())
            .field("bytes", &self.xml.len())
            .finish()
    }
}

impl Component {
    /// Wrap a component document (a leading UTF-8 BOM is dropped).
    pub fn from_xml(xml: impl Into<String>) -> Self {
        let mut xml = xml.into();
        if xml.starts_with('\u{feff}') {
            xml.drain(..'\u{feff}'.len_utf8());
        }
        Component { xml }
    }

    /// The document, exactly as received.
    pub fn xml(&self) -> &str {
        &self.xml
    }

    /// Take the document.
    pub fn into_xml(self) -> String {
        self.xml
    }

    /// The value of a root-element attribute (unescaped), e.g. `componentId`.
    pub fn attr(&self, name: &str) -> Option<String> {
        root_attributes(&self.xml)
            .ok()?
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    pub fn component_id(&self) -> Option<String> {
        self.attr("componentId")
    }
    pub fn version(&self) -> Option<i64> {
        self.attr("version")?.trim().parse().ok()
    }
    pub fn name(&self) -> Option<String> {
        self.attr("name")
    }
    pub fn component_type(&self) -> Option<String> {
        self.attr("type")
    }
    pub fn branch_id(&self) -> Option<String> {
        self.attr("branchId")
    }
    pub fn folder_full_path(&self) -> Option<String> {
        self.attr("folderFullPath")
    }

    /// A copy with the root attribute `name` set to `value` (added after the existing ones, or
    /// replaced in place); every other byte of the document is unchanged.
    pub fn with_root_attr(&self, name: &str, value: &str) -> Result<Component, String> {
        set_root_attribute(&self.xml, name, value).map(|xml| Component { xml })
    }
}

/// The attributes of the root element of an XML document, unescaped, in document order.
pub fn root_attributes(xml: &str) -> Result<Vec<(String, String)>, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) | Event::Empty(e) => {
                let mut out = Vec::new();
                for a in e.attributes() {
                    let a = a.map_err(|e| e.to_string())?;
                    let key = String::from_utf8_lossy(a.key.as_ref().as_ref()).into_owned();
                    let val = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| e.to_string())?
                        .into_owned();
                    out.push((key, val));
                }
                return Ok(out);
            }
            Event::Eof => return Err("no root element".into()),
            _ => {}
        }
    }
}

fn escape_attr(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&apos;"),
            c => s.push(c),
        }
    }
    s
}

/// Set (replace or add) one attribute on the root element of `xml`, leaving every other byte
/// as it was.
pub fn set_root_attribute(xml: &str, name: &str, value: &str) -> Result<String, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    loop {
        let start = reader.buffer_position() as usize;
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(_) | Event::Empty(_) => {
                let end = reader.buffer_position() as usize;
                let tag = &xml[start..end];
                let escaped = escape_attr(value);
                // Find an existing attribute `name="..."`/`name='...'` outside quotes.
                let bytes = tag.as_bytes();
                let mut i = 0;
                let mut quote: Option<u8> = None;
                while i < bytes.len() {
                    let b = bytes[i];
                    match quote {
                        Some(q) if b == q => quote = None,
                        Some(_) => {}
                        None if b == b'"' || b == b'\'' => quote = Some(b),
                        None if b.is_ascii_whitespace() && tag[i + 1..].starts_with(name) => {
                            let after = &tag[i + 1 + name.len()..];
                            let trimmed = after.trim_start();
                            if let Some(rest) = trimmed.strip_prefix('=') {
                                let rest_t = rest.trim_start();
                                let q = rest_t.as_bytes().first().copied();
                                if let Some(q @ (b'"' | b'\'')) = q {
                                    let val_start = tag.len() - rest_t.len() + 1;
                                    let close = tag[val_start..]
                                        .find(q as char)
                                        .ok_or("unterminated attribute")?
                                        + val_start;
                                    let mut out = String::with_capacity(xml.len() + 16);
                                    out.push_str(&xml[..start + val_start]);
                                    out.push_str(&escaped);
                                    out.push_str(&xml[start + close..]);
                                    return Ok(out);
                                }
                            }
                        }
                        None => {}
                    }
                    i += 1;
                }
                // Not present: insert before `>` or `/>`.
                let insert_at = if tag.ends_with("/>") {
                    end - 2
                } else {
                    end - 1
                };
                let mut out = String::with_capacity(xml.len() + name.len() + escaped.len() + 4);
                out.push_str(&xml[..insert_at]);
                out.push_str(&format!(" {name}=\"{escaped}\""));
                out.push_str(&xml[insert_at..]);
                return Ok(out);
            }
            Event::Eof => return Err("no root element".into()),
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Branches and merges

/// `Branch` (XML attributes). The id field is `id`, never `branchId`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Branch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Id of the parent **branch**.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_id: Option<String>,
    #[serde(default, deserialize_with = "l::opt_bool", skip_serializing_if = "Option::is_none")]
    pub ready: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<BranchStage>,
    #[serde(default, deserialize_with = "l::opt_bool", skip_serializing_if = "Option::is_none")]
    pub deleted: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_date: Option<String>,
}

impl Branch {
    /// `ready=true` (and not still creating).
    pub fn is_ready(&self) -> bool {
        self.ready == Some(true) && self.stage != Some(BranchStage::Creating)
    }
}

/// One component of a merge (`MergeRequestDetail`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MergeRequestDetail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_guid: Option<String>,
    #[serde(default, deserialize_with = "l::opt_i64", skip_serializing_if = "Option::is_none")]
    pub source_revision: Option<i64>,
    #[serde(default, deserialize_with = "l::opt_i64", skip_serializing_if = "Option::is_none")]
    pub destination_revision: Option<i64>,
    #[serde(default, deserialize_with = "l::opt_i64", skip_serializing_if = "Option::is_none")]
    pub merge_revision: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_type: Option<ChangeType>,
    #[serde(default, deserialize_with = "l::opt_bool", skip_serializing_if = "Option::is_none")]
    pub conflict: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Resolution>,
    #[serde(default, deserialize_with = "l::opt_bool", skip_serializing_if = "Option::is_none")]
    pub excluded: Option<bool>,
    #[serde(default, deserialize_with = "l::opt_bool", skip_serializing_if = "Option::is_none")]
    pub locked_on_destination_branch: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<MergeDetailStage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_date: Option<String>,
}

/// `MergeRequestDetails` wrapper.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeRequestDetails {
    #[serde(rename = "MergeRequestDetail", default, deserialize_with = "l::list")]
    pub merge_request_detail: Vec<MergeRequestDetail>,
}

/// `MergeRequest` (XML attributes).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MergeRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_branch_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_branch_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_branch_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_branch_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<MergeStrategy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_branch: Option<PriorityBranch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<MergeStage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_stage: Option<MergeStage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge_request_action: Option<MergeRequestAction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked_date: Option<String>,
    #[serde(default, deserialize_with = "l::opt_i64", skip_serializing_if = "Option::is_none")]
    pub lock_nonce: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inactive_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_date: Option<String>,
    /// Required by the schema: always written (empty list when there are no details).
    #[serde(rename = "MergeRequestDetails", default)]
    pub merge_request_details: MergeRequestDetails,
}

// ---------------------------------------------------------------------------------------------
// Packages, packs, releases, deployments

/// `PackagedComponent` (XML child elements).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackagedComponent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_id: Option<String>,
    #[serde(default, deserialize_with = "l::opt_string", skip_serializing_if = "Option::is_none")]
    pub package_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_id: Option<String>,
    #[serde(default, deserialize_with = "l::opt_i64", skip_serializing_if = "Option::is_none")]
    pub component_version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, deserialize_with = "l::opt_bool", skip_serializing_if = "Option::is_none")]
    pub shareable: Option<bool>,
    /// Package from this branch (request); the branch it came from (reply).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, deserialize_with = "l::opt_bool", skip_serializing_if = "Option::is_none")]
    pub deleted: Option<bool>,
    #[serde(default, deserialize_with = "l::opt_bool", skip_serializing_if = "Option::is_none")]
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
    #[serde(default, deserialize_with = "l::opt_string", skip_serializing_if = "Option::is_none")]
    pub current_version: Option<String>,
    #[serde(default, deserialize_with = "l::opt_string", skip_serializing_if = "Option::is_none")]
    pub pending_version: Option<String>,
    #[serde(default, deserialize_with = "l::opt_string", skip_serializing_if = "Option::is_none")]
    pub latest_version: Option<String>,
    #[serde(default, deserialize_with = "l::opt_bool", skip_serializing_if = "Option::is_none")]
    pub deleted: Option<bool>,
}

/// `PublisherPackagedComponents` wrapper.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublisherPackagedComponents {
    #[serde(rename = "PublisherPackagedComponent", default, deserialize_with = "l::list")]
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
    #[serde(rename = "operationType", default, skip_serializing_if = "Option::is_none")]
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
    #[serde(default, deserialize_with = "l::opt_string", skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, deserialize_with = "l::opt_string", skip_serializing_if = "Option::is_none")]
    pub released_version: Option<String>,
}

/// `ReleasePackagedComponents` wrapper.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleasePackagedComponents {
    #[serde(rename = "ReleasePackagedComponent", default, deserialize_with = "l::list")]
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
    #[serde(default, deserialize_with = "l::opt_i64")]
    pub response_status_code: Option<i64>,
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
    #[serde(default, deserialize_with = "l::opt_i64", skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_id: Option<String>,
    #[serde(default, deserialize_with = "l::opt_string", skip_serializing_if = "Option::is_none")]
    pub package_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_id: Option<String>,
    #[serde(default, deserialize_with = "l::opt_i64", skip_serializing_if = "Option::is_none")]
    pub component_version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployed_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployed_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, deserialize_with = "l::opt_bool", skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listener_status: Option<ListenerStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Environments and accounts

/// `Environment`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Environment {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classification: Option<Classification>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_environment: Option<String>,
}

/// `License`: connections purchased and used.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct License {
    #[serde(default, deserialize_with = "l::opt_i64", skip_serializing_if = "Option::is_none")]
    pub purchased: Option<i64>,
    #[serde(default, deserialize_with = "l::opt_i64", skip_serializing_if = "Option::is_none")]
    pub used: Option<i64>,
}

/// `Licensing` per connector class.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Licensing {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard: Option<License>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standard_test: Option<License>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub small_business: Option<License>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub small_business_test: Option<License>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise: Option<License>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enterprise_test: Option<License>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trading_partner: Option<License>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trading_partner_test: Option<License>,
}

/// `Account`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<AccountStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_date: Option<String>,
    #[serde(default, deserialize_with = "l::opt_bool", skip_serializing_if = "Option::is_none")]
    pub support_access: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_level: Option<SupportLevel>,
    #[serde(default, deserialize_with = "l::opt_bool", skip_serializing_if = "Option::is_none")]
    pub suggestions_enabled: Option<bool>,
    #[serde(default, deserialize_with = "l::opt_bool", skip_serializing_if = "Option::is_none")]
    pub over_deployed: Option<bool>,
    #[serde(default, deserialize_with = "l::opt_bool", skip_serializing_if = "Option::is_none")]
    pub widget_account: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licensing: Option<Licensing>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub molecule: Option<License>,
}

// ---------------------------------------------------------------------------------------------
// Environment extensions

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
    #[serde(default, deserialize_with = "l::opt_bool", skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<bool>,
}

/// `CloudManagedSecretConfig`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudManagedSecretConfig {
    #[serde(default, deserialize_with = "l::opt_bool", skip_serializing_if = "Option::is_none")]
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
    #[serde(default, deserialize_with = "l::opt_string", skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, deserialize_with = "l::opt_bool", skip_serializing_if = "Option::is_none")]
    pub use_default: Option<bool>,
    #[serde(default, deserialize_with = "l::opt_bool", skip_serializing_if = "Option::is_none")]
    pub uses_encryption: Option<bool>,
    #[serde(default, deserialize_with = "l::opt_bool", skip_serializing_if = "Option::is_none")]
    pub encrypted_value_set: Option<bool>,
    #[serde(default, deserialize_with = "l::opt_bool", skip_serializing_if = "Option::is_none")]
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
    #[serde(default, deserialize_with = "l::opt_bool", skip_serializing_if = "Option::is_none")]
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
    #[serde(default, deserialize_with = "l::opt_string", skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, deserialize_with = "l::opt_bool", skip_serializing_if = "Option::is_none")]
    pub use_default: Option<bool>,
    #[serde(default, deserialize_with = "l::opt_bool", skip_serializing_if = "Option::is_none")]
    pub encrypted_value_set: Option<bool>,
    #[serde(default, deserialize_with = "l::opt_bool", skip_serializing_if = "Option::is_none")]
    pub uses_encryption: Option<bool>,
    #[serde(default, deserialize_with = "l::opt_bool", skip_serializing_if = "Option::is_none")]
    pub component_override: Option<bool>,
    #[serde(default, deserialize_with = "l::opt_bool", skip_serializing_if = "Option::is_none")]
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
    #[serde(default, deserialize_with = "l::opt_bool", skip_serializing_if = "Option::is_none")]
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
    #[serde(rename = "connectionId", default, skip_serializing_if = "Option::is_none")]
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
