//! Shell analysis: the simple commands a command line would run, and the paths and
//! URLs they would touch.
//!
//! The line is parsed with `brush-parser` (bash syntax) and its syntax tree walked
//! (`walk`). Every simple command that would run becomes a [`crate::CommandInvocation`]
//! once its words are expanded (`words`: quotes removed, variables assigned earlier
//! in the line substituted) and its wrappers seen through (`wrappers`: `sudo`, `env`,
//! `xargs`, ...). The programs Ward knows then add what they touch as targets
//! (`programs`, `files`, `network`, `code`), resolved lexically by
//! [`super::resolve_path`]. Shell code hidden in strings (`bash -c`, `eval`, `$(…)`,
//! a heredoc fed to `sh`) is parsed in turn, up to [`MAX_NESTING`] levels deep.
//!
//! Analysis is static and errs on the side of saying "unknown": whatever depends on
//! the machine (an unset variable, a file's content, a command's output, code in
//! another language) is not guessed. The action is marked opaque instead, with a
//! note saying why. Nothing here runs, reads or looks anything up.

mod args;
mod arrays;
mod clients;
mod code;
mod containers;
mod defaults;
mod deno;
mod exfil;
mod fd;
mod files;
mod functions;
mod git;
mod network;
mod no_slash;
mod path_programs;
mod powershell;
mod programs;
mod scripts;
mod trim;
mod vim;
mod walk;
mod words;
mod wrappers;
mod written;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_flow;

use brush_parser::{ParserOptions, ast};

use super::AnalysisContext;
use crate::Action;

/// How many levels of shell code inside strings (`bash -c "eval '…'"`, `$(…)`) are
/// analysed; deeper code marks the action opaque.
pub(super) const MAX_NESTING: usize = 8;

/// The longest command line analysed, in bytes.
const MAX_SOURCE_BYTES: usize = 1 << 20;

/// The most words and operators (see [`Shape::tokens`]) parsed for one call, over
/// all the shell code in it (`bash -c` strings and substitutions count again).
/// brush-parser takes about 0.5 µs per token and the walk about as much per
/// command: this bounds a call's analysis to tens of milliseconds (100,000
/// `true;` took 180 ms). About 150 KB of ordinary script or heredoc text.
const MAX_PARSED_TOKENS: usize = 40_000;

/// The most syntax levels (see [`Shape::levels`]) a single string may have; beyond
/// this it is not parsed at all.
const MAX_SYNTAX_LEVELS: usize = 8192;

/// Stack reserved per syntax level of a parse. Measured at about 16 KiB per
/// level in debug builds (less in release); twice that leaves a margin.
const STACK_BYTES_PER_LEVEL: usize = 32 * 1024;

/// Stack a parse needs besides its levels (the walk, the policy's caller).
const STACK_BASE_BYTES: usize = 1 << 20;

/// Analyses a shell command line into simple commands, targets and categories.
pub(crate) fn analyze_shell(command: &str, context: &AnalysisContext, action: &mut Action) {
    let mut walker = walk::Walker::new(context, action);
    walker.analyze_source(command, &walk::Stream::Inherited);
    walker.finish_functions();
    if walker.opened_socket {
        exfil::check_socket_shell(&mut walker);
    }
    if !walker.downloads.is_empty() {
        code::check_downloads_run(&mut walker);
    }
}

/// The parser options for bash syntax (the shell agents run).
fn parser_options() -> ParserOptions {
    ParserOptions::default()
}

/// Parses a shell program, turning a parser error (or a parser panic) into a message.
fn parse(source: &str) -> Result<ast::Program, String> {
    let options = parser_options();
    let parsed = guarded(|| brush_parser::Parser::new(source.as_bytes(), &options).parse_program());
    match parsed {
        Some(Ok(program)) => Ok(program),
        Some(Err(error)) => Err(format!("the shell parser rejected the command: {error}")),
        None => Err("the shell parser failed on the command".to_owned()),
    }
}

/// Runs a call into `brush-parser`, which has `unwrap`s reachable from its input,
/// turning a panic into `None`.
fn guarded<T>(call: impl FnOnce() -> T) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(call)).ok()
}

/// What [`walk::Walker::analyze_source`] checks of a string before parsing it, all
/// measured in one pass over its bytes: a 10 KB heredoc script is scanned once
/// per parse rather than five times (the separate scans cost about a tenth of the
/// walk).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Shape {
    /// Whether the string holds a NUL byte.
    nul: bool,
    /// How many `(`.
    open: usize,
    /// How many `)`.
    close: usize,
    /// An upper bound on how deeply parsing the string (and walking or dropping
    /// its syntax tree) can recurse: every construct the parsers nest needs one of
    /// `(`, `{`, `[`, `!`, `&&`, `||` (which nest inside `[[ ]]`) or a compound
    /// keyword, so their count bounds the depth whatever the quoting. Most lines
    /// count a few.
    levels: usize,
    /// An upper bound on the tokens brush-parser makes of the string: every run of
    /// word characters, every operator character and every newline counts one.
    /// Quoting is ignored, so quoted text counts its words (an overestimate, never
    /// an underestimate: the bound is on the parser's work).
    tokens: usize,
}

impl Shape {
    fn of(source: &str) -> Shape {
        let mut shape = Shape::default();
        // `&&` and `||` are counted without overlap, left to right (`&&&&` is two).
        let mut pending = 0u8;
        // Where the run of ASCII letters the current byte is in started, for the
        // keywords.
        let mut letters_from = None;
        let mut in_word = false;
        let bytes = source.as_bytes();
        for (at, &byte) in bytes.iter().enumerate() {
            match byte {
                0 => shape.nul = true,
                b'(' => shape.open += 1,
                b')' => shape.close += 1,
                _ => {}
            }
            match byte {
                b'(' | b'{' | b'[' | b'!' => shape.levels += 1,
                b'&' | b'|' if pending == byte => {
                    shape.levels += 1;
                    pending = 0;
                }
                b'&' | b'|' => pending = byte,
                _ => {}
            }
            if !matches!(byte, b'&' | b'|') {
                pending = 0;
            }
            if byte.is_ascii_alphabetic() {
                letters_from.get_or_insert(at);
            } else if let Some(from) = letters_from.take() {
                shape.levels += usize::from(is_compound_keyword(bytes.get(from..at)));
            }
            match byte {
                b' ' | b'\t' => in_word = false,
                b'\n' | b';' | b'&' | b'|' | b'<' | b'>' | b'(' | b')' => {
                    shape.tokens += 1;
                    in_word = false;
                }
                _ if !in_word => {
                    shape.tokens += 1;
                    in_word = true;
                }
                _ => {}
            }
        }
        if let Some(from) = letters_from {
            shape.levels += usize::from(is_compound_keyword(bytes.get(from..)));
        }
        shape
    }
}

/// The keywords that open a compound command (see [`Shape::levels`]).
fn is_compound_keyword(word: Option<&[u8]>) -> bool {
    matches!(
        word,
        Some(b"if" | b"case" | b"for" | b"while" | b"until" | b"select" | b"coproc")
    )
}
