//! Properties: any sequence of appends verifies, and any flipped byte of any body is
//! found.

use proptest::prelude::*;

use crate::support::{ledger, raw, record, tool_call, verify};

const EVENTS: &[&str] = &[
    "SessionStart",
    "UserPromptSubmit",
    "PreToolUse",
    "PostToolUse",
    "PostToolUseFailure",
    "PermissionDenied",
    "Stop",
    "SessionEnd",
];

fn appends() -> impl Strategy<Value = Vec<(usize, usize, usize)>> {
    // (session, event, tool_use_id)
    prop::collection::vec((0..3usize, 0..EVENTS.len(), 0..4usize), 1..24)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn any_appends_verify_and_any_flipped_body_byte_is_found(
        appends in appends(),
        pick in any::<prop::sample::Index>(),
        byte in any::<prop::sample::Index>(),
        mask in 1u8..=255,
    ) {
        let (_dir, path, mut ledger) = ledger();
        for (session, event, tool_use_id) in &appends {
            let session = format!("session-{session}");
            let event = EVENTS[*event];
            let record = if event.contains("Tool") || event == "PermissionDenied" {
                tool_call(&session, event, "Bash", &format!("tu-{tool_use_id}"))
            } else {
                record(&session, event)
            };
            ledger.append(record).unwrap();
        }
        let report = verify(&ledger);
        prop_assert!(report.ok, "{:#?}", report.problems);
        prop_assert_eq!(report.records, appends.len() as u64);

        let seq = pick.index(appends.len()) as u64 + 1;
        let conn = raw(&path);
        let body: String = conn.query_row("SELECT body FROM records WHERE seq = ?1", [seq], |row| row.get(0)).unwrap();
        let mut bytes = body.into_bytes();
        let at = byte.index(bytes.len());
        bytes[at] ^= mask;
        // Stored as a blob when the flip breaks UTF-8, as a hand edit could.
        match String::from_utf8(bytes) {
            Ok(text) => conn.execute("UPDATE records SET body = ?1 WHERE seq = ?2", rusqlite::params![text, seq]),
            Err(error) => conn.execute("UPDATE records SET body = ?1 WHERE seq = ?2", rusqlite::params![error.into_bytes(), seq]),
        }.unwrap();
        let report = verify(&ledger);
        prop_assert!(!report.ok, "flipping byte {} of record {} went unnoticed", at, seq);
        prop_assert_eq!(report.problems[0].seq, Some(seq));
    }
}
