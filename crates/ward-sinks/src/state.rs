//! Each sink's place in the queue, kept in its own small file,
//! `<state dir>/<sink id>.json`, replaced atomically after every batch.
//!
//! The queue itself is the ledger: nothing is copied out of it, and a sink that is
//! down only leaves its cursor behind. These files belong to this crate (not to
//! the ledger's schema) so that a sink's bookkeeping can never touch the records.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::DeliveryError;

/// One sink's delivery state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SinkState {
    /// Every record up to this `seq` has been looked at, and its evidence (if it is
    /// an outcome) delivered.
    pub record_seq: u64,
    /// The hash of the record at `record_seq`: a ledger that no longer holds it was
    /// replaced or rewritten, and the cursor means nothing there.
    pub record_hash: Option<String>,
    /// Every checkpoint up to this tree size has been delivered.
    pub checkpoint_size: u64,
    /// Events delivered since the state was created.
    pub delivered: u64,
    /// Failed attempts since the last success.
    pub attempts: u32,
    /// What the last failed attempt said.
    pub last_error: Option<String>,
    /// When the last attempt failed.
    pub last_failure: Option<String>,
    /// Not before this time will a background delivery try again (RFC 3339).
    pub next_attempt: Option<String>,
    /// When a batch was last delivered.
    pub last_delivery: Option<String>,
}

/// Where the sinks' state files live.
#[derive(Debug, Clone)]
pub struct StateDir {
    dir: PathBuf,
}

impl StateDir {
    /// State files in `dir` (created on the first save).
    pub fn new(dir: impl Into<PathBuf>) -> StateDir {
        StateDir { dir: dir.into() }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The state file of a sink. Ids are checked when the policy loads (a safe
    /// alphabet, no leading dot), so they cannot leave the directory.
    pub fn file(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    /// A sink's state; a sink never delivered to starts at the first record.
    pub fn load(&self, id: &str) -> Result<SinkState, DeliveryError> {
        let path = self.file(id);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|error| DeliveryError::State {
                path,
                message: format!(
                    "it is not a sink state ({error}); delete it to deliver everything again"
                ),
            }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(SinkState::default()),
            Err(error) => Err(DeliveryError::State {
                path,
                message: error.to_string(),
            }),
        }
    }

    /// Replaces a sink's state durably: a temporary file, fsync, rename, fsync of
    /// the directory. A crash leaves the old state or the new one, so a cursor
    /// never moves past events that were not delivered.
    pub fn save(&self, id: &str, state: &SinkState) -> Result<(), DeliveryError> {
        let path = self.file(id);
        let failed = |error: std::io::Error| DeliveryError::State {
            path: path.clone(),
            message: error.to_string(),
        };
        std::fs::create_dir_all(&self.dir).map_err(failed)?;
        let mut text = serde_json::to_string_pretty(state).map_err(|error| failed(error.into()))?;
        text.push('\n');
        let mut temp = tempfile::NamedTempFile::new_in(&self.dir).map_err(failed)?;
        temp.write_all(text.as_bytes()).map_err(failed)?;
        temp.as_file().sync_all().map_err(failed)?;
        temp.persist(&path).map_err(|error| failed(error.error))?;
        File::open(&self.dir)
            .and_then(|dir| dir.sync_all())
            .map_err(failed)
    }

    /// Takes the delivery lock, so that two processes never deliver the same batch.
    /// `wait`: block until it is free; otherwise `None` when another process holds it.
    pub fn lock(&self, wait: bool) -> Result<Option<DeliveryLock>, DeliveryError> {
        let path = self.dir.join("deliver.lock");
        let failed = |error: std::io::Error| DeliveryError::State {
            path: path.clone(),
            message: error.to_string(),
        };
        std::fs::create_dir_all(&self.dir).map_err(failed)?;
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(failed)?;
        if wait {
            file.lock().map_err(failed)?;
        } else {
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
                Err(std::fs::TryLockError::Error(error)) => return Err(failed(error)),
            }
        }
        Ok(Some(DeliveryLock { _file: file }))
    }
}

/// Held while delivering; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct DeliveryLock {
    _file: File,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_starts_empty() {
        let dir = tempfile::tempdir().unwrap();
        let states = StateDir::new(dir.path().join("sinks"));
        assert_eq!(states.load("siem").unwrap(), SinkState::default());
        let state = SinkState {
            record_seq: 42,
            checkpoint_size: 40,
            delivered: 7,
            attempts: 2,
            last_error: Some("the receiver answered HTTP 503".to_owned()),
            ..SinkState::default()
        };
        states.save("siem", &state).unwrap();
        assert_eq!(states.load("siem").unwrap(), state);
    }

    #[test]
    fn a_corrupt_state_is_an_error_saying_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let states = StateDir::new(dir.path());
        std::fs::write(states.file("siem"), "{not json").unwrap();
        let message = states.load("siem").unwrap_err().to_string();
        assert!(
            message.contains("delete it to deliver everything again"),
            "{message}"
        );
    }

    #[test]
    fn the_lock_is_exclusive() {
        let dir = tempfile::tempdir().unwrap();
        let states = StateDir::new(dir.path());
        let held = states.lock(false).unwrap();
        assert!(held.is_some());
        assert!(states.lock(false).unwrap().is_none());
        drop(held);
        assert!(states.lock(false).unwrap().is_some());
    }
}
