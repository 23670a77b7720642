//! The report as Markdown: the same numbers as the JSON, as tables a person reads
//! in a terminal, a pull request or a wiki.

use std::fmt::Write as _;

use crate::model::{Breakdown, Report};

/// Renders the report.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let period = &report.period;
    let _ = writeln!(out, "# Ward report\n");
    let _ = writeln!(
        out,
        "Period: {} to {}{}  ",
        period.from.as_deref().unwrap_or("the ledger's start"),
        period.to.as_deref().unwrap_or("now"),
        period
            .project
            .as_deref()
            .map(|p| format!(", project {p}"))
            .unwrap_or_default()
    );
    let _ = writeln!(out, "Generated: {}\n", report.generated_at);
    let _ = writeln!(out, "## Risk: {}\n", report.risk.level);
    if report.risk.reasons.is_empty() {
        let _ = writeln!(out, "No finding raised the level.\n");
    } else {
        for reason in &report.risk.reasons {
            let _ = writeln!(out, "- {reason}");
        }
        out.push('\n');
    }

    let t = &report.totals;
    let _ = writeln!(out, "## Totals\n");
    let _ = writeln!(out, "| | |\n|---|---:|");
    for (name, value) in t.labelled() {
        let _ = writeln!(out, "| {name} | {value} |");
    }
    out.push('\n');

    for (title, _, rows) in report.breakdowns() {
        breakdown(&mut out, title, rows);
    }

    let _ = writeln!(out, "## Top rules\n");
    if report.top_rules.is_empty() {
        let _ = writeln!(out, "No rule decided a call.\n");
    } else {
        let _ = writeln!(
            out,
            "| Rule | Decision | Severity | Calls |\n|---|---|---|---:|"
        );
        for rule in &report.top_rules {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                rule.rule,
                rule.decision,
                rule.severity.as_deref().unwrap_or("-"),
                rule.count
            );
        }
        out.push('\n');
    }
    let _ = writeln!(out, "{}\n", report.by_severity.sentence());

    let _ = writeln!(out, "## Top targets of decided calls\n");
    if report.top_targets.is_empty() {
        let _ = writeln!(out, "None.\n");
    } else {
        let _ = writeln!(out, "| Target | Calls | Denied |\n|---|---:|---:|");
        for target in &report.top_targets {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} |",
                cell(&target.target),
                target.count,
                target.denied
            );
        }
        out.push('\n');
    }

    let _ = writeln!(out, "## Approvals\n");
    let _ = writeln!(out, "{}\n", report.approvals.sentence());

    let _ = writeln!(out, "## Break-glass overrides\n");
    if report.overrides.is_empty() {
        let _ = writeln!(out, "None.\n");
    } else {
        let _ = writeln!(
            out,
            "| Override | By | Started | Until | Scope | End | Calls | Reason |\n\
             |---|---|---|---|---|---|---:|---|"
        );
        for o in &report.overrides {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                o.id,
                cell(&o.by),
                o.started_at,
                o.expires_at,
                cell(&o.scope),
                cell(&o.end),
                o.calls,
                cell(&o.reason)
            );
        }
        out.push('\n');
    }

    let i = &report.integrity;
    let _ = writeln!(out, "## Integrity\n");
    let _ = writeln!(out, "- Records in the ledger: {}", i.ledger_records);
    match (i.checkpoint_size, &i.checkpoint_signed_at) {
        (Some(size), Some(at)) => {
            let _ = writeln!(
                out,
                "- Latest signed checkpoint: {size} records, signed {at}, {} cosignature(s)",
                i.checkpoint_cosignatures
            );
        }
        _ => {
            let _ = writeln!(out, "- No checkpoint signed yet");
        }
    }
    let _ = writeln!(
        out,
        "- Records after it (not yet signed): {}",
        i.uncovered_records
    );
    match &i.verified {
        Some(v) if v.ok => {
            let _ = writeln!(out, "- Full verification: passed ({} records)", v.records);
        }
        Some(v) => {
            let _ = writeln!(
                out,
                "- Full verification: **FAILED** ({} records): {}",
                v.records,
                v.problems.join("; ")
            );
        }
        None => {
            let _ = writeln!(
                out,
                "- Full verification: not run (`ward report --verify`, or `ward audit verify`)"
            );
        }
    }
    out.push('\n');

    let _ = writeln!(out, "## Per day (UTC)\n");
    if report.daily.is_empty() {
        let _ = writeln!(out, "No tool calls.\n");
    } else {
        let _ = writeln!(
            out,
            "| Day | Calls | Warned | Asked | Denied |\n|---|---:|---:|---:|---:|"
        );
        for day in &report.daily {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                day.date, day.calls, day.warn, day.ask, day.deny
            );
        }
        out.push('\n');
    }
    let _ = writeln!(out, "Tool calls by hour of day (UTC, 00 to 23):\n");
    let _ = writeln!(
        out,
        "{}\n",
        report
            .hourly
            .iter()
            .enumerate()
            .map(|(hour, calls)| format!("{hour:02}h {calls}"))
            .collect::<Vec<_>>()
            .join(" · ")
    );

    let _ = writeln!(out, "## Compliance evidence\n");
    for control in &report.compliance {
        let _ = writeln!(out, "### {}\n", control.control);
        let _ = writeln!(out, "- **Asks:** {}", control.asks);
        let _ = writeln!(out, "- **Ward records:** {}", control.ward_records);
        let _ = writeln!(out, "- **Protection:** {}", control.protection);
        let _ = writeln!(out, "- **This period:** {}", control.evidence);
        let _ = writeln!(out, "- **Not covered:** {}\n", control.not_covered);
    }
    out
}

fn breakdown(out: &mut String, title: &str, rows: &[Breakdown]) {
    let _ = writeln!(out, "## {title}\n");
    if rows.is_empty() {
        let _ = writeln!(out, "None.\n");
        return;
    }
    let _ = writeln!(
        out,
        "| Name | Calls | Warned | Asked | Denied |\n|---|---:|---:|---:|---:|"
    );
    for row in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            cell(&row.name),
            row.calls,
            row.warn,
            row.ask,
            row.deny
        );
    }
    out.push('\n');
}

/// A value safe in a table cell: no `|`, no line breaks.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}
