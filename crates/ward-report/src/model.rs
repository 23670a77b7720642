//! The report as data: what `ward report --format json` prints, and what the
//! Markdown, CSV and HTML renderings are made of. `docs/report.md` documents the
//! schema; fields are added, never renamed, within one `schema` version.

use serde::Serialize;

/// The JSON report's schema version.
pub const SCHEMA: u32 = 1;

/// Everything a report says about one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// [`SCHEMA`].
    pub schema: u32,
    /// When the report was made (RFC 3339, UTC).
    pub generated_at: String,
    /// The period and scope covered.
    pub period: Period,
    /// Totals by decision and outcome.
    pub totals: Totals,
    /// Calls by tool, most first.
    pub by_tool: Vec<Breakdown>,
    /// Calls by primary category, most first.
    pub by_category: Vec<Breakdown>,
    /// Calls by agent, most first.
    pub by_agent: Vec<Breakdown>,
    /// Calls by subagent type, most first (calls of the main agent are not here).
    pub by_subagent: Vec<Breakdown>,
    /// Calls by session, most first (at most [`TOP`]).
    pub by_session: Vec<Breakdown>,
    /// Calls by OS user, most first.
    pub by_user: Vec<Breakdown>,
    /// Calls by project (the session's working directory), most first.
    pub by_project: Vec<Breakdown>,
    /// The rules that decided most often (at most [`TOP`]).
    pub top_rules: Vec<RuleCount>,
    /// The paths and hosts most often touched by calls a rule decided on (at most
    /// [`TOP`]).
    pub top_targets: Vec<TargetCount>,
    /// Decided calls by the deciding rule's severity.
    pub by_severity: Severities,
    /// The approval queue.
    pub approvals: Approvals,
    /// Break-glass overrides started in the period.
    pub overrides: Vec<Override>,
    /// The ledger's integrity evidence.
    pub integrity: Integrity,
    /// The period's risk level and why.
    pub risk: Risk,
    /// One row per UTC day of the period that has records.
    pub daily: Vec<Day>,
    /// Tool calls by UTC hour of day, 0 to 23.
    pub hourly: Vec<u64>,
    /// What the evidence means for record-keeping controls.
    pub compliance: Vec<Control>,
}

/// How many rows the "top" lists keep.
pub const TOP: usize = 20;

/// The period and scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Period {
    /// Records at or after this time (RFC 3339), or `null` for the ledger's start.
    pub from: Option<String>,
    /// Records before this time, or `null` for now.
    pub to: Option<String>,
    /// Only sessions whose working directory is this project or inside it.
    pub project: Option<String>,
    /// The first and last record time in the period, when there are records.
    pub first_record: Option<String>,
    /// The last record time.
    pub last_record: Option<String>,
}

/// Totals.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Totals {
    /// Records in the period (every event, the host's included).
    pub records: u64,
    /// Agent sessions with records in the period.
    pub sessions: u64,
    /// Tool calls (`PreToolUse` records).
    pub calls: u64,
    /// Calls no rule had an opinion on (the agent's own permissions applied).
    pub silent: u64,
    /// Calls a rule allowed.
    pub allow: u64,
    /// Calls that went ahead with a warning.
    pub warn: u64,
    /// Calls that asked a person.
    pub ask: u64,
    /// Calls that were denied.
    pub deny: u64,
    /// `deny / calls` (0 with no calls).
    pub block_rate: f64,
    /// `ask / calls`.
    pub ask_rate: f64,
    /// Decisions recorded but not enforced (dry-run policies, overrides).
    pub not_enforced: u64,
    /// Permission prompts the agent showed (`PermissionRequest` records).
    pub permission_prompts: u64,
    /// Calls that ran and succeeded (`PostToolUse`).
    pub succeeded: u64,
    /// Calls that ran and failed (`PostToolUseFailure`, not interrupted).
    pub failed: u64,
    /// Calls the user interrupted.
    pub interrupted: u64,
    /// Records where Ward itself failed (and failed closed or open).
    pub ward_errors: u64,
}

impl Report {
    /// Every breakdown with its title and its JSON section's name, in the order
    /// the reports show them.
    pub fn breakdowns(&self) -> [(&'static str, &'static str, &[Breakdown]); 7] {
        [
            ("By tool", "by_tool", &self.by_tool),
            ("By category", "by_category", &self.by_category),
            ("By agent", "by_agent", &self.by_agent),
            ("By subagent", "by_subagent", &self.by_subagent),
            ("By user", "by_user", &self.by_user),
            ("By project", "by_project", &self.by_project),
            ("Top sessions", "by_session", &self.by_session),
        ]
    }
}

impl Severities {
    /// One sentence, as the Markdown and HTML reports show it.
    pub fn sentence(&self) -> String {
        format!(
            "Decided calls by severity: {} critical, {} high, {} medium, {} low.",
            self.critical, self.high, self.medium, self.low
        )
    }
}

impl Approvals {
    /// One sentence, as the Markdown and HTML reports show it.
    pub fn sentence(&self) -> String {
        let seconds =
            |value: Option<u64>| value.map_or_else(|| "-".to_owned(), |s| format!("{s} s"));
        format!(
            "{} requested, {} granted, {} denied, {} expired undecided, {} escalated. Time to \
             decision: median {}, 90th percentile {}.",
            self.requested,
            self.granted,
            self.denied,
            self.expired,
            self.escalated,
            seconds(self.latency_p50_seconds),
            seconds(self.latency_p90_seconds)
        )
    }
}

impl Totals {
    /// The totals as people read them: a label and a value each, in the order
    /// the Markdown and HTML reports show them.
    pub fn labelled(&self) -> Vec<(&'static str, String)> {
        let percent = |rate: f64| format!("{:.2}%", rate * 100.0);
        vec![
            ("Records", self.records.to_string()),
            ("Sessions", self.sessions.to_string()),
            ("Tool calls", self.calls.to_string()),
            ("No rule's opinion", self.silent.to_string()),
            ("Allowed by a rule", self.allow.to_string()),
            ("Warned", self.warn.to_string()),
            ("Asked", self.ask.to_string()),
            ("Denied", self.deny.to_string()),
            ("Block rate", percent(self.block_rate)),
            ("Ask rate", percent(self.ask_rate)),
            (
                "Not enforced (dry-run, override)",
                self.not_enforced.to_string(),
            ),
            ("Permission prompts", self.permission_prompts.to_string()),
            ("Succeeded", self.succeeded.to_string()),
            ("Failed", self.failed.to_string()),
            ("Interrupted", self.interrupted.to_string()),
            ("Ward failed (closed)", self.ward_errors.to_string()),
        ]
    }
}

/// Calls of one tool, category, agent, session, user or project.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Breakdown {
    /// The tool, category, agent, … (`(none)` when unknown).
    pub name: String,
    /// Tool calls.
    pub calls: u64,
    /// Calls warned about.
    pub warn: u64,
    /// Calls asked about.
    pub ask: u64,
    /// Calls denied.
    pub deny: u64,
}

/// How often a rule decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleCount {
    /// The rule's id.
    pub rule: String,
    /// Its decision (the most frequent one, if it changed in the period).
    pub decision: String,
    /// Its severity.
    pub severity: Option<String>,
    /// Calls it decided.
    pub count: u64,
}

/// How often a target was touched by decided calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetCount {
    /// The path, URL or host.
    pub target: String,
    /// Decided calls that touched it.
    pub count: u64,
    /// Of those, denied.
    pub denied: u64,
}

/// Decided calls by severity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Severities {
    /// Critical.
    pub critical: u64,
    /// High.
    pub high: u64,
    /// Medium.
    pub medium: u64,
    /// Low.
    pub low: u64,
}

/// The approval queue in the period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Approvals {
    /// Requests filed (`ApprovalRequested`, or first named by a call).
    pub requested: u64,
    /// Requests approved (enough approvals).
    pub granted: u64,
    /// Requests denied.
    pub denied: u64,
    /// Requests that expired undecided.
    pub expired: u64,
    /// Requests escalated.
    pub escalated: u64,
    /// Seconds from request to decision, median (`null` without decisions).
    pub latency_p50_seconds: Option<u64>,
    /// Seconds from request to decision, 90th percentile.
    pub latency_p90_seconds: Option<u64>,
}

/// One break-glass override.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Override {
    /// `ovr-…`.
    pub id: String,
    /// Who started it.
    pub by: String,
    /// Why.
    pub reason: String,
    /// When it started.
    pub started_at: String,
    /// When it was due to expire.
    pub expires_at: String,
    /// What it covered.
    pub scope: String,
    /// `ended early by …`, `expired` or `active`.
    pub end: String,
    /// Calls it set a decision aside for.
    pub calls: u64,
}

/// The ledger's integrity evidence.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Integrity {
    /// Records in the whole ledger.
    pub ledger_records: u64,
    /// The latest signed checkpoint's tree size (`null`: none signed).
    pub checkpoint_size: Option<u64>,
    /// When it was signed.
    pub checkpoint_signed_at: Option<String>,
    /// Cosignatures (witnesses) on it.
    pub checkpoint_cosignatures: u64,
    /// Records after the latest checkpoint, not yet covered by a signature.
    pub uncovered_records: u64,
    /// The result of a full verification, when the report ran one (`--verify`).
    pub verified: Option<Verification>,
}

/// A full verification's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// Whether every record, chain and checkpoint checked out.
    pub ok: bool,
    /// Records checked.
    pub records: u64,
    /// The problems found (at most a few, described).
    pub problems: Vec<String>,
}

/// The risk level and its reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Risk {
    /// `low`, `elevated`, `high` or `critical`.
    pub level: String,
    /// Each finding that set the level, in words.
    pub reasons: Vec<String>,
}

/// One UTC day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Day {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Tool calls.
    pub calls: u64,
    /// Warned.
    pub warn: u64,
    /// Asked.
    pub ask: u64,
    /// Denied.
    pub deny: u64,
}

/// One control and the evidence for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Control {
    /// `SOC 2 CC7.2`, …
    pub control: String,
    /// What the control asks, briefly.
    pub asks: String,
    /// What Ward records for it.
    pub ward_records: String,
    /// How the records are protected.
    pub protection: String,
    /// This period's evidence, with figures.
    pub evidence: String,
    /// What Ward does not cover: the rest is the organisation's.
    pub not_covered: String,
}
