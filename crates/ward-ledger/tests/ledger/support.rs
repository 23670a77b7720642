//! Records and ledgers for the tests.

use std::path::{Path, PathBuf};

use serde_json::json;
use sha2::{Digest, Sha256};
use tempfile::TempDir;
use ward_ledger::{
    Ledger, Outcome, RECORD_VERSION, Record, Reference, Request, Resource, Role, Rules, format_time,
};

/// A fresh ledger in a temporary folder (dropping the folder deletes it).
pub(crate) fn ledger() -> (TempDir, PathBuf, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let ledger = Ledger::open(&path).unwrap();
    (dir, path, ledger)
}

/// A record of `event` in `session`, with the current time.
pub(crate) fn record(session: &str, event: &str) -> Record {
    Record {
        version: RECORD_VERSION,
        time: format_time(jiff::Timestamp::now()),
        rules: Rules {
            policy_hash: "0".repeat(64),
            preset: Some("safety".into()),
            enforce: true,
            matched: vec![],
        },
        role: Role {
            agent: "claude-code".into(),
            session_id: session.into(),
            subagent_id: None,
            subagent_type: None,
            permission_mode: Some("default".into()),
            os_user: Some("tester".into()),
            host_key_id: None,
        },
        request: Request {
            event: event.into(),
            tool: None,
            category: None,
            categories: vec![],
            targets: vec![],
            programs: vec![],
            findings: Vec::new(),
            tags: Vec::new(),
            opaque: false,
            notes: Vec::new(),
            input_digest: None,
            input: json!({"event": event}),
            cwd: "/work/project".into(),
            tool_use_id: None,
        },
        reference: Reference::default(),
        resource: Resource::default(),
        result: Outcome::default(),
    }
}

/// A tool event (`PreToolUse`, `PostToolUse`, ...) of `tool` with `tool_use_id`.
pub(crate) fn tool_call(session: &str, event: &str, tool: &str, tool_use_id: &str) -> Record {
    let mut record = record(session, event);
    record.request.tool = Some(tool.into());
    record.request.category = Some(if tool == "Bash" { "exec" } else { "file_read" }.into());
    record.request.tool_use_id = Some(tool_use_id.into());
    record.request.input = json!({"command": format!("echo {tool_use_id}")});
    record
}

/// A raw SQLite connection to the ledger file, for tampering.
pub(crate) fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

/// Appends `per_session` PreToolUse/PostToolUse pairs to each session, round robin.
pub(crate) fn fill(ledger: &mut Ledger, sessions: &[&str], per_session: usize) {
    for index in 0..per_session {
        for session in sessions {
            let id = format!("tu-{index}");
            ledger
                .append(tool_call(session, "PreToolUse", "Bash", &id))
                .unwrap();
            ledger
                .append(tool_call(session, "PostToolUse", "Bash", &id))
                .unwrap();
        }
    }
}

/// Runs verify with no progress reporting.
pub(crate) fn verify(ledger: &Ledger) -> ward_ledger::VerifyReport {
    ledger.verify(&mut |_, _| {}).unwrap()
}

/// RFC 9162 MTH written out from the RFC's definition, sharing no code with the
/// ledger, so that the stored tree is checked against something independent.
pub(crate) fn reference_root(leaves: &[Vec<u8>]) -> [u8; 32] {
    match leaves.len() {
        0 => Sha256::digest(b"").into(),
        1 => {
            let mut hasher = Sha256::new();
            hasher.update([0u8]);
            hasher.update(&leaves[0]);
            hasher.finalize().into()
        }
        n => {
            let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
            let mut hasher = Sha256::new();
            hasher.update([1u8]);
            hasher.update(reference_root(&leaves[..k]));
            hasher.update(reference_root(&leaves[k..]));
            hasher.finalize().into()
        }
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
