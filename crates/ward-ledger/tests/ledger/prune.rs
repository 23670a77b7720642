//! Retention: pruning old bodies keeps every remaining record, chain and
//! checkpoint verifiable, runs while hooks append, and never becomes a way to
//! delete a record unseen.

use ed25519_dalek::SigningKey;
use serde_json::json;
use ward_ledger::checkpoint::origin_for;
use ward_ledger::{Ledger, PRUNED_EVENT, ProblemKind, Record, TrustedKey, VerifyReport};

use crate::support::{ledger, raw, record, tool_call};

const ORIGIN_ID: &str = "00112233aabbccdd";
const OLD: &str = "2024-03-01T10:00:00.000000Z";

fn key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

fn sign(ledger: &mut Ledger) {
    ledger
        .sign_checkpoint(&key(), &origin_for(ORIGIN_ID), &[])
        .unwrap();
}

fn verify(ledger: &Ledger) -> VerifyReport {
    ledger
        .verify_with(
            &[TrustedKey::current(
                origin_for(ORIGIN_ID),
                key().verifying_key(),
            )],
            &mut |_, _| {},
        )
        .unwrap()
}

fn old(mut record: Record) -> Record {
    OLD.clone_into(&mut record.time);
    record
}

fn host(event: &str, input: serde_json::Value) -> Record {
    let mut record = record("ward-host", event);
    record.role.agent = "ward".into();
    record.request.input = input;
    record
}

fn prune_record(through_seq: u64) -> Record {
    host(
        PRUNED_EVENT,
        json!({"through_seq": through_seq, "before": "2025-01-01T00:00:00.000000Z", "records": 0, "by": "tester"}),
    )
}

/// Old calls in two sessions (one of which goes on later), a host record, then
/// recent calls; signed.
fn history() -> (tempfile::TempDir, std::path::PathBuf, Ledger) {
    let (dir, path, mut ledger) = ledger();
    ledger
        .append(host("HostIdentity", json!({"key_id": ORIGIN_ID})))
        .unwrap();
    for index in 0..5 {
        for session in ["old-a", "old-b"] {
            let id = format!("{session}-{index}");
            ledger
                .append(old(tool_call(session, "PreToolUse", "Bash", &id)))
                .unwrap();
            ledger
                .append(old(tool_call(session, "PostToolUse", "Bash", &id)))
                .unwrap();
        }
    }
    // Session b goes on today: its next record names the last pruned one.
    for index in 0..3 {
        let id = format!("new-{index}");
        ledger
            .append(tool_call("old-b", "PreToolUse", "Read", &id))
            .unwrap();
    }
    sign(&mut ledger);
    (dir, path, ledger)
}

/// [`history`], its old records pruned.
fn pruned_history() -> (tempfile::TempDir, std::path::PathBuf, Ledger) {
    let (dir, path, mut ledger) = history();
    let plan = ledger.prune_plan("2025-01-01").unwrap();
    ledger
        .prune(&plan, prune_record(plan.through_seq), &mut |_, _| {})
        .unwrap();
    (dir, path, ledger)
}

#[test]
fn a_pruned_prefix_still_verifies_and_keeps_the_host_records() {
    let (_dir, path, mut ledger) = history();
    let plan = ledger.prune_plan("2025-01-01").unwrap();
    assert_eq!(plan.through_seq, 21, "{plan:?}");
    assert_eq!(plan.records, 20);
    assert_eq!(plan.uncovered, 0);
    let pruned = ledger
        .prune(&plan, prune_record(plan.through_seq), &mut |_, _| {})
        .unwrap();
    assert_eq!(pruned, 20);
    let report = verify(&ledger);
    assert!(report.ok, "{:#?}", report.problems);
    assert_eq!(report.records, 25);
    // The bodies are gone, the rows and the host's record are not.
    let conn = raw(&path);
    let empty: i64 = conn
        .query_row("SELECT count(*) FROM records WHERE body = ''", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(empty, 20);
    assert!(
        ledger.record(1).unwrap().is_some(),
        "the host identity stays"
    );
    assert!(ledger.record(2).unwrap().is_none(), "pruned");
    assert!(ledger.record_hash(2).unwrap().is_some());
    // Queries skip pruned records; a new checkpoint still signs.
    assert_eq!(
        ledger
            .records(&ward_ledger::RecordFilter::default())
            .unwrap()
            .len(),
        5
    );
    sign(&mut ledger);
    assert!(verify(&ledger).ok);
    // Pruning again finds nothing left.
    assert_eq!(ledger.prune_plan("2025-01-01").unwrap().records, 0);
}

#[test]
fn only_records_covered_by_a_checkpoint_are_pruned() {
    let (_dir, _path, mut ledger) = ledger();
    let old_call = |index: usize| old(tool_call("s", "PreToolUse", "Bash", &format!("t{index}")));
    for index in 0..4 {
        ledger.append(old_call(index)).unwrap();
    }
    sign(&mut ledger);
    for index in 4..6 {
        ledger.append(old_call(index)).unwrap();
    }
    let plan = ledger.prune_plan("2025-01-01").unwrap();
    assert_eq!((plan.through_seq, plan.records, plan.uncovered), (4, 4, 2));
}

#[test]
fn tampering_after_a_prune_is_still_found() {
    let cases: [(&str, &str, ProblemKind); 4] = [
        (
            "a remaining record edited",
            "UPDATE records SET body = replace(body, 'new-1', 'evil') WHERE seq = 23",
            ProblemKind::HashMismatch,
        ),
        (
            "a pruned record's hash changed",
            "UPDATE records SET hash = 'ab' || substr(hash, 3) WHERE seq = 21",
            ProblemKind::ChainBroken,
        ),
        (
            "a recent body emptied as if pruned",
            "UPDATE records SET body = '' WHERE seq = 23",
            ProblemKind::BadBody,
        ),
        (
            "a pruned record deleted",
            "DELETE FROM records WHERE seq = 5",
            ProblemKind::Missing,
        ),
    ];
    for (what, sql, kind) in cases {
        let (_dir, path, ledger) = pruned_history();
        raw(&path).execute(sql, []).unwrap();
        let report = verify(&ledger);
        assert!(!report.ok, "{what}: not found");
        assert!(
            report.problems.iter().any(|p| p.kind == kind),
            "{what}: {:#?}",
            report.problems
        );
    }
    // A pruned record's Merkle leaf changed: the signed checkpoint says otherwise.
    let (_dir, path, ledger) = pruned_history();
    raw(&path)
        .execute(
            "UPDATE merkle_nodes SET hash = zeroblob(32) WHERE level = 0 AND idx = 3",
            [],
        )
        .unwrap();
    let report = verify(&ledger);
    assert!(!report.ok);
    assert!(
        report
            .problems
            .iter()
            .any(|p| matches!(p.kind, ProblemKind::Checkpoint | ProblemKind::MerkleTree)),
        "{:#?}",
        report.problems
    );
}

#[test]
fn a_prune_without_its_record_is_refused() {
    let (_dir, _path, mut ledger) = history();
    let plan = ledger.prune_plan("2025-01-01").unwrap();
    let wrong = prune_record(plan.through_seq + 1);
    assert!(ledger.prune(&plan, wrong, &mut |_, _| {}).is_err());
    assert!(verify(&ledger).ok);
}

#[test]
fn hooks_append_while_a_prune_runs_and_nothing_is_lost() {
    let (_dir, path, mut ledger) = history();
    let plan = ledger.prune_plan("2025-01-01").unwrap();
    let writer_path = path.clone();
    let writer = std::thread::spawn(move || {
        let mut ledger = Ledger::open(&writer_path).unwrap();
        for index in 0..50 {
            ledger
                .append(tool_call(
                    "live",
                    "PreToolUse",
                    "Bash",
                    &format!("live-{index}"),
                ))
                .unwrap();
        }
    });
    ledger
        .prune(&plan, prune_record(plan.through_seq), &mut |_, _| {})
        .unwrap();
    writer.join().unwrap();
    let report = verify(&ledger);
    assert!(report.ok, "{:#?}", report.problems);
    assert_eq!(report.records, 24 + 1 + 50);
    let live = ledger
        .records(&ward_ledger::RecordFilter {
            session_id: Some("live".into()),
            ..ward_ledger::RecordFilter::default()
        })
        .unwrap();
    assert_eq!(live.len(), 50);
}
