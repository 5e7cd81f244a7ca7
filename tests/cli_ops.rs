//! The operator's command line: every `daemon`/`reconcile` option has a `PROMOTER_…`
//! environment variable (and the README's table lists it), shell completions and man pages,
//! the writers refuse a key that is not `--as`'s and explain a `.pub` file.

mod common;

use clap::CommandFactory;
use common::*;
use std::process::Output;

/// The options of a subcommand with the environment variable each reads (`None`: none).
fn env_of(sub: &str) -> Vec<(String, Option<String>)> {
    let cmd = boomi_promoter::cli::Cli::command();
    let sub = cmd.find_subcommand(sub).expect("subcommand");
    sub.get_arguments()
        .filter(|a| !matches!(a.get_id().as_str(), "help" | "version"))
        .map(|a| {
            (
                a.get_id().to_string(),
                a.get_env().map(|e| e.to_string_lossy().into_owned()),
            )
        })
        .collect()
}

#[test]
fn every_daemon_and_reconcile_option_has_an_environment_variable_in_the_readme() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut seen = 0;
    for sub in ["daemon", "reconcile"] {
        for (id, env) in env_of(sub) {
            let env = env.unwrap_or_else(|| panic!("{sub} --{id} has no environment variable"));
            // The Boomi credentials keep Boomi's names (BOOMI_TOKEN_FILE beside BOOMI_USERNAME
            // and BOOMI_TOKEN); everything else is PROMOTER_….
            assert!(
                env.starts_with("PROMOTER_") || env == "BOOMI_TOKEN_FILE",
                "{sub} --{id}: {env}"
            );
            assert!(
                readme.contains(&format!("| `{env}` |")),
                "README's environment table lacks {env} ({sub} --{id})"
            );
            seen += 1;
        }
    }
    assert!(seen >= 18, "{seen}");
}

fn run(cmd: &mut assert_cmd::Command) -> Output {
    cmd.output().expect("promoter runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn options_come_from_the_environment() {
    // A bad value in a variable is a usage error naming the option: the variable is read.
    for (var, value, flag) in [
        ("PROMOTER_RATE_LIMIT", "fast", "--rate-limit"),
        ("PROMOTER_CONCURRENCY", "0", "--concurrency"),
        ("PROMOTER_POLL", "soon", "--poll"),
        ("PROMOTER_SHUTDOWN_GRACE", "-1", "--shutdown-grace"),
    ] {
        let out = run(promoter()
            .arg("daemon")
            .env("PROMOTER_REPO", "/nonexistent")
            .env("PROMOTER_STATE", "/nonexistent")
            .env("PROMOTER_TRUST", "/nonexistent")
            .env(var, value));
        assert_eq!(out.status.code(), Some(2), "{var}: {}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains(flag),
            "{var}: {}",
            text(&out.stderr)
        );
    }
    // Everything from the environment, `--once` included: it gets as far as the repository.
    let tmp = tempfile::tempdir().unwrap();
    let out = run(promoter()
        .arg("reconcile")
        .env("PROMOTER_ONCE", "true")
        .env("PROMOTER_REPO", tmp.path().join("no-repo"))
        .env("PROMOTER_STATE", tmp.path().join("state"))
        .env("PROMOTER_TRUST", tmp.path().join("trust")));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("no-repo"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn shell_completions_and_man_pages() {
    let out = run(promoter().args(["completions", "bash"]));
    assert!(out.status.success());
    let bash = text(&out.stdout);
    assert!(bash.contains("_promoter()"), "{bash}");
    assert!(bash.contains("daemon"));
    // The script is valid bash.
    let tmp = tempfile::tempdir().unwrap();
    let script = tmp.path().join("promoter.bash");
    std::fs::write(&script, &bash).unwrap();
    let st = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .status()
        .unwrap();
    assert!(st.success());
    let zsh = text(&run(promoter().args(["completions", "zsh"])).stdout);
    assert!(zsh.starts_with("#compdef promoter"), "{zsh}");
    let fish = text(&run(promoter().args(["completions", "fish"])).stdout);
    assert!(fish.contains("complete -c promoter"), "{fish}");
    assert!(fish.contains("-l listen"), "{fish}");
    promoter().args(["completions", "tcsh"]).assert().code(2);

    let man = text(&run(promoter().arg("man")).stdout);
    assert!(man.contains(".TH promoter 1"), "{man}");
    assert!(man.contains("daemon"), "{man}");
    let dir = tmp.path().join("man1");
    promoter()
        .arg("man")
        .arg("--dir")
        .arg(&dir)
        .assert()
        .success();
    let daemon = std::fs::read_to_string(dir.join("promoter-daemon.1")).unwrap();
    assert!(daemon.contains("PROMOTER_LISTEN"), "{daemon}");
    assert!(dir.join("promoter.1").is_file());
}

/// `promoter new` for alice's dev account, as `email` with `key`.
fn new_request(r: &TestRepo, email: &str, key: &std::path::Path, id: &str) -> Output {
    run(promoter()
        .args([
            "new",
            "--id",
            id,
            "--account",
            "dev-team-a",
            "--process",
            "P",
        ])
        .args(["--root", "root-1", "--package-version", "1.0.0"])
        .arg("--as")
        .arg(email)
        .arg("--key")
        .arg(key)
        .arg("--repo")
        .arg(&r.dir))
}

#[test]
fn writers_refuse_a_key_that_is_not_the_authors() {
    let r = TestRepo::new();
    for committed in [false, true] {
        if committed {
            r.commit("policy");
        }
        let id = if committed { "after-commit" } else { "on-disk" };
        // bob's key for alice: IDENTITY_MISMATCH, nothing written.
        let out = new_request(&r, "alice@example.com", &r.key("bob"), id);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("is not a key of alice@example.com"), "{err}");
        assert!(err.contains("it is bob@example.com's"), "{err}");
        assert!(err.contains("IDENTITY_MISMATCH"), "{err}");
        assert!(!r.path(&format!("promotions/{id}")).exists());
        // Her own key, any case of her e-mail: written and signed.
        let out = new_request(&r, "Alice@Example.com", &r.key("alice"), id);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(r
            .path(&format!("promotions/{id}/request.yaml.sig"))
            .is_file());
    }
    // A key that is nobody's, and a person the policy does not list: UNKNOWN_SIGNER.
    let stranger = r.tmp.path().join("stranger");
    assert!(std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&stranger)
        .status()
        .unwrap()
        .success());
    let out = new_request(&r, "alice@example.com", &stranger, "stranger-1");
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("UNKNOWN_SIGNER") && !err.contains("it is"),
        "{err}"
    );
    let out = new_request(&r, "mallory@example.com", &r.key("alice"), "mallory-1");
    let err = text(&out.stderr);
    assert!(err.contains("mallory@example.com is not a person"), "{err}");
    assert!(err.contains("UNKNOWN_SIGNER"), "{err}");
    // A policy edited in the work tree (committed together with the document) counts too.
    let policy = r.read("access/policy.yaml");
    r.write(
        "access/policy.yaml",
        &policy.replace("dave@example.com", "dan@example.com"),
    );
    let out = new_request(&r, "dan@example.com", &r.key("dave"), "dan-1");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = new_request(&r, "dave@example.com", &r.key("dave"), "dave-1");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = new_request(&r, "dan@example.com", &r.key("erin"), "dan-2");
    let err = text(&out.stderr);
    assert!(
        err.contains("(HEAD)") && err.contains("UNKNOWN_SIGNER"),
        "{err}"
    );
    r.write("access/policy.yaml", &policy);
    // A review follows the same rule.
    let out = run(promoter()
        .args([
            "review",
            "after-commit",
            "--approve",
            "--as",
            "bob@example.com",
        ])
        .arg("--key")
        .arg(r.key("carol"))
        .arg("--repo")
        .arg(&r.dir));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("it is carol@example.com's"));
    assert!(!r.path("promotions/after-commit/peer-review.yaml").exists());
}

#[test]
fn a_public_key_file_is_explained() {
    let r = TestRepo::new();
    let public = r.keys.join("alice.pub");
    let out = new_request(&r, "alice@example.com", &public, "pub-1");
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let private = r.key("alice").display().to_string();
    assert!(
        err.contains(&format!(
            "this is a public key; give the private key file ({private}, the same path without .pub)"
        )),
        "{err}"
    );
    assert!(!err.contains("NUL") && !err.contains("PEM"), "{err}");
    let file = r.path("promoter.yaml");
    let out = run(promoter().arg("sign").arg(&file).arg("--key").arg(&public));
    assert!(text(&out.stderr).contains("this is a public key"));
}

#[test]
fn without_a_policy_the_writers_say_they_cannot_check_and_go_on() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("repo");
    std::fs::create_dir_all(&dir).unwrap();
    let r = TestRepo::new();
    let out = run(promoter()
        .args([
            "new",
            "--id",
            "loose-1",
            "--account",
            "dev-team-a",
            "--process",
            "P",
        ])
        .args(["--root", "root-1", "--package-version", "1.0.0"])
        .args(["--as", "alice@example.com", "--key"])
        .arg(r.key("bob"))
        .arg("--repo")
        .arg(&dir));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("has no access/policy.yaml"), "{err}");
    assert!(err.contains("cannot check that --key"), "{err}");
    assert!(dir.join("promotions/loose-1/request.yaml.sig").is_file());
}
