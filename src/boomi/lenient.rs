//! Lenient decoding helpers for Boomi's JSON (`boomi-api.md` §1.3, gotcha 14).
//!
//! Boomi's published examples send booleans and numbers as strings (`"ready": "false"`,
//! `"version": "1"`, `"componentVersion": "2.0"`) and collapse one-element lists into a bare
//! object. Every wire type decodes through these helpers; on output the wire types always
//! write native JSON types and arrays (the canonical form).

use serde::de::{self, DeserializeOwned, Deserializer};
use serde::Deserialize;
use serde_json::Value;

fn value_to_bool<E: de::Error>(v: Value) -> Result<Option<bool>, E> {
    match v {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(b)),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(Some(true)),
            "false" => Ok(Some(false)),
            "" => Ok(None),
            other => Err(E::custom(format!("expected a boolean, found {other:?}"))),
        },
        Value::Number(n) => match n.as_i64() {
            Some(0) => Ok(Some(false)),
            Some(1) => Ok(Some(true)),
            _ => Err(E::custom(format!("expected a boolean, found {n}"))),
        },
        other => Err(E::custom(format!("expected a boolean, found {other}"))),
    }
}

fn value_to_i64<E: de::Error>(v: Value) -> Result<Option<i64>, E> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(Some(i))
            } else if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0) {
                Ok(Some(f as i64))
            } else {
                Err(E::custom(format!("expected an integer, found {n}")))
            }
        }
        Value::String(s) => {
            let t = s.trim();
            if t.is_empty() {
                return Ok(None);
            }
            if let Ok(i) = t.parse::<i64>() {
                return Ok(Some(i));
            }
            match t.parse::<f64>() {
                Ok(f) if f.fract() == 0.0 && f.is_finite() => Ok(Some(f as i64)),
                _ => Err(E::custom(format!("expected an integer, found {t:?}"))),
            }
        }
        other => Err(E::custom(format!("expected an integer, found {other}"))),
    }
}

/// `Option<bool>` from a JSON boolean, `"true"`/`"false"` (any case), or null/absent.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    value_to_bool(Value::deserialize(d)?)
}

/// `Option<i64>` from a JSON number (an integral float such as `2.0` too), a numeric string,
/// or null/absent.
pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    value_to_i64(Value::deserialize(d)?)
}

/// `Option<String>` from a string, a number or a boolean (rendered as text), or null/absent.
/// Used for free-text version fields such as `packageVersion` that examples send as `1.0`.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        other => Err(de::Error::custom(format!("expected a string, found {other}"))),
    }
}

/// `String` like [`opt_string`], null/absent as the empty string.
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(opt_string(d)?.unwrap_or_default())
}

/// `Vec<T>` from an array, a single object (a collapsed one-item list), or null/absent.
pub fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    match Value::deserialize(d)? {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .into_iter()
            .map(|v| serde_json::from_value(v).map_err(de::Error::custom))
            .collect(),
        Value::String(s) if s.is_empty() => Ok(Vec::new()),
        one => Ok(vec![serde_json::from_value(one).map_err(de::Error::custom)?]),
    }
}

/// `Vec<String>` from an array of scalars, a single scalar, or null/absent (query arguments
/// sent as `["true"]`, `[true]` or `"true"`).
pub fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    fn scalar<E: de::Error>(v: Value) -> Result<String, E> {
        match v {
            Value::String(s) => Ok(s),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            other => Err(E::custom(format!("expected a scalar, found {other}"))),
        }
    }
    match Value::deserialize(d)? {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items.into_iter().map(scalar).collect(),
        one => Ok(vec![scalar(one)?]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Probe {
        #[serde(default, deserialize_with = "opt_bool")]
        b: Option<bool>,
        #[serde(default, deserialize_with = "opt_i64")]
        i: Option<i64>,
        #[serde(default, deserialize_with = "opt_string")]
        s: Option<String>,
        #[serde(default, deserialize_with = "list")]
        l: Vec<Item>,
        #[serde(default, deserialize_with = "string_list")]
        a: Vec<String>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Item {
        x: u8,
    }

    fn probe(json: &str) -> Probe {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn booleans_from_strings_and_natives() {
        assert_eq!(probe(r#"{"b":"true"}"#).b, Some(true));
        assert_eq!(probe(r#"{"b":"FALSE"}"#).b, Some(false));
        assert_eq!(probe(r#"{"b":true}"#).b, Some(true));
        assert_eq!(probe(r#"{}"#).b, None);
        assert!(serde_json::from_str::<Probe>(r#"{"b":"maybe"}"#).is_err());
    }

    #[test]
    fn integers_from_strings_floats_and_natives() {
        assert_eq!(probe(r#"{"i":"7"}"#).i, Some(7));
        assert_eq!(probe(r#"{"i":"2.0"}"#).i, Some(2));
        assert_eq!(probe(r#"{"i":3}"#).i, Some(3));
        assert_eq!(probe(r#"{"i":4.0}"#).i, Some(4));
        assert!(serde_json::from_str::<Probe>(r#"{"i":"2.5"}"#).is_err());
        assert!(serde_json::from_str::<Probe>(r#"{"i":"x"}"#).is_err());
    }

    #[test]
    fn strings_from_numbers() {
        assert_eq!(probe(r#"{"s":1.5}"#).s.as_deref(), Some("1.5"));
        assert_eq!(probe(r#"{"s":"v2-beta"}"#).s.as_deref(), Some("v2-beta"));
    }

    #[test]
    fn lists_from_object_array_or_nothing() {
        assert_eq!(probe(r#"{"l":{"x":1}}"#).l, vec![Item { x: 1 }]);
        assert_eq!(
            probe(r#"{"l":[{"x":1},{"x":2}]}"#).l,
            vec![Item { x: 1 }, Item { x: 2 }]
        );
        assert!(probe(r#"{"l":null}"#).l.is_empty());
        assert!(probe(r#"{}"#).l.is_empty());
        assert_eq!(probe(r#"{"a":[true,"x",3]}"#).a, vec!["true", "x", "3"]);
        assert_eq!(probe(r#"{"a":"one"}"#).a, vec!["one"]);
    }
}
