//! Payloads Ward must refuse, and property tests over arbitrary input.

use proptest::prelude::*;
use serde_json::json;

use super::tests::{fixture, parse, payload};
use super::*;

fn error_of(bytes: &[u8]) -> AgentError {
    match parse_payload(bytes) {
        Ok(event) => panic!("accepted: {event:?}"),
        Err(error) => {
            assert!(error.hint().is_some(), "{error} has no hint");
            error
        }
    }
}

#[test]
fn empty_and_blank_payloads() {
    for bytes in [&b""[..], b"   ", b"\n\r\t ", "\u{feff}".as_bytes()] {
        assert_eq!(
            error_of(bytes),
            AgentError::PayloadEmpty { agent: AGENT_NAME }
        );
    }
    insta::assert_snapshot!(error_of(b"").to_string(), @"Claude Code hook payload is empty");
}

#[test]
fn payload_over_the_limit_is_refused_before_parsing() {
    let bytes = vec![b' '; MAX_PAYLOAD_BYTES + 1];
    assert_eq!(
        error_of(&bytes),
        AgentError::PayloadTooLarge {
            agent: AGENT_NAME,
            size: MAX_PAYLOAD_BYTES + 1,
            limit: MAX_PAYLOAD_BYTES,
        }
    );
}

#[test]
fn invalid_utf8_names_the_offset() {
    let mut bytes = payload("Stop", json!({}));
    let at = bytes.len() - 3;
    bytes[at] = 0xff;
    assert_eq!(
        error_of(&bytes),
        AgentError::PayloadNotUtf8 {
            agent: AGENT_NAME,
            offset: at
        }
    );
}

#[test]
fn not_json_and_not_an_object() {
    let error = error_of(b"rm -rf /");
    assert!(matches!(error, AgentError::PayloadNotJson { .. }));
    insta::assert_snapshot!(error.to_string(), @"Claude Code hook payload is not valid JSON: expected value at line 1 column 1");
    assert!(matches!(
        error_of(b"{} {}"),
        AgentError::PayloadNotJson { .. }
    ));
    for (text, found) in [
        ("[]", "array"),
        ("\"PreToolUse\"", "string"),
        ("42", "number"),
        ("null", "null"),
        ("true", "boolean"),
    ] {
        assert_eq!(
            error_of(text.as_bytes()),
            AgentError::PayloadNotObject {
                agent: AGENT_NAME,
                found
            }
        );
    }
}

#[test]
fn every_truncation_of_a_payload_is_refused() {
    let full = fixture!("pre_tool_use_rm_rf_home");
    let end = full.trim_ascii_end().len();
    for cut in 0..end {
        assert!(
            parse_payload(&full[..cut]).is_err(),
            "prefix of {cut} bytes accepted"
        );
    }
    assert!(parse_payload(full).is_ok());
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let depth = 100_000;
    let text = format!(
        "{{\"hook_event_name\":\"PreToolUse\",\"session_id\":\"s\",\"tool_name\":\"Bash\",\"tool_input\":{}{}}}",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    match error_of(text.as_bytes()) {
        AgentError::PayloadNotJson { message, .. } => {
            assert!(message.contains("recursion limit"), "{message}");
        }
        other => panic!("{other}"),
    }
    let objects = "{\"a\":".repeat(depth) + &"}".repeat(depth);
    assert!(matches!(
        error_of(objects.as_bytes()),
        AgentError::PayloadNotJson { .. }
    ));
}

#[test]
fn missing_required_fields() {
    let cases = [
        (
            payload("Stop", json!({ "hook_event_name": null })),
            "hook_event_name",
        ),
        (payload("Stop", json!({ "session_id": null })), "session_id"),
        (
            payload("PreToolUse", json!({ "tool_input": {} })),
            "tool_name",
        ),
        (
            payload("PostToolUse", json!({ "tool_name": "Bash" })),
            "tool_input",
        ),
        (
            payload("PermissionRequest", json!({ "tool_input": {} })),
            "tool_name",
        ),
        (payload("UserPromptSubmit", json!({})), "prompt"),
    ];
    for (bytes, field) in cases {
        assert_eq!(
            error_of(&bytes),
            AgentError::MissingField {
                agent: AGENT_NAME,
                field
            }
        );
    }
    insta::assert_snapshot!(
        error_of(&payload("PreToolUse", json!({ "tool_input": {} }))).to_string(),
        @"Claude Code hook payload has no `tool_name` field"
    );
}

#[test]
fn ill_typed_required_fields() {
    let cases = [
        (
            payload("Stop", json!({ "hook_event_name": 7 })),
            "hook_event_name",
            "number",
        ),
        (
            payload("Stop", json!({ "session_id": ["a"] })),
            "session_id",
            "array",
        ),
        (
            payload("Stop", json!({ "cwd": { "path": "/" } })),
            "cwd",
            "object",
        ),
        (
            payload("PreToolUse", json!({ "tool_name": true, "tool_input": {} })),
            "tool_name",
            "boolean",
        ),
        (
            payload("UserPromptSubmit", json!({ "prompt": 1.5 })),
            "prompt",
            "number",
        ),
    ];
    for (bytes, field, found) in cases {
        assert_eq!(
            error_of(&bytes),
            AgentError::FieldType {
                agent: AGENT_NAME,
                field,
                expected: "a string",
                found
            }
        );
    }
    // A null is a wrong type, not a missing field, when it is written out.
    let bytes = br#"{"hook_event_name":"Stop","session_id":null}"#;
    assert!(matches!(
        error_of(bytes),
        AgentError::FieldType {
            field: "session_id",
            found: "null",
            ..
        }
    ));
    insta::assert_snapshot!(
        error_of(&payload("Stop", json!({ "session_id": ["a"] }))).to_string(),
        @"Claude Code hook payload field `session_id` is a JSON array, expected a string"
    );
}

#[test]
fn implausible_session_ids_are_refused() {
    let longest = "a".repeat(MAX_SESSION_ID_BYTES);
    assert_eq!(
        parse(&payload("Stop", json!({ "session_id": longest })))
            .session_id
            .len(),
        256
    );

    let cases = [
        (
            "a".repeat(MAX_SESSION_ID_BYTES + 1),
            "is 257 bytes long, more than the limit of 256",
        ),
        (String::new(), "is empty"),
        (
            "abc\u{0}def".to_owned(),
            "contains a control character (U+0000)",
        ),
        (
            "abc\ndef".to_owned(),
            "contains a control character (U+000A)",
        ),
        (
            "abc\u{1b}[2Jdef".to_owned(),
            "contains a control character (U+001B)",
        ),
        (
            "abc\u{85}".to_owned(),
            "contains a control character (U+0085)",
        ),
        ("abc def".to_owned(), "contains whitespace (U+0020)"),
        ("abc\u{2028}def".to_owned(), "contains whitespace (U+2028)"),
        (
            "abc\u{202e}fed".to_owned(),
            "contains an invisible formatting character (U+202E)",
        ),
        (
            "abc\u{200b}".to_owned(),
            "contains an invisible formatting character (U+200B)",
        ),
    ];
    for (session_id, problem) in cases {
        assert_eq!(
            error_of(&payload("Stop", json!({ "session_id": session_id }))),
            AgentError::InvalidField {
                agent: AGENT_NAME,
                field: "session_id",
                problem: problem.to_owned(),
            },
            "{session_id:?}"
        );
    }
    // Non-ASCII letters are printable and accepted.
    assert_eq!(
        parse(&payload("Stop", json!({ "session_id": "sesión-1" }))).session_id,
        "sesión-1"
    );
    insta::assert_snapshot!(
        error_of(&payload("Stop", json!({ "session_id": "a\u{7}" }))).to_string(),
        @"Claude Code hook payload field `session_id` contains a control character (U+0007)"
    );
}

#[test]
fn implausible_event_names_and_tool_names_are_refused() {
    for name in ["", "Pre\nToolUse", &"E".repeat(257)] {
        assert!(matches!(
            error_of(&payload(name, json!({}))),
            AgentError::InvalidField {
                field: "hook_event_name",
                ..
            }
        ));
    }
    assert!(matches!(
        error_of(&payload(
            "PreToolUse",
            json!({ "tool_name": "", "tool_input": {} })
        )),
        AgentError::InvalidField {
            field: "tool_name",
            ..
        }
    ));
}

// --- Properties --------------------------------------------------------------------

proptest! {
    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_payload(&bytes);
    }

    #[test]
    fn never_panics_on_json_like_text(text in r#"[{}\[\]":,a-z_0-9 \\u\n-]{0,256}"#) {
        let _ = parse_payload(text.as_bytes());
    }

    #[test]
    fn never_panics_on_a_mutated_payload(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let mut bytes = fixture!("post_tool_use_bash").to_vec();
        for (index, byte) in edits {
            let at = index.index(bytes.len());
            bytes[at] = byte;
        }
        let _ = parse_payload(&bytes);
    }

    #[test]
    fn any_valid_payload_keeps_every_field(
        extra in prop::collection::btree_map("[a-z_]{1,12}", any::<i64>(), 0..6),
        event in prop::sample::select(vec!["Stop", "SessionStart", "Notification", "Other"]),
    ) {
        let mut fields = json!({ "hook_event_name": event, "session_id": "s-1", "cwd": "/" });
        for (key, value) in &extra {
            if !["hook_event_name", "session_id", "cwd", "permission_mode", "agent_id", "agent_type"].contains(&key.as_str()) {
                fields[key] = json!(value);
            }
        }
        let parsed = parse_payload(&serde_json::to_vec(&fields).unwrap()).unwrap();
        let expected_details = fields.as_object().unwrap().len() - 3;
        prop_assert_eq!(parsed.details.len(), expected_details);
    }
}
