//! Crash safety with real processes: writers killed with SIGKILL mid-write leave a
//! ledger that verifies, with every record fully in or fully out, and nothing
//! taken twice.

use std::process::Stdio;
use std::thread::sleep;
use std::time::Duration;

use serde_json::json;

use crate::harness::Ctx;

/// A distinct Read call; `index` makes each record unique.
fn read_call(index: usize) -> String {
    json!({
        "hook_event_name": "PreToolUse",
        "tool_name": "Read",
        "tool_input": {"file_path": format!("$PROJECT/src/file{index}.rs")},
        "tool_use_id": format!("toolu_crash_{index}"),
    })
    .to_string()
}

/// Ingests killed at many points of their transaction (before it, inside it, in
/// the commit, after it) never lose, half-write or duplicate a record: a last
/// ingest takes exactly what is left, and the tree and chains verify.
#[test]
fn ingests_killed_mid_transaction_lose_and_duplicate_nothing() {
    let ctx = Ctx::new();
    ctx.init();
    // `ward init` recorded the host identity.
    let mut sent = 1;
    for round in 0..12u64 {
        // Fill the journal (hooks answer after an fsynced journal append).
        for _ in 0..40 {
            ctx.hook(&read_call(sent - 1)).assert_hook_ok();
            sent += 1;
        }
        let mut ingest = ctx
            .std_cmd()
            .args(["audit", "ingest", "--quiet"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // 0 to 11 ms: from before the process opens the ledger to after it commits.
        sleep(Duration::from_micros(round * 1_000));
        let _ = ingest.kill(); // SIGKILL; it may have finished already
        let _ = ingest.wait();
    }
    ctx.ward(&["audit", "ingest"]);
    let report = ctx.ward(&["audit", "verify", "--json"]).json();
    assert_eq!(report["ok"], true, "{report:#}");
    assert_eq!(
        report["records"], sent as u64,
        "every record once: {report:#}"
    );
    assert_eq!(report["tree_size"], sent as u64);
    assert_eq!(report["pending_spooled"], 0);
}

/// Hooks killed at any point of their run: the ledger verifies and holds only
/// whole records; a record whose journal line was cut short is kept in the
/// `.rejected` file, not dropped and not half-stored.
#[test]
fn hooks_killed_mid_append_leave_a_ledger_that_verifies() {
    let ctx = Ctx::new();
    ctx.init();
    let total = 60;
    for index in 0..total {
        let mut hook = ctx.spawn_hook(&read_call(index));
        sleep(Duration::from_micros((index as u64 % 20) * 150));
        let _ = hook.kill();
        let _ = hook.wait();
    }
    ctx.ward(&["audit", "ingest"]);
    let report = ctx.ward(&["audit", "verify", "--json"]).json();
    assert_eq!(report["ok"], true, "{report:#}");
    let records = report["records"].as_u64().unwrap();
    assert!(records <= total as u64 + 1, "{report:#}");
    // Each record in the ledger is one of the calls sent, and none appears twice.
    let export = ctx.export();
    let mut ids: Vec<String> = export
        .lines()
        .filter_map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            value["record"]["request"]["tool_use_id"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    let count = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), count, "a record was stored twice");
    assert!(ids.iter().all(|id| id.starts_with("toolu_crash_")));
}
