//! Whole-process hook latency: how long Claude Code waits for `ward hook
//! claude-code` on each tool call, measured next to the spawn of a minimal binary in
//! the same run, so the ratio means something on a shared, noisy machine.
//!
//! Runs: `cargo bench -p ward --bench hook_latency` (or `bench/hook-latency.sh`).
//! `WARD_BENCH_RUNS` sets the runs per payload (default 300). The two programs are
//! interleaved run by run so that background noise hits both alike. The ledger is
//! warmed with earlier records first: a hook appends to a ledger that already holds
//! a history, not to an empty file.
//!
//! The benign shell call is also timed in a second home whose policy has a rate
//! limit that the call meets (counted, never passed), which gives what counting
//! costs a hook (issue 5: at most 0.3 ms).
//!
//! `WARD_BENCH_BASELINE=PATH` also times another `ward` binary (a previous build),
//! with a home of its own, interleaved with the two others: a change's effect on
//! the hook is only measurable against the old build in the same run.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The payloads timed, as Claude Code sends them (session and cwd filled in below).
const PAYLOADS: [(&str, &str); 5] = [
    (
        "pre_bash_benign",
        r#"{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"cargo test --workspace 2>&1 | tail -n 20","description":"Run tests"},"tool_use_id":"toolu_bench_1","permission_mode":"default"}"#,
    ),
    (
        "pre_bash_denied",
        r#"{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"sudo rm -rf ~/ && echo done"},"tool_use_id":"toolu_bench_2","permission_mode":"default"}"#,
    ),
    (
        "pre_read",
        r#"{"hook_event_name":"PreToolUse","tool_name":"Read","tool_input":{"file_path":"$PROJECT/src/main.rs"},"tool_use_id":"toolu_bench_3","permission_mode":"default"}"#,
    ),
    (
        "post_bash",
        r#"{"hook_event_name":"PostToolUse","tool_name":"Bash","tool_input":{"command":"cargo test"},"tool_response":{"stdout":"test result: ok. 12 passed","stderr":"","interrupted":false},"tool_use_id":"toolu_bench_1","duration_ms":5123}"#,
    ),
    (
        "prompt",
        r#"{"hook_event_name":"UserPromptSubmit","prompt":"Refactor the parser and run the tests","permission_mode":"default"}"#,
    ),
];

struct Setup {
    ward: String,
    noop: String,
    ward_home: String,
    home: String,
    project: String,
}

fn payload(template: &str, project: &str) -> Vec<u8> {
    let mut value: serde_json::Value =
        serde_json::from_str(&template.replace("$PROJECT", project)).unwrap();
    let object = value.as_object_mut().unwrap();
    object.insert("session_id".into(), "bench-session".into());
    object.insert(
        "transcript_path".into(),
        format!("{project}/transcript.jsonl").into(),
    );
    object.insert("cwd".into(), project.into());
    let mut bytes = serde_json::to_vec(&value).unwrap();
    bytes.push(b'\n');
    bytes
}

fn time_once(setup: &Setup, program: &str, args: &[&str], stdin: &[u8]) -> Duration {
    time_in(setup, &setup.ward_home, program, args, stdin)
}

fn time_in(setup: &Setup, ward_home: &str, program: &str, args: &[&str], stdin: &[u8]) -> Duration {
    let started = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .env("WARD_HOME", ward_home)
        .env("HOME", &setup.home)
        .env("WARD_MANAGED_POLICY", format!("{}/none.toml", setup.home))
        .current_dir(&setup.project)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // A program that exits without reading may close the pipe first; that is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    let status = child.wait_with_output().unwrap().status;
    let elapsed = started.elapsed();
    assert!(status.code().is_some(), "{program} was killed");
    elapsed
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Prints one table row (sorting `times`) and returns its p50 and p99.
fn row(
    name: &str,
    times: &mut [Duration],
    spawn_p50: Duration,
    spawn_p99: Duration,
) -> (Duration, Duration) {
    times.sort();
    let p50 = percentile(times, 0.50);
    let p99 = percentile(times, 0.99);
    println!(
        "{:<18} {:>9.3} {:>9.3} {:>11.2} {:>11.2}",
        name,
        ms(p50),
        ms(p99),
        ms(p50) / ms(spawn_p50),
        ms(p99) / ms(spawn_p99)
    );
    (p50, p99)
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is taken from the command line.
    let runs: usize = std::env::var("WARD_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let home = root.join("home");
    let project = home.join("app");
    std::fs::create_dir_all(project.join(".git")).unwrap();
    std::fs::create_dir_all(project.join("src")).unwrap();
    let noop_source = root.join("noop.rs");
    std::fs::write(&noop_source, "fn main() {}\n").unwrap();
    let noop = root.join("noop");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let built = Command::new(rustc)
        .args(["-O", "-C", "strip=symbols", "-o"])
        .arg(&noop)
        .arg(&noop_source)
        .status()
        .unwrap();
    assert!(built.success(), "cannot build the minimal binary");
    let setup = Setup {
        ward: env!("CARGO_BIN_EXE_ward").to_owned(),
        noop: noop.display().to_string(),
        ward_home: root.join("ward-home").display().to_string(),
        home: home.display().to_string(),
        project: project.display().to_string(),
    };
    let init = |ward: &str, ward_home: &str| {
        let status = Command::new(ward)
            .args(["init"])
            .env("WARD_HOME", ward_home)
            .env("HOME", &setup.home)
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "`{ward} init` failed");
    };
    init(&setup.ward, &setup.ward_home);
    let rate_home = root.join("rate-home").display().to_string();
    init(&setup.ward, &rate_home);
    let policy = format!("{rate_home}/policy.toml");
    let mut text = std::fs::read_to_string(&policy).unwrap();
    text.push_str(
        "\n[[rules]]\nid = \"bench.shell-rate\"\ndecision = \"ask\"\nreason = \"bench\"\n\
         [rules.match]\ntools = [\"Bash\"]\nrate = { max = 1000000, per = \"1h\" }\n",
    );
    std::fs::write(&policy, text).unwrap();
    let baseline = std::env::var("WARD_BENCH_BASELINE").ok().map(|ward| {
        let ward_home = root.join("baseline-home").display().to_string();
        init(&ward, &ward_home);
        (ward, ward_home)
    });
    let payloads: Vec<(&str, Vec<u8>)> = PAYLOADS
        .iter()
        .map(|(name, template)| (*name, payload(template, &setup.project)))
        .collect();
    let warm = 200;
    for round in 0..warm {
        let (_, bytes) = &payloads[round % payloads.len()];
        time_once(&setup, &setup.ward, &["hook", "claude-code"], bytes);
        if let Some((ward, ward_home)) = &baseline {
            time_in(&setup, ward_home, ward, &["hook", "claude-code"], bytes);
        }
    }

    let benign = &payloads[0].1;
    for _ in 0..warm / payloads.len() {
        time_in(
            &setup,
            &rate_home,
            &setup.ward,
            &["hook", "claude-code"],
            benign,
        );
    }
    let mut rate_times: Vec<Duration> = Vec::with_capacity(runs);
    let mut ward_times: Vec<Vec<Duration>> = vec![Vec::with_capacity(runs); payloads.len()];
    let mut noop_times: Vec<Duration> = Vec::with_capacity(runs * payloads.len());
    let mut baseline_times: Vec<Duration> = Vec::new();
    for _ in 0..runs {
        for (index, (_, bytes)) in payloads.iter().enumerate() {
            ward_times[index].push(time_once(
                &setup,
                &setup.ward,
                &["hook", "claude-code"],
                bytes,
            ));
            noop_times.push(time_once(&setup, &setup.noop, &[], bytes));
            if index == 0 {
                rate_times.push(time_in(
                    &setup,
                    &rate_home,
                    &setup.ward,
                    &["hook", "claude-code"],
                    bytes,
                ));
            }
            if let Some((ward, ward_home)) = &baseline {
                baseline_times.push(time_in(
                    &setup,
                    ward_home,
                    ward,
                    &["hook", "claude-code"],
                    bytes,
                ));
            }
        }
    }
    noop_times.sort();
    let noop_p50 = percentile(&noop_times, 0.50);
    let noop_p99 = percentile(&noop_times, 0.99);
    println!(
        "hook latency: {runs} runs per payload, ledger warmed with {warm} records, interleaved with a minimal binary"
    );
    println!(
        "{:<18} {:>9} {:>9} {:>11} {:>11}",
        "payload", "p50 ms", "p99 ms", "p50/spawn", "p99/spawn"
    );
    println!(
        "{:<18} {:>9.3} {:>9.3} {:>11} {:>11}",
        "minimal binary",
        ms(noop_p50),
        ms(noop_p99),
        "1.00",
        "1.00"
    );
    let mut all: Vec<Duration> = Vec::new();
    let mut benign_p50 = Duration::ZERO;
    for (index, (name, _)) in payloads.iter().enumerate() {
        let times = &mut ward_times[index];
        all.extend(times.iter().copied());
        let (p50, _) = row(name, times, noop_p50, noop_p99);
        if index == 0 {
            benign_p50 = p50;
        }
    }
    let (rate_p50, _) = row("  + rate limit", &mut rate_times, noop_p50, noop_p99);
    println!(
        "rate limit: the benign shell call counted by a rate-limited rule costs {:+.3} ms at p50",
        ms(rate_p50) - ms(benign_p50)
    );
    let (p50, p99) = row("all hook calls", &mut all, noop_p50, noop_p99);
    if !baseline_times.is_empty() {
        row("baseline, all", &mut baseline_times, noop_p50, noop_p99);
    }
    println!(
        "{{\"runs\":{runs},\"spawn_p50_ms\":{:.3},\"spawn_p99_ms\":{:.3},\"hook_p50_ms\":{:.3},\"hook_p99_ms\":{:.3},\"p50_ratio\":{:.2},\"p99_ratio\":{:.2}}}",
        ms(noop_p50),
        ms(noop_p99),
        ms(p50),
        ms(p99),
        ms(p50) / ms(noop_p50),
        ms(p99) / ms(noop_p99)
    );
}
