//! Refused documents as the operator surfaces show them ("refusals are state", DESIGN.md §2):
//! what the store keeps ([`StoredProblem`]) read into the views that `status`, `show`, the JSON
//! API and the dashboard share, their JSON shapes, and their HTML (every piece of text escaped
//! with [`super::dashboard::escape`]).
//!
//! A promotion id with open problems and no promotion record is a *refused request*: the
//! request itself was refused, so there is nothing but its problems to show.

use super::dashboard::{escape, promotion_link, ts};
use crate::store::{AuditEntry, PromotionRecord, Step, StoreError, StoredProblem, Tx};
use serde::Serialize;
use serde_json::{json, Value};
use std::fmt::Write;

/// A promotion request refused before it had a record, with its open problems.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefusedRequest {
    pub promotion_id: String,
    pub problems: Vec<StoredProblem>,
}

/// The refused requests among `open` (the open problems, oldest first): each promotion id
/// that has open problems and no record, in the order of its oldest open problem.
pub fn refused_requests(
    tx: &Tx<'_>,
    open: &[StoredProblem],
) -> Result<Vec<RefusedRequest>, StoreError> {
    let mut out: Vec<RefusedRequest> = Vec::new();
    for p in open {
        let Some(id) = p.promotion_id.as_deref() else {
            continue;
        };
        if let Some(r) = out.iter_mut().find(|r| r.promotion_id == id) {
            r.problems.push(p.clone());
        } else if tx.get(id)?.is_none() {
            out.push(RefusedRequest {
                promotion_id: id.to_owned(),
                problems: vec![p.clone()],
            });
        }
    }
    Ok(out)
}

/// The open problems of no promotion (`access/policy.yaml`, `promoter.yaml`, `mappings/*`).
pub fn repository_problems(open: &[StoredProblem]) -> Vec<StoredProblem> {
    open.iter()
        .filter(|p| p.promotion_id.is_none())
        .cloned()
        .collect()
}

/// The problems of one promotion: open ones and cleared ones, each oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PromotionProblems {
    pub open: Vec<StoredProblem>,
    pub cleared: Vec<StoredProblem>,
}

impl PromotionProblems {
    /// Read the problems of promotion `id`.
    pub fn read(tx: &Tx<'_>, id: &str) -> Result<Self, StoreError> {
        let (open, cleared) = tx.problems_of(id)?.into_iter().partition(|p| p.is_open());
        Ok(PromotionProblems { open, cleared })
    }

    /// Whether there is no problem at all.
    pub fn is_empty(&self) -> bool {
        self.open.is_empty() && self.cleared.is_empty()
    }

    /// Add `"problems"` (open) and `"clearedProblems"` to a JSON object.
    pub fn add_to(&self, v: &mut Value) {
        if let Some(o) = v.as_object_mut() {
            o.insert("problems".into(), json!(self.open));
            o.insert("clearedProblems".into(), json!(self.cleared));
        }
    }

    /// What a refused request (no record) answers:
    /// `{"promotionId", "refused": true, "problems", "clearedProblems"}`.
    pub fn refused_json(&self, id: &str) -> Value {
        let mut v = json!({ "promotionId": id, "refused": true });
        self.add_to(&mut v);
        v
    }
}

/// A promotion's record with its audit trail and step journal.
pub type Found = (PromotionRecord, Vec<AuditEntry>, Vec<Step>);

/// What `show`, the API and the dashboard page show of promotion `id`: its record (with the
/// audit trail and the journal), if any, and its problems. A refused request has problems and
/// no record.
pub fn read_promotion(
    tx: &Tx<'_>,
    id: &str,
) -> Result<(Option<Found>, PromotionProblems), StoreError> {
    let problems = PromotionProblems::read(tx, id)?;
    let found = match tx.get(id)? {
        Some(rec) => Some((rec, tx.audit(id)?, tx.steps(id)?)),
        None => None,
    };
    Ok((found, problems))
}

/// The first 12 characters of a commit id.
pub fn short_commit(c: &str) -> &str {
    c.get(..12).unwrap_or(c)
}

/// `claimed` / `signer` as one cell (`-` for an unknown one).
pub fn identities(p: &StoredProblem) -> String {
    format!(
        "{} / {}",
        p.problem.claimed().unwrap_or("-"),
        p.problem.signer().unwrap_or("-")
    )
}

/// An HTML table of open problems; with `with_promotion`, a first column links to the
/// promotion (or says "repository").
pub fn problems_table(out: &mut String, problems: &[StoredProblem], with_promotion: bool) {
    if problems.is_empty() {
        out.push_str("<p>None.</p>\n");
        return;
    }
    out.push_str("<table class=\"problems\"><tr>");
    if with_promotion {
        out.push_str("<th>Promotion</th>");
    }
    out.push_str(
        "<th>File</th><th>Code</th><th>Message</th><th>Claimed / signer</th><th>Since</th></tr>\n",
    );
    for p in problems {
        out.push_str("<tr>");
        if with_promotion {
            let cell = match p.promotion_id.as_deref() {
                Some(id) => promotion_link(id),
                None => "repository".to_owned(),
            };
            let _ = write!(out, "<td>{cell}</td>");
        }
        let _ = writeln!(
            out,
            "<td>{}</td><td>{}</td><td><pre>{}</pre></td><td>{}</td><td>{} (commit {})</td></tr>",
            escape(&p.problem.location()),
            escape(p.problem.code.as_str()),
            escape(&p.problem.message),
            escape(&identities(p)),
            ts(&p.first_seen),
            escape(short_commit(&p.commit)),
        );
    }
    out.push_str("</table>\n");
}

/// The problems section of a promotion page: the open ones, then the cleared ones.
pub fn problems_section(out: &mut String, problems: &PromotionProblems) {
    let _ = writeln!(out, "<h2>Problems ({} open)</h2>", problems.open.len());
    problems_table(out, &problems.open, false);
    if problems.cleared.is_empty() {
        return;
    }
    let _ = writeln!(out, "<h3>Cleared ({})</h3>\n<ul>", problems.cleared.len());
    for p in &problems.cleared {
        let _ = writeln!(
            out,
            "<li>{}: {}: {} &mdash; cleared at {} in commit {}</li>",
            escape(&p.problem.location()),
            escape(p.problem.code.as_str()),
            escape(&p.problem.message),
            p.cleared_at.as_ref().map(ts).unwrap_or_default(),
            escape(short_commit(p.cleared_commit.as_deref().unwrap_or("-"))),
        );
    }
    out.push_str("</ul>\n");
}

/// The page of a refused request (no record): what was refused and why.
pub fn render_refused(id: &str, problems: &PromotionProblems) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<p><a href=\"/\">All promotions</a></p>\n<h1>Promotion {}</h1>\n\
<p class=\"banner\">REFUSED: the request was refused, so there is no promotion record. \
Fix the documents below, sign them again and push.</p>",
        escape(id)
    );
    problems_section(&mut out, problems);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ErrorCode, Problem};
    use crate::store::record::parse_ts;
    use crate::store::ProblemSource;

    fn stored(promotion: Option<&str>, message: &str) -> StoredProblem {
        StoredProblem {
            id: 1,
            promotion_id: promotion.map(str::to_owned),
            problem: Problem::new(
                promotion.map_or("access/policy.yaml".to_owned(), |id| {
                    format!("promotions/{id}/request.yaml")
                }),
                ErrorCode::SignatureInvalid,
                message,
            )
            .at(Some(2), None)
            .by(Some("<b>eve</b>@example.com"), None),
            source: ProblemSource::Document,
            commit: "abcdef0123456789".into(),
            first_seen: parse_ts("2026-11-21T08:00:00Z").unwrap(),
            cleared_at: None,
            cleared_commit: None,
        }
    }

    #[test]
    fn tables_escape_every_cell_and_link_promotions() {
        let evil = "<script>alert('x')</script> & \"q\"";
        let mut out = String::new();
        problems_table(
            &mut out,
            &[stored(Some("orders-1"), evil), stored(None, "plain")],
            true,
        );
        assert!(!out.contains("<script>"), "{out}");
        assert!(!out.contains("<b>"), "{out}");
        assert!(
            out.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"),
            "{out}"
        );
        assert!(out.contains("&lt;b&gt;eve&lt;/b&gt;@example.com / -"));
        assert!(out.contains("<a href=\"/promotions/orders-1\">orders-1</a>"));
        assert!(out.contains("<td>repository</td>"));
        assert!(out.contains("promotions/orders-1/request.yaml:2"));
        assert!(out.contains("(commit abcdef012345)"));
    }

    #[test]
    fn the_refused_page_lists_open_and_cleared_problems_escaped() {
        let mut cleared = stored(Some("x-1"), "</li><script>gone</script>");
        cleared.cleared_at = Some(parse_ts("2026-11-22T08:00:00Z").unwrap());
        cleared.cleared_commit = Some("fedcba9876543210".into());
        let page = render_refused(
            "x-1<i>",
            &PromotionProblems {
                open: vec![stored(Some("x-1"), "<script>open</script>")],
                cleared: vec![cleared],
            },
        );
        assert!(
            !page.contains("<script>") && !page.contains("<i>"),
            "{page}"
        );
        assert!(page.contains("Promotion x-1&lt;i&gt;"));
        assert!(page.contains("REFUSED"));
        assert!(page.contains("Problems (1 open)"));
        assert!(page.contains("Cleared (1)"));
        assert!(page.contains("in commit fedcba987654"));
    }
}
