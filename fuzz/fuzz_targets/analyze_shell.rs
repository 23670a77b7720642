//! Feeds arbitrary bytes, decoded lossily as UTF-8, to the shell analyser as a `Bash`
//! command line. The analyser must return (no panic, no hang, no abort) whatever the
//! input, and a line it cannot parse must come back opaque with a note. See
//! `common.rs` for how panics inside `brush-parser` (caught by Ward) are treated.

#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use ward_core::AnalysisContext;
use ward_core::analyze::analyze_command_line;

fuzz_target!(init: common::install_hook(), |data: &[u8]| {
    let command = String::from_utf8_lossy(data);
    let context = AnalysisContext {
        cwd: "/home/dev/app".to_owned(),
        home: "/home/dev".to_owned(),
        branch: Some("main".to_owned()),
    };
    let action = common::check(&command, || analyze_command_line(&command, &context));
    // An opaque action always says why.
    assert!(
        !action.opaque || !action.notes.is_empty(),
        "opaque action without a note for {command:?}"
    );
    // Serialising the action (as the ledger does) must not fail either.
    let _ = serde_json::to_vec(&action);
});
