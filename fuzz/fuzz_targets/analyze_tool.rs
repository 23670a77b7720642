//! Feeds arbitrary JSON-ish tool inputs to `ward_core::analyze` for a handful of
//! tools (Bash, Write, Edit, WebFetch, an MCP tool, and one Ward does not know).
//! The input is either structured (the fields each tool reads, with arbitrary
//! values, plus arbitrary extra fields) or raw text parsed as JSON.

#![no_main]

#[path = "common.rs"]
mod common;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Number, Value};
use ward_core::{AnalysisContext, Event, analyze};

#[derive(Arbitrary, Debug)]
enum Tool {
    Bash,
    Write,
    Edit,
    MultiEdit,
    Read,
    WebFetch,
    McpWrite,
    McpRead,
    Unknown,
}

impl Tool {
    fn name(&self) -> &'static str {
        match self {
            Tool::Bash => "Bash",
            Tool::Write => "Write",
            Tool::Edit => "Edit",
            Tool::MultiEdit => "MultiEdit",
            Tool::Read => "Read",
            Tool::WebFetch => "WebFetch",
            Tool::McpWrite => "mcp__github__create_or_update_file",
            Tool::McpRead => "mcp__filesystem__read_text_file",
            Tool::Unknown => "SomeNewTool",
        }
    }
}

/// A JSON value; arbitrary recursion is bounded by the input's length.
#[derive(Arbitrary, Debug)]
enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    fn into_value(self, depth: usize) -> Value {
        if depth > 64 {
            return Value::Null;
        }
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(b),
            Json::Int(i) => Value::Number(i.into()),
            Json::Float(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
            Json::Str(s) => Value::String(s),
            Json::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(|item| item.into_value(depth + 1))
                    .collect(),
            ),
            Json::Object(fields) => Value::Object(
                fields
                    .into_iter()
                    .map(|(key, value)| (key, value.into_value(depth + 1)))
                    .collect(),
            ),
        }
    }
}

/// A well-known field with an arbitrary value: the fields the tools read.
#[derive(Arbitrary, Debug)]
enum Field {
    Command(Json),
    FilePath(Json),
    Content(Json),
    OldString(Json),
    NewString(Json),
    Url(Json),
    Path(Json),
    Uri(Json),
    Edits(Json),
    Other(String, Json),
}

#[derive(Arbitrary, Debug)]
enum Input {
    /// Fields the tools read, with any values.
    Fields(Vec<Field>),
    /// A top-level value of any shape (a string, an array, ...).
    Value(Json),
    /// Raw text parsed as JSON (skipped when it does not parse).
    Raw(String),
}

#[derive(Arbitrary, Debug)]
struct Case {
    tool: Tool,
    cwd: String,
    home: String,
    branch: Option<String>,
    input: Input,
}

fuzz_target!(init: common::install_hook(), |case: Case| {
    let input = match case.input {
        Input::Fields(fields) => {
            let mut map = Map::new();
            for field in fields {
                let (key, value) = match field {
                    Field::Command(v) => ("command".to_owned(), v),
                    Field::FilePath(v) => ("file_path".to_owned(), v),
                    Field::Content(v) => ("content".to_owned(), v),
                    Field::OldString(v) => ("old_string".to_owned(), v),
                    Field::NewString(v) => ("new_string".to_owned(), v),
                    Field::Url(v) => ("url".to_owned(), v),
                    Field::Path(v) => ("path".to_owned(), v),
                    Field::Uri(v) => ("uri".to_owned(), v),
                    Field::Edits(v) => ("edits".to_owned(), v),
                    Field::Other(k, v) => (k, v),
                };
                map.insert(key, value.into_value(0));
            }
            Value::Object(map)
        }
        Input::Value(value) => value.into_value(0),
        Input::Raw(text) => match serde_json::from_str::<Value>(&text) {
            Ok(value) => value,
            Err(_) => return,
        },
    };
    let context = AnalysisContext {
        cwd: case.cwd.clone(),
        home: case.home,
        branch: case.branch,
    };
    let event = Event::pre_tool_use("claude-code", "fuzz", &case.cwd, case.tool.name(), input);
    let action = common::check(&event, || analyze(&event, &context));
    assert!(
        !action.opaque || !action.notes.is_empty(),
        "opaque action without a note"
    );
    assert!(!action.categories.is_empty(), "an action has a category");
    let _ = serde_json::to_vec(&action);
});
