//! `promoter reconcile --once` of `examples/demo-repo` as it is, against the emulator seeded
//! with `examples/sim-seed.yaml`: the TEST request reaches TEST_DEPLOYED, the hotfix waits for
//! its admin, and the exit code says nothing is left to do.

mod common;

use boomi_promoter::sim::{Seed, Server, SimConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_repository_reaches_test_deployed_as_it_is() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("promotions");
    let demo = common::root().join("examples/demo-repo");
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(&demo)
        .arg(&repo)
        .status()
        .unwrap();
    assert!(status.success());
    common::git(&repo, &["init", "-q", "-b", "main"]);
    common::git(&repo, &["add", "-A"]);
    common::git(&repo, &["commit", "-q", "-m", "the demo repository"]);
    let seed = Seed::from_yaml_file(common::root().join("examples/sim-seed.yaml")).unwrap();
    let sim = Server::start(
        seed,
        SimConfig {
            rate_limit_per_second: 0,
            ..SimConfig::default()
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let state = tmp.path().join("state");
    let out = tokio::task::spawn_blocking({
        let (repo, state, url) = (repo.clone(), state.clone(), sim.base_url());
        move || {
            common::promoter()
                .args(["reconcile", "--once", "--repo"])
                .arg(&repo)
                .arg("--state")
                .arg(&state)
                .arg("--trust")
                .arg(common::root().join("examples/trust/allowed_signers"))
                .args(["--boomi", &url, "--rate-limit", "100"])
                .env("BOOMI_USERNAME", "ci@example.com")
                .env("BOOMI_TOKEN", "test-token")
                .env("PROMOTER_LOG", "warn")
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("orders-test-1") && stdout.contains("TEST_DEPLOYED"),
        "{stdout}"
    );
    assert!(
        stdout.contains("orders-hotfix-1") && stdout.contains("PENDING_ADMIN_REVIEW"),
        "{stdout}"
    );
    let p = sim.state()["accounts"]["primary-abc123"].clone();
    assert!(p["deployments"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["environmentId"] == "env-test-1" && d["packageVersion"] == "1.0.0"));
}
