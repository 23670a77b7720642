//! Export bundles: a directory of records, their inclusion proofs, the signed
//! checkpoint they are proved against, earlier checkpoints with consistency proofs,
//! and the public keys — everything an auditor needs to check a selection of the
//! ledger offline. The format is specified in `docs/ledger-format.md` ("Bundles"),
//! and checked by an independent Python verifier (`tools/verify_bundle.py`) as well
//! as by [`verify_bundle`] here.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::checkpoint::{Checkpoint, CheckpointError, KeyEndorsement, SignedNote};
use crate::cosignature::{Cosigned, VerifierKey, WITNESS_KEY_TYPE, verify_cosignature};
use crate::hash::{canonical, sha256_hex};
use crate::merkle::{self, Hash};
use crate::query::RecordFilter;
use crate::record::format_time;
use crate::store::{Ledger, SqliteNodes};
use crate::{LedgerError, TrustedKey};

/// The `format` of `bundle.json`.
pub const BUNDLE_FORMAT: &str = "ward-bundle";

/// `bundle.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`BUNDLE_FORMAT`].
    pub format: String,
    /// Format version, 1.
    pub version: u32,
    /// The log's origin, `ward/<key id>`.
    pub origin: String,
    /// The size of the checkpoint the records are proved against.
    pub tree_size: u64,
    /// The number of record lines.
    pub records: u64,
    /// What was selected.
    pub selection: Selection,
    /// When the bundle was written.
    pub created_at: String,
}

/// The records a bundle was asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    /// One whole session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// Records at or after this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
}

/// One entry of `keys.json`: one of the log's keys, current or retired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleKey {
    /// The key name: the log's origin (all of a log's keys sign under it).
    pub name: String,
    /// The first 16 hex digits of SHA-256 over the public key.
    pub key_id: String,
    /// The raw Ed25519 public key, hex.
    pub public_key: String,
    /// For a retired key, the largest tree it may have signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until_size: Option<u64>,
    /// For every key but the log's first: the [`KeyEndorsement`] note its
    /// predecessor signed to introduce it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endorsement: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct RecordLine {
    seq: u64,
    hash: String,
    record: String,
    path: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct CheckpointLine {
    tree_size: u64,
    note: String,
    consistency: Vec<String>,
}

/// What [`Ledger::export_bundle`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exported {
    /// The directory.
    pub dir: PathBuf,
    /// Records written.
    pub records: u64,
    /// The checkpoint size they are proved against.
    pub tree_size: u64,
    /// Earlier checkpoints included.
    pub earlier_checkpoints: u64,
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> LedgerError + '_ {
    move |source| LedgerError::BundleFile {
        path: path.to_path_buf(),
        source,
    }
}

impl Ledger {
    /// Writes a bundle of the records `filter` selects into `dir` (created; must be
    /// empty if it exists), proved against the latest checkpoint, which must exist.
    /// Records newer than that checkpoint are left out.
    pub fn export_bundle(
        &self,
        dir: &Path,
        filter: &RecordFilter,
        selection: Selection,
        keys: Vec<BundleKey>,
        witnesses: &[VerifierKey],
    ) -> Result<Exported, LedgerError> {
        let sqlite = |error| self.sqlite(error);
        let checkpoints = self.checkpoints()?;
        let latest = checkpoints.last().ok_or_else(|| {
            LedgerError::Proof(
                "no checkpoint has been signed yet; run `ward audit checkpoint`".to_owned(),
            )
        })?;
        let note = SignedNote::parse(&latest.note)
            .map_err(|error| LedgerError::Proof(format!("the latest checkpoint: {error}")))?;
        let anchor = Checkpoint::parse_body(&note.body)
            .map_err(|error| LedgerError::Proof(format!("the latest checkpoint: {error}")))?;
        let size = latest.tree_size;
        if fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some()) {
            return Err(LedgerError::Proof(format!(
                "`{}` is not empty; give a new or empty directory",
                dir.display()
            )));
        }
        fs::create_dir_all(dir).map_err(io_error(dir))?;

        let nodes = SqliteNodes(&self.conn);
        let mut lines = String::new();
        let mut count = 0u64;
        for stored in self.records(filter)? {
            if stored.seq > size {
                continue;
            }
            let path = merkle::inclusion_proof(&nodes, stored.seq - 1, size).map_err(sqlite)?;
            let line = RecordLine {
                seq: stored.seq,
                hash: stored.hash,
                record: stored.body,
                path: path.iter().map(merkle::to_hex).collect(),
            };
            lines.push_str(&serde_json::to_string(&line).map_err(LedgerError::Serialize)?);
            lines.push('\n');
            count += 1;
        }
        let mut earlier = String::new();
        for stored in checkpoints.iter().filter(|c| c.tree_size < size) {
            let proof =
                merkle::consistency_proof(&nodes, stored.tree_size, size).map_err(sqlite)?;
            let line = CheckpointLine {
                tree_size: stored.tree_size,
                note: stored.note.clone(),
                consistency: proof.iter().map(merkle::to_hex).collect(),
            };
            earlier.push_str(&serde_json::to_string(&line).map_err(LedgerError::Serialize)?);
            earlier.push('\n');
        }
        let manifest = Manifest {
            format: BUNDLE_FORMAT.to_owned(),
            version: 1,
            origin: anchor.origin,
            tree_size: size,
            records: count,
            selection,
            created_at: format_time(jiff::Timestamp::now()),
        };
        let write = |name: &str, text: &str| {
            let path = dir.join(name);
            fs::write(&path, text).map_err(io_error(&path))
        };
        write("bundle.json", &pretty(&manifest)?)?;
        write("keys.json", &pretty(&keys)?)?;
        let witnesses: Vec<String> = witnesses.iter().map(ToString::to_string).collect();
        write("witnesses.json", &pretty(&witnesses)?)?;
        write("checkpoint.note", &latest.note)?;
        write("records.jsonl", &lines)?;
        write("checkpoints.jsonl", &earlier)?;
        Ok(Exported {
            dir: dir.to_path_buf(),
            records: count,
            tree_size: size,
            earlier_checkpoints: earlier.lines().count() as u64,
        })
    }
}

/// Pretty JSON with a final newline.
fn pretty<T: Serialize>(value: &T) -> Result<String, LedgerError> {
    let mut text = serde_json::to_string_pretty(value).map_err(LedgerError::Serialize)?;
    text.push('\n');
    Ok(text)
}

/// What [`verify_bundle`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BundleReport {
    /// No problem found.
    pub ok: bool,
    /// Record lines checked.
    pub records: u64,
    /// The anchor checkpoint's size.
    pub tree_size: u64,
    /// Earlier checkpoints checked.
    pub earlier_checkpoints: u64,
    /// The witnesses (listed in `witnesses.json` or given) whose valid cosignature
    /// the anchor checkpoint carries.
    pub witnesses: Vec<String>,
    /// The problems, first first.
    pub problems: Vec<String>,
}

/// Checks a bundle directory by the rules of `docs/ledger-format.md`, counting
/// the anchor checkpoint's cosignatures by the witnesses the bundle lists and by
/// `witnesses` (the ones the auditor trusts). `trusted_key_ids`: keys the auditor
/// trusts without an endorsement (a managed key its deployment replaced).
pub fn verify_bundle(
    dir: &Path,
    witnesses: &[VerifierKey],
    trusted_key_ids: &[String],
) -> Result<BundleReport, LedgerError> {
    let read = |name: &str| {
        let path = dir.join(name);
        fs::read_to_string(&path).map_err(io_error(&path))
    };
    let mut report = BundleReport {
        ok: false,
        records: 0,
        tree_size: 0,
        earlier_checkpoints: 0,
        witnesses: Vec::new(),
        problems: Vec::new(),
    };

    let manifest: Manifest = match serde_json::from_str(&read("bundle.json")?) {
        Ok(manifest) => manifest,
        Err(error) => {
            report
                .problems
                .push(format!("bundle.json: not a bundle manifest ({error})"));
            return Ok(finish(report));
        }
    };
    let keys: Vec<BundleKey> = match serde_json::from_str(&read("keys.json")?) {
        Ok(keys) => keys,
        Err(error) => {
            report
                .problems
                .push(format!("keys.json: not a list of keys ({error})"));
            return Ok(finish(report));
        }
    };
    // Rule 1: keys, each well formed, and chained to the origin.
    let mut parsed = Vec::new();
    for key in &keys {
        match parse_key(key, &manifest.origin) {
            Ok(trusted_key) => parsed.push((key, trusted_key)),
            Err(why) => report
                .problems
                .push(format!("keys.json: key `{}`: {why}", key.key_id)),
        }
    }
    let (trusted, unendorsed) = chain_keys(&manifest.origin, parsed, trusted_key_ids);
    for (key_id, why) in unendorsed {
        report
            .problems
            .push(format!("keys.json: key `{key_id}`: {why}"));
    }
    if trusted.is_empty() {
        report.problems.push(format!(
            "keys.json: no valid key named `{}` (the bundle's origin)",
            manifest.origin
        ));
        return Ok(finish(report));
    }
    // Rule 2: the anchor checkpoint.
    let note_text = read("checkpoint.note")?;
    let anchor_note = SignedNote::parse(&note_text);
    let anchor = anchor_note
        .clone()
        .map_err(|error| error.to_string())
        .and_then(|note| signed_by_listed_key(&note, &trusted))
        .map_err(|error| format!("checkpoint.note: {error}"));
    let anchor = match anchor {
        Ok(anchor) if anchor.origin != manifest.origin || anchor.size != manifest.tree_size => {
            report.problems.push(format!(
                "checkpoint.note: it is the checkpoint of {} records of `{}`, but bundle.json \
                 says {} records of `{}`",
                anchor.size, anchor.origin, manifest.tree_size, manifest.origin
            ));
            return Ok(finish(report));
        }
        Ok(anchor) => anchor,
        Err(message) => {
            report.problems.push(message);
            return Ok(finish(report));
        }
    };
    report.tree_size = anchor.size;
    // Rules 3 and 4: records.
    let mut last_seq = 0u64;
    let mut sessions: HashMap<String, (u64, String)> = HashMap::new();
    let mut count = 0u64;
    for (number, line) in read("records.jsonl")?.lines().enumerate() {
        let at = format!("records.jsonl line {}", number + 1);
        count += 1;
        if let Err(message) = check_record_line(
            line,
            &anchor,
            &mut last_seq,
            &mut sessions,
            manifest.selection.session.as_deref(),
        ) {
            report.problems.push(format!("{at}: {message}"));
        }
    }
    report.records = count;
    // Rule 6: a bundle with no selection is the whole log up to its checkpoint.
    if manifest.selection == Selection::default() && last_seq != count {
        report.problems.push(format!(
            "records.jsonl: the bundle selects every record but holds {count} of the \
             {last_seq} up to its last one: records were removed"
        ));
    }
    if manifest.selection == Selection::default() && last_seq != manifest.tree_size {
        report.problems.push(format!(
            "records.jsonl: the bundle selects every record but ends at record {last_seq} \
             of {}: its tail was removed",
            manifest.tree_size
        ));
    }
    if count != manifest.records {
        report.problems.push(format!(
            "records.jsonl has {count} lines but bundle.json says {}",
            manifest.records
        ));
    }
    // Rule 5: earlier checkpoints.
    for (number, line) in read("checkpoints.jsonl")?.lines().enumerate() {
        report.earlier_checkpoints += 1;
        if let Err(message) = check_earlier(line, &trusted, &anchor) {
            report
                .problems
                .push(format!("checkpoints.jsonl line {}: {message}", number + 1));
        }
    }
    // Rule 7: witnesses.
    if let Ok(note) = &anchor_note {
        let mut listed = witnesses.to_vec();
        match fs::read_to_string(dir.join("witnesses.json")) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(io_error(&dir.join("witnesses.json"))(error)),
            Ok(text) => match serde_json::from_str::<Vec<String>>(&text) {
                Ok(vkeys) => {
                    for vkey in vkeys {
                        match VerifierKey::parse(&vkey) {
                            Ok(key) if key.kind == WITNESS_KEY_TYPE => listed.push(key),
                            Ok(_) => report
                                .problems
                                .push(format!("witnesses.json: `{vkey}` is not a cosignature key")),
                            Err(error) => {
                                report.problems.push(format!("witnesses.json: {error}"));
                            }
                        }
                    }
                }
                Err(error) => report
                    .problems
                    .push(format!("witnesses.json: not a list of keys ({error})")),
            },
        }
        listed.dedup_by(|a, b| a.name == b.name && a.key == b.key);
        for witness in &listed {
            match verify_cosignature(note, &witness.name, &witness.key) {
                Ok(Cosigned::At(_)) if !report.witnesses.contains(&witness.name) => {
                    report.witnesses.push(witness.name.clone());
                }
                Ok(_) => {}
                Err(_) => report.problems.push(format!(
                    "checkpoint.note: the cosignature by witness `{}` does not verify \
                     (edited or forged)",
                    witness.name
                )),
            }
        }
    }
    Ok(finish(report))
}

/// The log's keys that chain to its origin: the first key is the one the origin
/// names (`ward/<key id>`); each later key needs an endorsement signed by an
/// accepted key that states the endorser's `valid_until_size`, or to be among
/// `trusted_key_ids`. Returns the accepted keys and, for the others, why not.
fn chain_keys(
    origin: &str,
    mut pending: Vec<(&BundleKey, TrustedKey)>,
    trusted_key_ids: &[String],
) -> (Vec<TrustedKey>, Vec<(String, String)>) {
    let mut accepted: Vec<TrustedKey> = Vec::new();
    while let Some(at) = pending.iter().position(|(key, candidate)| {
        origin == crate::checkpoint::origin_for(&key.key_id)
            || trusted_key_ids.contains(&key.key_id)
            || key.endorsement.as_deref().is_some_and(|text| {
                accepted.iter().any(|endorser| {
                    KeyEndorsement::verify(text, origin, &endorser.key).is_ok_and(|stated| {
                        stated.key == candidate.key
                            && endorser.valid_until_size == Some(stated.previous_valid_until_size)
                    })
                })
            })
    }) {
        accepted.push(pending.remove(at).1);
    }
    let refused = pending
        .into_iter()
        .map(|(key, _)| {
            let why = if key.endorsement.is_some() {
                "its endorsement is not signed by an earlier key of the log, or states another \
                 key or retirement size (keys.json edited?)"
            } else {
                "no earlier key of the log endorses it (a key the deployment replaced, or one \
                 added to keys.json); trust it explicitly only if you know its id"
            };
            (key.key_id.clone(), why.to_owned())
        })
        .collect();
    (accepted, refused)
}

/// The checkpoint a note states, if a listed key signed it within its validity
/// and no listed key's line on it fails to verify.
fn signed_by_listed_key(note: &SignedNote, trusted: &[TrustedKey]) -> Result<Checkpoint, String> {
    let checkpoint = Checkpoint::parse_body(&note.body).map_err(|error| error.to_string())?;
    let mut signers = Vec::new();
    for key in trusted {
        match note.verify(&key.name, &key.key) {
            Ok(()) => signers.push(key),
            Err(error @ CheckpointError::BadSignature(_)) => return Err(error.to_string()),
            Err(_) => {}
        }
    }
    let Some(signer) = TrustedKey::tightest(signers) else {
        return Err("it carries no signature by a listed key".to_owned());
    };
    match signer.valid_until_size {
        Some(limit) if checkpoint.size > limit => Err(format!(
            "it is signed by the retired key {} for {} records, but that key was retired at \
             {limit}",
            crate::checkpoint::key_id(&signer.key),
            checkpoint.size
        )),
        _ => Ok(checkpoint),
    }
}

fn finish(mut report: BundleReport) -> BundleReport {
    report.ok = report.problems.is_empty();
    report
}

fn parse_key(key: &BundleKey, origin: &str) -> Result<TrustedKey, String> {
    let public = merkle::from_hex(&key.public_key).ok_or("public_key is not 64 hex digits")?;
    let expected_id = sha256_hex(&public);
    if expected_id.get(..16) != Some(key.key_id.as_str()) {
        return Err(format!(
            "key_id `{}` is not the hash of its public key (`{}`)",
            key.key_id,
            expected_id.get(..16).unwrap_or_default()
        ));
    }
    if key.name != origin {
        return Err(format!(
            "its name is not the bundle's origin `{origin}` (a log's keys sign under its origin)"
        ));
    }
    let verifying =
        VerifyingKey::from_bytes(&public).map_err(|error| format!("invalid key: {error}"))?;
    Ok(TrustedKey {
        name: key.name.clone(),
        key: verifying,
        valid_until_size: key.valid_until_size,
    })
}

fn check_record_line(
    line: &str,
    anchor: &Checkpoint,
    last_seq: &mut u64,
    sessions: &mut HashMap<String, (u64, String)>,
    whole_session: Option<&str>,
) -> Result<(), String> {
    let line: RecordLine =
        serde_json::from_str(line).map_err(|error| format!("not a record line ({error})"))?;
    let seq = line.seq;
    if sha256_hex(line.record.as_bytes()) != line.hash {
        return Err(format!(
            "record {seq}: its hash is not the hash of its text (edited?)"
        ));
    }
    let value: Value = serde_json::from_str(&line.record)
        .map_err(|error| format!("record {seq}: not JSON ({error})"))?;
    if canonical(&value).ok().as_deref() != Some(line.record.as_str()) {
        return Err(format!("record {seq}: not in canonical form"));
    }
    if value.pointer("/reference/seq").and_then(Value::as_u64) != Some(seq) {
        return Err(format!("record {seq}: its text says another seq (moved?)"));
    }
    if seq <= *last_seq {
        return Err(format!(
            "record {seq} comes after record {last_seq} (reordered?)"
        ));
    }
    *last_seq = seq;
    if seq == 0 || seq > anchor.size {
        return Err(format!(
            "record {seq} is beyond the checkpoint of {} records",
            anchor.size
        ));
    }
    let path: Vec<Hash> = line
        .path
        .iter()
        .map(|hex| merkle::from_hex(hex))
        .collect::<Option<_>>()
        .ok_or_else(|| format!("record {seq}: a path hash is not 64 hex digits"))?;
    merkle::verify_inclusion(
        &merkle::leaf_hash(line.record.as_bytes()),
        seq - 1,
        anchor.size,
        &path,
        &anchor.root,
    )
    .map_err(|error| format!("record {seq} is not in the signed tree: {error}"))?;
    let session = value
        .pointer("/role/session_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let session_seq = value
        .pointer("/reference/session_seq")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let prev_hash = value
        .pointer("/reference/prev_hash")
        .and_then(Value::as_str);
    match sessions.get(&session) {
        Some((previous_seq, previous_hash))
            if session_seq == previous_seq + 1 && prev_hash != Some(previous_hash.as_str()) =>
        {
            return Err(format!(
                "record {seq}: its prev_hash is not the hash of the session's previous record"
            ));
        }
        Some((previous_seq, _)) if session_seq == previous_seq + 1 => {}
        Some((previous_seq, _)) if whole_session == Some(session.as_str()) => {
            return Err(format!(
                "record {seq}: session record {session_seq} follows record {previous_seq}: \
                 records of the exported session are missing"
            ));
        }
        None if whole_session == Some(session.as_str()) && session_seq != 1 => {
            return Err(format!(
                "record {seq}: the exported session starts at its record {session_seq}, not 1"
            ));
        }
        _ => {}
    }
    sessions.insert(session, (session_seq, line.hash));
    Ok(())
}

fn check_earlier(line: &str, trusted: &[TrustedKey], anchor: &Checkpoint) -> Result<(), String> {
    let line: CheckpointLine =
        serde_json::from_str(line).map_err(|error| format!("not a checkpoint line ({error})"))?;
    let note = SignedNote::parse(&line.note).map_err(|error| error.to_string())?;
    let checkpoint = signed_by_listed_key(&note, trusted)?;
    if checkpoint.size != line.tree_size || checkpoint.size > anchor.size {
        return Err(format!(
            "states {} records, stored as {}, anchor {}",
            checkpoint.size, line.tree_size, anchor.size
        ));
    }
    let proof: Vec<Hash> = line
        .consistency
        .iter()
        .map(|hex| merkle::from_hex(hex))
        .collect::<Option<_>>()
        .ok_or("a consistency hash is not 64 hex digits")?;
    merkle::verify_consistency(
        checkpoint.size,
        anchor.size,
        &checkpoint.root,
        &anchor.root,
        &proof,
    )
    .map_err(|error| format!("not consistent with the anchor checkpoint: {error}"))
}
