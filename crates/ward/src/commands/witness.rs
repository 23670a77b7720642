//! `ward witness show|cosign`: this home as a witness of other Ward logs.
//!
//! The witness keeps, per log origin, the last checkpoint it cosigned (size and
//! root) in `witness/state.json`, and cosigns a new checkpoint only if it is
//! signed by the log's key and proved to extend that one. It never cosigns two
//! different roots for one size, nor a smaller tree: a log that forks its history
//! cannot get this witness's signature on both branches. The state is read and
//! written under a lock, so two cosigns at once cannot both extend the same state.
//!
//! The witness key is its own (`witness-key.pem`), not the host key: the
//! cosignature format does not commit to the signer's name, so one key must not
//! serve two roles.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use ward_ledger::checkpoint::{Checkpoint, SignedNote};
use ward_ledger::cosignature::{LOG_KEY_TYPE, VerifierKey, WITNESS_KEY_TYPE, cosign};
use ward_ledger::merkle;
use ward_ledger::proof::ConsistencyProof;

use crate::cli::WitnessCommand;
use crate::home::{Home, write_atomically};
use crate::output;

/// What the witness remembers of one log.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Witnessed {
    /// The log key that signed the last cosigned checkpoint.
    log_key: String,
    /// The last cosigned tree size.
    size: u64,
    /// Its root, hex.
    root: String,
    /// When (RFC 3339, UTC).
    cosigned_at: String,
}

/// `witness/state.json`: logs by origin.
#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    logs: BTreeMap<String, Witnessed>,
}

fn key_path(home: &Home) -> PathBuf {
    home.root.join("witness-key.pem")
}

fn state_dir(home: &Home) -> PathBuf {
    home.root.join("witness")
}

/// The witness's name: the key name its cosignature lines carry.
fn witness_name(key: &SigningKey) -> String {
    format!(
        "ward-witness/{}",
        ward_ledger::checkpoint::key_id(&key.verifying_key())
    )
}

/// Loads the witness key, making it on first use. Returns whether it was made.
fn witness_key(home: &Home) -> Result<(SigningKey, bool)> {
    let path = key_path(home);
    if path.exists() {
        return Ok((crate::keyring::read_key_file(&path)?, false));
    }
    fs::create_dir_all(&home.root)
        .with_context(|| format!("cannot create `{}`", home.root.display()))?;
    let key = crate::home::new_signing_key()?;
    crate::home::write_key(&path, &key)?;
    Ok((key, true))
}

fn read_state(home: &Home) -> Result<State> {
    let path = state_dir(home).join("state.json");
    match fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).with_context(|| {
            format!(
                "the witness state `{}` is damaged; restore it from a backup (deleting it \
                 makes this witness trust the next checkpoint of every log blindly)",
                path.display()
            )
        }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
        Err(error) => Err(error).with_context(|| format!("cannot read `{}`", path.display())),
    }
}

pub(crate) fn run(home: &Home, command: WitnessCommand) -> Result<ExitCode> {
    match command {
        WitnessCommand::Show { json } => show(home, json),
        WitnessCommand::Cosign {
            checkpoint,
            log_key,
            proof,
            out,
        } => cosign_checkpoint(
            home,
            &checkpoint,
            &log_key,
            proof.as_deref(),
            out.as_deref(),
        ),
    }
}

#[derive(Debug, Serialize)]
struct Shown {
    name: String,
    vkey: String,
    key_file: String,
    logs: BTreeMap<String, Witnessed>,
}

fn show(home: &Home, json: bool) -> Result<ExitCode> {
    let (key, made) = witness_key(home)?;
    let name = witness_name(&key);
    let vkey = VerifierKey {
        name: name.clone(),
        kind: WITNESS_KEY_TYPE,
        key: key.verifying_key(),
    };
    let shown = Shown {
        name,
        vkey: vkey.to_string(),
        key_file: key_path(home).display().to_string(),
        logs: read_state(home)?.logs,
    };
    if json {
        output::json(&shown)?;
        return Ok(ExitCode::SUCCESS);
    }
    if made {
        output::status(&format!("Made a witness key in {}", shown.key_file));
    }
    let mut text = format!(
        "witness:     {}\nvkey:        {}\nprivate key: {} (never printed)\n",
        shown.name, shown.vkey, shown.key_file
    );
    if shown.logs.is_empty() {
        text.push_str("logs:        none witnessed yet\n");
    }
    for (origin, log) in &shown.logs {
        text.push_str(&format!(
            "log:         {origin}: cosigned {} records at {}\n",
            log.size, log.cosigned_at
        ));
    }
    text.push_str(
        "\nGive the vkey to the log's owner: it goes into `witnesses` under `[ledger]` in their policy.",
    );
    output::data(&text);
    Ok(ExitCode::SUCCESS)
}

fn cosign_checkpoint(
    home: &Home,
    file: &Path,
    log_key: &str,
    proof: Option<&Path>,
    out: Option<&Path>,
) -> Result<ExitCode> {
    let text = super::proofs::read_input(file)?;
    let mut note = SignedNote::parse(&text)
        .with_context(|| format!("`{}` is not a signed checkpoint", file.display()))?;
    let checkpoint = Checkpoint::parse_body(&note.body)
        .with_context(|| format!("`{}` is not a signed checkpoint", file.display()))?;
    let log_key = VerifierKey::parse(log_key)?;
    if log_key.kind != LOG_KEY_TYPE {
        bail!(
            "--log-key `{}` is a witness's key; give the log's key (`ward keys show` prints \
             it on the log's machine)",
            log_key.name
        );
    }
    if log_key.name != checkpoint.origin {
        bail!(
            "the checkpoint is of the log `{}`, but --log-key is the key of `{}`",
            checkpoint.origin,
            log_key.name
        );
    }
    note.verify(&log_key.name, &log_key.key).with_context(|| {
        format!(
            "the checkpoint is not signed by the log key you gave; refusing to cosign `{}`",
            file.display()
        )
    })?;
    let proof = proof
        .map(|path| -> Result<ConsistencyProof> {
            let text = super::proofs::read_input(path)?;
            serde_json::from_str(&text)
                .with_context(|| format!("`{}` is not a consistency proof", path.display()))
        })
        .transpose()?;

    let dir = state_dir(home);
    fs::create_dir_all(&dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let lock = crate::home::lock_exclusive(&dir.join("state.lock"))?;

    let mut state = read_state(home)?;
    let root = merkle::to_hex(&checkpoint.root);
    let first = match state.logs.get(&checkpoint.origin) {
        None => true,
        Some(known) => {
            check_extends(known, &checkpoint, &root, proof.as_ref())?;
            false
        }
    };
    let (key, _) = witness_key(home)?;
    let name = witness_name(&key);
    let now = jiff::Timestamp::now();
    let timestamp = u64::try_from(now.as_second()).unwrap_or(0);
    // One line per witness: a re-cosign replaces this witness's earlier line.
    note.signatures.retain(|line| line.name != name);
    note.signatures
        .push(cosign(&note.body, &name, &key, timestamp));
    state.logs.insert(
        checkpoint.origin.clone(),
        Witnessed {
            log_key: log_key.to_string(),
            size: checkpoint.size,
            root,
            cosigned_at: ward_ledger::format_time(now),
        },
    );
    let state_text = serde_json::to_string_pretty(&state)?;
    write_atomically(&dir.join("state.json"), state_text.as_bytes(), 0o600)?;
    drop(lock);

    let cosigned = note.text();
    match out {
        Some(path) => {
            let mut file = fs::File::create(path)
                .with_context(|| format!("cannot create `{}`", path.display()))?;
            file.write_all(cosigned.as_bytes())
                .with_context(|| format!("cannot write `{}`", path.display()))?;
        }
        None => output::data(cosigned.trim_end_matches('\n')),
    }
    output::status(&format!(
        "Cosigned the checkpoint of {} records of `{}` as {name}{}.",
        checkpoint.size,
        checkpoint.origin,
        if first {
            " (the first of this log this witness has seen: taken as it is)"
        } else {
            ", proved to extend the last one cosigned"
        }
    ));
    Ok(ExitCode::SUCCESS)
}

/// Whether `checkpoint` may be cosigned after `known`: the same tree again, or a
/// larger one a consistency proof shows to extend it.
fn check_extends(
    known: &Witnessed,
    checkpoint: &Checkpoint,
    root: &str,
    proof: Option<&ConsistencyProof>,
) -> Result<()> {
    let origin = &checkpoint.origin;
    if checkpoint.size < known.size {
        bail!(
            "this witness already cosigned {} records of `{origin}`; refusing to cosign an older \
             checkpoint of {} (a rolled-back log?)",
            known.size,
            checkpoint.size
        );
    }
    if checkpoint.size == known.size {
        if root == known.root {
            return Ok(());
        }
        bail!(
            "SPLIT VIEW: this witness cosigned {} records of `{origin}` with root {}, and this \
             checkpoint states another root ({root}) for the same size; refusing. The log has \
             shown two different histories",
            known.size,
            known.root
        );
    }
    let Some(proof) = proof else {
        bail!(
            "this witness last cosigned {} records of `{origin}`; a checkpoint of {} needs a \
             consistency proof: on the log's machine run `ward audit consistency {} {} --out \
             proof.json`, then pass --proof proof.json",
            known.size,
            checkpoint.size,
            known.size,
            checkpoint.size
        );
    };
    if proof.old_size != known.size
        || proof.new_size != checkpoint.size
        || proof.old_root != known.root
        || proof.new_root != root
    {
        bail!(
            "the proof is between {} and {} records, but this witness needs one from the {} \
             records it cosigned (root {}) to this checkpoint's {} (root {root})",
            proof.old_size,
            proof.new_size,
            known.size,
            known.root,
            checkpoint.size
        );
    }
    proof.check().map_err(|error| {
        anyhow::anyhow!(
            "the consistency proof does not verify ({error}): the log's {} records are not a \
             prefix of this checkpoint's tree; refusing to cosign",
            known.size
        )
    })?;
    Ok(())
}
