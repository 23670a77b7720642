//! The evidence Ward holds, mapped to the record-keeping controls auditors ask
//! about. Each control says what Ward records, how the records are protected,
//! this period's figures, and — as plainly — what Ward does not cover. Ward is
//! evidence for a control, never the whole control: policies, reviews, access
//! management and retention of the host itself stay the organisation's.

use crate::model::{Control, Report};

/// Facts shared by every control.
const RECORDS: &str = "One R6 record per agent hook event: every tool call before it runs \
     (tool, redacted input and its SHA-256 digest, targets, the policy's decision and rule), \
     its outcome, prompts, sessions and subagents, plus the host's own events (keys, \
     approvals, overrides).";
const PROTECTION: &str = "Records are canonical JSON hashed with SHA-256, chained per session \
     and gap-free; a Merkle tree over all records is signed in checkpoints (Ed25519), which \
     witnesses can cosign; `ward audit verify` recomputes every hash and names the first \
     record changed, deleted or reordered.";

/// The controls, with this report's figures.
pub(crate) fn controls(report: &Report) -> Vec<Control> {
    let totals = &report.totals;
    let integrity = &report.integrity;
    let checkpoint = match (integrity.checkpoint_size, &integrity.checkpoint_signed_at) {
        (Some(size), Some(at)) => format!(
            "the latest signed checkpoint covers {size} of {} records (signed {at}, {} \
             cosignature(s))",
            integrity.ledger_records, integrity.checkpoint_cosignatures
        ),
        _ => "no checkpoint has been signed yet".to_owned(),
    };
    let verified = match &integrity.verified {
        Some(v) if v.ok => format!("; a full verification of {} records passed", v.records),
        Some(v) => format!(
            "; a full verification of {} records FAILED: {}",
            v.records,
            v.problems.join("; ")
        ),
        None => "; this report did not run a full verification (`--verify`)".to_owned(),
    };
    let activity = format!(
        "{} records in the period: {} tool calls in {} sessions, {} denied, {} asked, {} \
         warned; {} outcomes recorded",
        totals.records,
        totals.calls,
        totals.sessions,
        totals.deny,
        totals.ask,
        totals.warn,
        totals.succeeded + totals.failed + totals.interrupted
    );
    let people = format!(
        "{} approval request(s) ({} granted, {} denied, {} expired); {} break-glass \
         override(s)",
        report.approvals.requested,
        report.approvals.granted,
        report.approvals.denied,
        report.approvals.expired,
        report.overrides.len()
    );
    vec![
        Control {
            control: "SOC 2 CC7.2".to_owned(),
            asks: "Monitor system components for anomalies that indicate malicious acts, \
                   errors or failures, and evaluate them."
                .to_owned(),
            ward_records: format!(
                "{RECORDS} Each decision names the rule and its severity; severe denies, \
                 approvals and overrides can be sent to a notification sink as they happen."
            ),
            protection: PROTECTION.to_owned(),
            evidence: format!("{activity}; {people}."),
            not_covered: "Monitoring of anything but AI agents' tool calls (hosts, networks, \
                          people's own commands); the review and response process itself; \
                          alerting beyond the configured sinks."
                .to_owned(),
        },
        Control {
            control: "ISO/IEC 27001:2022 A.8.15".to_owned(),
            asks: "Produce, store, protect and analyse logs that record activities, \
                   exceptions, faults and other relevant events."
                .to_owned(),
            ward_records: format!(
                "{RECORDS} Faults are recorded too: failed and interrupted calls, and Ward's \
                 own failures (it then fails closed)."
            ),
            protection: PROTECTION.to_owned(),
            evidence: format!("{activity}; {checkpoint}{verified}."),
            not_covered: "Clock synchronisation of the host (record times are the host's \
                          clock); copies off the host unless a sink or witness is configured; \
                          access control to the host and to `~/.ward`."
                .to_owned(),
        },
        Control {
            control: "HIPAA §164.312(b)".to_owned(),
            asks: "Implement mechanisms that record and examine activity in information \
                   systems that contain or use electronic protected health information."
                .to_owned(),
            ward_records: format!(
                "{RECORDS} Inputs are redacted of secrets before they are stored; outputs are \
                 kept as digests only."
            ),
            protection: PROTECTION.to_owned(),
            evidence: format!("{activity}; {checkpoint}."),
            not_covered: "Whether a call touched ePHI (Ward records paths and digests, not \
                          data classification); activity outside AI agents; the examination \
                          (review) procedure."
                .to_owned(),
        },
        Control {
            control: "EU AI Act Art. 12".to_owned(),
            asks: "High-risk AI systems allow the automatic recording of events (logs) over \
                   their lifetime, to identify risks and to monitor operation."
                .to_owned(),
            ward_records: format!(
                "{RECORDS} Each record names the agent, the session, the subagent, the \
                 prompt that led to the call, and the policy in force (its hash)."
            ),
            protection: PROTECTION.to_owned(),
            evidence: format!("{activity}; {people}; {checkpoint}."),
            not_covered: "The model's own inputs and outputs beyond hook events; whether the \
                          system is high-risk under the Act; the provider's obligations; \
                          the retention period the deployer must set."
                .to_owned(),
        },
    ]
}
