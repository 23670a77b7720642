//! Ward's ledger (being written).

pub mod hash;
pub mod record;

/// Errors of the ledger.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// A value could not be put in canonical form.
    #[error("cannot canonicalise a record: {0}")]
    Canonical(String),
}
