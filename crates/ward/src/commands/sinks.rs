//! `ward audit sinks|deliver`, and the delivery that follows a background ingest.
//!
//! Evidence is never delivered by the hook: the hook only appends to the journal.
//! The detached `ward audit ingest --quiet` a hook starts (and the checkpoint
//! signing at a session's end) delivers after the records are in the ledger,
//! within [`BACKGROUND_BUDGET`], skipping sinks that are backing off; its failures
//! go to the hook log. `ward audit deliver` delivers everything now.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use ward_core::policy::{HeaderValue, Layer, Placeholders, SinkConfig, SinkTarget, WebhookFormat};
use ward_ledger::Ledger;
use ward_sinks::{Backlog, Finish, Options, Report, SinkState, StateDir, SystemClock};

use crate::env;
use crate::home::Home;
use crate::layers;
use crate::output;

/// How long a background delivery starts new batches for. A request under way
/// when it ends may still take its sink's `timeout_ms`.
pub(crate) const BACKGROUND_BUDGET: Duration = Duration::from_secs(20);

/// A sink as `ward policy show` and `ward audit sinks` print it. Header values are
/// not shown: a literal one may be a secret.
#[derive(Debug, Serialize)]
pub(crate) struct SinkView {
    id: String,
    kind: &'static str,
    destination: String,
    events: Vec<&'static str>,
    /// Header names, each with `env:NAME` or `literal`.
    headers: Vec<(String, String)>,
    /// The PEM file of the CAs a webhook trusts instead of the public roots.
    #[serde(skip_serializing_if = "Option::is_none")]
    ca_file: Option<String>,
    /// A webhook's body: `json` or `slack`.
    #[serde(skip_serializing_if = "Option::is_none")]
    format: Option<&'static str>,
    /// The least severity of a deny that is a notice, when the sink takes notices.
    #[serde(skip_serializing_if = "Option::is_none")]
    deny_severity: Option<&'static str>,
    timeout_ms: u64,
    batch_size: usize,
    layer: &'static str,
    source: String,
}

impl SinkView {
    pub(crate) fn of(sink: &SinkConfig) -> SinkView {
        let (destination, headers, ca_file, format) = match &sink.target {
            SinkTarget::Jsonl { path } => (path.clone(), Vec::new(), None, None),
            SinkTarget::Webhook {
                url,
                headers,
                ca_file,
                format,
            } => (
                url.clone(),
                headers
                    .iter()
                    .map(|(name, value)| {
                        let shown = match value {
                            HeaderValue::Env(variable) => format!("env:{variable}"),
                            HeaderValue::Literal(_) => "literal".to_owned(),
                        };
                        (name.clone(), shown)
                    })
                    .collect(),
                ca_file.clone(),
                Some(match format {
                    WebhookFormat::Json => "json",
                    WebhookFormat::Slack => "slack",
                }),
            ),
        };
        let mut events = Vec::new();
        if sink.outcomes {
            events.push("outcome");
        }
        if sink.checkpoints {
            events.push("checkpoint");
        }
        if sink.notices {
            events.push("notice");
        }
        SinkView {
            id: sink.id.clone(),
            kind: sink.kind(),
            destination,
            events,
            headers,
            ca_file,
            format,
            deny_severity: sink.notices.then(|| sink.deny_severity.as_str()),
            timeout_ms: sink.timeout_ms,
            batch_size: sink.batch_size,
            layer: sink.layer.as_str(),
            source: if sink.line > 0 {
                format!("{}:{}", sink.file, sink.line)
            } else {
                sink.file.clone()
            },
        }
    }

    /// Whether the sink takes notices.
    pub(crate) fn takes_notices(&self) -> bool {
        self.events.contains(&"notice")
    }

    /// One line: `siem  webhook https://…  outcome, checkpoint  from user (file:line)`.
    pub(crate) fn line(&self) -> String {
        let shape = match self.format {
            Some("slack") => " (Slack messages)",
            _ => "",
        };
        let denies = self
            .deny_severity
            .map(|least| format!(" (denies from {least} up)"))
            .unwrap_or_default();
        let trust = self
            .ca_file
            .as_ref()
            .map(|path| format!(" (trusting the CAs in {path})"))
            .unwrap_or_default();
        format!(
            "{}  {} {}{shape}{trust}  {}{denies}  from {} ({})",
            self.id,
            self.kind,
            self.destination,
            self.events.join(", "),
            self.layer,
            self.source
        )
    }
}

/// The sinks the managed and user policies configure, managed first. The project
/// layer is not read: it cannot add sinks (see `ward_core::policy::SinkConfig`),
/// and a background delivery has no project.
pub(crate) fn configured(home: &Home) -> Result<Vec<SinkConfig>> {
    let sources = layers::home_sources(home)?;
    if !sources.iter().any(|source| source.layer == Layer::User) {
        bail!(
            "cannot read the user policy `{}`; run `ward init` to create it",
            home.policy().display()
        );
    }
    let ward_home = home.root.display().to_string();
    let placeholders = Placeholders {
        home: env::var(env::HOME).unwrap_or_else(|| "/".to_owned()),
        project: ward_home.clone(),
        cwd: ward_home.clone(),
        ward_home,
    };
    let (sinks, _) =
        SinkConfig::from_sources(&sources, &placeholders).map_err(crate::error::policy)?;
    Ok(sinks)
}

/// Where the sinks' cursors live.
pub(crate) fn state_dir(home: &Home) -> StateDir {
    StateDir::new(home.root.join("sinks"))
}

/// Delivers within [`BACKGROUND_BUDGET`], skipping sinks that back off, after an
/// ingest or a checkpoint. Never fails: what goes wrong is logged (`quiet`: to
/// the hook log, as a background process has no terminal) or printed as a warning.
pub(crate) fn deliver_in_background(home: &Home, quiet: bool) {
    let report = |message: &str| {
        if quiet {
            super::hook::log(home, message);
        } else {
            output::status(&format!("warning: {message}"));
        }
    };
    match background(home) {
        Ok(reports) => {
            for sink in reports {
                if let Finish::Failed {
                    error,
                    next_attempt,
                } = &sink.finish
                {
                    report(&format!(
                        "sink `{}`: delivery failed (attempt {}): {error}; next attempt at \
                         {next_attempt}; records stay queued in the ledger",
                        sink.id, sink.state.attempts
                    ));
                }
            }
        }
        Err(error) => report(&format!("cannot deliver evidence: {error:#}")),
    }
}

fn background(home: &Home) -> Result<Vec<Report>> {
    let sinks = configured(home)?;
    if sinks.is_empty() {
        return Ok(Vec::new());
    }
    let states = state_dir(home);
    // Another process is delivering: it takes what waits.
    let Some(_lock) = states.lock(false)? else {
        return Ok(Vec::new());
    };
    let path = home.ledger();
    let ledger = Ledger::open(&path)
        .with_context(|| format!("cannot open the ledger `{}`", path.display()))?;
    let deadline = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::try_from(BACKGROUND_BUDGET).unwrap_or_default())
        .ok();
    let options = Options {
        respect_backoff: true,
        deadline,
        random: random(),
        ..Options::default()
    };
    deliver_each(&ledger, &sinks, &states, &options, &mut |_| {})
}

/// Delivers to each sink in turn, under the caller's delivery lock.
fn deliver_each(
    ledger: &Ledger,
    sinks: &[SinkConfig],
    states: &StateDir,
    options: &Options,
    progress: &mut dyn FnMut(&ward_sinks::Progress<'_>),
) -> Result<Vec<Report>> {
    let mut reports = Vec::with_capacity(sinks.len());
    for sink in sinks {
        reports.push(ward_sinks::deliver(
            ledger,
            sink,
            ward_sinks::open(sink).as_ref(),
            states,
            &SystemClock,
            options,
            progress,
        )?);
    }
    Ok(reports)
}

fn random() -> u64 {
    let mut bytes = [0u8; 8];
    // Without randomness the jitter is 0: the backoff still works.
    let _ = getrandom::fill(&mut bytes);
    u64::from_le_bytes(bytes)
}

/// `ward audit deliver`: everything now, backoff or not, with progress on stderr.
pub(crate) fn deliver_now(home: &Home, only: Option<&str>, json: bool) -> Result<ExitCode> {
    let mut sinks = configured(home)?;
    if let Some(id) = only {
        if !sinks.iter().any(|sink| sink.id == id) {
            let known: Vec<&str> = sinks.iter().map(|sink| sink.id.as_str()).collect();
            bail!(
                "there is no sink `{id}` (configured: {}); `ward audit sinks` lists them",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            );
        }
        sinks.retain(|sink| sink.id == id);
    }
    if sinks.is_empty() {
        if json {
            output::json(&Vec::<Report>::new())?;
        } else {
            output::data(NO_SINKS);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let states = state_dir(home);
    let lock = match states.lock(false)? {
        Some(lock) => lock,
        None => {
            output::status("Another delivery is running; waiting for it to finish…");
            states
                .lock(true)?
                .context("the delivery lock was not taken")?
        }
    };
    let ledger = super::audit::open(home)?;
    let options = Options {
        random: random(),
        ..Options::default()
    };
    let reports = deliver_each(&ledger, &sinks, &states, &options, &mut |progress| {
        if !json {
            output::status(&format!(
                "{}: delivered {} event(s), through record {}",
                progress.id, progress.events, progress.record_seq
            ));
        }
    })?;
    drop(lock);
    let failed = reports
        .iter()
        .any(|report| matches!(report.finish, Finish::Failed { .. }));
    if json {
        output::json(&reports)?;
    } else {
        let mut text = String::new();
        for report in &reports {
            text.push_str(&render_delivery(report));
        }
        output::data(&text);
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

const NO_SINKS: &str = "No evidence sinks are configured. Add a `[[sinks]]` table to the user \
                        or managed policy (see docs/sinks.md).";

fn render_delivery(report: &Report) -> String {
    let id = &report.id;
    let delivered = report.delivered;
    match &report.finish {
        Finish::UpToDate => {
            format!("{id}: delivered {delivered} event(s); up to date.\n")
        }
        Finish::Failed {
            error,
            next_attempt,
        } => {
            let after = if delivered > 0 {
                format!(" after delivering {delivered} event(s)")
            } else {
                String::new()
            };
            format!(
                "{id}: FAILED{after}: {error}\n  Nothing is lost: the rest waits in the ledger \
                 (cursor at record {}). Background delivery tries again at {next_attempt} \
                 ({} failed attempt(s) in a row); `ward audit deliver` tries now.\n",
                report.state.record_seq, report.state.attempts
            )
        }
        Finish::Deferred { next_attempt } => {
            format!("{id}: backing off until {next_attempt}.\n")
        }
        Finish::OutOfTime => {
            format!("{id}: delivered {delivered} event(s); more wait (time budget spent).\n")
        }
    }
}

/// One sink's status, as `ward audit sinks --json` prints it.
#[derive(Debug, Serialize)]
struct SinkStatus {
    #[serde(flatten)]
    sink: SinkView,
    state: SinkState,
    backlog: Backlog,
    state_file: PathBuf,
}

/// `ward audit sinks`: each sink's cursor, backlog, last error and next attempt.
pub(crate) fn status(home: &Home, json: bool) -> Result<ExitCode> {
    let sinks = configured(home)?;
    let states = state_dir(home);
    let mut statuses = Vec::with_capacity(sinks.len());
    if !sinks.is_empty() {
        let ledger = super::audit::open(home)?;
        for sink in &sinks {
            let state = states.load(&sink.id)?;
            let backlog = ward_sinks::backlog(&ledger, sink, &state)?;
            statuses.push(SinkStatus {
                sink: SinkView::of(sink),
                state,
                backlog,
                state_file: states.file(&sink.id),
            });
        }
    }
    if json {
        output::json(&statuses)?;
        return Ok(ExitCode::SUCCESS);
    }
    if statuses.is_empty() {
        output::data(NO_SINKS);
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = String::new();
    for status in &statuses {
        text.push_str(&render_status(status));
    }
    output::data(&text);
    Ok(ExitCode::SUCCESS)
}

fn render_status(status: &SinkStatus) -> String {
    let state = &status.state;
    let backlog = &status.backlog;
    let mut text = format!("{}\n", status.sink.line());
    text.push_str(&format!(
        "  delivered: {} event(s); cursor: record {}, checkpoint {}\n",
        state.delivered, state.record_seq, state.checkpoint_size
    ));
    let mut waiting = vec![
        format!("{} outcome(s)", backlog.outcomes),
        format!("{} checkpoint(s)", backlog.checkpoints),
    ];
    if status.sink.takes_notices() {
        waiting.push(format!("{} notice(s)", backlog.notices));
    }
    text.push_str(&format!("  waiting:   {}\n", waiting.join(", ")));
    let condition = match (&state.last_error, &state.next_attempt) {
        (Some(error), next) => format!(
            "failing: {} attempt(s) in a row, the last at {}: {error}\n  next attempt: {}",
            state.attempts,
            state.last_failure.as_deref().unwrap_or("?"),
            next.as_deref().unwrap_or("now")
        ),
        (None, _) if backlog.outcomes + backlog.checkpoints + backlog.notices == 0 => {
            "up to date".to_owned()
        }
        (None, _) => {
            "waiting for the next background delivery (or `ward audit deliver`)".to_owned()
        }
    };
    text.push_str(&format!("  status:    {condition}\n"));
    if let Some(last) = &state.last_delivery {
        text.push_str(&format!("  last delivery: {last}\n"));
    }
    text
}
