//! The ledger's one error type, with a `hint()` that says what to do next.
//!
//! SQLite errors are sorted here ([`LedgerError::from_sqlite`]) into the cases a user
//! can act on (locked, full, corrupt, cannot open); everything else keeps SQLite's
//! own message and the path of the database it came from.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::ErrorCode;

/// Errors of the ledger.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// A value could not be put in canonical form.
    #[error("cannot canonicalise a record: {0}")]
    Canonical(String),

    /// A record could not be turned into JSON.
    #[error("cannot serialise a record: {0}")]
    Serialize(#[source] serde_json::Error),

    /// The database file could not be opened (missing folder, permissions).
    #[error("cannot open the ledger `{}`: {source}", path.display())]
    Open {
        /// The database path.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },

    /// The file is not an SQLite database, or SQLite found it damaged.
    #[error("the ledger `{}` is corrupt or not a Ward database: {source}", path.display())]
    Corrupt {
        /// The database path.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },

    /// Another connection held the write lock for longer than the busy timeout.
    #[error(
        "the ledger `{}` is locked by another process (gave up after {} ms)",
        path.display(),
        waited.as_millis()
    )]
    Busy {
        /// The database path.
        path: PathBuf,
        /// The busy timeout that ran out.
        waited: Duration,
    },

    /// The disk (or a quota) is full.
    #[error("cannot write the ledger `{}`: the disk is full", path.display())]
    DiskFull {
        /// The database path.
        path: PathBuf,
    },

    /// The database was written by a newer Ward with a schema this build does not know.
    #[error(
        "the ledger `{}` has schema version {found}, newer than the {supported} this ward knows",
        path.display()
    )]
    SchemaTooNew {
        /// The database path.
        path: PathBuf,
        /// `PRAGMA user_version` of the file.
        found: i64,
        /// The newest schema version this build knows.
        supported: i64,
    },

    /// A schema migration failed; the transaction was rolled back.
    #[error("cannot migrate the ledger `{}` to schema version {version}: {source}", path.display())]
    Migration {
        /// The database path.
        path: PathBuf,
        /// The version being applied.
        version: i64,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },

    /// Any other database error.
    #[error("database error in `{}`: {source}", path.display())]
    Database {
        /// The database path.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },

    /// The spool file could not be read, written or truncated.
    #[error("cannot use the spool `{}`: {source}", path.display())]
    Spool {
        /// The spool path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// A bundle file could not be read or written.
    #[error("cannot read or write `{}`: {source}", path.display())]
    BundleFile {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// Neither the ledger nor the spool could take the record: it is lost unless the
    /// caller keeps it.
    #[error("cannot record to the ledger ({ledger}), nor to the spool `{}`: {source}", spool.display())]
    Unrecorded {
        /// Why the ledger refused.
        ledger: Box<LedgerError>,
        /// The spool path.
        spool: PathBuf,
        /// Why the spool refused.
        #[source]
        source: std::io::Error,
    },

    /// A stored record body does not deserialise into a [`crate::Record`].
    #[error("record {seq}: the stored body is not a valid record: {source}")]
    BadRecord {
        /// The record's sequence number.
        seq: u64,
        /// What serde said.
        #[source]
        source: serde_json::Error,
    },

    /// No session id starts with the given prefix.
    #[error("no session id starts with `{prefix}`")]
    SessionNotFound {
        /// The prefix looked up.
        prefix: String,
    },

    /// More than one session id starts with the given prefix.
    #[error("`{prefix}` is ambiguous: it starts {} (and maybe more)", candidates.join(", "))]
    AmbiguousSession {
        /// The prefix looked up.
        prefix: String,
        /// Some of the session ids it matches.
        candidates: Vec<String>,
    },

    /// A query filter value is not valid.
    #[error("invalid `{field}` filter `{value}`: {reason}")]
    InvalidFilter {
        /// The filter field.
        field: &'static str,
        /// The value given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A proof was asked for sizes or records the ledger does not hold.
    #[error("{0}")]
    Proof(String),

    /// A state the code believes impossible (a bug, or a database edited by hand).
    #[error("internal error in the ledger: {0}")]
    Internal(&'static str),
}

impl LedgerError {
    /// What the user can do about the error, if there is something to say.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Self::Busy { .. } => Some(
                "another process is writing the ledger or holds it in a long transaction \
                 (an `sqlite3` shell, a backup); try again, or give it a longer busy timeout",
            ),
            Self::SchemaTooNew { .. } => {
                Some("the ledger was written by a newer ward; upgrade ward to use it")
            }
            Self::Corrupt { .. } => Some(
                "run `ward verify` to see what is damaged; restore the file from a backup, \
                 or move it aside to start a new ledger",
            ),
            Self::DiskFull { .. } => Some("free some disk space"),
            Self::Open { .. } => {
                Some("check that the folder exists and that you may read and write it")
            }
            Self::Migration { .. } => {
                Some("the ledger is unchanged; check disk space and permissions")
            }
            Self::Spool { .. } | Self::Unrecorded { .. } => {
                Some("check disk space and the permissions of the ledger's folder")
            }
            Self::BadRecord { .. } => Some("run `ward verify` to check the ledger"),
            Self::SessionNotFound { .. } => Some("`ward sessions` lists the session ids"),
            Self::AmbiguousSession { .. } => Some("type more characters of the session id"),
            Self::InvalidFilter { field: "since", .. } => Some(
                "give an RFC 3339 time such as `2025-01-31T09:00:00Z` or `2025-01-31T10:00:00+01:00`",
            ),
            _ => None,
        }
    }

    /// Sorts an SQLite error on the database at `path` into the variant a user can act on.
    pub(crate) fn from_sqlite(path: &Path, busy_timeout: Duration, error: rusqlite::Error) -> Self {
        let path = path.to_path_buf();
        match error.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Self::Busy {
                path,
                waited: busy_timeout,
            },
            Some(ErrorCode::DiskFull) => Self::DiskFull { path },
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => Self::Corrupt {
                path,
                source: error,
            },
            Some(ErrorCode::CannotOpen | ErrorCode::PermissionDenied | ErrorCode::ReadOnly) => {
                Self::Open {
                    path,
                    source: error,
                }
            }
            _ => Self::Database {
                path,
                source: error,
            },
        }
    }
}
