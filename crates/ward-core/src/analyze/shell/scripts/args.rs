//! The arguments of a call, read as a literal, a list of literals, or computed.
//! Only what is written in the script counts: a variable, a call's result or an
//! interpolated string is computed, and the table reports it as unknown.

use super::Language::{self, Perl, Php, Python, Ruby};
use super::lex::Token;

/// Tokens in an argument that are looked into: a longer argument is computed.
const MAX_ARG_TOKENS: usize = 256;
/// Tokens searched inside an argument for a setting or an address.
const MAX_SEARCH: usize = 64;

/// One argument: its keyword (`shell=True`, `in: s`, `PeerAddr => …`) if any, and
/// the tokens of its value.
#[derive(Debug, Clone, Copy)]
pub(super) struct Arg<'t> {
    pub(super) key: Option<&'t str>,
    pub(super) tokens: &'t [Token],
    language: Language,
}

/// What an argument's value is known to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Value {
    /// A string (or number) written out, possibly as a concatenation of literals.
    Literal(String),
    /// A list or tuple of literals (`["rm", "-rf", "x"]`, `qw(a b)`, `%w[a b]`).
    List(Vec<String>),
    /// A list written out with some element computed.
    ComputedList,
    Computed,
}

impl<'t> Arg<'t> {
    pub(super) fn new(tokens: &'t [Token], language: Language) -> Arg<'t> {
        let key = match tokens {
            [Token::Name(key), Token::Punct(b'='), rest @ ..]
                if language == Python && rest.first() != Some(&Token::Punct(b'=')) =>
            {
                Some(key)
            }
            [Token::Name(key), Token::Punct(b':'), ..] if language == Ruby => Some(key),
            [Token::Name(key) | Token::Str(Some(key)), Token::Arrow, ..]
                if matches!(language, Perl | Ruby | Php) =>
            {
                Some(key)
            }
            _ => None,
        };
        match key {
            Some(key) => Arg {
                key: Some(key.as_str()),
                tokens: tokens.get(2..).unwrap_or_default(),
                language,
            },
            None => Arg {
                key: None,
                tokens,
                language,
            },
        }
    }

    pub(super) fn value(&self) -> Value {
        let tokens = self.tokens;
        if tokens.is_empty() || tokens.len() > MAX_ARG_TOKENS {
            return Value::Computed;
        }
        if let [Token::Words(words)] = tokens {
            return Value::List(words.clone());
        }
        if let Some(text) = literal(tokens, self.language) {
            return Value::Literal(text);
        }
        let inner = match tokens {
            [Token::Punct(b'['), inner @ .., Token::Punct(b']')]
            | [Token::Punct(b'('), inner @ .., Token::Punct(b')')]
                if balanced(inner) =>
            {
                inner
            }
            [
                Token::Name(array),
                Token::Punct(b'('),
                inner @ ..,
                Token::Punct(b')'),
            ] if self.language == Php && array.eq_ignore_ascii_case("array") && balanced(inner) => {
                inner
            }
            _ => return Value::Computed,
        };
        let mut items = Vec::new();
        for element in split_commas(inner) {
            match literal(element, self.language) {
                Some(text) => items.push(text),
                None if element.is_empty() => {}
                None => return Value::ComputedList,
            }
        }
        Value::List(items)
    }

    pub(super) fn literal(&self) -> Option<String> {
        match self.value() {
            Value::Literal(text) => Some(text),
            _ => None,
        }
    }

    pub(super) fn is_true(&self) -> bool {
        matches!(self.tokens, [Token::Name(word)] if word == "True" || word == "true")
            || matches!(self.tokens, [Token::Num(number)] if number == "1")
    }

    /// An object or hash literal (options, not a list of arguments).
    pub(super) fn is_object(&self) -> bool {
        self.tokens.first() == Some(&Token::Punct(b'{'))
    }

    pub(super) fn mentions(&self, names: &[&str]) -> bool {
        self.tokens
            .iter()
            .take(MAX_SEARCH)
            .any(|token| matches!(token, Token::Name(name) if names.contains(&name.as_str())))
    }
}

/// A literal: one string or number, or strings joined with `+` (`.` in Perl and
/// PHP, or side by side in Python and Ruby).
fn literal(tokens: &[Token], language: Language) -> Option<String> {
    if let [Token::Num(number)] = tokens {
        return Some(number.clone());
    }
    if let Some(home) = home_expression(tokens) {
        return Some(home);
    }
    let join = if matches!(language, Perl | Php) {
        b'.'
    } else {
        b'+'
    };
    let adjacent = matches!(language, Python | Ruby);
    let mut text = String::new();
    let mut expect_string = true;
    for token in tokens {
        match token {
            Token::Str(Some(part)) if expect_string || adjacent => {
                text.push_str(part);
                expect_string = false;
            }
            Token::Punct(c) if *c == join && !expect_string => expect_string = true,
            _ => return None,
        }
    }
    (!expect_string).then_some(text)
}

/// Stands for the user's home directory in a literal: the shell analysis replaces
/// it with the home it knows (`HOME_MARKER` + `/rest`).
pub(in crate::analyze::shell) const HOME_MARKER: &str = "\u{0}home";

/// The expressions that mean the user's home directory in each language
/// (`os.path.expanduser('~')`, `Path.home()`, `os.homedir()`, `process.env.HOME`,
/// `Dir.home`, `ENV['HOME']`, `$ENV{HOME}`, `getenv('HOME')`): known values, so
/// `shutil.rmtree(os.path.expanduser('~'))` deletes the home directory as plainly
/// as `rm -rf ~`.
fn home_expression(tokens: &[Token]) -> Option<String> {
    let name = |token: &Token, names: &[&str]| matches!(token, Token::Name(n) if names.contains(&n.as_str()));
    let is_home = |text: &str| text == "HOME";
    match tokens {
        // expanduser("~/x"), File.expand_path("~")
        [
            ..,
            Token::Name(call),
            Token::Punct(b'('),
            Token::Str(Some(path)),
            Token::Punct(b')'),
        ] if matches!(call.as_str(), "expanduser" | "expand_path" | "glob") => {
            let rest = path.strip_prefix('~')?;
            (rest.is_empty() || rest.starts_with('/')).then(|| format!("{HOME_MARKER}{rest}"))
        }
        // getenv("HOME"), os.environ.get("HOME")
        [
            ..,
            Token::Name(call),
            Token::Punct(b'('),
            Token::Str(Some(variable)),
            Token::Punct(b')'),
        ] if matches!(call.as_str(), "getenv" | "get" | "fetch") && is_home(variable) => {
            Some(HOME_MARKER.to_owned())
        }
        // Path.home(), os.homedir(), Dir.home()
        [
            ..,
            Token::Dot,
            Token::Name(call),
            Token::Punct(b'('),
            Token::Punct(b')'),
        ] if matches!(call.as_str(), "home" | "homedir") => Some(HOME_MARKER.to_owned()),
        // Dir.home (Ruby, no parentheses), process.env.HOME
        [.., owner, Token::Dot, Token::Name(member)]
            if (member == "home" && name(owner, &["Dir"]))
                || (is_home(member) && name(owner, &["env"])) =>
        {
            Some(HOME_MARKER.to_owned())
        }
        // os.environ["HOME"], ENV['HOME'], $_SERVER['HOME']
        [
            ..,
            owner,
            Token::Punct(b'['),
            Token::Str(Some(variable)),
            Token::Punct(b']'),
        ] if is_home(variable) && name(owner, &["environ", "ENV", "$_SERVER", "$_ENV"]) => {
            Some(HOME_MARKER.to_owned())
        }
        // Perl: $ENV{HOME}
        [
            Token::Name(hash),
            Token::Punct(b'{'),
            Token::Name(variable) | Token::Str(Some(variable)),
            Token::Punct(b'}'),
        ] if hash == "$ENV" && is_home(variable) => Some(HOME_MARKER.to_owned()),
        _ => None,
    }
}

/// Whether brackets inside `tokens` pair up, so that the outer pair encloses all.
fn balanced(tokens: &[Token]) -> bool {
    let mut depth = 0usize;
    for token in tokens {
        match token {
            Token::Punct(b'(' | b'[' | b'{') => depth += 1,
            Token::Punct(b')' | b']' | b'}') => match depth.checked_sub(1) {
                Some(less) => depth = less,
                None => return false,
            },
            _ => {}
        }
    }
    depth == 0
}

fn split_commas(tokens: &[Token]) -> Vec<&[Token]> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (at, token) in tokens.iter().enumerate() {
        match token {
            Token::Punct(b'(' | b'[' | b'{') => depth += 1,
            Token::Punct(b')' | b']' | b'}') => depth = depth.saturating_sub(1),
            Token::Punct(b',') if depth == 0 => {
                parts.push(tokens.get(start..at).unwrap_or_default());
                start = at + 1;
            }
            _ => {}
        }
    }
    parts.push(tokens.get(start..).unwrap_or_default());
    parts
}

/// The arguments without a keyword, in order.
pub(super) fn positional<'a, 't>(args: &'a [Arg<'t>]) -> Vec<&'a Arg<'t>> {
    args.iter().filter(|arg| arg.key.is_none()).collect()
}

/// A setting by name: a keyword argument (`shell=True`), or a field of an options
/// object or hash (`{ shell: true }`, `PeerAddr => "h"`). Its value is one token.
pub(super) fn setting<'t>(args: &[Arg<'t>], names: &[&str]) -> Option<Arg<'t>> {
    for arg in args {
        if arg.key.is_some_and(|key| names.contains(&key)) {
            return Some(Arg { key: None, ..*arg });
        }
        let window = arg
            .tokens
            .get(..arg.tokens.len().min(MAX_SEARCH))
            .unwrap_or_default();
        for (at, triple) in window.windows(3).enumerate() {
            if let [
                Token::Name(name) | Token::Str(Some(name)),
                Token::Punct(b':' | b'=') | Token::Arrow,
                _,
            ] = triple
                && names.contains(&name.as_str())
            {
                let value = arg.tokens.get(at + 2..at + 3).unwrap_or_default();
                return Some(Arg {
                    key: None,
                    tokens: value,
                    language: arg.language,
                });
            }
        }
    }
    None
}

/// The first string literal in the arguments that passes `test` (a URL inside
/// `URI("…")`, an address inside a nested call).
pub(super) fn literal_matching(args: &[Arg<'_>], test: impl Fn(&str) -> bool) -> Option<String> {
    args.iter()
        .flat_map(|arg| arg.tokens.iter().take(MAX_SEARCH))
        .find_map(|token| match token {
            Token::Str(Some(text)) if test(text) => Some(text.clone()),
            _ => None,
        })
}
