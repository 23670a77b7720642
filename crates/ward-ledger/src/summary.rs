//! One-line summaries of a recorded call, for timelines, approval requests and
//! notifications: the command, the path, the URL or the query, never more than a
//! line. Records keep inputs redacted, so a summary of one is too.

use serde_json::Value;

/// At most this many characters of a call's input on one line.
pub const SUMMARY_WIDTH: usize = 72;

/// A one-line summary of a tool input: the command, the path, the URL, the query.
pub fn input_summary(tool: &str, input: &Value) -> String {
    let field = |name: &str| input.get(name).and_then(Value::as_str);
    let text = match tool {
        "Bash" | "PowerShell" => field("command").map(str::to_owned),
        "Read" | "Write" | "Edit" | "MultiEdit" => field("file_path").map(str::to_owned),
        "NotebookEdit" => field("notebook_path").map(str::to_owned),
        "Glob" | "Grep" => field("pattern").map(|pattern| match field("path") {
            Some(path) => format!("{pattern:?} in {path}"),
            None => format!("{pattern:?}"),
        }),
        "WebFetch" => field("url").map(str::to_owned),
        "WebSearch" => field("query").map(|q| format!("{q:?}")),
        "Agent" | "Task" => field("description")
            .or_else(|| field("subagent_type"))
            .map(str::to_owned),
        _ => None,
    };
    let text = text.unwrap_or_else(|| match input {
        Value::Null => String::new(),
        other => other.to_string(),
    });
    shorten(&text.replace('\n', " ⏎ "), SUMMARY_WIDTH)
}

/// `text`, cut to `width` characters with `…` at the end when longer.
pub fn shorten(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}
