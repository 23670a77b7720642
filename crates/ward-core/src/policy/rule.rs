//! A compiled rule and how it matches a call.
//!
//! Compilation is lazy on purpose: the hook is a fresh process per tool call, and a
//! policy has dozens of rules whose globs and regexes would cost more to build than
//! the whole evaluation. Each rule checks its cheap conditions first (tool, category,
//! program) and builds its glob set or regexes only the first time those pass.
//! Patterns are validated eagerly by [`super::Policy::validate_patterns`] (for
//! `ward policy validate`), not on the hook's path.

use std::sync::OnceLock;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use regex::Regex;

use super::file::RuleSpec;
use super::{Placeholders, PolicyError};
use crate::{Action, Category, CommandInvocation, Decision, Event, Target};

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
    /// Where it came from.
    pub origin: RuleOrigin,
    categories: Vec<Category>,
    target_globs: Vec<String>,
    target_regexes: Vec<String>,
    outside_globs: Vec<String>,
    flag_groups: Vec<Vec<String>>,
    compiled: OnceLock<Result<Compiled, PolicyError>>,
}

#[derive(Debug)]
struct Compiled {
    tools: Option<GlobSet>,
    programs: Option<GlobSet>,
    targets: Option<GlobSet>,
    target_regexes: Vec<Regex>,
    outside: Option<GlobSet>,
    arguments: Vec<Regex>,
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
        if spec.id.trim().is_empty() {
            return Err(PolicyError::Invalid {
                file: origin.file.clone(),
                line: origin.line,
                rule: String::new(),
                message: "a rule has an empty `id`".to_owned(),
            });
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
        Ok(Rule {
            spec,
            decision,
            origin,
            categories,
            target_globs,
            target_regexes,
            outside_globs,
            flag_groups,
            compiled: OnceLock::new(),
        })
    }

    /// The rule's id.
    pub fn id(&self) -> &str {
        &self.spec.id
    }

    /// Builds every glob and regex now, reporting the first bad one.
    pub(crate) fn validate_patterns(&self) -> Result<(), PolicyError> {
        self.compiled().map(|_| ())
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
            tools: self.glob_set(&m.tools, false)?,
            programs: self.glob_set(&m.programs, false)?,
            targets: self.glob_set(&self.target_globs, true)?,
            target_regexes: self.regexes(&self.target_regexes)?,
            outside: self.glob_set(&self.outside_globs, true)?,
            arguments: self.regexes(&m.arguments)?,
        })
    }

    fn glob_set(&self, globs: &[String], paths: bool) -> Result<Option<GlobSet>, PolicyError> {
        if globs.is_empty() {
            return Ok(None);
        }
        let mut builder = GlobSetBuilder::new();
        for glob in globs {
            let built = GlobBuilder::new(glob)
                .literal_separator(paths)
                .backslash_escape(true)
                .build()
                .map_err(|error| self.invalid(format!("bad glob `{glob}`: {error}")))?;
            builder.add(built);
        }
        builder
            .build()
            .map(Some)
            .map_err(|error| self.invalid(format!("bad glob set: {error}")))
    }

    fn regexes(&self, patterns: &[String]) -> Result<Vec<Regex>, PolicyError> {
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
    pub fn matches(&self, event: &Event, action: &Action) -> Result<bool, PolicyError> {
        let m = &self.spec.matches;
        if m.opaque.is_some_and(|opaque| opaque != action.opaque) {
            return Ok(false);
        }
        if !self.categories.is_empty()
            && !self.categories.iter().any(|c| action.categories.contains(c))
        {
            return Ok(false);
        }
        if !m.tags.is_empty() && !m.tags.iter().any(|tag| action.tags.contains(tag)) {
            return Ok(false);
        }
        if !m.agents.is_empty() && !agent_matches(&m.agents, event) {
            return Ok(false);
        }
        let needs_command = !m.programs.is_empty()
            || !m.flags.is_empty()
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
        if let Some(tools) = &compiled.tools
            && !tools.is_match(&action.tool)
        {
            return Ok(false);
        }
        if needs_command
            && !action
                .commands
                .iter()
                .any(|command| self.command_matches(compiled, command))
        {
            return Ok(false);
        }
        if needs_target
            && !action
                .targets
                .iter()
                .any(|target| self.target_matches(compiled, target))
        {
            return Ok(false);
        }
        Ok(true)
    }

    fn command_matches(&self, compiled: &Compiled, command: &CommandInvocation) -> bool {
        let m = &self.spec.matches;
        if let Some(programs) = &compiled.programs
            && !programs.is_match(&command.program)
        {
            return false;
        }
        if !m.wrappers.is_empty() && !m.wrappers.iter().any(|w| command.wrappers.contains(w)) {
            return false;
        }
        let flags_ok = self
            .flag_groups
            .iter()
            .all(|group| group.iter().any(|flag| command.flags.contains(flag)));
        flags_ok
            && compiled
                .arguments
                .iter()
                .all(|regex| command.args.iter().any(|arg| regex.is_match(arg)))
    }

    fn target_matches(&self, compiled: &Compiled, target: &Target) -> bool {
        let target_categories: Vec<&Category> = self
            .categories
            .iter()
            .filter(|c| TARGET_CATEGORIES.contains(c))
            .collect();
        if !target_categories.is_empty() && !target_categories.contains(&&target.kind.category())
        {
            return false;
        }
        let named = match (&compiled.targets, compiled.target_regexes.is_empty()) {
            (None, true) => true,
            (globs, _) => {
                globs.as_ref().is_some_and(|set| set.is_match(&target.path))
                    || compiled
                        .target_regexes
                        .iter()
                        .any(|regex| regex.is_match(&target.path))
            }
        };
        let outside = compiled
            .outside
            .as_ref()
            .is_none_or(|set| !set.is_match(&target.path));
        named && outside
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
