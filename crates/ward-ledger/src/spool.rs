//! The spool: where a record waits when the ledger cannot take it, and how it comes
//! back.
//!
//! "Nothing is lost": when an append fails (locked past the busy timeout, disk full,
//! a corrupt or newer database), the hook writes the record as one JSON line to
//! `<ledger>.spool.jsonl` under an exclusive file lock. The next append ingests the
//! spool first, in order, inside its own write transaction, then truncates it.
//!
//! Exactly once: the SHA-256 of every ingested line goes into `spool_ingested` in the
//! same transaction as its record, so a process that dies between the commit and the
//! truncation leaves lines that the next ingest skips. Each line carries the writer's
//! pid and a nanosecond time, so two spooled copies of one record stay distinct lines.
//! A line that does not parse (a writer killed mid-line, a hand edit) is moved to
//! `<spool>.rejected`, never dropped.
//!
//! Lock order: an ingest holds the database write lock and then takes the spool lock;
//! a spool writer takes only the spool lock. So neither can wait for the other in a
//! cycle.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use crate::LedgerError;
use crate::hash::sha256_hex;
use crate::record::Record;
use crate::store::{Context, insert_record};

/// The spool file of the ledger at `db_path`: the path with `.spool.jsonl` appended.
pub fn spool_path(db_path: &Path) -> PathBuf {
    with_suffix(db_path, ".spool.jsonl")
}

/// Where spool lines that cannot be ingested are kept: the spool path with
/// `.rejected` appended.
pub fn rejected_path(db_path: &Path) -> PathBuf {
    with_suffix(&spool_path(db_path), ".rejected")
}

/// Writes `record` (its reference left as given) and `reason` as one line of the
/// spool of the ledger at `db_path`, creating the file (mode 0600) if needed.
pub fn spool(db_path: &Path, record: &Record, reason: &str) -> Result<(), LedgerError> {
    let path = spool_path(db_path);
    write_line(&path, record, reason).map_err(|source| LedgerError::Spool { path, source })
}

/// How many lines wait in the spool of the ledger at `db_path` (0 if there is none).
pub fn pending_spooled(db_path: &Path) -> Result<usize, LedgerError> {
    let path = spool_path(db_path);
    let count = || -> io::Result<usize> {
        let mut file = match File::open(&path) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(0),
            Err(error) => return Err(error),
        };
        file.lock_shared()?;
        let mut text = Vec::new();
        file.read_to_end(&mut text)?;
        Ok(lines(&text).count())
    };
    count().map_err(|source| LedgerError::Spool {
        path: path.clone(),
        source,
    })
}

/// One spool line.
#[derive(Serialize)]
struct SpoolLine<'a> {
    /// When the line was written (RFC 3339, nanoseconds).
    spooled_at: String,
    /// The writer's process id.
    pid: u32,
    /// A per-process counter: with `spooled_at` and `pid`, makes every line unique.
    n: u64,
    /// Why the ledger did not take the record.
    reason: &'a str,
    /// The record as given.
    record: &'a Record,
}

/// A spool line, read back. Only the record matters; the rest is for people.
#[derive(Deserialize)]
struct SpooledRecord {
    record: Record,
}

static LINES_WRITTEN: AtomicU64 = AtomicU64::new(0);

pub(crate) fn write_line(path: &Path, record: &Record, reason: &str) -> io::Result<()> {
    let entry = SpoolLine {
        spooled_at: jiff::Timestamp::now().to_string(),
        pid: std::process::id(),
        n: LINES_WRITTEN.fetch_add(1, Ordering::Relaxed),
        reason,
        record,
    };
    let mut line = serde_json::to_vec(&entry).map_err(io::Error::other)?;
    line.push(b'\n');
    let mut file = open_for_append(path)?;
    file.lock()?;
    // A writer killed mid-line left no newline: start a fresh line, so that its
    // fragment is rejected on its own instead of swallowing this record.
    let length = file.metadata()?.len();
    if length > 0 {
        let mut last = [0u8; 1];
        file.seek(SeekFrom::Start(length.saturating_sub(1)))?;
        file.read_exact(&mut last)?;
        if last != *b"\n" {
            line.insert(0, b'\n');
        }
    }
    file.write_all(&line)?;
    file.sync_data()
}

/// The spool, locked and ingested; truncate it once the transaction has committed.
pub(crate) struct Ingested {
    file: File,
}

impl Ingested {
    /// Empties the spool (the lock is released when `self` drops).
    pub(crate) fn truncate(self) -> io::Result<()> {
        self.file.set_len(0)
    }
}

/// Appends every spooled record not yet ingested, in order, inside the caller's write
/// transaction. Returns the locked spool, to be truncated after the commit, or `None`
/// when there is nothing to ingest (one `stat`, the common case).
pub(crate) fn ingest(
    conn: &Connection,
    spool: &Path,
    context: &Context<'_>,
) -> Result<Option<Ingested>, LedgerError> {
    let io_error = |source| LedgerError::Spool {
        path: spool.to_path_buf(),
        source,
    };
    match fs::metadata(spool) {
        Ok(metadata) if metadata.len() > 0 => {}
        Ok(_) => return Ok(None),
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(io_error(error)),
    }
    let mut file = match File::options().read(true).write(true).open(spool) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(io_error(error)),
    };
    file.lock().map_err(io_error)?;
    let mut text = Vec::new();
    file.read_to_end(&mut text).map_err(io_error)?;

    let mut rejected: Vec<&[u8]> = Vec::new();
    for line in lines(&text) {
        let new = conn
            .prepare_cached("INSERT OR IGNORE INTO spool_ingested (line_hash) VALUES (?1)")
            .and_then(|mut statement| statement.execute(params![sha256_hex(line)]))
            .map_err(|error| context.sqlite(error))?;
        if new == 0 {
            continue; // ingested before a crash that came before the truncation
        }
        let Ok(SpooledRecord { mut record }) = serde_json::from_slice(line) else {
            rejected.push(line);
            continue;
        };
        match insert_record(conn, &mut record, context) {
            Ok(_) => {}
            // The record itself cannot be stored; nothing was written for it.
            Err(LedgerError::Canonical(_) | LedgerError::Serialize(_)) => rejected.push(line),
            Err(error) => return Err(error),
        }
    }
    if !rejected.is_empty() {
        // Written before the commit: if the commit fails, a retry may write the same
        // lines again, which is better than losing them.
        let path = with_suffix(spool, ".rejected");
        write_rejected(&path, &rejected).map_err(|source| LedgerError::Spool { path, source })?;
    }
    Ok(Some(Ingested { file }))
}

fn write_rejected(path: &Path, rejected: &[&[u8]]) -> io::Result<()> {
    let mut file = open_for_append(path)?;
    file.lock()?;
    let mut text = Vec::new();
    for line in rejected {
        text.extend_from_slice(line);
        text.push(b'\n');
    }
    file.write_all(&text)?;
    file.sync_data()
}

/// The non-blank lines of a spool, without their line ends.
fn lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    text.split(|byte| *byte == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
}

fn open_for_append(path: &Path) -> io::Result<File> {
    let mut options = File::options();
    options.read(true).append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// `path` with `suffix` appended to its file name (`ledger.db` -> `ledger.db-wal`).
pub(crate) fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}
