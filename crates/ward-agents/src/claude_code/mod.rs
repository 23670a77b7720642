//! Claude Code: its hook payloads, its reply format, and its settings files.
//!
//! - [`parse_payload`] turns the JSON Claude Code writes to a command hook's stdin into
//!   an [`Event`](ward_core::Event).
//! - [`render`] turns a [`Verdict`](ward_core::Verdict) into the one JSON object (or
//!   nothing) the hook prints; [`render_failure`] is the fail-closed reply for when Ward
//!   itself broke.
//! - [`install`] and [`uninstall`] edit the text of a `settings.json` to register or
//!   remove Ward's handlers, and [`plugin_files`] gives the files of a Claude Code plugin
//!   that registers the same handlers.
//!
//! The protocol these follow is written down in `shared/reference/agent-hooks.md` §1.
//! Nothing here reads or writes a file: the CLI decides which settings file to edit and
//! writes the result.

mod install;
mod jsonc_edit;
mod payload;
mod response;

pub use install::{
    Edit, GUARDING_EVENTS, HANDLED_EVENTS, PLUGIN_COMMAND, install, is_ward_handler, plugin_files,
    unified_diff, uninstall,
};
pub use payload::{AGENT, MAX_PAYLOAD_BYTES, MAX_SESSION_ID_BYTES, parse_payload};
pub use response::{FAILURE_PREFIX, render, render_failure};

/// How errors name the agent.
const AGENT_NAME: &str = "Claude Code";
