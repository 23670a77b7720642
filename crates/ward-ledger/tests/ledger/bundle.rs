//! Export bundles checked by `verify_bundle`: a good one, and each way of tampering
//! with the files named by the first problem.

use std::fs;
use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use ward_ledger::bundle::{BundleKey, Selection, verify_bundle};
use ward_ledger::checkpoint::{KeyEndorsement, origin_for};
use ward_ledger::hash::sha256_hex;
use ward_ledger::{Ledger, RecordFilter, TrustedKey};

use crate::support::{fill, ledger};

fn key() -> SigningKey {
    SigningKey::from_bytes(&[9; 32])
}

fn bundle_key(key: &SigningKey) -> BundleKey {
    let public = key.verifying_key().to_bytes();
    let key_id = sha256_hex(&public)[..16].to_owned();
    BundleKey {
        name: origin_for(&key_id),
        key_id,
        public_key: public.iter().map(|b| format!("{b:02x}")).collect(),
        valid_until_size: None,
        endorsement: None,
    }
}

/// A ledger of 3 sessions (18 records) with two checkpoints, and a bundle of
/// session `b` in `DIR/good`.
fn exported() -> (tempfile::TempDir, PathBuf, Ledger) {
    let (dir, _path, mut ledger) = ledger();
    let origin = bundle_key(&key()).name;
    fill(&mut ledger, &["a", "b", "c"], 2);
    ledger.sign_checkpoint(&key(), &origin, &[]).unwrap();
    fill(&mut ledger, &["a", "b", "c"], 1);
    ledger.sign_checkpoint(&key(), &origin, &[]).unwrap();
    let out = dir.path().join("good");
    let filter = RecordFilter {
        session_id: Some("b".into()),
        ..RecordFilter::default()
    };
    let selection = Selection {
        session: Some("b".into()),
        since: None,
    };
    let exported = ledger
        .export_bundle(&out, &filter, selection, vec![bundle_key(&key())], &[])
        .unwrap();
    assert_eq!(
        (
            exported.records,
            exported.tree_size,
            exported.earlier_checkpoints
        ),
        (6, 18, 1)
    );
    (dir, out, ledger)
}

/// A copy of the good bundle with `edit` applied to one of its files.
fn tampered(good: &Path, file: &str, edit: impl FnOnce(String) -> String) -> PathBuf {
    let copy = good.with_file_name(format!("tampered-{file}"));
    fs::create_dir_all(&copy).unwrap();
    for entry in fs::read_dir(good).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), copy.join(entry.file_name())).unwrap();
    }
    let path = copy.join(file);
    let text = fs::read_to_string(&path).unwrap();
    let edited = edit(text.clone());
    assert_ne!(edited, text, "the edit changed nothing");
    fs::write(&path, edited).unwrap();
    copy
}

fn first_problem(dir: &Path) -> String {
    let report = verify_bundle(dir, &[], &[]).unwrap();
    assert!(!report.ok, "tampering went unnoticed");
    report.problems[0].clone()
}

#[test]
fn a_good_bundle_checks_out() {
    let (_dir, good, _ledger) = exported();
    let report = verify_bundle(&good, &[], &[]).unwrap();
    assert!(report.ok, "{:#?}", report.problems);
    assert_eq!(
        (report.records, report.tree_size, report.earlier_checkpoints),
        (6, 18, 1)
    );
}

#[test]
fn an_edited_record_is_named() {
    let (_dir, good, _ledger) = exported();
    let bad = tampered(&good, "records.jsonl", |text| {
        text.replacen("echo tu-1", "echo tu-9", 1)
    });
    assert_eq!(
        first_problem(&bad),
        "records.jsonl line 3: record 9: its hash is not the hash of its text (edited?)"
    );
}

#[test]
fn a_deleted_record_line_breaks_the_exported_session() {
    let (_dir, good, _ledger) = exported();
    let bad = tampered(&good, "records.jsonl", |text| {
        let lines: Vec<&str> = text.lines().collect();
        let mut kept: Vec<&str> = lines.clone();
        kept.remove(2);
        kept.join("\n") + "\n"
    });
    let problem = first_problem(&bad);
    assert!(
        problem.contains("records of the exported session are missing"),
        "{problem}"
    );
}

#[test]
fn swapped_record_lines_are_named() {
    let (_dir, good, _ledger) = exported();
    let bad = tampered(&good, "records.jsonl", |text| {
        let mut lines: Vec<&str> = text.lines().collect();
        lines.swap(1, 2);
        lines.join("\n") + "\n"
    });
    let report = verify_bundle(&bad, &[], &[]).unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|problem| problem
                == "records.jsonl line 3: record 4 comes after record 9 (reordered?)"),
        "{:#?}",
        report.problems
    );
}

#[test]
fn a_forged_checkpoint_is_refused() {
    let (_dir, good, _ledger) = exported();
    let bad = tampered(&good, "checkpoint.note", |text| {
        text.replacen("\n18\n", "\n17\n", 1)
    });
    let problem = first_problem(&bad);
    assert!(
        problem.starts_with("checkpoint.note: the signature by `ward/")
            && problem.ends_with("does not verify (checkpoint edited or forged?)"),
        "{problem}"
    );
}

#[test]
fn a_swapped_key_is_refused() {
    let (_dir, good, _ledger) = exported();
    let other = bundle_key(&SigningKey::from_bytes(&[3; 32]));
    let bad = tampered(&good, "keys.json", |text| {
        let original = bundle_key(&key());
        text.replace(&original.public_key, &other.public_key)
    });
    let problem = first_problem(&bad);
    assert!(
        problem.contains("is not the hash of its public key"),
        "{problem}"
    );
}

#[test]
fn a_manifest_that_disagrees_with_the_checkpoint_is_refused() {
    let (_dir, good, _ledger) = exported();
    let bad = tampered(&good, "bundle.json", |text| {
        text.replace("\"tree_size\": 18", "\"tree_size\": 30")
    });
    let problem = first_problem(&bad);
    assert!(
        problem.starts_with("checkpoint.note: it is the checkpoint of 18 records"),
        "{problem}"
    );
}

#[test]
fn an_exported_directory_must_be_new_or_empty() {
    let (_dir, good, ledger) = exported();
    let error = ledger
        .export_bundle(
            &good,
            &RecordFilter::default(),
            Selection::default(),
            vec![],
            &[],
        )
        .unwrap_err()
        .to_string();
    assert!(
        error.ends_with("is not empty; give a new or empty directory"),
        "{error}"
    );
}

/// A ledger whose key was rotated after 12 records (key 9, then key 4, with
/// key 9's endorsement of key 4), exported whole; returns the bundle and the
/// new key's `BundleKey`.
fn rotated() -> (tempfile::TempDir, PathBuf, BundleKey) {
    let (dir, _path, mut ledger) = ledger();
    let old = bundle_key(&key());
    let origin = old.name.clone();
    fill(&mut ledger, &["a", "b"], 3);
    ledger.sign_checkpoint(&key(), &origin, &[]).unwrap();
    let new_key = SigningKey::from_bytes(&[4; 32]);
    let mut new = bundle_key(&new_key);
    new.name = origin.clone();
    new.endorsement = Some(
        KeyEndorsement {
            origin: origin.clone(),
            key_id: new.key_id.clone(),
            key: new_key.verifying_key(),
            previous_valid_until_size: 12,
        }
        .sign(&key()),
    );
    let retired = BundleKey {
        valid_until_size: Some(12),
        ..old
    };
    let trusted = [TrustedKey {
        name: origin.clone(),
        key: key().verifying_key(),
        valid_until_size: Some(12),
    }];
    fill(&mut ledger, &["a"], 1);
    ledger.sign_checkpoint(&new_key, &origin, &trusted).unwrap();
    let out = dir.path().join("rotated");
    ledger
        .export_bundle(
            &out,
            &RecordFilter::default(),
            Selection::default(),
            vec![retired, new.clone()],
            &[],
        )
        .unwrap();
    (dir, out, new)
}

#[test]
fn a_rotated_key_endorsed_by_its_predecessor_checks_out() {
    let (_dir, bundle, _new) = rotated();
    let report = verify_bundle(&bundle, &[], &[]).unwrap();
    assert!(report.ok, "{:#?}", report.problems);
    assert_eq!(report.earlier_checkpoints, 1);
}

#[test]
fn a_key_added_to_keys_json_is_not_trusted() {
    let (_dir, bundle, new) = rotated();
    // Drop the endorsement: the key is now just claimed by the file.
    let bad = tampered(&bundle, "keys.json", |text| {
        let mut keys: Vec<BundleKey> = serde_json::from_str(&text).unwrap();
        keys[1].endorsement = None;
        serde_json::to_string(&keys).unwrap()
    });
    let problem = first_problem(&bad);
    assert_eq!(
        problem,
        format!(
            "keys.json: key `{}`: no earlier key of the log endorses it (a key the deployment \
             replaced, or one added to keys.json); trust it explicitly only if you know its id",
            new.key_id
        )
    );
    // An auditor who knows the key id may trust it.
    let report = verify_bundle(&bad, &[], std::slice::from_ref(&new.key_id)).unwrap();
    assert!(report.ok, "{:#?}", report.problems);
}

#[test]
fn a_raised_retirement_size_breaks_the_endorsement() {
    let (_dir, bundle, new) = rotated();
    let bad = tampered(&bundle, "keys.json", |text| {
        let mut keys: Vec<BundleKey> = serde_json::from_str(&text).unwrap();
        keys[0].valid_until_size = Some(13);
        serde_json::to_string(&keys).unwrap()
    });
    let problem = first_problem(&bad);
    assert!(
        problem.starts_with(&format!("keys.json: key `{}`: its endorsement", new.key_id)),
        "{problem}"
    );
}
