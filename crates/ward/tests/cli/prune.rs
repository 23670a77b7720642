//! `ward audit prune` through the binary: the retention period from the policy,
//! the confirmation it asks for, a checkpoint signed first, the prune recorded,
//! and a ledger that verifies afterwards — and still catches tampering.

use serde_json::{Value, json};

use crate::harness::{Ctx, record};

/// A home with a 30-day retention period, calls of two years ago (written into
/// the ledger directly, as hooks then would have) and calls of today.
fn aged() -> Ctx {
    let ctx = Ctx::new();
    ctx.init();
    let path = ctx.ward_home.join("policy.toml");
    let mut policy = std::fs::read_to_string(&path).unwrap();
    policy.push_str("\n[ledger]\nretention_days = 30\n");
    std::fs::write(&path, policy).unwrap();
    let mut ledger = ward_ledger::Ledger::open(&ctx.ward_home.join("ledger.db")).unwrap();
    for index in 0..6 {
        let old: ward_ledger::Record = serde_json::from_value(json!({
            "version": 1,
            "time": format!("2024-11-0{}T10:00:00.000000Z", index + 1),
            "rules": {"policy_hash": "ab".repeat(32), "enforce": true, "matched": []},
            "role": {"agent": "claude-code", "session_id": "old-session", "os_user": "dev"},
            "request": {"event": "PreToolUse", "tool": "Bash", "categories": [], "targets": [],
                        "programs": [], "findings": [], "tags": [], "opaque": false, "notes": [],
                        "input": {"command": format!("psql -c 'select * from patients where id = {index}'")},
                        "cwd": "/work/clinic", "tool_use_id": format!("toolu_old{index}")},
            "reference": {"seq": 0, "session_seq": 0},
            "resource": {"input_bytes": 10},
            "result": {"enforced": false}
        }))
        .unwrap();
        ledger.append(old).unwrap();
    }
    drop(ledger);
    ctx.hook_fixtures(&["pre_tool_use_read_source", "pre_tool_use_ls"]);
    ctx
}

#[test]
fn prune_removes_old_bodies_and_the_ledger_still_verifies() {
    let ctx = aged();
    // Without --yes nothing happens, and it says what would.
    let refused = ctx.ward(&["audit", "prune"]);
    assert_eq!(refused.code, 2, "{}", refused.render());
    assert!(
        refused
            .stderr
            .contains("removes the bodies of 6 record(s) from 2024-11-01"),
        "{}",
        refused.stderr
    );
    let dry = ctx.ward(&["audit", "prune", "--dry-run"]);
    dry.assert_success();
    assert!(
        dry.stdout
            .starts_with("Would prune the bodies of 6 record(s)"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout.contains("pruning signs one first"),
        "{}",
        dry.stdout
    );
    // The retention period is a floor.
    let too_young = ctx.ward(&["audit", "prune", "--before", "1d", "--yes"]);
    assert_eq!(too_young.code, 2, "{}", too_young.render());
    assert!(
        too_young.stderr.contains("retention period (30 days"),
        "{}",
        too_young.stderr
    );

    let pruned = ctx.ward(&["audit", "prune", "--yes", "--json"]);
    pruned.assert_success();
    let result = pruned.json();
    assert_eq!(result["pruned"], 6, "{result:#}");
    assert_eq!(result["retention_days"], 30);

    let verify = ctx.ward(&["audit", "verify", "--json"]);
    assert_eq!(verify.code, 0, "{}", verify.render());
    assert_eq!(verify.json()["ok"], true);
    // The old calls' content is gone from every reader; today's calls remain.
    let query = ctx.ward(&["audit", "query", "--json", "--event", "PreToolUse"]);
    let lines = query.json_lines();
    assert_eq!(lines.len(), 2, "{lines:#?}");
    let raw = rusqlite::Connection::open(ctx.ward_home.join("ledger.db")).unwrap();
    let leaks: i64 = raw
        .query_row(
            "SELECT count(*) FROM records WHERE body LIKE '%patients%'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(leaks, 0);
    drop(raw);
    // The prune is a record of its own, naming who pruned.
    let host = ctx.records("ward-host");
    let prune: Vec<&Value> = host
        .iter()
        .map(record)
        .filter(|r| r["request"]["event"] == "RecordsPruned")
        .collect();
    assert_eq!(prune.len(), 1);
    assert_eq!(prune[0]["request"]["input"]["records"], 6);
    // Nothing is left to prune.
    let again = ctx.ward(&["audit", "prune", "--yes"]);
    again.assert_success();
    assert!(
        again.stdout.starts_with("Nothing to prune"),
        "{}",
        again.stdout
    );
}

#[test]
fn tampering_after_a_prune_is_still_detected() {
    let ctx = aged();
    ctx.ward(&["audit", "prune", "--yes"]).assert_success();
    let raw = rusqlite::Connection::open(ctx.ward_home.join("ledger.db")).unwrap();
    // Today's read edited behind Ward's back.
    raw.execute(
        "UPDATE records SET body = replace(body, 'src/main.rs', 'src/evil.rs') \
         WHERE event = 'PreToolUse' AND body LIKE '%src/main.rs%'",
        [],
    )
    .unwrap();
    drop(raw);
    let verify = ctx.ward(&["audit", "verify", "--json"]);
    assert_eq!(verify.code, 1, "{}", verify.render());
    let problems = verify.json()["problems"].clone();
    assert!(
        problems
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["kind"] == "hash_mismatch"),
        "{problems:#}"
    );
}
