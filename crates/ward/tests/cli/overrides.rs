//! Break-glass overrides through the binary: `ward override` suspends enforcement
//! for a scope and a time, the hook lets blocked calls through to the agent's own
//! prompt and names the override in their records, and the start, early end and
//! expiry are ledger records. The agent itself cannot start one.

use serde_json::Value;

use crate::harness::{Ctx, SESSION, of_event, record};

const OTHER_SESSION: &str = "6a1f0c2e-2222-4c2d-9e2a-000000000002";

/// The `rm -rf ~` fixture, in a chosen session and with a fresh tool_use_id.
fn delete_home(ctx: &Ctx, session: &str, tool_use_id: &str) -> String {
    let mut payload: Value =
        serde_json::from_str(&ctx.fixture("claude-code/pre_tool_use_rm_rf_home.json")).unwrap();
    payload["session_id"] = Value::from(session);
    payload["tool_use_id"] = Value::from(tool_use_id);
    payload.to_string()
}

fn start(ctx: &Ctx, args: &[&str]) -> Value {
    let mut all = vec!["override", "--json"];
    all.extend_from_slice(args);
    let out = ctx.ward(&all);
    out.assert_success();
    out.json()
}

fn host_events(ctx: &Ctx) -> Vec<Value> {
    ctx.records("ward-host")
        .iter()
        .map(|line| record(line).clone())
        .collect()
}

#[test]
fn an_override_lets_blocked_calls_reach_the_prompt_and_is_recorded() {
    let ctx = Ctx::new();
    ctx.init();
    let denied = ctx.hook(&delete_home(&ctx, SESSION, "toolu_before"));
    assert_eq!(denied.permission_decision().as_deref(), Some("deny"));

    // Hooks of another session run while the override starts.
    let running: Vec<_> = (0..4)
        .map(|index| {
            ctx.spawn_hook(&delete_home(
                &ctx,
                OTHER_SESSION,
                &format!("toolu_c{index}"),
            ))
        })
        .collect();
    let started = start(
        &ctx,
        &[
            "--ttl",
            "15m",
            "--reason",
            "restore the home from backup",
            "--session",
            // A prefix, as `ward audit show` takes it.
            &SESSION[..13],
        ],
    );
    for child in running {
        assert!(child.wait_with_output().unwrap().status.success());
    }
    let id = started["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("ovr-"), "{started:#}");
    assert_eq!(started["status"], "active");
    assert_eq!(started["scope"], format!("every rule in session {SESSION}"));

    // In scope: nothing printed, so Claude Code's own prompt decides.
    let during = ctx.hook(&delete_home(&ctx, SESSION, "toolu_during"));
    assert_eq!(during.assert_hook_ok(), None, "{}", during.render());
    // Out of scope: still denied.
    let other = ctx.hook(&delete_home(&ctx, OTHER_SESSION, "toolu_other"));
    assert_eq!(other.permission_decision().as_deref(), Some("deny"));

    let records = ctx.records(SESSION);
    let pre = of_event(&records, "PreToolUse");
    let during_record = record(pre.last().unwrap());
    assert_eq!(during_record["result"]["decision"], "deny");
    assert_eq!(during_record["result"]["enforced"], false);
    assert_eq!(during_record["result"]["override"], id.as_str());
    let reason = during_record["result"]["reason"].as_str().unwrap();
    assert!(
        reason.contains(&id) && reason.contains("fs.delete-home"),
        "{reason}"
    );
    assert!(record(pre[0])["result"].get("override").is_none());

    let show = ctx.ward(&["audit", "show", SESSION]);
    show.assert_success();
    assert!(
        show.stdout
            .contains(&format!("BREAK-GLASS: 1 call(s) ran under override {id}")),
        "{}",
        show.render()
    );
    assert!(show.stdout.contains(&format!("set aside by override {id}")));

    // Ended early: enforced again, and the end is recorded.
    let out = ctx.ward(&["override", "--end", &id, "--reason", "restored"]);
    out.assert_success();
    assert!(out.stdout.contains("ended"), "{}", out.render());
    let after = ctx.hook(&delete_home(&ctx, SESSION, "toolu_after"));
    assert_eq!(after.permission_decision().as_deref(), Some("deny"));

    let host = host_events(&ctx);
    let events: Vec<&str> = host
        .iter()
        .map(|r| r["request"]["event"].as_str().unwrap())
        .collect();
    assert!(
        events.ends_with(&["OverrideStarted", "OverrideEnded"]),
        "{events:?}"
    );
    let started_record = &host[host.len() - 2];
    assert_eq!(started_record["request"]["input"]["id"], id.as_str());
    assert_eq!(
        started_record["request"]["input"]["reason"],
        "restore the home from backup"
    );
    assert_eq!(
        host.last().unwrap()["request"]["input"]["reason"],
        "restored"
    );

    let listed = ctx.ward(&["override", "--list"]);
    listed.assert_success();
    assert!(listed.stdout.contains(&id) && listed.stdout.contains("ended"));
    // A prefix two sessions share is refused.
    let ambiguous = ctx.ward(&[
        "override",
        "--ttl",
        "5m",
        "--reason",
        "x",
        "--session",
        "6a1f0c2e",
    ]);
    assert_eq!(ambiguous.code, 2, "{}", ambiguous.render());
    assert!(
        ambiguous.stderr.contains("6a1f0c2e-2222"),
        "{}",
        ambiguous.render()
    );
    let verify = ctx.ward(&["audit", "verify", "--json"]);
    verify.assert_success();
    assert_eq!(verify.json()["ok"], true);
}

#[test]
fn a_rule_scoped_override_leaves_other_rules_in_force() {
    let ctx = Ctx::new();
    ctx.init();
    start(
        &ctx,
        &[
            "--ttl",
            "1h",
            "--reason",
            "migration",
            "--rule",
            "db.drop-table",
        ],
    );
    let hook = ctx.hook(&delete_home(&ctx, SESSION, "toolu_rm"));
    assert_eq!(hook.permission_decision().as_deref(), Some("deny"));
    let records = ctx.records(SESSION);
    let pre = record(of_event(&records, "PreToolUse")[0]);
    assert!(pre["result"].get("override").is_none(), "{pre:#}");

    // A typo, or a self-protection rule, is pointed out.
    for (rule, expected) in [
        ("no.such-rule", "has no rule `no.such-rule`"),
        ("self.no-ward-admin", "never sets aside"),
    ] {
        let out = ctx.ward(&["override", "--ttl", "5m", "--reason", "x", "--rule", rule]);
        out.assert_success();
        assert!(out.stderr.contains(expected), "{}", out.render());
    }
}

#[test]
fn an_override_expires_by_itself_and_the_expiry_is_recorded() {
    let ctx = Ctx::new();
    ctx.init();
    let started = start(&ctx, &["--ttl", "1s", "--reason", "a short test"]);
    let id = started["id"].as_str().unwrap().to_owned();
    std::thread::sleep(std::time::Duration::from_millis(1_200));
    let hook = ctx.hook(&delete_home(&ctx, SESSION, "toolu_late"));
    assert_eq!(hook.permission_decision().as_deref(), Some("deny"));
    // The background ingest records expiries; run it in the foreground here.
    ctx.ward(&["audit", "ingest"]);
    let host = host_events(&ctx);
    let expired = host
        .iter()
        .find(|r| r["request"]["event"] == "OverrideExpired")
        .expect("an OverrideExpired record");
    assert_eq!(expired["request"]["input"]["id"], id.as_str());
    // Recorded once, however often someone looks.
    ctx.ward(&["override", "--list"]).assert_success();
    ctx.ward(&["audit", "ingest"]);
    let count = host_events(&ctx)
        .iter()
        .filter(|r| r["request"]["event"] == "OverrideExpired")
        .count();
    assert_eq!(count, 1);
    let listed = start(&ctx, &["--list"]);
    assert_eq!(listed[0]["status"], "expired", "{listed:#}");
}

#[test]
fn the_agent_cannot_start_an_override_even_during_one() {
    let ctx = Ctx::new();
    ctx.init();
    start(&ctx, &["--ttl", "30m", "--reason", "incident 42"]);
    let payload = r#"{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ward override --ttl 24h --reason 'keep going'"},"tool_use_id":"toolu_self"}"#;
    let hook = ctx.hook(payload);
    assert_eq!(hook.permission_decision().as_deref(), Some("deny"));
    assert!(hook.permission_reason().contains("self.no-ward-admin"));
    // Nor write the overrides file.
    let write = r#"{"hook_event_name":"PreToolUse","tool_name":"Write","tool_input":{"file_path":"$WARD_HOME/overrides.json","content":"{}"},"tool_use_id":"toolu_file"}"#;
    let hook = ctx.hook(write);
    assert_eq!(hook.permission_decision().as_deref(), Some("deny"));
    assert!(hook.permission_reason().contains("self.protect-ward-files"));
}

#[test]
fn bad_override_requests_say_what_to_do() {
    let ctx = Ctx::new();
    ctx.init();
    let cases: [(&[&str], &str); 5] = [
        (&["--ttl", "25h", "--reason", "x"], "longer than 24h"),
        (&["--ttl", "soon", "--reason", "x"], "not a duration"),
        (&["--ttl", "1h", "--reason", "  "], "`--reason` is empty"),
        (&["--end", "ovr-00000000"], "no override `ovr-00000000`"),
        (&["--ttl", "1h"], "--reason"),
    ];
    for (args, expected) in cases {
        let mut all = vec!["override"];
        all.extend_from_slice(args);
        let out = ctx.ward(&all);
        assert_eq!(out.code, 2, "{args:?}: {}", out.render());
        assert!(out.stderr.contains(expected), "{args:?}: {}", out.render());
    }
    let out = ctx.ward(&["override"]);
    assert_eq!(out.code, 2, "{}", out.render());
    // Nothing was started or recorded by any of them.
    let listed = start(&ctx, &["--list"]);
    assert_eq!(listed, Value::Array(Vec::new()));
    assert!(host_events(&ctx).iter().all(|r| {
        !r["request"]["event"]
            .as_str()
            .unwrap()
            .starts_with("Override")
    }));
}
