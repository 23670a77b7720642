//! What a sink receives: one [`Evidence`] per outcome record, per signed
//! checkpoint and per notice, as JSON with a `type` field (`docs/sinks.md` is the
//! reference).
//!
//! Outcomes and checkpoints carry digests, not content: the tool's input and
//! output appear as the `sha256:` digests the ledger keeps, so a receiver can
//! match a call against what it holds without Ward sending file contents or
//! commands anywhere. Notices are for people, so they carry a one-line, redacted
//! summary of the call they are about. Every event has a stable `id`; delivery is
//! at-least-once, and receivers dedupe by it.

use serde::{Deserialize, Serialize};
use ward_ledger::checkpoint::{Checkpoint, SignedNote};
use ward_ledger::{StoredCheckpoint, StoredRecord};

pub use crate::notice::NoticeEvidence;

/// One event for a sink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
#[non_exhaustive]
pub enum Evidence {
    /// A tool call's outcome (a `PostToolUse` or `PostToolUseFailure` record).
    Outcome(Box<OutcomeEvidence>),
    /// A signed checkpoint of the ledger's Merkle tree.
    Checkpoint(CheckpointEvidence),
    /// Something people should hear about now: an approval request or decision,
    /// a break-glass override, a severe deny.
    Notice(Box<NoticeEvidence>),
}

/// A tool call's outcome.
///
/// Optional fields are always present (as `null` when unknown), so that receivers
/// see one fixed shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeEvidence {
    /// `record:<record hash>`: stable across deliveries, unique across hosts.
    pub id: String,
    /// The record's global sequence number in its ledger.
    pub seq: u64,
    /// SHA-256 (hex) of the record's canonical JSON: an inclusion proof
    /// (`ward audit prove SEQ`) ties it to a signed checkpoint.
    pub record_hash: String,
    /// The id of the host key whose ledger holds the record.
    pub host_key_id: Option<String>,
    /// When Ward recorded the outcome (RFC 3339, UTC, microseconds).
    pub time: String,
    /// `PostToolUse` or `PostToolUseFailure`.
    pub event: String,
    /// The agent (`claude-code`).
    pub agent: String,
    /// The agent's session id.
    pub session_id: String,
    /// The subagent's id, when a subagent acted.
    pub subagent_id: Option<String>,
    /// The tool (`Bash`).
    pub tool: Option<String>,
    /// The agent's id for the call, shared with the pre record.
    pub tool_use_id: Option<String>,
    /// `sha256:<hex>` of the canonical JSON of the unredacted tool input.
    pub input_digest: Option<String>,
    /// `sha256:<hex>` of the canonical JSON of the tool output.
    pub output_digest: Option<String>,
    /// Bytes of that canonical output.
    pub output_bytes: Option<u64>,
    /// `success`, `failure` or `interrupted`.
    pub outcome: String,
    /// The decision Ward took before the call (`allow`, `warn`, `ask`, `deny`),
    /// from the pre record; `null` when no rule had an opinion or there is no pre
    /// record.
    pub decision: Option<String>,
    /// The rules that matched before the call, strongest first.
    pub matched_rules: Vec<String>,
    /// SHA-256 of the effective policy when the outcome was recorded.
    pub policy_hash: String,
    /// The `seq` of the pre record this outcome answers, when known.
    pub pre_seq: Option<u64>,
    /// When the pre record was made, when known.
    pub pre_time: Option<String>,
    /// How long the tool ran, as the agent reported it.
    pub duration_ms: Option<u64>,
}

/// A signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckpointEvidence {
    /// `checkpoint:<origin>:<tree size>`.
    pub id: String,
    /// The log's name, `ward/<host key id>`.
    pub origin: String,
    /// How many records the checkpoint covers.
    pub tree_size: u64,
    /// The Merkle root over them (hex).
    pub root: String,
    /// When it was signed.
    pub signed_at: String,
    /// The C2SP signed note, verbatim: checkable with the host's public key.
    pub note: String,
}

impl Evidence {
    /// The event's stable id.
    pub fn id(&self) -> &str {
        match self {
            Evidence::Outcome(outcome) => &outcome.id,
            Evidence::Checkpoint(checkpoint) => &checkpoint.id,
            Evidence::Notice(notice) => &notice.id,
        }
    }

    /// A record's notice, if it is one (see [`crate::notice`]); denies count from
    /// `deny_severity` up.
    pub fn notice(stored: &StoredRecord, deny_severity: ward_core::Severity) -> Option<Evidence> {
        crate::notice::notice(stored, deny_severity)
            .map(|notice| Evidence::Notice(Box::new(notice)))
    }

    /// An outcome record's evidence; `None` for records that are not outcomes.
    /// `pre` is the pre record it answers, when the ledger has it.
    pub fn outcome(stored: &StoredRecord, pre: Option<&StoredRecord>) -> Option<Evidence> {
        let record = &stored.record;
        let outcome = record.result.outcome.clone()?;
        Some(Evidence::Outcome(Box::new(OutcomeEvidence {
            id: format!("record:{}", stored.hash),
            seq: stored.seq,
            record_hash: stored.hash.clone(),
            host_key_id: record.role.host_key_id.clone(),
            time: record.time.clone(),
            event: record.request.event.clone(),
            agent: record.role.agent.clone(),
            session_id: record.role.session_id.clone(),
            subagent_id: record.role.subagent_id.clone(),
            tool: record.request.tool.clone(),
            tool_use_id: record.request.tool_use_id.clone(),
            input_digest: record.request.input_digest.clone(),
            output_digest: record.result.output_digest.clone(),
            output_bytes: record.resource.output_bytes,
            outcome,
            decision: pre.and_then(|pre| pre.record.result.decision.clone()),
            matched_rules: pre
                .map(|pre| pre.record.rules.matched.clone())
                .unwrap_or_default(),
            policy_hash: record.rules.policy_hash.clone(),
            pre_seq: record.reference.pre_record,
            pre_time: pre.map(|pre| pre.record.time.clone()),
            duration_ms: record.resource.duration_ms,
        })))
    }

    /// A checkpoint's evidence. The note is read for its origin and root; a note
    /// that does not parse is still delivered, verbatim, with what is known.
    pub fn checkpoint(stored: &StoredCheckpoint) -> Evidence {
        let stated = SignedNote::parse(&stored.note)
            .ok()
            .and_then(|note| Checkpoint::parse_body(&note.body).ok());
        let (origin, root) = match stated {
            Some(checkpoint) => (
                checkpoint.origin,
                ward_ledger::merkle::to_hex(&checkpoint.root),
            ),
            None => (String::new(), String::new()),
        };
        Evidence::Checkpoint(CheckpointEvidence {
            id: format!("checkpoint:{origin}:{}", stored.tree_size),
            origin,
            tree_size: stored.tree_size,
            root,
            signed_at: stored.created_at.clone(),
            note: stored.note.clone(),
        })
    }
}
