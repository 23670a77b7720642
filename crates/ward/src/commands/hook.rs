//! `ward hook <agent>`: the hot path. One process per hook event: read the payload,
//! analyse, decide, record, answer in the agent's dialect.
//!
//! Contract (DESIGN.md): stdout carries exactly one JSON object or nothing; stderr
//! only the reason of an exit 2; silence when no rule has an opinion; any internal
//! error on a guarding event in enforce mode becomes a deny naming what broke. A
//! panic is caught and treated the same way.

use std::io::Read;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use serde_json::json;
use ward_agents::claude_code;
use ward_core::{AnalysisContext, Event, EventKind};
use ward_ledger::{OpenOptions, Stored};

use crate::env;
use crate::home::Home;
use crate::layers;
use crate::recording::{self, Actor, PolicyInfo};

/// What the hook process prints and how it exits.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct HookReply {
    pub(crate) stdout: Option<String>,
    pub(crate) stderr: Option<String>,
    pub(crate) exit_code: u8,
}

/// The agents Ward has an adapter for.
pub(crate) const AGENTS: [&str; 2] = ["claude-code", "claude"];

/// Runs the hook for one agent, reading the payload from stdin.
pub(crate) fn run(agent: &str, home: Option<&Path>) -> HookReply {
    // The default panic message goes to stderr, which Claude Code shows as a hook
    // error; the panic is caught below and answered properly instead.
    std::panic::set_hook(Box::new(|_| {}));
    let mut input = Vec::new();
    let limit = claude_code::MAX_PAYLOAD_BYTES as u64 + 1;
    if let Err(error) = std::io::stdin().take(limit).read_to_end(&mut input) {
        return unreadable_payload(&format!("cannot read the hook payload from stdin: {error}"));
    }
    match catch_unwind(AssertUnwindSafe(|| handle(agent, home, &input))) {
        Ok(reply) => reply,
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            unreadable_payload(&format!(
                "Ward hit an internal error ({message}); please report it with `ward audit verify` output"
            ))
        }
    }
}

/// An answer for a payload Ward could not even attribute to an event: exit 2 with
/// the reason on stderr, which blocks a tool call and shows the reason otherwise.
fn unreadable_payload(message: &str) -> HookReply {
    HookReply {
        stdout: None,
        stderr: Some(format!("Ward blocked this: {message}")),
        exit_code: 2,
    }
}

fn handle(agent: &str, home: Option<&Path>, input: &[u8]) -> HookReply {
    if !AGENTS.contains(&agent) {
        return unreadable_payload(&format!(
            "`ward hook {agent}`: unknown agent (known: claude-code)"
        ));
    }
    let home = match Home::locate(home) {
        Ok(home) => home,
        Err(error) => return unreadable_payload(&crate::error::one_line(&error)),
    };
    let event = match claude_code::parse_payload(input) {
        Ok(event) => event,
        Err(error) => {
            let message = format!(
                "the Claude Code hook payload ({} bytes) is invalid: {error}",
                input.len()
            );
            record_invalid_payload(&home, &message);
            // Audit-only: a call Ward cannot read is allowed (and recorded).
            return if enforcing(&home) {
                unreadable_payload(&message)
            } else {
                HookReply::default()
            };
        }
    };
    match decide_and_record(&home, &event) {
        Ok(reply) => reply,
        Err(failure) => fail(&home, &event, failure),
    }
}

/// Why the pipeline could not finish, and whether the policy (if it loaded) enforces.
struct Failure {
    error: anyhow::Error,
    enforce: bool,
}

fn decide_and_record(home: &Home, event: &Event) -> Result<HookReply, Failure> {
    let failure = |enforce: bool| move |error: anyhow::Error| Failure { error, enforce };
    let user_home = env::var(env::HOME).unwrap_or_else(|| "/".to_owned());
    let cwd = event_cwd(event);
    let loaded = layers::load(home, &cwd, &user_home, false).map_err(|error| {
        // Checked only when loading failed: the hot path pays for no extra stat.
        let error = if home.is_initialised() {
            error
        } else {
            anyhow!(
                "Ward's home `{}` is not initialised; run `ward init`",
                home.root.display()
            )
        };
        failure(true)(error)
    })?;
    let policy = &loaded.policy;
    let enforce = policy.enforce();
    let identity = home.read_identity().map_err(failure(enforce))?;
    let context = AnalysisContext {
        cwd: cwd.display().to_string(),
        home: user_home,
        branch: crate::git::branch_for(event, &cwd),
    };
    let action = event
        .tool
        .as_ref()
        .map(|_| ward_core::analyze(event, &context));
    let now = jiff::Timestamp::now();
    let mut verdict = match (&event.kind, &action) {
        (EventKind::PreToolUse | EventKind::PermissionRequest, Some(action)) => Some(
            policy
                .evaluate_counting(
                    event,
                    action,
                    now,
                    &mut crate::limits::FileCounter::new(home),
                )
                .map_err(|error| failure(enforce)(crate::error::policy(error)))?,
        ),
        _ => None,
    };
    let suspension = verdict
        .as_mut()
        .and_then(|verdict| break_glass(home, verdict, &event.session_id, now));
    let approval = match verdict.as_mut() {
        Some(verdict) => crate::approvals::answer(home, verdict, event, &identity.os_user)
            .map_err(failure(enforce))?
            .inspect(|answer| crate::approvals::apply(verdict, answer)),
        None => None,
    };
    let info = PolicyInfo {
        hash: policy.hash().to_owned(),
        preset: policy.preset().map(str::to_owned),
        enforce,
    };
    let actor = Actor {
        os_user: Some(identity.os_user),
        host_key_id: Some(identity.key_id),
    };
    let mut record = recording::build(
        event,
        action.as_ref(),
        verdict.as_ref(),
        Some(&info),
        &actor,
        None,
    );
    record.result.approval = approval
        .as_ref()
        .map(|answer| crate::approvals::answer_id(answer).to_owned());
    if let Some(suspension) = suspension {
        record.result.reason = Some(format!(
            "break-glass override {} set aside {} ({}); {}",
            suspension.id,
            suspension.rules.join(", "),
            suspension.suspended,
            record.result.reason.as_deref().unwrap_or_default()
        ));
        record.result.override_id = Some(suspension.id);
    }
    // A deny someone should hear about now goes out through a background ingest
    // (which delivers) instead of waiting for the journal to fill.
    let announce = policy.sinks().iter().any(|sink| {
        sink.notices && ward_sinks::notice::severe_deny(&record, sink.deny_severity).is_some()
    });
    store(home, record, announce).map_err(failure(enforce))?;
    // A context budget reads the size the agent last reported (`SessionStart`).
    if policy.tracks_context_tokens()
        && let Some(tokens) = event
            .details
            .get(ward_core::policy::CONTEXT_TOKENS)
            .and_then(serde_json::Value::as_u64)
        && let Err(error) = crate::limits::record_reported(
            home,
            &event.session_id,
            ward_core::policy::CONTEXT_TOKENS,
            tokens,
        )
    {
        log(
            home,
            &format!("cannot keep the reported context size: {error:#}"),
        );
    }
    let stdout = verdict
        .as_ref()
        .and_then(|verdict| claude_code::render(&event.kind, verdict));
    // The process ends right after this answer: freeing the compiled policy would
    // cost ~0.1 M instructions (callgrind) for nothing.
    std::mem::forget(loaded);
    Ok(HookReply {
        stdout,
        stderr: None,
        exit_code: 0,
    })
}

/// Applies an active break-glass override to a blocking verdict. The overrides
/// file is read only when a rule denies or asks, so other calls pay nothing; a file
/// that cannot be read leaves the verdict as it is (an override only loosens).
fn break_glass(
    home: &Home,
    verdict: &mut ward_core::Verdict,
    session: &str,
    now: jiff::Timestamp,
) -> Option<ward_core::break_glass::Suspension> {
    use ward_core::Decision;
    if !verdict.enforced || !matches!(verdict.decision, Some(Decision::Deny | Decision::Ask)) {
        return None;
    }
    match crate::overrides::read(home) {
        Ok(overrides) => verdict.suspend(&overrides, session, now),
        Err(error) => {
            log(home, &format!("{error:#}; the overrides are ignored"));
            None
        }
    }
}

/// Makes the record durable before the hook answers: appended and fsynced to the
/// ledger's journal, which moves into SQLite in batches (see
/// `ward_ledger::append_queued` for why); a session's end flushes the batch.
/// `announce`: the record is a notice someone should hear about now, so the
/// background ingest (which delivers) starts even if the journal is not full.
fn store(home: &Home, record: ward_ledger::record::Record, announce: bool) -> Result<()> {
    let path = home.ledger();
    let flush = record.request.event == EventKind::SessionEnd.as_str();
    let stored = ward_ledger::append_queued(&path, OpenOptions::default(), record, flush)
        .with_context(|| format!("cannot record this call in `{}`", path.display()))?;
    let ingest_due = match &stored {
        Stored::Queued { ingest_due, .. } => *ingest_due,
        Stored::Committed(_) => false,
        Stored::Spooled { reason } => {
            log(
                home,
                &format!("ledger unavailable, record spooled: {reason}"),
            );
            return Ok(());
        }
    };
    if ingest_due || announce {
        ingest_in_background(home);
    } else if flush {
        // A session ended and its records are in the ledger: sign a checkpoint
        // of them, in the background (loading the key and signing stay off the
        // agent's path).
        run_in_background(home, &["audit", "checkpoint", "--quiet"]);
    }
    Ok(())
}

/// Starts `ward audit ingest` detached, so that moving the journal into SQLite (a few
/// milliseconds for a batch) never delays the agent. Its stdio is closed: the agent
/// waits for the hook's stdout to close, which must not wait for the ingester. If
/// it cannot start, the next hook or reader ingests instead.
pub(crate) fn ingest_in_background(home: &Home) {
    if !crate::commands::audit::ingest_idle(home) {
        return;
    }
    run_in_background(home, &["audit", "ingest", "--quiet"]);
}

/// Starts `ward ARGS` detached, with its stdio closed (see [`ingest_in_background`]).
fn run_in_background(home: &Home, args: &[&str]) {
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let started = std::process::Command::new(exe)
        .arg("--home")
        .arg(&home.root)
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if let Err(error) = started {
        log(
            home,
            &format!(
                "cannot start `ward {}` in the background: {error}",
                args.join(" ")
            ),
        );
    }
}

/// The answer when the pipeline failed: fail closed on guarding events in enforce
/// mode, silence otherwise; the failure is recorded if at all possible.
fn fail(home: &Home, event: &Event, failure: Failure) -> HookReply {
    let message = crate::error::one_line(&failure.error);
    log(home, &format!("{}: {message}", event.kind.as_str()));
    let actor = Actor {
        os_user: Some(crate::home::os_user()),
        host_key_id: home.read_identity().ok().map(|identity| identity.key_id),
    };
    let enforced = failure.enforce && event.kind.is_guarding();
    let mut record = recording::build(event, None, None, None, &actor, Some(&message));
    record.rules.enforce = failure.enforce;
    if enforced {
        record.result.decision = Some("deny".to_owned());
        record.result.enforced = true;
        record.result.reason = Some(format!("Ward failed closed: {message}"));
    }
    if home.is_initialised()
        && let Err(error) = store(home, record, false)
    {
        log(home, &format!("cannot record the failure: {error:#}"));
    }
    let stdout = if enforced {
        claude_code::render_failure(&event.kind, &message)
    } else {
        None
    };
    HookReply {
        stdout,
        stderr: None,
        exit_code: 0,
    }
}

/// Records a payload that did not parse, under a pseudo-session, so that garbage
/// sent to the hook leaves a trace: the parser's message, not the bytes.
fn record_invalid_payload(home: &Home, message: &str) {
    if !home.is_initialised() {
        return;
    }
    let mut event = Event::pre_tool_use("claude-code", "ward:invalid-payload", "", "", json!(null));
    event.kind = EventKind::Other("InvalidPayload".to_owned());
    event.tool = None;
    let actor = Actor {
        os_user: Some(crate::home::os_user()),
        host_key_id: home.read_identity().ok().map(|identity| identity.key_id),
    };
    let record = recording::build(&event, None, None, None, &actor, Some(message));
    if let Err(error) = store(home, record, false) {
        log(
            home,
            &format!("cannot record an invalid payload: {error:#}"),
        );
    }
}

/// Whether the policy that applies here enforces, for a payload too broken to say
/// where it was made (the process's cwd stands in). A policy that cannot be read
/// enforces: Ward fails closed.
fn enforcing(home: &Home) -> bool {
    let user_home = env::var(env::HOME).unwrap_or_else(|| "/".to_owned());
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    layers::load(home, &cwd, &user_home, false)
        .ok()
        .is_none_or(|loaded| loaded.policy.enforce())
}

fn event_cwd(event: &Event) -> PathBuf {
    if event.cwd.starts_with('/') {
        PathBuf::from(&event.cwd)
    } else {
        env::var(env::CLAUDE_PROJECT_DIR)
            .map(PathBuf::from)
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_else(|| PathBuf::from("/"))
    }
}

/// Appends a line to `$WARD_HOME/logs/hook.log`. The hook never writes logs to
/// stdout or stderr (the agent reads those); a failure to log is ignored.
pub(crate) fn log(home: &Home, message: &str) {
    use std::io::Write;
    let dir = home.logs();
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("hook.log"))
    {
        let _ = writeln!(file, "{} {message}", recording::now());
    }
}
