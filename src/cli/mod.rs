//! The `promoter` command line: one file per command group, `main` dispatches.
//! Exit codes: 0 success, 1 validation found problems / the command failed, 2 usage error.

mod bench;
pub mod boomi;
mod demo;
mod deps;
mod diff;
mod files;
mod notify;
mod problems;
mod queue;
pub mod read;
pub mod run;
mod shell;
mod sign;
pub mod sim;
mod validate;
mod write;
pub mod xml;

use clap::{Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

/// GitOps promotion of Boomi components, driven by signed documents in git.
///
/// Promotion requests, reviews, decisions and the access policy are YAML files in a git
/// repository, each signed with its author's SSH key (`<file>.sig`, SSHSIG namespace
/// `boomi-promoter`, interoperable with `ssh-keygen -Y sign/verify`).
#[derive(Debug, Parser)]
#[command(name = "promoter", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per process; boxing the larger argument structs would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign a file: writes FILE.sig (SSHSIG, namespace boomi-promoter)
    Sign(sign::SignArgs),
    /// Verify FILE.sig against an allowed-signers file; prints the signer
    Verify(sign::VerifyArgs),
    /// Validate a promotions repository: signatures, trust chain, rules
    Validate(validate::ValidateArgs),
    /// Access-policy tools
    #[command(subcommand)]
    Access(validate::AccessCommand),
    /// Print the JSON Schema of a document kind, or write every kind's with --all --dir (for editors)
    Schema(validate::SchemaArgs),
    /// Write and sign a new promotion request
    New(write::NewArgs),
    /// Write and sign a peer review (--approve or --reject)
    Review(write::ReviewArgs),
    /// Write and sign an admin decision (--approve or --deny)
    Decide(write::DecideArgs),
    /// Write and sign a withdrawal of a promotion waiting for review
    Withdraw(write::ExitArgs),
    /// Write and sign the cancellation of a TEST deployment
    CancelTest(write::ExitArgs),
    /// Write and sign an integration-pack assignment for a TEST promotion
    AssignPack(write::AssignPackArgs),
    /// Process component XML files (strip, rewrite, normalize, references, production)
    Xml(xml::XmlArgs),
    /// Diff a promotion's branch against main (`diff ID`), or two XML files (`--left --right`)
    Diff(read::DiffArgs),
    /// All promotions, newest first, with status, target, branch, open problems and error
    /// code; then refused requests (STATUS REFUSED; not listed with --status or --account)
    /// and the repository's refused documents
    Status(read::StatusArgs),
    /// One promotion: the whole record, its problems, component results, journal and audit
    /// trail; a refused request (no record) shows its problems and exits 1
    Show(read::ShowArgs),
    /// Promotions of a process or a component over time (action E)
    History(read::HistoryArgs),
    /// Component mappings (action F, read side; writes go through signed mappings/*.yaml)
    #[command(subcommand)]
    Mappings(read::MappingsCommand),
    /// Resolve the dependency tree of a root process in a dev account (action B)
    Deps(deps::DepsArgs),
    /// Reconcile once: drive every promotion as far as it can go, then exit
    Reconcile(run::ReconcileArgs),
    /// Run the reconciler continuously (watch the repository, serve health and metrics)
    Daemon(run::DaemonArgs),
    /// The whole lifecycle on the embedded emulator, explained as it runs
    Demo(demo::DemoArgs),
    /// List the dev accounts (sub-accounts of the primary account)
    Accounts(boomi::AccountsArgs),
    /// List a dev account's packaged components, newest first (action A)
    Packages(boomi::PackagesArgs),
    /// List the integration packs (action J); TEST packs end in " - TEST"
    Packs(boomi::PacksArgs),
    /// Send sample notifications to the relay and webhook of promoter.yaml
    NotifyTest(notify::NotifyTestArgs),
    /// What waits for a person: a reviewer's queue, the admin queue, TEST deployments ready for production
    Queue(queue::QueueArgs),
    /// Run the Boomi emulator (a local, faithful stand-in for the Platform API)
    Sim(sim::SimArgs),
    /// Measure throughput on this machine: the XML engine (200 MiB/s target) and verification
    Bench(bench::BenchArgs),
    /// Print the shell completion script (bash, zsh, fish, elvish, powershell)
    Completions(shell::CompletionsArgs),
    /// Print the man page (roff), or write every command's page with --dir
    Man(shell::ManArgs),
}

/// Output format shared by commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Output {
    /// Human-readable text
    #[default]
    Human,
    /// JSON for scripts
    Json,
}

/// Print a value as pretty JSON on stdout.
pub(crate) fn print_json(v: &impl serde::Serialize) {
    println!(
        "{}",
        serde_json::to_string_pretty(v).expect("JSON serialisation")
    );
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
        Command::Sign(a) => sign::sign(a),
        Command::Verify(a) => sign::verify(a),
        Command::Validate(a) => validate::validate(a),
        Command::Access(c) => validate::access(c),
        Command::Schema(a) => validate::schema(a),
        Command::New(a) => write::new(a),
        Command::Review(a) => write::review(a),
        Command::Decide(a) => write::decide(a),
        Command::Withdraw(a) => write::withdraw(a),
        Command::CancelTest(a) => write::cancel_test(a),
        Command::AssignPack(a) => write::assign_pack(a),
        Command::Xml(a) => xml::run_xml(a),
        Command::Diff(a) => read::diff(a),
        Command::Status(a) => read::status(a),
        Command::Show(a) => read::show(a),
        Command::History(a) => read::history(a),
        Command::Mappings(c) => read::mappings(c),
        Command::Deps(a) => deps::deps(a),
        Command::Sim(a) => Ok(sim::run(a)),
        Command::Queue(a) => queue::queue(a),
        Command::NotifyTest(a) => notify::notify_test(a),
        Command::Accounts(a) => Ok(boomi::run_accounts(a)),
        Command::Packages(a) => Ok(boomi::run_packages(a)),
        Command::Packs(a) => Ok(boomi::run_packs(a)),
        Command::Demo(a) => demo::demo(a),
        Command::Bench(a) => bench::run(a),
        Command::Reconcile(a) => run::reconcile(a),
        Command::Daemon(a) => run::daemon(a),
        Command::Completions(a) => shell::completions(a),
        Command::Man(a) => shell::man(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
