//! Database analysis: what SQL, a `redis-cli` command or a mongo shell script would
//! destroy — dropped databases and tables, truncations, deletes and updates that touch
//! every row, dropped columns, flushed keyspaces.
//!
//! SQL is parsed with `sqlparser` (`sql`), in the client's dialect, after the client's
//! own commands (psql `\…`, sqlite3 `.…`, mysql `source`) are taken out. What the
//! parser cannot read is searched for destructive keywords with `sqlparser`'s tokenizer,
//! so that string literals stay data and harmless vendor syntax does not make a call
//! opaque. Redis commands are words (`redis`). Mongo shell scripts are JavaScript,
//! scanned by a small tokenizer of our own (`mongo`).
//!
//! Everything here is a pure function of its text: nothing connects to a database.
//! The caller decides which client runs and passes its SQL, words or script; what
//! is found becomes findings on the action, and what could not be analysed but may
//! destroy data comes back as [`DbAnalysis::unparsed`].

mod mongo;
mod mongo_tokens;
mod redis;
mod sql;
mod sql_client;
mod sql_fallback;
mod sql_statements;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_nosql;
#[cfg(test)]
mod tests_parsing;

use crate::Action;

/// Which SQL dialect the client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SqlDialect {
    /// `psql`, `pg_dump` output.
    Postgres,
    /// `mysql`, `mariadb`.
    MySql,
    /// `sqlite3`.
    Sqlite,
    /// Any other client: the most permissive dialect.
    Generic,
}

/// What database analysis found beyond findings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct DbAnalysis {
    /// Why part of the text could not be analysed, when that part may destroy data.
    /// None when everything parsed, or when what failed to parse has no destructive keyword.
    pub(crate) unparsed: Option<String>,
}

/// Analyses SQL (one or many statements), adding findings to `action`.
pub(crate) fn analyze_sql(sql: &str, dialect: SqlDialect, action: &mut Action) -> DbAnalysis {
    sql::analyze(sql, dialect).apply(action)
}

/// Analyses a redis-cli command given as its words after the program's name, with or
/// without the client's own options (`-h host`, `-n 2`, `--tls`) in front.
pub(crate) fn analyze_redis(words: &[&str], action: &mut Action) -> DbAnalysis {
    redis::analyze(words).apply(action)
}

/// Analyses JavaScript given to mongo/mongosh (`--eval` text or a script on stdin).
pub(crate) fn analyze_mongo(script: &str, action: &mut Action) -> DbAnalysis {
    mongo::analyze(script).apply(action)
}

/// Finding kind: a whole database, schema or keyspace is dropped.
const DROP_DATABASE: &str = "db.drop-database";
/// Finding kind: a table, view, index, function or other object is dropped.
const DROP_TABLE: &str = "db.drop-table";
/// Finding kind: a table is truncated.
const TRUNCATE: &str = "db.truncate";
/// Finding kind: every row of a table is deleted.
const DELETE_ALL: &str = "db.delete-all";
/// Finding kind: every row of a table is updated.
const UPDATE_ALL: &str = "db.update-all";
/// Finding kind: a column, constraint, index or partition is dropped from a table.
const ALTER_DROP: &str = "db.alter-drop";
/// Finding kind: the current Redis database is emptied.
const FLUSH: &str = "db.flush";

/// Texts longer than this are not parsed: parsing costs time on every call, and no
/// agent types a megabyte of SQL by hand. They are only searched for destructive words.
const MAX_INPUT_BYTES: usize = 1 << 20;

/// Details are for people reading a decision; longer ones are cut.
const MAX_DETAIL_CHARS: usize = 80;

/// Reasons end up in records and prompts; longer ones are cut.
const MAX_REASON_CHARS: usize = 240;

/// One finding before it is added to the action.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Found {
    kind: &'static str,
    subject: Option<String>,
    detail: String,
}

impl Found {
    fn new(kind: &'static str, subject: Option<String>, detail: String) -> Self {
        Found {
            kind,
            subject,
            detail: shorten(&detail, MAX_DETAIL_CHARS),
        }
    }
}

/// What one analysis found: findings, and why part could not be analysed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Outcome {
    found: Vec<Found>,
    unparsed: Option<String>,
}

impl Outcome {
    /// Keeps the first reason: it names the earliest part Ward could not read.
    fn note_unparsed(&mut self, reason: String) {
        if self.unparsed.is_none() {
            self.unparsed = Some(shorten(&reason, MAX_REASON_CHARS));
        }
    }

    fn merge(&mut self, other: Outcome) {
        self.found.extend(other.found);
        if let Some(reason) = other.unparsed {
            self.note_unparsed(reason);
        }
    }

    fn apply(self, action: &mut Action) -> DbAnalysis {
        for found in self.found {
            action.add_finding(found.kind, found.subject.as_deref(), found.detail);
        }
        DbAnalysis {
            unparsed: self.unparsed,
        }
    }
}

/// Cuts `text` to at most `max` characters, marking the cut with `…`.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// The SQL keywords that may destroy data or access to it.
const DESTRUCTIVE_WORDS: [&str; 7] = [
    "DROP", "TRUNCATE", "DELETE", "UPDATE", "ALTER", "GRANT", "REVOKE",
];

/// The first destructive SQL keyword anywhere in `text` as a whole word, ignoring
/// case — strings and comments included. Only for text the tokenizer cannot read
/// (too large, unterminated quote), where erring towards "may destroy" is right.
fn first_destructive_word(text: &str) -> Option<&'static str> {
    let bytes = text.as_bytes();
    let is_word_byte = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut start = 0;
    while start < bytes.len() {
        if !is_word_byte(bytes[start]) {
            start += 1;
            continue;
        }
        let mut end = start;
        while end < bytes.len() && is_word_byte(bytes[end]) {
            end += 1;
        }
        let word = &bytes[start..end];
        if let Some(found) = DESTRUCTIVE_WORDS
            .iter()
            .find(|keyword| word.eq_ignore_ascii_case(keyword.as_bytes()))
        {
            return Some(found);
        }
        start = end;
    }
    None
}
