//! Ward's answers afterwards: what agents did in a period, read from the ledger in
//! one pass ([`build`]), as data ([`Report`], the JSON format) and rendered as
//! Markdown, CSV or one self-contained HTML file with inline SVG charts; and what
//! another policy would have decided about the recorded calls ([`replay`]).
//!
//! The report reads; it never writes the ledger. A full verification is the
//! caller's to run (it takes seconds a million records) and to pass in.

#![warn(missing_docs)]

mod collect;
mod compliance;
pub mod csv;
pub mod html;
pub mod markdown;
pub mod model;
pub mod replay;
mod risk;

pub use collect::{Scope, build};
pub use model::{Report, Verification};
