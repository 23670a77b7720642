//! The ledger's tests, as one binary: each module covers one part of the contract.

mod append;
mod concurrency;
mod props;
mod query;
mod schema;
mod spool;
mod support;
mod tamper;
