//! Decisions and the verdict the policy engine returns.

use serde::{Deserialize, Serialize};

/// What Ward decides about a call. Ordered by precedence: a `Deny` from any matching
/// rule beats an `Ask`, which beats a `Warn`, which beats an `Allow`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// A rule explicitly allows the call (the agent may skip its own prompt).
    Allow,
    /// The call goes ahead and the user is told why it is risky.
    Warn,
    /// A human must confirm the call.
    Ask,
    /// The call must not run.
    Deny,
}

impl Decision {
    /// The lowercase name used in policies, records and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Warn => "warn",
            Decision::Ask => "ask",
            Decision::Deny => "deny",
        }
    }

    /// Parses a lowercase decision name.
    pub fn parse(name: &str) -> Option<Decision> {
        match name {
            "allow" => Some(Decision::Allow),
            "warn" => Some(Decision::Warn),
            "ask" => Some(Decision::Ask),
            "deny" => Some(Decision::Deny),
            _ => None,
        }
    }
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How grave a rule's match is: what notifications and reports sort by. A rule
/// that does not say takes its decision's default ([`Severity::of_decision`]).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Low,
    /// Worth a look.
    #[default]
    Medium,
    /// Someone should know now.
    High,
    /// Harm that cannot be undone, or an attack on Ward itself.
    Critical,
}

impl Severity {
    /// Every severity, least grave first.
    pub const ALL: [Severity; 4] = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The lowercase name used in policies, records and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Parses a lowercase severity name.
    pub fn parse(name: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The severity of a rule that does not name one: `high` for `deny`,
    /// `medium` for `ask`, `low` for `warn` and `allow`.
    pub fn of_decision(decision: Decision) -> Severity {
        match decision {
            Decision::Deny => Severity::High,
            Decision::Ask => Severity::Medium,
            Decision::Warn | Decision::Allow => Severity::Low,
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One rule that matched a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleMatch {
    /// The rule's id, e.g. `fs.delete-root`.
    pub rule_id: String,
    /// What the rule decides.
    pub decision: Decision,
    /// How grave the match is.
    #[serde(default)]
    pub severity: Severity,
    /// Why, in words a user understands.
    pub reason: String,
    /// What to do instead, if the rule names a safer alternative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternative: Option<String>,
    /// Where the rule came from (`builtin`, `managed:/etc/ward/policy.toml`, ...).
    pub source: String,
    /// How the rule's `ask` is answered, when not by the agent's own prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<crate::policy::ApprovalPlan>,
}

/// The outcome of evaluating a policy against one call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// The winning decision, or `None` when no rule has an opinion (Ward stays silent).
    pub decision: Option<Decision>,
    /// Whether the decision is acted on (`false` in dry-run / audit-only mode).
    pub enforced: bool,
    /// Every rule that matched, strongest first.
    pub matched: Vec<RuleMatch>,
    /// What each rate-limited rule counted for this call (whether or not the
    /// limit was passed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rate_counts: Vec<crate::policy::RateCount>,
}

impl Verdict {
    /// A verdict with no opinion.
    pub fn silent(enforced: bool) -> Verdict {
        Verdict {
            decision: None,
            enforced,
            matched: Vec::new(),
            rate_counts: Vec::new(),
        }
    }

    /// The rule that decided, if any: the first (strongest) match.
    pub fn deciding_rule(&self) -> Option<&RuleMatch> {
        self.matched.first()
    }

    /// One sentence naming the deciding rule, its reason and the safer alternative,
    /// as shown to the agent and the user.
    pub fn explanation(&self) -> Option<String> {
        let rule = self.deciding_rule()?;
        let mut text = format!("Ward rule `{}`: {}", rule.rule_id, rule.reason);
        if let Some(alternative) = &rule.alternative {
            text.push_str(" Instead: ");
            text.push_str(alternative);
        }
        Some(text)
    }
}
