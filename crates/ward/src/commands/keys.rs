//! `ward keys show|rotate`: the host key that signs checkpoints, public halves only.

use std::process::ExitCode;

use anyhow::{Result, bail};
use serde::Serialize;

use crate::cli::KeysCommand;
use crate::home::Home;
use crate::{keyring, layers, output};

/// What `keys show` prints.
#[derive(Debug, Serialize)]
struct ShownKey {
    key_id: String,
    algorithm: &'static str,
    public_key: String,
    /// The log's name: the origin line of its checkpoints, and the key name every
    /// one of its keys signs under.
    origin: String,
    /// The key as witnesses and transparency-log tools take it
    /// (`<origin>+<key hash>+<base64 key>`).
    vkey: String,
    /// Where the private key is; its content is never printed or exported.
    private_key_file: String,
    /// Whether the file is the deployment's (`host_key_file` under `[ledger]`).
    managed: bool,
    hostname: String,
    os_user: String,
    /// Earlier keys, oldest first: they verify what they signed, up to their size.
    retired: Vec<ShownRetired>,
}

#[derive(Debug, Serialize)]
struct ShownRetired {
    key_id: String,
    public_key: String,
    retired_at: String,
    valid_until_size: u64,
}

pub(crate) fn run(home: &Home, command: KeysCommand) -> Result<ExitCode> {
    if !home.is_initialised() {
        bail!(
            "Ward's home `{}` is not initialised; run `ward init`",
            home.root.display()
        );
    }
    match command {
        KeysCommand::Show { json } => show(home, json),
        KeysCommand::Rotate { json } => rotate(home, json),
    }
}

fn show(home: &Home, json: bool) -> Result<ExitCode> {
    let identity = home.read_identity()?;
    // Loads every public key the way `verify` does, so a damaged host.json fails here.
    home.trusted_keys()?;
    let settings = layers::ledger_settings(home)?;
    let managed = keyring::managed_key_file(&settings);
    let shown = ShownKey {
        origin: identity.origin(),
        vkey: home.log_vkey(&identity)?.to_string(),
        key_id: identity.key_id.clone(),
        algorithm: "ed25519",
        public_key: identity.public_key.clone(),
        private_key_file: managed
            .clone()
            .unwrap_or_else(|| home.key_path(&identity))
            .display()
            .to_string(),
        managed: managed.is_some(),
        hostname: identity.hostname.clone(),
        os_user: identity.os_user.clone(),
        retired: identity
            .retired_keys
            .iter()
            .map(|retired| ShownRetired {
                key_id: retired.key_id.clone(),
                public_key: retired.public_key.clone(),
                retired_at: retired.retired_at.clone(),
                valid_until_size: retired.valid_until_size,
            })
            .collect(),
    };
    if json {
        output::json(&shown)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = format!(
        "key id:      {}\nalgorithm:   {}\npublic key:  {}\norigin:      {}\nvkey:        {}\nprivate key: {} ({}never printed)\nhost:        {} ({})",
        shown.key_id,
        shown.algorithm,
        shown.public_key,
        shown.origin,
        shown.vkey,
        shown.private_key_file,
        if shown.managed {
            "managed by the policy; "
        } else {
            ""
        },
        shown.hostname,
        shown.os_user
    );
    for retired in &shown.retired {
        text.push_str(&format!(
            "\nretired:     {} at {}, valid for checkpoints up to {} records",
            retired.key_id, retired.retired_at, retired.valid_until_size
        ));
    }
    output::data(&text);
    Ok(ExitCode::SUCCESS)
}

fn rotate(home: &Home, json: bool) -> Result<ExitCode> {
    let settings = layers::ledger_settings(home)?;
    let mut ledger = super::audit::open(home)?;
    let rotated = keyring::rotate(home, &settings, &mut ledger)?;
    if json {
        output::json(&rotated)?;
    } else {
        output::data(&format!(
            "Rotated the host key: {} → {}.\n  The old key signed a last checkpoint of {} records and is retired at that size;\n  its private file is deleted, its public key kept to verify what it signed.\n  Recorded the rotation as ledger record {}; the new key signed a checkpoint of {} records,\n  proved to extend the old key's last one. The log's origin stays {}.\n  Witnesses need the new key: `ward keys show` prints it.",
            rotated.old_key_id,
            rotated.new_key_id,
            rotated.old_key_valid_until_size,
            rotated.record,
            rotated.new_checkpoint_size,
            rotated.origin
        ));
    }
    Ok(ExitCode::SUCCESS)
}
