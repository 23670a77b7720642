//! Ward's evidence sinks: delivering each outcome record, each signed checkpoint
//! and each notice (approvals, overrides, severe denies) to somewhere outside the
//! host — a JSONL file or an HTTP webhook — configured by
//! `[[sinks]]` in the policy (`ward_core::policy::SinkConfig`).
//!
//! - [`Evidence`]: what a sink receives (`docs/sinks.md` documents the JSON).
//! - [`Sink`]: the interface; [`JsonlSink`] and [`WebhookSink`] implement it.
//! - [`deliver()`]: reads the ledger after a sink's cursor, delivers in batches,
//!   moves the cursor only after success, and backs off after failures. The ledger
//!   is the durable queue, so a receiver that is down loses nothing.
//! - [`StateDir`]: each sink's cursor and retry state, one small file per sink,
//!   and the lock that keeps two processes from delivering the same batch.
//!
//! What this crate does *not* do: decide when delivery runs (the CLI runs it in
//! the background ingest, never in the hook, and in `ward audit deliver`), read the
//! policy, or write the ledger. Delivery is at-least-once: receivers dedupe by
//! [`Evidence::id`].

#![warn(missing_docs)]

mod deliver;
pub mod evidence;
mod jsonl;
pub mod notice;
mod sink;
mod state;
mod webhook;

use std::time::Duration;

use ward_core::policy::{SinkConfig, SinkTarget};

pub use deliver::{
    Backlog, Backoff, Clock, DeliveryError, Finish, Options, Progress, Report, SystemClock,
    backlog, deliver,
};
pub use evidence::Evidence;
pub use jsonl::JsonlSink;
pub use sink::{Sink, SinkError};
pub use state::{DeliveryLock, SinkState, StateDir};
pub use webhook::WebhookSink;

/// The sink a configuration describes.
pub fn open(config: &SinkConfig) -> Box<dyn Sink> {
    match &config.target {
        SinkTarget::Jsonl { path } => Box::new(JsonlSink::new(path)),
        SinkTarget::Webhook {
            url,
            headers,
            ca_file,
            format,
        } => Box::new(
            WebhookSink::new(
                url,
                headers.clone(),
                Duration::from_millis(config.timeout_ms),
            )
            .trusting(ca_file.as_deref().map(std::path::Path::new))
            .shaped(*format),
        ),
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tls_tests;
