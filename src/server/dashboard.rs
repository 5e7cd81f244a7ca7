//! The read-only HTML dashboard: server-rendered pages, no JavaScript, every piece of text
//! escaped ([`escape`]).
//!
//! - `/`: the pipeline (counts by status), the refused documents (every open problem, linking
//!   to its promotion or saying "repository"), the peer and admin queues, production readiness
//!   (TEST deployments with no production successor, aged green < 15 days, amber 15–30, red
//!   past 30, with a stale banner past 30), every promotion linking to its page, and the
//!   mappings with a CSV export link;
//! - `/promotions/{id}`: the promotion's problems (open, then cleared), every field of the
//!   record, the per-component results, the deployments, the audit trail and the step journal;
//!   for a refused request (problems, no record) its problems ([`super::problems`]);
//! - `/promotions/{id}/diff` (`?component=`): the side-by-side XML diff of each promoted
//!   component, main on the left and the promotion branch on the right ([`super::diff`]), when
//!   the server has a Boomi platform.

use super::problems::{self, PromotionProblems};
use super::{read_store, ServerError, ServerState};
use crate::model::PromotionStatus;
use crate::store::{
    AuditEntry, ComponentMapping, MappingFilter, PromotionFilter, PromotionRecord, Step,
    StoredProblem,
};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use std::fmt::Write;

/// Most promotions listed on the index page.
const INDEX_LIMIT: usize = 500;

/// Escape text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encode one URL path segment.
fn segment(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// Green, amber or red by age in whole days (the seeds' E4 colouring).
pub fn age_class(days: i64) -> &'static str {
    if days < 15 {
        "green"
    } else if days <= 30 {
        "amber"
    } else {
        "red"
    }
}

pub(super) fn ts(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn opt(s: &Option<String>) -> String {
    escape(s.as_deref().unwrap_or(""))
}

/// The deployment mode a person recognises.
pub fn mode(r: &PromotionRecord) -> &'static str {
    if r.is_hotfix {
        "HOTFIX"
    } else {
        r.target_environment.as_str()
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}\
table{border-collapse:collapse;margin:.5rem 0 1.5rem}\
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}\
th{background:#f3f3f3}td.num{text-align:right}\
.green{background:#d9f2d9}.amber{background:#ffe8b3}.red{background:#f8c9c9}\
.banner{padding:.5rem;border:1px solid #c00;background:#fdd;margin:.5rem 0}\
.pipeline td{min-width:6rem}pre{white-space:pre-wrap;margin:0}\
table.diff td{font-family:monospace;white-space:pre;border:none;padding:0 .4rem}\
table.diff td.ln{color:#888;text-align:right}\
tr.added td.r,tr.changed td.r{background:#d9f2d9}tr.removed td.l,tr.changed td.l{background:#f8c9c9}";

/// No script may run on these pages, whatever a record holds: the escaping is the first
/// defence, this policy the second.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'";

fn page(title: &str, body: &str) -> Response {
    page_with(title, body, "")
}

fn page_with(title: &str, body: &str, extra_head: &str) -> Response {
    (
        [
            (
                axum::http::header::CONTENT_SECURITY_POLICY,
                CONTENT_SECURITY_POLICY,
            ),
            (axum::http::header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (axum::http::header::REFERRER_POLICY, "no-referrer"),
        ],
        Html(format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">{extra_head}\
<title>{} - boomi-promoter</title><style>{STYLE}</style></head><body>\n{body}\n</body></html>\n",
            escape(title)
        )),
    )
        .into_response()
}

pub(super) fn promotion_link(id: &str) -> String {
    format!(
        "<a href=\"/promotions/{}\">{}</a>",
        escape(&segment(id)),
        escape(id)
    )
}

fn promotions_table(out: &mut String, rows: &[PromotionRecord]) {
    if rows.is_empty() {
        out.push_str("<p>None.</p>\n");
        return;
    }
    out.push_str(
        "<table><tr><th>Promotion</th><th>Status</th><th>Mode</th><th>Process</th>\
<th>Dev account</th><th>Initiated by</th><th>Initiated</th><th>Version</th><th>Components</th>\
<th>Error</th><th>Waiting</th></tr>\n",
    );
    for r in rows {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
<td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
            promotion_link(&r.promotion_id),
            escape(r.status.as_str()),
            mode(r),
            escape(&r.process_name),
            escape(&r.dev_account_id),
            escape(&r.initiated_by),
            ts(&r.initiated_at),
            opt(&r.package_version),
            r.components_total,
            escape(r.error_code.map(|c| c.as_str()).unwrap_or("")),
            opt(&r.waiting_reason),
        );
    }
    out.push_str("</table>\n");
}

struct IndexData {
    counts: Vec<(PromotionStatus, u64)>,
    peer: Vec<PromotionRecord>,
    admin: Vec<PromotionRecord>,
    ready: Vec<PromotionRecord>,
    all: Vec<PromotionRecord>,
    mappings: Vec<ComponentMapping>,
    /// Every open problem, oldest first.
    problems: Vec<StoredProblem>,
}

/// `GET /`
pub async fn index(State(state): State<ServerState>) -> Result<Response, ServerError> {
    let data = read_store(&state, |s| {
        s.read(|tx| {
            Ok(IndexData {
                counts: tx.count_by_status()?,
                peer: tx.peer_queue(None)?,
                admin: tx.admin_queue(None)?,
                ready: tx.ready_queue(None, None)?,
                all: tx.list(&PromotionFilter {
                    limit: Some(INDEX_LIMIT),
                    ..Default::default()
                })?,
                mappings: tx.mappings(&MappingFilter::default())?,
                problems: tx.open_problems(None)?,
            })
        })
    })
    .await?;
    // The overview refreshes itself every 30 s (no script needed).
    Ok(page_with(
        "Promotions",
        &render_index(&data, Utc::now()),
        "<meta http-equiv=\"refresh\" content=\"30\">",
    ))
}

fn render_index(d: &IndexData, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    out.push_str("<h1>boomi-promoter</h1>\n");

    out.push_str("<h2>Pipeline</h2>\n<table class=\"pipeline\"><tr>");
    for s in PromotionStatus::ALL {
        let _ = write!(out, "<th>{}</th>", escape(s.as_str()));
    }
    out.push_str("</tr>\n<tr>");
    for s in PromotionStatus::ALL {
        let n: u64 = d
            .counts
            .iter()
            .filter(|(st, _)| st == s)
            .map(|(_, n)| *n)
            .sum();
        let _ = write!(out, "<td class=\"num\">{n}</td>");
    }
    out.push_str("</tr></table>\n");

    let _ = writeln!(out, "<h2>Refused documents ({})</h2>", d.problems.len());
    if !d.problems.is_empty() {
        out.push_str(
            "<p>Documents of the repository that are refused and ignored until they are fixed \
and signed again (<code>promoter validate</code> shows the same).</p>\n",
        );
    }
    problems::problems_table(&mut out, &d.problems, true);

    let _ = writeln!(out, "<h2>Peer review queue ({})</h2>", d.peer.len());
    promotions_table(&mut out, &d.peer);
    let _ = writeln!(out, "<h2>Admin review queue ({})</h2>", d.admin.len());
    promotions_table(&mut out, &d.admin);

    let _ = writeln!(out, "<h2>Production readiness ({})</h2>", d.ready.len());
    out.push_str(
        "<p>TEST deployments with no production promotion yet. Age: green under 15 days, \
amber 15 to 30, red over 30.</p>\n",
    );
    let ages: Vec<i64> = d
        .ready
        .iter()
        .map(|r| (now - r.test_deployed_at.unwrap_or(r.initiated_at)).num_days())
        .collect();
    if ages.iter().any(|a| *a > 30) {
        out.push_str(
            "<div class=\"banner\">Some test deployments are older than 30 days: promote them \
to production or cancel them to free their branches.</div>\n",
        );
    }
    if d.ready.is_empty() {
        out.push_str("<p>None.</p>\n");
    } else {
        out.push_str(
            "<table><tr><th>Promotion</th><th>Process</th><th>Dev account</th>\
<th>Initiated by</th><th>Version</th><th>Test deployed</th><th>Age (days)</th><th>Test pack</th>\
<th>Branch</th></tr>\n",
        );
        for (r, age) in d.ready.iter().zip(&ages) {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
<td class=\"num {}\">{}</td><td>{}</td><td>{}</td></tr>",
                promotion_link(&r.promotion_id),
                escape(&r.process_name),
                escape(&r.dev_account_id),
                escape(&r.initiated_by),
                opt(&r.package_version),
                r.test_deployed_at.as_ref().map(ts).unwrap_or_default(),
                age_class(*age),
                age,
                opt(&r.test_integration_pack_name),
                opt(&r.branch_name),
            );
        }
        out.push_str("</table>\n");
    }

    let _ = writeln!(out, "<h2>Promotions ({})</h2>", d.all.len());
    promotions_table(&mut out, &d.all);

    let _ = writeln!(
        out,
        "<h2>Component mappings ({})</h2>\n<p><a href=\"/api/v1/mappings?format=csv\">Export CSV</a></p>",
        d.mappings.len()
    );
    if d.mappings.is_empty() {
        out.push_str("<p>None.</p>\n");
    } else {
        out.push_str(
            "<table><tr><th>Dev account</th><th>Dev component</th><th>Prod component</th>\
<th>Name</th><th>Type</th><th>Source</th><th>Prod version</th><th>Last promoted</th>\
<th>By</th><th>Promotion</th></tr>\n",
        );
        for m in &d.mappings {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
<td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&m.dev_account_id),
                escape(&m.dev_component_id),
                escape(&m.prod_component_id),
                escape(&m.component_name),
                escape(&m.component_type),
                m.source.as_str(),
                m.prod_latest_version
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                m.last_promoted_at.as_ref().map(ts).unwrap_or_default(),
                opt(&m.last_promoted_by),
                m.last_promotion_id
                    .as_deref()
                    .map(promotion_link)
                    .unwrap_or_default(),
            );
        }
        out.push_str("</table>\n");
    }
    out
}

/// `GET /promotions/{id}`
pub async fn promotion_page(
    State(state): State<ServerState>,
    Path(id): Path<String>,
) -> Result<Response, ServerError> {
    let key = id.clone();
    let (found, problems) = read_store(&state, move |s| {
        s.read(|tx| problems::read_promotion(tx, &key))
    })
    .await?;
    match found {
        None if !problems.open.is_empty() => Ok(page(
            &format!("Refused request {id}"),
            &problems::render_refused(&id, &problems),
        )),
        None => Ok((
            StatusCode::NOT_FOUND,
            page(
                "Not found",
                &format!(
                    "<h1>Promotion not found</h1>\n<p>PROMOTION_NOT_FOUND: there is no promotion {}.</p>\n<p><a href=\"/\">Back</a></p>",
                    escape(&id)
                ),
            ),
        )
            .into_response()),
        Some((rec, audit, steps)) => Ok(page(
            &format!("Promotion {}", rec.promotion_id),
            &render_promotion(&rec, &audit, &steps, &problems, state.platform.is_some()),
        )
        .into_response()),
    }
}

fn json_cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => escape(s),
        other => escape(&other.to_string()),
    }
}

fn render_promotion(
    r: &PromotionRecord,
    audit: &[AuditEntry],
    steps: &[Step],
    problems: &PromotionProblems,
    can_diff: bool,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<p><a href=\"/\">All promotions</a></p>\n<h1>Promotion {}</h1>\n<p>{} &middot; {} &middot; {}</p>",
        escape(&r.promotion_id),
        escape(r.status.as_str()),
        mode(r),
        escape(&r.process_name)
    );
    problems::problems_section(&mut out, problems);

    out.push_str("<h2>Record</h2>\n<table>\n");
    if let Ok(serde_json::Value::Object(map)) = serde_json::to_value(r) {
        for (k, v) in &map {
            if matches!(k.as_str(), "resultDetail" | "deployments") {
                continue;
            }
            let _ = writeln!(
                out,
                "<tr><th>{}</th><td><pre>{}</pre></td></tr>",
                escape(k),
                json_cell(v)
            );
        }
    }
    out.push_str("</table>\n");

    let _ = writeln!(out, "<h2>Components ({})</h2>", r.result_detail.len());
    if can_diff && super::diff::check_diffable(r, None).is_ok() {
        let _ = writeln!(
            out,
            "<p><a href=\"/promotions/{}/diff\">Side-by-side diff (branch against main)</a></p>",
            escape(&segment(&r.promotion_id))
        );
    }
    if r.result_detail.is_empty() {
        out.push_str("<p>None yet.</p>\n");
    } else {
        out.push_str(
            "<table><tr><th>Name</th><th>Type</th><th>Dev id</th><th>Prod id</th><th>Action</th>\
<th>Status</th><th>Version</th><th>Config stripped</th><th>Error</th></tr>\n",
        );
        for c in &r.result_detail {
            let wire = |v: &dyn erased::Wire| v.wire();
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
<td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
                escape(&c.name),
                escape(&c.component_type),
                escape(&c.dev_component_id),
                opt(&c.prod_component_id),
                wire(&c.action),
                wire(&c.status),
                c.version.map(|v| v.to_string()).unwrap_or_default(),
                if c.config_stripped { "yes" } else { "no" },
                opt(&c.error_message),
            );
        }
        out.push_str("</table>\n");
    }

    let _ = writeln!(out, "<h2>Deployments ({})</h2>", r.deployments.len());
    if r.deployments.is_empty() {
        out.push_str("<p>None.</p>\n");
    } else {
        out.push_str(
            "<table><tr><th>Environment</th><th>Deployment</th><th>Status</th><th>Error</th></tr>\n",
        );
        for d in &r.deployments {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&d.environment_id),
                opt(&d.deployment_id),
                erased::Wire::wire(&d.status),
                opt(&d.error),
            );
        }
        out.push_str("</table>\n");
    }

    let _ = writeln!(out, "<h2>Audit trail ({})</h2>", audit.len());
    out.push_str(
        "<table><tr><th>At</th><th>From</th><th>To</th><th>Actor</th><th>Document</th>\
<th>Commit</th><th>Reason</th></tr>\n",
    );
    for a in audit {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ts(&a.at),
            escape(a.from.map(|s| s.as_str()).unwrap_or("(created)")),
            escape(a.to.as_str()),
            escape(&a.actor),
            opt(&a.document),
            opt(&a.commit),
            opt(&a.reason),
        );
    }
    out.push_str("</table>\n");

    let _ = writeln!(out, "<h2>Journal ({} steps)</h2>", steps.len());
    if !steps.is_empty() {
        out.push_str(
            "<table><tr><th>Step</th><th>Started</th><th>Intent</th><th>Finished</th><th>Result</th></tr>\n",
        );
        for s in steps {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td><pre>{}</pre></td><td>{}</td><td><pre>{}</pre></td></tr>",
                escape(&s.step),
                ts(&s.started_at),
                escape(&s.intent.to_string()),
                s.finished_at.as_ref().map(ts).unwrap_or_else(|| "(open)".into()),
                s.result
                    .as_ref()
                    .map(|v| escape(&v.to_string()))
                    .unwrap_or_default(),
            );
        }
        out.push_str("</table>\n");
    }
    out
}

/// `GET /promotions/{id}/diff`
pub async fn diff_page(
    State(state): State<ServerState>,
    Path(id): Path<String>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, ServerError> {
    let key = id.clone();
    let rec = read_store(&state, move |s| s.get(&key)).await?;
    let Some(rec) = rec else {
        return Ok((
            StatusCode::NOT_FOUND,
            page(
                "Not found",
                &format!(
                    "<h1>Promotion not found</h1>\n<p>PROMOTION_NOT_FOUND: there is no promotion {}.</p>",
                    escape(&id)
                ),
            ),
        )
            .into_response());
    };
    let title = format!("Diff of {}", rec.promotion_id);
    let back = format!(
        "<p><a href=\"/promotions/{}\">Back to {}</a></p>\n<h1>{}</h1>\n",
        escape(&segment(&rec.promotion_id)),
        escape(&rec.promotion_id),
        escape(&title)
    );
    let Some(platform) = state.platform.clone() else {
        return Ok((
            StatusCode::SERVICE_UNAVAILABLE,
            page(
                &title,
                &format!("{back}<p>This server has no Boomi connection: use <code>promoter diff {}</code>.</p>", escape(&rec.promotion_id)),
            ),
        )
            .into_response());
    };
    let component = q.get("component").filter(|c| !c.is_empty()).cloned();
    match super::diff::promotion_diff(&*platform, &rec, component.as_deref()).await {
        Ok(diffs) => Ok(page(&title, &format!("{back}{}", render_diffs(&diffs))).into_response()),
        Err(e) => {
            let status = match &e {
                super::diff::DiffError::Boomi(_) => StatusCode::BAD_GATEWAY,
                _ => StatusCode::NOT_FOUND,
            };
            Ok((
                status,
                page(
                    &title,
                    &format!(
                        "{back}<p class=\"banner\">{}: {}</p>",
                        e.code(),
                        escape(&e.to_string())
                    ),
                ),
            )
                .into_response())
        }
    }
}

fn render_diffs(diffs: &[super::diff::ComponentDiff]) -> String {
    let mut out = String::new();
    for d in diffs {
        let _ = writeln!(
            out,
            "<h2>{} ({}) {}</h2>\n<p>{} &middot; main v{} &rarr; branch v{} &middot; {} added, {} removed, {} changed, {} unchanged</p>",
            escape(&d.name),
            escape(&d.component_type),
            escape(&d.prod_component_id),
            d.component_action,
            d.main_version,
            d.branch_version.map(|v| v.to_string()).unwrap_or("?".into()),
            d.stats.added,
            d.stats.removed,
            d.stats.changed,
            d.stats.unchanged
        );
        if d.identical {
            out.push_str("<p>No difference.</p>\n");
            continue;
        }
        out.push_str(
            "<table class=\"diff\"><tr><th></th><th>main</th><th></th><th>branch</th></tr>\n",
        );
        for r in d.rows.as_deref().unwrap_or(&[]) {
            let class = match r.kind {
                crate::xml::RowKind::Equal => "equal",
                crate::xml::RowKind::Added => "added",
                crate::xml::RowKind::Removed => "removed",
                crate::xml::RowKind::Changed => "changed",
            };
            let _ = writeln!(
                out,
                "<tr class=\"{class}\"><td class=\"ln\">{}</td><td class=\"l\">{}</td><td class=\"ln\">{}</td><td class=\"r\">{}</td></tr>",
                r.left_line.map(|n| n.to_string()).unwrap_or_default(),
                escape(r.left.as_deref().unwrap_or("")),
                r.right_line.map(|n| n.to_string()).unwrap_or_default(),
                escape(r.right.as_deref().unwrap_or("")),
            );
        }
        out.push_str("</table>\n");
    }
    out
}

/// The wire spelling of the store's serde enums.
mod erased {
    pub trait Wire {
        fn wire(&self) -> String;
    }
    impl<T: serde::Serialize> Wire for T {
        fn wire(&self) -> String {
            match serde_json::to_value(self) {
                Ok(serde_json::Value::String(s)) => super::escape(&s),
                Ok(other) => super::escape(&other.to_string()),
                Err(_) => String::new(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Target;

    #[test]
    fn escapes_everything_dangerous() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(segment("a b/c"), "a%20b%2Fc");
    }

    #[test]
    fn ages() {
        assert_eq!(age_class(0), "green");
        assert_eq!(age_class(14), "green");
        assert_eq!(age_class(15), "amber");
        assert_eq!(age_class(30), "amber");
        assert_eq!(age_class(31), "red");
    }

    #[test]
    fn readiness_rows_are_coloured_by_age() {
        let now = crate::store::record::parse_ts("2026-11-21T09:00:00Z").unwrap();
        let mk = |id: &str, days: i64| {
            let mut r = PromotionRecord::new(
                id,
                "dev-a",
                "a@example.com",
                "P",
                Target::Test,
                PromotionStatus::TestDeployed,
                now - chrono::Duration::days(days + 1),
            );
            r.test_deployed_at = Some(now - chrono::Duration::days(days));
            r
        };
        let d = IndexData {
            counts: vec![(PromotionStatus::TestDeployed, 3)],
            peer: vec![],
            admin: vec![],
            ready: vec![mk("fresh-1", 2), mk("aging-1", 20), mk("stale-1", 45)],
            all: vec![],
            mappings: vec![],
            problems: vec![],
        };
        let html = render_index(&d, now);
        assert!(html.contains("<td class=\"num green\">2</td>"), "{html}");
        assert!(html.contains("<td class=\"num amber\">20</td>"));
        assert!(html.contains("<td class=\"num red\">45</td>"));
        assert!(html.contains("class=\"banner\""));
        assert!(html.contains("<a href=\"/promotions/stale-1\">stale-1</a>"));
    }
}
