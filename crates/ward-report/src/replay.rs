//! Policy replay: every recorded call re-evaluated under another policy, and the
//! calls whose decision would change — "what would this new policy have blocked,
//! and what would it have let through?"
//!
//! Each `PreToolUse` and `PermissionRequest` record is turned back into the event
//! the hook saw (tool, input, session, subagent, permission mode, working
//! directory), analysed again and evaluated at the time it was recorded (so time
//! windows hold as they did). Rate limits and session budgets count the replayed
//! calls in memory, in ledger order, as the hooks' shared count did.
//!
//! Two things a record cannot give back as they were: the secrets in an input
//! (redacted before recording) and the git branch the call ran on. Their findings
//! (`secret.*`, `git.*`) are taken from the record, where the hook computed them
//! from the real input and branch, instead of from the new analysis. A rule that
//! matches a secret's own text, not its finding, still sees `[REDACTED:…]`.
//!
//! The comparison is between policies: a call that waited for approval was
//! decided `ask` by its policy (the queue turned it into a deny), and that is what
//! it is compared with; calls on which Ward itself failed are skipped.

use std::collections::BTreeMap;

use foldhash::HashMap;
use jiff::Timestamp;
use serde::Serialize;
use ward_core::policy::{Policy, RateCounter, RateQuery};
use ward_core::{AnalysisContext, Decision, Event, EventKind, Subagent, ToolCall};
use ward_ledger::summary::input_summary;
use ward_ledger::{Bodies, Ledger, LedgerError, Record, ScanOptions};

/// What to replay.
#[derive(Debug, Clone, Default)]
pub struct ReplayScope {
    /// Records at or after this time (RFC 3339).
    pub from: Option<String>,
    /// The home directory `~` and `$HOME` in rules expand to.
    pub user_home: String,
}

/// One call whose decision would change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The pre record.
    pub seq: u64,
    /// When the call was made.
    pub time: String,
    /// Its session.
    pub session_id: String,
    /// The hook event (`PreToolUse`, `PermissionRequest`).
    pub event: String,
    /// The tool.
    pub tool: String,
    /// The call in one line (redacted, as recorded).
    pub summary: String,
    /// The recorded policy's decision (`null`: no rule had an opinion).
    pub from: Option<Decision>,
    /// The rule that decided it.
    pub from_rule: Option<String>,
    /// The new policy's decision.
    pub to: Option<Decision>,
    /// The rule that would decide it.
    pub to_rule: Option<String>,
}

/// The calls of one kind of change, by rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    /// `newly denied`, `newly asked`, `newly warned`, `newly silent` (the agent's
    /// own permissions would apply), `newly allowed` (the prompt would be skipped).
    pub change: &'static str,
    /// The new decision (`null` for silent).
    pub to: Option<Decision>,
    /// Calls.
    pub count: u64,
    /// By the rule responsible (the new deciding rule, or for a call no rule
    /// would decide any more, the old one), most calls first.
    pub rules: Vec<RuleChanges>,
}

/// One rule's changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleChanges {
    /// The rule (`(default)` for the policy's default decision).
    pub rule: String,
    /// Calls.
    pub count: u64,
}

/// The result of a replay.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Replay {
    /// Calls re-evaluated.
    pub replayed: u64,
    /// Calls skipped (Ward had failed on them; or the record is not a call).
    pub skipped: u64,
    /// Calls whose decision would change.
    pub changed: u64,
    /// The changes by kind, strictest first.
    pub groups: Vec<Group>,
    /// Every changed call, in ledger order.
    pub changes: Vec<Change>,
}

/// How strict a decision is, for the direction of a change: `allow` skips the
/// agent's own prompt, so it is looser than no opinion at all.
fn rank(decision: Option<Decision>) -> u8 {
    match decision {
        Some(Decision::Allow) => 0,
        None => 1,
        Some(Decision::Warn) => 2,
        Some(Decision::Ask) => 3,
        Some(Decision::Deny) => 4,
    }
}

fn change_name(to: Option<Decision>) -> &'static str {
    match to {
        Some(Decision::Deny) => "newly denied",
        Some(Decision::Ask) => "newly asked",
        Some(Decision::Warn) => "newly warned",
        None => "newly silent",
        Some(Decision::Allow) => "newly allowed",
    }
}

/// Rate limits and budgets of the replay: counted in memory over the replayed
/// calls, in order, as the hooks' shared count did live.
#[derive(Default)]
struct ReplayCounter {
    calls: HashMap<(String, String), Vec<Timestamp>>,
}

impl RateCounter for ReplayCounter {
    fn count(&mut self, query: &RateQuery<'_>) -> Result<u64, String> {
        let since = query
            .now
            .checked_sub(query.window)
            .map_err(|error| error.to_string())?;
        let times = self
            .calls
            .entry((query.rule_id.to_owned(), query.key.to_owned()))
            .or_default();
        times.retain(|time| *time > since);
        times.push(query.now);
        Ok(u64::try_from(times.len()).unwrap_or(u64::MAX))
    }

    fn first_in_window(&mut self, query: &RateQuery<'_>) -> Result<Option<Timestamp>, String> {
        Ok(self
            .calls
            .get(&(query.rule_id.to_owned(), query.key.to_owned()))
            .and_then(|times| times.first().copied()))
    }
}

/// Replays every call in scope. `policy_for(cwd)` gives the new policy as it
/// applies in a working directory (its project layer); it is asked once per
/// directory. `progress` gets calls done and the total.
pub fn replay(
    ledger: &Ledger,
    scope: &ReplayScope,
    policy_for: &mut dyn FnMut(&str) -> Result<Policy, String>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Replay, ReplayError> {
    let options = ScanOptions {
        from: scope.from.clone(),
        to: None,
        events: vec!["PreToolUse".to_owned(), "PermissionRequest".to_owned()],
        bodies: Bodies::All,
    };
    let total = ledger.scan_count(&options)?;
    let mut policies: HashMap<String, Policy> = HashMap::default();
    let mut counter = ReplayCounter::default();
    let mut result = Replay {
        replayed: 0,
        skipped: 0,
        changed: 0,
        groups: Vec::new(),
        changes: Vec::new(),
    };
    let mut failure: Option<ReplayError> = None;
    let mut done = 0u64;
    ledger.scan(&options, &mut |row| {
        done += 1;
        if done.is_multiple_of(4_096) {
            progress(done, total);
        }
        if failure.is_some() {
            return;
        }
        let Some(record) = row
            .body
            .and_then(|body| serde_json::from_str::<Record>(body).ok())
        else {
            result.skipped += 1;
            return;
        };
        match replay_one(
            row.seq,
            &record,
            scope,
            &mut policies,
            policy_for,
            &mut counter,
        ) {
            Ok(Replayed::Same) => result.replayed += 1,
            Ok(Replayed::Changed(change)) => {
                result.replayed += 1;
                result.changes.push(*change);
            }
            Ok(Replayed::Skipped) => result.skipped += 1,
            Err(error) => failure = Some(error),
        }
    })?;
    progress(done, total);
    if let Some(error) = failure {
        return Err(error);
    }
    result.changed = u64::try_from(result.changes.len()).unwrap_or(u64::MAX);
    result.groups = group(&result.changes);
    Ok(result)
}

/// What became of one record.
enum Replayed {
    /// Not a call that can be replayed (no tool, Ward had failed, a bad time).
    Skipped,
    /// The new policy decides as the old one did.
    Same,
    /// It decides otherwise.
    Changed(Box<Change>),
}

fn replay_one(
    seq: u64,
    record: &Record,
    scope: &ReplayScope,
    policies: &mut HashMap<String, Policy>,
    policy_for: &mut dyn FnMut(&str) -> Result<Policy, String>,
    counter: &mut ReplayCounter,
) -> Result<Replayed, ReplayError> {
    let (Some(tool), None) = (&record.request.tool, &record.result.error) else {
        return Ok(Replayed::Skipped);
    };
    let Ok(time) = record.time.parse::<Timestamp>() else {
        return Ok(Replayed::Skipped);
    };
    let event = Event {
        agent: record.role.agent.clone(),
        kind: EventKind::parse(&record.request.event),
        session_id: record.role.session_id.clone(),
        cwd: record.request.cwd.clone(),
        tool: Some(ToolCall {
            name: tool.clone(),
            input: record.request.input.clone(),
            tool_use_id: record.request.tool_use_id.clone(),
            mcp_server: None,
        }),
        subagent: record.role.subagent_id.as_ref().map(|id| Subagent {
            id: id.clone(),
            agent_type: record.role.subagent_type.clone(),
        }),
        permission_mode: record.role.permission_mode.clone(),
        prompt: None,
        outcome: None,
        details: serde_json::Map::new(),
    };
    let context = AnalysisContext {
        cwd: record.request.cwd.clone(),
        home: scope.user_home.clone(),
        branch: None,
    };
    let mut action = ward_core::analyze(&event, &context);
    let recorded = |kind: &str| kind.starts_with("secret.") || kind.starts_with("git.");
    action.findings.retain(|finding| !recorded(&finding.kind));
    action.findings.extend(
        record
            .request
            .findings
            .iter()
            .filter(|finding| recorded(&finding.kind))
            .cloned(),
    );
    if !policies.contains_key(&record.request.cwd) {
        let policy = policy_for(&record.request.cwd).map_err(|message| ReplayError::Policy {
            cwd: record.request.cwd.clone(),
            message,
        })?;
        policies.insert(record.request.cwd.clone(), policy);
    }
    let Some(policy) = policies.get(&record.request.cwd) else {
        return Ok(Replayed::Skipped);
    };
    let verdict = policy
        .evaluate_counting(&event, &action, time, counter)
        .map_err(|error| ReplayError::Policy {
            cwd: record.request.cwd.clone(),
            message: error.to_string(),
        })?;
    // The policy's own decision: the approval queue turns an `ask` into a deny
    // until someone approves.
    let from = if record.result.approval.is_some() {
        Some(Decision::Ask)
    } else {
        record.result.decision.as_deref().and_then(Decision::parse)
    };
    let to = verdict.decision;
    if from == to {
        return Ok(Replayed::Same);
    }
    Ok(Replayed::Changed(Box::new(Change {
        seq,
        time: record.time.clone(),
        session_id: record.role.session_id.clone(),
        event: record.request.event.clone(),
        tool: tool.clone(),
        summary: input_summary(tool, &record.request.input),
        from,
        from_rule: from.and(record.rules.matched.first().cloned()),
        to,
        to_rule: verdict.deciding_rule().map(|rule| rule.rule_id.clone()),
    })))
}

/// One new decision's changes: the decision, and calls by rule.
type DecisionGroup = (Option<Decision>, BTreeMap<String, u64>);

/// The changes by new decision (strictest first), then by rule.
fn group(changes: &[Change]) -> Vec<Group> {
    // Strictest first: keyed by the new decision's rank, reversed.
    let mut by_decision: BTreeMap<std::cmp::Reverse<u8>, DecisionGroup> = BTreeMap::new();
    for change in changes {
        let entry = by_decision
            .entry(std::cmp::Reverse(rank(change.to)))
            .or_insert_with(|| (change.to, BTreeMap::new()));
        let rule = if rank(change.to) > rank(change.from) {
            change.to_rule.clone()
        } else {
            change.to_rule.clone().or_else(|| change.from_rule.clone())
        };
        *entry
            .1
            .entry(rule.unwrap_or_else(|| "(default)".to_owned()))
            .or_default() += 1;
    }
    by_decision
        .into_values()
        .map(|(to, rules)| {
            let mut rules: Vec<RuleChanges> = rules
                .into_iter()
                .map(|(rule, count)| RuleChanges { rule, count })
                .collect();
            rules.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.rule.cmp(&b.rule)));
            Group {
                change: change_name(to),
                to,
                count: rules.iter().map(|r| r.count).sum(),
                rules,
            }
        })
        .collect()
}

/// Why a replay stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The ledger could not be read.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The new policy could not be loaded or evaluated for a working directory.
    #[error("the policy does not load for calls made in `{cwd}`: {message}")]
    Policy {
        /// The working directory.
        cwd: String,
        /// What went wrong.
        message: String,
    },
}
