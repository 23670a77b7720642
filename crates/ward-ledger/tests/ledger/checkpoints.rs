//! Signed checkpoints: signing, the consistency check before signing, and what
//! `verify_with` finds when records, the tree or the checkpoints are tampered with.

use ed25519_dalek::SigningKey;
use ward_ledger::checkpoint::{Checkpoint, SignedNote, origin_for};
use ward_ledger::{Ledger, ProblemKind, TrustedKey, VerifyReport};

use crate::support::{fill, ledger, raw};

const ORIGIN_ID: &str = "00112233aabbccdd";

fn host_key() -> SigningKey {
    SigningKey::from_bytes(&[42; 32])
}

fn trusted(key: &SigningKey) -> Vec<TrustedKey> {
    vec![TrustedKey::current(
        origin_for(ORIGIN_ID),
        key.verifying_key(),
    )]
}

fn sign(ledger: &mut Ledger) -> ward_ledger::Signed {
    ledger
        .sign_checkpoint(&host_key(), &origin_for(ORIGIN_ID), &[])
        .unwrap()
}

fn verify(ledger: &Ledger) -> VerifyReport {
    ledger
        .verify_with(&trusted(&host_key()), &mut |_, _| {})
        .unwrap()
}

fn checkpoint_problems(report: &VerifyReport) -> Vec<String> {
    report
        .problems
        .iter()
        .filter(|problem| problem.kind == ProblemKind::Checkpoint)
        .map(|problem| problem.message.clone())
        .collect()
}

#[test]
fn checkpoints_are_signed_as_the_log_grows_and_all_verify() {
    let (_dir, _path, mut ledger) = ledger();
    fill(&mut ledger, &["a", "b"], 3); // 12 records
    let first = sign(&mut ledger);
    assert!(first.new);
    assert_eq!(first.consistent_with, None);
    assert_eq!(first.checkpoint.tree_size, 12);

    let again = sign(&mut ledger);
    assert!(
        !again.new,
        "nothing new: no second checkpoint of the same tree"
    );

    fill(&mut ledger, &["c"], 4); // 20 records
    let second = sign(&mut ledger);
    assert_eq!(
        (
            second.new,
            second.consistent_with,
            second.checkpoint.tree_size
        ),
        (true, Some(12), 20)
    );

    // The note is a C2SP checkpoint of the recomputed root, signed by the host key.
    let note = SignedNote::parse(&second.checkpoint.note).unwrap();
    note.verify(&origin_for(ORIGIN_ID), &host_key().verifying_key())
        .unwrap();
    let body = Checkpoint::parse_body(&note.body).unwrap();
    assert_eq!(body.size, 20);
    assert_eq!(body.root, ledger.root_at(20).unwrap());

    let report = verify(&ledger);
    assert!(report.ok, "{:#?}", report.problems);
    assert_eq!(
        (report.checkpoints, report.checkpointed_size),
        (2, Some(20))
    );
}

#[test]
fn an_edited_record_contradicts_the_checkpoint_signed_before() {
    let (_dir, path, mut ledger) = ledger();
    fill(&mut ledger, &["a"], 5); // 10 records
    sign(&mut ledger);
    raw(&path)
        .execute(
            "UPDATE records SET body = replace(body, 'echo tu-1', 'echo tu-X') WHERE seq = 3",
            [],
        )
        .unwrap();
    let report = verify(&ledger);
    assert_eq!(report.problems[0].seq, Some(3), "{:#?}", report.problems);
    assert_eq!(
        checkpoint_problems(&report),
        [
            "checkpoint of 10 records: its signed root is not the root of the first 10 records: \
          records were changed, removed or reordered after it was signed"
        ]
    );
}

#[test]
fn a_tail_cut_everywhere_is_caught_by_the_checkpoint() {
    let (_dir, path, mut ledger) = ledger();
    fill(&mut ledger, &["a"], 5); // 10 records
    sign(&mut ledger);
    // A thorough forger: records 9 and 10, their tree nodes and the session head.
    let conn = raw(&path);
    let (hash8, time8): (String, String) = conn
        .query_row("SELECT hash, time FROM records WHERE seq = 8", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .unwrap();
    conn.execute_batch(
        "DELETE FROM records WHERE seq > 8;
         DELETE FROM merkle_nodes WHERE (idx + 1) << level > 8;",
    )
    .unwrap();
    conn.execute(
        "UPDATE sessions SET last_seq = 8, last_hash = ?1, record_count = 8, last_time = ?2",
        [&hash8, &time8],
    )
    .unwrap();
    let report = verify(&ledger);
    assert!(!report.ok);
    assert_eq!(
        checkpoint_problems(&report),
        [
            "checkpoint of 10 records: the ledger holds only 8: records 9 to 10 were removed from \
          the end after it was signed"
        ]
    );
    assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
}

#[test]
fn a_forged_or_foreign_checkpoint_is_named() {
    let (_dir, path, mut ledger) = ledger();
    fill(&mut ledger, &["a"], 4); // 8 records
    sign(&mut ledger);
    // Forged: the size edited in the note, signature kept.
    raw(&path)
        .execute(
            "UPDATE checkpoints SET note = replace(note, char(10) || '8' || char(10), \
             char(10) || '7' || char(10))",
            [],
        )
        .unwrap();
    let problems = checkpoint_problems(&verify(&ledger));
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].starts_with(
            "checkpoint of 8 records: no valid signature by a trusted key (signed as ward/00112233aabbccdd)"
        ),
        "{problems:?}"
    );

    // Signed by another key under the same name (a swapped key).
    let (_dir, _path, mut other) = crate::support::ledger();
    fill(&mut other, &["a"], 4);
    other
        .sign_checkpoint(
            &SigningKey::from_bytes(&[7; 32]),
            &origin_for(ORIGIN_ID),
            &[],
        )
        .unwrap();
    let problems = checkpoint_problems(&verify(&other));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("no valid signature by a trusted key"));
}

#[test]
fn a_rewritten_ledger_gets_no_new_signature() {
    let (_dir, path, mut ledger) = ledger();
    fill(&mut ledger, &["a"], 3); // 6 records
    sign(&mut ledger);
    // Rewrite the tree as if records 1-4 had other content (a forger recomputing
    // the node over them), then let the log grow and try to checkpoint it.
    raw(&path)
        .execute(
            "UPDATE merkle_nodes SET hash = zeroblob(32) WHERE level = 2 AND idx = 0",
            [],
        )
        .unwrap();
    fill(&mut ledger, &["a"], 1); // 8 records
    let error = ledger
        .sign_checkpoint(&host_key(), &origin_for(ORIGIN_ID), &[])
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("the tree of 8 records does not extend the checkpoint of 6 records")
            && error
                .ends_with("the ledger was rewritten; refusing to sign (run `ward audit verify`)"),
        "{error}"
    );
    assert_eq!(ledger.checkpoints().unwrap().len(), 1);
}
