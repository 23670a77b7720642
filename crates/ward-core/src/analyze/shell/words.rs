//! Word expansion: a word of the syntax tree as the program would receive it.
//!
//! Quotes and escapes are removed, `~` and the variables known in the line are
//! substituted, unquoted expansions are split into fields and brace expansion is
//! applied. Command substitutions are analysed as shell code, but their output is
//! not known. Whatever cannot be known stays in the text as written and makes the
//! word [`Origin::Dynamic`] (or [`Origin::Remote`]), so that a target built from it
//! is reported as unknown rather than guessed. Globs are kept as written.

use brush_parser::word::{
    self, BraceExpressionMember, BraceExpressionOrText, Parameter, ParameterExpr,
    ParameterTestType, SpecialParameter, TildeExpr, WordPiece, WordPieceWithSource,
};

use super::super::paths::expand_home;
use super::no_slash::{NO_SLASH, NUMBERS, date_format_without_slash};
use super::trim::{self, trim_request};
use super::walk::{Value, Walker};
use super::{guarded, parser_options};

/// The most words one brace expansion (`{a,b}{c,d}`) may give before analysis
/// gives up on it.
const MAX_BRACE_WORDS: usize = 256;

/// The most `{` in one word that brace expansion is attempted on.
const MAX_BRACES_PER_WORD: usize = 8;

/// Where the text of a word came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Origin {
    /// Written in the line (after quote removal and substitution of known values).
    Literal,
    /// Depends on what is only known when the line runs: an unset variable, the
    /// output of a command.
    Dynamic,
    /// Depends on the output of a program that fetches from the network.
    Remote,
    /// Depends on text decoded from a form nobody reads (`$(echo … | base64 -d)`).
    Hidden,
    /// A process substitution (`<(…)`): a pipe, not a file.
    Pipe {
        /// Whether the pipe carries the output of a network program.
        remote: bool,
    },
}

impl Origin {
    /// The origin of text made of parts of both origins.
    fn join(self, other: Origin) -> Origin {
        match (self, other) {
            (Origin::Remote | Origin::Pipe { remote: true }, _)
            | (_, Origin::Remote | Origin::Pipe { remote: true }) => Origin::Remote,
            (Origin::Literal, Origin::Literal) => Origin::Literal,
            (Origin::Hidden, _) | (_, Origin::Hidden) => Origin::Hidden,
            _ => Origin::Dynamic,
        }
    }
}

/// One argument after expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Arg {
    /// The text the program receives; unknown parts are left as written (`$X`).
    pub(super) text: String,
    /// Where the text came from.
    pub(super) origin: Origin,
}

impl Arg {
    /// An argument known exactly.
    pub(super) fn literal(text: impl Into<String>) -> Arg {
        Arg {
            text: text.into(),
            origin: Origin::Literal,
        }
    }

    /// Whether the text is known exactly.
    pub(super) fn is_literal(&self) -> bool {
        self.origin == Origin::Literal
    }
}

/// Collects the fields of one word as its pieces are expanded.
struct Fields {
    /// Whether unquoted expansions are split on blanks (not in assignments).
    split: bool,
    done: Vec<Arg>,
    text: String,
    origin: Origin,
    /// Whether the current field exists even if empty (`""` gives one empty field).
    started: bool,
    /// The characters unquoted expansions are split on: `IFS` if the line set it
    /// (`IFS=,; cmd=rm,-rf,/; $cmd` runs `rm -rf /`), else blanks.
    separators: Option<String>,
}

impl Fields {
    fn new(split: bool) -> Fields {
        Fields {
            separators: None,
            split,
            done: Vec::new(),
            text: String::new(),
            origin: Origin::Literal,
            started: false,
        }
    }

    /// Adds quoted text: never split, and makes the field exist.
    fn quoted(&mut self, text: &str) {
        self.text.push_str(text);
        self.started = true;
    }

    /// Adds unquoted literal text.
    fn unquoted(&mut self, text: &str) {
        if !text.is_empty() {
            self.text.push_str(text);
            self.started = true;
        }
    }

    /// Adds the value of an expansion, split into fields unless quoted.
    fn value(&mut self, value: &str, quoted: bool) {
        if quoted || !self.split {
            self.quoted(value);
            return;
        }
        let separators = self.separators.take();
        let mut parts = value.split(|c: char| match &separators {
            Some(separators) => separators.contains(c),
            None => matches!(c, ' ' | '\t' | '\n'),
        });
        if let Some(first) = parts.next() {
            self.unquoted(first);
        }
        for part in parts {
            self.end_field();
            self.unquoted(part);
        }
        self.separators = separators;
    }

    /// Adds text only known when the line runs, kept as written.
    fn unknown(&mut self, written: &str, origin: Origin) {
        self.text.push_str(written);
        self.started = true;
        self.origin = self.origin.join(origin);
    }

    fn end_field(&mut self) {
        if self.started {
            self.done.push(Arg {
                text: std::mem::take(&mut self.text),
                origin: std::mem::replace(&mut self.origin, Origin::Literal),
            });
            self.started = false;
        }
    }

    fn into_fields(mut self) -> Vec<Arg> {
        self.end_field();
        self.done
    }

    /// Everything as one argument (for expansions that are not split).
    fn into_single(self) -> Arg {
        let mut text = String::new();
        let mut origin = Origin::Literal;
        for field in self.done {
            text.push_str(&field.text);
            origin = origin.join(field.origin);
        }
        text.push_str(&self.text);
        Arg {
            text,
            origin: origin.join(self.origin),
        }
    }
}

impl Walker<'_> {
    /// Expands a command word into the arguments it gives (none, one or several).
    pub(super) fn expand_fields(&mut self, word: &str) -> Vec<Arg> {
        if let Some(alternatives) = self.brace_alternatives(word) {
            let mut out = Vec::new();
            for alternative in &alternatives {
                let mut fields = self.split_fields();
                self.expand_into(alternative, false, &mut fields);
                out.extend(fields.into_fields());
            }
            return out;
        }
        let mut fields = self.split_fields();
        self.expand_into(word, false, &mut fields);
        fields.into_fields()
    }

    /// Fields split on `IFS` when the line set it to known characters, else on
    /// blanks.
    fn split_fields(&self) -> Fields {
        let mut fields = Fields::new(true);
        if let Some(Value::Set(separators)) = self.scope.variable("IFS") {
            fields.separators = Some(separators.clone());
        }
        fields
    }

    /// Expands a word that is not split into fields (an assignment's value, a
    /// redirection's target, a here-string).
    pub(super) fn expand_single(&mut self, word: &str) -> Arg {
        let mut fields = Fields::new(false);
        self.expand_into(word, false, &mut fields);
        fields.into_single()
    }

    /// Expands a heredoc's body as the shell would before feeding it to the program.
    pub(super) fn expand_heredoc(&mut self, body: &str) -> Arg {
        if !body.contains(['$', '`', '\\']) {
            return Arg::literal(body);
        }
        match guarded(|| word::parse_heredoc(body, &parser_options())) {
            Some(Ok(pieces)) => {
                let mut fields = Fields::new(false);
                self.expand_pieces(&pieces, body, true, &mut fields);
                fields.into_single()
            }
            Some(Err(_)) | None => {
                self.opaque("cannot parse the expansions of a heredoc".to_owned());
                Arg {
                    text: body.to_owned(),
                    origin: Origin::Dynamic,
                }
            }
        }
    }

    /// Analyses the command substitutions in a text whose value does not matter
    /// (an arithmetic expression, an unused default value).
    pub(super) fn scan(&mut self, text: &str) {
        if text.contains(['$', '`']) {
            let mut sink = Fields::new(false);
            self.expand_into(text, false, &mut sink);
        }
    }

    fn expand_into(&mut self, word: &str, quoted: bool, fields: &mut Fields) {
        let special = |byte: u8| matches!(byte, b'\'' | b'"' | b'\\' | b'$' | b'`' | b'~');
        if !word.bytes().any(special) {
            if quoted {
                fields.quoted(word);
            } else {
                fields.unquoted(word);
            }
            return;
        }
        if !quoted && let Some(pieces) = simple_pieces(word) {
            self.expand_simple(&pieces, fields);
            return;
        }
        match guarded(|| word::parse(word, &parser_options())) {
            Some(Ok(pieces)) => self.expand_pieces(&pieces, word, quoted, fields),
            Some(Err(_)) | None => {
                self.opaque(format!("cannot parse the word `{word}`"));
                fields.unknown(word, Origin::Dynamic);
            }
        }
    }

    /// Expands the pieces of a simple word (see [`simple_pieces`]) exactly as
    /// [`Self::expand_pieces`] expands what brush-parser makes of it.
    fn expand_simple(&mut self, pieces: &[SimplePiece<'_>], fields: &mut Fields) {
        for piece in pieces {
            match *piece {
                SimplePiece::Text(text) => fields.unquoted(text),
                SimplePiece::Quoted(text) => fields.quoted(text),
                SimplePiece::Variable {
                    name,
                    written,
                    quoted,
                } => match self.lookup_named(name) {
                    Value::Set(value) => fields.value(&value, quoted),
                    Value::Unset => {}
                    Value::Unknown => fields.unknown(written, Origin::Dynamic),
                    Value::Tainted(origin) => fields.unknown(written, origin),
                },
            }
        }
    }

    fn expand_pieces(
        &mut self,
        pieces: &[WordPieceWithSource],
        word: &str,
        quoted: bool,
        fields: &mut Fields,
    ) {
        for piece in pieces {
            let written = word.get(piece.start_index..piece.end_index).unwrap_or("");
            match &piece.piece {
                WordPiece::Text(text) if quoted => fields.quoted(text),
                WordPiece::Text(text) => fields.unquoted(text),
                WordPiece::SingleQuotedText(text) => fields.quoted(text),
                WordPiece::AnsiCQuotedText(text) => fields.quoted(&decode_escapes(text)),
                WordPiece::DoubleQuotedSequence(inner)
                | WordPiece::GettextDoubleQuotedSequence(inner) => {
                    fields.quoted("");
                    self.expand_pieces(inner, word, true, fields);
                }
                WordPiece::TildeExpansion(tilde) => match tilde {
                    TildeExpr::Home => fields.quoted(&self.scope.context.home),
                    // `~NAME`: the user's own home when NAME is the user (the home
                    // directory's last segment), else a sibling of it, as on most
                    // systems (`~root` is `/root`).
                    TildeExpr::UserHome(name) => {
                        let home = &self.scope.context.home;
                        let parent = home.rsplit_once('/').map_or("", |(parent, _)| parent);
                        let path = if home.rsplit('/').next() == Some(name.as_str()) {
                            home.clone()
                        } else if name == "root" {
                            "/root".to_owned()
                        } else {
                            format!("{parent}/{name}")
                        };
                        fields.quoted(&path);
                    }
                    TildeExpr::WorkingDir if self.scope.cwd_known => {
                        fields.quoted(&self.scope.context.cwd);
                    }
                    _ => fields.unknown(written, Origin::Dynamic),
                },
                WordPiece::ParameterExpansion(expression) => {
                    self.expand_parameter(expression, written, quoted, fields);
                }
                WordPiece::CommandSubstitution(code) => {
                    let (origin, output) = self.substitute(code);
                    match self.known_output(code).or(output) {
                        Some(output) => fields.value(&output, quoted),
                        None => fields.unknown(written, origin),
                    }
                }
                WordPiece::BackquotedCommandSubstitution(code) => {
                    let code = unescape_backquoted(code);
                    let (origin, output) = self.substitute(&code);
                    match self.known_output(&code).or(output) {
                        Some(output) => fields.value(&output, quoted),
                        None => fields.unknown(written, origin),
                    }
                }
                WordPiece::EscapeSequence(escape) => {
                    let escaped = escape.strip_prefix('\\').unwrap_or(escape);
                    if escaped != "\n" {
                        fields.quoted(escaped);
                    }
                }
                WordPiece::ArithmeticExpression(expression) => {
                    // A number: whatever it is, it names no other directory.
                    self.scan(&expression.value);
                    fields.value(NO_SLASH, quoted);
                }
            }
        }
    }

    /// The output of a command substitution whose output the line itself tells:
    /// `$(pwd)` (the current directory), `$(which rm)` / `$(command -v rm)` (the
    /// program, by name), `$(echo WORD...)` of plain words (`$(echo ~)`). Anything
    /// else is only known when the line runs.
    fn known_output(&self, code: &str) -> Option<String> {
        let words: Vec<&str> = code.split_whitespace().collect();
        let plain = |word: &str| {
            !word.is_empty()
                && word.bytes().all(|b| {
                    b.is_ascii_alphanumeric()
                        || matches!(b, b'_' | b'.' | b'/' | b'-' | b'~' | b'+' | b',')
                })
        };
        match words.as_slice() {
            ["pwd"] | ["pwd", "-L" | "-P"] if self.scope.cwd_known => {
                Some(self.scope.context.cwd.clone())
            }
            ["which" | "type" | "whereis", program] | ["command", "-v", program]
                if plain(program) && !program.starts_with('-') =>
            {
                Some((*program).to_owned())
            }
            ["type", "-P" | "-p", program] if plain(program) => Some((*program).to_owned()),
            // A fresh temporary file or directory: under /tmp, whatever its name.
            ["mktemp", options @ ..] if options.iter().all(|option| option.starts_with('-')) => {
                Some("/tmp/tmp.XXXXXXXXXX".to_owned())
            }
            // The date: numbers and names, never a `/` unless the format asks for one.
            ["date"] => Some(NO_SLASH.to_owned()),
            ["date", format] if date_format_without_slash(format) => Some(NO_SLASH.to_owned()),
            ["printf", word] | ["printf", "%s", word] if plain(word) && !word.contains('%') => {
                Some((*word).to_owned())
            }
            ["echo", rest @ ..] if !rest.is_empty() && rest.iter().all(|word| plain(word)) => {
                let home = &self.scope.context.home;
                let expanded: Vec<String> =
                    rest.iter().map(|word| expand_home(word, home)).collect();
                Some(expanded.join(" "))
            }
            _ => None,
        }
    }

    fn expand_parameter(
        &mut self,
        expression: &ParameterExpr,
        written: &str,
        quoted: bool,
        fields: &mut Fields,
    ) {
        // `${PWD%/*}`, `${f%.c}`, `${path##*/}` of a value the line tells.
        if let Some((parameter, pattern, how)) = trim_request(expression)
            && let Value::Set(value) = self.lookup(parameter)
            && let Some(trimmed) = trim::trim(&value, pattern.unwrap_or(""), how)
        {
            fields.value(&trimmed, quoted);
            return;
        }
        match expression {
            ParameterExpr::Parameter {
                parameter:
                    Parameter::Special(SpecialParameter::AllPositionalParameters { concatenate }),
                indirect: false,
            } if self.scope.positional.is_some() => {
                let arguments = self.scope.positional.clone().unwrap_or_default();
                expand_list(&arguments, *concatenate, quoted, fields);
            }
            ParameterExpr::Parameter {
                parameter: Parameter::NamedWithAllIndices { name, concatenate },
                indirect: false,
            } if self.scope.array(name).is_some() => {
                let elements = self.scope.array(name).unwrap_or_default().to_vec();
                expand_list(&elements, *concatenate, quoted, fields);
            }
            ParameterExpr::Parameter {
                parameter: Parameter::NamedWithIndex { name, index },
                indirect: false,
            } if self.scope.array(name).is_some() && index.parse::<usize>().is_ok() => {
                let element = index
                    .parse::<usize>()
                    .ok()
                    .and_then(|index| self.scope.array(name)?.get(index).cloned());
                match element {
                    Some(element) if element.is_literal() => fields.value(&element.text, quoted),
                    Some(element) => fields.unknown(&element.text, element.origin),
                    None => {}
                }
            }
            ParameterExpr::Parameter {
                parameter,
                indirect: false,
            } => match self.lookup(parameter) {
                Value::Set(value) => fields.value(&value, quoted),
                Value::Unset => {}
                Value::Unknown => fields.unknown(written, Origin::Dynamic),
                Value::Tainted(origin) => fields.unknown(written, origin),
            },
            ParameterExpr::UseDefaultValues {
                parameter,
                indirect: false,
                test_type,
                default_value,
            }
            | ParameterExpr::AssignDefaultValues {
                parameter,
                indirect: false,
                test_type,
                default_value,
            } => match self.lookup(parameter) {
                Value::Set(value) if !is_null(&value, test_type) => fields.value(&value, quoted),
                Value::Set(_) | Value::Unset => {
                    if let Some(default) = default_value {
                        self.expand_into(default, quoted, fields);
                    }
                }
                Value::Unknown | Value::Tainted(_) => {
                    let default = default_value.as_deref().unwrap_or("");
                    self.scan(default);
                    self.note_default(written, default);
                    fields.unknown(written, Origin::Dynamic);
                }
            },
            ParameterExpr::UseAlternativeValue {
                parameter,
                indirect: false,
                test_type,
                alternative_value,
            } => match self.lookup(parameter) {
                Value::Set(value) if !is_null(&value, test_type) => {
                    if let Some(alternative) = alternative_value {
                        self.expand_into(alternative, quoted, fields);
                    }
                }
                Value::Set(_) | Value::Unset => {}
                Value::Unknown | Value::Tainted(_) => {
                    self.scan(alternative_value.as_deref().unwrap_or(""));
                    fields.unknown(written, Origin::Dynamic);
                }
            },
            ParameterExpr::IndicateErrorIfNullOrUnset {
                parameter,
                indirect: false,
                test_type,
                ..
            } => match self.lookup(parameter) {
                // `${HOME:?}` is the value when it is set (else the shell stops).
                Value::Set(value) if !is_null(&value, test_type) => fields.value(&value, quoted),
                Value::Tainted(origin) => fields.unknown(written, origin),
                _ => fields.unknown(written, Origin::Dynamic),
            },
            other => {
                for text in nested_texts(other).into_iter().flatten() {
                    self.scan(text);
                }
                fields.unknown(written, Origin::Dynamic);
            }
        }
    }

    /// A variable's value as far as the line tells.
    fn lookup(&self, parameter: &Parameter) -> Value {
        // Positional parameters are known inside `sh -c 'CODE' NAME ARG…`.
        let positional;
        let name = match parameter {
            Parameter::Named(name) => name,
            Parameter::Positional(index) => {
                positional = index.to_string();
                &positional
            }
            Parameter::Special(SpecialParameter::ShellName) => {
                positional = "0".to_owned();
                &positional
            }
            Parameter::Special(
                SpecialParameter::ProcessId
                | SpecialParameter::LastBackgroundProcessId
                | SpecialParameter::LastExitStatus
                | SpecialParameter::PositionalParameterCount,
            ) => return Value::Set(NO_SLASH.to_owned()),
            _ => return Value::Unknown,
        };
        self.lookup_named(name)
    }

    /// A named variable's value as far as the line tells.
    fn lookup_named(&self, name: &str) -> Value {
        // `$a` of an array is its first element.
        if let Some(elements) = self.scope.array(name) {
            return elements.first().map_or(Value::Unset, Value::of);
        }
        if let Some(value) = self.scope.variable(name) {
            return value.clone();
        }
        if NUMBERS.contains(&name) {
            return Value::Set(NO_SLASH.to_owned());
        }
        match name {
            "HOME" => Value::Set(self.scope.context.home.clone()),
            // A temporary directory, whatever the machine sets it to.
            "TMPDIR" | "TMP" | "TEMP" => Value::Set("/tmp".to_owned()),
            "PWD" if self.scope.cwd_known => Value::Set(self.scope.context.cwd.clone()),
            _ => Value::Unknown,
        }
    }

    /// The words a brace expansion gives, if the word has one.
    fn brace_alternatives(&mut self, word: &str) -> Option<Vec<String>> {
        if !word.contains('{') || !(word.contains(',') || word.contains("..")) {
            return None;
        }
        // brush-parser's brace grammar backtracks exponentially in the number of
        // `{` (fuzzing found 22 bytes that take seconds); real words have a few.
        if word.bytes().filter(|byte| *byte == b'{').count() > MAX_BRACES_PER_WORD {
            self.opaque(format!(
                "a word with more than {MAX_BRACES_PER_WORD} `{{` is not brace-expanded"
            ));
            return None;
        }
        let pieces = guarded(|| word::parse_brace_expansions(word, &parser_options()))?
            .ok()
            .flatten()?;
        if !pieces
            .iter()
            .any(|piece| matches!(piece, BraceExpressionOrText::Expr(_)))
        {
            return None;
        }
        let mut words = vec![String::new()];
        if expand_braces(&pieces, &mut words).is_none() {
            self.opaque(format!(
                "the brace expansion `{word}` gives more than {MAX_BRACE_WORDS} words"
            ));
            return None;
        }
        Some(words)
    }
}

/// A piece of a simple word (see [`simple_pieces`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SimplePiece<'a> {
    /// Unquoted text.
    Text(&'a str),
    /// Quoted text (single quotes, or text between double quotes); an empty one
    /// stands for `""`, which makes a field exist.
    Quoted(&'a str),
    /// `$NAME` or `${NAME}`, written so, inside double quotes or not.
    Variable {
        name: &'a str,
        written: &'a str,
        quoted: bool,
    },
}

/// The pieces of a word made only of plain text, single-quoted text, and double-
/// quoted text with `$NAME` / `${NAME}` references: most words of a script
/// (`"$OUT/part3"`, `'*.rs'`, `$HOME/bin`). `None` for anything else (escapes,
/// `~`, substitutions, other parameter forms, unclosed quotes), which brush-parser's
/// word grammar parses instead.
///
/// That grammar is a backtracking parser behind a global locked cache: on a 10 KB
/// script its word parses took an eighth of the analysis. The pieces here are
/// the ones it makes of these words (`Text`, `SingleQuotedText`,
/// `DoubleQuotedSequence` of `Text` and `Parameter { Named, indirect: false }`),
/// which the tests at the end of this file check against it.
fn simple_pieces<'a>(word: &'a str) -> Option<Vec<SimplePiece<'a>>> {
    let bytes = word.as_bytes();
    let mut pieces = Vec::new();
    let mut at = 0;
    let mut in_double = false;
    let mut text_from = 0;
    // Ends the run of plain text before `at`, if any.
    let flush = |pieces: &mut Vec<SimplePiece<'a>>, from: usize, to: usize, in_double: bool| {
        if from < to {
            let text = word.get(from..to)?;
            pieces.push(if in_double {
                SimplePiece::Quoted(text)
            } else {
                SimplePiece::Text(text)
            });
        }
        Some(())
    };
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b'\\' | b'`' | b'~' => return None,
            b'\'' if !in_double => {
                flush(&mut pieces, text_from, at, false)?;
                let length = bytes.get(at + 1..)?.iter().position(|b| *b == b'\'')?;
                pieces.push(SimplePiece::Quoted(word.get(at + 1..at + 1 + length)?));
                at += length + 2;
                text_from = at;
            }
            b'"' => {
                flush(&mut pieces, text_from, at, in_double)?;
                if !in_double {
                    pieces.push(SimplePiece::Quoted(""));
                }
                in_double = !in_double;
                at += 1;
                text_from = at;
            }
            b'$' => {
                flush(&mut pieces, text_from, at, in_double)?;
                let braced = bytes.get(at + 1) == Some(&b'{');
                let name_from = at + 1 + usize::from(braced);
                let first = *bytes.get(name_from)?;
                if !(first.is_ascii_alphabetic() || first == b'_') {
                    return None;
                }
                let name_length = bytes
                    .get(name_from..)?
                    .iter()
                    .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
                    .unwrap_or(bytes.len() - name_from);
                let name_to = name_from + name_length;
                let end = if braced {
                    if bytes.get(name_to) != Some(&b'}') {
                        return None;
                    }
                    name_to + 1
                } else {
                    name_to
                };
                pieces.push(SimplePiece::Variable {
                    name: word.get(name_from..name_to)?,
                    written: word.get(at..end)?,
                    quoted: in_double,
                });
                at = end;
                text_from = at;
            }
            _ => at += 1,
        }
    }
    if in_double {
        return None;
    }
    flush(&mut pieces, text_from, at, false)?;
    Some(pieces)
}

/// Expands a list of words as `"$@"` / `"${a[@]}"` do: a field each; as `"$*"` /
/// `"${a[*]}"`: one field, joined by spaces; unquoted, each word is split again.
fn expand_list(words: &[Arg], concatenate: bool, quoted: bool, fields: &mut Fields) {
    for (index, word) in words.iter().enumerate() {
        if index > 0 {
            if concatenate && quoted {
                fields.quoted(" ");
            } else {
                fields.end_field();
            }
        }
        if word.is_literal() {
            fields.value(&word.text, quoted);
        } else {
            fields.unknown(&word.text, word.origin);
        }
    }
}

/// Whether a set value counts as null for a `${X:-…}` (colon) test.
fn is_null(value: &str, test_type: &ParameterTestType) -> bool {
    value.is_empty() && matches!(test_type, ParameterTestType::UnsetOrNull)
}

/// The texts inside a parameter expansion that are themselves expanded (and may
/// hold command substitutions).
fn nested_texts(expression: &ParameterExpr) -> [Option<&str>; 2] {
    match expression {
        ParameterExpr::UseDefaultValues { default_value, .. }
        | ParameterExpr::AssignDefaultValues { default_value, .. } => {
            [default_value.as_deref(), None]
        }
        ParameterExpr::IndicateErrorIfNullOrUnset { error_message, .. } => {
            [error_message.as_deref(), None]
        }
        ParameterExpr::UseAlternativeValue {
            alternative_value, ..
        } => [alternative_value.as_deref(), None],
        ParameterExpr::RemoveSmallestSuffixPattern { pattern, .. }
        | ParameterExpr::RemoveLargestSuffixPattern { pattern, .. }
        | ParameterExpr::RemoveSmallestPrefixPattern { pattern, .. }
        | ParameterExpr::RemoveLargestPrefixPattern { pattern, .. }
        | ParameterExpr::UppercaseFirstChar { pattern, .. }
        | ParameterExpr::UppercasePattern { pattern, .. }
        | ParameterExpr::LowercaseFirstChar { pattern, .. }
        | ParameterExpr::LowercasePattern { pattern, .. } => [pattern.as_deref(), None],
        ParameterExpr::ReplaceSubstring {
            pattern,
            replacement,
            ..
        } => [Some(pattern.as_str()), replacement.as_deref()],
        ParameterExpr::Substring { offset, length, .. } => [
            Some(offset.value.as_str()),
            length.as_ref().map(|length| length.value.as_str()),
        ],
        _ => [None, None],
    }
}

/// Appends each alternative of the brace pieces to each word so far; `None` when
/// there would be more than [`MAX_BRACE_WORDS`].
fn expand_braces(pieces: &[BraceExpressionOrText], words: &mut Vec<String>) -> Option<()> {
    for piece in pieces {
        match piece {
            BraceExpressionOrText::Text(text) => {
                for word in words.iter_mut() {
                    word.push_str(text);
                }
            }
            BraceExpressionOrText::Expr(members) => {
                let mut next = Vec::new();
                for member in members {
                    match member {
                        BraceExpressionMember::NumberSequence {
                            start,
                            end,
                            increment,
                        } => {
                            for number in sequence(*start, *end, *increment) {
                                for word in words.iter() {
                                    next.push(format!("{word}{number}"));
                                }
                                too_many(&next)?;
                            }
                        }
                        BraceExpressionMember::CharSequence {
                            start,
                            end,
                            increment,
                        } => {
                            let numbers = sequence(
                                i64::from(u32::from(*start)),
                                i64::from(u32::from(*end)),
                                *increment,
                            );
                            for c in numbers
                                .into_iter()
                                .filter_map(|n| u32::try_from(n).ok().and_then(char::from_u32))
                            {
                                for word in words.iter() {
                                    next.push(format!("{word}{c}"));
                                }
                                too_many(&next)?;
                            }
                        }
                        BraceExpressionMember::Child(children) => {
                            let mut alternatives = words.clone();
                            expand_braces(children, &mut alternatives)?;
                            next.extend(alternatives);
                        }
                    }
                    too_many(&next)?;
                }
                *words = next;
            }
        }
        too_many(words)?;
    }
    Some(())
}

fn too_many(words: &[String]) -> Option<()> {
    (words.len() <= MAX_BRACE_WORDS).then_some(())
}

/// The numbers of a `{start..end..increment}` sequence, at most one more than
/// [`MAX_BRACE_WORDS`] of them.
fn sequence(start: i64, end: i64, increment: i64) -> Vec<i64> {
    let step = usize::try_from(increment.unsigned_abs())
        .unwrap_or(usize::MAX)
        .max(1);
    if start <= end {
        (start..=end)
            .step_by(step)
            .take(MAX_BRACE_WORDS + 1)
            .collect()
    } else {
        (end..=start)
            .rev()
            .step_by(step)
            .take(MAX_BRACE_WORDS + 1)
            .collect()
    }
}

/// Decodes backslash escapes as `$'…'`, `echo -e` and `printf` do.
pub(super) fn decode_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(escape) = chars.next() else {
            out.push('\\');
            break;
        };
        let decoded = match escape {
            'a' => Some('\u{7}'),
            'b' => Some('\u{8}'),
            'e' | 'E' => Some('\u{1b}'),
            'f' => Some('\u{c}'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\u{b}'),
            '\\' | '\'' | '"' | '?' => Some(escape),
            'x' => char::from_u32(take_digits(&mut chars, 16, 2, 0)),
            'u' => char::from_u32(take_digits(&mut chars, 16, 4, 0)),
            'U' => char::from_u32(take_digits(&mut chars, 16, 8, 0)),
            '0'..='7' => {
                let first = escape.to_digit(8).unwrap_or(0);
                char::from_u32(take_digits(&mut chars, 8, 2, first))
            }
            'c' => chars
                .next()
                .and_then(|control| char::from_u32(u32::from(control) & 0x1f)),
            other => {
                out.push('\\');
                Some(other)
            }
        };
        if let Some(decoded) = decoded {
            out.push(decoded);
        }
    }
    out
}

/// Reads up to `max` digits of `radix` after `initial`.
fn take_digits(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    radix: u32,
    max: usize,
    initial: u32,
) -> u32 {
    let mut value = initial;
    for _ in 0..max {
        let Some(digit) = chars.peek().and_then(|c| c.to_digit(radix)) else {
            break;
        };
        value = value.saturating_mul(radix).saturating_add(digit);
        chars.next();
    }
    value
}

/// Undoes the escaping bash applies inside backquotes (`\\` and `\$`; the parser
/// already turned `` \` `` into a backquote).
fn unescape_backquoted(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut chars = code.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\'
            && let Some(&next) = chars.peek()
            && matches!(next, '\\' | '$')
        {
            out.push(next);
            chars.next();
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use brush_parser::word::{self, Parameter, ParameterExpr, WordPiece, WordPieceWithSource};
    use proptest::prelude::*;

    use super::{SimplePiece, simple_pieces};
    use crate::analyze::shell::parser_options;

    /// A piece as expansion sees it; adjacent texts of one kind are merged, which
    /// changes nothing for [`super::Fields`].
    #[derive(Debug, PartialEq, Eq)]
    enum Seen {
        Text(String),
        Quoted(String),
        Variable(String, String, bool),
    }

    fn push(seen: &mut Vec<Seen>, piece: Seen) {
        match (seen.last_mut(), piece) {
            (Some(Seen::Text(last)), Seen::Text(text)) => last.push_str(&text),
            (Some(Seen::Quoted(last)), Seen::Quoted(text)) => last.push_str(&text),
            (_, piece) => seen.push(piece),
        }
    }

    fn from_simple(pieces: &[SimplePiece<'_>]) -> Vec<Seen> {
        let mut seen = Vec::new();
        for piece in pieces {
            let piece = match *piece {
                SimplePiece::Text(text) => Seen::Text(text.to_owned()),
                SimplePiece::Quoted(text) => Seen::Quoted(text.to_owned()),
                SimplePiece::Variable {
                    name,
                    written,
                    quoted,
                } => Seen::Variable(name.to_owned(), written.to_owned(), quoted),
            };
            push(&mut seen, piece);
        }
        seen
    }

    /// What brush-parser makes of a word, in the same terms; `None` for pieces
    /// simple words never have.
    fn from_brush(pieces: &[WordPieceWithSource], word: &str, quoted: bool) -> Option<Vec<Seen>> {
        let mut seen = Vec::new();
        for piece in pieces {
            let written = word.get(piece.start_index..piece.end_index)?;
            match &piece.piece {
                WordPiece::Text(text) if quoted => push(&mut seen, Seen::Quoted(text.clone())),
                WordPiece::Text(text) => push(&mut seen, Seen::Text(text.clone())),
                WordPiece::SingleQuotedText(text) => push(&mut seen, Seen::Quoted(text.clone())),
                WordPiece::DoubleQuotedSequence(inner) => {
                    push(&mut seen, Seen::Quoted(String::new()));
                    for piece in from_brush(inner, word, true)? {
                        push(&mut seen, piece);
                    }
                }
                WordPiece::ParameterExpansion(ParameterExpr::Parameter {
                    parameter: Parameter::Named(name),
                    indirect: false,
                }) => push(
                    &mut seen,
                    Seen::Variable(name.clone(), written.to_owned(), quoted),
                ),
                _ => return None,
            }
        }
        Some(seen)
    }

    fn check(word: &str) -> Result<(), TestCaseError> {
        if let Some(simple) = simple_pieces(word) {
            let parsed = word::parse(word, &parser_options());
            prop_assert!(parsed.is_ok(), "brush-parser rejects {word:?}");
            let brush = parsed
                .ok()
                .and_then(|pieces| from_brush(&pieces, word, false));
            prop_assert_eq!(Some(from_simple(&simple)), brush, "{:?}", word);
        }
        Ok(())
    }

    #[test]
    fn simple_words_are_split_as_brush_parser_splits_them() {
        for word in [
            "\"$OUT/part3/\"",
            "\"$OUT/part3/$NAME.o\"x",
            "$HOME/bin:${PATH}",
            "'*.rs'",
            "a'b'\"c\"d",
            "\"\"",
            "''",
            "\"it's\"",
            "$A$B",
            "${A}${B}c",
            "$_x1[0]",
            "{a,b}$X",
        ] {
            assert!(simple_pieces(word).is_some(), "{word:?}");
            check(word).unwrap();
        }
        for word in [
            "$1", "$@", "${A:-x}", "$(pwd)", "`pwd`", "~/x", "a\\ b", "\"a", "'a", "$", "a$",
            "${A", "$'x'", "$\"x\"", "${#A}", "${!A}", "${A[0]}", "\"$\"",
        ] {
            assert!(simple_pieces(word).is_none(), "{word:?}");
        }
    }

    fn fragment() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "a", "Z9", "_", "-", "/", ".", "*", "{", "}", ",", "(", ")", "[", "]", "=", ":", "@",
            "!", "#", "%", "é", " ", "\"", "'", "$", "${", "$A", "$_b", "${C}", "${D", "$1", "\\",
            "~", "`", "$(", "|", ";", "&", "<", ">", "\t", "\n",
        ])
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        #[test]
        fn simple_pieces_agree_with_brush_parser(parts in prop::collection::vec(fragment(), 1..12)) {
            check(&parts.concat())?;
        }
    }
}
