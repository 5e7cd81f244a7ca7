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
//! 1. **Elements (the seeds' literal rule, plus `passphrase`).** An element whose name *as
//!    written* (with prefix) equals, case-sensitively, one of [`SENSITIVE_ELEMENTS`], or
//!    contains, ignoring ASCII case, one of [`SENSITIVE_NAME_PARTS`] (`password`, `passphrase`,
//!    `secret`, `key`, `token`, `credential`), loses all its children and text when its
//!    descendant text is not blank: `<password><EncryptedValue>x</EncryptedValue></password>`
//!    becomes `<password></password>`. Reported by element name; a nested target is reported
//!    too.
//! 2. **Hardening: sensitive names.** An attribute name or a `<field id>` value is *sensitive*
//!    when it equals, ignoring ASCII case, one of [`SENSITIVE_ATTRIBUTES`] (`password`, `host`,
//!    `url`, `port`, `jdbcUrl`, `connectionString`, …), or contains, ignoring ASCII case, one of
//!    [`SENSITIVE_ATTRIBUTE_PARTS`] (`password`, `passphrase`, `secret`, `token`, `apikey`,
//!    `privatekey`, `credential`); except the Boomi flags [`NOT_SENSITIVE_ATTRIBUTES`]
//!    (`allowDynamicCredentials`, `suppressBlankAccessToken`, exact spelling). None of the
//!    reference attributes the rewrite needs (`connectionId`, `operationId`, `mapId`,
//!    `processId`, `component`, `componentId`, …, `profile`) is sensitive (a unit test checks).
//! 3. **Hardening: connector fields.** A `<field>` element (any prefix) whose `type` attribute
//!    is `password` (ignoring ASCII case and surrounding whitespace), *whatever its id*, or whose
//!    `id` is sensitive (rule 2), loses its content the same way and its `value` attribute (the
//!    form Boomi's own exports use) is set to `""`. Surrounding whitespace in `id` is ignored.
//!    Reported as `field[@id='sshPassphrase']` (the id as written), or `field[@type='password']`
//!    when it has no id.
//! 4. **Hardening: attributes.** An attribute whose name is sensitive (rule 2) gets the value
//!    `""`, e.g. `<AuthSettings password="…">`, `<HttpSettings url="…">`,
//!    `<OAuthSettings accessToken="…">`. Reported as `AuthSettings/@password`.
//!
//! The name checks are allocation-free (ASCII case folding in place, one pass per name): they
//! run for every element and attribute.
//!
//! Blank (whitespace-only) values are left alone and not reported. Nothing else changes.

use super::rewrite::FastBuild;
use super::scan::{attr_spans, resolve_ref, AttrSpan, Scanner};
use super::{apply_edits, local_name, Edit, XmlError};
use quick_xml::events::Event;
use serde::Serialize;
use std::borrow::Cow;
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

/// Name parts that make an element a target when contained, case-insensitively (§6.1's list
/// plus `passphrase`). Lower-case ASCII.
pub const SENSITIVE_NAME_PARTS: &[&str] = &[
    "password",
    "passphrase",
    "secret",
    "key",
    "token",
    "credential",
];

/// Attribute names and generic `<field id>` values blanked on an exact match, ignoring ASCII
/// case (the hardening rules).
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

/// Name parts that make an attribute name or a `<field id>` value sensitive when contained,
/// ignoring ASCII case. Lower-case ASCII. Unlike [`SENSITIVE_NAME_PARTS`] there is no bare
/// `key`: only `apikey` and `privatekey`.
pub const SENSITIVE_ATTRIBUTE_PARTS: &[&str] = &[
    "password",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "privatekey",
    "credential",
];

/// Names (exact, case-sensitive) that contain a sensitive part but are Boomi flags, never a
/// secret or an environment value: blanking them would change what the promoted component
/// does (Boomi writes `<connectoraction allowDynamicCredentials="NONE">` on process connector
/// shapes). Not sensitive as attributes nor as `<field id>`; a `<field type="password">` is
/// blanked whatever its id.
pub const NOT_SENSITIVE_ATTRIBUTES: &[&str] =
    &["allowDynamicCredentials", "suppressBlankAccessToken"];

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

/// `SENSITIVE_ATTRIBUTES` matched ignoring ASCII case, without allocating: dispatch on the
/// length, then compare with the lower-cased entries of that length.
fn is_sensitive_attribute_exact(name: &[u8]) -> bool {
    let is = |entry: &[u8]| name.eq_ignore_ascii_case(entry);
    match name.len() {
        3 => is(b"url"),
        4 => is(b"host") || is(b"port"),
        6 => is(b"apikey"),
        7 => is(b"jdbcurl"),
        8 => is(b"password") || is(b"apitoken"),
        9 => is(b"secretkey"),
        10 => is(b"privatekey"),
        12 => is(b"clientsecret"),
        13 => is(b"proxypassword"),
        16 => is(b"connectionstring") || is(b"keystorepassword"),
        _ => false,
    }
}

/// `NOT_SENSITIVE_ATTRIBUTES.contains(name)` as a `match`.
fn is_exempt_attribute(name: &str) -> bool {
    matches!(name, "allowDynamicCredentials" | "suppressBlankAccessToken")
}

/// Is an attribute name, or a generic `<field id>` value, sensitive? An exact match of
/// [`SENSITIVE_ATTRIBUTES`] or a contained [`SENSITIVE_ATTRIBUTE_PARTS`] entry, both ignoring
/// ASCII case, unless it is one of [`NOT_SENSITIVE_ATTRIBUTES`]. Allocation-free (this runs for
/// every attribute).
pub(crate) fn is_sensitive_attribute(name: &str) -> bool {
    let b = name.as_bytes();
    (is_sensitive_attribute_exact(b) || ATTRIBUTE_PARTS.found_in(b)) && !is_exempt_attribute(name)
}

/// Does `hay` contain `needle` (ASCII, already lower-case) ignoring ASCII case? (The
/// reference for [`PartSet::found_in`].)
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
    is_sensitive_element_name(qname) || ELEMENT_PARTS.found_in(qname.as_bytes())
}

/// A list of name parts searched for in one pass over a name, ignoring ASCII case, without
/// allocating (this runs for every element and attribute).
struct PartSet {
    parts: &'static [&'static str],
    /// For each byte, the set (bit `p` for `parts[p]`) of the parts whose first letter it is,
    /// in either case.
    first: [u16; 256],
    /// The same for the second letter.
    second: [u16; 256],
    /// The length of the shortest part: no part starts later than `name.len() - min_len`.
    min_len: usize,
}

impl PartSet {
    /// At most 16 parts, each a lower-case ASCII string of at least two letters (checked at
    /// compile time).
    const fn new(parts: &'static [&'static str]) -> Self {
        assert!(!parts.is_empty() && parts.len() <= 16);
        let mut first = [0u16; 256];
        let mut second = [0u16; 256];
        let mut min_len = usize::MAX;
        let mut p = 0;
        while p < parts.len() {
            let part = parts[p].as_bytes();
            assert!(part.len() >= 2);
            let mut i = 0;
            while i < part.len() {
                assert!(part[i].is_ascii_lowercase());
                i += 1;
            }
            first[part[0] as usize] |= 1 << p;
            first[part[0].to_ascii_uppercase() as usize] |= 1 << p;
            second[part[1] as usize] |= 1 << p;
            second[part[1].to_ascii_uppercase() as usize] |= 1 << p;
            if part.len() < min_len {
                min_len = part.len();
            }
            p += 1;
        }
        PartSet {
            parts,
            first,
            second,
            min_len,
        }
    }

    /// `self.parts.iter().any(|p| contains_ci(name, p))`: at each position only the parts
    /// whose first two letters are there are compared in full (rarely any).
    fn found_in(&self, name: &[u8]) -> bool {
        let Some(last) = name.len().checked_sub(self.min_len) else {
            return false;
        };
        // `min_len >= 2`, so `name[i + 1]` exists for every `i <= last`.
        for (i, (&a, &b)) in name[..=last].iter().zip(&name[1..]).enumerate() {
            let mut set = self.first[a as usize] & self.second[b as usize];
            while set != 0 {
                let part = self.parts[set.trailing_zeros() as usize].as_bytes();
                set &= set - 1;
                if name
                    .get(i..i + part.len())
                    .is_some_and(|w| w.eq_ignore_ascii_case(part))
                {
                    return true;
                }
            }
        }
        false
    }
}

static ELEMENT_PARTS: PartSet = PartSet::new(SENSITIVE_NAME_PARTS);
static ATTRIBUTE_PARTS: PartSet = PartSet::new(SENSITIVE_ATTRIBUTE_PARTS);

/// The value of an attribute with its references resolved, borrowed when it has none.
fn attr_value<'a>(a: &AttrSpan<'a>) -> Result<Cow<'a, str>, XmlError> {
    if a.value.contains('&') {
        Ok(Cow::Owned(a.unescaped()?))
    } else {
        Ok(Cow::Borrowed(a.value))
    }
}

/// The report name of a `<field>` whose content and `value` attribute are blanked, or `None`:
/// a field of `type="password"` (any case), or whose `id` is sensitive
/// ([`is_sensitive_attribute`]). Reported by id (`field[@id='sshPassphrase']`), or as
/// `field[@type='password']` when it has none.
fn sensitive_field(spans: &[AttrSpan<'_>]) -> Result<Option<String>, XmlError> {
    let mut id = None;
    let mut password_type = false;
    for a in spans {
        match a.key {
            "id" => id = Some(attr_value(a)?),
            "type" => password_type = attr_value(a)?.trim().eq_ignore_ascii_case("password"),
            _ => {}
        }
    }
    Ok(match id {
        Some(id) if password_type || is_sensitive_attribute(id.trim()) => {
            Some(format!("field[@id='{id}']"))
        }
        None if password_type => Some("field[@type='password']".to_string()),
        _ => None,
    })
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
        let field = if local_name(qname) == "field" {
            sensitive_field(spans)?
        } else {
            None
        };
        for (i, a) in spans.iter().enumerate() {
            let blank_it = is_sensitive_attribute(a.key) || (field.is_some() && a.key == "value");
            if blank_it && !a.value.trim().is_empty() {
                self.edits.push(Edit::delete(a.value_start, a.value_end()));
                blanked_attrs.push(i);
                let name = match (&field, a.key) {
                    (Some(report), "value") => report.clone(),
                    _ => format!("{qname}/@{}", a.key),
                };
                self.found.push((my_order, name));
            }
        }
        if is_empty {
            return Ok(blanked_attrs);
        }
        let target = field.or_else(|| is_sensitive_element(qname).then(|| qname.to_string()));
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
    fn part_sets_know_their_shortest_part() {
        assert_eq!(ELEMENT_PARTS.min_len, 3, "key");
        assert_eq!(ATTRIBUTE_PARTS.min_len, 5, "token");
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
            "passphras",
            "sshPassphrase",
            "PASSPHRASE",
            "pass",
            "ppassword",
            "ppassphrase",
            "secre",
            "SecretToken",
            "tok",
            "Token",
            "credentia",
            "myCredential",
            "connectoraction",
            "k",
            "apikey",
            "apiKe",
            "ApiKey",
            "privatekey",
            "privateKe",
            "PRIVATEKEYPASSPHRASE",
            "pAsSpHrAsE",
            "tOKEN",
            "keY",
            "ke",
            "xkey",
            "parameters",
            "privateKe",
            "prkey",
            "sk",
            "cсredential",
        ] {
            for set in [&ELEMENT_PARTS, &ATTRIBUTE_PARTS] {
                let want = set
                    .parts
                    .iter()
                    .any(|p| contains_ci(name.as_bytes(), p.as_bytes()));
                assert_eq!(
                    set.found_in(name.as_bytes()),
                    want,
                    "{name} {:?}",
                    set.parts
                );
            }
        }
    }

    #[test]
    fn sensitive_names_table() {
        for (name, want) in [
            // The attack: capitalised and upper-case ids.
            ("Password", true),
            ("PASSWORD", true),
            ("password", true),
            ("sshPassphrase", true),
            ("privateKeyPassphrase", true),
            ("apiKey", true),
            ("ApiKey", true),
            ("APIKEY", true),
            ("clientSecret", true),
            ("oauthToken", true),
            ("userCredentials", true),
            ("accessToken", true),
            ("proxyPassword", true),
            // The exact list, any case.
            ("host", true),
            ("HOST", true),
            ("Url", true),
            ("port", true),
            ("jdbcUrl", true),
            ("JDBCURL", true),
            ("connectionString", true),
            ("ConnectionString", true),
            // Negatives.
            ("connectionId", false),
            ("operationId", false),
            ("name", false),
            ("type", false),
            ("profile", false),
            ("id", false),
            ("value", false),
            ("hostname", false),
            ("urls", false),
            ("key", false),
            ("routeKey", false),
            ("username", false),
            ("passwd", false),
            // Boomi flags that contain a part.
            ("allowDynamicCredentials", false),
            ("suppressBlankAccessToken", false),
            ("AllowDynamicCredentials", true),
        ] {
            assert_eq!(is_sensitive_attribute(name), want, "{name}");
        }
    }

    #[test]
    fn reference_attributes_and_fields_are_never_sensitive() {
        use crate::xml::{REFERENCE_ATTRIBUTES, REFERENCE_ELEMENTS, REFERENCE_FIELDS};
        for n in REFERENCE_ATTRIBUTES
            .iter()
            .chain(REFERENCE_ELEMENTS)
            .chain(REFERENCE_FIELDS)
        {
            assert!(!is_sensitive_attribute(n), "{n}");
            assert!(!is_sensitive_attribute(&n.to_ascii_uppercase()), "{n}");
            assert!(!is_sensitive_element(n), "{n}");
        }
        // And the rewrite still sees them after a strip: nothing but secrets is blanked.
        let x = wrap(
            "process",
            r#"<connectoraction allowDynamicCredentials="NONE" connectionId="c-1" operationId="o-1" password="p"/><map mapId="m-1"/><processcall processId="p-1"/><sourceProfile component="s-1"/><x componentId="x-1" referenceComponentId="r-1" profileId="f-1" fromProfile="a-1" toProfile="b-1" requestProfile="q-1" responseProfile="z-1"/><field id="profile" type="string" value="pf-1"/><connectionId>c-2</connectionId>"#,
        );
        let o = strip_env_config(&x, None).unwrap();
        assert_eq!(o.stripped, vec!["connectoraction/@password"]);
        assert_eq!(
            o.xml,
            x.replace(r#"password="p""#, r#"password="""#),
            "only the password goes"
        );
        let refs: Vec<String> = crate::xml::references(&o.xml)
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        for id in [
            "c-1", "o-1", "m-1", "p-1", "s-1", "x-1", "r-1", "f-1", "a-1", "b-1", "q-1", "z-1",
            "pf-1", "c-2",
        ] {
            assert!(refs.iter().any(|r| r == id), "{id} lost: {refs:?}");
        }
    }

    #[test]
    fn exact_attribute_match_agrees_with_the_list() {
        let reference = |n: &str| {
            SENSITIVE_ATTRIBUTES
                .iter()
                .any(|e| e.eq_ignore_ascii_case(n))
        };
        let mut names: Vec<String> = vec![String::new(), "x".into(), "hosts".into(), "ur".into()];
        for n in SENSITIVE_ATTRIBUTES {
            names.push(n.to_string());
            names.push(n.to_ascii_uppercase());
            names.push(format!("{n}x"));
            names.push(n[1..].to_string());
            names.push(n[..n.len() - 1].to_string());
            names.push(format!("z{}", &n[1..]));
        }
        for n in &names {
            assert_eq!(
                is_sensitive_attribute_exact(n.as_bytes()),
                reference(n),
                "{n}"
            );
        }
        for n in SENSITIVE_ATTRIBUTES {
            assert!(is_sensitive_attribute_exact(n.as_bytes()), "{n}");
        }
        for n in NOT_SENSITIVE_ATTRIBUTES {
            assert!(is_exempt_attribute(n), "{n}");
            // An exemption only means something for a name that would otherwise match.
            assert!(ATTRIBUTE_PARTS.found_in(n.as_bytes()), "{n}");
        }
    }

    #[test]
    fn password_type_fields_are_blanked_whatever_their_id() {
        let x = wrap(
            "connector-settings",
            r#"<GenericConnectorConfig xmlns=""><field id="Password" type="password" value="P1-secret"/><field id="PASSWORD" type="string" value="P2-secret"/><field id="sshPassphrase" type="password" value="P3-secret"/><field id="loginInfo" type="PASSWORD" value="P4-secret"/><field id="other" type="password">P5-secret</field><field type="password" value="P6-secret"/><field id="enc" type="password"><EncryptedValue>P7-secret</EncryptedValue></field><field id="blank" type="password" value=" "/><field id="timeout" type="integer" value="30"/><field id="mode" type="string" value="passive"/></GenericConnectorConfig>"#,
        );
        let o = strip_env_config(&x, None).unwrap();
        assert_eq!(
            o.stripped,
            vec![
                "field[@id='Password']",
                "field[@id='PASSWORD']",
                "field[@id='sshPassphrase']",
                "field[@id='loginInfo']",
                "field[@id='other']",
                "field[@type='password']",
                "field[@id='enc']",
                "EncryptedValue",
            ]
        );
        for n in 1..=7 {
            assert!(!o.xml.contains(&format!("P{n}-secret")), "P{n}: {}", o.xml);
        }
        for kept in [
            r#"<field id="Password" type="password" value=""/>"#,
            r#"<field id="loginInfo" type="PASSWORD" value=""/>"#,
            r#"<field id="other" type="password"></field>"#,
            r#"<field type="password" value=""/>"#,
            r#"<field id="enc" type="password"></field>"#,
            r#"<field id="blank" type="password" value=" "/>"#,
            r#"<field id="timeout" type="integer" value="30"/>"#,
            r#"<field id="mode" type="string" value="passive"/>"#,
        ] {
            assert!(o.xml.contains(kept), "{kept}: {}", o.xml);
        }
    }

    #[test]
    fn escaped_type_and_id_are_resolved() {
        let x = wrap(
            "operation",
            r#"<field id="x" type="pass&#119;ord" value="E1-secret"/><field id="api&#75;ey" value="E2-secret"/>"#,
        );
        let o = strip_env_config(&x, None).unwrap();
        assert_eq!(o.stripped, vec!["field[@id='x']", "field[@id='apiKey']"]);
        assert!(!o.xml.contains("E1-secret") && !o.xml.contains("E2-secret"));
    }

    #[test]
    fn passphrase_elements_are_blanked() {
        let x = wrap(
            "process",
            "<p><sshPassphrase>X1-secret</sshPassphrase><PassPhrase>X2-secret</PassPhrase><passage>kept</passage></p>",
        );
        let o = strip_env_config(&x, None).unwrap();
        assert_eq!(o.stripped, vec!["sshPassphrase", "PassPhrase"]);
        assert!(o.xml.contains("<passage>kept</passage>"));
        assert!(!o.xml.contains("X1-secret") && !o.xml.contains("X2-secret"));
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
        assert!(is_sensitive_attribute("Password"));
        assert!(!is_sensitive_element_name("hostname"));
        assert!(
            !is_sensitive_element_name("Password"),
            "the exact element list is case-sensitive"
        );
        assert!(is_sensitive_element("Password"), "but contains `password`");
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
