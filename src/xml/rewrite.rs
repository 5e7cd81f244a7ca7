//! Component references: finding them ([`references`]) and replacing dev ids by production
//! ids ([`rewrite_references`], `seed-behaviors.md` §6.2 with its recommendations).
//!
//! **Where references sit.** The attributes [`REFERENCE_ATTRIBUTES`] on any element inside the
//! component (`connector/@connectionId`, `map/@mapId`, `processcall/@processId`,
//! `sourceProfile/@component`, `crossRefTable/@component`, `route/@processId`, …), the text of
//! the elements [`REFERENCE_ELEMENTS`] (`<connectionId>…</connectionId>`), and generic connector
//! fields `<field id="profile">` (text or `value` attribute). The root `bns:Component` element's
//! own attributes describe the component itself and are never references.
//!
//! **Rewrite rules.** One pass over every attribute value, text node and CDATA section; an id
//! is replaced only where it is a *whole token*: the characters around it must not be id
//! characters (ASCII letters and digits, `-`, `_`, `.`), so `dev-op-1` is left alone inside
//! `dev-op-10`. Replacements are never re-examined (no chaining: with `a→b`, `b→c`, `a` becomes
//! `b`). When two ids match at the same place the longer wins. Everything else stays byte for
//! byte; a replacement is escaped for where it lands.

use super::scan::{attr_spans, resolve_ref, unescape, Scanner};
use super::{apply_edits, escape_attr, escape_text, local_name, Edit, XmlError};
use quick_xml::events::Event;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// Attributes whose value is a component id.
pub const REFERENCE_ATTRIBUTES: &[&str] = &[
    "connectionId",
    "operationId",
    "mapId",
    "processId",
    "component",
    "componentId",
    "referenceComponentId",
    "profileId",
    "fromProfile",
    "toProfile",
    "requestProfile",
    "responseProfile",
];

/// Elements whose text is a component id.
pub const REFERENCE_ELEMENTS: &[&str] = &[
    "connectionId",
    "operationId",
    "mapId",
    "processId",
    "componentId",
    "referenceComponentId",
    "profileId",
];

/// `<field id="…">` ids whose value is a component id (DB and generic operations).
pub const REFERENCE_FIELDS: &[&str] = &["profile", "requestProfile", "responseProfile"];

/// One component the XML refers to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reference {
    /// The referenced component id.
    pub id: String,
    /// Where it was first found, e.g. `connector/@connectionId`, `field[@id='profile']`.
    pub location: String,
}

/// The result of [`rewrite_references`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RewriteOutcome {
    pub xml: String,
    /// Distinct `(dev id, production id)` pairs that were replaced at least once, first met first.
    pub rewritten: Vec<(String, String)>,
    /// `referencesRewritten`: the number of distinct ids replaced.
    pub references_rewritten: usize,
    /// References (in reference positions) that have no mapping and were left as they are.
    pub unmapped: Vec<Reference>,
}

pub(crate) fn is_id_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'
}

fn looks_like_id(v: &str) -> bool {
    !v.is_empty() && v.bytes().all(is_id_byte)
}

/// The dev→prod lookup, prepared for fast whole-token matching.
struct Matcher<'m> {
    tokens: HashMap<&'m str, &'m str>,
    /// Bit `n` set when some token key has length `n` (n < 128).
    lens: u128,
    has_long: bool,
    /// Keys containing characters that are not id characters: matched by substring search.
    special: Vec<(&'m str, &'m str)>,
}

impl<'m> Matcher<'m> {
    fn new(map: &'m HashMap<String, String>) -> Self {
        let mut m = Matcher {
            tokens: HashMap::with_capacity(map.len()),
            lens: 0,
            has_long: false,
            special: Vec::new(),
        };
        for (k, v) in map {
            if k.is_empty() {
                continue;
            }
            if k.bytes().all(is_id_byte) {
                m.tokens.insert(k.as_str(), v.as_str());
                if k.len() < 128 {
                    m.lens |= 1u128 << k.len();
                } else {
                    m.has_long = true;
                }
            } else {
                m.special.push((k.as_str(), v.as_str()));
            }
        }
        m.special.sort();
        m
    }

    fn len_possible(&self, n: usize) -> bool {
        if n < 128 {
            self.lens & (1u128 << n) != 0
        } else {
            self.has_long
        }
    }

    /// Non-overlapping whole-token matches in `raw`: `(start, end, dev, prod)`.
    fn find(&self, raw: &str) -> Vec<(usize, usize, &'m str, &'m str)> {
        let b = raw.as_bytes();
        let mut out = Vec::new();
        if !self.tokens.is_empty() {
            let mut i = 0;
            while i < b.len() {
                if !is_id_byte(b[i]) {
                    i += 1;
                    continue;
                }
                let s = i;
                while i < b.len() && is_id_byte(b[i]) {
                    i += 1;
                }
                if self.len_possible(i - s) {
                    if let Some((k, v)) = self.tokens.get_key_value(&raw[s..i]) {
                        out.push((s, i, *k, *v));
                    }
                }
            }
        }
        if self.special.is_empty() {
            return out;
        }
        for (k, v) in &self.special {
            for (s, _) in raw.match_indices(k) {
                let e = s + k.len();
                let before_ok = s == 0 || !is_id_byte(b[s - 1]);
                let after_ok = e == b.len() || !is_id_byte(b[e]);
                if before_ok && after_ok {
                    out.push((s, e, *k, *v));
                }
            }
        }
        // Leftmost first, longest first at the same place, no overlaps.
        out.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let mut kept: Vec<(usize, usize, &'m str, &'m str)> = Vec::with_capacity(out.len());
        for m in out {
            if kept.last().is_none_or(|l| m.0 >= l.1) {
                kept.push(m);
            }
        }
        kept
    }
}

#[derive(Clone, Copy)]
enum Ctx {
    Attr,
    Text,
    CData,
}

struct Capture {
    depth: usize,
    location: String,
    text: String,
    had_child: bool,
}

struct Walk {
    refs: Vec<Reference>,
    seen_refs: HashSet<String>,
    edits: Vec<Edit>,
    rewritten: Vec<(String, String)>,
    seen_rewritten: HashSet<String>,
}

impl Walk {
    fn add_ref(&mut self, id: &str, location: impl FnOnce() -> String) {
        let id = id.trim();
        if looks_like_id(id) && !self.seen_refs.contains(id) {
            self.seen_refs.insert(id.to_string());
            self.refs.push(Reference {
                id: id.to_string(),
                location: location(),
            });
        }
    }

    fn rewrite(
        &mut self,
        m: &Matcher<'_>,
        raw: &str,
        base: usize,
        ctx: Ctx,
    ) -> Result<(), XmlError> {
        for (s, e, dev, prod) in m.find(raw) {
            let text = match ctx {
                Ctx::Attr => escape_attr(prod),
                Ctx::Text => escape_text(prod),
                Ctx::CData => {
                    if prod.contains("]]>") {
                        return Err(XmlError::Unrepresentable {
                            value: prod.to_string(),
                            position: base + s,
                            reason: "`]]>` cannot appear inside CDATA".into(),
                        });
                    }
                    prod.to_string()
                }
            };
            self.edits.push(Edit {
                start: base + s,
                end: base + e,
                text,
            });
            if !self.seen_rewritten.contains(dev) {
                self.seen_rewritten.insert(dev.to_string());
                self.rewritten.push((dev.to_string(), prod.to_string()));
            }
        }
        Ok(())
    }
}

fn walk(xml: &str, matcher: Option<&Matcher<'_>>) -> Result<Walk, XmlError> {
    let mut sc = Scanner::new(xml);
    let mut w = Walk {
        refs: Vec::new(),
        seen_refs: HashSet::new(),
        edits: Vec::new(),
        rewritten: Vec::new(),
        seen_rewritten: HashSet::new(),
    };
    let mut captures: Vec<Capture> = Vec::new();
    while let Some(tok) = sc.next()? {
        match &tok.event {
            Event::Start(e) | Event::Empty(e) => {
                if let Some(c) = captures.last_mut() {
                    c.had_child = true;
                }
                let qname: &str = e.name().0;
                let lname = local_name(qname);
                if tok.depth == 1 && lname == "Component" {
                    continue; // the wrapper describes the component itself
                }
                let spans = attr_spans(xml, e, tok.start)?;
                let field_ref = if lname == "field" {
                    spans
                        .iter()
                        .find(|a| a.key == "id")
                        .map(|a| a.unescaped(tok.start))
                        .transpose()?
                        .filter(|id| REFERENCE_FIELDS.contains(&id.as_str()))
                } else {
                    None
                };
                for a in &spans {
                    if REFERENCE_ATTRIBUTES.contains(&a.key) {
                        if a.value.contains('&') {
                            let v = unescape(a.value, a.value_start)?;
                            w.add_ref(&v, || format!("{lname}/@{}", a.key));
                        } else {
                            w.add_ref(a.value, || format!("{lname}/@{}", a.key));
                        }
                    } else if field_ref.is_some() && a.key == "value" {
                        let v = unescape(a.value, a.value_start)?;
                        let id = field_ref.clone().unwrap_or_default();
                        w.add_ref(&v, || format!("field[@id='{id}']"));
                    }
                    if let Some(m) = matcher {
                        w.rewrite(m, a.value, a.value_start, Ctx::Attr)?;
                    }
                }
                if matches!(tok.event, Event::Start(_)) {
                    let location = if let Some(id) = field_ref {
                        Some(format!("field[@id='{id}']"))
                    } else if REFERENCE_ELEMENTS.contains(&lname) {
                        Some(lname.to_string())
                    } else {
                        None
                    };
                    if let Some(location) = location {
                        captures.push(Capture {
                            depth: tok.depth,
                            location,
                            text: String::new(),
                            had_child: false,
                        });
                    }
                }
            }
            Event::End(_) if captures.last().is_some_and(|c| c.depth == tok.depth) => {
                let c = captures.pop().expect("checked");
                if !c.had_child {
                    let loc = c.location;
                    w.add_ref(&c.text, || loc);
                }
            }
            Event::Text(t) => {
                let raw: &str = t.as_ref();
                if let Some(c) = captures.last_mut() {
                    if c.depth == tok.depth {
                        c.text.push_str(&unescape(raw, tok.start)?);
                    }
                }
                if let Some(m) = matcher {
                    if tok.depth > 0 {
                        w.rewrite(m, raw, tok.start, Ctx::Text)?;
                    }
                }
            }
            Event::CData(cd) => {
                let raw: &str = cd.as_ref();
                if let Some(c) = captures.last_mut() {
                    if c.depth == tok.depth {
                        c.text.push_str(raw);
                    }
                }
                if let Some(m) = matcher {
                    // `<![CDATA[` is 9 bytes.
                    w.rewrite(m, raw, tok.start + 9, Ctx::CData)?;
                }
            }
            Event::GeneralRef(r) => {
                let ch = resolve_ref(r.as_ref(), tok.start)?;
                if let Some(c) = captures.last_mut() {
                    if c.depth == tok.depth {
                        c.text.push(ch);
                    }
                }
            }
            _ => {}
        }
    }
    Ok(w)
}

/// The distinct component ids this component refers to, in document order (the root
/// element's own `componentId` excluded).
pub fn references(xml: &str) -> Result<Vec<Reference>, XmlError> {
    Ok(walk(xml, None)?.refs)
}

/// Replace every whole-token occurrence of a dev id (a key of `map`) by its production id, in
/// attribute values, text and CDATA, in one pass. See the module documentation for the rules.
pub fn rewrite_references(
    xml: &str,
    map: &HashMap<String, String>,
) -> Result<RewriteOutcome, XmlError> {
    let matcher = Matcher::new(map);
    let w = walk(xml, Some(&matcher))?;
    let unmapped = w
        .refs
        .into_iter()
        .filter(|r| !map.contains_key(&r.id))
        .collect();
    Ok(RewriteOutcome {
        xml: apply_edits(xml, w.edits),
        references_rewritten: w.rewritten.len(),
        rewritten: w.rewritten,
        unmapped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn whole_tokens_only() {
        let x = r#"<p><c connectionId="dev-op-1"/><c operationId="dev-op-10"/><t>dev-op-1 and xdev-op-1 and dev-op-1.x</t></p>"#;
        let o = rewrite_references(x, &map(&[("dev-op-1", "prod-1")])).unwrap();
        assert_eq!(
            o.xml,
            r#"<p><c connectionId="prod-1"/><c operationId="dev-op-10"/><t>prod-1 and xdev-op-1 and dev-op-1.x</t></p>"#
        );
        assert_eq!(o.references_rewritten, 1);
        assert_eq!(
            o.unmapped,
            vec![Reference {
                id: "dev-op-10".into(),
                location: "c/@operationId".into()
            }]
        );
    }

    #[test]
    fn no_chaining() {
        let x = r#"<p a="a" b="b"/>"#;
        let o = rewrite_references(x, &map(&[("a", "b"), ("b", "c")])).unwrap();
        assert_eq!(o.xml, r#"<p a="b" b="c"/>"#);
        assert_eq!(o.references_rewritten, 2);
    }

    #[test]
    fn escapes_and_special_keys() {
        let x = r#"<p x="k$1" y='a'><![CDATA[a]]></p>"#;
        let o = rewrite_references(x, &map(&[("k$1", "v&\""), ("a", "z'")])).unwrap();
        assert_eq!(
            o.xml,
            r#"<p x="v&amp;&quot;" y='z&apos;'><![CDATA[z']]></p>"#
        );
    }

    #[test]
    fn references_in_all_positions_without_the_root() {
        let x = r#"<bns:Component xmlns:bns="http://api.platform.boomi.com/" componentId="self"><bns:object><process xmlns=""><connector connectionId="c1" operationId="o1"/><map mapId="m1"/><processcall processId="p1"/><connectionId> c2 </connectionId><field id="profile">pr1</field><field id="profile" value="pr2"/><sourceProfile component="{placeholder}"/><map mapId="m1"/></process></bns:object></bns:Component>"#;
        let ids: Vec<String> = references(x).unwrap().into_iter().map(|r| r.id).collect();
        assert_eq!(ids, vec!["c1", "o1", "m1", "p1", "c2", "pr1", "pr2"]);
    }
}
