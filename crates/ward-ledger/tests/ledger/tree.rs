//! The Merkle tree over the ledger: roots recomputed independently, proofs for every
//! record and size, concurrent writers, tampering with the tree, and the migration
//! that builds the tree for a ledger written before it existed.

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use sha2::{Digest, Sha256};
use ward_ledger::proof::ProofCheckError;
use ward_ledger::{Ledger, OpenOptions, ProblemKind, RecordFilter};

use crate::support::{fill, ledger, raw, tool_call, verify};

/// RFC 9162 MTH written out from the RFC's definition, sharing no code with the
/// ledger, so that the stored tree is checked against something independent.
fn reference_root(leaves: &[Vec<u8>]) -> [u8; 32] {
    match leaves.len() {
        0 => Sha256::digest(b"").into(),
        1 => {
            let mut hasher = Sha256::new();
            hasher.update([0u8]);
            hasher.update(&leaves[0]);
            hasher.finalize().into()
        }
        n => {
            let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
            let mut hasher = Sha256::new();
            hasher.update([1u8]);
            hasher.update(reference_root(&leaves[..k]));
            hasher.update(reference_root(&leaves[k..]));
            hasher.finalize().into()
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn bodies(ledger: &Ledger) -> Vec<Vec<u8>> {
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
fn concurrent_writers_build_one_tree() {
    const THREADS: usize = 8;
    const APPENDS: usize = 40;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    drop(Ledger::open(&path).unwrap());
    let options = OpenOptions {
        busy_timeout: Duration::from_secs(60),
        ..OpenOptions::default()
    };
    let barrier = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|thread| {
            let (path, barrier) = (path.clone(), Arc::clone(&barrier));
            thread::spawn(move || {
                let mut ledger = Ledger::open_with(&path, options).unwrap();
                barrier.wait();
                for index in 0..APPENDS {
                    let id = format!("t{thread}-{index}");
                    ledger
                        .append(tool_call(&format!("s{thread}"), "PreToolUse", "Bash", &id))
                        .unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let ledger = Ledger::open(&path).unwrap();
    let bodies = bodies(&ledger);
    assert_eq!(bodies.len(), THREADS * APPENDS);
    let report = verify(&ledger);
    assert!(report.ok, "{:#?}", report.problems);
    assert_eq!(report.tree_root, hex(&reference_root(&bodies)));
    // Every level-0 row is a record's leaf: none lost, none doubled.
    let leaves: u64 = raw(&path)
        .query_row(
            "SELECT count(*) FROM merkle_nodes WHERE level = 0",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(leaves, (THREADS * APPENDS) as u64);
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
