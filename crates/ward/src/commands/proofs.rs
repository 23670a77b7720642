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
use ward_core::policy::LedgerSettings;
use ward_ledger::bundle::Selection;
use ward_ledger::cosignature::{VerifierKey, WITNESS_KEY_TYPE};
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

pub(crate) fn read_input(file: &Path) -> Result<String> {
    if file == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the proof from stdin")?;
        return Ok(text);
    }
    std::fs::read_to_string(file).with_context(|| format!("cannot read `{}`", file.display()))
}

pub(crate) fn checkpoint(
    home: &Home,
    ledger: &mut Ledger,
    quiet: bool,
    out: Option<&Path>,
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
    if let Some(path) = out {
        std::fs::write(path, &signed.checkpoint.note)
            .with_context(|| format!("cannot write `{}`", path.display()))?;
    }
    // The note names its key by a 4-byte hash; people and programs get the id.
    let key_id = signed_by(home, &signed.checkpoint.note);
    if json {
        output::json(&SignedOutput {
            signed: &signed,
            key_id: key_id.as_deref(),
        })?;
    } else if !quiet {
        let size = signed.checkpoint.tree_size;
        let line = match (signed.new, signed.consistent_with) {
            (false, _) => format!("The checkpoint of {size} records already covers every record."),
            (true, Some(old)) => format!(
                "Signed a checkpoint of {size} records, proved to extend the checkpoint of {old}."
            ),
            (true, None) => format!("Signed the first checkpoint, of {size} records."),
        };
        let key = key_id.map_or_else(String::new, |id| format!(" Key {id}."));
        output::data(&format!("{line}{key}\n\n{}", signed.checkpoint.note));
    }
    Ok(ExitCode::SUCCESS)
}

/// `audit checkpoint --json`: what was signed, and by which key.
#[derive(Serialize)]
struct SignedOutput<'a> {
    #[serde(flatten)]
    signed: &'a ward_ledger::Signed,
    key_id: Option<&'a str>,
}

/// The id of the log key whose signature the note carries.
fn signed_by(home: &Home, note: &str) -> Option<String> {
    let note = ward_ledger::checkpoint::SignedNote::parse(note).ok()?;
    home.trusted_keys()
        .ok()?
        .iter()
        .find(|key| note.verify(&key.name, &key.key).is_ok())
        .map(|key| ward_ledger::checkpoint::key_id(&key.key))
}

/// Signs a checkpoint of the whole tree with the host key (the policy's managed
/// key file, if it names one).
pub(crate) fn sign(home: &Home, ledger: &mut Ledger) -> Result<ward_ledger::Signed> {
    let settings = crate::layers::ledger_settings(home)?;
    let signer = crate::keyring::signer(home, &settings, ledger)?;
    let trusted = home.trusted_keys()?;
    Ok(ledger.sign_checkpoint(&signer.key, &signer.identity.origin(), &trusted)?)
}

/// Whether a checkpoint is due: `checkpoint_every_records` records since the last
/// one, or new records and `checkpoint_every_seconds` seconds.
pub(crate) fn checkpoint_due(ledger: &Ledger, settings: &LedgerSettings) -> Result<bool> {
    let (since, last) = ledger.since_checkpoint()?;
    if since == 0 {
        return Ok(false);
    }
    if since >= settings.checkpoint_every_records {
        return Ok(true);
    }
    let Some(last) = last else {
        return Ok(true);
    };
    let age = last
        .parse::<jiff::Timestamp>()
        .map(|then| jiff::Timestamp::now().duration_since(then).as_secs())
        .unwrap_or(i64::MAX);
    Ok(u64::try_from(age).unwrap_or(0) >= settings.checkpoint_every_seconds)
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
    let keys = home.bundle_keys()?;
    let witnesses = witness_keys(&crate::layers::ledger_settings(home)?, &[])?;
    let selection = Selection {
        session: session_id,
        since,
    };
    let exported = ledger.export_bundle(dir, &filter, selection, keys, &witnesses)?;
    output::status(&format!(
        "Exported {} records, proved against the signed checkpoint of {} records, to {}",
        exported.records,
        exported.tree_size,
        dir.display()
    ));
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn verify_bundle(
    dir: &Path,
    witnesses: &[String],
    trusted_key_ids: &[String],
    json: bool,
) -> Result<ExitCode> {
    let given = witness_keys(&LedgerSettings::default(), witnesses)?;
    if let Some(bad) = trusted_key_ids
        .iter()
        .find(|id| id.len() != 16 || !id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
    {
        bail!(
            "--trust-key `{bad}` is not a key id (16 lower-case hex digits, as keys.json lists them)"
        );
    }
    let report = ward_ledger::bundle::verify_bundle(dir, &given, trusted_key_ids)?;
    if json {
        output::json(&report)?;
    } else if report.ok {
        let witnessed = if report.witnesses.is_empty() {
            "no witness cosigned it".to_owned()
        } else {
            format!(
                "cosigned by {} witness(es): {}",
                report.witnesses.len(),
                report.witnesses.join(", ")
            )
        };
        output::data(&format!(
            "ok: {} records checked against the signed checkpoint of {} records; {} earlier \
             checkpoint(s) consistent with it; {witnessed}.",
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

/// The witness keys that count: the policy's and the ones given on the command
/// line, parsed (a bad one is an error naming it, not silently skipped).
pub(crate) fn witness_keys(
    settings: &LedgerSettings,
    given: &[String],
) -> Result<Vec<VerifierKey>> {
    let mut keys: Vec<VerifierKey> = Vec::new();
    for (text, source) in settings
        .witnesses
        .iter()
        .map(|text| (text, "`witnesses` under `[ledger]` in the policy"))
        .chain(given.iter().map(|text| (text, "the command line")))
    {
        let key = VerifierKey::parse(text).with_context(|| format!("in {source}"))?;
        if key.kind != WITNESS_KEY_TYPE {
            bail!(
                "in {source}: `{}` is a log's key, not a witness's cosignature key (`ward \
                 witness show` prints those)",
                key.name
            );
        }
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    Ok(keys)
}

pub(crate) fn add_cosignature(
    home: &Home,
    ledger: &mut Ledger,
    file: &Path,
    given: &[String],
    json: bool,
) -> Result<ExitCode> {
    let text = read_input(file)?;
    let witnesses = witness_keys(&crate::layers::ledger_settings(home)?, given)?;
    let added = ledger.add_cosignatures(&text, &witnesses)?;
    if json {
        output::json(&added)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut lines = Vec::new();
    if !added.added.is_empty() {
        lines.push(format!(
            "Stored the cosignature(s) of {} on the checkpoint of {} records.",
            added.added.join(", "),
            added.tree_size
        ));
    }
    if !added.already.is_empty() {
        lines.push(format!(
            "The checkpoint of {} records already carried the cosignature(s) of {}.",
            added.tree_size,
            added.already.join(", ")
        ));
    }
    if lines.is_empty() {
        lines.push(format!(
            "The file carries no witness cosignature for the checkpoint of {} records.",
            added.tree_size
        ));
    }
    output::data(&lines.join("\n"));
    Ok(ExitCode::SUCCESS)
}
