//! Byte-exact edits of JSON text (comments and trailing commas tolerated): append a
//! member to an object or array, or remove one, touching no byte outside the edit.
//!
//! This module owns the splicing and the formatting of inserted text. It leaves what
//! to insert or remove (Ward's hook handlers) to `install`.
//!
//! Why not jsonc-parser's CST editing: its `append` reflows what it touches (a
//! one-line object is made multi-line, blank lines at the start and end of the
//! container are removed), so removing what was added would not give back the user's
//! file. Instead the text is parsed to jsonc-parser's AST, whose nodes carry byte
//! ranges, and edits are splices of those ranges.
//!
//! Appending and removing are inverses by construction: a member is appended right
//! after the last member as `,` + separator + member, where the separator is a line
//! break plus the last member's indentation (or, on one line, the spaces before it);
//! removing the last member deletes its indentation and one line break before it, and
//! the comma after the member before it. An empty container becomes `{}` / `[]` again.

use jsonc_parser::ast::{Array, Object, ObjectProp, ObjectPropName, Value as AstValue};
use jsonc_parser::common::Range;
use jsonc_parser::errors::ParseError;
use jsonc_parser::tokens::{Token, TokenAndRange};
use jsonc_parser::{CollectOptions, CommentCollectionStrategy, ParseOptions, parse_to_ast};
use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter, Serializer};

use crate::AgentError;

use super::AGENT_NAME;

/// A parsed document: its text, root value and tokens (comments included).
pub(super) struct Document<'a> {
    text: &'a str,
    root: Option<AstValue<'a>>,
    tokens: Vec<TokenAndRange<'a>>,
}

/// One replacement of `start..end` by `text`.
#[derive(Debug)]
pub(super) struct Splice {
    start: usize,
    end: usize,
    text: String,
}

/// The members of an object (its properties) or an array (its elements), by range.
pub(super) struct Container {
    range: Range,
    members: Vec<Range>,
}

/// A member to append: a property (`key` is `Some`) or an array element.
pub(super) struct Member<'v> {
    pub(super) key: Option<&'v str>,
    pub(super) value: &'v serde_json::Value,
}

/// How the document is formatted, so inserted text looks like the rest.
struct Style {
    newline: &'static str,
    indent_unit: String,
    colon_space: bool,
}

impl<'a> Document<'a> {
    /// Parses JSON that may contain comments and trailing commas; every other JSON5
    /// extension is refused, since Claude Code reads its settings as plain JSON.
    pub(super) fn parse(text: &'a str) -> Result<Document<'a>, ParseError> {
        let result = parse_to_ast(
            text,
            &CollectOptions {
                comments: CommentCollectionStrategy::AsTokens,
                tokens: true,
            },
            &ParseOptions {
                allow_comments: true,
                allow_loose_object_property_names: false,
                allow_trailing_commas: true,
                allow_missing_commas: false,
                allow_single_quoted_strings: false,
                allow_hexadecimal_numbers: false,
                allow_unary_plus_numbers: false,
                allow_bare_decimal_point_numbers: false,
                allow_non_finite_numbers: false,
                allow_extended_string_escapes: false,
            },
        )?;
        Ok(Document {
            text,
            root: result.value,
            tokens: result.tokens.unwrap_or_default(),
        })
    }

    /// The top-level value, if the text has one.
    pub(super) fn root(&self) -> Option<&AstValue<'a>> {
        self.root.as_ref()
    }

    /// The splice that appends `member` to `container`.
    pub(super) fn append(
        &self,
        container: &Container,
        member: &Member<'_>,
    ) -> Result<Splice, AgentError> {
        let style = self.style();
        let Some(last) = container.members.last() else {
            return self.insert_into_empty(container, member, &style);
        };
        let indent_start = horizontal_space_start(self.text, last.start);
        let multiline = line_break_start(self.text, indent_start) < indent_start;
        let separator = if multiline {
            format!("{}{}", style.newline, self.slice(indent_start, last.start)?)
        } else {
            self.slice(indent_start, last.start)?.to_owned()
        };
        let indent = self.slice(indent_start, last.start)?;
        let rendered = render_member(member, &style, multiline.then_some(indent));
        Ok(Splice {
            start: last.end,
            end: last.end,
            text: format!(",{separator}{rendered}"),
        })
    }

    /// `{}` or `[]` (possibly with whitespace or comments inside) gains its first member.
    fn insert_into_empty(
        &self,
        container: &Container,
        member: &Member<'_>,
        style: &Style,
    ) -> Result<Splice, AgentError> {
        let open_end = container.range.start + 1;
        let close = container.range.end.saturating_sub(1);
        let inner = self.slice(open_end, close)?;
        let root_spans_lines = match &self.root {
            Some(AstValue::Object(root)) => {
                root.properties.is_empty()
                    || self.slice(root.range.start, root.range.end)?.contains('\n')
            }
            _ => true,
        };
        if !inner.contains('\n') && !root_spans_lines {
            let rendered = render_member(member, style, None);
            return Ok(Splice {
                start: open_end,
                end: open_end,
                text: rendered,
            });
        }
        let outer_indent = line_indent(self.text, container.range.start);
        let inner_indent = format!("{outer_indent}{}", style.indent_unit);
        let rendered = render_member(member, style, Some(&inner_indent));
        let newline = style.newline;
        if inner.contains('\n') {
            // Keep what is inside (a comment, the line break before the close).
            return Ok(Splice {
                start: open_end,
                end: open_end,
                text: format!("{newline}{inner_indent}{rendered}"),
            });
        }
        // Spaces inside (`{ }`) are replaced; a block comment (`{ /* none */ }`) is
        // kept after the member.
        Ok(Splice {
            start: open_end,
            end: if inner.trim().is_empty() {
                close
            } else {
                open_end
            },
            text: format!("{newline}{inner_indent}{rendered}{newline}{outer_indent}"),
        })
    }

    /// The splices that remove member `index` of `container`, with the comma and the
    /// line break or spaces that went with it.
    pub(super) fn remove(
        &self,
        container: &Container,
        index: usize,
    ) -> Result<Vec<Splice>, AgentError> {
        let member = *container
            .members
            .get(index)
            .ok_or(internal("member to remove is out of range"))?;
        let open_end = container.range.start + 1;
        let close = container.range.end.saturating_sub(1);
        let trailing_comma = self.comma_after(member.end);
        let removed_end = trailing_comma.map_or(member.end, |comma| comma.end);
        let indent_start = horizontal_space_start(self.text, member.start);
        let line_start = line_break_start(self.text, indent_start);

        if container.members.len() == 1 {
            let keeps_comment =
                self.has_comment(open_end, member.start) || self.has_comment(member.end, close);
            if !keeps_comment {
                // The container is empty again: `{}` / `[]`.
                return Ok(vec![deletion(open_end, close)]);
            }
            return Ok(vec![deletion(line_start, removed_end)]);
        }
        if let Some(comma) = trailing_comma {
            if index == 0 && line_start == indent_start {
                // First member on the opening line: `[W, X]` becomes `[X]`, and
                // `[ W, X ]` becomes `[ X ]`.
                let after = comma.end + horizontal_space_len(self.text, comma.end);
                return Ok(vec![deletion(member.start, after)]);
            }
            return Ok(vec![deletion(line_start, comma.end)]);
        }
        // The last member, without a trailing comma: the comma before it goes too.
        let previous = container
            .members
            .get(index.wrapping_sub(1))
            .ok_or(internal("last member has no predecessor"))?;
        let comma = self
            .comma_after(previous.end)
            .ok_or(internal("members are not separated by a comma"))?;
        if comma.end <= line_start {
            Ok(vec![
                deletion(comma.start, comma.end),
                deletion(line_start, member.end),
            ])
        } else {
            Ok(vec![deletion(comma.start, member.end)])
        }
    }

    /// The first token after `position`, ignoring comments, if it is a comma.
    fn comma_after(&self, position: usize) -> Option<Range> {
        let first = self.tokens.partition_point(|t| t.range.start < position);
        self.tokens
            .get(first..)?
            .iter()
            .find(|t| !is_comment(&t.token))
            .filter(|t| t.token == Token::Comma)
            .map(|t| t.range)
    }

    /// Whether a comment lies within `start..end`.
    fn has_comment(&self, start: usize, end: usize) -> bool {
        let first = self.tokens.partition_point(|t| t.range.start < start);
        self.tokens
            .get(first..)
            .unwrap_or_default()
            .iter()
            .take_while(|t| t.range.end <= end)
            .any(|t| is_comment(&t.token))
    }

    fn slice(&self, start: usize, end: usize) -> Result<&'a str, AgentError> {
        self.text
            .get(start..end)
            .ok_or(internal("a parser range is not on a character boundary"))
    }

    /// The document's line break, indentation unit and colon spacing, read from the
    /// root object's first property; two spaces and `": "` when it has none.
    fn style(&self) -> Style {
        let newline = if self.text.contains("\r\n") {
            "\r\n"
        } else {
            "\n"
        };
        let mut style = Style {
            newline,
            indent_unit: "  ".to_owned(),
            colon_space: true,
        };
        let Some(AstValue::Object(root)) = &self.root else {
            return style;
        };
        let Some(first) = root.properties.first() else {
            return style;
        };
        let indent_start = horizontal_space_start(self.text, first.range.start);
        if line_break_start(self.text, indent_start) < indent_start
            && let Some(indent) = self.text.get(indent_start..first.range.start)
            && !indent.is_empty()
        {
            style.indent_unit = indent.to_owned();
        }
        let value_start = value_range(&first.value).start;
        if let Some(between) = self.text.get(name_end(first)..value_start) {
            style.colon_space = between
                .split_once(':')
                .is_some_and(|(_, after)| !after.is_empty());
        }
        style
    }
}

impl Container {
    /// An object's properties.
    pub(super) fn of_object(object: &Object<'_>) -> Container {
        Container {
            range: object.range,
            members: object.properties.iter().map(|p| p.range).collect(),
        }
    }

    /// An array's elements.
    pub(super) fn of_array(array: &Array<'_>) -> Container {
        Container {
            range: array.range,
            members: array.elements.iter().map(value_range).collect(),
        }
    }
}

/// Applies splices that do not overlap, in any order.
pub(super) fn apply(text: &str, mut splices: Vec<Splice>) -> Result<String, AgentError> {
    splices.sort_by_key(|splice| std::cmp::Reverse(splice.start));
    let mut result = text.to_owned();
    let mut limit = text.len();
    for splice in splices {
        if splice.start > splice.end || splice.end > limit {
            return Err(internal("edits overlap"));
        }
        if !result.is_char_boundary(splice.start) || !result.is_char_boundary(splice.end) {
            return Err(internal("an edit is not on a character boundary"));
        }
        result.replace_range(splice.start..splice.end, &splice.text);
        limit = splice.start;
    }
    Ok(result)
}

/// The byte range of any AST value.
pub(super) fn value_range(value: &AstValue<'_>) -> Range {
    match value {
        AstValue::StringLit(node) => node.range,
        AstValue::NumberLit(node) => node.range,
        AstValue::BooleanLit(node) => node.range,
        AstValue::Object(node) => node.range,
        AstValue::Array(node) => node.range,
        AstValue::NullKeyword(node) => node.range,
    }
}

/// The JSON type of an AST value, as named in error messages.
pub(super) fn value_type(value: &AstValue<'_>) -> &'static str {
    match value {
        AstValue::StringLit(_) => "string",
        AstValue::NumberLit(_) => "number",
        AstValue::BooleanLit(_) => "boolean",
        AstValue::Object(_) => "object",
        AstValue::Array(_) => "array",
        AstValue::NullKeyword(_) => "null",
    }
}

/// Where a property's name ends.
fn name_end(property: &ObjectProp<'_>) -> usize {
    match &property.name {
        ObjectPropName::String(name) => name.range.end,
        ObjectPropName::Word(name) => name.range.end,
    }
}

/// Renders a member; `indent` is `Some(current line's indentation)` to render it over
/// several lines, `None` to keep it on one.
fn render_member(member: &Member<'_>, style: &Style, indent: Option<&str>) -> String {
    let value = match indent {
        Some(indent) => render_pretty(member.value, style, indent),
        None => render_compact(member.value, style.colon_space),
    };
    match member.key {
        Some(key) => {
            let colon = if style.colon_space { ": " } else { ":" };
            format!("{}{colon}{value}", render_compact(&key.into(), false))
        }
        None => value,
    }
}

fn render_pretty(value: &serde_json::Value, style: &Style, indent: &str) -> String {
    let mut out = Vec::new();
    let formatter = PrettyFormatter::with_indent(style.indent_unit.as_bytes());
    let mut serializer = Serializer::with_formatter(&mut out, formatter);
    // Serializing a `Value` into a `Vec` cannot fail.
    let _ = value.serialize(&mut serializer);
    // serde_json escapes line breaks inside strings, so every '\n' is a line end.
    String::from_utf8_lossy(&out).replace('\n', &format!("{}{indent}", style.newline))
}

fn render_compact(value: &serde_json::Value, spaced: bool) -> String {
    let mut out = Vec::new();
    let mut serializer = Serializer::with_formatter(
        &mut out,
        SpacedCompact {
            spaced,
            objects: Vec::new(),
        },
    );
    let _ = value.serialize(&mut serializer);
    String::from_utf8_lossy(&out).into_owned()
}

/// One-line output. When `spaced` (files written like `{ "a": 1, "b": [1, 2] }`),
/// colons and commas are followed by a space and non-empty objects are padded.
struct SpacedCompact {
    spaced: bool,
    /// For each open object, whether it has a member yet.
    objects: Vec<bool>,
}

impl Formatter for SpacedCompact {
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        match (first, self.spaced) {
            (true, _) => Ok(()),
            (false, true) => writer.write_all(b", "),
            (false, false) => writer.write_all(b","),
        }
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.objects.push(false);
        writer.write_all(b"{")
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        let padded = self.objects.pop().unwrap_or(false) && self.spaced;
        writer.write_all(if padded { b" }" } else { b"}" })
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if let Some(has_member) = self.objects.last_mut() {
            *has_member = true;
        }
        if first && self.spaced {
            writer.write_all(b" ")
        } else {
            self.begin_array_value(writer, first)
        }
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
    ) -> std::io::Result<()> {
        writer.write_all(if self.spaced { b": " } else { b":" })
    }
}

fn deletion(start: usize, end: usize) -> Splice {
    Splice {
        start,
        end,
        text: String::new(),
    }
}

fn is_comment(token: &Token<'_>) -> bool {
    matches!(token, Token::CommentLine(_) | Token::CommentBlock(_))
}

/// Where the run of spaces and tabs that ends at `position` starts.
fn horizontal_space_start(text: &str, position: usize) -> usize {
    let before = text.as_bytes().get(..position).unwrap_or_default();
    let run = before
        .iter()
        .rev()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count();
    position - run
}

/// The length of the run of spaces and tabs that starts at `position`.
fn horizontal_space_len(text: &str, position: usize) -> usize {
    let after = text.as_bytes().get(position..).unwrap_or_default();
    after
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count()
}

/// If a line break (`\n` or `\r\n`) ends at `position`, where it starts; otherwise
/// `position`.
fn line_break_start(text: &str, position: usize) -> usize {
    let bytes = text.as_bytes();
    if position == 0 || bytes.get(position - 1) != Some(&b'\n') {
        return position;
    }
    if position >= 2 && bytes.get(position - 2) == Some(&b'\r') {
        position - 2
    } else {
        position - 1
    }
}

/// The spaces and tabs that begin the line holding `position`.
fn line_indent(text: &str, position: usize) -> &str {
    let before = text.get(..position).unwrap_or_default();
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let line = text.get(line_start..).unwrap_or_default();
    let indent_len = horizontal_space_len(line, 0);
    line.get(..indent_len).unwrap_or_default()
}

fn internal(message: &'static str) -> AgentError {
    AgentError::Internal {
        agent: AGENT_NAME,
        message,
    }
}

#[cfg(test)]
mod tests;
