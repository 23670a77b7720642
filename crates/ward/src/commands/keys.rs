//! `ward keys show`: the host key that signs checkpoints, public half only.

use std::process::ExitCode;

use anyhow::{Result, bail};
use serde::Serialize;

use crate::cli::KeysCommand;
use crate::home::Home;
use crate::output;

/// What `keys show` prints.
#[derive(Debug, Serialize)]
struct ShownKey {
    key_id: String,
    algorithm: &'static str,
    public_key: String,
    /// The name checkpoints are signed under, and their origin line.
    origin: String,
    /// Where the private key is; its content is never printed or exported.
    private_key_file: String,
    hostname: String,
    os_user: String,
}

pub(crate) fn run(home: &Home, command: KeysCommand) -> Result<ExitCode> {
    let KeysCommand::Show { json } = command;
    if !home.is_initialised() {
        bail!(
            "Ward's home `{}` is not initialised; run `ward init`",
            home.root.display()
        );
    }
    let identity = home.read_identity()?;
    // Loads the public half the way `verify` does, so a damaged host.json fails here.
    home.trusted_keys()?;
    let shown = ShownKey {
        origin: ward_ledger::checkpoint::origin_for(&identity.key_id),
        key_id: identity.key_id,
        algorithm: "ed25519",
        public_key: identity.public_key,
        private_key_file: home.key().display().to_string(),
        hostname: identity.hostname,
        os_user: identity.os_user,
    };
    if json {
        output::json(&shown)?;
    } else {
        output::data(&format!(
            "key id:      {}\nalgorithm:   {}\npublic key:  {}\norigin:      {}\nprivate key: {} (never printed)\nhost:        {} ({})",
            shown.key_id,
            shown.algorithm,
            shown.public_key,
            shown.origin,
            shown.private_key_file,
            shown.hostname,
            shown.os_user
        ));
    }
    Ok(ExitCode::SUCCESS)
}
