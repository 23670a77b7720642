//! Ward's answer in Claude Code's dialect: the one JSON object a hook prints to
//! stdout, or nothing.
//!
//! This module owns which decision becomes which output field for which event
//! (`agent-hooks.md` §1.7). It leaves the decision itself to `ward-core` and printing to
//! the CLI. Two rules shape every answer:
//!
//! - **Silence without an opinion.** Printing `allow` to Claude Code skips the user's
//!   own permission prompt, so `allow` is printed only when a rule explicitly allowed
//!   the call, and nothing at all when no rule decided.
//! - **Dry runs say nothing.** A verdict that is not enforced (audit-only mode) is
//!   recorded by the CLI but never printed, whatever it decided.
//!
//! Output is built with serde_json, so reasons with quotes, newlines or control
//! characters are escaped correctly, and it is a single line with no trailing newline.

use serde_json::{Value, json};
use ward_core::{Decision, EventKind, Verdict};

/// How the reason of a fail-closed answer begins when Ward itself broke on a tool
/// call or permission request; the rest is the error and its hint.
pub const FAILURE_PREFIX: &str = "Ward could not evaluate this call, so it is blocked: ";

/// How the reason of a fail-closed answer to a prompt begins.
const PROMPT_FAILURE_PREFIX: &str = "Ward could not evaluate this prompt, so it is blocked: ";

/// Renders a verdict as Claude Code hook stdout, or `None` when the hook must print
/// nothing.
///
/// | event | deny | ask | warn | allow |
/// |---|---|---|---|---|
/// | `PreToolUse` | `permissionDecision: deny` | `ask` | `systemMessage` | `allow` |
/// | `PermissionRequest` | `behavior: deny` | nothing | `systemMessage` | `behavior: allow` |
/// | `UserPromptSubmit` | `decision: block` | nothing | `systemMessage` | nothing |
///
/// Every other event, a verdict with no decision and any verdict that is not enforced
/// print nothing.
pub fn render(kind: &EventKind, verdict: &Verdict) -> Option<String> {
    if !verdict.enforced {
        return None;
    }
    let decision = verdict.decision?;
    let reason = || {
        verdict
            .explanation()
            .unwrap_or_else(|| default_reason(decision).to_owned())
    };
    let answer = match (kind, decision) {
        (EventKind::PreToolUse, Decision::Deny | Decision::Ask | Decision::Allow) => {
            pre_tool_use(decision.as_str(), &reason())
        }
        (EventKind::PermissionRequest, Decision::Deny) => permission_request_deny(&reason()),
        (EventKind::PermissionRequest, Decision::Allow) => json!({
            "hookSpecificOutput": {
                "hookEventName": "PermissionRequest",
                "decision": { "behavior": "allow" },
            }
        }),
        (EventKind::UserPromptSubmit, Decision::Deny) => prompt_block(&reason()),
        (
            EventKind::PreToolUse | EventKind::PermissionRequest | EventKind::UserPromptSubmit,
            Decision::Warn,
        ) => json!({ "systemMessage": format!("Warning: {}", reason()) }),
        // Ask and allow on a permission prompt: the prompt is shown as usual, which is
        // what ask means and all that allow may do without skipping it. Ask and allow
        // on a prompt: Claude Code has no such answer. Other events: recorded only.
        _ => return None,
    };
    Some(answer.to_string())
}

/// The fail-closed answer when Ward itself failed (a panic, a corrupt policy, an
/// unreadable ledger) in enforce mode: guarding events are blocked with `message`
/// (the error and its hint) in the reason; other events print nothing.
pub fn render_failure(kind: &EventKind, message: &str) -> Option<String> {
    let answer = match kind {
        EventKind::PreToolUse => pre_tool_use("deny", &format!("{FAILURE_PREFIX}{message}")),
        EventKind::PermissionRequest => {
            permission_request_deny(&format!("{FAILURE_PREFIX}{message}"))
        }
        EventKind::UserPromptSubmit => prompt_block(&format!("{PROMPT_FAILURE_PREFIX}{message}")),
        _ => return None,
    };
    Some(answer.to_string())
}

fn pre_tool_use(permission_decision: &str, reason: &str) -> Value {
    json!({
        "hookSpecificOutput": {
            "hookEventName": "PreToolUse",
            "permissionDecision": permission_decision,
            "permissionDecisionReason": reason,
        }
    })
}

fn permission_request_deny(message: &str) -> Value {
    json!({
        "hookSpecificOutput": {
            "hookEventName": "PermissionRequest",
            "decision": { "behavior": "deny", "message": message },
        }
    })
}

fn prompt_block(reason: &str) -> Value {
    json!({ "decision": "block", "reason": reason })
}

/// The reason when a verdict has a decision but names no rule (which the policy
/// engine should not produce; the answer must still say who decided).
fn default_reason(decision: Decision) -> &'static str {
    match decision {
        Decision::Deny => "Ward policy denies this.",
        Decision::Ask => "Ward policy asks for confirmation.",
        Decision::Warn => "Ward policy flags this as risky.",
        Decision::Allow => "Ward policy allows this.",
    }
}

#[cfg(test)]
mod tests;
