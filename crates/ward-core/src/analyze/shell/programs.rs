//! What Ward knows of each program once its wrappers are seen through. The rules
//! live by theme in `files` (paths), `network` (hosts and URLs) and `code` (shells
//! and interpreters); this module dispatches to them and handles the shell
//! builtins that change the walk's state (`cd`, `unset`, `read`) or feed the next
//! command (`echo`, `printf`).

use super::args::{OptionSpec, parse};
use super::walk::{Stream, Value, Walker};
use super::words::{Arg, Origin, decode_escapes};
use super::{clients, code, files, network};
use crate::TargetKind;

const READ: OptionSpec = OptionSpec::new("adinNptu", &[]);
const MAPFILE: OptionSpec = OptionSpec::new("dnOsuCc", &[]);

/// Applies what Ward knows of `program` to its arguments; returns what it writes
/// on stdout, for the next command of a pipeline.
pub(super) fn run(walker: &mut Walker<'_>, program: &str, args: &[Arg], stdin: &Stream) -> Stream {
    // `docker exec`/`kubectl exec` run a command, before `docker pull` downloads.
    if matches!(program, "docker" | "podman" | "kubectl" | "oc")
        && let Some(output) = code::run(walker, program, args, stdin)
    {
        return output;
    }
    if matches!(program, "docker" | "podman") {
        super::containers::bind_mounted_run(walker, program, args);
    }
    if matches!(program, "nc" | "ncat" | "netcat" | "socat" | "telnet") {
        clients::raw_redis(walker, program, args, stdin);
    }
    if let Some(output) = files::run(walker, program, args, stdin) {
        return output;
    }
    if let Some(output) = network::run(walker, program, args) {
        return output;
    }
    if let Some(output) = code::run(walker, program, args, stdin) {
        return output;
    }
    if let Some(output) = clients::run(walker, program, args, stdin) {
        return output;
    }
    if let Some(output) = super::path_programs::run(walker, program, args) {
        return output;
    }
    match program {
        "echo" => echo(args),
        "printf" => printf(walker, args),
        "cd" => {
            let parsed = parse(args, &OptionSpec::NONE);
            match parsed.operands.first() {
                None => {
                    let home = Arg::literal(walker.scope.context.home.as_str());
                    walker.scope.change_directory(&home);
                }
                Some(directory) if directory.text == "-" => walker.scope.cwd_known = false,
                Some(directory) => walker.scope.change_directory(directory),
            }
            Stream::empty()
        }
        "pushd" => {
            match parse(args, &OptionSpec::NONE).operands.first() {
                Some(directory) if !directory.text.starts_with('+') => {
                    walker.scope.push_directory(directory);
                }
                _ => walker.scope.cwd_known = false,
            }
            Stream::empty()
        }
        "popd" => {
            walker.scope.pop_directory();
            Stream::empty()
        }
        "unset" => {
            let parsed = parse(args, &OptionSpec::NONE);
            if !parsed.has(&["f"]) {
                for name in parsed.operands {
                    walker.scope.set_variable(&name.text, Value::Unset);
                }
            }
            Stream::empty()
        }
        "read" => {
            let parsed = parse(args, &READ);
            let mut names: Vec<&str> = parsed
                .operands
                .iter()
                .map(|name| name.text.as_str())
                .collect();
            names.extend(parsed.values(&["a"]).map(|value| value.text));
            if names.is_empty() {
                names.push("REPLY");
            }
            for name in names {
                walker.scope.set_variable(name, Value::Unknown);
            }
            Stream::empty()
        }
        "mapfile" | "readarray" => {
            let parsed = parse(args, &MAPFILE);
            let name = parsed
                .operands
                .last()
                .map_or("MAPFILE", |name| name.text.as_str());
            walker.scope.set_variable(name, Value::Unknown);
            Stream::empty()
        }
        "base32" | "basenc" | "uudecode" | "openssl" if decodes(program, args) => {
            Stream::Hidden(format!("text decoded by `{program}`"))
        }
        "alias" => {
            for definition in args {
                if let Some((name, value)) = definition.text.split_once('=')
                    && definition.is_literal()
                {
                    walker
                        .scope
                        .aliases
                        .push((name.to_owned(), value.to_owned()));
                } else if let Some((name, _)) = definition.text.split_once('=') {
                    walker.opaque(format!(
                        "the alias `{name}` is only known when the line runs"
                    ));
                }
            }
            Stream::empty()
        }
        "unalias" => {
            for name in args {
                walker
                    .scope
                    .aliases
                    .retain(|(known, _)| *known != name.text);
            }
            Stream::empty()
        }
        "kill" => {
            kill(walker, args);
            Stream::empty()
        }
        "export" | "declare" | "typeset" | "local" | "readonly" | "true" | "false" | ":"
        | "set" | "shopt" | "wait" | "exit" | "return" => Stream::empty(),
        "aws" | "gsutil" | "gh" | "rclone" | "gcloud" | "az" | "doctl" | "flyctl" | "fly"
        | "heroku" | "vercel" | "netlify" | "kubectl" | "oc" | "helm" | "terraform" | "tofu"
        | "pulumi" => {
            // Every command of these talks to a remote service.
            walker.action.add_category(crate::Category::Network);
            super::exfil::cloud_upload(walker, program, args);
            for arg in args.iter().filter(|arg| network::is_url(&arg.text)) {
                walker.add_network(arg, program);
            }
            Stream::output_of(program)
        }
        _ => {
            // A program Ward has no rule for still names the URLs it is given.
            for arg in args.iter().filter(|arg| network::is_url(&arg.text)) {
                walker.add_network(arg, program);
            }
            Stream::output_of(program)
        }
    }
}

/// `kill [-SIGNAL | -s SIGNAL | -n NUMBER] PID...`: a pid of `-1` signals every
/// process the user may signal. A leading `-1` followed by a pid is the signal
/// (SIGHUP), not a pid.
fn kill(walker: &mut Walker<'_>, args: &[Arg]) {
    let mut index = 0;
    let mut signal_given = false;
    while let Some(arg) = args.get(index) {
        let text = arg.text.as_str();
        if text == "--" {
            index += 1;
            break;
        }
        if matches!(text, "-s" | "-n" | "--signal") {
            index += 2;
            signal_given = true;
            continue;
        }
        if matches!(text, "-l" | "-L" | "--list" | "--table") {
            return;
        }
        let is_signal =
            !signal_given && text.len() > 1 && text.starts_with('-') && index + 1 < args.len();
        if !is_signal {
            break;
        }
        signal_given = true;
        index += 1;
    }
    let every = args
        .get(index..)
        .unwrap_or_default()
        .iter()
        .any(|pid| pid.text == "-1");
    if every {
        walker.action.add_finding(
            "sys.kill-all",
            None,
            "`kill` of pid -1 signals every process the user owns".to_owned(),
        );
    }
}

/// Whether a program call decodes text into a form the command line did not show.
pub(super) fn decodes(program: &str, args: &[Arg]) -> bool {
    let texts: Vec<&str> = args.iter().map(|arg| arg.text.as_str()).collect();
    decodes_words(program, &texts)
}

/// [`decodes`], on the words of a recorded command.
pub(super) fn decodes_words(program: &str, args: &[&str]) -> bool {
    let has = |names: &[&str]| args.iter().any(|arg| names.contains(arg));
    match program {
        "base64" | "base32" | "basenc" => {
            has(&["-d", "--decode", "-D"])
                || args
                    .iter()
                    .any(|arg| arg.starts_with('-') && !arg.starts_with("--") && arg.contains('d'))
        }
        "xxd" => has(&["-r", "-revert", "-rp", "-pr"]),
        "openssl" => {
            has(&["enc", "base64", "aes-256-cbc", "des3"]) && has(&["-d", "-decrypt", "-base64"])
        }
        "rev" | "uudecode" => true,
        _ => false,
    }
}

/// How a program's options are written, for the flags of its invocation.
pub(super) fn option_spec(program: &str) -> Option<OptionSpec> {
    files::option_spec(program)
        .or_else(|| network::option_spec(program))
        .or_else(|| clients::option_spec(program))
        .or_else(|| code::option_spec(program))
}

/// How a program touches the paths among its operands, for commands whose
/// operands are not known (`xargs rm`).
pub(super) fn operand_kind(program: &str) -> Option<TargetKind> {
    files::operand_kind(program).or_else(|| code::operand_kind(program))
}

/// Whether a program's output comes from the network (so that running it as code
/// runs remote code).
pub(super) fn is_fetcher(program: &str) -> bool {
    network::is_fetcher(program)
}

/// `echo [-neE] ARG...`.
fn echo(args: &[Arg]) -> Stream {
    let mut newline = true;
    let mut escapes = false;
    let mut words = args;
    while let Some((first, rest)) = words.split_first() {
        let Some(letters) = first.text.strip_prefix('-') else {
            break;
        };
        if letters.is_empty() || !letters.chars().all(|c| matches!(c, 'n' | 'e' | 'E')) {
            break;
        }
        for letter in letters.chars() {
            match letter {
                'n' => newline = false,
                'e' => escapes = true,
                _ => escapes = false,
            }
        }
        words = rest;
    }
    if let Some(stream) = unknown_output(words, "echo") {
        return stream;
    }
    let mut text = words
        .iter()
        .map(|word| word.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    if escapes {
        text = decode_escapes(&text);
    }
    if newline {
        text.push('\n');
    }
    Stream::Text(text)
}

/// `printf FORMAT ARG...`, for simple formats (`%s`, `%b`, `%d`).
fn printf(walker: &mut Walker<'_>, args: &[Arg]) -> Stream {
    let mut words = args;
    if let Some((first, rest)) = words.split_first()
        && first.text == "-v"
    {
        // The output goes to a variable instead of stdout.
        if let Some(name) = rest.first() {
            walker.scope.set_variable(&name.text, Value::Unknown);
        }
        return Stream::empty();
    }
    if let Some((first, rest)) = words.split_first()
        && first.text == "--"
    {
        words = rest;
    }
    let Some((format, values)) = words.split_first() else {
        return Stream::empty();
    };
    if let Some(stream) = unknown_output(words, "printf") {
        return stream;
    }
    let mut values = values.iter().map(|value| value.text.as_str());
    let mut out = String::new();
    let mut literal = String::new();
    let mut chars = format.text.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            literal.push(c);
            continue;
        }
        let directive = chars.next();
        if directive == Some('%') {
            literal.push('%');
            continue;
        }
        out.push_str(&decode_escapes(&std::mem::take(&mut literal)));
        match directive {
            Some('s') => out.push_str(values.next().unwrap_or("")),
            Some('b') => out.push_str(&decode_escapes(values.next().unwrap_or(""))),
            Some('d' | 'i' | 'u') => out.push_str(values.next().unwrap_or("0")),
            _ => return Stream::output_of("printf"),
        }
    }
    out.push_str(&decode_escapes(&literal));
    if values.next().is_some() {
        // The format is reused for the remaining values; not followed.
        return Stream::output_of("printf");
    }
    Stream::Text(out)
}

/// The stream of a command printing its words, if any is not known.
fn unknown_output(words: &[Arg], program: &str) -> Option<Stream> {
    if words
        .iter()
        .any(|word| matches!(word.origin, Origin::Remote | Origin::Pipe { remote: true }))
    {
        return Some(Stream::Remote(format!(
            "the output of `{program}`, which prints what a network program fetched"
        )));
    }
    words
        .iter()
        .any(|word| !word.is_literal())
        .then(|| Stream::output_of(program))
}
