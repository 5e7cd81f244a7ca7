//! The `promoter` command line: one file per command group, `run` dispatches.
//! Exit codes: 0 success, 1 validation found problems / command failed, 2 usage error.

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
    }
}
