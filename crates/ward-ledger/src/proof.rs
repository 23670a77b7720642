//! Inclusion and consistency proofs over the ledger's Merkle tree, as JSON documents
//! anyone can check offline (`ward audit verify-proof`, or any RFC 9162 verifier:
//! the hashes are the RFC's, hex-encoded).
//!
//! An inclusion proof carries the record's canonical body, so that checking it needs
//! nothing else: the leaf is recomputed from the body, the path from the leaf gives
//! the root. Which root to trust is the checker's business: a signed checkpoint's,
//! or one given with `--root`.

use serde::{Deserialize, Serialize};

use crate::LedgerError;
use crate::merkle::{self, Hash, ProofError};
use crate::store::{Ledger, SqliteNodes};

/// The `type` of an inclusion proof document.
pub const INCLUSION_TYPE: &str = "ward-inclusion-proof";
/// The `type` of a consistency proof document.
pub const CONSISTENCY_TYPE: &str = "ward-consistency-proof";

/// Proof that record `seq` is leaf `seq - 1` of the tree of `tree_size` leaves
/// whose root is `root` (RFC 9162 §2.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    /// Always [`INCLUSION_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// The record's global sequence number (its leaf index plus one).
    pub seq: u64,
    /// The tree size the proof is for.
    pub tree_size: u64,
    /// The root of that tree, hex.
    pub root: String,
    /// The record's stored canonical JSON, verbatim.
    pub record: String,
    /// SHA-256(0x00 ‖ record), hex.
    pub leaf_hash: String,
    /// The audit path, leaf to root, hex.
    pub path: Vec<String>,
}

/// Proof that the tree of `old_size` leaves is a prefix of the tree of `new_size`
/// leaves (RFC 9162 §2.1.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyProof {
    /// Always [`CONSISTENCY_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// The older tree size.
    pub old_size: u64,
    /// Its root, hex.
    pub old_root: String,
    /// The newer tree size.
    pub new_size: u64,
    /// Its root, hex.
    pub new_root: String,
    /// The proof's hashes, hex.
    pub path: Vec<String>,
}

/// Why a proof document does not check out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofCheckError {
    /// A hash field is not 64 hex digits.
    #[error("`{field}` is not a SHA-256 hash in hex (64 hex digits)")]
    BadHex {
        /// The field.
        field: String,
    },
    /// The record in the proof does not hash to the proof's leaf.
    #[error("the record in the proof does not hash to `leaf_hash` (record edited?)")]
    LeafMismatch,
    /// The path does not lead to the root.
    #[error(transparent)]
    Path(#[from] ProofError),
    /// The proof is for another root than the one the checker trusts.
    #[error("the proof is for root {proved}, not the expected root {expected}")]
    UnexpectedRoot {
        /// The proof's root.
        proved: String,
        /// The root the checker gave.
        expected: String,
    },
}

fn parse_hash(field: &str, text: &str) -> Result<Hash, ProofCheckError> {
    merkle::from_hex(text).ok_or_else(|| ProofCheckError::BadHex {
        field: field.to_owned(),
    })
}

fn parse_path(path: &[String]) -> Result<Vec<Hash>, ProofCheckError> {
    path.iter()
        .enumerate()
        .map(|(index, hash)| parse_hash(&format!("path[{index}]"), hash))
        .collect()
}

fn hex_path(path: &[Hash]) -> Vec<String> {
    path.iter().map(merkle::to_hex).collect()
}

impl InclusionProof {
    /// Checks the proof on its own: leaf from the record, path to the root.
    pub fn check(&self) -> Result<(), ProofCheckError> {
        let leaf = parse_hash("leaf_hash", &self.leaf_hash)?;
        let root = parse_hash("root", &self.root)?;
        if merkle::leaf_hash(self.record.as_bytes()) != leaf {
            return Err(ProofCheckError::LeafMismatch);
        }
        let path = parse_path(&self.path)?;
        let index = self.seq.checked_sub(1).ok_or(ProofError::IndexOutOfRange {
            index: 0,
            size: self.tree_size,
        })?;
        merkle::verify_inclusion(&leaf, index, self.tree_size, &path, &root)?;
        Ok(())
    }
}

impl ConsistencyProof {
    /// Checks the proof on its own: the old root is a prefix of the new one.
    pub fn check(&self) -> Result<(), ProofCheckError> {
        let old_root = parse_hash("old_root", &self.old_root)?;
        let new_root = parse_hash("new_root", &self.new_root)?;
        let path = parse_path(&self.path)?;
        merkle::verify_consistency(self.old_size, self.new_size, &old_root, &new_root, &path)?;
        Ok(())
    }
}

/// Checks that a proof's root is the one the checker trusts.
pub fn expect_root(proved: &str, expected: &str) -> Result<(), ProofCheckError> {
    let proved_hash = parse_hash("root", proved)?;
    let expected_hash = parse_hash("expected root", expected)?;
    if proved_hash == expected_hash {
        Ok(())
    } else {
        Err(ProofCheckError::UnexpectedRoot {
            proved: proved.to_owned(),
            expected: expected.to_owned(),
        })
    }
}

impl Ledger {
    /// The number of leaves of the stored tree: the number of records.
    pub fn tree_size(&self) -> Result<u64, LedgerError> {
        let size: Option<u64> = self
            .conn
            .query_row("SELECT max(seq) FROM records", [], |row| row.get(0))
            .map_err(|error| self.sqlite(error))?;
        Ok(size.unwrap_or(0))
    }

    /// The root of the tree of the first `size` records, from the stored nodes.
    pub fn root_at(&self, size: u64) -> Result<Hash, LedgerError> {
        self.check_size(size)?;
        merkle::root_at(&SqliteNodes(&self.conn), size).map_err(|error| self.sqlite(error))
    }

    /// An inclusion proof for record `seq` in the tree of `size` records (the whole
    /// ledger when `None`).
    pub fn inclusion_proof(
        &self,
        seq: u64,
        size: Option<u64>,
    ) -> Result<InclusionProof, LedgerError> {
        let size = match size {
            Some(size) => size,
            None => self.tree_size()?,
        };
        self.check_size(size)?;
        if seq == 0 || seq > size {
            return Err(LedgerError::Proof(format!(
                "record {seq} is not in a tree of {size} records (records are numbered from 1)"
            )));
        }
        let nodes = SqliteNodes(&self.conn);
        let sqlite = |error| self.sqlite(error);
        let record: String = self
            .conn
            .query_row("SELECT body FROM records WHERE seq = ?1", [seq], |row| {
                row.get(0)
            })
            .map_err(sqlite)?;
        let path = merkle::inclusion_proof(&nodes, seq - 1, size).map_err(sqlite)?;
        let root = merkle::root_at(&nodes, size).map_err(sqlite)?;
        Ok(InclusionProof {
            kind: INCLUSION_TYPE.to_owned(),
            seq,
            tree_size: size,
            root: merkle::to_hex(&root),
            leaf_hash: merkle::to_hex(&merkle::leaf_hash(record.as_bytes())),
            record,
            path: hex_path(&path),
        })
    }

    /// A consistency proof between the trees of `old` and `new` records.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<ConsistencyProof, LedgerError> {
        self.check_size(new)?;
        if old > new {
            return Err(LedgerError::Proof(format!(
                "the old size {old} is larger than the new size {new}"
            )));
        }
        let nodes = SqliteNodes(&self.conn);
        let sqlite = |error| self.sqlite(error);
        let path = merkle::consistency_proof(&nodes, old, new).map_err(sqlite)?;
        Ok(ConsistencyProof {
            kind: CONSISTENCY_TYPE.to_owned(),
            old_size: old,
            old_root: merkle::to_hex(&merkle::root_at(&nodes, old).map_err(sqlite)?),
            new_size: new,
            new_root: merkle::to_hex(&merkle::root_at(&nodes, new).map_err(sqlite)?),
            path: hex_path(&path),
        })
    }

    fn check_size(&self, size: u64) -> Result<(), LedgerError> {
        let records = self.tree_size()?;
        if size > records {
            return Err(LedgerError::Proof(format!(
                "the ledger holds {records} records, fewer than the tree size {size} asked for"
            )));
        }
        Ok(())
    }
}
