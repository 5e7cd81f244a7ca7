//! The read commands (`promoter accounts`, `packages`, `packs`) against a running
//! `promoter sim --seed examples/sim-seed.yaml` process, through the real binary.

use assert_cmd::Command;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_promoter");

/// A `promoter sim` child process on a free port; killed on drop.
struct SimProcess {
    child: Child,
    // Kept open so the emulator can keep printing to its stdout.
    _stdout: BufReader<ChildStdout>,
    url: String,
}

impl SimProcess {
    fn start() -> SimProcess {
        let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sim-seed.yaml");
        let mut child = std::process::Command::new(BIN)
            .args(["sim", "--seed"])
            .arg(&seed)
            .args(["--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("promoter sim starts");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).expect("sim prints its address");
        let url = line
            .trim()
            .rsplit(' ')
            .next()
            .filter(|u| u.starts_with("http://"))
            .unwrap_or_else(|| panic!("unexpected first line from promoter sim: {line:?}"))
            .to_string();
        SimProcess {
            child,
            _stdout: stdout,
            url,
        }
    }

    /// `promoter <args> --boomi URL` with demo credentials from the environment.
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .args(["--boomi", &self.url])
            .env_remove("BOOMI_TOKEN_FILE")
            .env_remove("PROMOTER_BOOMI_URL")
            .env_remove("PROMOTER_RATE_LIMIT")
            .env("PROMOTER_ACCOUNT", "primary-abc123")
            .env("BOOMI_USERNAME", "demo@example.com")
            .env("BOOMI_TOKEN", "demo-token-123");
        c
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn stdout_of(c: &mut Command) -> String {
    let out = c.assert().success().get_output().stdout.clone();
    String::from_utf8(out).unwrap()
}

#[test]
fn packages_lists_the_seeded_packages_newest_first() {
    let sim = SimProcess::start();
    let text = stdout_of(&mut sim.cmd(&["packages", "--account", "dev-team-a"]));
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("CREATED"), "{text}");
    assert!(lines[0].contains("CREATED BY") && lines[0].contains("VERSION"));
    assert_eq!(lines.len(), 4, "{text}");
    for (line, (version, by)) in lines[1..].iter().zip([
        ("1.2.0", "dave@example.com"),
        ("1.1.0", "alice@example.com"),
        ("1.0.0", "alice@example.com"),
    ]) {
        assert!(line.contains(version) && line.contains(by), "{line}");
        assert!(line.contains("Order Processing Main"), "{line}");
    }

    let json: Value = serde_json::from_str(&stdout_of(&mut sim.cmd(&[
        "packages",
        "--account",
        "dev-team-a",
        "-o",
        "json",
    ])))
    .unwrap();
    let rows = json.as_array().unwrap();
    let versions: Vec<&str> = rows
        .iter()
        .map(|r| r["packageVersion"].as_str().unwrap())
        .collect();
    assert_eq!(versions, vec!["1.2.0", "1.1.0", "1.0.0"]);
    assert_eq!(rows[0]["packageId"], "3d4c5b6a-7988-4796-a5b4-c2d1e0f1a2b3");
    assert_eq!(rows[0]["componentType"], "process");
    assert_eq!(rows[0]["componentVersion"], 7);
    assert_eq!(rows[0]["createdBy"], "dave@example.com");

    let b = stdout_of(&mut sim.cmd(&["packages", "--account", "dev-team-b", "-o", "yaml"]));
    assert!(b.find("2.0.1").unwrap() < b.find("2.0.0").unwrap(), "{b}");
    assert!(b.contains("Invoice Sync"), "{b}");
}

#[test]
fn the_primary_account_comes_from_promoter_yaml_when_not_given() {
    let sim = SimProcess::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("promoter.yaml"),
        "apiVersion: promoter/v1\nkind: Settings\nserial: 1\nprimaryAccountId: primary-abc123\n",
    )
    .unwrap();
    let text = stdout_of(
        sim.cmd(&["packages", "--account", "dev-team-b"])
            .env_remove("PROMOTER_ACCOUNT")
            .current_dir(dir.path()),
    );
    assert!(text.contains("2.0.1"), "{text}");
    // Nowhere to find it: a clear usage failure, exit 1.
    let empty = tempfile::tempdir().unwrap();
    let out = sim
        .cmd(&["packages", "--account", "dev-team-b"])
        .env_remove("PROMOTER_ACCOUNT")
        .current_dir(empty.path())
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8_lossy(&out).contains("--primary-account"));
}

#[test]
fn accounts_and_packs() {
    let sim = SimProcess::start();
    let text = stdout_of(&mut sim.cmd(&["accounts"]));
    assert!(
        text.contains("dev-team-a") && text.contains("Team A Development"),
        "{text}"
    );
    assert!(
        text.contains("dev-team-b") && text.contains("Team B Development"),
        "{text}"
    );
    assert!(!text.contains("primary-abc123"));
    let json: Value =
        serde_json::from_str(&stdout_of(&mut sim.cmd(&["accounts", "-o", "json"]))).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 2);
    assert_eq!(json[0]["accountId"], "dev-team-a");
    assert_eq!(json[0]["accountName"], "Team A Development");

    let prod = stdout_of(&mut sim.cmd(&["packs", "--purpose", "PRODUCTION"]));
    assert!(prod.contains("Orders - PROD"), "{prod}");
    assert!(
        prod.contains("6b728394-a5b6-4c7d-a8f9-0a1b2c3d4e07"),
        "{prod}"
    );
    let test = stdout_of(&mut sim.cmd(&["packs", "--purpose", "test"]));
    assert!(!test.contains("Orders - PROD"), "{test}");
    let all: Value =
        serde_json::from_str(&stdout_of(&mut sim.cmd(&["packs", "-o", "json"]))).unwrap();
    assert!(all
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["packName"] == "Orders - PROD" && p["installationType"] == "MULTI"));
    sim.cmd(&["packs", "--purpose", "HOTFIX"]).assert().code(2);
}

#[test]
fn failures_carry_catalogue_codes_and_exit_1() {
    let sim = SimProcess::start();
    let out = sim
        .cmd(&["packages", "--account", "dev-team-zzz", "-o", "json"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["error"]["code"], "ACCOUNT_NOT_FOUND");
    assert!(String::from_utf8_lossy(&out.stderr).contains("ACCOUNT_NOT_FOUND"));

    let out = sim
        .cmd(&["accounts"])
        .env_remove("BOOMI_USERNAME")
        .env_remove("BOOMI_TOKEN")
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8_lossy(&out).contains("AUTH_FAILED"));

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("token");
    std::fs::write(&bad, "no-colon-here\n").unwrap();
    let out = sim
        .cmd(&["accounts", &format!("--token-file={}", bad.display())])
        .assert()
        .code(1)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8_lossy(&out);
    assert!(
        err.contains("AUTH_FAILED") && err.contains("user:token"),
        "{err}"
    );
    sim.cmd(&["packages"]).assert().code(2);
}

#[test]
fn token_file_and_traffic_record() {
    let sim = SimProcess::start();
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "BOOMI_TOKEN.ops@example.com:file-token-456\n").unwrap();
    let record: PathBuf = dir.path().join("traffic.jsonl");
    let text = stdout_of(
        sim.cmd(&[
            "packages",
            "--account",
            "dev-team-a",
            &format!("--token-file={}", token.display()),
            &format!("--record-http={}", record.display()),
        ])
        .env_remove("BOOMI_USERNAME")
        .env_remove("BOOMI_TOKEN"),
    );
    assert!(text.contains("1.2.0"));
    let lines = std::fs::read_to_string(&record).unwrap();
    assert!(!lines.contains("file-token-456"));
    assert!(!lines.contains("Basic "));
    let entries: Vec<Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(entries.len() >= 2, "a query and one metadata read");
    for e in &entries {
        assert_eq!(e["authorization"], "<redacted>");
        assert_eq!(e["status"], 200);
        assert!(e["path"]
            .as_str()
            .unwrap()
            .starts_with("/partner/api/rest/v1/primary-abc123/"));
        assert!(e["path"]
            .as_str()
            .unwrap()
            .ends_with("?overrideAccount=dev-team-a"));
        assert!(e["duration_ms"].as_f64().is_some());
    }
    assert_eq!(entries[0]["method"], "POST");
    assert!(entries[0]["path"]
        .as_str()
        .unwrap()
        .contains("/PackagedComponent/query"));
}
