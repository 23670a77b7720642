//! A fast pass over many records for reports: the indexed columns of every record
//! in a time range, and the body only of the records a report needs to read
//! further. Parsing every body costs ~4 µs a record; a report over a million
//! records reads the columns of all of them and the bodies of a few.

use rusqlite::types::ValueRef;

use crate::query::since_bound;
use crate::{Ledger, LedgerError};

/// Which bodies a scan reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bodies {
    /// None: columns only.
    None,
    /// The records that say more than their columns: those with a decision, the
    /// host's own (`ward-host`: approvals, overrides, keys), failed or interrupted
    /// calls (`PostToolUseFailure`), refused prompts (`PermissionDenied`), and each
    /// session's first record (who ran it, where).
    Notable,
    /// Every body.
    All,
}

/// What to scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Records at or after this time: RFC 3339 (any offset) or a UTC date.
    pub from: Option<String>,
    /// Records before this time, in the same forms.
    pub to: Option<String>,
    /// Only records of these hook events (empty: every event).
    pub events: Vec<String>,
    /// Which bodies to read.
    pub bodies: Bodies,
}

/// One record as a scan sees it. Borrowed from SQLite's row: copy what you keep.
#[derive(Debug, Clone, Copy)]
pub struct ScanRow<'a> {
    /// The global sequence number.
    pub seq: u64,
    /// The record's time (RFC 3339, UTC, microseconds).
    pub time: &'a str,
    /// The agent's session.
    pub session_id: &'a str,
    /// Its number in the session, from 1.
    pub session_seq: u64,
    /// The hook event.
    pub event: &'a str,
    /// The tool, for tool events.
    pub tool: Option<&'a str>,
    /// The primary category.
    pub category: Option<&'a str>,
    /// The decision, when a rule had one.
    pub decision: Option<&'a str>,
    /// The agent.
    pub agent: &'a str,
    /// The subagent's type, when a subagent acted.
    pub subagent_type: Option<&'a str>,
    /// The canonical JSON body, when [`ScanOptions::bodies`] asked for it.
    pub body: Option<&'a str>,
}

impl Ledger {
    /// How many records [`Ledger::scan`] with these options visits (for progress).
    pub fn scan_count(&self, options: &ScanOptions) -> Result<u64, LedgerError> {
        let (condition, values) = range(options)?;
        self.conn
            .query_row(
                &format!("SELECT count(*) FROM records{condition}"),
                rusqlite::params_from_iter(values),
                |row| row.get(0),
            )
            .map_err(|error| self.sqlite(error))
    }

    /// Visits every record in the range, in `seq` order.
    pub fn scan(
        &self,
        options: &ScanOptions,
        visit: &mut dyn FnMut(&ScanRow<'_>),
    ) -> Result<(), LedgerError> {
        let (condition, values) = range(options)?;
        let body = match options.bodies {
            Bodies::None => "NULL",
            Bodies::All => "body",
            Bodies::Notable => {
                "CASE WHEN decision IS NOT NULL OR session_id = 'ward-host' OR session_seq = 1
                   OR event IN ('PostToolUseFailure', 'PermissionDenied')
                 THEN body END"
            }
        };
        let sql = format!(
            "SELECT seq, time, session_id, session_seq, event, tool, category, decision, agent,
                    subagent_type, {body}
             FROM records{condition} ORDER BY seq"
        );
        let mut statement = self
            .conn
            .prepare(&sql)
            .map_err(|error| self.sqlite(error))?;
        let mut rows = statement
            .query(rusqlite::params_from_iter(values))
            .map_err(|error| self.sqlite(error))?;
        while let Some(row) = rows.next().map_err(|error| self.sqlite(error))? {
            let text = |index: usize| -> Option<&str> {
                match row.get_ref(index) {
                    Ok(ValueRef::Text(bytes)) => std::str::from_utf8(bytes).ok(),
                    _ => None,
                }
            };
            let number = |index: usize| -> u64 {
                row.get::<_, i64>(index)
                    .ok()
                    .and_then(|n| u64::try_from(n).ok())
                    .unwrap_or(0)
            };
            visit(&ScanRow {
                seq: number(0),
                time: text(1).unwrap_or_default(),
                session_id: text(2).unwrap_or_default(),
                session_seq: number(3),
                event: text(4).unwrap_or_default(),
                tool: text(5),
                category: text(6),
                decision: text(7),
                agent: text(8).unwrap_or_default(),
                subagent_type: text(9),
                // A pruned record's body is empty: nothing to read.
                body: text(10).filter(|body| !body.is_empty()),
            });
        }
        Ok(())
    }
}

/// Where a session started: its working directory and its first record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionOrigin {
    /// The agent's session id.
    pub session_id: String,
    /// The working directory of its first record.
    pub cwd: String,
    /// The `seq` of its first record.
    pub first_seq: u64,
}

impl Ledger {
    /// Every session's origin, from the sessions table alone (no record is read).
    pub fn session_origins(&self) -> Result<Vec<SessionOrigin>, LedgerError> {
        let mut statement = self
            .conn
            .prepare("SELECT session_id, cwd, first_seq FROM sessions")
            .map_err(|error| self.sqlite(error))?;
        let rows = statement
            .query_map([], |row| {
                Ok(SessionOrigin {
                    session_id: row.get(0)?,
                    cwd: row.get(1)?,
                    first_seq: u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0),
                })
            })
            .map_err(|error| self.sqlite(error))?;
        rows.collect::<Result<_, _>>()
            .map_err(|error| self.sqlite(error))
    }
}

/// ` WHERE …` for the range, and its values.
fn range(options: &ScanOptions) -> Result<(String, Vec<String>), LedgerError> {
    let mut conditions = Vec::new();
    let mut values = Vec::new();
    if let Some(from) = &options.from {
        values.push(since_bound(from)?);
        conditions.push(format!("time >= ?{}", values.len()));
    }
    if let Some(to) = &options.to {
        values.push(since_bound(to)?);
        conditions.push(format!("time < ?{}", values.len()));
    }
    if !options.events.is_empty() {
        let mut placeholders = Vec::with_capacity(options.events.len());
        for event in &options.events {
            values.push(event.clone());
            placeholders.push(format!("?{}", values.len()));
        }
        conditions.push(format!("event IN ({})", placeholders.join(", ")));
    }
    if conditions.is_empty() {
        return Ok((String::new(), values));
    }
    Ok((format!(" WHERE {}", conditions.join(" AND ")), values))
}
