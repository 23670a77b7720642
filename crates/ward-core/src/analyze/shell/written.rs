//! Files the line writes with known text and later runs or feeds to a client:
//! `echo 'rm -rf ~' > x.sh && bash x.sh`, `cat > q.sql <<'EOF' … EOF; psql -f q.sql`.
//! What a command writes to a file with `>` or `>>` is known when its output is
//! (`echo`, `printf`, `cat` of a heredoc); the script that runs it later in the
//! line is then analysed from that text, as if it had been given inline.

use super::walk::{Stream, Walker};
use super::words::{Arg, Origin};
use crate::analyze::paths::resolve_expanded;

/// The most files with known text one line keeps.
const MAX_WRITTEN_FILES: usize = 32;

/// The most text kept for one file.
const MAX_WRITTEN_BYTES: usize = 256 * 1024;

impl Walker<'_> {
    /// A `>` or `>>` of the simple command being walked sends its stdout to `file`.
    pub(super) fn note_stdout_file(&mut self, file: &Arg, append: bool) {
        if file.is_literal() {
            let path = resolve_expanded(&file.text, &self.scope.context);
            self.stdout_files.push((path, append));
        }
    }

    /// After a simple command: the files its stdout went to hold its output, when
    /// that is known text; otherwise what they held is no longer known.
    pub(super) fn note_written(&mut self, output: &Stream) {
        for (path, append) in std::mem::take(&mut self.stdout_files) {
            let earlier = self
                .written
                .iter()
                .position(|(written, _)| *written == path)
                .map(|index| self.written.remove(index).1);
            let Stream::Text(text) = output else {
                continue;
            };
            let mut content = if append {
                earlier.unwrap_or_default()
            } else {
                String::new()
            };
            content.push_str(text);
            if content.len() <= MAX_WRITTEN_BYTES && self.written.len() < MAX_WRITTEN_FILES {
                self.written.push((path, content));
            }
        }
    }

    /// The text the line wrote to `file`, if it did.
    pub(super) fn written_text(&self, file: &Arg) -> Option<Arg> {
        if !file.is_literal() {
            return None;
        }
        let path = resolve_expanded(&file.text, &self.scope.context);
        self.written_text_at(&path)
    }

    /// The text the line wrote to the file at `path` (resolved), if it did.
    pub(super) fn written_text_at(&self, path: &str) -> Option<Arg> {
        self.written
            .iter()
            .rev()
            .find(|(written, _)| written == path)
            .map(|(_, text)| Arg {
                text: text.clone(),
                origin: Origin::Literal,
            })
    }

    /// Runs a shell script the line wrote: its commands are analysed, in a shell
    /// of their own (`bash x.sh`, `./x.sh`: `child_shell`) or in this one (`. x.sh`).
    pub(super) fn run_written_script(&mut self, file: &Arg, child_shell: bool, stdin: &Stream) {
        if file.is_literal() {
            let path = resolve_expanded(&file.text, &self.scope.context);
            self.run_written_script_at(&path, child_shell, stdin);
        }
    }

    /// [`Walker::run_written_script`] of a resolved path (`sh < x.sh`).
    pub(super) fn run_written_script_at(&mut self, path: &str, child_shell: bool, stdin: &Stream) {
        let Some(script) = self.written_text_at(path) else {
            return;
        };
        let what = format!("the script `{path}`");
        if child_shell {
            self.scoped(|walker| walker.nested_source(&script.text, stdin, &what));
        } else {
            self.nested_source(&script.text, stdin, &what);
        }
    }
}
