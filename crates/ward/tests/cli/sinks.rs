//! Evidence sinks through the binary: real hook payloads in, outcome records and
//! checkpoints out to a JSONL file and to a webhook served by the test, with the
//! receiver down, back up, and raced by concurrent deliveries.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::Value;

use crate::harness::{Ctx, SESSION};
use crate::receiver::Receiver;

/// The payloads of one session's calls: a read that succeeds and a test run that
/// fails, each with its pre record.
const CALLS: [&str; 5] = [
    "session_start_startup",
    "pre_tool_use_read_source",
    "post_tool_use_read_source",
    "pre_tool_use_ls",
    "post_tool_use_failure_cargo_test",
];

/// Runs the fixtures `names` through the hook.
fn hooks(ctx: &Ctx, names: &[&str]) {
    for name in names {
        ctx.hook_fixture(&format!("claude-code/{name}.json"))
            .assert_hook_ok();
    }
}

/// Appends `text` to the user policy.
fn add_to_user_policy(ctx: &Ctx, text: &str) {
    let path = ctx.ward_home.join("policy.toml");
    let mut policy = std::fs::read_to_string(&path).unwrap();
    policy.push_str(text);
    std::fs::write(&path, policy).unwrap();
}

fn jsonl_sink(ctx: &Ctx) -> PathBuf {
    add_to_user_policy(
        ctx,
        "\n[[sinks]]\nid = \"file\"\nkind = \"jsonl\"\npath = \"$WARD_HOME/evidence/events.jsonl\"\n",
    );
    ctx.ward_home.join("evidence/events.jsonl")
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The ids of the outcome records in the ledger, in order: what a sink must get.
fn outcome_ids(ctx: &Ctx) -> Vec<String> {
    let out = ctx.ward(&["audit", "query", "--limit", "100000", "--json"]);
    out.assert_success();
    out.json_lines()
        .iter()
        .filter(|line| line["record"]["result"]["outcome"].is_string())
        .map(|line| format!("record:{}", line["hash"].as_str().unwrap()))
        .collect()
}

fn ids(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|event| event["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_jsonl_sink_receives_each_outcome_once_after_deliver() {
    let ctx = Ctx::new();
    ctx.init();
    let file = jsonl_sink(&ctx);
    hooks(&ctx, &CALLS);
    // The hook never delivers: nothing has been written yet.
    assert!(!file.exists(), "the hook must not deliver");

    let out = ctx.ward(&["audit", "deliver"]);
    out.assert_success();
    ctx.settings()
        .bind(|| insta::assert_snapshot!(out.render()));
    let events = lines(&file);
    assert_eq!(ids(&events), outcome_ids(&ctx));
    let [read, test_run] = events.as_slice() else {
        panic!("two outcomes expected: {events:#?}");
    };
    assert_eq!(read["type"], "outcome");
    assert_eq!(read["event"], "PostToolUse");
    assert_eq!(read["tool"], "Read");
    assert_eq!(read["tool_use_id"], "toolu_01ReadMain");
    assert_eq!(read["outcome"], "success");
    assert_eq!(read["session_id"], SESSION);
    // Record 1 is the host identity `ward init` wrote.
    assert_eq!(read["pre_seq"], 3);
    assert_eq!(read["seq"], 4);
    assert_eq!(read["duration_ms"], 4);
    assert!(
        read["input_digest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert!(
        read["output_digest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert!(read["pre_time"].as_str().unwrap() <= read["time"].as_str().unwrap());
    assert_eq!(test_run["event"], "PostToolUseFailure");
    assert_eq!(test_run["outcome"], "failure");

    // Delivered is delivered: a second run sends nothing again.
    let again = ctx.ward(&["audit", "deliver", "--json"]);
    again.assert_success();
    assert_eq!(again.json()[0]["delivered"], 0);
    assert_eq!(lines(&file).len(), 2);

    let status = ctx
        .ward(&["audit", "sinks", "--json"])
        .assert_success()
        .json();
    assert_eq!(status[0]["state"]["delivered"], 2);
    assert_eq!(status[0]["state"]["record_seq"], 6);
    assert_eq!(status[0]["backlog"]["outcomes"], 0);
}

#[test]
fn a_session_end_delivers_its_outcomes_and_checkpoint_in_the_background() {
    let ctx = Ctx::new();
    ctx.init();
    let file = jsonl_sink(&ctx);
    hooks(&ctx, &CALLS);
    hooks(&ctx, &["session_end_prompt_input_exit"]);
    // The hook has answered; delivery follows the checkpoint, in a detached process.
    let mut events = Vec::new();
    for _ in 0..300 {
        if file.exists() {
            events = lines(&file);
            if events.len() == 3 {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut expected = outcome_ids(&ctx);
    let checkpoint = &events.last().expect("events delivered")["id"];
    assert!(
        checkpoint.as_str().unwrap().starts_with("checkpoint:ward/"),
        "{events:#?}"
    );
    expected.push(checkpoint.as_str().unwrap().to_owned());
    assert_eq!(ids(&events), expected);
    let checkpoint = events.last().unwrap();
    assert_eq!(checkpoint["type"], "checkpoint");
    assert_eq!(
        checkpoint["tree_size"], 7,
        "the host identity and six hook records"
    );
    let verified = ctx.ward(&["audit", "verify", "--json"]).json();
    assert_eq!(checkpoint["root"], verified["tree_root"]);
}

fn webhook_sink(ctx: &Ctx, url: &str) {
    add_to_user_policy(
        ctx,
        &format!(
            "\n[[sinks]]\nid = \"siem\"\nkind = \"webhook\"\nurl = \"{url}\"\n\
             headers = {{ Authorization = \"env:WARD_TEST_WEBHOOK_TOKEN\" }}\n\
             timeout_ms = 10000\nbatch_size = 2\n"
        ),
    );
}

/// `ward ARGS` with the webhook's token in the environment.
fn ward_with_token(ctx: &Ctx, args: &[&str]) -> crate::harness::Out {
    let output = ctx
        .cmd()
        .env("WARD_TEST_WEBHOOK_TOKEN", "Bearer test-token")
        .args(args)
        .output()
        .unwrap();
    crate::harness::Out {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn a_webhook_receives_batches_with_the_token_from_the_environment() {
    let ctx = Ctx::new();
    ctx.init();
    let receiver = Receiver::start();
    webhook_sink(&ctx, &receiver.url());
    hooks(&ctx, &CALLS);
    hooks(
        &ctx,
        &["pre_tool_use_read_source", "post_tool_use_read_source"],
    );
    ctx.ward(&["audit", "checkpoint"]).assert_success();

    let out = ward_with_token(&ctx, &["audit", "deliver"]);
    out.assert_success();
    let requests = receiver.requests.lock().unwrap().clone();
    // Three outcomes and a checkpoint, two per request.
    assert_eq!(requests.len(), 2, "{requests:#?}");
    for (head, _) in &requests {
        assert!(head.starts_with("post /ward/events http/1.1\r\n"), "{head}");
        assert!(
            head.contains("authorization: bearer test-token\r\n"),
            "{head}"
        );
        assert!(
            head.contains("content-type: application/json\r\n"),
            "{head}"
        );
    }
    let events = receiver.events();
    let mut expected = outcome_ids(&ctx);
    let checkpoint = events.last().unwrap();
    assert_eq!(checkpoint["type"], "checkpoint");
    assert_eq!(
        checkpoint["tree_size"], 8,
        "the host identity and seven hook records"
    );
    expected.push(checkpoint["id"].as_str().unwrap().to_owned());
    assert_eq!(ids(&events), expected);
    assert_eq!(
        out.stderr,
        "siem: delivered 2 event(s), through record 7\nsiem: delivered 2 event(s), through record 8\n"
    );
}

#[test]
fn a_receiver_that_is_down_loses_nothing_and_gets_everything_once_in_order() {
    let ctx = Ctx::new();
    ctx.init();
    let receiver = Receiver::start();
    receiver.status.store(503, Ordering::SeqCst);
    webhook_sink(&ctx, &receiver.url());
    hooks(&ctx, &CALLS);

    let out = ward_with_token(&ctx, &["audit", "deliver"]);
    assert_eq!(out.code, 1, "{}", out.render());
    let status = ctx.ward(&["audit", "sinks"]);
    status.assert_success();
    let mut settings = ctx.settings();
    settings.add_filter(&receiver.address.to_string(), "[RECEIVER]");
    settings.bind(|| {
        insta::assert_snapshot!("down_deliver", out.render());
        insta::assert_snapshot!("down_status", status.stdout);
    });
    let state = ctx.ward(&["audit", "sinks", "--json"]).json()[0].clone();
    assert_eq!(state["state"]["attempts"], 1);
    assert_eq!(state["state"]["record_seq"], 0);
    assert_eq!(
        state["state"]["last_error"],
        "the receiver answered HTTP 503: unavailable"
    );
    assert!(state["state"]["next_attempt"].is_string());
    assert_eq!(state["backlog"]["outcomes"], 2);

    // More calls while it is down; a background run (the ingest's) backs off: with
    // the next attempt an hour away, it does not even try.
    hooks(
        &ctx,
        &["pre_tool_use_read_source", "post_tool_use_read_source"],
    );
    set_next_attempt(&ctx, "siem", "2999-01-01T00:00:00Z");
    receiver.status.store(200, Ordering::SeqCst);
    ward_with_token(&ctx, &["audit", "ingest"]).assert_success();
    assert_eq!(receiver.events(), Vec::<Value>::new());

    // Once the attempt is due, the background run delivers everything: the three
    // outcomes, then the checkpoint the ingest signed over them.
    set_next_attempt(&ctx, "siem", "2000-01-01T00:00:00Z");
    ward_with_token(&ctx, &["audit", "ingest"]).assert_success();
    let events = receiver.events();
    let mut expected = outcome_ids(&ctx);
    assert_eq!(expected.len(), 3);
    expected.push(events.last().unwrap()["id"].as_str().unwrap().to_owned());
    assert_eq!(ids(&events), expected);
    assert_eq!(events.last().unwrap()["tree_size"], 8);
    let state = ctx.ward(&["audit", "sinks", "--json"]).json()[0].clone();
    assert_eq!(state["state"]["attempts"], 0);
    assert_eq!(state["state"]["last_error"], Value::Null);
    assert_eq!(state["state"]["delivered"], 4);

    // And nothing twice.
    ward_with_token(&ctx, &["audit", "deliver"]).assert_success();
    assert_eq!(receiver.events().len(), 4);
}

fn set_next_attempt(ctx: &Ctx, id: &str, when: &str) {
    let path = ctx.ward_home.join(format!("sinks/{id}.json"));
    let mut state: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    state["next_attempt"] = Value::from(when);
    std::fs::write(&path, state.to_string()).unwrap();
}

#[test]
fn an_unreachable_receiver_is_reported_and_retried_later() {
    let ctx = Ctx::new();
    ctx.init();
    // A port nobody listens on: bound, then closed.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    webhook_sink(&ctx, &format!("http://{address}/ward/events"));
    hooks(&ctx, &CALLS);
    let out = ward_with_token(&ctx, &["audit", "deliver", "--json"]);
    assert_eq!(out.code, 1, "{}", out.render());
    let report = out.json();
    assert_eq!(report[0]["status"], "failed");
    assert!(
        report[0]["error"]
            .as_str()
            .unwrap()
            .starts_with("cannot reach the receiver: "),
        "{report:#}"
    );

    // The receiver comes up on that address: everything arrives.
    let Ok(listener) = TcpListener::bind(address) else {
        return; // another process took the port meanwhile; the failure half held
    };
    let receiver = Receiver::on(listener);
    ward_with_token(&ctx, &["audit", "deliver"]).assert_success();
    assert_eq!(ids(&receiver.events()), outcome_ids(&ctx));
}

#[test]
fn a_missing_token_variable_is_a_failure_that_names_it() {
    let ctx = Ctx::new();
    ctx.init();
    let receiver = Receiver::start();
    webhook_sink(&ctx, &receiver.url());
    hooks(&ctx, &CALLS);
    let out = ctx.ward(&["audit", "deliver", "--json"]);
    assert_eq!(out.code, 1, "{}", out.render());
    assert_eq!(
        out.json()[0]["error"],
        "header `Authorization` is read from the environment variable \
         `WARD_TEST_WEBHOOK_TOKEN`, which is not set (background deliveries see the agent's \
         environment)"
    );
    assert_eq!(receiver.events(), Vec::<Value>::new());
}

#[test]
fn concurrent_deliveries_do_not_deliver_anything_twice() {
    let ctx = Ctx::new();
    ctx.init();
    add_to_user_policy(
        &ctx,
        "\n[[sinks]]\nid = \"file\"\nkind = \"jsonl\"\npath = \"$WARD_HOME/evidence/events.jsonl\"\nbatch_size = 1\n",
    );
    for _ in 0..6 {
        hooks(&ctx, &CALLS[1..]);
    }
    let deliveries: Vec<_> = (0..4)
        .map(|_| {
            ctx.std_cmd()
                .args(["audit", "deliver", "--json"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut delivered = 0;
    for child in deliveries {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{output:?}");
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        delivered += report[0]["delivered"].as_u64().unwrap();
    }
    assert_eq!(delivered, 12);
    let events = lines(&ctx.ward_home.join("evidence/events.jsonl"));
    assert_eq!(ids(&events), outcome_ids(&ctx));
}

#[test]
fn a_project_policy_cannot_add_a_sink() {
    let ctx = Ctx::new();
    ctx.init();
    let leak = ctx.root.join("leak.jsonl");
    ctx.write(
        &ctx.project.join(".ward/policy.toml"),
        &format!(
            "[[sinks]]\nid = \"leak\"\nkind = \"jsonl\"\npath = \"{}\"\n",
            leak.display()
        ),
    );
    hooks(&ctx, &CALLS);
    hooks(&ctx, &["session_end_prompt_input_exit"]);
    let out = ctx.ward(&["audit", "deliver"]);
    out.assert_success();
    assert_eq!(
        out.stdout,
        "No evidence sinks are configured. Add a `[[sinks]]` table to the user or managed \
         policy (see docs/sinks.md).\n"
    );
    ctx.ward(&["audit", "ingest"]).assert_success();
    let show = ctx.ward(&["policy", "show"]);
    show.assert_success();
    assert!(
        show.stdout.contains(&format!(
            "warning: {}: `[[sinks]]` is ignored in a project policy",
            ctx.project.join(".ward/policy.toml").display()
        )),
        "{}",
        show.stdout
    );
    assert!(!show.stdout.contains("Evidence sinks"), "{}", show.stdout);
    assert!(!leak.exists(), "a project policy's sink received evidence");
}

#[test]
fn policy_show_lists_sinks_without_header_values() {
    let ctx = Ctx::new();
    ctx.init();
    add_to_user_policy(
        &ctx,
        "\n[[sinks]]\nid = \"siem\"\nkind = \"webhook\"\nurl = \"https://siem.example/ward\"\n\
         headers = { Authorization = \"env:WARD_WEBHOOK_TOKEN\", X-Team = \"platform\" }\n\
         events = [\"outcome\"]\nca_file = \"/etc/ward/siem-ca.pem\"\n",
    );
    let out = ctx.ward(&["policy", "show", "--json"]);
    out.assert_success();
    let sinks = &out.json()["sinks"];
    assert_eq!(sinks[0]["id"], "siem");
    assert_eq!(sinks[0]["kind"], "webhook");
    assert_eq!(sinks[0]["destination"], "https://siem.example/ward");
    assert_eq!(sinks[0]["events"], serde_json::json!(["outcome"]));
    assert_eq!(sinks[0]["ca_file"], "/etc/ward/siem-ca.pem");
    assert_eq!(
        sinks[0]["headers"],
        serde_json::json!([
            ["Authorization", "env:WARD_WEBHOOK_TOKEN"],
            ["X-Team", "literal"]
        ])
    );
    assert!(!out.stdout.contains("platform"));
    let text = ctx.ward(&["policy", "show"]);
    ctx.settings().bind(|| {
        insta::assert_snapshot!(text.stdout.split("rules.\n").nth(1).unwrap());
    });
}

#[test]
fn a_bad_sink_is_a_policy_error_naming_file_line_and_fix() {
    let ctx = Ctx::new();
    ctx.init();
    add_to_user_policy(
        &ctx,
        "\n[[sinks]]\nid = \"siem\"\nkind = \"webhook\"\nurl = \"siem.example/ward\"\n",
    );
    let out = ctx.ward(&["policy", "validate"]);
    assert_eq!(out.code, 1, "{}", out.render());
    ctx.settings()
        .bind(|| insta::assert_snapshot!(out.render()));
    let deliver = ctx.ward(&["audit", "deliver"]);
    assert_eq!(deliver.code, 2, "{}", deliver.render());
    assert!(
        deliver
            .stderr
            .contains("hint: `docs/sinks.md` describes sink fields")
    );
}
