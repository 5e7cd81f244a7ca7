//! Component XML engine: everything the promoter does to a Boomi component's XML, as pure
//! functions over `&str` built on one streaming tokenizer (quick-xml 0.42).
//!
//! | function | what it does |
//! |---|---|
//! | [`ComponentInfo::parse`] | id, name, type, folder, version, branch from the root `bns:Component` |
//! | [`references`] | the component ids the XML refers to (the reference attributes of `seed-behaviors.md` §6.2) |
//! | [`strip_env_config`] | blank environment configuration (§6.1 plus the hardening below) |
//! | [`rewrite_references`] | dev ids → production ids, whole ids only, one pass (§6.2) |
//! | [`to_production`] | the production copy's root element (create / update, `/Promoted` folder, branch) |
//! | [`promote`] | strip → rewrite → production root in one pass (what a promotion uses) |
//! | [`normalize`] | stable pretty form for diffs, attributes sorted (§6.3) |
//! | [`diff`] | unified and side-by-side diff of two normalised documents, with counts |
//!
//! # Byte fidelity
//!
//! `strip_env_config`, `rewrite_references` and `to_production` never re-serialise: they
//! tokenise the input, compute byte-range edits and splice them into the original text, so
//! everything outside the changed parts (declaration, comments, CDATA, attribute order and
//! quoting, whitespace, namespace prefixes) stays byte for byte. Boomi's `<bns:object>` body is
//! kept as it is.
//!
//! # Safety
//!
//! No DTD is ever processed: a `<!DOCTYPE …>` (and so any entity declaration) is refused with
//! [`XmlError::Doctype`], and a reference to any entity other than the five predefined ones or
//! a character reference is refused with [`XmlError::UndefinedEntity`]. Nothing is expanded and
//! nothing is fetched. Every error carries the byte position in the input. Every function also
//! checks well-formedness (one root, balanced tags, no text outside the root), so a component
//! that cannot be processed fails instead of passing on (fail closed).

mod diff;
mod normalize;
mod production;
mod promote;
mod rewrite;
mod scan;
mod strip;

pub use diff::{diff, diff_xml, DiffResult, DiffRow, DiffStats, RowKind};
pub use normalize::normalize;
pub use production::{promoted_folder_path, to_production, ProductionTarget};
pub use promote::{promote, PromoteOutcome};
pub use rewrite::{
    references, rewrite_references, Reference, RewriteOutcome, REFERENCE_ATTRIBUTES,
    REFERENCE_ELEMENTS, REFERENCE_FIELDS,
};
pub use strip::{
    is_stripped_type, strip_env_config, StripOutcome, NOT_SENSITIVE_ATTRIBUTES,
    SENSITIVE_ATTRIBUTES, SENSITIVE_ATTRIBUTE_PARTS, SENSITIVE_ELEMENTS, SENSITIVE_NAME_PARTS,
};

use crate::model::ErrorCode;
use scan::{attr_spans, Scanner};
use serde::Serialize;

/// The Boomi Platform API namespace (`bns:`).
pub const BNS_NAMESPACE: &str = "http://api.platform.boomi.com/";

/// Why component XML could not be processed. Every variant maps to
/// [`ErrorCode::XmlParseError`] and carries the byte offset in the input where it was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// The input is not well-formed XML.
    #[error("XML parse error at byte {position}: {message}")]
    Parse { position: usize, message: String },
    /// A `<!DOCTYPE …>` was found. DTDs (and therefore entity declarations) are refused.
    #[error(
        "DOCTYPE at byte {position} refused: component XML must not carry a DTD or entity declarations"
    )]
    Doctype { position: usize },
    /// An entity reference other than the five predefined ones or a character reference.
    #[error("undefined entity reference `&{name};` at byte {position} (no DTD is processed)")]
    UndefinedEntity { name: String, position: usize },
    /// The root element is not a `bns:Component` wrapper where one is required.
    #[error("not a Boomi component at byte {position}: root element is `{found}`, expected `bns:Component`")]
    NotAComponent { found: String, position: usize },
    /// A required attribute is missing on the component's root element.
    #[error("the component root element at byte {position} has no `{name}` attribute")]
    MissingAttribute { name: String, position: usize },
    /// A replacement value cannot be written where it has to go (e.g. `]]>` inside CDATA).
    #[error("cannot write `{value}` at byte {position}: {reason}")]
    Unrepresentable {
        value: String,
        position: usize,
        reason: String,
    },
}

impl XmlError {
    /// The catalogue code: always `XML_PARSE_ERROR`.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::XmlParseError
    }

    /// Byte offset in the input where the problem was found.
    pub fn position(&self) -> usize {
        match self {
            XmlError::Parse { position, .. }
            | XmlError::Doctype { position }
            | XmlError::UndefinedEntity { position, .. }
            | XmlError::NotAComponent { position, .. }
            | XmlError::MissingAttribute { position, .. }
            | XmlError::Unrepresentable { position, .. } => *position,
        }
    }
}

/// What the root `bns:Component` element says about a component.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentInfo {
    /// `componentId` (absent on a create request).
    pub id: Option<String>,
    pub name: Option<String>,
    /// `type`, e.g. `process`, `connector-settings`, `transform.map`.
    pub component_type: Option<String>,
    pub sub_type: Option<String>,
    pub folder_full_path: Option<String>,
    pub version: Option<u32>,
    pub branch_id: Option<String>,
}

impl ComponentInfo {
    /// Read the root element's attributes. Only the prolog and the root start tag are read
    /// (a DOCTYPE before it is refused); the root must be a `Component` element (any prefix).
    pub fn parse(xml: &str) -> Result<ComponentInfo, XmlError> {
        let mut sc = Scanner::new(xml);
        while let Some(tok) = sc.next()? {
            match &tok.event {
                quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                    let name = e.name().0.to_string();
                    if local_name(&name) != "Component" {
                        return Err(XmlError::NotAComponent {
                            found: name,
                            position: tok.start,
                        });
                    }
                    let mut info = ComponentInfo::default();
                    for a in attr_spans(xml, e, tok.start)? {
                        let v = a.unescaped()?;
                        match a.key {
                            "componentId" => info.id = Some(v),
                            "name" => info.name = Some(v),
                            "type" => info.component_type = Some(v),
                            "subType" => info.sub_type = Some(v),
                            "folderFullPath" => info.folder_full_path = Some(v),
                            "version" => info.version = v.trim().parse().ok(),
                            "branchId" => info.branch_id = Some(v),
                            _ => {}
                        }
                    }
                    return Ok(info);
                }
                _ => {}
            }
        }
        // `Scanner` reports a document without a root element as an error before this.
        Err(XmlError::Parse {
            position: xml.len(),
            message: "no root element".into(),
        })
    }
}

/// The part of a qualified name after the prefix (`bns:Component` → `Component`). A byte
/// loop: names are short and this runs for every element, where `rfind`'s searcher costs more
/// than the search.
pub(crate) fn local_name(qname: &str) -> &str {
    match qname.bytes().rposition(|b| b == b':') {
        Some(i) => &qname[i + 1..],
        None => qname,
    }
}

/// One replacement of the byte range `start..end` of the input by `text`.
#[derive(Debug, Clone)]
pub(crate) struct Edit<'a> {
    pub start: usize,
    pub end: usize,
    pub text: std::borrow::Cow<'a, str>,
}

impl Edit<'_> {
    /// Remove `start..end`.
    pub fn delete(start: usize, end: usize) -> Self {
        Edit {
            start,
            end,
            text: std::borrow::Cow::Borrowed(""),
        }
    }
}

/// Splice edits into `src`. Edits are applied in order of their start; an edit that overlaps
/// one already applied (a nested blanking inside a blanked parent) is skipped.
pub(crate) fn apply_edits(src: &str, mut edits: Vec<Edit<'_>>) -> String {
    if edits.is_empty() {
        return src.to_string();
    }
    if !edits.is_sorted_by_key(|e| (e.start, e.end)) {
        edits.sort_by_key(|e| (e.start, e.end));
    }
    // Enough for every insertion: the output is never reallocated (and so never copied).
    let inserted: usize = edits.iter().map(|e| e.text.len()).sum();
    let mut out = String::with_capacity(src.len() + inserted);
    let mut at = 0usize;
    for e in edits {
        if e.start < at {
            continue;
        }
        out.push_str(&src[at..e.start]);
        out.push_str(&e.text);
        at = e.end;
    }
    out.push_str(&src[at..]);
    out
}

/// Escape a value for a double- or single-quoted attribute.
pub(crate) fn escape_attr(v: &str) -> String {
    escape_attr_cow(v).into_owned()
}

/// [`escape_attr`] without allocating when nothing needs escaping.
pub(crate) fn escape_attr_cow(v: &str) -> std::borrow::Cow<'_, str> {
    if !v
        .bytes()
        .any(|b| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'' | b'\t' | b'\n' | b'\r'))
    {
        return std::borrow::Cow::Borrowed(v);
    }
    let mut s = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\'' => s.push_str("&apos;"),
            '\t' => s.push_str("&#9;"),
            '\n' => s.push_str("&#10;"),
            '\r' => s.push_str("&#13;"),
            c => s.push(c),
        }
    }
    std::borrow::Cow::Owned(s)
}

/// Escape a value for element text.
pub(crate) fn escape_text(v: &str) -> String {
    escape_text_cow(v).into_owned()
}

/// [`escape_text`] without allocating when nothing needs escaping.
pub(crate) fn escape_text_cow(v: &str) -> std::borrow::Cow<'_, str> {
    if !v.bytes().any(|b| matches!(b, b'&' | b'<' | b'>')) {
        return std::borrow::Cow::Borrowed(v);
    }
    let mut s = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            c => s.push(c),
        }
    }
    std::borrow::Cow::Owned(s)
}

/// Does `s` look like a Boomi component id (a GUID, 8-4-4-4-12 hex)?
pub fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 36 {
        return false;
    }
    b.iter().enumerate().all(|(i, &c)| match i {
        8 | 13 | 18 | 23 => c == b'-',
        _ => c.is_ascii_hexdigit(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRAPPED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<bns:Component xmlns:bns="http://api.platform.boomi.com/" componentId="0d3f6a1e-7b1c-4c7e-9a51-3f5d2c8b9e10" version="3" name="Orders &amp; Returns" type="process" subType="x" folderFullPath="Team A/Orders" branchId="Qjox"><bns:object><process xmlns=""/></bns:object></bns:Component>"#;

    #[test]
    fn component_info_reads_root_attributes() {
        let i = ComponentInfo::parse(WRAPPED).unwrap();
        assert_eq!(
            i.id.as_deref(),
            Some("0d3f6a1e-7b1c-4c7e-9a51-3f5d2c8b9e10")
        );
        assert_eq!(i.name.as_deref(), Some("Orders & Returns"));
        assert_eq!(i.component_type.as_deref(), Some("process"));
        assert_eq!(i.sub_type.as_deref(), Some("x"));
        assert_eq!(i.folder_full_path.as_deref(), Some("Team A/Orders"));
        assert_eq!(i.version, Some(3));
        assert_eq!(i.branch_id.as_deref(), Some("Qjox"));
    }

    #[test]
    fn component_info_requires_the_wrapper() {
        let e = ComponentInfo::parse("<process/>").unwrap_err();
        assert!(
            matches!(e, XmlError::NotAComponent { position: 0, .. }),
            "{e}"
        );
        assert_eq!(e.code(), ErrorCode::XmlParseError);
    }

    #[test]
    fn doctype_before_root_is_refused() {
        let x = "<!DOCTYPE x [<!ENTITY a \"b\">]><bns:Component/>";
        let e = ComponentInfo::parse(x).unwrap_err();
        assert_eq!(e, XmlError::Doctype { position: 0 });
    }

    #[test]
    fn apply_edits_skips_nested() {
        let s = "0123456789";
        let out = apply_edits(
            s,
            vec![
                Edit {
                    start: 2,
                    end: 8,
                    text: "x".into(),
                },
                Edit {
                    start: 3,
                    end: 4,
                    text: "y".into(),
                },
                Edit {
                    start: 9,
                    end: 9,
                    text: "z".into(),
                },
            ],
        );
        assert_eq!(out, "01x8z9");
    }

    #[test]
    fn guid_shape() {
        assert!(is_guid("0d3f6a1e-7b1c-4c7e-9a51-3f5d2c8b9e10"));
        assert!(!is_guid("0d3f6a1e-7b1c-4c7e-9a51-3f5d2c8b9e1"));
        assert!(!is_guid("0d3f6a1e_7b1c-4c7e-9a51-3f5d2c8b9e10"));
    }
}
