//! `ward install claude-code` / `ward uninstall claude-code`: Ward's handlers are
//! merged into a settings file without touching anything else, a second install is a
//! no-op, uninstall gives the original bytes back, and a file Ward cannot parse is
//! left alone.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::harness::{Ctx, Out, ward_bin};

/// Every event Ward registers for.
const HANDLED_EVENTS: [&str; 13] = [
    "PreToolUse",
    "PostToolUse",
    "PostToolUseFailure",
    "PermissionRequest",
    "PermissionDenied",
    "UserPromptSubmit",
    "SessionStart",
    "SessionEnd",
    "SubagentStart",
    "SubagentStop",
    "Stop",
    "Notification",
    "PreCompact",
];

/// The events where a failed Ward must block.
const GUARDING_EVENTS: [&str; 3] = ["PreToolUse", "PermissionRequest", "UserPromptSubmit"];

fn user_settings(ctx: &Ctx) -> PathBuf {
    ctx.home.join(".claude/settings.json")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

fn install(ctx: &Ctx, extra: &[&str]) -> Out {
    let mut args = vec!["install", "claude-code"];
    args.extend_from_slice(extra);
    ctx.ward(&args)
}

fn uninstall(ctx: &Ctx, extra: &[&str]) -> Out {
    let mut args = vec!["uninstall", "claude-code"];
    args.extend_from_slice(extra);
    ctx.ward(&args)
}

/// The Ward handlers of `event` in a `hooks` object.
fn ward_handlers<'a>(hooks: &'a Value, event: &str) -> Vec<&'a Value> {
    hooks[event]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|group| group["hooks"].as_array().into_iter().flatten())
        .filter(|handler| {
            handler["command"]
                .as_str()
                .is_some_and(|command| command.ends_with("hook claude-code"))
        })
        .collect()
}

/// Every handled event has exactly one Ward handler; guarding ones fail closed.
fn assert_registered(hooks: &Value, command_prefix: &str) {
    for event in HANDLED_EVENTS {
        let handlers = ward_handlers(hooks, event);
        assert_eq!(handlers.len(), 1, "{event}: {hooks:#}");
        let handler = handlers[0];
        assert_eq!(handler["type"], "command", "{event}: {handler:#}");
        let command = handler["command"].as_str().unwrap();
        assert!(
            command.starts_with(command_prefix),
            "{event}: `{command}` should run `{command_prefix}`"
        );
        if GUARDING_EVENTS.contains(&event) {
            assert_eq!(handler["onFailure"], "block", "{event}: {handler:#}");
        }
    }
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|error| panic!("not valid JSON ({error}):\n{text}"))
}

#[test]
fn install_creates_the_user_settings_file() {
    let ctx = Ctx::new();
    let out = install(&ctx, &["--scope", "user"]);
    out.assert_success();
    assert!(
        out.stdout
            .contains("Registered Ward for 13 Claude Code events")
    );

    let settings = parse(&read(&user_settings(&ctx)));
    let exe = ward_bin().display().to_string();
    assert_registered(&settings["hooks"], &exe);
    // Installing also initialises Ward, so the first hook call finds a policy.
    assert!(ctx.ward_home.join("policy.toml").is_file());
    ctx.settings()
        .bind(|| insta::assert_snapshot!(out.render()));
}

#[test]
fn install_merges_into_existing_settings_byte_for_byte() {
    let ctx = Ctx::new();
    ctx.init();
    let original = ctx.fixture("claude-code/settings_with_other_hooks.json");
    ctx.write(&user_settings(&ctx), &original);

    install(&ctx, &["--scope", "user"]).assert_success();

    let after = read(&user_settings(&ctx));
    let settings = parse(&after);
    assert_registered(&settings["hooks"], &ward_bin().display().to_string());
    let before = parse(&original);
    for key in ["model", "permissions", "statusLine"] {
        assert_eq!(settings[key], before[key], "{key}");
    }
    // The other tools' handlers are still there, first, and untouched.
    assert_eq!(
        settings["hooks"]["PreToolUse"][0],
        before["hooks"]["PreToolUse"][0]
    );
    assert_eq!(
        settings["hooks"]["PostToolUse"][0],
        before["hooks"]["PostToolUse"][0]
    );
    for (start, end) in [
        ("    \"model\"", "\n    },\n    \"hooks\""),
        (
            "            {\n                \"matcher\": \"Bash\"",
            "\n            }",
        ),
        (
            "            {\n                \"matcher\": \"Write|Edit\"",
            "\n            }",
        ),
        ("    \"statusLine\"", "\n}\n"),
    ] {
        let block = block(&original, start, end);
        assert!(
            after.contains(block),
            "this part of the file changed:\n{block}\n--- file now:\n{after}"
        );
    }
    // The file's four-space indentation is followed by what Ward inserted.
    let ward_line = after
        .lines()
        .find(|line| line.contains("hook claude-code"))
        .unwrap();
    let indent = ward_line.len() - ward_line.trim_start().len();
    assert_eq!(indent % 4, 0, "{ward_line:?}");
    assert!(!after.contains("\t"));
}

/// The text of `text` from `start` to the first `end` after it, inclusive.
fn block<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).unwrap_or_else(|| panic!("no {start:?}"));
    let length = text[from..]
        .find(end)
        .unwrap_or_else(|| panic!("no {end:?}"));
    &text[from..from + length + end.len()]
}

#[test]
fn installing_twice_changes_nothing() {
    let ctx = Ctx::new();
    ctx.init();
    let path = user_settings(&ctx);
    ctx.write(
        &path,
        &ctx.fixture("claude-code/settings_with_other_hooks.json"),
    );
    install(&ctx, &[]).assert_success();
    let once = std::fs::read(&path).unwrap();

    let out = install(&ctx, &["--scope", "user"]);
    out.assert_success();
    assert_eq!(std::fs::read(&path).unwrap(), once);
    assert!(out.stdout.contains("nothing changed"), "{}", out.render());
    ctx.settings()
        .bind(|| insta::assert_snapshot!(out.render()));
}

#[test]
fn uninstall_restores_the_original_bytes() {
    let ctx = Ctx::new();
    ctx.init();
    let path = user_settings(&ctx);
    let original = ctx.fixture("claude-code/settings_with_other_hooks.json");
    ctx.write(&path, &original);
    install(&ctx, &["--scope", "user"]).assert_success();
    assert_ne!(read(&path), original);

    let out = uninstall(&ctx, &["--scope", "user"]);
    out.assert_success();
    assert_eq!(read(&path), original);
    assert!(
        out.stdout.contains("Removed Ward's hooks"),
        "{}",
        out.render()
    );

    let again = uninstall(&ctx, &["--scope", "user"]);
    again.assert_success();
    assert!(
        again.stdout.contains("nothing changed"),
        "{}",
        again.render()
    );
    assert_eq!(read(&path), original);
}

#[test]
fn uninstall_after_installing_into_no_file_leaves_no_ward_handler() {
    let ctx = Ctx::new();
    install(&ctx, &[]).assert_success();
    uninstall(&ctx, &[]).assert_success();
    let settings = parse(&read(&user_settings(&ctx)));
    assert!(
        !settings.to_string().contains("hook claude-code"),
        "{settings:#}"
    );
}

#[test]
fn dry_run_prints_a_diff_and_writes_nothing() {
    let ctx = Ctx::new();
    ctx.init();
    let path = user_settings(&ctx);
    let original = ctx.fixture("claude-code/settings_with_other_hooks.json");
    ctx.write(&path, &original);

    let out = install(&ctx, &["--scope", "user", "--dry-run"]);
    out.assert_success();
    assert_eq!(read(&path), original, "--dry-run wrote the file");
    assert!(out.stdout.contains("+"), "{}", out.render());
    ctx.settings().bind(|| insta::assert_snapshot!(out.stdout));

    // With nothing to change, the dry run says so.
    install(&ctx, &[]).assert_success();
    let unchanged = install(&ctx, &["--dry-run"]);
    unchanged.assert_success();
    assert!(
        unchanged.stdout.contains("no change"),
        "{}",
        unchanged.render()
    );
}

#[test]
fn dry_run_on_a_missing_file_creates_nothing() {
    let ctx = Ctx::new();
    let out = install(&ctx, &["--dry-run"]);
    out.assert_success();
    assert!(!user_settings(&ctx).exists());
    assert!(!ctx.ward_home.exists(), "--dry-run initialised Ward");
}

#[test]
fn an_invalid_settings_file_is_left_untouched() {
    let ctx = Ctx::new();
    ctx.init();
    let path = user_settings(&ctx);
    let broken = "{\n    \"model\": \"claude-opus-4-1\",\n    \"hooks\": {\n";
    ctx.write(&path, broken);

    let out = install(&ctx, &["--scope", "user"]);
    assert_ne!(out.code, 0, "{}", out.render());
    assert!(
        out.stderr.contains(&path.display().to_string()),
        "the error should name the file:\n{}",
        out.render()
    );
    assert_eq!(read(&path), broken);
    ctx.settings()
        .bind(|| insta::assert_snapshot!(out.render()));

    let out = uninstall(&ctx, &["--scope", "user"]);
    assert_ne!(out.code, 0, "{}", out.render());
    assert_eq!(read(&path), broken);
}

#[test]
fn project_scope_writes_the_projects_settings() {
    let ctx = Ctx::new();
    ctx.init();
    let other = ctx.root.join("other-project");
    std::fs::create_dir_all(&other).unwrap();
    let other_arg = other.display().to_string();

    install(&ctx, &["--scope", "project", "--project", &other_arg]).assert_success();
    let settings = parse(&read(&other.join(".claude/settings.json")));
    assert_registered(&settings["hooks"], &ward_bin().display().to_string());
    assert!(!other.join(".claude/settings.local.json").exists());
    assert!(!user_settings(&ctx).exists());
    assert!(!ctx.project.join(".claude").exists());
}

#[test]
fn local_scope_writes_the_projects_local_settings() {
    let ctx = Ctx::new();
    ctx.init();
    let other = ctx.root.join("other-project");
    std::fs::create_dir_all(&other).unwrap();
    let other_arg = other.display().to_string();

    install(&ctx, &["--scope", "local", "--project", &other_arg]).assert_success();
    let settings = parse(&read(&other.join(".claude/settings.local.json")));
    assert_registered(&settings["hooks"], &ward_bin().display().to_string());
    assert!(!other.join(".claude/settings.json").exists());
    assert!(!user_settings(&ctx).exists());
}

#[test]
fn project_scope_defaults_to_the_current_directory() {
    let ctx = Ctx::new();
    ctx.init();
    install(&ctx, &["--scope", "project"]).assert_success();
    assert!(ctx.project.join(".claude/settings.json").is_file());
}

#[test]
fn managed_scope_writes_the_managed_settings() {
    let ctx = Ctx::new();
    ctx.init();
    install(&ctx, &["--scope", "managed"]).assert_success();
    let settings = parse(&read(&ctx.managed_settings));
    assert_registered(&settings["hooks"], &ward_bin().display().to_string());
    assert!(!user_settings(&ctx).exists());
}

#[test]
fn plugin_writes_manifest_hooks_and_binary() {
    use std::os::unix::fs::PermissionsExt;

    let ctx = Ctx::new();
    let dir = ctx.root.join("ward-plugin");
    let out = install(&ctx, &["--plugin", &dir.display().to_string()]);
    out.assert_success();

    let manifest = parse(&read(&dir.join(".claude-plugin/plugin.json")));
    let name = manifest["name"].as_str().unwrap();
    assert!(!name.is_empty() && !name.contains(' '), "{manifest:#}");

    let hooks_file = parse(&read(&dir.join("hooks/hooks.json")));
    assert_registered(&hooks_file["hooks"], "${CLAUDE_PLUGIN_ROOT}/bin/ward");

    let binary = dir.join("bin/ward");
    let mode = std::fs::metadata(&binary).unwrap().permissions().mode();
    assert_eq!(mode & 0o111, 0o111, "bin/ward is not executable");
    assert_eq!(
        std::fs::read(&binary).unwrap(),
        std::fs::read(ward_bin()).unwrap(),
        "bin/ward is not this binary"
    );
    assert!(!user_settings(&ctx).exists());
    ctx.settings()
        .bind(|| insta::assert_snapshot!(out.render()));
}
