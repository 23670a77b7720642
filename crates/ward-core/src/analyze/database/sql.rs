//! SQL text: the client's own commands taken out, then tokens, statements, findings.
//!
//! The whole text is parsed first, so that statements with semicolons inside
//! (`CREATE TRIGGER … BEGIN …; END`) parse whole. When that fails the tokens are split
//! at semicolons and each statement is parsed alone, so that one statement in a
//! vendor's syntax does not hide a `DROP` in the next. A statement that still fails is
//! searched for destructive keywords (`sql_fallback`).
//!
//! `sqlparser` recurses: its recursion limit bounds the depth of the syntax tree it
//! builds from brackets and subqueries, but each level can take tens of kilobytes of
//! stack in a debug build, and a long chain like `1+1+1…` builds a deep tree without
//! recursing, which then recurses when dropped. So parsing runs on a large stack
//! segment of its own, on statements of a bounded number of tokens.

use sqlparser::dialect::{Dialect, GenericDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer, Whitespace, Word};

use super::sql_fallback::{scan_unparsed, unreadable_text};
use super::sql_statements::statement_findings;
use super::{MAX_INPUT_BYTES, Outcome, SqlDialect, first_destructive_word};

/// sqlparser's own default: deeper than any query people write, shallow enough that
/// the parser's stack stays within [`PARSER_STACK_BYTES`].
const RECURSION_LIMIT: usize = 50;

/// Statements with more tokens than this are not parsed, only searched for keywords:
/// this bounds the depth of trees built from operator chains, whose drop recurses.
/// Bulk `INSERT`s of generated data are the only real statements this long.
const MAX_TOKENS_PER_PARSE: usize = 20_000;

/// The parser's stack: room for [`RECURSION_LIMIT`] levels of the parser in
/// a debug build and for dropping a tree [`MAX_TOKENS_PER_PARSE`] deep. Only the pages
/// used are ever committed.
const PARSER_STACK_BYTES: usize = 64 << 20;

/// Analyses SQL text as `dialect`'s client would run it.
pub(super) fn analyze(sql: &str, dialect: SqlDialect) -> Outcome {
    if sql.len() > MAX_INPUT_BYTES {
        let mut outcome = Outcome::default();
        if let Some(word) = first_destructive_word(sql) {
            outcome.note_unparsed(format!(
                "SQL text of {} bytes is too large for Ward to analyse, and contains {word}",
                sql.len()
            ));
        }
        return outcome;
    }
    let script = super::sql_client::client_script(sql, dialect);
    let mut outcome = Outcome::default();
    for reason in script.unknown {
        outcome.note_unparsed(reason);
    }
    outcome.merge(parse_on_large_stack(&script.sql, dialect));
    outcome
}

/// Runs [`analyze_statements`] on a stack segment of [`PARSER_STACK_BYTES`] (on this
/// same thread, through `stacker`: reserved, not touched, so only what the parse
/// uses is ever paged in). If the parser panics, the text is only searched for words.
fn parse_on_large_stack(sql: &str, dialect: SqlDialect) -> Outcome {
    let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        stacker::grow(PARSER_STACK_BYTES, || analyze_statements(sql, dialect, 0))
    }));
    match parsed {
        Ok(outcome) => outcome,
        Err(_panic) => unreadable_text(sql, "the SQL parser failed on it"),
    }
}

/// The `sqlparser` dialect for a client.
fn parser_dialect(dialect: SqlDialect) -> &'static dyn Dialect {
    match dialect {
        SqlDialect::Postgres => &PostgreSqlDialect {},
        SqlDialect::MySql => &MySqlDialect {},
        SqlDialect::Sqlite => &SQLiteDialect {},
        SqlDialect::Generic => &GenericDialect {},
    }
}

/// Analyses SQL with the client's commands already taken out. `nesting` counts how
/// many levels of SQL inside strings (`DO $$ … $$`) led here.
pub(super) fn analyze_statements(sql: &str, dialect: SqlDialect, nesting: usize) -> Outcome {
    let parser_dialect = parser_dialect(dialect);
    let tokens = match Tokenizer::new(parser_dialect, sql).tokenize_with_location() {
        Ok(tokens) => tokens,
        Err(error) => return unreadable_text(sql, &format!("it could not be tokenized: {error}")),
    };
    let mut outcome = Outcome::default();
    let mut tokens = strip_inline_client_commands(tokens, &mut outcome);
    if dialect == SqlDialect::Postgres {
        tokens = name_psql_variables(tokens);
    }

    if significant_count(&tokens) <= MAX_TOKENS_PER_PARSE
        && !has_copy_from_stdin(&tokens)
        && let Ok(statements) = parse(parser_dialect, tokens.clone())
    {
        for statement in &statements {
            outcome.found.extend(statement_findings(statement));
        }
        return outcome;
    }

    let pieces = tokens
        .split(|token| token.token == Token::SemiColon)
        .filter(|piece| significant_count(piece) > 0);
    for (index, piece) in pieces.enumerate() {
        let number = index + 1;
        let count = significant_count(piece);
        if count > MAX_TOKENS_PER_PARSE {
            let why = format!("it has {count} tokens, more than Ward parses");
            outcome.merge(scan_unparsed(piece, number, &why, dialect, nesting));
            continue;
        }
        match parse(parser_dialect, piece.to_vec()) {
            Ok(statements) => {
                for statement in &statements {
                    outcome.found.extend(statement_findings(statement));
                }
            }
            Err(error) => {
                let why = format!("the parser says: {}", plain(&error));
                outcome.merge(scan_unparsed(piece, number, &why, dialect, nesting));
            }
        }
    }
    outcome
}

fn parse(
    dialect: &dyn Dialect,
    tokens: Vec<TokenWithSpan>,
) -> Result<Vec<sqlparser::ast::Statement>, ParserError> {
    Parser::new(dialect)
        .with_recursion_limit(RECURSION_LIMIT)
        .with_tokens_with_locations(tokens)
        .parse_statements()
}

/// Whether a `COPY … FROM STDIN` is among the tokens: given the rest of the text,
/// sqlparser reads it as the copied rows, up to a `\.` line, so a `DROP` after it would
/// be taken for data. Each statement is then parsed alone, where nothing follows.
fn has_copy_from_stdin(tokens: &[TokenWithSpan]) -> bool {
    significant(tokens)
        .any(|token| matches!(token, Token::Word(word) if word.keyword == Keyword::STDIN))
}

/// The parser's message without its `sql parser error: ` prefix.
fn plain(error: &ParserError) -> String {
    let text = error.to_string();
    text.strip_prefix("sql parser error: ")
        .map(str::to_owned)
        .unwrap_or(text)
}

/// Tokens that are not whitespace or comments.
pub(super) fn significant(tokens: &[TokenWithSpan]) -> impl Iterator<Item = &Token> {
    tokens
        .iter()
        .map(|token| &token.token)
        .filter(|token| !matches!(token, Token::Whitespace(_) | Token::EOF))
}

fn significant_count(tokens: &[TokenWithSpan]) -> usize {
    significant(tokens).count()
}

/// Takes out client commands that follow SQL on the same line (`SELECT … \gset`):
/// from an unquoted backslash to the end of the line. Those that run the buffer
/// (`\g`, `\G`) become statement ends.
fn strip_inline_client_commands(
    tokens: Vec<TokenWithSpan>,
    outcome: &mut Outcome,
) -> Vec<TokenWithSpan> {
    if !tokens.iter().any(|token| token.token == Token::Backslash) {
        return tokens;
    }
    let mut kept = Vec::with_capacity(tokens.len());
    let mut tokens = tokens.into_iter().peekable();
    while let Some(token) = tokens.next() {
        if token.token != Token::Backslash {
            kept.push(token);
            continue;
        }
        let mut command = String::from("\\");
        while let Some(next) = tokens.peek() {
            if ends_line(&next.token) {
                break;
            }
            command.push_str(&next.token.to_string());
            tokens.next();
        }
        let effect = super::sql_client::classify_backslash_command(&command);
        if let Some(reason) = effect.unknown {
            outcome.note_unparsed(reason);
        }
        if effect.ends_statement {
            kept.push(TokenWithSpan::new(Token::SemiColon, token.span));
        }
    }
    kept
}

/// Turns psql's variables (`:name`, `:'name'`, `:"name"`), which psql substitutes
/// before sending, into names sqlparser accepts wherever a name or a value may stand:
/// `DROP TABLE :tbl` parses, with `:tbl` as the table.
fn name_psql_variables(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let mut named = Vec::with_capacity(tokens.len());
    let mut tokens = tokens.into_iter().peekable();
    while let Some(token) = tokens.next() {
        // After a value (`arr[1:n]`) a colon is a slice, not a variable.
        let after_value = matches!(
            named.last().map(|previous: &TokenWithSpan| &previous.token),
            Some(Token::Number(..) | Token::Word(_) | Token::RParen | Token::RBracket)
        );
        let variable = match tokens.peek().map(|next| &next.token) {
            Some(Token::Word(word)) if token.token == Token::Colon && !after_value => {
                word.value.clone()
            }
            Some(Token::SingleQuotedString(name))
                if token.token == Token::Colon && !after_value =>
            {
                name.clone()
            }
            _ => {
                named.push(token);
                continue;
            }
        };
        tokens.next();
        let name = Token::Word(Word {
            value: format!(":{variable}"),
            quote_style: Some('"'),
            keyword: Keyword::NoKeyword,
        });
        named.push(TokenWithSpan::new(name, token.span));
    }
    named
}

fn ends_line(token: &Token) -> bool {
    matches!(
        token,
        Token::Whitespace(Whitespace::Newline | Whitespace::SingleLineComment { .. })
    )
}
