//! Queries: the `*SimpleExpression` / `*GroupingExpression` tree ([`Expression`]), the
//! `*QueryConfig` body of `POST {Object}/query` and the paged `QueryResult`.

use super::*;
use crate::boomi::lenient as l;
use serde::de::{self, Deserializer};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

/// A query expression: `*SimpleExpression` or `*GroupingExpression`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expression {
    Simple {
        operator: Operator,
        property: String,
        argument: Vec<String>,
    },
    Grouping {
        operator: GroupOperator,
        nested_expression: Vec<Expression>,
    },
}

impl Expression {
    /// `property EQUALS value`.
    pub fn eq(property: &str, value: impl Into<String>) -> Self {
        Expression::Simple {
            operator: Operator::Equals,
            property: property.to_string(),
            argument: vec![value.into()],
        }
    }

    /// `property IS_NOT_NULL` (the "everything" query).
    pub fn not_null(property: &str) -> Self {
        Expression::Simple {
            operator: Operator::IsNotNull,
            property: property.to_string(),
            argument: Vec::new(),
        }
    }

    /// Any operator with its arguments.
    pub fn simple(operator: Operator, property: &str, argument: Vec<String>) -> Self {
        Expression::Simple {
            operator,
            property: property.to_string(),
            argument,
        }
    }

    /// `and` of the given expressions; a single expression is returned as is.
    pub fn and(mut nested: Vec<Expression>) -> Self {
        if nested.len() == 1 {
            return nested.pop().expect("one");
        }
        Expression::Grouping {
            operator: GroupOperator::And,
            nested_expression: nested,
        }
    }

    /// `or` of the given expressions; a single expression is returned as is.
    pub fn or(mut nested: Vec<Expression>) -> Self {
        if nested.len() == 1 {
            return nested.pop().expect("one");
        }
        Expression::Grouping {
            operator: GroupOperator::Or,
            nested_expression: nested,
        }
    }
}

impl Serialize for Expression {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Expression::Simple {
                operator,
                property,
                argument,
            } => {
                let mut m = s.serialize_map(Some(3))?;
                m.serialize_entry("operator", operator)?;
                m.serialize_entry("property", property)?;
                m.serialize_entry("argument", argument)?;
                m.end()
            }
            Expression::Grouping {
                operator,
                nested_expression,
            } => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("operator", operator)?;
                m.serialize_entry("nestedExpression", nested_expression)?;
                m.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Expression {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            operator: String,
            #[serde(default)]
            property: Option<String>,
            #[serde(default, deserialize_with = "l::string_list")]
            argument: Vec<String>,
            #[serde(default, rename = "nestedExpression", deserialize_with = "l::list")]
            nested_expression: Vec<Expression>,
            #[serde(default, rename = "@type")]
            at_type: Option<String>,
        }
        let raw = Raw::deserialize(d)?;
        let grouping = raw.at_type.as_deref().map(|t| t.contains("Grouping")) == Some(true)
            || (raw.property.is_none()
                && matches!(raw.operator.to_ascii_lowercase().as_str(), "and" | "or"));
        if grouping {
            let operator = match raw.operator.to_ascii_lowercase().as_str() {
                "and" => GroupOperator::And,
                "or" => GroupOperator::Or,
                other => {
                    return Err(de::Error::custom(format!(
                        "unknown grouping operator {other:?}"
                    )))
                }
            };
            Ok(Expression::Grouping {
                operator,
                nested_expression: raw.nested_expression,
            })
        } else {
            let operator: Operator = raw.operator.parse().map_err(de::Error::custom)?;
            let property = raw
                .property
                .ok_or_else(|| de::Error::custom("simple expression without property"))?;
            Ok(Expression::Simple {
                operator,
                property,
                argument: raw.argument,
            })
        }
    }
}

/// `QueryFilter` of every `*QueryConfig`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryFilter {
    /// Absent only in lenient input (some clients post an empty filter to list everything).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<Expression>,
}

/// `*QueryConfig`: the body of `POST {Object}/query`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryConfig {
    #[serde(rename = "QueryFilter")]
    pub query_filter: QueryFilter,
}

impl QueryConfig {
    /// A query with this expression.
    pub fn new(expression: Expression) -> Self {
        QueryConfig {
            query_filter: QueryFilter {
                expression: Some(expression),
            },
        }
    }
}

/// `*QueryResponse` (`@type: QueryResult`). `queryToken` is present only when more pages remain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(
    serialize = "T: Serialize",
    deserialize = "T: serde::de::DeserializeOwned"
))]
pub struct QueryResult<T> {
    #[serde(
        rename = "numberOfResults",
        default,
        deserialize_with = "l::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub number_of_results: Option<i64>,
    #[serde(
        rename = "queryToken",
        default,
        deserialize_with = "l::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub query_token: Option<String>,
    #[serde(default, deserialize_with = "l::list")]
    pub result: Vec<T>,
}

impl<T> WireObject for QueryResult<T> {
    const TYPE: &'static str = "QueryResult";
}
