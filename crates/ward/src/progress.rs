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
                if done == total || done >= *shown + total / 20 {
                    *shown = done;
                    crate::output::status(&format!("{message}… {done}/{total} {what}"));
                }
            }
        }
    }
}
