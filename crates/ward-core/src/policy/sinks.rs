//! Evidence sinks as the policy configures them: `[[sinks]]` tables, checked into
//! [`SinkConfig`]s that say where outcome records and checkpoints are delivered.
//!
//! This module only reads and checks the configuration. Delivering (files, HTTP,
//! the queue, retries) is `ward-sinks`' job, and reading environment variables
//! named by `env:NAME` header values happens there too, at delivery time, so that
//! secrets never sit in the policy text, its hash or `ward policy show`.
//!
//! Sinks come from the managed and user layers only: a project's
//! `.ward/policy.toml` comes with a repository, possibly an untrusted one, and a
//! sink it added could send every call's metadata to whoever wrote it. Such a
//! `[[sinks]]` is ignored with a warning.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Layer, Placeholders, PolicyError, PolicySource, file};
use crate::Severity;

/// How long a webhook request may take when `timeout_ms` is not given.
pub const DEFAULT_TIMEOUT_MS: u64 = 5_000;
/// The bounds of `timeout_ms`: a delivery runs in a background process with a
/// bounded time budget, so one request must not be able to use all of it.
pub const TIMEOUT_MS_RANGE: std::ops::RangeInclusive<u64> = 100..=60_000;
/// How many events one delivery carries when `batch_size` is not given.
pub const DEFAULT_BATCH_SIZE: usize = 100;
/// The bounds of `batch_size`.
pub const BATCH_SIZE_RANGE: std::ops::RangeInclusive<usize> = 1..=10_000;
/// The longest sink id: ids name the sink's state file.
pub(crate) const MAX_ID_LEN: usize = 64;

/// One `[[sinks]]` table, as written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinkSpec {
    /// A stable id (`siem`): it names the sink's delivery state, so renaming a sink
    /// starts it again from the first record.
    pub id: String,
    /// `jsonl` (append to a file) or `webhook` (HTTP POST).
    pub kind: String,
    /// The webhook's `http://` or `https://` URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The JSONL file; `~`, `$HOME` and `$WARD_HOME` expand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Extra webhook headers. A value `env:NAME` is read from the environment
    /// variable `NAME` when delivering, so secrets stay out of the policy.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Which events to deliver: `outcome`, `checkpoint`, `notice` (default:
    /// `outcome` and `checkpoint`; a `format = "slack"` webhook takes `notice`
    /// only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
    /// A webhook's body: `json` (Ward's `{"events":[…]}`, the default) or `slack`
    /// (a Slack-compatible incoming-webhook message of the notices).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// The least severity of a denied call that is a notice (default `high`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deny_severity: Option<String>,
    /// How long one webhook request may take, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    /// A PEM file of CA certificates: an `https://` webhook then trusts these, and
    /// only these, instead of the public roots (a receiver behind a private CA).
    /// `~`, `$HOME` and `$WARD_HOME` expand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    /// At most this many events per delivery (one request, or one write).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<usize>,
}

/// A checked sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkConfig {
    /// Its id: ASCII letters, digits, `-`, `_` and `.`, not starting with `.`.
    pub id: String,
    /// Where it delivers.
    pub target: SinkTarget,
    /// Whether it receives outcome records.
    pub outcomes: bool,
    /// Whether it receives checkpoints.
    pub checkpoints: bool,
    /// Whether it receives notices: approval requests and decisions, overrides,
    /// and denies of at least [`SinkConfig::deny_severity`].
    pub notices: bool,
    /// The least severity of a denied call that is a notice.
    pub deny_severity: Severity,
    /// How long one request may take, in milliseconds.
    pub timeout_ms: u64,
    /// At most this many events per delivery.
    pub batch_size: usize,
    /// The layer that configured it.
    pub layer: Layer,
    /// The file that configured it.
    pub file: String,
    /// The line of its `id`, when known.
    pub line: u32,
}

/// Where a sink delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkTarget {
    /// Appends one JSON line per event to a file.
    Jsonl {
        /// The file, placeholders expanded (absolute).
        path: String,
    },
    /// POSTs `{"events":[…]}` to a URL.
    Webhook {
        /// The URL.
        url: String,
        /// Extra headers, in name order.
        headers: Vec<(String, HeaderValue)>,
        /// The PEM file of the CAs trusted instead of the public roots (absolute).
        ca_file: Option<String>,
        /// The body's shape.
        format: WebhookFormat,
    },
}

/// What a webhook's body looks like.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WebhookFormat {
    /// `{"events":[…]}`: every event as `docs/sinks.md` documents it.
    #[default]
    Json,
    /// `{"text":"…"}`: one line per notice, for a Slack (or compatible) incoming
    /// webhook.
    Slack,
}

/// A webhook header's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderValue {
    /// Written in the policy.
    Literal(String),
    /// Read from this environment variable when delivering.
    Env(String),
}

impl SinkConfig {
    /// The sinks of layer texts alone, without building the rules (what the
    /// background delivery needs), with their warnings.
    pub fn from_sources(
        sources: &[PolicySource],
        placeholders: &Placeholders,
    ) -> Result<(Vec<SinkConfig>, Vec<String>), PolicyError> {
        let mut sources: Vec<&PolicySource> = sources.iter().collect();
        sources.sort_by_key(|source| source.layer);
        let mut files = Vec::with_capacity(sources.len());
        for source in sources {
            files.push((
                source,
                file::parse_policy_text(&source.path, &source.text)?.sinks,
            ));
        }
        let mut warnings = Vec::new();
        let sinks = collect(&files, placeholders, &mut warnings)?;
        Ok((sinks, warnings))
    }

    /// `kind destination`, for listings: `webhook https://…` or `jsonl /var/…`.
    pub fn describe(&self) -> String {
        match &self.target {
            SinkTarget::Jsonl { path } => format!("jsonl {path}"),
            SinkTarget::Webhook { url, .. } => format!("webhook {url}"),
        }
    }

    /// The kind's name.
    pub fn kind(&self) -> &'static str {
        match self.target {
            SinkTarget::Jsonl { .. } => "jsonl",
            SinkTarget::Webhook { .. } => "webhook",
        }
    }
}

/// Collects the sinks of the layers (sorted most authoritative first), checking
/// each; warnings go to `warnings`.
///
/// A project layer's sinks are ignored (see the module docs). An id used twice in
/// one file is an error; a user sink with the id of a managed one is ignored, so a
/// user cannot redirect a sink the administrator set up.
pub(crate) fn collect(
    files: &[(&PolicySource, Vec<SinkSpec>)],
    placeholders: &Placeholders,
    warnings: &mut Vec<String>,
) -> Result<Vec<SinkConfig>, PolicyError> {
    let mut sinks: Vec<SinkConfig> = Vec::new();
    for (source, specs) in files {
        if specs.is_empty() {
            continue;
        }
        if !matches!(source.layer, Layer::Managed | Layer::User) {
            warnings.push(format!(
                "{}: `[[sinks]]` is ignored in a {} policy: evidence sinks can only be set in \
                 the managed or user policy, so that a repository cannot choose where Ward \
                 sends what it records",
                source.path, source.layer
            ));
            continue;
        }
        let lines = file::rule_lines(&source.text);
        let first = sinks.len();
        for spec in specs.iter() {
            let line = lines.get(spec.id.as_str()).copied().unwrap_or(0);
            let sink = check(spec, source, line, placeholders, warnings)?;
            if sinks
                .get(first..)
                .unwrap_or_default()
                .iter()
                .any(|s| s.id == sink.id)
            {
                return Err(invalid(
                    source,
                    line,
                    &sink.id,
                    "another sink in this file has the same id; give each sink its own id",
                ));
            }
            if let Some(higher) = sinks.iter().find(|s| s.id == sink.id) {
                warnings.push(format!(
                    "{}: sink `{}` is ignored: the {} policy ({}) defines a sink with that id",
                    source.path, sink.id, higher.layer, higher.file
                ));
                continue;
            }
            sinks.push(sink);
        }
    }
    Ok(sinks)
}

fn invalid(source: &PolicySource, line: u32, id: &str, message: &str) -> PolicyError {
    PolicyError::Sink {
        file: source.path.clone(),
        line,
        sink: id.to_owned(),
        message: message.to_owned(),
    }
}

fn check(
    spec: &SinkSpec,
    source: &PolicySource,
    line: u32,
    placeholders: &Placeholders,
    warnings: &mut Vec<String>,
) -> Result<SinkConfig, PolicyError> {
    let error = |message: String| invalid(source, line, &spec.id, &message);
    check_id(&spec.id).map_err(&error)?;
    let target = match spec.kind.as_str() {
        "jsonl" => {
            if spec.url.is_some()
                || !spec.headers.is_empty()
                || spec.timeout_ms.is_some()
                || spec.ca_file.is_some()
                || spec.format.is_some()
            {
                return Err(error(
                    "`url`, `headers`, `timeout_ms`, `ca_file` and `format` are for webhook \
                     sinks; a jsonl sink takes `path`"
                        .to_owned(),
                ));
            }
            let path = spec.path.as_deref().ok_or_else(|| {
                error(
                    "a jsonl sink needs `path` (e.g. `path = \"$WARD_HOME/evidence/events.jsonl\"`)"
                        .to_owned(),
                )
            })?;
            SinkTarget::Jsonl {
                path: expand_path(path, placeholders).map_err(&error)?,
            }
        }
        "webhook" => {
            if spec.path.is_some() {
                return Err(error(
                    "`path` is for jsonl sinks; a webhook sink takes `url`".to_owned(),
                ));
            }
            let url = spec.url.as_deref().ok_or_else(|| {
                error(
                    "a webhook sink needs `url` (e.g. `url = \"https://siem.example/ward\"`)"
                        .to_owned(),
                )
            })?;
            let secure = check_url(url).map_err(&error)?;
            let ca_file = match &spec.ca_file {
                Some(_) if !secure => {
                    return Err(error(
                        "`ca_file` is for `https://` receivers; this `url` is `http://`".to_owned(),
                    ));
                }
                Some(path) => Some(expand_ca_file(path, placeholders).map_err(&error)?),
                None => None,
            };
            if !secure {
                warnings.push(format!(
                    "{}: sink `{}` sends evidence unencrypted over `http://` to a host that is \
                     not this machine; use `https://`",
                    source.path, spec.id
                ));
            }
            let mut headers = Vec::with_capacity(spec.headers.len());
            for (name, value) in &spec.headers {
                let value = check_header(name, value).map_err(&error)?;
                if let HeaderValue::Literal(_) = value
                    && looks_secret(name)
                {
                    warnings.push(format!(
                        "{}: sink `{}`: header `{name}` is written in the policy; keep secrets \
                         out of it with `{name} = \"env:VARIABLE\"`",
                        source.path, spec.id
                    ));
                }
                headers.push((name.clone(), value));
            }
            let format = match spec.format.as_deref() {
                None | Some("json") => WebhookFormat::Json,
                Some("slack") => WebhookFormat::Slack,
                Some(other) => {
                    return Err(error(format!(
                        "unknown format `{other}` (expected `json` or `slack`)"
                    )));
                }
            };
            SinkTarget::Webhook {
                url: url.to_owned(),
                headers,
                ca_file,
                format,
            }
        }
        other => {
            return Err(error(format!(
                "unknown kind `{other}` (expected `jsonl` or `webhook`)"
            )));
        }
    };
    let slack = matches!(
        target,
        SinkTarget::Webhook {
            format: WebhookFormat::Slack,
            ..
        }
    );
    let default = spec.events.is_empty();
    let (mut outcomes, mut checkpoints, mut notices) =
        (default && !slack, default && !slack, default && slack);
    for event in &spec.events {
        match event.as_str() {
            "outcome" => outcomes = true,
            "checkpoint" => checkpoints = true,
            "notice" => notices = true,
            other => {
                return Err(error(format!(
                    "unknown event `{other}` in `events` (expected `outcome`, `checkpoint` or \
                     `notice`)"
                )));
            }
        }
    }
    if slack && (outcomes || checkpoints) {
        return Err(error(
            "a `format = \"slack\"` webhook takes notices only: set `events = [\"notice\"]`, \
             and send outcomes and checkpoints to a `json` sink"
                .to_owned(),
        ));
    }
    let deny_severity = match spec.deny_severity.as_deref() {
        None => Severity::High,
        Some(name) => Severity::parse(name).ok_or_else(|| {
            error(format!(
                "unknown `deny_severity = \"{name}\"` (expected low, medium, high or critical)"
            ))
        })?,
    };
    let timeout_ms = spec.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
    if !TIMEOUT_MS_RANGE.contains(&timeout_ms) {
        return Err(error(format!(
            "`timeout_ms = {timeout_ms}` is out of range ({} to {})",
            TIMEOUT_MS_RANGE.start(),
            TIMEOUT_MS_RANGE.end()
        )));
    }
    let batch_size = spec.batch_size.unwrap_or(DEFAULT_BATCH_SIZE);
    if !BATCH_SIZE_RANGE.contains(&batch_size) {
        return Err(error(format!(
            "`batch_size = {batch_size}` is out of range ({} to {})",
            BATCH_SIZE_RANGE.start(),
            BATCH_SIZE_RANGE.end()
        )));
    }
    Ok(SinkConfig {
        id: spec.id.clone(),
        target,
        outcomes,
        checkpoints,
        notices,
        deny_severity,
        timeout_ms,
        batch_size,
        layer: source.layer,
        file: source.path.clone(),
        line,
    })
}

/// Ids name a state file (`sinks/<id>.json`), so they are kept to a safe alphabet.
fn check_id(id: &str) -> Result<(), String> {
    let valid = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "the id must be 1 to {MAX_ID_LEN} ASCII letters, digits, `-`, `_` or `.`, not \
             starting with `.`"
        ))
    }
}

/// Expands `~`, `$HOME` and `$WARD_HOME`; the result must be absolute. `$PROJECT`
/// and `$CWD` are refused: sinks are delivered by a background process that has
/// neither.
/// A webhook's `ca_file`, expanded: read at delivery, in the background, so it must
/// not depend on a project.
fn expand_ca_file(path: &str, placeholders: &Placeholders) -> Result<String, String> {
    let expanded = placeholders.substitute(path, str::to_owned);
    if !expanded.starts_with('/') || path.contains("$PROJECT") || path.contains("$CWD") {
        return Err(format!(
            "`ca_file = \"{path}\"`: use an absolute path, `~`, `$HOME` or `$WARD_HOME` (the \
             sink delivers in the background, for every project)"
        ));
    }
    Ok(expanded)
}

fn expand_path(path: &str, placeholders: &Placeholders) -> Result<String, String> {
    if path.contains("$PROJECT") || path.contains("$CWD") {
        return Err(format!(
            "`path = \"{path}\"`: `$PROJECT` and `$CWD` mean nothing to a sink (it is \
             delivered in the background, for every project); use an absolute path, `~`, \
             `$HOME` or `$WARD_HOME`"
        ));
    }
    let expanded = placeholders.substitute(path, str::to_owned);
    if !expanded.starts_with('/') {
        return Err(format!(
            "`path = \"{path}\"` is relative; use an absolute path, `~`, `$HOME` or \
             `$WARD_HOME`"
        ));
    }
    if expanded.ends_with('/') {
        return Err(format!("`path = \"{path}\"` names a directory, not a file"));
    }
    // Appending JSON to the ledger, a key or a sink's state would destroy it: Ward's
    // own files live directly in its home and in `sinks/`.
    let ward_home = placeholders.ward_home.trim_end_matches('/');
    let parent = expanded.rsplit_once('/').map_or("", |(parent, _)| parent);
    if parent == ward_home || parent == format!("{ward_home}/sinks") {
        return Err(format!(
            "`path = \"{path}\"` is among Ward's own files; use a directory of its own, \
             e.g. `$WARD_HOME/evidence/events.jsonl`"
        ));
    }
    Ok(expanded)
}

/// Checks the scheme and host of a webhook URL; `Ok(false)` for plain `http://` to
/// a host other than this machine (allowed, with a warning).
fn check_url(url: &str) -> Result<bool, String> {
    let (secure, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (false, rest)
    } else {
        return Err(format!(
            "`url = \"{url}\"`: the URL must start with `https://` (or `http://`)"
        ));
    };
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "`url = \"{url}\"` contains spaces or control characters"
        ));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(
            "the URL carries credentials (`user:password@`); put them in a header read from \
             the environment instead: `headers = { Authorization = \"env:VARIABLE\" }`"
                .to_owned(),
        );
    }
    let host = match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    if host.is_empty() {
        return Err(format!("`url = \"{url}\"` has no host"));
    }
    let local = host == "localhost" || host == "::1" || host.starts_with("127.");
    Ok(secure || local)
}

/// Checks a header name (an HTTP token) and reads its value: `env:NAME` or literal.
fn check_header(name: &str, value: &str) -> Result<HeaderValue, String> {
    let token = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !token {
        return Err(format!(
            "header name `{name}` is not a valid HTTP header name"
        ));
    }
    if [
        "content-type",
        "content-length",
        "host",
        "transfer-encoding",
    ]
    .contains(&name.to_ascii_lowercase().as_str())
    {
        return Err(format!(
            "header `{name}` is set by Ward and cannot be configured"
        ));
    }
    if let Some(variable) = value.strip_prefix("env:") {
        let valid = !variable.is_empty()
            && !variable.starts_with(|c: char| c.is_ascii_digit())
            && variable
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !valid {
            return Err(format!(
                "header `{name}`: `env:{variable}` does not name an environment variable \
                 (letters, digits and `_`)"
            ));
        }
        return Ok(HeaderValue::Env(variable.to_owned()));
    }
    if value.bytes().any(|b| b.is_ascii_control() && b != b'\t') {
        return Err(format!(
            "header `{name}`: its value contains control characters"
        ));
    }
    Ok(HeaderValue::Literal(value.to_owned()))
}

/// Header names that usually carry credentials.
fn looks_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "authorization",
        "token",
        "secret",
        "key",
        "password",
        "cookie",
    ]
    .iter()
    .any(|word| name.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders() -> Placeholders {
        Placeholders {
            home: "/home/ada".to_owned(),
            ward_home: "/home/ada/.ward".to_owned(),
            project: "/work/shop".to_owned(),
            cwd: "/work/shop".to_owned(),
        }
    }

    fn load(layer: Layer, text: &str) -> Result<(Vec<SinkConfig>, Vec<String>), PolicyError> {
        let source = PolicySource {
            layer,
            path: "policy.toml".to_owned(),
            text: text.to_owned(),
        };
        let file = file::parse_policy_text(&source.path, &source.text)?;
        let mut warnings = Vec::new();
        let sinks = collect(&[(&source, file.sinks)], &placeholders(), &mut warnings)?;
        Ok((sinks, warnings))
    }

    fn message(text: &str) -> String {
        load(Layer::User, text).unwrap_err().to_string()
    }

    #[test]
    fn a_webhook_and_a_jsonl_sink_are_read_with_their_defaults() {
        let (sinks, warnings) = load(
            Layer::User,
            r#"
[[sinks]]
id = "siem"
kind = "webhook"
url = "https://siem.example/ward"
headers = { Authorization = "env:WARD_WEBHOOK_TOKEN", X-Source = "laptop" }
ca_file = "~/certs/company-ca.pem"

[[sinks]]
id = "file"
kind = "jsonl"
path = "$WARD_HOME/evidence/events.jsonl"
events = ["checkpoint"]
"#,
        )
        .unwrap();
        assert_eq!(warnings, Vec::<String>::new());
        let [siem, file] = sinks.as_slice() else {
            panic!("two sinks expected: {sinks:?}");
        };
        assert_eq!(
            siem.target,
            SinkTarget::Webhook {
                url: "https://siem.example/ward".to_owned(),
                headers: vec![
                    (
                        "Authorization".to_owned(),
                        HeaderValue::Env("WARD_WEBHOOK_TOKEN".to_owned())
                    ),
                    (
                        "X-Source".to_owned(),
                        HeaderValue::Literal("laptop".to_owned())
                    ),
                ],
                ca_file: Some("/home/ada/certs/company-ca.pem".to_owned()),
                format: WebhookFormat::Json,
            }
        );
        assert!(siem.outcomes && siem.checkpoints && !siem.notices);
        assert_eq!((siem.timeout_ms, siem.batch_size), (5_000, 100));
        assert_eq!(siem.line, 3);
        assert_eq!(
            file.target,
            SinkTarget::Jsonl {
                path: "/home/ada/.ward/evidence/events.jsonl".to_owned()
            }
        );
        assert!(!file.outcomes && file.checkpoints);
    }

    #[test]
    fn mistakes_are_errors_that_name_the_sink_and_say_what_to_do() {
        let cases = [
            (
                "[[sinks]]\nid = \"a\"\nkind = \"kafka\"\n",
                "policy.toml:2: sink `a`: unknown kind `kafka` (expected `jsonl` or `webhook`)",
            ),
            (
                "[[sinks]]\nid = \"a\"\nkind = \"webhook\"\n",
                "policy.toml:2: sink `a`: a webhook sink needs `url`",
            ),
            (
                "[[sinks]]\nid = \"a\"\nkind = \"webhook\"\nurl = \"ftp://x\"\n",
                "must start with `https://`",
            ),
            (
                "[[sinks]]\nid = \"a\"\nkind = \"webhook\"\nurl = \"https://u:p@x/\"\n",
                "the URL carries credentials",
            ),
            (
                "[[sinks]]\nid = \"a\"\nkind = \"jsonl\"\n",
                "a jsonl sink needs `path`",
            ),
            (
                "[[sinks]]\nid = \"a\"\nkind = \"jsonl\"\npath = \"out.jsonl\"\n",
                "is relative",
            ),
            (
                "[[sinks]]\nid = \"a\"\nkind = \"jsonl\"\npath = \"$WARD_HOME/ledger.db\"\n",
                "is among Ward's own files",
            ),
            (
                "[[sinks]]\nid = \"a\"\nkind = \"jsonl\"\npath = \"$PROJECT/e.jsonl\"\n",
                "`$PROJECT` and `$CWD` mean nothing to a sink",
            ),
            (
                "[[sinks]]\nid = \"a\"\nkind = \"jsonl\"\npath = \"/e\"\nurl = \"https://x\"\n",
                "are for webhook sinks",
            ),
            (
                "[[sinks]]\nid = \"a\"\nkind = \"jsonl\"\npath = \"/e\"\nca_file = \"/ca.pem\"\n",
                "are for webhook sinks",
            ),
            (
                "[[sinks]]\nid = \"a\"\nkind = \"webhook\"\nurl = \"http://x\"\nca_file = \"/ca.pem\"\n",
                "`ca_file` is for `https://` receivers",
            ),
            (
                "[[sinks]]\nid = \"a\"\nkind = \"webhook\"\nurl = \"https://x\"\nca_file = \"ca.pem\"\n",
                "`ca_file = \"ca.pem\"`: use an absolute path",
            ),
            (
                "[[sinks]]\nid = \"a\"\nkind = \"jsonl\"\npath = \"/e\"\nevents = [\"prompt\"]\n",
                "unknown event `prompt`",
            ),
            (
                "[[sinks]]\nid = \"../x\"\nkind = \"jsonl\"\npath = \"/e\"\n",
                "the id must be",
            ),
            (
                "[[sinks]]\nid = \"a\"\nkind = \"webhook\"\nurl = \"https://x\"\ntimeout_ms = 0\n",
                "`timeout_ms = 0` is out of range",
            ),
            (
                "[[sinks]]\nid = \"a\"\nkind = \"webhook\"\nurl = \"https://x\"\nheaders = { Auth = \"env:1X\" }\n",
                "does not name an environment variable",
            ),
            (
                "[[sinks]]\nid = \"a\"\nkind = \"webhook\"\nurl = \"https://x\"\nheaders = { Host = \"y\" }\n",
                "is set by Ward",
            ),
            (
                "[[sinks]]\nid = \"a\"\nkind = \"jsonl\"\npath = \"/e\"\n[[sinks]]\nid = \"a\"\nkind = \"jsonl\"\npath = \"/f\"\n",
                "another sink in this file has the same id",
            ),
            (
                "[[sinks]]\nid = \"a\"\nkind = \"jsonl\"\npathh = \"/e\"\n",
                "unknown field `pathh`",
            ),
        ];
        for (text, expected) in cases {
            let message = message(text);
            assert!(
                message.contains(expected),
                "{text}\n  gave: {message}\n  expected: {expected}"
            );
        }
    }

    #[test]
    fn a_slack_webhook_takes_notices_and_a_json_one_may_add_them() {
        let (sinks, _) = load(
            Layer::User,
            r#"
[[sinks]]
id = "chat"
kind = "webhook"
url = "https://hooks.slack.example/services/T0/B0/x"
format = "slack"
deny_severity = "critical"

[[sinks]]
id = "siem"
kind = "webhook"
url = "https://siem.example/ward"
events = ["outcome", "notice"]
"#,
        )
        .unwrap();
        let [chat, siem] = sinks.as_slice() else {
            panic!("two sinks expected: {sinks:?}");
        };
        assert!(chat.notices && !chat.outcomes && !chat.checkpoints);
        assert_eq!(chat.deny_severity, Severity::Critical);
        assert!(matches!(
            chat.target,
            SinkTarget::Webhook {
                format: WebhookFormat::Slack,
                ..
            }
        ));
        assert!(siem.notices && siem.outcomes && !siem.checkpoints);
        assert_eq!(siem.deny_severity, Severity::High);
    }

    #[test]
    fn notice_settings_that_cannot_work_are_errors() {
        let cases = [
            (
                "[[sinks]]\nid = \"a\"\nkind = \"webhook\"\nurl = \"https://x/\"\nformat = \"slack\"\nevents = [\"outcome\"]\n",
                "a `format = \"slack\"` webhook takes notices only",
            ),
            (
                "[[sinks]]\nid = \"a\"\nkind = \"webhook\"\nurl = \"https://x/\"\nformat = \"teams\"\n",
                "unknown format `teams` (expected `json` or `slack`)",
            ),
            (
                "[[sinks]]\nid = \"a\"\nkind = \"webhook\"\nurl = \"https://x/\"\ndeny_severity = \"severe\"\n",
                "unknown `deny_severity = \"severe\"`",
            ),
            (
                "[[sinks]]\nid = \"a\"\nkind = \"jsonl\"\npath = \"/e.jsonl\"\nformat = \"slack\"\n",
                "are for webhook sinks",
            ),
            (
                "[[sinks]]\nid = \"a\"\nkind = \"jsonl\"\npath = \"/e.jsonl\"\nevents = [\"notices\"]\n",
                "unknown event `notices` in `events` (expected `outcome`, `checkpoint` or `notice`)",
            ),
        ];
        for (text, expected) in cases {
            let message = message(text);
            assert!(message.contains(expected), "{message}");
        }
    }

    #[test]
    fn a_project_policy_cannot_add_sinks() {
        let (sinks, warnings) = load(
            Layer::Project,
            "[[sinks]]\nid = \"leak\"\nkind = \"webhook\"\nurl = \"https://attacker.example\"\n",
        )
        .unwrap();
        assert_eq!(sinks, Vec::new());
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("`[[sinks]]` is ignored in a project policy"));
    }

    #[test]
    fn a_user_sink_cannot_replace_a_managed_one() {
        let source = |layer, path: &str, url: &str| PolicySource {
            layer,
            path: path.to_owned(),
            text: format!("[[sinks]]\nid = \"siem\"\nkind = \"webhook\"\nurl = \"{url}\"\n"),
        };
        let managed = source(
            Layer::Managed,
            "/etc/ward/policy.toml",
            "https://siem.corp/",
        );
        let user = source(Layer::User, "user.toml", "https://elsewhere.example/");
        // Given in any order: the managed layer is the more authoritative.
        let (sinks, warnings) =
            SinkConfig::from_sources(&[user, managed], &placeholders()).unwrap();
        assert_eq!(sinks.len(), 1);
        assert_eq!(sinks[0].describe(), "webhook https://siem.corp/");
        assert_eq!(sinks[0].layer, Layer::Managed);
        assert_eq!(
            warnings,
            [
                "user.toml: sink `siem` is ignored: the managed policy (/etc/ward/policy.toml) \
              defines a sink with that id"
            ]
        );
    }

    #[test]
    fn a_policy_holds_its_sinks_and_their_warnings() {
        let sources = [PolicySource {
            layer: Layer::User,
            path: "user.toml".to_owned(),
            text: "[[sinks]]\nid = \"a\"\nkind = \"jsonl\"\npath = \"~/e.jsonl\"\n".to_owned(),
        }];
        let policy = super::super::Policy::load(&sources, &placeholders()).unwrap();
        assert_eq!(policy.sinks().len(), 1);
        assert_eq!(policy.sinks()[0].describe(), "jsonl /home/ada/e.jsonl");
        assert_eq!(policy.sinks()[0].line, 2);
    }

    #[test]
    fn risky_but_valid_settings_warn() {
        let (sinks, warnings) = load(
            Layer::User,
            r#"
[[sinks]]
id = "a"
kind = "webhook"
url = "http://siem.example/"
headers = { Authorization = "Bearer 123" }

[[sinks]]
id = "b"
kind = "webhook"
url = "http://127.0.0.1:8080/"
"#,
        )
        .unwrap();
        assert_eq!(sinks.len(), 2);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains("unencrypted"));
        assert!(warnings[1].contains("header `Authorization` is written in the policy"));
    }

    #[test]
    fn urls_are_checked_for_a_host() {
        assert_eq!(check_url("https://siem.example:8443/x?y"), Ok(true));
        assert_eq!(check_url("http://[::1]:80/"), Ok(true));
        assert_eq!(check_url("http://localhost/"), Ok(true));
        assert_eq!(check_url("http://10.0.0.1/"), Ok(false));
        assert!(check_url("https:///path").is_err());
        assert!(check_url("https://a b/").is_err());
    }
}
