//! The read side: filters, sessions by prefix, errors naming the record.

use ward_ledger::{Ledger, LedgerError, RecordFilter};

use crate::support::{ledger, raw, record, tool_call};

/// Seven records in two sessions with known times, tools, decisions and agents.
fn sample() -> (tempfile::TempDir, std::path::PathBuf, Ledger) {
    let (dir, path, mut ledger) = ledger();
    let mut records = vec![
        record("abc-1", "SessionStart"),
        tool_call("abc-1", "PreToolUse", "Bash", "1"),
        tool_call("abc-1", "PostToolUse", "Bash", "1"),
        tool_call("abd-2", "PreToolUse", "Read", "2"),
        tool_call("abd-2", "PreToolUse", "Bash", "3"),
        tool_call("abc-1", "PreToolUse", "Write", "4"),
        record("abd-2", "SessionEnd"),
    ];
    records[1].result.decision = Some("deny".into());
    records[4].result.decision = Some("ask".into());
    records[4].role.subagent_id = Some("sub-9".into());
    records[4].role.subagent_type = Some("code-reviewer".into());
    records[5].request.category = Some("file_write".into());
    for (index, mut record) in records.into_iter().enumerate() {
        record.time = format!("2025-01-31T09:0{index}:00.000000Z");
        ledger.append(record).unwrap();
    }
    (dir, path, ledger)
}

fn seqs(ledger: &Ledger, filter: RecordFilter) -> Vec<u64> {
    ledger
        .records(&filter)
        .unwrap()
        .iter()
        .map(|stored| stored.seq)
        .collect()
}

#[test]
fn each_filter_selects_its_records() {
    let (_dir, _path, ledger) = sample();
    let some = |value: &str| Some(value.to_owned());
    assert_eq!(
        seqs(&ledger, RecordFilter::default()),
        [1, 2, 3, 4, 5, 6, 7]
    );
    assert_eq!(
        seqs(
            &ledger,
            RecordFilter {
                session_id: some("abd-2"),
                ..Default::default()
            }
        ),
        [4, 5, 7]
    );
    assert_eq!(
        seqs(
            &ledger,
            RecordFilter {
                tool: some("Bash"),
                ..Default::default()
            }
        ),
        [2, 3, 5]
    );
    assert_eq!(
        seqs(
            &ledger,
            RecordFilter {
                category: some("file_write"),
                ..Default::default()
            }
        ),
        [6]
    );
    assert_eq!(
        seqs(
            &ledger,
            RecordFilter {
                decision: some("deny"),
                ..Default::default()
            }
        ),
        [2]
    );
    assert_eq!(
        seqs(
            &ledger,
            RecordFilter {
                event: some("PreToolUse"),
                ..Default::default()
            }
        ),
        [2, 4, 5, 6]
    );
    assert_eq!(
        seqs(
            &ledger,
            RecordFilter {
                agent: some("claude-code"),
                ..Default::default()
            }
        )
        .len(),
        7
    );
    assert_eq!(
        seqs(
            &ledger,
            RecordFilter {
                agent: some("sub-9"),
                ..Default::default()
            }
        ),
        [5]
    );
    assert_eq!(
        seqs(
            &ledger,
            RecordFilter {
                agent: some("code-reviewer"),
                ..Default::default()
            }
        ),
        [5]
    );
    assert_eq!(
        seqs(
            &ledger,
            RecordFilter {
                seq_after: Some(5),
                ..Default::default()
            }
        ),
        [6, 7]
    );
    assert_eq!(
        seqs(
            &ledger,
            RecordFilter {
                limit: Some(2),
                ..Default::default()
            }
        ),
        [1, 2]
    );
    assert_eq!(
        seqs(
            &ledger,
            RecordFilter {
                limit: Some(2),
                tail: true,
                ..Default::default()
            }
        ),
        [6, 7]
    );
    // Filters combine, and the agent's value is bound once but used three times.
    let combined = RecordFilter {
        agent: some("code-reviewer"),
        tool: some("Bash"),
        decision: some("ask"),
        since: some("2025-01-31T09:01:00Z"),
        ..Default::default()
    };
    assert_eq!(seqs(&ledger, combined), [5]);
}

#[test]
fn since_accepts_offsets_and_dates_and_compares_as_time() {
    let (_dir, _path, ledger) = sample();
    let since = |value: &str| {
        seqs(
            &ledger,
            RecordFilter {
                since: Some(value.into()),
                ..Default::default()
            },
        )
    };
    // Without six fractional digits, a plain string comparison would drop record 5.
    assert_eq!(since("2025-01-31T09:04:00Z"), [5, 6, 7]);
    assert_eq!(since("2025-01-31T10:04:00+01:00"), [5, 6, 7]);
    assert_eq!(since("2025-01-31T09:04:00.000001Z"), [6, 7]);
    assert_eq!(since("2025-01-31"), [1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(since("2025-02-01"), Vec::<u64>::new());
    let error = ledger
        .records(&RecordFilter {
            since: Some("yesterday".into()),
            ..Default::default()
        })
        .unwrap_err();
    assert!(
        matches!(error, LedgerError::InvalidFilter { field: "since", .. }),
        "{error:?}"
    );
    assert!(error.hint().is_some());
}

#[test]
fn find_session_resolves_a_unique_prefix() {
    let (_dir, _path, mut ledger) = sample();
    assert_eq!(ledger.find_session("abc").unwrap(), "abc-1");
    assert_eq!(ledger.find_session("abd-2").unwrap(), "abd-2");
    let error = ledger.find_session("ab").unwrap_err();
    assert!(
        matches!(&error, LedgerError::AmbiguousSession { candidates, .. } if candidates.len() == 2)
    );
    assert!(error.to_string().contains("abc-1, abd-2"), "{error}");
    assert!(matches!(
        ledger.find_session("x").unwrap_err(),
        LedgerError::SessionNotFound { .. }
    ));
    // An exact id wins over longer ids it is a prefix of.
    ledger.append(record("abc", "SessionStart")).unwrap();
    assert_eq!(ledger.find_session("abc").unwrap(), "abc");
}

#[test]
fn a_body_that_is_not_a_record_is_an_error_naming_its_seq() {
    let (_dir, path, ledger) = sample();
    raw(&path)
        .execute("UPDATE records SET body = '{\"x\":1}' WHERE seq = 3", [])
        .unwrap();
    assert!(ledger.record(2).unwrap().is_some());
    let error = ledger.record(3).unwrap_err();
    assert!(
        matches!(error, LedgerError::BadRecord { seq: 3, .. }),
        "{error:?}"
    );
    assert!(error.to_string().starts_with("record 3: "), "{error}");
    assert!(ledger.records(&RecordFilter::default()).is_err());
}
