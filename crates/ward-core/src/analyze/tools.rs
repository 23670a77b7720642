//! Analysis of the agents' built-in tools and MCP tools: which category a tool call
//! falls into and which paths and URLs it names. Shell tools are handed to
//! [`super::shell`].
//!
//! Tool names are Claude Code's (the adapters of other agents map onto them); a
//! tool Ward does not know falls into `other`, with any path- or URL-like string of
//! its input as a target, so that target rules still see what it touches.

use serde_json::Value;

use super::{AnalysisContext, paths::resolve_path, shell};
use crate::{Action, Category, TargetKind, ToolCall};

/// How deep into an unknown tool's input Ward looks for paths and URLs.
const MAX_INPUT_DEPTH: usize = 8;
/// How many strings of an unknown tool's input Ward looks at, at most.
const MAX_INPUT_STRINGS: usize = 256;

pub(crate) fn analyze_tool(tool: &ToolCall, context: &AnalysisContext) -> Action {
    let mut action = Action {
        tool: tool.name.clone(),
        ..Action::default()
    };
    let input = &tool.input;
    let field = |name: &str| input.get(name).and_then(Value::as_str);
    match tool.name.as_str() {
        "Bash" | "PowerShell" => {
            action.add_category(Category::Command);
            match field("command") {
                Some(command) => shell::analyze_shell(command, context, &mut action),
                None => {
                    action.opaque = true;
                    action
                        .notes
                        .push("the shell tool's input has no `command` string".to_owned());
                }
            }
        }
        "Read" => add_path(&mut action, field("file_path"), TargetKind::Read, context),
        "Write" | "Edit" | "MultiEdit" => {
            add_path(&mut action, field("file_path"), TargetKind::Write, context);
        }
        "NotebookEdit" => {
            add_path(
                &mut action,
                field("notebook_path"),
                TargetKind::Write,
                context,
            );
        }
        "Glob" | "Grep" | "LS" => {
            let path = field("path").unwrap_or(context.cwd.as_str());
            add_path(&mut action, Some(path), TargetKind::Read, context);
        }
        "WebFetch" => {
            action.add_category(Category::Network);
            if let Some(url) = field("url") {
                action.add_target(url.to_owned(), TargetKind::Network);
            }
        }
        "WebSearch" => {
            action.add_category(Category::Network);
            for domain in input
                .get("allowed_domains")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                action.add_target(domain.to_owned(), TargetKind::Network);
            }
        }
        "Agent" | "Task" => action.add_category(Category::Delegation),
        "TodoWrite" | "TaskCreate" | "TaskUpdate" | "TaskGet" | "TaskList" | "TaskStop"
        | "EnterPlanMode" | "ExitPlanMode" | "EnterWorktree" | "ExitWorktree" | "SetGoal"
        | "CronCreate" | "CronDelete" | "CronList" | "ScheduleWakeup" => {
            action.add_category(Category::State);
        }
        name if name.starts_with("mcp__") => {
            action.add_category(Category::Mcp);
            let kind = if mcp_tool_writes(name) {
                TargetKind::Write
            } else {
                TargetKind::Read
            };
            add_input_strings(&mut action, input, kind, context);
            mcp_sql(&mut action, name, input);
            mcp_shell(&mut action, name, input, context);
        }
        "ReadMcpResourceTool" | "ListMcpResourcesTool" => {
            action.add_category(Category::Mcp);
            if let Some(uri) = field("uri") {
                action.add_target(uri.to_owned(), TargetKind::Read);
            }
        }
        _ => {
            action.add_category(Category::Other);
            add_input_strings(&mut action, input, TargetKind::Read, context);
        }
    }
    mark_credentials(&mut action, context);
    super::hosts::check_targets(&mut action);
    super::content::check(tool, &mut action);
    if action.categories.is_empty() {
        action.add_category(Category::Other);
    }
    action
}

fn add_path(action: &mut Action, raw: Option<&str>, kind: TargetKind, context: &AnalysisContext) {
    match raw {
        Some(raw) if !raw.is_empty() => action.add_target(resolve_path(raw, context), kind),
        _ => {
            action.add_category(kind.category());
            action.opaque = true;
            action
                .notes
                .push(format!("the {} tool's input names no path", action.tool));
        }
    }
}

/// A command given to a shell-running MCP tool (`mcp__desktop-commander__
/// execute_command {"command": …}`) is analysed as a shell command.
fn mcp_shell(action: &mut Action, name: &str, input: &Value, context: &AnalysisContext) {
    const SHELL_WORDS: [&str; 6] = ["exec", "shell", "command", "terminal", "run", "bash"];
    let lower = name
        .rsplit("__")
        .next()
        .unwrap_or(name)
        .to_ascii_lowercase();
    if !SHELL_WORDS.iter().any(|word| lower.contains(word)) {
        return;
    }
    for field in ["command", "cmd", "script"] {
        if let Some(command) = input.get(field).and_then(Value::as_str) {
            action.add_category(Category::Command);
            shell::analyze_shell(command, context, action);
        }
    }
}

/// SQL given to a database MCP server's tool (`mcp__postgres__query {"sql": …}`)
/// is parsed like SQL given to `psql`.
fn mcp_sql(action: &mut Action, name: &str, input: &Value) {
    const DATABASE_WORDS: [&str; 12] = [
        "sql",
        "postgres",
        "mysql",
        "sqlite",
        "database",
        "db",
        "supabase",
        "neon",
        "bigquery",
        "snowflake",
        "clickhouse",
        "duckdb",
    ];
    let lower = name.to_ascii_lowercase();
    if !DATABASE_WORDS.iter().any(|word| lower.contains(word)) {
        return;
    }
    for field in ["sql", "query", "statement", "statements", "command"] {
        if let Some(sql) = input.get(field).and_then(Value::as_str) {
            let analysis =
                super::database::analyze_sql(sql, super::database::SqlDialect::Generic, action);
            if let Some(reason) = analysis.unparsed {
                action.opaque = true;
                action.notes.push(format!("`{name}`: {reason}"));
            }
        }
    }
}

/// Whether an MCP tool's name says it changes something (`create_issue`,
/// `write_file`, `delete_branch`): its path arguments are then write targets.
fn mcp_tool_writes(name: &str) -> bool {
    let tool = name
        .rsplit("__")
        .next()
        .unwrap_or(name)
        .to_ascii_lowercase();
    [
        "write", "edit", "create", "update", "delete", "remove", "move", "rename", "put", "set",
        "push", "merge", "upload",
    ]
    .iter()
    .any(|verb| tool.contains(verb))
}

/// Adds every path- or URL-like string of a tool's input as a target.
fn add_input_strings(
    action: &mut Action,
    input: &Value,
    kind: TargetKind,
    context: &AnalysisContext,
) {
    let mut stack: Vec<(&Value, usize)> = vec![(input, 0)];
    let mut seen = 0;
    while let Some((value, depth)) = stack.pop() {
        match value {
            Value::String(text) => {
                seen += 1;
                if seen > MAX_INPUT_STRINGS {
                    break;
                }
                if text.contains("://") && !text.contains(char::is_whitespace) {
                    action.add_target(text.clone(), TargetKind::Network);
                } else if looks_like_path(text) {
                    action.add_target(resolve_path(text, context), kind);
                }
            }
            Value::Array(items) if depth < MAX_INPUT_DEPTH => {
                stack.extend(items.iter().rev().map(|item| (item, depth + 1)));
            }
            Value::Object(map) if depth < MAX_INPUT_DEPTH => {
                stack.extend(map.values().rev().map(|item| (item, depth + 1)));
            }
            _ => {}
        }
    }
}

fn looks_like_path(text: &str) -> bool {
    let short = text.len() <= 4096 && !text.contains(['\n', '\0']);
    short
        && (text.starts_with('/')
            || text.starts_with("~/")
            || text == "~"
            || text.starts_with("./")
            || text.starts_with("../"))
}

/// Adds `credential_access` when a file target is a credential store: private keys,
/// `.env` files (not `.env.example`), cloud and registry credentials.
fn mark_credentials(action: &mut Action, context: &AnalysisContext) {
    let touches_credentials = action
        .targets
        .iter()
        .filter(|target| !matches!(target.kind, TargetKind::Network | TargetKind::Chmod))
        .any(|target| {
            is_credential_path(&target.path, &context.home)
                || (action.tool == "Grep" && is_credential_directory(&target.path, &context.home))
        });
    if touches_credentials {
        action.add_category(Category::CredentialAccess);
    }
}

/// Whether a resolved path is a directory of credential stores (`~/.ssh`,
/// `~/.aws`): searching or sending it as a whole reaches the credentials in it.
pub(crate) fn is_credential_directory(path: &str, home: &str) -> bool {
    let path = path.trim_end_matches('/');
    path.strip_prefix(home).is_some_and(|rest| {
        matches!(
            rest,
            "/.ssh"
                | "/.config/gh"
                | "/.mozilla"
                | "/.config/google-chrome"
                | "/.aws"
                | "/.gnupg"
                | "/.kube"
                | "/.docker"
                | "/.config/gcloud"
                | "/.azure"
                | "/.password-store"
        )
    })
}

/// Whether a resolved path names a credential file. Later analysis work widens this
/// list; policies can name more with target globs.
pub(crate) fn is_credential_path(path: &str, home: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let env_file = name == ".env"
        || (name.starts_with(".env.")
            && ![".example", ".sample", ".template", ".dist"]
                .iter()
                .any(|marker| name.ends_with(marker) || contains_followed_by_dot(name, marker)));
    let key_file = (name.starts_with("id_")
        && ["rsa", "dsa", "ecdsa", "ed25519"]
            .iter()
            .any(|algorithm| name.trim_start_matches("id_").starts_with(algorithm))
        && !name.ends_with(".pub"))
        || name.ends_with(".pem")
        || name.ends_with(".key")
        || name.ends_with(".p12")
        || name.ends_with(".pfx")
        || name.ends_with(".jks")
        || name.ends_with(".keystore")
        || name.ends_with(".ppk");
    let store = [
        ".netrc",
        ".pgpass",
        ".npmrc",
        ".pypirc",
        ".git-credentials",
        ".htpasswd",
        ".vault-token",
        "credentials.json",
        "service-account.json",
        "terraform.tfstate",
        "secrets.yml",
        "secrets.yaml",
        ".my.cnf",
        "rclone.conf",
        "logins.json",
        "key4.db",
        "Login Data",
        "Cookies",
        "shadow",
        "gshadow",
        "master.key",
        "credentials.yml.enc",
    ]
    .contains(&name);
    // Called for every target of every call: no allocation per suffix.
    let in_home = |suffix: &str| {
        path.strip_prefix(home)
            .and_then(|rest| rest.strip_prefix(suffix))
            .is_some_and(|after| after.is_empty() || after.starts_with('/'))
    };
    let home_store = in_home("/.aws/credentials")
        || in_home("/.aws/sso/cache")
        || in_home("/.kube/config")
        || in_home("/.docker/config.json")
        || in_home("/.gnupg")
        || in_home("/.config/gcloud")
        || in_home("/.config/gh/hosts.yml")
        || in_home("/.config/hub")
        || in_home("/.cargo/credentials")
        || in_home("/.cargo/credentials.toml")
        || in_home("/.terraform.d/credentials.tfrc.json")
        || in_home("/.azure")
        || in_home("/.password-store")
        || in_home("/.local/share/keyrings")
        || in_home("/.ssh")
            && !name.ends_with(".pub")
            && !matches!(
                name,
                "known_hosts"
                    | "known_hosts.old"
                    | "config"
                    | "authorized_keys"
                    | "authorized_keys2"
            )
            && path.strip_prefix(home) != Some("/.ssh");
    env_file || key_file || store || home_store
}

/// Whether `name` contains `marker` immediately followed by a `.` (`.env.example.local`),
/// without building the string `marker.`.
fn contains_followed_by_dot(name: &str, marker: &str) -> bool {
    name.match_indices(marker)
        .any(|(at, _)| name.as_bytes().get(at + marker.len()) == Some(&b'.'))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::Target;

    fn context() -> AnalysisContext {
        AnalysisContext {
            cwd: "/home/dev/app".to_owned(),
            home: "/home/dev".to_owned(),
            branch: None,
        }
    }

    fn analyse(name: &str, input: Value) -> Action {
        let tool = ToolCall {
            name: name.to_owned(),
            input,
            tool_use_id: None,
            mcp_server: None,
        };
        analyze_tool(&tool, &context())
    }

    fn target(path: &str, kind: TargetKind) -> Target {
        Target {
            path: path.to_owned(),
            kind,
        }
    }

    #[test]
    fn file_tools_name_their_paths() {
        let read = analyse("Read", json!({"file_path": "src/lib.rs"}));
        assert_eq!(read.categories, vec![Category::FileRead]);
        assert_eq!(
            read.targets,
            vec![target("/home/dev/app/src/lib.rs", TargetKind::Read)]
        );
        let write = analyse(
            "Write",
            json!({"file_path": "/home/dev/app/a.txt", "content": "x"}),
        );
        assert_eq!(write.category(), Category::FileWrite);
        let edit = analyse("Edit", json!({"file_path": "../b.txt"}));
        assert_eq!(
            edit.targets,
            vec![target("/home/dev/b.txt", TargetKind::Write)]
        );
        let grep = analyse("Grep", json!({"pattern": "x"}));
        assert_eq!(
            grep.targets,
            vec![target("/home/dev/app", TargetKind::Read)]
        );
    }

    #[test]
    fn a_file_tool_without_a_path_is_opaque() {
        let write = analyse("Write", json!({"content": "x"}));
        assert!(write.opaque);
        assert_eq!(write.category(), Category::FileWrite);
    }

    #[test]
    fn credential_files_add_credential_access() {
        for path in [
            ".env",
            ".env.production",
            "~/.ssh/id_ed25519",
            "~/.aws/credentials",
            "certs/server.pem",
            "~/.kube/config",
        ] {
            let read = analyse("Read", json!({ "file_path": path }));
            assert!(
                read.categories.contains(&Category::CredentialAccess),
                "{path} should be credential access"
            );
        }
        for path in [
            ".env.example",
            "~/.ssh/id_ed25519.pub",
            "src/env.rs",
            "~/.ssh/known_hosts",
        ] {
            let read = analyse("Read", json!({ "file_path": path }));
            assert!(
                !read.categories.contains(&Category::CredentialAccess),
                "{path} should not be credential access"
            );
        }
    }

    #[test]
    fn web_delegation_state_and_unknown_tools() {
        let fetch = analyse(
            "WebFetch",
            json!({"url": "https://example.com/x", "prompt": "p"}),
        );
        assert_eq!(fetch.category(), Category::Network);
        assert_eq!(
            fetch.targets,
            vec![target("https://example.com/x", TargetKind::Network)]
        );
        assert_eq!(
            analyse("Task", json!({"prompt": "p"})).category(),
            Category::Delegation
        );
        assert_eq!(analyse("TodoWrite", json!({})).category(), Category::State);
        let unknown = analyse("Frobnicate", json!({"where": "/etc/passwd"}));
        assert_eq!(unknown.category(), Category::Other);
        assert_eq!(
            unknown.targets,
            vec![target("/etc/passwd", TargetKind::Read)]
        );
    }

    #[test]
    fn mcp_tools_expose_paths_and_urls() {
        let write = analyse(
            "mcp__fs__write_file",
            json!({"path": "/home/dev/app/x", "nested": {"url": "https://h.example/p"}}),
        );
        assert_eq!(write.category(), Category::Mcp);
        assert!(
            write
                .targets
                .contains(&target("/home/dev/app/x", TargetKind::Write))
        );
        assert!(
            write
                .targets
                .contains(&target("https://h.example/p", TargetKind::Network))
        );
        let read = analyse(
            "mcp__github__get_issue",
            json!({"owner": "acme", "number": 3}),
        );
        assert!(read.targets.is_empty());
    }
}
