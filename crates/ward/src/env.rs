//! Environment variables Ward reads, in one place.

/// Ward's home directory (default `~/.ward`).
pub(crate) const WARD_HOME: &str = "WARD_HOME";
/// The managed policy file (default `/etc/ward/policy.toml`); tests point it elsewhere.
pub(crate) const WARD_MANAGED_POLICY: &str = "WARD_MANAGED_POLICY";
/// Claude Code's managed settings file (default `/etc/claude-code/managed-settings.json`).
pub(crate) const WARD_CLAUDE_MANAGED_SETTINGS: &str = "WARD_CLAUDE_MANAGED_SETTINGS";
/// The user's home directory.
pub(crate) const HOME: &str = "HOME";
/// The OS user name.
pub(crate) const USER: &str = "USER";
/// Set by Claude Code: the project root of the session.
pub(crate) const CLAUDE_PROJECT_DIR: &str = "CLAUDE_PROJECT_DIR";

/// The default managed policy path.
pub(crate) const DEFAULT_MANAGED_POLICY: &str = "/etc/ward/policy.toml";
/// The default Claude Code managed settings path (Linux).
pub(crate) const DEFAULT_CLAUDE_MANAGED_SETTINGS: &str = "/etc/claude-code/managed-settings.json";

/// Reads a variable, treating empty as unset.
pub(crate) fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}
