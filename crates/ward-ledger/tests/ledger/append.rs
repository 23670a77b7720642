//! Appending: the round trip and how the reference is filled in.

use ward_core::{Target, TargetKind};
use ward_ledger::hash::{canonical, record_hash};
use ward_ledger::{Ledger, RecordFilter};

use crate::support::{ledger, record, tool_call, verify};

#[test]
fn append_and_read_back_round_trip() {
    let (_dir, _path, mut ledger) = ledger();
    let mut original = tool_call("s1", "PreToolUse", "Bash", "tu-1");
    original.request.targets = vec![Target {
        path: "/work/project/out.txt".into(),
        kind: TargetKind::Write,
    }];
    original.request.programs = vec!["echo".into()];
    original.result.decision = Some("warn".into());
    original.result.reason = Some("rule `x` matched".into());
    original.resource.input_bytes = 42;

    let appended = ledger.append(original.clone()).unwrap();
    assert_eq!((appended.seq, appended.session_seq), (1, 1));

    let stored = ledger.record(1).unwrap().unwrap();
    let mut expected = original;
    expected.reference.seq = 1;
    expected.reference.session_seq = 1;
    assert_eq!(stored.record, expected);
    assert_eq!(stored.hash, appended.hash);
    // The body is stored in canonical form, and the hash is the hash of its value.
    let value: serde_json::Value = serde_json::from_str(&stored.body).unwrap();
    assert_eq!(canonical(&value).unwrap(), stored.body);
    assert_eq!(record_hash(&value).unwrap(), stored.hash);
    assert_eq!(
        record_hash(&serde_json::to_value(&expected).unwrap()).unwrap(),
        stored.hash
    );
    assert_eq!(ledger.count().unwrap(), 1);
    assert!(ledger.record(2).unwrap().is_none());
    assert!(verify(&ledger).ok);
}

#[test]
fn seq_session_seq_and_prev_hash_chain_per_session() {
    let (_dir, path, mut ledger) = ledger();
    let a1 = ledger.append(record("a", "SessionStart")).unwrap();
    let b1 = ledger.append(record("b", "SessionStart")).unwrap();
    let a2 = ledger.append(record("a", "Stop")).unwrap();
    drop(ledger);
    // A new connection continues the same chains.
    let mut ledger = Ledger::open(&path).unwrap();
    let b2 = ledger.append(record("b", "Stop")).unwrap();
    let a3 = ledger.append(record("a", "SessionEnd")).unwrap();

    let seqs: Vec<_> = [&a1, &b1, &a2, &b2, &a3]
        .iter()
        .map(|a| (a.seq, a.session_seq))
        .collect();
    assert_eq!(seqs, [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3)]);
    let reference = |seq| ledger.record(seq).unwrap().unwrap().record.reference;
    assert_eq!(reference(1).prev_hash, None);
    assert_eq!(reference(2).prev_hash, None);
    assert_eq!(reference(3).prev_hash.as_ref(), Some(&a1.hash));
    assert_eq!(reference(4).prev_hash.as_ref(), Some(&b1.hash));
    assert_eq!(reference(5).prev_hash.as_ref(), Some(&a2.hash));
    assert!(verify(&ledger).ok);
}

#[test]
fn pre_record_links_interleaved_parallel_calls_by_tool_use_id() {
    let (_dir, _path, mut ledger) = ledger();
    // Two parallel calls in one session, answered in the other order; a third
    // session uses the same tool_use_id and must not be linked.
    let pre_a = ledger
        .append(tool_call("s", "PreToolUse", "Bash", "a"))
        .unwrap();
    let pre_b = ledger
        .append(tool_call("s", "PreToolUse", "Read", "b"))
        .unwrap();
    let other = ledger
        .append(tool_call("t", "PreToolUse", "Bash", "b"))
        .unwrap();
    let post_b = ledger
        .append(tool_call("s", "PostToolUse", "Read", "b"))
        .unwrap();
    let fail_a = ledger
        .append(tool_call("s", "PostToolUseFailure", "Bash", "a"))
        .unwrap();
    let orphan = ledger
        .append(tool_call("s", "PostToolUse", "Bash", "never-pre"))
        .unwrap();
    let denied = ledger
        .append(tool_call("t", "PermissionDenied", "Bash", "b"))
        .unwrap();
    // A retried call with the same id links to the latest pre record.
    let pre_a2 = ledger
        .append(tool_call("s", "PreToolUse", "Bash", "a"))
        .unwrap();
    let post_a2 = ledger
        .append(tool_call("s", "PostToolUse", "Bash", "a"))
        .unwrap();
    // An event that does not answer a pre record is not linked, even with an id.
    let request = ledger
        .append(tool_call("s", "PermissionRequest", "Bash", "a"))
        .unwrap();

    let pre_record = |seq| {
        ledger
            .record(seq)
            .unwrap()
            .unwrap()
            .record
            .reference
            .pre_record
    };
    assert_eq!(pre_record(pre_a.seq), None);
    assert_eq!(pre_record(post_b.seq), Some(pre_b.seq));
    assert_eq!(pre_record(fail_a.seq), Some(pre_a.seq));
    assert_eq!(pre_record(orphan.seq), None);
    assert_eq!(pre_record(denied.seq), Some(other.seq));
    assert_eq!(pre_record(post_a2.seq), Some(pre_a2.seq));
    assert_eq!(pre_record(request.seq), None);
    assert!(verify(&ledger).ok);
}

#[test]
fn intent_links_to_the_sessions_latest_prompt() {
    let (_dir, _path, mut ledger) = ledger();
    let start = ledger.append(record("s", "SessionStart")).unwrap();
    let prompt1 = ledger.append(record("s", "UserPromptSubmit")).unwrap();
    let pre = ledger
        .append(tool_call("s", "PreToolUse", "Bash", "x"))
        .unwrap();
    let elsewhere = ledger.append(record("t", "UserPromptSubmit")).unwrap();
    let prompt2 = ledger.append(record("s", "UserPromptSubmit")).unwrap();
    let post = ledger
        .append(tool_call("s", "PostToolUse", "Bash", "x"))
        .unwrap();
    let other = ledger
        .append(tool_call("t", "PreToolUse", "Bash", "y"))
        .unwrap();

    let intent = |seq| ledger.record(seq).unwrap().unwrap().record.reference.intent;
    assert_eq!(intent(start.seq), None);
    assert_eq!(
        intent(prompt1.seq),
        None,
        "a prompt has no intent of its own"
    );
    assert_eq!(intent(pre.seq), Some(prompt1.seq));
    assert_eq!(intent(prompt2.seq), None);
    assert_eq!(intent(post.seq), Some(prompt2.seq));
    assert_eq!(intent(other.seq), Some(elsewhere.seq));
    assert!(verify(&ledger).ok);
}

#[test]
fn session_head_tracks_start_end_and_counts() {
    let (_dir, _path, mut ledger) = ledger();
    let mut start = record("s", "SessionStart");
    start.time = "2025-01-31T09:00:00.000000Z".into();
    ledger.append(start).unwrap();
    for (id, decision) in [("1", "deny"), ("2", "ask"), ("3", "warn"), ("4", "deny")] {
        let mut pre = tool_call("s", "PreToolUse", "Bash", id);
        pre.result.decision = Some(decision.into());
        ledger.append(pre).unwrap();
    }
    ledger
        .append(tool_call("s", "PostToolUse", "Bash", "3"))
        .unwrap();
    let mut end = record("s", "SessionEnd");
    end.time = "2025-01-31T10:00:00.000000Z".into();
    ledger.append(end).unwrap();
    ledger.append(record("other", "SessionStart")).unwrap();

    let sessions = ledger.sessions().unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(
        sessions[0].session_id, "other",
        "most recently active first"
    );
    let s = &sessions[1];
    assert_eq!(s.started_at.as_deref(), Some("2025-01-31T09:00:00.000000Z"));
    assert_eq!(s.ended_at.as_deref(), Some("2025-01-31T10:00:00.000000Z"));
    assert_eq!(s.last_time, "2025-01-31T10:00:00.000000Z");
    assert_eq!((s.first_seq, s.last_seq, s.records), (1, 7, 7));
    assert_eq!((s.tool_calls, s.denied, s.asked, s.warned), (4, 2, 1, 1));
    assert_eq!(
        (s.agent.as_str(), s.cwd.as_str()),
        ("claude-code", "/work/project")
    );

    // A resumed session is no longer ended.
    ledger.append(record("s", "SessionStart")).unwrap();
    let sessions = ledger.sessions().unwrap();
    assert_eq!(sessions[0].session_id, "s");
    assert_eq!(sessions[0].ended_at, None);
    assert_eq!(
        sessions[0].started_at.as_deref(),
        Some("2025-01-31T09:00:00.000000Z")
    );
    assert!(verify(&ledger).ok);
    assert_eq!(ledger.records(&RecordFilter::default()).unwrap().len(), 9);
}
