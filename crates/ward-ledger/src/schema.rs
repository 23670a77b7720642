//! The SQLite schema and its migrations, versioned with `PRAGMA user_version`.
//!
//! Migrations run only when a file's `user_version` is older than [`SCHEMA_VERSION`]:
//! all pending steps in one `BEGIN IMMEDIATE` transaction, so a concurrent opener
//! either sees the old schema or the new one, never half of it, and two first opens
//! racing on a new file migrate once. A normal open reads `user_version` and nothing
//! else of the schema.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

use crate::{LedgerError, merkle};

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i64 = 4;

/// Migration `i` takes a database from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 0 -> 1: the first schema.
    //
    // `records` is the ledger; every other column than `seq`, `body` and `hash` is a
    // copy of a body value, kept for indexes and checked by `verify`. The unique
    // (session_id, session_seq) index means that even a bug cannot fork a chain.
    // `sessions` holds each chain's head so an append reads one row; `WITHOUT ROWID`
    // saves the separate primary-key index, one page write per append.
    "CREATE TABLE records (
        seq           INTEGER PRIMARY KEY,
        session_id    TEXT    NOT NULL,
        session_seq   INTEGER NOT NULL,
        time          TEXT    NOT NULL,
        event         TEXT    NOT NULL,
        tool          TEXT,
        category      TEXT,
        decision      TEXT,
        agent         TEXT    NOT NULL,
        subagent_id   TEXT,
        subagent_type TEXT,
        tool_use_id   TEXT,
        body          TEXT    NOT NULL,
        hash          TEXT    NOT NULL
    );
    CREATE UNIQUE INDEX records_session ON records (session_id, session_seq);
    CREATE INDEX records_tool_use ON records (session_id, tool_use_id)
        WHERE tool_use_id IS NOT NULL;
    CREATE INDEX records_time ON records (time);
    CREATE TABLE sessions (
        session_id      TEXT    NOT NULL PRIMARY KEY,
        agent           TEXT    NOT NULL,
        cwd             TEXT    NOT NULL,
        first_seq       INTEGER NOT NULL,
        last_seq        INTEGER NOT NULL,
        last_hash       TEXT    NOT NULL,
        record_count    INTEGER NOT NULL,
        last_prompt_seq INTEGER,
        started_at      TEXT,
        ended_at        TEXT,
        last_time       TEXT    NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE spool_ingested (
        line_hash TEXT NOT NULL PRIMARY KEY
    ) WITHOUT ROWID;",
    // 1 -> 2: the Merkle tree over all records (RFC 9162 §2.1), see `crate::merkle`.
    //
    // One row per perfect subtree: (level, idx) is the hash of records
    // idx·2^level + 1 ..= (idx+1)·2^level (seq counts from 1, leaves from 0). An
    // append adds two rows on average; any past root and any proof is read from
    // O(log n) rows. The rows for records already in the file are filled in by
    // `backfill_merkle` in the same transaction.
    "CREATE TABLE merkle_nodes (
        level INTEGER NOT NULL,
        idx   INTEGER NOT NULL,
        hash  BLOB    NOT NULL,
        PRIMARY KEY (level, idx)
    ) WITHOUT ROWID;",
    // 2 -> 3: signed checkpoints of the tree (`crate::checkpoint`), one per tree
    // size, as the signed-note text that was signed.
    "CREATE TABLE checkpoints (
        tree_size  INTEGER NOT NULL PRIMARY KEY,
        note       TEXT    NOT NULL,
        created_at TEXT    NOT NULL
    );",
    // 3 -> 4: the one query by `tool_use_id` (an outcome's `pre_record`: the
    // session's latest `PreToolUse` with that id) needs only `PreToolUse` records,
    // by id. Indexing just those, by the id alone, halves the index's rows and
    // shortens its key by the session id; the index took about a sixth of a batch
    // append (`cargo bench -p ward-ledger --bench tree`). `IF EXISTS`: a file made
    // at version 4 and set back by hand (a test does) has the new index already.
    "DROP INDEX IF EXISTS records_tool_use;
    CREATE INDEX IF NOT EXISTS records_pre ON records (tool_use_id)
        WHERE event = 'PreToolUse' AND tool_use_id IS NOT NULL;",
];

/// Reads the schema version, and migrates the file if it is older than this build.
pub(crate) fn prepare(
    conn: &mut Connection,
    path: &Path,
    busy_timeout: Duration,
) -> Result<(), LedgerError> {
    let sqlite = |error| LedgerError::from_sqlite(path, busy_timeout, error);
    let found = user_version(conn).map_err(sqlite)?;
    check_not_newer(path, found)?;
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    // journal_mode is stored in the file, so this runs once per ledger, not per open.
    // It cannot run inside a transaction.
    conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
        .map_err(sqlite)?;
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sqlite)?;
    // Another process may have migrated while we waited for the lock.
    let found = user_version(&tx).map_err(sqlite)?;
    check_not_newer(path, found)?;
    let start =
        usize::try_from(found).map_err(|_| LedgerError::Internal("negative user_version"))?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(start) {
        let version = i64::try_from(index + 1).unwrap_or(i64::MAX);
        tx.execute_batch(sql)
            .and_then(|()| match version {
                2 => backfill_merkle(&tx),
                _ => Ok(()),
            })
            .and_then(|()| tx.pragma_update(None, "user_version", version))
            .map_err(
                |source| match LedgerError::from_sqlite(path, busy_timeout, source) {
                    LedgerError::Database { path, source } => LedgerError::Migration {
                        path,
                        version,
                        source,
                    },
                    other => other,
                },
            )?;
    }
    tx.commit().map_err(sqlite)
}

/// Builds the Merkle tree over the records a version-1 ledger already holds, in
/// `seq` order, as appends would have.
fn backfill_merkle(conn: &Connection) -> rusqlite::Result<()> {
    let mut frontier = merkle::Frontier::empty();
    let mut select = conn.prepare("SELECT body FROM records ORDER BY seq")?;
    let mut insert =
        conn.prepare("INSERT INTO merkle_nodes (level, idx, hash) VALUES (?1, ?2, ?3)")?;
    let mut rows = select.query([])?;
    while let Some(row) = rows.next()? {
        let body: String = row.get(0)?;
        for (level, index, hash) in frontier.push(merkle::leaf_hash(body.as_bytes())) {
            insert.execute(rusqlite::params![level, index, &hash[..]])?;
        }
    }
    Ok(())
}

fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

fn check_not_newer(path: &Path, found: i64) -> Result<(), LedgerError> {
    if found > SCHEMA_VERSION {
        return Err(LedgerError::SchemaTooNew {
            path: path.to_path_buf(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}
