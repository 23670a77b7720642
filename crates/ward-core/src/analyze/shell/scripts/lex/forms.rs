//! The quoting forms peculiar to one language family: regex literals, Perl's
//! quote-like operators (`q{}`, `qq//`, `qw()`, `qx//`, `m//`, `s///`, `tr///`),
//! Ruby's percent literals (`%w[]`, `%x{}`), and heredocs (Perl, Ruby, PHP).

use super::Language::{Perl, Php, Ruby};
use super::quotes::{Escapes, Interpolation, Quote};
use super::{Lexer, MAX_REGEX, Token, find, words};

impl Lexer<'_> {
    /// A `/…/` regex literal where a value is expected (JavaScript, Ruby, Perl).
    pub(super) fn regex(&mut self) -> bool {
        if self.prev_is_value() {
            return false;
        }
        let mut p = self.pos + 1;
        let mut class = false;
        while let Some(&c) = self.src.get(p) {
            if p - self.pos > MAX_REGEX {
                return false;
            }
            match c {
                b'\\' => p += 1,
                b'\n' => return false,
                b'[' => class = true,
                b']' => class = false,
                b'/' if !class => {
                    p += 1;
                    while self.src.get(p).is_some_and(u8::is_ascii_alphabetic) {
                        p += 1;
                    }
                    self.pos = p;
                    self.push(Token::Str(None));
                    return true;
                }
                _ => {}
            }
            p += 1;
        }
        false
    }

    /// Perl's quote-like operators. `word` has just been read; the delimiter
    /// follows (after blanks only when it is a bracket or quote).
    pub(super) fn perl_quote_like(&mut self, word: &str) -> bool {
        let operator = matches!(
            word,
            "q" | "qq" | "qw" | "qx" | "m" | "qr" | "s" | "tr" | "y"
        );
        if !operator || matches!(self.tokens.last(), Some(Token::Dot)) {
            return false;
        }
        let mut p = self.pos;
        while matches!(self.src.get(p), Some(b' ' | b'\t')) {
            p += 1;
        }
        let Some(&delimiter) = self.src.get(p) else {
            return false;
        };
        let valid = if p > self.pos {
            b"({[</|!'\"".contains(&delimiter)
        } else {
            !(delimiter.is_ascii_alphanumeric()
                || delimiter.is_ascii_whitespace()
                || b"_,;)]}>=-".contains(&delimiter))
        };
        if !valid {
            return false;
        }
        self.pos = p + 1;
        let single = delimiter == b'\'';
        let (escapes, interpolation) = if single {
            (Escapes::Single, Interpolation::None)
        } else {
            (Escapes::Full, Interpolation::Sigils)
        };
        let token = match word {
            "q" => Token::Str(self.literal(Quote::new(
                delimiter,
                Escapes::Single,
                Interpolation::None,
            ))),
            "qq" => Token::Str(self.literal(Quote::new(delimiter, escapes, interpolation))),
            "qx" => Token::Command(self.literal(Quote::new(delimiter, escapes, interpolation))),
            "qw" => {
                let (bytes, _) =
                    self.read_quoted(Quote::new(delimiter, Escapes::Single, Interpolation::None));
                Token::Words(words(&bytes))
            }
            _ => {
                self.regex_parts(delimiter, matches!(word, "s" | "tr" | "y"));
                Token::Str(None)
            }
        };
        self.push(token);
        true
    }

    /// The pattern (and replacement) of `m//`, `qr//`, `s///`, `tr///`, and flags.
    fn regex_parts(&mut self, delimiter: u8, two_parts: bool) {
        let quote = Quote::new(delimiter, Escapes::Raw, Interpolation::None);
        self.read_quoted(quote);
        if two_parts {
            if quote.open == quote.close {
                self.read_quoted(quote);
            } else {
                while self.peek(0).is_ascii_whitespace() {
                    self.pos += 1;
                }
                let second = self.peek(0);
                if second != 0 {
                    self.pos += 1;
                    self.read_quoted(Quote::new(second, Escapes::Raw, Interpolation::None));
                }
            }
        }
        while self.peek(0).is_ascii_alphabetic() {
            self.pos += 1;
        }
    }

    /// Ruby's `%q()`, `%Q()`, `%()`, `%w[]`, `%W[]`, `%i[]`, `%x{}`, `%r{}`, `%s()`.
    pub(super) fn percent_literal(&mut self) -> bool {
        let kind = self.peek(1);
        let delimiter_ok = |d: u8| {
            d != 0
                && !d.is_ascii_alphanumeric()
                && !d.is_ascii_whitespace()
                && !b")]}>=".contains(&d)
        };
        let (kind, delimiter_at) = if b"qQwWiIxrs".contains(&kind) && delimiter_ok(self.peek(2)) {
            (kind, self.pos + 2)
        } else if b"([{<|!".contains(&kind) {
            (b'Q', self.pos + 1)
        } else {
            return false;
        };
        let spaced = self.pos > 0
            && self
                .src
                .get(self.pos - 1)
                .is_some_and(u8::is_ascii_whitespace);
        if self.prev_is_value() && !(delimiter_at == self.pos + 2 && spaced) {
            return false;
        }
        let Some(&delimiter) = self.src.get(delimiter_at) else {
            return false;
        };
        self.pos = delimiter_at + 1;
        let interpolated = Quote::new(delimiter, Escapes::Full, Interpolation::HashBrace);
        let token = match kind {
            b'q' => Token::Str(self.literal(Quote::new(
                delimiter,
                Escapes::Single,
                Interpolation::None,
            ))),
            b'Q' => Token::Str(self.literal(interpolated)),
            b'x' => Token::Command(self.literal(interpolated)),
            b'w' => {
                let (bytes, _) =
                    self.read_quoted(Quote::new(delimiter, Escapes::Single, Interpolation::None));
                Token::Words(words(&bytes))
            }
            b'W' => match self.literal(interpolated) {
                Some(text) => Token::Words(words(text.as_bytes())),
                None => Token::Str(None),
            },
            _ => {
                self.read_quoted(Quote::new(delimiter, Escapes::Raw, Interpolation::None));
                while self.peek(0).is_ascii_alphabetic() {
                    self.pos += 1;
                }
                Token::Str(None)
            }
        };
        self.push(token);
        true
    }

    /// `<<EOF`, `<<~EOF`, `<<-'EOF'` (Perl, Ruby) and `<<<EOT` (PHP): the body,
    /// on the lines after this one, becomes one string token; lexing skips it when
    /// it reaches the end of this line.
    pub(super) fn heredoc(&mut self) -> bool {
        let mut p = self.pos + 2;
        match self.language {
            Perl | Ruby => {}
            Php if self.peek(2) == b'<' => p += 1,
            _ => return false,
        }
        let squiggly = self.language != Php && self.src.get(p) == Some(&b'~');
        let indented = squiggly || (self.language != Php && self.src.get(p) == Some(&b'-'));
        if indented {
            p += 1;
        }
        while self.language == Php && self.src.get(p) == Some(&b' ') {
            p += 1;
        }
        let quote = self
            .src
            .get(p)
            .copied()
            .filter(|c| matches!(c, b'\'' | b'"' | b'`'));
        if quote.is_some() {
            p += 1;
        }
        let start = p;
        if !self.src.get(p).is_some_and(|&c| self.ident_start(c)) {
            return false;
        }
        while self.src.get(p).is_some_and(|&c| self.ident(c)) {
            p += 1;
        }
        let tag = self.src.get(start..p).unwrap_or_default();
        if let Some(quote) = quote {
            if self.src.get(p) != Some(&quote) {
                return false;
            }
            p += 1;
        }
        let spaced = self.pos > 0
            && self
                .src
                .get(self.pos - 1)
                .is_some_and(u8::is_ascii_whitespace);
        if self.language != Php && !indented && quote.is_none() && self.prev_is_value() && !spaced {
            return false;
        }
        let from = self.heredoc_end.unwrap_or(p);
        let body_start = find(self.src, from, b"\n").map_or(self.src.len(), |n| n + 1);
        let (body_end, resume) = self.heredoc_terminator(body_start, tag);
        self.heredoc_end = Some(resume);
        let body = self.src.get(body_start..body_end).unwrap_or_default();
        // PHP's body ends before the line break that precedes the closing tag.
        let body = match self.language {
            Php => body.strip_suffix(b"\n").unwrap_or(body),
            _ => body,
        };
        let literal = quote == Some(b'\'') || !self.interpolates(body);
        let text = literal.then(|| {
            let body = String::from_utf8_lossy(body);
            if squiggly {
                dedent(&body)
            } else {
                body.into_owned()
            }
        });
        self.pos = p;
        self.push(if quote == Some(b'`') {
            Token::Command(text)
        } else {
            Token::Str(text)
        });
        true
    }

    /// Where a heredoc body ends, and where lexing resumes: after the tag on the
    /// closing line (PHP code may continue there: `EOT);`).
    fn heredoc_terminator(&self, body_start: usize, tag: &[u8]) -> (usize, usize) {
        let len = self.src.len();
        let mut line = body_start;
        while line < len {
            let line_end = find(self.src, line, b"\n").unwrap_or(len);
            let text = self.src.get(line..line_end).unwrap_or_default();
            let indent = text
                .iter()
                .take_while(|c| matches!(c, b' ' | b'\t'))
                .count();
            let rest = text.get(indent..).unwrap_or_default();
            if let Some(after) = rest.strip_prefix(tag) {
                let closes = if self.language == Php {
                    after.first().is_none_or(|&c| !self.ident(c))
                } else {
                    after.iter().all(u8::is_ascii_whitespace)
                };
                if closes {
                    return (line, line + indent + tag.len());
                }
            }
            line = line_end + 1;
        }
        (len, len)
    }

    fn interpolates(&self, body: &[u8]) -> bool {
        body.windows(2).any(|pair| match (self.language, pair) {
            (Ruby, [b'#', next]) => matches!(next, b'{' | b'@' | b'$'),
            (Perl, [b'$' | b'@', next]) | (Php, [b'$', next]) => {
                next.is_ascii_alphabetic() || matches!(next, b'_' | b'{')
            }
            _ => false,
        })
    }
}

/// A `<<~` heredoc's body without the indentation its lines share.
fn dedent(body: &str) -> String {
    let indent = body
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.len() - line.trim_start().len())
        .min()
        .unwrap_or(0);
    body.split_inclusive('\n')
        .map(|line| line.get(indent..).unwrap_or_else(|| line.trim_start()))
        .collect()
}
