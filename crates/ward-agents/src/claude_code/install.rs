//! Registering Ward's hook in Claude Code settings text, and removing it again.
//!
//! This module owns which events Ward registers for, what a Ward handler looks like,
//! and how one is recognised later. It works on strings only: the CLI chooses the
//! settings file (user, project, local or managed), reads it, shows the diff, and
//! writes the result. Splicing the text is left to `jsonc_edit`, which keeps every byte
//! of the user's file that an edit does not need.
//!
//! The round trip is exact: for a file without Ward handlers,
//! `uninstall(install(file).after).after == file`, except in the cases listed on
//! [`uninstall`].

use serde_json::{Value, json};

use crate::AgentError;

use super::AGENT_NAME;
use super::jsonc_edit::{Container, Document, Member, apply, value_type};

/// The events Ward registers for: every event it decides on or records.
pub const HANDLED_EVENTS: &[&str] = &[
    "PreToolUse",
    "PostToolUse",
    "PostToolUseFailure",
    "PermissionRequest",
    "PermissionDenied",
    "UserPromptSubmit",
    "SessionStart",
    "SessionEnd",
    "SubagentStart",
    "SubagentStop",
    "Stop",
    "Notification",
    "PreCompact",
];

/// The events where Ward's answer can stop something, so its handler carries
/// `"onFailure": "block"`: a crashed, missing or timed-out `ward` blocks the call
/// instead of letting it through.
pub const GUARDING_EVENTS: &[&str] = &["PreToolUse", "PermissionRequest", "UserPromptSubmit"];

/// The hook command inside Ward's Claude Code plugin, which ships the binary at
/// `bin/ward`.
pub const PLUGIN_COMMAND: &str = "${CLAUDE_PLUGIN_ROOT}/bin/ward hook claude-code";

/// Events that take no `matcher` (they always fire, `agent-hooks.md` §1.3).
const EVENTS_WITHOUT_MATCHER: &[&str] = &["UserPromptSubmit", "Stop"];

/// Seconds Claude Code waits for Ward before giving up (and, with `onFailure: block`,
/// blocking). Its own default is 600 s, far longer than a hook should ever take.
const HANDLER_TIMEOUT_SECONDS: u64 = 30;

/// A settings file's text before and after an edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// The text as it was (empty for a file that did not exist).
    pub before: String,
    /// The text to write.
    pub after: String,
    /// Whether `after` differs from `before`; when it does not, write nothing.
    pub changed: bool,
}

impl Edit {
    fn new(before: String, after: String) -> Edit {
        let changed = before != after;
        Edit {
            before,
            after,
            changed,
        }
    }
}

/// Whether a handler's command runs Ward's Claude Code hook: its last two
/// whitespace-separated words are `hook claude-code`, whatever the path to `ward`.
pub fn is_ward_handler(command: &str) -> bool {
    let mut words = command.split_whitespace().rev();
    words.next() == Some("claude-code") && words.next() == Some("hook")
}

/// Registers `command` for every event in [`HANDLED_EVENTS`].
///
/// `original` is the settings file's text, or `None` when it does not exist (a new file
/// with only `hooks` is written, indented by two spaces). For each event a matcher group
/// is appended to `hooks.<event>`, creating `hooks` and the event's array when missing;
/// an event that already has a Ward handler (the same command, or any command
/// [`is_ward_handler`] recognises) is left alone, so a second install changes nothing.
/// Inserted text follows the file's line breaks, indentation and spacing, and nothing
/// else in the file changes. Comments and trailing commas are tolerated and kept.
///
/// `command` should end in `hook claude-code` so that [`uninstall`] recognises it.
///
/// # Errors
///
/// The file is not valid JSON, its top level is not an object, `hooks` is not an
/// object, an event under `hooks` is not an array, or one of these keys appears twice.
/// The caller should then leave the file alone.
pub fn install(original: Option<&str>, command: &str) -> Result<Edit, AgentError> {
    let before = original.unwrap_or_default().to_owned();
    if before.trim().is_empty() {
        let after = fresh_document(command);
        return Ok(Edit::new(before, after));
    }
    let mut text = before.clone();
    for event in HANDLED_EVENTS {
        if let Some(next) = install_event(&text, event, command)? {
            text = next;
        }
    }
    Ok(Edit::new(before, text))
}

/// Removes every Ward handler ([`is_ward_handler`]) from every event, then the matcher
/// groups, event arrays and `hooks` object this leaves empty.
///
/// Everything else keeps its bytes, comments included. Undoing [`install`] gives back
/// the original file exactly, except in these cases, which Claude Code reads the same
/// way as the original:
///
/// - an event array or `hooks` object that was empty before install (`"Stop": []`,
///   `"hooks": {}`) is removed, since it is empty again;
/// - an empty top-level object with whitespace inside (`{ }`, `{\n}`) comes back
///   as `{}`;
/// - a file that was empty or only whitespace comes back as `{}` and a line break; one
///   that held only comments keeps them, followed by `{}` and a line break.
///
/// # Errors
///
/// The same as [`install`].
pub fn uninstall(original: &str) -> Result<Edit, AgentError> {
    let mut text = original.to_owned();
    while let Some(next) = uninstall_one(&text)? {
        // Each step deletes text, so the loop ends; a step that does not would repeat.
        if next.len() >= text.len() {
            return Err(internal("removing a handler did not shorten the file"));
        }
        text = next;
    }
    Ok(Edit::new(original.to_owned(), text))
}

/// A unified diff of the edit, labelled with `path_label` (for `--dry-run`); empty when
/// nothing changes.
pub fn unified_diff(path_label: &str, edit: &Edit) -> String {
    if !edit.changed {
        return String::new();
    }
    similar::TextDiff::from_lines(&edit.before, &edit.after)
        .unified_diff()
        .context_radius(3)
        .header(path_label, path_label)
        .to_string()
}

/// The files of a Claude Code plugin that registers Ward, as (path relative to the
/// plugin root, contents): `.claude-plugin/plugin.json` and `hooks/hooks.json`, the
/// latter with the same handlers as [`install`] and `command` (normally
/// [`PLUGIN_COMMAND`]).
pub fn plugin_files(command: &str) -> Vec<(String, String)> {
    let manifest = json!({
        "name": "ward",
        "version": env!("CARGO_PKG_VERSION"),
        "description": "Ward: decides on, records and proves every tool call Claude Code makes.",
    });
    let hooks = json!({
        "description": "Ward's hook: policy decisions before each tool call, a tamper-evident record of everything after.",
        "hooks": hooks_object(HANDLED_EVENTS, command),
    });
    vec![
        (".claude-plugin/plugin.json".to_owned(), pretty(&manifest)),
        ("hooks/hooks.json".to_owned(), pretty(&hooks)),
    ]
}

/// One matcher group holding Ward's handler for `event`.
fn matcher_group(event: &str, command: &str) -> Value {
    let mut handler = json!({
        "type": "command",
        "command": command,
        "timeout": HANDLER_TIMEOUT_SECONDS,
    });
    if GUARDING_EVENTS.contains(&event)
        && let Some(handler) = handler.as_object_mut()
    {
        handler.insert("onFailure".to_owned(), json!("block"));
    }
    if EVENTS_WITHOUT_MATCHER.contains(&event) {
        json!({ "hooks": [handler] })
    } else {
        json!({ "matcher": "*", "hooks": [handler] })
    }
}

/// A `hooks` object with one Ward group per event.
fn hooks_object(events: &[&str], command: &str) -> Value {
    let map = events
        .iter()
        .map(|event| ((*event).to_owned(), json!([matcher_group(event, command)])))
        .collect();
    Value::Object(map)
}

fn fresh_document(command: &str) -> String {
    pretty(&json!({ "hooks": hooks_object(HANDLED_EVENTS, command) }))
}

fn pretty(value: &Value) -> String {
    // Serializing a `Value` cannot fail; fall back to the compact form regardless.
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string());
    text.push('\n');
    text
}

/// Adds Ward's group for one event, or returns `None` when the event already has a
/// Ward handler. Each event is one edit of freshly parsed text, so every edit sees the
/// file as the previous one left it.
fn install_event(text: &str, event: &str, command: &str) -> Result<Option<String>, AgentError> {
    let document = parse(text)?;
    let Some(settings) = Settings::read(&document)? else {
        // Only comments: keep them and start a document after them.
        let separator = if text.ends_with('\n') { "" } else { "\n" };
        return Ok(Some(format!(
            "{text}{separator}{}",
            fresh_document(command)
        )));
    };
    let group = matcher_group(event, command);
    let splice = match &settings.hooks {
        None => {
            let value = hooks_object(&[event], command);
            let member = Member {
                key: Some("hooks"),
                value: &value,
            };
            document.append(&Container::of_object(settings.root), &member)?
        }
        Some(hooks) => match hooks.events.iter().find(|e| e.name == event) {
            None => {
                let value = json!([group]);
                let member = Member {
                    key: Some(event),
                    value: &value,
                };
                document.append(&Container::of_object(hooks.object), &member)?
            }
            Some(entry) => {
                let present = entry.groups.iter().any(|group| {
                    group
                        .commands
                        .iter()
                        .flatten()
                        .any(|c| *c == command || is_ward_handler(c))
                });
                if present {
                    return Ok(None);
                }
                let member = Member {
                    key: None,
                    value: &group,
                };
                document.append(&Container::of_array(entry.array), &member)?
            }
        },
    };
    apply(text, vec![splice]).map(Some)
}

/// Removes the outermost thing that holds only Ward handlers around the first Ward
/// handler: the `hooks` key, an event key, a matcher group, or the handler itself.
/// `None` when no Ward handler is left.
fn uninstall_one(text: &str) -> Result<Option<String>, AgentError> {
    let document = parse(text)?;
    let Some(settings) = Settings::read(&document)? else {
        return Ok(None);
    };
    let Some(hooks) = &settings.hooks else {
        return Ok(None);
    };
    let Some((event_index, entry)) = hooks
        .events
        .iter()
        .enumerate()
        .find(|(_, entry)| entry.groups.iter().any(Group::has_ward))
    else {
        return Ok(None);
    };
    let splices = if hooks.events.iter().all(EventEntry::only_ward) {
        document.remove(&Container::of_object(settings.root), hooks.property_index)?
    } else if entry.only_ward() {
        document.remove(&Container::of_object(hooks.object), event_index)?
    } else {
        let (group_index, group) = entry
            .groups
            .iter()
            .enumerate()
            .find(|(_, group)| group.has_ward())
            .ok_or(internal("the event with a Ward handler has none"))?;
        if group.only_ward() {
            document.remove(&Container::of_array(entry.array), group_index)?
        } else {
            let (handlers, handler_index) = group
                .handlers
                .zip(
                    group
                        .commands
                        .iter()
                        .position(|c| c.is_some_and(is_ward_handler)),
                )
                .ok_or(internal("the group with a Ward handler has none"))?;
            document.remove(&Container::of_array(handlers), handler_index)?
        }
    };
    apply(text, splices).map(Some)
}

/// What `install` and `uninstall` need to know about a settings file, checked to have
/// the shape Claude Code reads.
struct Settings<'d> {
    root: &'d jsonc_parser::ast::Object<'d>,
    hooks: Option<Hooks<'d>>,
}

/// The `hooks` object.
struct Hooks<'d> {
    object: &'d jsonc_parser::ast::Object<'d>,
    /// Its index among the top-level properties.
    property_index: usize,
    events: Vec<EventEntry<'d>>,
}

/// One event's array of matcher groups.
struct EventEntry<'d> {
    name: &'d str,
    array: &'d jsonc_parser::ast::Array<'d>,
    groups: Vec<Group<'d>>,
}

/// One element of an event's array.
struct Group<'d> {
    /// The group's `hooks` array, when it is one.
    handlers: Option<&'d jsonc_parser::ast::Array<'d>>,
    /// Each handler's `command`, when it is a string.
    commands: Vec<Option<&'d str>>,
}

impl<'d> Settings<'d> {
    /// `None` when the text holds no value at all (only comments).
    fn read(document: &'d Document<'d>) -> Result<Option<Settings<'d>>, AgentError> {
        let Some(root) = document.root() else {
            return Ok(None);
        };
        let jsonc_parser::ast::Value::Object(root) = root else {
            return Err(AgentError::SettingsNotObject {
                agent: AGENT_NAME,
                found: value_type(root),
            });
        };
        let Some(property_index) = unique_key(root, "hooks", "hooks")? else {
            return Ok(Some(Settings { root, hooks: None }));
        };
        let property = root
            .properties
            .get(property_index)
            .ok_or(internal("`hooks` index out of range"))?;
        let jsonc_parser::ast::Value::Object(object) = &property.value else {
            return Err(key_type("hooks".to_owned(), "an object", &property.value));
        };
        let mut events = Vec::with_capacity(object.properties.len());
        for event in &object.properties {
            let name = event.name.as_str();
            let dotted = format!("hooks.{name}");
            unique_key(object, name, &dotted)?;
            let jsonc_parser::ast::Value::Array(array) = &event.value else {
                return Err(key_type(dotted, "an array", &event.value));
            };
            let groups = array.elements.iter().map(Group::read).collect();
            events.push(EventEntry {
                name,
                array,
                groups,
            });
        }
        Ok(Some(Settings {
            root,
            hooks: Some(Hooks {
                object,
                property_index,
                events,
            }),
        }))
    }
}

impl<'d> Group<'d> {
    /// Reads a matcher group, tolerating any shape: what is not a handler with a
    /// string `command` is simply not Ward's.
    fn read(element: &'d jsonc_parser::ast::Value<'d>) -> Group<'d> {
        let handlers = element
            .as_object()
            .and_then(|group| group.get_array("hooks"));
        let commands = handlers
            .map(|handlers| {
                handlers
                    .elements
                    .iter()
                    .map(|handler| {
                        handler
                            .as_object()
                            .and_then(|handler| handler.get_string("command"))
                            .map(|command| command.value.as_ref())
                    })
                    .collect()
            })
            .unwrap_or_default();
        Group { handlers, commands }
    }

    fn has_ward(&self) -> bool {
        self.commands.iter().flatten().any(|c| is_ward_handler(c))
    }

    /// Whether removing Ward's handlers leaves the group with none.
    fn only_ward(&self) -> bool {
        !self.commands.is_empty() && self.commands.iter().all(|c| c.is_some_and(is_ward_handler))
    }
}

impl EventEntry<'_> {
    /// Whether removing Ward's handlers leaves the event with no group.
    fn only_ward(&self) -> bool {
        !self.groups.is_empty() && self.groups.iter().all(Group::only_ward)
    }
}

/// The index of property `name`, refusing a key that appears twice: Claude Code
/// would read the last one, and an edit of the first would be silently ignored.
fn unique_key(
    object: &jsonc_parser::ast::Object<'_>,
    name: &str,
    dotted: &str,
) -> Result<Option<usize>, AgentError> {
    let mut found = object
        .properties
        .iter()
        .enumerate()
        .filter(|(_, property)| property.name.as_str() == name)
        .map(|(index, _)| index);
    let first = found.next();
    if found.next().is_some() {
        return Err(AgentError::SettingsDuplicateKey {
            agent: AGENT_NAME,
            key: dotted.to_owned(),
        });
    }
    Ok(first)
}

fn parse(text: &str) -> Result<Document<'_>, AgentError> {
    Document::parse(text).map_err(|error| AgentError::SettingsNotJson {
        agent: AGENT_NAME,
        message: error.to_string(),
    })
}

fn key_type(
    key: String,
    expected: &'static str,
    found: &jsonc_parser::ast::Value<'_>,
) -> AgentError {
    AgentError::SettingsKeyType {
        agent: AGENT_NAME,
        key,
        expected,
        found: value_type(found),
    }
}

fn internal(message: &'static str) -> AgentError {
    AgentError::Internal {
        agent: AGENT_NAME,
        message,
    }
}

#[cfg(test)]
mod output_tests;
#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;
