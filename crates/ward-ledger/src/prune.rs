//! Retention: removing old records' bodies while keeping what proves them.
//!
//! A pruned record keeps its row: `seq`, its session and number in it, its
//! indexed columns, its hash (the next record of its session names it as
//! `prev_hash`) and its Merkle leaf (in `merkle_nodes`, level 0). Only the body —
//! the input, targets, reasons — is emptied, and SQLite's `secure_delete`
//! overwrites the freed space. So every remaining record still chains, every
//! checkpoint still verifies, and a later edit of anything left is still found.
//!
//! Pruning is bounded and recorded, so that an emptied body is never a way to
//! delete a record unseen:
//! - only a prefix of the ledger is pruned, records `1..=through_seq`, and never
//!   beyond the latest signed checkpoint (its root commits to the leaves that
//!   remain the only evidence of the pruned records);
//! - the host's own records (`ward-host`: keys, approvals, overrides, prunes) keep
//!   their bodies;
//! - a `RecordsPruned` record (`request.input` `{"through_seq", "before",
//!   "records", "by"}`) is appended before any body is emptied, and `verify`
//!   accepts an empty body only at or below the largest `through_seq` such records
//!   state (they are hashed and chained like any other).

use rusqlite::{TransactionBehavior, params};
use serde::Serialize;

use crate::record::{HOST_SESSION, Record};
use crate::store::Context;
use crate::{Ledger, LedgerError};

/// The event of a prune's record.
pub const PRUNED_EVENT: &str = "RecordsPruned";

/// How many bodies one statement empties (progress is reported between them).
const BATCH: u64 = 10_000;

/// What a prune would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrunePlan {
    /// Records older than this time are pruned (RFC 3339).
    pub before: String,
    /// Every record up to this `seq` that is not the host's loses its body; 0:
    /// nothing to prune.
    pub through_seq: u64,
    /// Bodies that would be emptied.
    pub records: u64,
    /// The oldest and newest times among them.
    pub first_time: Option<String>,
    /// The newest time among them.
    pub last_time: Option<String>,
    /// Records before `before` that stay, because no signed checkpoint covers them
    /// yet (sign one, then prune again).
    pub uncovered: u64,
}

impl Ledger {
    /// What pruning the records older than `before` (RFC 3339 or a date) would
    /// do: the longest prefix of records all older than `before` and covered by
    /// the latest signed checkpoint.
    pub fn prune_plan(&self, before: &str) -> Result<PrunePlan, LedgerError> {
        self.prune_plan_with(before, true)
    }

    /// [`Ledger::prune_plan`]; with `covered_only` false, as if a checkpoint of the
    /// whole ledger were signed first (what a prune that signs one would do).
    pub fn prune_plan_with(
        &self,
        before: &str,
        covered_only: bool,
    ) -> Result<PrunePlan, LedgerError> {
        let bound = crate::query::since_bound(before)?;
        let sqlite = |error| self.sqlite(error);
        // The first agent record at or after the bound ends the prefix (records
        // are in time order but for the journal's small reorderings; the host's
        // records are never pruned, so they do not end it).
        let end: Option<i64> = self
            .conn
            .query_row(
                "SELECT min(seq) FROM records WHERE time >= ?1 AND session_id <> ?2",
                params![&bound, HOST_SESSION],
                |row| row.get(0),
            )
            .map_err(sqlite)?;
        let older = match end {
            Some(end) => u64::try_from(end - 1).unwrap_or(0),
            None => self.count()?,
        };
        let covered = if covered_only {
            self.checkpoints()?
                .iter()
                .map(|checkpoint| checkpoint.tree_size)
                .max()
                .unwrap_or(0)
        } else {
            u64::MAX
        };
        let through_seq = older.min(covered);
        let (records, first_time, last_time): (i64, Option<String>, Option<String>) = self
            .conn
            .query_row(
                "SELECT count(*), min(time), max(time) FROM records
                 WHERE seq <= ?1 AND session_id <> ?2 AND body <> ''",
                params![i64::try_from(through_seq).unwrap_or(i64::MAX), HOST_SESSION],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .map_err(sqlite)?;
        Ok(PrunePlan {
            before: bound,
            through_seq,
            records: u64::try_from(records).unwrap_or(0),
            first_time,
            last_time,
            uncovered: older.saturating_sub(through_seq),
        })
    }

    /// Prunes as `plan` says: appends `recorded` (the `RecordsPruned` host record,
    /// which must state `plan.through_seq`) and commits it, then empties the bodies
    /// in one transaction with `secure_delete`, and truncates the WAL so that no old
    /// page lingers there. Returns the bodies emptied. `progress` gets bodies done
    /// and the total.
    pub fn prune(
        &mut self,
        plan: &PrunePlan,
        recorded: Record,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<u64, LedgerError> {
        if plan.through_seq == 0 {
            return Ok(0);
        }
        let stated = recorded
            .request
            .input
            .get("through_seq")
            .and_then(serde_json::Value::as_u64);
        if recorded.request.event != PRUNED_EVENT || stated != Some(plan.through_seq) {
            return Err(LedgerError::Internal(
                "a prune's record must be a RecordsPruned record stating its through_seq",
            ));
        }
        self.append(recorded)?;
        let context = Context::new(&self.path, self.options.busy_timeout);
        self.conn
            .pragma_update(None, "secure_delete", true)
            .map_err(|error| context.sqlite(error))?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|error| context.sqlite(error))?;
        let mut done = 0u64;
        let mut from = 0u64;
        while from < plan.through_seq {
            let to = (from + BATCH).min(plan.through_seq);
            let changed = tx
                .execute(
                    "UPDATE records SET body = ''
                     WHERE seq > ?1 AND seq <= ?2 AND session_id <> ?3 AND body <> ''",
                    params![
                        i64::try_from(from).unwrap_or(i64::MAX),
                        i64::try_from(to).unwrap_or(i64::MAX),
                        HOST_SESSION
                    ],
                )
                .map_err(|error| context.sqlite(error))?;
            done += u64::try_from(changed).unwrap_or(0);
            progress(done, plan.records);
            from = to;
        }
        context.commit(tx)?;
        let _ = self.conn.pragma_update(None, "secure_delete", false);
        self.bound_wal();
        Ok(done)
    }

    /// The largest `through_seq` the ledger's `RecordsPruned` records state: the
    /// records at or below it may have empty bodies.
    pub(crate) fn pruned_through(conn: &rusqlite::Connection) -> rusqlite::Result<u64> {
        let mut statement = conn.prepare(
            "SELECT body FROM records WHERE session_id = ?1 AND event = ?2 AND body <> ''",
        )?;
        let bodies = statement
            .query_map(params![HOST_SESSION, PRUNED_EVENT], |row| {
                row.get::<_, String>(0)
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(bodies
            .iter()
            .filter_map(|body| serde_json::from_str::<Record>(body).ok())
            .filter_map(|record| {
                record
                    .request
                    .input
                    .get("through_seq")
                    .and_then(serde_json::Value::as_u64)
            })
            .max()
            .unwrap_or(0))
    }
}
