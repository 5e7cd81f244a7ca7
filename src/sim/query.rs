//! The QueryConfig filter grammar of the Boomi Platform API, evaluated against JSON rows.
//!
//! A row is the canonical JSON object the emulator returns for a query result (e.g. a
//! `Branch` or a `ComponentMetadata`); a simple expression compares the row's property with
//! its arguments, a grouping expression combines nested expressions with `and` / `or`.
//! Operators: `EQUALS`, `NOT_EQUALS`, `LIKE` / `NOT_LIKE` (SQL `%` and `_`, case-insensitive),
//! `STARTS_WITH`, `CONTAINS`, `NOT_CONTAINS`, `IS_NULL`, `IS_NOT_NULL`, `BETWEEN`,
//! `GREATER_THAN[_OR_EQUAL]`, `LESS_THAN[_OR_EQUAL]` (numeric when both sides are numbers,
//! otherwise string order, which is also date order for Boomi's ISO timestamps).

use serde_json::Value;
use std::cmp::Ordering;

/// A parsed filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Matches every row (no `QueryFilter`, or no `expression`).
    All,
    /// `and` / `or` over nested expressions.
    Group { and: bool, nested: Vec<Expr> },
    /// `property OPERATOR argument...`.
    Simple { op: Op, property: String, args: Vec<String> },
}

/// A simple-expression operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Equals,
    NotEquals,
    Like,
    NotLike,
    StartsWith,
    Contains,
    NotContains,
    IsNull,
    IsNotNull,
    Between,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    fn parse(s: &str) -> Option<Op> {
        Some(match s.to_ascii_uppercase().as_str() {
            "EQUALS" => Op::Equals,
            "NOT_EQUALS" => Op::NotEquals,
            "LIKE" => Op::Like,
            "NOT_LIKE" => Op::NotLike,
            "STARTS_WITH" => Op::StartsWith,
            "CONTAINS" => Op::Contains,
            "NOT_CONTAINS" => Op::NotContains,
            "IS_NULL" => Op::IsNull,
            "IS_NOT_NULL" => Op::IsNotNull,
            "BETWEEN" => Op::Between,
            "GREATER_THAN" => Op::Gt,
            "GREATER_THAN_OR_EQUAL" => Op::Ge,
            "LESS_THAN" => Op::Lt,
            "LESS_THAN_OR_EQUAL" => Op::Le,
            _ => return None,
        })
    }

    fn arity(self) -> usize {
        match self {
            Op::IsNull | Op::IsNotNull => 0,
            Op::Between => 2,
            _ => 1,
        }
    }
}

/// Parse a QueryConfig body (`{"QueryFilter": {"expression": ...}}`; a bare
/// `{"expression": ...}` or an empty body is accepted too and an absent expression matches all).
pub fn parse_query_config(body: &Value) -> Result<Expr, String> {
    if body.is_null() {
        return Ok(Expr::All);
    }
    if !body.is_object() {
        return Err("the query body must be a QueryConfig JSON object".into());
    }
    let filter = body
        .get("QueryFilter")
        .or_else(|| body.get("queryFilter"))
        .unwrap_or(body);
    match filter.get("expression") {
        None | Some(Value::Null) => Ok(Expr::All),
        Some(e) => parse_expr(e),
    }
}

/// Parse one expression (simple or grouping).
pub fn parse_expr(v: &Value) -> Result<Expr, String> {
    let obj = v
        .as_object()
        .ok_or_else(|| "a filter expression must be an object".to_string())?;
    let operator = obj
        .get("operator")
        .and_then(Value::as_str)
        .ok_or_else(|| "a filter expression needs an operator".to_string())?;
    let lower = operator.to_ascii_lowercase();
    if obj.contains_key("nestedExpression") || lower == "and" || lower == "or" {
        let and = match lower.as_str() {
            "and" => true,
            "or" => false,
            _ => return Err(format!("grouping operator must be and/or, not {operator}")),
        };
        let nested = match obj.get("nestedExpression") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items.iter().map(parse_expr).collect::<Result<_, _>>()?,
            Some(one @ Value::Object(_)) => vec![parse_expr(one)?],
            Some(_) => return Err("nestedExpression must be a list".into()),
        };
        return Ok(Expr::Group { and, nested });
    }
    let op = Op::parse(operator).ok_or_else(|| format!("unknown filter operator {operator}"))?;
    let property = obj
        .get("property")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{operator} needs a property"))?
        .to_string();
    let args: Vec<String> = match obj.get("argument") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().map(scalar_string).collect(),
        Some(one) => vec![scalar_string(one)],
    };
    if args.len() != op.arity() {
        return Err(format!(
            "{operator} on {property} takes {} argument(s), got {}",
            op.arity(),
            args.len()
        ));
    }
    Ok(Expr::Simple { op, property, args })
}

fn scalar_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn field<'a>(row: &'a Value, property: &str) -> Option<&'a Value> {
    let obj = row.as_object()?;
    obj.get(property).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(property))
            .map(|(_, v)| v)
    })
}

impl Expr {
    /// Whether the expression mentions `property` anywhere (case-insensitive).
    pub fn mentions(&self, property: &str) -> bool {
        match self {
            Expr::All => false,
            Expr::Group { nested, .. } => nested.iter().any(|e| e.mentions(property)),
            Expr::Simple { property: p, .. } => p.eq_ignore_ascii_case(property),
        }
    }

    /// The argument of an `EQUALS` on `property` that must hold for a row to match (found
    /// at the top level or inside `and` groups).
    pub fn required_equals(&self, property: &str) -> Option<String> {
        match self {
            Expr::Simple {
                op: Op::Equals,
                property: p,
                args,
            } if p.eq_ignore_ascii_case(property) => args.first().cloned(),
            Expr::Group { and: true, nested } => {
                nested.iter().find_map(|e| e.required_equals(property))
            }
            Expr::Group { and: false, nested } if nested.len() == 1 => {
                nested[0].required_equals(property)
            }
            _ => None,
        }
    }

    /// Evaluate against one row.
    pub fn matches(&self, row: &Value) -> bool {
        match self {
            Expr::All => true,
            Expr::Group { and: true, nested } => nested.iter().all(|e| e.matches(row)),
            Expr::Group { and: false, nested } => {
                nested.is_empty() || nested.iter().any(|e| e.matches(row))
            }
            Expr::Simple { op, property, args } => {
                let value = field(row, property).filter(|v| !v.is_null());
                let text = value.map(scalar_string);
                match op {
                    Op::IsNull => text.as_deref().is_none_or(str::is_empty),
                    Op::IsNotNull => text.as_deref().is_some_and(|t| !t.is_empty()),
                    _ => {
                        let Some(text) = text else {
                            return matches!(op, Op::NotEquals | Op::NotLike | Op::NotContains);
                        };
                        let a = &args[0];
                        match op {
                            Op::Equals => text == *a,
                            Op::NotEquals => text != *a,
                            Op::Like => like(&text, a),
                            Op::NotLike => !like(&text, a),
                            Op::StartsWith => text.starts_with(a.as_str()),
                            Op::Contains => text.contains(a.as_str()),
                            Op::NotContains => !text.contains(a.as_str()),
                            Op::Between => {
                                compare(&text, a) != Ordering::Less
                                    && compare(&text, &args[1]) != Ordering::Greater
                            }
                            Op::Gt => compare(&text, a) == Ordering::Greater,
                            Op::Ge => compare(&text, a) != Ordering::Less,
                            Op::Lt => compare(&text, a) == Ordering::Less,
                            Op::Le => compare(&text, a) != Ordering::Greater,
                            Op::IsNull | Op::IsNotNull => unreachable!("handled above"),
                        }
                    }
                }
            }
        }
    }
}

fn compare(a: &str, b: &str) -> Ordering {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        _ => a.cmp(b),
    }
}

/// SQL LIKE with `%` (any run) and `_` (one character), case-insensitive.
pub fn like(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    // Classic wildcard matching with backtracking on the last `%`.
    let (mut ti, mut pi) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '_' || p[pi] == t[ti]) {
            ti += 1;
            pi += 1;
        } else if pi < p.len() && p[pi] == '%' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '%' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn q(v: Value) -> Expr {
        parse_query_config(&v).unwrap()
    }

    #[test]
    fn like_wildcards() {
        assert!(like("Order Processing Main", "order%"));
        assert!(like("Order Processing Main", "%Processing%"));
        assert!(like("abc", "a_c"));
        assert!(!like("abcd", "a_c"));
        assert!(like("", "%"));
        assert!(!like("Invoice Sync", "Order%"));
    }

    #[test]
    fn grouping_and_or_with_string_booleans() {
        let e = q(json!({"QueryFilter": {"expression": {"operator": "and", "nestedExpression": [
            {"operator": "EQUALS", "property": "currentVersion", "argument": ["true"]},
            {"operator": "EQUALS", "property": "deleted", "argument": [false]},
            {"operator": "or", "nestedExpression": [
                {"operator": "EQUALS", "property": "type", "argument": ["process"]},
                {"operator": "EQUALS", "property": "type", "argument": ["profile.json"]}]}]}}}));
        let row = json!({"currentVersion": true, "deleted": false, "type": "process"});
        assert!(e.matches(&row));
        assert!(!e.matches(&json!({"currentVersion": false, "deleted": false, "type": "process"})));
        assert!(!e.matches(&json!({"currentVersion": true, "deleted": false, "type": "transform.map"})));
        assert_eq!(e.required_equals("currentVersion").as_deref(), Some("true"));
        assert!(e.mentions("TYPE"));
        assert!(!e.mentions("branchId"));
    }

    #[test]
    fn numeric_and_date_comparisons() {
        let e = q(json!({"QueryFilter": {"expression":
            {"operator": "GREATER_THAN", "property": "version", "argument": ["9"]}}}));
        assert!(e.matches(&json!({"version": 10})));
        assert!(!e.matches(&json!({"version": 9})));
        let d = q(json!({"QueryFilter": {"expression": {"operator": "BETWEEN",
            "property": "createdDate", "argument": ["2024-01-01T00:00:00Z", "2024-12-31T23:59:59Z"]}}}));
        assert!(d.matches(&json!({"createdDate": "2024-06-01T00:00:00Z"})));
        assert!(!d.matches(&json!({"createdDate": "2025-06-01T00:00:00Z"})));
    }

    #[test]
    fn null_checks_and_missing_filter() {
        assert_eq!(q(json!({})), Expr::All);
        assert_eq!(q(json!({"QueryFilter": {}})), Expr::All);
        let e = q(json!({"QueryFilter": {"expression":
            {"operator": "IS_NOT_NULL", "property": "id", "argument": []}}}));
        assert!(e.matches(&json!({"id": "Qjox"})));
        assert!(!e.matches(&json!({"name": "x"})));
    }

    #[test]
    fn bad_filters_are_refused() {
        assert!(parse_query_config(&json!({"QueryFilter": {"expression":
            {"operator": "EQUALS", "property": "name", "argument": []}}}))
        .is_err());
        assert!(parse_query_config(&json!({"QueryFilter": {"expression":
            {"operator": "FROBNICATE", "property": "name", "argument": ["x"]}}}))
        .is_err());
        assert!(parse_query_config(&json!("text")).is_err());
    }
}
