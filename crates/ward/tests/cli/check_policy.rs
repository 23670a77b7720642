//! `ward check` (explain a hypothetical call, record nothing) and `ward policy show|
//! validate`, including the layering rule that a managed deny cannot be loosened.

use crate::harness::{Ctx, SESSION, of_event, record};

#[test]
fn check_starts_without_panicking() {
    let ctx = Ctx::new();
    ctx.init();
    let out = ctx.ward(&["check", "read", "src/main.rs"]);
    assert!(!out.stderr.contains("panicked"), "{}", out.render());
    out.assert_success();
    assert!(out.stdout.contains("Decision   none"), "{}", out.render());
}

#[test]
fn check_explains_a_denied_shell_command() {
    let ctx = Ctx::new();
    ctx.init();
    let out = ctx.ward(&["check", "bash", "rm -rf ~"]);
    out.assert_success();
    assert!(out.stdout.contains("Decision   DENY"), "{}", out.render());
    assert!(out.stdout.contains("fs.delete-home"), "{}", out.render());
    // The snapshot uses `/`: which rules match `~` also depends on where the test's
    // home lies (a home under /tmp is not "outside the project" for the safety
    // preset), and the test must not depend on where the checkout is.
    let out = ctx.ward(&["check", "bash", "rm -rf /"]);
    out.assert_success();
    ctx.settings().bind(|| insta::assert_snapshot!(out.stdout));
}

/// `ward check` shows why: the commands seen, the SQL findings, and what could
/// not be analysed.
#[test]
fn check_shows_findings_and_opaque_parts() {
    let ctx = Ctx::new();
    ctx.init();
    let out = ctx.ward(&[
        "check",
        "bash",
        "psql -d shop -c 'DELETE FROM orders; DROP TABLE users'",
    ]);
    out.assert_success();
    ctx.settings().bind(|| insta::assert_snapshot!(out.stdout));

    let out = ctx.ward(&[
        "check",
        "bash",
        "git push --force origin main",
        "--format",
        "json",
    ]);
    out.assert_success();
    let explanation = out.json();
    assert_eq!(
        explanation["verdict"]["decision"], "deny",
        "{explanation:#}"
    );
    let findings = explanation["action"]["findings"].to_string();
    assert!(findings.contains("git.force-push"), "{findings}");

    let out = ctx.ward(&["check", "bash", "$CMD --now"]);
    out.assert_success();
    assert!(out.stdout.contains("Opaque     yes"), "{}", out.render());
    assert!(out.stdout.contains("analysis.opaque"), "{}", out.render());
}

#[test]
fn check_write_as_json() {
    let ctx = Ctx::new();
    ctx.init();
    let out = ctx.ward(&["check", "write", ".env", "--format", "json"]);
    out.assert_success();
    let explanation = out.json();
    assert_eq!(explanation["tool"], "Write");
    assert_eq!(explanation["verdict"]["decision"], "ask", "{explanation:#}");
    assert_eq!(
        explanation["verdict"]["matched"][0]["rule_id"],
        "secrets.credential-files"
    );
    assert_eq!(
        explanation["reply"]["hookSpecificOutput"]["permissionDecision"],
        "ask"
    );
    // A relative path is taken from the current directory.
    let targets = explanation["action"]["targets"].to_string();
    assert!(
        targets.contains(&ctx.project.join(".env").display().to_string()),
        "{targets}"
    );
}

#[test]
fn check_a_payload_file() {
    let ctx = Ctx::new();
    ctx.init();
    let file = ctx.root.join("payload.json");
    ctx.write(
        &file,
        &ctx.payload(&ctx.fixture("claude-code/pre_tool_use_read_env.json")),
    );
    let out = ctx.ward(&["check", "--json", &file.display().to_string()]);
    out.assert_success();
    assert!(out.stdout.contains("Decision   ASK"), "{}", out.render());
    assert!(out.stdout.contains("secrets.credential-files"));
    ctx.settings().bind(|| insta::assert_snapshot!(out.stdout));
}

#[test]
fn check_a_payload_on_stdin() {
    let ctx = Ctx::new();
    ctx.init();
    let payload = ctx.payload(&ctx.fixture("claude-code/pre_tool_use_write_ward_policy.json"));
    let out = ctx.ward_stdin(&["check", "--json", "-", "--format", "json"], payload);
    out.assert_success();
    assert_eq!(out.json()["verdict"]["decision"], "deny");
}

#[test]
fn check_refuses_a_payload_without_a_tool_call() {
    let ctx = Ctx::new();
    ctx.init();
    let file = ctx.root.join("prompt.json");
    ctx.write(
        &file,
        &ctx.payload(&ctx.fixture("claude-code/user_prompt_submit_feature.json")),
    );
    let out = ctx.ward(&["check", "--json", &file.display().to_string()]);
    assert_eq!(out.code, 2, "{}", out.render());
    assert!(out.stderr.contains("UserPromptSubmit"), "{}", out.render());
}

#[test]
fn check_records_nothing() {
    let ctx = Ctx::new();
    ctx.init();
    ctx.hook_fixture("claude-code/session_start_startup.json")
        .assert_hook_ok();
    let before = ctx.record_count();
    assert_eq!(before, 2, "the host identity and the session start");
    ctx.ward(&["check", "bash", "rm -rf ~"]).assert_success();
    ctx.ward(&["check", "write", ".env"]).assert_success();
    ctx.ward(&["check", "read", "src/main.rs"]).assert_success();
    ctx.ward(&["check", "fetch", "https://docs.example/api"])
        .assert_success();
    assert_eq!(ctx.record_count(), before);
    assert_eq!(ctx.records(SESSION).len(), 1);
}

#[test]
fn policy_show_lists_every_rule_and_its_origin() {
    let ctx = Ctx::new();
    ctx.init();
    let out = ctx.ward(&["policy", "show"]);
    out.assert_success();
    assert!(out.stdout.contains("preset: safety"));
    assert!(out.stdout.contains("self.protect-ward-files"));
    assert!(out.stdout.contains("fs.delete-home"));
    ctx.settings().bind(|| insta::assert_snapshot!(out.stdout));

    let json = ctx.ward(&["policy", "show", "--json"]);
    json.assert_success();
    let view = json.json();
    assert_eq!(view["preset"], "safety");
    assert_eq!(view["enforce"], true);
    assert!(view["rules"].as_array().unwrap().len() > 10);
}

#[test]
fn policy_validate_accepts_the_default_policy() {
    let ctx = Ctx::new();
    ctx.init();
    let out = ctx.ward(&["policy", "validate"]);
    out.assert_success();
    assert!(out.stdout.starts_with("ok: "), "{}", out.render());
    let json = ctx.ward(&["policy", "validate", "--json"]);
    assert_eq!(json.json()["ok"], true);
}

#[test]
fn policy_validate_names_the_file_and_line_of_an_unknown_field() {
    let ctx = Ctx::new();
    ctx.init();
    let project_policy = ctx.project.join(".ward/policy.toml");
    ctx.write(
        &project_policy,
        &ctx.fixture("policies/project_unknown_field.toml"),
    );
    let out = ctx.ward(&["policy", "validate"]);
    assert_eq!(out.code, 1, "{}", out.render());
    assert!(
        out.stdout
            .contains(&format!("{}:6", project_policy.display())),
        "the error should name the file and line 6:\n{}",
        out.render()
    );
    assert!(out.stdout.contains("decison"), "{}", out.render());
    ctx.settings()
        .bind(|| insta::assert_snapshot!(out.render()));

    // The same file checked on its own.
    let out = ctx.ward(&[
        "policy",
        "validate",
        &project_policy.display().to_string(),
        "--json",
    ]);
    assert_eq!(out.code, 1, "{}", out.render());
    let report = out.json();
    assert_eq!(report["ok"], false);
    assert!(report["errors"][0].as_str().unwrap().contains(":6:"));
}

#[test]
fn a_managed_deny_wins_over_a_user_allow() {
    let ctx = Ctx::new();
    ctx.init();
    ctx.write(
        &ctx.managed_policy,
        &ctx.fixture("policies/managed_no_webfetch.toml"),
    );
    ctx.write(
        &ctx.ward_home.join("policy.toml"),
        &ctx.fixture("policies/user_loosens_webfetch.toml"),
    );

    let out = ctx.ward(&[
        "check",
        "fetch",
        "https://docs.example/api",
        "--format",
        "json",
    ]);
    out.assert_success();
    let explanation = out.json();
    let verdict = &explanation["verdict"];
    assert_eq!(verdict["decision"], "deny", "{explanation:#}");
    assert_eq!(verdict["matched"][0]["rule_id"], "org.no-webfetch");
    assert!(
        verdict["matched"][0]["source"]
            .as_str()
            .unwrap()
            .contains(&ctx.managed_policy.display().to_string()),
        "{verdict:#}"
    );
    let warnings = explanation["policy_warnings"].to_string();
    assert!(warnings.contains("loosen"), "{warnings}");

    // And the hook answers the same way.
    let payload = r#"{"hook_event_name":"PreToolUse","tool_name":"WebFetch","tool_input":{"url":"https://docs.example/api","prompt":"Summarise"},"tool_use_id":"toolu_fetch"}"#;
    let hook = ctx.hook(payload);
    hook.assert_hook_ok();
    assert_eq!(hook.permission_decision().as_deref(), Some("deny"));
    assert!(hook.permission_reason().contains("org.no-webfetch"));
}

/// `match.time_window`: a rule that holds only outside office hours, checked at
/// chosen times with `ward check --at`, and by the hook at the real time.
#[test]
fn a_time_window_rule_applies_only_outside_its_hours() {
    let ctx = Ctx::new();
    ctx.init();
    ctx.write(
        &ctx.ward_home.join("policy.toml"),
        &ctx.fixture("policies/user_off_hours_deploys.toml"),
    );
    let decision_at = |at: &str| {
        let out = ctx.ward(&[
            "check",
            "bash",
            "terraform plan",
            "--at",
            at,
            "--format",
            "json",
        ]);
        out.assert_success();
        let explanation = out.json();
        let matched: Vec<String> = explanation["verdict"]["matched"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["rule_id"].as_str().unwrap().to_owned())
            .collect();
        matched.contains(&"team.deploy-off-hours".to_owned())
    };
    // Monday 2026-11-23: 10:00 in Berlin is office hours; 18:30 is not.
    assert!(!decision_at("2026-11-23T10:00[Europe/Berlin]"));
    assert!(decision_at("2026-11-23T18:30[Europe/Berlin]"));
    // 08:30 UTC is 09:30 in Berlin (winter time).
    assert!(!decision_at("2026-11-23T08:30:00Z"));
    // Saturday noon.
    assert!(decision_at("2026-11-28T12:00+01:00"));

    let out = ctx.ward(&["check", "bash", "terraform plan", "--at", "tomorrow"]);
    assert_eq!(out.code, 2, "{}", out.render());
    assert!(
        out.stderr.contains("2026-11-23T20:00:00Z"),
        "{}",
        out.render()
    );

    // The hook evaluates at the real time: one of the two half-day rules applies.
    let hook = ctx.hook_fixture("claude-code/pre_tool_use_ls.json");
    let reply = hook.assert_hook_ok().expect("a warning");
    let message = reply["systemMessage"].as_str().unwrap_or_default();
    assert!(
        message.contains("morning listing") != message.contains("afternoon listing"),
        "{reply:#}"
    );
}

#[test]
fn an_unknown_time_zone_is_a_policy_error_and_the_hook_fails_closed() {
    let ctx = Ctx::new();
    ctx.init();
    ctx.write(
        &ctx.ward_home.join("policy.toml"),
        &ctx.fixture("policies/user_bad_time_zone.toml"),
    );
    let out = ctx.ward(&["policy", "validate"]);
    assert_ne!(out.code, 0, "{}", out.render());
    assert!(
        out.stdout.contains("Europe/Atlantis") || out.stderr.contains("Europe/Atlantis"),
        "{}",
        out.render()
    );
    let payload = r#"{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"terraform plan"},"tool_use_id":"toolu_tf"}"#;
    let hook = ctx.hook(payload);
    hook.assert_hook_ok();
    assert_eq!(hook.permission_decision().as_deref(), Some("deny"));
    assert!(
        hook.permission_reason().contains("Europe/Atlantis"),
        "{}",
        hook.render()
    );
}

/// Rules with `events = ["PermissionRequest"]` answer Claude Code's permission
/// prompts (deny outright, or pre-approve), and only those; the prompt's record
/// keeps the decision.
#[test]
fn rules_can_answer_permission_prompts() {
    let ctx = Ctx::new();
    ctx.init();
    ctx.write(
        &ctx.ward_home.join("policy.toml"),
        &ctx.fixture("policies/user_permission_prompts.toml"),
    );
    let denied = ctx.hook_fixture("claude-code/permission_request_npm_install.json");
    let reply = denied.assert_hook_ok().expect("a reply");
    let decision = &reply["hookSpecificOutput"]["decision"];
    assert_eq!(decision["behavior"], "deny", "{reply:#}");
    assert!(
        decision["message"]
            .as_str()
            .unwrap()
            .contains("team.no-prompted-installs")
    );

    // `ward check` shows the reply in the prompt's own dialect.
    let payload_file = ctx.project.join("prompt.json");
    ctx.write(
        &payload_file,
        &ctx.payload(&ctx.fixture("claude-code/permission_request_npm_install.json")),
    );
    let payload_arg = payload_file.display().to_string();
    let checked = ctx.ward(&["check", "--json", &payload_arg, "--format", "json"]);
    checked.assert_success();
    assert_eq!(
        checked.json()["reply"]["hookSpecificOutput"]["decision"]["behavior"],
        "deny"
    );

    let tests = r#"{"hook_event_name":"PermissionRequest","tool_name":"Bash","tool_input":{"command":"cargo test --workspace"}}"#;
    let reply = ctx.hook(tests).assert_hook_ok().expect("a reply");
    assert_eq!(
        reply["hookSpecificOutput"]["decision"]["behavior"], "allow",
        "{reply:#}"
    );
    // Other prompts are the user's: the presets' rules do not answer prompts.
    let other = r#"{"hook_event_name":"PermissionRequest","tool_name":"Bash","tool_input":{"command":"make deploy"}}"#;
    assert_eq!(ctx.hook(other).assert_hook_ok(), None);
    // The same rule does not act before the call (PreToolUse), where the
    // policy's default does.
    let before = r#"{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"npm install left-pad"},"tool_use_id":"toolu_npm"}"#;
    let before = ctx.hook(before);
    assert_eq!(before.permission_decision().as_deref(), Some("deny"));
    assert!(
        before.permission_reason().contains("default"),
        "{}",
        before.render()
    );

    let records = ctx.records(SESSION);
    let prompts = of_event(&records, "PermissionRequest");
    let decisions: Vec<&str> = prompts
        .iter()
        .map(|line| {
            record(line)["result"]["decision"]
                .as_str()
                .unwrap_or("none")
        })
        .collect();
    assert_eq!(decisions, ["deny", "allow", "none"]);

    let bad = ctx
        .fixture("policies/user_permission_prompts.toml")
        .replacen("PermissionRequest", "PostToolUse", 1);
    ctx.write(&ctx.ward_home.join("policy.toml"), &bad);
    let out = ctx.ward(&["policy", "validate"]);
    assert_ne!(out.code, 0);
    assert!(
        format!("{}{}", out.stdout, out.stderr).contains("unknown event `PostToolUse`"),
        "{}",
        out.render()
    );
}
