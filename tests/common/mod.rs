//! Test support: temp git repositories with the demo people, keys and the `promoter` binary.
#![allow(dead_code)]

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// Root of the crate.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `promoter` binary.
pub fn promoter() -> Command {
    Command::cargo_bin("promoter").expect("promoter binary")
}

/// Run `git` in `dir`, panicking on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A temp promotions repository with the demo people (alice, bob: CONTRIBUTOR on team-a/team-b;
/// carol: ADMIN; dave: READONLY on team-a; erin: CONTRIBUTOR on team-b with an ecdsa key) and
/// copies of the demo keys (mode 600, so ssh-keygen accepts them).
pub struct TestRepo {
    pub tmp: tempfile::TempDir,
    pub dir: PathBuf,
    pub keys: PathBuf,
}

pub const PEOPLE: &[(&str, &str, &str)] = &[
    ("alice", "CONTRIBUTOR", "[team-a]"),
    ("bob", "CONTRIBUTOR", "[team-b]"),
    ("carol", "ADMIN", "[]"),
    ("dave", "READONLY", "[team-a]"),
    ("erin", "CONTRIBUTOR", "[team-b]"),
];

impl TestRepo {
    pub fn new() -> TestRepo {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("repo");
        let keys = tmp.path().join("keys");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::create_dir_all(&keys).unwrap();
        for (who, _, _) in PEOPLE {
            for ext in ["", ".pub"] {
                let from = root().join("examples/keys").join(format!("{who}{ext}"));
                let to = keys.join(format!("{who}{ext}"));
                std::fs::copy(&from, &to).unwrap();
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o600)).unwrap();
                }
            }
        }
        git(&dir, &["init", "-q", "-b", "main"]);
        let repo = TestRepo { tmp, dir, keys };
        repo.write("promoter.yaml", SETTINGS);
        repo.sign("promoter.yaml", "carol");
        repo.write_policy(PEOPLE);
        repo.sign("access/policy.yaml", "carol");
        repo.write(
            "mappings/dev-team-a.yaml",
            "apiVersion: promoter/v1\nkind: ConnectionMappings\nserial: 1\ndevAccountId: dev-team-a\nmappings:\n  - {devComponentId: conn-dev-1, prodComponentId: conn-prod-1, name: Orders DB}\n",
        );
        repo.sign("mappings/dev-team-a.yaml", "carol");
        repo
    }

    pub fn key(&self, who: &str) -> PathBuf {
        self.keys.join(who)
    }

    pub fn public_key(&self, who: &str) -> String {
        let text = std::fs::read_to_string(self.keys.join(format!("{who}.pub"))).unwrap();
        text.split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The access policy text for these people (serial 1).
    pub fn policy_text(&self, people: &[(&str, &str, &str)]) -> String {
        self.policy_text_serial(people, 1)
    }

    /// The access policy text for these people with a serial.
    pub fn policy_text_serial(&self, people: &[(&str, &str, &str)], serial: u64) -> String {
        let mut s =
            format!("apiVersion: promoter/v1\nkind: AccessPolicy\nserial: {serial}\npeople:\n");
        for (who, tier, teams) in people {
            s.push_str(&format!(
                "  - email: {who}@example.com\n    name: {who}\n    tier: {tier}\n    teams: {teams}\n    keys: [\"{}\"]\n",
                self.public_key(who)
            ));
        }
        s.push_str("teams:\n  - {name: team-a, devAccounts: [dev-team-a]}\n  - {name: team-b, devAccounts: [dev-team-b]}\n");
        s
    }

    pub fn write_policy(&self, people: &[(&str, &str, &str)]) {
        self.write("access/policy.yaml", &self.policy_text(people));
    }

    /// A new version of the policy (serial 2: it replaces the first).
    pub fn write_policy_v2(&self, people: &[(&str, &str, &str)]) {
        self.write("access/policy.yaml", &self.policy_text_serial(people, 2));
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    /// `promoter sign` with a demo key.
    pub fn sign(&self, rel: &str, who: &str) {
        promoter()
            .args(["sign"])
            .arg(self.path(rel))
            .arg("--key")
            .arg(self.key(who))
            .assert()
            .success();
    }

    /// Run a writer command (`new`, `review`, ...) as `who`, `--as email` given separately.
    pub fn write_as(&self, email: &str, who: &str, args: &[&str]) -> assert_cmd::assert::Assert {
        promoter()
            .args(args)
            .arg("--as")
            .arg(email)
            .arg("--key")
            .arg(self.key(who))
            .arg("--repo")
            .arg(&self.dir)
            .assert()
    }

    /// A TEST request by alice for dev-team-a.
    pub fn new_test(&self, id: &str) {
        self.write_as(
            "alice@example.com",
            "alice",
            &[
                "new",
                "--id",
                id,
                "--account",
                "dev-team-a",
                "--process",
                "Orders",
                "--root",
                "root-1",
                "--package-version",
                "1.0.0",
            ],
        )
        .success();
    }

    /// A hotfix request by `who` for dev-team-a.
    pub fn new_hotfix(&self, id: &str, who: &str) {
        self.write_as(
            &format!("{who}@example.com"),
            who,
            &[
                "new",
                "--id",
                id,
                "--account",
                "dev-team-a",
                "--process",
                "Orders",
                "--root",
                "root-1",
                "--target",
                "production",
                "--package-version",
                "1.0.1",
                "--hotfix",
                "prod is down",
            ],
        )
        .success();
    }

    pub fn commit(&self, msg: &str) {
        git(&self.dir, &["add", "-A"]);
        git(&self.dir, &["commit", "-q", "-m", msg, "--allow-empty"]);
    }

    /// `promoter validate -o json` (committed tree at HEAD) with extra args; returns the JSON
    /// and the exit code.
    pub fn validate(&self, extra: &[&str]) -> (serde_json::Value, i32) {
        let out = promoter()
            .arg("validate")
            .arg(&self.dir)
            .args(["-o", "json"])
            .args(extra)
            .output()
            .unwrap();
        let code = out.status.code().unwrap_or(-1);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "validate printed no JSON ({e}): {}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (v, code)
    }

    /// Codes of the problems of one file.
    pub fn codes_for(v: &serde_json::Value, file: &str) -> Vec<String> {
        v["problems"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["file"] == file)
            .map(|p| p["code"].as_str().unwrap().to_string())
            .collect()
    }
}

pub const SETTINGS: &str = "apiVersion: promoter/v1
kind: Settings
serial: 1
primaryAccountId: primary-abc123
environments:
  - {id: env-test-1, name: Test, classification: TEST}
  - {id: env-prod-1, name: Production, classification: PROD}
";
pub mod world;

/// Insert a fixture record and walk it through `path`. A fixture born further down its mode's
/// lifecycle than a first status (a hotfix waiting for its peer) is walked there from QUEUED.
pub fn insert_walked(
    store: &boomi_promoter::store::Store,
    mut r: boomi_promoter::store::PromotionRecord,
    path: &[boomi_promoter::model::PromotionStatus],
) -> boomi_promoter::store::PromotionRecord {
    use boomi_promoter::model::{Mode, PromotionStatus as S};
    use boomi_promoter::store::{Cause, Transition};
    let born = r.status;
    let before: &[S] = match (r.mode(), born) {
        (Mode::Hotfix, S::PendingPeerReview) => {
            &[S::InProgress, S::Completed, S::PendingPeerReview]
        }
        (Mode::Test | Mode::Hotfix, S::InProgress) => &[S::InProgress],
        _ => &[],
    };
    if !before.is_empty() {
        r.status = S::Queued;
    }
    let engine = || Cause::new("reconciler").at(r.initiated_at);
    let mut out = store.insert_promotion(&r, &engine()).unwrap();
    for s in before.iter().chain(path) {
        out = store
            .transition(&r.promotion_id, &Transition::to(*s, engine()))
            .unwrap();
    }
    out
}
