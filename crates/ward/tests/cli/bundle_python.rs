//! `ward audit export --bundle` checked by an independent verifier:
//! `tools/verify_bundle.py`, written from docs/ledger-format.md alone with the Python
//! standard library (its own Ed25519, RFC 9162 proofs, RFC 8785 check). A bundle
//! from the real binary must pass it, and each way of tampering with the bundle's
//! files must make it exit 1 naming the problem. Ward's own `audit verify --bundle`
//! must agree on every case the document's numbered rules decide, so the two
//! implementations check each other.
//!
//! Needs `python3` (3.9 or newer) on `PATH`; without it these tests fail, on purpose.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::harness::{Ctx, Out};

const SESSION_A: &str = "bundle-python-session-a";
const SESSION_B: &str = "bundle-python-session-b";

/// The script, found from this crate's manifest directory.
fn verifier() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tools/verify_bundle.py")
        .canonicalize()
        .unwrap_or_else(|error| panic!("tools/verify_bundle.py not found: {error}"))
}

/// Runs `python3 tools/verify_bundle.py DIR [ARGS]` in isolated mode (`-I`: no
/// user site-packages, no `PYTHON*` variables), so it shows what the standard
/// library alone can check.
pub(crate) fn python_verify(dir: &Path, args: &[&str]) -> Out {
    let mut child = Command::new("python3");
    child
        .arg("-I")
        .arg(verifier())
        .arg(dir)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    let output = match child.output() {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => panic!(
            "python3 is not on PATH: the bundle tests run tools/verify_bundle.py with it \
             (install Python 3.9 or newer; CI does)"
        ),
        Err(error) => panic!("cannot run python3: {error}"),
    };
    Out {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Pipes a fixture to the hook as a record of `session`.
fn hook_in(ctx: &Ctx, fixture: &str, session: &str) {
    let mut value: Value =
        serde_json::from_str(&ctx.fixture(&format!("claude-code/{fixture}.json"))).unwrap();
    value["session_id"] = Value::from(session);
    ctx.hook(&value.to_string()).assert_hook_ok();
}

/// A ledger of the host identity and seven records over two interleaved
/// sessions, with a checkpoint signed after the fifth (so the bundle carries an
/// earlier checkpoint):
///
/// | seq | session | event |
/// |---|---|---|
/// | 1 | ward-host | HostIdentity |
/// | 2 | a | SessionStart |
/// | 3 | a | UserPromptSubmit |
/// | 4 | a | PreToolUse Read |
/// | 5 | b | SessionStart |
/// | 6 | a | PostToolUse Read |
/// | 7 | b | PreToolUse Bash ls |
/// | 8 | a | PreToolUse Read .env |
fn recorded() -> Ctx {
    let ctx = Ctx::new();
    ctx.init();
    for (fixture, session) in [
        ("session_start_startup", SESSION_A),
        ("user_prompt_submit_feature", SESSION_A),
        ("pre_tool_use_read_source", SESSION_A),
        ("session_start_startup", SESSION_B),
    ] {
        hook_in(&ctx, fixture, session);
    }
    ctx.ward(&["audit", "checkpoint"]).assert_success();
    for (fixture, session) in [
        ("post_tool_use_read_source", SESSION_A),
        ("pre_tool_use_ls", SESSION_B),
        ("pre_tool_use_read_env", SESSION_A),
    ] {
        hook_in(&ctx, fixture, session);
    }
    assert_eq!(
        ctx.record_count(),
        8,
        "the host identity and 7 hook records"
    );
    ctx
}

/// `ward audit export --bundle DIR [EXTRA]` into a new directory under the test's root.
fn export(ctx: &Ctx, name: &str, extra: &[&str]) -> PathBuf {
    let dir = ctx.root.join(name);
    let dir_arg = dir.display().to_string();
    let mut args = vec!["audit", "export", "--bundle", &dir_arg];
    args.extend_from_slice(extra);
    ctx.ward(&args).assert_success();
    assert!(
        dir.join("records.jsonl").is_file(),
        "export wrote no records.jsonl in {}",
        dir.display()
    );
    dir
}

/// A copy of a (flat) bundle directory, to tamper with.
fn copy_bundle(ctx: &Ctx, from: &Path, name: &str) -> PathBuf {
    let to = ctx.root.join(name);
    std::fs::create_dir_all(&to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
    to
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap()
}

fn write(dir: &Path, file: &str, text: &str) {
    std::fs::write(dir.join(file), text).unwrap();
}

/// The lines of `records.jsonl`, each with its newline.
fn record_lines(dir: &Path) -> Vec<String> {
    read(dir, "records.jsonl")
        .split_inclusive('\n')
        .map(str::to_owned)
        .collect()
}

/// The host key's id, from `$WARD_HOME/host.json`.
fn key_id(ctx: &Ctx) -> String {
    let identity: Value =
        serde_json::from_str(&std::fs::read_to_string(ctx.ward_home.join("host.json")).unwrap())
            .unwrap();
    identity["key_id"].as_str().unwrap().to_owned()
}

/// Both verifiers refuse the bundle; the Python one as [`assert_python_refuses`] says.
fn assert_refused(ctx: &Ctx, dir: &Path, fragments: &[&str]) {
    assert_python_refuses(dir, fragments);
    let dir_arg = dir.display().to_string();
    let ward = ctx.ward(&["audit", "verify", "--bundle", &dir_arg]);
    assert_ne!(
        ward.code,
        0,
        "ward accepted a bundle the Python verifier refuses:\n{}",
        ward.render()
    );
}

/// The Python verifier exits 1 with a first problem holding every fragment, and
/// lists that problem first in `--json`.
fn assert_python_refuses(dir: &Path, fragments: &[&str]) {
    let out = python_verify(dir, &[]);
    assert_eq!(out.code, 1, "{}", out.render());
    let first = out.stdout.lines().next().unwrap_or_default();
    assert!(first.starts_with("FAILED: "), "{}", out.render());
    for fragment in fragments {
        assert!(
            first.contains(fragment),
            "expected {fragment:?} in the first problem:\n{}",
            out.render()
        );
    }
    let report = python_verify(dir, &["--json"]);
    assert_eq!(report.code, 1, "{}", report.render());
    let report = report.json();
    assert_eq!(report["ok"], false);
    assert_eq!(
        report["problems"][0].as_str(),
        first.strip_prefix("FAILED: "),
        "{report:#}"
    );
}

#[test]
fn the_python_verifier_accepts_a_bundle_from_ward() {
    let ctx = recorded();
    let bundle = export(&ctx, "bundle", &[]);
    let origin = format!("ward/{}", key_id(&ctx));

    let out = python_verify(&bundle, &[]);
    assert_eq!(out.code, 0, "{}", out.render());
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "ok: 8 records of 8 checked against the checkpoint of 8 records signed by {origin}"
        ),
        "{}",
        out.render()
    );
    assert!(
        lines
            .iter()
            .any(|line| line.starts_with("ok: the earlier checkpoint of 5 records")),
        "{}",
        out.render()
    );

    // The root Python recomputed from the records is the one Ward computes.
    let report = python_verify(&bundle, &["--json"]);
    assert_eq!(report.code, 0, "{}", report.render());
    let report = report.json();
    assert_eq!(report["ok"], true);
    assert_eq!(report["records"], 8);
    assert_eq!(report["tree_size"], 8);
    assert_eq!(report["problems"], Value::Array(Vec::new()));
    let ward = ctx
        .ward(&["audit", "verify", "--json"])
        .assert_success()
        .json();
    assert_eq!(report["root"], ward["tree_root"], "{report:#}\n{ward:#}");

    let dir_arg = bundle.display().to_string();
    ctx.ward(&["audit", "verify", "--bundle", &dir_arg])
        .assert_success();
}

#[test]
fn the_python_verifier_accepts_a_one_session_bundle() {
    let ctx = recorded();
    let bundle = export(&ctx, "session-b", &["--session", SESSION_B]);
    let out = python_verify(&bundle, &[]);
    assert_eq!(out.code, 0, "{}", out.render());
    assert!(
        out.stdout
            .starts_with("ok: 2 records of 8 checked against the checkpoint of 8 records"),
        "{}",
        out.render()
    );
}

#[test]
fn an_edited_field_in_a_record_fails_its_hash() {
    let ctx = recorded();
    let bundle = export(&ctx, "bundle", &[]);
    let tampered = copy_bundle(&ctx, &bundle, "edited");
    let mut lines = record_lines(&tampered);
    // The record text is a JSON string inside the line, so its quotes are escaped.
    let edited = lines[3].replace(r#"\"tool\":\"Read\""#, r#"\"tool\":\"Edit\""#);
    assert_ne!(edited, lines[3], "seq 4 should be a Read");
    lines[3] = edited;
    write(&tampered, "records.jsonl", &lines.concat());
    assert_refused(
        &ctx,
        &tampered,
        &["records.jsonl line 4 (seq 4)", "hash is not SHA-256"],
    );
}

#[test]
fn a_deleted_record_of_an_exported_session_is_caught() {
    let ctx = recorded();
    let bundle = export(&ctx, "session-a", &["--session", SESSION_A]);
    let tampered = copy_bundle(&ctx, &bundle, "deleted");
    let mut lines = record_lines(&tampered);
    assert_eq!(lines.len(), 5, "session a has five records");
    lines.remove(1); // session_seq 2, the prompt
    write(&tampered, "records.jsonl", &lines.concat());
    assert_refused(
        &ctx,
        &tampered,
        &[
            "records.jsonl line 2 (seq 4)",
            "session_seq 3 where 2 was expected",
        ],
    );
}

#[test]
fn a_deleted_record_of_a_whole_ledger_bundle_is_caught() {
    let ctx = recorded();
    let bundle = export(&ctx, "bundle", &[]);
    let tampered = copy_bundle(&ctx, &bundle, "deleted");
    let mut lines = record_lines(&tampered);
    lines.remove(3);
    write(&tampered, "records.jsonl", &lines.concat());
    assert_refused(
        &ctx,
        &tampered,
        &["records.jsonl line 4 (seq 5)", "seq 4 is missing"],
    );

    // With bundle.json's count made to agree, rule 6 (a bundle with no selection
    // holds every seq from 1 to tree_size) still catches it, in both verifiers.
    let mut meta: Value = serde_json::from_str(&read(&tampered, "bundle.json")).unwrap();
    meta["records"] = Value::from(7);
    write(&tampered, "bundle.json", &meta.to_string());
    assert_refused(
        &ctx,
        &tampered,
        &["records.jsonl line 4 (seq 5)", "seq 4 is missing"],
    );
}

#[test]
fn swapped_record_lines_fail_the_order() {
    let ctx = recorded();
    let bundle = export(&ctx, "bundle", &[]);
    let tampered = copy_bundle(&ctx, &bundle, "swapped");
    let mut lines = record_lines(&tampered);
    lines.swap(4, 5);
    write(&tampered, "records.jsonl", &lines.concat());
    assert_refused(
        &ctx,
        &tampered,
        &["records.jsonl line 6 (seq 5)", "out of order"],
    );
}

#[test]
fn a_forged_checkpoint_fails_its_signature() {
    let ctx = recorded();
    let bundle = export(&ctx, "bundle", &[]);
    let note = read(&bundle, "checkpoint.note");
    let lines: Vec<&str> = note.split_inclusive('\n').collect();
    assert_eq!(lines[1], "8\n", "{note}");

    // The size, with the signature kept.
    let tampered = copy_bundle(&ctx, &bundle, "forged-size");
    write(
        &tampered,
        "checkpoint.note",
        &[lines[0], "7\n"]
            .into_iter()
            .chain(lines[2..].iter().copied())
            .collect::<String>(),
    );
    assert_refused(&ctx, &tampered, &["checkpoint.note", "does not verify"]);

    // The root: its first base64 digit holds six whole bits, so any other digit
    // there is still a canonical encoding of 32 bytes.
    let tampered = copy_bundle(&ctx, &bundle, "forged-root");
    let root = lines[2];
    let other = if root.starts_with('A') { "B" } else { "A" };
    let forged_root = format!("{other}{}", &root[1..]);
    let forged: String = lines[..2]
        .iter()
        .copied()
        .chain([forged_root.as_str()])
        .chain(lines[3..].iter().copied())
        .collect();
    write(&tampered, "checkpoint.note", &forged);
    assert_refused(&ctx, &tampered, &["checkpoint.note", "does not verify"]);
}

#[test]
fn a_changed_public_key_fails_its_key_id() {
    let ctx = recorded();
    let bundle = export(&ctx, "bundle", &[]);
    let tampered = copy_bundle(&ctx, &bundle, "key");
    let mut keys: Value = serde_json::from_str(&read(&tampered, "keys.json")).unwrap();
    let public = keys[0]["public_key"].as_str().unwrap().to_owned();
    let flipped = if public.starts_with('0') { "1" } else { "0" };
    keys[0]["public_key"] = Value::from(format!("{flipped}{}", &public[1..]));
    write(&tampered, "keys.json", &keys.to_string());
    assert_refused(&ctx, &tampered, &["keys.json: key 1", "key_id"]);
}

#[test]
fn an_edited_tree_size_disagrees_with_the_checkpoint() {
    let ctx = recorded();
    let bundle = export(&ctx, "bundle", &[]);
    let tampered = copy_bundle(&ctx, &bundle, "tree-size");
    let mut meta: Value = serde_json::from_str(&read(&tampered, "bundle.json")).unwrap();
    assert_eq!(meta["tree_size"], 8);
    meta["tree_size"] = Value::from(7);
    write(&tampered, "bundle.json", &meta.to_string());
    assert_refused(
        &ctx,
        &tampered,
        &["checkpoint.note", "tree of 8 records", "tree_size 7"],
    );
}

#[test]
fn a_wrong_consistency_proof_of_an_earlier_checkpoint_fails() {
    let ctx = recorded();
    let bundle = export(&ctx, "bundle", &[]);
    let tampered = copy_bundle(&ctx, &bundle, "consistency");
    let text = read(&tampered, "checkpoints.jsonl");
    let index = text
        .lines()
        .position(|line| serde_json::from_str::<Value>(line).unwrap()["tree_size"] == 5)
        .expect("an earlier checkpoint of 5 records");
    let mut lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let proof = lines[index]["consistency"].as_array_mut().unwrap();
    assert!(!proof.is_empty());
    proof[0] = Value::from("00".repeat(32));
    let rewritten: String = lines.iter().map(|line| format!("{line}\n")).collect();
    write(&tampered, "checkpoints.jsonl", &rewritten);
    let line = format!("checkpoints.jsonl line {}", index + 1);
    assert_refused(&ctx, &tampered, &[&line, "consistency proof fails"]);
}

/// Twice-rotated keys: both verifiers accept the chain of endorsements, and
/// both refuse, with the same first problem, a key whose endorsement was removed
/// (until the auditor trusts it by id) or a retirement size raised.
#[test]
fn rotated_keys_chain_to_the_origin_in_both_verifiers() {
    let ctx = recorded();
    ctx.ward(&["keys", "rotate"]).assert_success();
    hook_in(&ctx, "pre_tool_use_ls", SESSION_B);
    ctx.ward(&["keys", "rotate"]).assert_success();
    let bundle = export(&ctx, "rotated", &[]);
    let out = python_verify(&bundle, &[]);
    assert_eq!(out.code, 0, "{}", out.render());
    assert!(
        out.stdout.contains(" -> "),
        "the chain is shown: {}",
        out.render()
    );
    let dir_arg = bundle.display().to_string();
    ctx.ward(&["audit", "verify", "--bundle", &dir_arg])
        .assert_success();

    let keys: Value = serde_json::from_str(&read(&bundle, "keys.json")).unwrap();
    assert_eq!(keys.as_array().unwrap().len(), 3);
    let newest = keys[2]["key_id"].as_str().unwrap().to_owned();

    let unendorsed = copy_bundle(&ctx, &bundle, "unendorsed");
    let mut edited = keys.clone();
    edited[2].as_object_mut().unwrap().remove("endorsement");
    write(&unendorsed, "keys.json", &edited.to_string());
    let fragments = [
        format!("keys.json: key `{newest}`"),
        "no earlier key of the log endorses it".to_owned(),
    ];
    let fragments: Vec<&str> = fragments.iter().map(String::as_str).collect();
    assert_refused(&ctx, &unendorsed, &fragments);
    let ward = ctx.ward(&[
        "audit",
        "verify",
        "--bundle",
        &unendorsed.display().to_string(),
    ]);
    assert!(
        ward.stdout.contains(&format!(
            "FAILED: keys.json: key `{newest}`: no earlier key"
        )),
        "{}",
        ward.render()
    );
    assert_eq!(
        python_verify(&unendorsed, &["--trust-key", &newest]).code,
        0
    );
    ctx.ward(&[
        "audit",
        "verify",
        "--bundle",
        &unendorsed.display().to_string(),
        "--trust-key",
        &newest,
    ])
    .assert_success();

    let raised = copy_bundle(&ctx, &bundle, "raised");
    let mut edited = keys.clone();
    let limit = edited[0]["valid_until_size"].as_u64().unwrap();
    edited[0]["valid_until_size"] = Value::from(limit + 1);
    write(&raised, "keys.json", &edited.to_string());
    let middle = keys[1]["key_id"].as_str().unwrap().to_owned();
    let fragment = format!("keys.json: key `{middle}`: its endorsement");
    assert_refused(&ctx, &raised, &[&fragment]);
}

/// The verifier's own unit tests (RFC 8032 Ed25519 vectors, RFC 9162 proofs, RFC
/// 8785 samples, signed notes, tampered bundles built in Python), run here so that
/// `cargo test` covers them.
#[test]
fn the_python_verifiers_unit_tests_pass() {
    let tools = verifier().parent().unwrap().to_path_buf();
    let output = Command::new("python3")
        .args(["-I", "-m", "unittest", "discover", "-s"])
        .arg(&tools)
        .args(["-p", "test_*.py"])
        .current_dir(&tools)
        .output()
        .unwrap_or_else(|error| {
            panic!("cannot run python3 (install Python 3.9 or newer): {error}")
        });
    assert!(
        output.status.success(),
        "python unit tests failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
