//! Property tests: install and uninstall on generated settings.

use proptest::prelude::*;

use super::tests::COMMAND;
use super::*;

/// A JSON value for a settings key: scalars, small arrays and objects.
fn settings_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i32>().prop_map(serde_json::Value::from),
        "[a-zA-Z0-9 _./*()-]{0,12}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::btree_map("[a-z]{1,8}", inner, 0..4)
                .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
        ]
    })
}

/// A user's own hook group for an event.
fn user_hooks() -> impl Strategy<Value = serde_json::Value> {
    let event = prop::sample::select(vec![
        "PreToolUse",
        "PostToolUse",
        "Stop",
        "UserPromptSubmit",
        "FileChanged",
        "Notification",
    ]);
    let group = ("[a-zA-Z|*]{0,8}", "[a-z./-]{1,16}").prop_map(|(matcher, command)| {
        json!({ "matcher": matcher, "hooks": [{ "type": "command", "command": command }] })
    });
    prop::collection::btree_map(event, prop::collection::vec(group, 1..3), 1..4).prop_map(|map| {
        serde_json::Value::Object(
            map.into_iter()
                .map(|(event, groups)| (event.to_owned(), serde_json::Value::from(groups)))
                .collect(),
        )
    })
}

/// How a generated settings object is written out.
#[derive(Debug, Clone, Copy)]
enum Layout {
    Minified,
    Pretty(&'static str),
    PrettyCrlf,
}

fn write(value: &serde_json::Value, layout: Layout, trailing_newline: bool) -> String {
    let mut text = match layout {
        Layout::Minified => value.to_string(),
        Layout::Pretty(indent) => {
            let mut out = Vec::new();
            let formatter = serde_json::ser::PrettyFormatter::with_indent(indent.as_bytes());
            let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
            serde::Serialize::serialize(value, &mut serializer).unwrap();
            String::from_utf8(out).unwrap()
        }
        Layout::PrettyCrlf => serde_json::to_string_pretty(value)
            .unwrap()
            .replace('\n', "\r\n"),
    };
    if trailing_newline {
        text.push('\n');
    }
    text
}

/// A hooks object mixing the user's handlers and Ward's, in any position.
fn mixed_hooks() -> impl Strategy<Value = serde_json::Value> {
    let handler = prop_oneof![
        2 => "[a-z./-]{1,12}".prop_map(|command| json!({ "type": "command", "command": command })),
        1 => Just(json!({ "type": "command", "command": "ward hook claude-code", "timeout": 30 })),
    ];
    let group = prop::collection::vec(handler, 1..4)
        .prop_map(|handlers| json!({ "matcher": "*", "hooks": handlers }));
    let event = prop::sample::select(vec!["PreToolUse", "Stop", "FileChanged", "SessionEnd"]);
    prop::collection::btree_map(event, prop::collection::vec(group, 1..4), 1..4).prop_map(|map| {
        serde_json::Value::Object(
            map.into_iter()
                .map(|(event, groups)| (event.to_owned(), serde_json::Value::from(groups)))
                .collect(),
        )
    })
}

/// What uninstall should leave, computed on values: Ward's handlers gone, and the
/// groups, events and `hooks` this empties gone too.
fn without_ward(settings: &serde_json::Value) -> serde_json::Value {
    let is_ward =
        |handler: &serde_json::Value| handler["command"].as_str().is_some_and(is_ward_handler);
    let mut settings = settings.clone();
    let Some(root) = settings.as_object_mut() else {
        return settings;
    };
    let Some(hooks) = root.get_mut("hooks").and_then(|h| h.as_object_mut()) else {
        return settings;
    };
    let had_events = !hooks.is_empty();
    hooks.retain(|_, groups| {
        let groups = groups.as_array_mut().unwrap();
        let had_groups = !groups.is_empty();
        groups.retain_mut(|group| {
            let handlers = group["hooks"].as_array_mut().unwrap();
            let had_handlers = !handlers.is_empty();
            handlers.retain(|handler| !is_ward(handler));
            !(had_handlers && handlers.is_empty())
        });
        !(had_groups && groups.is_empty())
    });
    if had_events && hooks.is_empty() {
        root.shift_remove("hooks");
    }
    settings
}

proptest! {
    #[test]
    fn install_then_uninstall_gives_back_the_file(
        keys in prop::collection::btree_map("[a-zA-Z$]{1,10}", settings_value(), 1..5),
        hooks in prop::option::of(user_hooks()),
        layout in prop_oneof![
            Just(Layout::Minified),
            Just(Layout::Pretty("  ")),
            Just(Layout::Pretty("    ")),
            Just(Layout::Pretty("\t")),
            Just(Layout::PrettyCrlf),
        ],
        trailing_newline in any::<bool>(),
    ) {
        let mut settings: serde_json::Map<String, serde_json::Value> =
            keys.into_iter().filter(|(key, _)| key != "hooks").collect();
        if let Some(hooks) = hooks {
            settings.insert("hooks".to_owned(), hooks);
        }
        let original = write(&serde_json::Value::Object(settings.clone()), layout, trailing_newline);

        let installed = install(Some(&original), COMMAND).unwrap();
        prop_assert!(installed.changed);
        // Strict JSON in, strict JSON out, with the user's content intact.
        let mut value: serde_json::Value = serde_json::from_str(&installed.after).unwrap();
        for (key, kept) in &settings {
            if key != "hooks" {
                prop_assert_eq!(&value[key], kept);
            }
        }
        let installed_hooks = value["hooks"].as_object_mut().unwrap();
        for event in HANDLED_EVENTS {
            let groups = installed_hooks.get_mut(*event).unwrap().as_array_mut().unwrap();
            prop_assert_eq!(groups.pop(), Some(matcher_group(event, COMMAND)));
        }
        prop_assert!(!install(Some(&installed.after), COMMAND).unwrap().changed);
        prop_assert_eq!(uninstall(&installed.after).unwrap().after, original);
    }

    #[test]
    fn uninstall_removes_ward_from_any_position(
        other in prop::option::of(settings_value()),
        hooks in mixed_hooks(),
        layout in prop_oneof![
            Just(Layout::Minified),
            Just(Layout::Pretty("  ")),
            Just(Layout::Pretty("\t")),
            Just(Layout::PrettyCrlf),
        ],
    ) {
        let mut settings = serde_json::Map::new();
        if let Some(other) = other {
            settings.insert("other".to_owned(), other);
        }
        settings.insert("hooks".to_owned(), hooks);
        let settings = serde_json::Value::Object(settings);
        let text = write(&settings, layout, true);

        let removed = uninstall(&text).unwrap();
        let value: serde_json::Value = serde_json::from_str(&removed.after).unwrap();
        prop_assert_eq!(value, without_ward(&settings));
        prop_assert!(!uninstall(&removed.after).unwrap().changed);
        // And installing again is possible, and undone again.
        let installed = install(Some(&removed.after), COMMAND).unwrap();
        prop_assert_eq!(uninstall(&installed.after).unwrap().after, removed.after);
    }

    #[test]
    fn round_trip_keeps_comments_anywhere(
        keys in prop::collection::btree_map("[a-z]{1,6}", settings_value(), 0..4),
        hooks in prop::option::of(user_hooks()),
        line_comments in prop::collection::vec(any::<bool>(), 1..8),
        block_comments in prop::collection::vec(any::<bool>(), 1..8),
        trailing_commas in any::<bool>(),
    ) {
        let mut settings: serde_json::Map<String, serde_json::Value> =
            keys.into_iter().filter(|(key, _)| key != "hooks").collect();
        if let Some(hooks) = hooks {
            settings.insert("hooks".to_owned(), hooks);
        }
        let pretty = serde_json::to_string_pretty(&serde_json::Value::Object(settings)).unwrap();
        let lines: Vec<&str> = pretty.lines().collect();
        // Comments at the start and end of lines are always between tokens, since
        // pretty JSON has no line breaks inside strings.
        let mut original = String::new();
        for (number, line) in lines.iter().enumerate() {
            let rest = line.trim_start();
            let (indent, _) = line.split_at(line.len() - rest.len());
            original.push_str(indent);
            if block_comments[number % block_comments.len()] {
                original.push_str("/* c */ ");
            }
            original.push_str(rest);
            let closes_next = lines
                .get(number + 1)
                .is_some_and(|next| next.trim_start().starts_with(['}', ']']));
            if trailing_commas && closes_next && !rest.ends_with(['{', '[']) {
                original.push(',');
            }
            if line_comments[number % line_comments.len()] {
                original.push_str(" // note");
            }
            original.push('\n');
        }
        let installed = install(Some(&original), COMMAND).unwrap();
        prop_assert!(installed.changed);
        prop_assert!(!install(Some(&installed.after), COMMAND).unwrap().changed);
        prop_assert_eq!(uninstall(&installed.after).unwrap().after, original);
    }

    #[test]
    fn install_and_uninstall_never_panic(text in "[{}\\[\\]\",: \n\ta-z0-9/*]{0,64}") {
        let _ = install(Some(&text), COMMAND);
        let _ = uninstall(&text);
    }
}
