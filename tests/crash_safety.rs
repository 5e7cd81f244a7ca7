//! Crash safety (issue 5): `promoter reconcile --once` is killed with SIGKILL while it drives a
//! C + TEST run — once the emulator has seen its k-th Boomi call, for k spread over the whole
//! run — and restarted. Every run must converge to the same final state: TEST_DEPLOYED, one
//! promotion branch, no duplicate component, one package, one deployment, a consistent journal.
//! The same holds when two dev accounts' promotions run at once.

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

const ID_B: &str = "crash-b1";

/// Two dev accounts at once: their lanes run concurrently.
async fn two_lane_world() -> World {
    let w = World::with_sim(SimConfig::instant()).await;
    w.instant_polls();
    w.request_test(ID, "2.0.0");
    w.request_invoices(ID_B, "3.0.0");
    w.commit("two requests");
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

/// The final state of a converged run of the promotions `(id, packageVersion)`: every one
/// TEST_DEPLOYED with a closed journal; counts summed over them.
fn final_state(w: &World, promotions: &[(&str, &str)]) -> Final {
    let store = Store::open(w.tmp.path().join("state/state.db")).unwrap();
    let p = w.primary();
    let mut packages = 0;
    let mut deployments = 0;
    for (id, version) in promotions {
        let rec = store.get(id).unwrap().expect("record");
        assert_eq!(
            rec.status,
            boomi_promoter::model::PromotionStatus::TestDeployed,
            "{rec:#?}"
        );
        let open = store.open_steps(id).unwrap();
        // A step interrupted by the kill is closed by its recovery lookup; none stays open.
        assert!(
            open.is_empty(),
            "open journal steps after convergence: {open:#?}"
        );
        let steps = store.steps(id).unwrap();
        assert!(steps.iter().all(|s| s.result.is_some()));
        let pkg = rec.prod_package_id.clone().unwrap();
        packages += p["packages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| {
                x["packageVersion"] == *version
                    && x["componentType"] == "process"
                    && x["createdBy"] == "ci@example.com"
            })
            .count();
        deployments += p["deployments"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["packageId"] == pkg.as_str() && d["environmentId"] == "env-test-1")
            .count();
    }
    Final {
        components: p["componentCount"].as_u64().unwrap(),
        promo_branches: w
            .branch_names()
            .iter()
            .filter(|n| n.starts_with("promo-"))
            .count(),
        packages,
        deployments,
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

/// Kill `reconcile --once` near the k-th Boomi call of its run, then run to completion.
fn crash_and_restart(w: &World, k: u64) {
    // A little latency on every call, so the kill lands near call k (sometimes while Boomi is
    // still handling the request: the write applies, the answer is lost).
    w.sim.inject(Fault::Latency {
        endpoint: "*".into(),
        millis: 3,
    });
    let start = total_calls(w);
    let mut child = reconcile_once(w).spawn().unwrap();
    kill_at(&mut child, w, start + k);
    w.sim.clear_faults();
    finish(w);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_any_point_a_restart_converges_without_duplicates() {
    // The baseline: an uninterrupted run.
    let base = world().await;
    let before = total_calls(&base);
    finish(&base);
    let calls = total_calls(&base) - before;
    let expected = final_state(&base, &[(ID, "2.0.0")]);
    assert_eq!(expected.promo_branches, 1);
    assert_eq!(expected.packages, 1);
    assert_eq!(expected.deployments, 1);
    assert!(calls >= 30, "a C + TEST run makes many calls: {calls}");

    // 24 kill points spread over the run.
    let points: Vec<u64> = (1..=24).map(|i| 1 + (i - 1) * (calls - 2) / 23).collect();
    for k in points {
        let w = world().await;
        crash_and_restart(&w, k);
        let got = final_state(&w, &[(ID, "2.0.0")]);
        assert_eq!(
            got.components, expected.components,
            "k={k}: duplicate component"
        );
        assert_eq!(got.promo_branches, 1, "k={k}: leaked or missing branch");
        assert_eq!(got.packages, 1, "k={k}: duplicate package");
        assert_eq!(got.deployments, 1, "k={k}: duplicate deployment");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_while_two_dev_accounts_run_at_once() {
    let both = [(ID, "2.0.0"), (ID_B, "3.0.0")];
    let base = two_lane_world().await;
    let before = total_calls(&base);
    finish(&base);
    let calls = total_calls(&base) - before;
    let expected = final_state(&base, &both);
    assert_eq!(
        (
            expected.promo_branches,
            expected.packages,
            expected.deployments
        ),
        (2, 2, 2)
    );

    // 8 kill points spread over the interleaved run.
    let points: Vec<u64> = (1..=8).map(|i| 1 + (i - 1) * (calls - 2) / 7).collect();
    for k in points {
        let w = two_lane_world().await;
        crash_and_restart(&w, k);
        let got = final_state(&w, &both);
        assert_eq!(
            got.components, expected.components,
            "k={k}: duplicate component"
        );
        assert_eq!(got.promo_branches, 2, "k={k}: leaked or missing branch");
        assert_eq!(got.packages, 2, "k={k}: duplicate package");
        assert_eq!(got.deployments, 2, "k={k}: duplicate deployment");
    }
}
