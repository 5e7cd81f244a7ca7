//! Crash safety (issue 5): `promoter reconcile --once` is killed with SIGKILL while it drives a
//! C + TEST run — once the emulator has seen its k-th Boomi call, for k spread over the whole
//! run — and restarted. Every run must converge to the same final state: TEST_DEPLOYED, one
//! promotion branch, no duplicate component, one package, one deployment, a consistent journal.

mod common;

use boomi_promoter::sim::{Fault, SimConfig};
use boomi_promoter::store::Store;
use common::world::*;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ID: &str = "crash-t1";

fn reconcile_once(w: &World) -> Command {
    let mut c = w.cli(&["reconcile", "--once"]);
    c.env("PROMOTER_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

async fn world() -> World {
    let w = World::with_sim(SimConfig::instant()).await;
    // Instant polls for the CLI too.
    w.instant_polls();
    w.request_test(ID, "2.0.0");
    w.commit("request");
    w
}

fn total_calls(w: &World) -> u64 {
    w.sim.state()["totalCalls"].as_u64().unwrap_or(0)
}

/// Run to completion (a restart after a crash may need a second pass for waiting work).
fn finish(w: &World) {
    for _ in 0..3 {
        let st = reconcile_once(w).status().unwrap();
        if st.success() {
            return;
        }
    }
    panic!("reconcile --once did not converge after the crash");
}

struct Final {
    components: u64,
    promo_branches: usize,
    packages: usize,
    deployments: usize,
}

fn final_state(w: &World) -> Final {
    let store = Store::open(w.tmp.path().join("state/state.db")).unwrap();
    let rec = store.get(ID).unwrap().expect("record");
    assert_eq!(
        rec.status,
        boomi_promoter::model::PromotionStatus::TestDeployed,
        "{rec:#?}"
    );
    let open = store.open_steps(ID).unwrap();
    // A step interrupted by the kill is closed by its recovery lookup; none stays open.
    assert!(
        open.is_empty(),
        "open journal steps after convergence: {open:#?}"
    );
    let steps = store.steps(ID).unwrap();
    assert!(steps.iter().all(|s| s.result.is_some()));
    let p = w.primary();
    let pkg = rec.prod_package_id.clone().unwrap();
    Final {
        components: p["componentCount"].as_u64().unwrap(),
        promo_branches: w
            .branch_names()
            .iter()
            .filter(|n| n.starts_with("promo-"))
            .count(),
        packages: p["packages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| {
                x["packageVersion"] == "2.0.0"
                    && x["componentType"] == "process"
                    && x["createdBy"] == "ci@example.com"
            })
            .count(),
        deployments: p["deployments"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["packageId"] == pkg.as_str() && d["environmentId"] == "env-test-1")
            .count(),
    }
}

fn kill_at(child: &mut Child, w: &World, k: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if total_calls(w) >= k {
            let _ = child.kill(); // SIGKILL
            let _ = child.wait();
            return;
        }
        if let Ok(Some(_)) = child.try_wait() {
            return; // finished before call k
        }
        assert!(Instant::now() < deadline, "no progress");
        std::thread::sleep(Duration::from_micros(200));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_any_point_a_restart_converges_without_duplicates() {
    // The baseline: an uninterrupted run.
    let base = world().await;
    let before = total_calls(&base);
    finish(&base);
    let calls = total_calls(&base) - before;
    let expected = final_state(&base);
    assert_eq!(expected.promo_branches, 1);
    assert_eq!(expected.packages, 1);
    assert_eq!(expected.deployments, 1);
    assert!(calls >= 30, "a C + TEST run makes many calls: {calls}");

    // 24 kill points spread over the run.
    let points: Vec<u64> = (1..=24).map(|i| 1 + (i - 1) * (calls - 2) / 23).collect();
    for k in points {
        let w = world().await;
        // A little latency on every call, so the kill lands near call k (sometimes while Boomi
        // is still handling the request: the write applies, the answer is lost).
        w.sim.inject(Fault::Latency {
            endpoint: "*".into(),
            millis: 3,
        });
        let start = total_calls(&w);
        let mut child = reconcile_once(&w).spawn().unwrap();
        kill_at(&mut child, &w, start + k);
        w.sim.clear_faults();
        finish(&w);
        let got = final_state(&w);
        assert_eq!(
            got.components, expected.components,
            "k={k}: duplicate component"
        );
        assert_eq!(got.promo_branches, 1, "k={k}: leaked or missing branch");
        assert_eq!(got.packages, 1, "k={k}: duplicate package");
        assert_eq!(got.deployments, 1, "k={k}: duplicate deployment");
    }
}
