//! The categories a tool call falls into. A call may fall into several (a shell
//! command that deletes a file is both `command` and `file_delete`); the first one
//! listed in an [`crate::Action`] is the primary category shown to people.

use serde::{Deserialize, Serialize};

/// What kind of effect a tool call has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Reads a file or lists a directory.
    FileRead,
    /// Creates or modifies a file, or changes its mode or owner.
    FileWrite,
    /// Deletes a file or directory.
    FileDelete,
    /// Runs a shell command.
    Command,
    /// Sends or fetches data over the network.
    Network,
    /// Hands work to a subagent.
    Delegation,
    /// Calls a tool of an MCP server.
    Mcp,
    /// Reads or writes credentials (keys, tokens, password stores).
    CredentialAccess,
    /// Changes the agent's own state (todo lists, plan mode, worktrees).
    State,
    /// Anything else.
    Other,
}

impl Category {
    /// Every category, in a stable order.
    pub const ALL: [Category; 10] = [
        Category::FileRead,
        Category::FileWrite,
        Category::FileDelete,
        Category::Command,
        Category::Network,
        Category::Delegation,
        Category::Mcp,
        Category::CredentialAccess,
        Category::State,
        Category::Other,
    ];

    /// The snake_case name used in policies, records and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::FileRead => "file_read",
            Category::FileWrite => "file_write",
            Category::FileDelete => "file_delete",
            Category::Command => "command",
            Category::Network => "network",
            Category::Delegation => "delegation",
            Category::Mcp => "mcp",
            Category::CredentialAccess => "credential_access",
            Category::State => "state",
            Category::Other => "other",
        }
    }

    /// Parses a snake_case category name.
    pub fn parse(name: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
