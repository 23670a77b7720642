//! Links the `ward` executable as a position-dependent (non-PIE) binary on Linux.
//!
//! Why: the hook is one short process per tool call, and as a PIE the dynamic
//! loader applied ~26,000 relative relocations to it at every start, writing to
//! each of the ~110 pages of `.data.rel.ro` (vtables, string tables) and so taking a
//! copy-on-write page fault for each. Page faults were 38% of the hook's time
//! (`perf`); linked at a fixed address the relocations are resolved by the linker,
//! the pages stay shared with the page cache, and a hook process takes ~130 fewer
//! faults (391 → 263) and its p50 drops from 2.3× to 2.0× a minimal spawn
//! (`bench/hook-latency.sh`).
//!
//! What it costs: the executable's own image is not randomised (shared libraries,
//! heap and stack still are). The code that reads hostile input is safe Rust; the
//! trade and its figures are in the README's Performance section.
//!
//! Only the binaries get the flag: the code is still compiled position-independent,
//! and test and bench harnesses link as usual.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
