//! The `promoter` command line: one file per command group, `run` dispatches.
//! Exit codes: 0 success, 1 validation found problems / command failed, 2 usage error.

pub mod xml;

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
    /// Process component XML files (strip, rewrite, normalize, references, production).
    Xml(xml::XmlArgs),
    /// Diff two component XML files after normalising both.
    Diff(xml::DiffArgs),
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
    let result = match cli.command {
        Command::Xml(args) => xml::run_xml(args),
        Command::Diff(args) => xml::run_diff(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
