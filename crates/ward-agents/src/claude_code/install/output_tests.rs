//! Errors, the diff and the plugin files.

use super::tests::COMMAND;
use super::*;

#[test]
fn install_refuses_what_it_cannot_edit() {
    let cases: &[(&str, &str)] = &[
        ("{\"model\": }", "Claude Code settings are not valid JSON"),
        ("{\"a\": 1,,}", "Claude Code settings are not valid JSON"),
        ("{'a': 1}", "Claude Code settings are not valid JSON"),
        ("{\"a\": 1} {}", "Claude Code settings are not valid JSON"),
        (
            "[1, 2]",
            "Claude Code settings hold a JSON array at the top, not an object",
        ),
        (
            "\"hooks\"",
            "Claude Code settings hold a JSON string at the top, not an object",
        ),
        (
            "{\"hooks\": []}",
            "Claude Code settings key `hooks` is a JSON array, expected an object",
        ),
        (
            "{\"hooks\": {\"PreToolUse\": {}}}",
            "Claude Code settings key `hooks.PreToolUse` is a JSON object, expected an array",
        ),
        (
            "{\"hooks\": {}, \"hooks\": {}}",
            "Claude Code settings name the key `hooks` more than once",
        ),
        (
            "{\"hooks\": {\"Stop\": [], \"Stop\": []}}",
            "Claude Code settings name the key `hooks.Stop` more than once",
        ),
    ];
    for (text, message) in cases {
        let error = install(Some(text), COMMAND).unwrap_err();
        assert!(
            error.to_string().starts_with(message),
            "{text}: got {error}"
        );
        assert!(error.hint().is_some());
        let error = uninstall(text).unwrap_err();
        assert!(
            error.to_string().starts_with(message),
            "{text}: got {error}"
        );
    }
}

#[test]
fn parse_error_names_line_and_column() {
    let error = install(Some("{\n  \"model\": \"opus\"\n  \"env\": {}\n}"), COMMAND).unwrap_err();
    insta::assert_snapshot!(error.to_string(), @"Claude Code settings are not valid JSON: Expected comma on line 2 column 18");
}

#[test]
fn deeply_nested_settings_are_refused_not_overflowed() {
    let depth = 100_000;
    let text = format!("{{\"a\": {}{}}}", "[".repeat(depth), "]".repeat(depth));
    assert!(matches!(
        install(Some(&text), COMMAND),
        Err(AgentError::SettingsNotJson { .. })
    ));
}

// --- Diff and plugin ---------------------------------------------------------------

#[test]
fn unified_diff_shows_the_added_lines() {
    let original = "{\n  \"model\": \"opus\"\n}\n";
    let edit = install(Some(original), COMMAND).unwrap();
    let diff = unified_diff("~/.claude/settings.json", &edit);
    assert!(
        diff.starts_with("--- ~/.claude/settings.json\n+++ ~/.claude/settings.json\n@@ -1,3 +1,")
    );
    assert!(diff.contains("\n-  \"model\": \"opus\"\n+  \"model\": \"opus\",\n+  \"hooks\": {\n"));
    assert_eq!(
        unified_diff("x", &install(Some(&edit.after), COMMAND).unwrap()),
        ""
    );
}

#[test]
fn plugin_files_hold_the_manifest_and_hooks() {
    let files = plugin_files(PLUGIN_COMMAND);
    let paths: Vec<_> = files.iter().map(|(path, _)| path.as_str()).collect();
    assert_eq!(paths, [".claude-plugin/plugin.json", "hooks/hooks.json"]);
    let manifest: serde_json::Value = serde_json::from_str(&files[0].1).unwrap();
    assert_eq!(manifest["name"], "ward");
    assert_eq!(manifest["version"], env!("CARGO_PKG_VERSION"));
    let hooks: serde_json::Value = serde_json::from_str(&files[1].1).unwrap();
    assert!(hooks["description"].is_string());
    assert_eq!(hooks["hooks"], hooks_object(HANDLED_EVENTS, PLUGIN_COMMAND));
    assert_eq!(
        hooks["hooks"]["PreToolUse"][0]["hooks"][0]["command"],
        "${CLAUDE_PLUGIN_ROOT}/bin/ward hook claude-code"
    );
    assert!(files.iter().all(|(_, text)| text.ends_with("}\n")));
    insta::with_settings!({ filters => vec![(env!("CARGO_PKG_VERSION"), "[VERSION]")] }, {
        insta::assert_snapshot!("plugin_json", files[0].1);
    });
}
