//! The read side: sessions, records by filter, one record, counts.
//!
//! Queries read the indexed columns and return the stored body; they do not check
//! hashes (that is [`Ledger::verify`]'s job).

use rusqlite::types::Value as SqlValue;
use rusqlite::{OptionalExtension, Row, params, params_from_iter};
use serde::Serialize;

use crate::LedgerError;
use crate::record::{Record, format_time};
use crate::store::Ledger;

/// One session, with counts computed from its records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionSummary {
    /// The agent's session id.
    pub session_id: String,
    /// The agent (`claude-code`).
    pub agent: String,
    /// The working directory of the session's first record.
    pub cwd: String,
    /// The time of its first `SessionStart`, if one was recorded.
    pub started_at: Option<String>,
    /// The time of its `SessionEnd`, if it ended (and was not resumed since).
    pub ended_at: Option<String>,
    /// The time of its last record.
    pub last_time: String,
    /// Its first record.
    pub first_seq: u64,
    /// Its last record.
    pub last_seq: u64,
    /// How many records it has.
    pub records: u64,
    /// How many tool calls (`PreToolUse` records).
    pub tool_calls: u64,
    /// Records whose decision was `deny`.
    pub denied: u64,
    /// Records whose decision was `ask`.
    pub asked: u64,
    /// Records whose decision was `warn`.
    pub warned: u64,
}

/// Which records [`Ledger::records`] returns; every field is optional, and the set
/// ones must all match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordFilter {
    /// Exactly this session id (see [`Ledger::find_session`] for prefixes).
    pub session_id: Option<String>,
    /// This tool (`Bash`).
    pub tool: Option<String>,
    /// This primary category.
    pub category: Option<String>,
    /// This decision (`deny`), or `none`: records without a decision.
    pub decision: Option<String>,
    /// This agent name, subagent id or subagent type.
    pub agent: Option<String>,
    /// This hook event (`PreToolUse`).
    pub event: Option<String>,
    /// Records at or after this time: RFC 3339 (`2025-01-31T09:00:00Z`, any offset) or
    /// a UTC date (`2025-01-31`).
    pub since: Option<String>,
    /// At most this many records.
    pub limit: Option<usize>,
    /// Only records with a larger `seq` (to page, or to follow the ledger).
    pub seq_after: Option<u64>,
    /// With `limit`: keep the last matching records instead of the first. The result
    /// is in `seq` order either way.
    pub tail: bool,
}

/// A record as stored: its place, its hash, its exact body, and the body parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecord {
    /// Its global sequence number.
    pub seq: u64,
    /// The stored hash (not recomputed; see [`Ledger::verify`]).
    pub hash: String,
    /// The stored canonical JSON.
    pub body: String,
    /// The body, parsed.
    pub record: Record,
}

impl Ledger {
    /// Every session, most recently active first.
    pub fn sessions(&self) -> Result<Vec<SessionSummary>, LedgerError> {
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT s.session_id, s.agent, s.cwd, s.started_at, s.ended_at, s.last_time,
                        s.first_seq, s.last_seq, count(r.seq),
                        count(r.seq) FILTER (WHERE r.event = 'PreToolUse'),
                        count(r.seq) FILTER (WHERE r.decision = 'deny'),
                        count(r.seq) FILTER (WHERE r.decision = 'ask'),
                        count(r.seq) FILTER (WHERE r.decision = 'warn')
                 FROM sessions AS s LEFT JOIN records AS r ON r.session_id = s.session_id
                 GROUP BY s.session_id
                 ORDER BY s.last_seq DESC",
            )
            .map_err(|error| self.sqlite(error))?;
        let rows = statement
            .query_map([], |row| {
                Ok(SessionSummary {
                    session_id: row.get(0)?,
                    agent: row.get(1)?,
                    cwd: row.get(2)?,
                    started_at: row.get(3)?,
                    ended_at: row.get(4)?,
                    last_time: row.get(5)?,
                    first_seq: row.get(6)?,
                    last_seq: row.get(7)?,
                    records: row.get(8)?,
                    tool_calls: row.get(9)?,
                    denied: row.get(10)?,
                    asked: row.get(11)?,
                    warned: row.get(12)?,
                })
            })
            .map_err(|error| self.sqlite(error))?;
        rows.collect::<Result<_, _>>()
            .map_err(|error| self.sqlite(error))
    }

    /// The records matching `filter`, in `seq` order.
    pub fn records(&self, filter: &RecordFilter) -> Result<Vec<StoredRecord>, LedgerError> {
        let mut conditions: Vec<&str> = Vec::new();
        let mut values: Vec<SqlValue> = Vec::new();
        let mut equal = |condition, value: &Option<String>| {
            if let Some(value) = value {
                conditions.push(condition);
                values.push(SqlValue::Text(value.clone()));
            }
        };
        // `{}` stands for the condition's one value; numbered below, so that the
        // agent condition uses its value three times.
        equal("session_id = {}", &filter.session_id);
        equal("tool = {}", &filter.tool);
        equal("category = {}", &filter.category);
        if filter.decision.as_deref() == Some("none") {
            // Records without a decision: calls no rule had an opinion on, their
            // outcomes, and events that are only recorded (the column is NULL).
            equal("coalesce(decision, 'none') = {}", &filter.decision);
        } else {
            equal("decision = {}", &filter.decision);
        }
        equal("event = {}", &filter.event);
        equal(
            "(agent = {} OR subagent_id = {} OR subagent_type = {})",
            &filter.agent,
        );
        if let Some(since) = &filter.since {
            conditions.push("time >= {}");
            values.push(SqlValue::Text(since_bound(since)?));
        }
        if let Some(seq_after) = filter.seq_after {
            conditions.push("seq > {}");
            values.push(SqlValue::Integer(to_i64(seq_after)));
        }
        // Pruned records (empty bodies, see `crate::prune`) have nothing to show.
        conditions.push("body <> ''");
        let mut sql = String::from("SELECT seq, hash, body FROM records");
        for (index, condition) in conditions.iter().enumerate() {
            sql.push_str(if index == 0 { " WHERE " } else { " AND " });
            sql.push_str(&condition.replace("{}", &format!("?{}", index + 1)));
        }
        sql.push_str(if filter.tail {
            " ORDER BY seq DESC"
        } else {
            " ORDER BY seq"
        });
        if let Some(limit) = filter.limit {
            values.push(SqlValue::Integer(to_i64(
                u64::try_from(limit).unwrap_or(u64::MAX),
            )));
            sql.push_str(&format!(" LIMIT ?{}", values.len()));
        }

        let mut statement = self
            .conn
            .prepare(&sql)
            .map_err(|error| self.sqlite(error))?;
        let rows = statement
            .query_map(params_from_iter(values), raw_record)
            .map_err(|error| self.sqlite(error))?;
        let mut records = Vec::new();
        for row in rows {
            let (seq, hash, body) = row.map_err(|error| self.sqlite(error))?;
            records.push(parse(seq, hash, body)?);
        }
        if filter.tail {
            records.reverse();
        }
        Ok(records)
    }

    /// The record with this `seq`, if there is one with a body (a pruned record has
    /// none; [`Ledger::record_hash`] still gives its hash).
    pub fn record(&self, seq: u64) -> Result<Option<StoredRecord>, LedgerError> {
        let found = self
            .conn
            .prepare_cached("SELECT seq, hash, body FROM records WHERE seq = ?1 AND body <> ''")
            .and_then(|mut statement| {
                statement
                    .query_row(params![to_i64(seq)], raw_record)
                    .optional()
            })
            .map_err(|error| self.sqlite(error))?;
        found
            .map(|(seq, hash, body)| parse(seq, hash, body))
            .transpose()
    }

    /// The stored hash of record `seq`, whether or not its body was pruned.
    pub fn record_hash(&self, seq: u64) -> Result<Option<String>, LedgerError> {
        self.conn
            .query_row(
                "SELECT hash FROM records WHERE seq = ?1",
                [i64::try_from(seq).unwrap_or(i64::MAX)],
                |row| row.get(0),
            )
            .optional()
            .map_err(|error| self.sqlite(error))
    }

    /// How many records the ledger holds.
    pub fn count(&self) -> Result<u64, LedgerError> {
        self.conn
            .query_row("SELECT count(*) FROM records", [], |row| row.get(0))
            .map_err(|error| self.sqlite(error))
    }

    /// The one session id that starts with `prefix` (or equals it).
    pub fn find_session(&self, prefix: &str) -> Result<String, LedgerError> {
        // Ids that start with `prefix` sort right at or after it, so the first few ids
        // from `prefix` on are all we need to read.
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT session_id FROM sessions WHERE session_id >= ?1
                 ORDER BY session_id LIMIT 5",
            )
            .map_err(|error| self.sqlite(error))?;
        let ids = statement
            .query_map([prefix], |row| row.get::<_, String>(0))
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(|error| self.sqlite(error))?;
        let candidates: Vec<String> = ids
            .into_iter()
            .filter(|id| id.starts_with(prefix))
            .collect();
        match candidates.as_slice() {
            [] => Err(LedgerError::SessionNotFound {
                prefix: prefix.to_owned(),
            }),
            [only] => Ok(only.clone()),
            [first, ..] if first == prefix => Ok(first.clone()),
            _ => Err(LedgerError::AmbiguousSession {
                prefix: prefix.to_owned(),
                candidates,
            }),
        }
    }
}

fn raw_record(row: &Row<'_>) -> rusqlite::Result<(u64, String, String)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
}

fn parse(seq: u64, hash: String, body: String) -> Result<StoredRecord, LedgerError> {
    let record =
        serde_json::from_str(&body).map_err(|source| LedgerError::BadRecord { seq, source })?;
    Ok(StoredRecord {
        seq,
        hash,
        body,
        record,
    })
}

/// The `since` filter as a string comparable with the time column.
pub(crate) fn since_bound(since: &str) -> Result<String, LedgerError> {
    let invalid = |reason: String| LedgerError::InvalidFilter {
        field: "since",
        value: since.to_owned(),
        reason,
    };
    if let Ok(timestamp) = since.parse::<jiff::Timestamp>() {
        return Ok(format_time(timestamp));
    }
    let date: jiff::civil::Date = since
        .parse()
        .map_err(|error: jiff::Error| invalid(error.to_string()))?;
    let timestamp = date
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map_err(|error| invalid(error.to_string()))?
        .timestamp();
    Ok(format_time(timestamp))
}

/// Sequence numbers and limits beyond `i64::MAX` cannot exist in SQLite; clamp them.
fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
