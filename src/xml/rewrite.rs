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

use super::scan::{attr_spans_into, resolve_ref, unescape, AttrSpan, Scanner, Tok};
use super::{apply_edits, escape_attr_cow, escape_text_cow, is_guid, local_name, Edit, XmlError};
use quick_xml::events::Event;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// A small multiply-rotate hasher (the FxHash scheme) for the rewrite's private id sets: the
/// keys are short ids from the caller's own map and the document, and SipHash over every
/// 36-byte GUID met was a visible share of the pass. Only lookups use it; nothing iterates
/// these sets, so no output depends on the hash.
#[derive(Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

impl FastHasher {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(Self::K);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FastBuild = BuildHasherDefault<FastHasher>;

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

/// `REFERENCE_ATTRIBUTES.contains(name)` as a `match` (this runs for every attribute).
fn is_reference_attribute(name: &str) -> bool {
    matches!(
        name,
        "connectionId"
            | "operationId"
            | "mapId"
            | "processId"
            | "component"
            | "componentId"
            | "referenceComponentId"
            | "profileId"
            | "fromProfile"
            | "toProfile"
            | "requestProfile"
            | "responseProfile"
    )
}

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

/// `REFERENCE_ELEMENTS.contains(name)` as a `match` (this runs for every element).
fn is_reference_element(name: &str) -> bool {
    matches!(
        name,
        "connectionId"
            | "operationId"
            | "mapId"
            | "processId"
            | "componentId"
            | "referenceComponentId"
            | "profileId"
    )
}

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

/// Id characters: ASCII letters and digits, `-`, `_`, `.` (a lookup table: this is the
/// innermost loop of the rewrite).
static ID_BYTES: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.';
        i += 1;
    }
    t
};

#[inline]
pub(crate) fn is_id_byte(b: u8) -> bool {
    ID_BYTES[b as usize]
}

fn looks_like_id(v: &str) -> bool {
    !v.is_empty() && v.bytes().all(is_id_byte)
}

/// One whole-token match in a value: `start..end` (offsets in the value), dev id, prod id.
type Found<'m> = (usize, usize, &'m str, &'m str);

/// The dev→prod lookup, prepared for fast whole-token matching.
struct Matcher<'m> {
    tokens: HashMap<&'m str, &'m str, FastBuild>,
    /// Bit `n` set when some token key has length `n` (n < 128).
    lens: u128,
    has_long: bool,
    /// Every token key is a GUID ([`is_guid`]): runs are found from their first `-`.
    guid_keys: bool,
    /// No production id needs escaping in an attribute or text, nor contains `]]>`: every
    /// replacement is the production id as it is.
    plain: bool,
    /// Keys containing characters that are not id characters: matched by substring search.
    special: Vec<(&'m str, &'m str)>,
    /// The length of the shortest key: no shorter value holds a match.
    min_len: usize,
}

impl<'m> Matcher<'m> {
    fn new(map: &'m HashMap<String, String>) -> Self {
        let mut m = Matcher {
            tokens: HashMap::with_capacity_and_hasher(map.len(), FastBuild::default()),
            lens: 0,
            has_long: false,
            guid_keys: true,
            plain: true,
            special: Vec::new(),
            min_len: usize::MAX,
        };
        for (k, v) in map {
            if k.is_empty() {
                continue;
            }
            m.plain &= matches!(escape_attr_cow(v), Cow::Borrowed(_)) && !v.contains("]]>");
            m.min_len = m.min_len.min(k.len());
            if k.bytes().all(is_id_byte) {
                m.tokens.insert(k.as_str(), v.as_str());
                m.guid_keys &= is_guid(k);
                if k.len() < 128 {
                    m.lens |= 1u128 << k.len();
                } else {
                    m.has_long = true;
                }
            } else {
                m.special.push((k.as_str(), v.as_str()));
            }
        }
        m.guid_keys &= !m.tokens.is_empty();
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

    /// Non-overlapping whole-token matches in `raw`, into `out` (cleared first).
    fn find_into(&self, raw: &str, out: &mut Vec<Found<'m>>) {
        out.clear();
        if self.guid_keys {
            self.find_guids(raw, out);
        } else if !self.tokens.is_empty() {
            self.find_tokens(raw, out);
        }
        if !self.special.is_empty() {
            self.find_special(raw, out);
        }
    }

    /// Token keys: every maximal run of id characters looked up whole.
    fn find_tokens(&self, raw: &str, out: &mut Vec<Found<'m>>) {
        let b = raw.as_bytes();
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

    /// [`Matcher::find_tokens`] when every token key is a GUID. A run that matches is 36 id
    /// characters with its first `-` at offset 8, so jump from `-` to `-` (memchr) instead of
    /// walking every byte, and hash only a GUID-shaped run: the same matches.
    fn find_guids(&self, raw: &str, out: &mut Vec<Found<'m>>) {
        let b = raw.as_bytes();
        if b.len() < 36 {
            return; // no room for a GUID
        }
        let mut from = 0;
        while let Some(p) = memchr::memchr(b'-', &b[from..]) {
            let dash = from + p;
            from = dash + 1;
            let Some(s) = dash.checked_sub(8) else {
                continue;
            };
            let e = s + 36;
            let whole = e <= b.len()
                && (s == 0 || !is_id_byte(b[s - 1]))
                && (e == b.len() || !is_id_byte(b[e]));
            if !whole || b[s + 13] != b'-' || b[s + 18] != b'-' || b[s + 23] != b'-' {
                continue;
            }
            if let Some((k, v)) = raw.get(s..e).and_then(|t| self.tokens.get_key_value(t)) {
                out.push((s, e, *k, *v));
                from = e;
            }
        }
    }

    /// Special keys by substring search, merged with the token matches already in `out`:
    /// leftmost first, longest first at the same place, no overlaps.
    fn find_special(&self, raw: &str, out: &mut Vec<Found<'m>>) {
        let b = raw.as_bytes();
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
        out.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let mut end = None;
        out.retain(|m| {
            let keep = end.is_none_or(|e| m.0 >= e);
            if keep {
                end = Some(m.1);
            }
            keep
        });
    }
}

/// The text that replaces a dev id by `prod` where `ctx` says it lands.
fn replacement<'m>(prod: &'m str, ctx: Ctx, position: usize) -> Result<Cow<'m, str>, XmlError> {
    Ok(match ctx {
        Ctx::Attr => escape_attr_cow(prod),
        Ctx::Text => escape_text_cow(prod),
        Ctx::CData => {
            if prod.contains("]]>") {
                return Err(XmlError::Unrepresentable {
                    value: prod.to_string(),
                    position,
                    reason: "`]]>` cannot appear inside CDATA".into(),
                });
            }
            Cow::Borrowed(prod)
        }
    })
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
    start: usize,
}

/// One replacement: the edit and the dev id it replaces.
struct Hit<'m> {
    edit: Edit<'m>,
    dev: &'m str,
    prod: &'m str,
}

/// Reference finding and id rewriting as a state machine over the scanner's events, so the
/// fused promotion pass ([`super::promote`]) can run it together with the strip.
pub(crate) struct Rewriter<'m> {
    matcher: Option<Matcher<'m>>,
    /// Every reference occurrence with its byte position (deduplicated at the end).
    refs: Vec<(usize, Reference)>,
    seen_refs: HashSet<String, FastBuild>,
    hits: Vec<Hit<'m>>,
    /// Scratch buffer for [`Matcher::find_into`] (no allocation per value).
    found: Vec<Found<'m>>,
    captures: Vec<Capture>,
    /// Set by the fused pass while inside content that may still be blanked: references found
    /// then are kept provisionally (every occurrence) and filtered in [`Rewriter::finish`].
    pub provisional: bool,
}

impl<'m> Rewriter<'m> {
    pub fn new(map: Option<&'m HashMap<String, String>>) -> Self {
        Rewriter {
            matcher: map.map(Matcher::new),
            refs: Vec::new(),
            seen_refs: HashSet::default(),
            hits: Vec::new(),
            found: Vec::new(),
            captures: Vec::new(),
            provisional: false,
        }
    }

    fn add_ref(&mut self, pos: usize, id: &str, location: impl FnOnce() -> String) {
        let id = id.trim();
        // Everything in `seen_refs` looks like an id: ask the set first (most lookups hit).
        if self.seen_refs.contains(id) || !looks_like_id(id) {
            return;
        }
        if !self.provisional {
            self.seen_refs.insert(id.to_string());
        }
        self.refs.push((
            pos,
            Reference {
                id: id.to_string(),
                location: location(),
            },
        ));
    }

    /// Record the replacements in `raw` (at `base` in the input). Inlined up to the length
    /// test: most attribute values are shorter than any key.
    #[inline]
    fn rewrite(&mut self, raw: &str, base: usize, ctx: Ctx) -> Result<(), XmlError> {
        match &self.matcher {
            Some(m) if raw.len() >= m.min_len => self.rewrite_matches(raw, base, ctx),
            _ => Ok(()),
        }
    }

    fn rewrite_matches(&mut self, raw: &str, base: usize, ctx: Ctx) -> Result<(), XmlError> {
        let Some(m) = &self.matcher else {
            return Ok(());
        };
        m.find_into(raw, &mut self.found);
        for &(s, e, dev, prod) in &self.found {
            let text = if m.plain {
                Cow::Borrowed(prod)
            } else {
                replacement(prod, ctx, base + s)?
            };
            self.hits.push(Hit {
                edit: Edit {
                    start: base + s,
                    end: base + e,
                    text,
                },
                dev,
                prod,
            });
        }
        Ok(())
    }

    /// A start (or empty) tag at `depth`; attributes listed in `skip` are left alone (they are
    /// being blanked).
    pub fn on_start(
        &mut self,
        tok_start: usize,
        depth: usize,
        qname: &str,
        is_empty: bool,
        spans: &[AttrSpan<'_>],
        skip: &[usize],
    ) -> Result<(), XmlError> {
        if let Some(c) = self.captures.last_mut() {
            c.had_child = true;
        }
        let lname = local_name(qname);
        if depth == 1 && lname == "Component" {
            return Ok(()); // the wrapper describes the component itself
        }
        let field_ref = if lname == "field" {
            spans
                .iter()
                .find(|a| a.key == "id")
                .map(|a| a.unescaped())
                .transpose()?
                .filter(|id| REFERENCE_FIELDS.contains(&id.as_str()))
        } else {
            None
        };
        for (i, a) in spans.iter().enumerate() {
            if skip.contains(&i) {
                continue;
            }
            let is_ref = is_reference_attribute(a.key) || (field_ref.is_some() && a.key == "value");
            if is_ref {
                let location = || match &field_ref {
                    Some(id) if a.key == "value" => format!("field[@id='{id}']"),
                    _ => format!("{lname}/@{}", a.key),
                };
                if a.value.contains('&') {
                    let v = unescape(a.value, a.value_start)?;
                    self.add_ref(a.value_start, &v, location);
                } else {
                    self.add_ref(a.value_start, a.value, location);
                }
            }
            self.rewrite(a.value, a.value_start, Ctx::Attr)?;
        }
        if !is_empty {
            let location = if let Some(id) = field_ref {
                Some(format!("field[@id='{id}']"))
            } else if is_reference_element(lname) {
                Some(lname.to_string())
            } else {
                None
            };
            if let Some(location) = location {
                self.captures.push(Capture {
                    depth,
                    location,
                    text: String::new(),
                    had_child: false,
                    start: tok_start,
                });
            }
        }
        Ok(())
    }

    pub fn on_end(&mut self, depth: usize) {
        if self.captures.last().is_some_and(|c| c.depth == depth) {
            let c = self.captures.pop().expect("checked");
            if !c.had_child {
                let loc = c.location;
                self.add_ref(c.start, &c.text.clone(), || loc);
            }
        }
    }

    fn capture(&mut self, depth: usize) -> Option<&mut String> {
        self.captures
            .last_mut()
            .filter(|c| c.depth == depth)
            .map(|c| &mut c.text)
    }

    /// Text (raw, escaped) at `depth`; `rewrite` false inside content that will be blanked.
    pub fn on_text(
        &mut self,
        raw: &str,
        start: usize,
        depth: usize,
        rewrite: bool,
    ) -> Result<(), XmlError> {
        if self.captures.last().is_some_and(|c| c.depth == depth) {
            let t = unescape(raw, start)?;
            if let Some(c) = self.capture(depth) {
                c.push_str(&t);
            }
        }
        if rewrite && depth > 0 {
            self.rewrite(raw, start, Ctx::Text)?;
        }
        Ok(())
    }

    pub fn on_cdata(
        &mut self,
        raw: &str,
        start: usize,
        depth: usize,
        rewrite: bool,
    ) -> Result<(), XmlError> {
        if let Some(c) = self.capture(depth) {
            c.push_str(raw);
        }
        if rewrite {
            // `<![CDATA[` is 9 bytes.
            self.rewrite(raw, start + 9, Ctx::CData)?;
        }
        Ok(())
    }

    pub fn on_ref(&mut self, ch: char, depth: usize) {
        if let Some(c) = self.capture(depth) {
            c.push(ch);
        }
    }

    /// References and replacements outside the `blanked` ranges (sorted or not).
    pub fn finish(
        self,
        blanked: &[(usize, usize)],
    ) -> (Vec<Reference>, Vec<Edit<'m>>, Vec<(String, String)>) {
        // Blanked ranges may nest: merge them into sorted disjoint ranges, then one binary
        // search answers "is this position blanked?".
        let mut sorted = blanked.to_vec();
        sorted.sort_unstable();
        let mut ranges: Vec<(usize, usize)> = Vec::with_capacity(sorted.len());
        for r in sorted {
            match ranges.last_mut() {
                Some(last) if r.0 < last.1 => last.1 = last.1.max(r.1),
                _ => ranges.push(r),
            }
        }
        let inside = |p: usize| {
            let i = ranges.partition_point(|r| r.0 <= p);
            i > 0 && p < ranges[i - 1].1
        };
        let mut refs = Vec::new();
        let mut seen: HashSet<String, FastBuild> = HashSet::default();
        for (pos, r) in self.refs {
            if (ranges.is_empty() || !inside(pos)) && seen.insert(r.id.clone()) {
                refs.push(r);
            }
        }
        let mut edits = Vec::with_capacity(self.hits.len());
        let mut rewritten = Vec::new();
        // A dev id is always a key of the caller's map, borrowed from it: one address per
        // distinct id, so the address stands for the id (one word hashed, not the whole id).
        let mut seen_dev: HashSet<usize, FastBuild> = HashSet::default();
        for h in self.hits {
            if !ranges.is_empty() && inside(h.edit.start) {
                continue;
            }
            if seen_dev.insert(h.dev.as_ptr() as usize) {
                rewritten.push((h.dev.to_string(), h.prod.to_string()));
            }
            edits.push(h.edit);
        }
        (refs, edits, rewritten)
    }
}

/// Feed one scanner token to a rewriter on its own (no strip); `spans` is a reused buffer.
fn feed<'a>(
    xml: &'a str,
    rw: &mut Rewriter<'_>,
    tok: &Tok<'_>,
    spans: &mut Vec<AttrSpan<'a>>,
) -> Result<(), XmlError> {
    match &tok.event {
        Event::Start(e) | Event::Empty(e) => {
            attr_spans_into(xml, e, tok.start, spans)?;
            let spans = &spans[..];
            let is_empty = matches!(tok.event, Event::Empty(_));
            rw.on_start(tok.start, tok.depth, e.name().0, is_empty, spans, &[])
        }
        Event::End(_) => {
            rw.on_end(tok.depth);
            Ok(())
        }
        Event::Text(t) => rw.on_text(t.as_ref(), tok.start, tok.depth, true),
        Event::CData(c) => rw.on_cdata(c.as_ref(), tok.start, tok.depth, true),
        Event::GeneralRef(r) => {
            let ch = resolve_ref(r.as_ref(), tok.start)?;
            rw.on_ref(ch, tok.depth);
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The distinct component ids this component refers to, in document order (the root
/// element's own `componentId` excluded).
pub fn references(xml: &str) -> Result<Vec<Reference>, XmlError> {
    let mut sc = Scanner::new(xml);
    sc.check_attrs = false; // `feed` runs attr_spans on every start tag
    let mut rw = Rewriter::new(None);
    let mut spans = Vec::new();
    while let Some(tok) = sc.next()? {
        feed(xml, &mut rw, &tok, &mut spans)?;
    }
    Ok(rw.finish(&[]).0)
}

/// Replace every whole-token occurrence of a dev id (a key of `map`) by its production id, in
/// attribute values, text and CDATA, in one pass. See the module documentation for the rules.
pub fn rewrite_references(
    xml: &str,
    map: &HashMap<String, String>,
) -> Result<RewriteOutcome, XmlError> {
    let mut sc = Scanner::new(xml);
    sc.check_attrs = false; // `feed` runs attr_spans on every start tag
    let mut rw = Rewriter::new(Some(map));
    let mut spans = Vec::new();
    while let Some(tok) = sc.next()? {
        feed(xml, &mut rw, &tok, &mut spans)?;
    }
    let (refs, edits, rewritten) = rw.finish(&[]);
    Ok(RewriteOutcome {
        xml: apply_edits(xml, edits),
        references_rewritten: rewritten.len(),
        rewritten,
        unmapped: unmapped(refs, map),
    })
}

/// The references that have no mapping.
pub(crate) fn unmapped(refs: Vec<Reference>, map: &HashMap<String, String>) -> Vec<Reference> {
    refs.into_iter()
        .filter(|r| !map.contains_key(&r.id))
        .collect()
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
    fn guid_search_finds_what_the_token_walk_finds() {
        let g = |n: u32| format!("{n:08x}-1b2c-4d3e-8f40-{n:012x}");
        let m = map(&[(&g(1), "p1"), (&g(2), "p2"), (&g(3).to_uppercase(), "p3")]);
        let matcher = Matcher::new(&m);
        assert!(matcher.guid_keys);
        let inputs = [
            String::new(),
            g(1),
            format!("{} {}", g(1), g(2)),
            format!("{}{}", g(1), g(2)),
            format!("x{}", g(1)),
            format!("{}-", g(1)),
            format!("-{}.", g(2)),
            format!("é{}é,{}", g(1), g(3).to_uppercase()),
            format!("--{}--{} {}", g(1), g(2), g(3)),
            format!("{}\n\t{}&amp;", &g(2)[1..], g(2)),
            "2026-03-02T08:14:55Z - - -- 12345678-1234-1234-1234-123456789012".to_string(),
        ];
        for raw in &inputs {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            matcher.find_guids(raw, &mut a);
            matcher.find_tokens(raw, &mut b);
            assert_eq!(a, b, "{raw}");
        }
    }

    #[test]
    fn reference_list_and_match_agree() {
        for n in REFERENCE_ATTRIBUTES {
            assert!(is_reference_attribute(n), "{n}");
        }
        assert!(!is_reference_attribute("id"));
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
