//! Creating, migrating and refusing database files.

use ward_ledger::{Ledger, LedgerError, SCHEMA_VERSION};

use crate::support::{raw, record, tool_call, verify};

#[test]
fn an_empty_file_gets_the_schema_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    std::fs::write(&path, b"").unwrap();
    let mut ledger = Ledger::open(&path).unwrap();
    ledger.append(record("s", "SessionStart")).unwrap();
    let conn = raw(&path);
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!((version, mode.as_str()), (SCHEMA_VERSION, "wal"));
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        tables,
        [
            "checkpoints",
            "merkle_nodes",
            "records",
            "sessions",
            "spool_ingested"
        ]
    );
    assert!(verify(&ledger).ok);
}

#[test]
fn a_missing_file_is_created_and_reopened_without_migrating() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let mut ledger = Ledger::open(&path).unwrap();
    ledger.append(record("s", "SessionStart")).unwrap();
    drop(ledger);
    let mut ledger = Ledger::open(&path).unwrap();
    ledger.append(record("s", "Stop")).unwrap();
    assert_eq!(ledger.count().unwrap(), 2);
}

#[test]
fn a_newer_schema_is_refused_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    drop(Ledger::open(&path).unwrap());
    raw(&path).execute_batch("PRAGMA user_version = 7").unwrap();
    let error = Ledger::open(&path).unwrap_err();
    assert!(
        matches!(
            error,
            LedgerError::SchemaTooNew {
                found: 7,
                supported: SCHEMA_VERSION,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains(&path.display().to_string()));
    assert!(error.hint().unwrap().contains("upgrade ward"));
}

#[test]
fn a_corrupt_file_is_a_typed_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    std::fs::write(&path, vec![0x5a; 8192]).unwrap();
    let error = Ledger::open(&path).unwrap_err();
    assert!(matches!(error, LedgerError::Corrupt { .. }), "{error:?}");
    assert!(
        error.to_string().contains(&path.display().to_string()),
        "{error}"
    );
    assert!(error.hint().is_some());
}

#[test]
fn an_unopenable_path_is_a_typed_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-such-folder").join("ledger.db");
    let error = Ledger::open(&path).unwrap_err();
    assert!(matches!(error, LedgerError::Open { .. }), "{error:?}");
    assert!(error.to_string().contains("no-such-folder"), "{error}");
}

#[test]
fn the_wal_stays_bounded_when_every_connection_is_short_lived() {
    // The hook's pattern: a fresh connection per record. SQLite's own checkpoint
    // would let the WAL grow forever here (see `OpenOptions`).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let wal = dir.path().join("ledger.db-wal");
    let mut largest = 0;
    for index in 0..150 {
        let mut ledger = Ledger::open(&path).unwrap();
        ledger
            .append(record(&format!("s{}", index % 3), "Stop"))
            .unwrap();
        drop(ledger);
        largest = largest.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
    }
    let frame = 24 + 4096;
    assert!(
        largest <= (64 + 16) * frame,
        "the WAL grew to {largest} bytes"
    );
    let ledger = Ledger::open(&path).unwrap();
    assert_eq!(ledger.count().unwrap(), 150);
    assert!(verify(&ledger).ok);
}

#[test]
fn a_batch_leaves_the_wal_to_close_which_truncates_it() {
    // `append_all` skips the per-write truncation (it made every next batch regrow
    // the file); `close` must then do it, or the next process to open rebuilds the
    // WAL index from the whole batch. A hook-style writer appends alongside.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let wal = dir.path().join("ledger.db-wal");
    let mut batcher = Ledger::open(&path).unwrap();
    let hook_path = path.clone();
    let hook = std::thread::spawn(move || {
        for _ in 0..20 {
            let mut ledger = Ledger::open(&hook_path).unwrap();
            ledger.append(record("hook", "Stop")).unwrap();
        }
    });
    for _ in 0..3 {
        let batch = (0..400)
            .map(|index| record(&format!("s{}", index % 4), "Stop"))
            .collect();
        batcher.append_all(batch).unwrap();
    }
    hook.join().unwrap();
    // A hook's append truncates what is there; the batch after it stays in the WAL
    // (64 pages is the bound).
    let batch = (0..400).map(|_| record("s0", "Stop")).collect();
    batcher.append_all(batch).unwrap();
    let frame = 24 + 4096;
    let before = std::fs::metadata(&wal).map_or(0, |m| m.len());
    assert!(before > 64 * frame, "the WAL held only {before} bytes");
    batcher.close().unwrap();
    assert_eq!(std::fs::metadata(&wal).map_or(0, |m| m.len()), 0);
    let ledger = Ledger::open(&path).unwrap();
    assert_eq!(ledger.count().unwrap(), 4 * 400 + 20);
    assert!(verify(&ledger).ok);
}

#[test]
fn a_version_three_ledger_gets_the_pre_record_index_and_keeps_linking() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let mut ledger = Ledger::open(&path).unwrap();
    ledger
        .append(tool_call("s", "PreToolUse", "Bash", "tu-1"))
        .unwrap();
    drop(ledger);
    // Back to version 3's index.
    raw(&path)
        .execute_batch(
            "DROP INDEX records_pre;
             CREATE INDEX records_tool_use ON records (session_id, tool_use_id)
                 WHERE tool_use_id IS NOT NULL;
             PRAGMA user_version = 3;",
        )
        .unwrap();

    let mut ledger = Ledger::open(&path).unwrap();
    ledger
        .append(tool_call("t", "PreToolUse", "Bash", "tu-1"))
        .unwrap();
    let post = ledger
        .append(tool_call("s", "PostToolUse", "Bash", "tu-1"))
        .unwrap();
    let stored = ledger.record(post.seq).unwrap().unwrap();
    assert_eq!(stored.record.reference.pre_record, Some(1));
    let conn = raw(&path);
    let indexes: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name",
        )
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(indexes, ["records_pre", "records_session", "records_time"]);
    let plan: String = conn
        .query_row(
            "EXPLAIN QUERY PLAN SELECT max(seq) FROM records
             WHERE tool_use_id = ?2 AND event = 'PreToolUse' AND +session_id = ?1",
            ["s", "tu-1"],
            |row| row.get(3),
        )
        .unwrap();
    assert!(plan.contains("records_pre"), "{plan}");
    assert!(verify(&ledger).ok);
}
