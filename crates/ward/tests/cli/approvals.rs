//! Ward's approval queue through the binary, with real hook processes: a queued
//! call is denied with a request id, people approve or deny it with
//! `ward approvals` (as different OS users), the same call then runs exactly once,
//! N-of-M pools, the requester rule, `wait` mode, expiry, and the records of it all.

use serde_json::Value;

use crate::harness::{Ctx, Out, SESSION, bash_call, of_event, record};

fn queued() -> Ctx {
    let ctx = Ctx::new();
    ctx.init();
    ctx.write(
        &ctx.ward_home.join("policy.toml"),
        &ctx.fixture("policies/user_approvals.toml"),
    );
    ctx
}

/// The request id the deny reason names.
fn request_id(out: &Out) -> String {
    let reason = out.permission_reason();
    let start = reason.find("apr-").unwrap_or_else(|| panic!("{reason}"));
    reason[start..start + 12].to_owned()
}

fn host_events(ctx: &Ctx, event: &str) -> Vec<Value> {
    ctx.records("ward-host")
        .iter()
        .map(|line| record(line).clone())
        .filter(|r| r["request"]["event"] == event)
        .collect()
}

#[test]
fn an_approved_call_runs_once_and_everything_is_recorded() {
    let ctx = queued();
    let deploy = bash_call("terraform apply -auto-approve", "toolu_tf1");
    let first = ctx.hook(&deploy);
    assert_eq!(first.permission_decision().as_deref(), Some("deny"));
    let id = request_id(&first);
    assert!(first.permission_reason().contains("Do not retry"));
    // Asking again before anyone decided: the same request, still denied.
    let again = ctx.hook(&bash_call("terraform apply -auto-approve", "toolu_tf2"));
    assert_eq!(request_id(&again), id);

    let listed = ctx.ward_as("alice", &["approvals", "list", "--json"]);
    listed.assert_success();
    let listed = listed.json();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed:#}");
    assert_eq!(listed[0]["status"], "pending");
    assert_eq!(listed[0]["rule"], "team.deploy-approval");

    let out = ctx.ward_as(
        "alice",
        &["approvals", "approve", &id, "--reason", "change CHG-7"],
    );
    out.assert_success();
    assert!(out.stdout.contains("approved (1 of 1)"), "{}", out.render());

    // Two retries at once: exactly one runs.
    let children: Vec<_> = (0..2)
        .map(|index| {
            ctx.spawn_hook(&bash_call(
                "terraform apply -auto-approve",
                &format!("toolu_r{index}"),
            ))
        })
        .collect();
    let mut allowed = 0;
    for child in children {
        let stdout = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
        if stdout.contains("\"allow\"") {
            assert!(stdout.contains("approved by alice"), "{stdout}");
            allowed += 1;
        } else {
            assert!(
                stdout.contains("\"deny\"") && stdout.contains("apr-"),
                "{stdout}"
            );
        }
    }
    assert_eq!(allowed, 1);
    // A different call is not covered by the approval.
    let other = ctx.hook(&bash_call("terraform destroy", "toolu_tf9"));
    assert_eq!(other.permission_decision().as_deref(), Some("deny"));
    assert_ne!(request_id(&other), id);

    let records = ctx.records(SESSION);
    let pre = of_event(&records, "PreToolUse");
    let named: Vec<&str> = pre
        .iter()
        .filter_map(|line| record(line)["result"]["approval"].as_str())
        .collect();
    // Filed, asked again, used; the retry after the use filed a new request, and
    // so did the other call.
    assert_eq!(named.iter().filter(|n| **n == id).count(), 3, "{named:?}");
    assert_eq!(named.len(), 5, "{named:?}");
    let granted = host_events(&ctx, "ApprovalGranted");
    assert_eq!(granted.len(), 1);
    let input = &granted[0]["request"]["input"];
    assert_eq!(input["id"], id.as_str());
    assert_eq!(input["by"], "alice");
    assert_eq!(input["reason"], "change CHG-7");
    assert!(input["latency_seconds"].as_i64().unwrap() >= 0);
    assert!(
        input["input_digest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    let show = ctx.ward_as("alice", &["approvals", "show", &id]);
    show.assert_success();
    assert!(
        show.stdout.contains("(used)") && show.stdout.contains("by alice"),
        "{}",
        show.render()
    );
    let verify = ctx.ward(&["audit", "verify", "--json"]);
    assert_eq!(verify.json()["ok"], true);
}

#[test]
fn a_denied_call_stays_denied_and_the_agent_is_told_why() {
    let ctx = queued();
    let deploy = bash_call("terraform apply", "toolu_d1");
    let id = request_id(&ctx.hook(&deploy));
    let out = ctx.ward_as(
        "bob",
        &[
            "approvals",
            "deny",
            &id,
            "--reason",
            "not during the freeze",
        ],
    );
    out.assert_success();
    let retry = ctx.hook(&bash_call("terraform apply", "toolu_d2"));
    assert_eq!(retry.permission_decision().as_deref(), Some("deny"));
    let reason = retry.permission_reason();
    assert!(
        reason.contains("bob denied") && reason.contains("not during the freeze"),
        "{reason}"
    );
    let denied = host_events(&ctx, "ApprovalDenied");
    assert_eq!(denied[0]["request"]["input"]["by"], "bob");
    // A decided request cannot be decided again.
    let again = ctx.ward_as("alice", &["approvals", "approve", &id]);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("is denied"), "{}", again.render());
}

#[test]
fn the_requester_and_outsiders_cannot_approve_and_two_leads_are_needed() {
    let ctx = queued();
    let deploy_id = request_id(&ctx.hook(&bash_call("terraform apply", "toolu_q1")));
    // The agent ran as the OS user that `ward init` recorded (`unknown-user` in
    // these tests' empty environment): the same user may not approve.
    let own = ctx.ward(&["approvals", "approve", &deploy_id]);
    assert_eq!(own.code, 2, "{}", own.render());
    assert!(own.stderr.contains("made this request"), "{}", own.render());

    let migrate = bash_call("flyway migrate", "toolu_m1");
    let id = request_id(&ctx.hook(&migrate));
    let outsider = ctx.ward_as("mallory", &["approvals", "approve", &id]);
    assert_eq!(outsider.code, 2);
    assert!(
        outsider.stderr.contains("not in the approver pool `leads`"),
        "{}",
        outsider.render()
    );
    let alice = ctx.ward_as("alice", &["approvals", "approve", &id]);
    alice.assert_success();
    assert!(alice.stdout.contains("needs 1 more"), "{}", alice.render());
    let twice = ctx.ward_as("alice", &["approvals", "approve", &id]);
    assert_eq!(twice.code, 2);
    assert!(
        twice.stderr.contains("already approved"),
        "{}",
        twice.render()
    );
    // One of two: still denied, same request.
    let early = ctx.hook(&bash_call("flyway migrate", "toolu_m2"));
    assert_eq!(request_id(&early), id);
    ctx.ward_as("bob", &["approvals", "approve", &id])
        .assert_success();
    let run = ctx.hook(&bash_call("flyway migrate", "toolu_m3"));
    assert_eq!(
        run.permission_decision().as_deref(),
        Some("allow"),
        "{}",
        run.render()
    );
    assert!(run.permission_reason().contains("alice, bob"));
}

#[test]
fn wait_mode_holds_the_call_until_a_person_approves() {
    let ctx = queued();
    let child = ctx.spawn_hook(&bash_call("goreleaser release", "toolu_w1"));
    // Find the request the waiting hook filed, then approve it.
    let mut id = None;
    for _ in 0..100 {
        let listed = ctx.ward(&["approvals", "list", "--json"]).json();
        if let Some(found) = listed[0]["id"].as_str() {
            id = Some(found.to_owned());
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let id = id.expect("the waiting hook filed a request");
    // `requester_may_approve = true` on this rule.
    ctx.ward(&["approvals", "approve", &id]).assert_success();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("\"allow\""), "{stdout}");
}

#[test]
fn an_expired_request_cannot_be_approved_and_its_expiry_is_recorded() {
    let ctx = queued();
    let id = request_id(&ctx.hook(&bash_call("helm upgrade web ./chart", "toolu_h1")));
    std::thread::sleep(std::time::Duration::from_millis(1_200));
    let late = ctx.ward_as("alice", &["approvals", "approve", &id]);
    assert_eq!(late.code, 2);
    assert!(late.stderr.contains("is expired"), "{}", late.render());
    ctx.ward(&["audit", "ingest"]);
    let expired = host_events(&ctx, "ApprovalExpired");
    assert_eq!(expired.len(), 1);
    assert_eq!(expired[0]["request"]["input"]["id"], id.as_str());
    // The call asks again: a new request.
    let again = ctx.hook(&bash_call("helm upgrade web ./chart", "toolu_h2"));
    assert_ne!(request_id(&again), id);
}

#[test]
fn an_undecided_request_escalates_to_another_pool() {
    let ctx = queued();
    let playbook = bash_call("ansible-playbook site.yml", "toolu_e1");
    let id = request_id(&ctx.hook(&playbook));
    let early = ctx.ward_as("carol", &["approvals", "approve", &id]);
    assert_eq!(early.code, 2, "{}", early.render());
    assert!(
        early.stderr.contains("escalates to pool `oncall` after 1s"),
        "{}",
        early.render()
    );
    std::thread::sleep(std::time::Duration::from_millis(1_200));
    ctx.ward(&["audit", "ingest"]);
    let escalated = host_events(&ctx, "ApprovalEscalated");
    assert_eq!(escalated.len(), 1);
    assert_eq!(escalated[0]["request"]["input"]["to"], "oncall");
    ctx.ward_as("carol", &["approvals", "approve", &id])
        .assert_success();
    let run = ctx.hook(&bash_call("ansible-playbook site.yml", "toolu_e2"));
    assert_eq!(
        run.permission_decision().as_deref(),
        Some("allow"),
        "{}",
        run.render()
    );
    // Recorded once.
    ctx.ward_as("carol", &["approvals", "list"])
        .assert_success();
    assert_eq!(host_events(&ctx, "ApprovalEscalated").len(), 1);
}

#[test]
fn the_agent_cannot_approve_through_its_shell() {
    let ctx = queued();
    let id = request_id(&ctx.hook(&bash_call("terraform apply", "toolu_s1")));
    let hook = ctx.hook(&bash_call(
        &format!("ward approvals approve {id}"),
        "toolu_s2",
    ));
    assert_eq!(hook.permission_decision().as_deref(), Some("deny"));
    assert!(hook.permission_reason().contains("self.no-ward-admin"));
    let hook = ctx.hook(&bash_call(
        &format!("/usr/local/bin/ward approvals approve {id} --reason ok"),
        "toolu_s3",
    ));
    assert_eq!(hook.permission_decision().as_deref(), Some("deny"));
}

#[test]
fn bad_approval_settings_are_policy_errors() {
    let ctx = Ctx::new();
    ctx.init();
    let text = ctx
        .fixture("policies/user_approvals.toml")
        .replace("pool = \"leads\"", "pool = \"admins\"");
    ctx.write(&ctx.ward_home.join("policy.toml"), &text);
    let out = ctx.ward(&["policy", "validate"]);
    assert_ne!(out.code, 0);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(
        all.contains("team.migrate-two-leads") && all.contains("`admins`"),
        "{all}"
    );
}
