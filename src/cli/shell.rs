//! `promoter completions SHELL` (clap_complete) and `promoter man` (clap_mangen): what a
//! package or an operator installs beside the binary, generated from the same clap
//! definitions the binary parses, so they never drift from it.

use anyhow::{Context, Result};
use clap::{Args, CommandFactory};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell. Install, e.g.:
    /// `promoter completions bash > /etc/bash_completion.d/promoter`,
    /// `promoter completions zsh > "${fpath[1]}/_promoter"`,
    /// `promoter completions fish > ~/.config/fish/completions/promoter.fish`
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write `promoter.1` and one page per command (`promoter-daemon.1`, …) into this
    /// directory instead of printing `promoter.1` (e.g. `--dir /usr/local/share/man/man1`)
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub fn completions(a: CompletionsArgs) -> Result<ExitCode> {
    let mut cmd = super::Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "promoter", &mut out);
    write_stdout(&out)
}

/// Write to stdout; a reader that stopped early (`| head`) is not an error.
fn write_stdout(bytes: &[u8]) -> Result<ExitCode> {
    match std::io::Write::write_all(&mut std::io::stdout(), bytes) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(ExitCode::SUCCESS),
    }
}

pub fn man(a: ManArgs) -> Result<ExitCode> {
    let cmd = super::Cli::command();
    match a.dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            clap_mangen::generate_to(cmd, &dir)
                .with_context(|| format!("writing the man pages into {}", dir.display()))?;
            eprintln!("wrote the man pages into {}", dir.display());
        }
        None => {
            let mut out = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut out)
                .context("rendering the man page")?;
            return write_stdout(&out);
        }
    }
    Ok(ExitCode::SUCCESS)
}
