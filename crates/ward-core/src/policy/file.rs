//! The policy file as written: TOML (or JSON), deserialised straight into typed
//! structs that reject unknown keys, so a typo fails loudly instead of silently
//! matching nothing.

use serde::{Deserialize, Serialize};

use super::PolicyError;
use super::approval::{ApprovalSpec, ApprovalsSection};
use super::rate::RateSpec;
use super::sinks::SinkSpec;
use super::window::TimeWindowSpec;

/// One policy file (a layer), as written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    /// A preset whose rules this layer starts from: `safety`, `strict`,
    /// `permissive` or `audit-only`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    /// `false` records what would have happened without acting (dry-run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enforce: Option<bool>,
    /// The decision when no rule matches; absent means no opinion (silence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Rule ids of this layer's preset or of lower layers to switch off. Rules of a
    /// higher layer cannot be switched off; built-in rules only by the managed layer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disable: Vec<String>,
    /// The managed layer may switch off self-protection; other layers may not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub self_protection: Option<bool>,
    /// Git branches (globs) that force pushes, remote deletes and `--no-verify`
    /// must not touch. Every layer's list counts; when none gives one, the default
    /// is `main`, `master`, `production` and `release/*`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub protected_branches: Vec<String>,
    /// The rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RuleSpec>,
    /// How the ledger is kept (managed and user layers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger: Option<super::ledger::LedgerSection>,
    /// Where outcome records and checkpoints are delivered (managed and user
    /// layers only; see [`super::SinkConfig`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sinks: Vec<SinkSpec>,
    /// Session budgets: tool calls and wall time per session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<super::budget::BudgetSection>,
    /// Approver pools for rules answered by Ward's approval queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approvals: Option<ApprovalsSection>,
}

/// One rule, as written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// A stable id, e.g. `git.force-push`.
    pub id: String,
    /// What the rule is about.
    #[serde(default)]
    pub description: String,
    /// `allow`, `warn`, `ask` or `deny`.
    pub decision: String,
    /// `low`, `medium`, `high` or `critical` (default: `high` for `deny`, `medium`
    /// for `ask`, `low` otherwise): what notifications and reports sort by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// Why, in words the user and the agent understand.
    #[serde(default)]
    pub reason: String,
    /// What to do instead. It should itself be allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternative: Option<String>,
    /// What the rule matches. All given conditions must hold; within one condition,
    /// any listed value matches.
    #[serde(default, rename = "match")]
    pub matches: MatchSpec,
    /// How an `ask` of this rule is answered (default: the agent's own prompt).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<Box<ApprovalSpec>>,
}

/// The conditions of a rule, as written. The rarely used conditions are boxed:
/// every hook builds ~90 preset rules, and their size is memory every hook
/// touches (inline, these three added ~40 page faults per hook).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchSpec {
    /// The hook events the rule answers: `PreToolUse` (the default: before a
    /// call runs) and `PermissionRequest` (when the agent is about to show its
    /// own permission prompt: `deny` refuses it, `allow` pre-approves it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
    /// Agent names (`claude-code`), subagent types or subagent ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub agents: Vec<String>,
    /// Tool names; globs allowed (`mcp__github__*`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<String>,
    /// Categories (`file_delete`, `network`, ...). When a rule names target globs
    /// too, a matching target must be of one of these categories.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// Target globs (`*`, `**`, `?`, `[...]`; no `{a,b}`). `~`, `$HOME`, `$PROJECT`, `$CWD` and `$WARD_HOME` expand; a
    /// glob that does not start with `/`, `~`, `$` or `*` matches at any depth.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    /// Target regexes (the same placeholders expand, escaped).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target_regexes: Vec<String>,
    /// Globs of which a target must match none: the rule matches a target outside
    /// all of them (`["$PROJECT/**"]`: anything outside the project).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets_outside: Vec<String>,
    /// Program names after shell analysis (`rm`, `git`); globs allowed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub programs: Vec<String>,
    /// Flag groups, all required on the same command; each group lists
    /// alternatives separated by `|` (`"r|R|recursive"`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    /// Flags that exempt a command: the rule does not match a command with any of
    /// them (`["dry-run", "n"]` for a publish rule).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unless_flags: Vec<String>,
    /// Regexes, each of which must match some argument of the same command.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arguments: Vec<String>,
    /// Wrappers the command runs under (`sudo`, `xargs`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wrappers: Vec<String>,
    /// Risk tags set by analysis (`remote-code`, `inline-script`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Kinds of findings (globs): `db.drop-*`, `secret.*`, `git.force-push`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<String>,
    /// With `findings`: `true` matches only findings on a protected branch (or on a
    /// branch Ward cannot tell), `false` only findings on other branches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protected_branch: Option<bool>,
    /// `true`: match only calls that analysis could not see through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opaque: Option<bool>,
    /// Match only during (or, with `outside = true`, only outside) these hours and
    /// days. Presets do not use it (the build refuses the key there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_window: Option<Box<TimeWindowSpec>>,
    /// Match only once such calls (all the other conditions holding) pass `max`
    /// within `per`, counted `by` session, agent, tool, category or globally.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Box<RateSpec>>,
}

/// Parses policy text. `name` (a path or `preset:safety`) goes into error messages.
/// Text whose first non-blank character is `{` is read as JSON, anything else as TOML.
pub fn parse_policy_text(name: &str, text: &str) -> Result<PolicyFile, PolicyError> {
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text).map_err(|error| PolicyError::Syntax {
            file: name.to_owned(),
            line: u32::try_from(error.line()).unwrap_or(u32::MAX),
            message: error.to_string(),
        });
    }
    toml::from_str(text).map_err(|error| {
        let line = error
            .span()
            .map(|span| line_of(text, span.start))
            .unwrap_or(0);
        PolicyError::Syntax {
            file: name.to_owned(),
            line,
            message: error.message().to_owned(),
        }
    })
}

/// The 1-based line of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> u32 {
    let before = text.get(..offset).unwrap_or(text);
    let lines = before.bytes().filter(|b| *b == b'\n').count() + 1;
    u32::try_from(lines).unwrap_or(u32::MAX)
}

/// The 1-based line of each rule's `id` in a TOML or JSON policy text, in one pass
/// (used for messages and `ward policy show`).
pub(crate) fn rule_lines(text: &str) -> std::collections::HashMap<&str, u32> {
    let mut lines = std::collections::HashMap::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim_start();
        let Some(rest) = line
            .strip_prefix("id")
            .or_else(|| line.strip_prefix("\"id\""))
        else {
            continue;
        };
        let Some(value) = rest.trim_start().strip_prefix(['=', ':']) else {
            continue;
        };
        let value = value.trim().trim_end_matches(',');
        let id = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')));
        if let (Some(id), Ok(number)) = (id, u32::try_from(index + 1)) {
            lines.entry(id).or_insert(number);
        }
    }
    lines
}
