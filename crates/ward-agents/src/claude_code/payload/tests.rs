use serde_json::json;

use super::*;

/// A captured payload from `tests/fixtures/claude-code/`.
macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/claude-code/",
            $name,
            ".json"
        ))
        .as_slice()
    };
}
pub(super) use fixture;

/// A minimal valid payload for `event`, with `extra` fields merged in (a `null` in
/// `extra` removes the field).
pub(super) fn payload(event: &str, extra: Value) -> Vec<u8> {
    let mut fields = json!({
        "session_id": "6a1f0c2e-1111-4c2d-9e2a-000000000001",
        "transcript_path": "/home/dev/.claude/projects/app/session.jsonl",
        "cwd": "/home/dev/app",
        "hook_event_name": event,
    });
    let (Some(fields_map), Value::Object(extra)) = (fields.as_object_mut(), extra) else {
        panic!("payload fields must be objects");
    };
    for (key, value) in extra {
        if value.is_null() {
            fields_map.remove(&key);
        } else {
            fields_map.insert(key, value);
        }
    }
    serde_json::to_vec(&fields).unwrap()
}

pub(super) fn parse(bytes: &[u8]) -> Event {
    parse_payload(bytes).unwrap_or_else(|error| panic!("{error}"))
}

fn detail_keys(event: &Event) -> Vec<&str> {
    event.details.keys().map(String::as_str).collect()
}

// --- Each event kind ---------------------------------------------------------------

#[test]
fn pre_tool_use_bash() {
    let event = parse(fixture!("pre_tool_use_bash"));
    assert_eq!(event.agent, "claude-code");
    assert_eq!(event.kind, EventKind::PreToolUse);
    assert_eq!(event.session_id, "6a1f0c2e-1111-4c2d-9e2a-000000000001");
    assert_eq!(event.cwd, "/home/dev/app");
    assert_eq!(event.permission_mode.as_deref(), Some("default"));
    assert_eq!(
        event.tool,
        Some(ToolCall {
            name: "Bash".to_owned(),
            input: json!({ "command": "rm -rf build", "description": "Remove build output" }),
            tool_use_id: Some("toolu_01Xyz".to_owned()),
            mcp_server: None,
        })
    );
    assert_eq!(event.subagent, None);
    assert_eq!(event.prompt, None);
    assert_eq!(event.outcome, None);
    assert_eq!(detail_keys(&event), ["transcript_path"]);
    insta::assert_json_snapshot!("pre_tool_use_bash", event);
}

#[test]
fn pre_tool_use_hostile_command_is_kept_verbatim() {
    let event = parse(fixture!("pre_tool_use_rm_rf_home"));
    let tool = event.tool.clone().unwrap();
    assert_eq!(tool.input["command"], "rm -rf ~");
    assert_eq!(tool.input["timeout"], 120000);
    assert_eq!(event.permission_mode.as_deref(), Some("bypassPermissions"));
    assert_eq!(
        detail_keys(&event),
        ["transcript_path", "prompt_id", "effort"]
    );
    assert_eq!(event.details["effort"], json!({ "level": "high" }));
}

#[test]
fn pre_tool_use_from_a_subagent_keeps_unknown_fields() {
    let event = parse(fixture!("pre_tool_use_write_env_subagent"));
    assert_eq!(
        event.subagent,
        Some(Subagent {
            id: "agent_7f3e".to_owned(),
            agent_type: Some("general-purpose".to_owned()),
        })
    );
    let tool = event.tool.clone().unwrap();
    assert_eq!(tool.name, "Write");
    assert_eq!(tool.input["content"], "API_KEY=abc\n");
    assert_eq!(detail_keys(&event), ["transcript_path", "future_field"]);
    assert_eq!(
        event.details["future_field"],
        json!({ "nested": [1, 2, 3] })
    );
}

#[test]
fn pre_tool_use_mcp_names_the_server_and_keeps_its_source() {
    let event = parse(fixture!("pre_tool_use_mcp"));
    let tool = event.tool.as_ref().unwrap();
    assert_eq!(tool.name, "mcp__github__create_issue");
    assert_eq!(tool.mcp_server.as_deref(), Some("github"));
    assert_eq!(
        event.details["mcp_server"],
        json!({ "name": "github", "source": "user" })
    );
}

#[test]
fn post_tool_use_is_a_success_with_the_response_as_output() {
    let event = parse(fixture!("post_tool_use_bash"));
    assert_eq!(event.kind, EventKind::PostToolUse);
    assert_eq!(
        event.tool.as_ref().unwrap().tool_use_id.as_deref(),
        Some("toolu_03Def")
    );
    let outcome = event.outcome.as_ref().unwrap();
    assert_eq!(outcome.status, OutcomeStatus::Success);
    assert_eq!(
        outcome.output["stdout"],
        "test result: FAILED. 3 passed; 1 failed"
    );
    assert_eq!(outcome.duration_ms, Some(5123));
    assert_eq!(outcome.error, None);
    assert_eq!(detail_keys(&event), ["transcript_path"]);
    insta::assert_json_snapshot!("post_tool_use_bash", event);
}

#[test]
fn post_tool_use_interrupted_bash() {
    let event = parse(fixture!("post_tool_use_interrupted"));
    let outcome = event.outcome.clone().unwrap();
    assert_eq!(outcome.status, OutcomeStatus::Interrupted);
    // JavaScript durations may be fractional; they are rounded.
    assert_eq!(outcome.duration_ms, Some(1842));
}

#[test]
fn post_tool_use_failure() {
    let event = parse(fixture!("post_tool_use_failure"));
    assert_eq!(event.kind, EventKind::PostToolUseFailure);
    let outcome = event.outcome.as_ref().unwrap();
    assert_eq!(
        *outcome,
        Outcome {
            status: OutcomeStatus::Failure,
            output: json!("File does not exist."),
            duration_ms: Some(3),
            error: Some("File does not exist.".to_owned()),
        }
    );
    assert_eq!(detail_keys(&event), ["transcript_path"]);
    insta::assert_json_snapshot!("post_tool_use_failure", event);
}

#[test]
fn post_tool_use_failure_interrupted() {
    let event = parse(fixture!("post_tool_use_failure_interrupt"));
    let outcome = event.outcome.clone().unwrap();
    assert_eq!(outcome.status, OutcomeStatus::Interrupted);
    assert_eq!(
        outcome.error.as_deref(),
        Some("Request interrupted by user")
    );
    assert_eq!(outcome.duration_ms, None);
    assert_eq!(detail_keys(&event), ["transcript_path"]);
}

#[test]
fn permission_request_has_no_tool_use_id() {
    let event = parse(fixture!("permission_request"));
    assert_eq!(event.kind, EventKind::PermissionRequest);
    let tool = event.tool.as_ref().unwrap();
    assert_eq!(tool.input["command"], "git push --force origin main");
    assert_eq!(tool.tool_use_id, None);
    assert_eq!(
        detail_keys(&event),
        ["transcript_path", "permission_suggestions"]
    );
    insta::assert_json_snapshot!("permission_request", event);
}

#[test]
fn permission_denied_keeps_the_reason() {
    let event = parse(fixture!("permission_denied"));
    assert_eq!(event.kind, EventKind::PermissionDenied);
    assert_eq!(event.tool.as_ref().unwrap().name, "Bash");
    assert_eq!(event.permission_mode.as_deref(), Some("auto"));
    assert_eq!(event.details["reason"], "Denied by auto-mode classifier");
}

#[test]
fn user_prompt_submit_moves_the_prompt() {
    let event = parse(fixture!("user_prompt_submit"));
    assert_eq!(event.kind, EventKind::UserPromptSubmit);
    assert_eq!(
        event.prompt.as_deref(),
        Some("Fix the failing test in tests/io.rs and \"commit\" it")
    );
    assert_eq!(event.tool, None);
    assert_eq!(
        detail_keys(&event),
        ["transcript_path", "prompt_id", "source", "session_title"]
    );
    insta::assert_json_snapshot!("user_prompt_submit", event);
}

#[test]
fn session_start_keeps_everything_in_details() {
    let event = parse(fixture!("session_start"));
    assert_eq!(event.kind, EventKind::SessionStart);
    assert_eq!(event.permission_mode, None);
    assert_eq!(
        detail_keys(&event),
        [
            "transcript_path",
            "source",
            "model",
            "context_tokens",
            "effort"
        ]
    );
    assert_eq!(event.details["context_tokens"], 18234);
}

#[test]
fn session_end_keeps_the_reason() {
    let event = parse(fixture!("session_end"));
    assert_eq!(event.kind, EventKind::SessionEnd);
    assert_eq!(event.details["reason"], "prompt_input_exit");
}

#[test]
fn subagent_start_and_stop_name_the_subagent_itself() {
    let start = parse(fixture!("subagent_start"));
    assert_eq!(start.kind, EventKind::SubagentStart);
    let explore = Some(Subagent {
        id: "agent_7f3e".to_owned(),
        agent_type: Some("Explore".to_owned()),
    });
    assert_eq!(start.subagent, explore);
    assert_eq!(detail_keys(&start), ["transcript_path"]);

    let stop = parse(fixture!("subagent_stop"));
    assert_eq!(stop.kind, EventKind::SubagentStop);
    assert_eq!(stop.subagent, explore);
    assert_eq!(
        detail_keys(&stop),
        [
            "transcript_path",
            "stop_hook_active",
            "agent_transcript_path",
            "last_assistant_message"
        ]
    );
    insta::assert_json_snapshot!("subagent_stop", stop);
}

#[test]
fn stop_notification_and_pre_compact() {
    let stop = parse(fixture!("stop"));
    assert_eq!(stop.kind, EventKind::Stop);
    assert_eq!(stop.details["stop_hook_active"], false);
    assert_eq!(
        stop.details["last_assistant_message"],
        "All tests pass now."
    );

    let notification = parse(fixture!("notification"));
    assert_eq!(notification.kind, EventKind::Notification);
    assert_eq!(
        detail_keys(&notification),
        ["transcript_path", "message", "title", "notification_type"]
    );

    let compact = parse(fixture!("pre_compact"));
    assert_eq!(compact.kind, EventKind::PreCompact);
    assert_eq!(compact.details["trigger"], "manual");
    // A null is information too ("no custom instructions") and is kept.
    assert_eq!(compact.details["custom_instructions"], Value::Null);
}

#[test]
fn unknown_event_is_other_and_keeps_its_fields() {
    let event = parse(fixture!("cwd_changed_unknown_event"));
    assert_eq!(event.kind, EventKind::Other("CwdChanged".to_owned()));
    assert_eq!(event.cwd, "/home/dev/app/sub");
    assert_eq!(
        detail_keys(&event),
        ["transcript_path", "old_cwd", "new_cwd"]
    );
}

#[test]
fn main_thread_agent_type_without_id_is_not_a_subagent() {
    let event = parse(&payload("Stop", json!({ "agent_type": "reviewer" })));
    assert_eq!(event.subagent, None);
    assert_eq!(event.details["agent_type"], "reviewer");
}

#[test]
fn missing_cwd_is_empty() {
    let event = parse(&payload("SessionEnd", json!({ "cwd": null })));
    assert_eq!(event.cwd, "");
}

#[test]
fn byte_order_mark_and_surrounding_whitespace_are_accepted() {
    let mut bytes = "\u{feff}\n ".as_bytes().to_vec();
    bytes.extend(payload("Stop", json!({})));
    bytes.extend(b"\n\n");
    assert_eq!(parse(&bytes).kind, EventKind::Stop);
}

// --- Lenient descriptive fields ----------------------------------------------------

#[test]
fn ill_typed_descriptive_fields_stay_in_details() {
    let event = parse(&payload(
        "PostToolUse",
        json!({
            "permission_mode": 3,
            "agent_id": { "id": 1 },
            "agent_type": "Explore",
            "tool_name": "Bash",
            "tool_input": "ls",
            "tool_use_id": 17,
            "duration_ms": "slow",
            "mcp_server": "github",
        }),
    ));
    assert_eq!(event.permission_mode, None);
    assert_eq!(event.subagent, None);
    let tool = event.tool.as_ref().unwrap();
    assert_eq!(tool.input, json!("ls"));
    assert_eq!(tool.tool_use_id, None);
    assert_eq!(tool.mcp_server, None);
    assert_eq!(event.outcome.as_ref().unwrap().duration_ms, None);
    assert_eq!(
        detail_keys(&event),
        [
            "transcript_path",
            "permission_mode",
            "agent_id",
            "agent_type",
            "tool_use_id",
            "duration_ms",
            "mcp_server"
        ]
    );
}

#[test]
fn negative_or_huge_durations() {
    let negative = parse(&payload(
        "PostToolUse",
        json!({ "tool_name": "Bash", "tool_input": {}, "duration_ms": -5 }),
    ));
    assert_eq!(negative.outcome.unwrap().duration_ms, None);
    assert_eq!(negative.details["duration_ms"], -5);
    let huge = parse(&payload(
        "PostToolUse",
        json!({ "tool_name": "Bash", "tool_input": {}, "duration_ms": 1e300 }),
    ));
    assert_eq!(huge.outcome.unwrap().duration_ms, Some(u64::MAX));
}

#[test]
fn post_tool_use_failure_without_error_has_null_output() {
    let event = parse(&payload(
        "PostToolUseFailure",
        json!({ "tool_name": "Bash", "tool_input": {}, "error": 5, "is_interrupt": "yes" }),
    ));
    let outcome = event.outcome.as_ref().unwrap();
    assert_eq!(outcome.status, OutcomeStatus::Failure);
    assert_eq!(outcome.output, Value::Null);
    assert_eq!(outcome.error, None);
    assert_eq!(
        detail_keys(&event),
        ["transcript_path", "error", "is_interrupt"]
    );
}

#[test]
fn nul_bytes_inside_strings_are_kept() {
    let event = parse(&payload(
        "PreToolUse",
        json!({ "tool_name": "Bash", "tool_input": { "command": "echo a\u{0}b" } }),
    ));
    assert_eq!(event.tool.unwrap().input["command"], "echo a\u{0}b");
}

#[test]
fn ten_megabyte_field_is_accepted() {
    let content = "x".repeat(10 * 1024 * 1024);
    let event = parse(&payload(
        "PreToolUse",
        json!({ "tool_name": "Write", "tool_input": { "file_path": "/tmp/big", "content": content } }),
    ));
    assert_eq!(
        event.tool.unwrap().input["content"].as_str().map(str::len),
        Some(10 * 1024 * 1024)
    );
}
