//! Tests of the redactor: every rule, JSON walking, idempotence, properties.
use std::time::{Duration, Instant};

use proptest::prelude::*;
use serde_json::json;

use super::*;

/// One realistic (and obviously fake) secret per rule, and a near miss.
struct Case {
    rule_id: &'static str,
    positive: &'static str,
    secret: &'static str,
    negative: &'static str,
}

const JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
const GITHUB_TOKEN: &str = "ghp_EXAMPLEexampleEXAMPLEexample01234567";

const CASES: &[Case] = &[
    Case {
        rule_id: "private-key",
        positive: "cat id_ed25519\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABFAKEFAKE\n-----END OPENSSH PRIVATE KEY-----\ndone",
        secret: "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABFAKEFAKE",
        negative: "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEFAKEFAKE\n-----END PUBLIC KEY-----",
    },
    Case {
        rule_id: "aws-access-key-id",
        positive: "export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
        secret: "AKIAIOSFODNN7EXAMPLE",
        negative: "the AKIA prefix marks long-term keys; akiaiosfodnn7example is lowercase",
    },
    Case {
        rule_id: "aws-secret-access-key",
        positive: "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        negative: "aws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}",
    },
    Case {
        rule_id: "github-token",
        positive: "gh auth login --with-token <<< ghp_EXAMPLEexampleEXAMPLEexample01234567",
        secret: GITHUB_TOKEN,
        negative: "ghp_ prefixes a classic token; ghp_short and ghx_EXAMPLEexampleEXAMPLEexample01234567 are not",
    },
    Case {
        rule_id: "gitlab-token",
        positive: "git remote add origin https://oauth2@gitlab.example.com/x.git # glpat-EXAMPLEexample012345",
        secret: "glpat-EXAMPLEexample012345",
        negative: "glpat-short",
    },
    Case {
        rule_id: "slack-token",
        positive: "SLACK_BOT=xoxb-0000000000-0000000000-EXAMPLEexampleEXAMPLE",
        secret: "xoxb-0000000000-0000000000-EXAMPLEexampleEXAMPLE",
        negative: "xoxq-0000000000-0000000000-EXAMPLE and xoxb-123",
    },
    Case {
        rule_id: "slack-webhook",
        positive: "curl -X POST https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX -d '{}'",
        secret: "T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        negative: "see https://hooks.slack.com/services/ for the docs",
    },
    Case {
        rule_id: "stripe-key",
        positive: "stripe.api_key = \"sk_live_EXAMPLEexample0123456789\"",
        secret: "sk_live_EXAMPLEexample0123456789",
        negative: "publishable: pk_live_EXAMPLEexample0123456789",
    },
    Case {
        rule_id: "google-api-key",
        positive: "https://maps.googleapis.com/maps/api/js?key=AIzaSyEXAMPLE-example_EXAMPLE0123456789",
        secret: "AIzaSyEXAMPLE-example_EXAMPLE0123456789",
        negative: "AIzaShortOne",
    },
    Case {
        rule_id: "anthropic-api-key",
        positive: "x-api-key: sk-ant-api03-EXAMPLEexampleEXAMPLEexample-0123456789_AA",
        secret: "sk-ant-api03-EXAMPLEexampleEXAMPLEexample-0123456789_AA",
        negative: "sk-ant-xyz",
    },
    Case {
        rule_id: "openai-api-key",
        positive: "OPENAI_API_KEY=sk-proj-EXAMPLEexampleEXAMPLEexample0123456789",
        secret: "sk-proj-EXAMPLEexampleEXAMPLEexample0123456789",
        negative: "cargo run -p task-EXAMPLEexampleEXAMPLEexample0123456789",
    },
    Case {
        rule_id: "huggingface-token",
        positive: "huggingface-cli login --token hf_EXAMPLEexampleEXAMPLEexampleEXAMPL",
        secret: "hf_EXAMPLEexampleEXAMPLEexampleEXAMPL",
        negative: "from huggingface_hub import hf_hub_download",
    },
    Case {
        rule_id: "npm-token",
        positive: "//registry.npmjs.org/:_authToken=npm_EXAMPLEexampleEXAMPLEexample01234567",
        secret: "npm_EXAMPLEexampleEXAMPLEexample01234567",
        negative: "npm_config_registry=https://registry.npmjs.org/",
    },
    Case {
        rule_id: "pypi-token",
        positive: "twine upload -p pypi-AgEIcHlwaS5vcmcEXAMPLEexampleEXAMPLEexampleEXAMPLEexample0123456789 dist/*",
        secret: "pypi-AgEIcHlwaS5vcmcEXAMPLEexampleEXAMPLEexampleEXAMPLEexample0123456789",
        negative: "pip install pypi-simple",
    },
    Case {
        rule_id: "sendgrid-api-key",
        positive: "SENDGRID=SG.EXAMPLEexample0123456a.EXAMPLEexampleEXAMPLEexample0123456789abcde",
        secret: "SG.EXAMPLEexample0123456a.EXAMPLEexampleEXAMPLEexample0123456789abcde",
        negative: "let msg = SG.ok(); log(msg.len())",
    },
    Case {
        rule_id: "jwt",
        positive: "id_token_hint=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        secret: JWT,
        negative: "eyJhbGciOiJIUzI1NiJ9 is only a header",
    },
    Case {
        rule_id: "url-password",
        positive: "psql postgres://admin:S3cr3tP4ss@db.example.com:5432/app",
        secret: "S3cr3tP4ss",
        negative: "https://example.com:8443/path git@github.com:org/repo.git ssh://git@github.com/org postgres://admin:${PGPASSWORD}@db",
    },
    Case {
        rule_id: "authorization-header",
        positive: "curl -H \"Authorization: Basic dXNlcjpFWEFNUExFcGFzcw==\" https://api.example.com",
        secret: "dXNlcjpFWEFNUExFcGFzcw==",
        negative: "curl -H \"Authorization: Bearer $API_TOKEN\" https://api.example.com",
    },
    Case {
        rule_id: "bearer-token",
        positive: "X-Upstream-Auth: bearer 8f14e45fceea167a5a36dedd4bea2543",
        secret: "8f14e45fceea167a5a36dedd4bea2543",
        negative: "the bearer authentication scheme is described in RFC 6750",
    },
    Case {
        rule_id: "secret-assignment",
        positive: "DB_PASSWORD='Xk9#mQ2!vL7pR4' ./migrate",
        secret: "Xk9#mQ2!vL7pR4",
        negative: "password = changeme",
    },
];

fn redact(text: &str) -> Redaction<'_> {
    redactor().redact_str(text)
}

fn rule(id: &str) -> &'static Rule {
    RULES
        .iter()
        .find(|rule| rule.id == id)
        .unwrap_or_else(|| panic!("no rule {id}"))
}

#[test]
fn every_rule_compiles() {
    for rule in RULES {
        assert!(
            Regex::new(rule.pattern).is_ok(),
            "{} does not compile",
            rule.id
        );
    }
}

#[test]
fn rule_ids_are_unique_and_keywords_lowercase() {
    let mut ids: Vec<&str> = Redactor::rule_ids().collect();
    ids.extend([SECRET_FIELD_RULE, TOO_DEEP_RULE]);
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), count);
    for rule in RULES {
        assert!(!rule.keywords.is_empty(), "{} has no keyword", rule.id);
        for keyword in rule.keywords {
            assert_eq!(*keyword, keyword.to_ascii_lowercase(), "{}", rule.id);
        }
    }
}

#[test]
fn every_rule_has_a_case() {
    for id in Redactor::rule_ids() {
        assert!(
            CASES.iter().any(|case| case.rule_id == id),
            "no case for {id}"
        );
    }
}

#[test]
fn every_positive_case_hits_its_keywords() {
    for case in CASES {
        let lowered = case.positive.to_ascii_lowercase();
        assert!(
            rule(case.rule_id)
                .keywords
                .iter()
                .any(|keyword| lowered.contains(keyword)),
            "{}",
            case.rule_id
        );
    }
}

#[test]
fn positive_cases_are_redacted() {
    for case in CASES {
        let redaction = redact(case.positive);
        let expected = format!("[REDACTED:{}]", case.rule_id);
        assert!(
            !redaction.text.contains(case.secret),
            "{}: {}",
            case.rule_id,
            redaction.text
        );
        assert!(
            redaction.text.contains(&expected),
            "{}: {}",
            case.rule_id,
            redaction.text
        );
        assert!(
            redaction.findings.iter().any(|f| f.rule_id == case.rule_id),
            "{}",
            case.rule_id
        );
        assert!(
            redactor().contains_secret(case.positive),
            "{}",
            case.rule_id
        );
    }
}

#[test]
fn negative_cases_are_left_alone() {
    for case in CASES {
        let redaction = redact(case.negative);
        assert!(
            redaction.is_clean(),
            "{}: {:?}",
            case.rule_id,
            redaction.findings
        );
        assert!(matches!(redaction.text, Cow::Borrowed(_)));
        assert!(
            !redactor().contains_secret(case.negative),
            "{}",
            case.rule_id
        );
    }
}

#[test]
fn redaction_is_idempotent() {
    for case in CASES {
        let once = redact(case.positive).text.into_owned();
        let twice = redact(&once);
        assert!(
            twice.is_clean(),
            "{}: {once} -> {:?}",
            case.rule_id,
            twice.findings
        );
    }
}

#[test]
fn only_the_secret_part_is_replaced() {
    assert_eq!(
        redact("psql postgres://admin:S3cr3tP4ss@db.example.com:5432/app").text,
        "psql postgres://admin:[REDACTED:url-password]@db.example.com:5432/app"
    );
    assert_eq!(
        redact("curl -H 'Authorization: Bearer abcDEF123ghiJKL456mno' x").text,
        "curl -H 'Authorization: Bearer [REDACTED:authorization-header]' x"
    );
    assert_eq!(
        redact("DB_PASSWORD='Xk9#mQ2!vL7pR4' ./migrate").text,
        "DB_PASSWORD='[REDACTED:secret-assignment]' ./migrate"
    );
    assert_eq!(
        redact("cat key.pem\n-----BEGIN RSA PRIVATE KEY-----\nMIIEFAKE\n-----END RSA PRIVATE KEY-----\nok").text,
        "cat key.pem\n[REDACTED:private-key]\nok"
    );
}

#[test]
fn truncated_private_key_is_redacted_to_the_end() {
    let text = "head -3 id_rsa\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAFAKE\nFAKEFAKE";
    assert_eq!(redact(text).text, "head -3 id_rsa\n[REDACTED:private-key]");
}

#[test]
fn legacy_openai_key_is_redacted() {
    let text = "sk-EXAMPLEexampleEXAMPLEeT3BlbkFJEXAMPLEexampleEXAMPLEe";
    assert_eq!(redact(text).text, "[REDACTED:openai-api-key]");
}

#[test]
fn generic_assignment_keeps_placeholders_and_references() {
    for text in [
        "password = changeme",
        "password: hunter22",
        "token = ${TOKEN}",
        "token=$TOKEN",
        "export GITHUB_TOKEN=\"$(gh auth token)\"",
        "api_key: <your-api-key-here>",
        "secret: '{{ .Values.secret }}'",
        "password: ********",
        "let token = parse_token(input);",
        "max_tokens: 4096",
        "\"secret\": true",
        "tokenizer = AutoTokenizer.from_pretrained(name)",
    ] {
        let redaction = redact(text);
        assert!(redaction.is_clean(), "{text}: {:?}", redaction.findings);
    }
}

#[test]
fn generic_assignment_redacts_real_values() {
    for (text, expected) in [
        (
            "password = \"correct horse battery staple\"",
            "password = \"[REDACTED:secret-assignment]\"",
        ),
        (
            "{\"client_secret\":\"Zq8vN2xL5mK7pR3t\"}",
            "{\"client_secret\":\"[REDACTED:secret-assignment]\"}",
        ),
        (
            "export API_TOKEN=a1b2c3d4e5f6g7h8 && run",
            "export API_TOKEN=[REDACTED:secret-assignment] && run",
        ),
        (
            "https://api.example.com/v1?access_token=Q7x9Lm2Kp4Rt8Vz1&page=2",
            "https://api.example.com/v1?access_token=[REDACTED:secret-assignment]&page=2",
        ),
    ] {
        assert_eq!(redact(text).text, expected);
    }
}

#[test]
fn overlapping_findings_merge() {
    // `GH_TOKEN=` (generic) and the GitHub token cover the same bytes, and so do the URL
    // password and the GitHub token: the more specific rule names each.
    let text =
        format!("GH_TOKEN={GITHUB_TOKEN} https://oauth2:{GITHUB_TOKEN}@gitlab.example.com/o/r");
    let redaction = redact(&text);
    assert_eq!(
        redaction.text,
        "GH_TOKEN=[REDACTED:github-token] https://oauth2:[REDACTED:github-token]@gitlab.example.com/o/r"
    );
    assert_eq!(redaction.findings.len(), 2);
    for pair in redaction.findings.windows(2) {
        assert!(pair[0].end <= pair[1].start);
    }
    let finding = redaction.findings[0];
    assert_eq!(&text[finding.start..finding.end], GITHUB_TOKEN);
}

#[test]
fn unicode_around_secrets_survives() {
    let text = format!("日本語 «{GITHUB_TOKEN}» 🎉 naïve password=Ωmega-Σecret-42 é");
    let redaction = redact(&text);
    assert_eq!(
        redaction.text,
        "日本語 «[REDACTED:github-token]» 🎉 naïve password=[REDACTED:secret-assignment] é"
    );
    for finding in &redaction.findings {
        assert!(text.is_char_boundary(finding.start));
        assert!(text.is_char_boundary(finding.end));
    }
}

#[test]
fn clean_text_is_borrowed() {
    let redaction = redact("ls -la ~/projects && cargo build --release");
    assert!(redaction.is_clean());
    assert!(matches!(redaction.text, Cow::Borrowed(_)));
    assert!(redact("").is_clean());
}

#[test]
fn json_values_are_redacted_throughout() {
    let value = json!({
        "tool_name": "Bash",
        "tool_input": {
            "command": "curl -H 'Authorization: Bearer abcDEF123ghiJKL456mno' https://api.example.com",
            "env": {
                "GITHUB_TOKEN": GITHUB_TOKEN,
                "DB_PASSWORD": "changeme123",
                "api_key": "${API_KEY}",
                "token": "short",
                "max_tokens": 4096,
                "secret_name": "prod-db"
            },
            "args": [["--key", "AKIAIOSFODNN7EXAMPLE"], {"clientSecret": "Zq8vN2xL5mK7pR3t"}]
        }
    });
    let (redacted, rule_ids) = redactor().redact_value(&value);
    assert_eq!(
        redacted,
        json!({
            "tool_name": "Bash",
            "tool_input": {
                "command": "curl -H 'Authorization: Bearer [REDACTED:authorization-header]' https://api.example.com",
                "env": {
                    "GITHUB_TOKEN": "[REDACTED:secret-field]",
                    "DB_PASSWORD": "[REDACTED:secret-field]",
                    "api_key": "${API_KEY}",
                    "token": "short",
                    "max_tokens": 4096,
                    "secret_name": "prod-db"
                },
                "args": [["--key", "[REDACTED:aws-access-key-id]"], {"clientSecret": "[REDACTED:secret-field]"}]
            }
        })
    );
    assert_eq!(
        rule_ids,
        vec![
            "authorization-header",
            "aws-access-key-id",
            "github-token",
            "secret-field"
        ]
    );
    let (again, again_ids) = redactor().redact_value(&redacted);
    assert_eq!(again, redacted);
    assert!(again_ids.is_empty(), "{again_ids:?}");
}

#[test]
fn json_keys_are_redacted_without_losing_members() {
    let other = "ghp_OTHERotherOTHERotherOTHERother0123456";
    let value = json!({ GITHUB_TOKEN: 1, other: 2, "plain": 3 });
    let (redacted, rule_ids) = redactor().redact_value(&value);
    assert_eq!(
        redacted,
        json!({
            "[REDACTED:github-token]": 1,
            "[REDACTED:github-token]#2": 2,
            "plain": 3
        })
    );
    assert_eq!(rule_ids, vec!["github-token"]);
}

#[test]
fn secret_keys_are_recognised_by_suffix() {
    for key in [
        "password",
        "DB_PASSWORD",
        "clientSecret",
        "x-api-key",
        "aws_secret_access_key",
        "refresh_token",
        "Authorization",
        "private_key",
    ] {
        assert!(is_secret_key(key), "{key}");
    }
    for key in [
        "max_tokens",
        "token_count",
        "secret_name",
        "key",
        "pwd",
        "tokenizer",
    ] {
        assert!(!is_secret_key(key), "{key}");
    }
}

#[test]
fn deep_json_is_cut_at_the_bound() {
    let mut value = json!(GITHUB_TOKEN);
    for _ in 0..(MAX_VALUE_DEPTH + 50) {
        value = json!([value]);
    }
    let (redacted, rule_ids) = redactor().redact_value(&value);
    assert_eq!(rule_ids, vec![TOO_DEEP_RULE]);
    let mut node = &redacted;
    let mut depth = 0;
    while let Value::Array(items) = node {
        node = &items[0];
        depth += 1;
    }
    assert_eq!(depth, MAX_VALUE_DEPTH);
    assert_eq!(node, &json!("[REDACTED:too-deep]"));
    assert!(!redacted.to_string().contains(GITHUB_TOKEN));
}

#[test]
fn entropy_matches_known_values() {
    assert!(shannon_entropy("").abs() < 1e-9);
    assert!(shannon_entropy("aaaaaaaa").abs() < 1e-9);
    assert!((shannon_entropy("abcdefgh") - 3.0).abs() < 1e-9);
    assert!((shannon_entropy("changeme") - 2.75).abs() < 1e-9);
}

/// About 2 KB of ordinary tool output with no keyword of any rule.
fn clean_text() -> String {
    let lines = [
        "drwxr-xr-x  12 dev  staff   384 Mar  3 10:12 crates\n",
        "-rw-r--r--   1 dev  staff  1873 Mar  3 10:12 Cargo.toml\n",
        "   Compiling serde_json v1.0.140\n",
        "   Compiling regex-automata v0.4.9\n",
        "test analyze::shell::tests::pipes_are_split ... ok\n",
        "warning: unused variable: `count` in src/lib.rs:42:9\n",
    ];
    let mut text = String::new();
    while text.len() < 2048 {
        for line in lines {
            text.push_str(line);
        }
    }
    text
}

fn time<T>(run: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let result = run();
    (result, started.elapsed())
}

/// The fastest of `RUNS` fresh runs of each step, so that other processes on the machine
/// disturb the figures less.
const RUNS: usize = 9;

/// Costs of one text on a fresh `Redactor`: construction, first call (which compiles
/// the regexes of the rules whose keywords occur), second call.
fn costs(text: &str, findings: usize) -> [Duration; 3] {
    let mut best = [Duration::MAX; 3];
    for _ in 0..RUNS {
        let (redactor, construction) = time(Redactor::new);
        let (first, first_cost) = time(|| redactor.redact_str(text));
        assert_eq!(first.findings.len(), findings);
        let (_, warm_cost) = time(|| redactor.redact_str(text));
        for (slot, cost) in best.iter_mut().zip([construction, first_cost, warm_cost]) {
            *slot = (*slot).min(cost);
        }
    }
    best
}

/// Prints costs; run with `--nocapture`. No assertion on time: the numbers depend on
/// the machine, its load and the profile (debug under `cargo test`, where `regex` and
/// `aho-corasick` are unoptimised too).
#[test]
fn report_costs() {
    let clean = clean_text();
    assert_eq!(Redactor::new().candidates(&clean), 0);
    let keyworded = format!(
        "{}see https://docs.example.com for token usage\n",
        clean.get(..1990).unwrap()
    );
    let with_secret = format!("{}export GH={GITHUB_TOKEN}\n", clean.get(..2000).unwrap());
    let [construction, clean_first, clean_warm] = costs(&clean, 0);
    let [_, keyword_first, keyword_warm] = costs(&keyworded, 0);
    let [_, secret_first, secret_warm] = costs(&with_secret, 1);
    let mut compile_all = Duration::MAX;
    for _ in 0..RUNS {
        let (_, cost) = time(|| {
            for rule in RULES {
                let _ = Regex::new(rule.pattern);
            }
        });
        compile_all = compile_all.min(cost);
    }
    println!(
        "redact costs ({} rules, ~{}-byte inputs, {} profile, best of {RUNS}):\n  \
         construction: {construction:?}\n  \
         no keyword: first {clean_first:?}, warm {clean_warm:?}\n  \
         `://` and `token`, no secret: first {keyword_first:?}, warm {keyword_warm:?}\n  \
         one GitHub token: first {secret_first:?}, warm {secret_warm:?}\n  \
         compiling every rule's regex: {compile_all:?}",
        RULES.len(),
        clean.len(),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
    );
}

fn secret() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9]{36}".prop_map(|s| format!("ghp_{s}")),
        "[A-Z0-9]{16}".prop_map(|s| format!("AKIA{s}")),
        "[A-Za-z0-9_-]{20,40}".prop_map(|s| format!("glpat-{s}")),
        "[A-Za-z0-9]{10,30}".prop_map(|s| format!("xoxb-{s}")),
        "[A-Za-z0-9_-]{40,60}".prop_map(|s| format!("sk-ant-api03-{s}")),
        "[A-Za-z0-9]{24,40}".prop_map(|s| format!("sk_live_{s}")),
        "[A-Za-z0-9_-]{35}".prop_map(|s| format!("AIza{s}")),
    ]
}

/// Text built from pieces of the rules' syntax, to reach the regexes' edge cases.
fn soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("password".to_owned()),
        Just("token".to_owned()),
        Just("=".to_owned()),
        Just(": ".to_owned()),
        Just("\"".to_owned()),
        Just("'".to_owned()),
        Just("$".to_owned()),
        Just("://".to_owned()),
        Just("@".to_owned()),
        Just("Authorization: Bearer ".to_owned()),
        Just("-----BEGIN EC PRIVATE KEY-----".to_owned()),
        Just("-----END EC PRIVATE KEY-----".to_owned()),
        Just("eyJ".to_owned()),
        Just(".".to_owned()),
        Just("[REDACTED:jwt]".to_owned()),
        Just("ghp_".to_owned()),
        Just("sk-".to_owned()),
        Just("\n".to_owned()),
        "[A-Za-z0-9]{1,40}",
        "\\PC{1,8}",
    ];
    prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

fn check_findings(text: &str, redaction: &Redaction<'_>) -> Result<(), TestCaseError> {
    let mut previous_end = 0;
    for finding in &redaction.findings {
        prop_assert!(finding.start >= previous_end && finding.start < finding.end);
        prop_assert!(finding.end <= text.len());
        prop_assert!(text.is_char_boundary(finding.start));
        prop_assert!(text.is_char_boundary(finding.end));
        previous_end = finding.end;
    }
    Ok(())
}

proptest! {
    #[test]
    fn redact_str_never_panics(text in "(?s).{0,300}") {
        let redaction = redact(&text);
        check_findings(&text, &redaction)?;
        prop_assert_eq!(redactor().contains_secret(&text), !redaction.is_clean());
    }

    #[test]
    fn syntax_soup_is_handled(text in soup()) {
        let redaction = redact(&text);
        check_findings(&text, &redaction)?;
        prop_assert_eq!(redactor().contains_secret(&text), !redaction.is_clean());
        let again = redact(&redaction.text);
        prop_assert!(again.is_clean(), "{:?} -> {:?}", redaction.text, again.findings);
    }

    #[test]
    fn embedded_secrets_never_survive(
        before in "\\PC{0,40}",
        secret in secret(),
        after in "\\PC{0,40}",
    ) {
        let text = format!("{before}{secret}{after}");
        let redaction = redact(&text);
        prop_assert!(!redaction.text.contains(&secret), "{}", redaction.text);
        let again = redact(&redaction.text);
        prop_assert!(again.is_clean(), "{:?} -> {:?}", redaction.text, again.findings);
    }
}

#[test]
fn large_texts_use_the_automaton_and_find_the_same_rules() {
    let redactor = Redactor::new();
    let token = format!("ghp_{}", "A1b2C3d4E5".repeat(4));
    let small = format!(
        "export GITHUB_TOKEN={token} # and sk-ant-api03-{}",
        "x".repeat(40)
    );
    let large = format!("{small}{}", " ".repeat(AUTOMATON_FROM_BYTES));
    assert!(small.len() < AUTOMATON_FROM_BYTES && large.len() >= AUTOMATON_FROM_BYTES);
    assert_eq!(redactor.candidates(&small), redactor.candidates(&large));
    assert_ne!(redactor.candidates(&small), 0);
    let redacted = redactor.redact_str(&large);
    assert!(!redacted.text.contains(&token));
    assert!(redacted.text.contains("[REDACTED:github-token]"));
}
