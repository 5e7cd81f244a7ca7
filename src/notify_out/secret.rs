//! Reading a [`SecretRef`] (an environment variable or a file on the daemon's host) into a
//! [`Secret`] whose `Debug` never shows the value.

use super::NotifyError;
use crate::model::SecretRef;

/// A secret value. `Debug` prints `Secret(***)`; the value is reachable only by
/// [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value, for the one place that must use it (the SMTP login, the HMAC key).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Read the secret `what` (named in errors, e.g. "SMTP password") from the environment
/// variable or the file `r` names. The environment wins when both are given. A file's trailing
/// line break is dropped. Empty values are refused. Errors name the variable or the file,
/// never the value.
pub fn resolve(what: &'static str, r: &SecretRef) -> Result<Secret, NotifyError> {
    if let Some(var) = r.env.as_deref().filter(|v| !v.is_empty()) {
        match std::env::var(var) {
            Ok(v) if !v.is_empty() => return Ok(Secret(v)),
            Ok(_) => {
                if r.file.is_none() {
                    return Err(NotifyError::Secret {
                        what,
                        reason: format!("environment variable {var} is empty"),
                    });
                }
            }
            Err(e) => {
                if r.file.is_none() {
                    return Err(NotifyError::Secret {
                        what,
                        reason: format!("environment variable {var}: {e}"),
                    });
                }
            }
        }
    }
    if let Some(path) = r.file.as_deref().filter(|p| !p.is_empty()) {
        let raw = std::fs::read_to_string(path).map_err(|e| NotifyError::Secret {
            what,
            reason: format!("file {path}: {e}"),
        })?;
        let v = raw.trim_end_matches(['\r', '\n']);
        if v.is_empty() {
            return Err(NotifyError::Secret {
                what,
                reason: format!("file {path} is empty"),
            });
        }
        return Ok(Secret(v.to_owned()));
    }
    Err(NotifyError::Secret {
        what,
        reason: "neither `env` nor `file` is set".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value() {
        let s = Secret::new("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn reads_a_file_without_its_line_break() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pw");
        std::fs::write(&p, "s3cret\n").unwrap();
        let r = SecretRef {
            env: None,
            file: Some(p.to_string_lossy().into_owned()),
        };
        assert_eq!(resolve("SMTP password", &r).unwrap().expose(), "s3cret");
    }

    #[test]
    fn errors_name_the_source_not_the_value() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("empty");
        std::fs::write(&p, "\n").unwrap();
        let r = SecretRef {
            env: None,
            file: Some(p.to_string_lossy().into_owned()),
        };
        let e = resolve("webhook secret", &r).unwrap_err().to_string();
        assert!(
            e.contains("webhook secret") && e.contains("is empty"),
            "{e}"
        );

        let missing = SecretRef {
            env: Some("PROMOTER_TEST_SURELY_UNSET_VARIABLE_4711".into()),
            file: None,
        };
        let e = resolve("SMTP password", &missing).unwrap_err().to_string();
        assert!(
            e.contains("PROMOTER_TEST_SURELY_UNSET_VARIABLE_4711"),
            "{e}"
        );

        let none = SecretRef {
            env: None,
            file: None,
        };
        assert!(resolve("SMTP password", &none).is_err());
    }

    #[test]
    fn the_environment_wins_over_the_file() {
        let var = "PROMOTER_TEST_NOTIFY_SECRET_4713";
        std::env::set_var(var, "from-env");
        let r = SecretRef {
            env: Some(var.into()),
            file: Some("/nonexistent/secret".into()),
        };
        assert_eq!(resolve("SMTP password", &r).unwrap().expose(), "from-env");
        std::env::remove_var(var);
        let e = resolve("SMTP password", &r).unwrap_err().to_string();
        assert!(e.contains("/nonexistent/secret"), "{e}");
    }

    #[test]
    fn an_unset_variable_falls_back_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pw");
        std::fs::write(&p, "from-file").unwrap();
        let r = SecretRef {
            env: Some("PROMOTER_TEST_SURELY_UNSET_VARIABLE_4712".into()),
            file: Some(p.to_string_lossy().into_owned()),
        };
        assert_eq!(resolve("SMTP password", &r).unwrap().expose(), "from-file");
    }
}
