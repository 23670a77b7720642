//! The rate limits' counter: one shared count per rule and key, kept in
//! `$WARD_HOME/rate-limits.log` under an exclusive lock (`rate-limits.lock`), so
//! that the hook processes of parallel tool calls each see every call counted
//! before them, and none is counted twice or lost.
//!
//! The file is a log of one line per counted call (`["rule","key",unix_ms]`):
//! counting appends a line and reads the file, with no temporary file, rename or
//! fsync on the hook's path (a rewrite through a temporary file cost a hook
//! ~0.3-0.5 ms more). Reading it compares each line's start with the rule and
//! key's, parsing only the matching lines. When it grows past [`COMPACT_BYTES`] (or
//! past twice its size after the last compaction, so that a log busy with recent
//! calls is not rewritten on every call) the lines older than any window are
//! dropped. A line cut short by a crash is skipped.
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
    /// The rule, key and oldest call (Unix ms) of the last scan, so that a
    /// session budget's wall time does not read the log a second time.
    oldest: Option<(String, String, i64)>,
}

impl FileCounter<'_> {
    pub(crate) fn new(home: &Home) -> FileCounter<'_> {
        FileCounter {
            home,
            peek: false,
            oldest: None,
        }
    }

    pub(crate) fn peeking(home: &Home) -> FileCounter<'_> {
        FileCounter {
            home,
            peek: true,
            oldest: None,
        }
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

/// The calls of one rule and key within a window: how many, and the oldest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Scan {
    count: u64,
    oldest: Option<i64>,
}

/// The start of every line of a rule and key. Lines are `serde_json`'s text of
/// `(rule, key, unix_ms)`, so this prefix is exact, and a scan of a large log is a
/// byte comparison per line, not a JSON parse.
fn line_prefix(query: &RateQuery<'_>) -> Result<String, String> {
    let mut prefix =
        serde_json::to_string(&(query.rule_id, query.key)).map_err(|error| error.to_string())?;
    prefix.pop();
    prefix.push(',');
    Ok(prefix)
}

fn scan(text: &str, prefix: &str, since: i64) -> Scan {
    let mut found = Scan {
        count: 0,
        oldest: None,
    };
    for line in text.lines() {
        // A line a crash cut short has no `]` and is skipped.
        let at = line
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(']'))
            .and_then(|number| number.parse::<i64>().ok());
        if let Some(at) = at.filter(|at| *at > since) {
            found.count += 1;
            found.oldest = Some(found.oldest.map_or(at, |oldest| oldest.min(at)));
        }
    }
    found
}

/// The log's size after its last compaction, from its first line
/// (`{"compacted":BYTES}`), or 0.
fn compacted_size(text: &str) -> u64 {
    text.lines()
        .next()
        .and_then(|line| line.strip_prefix("{\"compacted\":"))
        .and_then(|rest| rest.strip_suffix('}'))
        .and_then(|number| number.parse().ok())
        .unwrap_or(0)
}

impl FileCounter<'_> {
    /// The scan of this call's rule and key; remembered for `first_in_window`.
    fn scan_for(&mut self, text: &str, query: &RateQuery<'_>) -> Result<Scan, String> {
        let now = query.now.as_millisecond();
        let window = i64::try_from(query.window.as_millis()).unwrap_or(i64::MAX);
        let found = scan(text, &line_prefix(query)?, now.saturating_sub(window));
        // This call is the oldest when there was none before it.
        self.oldest = Some((
            query.rule_id.to_owned(),
            query.key.to_owned(),
            found.oldest.unwrap_or(now),
        ));
        Ok(found)
    }
}

impl RateCounter for FileCounter<'_> {
    fn count(&mut self, query: &RateQuery<'_>) -> Result<u64, String> {
        if self.peek {
            let text = self.read()?;
            return Ok(self.scan_for(&text, query)?.count.saturating_add(1));
        }
        let lock = crate::home::lock_exclusive(&self.home.root.join("rate-limits.lock"))
            .map_err(|error| format!("{error:#}"))?;
        let text = self.read()?;
        let before = self.scan_for(&text, query)?.count;
        let now = query.now.as_millisecond();
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
        // Amortised: a log that is still large after compacting (many calls in the
        // last 7 days) is compacted again only once it has doubled.
        let threshold = COMPACT_BYTES.max(compacted_size(&text).saturating_mul(2));
        if text.len() as u64 > threshold {
            compact(&path, &text, &line, now.saturating_sub(KEEP_MILLIS))?;
        }
        drop(lock);
        Ok(before.saturating_add(1))
    }

    fn first_in_window(
        &mut self,
        query: &RateQuery<'_>,
    ) -> Result<Option<jiff::Timestamp>, String> {
        let oldest = match &self.oldest {
            // The count of this very call just scanned the log.
            Some((rule, key, oldest)) if rule == query.rule_id && key == query.key => *oldest,
            _ => {
                let text = self.read()?;
                self.scan_for(&text, query)?;
                self.oldest.as_ref().map_or(0, |(_, _, oldest)| *oldest)
            }
        };
        Ok(jiff::Timestamp::from_millisecond(oldest).ok())
    }

    fn reported(&mut self, key: &str, figure: &str) -> Result<Option<u64>, String> {
        let path = reported_path(self.home, key);
        match fs::read_to_string(&path) {
            Ok(text) => {
                let reported: Reported = serde_json::from_str(&text).map_err(|error| {
                    format!(
                        "`{}` is not a usage file ({error}); delete it",
                        path.display()
                    )
                })?;
                Ok((reported.key == key)
                    .then(|| reported.figures.get(figure).copied())
                    .flatten())
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(format!("cannot read `{}`: {error}", path.display())),
        }
    }
}

/// The figures an agent reported for one session (its `context_tokens`), for
/// context budgets: `$WARD_HOME/usage/<sha256 of the key>.json`, replaced when the
/// agent reports again. Only a policy with such a budget keeps them.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Reported {
    key: String,
    figures: std::collections::BTreeMap<String, u64>,
}

/// Files of sessions not heard of for this long are removed.
const KEEP_REPORTED: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 60 * 60);

fn reported_path(home: &Home, key: &str) -> PathBuf {
    let digest = ward_ledger::hash::sha256_hex(key.as_bytes());
    home.root
        .join("usage")
        .join(format!("{}.json", digest.get(..32).unwrap_or(&digest)))
}

/// Keeps the latest value of `figure` the agent reported for `session`.
pub(crate) fn record_reported(
    home: &Home,
    session: &str,
    figure: &str,
    value: u64,
) -> anyhow::Result<()> {
    let key = format!("session:{session}");
    let path = reported_path(home, &key);
    let dir = home.root.join("usage");
    fs::create_dir_all(&dir)?;
    let mut reported: Reported = fs::read_to_string(&path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .filter(|r: &Reported| r.key == key)
        .unwrap_or_default();
    reported.key = key;
    reported.figures.insert(figure.to_owned(), value);
    crate::home::write_atomically(&path, serde_json::to_string(&reported)?.as_bytes(), 0o600)?;
    // Sessions long over leave their files behind: drop them now and then.
    if let Ok(entries) = fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|at| at.elapsed().unwrap_or_default() > KEEP_REPORTED);
            if stale {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
    Ok(())
}

/// Rewrites the log with only the lines newer than `keep_after` (and the one just
/// appended), through a temporary file and a rename; its first line records the
/// size kept.
fn compact(path: &std::path::Path, text: &str, last: &str, keep_after: i64) -> Result<(), String> {
    let mut kept = String::new();
    for line in text.lines().chain(std::iter::once(last)) {
        let at = line
            .strip_suffix(']')
            .and_then(|rest| rest.rsplit_once(','))
            .and_then(|(_, number)| number.parse::<i64>().ok());
        if at.is_some_and(|at| at > keep_after) {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    let text = format!("{{\"compacted\":{}}}\n{kept}", kept.len());
    crate::home::write_atomically(path, text.as_bytes(), 0o600)
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

        // A log still large after compacting (recent lines of another key) is not
        // rewritten on every call: only once it has doubled.
        use std::os::unix::fs::MetadataExt;
        let recent = serde_json::to_string(&("r", "busy", at(60).as_millisecond())).unwrap();
        let mut busy = std::fs::read_to_string(&log).unwrap();
        while busy.len() as u64 <= COMPACT_BYTES {
            busy.push_str(&recent);
            busy.push('\n');
        }
        std::fs::write(&log, busy).unwrap();
        assert_eq!(counter.count(&query("r", "k", 60, at(66))).unwrap(), 7);
        let compacted = std::fs::metadata(&log).unwrap();
        assert!(compacted.len() > COMPACT_BYTES, "the recent lines stay");
        assert_eq!(counter.count(&query("r", "k", 60, at(67))).unwrap(), 8);
        assert_eq!(std::fs::metadata(&log).unwrap().ino(), compacted.ino());
        // The budget's oldest call comes from the count's own scan.
        let oldest = counter
            .first_in_window(&query("r", "busy", 3600, at(68)))
            .unwrap()
            .unwrap();
        assert_eq!(oldest, at(60));
    }
}
