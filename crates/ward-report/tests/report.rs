//! Reports over a fixed ledger: two projects, two users, three days, decisions of
//! every kind, a subagent, failures, an approval and an override. Every format
//! is snapshotted; the HTML is parsed as HTML; the JSON's fields are documented.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use std::collections::BTreeSet;

use serde_json::{Value, json};
use ward_ledger::{Ledger, Record};
use ward_report::{Report, Scope};

const SHOP: &str = "6a1f0c2e-1111-4c2d-9e2a-000000000001";
const BLOG: &str = "6a1f0c2e-2222-4c2d-9e2a-000000000002";

/// A record: `base` patched with `patch` (objects merge, other values replace).
fn record(patch: Value) -> Record {
    let mut base = json!({
        "version": 1,
        "time": "2026-11-20T09:00:00.000000Z",
        "rules": {"policy_hash": "ab".repeat(32), "preset": "safety", "enforce": true, "matched": []},
        "role": {"agent": "claude-code", "session_id": SHOP, "os_user": "alice", "host_key_id": "00112233aabbccdd"},
        "request": {"event": "PreToolUse", "categories": [], "targets": [], "programs": [],
                    "findings": [], "tags": [], "opaque": false, "notes": [], "input": {},
                    "cwd": "/work/shop"},
        "reference": {"seq": 0, "session_seq": 0},
        "resource": {"input_bytes": 10},
        "result": {"enforced": false}
    });
    merge(&mut base, patch);
    serde_json::from_value(base).unwrap()
}

fn merge(base: &mut Value, patch: Value) {
    match (base, patch) {
        (Value::Object(base), Value::Object(patch)) => {
            for (key, value) in patch {
                merge(base.entry(key).or_insert(Value::Null), value);
            }
        }
        (base, patch) => *base = patch,
    }
}

/// A tool call's pre record.
fn call(time: &str, session: &str, tool: &str, category: &str, decided: Option<Value>) -> Record {
    let cwd = if session == SHOP {
        "/work/shop"
    } else {
        "/work/blog"
    };
    let user = if session == SHOP { "alice" } else { "bob" };
    let mut patch = json!({
        "time": time,
        "role": {"session_id": session, "os_user": user},
        "request": {"tool": tool, "category": category, "cwd": cwd, "tool_use_id": format!("toolu_{time}")},
    });
    if let Some(decided) = decided {
        merge(&mut patch, decided);
    }
    record(patch)
}

fn decided(decision: &str, rule: &str, severity: &str, target: &str) -> Value {
    json!({
        "rules": {"matched": [rule]},
        "request": {"targets": [{"path": target, "kind": "delete"}]},
        "result": {"decision": decision, "severity": severity, "enforced": true,
                   "reason": format!("Ward rule `{rule}`: because.")}
    })
}

fn host(time: &str, event: &str, input: Value) -> Record {
    record(json!({
        "time": time,
        "role": {"agent": "ward", "session_id": "ward-host", "os_user": "alice"},
        "request": {"event": event, "input": input, "cwd": "/"},
    }))
}

/// The fixture ledger, in a temporary directory that lives as long as the ledger.
fn fixture() -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let mut ledger = Ledger::open(&dir.path().join("ledger.db")).unwrap();
    let records = vec![
        host(
            "2026-11-19T08:00:00.000000Z",
            "HostIdentity",
            json!({"key_id": "00112233aabbccdd"}),
        ),
        // Day 1, the shop: reads, a warned push, a denied delete of the home.
        call(
            "2026-11-19T09:00:00.000000Z",
            SHOP,
            "Read",
            "file_read",
            None,
        ),
        record(
            json!({"time": "2026-11-19T09:00:01.000000Z", "request": {"event": "PostToolUse", "tool": "Read"}, "result": {"outcome": "success"}}),
        ),
        call(
            "2026-11-19T09:05:00.000000Z",
            SHOP,
            "Bash",
            "command",
            Some(decided("warn", "git.force-push", "low", "/work/shop")),
        ),
        call(
            "2026-11-19T10:00:00.000000Z",
            SHOP,
            "Bash",
            "file_delete",
            Some(decided("deny", "fs.delete-home", "critical", "/home/alice")),
        ),
        // Day 2, the blog: a failing test run, an interrupted one, an ask, a subagent.
        call("2026-11-20T14:00:00.000000Z", BLOG, "Bash", "command", None),
        record(
            json!({"time": "2026-11-20T14:00:05.000000Z", "role": {"session_id": BLOG, "os_user": "bob"},
                      "request": {"event": "PostToolUseFailure", "tool": "Bash", "cwd": "/work/blog"},
                      "result": {"outcome": "failure"}}),
        ),
        record(
            json!({"time": "2026-11-20T14:01:00.000000Z", "role": {"session_id": BLOG, "os_user": "bob"},
                      "request": {"event": "PostToolUseFailure", "tool": "Bash", "cwd": "/work/blog"},
                      "result": {"outcome": "interrupted"}}),
        ),
        call(
            "2026-11-20T14:10:00.000000Z",
            BLOG,
            "Read",
            "file_read",
            Some(decided(
                "ask",
                "secrets.credential-files",
                "medium",
                "/work/blog/.env",
            )),
        ),
        record(json!({"time": "2026-11-20T14:11:00.000000Z",
                      "role": {"session_id": BLOG, "os_user": "bob", "subagent_id": "agent-1", "subagent_type": "Explore"},
                      "request": {"tool": "Grep", "category": "file_read", "cwd": "/work/blog"}})),
        record(
            json!({"time": "2026-11-20T14:12:00.000000Z", "role": {"session_id": BLOG, "os_user": "bob"},
                      "request": {"event": "PermissionRequest", "tool": "Bash", "cwd": "/work/blog"}}),
        ),
        // Day 3: a queued deploy, approved by bob; an override lets a delete through.
        call(
            "2026-11-21T11:00:00.000000Z",
            SHOP,
            "Bash",
            "command",
            Some(json!({"rules": {"matched": ["team.deploy-approval"]},
                         "result": {"decision": "deny", "severity": "medium", "enforced": true, "approval": "apr-00000001"}})),
        ),
        host(
            "2026-11-21T11:00:00.500000Z",
            "ApprovalRequested",
            json!({"id": "apr-00000001", "rule": "team.deploy-approval", "session": SHOP}),
        ),
        host(
            "2026-11-21T11:04:00.000000Z",
            "ApprovalGranted",
            json!({"id": "apr-00000001", "by": "bob", "approvals": 1, "required": 1, "latency_seconds": 240}),
        ),
        host(
            "2026-11-21T12:00:00.000000Z",
            "OverrideStarted",
            json!({"id": "ovr-00000001", "by": "alice", "reason": "restore <the> backup | now",
                    "started_at": "2026-11-21T12:00:00.000000Z", "expires_at": "2026-11-21T12:15:00.000000Z",
                    "scope": "all sessions, all rules"}),
        ),
        call(
            "2026-11-21T12:01:00.000000Z",
            SHOP,
            "Bash",
            "file_delete",
            Some(json!({"rules": {"matched": ["fs.delete-outside-project"]},
                         "request": {"targets": [{"path": "/srv/backup", "kind": "delete"}]},
                         "result": {"decision": "ask", "severity": "medium", "enforced": false, "override": "ovr-00000001"}})),
        ),
        host(
            "2026-11-21T12:05:00.000000Z",
            "OverrideEnded",
            json!({"id": "ovr-00000001", "by": "alice", "reason": "done"}),
        ),
    ];
    ledger.append_all(records).unwrap();
    (dir, ledger)
}

fn now() -> jiff::Timestamp {
    "2026-11-22T00:00:00Z".parse().unwrap()
}

fn report(ledger: &Ledger, scope: &Scope) -> Report {
    ward_report::build(ledger, scope, now(), None, &mut |_, _| {}).unwrap()
}

fn whole() -> Scope {
    Scope {
        from: Some("2026-11-19T00:00:00.000000Z".to_owned()),
        to: Some("2026-11-22T00:00:00.000000Z".to_owned()),
        project: None,
    }
}

#[test]
fn the_report_counts_what_the_ledger_holds() {
    let (_dir, ledger) = fixture();
    let r = report(&ledger, &whole());
    let t = &r.totals;
    assert_eq!(t.records, 17);
    assert_eq!(t.sessions, 2);
    assert_eq!(t.calls, 8);
    assert_eq!((t.silent, t.warn, t.ask, t.deny), (3, 1, 2, 2));
    assert_eq!(t.block_rate, 0.25);
    assert_eq!((t.succeeded, t.failed, t.interrupted), (1, 1, 1));
    assert_eq!(t.permission_prompts, 1);
    assert_eq!(t.not_enforced, 1);
    assert_eq!(r.by_subagent[0].name, "Explore");
    assert_eq!(
        r.by_user
            .iter()
            .map(|b| (b.name.as_str(), b.calls))
            .collect::<Vec<_>>(),
        [("alice", 5), ("bob", 3)]
    );
    assert_eq!(r.approvals.requested, 1);
    assert_eq!(r.approvals.granted, 1);
    assert_eq!(r.approvals.latency_p50_seconds, Some(240));
    assert_eq!(r.overrides.len(), 1);
    assert_eq!(r.overrides[0].calls, 1);
    assert_eq!(r.overrides[0].end, "ended early by alice");
    assert_eq!(r.by_severity.critical, 1);
    assert_eq!(r.risk.level, "high");
    assert_eq!(r.daily.len(), 3);
    assert_eq!(r.hourly[14], 3);
}

#[test]
fn a_project_and_a_period_narrow_the_report() {
    let (_dir, ledger) = fixture();
    let blog = report(
        &ledger,
        &Scope {
            project: Some("/work/blog".to_owned()),
            ..whole()
        },
    );
    assert_eq!(blog.totals.calls, 3);
    assert_eq!(blog.totals.sessions, 1);
    assert_eq!(blog.by_project.len(), 1);
    // The override is the host's: it stays in every project's report.
    assert_eq!(blog.overrides.len(), 1);

    let day_one = report(
        &ledger,
        &Scope {
            from: Some("2026-11-19T00:00:00.000000Z".to_owned()),
            to: Some("2026-11-20T00:00:00.000000Z".to_owned()),
            project: None,
        },
    );
    assert_eq!(day_one.totals.calls, 3);
    assert_eq!(day_one.daily.len(), 1);
    assert_eq!(day_one.approvals.requested, 0);
    assert!(day_one.overrides.is_empty());
}

#[test]
fn every_format_renders_the_same_report() {
    let (_dir, ledger) = fixture();
    let r = report(&ledger, &whole());
    insta::assert_snapshot!("markdown", ward_report::markdown::render(&r));
    insta::assert_snapshot!("csv", ward_report::csv::render(&r).unwrap());
    insta::assert_json_snapshot!("json", r);
    insta::assert_snapshot!("html", ward_report::html::render(&r));
}

#[test]
fn the_html_report_is_html_with_its_charts_and_nothing_external() {
    let (_dir, ledger) = fixture();
    let html = ward_report::html::render(&report(&ledger, &whole()));
    let document = scraper::Html::parse_document(&html);
    assert!(document.errors.is_empty(), "{:?}", document.errors);
    let select = |css: &str| scraper::Selector::parse(css).unwrap();
    for chart in ["chart-daily", "chart-rules", "chart-hourly"] {
        let svg = document
            .select(&select(&format!("figure#{chart} svg")))
            .next()
            .unwrap_or_else(|| panic!("{chart} is missing"));
        assert!(
            svg.select(&select("rect")).count() > 0,
            "{chart} draws nothing"
        );
    }
    // Three days, each with at least one bar; the hourly chart has 24.
    assert!(document.select(&select("figure#chart-daily rect")).count() >= 3);
    assert_eq!(
        document.select(&select("figure#chart-hourly rect")).count(),
        24
    );
    assert_eq!(document.select(&select("script")).count(), 0);
    let external: Vec<_> = document
        .select(&select("[src], link, [href]"))
        .map(|element| element.value().clone())
        .collect();
    assert!(external.is_empty(), "external references: {external:?}");
    // Recorded strings are text, never markup.
    assert!(html.contains("restore &lt;the&gt; backup | now"), "{html}");
}

#[test]
fn every_json_field_is_documented() {
    let (_dir, ledger) = fixture();
    let value = serde_json::to_value(report(&ledger, &whole())).unwrap();
    let docs = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/report.md"),
    )
    .unwrap();
    let mut missing = BTreeSet::new();
    collect_keys(&value, "", &mut missing, &docs);
    assert!(
        missing.is_empty(),
        "fields not in docs/report.md: {missing:?}"
    );
}

/// Every object key, by its dotted path, that `docs` does not name as `` `key` ``.
fn collect_keys(value: &Value, path: &str, missing: &mut BTreeSet<String>, docs: &str) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let full = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                if !docs.contains(&format!("`{key}`")) {
                    missing.insert(full.clone());
                }
                collect_keys(inner, &full, missing, docs);
            }
        }
        Value::Array(items) => {
            if let Some(first) = items.first() {
                collect_keys(first, &format!("{path}[]"), missing, docs);
            }
        }
        _ => {}
    }
}
