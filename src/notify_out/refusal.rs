//! The `DOCUMENT_REFUSED` notification: what it says about one refused document (a kept
//! problem of the store), to whom (its author only: the signer, else the identity the document
//! claims — never a distribution list), its subject, plain-text body and webhook JSON. Pure: no
//! I/O. [`super::event::Event::document_refused`] builds the event from a
//! [`StoredProblem`].

use super::event::{field, human_ts};
use crate::model::ErrorCode;
use crate::store::record::format_ts;
use crate::store::StoredProblem;
use serde::Serialize;
use serde_json::{json, Value};
use std::fmt::Write as _;

/// Longest file name a subject line shows (a longer one is cut, with `…`).
const SUBJECT_FILE_LIMIT: usize = 120;

/// One refused document as the `DOCUMENT_REFUSED` event carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefusalInfo {
    /// The promotion whose directory holds the file; `None` for a repository document
    /// (`access/policy.yaml`, `promoter.yaml`, `mappings/*.yaml`).
    pub promotion_id: Option<String>,
    /// The file, relative to the repository root.
    pub file: String,
    pub line: Option<u64>,
    pub column: Option<u64>,
    pub code: ErrorCode,
    pub message: String,
    /// The identity the document claims, when it could be read.
    pub claimed: Option<String>,
    /// Who signed it, when the signature could be attributed.
    pub signer: Option<String>,
    /// Who is told (lower case): the signer, else the claimed identity.
    pub author: String,
    /// The commit in which the problem was first seen.
    pub commit: String,
    /// When it was first seen (RFC 3339).
    pub first_seen: String,
    /// `file:line:column`.
    #[serde(skip)]
    location: String,
}

impl RefusalInfo {
    /// The refusal of an open kept problem whose author is known; `None` otherwise (nobody to
    /// tell, or the problem is cleared already).
    pub fn of(p: &StoredProblem) -> Option<RefusalInfo> {
        if !p.is_open() {
            return None;
        }
        let author = p.problem.author_email().map(str::trim)?;
        if author.is_empty() {
            return None;
        }
        Some(RefusalInfo {
            promotion_id: p.promotion_id.clone(),
            file: p.problem.file.clone(),
            line: p.problem.line,
            column: p.problem.column,
            code: p.problem.code,
            message: p.problem.message.clone(),
            claimed: p.problem.claimed().map(str::to_owned),
            signer: p.problem.signer().map(str::to_owned),
            author: author.to_lowercase(),
            commit: p.commit.clone(),
            first_seen: format_ts(&p.first_seen),
            location: p.problem.location(),
        })
    }

    /// `file:line:column` (as much of it as is known).
    pub fn location(&self) -> String {
        self.location.clone()
    }

    /// `Refused: {file} ({code})`, on one line whatever the file name holds.
    pub fn subject(&self) -> String {
        let mut file: String = one_line(&self.file);
        if file.chars().count() > SUBJECT_FILE_LIMIT {
            file = file.chars().take(SUBJECT_FILE_LIMIT).collect::<String>() + "…";
        }
        format!("Refused: {file} ({})", self.code)
    }

    /// The plain-text body: what was refused, why, where, and what to do.
    pub fn text_body(&self) -> String {
        let mut b = String::new();
        b.push_str(
            "boomi-promoter refused a document of the promotions repository that you signed \
             or that names you.\nUntil it is fixed it is ignored: nothing it asks for is done.\n\n",
        );
        field(&mut b, "File", &self.location());
        field(&mut b, "Problem", self.code.as_str());
        field(&mut b, "Message", &self.message);
        field(
            &mut b,
            "Promotion",
            self.promotion_id
                .as_deref()
                .unwrap_or("repository (not a promotion's document)"),
        );
        if let Some(c) = &self.claimed {
            field(&mut b, "Claimed identity", c);
        }
        if let Some(s) = &self.signer {
            field(&mut b, "Signed by", s);
        }
        field(&mut b, "Commit", &self.commit);
        field(&mut b, "First seen", &human_ts(&self.first_seen));
        b.push('\n');
        let _ = writeln!(
            b,
            "What to do: fix the document and sign it again (promoter sign {}),\n\
             check it with `promoter validate` before you push, and push the fix.",
            one_line(&self.file)
        );
        match &self.promotion_id {
            Some(id) => {
                let _ = writeln!(b, "Details: promoter show {id}");
            }
            None => b.push_str("Details: promoter status\n"),
        }
        b.push_str("\n-- \nboomi-promoter\n");
        b
    }

    /// The webhook JSON: `{"event": "DOCUMENT_REFUSED", "promotionId", "subject", "refusal"}`
    /// (`promotionId` is `null` for a repository document).
    pub fn to_json(&self, event: &str) -> Value {
        json!({
            "event": event,
            "promotionId": self.promotion_id,
            "subject": self.subject(),
            "refusal": self,
        })
    }
}

/// `s` with every control character (line breaks, tabs) replaced by a space.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Problem;
    use crate::store::record::parse_ts;
    use crate::store::ProblemSource;

    fn stored(promotion: Option<&str>, problem: Problem) -> StoredProblem {
        StoredProblem {
            id: 7,
            promotion_id: promotion.map(str::to_owned),
            problem,
            source: ProblemSource::Document,
            commit: "0123456789abcdef".into(),
            first_seen: parse_ts("2026-11-21T08:05:00Z").unwrap(),
            cleared_at: None,
            cleared_commit: None,
        }
    }

    #[test]
    fn the_author_is_the_signer_else_the_claimed_identity() {
        let p = Problem::new(
            "promotions/orders-1/peer-review.yaml",
            ErrorCode::IdentityMismatch,
            "claims bob",
        );
        let both = stored(
            Some("orders-1"),
            p.clone()
                .by(Some("bob@example.com"), Some("Mallory@Example.com")),
        );
        assert_eq!(
            RefusalInfo::of(&both).unwrap().author,
            "mallory@example.com"
        );
        let claimed = stored(
            Some("orders-1"),
            p.clone().by(Some("Bob@Example.com"), None),
        );
        assert_eq!(RefusalInfo::of(&claimed).unwrap().author, "bob@example.com");
        assert!(RefusalInfo::of(&stored(Some("orders-1"), p.clone())).is_none());
        assert!(RefusalInfo::of(&stored(None, p.clone().by(Some("  "), None))).is_none());
        let mut cleared = both;
        cleared.cleared_at = Some(parse_ts("2026-11-22T08:00:00Z").unwrap());
        assert!(RefusalInfo::of(&cleared).is_none());
    }

    #[test]
    fn the_event_goes_to_the_author_only_and_says_what_to_do() {
        use crate::notify_out::{Event, EventKind, Lists};
        let p = Problem::new(
            "promotions/orders-1/peer-review.yaml",
            ErrorCode::SelfReviewNotAllowed,
            "alice@example.com cannot review her own promotion",
        )
        .at(Some(4), Some(11))
        .by(Some("alice@example.com"), Some("Alice@Example.com"));
        let e = Event::document_refused(&stored(Some("orders-1"), p)).unwrap();
        assert_eq!(e.kind(), EventKind::DocumentRefused);
        assert_eq!(e.kind().as_str(), "DOCUMENT_REFUSED");
        assert_eq!(e.promotion_id(), Some("orders-1"));
        assert!(e.promotion().is_none());
        let lists = Lists {
            developers: Some("dev@example.com"),
            admins: Some("admins@example.com"),
        };
        let rc = e.recipients(lists);
        assert_eq!(rc.to, ["alice@example.com"]);
        assert!(rc.cc.is_empty());
        assert_eq!(
            e.subject(),
            "Refused: promotions/orders-1/peer-review.yaml (SELF_REVIEW_NOT_ALLOWED)"
        );
        let body = e.text_body();
        for needle in [
            "promotions/orders-1/peer-review.yaml:4:11",
            "SELF_REVIEW_NOT_ALLOWED",
            "cannot review her own promotion",
            "0123456789abcdef",
            "2026-11-21 08:05 UTC",
            "orders-1",
            "sign it again",
            "promoter validate",
            "promoter show orders-1",
        ] {
            assert!(body.contains(needle), "{needle} missing from\n{body}");
        }
        let j = e.to_json();
        assert_eq!(j["event"], "DOCUMENT_REFUSED");
        assert_eq!(j["promotionId"], "orders-1");
        assert_eq!(j["subject"], e.subject());
        assert_eq!(j["refusal"]["file"], "promotions/orders-1/peer-review.yaml");
        assert_eq!(j["refusal"]["line"], 4);
        assert_eq!(j["refusal"]["code"], "SELF_REVIEW_NOT_ALLOWED");
        assert_eq!(j["refusal"]["signer"], "Alice@Example.com");
        assert_eq!(j["refusal"]["author"], "alice@example.com");
        assert_eq!(j["refusal"]["commit"], "0123456789abcdef");
        assert!(j.get("promotion").is_none());
    }

    #[test]
    fn a_repository_document_names_no_promotion_and_text_survives_as_is() {
        use crate::notify_out::Event;
        let evil = "<script>alert(\"x\")</script>\nBcc: all@example.com";
        let p = Problem::new("access/policy.yaml", ErrorCode::SignatureInvalid, evil)
            .by(None, Some("root@example.com"));
        let e = Event::document_refused(&stored(None, p)).unwrap();
        assert_eq!(e.promotion_id(), None);
        let body = e.text_body();
        assert!(body.contains("repository"), "{body}");
        assert!(body.contains("promoter status"), "{body}");
        // The plain-text body keeps the message (continuation lines indented, so no line of
        // it can pass for a header or a signature separator).
        assert!(body.contains("<script>alert(\"x\")</script>"), "{body}");
        assert!(!body.lines().any(|l| l.starts_with("Bcc:")), "{body}");
        let j = e.to_json();
        assert_eq!(j["promotionId"], serde_json::Value::Null);
        assert_eq!(j["refusal"]["message"], evil);
        let wire = serde_json::to_string(&j).unwrap();
        assert!(
            wire.contains("\\\"x\\\"") && wire.contains("\\nBcc"),
            "{wire}"
        );
    }

    #[test]
    fn subjects_stay_on_one_line_and_short() {
        let p = Problem::new(
            "promotions/x/request.yaml\r\nBcc: everyone@example.com",
            ErrorCode::SignatureInvalid,
            "bad",
        )
        .by(None, Some("a@example.com"));
        let r = RefusalInfo::of(&stored(Some("x"), p)).unwrap();
        let s = r.subject();
        assert!(!s.contains('\n') && !s.contains('\r'), "{s:?}");
        assert!(
            s.starts_with("Refused: promotions/x/request.yaml  Bcc:"),
            "{s}"
        );
        assert!(s.ends_with("(SIGNATURE_INVALID)"));

        let long = Problem::new("a/".repeat(200), ErrorCode::SignatureInvalid, "m")
            .by(None, Some("a@example.com"));
        let s = RefusalInfo::of(&stored(None, long)).unwrap().subject();
        assert!(s.chars().count() <= 160 && s.contains('…'), "{s}");
    }
}
