//! `ward demo`: replay a bundled Claude Code session through the real hook.
//!
//! Every event is sent to a new `ward hook claude-code` process on stdin, exactly as
//! Claude Code does; calls Claude Code runs in parallel are sent in parallel. The
//! demo runs in a fresh temporary home with its own fake `$HOME` and project, so it
//! touches nothing of the user's (nothing is executed: Ward only decides and records).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::Serialize;
use serde_json::Value;

use crate::commands::audit;
use crate::home::Home;
use crate::output;
use crate::timeline;

/// The bundled session.
const SESSION: &str = include_str!("../demo/session.json");
/// The session id the replay uses.
const SESSION_ID: &str = "demo-6a1f0c2e-4c2d-9e2a-5b7d1c0e8f31";

/// What one hook process answered.
#[derive(Debug, Serialize)]
struct Answer {
    event: String,
    tool: Option<String>,
    exit_code: i32,
    reply: Option<Value>,
    stderr: String,
    micros: u128,
}

#[derive(Debug, Serialize)]
struct Summary {
    home: String,
    events: usize,
    hook_processes: usize,
    denied: usize,
    asked: usize,
    warned: usize,
    silent: usize,
    unexpected: Vec<String>,
    mean_hook_ms: f64,
    verified: bool,
    records: u64,
}

pub(crate) fn run(home: Option<&Path>, keep: bool, json: bool) -> Result<ExitCode> {
    let temp = tempfile::Builder::new()
        .prefix("ward-demo-")
        .tempdir()
        .context("cannot create a temporary directory for the demo")?;
    let root = temp.path().to_path_buf();
    let ward_home = match home {
        Some(dir) => dir.to_path_buf(),
        None => root.join("ward-home"),
    };
    let fake_home = root.join("home");
    let project = fake_home.join("shop");
    for dir in [project.join(".git"), project.join("src")] {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create `{}`", dir.display()))?;
    }
    // The session works on `main`, a protected branch.
    let head = project.join(".git").join("HEAD");
    std::fs::write(&head, "ref: refs/heads/main\n")
        .with_context(|| format!("cannot write `{}`", head.display()))?;
    let home = Home {
        root: ward_home.clone(),
    };
    home.init("safety", None)?;

    let steps = load_steps(&project)?;
    let events: usize = steps.iter().map(Vec::len).sum();
    if !json {
        output::status(&format!(
            "Replaying {events} Claude Code hook events through `ward hook claude-code` (home: {})…",
            ward_home.display()
        ));
    }
    let exe = std::env::current_exe().context("cannot find the path of the ward binary")?;
    let environment = Environment {
        exe: &exe,
        ward_home: &ward_home,
        fake_home: &fake_home,
        project: &project,
        managed_policy: root.join("no-managed-policy.toml"),
    };
    let mut answers = Vec::with_capacity(events);
    for step in &steps {
        answers.extend(run_step(&environment, step)?);
    }

    let ledger = audit::open(&home)?;
    let report = ledger.verify(&mut |_, _| {})?;
    let summary = summarise(&ward_home, events, &answers, &report);
    if json {
        output::json(&summary)?;
    } else {
        let sessions = ledger.sessions()?;
        let records = ledger.records(&ward_ledger::RecordFilter {
            session_id: Some(SESSION_ID.to_owned()),
            ..Default::default()
        })?;
        let mut text = String::new();
        if let Some(session) = sessions.iter().find(|s| s.session_id == SESSION_ID) {
            text.push_str(&timeline::render_session(session, &records));
        }
        text.push('\n');
        text.push_str(&audit::render_verify(&report));
        text.push_str(&render_summary(&summary, &answers));
        output::data(&text);
    }
    if keep {
        let kept = temp.keep();
        output::status(&format!(
            "Kept the demo in {} (try `ward --home {} audit list`).",
            kept.display(),
            ward_home.display()
        ));
    }
    let ok = summary.verified && summary.unexpected.is_empty();
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

struct Environment<'a> {
    exe: &'a Path,
    ward_home: &'a Path,
    fake_home: &'a Path,
    project: &'a Path,
    managed_policy: PathBuf,
}

/// The bundled steps with the session id, transcript and cwd filled in and
/// `$PROJECT` replaced by the demo project's path.
fn load_steps(project: &Path) -> Result<Vec<Vec<Value>>> {
    let text = SESSION.replace("$PROJECT", &project.display().to_string());
    let document: Value =
        serde_json::from_str(&text).context("the bundled demo session is not JSON")?;
    let Some(steps) = document.get("steps").and_then(Value::as_array) else {
        bail!("the bundled demo session has no `steps`");
    };
    let transcript = project
        .join(".transcripts")
        .join(format!("{SESSION_ID}.jsonl"));
    let fill = |payload: &Value| -> Value {
        let mut payload = payload.clone();
        if let Some(object) = payload.as_object_mut() {
            object.insert("session_id".to_owned(), Value::from(SESSION_ID));
            object.insert(
                "transcript_path".to_owned(),
                Value::from(transcript.display().to_string()),
            );
            object.insert("cwd".to_owned(), Value::from(project.display().to_string()));
        }
        payload
    };
    Ok(steps
        .iter()
        .map(
            |step| match step.get("parallel").and_then(Value::as_array) {
                Some(parallel) => parallel.iter().map(fill).collect(),
                None => vec![fill(step)],
            },
        )
        .collect())
}

/// Starts one hook process per payload of the step at once, then collects them.
fn run_step(environment: &Environment<'_>, step: &[Value]) -> Result<Vec<Answer>> {
    let mut running = Vec::with_capacity(step.len());
    for payload in step {
        let started = Instant::now();
        let mut child = Command::new(environment.exe)
            .args(["hook", "claude-code"])
            .env("WARD_HOME", environment.ward_home)
            .env("HOME", environment.fake_home)
            .env("WARD_MANAGED_POLICY", &environment.managed_policy)
            .env("CLAUDE_PROJECT_DIR", environment.project)
            .current_dir(environment.project)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("cannot start `ward hook claude-code`")?;
        let bytes = serde_json::to_vec(payload)?;
        if let Some(mut stdin) = child.stdin.take() {
            // Claude Code writes the JSON and a newline, then closes stdin.
            stdin.write_all(&bytes)?;
            stdin.write_all(b"\n")?;
        }
        running.push((payload, child, started));
    }
    let mut answers = Vec::with_capacity(running.len());
    for (payload, child, started) in running {
        let out = child
            .wait_with_output()
            .context("`ward hook claude-code` did not finish")?;
        let elapsed = started.elapsed();
        let stdout = String::from_utf8_lossy(&out.stdout);
        answers.push(Answer {
            event: field(payload, "hook_event_name"),
            tool: payload
                .get("tool_name")
                .and_then(Value::as_str)
                .map(str::to_owned),
            exit_code: out.status.code().unwrap_or(-1),
            reply: (!stdout.trim().is_empty()).then(|| {
                serde_json::from_str(&stdout).unwrap_or(Value::String(stdout.into_owned()))
            }),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            micros: elapsed.min(Duration::from_secs(60)).as_micros(),
        });
    }
    Ok(answers)
}

fn field(payload: &Value, name: &str) -> String {
    payload
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_owned()
}

fn decision_of(reply: &Value) -> Option<&str> {
    reply
        .pointer("/hookSpecificOutput/permissionDecision")
        .and_then(Value::as_str)
        .or_else(|| reply.get("systemMessage").map(|_| "warn"))
}

fn summarise(
    home: &Path,
    events: usize,
    answers: &[Answer],
    report: &ward_ledger::VerifyReport,
) -> Summary {
    let count = |decision: &str| {
        answers
            .iter()
            .filter(|a| a.reply.as_ref().and_then(decision_of) == Some(decision))
            .count()
    };
    let unexpected = answers
        .iter()
        .filter(|a| a.exit_code != 0 || !a.stderr.is_empty())
        .map(|a| format!("{} exited {}: {}", a.event, a.exit_code, a.stderr.trim()))
        .collect();
    let total_micros: u128 = answers.iter().map(|a| a.micros).sum();
    Summary {
        home: home.display().to_string(),
        events,
        hook_processes: answers.len(),
        denied: count("deny"),
        asked: count("ask"),
        warned: count("warn"),
        silent: answers.iter().filter(|a| a.reply.is_none()).count(),
        unexpected,
        mean_hook_ms: if answers.is_empty() {
            0.0
        } else {
            total_micros as f64 / answers.len() as f64 / 1000.0
        },
        verified: report.ok,
        records: report.records,
    }
}

fn render_summary(summary: &Summary, answers: &[Answer]) -> String {
    let mut out = format!(
        "\nSummary: {} events, one `ward hook claude-code` process each ({:.1} ms mean, wall clock incl. parallel runs).\n\
         Claude Code was told: deny ×{}, ask ×{}, warn ×{}; silent ×{} (its own permission prompts apply).\n",
        summary.events,
        summary.mean_hook_ms,
        summary.denied,
        summary.asked,
        summary.warned,
        summary.silent
    );
    for answer in answers {
        if let Some(reply) = &answer.reply {
            let reason = reply
                .pointer("/hookSpecificOutput/permissionDecisionReason")
                .or_else(|| reply.get("systemMessage"))
                .and_then(Value::as_str)
                .unwrap_or("");
            out.push_str(&format!(
                "  {:<5} {:<6} {reason}\n",
                decision_of(reply).unwrap_or("?"),
                answer.tool.as_deref().unwrap_or("")
            ));
        }
    }
    for problem in &summary.unexpected {
        out.push_str(&format!("  unexpected: {problem}\n"));
    }
    out.push_str(&format!(
        "Ledger: {} records, {}.\n",
        summary.records,
        if summary.verified {
            "verified"
        } else {
            "VERIFICATION FAILED"
        }
    ));
    out
}
