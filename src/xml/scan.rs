//! The one tokenizer every XML function uses: quick-xml's borrowing reader plus the checks
//! quick-xml leaves to the caller (DOCTYPE refusal, undefined entities, a single root, balanced
//! tags at end of input, no text outside the root, attribute syntax), and the byte span of
//! every event and attribute so callers can edit the original text in place.
//!
//! Attributes are split in one pass with exactly quick-xml's attribute grammar; a tag whose
//! attributes that grammar refuses goes through quick-xml's own iterator, so errors are its.

use super::XmlError;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

/// One event with its byte span `start..end` in the input and the element depth it sits at
/// (0 = outside the root; for `Start`/`Empty` the depth of the element itself, root = 1).
pub(crate) struct Tok<'a> {
    pub start: usize,
    pub end: usize,
    pub depth: usize,
    pub event: Event<'a>,
}

pub(crate) struct Scanner<'a> {
    src: &'a str,
    reader: Reader<&'a [u8]>,
    depth: usize,
    seen_root: bool,
    finished: bool,
    /// Bytes skipped before the reader's input (a UTF-8 byte-order mark).
    base: usize,
    /// Check every start tag's attributes. A caller that runs [`attr_spans`] (which makes the
    /// same checks) on every start tag turns this off to parse attributes once.
    pub check_attrs: bool,
}

impl<'a> Scanner<'a> {
    pub fn new(src: &'a str) -> Self {
        // quick-xml skips a byte-order mark and counts positions after it; hand it the text
        // after the BOM and add the BOM's length back, so positions are offsets into `src`.
        let base = if src.starts_with('\u{feff}') { 3 } else { 0 };
        let mut reader = Reader::from_str(&src[base..]);
        let cfg = reader.config_mut();
        cfg.check_end_names = true;
        cfg.allow_unmatched_ends = false;
        cfg.check_comments = true;
        cfg.expand_empty_elements = false;
        cfg.trim_text(false);
        Scanner {
            src,
            reader,
            depth: 0,
            seen_root: false,
            finished: false,
            base,
            check_attrs: true,
        }
    }

    fn pos(&self) -> usize {
        self.base + self.reader.buffer_position() as usize
    }

    fn err(&self, position: usize, message: impl Into<String>) -> XmlError {
        XmlError::Parse {
            position,
            message: message.into(),
        }
    }

    /// The next event, `None` at a well-formed end of input.
    pub fn next(&mut self) -> Result<Option<Tok<'a>>, XmlError> {
        if self.finished {
            return Ok(None);
        }
        let start = self.pos();
        let event = match self.reader.read_event() {
            Ok(ev) => ev,
            Err(e) => {
                let position = self.base + self.reader.error_position() as usize;
                return Err(self.err(position, e.to_string()));
            }
        };
        let end = self.pos();
        let mut depth = self.depth;
        match &event {
            Event::DocType(_) => return Err(XmlError::Doctype { position: start }),
            Event::Start(e) | Event::Empty(e) => {
                if self.depth == 0 {
                    if self.seen_root {
                        return Err(self.err(start, "more than one root element"));
                    }
                    self.seen_root = true;
                }
                // Attribute syntax and entity references inside values.
                if self.check_attrs {
                    validate_attrs(self.src, e, start)?;
                }
                if matches!(event, Event::Start(_)) {
                    self.depth += 1;
                }
                depth += 1;
            }
            Event::End(_) => {
                // quick-xml refuses unmatched and mismatched end tags itself.
                self.depth = self.depth.saturating_sub(1);
                depth = self.depth + 1;
            }
            Event::Text(t) => {
                if self.depth == 0 && !t.as_ref().trim().is_empty() {
                    return Err(self.err(start, "text outside the root element"));
                }
            }
            Event::CData(_) => {
                if self.depth == 0 {
                    return Err(self.err(start, "CDATA outside the root element"));
                }
            }
            Event::GeneralRef(r) => {
                if self.depth == 0 {
                    return Err(self.err(start, "entity reference outside the root element"));
                }
                resolve_ref(r.as_ref(), start)?;
            }
            Event::Decl(_) => {
                if start != self.base {
                    return Err(self.err(start, "XML declaration not at the start of the input"));
                }
            }
            Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => {
                self.finished = true;
                if self.depth > 0 {
                    return Err(
                        self.err(self.src.len(), "unexpected end of input: unclosed element")
                    );
                }
                if !self.seen_root {
                    return Err(self.err(self.src.len(), "no root element"));
                }
                return Ok(None);
            }
        }
        Ok(Some(Tok {
            start,
            end,
            depth,
            event,
        }))
    }
}

/// Resolve the body of an entity reference (`amp`, `#10`, `#x41`) to its character.
pub(crate) fn resolve_ref(name: &str, position: usize) -> Result<char, XmlError> {
    if let Some(num) = name.strip_prefix('#') {
        let code = if let Some(hex) = num.strip_prefix('x') {
            u32::from_str_radix(hex, 16).ok()
        } else {
            num.parse::<u32>().ok()
        };
        let ch = code.and_then(char::from_u32).filter(|c| {
            matches!(*c, '\t' | '\n' | '\r') || (*c >= ' ' && *c != '\u{FFFE}' && *c != '\u{FFFF}')
        });
        return match ch {
            Some(c) => Ok(c),
            None => Err(XmlError::Parse {
                position,
                message: format!("invalid character reference `&{name};`"),
            }),
        };
    }
    quick_xml::escape::resolve_predefined_entity(name)
        .and_then(|s| s.chars().next())
        .ok_or_else(|| XmlError::UndefinedEntity {
            name: name.to_string(),
            position,
        })
}

/// Unescape raw text (or a raw attribute value) that starts at byte `position` of the input:
/// predefined entities and character references. Errors point at the offending `&`.
pub(crate) fn unescape(raw: &str, position: usize) -> Result<String, XmlError> {
    if !raw.contains('&') {
        return Ok(raw.to_string());
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let at = position + (raw.len() - rest.len()) + i;
        let after = &rest[i + 1..];
        let Some(j) = after.find(';') else {
            return Err(XmlError::Parse {
                position: at,
                message: "unterminated entity reference".into(),
            });
        };
        out.push(resolve_ref(&after[..j], at)?);
        rest = &after[j + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// One attribute of a start tag, with its byte positions in the whole input.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AttrSpan<'a> {
    pub key: &'a str,
    /// The raw (escaped) value, without quotes.
    pub value: &'a str,
    /// Offset of the first byte of the key.
    pub key_start: usize,
    /// Offset of the first byte of the value (after the opening quote).
    pub value_start: usize,
    /// Offset just past the closing quote.
    pub end: usize,
}

impl<'a> AttrSpan<'a> {
    pub fn value_end(&self) -> usize {
        self.value_start + self.value.len()
    }

    pub fn unescaped(&self) -> Result<String, XmlError> {
        unescape(self.value, self.value_start)
    }
}

fn offset_in(src: &str, part: &str) -> Option<usize> {
    let s = src.as_ptr() as usize;
    let p = part.as_ptr() as usize;
    (p >= s && p + part.len() <= s + src.len()).then(|| p - s)
}

/// Check a start tag's attributes without collecting them: syntax, duplicates, `<` in a value,
/// undefined entities.
fn validate_attrs(src: &str, e: &BytesStart<'_>, tag_start: usize) -> Result<(), XmlError> {
    for a in e.attributes() {
        let a = a.map_err(|err| XmlError::Parse {
            position: tag_start,
            message: format!("bad attribute: {err}"),
        })?;
        let v: &str = a.value.as_ref();
        if v.contains('<') || v.contains('&') {
            let at = offset_in(src, v).unwrap_or(tag_start);
            if v.contains('<') {
                return Err(XmlError::Parse {
                    position: at,
                    message: format!("`<` in the value of attribute `{}`", a.key.0),
                });
            }
            unescape(v, at)?;
        }
    }
    Ok(())
}

/// The attributes of a start tag read from `src` (the tag must borrow from `src`), with spans.
/// Refuses malformed attributes, duplicates, `<` in a value and undefined entities.
pub(crate) fn attr_spans<'a>(
    src: &'a str,
    e: &BytesStart<'_>,
    tag_start: usize,
) -> Result<Vec<AttrSpan<'a>>, XmlError> {
    let mut out = Vec::new();
    attr_spans_into(src, e, tag_start, &mut out)?;
    Ok(out)
}

/// [`attr_spans`] into a reused buffer (cleared first): the hot loops parse attributes once per
/// tag without allocating.
pub(crate) fn attr_spans_into<'a>(
    src: &'a str,
    e: &BytesStart<'_>,
    tag_start: usize,
    out: &mut Vec<AttrSpan<'a>>,
) -> Result<(), XmlError> {
    out.clear();
    if !split_attrs(src, e.attributes_raw(), out)? {
        // Something quick-xml's grammar refuses: let quick-xml find it and say what it is.
        out.clear();
        return attr_spans_by_quick_xml(src, e, tag_start, out);
    }
    Ok(())
}

/// Byte classes for [`split_attrs`]: XML whitespace (as quick-xml's attribute parser counts
/// it), `=`, and the two quotes.
const SPACE: u8 = 1;
const EQ: u8 = 2;
const QUOTE: u8 = 4;

static ATTR_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b' ' as usize] = SPACE;
    t[b'\r' as usize] = SPACE;
    t[b'\n' as usize] = SPACE;
    t[b'\t' as usize] = SPACE;
    t[b'=' as usize] = EQ;
    t[b'"' as usize] = QUOTE;
    t[b'\'' as usize] = QUOTE;
    t
};

#[inline]
fn class(b: u8) -> u8 {
    ATTR_CLASS[b as usize]
}

/// Does an attribute value hold a `<` or `&` (what [`check_attr`] looks into)? No early exit,
/// so the loop vectorises: values are short and rarely hold either.
fn has_mark(value: &str) -> bool {
    value
        .bytes()
        .fold(false, |m, c| m | (c == b'<') | (c == b'&'))
}

/// The attributes in `raw` (the text of a start tag after its name, borrowed from `src`) read
/// with exactly the grammar of quick-xml's XML attribute iterator: optional whitespace, a key
/// (at least one byte, up to `=` or whitespace), optional whitespace, `=`, optional whitespace,
/// a value in `"` or `'`. Each attribute is checked ([`check_attr`]) as soon as it is read, as
/// the iterator path does. `Ok(false)` at the first thing that grammar refuses, or when `raw`
/// is not part of `src`: the caller then lets quick-xml report it.
fn split_attrs<'a>(src: &'a str, raw: &str, out: &mut Vec<AttrSpan<'a>>) -> Result<bool, XmlError> {
    let Some(base) = offset_in(src, raw) else {
        return Ok(false);
    };
    let b = raw.as_bytes();
    let skip_space = |mut i: usize| {
        while i < b.len() && class(b[i]) == SPACE {
            i += 1;
        }
        i
    };
    let mut i = skip_space(0);
    while i < b.len() {
        let key_start = i;
        i += 1;
        while i < b.len() && class(b[i]) & (SPACE | EQ) == 0 {
            i += 1;
        }
        let key_end = i;
        i = skip_space(i);
        if b.get(i) != Some(&b'=') {
            return Ok(false);
        }
        i = skip_space(i + 1);
        let Some(&quote) = b.get(i).filter(|&&q| class(q) & QUOTE != 0) else {
            return Ok(false);
        };
        let value_start = i + 1;
        let Some(len) = memchr::memchr(quote, &b[value_start..]) else {
            return Ok(false); // no closing quote
        };
        let j = value_start + len;
        // Every position used is next to an ASCII byte, so a char boundary.
        let span = AttrSpan {
            key: &src[base + key_start..base + key_end],
            value: &src[base + value_start..base + j],
            key_start: base + key_start,
            value_start: base + value_start,
            end: base + j + 1,
        };
        check_attr(out, &span, has_mark(span.value))?;
        out.push(span);
        i = skip_space(j + 1);
    }
    Ok(true)
}

/// [`attr_spans_into`] through quick-xml's attribute iterator: the path for tags whose
/// attributes [`split_attrs`] refuses, so errors are quick-xml's own.
fn attr_spans_by_quick_xml<'a>(
    src: &'a str,
    e: &BytesStart<'_>,
    tag_start: usize,
    out: &mut Vec<AttrSpan<'a>>,
) -> Result<(), XmlError> {
    // Duplicates are checked by `check_attr` (no per-tag allocation in quick-xml).
    for a in e.attributes().with_checks(false) {
        let a = a.map_err(|err| XmlError::Parse {
            position: tag_start,
            message: format!("bad attribute: {err}"),
        })?;
        let key_ref: &str = a.key.as_ref();
        let (Some(key_start), Some(value_start)) =
            (offset_in(src, key_ref), offset_in(src, a.value.as_ref()))
        else {
            return Err(XmlError::Parse {
                position: tag_start,
                message: "internal: attribute not borrowed from the input".into(),
            });
        };
        let key = &src[key_start..key_start + key_ref.len()];
        let value = &src[value_start..value_start + a.value.len()];
        let span = AttrSpan {
            key,
            value,
            key_start,
            value_start,
            end: value_start + value.len() + 1,
        };
        check_attr(out, &span, has_mark(span.value))?;
        out.push(span);
    }
    Ok(())
}

/// Refuse `<` in the value, an undefined entity in it, or a key already in `before`. `marked`:
/// the value holds a `<` or `&` (the caller has just scanned it).
fn check_attr(before: &[AttrSpan<'_>], a: &AttrSpan<'_>, marked: bool) -> Result<(), XmlError> {
    if marked {
        if a.value.contains('<') {
            return Err(XmlError::Parse {
                position: a.value_start,
                message: format!("`<` in the value of attribute `{}`", a.key),
            });
        }
        unescape(a.value, a.value_start)?;
    }
    if before.iter().any(|o| o.key == a.key) {
        return Err(XmlError::Parse {
            position: a.key_start,
            message: format!("duplicate attribute `{}`", a.key),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(src: &str) -> Result<usize, XmlError> {
        let mut sc = Scanner::new(src);
        let mut n = 0;
        while sc.next()?.is_some() {
            n += 1;
        }
        Ok(n)
    }

    #[test]
    fn spans_cover_the_input() {
        let src = "<?xml version=\"1.0\"?>\n<a x='1'><!--c--><b/>t&amp;<![CDATA[z]]></a>";
        let mut sc = Scanner::new(src);
        let mut at = 0;
        while let Some(t) = sc.next().unwrap() {
            assert_eq!(t.start, at);
            at = t.end;
        }
        assert_eq!(at, src.len());
    }

    #[test]
    fn refuses_bad_documents() {
        for (src, what) in [
            ("<a><b></a>", "mismatch"),
            ("<a>", "unclosed"),
            ("<a/><b/>", "two roots"),
            ("x<a/>", "text outside"),
            ("", "empty"),
            ("<a>&lol;</a>", "entity"),
            ("<a x='&lol;'/>", "entity in attribute"),
            ("<a x='1' x='2'/>", "duplicate"),
            ("<a x=1/>", "unquoted"),
            ("<!DOCTYPE a><a/>", "doctype"),
            ("<a>&#0;</a>", "bad char ref"),
        ] {
            assert!(run(src).is_err(), "{what}: {src}");
        }
        assert_eq!(
            run("<a>&lol;</a>").unwrap_err(),
            XmlError::UndefinedEntity {
                name: "lol".into(),
                position: 3
            }
        );
        assert_eq!(
            run("<a x='ok &amp; &lol;'/>").unwrap_err(),
            XmlError::UndefinedEntity {
                name: "lol".into(),
                position: 15
            }
        );
    }

    #[test]
    fn leading_bom_is_accepted() {
        assert_eq!(run("\u{feff}<?xml version=\"1.0\"?><a/>").unwrap(), 2);
        assert_eq!(run("\u{feff}<a/>").unwrap(), 1);
        // Spans stay offsets into the input, BOM included.
        let src = "\u{feff}<a x='1'>t</a>";
        let mut sc = Scanner::new(src);
        let t = sc.next().unwrap().unwrap();
        assert_eq!(&src[t.start..t.end], "<a x='1'>");
        let Event::Start(e) = &t.event else { panic!() };
        let spans = attr_spans(src, e, t.start).unwrap();
        assert_eq!(spans[0].value_start, 9);
    }

    #[test]
    fn split_attrs_agrees_with_quick_xml() {
        for tag in [
            "<a/>",
            "<a x='1'/>",
            "<a  k=\"v&amp;w\" j = 'x' />",
            "<a x=\"1\"y='2'/>",
            "<a\n\tx\r\n=\n\"1\"\t/>",
            "<a =x=\"1\"/>",
            "<a x=\"é'\" y='\"'/>",
            "<a x=\"\"/>",
            "<a x/>",
            "<a x=1/>",
            "<a x= />",
            "<a x='1' x='2'/>",
            "<a x='1<'/>",
            "<a x='&lol;' y/>",
            "<a x='1' / >",
        ] {
            let src = format!("{tag}<b/>");
            let mut r = Reader::from_str(&src);
            let (Ok(Event::Empty(e)) | Ok(Event::Start(e))) = r.read_event() else {
                panic!("{tag}")
            };
            let mut fast = Vec::new();
            let mut slow = Vec::new();
            let f = attr_spans_into(&src, &e, 0, &mut fast);
            let s = attr_spans_by_quick_xml(&src, &e, 0, &mut slow);
            assert_eq!(f, s, "{tag}");
            if f.is_ok() {
                assert_eq!(fast.len(), slow.len(), "{tag}");
                for (a, b) in fast.iter().zip(&slow) {
                    let t = |a: &AttrSpan<'_>| (a.key_start, a.value_start, a.end, a.value.len());
                    assert_eq!((a.key, a.value), (b.key, b.value), "{tag}");
                    assert_eq!(t(a), t(b), "{tag}");
                }
            }
        }
    }

    #[test]
    fn attribute_spans() {
        let src = r#"<a  k="v&amp;w" j = 'x' />"#;
        let mut sc = Scanner::new(src);
        let t = sc.next().unwrap().unwrap();
        let Event::Empty(e) = &t.event else { panic!() };
        let spans = attr_spans(src, e, t.start).unwrap();
        assert_eq!(spans.len(), 2);
        assert_eq!(&src[spans[0].key_start..spans[0].end], r#"k="v&amp;w""#);
        assert_eq!(spans[0].unescaped().unwrap(), "v&w");
        assert_eq!(&src[spans[1].key_start..spans[1].end], "j = 'x'");
        assert_eq!(&src[spans[1].value_start..spans[1].value_end()], "x");
    }
}
