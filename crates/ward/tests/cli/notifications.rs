//! Notifications through the binary: approval requests and decisions, break-glass
//! overrides and severe denies reach a webhook as they happen (a background
//! delivery the hook or the command starts), as Ward's JSON or as Slack messages,
//! and a receiver that is down gets them once it is back.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::{Ctx, SESSION, bash_call};
use crate::receiver::Receiver;

/// Rules whose calls make notices, or deliberately do not.
const RULES: &str = r#"
[[rules]]
id = "team.deploy-approval"
decision = "ask"
reason = "Deploys need a person's approval."
match.programs = ["terraform"]
approval = { mode = "queue" }

[[rules]]
id = "team.no-curl"
decision = "deny"
severity = "medium"
reason = "Use the project's HTTP client."
match.programs = ["curl"]
"#;

fn policy(ctx: &Ctx, sink: &str) {
    let path = ctx.ward_home.join("policy.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(RULES);
    text.push_str(sink);
    std::fs::write(&path, text).unwrap();
}

/// The events received, once there are `count` of them: they are delivered by
/// background processes, so the test waits (at most 60 s, then fails).
fn wait_for(receiver: &Receiver, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let events = receiver.events();
        if events.len() >= count || Instant::now() > deadline {
            assert_eq!(events.len(), count, "{events:#?}");
            return events;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn kinds(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|event| event["kind"].as_str().unwrap_or("?"))
        .collect()
}

#[test]
fn approvals_overrides_and_severe_denies_reach_a_webhook_as_they_happen() {
    let ctx = Ctx::new();
    ctx.init();
    let receiver = Receiver::start();
    policy(
        &ctx,
        &format!(
            "\n[[sinks]]\nid = \"chat\"\nkind = \"webhook\"\nurl = \"{}\"\nevents = [\"notice\"]\n",
            receiver.url()
        ),
    );

    // A queued call: its request is announced, with what the approver needs.
    let queued = ctx.hook(&bash_call("terraform apply", "toolu_tf1"));
    assert_eq!(queued.permission_decision().as_deref(), Some("deny"));
    let events = wait_for(&receiver, 1);
    let requested = &events[0];
    assert_eq!(requested["type"], "notice");
    assert_eq!(requested["kind"], "approval_requested");
    assert_eq!(requested["severity"], "medium");
    assert_eq!(requested["rule"], "team.deploy-approval");
    assert_eq!(requested["tool"], "Bash");
    assert_eq!(requested["session_id"], SESSION);
    let id = requested["subject"].as_str().unwrap().to_owned();
    assert!(id.starts_with("apr-"), "{requested:#}");
    assert!(queued.permission_reason().contains(&id));
    let text = requested["text"].as_str().unwrap();
    assert!(text.contains("terraform apply"), "{text}");
    assert!(
        text.contains(&format!("`ward approvals approve {id}`")),
        "{text}"
    );
    assert_eq!(requested["details"]["summary"], "terraform apply");

    // A deny below the sink's severity (medium < high) is not announced.
    let curl = ctx.hook(&bash_call("curl https://example.com", "toolu_c1"));
    assert_eq!(curl.permission_decision().as_deref(), Some("deny"));

    ctx.ward_as("bob", &["approvals", "approve", &id, "--reason", "CHG-9"])
        .assert_success();
    let events = wait_for(&receiver, 2);
    assert_eq!(events[1]["kind"], "approval_granted");
    assert_eq!(events[1]["details"]["by"], "bob");
    assert!(
        events[1]["text"].as_str().unwrap().contains("CHG-9"),
        "{:#}",
        events[1]
    );

    // A critical deny.
    let home: Value =
        serde_json::from_str(&ctx.fixture("claude-code/pre_tool_use_rm_rf_home.json")).unwrap();
    let denied = ctx.hook(&home.to_string());
    assert_eq!(denied.permission_decision().as_deref(), Some("deny"));
    let events = wait_for(&receiver, 3);
    let deny = &events[2];
    assert_eq!(deny["kind"], "deny");
    assert_eq!(deny["severity"], "critical");
    assert_eq!(deny["rule"], "fs.delete-home");
    assert!(
        deny["details"]["input_digest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );

    // Break-glass on and off.
    let started = ctx.ward_as(
        "alice",
        &[
            "override",
            "--ttl",
            "15m",
            "--reason",
            "restore from backup",
            "--json",
        ],
    );
    started.assert_success();
    let override_id = started.json()["id"].as_str().unwrap().to_owned();
    let events = wait_for(&receiver, 4);
    assert_eq!(events[3]["kind"], "override_started");
    assert_eq!(events[3]["severity"], "high");
    assert_eq!(events[3]["subject"], override_id.as_str());
    assert!(
        events[3]["text"]
            .as_str()
            .unwrap()
            .starts_with("BREAK-GLASS: alice started override"),
        "{:#}",
        events[3]
    );
    ctx.ward_as("alice", &["override", "--end", &override_id])
        .assert_success();
    let events = wait_for(&receiver, 5);
    assert_eq!(
        kinds(&events),
        [
            "approval_requested",
            "approval_granted",
            "deny",
            "override_started",
            "override_ended"
        ]
    );
    // Each notice is a ledger record, in the ledger's order, and only notices went
    // to this sink.
    let seqs: Vec<u64> = events.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|pair| pair[0] < pair[1]), "{seqs:?}");
    assert!(events.iter().all(|event| event["type"] == "notice"));

    // Everything was delivered in the background: nothing is left, nothing twice.
    let again = ctx.ward(&["audit", "deliver", "--json"]);
    again.assert_success();
    assert_eq!(again.json()[0]["delivered"], 0);
    assert_eq!(receiver.events().len(), 5);
    let status = ctx.ward(&["audit", "sinks"]);
    status.assert_success();
    assert!(
        status
            .stdout
            .contains("notice (denies from high up)  from user"),
        "{}",
        status.stdout
    );
    assert!(
        status
            .stdout
            .contains("0 outcome(s), 0 checkpoint(s), 0 notice(s)"),
        "{}",
        status.stdout
    );
}

#[test]
fn a_slack_receiver_that_was_down_gets_escaped_messages_once_it_is_back() {
    let ctx = Ctx::new();
    ctx.init();
    let receiver = Receiver::start();
    receiver.status.store(503, Ordering::SeqCst);
    policy(
        &ctx,
        &format!(
            "\n[[sinks]]\nid = \"slack\"\nkind = \"webhook\"\nurl = \"{}\"\nformat = \"slack\"\n\
             deny_severity = \"critical\"\n",
            receiver.url()
        ),
    );
    // Markup in a recorded string must not reach Slack as markup.
    let started = ctx.ward_as(
        "alice",
        &[
            "override",
            "--ttl",
            "10m",
            "--reason",
            "<!channel> restore & check <https://evil.example|docs>",
            "--json",
        ],
    );
    started.assert_success();
    let override_id = started.json()["id"].as_str().unwrap().to_owned();
    ctx.ward_as("alice", &["override", "--end", &override_id])
        .assert_success();
    let home: Value =
        serde_json::from_str(&ctx.fixture("claude-code/pre_tool_use_rm_rf_home.json")).unwrap();
    ctx.hook(&home.to_string());

    let down = ctx.ward(&["audit", "deliver", "--json"]);
    assert_eq!(down.code, 1, "{}", down.render());
    assert_eq!(down.json()[0]["status"], "failed");
    assert_eq!(receiver.events().len(), 0);

    receiver.status.store(200, Ordering::SeqCst);
    let back = ctx.ward(&["audit", "deliver", "--json"]);
    back.assert_success();
    let requests = receiver.requests.lock().unwrap().clone();
    let texts: Vec<String> = requests
        .iter()
        .map(|(_, body)| {
            let object = body.as_object().unwrap();
            assert_eq!(object.len(), 1, "a Slack body is just its text: {body:#}");
            object["text"].as_str().unwrap().to_owned()
        })
        .collect();
    let lines: Vec<&str> = texts.iter().flat_map(|text| text.lines()).collect();
    let [started, ended, denied] = lines.as_slice() else {
        panic!("three notices expected: {lines:#?}");
    };
    assert!(
        started.starts_with(":warning: *Ward* BREAK-GLASS: alice started override"),
        "{started}"
    );
    assert!(
        started.contains("&lt;!channel&gt; restore &amp; check &lt;https://evil.example|docs&gt;"),
        "{started}"
    );
    assert!(!started.contains("<!channel>"), "{started}");
    assert!(
        ended.starts_with(":raised_hand: *Ward* Override ovr-"),
        "{ended}"
    );
    assert!(
        denied.starts_with(":rotating_light: *Ward* Denied (critical)"),
        "{denied}"
    );
    assert!(denied.contains("fs.delete-home"), "{denied}");
    let state = ctx.ward(&["audit", "sinks", "--json"]).json()[0].clone();
    assert_eq!(state["state"]["delivered"], 3);
    assert_eq!(state["state"]["last_error"], Value::Null);
    assert_eq!(state["events"], serde_json::json!(["notice"]));
    assert_eq!(state["format"], "slack");
}
