//! `ward policy replay`: the recorded calls under another policy
//! (`ward_report::replay` does the work; this reads the file, loads the layers per
//! working directory, and prints).

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use ward_core::policy::{Layer, PolicySource};
use ward_report::replay::{Replay, ReplayScope};

use crate::cli::ReplayLayer;
use crate::home::Home;
use crate::{layers, output};

pub(crate) fn run(
    home: &Home,
    file: &Path,
    layer: ReplayLayer,
    since: &str,
    examples: usize,
    json: bool,
) -> Result<ExitCode> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read the policy `{}`", file.display()))?;
    let replacement = PolicySource {
        layer: match layer {
            ReplayLayer::User => Layer::User,
            ReplayLayer::Project => Layer::Project,
        },
        path: file.display().to_string(),
        text,
    };
    let user_home = super::policy::user_home();
    // The file must load on its own before hours of calls are replayed under it.
    let cwd = std::env::current_dir().context("cannot find the current directory")?;
    layers::load_with(home, &cwd, &user_home, true, Some(&replacement))?;

    let ledger = super::audit::open(home)?;
    let scope = ReplayScope {
        from: Some(super::audit::since(since)?),
        user_home: user_home.clone(),
    };
    let mut progress = crate::progress::Progress::new("calls", json);
    let replay = ward_report::replay::replay(
        &ledger,
        &scope,
        &mut |cwd| {
            layers::load_with(home, Path::new(cwd), &user_home, false, Some(&replacement))
                .map(|loaded| loaded.policy)
                .map_err(|error| crate::error::one_line(&error))
        },
        &mut |done, total| progress.update("replaying", done, total),
    )?;
    if json {
        output::json(&replay)?;
    } else {
        output::data(&render(&replay, file, since, examples));
    }
    Ok(ExitCode::SUCCESS)
}

fn render(replay: &Replay, file: &Path, since: &str, examples: usize) -> String {
    let mut out = format!(
        "Replayed {} call(s) of the last {since} under {}: {} would change.\n",
        replay.replayed,
        file.display(),
        replay.changed
    );
    if replay.skipped > 0 {
        out.push_str(&format!(
            "({} record(s) skipped: Ward had failed on them, or they were pruned.)\n",
            replay.skipped
        ));
    }
    let name = |decision: Option<ward_core::Decision>| {
        decision.map_or("silent", ward_core::Decision::as_str)
    };
    for group in &replay.groups {
        out.push_str(&format!(
            "\n{} ({}):\n",
            capitalised(group.change),
            group.count
        ));
        for rule in &group.rules {
            out.push_str(&format!("  {:<40} {:>6}\n", rule.rule, rule.count));
        }
        let shown: Vec<_> = replay
            .changes
            .iter()
            .filter(|change| change.to == group.to)
            .take(examples)
            .collect();
        for change in &shown {
            out.push_str(&format!(
                "    {} {} {:<6} → {:<6} {}: {}\n",
                change.time.get(..19).unwrap_or(&change.time),
                change.session_id.get(..8).unwrap_or(&change.session_id),
                name(change.from),
                name(change.to),
                change.tool,
                change.summary
            ));
        }
        let more = usize::try_from(group.count)
            .unwrap_or(usize::MAX)
            .saturating_sub(shown.len());
        if more > 0 {
            out.push_str(&format!("    … and {more} more (--json lists them all)\n"));
        }
    }
    out
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
