//! Analysis: from an [`Event`] to an [`Action`] — the categories of a call and every
//! path, URL and command it touches. Pure: the context carries the cwd and home
//! directory; nothing here looks at the file system.

mod content;
mod database;
#[cfg(test)]
mod findings_tests;
mod hosts;
mod paths;
mod shell;
mod tools;

use crate::{Action, Event};

pub use paths::resolve_path;

/// What analysis needs to know about the machine, passed in so that analysis stays pure.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AnalysisContext {
    /// The call's working directory (absolute).
    pub cwd: String,
    /// The user's home directory, for `~` and `$HOME`.
    pub home: String,
    /// The git branch checked out in the project, when the caller knows it: a
    /// `git push` that names no branch pushes this one.
    pub branch: Option<String>,
}

/// Analyses a tool event. Events without a tool give an empty action in category `other`.
pub fn analyze(event: &Event, context: &AnalysisContext) -> Action {
    let Some(tool) = &event.tool else {
        return Action {
            categories: vec![crate::Category::Other],
            ..Action::default()
        };
    };
    let context = AnalysisContext {
        cwd: if event.cwd.is_empty() {
            context.cwd.clone()
        } else {
            event.cwd.clone()
        },
        home: context.home.clone(),
        branch: context.branch.clone(),
    };
    tools::analyze_tool(tool, &context)
}

/// Analyses one shell command line as the `Bash` tool would run it.
pub fn analyze_command_line(command: &str, context: &AnalysisContext) -> Action {
    let tool = crate::ToolCall {
        name: "Bash".to_owned(),
        input: serde_json::json!({ "command": command }),
        tool_use_id: None,
        mcp_server: None,
    };
    tools::analyze_tool(&tool, context)
}
