//! Shared helpers of the emulator tests (`tests/sim_*.rs`): start `sim::Server` on
//! `127.0.0.1:0` and talk to it with raw reqwest calls.
#![allow(dead_code)]

use boomi_promoter::sim::{Seed, Server, SimConfig};
use serde_json::{json, Value};

pub const USER: &str = "BOOMI_TOKEN.tester@example.com";
pub const TOKEN: &str = "secret-token";
pub const PRIMARY: &str = "primary-abc123";

pub struct Sim {
    pub server: Server,
    pub http: reqwest::Client,
}

pub async fn start(seed: Seed, cfg: SimConfig) -> Sim {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let server = Server::start(seed, cfg, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("emulator starts");
    Sim {
        server,
        http: reqwest::Client::builder().build().unwrap(),
    }
}

/// A small seed: primary + dev-team-a; a process referencing a connection and a map in the
/// dev account; two environments with extensions in the primary.
pub const SMALL_SEED: &str = r#"
primaryAccount:
  id: primary-abc123
  name: Primary
  components:
    - id: 00000000-0000-4000-8000-000000000001
      name: Prod Process
      type: process
      folder: Promoted
      object: '<process xmlns=""><shapes/></process>'
  environments:
    - id: env-test-1
      name: Test
      classification: TEST
      extensions:
        connections:
          connection:
            - id: conn-1
              name: Orders DB
              field:
                - {id: host, value: db.test, useDefault: false}
                - {id: port, value: "5432", useDefault: false}
                - {id: password, value: "pw-test-1", usesEncryption: true, useDefault: false}
        properties:
          property:
            - {name: batchSize, value: "100"}
            - {name: mode, value: test}
        crossReferences:
          crossReference:
            - id: xref-1
              name: Codes
              overrideValues: true
              CrossReferenceRows:
                row:
                  - {ref1: A, ref2: "1"}
      mapExtensions:
        - mapId: map-1
          processId: 00000000-0000-4000-8000-000000000001
          name: Source - Destination
    - id: env-prod-1
      name: Production
      classification: PROD
accounts:
  - id: dev-team-a
    name: Team A
    components:
      - id: aaaaaaaa-0000-4000-8000-000000000001
        name: Root Process
        type: process
        folder: Team A/Orders
        version: 3
        object: '<process xmlns=""><shapes><shape><configuration><connectoraction connectionId="aaaaaaaa-0000-4000-8000-000000000002" operationId="missing-op"/></configuration></shape><shape><configuration><map mapId="aaaaaaaa-0000-4000-8000-000000000003"/></configuration></shape></shapes></process>'
      - id: aaaaaaaa-0000-4000-8000-000000000002
        name: Orders DB
        type: connector-settings
        object: '<GenericConnectorConfig xmlns=""><field id="host" type="string" value="db.dev"/><field id="password" type="password" value="Sup3r-Secret!"/></GenericConnectorConfig>'
      - id: aaaaaaaa-0000-4000-8000-000000000003
        name: Order Map
        type: transform.map
        object: '<Map xmlns=""><sourceProfile component="aaaaaaaa-0000-4000-8000-000000000004"/></Map>'
      - id: aaaaaaaa-0000-4000-8000-000000000004
        name: Order JSON
        type: profile.json
        object: '<JSONProfile xmlns=""/>'
    packages:
      - {componentId: aaaaaaaa-0000-4000-8000-000000000001, packageVersion: "1.0", componentVersion: 2}
"#;

pub fn small_seed() -> Seed {
    Seed::from_yaml_str(SMALL_SEED).expect("small seed parses")
}

impl Sim {
    pub fn url(&self, account: Option<&str>, path: &str) -> String {
        let base = format!(
            "{}/partner/api/rest/v1/{PRIMARY}/{path}",
            self.server.base_url()
        );
        match account {
            Some(a) => format!("{base}?overrideAccount={a}"),
            None => base,
        }
    }

    fn authed(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        rb.basic_auth(USER, Some(TOKEN))
    }

    async fn json_of(resp: reqwest::Response) -> (u16, Value) {
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let v = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, v)
    }

    pub async fn get(&self, account: Option<&str>, path: &str) -> (u16, Value) {
        let r = self
            .authed(self.http.get(self.url(account, path)))
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap();
        Self::json_of(r).await
    }

    pub async fn post(&self, account: Option<&str>, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .authed(self.http.post(self.url(account, path)))
            .header("Accept", "application/json")
            .json(&body)
            .send()
            .await
            .unwrap();
        Self::json_of(r).await
    }

    pub async fn delete(&self, account: Option<&str>, path: &str) -> (u16, Value) {
        let r = self
            .authed(self.http.delete(self.url(account, path)))
            .send()
            .await
            .unwrap();
        Self::json_of(r).await
    }

    pub async fn get_xml(&self, account: Option<&str>, path: &str) -> (u16, String) {
        let r = self
            .authed(self.http.get(self.url(account, path)))
            .header("Accept", "application/xml")
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    pub async fn post_xml(&self, account: Option<&str>, path: &str, xml: &str) -> (u16, String) {
        let r = self
            .authed(self.http.post(self.url(account, path)))
            .header("Content-Type", "application/xml")
            .body(xml.to_string())
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Run a query and follow `queryMore` to the end; returns (results, pages).
    pub async fn query_all(
        &self,
        account: Option<&str>,
        object: &str,
        expr: Value,
    ) -> (Vec<Value>, usize) {
        let (status, mut page) = self
            .post(
                account,
                &format!("{object}/query"),
                json!({"QueryFilter": {"expression": expr}}),
            )
            .await;
        assert_eq!(status, 200, "{page}");
        let mut all = Vec::new();
        let mut pages = 1;
        loop {
            all.extend(page["result"].as_array().cloned().unwrap_or_default());
            let Some(token) = page["queryToken"].as_str().map(str::to_string) else {
                break;
            };
            let r = self
                .authed(
                    self.http
                        .post(self.url(account, &format!("{object}/queryMore"))),
                )
                .header("Content-Type", "text/plain")
                .header("Accept", "application/json")
                .body(token)
                .send()
                .await
                .unwrap();
            let (status, next) = Self::json_of(r).await;
            assert_eq!(status, 200, "{next}");
            page = next;
            pages += 1;
        }
        (all, pages)
    }

    pub fn calls(&self, key: &str) -> u64 {
        self.server.calls().get(key).copied().unwrap_or(0)
    }
}

/// A simple EQUALS expression.
pub fn eq(property: &str, value: &str) -> Value {
    json!({"operator": "EQUALS", "property": property, "argument": [value]})
}

/// A `bns:Component` document for create/update.
pub fn component_xml(
    id: Option<&str>,
    name: &str,
    kind: &str,
    branch: Option<&str>,
    object: &str,
) -> String {
    let mut attrs = format!("name=\"{name}\" type=\"{kind}\"");
    if let Some(i) = id {
        attrs.push_str(&format!(" componentId=\"{i}\""));
    }
    if let Some(b) = branch {
        attrs.push_str(&format!(" branchId=\"{b}\""));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><bns:Component xmlns:bns=\"http://api.platform.boomi.com/\" {attrs}><bns:encryptedValues/><bns:description>test</bns:description><bns:object>{object}</bns:object></bns:Component>"
    )
}

/// An attribute of the root element of a component document.
pub fn root_attr(xml: &str, name: &str) -> Option<String> {
    let start = xml.find("<bns:Component")?;
    let end = start + xml[start..].find('>')?;
    let head = &xml[start..end];
    let pat = format!(" {name}=\"");
    let i = head.find(&pat)? + pat.len();
    let j = head[i..].find('"')?;
    Some(head[i..i + j].to_string())
}
