//! Many writers at once: nothing lost, no chain forked.

use std::collections::HashMap;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use ward_ledger::{
    Ledger, OpenOptions, RecordFilter, Stored, append_or_spool, append_queued, pending_spooled,
};

use crate::support::{hex, raw, record, reference_root, tool_call, verify};

const THREADS: usize = 16;
const APPENDS: usize = 100;
const SESSIONS: usize = 4;

#[test]
fn sixteen_writers_keep_every_record_and_every_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    drop(Ledger::open(&path).unwrap());
    // A long timeout: this test is about correctness under contention, and the
    // builders sharing this machine make lock waits long at times.
    let options = OpenOptions {
        busy_timeout: Duration::from_secs(60),
        ..OpenOptions::default()
    };
    let barrier = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|thread| {
            let (path, barrier) = (path.clone(), Arc::clone(&barrier));
            thread::spawn(move || {
                let mut ledger = Ledger::open_with(&path, options).unwrap();
                barrier.wait();
                for index in 0..APPENDS {
                    let session = format!("session-{}", (thread + index) % SESSIONS);
                    let id = format!("t{thread}-{index}");
                    let event = if index % 2 == 0 {
                        "PreToolUse"
                    } else {
                        "PostToolUse"
                    };
                    ledger
                        .append(tool_call(&session, event, "Bash", &id))
                        .unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }

    let ledger = Ledger::open(&path).unwrap();
    let records = ledger.records(&RecordFilter::default()).unwrap();
    assert_eq!(records.len(), THREADS * APPENDS);
    let seqs: Vec<u64> = records.iter().map(|stored| stored.seq).collect();
    assert_eq!(
        seqs,
        (1..=(THREADS * APPENDS) as u64).collect::<Vec<_>>(),
        "gap-free seq"
    );
    // Every session is one unbroken chain.
    let mut heads: HashMap<String, (u64, String)> = HashMap::new();
    for stored in &records {
        let reference = &stored.record.reference;
        let head = heads.get(&stored.record.role.session_id);
        assert_eq!(reference.session_seq, head.map_or(1, |head| head.0 + 1));
        assert_eq!(reference.prev_hash.as_ref(), head.map(|head| &head.1));
        heads.insert(
            stored.record.role.session_id.clone(),
            (reference.session_seq, stored.hash.clone()),
        );
    }
    assert_eq!(heads.len(), SESSIONS);
    let report = verify(&ledger);
    assert!(report.ok, "{:#?}", report.problems);
    assert_eq!(
        (report.records, report.sessions),
        ((THREADS * APPENDS) as u64, SESSIONS as u64)
    );
    // One tree over all of them, equal to one computed independently, with one
    // leaf per record: none lost, none doubled.
    let bodies: Vec<Vec<u8>> = records
        .iter()
        .map(|stored| stored.body.clone().into_bytes())
        .collect();
    assert_eq!(report.tree_root, hex(&reference_root(&bodies)));
    let leaves: u64 = raw(&path)
        .query_row(
            "SELECT count(*) FROM merkle_nodes WHERE level = 0",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(leaves, (THREADS * APPENDS) as u64);
}

#[test]
fn writers_that_give_up_spool_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    drop(Ledger::open(&path).unwrap());
    // A 1 ms timeout under contention: many appends give up and spool.
    let options = OpenOptions {
        busy_timeout: Duration::from_millis(1),
        ..OpenOptions::default()
    };
    let threads: Vec<_> = (0..8)
        .map(|thread| {
            let path = path.clone();
            thread::spawn(move || {
                let mut spooled = 0;
                for index in 0..40 {
                    let mut pre =
                        tool_call("s", "PreToolUse", "Bash", &format!("t{thread}-{index}"));
                    pre.request.input = serde_json::json!({"thread": thread, "index": index});
                    match append_or_spool(&path, options, pre).unwrap() {
                        Stored::Committed(_) => {}
                        Stored::Spooled { .. } => spooled += 1,
                        Stored::Queued { .. } => panic!("append_or_spool never queues"),
                    }
                }
                spooled
            })
        })
        .collect();
    let spooled: usize = threads
        .into_iter()
        .map(|thread| thread.join().unwrap())
        .sum();

    let mut ledger = Ledger::open(&path).unwrap();
    ledger.append(record("s", "Stop")).unwrap();
    assert_eq!(pending_spooled(&path).unwrap(), 0);
    assert_eq!(
        ledger.count().unwrap(),
        8 * 40 + 1,
        "{spooled} were spooled"
    );
    // Each thread's records are in the ledger in the order it wrote them.
    let records = ledger.records(&RecordFilter::default()).unwrap();
    for thread in 0..8 {
        let order: Vec<u64> = records
            .iter()
            .filter(|stored| stored.record.request.input["thread"] == thread)
            .map(|stored| stored.record.request.input["index"].as_u64().unwrap())
            .collect();
        assert_eq!(
            order,
            (0..40).collect::<Vec<_>>(),
            "thread {thread}: once each, in order"
        );
    }
    let report = verify(&ledger);
    assert!(report.ok, "{:#?}", report.problems);
}

#[test]
fn concurrent_first_opens_migrate_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    let barrier = Arc::new(Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|thread| {
            let (path, barrier) = (path.clone(), Arc::clone(&barrier));
            thread::spawn(move || {
                barrier.wait();
                let mut ledger = Ledger::open(&path).unwrap();
                ledger
                    .append(record(&format!("s{thread}"), "SessionStart"))
                    .unwrap();
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let ledger = Ledger::open(&path).unwrap();
    assert_eq!(ledger.count().unwrap(), 8);
    assert!(verify(&ledger).ok);
}

/// The hook's path: writers append to the journal while ingesters move it into the
/// ledger at the same time. Every record arrives exactly once, each writer's records
/// in the order it wrote them, and the chains verify.
#[test]
fn journal_writers_and_concurrent_ingests_lose_and_duplicate_nothing() {
    const WRITERS: usize = 8;
    const EACH: usize = 60;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    drop(Ledger::open(&path).unwrap());
    let options = OpenOptions {
        busy_timeout: Duration::from_secs(60),
        ..OpenOptions::default()
    };
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let ingesters: Vec<_> = (0..2)
        .map(|_| {
            let (path, done) = (path.clone(), Arc::clone(&done));
            thread::spawn(move || {
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    let mut ledger = Ledger::open_with(&path, options).unwrap();
                    ledger.ingest_pending().unwrap();
                    thread::sleep(Duration::from_millis(3));
                }
            })
        })
        .collect();
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let path = path.clone();
            thread::spawn(move || {
                for index in 0..EACH {
                    let mut pre =
                        tool_call("j", "PreToolUse", "Bash", &format!("w{writer}-{index}"));
                    pre.request.input = serde_json::json!({"writer": writer, "index": index});
                    let flush = index == EACH - 1 && writer == 0;
                    match append_queued(&path, options, pre, flush).unwrap() {
                        Stored::Queued { .. } => {}
                        other => panic!("the journal was writable, yet: {other:?}"),
                    }
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    for ingester in ingesters {
        ingester.join().unwrap();
    }
    let mut ledger = Ledger::open_with(&path, options).unwrap();
    ledger.ingest_pending().unwrap();
    assert_eq!(pending_spooled(&path).unwrap(), 0);
    let records = ledger.records(&RecordFilter::default()).unwrap();
    assert_eq!(records.len(), WRITERS * EACH, "every record exactly once");
    let mut next: HashMap<u64, u64> = HashMap::new();
    for stored in &records {
        let input = &stored.record.request.input;
        let writer = input["writer"].as_u64().unwrap();
        let index = input["index"].as_u64().unwrap();
        let expected = next.entry(writer).or_insert(0);
        assert_eq!(index, *expected, "writer {writer}'s records in order");
        *expected += 1;
    }
    verify(&ledger);
}
