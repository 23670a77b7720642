use std::fmt::Write as _;

use ward_core::decision::RuleMatch;

use super::*;

fn verdict(decision: Option<Decision>, enforced: bool) -> Verdict {
    let matched = decision
        .map(|decision| RuleMatch {
            rule_id: format!("test.{decision}"),
            decision,
            severity: ward_core::Severity::of_decision(decision),
            reason: "Recursive delete of the home directory.".to_owned(),
            alternative: Some("Delete the specific build folder.".to_owned()),
            source: "builtin".to_owned(),
            approval: None,
        })
        .into_iter()
        .collect();
    Verdict {
        decision,
        enforced,
        matched,
        rate_counts: Vec::new(),
    }
}

const DECISIONS: [Option<Decision>; 5] = [
    None,
    Some(Decision::Allow),
    Some(Decision::Warn),
    Some(Decision::Ask),
    Some(Decision::Deny),
];

fn all_kinds() -> Vec<EventKind> {
    vec![
        EventKind::PreToolUse,
        EventKind::PermissionRequest,
        EventKind::UserPromptSubmit,
        EventKind::PostToolUse,
        EventKind::PostToolUseFailure,
        EventKind::PermissionDenied,
        EventKind::SessionStart,
        EventKind::SessionEnd,
        EventKind::SubagentStart,
        EventKind::SubagentStop,
        EventKind::Stop,
        EventKind::Notification,
        EventKind::PreCompact,
        EventKind::Other("CwdChanged".to_owned()),
    ]
}

/// Every event × decision in enforce mode, one line each.
#[test]
fn render_table() {
    let mut table = String::new();
    for kind in all_kinds() {
        for decision in DECISIONS {
            let output = render(&kind, &verdict(decision, true));
            let decision = decision.map_or("none", Decision::as_str);
            let output = output.as_deref().unwrap_or("(nothing)");
            let _ = writeln!(table, "{} {decision}: {output}", kind.as_str());
        }
    }
    insta::assert_snapshot!("render_table", table);
}

#[test]
fn dry_run_prints_nothing_ever() {
    for kind in all_kinds() {
        for decision in DECISIONS {
            assert_eq!(
                render(&kind, &verdict(decision, false)),
                None,
                "{kind:?} {decision:?}"
            );
        }
    }
}

#[test]
fn no_decision_prints_nothing_so_the_users_prompt_still_shows() {
    for kind in all_kinds() {
        assert_eq!(render(&kind, &Verdict::silent(true)), None);
    }
}

#[test]
fn pre_tool_use_deny_matches_the_documented_shape() {
    let output = render(&EventKind::PreToolUse, &verdict(Some(Decision::Deny), true)).unwrap();
    let value: Value = serde_json::from_str(&output).unwrap();
    assert_eq!(
        value,
        json!({
            "hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": "deny",
                "permissionDecisionReason": "Ward rule `test.deny`: Recursive delete of the home directory. Instead: Delete the specific build folder.",
            }
        })
    );
    // One line, one object, no trailing newline.
    assert!(!output.contains('\n'));
    assert!(output.starts_with('{') && output.ends_with('}'));
}

#[test]
fn reasons_are_escaped() {
    let mut hostile = verdict(Some(Decision::Deny), true);
    hostile.matched[0].reason = "quote \" backslash \\ newline \n nul \u{0} end".to_owned();
    hostile.matched[0].alternative = None;
    for kind in [
        EventKind::PreToolUse,
        EventKind::PermissionRequest,
        EventKind::UserPromptSubmit,
    ] {
        let output = render(&kind, &hostile).unwrap();
        assert!(!output.contains('\n'));
        let value: Value = serde_json::from_str(&output).unwrap();
        let text = value.to_string();
        assert!(
            text.contains(r#"quote \" backslash \\ newline \n nul \u0000 end"#),
            "{text}"
        );
    }
}

#[test]
fn decision_without_a_rule_still_says_ward_decided() {
    let bare = Verdict {
        decision: Some(Decision::Deny),
        enforced: true,
        matched: Vec::new(),
        rate_counts: Vec::new(),
    };
    insta::assert_snapshot!(
        render(&EventKind::PreToolUse, &bare).unwrap(),
        @r#"{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"deny","permissionDecisionReason":"Ward policy denies this."}}"#
    );
}

#[test]
fn failure_blocks_guarding_events_only() {
    let message =
        "policy file ~/.ward/policy.toml:3: unknown category `fs`\nhint: run `ward policy check`";
    let mut table = String::new();
    for kind in all_kinds() {
        let output = render_failure(&kind, message);
        assert_eq!(output.is_some(), kind.is_guarding(), "{kind:?}");
        let _ = writeln!(
            table,
            "{}: {}",
            kind.as_str(),
            output.as_deref().unwrap_or("(nothing)")
        );
    }
    insta::assert_snapshot!("render_failure_table", table);

    let output = render_failure(&EventKind::PreToolUse, message).unwrap();
    let value: Value = serde_json::from_str(&output).unwrap();
    let reason = value["hookSpecificOutput"]["permissionDecisionReason"]
        .as_str()
        .unwrap();
    assert!(reason.starts_with(FAILURE_PREFIX));
    assert!(reason.ends_with(message));
    assert_eq!(value["hookSpecificOutput"]["permissionDecision"], "deny");
}
