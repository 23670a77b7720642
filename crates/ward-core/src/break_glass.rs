//! Break-glass overrides: a person suspends enforcement for a scope (a session,
//! some rules, or everything) until a time, with a reason.
//!
//! An override only ever *loosens* a `deny` or an `ask`: the call then goes on to
//! the agent's own permission prompt, as in audit-only mode (Ward prints nothing).
//! It never turns anything into `allow`, and a `warn` or `allow` is left alone. The
//! record of the call keeps the decision the policy made and names the override.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::decision::RuleMatch;
use crate::policy::Layer;
use crate::{Decision, Verdict};

/// The longest an override may run: a longer suspension is a policy change.
pub const MAX_TTL_SECONDS: i64 = 24 * 60 * 60;

/// One override, as kept in the home's overrides file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    /// `ovr-` and 8 hex digits.
    pub id: String,
    /// Who started it (the OS user).
    pub by: String,
    /// Why, in the words of the person who started it.
    pub reason: String,
    /// When it started.
    pub started_at: Timestamp,
    /// When it stops by itself.
    pub expires_at: Timestamp,
    /// Only this agent session; `None`: every session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// Only these rule ids; empty: every rule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
    /// When someone ended it early, if they did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Timestamp>,
}

impl Override {
    /// Whether it is in force at `now`.
    pub fn is_active(&self, now: Timestamp) -> bool {
        self.started_at <= now && now < self.end()
    }

    /// When it stops (or stopped): ended early, or expired.
    pub fn end(&self) -> Timestamp {
        self.ended_at
            .map_or(self.expires_at, |ended| ended.min(self.expires_at))
    }

    /// Whether it reaches a rule of a call in this session.
    fn reaches(&self, session: &str, rule_id: &str) -> bool {
        self.session.as_deref().is_none_or(|only| only == session)
            && (self.rules.is_empty() || self.rules.iter().any(|rule| rule == rule_id))
    }

    /// The scope in words: `every rule in every session`, `rule git.force-push in
    /// session abc`.
    pub fn scope(&self) -> String {
        let rules = match self.rules.as_slice() {
            [] => "every rule".to_owned(),
            [one] => format!("rule {one}"),
            many => format!("rules {}", many.join(", ")),
        };
        match &self.session {
            None => format!("{rules} in every session"),
            Some(session) => format!("{rules} in session {session}"),
        }
    }
}

/// What an override did to a verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suspension {
    /// The override's id.
    pub id: String,
    /// The decision the policy made before the override.
    pub suspended: Decision,
    /// The rules it set aside.
    pub rules: Vec<String>,
}

impl Verdict {
    /// Applies the first active override that reaches this verdict's blocking
    /// rules, if any: the rules it reaches are set aside, and what the remaining
    /// rules decide stands. When nothing blocking remains, the verdict is no longer
    /// enforced (the agent's own prompt applies) but keeps its decision for the
    /// record. Returns what was suspended.
    pub fn suspend(
        &mut self,
        overrides: &[Override],
        session: &str,
        now: Timestamp,
    ) -> Option<Suspension> {
        let decision = self.decision?;
        if !self.enforced || !matches!(decision, Decision::Deny | Decision::Ask) {
            return None;
        }
        // Self-protection is never set aside: otherwise an agent could, during an
        // override, extend it or rewrite the policy that bounds it.
        let reachable = |o: &Override, m: &RuleMatch| {
            matches!(m.decision, Decision::Deny | Decision::Ask)
                && !m.source.starts_with(Layer::Builtin.as_str())
                && o.reaches(session, &m.rule_id)
        };
        let blocking = |decision: Decision| matches!(decision, Decision::Deny | Decision::Ask);
        let applies = overrides
            .iter()
            .filter(|o| o.is_active(now))
            .find(|o| self.matched.iter().any(|m| reachable(o, m)))?;
        let (set_aside, rest): (Vec<_>, Vec<_>) =
            self.matched.drain(..).partition(|m| reachable(applies, m));
        let suspension = Suspension {
            id: applies.id.clone(),
            suspended: decision,
            rules: set_aside.iter().map(|m| m.rule_id.clone()).collect(),
        };
        let still_blocking = rest.iter().any(|m| blocking(m.decision));
        if still_blocking {
            // Another rule, outside the override's reach, still decides.
            self.decision = rest.first().map(|m| m.decision);
            self.matched = rest.into_iter().chain(set_aside).collect();
        } else {
            self.enforced = false;
            self.matched = set_aside.into_iter().chain(rest).collect();
        }
        Some(suspension)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + minutes * 60).unwrap()
    }

    fn override_(session: Option<&str>, rules: &[&str]) -> Override {
        Override {
            id: "ovr-0000beef".to_owned(),
            by: "dev".to_owned(),
            reason: "hotfix".to_owned(),
            started_at: at(0),
            expires_at: at(15),
            session: session.map(str::to_owned),
            rules: rules.iter().map(|r| (*r).to_owned()).collect(),
            ended_at: None,
        }
    }

    fn verdict(matches: &[(&str, Decision)]) -> Verdict {
        Verdict {
            decision: matches.first().map(|(_, d)| *d),
            enforced: true,
            matched: matches
                .iter()
                .map(|(id, decision)| RuleMatch {
                    rule_id: (*id).to_owned(),
                    decision: *decision,
                    severity: crate::Severity::of_decision(*decision),
                    reason: String::new(),
                    alternative: None,
                    source: "test".to_owned(),
                    approval: None,
                })
                .collect(),
            rate_counts: Vec::new(),
        }
    }

    #[test]
    fn an_override_lifts_a_deny_for_its_time_only() {
        let all = [override_(None, &[])];
        let mut during = verdict(&[("git.force-push", Decision::Deny)]);
        let suspension = during.suspend(&all, "s1", at(5)).unwrap();
        assert_eq!(suspension.suspended, Decision::Deny);
        assert!(!during.enforced);
        assert_eq!(during.decision, Some(Decision::Deny));

        let mut after = verdict(&[("git.force-push", Decision::Deny)]);
        assert_eq!(after.suspend(&all, "s1", at(15)), None);
        assert!(after.enforced);
        let mut before = verdict(&[("git.force-push", Decision::Deny)]);
        assert_eq!(before.suspend(&all, "s1", at(-1)), None);
    }

    #[test]
    fn ending_early_stops_it() {
        let mut ended = override_(None, &[]);
        ended.ended_at = Some(at(3));
        let mut verdict = verdict(&[("git.force-push", Decision::Ask)]);
        assert_eq!(verdict.suspend(&[ended], "s1", at(4)), None);
        assert!(verdict.enforced);
    }

    #[test]
    fn scope_by_session_and_rule() {
        let only = [override_(Some("s1"), &["git.force-push"])];
        let mut other_session = verdict(&[("git.force-push", Decision::Deny)]);
        assert_eq!(other_session.suspend(&only, "s2", at(1)), None);
        let mut other_rule = verdict(&[("fs.delete-home", Decision::Deny)]);
        assert_eq!(other_rule.suspend(&only, "s1", at(1)), None);

        // A second blocking rule outside the scope still decides.
        let mut both = verdict(&[
            ("fs.delete-home", Decision::Deny),
            ("git.force-push", Decision::Deny),
            ("ops.sudo", Decision::Ask),
        ]);
        let suspension = both.suspend(&only, "s1", at(1)).unwrap();
        assert_eq!(suspension.rules, vec!["git.force-push".to_owned()]);
        assert!(both.enforced);
        assert_eq!(both.decision, Some(Decision::Deny));
        assert_eq!(both.matched[0].rule_id, "fs.delete-home");

        // What is left after the reached rules decides: here an `ask`.
        let mut ask_left = verdict(&[
            ("git.force-push", Decision::Deny),
            ("ops.sudo", Decision::Ask),
        ]);
        ask_left.suspend(&only, "s1", at(1)).unwrap();
        assert_eq!(ask_left.decision, Some(Decision::Ask));
        assert_eq!(ask_left.matched[0].rule_id, "ops.sudo");
    }

    #[test]
    fn warnings_allows_and_dry_runs_are_left_alone() {
        let all = [override_(None, &[])];
        for decision in [Decision::Warn, Decision::Allow] {
            let mut v = verdict(&[("r", decision)]);
            assert_eq!(v.suspend(&all, "s1", at(1)), None);
            assert!(v.enforced);
        }
        let mut dry = verdict(&[("r", Decision::Deny)]);
        dry.enforced = false;
        assert_eq!(dry.suspend(&all, "s1", at(1)), None);
        // A deny plus a warning: the warning stays, unenforced with the rest.
        let mut mixed = verdict(&[("r", Decision::Deny), ("w", Decision::Warn)]);
        mixed.suspend(&all, "s1", at(1)).unwrap();
        assert!(!mixed.enforced);
    }

    #[test]
    fn self_protection_is_never_set_aside() {
        let all = [override_(None, &[])];
        let mut v = verdict(&[("self.no-ward-admin", Decision::Deny)]);
        v.matched[0].source = "builtin (builtin)".to_owned();
        assert_eq!(v.suspend(&all, "s1", at(1)), None);
        assert!(v.enforced);
        // Named explicitly, still not.
        let named = [override_(None, &["self.no-ward-admin"])];
        assert_eq!(v.suspend(&named, "s1", at(1)), None);
    }

    #[test]
    fn scope_reads_as_words() {
        assert_eq!(override_(None, &[]).scope(), "every rule in every session");
        assert_eq!(
            override_(Some("s1"), &["a", "b"]).scope(),
            "rules a, b in session s1"
        );
    }
}
