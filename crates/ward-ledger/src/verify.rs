//! Checking a ledger from its content: every hash recomputed, no stored hash trusted.
//!
//! One pass in `seq` order, inside one read transaction (a consistent snapshot while
//! hooks keep appending). For each record: the body parses and is canonical, its
//! recomputed hash equals the stored one, its `seq` is the row's and the global
//! sequence has no gaps, its session sequence and `prev_hash` continue the session's
//! chain, its indexed columns equal its body, and its `pre_record` and `intent` are
//! what the append rules give (so they point at records that exist). Then every
//! session head must agree with the session's last record, which catches the one edit
//! a chain cannot show: deleting the end of a session.
//!
//! Last, the Merkle tree over all records is rebuilt from the bodies and compared
//! with the stored one (`verify_tree`); its recomputed root is in the report.
//!
//! What this does not catch, until checkpoints are signed: someone who rewrites
//! records *and* the tree, session heads and chains consistently, or truncates the
//! records together with the tree and the `sessions` table.

use std::collections::{HashMap, HashSet};
use std::num::NonZeroUsize;

use ed25519_dalek::VerifyingKey;
use foldhash::fast::RandomState;
use rusqlite::Row;
use rusqlite::types::ValueRef;
use serde::Serialize;
use ward_core::EventKind;

use crate::merkle::{self, Hash};
use crate::store::{Fields, Head, Ledger, advance, answers_pre, reference};
use crate::{LedgerError, checkpoints, spool, verify_tree};

/// At most this many problems are listed; the rest are only counted.
pub const MAX_PROBLEMS: usize = 100;

mod records;

/// At most this many threads check records alone (one more reads and checks them in
/// order); past the cores there is nothing to gain.
const MAX_WORKERS: usize = 8;

/// How much of the database `verify` maps into memory (SQLite caps it at its
/// compile-time maximum, 2 GiB; past that, pages are read as usual).
const VERIFY_MMAP_BYTES: i64 = 1 << 31;

/// How often (in records) `verify` reports progress.
const PROGRESS_EVERY: u64 = 1024;

/// What [`Ledger::verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// No problem found.
    pub ok: bool,
    /// Records checked.
    pub records: u64,
    /// Sessions seen in the records.
    pub sessions: u64,
    /// The problems, in `seq` order, then the session heads; at most [`MAX_PROBLEMS`].
    pub problems: Vec<Problem>,
    /// Problems found beyond the listed ones.
    pub problems_omitted: u64,
    /// Lines waiting in the spool, not yet in the ledger.
    pub pending_spooled: usize,
    /// The number of leaves of the Merkle tree rebuilt from the records.
    pub tree_size: u64,
    /// Its root (RFC 9162), lowercase hex, recomputed from content.
    pub tree_root: String,
    /// Stored checkpoints checked (signature, and root against the records).
    pub checkpoints: u64,
    /// The largest tree size a checkpoint that checked out was signed for.
    pub checkpointed_size: Option<u64>,
}

/// One thing wrong with the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The record concerned, if one is.
    pub seq: Option<u64>,
    /// The session concerned, if known.
    pub session_id: Option<String>,
    /// What kind of problem.
    pub kind: ProblemKind,
    /// What is wrong, in words.
    pub message: String,
}

/// Kinds of [`Problem`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProblemKind {
    /// The body is not JSON, or not a record.
    BadBody,
    /// The body is not in canonical form, as the ledger writes it.
    NotCanonical,
    /// The stored hash is not the hash of the body.
    HashMismatch,
    /// The body's `seq` is not the row's.
    SeqMismatch,
    /// A sequence number is missing: a record was deleted.
    Missing,
    /// The session sequence number does not continue the session.
    SessionSeq,
    /// `prev_hash` is not the hash of the session's previous record.
    ChainBroken,
    /// An indexed column differs from the body.
    ColumnMismatch,
    /// `pre_record` or `intent` is not what the append rules give.
    BadLink,
    /// A session head in `sessions` disagrees with the session's records.
    SessionHead,
    /// A node of the stored Merkle tree is missing, extra, or not the hash of the
    /// records under it.
    MerkleTree,
    /// A stored checkpoint is malformed, not signed by a trusted key, or states a
    /// tree the records do not give.
    Checkpoint,
}

/// A public key whose signatures on checkpoints are trusted, under its note name
/// (the log's origin, `ward/<id of the log's first key>`).
#[derive(Debug, Clone)]
pub struct TrustedKey {
    /// The key name signatures carry.
    pub name: String,
    /// The Ed25519 public key.
    pub key: VerifyingKey,
    /// For a retired key, the largest tree it may have signed: the tree size when
    /// it was rotated out. A checkpoint of a larger tree signed by it is refused, so
    /// a leaked old key cannot sign the log's future. `None`: the current key.
    pub valid_until_size: Option<u64>,
}

impl TrustedKey {
    /// Of the keys that signed one checkpoint, the one whose limit is tightest (a
    /// retired key before the current one): its limit decides, whatever the order
    /// the keys were listed in.
    pub fn tightest<'a>(
        signers: impl IntoIterator<Item = &'a TrustedKey>,
    ) -> Option<&'a TrustedKey> {
        signers
            .into_iter()
            .min_by_key(|key| key.valid_until_size.unwrap_or(u64::MAX))
    }

    /// A current (not retired) key.
    pub fn current(name: String, key: VerifyingKey) -> TrustedKey {
        TrustedKey {
            name,
            key,
            valid_until_size: None,
        }
    }
}

impl Ledger {
    /// Recomputes and checks the whole ledger; see the [module docs](crate::verify).
    ///
    /// `progress(done, total)` is called now and then with the records checked so far.
    /// An `Err` means the ledger could not be read at all; damage is reported in the
    /// [`VerifyReport`].
    pub fn verify(&self, progress: &mut dyn FnMut(u64, u64)) -> Result<VerifyReport, LedgerError> {
        self.verify_with(&[], progress)
    }

    /// [`Ledger::verify`], also checking every stored checkpoint: signed by one of
    /// `keys` (with no keys, signatures are not checked, only the roots), stating a
    /// root the records give. A checkpoint of more records than the ledger holds
    /// shows a truncated tail; one whose root differs shows records changed after
    /// it was signed.
    pub fn verify_with(
        &self,
        keys: &[TrustedKey],
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<VerifyReport, LedgerError> {
        // Reading every page through the kernel's page cache copied each one (a fifth
        // of the reading thread); mapped, SQLite reads them in place. Only for this
        // one read-only pass, then back to what the connection had.
        let mapped: i64 = self
            .conn
            .query_row("PRAGMA mmap_size", [], |row| row.get(0))
            .map_err(|error| self.sqlite(error))?;
        self.conn
            .pragma_update(None, "mmap_size", VERIFY_MMAP_BYTES)
            .map_err(|error| self.sqlite(error))?;
        let report = self.verify_snapshot(keys, progress);
        let restored = self.conn.pragma_update(None, "mmap_size", mapped);
        let report = report?;
        restored.map_err(|error| self.sqlite(error))?;
        Ok(report)
    }

    /// [`Ledger::verify_with`] in one read transaction.
    fn verify_snapshot(
        &self,
        keys: &[TrustedKey],
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<VerifyReport, LedgerError> {
        let sqlite = |error| self.sqlite(error);
        let tx = self.conn.unchecked_transaction().map_err(sqlite)?;
        let total: u64 = tx
            .query_row("SELECT count(*) FROM records", [], |row| row.get(0))
            .map_err(sqlite)?;
        progress(0, total);

        let mut check = Check::default();
        // Read first: the prune records come after the records they pruned.
        let pruned_through = Ledger::pruned_through(&tx).map_err(sqlite)?;
        let mut statement = tx.prepare(records::SELECT_RECORDS).map_err(sqlite)?;
        let mut rows = statement.query([]).map_err(sqlite)?;
        let workers = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        records::for_each_record(
            workers.clamp(1, MAX_WORKERS),
            pruned_through,
            &mut |chunk| records::read_row(&mut rows, chunk).map_err(sqlite),
            &mut |seq, analysis, links| {
                check.record(seq, analysis, links);
                check.records = check.records.saturating_add(1);
                if check.records % PROGRESS_EVERY == 0 {
                    progress(check.records, total);
                }
            },
        )?;
        drop(rows);
        drop(statement);

        let mut statement = tx
            .prepare(
                "SELECT session_id, agent, cwd, first_seq, last_seq, last_hash, record_count,
                        last_prompt_seq, started_at, ended_at, last_time
                 FROM sessions ORDER BY first_seq",
            )
            .map_err(sqlite)?;
        let mut rows = statement.query([]).map_err(sqlite)?;
        let mut heads = Vec::new();
        while let Some(row) = rows.next().map_err(sqlite)? {
            heads.push(read_stored_head(row));
        }
        drop(rows);
        drop(statement);
        check.heads(heads);
        let leaves = std::mem::take(&mut check.leaves);
        let tree_size = leaves.len() as u64;
        let stored_checkpoints = self.checkpoints()?;
        let stated = checkpoints::stated(&stored_checkpoints, keys);
        let sizes: Vec<u64> = stated.iter().filter_map(|s| s.size()).collect();
        let tree = verify_tree::check(&tx, leaves, &sizes).map_err(sqlite)?;
        // A damaged record damages its leaf and every node above it: the record is
        // named already, and the tree says nothing more. The tree speaks when the
        // records look intact: a tree edited alone, or records cut from the end
        // together with their session heads.
        if check.problems.is_empty() && check.omitted == 0 {
            for (seq, message) in tree.problems {
                check.problem(seq, None, ProblemKind::MerkleTree, message);
            }
        }
        let mut checkpointed_size = None;
        for outcome in &stated {
            match checkpoints::judge(outcome, tree_size, &tree.roots_at) {
                Ok(size) => checkpointed_size = checkpointed_size.max(Some(size)),
                Err((seq, message)) => {
                    check.problem(seq, None, ProblemKind::Checkpoint, message);
                }
            }
        }
        progress(check.records, total);

        let problems_total = check.problems.len() as u64 + check.omitted;
        Ok(VerifyReport {
            ok: problems_total == 0,
            records: check.records,
            sessions: check.sessions.len() as u64,
            problems: check.problems,
            problems_omitted: check.omitted,
            pending_spooled: spool::pending_spooled(&self.path)?,
            tree_size,
            tree_root: merkle::to_hex(&tree.root),
            checkpoints: stored_checkpoints.len() as u64,
            checkpointed_size,
        })
    }
}

/// A session's chain as recomputed from its records.
#[derive(Default)]
struct Chain {
    head: Option<Head>,
    /// The session's first record was pruned: its working directory is gone.
    cwd_unknown: bool,
    /// tool_use_id -> the latest PreToolUse with it.
    pre_records: HashMap<String, u64, RandomState>,
}

#[derive(Default)]
struct Check {
    records: u64,
    /// The last seq seen, to find gaps.
    last_seq: i64,
    /// Missing seq ranges, in order.
    gaps: Vec<(u64, u64)>,
    /// Keyed with a fast hasher (seeded per process): both maps are looked up or
    /// grown once per record, and SipHash was a tenth of the in-order thread.
    sessions: HashMap<String, Chain, RandomState>,
    problems: Vec<Problem>,
    omitted: u64,
    /// The Merkle leaf of every record's stored body, in `seq` order.
    leaves: Vec<Hash>,
}

/// A stored session head, or what made it unreadable.
type StoredHead = Result<(String, Head), String>;

impl Check {
    fn problem(
        &mut self,
        seq: Option<u64>,
        session_id: Option<&str>,
        kind: ProblemKind,
        message: String,
    ) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(Problem {
                seq,
                session_id: session_id.map(str::to_owned),
                kind,
                message,
            });
        } else {
            self.omitted = self.omitted.saturating_add(1);
        }
    }

    /// One record, in `seq` order: `row_seq` is its row's `seq` column (if an
    /// integer), `analysis` what checking it alone found ([`records`]).
    fn record(
        &mut self,
        row_seq: Option<i64>,
        analysis: Option<records::Analysis>,
        links: &records::Links,
    ) {
        let Some(row_seq) = row_seq else {
            self.problem(
                None,
                None,
                ProblemKind::BadBody,
                "a record has no integer seq".into(),
            );
            return;
        };
        self.gap_before(row_seq);
        let (Ok(seq), Some(analysis)) = (u64::try_from(row_seq), analysis) else {
            return; // reported by gap_before
        };
        self.leaves.push(analysis.leaf);
        for found in analysis.problems {
            self.problem(
                Some(seq),
                found.session.as_deref(),
                found.kind,
                found.message,
            );
        }
        if let Some(link) = &analysis.link {
            self.chain(seq, &links.view(link));
        }
    }

    /// Reports the seqs missing before `seq`.
    fn gap_before(&mut self, seq: i64) {
        let expected = self.last_seq.saturating_add(1);
        if seq > expected {
            let (first, last) = (
                expected.unsigned_abs(),
                seq.saturating_sub(1).unsigned_abs(),
            );
            let message = if first == last {
                format!("record {first} is missing (deleted?)")
            } else {
                format!("records {first} to {last} are missing (deleted?)")
            };
            self.gaps.push((first, last));
            self.problem(Some(first), None, ProblemKind::Missing, message);
        } else if seq < expected {
            let message = format!("a record has seq {seq}; sequence numbers start at 1");
            self.problem(None, None, ProblemKind::SeqMismatch, message);
        }
        self.last_seq = self.last_seq.max(seq);
    }

    /// The record must continue its session's chain as the append rules say.
    fn chain(&mut self, seq: u64, found: &records::LinkView<'_>) {
        let session_id = found.session_id;
        let event = found.event;
        // One lookup for a session seen before (its id is copied once, when new);
        // its problems wait in `found_problems` while the chain is borrowed.
        let chain = match self.sessions.get_mut(session_id) {
            Some(chain) => chain,
            None => self.sessions.entry(session_id.to_owned()).or_default(),
        };
        let mut found_problems: Vec<(ProblemKind, String)> = Vec::new();
        let pre_record = match (found.tool_use_id, answers_pre(event)) {
            (Some(tool_use_id), true) => chain.pre_records.get(tool_use_id).copied(),
            _ => None,
        };
        let expected = reference(chain.head.as_ref(), event, seq, pre_record);
        let session = Some(session_id);
        if found.pruned && chain.head.is_none() {
            chain.cwd_unknown = true;
        }

        if found.session_seq != expected.session_seq {
            let message = format!(
                "record {seq}: it is number {} of session `{session_id}`, but the session's \
                 previous record found is number {} (a record missing or moved?)",
                found.session_seq,
                expected.session_seq.saturating_sub(1)
            );
            found_problems.push((ProblemKind::SessionSeq, message));
        }
        // A pruned record's own links went with its body; the next record's
        // `prev_hash` still names its stored hash.
        if !found.pruned && found.prev_hash != expected.prev_hash.as_deref() {
            let message = match &chain.head {
                Some(head) => format!(
                    "record {seq}: prev_hash does not match the content of record {}, the \
                     previous record of session `{session_id}` (that record edited or deleted?)",
                    head.last_seq
                ),
                None => format!(
                    "record {seq}: prev_hash names a previous record, but it is the first record \
                     found of session `{session_id}` (earlier records deleted?)"
                ),
            };
            found_problems.push((ProblemKind::ChainBroken, message));
        }
        let links = if found.pruned {
            Vec::new()
        } else {
            vec![
                ("pre_record", found.pre_record, expected.pre_record),
                ("intent", found.intent, expected.intent),
            ]
        };
        for (field, found, expected) in links {
            if found == expected {
                continue;
            }
            let message = match found {
                Some(target) if target >= seq || is_missing(&self.gaps, target) => {
                    format!("record {seq}: {field} points to record {target}, which does not exist")
                }
                _ => format!(
                    "record {seq}: {field} is {} but the ledger gives {}",
                    shown_seq(found),
                    shown_seq(expected)
                ),
            };
            found_problems.push((ProblemKind::BadLink, message));
        }

        let fields = Fields {
            time: found.time,
            agent: found.agent,
            cwd: found.cwd,
        };
        let mut head = advance(chain.head.take(), &fields, event, seq, found.hash);
        // Follow the record's own numbering, so one missing record is reported once,
        // not again for every later record of the session.
        head.record_count = found.session_seq;
        chain.head = Some(head);
        if let (EventKind::PreToolUse, Some(tool_use_id)) = (event, found.tool_use_id) {
            chain.pre_records.insert(tool_use_id.to_owned(), seq);
        }
        for (kind, message) in found_problems {
            self.problem(Some(seq), session, kind, message);
        }
    }

    /// Every stored session head must agree with the session's records, and every
    /// session with records must have a head.
    fn heads(&mut self, stored: Vec<StoredHead>) {
        let mut seen = HashSet::new();
        for entry in stored {
            match entry {
                Ok((session_id, stored)) => {
                    self.head(&session_id, &stored);
                    seen.insert(session_id);
                }
                Err(message) => self.problem(None, None, ProblemKind::SessionHead, message),
            }
        }
        let mut headless: Vec<(u64, String)> = self
            .sessions
            .iter()
            .filter(|(session_id, _)| !seen.contains(*session_id))
            .map(|(session_id, chain)| {
                let first = chain.head.as_ref().map_or(0, |head| head.first_seq);
                (first, session_id.clone())
            })
            .collect();
        headless.sort();
        for (first_seq, session_id) in headless {
            let message = format!(
                "session `{session_id}` has records (the first is {first_seq}) but no head in \
                 `sessions` (head deleted?)"
            );
            let session = Some(session_id.as_str());
            self.problem(Some(first_seq), session, ProblemKind::SessionHead, message);
        }
    }

    fn head(&mut self, session_id: &str, stored: &Head) {
        let session = Some(session_id);
        let seq = Some(stored.last_seq);
        let cwd_unknown = self
            .sessions
            .get(session_id)
            .is_some_and(|chain| chain.cwd_unknown);
        let Some(computed) = self
            .sessions
            .get(session_id)
            .and_then(|chain| chain.head.clone())
        else {
            let message = format!(
                "session `{session_id}`: its head names record {} but the session has no \
                 records (records deleted?)",
                stored.last_seq
            );
            self.problem(seq, session, ProblemKind::SessionHead, message);
            return;
        };
        // A missing tail changes the other head fields too; report only the cause.
        if stored.last_seq != computed.last_seq || stored.record_count != computed.record_count {
            let message = format!(
                "session `{session_id}`: its head says the last record is {} (number {}), but \
                 the last record found is {} (number {}) (the session's last records deleted?)",
                stored.last_seq, stored.record_count, computed.last_seq, computed.record_count
            );
            self.problem(seq, session, ProblemKind::SessionHead, message);
            return;
        }
        if stored.last_hash != computed.last_hash {
            let message = format!(
                "session `{session_id}`: its head hash does not match the content of record {} \
                 (record or head edited?)",
                stored.last_seq
            );
            self.problem(seq, session, ProblemKind::SessionHead, message);
        }
        let fields = [
            ("agent", stored.agent == computed.agent),
            ("cwd", stored.cwd == computed.cwd || cwd_unknown),
            ("first_seq", stored.first_seq == computed.first_seq),
            (
                "last_prompt_seq",
                stored.last_prompt_seq == computed.last_prompt_seq,
            ),
            ("started_at", stored.started_at == computed.started_at),
            ("ended_at", stored.ended_at == computed.ended_at),
            ("last_time", stored.last_time == computed.last_time),
        ];
        let wrong: Vec<&str> = fields
            .iter()
            .filter(|(_, same)| !same)
            .map(|(name, _)| *name)
            .collect();
        if !wrong.is_empty() {
            let message = format!(
                "session `{session_id}`: its head does not match its records in {} (head edited?)",
                wrong.join(", ")
            );
            self.problem(seq, session, ProblemKind::SessionHead, message);
        }
    }
}

fn read_stored_head(row: &Row<'_>) -> StoredHead {
    let session_id = text(row, 0).ok_or("a session head has no session id")?;
    let number = |index| integer(row, index).and_then(|value| u64::try_from(value).ok());
    let unreadable = || format!("session `{session_id}`: its head is not readable (head edited?)");
    Ok((
        session_id.clone(),
        Head {
            agent: text(row, 1).unwrap_or_default(),
            cwd: text(row, 2).unwrap_or_default(),
            first_seq: number(3).ok_or_else(unreadable)?,
            last_seq: number(4).ok_or_else(unreadable)?,
            last_hash: text(row, 5).unwrap_or_default(),
            record_count: number(6).ok_or_else(unreadable)?,
            last_prompt_seq: number(7),
            started_at: text(row, 8),
            ended_at: text(row, 9),
            last_time: text(row, 10).unwrap_or_default(),
        },
    ))
}

/// A column as text, whatever its storage class (a hand edit may change it).
fn text(row: &Row<'_>, index: usize) -> Option<String> {
    match row.get_ref(index).ok()? {
        ValueRef::Null => None,
        ValueRef::Integer(value) => Some(value.to_string()),
        ValueRef::Real(value) => Some(value.to_string()),
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => {
            Some(String::from_utf8_lossy(bytes).into_owned())
        }
    }
}

fn integer(row: &Row<'_>, index: usize) -> Option<i64> {
    match row.get_ref(index).ok()? {
        ValueRef::Integer(value) => Some(value),
        _ => None,
    }
}

/// Whether `seq` is in one of the missing ranges `gaps` (in order).
fn is_missing(gaps: &[(u64, u64)], seq: u64) -> bool {
    let index = gaps.partition_point(|&(_, last)| last < seq);
    gaps.get(index)
        .is_some_and(|&(first, last)| first <= seq && seq <= last)
}

fn shown(value: Option<&str>) -> String {
    value.map_or_else(|| "nothing".to_owned(), |value| format!("`{value}`"))
}

fn shown_seq(value: Option<u64>) -> String {
    value.map_or_else(|| "none".to_owned(), |seq| seq.to_string())
}
