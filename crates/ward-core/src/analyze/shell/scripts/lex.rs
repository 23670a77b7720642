//! Tokens of a script in any of the five languages. Comments are dropped and
//! string literals decoded; the quoting forms that would fool a naive reader
//! (Python triple quotes, Perl `q{}`/`qw()`/`s///`, Ruby `%w[]`/`%x{}`, regex
//! literals, heredocs, PHP outside `<?php … ?>`) are read whole, so that text in a
//! string never looks like code. Every loop advances; unterminated constructs
//! swallow the rest of the input, which keeps the work linear.

use super::Language::{self, JavaScript, Perl, Php, Python, Ruby};

mod forms;
mod quotes;

/// How deep code interpolated in literals (`f"{f'{x}'}"`) is lexed.
const MAX_EMBEDDED_DEPTH: usize = 4;
/// Longest regex literal looked for (`/…/`), so a line full of slashes stays linear.
const MAX_REGEX: usize = 1024;

/// Names after which `/` starts a regex rather than dividing.
const OPERATOR_WORDS: &[&str] = &[
    "return",
    "typeof",
    "instanceof",
    "in",
    "of",
    "new",
    "delete",
    "void",
    "throw",
    "case",
    "do",
    "else",
    "yield",
    "await",
    "if",
    "elsif",
    "unless",
    "while",
    "until",
    "and",
    "or",
    "not",
    "when",
    "then",
    "split",
    "grep",
    "map",
    "join",
    "x",
    "lt",
    "gt",
    "le",
    "ge",
    "eq",
    "ne",
    "cmp",
    "puts",
    "print",
    "p",
    "scan",
    "match",
    "gsub",
    "sub",
    "index",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Token {
    /// An identifier or keyword, or a variable with its sigil (`$fh`, `@ARGV`).
    Name(String),
    /// A string literal: its value, or `None` when it interpolates run-time values
    /// (also regex literals, whose value matters to nobody).
    Str(Option<String>),
    /// Shell code in backticks, `qx//` or `%x{}`: `None` when interpolated.
    Command(Option<String>),
    /// A literal word list: Perl `qw(a b)`, Ruby `%w[a b]`.
    Words(Vec<String>),
    Num(String),
    /// Member access: `.` (Python, JavaScript, Ruby), `::`, `->`, `?.`, `&.`.
    Dot,
    /// `=>`: Perl's fat comma, hash pairs.
    Arrow,
    /// A Ruby line break outside brackets: the end of a statement.
    Newline,
    Punct(u8),
}

pub(super) fn tokenize(code: &str, language: Language) -> Vec<Token> {
    let mut lexer = Lexer::new(code.as_bytes(), language);
    lexer.run();
    lexer.tokens
}

struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    language: Language,
    tokens: Vec<Token>,
    /// Where lexing resumes at the end of a line that opened heredocs: after
    /// their bodies.
    heredoc_end: Option<usize>,
    /// Depth of `(` and `[`: Ruby line breaks inside them do not end statements.
    brackets: usize,
    /// Expressions interpolated in the literal being read (byte ranges), lexed
    /// when its token is pushed.
    embedded: Vec<(usize, usize)>,
    /// Nesting of interpolated code (`f"{f'{x}'}"`), against [`MAX_EMBEDDED_DEPTH`].
    depth: usize,
}

fn find(haystack: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let rest = haystack.get(from..)?;
    rest.windows(needle.len())
        .position(|window| window == needle)
        .map(|at| at + from)
}

fn words(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

impl<'a> Lexer<'a> {
    fn new(src: &'a [u8], language: Language) -> Lexer<'a> {
        Lexer {
            src,
            pos: 0,
            language,
            tokens: Vec::new(),
            heredoc_end: None,
            brackets: 0,
            embedded: Vec::new(),
            depth: 0,
        }
    }

    fn peek(&self, ahead: usize) -> u8 {
        self.src.get(self.pos + ahead).copied().unwrap_or(0)
    }

    fn rest(&self) -> &[u8] {
        self.src.get(self.pos..).unwrap_or_default()
    }

    fn text(&self, start: usize, end: usize) -> String {
        String::from_utf8_lossy(self.src.get(start..end).unwrap_or_default()).into_owned()
    }

    fn ident_start(&self, c: u8) -> bool {
        c.is_ascii_alphabetic()
            || c == b'_'
            || c >= 0x80
            || (c == b'$' && self.language == JavaScript)
    }

    fn ident(&self, c: u8) -> bool {
        self.ident_start(c) || c.is_ascii_digit()
    }

    /// Adds a token, then the code interpolated in it (if it is a literal that
    /// interpolates): each expression as its own parenthesised group, so that
    /// `f"{os.system('id')}"` is seen as the call it runs.
    fn push(&mut self, token: Token) {
        self.tokens.push(token);
        for (start, end) in std::mem::take(&mut self.embedded) {
            self.tokens.push(Token::Punct(b'('));
            if self.depth < MAX_EMBEDDED_DEPTH {
                let mut inner =
                    Lexer::new(self.src.get(start..end).unwrap_or_default(), self.language);
                inner.depth = self.depth + 1;
                inner.run();
                self.tokens.append(&mut inner.tokens);
            }
            self.tokens.push(Token::Punct(b')'));
        }
    }

    fn run(&mut self) {
        let mut in_html = self.language == Php && find(self.src, 0, b"<?").is_some();
        while self.pos < self.src.len() {
            if in_html {
                let Some(at) = find(self.src, self.pos, b"<?") else {
                    return;
                };
                self.pos = at + 2;
                if self.rest().starts_with(b"php") {
                    self.pos += 3;
                } else if self.peek(0) == b'=' {
                    self.pos += 1;
                }
                in_html = false;
                continue;
            }
            let c = self.peek(0);
            if c == b'\n' {
                self.newline();
            } else if c.is_ascii_whitespace() {
                self.pos += 1;
            } else if self.line_start() && self.skip_block_comment() || self.skip_comment() {
            } else if self.language == Php && c == b'?' && self.peek(1) == b'>' {
                self.pos += 2;
                self.push(Token::Punct(b';'));
                in_html = true;
            } else {
                self.token(c);
            }
        }
    }

    fn newline(&mut self) {
        let next = self.pos + 1;
        self.pos = self.heredoc_end.take().map_or(next, |end| end.max(next));
        let continues = matches!(
            self.tokens.last(),
            None | Some(
                Token::Newline
                    | Token::Dot
                    | Token::Arrow
                    | Token::Punct(b',' | b'\\' | b'+' | b'|' | b'&' | b'=' | b'(' | b'[')
            )
        );
        if self.language == Ruby && self.brackets == 0 && !continues {
            self.push(Token::Newline);
        }
    }

    fn line_start(&self) -> bool {
        self.pos == 0 || self.src.get(self.pos - 1) == Some(&b'\n')
    }

    /// Perl POD (`=pod … =cut`), Ruby `=begin … =end`, and `__END__`.
    fn skip_block_comment(&mut self) -> bool {
        if !matches!(self.language, Perl | Ruby) {
            return false;
        }
        let rest = self.rest();
        if rest.starts_with(b"__END__") || rest.starts_with(b"__DATA__") {
            self.pos = self.src.len();
            return true;
        }
        if !(rest.first() == Some(&b'=') && rest.get(1).is_some_and(u8::is_ascii_alphabetic)) {
            return false;
        }
        let end: &[u8] = if self.language == Ruby {
            b"=end"
        } else {
            b"=cut"
        };
        let mut line = self.pos;
        loop {
            let line_end = find(self.src, line, b"\n").unwrap_or(self.src.len());
            if line_end >= self.src.len()
                || self.src.get(line..).is_some_and(|l| l.starts_with(end))
            {
                self.pos = line_end;
                return true;
            }
            line = line_end + 1;
        }
    }

    fn skip_comment(&mut self) -> bool {
        let (c, next) = (self.peek(0), self.peek(1));
        let line_comment = match self.language {
            Python | Ruby | Perl => c == b'#',
            Php => (c == b'#' && next != b'[') || (c == b'/' && next == b'/'),
            JavaScript => {
                (c == b'/' && next == b'/') || (c == b'#' && next == b'!' && self.pos == 0)
            }
        };
        if line_comment {
            self.pos = find(self.src, self.pos, b"\n").unwrap_or(self.src.len());
            return true;
        }
        if matches!(self.language, JavaScript | Php) && c == b'/' && next == b'*' {
            self.pos = find(self.src, self.pos + 2, b"*/").map_or(self.src.len(), |end| end + 2);
            return true;
        }
        false
    }

    fn token(&mut self, c: u8) {
        let next = self.peek(1);
        let sigils = matches!(self.language, Perl | Php | Ruby);
        match c {
            b'\'' | b'"' if self.language == Python => self.python_string("", c),
            b'\'' | b'"' => self.plain_string(c),
            b'`' => self.backtick(),
            b'0'..=b'9' => self.number(),
            _ if self.ident_start(c) => self.word(),
            b'$' if sigils => self.variable(),
            b'@' if matches!(self.language, Perl | Ruby)
                && (self.ident_start(next) || matches!(next, b'@' | b'$' | b'{')) =>
            {
                self.variable()
            }
            b':' => self.colon(),
            b'-' if next == b'>' && matches!(self.language, Perl | Php) => self.dot(2),
            b'?' if next == b'.'
                && self.language == JavaScript
                && !self.peek(2).is_ascii_digit() =>
            {
                self.dot(2)
            }
            b'?' if next == b'-' && self.peek(2) == b'>' && self.language == Php => self.dot(3),
            b'&' if next == b'.' && self.language == Ruby => self.dot(2),
            b'=' if next == b'>' => {
                self.pos += 2;
                self.push(Token::Arrow);
            }
            b'.' => self.period(),
            b'/' if matches!(self.language, JavaScript | Ruby | Perl) && self.regex() => {}
            b'%' if self.language == Ruby && self.percent_literal() => {}
            b'<' if next == b'<' && self.heredoc() => {}
            _ => {
                self.pos += 1;
                match c {
                    b'(' | b'[' => self.brackets += 1,
                    b')' | b']' => self.brackets = self.brackets.saturating_sub(1),
                    _ => {}
                }
                self.push(Token::Punct(c));
            }
        }
    }

    fn dot(&mut self, width: usize) {
        self.pos += width;
        self.push(Token::Dot);
    }

    fn period(&mut self) {
        let run = self.rest().iter().take_while(|&&c| c == b'.').count();
        self.pos += run;
        let member = run == 1 && matches!(self.language, Python | JavaScript | Ruby);
        self.push(if member {
            Token::Dot
        } else {
            Token::Punct(b'.')
        });
    }

    fn number(&mut self) {
        let start = self.pos;
        while self.pos < self.src.len() {
            let c = self.peek(0);
            if c.is_ascii_alphanumeric()
                || c == b'_'
                || (c == b'.' && self.peek(1).is_ascii_digit())
            {
                self.pos += 1;
            } else {
                break;
            }
        }
        let number = self.text(start, self.pos);
        self.push(Token::Num(number));
    }

    fn word(&mut self) {
        let start = self.pos;
        while self.pos < self.src.len() && self.ident(self.peek(0)) {
            self.pos += 1;
        }
        if self.language == Ruby && matches!(self.peek(0), b'?' | b'!') && self.peek(1) != b'=' {
            self.pos += 1;
        }
        let word = self.text(start, self.pos);
        let quote = self.peek(0);
        let string_prefix = word.len() <= 2 && word.bytes().all(|b| b"rRbBfFuU".contains(&b));
        if self.language == Python && matches!(quote, b'\'' | b'"') && string_prefix {
            self.python_string(&word, quote);
        } else if !(self.language == Perl && self.perl_quote_like(&word)) {
            self.push(Token::Name(word));
        }
    }

    /// `$name`, `@name`, `@@name`, `$File::Find::name`, and Perl's `$_`, `$0`, `$#a`.
    fn variable(&mut self) {
        let start = self.pos;
        self.pos += 1;
        if self.language == Ruby && self.peek(0) == b'@' {
            self.pos += 1;
        }
        let c = self.peek(0);
        if self.ident(c) {
            loop {
                while self.pos < self.src.len() && self.ident(self.peek(0)) {
                    self.pos += 1;
                }
                let package = self.peek(0) == b':' && self.peek(1) == b':';
                if self.language == Perl && package && self.ident_start(self.peek(2)) {
                    self.pos += 2;
                    continue;
                }
                break;
            }
        } else if matches!(self.language, Perl | Ruby)
            && c.is_ascii_punctuation()
            && !b"(){}[]'\"`".contains(&c)
        {
            self.pos += 1;
        }
        let name = self.text(start, self.pos);
        self.push(Token::Name(name));
    }

    fn colon(&mut self) {
        let next = self.peek(1);
        if next == b':' && matches!(self.language, Perl | Ruby | Php) {
            return self.dot(2);
        }
        let symbol_may_start = self.pos == 0
            || self
                .src
                .get(self.pos - 1)
                .is_some_and(|b| b" \t\n(,[{=|>!".contains(b));
        if self.language == Ruby && self.ident_start(next) && symbol_may_start {
            self.pos += 1;
            let start = self.pos;
            while self.pos < self.src.len() && self.ident(self.peek(0)) {
                self.pos += 1;
            }
            let symbol = self.text(start, self.pos);
            return self.push(Token::Str(Some(symbol)));
        }
        self.pos += 1;
        self.push(Token::Punct(b':'));
    }

    fn prev_is_value(&self) -> bool {
        match self.tokens.last() {
            Some(Token::Name(word)) => !OPERATOR_WORDS.contains(&word.as_str()),
            Some(Token::Str(_) | Token::Command(_) | Token::Words(_) | Token::Num(_)) => true,
            Some(Token::Punct(c)) => matches!(c, b')' | b']' | b'}'),
            _ => false,
        }
    }
}
