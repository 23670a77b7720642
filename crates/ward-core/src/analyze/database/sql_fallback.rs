//! SQL the parser could not read: searched for destructive keywords among its tokens.
//!
//! Keywords count only as tokens, never inside string literals or comments, so
//! `INSERT … VALUES ('delete me')` stays harmless however the parser fares. A statement
//! with such a keyword is reported as unparsed, and where the keywords make it plain
//! (`DROP TABLE x`, `TRUNCATE x`) the finding is added too. A statement without one is
//! vendor syntax Ward need not understand (`CLUSTER t`, `REINDEX TABLE t`): nothing.

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan, Word};

use super::sql::{analyze_statements, significant};
use super::{
    DROP_DATABASE, DROP_TABLE, Found, Outcome, SqlDialect, TRUNCATE, first_destructive_word,
};

/// How many levels of SQL inside strings (`DO $$ … $$`) are analysed.
const MAX_NESTING: usize = 2;

const DESTRUCTIVE_KEYWORDS: [Keyword; 7] = [
    Keyword::DROP,
    Keyword::TRUNCATE,
    Keyword::DELETE,
    Keyword::UPDATE,
    Keyword::ALTER,
    Keyword::GRANT,
    Keyword::REVOKE,
];

/// Text that could not even be tokenized (an unterminated quote or comment): only its
/// raw words are left to go by.
pub(super) fn unreadable_text(sql: &str, why: &str) -> Outcome {
    let mut outcome = Outcome::default();
    if let Some(word) = first_destructive_word(sql) {
        outcome.note_unparsed(format!(
            "the SQL could not be analysed ({why}) and contains {word}"
        ));
    }
    outcome
}

/// Analyses statement `number` (from 1), which the parser rejected: `why`.
pub(super) fn scan_unparsed(
    tokens: &[TokenWithSpan],
    number: usize,
    why: &str,
    dialect: SqlDialect,
    nesting: usize,
) -> Outcome {
    let words: Vec<&Token> = significant(tokens).collect();
    if is_keyword(words.first(), Keyword::DO) {
        return anonymous_block(&words, number, dialect, nesting);
    }
    let mut outcome = Outcome::default();
    let Some(keyword) = first_destructive_keyword(&words) else {
        return outcome;
    };
    outcome.note_unparsed(format!(
        "statement {number} contains {keyword:?} but could not be analysed; {why}"
    ));
    outcome.found = plain_findings(&words);
    outcome
}

/// `DO $$ … $$` runs its body now: its strings are analysed as SQL. The body is
/// PL/pgSQL, so most of it will not parse, but its keywords are found.
fn anonymous_block(
    words: &[&Token],
    number: usize,
    dialect: SqlDialect,
    nesting: usize,
) -> Outcome {
    let mut outcome = Outcome::default();
    for word in words {
        let body = match word {
            Token::DollarQuotedString(body) => &body.value,
            Token::SingleQuotedString(body) => body,
            _ => continue,
        };
        if nesting >= MAX_NESTING {
            if let Some(keyword) = first_destructive_word(body) {
                outcome.note_unparsed(format!(
                    "statement {number} is a DO block nested too deep to analyse and contains {keyword}"
                ));
            }
            continue;
        }
        let mut inner = analyze_statements(body, dialect, nesting + 1);
        if let Some(inner_reason) = inner.unparsed.take() {
            outcome.note_unparsed(format!(
                "in the DO block of statement {number}: {inner_reason}"
            ));
        }
        outcome.merge(inner);
    }
    outcome
}

fn first_destructive_keyword(words: &[&Token]) -> Option<Keyword> {
    words.iter().enumerate().find_map(|(index, token)| {
        let Token::Word(word) = token else {
            return None;
        };
        // `t.drop` is a column, not the keyword.
        let after_period = index > 0 && matches!(words.get(index - 1), Some(Token::Period));
        (word.quote_style.is_none()
            && !after_period
            && DESTRUCTIVE_KEYWORDS.contains(&word.keyword))
        .then_some(word.keyword)
    })
}

/// `DROP <type> [IF EXISTS] name` and `TRUNCATE [TABLE] [ONLY] name` wherever they
/// stand in the statement. The name is `?` when it is not a plain name (`:var`).
fn plain_findings(words: &[&Token]) -> Vec<Found> {
    let mut found = Vec::new();
    for (index, token) in words.iter().enumerate() {
        let Token::Word(word) = token else { continue };
        if word.quote_style.is_some() {
            continue;
        }
        let rest = &words[index + 1..];
        match word.keyword {
            Keyword::DROP => found.extend(plain_drop(rest)),
            Keyword::TRUNCATE => {
                let rest = skip_keywords(rest, &[Keyword::TABLE, Keyword::ONLY]);
                let name = name_at(rest);
                found.push(Found::new(
                    TRUNCATE,
                    Some(name.clone()),
                    format!("TRUNCATE {name}"),
                ));
            }
            _ => {}
        }
    }
    found
}

fn plain_drop(rest: &[&Token]) -> Option<Found> {
    let rest = skip_keywords(rest, &[Keyword::TEMPORARY]);
    let (kind, object_type, rest) = match rest.first() {
        Some(Token::Word(word)) => match word.keyword {
            Keyword::DATABASE | Keyword::SCHEMA => (DROP_DATABASE, word.keyword, &rest[1..]),
            Keyword::MATERIALIZED if is_keyword(rest.get(1), Keyword::VIEW) => {
                (DROP_TABLE, Keyword::MATERIALIZED, &rest[2..])
            }
            Keyword::TABLE
            | Keyword::VIEW
            | Keyword::INDEX
            | Keyword::SEQUENCE
            | Keyword::TYPE
            | Keyword::FUNCTION
            | Keyword::PROCEDURE
            | Keyword::TRIGGER
            | Keyword::DOMAIN => (DROP_TABLE, word.keyword, &rest[1..]),
            _ => return None,
        },
        _ => return None,
    };
    let rest = skip_keywords(rest, &[Keyword::CONCURRENTLY]);
    let rest = if is_keyword(rest.first(), Keyword::IF) && is_keyword(rest.get(1), Keyword::EXISTS)
    {
        &rest[2..]
    } else {
        rest
    };
    let name = name_at(rest);
    let type_words = match object_type {
        Keyword::MATERIALIZED => "MATERIALIZED VIEW".to_owned(),
        other => format!("{other:?}"),
    };
    let detail = format!("DROP {type_words} {name}");
    Some(Found::new(kind, Some(name), detail))
}

/// The dotted name at the start of `tokens`, quotes removed.
fn name_at(tokens: &[&Token]) -> String {
    let mut parts = Vec::new();
    let mut index = 0;
    while let Some(Token::Word(Word { value, .. })) = tokens.get(index) {
        parts.push(value.as_str());
        index += 1;
        if matches!(tokens.get(index), Some(Token::Period)) {
            index += 1;
        } else {
            break;
        }
    }
    if parts.is_empty() {
        return "?".to_owned();
    }
    parts.join(".")
}

fn skip_keywords<'a, 'b>(mut tokens: &'a [&'b Token], keywords: &[Keyword]) -> &'a [&'b Token] {
    while let Some(Token::Word(word)) = tokens.first() {
        if word.quote_style.is_some() || !keywords.contains(&word.keyword) {
            break;
        }
        tokens = &tokens[1..];
    }
    tokens
}

fn is_keyword(token: Option<&&Token>, keyword: Keyword) -> bool {
    matches!(token, Some(Token::Word(word)) if word.quote_style.is_none() && word.keyword == keyword)
}
