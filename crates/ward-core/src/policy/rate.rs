//! Rate limits (`match.rate`): a rule that holds once a kind of call has happened
//! more than `max` times within `per`, counted per session, agent, tool, category
//! or globally.
//!
//! This crate does no I/O, so it does not count: [`super::Policy::evaluate_counting`]
//! asks a [`RateCounter`] (the CLI's, kept under a file lock in Ward's home, so that
//! concurrent hook processes share one count) to count the call once the rule's
//! other conditions hold. Every call that meets them counts, including those the
//! limit then blocks: an agent that keeps retrying stays limited until it slows down.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::{Action, Event};

/// The longest window a limit may have.
const MAX_WINDOW_SECONDS: i64 = 7 * 24 * 60 * 60;

/// A rate limit, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateSpec {
    /// How many calls the window allows; the rule holds from the next one on.
    pub max: u32,
    /// The window: `30s`, `1m`, `1h`, `1d`.
    pub per: String,
    /// What is counted separately: `session` (the default), `agent`, `tool`,
    /// `category` or `global`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// What a call is counted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RateKey {
    Session,
    Agent,
    Tool,
    Category,
    Global,
}

/// A checked rate limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RateLimit {
    pub(crate) max: u32,
    pub(crate) window: SignedDuration,
    pub(crate) key: RateKey,
}

impl RateLimit {
    pub(crate) fn new(spec: &RateSpec) -> Result<RateLimit, String> {
        if spec.max == 0 {
            return Err(
                "`rate.max` is 0: a rule that holds on every call needs no rate; give the number of calls the window allows".to_owned(),
            );
        }
        // A `Span` parses days (`1d`); a window's day is 24 hours.
        let window = spec
            .per
            .trim()
            .parse::<jiff::Span>()
            .and_then(|span| span.to_duration(jiff::SpanRelativeTo::days_are_24_hours()))
            .map_err(|_| {
                format!(
                    "`rate.per = \"{}\"` is not a duration: write e.g. `30s`, `1m`, `1h` or `1d`",
                    spec.per
                )
            })?;
        if window <= SignedDuration::ZERO || window.as_secs() > MAX_WINDOW_SECONDS {
            return Err(format!(
                "`rate.per = \"{}\"` must be longer than zero and at most 7 days",
                spec.per
            ));
        }
        let key = match spec.by.as_deref().unwrap_or("session") {
            "session" => RateKey::Session,
            "agent" => RateKey::Agent,
            "tool" => RateKey::Tool,
            "category" => RateKey::Category,
            "global" => RateKey::Global,
            other => {
                return Err(format!(
                    "`rate.by = \"{other}\"`: count by session, agent, tool, category or global"
                ));
            }
        };
        Ok(RateLimit {
            max: spec.max,
            window,
            key,
        })
    }

    /// The counter's key for this call: `session:<id>`, `tool:Bash`, `global`.
    pub(crate) fn key_of(&self, event: &Event, action: &Action) -> String {
        match self.key {
            RateKey::Session => format!("session:{}", event.session_id),
            RateKey::Agent => match &event.subagent {
                Some(subagent) => format!(
                    "agent:{}/{}",
                    event.agent,
                    subagent
                        .agent_type
                        .as_deref()
                        .unwrap_or(subagent.id.as_str())
                ),
                None => format!("agent:{}", event.agent),
            },
            RateKey::Tool => format!("tool:{}", action.tool),
            RateKey::Category => format!("category:{}", action.category().as_str()),
            RateKey::Global => "global".to_owned(),
        }
    }
}

/// One count to take: this call, for one rule and key, in one window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateQuery<'a> {
    /// The rule's id.
    pub rule_id: &'a str,
    /// What the call is counted by (`session:<id>`, `tool:Bash`, `global`).
    pub key: &'a str,
    /// The window.
    pub window: SignedDuration,
    /// The call's time.
    pub now: Timestamp,
}

/// Counts calls for rate limits. The count must include this call and every
/// other call counted for the same rule and key within the window, whichever
/// process made it.
pub trait RateCounter {
    /// Counts this call and returns how many calls fell in the window, this one
    /// included. An error makes the evaluation fail (the hook then fails closed).
    fn count(&mut self, query: &RateQuery<'_>) -> Result<u64, String>;

    /// The time of the oldest call counted for the query's rule and key within
    /// its window (session budgets measure wall time from it); `None` when the
    /// counter does not keep times.
    fn first_in_window(&mut self, _query: &RateQuery<'_>) -> Result<Option<Timestamp>, String> {
        Ok(None)
    }

    /// The latest value of a figure the agent reported for `key` (a session's
    /// `context_tokens`), for budgets; `None` when none was reported or the
    /// counter keeps none.
    fn reported(&mut self, _key: &str, _figure: &str) -> Result<Option<u64>, String> {
        Ok(None)
    }
}

/// What one rate limit counted, for the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateCount {
    /// The rule.
    pub rule_id: String,
    /// What the call was counted by.
    pub key: String,
    /// Calls in the window, this one included.
    pub count: u64,
    /// What the window allows.
    pub max: u32,
    /// The window in seconds.
    pub per_seconds: i64,
}

/// A counter that counts nothing: every call is the first of its window. For
/// evaluations that must not count (`ward check` without `--count`, benchmarks).
#[derive(Debug, Default)]
pub struct NoCounting;

impl RateCounter for NoCounting {
    fn count(&mut self, _: &RateQuery<'_>) -> Result<u64, String> {
        Ok(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(max: u32, per: &str, by: Option<&str>) -> RateSpec {
        RateSpec {
            max,
            per: per.to_owned(),
            by: by.map(str::to_owned),
        }
    }

    #[test]
    fn limits_parse_and_default_to_the_session() {
        let limit = RateLimit::new(&spec(30, "1m", None)).unwrap();
        assert_eq!(limit.key, RateKey::Session);
        assert_eq!(limit.window, SignedDuration::from_secs(60));
        let limit = RateLimit::new(&spec(5, "1h 30m", Some("global"))).unwrap();
        assert_eq!(limit.window, SignedDuration::from_secs(5400));
        let limit = RateLimit::new(&spec(5, "1d", Some("tool"))).unwrap();
        assert_eq!(limit.window, SignedDuration::from_hours(24));
    }

    #[test]
    fn bad_limits_say_how_to_write_them() {
        let error = |max, per, by| RateLimit::new(&spec(max, per, by)).unwrap_err();
        assert!(error(0, "1m", None).contains("`rate.max` is 0"));
        assert!(error(3, "soon", None).contains("not a duration"));
        assert!(error(3, "8d", None).contains("at most 7 days"));
        assert!(error(3, "1m", Some("host")).contains("session, agent, tool"));
    }
}
