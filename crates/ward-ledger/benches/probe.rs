#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]
use std::time::Instant;
use ward_ledger::*;

fn record(i: u64) -> Record {
    serde_json::from_value(serde_json::json!({
        "version": 1, "time": format_time(jiff::Timestamp::now()),
        "rules": {"policy_hash": "ab", "enforce": true},
        "role": {"agent": "claude-code", "session_id": format!("s{}", i % 4)},
        "request": {"event": "PreToolUse", "tool": "Bash", "cwd": "/x", "tool_use_id": format!("t{i}"), "input": {"command": "ls"}},
        "reference": {"seq": 0, "session_seq": 0},
        "resource": {"input_bytes": 1},
        "result": {"enforced": true}
    })).unwrap()
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.db");
    let sync = if std::env::var("PROBE_NORMAL").is_ok() {
        Synchronous::Normal
    } else {
        Synchronous::Full
    };
    let ckpt: u32 = std::env::var("PROBE_CKPT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let options = OpenOptions {
        synchronous: sync,
        wal_autocheckpoint: ckpt,
        ..OpenOptions::default()
    };
    drop(Ledger::open_with(&path, options).unwrap());
    let n = 300;
    let (mut t_open, mut t_append, mut t_close) = (0u128, 0u128, 0u128);
    let mut worst = 0u128;
    for i in 0..n {
        let a = Instant::now();
        let mut l = Ledger::open_with(&path, options).unwrap();
        let b = Instant::now();
        l.append(record(i)).unwrap();
        let c = Instant::now();
        drop(l);
        let d = Instant::now();
        t_open += (b - a).as_micros();
        t_append += (c - b).as_micros();
        t_close += (d - c).as_micros();
        worst = worst.max((d - a).as_micros());
    }
    let n = u128::from(n);
    println!(
        "{sync:?} ckpt={ckpt}: open {} us, append {} us, close {} us, total {} us, worst {} us",
        t_open / n,
        t_append / n,
        t_close / n,
        (t_open + t_append + t_close) / n,
        worst
    );
}
