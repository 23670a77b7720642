//! Policy replay over many recorded calls: `cargo bench -p ward-report --bench
//! replay`. Target (issue 6): 100,000 calls in ≤ 5 s.
//!
//! The ledger (`WARD_BENCH_REPLAY_CALLS`, default 100,000 pre records) is
//! generated once into `target/ward-bench/` and reused: shell commands of a
//! dozen shapes (builds, tests, git, pipes, a heredoc, deletes), file reads and
//! edits, and web fetches, over 50 sessions; each replayed under the safety
//! preset with a rate limit, so every part of evaluation runs.

#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "a bench fails by panicking and prints its figures"
)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use ward_core::policy::{Layer, Placeholders, Policy, PolicySource};
use ward_ledger::{Ledger, Record};
use ward_report::replay::ReplayScope;

const COMMANDS: [&str; 12] = [
    "cargo test --workspace 2>&1 | tail -n 20",
    "cargo build --release",
    "git status --short",
    "git diff HEAD~1 -- src/",
    "git push origin feature/login",
    "rm -rf target/debug/incremental",
    "ls -la src && wc -l src/*.rs",
    "grep -rn 'TODO' src | head -50",
    "npm run lint -- --fix",
    "python3 - <<'EOF'\nimport json\nprint(json.dumps({'ok': True}))\nEOF",
    "find . -name '*.orig' -delete",
    "docker compose up -d db",
];

fn input(index: u64) -> (&'static str, Value) {
    match index % 16 {
        0..=11 => (
            "Bash",
            json!({"command": COMMANDS[usize::try_from(index % 12).unwrap()]}),
        ),
        12 => (
            "Read",
            json!({"file_path": format!("/home/dev/src/app/src/module{}.rs", index % 40)}),
        ),
        13 => (
            "Edit",
            json!({"file_path": "/home/dev/src/app/src/lib.rs", "old_string": "a", "new_string": "b"}),
        ),
        14 => (
            "WebFetch",
            json!({"url": "https://docs.rs/serde", "prompt": "read"}),
        ),
        _ => (
            "Grep",
            json!({"pattern": "fn main", "path": "/home/dev/src/app"}),
        ),
    }
}

fn record(index: u64, total: u64) -> Record {
    let seconds = 30 * 86_400 * index / total.max(1);
    let time = jiff::Timestamp::now()
        .checked_sub(jiff::SignedDuration::from_secs(
            30 * 86_400 - i64::try_from(seconds).unwrap(),
        ))
        .unwrap();
    let (tool, input) = input(index);
    serde_json::from_value(json!({
        "version": 1,
        "time": ward_ledger::format_time(time),
        "rules": {"policy_hash": "9f".repeat(32), "enforce": true, "matched": []},
        "role": {"agent": "claude-code", "session_id": format!("s{}", index % 50), "os_user": "dev"},
        "request": {"event": "PreToolUse", "tool": tool, "categories": [], "targets": [],
                    "programs": [], "findings": [], "tags": [], "opaque": false, "notes": [],
                    "input": input, "cwd": "/home/dev/src/app",
                    "tool_use_id": format!("toolu_{index}")},
        "reference": {"seq": 0, "session_seq": 0},
        "resource": {"input_bytes": 74},
        "result": {"enforced": false}
    }))
    .unwrap()
}

fn ledger(calls: u64) -> Ledger {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/ward-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("replay-{calls}.db"));
    // Recent records only: the replay covers the last 30 days.
    if let Ok(ledger) = Ledger::open(&path)
        && ledger.count().unwrap() == calls
        && std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .is_ok_and(|at| at.elapsed().unwrap_or_default() < Duration::from_secs(86_400))
    {
        return ledger;
    }
    let _ = std::fs::remove_file(&path);
    let mut ledger = Ledger::open(&path).unwrap();
    let mut next = 0;
    while next < calls {
        let end = (next + 10_000).min(calls);
        ledger
            .append_all((next..end).map(|index| record(index, calls)).collect())
            .unwrap();
        next = end;
    }
    ledger
}

const POLICY: &str = r#"
preset = "safety"

[[rules]]
id = "team.fetch-rate"
decision = "ask"
reason = "Slow down."
match.tools = ["WebFetch"]
match.rate = { max = 20, per = "1h", by = "session" }
"#;

fn policy() -> Policy {
    Policy::load(
        &[PolicySource {
            layer: Layer::User,
            path: "bench.toml".to_owned(),
            text: POLICY.to_owned(),
        }],
        &Placeholders {
            home: "/home/dev".to_owned(),
            ward_home: "/home/dev/.ward".to_owned(),
            project: "/home/dev/src/app".to_owned(),
            cwd: "/home/dev/src/app".to_owned(),
        },
    )
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let calls: u64 = std::env::var("WARD_BENCH_REPLAY_CALLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let ledger = ledger(calls);
    let scope = ReplayScope {
        from: Some(ward_ledger::format_time(
            jiff::Timestamp::now()
                .checked_sub(jiff::SignedDuration::from_hours(31 * 24))
                .unwrap(),
        )),
        user_home: "/home/dev".to_owned(),
    };
    let run = || {
        ward_report::replay::replay(&ledger, &scope, &mut |_| Ok(policy()), &mut |_, _| {}).unwrap()
    };
    let started = Instant::now();
    let replay = run();
    println!(
        "replay: {} calls ({} would change) in {:.2} s",
        replay.replayed,
        replay.changed,
        started.elapsed().as_secs_f64()
    );
    let mut group = c.benchmark_group("replay");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));
    group.bench_function(format!("replay_{calls}"), |b| b.iter(run));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
