//! `ward init`: create Ward's home.

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::Preset;
use crate::home::Home;
use crate::output;

/// `Home::init` with the managed key file, if the policy names one.
pub(crate) fn init_home(home: &Home, preset: &str) -> Result<crate::home::InitReport> {
    let settings = crate::layers::ledger_settings(home)?;
    let managed = crate::keyring::managed_key_file(&settings);
    home.init(preset, managed.as_deref())
}

pub(crate) fn run(home: &Home, preset: Preset, json: bool) -> Result<ExitCode> {
    let report = init_home(home, preset.name())?;
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
    if let Some(seq) = report.identity_record {
        text.push_str(&format!(
            "  recorded the host identity (key, host name, OS user) as ledger record {seq}\n"
        ));
    }
    if !report.created.is_empty() {
        text.push_str("\nNext: `ward install claude-code` registers the hook; `ward policy show` lists the rules.\n");
    }
    output::data(&text);
    Ok(ExitCode::SUCCESS)
}
