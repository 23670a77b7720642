//! Hostile and broken input to `ward hook claude-code`. Whatever arrives on stdin, the
//! hook finishes, never panics, and never lets a call through it could not judge:
//! an unreadable payload exits 2 with a reason (which blocks a tool call), and a
//! broken Ward (no home, a corrupt policy) denies guarding events with a reason that
//! says what to fix.

use std::path::PathBuf;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};

use crate::harness::{Ctx, Out, SESSION, of_event, record};

/// The hook did not crash: it exited 0 or 2 and printed no panic.
fn assert_no_crash(out: &Out) {
    assert!(
        out.code == 0 || out.code == 2,
        "the hook must exit 0 or 2:\n{}",
        out.render()
    );
    assert!(!out.stderr.contains("panicked"), "{}", out.render());
    assert!(!out.stderr.contains("internal error"), "{}", out.render());
    if out.code == 2 {
        assert_eq!(
            out.stdout,
            "",
            "exit 2 must not print JSON too:\n{}",
            out.render()
        );
    }
}

/// The call is blocked: exit 2 with a reason on stderr, or a deny answer.
fn assert_blocks(out: &Out) {
    assert_no_crash(out);
    match out.code {
        2 => assert!(
            out.stderr.starts_with("Ward blocked this: "),
            "{}",
            out.render()
        ),
        _ => assert_eq!(
            out.permission_decision().as_deref(),
            Some("deny"),
            "{}",
            out.render()
        ),
    }
}

/// A PreToolUse payload, complete, as bytes.
fn pre_tool_use(tool_input: &Value) -> Vec<u8> {
    json!({
        "session_id": SESSION,
        "transcript_path": "/tmp/transcript.jsonl",
        "cwd": "/tmp",
        "hook_event_name": "PreToolUse",
        "tool_name": "Write",
        "tool_input": tool_input,
        "tool_use_id": "toolu_malformed",
    })
    .to_string()
    .into_bytes()
}

fn initialised() -> Ctx {
    let ctx = Ctx::new();
    ctx.init();
    ctx
}

#[test]
fn empty_stdin_blocks() {
    let ctx = initialised();
    let out = ctx.hook_bytes(b"");
    assert_blocks(&out);
    assert_eq!(out.code, 2);
    ctx.settings()
        .bind(|| insta::assert_snapshot!(out.render()));
}

#[test]
fn text_that_is_not_json_blocks() {
    let ctx = initialised();
    let out = ctx.hook_bytes(b"not json");
    assert_blocks(&out);
    assert!(out.stderr.contains("not valid JSON") || out.stderr.contains("JSON"));
}

#[test]
fn truncated_json_blocks() {
    let ctx = initialised();
    let payload = pre_tool_use(&json!({"file_path": "/tmp/x", "content": "x"}));
    let out = ctx.hook_bytes(&payload[..payload.len() / 2]);
    assert_blocks(&out);
    assert_eq!(out.code, 2);
}

#[test]
fn a_session_id_of_the_wrong_type_blocks_and_names_the_field() {
    let ctx = initialised();
    let mut payload: Value =
        serde_json::from_slice(&pre_tool_use(&json!({"file_path": "/tmp/x"}))).unwrap();
    payload["session_id"] = json!(5);
    let out = ctx.hook_bytes(payload.to_string().as_bytes());
    assert_blocks(&out);
    assert!(out.stderr.contains("session_id"), "{}", out.render());
    ctx.settings()
        .bind(|| insta::assert_snapshot!(out.render()));
}

#[test]
fn a_tool_input_of_the_wrong_shape_is_not_a_crash() {
    let ctx = initialised();
    for tool_input in [
        json!(null),
        json!(5),
        json!("rm"),
        json!([1, 2]),
        json!({"file_path": 7}),
    ] {
        let out = ctx.hook_bytes(&pre_tool_use(&tool_input));
        assert_no_crash(&out);
    }
}

#[test]
fn a_ten_megabyte_string_is_handled() {
    let ctx = initialised();
    let content = "fn main() {}\n".repeat(10 * 1024 * 1024 / 13);
    let payload = json!({
        "hook_event_name": "PreToolUse",
        "tool_name": "Write",
        "tool_input": {"file_path": "$PROJECT/src/big.rs", "content": content},
        "tool_use_id": "toolu_big",
    });
    let out = ctx.hook(&payload.to_string());
    out.assert_hook_ok();
    let lines = ctx.records(SESSION);
    let calls = of_event(&lines, "PreToolUse");
    assert_eq!(calls.len(), 1);
    assert!(
        record(calls[0])["resource"]["input_bytes"]
            .as_u64()
            .unwrap()
            > 10_000_000
    );
}

#[test]
fn a_payload_over_the_size_limit_blocks() {
    let ctx = initialised();
    let content = "x".repeat(17 * 1024 * 1024);
    let payload = pre_tool_use(&json!({"file_path": "/tmp/huge", "content": content}));
    let out = ctx.hook_bytes(&payload);
    assert_blocks(&out);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("limit"), "{}", out.render());
}

#[test]
fn deeply_nested_arrays_block_without_overflowing_the_stack() {
    let ctx = initialised();
    let depth = 100_000;
    let mut payload = String::from(
        r#"{"session_id":"deep","hook_event_name":"PreToolUse","tool_name":"Write","tool_use_id":"t","tool_input":{"file_path":"/tmp/x","content":"#,
    );
    payload.push_str(&"[".repeat(depth));
    payload.push_str(&"]".repeat(depth));
    payload.push_str("}}");
    let out = ctx.hook_bytes(payload.as_bytes());
    assert_blocks(&out);
    assert_eq!(out.code, 2);
}

#[test]
fn invalid_utf8_blocks() {
    let ctx = initialised();
    let mut payload = pre_tool_use(&json!({"file_path": "/tmp/x", "content": "ab"}));
    let at = payload.windows(2).position(|w| w == b"ab").unwrap();
    payload[at] = 0xff;
    payload[at + 1] = 0xfe;
    let out = ctx.hook_bytes(&payload);
    assert_blocks(&out);
    assert!(out.stderr.contains("UTF-8"), "{}", out.render());
}

#[test]
fn escaped_nul_characters_are_handled_normally() {
    let ctx = initialised();
    let payload = json!({
        "hook_event_name": "PreToolUse",
        "tool_name": "Write",
        "tool_input": {"file_path": "$PROJECT/src/nul.txt", "content": "a\u{0}b\u{0}"},
        "tool_use_id": "toolu_nul",
    })
    .to_string();
    assert!(payload.contains("\\u0000"));
    let out = ctx.hook(&payload);
    out.assert_hook_ok();
    assert_eq!(out.stdout, "", "{}", out.render());
    let lines = ctx.records(SESSION);
    let calls = of_event(&lines, "PreToolUse");
    assert_eq!(
        record(calls[0])["request"]["input"]["content"],
        "a\u{0}b\u{0}"
    );
    let verify = ctx.ward(&["audit", "verify", "--json"]);
    assert_eq!(verify.json()["ok"], true, "{}", verify.render());
}

#[test]
fn a_raw_nul_byte_blocks() {
    let ctx = initialised();
    let mut payload = pre_tool_use(&json!({"file_path": "/tmp/x", "content": "ab"}));
    let at = payload.windows(2).position(|w| w == b"ab").unwrap();
    payload[at] = 0;
    let out = ctx.hook_bytes(&payload);
    assert_blocks(&out);
}

#[test]
fn an_unknown_event_is_answered_with_silence() {
    let ctx = initialised();
    let out = ctx.hook(r#"{"hook_event_name":"FutureEvent","future_field":true}"#);
    out.assert_hook_ok();
    assert_eq!(out.stdout, "");
    assert_eq!(of_event(&ctx.records(SESSION), "FutureEvent").len(), 1);
}

/// Every file under the temporary directory that is not under `WARD_HOME`.
fn files_outside_ward_home(ctx: &Ctx) -> Vec<PathBuf> {
    let ward_home = ctx.ward_home.strip_prefix(&ctx.root).unwrap().to_path_buf();
    ctx.files()
        .into_iter()
        .filter(|path| !path.starts_with(&ward_home))
        .collect()
}

#[test]
fn a_session_id_with_a_path_creates_no_file_outside_ward_home() {
    let ctx = initialised();
    let before = files_outside_ward_home(&ctx);
    for session in [
        "../../etc/passwd",
        "../../../../../../../../tmp/ward-escape",
        "/etc/passwd",
        "..",
    ] {
        let out = ctx.hook(
            &json!({
                "session_id": session,
                "hook_event_name": "SessionStart",
                "source": "startup",
            })
            .to_string(),
        );
        assert_no_crash(&out);
        let out = ctx.hook(
            &json!({
                "session_id": session,
                "hook_event_name": "PreToolUse",
                "tool_name": "Read",
                "tool_input": {"file_path": "$PROJECT/src/main.rs"},
                "tool_use_id": "toolu_traversal",
            })
            .to_string(),
        );
        assert_no_crash(&out);
        if out.code == 0 {
            assert_eq!(out.stdout, "", "{}", out.render());
        }
    }
    assert_eq!(files_outside_ward_home(&ctx), before);
    assert!(!std::path::Path::new("/tmp/ward-escape").exists());
    let verify = ctx.ward(&["audit", "verify", "--json"]);
    assert_eq!(verify.json()["ok"], true, "{}", verify.render());
}

#[test]
fn a_corrupt_user_policy_denies_naming_the_file_and_line() {
    let ctx = initialised();
    let policy = ctx.ward_home.join("policy.toml");
    ctx.write(&policy, &ctx.fixture("policies/corrupt.toml"));

    let out = ctx.hook_fixture("claude-code/pre_tool_use_read_source.json");
    out.assert_hook_ok();
    assert_eq!(
        out.permission_decision().as_deref(),
        Some("deny"),
        "{}",
        out.render()
    );
    let reason = out.permission_reason();
    assert!(
        reason.contains(&format!("{}:3", policy.display())),
        "the reason should name the file and line 3: {reason}"
    );
    ctx.settings()
        .bind(|| insta::assert_snapshot!(out.render()));

    // The failure is in the ledger, as a deny.
    let lines = ctx.records(SESSION);
    let call = record(of_event(&lines, "PreToolUse")[0]);
    assert_eq!(call["result"]["decision"], "deny", "{call:#}");
    assert!(
        call["result"]["error"]
            .as_str()
            .unwrap()
            .contains("policy.toml")
    );
}

#[test]
fn a_corrupt_user_policy_blocks_a_prompt() {
    let ctx = initialised();
    ctx.write(
        &ctx.ward_home.join("policy.toml"),
        &ctx.fixture("policies/corrupt.toml"),
    );
    let out = ctx.hook_fixture("claude-code/user_prompt_submit_feature.json");
    out.assert_hook_ok();
    let reply = out.reply().expect("a block answer");
    assert_eq!(reply["decision"], "block", "{}", out.render());
    assert!(reply["reason"].as_str().unwrap().contains("policy.toml"));
}

#[test]
fn a_corrupt_user_policy_does_not_block_an_outcome() {
    let ctx = initialised();
    ctx.write(
        &ctx.ward_home.join("policy.toml"),
        &ctx.fixture("policies/corrupt.toml"),
    );
    let out = ctx.hook_fixture("claude-code/post_tool_use_read_source.json");
    out.assert_hook_ok();
    assert_eq!(out.stdout, "", "{}", out.render());
    let lines = ctx.records(SESSION);
    let outcome = record(of_event(&lines, "PostToolUse")[0]);
    assert!(outcome["result"].get("decision").is_none(), "{outcome:#}");
    assert!(
        outcome["result"]["error"]
            .as_str()
            .unwrap()
            .contains("policy.toml")
    );
}

#[test]
fn a_call_before_ward_init_is_denied_naming_ward_init() {
    let ctx = Ctx::new();
    let out = ctx.hook_fixture("claude-code/pre_tool_use_read_source.json");
    out.assert_hook_ok();
    assert_eq!(
        out.permission_decision().as_deref(),
        Some("deny"),
        "{}",
        out.render()
    );
    assert!(
        out.permission_reason().contains("`ward init`"),
        "{}",
        out.render()
    );
    ctx.settings()
        .bind(|| insta::assert_snapshot!(out.render()));

    // A non-guarding event before init is not blocked.
    let out = ctx.hook_fixture("claude-code/session_start_startup.json");
    out.assert_hook_ok();
    assert_eq!(out.stdout, "");
}

/// Bytes a fuzzer would try: anything, and valid payloads cut short or with bytes
/// changed.
fn hostile_bytes() -> impl Strategy<Value = Vec<u8>> {
    let valid = String::from_utf8(pre_tool_use(&json!({
        "file_path": "/tmp/x",
        "content": "hello",
    })))
    .unwrap()
    .into_bytes();
    let length = valid.len();
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..2048),
        (0..length).prop_map({
            let valid = valid.clone();
            move |cut| valid[..cut].to_vec()
        }),
        (proptest::collection::vec((0..length, any::<u8>()), 1..8)).prop_map(move |edits| {
            let mut bytes = valid.clone();
            for (at, byte) in edits {
                bytes[at] = byte;
            }
            bytes
        }),
    ]
}

#[test]
fn arbitrary_bytes_never_crash_the_hook() {
    let ctx = initialised();
    let config = Config {
        cases: 32,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    runner
        .run(&hostile_bytes(), |bytes| {
            let out = ctx.hook_bytes(&bytes);
            let ok = (out.code == 0 || out.code == 2)
                && !out.stderr.contains("panicked")
                && !out.stderr.contains("internal error")
                && (out.code == 0 || out.stdout.is_empty())
                && (out.stdout.is_empty()
                    || serde_json::from_str::<Value>(&out.stdout).is_ok_and(|v| v.is_object()));
            if ok {
                Ok(())
            } else {
                Err(TestCaseError::fail(out.render()))
            }
        })
        .unwrap();
    // Whatever arrived, the ledger is still whole.
    let verify = ctx.ward(&["audit", "verify", "--json"]);
    assert_eq!(verify.json()["ok"], true, "{}", verify.render());
}

/// Audit-only: a payload Ward cannot read is allowed (silence, exit 0) and still
/// recorded; in enforce mode the same payload blocks (see the tests above).
#[test]
fn an_unreadable_payload_is_allowed_and_recorded_in_audit_only_mode() {
    let ctx = Ctx::new();
    ctx.ward(&["init", "--preset", "audit-only"])
        .assert_success();
    let out = ctx.hook_bytes(b"not json");
    assert_eq!(out.code, 0, "{}", out.render());
    assert!(
        out.stdout.is_empty() && out.stderr.is_empty(),
        "{}",
        out.render()
    );
    let recorded = ctx
        .ward(&[
            "audit",
            "query",
            "--session",
            "ward:invalid-payload",
            "--json",
        ])
        .assert_success()
        .json_lines();
    assert_eq!(recorded.len(), 1);
    let error = recorded[0]["record"]["result"]["error"].as_str().unwrap();
    assert!(error.contains("(8 bytes) is invalid"), "{error}");
}
