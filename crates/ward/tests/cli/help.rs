//! The help people read first.

use crate::harness::Ctx;

#[test]
fn top_level_help() {
    let ctx = Ctx::new();
    let out = ctx.ward(&["--help"]);
    out.assert_success();
    assert!(out.stdout.contains("Usage: ward"));
    // Help is the same everywhere: no filters.
    insta::assert_snapshot!(out.stdout);
}

#[test]
fn audit_query_help() {
    let ctx = Ctx::new();
    let out = ctx.ward(&["audit", "query", "--help"]);
    out.assert_success();
    assert!(out.stdout.contains("--since"));
    insta::assert_snapshot!(out.stdout);
}

#[test]
fn an_unknown_subcommand_is_a_usage_error() {
    let ctx = Ctx::new();
    let out = ctx.ward(&["audit", "frobnicate"]);
    assert_eq!(out.code, 2, "{}", out.render());
    assert!(out.stderr.contains("frobnicate"), "{}", out.render());
}
