//! The host's keys through the binary: the identity record `ward init` writes,
//! `ward keys rotate` (old checkpoints stay verifiable, the old key cannot sign
//! later ones), a managed key file the policy names, and configurable
//! checkpoint intervals.

use serde_json::Value;

use crate::harness::Ctx;

/// A home with a few hook records.
fn recorded() -> Ctx {
    Ctx::with_hooks(&[
        "session_start_startup",
        "user_prompt_submit_feature",
        "pre_tool_use_read_source",
    ])
}

fn host_json(ctx: &Ctx) -> Value {
    serde_json::from_str(&std::fs::read_to_string(ctx.ward_home.join("host.json")).unwrap())
        .unwrap()
}

fn verify(ctx: &Ctx) -> Value {
    let out = ctx.ward(&["audit", "verify", "--json"]);
    out.assert_success();
    out.json()
}

#[test]
fn init_records_the_host_identity_first_and_sessions_name_it() {
    let ctx = recorded();
    let identity = host_json(&ctx);
    let host = ctx
        .ward(&["audit", "show", "ward-host", "--json"])
        .assert_success()
        .json()
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(host.len(), 1);
    assert_eq!(
        host[0]["seq"], 1,
        "the identity is the ledger's first record"
    );
    let record = &host[0]["record"];
    assert_eq!(record["request"]["event"], "HostIdentity");
    let input = &record["request"]["input"];
    assert_eq!(input["key_id"], identity["key_id"]);
    assert_eq!(input["public_key"], identity["public_key"]);
    assert_eq!(input["hostname"], identity["hostname"]);
    assert_eq!(input["os_user"], identity["os_user"]);
    assert_eq!(
        input["origin"],
        format!("ward/{}", identity["key_id"].as_str().unwrap()).as_str()
    );

    // A session start says which identity it ran under.
    let lines: Vec<Value> = ctx
        .export()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let start = lines
        .iter()
        .find(|line| line["record"]["request"]["event"] == "SessionStart")
        .unwrap();
    assert_eq!(start["record"]["role"]["host_key_id"], identity["key_id"]);
    assert_eq!(start["record"]["role"]["os_user"], identity["os_user"]);

    // Running init again records nothing new.
    ctx.ward(&["init"]).assert_success();
    assert_eq!(
        ctx.ward(&["audit", "show", "ward-host", "--json"])
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_rotated_key_keeps_the_origin_and_old_checkpoints_verifiable() {
    let ctx = recorded();
    let before = host_json(&ctx);
    let origin = format!("ward/{}", before["key_id"].as_str().unwrap());
    let old_pem = ctx.ward_home.join("host-key.pem");
    assert!(old_pem.exists());

    let rotated = ctx
        .ward(&["keys", "rotate", "--json"])
        .assert_success()
        .json();
    assert_eq!(rotated["old_key_id"], before["key_id"]);
    assert_ne!(rotated["new_key_id"], before["key_id"]);
    assert_eq!(rotated["origin"], origin.as_str());
    // The old key signed the four records; the rotation is record 5, under the new key.
    assert_eq!(rotated["old_key_valid_until_size"], 4);
    assert_eq!(rotated["record"], 5);
    assert_eq!(rotated["new_checkpoint_size"], 5);
    assert!(!old_pem.exists(), "the old private key is deleted");

    let after = host_json(&ctx);
    assert_eq!(after["key_id"], rotated["new_key_id"]);
    assert_eq!(after["log_origin"], origin.as_str());
    assert_eq!(after["retired_keys"][0]["key_id"], before["key_id"]);
    assert_eq!(after["retired_keys"][0]["valid_until_size"], 4);

    // New records are signed by the new key under the same origin, and every
    // checkpoint, old key's and new, still verifies.
    ctx.hook_fixture("claude-code/post_tool_use_read_source.json")
        .assert_hook_ok();
    let note = ctx
        .ward(&["audit", "checkpoint"])
        .assert_success()
        .stdout
        .clone();
    assert!(note.contains(&format!("\n{origin}\n6\n")), "{note}");
    let report = verify(&ctx);
    assert_eq!(report["ok"], true, "{report:#}");
    assert_eq!(report["checkpoints"], 3);

    let shown = ctx
        .ward(&["keys", "show", "--json"])
        .assert_success()
        .json();
    assert_eq!(shown["origin"], origin.as_str());
    assert_eq!(shown["retired"][0]["key_id"], before["key_id"]);
    assert!(
        shown["vkey"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{origin}+")),
        "{shown:#}"
    );
    let rotation = ctx
        .ward(&["audit", "show", "ward-host", "--json"])
        .json()
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(rotation[1]["record"]["request"]["event"], "KeyRotated");
    assert_eq!(
        rotation[1]["record"]["request"]["input"]["retired_key_id"],
        before["key_id"]
    );

    // A bundle carries both keys and checks out.
    let dir = ctx.root.join("bundle");
    let dir_arg = dir.display().to_string();
    ctx.ward(&["audit", "export", "--bundle", &dir_arg])
        .assert_success();
    let keys: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("keys.json")).unwrap()).unwrap();
    assert_eq!(keys.as_array().unwrap().len(), 2);
    // Oldest first; the new key comes with the old one's endorsement.
    assert_eq!(keys[0]["valid_until_size"], 4);
    assert_eq!(keys[1]["key_id"], rotated["new_key_id"]);
    assert!(
        keys[1]["endorsement"]
            .as_str()
            .unwrap()
            .starts_with("ward-key-rotation/v1\n"),
        "{keys:#}"
    );
    ctx.ward(&["audit", "verify", "--bundle", &dir_arg])
        .assert_success();
}

#[test]
fn a_retired_key_cannot_vouch_for_a_later_tree() {
    let ctx = recorded();
    // Keep a copy of the old key, as a thief would.
    let stolen = std::fs::read_to_string(ctx.ward_home.join("host-key.pem")).unwrap();
    ctx.ward(&["keys", "rotate"]).assert_success();
    ctx.hook_fixture("claude-code/post_tool_use_read_source.json")
        .assert_hook_ok();
    // The thief signs the grown tree with the old key, through a home that still
    // believes in it (the same host.json as before the rotation, but current).
    let mut identity = host_json(&ctx);
    let retired = identity["retired_keys"][0].clone();
    identity["key_id"] = retired["key_id"].clone();
    identity["public_key"] = retired["public_key"].clone();
    identity["key_file"] = Value::from("stolen.pem");
    identity["retired_keys"] = Value::Array(Vec::new());
    let genuine = std::fs::read_to_string(ctx.ward_home.join("host.json")).unwrap();
    ctx.write(&ctx.ward_home.join("stolen.pem"), &stolen);
    ctx.write(&ctx.ward_home.join("host.json"), &identity.to_string());
    // Signing refuses: the latest checkpoint is by a key this forged home does not
    // trust, so the thief writes the checkpoint row by hand instead.
    let refused = ctx.ward(&["audit", "checkpoint"]);
    assert_ne!(refused.code, 0, "{}", refused.render());
    ctx.write(&ctx.ward_home.join("host.json"), &genuine);

    let key = ward_key(&stolen);
    let tree = verify(&ctx);
    let size = tree["tree_size"].as_u64().unwrap();
    let root = hex_to_bytes(tree["tree_root"].as_str().unwrap());
    let origin = identity["log_origin"].as_str().unwrap().to_owned();
    let note = ward_ledger::checkpoint::Checkpoint {
        origin,
        size,
        root: root.try_into().unwrap(),
    }
    .sign(&key);
    let conn = rusqlite::Connection::open(ctx.ward_home.join("ledger.db")).unwrap();
    conn.execute(
        "DELETE FROM checkpoints WHERE tree_size = ?1",
        rusqlite::params![size],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO checkpoints (tree_size, note, created_at) VALUES (?1, ?2, '2026-01-01T00:00:00.000000Z')",
        rusqlite::params![size, note],
    )
    .unwrap();
    drop(conn);

    let out = ctx.ward(&["audit", "verify"]);
    assert_eq!(out.code, 1, "{}", out.render());
    assert!(
        out.stdout.contains("signed by the retired key") && out.stdout.contains("retired at 4"),
        "{}",
        out.render()
    );
}

fn ward_key(pem: &str) -> ed25519_dalek::SigningKey {
    use ed25519_dalek::pkcs8::DecodePrivateKey;
    ed25519_dalek::SigningKey::from_pkcs8_pem(pem).unwrap()
}

fn hex_to_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&hex[at..at + 2], 16).unwrap())
        .collect()
}

/// Writes a PKCS#8 PEM key file for `seed`.
fn key_file(ctx: &Ctx, name: &str, seed: u8) -> std::path::PathBuf {
    use ed25519_dalek::pkcs8::EncodePrivateKey;
    let key = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
    let pem = key
        .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .unwrap();
    let path = ctx.root.join(name);
    ctx.write(&path, &pem);
    path
}

#[test]
fn a_managed_key_file_signs_and_a_replaced_one_is_adopted() {
    let ctx = Ctx::new();
    let first = key_file(&ctx, "managed-1.pem", 1);
    ctx.write(
        &ctx.managed_policy,
        &format!("[ledger]\nhost_key_file = \"{}\"\n", first.display()),
    );
    ctx.init();
    assert!(
        !ctx.ward_home.join("host-key.pem").exists(),
        "no key is generated when the deployment provides one"
    );
    let identity = host_json(&ctx);
    let expected = ed25519_dalek::SigningKey::from_bytes(&[1; 32]).verifying_key();
    let public: String = expected
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(identity["public_key"], public.as_str());
    ctx.hook_fixture("claude-code/session_start_startup.json")
        .assert_hook_ok();
    ctx.ward(&["audit", "checkpoint"]).assert_success();
    let shown = ctx
        .ward(&["keys", "show", "--json"])
        .assert_success()
        .json();
    assert_eq!(shown["managed"], true);
    // Rotation is the deployment's job.
    let out = ctx.ward(&["keys", "rotate"]);
    assert_eq!(out.code, 2, "{}", out.render());
    assert!(
        out.stderr.contains("the host key is managed"),
        "{}",
        out.render()
    );

    // The deployment replaces the key: the next signing adopts it as a rotation.
    let second = key_file(&ctx, "managed-2.pem", 2);
    ctx.write(
        &ctx.managed_policy,
        &format!("[ledger]\nhost_key_file = \"{}\"\n", second.display()),
    );
    ctx.hook_fixture("claude-code/user_prompt_submit_feature.json")
        .assert_hook_ok();
    ctx.ward(&["audit", "checkpoint"]).assert_success();
    let after = host_json(&ctx);
    assert_ne!(after["key_id"], identity["key_id"]);
    assert_eq!(after["retired_keys"][0]["key_id"], identity["key_id"]);
    assert_eq!(after["retired_keys"][0]["valid_until_size"], 2);
    let host = ctx
        .ward(&["audit", "show", "ward-host", "--json"])
        .json()
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(host[1]["record"]["request"]["event"], "KeyRotated");
    assert_eq!(
        host[1]["record"]["request"]["input"]["by"],
        "the managed key file was replaced"
    );
    let report = verify(&ctx);
    assert_eq!(report["ok"], true, "{report:#}");
    assert_eq!(report["checkpoints"], 2);

    // Nobody could endorse the replacement (the old key left with its file): a
    // bundle says so, until the auditor trusts the new key by its id.
    let dir = ctx.root.join("bundle");
    let dir_arg = dir.display().to_string();
    ctx.ward(&["audit", "export", "--bundle", &dir_arg])
        .assert_success();
    let out = ctx.ward(&["audit", "verify", "--bundle", &dir_arg]);
    assert_eq!(out.code, 1, "{}", out.render());
    assert!(
        out.stdout.contains("no earlier key of the log endorses it"),
        "{}",
        out.render()
    );
    let new_id = after["key_id"].as_str().unwrap();
    ctx.ward(&[
        "audit",
        "verify",
        "--bundle",
        &dir_arg,
        "--trust-key",
        new_id,
    ])
    .assert_success();
}

#[test]
fn checkpoint_intervals_come_from_the_policy() {
    let ctx = Ctx::new();
    ctx.init();
    let policy = std::fs::read_to_string(ctx.ward_home.join("policy.toml")).unwrap();
    ctx.write(
        &ctx.ward_home.join("policy.toml"),
        &format!("{policy}\n[ledger]\ncheckpoint_every_records = 3\n"),
    );
    // The first records get a checkpoint at once (there is none to extend).
    ctx.hook_fixture("claude-code/session_start_startup.json")
        .assert_hook_ok();
    ctx.ward(&["audit", "ingest"]).assert_success();
    assert_eq!(verify(&ctx)["checkpointed_size"], 2);
    for name in ["user_prompt_submit_feature", "pre_tool_use_read_source"] {
        ctx.hook_fixture(&format!("claude-code/{name}.json"))
            .assert_hook_ok();
    }
    ctx.ward(&["audit", "ingest"]).assert_success();
    assert_eq!(
        verify(&ctx)["checkpointed_size"],
        2,
        "2 records since: not due yet"
    );
    ctx.hook_fixture("claude-code/post_tool_use_read_source.json")
        .assert_hook_ok();
    ctx.ward(&["audit", "ingest"]).assert_success();
    let report = verify(&ctx);
    assert_eq!(report["checkpoints"], 2, "{report:#}");
    assert_eq!(report["checkpointed_size"], 5);

    // A project cannot change how the home's ledger is kept.
    ctx.write(
        &ctx.project.join(".ward/policy.toml"),
        "[ledger]\ncheckpoint_every_records = 1\n",
    );
    let out = ctx.ward(&[
        "policy",
        "validate",
        "--cwd",
        &ctx.project.display().to_string(),
    ]);
    assert!(
        out.stdout
            .contains("`[ledger]` is ignored in a project policy")
            || out
                .stderr
                .contains("`[ledger]` is ignored in a project policy"),
        "{}",
        out.render()
    );

    let bad = ctx.ward_home.join("policy.toml");
    ctx.write(&bad, "[ledger]\ncheckpoint_every_seconds = 0\n");
    let out = ctx.ward(&["audit", "checkpoint"]);
    assert_eq!(out.code, 2, "{}", out.render());
    assert!(out.stderr.contains("at least 1"), "{}", out.render());
}
