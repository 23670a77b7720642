//! Delivery from a real ledger to test sinks: order, batching, cursors, failures
//! and backoff (with an injected clock), and the webhook against a local server.

use std::cell::{Cell, RefCell};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use ed25519_dalek::SigningKey;
use jiff::Timestamp;
use serde_json::{Value, json};
use ward_core::policy::{HeaderValue, Layer, SinkConfig, SinkTarget};
use ward_ledger::{
    Ledger, Outcome, RECORD_VERSION, Record, Reference, Request, Resource, Role, Rules,
};

use super::*;

struct FixedClock(Cell<Timestamp>);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0.get()
    }
}

fn at(text: &str) -> FixedClock {
    FixedClock(Cell::new(text.parse().unwrap()))
}

/// A sink that keeps what it gets, and fails while `down` is set.
#[derive(Default)]
struct Recorder {
    batches: RefCell<Vec<Vec<Evidence>>>,
    down: Cell<bool>,
}

impl Sink for Recorder {
    fn deliver(&self, batch: &[Evidence]) -> Result<(), SinkError> {
        if self.down.get() {
            return Err(SinkError::Status {
                status: 503,
                body: String::new(),
            });
        }
        self.batches.borrow_mut().push(batch.to_vec());
        Ok(())
    }
}

impl Recorder {
    fn ids(&self) -> Vec<String> {
        self.batches
            .borrow()
            .iter()
            .flatten()
            .map(|event| event.id().to_owned())
            .collect()
    }
}

fn config(batch_size: usize) -> SinkConfig {
    SinkConfig {
        id: "test".to_owned(),
        target: SinkTarget::Jsonl {
            path: "/dev/null".to_owned(),
        },
        outcomes: true,
        checkpoints: true,
        notices: false,
        deny_severity: ward_core::Severity::High,
        timeout_ms: 1_000,
        batch_size,
        layer: Layer::User,
        file: "policy.toml".to_owned(),
        line: 0,
    }
}

fn record(event: &str, tool_use_id: Option<&str>, time: &str) -> Record {
    Record {
        version: RECORD_VERSION,
        time: time.to_owned(),
        rules: Rules {
            policy_hash: "ab".repeat(32),
            preset: None,
            enforce: true,
            matched: Vec::new(),
        },
        role: Role {
            agent: "claude-code".to_owned(),
            session_id: "s1".to_owned(),
            subagent_id: None,
            subagent_type: None,
            permission_mode: None,
            os_user: None,
            host_key_id: Some("00112233aabbccdd".to_owned()),
        },
        request: Request {
            event: event.to_owned(),
            tool: tool_use_id.map(|_| "Bash".to_owned()),
            category: None,
            categories: Vec::new(),
            targets: Vec::new(),
            programs: Vec::new(),
            findings: Vec::new(),
            tags: Vec::new(),
            opaque: false,
            notes: Vec::new(),
            input_digest: tool_use_id.map(|id| format!("sha256:{id}")),
            input: Value::Null,
            cwd: "/work".to_owned(),
            tool_use_id: tool_use_id.map(str::to_owned),
        },
        reference: Reference::default(),
        resource: Resource::default(),
        result: Outcome::default(),
    }
}

/// Appends a call: its pre record (decided `decision`) and its outcome.
fn call(ledger: &mut Ledger, id: &str, decision: Option<&str>) {
    let mut pre = record("PreToolUse", Some(id), "2026-01-01T00:00:00.000000Z");
    pre.result.decision = decision.map(str::to_owned);
    pre.rules.matched = decision.map(|_| vec!["r1".to_owned()]).unwrap_or_default();
    ledger.append(pre).unwrap();
    let mut post = record("PostToolUse", Some(id), "2026-01-01T00:00:01.000000Z");
    post.result.outcome = Some("success".to_owned());
    post.result.output_digest = Some(format!("sha256:out-{id}"));
    post.resource.output_bytes = Some(12);
    post.resource.duration_ms = Some(1_000);
    ledger.append(post).unwrap();
}

fn prompt(ledger: &mut Ledger) {
    ledger
        .append(record(
            "UserPromptSubmit",
            None,
            "2026-01-01T00:00:00.000000Z",
        ))
        .unwrap();
}

fn sign(ledger: &mut Ledger) {
    ledger
        .sign_checkpoint(
            &SigningKey::from_bytes(&[3; 32]),
            "ward/00112233aabbccdd",
            &[],
        )
        .unwrap();
}

struct World {
    _dir: tempfile::TempDir,
    ledger: Ledger,
    states: StateDir,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(&dir.path().join("ledger.db")).unwrap();
    let states = StateDir::new(dir.path().join("sinks"));
    World {
        _dir: dir,
        ledger,
        states,
    }
}

fn run(
    world: &World,
    config: &SinkConfig,
    sink: &dyn Sink,
    clock: &dyn Clock,
    options: &Options,
) -> Report {
    deliver(
        &world.ledger,
        config,
        sink,
        &world.states,
        clock,
        options,
        &mut |_| {},
    )
    .unwrap()
}

#[test]
fn outcomes_and_checkpoints_go_out_in_ledger_order_once() {
    let mut w = world();
    prompt(&mut w.ledger); // 1
    call(&mut w.ledger, "a", Some("warn")); // 2, 3
    sign(&mut w.ledger); // checkpoint of 3
    call(&mut w.ledger, "b", None); // 4, 5
    let sink = Recorder::default();
    let clock = at("2026-01-02T00:00:00Z");
    let report = run(&w, &config(100), &sink, &clock, &Options::default());
    assert_eq!(report.finish, Finish::UpToDate);
    assert_eq!(report.delivered, 3);
    let batches = sink.batches.borrow();
    let events: Vec<Value> = batches[0]
        .iter()
        .map(|event| serde_json::to_value(event).unwrap())
        .collect();
    assert_eq!(events[0]["type"], "outcome");
    assert_eq!(events[0]["seq"], 3);
    assert_eq!(events[0]["decision"], "warn");
    assert_eq!(events[0]["matched_rules"], json!(["r1"]));
    assert_eq!(events[0]["pre_seq"], 2);
    assert_eq!(events[0]["pre_time"], "2026-01-01T00:00:00.000000Z");
    assert_eq!(events[0]["time"], "2026-01-01T00:00:01.000000Z");
    assert_eq!(events[0]["input_digest"], "sha256:a");
    assert_eq!(events[0]["output_digest"], "sha256:out-a");
    assert_eq!(events[0]["duration_ms"], 1_000);
    assert_eq!(events[0]["host_key_id"], "00112233aabbccdd");
    let hash = w.ledger.record(3).unwrap().unwrap().hash;
    assert_eq!(events[0]["id"], format!("record:{hash}"));
    assert_eq!(events[0]["record_hash"], hash);
    assert_eq!(events[1]["type"], "checkpoint");
    assert_eq!(events[1]["id"], "checkpoint:ward/00112233aabbccdd:3");
    assert_eq!(events[1]["tree_size"], 3);
    assert_eq!(events[1]["root"].as_str().unwrap().len(), 64);
    assert!(
        events[1]["note"]
            .as_str()
            .unwrap()
            .starts_with("ward/00112233aabbccdd\n3\n")
    );
    assert_eq!(events[2]["seq"], 5);
    assert_eq!(events[2]["decision"], Value::Null);
    drop(batches);
    assert_eq!(report.state.record_seq, 5);
    assert_eq!(report.state.checkpoint_size, 3);

    // Nothing new: nothing delivered again.
    let again = run(&w, &config(100), &sink, &clock, &Options::default());
    assert_eq!((again.delivered, again.finish), (0, Finish::UpToDate));
    assert_eq!(sink.ids().len(), 3);
}

#[test]
fn batches_are_cut_at_the_batch_size_and_resume_where_they_stopped() {
    let mut w = world();
    for index in 0..5 {
        call(&mut w.ledger, &format!("c{index}"), None);
    }
    let sink = Recorder::default();
    let clock = at("2026-01-02T00:00:00Z");
    let report = run(&w, &config(2), &sink, &clock, &Options::default());
    assert_eq!(report.batches, 3);
    let sizes: Vec<usize> = sink.batches.borrow().iter().map(Vec::len).collect();
    assert_eq!(sizes, [2, 2, 1]);
    let seqs: Vec<u64> = sink
        .batches
        .borrow()
        .iter()
        .flatten()
        .map(|event| match event {
            Evidence::Outcome(outcome) => outcome.seq,
            Evidence::Checkpoint(_) | Evidence::Notice(_) => 0,
        })
        .collect();
    assert_eq!(seqs, [2, 4, 6, 8, 10]);
}

#[test]
fn a_failure_keeps_the_cursor_and_backs_off_then_everything_arrives_once() {
    let mut w = world();
    call(&mut w.ledger, "a", None);
    let sink = Recorder::default();
    sink.down.set(true);
    let clock = at("2026-01-02T00:00:00Z");
    let options = Options {
        respect_backoff: true,
        random: 0,
        ..Options::default()
    };
    let report = run(&w, &config(100), &sink, &clock, &options);
    assert_eq!(
        report.finish,
        Finish::Failed {
            error: "the receiver answered HTTP 503".to_owned(),
            next_attempt: "2026-01-02T00:00:00.500000Z".to_owned(),
        }
    );
    assert_eq!(report.state.record_seq, 0);
    assert_eq!(report.state.attempts, 1);

    // More records arrive while the receiver is down; a second failure doubles the wait.
    call(&mut w.ledger, "b", None);
    clock.0.set("2026-01-02T00:00:01Z".parse().unwrap());
    let report = run(&w, &config(100), &sink, &clock, &options);
    assert_eq!(report.state.attempts, 2);
    assert_eq!(
        report.state.next_attempt.as_deref(),
        Some("2026-01-02T00:00:02.000000Z")
    );

    // The receiver is back, but a background run waits for the next attempt.
    sink.down.set(false);
    let report = run(&w, &config(100), &sink, &clock, &options);
    assert_eq!(
        report.finish,
        Finish::Deferred {
            next_attempt: "2026-01-02T00:00:02.000000Z".to_owned()
        }
    );
    assert!(sink.ids().is_empty());

    // Once it is due, everything goes, in order, and the failure is cleared.
    clock.0.set("2026-01-02T00:00:02Z".parse().unwrap());
    let report = run(&w, &config(100), &sink, &clock, &options);
    assert_eq!(report.finish, Finish::UpToDate);
    assert_eq!(report.delivered, 2);
    assert_eq!(report.state.attempts, 0);
    assert_eq!(report.state.last_error, None);
    assert_eq!(report.state.next_attempt, None);
    let hashes: Vec<String> = [2, 4]
        .iter()
        .map(|seq| format!("record:{}", w.ledger.record(*seq).unwrap().unwrap().hash))
        .collect();
    assert_eq!(sink.ids(), hashes);
}

#[test]
fn deliver_now_ignores_the_backoff() {
    let mut w = world();
    call(&mut w.ledger, "a", None);
    let sink = Recorder::default();
    sink.down.set(true);
    let clock = at("2026-01-02T00:00:00Z");
    run(&w, &config(100), &sink, &clock, &Options::default());
    sink.down.set(false);
    let report = run(&w, &config(100), &sink, &clock, &Options::default());
    assert_eq!(report.delivered, 1);
}

#[test]
fn a_spent_budget_stops_before_the_next_batch() {
    let mut w = world();
    call(&mut w.ledger, "a", None);
    let sink = Recorder::default();
    let clock = at("2026-01-02T00:00:00Z");
    let options = Options {
        deadline: Some("2026-01-01T00:00:00Z".parse().unwrap()),
        ..Options::default()
    };
    let report = run(&w, &config(100), &sink, &clock, &options);
    assert_eq!(report.finish, Finish::OutOfTime);
    assert!(sink.ids().is_empty());
    assert_eq!(report.state.record_seq, 0);
}

#[test]
fn a_sink_gets_only_the_events_it_asked_for_and_the_backlog_counts_them() {
    let mut w = world();
    call(&mut w.ledger, "a", None);
    sign(&mut w.ledger);
    call(&mut w.ledger, "b", None);
    sign(&mut w.ledger);
    let clock = at("2026-01-02T00:00:00Z");

    let mut only_checkpoints = config(100);
    only_checkpoints.id = "checkpoints".to_owned();
    only_checkpoints.outcomes = false;
    let state = w.states.load("checkpoints").unwrap();
    assert_eq!(
        backlog(&w.ledger, &only_checkpoints, &state).unwrap(),
        Backlog {
            outcomes: 0,
            checkpoints: 2,
            notices: 0
        }
    );
    let sink = Recorder::default();
    run(&w, &only_checkpoints, &sink, &clock, &Options::default());
    assert_eq!(
        sink.ids(),
        [
            "checkpoint:ward/00112233aabbccdd:2",
            "checkpoint:ward/00112233aabbccdd:4"
        ]
    );

    let mut only_outcomes = config(100);
    only_outcomes.checkpoints = false;
    let state = w.states.load("test").unwrap();
    assert_eq!(
        backlog(&w.ledger, &only_outcomes, &state).unwrap(),
        Backlog {
            outcomes: 2,
            checkpoints: 0,
            notices: 0
        }
    );
    let sink = Recorder::default();
    run(&w, &only_outcomes, &sink, &clock, &Options::default());
    assert_eq!(sink.ids().len(), 2);
    assert!(sink.ids().iter().all(|id| id.starts_with("record:")));
    let state = w.states.load("test").unwrap();
    assert_eq!(
        backlog(&w.ledger, &only_outcomes, &state).unwrap(),
        Backlog::default()
    );
}

#[test]
fn long_stretches_without_outcomes_are_skipped_across_scans() {
    let mut w = world();
    let prompts = (0..2_500)
        .map(|_| record("UserPromptSubmit", None, "2026-01-01T00:00:00.000000Z"))
        .collect();
    w.ledger.append_all(prompts).unwrap();
    call(&mut w.ledger, "late", None);
    let sink = Recorder::default();
    let clock = at("2026-01-02T00:00:00Z");
    let report = run(&w, &config(100), &sink, &clock, &Options::default());
    assert_eq!(report.delivered, 1);
    assert_eq!(report.state.record_seq, 2_502);
}

#[test]
fn backoff_doubles_from_one_second_to_an_hour_with_up_to_half_jitter() {
    let backoff = Backoff::DEFAULT;
    assert_eq!(backoff.delay(1, 0), Duration::from_millis(500));
    assert_eq!(backoff.delay(1, 500), Duration::from_secs(1));
    assert_eq!(backoff.delay(1, 501), Duration::from_millis(500));
    assert_eq!(backoff.delay(2, 0), Duration::from_secs(1));
    assert_eq!(backoff.delay(4, 4_000), Duration::from_secs(8));
    assert_eq!(backoff.delay(13, 0), Duration::from_secs(1_800));
    assert_eq!(backoff.delay(40, u64::MAX), backoff.delay(13, u64::MAX));
    for attempts in 1..64 {
        for random in [0, 1, 12_345, u64::MAX] {
            let delay = backoff.delay(attempts, random);
            assert!(delay <= Duration::from_secs(3_600), "{attempts} {random}");
            assert!(delay >= Duration::from_millis(500), "{attempts} {random}");
        }
    }
}

/// A one-shot HTTP server on loopback: answers each request with the next
/// status of `statuses` and sends what it received (head, body) back.
fn server(statuses: Vec<u16>) -> (String, mpsc::Receiver<(String, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/ward", listener.local_addr().unwrap());
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for status in statuses {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = String::new();
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap();
                }
                if line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let answer = if status == 200 { "" } else { "overloaded\n" };
            let mut stream = stream;
            write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            )
            .unwrap();
            sender
                .send((head, String::from_utf8(body).unwrap()))
                .unwrap();
        }
    });
    (url, receiver)
}

pub(crate) fn checkpoint_event() -> Evidence {
    Evidence::checkpoint(&ward_ledger::StoredCheckpoint {
        tree_size: 1,
        note: "not a note".to_owned(),
        created_at: "2026-01-01T00:00:00.000000Z".to_owned(),
    })
}

#[test]
fn the_webhook_posts_the_batch_with_its_headers() {
    let (url, received) = server(vec![200]);
    let sink = WebhookSink::new(
        &url,
        vec![
            (
                "X-Source".to_owned(),
                HeaderValue::Literal("laptop".to_owned()),
            ),
            (
                "Authorization".to_owned(),
                HeaderValue::Env("PATH".to_owned()),
            ),
        ],
        Duration::from_secs(10),
    );
    sink.deliver(&[checkpoint_event()]).unwrap();
    let (head, body) = received.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(head.starts_with("POST /ward HTTP/1.1\r\n"), "{head}");
    let head = head.to_ascii_lowercase();
    assert!(
        head.contains("content-type: application/json\r\n"),
        "{head}"
    );
    assert!(head.contains("x-source: laptop\r\n"), "{head}");
    let path = std::env::var("PATH").unwrap().to_ascii_lowercase();
    assert!(
        head.contains(&format!("authorization: {path}\r\n")),
        "{head}"
    );
    assert!(head.contains("user-agent: ward/"), "{head}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["events"][0]["type"], "checkpoint");
    assert_eq!(body["events"][0]["id"], "checkpoint::1");
}

#[test]
fn the_webhook_reports_a_refusal_with_its_status_and_body() {
    let (url, _received) = server(vec![503]);
    let sink = WebhookSink::new(&url, Vec::new(), Duration::from_secs(10));
    let error = sink.deliver(&[checkpoint_event()]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the receiver answered HTTP 503: overloaded"
    );
}

#[test]
fn the_webhook_reports_an_unreachable_receiver_and_a_missing_variable() {
    // A port that was free a moment ago: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sink = WebhookSink::new(
        &format!("http://127.0.0.1:{port}/"),
        Vec::new(),
        Duration::from_secs(10),
    );
    let error = sink.deliver(&[checkpoint_event()]).unwrap_err();
    assert!(
        error.to_string().starts_with("cannot reach the receiver: "),
        "{error}"
    );

    let sink = WebhookSink::new(
        &format!("http://127.0.0.1:{port}/"),
        vec![(
            "Authorization".to_owned(),
            HeaderValue::Env("WARD_TEST_SURELY_UNSET_VARIABLE".to_owned()),
        )],
        Duration::from_secs(10),
    );
    let error = sink.deliver(&[checkpoint_event()]).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("header `Authorization` is read from the environment variable `WARD_TEST_SURELY_UNSET_VARIABLE`, which is not set"),
        "{error}"
    );
}

#[test]
fn a_replaced_ledger_stops_the_sink_instead_of_skipping_or_repeating() {
    let mut w = world();
    call(&mut w.ledger, "a", None);
    call(&mut w.ledger, "b", None);
    let sink = Recorder::default();
    let clock = at("2026-01-02T00:00:00Z");
    run(&w, &config(100), &sink, &clock, &Options::default());
    assert_eq!(sink.ids().len(), 2);

    // A fresh ledger in the same home, grown past the old cursor.
    let dir = tempfile::tempdir().unwrap();
    let mut fresh = Ledger::open(&dir.path().join("ledger.db")).unwrap();
    for id in ["x", "y", "z"] {
        call(&mut fresh, id, Some("deny"));
    }
    let report = deliver(
        &fresh,
        &config(100),
        &sink,
        &w.states,
        &clock,
        &Options::default(),
        &mut |_| {},
    )
    .unwrap();
    let Finish::Failed { error, .. } = &report.finish else {
        panic!("{report:?}");
    };
    assert!(
        error.starts_with(
            "the ledger no longer holds record 4 as this sink saw it (its hash differs)"
        ),
        "{error}"
    );
    assert_eq!(sink.ids().len(), 2);
    assert_eq!(report.state.record_seq, 4);

    // A shorter ledger is caught too.
    let dir = tempfile::tempdir().unwrap();
    let short = Ledger::open(&dir.path().join("ledger.db")).unwrap();
    let report = deliver(
        &short,
        &config(100),
        &sink,
        &w.states,
        &clock,
        &Options::default(),
        &mut |_| {},
    )
    .unwrap();
    assert!(
        matches!(&report.finish, Finish::Failed { error, .. } if error.contains("it has fewer records")),
        "{report:?}"
    );

    // Deleting the state, as the message says, delivers the new ledger from its start.
    std::fs::remove_file(w.states.file("test")).unwrap();
    let report = deliver(
        &fresh,
        &config(100),
        &sink,
        &w.states,
        &clock,
        &Options::default(),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(report.delivered, 3);
}

/// A `ward-host` record of `event` with `input`.
fn host(ledger: &mut Ledger, event: &str, input: Value) {
    let mut host = record(event, None, "2026-01-01T00:00:02.000000Z");
    host.role.session_id = "ward-host".to_owned();
    host.role.agent = "ward".to_owned();
    host.request.input = input;
    ledger.append(host).unwrap();
}

/// A denied call's pre record with the deciding rule's severity.
fn denied(ledger: &mut Ledger, id: &str, severity: Option<&str>, enforced: bool) {
    let mut pre = record("PreToolUse", Some(id), "2026-01-01T00:00:03.000000Z");
    pre.result.decision = Some("deny".to_owned());
    pre.result.enforced = enforced;
    pre.result.severity = severity.map(str::to_owned);
    pre.rules.matched = vec![format!("rule.{id}")];
    pre.request.input = json!({"command": format!("run {id}")});
    ledger.append(pre).unwrap();
}

#[test]
fn notices_are_the_host_records_and_the_severe_enforced_denies() {
    let mut w = world();
    call(&mut w.ledger, "ok", Some("allow"));
    host(
        &mut w.ledger,
        "ApprovalRequested",
        json!({"id": "apr-00000001", "rule": "team.deploy", "tool": "Bash",
               "summary": "terraform apply", "requester": "dev", "required": 2,
               "pool": "leads", "session": "s1", "expires_at": "2026-01-02T00:00:00Z"}),
    );
    denied(&mut w.ledger, "low", Some("medium"), true);
    denied(&mut w.ledger, "severe", Some("critical"), true);
    denied(&mut w.ledger, "dry-run", Some("critical"), false);
    // Ward failing closed has no rule severity: it counts as high.
    denied(&mut w.ledger, "broken", None, true);
    // An agent's event named like a host event is not one.
    let mut spoof = record("OverrideStarted", None, "2026-01-01T00:00:04.000000Z");
    spoof.request.input = json!({"id": "ovr-spoofed", "by": "agent"});
    w.ledger.append(spoof).unwrap();
    host(
        &mut w.ledger,
        "OverrideStarted",
        json!({"id": "ovr-00000001", "by": "alice", "reason": "restore",
               "expires_at": "2026-01-01T01:00:00Z", "scope": "all sessions"}),
    );

    let mut notices = config(100);
    notices.outcomes = false;
    notices.checkpoints = false;
    notices.notices = true;
    let state = w.states.load("test").unwrap();
    assert_eq!(
        backlog(&w.ledger, &notices, &state).unwrap(),
        Backlog {
            outcomes: 0,
            checkpoints: 0,
            notices: 4
        }
    );
    let sink = Recorder::default();
    let clock = at("2026-01-02T00:00:00Z");
    run(&w, &notices, &sink, &clock, &Options::default());
    let got: Vec<(String, String, Option<String>)> = sink
        .batches
        .borrow()
        .iter()
        .flatten()
        .map(|event| match event {
            Evidence::Notice(notice) => (
                notice.kind.clone(),
                notice.severity.to_string(),
                notice.rule.clone(),
            ),
            other => panic!("only notices expected: {other:?}"),
        })
        .collect();
    let expected = [
        ("approval_requested", "medium", Some("team.deploy")),
        ("deny", "critical", Some("rule.severe")),
        ("deny", "high", Some("rule.broken")),
        ("override_started", "high", None),
    ];
    let expected: Vec<(String, String, Option<String>)> = expected
        .iter()
        .map(|(kind, severity, rule)| {
            (
                (*kind).to_owned(),
                (*severity).to_owned(),
                rule.map(str::to_owned),
            )
        })
        .collect();
    assert_eq!(got, expected);
    let batches = sink.batches.borrow();
    let Evidence::Notice(request) = &batches[0][0] else {
        unreachable!()
    };
    assert_eq!(
        request.text,
        "Approval requested: apr-00000001 by dev for rule `team.deploy` (Bash: terraform \
         apply). It needs 2 approval(s) from pool `leads`. Approve with `ward approvals approve \
         apr-00000001` or deny with `ward approvals deny apr-00000001 --reason …` before \
         2026-01-02T00:00:00Z."
    );
    let Evidence::Notice(deny) = &batches[0][1] else {
        unreachable!()
    };
    assert_eq!(deny.details["summary"], "run severe");
    assert_eq!(deny.session_id.as_deref(), Some("s1"));

    // With the bar at critical, only the critical deny of the three is a notice.
    let mut critical = notices.clone();
    critical.id = "critical".to_owned();
    critical.deny_severity = ward_core::Severity::Critical;
    let state = w.states.load("critical").unwrap();
    assert_eq!(backlog(&w.ledger, &critical, &state).unwrap().notices, 3);
}

#[test]
fn a_slack_body_is_one_escaped_message_of_the_notices() {
    let mut w = world();
    host(
        &mut w.ledger,
        "OverrideEnded",
        json!({"id": "ovr-1", "by": "bob", "reason": "<!here> done & dusted"}),
    );
    denied(&mut w.ledger, "x", Some("critical"), true);
    let records = w
        .ledger
        .records(&ward_ledger::RecordFilter::default())
        .unwrap();
    let events: Vec<Evidence> = records
        .iter()
        .filter_map(|r| Evidence::notice(r, ward_core::Severity::High))
        .collect();
    let body: Value = serde_json::from_str(&WebhookSink::slack_body(&events).unwrap()).unwrap();
    let text = body["text"].as_str().unwrap();
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        [
            ":raised_hand: *Ward* Override ovr-1 ended early by bob: \"&lt;!here&gt; done &amp; \
             dusted\".",
            ":rotating_light: *Ward* Denied (critical) in session s1 of claude-code: Bash: run x. \
             no reason recorded",
        ]
    );
    assert_eq!(body.as_object().unwrap().len(), 1);
}
