//! Reading the records for `verify` and checking each one on its own, on every core.
//!
//! What can be checked of a record alone (its body parses and is canonical, its
//! hash, its `seq` against the row's, its indexed columns against its body, its
//! Merkle leaf) is most of `verify`'s time, and needs nothing from other records.
//! So the thread that reads SQLite hands chunks of rows to worker threads and takes
//! their findings back in `seq` order; what needs the records in order (gaps, the
//! chains, the leaves' order, the problem list, progress) stays on that thread,
//! in [`super::Check`], exactly as when one thread did everything.
//!
//! A stored body is checked once: when it is, for sure, canonical JSON
//! ([`is_canonical`], one pass), it is hashed as it is and parsed straight into a
//! [`Record`]. Anything else (not canonical, not a record, a float) goes the way
//! every body went before: parsed to a `Value`, put in canonical form, hashed,
//! compared, converted, so that what is reported, and how, does not change.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::mpsc::{Receiver, Sender, channel, sync_channel};
use std::sync::{Arc, Mutex};

use rusqlite::Row;
use rusqlite::types::ValueRef;

use super::ProblemKind;
use crate::LedgerError;
use crate::hash::{canonical, is_canonical, sha256_hex};
use crate::merkle::{self, Hash};
use crate::record::Record;
use ward_core::EventKind;

/// Rows per chunk handed to a worker: large enough that handing over is cheap
/// (a few MB), small enough that the workers start early and stay busy.
const CHUNK_ROWS: usize = 1024;

/// The columns `verify` reads, in this order; the record's own fields are 1..=11.
/// The last is the stored Merkle leaf of a pruned record (an empty body), which
/// is then the only thing left to build the tree from.
pub(super) const SELECT_RECORDS: &str =
    "SELECT seq, session_id, session_seq, time, event, tool, category, decision,
            agent, subagent_id, subagent_type, tool_use_id, body, hash,
            CASE WHEN body = '' THEN
                (SELECT hash FROM merkle_nodes WHERE level = 0 AND idx = records.seq - 1)
            END
     FROM records ORDER BY seq";

/// The indexed columns (by their index in [`SELECT_RECORDS`]) and their names.
const INDEXED: [(&str, usize); 11] = [
    ("session_id", 1),
    ("session_seq", 2),
    ("time", 3),
    ("event", 4),
    ("tool", 5),
    ("category", 6),
    ("decision", 7),
    ("agent", 8),
    ("subagent_id", 9),
    ("subagent_type", 10),
    ("tool_use_id", 11),
];
const BODY: usize = 12;
const HASH: usize = 13;
const PRUNED_LEAF: usize = 14;
/// Columns per row.
const COLUMNS: usize = 15;

/// Rows as read, every column's bytes in one buffer; reused from chunk to chunk,
/// so that the reading thread neither allocates nor frees per row.
#[derive(Default)]
pub(super) struct Chunk {
    bytes: Vec<u8>,
    rows: Vec<RawRow>,
}

/// One row: its `seq` if it is an integer, and where each other column is in
/// [`Chunk::bytes`] (`None` for NULL, or a column that cannot be read).
pub(super) struct RawRow {
    pub(super) seq: Option<i64>,
    columns: [Option<(usize, usize)>; COLUMNS],
}

impl Chunk {
    fn with_capacity() -> Chunk {
        Chunk {
            bytes: Vec::with_capacity(CHUNK_ROWS * 1536),
            rows: Vec::with_capacity(CHUNK_ROWS),
        }
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.rows.clear();
    }

    /// Copies a row; numbers as their text (a hand edit may change a column's
    /// storage class), text and blobs as bytes, made text by the worker.
    fn push(&mut self, row: &Row<'_>) {
        let mut columns = [None; COLUMNS];
        for (index, column) in columns.iter_mut().enumerate().skip(1) {
            let start = self.bytes.len();
            let written = match row.get_ref(index) {
                Ok(ValueRef::Integer(value)) => write!(self.bytes, "{value}").is_ok(),
                Ok(ValueRef::Real(value)) => write!(self.bytes, "{value}").is_ok(),
                Ok(ValueRef::Text(bytes) | ValueRef::Blob(bytes)) => {
                    self.bytes.extend_from_slice(bytes);
                    true
                }
                Ok(ValueRef::Null) | Err(_) => false,
            };
            if written {
                *column = Some((start, self.bytes.len()));
            }
        }
        let seq = match row.get_ref(0) {
            Ok(ValueRef::Integer(value)) => Some(value),
            _ => None,
        };
        self.rows.push(RawRow { seq, columns });
    }

    /// A column's bytes.
    fn bytes(&self, row: &RawRow, index: usize) -> Option<&[u8]> {
        let (start, end) = (*row.columns.get(index)?)?;
        self.bytes.get(start..end)
    }

    /// A column as text, as [`super::text`] reads it (invalid UTF-8 replaced).
    fn column(&self, row: &RawRow, index: usize) -> Option<Cow<'_, str>> {
        let (start, end) = (*row.columns.get(index)?)?;
        let bytes = self.bytes.get(start..end)?;
        // `from_utf8` is several times faster than the lossy scan on valid text.
        Some(match std::str::from_utf8(bytes) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(bytes),
        })
    }
}

/// A problem found in one record alone, before its `seq` is known to be in order.
pub(super) struct Found {
    pub(super) session: Option<String>,
    pub(super) kind: ProblemKind,
    pub(super) message: String,
}

/// What checking one record alone gave.
pub(super) struct Analysis {
    /// The Merkle leaf of its stored body.
    pub(super) leaf: Hash,
    /// Its problems, in the order they are reported.
    pub(super) problems: Vec<Found>,
    /// What the chain check needs of it, when the body is a record.
    pub(super) link: Option<Link>,
}

/// A part of a chunk's [`Links::text`].
type Span = (usize, usize);

/// What the in-order chain check needs of a record: its strings are in the chunk's
/// [`Links`] text, so that the record itself is dropped by the worker that built it
/// (freeing on another thread than the one that allocated was a fifth of the
/// reading thread's time).
pub(super) struct Link {
    event: EventKind,
    session_seq: u64,
    pre_record: Option<u64>,
    intent: Option<u64>,
    session_id: Span,
    tool_use_id: Option<Span>,
    prev_hash: Option<Span>,
    time: Span,
    agent: Span,
    cwd: Span,
    /// The recomputed hash (a pruned record's stored one).
    hash: Span,
    /// A pruned record: its fields are its columns, and its own links (the
    /// previous hash, the pre record, the prompt) are gone with its body.
    pruned: bool,
}

/// The text of a chunk's [`Link`]s.
#[derive(Default)]
pub(super) struct Links {
    text: String,
}

impl Links {
    fn add(&mut self, text: &str) -> Span {
        let start = self.text.len();
        self.text.push_str(text);
        (start, self.text.len())
    }

    fn link(&mut self, record: &Record, hash: &str) -> Link {
        Link {
            event: EventKind::parse(&record.request.event),
            session_seq: record.reference.session_seq,
            pre_record: record.reference.pre_record,
            intent: record.reference.intent,
            session_id: self.add(&record.role.session_id),
            tool_use_id: record.request.tool_use_id.as_deref().map(|id| self.add(id)),
            prev_hash: record.reference.prev_hash.as_deref().map(|h| self.add(h)),
            time: self.add(&record.time),
            agent: self.add(&record.role.agent),
            cwd: self.add(&record.request.cwd),
            hash: self.add(hash),
            pruned: false,
        }
    }

    /// The link of a pruned record, from its columns.
    fn pruned(&mut self, chunk: &Chunk, row: &RawRow) -> Link {
        let mut column = |index: usize| {
            let text = chunk.column(row, index).unwrap_or_default();
            self.add(&text)
        };
        let session_id = column(INDEXED[0].1);
        let time = column(INDEXED[2].1);
        let agent = column(INDEXED[7].1);
        let hash = column(HASH);
        let cwd = self.add("");
        let tool_use_id = chunk.column(row, INDEXED[10].1).map(|id| self.add(&id));
        Link {
            event: EventKind::parse(&chunk.column(row, INDEXED[3].1).unwrap_or_default()),
            session_seq: chunk
                .column(row, INDEXED[1].1)
                .and_then(|n| n.parse().ok())
                .unwrap_or(0),
            pre_record: None,
            intent: None,
            session_id,
            tool_use_id,
            prev_hash: None,
            time,
            agent,
            cwd,
            hash,
            pruned: true,
        }
    }

    fn get(&self, (start, end): Span) -> &str {
        self.text.get(start..end).unwrap_or_default()
    }

    /// `link` with its strings.
    pub(super) fn view<'a>(&'a self, link: &'a Link) -> LinkView<'a> {
        LinkView {
            event: &link.event,
            session_seq: link.session_seq,
            pre_record: link.pre_record,
            intent: link.intent,
            session_id: self.get(link.session_id),
            tool_use_id: link.tool_use_id.map(|span| self.get(span)),
            prev_hash: link.prev_hash.map(|span| self.get(span)),
            time: self.get(link.time),
            agent: self.get(link.agent),
            cwd: self.get(link.cwd),
            hash: self.get(link.hash),
            pruned: link.pruned,
        }
    }
}

/// A [`Link`] with its strings: the record's fields the chain check reads.
pub(super) struct LinkView<'a> {
    pub(super) event: &'a EventKind,
    pub(super) session_seq: u64,
    pub(super) pre_record: Option<u64>,
    pub(super) intent: Option<u64>,
    pub(super) session_id: &'a str,
    pub(super) tool_use_id: Option<&'a str>,
    pub(super) prev_hash: Option<&'a str>,
    pub(super) time: &'a str,
    pub(super) agent: &'a str,
    pub(super) cwd: &'a str,
    /// The recomputed hash.
    pub(super) hash: &'a str,
    /// A pruned record (see [`Link::pruned`]).
    pub(super) pruned: bool,
}

/// Checks one row alone; `None` when its `seq` is not a usable number (the
/// in-order check reports that, and nothing else of the row).
fn analyse(
    chunk: &Chunk,
    row: &RawRow,
    links: &mut Links,
    pruned_through: u64,
) -> Option<Analysis> {
    let seq = u64::try_from(row.seq?).ok()?;
    let body = chunk.column(row, BODY).unwrap_or_default();
    let body = body.as_ref();
    if body.is_empty() {
        return Some(pruned(chunk, row, seq, links, pruned_through));
    }
    let leaf = merkle::leaf_hash(body.as_bytes());
    let stored_hash = chunk.column(row, HASH).unwrap_or_default();
    let stored_hash = stored_hash.as_ref();
    let column_session = chunk.column(row, INDEXED[0].1);
    let column_session = column_session.as_deref();
    let mut problems = Vec::new();

    // The one pass: a canonical body is its own canonical form.
    let fast = is_canonical(body)
        .then(|| serde_json::from_str::<Record>(body).ok())
        .flatten();
    let (record, hash) = match fast {
        Some(record) => {
            let hash = sha256_hex(body.as_bytes());
            if hash != stored_hash {
                problems.push(hash_mismatch(seq, column_session));
            }
            (record, hash)
        }
        None => match slow(seq, body, stored_hash, column_session, &mut problems) {
            Some(found) => found,
            None => {
                return Some(Analysis {
                    leaf,
                    problems,
                    link: None,
                });
            }
        },
    };
    let session = Some(record.role.session_id.clone());
    if record.reference.seq != seq {
        problems.push(Found {
            session: session.clone(),
            kind: ProblemKind::SeqMismatch,
            message: format!(
                "record {seq}: its body says it is record {} (rows reordered or bodies \
                 swapped?)",
                record.reference.seq
            ),
        });
    }
    columns(chunk, row, seq, &record, &mut problems);
    Some(Analysis {
        leaf,
        problems,
        link: Some(links.link(&record, &hash)),
    })
}

/// A record whose body is empty: pruned, if a recorded prune covers it and it is
/// not the host's; otherwise its content was deleted.
fn pruned(
    chunk: &Chunk,
    row: &RawRow,
    seq: u64,
    links: &mut Links,
    pruned_through: u64,
) -> Analysis {
    let session = chunk.column(row, INDEXED[0].1).map(Cow::into_owned);
    let stored_leaf: Option<Hash> = chunk
        .bytes(row, PRUNED_LEAF)
        .and_then(|bytes| bytes.try_into().ok());
    let host = session.as_deref() == Some(crate::record::HOST_SESSION);
    if seq > pruned_through || host {
        return Analysis {
            leaf: merkle::leaf_hash(b""),
            problems: vec![Found {
                session,
                kind: ProblemKind::BadBody,
                message: format!(
                    "record {seq}: its body is empty, and no recorded prune covers it (its \
                     content deleted?)"
                ),
            }],
            link: None,
        };
    }
    let Some(leaf) = stored_leaf else {
        return Analysis {
            leaf: merkle::leaf_hash(b""),
            problems: vec![Found {
                session,
                kind: ProblemKind::MerkleTree,
                message: format!(
                    "record {seq}: it was pruned, and its leaf is missing from the tree (the \
                     only evidence left of it deleted?)"
                ),
            }],
            link: None,
        };
    };
    Analysis {
        leaf,
        problems: Vec::new(),
        link: Some(links.pruned(chunk, row)),
    }
}

fn hash_mismatch(seq: u64, session: Option<&str>) -> Found {
    Found {
        session: session.map(str::to_owned),
        kind: ProblemKind::HashMismatch,
        message: format!("record {seq}: stored hash does not match its content (field edited?)"),
    }
}

/// A body that is not, for sure, canonical: parsed to a `Value`, canonicalised,
/// hashed and converted, reporting what fails. `None` when it is not a record.
fn slow(
    seq: u64,
    body: &str,
    stored_hash: &str,
    session: Option<&str>,
    problems: &mut Vec<Found>,
) -> Option<(Record, String)> {
    let mut problem = |kind, message| {
        problems.push(Found {
            session: session.map(str::to_owned),
            kind,
            message,
        });
    };
    let value: serde_json::Value = match serde_json::from_str(body) {
        Ok(value) => value,
        Err(error) => {
            let message = format!("record {seq}: the body is not JSON ({error})");
            problem(ProblemKind::BadBody, message);
            return None;
        }
    };
    let Ok(canonical_body) = canonical(&value) else {
        let message = format!("record {seq}: the body cannot be put in canonical form");
        problem(ProblemKind::BadBody, message);
        return None;
    };
    let hash = sha256_hex(canonical_body.as_bytes());
    if hash != stored_hash {
        let message =
            format!("record {seq}: stored hash does not match its content (field edited?)");
        problem(ProblemKind::HashMismatch, message);
    } else if canonical_body != body {
        let message = format!(
            "record {seq}: the body is not in the canonical form the ledger writes \
             (rewritten by hand?)"
        );
        problem(ProblemKind::NotCanonical, message);
    }
    match serde_json::from_value(value) {
        Ok(record) => Some((record, hash)),
        Err(error) => {
            let message = format!("record {seq}: the body is not a valid record ({error})");
            problem(ProblemKind::BadBody, message);
            None
        }
    }
}

/// The indexed columns must equal the body.
fn columns(chunk: &Chunk, row: &RawRow, seq: u64, record: &Record, problems: &mut Vec<Found>) {
    let session_seq = record.reference.session_seq.to_string();
    let body_values: [Option<&str>; 11] = [
        Some(&record.role.session_id),
        Some(&session_seq),
        Some(&record.time),
        Some(&record.request.event),
        record.request.tool.as_deref(),
        record.request.category.as_deref(),
        record.result.decision.as_deref(),
        Some(&record.role.agent),
        record.role.subagent_id.as_deref(),
        record.role.subagent_type.as_deref(),
        record.request.tool_use_id.as_deref(),
    ];
    for ((name, index), body_value) in INDEXED.into_iter().zip(body_values) {
        let column = chunk.column(row, index);
        let column = column.as_deref();
        if column != body_value {
            problems.push(Found {
                session: Some(record.role.session_id.clone()),
                kind: ProblemKind::ColumnMismatch,
                message: format!(
                    "record {seq}: column `{name}` says {} but the body says {} (column \
                     edited?)",
                    super::shown(column),
                    super::shown(body_value)
                ),
            });
        }
    }
}

/// What takes each record in order: its row's `seq` column (if an integer), what
/// checking it alone gave, and the text of its chunk's links.
pub(super) type Each<'a> = dyn FnMut(Option<i64>, Option<Analysis>, &Links) + 'a;

/// A chunk, what checking each of its rows alone gave, and their links' text.
type Checked = (Chunk, Vec<Option<Analysis>>, Links);

/// Reads every record, checks each alone on `workers` threads, and hands them to
/// `each` in `seq` order with their row's `seq` column. Stops at the first error
/// of `next_row` (reading SQLite) or of `each`.
pub(super) fn for_each_record(
    workers: usize,
    pruned_through: u64,
    next_row: &mut dyn FnMut(&mut Chunk) -> Result<bool, LedgerError>,
    each: &mut Each<'_>,
) -> Result<(), LedgerError> {
    std::thread::scope(|scope| {
        // Bounded, so that reading stays at most a few chunks ahead of the workers;
        // the way back is not, so that a worker never waits on this thread while
        // this thread waits on it.
        let (work, work_queue) = sync_channel::<(u64, Chunk)>(workers * 2);
        let work_queue = Arc::new(Mutex::new(work_queue));
        let (done, results) = channel::<(u64, Checked)>();
        for _ in 0..workers {
            let work_queue = Arc::clone(&work_queue);
            let done = done.clone();
            scope.spawn(move || work_loop(&work_queue, &done, pruned_through));
        }
        drop(done);
        let mut order = InOrder {
            results,
            next: 0,
            waiting: BTreeMap::new(),
            free: Vec::new(),
        };
        let mut sent = 0u64;
        loop {
            let mut chunk = order.free.pop().unwrap_or_else(Chunk::with_capacity);
            let mut more = true;
            while chunk.rows.len() < CHUNK_ROWS {
                more = next_row(&mut chunk)?;
                if !more {
                    break;
                }
            }
            if !chunk.rows.is_empty() {
                work.send((sent, chunk)).map_err(|_| WORKERS_GONE)?;
                sent += 1;
            }
            order.drain(false, each);
            if !more {
                break;
            }
        }
        drop(work);
        while order.next < sent {
            if !order.drain(true, each) {
                return Err(WORKERS_GONE);
            }
        }
        Ok(())
    })
}

/// The workers stopped before checking every chunk (only a panic stops them, and
/// the scope passes that on); never a report that silently skipped records.
const WORKERS_GONE: LedgerError = LedgerError::Internal("a verify worker stopped");

/// A worker: checks chunks until there are no more.
fn work_loop(
    work_queue: &Mutex<Receiver<(u64, Chunk)>>,
    done: &Sender<(u64, Checked)>,
    pruned_through: u64,
) {
    loop {
        let next = match work_queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        let Ok((index, chunk)) = next else { return };
        let mut links = Links::default();
        let analyses = chunk
            .rows
            .iter()
            .map(|row| analyse(&chunk, row, &mut links, pruned_through))
            .collect();
        if done.send((index, (chunk, analyses, links))).is_err() {
            return;
        }
    }
}

/// Checked chunks, put back in the order they were read.
struct InOrder {
    results: Receiver<(u64, Checked)>,
    next: u64,
    waiting: BTreeMap<u64, Checked>,
    /// Chunks done with, to read into again.
    free: Vec<Chunk>,
}

impl InOrder {
    /// Hands every checked chunk that is next in order to `each`; with `wait`,
    /// waits for at least one. `false` when the workers are gone.
    fn drain(&mut self, wait: bool, each: &mut Each<'_>) -> bool {
        let mut alive = true;
        if wait {
            match self.results.recv() {
                Ok((index, checked)) => {
                    self.waiting.insert(index, checked);
                }
                Err(_) => alive = false,
            }
        }
        while let Ok((index, checked)) = self.results.try_recv() {
            self.waiting.insert(index, checked);
        }
        while let Some((mut chunk, analyses, links)) = self.waiting.remove(&self.next) {
            for (row, analysis) in chunk.rows.iter().zip(analyses) {
                each(row.seq, analysis, &links);
            }
            chunk.clear();
            self.free.push(chunk);
            self.next += 1;
        }
        alive
    }
}

/// Reads one row into `chunk`; `false` at the end.
pub(super) fn read_row(rows: &mut rusqlite::Rows<'_>, chunk: &mut Chunk) -> rusqlite::Result<bool> {
    match rows.next()? {
        Some(row) => {
            chunk.push(row);
            Ok(true)
        }
        None => Ok(false),
    }
}
