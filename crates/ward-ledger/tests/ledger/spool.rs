//! The spool: a record the ledger cannot take waits there and comes back, in order,
//! exactly once.

use std::time::Duration;

use ward_ledger::{
    Ledger, OpenOptions, RecordFilter, Stored, append_or_spool, pending_spooled, rejected_path,
    spool, spool_path,
};

use crate::support::{ledger, raw, record, tool_call, verify};

fn short_timeout() -> OpenOptions {
    OpenOptions {
        busy_timeout: Duration::from_millis(50),
        ..OpenOptions::default()
    }
}

#[test]
fn a_locked_ledger_spools_and_the_next_append_ingests_in_order_once() {
    let (_dir, path, mut ledger) = ledger();
    ledger.append(record("s", "SessionStart")).unwrap();

    let blocker = raw(&path);
    blocker.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let mut times = Vec::new();
    for id in ["1", "2", "3"] {
        let mut pre = tool_call("s", "PreToolUse", "Bash", id);
        pre.time = format!("2025-01-31T09:00:0{id}.000000Z");
        times.push(pre.time.clone());
        let stored = append_or_spool(&path, short_timeout(), pre).unwrap();
        let Stored::Spooled { reason } = stored else {
            panic!("not spooled: {stored:?}")
        };
        assert!(reason.contains("locked by another process"), "{reason}");
    }
    assert_eq!(pending_spooled(&path).unwrap(), 3);
    let text = std::fs::read_to_string(spool_path(&path)).unwrap();
    assert_eq!(text.lines().count(), 3);
    assert!(
        text.lines()
            .all(|line| line.contains("\"reason\":\"the ledger"))
    );
    blocker.execute_batch("ROLLBACK").unwrap();

    let post = ledger
        .append(tool_call("s", "PostToolUse", "Bash", "3"))
        .unwrap();
    assert_eq!(post.seq, 5, "the three spooled records come first");
    let records = ledger.records(&RecordFilter::default()).unwrap();
    let ids: Vec<_> = records
        .iter()
        .map(|r| r.record.request.tool_use_id.clone())
        .collect();
    assert_eq!(
        ids,
        [
            None,
            Some("1".into()),
            Some("2".into()),
            Some("3".into()),
            Some("3".into())
        ]
    );
    let spooled_times: Vec<_> = records[1..4]
        .iter()
        .map(|r| r.record.time.clone())
        .collect();
    assert_eq!(spooled_times, times, "each record keeps its own time");
    assert_eq!(
        records[4].record.reference.pre_record,
        Some(4),
        "links to the ingested pre"
    );
    assert_eq!(pending_spooled(&path).unwrap(), 0);
    // The ingested prefix is gone: the spool is removed (or empty).
    assert!(std::fs::metadata(spool_path(&path)).map_or(true, |m| m.len() == 0));

    ledger.append(record("s", "Stop")).unwrap();
    assert_eq!(ledger.count().unwrap(), 6, "ingested exactly once");
    let report = verify(&ledger);
    assert!(report.ok, "{:#?}", report.problems);
    assert_eq!(report.pending_spooled, 0);
}

#[test]
fn lines_left_by_a_crash_after_commit_are_not_ingested_twice() {
    let (_dir, path, mut ledger) = ledger();
    spool(&path, &record("s", "SessionStart"), "test").unwrap();
    spool(&path, &record("s", "UserPromptSubmit"), "test").unwrap();
    let lines = std::fs::read(spool_path(&path)).unwrap();
    ledger.append(record("s", "Stop")).unwrap();
    assert_eq!(ledger.count().unwrap(), 3);
    // As if the process died between the commit and the truncation.
    std::fs::write(spool_path(&path), &lines).unwrap();
    ledger.append(record("s", "Stop")).unwrap();
    assert_eq!(ledger.count().unwrap(), 4);
    assert!(verify(&ledger).ok);
}

#[test]
fn the_same_record_spooled_twice_is_stored_twice() {
    let (_dir, path, mut ledger) = ledger();
    let start = record("s", "SessionStart");
    spool(&path, &start, "test").unwrap();
    spool(&path, &start, "test").unwrap();
    ledger.append(record("s", "Stop")).unwrap();
    assert_eq!(ledger.count().unwrap(), 3);
}

#[test]
fn a_garbage_line_is_kept_in_rejected_not_dropped() {
    let (_dir, path, mut ledger) = ledger();
    spool(&path, &record("s", "SessionStart"), "test").unwrap();
    // A writer killed mid-line, then another record spooled after it.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(spool_path(&path))
        .unwrap();
    std::io::Write::write_all(&mut file, b"{\"record\":{\"version\":1,\"ti").unwrap();
    drop(file);
    spool(&path, &record("s", "UserPromptSubmit"), "test").unwrap();
    assert_eq!(pending_spooled(&path).unwrap(), 3);

    ledger.append(record("s", "Stop")).unwrap();
    assert_eq!(ledger.count().unwrap(), 3, "both good lines ingested");
    let rejected = std::fs::read_to_string(rejected_path(&path)).unwrap();
    assert_eq!(rejected, "{\"record\":{\"version\":1,\"ti\n");
    assert_eq!(pending_spooled(&path).unwrap(), 0);
    ledger.append(record("s", "Stop")).unwrap();
    assert_eq!(
        std::fs::read_to_string(rejected_path(&path))
            .unwrap()
            .lines()
            .count(),
        1
    );
    assert!(verify(&ledger).ok);
}

#[test]
fn a_newer_schema_spools_instead_of_losing_the_record() {
    let (_dir, path, ledger) = ledger();
    drop(ledger);
    raw(&path)
        .execute_batch("PRAGMA user_version = 99")
        .unwrap();
    let stored =
        append_or_spool(&path, OpenOptions::default(), record("s", "SessionStart")).unwrap();
    assert!(
        matches!(&stored, Stored::Spooled { reason } if reason.contains("newer")),
        "{stored:?}"
    );
    assert_eq!(pending_spooled(&path).unwrap(), 1);
}

#[test]
fn an_unwritable_spool_is_an_error_naming_both_failures() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing-folder").join("ledger.db");
    let error = append_or_spool(&path, OpenOptions::default(), record("s", "Stop")).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("cannot open the ledger"), "{message}");
    assert!(message.contains("ledger.db.spool.jsonl"), "{message}");
    assert!(error.hint().is_some());
}

#[cfg(unix)]
#[test]
fn the_spool_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, path, _ledger) = ledger();
    spool(&path, &record("s", "Stop"), "test").unwrap();
    let mode = std::fs::metadata(spool_path(&path))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn no_spool_means_nothing_pending() {
    let (_dir, path, _ledger) = ledger();
    assert_eq!(pending_spooled(&path).unwrap(), 0);
    assert_eq!(
        spool_path(&path).file_name().unwrap(),
        "ledger.db.spool.jsonl"
    );
    assert!(Ledger::open(&path).is_ok());
}
