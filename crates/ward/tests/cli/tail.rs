//! `ward tail` through the binary: it runs while real hook processes record calls
//! and prints each new record (readable, or JSON lines), honours the filters,
//! starts with the newest records, and ends when its reader goes away.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use serde_json::Value;

use crate::harness::Ctx;

/// `ward tail ARGS` running, and its stdout line by line.
fn tail(ctx: &Ctx, args: &[&str]) -> (Child, Receiver<String>) {
    let mut child = ctx
        .std_cmd()
        .arg("tail")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (send, lines) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if send.send(line).is_err() {
                break;
            }
        }
    });
    (child, lines)
}

/// The next line, waiting at most 30 s (a hung tail fails the test).
fn next(lines: &Receiver<String>) -> String {
    lines
        .recv_timeout(Duration::from_secs(30))
        .expect("ward tail printed nothing within 30 s")
}

fn stop(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn new_records_appear_as_hooks_write_them() {
    let ctx = Ctx::new();
    ctx.init();
    let (child, lines) = tail(&ctx, &["--json", "--lines", "0"]);
    // Give it time to start, so the records below are new to it.
    std::thread::sleep(Duration::from_millis(500));
    for name in [
        "session_start_startup",
        "pre_tool_use_read_source",
        "post_tool_use_read_source",
        "pre_tool_use_rm_rf_home",
    ] {
        ctx.hook_fixture(&format!("claude-code/{name}.json"))
            .assert_hook_ok();
        let line: Value = serde_json::from_str(&next(&lines)).unwrap();
        assert_eq!(
            line["record"]["request"]["event"],
            match name {
                "session_start_startup" => "SessionStart",
                "post_tool_use_read_source" => "PostToolUse",
                _ => "PreToolUse",
            },
            "{line:#}"
        );
        assert!(line["hash"].as_str().unwrap().len() == 64);
    }
    stop(child);
    // The records it showed are the ledger's, with their final seq.
    let query = ctx.ward(&["audit", "query", "--json", "--event", "PreToolUse"]);
    assert_eq!(query.json_lines().len(), 2);
}

#[test]
fn filters_and_the_newest_records_first() {
    let ctx = Ctx::new();
    ctx.init();
    for name in ["pre_tool_use_read_source", "pre_tool_use_rm_rf_home"] {
        ctx.hook_fixture(&format!("claude-code/{name}.json"));
    }
    let (child, lines) = tail(&ctx, &["--decision", "deny", "--lines", "5"]);
    let header = next(&lines);
    assert!(header.trim_start().starts_with("SEQ"), "{header}");
    let denied = next(&lines);
    assert!(
        denied.contains("PreToolUse") && denied.contains("deny") && denied.contains("rm -rf"),
        "{denied}"
    );
    // A new read is filtered out; a new deny shows.
    ctx.hook_fixture("claude-code/pre_tool_use_read_source.json");
    ctx.hook_fixture("claude-code/pre_tool_use_rm_rf_home.json");
    let again = next(&lines);
    assert!(again.contains("deny"), "{again}");
    assert!(
        lines.recv_timeout(Duration::from_millis(300)).is_err(),
        "only denies are shown"
    );
    stop(child);
}

#[test]
fn the_tail_ends_when_its_reader_goes_away() {
    let ctx = Ctx::new();
    ctx.init();
    let mut child = ctx
        .std_cmd()
        .args(["tail", "--json"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    // Its first write (the newest records: the host's identity, then the hook's)
    // finds the pipe closed; a tail that ignored that would run until killed.
    ctx.hook_fixture("claude-code/pre_tool_use_read_source.json");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "ward tail kept running with nobody reading"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
