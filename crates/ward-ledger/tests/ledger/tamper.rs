//! Tampering with the file by hand is found, and the first problem names the first
//! bad record.
//!
//! `fill(.., &["a", "b"], 5)` gives 20 records: session `a` is 1, 2, 5, 6, 9, 10, 13,
//! 14, 17, 18 and session `b` is 3, 4, 7, 8, 11, 12, 15, 16, 19, 20.

use std::path::PathBuf;

use tempfile::TempDir;
use ward_ledger::hash::record_hash;
use ward_ledger::{Ledger, Problem, ProblemKind, VerifyReport};

use crate::support::{fill, ledger, raw, verify};

fn twenty() -> (TempDir, PathBuf, Ledger) {
    let (dir, path, mut ledger) = ledger();
    fill(&mut ledger, &["a", "b"], 5);
    assert!(verify(&ledger).ok);
    (dir, path, ledger)
}

/// Swaps one column of two records.
fn swap(path: &std::path::Path, a: u64, b: u64, column: &str) {
    let conn = raw(path);
    let read = |seq: u64| -> String {
        conn.query_row(
            &format!("SELECT {column} FROM records WHERE seq = ?1"),
            [seq],
            |row| row.get(0),
        )
        .unwrap()
    };
    let (value_a, value_b) = (read(a), read(b));
    let update = format!("UPDATE records SET {column} = ?1 WHERE seq = ?2");
    conn.execute(&update, rusqlite::params![value_b, a])
        .unwrap();
    conn.execute(&update, rusqlite::params![value_a, b])
        .unwrap();
}

fn first(report: &VerifyReport) -> &Problem {
    assert!(!report.ok);
    report.problems.first().unwrap()
}

#[test]
fn an_edited_body_field_is_named() {
    let (_dir, path, ledger) = twenty();
    raw(&path)
        .execute(
            "UPDATE records SET body = replace(body, 'echo tu-2', 'rm -rf /') WHERE seq = 9",
            [],
        )
        .unwrap();
    let report = verify(&ledger);
    let problem = first(&report);
    assert_eq!(
        (problem.seq, problem.kind),
        (Some(9), ProblemKind::HashMismatch)
    );
    assert_eq!(problem.session_id.as_deref(), Some("a"));
    assert_eq!(
        problem.message,
        "record 9: stored hash does not match its content (field edited?)"
    );
    // The next record of the session no longer chains to it.
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.seq == Some(10) && p.kind == ProblemKind::ChainBroken)
    );
}

#[test]
fn an_edited_body_with_a_recomputed_hash_breaks_the_chain() {
    let (_dir, path, ledger) = twenty();
    let conn = raw(&path);
    let body: String = conn
        .query_row("SELECT body FROM records WHERE seq = 9", [], |row| {
            row.get(0)
        })
        .unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&body).unwrap();
    value["result"]["decision"] = "allow".into();
    let forged = ward_ledger::hash::canonical(&value).unwrap();
    let hash = record_hash(&value).unwrap();
    conn.execute(
        "UPDATE records SET body = ?1, hash = ?2 WHERE seq = 9",
        [&forged, &hash],
    )
    .unwrap();
    let report = verify(&ledger);
    let problem = first(&report);
    // The decision column now disagrees, and record 10 does not chain to record 9.
    assert_eq!(
        (problem.seq, problem.kind),
        (Some(9), ProblemKind::ColumnMismatch)
    );
    let broken = report
        .problems
        .iter()
        .find(|p| p.kind == ProblemKind::ChainBroken)
        .unwrap();
    assert_eq!(broken.seq, Some(10));
    assert!(broken.message.contains("record 9"), "{}", broken.message);
}

#[test]
fn an_edited_indexed_column_is_named() {
    let (_dir, path, ledger) = twenty();
    raw(&path)
        .execute("UPDATE records SET tool = 'Read' WHERE seq = 7", [])
        .unwrap();
    let report = verify(&ledger);
    let problem = first(&report);
    assert_eq!(
        (problem.seq, problem.kind),
        (Some(7), ProblemKind::ColumnMismatch)
    );
    assert_eq!(
        problem.message,
        "record 7: column `tool` says `Read` but the body says `Bash` (column edited?)"
    );
    assert_eq!(report.problems.len(), 1);
}

#[test]
fn a_deleted_middle_record_is_a_named_gap() {
    let (_dir, path, ledger) = twenty();
    raw(&path)
        .execute("DELETE FROM records WHERE seq = 6", [])
        .unwrap();
    let report = verify(&ledger);
    let problem = first(&report);
    assert_eq!((problem.seq, problem.kind), (Some(6), ProblemKind::Missing));
    assert_eq!(problem.message, "record 6 is missing (deleted?)");
    // Session `a`'s next record (9) says so too, once.
    let later: Vec<_> = report
        .problems
        .iter()
        .skip(1)
        .map(|p| (p.seq, p.kind))
        .collect();
    assert_eq!(
        later,
        [
            (Some(9), ProblemKind::SessionSeq),
            (Some(9), ProblemKind::ChainBroken)
        ]
    );
}

#[test]
fn a_deleted_range_is_one_problem() {
    let (_dir, path, ledger) = twenty();
    raw(&path)
        .execute("DELETE FROM records WHERE seq BETWEEN 3 AND 4", [])
        .unwrap();
    let report = verify(&ledger);
    assert_eq!(
        first(&report).message,
        "records 3 to 4 are missing (deleted?)"
    );
}

#[test]
fn a_deleted_last_record_of_a_session_is_named() {
    let (_dir, path, ledger) = twenty();
    // 18 is session a's last record, not the ledger's: a gap, and a stale head.
    raw(&path)
        .execute("DELETE FROM records WHERE seq = 18", [])
        .unwrap();
    let report = verify(&ledger);
    assert_eq!(
        (first(&report).seq, first(&report).kind),
        (Some(18), ProblemKind::Missing)
    );
    let head = report
        .problems
        .iter()
        .find(|p| p.kind == ProblemKind::SessionHead)
        .unwrap();
    assert_eq!(
        (head.seq, head.session_id.as_deref()),
        (Some(18), Some("a"))
    );
    assert!(
        head.message.contains("the last record is 18"),
        "{}",
        head.message
    );
}

#[test]
fn a_deleted_last_record_of_the_ledger_is_named() {
    let (_dir, path, ledger) = twenty();
    // No gap shows this one: only the session head does.
    raw(&path)
        .execute("DELETE FROM records WHERE seq = 20", [])
        .unwrap();
    let report = verify(&ledger);
    let problem = first(&report);
    assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
    assert_eq!(
        (problem.seq, problem.kind),
        (Some(20), ProblemKind::SessionHead)
    );
    assert_eq!(problem.session_id.as_deref(), Some("b"));
    assert_eq!(
        problem.message,
        "session `b`: its head says the last record is 20 (number 10), but the last record \
         found is 19 (number 9) (the session's last records deleted?)"
    );
}

#[test]
fn swapped_bodies_are_named() {
    let (_dir, path, ledger) = twenty();
    swap(&path, 5, 7, "body");
    let report = verify(&ledger);
    let problem = first(&report);
    assert_eq!(
        (problem.seq, problem.kind),
        (Some(5), ProblemKind::HashMismatch)
    );
    assert!(report.problems.iter().any(|p| p.seq == Some(7)));
}

#[test]
fn reordered_rows_are_named() {
    let (_dir, path, ledger) = twenty();
    // Swap body and hash together: each row's content is intact, but in the wrong place.
    swap(&path, 5, 7, "body");
    swap(&path, 5, 7, "hash");
    let report = verify(&ledger);
    let problem = first(&report);
    assert_eq!(
        (problem.seq, problem.kind),
        (Some(5), ProblemKind::SeqMismatch)
    );
    assert_eq!(
        problem.message,
        "record 5: its body says it is record 7 (rows reordered or bodies swapped?)"
    );
}

#[test]
fn an_edited_session_head_is_named() {
    let (_dir, path, ledger) = twenty();
    raw(&path)
        .execute(
            "UPDATE sessions SET last_hash = 'ab' WHERE session_id = 'a'",
            [],
        )
        .unwrap();
    let report = verify(&ledger);
    let problem = first(&report);
    assert_eq!(
        (problem.kind, problem.session_id.as_deref()),
        (ProblemKind::SessionHead, Some("a"))
    );
}

#[test]
fn problems_are_capped_and_counted() {
    let (_dir, path, mut ledger) = ledger();
    fill(&mut ledger, &["a"], 60);
    raw(&path)
        .execute("UPDATE records SET body = body || ' '", [])
        .unwrap();
    let report = verify(&ledger);
    assert!(!report.ok);
    assert_eq!(report.problems.len(), ward_ledger::MAX_PROBLEMS);
    assert_eq!(report.problems_omitted, 20);
    assert_eq!(report.problems[0].kind, ProblemKind::NotCanonical);
}

#[test]
fn progress_is_reported_to_the_total() {
    let (_dir, _path, mut ledger) = ledger();
    fill(&mut ledger, &["a"], 3);
    let mut calls = Vec::new();
    let report = ledger
        .verify(&mut |done, total| calls.push((done, total)))
        .unwrap();
    assert!(report.ok);
    assert_eq!(calls.first(), Some(&(0, 6)));
    assert_eq!(calls.last(), Some(&(6, 6)));
}
