//! boomi-promoter: a GitOps reconciler that promotes Boomi integration components from
//! development sub-accounts into the primary (production) account.
//!
//! Module map (DESIGN.md §4):
//!
//! | module | owns |
//! |---|---|
//! | [`model`] | document types, ids, statuses, the transition table, the error catalogue (no I/O) |
//! | [`policy`] | SSHSIG sign/verify, allowed signers, the access-policy trust chain, the rules |
//! | [`xml`] | component XML: references, strip, rewrite, production copy, normalise, diff |
//! | [`deps`] | dependency resolution (action B) over the Boomi platform |
//! | [`boomi`] | the `Platform` trait, wire types, `HttpPlatform` (rate limit, retries, paging) |
//! | [`sim`] | the Boomi emulator (`promoter sim`): in-memory platform behind an axum server |
//! | [`reconcile`] | the reconciler: desired state from git → idempotent, journaled steps on Boomi |
//! | [`store`] | SQLite state: promotion log, mappings, step journal, audit log |
//! | [`source`] | git snapshots, change detection, watching and fetching the promotions repo |
//! | [`server`] | the operator HTTP server: health, readiness, metrics, JSON API, webhook, dashboard |
//! | [`notify_out`] | notifications: the seven events by SMTP e-mail and a signed JSON webhook, never blocking |
//! | [`cli`] | the `promoter` command line |

pub mod bench;
pub mod boomi;
pub mod cli;
pub mod deps;
pub mod model;
pub mod notify_out;
pub mod policy;
pub mod reconcile;
pub mod server;
pub mod sim;
pub mod source;
pub mod store;
pub mod xml;
