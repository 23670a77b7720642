//! Progress for long commands, on stderr: a bar when stderr is a terminal, a
//! line every 5% otherwise (logs and CI keep a readable trace), nothing for
//! short runs or `--json`.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// Runs shorter than this many items show no progress at all.
const SHOW_FROM: u64 = 100_000;

pub(crate) enum Progress {
    Silent,
    Bar(ProgressBar),
    Lines { what: &'static str, shown: u64 },
}

impl Progress {
    /// Progress over items of `what` (e.g. "records"); `quiet` for `--json`.
    pub(crate) fn new(what: &'static str, quiet: bool) -> Progress {
        if quiet {
            return Progress::Silent;
        }
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::hidden();
            let style = ProgressStyle::with_template(&format!(
                "{{msg}} [{{bar:40}}] {{pos}}/{{len}} {what} ({{eta}} left)"
            ))
            .map(|style| style.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            return Progress::Bar(bar);
        }
        Progress::Lines { what, shown: 0 }
    }

    /// `done` of `total` items, with `message` before the bar.
    pub(crate) fn update(&mut self, message: &'static str, done: u64, total: u64) {
        if total < SHOW_FROM {
            return;
        }
        match self {
            Progress::Silent => {}
            Progress::Bar(bar) => {
                if bar.is_hidden() {
                    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                    bar.set_message(message);
                }
                bar.set_length(total);
                bar.set_position(done);
                if done >= total {
                    bar.finish_and_clear();
                }
            }
            Progress::Lines { what, shown } => {
                if let Some(line) = next_line(what, shown, message, done, total) {
                    crate::output::status(&line);
                }
            }
        }
    }
}

/// The line to print for `done` of `total` when stderr is not a terminal: one at
/// each further 5% and one at the end; `shown` is where the last line was.
fn next_line(what: &str, shown: &mut u64, message: &str, done: u64, total: u64) -> Option<String> {
    if done == total || done >= *shown + total / 20 {
        *shown = done;
        Some(format!("{message}… {done}/{total} {what}"))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_come_every_five_percent_and_at_the_end() {
        let total = 1_000_003;
        let mut shown = 0;
        let lines: Vec<String> = (1..=total)
            .filter_map(|done| next_line("records", &mut shown, "Checking", done, total))
            .collect();
        assert_eq!(lines.len(), 21, "{lines:?}");
        assert_eq!(lines[0], "Checking… 50000/1000003 records");
        assert_eq!(lines[20], "Checking… 1000003/1000003 records");
    }

    #[test]
    fn short_runs_and_json_show_nothing() {
        let mut quiet = Progress::new("records", true);
        assert!(matches!(quiet, Progress::Silent));
        quiet.update("Checking", 10, 10);
        let mut lines = Progress::Lines {
            what: "records",
            shown: 0,
        };
        // Below SHOW_FROM nothing is printed, so `shown` never moves.
        lines.update("Checking", SHOW_FROM - 1, SHOW_FROM - 1);
        assert!(matches!(lines, Progress::Lines { shown: 0, .. }));
    }
}
