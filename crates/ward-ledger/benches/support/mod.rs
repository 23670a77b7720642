//! What the ledger benches share: the record they append.

use serde_json::json;
use ward_ledger::{
    Outcome, RECORD_VERSION, Record, Reference, Request, Resource, Role, Rules, format_time,
};

/// A typical PreToolUse record of a shell call, in one of `sessions` sessions.
pub(crate) fn record(index: u64, sessions: u64) -> Record {
    Record {
        version: RECORD_VERSION,
        time: format_time(jiff::Timestamp::now()),
        rules: Rules {
            policy_hash: "9f".repeat(32),
            preset: Some("safety".into()),
            enforce: true,
            matched: vec!["builtin.protect-ward".into()],
        },
        role: Role {
            agent: "claude-code".into(),
            session_id: format!("4b1c6a7e-0d0e-4c55-9d0e-3d6a1f2b8c{:02}", index % sessions),
            subagent_id: None,
            subagent_type: None,
            permission_mode: Some("default".into()),
            os_user: Some("dev".into()),
            host_key_id: Some("0123456789abcdef".into()),
        },
        request: Request {
            event: "PreToolUse".into(),
            tool: Some("Bash".into()),
            category: Some("exec".into()),
            categories: vec!["exec".into(), "file_read".into()],
            targets: vec![],
            programs: vec!["cargo".into()],
            findings: Vec::new(),
            tags: Vec::new(),
            opaque: false,
            notes: Vec::new(),
            input_digest: Some(format!("sha256:{}", "ab".repeat(32))),
            input: json!({"command": "cargo test -p ward-ledger", "description": "Run the tests"}),
            cwd: "/home/dev/src/ward".into(),
            tool_use_id: Some(format!("toolu_01A{index:020}")),
        },
        reference: Reference::default(),
        resource: Resource {
            input_bytes: 74,
            ..Resource::default()
        },
        result: Outcome::default(),
    }
}
