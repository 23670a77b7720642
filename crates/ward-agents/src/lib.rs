//! Ward's agent adapters: the only code that knows an agent's JSON.
//!
//! Each agent gets one module, named by its agent id ([`claude_code`]). An adapter does
//! three things, all as pure functions of their input:
//!
//! - **parse** the hook payload the agent writes to stdin into an agent-neutral
//!   [`ward_core::Event`], rejecting input that is too large, malformed or implausible
//!   with an [`AgentError`] that names what is wrong;
//! - **render** a [`ward_core::Verdict`] as the agent's stdout reply, printing nothing
//!   when Ward has no opinion (for Claude Code, printing `allow` would skip the user's
//!   own permission prompt), and render the fail-closed reply used when Ward itself broke;
//! - **edit** the agent's settings text to register or remove Ward's hook, keeping every
//!   byte of the user's file that it does not need to touch.
//!
//! What this crate does *not* do: read stdin, print, touch files or the environment,
//! decide where settings files live (the CLI does all I/O), analyse or judge a call
//! (`ward-core`), or record anything (`ward-ledger`).

#![warn(missing_docs)]

pub mod claude_code;

/// What went wrong in an adapter: a hook payload or a settings file Ward cannot use.
///
/// In hook mode the CLI turns any of these into the fail-closed answer for a guarding
/// event, with the message and [`AgentError::hint`] as the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    /// The payload is larger than the adapter accepts.
    #[error("{agent} hook payload is {size} bytes, more than the limit of {limit}")]
    PayloadTooLarge {
        /// The agent whose payload it is.
        agent: &'static str,
        /// The payload's size in bytes.
        size: usize,
        /// The largest size accepted.
        limit: usize,
    },
    /// The payload is empty or only whitespace.
    #[error("{agent} hook payload is empty")]
    PayloadEmpty {
        /// The agent whose payload it is.
        agent: &'static str,
    },
    /// The payload is not UTF-8.
    #[error("{agent} hook payload is not valid UTF-8 (first bad byte at offset {offset})")]
    PayloadNotUtf8 {
        /// The agent whose payload it is.
        agent: &'static str,
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// The payload is not JSON (or nests deeper than the JSON parser allows).
    #[error("{agent} hook payload is not valid JSON: {message}")]
    PayloadNotJson {
        /// The agent whose payload it is.
        agent: &'static str,
        /// The parser's message, with line and column.
        message: String,
    },
    /// The payload is JSON but not an object.
    #[error("{agent} hook payload is a JSON {found}, not an object")]
    PayloadNotObject {
        /// The agent whose payload it is.
        agent: &'static str,
        /// What it is instead (`array`, `string`, ...).
        found: &'static str,
    },
    /// A field the event needs is missing.
    #[error("{agent} hook payload has no `{field}` field")]
    MissingField {
        /// The agent whose payload it is.
        agent: &'static str,
        /// The field's name.
        field: &'static str,
    },
    /// A field has the wrong JSON type.
    #[error("{agent} hook payload field `{field}` is a JSON {found}, expected {expected}")]
    FieldType {
        /// The agent whose payload it is.
        agent: &'static str,
        /// The field's name.
        field: &'static str,
        /// The type expected (`a string`).
        expected: &'static str,
        /// The type found (`number`, `null`, ...).
        found: &'static str,
    },
    /// A field has the right type but a value Ward refuses.
    #[error("{agent} hook payload field `{field}` {problem}")]
    InvalidField {
        /// The agent whose payload it is.
        agent: &'static str,
        /// The field's name.
        field: &'static str,
        /// What is wrong with it (`is empty`, `contains a control character`, ...).
        problem: String,
    },
    /// A settings file is not valid JSON (comments and trailing commas are tolerated).
    #[error("{agent} settings are not valid JSON: {message}")]
    SettingsNotJson {
        /// The agent whose settings they are.
        agent: &'static str,
        /// The parser's message, with line and column.
        message: String,
    },
    /// A settings file holds something other than an object at the top.
    #[error("{agent} settings hold a JSON {found} at the top, not an object")]
    SettingsNotObject {
        /// The agent whose settings they are.
        agent: &'static str,
        /// What the top-level value is instead.
        found: &'static str,
    },
    /// A settings key Ward must edit has the wrong type.
    #[error("{agent} settings key `{key}` is a JSON {found}, expected {expected}")]
    SettingsKeyType {
        /// The agent whose settings they are.
        agent: &'static str,
        /// The key's dotted path (`hooks`, `hooks.PreToolUse`).
        key: String,
        /// The type expected (`an object`, `an array`).
        expected: &'static str,
        /// The type found.
        found: &'static str,
    },
    /// A settings object Ward must edit names the same key twice, so which one the
    /// agent reads is unclear.
    #[error("{agent} settings name the key `{key}` more than once")]
    SettingsDuplicateKey {
        /// The agent whose settings they are.
        agent: &'static str,
        /// The key's dotted path.
        key: String,
    },
    /// A state the adapter's own logic should never reach.
    #[error("internal error in the {agent} adapter: {message}")]
    Internal {
        /// The agent whose adapter failed.
        agent: &'static str,
        /// What went wrong.
        message: &'static str,
    },
}

impl AgentError {
    /// What the user can do about the error, printed after it as `hint: …`.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            AgentError::PayloadTooLarge { .. }
            | AgentError::PayloadEmpty { .. }
            | AgentError::PayloadNotUtf8 { .. }
            | AgentError::PayloadNotJson { .. }
            | AgentError::PayloadNotObject { .. }
            | AgentError::MissingField { .. }
            | AgentError::FieldType { .. } => Some(
                "`ward hook <agent>` reads the JSON object the agent writes to stdin; \
                 run it only from the agent's hook configuration",
            ),
            AgentError::InvalidField { .. } => Some(
                "the agent sent a value Ward will not record; \
                 check which program writes this hook payload",
            ),
            AgentError::SettingsNotJson { .. } => Some(
                "fix the syntax at the line and column shown; \
                 Ward leaves a settings file it cannot parse untouched",
            ),
            AgentError::SettingsNotObject { .. }
            | AgentError::SettingsKeyType { .. }
            | AgentError::SettingsDuplicateKey { .. } => Some(
                "fix the settings file by hand (the agent cannot read it this way either), \
                 then run the command again",
            ),
            AgentError::Internal { .. } => {
                Some("this is a bug in Ward; please report it with the command you ran")
            }
        }
    }
}
