//! Moving evidence from the ledger to a sink: the queue is the ledger itself, read
//! after the sink's cursor; the cursor moves only after the sink took a batch.
//!
//! Events go out in ledger order: the outcome records by `seq`, and each
//! checkpoint of size N right after record N (the records it covers). A failed
//! batch leaves the cursor where it was and schedules the next attempt with
//! exponential backoff; nothing is dropped, and delivery is at-least-once (a crash
//! between a sink's answer and the state's update sends that batch again).

use std::path::PathBuf;
use std::time::Duration;

use jiff::Timestamp;
use serde::Serialize;
use ward_core::policy::SinkConfig;
use ward_ledger::{Ledger, LedgerError, RecordFilter, StoredCheckpoint, StoredRecord};

use crate::state::{SinkState, StateDir};
use crate::{Evidence, Sink};

/// How many records one batch reads past the cursor at most. Outcomes are a part
/// of the records only, so a batch may hold fewer events than its size; the next
/// one goes on from where the scan stopped.
const SCAN_RECORDS: usize = 1_000;

/// Why delivery itself (not a sink) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeliveryError {
    /// A sink's state file (or the lock) could not be read or written.
    #[error("sink state `{path}`: {message}")]
    State {
        /// The file.
        path: PathBuf,
        /// What went wrong, and what to do.
        message: String,
    },
    /// The ledger could not be read.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// Where the time comes from: the system, or a test's fixed time.
pub trait Clock {
    /// Now.
    fn now(&self) -> Timestamp;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// Exponential backoff with jitter: the delay after the n-th failure in a row is
/// `first · 2^(n-1)`, capped, of which a random half is taken off ("equal
/// jitter"), so that many hosts whose receiver came back do not retry in step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The delay after the first failure, before jitter.
    pub first: Duration,
    /// The longest delay, before jitter.
    pub cap: Duration,
}

impl Backoff {
    /// 1 s, doubling, up to an hour.
    pub const DEFAULT: Backoff = Backoff {
        first: Duration::from_secs(1),
        cap: Duration::from_secs(3_600),
    };

    /// The delay after `attempts` failures in a row (at least 1); `random` is any
    /// random number, of which the jitter is taken.
    pub fn delay(&self, attempts: u32, random: u64) -> Duration {
        let doublings = attempts.saturating_sub(1).min(32);
        let full = self
            .first
            .saturating_mul(1u32 << doublings.min(31))
            .min(self.cap);
        let half = full / 2;
        let half_ms = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        let jitter = if half_ms == 0 {
            0
        } else {
            random % (half_ms + 1)
        };
        (full - half) + Duration::from_millis(jitter)
    }
}

/// How one delivery run behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// Skip a sink whose next attempt is not due yet (background runs); `false`
    /// tries every sink now (`ward audit deliver`).
    pub respect_backoff: bool,
    /// Stop starting batches after this time (a background run's budget).
    pub deadline: Option<Timestamp>,
    /// The backoff after a failure.
    pub backoff: Backoff,
    /// Random bits for the backoff's jitter.
    pub random: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            respect_backoff: false,
            deadline: None,
            backoff: Backoff::DEFAULT,
            random: 0,
        }
    }
}

/// How a sink's run ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Finish {
    /// Everything in the ledger is delivered.
    UpToDate,
    /// A batch failed; the cursor stayed, and the next attempt is scheduled.
    Failed {
        /// What the sink said.
        error: String,
        /// When a background run tries again.
        next_attempt: String,
    },
    /// The sink is backing off after earlier failures; nothing was tried.
    Deferred {
        /// When a background run tries again.
        next_attempt: String,
    },
    /// The run's time budget ended with events still waiting.
    OutOfTime,
}

/// What one run did for one sink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The sink.
    pub id: String,
    /// Events delivered in this run.
    pub delivered: u64,
    /// Batches delivered in this run.
    pub batches: u64,
    /// How it ended.
    #[serde(flatten)]
    pub finish: Finish,
    /// The sink's state afterwards.
    pub state: SinkState,
}

/// One delivered batch, for progress output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress<'a> {
    /// The sink.
    pub id: &'a str,
    /// Events in the batch.
    pub events: usize,
    /// The cursor after it.
    pub record_seq: u64,
}

/// What still waits for a sink.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Backlog {
    /// Outcome records after the cursor (0 if the sink does not take outcomes).
    pub outcomes: u64,
    /// Checkpoints after the cursor (0 if the sink does not take checkpoints).
    pub checkpoints: u64,
    /// Notices after the cursor (0 if the sink does not take notices).
    pub notices: u64,
}

/// Delivers what waits in the ledger to one sink, batch by batch, until it is up
/// to date, a batch fails, or the deadline passes. Errors are the ledger's or the
/// state file's; a sink's failure is a [`Finish::Failed`] report.
pub fn deliver(
    ledger: &Ledger,
    config: &SinkConfig,
    sink: &dyn Sink,
    states: &StateDir,
    clock: &dyn Clock,
    options: &Options,
    progress: &mut dyn FnMut(&Progress<'_>),
) -> Result<Report, DeliveryError> {
    let mut state = states.load(&config.id)?;
    let mut report = Report {
        id: config.id.clone(),
        delivered: 0,
        batches: 0,
        finish: Finish::UpToDate,
        state: state.clone(),
    };
    if options.respect_backoff
        && let Some(next) = &state.next_attempt
        && next
            .parse::<Timestamp>()
            .is_ok_and(|next| next > clock.now())
    {
        report.finish = Finish::Deferred {
            next_attempt: next.clone(),
        };
        return Ok(report);
    }
    if let Some(problem) = cursor_problem(ledger, &state, states, &config.id)? {
        let now = clock.now();
        fail(&mut state, &problem, now, options);
        states.save(&config.id, &state)?;
        report.finish = Finish::Failed {
            error: problem,
            next_attempt: state.next_attempt.clone().unwrap_or_default(),
        };
        report.state = state;
        return Ok(report);
    }
    loop {
        if options.deadline.is_some_and(|end| clock.now() >= end) {
            report.finish = Finish::OutOfTime;
            break;
        }
        let batch = next_batch(ledger, config, &state)?;
        if batch.walked == 0 {
            break;
        }
        if batch.events.is_empty() {
            // Only records that are not outcomes: move past them.
            state.record_seq = batch.record_seq;
            state.record_hash.clone_from(&batch.record_hash);
            state.checkpoint_size = batch.checkpoint_size;
            states.save(&config.id, &state)?;
            continue;
        }
        let now = clock.now();
        match sink.deliver(&batch.events) {
            Ok(()) => {
                let count = u64::try_from(batch.events.len()).unwrap_or(u64::MAX);
                state.record_seq = batch.record_seq;
                state.record_hash.clone_from(&batch.record_hash);
                state.checkpoint_size = batch.checkpoint_size;
                state.delivered = state.delivered.saturating_add(count);
                state.attempts = 0;
                state.last_error = None;
                state.next_attempt = None;
                state.last_delivery = Some(ward_ledger::format_time(now));
                states.save(&config.id, &state)?;
                report.delivered = report.delivered.saturating_add(count);
                report.batches += 1;
                progress(&Progress {
                    id: &config.id,
                    events: batch.events.len(),
                    record_seq: state.record_seq,
                });
            }
            Err(error) => {
                fail(&mut state, &error.to_string(), now, options);
                states.save(&config.id, &state)?;
                report.finish = Finish::Failed {
                    error: error.to_string(),
                    next_attempt: state.next_attempt.clone().unwrap_or_default(),
                };
                break;
            }
        }
    }
    report.state = state;
    Ok(report)
}

/// Records a failed attempt and schedules the next one.
fn fail(state: &mut SinkState, error: &str, now: Timestamp, options: &Options) {
    state.attempts = state.attempts.saturating_add(1);
    let delay = options.backoff.delay(state.attempts, options.random);
    let next = now
        .checked_add(jiff::SignedDuration::try_from(delay).unwrap_or_default())
        .unwrap_or(now);
    state.last_error = Some(error.to_owned());
    state.last_failure = Some(ward_ledger::format_time(now));
    state.next_attempt = Some(ward_ledger::format_time(next));
}

/// Why the cursor does not fit this ledger, if it does not: the record it points at
/// is gone or different, so the ledger was replaced (a fresh `ward init`, a restored
/// backup) or rewritten. Delivering on would skip or repeat evidence silently, so
/// the sink stops until someone looks.
fn cursor_problem(
    ledger: &Ledger,
    state: &SinkState,
    states: &StateDir,
    id: &str,
) -> Result<Option<String>, DeliveryError> {
    if state.record_seq == 0 {
        return Ok(None);
    }
    // The hash column, not the record: a pruned record keeps its hash.
    let found = ledger.record_hash(state.record_seq)?;
    let fits = match (&found, &state.record_hash) {
        (None, _) => false,
        (Some(found), Some(expected)) => found == expected,
        (Some(_), None) => true,
    };
    if fits {
        return Ok(None);
    }
    Ok(Some(format!(
        "the ledger no longer holds record {} as this sink saw it ({}): it was replaced or \
         rewritten; check it with `ward audit verify`, then delete `{}` to deliver this \
         ledger from its first record",
        state.record_seq,
        match found {
            None => "it has fewer records".to_owned(),
            Some(_) => "its hash differs".to_owned(),
        },
        states.file(id).display()
    )))
}

/// What waits for a sink after its cursor, counted by reading the records.
pub fn backlog(
    ledger: &Ledger,
    config: &SinkConfig,
    state: &SinkState,
) -> Result<Backlog, DeliveryError> {
    let mut backlog = Backlog::default();
    if config.checkpoints {
        let after = ledger
            .checkpoints()?
            .iter()
            .filter(|checkpoint| checkpoint.tree_size > state.checkpoint_size)
            .count();
        backlog.checkpoints = u64::try_from(after).unwrap_or(u64::MAX);
    }
    if config.outcomes || config.notices {
        let mut cursor = state.record_seq;
        loop {
            let records = scan(ledger, cursor)?;
            let Some(last) = records.last() else {
                break;
            };
            cursor = last.seq;
            for record in &records {
                if record.record.result.outcome.is_some() {
                    backlog.outcomes += u64::from(config.outcomes);
                } else if config.notices
                    && crate::notice::notice(record, config.deny_severity).is_some()
                {
                    backlog.notices += 1;
                }
            }
        }
    }
    Ok(backlog)
}

/// The next batch and the cursor after it.
struct Batch {
    events: Vec<Evidence>,
    record_seq: u64,
    record_hash: Option<String>,
    checkpoint_size: u64,
    /// Records and checkpoints looked at (0: nothing left).
    walked: usize,
}

/// A position in the merged stream: records by `seq`, a checkpoint of size N
/// right after record N.
enum Item {
    Record(Box<StoredRecord>),
    Checkpoint(StoredCheckpoint),
}

impl Item {
    fn key(&self) -> (u64, u8) {
        match self {
            Item::Record(record) => (record.seq, 0),
            Item::Checkpoint(checkpoint) => (checkpoint.tree_size, 1),
        }
    }
}

fn scan(ledger: &Ledger, after: u64) -> Result<Vec<StoredRecord>, LedgerError> {
    ledger.records(&RecordFilter {
        seq_after: Some(after),
        limit: Some(SCAN_RECORDS),
        ..RecordFilter::default()
    })
}

fn next_batch(
    ledger: &Ledger,
    config: &SinkConfig,
    state: &SinkState,
) -> Result<Batch, DeliveryError> {
    let records = scan(ledger, state.record_seq)?;
    // Only checkpoints over records already read: one signed between the two reads
    // waits for the next batch, so that it never goes out before its records.
    let scanned_to = records.last().map_or(state.record_seq, |r| r.seq);
    let checkpoints = if config.checkpoints {
        ledger
            .checkpoints()?
            .into_iter()
            .filter(|c| c.tree_size > state.checkpoint_size && c.tree_size <= scanned_to)
            .collect()
    } else {
        Vec::new()
    };
    let mut items: Vec<Item> = records
        .into_iter()
        .map(|record| Item::Record(Box::new(record)))
        .chain(checkpoints.into_iter().map(Item::Checkpoint))
        .collect();
    items.sort_by_key(Item::key);

    let mut batch = Batch {
        events: Vec::new(),
        record_seq: state.record_seq,
        record_hash: state.record_hash.clone(),
        checkpoint_size: state.checkpoint_size,
        walked: 0,
    };
    for item in &items {
        let event = match item {
            Item::Record(record) if record.record.result.outcome.is_some() => {
                if config.outcomes {
                    let pre = match record.record.reference.pre_record {
                        Some(pre) => ledger.record(pre)?,
                        None => None,
                    };
                    Evidence::outcome(record, pre.as_ref())
                } else {
                    None
                }
            }
            Item::Record(record) if config.notices => {
                Evidence::notice(record, config.deny_severity)
            }
            Item::Record(_) => None,
            Item::Checkpoint(checkpoint) => Some(Evidence::checkpoint(checkpoint)),
        };
        if let Some(event) = event {
            if batch.events.len() >= config.batch_size {
                break;
            }
            batch.events.push(event);
        }
        match item {
            Item::Record(record) => {
                batch.record_seq = record.seq;
                batch.record_hash = Some(record.hash.clone());
            }
            Item::Checkpoint(checkpoint) => batch.checkpoint_size = checkpoint.tree_size,
        }
        batch.walked += 1;
    }
    Ok(batch)
}
