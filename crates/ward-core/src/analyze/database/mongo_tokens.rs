//! A small JavaScript tokenizer: just enough to tell code from string literals,
//! comments and regular expressions. It never fails: an unterminated string ends at
//! its line's end (as JavaScript requires), an unterminated comment at the text's end.

/// One token of code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum JsToken {
    /// A name or keyword: `db`, `users`, `drop`.
    Ident(String),
    /// A string or template literal's text, escapes left as written.
    Str(String),
    /// One punctuation character: `.`, `(`, `{`.
    Punct(char),
    /// A number or a regular expression.
    Other,
}

/// The code tokens of `source`. Template literals become one `Str` each, but the code
/// in their `${…}` is tokenized as code.
pub(super) fn tokenize(source: &str) -> Vec<JsToken> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    // For each template literal whose `${` we are inside, the brace depth it opened at.
    let mut templates: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    let mut index = 0;
    while let Some(&c) = chars.get(index) {
        let next = chars.get(index + 1).copied();
        match c {
            c if c.is_whitespace() => index += 1,
            '/' if next == Some('/') => index = line_end(&chars, index),
            '/' if next == Some('*') => index = comment_end(&chars, index + 2),
            '\'' | '"' => {
                let (text, end) = quoted(&chars, index + 1, c);
                tokens.push(JsToken::Str(text));
                index = end;
            }
            '`' => {
                index = template_part(&chars, index + 1, &mut tokens, &mut templates, &mut depth)
            }
            '}' if templates.last() == Some(&depth) => {
                templates.pop();
                depth = depth.saturating_sub(1);
                index = template_part(&chars, index + 1, &mut tokens, &mut templates, &mut depth);
            }
            '/' if regex_may_start(tokens.last()) => {
                index = regex_end(&chars, index + 1);
                tokens.push(JsToken::Other);
            }
            c if c.is_alphabetic() || c == '_' || c == '$' => {
                let start = index;
                while chars
                    .get(index)
                    .is_some_and(|&c| c.is_alphanumeric() || c == '_' || c == '$')
                {
                    index += 1;
                }
                tokens.push(JsToken::Ident(chars[start..index].iter().collect()));
            }
            c if c.is_ascii_digit() => {
                while chars
                    .get(index)
                    .is_some_and(|&c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
                {
                    index += 1;
                }
                tokens.push(JsToken::Other);
            }
            c => {
                match c {
                    '{' => depth += 1,
                    '}' => depth = depth.saturating_sub(1),
                    _ => {}
                }
                tokens.push(JsToken::Punct(c));
                index += 1;
            }
        }
    }
    tokens
}

/// Reads a template literal from `start` (just after its backtick or after the `}`
/// closing one of its expressions) up to its closing backtick or its next `${`.
fn template_part(
    chars: &[char],
    start: usize,
    tokens: &mut Vec<JsToken>,
    templates: &mut Vec<usize>,
    depth: &mut usize,
) -> usize {
    let mut text = String::new();
    let mut index = start;
    while let Some(&c) = chars.get(index) {
        match c {
            '\\' => {
                text.extend(chars.get(index..index + 2).unwrap_or_default());
                index += 2;
            }
            '`' => {
                tokens.push(JsToken::Str(text));
                return index + 1;
            }
            '$' if chars.get(index + 1) == Some(&'{') => {
                tokens.push(JsToken::Str(text));
                *depth += 1;
                templates.push(*depth);
                return index + 2;
            }
            c => {
                text.push(c);
                index += 1;
            }
        }
    }
    tokens.push(JsToken::Str(text));
    index
}

/// A quoted string's text from `start` to its closing `quote` (or the line's end),
/// and the index after it.
fn quoted(chars: &[char], start: usize, quote: char) -> (String, usize) {
    let mut text = String::new();
    let mut index = start;
    while let Some(&c) = chars.get(index) {
        match c {
            '\\' => {
                text.extend(chars.get(index..index + 2).unwrap_or_default());
                index += 2;
            }
            '\n' => return (text, index),
            c if c == quote => return (text, index + 1),
            c => {
                text.push(c);
                index += 1;
            }
        }
    }
    (text, index)
}

fn line_end(chars: &[char], start: usize) -> usize {
    chars[start..]
        .iter()
        .position(|&c| c == '\n')
        .map_or(chars.len(), |offset| start + offset)
}

fn comment_end(chars: &[char], start: usize) -> usize {
    chars[start.min(chars.len())..]
        .windows(2)
        .position(|pair| pair == ['*', '/'])
        .map_or(chars.len(), |offset| start + offset + 2)
}

/// Whether a `/` after `previous` starts a regular expression rather than dividing:
/// it does where a value is expected.
fn regex_may_start(previous: Option<&JsToken>) -> bool {
    match previous {
        None => true,
        Some(JsToken::Punct(c)) => !matches!(c, ')' | ']' | '}'),
        Some(JsToken::Ident(word)) => matches!(
            word.as_str(),
            "return" | "typeof" | "case" | "do" | "else" | "in" | "of" | "new" | "delete" | "void"
        ),
        Some(JsToken::Str(_) | JsToken::Other) => false,
    }
}

/// The index after a regular expression whose body starts at `start`: after its
/// closing `/` (outside a `[…]` class) and flags, or at the line's end.
fn regex_end(chars: &[char], start: usize) -> usize {
    let mut index = start;
    let mut in_class = false;
    while let Some(&c) = chars.get(index) {
        match c {
            '\\' => index += 2,
            '\n' => return index,
            '[' => {
                in_class = true;
                index += 1;
            }
            ']' => {
                in_class = false;
                index += 1;
            }
            '/' if !in_class => {
                index += 1;
                while chars.get(index).is_some_and(|c| c.is_ascii_alphabetic()) {
                    index += 1;
                }
                return index;
            }
            _ => index += 1,
        }
    }
    index
}
