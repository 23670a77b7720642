//! One pass over the period's records, counting into a [`Report`].
//!
//! The pass reads the indexed columns of every record and the body of the few
//! that say more ([`Bodies::Notable`]): decided calls (rules, severities,
//! targets), the host's approval and override records, failures, and each
//! session's first record (its OS user).

use std::collections::BTreeMap;

use foldhash::{HashMap, HashSet, HashSetExt};
use serde::Deserialize;
use serde_json::Value;
use ward_ledger::{Bodies, HOST_SESSION, Ledger, LedgerError, ScanOptions, ScanRow};

use crate::model::{
    Approvals, Breakdown, Day, Integrity, Override, Period, Report, Risk, RuleCount, SCHEMA,
    Severities, TOP, TargetCount, Totals, Verification,
};

/// What a report covers.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Records at or after this time (RFC 3339).
    pub from: Option<String>,
    /// Records before this time (RFC 3339).
    pub to: Option<String>,
    /// Only sessions whose working directory is this directory or inside it.
    pub project: Option<String>,
}

/// The parts of a body a report reads.
#[derive(Deserialize)]
struct Body {
    role: BodyRole,
    request: BodyRequest,
    rules: BodyRules,
    result: BodyResult,
}

#[derive(Deserialize)]
struct BodyRole {
    os_user: Option<String>,
}

#[derive(Deserialize)]
struct BodyRequest {
    #[serde(default)]
    targets: Vec<BodyTarget>,
    #[serde(default)]
    input: Value,
}

#[derive(Deserialize)]
struct BodyTarget {
    path: String,
}

#[derive(Deserialize)]
struct BodyRules {
    #[serde(default)]
    matched: Vec<String>,
}

#[derive(Deserialize)]
struct BodyResult {
    severity: Option<String>,
    #[serde(default)]
    enforced: bool,
    outcome: Option<String>,
    error: Option<String>,
    #[serde(rename = "override")]
    override_id: Option<String>,
    approval: Option<String>,
}

/// Counts by name, for the breakdowns.
#[derive(Default)]
struct Tally(HashMap<String, Breakdown>);

impl Tally {
    fn add(&mut self, name: Option<&str>, decision: Option<&str>) {
        let name = name.unwrap_or("(none)");
        let entry = match self.0.get_mut(name) {
            Some(entry) => entry,
            None => self.0.entry(name.to_owned()).or_insert_with(|| Breakdown {
                name: name.to_owned(),
                ..Breakdown::default()
            }),
        };
        count(
            decision,
            [
                &mut entry.calls,
                &mut entry.warn,
                &mut entry.ask,
                &mut entry.deny,
            ],
        );
    }

    /// Most calls first, then by name; at most `limit`.
    fn sorted(self, limit: usize) -> Vec<Breakdown> {
        let mut rows: Vec<Breakdown> = self.0.into_values().collect();
        rows.sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.name.cmp(&b.name)));
        rows.truncate(limit);
        rows
    }
}

/// Adds one call decided `decision` to its counts: calls, warned, asked, denied.
fn count(decision: Option<&str>, [calls, warn, ask, deny]: [&mut u64; 4]) {
    *calls += 1;
    match decision {
        Some("warn") => *warn += 1,
        Some("ask") => *ask += 1,
        Some("deny") => *deny += 1,
        _ => {}
    }
}

/// One approval request's story.
#[derive(Default)]
struct Request {
    granted: bool,
    denied: bool,
    expired: bool,
    escalated: bool,
    latency: Option<u64>,
}

/// One rule's decisions (by decision), its severity, and how often it decided.
#[derive(Default)]
struct RuleTally {
    decisions: BTreeMap<String, u64>,
    severity: Option<String>,
    count: u64,
}

/// Everything the pass accumulates.
#[derive(Default)]
struct Pass {
    totals: Totals,
    sessions: HashSet<String>,
    by_tool: Tally,
    by_category: Tally,
    by_agent: Tally,
    by_subagent: Tally,
    /// Per session: its calls, counted once the user and project are known.
    by_session: Tally,
    users: HashMap<String, String>,
    rules: HashMap<String, RuleTally>,
    targets: HashMap<String, (u64, u64)>,
    severities: Severities,
    requests: BTreeMap<String, Request>,
    overrides: Vec<Override>,
    override_calls: HashMap<String, u64>,
    days: BTreeMap<String, Day>,
    hourly: [u64; 24],
    first: Option<String>,
    last: Option<String>,
}

/// Builds the report of `scope` from the ledger. `verified` is a full
/// verification's result when the caller ran one; `progress` gets the records
/// read and the total.
pub fn build(
    ledger: &Ledger,
    scope: &Scope,
    now: jiff::Timestamp,
    verified: Option<Verification>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Report, LedgerError> {
    let options = ScanOptions {
        from: scope.from.clone(),
        to: scope.to.clone(),
        events: Vec::new(),
        bodies: Bodies::Notable,
    };
    let origins = ledger.session_origins()?;
    let cwd: HashMap<String, String> = origins
        .iter()
        .map(|origin| (origin.session_id.clone(), origin.cwd.clone()))
        .collect();
    let in_scope = |session: &str| match &scope.project {
        None => true,
        Some(project) => cwd.get(session).is_some_and(|dir| inside(dir, project)),
    };
    let total = ledger.scan_count(&options)?;
    let mut pass = Pass::default();
    let mut read = 0u64;
    ledger.scan(&options, &mut |row| {
        read += 1;
        if read.is_multiple_of(65_536) {
            progress(read, total);
        }
        if row.session_id == HOST_SESSION || in_scope(row.session_id) {
            pass.visit(row);
        }
    })?;
    progress(read, total);

    // Sessions whose first record is before the period: their user comes from it.
    for origin in &origins {
        if pass.sessions.contains(&origin.session_id)
            && !pass.users.contains_key(&origin.session_id)
            && let Some(first) = ledger.record(origin.first_seq)?
            && let Some(user) = first.record.role.os_user
        {
            pass.users.insert(origin.session_id.clone(), user);
        }
    }
    let integrity = integrity(ledger, verified)?;
    Ok(pass.finish(scope, &cwd, integrity, now))
}

/// Whether `dir` is `project` or inside it.
fn inside(dir: &str, project: &str) -> bool {
    let project = project.trim_end_matches('/');
    dir == project
        || dir
            .strip_prefix(project)
            .is_some_and(|rest| rest.starts_with('/'))
}

impl Pass {
    fn visit(&mut self, row: &ScanRow<'_>) {
        self.totals.records += 1;
        if self.first.is_none() {
            self.first = Some(row.time.to_owned());
        }
        let body: Option<Body> = row.body.and_then(|body| serde_json::from_str(body).ok());
        if row.session_id == HOST_SESSION {
            if let Some(body) = &body {
                self.host(row, body);
            }
            self.last = Some(row.time.to_owned());
            return;
        }
        if !self.sessions.contains(row.session_id) {
            self.sessions.insert(row.session_id.to_owned());
        }
        if let Some(user) = body.as_ref().and_then(|b| b.role.os_user.as_deref())
            && !self.users.contains_key(row.session_id)
        {
            self.users
                .insert(row.session_id.to_owned(), user.to_owned());
        }
        self.last = Some(row.time.to_owned());
        match row.event {
            "PreToolUse" => self.call(row, body.as_ref()),
            "PermissionRequest" => {
                self.totals.permission_prompts += 1;
                if let Some(body) = &body {
                    self.decided(row, body);
                }
            }
            "PostToolUse" => self.totals.succeeded += 1,
            "PostToolUseFailure" => {
                if body.as_ref().and_then(|b| b.result.outcome.as_deref()) == Some("interrupted") {
                    self.totals.interrupted += 1;
                } else {
                    self.totals.failed += 1;
                }
            }
            _ => {}
        }
    }

    fn call(&mut self, row: &ScanRow<'_>, body: Option<&Body>) {
        let decision = row.decision;
        self.totals.calls += 1;
        match decision {
            None => self.totals.silent += 1,
            Some("allow") => self.totals.allow += 1,
            Some("warn") => self.totals.warn += 1,
            Some("ask") => self.totals.ask += 1,
            Some("deny") => self.totals.deny += 1,
            Some(_) => {}
        }
        self.by_tool.add(row.tool, decision);
        self.by_category.add(row.category, decision);
        self.by_agent.add(Some(row.agent), decision);
        if row.subagent_type.is_some() {
            self.by_subagent.add(row.subagent_type, decision);
        }
        self.by_session.add(Some(row.session_id), decision);
        let date = row.time.get(..10).unwrap_or(row.time);
        let day = match self.days.get_mut(date) {
            Some(day) => day,
            None => self.days.entry(date.to_owned()).or_insert_with(|| Day {
                date: date.to_owned(),
                ..Day::default()
            }),
        };
        count(
            decision,
            [&mut day.calls, &mut day.warn, &mut day.ask, &mut day.deny],
        );
        if let Some(hour) = row.time.get(11..13).and_then(|h| h.parse::<usize>().ok())
            && hour < 24
        {
            self.hourly[hour] += 1;
        }
        if let Some(body) = body {
            self.decided(row, body);
        }
    }

    /// What a decided call's body adds: its rule, severity, targets, override,
    /// approval request, and whether Ward failed.
    fn decided(&mut self, row: &ScanRow<'_>, body: &Body) {
        let Some(decision) = row.decision else {
            return;
        };
        if !body.result.enforced {
            self.totals.not_enforced += 1;
        }
        if body.result.error.is_some() {
            self.totals.ward_errors += 1;
        }
        if let Some(id) = &body.result.override_id {
            *self.override_calls.entry(id.clone()).or_default() += 1;
        }
        if let Some(id) = &body.result.approval {
            self.requests.entry(id.clone()).or_default();
        }
        match body.result.severity.as_deref() {
            Some("critical") => self.severities.critical += 1,
            Some("high") => self.severities.high += 1,
            Some("medium") => self.severities.medium += 1,
            Some("low") => self.severities.low += 1,
            _ => {}
        }
        if let Some(rule) = body.rules.matched.first() {
            let entry = self.rules.entry(rule.clone()).or_default();
            *entry.decisions.entry(decision.to_owned()).or_default() += 1;
            if entry.severity.is_none() {
                entry.severity.clone_from(&body.result.severity);
            }
            entry.count += 1;
        }
        let denied = u64::from(decision == "deny");
        let mut seen: HashSet<&str> = HashSet::new();
        for target in &body.request.targets {
            if seen.insert(target.path.as_str()) {
                let entry = self.targets.entry(target.path.clone()).or_default();
                entry.0 += 1;
                entry.1 += denied;
            }
        }
    }

    /// The host's approval and override records.
    fn host(&mut self, row: &ScanRow<'_>, body: &Body) {
        let input = &body.request.input;
        let text = |name: &str| {
            input
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let number = |name: &str| input.get(name).and_then(Value::as_u64);
        let id = text("id");
        match row.event {
            "ApprovalRequested" => {
                self.requests.entry(id).or_default();
            }
            "ApprovalGranted" => {
                let request = self.requests.entry(id).or_default();
                if number("approvals") >= number("required") {
                    request.granted = true;
                    request.latency = number("latency_seconds");
                }
            }
            "ApprovalDenied" => {
                let request = self.requests.entry(id).or_default();
                request.denied = true;
                request.latency = number("latency_seconds");
            }
            "ApprovalExpired" => self.requests.entry(id).or_default().expired = true,
            "ApprovalEscalated" => self.requests.entry(id).or_default().escalated = true,
            "OverrideStarted" => self.overrides.push(Override {
                id,
                by: text("by"),
                reason: text("reason"),
                started_at: text("started_at"),
                expires_at: text("expires_at"),
                scope: text("scope"),
                end: String::new(),
                calls: 0,
            }),
            "OverrideEnded" => {
                if let Some(o) = self.overrides.iter_mut().find(|o| o.id == id) {
                    o.end = format!("ended early by {}", text("by"));
                }
            }
            "OverrideExpired" => {
                if let Some(o) = self.overrides.iter_mut().find(|o| o.id == id) {
                    o.end = "expired".to_owned();
                }
            }
            _ => {}
        }
    }

    fn finish(
        mut self,
        scope: &Scope,
        cwd: &HashMap<String, String>,
        integrity: Integrity,
        now: jiff::Timestamp,
    ) -> Report {
        let calls = self.totals.calls;
        let rate = |n: u64| {
            if calls == 0 {
                0.0
            } else {
                // Four decimals: a rate, not a measurement of Ward's arithmetic.
                ((n as f64 / calls as f64) * 10_000.0).round() / 10_000.0
            }
        };
        self.totals.block_rate = rate(self.totals.deny);
        self.totals.ask_rate = rate(self.totals.ask);
        self.totals.sessions = u64::try_from(self.sessions.len()).unwrap_or(u64::MAX);

        let (mut by_user, mut by_project) = (Tally::default(), Tally::default());
        // Users and projects are the sessions', so they are summed from them.
        for (session, counts) in &self.by_session.0 {
            for (tally, name) in [
                (&mut by_user, self.users.get(session)),
                (&mut by_project, cwd.get(session)),
            ] {
                let name = name.map_or("(none)", String::as_str);
                let entry = tally.0.entry(name.to_owned()).or_default();
                name.clone_into(&mut entry.name);
                entry.calls += counts.calls;
                entry.warn += counts.warn;
                entry.ask += counts.ask;
                entry.deny += counts.deny;
            }
        }

        let mut top_rules: Vec<RuleCount> = self
            .rules
            .into_iter()
            .map(|(rule, tally)| RuleCount {
                rule,
                decision: tally
                    .decisions
                    .into_iter()
                    .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
                    .map(|(decision, _)| decision)
                    .unwrap_or_default(),
                severity: tally.severity,
                count: tally.count,
            })
            .collect();
        top_rules.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.rule.cmp(&b.rule)));
        top_rules.truncate(TOP);

        let mut top_targets: Vec<TargetCount> = self
            .targets
            .into_iter()
            .map(|(target, (count, denied))| TargetCount {
                target,
                count,
                denied,
            })
            .collect();
        top_targets.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.target.cmp(&b.target)));
        top_targets.truncate(TOP);

        let mut latencies: Vec<u64> = self.requests.values().filter_map(|r| r.latency).collect();
        latencies.sort_unstable();
        let count = |test: fn(&Request) -> bool| {
            u64::try_from(self.requests.values().filter(|r| test(r)).count()).unwrap_or(0)
        };
        let approvals = Approvals {
            requested: u64::try_from(self.requests.len()).unwrap_or(0),
            granted: count(|r| r.granted),
            denied: count(|r| r.denied),
            expired: count(|r| r.expired && !r.granted && !r.denied),
            escalated: count(|r| r.escalated),
            latency_p50_seconds: percentile(&latencies, 50),
            latency_p90_seconds: percentile(&latencies, 90),
        };

        let now_text = ward_ledger::format_time(now);
        for o in &mut self.overrides {
            o.calls = self.override_calls.get(&o.id).copied().unwrap_or(0);
            if o.end.is_empty() {
                o.end = if o.expires_at.as_str() > now_text.as_str() {
                    "active".to_owned()
                } else {
                    "expired".to_owned()
                };
            }
        }

        let mut report = Report {
            schema: SCHEMA,
            generated_at: now_text,
            period: Period {
                from: scope.from.clone(),
                to: scope.to.clone(),
                project: scope.project.clone(),
                first_record: self.first,
                last_record: self.last,
            },
            totals: self.totals,
            by_tool: self.by_tool.sorted(usize::MAX),
            by_category: self.by_category.sorted(usize::MAX),
            by_agent: self.by_agent.sorted(usize::MAX),
            by_subagent: self.by_subagent.sorted(usize::MAX),
            by_session: self.by_session.sorted(TOP),
            by_user: by_user.sorted(usize::MAX),
            by_project: by_project.sorted(usize::MAX),
            top_rules,
            top_targets,
            by_severity: self.severities,
            approvals,
            overrides: self.overrides,
            integrity,
            risk: Risk {
                level: String::new(),
                reasons: Vec::new(),
            },
            daily: self.days.into_values().collect(),
            hourly: self.hourly.to_vec(),
            compliance: Vec::new(),
        };
        report.risk = crate::risk::assess(&report);
        report.compliance = crate::compliance::controls(&report);
        report
    }
}

/// The nearest-rank percentile of sorted values.
fn percentile(sorted: &[u64], percent: usize) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// The ledger's checkpoints and, if run, the verification.
fn integrity(ledger: &Ledger, verified: Option<Verification>) -> Result<Integrity, LedgerError> {
    let records = ledger.count()?;
    let checkpoints = ledger.checkpoints()?;
    let latest = checkpoints.iter().max_by_key(|c| c.tree_size);
    Ok(Integrity {
        ledger_records: records,
        checkpoint_size: latest.map(|c| c.tree_size),
        checkpoint_signed_at: latest.map(|c| c.created_at.clone()),
        checkpoint_cosignatures: latest.map_or(0, |c| cosignatures(&c.note)),
        uncovered_records: records.saturating_sub(latest.map_or(0, |c| c.tree_size)),
        verified,
    })
}

/// The signature lines of a signed note after the log's own (C2SP signed notes:
/// one `— name signature` line each).
fn cosignatures(note: &str) -> u64 {
    let lines = note.lines().filter(|line| line.starts_with("— ")).count();
    u64::try_from(lines.saturating_sub(1)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[7], 90), Some(7));
        let values: Vec<u64> = (1..=10).collect();
        assert_eq!(percentile(&values, 50), Some(5));
        assert_eq!(percentile(&values, 90), Some(9));
        assert_eq!(percentile(&values, 100), Some(10));
    }

    #[test]
    fn a_project_holds_its_subdirectories_only() {
        assert!(inside("/work/shop", "/work/shop"));
        assert!(inside("/work/shop/api", "/work/shop/"));
        assert!(!inside("/work/shopping", "/work/shop"));
    }
}
