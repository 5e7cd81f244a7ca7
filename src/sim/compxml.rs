//! Component XML for the emulator: split a `bns:Component` document into its root
//! attributes and raw children (the `<bns:object>` body kept byte for byte), replace secret
//! values by a one-way hash the way Boomi does, find the component ids an object refers to,
//! and render a stored revision back as Boomi's XML.

use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;
use quick_xml::writer::Writer;
use quick_xml::XmlVersion;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};


/// Attributes whose value names another component.
pub const REFERENCE_ATTRIBUTES: &[&str] = &[
    "connectionId",
    "operationId",
    "mapId",
    "processId",
    "component",
    "componentId",
    "profileId",
];

/// Elements whose text names another component.
const REFERENCE_ELEMENTS: &[&str] = &["connectionId", "operationId", "componentId", "processId"];

/// A `bns:Component` document split into its parts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedComponent {
    /// Root attributes by local name (unescaped values).
    pub attrs: BTreeMap<String, String>,
    /// Raw (still escaped) text of `<bns:description>`.
    pub description: Option<String>,
    /// Raw bytes between `<bns:object>` and `</bns:object>`.
    pub object: String,
    /// Raw bytes inside `<bns:processOverrides>`, if present.
    pub process_overrides: Option<String>,
    /// `path` attributes of `<bns:encryptedValue>` entries.
    pub encrypted_paths: Vec<String>,
}

impl ParsedComponent {
    /// A root attribute, if present and not blank.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }
}

fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// Split a component document. Errors are human messages (the emulator answers 400).
pub fn parse_component(xml: &str) -> Result<ParsedComponent, String> {
    let xml = xml.trim_start_matches('\u{feff}');
    let mut reader = Reader::from_str(xml);
    let mut out = ParsedComponent::default();
    let mut depth = 0usize;
    let mut seen_root = false;
    // (local name, start offset of inner content)
    let mut open_child: Option<(String, usize)> = None;
    loop {
        let before = reader.buffer_position() as usize;
        let ev = reader
            .read_event()
            .map_err(|e| format!("component XML does not parse: {e}"))?;
        match ev {
            Event::Eof => break,
            Event::Start(e) => {
                let name = e.name().as_ref().to_string();
                if depth == 0 {
                    if local(&name) != "Component" {
                        return Err(format!("the root element must be bns:Component, not {name}"));
                    }
                    seen_root = true;
                    read_attrs(&e, &mut out.attrs)?;
                } else if depth == 1 {
                    open_child = Some((local(&name).to_string(), reader.buffer_position() as usize));
                } else if depth == 2 && matches!(&open_child, Some((n, _)) if n == "encryptedValues")
                {
                    collect_encrypted(&e, &mut out.encrypted_paths)?;
                }
                depth += 1;
            }
            Event::Empty(e) => {
                let name = e.name().as_ref().to_string();
                if depth == 0 {
                    if local(&name) != "Component" {
                        return Err(format!("the root element must be bns:Component, not {name}"));
                    }
                    seen_root = true;
                    read_attrs(&e, &mut out.attrs)?;
                } else if depth == 1 {
                    match local(&name) {
                        "object" => out.object = String::new(),
                        "processOverrides" => out.process_overrides = Some(String::new()),
                        "description" => out.description = Some(String::new()),
                        _ => {}
                    }
                } else if depth == 2 && matches!(&open_child, Some((n, _)) if n == "encryptedValues")
                {
                    collect_encrypted(&e, &mut out.encrypted_paths)?;
                }
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 1 {
                    if let Some((name, start)) = open_child.take() {
                        let inner = xml[start..before].to_string();
                        match name.as_str() {
                            "object" => out.object = inner,
                            "processOverrides" => out.process_overrides = Some(inner),
                            "description" => out.description = Some(inner),
                            _ => {}
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if !seen_root {
        return Err("the body holds no bns:Component element".into());
    }
    Ok(out)
}

fn read_attrs(e: &BytesStart<'_>, into: &mut BTreeMap<String, String>) -> Result<(), String> {
    for a in e.attributes() {
        let a = a.map_err(|e| format!("bad attribute: {e}"))?;
        let key = a.key.as_ref().to_string();
        if key.starts_with("xmlns") {
            continue;
        }
        let value = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| format!("bad attribute value: {e}"))?;
        into.insert(local(&key).to_string(), value.into_owned());
    }
    Ok(())
}

fn collect_encrypted(e: &BytesStart<'_>, into: &mut Vec<String>) -> Result<(), String> {
    if local(e.name().as_ref()) != "encryptedValue" {
        return Ok(());
    }
    for a in e.attributes() {
        let a = a.map_err(|e| format!("bad attribute: {e}"))?;
        if a.key.as_ref() == "path" {
            let v = a
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|e| format!("bad attribute value: {e}"))?;
            into.push(v.into_owned());
        }
    }
    Ok(())
}

/// The field ids named by `encryptedValue` paths such as
/// `//GenericConnectorConfig/field[@id='password']/text()`.
pub fn encrypted_field_ids(paths: &[String]) -> BTreeSet<String> {
    paths
        .iter()
        .filter_map(|p| {
            let start = p.find("@id=")? + 4;
            let rest = &p[start..];
            let quote = rest.chars().next()?;
            if quote != '\'' && quote != '"' {
                return None;
            }
            let end = rest[1..].find(quote)?;
            Some(rest[1..1 + end].to_string())
        })
        .collect()
}

/// One-way hash Boomi-style: the stored form of a secret value.
pub fn secret_hash(component_id: &str, field_id: &str, plain: &str) -> String {
    let mut h = Sha256::new();
    h.update(component_id.as_bytes());
    h.update([0]);
    h.update(field_id.as_bytes());
    h.update([0]);
    h.update(plain.as_bytes());
    format!("{{SHA256}}{}", hex::encode(h.finalize()))
}

/// Result of [`protect_secrets`].
#[derive(Debug, Clone, PartialEq)]
pub struct Protected {
    /// The object with every secret value replaced by its hash.
    pub object: String,
    /// Field id → stored hash, for every secret field that holds a value.
    pub secrets: BTreeMap<String, String>,
    /// Secret field ids found (set or not).
    pub secret_fields: BTreeSet<String>,
}

/// Replace secret values (`<field type="password" value=...>` and any field whose id an
/// `encryptedValue` path names) by a one-way hash. A blank value, or a value equal to the
/// hash already stored for that field, keeps the stored secret (Boomi: leaving an encrypted
/// field out of an update keeps it). Everything else in the object is written back verbatim.
pub fn protect_secrets(
    component_id: &str,
    object: &str,
    extra_secret_ids: &BTreeSet<String>,
    stored: &BTreeMap<String, String>,
) -> Result<Protected, String> {
    let mut reader = Reader::from_str(object);
    let mut writer = Writer::new(Vec::new());
    let mut secrets = BTreeMap::new();
    let mut secret_fields = BTreeSet::new();
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| format!("component object does not parse: {e}"))?;
        match ev {
            Event::Eof => break,
            Event::Empty(e) if local(e.name().as_ref()) == "field" => {
                let e = rewrite_field(
                    component_id,
                    e,
                    extra_secret_ids,
                    stored,
                    &mut secrets,
                    &mut secret_fields,
                )?;
                writer
                    .write_event(Event::Empty(e))
                    .map_err(|e| e.to_string())?;
            }
            Event::Start(e) if local(e.name().as_ref()) == "field" => {
                let e = rewrite_field(
                    component_id,
                    e,
                    extra_secret_ids,
                    stored,
                    &mut secrets,
                    &mut secret_fields,
                )?;
                writer
                    .write_event(Event::Start(e))
                    .map_err(|e| e.to_string())?;
            }
            other => writer.write_event(other).map_err(|e| e.to_string())?,
        }
    }
    let object = String::from_utf8(writer.into_inner()).map_err(|e| e.to_string())?;
    Ok(Protected {
        object,
        secrets,
        secret_fields,
    })
}

fn rewrite_field<'a>(
    component_id: &str,
    e: BytesStart<'a>,
    extra: &BTreeSet<String>,
    stored: &BTreeMap<String, String>,
    secrets: &mut BTreeMap<String, String>,
    secret_fields: &mut BTreeSet<String>,
) -> Result<BytesStart<'a>, String> {
    let mut id = None;
    let mut is_password = false;
    for a in e.attributes() {
        let a = a.map_err(|e| format!("bad attribute: {e}"))?;
        match a.key.as_ref() {
            "id" => id = Some(a.value.to_string()),
            "type" => is_password = a.value.eq_ignore_ascii_case("password"),
            _ => {}
        }
    }
    let Some(id) = id else { return Ok(e) };
    if !(is_password || extra.contains(&id)) {
        return Ok(e);
    }
    secret_fields.insert(id.clone());
    let mut out = BytesStart::new(e.name().as_ref().to_string());
    let mut had_value = false;
    for a in e.attributes() {
        let a = a.map_err(|e| format!("bad attribute: {e}"))?;
        if a.key.as_ref() != "value" {
            out.push_attribute(a);
            continue;
        }
        had_value = true;
        let plain = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| format!("bad attribute value: {e}"))?
            .into_owned();
        let hash = if plain.is_empty() || stored.get(&id) == Some(&plain) {
            stored.get(&id).cloned()
        } else {
            Some(secret_hash(component_id, &id, &plain))
        };
        if let Some(h) = hash {
            out.push_attribute(("value", h.as_str()));
            secrets.insert(id.clone(), h);
        } else {
            out.push_attribute(("value", ""));
        }
    }
    if !had_value {
        if let Some(h) = stored.get(&id) {
            out.push_attribute(("value", h.as_str()));
            secrets.insert(id.clone(), h.clone());
        }
    }
    Ok(out)
}

/// Every value of a reference attribute or reference element in the object (in document
/// order, without duplicates). The caller keeps those that are known component ids.
pub fn referenced_ids(object: &str) -> Vec<String> {
    let mut reader = Reader::from_str(object);
    let mut out: Vec<String> = Vec::new();
    let push = |v: String, out: &mut Vec<String>| {
        let v = v.trim().to_string();
        if !v.is_empty() && !out.contains(&v) {
            out.push(v);
        }
    };
    let mut in_ref_element = false;
    loop {
        let Ok(ev) = reader.read_event() else { break };
        match ev {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => {
                in_ref_element = REFERENCE_ELEMENTS.contains(&local(e.name().as_ref()));
                for a in e.attributes().flatten() {
                    if REFERENCE_ATTRIBUTES.contains(&local(a.key.as_ref())) {
                        if let Ok(v) = a.normalized_value(XmlVersion::Implicit1_0) {
                            push(v.into_owned(), &mut out);
                        }
                    }
                }
            }
            Event::Text(t) if in_ref_element => push(t.xml10_content().into_owned(), &mut out),
            Event::End(_) => in_ref_element = false,
            _ => {}
        }
    }
    out
}

/// The root element name of an object (e.g. `process`, `GenericConnectorConfig`).
pub fn object_root(object: &str) -> Option<String> {
    let mut reader = Reader::from_str(object);
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) | Event::Empty(e) => return Some(e.name().as_ref().to_string()),
            Event::Eof => return None,
            _ => {}
        }
    }
}

/// Escape an attribute value.
pub fn esc(v: &str) -> String {
    quick_xml::escape::escape(v).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<bns:Component xmlns:bns="http://api.platform.boomi.com/" componentId="c1" name="Orders &amp; DB" type="connector-settings" subType="database" folderFullPath="Team A/Connections" branchId="QjoyMQ">
  <bns:encryptedValues><bns:encryptedValue path="//DatabaseSettings/field[@id='token']/text()" isSet="true"/></bns:encryptedValues>
  <bns:description>Main &lt;DB&gt;</bns:description>
  <bns:object><GenericConnectorConfig xmlns=""><field id="host" type="string" value="db.internal"/><field id="password" type="password" value="S3cr3t!"/><field id="token" type="string" value="tok-1"/><!-- kept --></GenericConnectorConfig></bns:object>
</bns:Component>"#;

    #[test]
    fn splits_attributes_and_raw_object() {
        let p = parse_component(DOC).unwrap();
        assert_eq!(p.attr("componentId"), Some("c1"));
        assert_eq!(p.attr("name"), Some("Orders & DB"));
        assert_eq!(p.attr("branchId"), Some("QjoyMQ"));
        assert_eq!(p.description.as_deref(), Some("Main &lt;DB&gt;"));
        assert!(p.object.starts_with("<GenericConnectorConfig xmlns=\"\">"));
        assert!(p.object.ends_with("<!-- kept --></GenericConnectorConfig>"));
        assert_eq!(p.process_overrides, None);
        assert_eq!(
            encrypted_field_ids(&p.encrypted_paths),
            BTreeSet::from(["token".to_string()])
        );
    }

    #[test]
    fn rejects_other_roots_and_garbage() {
        assert!(parse_component("<process/>").is_err());
        assert!(parse_component("not xml <").is_err() || parse_component("").is_err());
        assert!(parse_component("").is_err());
    }

    #[test]
    fn secrets_are_hashed_kept_and_never_plain() {
        let p = parse_component(DOC).unwrap();
        let extra = encrypted_field_ids(&p.encrypted_paths);
        let first = protect_secrets("c1", &p.object, &extra, &BTreeMap::new()).unwrap();
        assert!(!first.object.contains("S3cr3t!"));
        assert!(!first.object.contains("tok-1"));
        assert!(first.object.contains("value=\"db.internal\""));
        assert!(first.object.contains("<!-- kept -->"));
        assert_eq!(first.secrets.len(), 2);
        // Sending the hash back, or a blank value, keeps the stored secret.
        let again = protect_secrets("c1", &first.object, &extra, &first.secrets).unwrap();
        assert_eq!(again.object, first.object);
        let blank = p.object.replace("S3cr3t!", "");
        let kept = protect_secrets("c1", &blank, &extra, &first.secrets).unwrap();
        assert_eq!(kept.secrets, first.secrets);
        // A new plain value changes the hash.
        let changed = p.object.replace("S3cr3t!", "other");
        let ch = protect_secrets("c1", &changed, &extra, &first.secrets).unwrap();
        assert_ne!(ch.secrets["password"], first.secrets["password"]);
    }

    #[test]
    fn finds_reference_attributes_and_elements() {
        let obj = r#"<process xmlns=""><shapes><shape><configuration><connectoraction connectionId="a" operationId="b"/></configuration></shape><shape><configuration><map mapId="c"/><processcall processId="d"/><scriptComponent component="e"/><other id="zzz"/></configuration></shape></shapes><connectionId> a </connectionId><componentId>f</componentId></process>"#;
        assert_eq!(referenced_ids(obj), vec!["a", "b", "c", "d", "e", "f"]);
        assert_eq!(object_root(obj).as_deref(), Some("process"));
    }
}
