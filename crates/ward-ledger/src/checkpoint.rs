//! Signed checkpoints of the Merkle tree, in the formats transparency logs use, so
//! that existing tooling can read them:
//!
//! - the body is a C2SP `tlog-checkpoint`: the origin line, the tree size in
//!   decimal, the root hash in standard base64, each ending in a newline;
//! - it is signed as a C2SP `signed-note`: after the body, a blank line, then one
//!   line per signature, `— <key name> <base64(key hash ‖ signature)>`, where the key
//!   hash is the first 4 bytes of SHA-256(key name ‖ "\n" ‖ 0x01 ‖ Ed25519 public key)
//!   and the signature is Ed25519 over the body's bytes.
//!
//! The key name is the log's origin, `ward/<id of the log's first key>`: every key
//! of the log, current or retired, signs under it, told apart by its key hash (the
//! C2SP convention that a log's key name is its origin). A key after the first is
//! introduced by an endorsement its predecessor signed ([`KeyEndorsement`]), so the
//! origin pins the whole chain of keys. A checkpoint only says "the log had this
//! many records and this root, according to this key";
//! [`crate::Ledger::verify_with`] checks it against the records.

use base64ct::{Base64, Encoding};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

use crate::merkle::Hash;

/// The signature type byte of Ed25519 in a signed note's key hash.
const ED25519_TYPE: u8 = 0x01;

/// The dash that starts a signature line (U+2014) and the space after it.
const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// What a checkpoint states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's name: `ward/<id of its first key>`.
    pub origin: String,
    /// The number of records.
    pub size: u64,
    /// The Merkle root over them.
    pub root: Hash,
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name.
    pub name: String,
    /// The first 4 bytes of the key's hash (see the module docs).
    pub key_hash: [u8; 4],
    /// The signature bytes after the key hash.
    pub signature: Vec<u8>,
}

/// A note: its signed body and its signature lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedNote {
    /// The body, ending in a newline; what the signatures sign.
    pub body: String,
    /// The signature lines, in order.
    pub signatures: Vec<NoteSignature>,
}

/// Why a checkpoint or note is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// The text is not a signed note.
    #[error("not a signed note: {0}")]
    Malformed(String),
    /// No signature line is by the expected key.
    #[error("no signature by the key `{name}` (key hash {key_hash})")]
    NoSignatureByKey {
        /// The key name looked for.
        name: String,
        /// Its key hash, hex.
        key_hash: String,
    },
    /// A signature by the key does not verify.
    #[error("the signature by `{0}` does not verify (checkpoint edited or forged?)")]
    BadSignature(String),
}

/// The origin (and key name) of the log signed by the host key `key_id`.
pub fn origin_for(key_id: &str) -> String {
    format!("ward/{key_id}")
}

/// A size as the formats write it: decimal, no sign, no leading zero.
fn parse_size(line: &str) -> Option<u64> {
    let canonical = line == "0"
        || (!line.is_empty() && !line.starts_with('0') && line.bytes().all(|b| b.is_ascii_digit()));
    canonical.then(|| line.parse::<u64>().ok()).flatten()
}

/// A key's id: the first 16 hex digits of SHA-256 over the raw public key.
pub fn key_id(key: &VerifyingKey) -> String {
    let mut id = crate::hash::sha256_hex(key.as_bytes());
    id.truncate(16);
    id
}

/// The key hash of an Ed25519 key named `name` (C2SP signed-note).
pub fn key_hash(name: &str, public: &VerifyingKey) -> [u8; 4] {
    crate::cosignature::typed_key_hash(name, ED25519_TYPE, public)
}

impl Checkpoint {
    /// The `tlog-checkpoint` body.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            Base64::encode_string(&self.root)
        )
    }

    /// Reads a `tlog-checkpoint` body (extension lines after the root are allowed
    /// and ignored).
    pub fn parse_body(body: &str) -> Result<Checkpoint, CheckpointError> {
        let malformed = |what: &str| CheckpointError::Malformed(what.to_owned());
        let mut lines = body.split('\n');
        let origin = lines.next().filter(|line| !line.is_empty());
        let size = lines.next().and_then(parse_size);
        let root = lines
            .next()
            .and_then(|line| Base64::decode_vec(line).ok())
            .and_then(|bytes| Hash::try_from(bytes.as_slice()).ok());
        match (origin, size, root) {
            (Some(origin), Some(size), Some(root)) => Ok(Checkpoint {
                origin: origin.to_owned(),
                size,
                root,
            }),
            (None, _, _) => Err(malformed("the checkpoint has no origin line")),
            (_, None, _) => Err(malformed("the checkpoint's second line is not a tree size")),
            (_, _, None) => Err(malformed(
                "the checkpoint's third line is not a base64 SHA-256 root",
            )),
        }
    }

    /// The checkpoint as a signed note, signed by `key` under the name `origin`.
    pub fn sign(&self, key: &SigningKey) -> String {
        let body = self.body();
        let signature = NoteSignature {
            name: self.origin.clone(),
            key_hash: key_hash(&self.origin, &key.verifying_key()),
            signature: key.sign(body.as_bytes()).to_bytes().to_vec(),
        };
        SignedNote {
            body,
            signatures: vec![signature],
        }
        .text()
    }
}

impl NoteSignature {
    /// The signature line, without its newline.
    pub fn line(&self) -> String {
        let mut blob = self.key_hash.to_vec();
        blob.extend_from_slice(&self.signature);
        format!(
            "{SIGNATURE_PREFIX}{} {}",
            self.name,
            Base64::encode_string(&blob)
        )
    }
}

impl SignedNote {
    /// The note as text: the body, a blank line, one line per signature.
    pub fn text(&self) -> String {
        let mut text = format!("{}\n", self.body);
        for signature in &self.signatures {
            text.push_str(&signature.line());
            text.push('\n');
        }
        text
    }

    /// Splits a signed note into its body and signature lines.
    pub fn parse(text: &str) -> Result<SignedNote, CheckpointError> {
        let malformed = |what: &str| CheckpointError::Malformed(what.to_owned());
        let split = text
            .rfind("\n\n")
            .ok_or_else(|| malformed("there is no blank line before the signatures"))?;
        let body = &text[..=split];
        let mut signatures = Vec::new();
        for line in text[split + 2..].split_terminator('\n') {
            let rest = line
                .strip_prefix(SIGNATURE_PREFIX)
                .ok_or_else(|| malformed("a signature line does not start with `— `"))?;
            let (name, encoded) = rest
                .rsplit_once(' ')
                .ok_or_else(|| malformed("a signature line has no signature"))?;
            let blob = Base64::decode_vec(encoded)
                .map_err(|_| malformed("a signature is not standard base64"))?;
            if blob.len() < 5 {
                return Err(malformed("a signature is shorter than its key hash"));
            }
            signatures.push(NoteSignature {
                name: name.to_owned(),
                key_hash: [blob[0], blob[1], blob[2], blob[3]],
                signature: blob[4..].to_vec(),
            });
        }
        if signatures.is_empty() {
            return Err(malformed("the note has no signature"));
        }
        if !text.ends_with('\n') {
            return Err(malformed("the note does not end with a newline"));
        }
        Ok(SignedNote {
            body: body.to_owned(),
            signatures,
        })
    }

    /// Checks the signature by the Ed25519 key `public` named `name`. Every line
    /// with that name and key hash must verify: a good line does not excuse a
    /// forged one beside it.
    pub fn verify(&self, name: &str, public: &VerifyingKey) -> Result<(), CheckpointError> {
        let wanted = key_hash(name, public);
        let mut lines = self
            .signatures
            .iter()
            .filter(|signature| signature.name == name && signature.key_hash == wanted)
            .peekable();
        if lines.peek().is_none() {
            return Err(CheckpointError::NoSignatureByKey {
                name: name.to_owned(),
                key_hash: crate::hash::hex(&wanted),
            });
        }
        for line in lines {
            let signature = Signature::from_slice(&line.signature)
                .map_err(|_| CheckpointError::BadSignature(name.to_owned()))?;
            public
                .verify(self.body.as_bytes(), &signature)
                .map_err(|_| CheckpointError::BadSignature(name.to_owned()))?;
        }
        Ok(())
    }
}

/// The first line of a key endorsement: it can never be read as a checkpoint of
/// the log (whose first line is the origin), so the one key signs both safely.
const ENDORSEMENT_HEADER: &str = "ward-key-rotation/v1";

/// A retiring key's statement, signed by it as a note under the log's origin:
/// "the log's next key is this one, and I sign nothing beyond this tree size".
///
/// Body, each line ending in a newline: `ward-key-rotation/v1`, the origin, the
/// new key's id, the new public key in standard base64, the old key's last size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyEndorsement {
    /// The log's origin.
    pub origin: String,
    /// The new key's id.
    pub key_id: String,
    /// The new key.
    pub key: VerifyingKey,
    /// The largest tree the endorsing (retiring) key may have signed.
    pub previous_valid_until_size: u64,
}

impl KeyEndorsement {
    /// The note body.
    pub fn body(&self) -> String {
        format!(
            "{ENDORSEMENT_HEADER}\n{}\n{}\n{}\n{}\n",
            self.origin,
            self.key_id,
            Base64::encode_string(self.key.as_bytes()),
            self.previous_valid_until_size
        )
    }

    /// The endorsement as a note signed by the retiring key under the origin.
    pub fn sign(&self, previous: &SigningKey) -> String {
        let body = self.body();
        SignedNote {
            signatures: vec![NoteSignature {
                name: self.origin.clone(),
                key_hash: key_hash(&self.origin, &previous.verifying_key()),
                signature: previous.sign(body.as_bytes()).to_bytes().to_vec(),
            }],
            body,
        }
        .text()
    }

    /// Reads an endorsement note and checks it is signed by `previous` under
    /// `origin` and states that origin.
    pub fn verify(
        text: &str,
        origin: &str,
        previous: &VerifyingKey,
    ) -> Result<KeyEndorsement, CheckpointError> {
        let malformed = |what: &str| CheckpointError::Malformed(what.to_owned());
        let note = SignedNote::parse(text)?;
        note.verify(origin, previous)?;
        let lines: Vec<&str> = note.body.split_terminator('\n').collect();
        let [header, stated_origin, stated_id, key, size] = lines.as_slice() else {
            return Err(malformed("an endorsement has five lines"));
        };
        if *header != ENDORSEMENT_HEADER || *stated_origin != origin {
            return Err(malformed("not a key endorsement of this log"));
        }
        let bytes = Base64::decode_vec(key).map_err(|_| malformed("the key is not base64"))?;
        let array: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| malformed("the key is not 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&array)
            .map_err(|_| malformed("the key is not an Ed25519 point"))?;
        if key_id(&key) != *stated_id {
            return Err(malformed("the key id is not the hash of the key"));
        }
        let size = parse_size(size).ok_or_else(|| malformed("the size is not a decimal number"))?;
        Ok(KeyEndorsement {
            origin: origin.to_owned(),
            key_id: (*stated_id).to_owned(),
            key,
            previous_valid_until_size: size,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn checkpoint() -> Checkpoint {
        Checkpoint {
            origin: origin_for("0123456789abcdef"),
            size: 42,
            root: [7u8; 32],
        }
    }

    #[test]
    fn a_signed_checkpoint_has_the_c2sp_shape_and_verifies() {
        let key = key(1);
        let note = checkpoint().sign(&key);
        let lines: Vec<&str> = note.split('\n').collect();
        assert_eq!(lines[0], "ward/0123456789abcdef");
        assert_eq!(lines[1], "42");
        assert_eq!(lines[2], Base64::encode_string(&[7u8; 32]));
        assert_eq!(lines[3], "");
        assert!(lines[4].starts_with("\u{2014} ward/0123456789abcdef "));
        assert_eq!(lines[5], "");
        let parsed = SignedNote::parse(&note).unwrap();
        assert_eq!(Checkpoint::parse_body(&parsed.body).unwrap(), checkpoint());
        parsed
            .verify("ward/0123456789abcdef", &key.verifying_key())
            .unwrap();
    }

    #[test]
    fn an_edited_body_a_wrong_key_or_a_wrong_name_fail() {
        let key = key(1);
        let note = checkpoint().sign(&key);
        let edited = SignedNote::parse(&note.replacen("\n42\n", "\n41\n", 1)).unwrap();
        assert_eq!(
            edited.verify("ward/0123456789abcdef", &key.verifying_key()),
            Err(CheckpointError::BadSignature(
                "ward/0123456789abcdef".into()
            ))
        );
        let parsed = SignedNote::parse(&note).unwrap();
        assert!(matches!(
            parsed.verify("ward/0123456789abcdef", &self::key(2).verifying_key()),
            Err(CheckpointError::NoSignatureByKey { .. })
        ));
        assert!(matches!(
            parsed.verify("ward/other", &key.verifying_key()),
            Err(CheckpointError::NoSignatureByKey { .. })
        ));
    }

    #[test]
    fn malformed_notes_say_what_is_wrong() {
        let cases = [
            (
                "ward/x\n1\nAAAA\n",
                "there is no blank line before the signatures",
            ),
            (
                "ward/x\n1\nAAAA\n\nno dash\n",
                "a signature line does not start with `— `",
            ),
            (
                "ward/x\n1\nAAAA\n\n\u{2014} ward/x !!!\n",
                "a signature is not standard base64",
            ),
        ];
        for (text, message) in cases {
            assert_eq!(
                SignedNote::parse(text),
                Err(CheckpointError::Malformed(message.into())),
                "{text:?}"
            );
        }
        assert_eq!(
            Checkpoint::parse_body("ward/x\n01\nAAAA\n"),
            Err(CheckpointError::Malformed(
                "the checkpoint's second line is not a tree size".into()
            ))
        );
    }

    #[test]
    fn an_endorsement_round_trips_and_binds_its_signer_and_size() {
        let endorsement = KeyEndorsement {
            origin: "ward/0123456789abcdef".into(),
            key_id: key_id(&key(2).verifying_key()),
            key: key(2).verifying_key(),
            previous_valid_until_size: 41,
        };
        let note = endorsement.sign(&key(1));
        assert!(note.starts_with("ward-key-rotation/v1\nward/0123456789abcdef\n"));
        assert_eq!(
            KeyEndorsement::verify(&note, "ward/0123456789abcdef", &key(1).verifying_key()),
            Ok(endorsement)
        );
        assert!(
            KeyEndorsement::verify(&note, "ward/0123456789abcdef", &key(3).verifying_key())
                .is_err()
        );
        let raised = note.replacen("\n41\n", "\n99\n", 1);
        assert!(
            KeyEndorsement::verify(&raised, "ward/0123456789abcdef", &key(1).verifying_key())
                .is_err()
        );
        // It is never a checkpoint of the log.
        let parsed = SignedNote::parse(&note).unwrap();
        assert!(Checkpoint::parse_body(&parsed.body).is_err());
    }

    #[test]
    fn the_key_hash_follows_the_signed_note_definition() {
        // SHA-256("ward/k" ‖ "\n" ‖ 0x01 ‖ public key), first four bytes, computed
        // here by hand so that a change to the definition fails this test.
        let public = key(3).verifying_key();
        let mut input = b"ward/k\n\x01".to_vec();
        input.extend_from_slice(public.as_bytes());
        let digest = Sha256::digest(&input);
        assert_eq!(key_hash("ward/k", &public), digest[..4]);
    }
}
