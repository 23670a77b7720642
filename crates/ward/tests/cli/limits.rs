//! Rate limits through the binary: counted across concurrent hook processes in
//! the home's shared counter, recorded with each call, and shown by `ward check`
//! without counting.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::harness::{Ctx, SESSION, of_event, record};

fn listing(index: usize) -> String {
    format!(
        r#"{{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{{"command":"ls -la"}},"tool_use_id":"toolu_ls{index}"}}"#
    )
}

#[test]
fn sixteen_concurrent_hooks_share_one_count() {
    let ctx = Ctx::new();
    ctx.init();
    ctx.write(
        &ctx.ward_home.join("policy.toml"),
        &ctx.fixture("policies/user_rate_limit.toml"),
    );
    let children: Vec<_> = (0..16)
        .map(|index| ctx.spawn_hook(&listing(index)))
        .collect();
    let mut denied = 0;
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success());
        let stdout = String::from_utf8(output.stdout).unwrap();
        if stdout.contains("\"deny\"") {
            assert!(stdout.contains("team.shell-budget"), "{stdout}");
            denied += 1;
        } else {
            assert_eq!(stdout, "", "an allowed call prints nothing");
        }
    }
    assert_eq!(denied, 6, "16 calls against a limit of 10");

    // Each record carries its own count: 1 to 16, none twice.
    let records = ctx.records(SESSION);
    let pre = of_event(&records, "PreToolUse");
    assert_eq!(pre.len(), 16);
    let mut counts = BTreeSet::new();
    for line in &pre {
        let result = &record(line)["result"];
        let rate = &result["rate"][0];
        assert_eq!(rate["rule"], "team.shell-budget");
        assert_eq!(rate["key"], format!("session:{SESSION}"));
        assert_eq!(rate["max"], 10);
        assert_eq!(rate["per_seconds"], 3600);
        let count = rate["count"].as_u64().unwrap();
        assert_eq!(result["decision"] == "deny", count > 10, "{result:#}");
        counts.insert(count);
    }
    assert_eq!(counts, (1..=16).collect::<BTreeSet<u64>>());

    // `ward check` says what the session's next call would count, and counts
    // nothing.
    let payload_file = ctx.project.join("payload.json");
    ctx.write(&payload_file, &ctx.payload(&listing(50)));
    let payload_arg = payload_file.display().to_string();
    for _ in 0..2 {
        let out = ctx.ward(&["check", "--json", &payload_arg, "--format", "json"]);
        out.assert_success();
        let explanation: Value = out.json();
        assert_eq!(explanation["verdict"]["rate_counts"][0]["count"], 17);
        assert_eq!(explanation["verdict"]["decision"], "deny");
    }
    // Another session has its own count.
    let other = listing(99).replace(
        "\"hook_event_name\"",
        "\"session_id\":\"another-session\",\"hook_event_name\"",
    );
    assert_eq!(ctx.hook(&other).assert_hook_ok(), None);
}

#[test]
fn a_damaged_counter_fails_closed_with_a_fix() {
    let ctx = Ctx::new();
    ctx.init();
    ctx.write(
        &ctx.ward_home.join("policy.toml"),
        &ctx.fixture("policies/user_rate_limit.toml"),
    );
    // Not text at all (a line cut short by a crash would just be skipped).
    std::fs::write(ctx.ward_home.join("rate-limits.log"), [0xff, 0xfe, 0x00]).unwrap();
    let hook = ctx.hook(&listing(0));
    assert_eq!(hook.permission_decision().as_deref(), Some("deny"));
    let reason = hook.permission_reason();
    assert!(
        reason.contains("rate-limits.log") && reason.contains("delete it"),
        "{reason}"
    );
}

#[test]
fn a_bad_rate_is_a_policy_error_naming_the_rule() {
    let ctx = Ctx::new();
    ctx.init();
    let text = ctx
        .fixture("policies/user_rate_limit.toml")
        .replace("per = \"1h\"", "per = \"hourly\"");
    ctx.write(&ctx.ward_home.join("policy.toml"), &text);
    let out = ctx.ward(&["policy", "validate"]);
    assert_ne!(out.code, 0, "{}", out.render());
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(
        all.contains("team.shell-budget") && all.contains("not a duration"),
        "{all}"
    );
}

fn budget_home(budget: &str) -> Ctx {
    let ctx = Ctx::new();
    ctx.init();
    let policy = ctx.ward_home.join("policy.toml");
    let mut text = std::fs::read_to_string(&policy).unwrap();
    text.push_str(budget);
    ctx.write(&policy, &text);
    ctx
}

#[test]
fn a_session_budget_warns_at_80_percent_and_denies_past_it() {
    let ctx = budget_home("\n[budget]\nmax_tool_calls = 5\n");
    let mut seen = Vec::new();
    for index in 0..6 {
        let out = ctx.hook(&listing(index));
        let reply = out.assert_hook_ok();
        seen.push(match reply {
            None => "silent".to_owned(),
            Some(reply) if reply.get("systemMessage").is_some() => {
                assert!(
                    reply["systemMessage"]
                        .as_str()
                        .unwrap()
                        .contains("tool call 4 of 5")
                        || reply["systemMessage"]
                            .as_str()
                            .unwrap()
                            .contains("tool call 5 of 5"),
                    "{reply:#}"
                );
                "warn".to_owned()
            }
            Some(_) => {
                assert!(out.permission_reason().contains("budget.tool-calls"));
                out.permission_decision().unwrap()
            }
        });
    }
    assert_eq!(seen, ["silent", "silent", "silent", "warn", "warn", "deny"]);
    // Another session has its own budget.
    let other = listing(99).replace(
        "\"hook_event_name\"",
        "\"session_id\":\"another-session\",\"hook_event_name\"",
    );
    assert_eq!(ctx.hook(&other).assert_hook_ok(), None);
}

#[test]
fn a_session_budget_of_wall_time_runs_from_the_first_call() {
    let ctx = budget_home("\n[budget]\nmax_duration = \"1s\"\nat_limit = \"ask\"\n");
    assert_eq!(ctx.hook(&listing(0)).assert_hook_ok(), None);
    std::thread::sleep(std::time::Duration::from_millis(1_200));
    let late = ctx.hook(&listing(1));
    assert_eq!(
        late.permission_decision().as_deref(),
        Some("ask"),
        "{}",
        late.render()
    );
    assert!(late.permission_reason().contains("budget.duration"));

    let bad = budget_home("\n[budget]\nmax_duration = \"forever\"\n");
    let out = bad.ward(&["policy", "validate"]);
    assert_ne!(out.code, 0);
    assert!(format!("{}{}", out.stdout, out.stderr).contains("max_duration"));
}

/// A `SessionStart` that reports the context's size, as Claude Code sends it on a
/// resume.
fn resumed(tokens: u64) -> String {
    serde_json::json!({
        "hook_event_name": "SessionStart",
        "source": "resume",
        "context_tokens": tokens,
    })
    .to_string()
}

#[test]
fn a_context_budget_follows_the_size_the_agent_reports() {
    let ctx = budget_home("\n[budget]\nmax_context_tokens = 100000\n");
    // Nothing reported yet: no opinion.
    assert_eq!(ctx.hook(&listing(0)).assert_hook_ok(), None);
    ctx.hook(&resumed(85_000)).assert_hook_ok();
    let near = ctx.hook(&listing(1)).assert_hook_ok().unwrap();
    assert!(
        near["systemMessage"]
            .as_str()
            .unwrap()
            .contains("a context of 85000 tokens, of the 100000 allowed"),
        "{near:#}"
    );
    ctx.hook(&resumed(120_000)).assert_hook_ok();
    let over = ctx.hook(&listing(2));
    assert_eq!(
        over.permission_decision().as_deref(),
        Some("deny"),
        "{}",
        over.render()
    );
    assert!(over.permission_reason().contains("budget.context-tokens"));
    // Another session reported nothing.
    let other = listing(3).replace(
        "\"hook_event_name\"",
        "\"session_id\":\"another-session\",\"hook_event_name\"",
    );
    assert_eq!(ctx.hook(&other).assert_hook_ok(), None);
    // Without a context budget, nothing is kept.
    let plain = budget_home("\n[budget]\nmax_tool_calls = 50\n");
    plain.hook(&resumed(120_000)).assert_hook_ok();
    assert!(!plain.ward_home.join("usage").exists());
}
