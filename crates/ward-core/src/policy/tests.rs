//! Policy engine tests: layering, precedence, each condition kind with an allow
//! and a deny case, and every preset parsing and compiling.

use serde_json::json;

use super::*;
use crate::{AnalysisContext, Category, Severity, analyze};

fn placeholders() -> Placeholders {
    Placeholders {
        home: "/home/dev".to_owned(),
        ward_home: "/home/dev/.ward".to_owned(),
        project: "/home/dev/app".to_owned(),
        cwd: "/home/dev/app".to_owned(),
    }
}

fn source(layer: Layer, text: &str) -> PolicySource {
    PolicySource {
        layer,
        path: format!("{layer}.toml"),
        text: text.to_owned(),
    }
}

fn event(tool: &str, input: serde_json::Value) -> Event {
    Event::pre_tool_use("claude-code", "s1", "/home/dev/app", tool, input)
}

fn decide(policy: &Policy, tool: &str, input: serde_json::Value) -> Verdict {
    let event = event(tool, input);
    let context = AnalysisContext {
        cwd: "/home/dev/app".to_owned(),
        home: "/home/dev".to_owned(),
        branch: None,
    };
    let action = analyze(&event, &context);
    policy
        .evaluate(&event, &action, jiff::Timestamp::UNIX_EPOCH)
        .unwrap()
}

fn load(sources: &[PolicySource]) -> Policy {
    Policy::load(sources, &placeholders()).unwrap()
}

#[test]
fn every_preset_parses_and_compiles() {
    for (name, _) in PRESETS {
        let policy = load(&[source(Layer::User, &format!("preset = \"{name}\""))]);
        policy.validate_patterns().unwrap();
        assert!(policy.rules().len() >= 3, "{name} has rules");
        assert!(
            policy.warnings().is_empty(),
            "{name}: {:?}",
            policy.warnings()
        );
    }
    let audit = load(&[source(Layer::User, "preset = \"audit-only\"")]);
    assert!(!audit.enforce());
}

#[test]
fn no_rule_means_no_opinion() {
    let policy = load(&[source(Layer::User, "preset = \"safety\"")]);
    let verdict = decide(&policy, "Read", json!({"file_path": "src/main.rs"}));
    assert_eq!(verdict.decision, None);
    assert!(verdict.matched.is_empty());
}

#[test]
fn tool_and_category_conditions() {
    let text = r#"
[[rules]]
id = "no-web"
decision = "deny"
reason = "no web"
[rules.match]
tools = ["Web*"]
categories = ["network"]
"#;
    let policy = load(&[source(Layer::User, text)]);
    let denied = decide(&policy, "WebFetch", json!({"url": "https://x.example"}));
    assert_eq!(denied.decision, Some(Decision::Deny));
    assert_eq!(denied.matched[0].rule_id, "no-web");
    let silent = decide(&policy, "Read", json!({"file_path": "x"}));
    assert_eq!(silent.decision, None);
}

#[test]
fn target_globs_regexes_and_outside() {
    let text = r#"
[[rules]]
id = "no-env-write"
decision = "deny"
reason = "r"
[rules.match]
categories = ["file_write"]
targets = [".env"]

[[rules]]
id = "no-etc"
decision = "ask"
reason = "r"
[rules.match]
target_regexes = ['^/etc/']

[[rules]]
id = "outside"
decision = "warn"
reason = "r"
[rules.match]
categories = ["file_write"]
targets_outside = ["$PROJECT/**"]
"#;
    let policy = load(&[source(Layer::User, text)]);
    assert_eq!(
        decide(&policy, "Write", json!({"file_path": "config/.env"})).decision,
        Some(Decision::Deny)
    );
    // A read of .env is not a write: the category filters the target.
    assert_eq!(
        decide(&policy, "Read", json!({"file_path": ".env"})).decision,
        None
    );
    assert_eq!(
        decide(&policy, "Read", json!({"file_path": "/etc/hosts"})).decision,
        Some(Decision::Ask)
    );
    assert_eq!(
        decide(&policy, "Write", json!({"file_path": "/tmp/x"})).decision,
        Some(Decision::Warn)
    );
    assert_eq!(
        decide(&policy, "Write", json!({"file_path": "src/x.rs"})).decision,
        None
    );
}

#[test]
fn precedence_is_deny_ask_warn_allow() {
    let text = r#"
[[rules]]
id = "a-allow"
decision = "allow"
reason = "r"
[rules.match]
tools = ["Write"]
[[rules]]
id = "b-warn"
decision = "warn"
reason = "r"
[rules.match]
tools = ["Write"]
[[rules]]
id = "c-ask"
decision = "ask"
reason = "r"
[rules.match]
tools = ["Write"]
"#;
    let policy = load(&[source(Layer::User, text)]);
    let verdict = decide(&policy, "Write", json!({"file_path": "x"}));
    assert_eq!(verdict.decision, Some(Decision::Ask));
    let ids: Vec<&str> = verdict.matched.iter().map(|m| m.rule_id.as_str()).collect();
    assert_eq!(ids, ["c-ask", "b-warn", "a-allow"]);
}

#[test]
fn a_lower_layer_cannot_loosen_a_managed_rule() {
    let managed = r#"
[[rules]]
id = "no-write"
decision = "deny"
reason = "managed says no"
[rules.match]
tools = ["Write"]
"#;
    let user = r#"
disable = ["no-write"]
[[rules]]
id = "no-write"
decision = "allow"
reason = "user says yes"
[rules.match]
tools = ["Write"]
"#;
    let policy = load(&[source(Layer::User, user), source(Layer::Managed, managed)]);
    let verdict = decide(&policy, "Write", json!({"file_path": "x"}));
    assert_eq!(verdict.decision, Some(Decision::Deny));
    assert_eq!(policy.warnings().len(), 2, "{:?}", policy.warnings());
}

#[test]
fn a_lower_layer_can_tighten_and_add() {
    let managed = r#"
[[rules]]
id = "web"
decision = "warn"
reason = "r"
[rules.match]
tools = ["WebFetch"]
"#;
    let project = r#"
[[rules]]
id = "web"
decision = "deny"
reason = "project forbids"
[rules.match]
tools = ["WebFetch"]
"#;
    let policy = load(&[
        source(Layer::Managed, managed),
        source(Layer::Project, project),
    ]);
    let verdict = decide(&policy, "WebFetch", json!({"url": "https://x"}));
    assert_eq!(verdict.decision, Some(Decision::Deny));
    assert!(verdict.matched[0].source.starts_with("project"));
}

#[test]
fn enforce_can_only_be_tightened_downwards() {
    let policy = load(&[
        source(Layer::Managed, "enforce = true"),
        source(Layer::User, "enforce = false"),
    ]);
    assert!(policy.enforce());
    let policy = load(&[source(Layer::User, "enforce = false")]);
    assert!(!policy.enforce());
}

#[test]
fn self_protection_is_builtin_and_only_managed_can_lift_it() {
    let policy = load(&[source(
        Layer::User,
        "disable = [\"self.protect-ward-files\"]",
    )]);
    let verdict = decide(
        &policy,
        "Write",
        json!({"file_path": "/home/dev/.ward/policy.toml"}),
    );
    assert_eq!(verdict.decision, Some(Decision::Deny));
    assert_eq!(verdict.matched[0].rule_id, "self.protect-ward-files");
    let read_key = decide(
        &policy,
        "Read",
        json!({"file_path": "~/.ward/host-key.pem"}),
    );
    assert_eq!(read_key.decision, Some(Decision::Deny));

    let lifted = load(&[source(Layer::Managed, "self_protection = false")]);
    let verdict = decide(
        &lifted,
        "Write",
        json!({"file_path": "/home/dev/.ward/policy.toml"}),
    );
    assert_eq!(verdict.decision, None);
}

#[test]
fn default_decision_applies_when_nothing_matches() {
    let policy = load(&[source(Layer::User, "default = \"ask\"")]);
    let verdict = decide(&policy, "Read", json!({"file_path": "x"}));
    assert_eq!(verdict.decision, Some(Decision::Ask));
    assert_eq!(verdict.matched[0].rule_id, "default");
}

#[test]
fn errors_name_file_line_and_rule() {
    let bad_decision = "[[rules]]\nid = \"x\"\ndecision = \"maybe\"\n";
    let error = Policy::load(&[source(Layer::User, bad_decision)], &placeholders()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "user.toml:2: rule `x`: unknown decision `maybe` (expected allow, warn, ask or deny)"
    );
    let typo = "[[rules]]\nid = \"x\"\ndecision = \"deny\"\n[rules.match]\ntool = [\"Bash\"]\n";
    let error = Policy::load(&[source(Layer::User, typo)], &placeholders()).unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("user.toml:5: unknown field `tool`"),
        "{error}"
    );
    let category =
        "[[rules]]\nid = \"x\"\ndecision = \"deny\"\n[rules.match]\ncategories = [\"disk\"]\n";
    let error = Policy::load(&[source(Layer::User, category)], &placeholders()).unwrap_err();
    assert!(
        error.to_string().contains("unknown category `disk`"),
        "{error}"
    );
    let glob = "[[rules]]\nid = \"g\"\ndecision = \"deny\"\n[rules.match]\ntargets = [\"a[\"]\n";
    let policy = load(&[source(Layer::User, glob)]);
    assert!(policy.validate_patterns().is_err());
    let error =
        Policy::load(&[source(Layer::User, "preset = \"lax\"")], &placeholders()).unwrap_err();
    assert_eq!(error.to_string(), "user.toml: unknown preset `lax`");
}

#[test]
fn json_policies_are_accepted() {
    let text =
        r#"{"rules":[{"id":"j","decision":"deny","reason":"r","match":{"tools":["Bash"]}}]}"#;
    let policy = load(&[source(Layer::User, text)]);
    let verdict = decide(&policy, "Bash", json!({"command": "ls"}));
    assert_eq!(verdict.decision, Some(Decision::Deny));
}

#[test]
fn policy_hash_changes_with_content() {
    let a = load(&[source(Layer::User, "preset = \"safety\"")]);
    let b = load(&[source(Layer::User, "preset = \"strict\"")]);
    assert_ne!(a.hash(), b.hash());
    assert_eq!(a.hash().len(), 64);
}

#[test]
fn credential_reads_ask_in_safety_and_deny_in_strict() {
    let safety = load(&[source(Layer::User, "preset = \"safety\"")]);
    let verdict = decide(&safety, "Read", json!({"file_path": ".env"}));
    assert_eq!(verdict.decision, Some(Decision::Ask));
    let strict = load(&[source(Layer::User, "preset = \"strict\"")]);
    let verdict = decide(&strict, "Read", json!({"file_path": ".env"}));
    assert_eq!(verdict.decision, Some(Decision::Deny));
    assert!(
        !decide(&safety, "Read", json!({"file_path": ".env.example"}))
            .matched
            .iter()
            .any(|m| m.rule_id == "secrets.credential-files")
    );
    let _ = Category::ALL;
}

fn first_rule(verdict: &Verdict) -> &str {
    verdict.matched.first().map_or("", |m| m.rule_id.as_str())
}

#[test]
fn protected_branches_default_and_every_layer_adds_to_them() {
    let safety = load(&[source(Layer::User, "preset = \"safety\"")]);
    assert_eq!(
        safety.protected_branches().globs(),
        DEFAULT_PROTECTED_BRANCHES.map(str::to_owned)
    );
    let push =
        |policy: &Policy, command: &str| decide(policy, "Bash", json!({ "command": command }));
    let verdict = push(&safety, "git push --force origin release/2.1");
    assert_eq!(verdict.decision, Some(Decision::Deny));
    assert_eq!(first_rule(&verdict), "git.force-push-protected");
    let verdict = push(&safety, "git push --force origin staging");
    assert_eq!(verdict.decision, Some(Decision::Warn));
    assert_eq!(first_rule(&verdict), "git.force-push");

    // A project protects `staging` too; the user's list cannot take `main` away.
    let layered = load(&[
        source(Layer::Project, "protected_branches = [\"staging\"]"),
        source(
            Layer::User,
            "preset = \"safety\"\nprotected_branches = [\"nothing-else\"]",
        ),
    ]);
    let globs = layered.protected_branches().globs();
    assert!(globs.contains(&"staging".to_owned()), "{globs:?}");
    assert!(!globs.contains(&"main".to_owned()), "{globs:?}");
    assert_eq!(
        push(&layered, "git push --force origin staging").decision,
        Some(Decision::Deny)
    );
    assert_eq!(
        push(&layered, "git push -f origin feature").decision,
        Some(Decision::Warn)
    );
}

#[test]
fn protected_branch_needs_findings() {
    let text = "[[rules]]\nid = \"x\"\ndecision = \"deny\"\nreason = \"r\"\n[rules.match]\nprotected_branch = true\n";
    let error = Policy::load(&[source(Layer::User, text)], &placeholders())
        .err()
        .map(|error| error.to_string())
        .unwrap_or_default();
    assert!(error.contains("protected_branch"), "{error}");
}

#[test]
fn unless_flags_exempt_a_command() {
    let safety = load(&[source(Layer::User, "preset = \"safety\"")]);
    let publish = decide(
        &safety,
        "Bash",
        json!({ "command": "cargo publish -p ward-core" }),
    );
    assert_eq!(first_rule(&publish), "publish.package");
    let dry = decide(
        &safety,
        "Bash",
        json!({ "command": "cargo publish --dry-run" }),
    );
    assert_eq!(dry.decision, None, "{:?}", dry.matched);
}

#[test]
fn findings_select_by_kind_glob() {
    let text = "[[rules]]\nid = \"team.no-sql-drops\"\ndecision = \"deny\"\nreason = \"r\"\n[rules.match]\nfindings = [\"db.drop-*\"]\n";
    let policy = load(&[source(Layer::User, text)]);
    let drop = decide(
        &policy,
        "Bash",
        json!({ "command": "psql -c 'DROP TABLE t'" }),
    );
    assert_eq!(drop.decision, Some(Decision::Deny));
    let select = decide(&policy, "Bash", json!({ "command": "psql -c 'SELECT 1'" }));
    assert_eq!(select.decision, None);
}

#[test]
fn a_bad_protected_branch_glob_names_its_file() {
    let error = Policy::load(
        &[source(
            Layer::Project,
            "protected_branches = [\"release/[\"]",
        )],
        &placeholders(),
    )
    .err()
    .map(|error| error.to_string())
    .unwrap_or_default();
    assert!(error.contains("project.toml"), "{error}");
    assert!(error.contains("protected_branches"), "{error}");
}

/// A counter that remembers, per rule and key, how many calls it counted.
#[derive(Default)]
struct Tally(std::collections::HashMap<(String, String), u64>);

impl RateCounter for Tally {
    fn count(&mut self, query: &RateQuery<'_>) -> Result<u64, String> {
        let count = self
            .0
            .entry((query.rule_id.to_owned(), query.key.to_owned()))
            .or_default();
        *count += 1;
        Ok(*count)
    }
}

#[test]
fn a_rate_limited_rule_holds_from_the_call_after_max() {
    let policy = load(&[source(
        Layer::User,
        r#"
[[rules]]
id = "team.bash-burst"
decision = "deny"
reason = "Too many shell commands."
match.tools = ["Bash"]
match.rate = { max = 2, per = "1m", by = "tool" }
"#,
    )]);
    let context = AnalysisContext {
        cwd: "/home/dev/app".to_owned(),
        home: "/home/dev".to_owned(),
        branch: None,
    };
    let mut tally = Tally::default();
    let mut decide_counting = |tool: &str, input: serde_json::Value| {
        let event = event(tool, input);
        let action = analyze(&event, &context);
        policy
            .evaluate_counting(&event, &action, jiff::Timestamp::UNIX_EPOCH, &mut tally)
            .unwrap()
    };
    let first = decide_counting("Bash", json!({"command": "ls"}));
    assert_eq!(first.decision, None);
    assert_eq!(first.rate_counts[0].count, 1);
    assert_eq!(first.rate_counts[0].key, "tool:Bash");
    // A Read does not meet the rule's other conditions: not counted.
    let read = decide_counting("Read", json!({"file_path": "/home/dev/app/a"}));
    assert!(read.rate_counts.is_empty());
    assert_eq!(
        decide_counting("Bash", json!({"command": "ls"})).decision,
        None
    );
    let third = decide_counting("Bash", json!({"command": "ls"}));
    assert_eq!(third.decision, Some(Decision::Deny));
    assert_eq!(third.matched[0].rule_id, "team.bash-burst");
    assert_eq!(third.rate_counts[0].count, 3);
    // Without a counter nothing is counted, and the limit never holds.
    assert_eq!(
        decide(&policy, "Bash", json!({"command": "ls"})).decision,
        None
    );
}

#[test]
fn a_rule_has_its_severity_or_its_decisions_default() {
    let policy = load(&[source(
        Layer::User,
        r#"
preset = "safety"

[[rules]]
id = "team.no-curl"
decision = "deny"
reason = "No curl."
match.programs = ["curl"]

[[rules]]
id = "team.wget"
decision = "deny"
severity = "low"
reason = "No wget."
match.programs = ["wget"]
"#,
    )]);
    let severity = |input: serde_json::Value| {
        let verdict = decide(&policy, "Bash", input);
        verdict.deciding_rule().map(|rule| rule.severity)
    };
    assert_eq!(
        severity(json!({"command": "curl https://example.com"})),
        Some(Severity::High)
    );
    assert_eq!(
        severity(json!({"command": "wget https://example.com"})),
        Some(Severity::Low)
    );
    // The safety preset marks what cannot be undone as critical.
    let home = decide(&policy, "Bash", json!({"command": "rm -rf ~"}));
    let rule = home.deciding_rule().unwrap();
    assert_eq!(
        (rule.rule_id.as_str(), rule.severity),
        ("fs.delete-home", Severity::Critical)
    );
    let reset = decide(&policy, "Bash", json!({"command": "git reset --hard"}));
    assert_eq!(reset.deciding_rule().unwrap().severity, Severity::Medium);

    let error = Policy::load(
        &[source(
            Layer::User,
            "[[rules]]\nid = \"x\"\ndecision = \"deny\"\nseverity = \"grave\"\n",
        )],
        &placeholders(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("unknown severity `grave` (expected low, medium, high or critical)"),
        "{error}"
    );
}
