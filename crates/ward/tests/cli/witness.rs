//! Witnesses through the binary: a second Ward home cosigns a log's checkpoints
//! (C2SP tlog-cosignature) only when each extends the last one it cosigned; the
//! log stores the cosignatures and `verify` counts them.

use std::path::{Path, PathBuf};

use crate::harness::Ctx;

fn log_with_records() -> Ctx {
    Ctx::with_hooks(&["session_start_startup", "user_prompt_submit_feature"])
}

fn add_record(log: &Ctx) {
    log.hook_fixture("claude-code/pre_tool_use_read_source.json")
        .assert_hook_ok();
}

/// Signs a checkpoint of the whole log into `ROOT/NAME`.
fn checkpoint(log: &Ctx, name: &str) -> PathBuf {
    let path = log.root.join(name);
    log.ward(&["audit", "checkpoint", "--out", &path.display().to_string()])
        .assert_success();
    path
}

/// `ward audit consistency OLD NEW` on the log, into `ROOT/NAME`.
fn consistency(log: &Ctx, old: u64, new: u64, name: &str) -> PathBuf {
    let path = log.root.join(name);
    let (old, new) = (old.to_string(), new.to_string());
    log.ward(&[
        "audit",
        "consistency",
        &old,
        &new,
        "--out",
        &path.display().to_string(),
    ])
    .assert_success();
    path
}

fn log_vkey(log: &Ctx) -> String {
    let shown = log
        .ward(&["keys", "show", "--json"])
        .assert_success()
        .json();
    shown["vkey"].as_str().unwrap().to_owned()
}

fn witness_vkey(witness: &Ctx) -> String {
    let shown = witness
        .ward(&["witness", "show", "--json"])
        .assert_success()
        .json();
    shown["vkey"].as_str().unwrap().to_owned()
}

/// `ward witness cosign` in the witness's home; the cosigned note goes to
/// `WITNESS_ROOT/OUT`.
fn cosign(
    witness: &Ctx,
    note: &Path,
    log_key: &str,
    proof: Option<&Path>,
    out: &str,
) -> crate::harness::Out {
    let out_path = witness.root.join(out).display().to_string();
    let note_arg = note.display().to_string();
    let mut args = vec![
        "witness",
        "cosign",
        note_arg.as_str(),
        "--log-key",
        log_key,
        "--out",
        out_path.as_str(),
    ];
    let proof_arg = proof.map(|p| p.display().to_string());
    if let Some(proof) = &proof_arg {
        args.extend(["--proof", proof.as_str()]);
    }
    witness.ward(&args)
}

#[test]
fn a_witness_cosigns_a_growing_log_and_verify_counts_it() {
    let log = log_with_records();
    let witness = Ctx::new();
    let log_key = log_vkey(&log);
    let witness_key = witness_vkey(&witness);
    assert!(witness_key.starts_with("ward-witness/"), "{witness_key}");

    // The first checkpoint is taken as it is.
    let first = checkpoint(&log, "cp-3.note");
    let out = cosign(&witness, &first, &log_key, None, "cp-3.cosigned");
    out.assert_success();
    assert!(
        out.stderr.contains("the first of this log"),
        "{}",
        out.render()
    );
    let cosigned = witness.root.join("cp-3.cosigned");
    let text = std::fs::read_to_string(&cosigned).unwrap();
    let original = std::fs::read_to_string(&first).unwrap();
    assert!(text.starts_with(&original), "the log's note is kept whole");
    assert_eq!(
        text.lines().filter(|l| l.starts_with('\u{2014}')).count(),
        2
    );

    // Back on the log: stored, and counted by verify.
    let cosigned_arg = cosigned.display().to_string();
    let out = log.ward(&[
        "audit",
        "add-cosignature",
        &cosigned_arg,
        "--witness",
        &witness_key,
    ]);
    out.assert_success();
    assert!(
        out.stdout
            .contains("Stored the cosignature(s) of ward-witness/"),
        "{}",
        out.render()
    );
    let report = log
        .ward(&["audit", "verify", "--json", "--witness", &witness_key])
        .assert_success()
        .json();
    assert_eq!(report["witnesses"]["configured"], 1);
    assert_eq!(report["witnesses"]["checkpoints"][0]["tree_size"], 3);
    assert_eq!(
        report["witnesses"]["checkpoints"][0]["witnesses"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // The log grows: the witness wants a consistency proof from what it cosigned.
    add_record(&log);
    let second = checkpoint(&log, "cp-4.note");
    let out = cosign(&witness, &second, &log_key, None, "cp-4.cosigned");
    assert_eq!(out.code, 2, "{}", out.render());
    assert!(
        out.stderr.contains("ward audit consistency 3 4"),
        "{}",
        out.render()
    );
    let proof = consistency(&log, 3, 4, "3-4.json");
    let out = cosign(&witness, &second, &log_key, Some(&proof), "cp-4.cosigned");
    out.assert_success();
    assert!(
        out.stderr
            .contains("proved to extend the last one cosigned"),
        "{}",
        out.render()
    );

    // With the witness in the policy, plain `verify` reports it.
    let policy = std::fs::read_to_string(log.ward_home.join("policy.toml")).unwrap();
    log.write(
        &log.ward_home.join("policy.toml"),
        &format!("{policy}\n[ledger]\nwitnesses = [\"{witness_key}\"]\n"),
    );
    let cosigned_arg = witness.root.join("cp-4.cosigned").display().to_string();
    log.ward(&["audit", "add-cosignature", &cosigned_arg])
        .assert_success();
    let out = log.ward(&["audit", "verify"]);
    out.assert_success();
    assert!(
        out.stdout.contains(
            "Witnesses: the latest checkpoint (4 records) is cosigned by 1 of 1 configured"
        ),
        "{}",
        out.render()
    );

    // The bundle carries the cosignature; its verifier counts it.
    let dir = log.root.join("bundle");
    let dir_arg = dir.display().to_string();
    log.ward(&["audit", "export", "--bundle", &dir_arg])
        .assert_success();
    let out = log.ward(&["audit", "verify", "--bundle", &dir_arg, "--json"]);
    out.assert_success();
    let report = out.json();
    assert_eq!(
        report["witnesses"].as_array().unwrap().len(),
        1,
        "{report:#}"
    );
    // So does the independent verifier, from the bundle's bytes alone.
    let out = crate::bundle_python::python_verify(&dir, &[]);
    assert_eq!(out.code, 0, "{}", out.render());
    let vkey_name = witness_key.split('+').next().unwrap();
    assert!(
        out.stdout.contains(&format!(
            "witnesses: 1 cosigned the checkpoint: {vkey_name}"
        )),
        "{}",
        out.render()
    );

    // An older checkpoint than the one cosigned is refused (a rollback).
    let out = cosign(&witness, &first, &log_key, None, "old.cosigned");
    assert_eq!(out.code, 2, "{}", out.render());
    assert!(out.stderr.contains("older checkpoint"), "{}", out.render());
}

#[test]
fn a_forked_log_cannot_get_both_histories_cosigned() {
    let log = log_with_records();
    // A copy of the whole home, key included: the same log, about to fork.
    let fork = Ctx::new();
    copy_dir(&log.ward_home, &fork.ward_home);
    let witness = Ctx::new();
    let log_key = log_vkey(&log);

    let first = checkpoint(&log, "cp.note");
    cosign(&witness, &first, &log_key, None, "cp.cosigned").assert_success();

    // Each copy records something different at the same size.
    add_record(&log);
    fork.hook_fixture("claude-code/pre_tool_use_read_env.json")
        .assert_hook_ok();
    let honest = checkpoint(&log, "honest.note");
    let forked = checkpoint(&fork, "forked.note");
    let proof = consistency(&log, 3, 4, "proof.json");
    cosign(&witness, &honest, &log_key, Some(&proof), "honest.cosigned").assert_success();

    let fork_proof = consistency(&fork, 3, 4, "proof.json");
    let out = cosign(
        &witness,
        &forked,
        &log_key,
        Some(&fork_proof),
        "forked.cosigned",
    );
    assert_eq!(out.code, 2, "{}", out.render());
    assert!(out.stderr.contains("SPLIT VIEW"), "{}", out.render());
}

#[test]
fn bad_checkpoints_and_keys_are_refused_with_the_reason() {
    let log = log_with_records();
    let witness = Ctx::new();
    let note = checkpoint(&log, "cp.note");
    let text = std::fs::read_to_string(&note).unwrap();

    // Signed by another log's key.
    let other = log_with_records();
    let out = cosign(&witness, &note, &log_vkey(&other), None, "x");
    assert_eq!(out.code, 2, "{}", out.render());
    assert!(out.stderr.contains("is the key of"), "{}", out.render());

    // Edited after signing.
    let edited = log.root.join("edited.note");
    log.write(&edited, &text.replacen("\n3\n", "\n2\n", 1));
    let out = cosign(&witness, &edited, &log_vkey(&log), None, "x");
    assert_eq!(out.code, 2, "{}", out.render());
    assert!(
        out.stderr.contains("not signed by the log key"),
        "{}",
        out.render()
    );

    // A witness key where the log key belongs, and garbage.
    let out = cosign(&witness, &note, &witness_vkey(&witness), None, "x");
    assert_eq!(out.code, 2, "{}", out.render());
    assert!(
        out.stderr.contains("is a witness's key"),
        "{}",
        out.render()
    );
    let out = cosign(&witness, &note, "not-a-key", None, "x");
    assert_eq!(out.code, 2, "{}", out.render());
    assert!(
        out.stderr.contains("is not a verifier key"),
        "{}",
        out.render()
    );

    // The log refuses a cosignature by a witness it does not know.
    cosign(&witness, &note, &log_vkey(&log), None, "cp.cosigned").assert_success();
    let cosigned_arg = witness.root.join("cp.cosigned").display().to_string();
    let out = log.ward(&["audit", "add-cosignature", &cosigned_arg]);
    assert_eq!(out.code, 2, "{}", out.render());
    assert!(out.stderr.contains("not configured"), "{}", out.render());
}

#[test]
fn an_edited_cosignature_fails_verify() {
    let log = log_with_records();
    let witness = Ctx::new();
    let witness_key = witness_vkey(&witness);
    let note = checkpoint(&log, "cp.note");
    cosign(&witness, &note, &log_vkey(&log), None, "cp.cosigned").assert_success();
    let cosigned_arg = witness.root.join("cp.cosigned").display().to_string();
    log.ward(&[
        "audit",
        "add-cosignature",
        &cosigned_arg,
        "--witness",
        &witness_key,
    ])
    .assert_success();

    // Flip one byte of the timestamp inside the stored cosignature line.
    let conn = rusqlite::Connection::open(log.ward_home.join("ledger.db")).unwrap();
    let stored: String = conn
        .query_row(
            "SELECT note FROM checkpoints WHERE tree_size = 3",
            [],
            |row| row.get(0),
        )
        .unwrap();
    let mut note = ward_ledger::checkpoint::SignedNote::parse(&stored).unwrap();
    note.signatures[1].signature[7] ^= 1;
    conn.execute(
        "UPDATE checkpoints SET note = ?1 WHERE tree_size = 3",
        rusqlite::params![note.text()],
    )
    .unwrap();
    drop(conn);

    let out = log.ward(&["audit", "verify", "--witness", &witness_key]);
    assert_eq!(out.code, 1, "{}", out.render());
    assert!(
        out.stdout
            .contains("the cosignature by witness `ward-witness/")
            && out.stdout.contains("does not verify"),
        "{}",
        out.render()
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
