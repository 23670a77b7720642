//! `ward demo`: the bundled session replayed through the real hook, verified.

use crate::harness::Ctx;

#[test]
fn demo_replays_and_verifies() {
    let ctx = Ctx::new();
    let out = ctx.ward(&["demo"]);
    out.assert_success();
    assert!(out.stdout.contains("verified"), "{}", out.render());
    assert!(
        !out.stdout.contains("VERIFICATION FAILED"),
        "{}",
        out.render()
    );
    assert!(!out.stdout.contains("unexpected:"), "{}", out.render());
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines.iter().any(|line| line.contains(" DENY ")),
        "no DENY line:\n{}",
        out.stdout
    );
    assert!(
        lines.iter().any(|line| line.contains(" ASK ")),
        "no ASK line:\n{}",
        out.stdout
    );
    // The demo runs in its own temporary home and leaves the user's alone.
    assert!(!ctx.ward_home.exists());
}

#[test]
fn demo_json_summary() {
    let ctx = Ctx::new();
    let out = ctx.ward(&["demo", "--json"]);
    out.assert_success();
    let summary = out.json();
    assert!(summary["events"].as_u64().unwrap() >= 40, "{summary:#}");
    assert_eq!(summary["verified"], true, "{summary:#}");
    assert_eq!(summary["hook_processes"], summary["events"]);
    // One record per event, and the demo home's host identity.
    assert_eq!(
        summary["records"].as_u64(),
        summary["events"].as_u64().map(|events| events + 1)
    );
    assert_eq!(summary["unexpected"], serde_json::json!([]), "{summary:#}");
    assert!(summary["denied"].as_u64().unwrap() >= 1, "{summary:#}");
    assert!(summary["asked"].as_u64().unwrap() >= 1, "{summary:#}");
    assert!(!ctx.ward_home.exists());
}
