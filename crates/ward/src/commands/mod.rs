//! One module per subcommand. Each returns its exit code; errors go to `output::error`.

pub(crate) mod approvals;
pub(crate) mod audit;
pub(crate) mod check;
pub(crate) mod demo;
pub(crate) mod hook;
pub(crate) mod init;
pub(crate) mod install;
pub(crate) mod keys;
pub(crate) mod overrides;
pub(crate) mod policy;
pub(crate) mod policy_diff;
pub(crate) mod policy_replay;
pub(crate) mod proofs;
pub(crate) mod prune;
pub(crate) mod report;
pub(crate) mod sinks;
pub(crate) mod tail;
pub(crate) mod witness;

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::home::Home;

pub(crate) fn run(cli: Cli) -> Result<ExitCode> {
    let home = || Home::locate(cli.home.as_deref());
    match cli.command {
        Command::Init { preset, json } => init::run(&home()?, preset, json),
        Command::Install(args) => install::install(&home()?, &args),
        Command::Uninstall(args) => install::uninstall(&args),
        Command::Hook { .. } => Ok(ExitCode::SUCCESS),
        Command::Check(args) => check::run(&home()?, &args),
        Command::Policy { command } => policy::run(&home()?, command),
        Command::Audit { command } => audit::run(&home()?, command),
        Command::Keys { command } => keys::run(&home()?, command),
        Command::Witness { command } => witness::run(&home()?, command),
        Command::Override(args) => overrides::run(&home()?, &args),
        Command::Approvals { command } => approvals::run(&home()?, command),
        Command::Report(args) => report::run(&home()?, &args),
        Command::Tail(args) => tail::run(&home()?, &args),
        Command::Demo { keep, json } => demo::run(cli.home.as_deref(), keep, json),
    }
}
