//! `ward init`: create Ward's home.

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::Preset;
use crate::home::Home;
use crate::output;

pub(crate) fn run(home: &Home, preset: Preset, json: bool) -> Result<ExitCode> {
    let report = home.init(preset.name())?;
    if json {
        output::json(&report)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = String::new();
    if report.created.is_empty() {
        text.push_str(&format!(
            "Ward is already initialised in {}; nothing changed.\n",
            report.home
        ));
    } else {
        text.push_str(&format!("Initialised Ward in {}\n", report.home));
        for path in &report.created {
            text.push_str(&format!("  created {path}\n"));
        }
    }
    for path in &report.kept {
        text.push_str(&format!("  kept    {path}\n"));
    }
    if !report.created.is_empty() {
        text.push_str("\nNext: `ward install claude-code` registers the hook; `ward policy show` lists the rules.\n");
    }
    output::data(&text);
    Ok(ExitCode::SUCCESS)
}
