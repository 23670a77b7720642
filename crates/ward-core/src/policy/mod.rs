//! The policy engine: layered rule files in, a [`Verdict`] per call out.
//!
//! Layers, from most to least authority: `builtin` (self-protection), `managed`
//! (`/etc/ward/policy.toml`), `project` (`.ward/policy.toml`), `user`
//! (`$WARD_HOME/policy.toml`). Every rule of every layer is evaluated and the strongest
//! decision wins (deny > ask > warn > allow), so a lower layer can add rules and
//! tighten, but an `allow` below can never undo a `deny` above. A lower layer that
//! redefines a higher layer's rule id with a weaker decision is ignored with a
//! warning; `disable` reaches only the layer's own preset and lower layers.
//!
//! This module reads no files: the CLI finds the layers and passes their text.

mod approval;
mod argument;
mod branches;
mod budget;
mod file;
mod ledger;
mod presets;
mod rate;
mod rule;
mod sinks;
mod window;

use sha2::{Digest, Sha256};

pub use approval::{ApprovalMode, ApprovalPlan, ApprovalSpec, ApprovalsSection};
pub use branches::{DEFAULT_PROTECTED_BRANCHES, ProtectedBranches};
pub use budget::{BUDGET_CALLS_ID, BudgetSection, CONTEXT_TOKENS};
pub use file::{MatchSpec, PolicyFile, RuleSpec, parse_policy_text};
pub use ledger::{
    DEFAULT_CHECKPOINT_EVERY_RECORDS, DEFAULT_CHECKPOINT_EVERY_SECONDS, DEFAULT_RETENTION_DAYS,
    LedgerSection, LedgerSettings,
};
pub use presets::{PRESETS, PresetText, preset_text};
pub use rate::{NoCounting, RateCount, RateCounter, RateQuery, RateSpec};
pub use rule::{Rule, RuleOrigin};
pub use sinks::{
    BATCH_SIZE_RANGE, DEFAULT_BATCH_SIZE, DEFAULT_TIMEOUT_MS, HeaderValue, SinkConfig, SinkSpec,
    SinkTarget, TIMEOUT_MS_RANGE, WebhookFormat,
};
pub use window::TimeWindowSpec;

use crate::decision::RuleMatch;
use crate::{Action, Decision, Event, Verdict};

/// A policy layer, most authoritative first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Layer {
    /// Ward's built-in self-protection.
    Builtin,
    /// The machine's managed policy, set by an administrator.
    Managed,
    /// The project's `.ward/policy.toml`.
    Project,
    /// The user's `$WARD_HOME/policy.toml`.
    User,
}

impl Layer {
    /// The layer's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Builtin => "builtin",
            Layer::Managed => "managed",
            Layer::Project => "project",
            Layer::User => "user",
        }
    }
}

impl std::fmt::Display for Layer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text of one policy layer, as found by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySource {
    /// Which layer it is.
    pub layer: Layer,
    /// Where it was read from, for messages.
    pub path: String,
    /// Its content.
    pub text: String,
}

/// Values the placeholders in target patterns expand to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholders {
    /// `~` and `$HOME`.
    pub home: String,
    /// `$WARD_HOME`.
    pub ward_home: String,
    /// `$PROJECT`: the project root (the directory holding `.git` or `.ward`), or the cwd.
    pub project: String,
    /// `$CWD`.
    pub cwd: String,
}

impl Placeholders {
    fn substitute(&self, text: &str, escape: fn(&str) -> String) -> String {
        if !text.contains(['$', '~']) {
            return text.to_owned();
        }
        let mut out = text.to_owned();
        for (name, value) in [
            ("$WARD_HOME", &self.ward_home),
            ("$PROJECT", &self.project),
            ("$HOME", &self.home),
            ("$CWD", &self.cwd),
        ] {
            if out.contains(name) {
                out = out.replace(name, &escape(value));
            }
        }
        if out == "~" || out.starts_with("~/") {
            out = format!("{}{}", escape(&self.home), out.get(1..).unwrap_or_default());
        }
        out
    }

    /// Expands a target glob: placeholders, then any-depth matching for relative globs.
    pub(crate) fn expand_glob(&self, glob: &str) -> String {
        let expanded = self.substitute(glob, glob::Pattern::escape);
        if expanded.starts_with('/') || expanded.starts_with('*') || expanded.contains("://") {
            expanded
        } else {
            format!("**/{expanded}")
        }
    }

    /// Expands a target regex: placeholders become escaped literals.
    pub(crate) fn expand_regex(&self, regex: &str) -> String {
        self.substitute(regex, regex::escape)
    }
}

/// Errors in a policy. Every message names the file and, when known, the line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The file is not valid TOML/JSON or does not fit the schema.
    #[error("{file}:{line}: {message}")]
    Syntax {
        /// The file.
        file: String,
        /// The line (0 when unknown).
        line: u32,
        /// What the parser said.
        message: String,
    },
    /// A rule is malformed.
    #[error("{file}:{line}: rule `{rule}`: {message}")]
    Invalid {
        /// The file.
        file: String,
        /// The line of the rule's id (0 when unknown).
        line: u32,
        /// The rule's id.
        rule: String,
        /// What is wrong.
        message: String,
    },
    /// An evidence sink (`[[sinks]]`) is malformed.
    #[error("{file}:{line}: sink `{sink}`: {message}")]
    Sink {
        /// The file.
        file: String,
        /// The line of the sink's id (0 when unknown).
        line: u32,
        /// The sink's id.
        sink: String,
        /// What is wrong.
        message: String,
    },
    /// A layer names a preset that does not exist.
    #[error("{file}: unknown preset `{preset}`")]
    UnknownPreset {
        /// The file.
        file: String,
        /// The preset named.
        preset: String,
    },
}

impl PolicyError {
    /// What to do next.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            PolicyError::Syntax { .. } => {
                Some("fix the file, then check it with `ward policy validate`")
            }
            PolicyError::Invalid { .. } => {
                Some("`docs/policy.md` describes rule fields; check with `ward policy validate`")
            }
            PolicyError::Sink { .. } => {
                Some("`docs/sinks.md` describes sink fields; check with `ward policy validate`")
            }
            PolicyError::UnknownPreset { .. } => {
                Some("presets are safety, strict, permissive and audit-only")
            }
        }
    }
}

/// The effective policy: every layer's rules, compiled lazily.
#[derive(Debug)]
pub struct Policy {
    rules: Vec<Rule>,
    enforce: bool,
    default: Option<Decision>,
    preset: Option<String>,
    hash: String,
    warnings: Vec<String>,
    protected_branches: ProtectedBranches,
    ledger: LedgerSettings,
    sinks: Vec<SinkConfig>,
    budget: Option<budget::Budget>,
}

impl Policy {
    /// Builds the effective policy from layer sources (any order). Built-in
    /// self-protection is added unless the managed layer switches it off.
    ///
    /// Rules' line numbers are not looked up (they are 0): the hook does not show
    /// them, and finding them costs a scan of every text. [`Policy::load_located`]
    /// finds them, for messages people read; an error is always located.
    pub fn load(
        sources: &[PolicySource],
        placeholders: &Placeholders,
    ) -> Result<Policy, PolicyError> {
        // An error must name its line: build again, locating rules, to report it.
        Policy::build(sources, placeholders, false)
            .or_else(|_| Policy::build(sources, placeholders, true))
    }

    /// [`Policy::load`], with each rule's line number in its origin.
    pub fn load_located(
        sources: &[PolicySource],
        placeholders: &Placeholders,
    ) -> Result<Policy, PolicyError> {
        Policy::build(sources, placeholders, true)
    }

    fn build(
        sources: &[PolicySource],
        placeholders: &Placeholders,
        locate: bool,
    ) -> Result<Policy, PolicyError> {
        let mut sources: Vec<&PolicySource> = sources.iter().collect();
        sources.sort_by_key(|source| source.layer);
        let mut hasher = Sha256::new();
        let mut files = Vec::with_capacity(sources.len());
        for source in &sources {
            hasher.update(source.layer.as_str().as_bytes());
            hasher.update([0]);
            hasher.update(source.text.as_bytes());
            hasher.update([0]);
            files.push((*source, parse_policy_text(&source.path, &source.text)?));
        }
        let mut warnings = Vec::new();
        // Pools, most authoritative layer first: a name a higher layer defines
        // cannot be redefined below it.
        let mut pools: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for (source, file) in &files {
            for (name, members) in file.approvals.iter().flat_map(|a| a.pools.iter()) {
                if pools.contains_key(name) {
                    warnings.push(format!(
                        "{}: approver pool `{name}` is already defined by a more authoritative layer; this one is ignored",
                        source.path
                    ));
                } else {
                    pools.insert(name.clone(), members.clone());
                }
            }
        }
        let budget = budget::Budget::merge(files.iter().filter_map(|(source, file)| {
            file.budget
                .as_ref()
                .map(|section| (source.path.as_str(), section))
        }))?;
        let sink_specs: Vec<(&PolicySource, Vec<SinkSpec>)> = files
            .iter_mut()
            .map(|(source, file)| (*source, std::mem::take(&mut file.sinks)))
            .collect();
        let sinks = sinks::collect(&sink_specs, placeholders, &mut warnings)?;
        let self_protection = files
            .iter()
            .find(|(source, _)| source.layer == Layer::Managed)
            .and_then(|(_, file)| file.self_protection)
            .unwrap_or(true);

        let mut builder = Builder {
            placeholders,
            locate,
            rules: Vec::new(),
            warnings,
            disabled: Vec::new(),
        };
        if self_protection {
            hasher.update(presets::BUILTIN.hash.as_bytes());
            let builtin = (presets::BUILTIN.file)();
            builder.add_rules(
                Layer::Builtin,
                "builtin",
                presets::BUILTIN.toml,
                builtin.rules,
            )?;
        }
        let (ledger, ledger_warnings) =
            LedgerSettings::merge(files.iter().filter_map(|(source, file)| {
                file.ledger
                    .as_ref()
                    .map(|section| (source.layer, source.path.as_str(), section))
            }))?;
        builder.warnings.extend(ledger_warnings);
        let mut enforce = None;
        let mut default: Option<Decision> = None;
        let mut preset = None;
        let mut protected_branches = Vec::new();
        for (source, file) in files {
            // Every layer's branches count: a lower layer can protect more, never less.
            // A bad glob is reported with the file that holds it.
            if !file.protected_branches.is_empty() {
                ProtectedBranches::new(file.protected_branches.clone(), &source.path)?;
                protected_branches.extend(file.protected_branches.iter().cloned());
            }
            if file.self_protection.is_some() && source.layer != Layer::Managed {
                builder.warnings.push(format!(
                    "{}: `self_protection` is ignored outside the managed policy",
                    source.path
                ));
            }
            let mut layer_rules = Vec::new();
            if let Some(name) = &file.preset {
                let texts = preset_text(name).ok_or_else(|| PolicyError::UnknownPreset {
                    file: source.path.clone(),
                    preset: name.clone(),
                })?;
                for text in texts {
                    let origin = format!("preset:{}", text.name);
                    hasher.update(text.hash.as_bytes());
                    let preset_file = (text.file)();
                    if let Some(value) = preset_file.enforce {
                        enforce.get_or_insert(value);
                    }
                    layer_rules.push((origin, text.toml, preset_file.rules));
                    builder.disable_in(&mut layer_rules, &preset_file.disable);
                }
                preset.get_or_insert_with(|| name.clone());
            }
            builder.disable_in(&mut layer_rules, &file.disable);
            layer_rules.push((source.path.clone(), source.text.as_str(), file.rules));
            for (origin, text, rules) in layer_rules {
                builder.add_rules(source.layer, &origin, text, rules)?;
            }
            builder.disable_lower(source.layer, &source.path, &file.disable);
            if let Some(value) = file.enforce {
                // Tighten only: once a layer enforces, a lower one cannot turn it off.
                enforce = Some(enforce.unwrap_or(value) || value);
            }
            if let Some(name) = &file.default {
                if name == "none" {
                    continue;
                }
                let decision = Decision::parse(name).ok_or_else(|| PolicyError::Syntax {
                    file: source.path.clone(),
                    line: file::line_of(&source.text, source.text.find("default").unwrap_or(0)),
                    message: format!(
                        "unknown default `{name}` (expected none, allow, warn, ask or deny)"
                    ),
                })?;
                default = Some(default.map_or(decision, |d| d.max(decision)));
            }
        }
        let hash = hasher
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        let protected_branches = ProtectedBranches::new(protected_branches, "the policy layers")?;
        for rule in &mut builder.rules {
            rule.resolve_pool(&pools)?;
        }
        Ok(Policy {
            budget,
            protected_branches,
            rules: builder.rules,
            enforce: enforce.unwrap_or(true),
            default,
            preset,
            hash,
            warnings: builder.warnings,
            ledger,
            sinks,
        })
    }

    /// Every rule, most authoritative layer first.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Whether a budget reads the context size the agent reports: the hook then
    /// keeps the latest `context_tokens` of each session.
    pub fn tracks_context_tokens(&self) -> bool {
        self.budget
            .as_ref()
            .is_some_and(|budget| budget.max_context_tokens.is_some())
    }

    /// Whether decisions are enforced.
    pub fn enforce(&self) -> bool {
        self.enforce
    }

    /// The decision when no rule matches.
    pub fn default_decision(&self) -> Option<Decision> {
        self.default
    }

    /// The first preset named by the most authoritative layer.
    pub fn preset(&self) -> Option<&str> {
        self.preset.as_deref()
    }

    /// SHA-256 (hex) over every layer's text: the policy's identity in records.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// The protected git branches of every layer (or the defaults).
    pub fn protected_branches(&self) -> &ProtectedBranches {
        &self.protected_branches
    }

    /// The `[ledger]` settings of the managed and user layers.
    pub fn ledger(&self) -> &LedgerSettings {
        &self.ledger
    }

    /// The evidence sinks of the managed and user layers, managed first (a
    /// project's sinks are ignored with a warning).
    pub fn sinks(&self) -> &[SinkConfig] {
        &self.sinks
    }

    /// Layering conflicts that were resolved by ignoring something.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Builds every glob and regex now (for `ward policy validate`).
    pub fn validate_patterns(&self) -> Result<(), PolicyError> {
        self.rules.iter().try_for_each(Rule::validate_patterns)
    }

    /// Evaluates a call made at `now` (which only time windows read; the caller
    /// reads the clock, this crate does not). Every rule is tried; the strongest
    /// decision wins, and among equals the most authoritative layer's rule is named
    /// first.
    ///
    /// Rate-limited rules count nothing here and so never hold; the hook uses
    /// [`Policy::evaluate_counting`].
    pub fn evaluate(
        &self,
        event: &Event,
        action: &Action,
        now: jiff::Timestamp,
    ) -> Result<Verdict, PolicyError> {
        self.evaluate_counting(event, action, now, &mut NoCounting)
    }

    /// [`Policy::evaluate`], with `counter` counting the call for each
    /// rate-limited rule whose other conditions hold; such a rule holds when the
    /// count passes its `max`. The counts go into the verdict, for the record.
    pub fn evaluate_counting(
        &self,
        event: &Event,
        action: &Action,
        now: jiff::Timestamp,
        counter: &mut dyn RateCounter,
    ) -> Result<Verdict, PolicyError> {
        let mut matched: Vec<(&Rule, usize)> = Vec::new();
        let mut rate_counts = Vec::new();
        for (index, rule) in self.rules.iter().enumerate() {
            if !rule.matches(event, action, &self.protected_branches, now)? {
                continue;
            }
            if let Some(count) = rule.count(event, action, now, counter)? {
                let over = count.count > u64::from(count.max);
                rate_counts.push(count);
                if !over {
                    continue;
                }
            }
            matched.push((rule, index));
        }
        matched.sort_by(|(a, ai), (b, bi)| b.decision.cmp(&a.decision).then(ai.cmp(bi)));
        let mut matches: Vec<RuleMatch> = matched
            .iter()
            .map(|(rule, _)| RuleMatch {
                rule_id: rule.spec.id.clone(),
                decision: rule.decision,
                severity: rule.severity,
                reason: rule.spec.reason.clone(),
                alternative: rule.spec.alternative.clone(),
                source: rule.origin.to_string(),
                approval: rule.approval().cloned(),
            })
            .collect();
        // The default is for calls; a permission prompt nobody's rule answers is
        // the user's (a default `deny` would refuse the prompt an `ask` asked for).
        if matches.is_empty()
            && event.kind != crate::EventKind::PermissionRequest
            && let Some(decision) = self.default
        {
            matches.push(RuleMatch {
                rule_id: "default".to_owned(),
                decision,
                severity: crate::Severity::of_decision(decision),
                reason: format!("no rule matched, and the policy's default is {decision}."),
                alternative: None,
                source: "policy default".to_owned(),
                approval: None,
            });
        }
        if let Some(budget) = &self.budget
            && event.kind == crate::EventKind::PreToolUse
        {
            budget.check(event, now, counter, &mut matches, &mut rate_counts)?;
            // Stable: among equal decisions the rules keep their order.
            matches.sort_by_key(|m| std::cmp::Reverse(m.decision));
        }
        Ok(Verdict {
            decision: matches.first().map(|m| m.decision),
            enforced: self.enforce,
            matched: matches,
            rate_counts,
        })
    }
}

struct Builder<'a> {
    placeholders: &'a Placeholders,
    /// Whether to look up each rule's line (see [`Policy::load_located`]).
    locate: bool,
    rules: Vec<Rule>,
    warnings: Vec<String>,
    /// Rule ids a more authoritative layer switched off for the layers below it.
    disabled: Vec<String>,
}

impl Builder<'_> {
    fn add_rules(
        &mut self,
        layer: Layer,
        file: &str,
        text: &str,
        specs: Vec<RuleSpec>,
    ) -> Result<(), PolicyError> {
        let lines = if self.locate {
            file::rule_lines(text)
        } else {
            std::collections::HashMap::new()
        };
        for spec in specs {
            if layer != Layer::Builtin && self.disabled.contains(&spec.id) {
                continue;
            }
            let origin = RuleOrigin {
                layer,
                file: file.to_owned(),
                line: lines.get(spec.id.as_str()).copied().unwrap_or(0),
            };
            let rule = Rule::new(spec, origin, self.placeholders)?;
            let existing = self.rules.iter().position(|r| r.spec.id == rule.spec.id);
            match existing {
                // Same layer: the later definition (the file over its preset) replaces.
                Some(index)
                    if self
                        .rules
                        .get(index)
                        .is_some_and(|r| r.origin.layer == layer) =>
                {
                    if let Some(slot) = self.rules.get_mut(index) {
                        *slot = rule;
                    }
                }
                // A lower layer may tighten a higher layer's rule (both then apply)
                // but never loosen it.
                Some(index) => {
                    let higher = self
                        .rules
                        .get(index)
                        .map(|r| (r.decision, r.origin.to_string()));
                    match higher {
                        Some((decision, origin)) if rule.decision < decision => {
                            self.warnings.push(format!(
                                "{}: rule `{}` would loosen `{}` from {} to {}; the {} rule stays in force",
                                rule.origin, rule.spec.id, rule.spec.id, decision, rule.decision, origin
                            ));
                        }
                        _ => self.rules.push(rule),
                    }
                }
                None => self.rules.push(rule),
            }
        }
        Ok(())
    }

    fn disable_in(&mut self, pending: &mut [(String, &str, Vec<RuleSpec>)], ids: &[String]) {
        for (_, _, rules) in pending.iter_mut() {
            rules.retain(|rule| !ids.contains(&rule.id));
        }
    }

    /// `disable` can only reach layers below this one: rules already added come from
    /// higher layers (or builtin), so switching those off is refused with a warning,
    /// except that the managed layer may switch off built-in rules.
    fn disable_lower(&mut self, layer: Layer, path: &str, ids: &[String]) {
        for id in ids {
            self.disabled.push(id.clone());
            let position = self
                .rules
                .iter()
                .position(|rule| &rule.spec.id == id && rule.origin.layer < layer);
            if let Some(index) = position {
                let origin_layer = self.rules.get(index).map(|r| r.origin.layer);
                if layer == Layer::Managed && origin_layer == Some(Layer::Builtin) {
                    self.rules.remove(index);
                } else {
                    self.warnings.push(format!(
                        "{path}: cannot disable `{id}`, which a more authoritative layer defines"
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
