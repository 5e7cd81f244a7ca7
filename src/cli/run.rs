//! `promoter reconcile --once` and `promoter daemon`: the reconciler against a promotions
//! repository (local path or git URL) and Boomi (or `promoter sim`).

use crate::boomi::{Credentials, HttpConfig, HttpPlatform, DEFAULT_BASE_URL};
use crate::model::Settings;
use crate::policy::trust::{evaluate_policy, evaluate_settings, POLICY_PATH, SETTINGS_PATH};
use crate::policy::{AllowedSigners, Files};
use crate::reconcile::{Config, Context, PassReport, Reconciler, SystemClock};
use crate::source::GitSource;
use crate::store::Store;
use anyhow::{anyhow, Context as _, Result};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// What every reconciler command needs.
#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    /// The promotions repository: a local path (watched) or a git URL (cloned into the state
    /// directory and fetched)
    #[arg(long, env = "PROMOTER_REPO")]
    pub repo: String,
    /// The tracked branch; only committed content on it counts
    #[arg(long, default_value = "main", env = "PROMOTER_BRANCH")]
    pub branch: String,
    /// State directory (SQLite database `state.db`, the clone of a remote repository)
    #[arg(long, env = "PROMOTER_STATE")]
    pub state: PathBuf,
    /// Bootstrap allowed-signers file: the keys that may sign the first access policy
    #[arg(long, env = "PROMOTER_TRUST")]
    pub trust: PathBuf,
    /// Boomi API base URL (`http://127.0.0.1:9090` for `promoter sim`)
    #[arg(long, env = "PROMOTER_BOOMI_URL", default_value = DEFAULT_BASE_URL)]
    pub boomi: String,
    /// Primary account id (default: `primaryAccountId` of promoter.yaml)
    #[arg(long, env = "PROMOTER_ACCOUNT")]
    pub account: Option<String>,
    /// File holding `user:token` (or set BOOMI_USERNAME and BOOMI_TOKEN)
    #[arg(long, env = "BOOMI_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// Directory of the secrets `promoter.yaml` may reference as files (`passwordFrom: {file:
    /// NAME}` reads `<dir>/NAME`); without it only `PROMOTER_SECRET_*` variables are read
    #[arg(long, env = "PROMOTER_SECRETS_DIR")]
    pub secrets_dir: Option<PathBuf>,
    /// Append every HTTP exchange with Boomi to this file as JSON lines (Authorization redacted)
    #[arg(long, env = "PROMOTER_RECORD_HTTP")]
    pub record_http: Option<PathBuf>,
    /// Boomi requests per second (default: `apiRateLimit` of promoter.yaml, else 8)
    #[arg(long, env = "PROMOTER_RATE_LIMIT")]
    pub rate_limit: Option<u32>,
    /// Log as JSON lines (the level comes from PROMOTER_LOG, e.g. `debug`; default `info`)
    #[arg(long, env = "PROMOTER_LOG_JSON")]
    pub log_json: bool,
    /// Delete `promo-*` branches that belong to no live promotion (otherwise only reported)
    #[arg(long, env = "PROMOTER_PRUNE_ORPHANS")]
    pub prune_orphans: bool,
    /// Dev accounts whose promotions are driven at the same time (promotions of one dev account
    /// always run one after another, oldest first)
    #[arg(long, default_value_t = 4, env = "PROMOTER_CONCURRENCY", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
}

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// One pass to convergence, then exit (0: nothing left to do; 1: work is still waiting)
    #[arg(long, required = true, env = "PROMOTER_ONCE")]
    pub once: bool,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct DaemonArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Seconds between fetches of a remote repository, and between retries of waiting work
    #[arg(long, default_value_t = 30, env = "PROMOTER_POLL")]
    pub poll: u64,
    /// Address of the health, metrics, API and dashboard server (the container image sets
    /// PROMOTER_LISTEN=0.0.0.0:8080)
    #[arg(long, default_value = "127.0.0.1:8080", env = "PROMOTER_LISTEN")]
    pub listen: String,
    /// File holding the secret of `POST /hooks/git` (X-Hub-Signature-256)
    #[arg(long, env = "PROMOTER_WEBHOOK_SECRET_FILE")]
    pub webhook_secret_file: Option<PathBuf>,
    /// On SIGTERM/SIGINT, seconds to let the Boomi steps under way finish before exiting (a
    /// step cut short is safe: the journal finishes it on the next start)
    #[arg(long, default_value_t = 30, env = "PROMOTER_SHUTDOWN_GRACE")]
    pub shutdown_grace: u64,
}

pub(crate) fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PROMOTER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only for a terminal: a log file or a collector gets plain text.
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = if json {
        b.json().try_init()
    } else {
        b.try_init()
    };
}

/// Everything a reconciler command opens.
pub struct Opened {
    pub source: Arc<GitSource>,
    pub reconciler: Reconciler,
    pub store: Arc<Store>,
    pub metrics: crate::server::Metrics,
    pub platform: Arc<HttpPlatform>,
}

/// The settings in force at `commit`: `promoter.yaml` when the trust chain accepts it (signed by
/// an ADMIN of the policy in force, greater serial), else the settings accepted earlier. An
/// unsigned change never reaches the daemon's configuration (notifications, rate, sweep).
pub fn settings_in_force(
    source: &GitSource,
    commit: &str,
    store: &Store,
    bootstrap: Option<AllowedSigners>,
) -> Result<Option<Settings>> {
    let mut files = Files::new();
    for path in [POLICY_PATH, SETTINGS_PATH] {
        for p in [path.to_string(), format!("{path}.sig")] {
            if let Some(b) = source.read_file(commit, &p)? {
                files.insert(p, b);
            }
        }
    }
    let trust = crate::reconcile::sync::trust_from_store(store, bootstrap)?;
    let mut problems = Vec::new();
    let policy = evaluate_policy(&files, &trust, &mut problems);
    let settings = evaluate_settings(&files, &trust, &policy, &mut problems);
    for p in problems.iter().filter(|p| p.file == SETTINGS_PATH) {
        tracing::warn!(file = %p.file, code = %p.code, "{}", p.message);
    }
    Ok(settings.in_force)
}

/// Open the source, the store and the Boomi client.
pub fn open(a: &RunArgs) -> Result<Opened> {
    std::fs::create_dir_all(&a.state).with_context(|| format!("creating {}", a.state.display()))?;
    let metrics = crate::server::Metrics::new();
    let source = Arc::new(GitSource::open(&a.repo, &a.branch, &a.state)?);
    source.observe_fetches(metrics.fetch_observer());
    source.fetch()?;
    let head = source.head()?;
    let store = Arc::new(Store::open(super::read::state_db(&a.state))?);
    let bootstrap =
        AllowedSigners::read(&a.trust).with_context(|| format!("--trust {}", a.trust.display()))?;
    let settings = settings_in_force(&source, &head, &store, Some(bootstrap.clone()))?;
    let account = a
        .account
        .clone()
        .or_else(|| settings.as_ref().map(|s| s.primary_account_id.clone()))
        .ok_or_else(|| {
            anyhow!("no primary account: give --account or primaryAccountId in promoter.yaml")
        })?;
    let credentials = Credentials::resolve(a.token_file.as_deref())?;
    let mut cfg = HttpConfig::new(a.boomi.clone(), account, credentials);
    cfg.requests_per_second = a
        .rate_limit
        .or_else(|| settings.as_ref().map(|s| s.api_rate_limit))
        .unwrap_or(8);
    cfg.record_http = a.record_http.clone();
    cfg.observer = Some(metrics.boomi_observer());
    let platform = Arc::new(HttpPlatform::new(cfg)?);
    let fence = crate::notify_out::SecretFence {
        dir: a.secrets_dir.clone(),
        deny: a.token_file.iter().cloned().collect(),
    };
    let on_failure = crate::notify_out::OnFailure::new(metrics.notification_hook());
    let notifier: Arc<dyn crate::notify_out::Notifier> =
        Arc::new(crate::notify_out::QueuedNotifier::spawn_with(
            crate::notify_out::from_optional_settings_observed(
                settings.as_ref().and_then(|s| s.notifications.as_ref()),
                &fence,
                &on_failure,
            ),
            crate::notify_out::DEFAULT_QUEUE_CAPACITY,
            on_failure.clone(),
        ));
    let ctx = Context {
        gate: Arc::new(crate::reconcile::guard::Gate::new(
            platform.clone(),
            platform.clone(),
            store.clone(),
        )),
        platform: platform.clone(),
        store: store.clone(),
        clock: Arc::new(SystemClock),
        config: Config {
            concurrency: usize::from(a.concurrency),
            ..Config::default()
        },
        bootstrap: Some(bootstrap),
        notifier,
        shared: Default::default(),
    };
    Ok(Opened {
        source,
        reconciler: Reconciler::new(ctx),
        store,
        metrics,
        platform,
    })
}

/// Passes until nothing changes any more (or the limit).
pub async fn converge(o: &Opened) -> Result<PassReport> {
    let max = o.reconciler.ctx.config.max_passes;
    let mut last = PassReport::default();
    for _ in 0..max {
        o.source.fetch()?;
        let head = o.source.head()?;
        let started = std::time::Instant::now();
        last = o.reconciler.pass_at(&o.source, &head).await?;
        o.metrics.observe_reconcile(started.elapsed());
        for p in &last.problems {
            o.metrics.error(p.code);
        }
        for _ in o.reconciler.ctx.shared.stopped_lanes() {
            o.metrics.error(crate::model::ErrorCode::AuthFailed);
        }
        if last.converged() || !last.progressed() {
            break;
        }
    }
    Ok(last)
}

/// Problems of the desired state, then every promotion (by id) with its status.
fn print_report(r: &PassReport, store: &Store) -> Result<()> {
    for p in &r.problems {
        eprintln!("problem: {p}");
    }
    let mut records = store.list(&Default::default())?;
    records.sort_by(|a, b| a.promotion_id.cmp(&b.promotion_id));
    for rec in records {
        let id = &rec.promotion_id;
        let waiting = if r.waiting.contains(id) {
            "  (waiting)"
        } else {
            ""
        };
        println!("{id:<32} {}{waiting}", rec.status);
    }
    Ok(())
}

pub fn reconcile(a: ReconcileArgs) -> Result<ExitCode> {
    init_logging(a.run.log_json);
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let o = open(&a.run)?;
        let report = converge(&o).await?;
        print_report(&report, &o.store)?;
        // The orphan sweep when the pass converged (or when asked to prune); a sweep that fails
        // is reported, never the run's error.
        if report.converged() || a.run.prune_orphans {
            match crate::reconcile::sweep::sweep(&o.reconciler.ctx, a.run.prune_orphans).await {
                Ok(orphans) => {
                    for orphan in orphans {
                        println!(
                            "orphan branch {} ({}){}",
                            orphan.name,
                            orphan.branch_id,
                            if orphan.deleted {
                                ": deleted"
                            } else {
                                ": run with --prune-orphans to delete it"
                            }
                        );
                    }
                }
                Err(e) => eprintln!("orphan-branch sweep not done: {e}"),
            }
        }
        Ok(if report.converged() {
            ExitCode::SUCCESS
        } else {
            eprintln!("{} promotion(s) still waiting", report.waiting.len());
            ExitCode::from(1)
        })
    })
}

pub fn daemon(a: DaemonArgs) -> Result<ExitCode> {
    init_logging(a.run.log_json);
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let o = Arc::new(open(&a.run)?);
        let watch = crate::source::watch(
            o.source.clone(),
            crate::source::WatchOptions {
                poll: Duration::from_secs(a.poll.max(1)),
                ..Default::default()
            },
        )?;
        #[cfg(unix)]
        let _sighup = crate::source::trigger_on_sighup(watch.trigger())?;
        let mut wake = watch.subscribe();
        let listener = tokio::net::TcpListener::bind(&a.listen)
            .await
            .with_context(|| format!("listening on {}", a.listen))?;
        tracing::info!(listen = %a.listen, repo = %o.source.describe(), "promoter daemon started");
        let ready = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let trigger = watch.trigger();
        let mut state = crate::server::ServerState::new(o.store.clone())
            .with_ready_flag(ready.clone())
            .with_metrics(o.metrics.clone())
            .with_wake(move || trigger.fire())
            .with_platform(o.platform.clone());
        if let Some(f) = &a.webhook_secret_file {
            let secret = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
            state = state.with_webhook_secret(trim_secret(&secret));
        }
        let degraded_state = state.clone();
        let (stop_server, server_stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(crate::server::serve(listener, state, async move {
            let _ = server_stopped.await;
        }));
        let shutdown = shutdown_signal();
        tokio::pin!(shutdown);
        let sweep_cron: croner::Cron = settings_in_force(
            &o.source,
            &o.source.head()?,
            &o.store,
            o.reconciler.ctx.bootstrap.clone(),
        )?
            .and_then(|s| s.orphan_sweep)
            .unwrap_or_else(|| "0 * * * *".into())
            .parse()
            .map_err(|e| anyhow!("orphanSweep: {e}"))?;
        let mut next_sweep = sweep_cron.find_next_occurrence(&chrono::Utc::now(), false).ok();
        let grace = Duration::from_secs(a.shutdown_grace);
        loop {
            let pass = converge(&o);
            tokio::pin!(pass);
            tokio::select! {
                _ = &mut shutdown => {
                    // Stop taking work; let the steps under way reach their journal point.
                    o.reconciler.ctx.shared.stop();
                    tracing::info!(grace_seconds = grace.as_secs(), "shutting down: finishing the steps under way");
                    if tokio::time::timeout(grace, &mut pass).await.is_err() {
                        tracing::warn!("shutdown grace elapsed; the journal finishes the interrupted step on the next start");
                    }
                    break;
                }
                r = &mut pass => {
                    match r {
                        Ok(report) => {
                            ready.store(true, std::sync::atomic::Ordering::SeqCst);
                            let stopped = o.reconciler.ctx.shared.stopped_lanes();
                            degraded_state.set_degraded((!stopped.is_empty()).then(|| {
                                stopped
                                    .iter()
                                    .map(|(dev, why)| format!("{} for dev account {dev}: {why}", crate::model::ErrorCode::AuthFailed))
                                    .collect::<Vec<_>>()
                                    .join("; ")
                            }));
                            if report.scope == Some(0) && !report.progressed() {
                                tracing::debug!(commit = %report.commit, "idle pass: nothing changed, nothing waits");
                            } else {
                                tracing::info!(
                                    commit = %report.commit,
                                    waiting = report.waiting.len(),
                                    looked_at = report.scope.map_or_else(|| "all".to_string(), |n| n.to_string()),
                                    "reconciled"
                                );
                            }
                        }
                        Err(e) => tracing::error!(error = %format!("{e:#}"), "reconcile pass failed"),
                    }
                }
            }
            if next_sweep.is_some_and(|t| t <= chrono::Utc::now()) {
                match crate::reconcile::sweep::sweep(&o.reconciler.ctx, a.run.prune_orphans).await {
                    Ok(found) => tracing::info!(orphans = found.len(), "orphan-branch sweep"),
                    Err(e) => tracing::warn!(error = %e, "orphan-branch sweep failed"),
                }
                next_sweep = sweep_cron.find_next_occurrence(&chrono::Utc::now(), false).ok();
            }
            tokio::select! {
                _ = &mut shutdown => break,
                _ = wake.changed() => {}
                _ = tokio::time::sleep(Duration::from_secs(a.poll.max(1))) => {}
            }
        }
        tracing::info!("shutting down");
        let _ = stop_server.send(());
        let _ = server.await;
        Ok(ExitCode::SUCCESS)
    })
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// A secret file's bytes without a trailing line break.
fn trim_secret(b: &[u8]) -> Vec<u8> {
    let mut v = b.to_vec();
    while v.last().is_some_and(|c| *c == b'\n' || *c == b'\r') {
        v.pop();
    }
    v
}
