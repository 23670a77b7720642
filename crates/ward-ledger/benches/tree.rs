//! The Merkle tree's costs: the batch append path (records hashed, chained, added to
//! the tree and committed), an inclusion proof, a consistency proof, and `verify`.
//!
//! `cargo bench -p ward-ledger --bench tree`. Targets (issue 4): batch append
//! ≥ 50,000 records/s; an inclusion proof ≤ 1 ms; verify of 1,000,000 records ≤ 5 s
//! (measured here on `WARD_BENCH_VERIFY_RECORDS`, default 100,000, and scaled).

#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "a bench fails by panicking and prints its figures"
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ward_ledger::Ledger;

mod support;
use support::record;

/// Fills a ledger with `count` records in batches of 10,000.
fn fill(ledger: &mut Ledger, count: u64) {
    let mut next = 0;
    while next < count {
        let end = (next + 10_000).min(count);
        ledger
            .append_all((next..end).map(|index| record(index, 16)).collect())
            .unwrap();
        next = end;
    }
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut ledger = Ledger::open(&dir.path().join("tree.db")).unwrap();
    fill(&mut ledger, 100_000);

    let batch_size: u64 = std::env::var("WARD_BENCH_BATCH")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(1_000);
    let mut group = c.benchmark_group("batch_append");
    group.throughput(Throughput::Elements(batch_size));
    let mut index = 1_000_000;
    group.bench_function(format!("{batch_size}_records"), |b| {
        b.iter(|| {
            let batch = (index..index + batch_size)
                .map(|index| record(index, 16))
                .collect();
            index += batch_size;
            black_box(ledger.append_all(batch).unwrap());
        });
    });
    group.finish();

    let size = ledger.tree_size().unwrap();
    let mut group = c.benchmark_group("proofs");
    let mut seq = 1;
    group.bench_function("inclusion", |b| {
        b.iter(|| {
            seq = seq * 7919 % size + 1;
            black_box(ledger.inclusion_proof(seq, None).unwrap());
        });
    });
    group.bench_function("consistency", |b| {
        b.iter(|| {
            seq = seq * 7919 % size + 1;
            black_box(ledger.consistency_proof(seq, size).unwrap());
        });
    });
    group.finish();
    drop(ledger);

    // verify is one long pass; timed directly rather than sampled.
    let records: u64 = std::env::var("WARD_BENCH_VERIFY_RECORDS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(100_000);
    let mut ledger = Ledger::open(&dir.path().join("verify.db")).unwrap();
    fill(&mut ledger, records);
    let started = Instant::now();
    let report = ledger.verify(&mut |_, _| {}).unwrap();
    let took = started.elapsed();
    assert!(report.ok, "{:?}", report.problems);
    let per_million = took.as_secs_f64() * 1_000_000.0 / records as f64;
    println!(
        "verify: {records} records in {:.2} s ({per_million:.2} s per million records)",
        took.as_secs_f64()
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    targets = bench
}
criterion_main!(benches);
