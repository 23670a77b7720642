//! `ward policy diff OLD NEW`: what changed between two policy files, rule by
//! rule. Each file is read as the user policy with its preset and the built-in
//! rules, so a preset change shows as the rules it adds and removes.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::{Map, Value};
use ward_core::policy::{Layer, Policy, PolicySource, Rule};

use crate::home::Home;
use crate::output;

#[derive(Debug, Serialize)]
struct Diff {
    old: String,
    new: String,
    settings: Vec<FieldChange>,
    added: Vec<RuleLine>,
    removed: Vec<RuleLine>,
    changed: Vec<RuleChange>,
}

#[derive(Debug, Serialize)]
struct FieldChange {
    field: String,
    old: Value,
    new: Value,
}

#[derive(Debug, Serialize)]
struct RuleLine {
    id: String,
    decision: String,
    severity: String,
    description: String,
    source: String,
}

#[derive(Debug, Serialize)]
struct RuleChange {
    id: String,
    fields: Vec<FieldChange>,
}

pub(crate) fn run(home: &Home, old: &Path, new: &Path, json: bool) -> Result<ExitCode> {
    let (old_policy, new_policy) = (load(home, old)?, load(home, new)?);
    let diff = compare(old, &old_policy, new, &new_policy);
    let same = diff.settings.is_empty()
        && diff.added.is_empty()
        && diff.removed.is_empty()
        && diff.changed.is_empty();
    if json {
        output::json(&diff)?;
    } else {
        output::data(&render(&diff));
    }
    Ok(if same {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn load(home: &Home, file: &Path) -> Result<Policy> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read the policy `{}`", file.display()))?;
    let cwd = std::env::current_dir().context("cannot find the current directory")?;
    let placeholders = super::policy::placeholders(home, &cwd);
    let source = PolicySource {
        layer: Layer::User,
        path: file.display().to_string(),
        text,
    };
    Policy::load_located(&[source], &placeholders).map_err(crate::error::policy)
}

fn compare(old_path: &Path, old: &Policy, new_path: &Path, new: &Policy) -> Diff {
    let mut settings = Vec::new();
    let mut setting = |field: &str, old: Value, new: Value| {
        if old != new {
            settings.push(FieldChange {
                field: field.to_owned(),
                old,
                new,
            });
        }
    };
    setting("preset", old.preset().into(), new.preset().into());
    setting("enforce", old.enforce().into(), new.enforce().into());
    setting(
        "default",
        old.default_decision().map(|d| d.as_str()).into(),
        new.default_decision().map(|d| d.as_str()).into(),
    );
    setting(
        "protected_branches",
        serde_json::to_value(old.protected_branches().globs()).unwrap_or_default(),
        serde_json::to_value(new.protected_branches().globs()).unwrap_or_default(),
    );
    let sinks = |policy: &Policy| -> Value {
        policy
            .sinks()
            .iter()
            .map(|sink| format!("{} {}", sink.id, sink.describe()))
            .collect::<Vec<_>>()
            .into()
    };
    setting("sinks", sinks(old), sinks(new));

    let by_id = |policy: &'_ Policy| -> BTreeMap<String, Map<String, Value>> {
        policy
            .rules()
            .iter()
            .map(|rule| (rule.id().to_owned(), flat(rule)))
            .collect()
    };
    let (old_rules, new_rules) = (by_id(old), by_id(new));
    let line = |policy: &Policy, id: &str| {
        policy
            .rules()
            .iter()
            .find(|r| r.id() == id)
            .map(|rule| RuleLine {
                id: id.to_owned(),
                decision: rule.decision.as_str().to_owned(),
                severity: rule.severity.as_str().to_owned(),
                description: if rule.spec.description.is_empty() {
                    rule.spec.reason.clone()
                } else {
                    rule.spec.description.clone()
                },
                source: rule.origin.to_string(),
            })
    };
    let added = new_rules
        .keys()
        .filter(|id| !old_rules.contains_key(*id))
        .filter_map(|id| line(new, id))
        .collect();
    let removed = old_rules
        .keys()
        .filter(|id| !new_rules.contains_key(*id))
        .filter_map(|id| line(old, id))
        .collect();
    let mut changed = Vec::new();
    for (id, old_fields) in &old_rules {
        let Some(new_fields) = new_rules.get(id) else {
            continue;
        };
        let mut names: Vec<&String> = old_fields.keys().chain(new_fields.keys()).collect();
        names.sort();
        names.dedup();
        let fields: Vec<FieldChange> = names
            .into_iter()
            .filter_map(|name| {
                let (a, b) = (
                    old_fields.get(name).cloned().unwrap_or(Value::Null),
                    new_fields.get(name).cloned().unwrap_or(Value::Null),
                );
                (a != b).then(|| FieldChange {
                    field: name.clone(),
                    old: a,
                    new: b,
                })
            })
            .collect();
        if !fields.is_empty() {
            changed.push(RuleChange {
                id: id.clone(),
                fields,
            });
        }
    }
    Diff {
        old: old_path.display().to_string(),
        new: new_path.display().to_string(),
        settings,
        added,
        removed,
        changed,
    }
}

/// A rule as dotted fields (`decision`, `match.programs`, `approval.mode`, …),
/// with its effective severity. Where it was written (file, line) is not a change.
fn flat(rule: &Rule) -> Map<String, Value> {
    let mut fields = Map::new();
    fn walk(prefix: &str, value: &Value, fields: &mut Map<String, Value>) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    let name = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    walk(&name, inner, fields);
                }
            }
            other => {
                fields.insert(prefix.to_owned(), other.clone());
            }
        }
    }
    walk(
        "",
        &serde_json::to_value(&rule.spec).unwrap_or_default(),
        &mut fields,
    );
    fields.remove("id");
    fields.insert("severity".to_owned(), rule.severity.as_str().into());
    // Empty lists and tables are the same as absent ones.
    fields.retain(|_, value| !matches!(value, Value::Array(items) if items.is_empty()));
    fields
}

fn render(diff: &Diff) -> String {
    let mut out = format!("--- {}\n+++ {}\n", diff.old, diff.new);
    for change in &diff.settings {
        out.push_str(&format!(
            "~ {}: {} → {}\n",
            change.field, change.old, change.new
        ));
    }
    for rule in &diff.added {
        out.push_str(&format!(
            "+ {}  {} ({})  {}\n",
            rule.id, rule.decision, rule.severity, rule.description
        ));
    }
    for rule in &diff.removed {
        out.push_str(&format!(
            "- {}  {} ({})  {}\n",
            rule.id, rule.decision, rule.severity, rule.description
        ));
    }
    for rule in &diff.changed {
        out.push_str(&format!("~ {}\n", rule.id));
        for field in &rule.fields {
            out.push_str(&format!(
                "    {}: {} → {}\n",
                field.field, field.old, field.new
            ));
        }
    }
    out.push_str(&format!(
        "{} setting(s) changed; {} rule(s) added, {} removed, {} changed.",
        diff.settings.len(),
        diff.added.len(),
        diff.removed.len(),
        diff.changed.len()
    ));
    out
}
