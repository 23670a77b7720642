use super::*;

pub(super) const COMMAND: &str = "/usr/local/bin/ward hook claude-code";

/// Installs, checks the result, uninstalls, and checks the original comes back.
fn assert_round_trip(original: &str) -> String {
    let installed = install(Some(original), COMMAND).expect("install");
    assert!(installed.changed, "install changed nothing in:\n{original}");
    assert_eq!(installed.before, original);
    assert_valid(&installed.after);
    assert_has_all_ward_groups(&installed.after);

    let again = install(Some(&installed.after), COMMAND).expect("second install");
    assert!(!again.changed, "second install changed:\n{}", again.after);
    assert_eq!(again.after, installed.after);

    let removed = uninstall(&installed.after).expect("uninstall");
    assert!(removed.changed);
    assert_eq!(
        removed.after, original,
        "round trip differs; installed text was:\n{}",
        installed.after
    );
    let removed_again = uninstall(&removed.after).expect("second uninstall");
    assert!(!removed_again.changed);
    installed.after
}

/// The text parses as JSON (with comments, when the input had them).
fn assert_valid(text: &str) {
    Document::parse(text).expect("edited text parses");
}

/// Every handled event has exactly one Ward group, with the right fields.
fn assert_has_all_ward_groups(text: &str) {
    let document = Document::parse(text).expect("parses");
    let hooks = document
        .root()
        .and_then(|root| root.as_object())
        .and_then(|root| root.get_object("hooks"))
        .expect("hooks object");
    for event in HANDLED_EVENTS {
        let groups = hooks
            .get_array(event)
            .unwrap_or_else(|| panic!("no array for {event}"));
        let ward = groups
            .elements
            .iter()
            .filter(|group| Group::read(group).commands.contains(&Some(COMMAND)))
            .count();
        assert_eq!(ward, 1, "{event} has {ward} Ward groups");
    }
}

// --- Creating a file -------------------------------------------------------------

#[test]
fn missing_file_gets_a_pretty_hooks_document() {
    let edit = install(None, COMMAND).unwrap();
    assert!(edit.changed);
    assert_eq!(edit.before, "");
    assert!(edit.after.ends_with("}\n"));
    let value: serde_json::Value = serde_json::from_str(&edit.after).unwrap();
    assert_eq!(
        value,
        json!({ "hooks": hooks_object(HANDLED_EVENTS, COMMAND) })
    );
    insta::assert_snapshot!("missing_file", edit.after);
}

#[test]
fn guarding_events_block_on_failure_and_matcherless_events_have_no_matcher() {
    let edit = install(None, COMMAND).unwrap();
    let value: serde_json::Value = serde_json::from_str(&edit.after).unwrap();
    for event in HANDLED_EVENTS {
        let group = &value["hooks"][*event][0];
        let handler = &group["hooks"][0];
        assert_eq!(handler["type"], "command");
        assert_eq!(handler["command"], COMMAND);
        assert_eq!(handler["timeout"], 30);
        let guarding = GUARDING_EVENTS.contains(event);
        assert_eq!(
            handler.get("onFailure"),
            guarding.then(|| json!("block")).as_ref(),
            "{event}"
        );
        let matcherless = matches!(*event, "UserPromptSubmit" | "Stop");
        assert_eq!(
            group.get("matcher"),
            (!matcherless).then(|| json!("*")).as_ref(),
            "{event}"
        );
    }
}

#[test]
fn whitespace_only_file_is_treated_as_missing() {
    let edit = install(Some("  \n"), COMMAND).unwrap();
    assert_eq!(edit.after, install(None, COMMAND).unwrap().after);
    assert_eq!(uninstall(&edit.after).unwrap().after, "{}\n");
}

#[test]
fn file_with_only_a_comment_keeps_it() {
    let original = "// user settings\n";
    let edit = install(Some(original), COMMAND).unwrap();
    assert!(edit.after.starts_with(original));
    assert_has_all_ward_groups(&edit.after);
    assert!(!install(Some(&edit.after), COMMAND).unwrap().changed);
    assert_eq!(
        uninstall(&edit.after).unwrap().after,
        "// user settings\n{}\n"
    );
}

// --- Round trips -------------------------------------------------------------------

#[test]
fn round_trip_empty_object() {
    let after = assert_round_trip("{}\n");
    insta::assert_snapshot!("empty_object", after);
}

#[test]
fn round_trip_empty_object_without_newline() {
    assert_round_trip("{}");
}

#[test]
fn round_trip_two_space_settings_without_hooks() {
    let original = r#"{
  "$schema": "https://json.schemastore.org/claude-code-settings.json",
  "model": "opus",
  "permissions": {
    "allow": ["Bash(npm run lint)", "Bash(npm run test:*)"],
    "deny": ["Read(./.env)", "Read(./secrets/**)"]
  },
  "env": {
    "CLAUDE_CODE_ENABLE_TELEMETRY": "1"
  }
}
"#;
    let after = assert_round_trip(original);
    assert!(after.starts_with(original.trim_end().trim_end_matches('}').trim_end()));
    insta::assert_snapshot!("two_space_without_hooks", after);
}

/// A settings file whose `hooks` already has the user's own handlers, for some of
/// the same events and for others.
const WITH_USER_HOOKS: &str = r#"{
  "permissions": {
    "allow": ["Bash(cargo test:*)"]
  },
  "hooks": {
    "PreToolUse": [
      {
        "matcher": "Bash",
        "hooks": [
          {
            "type": "command",
            "command": "~/.claude/hooks/check-bash.sh"
          }
        ]
      }
    ],
    "PostToolUse": [
      {
        "matcher": "Write|Edit",
        "hooks": [
          { "type": "command", "command": "npx prettier --write \"$CLAUDE_FILE_PATHS\"" }
        ]
      }
    ],
    "FileChanged": [
      {
        "matcher": ".envrc",
        "hooks": [{ "type": "command", "command": "direnv reload" }]
      }
    ]
  },
  "includeCoAuthoredBy": false
}
"#;

#[test]
fn round_trip_with_user_hooks_for_the_same_events() {
    let after = assert_round_trip(WITH_USER_HOOKS);
    // The user's handlers and keys are still there byte for byte.
    for kept in [
        r#"    "PreToolUse": [
      {
        "matcher": "Bash",
        "hooks": [
          {
            "type": "command",
            "command": "~/.claude/hooks/check-bash.sh"
          }
        ]
      }"#,
        r#"      {
        "matcher": "Write|Edit",
        "hooks": [
          { "type": "command", "command": "npx prettier --write \"$CLAUDE_FILE_PATHS\"" }
        ]
      }"#,
        r#"    "FileChanged": [
      {
        "matcher": ".envrc",
        "hooks": [{ "type": "command", "command": "direnv reload" }]
      }
    ]"#,
        r#"  "permissions": {
    "allow": ["Bash(cargo test:*)"]
  },"#,
        "  \"includeCoAuthoredBy\": false\n}\n",
    ] {
        assert!(after.contains(kept), "lost:\n{kept}\nin:\n{after}");
    }
    // The user's handler still runs first for PreToolUse.
    let value: serde_json::Value = serde_json::from_str(&after).unwrap();
    assert_eq!(
        value["hooks"]["PreToolUse"][0]["hooks"][0]["command"],
        "~/.claude/hooks/check-bash.sh"
    );
    insta::assert_snapshot!("with_user_hooks", after);
}

#[test]
fn round_trip_four_space_indentation() {
    let original = "{\n    \"model\": \"sonnet\",\n    \"hooks\": {\n        \"Stop\": [\n            {\n                \"hooks\": [\n                    {\n                        \"type\": \"command\",\n                        \"command\": \"say done\"\n                    }\n                ]\n            }\n        ]\n    }\n}\n";
    let after = assert_round_trip(original);
    assert!(after.contains(
        "\n        \"PreToolUse\": [\n            {\n                \"matcher\": \"*\",\n"
    ));
    insta::assert_snapshot!("four_spaces", after);
}

#[test]
fn round_trip_tabs() {
    let original = "{\n\t\"model\": \"sonnet\",\n\t\"permissions\": {\n\t\t\"deny\": []\n\t}\n}\n";
    let after = assert_round_trip(original);
    assert!(
        after.contains(
            "\n\t\"hooks\": {\n\t\t\"PreToolUse\": [\n\t\t\t{\n\t\t\t\t\"matcher\": \"*\","
        )
    );
    assert!(
        !after.contains("  "),
        "spaces used for indentation:\n{after}"
    );
}

#[test]
fn round_trip_minified_one_line() {
    let original = r#"{"model":"opus","hooks":{"PreToolUse":[{"matcher":"Bash","hooks":[{"type":"command","command":"guard.sh"}]}]}}"#;
    let after = assert_round_trip(original);
    assert!(
        !after.contains('\n'),
        "minified file gained line breaks:\n{after}"
    );
    assert!(after.starts_with(
        r#"{"model":"opus","hooks":{"PreToolUse":[{"matcher":"Bash","hooks":[{"type":"command","command":"guard.sh"}]},{"matcher":"*","hooks":[{"type":"command","command":"/usr/local/bin/ward hook claude-code","timeout":30,"onFailure":"block"}]}],"PostToolUse":[{"#
    ));
}

#[test]
fn round_trip_minified_without_hooks() {
    let original = r#"{"model":"opus"}"#;
    let after = assert_round_trip(original);
    assert!(!after.contains('\n'));
    assert!(after.starts_with(r#"{"model":"opus","hooks":{"PreToolUse":[{"matcher":"*","#));
}

#[test]
fn round_trip_one_line_with_spaces() {
    let original = r#"{ "model": "opus", "env": { "A": "1" } }"#;
    let after = assert_round_trip(original);
    assert!(after.starts_with(
        r#"{ "model": "opus", "env": { "A": "1" }, "hooks": { "PreToolUse": [{ "matcher": "*", "hooks": [{ "type": "command", "command": "/usr/local/bin/ward hook claude-code", "timeout": 30, "onFailure": "block" }] }], "PostToolUse": [{ "#
    ));
    assert!(after.ends_with(r#"}] }] } }"#));
}

#[test]
fn round_trip_crlf() {
    let original =
        "{\r\n  \"model\": \"opus\",\r\n  \"hooks\": {\r\n    \"Stop\": []\r\n  }\r\n}\r\n";
    let installed = install(Some(original), COMMAND).unwrap();
    assert!(!installed.after.replace("\r\n", "").contains('\n'));
    // `"Stop": []` was empty before, so uninstall removes it (documented).
    let expected = "{\r\n  \"model\": \"opus\"\r\n}\r\n";
    assert_eq!(uninstall(&installed.after).unwrap().after, expected);

    let original = "{\r\n  \"model\": \"opus\"\r\n}\r\n";
    let after = assert_round_trip(original);
    assert!(!after.replace("\r\n", "").contains('\n'));
}

#[test]
fn round_trip_comments_and_trailing_commas() {
    let original = r#"{
  // Team defaults; ask before editing.
  "model": "opus", // pinned
  /* hooks below */
  "hooks": {
    "PreToolUse": [
      {
        "matcher": "Bash", // only shell
        "hooks": [{ "type": "command", "command": "guard.sh" },],
      },
    ],
    // nothing else yet
  },
}
"#;
    let after = assert_round_trip(original);
    assert!(after.contains("// Team defaults; ask before editing."));
    assert!(after.contains("\"matcher\": \"Bash\", // only shell"));
}

#[test]
fn round_trip_last_member_with_line_comment() {
    let original = "{\n  \"model\": \"opus\" // pinned\n}\n";
    let after = assert_round_trip(original);
    assert!(after.contains("\"model\": \"opus\",\n  \"hooks\": {"));
}

#[test]
fn round_trip_blank_lines_and_unusual_spacing() {
    let original = "\n{\n\n  \"model\" : \"opus\",\n\n\n  \"env\": {}\n\n}\n\n";
    assert_round_trip(original);
}

#[test]
fn round_trip_hooks_with_only_other_events() {
    let original = r#"{
  "hooks": {
    "Notification": [
      {
        "matcher": "idle_prompt",
        "hooks": [{ "type": "command", "command": "notify-send Claude" }]
      }
    ]
  }
}
"#;
    let after = assert_round_trip(original);
    assert!(after.contains(
        r#"        "matcher": "idle_prompt",
        "hooks": [{ "type": "command", "command": "notify-send Claude" }]
      },
      {
        "matcher": "*","#
    ));
}

#[test]
fn round_trip_group_shared_with_a_ward_handler_keeps_the_others() {
    // A user put Ward's handler in their own group by hand; uninstall removes only it.
    let original = r#"{
  "hooks": {
    "PreToolUse": [
      {
        "matcher": "*",
        "hooks": [
          { "type": "command", "command": "audit.sh" },
          { "type": "command", "command": "ward hook claude-code" }
        ]
      }
    ]
  }
}
"#;
    let expected = r#"{
  "hooks": {
    "PreToolUse": [
      {
        "matcher": "*",
        "hooks": [
          { "type": "command", "command": "audit.sh" }
        ]
      }
    ]
  }
}
"#;
    assert_eq!(uninstall(original).unwrap().after, expected);
    // Install sees that handler and adds no second one for PreToolUse.
    let installed = install(Some(original), COMMAND).unwrap();
    let value: serde_json::Value = serde_json::from_str(&installed.after).unwrap();
    assert_eq!(value["hooks"]["PreToolUse"].as_array().unwrap().len(), 1);
}

#[test]
fn round_trip_with_odd_group_shapes() {
    // Claude Code would reject these groups, but they are the user's to fix; Ward
    // leaves them alone and appends after them.
    let original =
        r#"{"hooks":{"PreToolUse":["weird",1,{"hooks":"no"},{"hooks":[{"command":7}]}]}}"#;
    assert_round_trip(original);
}

// --- Documented differences --------------------------------------------------------

#[test]
fn empty_hooks_object_is_removed_by_uninstall() {
    let original = "{\n  \"model\": \"opus\",\n  \"hooks\": {}\n}\n";
    let installed = install(Some(original), COMMAND).unwrap();
    assert_has_all_ward_groups(&installed.after);
    assert_eq!(
        uninstall(&installed.after).unwrap().after,
        "{\n  \"model\": \"opus\"\n}\n"
    );
}

#[test]
fn empty_object_with_inner_whitespace_comes_back_as_braces() {
    for original in ["{ }", "{\n}\n"] {
        let installed = install(Some(original), COMMAND).unwrap();
        assert_has_all_ward_groups(&installed.after);
        let removed = uninstall(&installed.after).unwrap().after;
        assert_eq!(removed.replace('\n', ""), "{}", "from {original:?}");
    }
}

// --- Uninstall ---------------------------------------------------------------------

#[test]
fn uninstall_recognises_any_ward_path() {
    let original = r#"{"hooks":{"PreToolUse":[{"matcher":"*","hooks":[{"type":"command","command":"\"/opt/my tools/ward\" hook  claude-code"}]}],"Stop":[{"hooks":[{"type":"command","command":"${CLAUDE_PLUGIN_ROOT}/bin/ward hook claude-code"}]}]},"model":"opus"}"#;
    assert_eq!(uninstall(original).unwrap().after, r#"{"model":"opus"}"#);
}

#[test]
fn uninstall_without_ward_changes_nothing() {
    for original in ["", "{}", WITH_USER_HOOKS, "// only a comment\n"] {
        let edit = uninstall(original).unwrap();
        assert!(!edit.changed, "{original}");
        assert_eq!(edit.after, original);
    }
}

#[test]
fn uninstall_removes_ward_groups_under_any_event_and_keeps_empty_user_groups() {
    let original = r#"{
  "hooks": {
    "CwdChanged": [
      { "hooks": [{ "type": "command", "command": "ward hook claude-code" }] },
      { "hooks": [] }
    ]
  }
}"#;
    let expected = r#"{
  "hooks": {
    "CwdChanged": [
      { "hooks": [] }
    ]
  }
}"#;
    assert_eq!(uninstall(original).unwrap().after, expected);
}

#[test]
fn is_ward_handler_looks_at_the_last_two_words() {
    assert!(is_ward_handler("ward hook claude-code"));
    assert!(is_ward_handler("/home/me/.cargo/bin/ward hook claude-code"));
    assert!(is_ward_handler(
        "${CLAUDE_PLUGIN_ROOT}/bin/ward\thook claude-code  "
    ));
    assert!(!is_ward_handler("ward hook gemini"));
    assert!(!is_ward_handler("hook claude-code-x"));
    assert!(!is_ward_handler("ward hook claude-code --verbose"));
    assert!(!is_ward_handler("claude-code"));
    assert!(!is_ward_handler(""));
}
