//! Programs that run code: shells (`bash -c`, a script, commands on stdin),
//! `eval`, `source`, `trap`, `watch`, `su -c`, and the interpreters of other
//! languages. Shell code is analysed in turn, one nesting level deeper; code in
//! other languages is not analysed and marks the action opaque.

use super::args::{OptionSpec, parse};
use super::scripts::{self, Effect, Language};
use super::walk::{Stream, Value, Walker, base_name};
use super::words::{Arg, Origin};
use crate::TargetKind;

/// Shells whose syntax is (close enough to) bash's.
const SHELLS: &[&str] = &[
    "sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "yash", "posh", "rbash", "fish",
];

/// Positional parameters set for `sh -c CODE ARG…` (`$0` to `$9`).
const MAX_POSITIONAL: usize = 10;
const AT: OptionSpec = OptionSpec::new("fqt", &[]);
const SCRIPT: OptionSpec = OptionSpec::new(
    "cEIOBTmo",
    &[
        "command",
        "echo",
        "log-in",
        "log-out",
        "log-io",
        "log-timing",
        "logging-format",
        "output-limit",
    ],
)
.attached("t");
/// Programs whose output is shell code that sets up the environment, run with
/// `eval "$(PROGRAM …)"` by convention: their output is the program's, not the line's.
const ENVIRONMENT_SETUP: &[&str] = &[
    "ssh-agent",
    "direnv",
    "rbenv",
    "pyenv",
    "nodenv",
    "goenv",
    "jenv",
    "brew",
    "opam",
    "starship",
    "zoxide",
    "fnm",
    "mise",
    "rtx",
    "conda",
    "micromamba",
    "keychain",
    "gpg-agent",
    "dircolors",
    "thefuck",
    "atuin",
    "register-python-argcomplete",
    "pdm",
    "poetry",
];
const WATCH: OptionSpec = OptionSpec::new("nq", &["interval"]).stopping();
const SU: OptionSpec = OptionSpec::new(
    "cgGsw",
    &[
        "command",
        "group",
        "supp-group",
        "shell",
        "whitelist-environment",
        "session-command",
    ],
);

/// An interpreter of another language.
struct Interpreter {
    /// Its names (versions stripped: `python3.12` is `python`).
    names: &'static [&'static str],
    /// The language, for notes.
    language: &'static str,
    /// The language's scanner, for the languages Ward reads (see `scripts`).
    scanned_as: Option<Language>,
    /// The options whose value is code (`-c`, `-e`, `--eval`).
    inline: &'static [&'static str],
    /// The option that names a module to run instead of a script (`python -m`).
    module: &'static [&'static str],
    spec: OptionSpec,
}

const INTERPRETERS: &[Interpreter] = &[
    Interpreter {
        names: &["python", "pypy"],
        language: "Python",
        scanned_as: Some(Language::Python),
        inline: &["c"],
        module: &["m"],
        spec: OptionSpec::new("cmWXQ", &[]).stopping(),
    },
    Interpreter {
        names: &["node", "nodejs", "bun"],
        language: "JavaScript",
        scanned_as: Some(Language::JavaScript),
        inline: &["e", "eval", "p", "print"],
        module: &[],
        spec: OptionSpec::new(
            "eprC",
            &[
                "eval",
                "print",
                "require",
                "import",
                "loader",
                "input-type",
                "conditions",
            ],
        )
        .stopping(),
    },
    Interpreter {
        names: &["perl"],
        language: "Perl",
        scanned_as: Some(Language::Perl),
        inline: &["e", "E"],
        module: &[],
        spec: OptionSpec::new("eEI", &[]).attached("MmixlCdD0").stopping(),
    },
    Interpreter {
        names: &["ruby"],
        language: "Ruby",
        scanned_as: Some(Language::Ruby),
        inline: &["e"],
        module: &[],
        spec: OptionSpec::new("eIrCEF", &[]).stopping(),
    },
    Interpreter {
        names: &["php"],
        language: "PHP",
        scanned_as: Some(Language::Php),
        inline: &["r", "B", "R", "E"],
        module: &[],
        spec: OptionSpec::new("rBREfcdz", &[]).stopping(),
    },
    Interpreter {
        names: &["lua", "luajit"],
        language: "Lua",
        scanned_as: None,
        inline: &["e"],
        module: &[],
        spec: OptionSpec::new("el", &[]).stopping(),
    },
    Interpreter {
        names: &["Rscript"],
        language: "R",
        scanned_as: None,
        inline: &["e"],
        module: &[],
        spec: OptionSpec::new("e", &[]).stopping(),
    },
    Interpreter {
        names: &["osascript"],
        language: "AppleScript",
        scanned_as: None,
        inline: &["e"],
        module: &[],
        spec: OptionSpec::new("els", &[]).stopping(),
    },
];

/// Whether `program` is a shell Ward parses as bash.
pub(super) fn is_shell(program: &str) -> bool {
    SHELLS.contains(&program)
}

/// Applies the rule of a program that runs code, if `program` is one.
pub(super) fn run(
    walker: &mut Walker<'_>,
    program: &str,
    args: &[Arg],
    stdin: &Stream,
) -> Option<Stream> {
    if SHELLS.contains(&program) {
        shell(walker, program, args, stdin);
        return Some(Stream::output_of(program));
    }
    match program {
        "source" | "." => {
            if let Some(script) = parse(args, &OptionSpec::NONE.stopping()).operands.first() {
                if matches!(
                    script.text.as_str(),
                    "/dev/stdin" | "/proc/self/fd/0" | "/dev/fd/0"
                ) {
                    // `. /dev/stdin <<< '…'`: the commands come on stdin.
                    shell_stdin(walker, program, stdin);
                } else if matches!(script.origin, Origin::Pipe { .. }) {
                    run_code(walker, script, program, stdin);
                } else {
                    walker.add_path(script, TargetKind::Read, program);
                    walker.add_path(script, TargetKind::Execute, program);
                    walker.run_written_script(script, false, stdin);
                }
            }
        }
        "eval" => {
            if !args.is_empty() {
                let code = join(args);
                if prints_environment_setup(&code.text) {
                    return Some(Stream::empty());
                }
                // `eval` runs in the current shell: no scope of its own.
                run_code_here(walker, &code, "eval", stdin);
            }
        }
        "trap" => {
            if let [action, _signal, ..] = args
                && !action.text.starts_with('-')
            {
                run_code(walker, action, "trap", &Stream::Inherited);
            }
        }
        "watch" => {
            let parsed = parse(args, &WATCH);
            let words = args.get(parsed.rest..).unwrap_or_default();
            if parsed.has(&["x", "exec"]) {
                walker.invoke(words.to_vec(), &Stream::Inherited, vec!["watch".to_owned()]);
            } else if !words.is_empty() {
                run_code(walker, &join(words), "watch", &Stream::Inherited);
            }
        }
        "docker" | "podman" | "kubectl" | "oc" => {
            let (container, command) = container_command(program, args)?;
            run_remote(walker, command, &container);
        }
        "at" | "batch" => {
            // The commands to schedule come on stdin (or from `-f FILE`).
            let parsed = parse(args, &AT);
            match parsed.value(&["f"]) {
                Some(file) => walker.add_path(&file.to_arg(), TargetKind::Execute, program),
                None if !parsed.has(&["l", "r", "d", "c"]) => shell_stdin(walker, program, stdin),
                None => {}
            }
        }
        "parallel" => parallel(walker, args),
        "script" => {
            let parsed = parse(args, &SCRIPT);
            for command in parsed.values(&["c", "command"]) {
                run_code(walker, &command.to_arg(), "script -c", stdin);
            }
            for file in parsed
                .operands
                .iter()
                .filter(|file| file.text != "/dev/null")
            {
                walker.add_path(file, TargetKind::Write, program);
            }
        }
        "su" | "runuser" => {
            let parsed = parse(args, &SU);
            for command in parsed.values(&["c", "command", "session-command"]) {
                run_code(walker, &command.to_arg(), &format!("{program} -c"), stdin);
            }
        }
        "deno" => return Some(super::deno::deno(walker, args, stdin)),
        vim if super::vim::VIMS.contains(&vim) => super::vim::vim(walker, program, args, stdin),
        shell if super::powershell::POWERSHELLS.contains(&shell) => {
            super::powershell::powershell(walker, program, args, stdin);
        }
        _ => return interpreter(walker, program, args, stdin),
    }
    Some(Stream::output_of(program))
}

/// How the options of a program that runs code are written.
pub(super) fn option_spec(program: &str) -> Option<OptionSpec> {
    match program {
        "watch" => Some(WATCH),
        "su" | "runuser" => Some(SU),
        "script" => Some(SCRIPT),
        "at" | "batch" => Some(AT),
        _ => find_interpreter(program).map(|interpreter| interpreter.spec),
    }
}

/// Programs whose operand is code they run.
pub(super) fn operand_kind(program: &str) -> Option<TargetKind> {
    let runs_code = SHELLS.contains(&program)
        || matches!(program, "source" | "." | "eval")
        || find_interpreter(program).is_some();
    runs_code.then_some(TargetKind::Execute)
}

fn find_interpreter(program: &str) -> Option<&'static Interpreter> {
    let name = program.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    INTERPRETERS
        .iter()
        .find(|interpreter| interpreter.names.contains(&name))
}

/// Analyses shell code given as a string to `what` (`bash -c`, `trap`, `watch`),
/// which runs it in a shell of its own.
pub(super) fn run_code(walker: &mut Walker<'_>, code: &Arg, what: &str, stdin: &Stream) {
    walker.scoped(|walker| run_code_here(walker, code, what, stdin));
}

/// Analyses shell code given as a string, in the current shell (`eval`).
fn run_code_here(walker: &mut Walker<'_>, code: &Arg, what: &str, stdin: &Stream) {
    match code.origin {
        Origin::Literal => {
            walker.nested_source(&code.text, stdin, &format!("the code given to `{what}`"));
        }
        Origin::Remote | Origin::Pipe { remote: true } => remote_code(
            walker,
            format!(
                "remote code piped into a shell: `{what}` runs the output of a network program"
            ),
        ),
        Origin::Hidden => hidden_code(
            walker,
            format!("hidden code: `{what}` runs text decoded when the line runs"),
        ),
        Origin::Dynamic | Origin::Pipe { remote: false } => walker.opaque(format!(
            "the code given to `{what}` is only known when the line runs"
        )),
    }
}

/// `bash [OPTION]... [-c CODE | SCRIPT | -s] [ARG]...`.
fn shell(walker: &mut Walker<'_>, name: &str, args: &[Arg], stdin: &Stream) {
    let mut command_mode = false;
    let mut read_stdin = false;
    let mut index = 0;
    while let Some(arg) = args.get(index) {
        let text = arg.text.as_str();
        if text == "--" || text == "-" {
            index += 1;
            break;
        }
        if let Some(long) = text.strip_prefix("--") {
            index += if matches!(long, "rcfile" | "init-file") {
                2
            } else {
                1
            };
            continue;
        }
        let Some(letters) = text
            .strip_prefix(['-', '+'])
            .filter(|letters| !letters.is_empty())
        else {
            break;
        };
        index += 1;
        command_mode |= letters.contains('c');
        read_stdin |= letters.contains('s');
        if letters.contains(['o', 'O']) {
            index += 1;
        }
    }
    let operands = args.get(index..).unwrap_or_default();
    if command_mode {
        if let Some((code, positional)) = operands.split_first() {
            // `sh -c 'rm -rf "$0"' ~`: the words after the code are $0, $1, ...
            walker.scoped(|walker| {
                for index in 0..MAX_POSITIONAL {
                    let value = positional.get(index).map_or(Value::Unset, Value::of);
                    walker.scope.set_variable(&index.to_string(), value);
                }
                walker.scope.positional = Some(positional.get(1..).unwrap_or_default().to_vec());
                run_code_here(walker, code, &format!("{name} -c"), stdin);
            });
        }
        return;
    }
    match operands.first() {
        Some(script) if !read_stdin => match script.origin {
            Origin::Pipe { .. } => run_code(walker, script, name, stdin),
            _ => {
                walker.add_path(script, TargetKind::Execute, name);
                walker.run_written_script(script, true, stdin);
            }
        },
        _ => shell_stdin(walker, name, stdin),
    }
}

/// A shell reading its commands from stdin.
fn shell_stdin(walker: &mut Walker<'_>, shell: &str, stdin: &Stream) {
    match stdin {
        Stream::Inherited => {}
        Stream::Text(code) => walker.scoped(|walker| {
            walker.nested_source(
                code,
                &Stream::Inherited,
                &format!("the code fed to `{shell}`"),
            );
        }),
        Stream::File(path) => {
            walker.action.add_target(path.clone(), TargetKind::Execute);
            walker.run_written_script_at(path, true, &Stream::Inherited);
        }
        Stream::Remote(source) => remote_code(
            walker,
            format!("remote code piped into a shell: `{shell}` runs {source}"),
        ),
        Stream::Hidden(source) => hidden_code(
            walker,
            format!("hidden code piped into a shell: `{shell}` runs {source}"),
        ),
        Stream::Unknown(source) => walker.opaque(format!(
            "`{shell}` runs commands from {source}, which are not analysed"
        )),
    }
}

/// `python`, `node`, `perl`, ...: scripts are executed targets; inline code and
/// code on stdin are not analysed.
pub(super) fn interpreter(
    walker: &mut Walker<'_>,
    program: &str,
    args: &[Arg],
    stdin: &Stream,
) -> Option<Stream> {
    let interpreter = find_interpreter(program)?;
    let language = interpreter.language;
    let parsed = parse(args, &interpreter.spec);
    let in_place = program == "perl" && parsed.has(&["i"]);
    let inline = parsed.has(interpreter.inline);
    let files: &[&Arg] = if inline {
        for code in parsed.values(interpreter.inline) {
            inline_script(walker, interpreter, program, &code.to_arg());
        }
        parsed.operands.as_slice()
    } else if parsed.has(interpreter.module) {
        let module = parsed
            .values(interpreter.module)
            .last()
            .map(|module| module.to_arg());
        if let Some(module) = module
            && matches!(module.text.as_str(), "http.server" | "SimpleHTTPServer")
        {
            served_directory(walker, program, args);
        }
        &[]
    } else {
        let script = parsed.value(&["f"]).map(|script| script.to_arg());
        let script = script.as_ref().or(parsed.operands.first().copied());
        match script.filter(|script| script.text != "-") {
            Some(script) => match script.origin {
                Origin::Pipe { remote: true } => remote_code(
                    walker,
                    format!(
                        "remote code piped into `{program}`: {language} code from a network program is not analysed"
                    ),
                ),
                Origin::Pipe { remote: false } => walker.opaque(format!(
                    "{language} code from a process substitution (`{program}`) is not analysed"
                )),
                _ => {
                    walker.add_path(script, TargetKind::Execute, program);
                    if let Some(code) = walker.written_text(script) {
                        inline_script(walker, interpreter, program, &code);
                    }
                }
            },
            None => match stdin {
                Stream::Inherited => {}
                Stream::File(path) => walker.action.add_target(path.clone(), TargetKind::Execute),
                Stream::Remote(source) => remote_code(
                    walker,
                    format!(
                        "remote code piped into `{program}`: {language} code from {source} is not analysed"
                    ),
                ),
                Stream::Hidden(source) => hidden_code(
                    walker,
                    format!("hidden code piped into `{program}`: {source}"),
                ),
                Stream::Text(code) => {
                    let code = Arg::literal(code.as_str());
                    inline_script(walker, interpreter, program, &code);
                }
                Stream::Unknown(_) => walker.opaque(format!(
                    "{language} code fed to `{program}` on stdin is not analysed"
                )),
            },
        }
        parsed.operands.get(1..).unwrap_or_default()
    };
    if in_place {
        for file in files {
            walker.add_path(file, TargetKind::Write, program);
        }
    }
    Some(Stream::output_of(program))
}

/// The container and the command of `docker exec [OPTIONS] CONTAINER CMD...` and
/// `kubectl exec [OPTIONS] POD -- CMD...`; `None` for other subcommands.
fn container_command<'a>(program: &str, args: &'a [Arg]) -> Option<(String, &'a [Arg])> {
    let mut subcommand = args.iter().position(|arg| !arg.text.starts_with('-'))?;
    if args.get(subcommand)?.text == "compose" {
        // `docker compose [-f FILE] exec SERVICE CMD`
        subcommand += 1 + args
            .get(subcommand + 1..)?
            .iter()
            .position(|arg| arg.text == "exec")?;
    }
    if args.get(subcommand)?.text != "exec" {
        return None;
    }
    let rest = args.get(subcommand + 1..)?;
    if program == "kubectl" || program == "oc" {
        let dashes = rest.iter().position(|arg| arg.text == "--")?;
        let pod = rest
            .get(..dashes)?
            .iter()
            .rev()
            .find(|arg| !arg.text.starts_with('-'))
            .map_or_else(|| "a pod".to_owned(), |pod| pod.text.clone());
        return Some((pod, rest.get(dashes + 1..)?));
    }
    // docker exec: options, some with a value, then the container.
    const WITH_VALUE: [&str; 10] = [
        "-e",
        "--env",
        "-u",
        "--user",
        "-w",
        "--workdir",
        "--env-file",
        "--detach-keys",
        "--name",
        "-c",
    ];
    let mut index = 0;
    while let Some(arg) = rest.get(index) {
        if WITH_VALUE.contains(&arg.text.as_str()) {
            index += 2;
        } else if arg.text.starts_with('-') {
            index += 1;
        } else {
            break;
        }
    }
    let container = rest.get(index)?.text.clone();
    Some((container, rest.get(index + 1..)?))
}

/// GNU `parallel COMMAND ::: ARG...`: the command runs once per argument, with
/// `{}` replaced by it (or the argument appended). Without `:::` the arguments come
/// from stdin and are not known.
fn parallel(walker: &mut Walker<'_>, args: &[Arg]) {
    let separator = args
        .iter()
        .position(|arg| matches!(arg.text.as_str(), ":::" | "::::" | ":::+"));
    let command_start = args
        .iter()
        .position(|arg| !arg.text.starts_with('-'))
        .unwrap_or(args.len());
    let command_end = separator.unwrap_or(args.len());
    let template = args.get(command_start..command_end).unwrap_or_default();
    if template.is_empty() {
        return;
    }
    let values: Vec<&Arg> = match separator {
        Some(at) => args
            .get(at + 1..)
            .unwrap_or_default()
            .iter()
            .take(8)
            .collect(),
        None => {
            walker.opaque("the arguments of `parallel` come from stdin".to_owned());
            Vec::new()
        }
    };
    for value in values {
        let mut argv: Vec<Arg> = Vec::new();
        let mut substituted = false;
        for word in template {
            if word.text.contains("{}") {
                substituted = true;
                argv.push(Arg {
                    text: word.text.replace("{}", &value.text),
                    origin: word.origin,
                });
            } else {
                argv.push(word.clone());
            }
        }
        if !substituted {
            argv.push(value.clone());
        }
        if let [single] = argv.as_slice() {
            // `parallel 'rm -rf {}' ::: …`: one word of shell code.
            run_code(walker, single, "parallel", &Stream::Inherited);
        } else {
            walker.scoped(|walker| {
                walker.invoke(argv, &Stream::Inherited, vec!["parallel".to_owned()]);
            });
        }
    }
}

/// Whether `eval`'s code is just the output of an environment-setup program
/// (`eval "$(ssh-agent -s)"`, `eval "$(direnv hook bash)"`). The substitution itself
/// was analysed when the word was expanded.
fn prints_environment_setup(code: &str) -> bool {
    let inner = code
        .trim()
        .strip_prefix("$(")
        .and_then(|rest| rest.strip_suffix(')'))
        .or_else(|| {
            code.trim()
                .strip_prefix('`')
                .and_then(|rest| rest.strip_suffix('`'))
        });
    inner.is_some_and(|inner| {
        !inner.contains(['$', '`', '(', ';', '|', '&', '<', '>'])
            && inner
                .split_whitespace()
                .next()
                .is_some_and(|program| ENVIRONMENT_SETUP.contains(&base_name(program)))
    })
}

/// The command `ssh HOST COMMAND...` runs on the host: its words joined, as the
/// remote shell gets them. Its commands are recorded (under the `ssh` wrapper) so
/// that rules on programs apply; its paths are the host's, not this machine's, so
/// they are not targets here. A remote command that changes or deletes files, or
/// cannot be seen through, gives an `ssh.remote-change` finding naming the host.
pub(super) fn run_remote(walker: &mut Walker<'_>, words: &[Arg], host: &str) {
    let code = join(words);
    if !code.is_literal() {
        walker.opaque(format!(
            "the command `ssh` runs on {host} is only known when the line runs"
        ));
        return;
    }
    let mut remote = crate::Action::default();
    walker.analyze_elsewhere(&code.text, &mut remote);
    for mut command in remote.commands {
        command.wrappers.insert(0, "ssh".to_owned());
        walker.action.commands.push(command);
    }
    for tag in &remote.tags {
        walker.action.add_tag(tag);
    }
    let changes = remote.opaque
        || !remote.findings.is_empty()
        || remote.targets.iter().any(|target| {
            matches!(
                target.kind,
                TargetKind::Write | TargetKind::Delete | TargetKind::Chmod
            )
        });
    walker.action.findings.extend(remote.findings);
    for note in remote.notes {
        walker.opaque(format!("on {host}: {note}"));
    }
    if changes {
        let shown: String = code.text.chars().take(80).collect();
        walker.action.add_finding(
            "ssh.remote-change",
            Some(host),
            format!("`ssh` runs `{shown}` on {host}, which changes files there"),
        );
    }
}

/// Code in another language given on the command line or on stdin: scanned for
/// what it deletes, writes, runs and sends (`scripts`), which then counts as if
/// the shell did it. Code that is only known when the line runs, or that the scan
/// cannot follow, is opaque.
fn inline_script(walker: &mut Walker<'_>, interpreter: &Interpreter, program: &str, code: &Arg) {
    let language = interpreter.language;
    walker.action.add_tag("inline-script");
    match code.origin {
        Origin::Literal => {}
        Origin::Remote | Origin::Pipe { remote: true } => {
            return remote_code(
                walker,
                format!("remote code: `{program}` runs {language} code fetched from the network"),
            );
        }
        Origin::Hidden => {
            return hidden_code(
                walker,
                format!("hidden code: `{program}` runs {language} code decoded when the line runs"),
            );
        }
        Origin::Dynamic | Origin::Pipe { remote: false } => {
            return walker.opaque(format!(
                "the {language} code given to `{program}` is only known when the line runs"
            ));
        }
    }
    let Some(scanned_as) = interpreter.scanned_as else {
        return inline_code(
            walker,
            format!("inline {language} code (`{program}`) is not analysed"),
        );
    };
    let effects = scripts::scan(&code.text, scanned_as);
    let mut credential_read = None;
    let mut sends = false;
    let mut fetched = false;
    let mut evaluates = false;
    for effect in effects {
        match effect {
            Effect::Delete(path) => script_path(walker, program, path, TargetKind::Delete),
            Effect::Write(path) => script_path(walker, program, path, TargetKind::Write),
            Effect::Read(Some(path)) => {
                let file = Arg::literal(path.as_str());
                walker.add_path(&file, TargetKind::Read, program);
                if super::exfil::is_credential_file(walker, &path) {
                    credential_read = Some(path);
                }
            }
            Effect::Read(None) => {}
            Effect::Shell(Some(shell_code)) => {
                let shell_code = Arg::literal(shell_code.as_str());
                run_code(
                    walker,
                    &shell_code,
                    &format!("{program} (a shell call)"),
                    &Stream::Inherited,
                );
            }
            Effect::Exec(Some(argv)) => {
                let argv = argv
                    .iter()
                    .map(|word| Arg::literal(word.as_str()))
                    .collect();
                walker.scoped(|walker| {
                    walker.invoke(argv, &Stream::Inherited, vec![program.to_owned()]);
                });
            }
            Effect::Shell(None) | Effect::Exec(None) => walker.opaque(format!(
                "the {language} code given to `{program}` runs a command built when it runs"
            )),
            Effect::Network(address) => {
                sends = true;
                fetched |= address
                    .as_deref()
                    .is_some_and(|address| address.contains("://"));
                walker.action.add_category(crate::Category::Network);
                if let Some(address) = address {
                    walker.add_network(&Arg::literal(address.as_str()), program);
                }
            }
            Effect::Dynamic(reason) if reason.contains("decoded") => hidden_code(
                walker,
                format!("hidden code: the {language} code given to `{program}` {reason}"),
            ),
            Effect::Dynamic(reason) => {
                evaluates = true;
                walker.opaque(format!(
                    "the {language} code given to `{program}` cannot be followed: {reason}"
                ));
            }
            Effect::ReverseShell => super::exfil::reverse_shell(
                walker,
                &format!("{language} code given to `{program}` hands a shell to a socket"),
            ),
        }
    }
    if sends && let Some(path) = credential_read {
        super::exfil::script_sends(walker, &path, program);
    }
    if fetched && evaluates {
        // `eval(file_get_contents("https://…"))`: code from the network, run.
        remote_code(
            walker,
            format!(
                "remote code: the {language} code given to `{program}` fetches code and evaluates it"
            ),
        );
    }
}

/// A path an inline script deletes or writes; a computed one is opaque.
fn script_path(walker: &mut Walker<'_>, program: &str, path: Option<String>, kind: TargetKind) {
    match path {
        Some(path) => {
            let path = match path.strip_prefix(scripts::HOME_MARKER) {
                Some(rest) => format!("{}{rest}", walker.scope.context.home),
                None => path,
            };
            walker.add_path(&Arg::literal(path.as_str()), kind, program);
        }
        None => walker.opaque(format!(
            "the code given to `{program}` {} a path computed when it runs",
            if kind == TargetKind::Delete {
                "deletes"
            } else {
                "writes"
            }
        )),
    }
}

/// Words joined by spaces, as `eval` and `watch` do.
fn join(words: &[Arg]) -> Arg {
    let mut origin = Origin::Literal;
    for word in words {
        origin = match (origin, word.origin) {
            (Origin::Remote, _) | (_, Origin::Remote | Origin::Pipe { remote: true }) => {
                Origin::Remote
            }
            (Origin::Literal, Origin::Literal) => Origin::Literal,
            (Origin::Hidden, _) | (_, Origin::Hidden) => Origin::Hidden,
            _ => Origin::Dynamic,
        };
    }
    Arg {
        text: words
            .iter()
            .map(|word| word.text.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        origin,
    }
}

/// `python -m http.server [--directory DIR]` serves DIR (the working directory by
/// default) to the network: serving a credential directory sends its files.
fn served_directory(walker: &mut Walker<'_>, program: &str, args: &[Arg]) {
    let after_module = args
        .iter()
        .position(|arg| arg.text == "http.server" || arg.text == "SimpleHTTPServer")
        .map_or(args.len(), |index| index + 1);
    let mut directory = Arg::literal(".");
    let mut rest = args.get(after_module..).unwrap_or_default().iter();
    while let Some(arg) = rest.next() {
        if let Some(value) = arg.text.strip_prefix("--directory=") {
            directory = Arg {
                text: value.to_owned(),
                origin: arg.origin,
            };
        } else if matches!(arg.text.as_str(), "-d" | "--directory")
            && let Some(value) = rest.next()
        {
            directory = value.clone();
        }
    }
    super::exfil::sent_file(walker, &directory, &format!("{program} -m http.server"));
}

/// Marks code fetched from the network and run: opaque, and tagged `remote-code` so
/// that policies can deny it outright rather than merely ask.
pub(super) fn remote_code(walker: &mut Walker<'_>, note: String) {
    walker.action.add_tag("remote-code");
    walker.opaque(note);
}

/// A file downloaded earlier in the line and then run (`curl -o x.sh URL && bash
/// x.sh`) is remote code, as much as `curl URL | sh`.
pub(super) fn check_downloads_run(walker: &mut Walker<'_>) {
    let run = walker
        .action
        .targets
        .iter()
        .find(|target| {
            target.kind == TargetKind::Execute && walker.downloads.contains(&target.path)
        })
        .map(|target| target.path.clone());
    if let Some(path) = run {
        remote_code(
            walker,
            format!("remote code: `{path}` is downloaded and then run in the same line"),
        );
    }
}

/// Marks decoded code that is run (`echo … | base64 -d | sh`): opaque, and tagged
/// `hidden-code`, since hiding what runs is itself the warning sign.
fn hidden_code(walker: &mut Walker<'_>, note: String) {
    walker.action.add_tag("hidden-code");
    walker.opaque(note);
}

/// Marks code of another language given on the command line: opaque, and tagged
/// `inline-script`.
fn inline_code(walker: &mut Walker<'_>, note: String) {
    walker.action.add_tag("inline-script");
    walker.opaque(note);
}
