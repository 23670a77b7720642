//! The readable session timeline of `ward audit show` and `ward demo`: prompt →
//! calls → decisions → outcomes, with each outcome folded into the line of the call
//! it answers and subagents' calls indented under them.

use std::collections::HashMap;

use serde_json::Value;
use ward_ledger::{SessionSummary, StoredRecord};

pub(crate) use ward_ledger::summary::{SUMMARY_WIDTH, input_summary, shorten};

/// `HH:MM:SS.mmm` of a record time.
fn clock(time: &str) -> &str {
    time.get(11..23).unwrap_or(time)
}

/// The header and timeline of one session.
pub(crate) fn render_session(summary: &SessionSummary, records: &[StoredRecord]) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "Session {}  ·  {}  ·  {}\n",
        summary.session_id, summary.agent, summary.cwd
    ));
    out.push_str(&format!(
        "{} records, {} tool calls: {} denied, {} asked, {} warned  ·  {} → {}\n\n",
        summary.records,
        summary.tool_calls,
        summary.denied,
        summary.asked,
        summary.warned,
        summary.started_at.as_deref().unwrap_or("?"),
        summary.ended_at.as_deref().unwrap_or("(not ended)")
    ));
    // Break-glass first, where nobody can miss it.
    let mut overridden: Vec<(&str, usize)> = Vec::new();
    for id in records
        .iter()
        .filter_map(|r| r.record.result.override_id.as_deref())
    {
        match overridden.iter_mut().find(|(seen, _)| *seen == id) {
            Some((_, count)) => *count += 1,
            None => overridden.push((id, 1)),
        }
    }
    for (id, count) in &overridden {
        out.push_str(&format!(
            "⚠ BREAK-GLASS: {count} call(s) ran under override {id}, which set Ward's rules aside \
             (who and why: `ward audit show ward-host`)\n"
        ));
    }
    if !overridden.is_empty() {
        out.push('\n');
    }
    // Outcome records, keyed by the pre record they answer.
    let outcomes: HashMap<u64, &StoredRecord> = records
        .iter()
        .filter_map(|r| r.record.reference.pre_record.map(|pre| (pre, r)))
        .collect();
    for stored in records {
        let record = &stored.record;
        let request = &record.request;
        let indent = if record.role.subagent_id.is_some()
            && request.event != "SubagentStart"
            && request.event != "SubagentStop"
        {
            "    │ "
        } else {
            ""
        };
        let time = clock(&record.time);
        let line = match request.event.as_str() {
            "SessionStart" => Some(format!(
                "▶ session start ({})",
                detail(&request.input, "source").unwrap_or("startup")
            )),
            "SessionEnd" => Some(format!(
                "■ session end ({})",
                detail(&request.input, "reason").unwrap_or("other")
            )),
            "UserPromptSubmit" => Some(format!(
                "» prompt  {:?}",
                shorten(
                    detail(&request.input, "prompt").unwrap_or(""),
                    SUMMARY_WIDTH
                )
            )),
            "SubagentStart" => Some(format!(
                "  ┌ subagent {} ({}) started",
                record.role.subagent_type.as_deref().unwrap_or("?"),
                record.role.subagent_id.as_deref().unwrap_or("?")
            )),
            "SubagentStop" => Some(format!(
                "  └ subagent {} ({}) stopped",
                record.role.subagent_type.as_deref().unwrap_or("?"),
                record.role.subagent_id.as_deref().unwrap_or("?")
            )),
            "PreToolUse" => Some(call_line(
                stored,
                outcomes.get(&stored.seq).copied(),
                &summary.cwd,
            )),
            "PostToolUse" | "PostToolUseFailure" if record.reference.pre_record.is_none() => {
                Some(format!(
                    "  {:<6} {}  → {} (no matching pre record)",
                    request.tool.as_deref().unwrap_or("?"),
                    input_summary(request.tool.as_deref().unwrap_or(""), &request.input),
                    record.result.outcome.as_deref().unwrap_or("?")
                ))
            }
            "PostToolUse" | "PostToolUseFailure" => None,
            "PermissionRequest" => Some(format!(
                "  · permission prompt for {}{}",
                request.tool.as_deref().unwrap_or("?"),
                match (&record.result.decision, record.rules.matched.first()) {
                    (Some(decision), Some(rule)) => {
                        format!(": answered {} by {rule}", decision.to_uppercase())
                    }
                    _ => String::new(),
                }
            )),
            "PermissionDenied" if record.reference.pre_record.is_some() => None,
            "PermissionDenied" => Some(format!(
                "  · permission denied for {}",
                request.tool.as_deref().unwrap_or("?")
            )),
            "Stop" => Some("  · turn ended".to_owned()),
            "Notification" => Some(format!(
                "  · notification: {}",
                shorten(
                    detail(&request.input, "message").unwrap_or(""),
                    SUMMARY_WIDTH
                )
            )),
            "PreCompact" => Some("  · context compaction".to_owned()),
            other => Some(format!("  · {other}")),
        };
        if let Some(line) = line {
            out.push_str(&format!("{time}  {indent}{line}\n"));
        }
        if request.event == "PreToolUse" {
            // `git.push` only says where a push goes; the risky findings are shown.
            for finding in request.findings.iter().filter(|f| f.kind != "git.push") {
                let detail = if summary.cwd.len() > 1 {
                    finding.detail.replace(&format!("{}/", summary.cwd), "")
                } else {
                    finding.detail.clone()
                };
                out.push_str(&format!(
                    "              {indent}  ⚑ {}: {detail}\n",
                    finding.kind
                ));
            }
            if request.opaque && !request.notes.is_empty() {
                out.push_str(&format!(
                    "              {indent}  ◌ not analysed: {}\n",
                    shorten(&request.notes.join("; "), SUMMARY_WIDTH)
                ));
            }
        }
        if let Some(error) = &record.result.error {
            out.push_str(&format!("              {indent}  ⚠ Ward error: {error}\n"));
        }
    }
    out
}

fn detail<'a>(input: &'a Value, name: &str) -> Option<&'a str> {
    input.get(name).and_then(Value::as_str)
}

fn call_line(pre: &StoredRecord, outcome: Option<&StoredRecord>, cwd: &str) -> String {
    let record = &pre.record;
    let tool = record.request.tool.as_deref().unwrap_or("?");
    // Paths inside the session's directory read better relative to it.
    let summary = input_summary(tool, &record.request.input);
    let summary = if cwd.len() > 1 {
        summary.replace(&format!("{cwd}/"), "")
    } else {
        summary
    };
    let marker = match record.result.decision.as_deref() {
        Some("deny") => "✗",
        Some("ask") => "?",
        Some("warn") => "!",
        Some("allow") => "✓",
        _ => " ",
    };
    let mut line = format!("{marker} {tool:<6} {summary}");
    if let Some(decision) = record.result.decision.as_deref() {
        let rule = record
            .rules
            .matched
            .first()
            .map(String::as_str)
            .unwrap_or("");
        let mode = match (&record.result.override_id, record.result.enforced) {
            (Some(id), false) => format!(" (set aside by override {id})"),
            (Some(id), true) => format!(" (override {id} set other rules aside)"),
            (None, true) => String::new(),
            (None, false) => " (dry-run)".to_owned(),
        };
        line.push_str(&format!("  {} {rule}{mode}", decision.to_uppercase()));
    }
    match outcome {
        Some(post) if post.record.request.event == "PermissionDenied" => {
            line.push_str("  → permission denied");
        }
        Some(post) => {
            let result = &post.record.result;
            line.push_str(&format!("  → {}", result.outcome.as_deref().unwrap_or("?")));
            if let Some(ms) = post.record.resource.duration_ms {
                line.push_str(&format!(" {}", duration(ms)));
            }
        }
        None if record.result.decision.as_deref() == Some("deny") && record.result.enforced => {
            line.push_str("  → blocked");
        }
        None => line.push_str("  → (no outcome recorded)"),
    }
    line
}

fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else {
        format!("{:.1}s", ms as f64 / 1000.0)
    }
}
