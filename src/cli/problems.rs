//! Refused documents in the read commands ("refusals are state", DESIGN.md §2): the PROBLEMS
//! column, the refused-request rows and the repository problems of `status`, and the problems
//! section of `show` (and what `show` prints for a refused request). The store views and JSON
//! shapes are shared with the server ([`crate::server::problems`]).

use super::read::when;
use crate::server::problems::{
    identities, refused_requests, repository_problems, short_commit, PromotionProblems,
    RefusedRequest,
};
use crate::store::{PromotionRecord, StoreError, StoredProblem, Tx};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write;

/// What `status` shows of the refused documents.
#[derive(Debug, Default)]
pub struct StatusProblems {
    /// Promotion id → number of open problems.
    pub counts: HashMap<String, u64>,
    /// Refused requests (open problems, no record); empty when `status` was given a filter.
    pub refused: Vec<RefusedRequest>,
    /// Open problems of no promotion (shown whatever the filters).
    pub repository: Vec<StoredProblem>,
}

impl StatusProblems {
    /// Read them; `with_refused`: whether the refused requests are listed (not with a filter).
    pub fn read(tx: &Tx<'_>, with_refused: bool) -> Result<Self, StoreError> {
        let open = tx.open_problems(None)?;
        Ok(StatusProblems {
            counts: tx.open_problem_counts()?,
            refused: if with_refused {
                refused_requests(tx, &open)?
            } else {
                Vec::new()
            },
            repository: repository_problems(&open),
        })
    }

    /// The open problems of a promotion.
    pub fn count(&self, id: &str) -> u64 {
        self.counts.get(id).copied().unwrap_or(0)
    }

    /// The PROBLEMS cell: the count, `-` when none.
    pub fn cell(&self, id: &str) -> String {
        match self.count(id) {
            0 => "-".into(),
            n => n.to_string(),
        }
    }

    /// `{"promotions": [... each with "problems": n], "refused": [...],
    /// "repositoryProblems": [...]}`
    pub fn json(&self, list: &[PromotionRecord]) -> Value {
        let promotions: Vec<Value> = list
            .iter()
            .map(|r| {
                let mut v = json!(r);
                if let Some(o) = v.as_object_mut() {
                    o.insert("problems".into(), json!(self.count(&r.promotion_id)));
                }
                v
            })
            .collect();
        json!({
            "promotions": promotions,
            "refused": self.refused,
            "repositoryProblems": self.repository,
        })
    }

    /// The table rows of the refused requests: STATUS `REFUSED`, no target, mode, account,
    /// branch or version, ERROR the code of the first problem.
    pub fn refused_rows(&self) -> Vec<Vec<String>> {
        self.refused
            .iter()
            .map(|r| {
                let dash = || "-".to_string();
                vec![
                    r.promotion_id.clone(),
                    "REFUSED".into(),
                    dash(),
                    dash(),
                    dash(),
                    dash(),
                    dash(),
                    r.problems.len().to_string(),
                    r.problems
                        .first()
                        .map_or_else(dash, |p| p.problem.code.as_str().to_string()),
                    dash(),
                ]
            })
            .collect()
    }

    /// After the table: the repository problems, one a line (nothing when there is none).
    pub fn write_repository(&self, out: &mut impl Write) -> std::io::Result<()> {
        if self.repository.is_empty() {
            return Ok(());
        }
        writeln!(out, "\nRepository problems:")?;
        for p in &self.repository {
            writeln!(out, "  {}", p.problem)?;
        }
        Ok(())
    }
}

/// The problems section of `show`: the open problems in full, then the cleared ones in short.
pub fn write_problems(out: &mut impl Write, problems: &PromotionProblems) -> std::io::Result<()> {
    writeln!(out, "\nProblems ({} open):", problems.open.len())?;
    for p in &problems.open {
        writeln!(out, "  {}", head(p))?;
        writeln!(
            out,
            "      claimed / signer: {}; first seen {} in commit {}",
            identities(p),
            when(&p.first_seen),
            short_commit(&p.commit)
        )?;
    }
    if !problems.cleared.is_empty() {
        writeln!(out, "\nCleared problems ({}):", problems.cleared.len())?;
        for p in &problems.cleared {
            writeln!(
                out,
                "  {}  (cleared at {} in commit {})",
                head(p),
                p.cleared_at.as_ref().map(when).unwrap_or_default(),
                short_commit(p.cleared_commit.as_deref().unwrap_or("-"))
            )?;
        }
    }
    Ok(())
}

/// `file:line:column  CODE  message`
fn head(p: &StoredProblem) -> String {
    format!(
        "{}  {}  {}",
        p.problem.location(),
        p.problem.code,
        p.problem.message
    )
}

/// What `show` prints for a refused request (problems, no record).
pub fn write_refused(
    out: &mut impl Write,
    id: &str,
    problems: &PromotionProblems,
) -> std::io::Result<()> {
    writeln!(
        out,
        "Promotion {id}  REFUSED  (the request was refused: there is no promotion record)"
    )?;
    write_problems(out, problems)?;
    writeln!(
        out,
        "\nFix the documents, sign them again (promoter sign FILE), check them with \
         `promoter validate`, and push."
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ErrorCode, Problem};
    use crate::store::record::parse_ts;
    use crate::store::ProblemSource;

    fn stored(file: &str, open: bool) -> StoredProblem {
        StoredProblem {
            id: 1,
            promotion_id: Some("x-1".into()),
            problem: Problem::new(file, ErrorCode::SignatureMissing, "no signature")
                .at(Some(1), Some(2))
                .by(Some("bob@example.com"), None),
            source: ProblemSource::Document,
            commit: "abcdef0123456789".into(),
            first_seen: parse_ts("2026-11-21T08:00:00Z").unwrap(),
            cleared_at: (!open).then(|| parse_ts("2026-11-22T09:30:00Z").unwrap()),
            cleared_commit: (!open).then(|| "fedcba9876543210".into()),
        }
    }

    #[test]
    fn show_lists_open_problems_in_full_and_cleared_ones_in_short() {
        let mut out = Vec::new();
        write_refused(
            &mut out,
            "x-1",
            &PromotionProblems {
                open: vec![stored("promotions/x-1/request.yaml", true)],
                cleared: vec![stored("promotions/x-1/withdrawal.yaml", false)],
            },
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        for want in [
            "Promotion x-1  REFUSED",
            "Problems (1 open):",
            "promotions/x-1/request.yaml:1:2  SIGNATURE_MISSING  no signature",
            "claimed / signer: bob@example.com / -; first seen 2026-11-21 08:00 in commit abcdef012345",
            "Cleared problems (1):",
            "(cleared at 2026-11-22 09:30 in commit fedcba987654)",
            "promoter validate",
        ] {
            assert!(text.contains(want), "{want:?} missing from\n{text}");
        }
    }

    #[test]
    fn the_problems_cell_is_a_dash_when_there_is_none() {
        let mut s = StatusProblems::default();
        s.counts.insert("a".into(), 2);
        assert_eq!(s.cell("a"), "2");
        assert_eq!(s.cell("b"), "-");
    }
}
