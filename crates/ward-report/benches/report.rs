//! A report over a large ledger: `cargo bench -p ward-report`. Target (issue 6):
//! 1,000,000 records in ≤ 3 s.
//!
//! The ledger is generated once (`WARD_BENCH_REPORT_RECORDS`, default 1,000,000)
//! into `target/ward-bench/` and reused: a realistic mix of 200 sessions over 30
//! days, half pre records and half outcomes, with one call in ten decided by a
//! rule (its body is read by the report) and some failures.

#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "a bench fails by panicking and prints its figures"
)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use ward_ledger::{Ledger, Record};
use ward_report::Scope;

const SESSIONS: u64 = 200;
const DECISIONS: [(&str, &str, &str); 4] = [
    ("deny", "fs.delete-home", "critical"),
    ("ask", "secrets.credential-files", "medium"),
    ("warn", "git.force-push", "low"),
    ("deny", "net.remote-code", "critical"),
];

fn record(index: u64, total: u64) -> Record {
    let session = index % SESSIONS;
    // Spread over 30 days, in order.
    let seconds = 30 * 86_400 * index / total.max(1);
    let time =
        jiff::Timestamp::from_second(1_790_000_000 + i64::try_from(seconds).unwrap()).unwrap();
    let pre = index.is_multiple_of(2);
    let decided = pre && index.is_multiple_of(20);
    let kind = usize::try_from(index / 2 % 4).unwrap();
    let tool = ["Bash", "Read", "Edit", "Grep"][kind];
    let category = ["command", "file_read", "file_write", "file_read"][kind];
    let event = if pre {
        "PreToolUse"
    } else if index % 50 == 1 {
        "PostToolUseFailure"
    } else {
        "PostToolUse"
    };
    let mut value = json!({
        "version": 1,
        "time": ward_ledger::format_time(time),
        "rules": {"policy_hash": "9f".repeat(32), "preset": "safety", "enforce": true, "matched": []},
        "role": {"agent": "claude-code", "session_id": format!("4b1c6a7e-0d0e-4c55-9d0e-{session:012}"),
                 "os_user": format!("dev{}", session % 7), "host_key_id": "0123456789abcdef"},
        "request": {"event": event, "tool": tool, "category": category,
                    "categories": [], "targets": [], "programs": ["cargo"], "findings": [], "tags": [],
                    "opaque": false, "notes": [],
                    "input_digest": format!("sha256:{}", "ab".repeat(32)),
                    "input": {"command": "cargo test -p ward-ledger", "description": "Run the tests"},
                    "cwd": format!("/home/dev/src/project{}", session % 11),
                    "tool_use_id": format!("toolu_01A{:020}", index / 2)},
        "reference": {"seq": 0, "session_seq": 0},
        "resource": {"input_bytes": 74},
        "result": {"enforced": false}
    });
    if decided {
        let (decision, rule, severity) = DECISIONS[usize::try_from(index / 20 % 4).unwrap()];
        value["rules"]["matched"] = json!([rule]);
        value["request"]["targets"] = json!([{"path": format!("/home/dev/src/project{}/file{}", session % 11, index % 97), "kind": "write"}]);
        value["result"] = json!({"decision": decision, "severity": severity, "enforced": true,
                                 "reason": format!("Ward rule `{rule}`: because.")});
    }
    serde_json::from_value(value).unwrap()
}

/// The generated ledger, made on first use.
fn ledger(records: u64) -> Ledger {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/ward-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("report-{records}.db"));
    if let Ok(ledger) = Ledger::open(&path)
        && ledger.count().unwrap() == records
    {
        return ledger;
    }
    let _ = std::fs::remove_file(&path);
    let started = Instant::now();
    let mut ledger = Ledger::open(&path).unwrap();
    let mut next = 0;
    while next < records {
        let end = (next + 10_000).min(records);
        ledger
            .append_all((next..end).map(|index| record(index, records)).collect())
            .unwrap();
        next = end;
    }
    println!(
        "generated {records} records in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    ledger
}

fn bench(c: &mut Criterion) {
    let records: u64 = std::env::var("WARD_BENCH_REPORT_RECORDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let ledger = ledger(records);
    let now = jiff::Timestamp::now();
    let started = Instant::now();
    let report = ward_report::build(&ledger, &Scope::default(), now, None, &mut |_, _| {}).unwrap();
    println!(
        "report: {} records ({} calls, {} decided) in {:.2} s",
        report.totals.records,
        report.totals.calls,
        report.totals.warn + report.totals.ask + report.totals.deny,
        started.elapsed().as_secs_f64()
    );
    let mut group = c.benchmark_group("report");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function(format!("build_{records}"), |b| {
        b.iter(|| {
            ward_report::build(&ledger, &Scope::default(), now, None, &mut |_, _| {}).unwrap()
        });
    });
    group.bench_function(format!("build_and_render_html_{records}"), |b| {
        b.iter(|| {
            let report =
                ward_report::build(&ledger, &Scope::default(), now, None, &mut |_, _| {}).unwrap();
            ward_report::html::render(&report)
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
