//! Parsing documents from exact bytes: YAML (serde-saphyr, duplicate keys refused, alias
//! budgets on), `apiVersion`/`kind` dispatch, unknown fields refused, field rules checked.
//! Every failure becomes [`Problem`]s with file, line and column.

use super::docs::*;
use super::validate::{validate, Issue};
use super::{ErrorCode, Problem};
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// Largest document accepted (bytes). Real documents are a few KB.
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Header {
    #[serde(default)]
    api_version: Option<String>,
    #[serde(default)]
    kind: Option<String>,
}

fn yaml_problem(file: &str, e: &serde_saphyr::Error) -> Problem {
    let (line, col) = e
        .location()
        .map(|l| (Some(l.line()), Some(l.column())))
        .unwrap_or((None, None));
    let msg = e.without_snippet().to_string();
    // The rendered message may repeat the position; keep the first line only.
    let msg = msg.lines().next().unwrap_or("").trim().to_string();
    Problem::new(file, ErrorCode::InvalidDocument, format!("YAML: {msg}")).at(line, col)
}

fn from_yaml<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, Problem> {
    serde_saphyr::from_str::<T>(text).map_err(|e| yaml_problem(file, &e))
}

/// The 1-based line of the first `key:` in the text (best effort, for field-rule problems).
pub fn line_of_key(text: &str, key: &str) -> Option<u64> {
    text.lines().enumerate().find_map(|(i, l)| {
        let t = l.trim_start().trim_start_matches("- ").trim_start();
        let t = t.strip_prefix('{').unwrap_or(t).trim_start();
        (t.starts_with(key) && t[key.len()..].trim_start().starts_with(':')).then_some(i as u64 + 1)
    })
}

fn issue_problem(file: &str, text: &str, i: Issue) -> Problem {
    let line = i.key.and_then(|k| line_of_key(text, k));
    Problem::new(file, i.code, i.message).at(line, None)
}

/// Parse a document of any kind from its bytes. `file` is its repository path (for problems).
///
/// Returns every problem found: a YAML or schema error stops at that error; field rules are all
/// reported together.
pub fn parse_document(file: &str, bytes: &[u8]) -> Result<Document, Vec<Problem>> {
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(vec![Problem::new(
            file,
            ErrorCode::InvalidDocument,
            format!(
                "document is {} bytes; at most {MAX_DOCUMENT_BYTES} are accepted",
                bytes.len()
            ),
        )]);
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        vec![Problem::new(
            file,
            ErrorCode::InvalidDocument,
            format!("not UTF-8: {e}"),
        )]
    })?;
    let header: Header = from_yaml(file, text).map_err(|p| vec![p])?;
    match header.api_version.as_deref() {
        Some(API_VERSION) => {}
        Some(other) => {
            return Err(vec![Problem::new(
                file,
                ErrorCode::InvalidDocument,
                format!("unsupported apiVersion {other:?}; this build reads {API_VERSION:?}"),
            )
            .at(line_of_key(text, "apiVersion"), None)])
        }
        None => {
            return Err(vec![Problem::new(
                file,
                ErrorCode::InvalidDocument,
                format!("missing `apiVersion: {API_VERSION}`"),
            )])
        }
    }
    let kind_name = header.kind.ok_or_else(|| {
        vec![Problem::new(
            file,
            ErrorCode::InvalidDocument,
            "missing `kind`",
        )]
    })?;
    let kind = Kind::ALL
        .iter()
        .copied()
        .find(|k| k.as_str() == kind_name)
        .ok_or_else(|| {
            vec![Problem::new(
                file,
                ErrorCode::InvalidDocument,
                format!(
                    "unknown kind {kind_name:?}; expected one of {}",
                    Kind::ALL
                        .iter()
                        .map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .at(line_of_key(text, "kind"), None)]
        })?;
    let one = |p| vec![p];
    let doc = match kind {
        Kind::Settings => Document::Settings(from_yaml(file, text).map_err(one)?),
        Kind::AccessPolicy => Document::AccessPolicy(from_yaml(file, text).map_err(one)?),
        Kind::ConnectionMappings => {
            Document::ConnectionMappings(from_yaml(file, text).map_err(one)?)
        }
        Kind::PromotionRequest => Document::PromotionRequest(from_yaml(file, text).map_err(one)?),
        Kind::PeerReview => Document::PeerReview(from_yaml(file, text).map_err(one)?),
        Kind::AdminReview => Document::AdminReview(from_yaml(file, text).map_err(one)?),
        Kind::PackAssignment => Document::PackAssignment(from_yaml(file, text).map_err(one)?),
        Kind::Withdrawal => Document::Withdrawal(from_yaml(file, text).map_err(one)?),
        Kind::CancelTest => Document::CancelTest(from_yaml(file, text).map_err(one)?),
    };
    let mut problems: Vec<Problem> = validate(&doc)
        .into_iter()
        .map(|i| issue_problem(file, text, i))
        .collect();
    problems.extend(placement_problems(file, text, &doc));
    if problems.is_empty() {
        Ok(doc)
    } else {
        Err(problems)
    }
}

/// Where a document sits must agree with what it says: `promotions/<id>/<file>` for promotion
/// documents (id = directory name, the right file name for the kind),
/// `mappings/<devAccountId>.yaml`, `access/policy.yaml`, `promoter.yaml`.
/// Paths outside the repository layout (a plain file given to `promoter verify`) are not checked.
fn placement_problems(file: &str, text: &str, doc: &Document) -> Vec<Problem> {
    let mut out = Vec::new();
    let parts: Vec<&str> = file.split('/').collect();
    let in_promotions = parts.len() >= 3 && parts[parts.len() - 3] == "promotions";
    let kind = doc.kind();
    if in_promotions {
        let dir = parts[parts.len() - 2];
        let name = parts[parts.len() - 1];
        if let Some(expected) = kind.promotion_file() {
            if name != expected {
                out.push(Problem::new(
                    file,
                    ErrorCode::InvalidDocument,
                    format!("a {kind} document must be named {expected}"),
                ));
            }
        } else {
            out.push(Problem::new(
                file,
                ErrorCode::InvalidDocument,
                format!("a {kind} document does not belong in promotions/"),
            ));
        }
        if let Some(id) = doc.promotion() {
            if id != dir {
                let (key, code, hint) = if kind == Kind::PromotionRequest {
                    ("id", ErrorCode::InvalidDocument, "")
                } else {
                    // A review or decision copied from another promotion must never count.
                    (
                        "promotion",
                        ErrorCode::StaleApproval,
                        " (copied from another promotion? it does not count here)",
                    )
                };
                out.push(
                    Problem::new(
                        file,
                        code,
                        format!(
                            "the document names promotion {id:?} but sits in promotions/{dir}/{hint}"
                        ),
                    )
                    .at(line_of_key(text, key), None),
                );
            }
        }
    }
    if let Document::ConnectionMappings(m) = doc {
        if parts.len() >= 2 && parts[parts.len() - 2] == "mappings" {
            let stem = parts[parts.len() - 1]
                .trim_end_matches(".yaml")
                .trim_end_matches(".yml");
            if stem != m.dev_account_id {
                out.push(
                    Problem::new(
                        file,
                        ErrorCode::InvalidDocument,
                        format!(
                            "devAccountId {:?} does not match the file name mappings/{stem}.yaml",
                            m.dev_account_id
                        ),
                    )
                    .at(line_of_key(text, "devAccountId"), None),
                );
            }
        }
    }
    out
}

/// sha256 of exact bytes in the `sha256:<hex>` form documents carry.
pub fn digest(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQ: &str = "apiVersion: promoter/v1
kind: PromotionRequest
id: orders-1
initiatedBy: alice@example.com
devAccountId: dev-team-a
processName: Order Processing Main
rootComponentId: 11111111-1111-4111-8111-111111111111
target: TEST
packageVersion: 1.0.0
";

    fn codes(r: Result<Document, Vec<Problem>>) -> Vec<ErrorCode> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|p| p.code)
            .collect()
    }

    #[test]
    fn parses_a_request() {
        let d = parse_document("promotions/orders-1/request.yaml", REQ.as_bytes()).unwrap();
        let Document::PromotionRequest(r) = d else {
            panic!()
        };
        assert_eq!(r.id, "orders-1");
        assert_eq!(r.mode(), Mode::Test);
    }

    #[test]
    fn unknown_field_has_line_and_column() {
        let text = format!("{REQ}colour: blue\n");
        let p = parse_document("x.yaml", text.as_bytes()).unwrap_err();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].code, ErrorCode::InvalidDocument);
        assert_eq!(p[0].line, Some(10), "{p:?}");
        assert!(p[0].column.is_some());
        assert!(p[0].message.contains("colour"), "{}", p[0].message);
    }

    #[test]
    fn duplicate_keys_refused() {
        let text = format!("{REQ}target: PRODUCTION\n");
        let p = parse_document("x.yaml", text.as_bytes()).unwrap_err();
        assert!(
            p[0].message.to_lowercase().contains("duplicate"),
            "{}",
            p[0].message
        );
        assert_eq!(p[0].line, Some(10));
    }

    #[test]
    fn alias_bomb_refused() {
        let mut text = String::from(
            "apiVersion: promoter/v1\nkind: PeerReview\na0: &a0 [x,x,x,x,x,x,x,x,x,x]\n",
        );
        for i in 1..10 {
            let prev = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{prev},*a{prev},*a{prev},*a{prev},*a{prev},*a{prev},*a{prev},*a{prev},*a{prev},*a{prev}]\n"
            ));
        }
        let p = parse_document("bomb.yaml", text.as_bytes()).unwrap_err();
        assert_eq!(p[0].code, ErrorCode::InvalidDocument);
    }

    #[test]
    fn id_must_equal_directory() {
        let p = parse_document("promotions/other-dir/request.yaml", REQ.as_bytes()).unwrap_err();
        assert_eq!(p.len(), 1);
        assert!(p[0].message.contains("other-dir"));
        assert_eq!(p[0].line, Some(3));
    }

    #[test]
    fn hotfix_rules() {
        let hot = REQ.replace(
            "target: TEST",
            "target: PRODUCTION\nhotfix:\n  justification: \"\"",
        );
        assert_eq!(
            codes(parse_document("r.yaml", hot.as_bytes())),
            vec![ErrorCode::HotfixJustificationRequired]
        );
        let long = REQ.replace(
            "target: TEST",
            &format!(
                "target: PRODUCTION\nhotfix:\n  justification: {}",
                "x".repeat(1001)
            ),
        );
        let p = parse_document("r.yaml", long.as_bytes()).unwrap_err();
        assert_eq!(p.len(), 1);
        assert!(p[0].message.contains("1001"));
        let ok = REQ.replace(
            "target: TEST",
            &format!(
                "target: PRODUCTION\nhotfix:\n  justification: {}",
                "x".repeat(1000)
            ),
        );
        assert!(parse_document("r.yaml", ok.as_bytes()).is_ok());
        let both = REQ.replace(
            "target: TEST",
            "target: PRODUCTION\nfromTest: orders-0\nhotfix:\n  justification: urgent",
        );
        assert_eq!(
            codes(parse_document("r.yaml", both.as_bytes())),
            vec![ErrorCode::InvalidDeploymentTarget]
        );
        let neither = REQ.replace("target: TEST", "target: PRODUCTION");
        assert_eq!(
            codes(parse_document("r.yaml", neither.as_bytes())),
            vec![ErrorCode::InvalidDeploymentTarget]
        );
    }

    #[test]
    fn rejection_needs_comments() {
        let d = format!(
            "apiVersion: promoter/v1\nkind: PeerReview\npromotion: orders-1\nrequestDigest: sha256:{}\ndecision: REJECTED\nreviewer: bob@example.com\n",
            "0".repeat(64)
        );
        let p = parse_document("p.yaml", d.as_bytes()).unwrap_err();
        assert_eq!(p[0].code, ErrorCode::InvalidDocument);
        assert!(p[0].message.contains("comments"));
        let long = format!("{d}comments: {}\n", "y".repeat(501));
        assert!(parse_document("p.yaml", long.as_bytes()).unwrap_err()[0]
            .message
            .contains("501"));
        let ok = format!("{d}comments: not tested\n");
        assert!(parse_document("p.yaml", ok.as_bytes()).is_ok());
    }

    #[test]
    fn bad_email_and_kind() {
        let bad = REQ.replace("alice@example.com", "alice");
        let p = parse_document("r.yaml", bad.as_bytes()).unwrap_err();
        assert_eq!(p[0].line, Some(4));
        let k = REQ.replace("kind: PromotionRequest", "kind: Nope");
        assert!(parse_document("r.yaml", k.as_bytes()).unwrap_err()[0]
            .message
            .contains("unknown kind"));
        let v = REQ.replace("promoter/v1", "promoter/v9");
        assert!(parse_document("r.yaml", v.as_bytes()).unwrap_err()[0]
            .message
            .contains("apiVersion"));
    }

    #[test]
    fn schema_refuses_unknown_fields() {
        let s = crate::model::schema_of(Kind::PeerReview);
        assert_eq!(s["additionalProperties"], serde_json::json!(false));
    }
}
