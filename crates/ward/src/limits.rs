//! The rate limits' counter: one shared count per rule and key, kept in
//! `$WARD_HOME/rate-limits.log` under an exclusive lock (`rate-limits.lock`), so
//! that the hook processes of parallel tool calls each see every call counted
//! before them, and none is counted twice or lost.
//!
//! The file is a log of one line per counted call (`["rule","key",unix_ms]`):
//! counting appends a line and reads the file, with no temporary file, rename or
//! fsync on the hook's path (a rewrite through a temporary file cost a hook
//! ~0.3-0.5 ms more). When it grows past [`COMPACT_BYTES`] the lines older than any
//! window are dropped (a rewrite, rarely). A line cut short by a crash is skipped.
//!
//! The file is an index, not the evidence: every counted call's record carries
//! its count (`result.rate`), so the ledger shows why a limit held.

use std::fs;
use std::io::Write;
use std::path::PathBuf;

use ward_core::policy::{RateCounter, RateQuery};

use crate::home::Home;

/// Counts are kept no longer than the longest window a limit may have.
const KEEP_MILLIS: i64 = 7 * 24 * 60 * 60 * 1000;

/// Past this size the log drops what no window can count any more.
const COMPACT_BYTES: u64 = 256 * 1024;

/// Counts in the home's log. With `peek`, only reads: the count this call
/// *would* have (for `ward check`, which records nothing).
pub(crate) struct FileCounter<'a> {
    home: &'a Home,
    peek: bool,
}

impl FileCounter<'_> {
    pub(crate) fn new(home: &Home) -> FileCounter<'_> {
        FileCounter { home, peek: false }
    }

    pub(crate) fn peeking(home: &Home) -> FileCounter<'_> {
        FileCounter { home, peek: true }
    }

    fn path(&self) -> PathBuf {
        self.home.root.join("rate-limits.log")
    }

    fn read(&self) -> Result<String, String> {
        let path = self.path();
        match fs::read_to_string(&path) {
            Ok(text) => Ok(text),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
            Err(error) => Err(format!(
                "cannot read `{}` ({error}); delete it to start the counts again",
                path.display()
            )),
        }
    }
}

/// One counted call, as a line of the log.
type Line<'a> = (&'a str, &'a str, i64);

/// The calls of `query`'s rule and key in the log after `since`.
fn count_in(text: &str, query: &RateQuery<'_>, since: i64) -> u64 {
    let mut count = 0;
    for line in text.lines() {
        if let Ok((rule, key, at)) = serde_json::from_str::<Line<'_>>(line)
            && at > since
            && rule == query.rule_id
            && key == query.key
        {
            count += 1;
        }
    }
    count
}

impl RateCounter for FileCounter<'_> {
    fn count(&mut self, query: &RateQuery<'_>) -> Result<u64, String> {
        let now = query.now.as_millisecond();
        let window = i64::try_from(query.window.as_millis()).unwrap_or(i64::MAX);
        let since = now.saturating_sub(window);
        if self.peek {
            return Ok(count_in(&self.read()?, query, since).saturating_add(1));
        }
        let lock = crate::home::lock_exclusive(&self.home.root.join("rate-limits.lock"))
            .map_err(|error| format!("{error:#}"))?;
        let text = self.read()?;
        let before = count_in(&text, query, since);
        let line = serde_json::to_string(&(query.rule_id, query.key, now))
            .map_err(|error| error.to_string())?;
        let path = self.path();
        let appended = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut file| {
                // After a line a crash cut short, start a new one.
                let start = if text.is_empty() || text.ends_with('\n') {
                    ""
                } else {
                    "\n"
                };
                file.write_all(format!("{start}{line}\n").as_bytes())
            });
        appended.map_err(|error| format!("cannot write `{}`: {error}", path.display()))?;
        if text.len() as u64 > COMPACT_BYTES {
            compact(&path, &text, &line, now.saturating_sub(KEEP_MILLIS))?;
        }
        drop(lock);
        Ok(before.saturating_add(1))
    }

    fn first_in_window(
        &mut self,
        query: &RateQuery<'_>,
    ) -> Result<Option<jiff::Timestamp>, String> {
        let now = query.now.as_millisecond();
        let window = i64::try_from(query.window.as_millis()).unwrap_or(i64::MAX);
        let since = now.saturating_sub(window);
        let text = self.read()?;
        let first = text
            .lines()
            .filter_map(|line| serde_json::from_str::<Line<'_>>(line).ok())
            .filter(|(rule, key, at)| *at > since && *rule == query.rule_id && *key == query.key)
            .map(|(_, _, at)| at)
            .min();
        // Peeking, this call would be the first.
        let first = first.or(self.peek.then_some(now));
        Ok(first.and_then(|at| jiff::Timestamp::from_millisecond(at).ok()))
    }
}

/// Rewrites the log with only the lines newer than `keep_after` (and the one just
/// appended), through a temporary file and a rename.
fn compact(path: &std::path::Path, text: &str, last: &str, keep_after: i64) -> Result<(), String> {
    let mut kept = String::new();
    for line in text.lines().chain(std::iter::once(last)) {
        if serde_json::from_str::<Line<'_>>(line).is_ok_and(|(_, _, at)| at > keep_after) {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    crate::home::write_atomically(path, kept.as_bytes(), 0o600)
        .map_err(|error| format!("{error:#}"))
}

#[cfg(test)]
fn query<'a>(rule_id: &'a str, key: &'a str, seconds: i64, now: jiff::Timestamp) -> RateQuery<'a> {
    RateQuery {
        rule_id,
        key,
        window: jiff::SignedDuration::from_secs(seconds),
        now,
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;

    #[test]
    fn counts_slide_with_the_window_and_peeking_counts_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::locate(Some(dir.path())).unwrap();
        let start = Timestamp::from_second(1_800_000_000).unwrap();
        let at = |seconds: i64| {
            start
                .checked_add(jiff::SignedDuration::from_secs(seconds))
                .unwrap()
        };
        let mut counter = FileCounter::new(&home);
        assert_eq!(counter.count(&query("r", "k", 60, at(0))).unwrap(), 1);
        assert_eq!(counter.count(&query("r", "k", 60, at(30))).unwrap(), 2);
        assert_eq!(counter.count(&query("r", "other", 60, at(30))).unwrap(), 1);
        assert_eq!(
            FileCounter::peeking(&home)
                .count(&query("r", "k", 60, at(31)))
                .unwrap(),
            3
        );
        // The first call left the window.
        assert_eq!(counter.count(&query("r", "k", 60, at(61))).unwrap(), 2);
        // A line cut short by a crash is skipped, and counting goes on after it.
        let log = home.root.join("rate-limits.log");
        let mut text = std::fs::read_to_string(&log).unwrap();
        text.push_str("[\"r\",\"k\",18");
        std::fs::write(&log, text).unwrap();
        assert_eq!(counter.count(&query("r", "k", 60, at(62))).unwrap(), 3);
        assert_eq!(counter.count(&query("r", "k", 60, at(63))).unwrap(), 4);

        // A log past its size keeps only what a window can still count.
        let old_line = serde_json::to_string(&("r", "k", 1_000_i64)).unwrap();
        let mut big = std::fs::read_to_string(&log).unwrap();
        while big.len() as u64 <= COMPACT_BYTES {
            big.push_str(&old_line);
            big.push('\n');
        }
        std::fs::write(&log, big).unwrap();
        assert_eq!(counter.count(&query("r", "k", 60, at(64))).unwrap(), 5);
        let kept = std::fs::read_to_string(&log).unwrap();
        assert!(kept.len() < 1_000, "{} bytes kept", kept.len());
        assert_eq!(counter.count(&query("r", "k", 60, at(65))).unwrap(), 6);
    }
}
