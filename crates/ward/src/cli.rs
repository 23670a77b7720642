//! The command line, as clap definitions. Parsing only; `commands/` does the work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Ward: a governance layer for AI coding agents.
///
/// Ward sits on the agent's hook interface. Before each tool call it decides
/// (allow, warn, ask, deny) from a declarative policy; it records every call, its
/// decision and its outcome in a tamper-evident ledger; and it answers afterwards:
/// timelines, queries, verification.
///
/// Start with `ward demo`, then `ward init` and `ward install claude-code`.
#[derive(Debug, Parser)]
#[command(name = "ward", version, propagate_version = true, max_term_width = 100)]
pub(crate) struct Cli {
    /// Ward's home directory [default: $WARD_HOME, else ~/.ward].
    #[arg(long, global = true, value_name = "DIR")]
    pub(crate) home: Option<PathBuf>,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create Ward's home: a user policy, an Ed25519 host key and an empty ledger.
    ///
    /// Running it again keeps everything that exists and says so.
    Init {
        /// The preset the user policy starts from.
        #[arg(long, value_enum, default_value_t = Preset::Safety)]
        preset: Preset,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Register Ward's hook with an agent.
    ///
    /// Merges into the agent's settings file, keeping other hooks and settings
    /// byte-for-byte; running it twice adds nothing.
    Install(InstallArgs),
    /// Remove exactly the hooks `ward install` added.
    Uninstall(InstallArgs),
    /// Handle one hook event (called by the agent, with the payload on stdin).
    ///
    /// Prints the agent's reply on stdout, or nothing when no rule has an opinion.
    Hook {
        /// The agent whose payload is on stdin.
        #[arg(value_name = "AGENT", value_parser = ["claude-code", "claude"])]
        agent: String,
    },
    /// Evaluate a hypothetical call against the policy, without recording it.
    ///
    /// Explains the decision: the category, the targets, the commands analysis
    /// found and every rule that matched.
    Check(CheckArgs),
    /// Show or validate the effective policy.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// Show or rotate the host key that signs checkpoints (public halves only).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Witness another Ward's log: cosign its checkpoints once they are proved
    /// consistent with the last one this home cosigned.
    Witness {
        #[command(subcommand)]
        command: WitnessCommand,
    },
    /// Break glass: let a person suspend enforcement for a scope and a time.
    ///
    /// While an override is active, calls that rules in its scope would deny or ask
    /// about go to the agent's own permission prompt instead (as in audit-only
    /// mode); it never allows anything by itself, and never sets aside Ward's
    /// self-protection rules. It ends by itself after `--ttl`
    /// (at most 24h) or early with `--end`. Its start, end and expiry are ledger
    /// records, and every call it let through names it (`ward audit show`). The
    /// agent cannot run this command: the built-in rule `self.no-ward-admin`
    /// denies it.
    #[command(
        group(clap::ArgGroup::new("mode").args(["ttl", "list", "end"]).required(true)),
        after_help = "Examples:\n  ward override --ttl 15m --reason \"hotfix: force-push the release branch\" --rule git.force-push\n  ward override --list\n  ward override --end ovr-1a2b3c4d --reason \"done\""
    )]
    Override(OverrideArgs),
    /// Decide the calls that rules send to Ward's approval queue.
    ///
    /// A rule with `approval.mode = "queue"` (or `"wait"`) denies its call with a
    /// request id until enough people approve it; the same call then runs once.
    /// Every approval and denial is a ledger record. The agent cannot run this
    /// command (built-in rule `self.no-ward-admin`).
    Approvals {
        #[command(subcommand)]
        command: ApprovalsCommand,
    },
    /// Read the ledger: sessions, timelines, queries, verification, export.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Follow new records live: sessions, calls, decisions and outcomes as hooks
    /// write them.
    ///
    /// Readable lines by default; `--json` prints JSON lines to pipe into other
    /// tools. Takes the same filters as `ward audit query`. Runs until
    /// interrupted (Ctrl-C) or its output is closed.
    #[command(
        after_help = "Examples:\n  ward tail\n  ward tail --decision deny\n  ward tail --json --lines 0 | jq .record.request.tool"
    )]
    Tail(TailArgs),
    /// Summarise what agents did in a period, for people and auditors.
    ///
    /// Totals by decision; calls by tool, category, agent, subagent, session, user
    /// and project; block and ask rates; the top rules and targets; approvals
    /// (count, time to decision, expiries); overrides; failures; the ledger's
    /// checkpoints; a risk level with its reasons; a per-day trend; and what the
    /// evidence means for record-keeping controls (SOC 2, ISO 27001, HIPAA, EU AI
    /// Act). As Markdown (the default), JSON, CSV, or one self-contained HTML file
    /// with charts. `docs/report.md` documents every field and the risk rules.
    #[command(
        after_help = "Examples:\n  ward report\n  ward report --since 30d --format html --out ward-report.html\n  ward report --from 2026-10-01 --to 2026-11-01 --project ~/src/shop --json"
    )]
    Report(ReportArgs),
    /// Replay a realistic Claude Code session through the real hook and show the result.
    ///
    /// Spawns `ward hook claude-code` once per event exactly as Claude Code does, in
    /// a fresh temporary home (unless --home is given), then prints the timeline,
    /// the verification result and a summary.
    Demo {
        /// Keep the temporary home and print where it is.
        #[arg(long)]
        keep: bool,
        /// Print the summary as JSON instead of the timeline.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Preset {
    /// Block what destroys data or machines; ask before risky, irreversible calls.
    Safety,
    /// Safety with denies instead of asks, and asks before deletes, network, MCP.
    Strict,
    /// Only catastrophic calls are blocked; nothing asks.
    Permissive,
    /// The safety rules, recorded but not enforced.
    AuditOnly,
}

impl Preset {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Preset::Safety => "safety",
            Preset::Strict => "strict",
            Preset::Permissive => "permissive",
            Preset::AuditOnly => "audit-only",
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct InstallArgs {
    /// The agent to register with.
    #[arg(value_name = "AGENT", value_parser = ["claude-code"])]
    pub(crate) agent: String,
    /// Which settings file: user (~/.claude/settings.json), project
    /// (.claude/settings.json), local (.claude/settings.local.json) or managed
    /// (/etc/claude-code/managed-settings.json).
    #[arg(long, value_enum, default_value_t = Scope::User)]
    pub(crate) scope: Scope,
    /// The project directory for project and local scope [default: the current directory].
    #[arg(long, value_name = "DIR")]
    pub(crate) project: Option<PathBuf>,
    /// Print the change as a diff and write nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Write a Claude Code plugin into DIR instead of editing a settings file.
    #[arg(long, value_name = "DIR", conflicts_with = "scope")]
    pub(crate) plugin: Option<PathBuf>,
    /// The command the agent runs [default: this binary's path, then `hook claude-code`].
    #[arg(long, value_name = "CMD", hide = true)]
    pub(crate) command: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Scope {
    User,
    Project,
    Local,
    Managed,
}

#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// The period: a duration back from now (`24h`, `7d`, `4w`) or a date or RFC 3339
    /// time to now. Default: the last 7 days.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub(crate) since: Option<String>,
    /// The period's start: a date (`2026-11-01`, UTC) or an RFC 3339 time.
    #[arg(long)]
    pub(crate) from: Option<String>,
    /// The period's end, not included: a date or an RFC 3339 time. Default: now.
    #[arg(long)]
    pub(crate) to: Option<String>,
    /// Only sessions that ran in this directory or below it.
    #[arg(long, value_name = "DIR")]
    pub(crate) project: Option<std::path::PathBuf>,
    /// The format. Default: from `--out`'s extension (`.md`, `.json`, `.csv`,
    /// `.html`), else Markdown.
    #[arg(long, value_enum)]
    pub(crate) format: Option<ReportFormat>,
    /// Write the report to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<std::path::PathBuf>,
    /// Verify the whole ledger too, and include the result (about 5 s per million
    /// records); exits 1 if it fails.
    #[arg(long)]
    pub(crate) verify: bool,
    /// The same as `--format json`.
    #[arg(long, conflicts_with = "format")]
    pub(crate) json: bool,
}

/// The policy layer a replayed file stands in for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReplayLayer {
    /// The user policy (`~/.ward/policy.toml`).
    User,
    /// Each call's project policy (`.ward/policy.toml`).
    Project,
}

/// A report's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    /// Markdown tables.
    Md,
    /// The data, as `docs/report.md` documents it.
    Json,
    /// One long table: section, name, metric, value.
    Csv,
    /// One self-contained HTML file with inline SVG charts.
    Html,
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    #[command(subcommand)]
    pub(crate) call: Option<CheckCall>,
    /// Check a Claude Code PreToolUse payload from a file (`-` for stdin).
    #[arg(long = "json", value_name = "PAYLOAD_FILE")]
    pub(crate) payload: Option<PathBuf>,
    /// The working directory of the call [default: the current directory].
    #[arg(long, global = true, value_name = "DIR")]
    pub(crate) cwd: Option<PathBuf>,
    /// Check the call as if made at this time, for rules with a `time_window`:
    /// `2026-11-23T20:00:00Z`, `2026-11-23T20:00+01:00` or
    /// `2026-11-23T20:00[Europe/Berlin]` [default: now].
    #[arg(long, global = true, value_name = "TIME", value_parser = parse_instant)]
    pub(crate) at: Option<jiff::Timestamp>,
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,
}

/// A point in time as RFC 3339 (with an offset) or with a bracketed time zone.
fn parse_instant(text: &str) -> Result<jiff::Timestamp, String> {
    text.parse::<jiff::Timestamp>()
        .or_else(|_| text.parse::<jiff::Zoned>().map(|zoned| zoned.timestamp()))
        .map_err(|_| {
            format!(
                "`{text}` is not a time with its zone: write e.g. `2026-11-23T20:00:00Z`, `2026-11-23T20:00+01:00` or `2026-11-23T20:00[Europe/Berlin]`"
            )
        })
}

#[derive(Debug, Subcommand)]
pub(crate) enum CheckCall {
    /// A shell command, as the Bash tool would run it.
    Bash {
        /// The command line (quote it).
        command: String,
    },
    /// Writing a file, as the Write tool would.
    Write { path: String },
    /// Reading a file, as the Read tool would.
    Read { path: String },
    /// Fetching a URL, as the WebFetch tool would.
    Fetch { url: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ApprovalsCommand {
    /// The requests waiting for a decision (`--all`: also those settled in the
    /// last 7 days).
    List {
        #[arg(long)]
        all: bool,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// One request: the call, the rule and why, who may approve, who did.
    Show {
        /// The request id (`apr-…`).
        id: String,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Approve a request: once it has the approvals it needs, the same call runs
    /// once, before the request expires.
    Approve {
        /// The request id (`apr-…`).
        id: String,
        /// Why (recorded).
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Deny a request: the call stays denied, and the agent is told why.
    Deny {
        /// The request id (`apr-…`).
        id: String,
        /// Why (recorded, and shown to the agent).
        #[arg(long, value_name = "TEXT")]
        reason: String,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub(crate) struct OverrideArgs {
    /// Start an override that lasts this long: `15m`, `2h`, `1h 30m` (at most 24h).
    #[arg(long, value_name = "DURATION", requires = "reason")]
    pub(crate) ttl: Option<String>,
    /// Why: recorded in the ledger and shown by audits (required to start).
    #[arg(long, value_name = "TEXT")]
    pub(crate) reason: Option<String>,
    /// Only calls of this agent session (as `ward audit list` shows it).
    #[arg(long, value_name = "SESSION", requires = "ttl")]
    pub(crate) session: Option<String>,
    /// Only this rule id; repeat for more [default: every rule].
    #[arg(long = "rule", value_name = "RULE_ID", requires = "ttl")]
    pub(crate) rules: Vec<String>,
    /// List the active overrides and those that ended in the last 7 days.
    #[arg(long)]
    pub(crate) list: bool,
    /// End an active override now.
    #[arg(long, value_name = "ID")]
    pub(crate) end: Option<String>,
    /// Print as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// The host key's id, its Ed25519 public key, the checkpoint origin it signs
    /// as, and where the private key is (its content is never printed).
    Show {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Replace the host key with a new one.
    ///
    /// The old key signs a last checkpoint and is retired at its size (its public
    /// half stays, to verify what it signed; its private file is deleted). The
    /// rotation is recorded in the ledger, and the new key signs a checkpoint
    /// proved to extend the old key's last one. The log's origin does not change.
    Rotate {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum WitnessCommand {
    /// This home's witness name and cosigning key (made on first use), and the
    /// logs it has witnessed.
    ///
    /// Give the printed verifier key to the log's owner: it goes into their
    /// policy, `witnesses` under `[ledger]`.
    Show {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Cosign a log's checkpoint (C2SP tlog-cosignature) after checking it.
    ///
    /// The checkpoint must be signed by LOG-KEY. The first checkpoint of a log is
    /// taken as it is; a later one needs a consistency proof from the size this
    /// home last cosigned (`ward audit consistency OLD` on the log's machine), and
    /// one that is older, or of the same size with another root, is refused. Prints
    /// the checkpoint with the cosignature added; the log's owner stores it with
    /// `ward audit add-cosignature`.
    Cosign {
        /// The signed checkpoint (`-` for stdin), as `ward audit checkpoint --out`
        /// writes it.
        checkpoint: PathBuf,
        /// The log's verifier key, as `ward keys show` prints it on the log's machine.
        #[arg(long, value_name = "VKEY")]
        log_key: String,
        /// A consistency proof from the size this home last cosigned to the
        /// checkpoint's size.
        #[arg(long, value_name = "FILE")]
        proof: Option<PathBuf>,
        /// Write the cosigned checkpoint to FILE instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum PolicyCommand {
    /// Print the effective policy: every rule, its decision and where it came from.
    Show {
        /// The directory whose project policy applies [default: the current directory].
        #[arg(long, value_name = "DIR")]
        cwd: Option<PathBuf>,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check the effective policy, or the given files, for errors and conflicts.
    Validate {
        /// Policy files to check on their own (as the user layer).
        files: Vec<PathBuf>,
        /// The directory whose project policy applies [default: the current directory].
        #[arg(long, value_name = "DIR")]
        cwd: Option<PathBuf>,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Re-evaluate recorded calls under another policy and list every call whose
    /// decision would change.
    ///
    /// Each recorded `PreToolUse` and `PermissionRequest` is analysed again and
    /// evaluated at its own time, with FILE in place of the user policy (or, with
    /// `--layer project`, of each call's project policy); the managed policy and
    /// the other layer stay as they are. Changes are grouped by the new decision
    /// and the rule responsible. Inputs are replayed as recorded, secrets
    /// redacted; git branches are unknown (treated as possibly protected).
    #[command(
        after_help = "Examples:\n  ward policy replay --policy new-policy.toml\n  ward policy replay --policy .ward/policy.toml --layer project --since 90d --json"
    )]
    Replay {
        /// The policy file to replay under.
        #[arg(long, value_name = "FILE")]
        policy: PathBuf,
        /// The layer FILE stands in for.
        #[arg(long, value_enum, default_value_t = ReplayLayer::User)]
        layer: ReplayLayer,
        /// The calls replayed: a duration back from now (30d) or a date/time.
        #[arg(long, value_name = "WHEN", default_value = "30d")]
        since: String,
        /// Changed calls listed per group in the readable output (all with --json).
        #[arg(long, default_value_t = 10)]
        examples: usize,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show how two policy files differ: settings, and rules added, removed or
    /// changed (each file is read as the user policy, with its preset and the
    /// built-in rules). Exits 1 when they differ, as diff does.
    Diff {
        /// The old policy.
        old: PathBuf,
        /// The new policy.
        new: PathBuf,
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the categories rules can name.
    Categories,
    /// List the presets.
    Presets,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// List recorded sessions, newest last.
    List {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one session as a timeline: prompt, calls, decisions, outcomes.
    Show {
        /// The session id, or a unique prefix of it.
        session: String,
        /// Print the session's records as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Find records by tool, category, target, decision, session, agent or time.
    Query(QueryArgs),
    /// Recompute every hash from content and check every chain; name the first bad record.
    ///
    /// Also rebuilds the Merkle tree and checks every signed checkpoint. With
    /// `--bundle DIR`, checks an export bundle instead (offline, no ledger needed).
    Verify {
        /// Check the export bundle in DIR instead of the ledger.
        #[arg(long, value_name = "DIR")]
        bundle: Option<PathBuf>,
        /// A witness whose cosignatures count (a verifier key; repeatable), beyond
        /// the policy's `[ledger] witnesses` (or, for a bundle, its witnesses.json).
        #[arg(long, value_name = "VKEY")]
        witness: Vec<String>,
        /// With --bundle: a key id to trust although no earlier key of the log
        /// endorses it (a managed key the deployment replaced; repeatable).
        #[arg(long, value_name = "KEY_ID", requires = "bundle")]
        trust_key: Vec<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove the bodies of records older than the retention period, keeping what
    /// proves them.
    ///
    /// Each pruned record keeps its row, hash and Merkle leaf, so every remaining
    /// record still chains, every checkpoint still verifies, and any later edit is
    /// still found; its input, targets and reasons are gone (overwritten on
    /// disk). Only a prefix of the ledger covered by a signed checkpoint is
    /// pruned (one is signed first if needed); Ward's own records (keys,
    /// approvals, overrides) are kept; the prune is itself a record
    /// (`RecordsPruned`). The retention period is `[ledger] retention_days`
    /// (default 365); `--before` may only go further back.
    #[command(
        after_help = "Examples:\n  ward audit prune --dry-run\n  ward audit prune --yes\n  ward audit prune --before 2025-01-01 --yes"
    )]
    Prune {
        /// Prune records older than this: a date, an RFC 3339 time, or a duration
        /// back from now (`400d`) [default: the retention period].
        #[arg(long, value_name = "WHEN")]
        before: Option<String>,
        /// Show what would be pruned, and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Prune: it cannot be undone.
        #[arg(long)]
        yes: bool,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Move the records waiting in the journal into the ledger now.
    ///
    /// Hooks append to a journal (durably) and the ledger takes it in batches, in the
    /// background; every other `audit` command does this first anyway.
    Ingest {
        /// Print nothing (used by the hook's background ingest).
        #[arg(long)]
        quiet: bool,
    },
    /// Print an inclusion proof: record SEQ is in the ledger's Merkle tree.
    ///
    /// The proof (JSON) carries the record's canonical body, the audit path and the
    /// root; `ward audit verify-proof` or any RFC 9162 verifier checks it offline.
    Prove {
        /// The record's sequence number (`seq`, from 1; `ward audit query` shows it).
        seq: u64,
        /// Prove against the tree of the first SIZE records (default: all of them).
        #[arg(long, value_name = "SIZE")]
        size: Option<u64>,
        /// Write the proof to FILE instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Print a consistency proof: the tree of OLD records is a prefix of the tree of NEW.
    ///
    /// It shows that nothing recorded up to OLD was changed, removed or reordered
    /// while the log grew to NEW.
    Consistency {
        /// The older tree size.
        old: u64,
        /// The newer tree size (default: all the records).
        new: Option<u64>,
        /// Write the proof to FILE instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Sign a checkpoint of the ledger's Merkle tree with the host key.
    ///
    /// A C2SP signed note (`tlog-checkpoint` body): the log's origin
    /// `ward/<first key id>`, tree size, root. It is signed only after the tree is
    /// proved to extend the last checkpoint. Hooks also sign one when a session
    /// ends, and the background ingest after `checkpoint_every_records` records or
    /// `checkpoint_every_seconds` seconds (`[ledger]` in the policy; 1,000 and 600
    /// by default).
    Checkpoint {
        /// Print nothing (used by the hooks' background signing).
        #[arg(long)]
        quiet: bool,
        /// Also write the signed note to FILE (to give to a witness).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Store the cosignatures a witness added to one of this ledger's checkpoints.
    ///
    /// Each must verify under a configured witness key (`witnesses` under
    /// `[ledger]` in the policy) or one given with --witness.
    AddCosignature {
        /// The cosigned checkpoint, as `ward witness cosign` wrote it (`-` for stdin).
        file: PathBuf,
        /// A witness's verifier key (repeatable).
        #[arg(long, value_name = "VKEY")]
        witness: Vec<String>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check an inclusion or consistency proof file offline (no ledger needed).
    VerifyProof {
        /// The proof file (`-` for stdin).
        file: PathBuf,
        /// The root you trust (hex), e.g. from a signed checkpoint; the proof must be
        /// for it (for a consistency proof: its new root).
        #[arg(long, value_name = "HEX")]
        root: Option<String>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export records.
    Export {
        /// The export format.
        #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
        format: ExportFormat,
        /// Only this session (id or unique prefix).
        #[arg(long)]
        session: Option<String>,
        /// Only records at or after this time (`2h`, `3d`, a date or an RFC 3339
        /// time); with `--bundle`.
        #[arg(long, requires = "bundle")]
        since: Option<String>,
        /// Write to FILE instead of stdout.
        #[arg(long, value_name = "FILE", conflicts_with = "bundle")]
        out: Option<PathBuf>,
        /// Write a verifiable bundle into DIR: the records, their inclusion proofs,
        /// the signed checkpoint they are proved against (signed now if needed),
        /// earlier checkpoints and the public key. See docs/ledger-format.md.
        #[arg(long, value_name = "DIR")]
        bundle: Option<PathBuf>,
    },
    /// Show each evidence sink: where it delivers, its cursor, what waits, its errors.
    ///
    /// Sinks are `[[sinks]]` tables in the managed or user policy (docs/sinks.md).
    Sinks {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Deliver the evidence waiting for each sink now, even one that is backing off.
    ///
    /// Background ingests deliver too, within a time budget, backing off after
    /// failures; this delivers everything now, with progress on stderr. Exits 1 if a
    /// sink failed (its events stay queued).
    Deliver {
        /// Only this sink.
        #[arg(long, value_name = "ID")]
        sink: Option<String>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExportFormat {
    /// One record per line: `{"seq":…,"hash":…,"record":{…}}`.
    Jsonl,
}

#[derive(Debug, Args)]
pub(crate) struct QueryArgs {
    #[command(flatten)]
    pub(crate) filter: FilterArgs,
    /// Only records newer than this: a duration (30m, 2h, 7d) or a date/time
    /// (2026-11-01, 2026-11-01T12:00:00Z).
    #[arg(long, value_name = "WHEN")]
    pub(crate) since: Option<String>,
    /// At most this many records (the newest).
    #[arg(long, default_value_t = 1000)]
    pub(crate) limit: usize,
    /// Print as JSON lines.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Which records: shared by `ward audit query` and `ward tail`.
#[derive(Debug, Args)]
pub(crate) struct FilterArgs {
    /// Tool name (e.g. Bash, Write, mcp__github__create_issue).
    #[arg(long)]
    pub(crate) tool: Option<String>,
    /// Category (file_read, file_write, file_delete, command, network, ...).
    #[arg(long)]
    pub(crate) category: Option<String>,
    /// A glob that some target of the call must match (e.g. '**/.env').
    #[arg(long, value_name = "GLOB")]
    pub(crate) target: Option<String>,
    /// Decision: allow, warn, ask, deny, or none (no rule had an opinion).
    #[arg(long)]
    pub(crate) decision: Option<String>,
    /// Session id or unique prefix.
    #[arg(long)]
    pub(crate) session: Option<String>,
    /// Agent name, subagent type or subagent id.
    #[arg(long)]
    pub(crate) agent: Option<String>,
    /// Hook event (PreToolUse, PostToolUse, ...).
    #[arg(long)]
    pub(crate) event: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct TailArgs {
    #[command(flatten)]
    pub(crate) filter: FilterArgs,
    /// Show this many of the newest matching records first (0: only new ones).
    #[arg(long, short = 'n', default_value_t = 10)]
    pub(crate) lines: usize,
    /// Print JSON lines (`{"seq","hash","record"}`, as `ward audit query --json`).
    #[arg(long)]
    pub(crate) json: bool,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// clap checks the definitions only when asked (or at run time in debug builds,
    /// per subcommand); this checks every subcommand at once.
    #[test]
    fn command_line_definitions_are_consistent() {
        super::Cli::command().debug_assert();
    }
}
