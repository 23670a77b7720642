//! The period's risk level: a few rules, each a finding an auditor can check
//! against the rest of the report, rather than a weighted score nobody can
//! reproduce. The level is the gravest finding's (`docs/report.md`):
//!
//! - `critical`: a full verification found the ledger changed, truncated or
//!   forked: the evidence itself is in doubt.
//! - `high`: a call whose rule is `critical` (cannot be undone, or attacks Ward)
//!   was denied or asked about; or a break-glass override set enforcement aside.
//! - `elevated`: 1% or more of the calls were denied; a `high`-severity rule
//!   denied a call; approval requests expired undecided; Ward failed closed; or
//!   records are not covered by a signed checkpoint.
//! - `low`: none of these.

use crate::model::{Report, Risk};

/// The level, least grave first.
const LEVELS: [&str; 4] = ["low", "elevated", "high", "critical"];

/// Assesses a report whose other sections are filled in.
pub(crate) fn assess(report: &Report) -> Risk {
    let mut findings: Vec<(usize, String)> = Vec::new();
    if let Some(verified) = &report.integrity.verified
        && !verified.ok
    {
        findings.push((
            3,
            format!(
                "verification found {} problem(s) in the ledger",
                verified.problems.len()
            ),
        ));
    }
    if report.by_severity.critical > 0 {
        findings.push((
            2,
            format!(
                "{} call(s) matched a critical rule (denied or asked about)",
                report.by_severity.critical
            ),
        ));
    }
    if !report.overrides.is_empty() {
        let calls: u64 = report.overrides.iter().map(|o| o.calls).sum();
        findings.push((
            2,
            format!(
                "{} break-glass override(s) set enforcement aside for {calls} call(s)",
                report.overrides.len()
            ),
        ));
    }
    let totals = &report.totals;
    if totals.calls > 0 && totals.block_rate >= 0.01 {
        findings.push((
            1,
            format!(
                "{:.1}% of calls were denied ({} of {})",
                totals.block_rate * 100.0,
                totals.deny,
                totals.calls
            ),
        ));
    }
    if report.by_severity.high > 0 {
        findings.push((
            1,
            format!(
                "{} call(s) matched a high-severity rule",
                report.by_severity.high
            ),
        ));
    }
    if report.approvals.expired > 0 {
        findings.push((
            1,
            format!(
                "{} approval request(s) expired undecided",
                report.approvals.expired
            ),
        ));
    }
    if totals.ward_errors > 0 {
        findings.push((
            1,
            format!(
                "Ward failed on {} call(s) and denied them",
                totals.ward_errors
            ),
        ));
    }
    if report.integrity.uncovered_records > 0 {
        findings.push((
            1,
            format!(
                "{} record(s) are not yet covered by a signed checkpoint",
                report.integrity.uncovered_records
            ),
        ));
    }
    findings.sort_by_key(|finding| std::cmp::Reverse(finding.0));
    let level = findings.first().map_or(0, |(level, _)| *level);
    Risk {
        level: LEVELS[level].to_owned(),
        reasons: findings.into_iter().map(|(_, reason)| reason).collect(),
    }
}
