//! `ward policy show|validate|categories|presets`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use serde::Serialize;
use ward_core::Category;
use ward_core::policy::{Layer, PRESETS, Placeholders, Policy, PolicySource};

use crate::cli::PolicyCommand;
use crate::env;
use crate::home::Home;
use crate::layers;
use crate::output;

use super::sinks::SinkView;

#[derive(Serialize)]
struct RuleView<'a> {
    id: &'a str,
    decision: &'a str,
    severity: &'a str,
    description: &'a str,
    reason: &'a str,
    alternative: Option<&'a str>,
    layer: &'a str,
    source: String,
    #[serde(rename = "match")]
    matches: &'a ward_core::policy::MatchSpec,
}

#[derive(Serialize)]
struct PolicyView<'a> {
    hash: &'a str,
    preset: Option<&'a str>,
    enforce: bool,
    default: Option<&'a str>,
    protected_branches: &'a [String],
    layers: Vec<LayerView>,
    rules: Vec<RuleView<'a>>,
    sinks: Vec<SinkView>,
    warnings: &'a [String],
}

#[derive(Serialize)]
struct LayerView {
    layer: String,
    path: String,
}

pub(crate) fn run(home: &Home, command: PolicyCommand) -> Result<ExitCode> {
    match command {
        PolicyCommand::Show { cwd, json } => show(home, cwd, json),
        PolicyCommand::Validate { files, cwd, json } => validate(home, &files, cwd, json),
        PolicyCommand::Replay {
            policy,
            layer,
            since,
            examples,
            json,
        } => super::policy_replay::run(home, &policy, layer, &since, examples, json),
        PolicyCommand::Diff { old, new, json } => super::policy_diff::run(home, &old, &new, json),
        PolicyCommand::Categories => {
            let lines: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
            output::data(&lines.join("\n"));
            Ok(ExitCode::SUCCESS)
        }
        PolicyCommand::Presets => {
            let lines: Vec<String> = PRESETS
                .iter()
                .map(|(name, about)| format!("{name:<12} {about}"))
                .collect();
            output::data(&lines.join("\n"));
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn cwd_or_current(cwd: Option<PathBuf>) -> Result<PathBuf> {
    match cwd {
        Some(dir) => Ok(dir),
        None => std::env::current_dir().context("cannot find the current directory"),
    }
}

/// What `~`, `$WARD_HOME`, `$PROJECT` and `$CWD` expand to for a policy file
/// read on its own in `cwd`.
pub(crate) fn placeholders(home: &Home, cwd: &Path) -> Placeholders {
    Placeholders {
        home: user_home(),
        ward_home: home.root.display().to_string(),
        project: layers::project_root(cwd)
            .unwrap_or_else(|| cwd.to_path_buf())
            .display()
            .to_string(),
        cwd: cwd.display().to_string(),
    }
}

pub(crate) fn user_home() -> String {
    env::var(env::HOME).unwrap_or_else(|| "/".to_owned())
}

fn show(home: &Home, cwd: Option<PathBuf>, json: bool) -> Result<ExitCode> {
    let cwd = cwd_or_current(cwd)?;
    let loaded = layers::load(home, &cwd, &user_home(), true)?;
    let view = view(&loaded.policy, &loaded.sources);
    if json {
        output::json(&view)?;
    } else {
        output::data(&render(&view));
    }
    Ok(ExitCode::SUCCESS)
}

fn view<'a>(policy: &'a Policy, sources: &[PolicySource]) -> PolicyView<'a> {
    PolicyView {
        hash: policy.hash(),
        preset: policy.preset(),
        enforce: policy.enforce(),
        default: policy.default_decision().map(|d| d.as_str()),
        protected_branches: policy.protected_branches().globs(),
        layers: sources
            .iter()
            .map(|s| LayerView {
                layer: s.layer.to_string(),
                path: s.path.clone(),
            })
            .collect(),
        rules: policy
            .rules()
            .iter()
            .map(|rule| RuleView {
                id: rule.id(),
                decision: rule.decision.as_str(),
                severity: rule.severity.as_str(),
                description: &rule.spec.description,
                reason: &rule.spec.reason,
                alternative: rule.spec.alternative.as_deref(),
                layer: rule.origin.layer.as_str(),
                source: rule.origin.to_string(),
                matches: &rule.spec.matches,
            })
            .collect(),
        sinks: policy.sinks().iter().map(SinkView::of).collect(),
        warnings: policy.warnings(),
    }
}

fn render(view: &PolicyView<'_>) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "Effective policy {}  preset: {}  mode: {}  default: {}\n",
        view.hash.get(..12).unwrap_or(view.hash),
        view.preset.unwrap_or("none"),
        if view.enforce {
            "enforce"
        } else {
            "dry-run (not enforced)"
        },
        view.default.unwrap_or("none (silent)")
    ));
    out.push_str("Layers (most authoritative first): builtin");
    for layer in &view.layers {
        out.push_str(&format!(", {} {}", layer.layer, layer.path));
    }
    out.push_str(&format!(
        "\nProtected branches: {}",
        view.protected_branches.join(", ")
    ));
    out.push_str("\n\n");
    let width = view.rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
    for rule in &view.rules {
        out.push_str(&format!(
            "{:<5} {:<width$}  {}\n      {:<width$}  {}, from {}\n",
            rule.decision, rule.id, rule.description, "", rule.severity, rule.source
        ));
    }
    out.push_str(&format!("\n{} rules.\n", view.rules.len()));
    if !view.sinks.is_empty() {
        out.push_str("\nEvidence sinks (`ward audit sinks` shows their delivery):\n");
        for sink in &view.sinks {
            out.push_str(&format!("  {}\n", sink.line()));
        }
    }
    for warning in view.warnings {
        out.push_str(&format!("warning: {warning}\n"));
    }
    out
}

#[derive(Serialize)]
struct Validation {
    ok: bool,
    checked: Vec<String>,
    rules: usize,
    errors: Vec<String>,
    warnings: Vec<String>,
}

fn validate(home: &Home, files: &[PathBuf], cwd: Option<PathBuf>, json: bool) -> Result<ExitCode> {
    let cwd = cwd_or_current(cwd)?;
    let mut report = Validation {
        ok: true,
        checked: Vec::new(),
        rules: 0,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    if files.is_empty() {
        match layers::load(home, &cwd, &user_home(), true) {
            Ok(loaded) => {
                report.checked = loaded.sources.iter().map(|s| s.path.clone()).collect();
                check_policy(&loaded.policy, &mut report);
            }
            Err(error) => report.errors.push(crate::error::one_line(&error)),
        }
    } else {
        for file in files {
            validate_file(home, file, &cwd, &mut report);
        }
    }
    report.ok = report.errors.is_empty();
    if json {
        output::json(&report)?;
    } else {
        let mut text = String::new();
        for error in &report.errors {
            text.push_str(&format!("error: {error}\n"));
        }
        for warning in &report.warnings {
            text.push_str(&format!("warning: {warning}\n"));
        }
        if report.ok {
            text.push_str(&format!(
                "ok: {} rules in {} file(s) ({})",
                report.rules,
                report.checked.len(),
                report.checked.join(", ")
            ));
        }
        output::data(&text);
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn validate_file(home: &Home, file: &Path, cwd: &Path, report: &mut Validation) {
    report.checked.push(file.display().to_string());
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(error) => {
            report
                .errors
                .push(format!("cannot read `{}`: {error}", file.display()));
            return;
        }
    };
    let placeholders = placeholders(home, cwd);
    let source = PolicySource {
        layer: Layer::User,
        path: file.display().to_string(),
        text,
    };
    match Policy::load_located(&[source], &placeholders) {
        Ok(policy) => check_policy(&policy, report),
        Err(error) => report
            .errors
            .push(crate::error::one_line(&crate::error::policy(error))),
    }
}

fn check_policy(policy: &Policy, report: &mut Validation) {
    report.rules += policy.rules().len();
    if let Err(error) = policy.validate_patterns() {
        report
            .errors
            .push(crate::error::one_line(&crate::error::policy(error)));
    }
    report.warnings.extend(policy.warnings().iter().cloned());
}
