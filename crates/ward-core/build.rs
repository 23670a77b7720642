//! Converts the embedded policy presets from TOML to JSON at build time.
//!
//! The hook is a fresh process on every tool call, and parsing the presets' TOML
//! cost ~0.6 ms of its ~2 ms budget; the same data as JSON parses several times
//! faster. The TOML stays the source people read and edit (and the one whose line
//! numbers `ward policy show` cites).

use std::path::Path;

const PRESETS: [&str; 5] = ["builtin", "safety", "strict", "permissive", "audit-only"];

fn main() -> Result<(), String> {
    let out = std::env::var("OUT_DIR").map_err(|error| format!("OUT_DIR: {error}"))?;
    for name in PRESETS {
        let source = format!("src/policy/presets/{name}.toml");
        println!("cargo::rerun-if-changed={source}");
        let text = std::fs::read_to_string(&source)
            .map_err(|error| format!("cannot read {source}: {error}"))?;
        let value: toml::Value = toml::from_str(&text)
            .map_err(|error| format!("{source} is not valid TOML: {error}"))?;
        let json = serde_json::to_string(&value)
            .map_err(|error| format!("cannot convert {source} to JSON: {error}"))?;
        let target = Path::new(&out).join(format!("{name}.json"));
        std::fs::write(&target, json)
            .map_err(|error| format!("cannot write {}: {error}", target.display()))?;
    }
    Ok(())
}
