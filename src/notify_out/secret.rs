//! Reading a [`SecretRef`] (an environment variable or a file on the daemon's host) into a
//! [`Secret`] whose `Debug` never shows the value, inside the operator's [`SecretFence`]: only
//! `PROMOTER_SECRET_*` variables, only files under `--secrets-dir`, never the Boomi
//! credentials — whatever a signed `promoter.yaml` asks for.

use super::NotifyError;
use crate::model::SecretRef;
use std::path::{Component, Path, PathBuf};

pub use crate::model::validate::SECRET_ENV_PREFIX;

/// Where secrets may come from: the operator's choice, never the repository's.
#[derive(Debug, Clone, Default)]
pub struct SecretFence {
    /// `--secrets-dir`: secret files are read only below it. `None`: no file secrets at all.
    pub dir: Option<PathBuf>,
    /// Files never read as a secret, wherever they are (the Boomi token file).
    pub deny: Vec<PathBuf>,
}

impl SecretFence {
    /// A fence with a secrets directory.
    pub fn with_dir(dir: impl Into<PathBuf>) -> Self {
        SecretFence {
            dir: Some(dir.into()),
            deny: Vec::new(),
        }
    }

    /// The file a reference names, if the fence lets it be read.
    fn file(&self, name: &str) -> Result<PathBuf, String> {
        let Some(dir) = &self.dir else {
            return Err(format!(
                "file {name:?}: file secrets are read only under the operator's --secrets-dir, and none is given"
            ));
        };
        let rel = Path::new(name);
        if rel.is_absolute()
            || rel
                .components()
                .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
        {
            return Err(format!(
                "file {name:?}: a secret file is a path relative to --secrets-dir, without `..`"
            ));
        }
        let base = std::fs::canonicalize(dir)
            .map_err(|e| format!("--secrets-dir {}: {e}", dir.display()))?;
        let path = std::fs::canonicalize(base.join(rel))
            .map_err(|e| format!("file {name:?} under --secrets-dir: {e}"))?;
        // A symbolic link must not lead out of the directory.
        if !path.starts_with(&base) {
            return Err(format!("file {name:?} leads out of --secrets-dir"));
        }
        for d in &self.deny {
            if std::fs::canonicalize(d).is_ok_and(|d| d == path) {
                return Err(format!(
                    "file {name:?} holds the Boomi credentials, which never leave the daemon"
                ));
            }
        }
        Ok(path)
    }
}

pub use crate::model::validate::secret_reference_problem as reference_problem;

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
/// variable or the file `r` names, inside `fence`. The environment wins when both are given. A
/// file's trailing line break is dropped. Empty values are refused. Errors name the variable or
/// the file, never the value.
pub fn resolve(
    what: &'static str,
    r: &SecretRef,
    fence: &SecretFence,
) -> Result<Secret, NotifyError> {
    if let Some(reason) = reference_problem(r) {
        return Err(NotifyError::Secret {
            what,
            reason: format!("refused: {reason}"),
        });
    }
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
    if let Some(name) = r.file.as_deref().filter(|p| !p.is_empty()) {
        let path = fence.file(name).map_err(|reason| NotifyError::Secret {
            what,
            reason: format!("refused: {reason}"),
        })?;
        let path = path.display().to_string();
        let raw = std::fs::read_to_string(&path).map_err(|e| NotifyError::Secret {
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

    fn file_ref(name: &str) -> SecretRef {
        SecretRef {
            env: None,
            file: Some(name.into()),
        }
    }

    #[test]
    fn debug_hides_the_value() {
        let s = Secret::new("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn reads_a_file_under_the_secrets_dir_without_its_line_break() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pw"), "s3cret\n").unwrap();
        let fence = SecretFence::with_dir(dir.path());
        assert_eq!(
            resolve("SMTP password", &file_ref("pw"), &fence)
                .unwrap()
                .expose(),
            "s3cret"
        );
        assert_eq!(
            resolve("SMTP password", &file_ref("./pw"), &fence)
                .unwrap()
                .expose(),
            "s3cret"
        );
    }

    #[test]
    fn the_fence_refuses_what_the_repository_must_not_reach() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = dir.path().join("secrets");
        std::fs::create_dir(&secrets).unwrap();
        std::fs::write(dir.path().join("token"), "boomi-token").unwrap();
        std::fs::write(secrets.join("ok"), "fine").unwrap();
        let mut fence = SecretFence::with_dir(&secrets);
        // Table: reference → the refusal names this.
        let cases: Vec<(SecretRef, &str)> = vec![
            (
                SecretRef {
                    env: Some("BOOMI_TOKEN".into()),
                    file: None,
                },
                "PROMOTER_SECRET_",
            ),
            (
                SecretRef {
                    env: Some("PROMOTER_SECRET_".into()),
                    file: None,
                },
                "PROMOTER_SECRET_",
            ),
            (file_ref("../token"), "without `..`"),
            (
                file_ref(&dir.path().join("token").to_string_lossy()),
                "relative",
            ),
        ];
        for (r, says) in &cases {
            let e = resolve("SMTP password", r, &fence).unwrap_err().to_string();
            assert!(e.contains("refused") && e.contains(says), "{r:?}: {e}");
            assert!(!e.contains("boomi-token"), "{e}");
            assert!(reference_problem(r).is_some(), "{r:?}");
        }
        // A symbolic link out of the directory is refused too.
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("token"), secrets.join("link")).unwrap();
            let e = resolve("SMTP password", &file_ref("link"), &fence)
                .unwrap_err()
                .to_string();
            assert!(e.contains("leads out of --secrets-dir"), "{e}");
        }
        // The Boomi token file is never read, even when it lies in the directory.
        std::fs::write(secrets.join("boomi"), "boomi-token").unwrap();
        fence.deny.push(secrets.join("boomi"));
        let e = resolve("SMTP password", &file_ref("boomi"), &fence)
            .unwrap_err()
            .to_string();
        assert!(e.contains("Boomi credentials"), "{e}");
        // Without --secrets-dir no file is read at all.
        let e = resolve("SMTP password", &file_ref("ok"), &SecretFence::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("--secrets-dir"), "{e}");
        assert_eq!(
            resolve("SMTP password", &file_ref("ok"), &fence)
                .unwrap()
                .expose(),
            "fine"
        );
    }

    #[test]
    fn errors_name_the_source_not_the_value() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("empty"), "\n").unwrap();
        let fence = SecretFence::with_dir(dir.path());
        let e = resolve("webhook secret", &file_ref("empty"), &fence)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("webhook secret") && e.contains("is empty"),
            "{e}"
        );

        let missing = SecretRef {
            env: Some("PROMOTER_SECRET_SURELY_UNSET_VARIABLE_4711".into()),
            file: None,
        };
        let e = resolve("SMTP password", &missing, &fence)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("PROMOTER_SECRET_SURELY_UNSET_VARIABLE_4711"),
            "{e}"
        );

        let none = SecretRef {
            env: None,
            file: None,
        };
        assert!(resolve("SMTP password", &none, &fence).is_err());
    }

    #[test]
    fn the_environment_wins_over_the_file() {
        let var = "PROMOTER_SECRET_NOTIFY_TEST_4713";
        std::env::set_var(var, "from-env");
        let r = SecretRef {
            env: Some(var.into()),
            file: Some("nonexistent-secret".into()),
        };
        let fence = SecretFence::with_dir(std::env::temp_dir());
        assert_eq!(
            resolve("SMTP password", &r, &fence).unwrap().expose(),
            "from-env"
        );
        std::env::remove_var(var);
        let e = resolve("SMTP password", &r, &fence)
            .unwrap_err()
            .to_string();
        assert!(e.contains("nonexistent-secret"), "{e}");
    }

    #[test]
    fn an_unset_variable_falls_back_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pw"), "from-file").unwrap();
        let r = SecretRef {
            env: Some("PROMOTER_SECRET_SURELY_UNSET_VARIABLE_4712".into()),
            file: Some("pw".into()),
        };
        assert_eq!(
            resolve("SMTP password", &r, &SecretFence::with_dir(dir.path()))
                .unwrap()
                .expose(),
            "from-file"
        );
    }
}
