//! `ward audit list|show|query|export` after replaying a small session through the
//! hook: what a person reads, and what a machine can recheck.

use serde_json::{Value, json};

use crate::harness::{Ctx, SESSION, record, seq};
use crate::hooks::sha256_hex;

/// A second, shorter session.
const OTHER_SESSION: &str = "b7c94d21-2222-4e3f-8a1b-000000000002";

/// The project the replayed sessions say they ran in. It need not exist (analysis
/// never looks at the file system), and a fixed path keeps the timelines, which
/// shorten long inputs before any snapshot filter applies, the same on every machine.
const PROJECT: &str = "/home/dev/shop";

/// Sends a payload whose `$PROJECT` is [`PROJECT`] and whose cwd is [`PROJECT`].
fn send(ctx: &Ctx, json: &str) {
    let mut payload: Value = serde_json::from_str(&json.replace("$PROJECT", PROJECT)).unwrap();
    payload["cwd"] = Value::from(PROJECT);
    ctx.hook(&payload.to_string()).assert_hook_ok();
}

/// Replays a session without shell commands (so that it does not depend on shell
/// analysis): a prompt, reads, an ask, a deny, a write with its outcome, a failed
/// edit, a subagent, and the end; then a short second session.
fn replayed() -> Ctx {
    let ctx = Ctx::new();
    ctx.init();
    let fixture = |name: &str| ctx.fixture(&format!("claude-code/{name}.json"));
    for name in [
        "session_start_startup",
        "user_prompt_submit_feature",
        "pre_tool_use_read_source",
        "post_tool_use_read_source",
        "pre_tool_use_read_env",
    ] {
        send(&ctx, &fixture(name));
    }
    let inline = [
        json!({
            "hook_event_name": "PreToolUse",
            "tool_name": "Edit",
            "tool_input": {
                "file_path": "~/.claude/settings.json",
                "old_string": "\"onFailure\": \"block\"",
                "new_string": "\"onFailure\": \"continue\"",
            },
            "tool_use_id": "toolu_01EditSettings",
        }),
        json!({
            "hook_event_name": "PreToolUse",
            "tool_name": "Write",
            "tool_input": {"file_path": "$PROJECT/deploy.sh", "content": "#!/bin/sh\n"},
            "tool_use_id": "toolu_01WriteDeploy",
        }),
        json!({
            "hook_event_name": "PostToolUse",
            "tool_name": "Write",
            "tool_input": {"file_path": "$PROJECT/deploy.sh", "content": "#!/bin/sh\n"},
            "tool_response": {"type": "create", "filePath": "$PROJECT/deploy.sh"},
            "tool_use_id": "toolu_01WriteDeploy",
            "duration_ms": 6,
        }),
        json!({
            "hook_event_name": "PreToolUse",
            "tool_name": "Edit",
            "tool_input": {"file_path": "$PROJECT/src/checkout.ts", "old_string": "total", "new_string": "subtotal"},
            "tool_use_id": "toolu_01EditCheckout",
        }),
        json!({
            "hook_event_name": "PostToolUseFailure",
            "tool_name": "Edit",
            "tool_input": {"file_path": "$PROJECT/src/checkout.ts", "old_string": "total", "new_string": "subtotal"},
            "tool_use_id": "toolu_01EditCheckout",
            "error": "String to replace not found in file.",
            "duration_ms": 2,
        }),
    ];
    for payload in &inline {
        send(&ctx, &payload.to_string());
    }
    for name in [
        "subagent_start_explore",
        "subagent_stop_explore",
        "stop_end_of_turn",
        "session_end_prompt_input_exit",
    ] {
        send(&ctx, &fixture(name));
    }
    for payload in [
        json!({"session_id": OTHER_SESSION, "hook_event_name": "SessionStart", "source": "resume"}),
        json!({
            "session_id": OTHER_SESSION,
            "hook_event_name": "PreToolUse",
            "tool_name": "Read",
            "tool_input": {"file_path": "$PROJECT/.env"},
            "tool_use_id": "toolu_02ReadEnv",
        }),
    ] {
        send(&ctx, &payload.to_string());
    }
    ctx
}

/// The records a query prints, as JSON lines.
fn query(ctx: &Ctx, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["audit", "query", "--json"];
    all.extend_from_slice(args);
    let out = ctx.ward(&all);
    out.assert_success();
    out.json_lines()
}

fn events_and_tools(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .map(|line| {
            let request = &record(line)["request"];
            format!(
                "{} {}",
                request["event"].as_str().unwrap(),
                request["tool"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

#[test]
fn list_shows_each_session_with_its_counts() {
    let ctx = replayed();
    let out = ctx.ward(&["audit", "list"]);
    out.assert_success();
    ctx.settings().bind(|| insta::assert_snapshot!(out.stdout));

    let sessions = ctx.ward(&["audit", "list", "--json"]).json();
    let sessions = sessions.as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    // Newest last.
    assert_eq!(sessions[0]["session_id"], SESSION);
    assert_eq!(sessions[0]["records"], 14);
    assert_eq!(sessions[0]["tool_calls"], 5);
    assert_eq!(sessions[0]["denied"], 1);
    assert_eq!(sessions[0]["asked"], 1);
    assert_eq!(sessions[1]["session_id"], OTHER_SESSION);
    assert_eq!(sessions[1]["records"], 2);
}

#[test]
fn list_on_an_empty_ledger_says_so() {
    let ctx = Ctx::new();
    ctx.init();
    let out = ctx.ward(&["audit", "list"]);
    out.assert_success();
    assert_eq!(out.stdout, "No sessions recorded yet.\n");
}

#[test]
fn show_prints_the_timeline_of_a_session_prefix() {
    let ctx = replayed();
    let out = ctx.ward(&["audit", "show", "6a1f"]);
    out.assert_success();
    assert!(out.stdout.contains("DENY self.protect-ward-files"));
    assert!(out.stdout.contains("ASK secrets.credential-files"));
    ctx.settings().bind(|| insta::assert_snapshot!(out.stdout));

    let json = ctx.ward(&["audit", "show", "6a1f", "--json"]).json();
    assert_eq!(json.as_array().unwrap().len(), 14);
}

#[test]
fn show_names_an_unknown_session() {
    let ctx = replayed();
    let out = ctx.ward(&["audit", "show", "ffff"]);
    assert_eq!(out.code, 2, "{}", out.render());
    assert!(out.stderr.contains("ffff"), "{}", out.render());
}

#[test]
fn query_by_tool_and_decision() {
    let ctx = replayed();
    let denied = query(&ctx, &["--tool", "Edit", "--decision", "deny"]);
    assert_eq!(events_and_tools(&denied), ["PreToolUse Edit"]);
    assert_eq!(
        record(&denied[0])["request"]["tool_use_id"],
        "toolu_01EditSettings"
    );
    assert!(query(&ctx, &["--tool", "Write", "--decision", "deny"]).is_empty());

    let asked = query(&ctx, &["--decision", "ask"]);
    assert_eq!(asked.len(), 2);

    let bad = ctx.ward(&["audit", "query", "--decision", "maybe"]);
    assert_eq!(bad.code, 2, "{}", bad.render());
    assert!(bad.stderr.contains("unknown decision `maybe`"));
}

#[test]
fn query_decision_none_finds_the_records_no_rule_decided() {
    let ctx = replayed();
    let none = query(&ctx, &["--tool", "Read", "--decision", "none"]);
    assert!(
        none.iter()
            .all(|line| record(line)["result"].get("decision").is_none())
    );
    assert_eq!(none.len(), 2, "the read of main.rs and its outcome");
}

#[test]
fn query_bash_denies() {
    let ctx = Ctx::new();
    ctx.init();
    ctx.hook_fixture("claude-code/pre_tool_use_ls.json")
        .assert_hook_ok();
    ctx.hook_fixture("claude-code/pre_tool_use_rm_rf_home.json")
        .assert_hook_ok();
    ctx.hook_fixture("claude-code/pre_tool_use_read_env.json")
        .assert_hook_ok();
    let denied = query(&ctx, &["--tool", "Bash", "--decision", "deny"]);
    assert_eq!(events_and_tools(&denied), ["PreToolUse Bash"]);
    assert_eq!(
        record(&denied[0])["request"]["input"]["command"],
        "rm -rf ~"
    );
}

#[test]
fn query_by_category() {
    let ctx = replayed();
    let writes = query(&ctx, &["--category", "file_write"]);
    assert!(!writes.is_empty());
    assert!(
        writes
            .iter()
            .all(|line| record(line)["request"]["category"] == "file_write"),
        "{writes:#?}"
    );
    let ids: Vec<&str> = writes
        .iter()
        .map(|line| record(line)["request"]["tool_use_id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"toolu_01EditSettings"), "{ids:?}");
    assert!(ids.contains(&"toolu_01WriteDeploy"), "{ids:?}");
    assert!(ids.contains(&"toolu_01EditCheckout"), "{ids:?}");

    let bad = ctx.ward(&["audit", "query", "--category", "file_wrote"]);
    assert_eq!(bad.code, 2, "{}", bad.render());
    assert!(bad.stderr.contains("file_wrote"), "{}", bad.render());
}

#[test]
fn query_by_target_glob() {
    let ctx = replayed();
    let env = query(&ctx, &["--target", "**/.env"]);
    assert_eq!(
        events_and_tools(&env),
        ["PreToolUse Read", "PreToolUse Read"]
    );
    let sessions: Vec<&str> = env
        .iter()
        .map(|line| record(line)["role"]["session_id"].as_str().unwrap())
        .collect();
    assert_eq!(sessions, [SESSION, OTHER_SESSION]);

    let in_session = query(&ctx, &["--target", "**/.env", "--session", "b7c9"]);
    assert_eq!(in_session.len(), 1);

    let text = ctx.ward(&["audit", "query", "--target", "**/.env"]);
    text.assert_success();
    ctx.settings().bind(|| insta::assert_snapshot!(text.stdout));
}

#[test]
fn query_since_a_duration_or_a_date() {
    let ctx = replayed();
    // The replayed events and the host identity `ward init` recorded.
    let total = 17;
    assert_eq!(query(&ctx, &["--since", "2h"]).len(), total);
    assert_eq!(query(&ctx, &["--since", "30m"]).len(), total);
    assert_eq!(query(&ctx, &["--since", "2020-01-01"]).len(), total);
    assert_eq!(
        query(&ctx, &["--since", "2020-01-01T12:00:00Z"]).len(),
        total
    );
    assert_eq!(query(&ctx, &["--since", "2999-01-01"]).len(), 0);
    let none = ctx.ward(&["audit", "query", "--since", "2999-01-01"]);
    assert_eq!(none.stdout, "No records match.\n");
}

#[test]
fn query_since_yesterday_is_an_error_with_a_hint() {
    let ctx = replayed();
    let out = ctx.ward(&["audit", "query", "--since", "yesterday"]);
    assert_eq!(out.code, 2, "{}", out.render());
    assert!(out.stderr.contains("yesterday"), "{}", out.render());
    assert!(out.stderr.contains("2h"), "{}", out.render());
    assert_eq!(out.stdout, "");
    ctx.settings()
        .bind(|| insta::assert_snapshot!(out.render()));

    let unit = ctx.ward(&["audit", "query", "--since", "3y"]);
    assert_eq!(unit.code, 2, "{}", unit.render());
    assert!(unit.stderr.contains("unknown unit"), "{}", unit.render());
}

#[test]
fn query_by_event_and_limit() {
    let ctx = replayed();
    let pre = query(&ctx, &["--event", "PreToolUse"]);
    assert_eq!(pre.len(), 6);
    let last_two = query(&ctx, &["--event", "PreToolUse", "--limit", "2"]);
    let seqs: Vec<u64> = last_two.iter().map(seq).collect();
    let expected: Vec<u64> = pre[4..].iter().map(seq).collect();
    assert_eq!(seqs, expected, "--limit keeps the newest");
}

#[test]
fn export_lines_carry_rechecked_hashes() {
    let ctx = replayed();
    let out = ctx.ward(&["audit", "export", "--format", "jsonl", "--session", SESSION]);
    out.assert_success();
    let lines = out.json_lines();
    assert_eq!(lines.len(), 14);
    assert_eq!(out.stdout.lines().count(), 14);
    let mut previous_hash: Option<String> = None;
    for (index, line) in lines.iter().enumerate() {
        let keys: Vec<&String> = line.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["seq", "hash", "record"]);
        let hash = line["hash"].as_str().unwrap();
        let canonical = serde_json_canonicalizer::to_string(&line["record"]).unwrap();
        assert_eq!(hash, sha256_hex(canonical.as_bytes()), "line {index}");
        let reference = &line["record"]["reference"];
        assert_eq!(reference["seq"], line["seq"]);
        assert_eq!(reference["session_seq"], index as u64 + 1);
        assert_eq!(
            reference["prev_hash"].as_str(),
            previous_hash.as_deref(),
            "line {index} chains to the one before"
        );
        previous_hash = Some(hash.to_owned());
    }
    // The exported record is byte for byte what was hashed.
    let first_line = out.stdout.lines().next().unwrap();
    let body = first_line
        .strip_prefix(&format!(
            "{{\"seq\":2,\"hash\":\"{}\",\"record\":",
            lines[0]["hash"].as_str().unwrap()
        ))
        .and_then(|rest| rest.strip_suffix('}'))
        .unwrap();
    assert_eq!(
        sha256_hex(body.as_bytes()),
        lines[0]["hash"].as_str().unwrap()
    );

    // Everything, and into a file.
    let all = ctx.export();
    assert_eq!(
        all.lines().count(),
        17,
        "the replayed events and the host identity"
    );
    let file = ctx.root.join("export.jsonl");
    let to_file = ctx.ward(&["audit", "export", "--out", &file.display().to_string()]);
    to_file.assert_success();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), all);
    assert!(
        to_file.stderr.contains("Exported 17 records"),
        "{}",
        to_file.render()
    );
}

#[test]
fn audit_before_init_says_what_to_do() {
    let ctx = Ctx::new();
    let out = ctx.ward(&["audit", "list"]);
    assert_eq!(out.code, 2, "{}", out.render());
    assert!(out.stderr.contains("ward init"), "{}", out.render());
    ctx.settings()
        .bind(|| insta::assert_snapshot!(out.render()));
}
