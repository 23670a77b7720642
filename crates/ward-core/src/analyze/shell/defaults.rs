//! `${NAME:-WORD}` of a variable the line does not set: unless the environment
//! sets NAME, WORD is what the shell uses. As a program (`${RM:-rm} -rf ~`), the
//! command is analysed with WORD as well as marked opaque.

use super::walk::Walker;

impl Walker<'_> {
    /// Keeps the default of `written` (`${NAME:-WORD}` of a variable the line does
    /// not set) when it is one plain word.
    pub(super) fn note_default(&mut self, written: &str, default: &str) {
        const MAX_DEFAULTS: usize = 32;
        let plain = !default.is_empty()
            && default.bytes().all(|byte| {
                byte.is_ascii_alphanumeric() || matches!(byte, b'/' | b'.' | b'_' | b'-' | b'+')
            });
        if plain && self.defaults.len() < MAX_DEFAULTS {
            self.defaults.push((written.to_owned(), default.to_owned()));
        }
    }

    /// The plain-word default of a word that is one `${NAME:-WORD}` expansion.
    pub(super) fn default_of(&self, word: &str) -> Option<String> {
        self.defaults
            .iter()
            .rev()
            .find(|(written, _)| written == word)
            .map(|(_, default)| default.clone())
    }
}
