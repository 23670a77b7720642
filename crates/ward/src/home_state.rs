//! Small JSON state files in Ward's home (overrides, approval requests) that
//! people and hooks change concurrently: read, changed and replaced under an
//! exclusive lock, with the ledger records that describe each change appended
//! before the new state is written.
//!
//! A state file is never the evidence: the records in the `ward-host` session are.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use jiff::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;
use ward_ledger::Ledger;

use crate::home::Home;

/// A record to write in the `ward-host` session.
pub(crate) struct HostEvent {
    pub(crate) event: &'static str,
    pub(crate) input: serde_json::Value,
}

/// One state file: `<name>.json` beside `<name>.lock` in the home.
pub(crate) struct StateFile<'a> {
    home: &'a Home,
    name: &'static str,
    /// What to tell a user whose file does not parse.
    repair: &'static str,
}

impl<'a> StateFile<'a> {
    pub(crate) fn new(home: &'a Home, name: &'static str, repair: &'static str) -> Self {
        StateFile { home, name, repair }
    }

    pub(crate) fn path(&self) -> PathBuf {
        self.home.root.join(format!("{}.json", self.name))
    }

    /// The state without the lock (readers that only look); a missing file is the
    /// default state.
    pub(crate) fn read<S: DeserializeOwned + Default>(&self) -> Result<S> {
        let path = self.path();
        match fs::read_to_string(&path) {
            Ok(text) => self.parse(&path, &text),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(S::default()),
            Err(error) => Err(error).with_context(|| format!("cannot read `{}`", path.display())),
        }
    }

    fn parse<S: DeserializeOwned>(&self, path: &Path, text: &str) -> Result<S> {
        serde_json::from_str(text).with_context(|| {
            format!(
                "`{}` is not a valid state file; {}",
                path.display(),
                self.repair
            )
        })
    }

    /// Runs `change` on the state under the lock, appends the records it returns
    /// to the ledger, then writes the state back; returns its value and the
    /// records' `seq`s. Nothing is written if `change` fails.
    pub(crate) fn change<S, T>(
        &self,
        change: impl FnOnce(&mut S, Timestamp) -> Result<(T, Vec<HostEvent>)>,
    ) -> Result<(T, Vec<u64>)>
    where
        S: DeserializeOwned + Serialize + Default,
    {
        let lock =
            crate::home::lock_exclusive(&self.home.root.join(format!("{}.lock", self.name)))?;
        let mut state: S = self.read()?;
        let (value, events) = change(&mut state, Timestamp::now())?;
        let seqs = if events.is_empty() {
            Vec::new()
        } else {
            record(self.home, &events)?
        };
        let text = serde_json::to_string_pretty(&state)?;
        crate::home::write_atomically(&self.path(), text.as_bytes(), 0o600)?;
        drop(lock);
        if !seqs.is_empty() {
            announce(self.home);
        }
        Ok((value, seqs))
    }
}

/// Starts a background delivery when a sink takes notices, so that approvals and
/// overrides reach people now rather than with the next batch of calls. A policy
/// that cannot be read here is the next delivery's problem (it reports it).
fn announce(home: &Home) {
    let takes_notices = crate::commands::sinks::configured(home)
        .is_ok_and(|sinks| sinks.iter().any(|sink| sink.notices));
    if takes_notices {
        crate::commands::hook::ingest_in_background(home);
    }
}

/// Appends the events to the ledger, in one transaction, and returns their `seq`s.
fn record(home: &Home, events: &[HostEvent]) -> Result<Vec<u64>> {
    let identity = home.read_identity()?;
    let path = home.ledger();
    let mut ledger =
        Ledger::open(&path).with_context(|| format!("cannot open `{}`", path.display()))?;
    let records = events
        .iter()
        .map(|event| crate::keyring::host_record(home, &identity, event.event, event.input.clone()))
        .collect();
    let appended = ledger
        .append_all(records)
        .with_context(|| format!("cannot record this in `{}`", path.display()))?;
    ledger.close()?;
    Ok(appended.into_iter().map(|a| a.seq).collect())
}
