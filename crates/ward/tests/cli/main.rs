//! Integration tests of the `ward` binary: the hook as Claude Code calls it, the
//! ledger it writes, and the commands people run. One test binary; every test gets
//! its own temporary world from [`harness::Ctx`].

// Helpers outside `#[test]` functions fail a test the same way, by panicking.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

mod approvals;
mod audit;
mod bundle_python;
mod check_policy;
mod concurrency;
mod crash;
mod demo;
mod harness;
mod help;
mod hooks;
mod install;
mod keys;
mod limits;
mod malformed;
mod notifications;
mod overrides;
mod proofs;
mod prune;
mod receiver;
mod replay;
mod report;
mod sinks;
mod tail;
mod tamper;
mod witness;
