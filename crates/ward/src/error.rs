//! Turning library errors into `anyhow` errors that carry their hint.

use std::fmt;

/// An error with a hint printed after it as `hint: …`.
#[derive(Debug)]
pub(crate) struct Hinted {
    pub(crate) message: String,
    pub(crate) hint: &'static str,
}

impl fmt::Display for Hinted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Hinted {}

/// A policy error with its hint.
pub(crate) fn policy(error: ward_core::policy::PolicyError) -> anyhow::Error {
    match error.hint() {
        Some(hint) => anyhow::Error::new(Hinted {
            message: error.to_string(),
            hint,
        }),
        None => anyhow::Error::new(error),
    }
}

/// The hint of an error chain, if any link has one.
pub(crate) fn hint_of(error: &anyhow::Error) -> Option<&'static str> {
    error
        .chain()
        .find_map(|cause| cause.downcast_ref::<Hinted>().map(|h| h.hint))
}

/// One line: the error and its causes, for hook reasons and logs.
pub(crate) fn one_line(error: &anyhow::Error) -> String {
    let mut text = format!("{error:#}");
    if let Some(hint) = hint_of(error) {
        text.push_str(" (");
        text.push_str(hint);
        text.push(')');
    }
    text
}
