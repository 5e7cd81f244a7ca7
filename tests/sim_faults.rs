//! Authentication, the per-account rate limit and every fault kind of the emulator, counted
//! at the emulator.

#[path = "sim_helpers.rs"]
mod helpers;

use boomi_promoter::sim::{Fault, Seed, SimConfig};
use helpers::*;
use serde_json::{json, Value};

const DEV: Option<&str> = Some("dev-team-a");

#[tokio::test]
async fn basic_auth_like_boomi() {
    let sim = start(small_seed(), SimConfig::instant()).await;
    let url = sim.url(None, "Environment/env-test-1");
    // No credentials, a user without the BOOMI_TOKEN. prefix, an empty token, not Basic.
    let none = sim.http.get(&url).send().await.unwrap();
    assert_eq!(none.status().as_u16(), 401);
    assert!(none.headers().contains_key("www-authenticate"));
    let body: Value = none.json().await.unwrap();
    assert_eq!(body["@type"], "Error");
    let plain = sim
        .http
        .get(&url)
        .basic_auth("alice@example.com", Some("tok"))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status().as_u16(), 401);
    let empty = sim
        .http
        .get(&url)
        .basic_auth(USER, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status().as_u16(), 401);
    let bearer = sim.http.get(&url).bearer_auth("x").send().await.unwrap();
    assert_eq!(bearer.status().as_u16(), 401);
    // Any BOOMI_TOKEN.<user> pair is accepted by default.
    let ok = sim
        .http
        .get(&url)
        .basic_auth("BOOMI_TOKEN.other@example.com", Some("t"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    // Component errors answer in XML.
    let x = sim
        .http
        .get(sim.url(None, "Component/x"))
        .send()
        .await
        .unwrap();
    assert_eq!(x.status().as_u16(), 401);
    assert!(x.text().await.unwrap().contains("<error><message>"));
    assert_eq!(sim.calls("GET Environment/{id}"), 5);
}

#[tokio::test]
async fn pinned_credentials_refuse_other_tokens() {
    let mut seed = small_seed();
    seed.users.push(boomi_promoter::sim::SeedUser {
        user: "tester@example.com".into(),
        token: TOKEN.into(),
    });
    let sim = start(seed, SimConfig::instant()).await;
    assert_eq!(sim.get(None, "Environment/env-test-1").await.0, 200);
    let wrong = sim
        .http
        .get(sim.url(None, "Environment/env-test-1"))
        .basic_auth(USER, Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    assert_eq!(sim.calls("GET Environment/{id}"), 2);
}

#[tokio::test]
async fn rate_limit_answers_503_per_account() {
    let cfg = SimConfig {
        rate_limit_per_second: 2,
        ..SimConfig::instant()
    };
    let sim = start(small_seed(), cfg).await;
    let mut statuses = Vec::new();
    for _ in 0..10 {
        statuses.push(sim.get(None, "Environment/env-test-1").await);
    }
    let limited: Vec<&(u16, Value)> = statuses.iter().filter(|(s, _)| *s == 503).collect();
    assert!(!limited.is_empty(), "{statuses:?}");
    assert!(statuses.iter().filter(|(s, _)| *s == 200).count() >= 2);
    assert_eq!(limited[0].1["@type"], "Error");
    // The dev account has its own budget.
    assert_eq!(sim.get(DEV, "Branch/QjoyMjM").await.0, 400);
    let state = sim.server.state();
    assert!(state["rateLimited"].as_u64().unwrap() >= 1);

    // The 429 switch.
    let cfg = SimConfig {
        rate_limit_per_second: 1,
        rate_limit_status: 429,
        ..SimConfig::instant()
    };
    let sim = start(small_seed(), cfg).await;
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(sim.get(None, "Environment/env-test-1").await.0);
    }
    assert!(seen.contains(&429), "{seen:?}");
    assert!(!seen.contains(&503));
}

#[tokio::test]
async fn fail_nth_then_success_counts_calls() {
    let sim = start(small_seed(), SimConfig::instant()).await;
    sim.server.inject(Fault::FailNth {
        endpoint: "POST Branch".into(),
        nth: 1,
        count: 2,
        status: 503,
        message: None,
        retry_after: Some(1),
    });
    let r = sim
        .http
        .post(sim.url(DEV, "Branch"))
        .basic_auth(USER, Some(TOKEN))
        .json(&json!({"name": "promo-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 503);
    assert_eq!(r.headers()["retry-after"], "1");
    assert_eq!(
        sim.post(DEV, "Branch", json!({"name": "promo-1"})).await.0,
        503
    );
    assert_eq!(
        sim.post(DEV, "Branch", json!({"name": "promo-1"})).await.0,
        200
    );
    assert_eq!(sim.calls("POST Branch"), 3);
    // Other endpoints were not affected, and the branch exists once.
    let state = sim.server.state();
    assert_eq!(state["accounts"]["dev-team-a"]["branchCount"], 2);
    assert_eq!(state["calls"]["POST Branch"], 3);
}

#[tokio::test]
async fn faults_over_http_error_rate_latency_and_clear() {
    let sim = start(small_seed(), SimConfig::instant()).await;
    let base = sim.server.base_url();
    let r = sim
        .http
        .post(format!("{base}/__sim/faults"))
        .json(
            &json!([{"kind": "error_rate", "endpoint": "Environment", "rate": 1.0, "status": 500},
                      {"kind": "latency", "endpoint": "GET Environment/{id}", "millis": 5}]),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    for _ in 0..3 {
        assert_eq!(sim.get(None, "Environment/env-test-1").await.0, 500);
    }
    // Another endpoint is untouched.
    assert_eq!(
        sim.get(None, "EnvironmentExtensions/env-test-1").await.0,
        200
    );
    let faults: Value = sim
        .http
        .get(format!("{base}/__sim/faults"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(faults[0]["fired"], 3);
    assert_eq!(faults[1]["fired"], 3);
    // Bad faults are refused; DELETE clears.
    let bad = sim
        .http
        .post(format!("{base}/__sim/faults"))
        .json(&json!({"kind": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    sim.http
        .delete(format!("{base}/__sim/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(sim.get(None, "Environment/env-test-1").await.0, 200);
}

#[tokio::test]
async fn close_connection_drops_without_an_answer() {
    let sim = start(small_seed(), SimConfig::instant()).await;
    sim.server.inject(Fault::CloseConnection {
        endpoint: "GET Environment/{id}".into(),
        nth: 1,
        count: 1,
    });
    let err = sim
        .http
        .get(sim.url(None, "Environment/env-test-1"))
        .basic_auth(USER, Some(TOKEN))
        .send()
        .await
        .expect_err("the connection is dropped");
    assert!(!err.is_status());
    assert!(
        err.is_request() || err.is_connect() || err.to_string().contains("connection"),
        "{err}"
    );
    assert_eq!(sim.get(None, "Environment/env-test-1").await.0, 200);
    assert_eq!(sim.calls("GET Environment/{id}"), 2);
}

#[tokio::test]
async fn injected_merge_and_release_failures() {
    let mut seed = small_seed();
    seed.faults.push(Fault::FailMerge { count: 1 });
    let sim = start(seed, SimConfig::instant()).await;
    let (rows, _) = sim.query_all(DEV, "Branch", eq("name", "main")).await;
    let main = rows[0]["id"].as_str().unwrap().to_string();
    let (_, b) = sim.post(DEV, "Branch", json!({"name": "promo-9"})).await;
    let branch = b["id"].as_str().unwrap().to_string();
    let obj = r#"<JSONProfile xmlns=""><x/></JSONProfile>"#;
    let (s, _) = sim
        .post_xml(
            DEV,
            "Component/aaaaaaaa-0000-4000-8000-000000000004",
            &component_xml(
                Some("aaaaaaaa-0000-4000-8000-000000000004"),
                "Order JSON",
                "profile.json",
                Some(&branch),
                obj,
            ),
        )
        .await;
    assert_eq!(s, 200);
    let (_, mr) = sim
        .post(
            DEV,
            "MergeRequest",
            json!({"sourceBranchId": branch, "destinationBranchId": main}),
        )
        .await;
    assert_eq!(mr["stage"], "REVIEWING");
    let id = mr["id"].as_str().unwrap().to_string();
    let (_, failed) = sim
        .post(
            DEV,
            &format!("MergeRequest/execute/{id}"),
            json!({"mergeRequestAction": "MERGE"}),
        )
        .await;
    assert_eq!(failed["stage"], "FAILED_TO_MERGE");
    let (_, main_xml) = sim
        .get_xml(DEV, "Component/aaaaaaaa-0000-4000-8000-000000000004")
        .await;
    assert!(!main_xml.contains("<x/>"), "nothing merged");
    // MERGE is allowed again from FAILED_TO_MERGE.
    let (_, merged) = sim
        .post(
            DEV,
            &format!("MergeRequest/execute/{id}"),
            json!({"mergeRequestAction": "MERGE"}),
        )
        .await;
    assert_eq!(merged["stage"], "MERGED");
    let (_, main_xml) = sim
        .get_xml(DEV, "Component/aaaaaaaa-0000-4000-8000-000000000004")
        .await;
    assert!(main_xml.contains("<x/>"));

    // Release failure.
    sim.server.inject(Fault::FailRelease { count: 1 });
    let prod = "00000000-0000-4000-8000-000000000001";
    sim.post(
        None,
        "PackagedComponent",
        json!({"componentId": prod, "packageVersion": "1", "shareable": true}),
    )
    .await;
    let (_, pack) = sim.post(None, "PublisherIntegrationPack", json!({"name": "P - TEST", "installationType": "MULTI",
        "Description": "d", "PublisherPackagedComponents": {"PublisherPackagedComponent": [{"componentId": prod}]}})).await;
    let (_, rel) = sim
        .post(
            None,
            "ReleaseIntegrationPack",
            json!({"id": pack["id"], "releaseSchedule": "IMMEDIATELY"}),
        )
        .await;
    let (s, st) = sim
        .get(
            None,
            &format!(
                "ReleaseIntegrationPackStatus/{}",
                rel["requestId"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!((s, st["releaseStatus"].clone()), (200, json!("ERROR")));
}

#[tokio::test]
async fn faults_from_the_seed_file() {
    let yaml = format!(
        "{}\nfaults:\n  - {{kind: fail_nth, endpoint: 'GET Environment/{{id}}', nth: 2, status: 502}}\n",
        SMALL_SEED
    );
    let sim = start(Seed::from_yaml_str(&yaml).unwrap(), SimConfig::instant()).await;
    let got: Vec<u16> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            v.push(sim.get(None, "Environment/env-test-1").await.0);
        }
        v
    };
    assert_eq!(got, vec![200, 502, 200]);
}

#[tokio::test]
async fn lost_responses_still_change_the_state() {
    let sim = start(small_seed(), SimConfig::instant()).await;
    sim.server.inject(Fault::LoseResponse {
        endpoint: "POST Branch".into(),
        nth: 1,
        count: 1,
        status: None,
    });
    let err = sim
        .http
        .post(sim.url(DEV, "Branch"))
        .basic_auth(USER, Some(TOKEN))
        .json(&json!({"name": "promo-lost"}))
        .send()
        .await
        .expect_err("the answer is lost");
    assert!(!err.is_status(), "{err}");
    // The branch was created anyway: a blind retry collides with it, a lookup finds it.
    assert_eq!(
        sim.post(DEV, "Branch", json!({"name": "promo-lost"}))
            .await
            .0,
        400
    );
    let (found, _) = sim.query_all(DEV, "Branch", eq("name", "promo-lost")).await;
    assert_eq!(found.len(), 1);

    sim.server.inject(Fault::LoseResponse {
        endpoint: "PackagedComponent".into(),
        nth: 1,
        count: 1,
        status: Some(504),
    });
    let body =
        json!({"componentId": "aaaaaaaa-0000-4000-8000-000000000001", "packageVersion": "7.0"});
    assert_eq!(
        sim.post(DEV, "PackagedComponent", body.clone()).await.0,
        504
    );
    assert_eq!(
        sim.post(DEV, "PackagedComponent", body).await.0,
        400,
        "already created"
    );
    let state = sim.server.state();
    assert_eq!(state["faults"][1]["fired"], 1);
}

#[tokio::test]
async fn a_slow_answer_comes_after_the_call_was_carried_out() {
    let sim = start(small_seed(), SimConfig::instant()).await;
    sim.server.inject(Fault::SlowAnswer {
        endpoint: "POST Branch".into(),
        millis: 400,
    });
    let create = async {
        let (status, _) = sim.post(None, "Branch", json!({"name": "slow-1"})).await;
        (status, std::time::Instant::now())
    };
    let probe = async {
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        let (rows, _) = sim.query_all(None, "Branch", eq("name", "slow-1")).await;
        (rows.len(), std::time::Instant::now())
    };
    let ((status, created_at), (seen, probed_at)) = tokio::join!(create, probe);
    assert_eq!(status, 200);
    // The branch existed before its creator heard the answer.
    assert_eq!(seen, 1);
    assert!(probed_at < created_at);
}
