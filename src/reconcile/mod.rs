//! The reconciler: turns verified documents in git into work on Boomi, one idempotent step at
//! a time (DESIGN.md §3–§4).
//!
//! Shape (after kube-runtime): a pass reads the desired state (a verified snapshot of the
//! promotions repository), syncs it into the store (new promotions, admin mappings, the accepted
//! policy, vanished documents), then drives each unfinished promotion — observe, ask the pure
//! planner for the one next step, carry it out, record it — until it has to wait — for a person, a free branch slot, another promotion of the same dev
//! account, a deploy window, or a transient Boomi error. Every Boomi mutation is journaled
//! (intent before, result after, in the same transaction as the record change), and before
//! re-creating anything whose intent has no result the object is looked up first, so a crash
//! at any point never duplicates a component, branch, package or deployment.
//!
//! - [`sync`]: desired → store.
//! - [`plan`]: the decisions, pure: observed facts → the one next step.
//! - [`driver`]: observe → plan → one step → record; `terminate` for every end.
//! - [`promote`]: the steps of action C (resolve, branch, one component, complete).
//! - [`deploy`]: the steps of the one deploy pipeline (merge, package, pack, release, deploy).
//! - [`production`]: the review steps (peer review, admin decision), deploy windows.
//! - [`guard`]: the deployment guard; [`refusals`]: problems kept and shown.
//! - [`sweep`]: orphan `promo-*` branches.
//! - [`Clock`]: time and sleeping, injected so tests never sleep for real.

pub mod clock;
pub mod deploy;
pub mod driver;
pub mod extensions;
pub mod guard;
pub mod plan;
pub mod production;
pub mod promote;
pub mod refusals;
pub mod schedule;
pub mod sweep;
pub mod sync;

pub use clock::{Clock, ManualClock, SystemClock};
pub use schedule::{Scope, Shared};

use crate::boomi::{BoomiError, Platform, Polling};
use crate::model::{ErrorCode, PromotionStatus, Settings};
use crate::policy::{AllowedSigners, Dirty};
use crate::source::{Change, GitSource, Snapshot, SourceError};
use crate::store::{Cause, Store, StoreError};
use futures::StreamExt;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

/// The actor name the reconciler writes into the audit log.
pub const ACTOR: &str = "promoter";

/// Timing and limits of the reconciler.
#[derive(Debug, Clone)]
pub struct Config {
    pub branch_ready: Polling,
    pub merge: Polling,
    pub release: Polling,
    /// Gap between deployments to successive environments.
    pub deploy_gap: Duration,
    /// Passes `reconcile --once` makes at most before it gives up converging.
    pub max_passes: usize,
    /// Pause before a TEST_DEPLOY_FAILED promotion is tried again.
    pub retry_backoff: Duration,
    /// Lanes (dev accounts) driven at the same time.
    pub concurrency: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            branch_ready: Polling {
                interval: Duration::from_secs(5),
                max_polls: 6,
            },
            merge: Polling {
                interval: Duration::from_secs(5),
                max_polls: 12,
            },
            release: Polling {
                interval: Duration::from_secs(5),
                max_polls: 120,
            },
            deploy_gap: Duration::from_millis(120),
            max_passes: 20,
            retry_backoff: Duration::from_secs(60),
            concurrency: 4,
        }
    }
}

impl Config {
    /// Apply `promoter.yaml`'s `polling` section.
    pub fn with_settings(mut self, s: Option<&Settings>) -> Self {
        if let Some(p) = s.and_then(|s| s.polling.as_ref()) {
            let set = |pol: &mut Polling, secs: Option<u64>, n: Option<u32>| {
                if let Some(s) = secs {
                    pol.interval = Duration::from_secs(s);
                }
                if let Some(n) = n {
                    pol.max_polls = n.max(1);
                }
            };
            set(
                &mut self.branch_ready,
                p.branch_ready_interval_seconds,
                p.branch_ready_attempts,
            );
            set(&mut self.merge, p.merge_interval_seconds, p.merge_attempts);
            set(
                &mut self.release,
                p.release_interval_seconds,
                p.release_attempts,
            );
        }
        self
    }
}

/// What the reconciler works with.
#[derive(Clone)]
pub struct Context {
    pub platform: Arc<dyn Platform>,
    pub store: Arc<Store>,
    pub clock: Arc<dyn Clock>,
    pub config: Config,
    /// The operator's bootstrap allowed-signers (`--trust`).
    pub bootstrap: Option<AllowedSigners>,
    /// Where the seven events go (never fails, never blocks a step).
    pub notifier: Arc<dyn crate::notify_out::Notifier>,
    /// Locks on Boomi resources that promotions driven at the same time share, and the stop
    /// flag.
    pub shared: Arc<Shared>,
    /// The deployment guard: the only way to deploy or release (see [`guard`]).
    pub gate: Arc<guard::Gate>,
}

/// Why a step could not finish.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error(transparent)]
    Boomi(#[from] BoomiError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The promotions repository could not be read.
    #[error(transparent)]
    Source(SourceError),
    /// A permanent business failure of the promotion (recorded with its code).
    #[error("{code}: {message}")]
    Fail { code: ErrorCode, message: String },
    /// The deployment guard refused: nothing ran; the promotion keeps its status and shows why.
    #[error("{code}: {message}")]
    Refused { code: ErrorCode, message: String },
    /// A failure reported by a layer that already retried (the dependency walk's reads): worth
    /// another pass.
    #[error("{code}: {message}")]
    Retry { code: ErrorCode, message: String },
}

impl From<guard::GateError> for StepError {
    fn from(e: guard::GateError) -> Self {
        match e {
            guard::GateError::Refused(r) => StepError::Refused {
                code: r.code(),
                message: r.to_string(),
            },
            guard::GateError::Boomi(e) => StepError::Boomi(e),
            guard::GateError::Store(e) => StepError::Store(e),
        }
    }
}

impl StepError {
    pub fn fail(code: ErrorCode, message: impl Into<String>) -> Self {
        StepError::Fail {
            code,
            message: message.into(),
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            StepError::Boomi(e) => e.code(),
            StepError::Store(e) => e.code(),
            StepError::Source(e) => e.code(),
            StepError::Fail { code, .. }
            | StepError::Refused { code, .. }
            | StepError::Retry { code, .. } => *code,
        }
    }

    /// Worth trying again later without a change in git.
    pub fn is_transient(&self) -> bool {
        match self {
            StepError::Boomi(e) => e.is_transient(),
            StepError::Store(e) => e.is_transient(),
            StepError::Source(e) => e.is_transient(),
            StepError::Fail { .. } | StepError::Refused { .. } => false,
            StepError::Retry { .. } => true,
        }
    }
}

/// What one promotion's drive ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Terminal, or waiting for a person (review, pack assignment, cancellation).
    Settled,
    /// Waiting for something the reconciler will retry by itself (branch slot, another
    /// promotion of the account, a transient error).
    Waiting,
}

/// The result of one pass.
#[derive(Debug, Clone, Default)]
pub struct PassReport {
    pub commit: String,
    /// Promotion id → status after the pass, for the promotions the pass looked at (every
    /// one on a full pass; see `scope`).
    pub statuses: BTreeMap<String, PromotionStatus>,
    /// Promotions that still have work the reconciler will retry.
    pub waiting: Vec<String>,
    /// Number of promotions whose status changed in the pass.
    pub transitions: usize,
    /// Journal steps written in the pass (work done without a status change counts too).
    pub steps: usize,
    /// Problems of the desired state (per file).
    pub problems: Vec<crate::model::Problem>,
    /// `None`: the pass looked at every unfinished promotion; `Some(n)`: only at the `n` that
    /// changed in git or were waiting.
    pub scope: Option<usize>,
}

impl PassReport {
    pub fn converged(&self) -> bool {
        self.waiting.is_empty()
    }

    /// Whether another pass right away may get further.
    pub fn progressed(&self) -> bool {
        self.transitions > 0 || self.steps > 0
    }
}

/// The reconciler of one promotions repository.
pub struct Reconciler {
    pub ctx: Context,
    memo: tokio::sync::Mutex<schedule::Memo>,
}

impl Reconciler {
    pub fn new(ctx: Context) -> Self {
        Reconciler {
            ctx,
            memo: Default::default(),
        }
    }

    /// A full pass over a snapshot: verify everything, then drive every unfinished promotion
    /// until it waits. The next [`pass_at`](Self::pass_at) builds on it.
    pub async fn pass(&self, snapshot: &Snapshot) -> Result<PassReport, StepError> {
        let mut memo = self.memo.lock().await;
        memo.verify = None;
        self.run(&mut memo, snapshot.clone(), None, Scope::All)
            .await
    }

    /// A pass over commit `head` of `source`, doing only what changed since the previous pass
    /// of this reconciler (see [`schedule`]). The first pass of a process is a full one.
    pub async fn pass_at(&self, source: &GitSource, head: &str) -> Result<PassReport, StepError> {
        let mut memo = self.memo.lock().await;
        let last = match memo.snapshot.as_ref() {
            Some(s) => Some(s.commit.clone()),
            None => self.ctx.store.last_reconciled_commit()?,
        };
        let change = if last.as_deref() == Some(head) {
            Ok(Change {
                old: last.clone(),
                new: head.to_string(),
                ..Default::default()
            })
        } else {
            source.diff(last.as_deref(), head)
        };
        let change = match change {
            Ok(c) => {
                report_change(&c);
                Some(c)
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot compare with the last reconciled commit; checking everything");
                None
            }
        };
        let incremental = change
            .as_ref()
            .filter(|c| memo.snapshot.is_some() && !c.full && !c.force_push);
        let Some(change) = incremental else {
            memo.verify = None;
            let snapshot = source.snapshot(head).map_err(StepError::Source)?;
            return self.run(&mut memo, snapshot, None, Scope::All).await;
        };
        let prev = memo.snapshot.take().unwrap_or_default();
        let snapshot = source.advance(prev, change).map_err(StepError::Source)?;
        let dirty = Dirty {
            promotions: &change.promotions,
            mappings: !change.mappings_changed.is_empty(),
        };
        let scope = if change.policy_changed || change.settings_changed || dirty.mappings {
            Scope::All
        } else {
            let mut ids = change.promotions.clone();
            // A production request is checked against its TEST promotion's request.
            if let Some(v) = &memo.verify {
                ids.extend(v.dependents_of(&change.promotions));
            }
            ids.extend(memo.waiting.iter().cloned());
            ids.extend(memo.deferred.iter().cloned());
            Scope::Only(ids)
        };
        self.run(&mut memo, snapshot, Some(dirty), scope).await
    }

    async fn run(
        &self,
        memo: &mut schedule::Memo,
        snapshot: Snapshot,
        dirty: Option<Dirty<'_>>,
        scope: Scope,
    ) -> Result<PassReport, StepError> {
        let (desired, verify_memo) =
            sync::desired(&self.ctx, &snapshot, memo.verify.take(), dirty)?;
        let first_step = self.ctx.store.last_step_id()?;
        let settings = desired.settings.clone();
        let config = self.ctx.config.clone().with_settings(settings.as_ref());
        let ctx = Context {
            config,
            ..self.ctx.clone()
        };
        ctx.gate.new_pass();
        let applied = sync::apply(&ctx, &desired, &snapshot, &scope)?;

        for rec in &applied.created {
            // A production-from-test request is born waiting for its peer review.
            if let Some(event) = crate::notify_out::Event::on_transition(rec) {
                ctx.notifier.send(&event).await;
            }
        }
        let mut report = PassReport {
            commit: snapshot.commit.clone(),
            problems: desired.problems.clone(),
            ..Default::default()
        };
        let records = match &scope {
            Scope::All => ctx.store.list(&Default::default())?,
            Scope::Only(ids) => {
                let mut v = Vec::with_capacity(ids.len());
                for id in ids {
                    v.extend(ctx.store.get(id)?);
                }
                v
            }
        };
        let mut unfinished = Vec::new();
        let mut looked_at = BTreeSet::new();
        let mut lifecycle = Vec::new();
        let in_git =
            |id: &str, file: &str| snapshot.get(&format!("promotions/{id}/{file}")).is_some();
        for rec in records {
            if rec.status.is_terminal() {
                // A finished promotion the pass looked at: a document may have come too late.
                let id = rec.promotion_id.clone();
                lifecycle.extend(refusals::lifecycle(
                    &rec,
                    desired.promotions.get(&id),
                    in_git(&id, "request.yaml"),
                    in_git(&id, "admin-review.yaml"),
                ));
                report.statuses.insert(id.clone(), rec.status);
                looked_at.insert(id);
            } else {
                unfinished.push(rec);
            }
        }
        // Each lane is a task of its own, so lanes also use several cores (the XML work).
        let limit = ctx.config.concurrency.max(1);
        let desired = Arc::new(desired);
        let commit: Arc<str> = snapshot.commit.as_str().into();
        let results: Vec<Vec<Driven>> = futures::stream::iter(schedule::lanes(unfinished))
            .map(|lane| {
                let (ctx, desired, commit) = (ctx.clone(), desired.clone(), commit.clone());
                tokio::spawn(async move {
                    let mut out = Vec::with_capacity(lane.len());
                    for rec in lane {
                        let id = rec.promotion_id.clone();
                        let outcome = if ctx.shared.stopping()
                            || ctx.shared.lane_stopped(&rec.dev_account_id).is_some()
                        {
                            Ok(Outcome::Waiting)
                        } else {
                            let docs = desired.promotions.get(&id);
                            driver::drive(&ctx, &desired, &id, docs, &commit).await
                        };
                        out.push((id, rec.status, outcome));
                    }
                    out
                })
            })
            .buffer_unordered(limit)
            .map(|joined| match joined {
                Ok(out) => out,
                // A panic inside a lane is a bug: let it surface as it would without tasks.
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(_) => Vec::new(),
            })
            .collect()
            .await;
        for (id, before, outcome) in results.into_iter().flatten() {
            let rec = ctx.store.get(&id)?;
            if let Some(rec) = &rec {
                lifecycle.extend(refusals::lifecycle(
                    rec,
                    desired.promotions.get(&id),
                    in_git(&id, "request.yaml"),
                    in_git(&id, "admin-review.yaml"),
                ));
            }
            looked_at.insert(id.clone());
            let now = rec.map(|r| r.status).unwrap_or(before);
            report.statuses.insert(id.clone(), now);
            if now != before {
                report.transitions += 1;
            }
            match outcome {
                Ok(Outcome::Settled) => {}
                Ok(Outcome::Waiting) => report.waiting.push(id),
                Err(e) if e.code() == ErrorCode::AuthFailed => {
                    // A 401 is final: one call, and the dev account's lane stops until the
                    // credentials change.
                    let dev = ctx
                        .store
                        .get(&id)?
                        .map(|r| r.dev_account_id)
                        .unwrap_or_default();
                    tracing::error!(promotion = %id, dev_account = %dev, error = %e, "Boomi refused the credentials; this dev account's promotions stop until they change");
                    ctx.shared.stop_lane(&dev, &e.to_string());
                    ctx.store.update(&id, |r| {
                        r.error_code = Some(ErrorCode::AuthFailed);
                        r.error_message = Some(truncate(&e.to_string(), 5000));
                        r.waiting_reason = Some(format!(
                            "{}: Boomi refused the credentials; nothing runs for {dev} until they change (restart with new ones)",
                            ErrorCode::AuthFailed
                        ));
                    })?;
                    report.waiting.push(id);
                }
                Err(e) => {
                    tracing::warn!(promotion = %id, error = %e, "step failed; will retry");
                    record_error(&ctx.store, &id, &e)?;
                    report.waiting.push(id);
                }
            }
        }
        // The problems of the documents (as the promotions stand after the pass), then those
        // the promotion log decides.
        let kept: Vec<crate::model::Problem> = desired
            .problems
            .iter()
            .filter(|p| {
                !refusals::superseded_by_lifecycle(p, |id| {
                    ctx.store.get(id).ok().flatten().map(|r| r.status)
                })
            })
            .cloned()
            .collect();
        let mut opened = refusals::keep_document_problems(&ctx, &kept, &snapshot.commit)?;
        opened.extend(refusals::keep_lifecycle_problems(
            &ctx,
            &looked_at,
            &lifecycle,
            &snapshot.commit,
        )?);
        refusals::announce(&ctx, &opened).await;
        // Requests waiting for their TEST promotion are accepted by a later pass.
        report.waiting.extend(applied.deferred.iter().cloned());
        report.waiting.sort();
        report.waiting.dedup();
        ctx.store.set_last_reconciled_commit(&snapshot.commit)?;
        report.steps = usize::try_from(ctx.store.last_step_id()? - first_step).unwrap_or(0);
        report.scope = match &scope {
            Scope::All => None,
            Scope::Only(ids) => Some(ids.len()),
        };
        memo.waiting = report.waiting.iter().cloned().collect();
        memo.deferred = applied.deferred;
        memo.verify = Some(verify_memo);
        memo.snapshot = Some(snapshot);
        Ok(report)
    }
}

/// One promotion driven in a pass: its id, its status before, and how the drive ended.
type Driven = (String, PromotionStatus, Result<Outcome, StepError>);

/// Log what a new commit changed that needs an operator's attention.
fn report_change(change: &Change) {
    if change.force_push && change.old.is_some() {
        tracing::warn!(
            old = ?change.old, new = %change.new,
            "the tracked branch was rewritten (force-push); finished work is not redone"
        );
    }
    for path in &change.vanished {
        tracing::warn!(%path, code = %ErrorCode::DesiredStateMissing, "document vanished from git");
    }
}

/// Note a transient error on the record (visible in `status`), without changing the status.
fn record_error(store: &Store, id: &str, e: &StepError) -> Result<(), StoreError> {
    let msg = e.to_string();
    let code = e.code();
    store.update(id, |r| {
        r.error_code = Some(code);
        r.error_message = Some(truncate(&msg, 5000));
        r.waiting_reason = Some(format!("retrying after {code}"));
    })?;
    Ok(())
}

/// The deployment guard refused a step: nothing ran. The promotion keeps its status, shows the
/// refusal (its code, the message, and a problem on its request) and waits: a change in git or
/// in Boomi's classification lets it go on.
pub(crate) fn refused(
    ctx: &Context,
    id: &str,
    code: ErrorCode,
    message: &str,
) -> Result<Outcome, StepError> {
    let reason = format!("{code}: {message}");
    let rec = require(&ctx.store, id)?;
    if rec.waiting_reason.as_deref() != Some(reason.as_str()) {
        tracing::warn!(promotion = %id, %code, "deployment guard refused: {message}");
        ctx.store.update(id, |r| {
            r.error_code = Some(code);
            r.error_message = Some(truncate(message, 5000));
            r.waiting_reason = Some(reason);
        })?;
    }
    Ok(Outcome::Waiting)
}

/// Cut a message to `max` characters (the record's limit for messages).
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// A cause for the audit log, from the reconciler.
pub fn cause(reason: impl Into<String>) -> Cause {
    Cause::new(ACTOR).reason(reason)
}

/// The record of a promotion that must exist.
pub(crate) fn require(
    store: &Store,
    id: &str,
) -> Result<crate::store::PromotionRecord, StoreError> {
    store.read(|tx| tx.require(id))
}

/// `true` when a journal step of this name finished for the promotion.
pub(crate) fn step_done(
    store: &Store,
    id: &str,
    name: &str,
) -> Result<Option<crate::store::Step>, StoreError> {
    // A superseded intent or a failed attempt does not count as done.
    Ok(store.steps(id)?.into_iter().rev().find(|s| {
        s.step == name
            && s.result
                .as_ref()
                .is_some_and(|r| r.get("superseded").is_none() && r.get("error").is_none())
    }))
}

/// `true` when a journal step of this name has an intent but no result (a crash between).
pub(crate) fn step_open(store: &Store, id: &str, name: &str) -> Result<bool, StoreError> {
    Ok(store.open_steps(id)?.iter().any(|s| s.step == name))
}

/// Journal the intent of a step. An earlier intent of the same step still open (a crash came
/// between it and its result, and the recovery lookup found nothing) is closed as superseded
/// in the same transaction, so the journal never keeps a dangling intent.
pub(crate) fn begin(
    store: &Store,
    id: &str,
    name: &str,
    intent: &serde_json::Value,
) -> Result<crate::store::StepId, StoreError> {
    store.write(|tx| {
        for s in tx.open_steps(id)?.into_iter().filter(|s| s.step == name) {
            tx.finish_step(s.id, &serde_json::json!({ "superseded": true }))?;
        }
        tx.begin_step(id, name, intent)
    })
}

/// One journaled Boomi mutation: the crash-safety protocol in one place.
///
/// When an intent of this step is open (the daemon died between the call and its result),
/// `lookup` looks for the object first and adopts it; otherwise the intent is written, `call`
/// runs, and its result is written in the same transaction as `edit` applies it to the record.
/// A transient failure leaves the intent open (the next attempt looks before it calls again);
/// a permanent one closes it with the error code.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn journaled<T, LF, CF>(
    ctx: &Context,
    id: &str,
    name: &str,
    intent: serde_json::Value,
    lookup: impl FnOnce() -> LF,
    call: impl FnOnce() -> CF,
    result: impl Fn(&T) -> serde_json::Value,
    edit: impl Fn(&T, &mut crate::store::PromotionRecord),
) -> Result<T, StepError>
where
    LF: std::future::Future<Output = Result<Option<T>, StepError>>,
    CF: std::future::Future<Output = Result<T, StepError>>,
{
    if step_open(&ctx.store, id, name)? {
        if let Some(found) = lookup().await? {
            let mut r = result(&found);
            if let Some(o) = r.as_object_mut() {
                o.insert("recovered".into(), serde_json::Value::Bool(true));
            }
            close_open(&ctx.store, id, name, &r, |rec| edit(&found, rec))?;
            return Ok(found);
        }
    }
    let step = begin(&ctx.store, id, name, &intent)?;
    match call().await {
        Ok(t) => {
            ctx.store
                .finish_step(step, &result(&t), None, |rec| edit(&t, rec))?;
            Ok(t)
        }
        Err(e) if e.is_transient() => Err(e),
        Err(e) => {
            ctx.store.finish_step(
                step,
                &serde_json::json!({ "error": e.code() }),
                None,
                |_| {},
            )?;
            Err(e)
        }
    }
}

/// Close every open step of this name with a result (after a crash-recovery lookup found the
/// object), and apply the record change the step stands for, in one transaction.
pub(crate) fn close_open(
    store: &Store,
    id: &str,
    name: &str,
    result: &serde_json::Value,
    edit: impl FnOnce(&mut crate::store::PromotionRecord),
) -> Result<(), StoreError> {
    store.write(|tx| {
        for s in tx.open_steps(id)?.into_iter().filter(|s| s.step == name) {
            tx.finish_step(s.id, result)?;
        }
        tx.apply(id, None, edit)?;
        Ok(())
    })
}
