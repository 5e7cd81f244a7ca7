//! Waking the reconciler when the tracked branch moves.
//!
//! One task per source: it fetches a remote every `poll` (a local repository is re-read on
//! the same period as a safety net), reacts at once to a debounced file-system event in a
//! local repository's git directory (`HEAD`, `packed-refs`, `refs/**`, in the common
//! directory of a linked work tree too), and to a
//! [`Trigger`] (the webhook, SIGHUP). After each check it bumps a `tokio::sync::watch`
//! counter when the branch head changed — or always, for a trigger, so an operator's
//! "resync now" is never swallowed. Wake-ups coalesce: the reconciler reads the latest
//! state, never "what woke it up".

use super::{GitSource, SourceError};
use chrono::{DateTime, Utc};
use notify_debouncer_full::notify::RecursiveMode;
use notify_debouncer_full::{new_debouncer, DebounceEventResult, Debouncer, RecommendedCache};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch as tokio_watch};
use tokio::task::JoinHandle;

/// How the watcher behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchOptions {
    /// Period of the remote fetch (and of the local safety-net re-read).
    pub poll: Duration,
    /// Quiet time after the last file event before a local repository is re-read.
    pub debounce: Duration,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            poll: Duration::from_secs(60),
            debounce: Duration::from_millis(300),
        }
    }
}

/// What the watcher last saw (for readiness and the dashboard).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WatchStatus {
    /// The tracked branch's commit at the last successful check.
    pub head: Option<String>,
    pub last_check_at: Option<DateTime<Utc>>,
    /// The error of the last check, if it failed (credentials redacted).
    pub last_error: Option<String>,
}

/// Asks the watcher to fetch and wake the reconciler now (webhook, SIGHUP). Cheap to
/// clone; requests made while one is pending coalesce.
#[derive(Debug, Clone)]
pub struct Trigger {
    tx: mpsc::Sender<()>,
}

impl Trigger {
    /// Request a fetch and a wake-up. Never blocks.
    pub fn fire(&self) {
        let _ = self.tx.try_send(());
    }
}

/// Fire `trigger` on every SIGHUP (an operator's "resync now"). The handler is installed
/// before this returns; the task ends when the runtime shuts down.
#[cfg(unix)]
pub fn trigger_on_sighup(trigger: Trigger) -> Result<JoinHandle<()>, SourceError> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hup = signal(SignalKind::hangup())?;
    Ok(tokio::spawn(async move {
        while hup.recv().await.is_some() {
            tracing::info!("SIGHUP: fetching the promotions repository now");
            trigger.fire();
        }
    }))
}

/// A running watcher. Dropping it stops the task and the file watch.
pub struct Watch {
    wake: tokio_watch::Receiver<u64>,
    trigger: Trigger,
    status: tokio_watch::Receiver<WatchStatus>,
    task: JoinHandle<()>,
    _debouncer:
        Option<Debouncer<notify_debouncer_full::notify::RecommendedWatcher, RecommendedCache>>,
}

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch")
            .field("status", &self.status())
            .finish()
    }
}

impl Watch {
    /// A receiver of wake-ups: `changed().await` returns when the branch moved (or a
    /// trigger fired) since the receiver last looked.
    pub fn subscribe(&self) -> tokio_watch::Receiver<u64> {
        self.wake.clone()
    }

    /// The handle for the webhook and SIGHUP.
    pub fn trigger(&self) -> Trigger {
        self.trigger.clone()
    }

    /// What the watcher last saw.
    pub fn status(&self) -> WatchStatus {
        self.status.borrow().clone()
    }

    /// A receiver that sees every check's outcome (readiness, the dashboard).
    pub fn status_updates(&self) -> tokio_watch::Receiver<WatchStatus> {
        self.status.clone()
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Start watching `source`. Must be called inside a tokio runtime. The file watch (local
/// repository) is registered before this returns, so a commit made afterwards is seen.
pub fn watch(source: Arc<GitSource>, opts: WatchOptions) -> Result<Watch, SourceError> {
    let (wake_tx, wake_rx) = tokio_watch::channel(0u64);
    let (trig_tx, mut trig_rx) = mpsc::channel::<()>(1);
    let (fs_tx, mut fs_rx) = mpsc::unbounded_channel::<()>();

    let debouncer = if source.is_remote() {
        None
    } else {
        let tx = fs_tx.clone();
        let mut d = new_debouncer(
            opts.debounce,
            None,
            move |res: DebounceEventResult| match res {
                Ok(events) if !events.is_empty() => {
                    let _ = tx.send(());
                }
                Ok(_) => {}
                Err(errors) => {
                    for e in errors {
                        tracing::warn!(error = %e, "file watch error");
                    }
                    // Re-read anyway: an overflow may have hidden a ref update.
                    let _ = tx.send(());
                }
            },
        )
        .map_err(|e| SourceError::Watch(e.to_string()))?;
        let git_dir = source.git_dir().to_owned();
        d.watch(&git_dir, RecursiveMode::NonRecursive)
            .map_err(|e| SourceError::Watch(e.to_string()))?;
        let common = source.common_dir().to_owned();
        if common != git_dir {
            d.watch(&common, RecursiveMode::NonRecursive)
                .map_err(|e| SourceError::Watch(e.to_string()))?;
        }
        let refs = common.join("refs");
        if refs.is_dir() {
            d.watch(&refs, RecursiveMode::Recursive)
                .map_err(|e| SourceError::Watch(e.to_string()))?;
        }
        Some(d)
    };

    let initial = source.head();
    let (status_tx, status_rx) = tokio_watch::channel(WatchStatus {
        head: initial.as_ref().ok().cloned(),
        last_check_at: Some(Utc::now()),
        last_error: initial.as_ref().err().map(|e| e.to_string()),
    });
    let initial = initial.ok();
    let task = tokio::spawn(async move {
        // Keeps the file channel open for a remote (it then never fires).
        let _fs_tx = fs_tx;
        let mut last_head = initial;
        let mut ticker = tokio::time::interval(opts.poll);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await; // the first tick is immediate; the source was just read
        loop {
            let forced = tokio::select! {
                _ = ticker.tick() => false,
                Some(()) = trig_rx.recv() => true,
                Some(()) = fs_rx.recv() => false,
                else => break,
            };
            // Drain what accumulated meanwhile: one check covers it.
            while fs_rx.try_recv().is_ok() {}
            let src = source.clone();
            let checked = tokio::task::spawn_blocking(move || {
                src.fetch()?;
                src.head()
            })
            .await;
            let result = match checked {
                Ok(r) => r,
                Err(join) => Err(SourceError::Watch(join.to_string())),
            };
            match result {
                Ok(head) => {
                    status_tx.send_replace(WatchStatus {
                        head: Some(head.clone()),
                        last_check_at: Some(Utc::now()),
                        last_error: None,
                    });
                    let moved = last_head.as_deref() != Some(head.as_str());
                    if moved || forced {
                        tracing::debug!(head = %head, moved, forced, "source wake-up");
                        last_head = Some(head);
                        wake_tx.send_modify(|n| *n += 1);
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "checking the promotions repository failed");
                    status_tx.send_modify(|s| {
                        s.last_check_at = Some(Utc::now());
                        s.last_error = Some(e.to_string());
                    });
                }
            }
        }
    });

    Ok(Watch {
        wake: wake_rx,
        trigger: Trigger { tx: trig_tx },
        status: status_rx,
        task,
        _debouncer: debouncer,
    })
}
