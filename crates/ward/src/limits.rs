//! The rate limits' counter: one shared count per rule and key, kept in
//! `$WARD_HOME/rate-limits.json` under an exclusive lock (`rate-limits.lock`), so
//! that the hook processes of parallel tool calls each see every call counted
//! before them, and none is counted twice or lost.
//!
//! The file is an index, not the evidence: every counted call's record carries
//! its count (`result.rate`), so the ledger shows why a limit held. It is replaced
//! atomically but not fsynced: a power cut may forget the last few counts (the
//! limit then starts a little low), never corrupt the file. A file that cannot be
//! read is an error, and the hook fails closed on it.

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use ward_core::policy::{RateCounter, RateQuery};

use crate::home::Home;

/// Counts are kept no longer than the longest window a limit may have.
const KEEP_SECONDS: i64 = 7 * 24 * 60 * 60;

/// Per rule, per key: the times (Unix milliseconds) of the calls counted.
type Counts = BTreeMap<String, BTreeMap<String, Vec<i64>>>;

/// Counts in the home's file. With `peek`, only reads: the count this call
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
        self.home.root.join("rate-limits.json")
    }

    fn read(&self) -> Result<Counts, String> {
        let path = self.path();
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|error| {
                format!(
                    "`{}` is damaged ({error}); delete it to start the counts again",
                    path.display()
                )
            }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Counts::new()),
            Err(error) => Err(format!("cannot read `{}`: {error}", path.display())),
        }
    }
}

impl RateCounter for FileCounter<'_> {
    fn count(&mut self, query: &RateQuery<'_>) -> Result<u64, String> {
        let now = query.now.as_millisecond();
        let since = now.saturating_sub(query.window.as_millis().try_into().unwrap_or(i64::MAX));
        let in_window = |times: &[i64]| times.iter().filter(|&&t| t > since).count();
        if self.peek {
            let counts = self.read()?;
            let before = counts
                .get(query.rule_id)
                .and_then(|keys| keys.get(query.key))
                .map_or(0, |times| in_window(times));
            return Ok(u64::try_from(before).unwrap_or(u64::MAX).saturating_add(1));
        }
        let lock = crate::home::lock_exclusive(&self.home.root.join("rate-limits.lock"))
            .map_err(|error| format!("{error:#}"))?;
        let mut counts = self.read()?;
        let oldest_kept = now.saturating_sub(KEEP_SECONDS * 1000);
        let times = counts
            .entry(query.rule_id.to_owned())
            .or_default()
            .entry(query.key.to_owned())
            .or_default();
        times.retain(|&t| t > since);
        times.push(now);
        let count = in_window(times);
        // Keys nobody called for longer than any window go.
        for keys in counts.values_mut() {
            keys.retain(|_, times| times.last().is_some_and(|&t| t > oldest_kept));
        }
        counts.retain(|_, keys| !keys.is_empty());
        let text = serde_json::to_vec(&counts).map_err(|error| error.to_string())?;
        write_replacing(&self.path(), &text)?;
        drop(lock);
        Ok(u64::try_from(count).unwrap_or(u64::MAX))
    }
}

/// Writes beside the file and renames over it, so a reader never sees half.
fn write_replacing(path: &std::path::Path, bytes: &[u8]) -> Result<(), String> {
    let temp = path.with_extension("json.tmp");
    fs::write(&temp, bytes)
        .and_then(|()| fs::rename(&temp, path))
        .map_err(|error| format!("cannot write `{}`: {error}", path.display()))
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
        std::fs::write(home.root.join("rate-limits.json"), b"{").unwrap();
        let error = counter.count(&query("r", "k", 60, at(62))).unwrap_err();
        assert!(
            error.contains("damaged") && error.contains("delete it"),
            "{error}"
        );
    }
}
