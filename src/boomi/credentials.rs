//! Boomi API credentials: a platform user name and an API token.
//!
//! Basic auth user is `BOOMI_TOKEN.<user>`, password the token (`boomi-api.md` §1.2). Loaded
//! from a token file (`--token-file`, `BOOMI_TOKEN_FILE`: `user:token` or
//! `BOOMI_TOKEN.user:token`) or from `BOOMI_USERNAME` + `BOOMI_TOKEN`. The token never appears
//! in `Debug`, `Display` or errors.

use super::BoomiError;
use std::fmt;
use std::path::Path;

/// The prefix of an API-token user name.
pub const TOKEN_USER_PREFIX: &str = "BOOMI_TOKEN.";

/// A Boomi user and API token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    user: String,
    token: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("token", &"<redacted>")
            .finish()
    }
}

impl Credentials {
    /// From a user (with or without the `BOOMI_TOKEN.` prefix) and a token.
    pub fn new(user: impl Into<String>, token: impl Into<String>) -> Result<Self, BoomiError> {
        let user = user.into();
        let user = user
            .trim()
            .strip_prefix(TOKEN_USER_PREFIX)
            .unwrap_or(user.trim())
            .to_string();
        let token = token.into().trim().to_string();
        if user.is_empty() {
            return Err(BoomiError::Credentials("empty user name".into()));
        }
        if user.contains(':') {
            return Err(BoomiError::Credentials(
                "the user name must not contain ':'".into(),
            ));
        }
        if token.is_empty() {
            return Err(BoomiError::Credentials("empty token".into()));
        }
        Ok(Credentials { user, token })
    }

    /// Parse `user:token` or `BOOMI_TOKEN.user:token` (surrounding whitespace, a trailing
    /// newline and `#` comment lines are ignored).
    pub fn parse(text: &str) -> Result<Self, BoomiError> {
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .ok_or_else(|| BoomiError::Credentials("the token file is empty".into()))?;
        let (user, token) = line.split_once(':').ok_or_else(|| {
            BoomiError::Credentials("expected `user:token` (no ':' found)".into())
        })?;
        Credentials::new(user, token)
    }

    /// Read a token file.
    pub fn from_file(path: &Path) -> Result<Self, BoomiError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            BoomiError::Credentials(format!("cannot read token file {}: {e}", path.display()))
        })?;
        Credentials::parse(&text).map_err(|e| match e {
            BoomiError::Credentials(m) => {
                BoomiError::Credentials(format!("token file {}: {m}", path.display()))
            }
            other => other,
        })
    }

    /// Resolve from, in order: the given token file, `BOOMI_TOKEN_FILE`, `BOOMI_USERNAME` +
    /// `BOOMI_TOKEN`.
    pub fn resolve(token_file: Option<&Path>) -> Result<Self, BoomiError> {
        Self::resolve_with(token_file, |k| std::env::var(k).ok())
    }

    /// [`resolve`](Self::resolve) with an injected environment (for tests).
    pub fn resolve_with(
        token_file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, BoomiError> {
        if let Some(p) = token_file {
            return Credentials::from_file(p);
        }
        if let Some(p) = env("BOOMI_TOKEN_FILE").filter(|s| !s.trim().is_empty()) {
            return Credentials::from_file(Path::new(p.trim()));
        }
        match (env("BOOMI_USERNAME"), env("BOOMI_TOKEN")) {
            (Some(u), Some(t)) => Credentials::new(u, t),
            _ => Err(BoomiError::Credentials(
                "give --token-file, BOOMI_TOKEN_FILE, or BOOMI_USERNAME and BOOMI_TOKEN".into(),
            )),
        }
    }

    /// The platform user name (without the prefix).
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The Basic-auth user name: `BOOMI_TOKEN.<user>`.
    pub fn basic_user(&self) -> String {
        format!("{TOKEN_USER_PREFIX}{}", self.user)
    }

    /// The token (tests only; production code uses [`authorization`](Self::authorization)).
    #[cfg(test)]
    pub(crate) fn token(&self) -> &str {
        &self.token
    }

    /// The `Authorization` header value.
    pub(crate) fn authorization(&self) -> String {
        use base64::Engine;
        let raw = format!("{}:{}", self.basic_user(), self.token);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn parses_both_forms_and_redacts() {
        let a = Credentials::parse("BOOMI_TOKEN.alice@example.com:s3cr3t:x\n").unwrap();
        assert_eq!(a.user(), "alice@example.com");
        assert_eq!(a.token(), "s3cr3t:x");
        assert_eq!(a.basic_user(), "BOOMI_TOKEN.alice@example.com");
        let b = Credentials::parse("# comment\n\nalice@example.com:s3cr3t:x").unwrap();
        assert_eq!(a, b);
        let dbg = format!("{a:?}");
        assert!(dbg.contains("alice@example.com") && !dbg.contains("s3cr3t"));
        assert!(a.authorization().starts_with("Basic "));
        assert!(!a.authorization().contains("s3cr3t"));
    }

    #[test]
    fn rejects_malformed() {
        assert!(Credentials::parse("").is_err());
        assert!(Credentials::parse("no-colon").is_err());
        assert!(Credentials::parse(":token").is_err());
        assert!(Credentials::parse("user:").is_err());
        let e = Credentials::parse("user:").unwrap_err();
        assert_eq!(e.code(), crate::model::ErrorCode::AuthFailed);
    }

    #[test]
    fn resolution_order() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("tok");
        std::fs::write(&f, "file-user:file-token\n").unwrap();
        let env: HashMap<&str, String> = [
            ("BOOMI_USERNAME", "env-user".to_string()),
            ("BOOMI_TOKEN", "env-token".to_string()),
        ]
        .into();
        let get = |k: &str| env.get(k).cloned();
        assert_eq!(
            Credentials::resolve_with(Some(&f), get).unwrap().user(),
            "file-user"
        );
        assert_eq!(
            Credentials::resolve_with(None, get).unwrap().user(),
            "env-user"
        );
        let with_file_env = |k: &str| {
            if k == "BOOMI_TOKEN_FILE" {
                Some(f.display().to_string())
            } else {
                get(k)
            }
        };
        assert_eq!(
            Credentials::resolve_with(None, with_file_env).unwrap().user(),
            "file-user"
        );
        assert!(Credentials::resolve_with(None, |_| None).is_err());
        let missing = dir.path().join("nope");
        let e = Credentials::resolve_with(Some(&missing), |_| None).unwrap_err();
        assert!(e.to_string().contains("cannot read token file"));
    }
}
