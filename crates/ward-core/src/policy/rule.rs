//! A compiled rule and how it matches a call.
//!
//! Compilation is lazy on purpose: the hook is a fresh process per tool call, and a
//! policy has dozens of rules whose patterns would cost more to build than the whole
//! evaluation. Each rule checks its cheap conditions first (category, tags, whether
//! there is a command or a target at all) and builds its patterns only the first
//! time those pass. Globs use the `glob` crate's matcher, which compiles to a token
//! list; `globset` compiles every set into a regex, which measured ~0.1–0.3 ms per
//! rule, more than the whole budget allows on the hook's path.
//! Patterns are validated eagerly by [`super::Policy::validate_patterns`] (for
//! `ward policy validate`), not on the hook's path.

use std::sync::OnceLock;

use glob::{MatchOptions, Pattern};
use regex::Regex;

use super::approval::ApprovalPlan;
use super::argument::ArgumentPattern;
use super::file::RuleSpec;
use super::rate::{RateCount, RateCounter, RateLimit, RateQuery};
use super::window::TimeWindow;
use super::{Placeholders, PolicyError, ProtectedBranches};
use crate::{Action, Category, CommandInvocation, Decision, Event, Severity, Target};

/// Where a rule came from: its layer and the file or preset that defined it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleOrigin {
    /// The layer: `builtin`, `managed`, `project` or `user`.
    pub layer: super::Layer,
    /// The file path, or `preset:<name>`, or `builtin`.
    pub file: String,
    /// The line of the rule's `id`, when known.
    pub line: u32,
}

impl std::fmt::Display for RuleOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(f, "{} ({}:{})", self.layer, self.file, self.line)
        } else {
            write!(f, "{} ({})", self.layer, self.file)
        }
    }
}

/// A rule ready to match calls.
#[derive(Debug)]
pub struct Rule {
    /// The rule as written.
    pub spec: RuleSpec,
    /// Its decision.
    pub decision: Decision,
    /// How grave a match is.
    pub severity: Severity,
    /// Where it came from.
    pub origin: RuleOrigin,
    categories: Vec<Category>,
    /// Whether it answers `PreToolUse` and `PermissionRequest` events.
    on_pre_tool_use: bool,
    on_permission_request: bool,
    target_globs: Vec<String>,
    target_regexes: Vec<String>,
    outside_globs: Vec<String>,
    flag_groups: Vec<Vec<String>>,
    // Boxed, as in `MatchSpec`: most rules have none of these.
    time_window: Option<Box<TimeWindow>>,
    rate: Option<Box<RateLimit>>,
    approval: Option<Box<ApprovalPlan>>,
    compiled: OnceLock<Result<Compiled, PolicyError>>,
    regexes: OnceLock<Result<Regexes, PolicyError>>,
}

#[derive(Debug)]
struct Compiled {
    tools: Vec<Pattern>,
    programs: Vec<Pattern>,
    targets: Vec<Pattern>,
    outside: Vec<Pattern>,
    findings: Vec<Pattern>,
}

/// Regexes cost far more to build than globs, so they are built only once a
/// command's program (or a target's kind) has already matched.
#[derive(Debug)]
struct Regexes {
    targets: Vec<Regex>,
    arguments: Vec<ArgumentPattern>,
}

/// Names (tools, programs): `*` may match anything.
const NAME_MATCH: MatchOptions = MatchOptions {
    case_sensitive: true,
    require_literal_separator: false,
    require_literal_leading_dot: false,
};

/// Paths: `*` stays within one path segment; `**` crosses segments.
const PATH_MATCH: MatchOptions = MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: false,
};

fn any_match(patterns: &[Pattern], text: &str, options: MatchOptions) -> bool {
    patterns.iter().any(|p| p.matches_with(text, options))
}

/// Categories that describe a target rather than the call as a whole.
const TARGET_CATEGORIES: [Category; 4] = [
    Category::FileRead,
    Category::FileWrite,
    Category::FileDelete,
    Category::Network,
];

impl Rule {
    /// Checks a rule's spelling (decision, categories) and expands its placeholders.
    /// Globs and regexes are checked later, lazily or by `validate_patterns`.
    pub(crate) fn new(
        spec: RuleSpec,
        origin: RuleOrigin,
        placeholders: &Placeholders,
    ) -> Result<Rule, PolicyError> {
        let decision = Decision::parse(&spec.decision).ok_or_else(|| PolicyError::Invalid {
            file: origin.file.clone(),
            line: origin.line,
            rule: spec.id.clone(),
            message: format!(
                "unknown decision `{}` (expected allow, warn, ask or deny)",
                spec.decision
            ),
        })?;
        let severity = match &spec.severity {
            None => Severity::of_decision(decision),
            Some(name) => Severity::parse(name).ok_or_else(|| PolicyError::Invalid {
                file: origin.file.clone(),
                line: origin.line,
                rule: spec.id.clone(),
                message: format!(
                    "unknown severity `{name}` (expected low, medium, high or critical)"
                ),
            })?,
        };
        if spec.matches.protected_branch.is_some() && spec.matches.findings.is_empty() {
            return Err(PolicyError::Invalid {
                file: origin.file.clone(),
                line: origin.line,
                rule: spec.id.clone(),
                message: "`protected_branch` applies to findings: add `findings = [\"git.*\"]`"
                    .to_owned(),
            });
        }
        if spec.id.trim().is_empty() {
            return Err(PolicyError::Invalid {
                file: origin.file.clone(),
                line: origin.line,
                rule: String::new(),
                message: "a rule has an empty `id`".to_owned(),
            });
        }
        let (mut on_pre_tool_use, mut on_permission_request) =
            (spec.matches.events.is_empty(), false);
        for name in &spec.matches.events {
            match name.as_str() {
                "PreToolUse" => on_pre_tool_use = true,
                "PermissionRequest" => on_permission_request = true,
                other => {
                    return Err(PolicyError::Invalid {
                        file: origin.file.clone(),
                        line: origin.line,
                        rule: spec.id.clone(),
                        message: format!(
                            "unknown event `{other}` in `events` (rules answer PreToolUse and PermissionRequest)"
                        ),
                    });
                }
            }
        }
        let mut categories = Vec::new();
        for name in &spec.matches.categories {
            let category = Category::parse(name).ok_or_else(|| PolicyError::Invalid {
                file: origin.file.clone(),
                line: origin.line,
                rule: spec.id.clone(),
                message: format!("unknown category `{name}` (`ward policy categories` lists them)"),
            })?;
            categories.push(category);
        }
        let target_globs = spec
            .matches
            .targets
            .iter()
            .map(|glob| placeholders.expand_glob(glob))
            .collect();
        let outside_globs = spec
            .matches
            .targets_outside
            .iter()
            .map(|glob| placeholders.expand_glob(glob))
            .collect();
        let target_regexes = spec
            .matches
            .target_regexes
            .iter()
            .map(|regex| placeholders.expand_regex(regex))
            .collect();
        let flag_groups = spec
            .matches
            .flags
            .iter()
            .map(|group| group.split('|').map(str::to_owned).collect())
            .collect();
        // A condition's own message, placed at the rule.
        let invalid = |message: String| PolicyError::Invalid {
            file: origin.file.clone(),
            line: origin.line,
            rule: spec.id.clone(),
            message,
        };
        let time_window = spec
            .matches
            .time_window
            .as_ref()
            .map(|spec| TimeWindow::new(spec).map(Box::new))
            .transpose()
            .map_err(invalid)?;
        let rate = spec
            .matches
            .rate
            .as_ref()
            .map(|spec| RateLimit::new(spec).map(Box::new))
            .transpose()
            .map_err(invalid)?;
        let approval = spec
            .approval
            .as_ref()
            .map(|approval| {
                if decision == Decision::Ask {
                    ApprovalPlan::new(approval).map(Box::new)
                } else {
                    Err(format!(
                        "`approval` says how an `ask` is answered, and this rule decides `{decision}`"
                    ))
                }
            })
            .transpose()
            .map_err(invalid)?;
        Ok(Rule {
            spec,
            decision,
            severity,
            origin,
            categories,
            on_pre_tool_use,
            on_permission_request,
            target_globs,
            target_regexes,
            outside_globs,
            flag_groups,
            time_window,
            rate,
            approval,
            compiled: OnceLock::new(),
            regexes: OnceLock::new(),
        })
    }

    /// The rule's id.
    pub fn id(&self) -> &str {
        &self.spec.id
    }

    /// How the rule's `ask` is answered, when not natively.
    pub fn approval(&self) -> Option<&ApprovalPlan> {
        self.approval
            .as_deref()
            .filter(|plan| plan.mode != super::ApprovalMode::Native)
    }

    /// Fills in the approver pool the rule names (see [`ApprovalPlan::resolve`]).
    pub(crate) fn resolve_pool(
        &mut self,
        pools: &std::collections::BTreeMap<String, Vec<String>>,
    ) -> Result<(), PolicyError> {
        let Some(plan) = &mut self.approval else {
            return Ok(());
        };
        plan.resolve(pools).map_err(|message| PolicyError::Invalid {
            file: self.origin.file.clone(),
            line: self.origin.line,
            rule: self.spec.id.clone(),
            message,
        })
    }

    /// For a rate-limited rule whose other conditions hold: counts the call.
    pub(crate) fn count(
        &self,
        event: &Event,
        action: &Action,
        now: jiff::Timestamp,
        counter: &mut dyn RateCounter,
    ) -> Result<Option<RateCount>, PolicyError> {
        let Some(limit) = &self.rate else {
            return Ok(None);
        };
        let key = limit.key_of(event, action);
        let count = counter
            .count(&RateQuery {
                rule_id: &self.spec.id,
                key: &key,
                window: limit.window,
                now,
            })
            .map_err(|message| self.invalid(format!("cannot count calls: {message}")))?;
        Ok(Some(RateCount {
            rule_id: self.spec.id.clone(),
            key,
            count,
            max: limit.max,
            per_seconds: limit.window.as_secs(),
        }))
    }

    /// Builds every glob and regex now, reporting the first bad one.
    pub(crate) fn validate_patterns(&self) -> Result<(), PolicyError> {
        if let Some(window) = &self.time_window {
            window.zone().map_err(|message| self.invalid(message))?;
        }
        self.compiled()?;
        self.regexes().map(|_| ())
    }

    fn regexes(&self) -> Result<&Regexes, PolicyError> {
        self.regexes
            .get_or_init(|| {
                Ok(Regexes {
                    targets: self.build_regexes(&self.target_regexes)?,
                    arguments: self
                        .spec
                        .matches
                        .arguments
                        .iter()
                        .map(|pattern| {
                            ArgumentPattern::build(pattern).map_err(|error| {
                                self.invalid(format!("bad regex `{pattern}`: {error}"))
                            })
                        })
                        .collect::<Result<_, _>>()?,
                })
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    fn compiled(&self) -> Result<&Compiled, PolicyError> {
        self.compiled
            .get_or_init(|| self.compile())
            .as_ref()
            .map_err(Clone::clone)
    }

    fn compile(&self) -> Result<Compiled, PolicyError> {
        let m = &self.spec.matches;
        Ok(Compiled {
            tools: self.globs(&m.tools)?,
            programs: self.globs(&m.programs)?,
            targets: self.globs(&self.target_globs)?,
            outside: self.globs(&self.outside_globs)?,
            findings: self.globs(&m.findings)?,
        })
    }

    fn globs(&self, globs: &[String]) -> Result<Vec<Pattern>, PolicyError> {
        globs
            .iter()
            .map(|glob| {
                Pattern::new(glob)
                    .map_err(|error| self.invalid(format!("bad glob `{glob}`: {error}")))
            })
            .collect()
    }

    fn build_regexes(&self, patterns: &[String]) -> Result<Vec<Regex>, PolicyError> {
        patterns
            .iter()
            .map(|pattern| {
                regex::RegexBuilder::new(pattern)
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|error| self.invalid(format!("bad regex `{pattern}`: {error}")))
            })
            .collect()
    }

    fn invalid(&self, message: String) -> PolicyError {
        PolicyError::Invalid {
            file: self.origin.file.clone(),
            line: self.origin.line,
            rule: self.spec.id.clone(),
            message,
        }
    }

    /// Whether the rule matches a call. Cheap conditions run first; a pattern that
    /// fails to compile is an error (the caller fails closed).
    pub fn matches(
        &self,
        event: &Event,
        action: &Action,
        protected: &ProtectedBranches,
        now: jiff::Timestamp,
    ) -> Result<bool, PolicyError> {
        let m = &self.spec.matches;
        let answers = match event.kind {
            crate::EventKind::PermissionRequest => self.on_permission_request,
            _ => self.on_pre_tool_use,
        };
        if !answers {
            return Ok(false);
        }
        if m.opaque.is_some_and(|opaque| opaque != action.opaque) {
            return Ok(false);
        }
        if !self.categories.is_empty()
            && !self
                .categories
                .iter()
                .any(|c| action.categories.contains(c))
        {
            return Ok(false);
        }
        if !m.tags.is_empty() && !m.tags.iter().any(|tag| action.tags.contains(tag)) {
            return Ok(false);
        }
        if !m.agents.is_empty() && !agent_matches(&m.agents, event) {
            return Ok(false);
        }
        if !m.findings.is_empty() && action.findings.is_empty() {
            return Ok(false);
        }
        let needs_command = !m.programs.is_empty()
            || !m.flags.is_empty()
            || !m.unless_flags.is_empty()
            || !m.arguments.is_empty()
            || !m.wrappers.is_empty();
        if needs_command && action.commands.is_empty() {
            return Ok(false);
        }
        let needs_target = !self.target_globs.is_empty()
            || !self.target_regexes.is_empty()
            || !self.outside_globs.is_empty();
        if needs_target && action.targets.is_empty() {
            return Ok(false);
        }
        let compiled = self.compiled()?;
        if !compiled.tools.is_empty() && !any_match(&compiled.tools, &action.tool, NAME_MATCH) {
            return Ok(false);
        }
        if !compiled.findings.is_empty()
            && !action.findings.iter().any(|finding| {
                any_match(&compiled.findings, &finding.kind, NAME_MATCH)
                    && m.protected_branch
                        .is_none_or(|wanted| protected.covers(finding.subject.as_deref()) == wanted)
            })
        {
            return Ok(false);
        }
        if needs_command && !self.any_command_matches(compiled, &action.commands)? {
            return Ok(false);
        }
        if needs_target && !self.any_target_matches(compiled, &action.targets)? {
            return Ok(false);
        }
        // Last: it reads the time zone database the first time.
        match &self.time_window {
            Some(window) => window
                .applies_at(now)
                .map_err(|message| self.invalid(message)),
            None => Ok(true),
        }
    }

    fn any_command_matches(
        &self,
        compiled: &Compiled,
        commands: &[CommandInvocation],
    ) -> Result<bool, PolicyError> {
        for command in commands {
            if self.command_matches(compiled, command)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn any_target_matches(
        &self,
        compiled: &Compiled,
        targets: &[Target],
    ) -> Result<bool, PolicyError> {
        for target in targets {
            if self.target_matches(compiled, target)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn command_matches(
        &self,
        compiled: &Compiled,
        command: &CommandInvocation,
    ) -> Result<bool, PolicyError> {
        let m = &self.spec.matches;
        if !compiled.programs.is_empty()
            && !any_match(&compiled.programs, &command.program, NAME_MATCH)
        {
            return Ok(false);
        }
        if !m.wrappers.is_empty() && !m.wrappers.iter().any(|w| command.wrappers.contains(w)) {
            return Ok(false);
        }
        let flags_ok = self
            .flag_groups
            .iter()
            .all(|group| group.iter().any(|flag| command.flags.contains(flag)));
        if !flags_ok || command.has_flag_in(&m.unless_flags) {
            return Ok(false);
        }
        if m.arguments.is_empty() {
            return Ok(true);
        }
        Ok(self
            .regexes()?
            .arguments
            .iter()
            .all(|pattern| command.args.iter().any(|arg| pattern.is_match(arg))))
    }

    fn target_matches(&self, compiled: &Compiled, target: &Target) -> Result<bool, PolicyError> {
        let target_categories: Vec<&Category> = self
            .categories
            .iter()
            .filter(|c| TARGET_CATEGORIES.contains(c))
            .collect();
        if !target_categories.is_empty() && !target_categories.contains(&&target.kind.category()) {
            return Ok(false);
        }
        if any_match(&compiled.outside, &target.path, PATH_MATCH) {
            return Ok(false);
        }
        if compiled.targets.is_empty() && self.target_regexes.is_empty() {
            return Ok(true);
        }
        if any_match(&compiled.targets, &target.path, PATH_MATCH) {
            return Ok(true);
        }
        if self.target_regexes.is_empty() {
            return Ok(false);
        }
        Ok(self
            .regexes()?
            .targets
            .iter()
            .any(|regex| regex.is_match(&target.path)))
    }
}

fn agent_matches(agents: &[String], event: &Event) -> bool {
    agents.iter().any(|agent| {
        *agent == event.agent
            || event.subagent.as_ref().is_some_and(|subagent| {
                *agent == subagent.id || subagent.agent_type.as_deref() == Some(agent.as_str())
            })
    })
}
