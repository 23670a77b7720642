//! The SQLite store: opening a ledger and appending records to it.
//!
//! The hook is a short-lived process that opens the ledger, appends one record and
//! exits, on every tool call of every agent, so the open + append + close round trip
//! is the hot path. What it costs, and why, is in [`OpenOptions`]. Reading is in
//! [`crate::query`], checking in [`crate::verify`], the spool in [`crate::spool`].

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{
    Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior, params,
};
use serde::Serialize;
use ward_core::EventKind;

use crate::hash::{canonical_of, sha256_hex};
use crate::merkle::{self, Frontier, Hash};
use crate::record::{Record, Reference};
use crate::{LedgerError, schema, spool};

/// How a ledger connection is set up.
///
/// # Why these defaults
///
/// The hook opens the ledger, appends one record and exits, so what matters is the
/// whole open + append + close. Measured on the project's 2-core ext4 VM while it was
/// quiet, a fresh connection per record (`cargo bench -p ward-ledger`, criterion
/// means, a warm ledger of 2000+ records in four sessions):
///
/// | configuration                                              | open + append + close | append, open ledger |
/// |------------------------------------------------------------|-----------------------|---------------------|
/// | SQLite's defaults: checkpoint on close (`FULL`)            | 1.5–1.7 ms ¹          |                     |
/// | no checkpoint on close, SQLite's checkpoint only (`FULL`)  | 19–20 ms, growing     |                     |
/// | no checkpoint on close, truncate past 16 pages (`FULL`)    | 1.40 ms               |                     |
/// | no checkpoint on close, truncate past 256 pages (`FULL`)   | 1.18–1.43 ms          |                     |
/// | **no checkpoint on close, truncate past 64 pages, `FULL`** | **1.15–1.23 ms** (0.95 ¹) | 0.66–0.68 ms    |
/// | no checkpoint on close, truncate past 64 pages, `NORMAL`   | 0.86–0.97 ms (0.72 ¹) | 0.42–0.43 ms        |
///
/// Ranges are two runs. ¹ A phase-timing probe with a smaller record (means of
/// 300-append runs, repeated). A record is about 5.6 WAL pages; an fsync costs
/// 0.3–0.8 ms here, and several times that while other builds write to the disk.
///
/// * When the last connection to a WAL database closes, SQLite checkpoints it and
///   deletes the WAL, with fsyncs; a hook is usually that last connection. We turn
///   that off (`SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE`).
/// * Then the WAL must be bounded some other way, because the first connection to
///   open a database rebuilds the WAL index by reading the whole WAL. SQLite's own
///   automatic checkpoint does not do it: it is PASSIVE, so it copies the WAL into
///   the database but leaves restarting the WAL to the same connection's next write,
///   and the next process, rebuilding the index, no longer knows that the WAL was
///   copied. The WAL grows forever and every open gets slower (the 19 ms row, after a
///   few thousand appends). So after each append, when the WAL holds more than
///   [`OpenOptions::checkpoint_pages`] pages (one `stat`), the ledger runs
///   `wal_checkpoint(TRUNCATE)`, which empties it (about 2 ms, once every ~11 appends
///   at 64 pages). 16 pages checkpoints too often; 256 measured the same as 64
///   within the noise (fewer checkpoints, but every open replays more WAL), and 64
///   keeps the hook that happens to pay for a checkpoint cheaper.
/// * `synchronous = FULL` fsyncs the WAL at every commit, so a committed record
///   survives a power cut; `NORMAL` fsyncs only at checkpoints (the last records can
///   be lost on power failure, never when a process crashes). FULL costs about
///   0.3 ms per record here, leaving the round trip at 1.0–1.2 ms, and an audit
///   log should not lose records it has acknowledged, so it is the default; `NORMAL` is
///   there for callers that prefer the speed.
/// * What is left of the open is SQLite setting up the shared-memory WAL index for
///   the first connection (~0.15 ms of truncating and faulting in the `-shm` file on
///   ext4) and reading the schema. A long-lived connection held by another process
///   (e.g. `ward serve`) makes that, and the checkpoints, cheaper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenOptions {
    /// How long to wait for another writer before giving up (default 5 s).
    pub busy_timeout: Duration,
    /// When SQLite fsyncs (default [`Synchronous::Full`]).
    pub synchronous: Synchronous,
    /// After an append, when the WAL holds more than this many pages, checkpoint it
    /// into the database and truncate it (default 64; 0 leaves it to SQLite's own
    /// PASSIVE checkpoint at 1000 pages, which does not bound the WAL for short-lived
    /// connections; see above).
    pub checkpoint_pages: u32,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self {
            busy_timeout: Duration::from_secs(5),
            synchronous: Synchronous::Full,
            checkpoint_pages: 64,
        }
    }
}

/// SQLite's `PRAGMA synchronous`, in WAL mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synchronous {
    /// fsync the WAL at every commit: a committed record survives a power cut.
    Full,
    /// fsync only at checkpoints: the last records can be lost on power failure.
    Normal,
}

impl Synchronous {
    fn pragma(self) -> &'static str {
        match self {
            Synchronous::Full => "FULL",
            Synchronous::Normal => "NORMAL",
        }
    }
}

/// Where an appended record landed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Appended {
    /// Its global sequence number.
    pub seq: u64,
    /// Its sequence number in its session.
    pub session_seq: u64,
    /// Its hash (hex SHA-256 of its canonical JSON).
    pub hash: String,
}

/// What [`append_or_spool`] did with a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// The record is committed to the ledger.
    Committed(Appended),
    /// The ledger could not take it; it waits in the spool file.
    Spooled {
        /// Why the ledger could not take it.
        reason: String,
    },
    /// The record is durable in the journal (the spool), in order; the ledger takes it
    /// with the next batch ([`append_queued`]).
    Queued {
        /// Whether this call also moved the journal into the ledger.
        ingested: bool,
        /// Whether the journal has grown past [`JOURNAL_BATCH_BYTES`] and should be
        /// moved into the ledger soon (by [`Ledger::ingest_pending`], off the hook's
        /// path).
        ingest_due: bool,
    },
}

/// How often [`Ledger::ingest_pending`] goes round when other ingests keep replacing
/// the spool under it.
const MAX_INGEST_ROUNDS: usize = 4;

/// The reason written on journal lines that wait for the next batch.
const QUEUED: &str = "queued for the next batch";

/// Once the journal holds this many bytes (a few dozen records), the hook that adds
/// to it also moves it into the ledger.
pub const JOURNAL_BATCH_BYTES: u64 = 32 * 1024;

/// An open ledger: one SQLite connection.
#[derive(Debug)]
pub struct Ledger {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
    pub(crate) spool_path: PathBuf,
    pub(crate) wal_path: PathBuf,
    pub(crate) options: OpenOptions,
}

impl Ledger {
    /// Opens the ledger at `path` with the default options, creating it if missing.
    pub fn open(path: &Path) -> Result<Ledger, LedgerError> {
        Ledger::open_with(path, OpenOptions::default())
    }

    /// Opens the ledger at `path`, creating it if missing.
    ///
    /// A new (or empty) file gets the schema; an older one is migrated; a file with a
    /// newer schema is refused with [`LedgerError::SchemaTooNew`]. Otherwise opening
    /// reads `PRAGMA user_version` and nothing more.
    pub fn open_with(path: &Path, options: OpenOptions) -> Result<Ledger, LedgerError> {
        let sqlite = |error| LedgerError::from_sqlite(path, options.busy_timeout, error);
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn =
            Connection::open_with_flags(path, flags).map_err(|source| LedgerError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        conn.busy_timeout(options.busy_timeout).map_err(sqlite)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
            .map_err(sqlite)?;
        conn.execute_batch(&format!(
            "PRAGMA synchronous = {};",
            options.synchronous.pragma()
        ))
        .map_err(sqlite)?;
        // SQLite answers SQLITE_BUSY at once, without its busy handler, when it
        // cannot wait safely: switching a new file to WAL while another connection
        // does the same, or reading a WAL another connection is still creating.
        // Those races end in microseconds, so the first opens of one file are
        // retried here until the busy timeout.
        let started = std::time::Instant::now();
        loop {
            match schema::prepare(&mut conn, path, options.busy_timeout) {
                Err(LedgerError::Busy { .. }) if started.elapsed() < options.busy_timeout => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                other => break other?,
            }
        }
        Ok(Ledger {
            conn,
            path: path.to_path_buf(),
            spool_path: spool::spool_path(path),
            wal_path: spool::with_suffix(path, "-wal"),
            options,
        })
    }

    /// The database path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record and commits it before returning.
    ///
    /// In one `BEGIN IMMEDIATE` transaction: first ingests any spooled records, then
    /// fills in `record.reference` (global and session sequence numbers, the previous
    /// hash of the session, the pre record an outcome answers, the prompt behind it),
    /// stores the record's canonical JSON and hash, and moves the session head.
    pub fn append(&mut self, record: Record) -> Result<Appended, LedgerError> {
        let mut record = record;
        self.append_mut(&mut record)
    }

    /// [`Ledger::append`] without taking the record, so a failed append can spool it.
    pub(crate) fn append_mut(&mut self, record: &mut Record) -> Result<Appended, LedgerError> {
        self.write(|tx, context| insert_record(tx, record, context))
    }

    /// Appends many records in one transaction (imports, benchmarks): each is
    /// chained, hashed and added to the Merkle tree exactly as [`Ledger::append`]
    /// would, in order, and all are committed together or not at all.
    ///
    /// Unlike the other writes it leaves the WAL as it is (SQLite's own checkpoint
    /// still copies it into the database every 1000 pages): a batch writes hundreds
    /// of pages, so truncating after each one made the next batch grow the file
    /// again, block by block, and cost a fifth of the throughput
    /// (`cargo bench -p ward-ledger --bench tree`). [`Ledger::close`], or the next
    /// single append, truncates it.
    pub fn append_all(&mut self, records: Vec<Record>) -> Result<Vec<Appended>, LedgerError> {
        self.write_unbounded(|tx, context| {
            records
                .into_iter()
                .map(|mut record| insert_record(tx, &mut record, context))
                .collect()
        })
    }

    /// Runs `insert` in one write transaction, after the spool's waiting records,
    /// and commits.
    fn write<T>(
        &mut self,
        insert: impl FnOnce(&Connection, &Context<'_>) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError> {
        let inserted = self.write_unbounded(insert)?;
        self.bound_wal();
        Ok(inserted)
    }

    /// [`Ledger::write`] without bounding the WAL afterwards.
    fn write_unbounded<T>(
        &mut self,
        insert: impl FnOnce(&Connection, &Context<'_>) -> Result<T, LedgerError>,
    ) -> Result<T, LedgerError> {
        let context = Context::new(&self.path, self.options.busy_timeout);
        // IMMEDIATE: the chain head is read and written in one write transaction. A
        // deferred transaction that reads and then writes cannot wait for the lock
        // (SQLITE_BUSY at once, whatever the busy timeout).
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|error| context.sqlite(error))?;
        let ingested = spool::ingest(&tx, &self.spool_path, &context)?;
        let inserted = insert(&tx, &context)?;
        context.commit(tx)?;
        if let Some(ingested) = ingested {
            // The spooled lines are committed and their hashes recorded, so if the
            // truncation fails they are skipped next time; the record is safe either way.
            let _compacted = ingested.compact();
        }
        Ok(inserted)
    }

    /// Moves every record waiting in the spool into the ledger, in order, in one write
    /// transaction. Readers call this first, so that what they show is complete.
    pub fn ingest_pending(&mut self) -> Result<(), LedgerError> {
        // Another ingest may replace the spool between this one's read and its
        // compaction (it compacted first); the replacement then starts with lines this
        // ingest already took. Going round again skips them (by their hashes) and
        // compacts the new file, so what stays in the spool is only what waits.
        for _ in 0..MAX_INGEST_ROUNDS {
            match std::fs::metadata(&self.spool_path) {
                Ok(metadata) if metadata.len() > 0 => {}
                _ => break,
            }
            // One context per transaction: what it caches (the last seq, the heads,
            // the tree's edge) is only true until the transaction ends, and other
            // processes write between rounds.
            let context = Context::new(&self.path, self.options.busy_timeout);
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|error| context.sqlite(error))?;
            let ingested = spool::ingest(&tx, &self.spool_path, &context)?;
            context.commit(tx)?;
            match ingested.map(spool::Ingested::compact) {
                Some(Ok(false)) => continue,
                _ => break,
            }
        }
        self.bound_wal();
        Ok(())
    }

    /// Checkpoints and truncates the WAL once it holds more than
    /// [`OpenOptions::checkpoint_pages`] pages.
    ///
    /// SQLite's own automatic checkpoint (PASSIVE) copies the WAL into the database but
    /// leaves it to the connection's *next* write to start the WAL over; a hook closes
    /// first, and the next process to open the database rebuilds the WAL index from
    /// the whole WAL with "nothing checkpointed yet". So the WAL never restarts, and
    /// every open and every checkpoint gets slower. TRUNCATE empties it.
    ///
    /// It does not wait: if another connection is reading or writing, the checkpoint
    /// gives up (at once, not after the busy timeout) and a later append does it. Its
    /// errors are ignored for the same reason; the record is already committed.
    pub(crate) fn bound_wal(&self) {
        if self.options.checkpoint_pages == 0 {
            return;
        }
        let limit = u64::from(self.options.checkpoint_pages).saturating_mul(WAL_FRAME_BYTES);
        match std::fs::metadata(&self.wal_path) {
            Ok(metadata) if metadata.len() > limit => {}
            _ => return,
        }
        if self.conn.busy_timeout(Duration::ZERO).is_ok() {
            let _checkpointed = self
                .conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
        let _restored = self.conn.busy_timeout(self.options.busy_timeout);
    }

    /// Checkpoints the WAL into the database and truncates it (for maintenance, e.g.
    /// before a backup; appends keep the WAL small on their own).
    pub fn checkpoint(&self) -> Result<(), LedgerError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(|error| self.sqlite(error))
    }

    /// Closes the connection, reporting an error that dropping would hide.
    ///
    /// First bounds the WAL as an append does, for what [`Ledger::append_all`] left.
    pub fn close(self) -> Result<(), LedgerError> {
        self.bound_wal();
        let Ledger {
            conn,
            path,
            options,
            ..
        } = self;
        conn.close()
            .map_err(|(_, error)| LedgerError::from_sqlite(&path, options.busy_timeout, error))
    }

    pub(crate) fn sqlite(&self, error: rusqlite::Error) -> LedgerError {
        LedgerError::from_sqlite(&self.path, self.options.busy_timeout, error)
    }
}

/// The hook's write path: group commit through the journal.
///
/// Opening SQLite costs a short-lived process far more than the record itself: the
/// WAL index is rebuilt, the schema parsed, and the commit fsynced — about 2.5 ms per
/// hook on the project's VM, more than the whole latency budget. So the hook appends
/// the record to the journal (the spool) and `fdatasync`s it, which makes it durable
/// in ~0.2 ms. When `flush` is set (a session ends) it then moves the whole journal
/// into the ledger in one transaction; when the journal has grown past
/// [`JOURNAL_BATCH_BYTES`] it says so (`ingest_due`), so that the caller can have it
/// moved without making the agent wait (an ingest of a few dozen records takes
/// several milliseconds). The chain fields are filled in then, in journal order, which is the
/// order the hooks wrote in. Readers ingest the journal before they read, and
/// `verify` counts what still waits. An ingest that fails leaves the records safe in
/// the journal for the next one.
///
/// If the journal cannot be written, the record goes straight into the ledger;
/// `Err` only when neither can take it.
pub fn append_queued(
    db_path: &Path,
    options: OpenOptions,
    record: Record,
    flush: bool,
) -> Result<Stored, LedgerError> {
    let mut record = record;
    record.reference = Reference::default();
    let journal = spool::spool_path(db_path);
    match spool::write_line(&journal, &record, QUEUED) {
        Ok(_) if flush => {
            let ingested = Ledger::open_with(db_path, options)
                .and_then(|mut ledger| ledger.ingest_pending())
                .is_ok();
            Ok(Stored::Queued {
                ingested,
                ingest_due: !ingested,
            })
        }
        Ok(length) => Ok(Stored::Queued {
            ingested: false,
            ingest_due: length >= JOURNAL_BATCH_BYTES,
        }),
        Err(source) => match Ledger::open_with(db_path, options)
            .and_then(|mut ledger| ledger.append_mut(&mut record))
        {
            Ok(appended) => Ok(Stored::Committed(appended)),
            Err(error) => Err(LedgerError::Unrecorded {
                ledger: Box::new(error),
                spool: journal,
                source,
            }),
        },
    }
}

/// Opens the ledger and appends `record`; if that fails for any reason (locked past
/// the timeout, disk full, corrupt, cannot open, newer schema), writes the record to
/// the spool file instead, to be ingested by a later append.
///
/// Returns `Err` only when the spool cannot be written either.
pub fn append_or_spool(
    db_path: &Path,
    options: OpenOptions,
    record: Record,
) -> Result<Stored, LedgerError> {
    let mut record = record;
    let error = match Ledger::open_with(db_path, options)
        .and_then(|mut ledger| ledger.append_mut(&mut record))
    {
        Ok(appended) => return Ok(Stored::Committed(appended)),
        Err(error) => error,
    };
    // The ledger fills the reference in when it ingests the line.
    record.reference = Reference::default();
    let reason = error.to_string();
    match spool::write_line(&spool::spool_path(db_path), &record, &reason) {
        Ok(_) => Ok(Stored::Spooled { reason }),
        Err(source) => Err(LedgerError::Unrecorded {
            ledger: Box::new(error),
            spool: spool::spool_path(db_path),
            source,
        }),
    }
}

/// The size of one WAL frame: a 24-byte header and a page (4096 bytes, SQLite's
/// default page size, which the ledger keeps).
const WAL_FRAME_BYTES: u64 = 24 + 4096;

/// What one write transaction carries: what SQLite errors need to become
/// [`LedgerError`]s, and what the transaction's inserts have read or written so far,
/// so that a batch reads the tree's edge, the last `seq` and each session head once,
/// not once per record, and writes each head and the tree's new nodes once, at the
/// end ([`Context::commit`]), not once per record.
pub(crate) struct Context<'a> {
    pub(crate) path: &'a Path,
    pub(crate) busy_timeout: Duration,
    frontier: RefCell<Option<Frontier>>,
    /// The last `seq` this transaction wrote.
    last_seq: Cell<Option<u64>>,
    /// Every session head this transaction read or moved, as it now is; written to
    /// `sessions` at commit.
    heads: RefCell<HashMap<String, Head>>,
    /// Merkle nodes completed by this transaction's records, not yet written.
    nodes: RefCell<Vec<(u32, u64, Hash)>>,
}

impl<'a> Context<'a> {
    /// A context for one write transaction: what it caches is only valid inside
    /// it, so it must never outlive the transaction; [`Context::commit`] takes both.
    pub(crate) fn new(path: &'a Path, busy_timeout: Duration) -> Context<'a> {
        Context {
            path,
            busy_timeout,
            frontier: RefCell::new(None),
            last_seq: Cell::new(None),
            heads: RefCell::new(HashMap::new()),
            nodes: RefCell::new(Vec::new()),
        }
    }

    pub(crate) fn sqlite(&self, error: rusqlite::Error) -> LedgerError {
        LedgerError::from_sqlite(self.path, self.busy_timeout, error)
    }

    /// Writes what the transaction's inserts left pending (session heads, Merkle
    /// nodes) and commits it. The context ends with its transaction.
    pub(crate) fn commit(self, tx: Transaction<'_>) -> Result<(), LedgerError> {
        let sqlite = |error| self.sqlite(error);
        self.write_nodes(&tx).map_err(sqlite)?;
        for (session_id, head) in self.heads.borrow().iter() {
            write_head(&tx, session_id, head).map_err(sqlite)?;
        }
        tx.commit().map_err(sqlite)
    }

    /// Writes the pending Merkle nodes, in key order (each insert lands next to the
    /// last) and [`NODES_PER_INSERT`] rows per statement.
    fn write_nodes(&self, conn: &Connection) -> rusqlite::Result<()> {
        let mut nodes = self.nodes.borrow_mut();
        nodes.sort_unstable_by_key(|&(level, index, _)| (level, index));
        let mut chunks = nodes.chunks_exact(NODES_PER_INSERT);
        if chunks.len() > 0 {
            let mut insert = conn.prepare_cached(&insert_nodes_sql(NODES_PER_INSERT))?;
            for chunk in &mut chunks {
                for (at, (level, index, hash)) in chunk.iter().enumerate() {
                    insert.raw_bind_parameter(3 * at + 1, level)?;
                    insert.raw_bind_parameter(3 * at + 2, index)?;
                    insert.raw_bind_parameter(3 * at + 3, &hash[..])?;
                }
                insert.raw_execute()?;
            }
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut insert = conn.prepare_cached(&insert_nodes_sql(1))?;
            for (level, index, hash) in rest {
                insert.execute(params![level, index, &hash[..]])?;
            }
        }
        nodes.clear();
        Ok(())
    }
}

/// How many Merkle nodes one `INSERT` statement writes (a batch adds about two
/// per record); far below SQLite's limit of 32766 parameters.
const NODES_PER_INSERT: usize = 64;

/// `INSERT INTO merkle_nodes ... VALUES (?, ?, ?), ...` for `rows` rows.
fn insert_nodes_sql(rows: usize) -> String {
    let mut sql = String::from("INSERT INTO merkle_nodes (level, idx, hash) VALUES ");
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!(
            "(?{}, ?{}, ?{})",
            3 * row + 1,
            3 * row + 2,
            3 * row + 3
        ));
    }
    sql
}

/// The head of a session's chain, as the `sessions` table holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Head {
    pub(crate) agent: String,
    pub(crate) cwd: String,
    pub(crate) first_seq: u64,
    pub(crate) last_seq: u64,
    pub(crate) last_hash: String,
    pub(crate) record_count: u64,
    pub(crate) last_prompt_seq: Option<u64>,
    pub(crate) started_at: Option<String>,
    pub(crate) ended_at: Option<String>,
    pub(crate) last_time: String,
}

/// Whether an event answers a `PreToolUse` (and so links to it by `tool_use_id`).
pub(crate) fn answers_pre(event: &EventKind) -> bool {
    matches!(
        event,
        EventKind::PostToolUse | EventKind::PostToolUseFailure | EventKind::PermissionDenied
    )
}

/// The reference of the record that follows `head`, given the pre record it answers.
///
/// [`crate::verify`] recomputes references with this same function.
pub(crate) fn reference(
    head: Option<&Head>,
    event: &EventKind,
    seq: u64,
    pre_record: Option<u64>,
) -> Reference {
    Reference {
        seq,
        session_seq: head.map_or(1, |head| head.record_count.saturating_add(1)),
        prev_hash: head.map(|head| head.last_hash.clone()),
        pre_record,
        intent: match event {
            EventKind::UserPromptSubmit => None,
            _ => head.and_then(|head| head.last_prompt_seq),
        },
    }
}

/// What a session head takes from a record besides its place and hash.
pub(crate) struct Fields<'a> {
    pub(crate) time: &'a str,
    pub(crate) agent: &'a str,
    pub(crate) cwd: &'a str,
}

impl<'a> Fields<'a> {
    pub(crate) fn of(record: &'a Record) -> Fields<'a> {
        Fields {
            time: &record.time,
            agent: &record.role.agent,
            cwd: &record.request.cwd,
        }
    }
}

/// The session head after a record (its `fields`), stored as record `seq` with
/// `hash`.
///
/// The first record fixes the session's agent and cwd. The first `SessionStart` sets
/// `started_at`; a `SessionEnd` sets `ended_at`, and a later `SessionStart` (a resumed
/// session) clears it again.
pub(crate) fn advance(
    head: Option<Head>,
    fields: &Fields<'_>,
    event: &EventKind,
    seq: u64,
    hash: &str,
) -> Head {
    let time = fields.time;
    let mut head = head.unwrap_or_else(|| Head {
        agent: fields.agent.to_owned(),
        cwd: fields.cwd.to_owned(),
        first_seq: seq,
        last_seq: seq,
        last_hash: String::new(),
        record_count: 0,
        last_prompt_seq: None,
        started_at: None,
        ended_at: None,
        last_time: String::new(),
    });
    head.last_seq = seq;
    hash.clone_into(&mut head.last_hash);
    head.record_count = head.record_count.saturating_add(1);
    time.clone_into(&mut head.last_time);
    match event {
        EventKind::UserPromptSubmit => head.last_prompt_seq = Some(seq),
        EventKind::SessionStart => {
            head.started_at.get_or_insert_with(|| time.to_owned());
            head.ended_at = None;
        }
        EventKind::SessionEnd => head.ended_at = Some(time.to_owned()),
        _ => {}
    }
    head
}

/// Fills in `record.reference`, inserts the record and moves its session head, inside
/// the caller's write transaction.
///
/// Everything that can fail because of the record itself (serialising,
/// canonicalising) happens before the first write, so such a failure leaves the
/// transaction untouched (the spool relies on this to reject a bad line alone).
pub(crate) fn insert_record(
    conn: &Connection,
    record: &mut Record,
    context: &Context<'_>,
) -> Result<Appended, LedgerError> {
    let sqlite = |error| context.sqlite(error);
    let event = EventKind::parse(&record.request.event);
    let session_id = record.role.session_id.as_str();

    let last_seq = match context.last_seq.get() {
        Some(seq) => seq,
        None => conn
            .prepare_cached("SELECT max(seq) FROM records")
            .and_then(|mut statement| statement.query_row([], |row| row.get::<_, Option<u64>>(0)))
            .map_err(sqlite)?
            .unwrap_or(0),
    };
    let seq = last_seq
        .checked_add(1)
        .ok_or(LedgerError::Internal("sequence number overflow"))?;
    let mut heads = context.heads.borrow_mut();
    if !heads.contains_key(session_id)
        && let Some(head) = read_head(conn, session_id).map_err(sqlite)?
    {
        heads.insert(session_id.to_owned(), head);
    }
    let pre_record = match (&record.request.tool_use_id, answers_pre(&event)) {
        (Some(tool_use_id), true) => conn
            // `+session_id`: look up by `records_pre` (the id, among `PreToolUse`
            // records), not by the session's records, which may be many.
            .prepare_cached(
                "SELECT max(seq) FROM records
                 WHERE tool_use_id = ?2 AND event = 'PreToolUse' AND +session_id = ?1",
            )
            .and_then(|mut statement| {
                statement.query_row(params![session_id, tool_use_id], |row| row.get(0))
            })
            .map_err(sqlite)?,
        _ => None,
    };
    record.reference = reference(heads.get(session_id), &event, seq, pre_record);
    let body = canonical_of(&*record)?;
    let hash = sha256_hex(body.as_bytes());
    // Nothing below fails because of the record; a failure below is SQLite's, and
    // the caller rolls the whole transaction (and this context) back.
    let head = advance(
        heads.remove(session_id),
        &Fields::of(record),
        &event,
        seq,
        &hash,
    );
    // Taken out of the context while it is written: if a write fails the cache is
    // left empty and the next insert reads the tree's edge again.
    let mut frontier = match context.frontier.borrow_mut().take() {
        Some(frontier) if frontier.size() == seq - 1 => frontier,
        _ => {
            context.write_nodes(conn).map_err(sqlite)?;
            Frontier::load(&SqliteNodes(conn), seq - 1).map_err(sqlite)?
        }
    };

    conn.prepare_cached(
        "INSERT INTO records (seq, session_id, session_seq, time, event, tool, category,
             decision, agent, subagent_id, subagent_type, tool_use_id, body, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )
    .and_then(|mut statement| {
        statement.execute(params![
            seq,
            session_id,
            record.reference.session_seq,
            record.time,
            record.request.event,
            record.request.tool,
            record.request.category,
            record.result.decision,
            record.role.agent,
            record.role.subagent_id,
            record.role.subagent_type,
            record.request.tool_use_id,
            body,
            hash,
        ])
    })
    .map_err(sqlite)?;
    context.last_seq.set(Some(seq));
    heads.insert(session_id.to_owned(), head);
    context
        .nodes
        .borrow_mut()
        .extend(frontier.push(merkle::leaf_hash(body.as_bytes())));
    *context.frontier.borrow_mut() = Some(frontier);
    Ok(Appended {
        seq,
        session_seq: record.reference.session_seq,
        hash,
    })
}

fn read_head(conn: &Connection, session_id: &str) -> rusqlite::Result<Option<Head>> {
    conn.prepare_cached(
        "SELECT agent, cwd, first_seq, last_seq, last_hash, record_count, last_prompt_seq,
                started_at, ended_at, last_time
         FROM sessions WHERE session_id = ?1",
    )?
    .query_row([session_id], |row| {
        Ok(Head {
            agent: row.get(0)?,
            cwd: row.get(1)?,
            first_seq: row.get(2)?,
            last_seq: row.get(3)?,
            last_hash: row.get(4)?,
            record_count: row.get(5)?,
            last_prompt_seq: row.get(6)?,
            started_at: row.get(7)?,
            ended_at: row.get(8)?,
            last_time: row.get(9)?,
        })
    })
    .optional()
}

fn write_head(conn: &Connection, session_id: &str, head: &Head) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "INSERT INTO sessions (session_id, agent, cwd, first_seq, last_seq, last_hash,
             record_count, last_prompt_seq, started_at, ended_at, last_time)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (session_id) DO UPDATE SET
             last_seq = excluded.last_seq, last_hash = excluded.last_hash,
             record_count = excluded.record_count, last_prompt_seq = excluded.last_prompt_seq,
             started_at = excluded.started_at, ended_at = excluded.ended_at,
             last_time = excluded.last_time",
    )?
    .execute(params![
        session_id,
        head.agent,
        head.cwd,
        head.first_seq,
        head.last_seq,
        head.last_hash,
        head.record_count,
        head.last_prompt_seq,
        head.started_at,
        head.ended_at,
        head.last_time,
    ])
}

/// The Merkle tree's nodes as the `merkle_nodes` table holds them.
pub(crate) struct SqliteNodes<'c>(pub(crate) &'c Connection);

impl merkle::NodeStore for SqliteNodes<'_> {
    type Error = rusqlite::Error;

    fn node(&self, level: u32, index: u64) -> rusqlite::Result<Hash> {
        let bytes: Vec<u8> = self
            .0
            .prepare_cached("SELECT hash FROM merkle_nodes WHERE level = ?1 AND idx = ?2")?
            .query_row(params![level, index], |row| row.get(0))?;
        Hash::try_from(bytes.as_slice()).map_err(|_| {
            rusqlite::Error::FromSqlConversionFailure(
                0,
                rusqlite::types::Type::Blob,
                format!("Merkle node ({level}, {index}) is not 32 bytes").into(),
            )
        })
    }
}
