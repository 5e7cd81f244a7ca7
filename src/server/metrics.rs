//! The Prometheus metrics of the daemon ([`Metrics`]), exposed at `GET /metrics` in the text
//! format 0.0.4 or OpenMetrics 1.0.0, as the scraper's `Accept` header asks
//! ([`exposition`](super::exposition)).
//!
//! Every name carries the `promoter_` prefix, durations are in seconds, counters end in
//! `_total`:
//!
//! | metric | type | labels | fed by |
//! |---|---|---|---|
//! | `promoter_build_info` | gauge (info) | `version` | constant 1 |
//! | `promoter_reconcile_duration_seconds` | histogram | — | every completed reconcile pass |
//! | `promoter_last_successful_reconcile_timestamp_seconds` | gauge | — | the end of the last completed pass (Unix time) |
//! | `promoter_errors_total` | counter | `code` | each problem a reconcile pass reports, once per pass it is reported |
//! | `promoter_boomi_api_call_duration_seconds` | histogram | `method`, `endpoint`, `status` | every HTTP exchange with Boomi, retries included; `status` is the HTTP status or `error` (no answer); `_count` is the number of calls |
//! | `promoter_git_fetch_duration_seconds` | histogram | — | every fetch of a remote promotions repository |
//! | `promoter_git_fetch_failures_total` | counter | — | every fetch that failed |
//! | `promoter_notifications_failed_total` | counter | `channel` (`smtp`, `webhook`, `queue`), `event` | every notification not delivered (`queue`: dropped before delivery) |
//! | `promoter_promotions` | gauge | `status` | the store, at scrape time (every status, zeros included) |
//! | `promoter_branches_in_use` | gauge | — | the store, at scrape time: promotions that hold a Boomi branch |
//! | `promoter_branch_soft_limit` | gauge | — | the accepted `promoter.yaml`, at scrape time (`branchSoftLimit`) |
//! | `promoter_refused_documents` | gauge | `code` | the store, at scrape time: open problems (refused documents) by code |
//!
//! `Metrics` is a cheap handle (`Clone` shares the same registry).

use super::exposition::Format;
use crate::model::{parse_document, Document, ErrorCode, PromotionStatus};
use crate::store::{Store, StoreError, SETTINGS_KEY};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// The prefix of every metric name.
pub const PREFIX: &str = "promoter";

/// Buckets of `promoter_reconcile_duration_seconds`: 50 ms … 200 s.
const RECONCILE_BUCKETS: [f64; 12] = [
    0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 200.0,
];

/// Buckets of `promoter_boomi_api_call_duration_seconds`: 5 ms … 60 s (the client's timeout).
const CALL_BUCKETS: [f64; 13] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// Buckets of `promoter_git_fetch_duration_seconds`: 50 ms … 120 s.
const FETCH_BUCKETS: [f64; 11] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0];

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct CallLabels {
    method: String,
    endpoint: String,
    status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct StatusLabels {
    status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct CodeLabels {
    code: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct NotifyLabels {
    channel: String,
    event: String,
}

struct Inner {
    registry: Registry,
    reconcile_duration: Histogram,
    last_success: Gauge<f64, AtomicU64>,
    errors: Family<CodeLabels, Counter>,
    boomi_calls: Family<CallLabels, Histogram>,
    fetch_duration: Histogram,
    fetch_failures: Counter,
    notifications_failed: Family<NotifyLabels, Counter>,
    promotions: Family<StatusLabels, Gauge>,
    branches_in_use: Gauge,
    branch_soft_limit: Gauge,
    refused: Family<CodeLabels, Gauge>,
}

/// The metrics registry of one daemon. Clone it freely: every clone feeds the same metrics.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

fn call_histogram() -> Histogram {
    Histogram::new(CALL_BUCKETS)
}

/// A gauge value from a count.
fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Metrics {
    /// A fresh registry with every metric registered (the `promoter_promotions` gauge at 0 for
    /// every status, the branch soft limit at its default of 15 until a scrape reads the
    /// accepted settings).
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix(PREFIX);
        let reconcile_duration = Histogram::new(RECONCILE_BUCKETS);
        let last_success = Gauge::<f64, AtomicU64>::default();
        let errors = Family::<CodeLabels, Counter>::default();
        let boomi_calls =
            Family::<CallLabels, Histogram>::new_with_constructor(call_histogram as fn() -> _);
        let fetch_duration = Histogram::new(FETCH_BUCKETS);
        let fetch_failures = Counter::default();
        let notifications_failed = Family::<NotifyLabels, Counter>::default();
        let promotions = Family::<StatusLabels, Gauge>::default();
        let branches_in_use = Gauge::default();
        let branch_soft_limit = Gauge::default();
        let refused = Family::<CodeLabels, Gauge>::default();
        registry.register(
            "build",
            "The version of this promoter build (always 1)",
            Info::new(vec![("version".to_string(), env!("CARGO_PKG_VERSION"))]),
        );
        registry.register(
            "reconcile_duration_seconds",
            "Duration of one completed reconcile pass",
            reconcile_duration.clone(),
        );
        registry.register(
            "last_successful_reconcile_timestamp_seconds",
            "Unix time at which the last reconcile pass completed",
            last_success.clone(),
        );
        // Counters are registered without `_total`: the encoder appends it.
        registry.register(
            "errors",
            "Problems reported by reconcile passes, by catalogue code (once per pass that reports them)",
            errors.clone(),
        );
        registry.register(
            "boomi_api_call_duration_seconds",
            "Duration of HTTP exchanges with the Boomi Platform API (retries included) by method, endpoint template and HTTP status (error: no answer)",
            boomi_calls.clone(),
        );
        registry.register(
            "git_fetch_duration_seconds",
            "Duration of fetches of the remote promotions repository, failed ones included",
            fetch_duration.clone(),
        );
        registry.register(
            "git_fetch_failures",
            "Fetches of the remote promotions repository that failed",
            fetch_failures.clone(),
        );
        registry.register(
            "notifications_failed",
            "Notifications not delivered, by channel (smtp, webhook; queue: dropped before delivery) and event",
            notifications_failed.clone(),
        );
        registry.register(
            "promotions",
            "Promotions in the state store by status",
            promotions.clone(),
        );
        registry.register(
            "branches_in_use",
            "Promotions that hold a Boomi branch of the primary account",
            branches_in_use.clone(),
        );
        registry.register(
            "branch_soft_limit",
            "branchSoftLimit of the accepted promoter.yaml: no promotion branch is created at or above it",
            branch_soft_limit.clone(),
        );
        registry.register(
            "refused_documents",
            "Open problems of the promotions repository (refused documents) by catalogue code",
            refused.clone(),
        );
        let m = Metrics {
            inner: Arc::new(Inner {
                registry,
                reconcile_duration,
                last_success,
                errors,
                boomi_calls,
                fetch_duration,
                fetch_failures,
                notifications_failed,
                promotions,
                branches_in_use,
                branch_soft_limit,
                refused,
            }),
        };
        m.set_promotions(&[]);
        m.inner.branch_soft_limit.set(15);
        m
    }

    /// Record one completed reconcile pass: its duration, and now as the time of the last
    /// successful reconcile.
    pub fn observe_reconcile(&self, d: Duration) {
        self.inner.reconcile_duration.observe(d.as_secs_f64());
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        self.inner.last_success.set(now.as_secs_f64());
    }

    /// Record one HTTP exchange with Boomi: `endpoint` is a template (`Component/{id}`), never
    /// a path with ids, to keep the label set small; `status` is `None` when no HTTP answer
    /// came back (transport failure: `status="error"`).
    pub fn boomi_call(&self, method: &str, endpoint: &str, status: Option<u16>, d: Duration) {
        self.inner
            .boomi_calls
            .get_or_create(&CallLabels {
                method: method.to_string(),
                endpoint: endpoint.to_string(),
                status: status.map_or_else(|| "error".to_string(), |s| s.to_string()),
            })
            .observe(d.as_secs_f64());
    }

    /// The observer to give the Boomi client ([`crate::boomi::HttpConfig::observer`]).
    pub fn boomi_observer(&self) -> crate::boomi::http::CallObserver {
        let m = self.clone();
        Arc::new(move |c: &crate::boomi::http::CallEvent| {
            m.boomi_call(&c.method, &c.endpoint, c.status, c.duration)
        })
    }

    /// Record one fetch of the remote promotions repository.
    pub fn git_fetch(&self, d: Duration, ok: bool) {
        self.inner.fetch_duration.observe(d.as_secs_f64());
        if !ok {
            self.inner.fetch_failures.inc();
        }
    }

    /// The observer to give the source ([`crate::source::GitSource::observe_fetches`]).
    pub fn fetch_observer(&self) -> crate::source::FetchObserver {
        let m = self.clone();
        Arc::new(move |d: Duration, ok: bool| m.git_fetch(d, ok))
    }

    /// Count one notification that was not delivered.
    pub fn notification_failed(&self, channel: &str, event: &str) {
        self.inner
            .notifications_failed
            .get_or_create(&NotifyLabels {
                channel: channel.to_string(),
                event: event.to_string(),
            })
            .inc();
    }

    /// The hook to give the notifiers ([`crate::notify_out::FailureHook`]).
    pub fn notification_hook(&self) -> crate::notify_out::FailureHook {
        let m = self.clone();
        Arc::new(move |channel: &str, event: &str| m.notification_failed(channel, event))
    }

    /// Count one error of `code`.
    pub fn error(&self, code: ErrorCode) {
        self.inner
            .errors
            .get_or_create(&CodeLabels {
                code: code.as_str().to_string(),
            })
            .inc();
    }

    /// Set the branch gauges: promotions holding a branch, and the soft limit.
    pub fn set_branches(&self, in_use: usize, soft_limit: u32) {
        self.inner.branches_in_use.set(count(in_use));
        self.inner.branch_soft_limit.set(i64::from(soft_limit));
    }

    /// Set the refused-documents gauge: exactly these codes, with these counts (a code no
    /// longer open disappears).
    pub fn set_refused(&self, codes: &[(String, usize)]) {
        self.inner.refused.clear();
        for (code, n) in codes {
            self.inner
                .refused
                .get_or_create(&CodeLabels { code: code.clone() })
                .set(count(*n));
        }
    }

    /// Set the `promoter_promotions` gauge: every status gets its count (0 when absent from
    /// `counts`).
    pub fn set_promotions(&self, counts: &[(PromotionStatus, u64)]) {
        for s in PromotionStatus::ALL {
            let n: u64 = counts
                .iter()
                .filter(|(st, _)| st == s)
                .map(|(_, n)| *n)
                .sum();
            self.inner
                .promotions
                .get_or_create(&StatusLabels {
                    status: s.as_str().into(),
                })
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
    }

    /// Refresh the gauges that the store holds (blocking: run it on the blocking pool):
    /// promotions by status, branches in use and the soft limit of the accepted settings,
    /// refused documents by code.
    pub fn refresh_from_store(&self, store: &Store) -> Result<(), StoreError> {
        self.set_promotions(&store.count_by_status()?);
        let limit = store
            .accepted_documents()?
            .into_iter()
            .find(|d| d.key == SETTINGS_KEY)
            .and_then(|d| match parse_document(&d.path, &d.bytes) {
                Ok(Document::Settings(s)) => Some(s.branch_soft_limit),
                _ => None,
            })
            .unwrap_or(15);
        self.set_branches(store.branches_in_use()?.len(), limit);
        let mut by_code = std::collections::BTreeMap::<String, usize>::new();
        for p in store.open_problems(None)? {
            *by_code
                .entry(p.problem.code.as_str().to_string())
                .or_default() += 1;
        }
        self.set_refused(&by_code.into_iter().collect::<Vec<_>>());
        Ok(())
    }

    /// The registry in OpenMetrics text ([`Format::OpenMetrics`]) or the text format 0.0.4.
    pub fn encode_as(&self, format: Format) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.inner.registry)
            .expect("writing to a String cannot fail");
        match format {
            Format::OpenMetrics => out,
            Format::Text004 => super::exposition::openmetrics_to_text004(&out),
        }
    }

    /// The registry in the OpenMetrics text format.
    pub fn encode(&self) -> String {
        self.encode_as(Format::OpenMetrics)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fed() -> Metrics {
        let m = Metrics::new();
        let shared = m.clone();
        shared.observe_reconcile(Duration::from_millis(300));
        shared.boomi_call(
            "GET",
            "Component/{id}",
            Some(200),
            Duration::from_millis(20),
        );
        shared.boomi_call(
            "GET",
            "Component/{id}",
            Some(200),
            Duration::from_millis(70),
        );
        shared.boomi_call("POST", "Branch", None, Duration::from_secs(3));
        shared.git_fetch(Duration::from_millis(400), true);
        shared.git_fetch(Duration::from_secs(2), false);
        shared.notification_failed("webhook", "PEER_APPROVED");
        shared.error(ErrorCode::BranchLimitReached);
        shared.set_branches(3, 12);
        shared.set_refused(&[("SIGNATURE_INVALID".into(), 2)]);
        shared.set_promotions(&[(PromotionStatus::TestDeployed, 2)]);
        m
    }

    #[test]
    fn openmetrics_has_every_metric_with_labels() {
        let m = fed();
        let text = m.encode();
        for want in [
            "# TYPE promoter_build info",
            &format!(
                "promoter_build_info{{version=\"{}\"}} 1",
                env!("CARGO_PKG_VERSION")
            ),
            "# TYPE promoter_reconcile_duration_seconds histogram",
            "promoter_reconcile_duration_seconds_count 1",
            "promoter_reconcile_duration_seconds_bucket{le=\"0.5\"} 1",
            "promoter_reconcile_duration_seconds_bucket{le=\"0.25\"} 0",
            "# TYPE promoter_last_successful_reconcile_timestamp_seconds gauge",
            "# TYPE promoter_boomi_api_call_duration_seconds histogram",
            "promoter_boomi_api_call_duration_seconds_count{method=\"GET\",endpoint=\"Component/{id}\",status=\"200\"} 2",
            "promoter_boomi_api_call_duration_seconds_bucket{le=\"0.05\",method=\"GET\",endpoint=\"Component/{id}\",status=\"200\"} 1",
            "promoter_boomi_api_call_duration_seconds_count{method=\"POST\",endpoint=\"Branch\",status=\"error\"} 1",
            "promoter_git_fetch_duration_seconds_count 2",
            "# TYPE promoter_git_fetch_failures counter",
            "promoter_git_fetch_failures_total 1",
            "promoter_notifications_failed_total{channel=\"webhook\",event=\"PEER_APPROVED\"} 1",
            "promoter_errors_total{code=\"BRANCH_LIMIT_REACHED\"} 1",
            "promoter_branches_in_use 3",
            "promoter_branch_soft_limit 12",
            "promoter_refused_documents{code=\"SIGNATURE_INVALID\"} 2",
            "promoter_promotions{status=\"TEST_DEPLOYED\"} 2",
            "promoter_promotions{status=\"QUEUED\"} 0",
        ] {
            assert!(text.contains(want), "{want}\n{text}");
        }
        let last: f64 = text
            .lines()
            .find_map(|l| l.strip_prefix("promoter_last_successful_reconcile_timestamp_seconds "))
            .expect("timestamp sample")
            .parse()
            .unwrap();
        assert!(last > 1.7e9, "{last}");
        assert!(text.trim_end().ends_with("# EOF"));
        // Every sample is prefixed.
        for l in text.lines().filter(|l| !l.starts_with('#')) {
            assert!(l.starts_with("promoter_"), "{l}");
        }
        // A refresh replaces the previous counts; a refused code no longer open disappears.
        m.set_promotions(&[]);
        m.set_refused(&[]);
        let text = m.encode();
        assert!(text.contains("promoter_promotions{status=\"TEST_DEPLOYED\"} 0"));
        assert!(!text.contains("promoter_refused_documents{"), "{text}");
    }

    #[test]
    fn text_004_names_counters_and_info_like_the_classic_format() {
        let text = fed().encode_as(Format::Text004);
        for want in [
            "# TYPE promoter_build_info gauge",
            "# HELP promoter_build_info ",
            "# TYPE promoter_git_fetch_failures_total counter",
            "# HELP promoter_git_fetch_failures_total ",
            "promoter_git_fetch_failures_total 1",
            "# TYPE promoter_errors_total counter",
            "# TYPE promoter_boomi_api_call_duration_seconds histogram",
        ] {
            assert!(text.contains(want), "{want}\n{text}");
        }
        assert!(!text.contains("# EOF"), "{text}");
        assert!(!text.contains("# UNIT"), "{text}");
        assert!(!text.contains(" info\n"), "{text}");
    }

    #[test]
    fn store_gauges_come_from_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("state.db")).unwrap();
        let m = Metrics::new();
        m.set_refused(&[("STALE".into(), 1)]);
        m.refresh_from_store(&store).unwrap();
        let text = m.encode();
        assert!(text.contains("promoter_branches_in_use 0"), "{text}");
        assert!(text.contains("promoter_branch_soft_limit 15"), "{text}");
        assert!(!text.contains("promoter_refused_documents{"), "{text}");
    }
}
