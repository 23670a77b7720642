//! Many hook processes writing one ledger at once, as a busy Claude Code session
//! with subagents does: nothing is lost, nothing is duplicated, every chain verifies.

use std::collections::HashMap;

use serde_json::json;

use crate::harness::{Ctx, record};

/// Process slots running at the same time.
const SLOTS: usize = 16;
/// Hook invocations per slot, one after another.
const CALLS_PER_SLOT: usize = 100;
/// Sessions the slots are spread over.
const SESSIONS: usize = 4;

fn session(index: usize) -> String {
    format!("conc-session-{index}")
}

#[test]
fn sixteen_processes_times_one_hundred_calls_keep_the_ledger_whole() {
    let ctx = Ctx::new();
    ctx.init();
    std::thread::scope(|scope| {
        for slot in 0..SLOTS {
            let ctx = &ctx;
            scope.spawn(move || {
                let session = session(slot % SESSIONS);
                for call in 0..CALLS_PER_SLOT {
                    // Pairs: a PreToolUse, then the PostToolUse of the same call.
                    let tool_use_id = format!("toolu_s{slot:02}_c{:03}", call / 2);
                    let mut payload = json!({
                        "session_id": session,
                        "hook_event_name": "PreToolUse",
                        "tool_name": "Read",
                        "tool_input": {"file_path": format!("$PROJECT/src/slot_{slot}.rs")},
                        "tool_use_id": tool_use_id,
                        "permission_mode": "default",
                    });
                    if call % 2 == 1 {
                        payload["hook_event_name"] = json!("PostToolUse");
                        payload["tool_response"] = json!({"type": "text"});
                        payload["duration_ms"] = json!(call);
                    }
                    let out = ctx.hook(&payload.to_string());
                    out.assert_hook_ok();
                    assert_eq!(out.stdout, "", "{}", out.render());
                }
            });
        }
    });

    let verify = ctx.ward(&["audit", "verify", "--json"]);
    verify.assert_success();
    let report = verify.json();
    assert_eq!(report["ok"], true, "{}", verify.render());
    // Every call, and the host identity `ward init` recorded.
    assert_eq!(report["records"], (SLOTS * CALLS_PER_SLOT) as u64 + 1);
    assert_eq!(report["sessions"], SESSIONS as u64 + 1);
    assert_eq!(report["pending_spooled"], 0, "{}", verify.render());

    let list = ctx.ward(&["audit", "list", "--json"]);
    list.assert_success();
    let sessions = list.json();
    let counts: HashMap<String, (u64, u64)> = sessions
        .as_array()
        .expect("a list of sessions")
        .iter()
        .map(|s| {
            (
                s["session_id"].as_str().unwrap().to_owned(),
                (
                    s["records"].as_u64().unwrap(),
                    s["tool_calls"].as_u64().unwrap(),
                ),
            )
        })
        .collect();
    let per_session = (SLOTS / SESSIONS * CALLS_PER_SLOT) as u64;
    let expected: HashMap<String, (u64, u64)> = (0..SESSIONS)
        .map(|index| (session(index), (per_session, per_session / 2)))
        .collect();
    assert_eq!(counts, expected);

    // Every outcome found its own pre record, although 16 writers interleaved.
    for index in 0..SESSIONS {
        let lines = ctx.records(&session(index));
        let mut pre_seq = HashMap::new();
        for line in &lines {
            let record = record(line);
            let id = record["request"]["tool_use_id"]
                .as_str()
                .unwrap()
                .to_owned();
            match record["request"]["event"].as_str().unwrap() {
                "PreToolUse" => {
                    assert!(pre_seq.insert(id, line["seq"].as_u64().unwrap()).is_none());
                }
                _ => assert_eq!(
                    record["reference"]["pre_record"].as_u64(),
                    pre_seq.get(&id).copied(),
                    "{record:#}"
                ),
            }
        }
    }
}
