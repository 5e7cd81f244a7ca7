//! `promoter demo`: the whole lifecycle on the embedded emulator, for a newcomer. It starts
//! `sim` in-process on `127.0.0.1:0`, builds a promotions repository in a temp directory from
//! `examples/` (settings, the access policy and connection mappings signed by the demo admin),
//! then commits each document as its author would — signed with the demo keys of
//! `examples/keys/` — and runs the reconciler after each commit, printing what happened:
//! a TEST promotion; production from test with peer and admin approval (and a self-review
//! refused); a hotfix; a peer rejection; a withdrawal; and what push access alone cannot do (a
//! self-signed settings change and a TEST request aimed at production, both refused). It ends
//! with the promotions and what the emulator now holds.

use super::write::to_yaml;
use crate::boomi::{Credentials, HttpConfig, HttpPlatform, Polling, RetryPolicy};
use crate::model::*;
use crate::policy::{self, AllowedSigners};
use crate::reconcile::{Clock, Config, Context, ManualClock, PassReport, Reconciler};
use crate::sim::{Seed, Server, SimConfig};
use crate::source::GitSource;
use crate::store::Store;
use anyhow::{anyhow, bail, Context as _, Result};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The examples folder (default: the one of this source tree, else ./examples)
    #[arg(long)]
    pub examples: Option<PathBuf>,
    /// Keep the temp directory (repository, state database) and print its path
    #[arg(long)]
    pub keep: bool,
}

const ROOT: &str = "3f1c9a52-6a0e-4d2b-9b1e-0a7d5c2e8f11";
const PROD_PACK: &str = "6b728394-a5b6-4c7d-a8f9-0a1b2c3d4e07";

struct Demo {
    started: Instant,
    repo: PathBuf,
    keys: PathBuf,
    reconciler: Reconciler,
    store: Arc<Store>,
    clock: Arc<ManualClock>,
    sim: Server,
    seen_audit: std::collections::HashMap<String, usize>,
}

fn git(dir: &Path, args: &[&str]) -> Result<()> {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=Demo",
            "-c",
            "user.email=demo@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .context("running git (is it installed?)")?;
    if !out.status.success() {
        bail!("git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

impl Demo {
    fn say(&self, text: &str) {
        println!("[{:>5.1}s] {text}", self.started.elapsed().as_secs_f64());
    }

    fn key(&self, who: &str) -> PathBuf {
        self.keys.join(who)
    }

    /// Write a document as `who`, sign it with their key, commit it.
    fn commit_doc(&self, who: &str, rel: &str, yaml: &str, message: &str) -> Result<()> {
        let path = self.repo.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent"))?;
        std::fs::write(&path, yaml)?;
        let key = policy::load_private_key(&self.key(who))?;
        std::fs::write(
            format!("{}.sig", path.display()),
            policy::sign(&key, yaml.as_bytes())?,
        )?;
        git(&self.repo, &["add", "-A"])?;
        git(&self.repo, &["commit", "-q", "-m", message])?;
        self.say(&format!("{who}@example.com commits {rel} — {message}"));
        Ok(())
    }

    fn request_digest(&self, id: &str) -> Result<String> {
        Ok(digest(&std::fs::read(
            self.repo.join(format!("promotions/{id}/request.yaml")),
        )?))
    }

    async fn reconcile(&mut self) -> Result<PassReport> {
        let source = GitSource::local(&self.repo, "main")?;
        let mut last = PassReport::default();
        for _ in 0..10 {
            let head = source.head()?;
            last = self.reconciler.pass_at(&source, &head).await?;
            self.print_transitions()?;
            if last.converged() || !last.progressed() {
                break;
            }
        }
        for p in &last.problems {
            self.say(&format!(
                "  refused: {} — {}: {}",
                p.file, p.code, p.message
            ));
        }
        Ok(last)
    }

    fn print_transitions(&mut self) -> Result<()> {
        let mut ids: Vec<String> = self
            .store
            .list(&Default::default())?
            .into_iter()
            .map(|r| r.promotion_id)
            .collect();
        ids.sort();
        for id in ids {
            let audit = self.store.audit(&id)?;
            let seen = self.seen_audit.get(&id).copied().unwrap_or(0);
            if audit.len() > seen {
                let path: Vec<String> = audit[seen..].iter().map(|a| a.to.to_string()).collect();
                let rec = self.store.get(&id)?.ok_or_else(|| anyhow!("record {id}"))?;
                let mut line = format!("  reconciler: {id} → {}", path.join(" → "));
                if rec.components_created + rec.components_updated > 0
                    && audit[seen..]
                        .iter()
                        .any(|a| a.to == PromotionStatus::Completed)
                {
                    line.push_str(&format!(
                        " ({} components created, {} updated)",
                        rec.components_created, rec.components_updated
                    ));
                }
                if let Some(code) = rec
                    .error_code
                    .filter(|_| rec.status == PromotionStatus::Failed)
                {
                    line.push_str(&format!(" [{code}]"));
                }
                self.say(&line);
                self.seen_audit.insert(id, audit.len());
            }
        }
        Ok(())
    }

    fn status(&self, id: &str) -> Result<PromotionStatus> {
        Ok(self
            .store
            .get(id)?
            .ok_or_else(|| anyhow!("no record {id}"))?
            .status)
    }

    fn expect(&self, id: &str, want: PromotionStatus) -> Result<()> {
        let got = self.status(id)?;
        if got != want {
            let rec = self.store.get(id)?;
            bail!("{id} is {got}, expected {want}: {rec:?}");
        }
        Ok(())
    }
}

fn request(id: &str, by: &str, target: Target, version: &str) -> PromotionRequest {
    PromotionRequest {
        api_version: ApiVersion::V1,
        kind: Kind::PromotionRequest,
        id: id.into(),
        initiated_by: format!("{by}@example.com"),
        dev_account_id: "dev-team-a".into(),
        process_name: "Order Processing Main".into(),
        root_component_id: Some(ROOT.into()),
        dev_package_id: None,
        components: None,
        target,
        from_test: None,
        hotfix: None,
        package_version: version.into(),
        integration_pack: None,
        environments: None,
        notes: None,
    }
}

fn peer(id: &str, digest: String, who: &str, decision: PeerDecision, comments: &str) -> PeerReview {
    PeerReview {
        api_version: ApiVersion::V1,
        kind: Kind::PeerReview,
        promotion: id.into(),
        request_digest: digest,
        decision,
        reviewer: format!("{who}@example.com"),
        comments: Some(comments.into()),
    }
}

fn examples_dir(given: Option<PathBuf>) -> Result<PathBuf> {
    let candidates = [
        given,
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples")),
        Some(PathBuf::from("examples")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.join("sim-seed.yaml").exists() && p.join("keys/carol").exists())
        .ok_or_else(|| anyhow!("cannot find the examples folder (sim-seed.yaml, keys/); run from the source tree or pass --examples"))
}

pub fn demo(a: DemoArgs) -> Result<ExitCode> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(run(a))
}

async fn run(a: DemoArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let examples = examples_dir(a.examples)?;
    let tmp = tempfile::Builder::new()
        .prefix("promoter-demo-")
        .tempdir()?;
    let repo = tmp.path().join("promotions-repo");
    std::fs::create_dir_all(&repo)?;

    println!("boomi-promoter demo: the whole lifecycle against the embedded Boomi emulator\n");
    // The emulator: realistic timing in polls, no wall-clock waits.
    let seed = Seed::from_yaml_file(examples.join("sim-seed.yaml"))?;
    let sim_cfg = SimConfig {
        branch_ready_after_reads: 2,
        merge_stage_polls: 1,
        release_in_progress_polls: 1,
        rate_limit_per_second: 0,
        ..SimConfig::default()
    };
    let sim = Server::start(seed, sim_cfg, "127.0.0.1:0".parse()?).await?;

    // The promotions repository: settings, the access policy and the mappings, signed by carol.
    let demo_repo = examples.join("demo-repo");
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
        std::fs::create_dir_all(to.parent().expect("parent"))?;
        std::fs::copy(demo_repo.join(rel), &to).with_context(|| format!("copying {rel}"))?;
    }
    git(&repo, &["init", "-q", "-b", "main"])?;
    git(&repo, &["add", "-A"])?;
    git(
        &repo,
        &[
            "commit",
            "-q",
            "-m",
            "settings, access policy, connection mappings",
        ],
    )?;

    let store = Arc::new(Store::open(tmp.path().join("state.db"))?);
    let mut http = HttpConfig::new(
        sim.base_url(),
        "primary-abc123",
        Credentials::new("demo@example.com", "demo-token")?,
    );
    http.requests_per_second = 100;
    http.retry = RetryPolicy {
        max_retries: 5,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
    };
    let platform = Arc::new(HttpPlatform::new(http)?);
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let fast = |n| Polling {
        interval: Duration::from_millis(20),
        max_polls: n,
    };
    let ctx = Context {
        gate: Arc::new(crate::reconcile::guard::Gate::new(
            platform.clone(),
            platform.clone(),
            store.clone(),
        )),
        platform,
        store: store.clone(),
        clock: clock.clone(),
        config: Config {
            branch_ready: fast(6),
            merge: fast(12),
            release: fast(20),
            deploy_gap: Duration::from_millis(120),
            max_passes: 10,
            retry_backoff: Duration::from_secs(60),
            ..Config::default()
        },
        bootstrap: Some(AllowedSigners::read(
            &examples.join("trust/allowed_signers"),
        )?),
        notifier: Arc::new(crate::notify_out::NoopNotifier),
        shared: Default::default(),
    };
    let mut d = Demo {
        started,
        repo: repo.clone(),
        keys: examples.join("keys"),
        reconciler: Reconciler::new(ctx),
        store: store.clone(),
        clock,
        sim,
        seen_audit: Default::default(),
    };
    d.say(&format!(
        "Boomi emulator on {} (primary-abc123; dev accounts dev-team-a, dev-team-b)",
        d.sim.base_url()
    ));
    d.say(&format!(
        "promotions repository {} — settings, access policy and mappings signed by carol (ADMIN)",
        repo.display()
    ));
    d.say("people: alice, bob (CONTRIBUTORs), carol (ADMIN), dave (READONLY); keys from examples/keys (demo only)");
    d.reconcile().await?;

    println!("\n1. A TEST promotion");
    let mut t = request("orders-test", "alice", Target::Test, "2.0.0");
    t.integration_pack = Some(PackChoice {
        id: None,
        new_name: Some("Orders - TEST".into()),
        description: Some("Order flows under test".into()),
    });
    t.notes = Some("New order validation".into());
    d.commit_doc(
        "alice",
        "promotions/orders-test/request.yaml",
        &to_yaml(&t)?,
        "TEST promotion of Order Processing Main 2.0.0",
    )?;
    d.reconcile().await?;
    d.expect("orders-test", PromotionStatus::TestDeployed)?;

    println!("\n2. Production from test, with a peer and an admin");
    let mut p = request("orders-prod", "alice", Target::Production, "2.0.0");
    p.root_component_id = None;
    p.from_test = Some("orders-test".into());
    d.commit_doc(
        "alice",
        "promotions/orders-prod/request.yaml",
        &to_yaml(&p)?,
        "promote the tested orders-test to production",
    )?;
    d.reconcile().await?;
    let dg = d.request_digest("orders-prod")?;
    d.commit_doc(
        "alice",
        "promotions/orders-prod/peer-review.yaml",
        &to_yaml(&peer(
            "orders-prod",
            dg.clone(),
            "alice",
            PeerDecision::Approved,
            "LGTM",
        ))?,
        "alice tries to approve her own promotion",
    )?;
    d.reconcile().await?;
    d.expect("orders-prod", PromotionStatus::PendingPeerReview)?;
    d.commit_doc(
        "bob",
        "promotions/orders-prod/peer-review.yaml",
        &to_yaml(&peer(
            "orders-prod",
            dg.clone(),
            "bob",
            PeerDecision::Approved,
            "Tested in env-test-1, mapping looks right",
        ))?,
        "bob approves as the peer",
    )?;
    d.reconcile().await?;
    let peer_digest = digest(&std::fs::read(
        repo.join("promotions/orders-prod/peer-review.yaml"),
    )?);
    let admin = AdminReview {
        api_version: ApiVersion::V1,
        kind: Kind::AdminReview,
        promotion: "orders-prod".into(),
        request_digest: dg,
        peer_review_digest: peer_digest,
        decision: AdminDecision::Approved,
        admin: "carol@example.com".into(),
        acknowledge_hotfix: false,
        acknowledge_downgrade: false,
        integration_pack: Some(PackChoice {
            id: Some(PROD_PACK.into()),
            new_name: None,
            description: None,
        }),
        environments: None,
        comments: Some("Go".into()),
    };
    d.commit_doc(
        "carol",
        "promotions/orders-prod/admin-review.yaml",
        &to_yaml(&admin)?,
        "carol approves into the Orders - PROD pack",
    )?;
    d.reconcile().await?;
    if d.status("orders-prod")? == PromotionStatus::Deploying {
        let why = d
            .store
            .get("orders-prod")?
            .and_then(|r| r.waiting_reason)
            .unwrap_or_default();
        d.say(&format!(
            "  {why} — the demo moves its clock into the window"
        ));
        let windows = crate::reconcile::production::window(
            &[DeployWindow {
                cron: "0 18 * * MON-THU".into(),
                duration_minutes: 180,
                timezone: Some("Europe/Berlin".into()),
            }],
            d.clock.now(),
        );
        if let Err(next) = windows {
            d.clock.set(next + chrono::Duration::minutes(1));
        }
        d.reconcile().await?;
    }
    d.expect("orders-prod", PromotionStatus::Deployed)?;

    println!("\n3. An emergency hotfix");
    let mut h = request("orders-hotfix", "alice", Target::Production, "2.0.1");
    h.hotfix = Some(Hotfix {
        justification: "Orders with a null ship-to address crash the flow since this morning"
            .into(),
    });
    d.commit_doc(
        "alice",
        "promotions/orders-hotfix/request.yaml",
        &to_yaml(&h)?,
        "hotfix 2.0.1",
    )?;
    d.reconcile().await?;
    let dg = d.request_digest("orders-hotfix")?;
    d.commit_doc(
        "bob",
        "promotions/orders-hotfix/peer-review.yaml",
        &to_yaml(&peer(
            "orders-hotfix",
            dg.clone(),
            "bob",
            PeerDecision::Approved,
            "Minimal change",
        ))?,
        "bob approves the hotfix",
    )?;
    d.reconcile().await?;
    let pd = digest(&std::fs::read(
        repo.join("promotions/orders-hotfix/peer-review.yaml"),
    )?);
    let mut admin_h = admin.clone();
    admin_h.promotion = "orders-hotfix".into();
    admin_h.request_digest = dg;
    admin_h.peer_review_digest = pd;
    admin_h.acknowledge_hotfix = true;
    admin_h.comments = Some("Acknowledged: skips the test cycle".into());
    d.commit_doc(
        "carol",
        "promotions/orders-hotfix/admin-review.yaml",
        &to_yaml(&admin_h)?,
        "carol approves, acknowledging the hotfix",
    )?;
    d.reconcile().await?;
    d.expect("orders-hotfix", PromotionStatus::Deployed)?;

    println!("\n4. A peer rejection");
    let mut r = request("orders-risky", "alice", Target::Production, "2.1.0");
    r.hotfix = Some(Hotfix {
        justification: "Faster batching".into(),
    });
    d.commit_doc(
        "alice",
        "promotions/orders-risky/request.yaml",
        &to_yaml(&r)?,
        "hotfix 2.1.0",
    )?;
    d.reconcile().await?;
    let dg = d.request_digest("orders-risky")?;
    d.commit_doc(
        "bob",
        "promotions/orders-risky/peer-review.yaml",
        &to_yaml(&peer(
            "orders-risky",
            dg,
            "bob",
            PeerDecision::Rejected,
            "Not an emergency: take it through test",
        ))?,
        "bob rejects",
    )?;
    d.reconcile().await?;
    d.expect("orders-risky", PromotionStatus::PeerRejected)?;

    println!("\n5. A withdrawal");
    let mut wd = request("orders-oops", "alice", Target::Production, "2.1.1");
    wd.hotfix = Some(Hotfix {
        justification: "Retry tuning".into(),
    });
    d.commit_doc(
        "alice",
        "promotions/orders-oops/request.yaml",
        &to_yaml(&wd)?,
        "hotfix 2.1.1",
    )?;
    d.reconcile().await?;
    let w = Withdrawal {
        api_version: ApiVersion::V1,
        kind: Kind::Withdrawal,
        promotion: "orders-oops".into(),
        request_digest: d.request_digest("orders-oops")?,
        by: "alice@example.com".into(),
        reason: Some("Opened by mistake".into()),
    };
    d.commit_doc(
        "alice",
        "promotions/orders-oops/withdrawal.yaml",
        &to_yaml(&w)?,
        "alice withdraws it",
    )?;
    d.reconcile().await?;
    d.expect("orders-oops", PromotionStatus::Withdrawn)?;

    println!("\n6. What push access alone cannot do");
    let deployments_before = d.sim.state()["accounts"]["primary-abc123"]["deployments"]
        .as_array()
        .map(|a| a.len())
        .unwrap_or(0);
    let settings = std::fs::read_to_string(repo.join("promoter.yaml"))?
        .replace("classification: PROD", "classification: TEST")
        .replace("serial: 1", "serial: 2");
    d.commit_doc(
        "alice",
        "promoter.yaml",
        &settings,
        "alice re-classifies production as TEST, signing the settings herself",
    )?;
    let mut sneak = request("orders-sneak", "alice", Target::Test, "2.2.0");
    sneak.environments = Some(vec!["env-prod-1".into()]);
    d.commit_doc(
        "alice",
        "promotions/orders-sneak/request.yaml",
        &to_yaml(&sneak)?,
        "alice asks for a TEST deployment to the production environment",
    )?;
    d.reconcile().await?;
    let deployments_after = d.sim.state()["accounts"]["primary-abc123"]["deployments"]
        .as_array()
        .map(|a| a.len())
        .unwrap_or(0);
    if d.store.get("orders-sneak")?.is_some() || deployments_after != deployments_before {
        bail!("a refused document had an effect");
    }
    d.say("  nothing ran: the refusals are kept and shown by `promoter status` and the dashboard");

    println!("\nPromotions:");
    println!(
        "{:<16} {:<20} {:<11} {:<9} {:<10} BRANCH",
        "ID", "STATUS", "TARGET", "VERSION", "COMPONENTS"
    );
    let mut recs = d.store.list(&Default::default())?;
    recs.sort_by_key(|r| r.initiated_at);
    for rec in &recs {
        println!(
            "{:<16} {:<20} {:<11} {:<9} {:<10} {}",
            rec.promotion_id,
            rec.status.as_str(),
            rec.target_environment.as_str(),
            rec.package_version.clone().unwrap_or_default(),
            rec.components_total,
            rec.branch_name
                .clone()
                .filter(|_| rec.branch_id.is_some())
                .unwrap_or_else(|| "-".into())
        );
    }
    let state = d.sim.state();
    let p = &state["accounts"]["primary-abc123"];
    let count = |k: &str| p[k].as_array().map(|a| a.len()).unwrap_or(0);
    let branches: Vec<String> = p["branches"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b["name"].as_str().map(str::to_string))
        .collect();
    println!("\nThe emulator now holds (primary account):");
    println!("  branches: {}", branches.join(", "));
    println!("  components: {}", p["componentCount"]);
    println!(
        "  packaged components: {}; integration packs: {}; releases: {}; deployments: {}",
        count("packages"),
        count("packs"),
        count("releases"),
        count("deployments")
    );
    println!(
        "  connection mappings used: {} (admin-seeded), engine mappings: {}",
        d.store
            .mappings(&crate::store::MappingFilter {
                source: Some(crate::store::MappingSource::Admin),
                ..Default::default()
            })?
            .len(),
        d.store
            .mappings(&crate::store::MappingFilter {
                source: Some(crate::store::MappingSource::Engine),
                ..Default::default()
            })?
            .len()
    );
    if a.keep {
        let kept = tmp.keep();
        println!(
            "\nKept {} (inspect with: promoter status --state {})",
            kept.display(),
            kept.display()
        );
    }
    d.say("done");
    d.sim.shutdown().await;
    Ok(ExitCode::SUCCESS)
}
