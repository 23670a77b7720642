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

fn phases(path: &std::path::Path) {
    use rusqlite::{Connection, OpenFlags, config::DbConfig};
    let n = 400;
    let names = [
        "sqlite_open",
        "busy+dbconfig",
        "pragma_sync",
        "user_version",
        "begin_immediate",
        "first_select",
        "insert",
        "commit",
        "close",
    ];
    let mut t = vec![0u128; names.len()];
    for i in 0..n {
        let mut marks = vec![Instant::now()];
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .unwrap();
        marks.push(Instant::now());
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .unwrap();
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
            .unwrap();
        marks.push(Instant::now());
        if std::env::var("PROBE_NOSYNC").is_err() {
            conn.execute_batch("PRAGMA synchronous = NORMAL;").unwrap();
        }
        marks.push(Instant::now());
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, 1);
        marks.push(Instant::now());
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        marks.push(Instant::now());
        let m: Option<i64> = conn
            .query_row("SELECT max(seq) FROM records", [], |r| r.get(0))
            .unwrap();
        marks.push(Instant::now());
        conn.execute(
            "INSERT INTO spool_ingested VALUES (?1)",
            [format!("x{i}-{m:?}")],
        )
        .unwrap();
        marks.push(Instant::now());
        conn.execute_batch("COMMIT").unwrap();
        marks.push(Instant::now());
        if i % 10 == 9 {
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                .unwrap();
        }
        let before_close = Instant::now();
        drop(conn);
        marks.push(Instant::now());
        let last = marks.len() - 1;
        marks[last - 1] = before_close - (marks[last - 1] - marks[last - 1]);
        for k in 0..names.len() {
            t[k] += (marks[k + 1] - marks[k]).as_micros();
        }
    }
    for k in 0..names.len() {
        println!("{:>16}: {} us", names[k], t[k] / n);
    }
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
        checkpoint_pages: ckpt,
        ..OpenOptions::default()
    };
    drop(Ledger::open_with(&path, options).unwrap());
    if std::env::var("PROBE_PHASES").is_ok() {
        phases(&path);
        return;
    }
    let n: usize = std::env::var("PROBE_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let mut phases = vec![Vec::with_capacity(n); 4];
    for i in 0..n {
        let a = Instant::now();
        let mut l = Ledger::open_with(&path, options).unwrap();
        let b = Instant::now();
        l.append(record(i as u64)).unwrap();
        let c = Instant::now();
        drop(l);
        let d = Instant::now();
        phases[0].push((b - a).as_micros());
        phases[1].push((c - b).as_micros());
        phases[2].push((d - c).as_micros());
        phases[3].push((d - a).as_micros());
    }
    let mut out = format!("{sync:?} ckpt={ckpt}:");
    for (name, mut v) in ["open", "append", "close", "total"].into_iter().zip(phases) {
        v.sort_unstable();
        let mean = v.iter().sum::<u128>() / v.len() as u128;
        out.push_str(&format!(
            " {name} mean {mean} med {} p90 {} |",
            v[v.len() / 2],
            v[v.len() * 9 / 10]
        ));
    }
    println!("{out}");
}
