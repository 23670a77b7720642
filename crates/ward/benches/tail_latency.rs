//! How soon `ward tail` shows a record after the hook that wrote it returned
//! (issue 6: within 200 ms).
//!
//! Runs: `cargo bench -p ward --bench tail_latency`. `WARD_BENCH_RUNS` sets the
//! number of hook calls (default 200). A `ward tail --json --lines 0` runs on a
//! fresh home; each call's hook is a real `ward hook claude-code` process; the
//! time from that process's exit to the tail's line is measured, with a random
//! pause between calls so that they do not fall in step with the tail's polling.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

fn main() {
    let runs: usize = std::env::var("WARD_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let ward = env!("CARGO_BIN_EXE_ward");
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let project = home.join("app");
    std::fs::create_dir_all(project.join(".git")).unwrap();
    let ward_home = dir.path().join("ward-home");
    let command = |args: &[&str]| {
        let mut command = Command::new(ward);
        command
            .args(args)
            .env("WARD_HOME", &ward_home)
            .env("HOME", &home)
            .env("WARD_MANAGED_POLICY", home.join("none.toml"))
            .current_dir(&project);
        command
    };
    assert!(command(&["init"]).output().unwrap().status.success());

    let mut tail = command(&["tail", "--json", "--lines", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = tail.stdout.take().unwrap();
    let (send, arrivals) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = send.send((Instant::now(), line));
        }
    });
    std::thread::sleep(Duration::from_millis(500));

    let mut latencies = Vec::with_capacity(runs);
    let mut random = 0x9e37_79b9_7f4a_7c15_u64;
    for index in 0..runs {
        let payload = serde_json::json!({
            "hook_event_name": "PreToolUse",
            "session_id": "bench-tail",
            "cwd": project,
            "tool_name": "Bash",
            "tool_input": {"command": format!("cargo test --package p{index}")},
            "tool_use_id": format!("toolu_tail_{index}"),
        })
        .to_string();
        let mut hook = command(&["hook", "claude-code"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        hook.stdin
            .take()
            .unwrap()
            .write_all(payload.as_bytes())
            .unwrap();
        assert!(hook.wait().unwrap().success());
        let returned = Instant::now();
        let expected = format!("toolu_tail_{index}");
        loop {
            let (arrived, line) = arrivals
                .recv_timeout(Duration::from_secs(10))
                .expect("ward tail showed nothing within 10 s");
            if line.contains(&expected) {
                latencies.push(arrived.saturating_duration_since(returned));
                break;
            }
        }
        // xorshift: a pause of 0–60 ms, out of step with the tail's poll.
        random ^= random << 13;
        random ^= random >> 7;
        random ^= random << 17;
        std::thread::sleep(Duration::from_millis(random % 61));
    }
    let _ = tail.kill();
    let _ = tail.wait();
    latencies.sort();
    let at = |p: f64| {
        let index = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies[index].as_secs_f64() * 1000.0
    };
    println!(
        "ward tail: {runs} records, from the hook's exit to the line: p50 {:.1} ms, p90 {:.1} ms, \
         p99 {:.1} ms, max {:.1} ms (target: within 200 ms)",
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0)
    );
}
