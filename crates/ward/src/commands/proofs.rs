//! `ward audit prove|consistency|verify-proof`: Merkle proofs over the ledger.
//!
//! `ward audit checkpoint`: signing the tree's checkpoints with the host key.
//!
//! Proofs are JSON documents (see `ward_ledger::proof`); `verify-proof` checks one
//! with nothing but the file, so an auditor can run it on another machine.

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use serde_json::Value;
use ward_ledger::bundle::{BundleKey, Selection};
use ward_ledger::proof::{
    CONSISTENCY_TYPE, ConsistencyProof, INCLUSION_TYPE, InclusionProof, expect_root,
};
use ward_ledger::{Ledger, RecordFilter};

use crate::home::Home;
use crate::output;

pub(crate) fn prove(
    ledger: &Ledger,
    seq: u64,
    size: Option<u64>,
    out: Option<&Path>,
) -> Result<ExitCode> {
    let proof = ledger.inclusion_proof(seq, size)?;
    write_proof(&proof, out, &format!("record {seq}"))
}

pub(crate) fn consistency(
    ledger: &Ledger,
    old: u64,
    new: Option<u64>,
    out: Option<&Path>,
) -> Result<ExitCode> {
    let new = match new {
        Some(new) => new,
        None => ledger.tree_size()?,
    };
    let proof = ledger.consistency_proof(old, new)?;
    write_proof(&proof, out, &format!("sizes {old} and {new}"))
}

fn write_proof<T: Serialize>(proof: &T, out: Option<&Path>, what: &str) -> Result<ExitCode> {
    let text = serde_json::to_string_pretty(proof)?;
    match out {
        Some(path) => {
            std::fs::write(path, format!("{text}\n"))
                .with_context(|| format!("cannot write `{}`", path.display()))?;
            output::status(&format!("Wrote the proof for {what} to {}", path.display()));
        }
        None => output::data(&text),
    }
    Ok(ExitCode::SUCCESS)
}

/// The result of checking a proof file, as `--json` prints it.
#[derive(Debug, Serialize)]
struct Checked {
    ok: bool,
    #[serde(rename = "type")]
    kind: String,
    /// What the proof shows, in words.
    claim: String,
    /// The root the proof leads to (the new root for a consistency proof).
    root: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

pub(crate) fn verify_proof(file: &Path, root: Option<&str>, json: bool) -> Result<ExitCode> {
    let text = read_input(file)?;
    let value: Value =
        serde_json::from_str(&text).with_context(|| format!("`{}` is not JSON", file.display()))?;
    let kind = value
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let (claim, proved_root, checked) = match kind.as_str() {
        INCLUSION_TYPE => {
            let proof: InclusionProof = serde_json::from_value(value)
                .with_context(|| format!("`{}` is not a valid inclusion proof", file.display()))?;
            let claim = format!(
                "record {} is in the tree of {} records",
                proof.seq, proof.tree_size
            );
            (claim, proof.root.clone(), proof.check())
        }
        CONSISTENCY_TYPE => {
            let proof: ConsistencyProof = serde_json::from_value(value).with_context(|| {
                format!("`{}` is not a valid consistency proof", file.display())
            })?;
            let claim = format!(
                "the tree of {} records is a prefix of the tree of {} records",
                proof.old_size, proof.new_size
            );
            (claim, proof.new_root.clone(), proof.check())
        }
        other => bail!(
            "`{}` is not a Ward proof: its `type` is `{other}` (expected `{INCLUSION_TYPE}` or \
             `{CONSISTENCY_TYPE}`)",
            file.display()
        ),
    };
    let checked = checked.and_then(|()| match root {
        Some(expected) => expect_root(&proved_root, expected),
        None => Ok(()),
    });
    let result = Checked {
        ok: checked.is_ok(),
        kind,
        claim,
        root: proved_root,
        error: checked.err().map(|error| error.to_string()),
    };
    if json {
        output::json(&result)?;
    } else if let Some(error) = &result.error {
        output::data(&format!(
            "FAILED: the proof does not show that {}: {error}",
            result.claim
        ));
    } else {
        let trust = if root.is_some() {
            "the root you gave"
        } else {
            "this root; pass --root with one you trust (e.g. from a signed checkpoint)"
        };
        output::data(&format!(
            "ok: {} with root {} ({trust}).",
            result.claim, result.root
        ));
    }
    Ok(if result.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn read_input(file: &Path) -> Result<String> {
    if file == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the proof from stdin")?;
        return Ok(text);
    }
    std::fs::read_to_string(file).with_context(|| format!("cannot read `{}`", file.display()))
}

/// Records since the last checkpoint after which the background ingest signs one.
pub(crate) const CHECKPOINT_EVERY_RECORDS: u64 = 1_000;

/// Seconds since the last checkpoint after which the background ingest signs one
/// (if there are new records).
pub(crate) const CHECKPOINT_EVERY_SECONDS: i64 = 600;

pub(crate) fn checkpoint(
    home: &Home,
    ledger: &mut Ledger,
    quiet: bool,
    json: bool,
) -> Result<ExitCode> {
    let signed = match sign(home, ledger) {
        Ok(signed) => signed,
        Err(error) if quiet => {
            // Started by a hook in the background, with no terminal: a refusal to
            // sign (a rewritten ledger) must still be seen, so it is logged.
            super::hook::log(home, &format!("cannot sign a checkpoint: {error:#}"));
            return Err(error);
        }
        Err(error) => return Err(error),
    };
    if json {
        output::json(&signed)?;
    } else if !quiet {
        let size = signed.checkpoint.tree_size;
        let line = match (signed.new, signed.consistent_with) {
            (false, _) => format!("The checkpoint of {size} records already covers every record."),
            (true, Some(old)) => format!(
                "Signed a checkpoint of {size} records, proved to extend the checkpoint of {old}."
            ),
            (true, None) => format!("Signed the first checkpoint, of {size} records."),
        };
        output::data(&format!("{line}\n\n{}", signed.checkpoint.note));
    }
    Ok(ExitCode::SUCCESS)
}

/// Signs a checkpoint of the whole tree with the host key.
pub(crate) fn sign(home: &Home, ledger: &mut Ledger) -> Result<ward_ledger::Signed> {
    let key = home.read_signing_key()?;
    let identity = home.read_identity()?;
    let origin = ward_ledger::checkpoint::origin_for(&identity.key_id);
    Ok(ledger.sign_checkpoint(&key, &origin)?)
}

/// Whether a checkpoint is due: enough records since the last one, or new records
/// and enough time.
pub(crate) fn checkpoint_due(ledger: &Ledger) -> Result<bool> {
    let (since, last) = ledger.since_checkpoint()?;
    if since == 0 {
        return Ok(false);
    }
    if since >= CHECKPOINT_EVERY_RECORDS {
        return Ok(true);
    }
    let Some(last) = last else {
        return Ok(true);
    };
    let age = last
        .parse::<jiff::Timestamp>()
        .map(|then| jiff::Timestamp::now().duration_since(then).as_secs())
        .unwrap_or(i64::MAX);
    Ok(age >= CHECKPOINT_EVERY_SECONDS)
}

pub(crate) fn export_bundle(
    home: &Home,
    ledger: &mut Ledger,
    dir: &Path,
    session: Option<&str>,
    since: Option<&str>,
) -> Result<ExitCode> {
    // Proofs need a signed root over the records: sign one now if the latest
    // checkpoint does not cover every record.
    sign(home, ledger)?;
    let session_id = session.map(|s| ledger.find_session(s)).transpose()?;
    let since = since.map(super::audit::since).transpose()?;
    let filter = RecordFilter {
        session_id: session_id.clone(),
        since: since.clone(),
        ..RecordFilter::default()
    };
    let identity = home.read_identity()?;
    let keys = vec![BundleKey {
        name: ward_ledger::checkpoint::origin_for(&identity.key_id),
        key_id: identity.key_id,
        public_key: identity.public_key,
    }];
    let selection = Selection {
        session: session_id,
        since,
    };
    let exported = ledger.export_bundle(dir, &filter, selection, keys)?;
    output::status(&format!(
        "Exported {} records, proved against the signed checkpoint of {} records, to {}",
        exported.records,
        exported.tree_size,
        dir.display()
    ));
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn verify_bundle(dir: &Path, json: bool) -> Result<ExitCode> {
    let report = ward_ledger::bundle::verify_bundle(dir)?;
    if json {
        output::json(&report)?;
    } else if report.ok {
        output::data(&format!(
            "ok: {} records checked against the signed checkpoint of {} records; {} earlier \
             checkpoint(s) consistent with it.",
            report.records, report.tree_size, report.earlier_checkpoints
        ));
    } else {
        let mut text = format!("FAILED: {}\n", report.problems[0]);
        for problem in report.problems.iter().skip(1) {
            text.push_str(&format!("  {problem}\n"));
        }
        output::data(&text);
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
