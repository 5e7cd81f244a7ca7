//! `sim`: the Boomi Platform API emulator behind `promoter sim` and the end-to-end tests.
//!
//! An in-memory platform (the model of cargo's test-support HTTP registry: a real server on
//! a local port with fault hooks) that behaves like Boomi where the promotion lifecycle can
//! tell the difference:
//!
//! - accounts: a primary account and development sub-accounts reached through
//!   `/partner/api/rest/v1/{primary}/...?overrideAccount={dev}` (the `/api/rest/v1/` prefix
//!   is served too);
//! - components with one revision sequence per component, per-branch revisions
//!   (`Component/{id}~{branchId}` reads, writes through the root `branchId` attribute or
//!   `Component~{branchId}`), version + 1 on each save, "no change" updates refused with 400,
//!   secret values replaced by a one-way hash and never returned;
//! - branches ready after a configurable number of reads and/or a delay, a branch limit
//!   (default 20, main included), merge requests through `DRAFTING → DRAFTED → REVIEWING →
//!   MERGING → MERGED` (one stage per GET, or all at once) with OVERRIDE semantics;
//! - packaged components (unique version per component, from main or a branch), publisher
//!   packs (ADD / DELETE), releases answering 202 then 200, deployments per environment,
//!   environments, environment extensions (partial update, encrypted values), map extensions;
//! - the ComponentMetadata / ComponentReference queries with the filter grammar and
//!   `queryMore` paging at 100 rows;
//! - Basic auth (`BOOMI_TOKEN.<user>`), the per-account rate limit answered with 503,
//!   faults, `GET /__sim/state`, and optional persistence of the state to a JSON file.
//!
//! Start it with [`Server::start`]; seed it with [`Seed`] (YAML); tune it with [`SimConfig`].

mod compxml;
mod faults;
mod model;
mod query;
mod seed;
mod server;

pub use faults::Fault;
pub use seed::{
    Seed, SeedAccount, SeedBranch, SeedComponent, SeedDeployment, SeedEnvironment,
    SeedMapExtension, SeedPack, SeedPackComponent, SeedPackage, SeedUser,
};
pub use server::Server;

use crate::model::ErrorCode;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Behaviour knobs of the emulator. Timing is counted in reads/polls so tests are
/// deterministic; durations default to zero.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// A new branch reports `ready=true` from its N-th `GET Branch/{id}` on (0 or 1: the
    /// first read). Default 2: the first read still shows `CREATING`.
    pub branch_ready_after_reads: u32,
    /// ... and not before this much time has passed since creation (default 0).
    pub branch_ready_after: Duration,
    /// GETs a merge request needs to move one automatic stage (DRAFTING → DRAFTED →
    /// REVIEWING, MERGING → MERGED). 0 = every stage at once. Default 1.
    pub merge_stage_polls: u32,
    /// Status polls that answer 202 `IN_PROGRESS` before 200 `SUCCESS`. Default 1.
    pub release_in_progress_polls: u32,
    /// Requests per second per effective account; 0 disables the limit. Default 10.
    pub rate_limit_per_second: u32,
    /// Status for a rate-limited call: 503 (Boomi) or 429. Default 503.
    pub rate_limit_status: u16,
    /// Status for an unknown object id: 400 (Boomi's bulk behaviour) or 404. Default 400.
    pub unknown_id_status: u16,
    /// Maximum branches per account, main included. Default 20.
    pub branch_limit: usize,
    /// Refuse MERGE before REVIEWING (OAS). Default true.
    pub strict_merge_stages: bool,
    /// Results per query page. Default 100.
    pub page_size: usize,
    /// Write the state here (JSON) after every call and load it at start when it exists.
    pub state_file: Option<PathBuf>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            branch_ready_after_reads: 2,
            branch_ready_after: Duration::ZERO,
            merge_stage_polls: 1,
            release_in_progress_polls: 1,
            rate_limit_per_second: 10,
            rate_limit_status: 503,
            unknown_id_status: 400,
            branch_limit: 20,
            strict_merge_stages: true,
            page_size: 100,
            state_file: None,
        }
    }
}

impl SimConfig {
    /// Everything immediate: branches ready at once, merges and releases done on the first
    /// call, no rate limit. Handy for tests that are not about timing.
    pub fn instant() -> SimConfig {
        SimConfig {
            branch_ready_after_reads: 0,
            merge_stage_polls: 0,
            release_in_progress_polls: 0,
            rate_limit_per_second: 0,
            ..SimConfig::default()
        }
    }
}

/// Emulator failures (starting it, reading its seed or state file).
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("seed {path}: {message}")]
    Seed { path: String, message: String },
    #[error("state file {path}: {message}")]
    State { path: String, message: String },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

impl SimError {
    /// The catalogue code for this failure.
    pub fn code(&self) -> ErrorCode {
        match self {
            SimError::Seed { .. } | SimError::State { .. } => ErrorCode::InvalidDocument,
            SimError::Bind { .. } => ErrorCode::ApiError,
        }
    }
}
