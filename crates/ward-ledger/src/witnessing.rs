//! The log's side of witnessing: keeping the cosignatures witnesses return on its
//! checkpoints, and counting them when the ledger is verified.
//!
//! Cosignature lines are kept in the stored note itself, after the log's own
//! signature, exactly as C2SP notes carry them: the note stays readable by any
//! transparency-log tool, and an export carries its witnesses with it.

use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::Serialize;

use crate::LedgerError;
use crate::checkpoint::{Checkpoint, SignedNote};
use crate::cosignature::{Cosigned, VerifierKey, WITNESS_KEY_TYPE, verify_cosignature};
use crate::store::Ledger;

/// What [`Ledger::add_cosignatures`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddedCosignatures {
    /// The checkpoint's tree size.
    pub tree_size: u64,
    /// Witnesses whose cosignature was added.
    pub added: Vec<String>,
    /// Witnesses whose cosignature the checkpoint already carried.
    pub already: Vec<String>,
}

/// Which configured witnesses cosigned one checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WitnessedCheckpoint {
    /// The checkpoint's tree size.
    pub tree_size: u64,
    /// The witnesses with a valid cosignature on it, by name.
    pub witnesses: Vec<String>,
}

/// What [`Ledger::witnessed`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WitnessReport {
    /// How many witnesses were configured.
    pub configured: usize,
    /// Every stored checkpoint, smallest first, with the witnesses that cosigned it.
    pub checkpoints: Vec<WitnessedCheckpoint>,
    /// Cosignature lines by a configured witness that do not verify, and unreadable
    /// checkpoints.
    pub problems: Vec<String>,
}

impl WitnessReport {
    /// The largest checkpoint with at least `quorum` cosignatures, if any.
    pub fn latest_with(&self, quorum: usize) -> Option<&WitnessedCheckpoint> {
        self.checkpoints
            .iter()
            .rev()
            .find(|checkpoint| checkpoint.witnesses.len() >= quorum.max(1))
    }
}

impl Ledger {
    /// Adds the cosignatures in `note_text`, a checkpoint this ledger signed as a
    /// witness returned it, to the stored checkpoint of the same size.
    ///
    /// The body must be byte for byte the stored one. Every signature line the
    /// stored note lacks must be a valid cosignature by one of `witnesses`: a line
    /// by an unknown key is refused rather than kept unchecked, since nobody could
    /// later tell what it vouches for.
    pub fn add_cosignatures(
        &mut self,
        note_text: &str,
        witnesses: &[VerifierKey],
    ) -> Result<AddedCosignatures, LedgerError> {
        let refuse = |why: String| LedgerError::Proof(why);
        let given = SignedNote::parse(note_text)
            .map_err(|error| refuse(format!("the cosigned checkpoint: {error}")))?;
        let checkpoint = Checkpoint::parse_body(&given.body)
            .map_err(|error| refuse(format!("the cosigned checkpoint: {error}")))?;
        let path = self.path.clone();
        let busy = self.options.busy_timeout;
        let sqlite = |error| LedgerError::from_sqlite(&path, busy, error);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sqlite)?;
        let stored: Option<String> = tx
            .query_row(
                "SELECT note FROM checkpoints WHERE tree_size = ?1",
                params![checkpoint.size],
                |row| row.get(0),
            )
            .optional()
            .map_err(sqlite)?;
        let stored = stored.ok_or_else(|| {
            refuse(format!(
                "this ledger has no checkpoint of {} records; was the cosigned checkpoint \
                 signed by another log?",
                checkpoint.size
            ))
        })?;
        let mut note = SignedNote::parse(&stored).map_err(|error| {
            refuse(format!(
                "the stored checkpoint of {} records: {error}",
                checkpoint.size
            ))
        })?;
        if note.body != given.body {
            return Err(refuse(format!(
                "the cosigned checkpoint of {} records is not the one this ledger signed \
                 (its origin or root differ)",
                checkpoint.size
            )));
        }
        let mut added = Vec::new();
        let mut already = Vec::new();
        for line in &given.signatures {
            let present = note
                .signatures
                .iter()
                .any(|kept| kept.name == line.name && kept.key_hash == line.key_hash);
            if present {
                if note.signatures.first() != Some(line) {
                    already.push(line.name.clone());
                }
                continue;
            }
            let witness = witnesses
                .iter()
                .find(|w| {
                    w.kind == WITNESS_KEY_TYPE
                        && w.name == line.name
                        && w.key_hash() == line.key_hash
                })
                .ok_or_else(|| {
                    refuse(format!(
                        "the cosignature by `{}` is by a key that is not configured; add the \
                         witness's key (`ward witness show` prints it on the witness's \
                         machine) to `witnesses` under `[ledger]` in the policy, or pass \
                         `--witness`",
                        line.name
                    ))
                })?;
            let single = SignedNote {
                body: given.body.clone(),
                signatures: vec![line.clone()],
            };
            match verify_cosignature(&single, &witness.name, &witness.key) {
                Ok(Cosigned::At(_)) => {}
                Ok(Cosigned::Absent) | Err(_) => {
                    return Err(refuse(format!(
                        "the cosignature by `{}` does not verify: the checkpoint or the line \
                         was changed after the witness signed",
                        line.name
                    )));
                }
            }
            note.signatures.push(line.clone());
            added.push(line.name.clone());
        }
        if !added.is_empty() {
            tx.execute(
                "UPDATE checkpoints SET note = ?1 WHERE tree_size = ?2",
                params![note.text(), checkpoint.size],
            )
            .map_err(sqlite)?;
        }
        tx.commit().map_err(sqlite)?;
        Ok(AddedCosignatures {
            tree_size: checkpoint.size,
            added,
            already,
        })
    }

    /// Counts, for every stored checkpoint, the valid cosignatures by `witnesses`.
    pub fn witnessed(&self, witnesses: &[VerifierKey]) -> Result<WitnessReport, LedgerError> {
        let witnesses: Vec<&VerifierKey> = witnesses
            .iter()
            .filter(|w| w.kind == WITNESS_KEY_TYPE)
            .collect();
        let mut report = WitnessReport {
            configured: witnesses.len(),
            ..WitnessReport::default()
        };
        for stored in self.checkpoints()? {
            let note = match SignedNote::parse(&stored.note) {
                Ok(note) => note,
                Err(error) => {
                    report.problems.push(format!(
                        "checkpoint of {} records: {error}",
                        stored.tree_size
                    ));
                    continue;
                }
            };
            let mut names = Vec::new();
            for witness in &witnesses {
                match verify_cosignature(&note, &witness.name, &witness.key) {
                    Ok(Cosigned::At(_)) => names.push(witness.name.clone()),
                    Ok(Cosigned::Absent) => {}
                    Err(_) => report.problems.push(format!(
                        "checkpoint of {} records: the cosignature by witness `{}` does not \
                         verify: the checkpoint or the line was edited, or the line forged",
                        stored.tree_size, witness.name
                    )),
                }
            }
            report.checkpoints.push(WitnessedCheckpoint {
                tree_size: stored.tree_size,
                witnesses: names,
            });
        }
        Ok(report)
    }
}
