//! Ward's tamper-evident ledger.
//!
//! Every hook event becomes one R6 [`Record`]. The ledger stores it in SQLite (WAL
//! mode) as RFC 8785 canonical JSON with its SHA-256 hash, and fills in where it sits:
//! a global sequence number without gaps, a per-session sequence number, the hash of
//! the session's previous record (so each session is a hash chain), the pre record an
//! outcome answers and the prompt behind it. [`Ledger::verify`] recomputes all of it
//! from content and never trusts a stored hash.
//!
//! - [`Ledger::open`] / [`Ledger::append`]: the hook's hot path (about 1 ms for open,
//!   append and close; see [`OpenOptions`] for the measurements and pragmas).
//! - [`append_or_spool`]: "nothing is lost": when the ledger cannot take a record it
//!   goes to a spool file, ingested in order, exactly once, by the next append.
//! - [`Ledger::verify`], [`Ledger::sessions`], [`Ledger::records`]: checking and
//!   reading.
//! - [`merkle`], [`proof`]: every record is also a leaf of one RFC 9162 Merkle tree,
//!   stored as its perfect subtrees; [`Ledger::inclusion_proof`] and
//!   [`Ledger::consistency_proof`] give proofs anyone can check offline.
//!
//! - [`checkpoint`], [`Ledger::sign_checkpoint`]: signed checkpoints of the tree
//!   (C2SP `tlog-checkpoint`); [`cosignature`]: witnesses' cosignatures on them;
//!   [`bundle`]: exports an auditor checks with nothing but the files.
//!
//! What this crate does *not* do: hold keys (the caller passes them in), decide
//! anything (that is `ward-core`) or know any agent's JSON (`ward-agents`). It has
//! no PostgreSQL backend.

#![warn(missing_docs)]

pub mod bundle;
pub mod checkpoint;
mod checkpoints;
pub mod cosignature;
mod error;
pub mod hash;
pub mod merkle;
pub mod proof;
mod prune;
mod query;
pub mod record;
mod scan;
mod schema;
mod spool;
mod store;
pub mod summary;
pub mod verify;
mod verify_tree;
mod witnessing;

pub use checkpoints::{Signed, StoredCheckpoint};
pub use error::LedgerError;
pub use prune::{PRUNED_EVENT, PrunePlan};
pub use query::{RecordFilter, SessionSummary, StoredRecord};
pub use record::{
    HOST_SESSION, Outcome, RECORD_VERSION, Record, Reference, Request, Resource, Role, Rules,
    format_time,
};
pub use scan::{Bodies, ScanOptions, ScanRow, SessionOrigin};
pub use schema::SCHEMA_VERSION;
pub use spool::{pending_spooled, rejected_path, spool, spool_path};
pub use store::{
    Appended, JOURNAL_BATCH_BYTES, Ledger, OpenOptions, Stored, Synchronous, append_or_spool,
    append_queued,
};
pub use verify::{MAX_PROBLEMS, Problem, ProblemKind, TrustedKey, VerifyReport};
pub use witnessing::{AddedCosignatures, WitnessReport, WitnessedCheckpoint};
