//! The ledger's tests, as one binary: each module covers one part of the contract.

// Helpers outside `#[test]` functions fail a test the same way, by panicking.
#![allow(clippy::unwrap_used, clippy::panic, reason = "tests fail by panicking")]

mod append;
mod bundle;
mod checkpoints;
mod concurrency;
mod props;
mod prune;
mod query;
mod schema;
mod spool;
mod support;
mod tamper;
mod tree;
