//! The `ward` binary: parses the command line and dispatches to `commands/`. It owns
//! no governance logic; that lives in `ward-core`, `ward-ledger` and `ward-agents`.

mod approvals;
mod cli;
mod commands;
mod env;
mod error;
mod git;
mod home;
mod home_state;
mod keyring;
mod layers;
mod limits;
mod output;
mod overrides;
mod progress;
mod recording;
mod timeline;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    // The hook is the hot path: it skips everything else, including clap's error
    // formatting, and must never print anything but the agent's reply.
    let args: Vec<String> = std::env::args().collect();
    if let Some(agent) = hook_agent(&args) {
        let reply = commands::hook::run(agent, None);
        return output::hook_reply(&reply);
    }
    let cli = Cli::parse();
    if let Command::Hook { agent } = &cli.command {
        let reply = commands::hook::run(agent, cli.home.as_deref());
        return output::hook_reply(&reply);
    }
    match commands::run(cli) {
        Ok(code) => code,
        Err(error) => output::error(&error),
    }
}

/// `ward hook AGENT` exactly, with no other flags: the fast path.
fn hook_agent(args: &[String]) -> Option<&str> {
    match args {
        [_, hook, agent] if hook == "hook" => Some(agent.as_str()),
        _ => None,
    }
}
