//! Claude Code hook payloads: the JSON object written to a command hook's stdin,
//! turned into an agent-neutral [`Event`].
//!
//! This module owns which payload fields are required, which map onto typed fields of
//! the event, and what is refused. It leaves redaction to `ward-core` and recording to
//! `ward-ledger`: the event it returns is unredacted.
//!
//! Field rules (shapes from `agent-hooks.md` §1.5):
//!
//! - `hook_event_name` and `session_id` are required strings. `cwd` is a string when
//!   present (older releases may omit it; the event then has an empty cwd).
//! - Tool events (`PreToolUse`, `PostToolUse`, `PostToolUseFailure`,
//!   `PermissionRequest`, `PermissionDenied`) require `tool_name` and `tool_input`;
//!   `UserPromptSubmit` requires `prompt`. Without them Ward cannot judge the event, so
//!   it is an error (which fails closed for guarding events) rather than a guess.
//! - Descriptive fields with an unexpected type (`permission_mode: 3`) are not errors:
//!   they stay in [`Event::details`] as sent, and the typed field stays empty.
//! - Every top-level field not moved into a typed field is kept in `details`, in the
//!   order it was sent, so nothing the agent said is lost. `mcp_server` is kept there
//!   even though its name is also copied into [`ToolCall::mcp_server`], because its
//!   `source` (who configured the server) has no typed slot.

use serde_json::{Map, Value};
use ward_core::{Event, EventKind, Outcome, OutcomeStatus, Subagent, ToolCall};

use crate::AgentError;

use super::AGENT_NAME;

/// The agent id Ward records for Claude Code.
pub const AGENT: &str = "claude-code";

/// The largest payload accepted, in bytes. Claude Code sends the whole tool input
/// (and, after a call, the whole tool response), so a large `Write` can be megabytes;
/// anything past this is refused rather than buffered.
pub const MAX_PAYLOAD_BYTES: usize = 16 * 1024 * 1024;

/// The longest `session_id` accepted, in bytes. Claude Code sends a UUID (36 bytes);
/// the id becomes a database key and is displayed, so it is kept short and printable.
pub const MAX_SESSION_ID_BYTES: usize = 256;

/// The longest `hook_event_name` accepted, in bytes. Unknown names are recorded as
/// [`EventKind::Other`], so they are bounded like the session id.
const MAX_EVENT_NAME_BYTES: usize = 256;

/// Parses the bytes Claude Code wrote to a hook's stdin.
///
/// Unknown fields are kept in [`Event::details`], never rejected; an unknown
/// `hook_event_name` becomes [`EventKind::Other`]. Nesting deeper than serde_json's
/// recursion limit (128) is reported as invalid JSON, not a stack overflow.
///
/// # Errors
///
/// An [`AgentError`] naming what is wrong: a payload over [`MAX_PAYLOAD_BYTES`], empty,
/// not UTF-8, not JSON, not an object, a missing or ill-typed required field, or a
/// `session_id` / `hook_event_name` that is empty, too long or not printable.
pub fn parse_payload(bytes: &[u8]) -> Result<Event, AgentError> {
    if bytes.len() > MAX_PAYLOAD_BYTES {
        return Err(AgentError::PayloadTooLarge {
            agent: AGENT_NAME,
            size: bytes.len(),
            limit: MAX_PAYLOAD_BYTES,
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|error| AgentError::PayloadNotUtf8 {
        agent: AGENT_NAME,
        offset: error.valid_up_to(),
    })?;
    // A byte-order mark is not JSON, but an editor-made test payload may carry one.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(AgentError::PayloadEmpty { agent: AGENT_NAME });
    }
    let value: Value = serde_json::from_str(text).map_err(|error| AgentError::PayloadNotJson {
        agent: AGENT_NAME,
        message: error.to_string(),
    })?;
    let mut fields = match value {
        Value::Object(fields) => fields,
        other => {
            return Err(AgentError::PayloadNotObject {
                agent: AGENT_NAME,
                found: json_type(&other),
            });
        }
    };

    let event_name = take_required_string(&mut fields, "hook_event_name")?;
    check_identifier("hook_event_name", &event_name, MAX_EVENT_NAME_BYTES)?;
    let kind = EventKind::parse(&event_name);
    let session_id = take_required_string(&mut fields, "session_id")?;
    check_identifier("session_id", &session_id, MAX_SESSION_ID_BYTES)?;
    let cwd = take_optional_string(&mut fields, "cwd")?.unwrap_or_default();
    let permission_mode = take_lenient_string(&mut fields, "permission_mode");
    let subagent = take_subagent(&mut fields);
    let tool = if is_tool_event(&kind) {
        Some(take_tool_call(&mut fields)?)
    } else {
        None
    };
    let prompt = if kind == EventKind::UserPromptSubmit {
        Some(take_required_string(&mut fields, "prompt")?)
    } else {
        None
    };
    let outcome = match kind {
        EventKind::PostToolUse => Some(take_success_outcome(&mut fields)),
        EventKind::PostToolUseFailure => Some(take_failure_outcome(&mut fields)),
        _ => None,
    };

    Ok(Event {
        agent: AGENT.to_owned(),
        kind,
        session_id,
        cwd,
        tool,
        subagent,
        permission_mode,
        prompt,
        outcome,
        details: fields,
    })
}

/// Whether the event carries `tool_name` and `tool_input`.
fn is_tool_event(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::PreToolUse
            | EventKind::PostToolUse
            | EventKind::PostToolUseFailure
            | EventKind::PermissionRequest
            | EventKind::PermissionDenied
    )
}

fn take_tool_call(fields: &mut Map<String, Value>) -> Result<ToolCall, AgentError> {
    let name = take_required_string(fields, "tool_name")?;
    if name.is_empty() {
        return Err(invalid("tool_name", "is empty".to_owned()));
    }
    let input = fields
        .shift_remove("tool_input")
        .ok_or(AgentError::MissingField {
            agent: AGENT_NAME,
            field: "tool_input",
        })?;
    let tool_use_id = take_lenient_string(fields, "tool_use_id");
    // Copied, not moved: `mcp_server.source` says who configured the server and has
    // no typed slot, so the whole object stays in `details`.
    let mcp_server = fields
        .get("mcp_server")
        .and_then(|server| server.get("name"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok(ToolCall {
        name,
        input,
        tool_use_id,
        mcp_server,
    })
}

/// The subagent named by `agent_id` (and `agent_type`). On the main thread Claude
/// Code may send `agent_type` alone (the `--agent` name); with no id there is no
/// subagent and `agent_type` stays in `details`. On `SubagentStart` / `SubagentStop`
/// the id is the subagent the event is about.
fn take_subagent(fields: &mut Map<String, Value>) -> Option<Subagent> {
    let id = take_lenient_string(fields, "agent_id")?;
    let agent_type = take_lenient_string(fields, "agent_type");
    Some(Subagent { id, agent_type })
}

/// `PostToolUse`: the tool ran. A Bash call the user interrupted still arrives here,
/// with `tool_response.interrupted` set.
fn take_success_outcome(fields: &mut Map<String, Value>) -> Outcome {
    let output = fields.shift_remove("tool_response").unwrap_or(Value::Null);
    let interrupted = output.get("interrupted") == Some(&Value::Bool(true));
    Outcome {
        status: if interrupted {
            OutcomeStatus::Interrupted
        } else {
            OutcomeStatus::Success
        },
        output,
        duration_ms: take_duration(fields),
        error: None,
    }
}

/// `PostToolUseFailure`: the tool failed, or was interrupted (`is_interrupt`).
fn take_failure_outcome(fields: &mut Map<String, Value>) -> Outcome {
    let error = take_lenient_string(fields, "error");
    let interrupted = match fields.get("is_interrupt") {
        Some(Value::Bool(flag)) => {
            let flag = *flag;
            fields.shift_remove("is_interrupt");
            flag
        }
        _ => false,
    };
    Outcome {
        status: if interrupted {
            OutcomeStatus::Interrupted
        } else {
            OutcomeStatus::Failure
        },
        output: error.clone().map_or(Value::Null, Value::String),
        duration_ms: take_duration(fields),
        error,
    }
}

/// `duration_ms` as whole milliseconds. JavaScript numbers may be fractional; a value
/// that is not a finite, non-negative number stays in `details`.
fn take_duration(fields: &mut Map<String, Value>) -> Option<u64> {
    let number = fields.get("duration_ms")?.as_number()?;
    let millis = match number.as_u64() {
        Some(millis) => millis,
        None => {
            let float = number.as_f64().filter(|f| f.is_finite() && *f >= 0.0)?;
            // Saturating conversion; a duration past u64::MAX milliseconds is absurd
            // anyway, and `as` cannot panic here.
            float.round() as u64
        }
    };
    fields.shift_remove("duration_ms");
    Some(millis)
}

fn take_required_string(
    fields: &mut Map<String, Value>,
    field: &'static str,
) -> Result<String, AgentError> {
    take_optional_string(fields, field)?.ok_or(AgentError::MissingField {
        agent: AGENT_NAME,
        field,
    })
}

/// A string field that, when present, must be a string.
fn take_optional_string(
    fields: &mut Map<String, Value>,
    field: &'static str,
) -> Result<Option<String>, AgentError> {
    match fields.shift_remove(field) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(other) => Err(AgentError::FieldType {
            agent: AGENT_NAME,
            field,
            expected: "a string",
            found: json_type(&other),
        }),
    }
}

/// A descriptive string field: taken when it is a string, otherwise left in place.
fn take_lenient_string(fields: &mut Map<String, Value>, field: &str) -> Option<String> {
    if !fields.get(field).is_some_and(Value::is_string) {
        return None;
    }
    match fields.shift_remove(field) {
        Some(Value::String(text)) => Some(text),
        _ => None,
    }
}

/// Checks a value used as a key and shown to people: non-empty, bounded, and free of
/// anything that is invisible or changes how surrounding text is displayed (control
/// characters, line breaks and other whitespace, bidirectional overrides, zero-width
/// characters).
fn check_identifier(field: &'static str, value: &str, max_bytes: usize) -> Result<(), AgentError> {
    if value.is_empty() {
        return Err(invalid(field, "is empty".to_owned()));
    }
    if value.len() > max_bytes {
        return Err(invalid(
            field,
            format!(
                "is {} bytes long, more than the limit of {max_bytes}",
                value.len()
            ),
        ));
    }
    if let Some(bad) = value.chars().find(|c| is_unprintable(*c)) {
        let what = if bad.is_control() {
            "a control character"
        } else if bad.is_whitespace() {
            "whitespace"
        } else {
            "an invisible formatting character"
        };
        return Err(invalid(
            field,
            format!("contains {what} (U+{:04X})", u32::from(bad)),
        ));
    }
    Ok(())
}

fn is_unprintable(c: char) -> bool {
    c.is_control()
        || c.is_whitespace()
        || matches!(
            c,
            '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

fn invalid(field: &'static str, problem: String) -> AgentError {
    AgentError::InvalidField {
        agent: AGENT_NAME,
        field,
        problem,
    }
}

/// The JSON type of a value, as named in error messages.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod refusals;
#[cfg(test)]
mod tests;
