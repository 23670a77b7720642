//! Secret detection and redaction: what Ward removes before anything is recorded.
//!
//! This module owns a curated set of detection rules ([`Redactor`]) and the replacement of
//! what they find, in plain text ([`Redactor::redact_str`]) and in JSON values
//! ([`Redactor::redact_value`]). Each secret becomes `[REDACTED:<rule_id>]`, so a record
//! still shows what kind of secret was there, and the hash chain over the redacted record
//! stays verifiable. It leaves to others: deciding *where* to redact (the ledger writer
//! does it before canonicalising and hashing), wrappers that hide a secret from
//! `Debug`/`Display`, and loading user-defined rules.
//!
//! # Cost
//!
//! The hook is a fresh process per tool call, so construction is cheap on purpose: it
//! builds one case-insensitive Aho-Corasick automaton over every rule's keywords and
//! nothing else. A rule's regex is compiled the first time one of its keywords occurs in
//! the text, then kept. Text without any keyword costs one Aho-Corasick scan.
//!
//! # What it does not catch
//!
//! Detection is a trade-off between leaking and defacing the record, and every rule here
//! leans one way on purpose:
//!
//! - Provider tokens with a distinctive prefix (`ghp_`, `glpat-`, `AKIA`, `sk-ant-`...)
//!   are matched without a leading word boundary: a token glued to other text is still
//!   redacted, at the price of rare over-redaction inside long identifiers.
//! - Secrets without a recognisable shape or context are missed: a bare AWS secret key
//!   outside an assignment, a password passed as `--password hunter22` (flag and value
//!   separated by a space), a value split across lines.
//! - The generic `secret-assignment` rule needs a secret-ish key (`password`, `token`,
//!   `api_key`...), an `=` or `:`, and a value of at least 8 characters with a Shannon
//!   entropy of at least 3.0 bits per byte. That keeps placeholders such as
//!   `password = changeme` (2.75 bits) and references such as `token = ${TOKEN}`,
//!   `$TOKEN`, `<token>` or `{{ token }}` readable, but it also misses real passwords
//!   that are that weak, and it redacts high-entropy values that are not secrets
//!   (`password_file = /run/secrets/db`). Unquoted values must end at whitespace, a quote
//!   or a separator, so code such as `let token = parse_token(input);` is left alone.
//! - A PEM private key block without its `END` line (truncated output) is redacted up to
//!   the end of the text: losing the tail of a record is better than leaking a key.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use regex::Regex;
use serde::Serialize;
use serde_json::{Map, Value};

/// The rule id reported when a JSON string is redacted because of its key
/// (`"password": "..."`), whatever its content.
pub const SECRET_FIELD_RULE: &str = "secret-field";

/// The rule id reported when a JSON subtree nested deeper than [`MAX_VALUE_DEPTH`] is
/// replaced as a whole.
pub const TOO_DEEP_RULE: &str = "too-deep";

/// How deep [`Redactor::redact_value`] descends into arrays and objects. An array or object
/// at this depth is replaced by `[REDACTED:too-deep]`: it is not inspected, so it cannot
/// be recorded. serde_json's parser already stops at 128 levels; values built in code have
/// no such limit, and the walk is recursive.
pub const MAX_VALUE_DEPTH: usize = 128;

/// A string under a secret-ish key is redacted as a whole only from this many characters:
/// shorter values are flags or placeholders (`"token": "none"`).
const SECRET_FIELD_MIN_CHARS: usize = 8;

/// Normalised key suffixes (ASCII alphanumerics only, lowercased) that make a JSON string
/// value a secret whatever its content: `GITHUB_TOKEN`, `clientSecret`, `x-api-key`,
/// `aws_secret_access_key`, `db.password`. Suffixes rather than substrings keep
/// `max_tokens`, `token_count` and `secret_name` readable.
const SECRET_KEY_SUFFIXES: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "privatekey",
    "authorization",
    "credential",
    "credentials",
    "cookie",
];

/// How a replaced secret starts: `[REDACTED:` then the rule id then `]`.
const MARKER_PREFIX: &str = "[REDACTED:";

/// The detection rules, most specific first: when two rules find the same span, the
/// earlier one names it. Keywords are lowercase ASCII and matched case-insensitively; a
/// rule's regex runs only when one of its keywords occurs in the text, so every text the
/// regex can match must contain a keyword (the `every_positive_case_hits_its_keywords`
/// test checks the examples).
const RULES: &[Rule] = &[
    Rule {
        id: "private-key",
        keywords: &["private key"],
        // Through the END line, or to the end of the text when it is missing.
        pattern: r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|[\s\S]*)",
        secret: SecretSpan::WholeMatch,
        min_entropy: None,
    },
    Rule {
        id: "aws-access-key-id",
        keywords: &["akia", "asia"],
        // `{16,}`: a longer run of the same alphabet is redacted whole, never cut.
        pattern: r"(?:AKIA|ASIA)[A-Z0-9]{16,}",
        secret: SecretSpan::WholeMatch,
        min_entropy: None,
    },
    Rule {
        id: "aws-secret-access-key",
        keywords: &["secret_access_key", "secret-access-key", "secretaccesskey"],
        pattern: r#"(?i)secret[_\-]?access[_\-]?key\\?["']?\s*(?:=>|:=|[:=])\s*\\?["']?([A-Za-z0-9/+=]{40,})"#,
        secret: SecretSpan::FirstGroup,
        min_entropy: None,
    },
    Rule {
        id: "github-token",
        keywords: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
        pattern: r"gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,}",
        secret: SecretSpan::WholeMatch,
        min_entropy: None,
    },
    Rule {
        id: "gitlab-token",
        keywords: &["glpat-"],
        pattern: r"glpat-[A-Za-z0-9_\-]{20,}",
        secret: SecretSpan::WholeMatch,
        min_entropy: None,
    },
    Rule {
        id: "slack-token",
        keywords: &["xoxa-", "xoxb-", "xoxp-", "xoxr-", "xoxs-"],
        pattern: r"xox[abprs]-[A-Za-z0-9\-]{10,}",
        secret: SecretSpan::WholeMatch,
        min_entropy: None,
    },
    Rule {
        id: "slack-webhook",
        keywords: &["hooks.slack.com"],
        // The host and kind stay readable; the path is the credential.
        pattern: r"hooks\.slack\.com/(?:services|workflows|triggers)/([A-Za-z0-9+/_\-]{20,})",
        secret: SecretSpan::FirstGroup,
        min_entropy: None,
    },
    Rule {
        id: "stripe-key",
        keywords: &["sk_live_", "rk_live_"],
        pattern: r"[rs]k_live_[A-Za-z0-9]{20,}",
        secret: SecretSpan::WholeMatch,
        min_entropy: None,
    },
    Rule {
        id: "google-api-key",
        keywords: &["aiza"],
        pattern: r"AIza[A-Za-z0-9_\-]{35,}",
        secret: SecretSpan::WholeMatch,
        min_entropy: None,
    },
    Rule {
        id: "anthropic-api-key",
        keywords: &["sk-ant-"],
        pattern: r"sk-ant-[A-Za-z0-9_\-]{20,}",
        secret: SecretSpan::WholeMatch,
        min_entropy: None,
    },
    Rule {
        id: "openai-api-key",
        keywords: &["sk-"],
        // Project, service-account and admin keys, and the older `sk-` + 48 alphanumerics
        // (which also covers other providers' `sk-` keys). The word boundary keeps
        // `task-...` and `disk-...` out, since `sk-` alone is a common keyword.
        pattern: r"(?-u:\b)sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{20,}|[A-Za-z0-9]{32,})",
        secret: SecretSpan::WholeMatch,
        min_entropy: Some(3.0),
    },
    Rule {
        id: "huggingface-token",
        keywords: &["hf_"],
        pattern: r"(?-u:\b)hf_[A-Za-z]{34,}",
        secret: SecretSpan::WholeMatch,
        min_entropy: None,
    },
    Rule {
        id: "npm-token",
        keywords: &["npm_"],
        pattern: r"(?-u:\b)npm_[A-Za-z0-9]{36,}",
        secret: SecretSpan::WholeMatch,
        min_entropy: None,
    },
    Rule {
        id: "pypi-token",
        keywords: &["pypi-ageichlwas5vcmc"],
        // `AgEIcHlwaS5vcmc` is the base64 macaroon header naming pypi.org.
        pattern: r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,}",
        secret: SecretSpan::WholeMatch,
        min_entropy: None,
    },
    Rule {
        id: "sendgrid-api-key",
        keywords: &["sg."],
        pattern: r"(?-u:\b)SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43,}",
        secret: SecretSpan::WholeMatch,
        min_entropy: None,
    },
    Rule {
        id: "jwt",
        keywords: &["eyj"],
        // Header and payload are base64url JSON objects, so both start `eyJ` (`{"`); the
        // signature may be empty (`alg: none`).
        pattern: r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*",
        secret: SecretSpan::WholeMatch,
        min_entropy: None,
    },
    Rule {
        id: "url-password",
        keywords: &["://"],
        // `scheme://user:PASSWORD@host`: only the password goes. A password starting with
        // `$`, `{` or `*` is a reference or a mask, and one starting with `[` is a marker.
        pattern: r#"[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/?#@"'<>\[\]]*:([^\s/?#@"'<>\[\]{}$*][^\s/?#@"'<>]*)@"#,
        secret: SecretSpan::FirstGroup,
        min_entropy: None,
    },
    Rule {
        id: "authorization-header",
        keywords: &["authorization"],
        // `Authorization: Bearer X`, `Basic X`, `token X`, also as a JSON member. The
        // credential alphabet (RFC 6750 `b64token`) leaves out `$`, so `Bearer $TOKEN`
        // stays readable.
        pattern: r#"(?i)authorization\\?["']?\s*[:=]\s*\\?["']?(?:bearer|basic|token)\s+([A-Za-z0-9\-._~+/]{8,}=*)"#,
        secret: SecretSpan::FirstGroup,
        min_entropy: None,
    },
    Rule {
        id: "bearer-token",
        keywords: &["bearer"],
        // A bearer credential outside an `Authorization` header; longer and more random
        // than prose ("the bearer authentication scheme").
        pattern: r"(?i)(?-u:\b)bearer\s+([A-Za-z0-9\-._~+/]{16,}=*)",
        secret: SecretSpan::FirstGroup,
        min_entropy: Some(3.0),
    },
    Rule {
        id: "secret-assignment",
        keywords: &[
            "password",
            "passwd",
            "secret",
            "token",
            "api_key",
            "api-key",
            "apikey",
            "access_key",
            "access-key",
            "accesskey",
            "private_key",
            "private-key",
            "privatekey",
        ],
        // KEY [:= => :=] VALUE, where KEY contains a secret-ish word (`DB_PASSWORD`,
        // `client_secret`, `"api_key"`), and VALUE is double-quoted, single-quoted or bare.
        // A value may not start with `$ [ < { *` (references, markers, placeholders,
        // masks); a bare value must end at whitespace, a quote, a separator or a closing
        // bracket, which rules out code such as `parse_token(input)`.
        pattern: r#"(?i)[A-Za-z0-9_.\-]*(?:password|passwd|secret|token|api[_\-]?key|access[_\-]?key|private[_\-]?key)(?:[_.\-][A-Za-z0-9_.\-]*)?\\?["']?\s*(?:=>|:=|[:=])\s*(?:"([^"\r\n\[<{$*][^"\r\n]{7,})"|'([^'\r\n\[<{$*][^'\r\n]{7,})'|\\?["']?([^\s"'`,;&\\()\[\]{}<>$*][^\s"'`,;&\\()\[\]{}<>]{7,})(?:[\s"'`,;&\\)\]}]|$))"#,
        secret: SecretSpan::FirstGroup,
        min_entropy: Some(3.0),
    },
];

/// One bit per rule in [`RULES`].
type RuleMask = u64;

const _: () = assert!(RULES.len() <= 64, "a RuleMask has one bit per rule");

const ALL_RULES: RuleMask = if RULES.len() >= 64 {
    RuleMask::MAX
} else {
    (1 << RULES.len()) - 1
};

/// One detection rule, as data.
#[derive(Debug)]
struct Rule {
    /// The id shown in `[REDACTED:<id>]` and in findings.
    id: &'static str,
    /// Lowercase ASCII strings, one of which occurs in every match.
    keywords: &'static [&'static str],
    /// The `regex` crate pattern.
    pattern: &'static str,
    /// Which part of a match is the secret.
    secret: SecretSpan,
    /// The minimum Shannon entropy, in bits per byte, of the secret.
    min_entropy: Option<f64>,
}

/// Which part of a rule's match is replaced.
#[derive(Debug, Clone, Copy)]
enum SecretSpan {
    /// The whole match.
    WholeMatch,
    /// The first capture group that took part in the match; the rest of the match is
    /// context (a key, a scheme, `user:`) that stays readable. Alternatives (quoted or
    /// bare values) each have their own group.
    FirstGroup,
}

impl Rule {
    fn accepts(&self, secret: &str) -> bool {
        !secret.is_empty()
            && self
                .min_entropy
                .is_none_or(|minimum| shannon_entropy(secret) >= minimum)
    }
}

/// Where a secret was found: byte offsets into the original text, on `char` boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub struct Finding {
    /// The rule that found it. When findings of several rules overlap they merge into one,
    /// named by the rule whose match starts first (the more specific rule on a tie).
    pub rule_id: &'static str,
    /// The first byte of the secret.
    pub start: usize,
    /// One past its last byte.
    pub end: usize,
}

/// The result of [`Redactor::redact_str`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Redaction<'a> {
    /// The text with every finding replaced by `[REDACTED:<rule_id>]`; borrowed when
    /// nothing was found.
    pub text: Cow<'a, str>,
    /// What was replaced, in order, without overlaps.
    pub findings: Vec<Finding>,
}

impl Redaction<'_> {
    /// Whether nothing was found (the text is unchanged).
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
}

/// The curated secret detector. Build it once (or use [`redactor`]) and reuse it: the
/// regexes it compiles on demand are kept.
#[derive(Debug)]
pub struct Redactor {
    /// Every distinct keyword; `None` only if the automaton could not be built, in which
    /// case every rule runs on every text.
    prefilter: Option<AhoCorasick>,
    /// For each prefilter pattern, the rules that keyword enables.
    keyword_rules: Vec<RuleMask>,
    /// Each rule's regex, compiled on first use; `None` if it does not compile (the
    /// `every_rule_compiles` test keeps that from happening).
    regexes: Vec<OnceLock<Option<Regex>>>,
}

/// The process-wide [`Redactor`], built on first use.
pub fn redactor() -> &'static Redactor {
    static REDACTOR: OnceLock<Redactor> = OnceLock::new();
    REDACTOR.get_or_init(Redactor::new)
}

impl Default for Redactor {
    fn default() -> Self {
        Self::new()
    }
}

impl Redactor {
    /// Builds the keyword prefilter; compiles no regex.
    pub fn new() -> Self {
        let mut keywords: Vec<&'static str> = Vec::new();
        let mut keyword_rules: Vec<RuleMask> = Vec::new();
        for (index, rule) in RULES.iter().enumerate() {
            for &keyword in rule.keywords {
                match keywords
                    .iter()
                    .position(|known| known.eq_ignore_ascii_case(keyword))
                {
                    Some(position) => {
                        if let Some(mask) = keyword_rules.get_mut(position) {
                            *mask |= rule_bit(index);
                        }
                    }
                    None => {
                        keywords.push(keyword);
                        keyword_rules.push(rule_bit(index));
                    }
                }
            }
        }
        let prefilter = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&keywords)
            .ok();
        Self {
            prefilter,
            keyword_rules,
            regexes: RULES.iter().map(|_| OnceLock::new()).collect(),
        }
    }

    /// The ids of every rule, in precedence order (not counting [`SECRET_FIELD_RULE`] and
    /// [`TOO_DEEP_RULE`], which only [`Redactor::redact_value`] reports).
    pub fn rule_ids() -> impl Iterator<Item = &'static str> {
        RULES.iter().map(|rule| rule.id)
    }

    /// Replaces every secret in `text` with `[REDACTED:<rule_id>]`.
    pub fn redact_str<'a>(&self, text: &'a str) -> Redaction<'a> {
        let findings = merge(self.scan(text, false));
        if findings.is_empty() {
            return Redaction {
                text: Cow::Borrowed(text),
                findings,
            };
        }
        let mut redacted = String::with_capacity(text.len());
        let mut copied = 0;
        for finding in &findings {
            // Findings are sorted, disjoint and on char boundaries, so `get` always
            // succeeds; if it did not, the text is dropped rather than copied.
            redacted.push_str(text.get(copied..finding.start).unwrap_or_default());
            push_marker(&mut redacted, finding.rule_id);
            copied = finding.end;
        }
        redacted.push_str(text.get(copied..).unwrap_or_default());
        Redaction {
            text: Cow::Owned(redacted),
            findings,
        }
    }

    /// Whether `text` contains anything [`Redactor::redact_str`] would replace.
    pub fn contains_secret(&self, text: &str) -> bool {
        !self.scan(text, true).is_empty()
    }

    /// Redacts every string in `value` (object keys included) and replaces as a whole any
    /// string of at least 8 characters under a secret-ish key (`password`, `api_key`,
    /// `GITHUB_TOKEN`...) with `[REDACTED:secret-field]`, unless it is a reference
    /// (`$...`, `{...}`, `<...>`), a mask (`*...`) or already a marker. Arrays and objects
    /// deeper than [`MAX_VALUE_DEPTH`] become `[REDACTED:too-deep]`.
    ///
    /// Returns the redacted value and the sorted, deduplicated ids of the rules that fired.
    pub fn redact_value(&self, value: &Value) -> (Value, Vec<&'static str>) {
        let mut rule_ids = Vec::new();
        let redacted = self.redact_node(value, 0, &mut rule_ids);
        rule_ids.sort_unstable();
        rule_ids.dedup();
        (redacted, rule_ids)
    }

    fn redact_node(&self, value: &Value, depth: usize, rule_ids: &mut Vec<&'static str>) -> Value {
        match value {
            Value::String(text) => Value::String(self.redact_string(text, rule_ids)),
            Value::Array(_) | Value::Object(_) if depth >= MAX_VALUE_DEPTH => {
                rule_ids.push(TOO_DEEP_RULE);
                Value::String(marker(TOO_DEEP_RULE))
            }
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|item| self.redact_node(item, depth + 1, rule_ids))
                    .collect(),
            ),
            Value::Object(members) => {
                let mut redacted = Map::with_capacity(members.len());
                for (key, member) in members {
                    let member = match member {
                        Value::String(text) if is_secret_key(key) && is_secret_field(text) => {
                            // Still report what the specific rules see, for alerts.
                            rule_ids.extend(self.scan(text, false).iter().map(|f| f.rule_id));
                            rule_ids.push(SECRET_FIELD_RULE);
                            Value::String(marker(SECRET_FIELD_RULE))
                        }
                        _ => self.redact_node(member, depth + 1, rule_ids),
                    };
                    let key = self.redact_string(key, rule_ids);
                    insert_unique(&mut redacted, key, member);
                }
                Value::Object(redacted)
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => value.clone(),
        }
    }

    fn redact_string(&self, text: &str, rule_ids: &mut Vec<&'static str>) -> String {
        let redaction = self.redact_str(text);
        rule_ids.extend(redaction.findings.iter().map(|finding| finding.rule_id));
        redaction.text.into_owned()
    }

    /// Every accepted match of every rule whose keywords occur in `text`, unmerged, in
    /// rule order. With `stop_at_first`, returns after the first rule that finds one.
    fn scan(&self, text: &str, stop_at_first: bool) -> Vec<Finding> {
        let mut findings = Vec::new();
        if text.is_empty() {
            return findings;
        }
        let candidates = self.candidates(text);
        for (index, rule) in RULES.iter().enumerate() {
            if candidates & rule_bit(index) == 0 {
                continue;
            }
            let Some(regex) = self.regex(index, rule) else {
                continue;
            };
            match rule.secret {
                SecretSpan::WholeMatch => {
                    for found in regex.find_iter(text) {
                        push_finding(&mut findings, rule, found);
                    }
                }
                SecretSpan::FirstGroup => {
                    for captures in regex.captures_iter(text) {
                        if let Some(found) = captures.iter().skip(1).flatten().next() {
                            push_finding(&mut findings, rule, found);
                        }
                    }
                }
            }
            if stop_at_first && !findings.is_empty() {
                break;
            }
        }
        findings
    }

    /// The rules whose keywords occur in `text`: one Aho-Corasick pass.
    fn candidates(&self, text: &str) -> RuleMask {
        let Some(prefilter) = &self.prefilter else {
            return ALL_RULES;
        };
        // Overlapping, because one keyword can hide another (`sk-` inside `sk-ant-`).
        let Ok(matches) = prefilter.try_find_overlapping_iter(text) else {
            return ALL_RULES;
        };
        let mut mask = 0;
        for found in matches {
            mask |= self
                .keyword_rules
                .get(found.pattern().as_usize())
                .copied()
                .unwrap_or(ALL_RULES);
            if mask == ALL_RULES {
                break;
            }
        }
        mask
    }

    fn regex(&self, index: usize, rule: &Rule) -> Option<&Regex> {
        self.regexes
            .get(index)?
            .get_or_init(|| Regex::new(rule.pattern).ok())
            .as_ref()
    }
}

fn rule_bit(index: usize) -> RuleMask {
    u32::try_from(index)
        .ok()
        .and_then(|shift| RuleMask::from(1u8).checked_shl(shift))
        .unwrap_or(0)
}

fn push_finding(findings: &mut Vec<Finding>, rule: &Rule, found: regex::Match<'_>) {
    if rule.accepts(found.as_str()) {
        findings.push(Finding {
            rule_id: rule.id,
            start: found.start(),
            end: found.end(),
        });
    }
}

/// Sorts findings and merges overlapping ones. The sort is stable and findings arrive in
/// rule order, so on equal spans the more specific rule names the merged finding.
fn merge(mut findings: Vec<Finding>) -> Vec<Finding> {
    findings.sort_by_key(|finding| (finding.start, Reverse(finding.end)));
    let mut merged: Vec<Finding> = Vec::with_capacity(findings.len());
    for finding in findings {
        match merged.last_mut() {
            Some(last) if finding.start < last.end => last.end = last.end.max(finding.end),
            _ => merged.push(finding),
        }
    }
    merged
}

fn push_marker(text: &mut String, rule_id: &str) {
    text.push_str(MARKER_PREFIX);
    text.push_str(rule_id);
    text.push(']');
}

fn marker(rule_id: &str) -> String {
    let mut text = String::with_capacity(MARKER_PREFIX.len() + rule_id.len() + 1);
    push_marker(&mut text, rule_id);
    text
}

/// Whether a JSON key names a secret, by its normalised suffix.
fn is_secret_key(key: &str) -> bool {
    let normalized: String = key
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    SECRET_KEY_SUFFIXES
        .iter()
        .any(|suffix| normalized.ends_with(suffix))
}

/// Whether a string under a secret-ish key is redacted whole: long enough, and not a
/// reference, placeholder, mask or marker (the same exclusions as `secret-assignment`).
fn is_secret_field(text: &str) -> bool {
    let is_marker = text.starts_with(MARKER_PREFIX) && text.ends_with(']');
    text.chars().nth(SECRET_FIELD_MIN_CHARS - 1).is_some()
        && !is_marker
        && !text.starts_with(['$', '{', '<', '*'])
}

/// Shannon entropy in bits per byte: 0 for `aaaa`, 3.0 for eight distinct bytes, about 5.95
/// for long random alphanumerics.
fn shannon_entropy(text: &str) -> f64 {
    let mut counts = [0u64; 256];
    for byte in text.bytes() {
        if let Some(count) = counts.get_mut(usize::from(byte)) {
            *count += 1;
        }
    }
    let total = text.len() as f64;
    if total == 0.0 {
        return 0.0;
    }
    counts
        .iter()
        .filter(|&&count| count > 0)
        .map(|&count| {
            let probability = count as f64 / total;
            -probability * probability.log2()
        })
        .sum()
}

/// Inserts `key`, renamed `key#2`, `key#3`... if redaction made it collide with a key
/// already present (two keys that were different secrets).
fn insert_unique(map: &mut Map<String, Value>, key: String, value: Value) {
    if !map.contains_key(&key) {
        map.insert(key, value);
        return;
    }
    let mut suffix = 2usize;
    loop {
        let candidate = format!("{key}#{suffix}");
        if !map.contains_key(&candidate) {
            map.insert(candidate, value);
            return;
        }
        suffix += 1;
    }
}

#[cfg(test)]
mod tests {
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
        let text =
            "head -3 id_rsa\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAFAKE\nFAKEFAKE";
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

    /// Prints costs; run with `--nocapture`. No assertion on time: the numbers depend on
    /// the machine and profile. Each "first" figure uses a fresh `Redactor`, so it includes
    /// compiling the regexes of the rules whose keywords occur.
    #[test]
    fn report_costs() {
        let clean = clean_text();
        let keyworded = format!(
            "{}see https://docs.example.com for token usage\n",
            clean.get(..1990).unwrap()
        );
        let with_secret = format!("{}export GH={GITHUB_TOKEN}\n", clean.get(..2000).unwrap());
        let (redactor, construction) = time(Redactor::new);
        assert_eq!(redactor.candidates(&clean), 0);
        let (result, clean_first) = time(|| redactor.redact_str(&clean));
        assert!(result.is_clean());
        let (_, clean_warm) = time(|| redactor.redact_str(&clean));

        let redactor = Redactor::new();
        let (result, keyword_first) = time(|| redactor.redact_str(&keyworded));
        assert!(result.is_clean());
        let (_, keyword_warm) = time(|| redactor.redact_str(&keyworded));

        let redactor = Redactor::new();
        let (result, secret_first) = time(|| redactor.redact_str(&with_secret));
        assert_eq!(result.findings.len(), 1);
        let (_, secret_warm) = time(|| redactor.redact_str(&with_secret));

        let compile_all = time(|| {
            for rule in RULES {
                let _ = Regex::new(rule.pattern);
            }
        })
        .1;
        println!(
            "redact costs ({} rules, {}-byte inputs, {} profile):\n  \
             construction                 {construction:?}\n  \
             no keyword: first {clean_first:?}, warm {clean_warm:?}\n  \
             keywords, no secret: first {keyword_first:?}, warm {keyword_warm:?}\n  \
             one GitHub token: first {secret_first:?}, warm {secret_warm:?}\n  \
             compiling every rule's regex {compile_all:?}",
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
}
#[cfg(test)]
mod scratch {
    use super::*;
    use std::time::Instant;
    #[test]
    fn scratch_costs() {
        let variants = [
            ("orig", RULES.last().unwrap().pattern.to_owned()),
            ("ascii-ci-key", r#"(?i-u:[A-Za-z0-9_.\-]*(?:password|passwd|secret|token|api[_\-]?key|access[_\-]?key|private[_\-]?key)(?:[_.\-][A-Za-z0-9_.\-]*)?)\\?["']?\s*(?:=>|:=|[:=])\s*(?:"([^"\r\n\[<{$*][^"\r\n]{7,})"|'([^'\r\n\[<{$*][^'\r\n]{7,})'|\\?["']?([^\s"'`,;&\\()\[\]{}<>$*][^\s"'`,;&\\()\[\]{}<>]{7,})(?:[\s"'`,;&\\)\]}]|$))"#.to_owned()),
            ("ascii-ci-key-ascii-s", r#"(?i-u:[A-Za-z0-9_.\-]*(?:password|passwd|secret|token|api[_\-]?key|access[_\-]?key|private[_\-]?key)(?:[_.\-][A-Za-z0-9_.\-]*)?)\\?["']?[ \t]*(?:=>|:=|[:=])[ \t]*(?:"([^"\r\n\[<{$*][^"\r\n]{7,})"|'([^'\r\n\[<{$*][^'\r\n]{7,})'|\\?["']?([^\x00-\x20"'`,;&\\()\[\]{}<>$*][^\x00-\x20"'`,;&\\()\[\]{}<>]{7,})(?:[\x00-\x20"'`,;&\\)\]}]|$))"#.to_owned()),
            ("no-repeat", r#"(?i-u:[A-Za-z0-9_.\-]*(?:password|passwd|secret|token|api[_\-]?key|access[_\-]?key|private[_\-]?key)(?:[_.\-][A-Za-z0-9_.\-]*)?)\\?["']?[ \t]*(?:=>|:=|[:=])[ \t]*(?:"([^"\r\n\[<{$*][^"\r\n]+)"|'([^'\r\n\[<{$*][^'\r\n]+)'|\\?["']?([^\x00-\x20"'`,;&\\()\[\]{}<>$*][^\x00-\x20"'`,;&\\()\[\]{}<>]*)(?:[\x00-\x20"'`,;&\\)\]}]|$))"#.to_owned()),
            ("authz-orig", RULES[17].pattern.to_owned()),
            ("authz-ascii", r#"(?i-u:authorization)\\?["']?\s*[:=]\s*\\?["']?(?i-u:bearer|basic|token)\s+([A-Za-z0-9\-._~+/]{8,}=*)"#.to_owned()),
            ("authz-ascii-s", r#"(?i-u:authorization)\\?["']?[ \t]*[:=][ \t]*\\?["']?(?i-u:bearer|basic|token)[ \t]+([A-Za-z0-9\-._~+/]{8,}=*)"#.to_owned()),
        ];
        for _ in 0..2 {
        for (name, pattern) in &variants {
            let t = Instant::now();
            let r = Regex::new(pattern).unwrap();
            let c = t.elapsed();
            let t = Instant::now();
            let _ = r.captures("some text without anything of interest in it at all, password = abcdefgh12345 2kb would be more");
            let s = t.elapsed();
            println!("{:24} str {:?} first-search {:?}", name, c, s);
        }
        }
    }
}
