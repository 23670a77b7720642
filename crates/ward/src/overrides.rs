//! The home's break-glass overrides (`$WARD_HOME/overrides.json`): started and
//! ended by `ward override`, read by the hook only when a rule blocks a call.
//!
//! The file is state, not evidence: every start, early end and expiry is also a
//! record in the ledger (`ward-host` session), and every call an override let
//! through names it. The agent cannot write the file (`self.protect-ward-files`)
//! nor run `ward override` (`self.no-ward-admin`).

use anyhow::Result;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;
use ward_core::break_glass::Override;

use crate::home::Home;
use crate::home_state::{HostEvent, StateFile};

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

fn file(home: &Home) -> StateFile<'_> {
    StateFile::new(
        home,
        "overrides",
        "end the overrides with `ward override --list` and `--end`, or delete the file to drop them all",
    )
}

/// The overrides, for the hook: a missing file is none. A file that cannot be
/// read or parsed is an error; the hook then keeps enforcing (an override only
/// ever loosens), and logs it.
pub(crate) fn read(home: &Home) -> Result<Vec<Override>> {
    Ok(file(home).read::<State>()?.overrides)
}

/// Runs `change` on the overrides under their lock, records what it returns, and
/// writes them back. Expiries that happened since the last change are recorded
/// first, and long-ended overrides leave the file.
pub(crate) fn change<T>(
    home: &Home,
    change: impl FnOnce(&mut State, Timestamp) -> Result<(T, Vec<HostEvent>)>,
) -> Result<(T, Vec<u64>)> {
    file(home).change(|state: &mut State, now| {
        let mut events = expiries(state, now);
        let (value, more) = change(state, now)?;
        events.extend(more);
        let keep_after = now
            .checked_sub(jiff::SignedDuration::from_hours(24 * KEEP_ENDED_DAYS))
            .unwrap_or(now);
        state.overrides.retain(|o| o.end() > keep_after);
        let kept = &state.overrides;
        state
            .expiry_recorded
            .retain(|id| kept.iter().any(|o| &o.id == id));
        Ok((value, events))
    })
}

/// Records the expiries nobody has recorded yet (the background ingest calls this,
/// so an expiry reaches the ledger without anyone running `ward override`).
pub(crate) fn record_expiries(home: &Home) -> Result<()> {
    if !file(home).path().is_file() {
        return Ok(());
    }
    change(home, |_, _| Ok(((), Vec::new()))).map(|_| ())
}

fn expiries(state: &mut State, now: Timestamp) -> Vec<HostEvent> {
    let mut events = Vec::new();
    for o in &state.overrides {
        let expired = o.ended_at.is_none() && o.expires_at <= now;
        if expired && !state.expiry_recorded.contains(&o.id) {
            state.expiry_recorded.push(o.id.clone());
            events.push(HostEvent {
                event: "OverrideExpired",
                input: json!({
                    "id": o.id,
                    "expires_at": ward_ledger::format_time(o.expires_at),
                }),
            });
        }
    }
    events
}

pub(crate) fn started(o: &Override) -> HostEvent {
    HostEvent {
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
