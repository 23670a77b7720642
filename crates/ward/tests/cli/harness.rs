//! The harness every test uses: an isolated world per test and helpers to run the
//! real `ward` binary in it.
//!
//! [`Ctx::new`] makes a temporary directory (under cargo's target tmp dir) holding a fake `$HOME` (so `~` expands
//! inside it), a project with `.git` under that home, a `WARD_HOME` beside it, and
//! the paths `WARD_MANAGED_POLICY` and `WARD_CLAUDE_MANAGED_SETTINGS` point at
//! (absent until a test writes them). Every command runs with an empty environment
//! plus exactly those variables and `PATH`, in the project directory, with a timeout.
//! Nothing a payload describes is ever executed: Ward only analyses and records.

use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Stdio};
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

/// The session id filled into payloads that do not name one.
pub(crate) const SESSION: &str = "6a1f0c2e-1111-4c2d-9e2a-000000000001";

/// How long any one `ward` process may take before the test kills it and fails.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(120);

/// The `ward` binary under test.
pub(crate) fn ward_bin() -> &'static Path {
    assert_cmd::cargo::cargo_bin!("ward")
}

/// The directory holding the fixtures.
pub(crate) fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// What one `ward` process did.
#[derive(Debug, Clone)]
pub(crate) struct Out {
    /// The exit code; -1 when the process was killed (a timeout) or died of a signal.
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Out {
    pub(crate) fn from_output(output: &std::process::Output) -> Out {
        Out {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Stdout parsed as one JSON value (panics with the output when it is not).
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|error| panic!("stdout is not JSON ({error}):\n{}", self.render()))
    }

    /// Stdout parsed as JSON lines.
    pub(crate) fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|error| panic!("not a JSON line ({error}): {line}"))
            })
            .collect()
    }

    /// The hook's reply: `None` for silence, else the one JSON object on stdout.
    /// Panics when stdout is neither empty nor exactly one JSON object.
    pub(crate) fn reply(&self) -> Option<Value> {
        if self.stdout.is_empty() {
            return None;
        }
        let value: Value = serde_json::from_str(&self.stdout).unwrap_or_else(|error| {
            panic!(
                "hook stdout is not exactly one JSON value ({error}):\n{}",
                self.render()
            )
        });
        assert!(
            value.is_object(),
            "hook stdout is not a JSON object:\n{}",
            self.render()
        );
        Some(value)
    }

    /// `hookSpecificOutput.permissionDecision` of the reply, if any.
    pub(crate) fn permission_decision(&self) -> Option<String> {
        self.reply()?
            .pointer("/hookSpecificOutput/permissionDecision")
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    /// `hookSpecificOutput.permissionDecisionReason` of the reply, or "".
    pub(crate) fn permission_reason(&self) -> String {
        self.reply()
            .and_then(|reply| {
                reply
                    .pointer("/hookSpecificOutput/permissionDecisionReason")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_default()
    }

    /// Exit code, stdout and stderr, for snapshots and failure messages.
    pub(crate) fn render(&self) -> String {
        format!(
            "exit code: {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    /// Asserts the hook contract for a normal event: exit 0, empty stderr, and
    /// stdout empty or one JSON object. Returns the reply.
    pub(crate) fn assert_hook_ok(&self) -> Option<Value> {
        assert_eq!(self.code, 0, "hook failed:\n{}", self.render());
        assert_eq!(self.stderr, "", "hook wrote to stderr:\n{}", self.render());
        self.reply()
    }

    /// Asserts the process exited 0.
    pub(crate) fn assert_success(&self) -> &Out {
        assert_eq!(self.code, 0, "ward failed:\n{}", self.render());
        self
    }
}

/// One test's isolated world.
pub(crate) struct Ctx {
    /// Deleted (with everything in it) when the context is dropped.
    _temp: TempDir,
    /// The temporary directory everything lives in.
    pub(crate) root: PathBuf,
    /// The fake `$HOME`.
    pub(crate) home: PathBuf,
    /// The project (a git work tree), under `$HOME`; the cwd of every command.
    pub(crate) project: PathBuf,
    /// `$WARD_HOME`.
    pub(crate) ward_home: PathBuf,
    /// Where `WARD_MANAGED_POLICY` points.
    pub(crate) managed_policy: PathBuf,
    /// Where `WARD_CLAUDE_MANAGED_SETTINGS` points.
    pub(crate) managed_settings: PathBuf,
}

impl Ctx {
    pub(crate) fn new() -> Ctx {
        // Under the target directory, not /tmp: the safety preset treats /tmp as
        // scratch space, so a fake home inside it would not be judged like a real one.
        let temp = tempfile::Builder::new()
            .prefix("ward-cli-test-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("temporary directory");
        let root = temp.path().canonicalize().expect("canonical temp path");
        let home = root.join("home");
        let project = home.join("shop");
        std::fs::create_dir_all(project.join(".git")).expect("project .git");
        std::fs::write(project.join(".git/HEAD"), "ref: refs/heads/feature/cart\n")
            .expect("project .git/HEAD");
        std::fs::create_dir_all(project.join("src")).expect("project src");
        Ctx {
            _temp: temp,
            ward_home: root.join("ward-home"),
            managed_policy: root.join("etc/ward/policy.toml"),
            managed_settings: root.join("etc/claude-code/managed-settings.json"),
            home,
            project,
            root,
        }
    }

    /// The environment every command gets, besides `PATH`.
    pub(crate) fn envs(&self) -> Vec<(&'static str, PathBuf)> {
        vec![
            ("WARD_HOME", self.ward_home.clone()),
            ("HOME", self.home.clone()),
            ("WARD_MANAGED_POLICY", self.managed_policy.clone()),
            (
                "WARD_CLAUDE_MANAGED_SETTINGS",
                self.managed_settings.clone(),
            ),
        ]
    }

    /// Checks out `branch` in the project (writes `.git/HEAD`).
    pub(crate) fn check_out(&self, branch: &str) {
        std::fs::write(
            self.project.join(".git/HEAD"),
            format!("ref: refs/heads/{branch}\n"),
        )
        .expect("write .git/HEAD");
    }

    /// `ward` with an empty environment plus the test's variables, in the project.
    pub(crate) fn cmd(&self) -> assert_cmd::Command {
        let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("ward");
        cmd.env_clear()
            .envs(self.envs())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .current_dir(&self.project)
            .timeout(TIMEOUT);
        cmd
    }

    /// The same as [`Ctx::cmd`], as a `std::process::Command` (for spawning several
    /// processes at once).
    pub(crate) fn std_cmd(&self) -> StdCommand {
        let mut cmd = StdCommand::new(ward_bin());
        cmd.env_clear()
            .envs(self.envs())
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .current_dir(&self.project);
        cmd
    }

    /// Runs `ward ARGS` with nothing on stdin.
    pub(crate) fn ward(&self, args: &[&str]) -> Out {
        let output = self
            .cmd()
            .args(args)
            .write_stdin(Vec::new())
            .output()
            .expect("run ward");
        Out::from_output(&output)
    }

    /// Runs `ward ARGS` with `stdin`.
    pub(crate) fn ward_stdin(&self, args: &[&str], stdin: impl Into<Vec<u8>>) -> Out {
        let output = self
            .cmd()
            .args(args)
            .write_stdin(stdin.into())
            .output()
            .expect("run ward");
        Out::from_output(&output)
    }

    /// `ward init`, which must succeed.
    pub(crate) fn init(&self) -> &Ctx {
        self.ward(&["init"]).assert_success();
        self
    }

    /// A new, initialised home with the Claude Code fixtures `names` (file names
    /// under `claude-code/`, without `.json`) hooked in order, each answered cleanly.
    pub(crate) fn with_hooks(names: &[&str]) -> Ctx {
        let ctx = Ctx::new();
        ctx.init();
        for name in names {
            ctx.hook_fixture(&format!("claude-code/{name}.json"))
                .assert_hook_ok();
        }
        ctx
    }

    /// Replaces the placeholders `$PROJECT`, `$WARD_HOME` and `$HOME` in `text`.
    pub(crate) fn expand(&self, text: &str) -> String {
        text.replace("$PROJECT", &self.project.display().to_string())
            .replace("$WARD_HOME", &self.ward_home.display().to_string())
            .replace("$HOME", &self.home.display().to_string())
    }

    /// A payload ready for the hook: placeholders replaced, and `session_id`,
    /// `transcript_path` and `cwd` filled in when absent.
    pub(crate) fn payload(&self, json: &str) -> String {
        let mut value: Value = serde_json::from_str(&self.expand(json))
            .unwrap_or_else(|error| panic!("test payload is not JSON ({error}): {json}"));
        let object = value.as_object_mut().expect("test payload is an object");
        let session = object
            .get("session_id")
            .and_then(Value::as_str)
            .unwrap_or(SESSION)
            .to_owned();
        object
            .entry("session_id")
            .or_insert_with(|| Value::from(session.clone()));
        object.entry("transcript_path").or_insert_with(|| {
            Value::from(format!(
                "{}/.claude/projects/-shop/{session}.jsonl",
                self.home.display()
            ))
        });
        object
            .entry("cwd")
            .or_insert_with(|| Value::from(self.project.display().to_string()));
        value.to_string()
    }

    /// A fixture file's text (not expanded).
    pub(crate) fn fixture(&self, name: &str) -> String {
        let path = fixtures().join(name);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("cannot read fixture {}: {error}", path.display()))
    }

    /// Pipes a payload (see [`Ctx::payload`]) to `ward hook claude-code`.
    pub(crate) fn hook(&self, json: &str) -> Out {
        self.hook_bytes(self.payload(json).as_bytes())
    }

    /// Pipes a fixture from `tests/fixtures/` to `ward hook claude-code`.
    pub(crate) fn hook_fixture(&self, name: &str) -> Out {
        self.hook(&self.fixture(name))
    }

    /// Pipes each fixture `claude-code/NAME.json` to the hook, in order.
    pub(crate) fn hook_fixtures(&self, names: &[&str]) {
        for name in names {
            self.hook_fixture(&format!("claude-code/{name}.json"));
        }
    }

    /// Runs `ward ARGS` as the OS user `user` (`$USER`), with nothing on stdin.
    pub(crate) fn ward_as(&self, user: &str, args: &[&str]) -> Out {
        let output = self
            .cmd()
            .env("USER", user)
            .args(args)
            .write_stdin(Vec::new())
            .output()
            .unwrap();
        Out::from_output(&output)
    }

    /// Pipes raw bytes, unchanged, to `ward hook claude-code`.
    pub(crate) fn hook_bytes(&self, bytes: &[u8]) -> Out {
        self.ward_stdin(&["hook", "claude-code"], bytes.to_vec())
    }

    /// Starts `ward hook claude-code` with the payload on stdin and returns at once;
    /// stdin is written and closed before this returns.
    pub(crate) fn spawn_hook(&self, json: &str) -> Child {
        use std::io::Write;
        let payload = self.payload(json);
        let mut child = self
            .std_cmd()
            .args(["hook", "claude-code"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ward hook");
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(payload.as_bytes()).expect("write payload");
        drop(stdin);
        child
    }

    /// Every record of a session, oldest first, as `{"seq", "hash", "record"}`.
    pub(crate) fn records(&self, session: &str) -> Vec<Value> {
        let out = self.ward(&[
            "audit",
            "query",
            "--session",
            session,
            "--limit",
            "1000000",
            "--json",
        ]);
        out.assert_success();
        out.json_lines()
    }

    /// The number of records in the ledger, from `ward audit verify --json`.
    pub(crate) fn record_count(&self) -> u64 {
        let out = self.ward(&["audit", "verify", "--json"]);
        out.json()["records"].as_u64().expect("records count")
    }

    /// The ledger's whole JSONL export.
    pub(crate) fn export(&self) -> String {
        let out = self.ward(&["audit", "export", "--format", "jsonl"]);
        out.assert_success();
        out.stdout
    }

    /// Writes a file (creating its parent directories).
    pub(crate) fn write(&self, path: &Path, text: &str) {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent directory");
        }
        std::fs::write(path, text).expect("write file");
    }

    /// Regex replacements for snapshots: temporary paths, times, hashes, the binary.
    pub(crate) fn filters(&self) -> Vec<(String, String)> {
        let path = |path: &Path| escape(&path.display().to_string());
        vec![
            (
                escape(&ward_bin().display().to_string()),
                "[WARD]".to_owned(),
            ),
            (path(&self.project), "[PROJECT]".to_owned()),
            (path(&self.ward_home), "[WARD_HOME]".to_owned()),
            (path(&self.home), "[HOME]".to_owned()),
            (path(&self.root), "[TMP]".to_owned()),
            (r"\b[0-9a-f]{64}\b".to_owned(), "[HASH]".to_owned()),
            (
                r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z?".to_owned(),
                "[TIME]".to_owned(),
            ),
            (
                r"\b\d{2}:\d{2}:\d{2}\.\d{3}\b".to_owned(),
                "[TIME]".to_owned(),
            ),
            (
                r"Effective policy [0-9a-f]{12}".to_owned(),
                "Effective policy [POLICY]".to_owned(),
            ),
            (r"\d+\.\d ms mean".to_owned(), "[N] ms mean".to_owned()),
        ]
    }

    /// insta settings with [`Ctx::filters`]; bind them for the snapshot assertions.
    pub(crate) fn settings(&self) -> insta::Settings {
        let mut settings = insta::Settings::clone_current();
        for (regex, replacement) in self.filters() {
            settings.add_filter(&regex, replacement);
        }
        settings
    }

    /// Every file (not directory) under the temporary directory, relative to it.
    pub(crate) fn files(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, base: &Path, out: &mut Vec<PathBuf>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, base, out);
                } else {
                    out.push(path.strip_prefix(base).unwrap_or(&path).to_path_buf());
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &self.root, &mut out);
        out.sort();
        out
    }
}

/// Escapes regex metacharacters in a literal.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A `PreToolUse` payload of the shell `command` (session and cwd are filled in by
/// [`Ctx::hook`]).
pub(crate) fn bash_call(command: &str, tool_use_id: &str) -> String {
    serde_json::json!({
        "hook_event_name": "PreToolUse",
        "tool_name": "Bash",
        "tool_input": {"command": command},
        "tool_use_id": tool_use_id,
    })
    .to_string()
}

/// The `record` part of a `{"seq", "hash", "record"}` line.
pub(crate) fn record(line: &Value) -> &Value {
    &line["record"]
}

/// The `seq` of a `{"seq", "hash", "record"}` line.
pub(crate) fn seq(line: &Value) -> u64 {
    line["seq"].as_u64().expect("seq")
}

/// The records of `event` among `lines`.
pub(crate) fn of_event<'a>(lines: &'a [Value], event: &str) -> Vec<&'a Value> {
    lines
        .iter()
        .filter(|line| line["record"]["request"]["event"] == event)
        .collect()
}
