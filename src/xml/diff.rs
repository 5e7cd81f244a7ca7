//! `diff`: compare two normalised documents line by line (the offline half of action G).
//!
//! The result carries a unified diff (3 lines of context), side-by-side rows and counts. A
//! replaced block of `o` old and `n` new lines counts `min(o, n)` lines as changed and the rest
//! as added or removed, so `added + changed` and `removed + changed` are the seeds' §6.13
//! additions and deletions (`new − LCS`, `old − LCS`). An empty side (a component being
//! created, or deleted) means every line of the other side is added (removed).

use super::{normalize, XmlError};
use serde::Serialize;
use similar::{DiffOp, TextDiff};

/// Line counts of a diff.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiffStats {
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    pub unchanged: usize,
}

/// What a side-by-side row shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RowKind {
    Equal,
    Added,
    Removed,
    Changed,
}

/// One side-by-side row; line numbers are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiffRow {
    pub kind: RowKind,
    pub left_line: Option<usize>,
    pub left: Option<String>,
    pub right_line: Option<usize>,
    pub right: Option<String>,
}

/// The result of [`diff`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiffResult {
    pub stats: DiffStats,
    /// Unified diff text (empty when the documents are equal).
    pub unified: String,
    pub rows: Vec<DiffRow>,
}

impl DiffResult {
    /// True when both sides are identical.
    pub fn is_identical(&self) -> bool {
        self.stats.added == 0 && self.stats.removed == 0 && self.stats.changed == 0
    }
}

fn split(s: &str) -> Vec<&str> {
    if s.is_empty() {
        Vec::new()
    } else {
        s.split('\n').collect()
    }
}

/// Diff two already normalised documents (`left` = old/main, `right` = new/branch).
/// `left_label`/`right_label` name the sides in the unified header.
pub fn diff(left: &str, right: &str, left_label: &str, right_label: &str) -> DiffResult {
    let l = split(left);
    let r = split(right);
    let td = TextDiff::from_slices(&l, &r);
    let mut stats = DiffStats::default();
    let mut rows = Vec::new();
    let row = |kind, li: Option<usize>, ri: Option<usize>| DiffRow {
        kind,
        left_line: li.map(|i| i + 1),
        left: li.map(|i| l[i].to_string()),
        right_line: ri.map(|i| i + 1),
        right: ri.map(|i| r[i].to_string()),
    };
    for op in td.ops() {
        match *op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => {
                stats.unchanged += len;
                for k in 0..len {
                    rows.push(row(
                        RowKind::Equal,
                        Some(old_index + k),
                        Some(new_index + k),
                    ));
                }
            }
            DiffOp::Delete {
                old_index, old_len, ..
            } => {
                stats.removed += old_len;
                for k in 0..old_len {
                    rows.push(row(RowKind::Removed, Some(old_index + k), None));
                }
            }
            DiffOp::Insert {
                new_index, new_len, ..
            } => {
                stats.added += new_len;
                for k in 0..new_len {
                    rows.push(row(RowKind::Added, None, Some(new_index + k)));
                }
            }
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                let both = old_len.min(new_len);
                stats.changed += both;
                stats.removed += old_len - both;
                stats.added += new_len - both;
                for k in 0..old_len.max(new_len) {
                    let li = (k < old_len).then_some(old_index + k);
                    let ri = (k < new_len).then_some(new_index + k);
                    let kind = match (li, ri) {
                        (Some(_), Some(_)) => RowKind::Changed,
                        (Some(_), None) => RowKind::Removed,
                        _ => RowKind::Added,
                    };
                    rows.push(row(kind, li, ri));
                }
            }
        }
    }
    let unified = if stats.added + stats.removed + stats.changed == 0 {
        String::new()
    } else {
        let mut u = td.unified_diff();
        u.context_radius(3)
            .header(left_label, right_label)
            .missing_newline_hint(false);
        let mut s = u.to_string();
        if !s.ends_with('\n') {
            s.push('\n');
        }
        s
    };
    DiffResult {
        stats,
        unified,
        rows,
    }
}

/// Normalise both documents, then [`diff`] them. An empty side stays empty (a create).
pub fn diff_xml(
    left_xml: &str,
    right_xml: &str,
    left_label: &str,
    right_label: &str,
) -> Result<DiffResult, XmlError> {
    let l = normalize(left_xml)?;
    let r = normalize(right_xml)?;
    Ok(diff(&l, &r, left_label, right_label))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_rows() {
        let d = diff("a\nb\nc\nd", "a\nB\nc\nd\ne", "main", "branch");
        assert_eq!(
            d.stats,
            DiffStats {
                added: 1,
                removed: 0,
                changed: 1,
                unchanged: 3
            }
        );
        assert_eq!(d.rows.len(), 5);
        assert_eq!(d.rows[1].kind, RowKind::Changed);
        assert_eq!(d.rows[1].left.as_deref(), Some("b"));
        assert_eq!(d.rows[1].right.as_deref(), Some("B"));
        assert_eq!(d.rows[4].kind, RowKind::Added);
        assert_eq!(d.rows[4].right_line, Some(5));
        assert!(d.unified.starts_with("--- main\n+++ branch\n@@"));
        assert!(d.unified.contains("\n-b\n+B\n"));
    }

    #[test]
    fn create_and_identical() {
        let d = diff("", "x\ny", "a", "b");
        assert_eq!(d.stats.added, 2);
        assert_eq!(d.stats.unchanged, 0);
        let d = diff("x", "x", "a", "b");
        assert!(d.is_identical());
        assert!(d.unified.is_empty());
        let d = diff("", "", "a", "b");
        assert_eq!(d.stats, DiffStats::default());
    }

    #[test]
    fn xml_diff_ignores_attribute_order() {
        let d = diff_xml("<a y='1' x='2'/>", "<a x=\"2\" y=\"1\"></a>", "l", "r").unwrap();
        assert!(d.is_identical());
    }
}
