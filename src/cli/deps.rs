//! `promoter deps`: resolve the dependency tree of a root component in a dev account (action
//! B) through the Boomi API, and show what a promotion would do with each component.
//!
//! Existing mappings come from:
//! - the state store (`--state`): engine mappings make a component `UPDATE`, admin connection
//!   mappings make a connection `CONNECTION_MAPPED`;
//! - the promotions repository (`--repo`): the admin-signed `mappings/<DEV>.yaml` at HEAD, read
//!   and **verified** the way the daemon does (`policy::verify_repository`: the access policy's
//!   trust chain from `--trust` and the policy the store accepted, then the mapping file's
//!   signature by an ADMIN). An unverified mappings file is reported and not used. Repository
//!   mappings win over the store's for the same dev component (git is the desired state).
//!
//! Exit 1 when a connection has no mapping (`MISSING_CONNECTION_MAPPINGS`) or resolution failed.

use super::read::{fail, open_state, runtime, BoomiArgs};
use super::{print_json, Output};
use crate::boomi::source::PlatformSource;
use crate::deps::{
    self, ExistingMapping, MappingSource as DepSource, MappingStatus, Resolution, ResolveRequest,
};
use crate::model::ErrorCode;
use crate::policy::verify::{verify_repository, Trust};
use crate::policy::AllowedSigners;
use crate::store::{MappingFilter, MappingSource};
use anyhow::{Context, Result};
use clap::Args;
use serde_json::json;
use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// `promoter deps --account DEV --root ID`
#[derive(Debug, Args)]
pub struct DepsArgs {
    /// The dev sub-account holding the components
    #[arg(long, value_name = "DEV")]
    pub account: String,
    /// The root component (usually the process) id
    #[arg(long, value_name = "ID")]
    pub root: String,
    /// Cross-check the references found in the XML against Boomi's ComponentReference API
    #[arg(long)]
    pub check_references: bool,
    /// The daemon's state directory: existing mappings from its store
    #[arg(long, env = "PROMOTER_STATE", value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// The promotions repository: connection mappings from mappings/<DEV>.yaml at HEAD
    #[arg(long, value_name = "PATH")]
    pub repo: Option<PathBuf>,
    /// Bootstrap allowed-signers file anchoring the access policy (with --repo)
    #[arg(long, env = "PROMOTER_TRUST", value_name = "FILE")]
    pub trust: Option<PathBuf>,
    #[command(flatten)]
    pub boomi: BoomiArgs,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: Output,
}

/// Where the mappings came from, for the report.
#[derive(Debug, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct MappingSources {
    store: usize,
    repository: usize,
    warnings: Vec<String>,
}

fn load_mappings(a: &DepsArgs) -> Result<(Vec<ExistingMapping>, MappingSources)> {
    let mut by_dev: BTreeMap<String, ExistingMapping> = BTreeMap::new();
    let mut sources = MappingSources::default();
    let mut trust = Trust::default();
    if let Some(dir) = &a.state {
        let store = open_state(dir)?;
        for m in store.mappings(&MappingFilter {
            dev_account_id: Some(a.account.clone()),
            ..Default::default()
        })? {
            sources.store += 1;
            by_dev.insert(
                m.dev_component_id.clone(),
                ExistingMapping {
                    dev_component_id: m.dev_component_id,
                    prod_component_id: m.prod_component_id,
                    component_type: m.component_type,
                    source: match m.source {
                        MappingSource::Engine => DepSource::Engine,
                        MappingSource::Admin => DepSource::Admin,
                    },
                },
            );
        }
        trust = crate::reconcile::sync::trust_from_store(&store, None)?;
    }
    if let Some(repo) = &a.repo {
        let loaded = super::files::load(repo, None, false)?;
        let path = format!("mappings/{}.yaml", a.account);
        let bootstrap = match &a.trust {
            Some(p) => {
                Some(AllowedSigners::read(p).with_context(|| format!("--trust {}", p.display()))?)
            }
            None => None,
        };
        if bootstrap.is_none() && trust.accepted.is_none() {
            sources.warnings.push(
                "no trust anchor (--trust or a store with an accepted policy): the access policy \
                 is trusted because one of its own ADMINs signed it"
                    .into(),
            );
        }
        trust.bootstrap = bootstrap;
        let verified = verify_repository(&loaded.files, &trust);
        match verified.mappings.get(&a.account) {
            Some(signed) => {
                for m in &signed.doc.mappings {
                    sources.repository += 1;
                    by_dev.insert(
                        m.dev_component_id.clone(),
                        ExistingMapping {
                            dev_component_id: m.dev_component_id.clone(),
                            prod_component_id: m.prod_component_id.clone(),
                            component_type: "connection".into(),
                            source: DepSource::Admin,
                        },
                    );
                }
            }
            None if loaded.files.contains_key(&path) => {
                for p in verified.problems.iter().filter(|p| p.file == path) {
                    sources
                        .warnings
                        .push(format!("{}: {}: {} (not used)", p.file, p.code, p.message));
                }
                if !verified.problems.iter().any(|p| p.file == path) {
                    sources
                        .warnings
                        .push(format!("{path}: not verified (not used)"));
                }
            }
            None => sources.warnings.push(format!(
                "{path} is not in {} ({})",
                repo.display(),
                loaded.origin
            )),
        }
    }
    Ok((by_dev.into_values().collect(), sources))
}

/// The status word and production id of a component.
fn status_of(s: &MappingStatus) -> (&'static str, Option<&str>) {
    match s {
        MappingStatus::New => ("NEW", None),
        MappingStatus::Update { prod_component_id } => ("UPDATE", Some(prod_component_id)),
        MappingStatus::ConnectionMapped { prod_component_id } => {
            ("CONNECTION_MAPPED", Some(prod_component_id))
        }
        MappingStatus::ConnectionMissing => ("CONNECTION_MISSING", None),
        MappingStatus::Error { .. } => ("ERROR", None),
    }
}

/// The tree as indented lines: each component under the first parent that reached it at its
/// breadth-first depth, once.
fn tree_lines(r: &Resolution) -> Vec<String> {
    let mut lines = Vec::new();
    let mut printed: HashSet<&str> = HashSet::new();
    let Some(root) = r.components.first() else {
        return lines;
    };
    // Iterative DFS: (component, depth).
    let mut stack = vec![root];
    printed.insert(root.dev_component_id.as_str());
    while let Some(c) = stack.pop() {
        let (word, prod) = status_of(&c.status);
        let mut line = format!(
            "{}{} [{}] {}",
            "  ".repeat(c.depth),
            if c.name.is_empty() {
                &c.dev_component_id
            } else {
                &c.name
            },
            if c.component_type.is_empty() {
                "?"
            } else {
                &c.component_type
            },
            word
        );
        if let Some(p) = prod {
            line.push_str(&format!(" -> {p}"));
        }
        line.push_str(&format!("  ({}", c.dev_component_id));
        if let Some(v) = c.dev_version {
            line.push_str(&format!(" v{v}"));
        }
        line.push(')');
        if c.has_env_config {
            line.push_str("  [env config]");
        }
        if let MappingStatus::Error { code, message } = &c.status {
            line.push_str(&format!("  {code}: {message}"));
        }
        lines.push(line);
        let mut children = Vec::new();
        for rf in &c.references {
            if let Some(child) = r.component(&rf.id) {
                if child.depth == c.depth + 1 && printed.insert(child.dev_component_id.as_str()) {
                    children.push(child);
                }
            }
        }
        for ch in children.into_iter().rev() {
            stack.push(ch);
        }
    }
    // Anything not reachable through the printed edges (should not happen) goes last.
    for c in &r.components {
        if !printed.contains(c.dev_component_id.as_str()) {
            let (word, _) = status_of(&c.status);
            lines.push(format!(
                "{}{} [{}] {}  ({})",
                "  ".repeat(c.depth),
                c.name,
                c.component_type,
                word,
                c.dev_component_id
            ));
        }
    }
    lines
}

/// Run `promoter deps`.
pub fn deps(a: DepsArgs) -> Result<ExitCode> {
    let (mappings, sources) = load_mappings(&a)?;
    let platform = a.boomi.platform_or(None)?;
    let mut req = ResolveRequest::new(&a.account, &a.root, mappings);
    req.check_references = a.check_references;
    let rt = runtime()?;
    let resolved = rt.block_on(deps::resolve(&PlatformSource(&platform), &req));
    let r = match resolved {
        Ok(r) => r,
        Err(e) => return Ok(fail(a.output, e.code(), &e.to_string())),
    };
    let missing = r.has_missing_connections();
    match a.output {
        Output::Json => {
            let mut v = serde_json::to_value(&r)?;
            v["ok"] = json!(!missing);
            v["mappingSources"] = serde_json::to_value(&sources)?;
            if missing {
                v["code"] = json!(ErrorCode::MissingConnectionMappings);
            }
            print_json(&v);
        }
        Output::Human => {
            let mut out = std::io::stdout().lock();
            for w in &sources.warnings {
                eprintln!("warning: {w}");
            }
            writeln!(
                out,
                "{} ({}) in {}: {} components{}",
                r.root_process_name,
                r.root_component_id,
                r.dev_account_id,
                r.total_components,
                if r.partial { " (PARTIAL)" } else { "" }
            )?;
            writeln!(
                out,
                "Mappings used: {} from the store, {} from the repository",
                sources.store, sources.repository
            )?;
            writeln!(out)?;
            for l in tree_lines(&r) {
                writeln!(out, "{l}")?;
            }
            writeln!(out, "\nPromotion order:")?;
            for (i, id) in r.order.iter().enumerate() {
                let c = r.component(id);
                let (word, _) = c.map(|c| status_of(&c.status)).unwrap_or(("?", None));
                writeln!(
                    out,
                    "  {:>3}. {} [{}] {}",
                    i + 1,
                    c.map(|c| c.name.as_str()).unwrap_or(id),
                    c.map(|c| c.component_type.as_str()).unwrap_or("?"),
                    word
                )?;
            }
            if !r.forward_references.is_empty() {
                writeln!(
                    out,
                    "\nForward references (rewritten again once the referenced component exists):"
                )?;
                for f in &r.forward_references {
                    writeln!(out, "  {} -> {}", f.component_id, f.references_id)?;
                }
            }
            if a.check_references {
                if r.reference_mismatches.is_empty() {
                    writeln!(
                        out,
                        "\nReferences: the XML and the ComponentReference API agree."
                    )?;
                } else {
                    writeln!(
                        out,
                        "\nReference mismatches (XML vs ComponentReference API):"
                    )?;
                    for m in &r.reference_mismatches {
                        writeln!(
                            out,
                            "  {}: only in XML {:?}, only in API {:?}",
                            m.component_id, m.only_in_xml, m.only_in_api
                        )?;
                    }
                }
            }
            if missing {
                writeln!(
                    out,
                    "\n{}: {} connection(s) have no production mapping; an admin must add them to mappings/{}.yaml:",
                    ErrorCode::MissingConnectionMappings,
                    r.missing_connections.len(),
                    r.dev_account_id
                )?;
                for m in &r.missing_connections {
                    writeln!(
                        out,
                        "  {} ({}) [{}]",
                        m.name, m.dev_component_id, m.component_type
                    )?;
                }
            } else {
                writeln!(out, "\nEvery connection is mapped.")?;
            }
        }
    }
    Ok(if missing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
