//! The Prometheus metrics of the daemon ([`Metrics`]), exposed as text at `GET /metrics`.
//!
//! | metric | type | labels | fed by |
//! |---|---|---|---|
//! | `reconcile_duration_seconds` | histogram | — | the reconciler, once per pass |
//! | `boomi_api_calls_total` | counter | `endpoint`, `status` | every Boomi call |
//! | `promotions` | gauge | `status` | the store, refreshed at scrape time |
//! | `branches` | gauge | `kind` = `count` / `limit` | the reconciler (branch count vs soft limit) |
//! | `errors_total` | counter | `code` | every error code the reconciler records |
//!
//! `Metrics` is a cheap handle (`Clone` shares the same registry).

use crate::model::{ErrorCode, PromotionStatus};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::Duration;

/// The content type of [`Metrics::encode`]'s output (OpenMetrics text, which Prometheus
/// scrapes natively).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Buckets of `reconcile_duration_seconds`: 50 ms … ~200 s.
const DURATION_BUCKETS: [f64; 12] = [
    0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 200.0,
];

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ApiCallLabels {
    endpoint: String,
    status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct StatusLabels {
    status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct CodeLabels {
    code: String,
}

struct Inner {
    registry: Registry,
    reconcile_duration: Histogram,
    api_calls: Family<ApiCallLabels, Counter>,
    promotions: Family<StatusLabels, Gauge>,
    branches: Family<KindLabels, Gauge>,
    errors: Family<CodeLabels, Counter>,
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

impl Metrics {
    /// A fresh registry with every metric registered (and the `promotions` gauge at 0 for
    /// every status).
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let reconcile_duration = Histogram::new(DURATION_BUCKETS);
        let api_calls = Family::<ApiCallLabels, Counter>::default();
        let promotions = Family::<StatusLabels, Gauge>::default();
        let branches = Family::<KindLabels, Gauge>::default();
        let errors = Family::<CodeLabels, Counter>::default();
        registry.register(
            "reconcile_duration_seconds",
            "Duration of one reconcile pass",
            reconcile_duration.clone(),
        );
        // The text encoder appends `_total` to counters.
        registry.register(
            "boomi_api_calls",
            "Boomi Platform API calls by endpoint and HTTP status",
            api_calls.clone(),
        );
        registry.register(
            "promotions",
            "Promotions in the state store by status",
            promotions.clone(),
        );
        registry.register(
            "branches",
            "Promotion branches in the primary account (count) and the soft limit (limit)",
            branches.clone(),
        );
        registry.register(
            "errors",
            "Errors recorded by the reconciler, by catalogue code",
            errors.clone(),
        );
        let m = Metrics {
            inner: Arc::new(Inner {
                registry,
                reconcile_duration,
                api_calls,
                promotions,
                branches,
                errors,
            }),
        };
        m.set_promotions(&[]);
        m
    }

    /// Record the duration of one reconcile pass.
    pub fn observe_reconcile(&self, d: Duration) {
        self.inner.reconcile_duration.observe(d.as_secs_f64());
    }

    /// Count one Boomi API call answered with HTTP `status`. `endpoint` should be a template
    /// (`GET Component/{id}`), never a path with ids, to keep the label set small.
    pub fn api_call(&self, endpoint: &str, status: u16) {
        self.api_call_labelled(endpoint, &status.to_string());
    }

    /// Count one Boomi API call that got no HTTP answer (transport failure): `status="error"`.
    pub fn api_call_failed(&self, endpoint: &str) {
        self.api_call_labelled(endpoint, "error");
    }

    fn api_call_labelled(&self, endpoint: &str, status: &str) {
        self.inner
            .api_calls
            .get_or_create(&ApiCallLabels {
                endpoint: endpoint.to_string(),
                status: status.to_string(),
            })
            .inc();
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

    /// Set the branch gauges: promotion branches now, and the soft limit.
    pub fn set_branches(&self, count: u64, limit: u64) {
        for (kind, v) in [("count", count), ("limit", limit)] {
            self.inner
                .branches
                .get_or_create(&KindLabels { kind: kind.into() })
                .set(i64::try_from(v).unwrap_or(i64::MAX));
        }
    }

    /// Set the `promotions` gauge: every status gets its count (0 when absent from `counts`).
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

    /// The registry in the OpenMetrics text format ([`CONTENT_TYPE`]).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.inner.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_has_every_metric_with_labels() {
        let m = Metrics::new();
        let shared = m.clone();
        shared.observe_reconcile(Duration::from_millis(300));
        shared.api_call("GET Component/{id}", 200);
        shared.api_call("GET Component/{id}", 200);
        shared.api_call_failed("POST Branch");
        shared.error(ErrorCode::BranchLimitReached);
        shared.set_branches(3, 15);
        shared.set_promotions(&[(PromotionStatus::TestDeployed, 2)]);
        let text = m.encode();
        assert!(
            text.contains("# TYPE reconcile_duration_seconds histogram"),
            "{text}"
        );
        assert!(
            text.contains("reconcile_duration_seconds_count 1"),
            "{text}"
        );
        assert!(
            text.contains("reconcile_duration_seconds_bucket{le=\"0.5\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("reconcile_duration_seconds_bucket{le=\"0.25\"} 0"),
            "{text}"
        );
        assert!(
            text.contains(
                "boomi_api_calls_total{endpoint=\"GET Component/{id}\",status=\"200\"} 2"
            ),
            "{text}"
        );
        assert!(
            text.contains("boomi_api_calls_total{endpoint=\"POST Branch\",status=\"error\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("errors_total{code=\"BRANCH_LIMIT_REACHED\"} 1"),
            "{text}"
        );
        assert!(text.contains("branches{kind=\"count\"} 3"), "{text}");
        assert!(text.contains("branches{kind=\"limit\"} 15"), "{text}");
        assert!(
            text.contains("promotions{status=\"TEST_DEPLOYED\"} 2"),
            "{text}"
        );
        assert!(text.contains("promotions{status=\"QUEUED\"} 0"), "{text}");
        assert!(text.trim_end().ends_with("# EOF"));
        // A refresh replaces the previous counts.
        m.set_promotions(&[]);
        assert!(m
            .encode()
            .contains("promotions{status=\"TEST_DEPLOYED\"} 0"));
    }
}
