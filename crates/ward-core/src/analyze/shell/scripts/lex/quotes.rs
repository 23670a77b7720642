//! String literals: quoting, escapes and interpolation.

use super::Language::{JavaScript, Perl, Php, Python, Ruby};
use super::{Lexer, Token};

/// Which backslash escapes a literal decodes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Escapes {
    /// `\n`, `\t`, `\xHH`, `\"`, …
    Full,
    /// Only `\\` and the delimiters (single quotes in Perl, Ruby, PHP).
    Single,
    /// None: the backslash stays (Python raw strings, regexes).
    Raw,
}

/// How a literal embeds run-time values.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Interpolation {
    None,
    /// `$var`, `@var` (Perl and PHP double quotes).
    Sigils,
    /// `#{…}` (Ruby).
    HashBrace,
    /// `${…}` (JavaScript templates).
    DollarBrace,
    /// `{…}` (Python f-strings).
    PythonBrace,
}

#[derive(Clone, Copy)]
pub(super) struct Quote {
    pub(super) open: u8,
    pub(super) close: u8,
    escapes: Escapes,
    interpolation: Interpolation,
    triple: bool,
}

impl Quote {
    pub(super) fn new(open: u8, escapes: Escapes, interpolation: Interpolation) -> Quote {
        let close = match open {
            b'(' => b')',
            b'[' => b']',
            b'{' => b'}',
            b'<' => b'>',
            other => other,
        };
        Quote {
            open,
            close,
            escapes,
            interpolation,
            triple: false,
        }
    }
}

impl Lexer<'_> {
    pub(super) fn plain_string(&mut self, quote: u8) {
        let (escapes, interpolation) = match (self.language, quote) {
            (Python | JavaScript, _) => (Escapes::Full, Interpolation::None),
            (_, b'\'') => (Escapes::Single, Interpolation::None),
            (Ruby, _) => (Escapes::Full, Interpolation::HashBrace),
            (Perl | Php, _) => (Escapes::Full, Interpolation::Sigils),
        };
        self.pos += 1;
        let value = self.literal(Quote::new(quote, escapes, interpolation));
        self.push(Token::Str(value));
    }

    pub(super) fn python_string(&mut self, prefix: &str, quote: u8) {
        let raw = prefix.contains(['r', 'R']);
        let formatted = prefix.contains(['f', 'F']);
        let mut spec = Quote::new(
            quote,
            if raw { Escapes::Raw } else { Escapes::Full },
            if formatted {
                Interpolation::PythonBrace
            } else {
                Interpolation::None
            },
        );
        if self.peek(1) == quote && self.peek(2) == quote {
            spec.triple = true;
            self.pos += 3;
        } else {
            self.pos += 1;
        }
        let value = self.literal(spec);
        self.push(Token::Str(value));
    }

    pub(super) fn backtick(&mut self) {
        self.pos += 1;
        let token = match self.language {
            Python => Token::Punct(b'`'),
            JavaScript => Token::Str(self.literal(Quote::new(
                b'`',
                Escapes::Full,
                Interpolation::DollarBrace,
            ))),
            Ruby => Token::Command(self.literal(Quote::new(
                b'`',
                Escapes::Full,
                Interpolation::HashBrace,
            ))),
            Perl | Php => {
                Token::Command(self.literal(Quote::new(b'`', Escapes::Full, Interpolation::Sigils)))
            }
        };
        self.push(token);
    }

    pub(super) fn literal(&mut self, quote: Quote) -> Option<String> {
        let (bytes, computed) = self.read_quoted(quote);
        (!computed).then(|| String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Reads a literal from just after its opening delimiter to just after its
    /// closing one: the decoded bytes, and whether it interpolates.
    pub(super) fn read_quoted(&mut self, quote: Quote) -> (Vec<u8>, bool) {
        let mut value = Vec::new();
        let mut computed = false;
        let mut depth = 0usize;
        let nests = quote.open != quote.close;
        while self.pos < self.src.len() {
            let (c, next) = (self.peek(0), self.peek(1));
            if quote.triple {
                if c == quote.close && next == quote.close && self.peek(2) == quote.close {
                    self.pos += 3;
                    return (value, computed);
                }
            } else if c == quote.close {
                if depth == 0 {
                    self.pos += 1;
                    return (value, computed);
                }
                depth -= 1;
            } else if nests && c == quote.open {
                depth += 1;
            }
            if c == b'\\' {
                self.escape(quote, &mut value);
                continue;
            }
            let interpolates = match quote.interpolation {
                Interpolation::None => false,
                Interpolation::Sigils => {
                    (c == b'$' || (c == b'@' && self.language == Perl))
                        && (next.is_ascii_alphabetic() || matches!(next, b'_' | b'{' | b'$'))
                }
                Interpolation::HashBrace => c == b'#' && matches!(next, b'{' | b'@' | b'$'),
                Interpolation::DollarBrace => c == b'$' && next == b'{',
                Interpolation::PythonBrace => c == b'{' && next != b'{',
            };
            if interpolates {
                computed = true;
                if c == b'{' || next == b'{' {
                    let open = if c == b'{' { self.pos } else { self.pos + 1 };
                    self.pos = self.skip_braces(open);
                    let inside = (open + 1, self.pos.saturating_sub(1).max(open + 1));
                    self.embedded.push(inside);
                    continue;
                }
            } else if quote.interpolation == Interpolation::PythonBrace
                && matches!(c, b'{' | b'}')
                && next == c
            {
                self.pos += 1;
            }
            value.push(c);
            self.pos += 1;
        }
        (value, computed)
    }

    fn escape(&mut self, quote: Quote, value: &mut Vec<u8>) {
        if self.pos + 1 >= self.src.len() {
            self.pos = self.src.len();
            return;
        }
        let next = self.peek(1);
        self.pos += 2;
        match quote.escapes {
            Escapes::Raw => value.extend([b'\\', next]),
            Escapes::Single if next == b'\\' || next == quote.close || next == quote.open => {
                value.push(next)
            }
            Escapes::Single => value.extend([b'\\', next]),
            Escapes::Full => match next {
                b'n' => value.push(b'\n'),
                b't' => value.push(b'\t'),
                b'r' => value.push(b'\r'),
                b'0' => value.push(0),
                b'a' => value.push(7),
                b'e' => value.push(0x1b),
                b'\n' => {}
                b'x' => self.hex_escape(2, b'x', value),
                b'u' => self.hex_escape(4, b'u', value),
                b'\\' | b'\'' | b'"' => value.push(next),
                other if self.language == Python => value.extend([b'\\', other]),
                other => value.push(other),
            },
        }
    }

    /// `\xHH` and `\uHHHH`, which obfuscated code uses to spell names.
    fn hex_escape(&mut self, digits: usize, letter: u8, value: &mut Vec<u8>) {
        let hex = self
            .src
            .get(self.pos..self.pos + digits)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit));
        let decoded = hex
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .and_then(char::from_u32);
        match decoded {
            Some(ch) => {
                let mut buffer = [0; 4];
                value.extend_from_slice(ch.encode_utf8(&mut buffer).as_bytes());
                self.pos += digits;
            }
            None => value.push(letter),
        }
    }

    /// Skips a `{…}` group inside a literal (an interpolated expression), with the
    /// strings inside it. Returns the position after the closing brace.
    pub(super) fn skip_braces(&self, open: usize) -> usize {
        let mut depth = 0usize;
        let mut p = open;
        while let Some(&c) = self.src.get(p) {
            match c {
                b'{' => depth += 1,
                b'}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return p + 1;
                    }
                }
                b'\\' => p += 1,
                b'\'' | b'"' | b'`' => {
                    p += 1;
                    while self.src.get(p).is_some_and(|&d| d != c) {
                        p += if self.src.get(p) == Some(&b'\\') {
                            2
                        } else {
                            1
                        };
                    }
                }
                _ => {}
            }
            p += 1;
        }
        self.src.len()
    }
}
