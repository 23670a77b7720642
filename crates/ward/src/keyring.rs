//! The host's keys: the one that signs checkpoints now, the retired ones whose
//! checkpoints stay verifiable, rotation, and a key file a managed deployment
//! provides instead of the one `ward init` generates.
//!
//! Every key of a log signs under the log's origin (`ward/<first key id>`), the
//! C2SP convention that a log's key name is its origin; keys are told apart by
//! their key hash. A retired key is trusted only for trees up to the size it was
//! retired at, so a leaked old key cannot sign the log's future.
//!
//! Key changes are also records: the host's identity is the ledger's first
//! record, and every rotation adds one, in the session `ward-host`.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use ed25519_dalek::pkcs8::DecodePrivateKey;
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::Serialize;
use serde_json::json;
use ward_core::policy::LedgerSettings;
use ward_ledger::bundle::BundleKey;
use ward_ledger::cosignature::{LOG_KEY_TYPE, VerifierKey};
use ward_ledger::record::{Outcome, Record, Reference, Request, Resource, Role, Rules};
use ward_ledger::{Ledger, RecordFilter, TrustedKey};

use crate::home::{Home, HostIdentity, RetiredKey, hex};

pub(crate) use ward_ledger::HOST_SESSION;

/// The agent name of the host's own records.
const HOST_AGENT: &str = "ward";

/// Reads an Ed25519 private key in PKCS#8 PEM (only to sign; never logged).
pub(crate) fn read_key_file(path: &Path) -> Result<SigningKey> {
    let pem = fs::read_to_string(path)
        .with_context(|| format!("cannot read the host key `{}`", path.display()))?;
    SigningKey::from_pkcs8_pem(&pem).map_err(|error| {
        anyhow::anyhow!(
            "`{}` is not an Ed25519 private key in PKCS#8 PEM ({error}); restore it, or \
             point `host_key_file` under `[ledger]` at the right file",
            path.display()
        )
    })
}

fn public_key(identity_file: &Path, hex_key: &str) -> Result<VerifyingKey> {
    let bytes = ward_ledger::merkle::from_hex(hex_key).ok_or_else(|| {
        anyhow::anyhow!(
            "a public key in `{}` is not 32 bytes of hex",
            identity_file.display()
        )
    })?;
    VerifyingKey::from_bytes(&bytes).map_err(|error| {
        anyhow::anyhow!(
            "a public key in `{}` is invalid: {error}",
            identity_file.display()
        )
    })
}

impl Home {
    /// The keys whose checkpoint signatures `verify` trusts: the current one and
    /// every retired one (within its validity), all under the log's origin.
    pub(crate) fn trusted_keys(&self) -> Result<Vec<TrustedKey>> {
        let identity = self.read_identity()?;
        let origin = identity.origin();
        let mut keys = vec![TrustedKey::current(
            origin.clone(),
            public_key(&self.identity(), &identity.public_key)?,
        )];
        for retired in &identity.retired_keys {
            keys.push(TrustedKey {
                name: origin.clone(),
                key: public_key(&self.identity(), &retired.public_key)?,
                valid_until_size: Some(retired.valid_until_size),
            });
        }
        Ok(keys)
    }

    /// The log's keys as a bundle lists them: oldest first, each later one with
    /// the endorsement its predecessor signed.
    pub(crate) fn bundle_keys(&self) -> Result<Vec<BundleKey>> {
        let identity = self.read_identity()?;
        let origin = identity.origin();
        let mut keys: Vec<BundleKey> = identity
            .retired_keys
            .iter()
            .map(|retired| BundleKey {
                name: origin.clone(),
                key_id: retired.key_id.clone(),
                public_key: retired.public_key.clone(),
                valid_until_size: Some(retired.valid_until_size),
                endorsement: retired.endorsement.clone(),
            })
            .collect();
        keys.push(BundleKey {
            name: origin,
            key_id: identity.key_id.clone(),
            public_key: identity.public_key.clone(),
            valid_until_size: None,
            endorsement: identity.endorsement.clone(),
        });
        Ok(keys)
    }

    /// The log key as a verifier key (`<origin>+<hash>+<key>`), which witnesses
    /// are given.
    pub(crate) fn log_vkey(&self, identity: &HostIdentity) -> Result<VerifierKey> {
        Ok(VerifierKey {
            name: identity.origin(),
            kind: LOG_KEY_TYPE,
            key: public_key(&self.identity(), &identity.public_key)?,
        })
    }
}

/// The key that signs now, and the identity it belongs to.
pub(crate) struct Signer {
    pub(crate) key: SigningKey,
    pub(crate) identity: HostIdentity,
}

/// Loads the signing key: the managed key file if the policy names one, else the
/// home's own. A managed key that no longer matches `host.json` was replaced by
/// the deployment: it is adopted as a rotation (recorded, the old key retired at
/// the last checkpoint it could have signed).
pub(crate) fn signer(
    home: &Home,
    settings: &LedgerSettings,
    ledger: &mut Ledger,
) -> Result<Signer> {
    let identity = home.read_identity()?;
    if let Some(file) = &settings.host_key_file {
        let key = read_key_file(Path::new(file))?;
        if hex(key.verifying_key().as_bytes()) == identity.public_key {
            return Ok(Signer { key, identity });
        }
        // The old key is gone with the old file: nobody can endorse the new one, and
        // bundles say so (the auditor trusts it by its id, or not).
        let retired_at = ledger.checkpoints()?.last().map_or(0, |c| c.tree_size);
        let identity = retire_current(home, identity, &key, None, None, retired_at)?;
        record_rotation(home, ledger, &identity, "the managed key file was replaced")?;
        return Ok(Signer { key, identity });
    }
    let path = home.key_path(&identity);
    let key = read_key_file(&path)?;
    if hex(key.verifying_key().as_bytes()) != identity.public_key {
        bail!(
            "the host key `{}` is not the key `{}` names (key {}): restore the key file, or \
             move both away and run `ward init` for a new identity",
            path.display(),
            home.identity().display(),
            identity.key_id
        );
    }
    Ok(Signer { key, identity })
}

/// What `ward keys rotate` did.
#[derive(Debug, Serialize)]
pub(crate) struct Rotated {
    pub(crate) old_key_id: String,
    pub(crate) new_key_id: String,
    pub(crate) origin: String,
    /// The last checkpoint the old key signed; it may sign nothing larger.
    pub(crate) old_key_valid_until_size: u64,
    /// The first checkpoint the new key signed, proved to extend the old one.
    pub(crate) new_checkpoint_size: u64,
    /// The seq of the rotation record.
    pub(crate) record: u64,
    pub(crate) private_key_file: String,
}

/// Replaces the home's key with a new one: the old key signs a last checkpoint,
/// is retired at its size, its private half deleted; the rotation is recorded and
/// the new key signs a checkpoint proved consistent with the old key's last one.
///
/// `host.json` is the single switch: it is replaced atomically after the new key
/// is on disk, so a crash leaves either the old identity or the new one whole.
pub(crate) fn rotate(
    home: &Home,
    settings: &LedgerSettings,
    ledger: &mut Ledger,
) -> Result<Rotated> {
    if let Some(file) = &settings.host_key_file {
        bail!(
            "the host key is managed (`host_key_file = \"{file}\"` under `[ledger]`); replace \
             that file to rotate, and Ward adopts the new key when it next signs"
        );
    }
    let old = signer(home, settings, ledger)?;
    let trusted = home.trusted_keys()?;
    let origin = old.identity.origin();
    let last = ledger.sign_checkpoint(&old.key, &origin, &trusted)?;
    let valid_until = last.checkpoint.tree_size;

    let new_key = crate::home::new_signing_key()?;
    let new_id = ward_ledger::checkpoint::key_id(&new_key.verifying_key());
    let file_name = format!("host-key-{new_id}.pem");
    let new_path = home.root.join(&file_name);
    crate::home::write_key(&new_path, &new_key)?;
    let old_path = home.key_path(&old.identity);
    let old_key_id = old.identity.key_id.clone();
    let endorsement = ward_ledger::checkpoint::KeyEndorsement {
        origin: origin.clone(),
        key_id: new_id.clone(),
        key: new_key.verifying_key(),
        previous_valid_until_size: valid_until,
    }
    .sign(&old.key);
    let identity = retire_current(
        home,
        old.identity,
        &new_key,
        Some(file_name),
        Some(endorsement),
        valid_until,
    )?;
    // The old private key is no longer trusted for new checkpoints; it goes.
    if let Err(error) = fs::remove_file(&old_path) {
        crate::output::status(&format!(
            "warning: cannot delete the old private key `{}`: {error}; delete it by hand",
            old_path.display()
        ));
    }
    let record = record_rotation(home, ledger, &identity, "ward keys rotate")?;
    let signed = ledger.sign_checkpoint(&new_key, &origin, &home.trusted_keys()?)?;
    Ok(Rotated {
        old_key_id,
        new_key_id: new_id,
        origin,
        old_key_valid_until_size: valid_until,
        new_checkpoint_size: signed.checkpoint.tree_size,
        record,
        private_key_file: new_path.display().to_string(),
    })
}

/// Writes the identity of `new_key` (introduced by `endorsement`, if the old key
/// could sign one) with the current key retired at `valid_until`.
fn retire_current(
    home: &Home,
    old: HostIdentity,
    new_key: &SigningKey,
    key_file: Option<String>,
    endorsement: Option<String>,
    valid_until: u64,
) -> Result<HostIdentity> {
    let origin = old.origin();
    let mut identity = HostIdentity::new(&new_key.verifying_key());
    identity.log_origin = Some(origin);
    identity.key_file = key_file;
    identity.endorsement = endorsement;
    identity.retired_keys = old.retired_keys;
    identity.retired_keys.push(RetiredKey {
        key_id: old.key_id,
        public_key: old.public_key,
        retired_at: crate::recording::now(),
        valid_until_size: valid_until,
        endorsement: old.endorsement,
    });
    home.write_identity(&identity)?;
    Ok(identity)
}

/// A record of the host's own, in the `ward-host` session.
pub(crate) fn host_record(
    home: &Home,
    identity: &HostIdentity,
    event: &str,
    input: serde_json::Value,
) -> Record {
    Record {
        version: ward_ledger::RECORD_VERSION,
        time: crate::recording::now(),
        rules: Rules {
            policy_hash: String::new(),
            preset: None,
            enforce: true,
            matched: Vec::new(),
        },
        role: Role {
            agent: HOST_AGENT.to_owned(),
            session_id: HOST_SESSION.to_owned(),
            subagent_id: None,
            subagent_type: None,
            permission_mode: None,
            os_user: Some(identity.os_user.clone()),
            host_key_id: Some(identity.key_id.clone()),
        },
        request: Request {
            event: event.to_owned(),
            tool: None,
            category: None,
            categories: Vec::new(),
            targets: Vec::new(),
            programs: Vec::new(),
            findings: Vec::new(),
            tags: Vec::new(),
            opaque: false,
            notes: Vec::new(),
            input_digest: None,
            input,
            cwd: home.root.display().to_string(),
            tool_use_id: None,
        },
        reference: Reference::default(),
        resource: Resource::default(),
        result: Outcome::default(),
    }
}

/// Records the host identity (key id, public key, hostname, OS user, origin)
/// unless the ledger already holds it for this key. Returns the new record's seq.
pub(crate) fn record_identity(
    home: &Home,
    ledger: &mut Ledger,
    identity: &HostIdentity,
) -> Result<Option<u64>> {
    let filter = RecordFilter {
        session_id: Some(HOST_SESSION.to_owned()),
        event: Some("HostIdentity".to_owned()),
        ..RecordFilter::default()
    };
    let known = ledger
        .records(&filter)?
        .iter()
        .any(|stored| stored.record.role.host_key_id.as_deref() == Some(&identity.key_id));
    if known {
        return Ok(None);
    }
    let record = host_record(
        home,
        identity,
        "HostIdentity",
        json!({
            "key_id": identity.key_id,
            "public_key": identity.public_key,
            "origin": identity.origin(),
            "hostname": identity.hostname,
            "os_user": identity.os_user,
        }),
    );
    Ok(Some(ledger.append(record)?.seq))
}

fn record_rotation(
    home: &Home,
    ledger: &mut Ledger,
    identity: &HostIdentity,
    by: &str,
) -> Result<u64> {
    let retired = identity.retired_keys.last();
    let record = host_record(
        home,
        identity,
        "KeyRotated",
        json!({
            "key_id": identity.key_id,
            "public_key": identity.public_key,
            "origin": identity.origin(),
            "hostname": identity.hostname,
            "os_user": identity.os_user,
            "retired_key_id": retired.map(|r| r.key_id.as_str()),
            "retired_valid_until_size": retired.map(|r| r.valid_until_size),
            "by": by,
        }),
    );
    Ok(ledger.append(record)?.seq)
}

/// The managed key file the policy names, if any, as a path.
pub(crate) fn managed_key_file(settings: &LedgerSettings) -> Option<PathBuf> {
    settings.host_key_file.as_ref().map(PathBuf::from)
}
