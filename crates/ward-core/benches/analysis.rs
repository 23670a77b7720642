//! Shell analysis as the hook pays for it: typical agent command lines, ~10 KB
//! scripts fed by heredoc, and pathological lines an agent (or an attacker steering
//! one) could send. Targets: typical ≤ 50 µs, heredoc_10k ≤ 500 µs, pathological
//! ≤ 50 ms each.
//!
//! `cargo bench -p ward-core --bench analysis -- --warm-up-time 1 --measurement-time 3`

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
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

criterion_group!(benches, bench);
criterion_main!(benches);
