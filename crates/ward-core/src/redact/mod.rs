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
//!   (`password_file = /run/secrets/db`). Key and value must share a line. Unquoted
//!   values must end at whitespace, a quote or a separator, so code such as
//!   `let token = parse_token(input);` is left alone, but they may contain `@` and `/`,
//!   so in `https://x-access-token:VALUE@host/path` the rest of the URL goes too.
//! - A PEM private key block without its `END` line (truncated output) is redacted up to
//!   the end of the text: losing the tail of a record is better than leaking a key.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind};
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
        pattern: r#"(?i-u:secret[_\-]?access[_\-]?key)\\?["']?[ \t]*(?:=>|:=|[:=])[ \t]*\\?["']?([A-Za-z0-9/+=]{40,})"#,
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
        pattern: r#"(?i-u:authorization)\\?["']?[ \t]*[:=][ \t]*\\?["']?(?i-u:bearer|basic|token)[ \t]+([A-Za-z0-9\-._~+/]{8,}=*)"#,
        secret: SecretSpan::FirstGroup,
        min_entropy: None,
    },
    Rule {
        id: "bearer-token",
        keywords: &["bearer"],
        // A bearer credential outside an `Authorization` header; longer and more random
        // than prose ("the bearer authentication scheme").
        pattern: r"(?-u:\b)(?i-u:bearer)[ \t]+([A-Za-z0-9\-._~+/]{16,}=*)",
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
        // KEY [:= => :=] VALUE on one line, where KEY contains a secret-ish word
        // (`DB_PASSWORD`, `client_secret`, `"api_key"`; the match starts at that word), and
        // VALUE is double-quoted, single-quoted or bare.
        // A value may not start with `$ [ < { *` (references, markers, placeholders,
        // masks); a bare value must end at whitespace, a quote, a separator or a closing
        // bracket, which rules out code such as `parse_token(input)`.
        pattern: r#"(?i-u:password|passwd|secret|token|api[_\-]?key|access[_\-]?key|private[_\-]?key)(?:[_.\-][A-Za-z0-9_.\-]*)?\\?["']?[ \t]*(?:=>|:=|[:=])[ \t]*(?:"([^"\r\n\[<{$*][^"\r\n]{7,})"|'([^'\r\n\[<{$*][^'\r\n]{7,})'|\\?["']?([^\s"'`,;&\\()\[\]{}<>$*][^\s"'`,;&\\()\[\]{}<>]{7,})(?:[\s"'`,;&\\)\]}]|$))"#,
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
    /// Every distinct keyword, lowercase.
    keywords: Vec<String>,
    /// The Aho-Corasick automaton over `keywords`, built on first use for a large
    /// text; `None` only if it could not be built, in which case every rule runs.
    prefilter: OnceLock<Option<AhoCorasick>>,
    /// For each keyword, the rules that keyword enables.
    keyword_rules: Vec<RuleMask>,
    /// Each rule's regex, compiled on first use; `None` if it does not compile (the
    /// `every_rule_compiles` test keeps that from happening).
    regexes: Vec<OnceLock<Option<Regex>>>,
}

/// Texts at least this long are prefiltered with an Aho-Corasick automaton; shorter
/// ones with one `memmem` search per keyword (see `Redactor::candidates`).
const AUTOMATON_FROM_BYTES: usize = 32 * 1024;

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
        Self {
            keywords: keywords.iter().map(|k| k.to_ascii_lowercase()).collect(),
            prefilter: OnceLock::new(),
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

    /// The rules whose keywords occur in `text`.
    ///
    /// The redactor lives in a hook process that handles one call, so building an
    /// Aho-Corasick automaton over the ~45 keywords (~0.5 M instructions, measured with
    /// callgrind: a quarter of the hook's own work) costs more than it saves on a
    /// typical input of a few kilobytes. Such inputs are lowercased once and searched
    /// for each keyword with `memchr::memmem` (SIMD); from [`AUTOMATON_FROM_BYTES`]
    /// on, one Aho-Corasick pass wins and the automaton is built.
    fn candidates(&self, text: &str) -> RuleMask {
        if text.len() < AUTOMATON_FROM_BYTES {
            let lower = text.as_bytes().to_ascii_lowercase();
            let mut mask = 0;
            for (keyword, rules) in self.keywords.iter().zip(&self.keyword_rules) {
                if mask & rules != *rules
                    && memchr::memmem::find(&lower, keyword.as_bytes()).is_some()
                {
                    mask |= rules;
                }
            }
            return mask;
        }
        let prefilter = self.prefilter.get_or_init(|| {
            AhoCorasick::builder()
                .kind(Some(AhoCorasickKind::NoncontiguousNFA))
                .ascii_case_insensitive(true)
                .build(&self.keywords)
                .ok()
        });
        let Some(prefilter) = prefilter else {
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
mod tests;
