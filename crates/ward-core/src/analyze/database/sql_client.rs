//! The SQL clients' own commands, which are not SQL: psql's `\dt`, `\c db`, `\i file`,
//! sqlite3's `.tables`, `.read file`, mysql's `source file` and `DELIMITER //`. They are
//! taken out before parsing; those that run SQL or shell code Ward cannot see are
//! reported, and those that run the statement typed so far (`\g`) end it.

use super::SqlDialect;

/// SQL text with the client's commands taken out, line numbers kept.
#[derive(Debug, Default)]
pub(super) struct ClientScript {
    /// What the server would be sent.
    pub(super) sql: String,
    /// Why some of what would run cannot be known (a file read, a shell command).
    pub(super) unknown: Vec<String>,
}

/// What a client command does, as far as Ward cares.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct CommandEffect {
    /// It sends the statement typed so far, like `;`.
    pub(super) ends_statement: bool,
    /// It runs something Ward cannot see: why.
    pub(super) unknown: Option<String>,
}

/// Takes the client's line commands out of `text`. Each removed line stays as an empty
/// line so that the parser's line numbers still match the text the agent wrote.
pub(super) fn client_script(text: &str, dialect: SqlDialect) -> ClientScript {
    let mut script = ClientScript::default();
    let mut delimiter: Option<String> = None;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut index = 0;
    while index < lines.len() {
        let line = lines[index];
        index += 1;
        let newline = if line.ends_with('\n') { "\n" } else { "" };
        let trimmed = line.trim();
        if trimmed.starts_with('\\') {
            let effect = classify_backslash_command(trimmed);
            script.unknown.extend(effect.unknown);
            script
                .sql
                .push_str(if effect.ends_statement { ";" } else { "" });
            script.sql.push_str(newline);
            continue;
        }
        if let Some(effect) = line_command(trimmed, dialect, &mut delimiter) {
            script.unknown.extend(effect.unknown);
            script.sql.push_str(newline);
            continue;
        }
        if let Some(custom) = &delimiter
            && let Some(statement) = trimmed.strip_suffix(custom.as_str())
        {
            script.sql.push_str(statement);
            script.sql.push(';');
            script.sql.push_str(newline);
            continue;
        }
        script.sql.push_str(line);
        if is_copy_from_stdin(trimmed)
            && let Some(data_lines) = lines[index..].iter().position(|l| l.trim() == "\\.")
        {
            // The rows of `COPY … FROM STDIN` are data, up to the `\.` line.
            for _ in 0..=data_lines {
                script.sql.push('\n');
            }
            index += data_lines + 1;
        }
    }
    if dialect == SqlDialect::MySql {
        script.sql = unwrap_executable_comments(&script.sql);
    }
    script
}

/// MySQL runs what is inside an executable comment (`/*! … */`, `/*!32312 … */`
/// when the server is at least that version, MariaDB's `/*M!100100 … */`), which
/// to any other parser is a comment: `DROP /*!32312 IF EXISTS*/ DATABASE shop`
/// hides the statement's shape. The markers are blanked (line numbers kept) so the
/// parser sees what MySQL runs.
fn unwrap_executable_comments(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(start) = rest.find("/*") {
        let (before, comment) = rest.split_at(start);
        out.push_str(before);
        let body = comment.get(2..).unwrap_or_default();
        let marker = body
            .strip_prefix('!')
            .or_else(|| body.strip_prefix("M!"))
            .map(|after| after.trim_start_matches(|c: char| c.is_ascii_digit()));
        let Some(inner) = marker else {
            // An ordinary comment: kept as it is, up to its end.
            let end = body.find("*/").map_or(comment.len(), |end| end + 4);
            out.push_str(comment.get(..end).unwrap_or(comment));
            rest = comment.get(end..).unwrap_or_default();
            continue;
        };
        out.extend(std::iter::repeat_n(' ', comment.len() - inner.len()));
        match inner.find("*/") {
            Some(end) => {
                out.push_str(inner.get(..end).unwrap_or_default());
                out.push_str("  ");
                rest = inner.get(end + 2..).unwrap_or_default();
            }
            None => {
                out.push_str(inner);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// A whole-line client command other than a backslash one: sqlite3's dot commands and
/// mysql's `source` and `delimiter`. `None` when the line is SQL.
fn line_command(
    trimmed: &str,
    dialect: SqlDialect,
    delimiter: &mut Option<String>,
) -> Option<CommandEffect> {
    let sqlite = matches!(dialect, SqlDialect::Sqlite | SqlDialect::Generic);
    let mysql = matches!(dialect, SqlDialect::MySql | SqlDialect::Generic);
    let (name, argument) = split_command(trimmed);
    if sqlite && name.len() > 1 && name.starts_with('.') && name.as_bytes()[1].is_ascii_alphabetic()
    {
        return Some(dot_command(&name[1..], argument));
    }
    if mysql && name.eq_ignore_ascii_case("source") && !argument.is_empty() {
        return Some(runs_file(argument));
    }
    if mysql && name.eq_ignore_ascii_case("delimiter") && !argument.is_empty() {
        *delimiter = (argument != ";").then(|| argument.to_owned());
        return Some(CommandEffect::default());
    }
    None
}

fn dot_command(name: &str, argument: &str) -> CommandEffect {
    match name.to_ascii_lowercase().as_str() {
        "read" => runs_file(argument),
        "shell" | "system" => runs_shell(),
        "once" | "output" | "excel" if argument.starts_with('|') => runs_shell(),
        _ => CommandEffect::default(),
    }
}

/// What a backslash command (`\i file`, `\gexec`, mysql's `\. file`) does.
pub(super) fn classify_backslash_command(command: &str) -> CommandEffect {
    let Some(body) = command.strip_prefix('\\') else {
        return CommandEffect::default();
    };
    if body.starts_with('!') {
        return runs_shell();
    }
    if let Some(file) = body.strip_prefix('.') {
        return runs_file(file.trim());
    }
    let name_length = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(body.len());
    let (name, argument) = body.split_at(name_length);
    let argument = argument.trim();
    match name {
        "i" | "ir" | "include" | "include_relative" => runs_file(argument),
        "gexec" => CommandEffect {
            ends_statement: true,
            unknown: Some("\\gexec runs the query's results as SQL, which Ward cannot see".into()),
        },
        "g" | "G" | "gx" | "gset" | "gdesc" | "crosstabview" | "watch" => CommandEffect {
            ends_statement: true,
            unknown: argument.starts_with('|').then(|| shell_reason().to_owned()),
        },
        "o" | "out" | "w" | "write" if argument.starts_with('|') => runs_shell(),
        "copy" if argument.to_ascii_lowercase().contains("program") => runs_shell(),
        "system" => runs_shell(),
        _ => CommandEffect::default(),
    }
}

fn runs_file(file: &str) -> CommandEffect {
    let file = if file.is_empty() { "a file" } else { file };
    CommandEffect {
        ends_statement: false,
        unknown: Some(format!("runs the SQL in {file}, which Ward cannot see")),
    }
}

fn runs_shell() -> CommandEffect {
    CommandEffect {
        ends_statement: false,
        unknown: Some(shell_reason().to_owned()),
    }
}

fn shell_reason() -> &'static str {
    "runs a shell command from the SQL client, which Ward cannot see"
}

/// A line's first word and the rest, trimmed.
fn split_command(trimmed: &str) -> (&str, &str) {
    match trimmed.split_once(char::is_whitespace) {
        Some((name, rest)) => (name, rest.trim()),
        None => (trimmed, ""),
    }
}

/// `COPY t FROM STDIN;` alone on its line: psql sends the following lines as rows.
fn is_copy_from_stdin(trimmed: &str) -> bool {
    let upper = trimmed.to_ascii_uppercase();
    upper.starts_with("COPY ") && upper.contains(" FROM STDIN") && upper.ends_with(';')
}
