//! Ward's home: where the user policy, the host key and the ledger live, and how
//! `ward init` creates it.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{EncodePrivateKey, spki::der::pem::LineEnding};
use serde::{Deserialize, Serialize};

use crate::env;

/// The paths of one Ward home.
#[derive(Debug, Clone)]
pub(crate) struct Home {
    pub(crate) root: PathBuf,
}

/// Who this host is: written at init, read by every hook (cheaper than loading the key).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct HostIdentity {
    /// First 16 hex digits of SHA-256 over the raw public key of the key that signs
    /// now.
    pub(crate) key_id: String,
    /// The raw Ed25519 public key, hex.
    pub(crate) public_key: String,
    pub(crate) hostname: String,
    pub(crate) os_user: String,
    /// The log's name in checkpoints, fixed when the first key was made:
    /// `ward/<first key id>`. Absent in homes made before keys could rotate, where
    /// it is `ward/<key_id>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) log_origin: Option<String>,
    /// The private key's file in the home, after a rotation (else `host-key.pem`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) key_file: Option<String>,
    /// Keys that signed before, oldest first: their checkpoints stay verifiable.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) retired_keys: Vec<RetiredKey>,
    /// The note by which the previous key introduced this one
    /// (`ward_ledger::checkpoint::KeyEndorsement`); absent for the log's first key
    /// and for a managed key the deployment replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) endorsement: Option<String>,
}

/// A key rotated out: the public half only (the private half is deleted).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RetiredKey {
    pub(crate) key_id: String,
    pub(crate) public_key: String,
    /// When it was retired (RFC 3339, UTC).
    pub(crate) retired_at: String,
    /// The largest tree it may have signed.
    pub(crate) valid_until_size: u64,
    /// The note by which its predecessor introduced it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) endorsement: Option<String>,
}

impl HostIdentity {
    /// An identity for `public`, a new log's first key or a managed key file.
    pub(crate) fn new(public: &ed25519_dalek::VerifyingKey) -> HostIdentity {
        let key_id = ward_ledger::checkpoint::key_id(public);
        HostIdentity {
            log_origin: Some(ward_ledger::checkpoint::origin_for(&key_id)),
            key_id,
            public_key: hex(public.as_bytes()),
            hostname: hostname(),
            os_user: os_user(),
            key_file: None,
            retired_keys: Vec::new(),
            endorsement: None,
        }
    }

    /// The log's origin line and key name.
    pub(crate) fn origin(&self) -> String {
        self.log_origin
            .clone()
            .unwrap_or_else(|| ward_ledger::checkpoint::origin_for(&self.key_id))
    }
}

pub(crate) use ward_ledger::hash::hex;

/// What `init` did.
#[derive(Debug, Serialize)]
pub(crate) struct InitReport {
    pub(crate) home: String,
    pub(crate) created: Vec<String>,
    pub(crate) kept: Vec<String>,
    /// The seq of the host identity record, when this run wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) identity_record: Option<u64>,
}

impl Home {
    /// `$WARD_HOME`, else `~/.ward`.
    pub(crate) fn locate(explicit: Option<&Path>) -> Result<Home> {
        if let Some(path) = explicit {
            return Ok(Home {
                root: path.to_path_buf(),
            });
        }
        if let Some(path) = env::var(env::WARD_HOME) {
            return Ok(Home {
                root: PathBuf::from(path),
            });
        }
        let Some(home) = env::var(env::HOME) else {
            bail!("cannot find Ward's home: neither WARD_HOME nor HOME is set");
        };
        Ok(Home {
            root: Path::new(&home).join(".ward"),
        })
    }

    pub(crate) fn policy(&self) -> PathBuf {
        self.root.join("policy.toml")
    }
    pub(crate) fn key(&self) -> PathBuf {
        self.root.join("host-key.pem")
    }
    pub(crate) fn identity(&self) -> PathBuf {
        self.root.join("host.json")
    }
    pub(crate) fn ledger(&self) -> PathBuf {
        self.root.join("ledger.db")
    }
    pub(crate) fn logs(&self) -> PathBuf {
        self.root.join("logs")
    }

    /// Whether `ward init` has run here.
    pub(crate) fn is_initialised(&self) -> bool {
        self.policy().is_file() && self.identity().is_file()
    }

    /// Reads the host identity written by `init`.
    pub(crate) fn read_identity(&self) -> Result<HostIdentity> {
        let path = self.identity();
        let text = fs::read_to_string(&path)
            .with_context(|| format!("cannot read Ward's host identity `{}`", path.display()))?;
        serde_json::from_str(&text)
            .with_context(|| format!("`{}` is not a valid host identity", path.display()))
    }

    /// The private key's file (the home's own key; a managed key file is given by
    /// the policy instead, see [`crate::keyring`]).
    pub(crate) fn key_path(&self, identity: &HostIdentity) -> PathBuf {
        match &identity.key_file {
            Some(file) => self.root.join(file),
            None => self.key(),
        }
    }

    /// Replaces `host.json`, atomically.
    pub(crate) fn write_identity(&self, identity: &HostIdentity) -> Result<()> {
        let text = serde_json::to_string_pretty(identity)?;
        write_atomically(&self.identity(), text.as_bytes(), 0o600)
    }

    /// Creates what is missing and keeps what exists: running it twice changes nothing.
    /// `managed_key`: the key file the policy names, used instead of generating one.
    pub(crate) fn init(&self, preset: &str, managed_key: Option<&Path>) -> Result<InitReport> {
        if ward_core::policy::preset_text(preset).is_none() {
            bail!("unknown preset `{preset}` (choose safety, strict, permissive or audit-only)");
        }
        let mut report = InitReport {
            home: self.root.display().to_string(),
            created: Vec::new(),
            kept: Vec::new(),
            identity_record: None,
        };
        if self.root.is_dir() {
            report.kept.push(self.root.display().to_string());
        } else {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&self.root)
                .with_context(|| format!("cannot create `{}`", self.root.display()))?;
            report.created.push(self.root.display().to_string());
        }
        fs::set_permissions(&self.root, fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot set the mode of `{}`", self.root.display()))?;

        let policy = self.policy();
        if policy.exists() {
            report.kept.push(policy.display().to_string());
        } else {
            write_new(&policy, user_policy_text(preset).as_bytes(), 0o600)?;
            report.created.push(policy.display().to_string());
        }

        let key = self.key();
        if self.identity().exists() {
            // After a rotation the key lives in another file; host.json names it.
            let identity = self.read_identity()?;
            report
                .kept
                .push(self.key_path(&identity).display().to_string());
        } else if let Some(file) = managed_key {
            let signing = crate::keyring::read_key_file(file)?;
            self.write_identity(&HostIdentity::new(&signing.verifying_key()))?;
            report.kept.push(file.display().to_string());
        } else if !key.exists() {
            let signing = new_signing_key()?;
            write_key(&key, &signing)?;
            self.write_identity(&HostIdentity::new(&signing.verifying_key()))?;
            report.created.push(key.display().to_string());
        }
        if !self.identity().exists() {
            bail!(
                "`{}` exists but `{}` does not; move the key away and run `ward init` again",
                key.display(),
                self.identity().display()
            );
        }

        let ledger = self.ledger();
        let existed = ledger.exists();
        let mut opened = ward_ledger::Ledger::open(&ledger)
            .with_context(|| format!("cannot open the ledger `{}`", ledger.display()))?;
        if existed {
            report.kept.push(ledger.display().to_string());
        } else {
            fs::set_permissions(&ledger, fs::Permissions::from_mode(0o600))?;
            report.created.push(ledger.display().to_string());
        }
        // The host's identity is the ledger's first record (or, in a ledger made
        // before this was recorded, the next one).
        report.identity_record =
            crate::keyring::record_identity(self, &mut opened, &self.read_identity()?)?;
        Ok(report)
    }
}

/// The user policy `init` writes: a preset and commented examples.
pub(crate) fn user_policy_text(preset: &str) -> String {
    format!(
        r#"# Ward user policy. Layers: managed (/etc/ward/policy.toml) > project
# (.ward/policy.toml) > this file. `ward policy show` prints the effective rules;
# `ward check bash 'CMD'` tests a call against them.

# Start from a preset: safety, strict, permissive or audit-only.
preset = "{preset}"

# `enforce = false` records what would have happened without acting (dry-run).
# enforce = true

# The decision when no rule matches: none (stay silent), allow, warn, ask or deny.
# default = "none"

# Switch off preset rules by id:
# disable = ["git.no-verify"]

# Your own rules. All conditions of a rule must hold; within a list, any value.
# [[rules]]
# id = "my.no-prod-config"
# description = "Production configuration is edited by people only"
# decision = "deny"
# reason = "Production configuration must be changed through review."
# alternative = "Edit config/staging.toml and open a pull request."
# [rules.match]
# categories = ["file_write"]
# targets = ["$PROJECT/config/production/**"]
#
# A rule can hold only in (or, with `outside = true`, only outside) a time window.
# Days name the day a window starts, so "22:00-06:00" on fri runs into Saturday.
# `ward check bash 'terraform apply' --at 2026-11-23T20:00[Europe/Berlin]` tests it.
# [[rules]]
# id = "my.deploys-in-office-hours"
# decision = "ask"
# reason = "Deploys outside office hours need a person watching."
# [rules.match]
# programs = ["terraform", "kubectl"]
# time_window = {{ days = ["mon-fri"], hours = "09:00-18:00", time_zone = "Europe/Berlin", outside = true }}
"#
    )
}

/// A fresh Ed25519 key from the OS's randomness.
pub(crate) fn new_signing_key() -> Result<SigningKey> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed)
        .map_err(|error| anyhow::anyhow!("cannot get randomness for a key: {error}"))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Writes a private key as PKCS#8 PEM to a new file only its owner can read.
pub(crate) fn write_key(path: &Path, key: &SigningKey) -> Result<()> {
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|error| anyhow::anyhow!("cannot encode the host key: {error}"))?;
    write_new(path, pem.as_bytes(), 0o600)
}

fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .with_context(|| format!("cannot create `{}`", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write `{}`", path.display()))
}

/// Opens (creating) a lock file and takes its exclusive lock, waiting for it; the
/// lock goes when the file is dropped.
pub(crate) fn lock_exclusive(path: &Path) -> Result<fs::File> {
    let lock = fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .with_context(|| format!("cannot open `{}`", path.display()))?;
    lock.lock()
        .with_context(|| format!("cannot lock `{}`", path.display()))?;
    Ok(lock)
}

/// Writes a file through a temporary sibling and a rename, so readers never see half.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let parent = path.parent().unwrap_or(Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(parent)
        .with_context(|| format!("cannot create a temporary file in `{}`", parent.display()))?;
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().sync_all())
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    fs::set_permissions(temp.path(), fs::Permissions::from_mode(mode))?;
    temp.persist(path)
        .map_err(|error| error.error)
        .with_context(|| format!("cannot replace `{}`", path.display()))?;
    Ok(())
}

/// The machine's host name (from the kernel; no extra crate needed on Linux).
pub(crate) fn hostname() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| fs::read_to_string("/etc/hostname"))
        .map(|name| name.trim().to_owned())
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "unknown-host".to_owned())
}

/// The OS user Ward runs as.
pub(crate) fn os_user() -> String {
    env::var(env::USER)
        .or_else(|| env::var("LOGNAME"))
        .unwrap_or_else(|| "unknown-user".to_owned())
}
