//! `ward audit prune`: retention. What is pruned and why it still verifies is
//! `ward_ledger`'s (`crates/ward-ledger/src/prune.rs`); this decides the date from
//! the policy's retention period, signs a checkpoint when the records to prune
//! are not covered by one, asks for `--yes`, and records who pruned.

use std::process::ExitCode;

use anyhow::{Result, bail};
use serde::Serialize;
use serde_json::json;
use ward_ledger::{Ledger, PrunePlan};

use crate::home::Home;
use crate::output;

#[derive(Serialize)]
struct Pruned<'a> {
    #[serde(flatten)]
    plan: &'a PrunePlan,
    retention_days: u64,
    dry_run: bool,
    pruned: u64,
}

pub(crate) fn run(
    home: &Home,
    ledger: &mut Ledger,
    before: Option<&str>,
    dry_run: bool,
    yes: bool,
    json: bool,
) -> Result<ExitCode> {
    let settings = crate::layers::ledger_settings(home)?;
    let days = settings.retention_days;
    let limit = jiff::Timestamp::now()
        .checked_sub(jiff::SignedDuration::from_hours(
            24 * i64::try_from(days).unwrap_or(i64::MAX / 48),
        ))
        .unwrap_or(jiff::Timestamp::MIN);
    let limit_text = ward_ledger::format_time(limit);
    let before = match before {
        None => limit_text.clone(),
        Some(text) => {
            let asked = super::audit::since(text)?;
            if asked > limit_text {
                bail!(
                    "--before {text} would prune records younger than the retention period \
                     ({days} days, `[ledger] retention_days`): the latest allowed is \
                     {limit_text}"
                );
            }
            asked
        }
    };
    let mut plan = ledger.prune_plan(&before)?;
    let uncovered = plan.uncovered;
    if uncovered > 0 {
        if !dry_run && yes {
            // The pruned records' leaves must be committed by a signed checkpoint
            // first.
            super::proofs::sign(home, ledger)?;
            plan = ledger.prune_plan(&before)?;
        } else {
            // What a prune would do once it has signed one.
            plan = ledger.prune_plan_with(&before, false)?;
        }
    }
    if !dry_run && !yes && plan.records > 0 {
        bail!(
            "this removes the bodies of {} record(s) from {} to {} for good; run again with \
             --yes (or --dry-run to see what would go)",
            plan.records,
            plan.first_time.as_deref().unwrap_or("?"),
            plan.last_time.as_deref().unwrap_or("?")
        );
    }
    let mut pruned = 0;
    if !dry_run && plan.records > 0 {
        let identity = home.read_identity()?;
        let recorded = crate::keyring::host_record(
            home,
            &identity,
            ward_ledger::PRUNED_EVENT,
            json!({
                "through_seq": plan.through_seq,
                "before": plan.before,
                "records": plan.records,
                "retention_days": days,
                "by": identity.os_user,
            }),
        );
        let mut progress = crate::progress::Progress::new("records", json);
        pruned = ledger.prune(&plan, recorded, &mut |done, total| {
            progress.update("pruning", done, total);
        })?;
        // Commit the prune's own record to a checkpoint as well.
        super::proofs::sign(home, ledger)?;
    }
    if json {
        output::json(&Pruned {
            plan: &plan,
            retention_days: days,
            dry_run,
            pruned,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = if plan.records == 0 {
        format!("Nothing to prune: no record older than {before} still has its body.")
    } else if dry_run {
        format!(
            "Would prune the bodies of {} record(s) from {} to {} (records up to {}); run with \
             --yes to prune.",
            plan.records,
            plan.first_time.as_deref().unwrap_or("?"),
            plan.last_time.as_deref().unwrap_or("?"),
            plan.through_seq
        )
    } else {
        format!(
            "Pruned the bodies of {pruned} record(s) from {} to {} (records up to {}). Their \
             hashes and Merkle leaves remain: `ward audit verify` still checks every record and \
             checkpoint.",
            plan.first_time.as_deref().unwrap_or("?"),
            plan.last_time.as_deref().unwrap_or("?"),
            plan.through_seq
        )
    };
    if uncovered > 0 && dry_run {
        text.push_str(&format!(
            "\n{uncovered} of the records are not yet covered by a signed checkpoint; pruning \
             signs one first."
        ));
    }
    output::data(&text);
    Ok(ExitCode::SUCCESS)
}
