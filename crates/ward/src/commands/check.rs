//! `ward check`: evaluate a hypothetical call and explain the decision, recording
//! nothing. This is how a user tests a policy.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::json;
use ward_agents::claude_code;
use ward_core::{Action, AnalysisContext, Event, Verdict};

use crate::cli::{CheckArgs, CheckCall, Format};
use crate::env;
use crate::home::Home;
use crate::layers;
use crate::output;

#[derive(Serialize)]
struct Explanation<'a> {
    tool: &'a str,
    input: &'a serde_json::Value,
    cwd: String,
    action: &'a Action,
    verdict: &'a Verdict,
    /// What the agent would receive on stdout (null: nothing, the agent's own prompt applies).
    reply: Option<serde_json::Value>,
    policy_warnings: &'a [String],
}

pub(crate) fn run(home: &Home, args: &CheckArgs) -> Result<ExitCode> {
    let cwd = match &args.cwd {
        Some(dir) => absolute(dir)?,
        None => std::env::current_dir().context("cannot find the current directory")?,
    };
    let event = match (&args.call, &args.payload) {
        (Some(_), Some(_)) => anyhow::bail!(
            "give either a call (`bash`, `write`, `read`, `fetch`) or `--json PAYLOAD_FILE`, not both"
        ),
        (Some(call), None) => event_for(call, &cwd),
        (None, Some(file)) => event_from_payload(file)?,
        (None, None) => anyhow::bail!(
            "say what to check: `ward check bash 'CMD'`, `ward check write PATH`, `ward check read PATH`, `ward check fetch URL` or `ward check --json PAYLOAD_FILE`"
        ),
    };
    let cwd = if event.cwd.starts_with('/') {
        PathBuf::from(&event.cwd)
    } else {
        cwd
    };
    let user_home = env::var(env::HOME).unwrap_or_else(|| "/".to_owned());
    let loaded = layers::load(home, &cwd, &user_home, true)?;
    let context = AnalysisContext {
        cwd: cwd.display().to_string(),
        home: user_home,
        branch: crate::git::branch_for(&event, &cwd),
    };
    let action = ward_core::analyze(&event, &context);
    let verdict = loaded
        .policy
        .evaluate_counting(
            &event,
            &action,
            args.at.unwrap_or_else(jiff::Timestamp::now),
            // Rate limits: the count this call would have; nothing is counted.
            &mut crate::limits::FileCounter::peeking(home),
        )
        .map_err(crate::error::policy)?;
    let reply = claude_code::render(&event.kind, &verdict)
        .and_then(|text| serde_json::from_str(&text).ok());
    let tool = event.tool.as_ref().map(|t| t.name.as_str()).unwrap_or("?");
    let input = event
        .tool
        .as_ref()
        .map(|t| t.input.clone())
        .unwrap_or_default();
    let explanation = Explanation {
        tool,
        input: &input,
        cwd: cwd.display().to_string(),
        action: &action,
        verdict: &verdict,
        reply,
        policy_warnings: loaded.policy.warnings(),
    };
    match args.format {
        Format::Json => output::json(&explanation)?,
        Format::Text => output::data(&render_text(&explanation)),
    }
    Ok(ExitCode::SUCCESS)
}

fn absolute(dir: &Path) -> Result<PathBuf> {
    if dir.is_absolute() {
        Ok(dir.to_path_buf())
    } else {
        Ok(std::env::current_dir()
            .context("cannot find the current directory")?
            .join(dir))
    }
}

fn event_for(call: &CheckCall, cwd: &Path) -> Event {
    let (name, input) = match call {
        CheckCall::Bash { command } => ("Bash", json!({ "command": command })),
        CheckCall::Write { path } => ("Write", json!({ "file_path": path, "content": "" })),
        CheckCall::Read { path } => ("Read", json!({ "file_path": path })),
        CheckCall::Fetch { url } => ("WebFetch", json!({ "url": url, "prompt": "" })),
    };
    Event::pre_tool_use(
        "claude-code",
        "ward-check",
        &cwd.display().to_string(),
        name,
        input,
    )
}

fn event_from_payload(file: &Path) -> Result<Event> {
    let bytes = if file == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
            .context("cannot read the payload from stdin")?;
        bytes
    } else {
        std::fs::read(file).with_context(|| format!("cannot read `{}`", file.display()))?
    };
    let event = claude_code::parse_payload(&bytes)
        .with_context(|| format!("`{}` is not a Claude Code hook payload", file.display()))?;
    if event.tool.is_none() {
        anyhow::bail!(
            "`{}` is a {} event; `ward check` evaluates tool calls (PreToolUse payloads)",
            file.display(),
            event.kind.as_str()
        );
    }
    Ok(event)
}

fn render_text(e: &Explanation<'_>) -> String {
    let mut out = String::new();
    let summary = crate::timeline::input_summary(e.tool, e.input);
    out.push_str(&format!("Call       {}  {}\n", e.tool, summary));
    out.push_str(&format!("Cwd        {}\n", e.cwd));
    let categories: Vec<&str> = e.action.categories.iter().map(|c| c.as_str()).collect();
    out.push_str(&format!("Category   {}\n", categories.join(", ")));
    for (index, command) in e.action.commands.iter().enumerate() {
        let label = if index == 0 { "Commands" } else { "" };
        let mut line = command.program.clone();
        for arg in &command.args {
            line.push(' ');
            line.push_str(arg);
        }
        if !command.wrappers.is_empty() {
            line.push_str(&format!("   (under {})", command.wrappers.join(", ")));
        }
        out.push_str(&format!("{label:<10} {line}\n"));
    }
    if e.action.targets.is_empty() {
        out.push_str("Targets    (none)\n");
    }
    for (index, target) in e.action.targets.iter().enumerate() {
        let label = if index == 0 { "Targets" } else { "" };
        out.push_str(&format!(
            "{label:<10} {:<8} {}\n",
            target.kind.as_str(),
            target.path
        ));
    }
    for (index, finding) in e.action.findings.iter().enumerate() {
        let label = if index == 0 { "Findings" } else { "" };
        out.push_str(&format!(
            "{label:<10} {:<24} {}
",
            finding.kind, finding.detail
        ));
    }
    if !e.action.tags.is_empty() {
        out.push_str(&format!("Risks      {}\n", e.action.tags.join(", ")));
    }
    if e.action.opaque {
        out.push_str(&format!("Opaque     yes: {}\n", e.action.notes.join("; ")));
    }
    let decision = match e.verdict.decision {
        Some(decision) => decision.as_str().to_uppercase(),
        None => "none (no rule has an opinion; Ward stays silent)".to_owned(),
    };
    let mode = if e.verdict.enforced {
        "enforced"
    } else {
        "dry-run: recorded, not enforced"
    };
    out.push_str(&format!("Decision   {decision}   [{mode}]\n"));
    for (index, rule) in e.verdict.matched.iter().enumerate() {
        let label = if index == 0 { "Matched" } else { "" };
        out.push_str(&format!(
            "{label:<10} {} ({}, {}) from {}\n{:<10}   {}\n",
            rule.rule_id, rule.decision, rule.severity, rule.source, "", rule.reason
        ));
        if let Some(alternative) = &rule.alternative {
            out.push_str(&format!("{:<10}   Instead: {alternative}\n", ""));
        }
    }
    match &e.reply {
        Some(reply) => out.push_str(&format!("Reply      {reply}\n")),
        None => out.push_str("Reply      (nothing: Claude Code's own permission rules apply)\n"),
    }
    for warning in e.policy_warnings {
        out.push_str(&format!("warning: {warning}\n"));
    }
    out
}
