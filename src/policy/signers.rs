//! OpenSSH `allowed_signers` files (ssh-keygen(1), ALLOWED SIGNERS): parse, match, export.
//!
//! Line format: `principals [options] keytype base64 [comment]`. Principals are a comma list of
//! patterns (`*`, `?`, `!negation`), optionally double-quoted. Options are comma separated;
//! `namespaces="a,b"`, `valid-after="YYYYMMDD[HHMM[SS]][Z]"`, `valid-before=...`,
//! `cert-authority`. Option values must be double-quoted, as OpenSSH requires.

use ssh_key::public::KeyData;
use ssh_key::PublicKey;
use std::fmt::Write as _;

/// One line of an allowed-signers file.
#[derive(Debug, Clone)]
pub struct SignerEntry {
    pub principals: Vec<String>,
    pub namespaces: Option<Vec<String>>,
    pub valid_after: Option<i64>,
    pub valid_before: Option<i64>,
    pub cert_authority: bool,
    pub key: PublicKey,
}

/// A parsed allowed-signers file.
#[derive(Debug, Clone, Default)]
pub struct AllowedSigners {
    pub entries: Vec<SignerEntry>,
}

/// A line that does not parse.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("allowed signers line {line}: {message}")]
pub struct SignersError {
    pub line: usize,
    pub message: String,
}

/// Split at the first unquoted whitespace; returns (token, rest).
fn take_token(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    let mut in_quote = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => in_quote = !in_quote,
            c if c.is_whitespace() && !in_quote => return (&s[..i], s[i..].trim_start()),
            _ => {}
        }
    }
    (s, "")
}

fn split_unquoted_commas(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut in_quote = false;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '"' => in_quote = !in_quote,
            ',' if !in_quote => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn unquote(v: &str) -> Result<&str, String> {
    v.strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .ok_or_else(|| "option values must be double-quoted (missing start quote)".to_string())
}

/// `YYYYMMDD`, `YYYYMMDDHHMM` or `YYYYMMDDHHMMSS`, optional trailing `Z` (UTC is assumed either
/// way here; write `Z` for files shared with OpenSSH).
fn parse_time(v: &str) -> Result<i64, String> {
    let digits = v.strip_suffix('Z').unwrap_or(v);
    let padded = match digits.len() {
        8 => format!("{digits}000000"),
        12 => format!("{digits}00"),
        14 => digits.to_string(),
        _ => return Err(format!("bad timestamp {v:?}")),
    };
    chrono::NaiveDateTime::parse_from_str(&padded, "%Y%m%d%H%M%S")
        .map(|t| t.and_utc().timestamp())
        .map_err(|_| format!("bad timestamp {v:?}"))
}

fn parse_key(s: &str) -> Option<PublicKey> {
    PublicKey::from_openssh(s.trim()).ok()
}

impl AllowedSigners {
    /// Parse the text of an allowed-signers file.
    pub fn parse(text: &str) -> Result<AllowedSigners, SignersError> {
        let mut entries = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |m: String| SignersError {
                line: i + 1,
                message: m,
            };
            let (principals, rest) = take_token(line);
            let principals = principals.trim_matches('"');
            if principals.is_empty() {
                return Err(err("no principals".into()));
            }
            // The key either follows the principals directly or after an options token.
            let (options, key) = match parse_key(rest) {
                Some(k) => (None, k),
                None => {
                    let (options, key_text) = take_token(rest);
                    let key = parse_key(key_text)
                        .ok_or_else(|| err(format!("no valid public key after {options:?}")))?;
                    (Some(options), key)
                }
            };
            let mut entry = SignerEntry {
                principals: principals.split(',').map(str::to_string).collect(),
                namespaces: None,
                valid_after: None,
                valid_before: None,
                cert_authority: false,
                key,
            };
            for opt in options.map(split_unquoted_commas).unwrap_or_default() {
                let (name, value) = match opt.split_once('=') {
                    Some((n, v)) => (n, Some(v)),
                    None => (opt, None),
                };
                match (name.to_ascii_lowercase().as_str(), value) {
                    ("cert-authority", None) => entry.cert_authority = true,
                    ("namespaces", Some(v)) => {
                        let v = unquote(v).map_err(&err)?;
                        entry.namespaces = Some(v.split(',').map(str::to_string).collect());
                    }
                    ("valid-after", Some(v)) => {
                        entry.valid_after =
                            Some(parse_time(unquote(v).map_err(&err)?).map_err(&err)?);
                    }
                    ("valid-before", Some(v)) => {
                        entry.valid_before =
                            Some(parse_time(unquote(v).map_err(&err)?).map_err(&err)?);
                    }
                    (other, _) => return Err(err(format!("unknown option {other:?}"))),
                }
            }
            entries.push(entry);
        }
        Ok(AllowedSigners { entries })
    }

    /// Read and parse a file.
    pub fn read(path: &std::path::Path) -> Result<AllowedSigners, SignersError> {
        let text = std::fs::read_to_string(path).map_err(|e| SignersError {
            line: 0,
            message: format!("cannot read {}: {e}", path.display()),
        })?;
        Self::parse(&text)
    }

    /// Entries for this key that allow the namespace and are valid now.
    pub fn find(&self, key: &KeyData, namespace: &str) -> Vec<&SignerEntry> {
        let now = chrono::Utc::now().timestamp();
        self.entries
            .iter()
            .filter(|e| !e.cert_authority && e.key.key_data() == key)
            .filter(|e| {
                e.namespaces
                    .as_ref()
                    .is_none_or(|ns| match_list(namespace, &ns.join(",")))
            })
            .filter(|e| {
                e.valid_after.is_none_or(|t| now >= t) && e.valid_before.is_none_or(|t| now <= t)
            })
            .collect()
    }

    /// Render as an OpenSSH allowed-signers file.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for e in &self.entries {
            let mut opts = Vec::new();
            if e.cert_authority {
                opts.push("cert-authority".to_string());
            }
            if let Some(ns) = &e.namespaces {
                opts.push(format!("namespaces=\"{}\"", ns.join(",")));
            }
            let key = e.key.to_openssh().unwrap_or_default();
            let principals = e.principals.join(",");
            if opts.is_empty() {
                let _ = writeln!(out, "{principals} {key}");
            } else {
                let _ = writeln!(out, "{principals} {} {key}", opts.join(","));
            }
        }
        out
    }
}

/// OpenSSH `match_pattern`: `*` and `?`.
fn glob(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) => glob(&p[1..], s) || (!s.is_empty() && glob(p, &s[1..])),
        (Some(b'?'), Some(_)) => glob(&p[1..], &s[1..]),
        (Some(a), Some(b)) if a == b => glob(&p[1..], &s[1..]),
        _ => false,
    }
}

/// OpenSSH `match_pattern_list`: any negated match → false; else any positive match.
pub fn match_list(s: &str, list: &str) -> bool {
    let mut pos = false;
    for pat in list.split(',') {
        if let Some(neg) = pat.strip_prefix('!') {
            if glob(neg.as_bytes(), s.as_bytes()) {
                return false;
            }
        } else if glob(pat.as_bytes(), s.as_bytes()) {
            pos = true;
        }
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGa6OnRnP1LKRlsq3tqWBKZuHEpmPBP6ib9tCcsvRNz/ demo";

    #[test]
    fn parses_lines_with_and_without_options() {
        let text = format!(
            "# comment\n\nalice@example.com {KEY}\n\"bob@example.com,b*@x.org\" namespaces=\"boomi-promoter,git\",valid-after=\"20240101Z\" {KEY}\n"
        );
        let s = AllowedSigners::parse(&text).unwrap();
        assert_eq!(s.entries.len(), 2);
        assert_eq!(s.entries[0].principals, vec!["alice@example.com"]);
        assert!(s.entries[0].namespaces.is_none());
        assert_eq!(s.entries[1].principals, vec!["bob@example.com", "b*@x.org"]);
        assert_eq!(
            s.entries[1].namespaces.as_deref(),
            Some(&["boomi-promoter".to_string(), "git".to_string()][..])
        );
        assert!(s.entries[1].valid_after.is_some());
    }

    #[test]
    fn unquoted_option_refused_like_openssh() {
        let e = AllowedSigners::parse(&format!("a@x.com namespaces=git {KEY}")).unwrap_err();
        assert!(e.message.contains("quote"), "{e}");
    }

    #[test]
    fn render_round_trips() {
        let s =
            AllowedSigners::parse(&format!("a@x.com namespaces=\"boomi-promoter\" {KEY}")).unwrap();
        let text = s.render();
        assert!(text.starts_with("a@x.com namespaces=\"boomi-promoter\" ssh-ed25519 "));
        let again = AllowedSigners::parse(&text).unwrap();
        assert_eq!(again.entries[0].key.key_data(), s.entries[0].key.key_data());
    }

    #[test]
    fn pattern_lists() {
        assert!(match_list("boomi-promoter", "git,boomi-*"));
        assert!(!match_list("boomi-promoter", "git,!boomi-*,*"));
        assert!(match_list("a", "?"));
        assert!(!match_list("ab", "?"));
    }
}
