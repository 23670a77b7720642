//! Shell analysis as the hook pays for it: typical agent command lines, ~10 KB
//! scripts fed by heredoc, and pathological lines an agent (or an attacker steering
//! one) could send. Targets: typical ≤ 50 µs, heredoc_10k ≤ 500 µs, pathological
//! ≤ 50 ms each.
//!
//! `cargo bench -p ward-core --bench analysis -- --warm-up-time 1 --measurement-time 3`
//!
//! `parse_only` and `parser_drive` time brush-parser alone (its options, its
//! tokenizer and its grammar apart) to tell parsing from Ward's walk.
//! `WARD_BENCH_CPU=1 cargo bench -p ward-core --bench analysis` prints CPU time
//! per call instead of running criterion (see `cpu_time`).

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group};
use ward_core::AnalysisContext;
use ward_core::analyze::analyze_command_line;

fn context() -> AnalysisContext {
    AnalysisContext {
        cwd: "/home/dev/app".to_owned(),
        home: "/home/dev".to_owned(),
        branch: Some("main".to_owned()),
    }
}

fn typical() -> Vec<(&'static str, String)> {
    let commit_message = "checkout: apply discount codes at payment time\n\n\
        The discount code entered on the cart page was only checked when the order\n\
        was created, so an expired code still showed a reduced total. Validate it\n\
        again when the payment intent is created, show the error inline, and keep\n\
        the cart untouched. Adds tests for expired, unknown and reused codes.\n\n\
        Refs: #142, #157";
    vec![
        (
            "cd_cargo_test_tail",
            "cd /home/dev/app && cargo test -p ward-core 2>&1 | tail -n 20".to_owned(),
        ),
        ("git_status", "git status".to_owned()),
        (
            "rm_mkdir",
            "rm -rf build && mkdir -p build".to_owned(),
        ),
        (
            "grep_head",
            "grep -rn \"fn main\" src | head -5".to_owned(),
        ),
        ("npm_run_build", "npm run build".to_owned()),
        (
            "git_commit_long",
            format!("git add -A && git commit -m \"{commit_message}\""),
        ),
        (
            "curl_jq_pipeline",
            "curl -s https://api.example.com/v1/items | jq -r '.items[] | select(.active) | .name' | sort | uniq -c | sort -rn > /tmp/names.txt".to_owned(),
        ),
        (
            "find_exec",
            "find . -name '*.rs' -exec wc -l {} +".to_owned(),
        ),
        (
            "for_loop_subshell",
            "for d in crates/*/; do (cd \"$d\" && cargo fmt --check) || echo \"$d\"; done".to_owned(),
        ),
        (
            "sudo_bash_c",
            "sudo env X=1 bash -c \"\\rm -fr ~/tmp/cache\" && ls -la ~".to_owned(),
        ),
    ]
}

/// About 300 lines (~10 KB) of an ordinary build script.
fn build_script() -> String {
    let mut script = String::from("set -euo pipefail\nROOT=/home/dev/app\nOUT=\"$ROOT/dist\"\n");
    let mut block = 0;
    while script.len() < 10_000 {
        let _ = write!(
            script,
            "# step {block}\n\
             mkdir -p \"$OUT/part{block}\"\n\
             for f in src/part{block}/*.c; do\n\
             \x20 gcc -O2 -c \"$f\" -o \"$OUT/part{block}/$(basename \"$f\" .c).o\"\n\
             done\n\
             if [ -f \"config{block}.ini\" ]; then\n\
             \x20 cp config{block}.ini \"$OUT/part{block}/\"\n\
             else\n\
             \x20 echo \"no config for part {block}\" > \"$OUT/part{block}/README\"\n\
             fi\n\
             COUNT=$(ls \"$OUT/part{block}\" | wc -l)\n\
             echo \"part {block}: $COUNT files\" >> \"$OUT/build.log\"\n"
        );
        block += 1;
    }
    script
}

/// About 10 KB of Rust source.
fn rust_source() -> String {
    let mut source = String::from("use std::collections::HashMap;\n\n");
    let mut n = 0;
    while source.len() < 10_000 {
        let _ = write!(
            source,
            "/// Adds {n} to every value.\n\
             pub fn add_{n}(values: &mut HashMap<String, i64>) {{\n\
             \x20   for value in values.values_mut() {{\n\
             \x20       *value += {n};\n\
             \x20   }}\n\
             }}\n\n"
        );
        n += 1;
    }
    source
}

fn heredocs() -> Vec<(&'static str, String)> {
    vec![
        (
            "bash_script",
            format!("bash <<'EOF'\n{}EOF\n", build_script()),
        ),
        (
            "cat_rust_source",
            format!("cat > src/generated.rs <<'EOF'\n{}EOF\n", rust_source()),
        ),
    ]
}

fn pathological() -> Vec<(&'static str, String)> {
    vec![
        ("echo_10mb", format!("echo {}", "a".repeat(10 << 20))),
        (
            "nested_subst_100k",
            format!("{}{}", "$(".repeat(100_000), ")".repeat(100_000)),
        ),
        (
            "heredoc_5mb_bash",
            format!(
                "bash <<'EOF'\n{}EOF\n",
                "echo hello world\n".repeat((5 << 20) / 17)
            ),
        ),
        ("true_100k", vec!["true"; 100_000].join(";")),
        // 30,000 tokens: within the budget of one call, analysed in full.
        ("true_15k", vec!["true"; 15_000].join(";")),
        ("parens_50k", "(".repeat(50_000)),
        // Exponential in brush-parser 0.4 (see fuzz/README.md); kept small enough
        // to measure. Each extra `(` costs ~x1.75, each extra `{` ~x2.2.
        ("unclosed_parens_16", "(".repeat(16)),
        ("unclosed_braces_10", format!("echo x{}x,x", "{".repeat(10))),
        // Functions analysed at each call (at most 256 kept, 16 calls each).
        ("functions_3k_called", {
            let mut line = String::new();
            for index in 0..3_000 {
                let _ = write!(line, "f{index}() {{ rm -f /tmp/f{index}; }}; ");
            }
            for index in 0..3_000 {
                let _ = write!(line, "f{index}; f{index}; ");
            }
            line
        }),
    ]
}

fn bench(c: &mut Criterion) {
    let context = context();

    let mut group = c.benchmark_group("typical");
    for (name, line) in typical() {
        group.bench_with_input(BenchmarkId::from_parameter(name), &line, |b, line| {
            b.iter(|| black_box(analyze_command_line(black_box(line), &context)));
        });
    }
    group.finish();

    let mut group = c.benchmark_group("heredoc_10k");
    for (name, line) in heredocs() {
        group.bench_with_input(BenchmarkId::from_parameter(name), &line, |b, line| {
            b.iter(|| black_box(analyze_command_line(black_box(line), &context)));
        });
    }
    group.finish();

    // Attribution: brush-parser alone on the slow inputs, to tell parsing from
    // Ward's walk.
    let mut group = c.benchmark_group("parse_only");
    group.sample_size(10);
    let mut inputs = heredocs();
    inputs.push(("bash_script_body", build_script()));
    inputs.push(("true_100k", vec!["true"; 100_000].join(";")));
    for (name, line) in inputs {
        group.bench_with_input(BenchmarkId::from_parameter(name), &line, |b, line| {
            b.iter(|| {
                let options = brush_parser::ParserOptions::default();
                black_box(brush_parser::Parser::new(line.as_bytes(), &options).parse_program())
            });
        });
    }
    group.finish();

    // What brush-parser's options and its two stages cost on the script body:
    // where a faster drive of the parser could come from.
    let mut group = c.benchmark_group("parser_drive");
    group.sample_size(20);
    let body = build_script();
    let default = brush_parser::ParserOptions::default();
    let variants = [
        ("default", default.clone()),
        (
            "no_extglob",
            brush_parser::ParserOptions {
                enable_extended_globbing: false,
                ..default.clone()
            },
        ),
        (
            "posix_sh",
            brush_parser::ParserOptions {
                posix_mode: true,
                sh_mode: true,
                ..default.clone()
            },
        ),
    ];
    for (name, options) in &variants {
        group.bench_function(BenchmarkId::new("parse_program", name), |b| {
            b.iter(|| {
                black_box(brush_parser::Parser::new(body.as_bytes(), options).parse_program())
            });
        });
    }
    let tokenizer_options = default.tokenizer_options();
    group.bench_function("tokenize_only", |b| {
        b.iter(|| {
            black_box(brush_parser::uncached_tokenize_str(
                black_box(&body),
                &tokenizer_options,
            ))
        });
    });
    if let Ok(tokens) = brush_parser::uncached_tokenize_str(&body, &tokenizer_options) {
        group.bench_function("parse_tokens_only", |b| {
            b.iter(|| black_box(brush_parser::parse_tokens(black_box(&tokens), &default)));
        });
    }
    group.finish();

    let mut group = c.benchmark_group("pathological");
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));
    for (name, line) in pathological() {
        group.bench_with_input(BenchmarkId::from_parameter(name), &line, |b, line| {
            b.iter(|| black_box(analyze_command_line(black_box(line), &context)));
        });
    }
    group.finish();
}

/// On-CPU time of this thread in nanoseconds (scheduler accounting, updated at
/// each tick): immune to the waits a loaded machine adds to wall time.
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|stat| stat.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// `WARD_BENCH_CPU=SECONDS`: for each input, CPU time per analysis over runs of
/// about SECONDS of CPU each (three runs), printed as min/median/max. On a machine
/// shared with other builds, criterion's wall-clock ranges for the same binary
/// moved by ±40% between runs; CPU time over long runs moves far less, which is
/// what comparing two versions of the walker needs.
#[expect(clippy::print_stdout, reason = "the report is this mode's output")]
fn cpu_time(seconds: f64) {
    let context = context();
    let mut inputs = typical();
    inputs.extend(heredocs());
    for (name, line) in inputs {
        let mut per_call = Vec::new();
        for _ in 0..3 {
            let start = thread_cpu_ns();
            let mut calls = 0u64;
            while (thread_cpu_ns() - start) as f64 / 1e9 < seconds {
                for _ in 0..16 {
                    black_box(analyze_command_line(black_box(&line), &context));
                }
                calls += 16;
            }
            per_call.push((thread_cpu_ns() - start) as f64 / calls as f64 / 1e3);
        }
        per_call.sort_by(f64::total_cmp);
        println!(
            "cpu {name:<20} {:>9.2} {:>9.2} {:>9.2} us",
            per_call[0], per_call[1], per_call[2]
        );
    }
}

fn main() {
    if let Some(seconds) = std::env::var("WARD_BENCH_CPU")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        cpu_time(seconds);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}

criterion_group!(benches, bench);
