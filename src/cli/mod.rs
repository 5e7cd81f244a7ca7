//! The `promoter` command line: one file per command group, `run` dispatches.
//! Exit codes: 0 success, 1 validation found problems / command failed, 2 usage error.

pub mod boomi;
pub mod sim;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// GitOps promotion of Boomi components, driven by signed documents in git.
#[derive(Debug, Parser)]
#[command(name = "promoter", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve a local Boomi Platform API emulator from a seed file.
    Sim(sim::SimArgs),
    /// List the development sub-accounts of the primary account.
    Accounts(boomi::AccountsArgs),
    /// List the packaged components of a development account, newest first.
    Packages(boomi::PackagesArgs),
    /// List the integration packs the primary account publishes.
    Packs(boomi::PacksArgs),
}

/// Parse the command line and run it.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cli.command {
        Command::Sim(args) => sim::run(args),
        Command::Accounts(args) => boomi::run_accounts(args),
        Command::Packages(args) => boomi::run_packages(args),
        Command::Packs(args) => boomi::run_packs(args),
    }
}
