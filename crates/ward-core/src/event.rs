//! The agent-neutral event: what an adapter makes of one hook payload.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Which hook event fired. Names follow Claude Code's, which the other agents'
/// events map onto.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventKind {
    /// A tool is about to run; Ward decides.
    PreToolUse,
    /// A tool ran and succeeded.
    PostToolUse,
    /// A tool ran and failed or was interrupted.
    PostToolUseFailure,
    /// A session began.
    SessionStart,
    /// A session ended.
    SessionEnd,
    /// The user submitted a prompt: the intent behind the calls that follow.
    UserPromptSubmit,
    /// A subagent began.
    SubagentStart,
    /// A subagent finished.
    SubagentStop,
    /// The agent is about to show a permission prompt.
    PermissionRequest,
    /// A permission was denied (by the user or a classifier).
    PermissionDenied,
    /// The main agent finished its turn.
    Stop,
    /// The agent showed a notification.
    Notification,
    /// The context is about to be compacted.
    PreCompact,
    /// An event Ward does not know; recorded minimally.
    Other(String),
}

impl EventKind {
    /// Parses an event name as the agents spell it.
    pub fn parse(name: &str) -> EventKind {
        match name {
            "PreToolUse" => EventKind::PreToolUse,
            "PostToolUse" => EventKind::PostToolUse,
            "PostToolUseFailure" => EventKind::PostToolUseFailure,
            "SessionStart" => EventKind::SessionStart,
            "SessionEnd" => EventKind::SessionEnd,
            "UserPromptSubmit" => EventKind::UserPromptSubmit,
            "SubagentStart" => EventKind::SubagentStart,
            "SubagentStop" => EventKind::SubagentStop,
            "PermissionRequest" => EventKind::PermissionRequest,
            "PermissionDenied" => EventKind::PermissionDenied,
            "Stop" => EventKind::Stop,
            "Notification" => EventKind::Notification,
            "PreCompact" => EventKind::PreCompact,
            other => EventKind::Other(other.to_owned()),
        }
    }

    /// The event's name.
    pub fn as_str(&self) -> &str {
        match self {
            EventKind::PreToolUse => "PreToolUse",
            EventKind::PostToolUse => "PostToolUse",
            EventKind::PostToolUseFailure => "PostToolUseFailure",
            EventKind::SessionStart => "SessionStart",
            EventKind::SessionEnd => "SessionEnd",
            EventKind::UserPromptSubmit => "UserPromptSubmit",
            EventKind::SubagentStart => "SubagentStart",
            EventKind::SubagentStop => "SubagentStop",
            EventKind::PermissionRequest => "PermissionRequest",
            EventKind::PermissionDenied => "PermissionDenied",
            EventKind::Stop => "Stop",
            EventKind::Notification => "Notification",
            EventKind::PreCompact => "PreCompact",
            EventKind::Other(name) => name,
        }
    }

    /// Whether Ward's answer to this event can stop something from happening, so an
    /// internal error must fail closed.
    pub fn is_guarding(&self) -> bool {
        matches!(
            self,
            EventKind::PreToolUse | EventKind::PermissionRequest | EventKind::UserPromptSubmit
        )
    }

    /// Whether the event reports the outcome of a tool call.
    pub fn is_outcome(&self) -> bool {
        matches!(self, EventKind::PostToolUse | EventKind::PostToolUseFailure)
    }
}

/// The tool a call names, with its input exactly as the agent sent it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The agent's tool name (`Bash`, `Write`, `mcp__github__create_issue`).
    pub name: String,
    /// The tool's input object, unredacted. Redact before recording.
    pub input: Value,
    /// The agent's id for this call; links the outcome to the decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_use_id: Option<String>,
    /// The MCP server the tool belongs to, when the agent says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp_server: Option<String>,
}

/// Which subagent made a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subagent {
    /// The subagent's id (unique within a session).
    pub id: String,
    /// Its type (`Explore`, `general-purpose`, a custom agent's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_type: Option<String>,
}

/// How a tool call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeStatus {
    /// It ran and succeeded.
    Success,
    /// It ran and failed.
    Failure,
    /// It was interrupted before it finished.
    Interrupted,
}

impl OutcomeStatus {
    /// The lowercase name used in records.
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeStatus::Success => "success",
            OutcomeStatus::Failure => "failure",
            OutcomeStatus::Interrupted => "interrupted",
        }
    }
}

/// The outcome of a tool call, from a post-tool event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// Success, failure or interruption.
    pub status: OutcomeStatus,
    /// The tool's response or error, unredacted. Ward records only its digest and size.
    pub output: Value,
    /// How long the tool ran, when the agent says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// The error message of a failed call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One hook event in agent-neutral form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Which agent sent it (`claude-code`).
    pub agent: String,
    /// Which hook fired.
    pub kind: EventKind,
    /// The agent's session id, as sent. Never used as a file name unsanitised.
    pub session_id: String,
    /// The working directory of the call.
    pub cwd: String,
    /// The tool call, for tool events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<ToolCall>,
    /// The subagent that made the call; `None` for the main agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subagent: Option<Subagent>,
    /// The agent's permission mode (`default`, `acceptEdits`, `bypassPermissions`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission_mode: Option<String>,
    /// The user's prompt, for prompt events. Unredacted; redact before recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// The outcome, for post-tool events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// Other fields of the event worth keeping (`source`, `reason`, `message`, `model`,
    /// token counts), as the agent sent them. Unredacted; redact before recording.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub details: serde_json::Map<String, Value>,
}

impl Event {
    /// A `PreToolUse` event for one tool call and nothing else: what `ward check`
    /// evaluates, and what tests and benchmarks build.
    pub fn pre_tool_use(
        agent: &str,
        session_id: &str,
        cwd: &str,
        tool: &str,
        input: Value,
    ) -> Event {
        Event {
            agent: agent.to_owned(),
            kind: EventKind::PreToolUse,
            session_id: session_id.to_owned(),
            cwd: cwd.to_owned(),
            tool: Some(ToolCall {
                name: tool.to_owned(),
                input,
                tool_use_id: None,
                mcp_server: None,
            }),
            subagent: None,
            permission_mode: None,
            prompt: None,
            outcome: None,
            details: serde_json::Map::new(),
        }
    }
}
