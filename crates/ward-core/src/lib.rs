//! Ward's agent-neutral model and its pure logic.
//!
//! Everything here is a plain function of its inputs: no file, network, process,
//! environment or clock access (the caller passes the time; a rule's time window
//! looks its zone up in the time zone database through `jiff`). The adapters (`ward-agents`) turn an agent's payload
//! into an [`Event`]; [`analyze()`] turns the event into an [`Action`] (what the call
//! would touch); [`policy::Policy::evaluate`] turns the action into a [`Verdict`].
//! The ledger (`ward-ledger`) records all three; the CLI wires the stages.
//!
//! What this crate does *not* do: read policy files (it takes their text), know any
//! agent's JSON, know SQL, or decide how a verdict is rendered.

pub mod action;
pub mod analyze;
pub mod break_glass;
pub mod category;
pub mod decision;
pub mod event;
pub mod policy;
pub mod redact;

pub use action::{Action, CommandInvocation, Finding, Target, TargetKind};
pub use analyze::{AnalysisContext, analyze};
pub use category::Category;
pub use decision::{Decision, Severity, Verdict};
pub use event::{Event, EventKind, Outcome, OutcomeStatus, Subagent, ToolCall};
