//! Canonical JSON (RFC 8785) and SHA-256: how records and inputs are hashed.
//!
//! A record's hash is computed from its JSON *value*, not from the struct, so that a
//! verifier (or an auditor with no Ward code) gets the same bytes from the stored text.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::LedgerError;

/// The RFC 8785 canonical form of a JSON value.
pub fn canonical(value: &Value) -> Result<String, LedgerError> {
    serde_json_canonicalizer::to_string(value)
        .map_err(|error| LedgerError::Canonical(error.to_string()))
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
