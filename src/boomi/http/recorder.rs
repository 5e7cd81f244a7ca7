//! The `--record-http` traffic record: one JSON line per HTTP exchange, appended to a file,
//! with secrets masked (encrypted extension values in JSON bodies, password fields and
//! attributes in component XML). The Authorization header is never written.

use crate::boomi::BoomiError;
use serde_json::Value;
use std::io::Write;
use std::sync::Mutex;

/// The traffic record file.
pub(super) struct Recorder {
    file: Mutex<std::fs::File>,
}

impl Recorder {
    pub(super) fn open(path: &std::path::Path) -> Result<Self, BoomiError> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| {
                BoomiError::Config(format!("cannot open record file {}: {e}", path.display()))
            })?;
        Ok(Recorder {
            file: Mutex::new(file),
        })
    }

    pub(super) fn write(&self, entry: &Value) {
        let mut line = entry.to_string();
        line.push('\n');
        if let Ok(mut f) = self.file.lock() {
            if let Err(e) = f.write_all(line.as_bytes()) {
                tracing::warn!(error = %e, "cannot write the HTTP traffic record");
            }
        }
    }
}

/// Mask secret values in a JSON body before it is recorded: the `value` of any object that
/// says `usesEncryption: true` or `encrypted: true`.
fn redact_secrets(v: &mut Value) {
    match v {
        Value::Object(map) => {
            let secret = [map.get("usesEncryption"), map.get("encrypted")]
                .iter()
                .any(|f| {
                    matches!(f, Some(Value::Bool(true)))
                        || matches!(f, Some(Value::String(s)) if s.eq_ignore_ascii_case("true"))
                });
            if secret {
                if let Some(val) = map.get_mut("value") {
                    *val = Value::String("<redacted>".into());
                }
            }
            for (_, child) in map.iter_mut() {
                redact_secrets(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_secrets),
        _ => {}
    }
}

pub(super) fn recorded_body(text: Option<String>, json: bool) -> Value {
    match text {
        None => Value::Null,
        Some(t) if json => match serde_json::from_str::<Value>(t.trim_start_matches('\u{feff}')) {
            Ok(mut v) => {
                redact_secrets(&mut v);
                Value::String(v.to_string())
            }
            Err(_) => Value::String(t),
        },
        Some(t)
            if t.trim_start_matches('\u{feff}')
                .trim_start()
                .starts_with('<') =>
        {
            Value::String(redact_xml_secrets(&t))
        }
        Some(t) => Value::String(t),
    }
}

/// Mask secrets in component XML before it is recorded: the `value` attribute of a
/// `<field ... type="password">` and any attribute named `password`. Everything else is kept
/// as it was (the record is a debugging aid).
pub fn redact_xml_secrets(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let tag_and_more = &rest[lt..];
        // A start tag ends at the first '>' outside quotes.
        let mut end = None;
        let mut quote: Option<char> = None;
        for (i, c) in tag_and_more.char_indices().skip(1) {
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if c == '"' || c == '\'' => quote = Some(c),
                None if c == '>' => {
                    end = Some(i + 1);
                    break;
                }
                None => {}
            }
        }
        let Some(end) = end else {
            out.push_str(tag_and_more);
            return out;
        };
        out.push_str(&redact_tag(&tag_and_more[..end]));
        rest = &tag_and_more[end..];
    }
    out.push_str(rest);
    out
}

fn redact_tag(tag: &str) -> String {
    let name_end = tag[1..]
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .map(|i| i + 1)
        .unwrap_or(tag.len());
    let name = &tag[1..name_end];
    if name.starts_with(['/', '!', '?']) {
        return tag.to_string();
    }
    let local = name.rsplit(':').next().unwrap_or(name);
    // Parse attributes (name, quote, value span).
    let mut attrs: Vec<(String, usize, usize)> = Vec::new();
    let b = tag.as_bytes();
    let mut i = name_end;
    while i < b.len() {
        while i < b.len() && (b[i] as char).is_whitespace() {
            i += 1;
        }
        let start = i;
        while i < b.len() && !matches!(b[i], b'=' | b'>' | b'/') && !(b[i] as char).is_whitespace()
        {
            i += 1;
        }
        let key = tag[start..i].to_string();
        while i < b.len() && (b[i] as char).is_whitespace() {
            i += 1;
        }
        if i >= b.len() || b[i] != b'=' {
            i += 1;
            continue;
        }
        i += 1;
        while i < b.len() && (b[i] as char).is_whitespace() {
            i += 1;
        }
        if i >= b.len() || !matches!(b[i], b'"' | b'\'') {
            continue;
        }
        let q = b[i];
        let vstart = i + 1;
        let Some(len) = tag[vstart..].find(q as char) else {
            break;
        };
        attrs.push((key, vstart, vstart + len));
        i = vstart + len + 1;
    }
    let attr_value = |k: &str| {
        attrs
            .iter()
            .find(|(n, _, _)| n == k)
            .map(|(_, s, e)| &tag[*s..*e])
    };
    let password_field =
        local == "field" && attr_value("type").is_some_and(|t| t.eq_ignore_ascii_case("password"));
    let mut out = String::with_capacity(tag.len());
    let mut last = 0;
    for (k, s, e) in &attrs {
        let local_key = k.rsplit(':').next().unwrap_or(k);
        let secret =
            local_key.eq_ignore_ascii_case("password") || (password_field && local_key == "value");
        if secret && s < e {
            out.push_str(&tag[last..*s]);
            out.push_str("&lt;redacted&gt;");
            last = *e;
        }
    }
    out.push_str(&tag[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_in_the_record() {
        let v = recorded_body(
            Some(r#"{"connections":{"connection":[{"field":[{"id":"password","value":"hunter2","usesEncryption":true},{"id":"host","value":"db.local"}]}]}}"#.into()),
            true,
        );
        let s = v.as_str().unwrap();
        assert!(!s.contains("hunter2"));
        assert!(s.contains("db.local"));
    }

    #[test]
    fn secrets_are_masked_in_recorded_xml() {
        let xml = r#"<bns:Component xmlns:bns="http://api.platform.boomi.com/" name="a>b"><bns:object><DatabaseSettings xmlns=""><field id="host" type="string" value="db.local"/><field id="password" type="password" value="hunter2"/><AuthSettings user="svc" password='s3cret'/><field value="x&gt;" type="PASSWORD" id="p2"/></DatabaseSettings><!-- <field type="password" value="c"/> --></bns:object></bns:Component>"#;
        let v = recorded_body(Some(xml.to_string()), false);
        let s = v.as_str().unwrap();
        assert!(
            !s.contains("hunter2") && !s.contains("s3cret") && !s.contains("x&gt;"),
            "{s}"
        );
        assert!(s.contains(r#"<field id="host" type="string" value="db.local"/>"#));
        assert!(s.contains(r#"user="svc" password='&lt;redacted&gt;'"#));
        assert!(s.contains(r#"name="a>b""#));
        assert!(quick_xml::Reader::from_str(s).read_event().is_ok());
        assert_eq!(redact_xml_secrets("no tags"), "no tags");
        assert_eq!(redact_xml_secrets("<a b=\"1\""), "<a b=\"1\"");
    }
}
