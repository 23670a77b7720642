//! Witness cosignatures (C2SP `tlog-cosignature`, the Ed25519 `cosignature/v1`
//! type) and verifier keys (C2SP `signed-note` "vkeys").
//!
//! A witness is a second party, another Ward home, that keeps the last checkpoint
//! it saw of each log and cosigns a new one only when a consistency proof shows
//! that the new tree extends it. A log that shows one history to its auditor and
//! another to the witness, or rewrites itself after a checkpoint was cosigned,
//! cannot get the witness's signature on both; a verifier that counts independent
//! cosignatures on a checkpoint knows how many parties saw that very tree.
//!
//! The bytes, from the specification:
//!
//! - the signed message is `cosignature/v1\n`, then `time <T>\n` (T the POSIX
//!   seconds of signing, decimal), then the checkpoint's whole note body;
//! - the signature line is `— <witness name> base64(key hash ‖ T as u64
//!   big-endian ‖ Ed25519 signature)`, with key hash the first 4 bytes of
//!   SHA-256(name ‖ "\n" ‖ 0x04 ‖ public key).
//!
//! Keys are exchanged as vkeys: `<name>+<key hash, 8 hex digits>+<base64(type ‖
//! public key)>`, type 0x01 for a log's checkpoint key and 0x04 for a witness's
//! cosignature key.

use std::fmt;

use base64ct::{Base64, Encoding};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::checkpoint::{CheckpointError, NoteSignature, SignedNote};

/// The signed-note type byte of an Ed25519 checkpoint key.
pub const LOG_KEY_TYPE: u8 = 0x01;

/// The signed-note type byte of an Ed25519 `cosignature/v1` key.
pub const WITNESS_KEY_TYPE: u8 = 0x04;

/// The first line of every cosigned message: domain separation from checkpoint
/// signatures, which sign the bare body.
const COSIGNATURE_HEADER: &str = "cosignature/v1\n";

/// The key hash of a key of signature type `kind` named `name` (C2SP signed-note).
pub fn typed_key_hash(name: &str, kind: u8, public: &VerifyingKey) -> [u8; 4] {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update(b"\n");
    hasher.update([kind]);
    hasher.update(public.as_bytes());
    let digest = hasher.finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

/// The exact bytes a witness signs for the checkpoint `body` at `timestamp`.
pub fn cosigned_message(timestamp: u64, body: &str) -> String {
    format!("{COSIGNATURE_HEADER}time {timestamp}\n{body}")
}

/// A witness's cosignature on the checkpoint whose note body is `body`.
pub fn cosign(body: &str, name: &str, key: &SigningKey, timestamp: u64) -> NoteSignature {
    let signature = key.sign(cosigned_message(timestamp, body).as_bytes());
    let mut blob = timestamp.to_be_bytes().to_vec();
    blob.extend_from_slice(&signature.to_bytes());
    NoteSignature {
        name: name.to_owned(),
        key_hash: typed_key_hash(name, WITNESS_KEY_TYPE, &key.verifying_key()),
        signature: blob,
    }
}

/// What a note says about one witness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cosigned {
    /// A valid cosignature, made at this POSIX time.
    At(u64),
    /// No line by this witness (name and key hash).
    Absent,
}

/// Checks the cosignature by the witness `name` with key `public` on `note`.
///
/// Lines by other names or keys are ignored, as the specification asks; a line
/// that names this witness and carries its key hash but does not verify is an
/// error: somebody edited the checkpoint or forged the line.
pub fn verify_cosignature(
    note: &SignedNote,
    name: &str,
    public: &VerifyingKey,
) -> Result<Cosigned, CheckpointError> {
    let wanted = typed_key_hash(name, WITNESS_KEY_TYPE, public);
    let Some(line) = note
        .signatures
        .iter()
        .find(|signature| signature.name == name && signature.key_hash == wanted)
    else {
        return Ok(Cosigned::Absent);
    };
    let bad = || CheckpointError::BadSignature(name.to_owned());
    let (time, signature) = line.signature.split_at_checked(8).ok_or_else(bad)?;
    let timestamp = u64::from_be_bytes(time.try_into().map_err(|_| bad())?);
    if timestamp > i64::MAX as u64 {
        return Err(bad());
    }
    let signature = Signature::from_slice(signature).map_err(|_| bad())?;
    public
        .verify(
            cosigned_message(timestamp, &note.body).as_bytes(),
            &signature,
        )
        .map_err(|_| bad())?;
    Ok(Cosigned::At(timestamp))
}

/// A public key as signed notes exchange it: a name, a signature type and an
/// Ed25519 key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    /// The key name signature lines carry.
    pub name: String,
    /// [`LOG_KEY_TYPE`] or [`WITNESS_KEY_TYPE`].
    pub kind: u8,
    /// The public key.
    pub key: VerifyingKey,
}

/// Why a vkey string was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{text}` is not a verifier key: {why} (expected `<name>+<8 hex digits>+<base64>`, as `ward keys show` or `ward witness show` prints)"
)]
pub struct VerifierKeyError {
    /// The text given.
    pub text: String,
    /// What is wrong with it.
    pub why: String,
}

impl VerifierKey {
    /// The key hash its signature lines carry.
    pub fn key_hash(&self) -> [u8; 4] {
        typed_key_hash(&self.name, self.kind, &self.key)
    }

    /// Reads a vkey. The key hash must match the name, type and key: a vkey whose
    /// parts were mixed up is refused rather than silently never matching.
    pub fn parse(text: &str) -> Result<VerifierKey, VerifierKeyError> {
        let fail = |why: &str| VerifierKeyError {
            text: text.to_owned(),
            why: why.to_owned(),
        };
        let mut parts = text.trim().splitn(3, '+');
        let (Some(name), Some(hash), Some(encoded)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(fail("it has fewer than three `+`-separated parts"));
        };
        if !valid_name(name) {
            return Err(fail("the name is empty or holds a space"));
        }
        let bytes = Base64::decode_vec(encoded).map_err(|_| fail("the key is not base64"))?;
        let (kind, key) = match bytes.split_first() {
            Some((kind, key)) if key.len() == 32 => (*kind, key),
            _ => return Err(fail("the key is not a type byte and 32 bytes")),
        };
        if kind != LOG_KEY_TYPE && kind != WITNESS_KEY_TYPE {
            return Err(fail(&format!(
                "the key type 0x{kind:02x} is neither Ed25519 (0x01) nor cosignature/v1 (0x04)"
            )));
        }
        let array: [u8; 32] = key
            .try_into()
            .map_err(|_| fail("the key is not 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&array)
            .map_err(|_| fail("the key is not a valid Ed25519 point"))?;
        let parsed = VerifierKey {
            name: name.to_owned(),
            kind,
            key,
        };
        let expected = crate::hash::hex(&parsed.key_hash());
        if hash != expected {
            return Err(fail(&format!(
                "the key hash `{hash}` does not belong to this name and key (`{expected}`)"
            )));
        }
        Ok(parsed)
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut bytes = vec![self.kind];
        bytes.extend_from_slice(self.key.as_bytes());
        let hash = crate::hash::hex(&self.key_hash());
        write!(f, "{}+{hash}+{}", self.name, Base64::encode_string(&bytes))
    }
}

/// C2SP signed-note: a key name is non-empty and has no spaces or `+`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(char::is_whitespace) && !name.contains('+')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::Checkpoint;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn note() -> SignedNote {
        let text = Checkpoint {
            origin: "ward/0123456789abcdef".into(),
            size: 7,
            root: [9u8; 32],
        }
        .sign(&key(1));
        SignedNote::parse(&text).unwrap()
    }

    #[test]
    fn a_cosignature_verifies_and_carries_its_time() {
        let mut note = note();
        note.signatures
            .push(cosign(&note.body, "witness/a", &key(2), 1_679_315_147));
        let reparsed = SignedNote::parse(&note.text()).unwrap();
        assert_eq!(
            verify_cosignature(&reparsed, "witness/a", &key(2).verifying_key()),
            Ok(Cosigned::At(1_679_315_147))
        );
        // Another witness's key: absent, not an error.
        assert_eq!(
            verify_cosignature(&reparsed, "witness/a", &key(3).verifying_key()),
            Ok(Cosigned::Absent)
        );
    }

    #[test]
    fn the_signed_message_is_the_specified_bytes() {
        assert_eq!(
            cosigned_message(
                1_679_315_147,
                "example.com/behind-the-sofa\n20852163\nCsUY=\n"
            ),
            "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUY=\n"
        );
        // Key hash: SHA-256(name ‖ "\n" ‖ 0x04 ‖ key), first four bytes.
        let public = key(2).verifying_key();
        let mut input = b"witness/a\n\x04".to_vec();
        input.extend_from_slice(public.as_bytes());
        assert_eq!(
            typed_key_hash("witness/a", WITNESS_KEY_TYPE, &public),
            Sha256::digest(&input)[..4]
        );
    }

    #[test]
    fn an_edited_checkpoint_or_time_breaks_the_cosignature() {
        let mut note = note();
        note.signatures
            .push(cosign(&note.body, "witness/a", &key(2), 100));
        let edited = SignedNote::parse(&note.text().replacen("\n7\n", "\n8\n", 1)).unwrap();
        assert!(verify_cosignature(&edited, "witness/a", &key(2).verifying_key()).is_err());
        let mut retimed = note.clone();
        if let Some(line) = retimed.signatures.last_mut() {
            line.signature[7] ^= 1;
        }
        assert!(verify_cosignature(&retimed, "witness/a", &key(2).verifying_key()).is_err());
    }

    #[test]
    fn vkeys_round_trip_and_reject_mixed_up_parts() {
        let vkey = VerifierKey {
            name: "witness/a".into(),
            kind: WITNESS_KEY_TYPE,
            key: key(2).verifying_key(),
        };
        let text = vkey.to_string();
        assert_eq!(VerifierKey::parse(&text), Ok(vkey));
        let renamed = text.replacen("witness/a", "witness/b", 1);
        assert!(
            VerifierKey::parse(&renamed)
                .unwrap_err()
                .why
                .contains("does not belong")
        );
        assert!(VerifierKey::parse("nothing").is_err());
        assert!(VerifierKey::parse("a+00000000+AAAA").is_err());
    }
}
