//! Secrets a call puts somewhere: into a file (Write, Edit, NotebookEdit) or into a
//! command that writes files or talks to the network (a token in a `curl` header,
//! a key echoed into a file). The detector is the one redaction uses, so what Ward
//! would redact from the record is what it reports here; the finding names the
//! kind of secret (`secret.github-token`), never its value.

use serde_json::Value;

use crate::redact::redactor;
use crate::{Action, Category, TargetKind, ToolCall};

/// Adds a `secret.<rule>` finding for each secret the call writes or sends.
pub(crate) fn check(tool: &ToolCall, action: &mut Action) {
    let input = &tool.input;
    let text = |name: &str| input.get(name).and_then(Value::as_str).unwrap_or_default();
    match tool.name.as_str() {
        "Write" => report(action, text("content"), "", "written to"),
        "Edit" => report(action, text("new_string"), text("old_string"), "written to"),
        "MultiEdit" => {
            for edit in input
                .get("edits")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let text = |name: &str| edit.get(name).and_then(Value::as_str).unwrap_or_default();
                report(action, text("new_string"), text("old_string"), "written to");
            }
        }
        "NotebookEdit" => report(action, text("new_source"), "", "written to"),
        "WebFetch" => report(action, text("url"), "", "sent by"),
        "WebSearch" => report(action, text("query"), "", "sent by"),
        name if name.starts_with("mcp__") => {
            // What an MCP tool is given leaves the agent: a token in it is sent.
            let mut strings = Vec::new();
            collect_strings(input, 0, &mut strings);
            for string in strings {
                report(action, &string, "", "sent by");
            }
        }
        "Bash" => {
            let sends = action.categories.contains(&Category::Network);
            let writes = action
                .targets
                .iter()
                .any(|target| target.kind == TargetKind::Write);
            if sends || writes {
                let verb = if sends { "sent by" } else { "written by" };
                report(action, text("command"), "", verb);
            }
        }
        _ => {}
    }
}

/// The strings of a JSON value, a few levels deep and a few hundred at most.
fn collect_strings(value: &Value, depth: usize, out: &mut Vec<String>) {
    if depth > 6 || out.len() >= 256 {
        return;
    }
    match value {
        Value::String(text) => out.push(text.clone()),
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect_strings(item, depth + 1, out)),
        Value::Object(map) => map
            .values()
            .for_each(|item| collect_strings(item, depth + 1, out)),
        _ => {}
    }
}

/// Whether a file is an example or template that documents settings rather than
/// holding them.
fn is_example_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    [".example", ".sample", ".template", ".dist", ".tmpl"]
        .iter()
        .any(|marker| name.contains(marker))
        || name.starts_with("example")
}

/// Reports the secrets of `new` that `old` did not already hold (an edit that
/// moves existing code around is not adding a secret).
fn report(action: &mut Action, new: &str, old: &str, verb: &str) {
    if new.is_empty() {
        return;
    }
    let place = action
        .targets
        .iter()
        .find(|target| target.kind == TargetKind::Write)
        .map(|target| target.path.clone());
    if place.as_deref().is_some_and(is_example_file) {
        // `.env.example` holds placeholders (`postgres://user:password@localhost`).
        return;
    }
    let redaction = redactor().redact_str(new);
    for finding in &redaction.findings {
        let secret = new.get(finding.start..finding.end).unwrap_or_default();
        if !old.is_empty() && old.contains(secret) {
            continue;
        }
        let lower = secret.to_ascii_lowercase();
        if secret.contains("EXAMPLE")
            || [
                "test-",
                "test_",
                "fake",
                "dummy",
                "placeholder",
                "not-a-real",
                "changeme",
                "xxxx",
                "your-",
            ]
            .iter()
            .any(|marker| lower.contains(marker))
        {
            // Providers' documented placeholders (`AKIAIOSFODNN7EXAMPLE`).
            continue;
        }
        let kind = format!("secret.{}", finding.rule_id);
        if verb == "sent by" && matches!(action.tool.as_str(), "WebFetch" | "WebSearch") {
            // A secret in a URL goes to the site, its logs and every proxy between.
            action.add_finding(
                "exfil.secret-in-url",
                None,
                format!("a {} in the URL fetched", finding.rule_id),
            );
        }
        let detail = match (&place, verb) {
            (Some(path), "written to") => format!("a {} {verb} {path}", finding.rule_id),
            _ => format!("a {} {verb} the command", finding.rule_id),
        };
        action.add_finding(&kind, place.as_deref(), detail);
    }
}
