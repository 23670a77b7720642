//! `ward hook claude-code` as Claude Code calls it: one process per event, the payload
//! on stdin, the answer on stdout. Every handled event is answered and recorded; the
//! safety preset denies, asks and warns where it should and is silent (never `allow`)
//! otherwise; pre and post records link up even when the hooks run in parallel.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::harness::{Ctx, Out, SESSION, of_event, record, seq};

/// Sends a fixture, checks the hook contract (exit 0, stderr empty, stdout empty or
/// one JSON object), and returns the answer and the one record of `event` it left.
fn send_and_find(ctx: &Ctx, fixture: &str, event: &str) -> (Out, Value) {
    let out = ctx.hook_fixture(fixture);
    out.assert_hook_ok();
    let lines = ctx.records(SESSION);
    let found = of_event(&lines, event);
    assert_eq!(
        found.len(),
        1,
        "expected one {event} record after {fixture}, got {lines:#?}"
    );
    (out, record(found[0]).clone())
}

/// An event no rule has an opinion about: recorded, and the hook says nothing.
fn silent_and_recorded(fixture: &str, event: &str) -> Value {
    let ctx = Ctx::new();
    ctx.init();
    let (out, record) = send_and_find(&ctx, fixture, event);
    assert_eq!(out.stdout, "", "expected silence:\n{}", out.render());
    assert_eq!(record["request"]["event"], event);
    assert_eq!(record["role"]["agent"], "claude-code");
    assert_eq!(record["role"]["session_id"], SESSION);
    assert_eq!(record["request"]["cwd"], ctx.project.display().to_string());
    record
}

#[test]
fn pre_tool_use_is_recorded() {
    let record = silent_and_recorded("claude-code/pre_tool_use_read_source.json", "PreToolUse");
    assert_eq!(record["request"]["tool"], "Read");
    assert_eq!(record["request"]["tool_use_id"], "toolu_01ReadMain");
    assert_eq!(record["request"]["category"], "file_read");
    assert_eq!(record["role"]["permission_mode"], "default");
    assert!(record["result"].get("decision").is_none(), "{record:#}");
}

#[test]
fn post_tool_use_is_recorded_with_its_outcome() {
    let record = silent_and_recorded("claude-code/post_tool_use_read_source.json", "PostToolUse");
    assert_eq!(record["result"]["outcome"], "success");
    assert_eq!(record["resource"]["duration_ms"], 4);
    assert_digest(&record["result"]["output_digest"]);
}

#[test]
fn post_tool_use_failure_is_recorded_with_the_error() {
    let record = silent_and_recorded(
        "claude-code/post_tool_use_failure_cargo_test.json",
        "PostToolUseFailure",
    );
    assert_eq!(record["request"]["tool"], "Bash");
    assert_eq!(record["result"]["outcome"], "failure");
    let reason = record["result"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("Exit code 101"), "{record:#}");
    assert_eq!(record["resource"]["duration_ms"], 5123);
}

#[test]
fn session_start_is_recorded() {
    let record = silent_and_recorded("claude-code/session_start_startup.json", "SessionStart");
    assert_eq!(record["request"]["input"]["source"], "startup");
}

#[test]
fn session_end_is_recorded() {
    let record = silent_and_recorded(
        "claude-code/session_end_prompt_input_exit.json",
        "SessionEnd",
    );
    assert_eq!(record["request"]["input"]["reason"], "prompt_input_exit");
}

#[test]
fn user_prompt_submit_is_recorded() {
    let record = silent_and_recorded(
        "claude-code/user_prompt_submit_feature.json",
        "UserPromptSubmit",
    );
    assert_eq!(
        record["request"]["input"]["prompt"],
        "Add discount codes to checkout: SAVE10 takes 10% off. Add tests."
    );
}

#[test]
fn subagent_start_is_recorded() {
    let record = silent_and_recorded("claude-code/subagent_start_explore.json", "SubagentStart");
    assert_eq!(record["role"]["subagent_id"], "agent_7f3a");
    assert_eq!(record["role"]["subagent_type"], "Explore");
}

#[test]
fn subagent_stop_is_recorded() {
    let record = silent_and_recorded("claude-code/subagent_stop_explore.json", "SubagentStop");
    assert_eq!(record["role"]["subagent_id"], "agent_7f3a");
    assert_eq!(record["role"]["subagent_type"], "Explore");
}

#[test]
fn permission_request_is_recorded() {
    let record = silent_and_recorded(
        "claude-code/permission_request_npm_install.json",
        "PermissionRequest",
    );
    assert_eq!(record["request"]["tool"], "Bash");
    assert_eq!(
        record["request"]["input"]["command"],
        "npm install left-pad"
    );
}

#[test]
fn permission_denied_is_recorded() {
    let record = silent_and_recorded(
        "claude-code/permission_denied_npm_install.json",
        "PermissionDenied",
    );
    assert_eq!(record["request"]["tool"], "Bash");
    assert_eq!(record["request"]["tool_use_id"], "toolu_01NpmInstall");
}

#[test]
fn stop_is_recorded() {
    silent_and_recorded("claude-code/stop_end_of_turn.json", "Stop");
}

#[test]
fn notification_is_recorded() {
    let record = silent_and_recorded(
        "claude-code/notification_permission_prompt.json",
        "Notification",
    );
    assert_eq!(
        record["request"]["input"]["message"],
        "Claude needs your permission to use Bash"
    );
}

#[test]
fn pre_compact_is_recorded() {
    let record = silent_and_recorded("claude-code/pre_compact_auto.json", "PreCompact");
    assert_eq!(record["request"]["input"]["trigger"], "auto");
}

#[test]
fn an_unknown_event_is_recorded_and_answered_with_silence() {
    let record = silent_and_recorded("claude-code/future_event_unknown.json", "FutureEvent");
    // Recorded minimally: which fields it had and a digest of them, not their content.
    let fields = record["request"]["input"]["fields"].as_array().unwrap();
    assert!(fields.contains(&json!("some_new_field")), "{fields:?}");
    assert!(record["request"]["input"].get("some_new_field").is_none());
    assert!(
        record["request"]["input_digest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
}

/// A decision case: the answer is snapshotted, and the ledger records the decision
/// and the rule.
fn decided(fixture: &str, decision: &str, rule: &str) -> (Ctx, Out) {
    let ctx = Ctx::new();
    ctx.init();
    let (out, record) = send_and_find(&ctx, fixture, "PreToolUse");
    assert_eq!(record["result"]["decision"], decision, "{record:#}");
    assert_eq!(record["result"]["enforced"], true, "{record:#}");
    let matched = record["rules"]["matched"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(matched.first(), Some(&Value::from(rule)), "{record:#}");
    (ctx, out)
}

fn assert_permission(out: &Out, decision: &str, rule: &str) {
    assert_eq!(
        out.permission_decision().as_deref(),
        Some(decision),
        "{}",
        out.render()
    );
    let reply = out.reply().unwrap_or_default();
    assert_eq!(reply["hookSpecificOutput"]["hookEventName"], "PreToolUse");
    assert!(
        out.permission_reason().contains(rule),
        "the reason should name `{rule}`:\n{}",
        out.render()
    );
}

#[test]
fn deleting_the_home_directory_is_denied() {
    let (ctx, out) = decided(
        "claude-code/pre_tool_use_rm_rf_home.json",
        "deny",
        "fs.delete-home",
    );
    assert_permission(&out, "deny", "fs.delete-home");
    ctx.settings()
        .bind(|| insta::assert_snapshot!(out.render()));
}

#[test]
fn variants_of_deleting_the_home_directory_are_denied() {
    let ctx = Ctx::new();
    ctx.init();
    for command in [
        "rm -rf ~/",
        "rm -fr ~",
        "rm -r -f ~",
        "rm --recursive --force ~",
        "cd /tmp && rm -rf ~",
        "rm -rf ~/*",
        "rm -rf \"${HOME}\"",
    ] {
        let out = ctx.hook(
            &json!({
                "hook_event_name": "PreToolUse",
                "tool_name": "Bash",
                "tool_input": {"command": command},
                "tool_use_id": "toolu_variant",
            })
            .to_string(),
        );
        out.assert_hook_ok();
        assert_eq!(
            out.permission_decision().as_deref(),
            Some("deny"),
            "`{command}` should be denied:\n{}",
            out.render()
        );
        assert!(
            out.permission_reason().contains("fs.delete-home"),
            "`{command}`: {}",
            out.render()
        );
    }
}

#[test]
fn reading_a_dot_env_file_asks() {
    let (ctx, out) = decided(
        "claude-code/pre_tool_use_read_env.json",
        "ask",
        "secrets.credential-files",
    );
    assert_permission(&out, "ask", "secrets.credential-files");
    ctx.settings()
        .bind(|| insta::assert_snapshot!(out.render()));
}

#[test]
fn force_pushing_main_is_denied() {
    let (ctx, out) = decided(
        "claude-code/pre_tool_use_git_force_push.json",
        "deny",
        "git.force-push-protected",
    );
    assert_permission(&out, "deny", "git.force-push-protected");
    ctx.settings()
        .bind(|| insta::assert_snapshot!(out.render()));
}

#[test]
fn committing_with_no_verify_warns_without_a_permission_decision() {
    let (ctx, out) = decided(
        "claude-code/pre_tool_use_git_no_verify.json",
        "warn",
        "git.no-verify",
    );
    let reply = out.reply().expect("a warning reply");
    let message = reply["systemMessage"].as_str().unwrap_or_default();
    assert!(message.contains("git.no-verify"), "{}", out.render());
    assert!(
        reply
            .pointer("/hookSpecificOutput/permissionDecision")
            .is_none(),
        "a warning must not decide the permission:\n{}",
        out.render()
    );
    ctx.settings()
        .bind(|| insta::assert_snapshot!(out.render()));
}

/// `git commit --no-verify` on the checked-out branch: a warning on a feature
/// branch, a question on a protected one. The branch is read from `.git/HEAD`.
#[test]
fn skipping_hooks_on_a_protected_branch_asks() {
    let ctx = Ctx::new();
    ctx.init();
    ctx.check_out("main");
    let (out, record) = send_and_find(
        &ctx,
        "claude-code/pre_tool_use_git_no_verify.json",
        "PreToolUse",
    );
    assert_permission(&out, "ask", "git.no-verify-protected");
    assert_eq!(record["request"]["findings"][0]["kind"], "git.no-verify");
    assert_eq!(record["request"]["findings"][0]["subject"], "main");
}

/// Silence is the only answer without an opinion: printing `allow` would skip the
/// user's own permission prompt.
fn assert_silent_and_unjudged(fixture: &str) {
    let ctx = Ctx::new();
    ctx.init();
    let (out, record) = send_and_find(&ctx, fixture, "PreToolUse");
    assert_eq!(out.stdout, "", "expected silence:\n{}", out.render());
    assert!(!out.stdout.contains("allow"));
    assert!(
        record["result"].get("decision").is_none(),
        "no rule should decide: {record:#}"
    );
}

#[test]
fn an_ordinary_listing_is_silent() {
    assert_silent_and_unjudged("claude-code/pre_tool_use_ls.json");
}

#[test]
fn reading_a_source_file_is_silent() {
    assert_silent_and_unjudged("claude-code/pre_tool_use_read_source.json");
}

#[test]
fn writing_wards_own_policy_is_denied() {
    let (ctx, out) = decided(
        "claude-code/pre_tool_use_write_ward_policy.json",
        "deny",
        "self.protect-ward-files",
    );
    assert_permission(&out, "deny", "self.protect-ward-files");
    // Ward only answers; the policy file is as `ward init` wrote it.
    let policy = std::fs::read_to_string(ctx.ward_home.join("policy.toml")).unwrap();
    assert!(policy.contains("preset = \"safety\""));
    ctx.settings()
        .bind(|| insta::assert_snapshot!(out.render()));
}

#[test]
fn editing_claude_settings_is_denied() {
    let (_ctx, out) = decided(
        "claude-code/pre_tool_use_edit_claude_settings.json",
        "deny",
        "self.protect-ward-files",
    );
    assert_permission(&out, "deny", "self.protect-ward-files");
}

#[test]
fn piping_a_download_into_a_shell_is_denied() {
    let (ctx, out) = decided(
        "claude-code/pre_tool_use_curl_pipe_sh.json",
        "deny",
        "net.remote-code",
    );
    assert_permission(&out, "deny", "net.remote-code");
    ctx.settings()
        .bind(|| insta::assert_snapshot!(out.render()));
}

fn read_call(event: &str, tool_use_id: &str, file: usize) -> String {
    let mut payload = json!({
        "hook_event_name": event,
        "tool_name": "Read",
        "tool_input": {"file_path": format!("$PROJECT/src/module_{file}.rs")},
        "tool_use_id": tool_use_id,
        "permission_mode": "default",
    });
    if event == "PostToolUse" {
        payload["tool_response"] = json!({"type": "text", "file": {"numLines": file}});
        payload["duration_ms"] = json!(file);
    }
    payload.to_string()
}

fn wait_all(children: Vec<std::process::Child>) {
    for child in children {
        let output = child.wait_with_output().expect("wait for hook");
        let out = Out {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        out.assert_hook_ok();
        assert_eq!(out.stdout, "", "{}", out.render());
    }
}

#[test]
fn parallel_calls_link_each_outcome_to_its_own_pre_record() {
    let ctx = Ctx::new();
    ctx.init();
    let ids: Vec<String> = (0..8).map(|i| format!("toolu_par_{i:02}")).collect();
    // Claude Code runs independent calls at once: eight hook processes in flight.
    let pres = ids
        .iter()
        .enumerate()
        .map(|(i, id)| ctx.spawn_hook(&read_call("PreToolUse", id, i)))
        .collect();
    wait_all(pres);
    let posts = [5usize, 2, 7, 0, 3, 6, 1, 4]
        .iter()
        .map(|&i| ctx.spawn_hook(&read_call("PostToolUse", &ids[i], i)))
        .collect();
    wait_all(posts);

    let lines = ctx.records(SESSION);
    assert_eq!(lines.len(), 16);
    let pre_seq: HashMap<String, u64> = of_event(&lines, "PreToolUse")
        .into_iter()
        .map(|line| {
            let id = record(line)["request"]["tool_use_id"].as_str().unwrap();
            (id.to_owned(), seq(line))
        })
        .collect();
    assert_eq!(pre_seq.len(), 8);
    let posts = of_event(&lines, "PostToolUse");
    assert_eq!(posts.len(), 8);
    for post in posts {
        let record = record(post);
        let id = record["request"]["tool_use_id"].as_str().unwrap();
        assert_eq!(
            record["reference"]["pre_record"].as_u64(),
            Some(pre_seq[id]),
            "the outcome of {id} should point at its own pre record: {record:#}"
        );
    }
    let verify = ctx.ward(&["audit", "verify", "--json"]);
    assert_eq!(verify.json()["ok"], true, "{}", verify.render());
}

#[test]
fn a_prompt_is_the_intent_of_the_calls_after_it() {
    let ctx = Ctx::new();
    ctx.init();
    ctx.hook_fixture("claude-code/session_start_startup.json")
        .assert_hook_ok();
    ctx.hook_fixture("claude-code/user_prompt_submit_feature.json")
        .assert_hook_ok();
    ctx.hook_fixture("claude-code/pre_tool_use_read_source.json")
        .assert_hook_ok();
    ctx.hook_fixture("claude-code/user_prompt_submit_github_token.json")
        .assert_hook_ok();
    ctx.hook(&read_call("PreToolUse", "toolu_after_second_prompt", 2))
        .assert_hook_ok();

    let lines = ctx.records(SESSION);
    let prompts = of_event(&lines, "UserPromptSubmit");
    let calls = of_event(&lines, "PreToolUse");
    assert_eq!((prompts.len(), calls.len()), (2, 2));
    assert!(
        record(of_event(&lines, "SessionStart")[0])["reference"]
            .get("intent")
            .is_none()
    );
    assert_eq!(
        record(calls[0])["reference"]["intent"].as_u64(),
        Some(seq(prompts[0]))
    );
    assert_eq!(
        record(calls[1])["reference"]["intent"].as_u64(),
        Some(seq(prompts[1]))
    );
}

#[test]
fn a_token_in_a_prompt_is_redacted_in_the_ledger() {
    let token = "ghp_Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0LmNbVc";
    let ctx = Ctx::new();
    ctx.init();
    let (_, record) = send_and_find(
        &ctx,
        "claude-code/user_prompt_submit_github_token.json",
        "UserPromptSubmit",
    );
    let prompt = record["request"]["input"]["prompt"].as_str().unwrap();
    assert!(!prompt.contains(token), "{prompt}");
    assert!(prompt.starts_with("Use my token "), "{prompt}");
    assert!(prompt.ends_with(" to open the pull request."), "{prompt}");
    assert_digest(&record["request"]["input_digest"]);
    let export = ctx.export();
    assert!(
        !export.contains(token),
        "the export leaks the token:\n{export}"
    );
    assert!(!export.contains("Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0LmNbVc"));
}

#[test]
fn subagent_calls_are_attributed_and_queryable() {
    let ctx = Ctx::new();
    ctx.init();
    ctx.hook_fixture("claude-code/pre_tool_use_ls.json")
        .assert_hook_ok();
    ctx.hook_fixture("claude-code/subagent_start_explore.json")
        .assert_hook_ok();
    for (i, id) in ["toolu_sub_1", "toolu_sub_2"].iter().enumerate() {
        let mut payload: Value = serde_json::from_str(&read_call("PreToolUse", id, i)).unwrap();
        payload["agent_id"] = json!("agent_7f3a");
        payload["agent_type"] = json!("Explore");
        ctx.hook(&payload.to_string()).assert_hook_ok();
    }
    ctx.hook_fixture("claude-code/subagent_stop_explore.json")
        .assert_hook_ok();

    let lines = ctx.records(SESSION);
    let calls = of_event(&lines, "PreToolUse");
    assert_eq!(calls.len(), 3);
    assert!(record(calls[0])["role"].get("subagent_id").is_none());
    for call in &calls[1..] {
        assert_eq!(record(call)["role"]["subagent_id"], "agent_7f3a");
        assert_eq!(record(call)["role"]["subagent_type"], "Explore");
    }

    let by_type = ctx.ward(&["audit", "query", "--agent", "Explore", "--json"]);
    by_type.assert_success();
    let found = by_type.json_lines();
    let events: Vec<&str> = found
        .iter()
        .map(|line| record(line)["request"]["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        ["SubagentStart", "PreToolUse", "PreToolUse", "SubagentStop"]
    );
    let by_id = ctx.ward(&["audit", "query", "--agent", "agent_7f3a", "--json"]);
    assert_eq!(by_id.json_lines().len(), 4);
}

#[test]
fn a_secret_written_to_a_file_asks_and_is_redacted_but_digested() {
    let ctx = Ctx::new();
    ctx.init();
    let (out, record) = send_and_find(
        &ctx,
        "claude-code/pre_tool_use_write_aws_key.json",
        "PreToolUse",
    );
    assert_permission(&out, "ask", "secrets.in-content");
    let finding = &record["request"]["findings"][0];
    assert_eq!(finding["kind"], "secret.aws-access-key-id", "{record:#}");
    assert!(
        !finding.to_string().contains("AKIAZ7QRT3MV9XK2LP4D"),
        "{finding}"
    );
    assert_digest(&record["request"]["input_digest"]);
    let content = record["request"]["input"]["content"].as_str().unwrap();
    assert!(content.contains("aws s3 sync dist"), "{content}");
    assert!(!content.contains("AKIAZ7QRT3MV9XK2LP4D"), "{content}");
    let export = ctx.export();
    assert!(
        !export.contains("AKIAZ7QRT3MV9XK2LP4D"),
        "the export leaks the key:\n{export}"
    );

    // The digest is over the unredacted input, so it tells the real input apart.
    let canonical = serde_json_canonicalizer::to_string(&json!({
        "file_path": ctx.project.join("config/deploy.sh").display().to_string(),
        "content": "#!/bin/sh\nexport AWS_ACCESS_KEY_ID=AKIAZ7QRT3MV9XK2LP4D\naws s3 sync dist s3://shop-assets\n",
    }))
    .unwrap();
    assert_eq!(
        record["request"]["input_digest"],
        format!("sha256:{}", sha256_hex(canonical.as_bytes()))
    );
}

/// `sha256:` followed by 64 lowercase hex digits.
pub(crate) fn assert_digest(value: &Value) {
    let text = value.as_str().unwrap_or_default();
    let hex = text.strip_prefix("sha256:").unwrap_or_default();
    assert!(
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "not a sha256 digest: {value}"
    );
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
