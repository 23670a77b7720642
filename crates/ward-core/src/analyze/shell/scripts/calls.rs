//! Calls in a token stream: a chain of names (`os.path.join`, `require('fs').rmSync`,
//! `File::Path::rmtree`, `$fs->remove`) followed by its arguments, in parentheses
//! or, in Perl and Ruby, without them (`system "ls"`). Imports and assignments that
//! rename a module or a function (`import subprocess as sp`,
//! `const { exec } = require('child_process')`) are followed, so that the table
//! sees the real name. Arguments are read as literals, lists of literals, or
//! "computed".

use super::Language::{JavaScript, Perl, Php, Python, Ruby};
use super::args::Arg;
use super::lex::Token;
use super::{Context, Effect, table};

mod names;

pub(super) use names::{canonical, normalize_module};

/// Arguments read per call; more are ignored.
const MAX_ARGS: usize = 32;
/// Tokens after a name that a call without parentheses may take.
const MAX_BARE_ARGS: usize = 64;
/// Calls chained on one another's results (`a(…).b(…).c(…)`).
const MAX_CHAINED_CALLS: usize = 16;

/// Words that end the arguments of a call without parentheses (`system "x" if y`).
const STATEMENT_WORDS: &[&str] = &[
    "if", "unless", "and", "or", "not", "do", "then", "while", "until", "for", "foreach", "rescue",
    "end", "xor", "else", "elsif",
];
/// Calls whose result is a module named by their first argument.
const LOADERS: &[&str] = &["require", "__import__", "importlib.import_module", "import"];
/// Keywords after which a name is being defined, not called.
const DEFINERS: &[&str] = &["def", "function", "sub", "class", "fn", "module"];
/// Objects whose properties JavaScript reaches by computed name to hide a call
/// (`global[name](…)`).
const JS_GLOBALS: &[&str] = &[
    "global",
    "globalThis",
    "window",
    "self",
    "this",
    "process",
    "Reflect",
];
/// Calls that build a path object, so that a method on their result acts on their
/// first argument (`Path("x").unlink()`).
const PATH_CONSTRUCTORS: &[&str] = &[
    "Path",
    "PurePath",
    "PosixPath",
    "WindowsPath",
    "Pathname",
    "Pathname.new",
];

/// A call as the table sees it.
pub(super) struct Call<'a, 't> {
    /// The resolved name: aliases expanded, `fs.promises.rm` as `fs.rm`.
    pub(super) name: &'a str,
    /// Set when the call is a method of another call's result; holds that call's
    /// literal path when it built a path (`Path("x").unlink()`).
    pub(super) receiver: Option<Option<String>>,
    pub(super) args: &'a [Arg<'t>],
}

/// Walks the tokens and hands each call to the table.
pub(super) struct Scanner<'t, 'c> {
    tokens: &'t [Token],
    /// For each opening bracket, the index of its closing one (or the end).
    closers: Vec<usize>,
    context: &'c mut Context,
}

impl<'t, 'c> Scanner<'t, 'c> {
    pub(super) fn new(tokens: &'t [Token], context: &'c mut Context) -> Self {
        Scanner {
            tokens,
            closers: closers(tokens),
            context,
        }
    }

    pub(super) fn run(&mut self) {
        let mut i = 0;
        while i < self.tokens.len() && self.context.calls <= super::MAX_CALLS {
            i = self.step(i).max(i + 1);
        }
    }

    fn token(&self, at: usize) -> Option<&'t Token> {
        self.tokens.get(at)
    }

    fn is_name(&self, at: usize, word: &str) -> bool {
        matches!(self.token(at), Some(Token::Name(name)) if name == word)
    }

    fn is_punct(&self, at: usize, c: u8) -> bool {
        self.token(at) == Some(&Token::Punct(c))
    }

    fn closer(&self, open: usize) -> usize {
        self.closers.get(open).copied().unwrap_or(self.tokens.len())
    }

    /// Handles the token at `at`; returns where to continue (inside a call's
    /// arguments, so that nested calls are seen too).
    fn step(&mut self, at: usize) -> usize {
        let language = self.context.language;
        let Some(token) = self.token(at) else {
            return at + 1;
        };
        match token {
            Token::Command(command) => {
                self.context.push(Effect::Shell(command.clone()));
                at + 1
            }
            Token::Punct(b'{') if language == JavaScript => {
                self.destructuring(at);
                at + 1
            }
            Token::Name(word) if !(at > 0 && self.token(at - 1) == Some(&Token::Dot)) => {
                match (language, word.as_str()) {
                    (Python, "import") => self.python_import(at + 1),
                    (Python, "from") => self.python_from(at + 1),
                    (JavaScript, "import") if !self.is_punct(at + 1, b'(') => {
                        self.js_import(at + 1)
                    }
                    (Ruby, "include" | "extend") => {
                        if let Some((module, _)) = self.dotted(at + 1) {
                            self.star_import(module);
                        }
                        at + 1
                    }
                    _ if at > 0
                        && matches!(self.token(at - 1), Some(Token::Name(d)) if DEFINERS.contains(&d.as_str())) =>
                    {
                        at + 1
                    }
                    _ => {
                        self.assignment(at);
                        self.chain(at)
                    }
                }
            }
            _ => at + 1,
        }
    }

    fn segments(&self, at: usize) -> Option<(Vec<&'t str>, usize)> {
        let Some(Token::Name(first)) = self.token(at) else {
            return None;
        };
        let mut segments = vec![first.as_str()];
        let end = self.extend(&mut segments, at + 1);
        Some((segments, end))
    }

    /// Adds `.member` (and JavaScript `["member"]`) segments; returns the index after.
    fn extend(&self, segments: &mut Vec<&'t str>, mut at: usize) -> usize {
        loop {
            match (self.token(at), self.token(at + 1), self.token(at + 2)) {
                (Some(Token::Dot), Some(Token::Name(member)), _) => {
                    segments.push(member);
                    at += 2;
                }
                (
                    Some(Token::Punct(b'[')),
                    Some(Token::Str(Some(member))),
                    Some(Token::Punct(b']')),
                ) if self.context.language == JavaScript => {
                    segments.push(member);
                    at += 3;
                }
                _ => return at,
            }
        }
    }

    /// A name chain and the calls on it (`Path("x").unlink()`,
    /// `getattr(os, "system")("ls")`). Returns where scanning continues: inside the
    /// first call's arguments, or after the chain.
    fn chain(&mut self, start: usize) -> usize {
        let Some((mut segments, mut at)) = self.segments(start) else {
            return start + 1;
        };
        let language = self.context.language;
        let mut prefix: Option<String> = None;
        let mut receiver = None;
        let mut resume = None;
        for _ in 0..MAX_CHAINED_CALLS {
            let name = self.resolve(prefix.as_deref(), &segments);
            match self.token(at) {
                Some(Token::Punct(b'(')) => {
                    let close = self.closer(at);
                    let args = self.split_args(at + 1, close);
                    resume.get_or_insert(at + 1);
                    let variable = prefix.is_none() && segments.len() == 1 && name.starts_with('$');
                    if language == Php && variable {
                        self.context.dynamic("calls a function named by a variable");
                    } else {
                        let call = Call {
                            name: &name,
                            receiver: receiver.take(),
                            args: &args,
                        };
                        table::apply(self.context, &call);
                    }
                    let after = close + 1;
                    if let Some(target) = self.getattr_target(&name, &args)
                        && self.is_punct(after, b'(')
                    {
                        (prefix, segments, at) = (Some(target), Vec::new(), after);
                        continue;
                    }
                    let mut members = Vec::new();
                    let next = self.extend(&mut members, after);
                    if members.is_empty() {
                        break;
                    }
                    (segments, at) = (members, next);
                    let (next_prefix, next_receiver) = self.result_of(&name, &args);
                    (prefix, receiver) = (Some(next_prefix), next_receiver);
                }
                Some(Token::Punct(b'['))
                    if language == JavaScript && self.is_punct(self.closer(at) + 1, b'(') =>
                {
                    let hidden = prefix.is_some()
                        || segments.first().is_some_and(|first| {
                            JS_GLOBALS.contains(first) || self.context.aliases.contains_key(*first)
                        });
                    if hidden {
                        self.context.dynamic("calls a property named at run time");
                    }
                    break;
                }
                Some(next) if self.takes_bare_arguments(&name, next) => {
                    let end = self.statement_end(at);
                    let args = self.split_args(at, end);
                    resume.get_or_insert(at);
                    let call = Call {
                        name: &name,
                        receiver: receiver.take(),
                        args: &args,
                    };
                    table::apply(self.context, &call);
                    break;
                }
                _ => break,
            }
        }
        resume.unwrap_or(at)
    }

    /// What a method called on a call's result belongs to: the module a loader
    /// loaded (no receiver), or the call itself (with its path, if it built one).
    fn result_of(&self, name: &str, args: &[Arg<'t>]) -> (String, Option<Option<String>>) {
        let first = args.first().and_then(|arg| arg.literal());
        if LOADERS.contains(&name)
            && let Some(module) = &first
        {
            return (normalize_module(module), None);
        }
        let builds_path = PATH_CONSTRUCTORS.iter().any(|constructor| {
            name == *constructor
                || name
                    .strip_suffix(constructor)
                    .is_some_and(|q| q.ends_with('.'))
        });
        (name.to_owned(), Some(first.filter(|_| builds_path)))
    }

    /// Perl and Ruby call without parentheses (`system "ls"`, `unlink $f`): only
    /// names the table knows, followed by something that starts an argument.
    fn takes_bare_arguments(&self, name: &str, next: &Token) -> bool {
        let starts_argument = match next {
            Token::Str(_) | Token::Command(_) | Token::Words(_) | Token::Num(_) => true,
            Token::Name(word) => !STATEMENT_WORDS.contains(&word.as_str()),
            Token::Punct(b'[') => self.context.language == Ruby,
            _ => false,
        };
        matches!(self.context.language, Perl | Ruby)
            && starts_argument
            && table::knows(self.context, name)
    }

    /// The end of a call's arguments without parentheses.
    fn statement_end(&self, start: usize) -> usize {
        let ruby = self.context.language == Ruby;
        let mut at = start;
        while at < self.tokens.len() && at < start + MAX_BARE_ARGS {
            match self.token(at) {
                Some(Token::Punct(b';' | b')' | b']' | b'}') | Token::Newline) => break,
                Some(Token::Punct(b'{')) if ruby => break,
                Some(Token::Name(word)) if STATEMENT_WORDS.contains(&word.as_str()) => break,
                Some(Token::Punct(b'(' | b'[' | b'{')) => at = self.closer(at) + 1,
                _ => at += 1,
            }
        }
        at.min(self.tokens.len())
    }

    /// The arguments between `start` and `end`, split at top-level commas.
    fn split_args(&self, start: usize, end: usize) -> Vec<Arg<'t>> {
        let mut args = Vec::new();
        let mut arg_start = start;
        let mut at = start;
        while at < end && args.len() < MAX_ARGS {
            match self.token(at) {
                Some(Token::Punct(b'(' | b'[' | b'{')) => at = (self.closer(at) + 1).min(end),
                Some(Token::Punct(b',')) => {
                    args.push(Arg::new(
                        self.tokens.get(arg_start..at).unwrap_or_default(),
                        self.context.language,
                    ));
                    at += 1;
                    arg_start = at;
                }
                _ => at += 1,
            }
        }
        if arg_start < end && args.len() < MAX_ARGS {
            args.push(Arg::new(
                self.tokens.get(arg_start..end).unwrap_or_default(),
                self.context.language,
            ));
        }
        args
    }
}

/// For each opening bracket, the index of its closing bracket (the end when it has
/// none); stray closing brackets are ignored.
fn closers(tokens: &[Token]) -> Vec<usize> {
    let mut closers = vec![tokens.len(); tokens.len()];
    let mut open: Vec<(usize, u8)> = Vec::new();
    for (at, token) in tokens.iter().enumerate() {
        let Token::Punct(c) = token else { continue };
        let opener = match c {
            b'(' | b'[' | b'{' => {
                open.push((at, *c));
                continue;
            }
            b')' => b'(',
            b']' => b'[',
            b'}' => b'{',
            _ => continue,
        };
        if open.last().is_some_and(|(_, o)| *o == opener)
            && let Some((start, _)) = open.pop()
            && let Some(slot) = closers.get_mut(start)
        {
            *slot = at;
        }
    }
    closers
}
