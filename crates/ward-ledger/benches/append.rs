//! The hook's hot path: open the ledger, append one record, close it.
//!
//! `open_append_close` opens a fresh `Ledger` per iteration, as the hook process does;
//! `append` appends on one open ledger. Each configuration gets its own warm ledger
//! (2000 records in four sessions, checkpointed) in a temporary folder, and the mean
//! includes the amortised cost of the checkpoints. The numbers and the choice they
//! led to are in the docs of `OpenOptions`.

#![allow(clippy::unwrap_used, reason = "a bench fails by panicking")]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ward_ledger::{Ledger, OpenOptions, Synchronous};

mod support;
use support::record;

/// A ledger with `records` records, checkpointed, as a long-used one would be.
fn warm_ledger(dir: &Path, name: &str, records: u64) -> PathBuf {
    let path = dir.join(format!("{name}.db"));
    let fast = OpenOptions {
        synchronous: Synchronous::Normal,
        ..OpenOptions::default()
    };
    let mut ledger = Ledger::open_with(&path, fast).unwrap();
    for index in 0..records {
        ledger.append(record(index, 4)).unwrap();
    }
    ledger.checkpoint().unwrap();
    path
}

/// The two durability settings at the default checkpoint bound, then the bound's
/// alternatives (all with `synchronous = FULL`).
fn configurations() -> Vec<(&'static str, OpenOptions)> {
    let with = |synchronous, checkpoint_pages| OpenOptions {
        synchronous,
        checkpoint_pages,
        ..OpenOptions::default()
    };
    vec![
        ("full", OpenOptions::default()),
        ("normal", with(Synchronous::Normal, 64)),
        ("full_checkpoint_pages_16", with(Synchronous::Full, 16)),
        ("full_checkpoint_pages_256", with(Synchronous::Full, 256)),
    ]
}

fn open_append_close(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("open_append_close");
    for (name, options) in configurations() {
        let path = warm_ledger(dir.path(), name, 2000);
        let mut index = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                index += 1;
                let mut ledger = Ledger::open_with(&path, options).unwrap();
                black_box(ledger.append(record(index, 4)).unwrap());
                drop(ledger);
            });
        });
    }
    group.finish();
}

/// What the bound is for: with only SQLite's own checkpoint (PASSIVE, at 1000 pages),
/// the WAL never restarts when every connection is short-lived, and each open
/// rebuilds the WAL index from all of it. The mean depends on how long this runs; it
/// only grows.
fn open_append_close_unbounded_wal(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("open_append_close");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    let options = OpenOptions {
        checkpoint_pages: 0,
        ..OpenOptions::default()
    };
    let path = warm_ledger(dir.path(), "unbounded", 2000);
    let mut index = 0;
    group.bench_function("full_sqlite_checkpoint_only", |b| {
        b.iter(|| {
            index += 1;
            let mut ledger = Ledger::open_with(&path, options).unwrap();
            black_box(ledger.append(record(index, 4)).unwrap());
            drop(ledger);
        });
    });
    group.finish();
}

fn append(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let mut group = c.benchmark_group("append");
    for (name, options) in configurations().into_iter().take(2) {
        let path = warm_ledger(dir.path(), name, 2000);
        let mut ledger = Ledger::open_with(&path, options).unwrap();
        let mut index = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                index += 1;
                black_box(ledger.append(record(index, 4)).unwrap());
            });
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(40)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(6));
    targets = open_append_close, append, open_append_close_unbounded_wal
}
criterion_main!(benches);
