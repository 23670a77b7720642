//! Notices: the records people should hear about as they happen — approval
//! requests and what became of them, break-glass overrides, and enforced denies
//! of severe rules — each made into one [`NoticeEvidence`] with a sentence a
//! person reads in a chat channel.
//!
//! A notice is derived from one ledger record and nothing else, so the ledger
//! stays the durable queue: a notice is delivered exactly when its record is, and
//! a receiver that was down gets it late, never not at all. The approval and
//! override records are the `ward-host` session's (`docs/ledger-format.md`); their
//! `request.input` goes out as `details`, as recorded (inputs are redacted before
//! they are recorded, and these hold summaries, not whole calls).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ward_core::Severity;
use ward_ledger::record::Record;
use ward_ledger::summary::input_summary;
use ward_ledger::{HOST_SESSION, StoredRecord};

/// One notice.
///
/// Optional fields are always present (as `null` when unknown), so that receivers
/// see one fixed shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeEvidence {
    /// `record:<record hash>`: stable across deliveries, unique across hosts.
    pub id: String,
    /// The record's global sequence number in its ledger.
    pub seq: u64,
    /// SHA-256 (hex) of the record's canonical JSON.
    pub record_hash: String,
    /// The id of the host key whose ledger holds the record.
    pub host_key_id: Option<String>,
    /// When it was recorded (RFC 3339, UTC, microseconds).
    pub time: String,
    /// What happened: `approval_requested`, `approval_granted`,
    /// `approval_denied`, `approval_escalated`, `approval_expired`,
    /// `override_started`, `override_ended`, `override_expired` or `deny`.
    pub kind: String,
    /// `low`, `medium`, `high` or `critical`.
    pub severity: Severity,
    /// One sentence for a person.
    pub text: String,
    /// The agent's session the notice is about, when it is about one.
    pub session_id: Option<String>,
    /// The rule involved, when one is.
    pub rule: Option<String>,
    /// The tool involved, when one is.
    pub tool: Option<String>,
    /// The approval request or override (`apr-…`, `ovr-…`), when one is involved.
    pub subject: Option<String>,
    /// The record's own facts: the host record's `request.input`, or for a deny
    /// `{"decision", "reason", "matched_rules", "input_digest", "summary",
    /// "agent", "os_user"}`.
    pub details: Value,
}

/// Makes a notice of a record, if it is one: a `ward-host` approval or override
/// record, or an enforced `deny` of at least `deny_severity` (a call denied
/// because it waits for approval is announced by its `ApprovalRequested` record
/// instead).
pub(crate) fn notice(stored: &StoredRecord, deny_severity: Severity) -> Option<NoticeEvidence> {
    let record = &stored.record;
    let event = record.request.event.as_str();
    if matches!(event, "PreToolUse" | "PermissionRequest") {
        return deny(stored, deny_severity);
    }
    // Only the host's own records: an agent's event cannot be named like one.
    if record.role.session_id != HOST_SESSION {
        return None;
    }
    let input = &record.request.input;
    let field = |name: &str| input.get(name).and_then(Value::as_str).map(str::to_owned);
    let value = |name: &str| field(name).unwrap_or_default();
    let subject = field("id");
    let id = subject.as_deref().unwrap_or("?");
    let (kind, severity, text) = match event {
        "ApprovalRequested" => (
            "approval_requested",
            Severity::Medium,
            format!(
                "Approval requested: {id} by {} for rule `{}` ({}: {}). {} Approve with `ward \
                 approvals approve {id}` or deny with `ward approvals deny {id} --reason …` \
                 before {}.",
                value("requester"),
                value("rule"),
                value("tool"),
                value("summary"),
                approvers(input),
                value("expires_at"),
            ),
        ),
        "ApprovalGranted" => (
            "approval_granted",
            Severity::Low,
            format!(
                "Approval {id} for rule `{}` approved by {} ({} of {}){}.",
                value("rule"),
                value("by"),
                number(input, "approvals"),
                number(input, "required"),
                because(input),
            ),
        ),
        "ApprovalDenied" => (
            "approval_denied",
            Severity::Low,
            format!(
                "Approval {id} for rule `{}` denied by {}{}.",
                value("rule"),
                value("by"),
                because(input),
            ),
        ),
        "ApprovalEscalated" => (
            "approval_escalated",
            Severity::High,
            format!(
                "Approval {id} for rule `{}` is still undecided after {} s: escalated to pool \
                 `{}`.",
                value("rule"),
                number(input, "waited_seconds"),
                value("to"),
            ),
        ),
        "ApprovalExpired" => (
            "approval_expired",
            Severity::Low,
            format!(
                "Approval {id} for rule `{}` expired with {} of {} approvals; the call stays \
                 denied.",
                value("rule"),
                number(input, "approvals"),
                number(input, "required"),
            ),
        ),
        "OverrideStarted" => (
            "override_started",
            Severity::High,
            format!(
                "BREAK-GLASS: {} started override {id} until {} ({}): \"{}\".",
                value("by"),
                value("expires_at"),
                value("scope"),
                value("reason"),
            ),
        ),
        "OverrideEnded" => (
            "override_ended",
            Severity::Medium,
            format!(
                "Override {id} ended early by {}{}.",
                value("by"),
                because(input),
            ),
        ),
        "OverrideExpired" => (
            "override_expired",
            Severity::Medium,
            format!(
                "Override {id} expired at {}; enforcement is back.",
                value("expires_at")
            ),
        ),
        _ => return None,
    };
    Some(NoticeEvidence {
        id: format!("record:{}", stored.hash),
        seq: stored.seq,
        record_hash: stored.hash.clone(),
        host_key_id: record.role.host_key_id.clone(),
        time: record.time.clone(),
        kind: kind.to_owned(),
        severity,
        text,
        session_id: field("session"),
        rule: field("rule"),
        tool: field("tool"),
        subject,
        details: input.clone(),
    })
}

/// The severity of a call's record if it is a deny worth a notice: enforced, not
/// waiting for approval, and at least `least` severe. The hook asks this too, to
/// start a delivery right away.
pub fn severe_deny(record: &Record, least: Severity) -> Option<Severity> {
    let result = &record.result;
    if result.decision.as_deref() != Some("deny") || !result.enforced || result.approval.is_some() {
        return None;
    }
    // A deny without a rule's severity is Ward failing closed: worth hearing about.
    let severity = result
        .severity
        .as_deref()
        .and_then(Severity::parse)
        .unwrap_or(Severity::High);
    (severity >= least).then_some(severity)
}

/// A notice of an enforced deny, if its severity is at least `least`.
fn deny(stored: &StoredRecord, least: Severity) -> Option<NoticeEvidence> {
    let record = &stored.record;
    let result = &record.result;
    let severity = severe_deny(record, least)?;
    let tool = record.request.tool.clone();
    let summary = tool
        .as_deref()
        .map(|tool| input_summary(tool, &record.request.input))
        .unwrap_or_default();
    let rule = record.rules.matched.first().cloned();
    let session = &record.role.session_id;
    let text = format!(
        "Denied ({severity}) in session {} of {}{}: {}: {}. {}",
        session.get(..8).unwrap_or(session),
        record.role.agent,
        record
            .role
            .os_user
            .as_deref()
            .map(|user| format!(" ({user})"))
            .unwrap_or_default(),
        tool.as_deref().unwrap_or("?"),
        summary,
        result.reason.as_deref().unwrap_or("no reason recorded"),
    );
    Some(NoticeEvidence {
        id: format!("record:{}", stored.hash),
        seq: stored.seq,
        record_hash: stored.hash.clone(),
        host_key_id: record.role.host_key_id.clone(),
        time: record.time.clone(),
        kind: "deny".to_owned(),
        severity,
        text,
        session_id: Some(session.clone()),
        rule,
        tool,
        subject: None,
        details: serde_json::json!({
            "decision": "deny",
            "event": record.request.event,
            "reason": result.reason,
            "error": result.error,
            "matched_rules": record.rules.matched,
            "input_digest": record.request.input_digest,
            "summary": summary,
            "agent": record.role.agent,
            "os_user": record.role.os_user,
        }),
    })
}

/// Who may approve, as a sentence (empty when anyone may).
fn approvers(input: &Value) -> String {
    let required = number(input, "required");
    match input.get("pool").and_then(Value::as_str) {
        Some(pool) => format!("It needs {required} approval(s) from pool `{pool}`."),
        None => format!("It needs {required} approval(s)."),
    }
}

fn number(input: &Value, name: &str) -> u64 {
    input.get(name).and_then(Value::as_u64).unwrap_or(0)
}

/// `: <reason>` when the record has one.
fn because(input: &Value) -> String {
    match input.get("reason").and_then(Value::as_str) {
        Some(reason) if !reason.is_empty() => format!(": \"{reason}\""),
        _ => String::new(),
    }
}
