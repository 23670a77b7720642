//! Signing checkpoints of the ledger's tree and keeping them (`checkpoints` table).
//!
//! A new checkpoint is signed only after the tree it states is shown to extend the
//! last signed one: the previous checkpoint's signature is checked with the same
//! key, and a consistency proof from its size to the new size, built from the
//! stored tree, is verified against its signed root. A ledger rewritten since the
//! last checkpoint therefore cannot get a new signature over the rewrite.

use ed25519_dalek::SigningKey;
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::Serialize;

use crate::LedgerError;
use crate::checkpoint::{Checkpoint, SignedNote};
use crate::merkle::{self, Hash};
use crate::record::format_time;
use crate::store::{Ledger, SqliteNodes};
use crate::verify::TrustedKey;

/// A checkpoint as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredCheckpoint {
    /// The tree size it states.
    pub tree_size: u64,
    /// The signed note, verbatim.
    pub note: String,
    /// When it was signed (RFC 3339, UTC).
    pub created_at: String,
}

/// What [`Ledger::sign_checkpoint`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signed {
    /// The checkpoint (new, or the latest one when the tree has not grown).
    pub checkpoint: StoredCheckpoint,
    /// Whether a new checkpoint was signed.
    pub new: bool,
    /// The size of the previous checkpoint it was proved consistent with, if any.
    pub consistent_with: Option<u64>,
}

impl Ledger {
    /// Signs a checkpoint of the whole tree with `key` under the name `origin`,
    /// unless the latest checkpoint already covers every record.
    ///
    /// The previous checkpoint must be signed by `key` or by one of `trusted` (the
    /// log's retired keys, after a rotation) under `origin`.
    pub fn sign_checkpoint(
        &mut self,
        key: &SigningKey,
        origin: &str,
        trusted: &[TrustedKey],
    ) -> Result<Signed, LedgerError> {
        let path = self.path.clone();
        let busy = self.options.busy_timeout;
        let sqlite = |error| LedgerError::from_sqlite(&path, busy, error);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sqlite)?;
        let size: u64 = tx
            .query_row("SELECT coalesce(max(seq), 0) FROM records", [], |row| {
                row.get(0)
            })
            .map_err(sqlite)?;
        let latest = latest(&tx).map_err(sqlite)?;
        if let Some(latest) = &latest
            && latest.tree_size == size
        {
            return Ok(Signed {
                checkpoint: latest.clone(),
                new: false,
                consistent_with: None,
            });
        }
        let nodes = SqliteNodes(&tx);
        let root = merkle::root_at(&nodes, size).map_err(sqlite)?;
        let consistent_with = match &latest {
            None => None,
            Some(previous) => {
                let stated = previous_checkpoint(previous, origin, key, trusted)?;
                if stated.size > size {
                    return Err(LedgerError::Proof(format!(
                        "the ledger holds {size} records but checkpoint {} was signed for {}: \
                         records were removed; refusing to sign (run `ward audit verify`)",
                        previous.tree_size, stated.size
                    )));
                }
                let proof = merkle::consistency_proof(&nodes, stated.size, size).map_err(sqlite)?;
                merkle::verify_consistency(stated.size, size, &stated.root, &root, &proof)
                    .map_err(|error| {
                        LedgerError::Proof(format!(
                            "the tree of {size} records does not extend the checkpoint of {} \
                             records ({error}): the ledger was rewritten; refusing to sign \
                             (run `ward audit verify`)",
                            stated.size
                        ))
                    })?;
                Some(stated.size)
            }
        };
        let checkpoint = Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
        };
        let stored = StoredCheckpoint {
            tree_size: size,
            note: checkpoint.sign(key),
            created_at: format_time(jiff::Timestamp::now()),
        };
        tx.execute(
            "INSERT INTO checkpoints (tree_size, note, created_at) VALUES (?1, ?2, ?3)",
            params![stored.tree_size, stored.note, stored.created_at],
        )
        .map_err(sqlite)?;
        tx.commit().map_err(sqlite)?;
        Ok(Signed {
            checkpoint: stored,
            new: true,
            consistent_with,
        })
    }

    /// Every stored checkpoint, smallest tree first.
    pub fn checkpoints(&self) -> Result<Vec<StoredCheckpoint>, LedgerError> {
        let sqlite = |error| self.sqlite(error);
        let mut statement = self
            .conn
            .prepare("SELECT tree_size, note, created_at FROM checkpoints ORDER BY tree_size")
            .map_err(sqlite)?;
        let rows = statement
            .query_map([], read_checkpoint)
            .map_err(sqlite)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(sqlite)?;
        Ok(rows)
    }

    /// The records added since the latest checkpoint, and when it was signed.
    pub fn since_checkpoint(&self) -> Result<(u64, Option<String>), LedgerError> {
        let sqlite = |error| self.sqlite(error);
        let size: u64 = self
            .conn
            .query_row("SELECT coalesce(max(seq), 0) FROM records", [], |row| {
                row.get(0)
            })
            .map_err(sqlite)?;
        let latest = latest(&self.conn).map_err(sqlite)?;
        Ok(match latest {
            Some(latest) => (
                size.saturating_sub(latest.tree_size),
                Some(latest.created_at),
            ),
            None => (size, None),
        })
    }
}

fn read_checkpoint(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredCheckpoint> {
    Ok(StoredCheckpoint {
        tree_size: row.get(0)?,
        note: row.get(1)?,
        created_at: row.get(2)?,
    })
}

fn latest(conn: &rusqlite::Connection) -> rusqlite::Result<Option<StoredCheckpoint>> {
    conn.query_row(
        "SELECT tree_size, note, created_at FROM checkpoints ORDER BY tree_size DESC LIMIT 1",
        [],
        read_checkpoint,
    )
    .optional()
}

/// The previous checkpoint, checked: it parses, is signed under `origin` by this
/// key or a trusted one (within its validity), and states the size it is stored
/// under.
fn previous_checkpoint(
    stored: &StoredCheckpoint,
    origin: &str,
    key: &SigningKey,
    trusted: &[TrustedKey],
) -> Result<Checkpoint, LedgerError> {
    let refuse = |why: String| {
        LedgerError::Proof(format!(
            "the latest checkpoint (tree size {}) {why}; refusing to sign over it \
             (run `ward audit verify`)",
            stored.tree_size
        ))
    };
    let mut keys = vec![TrustedKey::current(origin.to_owned(), key.verifying_key())];
    keys.extend(trusted.iter().filter(|t| t.name == origin).cloned());
    check_stored(stored, &keys)
        .map_err(|why| refuse(format!("is not acceptable under this host's keys: {why}")))
}

/// A stored checkpoint as read and checked on its own, before it is compared with
/// the records.
#[derive(Debug)]
pub(crate) enum Stated {
    /// Well formed, signed by a trusted key (or no keys were given).
    Valid(Checkpoint),
    /// What is wrong with it.
    Invalid(String),
}

impl Stated {
    /// The tree size a valid checkpoint states.
    pub(crate) fn size(&self) -> Option<u64> {
        match self {
            Stated::Valid(checkpoint) => Some(checkpoint.size),
            Stated::Invalid(_) => None,
        }
    }
}

/// Reads and checks every stored checkpoint against `keys`.
pub(crate) fn stated(stored: &[StoredCheckpoint], keys: &[TrustedKey]) -> Vec<Stated> {
    stored
        .iter()
        .map(|stored| match check_stored(stored, keys) {
            Ok(checkpoint) => Stated::Valid(checkpoint),
            Err(why) => {
                Stated::Invalid(format!("checkpoint of {} records: {why}", stored.tree_size))
            }
        })
        .collect()
}

fn check_stored(stored: &StoredCheckpoint, keys: &[TrustedKey]) -> Result<Checkpoint, String> {
    let note = SignedNote::parse(&stored.note).map_err(|error| error.to_string())?;
    if !keys.is_empty() {
        let signer = TrustedKey::tightest(
            keys.iter()
                .filter(|trusted| note.verify(&trusted.name, &trusted.key).is_ok()),
        );
        match signer {
            None => {
                let names: Vec<&str> = note.signatures.iter().map(|s| s.name.as_str()).collect();
                return Err(format!(
                    "no valid signature by a trusted key (signed as {}): forged or edited?",
                    names.join(", ")
                ));
            }
            Some(TrustedKey {
                valid_until_size: Some(limit),
                key,
                ..
            }) if stored.tree_size > *limit => {
                return Err(format!(
                    "it is signed by the retired key {} for a tree of {} records, but that \
                     key was retired at {limit}: a retired key cannot sign later checkpoints \
                     (leaked old key?)",
                    crate::checkpoint::key_id(key),
                    stored.tree_size
                ));
            }
            Some(_) => {}
        }
    }
    let checkpoint = Checkpoint::parse_body(&note.body).map_err(|error| error.to_string())?;
    if checkpoint.size != stored.tree_size {
        return Err(format!(
            "it states {} records but is stored as the checkpoint of {}",
            checkpoint.size, stored.tree_size
        ));
    }
    Ok(checkpoint)
}

/// Compares a checkpoint with the tree rebuilt from the records: `Ok(size)` when it
/// holds, else the first record concerned (if any) and why.
pub(crate) fn judge(
    stated: &Stated,
    tree_size: u64,
    roots_at: &[(u64, Hash)],
) -> Result<u64, (Option<u64>, String)> {
    let checkpoint = match stated {
        Stated::Valid(checkpoint) => checkpoint,
        Stated::Invalid(message) => return Err((None, message.clone())),
    };
    let size = checkpoint.size;
    if size > tree_size {
        return Err((
            Some(tree_size.saturating_add(1)),
            format!(
                "checkpoint of {size} records: the ledger holds only {tree_size}: records {} \
                 to {size} were removed from the end after it was signed",
                tree_size.saturating_add(1)
            ),
        ));
    }
    match roots_at.iter().find(|(at, _)| *at == size) {
        Some((_, root)) if *root == checkpoint.root => Ok(size),
        _ => Err((
            None,
            format!(
                "checkpoint of {size} records: its signed root is not the root of the first \
                 {size} records: records were changed, removed or reordered after it was signed"
            ),
        )),
    }
}
