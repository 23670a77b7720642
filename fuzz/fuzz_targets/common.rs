//! What both targets share: a panic policy matching Ward's contract.
//!
//! `libfuzzer-sys` installs a panic hook that aborts on *every* panic, even one that
//! is caught. Ward deliberately runs `brush-parser` under `catch_unwind` (the parser
//! has `unwrap`s reachable from its input) and turns its panics into an opaque
//! action, so a caught parser panic is not a Ward failure. This hook records each
//! panic instead; after each input [`check`] aborts (so libFuzzer saves the input)
//! when a panic escaped Ward, or when a panic happened outside `brush-parser` even
//! if something caught it (Ward's own code must not panic, and a panic on Ward's
//! parsing thread would otherwise be silently turned into "parser failed").
//! Caught `brush-parser` panics are reported once per source location on stderr.
//! With `WARD_FUZZ_STRICT=1` every panic aborts (to collect parser bugs).

use std::collections::BTreeSet;
use std::panic::PanicHookInfo;
use std::sync::Mutex;

struct Recorded {
    location: String,
    message: String,
    backtrace: String,
    in_parser: bool,
}

static PANICS: Mutex<Vec<Recorded>> = Mutex::new(Vec::new());
static SEEN_PARSER_PANICS: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

fn message(info: &PanicHookInfo<'_>) -> String {
    if let Some(text) = info.payload().downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = info.payload().downcast_ref::<String>() {
        text.clone()
    } else {
        "(non-string panic payload)".to_owned()
    }
}

/// Installs the recording hook (replaces libfuzzer-sys's aborting one).
pub fn install_hook() {
    let strict = std::env::var_os("WARD_FUZZ_STRICT").is_some();
    std::panic::set_hook(Box::new(move |info| {
        let location = info
            .location()
            .map(|location| {
                format!(
                    "{}:{}:{}",
                    location.file(),
                    location.line(),
                    location.column()
                )
            })
            .unwrap_or_default();
        let in_parser = location.contains("/brush-parser-");
        let backtrace = if in_parser && !strict {
            String::new()
        } else {
            std::backtrace::Backtrace::force_capture().to_string()
        };
        let recorded = Recorded {
            location,
            message: message(info),
            backtrace,
            in_parser,
        };
        if !recorded.in_parser || strict {
            // Abort right here, with the stack intact, as libfuzzer-sys's hook would.
            eprintln!(
                "panic at {}: {}\n{}",
                recorded.location, recorded.message, recorded.backtrace
            );
            std::process::abort();
        }
        if let Ok(mut panics) = PANICS.lock() {
            panics.push(recorded);
        }
    }));
}

/// Runs one input through `analyse` under the policy above.
pub fn check<T>(input: &dyn std::fmt::Debug, analyse: impl FnOnce() -> T) -> T {
    if let Ok(mut panics) = PANICS.lock() {
        panics.clear();
    }
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(analyse));
    let panics = PANICS
        .lock()
        .map(|mut panics| std::mem::take(&mut *panics))
        .unwrap_or_default();
    match outcome {
        Ok(value) => {
            for panic in panics {
                let new = SEEN_PARSER_PANICS
                    .lock()
                    .map(|mut seen| seen.insert(panic.location.clone()))
                    .unwrap_or(false);
                if new {
                    eprintln!(
                        "note: brush-parser panicked at {} ({}), caught by Ward, on {input:?}",
                        panic.location, panic.message
                    );
                }
            }
            value
        }
        Err(_) => {
            for panic in panics {
                eprintln!(
                    "panic escaped Ward: at {}: {}\n{}",
                    panic.location, panic.message, panic.backtrace
                );
            }
            eprintln!("input: {input:?}");
            std::process::abort();
        }
    }
}
