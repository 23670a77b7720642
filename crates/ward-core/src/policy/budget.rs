//! Session budgets (`[budget]`): at most so many tool calls, or so much wall time,
//! per agent session. At 80% of either Ward warns; past it, it decides `at_limit`
//! (`deny` by default, or `ask`).
//!
//! Budgets count with the same [`RateCounter`] as rate limits (one shared count
//! per session, across hook processes), under the pseudo-rule ids
//! `budget.tool-calls` and, for the session's first call, the same count's
//! oldest entry.
//!
//! A context budget (`max_context_tokens`) compares the size of the session's
//! context as the agent last reported it (Claude Code's `context_tokens`, on
//! `SessionStart`, that is at a start, a resume, a `/clear` or a compaction)
//! with the limit, at each tool call after it. Claude Code reports no running
//! count of tokens spent or cost, so no budget of those is offered.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::PolicyError;
use super::rate::{RateCount, RateCounter, RateQuery};
use crate::decision::RuleMatch;
use crate::{Decision, Event};

/// The id under which a session's calls are counted.
pub const BUDGET_CALLS_ID: &str = "budget.tool-calls";

/// Counts are kept for at most this long, so that is the longest budget.
const MAX_SECONDS: i64 = 7 * 24 * 60 * 60;

/// The `[budget]` table, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetSection {
    /// Tool calls a session may make.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tool_calls: Option<u32>,
    /// How long a session may run, from its first tool call (`2h`, `90m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_duration: Option<String>,
    /// The largest context, in tokens, the agent may report for a session
    /// (Claude Code's `context_tokens`) before its calls are held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_context_tokens: Option<u64>,
    /// `deny` (default) or `ask`, once a budget is used up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_limit: Option<String>,
}

/// The figure a context budget reads.
pub const CONTEXT_TOKENS: &str = "context_tokens";

/// The budget of all layers together: the smallest of each limit, the strictest
/// decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Budget {
    max_tool_calls: Option<u32>,
    max_duration: Option<SignedDuration>,
    pub(crate) max_context_tokens: Option<u64>,
    at_limit: Decision,
}

impl Budget {
    pub(crate) fn merge<'a>(
        sections: impl Iterator<Item = (&'a str, &'a BudgetSection)>,
    ) -> Result<Option<Budget>, PolicyError> {
        let mut budget: Option<Budget> = None;
        for (file, section) in sections {
            let invalid = |message: String| PolicyError::Syntax {
                file: file.to_owned(),
                line: 0,
                message,
            };
            let at_limit = match section.at_limit.as_deref().unwrap_or("deny") {
                "deny" => Decision::Deny,
                "ask" => Decision::Ask,
                other => {
                    return Err(invalid(format!(
                        "`[budget] at_limit = \"{other}\"`: use deny or ask"
                    )));
                }
            };
            if section.max_tool_calls == Some(0) {
                return Err(invalid("`[budget] max_tool_calls` is 0".to_owned()));
            }
            if section.max_context_tokens == Some(0) {
                return Err(invalid("`[budget] max_context_tokens` is 0".to_owned()));
            }
            let max_duration = section
                .max_duration
                .as_deref()
                .map(|text| {
                    text.trim()
                        .parse::<jiff::Span>()
                        .and_then(|span| {
                            span.to_duration(jiff::SpanRelativeTo::days_are_24_hours())
                        })
                        .ok()
                        .filter(|d| *d > SignedDuration::ZERO && d.as_secs() <= MAX_SECONDS)
                        .ok_or_else(|| {
                            invalid(format!(
                                "`[budget] max_duration = \"{text}\"`: write a duration such as `90m` or `2h`, at most 7 days"
                            ))
                        })
                })
                .transpose()?;
            let next = Budget {
                max_tool_calls: section.max_tool_calls,
                max_duration,
                max_context_tokens: section.max_context_tokens,
                at_limit,
            };
            budget = Some(match budget {
                None => next,
                Some(so_far) => Budget {
                    max_tool_calls: smallest(so_far.max_tool_calls, next.max_tool_calls),
                    max_duration: smallest(so_far.max_duration, next.max_duration),
                    max_context_tokens: smallest(
                        so_far.max_context_tokens,
                        next.max_context_tokens,
                    ),
                    at_limit: so_far.at_limit.max(next.at_limit),
                },
            });
        }
        Ok(budget)
    }

    /// Counts the call against the session's budget and adds what it decides.
    pub(crate) fn check(
        &self,
        event: &Event,
        now: Timestamp,
        counter: &mut dyn RateCounter,
        matches: &mut Vec<RuleMatch>,
        counts: &mut Vec<RateCount>,
    ) -> Result<(), PolicyError> {
        let key = format!("session:{}", event.session_id);
        let query = RateQuery {
            rule_id: BUDGET_CALLS_ID,
            key: &key,
            window: SignedDuration::from_secs(MAX_SECONDS),
            now,
        };
        let counting_error = |message: String| PolicyError::Syntax {
            file: "[budget]".to_owned(),
            line: 0,
            message: format!("cannot count the session's calls: {message}"),
        };
        let count = counter.count(&query).map_err(counting_error)?;
        if let Some(max) = self.max_tool_calls {
            // Recorded only with a call limit: `max` is what the count is held to.
            counts.push(RateCount {
                rule_id: BUDGET_CALLS_ID.to_owned(),
                key: key.clone(),
                count,
                max,
                per_seconds: MAX_SECONDS,
            });
            let used = format!("this session's tool call {count} of {max}");
            self.judge(
                count * 5 >= u64::from(max) * 4,
                count > u64::from(max),
                "budget.tool-calls",
                &used,
                matches,
            );
        }
        if let Some(max) = self.max_duration
            && let Some(first) = counter.first_in_window(&query).map_err(counting_error)?
        {
            let ran = now.duration_since(first);
            let used = format!(
                "this session has run {} min of its {} min",
                ran.as_secs() / 60,
                max.as_secs() / 60
            );
            let near = ran.as_millis() * 5 >= max.as_millis() * 4;
            self.judge(near, ran > max, "budget.duration", &used, matches);
        }
        if let Some(max) = self.max_context_tokens
            && let Some(tokens) = counter
                .reported(&key, CONTEXT_TOKENS)
                .map_err(counting_error)?
        {
            let used =
                format!("the agent reported a context of {tokens} tokens, of the {max} allowed");
            let near = u128::from(tokens) * 5 >= u128::from(max) * 4;
            self.judge(near, tokens > max, "budget.context-tokens", &used, matches);
        }
        Ok(())
    }

    fn judge(&self, near: bool, over: bool, id: &str, used: &str, matches: &mut Vec<RuleMatch>) {
        let (decision, reason, rule_id) = if over {
            (
                self.at_limit,
                format!("the session's budget is used up: {used}."),
                id.to_owned(),
            )
        } else if near {
            (
                Decision::Warn,
                format!("80% of the session's budget is used: {used}."),
                format!("{id}-80"),
            )
        } else {
            return;
        };
        matches.push(RuleMatch {
            rule_id,
            decision,
            severity: crate::Severity::of_decision(decision),
            reason,
            alternative: over.then(|| {
                "End this session and start a new one, or ask the user to raise `[budget]`."
                    .to_owned()
            }),
            source: "policy ([budget])".to_owned(),
            approval: None,
        });
    }
}

fn smallest<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(
        calls: Option<u32>,
        duration: Option<&str>,
        at_limit: Option<&str>,
    ) -> BudgetSection {
        BudgetSection {
            max_tool_calls: calls,
            max_duration: duration.map(str::to_owned),
            max_context_tokens: None,
            at_limit: at_limit.map(str::to_owned),
        }
    }

    #[test]
    fn layers_merge_to_the_strictest_budget() {
        let managed = section(Some(300), None, Some("deny"));
        let user = section(Some(500), Some("2h"), Some("ask"));
        let budget = Budget::merge([("managed", &managed), ("user", &user)].into_iter())
            .unwrap()
            .unwrap();
        assert_eq!(budget.max_tool_calls, Some(300));
        assert_eq!(budget.max_duration, Some(SignedDuration::from_hours(2)));
        assert_eq!(budget.at_limit, Decision::Deny);
        assert_eq!(Budget::merge(std::iter::empty()).unwrap(), None);
        let bad = section(None, None, Some("warn"));
        let error = Budget::merge([("user", &bad)].into_iter()).unwrap_err();
        assert!(error.to_string().contains("use deny or ask"), "{error}");
    }

    /// A counter that counts nothing and reports a fixed context size.
    struct Reporting(Option<u64>);

    impl RateCounter for Reporting {
        fn count(&mut self, _query: &RateQuery<'_>) -> Result<u64, String> {
            Ok(1)
        }

        fn reported(&mut self, key: &str, figure: &str) -> Result<Option<u64>, String> {
            assert_eq!((key, figure), ("session:s1", CONTEXT_TOKENS));
            Ok(self.0)
        }
    }

    #[test]
    fn a_context_budget_warns_at_80_percent_and_holds_past_it() {
        let mut spec = section(None, None, Some("ask"));
        spec.max_context_tokens = Some(100_000);
        let layers = [("managed", &spec)];
        let budget = Budget::merge(layers.into_iter()).unwrap().unwrap();
        let event = Event::pre_tool_use("claude-code", "s1", "/w", "Bash", serde_json::json!({}));
        let decide = |tokens: Option<u64>| {
            let (mut matches, mut counts) = (Vec::new(), Vec::new());
            budget
                .check(
                    &event,
                    Timestamp::UNIX_EPOCH,
                    &mut Reporting(tokens),
                    &mut matches,
                    &mut counts,
                )
                .unwrap();
            matches
                .into_iter()
                .map(|m| (m.rule_id, m.decision))
                .collect::<Vec<_>>()
        };
        assert_eq!(decide(None), []);
        assert_eq!(decide(Some(79_999)), []);
        assert_eq!(
            decide(Some(80_000)),
            [("budget.context-tokens-80".to_owned(), Decision::Warn)]
        );
        assert_eq!(
            decide(Some(100_001)),
            [("budget.context-tokens".to_owned(), Decision::Ask)]
        );
        spec.max_context_tokens = Some(0);
        let zero = [("user", &spec)];
        assert!(Budget::merge(zero.into_iter()).is_err());
    }
}
