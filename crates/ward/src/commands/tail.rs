//! `ward tail`: new records as hooks write them.
//!
//! Hooks append to the ledger's journal and leave moving it into SQLite to a
//! background ingest that runs every few dozen records, so reading SQLite alone
//! would show calls late. The tail ingests the journal itself whenever it has
//! grown (a `stat` tells), then reads what is new after the last `seq` it
//! printed: a record shows within one poll of its hook, and it carries its final
//! `seq` and hash.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use ward_ledger::{RecordFilter, StoredRecord};

use super::audit::{has_target, json_line, record_filter, table_header, table_row};
use crate::cli::TailArgs;
use crate::home::Home;

/// How often the journal and the ledger are looked at. A poll with nothing new
/// is one `stat` and one indexed query.
const POLL: Duration = Duration::from_millis(50);

/// At most this many records per read.
const PAGE: usize = 500;

pub(crate) fn run(home: &Home, args: &TailArgs) -> Result<ExitCode> {
    let mut ledger = super::audit::open(home)?;
    let (filter, target) = record_filter(&ledger, &args.filter)?;
    let mut out = std::io::stdout().lock();
    if !args.json {
        writeln!(out, "{}", table_header())?;
    }
    // The newest matching records first, as `tail` does.
    let mut last = ledger.tree_size()?;
    if args.lines > 0 {
        let newest = ledger.records(&RecordFilter {
            limit: Some(args.lines),
            tail: true,
            ..filter.clone()
        })?;
        if !print(&mut out, &newest, target.as_ref(), args.json) {
            return Ok(ExitCode::SUCCESS);
        }
    }
    loop {
        // A failed ingest leaves the records in the journal for the next try.
        let _ = ledger.ingest_pending();
        // Every record up to here exists now, so the reads below see them all
        // (`max(seq)`, one index lookup, not a count of the whole ledger).
        let top = ledger.tree_size()?;
        loop {
            let records = ledger.records(&RecordFilter {
                seq_after: Some(last),
                limit: Some(PAGE),
                ..filter.clone()
            })?;
            let Some(newest) = records.last() else {
                break;
            };
            last = newest.seq;
            if !print(&mut out, &records, target.as_ref(), args.json) {
                return Ok(ExitCode::SUCCESS);
            }
            if records.len() < PAGE {
                break;
            }
        }
        // Records the filter left out move the cursor too, so that the next
        // poll does not scan them again (`seq`s are gap-free from 1).
        last = last.max(top);
        std::thread::sleep(POLL);
    }
}

/// Prints records; `false` once stdout is closed (the reader went away).
fn print(
    out: &mut impl Write,
    records: &[StoredRecord],
    target: Option<&globset::GlobMatcher>,
    json: bool,
) -> bool {
    let mut text = String::new();
    for record in records.iter().filter(|r| has_target(r, target)) {
        text.push_str(&if json {
            json_line(record)
        } else {
            table_row(record)
        });
        text.push('\n');
    }
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .is_ok()
}
