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
    /// First 16 hex digits of SHA-256 over the raw public key.
    pub(crate) key_id: String,
    /// The raw Ed25519 public key, hex.
    pub(crate) public_key: String,
    pub(crate) hostname: String,
    pub(crate) os_user: String,
}

/// What `init` did.
#[derive(Debug, Serialize)]
pub(crate) struct InitReport {
    pub(crate) home: String,
    pub(crate) created: Vec<String>,
    pub(crate) kept: Vec<String>,
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

    /// Reads the host's private key (only to sign checkpoints; never logged or
    /// exported).
    pub(crate) fn read_signing_key(&self) -> Result<SigningKey> {
        use ed25519_dalek::pkcs8::DecodePrivateKey;
        let path = self.key();
        let pem = fs::read_to_string(&path)
            .with_context(|| format!("cannot read Ward's host key `{}`", path.display()))?;
        SigningKey::from_pkcs8_pem(&pem).map_err(|error| {
            anyhow::anyhow!(
                "`{}` is not an Ed25519 private key in PEM ({error}); restore it or run \
                 `ward init` with a fresh home",
                path.display()
            )
        })
    }

    /// The keys whose checkpoint signatures `verify` trusts: this host's key.
    pub(crate) fn trusted_keys(&self) -> Result<Vec<ward_ledger::TrustedKey>> {
        let identity = self.read_identity()?;
        let bytes: Vec<u8> = (0..identity.public_key.len())
            .step_by(2)
            .filter_map(|at| identity.public_key.get(at..at + 2))
            .filter_map(|pair| u8::from_str_radix(pair, 16).ok())
            .collect();
        let array: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            anyhow::anyhow!(
                "the public key in `{}` is not 32 bytes of hex",
                self.identity().display()
            )
        })?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(&array).map_err(|error| {
            anyhow::anyhow!(
                "the public key in `{}` is invalid: {error}",
                self.identity().display()
            )
        })?;
        Ok(vec![ward_ledger::TrustedKey {
            name: ward_ledger::checkpoint::origin_for(&identity.key_id),
            key,
        }])
    }

    /// Creates what is missing and keeps what exists: running it twice changes nothing.
    pub(crate) fn init(&self, preset: &str) -> Result<InitReport> {
        if ward_core::policy::preset_text(preset).is_none() {
            bail!("unknown preset `{preset}` (choose safety, strict, permissive or audit-only)");
        }
        let mut report = InitReport {
            home: self.root.display().to_string(),
            created: Vec::new(),
            kept: Vec::new(),
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
        if key.exists() {
            report.kept.push(key.display().to_string());
        } else {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed)
                .map_err(|error| anyhow::anyhow!("cannot get randomness for a key: {error}"))?;
            let signing = SigningKey::from_bytes(&seed);
            let pem = signing
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(|error| anyhow::anyhow!("cannot encode the host key: {error}"))?;
            write_new(&key, pem.as_bytes(), 0o600)?;
            let public = signing.verifying_key().to_bytes();
            let identity = HostIdentity {
                key_id: ward_ledger::hash::sha256_hex(&public)
                    .get(..16)
                    .unwrap_or_default()
                    .to_owned(),
                public_key: public.iter().map(|b| format!("{b:02x}")).collect(),
                hostname: hostname(),
                os_user: os_user(),
            };
            let text = serde_json::to_string_pretty(&identity)?;
            write_atomically(&self.identity(), text.as_bytes(), 0o600)?;
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
        if ledger.exists() {
            report.kept.push(ledger.display().to_string());
        } else {
            ward_ledger::Ledger::open(&ledger)
                .with_context(|| format!("cannot create the ledger `{}`", ledger.display()))?;
            fs::set_permissions(&ledger, fs::Permissions::from_mode(0o600))?;
            report.created.push(ledger.display().to_string());
        }
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
"#
    )
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
