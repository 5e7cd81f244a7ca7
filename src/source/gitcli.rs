//! The `git` CLI for the network side (init of the mirror, fetch), so every transport and
//! auth method git supports works without TLS or SSH code in this binary. Commands never
//! prompt (`GIT_TERMINAL_PROMPT=0`), are bounded in time, and their messages have
//! credentials redacted.

use super::SourceError;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A URL with any user-info password (or token-only user name) replaced by `***`, safe to
/// log. Non-URL forms (`user@host:path`) carry no secret and are returned unchanged.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.has_host() => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            } else if !u.username().is_empty() && u.scheme() != "ssh" {
                // A bare token in the user part (`https://TOKEN@host/...`).
                let _ = u.set_username("***");
            }
            u.to_string()
        }
        _ => raw.to_owned(),
    }
}

/// Replace every occurrence of the raw URL (and its credentials) in `text`.
fn scrub(text: &str, url: &str) -> String {
    let mut out = text.replace(url, &redact_url(url));
    if let Ok(u) = url::Url::parse(url) {
        if let Some(p) = u.password().filter(|p| !p.is_empty()) {
            out = out.replace(p, "***");
        }
        if u.password().is_none() && !u.username().is_empty() && u.scheme() != "ssh" {
            out = out.replace(u.username(), "***");
        }
    }
    out
}

/// Run `git <args>` in `dir`, waiting at most `timeout`. `label` names the command in errors.
fn run(
    dir: Option<&Path>,
    args: &[&str],
    url: &str,
    label: &str,
    timeout: Duration,
) -> Result<String, SourceError> {
    let mut cmd = Command::new("git");
    if let Some(d) = dir {
        cmd.arg("-C").arg(d);
    }
    cmd.args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ASKPASS", "true")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| SourceError::Command {
        command: label.to_owned(),
        message: format!("cannot run git: {e}"),
    })?;
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(SourceError::Timeout {
                command: label.to_owned(),
                seconds: timeout.as_secs(),
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = out_reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    if !status.success() {
        let msg = scrub(err.trim(), url);
        return Err(SourceError::Command {
            command: label.to_owned(),
            message: if msg.is_empty() {
                status.to_string()
            } else {
                msg
            },
        });
    }
    Ok(out)
}

/// Create (or re-use) the bare mirror at `git_dir` with `origin` pointing at `url`.
pub(super) fn init_mirror(git_dir: &Path, url: &str, timeout: Duration) -> Result<(), SourceError> {
    let dir = git_dir.to_str().ok_or_else(|| SourceError::Open {
        path: git_dir.to_owned(),
        message: "the state directory path is not UTF-8".into(),
    })?;
    // `git init` on an existing repository is safe and repairs a half-created one.
    run(
        None,
        &["init", "--bare", "--quiet", "--", dir],
        url,
        "init",
        timeout,
    )?;
    run(
        Some(git_dir),
        &["config", "remote.origin.url", url],
        url,
        "config remote.origin.url",
        timeout,
    )?;
    // No automatic gc while we fetch: the previously reconciled commit stays readable for
    // force-push reports until an operator prunes.
    run(
        Some(git_dir),
        &["config", "gc.auto", "0"],
        url,
        "config gc.auto",
        timeout,
    )?;
    Ok(())
}

/// Fetch `branch` of `origin` into `refs/heads/<branch>` of the mirror, forced (a rewritten
/// history replaces the old one; the caller detects the force-push).
pub(super) fn fetch_branch(
    git_dir: &Path,
    url: &str,
    branch: &str,
    timeout: Duration,
) -> Result<(), SourceError> {
    let refspec = format!("+refs/heads/{branch}:refs/heads/{branch}");
    run(
        Some(git_dir),
        &[
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            "origin",
            &refspec,
        ],
        url,
        "fetch",
        timeout,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_redacted() {
        assert_eq!(
            redact_url("https://user:s3cret@example.com/org/repo.git"),
            "https://user:***@example.com/org/repo.git"
        );
        assert_eq!(
            redact_url("https://ghp_token123@example.com/org/repo.git"),
            "https://***@example.com/org/repo.git"
        );
        assert_eq!(
            redact_url("https://example.com/r.git"),
            "https://example.com/r.git"
        );
        assert_eq!(
            redact_url("git@github.com:org/repo.git"),
            "git@github.com:org/repo.git"
        );
        assert_eq!(redact_url("ssh://git@host/r.git"), "ssh://git@host/r.git");
        let url = "https://u:s3cret@example.com/r.git";
        let msg = scrub(
            "fatal: unable to access 'https://u:s3cret@example.com/r.git/': s3cret",
            url,
        );
        assert!(!msg.contains("s3cret"), "{msg}");
    }

    #[test]
    fn a_failing_command_reports_without_secrets() {
        let dir = tempfile::tempdir().unwrap();
        let url = "https://u:s3cret@127.0.0.1:9/none.git";
        init_mirror(&dir.path().join("m.git"), url, Duration::from_secs(30)).unwrap();
        let err = fetch_branch(
            &dir.path().join("m.git"),
            url,
            "main",
            Duration::from_secs(60),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, SourceError::Command { .. }), "{text}");
        assert!(!text.contains("s3cret"), "{text}");
    }
}
