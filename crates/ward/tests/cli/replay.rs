//! `ward policy replay` and `ward policy diff` through the binary, on calls
//! recorded by real hook processes: the same policy changes nothing; a policy
//! change whose effect is known shows exactly that effect; rate limits replay in
//! order; the diff names every rule change.

use serde_json::Value;

use crate::harness::Ctx;

/// Calls recorded under the default (safety) policy: a read, `ls`, a failing test
/// run, and `rm -rf ~` (denied by `fs.delete-home`).
fn recorded() -> Ctx {
    let ctx = Ctx::new();
    ctx.init();
    ctx.hook_fixtures(&[
        "session_start_startup",
        "pre_tool_use_read_source",
        "post_tool_use_read_source",
        "pre_tool_use_ls",
        "pre_tool_use_rm_rf_home",
    ]);
    // The same read three more times, for the rate limit below.
    for index in 0..3 {
        let mut read: Value =
            serde_json::from_str(&ctx.fixture("claude-code/pre_tool_use_read_source.json"))
                .unwrap();
        read["tool_use_id"] = Value::from(format!("toolu_again{index}"));
        ctx.hook(&read.to_string());
    }
    ctx
}

/// The user policy with `extra` appended, written to `name` under the test root.
fn variant(ctx: &Ctx, name: &str, extra: &str) -> String {
    let mut text = std::fs::read_to_string(ctx.ward_home.join("policy.toml")).unwrap();
    text.push_str(extra);
    let path = ctx.root.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn replay(ctx: &Ctx, policy: &str) -> Value {
    let out = ctx.ward(&["policy", "replay", "--policy", policy, "--json"]);
    out.assert_success();
    out.json()
}

#[test]
fn the_same_policy_changes_nothing() {
    let ctx = recorded();
    let same = ctx.ward_home.join("policy.toml");
    let result = replay(&ctx, same.to_str().unwrap());
    assert_eq!(result["replayed"], 6, "{result:#}");
    assert_eq!(result["changed"], 0, "{result:#}");
    let readable = ctx.ward(&["policy", "replay", "--policy", same.to_str().unwrap()]);
    readable.assert_success();
    assert!(
        readable.stdout.contains("6 call(s)") && readable.stdout.contains("0 would change"),
        "{}",
        readable.stdout
    );
}

#[test]
fn a_policy_change_shows_exactly_its_effect() {
    let ctx = recorded();
    // `ls` becomes denied, and `fs.delete-home` is switched off (`disable` is a
    // top-level key, so it goes first).
    let original = std::fs::read_to_string(ctx.ward_home.join("policy.toml")).unwrap();
    let policy = ctx.root.join("new.toml").display().to_string();
    std::fs::write(
        &policy,
        format!(
            "disable = [\"fs.delete-home\"]\n{original}\n[[rules]]\nid = \"team.no-ls\"\n\
             decision = \"deny\"\nreason = \"Use the Glob tool.\"\nmatch.programs = [\"ls\"]\n"
        ),
    )
    .unwrap();

    let result = replay(&ctx, &policy);
    assert_eq!(result["changed"], 2, "{result:#}");
    let changes = result["changes"].as_array().unwrap();
    let ls = changes
        .iter()
        .find(|c| c["summary"].as_str().unwrap().starts_with("ls"))
        .unwrap();
    assert_eq!(ls["from"], Value::Null);
    assert_eq!(ls["to"], "deny");
    assert_eq!(ls["to_rule"], "team.no-ls");
    let home = changes
        .iter()
        .find(|c| c["from_rule"] == "fs.delete-home")
        .unwrap();
    assert_eq!(home["from"], "deny");
    assert_ne!(home["to"], "deny", "{home:#}");
    assert_eq!(result["groups"][0]["change"], "newly denied");
    assert_eq!(result["groups"][0]["rules"][0]["rule"], "team.no-ls");

    let readable = ctx.ward(&["policy", "replay", "--policy", &policy]);
    readable.assert_success();
    assert!(
        readable.stdout.contains("Newly denied (1):"),
        "{}",
        readable.stdout
    );
    assert!(
        readable.stdout.contains("team.no-ls"),
        "{}",
        readable.stdout
    );
}

#[test]
fn rate_limits_count_the_replayed_calls_in_order() {
    let ctx = recorded();
    let policy = variant(
        &ctx,
        "rate.toml",
        "\n[[rules]]\nid = \"team.read-rate\"\ndecision = \"deny\"\nreason = \"Slow down.\"\nmatch.tools = [\"Read\"]\nmatch.rate = { max = 2, per = \"1h\", by = \"session\" }\n",
    );
    let result = replay(&ctx, &policy);
    // Four reads in the session: the third and fourth pass the limit.
    let denied: Vec<&Value> = result["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["to_rule"] == "team.read-rate")
        .collect();
    assert_eq!(denied.len(), 2, "{result:#}");
    assert!(denied[0]["seq"].as_u64() < denied[1]["seq"].as_u64());
}

#[test]
fn a_policy_that_does_not_load_is_an_error_before_anything_is_replayed() {
    let ctx = recorded();
    let broken = variant(
        &ctx,
        "broken.toml",
        "\n[[rules]]\nid = \"x\"\ndecision = \"maybe\"\n",
    );
    let out = ctx.ward(&["policy", "replay", "--policy", &broken]);
    assert_eq!(out.code, 2, "{}", out.render());
    assert!(
        out.stderr.contains("unknown decision `maybe`"),
        "{}",
        out.stderr
    );
}

#[test]
fn diff_names_settings_and_rules_added_removed_and_changed() {
    let ctx = recorded();
    let old = ctx.root.join("old.toml");
    std::fs::write(
        &old,
        "preset = \"safety\"\n\n[[rules]]\nid = \"team.deploy\"\ndecision = \"ask\"\nreason = \"Deploys need a look.\"\nmatch.programs = [\"terraform\"]\n\n[[rules]]\nid = \"team.old\"\ndecision = \"warn\"\nreason = \"Old.\"\nmatch.programs = [\"svn\"]\n",
    )
    .unwrap();
    let new = ctx.root.join("new.toml");
    std::fs::write(
        &new,
        "preset = \"safety\"\nenforce = false\n\n[[rules]]\nid = \"team.deploy\"\ndecision = \"deny\"\nseverity = \"critical\"\nreason = \"Deploys need a look.\"\nmatch.programs = [\"terraform\", \"pulumi\"]\n\n[[rules]]\nid = \"team.new\"\ndecision = \"ask\"\nreason = \"New.\"\nmatch.programs = [\"helm\"]\n",
    )
    .unwrap();
    let out = ctx.ward(&[
        "policy",
        "diff",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 1, "{}", out.render());
    ctx.settings().bind(|| insta::assert_snapshot!(out.stdout));
    let json = ctx.ward(&[
        "policy",
        "diff",
        old.to_str().unwrap(),
        new.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(json.code, 1);
    let diff = json.json();
    assert_eq!(diff["added"][0]["id"], "team.new");
    assert_eq!(diff["removed"][0]["id"], "team.old");
    assert_eq!(diff["changed"][0]["id"], "team.deploy");

    let same = ctx.ward(&[
        "policy",
        "diff",
        old.to_str().unwrap(),
        old.to_str().unwrap(),
    ]);
    assert_eq!(same.code, 0, "{}", same.render());
    assert!(
        same.stdout
            .ends_with("0 setting(s) changed; 0 rule(s) added, 0 removed, 0 changed.\n")
    );
}
