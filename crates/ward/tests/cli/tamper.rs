//! Editing the ledger behind Ward's back: `ward audit verify` recomputes everything
//! from content, exits 1 and names the record that was changed or removed.

use serde_json::Value;

use crate::harness::Ctx;

const SESSION_A: &str = "tamper-session-a";
const SESSION_B: &str = "tamper-session-b";

/// A ledger of the host identity and six records over two interleaved sessions:
///
/// | seq | session | event |
/// |---|---|---|
/// | 1 | ward-host | HostIdentity (written by `ward init`) |
/// | 2 | a | SessionStart |
/// | 3 | a | PreToolUse Read src/main.rs |
/// | 4 | b | SessionStart |
/// | 5 | a | PostToolUse Read src/main.rs |
/// | 6 | b | PreToolUse Read src/lib.rs |
/// | 7 | a | Stop |
fn six_records() -> Ctx {
    let ctx = Ctx::new();
    ctx.init();
    let payloads = [
        (
            SESSION_A,
            r#"{"hook_event_name":"SessionStart","source":"startup"}"#,
        ),
        (
            SESSION_A,
            r#"{"hook_event_name":"PreToolUse","tool_name":"Read","tool_input":{"file_path":"$PROJECT/src/main.rs"},"tool_use_id":"toolu_a1"}"#,
        ),
        (
            SESSION_B,
            r#"{"hook_event_name":"SessionStart","source":"startup"}"#,
        ),
        (
            SESSION_A,
            r#"{"hook_event_name":"PostToolUse","tool_name":"Read","tool_input":{"file_path":"$PROJECT/src/main.rs"},"tool_response":{"type":"text"},"tool_use_id":"toolu_a1"}"#,
        ),
        (
            SESSION_B,
            r#"{"hook_event_name":"PreToolUse","tool_name":"Read","tool_input":{"file_path":"$PROJECT/src/lib.rs"},"tool_use_id":"toolu_b1"}"#,
        ),
        (
            SESSION_A,
            r#"{"hook_event_name":"Stop","stop_hook_active":false}"#,
        ),
    ];
    for (session, payload) in payloads {
        let mut value: Value = serde_json::from_str(payload).unwrap();
        value["session_id"] = Value::from(session);
        ctx.hook(&value.to_string()).assert_hook_ok();
    }
    let verify = ctx.ward(&["audit", "verify"]);
    assert_eq!(verify.code, 0, "{}", verify.render());
    assert!(
        verify
            .stdout
            .starts_with("ok: 7 records in 3 sessions verified")
    );
    ctx
}

/// Runs SQL on the ledger file directly, as an attacker with file access would.
fn tamper(ctx: &Ctx, sql: &str) {
    let conn = rusqlite::Connection::open(ctx.ward_home.join("ledger.db")).unwrap();
    let changed = conn.execute(sql, []).unwrap();
    assert_eq!(changed, 1, "the tampering SQL should change one row: {sql}");
    conn.close().unwrap();
}

fn problems(ctx: &Ctx) -> Vec<Value> {
    let out = ctx.ward(&["audit", "verify", "--json"]);
    assert_eq!(out.code, 1, "{}", out.render());
    let report = out.json();
    assert_eq!(report["ok"], false);
    report["problems"].as_array().cloned().unwrap_or_default()
}

#[test]
fn an_untouched_ledger_verifies() {
    let ctx = six_records();
    let out = ctx.ward(&["audit", "verify", "--json"]);
    out.assert_success();
    let report = out.json();
    assert_eq!(report["ok"], true);
    assert_eq!(report["records"], 7);
    assert_eq!(report["sessions"], 3);
    assert_eq!(report["problems"], serde_json::json!([]));
}

#[test]
fn an_edited_record_body_is_named() {
    let ctx = six_records();
    tamper(
        &ctx,
        "UPDATE records SET body = replace(body, 'src/main.rs', 'src/evil.rs') WHERE seq = 3",
    );

    let out = ctx.ward(&["audit", "verify"]);
    assert_eq!(out.code, 1, "{}", out.render());
    assert!(out.stdout.starts_with("FAILED"), "{}", out.render());
    assert!(
        out.stdout.contains("first bad record: record 3"),
        "{}",
        out.render()
    );
    ctx.settings()
        .bind(|| insta::assert_snapshot!(out.render()));

    let problems = problems(&ctx);
    let first = &problems[0];
    assert_eq!(first["seq"], 3, "{problems:#?}");
    assert_eq!(first["kind"], "hash_mismatch", "{problems:#?}");
}

#[test]
fn a_deleted_middle_record_is_named() {
    let ctx = six_records();
    tamper(&ctx, "DELETE FROM records WHERE seq = 4");

    let out = ctx.ward(&["audit", "verify"]);
    assert_eq!(out.code, 1, "{}", out.render());
    assert!(out.stdout.contains("record 4"), "{}", out.render());
    let problems = problems(&ctx);
    assert!(
        problems
            .iter()
            .any(|p| p["seq"] == 4 && p["kind"] == "missing"),
        "the missing record 4 should be reported: {problems:#?}"
    );
}

#[test]
fn a_deleted_last_record_of_a_session_is_detected() {
    let ctx = six_records();
    // The newest record overall: no later record's chain or sequence shows the gap,
    // only the session head does.
    tamper(&ctx, "DELETE FROM records WHERE seq = 7");

    let out = ctx.ward(&["audit", "verify"]);
    assert_eq!(out.code, 1, "{}", out.render());
    assert!(out.stdout.contains(SESSION_A), "{}", out.render());
    let problems = problems(&ctx);
    assert!(
        problems
            .iter()
            .any(|p| p["session_id"] == SESSION_A && p["kind"] == "session_head"),
        "the truncated session should be reported: {problems:#?}"
    );
}

#[test]
fn a_deleted_last_record_of_an_earlier_session_is_detected() {
    let ctx = six_records();
    // Session b's last record (6) is followed by record 7 of session a.
    tamper(&ctx, "DELETE FROM records WHERE seq = 6");

    let out = ctx.ward(&["audit", "verify"]);
    assert_eq!(out.code, 1, "{}", out.render());
    assert!(out.stdout.contains("record 6"), "{}", out.render());
    let problems = problems(&ctx);
    assert!(
        problems.iter().any(|p| p["session_id"] == SESSION_B),
        "session b should be named: {problems:#?}"
    );
}
