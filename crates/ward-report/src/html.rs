//! The report as one self-contained HTML file: inline CSS, inline SVG charts
//! (decisions per day, top rules, activity by hour), no script, no external
//! asset, so that it opens offline and can be attached to an audit as it is.
//! Every recorded string is escaped: commands and paths in a ledger are hostile
//! input.

use std::fmt::Write as _;

use crate::model::{Breakdown, Report};

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;\
color:#1d2430;padding:0 1em}h1{margin-bottom:0}h2{margin-top:2em;border-bottom:1px solid #dde}\
table{border-collapse:collapse;margin:.5em 0}td,th{padding:.25em .7em;border-bottom:1px solid #eef;\
text-align:left}td.n,th.n{text-align:right}code{background:#f3f4f8;padding:0 .2em}\
.risk{display:inline-block;padding:.2em .8em;border-radius:1em;color:#fff;font-weight:600}\
.risk-low{background:#2e7d32}.risk-elevated{background:#b26a00}.risk-high{background:#c62828}\
.risk-critical{background:#6a1b9a}figure{margin:1em 0}figcaption{color:#556;font-size:.9em}\
svg text{font:11px system-ui,sans-serif;fill:#334}.grid{display:grid;\
grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:0 2em}";

/// Colours of the decision series, shared by charts and legends.
const DENY: &str = "#c62828";
const ASK: &str = "#b26a00";
const WARN: &str = "#f0b400";
const OTHER: &str = "#90a4ae";

/// Renders the report.
pub fn render(report: &Report) -> String {
    let mut out = String::with_capacity(32 * 1024);
    let p = &report.period;
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Ward report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
    );
    let _ = writeln!(out, "<h1>Ward report</h1>");
    let _ = writeln!(
        out,
        "<p>Period: {} to {}{}<br>Generated: {}</p>",
        esc(p.from.as_deref().unwrap_or("the ledger's start")),
        esc(p.to.as_deref().unwrap_or("now")),
        p.project
            .as_deref()
            .map(|project| format!(", project <code>{}</code>", esc(project)))
            .unwrap_or_default(),
        esc(&report.generated_at)
    );
    let level = esc(&report.risk.level);
    let _ = writeln!(
        out,
        "<h2 id=\"risk\">Risk <span class=\"risk risk-{level}\">{level}</span></h2>"
    );
    if report.risk.reasons.is_empty() {
        let _ = writeln!(out, "<p>No finding raised the level.</p>");
    } else {
        let _ = writeln!(out, "<ul>");
        for reason in &report.risk.reasons {
            let _ = writeln!(out, "<li>{}</li>", esc(reason));
        }
        let _ = writeln!(out, "</ul>");
    }

    let t = &report.totals;
    let _ = writeln!(out, "<h2 id=\"totals\">Totals</h2>\n<table>");
    for (name, value) in t.labelled() {
        let _ = writeln!(out, "<tr><th>{name}</th><td class=\"n\">{value}</td></tr>");
    }
    let _ = writeln!(out, "</table>");

    let _ = writeln!(out, "<h2 id=\"charts\">Charts</h2>\n<div class=\"grid\">");
    daily_chart(&mut out, report);
    rules_chart(&mut out, report);
    hourly_chart(&mut out, report);
    let _ = writeln!(out, "</div>");

    let _ = writeln!(out, "<div class=\"grid\">");
    for (title, _, rows) in report.breakdowns() {
        breakdown(&mut out, title, rows);
    }
    let _ = writeln!(out, "</div>");

    let _ = writeln!(out, "<h2 id=\"rules\">Top rules</h2>");
    if report.top_rules.is_empty() {
        let _ = writeln!(out, "<p>No rule decided a call.</p>");
    } else {
        let _ = writeln!(
            out,
            "<table><tr><th>Rule</th><th>Decision</th><th>Severity</th><th class=\"n\">Calls</th></tr>"
        );
        for rule in &report.top_rules {
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
                esc(&rule.rule),
                esc(&rule.decision),
                esc(rule.severity.as_deref().unwrap_or("-")),
                rule.count
            );
        }
        let _ = writeln!(out, "</table>");
    }
    let _ = writeln!(out, "<p>{}</p>", report.by_severity.sentence());

    let _ = writeln!(out, "<h2 id=\"targets\">Top targets of decided calls</h2>");
    if report.top_targets.is_empty() {
        let _ = writeln!(out, "<p>None.</p>");
    } else {
        let _ = writeln!(
            out,
            "<table><tr><th>Target</th><th class=\"n\">Calls</th><th class=\"n\">Denied</th></tr>"
        );
        for target in &report.top_targets {
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&target.target),
                target.count,
                target.denied
            );
        }
        let _ = writeln!(out, "</table>");
    }

    let _ = writeln!(
        out,
        "<h2 id=\"approvals\">Approvals</h2>\n<p>{}</p>",
        report.approvals.sentence()
    );

    let _ = writeln!(out, "<h2 id=\"overrides\">Break-glass overrides</h2>");
    if report.overrides.is_empty() {
        let _ = writeln!(out, "<p>None.</p>");
    } else {
        let _ = writeln!(
            out,
            "<table><tr><th>Override</th><th>By</th><th>Started</th><th>Until</th><th>Scope</th>\
             <th>End</th><th class=\"n\">Calls</th><th>Reason</th></tr>"
        );
        for o in &report.overrides {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
                 <td class=\"n\">{}</td><td>{}</td></tr>",
                esc(&o.id),
                esc(&o.by),
                esc(&o.started_at),
                esc(&o.expires_at),
                esc(&o.scope),
                esc(&o.end),
                o.calls,
                esc(&o.reason)
            );
        }
        let _ = writeln!(out, "</table>");
    }

    let i = &report.integrity;
    let _ = writeln!(
        out,
        "<h2 id=\"integrity\">Integrity</h2>\n<ul>\n<li>Records in the ledger: {}</li>",
        i.ledger_records
    );
    match (i.checkpoint_size, &i.checkpoint_signed_at) {
        (Some(size), Some(at)) => {
            let _ = writeln!(
                out,
                "<li>Latest signed checkpoint: {size} records, signed {}, {} cosignature(s)</li>",
                esc(at),
                i.checkpoint_cosignatures
            );
        }
        _ => {
            let _ = writeln!(out, "<li>No checkpoint signed yet</li>");
        }
    }
    let _ = writeln!(
        out,
        "<li>Records after it (not yet signed): {}</li>",
        i.uncovered_records
    );
    let verified = match &i.verified {
        Some(v) if v.ok => format!("passed ({} records)", v.records),
        Some(v) => format!(
            "<strong>FAILED</strong> ({} records): {}",
            v.records,
            esc(&v.problems.join("; "))
        ),
        None => "not run (<code>ward report --verify</code>)".to_owned(),
    };
    let _ = writeln!(out, "<li>Full verification: {verified}</li>\n</ul>");

    let _ = writeln!(out, "<h2 id=\"compliance\">Compliance evidence</h2>");
    for control in &report.compliance {
        let _ = writeln!(
            out,
            "<h3>{}</h3>\n<dl><dt>Asks</dt><dd>{}</dd><dt>Ward records</dt><dd>{}</dd>\
             <dt>Protection</dt><dd>{}</dd><dt>This period</dt><dd>{}</dd>\
             <dt>Not covered</dt><dd>{}</dd></dl>",
            esc(&control.control),
            esc(&control.asks),
            esc(&control.ward_records),
            esc(&control.protection),
            esc(&control.evidence),
            esc(&control.not_covered)
        );
    }
    let _ = writeln!(out, "</body>\n</html>");
    out
}

fn breakdown(out: &mut String, title: &str, rows: &[Breakdown]) {
    let _ = writeln!(out, "<section><h2>{title}</h2>");
    if rows.is_empty() {
        let _ = writeln!(out, "<p>None.</p></section>");
        return;
    }
    let _ = writeln!(
        out,
        "<table><tr><th>Name</th><th class=\"n\">Calls</th><th class=\"n\">Warned</th>\
         <th class=\"n\">Asked</th><th class=\"n\">Denied</th></tr>"
    );
    for row in rows {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td></tr>",
            esc(&row.name),
            row.calls,
            row.warn,
            row.ask,
            row.deny
        );
    }
    let _ = writeln!(out, "</table></section>");
}

/// Decisions per day: one stacked bar a day (denied, asked, warned, the rest).
fn daily_chart(out: &mut String, report: &Report) {
    let (width, height, top, bottom) = (480.0, 220.0, 10.0, 30.0);
    let days = &report.daily;
    let most = days.iter().map(|d| d.calls).max().unwrap_or(0).max(1) as f64;
    let slot = width / days.len().max(1) as f64;
    let bar = (slot * 0.8).max(1.0);
    let scale = (height - top - bottom) / most;
    let _ = writeln!(
        out,
        "<figure id=\"chart-daily\"><svg xmlns=\"http://www.w3.org/2000/svg\" \
         viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" \
         aria-label=\"Decisions per day\">"
    );
    for (index, day) in days.iter().enumerate() {
        let x = index as f64 * slot + (slot - bar) / 2.0;
        let mut y = height - bottom;
        let rest = day.calls.saturating_sub(day.deny + day.ask + day.warn);
        for (count, colour, name) in [
            (rest, OTHER, "other"),
            (day.warn, WARN, "warned"),
            (day.ask, ASK, "asked"),
            (day.deny, DENY, "denied"),
        ] {
            if count == 0 {
                continue;
            }
            let h = count as f64 * scale;
            y -= h;
            let _ = writeln!(
                out,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\" \
                 fill=\"{colour}\"><title>{} {name}: {count}</title></rect>",
                esc(&day.date)
            );
        }
    }
    if let (Some(first), Some(last)) = (days.first(), days.last()) {
        let _ = writeln!(
            out,
            "<text x=\"0\" y=\"{}\">{}</text><text x=\"{width}\" y=\"{}\" \
             text-anchor=\"end\">{}</text>",
            height - 10.0,
            esc(&first.date),
            height - 10.0,
            esc(&last.date)
        );
    }
    let _ = writeln!(
        out,
        "</svg><figcaption>Tool calls per day (UTC): <span style=\"color:{DENY}\">denied</span>, \
         <span style=\"color:{ASK}\">asked</span>, <span style=\"color:{WARN}\">warned</span>, \
         <span style=\"color:{OTHER}\">the rest</span>; at most {most} a day.</figcaption></figure>"
    );
}

/// Top rules: one horizontal bar each.
fn rules_chart(out: &mut String, report: &Report) {
    let rules: Vec<_> = report.top_rules.iter().take(10).collect();
    let row = 20.0;
    let (width, label) = (480.0, 210.0);
    let height = (rules.len().max(1) as f64) * row + 10.0;
    let most = rules.iter().map(|r| r.count).max().unwrap_or(0).max(1) as f64;
    let _ = writeln!(
        out,
        "<figure id=\"chart-rules\"><svg xmlns=\"http://www.w3.org/2000/svg\" \
         viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" \
         aria-label=\"Top rules\">"
    );
    for (index, rule) in rules.iter().enumerate() {
        let y = index as f64 * row + 5.0;
        let w = (width - label - 40.0) * rule.count as f64 / most;
        let colour = match rule.decision.as_str() {
            "deny" => DENY,
            "ask" => ASK,
            "warn" => WARN,
            _ => OTHER,
        };
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text><rect x=\"{label}\" \
             y=\"{y:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"{colour}\"><title>{}: {}</title>\
             </rect><text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            label - 6.0,
            y + 13.0,
            esc(&rule.rule),
            row - 6.0,
            esc(&rule.rule),
            rule.count,
            label + w + 4.0,
            y + 13.0,
            rule.count
        );
    }
    let _ = writeln!(
        out,
        "</svg><figcaption>The rules that decided most often, coloured by decision.\
         </figcaption></figure>"
    );
}

/// Activity by hour of day: 24 bars.
fn hourly_chart(out: &mut String, report: &Report) {
    let (width, height, bottom) = (480.0, 160.0, 20.0);
    let most = report.hourly.iter().copied().max().unwrap_or(0).max(1) as f64;
    let slot = width / 24.0;
    let _ = writeln!(
        out,
        "<figure id=\"chart-hourly\"><svg xmlns=\"http://www.w3.org/2000/svg\" \
         viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" \
         aria-label=\"Activity by hour\">"
    );
    for (hour, calls) in report.hourly.iter().enumerate() {
        let h = (height - bottom - 10.0) * *calls as f64 / most;
        let x = hour as f64 * slot + 2.0;
        let _ = writeln!(
            out,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"#3f51b5\">\
             <title>{hour:02}h: {calls}</title></rect>",
            height - bottom - h,
            slot - 4.0
        );
        if hour % 6 == 0 {
            let _ = writeln!(
                out,
                "<text x=\"{x:.1}\" y=\"{}\">{hour:02}h</text>",
                height - 5.0
            );
        }
    }
    let _ = writeln!(
        out,
        "</svg><figcaption>Tool calls by hour of day (UTC).</figcaption></figure>"
    );
}

/// Escapes text for HTML element content and attribute values: the five
/// characters HTML gives meaning to, and nothing else (written here: a crate for
/// five replacements would be more code to trust than these lines).
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
