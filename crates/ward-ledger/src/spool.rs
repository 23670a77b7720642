//! The spool: where a record waits when the ledger cannot take it, and how it comes
//! back.
//!
//! The spool is the ledger's journal. The hook writes each record as one JSON line
//! to `<ledger>.spool.jsonl` under an exclusive file lock and `fdatasync`s it before
//! it answers ([`crate::append_queued`]); the SQLite ledger takes the lines in
//! batches. It is also where a record waits when the ledger cannot take it (locked
//! past the busy timeout, disk full, a corrupt or newer database). Every append and
//! every ingest takes the spool first, in order, inside its own write transaction,
//! then truncates it.
//!
//! Exactly once: the SHA-256 of every ingested line goes into `spool_ingested` in the
//! same transaction as its record, so a process that dies between the commit and the
//! truncation leaves lines that the next ingest skips. Each line carries the writer's
//! pid and a nanosecond time, so two spooled copies of one record stay distinct lines.
//! A line that does not parse (a writer killed mid-line, a hand edit) is moved to
//! `<spool>.rejected`, never dropped.
//!
//! Lock order: an ingest holds the database write lock and then takes the spool lock,
//! briefly, to read and later to compact; a spool writer takes only the spool lock.
//! So neither can wait for the other in a cycle, and writers never wait for inserts.

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
    write_line(&path, record, reason)
        .map(|_| ())
        .map_err(|source| LedgerError::Spool { path, source })
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

/// Writes one line and makes it durable (`fdatasync`); returns the spool's new length.
pub(crate) fn write_line(path: &Path, record: &Record, reason: &str) -> io::Result<u64> {
    let entry = SpoolLine {
        spooled_at: jiff::Timestamp::now().to_string(),
        pid: std::process::id(),
        n: LINES_WRITTEN.fetch_add(1, Ordering::Relaxed),
        reason,
        record,
    };
    let mut line = serde_json::to_vec(&entry).map_err(io::Error::other)?;
    line.push(b'\n');
    let mut file = open_locked(path)?;
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
    file.sync_data()?;
    Ok(length.saturating_add(line.len() as u64))
}

/// Opens the spool for appending and locks it, making sure the locked file is still
/// the one at `path`: an ingest replaces the file (see [`Ingested::compact`]), and a
/// writer that opened the old one before must not write into a file nobody reads.
fn open_locked(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::MetadataExt;
    for _ in 0..MAX_REOPENS {
        let file = open_for_append(path)?;
        file.lock()?;
        let locked = file.metadata()?;
        match fs::metadata(path) {
            Ok(current) if current.ino() == locked.ino() && current.dev() == locked.dev() => {
                return Ok(file);
            }
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(error),
        }
    }
    Err(io::Error::other(format!(
        "the spool `{}` was replaced {MAX_REOPENS} times while waiting for its lock",
        path.display()
    )))
}

/// How often a writer reopens a spool that an ingest replaced under it.
const MAX_REOPENS: usize = 16;

/// What an ingest read from the spool: which file, and how much of it. Compact it
/// once the transaction has committed.
pub(crate) struct Ingested {
    path: PathBuf,
    device: u64,
    inode: u64,
    length: u64,
}

impl Ingested {
    /// Removes the ingested prefix from the spool, under its lock: deletes the file
    /// if nothing was appended since it was read, else replaces it with the lines
    /// appended since. Either way the file at the path is a new one, which writers
    /// notice ([`open_locked`]). If another ingest replaced it first, nothing is done
    /// and `false` is returned: the new file may start with lines this ingest took,
    /// which a further ingest skips by their hashes and compacts.
    pub(crate) fn compact(self) -> io::Result<bool> {
        use std::os::unix::fs::MetadataExt;
        let mut file = match File::options().read(true).open(&self.path) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(true),
            Err(error) => return Err(error),
        };
        file.lock()?;
        let metadata = file.metadata()?;
        let current = fs::metadata(&self.path)?;
        if metadata.ino() != self.inode
            || metadata.dev() != self.device
            || current.ino() != self.inode
            || metadata.len() < self.length
        {
            return Ok(false);
        }
        if metadata.len() == self.length {
            return fs::remove_file(&self.path).map(|()| true);
        }
        let mut tail = Vec::new();
        file.seek(SeekFrom::Start(self.length))?;
        file.read_to_end(&mut tail)?;
        let fresh = with_suffix(&self.path, ".compacting");
        let mut out = open_for_append(&fresh)?;
        out.set_len(0)?;
        out.write_all(&tail)?;
        out.sync_data()?;
        fs::rename(&fresh, &self.path).map(|()| true)
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
    // The lock is held only while reading: writers keep appending while the records
    // are inserted, and `Ingested::compact` removes just what was read.
    file.lock().map_err(io_error)?;
    let mut text = Vec::new();
    file.read_to_end(&mut text).map_err(io_error)?;
    let metadata = file.metadata().map_err(io_error)?;
    file.unlock().map_err(io_error)?;
    let ingested = {
        use std::os::unix::fs::MetadataExt;
        Ingested {
            path: spool.to_path_buf(),
            device: metadata.dev(),
            inode: metadata.ino(),
            length: text.len() as u64,
        }
    };

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
    Ok(Some(ingested))
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
