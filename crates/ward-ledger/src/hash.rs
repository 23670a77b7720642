//! Canonical JSON (RFC 8785) and SHA-256: how records and inputs are hashed.
//!
//! A record's hash is computed from its JSON *value*, not from the struct, so that a
//! verifier (or an auditor with no Ward code) gets the same bytes from the stored text.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::LedgerError;

/// The RFC 8785 canonical form of a JSON value.
///
/// Written here rather than taken whole from `serde_json_canonicalizer`: that crate
/// is correct but builds a sorted set of UTF-16 keys per object and took half of
/// each append (`cargo bench -p ward-ledger --bench tree`, perf). Records hold
/// strings, integers and objects; those are serialised here (keys sorted by UTF-16
/// code units, strings with serde_json's escaping, which is RFC 8785's), and any
/// number that is not an integer of at most 2^53 goes to the crate, whose
/// ECMAScript number formatting is the hard part. A proptest checks the two agree.
pub fn canonical(value: &Value) -> Result<String, LedgerError> {
    let mut out = String::with_capacity(1024);
    write_canonical(value, &mut out)?;
    Ok(out)
}

/// The largest integer a JSON number keeps exactly as an IEEE double.
const MAX_EXACT_INTEGER: u64 = 1 << 53;

fn write_canonical(value: &Value, out: &mut String) -> Result<(), LedgerError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) => {
            let exact = number
                .as_u64()
                .map(|n| n <= MAX_EXACT_INTEGER)
                .or_else(|| {
                    number
                        .as_i64()
                        .map(|n| n.unsigned_abs() <= MAX_EXACT_INTEGER)
                })
                .unwrap_or(false);
            if exact {
                out.push_str(&number.to_string());
            } else {
                let text = serde_json_canonicalizer::to_string(value)
                    .map_err(|error| LedgerError::Canonical(error.to_string()))?;
                out.push_str(&text);
            }
        }
        Value::String(text) => write_string(text, out)?,
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_canonical(item, out)?;
            }
            out.push(']');
        }
        Value::Object(members) => {
            let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
            sorted.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (index, (name, member)) in sorted.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_string(name, out)?;
                out.push(':');
                write_canonical(member, out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

fn write_string(text: &str, out: &mut String) -> Result<(), LedgerError> {
    let quoted =
        serde_json::to_string(text).map_err(|error| LedgerError::Canonical(error.to_string()))?;
    out.push_str(&quoted);
    Ok(())
}

/// Lowercase hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for byte in digest.iter() {
        out.push(hex_digit(byte >> 4));
        out.push(hex_digit(byte & 0x0f));
    }
    out
}

/// `sha256:<hex>` of the canonical form of a value, with its canonical length.
pub fn digest_value(value: &Value) -> Result<(String, u64), LedgerError> {
    let text = canonical(value)?;
    Ok((
        format!("sha256:{}", sha256_hex(text.as_bytes())),
        text.len() as u64,
    ))
}

/// The hash of a record body: SHA-256 hex of its canonical JSON.
pub fn record_hash(body: &Value) -> Result<String, LedgerError> {
    Ok(sha256_hex(canonical(body)?.as_bytes()))
}

fn hex_digit(nibble: u8) -> char {
    char::from_digit(u32::from(nibble), 16).unwrap_or('0')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// JSON values like records, and worse: any Unicode in keys and strings
    /// (control characters, non-BMP), integers at and past 2^53, floats.
    fn values() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            (-(1i64 << 54)..(1i64 << 54)).prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            any::<String>().prop_map(Value::String),
            "[\\u{0}-\\u{7f}]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((any::<String>(), inner), 0..6)
                    .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn canonical_equals_the_reference_implementation(value in values()) {
            prop_assert_eq!(
                canonical(&value).unwrap(),
                serde_json_canonicalizer::to_string(&value).unwrap()
            );
        }
    }

    #[test]
    fn canonical_sorts_keys_and_hash_is_stable() {
        let a: Value = serde_json::from_str(r#"{"b":1,"a":[true,null,"x"]}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{ "a" : [true, null, "x"], "b" : 1 }"#).unwrap();
        assert_eq!(canonical(&a).unwrap(), r#"{"a":[true,null,"x"],"b":1}"#);
        assert_eq!(record_hash(&a).unwrap(), record_hash(&b).unwrap());
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
