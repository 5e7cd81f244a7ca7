//! `promoter xml strip|rewrite|normalize|references|production FILE` and `promoter diff`: the
//! component XML engine on local files (the offline half of action G). Human output by default
//! (the resulting XML on stdout, a summary on stderr), `-o json` for machines.

use crate::deps::{build_production_xml, IdCache};
use crate::xml;
use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const MAPPINGS_HELP: &str = "\
Mappings file (JSON or YAML): dev component id -> production component id, either a flat map
  {\"<dev id>\": \"<prod id>\", ...}        or  <dev id>: <prod id>
or the ConnectionMappings document shape:
  mappings:
    - {devComponentId: <dev id>, prodComponentId: <prod id>}";

const STRIP_HELP: &str = "\
Stripped types: process, operation, connector-action, connection and connector-settings; every
other type passes through byte-identical. What is blanked (the value goes, the element or
attribute stays; everything else stays byte for byte):
  - elements named password, host, url, port, EncryptedValue, apiKey, apiToken, secretKey,
    clientSecret, connectionString, jdbcUrl, privateKey, keystorePassword, proxyPassword, or whose
    name contains password, passphrase, secret, key, token or credential (any case): all their
    content;
  - hardening beyond the original rule: every <field type=\"password\"> whatever its id, and every
    <field id=\"X\"> and every attribute X where X, in any case, is password, host, url, port,
    apiKey, apiToken, secretKey, clientSecret, connectionString, jdbcUrl, privateKey,
    keystorePassword or proxyPassword, or contains password, passphrase, secret, token, apikey,
    privatekey or credential (except the flags allowDynamicCredentials and
    suppressBlankAccessToken): the field's content and value attribute, the attribute's value.
A DOCTYPE, an undefined entity or malformed XML fails the command (exit 1): unstripped XML is
never written.";

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Output {
    #[default]
    Human,
    Json,
}

/// `promoter xml …`
#[derive(Debug, Args)]
#[command(about = "Process component XML files: strip, rewrite, normalise, list references")]
pub struct XmlArgs {
    #[command(subcommand)]
    pub command: XmlCommand,
}

#[derive(Debug, Subcommand)]
pub enum XmlCommand {
    /// Blank environment configuration (passwords, hosts, URLs, ports, keys) of a process,
    /// operation or connection; other types pass through unchanged. Everything outside the
    /// blanked values stays byte for byte.
    #[command(after_help = STRIP_HELP)]
    Strip {
        /// The component XML file (`-` for stdin).
        file: PathBuf,
        /// The component type; default: the `type` attribute of the root `bns:Component`.
        #[arg(long = "type")]
        component_type: Option<String>,
        #[arg(short = 'o', long, value_enum, default_value_t)]
        output: Output,
    },
    /// Replace dev component ids by production ids (whole ids only, one pass, no chaining).
    #[command(after_help = MAPPINGS_HELP)]
    Rewrite {
        /// The component XML file (`-` for stdin).
        file: PathBuf,
        /// The dev -> prod mappings file (see below).
        #[arg(long)]
        mappings: PathBuf,
        #[arg(short = 'o', long, value_enum, default_value_t)]
        output: Output,
    },
    /// Normalise for diffing: 2-space indent, attributes sorted, comments dropped.
    Normalize {
        /// The XML file (`-` for stdin).
        file: PathBuf,
        #[arg(short = 'o', long, value_enum, default_value_t)]
        output: Output,
    },
    /// List the component ids the XML refers to.
    References {
        /// The component XML file (`-` for stdin).
        file: PathBuf,
        #[arg(short = 'o', long, value_enum, default_value_t)]
        output: Output,
    },
    /// Build the production copy: strip, rewrite, then set the root element for the
    /// promotion branch (`/Promoted` folder, production id on update, no dev audit attributes).
    #[command(after_help = MAPPINGS_HELP)]
    Production {
        /// The dev component XML file (`-` for stdin).
        file: PathBuf,
        /// The dev -> prod mappings file (see below). When it maps the component's own id the
        /// copy is an update of that production component, otherwise a create.
        #[arg(long)]
        mappings: Option<PathBuf>,
        /// The promotion branch id.
        #[arg(long)]
        branch: String,
        #[arg(short = 'o', long, value_enum, default_value_t)]
        output: Output,
    },
}

/// `promoter diff --left FILE --right FILE`
#[derive(Debug, Args)]
#[command(about = "Diff two component XML files after normalising both (main on the left)")]
pub struct DiffArgs {
    /// The old side (e.g. main); an empty file means the component is new.
    #[arg(long)]
    pub left: PathBuf,
    /// The new side (e.g. the promotion branch).
    #[arg(long)]
    pub right: PathBuf,
    /// Show side-by-side rows instead of a unified diff.
    #[arg(long)]
    pub side_by_side: bool,
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: Output,
}

fn read(path: &Path) -> Result<String> {
    if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).context("reading stdin")?;
        return Ok(s);
    }
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let s = String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8", path.display()))?;
    // A UTF-8 byte-order mark is not part of the document.
    Ok(s.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(s))
}

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum MappingsFile {
    Flat(BTreeMap<String, String>),
    Doc { mappings: Vec<MappingEntry> },
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct MappingEntry {
    dev_component_id: String,
    prod_component_id: String,
}

/// Read a mappings file (see [`MAPPINGS_HELP`]).
pub fn read_mappings(path: &Path) -> Result<HashMap<String, String>> {
    let text = read(path)?;
    let parsed: MappingsFile = if text.trim_start().starts_with('{') {
        serde_json::from_str(&text)
            .with_context(|| format!("{}: not a JSON mappings map", path.display()))?
    } else {
        serde_saphyr::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}: not a YAML mappings file: {e}", path.display()))?
    };
    Ok(match parsed {
        MappingsFile::Flat(m) => m.into_iter().collect(),
        MappingsFile::Doc { mappings } => mappings
            .into_iter()
            .map(|m| (m.dev_component_id, m.prod_component_id))
            .collect(),
    })
}

fn print_json(v: &serde_json::Value) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    writeln!(out)?;
    Ok(())
}

fn print_xml(s: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(s.as_bytes())?;
    Ok(())
}

fn xml_failure(file: &Path, e: &xml::XmlError, output: Output) -> ExitCode {
    match output {
        Output::Json => {
            let _ = print_json(&serde_json::json!({
                "ok": false,
                "file": file.display().to_string(),
                "code": e.code(),
                "position": e.position(),
                "message": e.to_string(),
            }));
        }
        Output::Human => eprintln!("{}: {}: {e}", file.display(), e.code()),
    }
    ExitCode::from(1)
}

/// Run `promoter xml …`.
pub fn run_xml(args: XmlArgs) -> Result<ExitCode> {
    match args.command {
        XmlCommand::Strip {
            file,
            component_type,
            output,
        } => {
            let src = read(&file)?;
            let o = match xml::strip_env_config(&src, component_type.as_deref()) {
                Ok(o) => o,
                Err(e) => return Ok(xml_failure(&file, &e, output)),
            };
            match output {
                Output::Json => print_json(&serde_json::json!({
                    "ok": true,
                    "componentType": o.component_type,
                    "configStripped": o.config_stripped,
                    "strippedElements": o.stripped,
                    "xml": o.xml,
                }))?,
                Output::Human => {
                    print_xml(&o.xml)?;
                    if o.config_stripped {
                        eprintln!("stripped: {}", o.stripped.join(","));
                    } else {
                        eprintln!("nothing stripped (type {})", o.component_type);
                    }
                }
            }
        }
        XmlCommand::Rewrite {
            file,
            mappings,
            output,
        } => {
            let src = read(&file)?;
            let map = read_mappings(&mappings)?;
            let o = match xml::rewrite_references(&src, &map) {
                Ok(o) => o,
                Err(e) => return Ok(xml_failure(&file, &e, output)),
            };
            match output {
                Output::Json => print_json(&serde_json::json!({
                    "ok": true,
                    "referencesRewritten": o.references_rewritten,
                    "rewritten": o.rewritten.iter().map(|(d, p)| serde_json::json!({"devComponentId": d, "prodComponentId": p})).collect::<Vec<_>>(),
                    "unmapped": o.unmapped,
                    "xml": o.xml,
                }))?,
                Output::Human => {
                    print_xml(&o.xml)?;
                    eprintln!("references rewritten: {}", o.references_rewritten);
                    for r in &o.unmapped {
                        eprintln!("warning: no mapping for {} ({})", r.id, r.location);
                    }
                }
            }
        }
        XmlCommand::Normalize { file, output } => {
            let src = read(&file)?;
            let n = match xml::normalize(&src) {
                Ok(n) => n,
                Err(e) => return Ok(xml_failure(&file, &e, output)),
            };
            match output {
                Output::Json => print_json(&serde_json::json!({"ok": true, "xml": n}))?,
                Output::Human => {
                    print_xml(&n)?;
                    if !n.is_empty() {
                        println!();
                    }
                }
            }
        }
        XmlCommand::References { file, output } => {
            let src = read(&file)?;
            let refs = match xml::references(&src) {
                Ok(r) => r,
                Err(e) => return Ok(xml_failure(&file, &e, output)),
            };
            match output {
                Output::Json => print_json(&serde_json::json!({"ok": true, "references": refs}))?,
                Output::Human => {
                    for r in &refs {
                        println!("{}\t{}", r.id, r.location);
                    }
                }
            }
        }
        XmlCommand::Production {
            file,
            mappings,
            branch,
            output,
        } => {
            let src = read(&file)?;
            let map = match &mappings {
                Some(p) => read_mappings(p)?,
                None => HashMap::new(),
            };
            let mut cache = IdCache::default();
            for (d, p) in &map {
                cache.insert(d.clone(), p.clone());
            }
            let own = match xml::ComponentInfo::parse(&src) {
                Ok(i) => i.id,
                Err(e) => return Ok(xml_failure(&file, &e, output)),
            };
            let prod_id = own
                .as_deref()
                .and_then(|id| cache.get(id))
                .map(str::to_string);
            let p = match build_production_xml(&src, None, &cache, prod_id.as_deref(), &branch) {
                Ok(p) => p,
                Err(e) => return Ok(xml_failure(&file, &e, output)),
            };
            match output {
                Output::Json => print_json(&serde_json::json!({
                    "ok": true,
                    "action": if prod_id.is_some() { "UPDATE" } else { "CREATE" },
                    "prodComponentId": prod_id,
                    "production": p,
                }))?,
                Output::Human => {
                    print_xml(&p.xml)?;
                    eprintln!(
                        "{}; stripped: {}; references rewritten: {}",
                        match &prod_id {
                            Some(id) => format!("update of {id}"),
                            None => "create".to_string(),
                        },
                        if p.stripped.is_empty() {
                            "-".to_string()
                        } else {
                            p.stripped.join(",")
                        },
                        p.references_rewritten
                    );
                    for r in &p.unmapped {
                        eprintln!("warning: no mapping for {} ({})", r.id, r.location);
                    }
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Run `promoter diff`.
pub fn run_diff(args: DiffArgs) -> Result<ExitCode> {
    let left = read(&args.left)?;
    let right = read(&args.right)?;
    let ln = match xml::normalize(&left) {
        Ok(n) => n,
        Err(e) => return Ok(xml_failure(&args.left, &e, args.output)),
    };
    let rn = match xml::normalize(&right) {
        Ok(n) => n,
        Err(e) => return Ok(xml_failure(&args.right, &e, args.output)),
    };
    let d = xml::diff(
        &ln,
        &rn,
        &args.left.display().to_string(),
        &args.right.display().to_string(),
    );
    match args.output {
        Output::Json => {
            let mut v = serde_json::json!({
                "ok": true,
                "identical": d.is_identical(),
                "stats": d.stats,
                "unified": d.unified,
            });
            if args.side_by_side {
                v["rows"] = serde_json::to_value(&d.rows)?;
            }
            print_json(&v)?;
        }
        Output::Human => {
            let mut out = std::io::stdout().lock();
            if args.side_by_side {
                super::diff::write_side_by_side(&mut out, &d.rows)?;
            } else {
                out.write_all(d.unified.as_bytes())?;
            }
            writeln!(
                out,
                "{} added, {} removed, {} changed, {} unchanged",
                d.stats.added, d.stats.removed, d.stats.changed, d.stats.unchanged
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
