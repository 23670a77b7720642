//! `ward report`: the period's report from the ledger, in the format asked for,
//! to stdout or a file.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use ward_report::{Scope, Verification};

use crate::cli::{ReportArgs, ReportFormat};
use crate::home::Home;
use crate::output;

/// The default period.
const DEFAULT_SINCE: &str = "7d";

pub(crate) fn run(home: &Home, args: &ReportArgs) -> Result<ExitCode> {
    let format = format(args)?;
    let scope = scope(args)?;
    let ledger = super::audit::open(home)?;
    let to_stdout = args.out.is_none();
    let mut progress = crate::progress::Progress::new("records", false);
    let verified = if args.verify {
        let keys = home.trusted_keys()?;
        let report = ledger.verify_with(&keys, &mut |done, total| {
            progress.update("verifying", done, total);
        })?;
        Some(Verification {
            ok: report.ok,
            records: report.records,
            problems: report
                .problems
                .iter()
                .map(|problem| match problem.seq {
                    Some(seq) => format!("record {seq}: {}", problem.message),
                    None => problem.message.clone(),
                })
                .chain(
                    (report.problems_omitted > 0)
                        .then(|| format!("and {} more", report.problems_omitted)),
                )
                .collect(),
        })
    } else {
        None
    };
    let failed = verified.as_ref().is_some_and(|v| !v.ok);
    let report = ward_report::build(
        &ledger,
        &scope,
        jiff::Timestamp::now(),
        verified,
        &mut |done, total| progress.update("reading", done, total),
    )?;
    let text = match format {
        ReportFormat::Md => ward_report::markdown::render(&report),
        ReportFormat::Json => {
            let mut text = serde_json::to_string_pretty(&report)?;
            text.push('\n');
            text
        }
        ReportFormat::Csv => {
            ward_report::csv::render(&report).context("cannot write the CSV report")?
        }
        ReportFormat::Html => ward_report::html::render(&report),
    };
    match &args.out {
        None => output::data(text.trim_end_matches('\n')),
        Some(path) => {
            crate::home::write_atomically(path, text.as_bytes(), 0o644)
                .with_context(|| format!("cannot write the report to `{}`", path.display()))?;
            output::status(&format!(
                "Wrote the {} report ({} records, risk {}) to {}",
                name(format),
                report.totals.records,
                report.risk.level,
                path.display()
            ));
        }
    }
    if failed {
        if !to_stdout {
            output::status("The ledger failed verification: see the report's integrity section.");
        }
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn name(format: ReportFormat) -> &'static str {
    match format {
        ReportFormat::Md => "Markdown",
        ReportFormat::Json => "JSON",
        ReportFormat::Csv => "CSV",
        ReportFormat::Html => "HTML",
    }
}

/// The format asked for, or `--out`'s extension's, or Markdown.
fn format(args: &ReportArgs) -> Result<ReportFormat> {
    if args.json {
        return Ok(ReportFormat::Json);
    }
    if let Some(format) = args.format {
        return Ok(format);
    }
    let extension = args
        .out
        .as_deref()
        .and_then(Path::extension)
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    Ok(match extension.as_deref() {
        None | Some("md" | "markdown" | "txt") => ReportFormat::Md,
        Some("json") => ReportFormat::Json,
        Some("csv") => ReportFormat::Csv,
        Some("html" | "htm") => ReportFormat::Html,
        Some(other) => {
            bail!("cannot tell the format from `.{other}`; add `--format md|json|csv|html`")
        }
    })
}

/// The period and project, checked.
fn scope(args: &ReportArgs) -> Result<Scope> {
    let (from, to) = match (&args.since, &args.from, &args.to) {
        (Some(since), _, _) => (Some(super::audit::since(since)?), None),
        (None, None, None) => (Some(super::audit::since(DEFAULT_SINCE)?), None),
        (None, from, to) => (
            from.as_deref().map(|t| bound("--from", t)).transpose()?,
            to.as_deref().map(|t| bound("--to", t)).transpose()?,
        ),
    };
    if let (Some(from), Some(to)) = (&from, &to)
        && from >= to
    {
        bail!("the period is empty: --from {from} is not before --to {to}");
    }
    let project = args
        .project
        .as_deref()
        .map(|dir| {
            std::path::absolute(dir)
                .with_context(|| format!("cannot resolve the project `{}`", dir.display()))
                .map(|dir| dir.display().to_string())
        })
        .transpose()?;
    Ok(Scope { from, to, project })
}

/// A `--from` or `--to`: a date (midnight UTC) or an RFC 3339 time.
fn bound(flag: &str, text: &str) -> Result<String> {
    let text = text.trim();
    if let Ok(timestamp) = text.parse::<jiff::Timestamp>() {
        return Ok(ward_ledger::format_time(timestamp));
    }
    if let Ok(date) = text.parse::<jiff::civil::Date>() {
        return Ok(format!("{date}T00:00:00.000000Z"));
    }
    bail!(
        "{flag} `{text}` is neither a date (2026-11-01) nor an RFC 3339 time (2026-11-01T09:00:00Z)"
    )
}
