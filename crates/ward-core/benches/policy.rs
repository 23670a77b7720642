//! Policy evaluation as the hook pays for it: a fresh process loads the layers,
//! analyses one call and evaluates every rule (globs and regexes compile lazily, so
//! the cold case is the one that matters), plus the warm case for long-lived users.

#![allow(clippy::expect_used, reason = "a benchmark may stop on a broken setup")]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use ward_core::policy::{Layer, Placeholders, Policy, PolicySource};
use ward_core::{AnalysisContext, Event, analyze};

fn placeholders() -> Placeholders {
    Placeholders {
        home: "/home/dev".to_owned(),
        ward_home: "/home/dev/.ward".to_owned(),
        project: "/home/dev/app".to_owned(),
        cwd: "/home/dev/app".to_owned(),
    }
}

fn event(tool: &str, input: serde_json::Value) -> Event {
    Event::pre_tool_use("claude-code", "bench", "/home/dev/app", tool, input)
}

fn calls() -> Vec<(&'static str, Event)> {
    vec![
        (
            "bash_benign",
            event(
                "Bash",
                json!({"command": "cargo test --workspace 2>&1 | tail -n 20"}),
            ),
        ),
        (
            "bash_dangerous",
            event("Bash", json!({"command": "cd /tmp && sudo rm -rf ~/"})),
        ),
        (
            "read",
            event("Read", json!({"file_path": "/home/dev/app/src/main.rs"})),
        ),
        (
            "write_env",
            event(
                "Write",
                json!({"file_path": "/home/dev/app/.env", "content": "X=1"}),
            ),
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let sources = [PolicySource {
        layer: Layer::User,
        path: "policy.toml".to_owned(),
        text: "preset = \"safety\"\n".to_owned(),
    }];
    let context = AnalysisContext {
        cwd: "/home/dev/app".to_owned(),
        home: "/home/dev".to_owned(),
        branch: None,
    };
    let mut group = c.benchmark_group("policy");
    for (name, event) in calls() {
        group.bench_function(format!("cold_load_analyse_evaluate/{name}"), |b| {
            b.iter(|| {
                let policy = Policy::load(&sources, &placeholders()).expect("policy loads");
                let action = analyze(&event, &context);
                black_box(
                    policy
                        .evaluate(&event, &action, jiff::Timestamp::UNIX_EPOCH)
                        .expect("evaluates"),
                )
            });
        });
        let policy = Policy::load(&sources, &placeholders()).expect("policy loads");
        group.bench_function(format!("warm_analyse_evaluate/{name}"), |b| {
            b.iter(|| {
                let action = analyze(&event, &context);
                black_box(
                    policy
                        .evaluate(&event, &action, jiff::Timestamp::UNIX_EPOCH)
                        .expect("evaluates"),
                )
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
