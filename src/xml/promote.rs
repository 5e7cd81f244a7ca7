//! `promote`: strip → rewrite → production root element in **one** pass over the XML.
//!
//! The result is identical to running [`strip_env_config`](super::strip_env_config),
//! [`rewrite_references`](super::rewrite_references) and [`to_production`](super::to_production)
//! one after the other (a property test checks this), but the document is tokenised once: the
//! rewrite skips attribute values being blanked and content inside elements being blanked, and
//! references found in blanked content are dropped, exactly as if the strip had run first.

use super::production::root_edits;
use super::rewrite::{unmapped, Rewriter};
use super::scan::{attr_spans_into, resolve_ref, Scanner};
use super::strip::Stripper;
use super::{apply_edits, ProductionTarget, Reference, XmlError};
use quick_xml::events::Event;
use serde::Serialize;
use std::collections::HashMap;

/// The result of [`promote`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PromoteOutcome {
    /// The production XML.
    pub xml: String,
    pub component_type: String,
    pub config_stripped: bool,
    pub stripped: Vec<String>,
    pub rewritten: Vec<(String, String)>,
    pub references_rewritten: usize,
    pub unmapped: Vec<Reference>,
}

/// Strip, rewrite with `map`, and set the production root element, in one pass.
pub fn promote(
    xml: &str,
    component_type: Option<&str>,
    map: &HashMap<String, String>,
    target: &ProductionTarget<'_>,
) -> Result<PromoteOutcome, XmlError> {
    let mut sc = Scanner::new(xml);
    sc.check_attrs = false; // attr_spans runs on every start tag
    let mut st = Stripper::new(component_type);
    let mut rw = Rewriter::new(Some(map));
    let mut root: Vec<super::Edit<'static>> = Vec::new();
    let mut seen_root = false;
    let mut spans = Vec::new();
    while let Some(tok) = sc.next()? {
        // References met inside content that may yet be blanked are only provisional.
        rw.provisional = st.in_target();
        match &tok.event {
            Event::Start(e) | Event::Empty(e) => {
                let is_empty = matches!(tok.event, Event::Empty(_));
                let qname = e.name().0;
                attr_spans_into(xml, e, tok.start, &mut spans)?;
                let skip = st.on_start(tok.start, tok.end, qname, is_empty, &spans)?;
                if !seen_root {
                    seen_root = true;
                    root = root_edits(xml, tok.start, qname, &spans, target)?;
                }
                // Inside content that may be blanked, references and replacements are still
                // recorded; `finish` drops those that fall in blanked content.
                rw.on_start(tok.start, tok.depth, qname, is_empty, &spans, &skip)?;
            }
            Event::End(_) => {
                st.on_end(tok.start);
                rw.on_end(tok.depth);
            }
            Event::Text(t) => {
                let raw: &str = t.as_ref();
                if st.in_target() {
                    st.on_text(raw.trim().is_empty());
                }
                rw.on_text(raw, tok.start, tok.depth, true)?;
            }
            Event::CData(c) => {
                let raw: &str = c.as_ref();
                if st.in_target() {
                    st.on_text(raw.trim().is_empty());
                }
                rw.on_cdata(raw, tok.start, tok.depth, true)?;
            }
            Event::GeneralRef(r) => {
                let ch = resolve_ref(r.as_ref(), tok.start)?;
                if st.in_target() {
                    st.on_text(ch.is_whitespace());
                }
                rw.on_ref(ch, tok.depth);
            }
            _ => {}
        }
    }
    let (mut strip_edits, blanked, strip) = st.finish();
    let (refs, rw_edits, rewritten) = rw.finish(&blanked);
    // Root edits come first; the rewrite's are in document order; the strip's nearly so. Merge
    // rather than sort the whole list.
    strip_edits.sort_by_key(|e| (e.start, e.end));
    let mut edits = root;
    edits.reserve(strip_edits.len() + rw_edits.len());
    let (mut a, mut b) = (
        strip_edits.into_iter().peekable(),
        rw_edits.into_iter().peekable(),
    );
    loop {
        let take_a = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => (x.start, x.end) <= (y.start, y.end),
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        let next = if take_a { a.next() } else { b.next() };
        edits.extend(next);
    }
    Ok(PromoteOutcome {
        xml: apply_edits(xml, edits),
        component_type: strip.component_type,
        config_stripped: strip.config_stripped,
        stripped: strip.stripped,
        references_rewritten: rewritten.len(),
        rewritten,
        unmapped: unmapped(refs, map),
    })
}
