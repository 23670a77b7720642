//! The report as CSV: one "long" table, `section,name,metric,value`, so that every
//! number of the JSON fits one sheet and pivots by section (`totals`, `by_tool`,
//! `top_rules`, `daily`, …). Quoting is the `csv` crate's (RFC 4180).

use crate::model::Report;

/// Renders the report.
pub fn render(report: &Report) -> Result<String, std::io::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut row = |section: &str, name: &str, metric: &str, value: String| {
        writer.write_record([section, name, metric, value.as_str()])
    };
    row("section", "name", "metric", "value".to_owned())?;
    let p = &report.period;
    for (metric, value) in [
        ("from", p.from.clone()),
        ("to", p.to.clone()),
        ("project", p.project.clone()),
        ("generated_at", Some(report.generated_at.clone())),
    ] {
        row("period", "", metric, value.unwrap_or_default())?;
    }
    let t = &report.totals;
    for (metric, value) in [
        ("records", t.records.to_string()),
        ("sessions", t.sessions.to_string()),
        ("calls", t.calls.to_string()),
        ("silent", t.silent.to_string()),
        ("allow", t.allow.to_string()),
        ("warn", t.warn.to_string()),
        ("ask", t.ask.to_string()),
        ("deny", t.deny.to_string()),
        ("block_rate", t.block_rate.to_string()),
        ("ask_rate", t.ask_rate.to_string()),
        ("not_enforced", t.not_enforced.to_string()),
        ("permission_prompts", t.permission_prompts.to_string()),
        ("succeeded", t.succeeded.to_string()),
        ("failed", t.failed.to_string()),
        ("interrupted", t.interrupted.to_string()),
        ("ward_errors", t.ward_errors.to_string()),
    ] {
        row("totals", "", metric, value)?;
    }
    for (_, section, rows) in report.breakdowns() {
        for b in rows {
            for (metric, value) in [
                ("calls", b.calls),
                ("warn", b.warn),
                ("ask", b.ask),
                ("deny", b.deny),
            ] {
                row(section, &b.name, metric, value.to_string())?;
            }
        }
    }
    for rule in &report.top_rules {
        row("top_rules", &rule.rule, "count", rule.count.to_string())?;
        row("top_rules", &rule.rule, "decision", rule.decision.clone())?;
        row(
            "top_rules",
            &rule.rule,
            "severity",
            rule.severity.clone().unwrap_or_default(),
        )?;
    }
    for target in &report.top_targets {
        row(
            "top_targets",
            &target.target,
            "count",
            target.count.to_string(),
        )?;
        row(
            "top_targets",
            &target.target,
            "denied",
            target.denied.to_string(),
        )?;
    }
    let s = &report.by_severity;
    for (name, value) in [
        ("critical", s.critical),
        ("high", s.high),
        ("medium", s.medium),
        ("low", s.low),
    ] {
        row("by_severity", name, "calls", value.to_string())?;
    }
    let a = &report.approvals;
    for (metric, value) in [
        ("requested", Some(a.requested)),
        ("granted", Some(a.granted)),
        ("denied", Some(a.denied)),
        ("expired", Some(a.expired)),
        ("escalated", Some(a.escalated)),
        ("latency_p50_seconds", a.latency_p50_seconds),
        ("latency_p90_seconds", a.latency_p90_seconds),
    ] {
        row(
            "approvals",
            "",
            metric,
            value.map(|v| v.to_string()).unwrap_or_default(),
        )?;
    }
    for o in &report.overrides {
        for (metric, value) in [
            ("by", o.by.clone()),
            ("reason", o.reason.clone()),
            ("started_at", o.started_at.clone()),
            ("expires_at", o.expires_at.clone()),
            ("scope", o.scope.clone()),
            ("end", o.end.clone()),
            ("calls", o.calls.to_string()),
        ] {
            row("overrides", &o.id, metric, value)?;
        }
    }
    let i = &report.integrity;
    for (metric, value) in [
        ("ledger_records", Some(i.ledger_records.to_string())),
        ("checkpoint_size", i.checkpoint_size.map(|s| s.to_string())),
        ("checkpoint_signed_at", i.checkpoint_signed_at.clone()),
        (
            "checkpoint_cosignatures",
            Some(i.checkpoint_cosignatures.to_string()),
        ),
        ("uncovered_records", Some(i.uncovered_records.to_string())),
        ("verified", i.verified.as_ref().map(|v| v.ok.to_string())),
    ] {
        row("integrity", "", metric, value.unwrap_or_default())?;
    }
    row("risk", "", "level", report.risk.level.clone())?;
    for reason in &report.risk.reasons {
        row("risk", "", "reason", reason.clone())?;
    }
    for day in &report.daily {
        for (metric, value) in [
            ("calls", day.calls),
            ("warn", day.warn),
            ("ask", day.ask),
            ("deny", day.deny),
        ] {
            row("daily", &day.date, metric, value.to_string())?;
        }
    }
    for (hour, calls) in report.hourly.iter().enumerate() {
        row("hourly", &format!("{hour:02}"), "calls", calls.to_string())?;
    }
    for control in &report.compliance {
        row(
            "compliance",
            &control.control,
            "evidence",
            control.evidence.clone(),
        )?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|error| std::io::Error::other(error.to_string()))?;
    String::from_utf8(bytes).map_err(std::io::Error::other)
}
