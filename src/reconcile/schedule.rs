//! Scheduling: which promotions a pass looks at, and how they run at the same time.
//!
//! **Work is proportional to what changed.** A pass drives the promotions whose files changed
//! since the previous pass (and the production requests built on them, `fromTest`), the ones
//! that asked to be retried (waiting for a branch slot, for
//! another promotion of their dev account, for a deploy window, after a transient error) and
//! the requests not accepted yet (a production request whose TEST promotion is under way).
//! Everything else is settled or waits for a person, and only a new commit can move it. A
//! change of the access policy, `promoter.yaml` or the connection mappings, a rewritten history,
//! and the first pass of a process look at every unfinished promotion ([`Scope::All`]).
//!
//! **Concurrent across promotions, serialised per promotion.** Promotions run in *lanes*, one
//! per dev account: inside a lane one after another, oldest first (one promotion per dev
//! account at a time is the seeds' rule anyway, and a production request follows its TEST
//! promotion); lanes run at the same time, each a task of its own (several cores), at most
//! `Config::concurrency` of them. The Boomi resources lanes share are guarded by [`Shared`]:
//! the branch soft limit (counting and creating under one lock, so two lanes never both take
//! the last slot) and integration packs (one release of a pack at a time, one creation of a
//! pack name).

use crate::policy::VerifyMemo;
use crate::source::Snapshot;
use crate::store::PromotionRecord;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{Mutex as AsyncMutex, MutexGuard, OwnedMutexGuard};

/// Which promotions a pass looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every unfinished promotion (first pass, policy/settings/mappings changed, rewritten
    /// history).
    All,
    /// Only these promotion ids.
    Only(BTreeSet<String>),
}

impl Scope {
    pub fn contains(&self, id: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Only(ids) => ids.contains(id),
        }
    }

    pub fn is_all(&self) -> bool {
        matches!(self, Scope::All)
    }
}

/// Group records into lanes, one per dev account: each lane oldest first, the lanes in the
/// order of their oldest record.
pub fn lanes(mut records: Vec<PromotionRecord>) -> Vec<Vec<PromotionRecord>> {
    records.sort_by(|a, b| {
        a.initiated_at
            .cmp(&b.initiated_at)
            .then(a.promotion_id.cmp(&b.promotion_id))
    });
    let mut order: Vec<String> = Vec::new();
    let mut by_account: BTreeMap<String, Vec<PromotionRecord>> = BTreeMap::new();
    for r in records {
        if !by_account.contains_key(&r.dev_account_id) {
            order.push(r.dev_account_id.clone());
        }
        by_account
            .entry(r.dev_account_id.clone())
            .or_default()
            .push(r);
    }
    order
        .into_iter()
        .filter_map(|a| by_account.remove(&a))
        .collect()
}

/// What promotions driven at the same time share: locks on contended Boomi resources, and the
/// stop flag of a graceful shutdown.
#[derive(Debug, Default)]
pub struct Shared {
    branch_slot: AsyncMutex<()>,
    packs: Mutex<HashMap<String, Arc<AsyncMutex<()>>>>,
    stopping: AtomicBool,
    /// Dev account → the 401 that stopped its lane (final until the credentials change, i.e.
    /// until the process starts again with new ones).
    auth_failed: Mutex<BTreeMap<String, String>>,
}

impl Shared {
    /// Held from counting the branches until the promotion's branch exists.
    pub async fn branch_slot(&self) -> MutexGuard<'_, ()> {
        self.branch_slot.lock().await
    }

    /// Held while one integration pack (by id, or `name:` + name while creating it) is
    /// changed and released.
    pub async fn pack(&self, key: &str) -> OwnedMutexGuard<()> {
        let lock = {
            let mut packs = self.packs.lock().unwrap_or_else(|p| p.into_inner());
            packs.entry(key.to_owned()).or_default().clone()
        };
        lock.lock_owned().await
    }

    /// Ask the reconciler to stop taking work: steps under way finish, no new one starts.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    pub fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Stop a dev account's lane: Boomi refused the credentials (HTTP 401), which no retry
    /// fixes.
    pub fn stop_lane(&self, dev_account: &str, message: &str) {
        self.auth_failed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(dev_account.to_string(), message.to_string());
    }

    /// Why a dev account's lane is stopped, if it is.
    pub fn lane_stopped(&self, dev_account: &str) -> Option<String> {
        self.auth_failed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(dev_account)
            .cloned()
    }

    /// Every stopped lane: dev account → why.
    pub fn stopped_lanes(&self) -> BTreeMap<String, String> {
        self.auth_failed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// What a reconciler remembers between passes so the next one only does what changed. Lost on
/// restart, on purpose: a new process starts with a full pass.
#[derive(Debug, Default)]
pub(crate) struct Memo {
    /// The snapshot of the last pass.
    pub snapshot: Option<Snapshot>,
    /// The per-document verification results of that snapshot.
    pub verify: Option<VerifyMemo>,
    /// Promotions that asked to be retried.
    pub waiting: BTreeSet<String>,
    /// Requests in git without a record yet (their TEST promotion is still under way).
    pub deferred: BTreeSet<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PromotionStatus, Target};
    use chrono::{TimeZone, Utc};

    fn rec(id: &str, account: &str, minute: u32) -> PromotionRecord {
        PromotionRecord::new(
            id,
            account,
            "alice@example.com",
            "P",
            Target::Test,
            PromotionStatus::Queued,
            Utc.with_ymd_and_hms(2026, 11, 21, 10, minute, 0).unwrap(),
        )
    }

    #[test]
    fn lanes_group_by_dev_account_oldest_first() {
        let got = lanes(vec![
            rec("b2", "dev-b", 5),
            rec("a2", "dev-a", 3),
            rec("b1", "dev-b", 1),
            rec("a1", "dev-a", 2),
            rec("c1", "dev-c", 4),
        ]);
        let ids: Vec<Vec<&str>> = got
            .iter()
            .map(|l| l.iter().map(|r| r.promotion_id.as_str()).collect())
            .collect();
        assert_eq!(ids, vec![vec!["b1", "b2"], vec!["a1", "a2"], vec!["c1"]]);
    }

    #[test]
    fn equal_times_are_ordered_by_id() {
        let got = lanes(vec![rec("x2", "dev-a", 1), rec("x1", "dev-a", 1)]);
        assert_eq!(got[0][0].promotion_id, "x1");
    }

    #[test]
    fn scope_only_contains_its_ids() {
        let s = Scope::Only(["a".to_string()].into());
        assert!(s.contains("a") && !s.contains("b") && !s.is_all());
        assert!(Scope::All.contains("anything"));
    }

    #[tokio::test]
    async fn a_pack_lock_is_per_key() {
        let shared = Shared::default();
        let a = shared.pack("p1").await;
        // Another key is free while p1 is held.
        let b = tokio::time::timeout(std::time::Duration::from_secs(1), shared.pack("p2")).await;
        assert!(b.is_ok());
        // The same key waits until the first guard is dropped.
        let again =
            tokio::time::timeout(std::time::Duration::from_millis(50), shared.pack("p1")).await;
        assert!(again.is_err());
        drop(a);
        assert!(
            tokio::time::timeout(std::time::Duration::from_secs(1), shared.pack("p1"))
                .await
                .is_ok()
        );
    }
}
