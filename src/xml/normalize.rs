//! `normalize` (`seed-behaviors.md` §6.3, with attributes sorted): a stable pretty form so two
//! versions of a component diff line by line without noise.
//!
//! - empty or whitespace-only input → `""`; unparseable input → an error (not a placeholder);
//! - two spaces of indent per level, one element per line; an element holding only text stays
//!   on one line; an element with nothing in it is written `<x/>`;
//! - whitespace-only text between elements is dropped; text with content is kept verbatim
//!   (re-escaped; in mixed content, beside child elements, it is trimmed and put on its own
//!   line), CDATA becomes escaped text; comments, processing instructions and the XML
//!   declaration are dropped;
//! - attributes sorted by name as written, values re-escaped (`&`, `<`, `>`, `"`); namespace
//!   declarations are kept as plain attributes, including `xmlns=""`;
//! - trailing whitespace stripped from every line, lines joined with `\n`, no final newline.
//!
//! The output is itself well-formed XML and `normalize(normalize(x)) == normalize(x)`.

use super::scan::{attr_spans, resolve_ref, unescape, Scanner};
use super::{escape_text, XmlError};
use quick_xml::events::Event;

struct Frame {
    open: String,
    name: String,
    text: String,
    has_children: bool,
    depth: usize,
}

fn escape_norm_attr(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\t' => s.push_str("&#9;"),
            '\n' => s.push_str("&#10;"),
            '\r' => s.push_str("&#13;"),
            c => s.push(c),
        }
    }
    s
}

fn push_line(out: &mut Vec<String>, depth: usize, content: &str) {
    let mut line = "  ".repeat(depth);
    line.push_str(content);
    out.push(line);
}

/// Flush a parent's pending text (when it has real content) as its own line. In mixed content
/// the whitespace around the text is indentation, so it is trimmed.
fn flush_text(out: &mut Vec<String>, f: &mut Frame) {
    if !f.text.trim().is_empty() {
        let t = escape_text(f.text.trim());
        push_line(out, f.depth + 1, &t);
    }
    f.text.clear();
}

/// Normalise a document (see the module documentation).
pub fn normalize(xml: &str) -> Result<String, XmlError> {
    if xml.trim().is_empty() {
        return Ok(String::new());
    }
    let mut sc = Scanner::new(xml);
    sc.check_attrs = false; // attr_spans runs on every start tag
    let mut lines: Vec<String> = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    while let Some(tok) = sc.next()? {
        match &tok.event {
            Event::Start(e) | Event::Empty(e) => {
                let name: &str = e.name().0;
                let mut attrs = attr_spans(xml, e, tok.start)?;
                attrs.sort_by(|a, b| a.key.cmp(b.key));
                let mut open = format!("<{name}");
                for a in &attrs {
                    let v = unescape(a.value, a.value_start)?;
                    open.push_str(&format!(" {}=\"{}\"", a.key, escape_norm_attr(&v)));
                }
                if let Some(parent) = stack.last_mut() {
                    if !parent.has_children {
                        parent.has_children = true;
                        push_line(&mut lines, parent.depth, &format!("{}>", parent.open));
                    }
                    flush_text(&mut lines, parent);
                }
                let depth = stack.len();
                if matches!(tok.event, Event::Empty(_)) {
                    push_line(&mut lines, depth, &format!("{open}/>"));
                } else {
                    stack.push(Frame {
                        open,
                        name: name.to_string(),
                        text: String::new(),
                        has_children: false,
                        depth,
                    });
                }
            }
            Event::End(_) => {
                let Some(mut f) = stack.pop() else { continue };
                if f.has_children {
                    flush_text(&mut lines, &mut f);
                    push_line(&mut lines, f.depth, &format!("</{}>", f.name));
                } else if f.text.trim().is_empty() {
                    push_line(&mut lines, f.depth, &format!("{}/>", f.open));
                } else {
                    let t = escape_text(&f.text);
                    push_line(&mut lines, f.depth, &format!("{}>{t}</{}>", f.open, f.name));
                }
            }
            Event::Text(t) => {
                if let Some(f) = stack.last_mut() {
                    f.text.push_str(&unescape(t.as_ref(), tok.start)?);
                }
            }
            Event::CData(c) => {
                if let Some(f) = stack.last_mut() {
                    f.text.push_str(c.as_ref());
                }
            }
            Event::GeneralRef(r) => {
                let ch = resolve_ref(r.as_ref(), tok.start)?;
                if let Some(f) = stack.last_mut() {
                    f.text.push(ch);
                }
            }
            _ => {}
        }
    }
    let mut out = String::with_capacity(xml.len());
    let mut first = true;
    for line in &lines {
        for l in line.split('\n') {
            if !first {
                out.push('\n');
            }
            first = false;
            out.push_str(l.trim_end());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_of_the_output() {
        let x = "<?xml version=\"1.0\"?>\n<a z=\"1\" b='x&amp;y'>\n  <!-- c --><?pi x?>\n  <b>  keep  me </b>\n  <c></c><d><![CDATA[a<b]]></d>\n  <e xmlns=\"\"><f/>tail</e>\n</a>\n";
        assert_eq!(
            normalize(x).unwrap(),
            "<a b=\"x&amp;y\" z=\"1\">\n  <b>  keep  me </b>\n  <c/>\n  <d>a&lt;b</d>\n  <e xmlns=\"\">\n    <f/>\n    tail\n  </e>\n</a>"
        );
    }

    #[test]
    fn attribute_order_does_not_matter_and_idempotent() {
        let a = normalize(r#"<r><x b="2" a="1"/></r>"#).unwrap();
        let b = normalize(r#"<r><x a="1"  b='2'></x></r>"#).unwrap();
        assert_eq!(a, b);
        assert_eq!(normalize(&a).unwrap(), a);
    }

    #[test]
    fn empty_and_errors() {
        assert_eq!(normalize("  \n").unwrap(), "");
        assert!(normalize("<a>").is_err());
        assert!(matches!(
            normalize("<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>"),
            Err(XmlError::Doctype { .. })
        ));
    }
}
