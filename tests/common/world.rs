//! An end-to-end world: the emulator on `127.0.0.1:0` seeded with `examples/sim-seed.yaml`, a
//! temp promotions repository made from `examples/demo-repo` (its policy, mappings and settings;
//! no promotions), a SQLite store, the real HTTP client and the reconciler.
#![allow(dead_code)]

use super::{git, promoter, root};
use boomi_promoter::boomi::{Credentials, HttpConfig, HttpPlatform, Platform, RetryPolicy};
use boomi_promoter::policy::AllowedSigners;
use boomi_promoter::reconcile::{Clock, Config, Context, PassReport, Reconciler, SystemClock};
use boomi_promoter::sim::{Seed, Server, SimConfig};
use boomi_promoter::source::GitSource;
use boomi_promoter::store::{PromotionRecord, Store};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub const PRIMARY: &str = "primary-abc123";
pub const ORDERS_ROOT: &str = "3f1c9a52-6a0e-4d2b-9b1e-0a7d5c2e8f11";
/// The seeded production integration pack ("Orders - PROD").
pub const PROD_PACK: &str = "6b728394-a5b6-4c7d-a8f9-0a1b2c3d4e07";
pub const INVOICE_ROOT: &str = "5f304152-b4c5-46d7-8c19-a3b4c5d6e71c";

pub struct World {
    pub tmp: tempfile::TempDir,
    pub repo: PathBuf,
    pub sim: Server,
    pub store: Arc<Store>,
    pub platform: Arc<HttpPlatform>,
    pub reconciler: Reconciler,
    /// Boomi API calls the reconciler's client has made.
    pub calls: Arc<std::sync::atomic::AtomicUsize>,
}

/// Sign a file with the demo admin's key (carol), as `promoter sign` does.
pub fn sign_as_admin(path: &std::path::Path) {
    promoter()
        .arg("sign")
        .arg(path)
        .arg("--key")
        .arg(root().join("examples/keys/carol"))
        .assert()
        .success();
}

/// The document with its `serial:` line raised by one.
pub fn bump_serial(text: &str) -> String {
    text.lines()
        .map(|l| match l.strip_prefix("serial: ") {
            Some(n) => format!("serial: {}\n", n.trim().parse::<u64>().unwrap() + 1),
            None => format!("{l}\n"),
        })
        .collect()
}

pub fn fast_config() -> Config {
    let fast = |n| boomi_promoter::boomi::Polling {
        interval: Duration::from_millis(1),
        max_polls: n,
    };
    Config {
        branch_ready: fast(6),
        merge: fast(12),
        release: fast(20),
        deploy_gap: Duration::from_millis(1),
        max_passes: 20,
        retry_backoff: Duration::ZERO,
        ..Config::default()
    }
}

pub fn http_config(base_url: String) -> HttpConfig {
    let mut cfg = HttpConfig::new(
        base_url,
        PRIMARY,
        Credentials::new("ci@example.com", "test-token").unwrap(),
    );
    cfg.requests_per_second = 1000;
    cfg.retry = RetryPolicy {
        max_retries: 5,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
    };
    cfg
}

impl World {
    pub async fn new() -> World {
        Self::with_sim(SimConfig::instant()).await
    }

    pub async fn with_sim(sim_config: SimConfig) -> World {
        Self::build(sim_config, Arc::new(SystemClock), false).await
    }

    /// `keep_windows`: keep the demo's deploy window (otherwise production deploys any time).
    pub async fn build(sim_config: SimConfig, clock: Arc<dyn Clock>, keep_windows: bool) -> World {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("repo");
        let demo = root().join("examples/demo-repo");
        for rel in [
            "promoter.yaml",
            "promoter.yaml.sig",
            "access/policy.yaml",
            "access/policy.yaml.sig",
            "mappings/dev-team-a.yaml",
            "mappings/dev-team-a.yaml.sig",
            "mappings/dev-team-b.yaml",
            "mappings/dev-team-b.yaml.sig",
        ] {
            let to = repo.join(rel);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(demo.join(rel), &to).unwrap();
        }
        // The harness polls at test speed (fast_config), not at the demo's pace.
        {
            let p = repo.join("promoter.yaml");
            let text: String = std::fs::read_to_string(&p)
                .unwrap()
                .lines()
                .filter(|l| !l.starts_with("polling:"))
                .map(|l| format!("{l}\n"))
                .collect();
            std::fs::write(&p, text).unwrap();
        }
        if !keep_windows {
            let p = repo.join("promoter.yaml");
            let text = std::fs::read_to_string(&p).unwrap();
            let text: String = text
                .lines()
                .filter(|l| {
                    !l.starts_with("deployWindows:")
                        && !l.contains("cron:")
                        && !l.starts_with("polling:")
                })
                .map(|l| format!("{l}\n"))
                .collect();
            std::fs::write(&p, text).unwrap();
        }
        sign_as_admin(&repo.join("promoter.yaml"));
        git(&repo, &["init", "-q", "-b", "main"]);
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-q", "-m", "policy, mappings, settings"]);
        let seed = Seed::from_yaml_file(root().join("examples/sim-seed.yaml")).unwrap();
        let sim = Server::start(seed, sim_config, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let store = Arc::new(Store::open(tmp.path().join("state.db")).unwrap());
        let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut http = http_config(sim.base_url());
        let counter = calls.clone();
        http.observer = Some(Arc::new(
            move |_: &boomi_promoter::boomi::http::CallEvent| {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            },
        ));
        let platform = Arc::new(HttpPlatform::new(http).unwrap());
        let mut ctx = Self::context(&store, platform.clone());
        ctx.clock = clock;
        let reconciler = Reconciler::new(ctx);
        World {
            tmp,
            repo,
            sim,
            store,
            platform,
            reconciler,
            calls,
        }
    }

    pub fn context(store: &Arc<Store>, platform: Arc<HttpPlatform>) -> Context {
        Context {
            gate: Arc::new(boomi_promoter::reconcile::guard::Gate::new(
                platform.clone(),
                platform.clone(),
                store.clone(),
            )),
            platform,
            store: store.clone(),
            clock: Arc::new(SystemClock),
            config: fast_config(),
            bootstrap: Some(
                AllowedSigners::read(&root().join("examples/trust/allowed_signers")).unwrap(),
            ),
            notifier: Arc::new(boomi_promoter::notify_out::NoopNotifier),
            shared: Default::default(),
        }
    }

    pub fn key(&self, who: &str) -> PathBuf {
        root().join("examples/keys").join(who)
    }

    /// Run a writer command claiming `email`, signed with `who`'s key.
    pub fn write_as_email(&self, email: &str, who: &str, args: &[&str]) {
        promoter()
            .args(args)
            .arg("--as")
            .arg(email)
            .arg("--key")
            .arg(self.key(who))
            .arg("--repo")
            .arg(&self.repo)
            .assert()
            .success();
    }

    /// Run a writer command as `who` (e-mail `who@example.com`).
    pub fn write_as(&self, who: &str, args: &[&str]) {
        promoter()
            .args(args)
            .arg("--as")
            .arg(format!("{who}@example.com"))
            .arg("--key")
            .arg(self.key(who))
            .arg("--repo")
            .arg(&self.repo)
            .assert()
            .success();
    }

    /// A TEST request by alice for the dev-team-a order flow.
    pub fn request_test(&self, id: &str, version: &str) {
        self.write_as(
            "alice",
            &[
                "new",
                "--id",
                id,
                "--account",
                "dev-team-a",
                "--process",
                "Order Processing Main",
                "--root",
                ORDERS_ROOT,
                "--package-version",
                version,
                "--new-pack",
                "Orders - TEST",
            ],
        );
    }

    /// A TEST request by bob for the dev-team-b invoice flow.
    pub fn request_invoices(&self, id: &str, version: &str) {
        self.write_as(
            "bob",
            &[
                "new",
                "--id",
                id,
                "--account",
                "dev-team-b",
                "--process",
                "Invoice Sync",
                "--root",
                INVOICE_ROOT,
                "--package-version",
                version,
                "--new-pack",
                "Invoices - TEST",
            ],
        );
    }

    /// Make the repository's `promoter.yaml` poll Boomi without pauses (for the CLI, which
    /// reads its polling from there), and commit.
    pub fn instant_polls(&self) {
        self.edit_settings(|text| {
            let mut text: String = text
                .lines()
                .filter(|l| !l.starts_with("polling:"))
                .map(|l| format!("{l}\n"))
                .collect();
            text.push_str("polling: {branchReadyIntervalSeconds: 0, mergeIntervalSeconds: 0, releaseIntervalSeconds: 0}\n");
            text
        });
        self.commit("instant polls");
    }

    /// Change `promoter.yaml` as the admin does: edit, raise the serial, sign (not committed).
    pub fn edit_settings(&self, edit: impl FnOnce(String) -> String) {
        let p = self.repo.join("promoter.yaml");
        let text = edit(std::fs::read_to_string(&p).unwrap());
        std::fs::write(&p, bump_serial(&text)).unwrap();
        sign_as_admin(&p);
    }

    /// `promoter <subcommand>` against this world's repository, the emulator and the state
    /// directory `<tmp>/state`, with test credentials and no rate limit to speak of.
    pub fn cli(&self, subcommand: &[&str]) -> std::process::Command {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("promoter"));
        c.args(subcommand)
            .arg("--repo")
            .arg(&self.repo)
            .arg("--state")
            .arg(self.tmp.path().join("state"))
            .arg("--trust")
            .arg(root().join("examples/trust/allowed_signers"))
            .arg("--boomi")
            .arg(self.sim.base_url())
            .args(["--rate-limit", "1000"])
            .env("BOOMI_USERNAME", "ci@example.com")
            .env("BOOMI_TOKEN", "test-token");
        c
    }

    /// Create `n` branches `feature-<i>` in the primary account; their ids.
    pub async fn feature_branches(&self, n: usize) -> Vec<String> {
        let main = self.platform.main_branch_id(None).await.unwrap();
        let mut ids = Vec::new();
        for i in 0..n {
            let b = self
                .platform
                .create_branch(None, &format!("feature-{i}"), &main, None)
                .await
                .unwrap();
            ids.push(b.id.unwrap());
        }
        ids
    }

    /// carol's signed admin approval of `id` into the production pack, with `extra` flags.
    pub fn admin_approves(&self, id: &str, extra: &[&str]) {
        let mut args = vec!["decide", id, "--approve"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--pack-id", PROD_PACK]);
        self.write_as("carol", &args);
    }

    /// Remove a dev account's signed connection mappings from the work tree.
    pub fn drop_mappings(&self, account: &str) {
        for f in [format!("{account}.yaml"), format!("{account}.yaml.sig")] {
            std::fs::remove_file(self.repo.join("mappings").join(f)).unwrap();
        }
    }

    /// Boomi API calls made so far by the reconciler's client.
    pub fn call_count(&self) -> usize {
        self.calls.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// A production-from-test request by alice.
    pub fn request_prod(&self, id: &str, from_test: &str, version: &str) {
        self.write_as(
            "alice",
            &[
                "new",
                "--id",
                id,
                "--account",
                "dev-team-a",
                "--process",
                "Order Processing Main",
                "--from-test",
                from_test,
                "--target",
                "production",
                "--package-version",
                version,
            ],
        );
    }

    /// A hotfix request by alice.
    pub fn request_hotfix(&self, id: &str, version: &str) {
        self.write_as(
            "alice",
            &[
                "new",
                "--id",
                id,
                "--account",
                "dev-team-a",
                "--process",
                "Order Processing Main",
                "--root",
                ORDERS_ROOT,
                "--target",
                "production",
                "--package-version",
                version,
                "--hotfix",
                "Orders with a null ship-to address crash the flow",
            ],
        );
    }

    /// The main version of every component of the primary account.
    pub fn main_versions(&self) -> std::collections::BTreeMap<String, u64> {
        self.primary()["components"]
            .as_object()
            .unwrap()
            .iter()
            .filter_map(|(id, c)| Some((id.clone(), c["branches"]["main"]["version"].as_u64()?)))
            .collect()
    }

    /// A developer edits a dev component (its description), as real work between promotions.
    pub async fn touch_dev(&self, account: &str, id: &str) {
        let c = self
            .platform
            .get_component(Some(account), id, None)
            .await
            .unwrap();
        let xml = c.xml().to_string();
        let edited = if xml.contains("</bns:description>") {
            xml.replacen("</bns:description>", " (edited)</bns:description>", 1)
        } else {
            xml.replacen(
                "<bns:object>",
                "<bns:description>edited</bns:description><bns:object>",
                1,
            )
        };
        let c = boomi_promoter::boomi::wire::Component::from_xml(edited);
        self.platform
            .update_component(Some(account), id, &c, None)
            .await
            .unwrap();
    }

    pub fn commit(&self, msg: &str) {
        git(&self.repo, &["add", "-A"]);
        git(&self.repo, &["commit", "-q", "-m", msg, "--allow-empty"]);
    }

    /// One reconcile pass over HEAD (only what changed since the previous pass, as the
    /// daemon does).
    pub async fn pass(&self) -> PassReport {
        let source = GitSource::local(&self.repo, "main").unwrap();
        let head = source.head().unwrap();
        self.reconciler.pass_at(&source, &head).await.expect("pass")
    }

    /// One full reconcile pass over HEAD (every unfinished promotion).
    pub async fn full_pass(&self) -> PassReport {
        let source = GitSource::local(&self.repo, "main").unwrap();
        let head = source.head().unwrap();
        let snap = source.snapshot(&head).unwrap();
        self.reconciler.pass(&snap).await.expect("pass")
    }

    /// Passes until nothing changes.
    pub async fn converge(&self) -> PassReport {
        let mut last = PassReport::default();
        for _ in 0..20 {
            last = self.pass().await;
            if last.converged() || !last.progressed() {
                break;
            }
        }
        last
    }

    pub fn record(&self, id: &str) -> PromotionRecord {
        self.store
            .get(id)
            .unwrap()
            .unwrap_or_else(|| panic!("no record {id}"))
    }

    /// The primary account's part of `GET /__sim/state`.
    pub fn primary(&self) -> serde_json::Value {
        self.sim.state()["accounts"][PRIMARY].clone()
    }

    pub fn branch_names(&self) -> Vec<String> {
        self.primary()["branches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["name"].as_str().unwrap().to_string())
            .collect()
    }

    pub async fn main_xml(&self, prod_id: &str) -> String {
        self.platform
            .get_component(None, prod_id, None)
            .await
            .unwrap()
            .xml()
            .to_string()
    }
}
