//! The home's break-glass overrides (`$WARD_HOME/overrides.json`): started and
//! ended by `ward override`, read by the hook only when a rule blocks a call.
//!
//! The file is state, not evidence: every start, early end and expiry is also a
//! record in the ledger (`ward-host` session), and every call an override let
//! through names it. The agent cannot write the file (`self.protect-ward-files`)
//! nor run `ward override` (`self.no-ward-admin`).

use std::fs;
use std::path::PathBuf;

use anyhow::{Context, Result};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;
use ward_core::break_glass::Override;
use ward_ledger::Ledger;

use crate::home::Home;

/// Ended and expired overrides stay listed this long, then leave the file (the
/// ledger keeps them).
const KEEP_ENDED_DAYS: i64 = 7;

/// What the file holds.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct State {
    pub(crate) overrides: Vec<Override>,
    /// Overrides whose natural expiry is already in the ledger.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    expiry_recorded: Vec<String>,
}

fn path(home: &Home) -> PathBuf {
    home.root.join("overrides.json")
}

/// The overrides, for the hook: a missing file is none. A file that cannot be
/// read or parsed is an error; the hook then keeps enforcing (an override only
/// ever loosens), and logs it.
pub(crate) fn read(home: &Home) -> Result<Vec<Override>> {
    let path = path(home);
    match fs::read_to_string(&path) {
        Ok(text) => Ok(parse(&path, &text)?.overrides),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(error) => {
            Err(error).with_context(|| format!("cannot read the overrides `{}`", path.display()))
        }
    }
}

fn parse(path: &std::path::Path, text: &str) -> Result<State> {
    serde_json::from_str(text).with_context(|| {
        format!(
            "`{}` is not a valid overrides file; end the overrides with `ward override --list` and `--end`, or delete the file to drop them all",
            path.display()
        )
    })
}

/// Runs `change` on the state under the home's override lock, records what it
/// returns in the ledger (each record before the state that it describes is
/// written), and writes the state back. Expiries that happened since the last
/// change are recorded first.
pub(crate) fn change<T>(
    home: &Home,
    change: impl FnOnce(&mut State, Timestamp) -> Result<(T, Vec<HostEvent>)>,
) -> Result<(T, Vec<u64>)> {
    let lock_path = home.root.join("overrides.lock");
    let lock = fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("cannot open `{}`", lock_path.display()))?;
    lock.lock()
        .with_context(|| format!("cannot lock `{}`", lock_path.display()))?;
    let path = path(home);
    let mut state = match fs::read_to_string(&path) {
        Ok(text) => parse(&path, &text)?,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => State::default(),
        Err(error) => {
            return Err(error).with_context(|| format!("cannot read `{}`", path.display()));
        }
    };
    let now = Timestamp::now();
    let mut events = expiries(&mut state, now);
    let (value, more) = change(&mut state, now)?;
    events.extend(more);
    let keep_after = now
        .checked_sub(jiff::SignedDuration::from_hours(24 * KEEP_ENDED_DAYS))
        .unwrap_or(now);
    state.overrides.retain(|o| o.end() > keep_after);
    state
        .expiry_recorded
        .retain(|id| state.overrides.iter().any(|o| &o.id == id));

    let seqs = if events.is_empty() {
        Vec::new()
    } else {
        record(home, &events)?
    };
    let text = serde_json::to_string_pretty(&state)?;
    crate::home::write_atomically(&path, text.as_bytes(), 0o600)?;
    drop(lock);
    Ok((value, seqs))
}

/// Records the expiries nobody has recorded yet (the background ingest calls this,
/// so an expiry reaches the ledger without anyone running `ward override`).
pub(crate) fn record_expiries(home: &Home) -> Result<()> {
    if !path(home).is_file() {
        return Ok(());
    }
    change(home, |_, _| Ok(((), Vec::new()))).map(|_| ())
}

fn expiries(state: &mut State, now: Timestamp) -> Vec<HostEvent> {
    let mut events = Vec::new();
    for o in &state.overrides {
        let expired = o.ended_at.is_none() && o.expires_at <= now;
        if expired && !state.expiry_recorded.contains(&o.id) {
            events.push(HostEvent::expired(o));
        }
    }
    for event in &events {
        state.expiry_recorded.push(event.id.clone());
    }
    events
}

/// A record to write in the `ward-host` session.
pub(crate) struct HostEvent {
    id: String,
    event: &'static str,
    input: serde_json::Value,
}

impl HostEvent {
    pub(crate) fn started(o: &Override) -> HostEvent {
        HostEvent {
            id: o.id.clone(),
            event: "OverrideStarted",
            input: json!({
                "id": o.id,
                "by": o.by,
                "reason": o.reason,
                "started_at": ward_ledger::format_time(o.started_at),
                "expires_at": ward_ledger::format_time(o.expires_at),
                "session": o.session,
                "rules": o.rules,
                "scope": o.scope(),
            }),
        }
    }

    pub(crate) fn ended(o: &Override, by: &str, reason: Option<&str>) -> HostEvent {
        HostEvent {
            id: o.id.clone(),
            event: "OverrideEnded",
            input: json!({
                "id": o.id,
                "by": by,
                "reason": reason,
                "ended_at": o.ended_at.map(ward_ledger::format_time),
                "expires_at": ward_ledger::format_time(o.expires_at),
            }),
        }
    }

    fn expired(o: &Override) -> HostEvent {
        HostEvent {
            id: o.id.clone(),
            event: "OverrideExpired",
            input: json!({
                "id": o.id,
                "expires_at": ward_ledger::format_time(o.expires_at),
            }),
        }
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
        .with_context(|| format!("cannot record the override in `{}`", path.display()))?;
    ledger.close()?;
    Ok(appended.into_iter().map(|a| a.seq).collect())
}
