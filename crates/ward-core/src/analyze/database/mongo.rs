//! Mongo shell scripts: `db.dropDatabase()`, `db.users.drop()`, `deleteMany({})`,
//! `remove({})`, `updateMany({}, …)` and their `runCommand` forms.
//!
//! The script is JavaScript, but no JavaScript parser is used: the complete ones
//! (swc, boa, oxc) are whole compiler front ends, too heavy for a hook that runs on
//! every tool call, and the calls that matter are plain method calls on `db`. A small
//! tokenizer (`mongo_tokens`) separates code from string literals, comments and
//! regular expressions, and the token stream is matched against those calls. What a
//! script computes at run time (`db[name]`, `eval`, `load`) is not followed: the
//! call still counts, without a subject, and code loaded or evaluated is reported.

use super::mongo_tokens::{JsToken, tokenize};
use super::{DELETE_ALL, DROP_DATABASE, DROP_TABLE, Found, MAX_INPUT_BYTES, Outcome, UPDATE_ALL};

/// Analyses a mongo shell script.
pub(super) fn analyze(script: &str) -> Outcome {
    let mut outcome = Outcome::default();
    if script.len() > MAX_INPUT_BYTES {
        let lowered = script.to_ascii_lowercase();
        if ["drop", "delete", "remove", "update"]
            .iter()
            .any(|word| lowered.contains(word))
        {
            outcome.note_unparsed(format!(
                "mongo script of {} bytes is too large for Ward to analyse",
                script.len()
            ));
        }
        return outcome;
    }
    let tokens = tokenize(script);
    let mut current_database: Option<String> = None;
    for index in 0..tokens.len() {
        match &tokens[index] {
            JsToken::Ident(word) if word == "use" => {
                if let Some(JsToken::Ident(name)) = tokens.get(index + 1)
                    && !matches!(tokens.get(index + 2), Some(JsToken::Punct('(' | '.' | '=')))
                {
                    current_database = Some(name.clone());
                }
            }
            JsToken::Ident(word) if is_dynamic_code(word, &tokens, index) => {
                outcome.note_unparsed(format!(
                    "the script runs code it computes or loads ({word}), which Ward cannot see"
                ));
            }
            JsToken::Ident(word) if word == "runCommand" || word == "adminCommand" => {
                outcome
                    .found
                    .extend(run_command(&tokens[index + 1..], &current_database));
            }
            JsToken::Punct('.') => {
                if let Some(found) = method_call(&tokens, index, &current_database) {
                    outcome.found.push(found);
                }
            }
            _ => {}
        }
    }
    outcome
}

/// `eval(…)`, `load(…)`, `Function(…)`: code Ward cannot see.
fn is_dynamic_code(word: &str, tokens: &[JsToken], index: usize) -> bool {
    matches!(word, "eval" | "load" | "Function")
        && tokens.get(index + 1) == Some(&JsToken::Punct('('))
}

/// A destructive method called after the `.` at `dot`.
fn method_call(tokens: &[JsToken], dot: usize, current_database: &Option<String>) -> Option<Found> {
    let Some(JsToken::Ident(method)) = tokens.get(dot + 1) else {
        return None;
    };
    if tokens.get(dot + 2) != Some(&JsToken::Punct('(')) {
        return None;
    }
    let arguments = &tokens[dot + 3..];
    let collection = || collection_before(tokens, dot);
    let on = |collection: &Option<String>, call: &str| match collection {
        Some(name) => format!("db.{name}.{call}"),
        None => format!("{call} on a collection"),
    };
    match method.as_str() {
        "dropDatabase" => {
            let database = database_before(tokens, dot).or_else(|| current_database.clone());
            let detail = match &database {
                Some(name) => format!("dropDatabase() of {name}"),
                None => "db.dropDatabase()".to_owned(),
            };
            Some(Found::new(DROP_DATABASE, database, detail))
        }
        "drop" | "dropIndex" | "dropIndexes" => {
            let collection = collection();
            let detail = on(&collection, &format!("{method}()"));
            Some(Found::new(DROP_TABLE, collection, detail))
        }
        "deleteMany" | "remove" if starts_with_empty_object(arguments) => {
            let collection = collection();
            let detail = on(&collection, &format!("{method}({{}})"));
            Some(Found::new(DELETE_ALL, collection, detail))
        }
        "updateMany" if starts_with_empty_object(arguments) => {
            let collection = collection();
            let detail = on(&collection, "updateMany({}, …)");
            Some(Found::new(UPDATE_ALL, collection, detail))
        }
        "update" if starts_with_empty_object(arguments) && sets_multi(arguments) => {
            let collection = collection();
            let detail = on(&collection, "update({}, …, {multi: true})");
            Some(Found::new(UPDATE_ALL, collection, detail))
        }
        _ => None,
    }
}

/// `{}` as the first argument, alone: a filter that matches every document.
fn starts_with_empty_object(arguments: &[JsToken]) -> bool {
    matches!(
        arguments,
        [
            JsToken::Punct('{'),
            JsToken::Punct('}'),
            JsToken::Punct(')' | ','),
            ..
        ]
    )
}

/// `multi: true` among a legacy `update(…)`'s arguments.
fn sets_multi(arguments: &[JsToken]) -> bool {
    let mut depth = 0usize;
    for (index, token) in arguments.iter().enumerate() {
        match token {
            JsToken::Punct('(') => depth += 1,
            JsToken::Punct(')') if depth == 0 => return false,
            JsToken::Punct(')') => depth -= 1,
            JsToken::Ident(word) | JsToken::Str(word)
                if word == "multi"
                    && arguments.get(index + 1) == Some(&JsToken::Punct(':'))
                    && matches!(arguments.get(index + 2), Some(JsToken::Ident(value)) if value == "true") =>
            {
                return true;
            }
            _ => {}
        }
    }
    false
}

/// `db.runCommand({drop: "users"})`, `db.adminCommand({dropDatabase: 1})`: the
/// command is the document's first key.
fn run_command(after: &[JsToken], current_database: &Option<String>) -> Option<Found> {
    let [
        JsToken::Punct('('),
        JsToken::Punct('{'),
        key,
        JsToken::Punct(':'),
        value,
        ..,
    ] = after
    else {
        return None;
    };
    let (JsToken::Ident(key) | JsToken::Str(key)) = key else {
        return None;
    };
    match key.as_str() {
        "dropDatabase" => Some(Found::new(
            DROP_DATABASE,
            current_database.clone(),
            "runCommand({dropDatabase: 1})".to_owned(),
        )),
        "drop" => {
            let collection = match value {
                JsToken::Str(name) => Some(name.clone()),
                _ => None,
            };
            let detail = format!(
                "runCommand({{drop: {}}})",
                collection.as_deref().unwrap_or("…")
            );
            Some(Found::new(DROP_TABLE, collection, detail))
        }
        _ => None,
    }
}

/// The collection a method at `dot` is called on: `db.users`, `db["users"]`,
/// `db.getCollection("users")`. `None` when it is computed or a variable.
fn collection_before(tokens: &[JsToken], dot: usize) -> Option<String> {
    let before = |back: usize| dot.checked_sub(back).and_then(|index| tokens.get(index));
    match (before(3), before(2), before(1)) {
        (
            Some(JsToken::Ident(_) | JsToken::Punct(')')),
            Some(JsToken::Punct('.')),
            Some(JsToken::Ident(name)),
        ) => Some(name.clone()),
        (Some(JsToken::Punct('[')), Some(JsToken::Str(name)), Some(JsToken::Punct(']'))) => {
            Some(name.clone())
        }
        (Some(JsToken::Punct('(')), Some(JsToken::Str(name)), Some(JsToken::Punct(')'))) if matches!(before(4), Some(JsToken::Ident(call)) if call == "getCollection") => {
            Some(name.clone())
        }
        _ => None,
    }
}

/// The database a method at `dot` is called on: `db.getSiblingDB("shop")`.
fn database_before(tokens: &[JsToken], dot: usize) -> Option<String> {
    let before = |back: usize| dot.checked_sub(back).and_then(|index| tokens.get(index));
    match (before(4), before(3), before(2), before(1)) {
        (
            Some(JsToken::Ident(call)),
            Some(JsToken::Punct('(')),
            Some(JsToken::Str(name)),
            Some(JsToken::Punct(')')),
        ) if call == "getSiblingDB" => Some(name.clone()),
        _ => None,
    }
}
