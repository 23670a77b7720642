//! The presets, embedded in the binary. A preset is a list of policy texts applied
//! in order within the layer that names it (later texts replace earlier rules with
//! the same id, and may `disable` them).

/// Ward's built-in self-protection rules.
pub(crate) const BUILTIN: &str = include_str!("presets/builtin.toml");

const SAFETY: &str = include_str!("presets/safety.toml");
const STRICT: &str = include_str!("presets/strict.toml");
const PERMISSIVE: &str = include_str!("presets/permissive.toml");
const AUDIT_ONLY: &str = include_str!("presets/audit-only.toml");

/// Every preset's name with a one-line description.
pub const PRESETS: [(&str, &str); 4] = [
    (
        "safety",
        "block what destroys data or machines, ask before risky or irreversible calls",
    ),
    (
        "strict",
        "safety, with denies instead of asks, and asks before deletes, network, MCP and writes outside the project",
    ),
    (
        "permissive",
        "only what destroys data or machines is blocked; nothing asks",
    ),
    (
        "audit-only",
        "the safety rules, recorded but not enforced (dry-run)",
    ),
];

/// The policy texts of a preset, in the order they apply.
pub fn preset_text(name: &str) -> Option<Vec<&'static str>> {
    match name {
        "safety" => Some(vec![SAFETY]),
        "strict" => Some(vec![SAFETY, STRICT]),
        "permissive" => Some(vec![SAFETY, PERMISSIVE]),
        "audit-only" => Some(vec![SAFETY, AUDIT_ONLY]),
        _ => None,
    }
}
