//! `strip_env_config` (`seed-behaviors.md` §6.1, hardened): blank the environment configuration
//! of a component before it is promoted, editing the original bytes in place.
//!
//! Applies only to the stripped types ([`is_stripped_type`]): `process`, `operation`,
//! `connector-action`, `connection` and — a deliberate deviation from the seeds' literal type
//! guard — `connector-settings`, the raw API name of a connection (connections are never
//! promoted, but if one is ever stripped its secrets must go). Every other type passes through
//! byte-identical (after a well-formedness check: fail closed).
//!
//! Rules, for the stripped types:
//!
//! 1. **Elements (the seeds' literal rule).** An element whose name *as written* (with prefix)
//!    equals one of [`SENSITIVE_ELEMENTS`], or contains case-insensitively one of
//!    [`SENSITIVE_NAME_PARTS`], loses all its children and text when its descendant text is not
//!    blank: `<password><EncryptedValue>x</EncryptedValue></password>` becomes
//!    `<password></password>`. Reported by element name; a nested target is reported too.
//! 2. **Hardening: generic connector fields.** A `<field id="…">` whose `id` is one of
//!    [`SENSITIVE_ATTRIBUTES`] loses its content the same way and its `value` attribute (the form
//!    Boomi's own exports use) is set to `""`. Reported as `field[@id='host']`.
//! 3. **Hardening: attributes.** An attribute whose name is one of [`SENSITIVE_ATTRIBUTES`] gets
//!    the value `""`, e.g. `<AuthSettings password="…">`, `<HttpSettings url="…">`. Reported as
//!    `AuthSettings/@password`.
//!
//! Blank (whitespace-only) values are left alone and not reported. Nothing else changes.

use super::rewrite::FastBuild;
use super::scan::{attr_spans, resolve_ref, AttrSpan, Scanner};
use super::{apply_edits, local_name, Edit, XmlError};
use quick_xml::events::Event;
use serde::Serialize;
use std::collections::HashSet;

/// Element names blanked on an exact (case-sensitive) match (§6.1 rule 2).
pub const SENSITIVE_ELEMENTS: &[&str] = &[
    "password",
    "host",
    "url",
    "port",
    "EncryptedValue",
    "apiKey",
    "apiToken",
    "secretKey",
    "clientSecret",
    "connectionString",
    "jdbcUrl",
    "privateKey",
    "keystorePassword",
    "proxyPassword",
];

/// Name parts that make an element a target when contained, case-insensitively.
pub const SENSITIVE_NAME_PARTS: &[&str] = &["password", "secret", "key", "token", "credential"];

/// Attribute names (and generic `<field id>` values) blanked by the hardening rules.
pub const SENSITIVE_ATTRIBUTES: &[&str] = &[
    "password",
    "host",
    "url",
    "port",
    "apiKey",
    "apiToken",
    "secretKey",
    "clientSecret",
    "connectionString",
    "jdbcUrl",
    "privateKey",
    "keystorePassword",
    "proxyPassword",
];

/// Component types whose configuration is stripped.
pub fn is_stripped_type(component_type: &str) -> bool {
    let t = component_type.trim().to_ascii_lowercase();
    matches!(
        t.as_str(),
        "process" | "operation" | "connection" | "connector-action" | "connector-settings"
    )
}

/// The result of [`strip_env_config`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StripOutcome {
    /// The XML with the sensitive values blanked (byte-identical elsewhere).
    pub xml: String,
    /// Whether anything was blanked (`configStripped`).
    pub config_stripped: bool,
    /// The distinct names blanked, in the order first met (`strippedElements`).
    pub stripped: Vec<String>,
    /// The component type the decision was taken on.
    pub component_type: String,
}

/// `SENSITIVE_ELEMENTS.contains(name)` as a `match` (this runs for every element).
fn is_sensitive_element_name(name: &str) -> bool {
    matches!(
        name,
        "password"
            | "host"
            | "url"
            | "port"
            | "EncryptedValue"
            | "apiKey"
            | "apiToken"
            | "secretKey"
            | "clientSecret"
            | "connectionString"
            | "jdbcUrl"
            | "privateKey"
            | "keystorePassword"
            | "proxyPassword"
    )
}

/// `SENSITIVE_ATTRIBUTES.contains(name)` as a `match` (this runs for every attribute).
pub(crate) fn is_sensitive_attribute(name: &str) -> bool {
    matches!(
        name,
        "password"
            | "host"
            | "url"
            | "port"
            | "apiKey"
            | "apiToken"
            | "secretKey"
            | "clientSecret"
            | "connectionString"
            | "jdbcUrl"
            | "privateKey"
            | "keystorePassword"
            | "proxyPassword"
    )
}

/// Does `hay` contain `needle` (ASCII, already lower-case) ignoring ASCII case? (The
/// reference for [`contains_sensitive_part`].)
#[cfg(test)]
fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    let first = needle[0];
    if hay.len() < needle.len() {
        return false;
    }
    (0..=hay.len() - needle.len()).any(|i| {
        hay[i].to_ascii_lowercase() == first
            && hay[i + 1..i + needle.len()]
                .iter()
                .zip(&needle[1..])
                .all(|(h, n)| h.to_ascii_lowercase() == *n)
    })
}

fn is_sensitive_element(qname: &str) -> bool {
    is_sensitive_element_name(qname) || contains_sensitive_part(qname.as_bytes())
}

/// For each byte, the [`SENSITIVE_NAME_PARTS`] entry it could start (either case), plus one;
/// 0 for none.
static PART_START: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut p = 0;
    while p < SENSITIVE_NAME_PARTS.len() {
        let first = SENSITIVE_NAME_PARTS[p].as_bytes()[0];
        t[first as usize] = p as u8 + 1;
        t[first.to_ascii_uppercase() as usize] = p as u8 + 1;
        p += 1;
    }
    t
};

/// `SENSITIVE_NAME_PARTS.iter().any(|p| contains_ci(name, p))` in one pass over `name` (this
/// runs for every element): a table says which part a byte could start (the parts' first
/// letters differ).
fn contains_sensitive_part(name: &[u8]) -> bool {
    for (i, &b) in name.iter().enumerate() {
        let p = PART_START[b as usize];
        if p == 0 {
            continue;
        }
        let part = SENSITIVE_NAME_PARTS[p as usize - 1].as_bytes();
        if name.len() - i >= part.len()
            && name[i + 1..i + part.len()]
                .iter()
                .zip(&part[1..])
                .all(|(h, n)| h.to_ascii_lowercase() == *n)
        {
            return true;
        }
    }
    false
}

struct Frame {
    /// `Some(report name)` when this element's content is to be blanked.
    target: Option<String>,
    /// Order of the start tag (document order), for reporting.
    order: usize,
    content_start: usize,
    has_text: bool,
}

/// The strip rules as a state machine over the scanner's events, so the fused promotion pass
/// ([`super::promote`]) can run them together with the rewrite.
pub(crate) struct Stripper {
    ty: Option<String>,
    active: Option<bool>,
    pub edits: Vec<Edit<'static>>,
    /// Element contents blanked (`start..end`), in the order they were closed.
    pub blanked: Vec<(usize, usize)>,
    found: Vec<(usize, String)>,
    stack: Vec<Frame>,
    open_targets: usize,
    order: usize,
}

impl Stripper {
    pub fn new(component_type: Option<&str>) -> Self {
        Stripper {
            ty: component_type.map(str::to_string),
            active: component_type.map(is_stripped_type),
            edits: Vec::new(),
            blanked: Vec::new(),
            found: Vec::new(),
            stack: Vec::new(),
            open_targets: 0,
            order: 0,
        }
    }

    /// True while inside an element whose content will be blanked if it has any text.
    pub fn in_target(&self) -> bool {
        self.open_targets > 0
    }

    /// A start (or empty) tag. Returns the indices of the attributes whose value is blanked.
    pub fn on_start(
        &mut self,
        tok_start: usize,
        tok_end: usize,
        qname: &str,
        is_empty: bool,
        spans: &[AttrSpan<'_>],
    ) -> Result<Vec<usize>, XmlError> {
        let mut blanked_attrs = Vec::new();
        if self.active.is_none() {
            // Root element: take the type from the wrapper.
            let t = spans
                .iter()
                .find(|a| a.key == "type")
                .map(|a| a.unescaped())
                .transpose()?;
            match t {
                Some(t) if local_name(qname) == "Component" => {
                    self.active = Some(is_stripped_type(&t));
                    self.ty = Some(t);
                }
                _ => {
                    return Err(XmlError::MissingAttribute {
                        name: "type".into(),
                        position: tok_start,
                    })
                }
            }
        }
        if self.active != Some(true) {
            return Ok(blanked_attrs);
        }
        self.order += 1;
        let my_order = self.order;
        let field_id = if local_name(qname) == "field" {
            spans
                .iter()
                .find(|a| a.key == "id")
                .map(|a| a.unescaped())
                .transpose()?
                .filter(|id| is_sensitive_attribute(id))
        } else {
            None
        };
        for (i, a) in spans.iter().enumerate() {
            let blank_it =
                is_sensitive_attribute(a.key) || (field_id.is_some() && a.key == "value");
            if blank_it && !a.value.trim().is_empty() {
                self.edits.push(Edit::delete(a.value_start, a.value_end()));
                blanked_attrs.push(i);
                let name = match (&field_id, a.key) {
                    (Some(id), "value") => format!("field[@id='{id}']"),
                    _ => format!("{qname}/@{}", a.key),
                };
                self.found.push((my_order, name));
            }
        }
        if is_empty {
            return Ok(blanked_attrs);
        }
        let target = if let Some(id) = field_id {
            Some(format!("field[@id='{id}']"))
        } else if is_sensitive_element(qname) {
            Some(qname.to_string())
        } else {
            None
        };
        if target.is_some() {
            self.open_targets += 1;
        }
        self.stack.push(Frame {
            target,
            order: my_order,
            content_start: tok_end,
            has_text: false,
        });
        Ok(blanked_attrs)
    }

    /// An end tag starting at `tok_start`.
    pub fn on_end(&mut self, tok_start: usize) {
        if self.active != Some(true) {
            return;
        }
        let Some(f) = self.stack.pop() else { return };
        if let Some(name) = f.target {
            self.open_targets -= 1;
            if f.has_text {
                self.edits.push(Edit::delete(f.content_start, tok_start));
                self.blanked.push((f.content_start, tok_start));
                self.found.push((f.order, name));
            }
        }
    }

    /// Text, CDATA or a reference inside the current element; `blank` when whitespace only.
    pub fn on_text(&mut self, blank: bool) {
        if self.open_targets > 0 && !blank {
            mark_text(&mut self.stack);
        }
    }

    /// The edits and the outcome fields (`xml` left empty for the caller to fill).
    pub fn finish(self) -> (Vec<Edit<'static>>, Vec<(usize, usize)>, StripOutcome) {
        let mut found = self.found;
        found.sort_by_key(|(o, _)| *o);
        let mut stripped: Vec<String> = Vec::new();
        let mut seen: HashSet<&str, FastBuild> = HashSet::default();
        for (_, n) in &found {
            if seen.insert(n.as_str()) {
                stripped.push(n.clone());
            }
        }
        (
            self.edits,
            self.blanked,
            StripOutcome {
                xml: String::new(),
                config_stripped: !stripped.is_empty(),
                stripped,
                component_type: self.ty.unwrap_or_default(),
            },
        )
    }
}

/// Blank the environment configuration of a component.
///
/// `component_type`: the component's type; `None` reads it from the root `bns:Component`
/// element's `type` attribute (an error when there is none — fail closed).
pub fn strip_env_config(xml: &str, component_type: Option<&str>) -> Result<StripOutcome, XmlError> {
    let mut sc = Scanner::new(xml);
    let mut st = Stripper::new(component_type);
    while let Some(tok) = sc.next()? {
        match &tok.event {
            Event::Start(e) | Event::Empty(e) => {
                if st.active == Some(false) {
                    continue; // a type that is not stripped: only check well-formedness
                }
                let is_empty = matches!(tok.event, Event::Empty(_));
                let spans = attr_spans(xml, e, tok.start)?;
                st.on_start(tok.start, tok.end, e.name().0, is_empty, &spans)?;
            }
            Event::End(_) => st.on_end(tok.start),
            Event::Text(t) if st.in_target() => st.on_text(t.as_ref().trim().is_empty()),
            Event::CData(c) if st.in_target() => st.on_text(c.as_ref().trim().is_empty()),
            Event::GeneralRef(r) if st.in_target() => {
                st.on_text(resolve_ref(r.as_ref(), tok.start)?.is_whitespace())
            }
            _ => {}
        }
    }
    let (edits, _, mut out) = st.finish();
    out.xml = apply_edits(xml, edits);
    Ok(out)
}

fn mark_text(stack: &mut [Frame]) {
    for f in stack.iter_mut().rev() {
        if f.target.is_some() {
            if f.has_text {
                // Every outer target is already marked too.
                break;
            }
            f.has_text = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_parts_start_with_distinct_lower_case_letters() {
        let firsts: HashSet<u8> = SENSITIVE_NAME_PARTS
            .iter()
            .map(|p| p.as_bytes()[0])
            .collect();
        assert_eq!(firsts.len(), SENSITIVE_NAME_PARTS.len());
        for p in SENSITIVE_NAME_PARTS {
            assert!(p.bytes().all(|b| b.is_ascii_lowercase()), "{p}");
        }
    }

    #[test]
    fn one_pass_part_search_matches_the_rule() {
        for name in [
            "",
            "p",
            "key",
            "KEY",
            "routeKeys",
            "bns:password",
            "passwor",
            "xPaSsWoRdx",
            "secre",
            "SecretToken",
            "tok",
            "Token",
            "credentia",
            "myCredential",
            "connectoraction",
            "k",
            "apikey",
            "sk",
            "ppassword",
            "cсredential",
        ] {
            let want = SENSITIVE_NAME_PARTS
                .iter()
                .any(|p| contains_ci(name.as_bytes(), p.as_bytes()));
            assert_eq!(contains_sensitive_part(name.as_bytes()), want, "{name}");
        }
    }

    fn wrap(ty: &str, body: &str) -> String {
        format!(
            r#"<bns:Component xmlns:bns="http://api.platform.boomi.com/" type="{ty}" name="n"><bns:object>{body}</bns:object></bns:Component>"#
        )
    }

    #[test]
    fn literal_element_rule_nested_reported_after_parent() {
        let x = wrap(
            "connector-action",
            "<Op><password><EncryptedValue>abc</EncryptedValue></password><keep>1</keep></Op>",
        );
        let o = strip_env_config(&x, None).unwrap();
        assert_eq!(o.stripped, vec!["password", "EncryptedValue"]);
        assert!(o.xml.contains("<password></password><keep>1</keep>"));
        assert!(o.config_stripped);
    }

    #[test]
    fn contains_rule_and_blank_targets() {
        let x = wrap(
            "process",
            "<p><SecretToken>s</SecretToken><routeKeys> </routeKeys><bns:password>x</bns:password><hostname>h</hostname></p>",
        );
        let o = strip_env_config(&x, None).unwrap();
        assert_eq!(o.stripped, vec!["SecretToken", "bns:password"]);
        assert!(o.xml.contains("<routeKeys> </routeKeys>"));
        assert!(
            o.xml.contains("<hostname>h</hostname>"),
            "hostname is not an exact match"
        );
    }

    #[test]
    fn hardening_fields_and_attributes() {
        let x = wrap(
            "connector-settings",
            r#"<GenericConnectorConfig xmlns=""><field id="host" type="string" value="db.example.com"/><field id="port">5432</field><field id="user">u</field><AuthSettings user="u" password='p@ss'/><HttpSettings url=""/></GenericConnectorConfig>"#,
        );
        let o = strip_env_config(&x, None).unwrap();
        assert_eq!(
            o.stripped,
            vec![
                "field[@id='host']",
                "field[@id='port']",
                "AuthSettings/@password"
            ]
        );
        assert!(o
            .xml
            .contains(r#"<field id="host" type="string" value=""/>"#));
        assert!(o.xml.contains(r#"<field id="port"></field>"#));
        assert!(o.xml.contains(r#"<AuthSettings user="u" password=''/>"#));
        assert!(o.xml.contains(r#"<field id="user">u</field>"#));
    }

    #[test]
    fn other_types_untouched_and_type_override() {
        let x = wrap(
            "profile.json",
            "<JSONProfile><password>x</password></JSONProfile>",
        );
        let o = strip_env_config(&x, None).unwrap();
        assert_eq!(o.xml, x);
        assert!(!o.config_stripped);
        let o = strip_env_config(&x, Some("process")).unwrap();
        assert_eq!(o.stripped, vec!["password"]);
    }

    #[test]
    fn name_lists_and_matches_agree() {
        for n in SENSITIVE_ELEMENTS {
            assert!(is_sensitive_element_name(n), "{n}");
        }
        for n in SENSITIVE_ATTRIBUTES {
            assert!(is_sensitive_attribute(n), "{n}");
        }
        assert!(!is_sensitive_attribute("Password"));
        assert!(!is_sensitive_element_name("hostname"));
        assert!(is_sensitive_element("MyAPIKEYField"));
        assert!(!is_sensitive_element("ke"));
    }

    #[test]
    fn fails_closed() {
        assert!(strip_env_config("<process><password>x</process>", Some("process")).is_err());
        assert!(matches!(
            strip_env_config("<process/>", None),
            Err(XmlError::MissingAttribute { .. })
        ));
    }

    #[test]
    fn entity_text_counts_as_content() {
        let x = wrap(
            "process",
            "<p><password>&amp;</password><token>&#32;</token></p>",
        );
        let o = strip_env_config(&x, None).unwrap();
        assert_eq!(o.stripped, vec!["password"]);
        assert!(o.xml.contains("<token>&#32;</token>"));
    }
}
