//! The dashboard's side-by-side diff page over real HTTP, reading component XML from the Boomi
//! emulator (`sim::Server` on 127.0.0.1:0) through the real HTTP client.

mod common;

use boomi_promoter::boomi::wire::Component;
use boomi_promoter::boomi::{Credentials, HttpConfig, HttpPlatform, Platform};
use boomi_promoter::model::{PromotionStatus as S, Target};
use boomi_promoter::server::{self, ServerState};
use boomi_promoter::sim::{Seed, Server, SimConfig};
use boomi_promoter::store::record::parse_ts;
use boomi_promoter::store::{
    ComponentAction, ComponentResult, ComponentStatus, PromotionRecord, Store,
};
use std::sync::Arc;

const PRIMARY: &str = "primary-abc123";
const PROD_ROOT: &str = "f0000000-0000-4000-8000-000000000001";

const SEED: &str = r#"
primaryAccount:
  id: primary-abc123
  name: Primary
  components:
    - id: f0000000-0000-4000-8000-000000000001
      name: Order Processing Main
      type: process
      folder: Promoted/Team A/Orders
      version: 2
      object: '<process xmlns=""><shapes><shape name="shape1" userlabel="Start"/></shapes></process>'
  branches:
    - name: promo-orders-diff-1
accounts:
  - id: dev-team-a
    name: Team A
"#;

fn record(id: &str, branch: Option<&str>) -> PromotionRecord {
    let mut r = PromotionRecord::new(
        id,
        "dev-team-a",
        "alice@example.com",
        "Order Processing Main",
        Target::Production,
        S::PendingPeerReview,
        parse_ts("2026-11-20T08:00:00Z").unwrap(),
    );
    r.is_hotfix = true;
    r.prod_account_id = PRIMARY.into();
    r.branch_id = branch.map(str::to_string);
    r.branch_name = branch.map(|_| "promo-orders-diff-1".to_string());
    r.result_detail.push(ComponentResult {
        dev_component_id: "dev-root".into(),
        prod_component_id: Some(PROD_ROOT.into()),
        name: "Order Processing Main".into(),
        component_type: "process".into(),
        action: ComponentAction::Updated,
        status: ComponentStatus::Success,
        version: Some(3),
        config_stripped: false,
        error_message: None,
    });
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diff_page_shows_branch_against_main_side_by_side() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = Server::start(
        Seed::from_yaml_str(SEED).unwrap(),
        SimConfig::instant(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let platform = Arc::new(
        HttpPlatform::new(HttpConfig::new(
            sim.base_url(),
            PRIMARY,
            Credentials::new("tester@example.com", "secret-token").unwrap(),
        ))
        .unwrap(),
    );
    let branch_id = platform
        .query_branches(None, Some("promo-orders-diff-1"))
        .await
        .unwrap()[0]
        .id
        .clone()
        .unwrap();
    let main = platform.get_component(None, PROD_ROOT, None).await.unwrap();
    let changed = main
        .xml()
        .replace("userlabel=\"Start\"", "userlabel=\"Start <here> & now\"");
    // The replacement must be escaped in XML too.
    let changed = changed.replace("<here> & now", "&lt;here&gt; &amp; now");
    platform
        .update_component(
            None,
            PROD_ROOT,
            &Component::from_xml(changed),
            Some(&branch_id),
        )
        .await
        .unwrap();

    let store = Arc::new(Store::open_in_memory().unwrap());
    common::insert_walked(&store, record("orders-diff-1", Some(&branch_id)), &[]);
    common::insert_walked(&store, record("orders-nobranch-1", None), &[]);

    let state = ServerState::new(store.clone()).with_platform(platform.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server::serve(listener, state, async move {
        let _ = rx.await;
    }));
    let http = reqwest::Client::new();

    // The promotion page links to the diff.
    let page = http
        .get(format!("{base}/promotions/orders-diff-1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("href=\"/promotions/orders-diff-1/diff\""),
        "{page}"
    );

    let r = http
        .get(format!("{base}/promotions/orders-diff-1/diff"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("UPDATE &middot; main v2 &rarr; branch v3"),
        "{html}"
    );
    assert!(html.contains("0 added, 0 removed, 2 changed"), "{html}");
    assert!(html.contains("<tr class=\"changed\">"));
    // Both sides shown, every piece of XML escaped (the text `<here>` is escaped twice:
    // once in the XML, once in the HTML).
    assert!(html.contains("userlabel=&quot;Start&quot;"), "{html}");
    assert!(
        html.contains("userlabel=&quot;Start &amp;lt;here&amp;gt; &amp;amp; now&quot;"),
        "{html}"
    );
    assert!(!html.contains("<shape"));
    assert!(!html.contains("<here>"));

    // The same as JSON.
    let v: serde_json::Value = http
        .get(format!("{base}/api/v1/promotions/orders-diff-1/diff"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["components"][0]["componentAction"], "UPDATE");
    assert_eq!(v["components"][0]["stats"]["changed"], 2);
    assert!(v["components"][0].get("rows").is_none());
    let v: serde_json::Value = http
        .get(format!(
            "{base}/api/v1/promotions/orders-diff-1/diff?rows=true&component={PROD_ROOT}"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!v["components"][0]["rows"].as_array().unwrap().is_empty());
    let r = http
        .get(format!("{base}/api/v1/promotions/orders-nobranch-1/diff"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["code"], "INVALID_PROMOTION_STATUS");

    // No branch on the record.
    let r = http
        .get(format!("{base}/promotions/orders-nobranch-1/diff"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert!(r.text().await.unwrap().contains("INVALID_PROMOTION_STATUS"));
    // Unknown promotion.
    let r = http
        .get(format!("{base}/promotions/nope-1/diff"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);

    // The branch is deleted in Boomi: the page says it is gone.
    platform.delete_branch(None, &branch_id).await.unwrap();
    let r = http
        .get(format!("{base}/promotions/orders-diff-1/diff"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert!(r.text().await.unwrap().contains("is gone"));

    let _ = tx.send(());
    task.await.unwrap().unwrap();

    // Without a platform, the diff page explains itself and the promotion page has no link.
    let state = ServerState::new(store);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server::serve(listener, state, async move {
        let _ = rx.await;
    }));
    let r = http
        .get(format!("{base}/promotions/orders-diff-1/diff"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 503);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("promoter diff orders-diff-1"));
    let page = http
        .get(format!("{base}/promotions/orders-diff-1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("/diff\""));
    let _ = tx.send(());
    task.await.unwrap().unwrap();
    sim.shutdown().await;
}
