//! The labelled evaluation corpus: every case of `tests/corpus/*.toml` is analysed
//! and evaluated against the `safety` preset exactly as a user gets it, and the run
//! prints recall and false-positive rate per pack.
//!
//! A case fails when its decision is not its label (`deny` is `block`; `ask` is
//! `ask`; `allow`, `warn` and silence are `allow`). Cases with a `gap` are known
//! misses: reported, never failing. `WARD_CORPUS_REPORT_ONLY=1` prints without failing.

#![allow(clippy::print_stdout, clippy::exit)]

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::{Value, json};
use ward_core::policy::{Layer, Placeholders, Policy, PolicySource};
use ward_core::{AnalysisContext, Decision, Event, analyze};

const HOME: &str = "/home/dev";
const WARD_HOME: &str = "/home/dev/.ward";
const PROJECT: &str = "/home/dev/project";
const MIN_CASES: usize = 500;
const SHOWN_CHARS: usize = 110;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Label {
    Block,
    Ask,
    Allow,
}

impl Label {
    fn of(decision: Option<Decision>) -> Label {
        match decision {
            Some(Decision::Deny) => Label::Block,
            Some(Decision::Ask) => Label::Ask,
            _ => Label::Allow,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Label::Block => "block",
            Label::Ask => "ask",
            Label::Allow => "allow",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Pack {
    #[serde(default)]
    case: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    label: Label,
    command: Option<String>,
    tool: Option<String>,
    input: Option<Value>,
    #[allow(dead_code)]
    note: Option<String>,
    branch: Option<String>,
    cwd: Option<String>,
    gap: Option<String>,
}

impl Case {
    /// The tool and its input; `command` is shorthand for the Bash tool.
    fn call(&self) -> Result<(String, Value), String> {
        match (&self.command, &self.tool, &self.input) {
            (Some(command), None, None) => Ok(("Bash".to_owned(), json!({ "command": command }))),
            (None, Some(tool), Some(input)) => Ok((tool.clone(), input.clone())),
            _ => Err("give either `command`, or `tool` and `input`".to_owned()),
        }
    }
}

/// One evaluated case.
struct Outcome {
    pack: String,
    index: usize,
    label: Label,
    got: Label,
    rules: Vec<String>,
    shown: String,
    notes: Vec<String>,
    gap: Option<String>,
}

#[derive(Default)]
struct Tally {
    cases: usize,
    exact: usize,
    risky: usize,
    risky_caught: usize,
    block: usize,
    block_caught: usize,
    benign: usize,
    benign_flagged: usize,
}

impl Tally {
    fn add(&mut self, label: Label, got: Label) {
        self.cases += 1;
        self.exact += usize::from(label == got);
        let flagged = got != Label::Allow;
        if label == Label::Allow {
            self.benign += 1;
            self.benign_flagged += usize::from(flagged);
        } else {
            self.risky += 1;
            self.risky_caught += usize::from(flagged);
        }
        if label == Label::Block {
            self.block += 1;
            self.block_caught += usize::from(got == Label::Block);
        }
    }

    fn row(&self, name: &str) -> String {
        let pct = |n: usize, d: usize| {
            if d == 0 {
                "-".to_owned()
            } else {
                format!("{:.1}%", 100.0 * n as f64 / d as f64)
            }
        };
        format!(
            "{name:<22} {:>6} {:>7} {:>8} {:>8} {:>8}",
            self.cases,
            pct(self.exact, self.cases),
            pct(self.risky_caught, self.risky),
            pct(self.block_caught, self.block),
            pct(self.benign_flagged, self.benign),
        )
    }
}

fn load_packs() -> Result<Vec<(String, Pack)>, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| {
            let name = path
                .file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
            let pack = toml::from_str(&text).map_err(|e| format!("{name}.toml: {e}"))?;
            Ok((name, pack))
        })
        .collect()
}

fn policy_for(cwd: &str) -> Result<Policy, String> {
    let source = PolicySource {
        layer: Layer::User,
        path: "corpus".into(),
        text: "preset = \"safety\"".into(),
    };
    let placeholders = Placeholders {
        home: HOME.into(),
        ward_home: WARD_HOME.into(),
        project: PROJECT.into(),
        cwd: cwd.into(),
    };
    Policy::load(&[source], &placeholders).map_err(|e| e.to_string())
}

fn shorten(text: &str) -> String {
    let flat = text.replace('\n', "\\n");
    match flat.char_indices().nth(SHOWN_CHARS) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

fn run(packs: &[(String, Pack)]) -> Result<Vec<Outcome>, String> {
    let mut policies: BTreeMap<String, Policy> = BTreeMap::new();
    let mut outcomes = Vec::new();
    for (name, pack) in packs {
        for (index, case) in pack.case.iter().enumerate() {
            let here = format!("{name}.toml case {}", index + 1);
            let (tool, input) = case.call().map_err(|e| format!("{here}: {e}"))?;
            let cwd = case.cwd.clone().unwrap_or_else(|| PROJECT.to_owned());
            if !policies.contains_key(&cwd) {
                policies.insert(cwd.clone(), policy_for(&cwd)?);
            }
            let policy = &policies[&cwd];
            let shown = match &case.command {
                Some(command) => shorten(command),
                None => shorten(&format!("{tool} {input}")),
            };
            let event = Event::pre_tool_use("claude-code", "corpus", &cwd, &tool, input);
            let context = AnalysisContext {
                cwd: cwd.clone(),
                home: HOME.into(),
                branch: case.branch.clone(),
            };
            let action = analyze(&event, &context);
            let verdict = policy
                .evaluate(&event, &action, jiff::Timestamp::UNIX_EPOCH)
                .map_err(|e| format!("{here}: {e}"))?;
            outcomes.push(Outcome {
                pack: name.clone(),
                index: index + 1,
                label: case.label,
                got: Label::of(verdict.decision),
                rules: verdict.matched.iter().map(|m| m.rule_id.clone()).collect(),
                shown,
                notes: if action.opaque {
                    action.notes
                } else {
                    Vec::new()
                },
                gap: case.gap.clone(),
            });
        }
    }
    Ok(outcomes)
}

fn print_outcome(outcome: &Outcome) {
    println!(
        "  {}#{} {} -> {} [{}] {}",
        outcome.pack,
        outcome.index,
        outcome.label.as_str(),
        outcome.got.as_str(),
        outcome.rules.join(", "),
        outcome.shown,
    );
    for note in &outcome.notes {
        println!("      opaque: {}", shorten(note));
    }
    if let Some(gap) = &outcome.gap {
        println!("      gap: {gap}");
    }
}

fn main() {
    let report_only = std::env::var("WARD_CORPUS_REPORT_ONLY").is_ok_and(|v| v == "1");
    let outcomes = match load_packs().and_then(|packs| run(&packs)) {
        Ok(outcomes) => outcomes,
        Err(error) => {
            println!("corpus: {error}");
            std::process::exit(1);
        }
    };

    let mut packs: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut total = Tally::default();
    for outcome in &outcomes {
        packs
            .entry(&outcome.pack)
            .or_default()
            .add(outcome.label, outcome.got);
        total.add(outcome.label, outcome.got);
    }
    println!(
        "\n{:<22} {:>6} {:>7} {:>8} {:>8} {:>8}",
        "pack", "cases", "exact", "recall", "blockrec", "fp-rate"
    );
    for (name, tally) in &packs {
        println!("{}", tally.row(name));
    }
    println!("{}", total.row("TOTAL"));

    let (gaps, rest): (Vec<&Outcome>, Vec<&Outcome>) =
        outcomes.iter().partition(|o| o.gap.is_some());
    let failures: Vec<&Outcome> = rest.into_iter().filter(|o| o.label != o.got).collect();
    println!("\nfailing cases: {}", failures.len());
    failures.iter().for_each(|o| print_outcome(o));
    println!("\nknown gaps: {}", gaps.len());
    for outcome in &gaps {
        print_outcome(outcome);
        if outcome.label == outcome.got {
            println!("      (passes now: remove the gap)");
        }
    }

    let too_few = outcomes.len() < MIN_CASES;
    if too_few {
        println!(
            "\nthe corpus has {} cases; at least {MIN_CASES} are required",
            outcomes.len()
        );
    }
    if (too_few || !failures.is_empty()) && !report_only {
        println!("\ncorpus: FAILED (WARD_CORPUS_REPORT_ONLY=1 reports without failing)");
        std::process::exit(1);
    }
    if report_only && (too_few || !failures.is_empty()) {
        println!("\ncorpus: failures reported only (WARD_CORPUS_REPORT_ONLY=1)");
    } else {
        println!("\ncorpus: ok");
    }
}
