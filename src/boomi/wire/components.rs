//! Components on the wire: `ComponentMetadata`, `ComponentReference` / `References`, and the
//! `bns:Component` XML document ([`Component`]), kept byte for byte, with root-attribute
//! reads and edits.

use super::*;
use crate::boomi::lenient as l;
use serde::{Deserialize, Serialize};

/// `ComponentMetadata` (all attributes in XML). A query returns one row per revision.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "l::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
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
    pub current_version: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copied_from_component_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "l::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
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
    #[serde(
        default,
        deserialize_with = "l::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
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
