//! The sink interface and why a delivery failed.

use std::path::PathBuf;

use crate::Evidence;

/// Somewhere evidence goes. A delivery is all or nothing from the queue's point
/// of view: `Ok` means every event of the batch is durably received (the cursor
/// moves past them); `Err` means the whole batch is retried later, so a sink that
/// received part of it sees that part again (delivery is at-least-once).
pub trait Sink {
    /// Delivers one batch, in order.
    fn deliver(&self, batch: &[Evidence]) -> Result<(), SinkError>;
}

/// Why a sink did not take a batch. Messages never include header values: they
/// are written to logs and state files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SinkError {
    /// The JSONL file could not be opened, written or synced.
    #[error("cannot write `{path}`: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The receiver answered with a status other than 2xx.
    #[error("the receiver answered HTTP {status}{body}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The start of the response body, `: …`-prefixed, or empty.
        body: String,
    },
    /// The request did not complete: connection refused, DNS, TLS, timeout.
    #[error("cannot reach the receiver: {0}")]
    Transport(String),
    /// A header's `env:NAME` variable is not set in the delivering process.
    #[error(
        "header `{header}` is read from the environment variable `{variable}`, which is not \
         set (background deliveries see the agent's environment)"
    )]
    MissingEnv {
        /// The header.
        header: String,
        /// The variable.
        variable: String,
    },
    /// The webhook's `ca_file` could not be used.
    #[error(
        "cannot use `ca_file = \"{}\"` as the receiver's certificate authorities: {reason}",
        path.display()
    )]
    Trust {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The batch could not be encoded.
    #[error("cannot encode the batch as JSON: {0}")]
    Encode(#[from] serde_json::Error),
}
