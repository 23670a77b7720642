//! Pathological command lines: huge, deeply nested, malformed. The analyser must
//! return (no panic, no stack overflow, no hang), and where it cannot analyse the
//! line it must say so: `opaque == true` with a note. These tests check behaviour,
//! never time; `benches/analysis.rs` measures the time.
//!
//! The command lines are only analysed, never run.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests stop on the first failure"
)]

use proptest::prelude::*;
use ward_core::analyze::analyze_command_line;
use ward_core::{Action, AnalysisContext, TargetKind};

fn context() -> AnalysisContext {
    AnalysisContext {
        cwd: "/home/dev/app".to_owned(),
        home: "/home/dev".to_owned(),
        branch: None,
    }
}

fn analyse(line: &str) -> Action {
    analyze_command_line(line, &context())
}

/// The first note, shortened, for failure messages (some notes quote the input).
fn short_notes(action: &Action) -> Vec<String> {
    action
        .notes
        .iter()
        .map(|note| note.chars().take(200).collect())
        .collect()
}

#[track_caller]
fn assert_opaque_with(action: &Action, fragment: &str) {
    assert!(
        action.opaque,
        "expected an opaque action; notes: {:?}",
        short_notes(action)
    );
    assert!(
        action.notes.iter().any(|note| note.contains(fragment)),
        "expected a note containing {fragment:?}; notes: {:?}",
        short_notes(action)
    );
}

#[track_caller]
fn assert_not_opaque(action: &Action) {
    assert!(
        !action.opaque,
        "expected a transparent action; notes: {:?}",
        short_notes(action)
    );
}

#[track_caller]
fn assert_deletes(action: &Action, path: &str) {
    assert!(
        action
            .targets
            .iter()
            .any(|target| target.path == path && target.kind == TargetKind::Delete),
        "expected a delete target {path:?}; targets: {:?}",
        action.targets.iter().take(10).collect::<Vec<_>>()
    );
}

fn count_program(action: &Action, program: &str) -> usize {
    action
        .commands
        .iter()
        .filter(|command| command.program == program)
        .count()
}

/// `bash -c "…"` wrapped `levels` times around `rm -rf /`, each level quoted for
/// the one outside it. The escaping doubles the size per level.
fn nested_bash_c(levels: usize) -> String {
    let mut line = "rm -rf /".to_owned();
    for _ in 0..levels {
        let escaped = line
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('$', "\\$")
            .replace('`', "\\`");
        line = format!("bash -c \"{escaped}\"");
    }
    line
}

// --- Size ---------------------------------------------------------------------

#[test]
fn a_ten_megabyte_line_is_opaque_as_too_long() {
    let line = format!("echo {}", "a".repeat(10 << 20));
    let action = analyse(&line);
    assert_opaque_with(&action, "too long to analyse");
    assert!(action.commands.is_empty());
}

#[test]
fn a_five_megabyte_heredoc_into_bash_is_opaque_as_too_long() {
    let body = "rm -rf /tmp/x\n".repeat((5 << 20) / 14);
    let action = analyse(&format!("bash <<'EOF'\n{body}EOF\n"));
    assert_opaque_with(&action, "too long to analyse");
}

#[test]
fn a_hundred_thousand_commands_are_opaque_as_too_long() {
    // ~500 KB, under the size limit, but 200,000 tokens: parsing alone would take
    // ~100 ms (release), so it is refused before parsing.
    let line = vec!["true"; 100_000].join(";");
    let action = analyse(&line);
    assert_opaque_with(&action, "words and operators is too long to analyse");
    assert!(action.commands.is_empty());
}

#[test]
fn thousands_of_functions_and_calls_are_all_analysed() {
    // Each command is looked up among the functions kept (at most 256); the rest
    // are analysed where they are defined. Every body is seen either way.
    let mut line = String::new();
    for index in 0..3_000 {
        line.push_str(&format!("f{index}() {{ rm -f /tmp/f{index}; }}; "));
    }
    for index in 0..3_000 {
        line.push_str(&format!("f{index}; "));
    }
    let action = analyse(&line);
    assert_not_opaque(&action);
    assert_deletes(&action, "/tmp/f0");
    assert_deletes(&action, "/tmp/f2999");
    assert_eq!(count_program(&action, "rm"), 3_000);
}

#[test]
fn fifteen_thousand_commands_are_all_seen() {
    // 30,000 tokens: within the budget of one call, analysed in full.
    let line = vec!["true"; 15_000].join(";");
    let action = analyse(&line);
    assert_not_opaque(&action);
    assert_eq!(count_program(&action, "true"), 15_000);
}

#[test]
fn the_token_budget_is_shared_by_nested_code() {
    // Each `bash -c` string is within the budget alone, but the call as a whole
    // parses each command twice (the line, then the string): the second string
    // no longer fits.
    let inner = vec!["true"; 6_000].join(";");
    let line = format!("bash -c '{inner}'; bash -c '{inner}'");
    let action = analyse(&line);
    assert_opaque_with(&action, "words and operators is too long to analyse");
    assert_eq!(count_program(&action, "true"), 6_000);
}

#[test]
fn a_megabyte_of_single_quotes_parses_to_one_empty_word() {
    // An even number of quotes: empty strings glued into one empty word.
    let action = analyse(&"'".repeat(1 << 20));
    assert_not_opaque(&action);
    assert_eq!(action.commands.len(), 1);
    assert_eq!(action.commands[0].program, "");
}

#[test]
fn an_unterminated_megabyte_of_single_quotes_is_opaque() {
    let action = analyse(&"'".repeat((1 << 20) - 1));
    assert_opaque_with(&action, "unterminated single quote");
}

// --- Depth ----------------------------------------------------------------------

#[test]
fn a_hundred_thousand_nested_command_substitutions_are_opaque_as_too_complex() {
    let line = format!("{}{}", "$(".repeat(100_000), ")".repeat(100_000));
    assert_opaque_with(&analyse(&line), "too complex to analyse");
}

#[test]
fn a_thousand_nested_command_substitutions_parse_and_stop_at_the_nesting_limit() {
    // Under the syntax-level limit: parsed on a large stack segment; the walk
    // then stops at MAX_NESTING (8) levels of shell code, each parsed again
    // (8 x 3,000 tokens, within the budget of one call).
    let line = format!("{}rm -rf /{}", "$(".repeat(1000), ")".repeat(1000));
    assert_opaque_with(&analyse(&line), "nested more than 8 levels");
}

#[test]
fn fifty_thousand_open_parentheses_are_opaque_as_too_complex() {
    assert_opaque_with(&analyse(&"(".repeat(50_000)), "unclosed `(` is not parsed");
}

#[test]
fn a_few_unclosed_parentheses_are_rejected_by_the_parser() {
    // Kept small: see `many_unclosed_parentheses_are_rejected_quickly`.
    assert_opaque_with(&analyse(&"(".repeat(12)), "the shell parser rejected");
    assert_opaque_with(&analyse(&"( ".repeat(12)), "the shell parser rejected");
}

#[test]
fn many_unclosed_parentheses_are_rejected_quickly() {
    // brush-parser backtracks exponentially over unclosed `(`: not parsed at all.
    assert_opaque_with(&analyse(&"(".repeat(32)), "unclosed `(` is not parsed");
}

#[test]
fn eight_thousand_nested_brace_groups_are_walked_to_the_bottom() {
    // Just under the 8192 syntax-level limit: parsed and walked on a thread whose
    // stack is sized for it, and the command at the bottom is still seen.
    let line = format!("{}rm -rf /; {}", "{ ".repeat(8000), "}; ".repeat(8000));
    let action = analyse(&line);
    assert_not_opaque(&action);
    assert_deletes(&action, "/");
}

#[test]
fn a_hundred_thousand_nested_brace_groups_are_opaque_as_too_complex() {
    assert_opaque_with(&analyse(&"{ ".repeat(100_000)), "too complex to analyse");
}

#[test]
fn a_hundred_thousand_nested_extended_tests_are_opaque_as_too_complex() {
    assert_opaque_with(&analyse(&"[[ ".repeat(100_000)), "too complex to analyse");
}

#[test]
fn a_hundred_thousand_backticks_are_opaque() {
    // 50,000 empty command substitutions glued into the program name.
    assert_opaque_with(
        &analyse(&"`".repeat(100_000)),
        "is only known when the line runs",
    );
    // An odd number leaves one open.
    assert_opaque_with(&analyse(&"`".repeat(99_999)), "unterminated backquote");
}

#[test]
fn bash_c_within_the_nesting_limit_is_seen_through() {
    let action = analyse(&nested_bash_c(5));
    assert_not_opaque(&action);
    assert_deletes(&action, "/");
    assert_eq!(count_program(&action, "bash"), 5);
}

#[test]
fn bash_c_nested_beyond_the_limit_is_opaque() {
    // 200 levels would take 2^200 bytes of escaping; 16 levels are 128 KB and
    // twice the limit.
    for levels in [9, 12, 16] {
        let action = analyse(&nested_bash_c(levels));
        assert_opaque_with(&action, "nested more than 8 levels");
        assert_eq!(count_program(&action, "bash"), 9, "{levels} levels");
        assert_eq!(count_program(&action, "rm"), 0, "{levels} levels");
    }
}

#[test]
fn two_hundred_heredocs_fed_to_bash_inside_each_other_are_opaque() {
    // The linear way to nest shell code 200 levels deep.
    let mut line = "rm -rf /\n".to_owned();
    for level in (0..200).rev() {
        line = format!("bash <<'E{level}'\n{line}E{level}\n");
    }
    let action = analyse(&line);
    assert_opaque_with(&action, "nested more than 8 levels");
    assert_eq!(count_program(&action, "bash"), 9);
}

#[test]
fn chained_eval_is_seen_through_up_to_the_limit() {
    let action = analyse(&format!("{}rm -rf /", "eval ".repeat(5)));
    assert_not_opaque(&action);
    assert_deletes(&action, "/");
}

#[test]
fn two_hundred_chained_evals_are_opaque() {
    let action = analyse(&format!("{}rm -rf /", "eval ".repeat(200)));
    assert_opaque_with(&action, "nested more than 8 levels");
    assert_eq!(count_program(&action, "rm"), 0);
}

// --- Heredocs -------------------------------------------------------------------

#[test]
fn three_thousand_heredocs_on_one_command() {
    let mut line = "cat".to_owned();
    for i in 0..3_000 {
        line.push_str(&format!(" <<E{i}"));
    }
    line.push('\n');
    for i in 0..3_000 {
        line.push_str(&format!("body {i}\nE{i}\n"));
    }
    let action = analyse(&line);
    assert_not_opaque(&action);
    assert_eq!(count_program(&action, "cat"), 1);
}

#[test]
fn three_thousand_heredocs_on_one_line_of_commands() {
    let mut line = String::new();
    for i in 0..3_000 {
        line.push_str(&format!("cat <<E{i} > f{i}; "));
    }
    line.push('\n');
    for i in 0..3_000 {
        line.push_str(&format!("body {i}\nE{i}\n"));
    }
    let action = analyse(&line);
    assert_not_opaque(&action);
    assert_eq!(count_program(&action, "cat"), 3_000);
    assert!(
        action
            .targets
            .iter()
            .any(|target| target.path == "/home/dev/app/f2999" && target.kind == TargetKind::Write)
    );
}

#[test]
fn ten_thousand_unterminated_heredocs_are_opaque() {
    assert_opaque_with(
        &analyse(&"cat <<EOF ".repeat(10_000)),
        "unterminated here document",
    );
}

// --- Odd characters ---------------------------------------------------------------

#[test]
fn replacement_characters_are_ordinary_word_characters() {
    let action = analyse("rm -rf \u{FFFD}/ \u{FFFD}\u{FFFD}; \u{FFFD} -c x");
    assert_not_opaque(&action);
    assert_deletes(&action, "/home/dev/app/\u{FFFD}");
    assert_eq!(count_program(&action, "\u{FFFD}"), 1);

    let lossy = String::from_utf8_lossy(b"rm -rf /\xff\xfe && \xed\xa0\x80 -c 'x\xc0\xaf'");
    let action = analyse(&lossy);
    assert_deletes(&action, "/\u{FFFD}\u{FFFD}");

    let action = analyse(&"\u{FFFD}".repeat(100_000));
    assert_eq!(action.commands.len(), 1);
}

#[test]
fn nul_bytes_do_not_break_the_analyser() {
    // Bash drops NULs from a script, joining words Ward would split: opaque.
    let action = analyse("rm -rf /tmp/x\0 && echo \0\0 > /tmp/y\0z");
    assert_opaque_with(&action, "NUL bytes");
    let action = analyse(&"\0".repeat(100_000));
    assert_opaque_with(&action, "NUL bytes");
}

#[test]
fn nul_bytes_cannot_hide_a_target() {
    let action = analyse("rm -rf /\0");
    assert!(
        action.opaque || action.targets.iter().any(|target| target.path == "/"),
        "targets: {:?}",
        action.targets
    );
}

#[test]
fn notes_stay_short_whatever_the_input() {
    for line in ["`".repeat(100_000), "cat <<EOF ".repeat(10_000)] {
        let action = analyse(&line);
        for note in &action.notes {
            assert!(note.len() <= 1024, "a note of {} bytes", note.len());
        }
    }
}

// --- Random inputs ------------------------------------------------------------------

const FRAGMENTS: &[&str] = &[
    "$(",
    ")",
    "`",
    "<<EOF\n",
    "EOF\n",
    "\"",
    "'",
    "\\",
    "{ ",
    "}",
    "(",
    "|",
    ";",
    "&&",
    "||",
    "&",
    "bash -c ",
    "eval ",
    "rm -rf /",
    "\n",
    " ",
    "x",
    "$HOME",
    "${A:-",
    "> f",
    "<",
    "[[ ",
    " ]]",
    "$((",
    "for i in a; do ",
    "done",
    "if true; then ",
    "fi",
    "cd /tmp",
    "sudo ",
    "$'\\x41'",
    "<(",
    "#",
    "!",
];

fn check_invariants(line: &str) {
    let action = analyse(line);
    assert!(
        !action.opaque || !action.notes.is_empty(),
        "opaque without a note for {line:?}"
    );
    assert!(!action.categories.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        check_invariants(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn shell_fragments_never_panic(
        pieces in proptest::collection::vec(proptest::sample::select(FRAGMENTS), 0..48)
    ) {
        check_invariants(&pieces.concat());
    }
}

// --- Inputs the fuzzer found (fuzz/regressions/) ---------------------------------

#[test]
fn parser_panics_are_caught_and_opaque() {
    // brush-parser 0.4 `unwrap`s reachable from its input: an io number that
    // overflows i32 (parser/peg.rs:695), and `${` left open in a line with a
    // heredoc (tokenizer.rs:1018). Ward catches both. (The test output shows the
    // panic messages: the default panic hook prints them before they are caught.)
    for line in ["3333333333>", "<<E ${f}${\nE"] {
        assert_opaque_with(&analyse(line), "the shell parser failed");
    }
}

#[test]
fn a_few_unclosed_braces_in_a_brace_expansion_are_left_literal() {
    let action = analyse("echo x{{{{{{x,x");
    assert_not_opaque(&action);
    assert_eq!(action.commands[0].args, ["x{{{{{{x,x"]);
}

#[test]
fn many_unclosed_braces_in_a_brace_expansion_are_handled() {
    let action = analyse(&format!("echo x{}x,x", "{".repeat(24)));
    assert_eq!(action.commands.len(), 1);
}
