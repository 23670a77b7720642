//! `ward audit prove|consistency|verify-proof` through the binary: proofs written
//! for real hook records, checked offline by a command that needs no ledger, and
//! refused once edited.

use serde_json::Value;

use crate::harness::Ctx;

/// A ledger of the host identity (record 1) and a few hook records: a prompt and
/// its reads.
fn recorded() -> Ctx {
    Ctx::with_hooks(&[
        "session_start_startup",
        "user_prompt_submit_feature",
        "pre_tool_use_read_source",
        "post_tool_use_read_source",
        "pre_tool_use_read_env",
    ])
}

#[test]
fn an_inclusion_proof_round_trips_through_a_file() {
    let ctx = recorded();
    let file = ctx.root.join("proof.json");
    let file_arg = file.display().to_string();
    let out = ctx.ward(&["audit", "prove", "4", "--out", &file_arg]);
    out.assert_success();
    assert_eq!(
        out.stderr,
        format!("Wrote the proof for record 4 to {file_arg}\n")
    );
    let proof: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(proof["type"], "ward-inclusion-proof");
    assert_eq!(proof["seq"], 4);
    assert_eq!(proof["tree_size"], 6);
    let record: Value = serde_json::from_str(proof["record"].as_str().unwrap()).unwrap();
    assert_eq!(record["request"]["event"], "PreToolUse");

    // Checked by a Ward with no home at all: the proof is all it needs.
    let stranger = Ctx::new();
    let root = proof["root"].as_str().unwrap().to_owned();
    let out = stranger.ward(&["audit", "verify-proof", &file_arg, "--root", &root]);
    out.assert_success();
    assert_eq!(
        out.stdout,
        format!("ok: record 4 is in the tree of 6 records with root {root} (the root you gave).\n")
    );
}

#[test]
fn an_edited_inclusion_proof_fails_and_names_why() {
    let ctx = recorded();
    let proof = ctx
        .ward(&["audit", "prove", "3"])
        .assert_success()
        .stdout
        .clone();
    let edited = proof.replace("UserPromptSubmit", "UserPromptSubmiT");
    assert_ne!(edited, proof);
    let out = ctx.ward_stdin(&["audit", "verify-proof", "-", "--json"], edited);
    assert_eq!(out.code, 1, "{}", out.render());
    let result = out.json();
    assert_eq!(result["ok"], false);
    assert_eq!(
        result["error"],
        "the record in the proof does not hash to `leaf_hash` (record edited?)"
    );
}

#[test]
fn a_proof_for_another_root_than_the_trusted_one_fails() {
    let ctx = recorded();
    let proof = ctx
        .ward(&["audit", "prove", "1"])
        .assert_success()
        .stdout
        .clone();
    let other = "ab".repeat(32);
    let out = ctx.ward_stdin(&["audit", "verify-proof", "-", "--root", &other], proof);
    assert_eq!(out.code, 1, "{}", out.render());
    assert!(
        out.stdout
            .starts_with("FAILED: the proof does not show that record 1 is in the tree of 6 records: the proof is for root "),
        "{}",
        out.render()
    );
}

#[test]
fn a_consistency_proof_shows_the_old_log_is_a_prefix() {
    let ctx = recorded();
    let old = ctx
        .ward(&["audit", "consistency", "2", "4"])
        .assert_success()
        .json();
    assert_eq!(old["type"], "ward-consistency-proof");
    assert_eq!(
        (old["old_size"].clone(), old["new_size"].clone()),
        (2.into(), 4.into())
    );
    let out = ctx.ward_stdin(&["audit", "verify-proof", "-"], old.to_string());
    out.assert_success();
    assert!(
        out.stdout.starts_with(
            "ok: the tree of 2 records is a prefix of the tree of 4 records with root "
        ),
        "{}",
        out.render()
    );

    // The default new size is the whole ledger; its new root is verify's root.
    let latest = ctx
        .ward(&["audit", "consistency", "3"])
        .assert_success()
        .json();
    let report = ctx
        .ward(&["audit", "verify", "--json"])
        .assert_success()
        .json();
    assert_eq!(latest["new_size"], report["tree_size"]);
    assert_eq!(latest["new_root"], report["tree_root"]);

    let mut forged = old;
    forged["old_root"] = Value::from("00".repeat(32));
    let out = ctx.ward_stdin(&["audit", "verify-proof", "-"], forged.to_string());
    assert_eq!(out.code, 1, "{}", out.render());
}

#[test]
fn proofs_outside_the_ledger_are_errors_with_the_reason() {
    let ctx = recorded();
    let out = ctx.ward(&["audit", "prove", "9"]);
    assert_eq!(out.code, 2, "{}", out.render());
    assert!(
        out.stderr
            .contains("record 9 is not in a tree of 6 records (records are numbered from 1)"),
        "{}",
        out.render()
    );
    let out = ctx.ward(&["audit", "verify-proof", "-"]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("is not JSON"), "{}", out.render());
}

#[test]
fn a_checkpoint_is_signed_by_the_host_key_and_verify_checks_it() {
    let ctx = recorded();
    let out = ctx.ward(&["audit", "checkpoint"]);
    out.assert_success();
    let identity: Value =
        serde_json::from_str(&std::fs::read_to_string(ctx.ward_home.join("host.json")).unwrap())
            .unwrap();
    let origin = format!("ward/{}", identity["key_id"].as_str().unwrap());
    let lines: Vec<&str> = out.stdout.lines().collect();
    let key_id = identity["key_id"].as_str().unwrap();
    assert_eq!(
        lines[0],
        format!("Signed the first checkpoint, of 6 records. Key {key_id}.")
    );
    assert_eq!(lines[2], origin, "{}", out.render());
    assert_eq!(lines[3], "6");
    assert!(
        lines[6].starts_with(&format!("\u{2014} {origin} ")),
        "{}",
        out.render()
    );

    let again = ctx
        .ward(&["audit", "checkpoint", "--json"])
        .assert_success()
        .json();
    assert_eq!(again["new"], false);
    assert_eq!(again["key_id"], key_id, "checkpoints name their key id");

    let out = ctx.ward(&["audit", "verify"]);
    out.assert_success();
    assert!(
        out.stdout
            .contains("Checkpoints: 1 signed, all hold; the latest covers 6 of 6 records."),
        "{}",
        out.render()
    );
}

#[test]
fn a_session_end_signs_a_checkpoint_in_the_background() {
    let ctx = recorded();
    ctx.hook_fixture("claude-code/session_end_prompt_input_exit.json")
        .assert_hook_ok();
    // The hook has answered; the checkpoint follows from a detached process.
    let mut report = Value::Null;
    for _ in 0..300 {
        report = ctx.ward(&["audit", "verify", "--json"]).json();
        if report["checkpoints"] == 1 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(report["checkpoints"], 1, "{report:#}");
    assert_eq!(report["checkpointed_size"], 7);
    assert_eq!(report["ok"], true);
}

#[test]
fn keys_show_prints_the_public_key_checkpoints_are_signed_with() {
    let ctx = recorded();
    let shown = ctx
        .ward(&["keys", "show", "--json"])
        .assert_success()
        .json();
    let identity: Value =
        serde_json::from_str(&std::fs::read_to_string(ctx.ward_home.join("host.json")).unwrap())
            .unwrap();
    assert_eq!(shown["key_id"], identity["key_id"]);
    assert_eq!(shown["public_key"], identity["public_key"]);
    assert_eq!(shown["algorithm"], "ed25519");
    let origin = format!("ward/{}", identity["key_id"].as_str().unwrap());
    assert_eq!(shown["origin"], origin.as_str());
    // The private key's content appears nowhere.
    let pem = std::fs::read_to_string(ctx.ward_home.join("host-key.pem")).unwrap();
    let body: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let text = ctx.ward(&["keys", "show"]).assert_success().stdout.clone();
    assert!(!text.contains(&body) && !shown.to_string().contains(&body));
    assert!(text.contains(&format!("origin:      {origin}")), "{text}");
    // The checkpoint it signs names this key.
    let note = ctx
        .ward(&["audit", "checkpoint"])
        .assert_success()
        .stdout
        .clone();
    assert!(note.contains(&format!("\n{origin}\n6\n")), "{note}");
}
