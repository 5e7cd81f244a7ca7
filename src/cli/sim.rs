//! `promoter sim`: serve the Boomi emulator from a seed file until Ctrl-C / SIGTERM.

use crate::sim::{Seed, Server, SimConfig};
use anyhow::Context as _;
use clap::Args;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Run a local Boomi Platform API emulator.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// Seed file (YAML), e.g. examples/sim-seed.yaml.
    #[arg(long)]
    pub seed: PathBuf,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 9090)]
    pub port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Keep the state in this JSON file: loaded at start when it exists (instead of the
    /// seed), written after every call, so the emulator survives a restart.
    #[arg(long)]
    pub state_file: Option<PathBuf>,
    /// Requests per second per account before answering 503 (0: no limit).
    #[arg(long, default_value_t = 10)]
    pub rate_limit: u32,
    /// A new branch turns ready on its N-th status read.
    #[arg(long, default_value_t = 2)]
    pub branch_ready_after_reads: u32,
    /// ... and not before this many milliseconds after creation.
    #[arg(long, default_value_t = 0)]
    pub branch_ready_after_ms: u64,
    /// Status reads a merge request needs per automatic stage (0: all at once).
    #[arg(long, default_value_t = 1)]
    pub merge_stage_polls: u32,
    /// Release status polls answering 202 before 200.
    #[arg(long, default_value_t = 1)]
    pub release_polls: u32,
    /// HTTP status for unknown ids (400 or 404).
    #[arg(long, default_value_t = 400, value_parser = clap::builder::ValueParser::new(parse_unknown_status))]
    pub unknown_id_status: u16,
}

fn parse_unknown_status(s: &str) -> Result<u16, String> {
    match s {
        "400" => Ok(400),
        "404" => Ok(404),
        _ => Err("must be 400 or 404".into()),
    }
}

/// Run `promoter sim`.
pub fn run(args: SimArgs) -> ExitCode {
    match run_inner(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("promoter sim: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run_inner(args: SimArgs) -> anyhow::Result<()> {
    let seed = Seed::from_yaml_file(&args.seed)
        .with_context(|| format!("reading the seed {}", args.seed.display()))?;
    let primary = seed.primary_account.id.clone();
    let devs: Vec<String> = seed.accounts.iter().map(|a| a.id.clone()).collect();
    let config = SimConfig {
        branch_ready_after_reads: args.branch_ready_after_reads,
        branch_ready_after: Duration::from_millis(args.branch_ready_after_ms),
        merge_stage_polls: args.merge_stage_polls,
        release_in_progress_polls: args.release_polls,
        rate_limit_per_second: args.rate_limit,
        unknown_id_status: args.unknown_id_status,
        state_file: args.state_file.clone(),
        ..SimConfig::default()
    };
    // One log line per API call on stderr (RUST_LOG=debug adds the error messages); a
    // subscriber installed by someone else wins.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .try_init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async move {
        let server = Server::start(seed, config, SocketAddr::new(args.host, args.port)).await?;
        println!("promoter sim listening on {}", server.base_url());
        println!(
            "  primary account {primary}; dev accounts: {}",
            if devs.is_empty() {
                "none".to_string()
            } else {
                devs.join(", ")
            }
        );
        println!(
            "  API: {0}/partner/api/rest/v1/{primary}/...  state: {0}/__sim/state",
            server.base_url()
        );
        if let Some(f) = &args.state_file {
            println!("  state file: {}", f.display());
        }
        wait_for_signal().await;
        println!("promoter sim: shutting down");
        server.shutdown().await;
        anyhow::Ok(())
    })
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
