//! The one place that prints. Stdout carries data (the hook's reply, tables,
//! JSON); stderr carries errors and progress.

#![expect(clippy::print_stderr, reason = "this module is the CLI's only printer")]

use std::io::Write;
use std::process::ExitCode;

use crate::commands::hook::HookReply;

/// Prints the hook's reply exactly: one JSON object or nothing on stdout, the exit-2
/// reason on stderr.
pub(crate) fn hook_reply(reply: &HookReply) -> ExitCode {
    if let Some(text) = &reply.stdout {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes());
        let _ = stdout.flush();
    }
    if let Some(text) = &reply.stderr {
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(text.as_bytes());
        let _ = stderr.flush();
    }
    ExitCode::from(reply.exit_code)
}

/// Prints data to stdout. A closed pipe (`ward audit query | head`) is not an error.
pub(crate) fn data(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    if !text.ends_with('\n') {
        let _ = stdout.write_all(b"\n");
    }
    let _ = stdout.flush();
}

/// Prints a value as pretty JSON to stdout.
pub(crate) fn json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    data(&serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Prints a progress or status line to stderr.
pub(crate) fn status(text: &str) {
    eprintln!("{text}");
}

/// Prints an error chain and its hint; exit code 2 for usage and input errors.
pub(crate) fn error(error: &anyhow::Error) -> ExitCode {
    eprintln!("error: {error}");
    for cause in error.chain().skip(1) {
        eprintln!("  Caused by: {cause}");
    }
    if let Some(hint) = crate::error::hint_of(error) {
        eprintln!("\nhint: {hint}");
    }
    ExitCode::from(2)
}
