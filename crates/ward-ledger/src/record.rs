//! The R6 record: Rules + Role + Request + Reference + Resource → Result.
//!
//! One record per hook event. The record is hashed as RFC 8785 canonical JSON with
//! SHA-256 (see [`crate::hash`]); the `reference` part is filled in by the ledger
//! inside the append transaction, everything else by the caller.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ward_core::{Finding, Target};

/// The session of the host's own records (its identity, key rotations,
/// approvals, overrides, prunes), as `role.session_id`.
pub const HOST_SESSION: &str = "ward-host";

/// The record format version written by this build.
pub const RECORD_VERSION: u32 = 1;

/// The fixed format of [`Record::time`]: RFC 3339 in UTC with exactly six
/// fractional digits (`2025-01-31T09:00:00.000000Z`), so that times compare
/// correctly as strings (the ledger's `since` filter relies on it).
pub fn format_time(timestamp: jiff::Timestamp) -> String {
    timestamp.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// One R6 record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Format version ([`RECORD_VERSION`]).
    pub version: u32,
    /// When Ward handled the event: RFC 3339 UTC with microseconds, as
    /// [`format_time`] writes it.
    pub time: String,
    /// Which policy decided.
    pub rules: Rules,
    /// Who acted.
    pub role: Role,
    /// What was asked.
    pub request: Request,
    /// Where the record sits in the ledger (filled in by the ledger).
    pub reference: Reference,
    /// Sizes, durations, costs.
    pub resource: Resource,
    /// The decision and, for outcomes, what happened.
    pub result: Outcome,
}

/// Rules: the policy that decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    /// SHA-256 (hex) of the effective policy's canonical form.
    pub policy_hash: String,
    /// The preset the policy started from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    /// Whether decisions were enforced (`false`: dry-run / audit-only).
    pub enforce: bool,
    /// Ids of every rule that matched, strongest first.
    #[serde(default)]
    pub matched: Vec<String>,
}

/// Role: who acted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// The agent (`claude-code`).
    pub agent: String,
    /// The agent's session id.
    pub session_id: String,
    /// The subagent's id, when a subagent acted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subagent_id: Option<String>,
    /// The subagent's type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subagent_type: Option<String>,
    /// The agent's permission mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_mode: Option<String>,
    /// The OS user Ward ran as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_user: Option<String>,
    /// The id of the host key (first 16 hex digits of SHA-256 of the public key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_key_id: Option<String>,
}

/// Request: what was asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// The hook event (`PreToolUse`, `SessionStart`, ...).
    pub event: String,
    /// The tool, for tool events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// The primary category, for tool events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Every category, primary first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// Every path or URL the call touches.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<Target>,
    /// The programs a shell call runs, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub programs: Vec<String>,
    /// What analysis found inside the call (destructive SQL, secrets, force pushes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
    /// Risk tags analysis attached (`remote-code`, `hidden-code`, `inline-script`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Whether part of the call could not be analysed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub opaque: bool,
    /// Why analysis could not see through part of the call.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// `sha256:<hex>` of the canonical JSON of the unredacted input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_digest: Option<String>,
    /// The input with secrets redacted: the tool input, the prompt, or the event's
    /// other fields.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub input: Value,
    /// The working directory.
    pub cwd: String,
    /// The agent's id for the tool call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_use_id: Option<String>,
}

/// Reference: where the record sits. Filled in by the ledger inside the append
/// transaction; callers leave it at its default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// Global sequence number, from 1, with no gaps.
    pub seq: u64,
    /// Sequence number within the session, from 1, with no gaps.
    pub session_seq: u64,
    /// Hash of the previous record of the same session; `None` for the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_hash: Option<String>,
    /// For outcome records: the `seq` of the pre record this outcome answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_record: Option<u64>,
    /// The `seq` of the session's latest prompt: the intent behind this record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<u64>,
}

/// Resource: sizes, durations, costs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    /// Bytes of the canonical unredacted input.
    pub input_bytes: u64,
    /// Bytes of the canonical tool output, for outcomes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_bytes: Option<u64>,
    /// How long the tool ran, when the agent says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// Cost or token figures the agent reported, as it reported them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Value>,
}

/// Result: the decision and, for outcome records, what happened.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// `allow`, `warn`, `ask`, `deny`; absent when no rule had an opinion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    /// How grave the deciding rule's match is (`low`, `medium`, `high`,
    /// `critical`); absent when no rule decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// Whether the decision was acted on.
    pub enforced: bool,
    /// Why, naming the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `success`, `failure` or `interrupted`, for outcome records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// `sha256:<hex>` of the canonical tool output, for outcome records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_digest: Option<String>,
    /// What broke inside Ward, when it failed closed or open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The break-glass override that set the decision aside, if one did.
    #[serde(rename = "override", default, skip_serializing_if = "Option::is_none")]
    pub override_id: Option<String>,
    /// The approval request (`ward approvals`) this call filed, waited on or used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<String>,
    /// What each rate-limited rule counted for this call.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rate: Vec<RateCount>,
}

/// One rate limit's count for a call: the rule, what it counts by, the calls in
/// the window (this one included), and what the window allows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateCount {
    /// The rule's id.
    pub rule: String,
    /// `session:<id>`, `agent:<name>`, `tool:<name>`, `category:<name>` or `global`.
    pub key: String,
    /// Calls in the window, this one included.
    pub count: u64,
    /// The calls the window allows; the rule held when `count` passed it.
    pub max: u32,
    /// The window, in seconds.
    pub per_seconds: i64,
}
