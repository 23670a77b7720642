//! The Merkle tree over the ledger: roots recomputed independently, proofs for every
//! record and size (concurrent writers are in `concurrency`), tampering with the tree, and the migration
//! that builds the tree for a ledger written before it existed.

use ward_ledger::proof::ProofCheckError;
use ward_ledger::{Ledger, ProblemKind, RecordFilter};

use crate::support::{fill, hex, ledger, raw, reference_root, verify};

pub(crate) fn bodies(ledger: &Ledger) -> Vec<Vec<u8>> {
    ledger
        .records(&RecordFilter::default())
        .unwrap()
        .into_iter()
        .map(|stored| stored.body.into_bytes())
        .collect()
}

#[test]
fn every_past_root_equals_an_independent_computation() {
    let (_dir, _path, mut ledger) = ledger();
    fill(&mut ledger, &["a", "b", "c"], 6); // 36 records
    let bodies = bodies(&ledger);
    assert_eq!(ledger.tree_size().unwrap(), 36);
    for size in 0..=36 {
        assert_eq!(
            hex(&ledger.root_at(size).unwrap()),
            hex(&reference_root(&bodies[..size as usize])),
            "root of the first {size} records"
        );
    }
    let report = verify(&ledger);
    assert!(report.ok, "{:#?}", report.problems);
    assert_eq!(report.tree_size, 36);
    assert_eq!(report.tree_root, hex(&reference_root(&bodies)));
}

#[test]
fn every_inclusion_and_consistency_proof_checks() {
    let (_dir, _path, mut ledger) = ledger();
    fill(&mut ledger, &["a", "b"], 6); // 24 records
    for size in 1..=24 {
        for seq in 1..=size {
            let proof = ledger.inclusion_proof(seq, Some(size)).unwrap();
            assert_eq!(proof.tree_size, size);
            proof.check().unwrap();
        }
    }
    for new in 0..=24 {
        for old in 0..=new {
            ledger.consistency_proof(old, new).unwrap().check().unwrap();
        }
    }
}

#[test]
fn a_proof_for_an_edited_record_or_root_fails() {
    let (_dir, _path, mut ledger) = ledger();
    fill(&mut ledger, &["a"], 5);
    let proof = ledger.inclusion_proof(4, None).unwrap();

    let mut edited = proof.clone();
    edited.record = edited.record.replace("Bash", "Bask");
    assert_ne!(edited.record, proof.record);
    assert_eq!(edited.check(), Err(ProofCheckError::LeafMismatch));

    let mut other_root = proof.clone();
    other_root.root = hex(&ledger.root_at(9).unwrap());
    assert!(matches!(other_root.check(), Err(ProofCheckError::Path(_))));

    let mut moved = proof;
    moved.seq = 5;
    assert!(matches!(moved.check(), Err(ProofCheckError::Path(_))));
}

#[test]
fn proofs_beyond_the_ledger_are_errors_that_say_so() {
    let (_dir, _path, mut ledger) = ledger();
    fill(&mut ledger, &["a"], 2);
    let error = ledger.inclusion_proof(5, None).unwrap_err().to_string();
    assert_eq!(
        error,
        "record 5 is not in a tree of 4 records (records are numbered from 1)"
    );
    let error = ledger.consistency_proof(2, 9).unwrap_err().to_string();
    assert_eq!(
        error,
        "the ledger holds 4 records, fewer than the tree size 9 asked for"
    );
    let error = ledger.consistency_proof(3, 2).unwrap_err().to_string();
    assert_eq!(error, "the old size 3 is larger than the new size 2");
}

#[test]
fn an_edited_tree_leaf_names_its_record() {
    let (_dir, path, mut ledger) = ledger();
    fill(&mut ledger, &["a", "b"], 5); // 20 records
    raw(&path)
        .execute(
            "UPDATE merkle_nodes SET hash = zeroblob(32) WHERE level = 0 AND idx = 6",
            [],
        )
        .unwrap();
    let report = verify(&ledger);
    assert!(!report.ok);
    assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
    let problem = &report.problems[0];
    assert_eq!(
        (problem.seq, problem.kind),
        (Some(7), ProblemKind::MerkleTree)
    );
    assert_eq!(
        problem.message,
        "record 7: its leaf in the Merkle tree is not the hash of its body"
    );
}

#[test]
fn an_edited_inner_node_names_the_records_under_it() {
    let (_dir, path, mut ledger) = ledger();
    fill(&mut ledger, &["a", "b"], 5); // 20 records
    raw(&path)
        .execute(
            "UPDATE merkle_nodes SET hash = zeroblob(32) WHERE level = 2 AND idx = 1",
            [],
        )
        .unwrap();
    let report = verify(&ledger);
    assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
    assert_eq!(
        report.problems[0].message,
        "records 5 to 8: the Merkle tree node over them does not match their content"
    );
}

#[test]
fn a_tail_cut_from_records_and_heads_consistently_is_caught_by_the_tree() {
    let (_dir, path, mut ledger) = ledger();
    fill(&mut ledger, &["a"], 5); // 10 records, one session
    let conn = raw(&path);
    // Cut record 10 and make the session head agree, as a careful forger would.
    let (hash9, time9): (String, String) = conn
        .query_row("SELECT hash, time FROM records WHERE seq = 9", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .unwrap();
    conn.execute("DELETE FROM records WHERE seq = 10", [])
        .unwrap();
    conn.execute(
        "UPDATE sessions SET last_seq = 9, last_hash = ?1, record_count = 9, last_time = ?2",
        [&hash9, &time9],
    )
    .unwrap();
    let report = verify(&ledger);
    assert!(!report.ok);
    assert!(
        report
            .problems
            .iter()
            .all(|p| p.kind == ProblemKind::MerkleTree),
        "{:#?}",
        report.problems
    );
    assert_eq!(
        report.problems[0].message,
        "the tree holds a node (level 0, index 9) beyond the records: records were deleted \
         from the end?"
    );
}

#[test]
fn a_version_one_ledger_gets_its_tree_when_opened() {
    let (_dir, path, mut ledger) = ledger();
    fill(&mut ledger, &["a", "b", "c"], 4); // 24 records
    let root = hex(&ledger.root_at(24).unwrap());
    drop(ledger);
    let conn = raw(&path);
    conn.execute_batch("DROP TABLE merkle_nodes; DROP TABLE checkpoints; PRAGMA user_version = 1;")
        .unwrap();
    drop(conn);

    let ledger = Ledger::open(&path).unwrap();
    assert_eq!(hex(&ledger.root_at(24).unwrap()), root);
    let report = verify(&ledger);
    assert!(report.ok, "{:#?}", report.problems);
    assert_eq!(report.tree_root, root);
}
