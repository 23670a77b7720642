//! The presets, embedded in the binary. A preset is a list of policy texts applied
//! in order within the layer that names it (later texts replace earlier rules with
//! the same id, and may `disable` them).
//!
//! Each preset is written in TOML (`presets/*.toml`) and embedded twice: as JSON,
//! converted by `build.rs` because it parses several times faster on the hook's
//! path, and as the TOML itself, for line numbers and for people to read.

/// One embedded policy text.
#[derive(Debug, Clone, Copy)]
pub struct PresetText {
    /// The preset's file name without extension (`safety`).
    pub name: &'static str,
    /// The TOML as written.
    pub toml: &'static str,
    /// The same, as JSON.
    pub(crate) json: &'static str,
}

macro_rules! preset {
    ($name:literal) => {
        PresetText {
            name: $name,
            toml: include_str!(concat!("presets/", $name, ".toml")),
            json: include_str!(concat!(env!("OUT_DIR"), "/", $name, ".json")),
        }
    };
}

/// Ward's built-in self-protection rules.
pub(crate) const BUILTIN: PresetText = preset!("builtin");

const SAFETY: PresetText = preset!("safety");
const STRICT: PresetText = preset!("strict");
const PERMISSIVE: PresetText = preset!("permissive");
const AUDIT_ONLY: PresetText = preset!("audit-only");

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
pub fn preset_text(name: &str) -> Option<Vec<PresetText>> {
    match name {
        "safety" => Some(vec![SAFETY]),
        "strict" => Some(vec![SAFETY, STRICT]),
        "permissive" => Some(vec![SAFETY, PERMISSIVE]),
        "audit-only" => Some(vec![SAFETY, AUDIT_ONLY]),
        _ => None,
    }
}
