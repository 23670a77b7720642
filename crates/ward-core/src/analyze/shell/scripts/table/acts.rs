//! The effects of one call, once the table has said what kind of call it is.

use std::iter::once;

use super::super::args::{Arg, Value, literal_matching, positional, setting};
use super::super::calls::{Call, canonical};
use super::super::{Context, Effect};
use super::Act;

/// Settings that name the host and the port of a socket.
const HOST_SETTINGS: &[&str] = &["host", "hostname", "PeerAddr", "PeerHost"];
const PORT_SETTINGS: &[&str] = &["port", "PeerPort"];

pub(super) fn apply(context: &mut Context, call: &Call<'_, '_>, act: Act) {
    let positional = positional(call.args);
    let literal = |at: usize| positional.get(at).and_then(|arg| arg.literal());
    match act {
        Act::Delete => {
            let paths = match &call.receiver {
                Some(path) => vec![path.clone()],
                None => paths_in(positional.first().copied()),
            };
            for path in paths {
                context.push(Effect::Delete(path));
            }
        }
        Act::DeleteEach => {
            let paths: Vec<Option<String>> = match &call.receiver {
                Some(path) => vec![path.clone()],
                None if positional.is_empty() => vec![None],
                None => positional
                    .iter()
                    .flat_map(|arg| paths_in(Some(arg)))
                    .collect(),
            };
            for path in paths {
                context.push(Effect::Delete(path));
            }
        }
        Act::Write => context.push(Effect::Write(target(call, &positional))),
        Act::WriteAt(at) => context.push(Effect::Write(literal(at))),
        Act::Read => context.push(Effect::Read(target(call, &positional))),
        Act::ReadOrNetwork => {
            let path = target(call, &positional);
            let remote = path.as_deref().is_some_and(is_url);
            context.push(if remote {
                Effect::Network(path)
            } else {
                Effect::Read(path)
            });
        }
        Act::Move | Act::Copy => {
            let (source, destination) = match &call.receiver {
                Some(path) => (path.clone(), literal(0)),
                None => (literal(0), literal(1)),
            };
            let moves = matches!(act, Act::Move);
            context.push(if moves {
                Effect::Delete(source)
            } else {
                Effect::Read(source)
            });
            context.push(Effect::Write(destination));
        }
        Act::Open(mode_at) => open_file(context, call, &positional, mode_at),
        Act::PerlOpen => perl_open(context, &positional),
        Act::RubyOpen => match literal(0) {
            Some(text) if text.starts_with('|') => {
                context.push(Effect::Shell(Some(
                    text.trim_start_matches('|').trim().to_owned(),
                )));
            }
            Some(text) if is_url(&text) => context.push(Effect::Network(Some(text))),
            _ => open_file(context, call, &positional, 1),
        },
        Act::Shell => context.push(Effect::Shell(literal(0))),
        Act::System => {
            let skip_env = usize::from(positional.first().is_some_and(|arg| arg.is_object()));
            match positional.get(skip_env..).unwrap_or_default() {
                [] => context.push(Effect::Shell(None)),
                [one] => context.push(command(Some(one))),
                many => context.push(Effect::Exec(many.iter().map(|arg| arg.literal()).collect())),
            }
        }
        Act::ShellOrList => context.push(command(positional.first().copied())),
        Act::Subprocess => subprocess(context, call, &positional),
        Act::Spawn => spawn(context, call, &positional),
        Act::Fork => context.push(Effect::Exec(
            literal(0).map(|module| vec!["node".to_owned(), module]),
        )),
        Act::ExecVector(at) => {
            let arguments = match positional.get(at + 1).map(|arg| arg.value()) {
                Some(Value::List(argv)) => Some(argv),
                _ => None,
            };
            let argv = literal(at)
                .zip(arguments)
                .map(|(path, argv)| once(path).chain(argv.into_iter().skip(1)).collect());
            context.push(Effect::Exec(argv));
        }
        Act::ExecList(at) => {
            let arguments: Option<Vec<String>> = positional
                .iter()
                .skip(at + 2)
                .map(|arg| arg.literal())
                .collect();
            let argv = literal(at)
                .zip(arguments)
                .map(|(path, rest)| once(path).chain(rest).collect());
            context.push(Effect::Exec(argv));
        }
        Act::Argv | Act::Pty => {
            if matches!(act, Act::Pty) {
                context.pty = true;
            }
            let argv = match positional.first().map(|arg| arg.value()) {
                Some(Value::List(argv)) => Some(argv),
                Some(Value::Literal(program)) => Some(vec![program]),
                _ => None,
            };
            context.push(Effect::Exec(argv));
        }
        Act::Dup => context.redirects_std_streams = true,
        Act::Network(at) => {
            let url = literal(at)
                .or_else(|| setting(call.args, &["url"]).and_then(|arg| arg.literal()))
                .or_else(|| literal_matching(call.args, is_url));
            context.push(Effect::Network(url));
        }
        Act::NetworkUnlessSeen => {
            if !context
                .effects
                .iter()
                .any(|effect| matches!(effect, Effect::Network(_)))
            {
                context.push(Effect::Network(None));
            }
        }
        Act::Socket(at) => {
            context.raw_socket = true;
            let address = address(call.args, positional.get(at..).unwrap_or_default());
            context.push(Effect::Network(address));
        }
        Act::RawSocket => context.raw_socket = true,
        Act::Eval(reason) => evaluate(context, literal(0), reason),
        Act::EvalLast(reason) => {
            let code = positional.last().and_then(|arg| arg.literal());
            evaluate(context, code, reason);
        }
        Act::Dynamic(reason) => context.dynamic(reason),
        Act::Loader(reason) => {
            if literal(0).is_none() {
                context.dynamic(reason);
            }
        }
        Act::GetAttr => {
            if literal(1).is_none() {
                context.dynamic("getattr with a computed name");
            }
        }
        Act::Redirect(reason) => match literal(0) {
            Some(name) => {
                let name = canonical(name, context.language);
                let rest = call.args.get(1..).unwrap_or_default();
                super::apply(
                    context,
                    &Call {
                        name: &name,
                        receiver: None,
                        args: rest,
                    },
                );
            }
            None => context.dynamic(reason),
        },
        Act::Decode => context.decodes = true,
        Act::DecodeIf(marker) => {
            if positional
                .iter()
                .any(|arg| arg.literal().is_some_and(|text| marker.matches(&text)))
            {
                context.decodes = true;
            }
        }
    }
}

/// Code given to an evaluator: scanned when literal, dynamic when built.
fn evaluate(context: &mut Context, code: Option<String>, reason: &str) {
    match code {
        Some(code) => context.scan_nested(&code, reason),
        None => context.dynamic(reason),
    }
}

/// The paths in an argument: one, each of a list, or one unknown.
fn paths_in(arg: Option<&Arg<'_>>) -> Vec<Option<String>> {
    match arg.map(|arg| arg.value()) {
        Some(Value::Literal(path)) => vec![Some(path)],
        Some(Value::List(paths)) if !paths.is_empty() => paths.into_iter().map(Some).collect(),
        _ => vec![None],
    }
}

/// The path a call acts on: its receiver's (`Path("x").unlink()`) or its first
/// argument.
fn target(call: &Call<'_, '_>, positional: &[&Arg<'_>]) -> Option<String> {
    match &call.receiver {
        Some(path) => path.clone(),
        None => positional.first().and_then(|arg| arg.literal()),
    }
}

/// A command argument: a string is shell code, a list an argument vector.
fn command(arg: Option<&Arg<'_>>) -> Effect {
    match arg.map(|arg| arg.value()) {
        Some(Value::Literal(command)) => Effect::Shell(Some(command)),
        Some(Value::List(argv)) => Effect::Exec(Some(argv)),
        Some(Value::ComputedList) => Effect::Exec(None),
        _ => Effect::Shell(None),
    }
}

fn is_url(text: &str) -> bool {
    text.contains("://") && !text.starts_with("file:")
}

fn is_port(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

fn looks_like_address(text: &str) -> bool {
    !text.is_empty() && !text.contains(char::is_whitespace) && text.contains(['.', ':'])
}

fn open_file(context: &mut Context, call: &Call<'_, '_>, positional: &[&Arg<'_>], mode_at: usize) {
    let path = target(call, positional);
    if path.as_deref().is_some_and(is_url) {
        return context.push(Effect::Network(path));
    }
    let mode =
        setting(call.args, &["mode", "flags"]).or_else(|| positional.get(mode_at).map(|arg| **arg));
    let writes = match mode {
        None => false,
        Some(mode) => match mode.literal() {
            Some(mode) => mode.contains(['w', 'a', 'x', '+']),
            None => !mode.mentions(&["O_RDONLY", "RDONLY"]),
        },
    };
    context.push(if writes {
        Effect::Write(path)
    } else {
        Effect::Read(path)
    });
}

/// Perl `open`: two arguments (`"<file"`, `">file"`, `"cmd |"`, `">&S"`) or three
/// and more (`'>', $file`, `'-|', @command`).
fn perl_open(context: &mut Context, positional: &[&Arg<'_>]) {
    let standard_stream = positional
        .first()
        .is_some_and(|handle| handle.mentions(&["STDIN", "STDOUT", "STDERR"]));
    let Some(spec) = positional.get(1) else {
        return;
    };
    let target = || positional.get(2).and_then(|arg| arg.literal());
    if positional.len() == 2 {
        match spec.literal() {
            Some(spec) => two_argument_open(context, spec.trim(), standard_stream),
            None if standard_stream => context.redirects_std_streams = true,
            None => context.push(Effect::Read(None)),
        }
        return;
    }
    let Some(mode) = spec.literal() else {
        return context.push(Effect::Write(target()));
    };
    if mode.contains('|') {
        context.push(match positional.get(2..).unwrap_or_default() {
            [one] => Effect::Shell(one.literal()),
            many => Effect::Exec(many.iter().map(|arg| arg.literal()).collect()),
        });
    } else if mode.contains('&') {
        context.redirects_std_streams |= standard_stream;
    } else if mode.contains(['>', '+']) {
        context.push(Effect::Write(target()));
    } else {
        context.push(Effect::Read(target()));
    }
}

fn two_argument_open(context: &mut Context, spec: &str, standard_stream: bool) {
    if let Some(command) = spec.strip_suffix('|').or_else(|| spec.strip_prefix('|')) {
        context.push(Effect::Shell(Some(command.trim().to_owned())));
    } else if spec.starts_with(['>', '<', '+']) && spec.contains('&') {
        context.redirects_std_streams |= standard_stream;
    } else if let Some(path) = [">>", "+<", "+>", ">"]
        .iter()
        .find_map(|mode| spec.strip_prefix(mode))
    {
        context.push(Effect::Write(Some(path.trim().to_owned())));
    } else {
        let path = spec.strip_prefix('<').unwrap_or(spec).trim();
        context.push(Effect::Read(Some(path.to_owned())));
    }
}

/// Python `subprocess`: a list is an argument vector; a string is shell code with
/// `shell=True`, a program name without.
fn subprocess(context: &mut Context, call: &Call<'_, '_>, positional: &[&Arg<'_>]) {
    let command = positional
        .first()
        .map(|arg| **arg)
        .or_else(|| setting(call.args, &["args"]));
    let shell = setting(call.args, &["shell"]).is_some_and(|arg| arg.is_true());
    context.push(match command.map(|arg| arg.value()) {
        Some(Value::Literal(text)) if shell => Effect::Shell(Some(text)),
        Some(Value::Literal(text)) => Effect::Exec(Some(vec![text])),
        Some(Value::List(argv)) if shell => Effect::Shell(argv.into_iter().next()),
        Some(Value::List(argv)) => Effect::Exec(Some(argv)),
        _ if shell => Effect::Shell(None),
        _ => Effect::Exec(None),
    });
}

/// A program, then a list of its arguments (options may follow, or replace the
/// list); `{ shell: true }` makes it shell code.
fn spawn(context: &mut Context, call: &Call<'_, '_>, positional: &[&Arg<'_>]) {
    let program = positional.first().and_then(|arg| arg.literal());
    let arguments = match positional.get(1) {
        None => Some(Vec::new()),
        Some(arg) if arg.is_object() => Some(Vec::new()),
        Some(arg) => match arg.value() {
            Value::List(arguments) => Some(arguments),
            _ => None,
        },
    };
    let shell = setting(call.args, &["shell"]).is_some_and(|arg| arg.is_true());
    let argv: Option<Vec<String>> = program
        .zip(arguments)
        .map(|(program, rest)| once(program).chain(rest).collect());
    context.push(if shell {
        Effect::Shell(argv.map(|argv| argv.join(" ")))
    } else {
        Effect::Exec(argv)
    });
}

/// `host:port` of a socket: a tuple `("h", 4444)`, two arguments in either order
/// (Node puts the port first), settings (`PeerAddr => "h"`), or an address-like
/// literal somewhere in the arguments.
fn address(args: &[Arg<'_>], positional: &[&Arg<'_>]) -> Option<String> {
    let first = positional.first().map(|arg| arg.value());
    let second = positional.get(1).map(|arg| arg.value());
    match (first, second) {
        (Some(Value::List(parts)), _) if !parts.is_empty() => {
            Some(parts.iter().take(2).cloned().collect::<Vec<_>>().join(":"))
        }
        (Some(Value::Literal(port)), Some(Value::Literal(host)))
            if is_port(&port) && !is_port(&host) =>
        {
            Some(format!("{host}:{port}"))
        }
        (Some(Value::Literal(host)), Some(Value::Literal(port))) => Some(format!("{host}:{port}")),
        (Some(Value::Literal(host)), _) => Some(host),
        _ => {
            let host = setting(args, HOST_SETTINGS).and_then(|arg| arg.literal());
            let port = setting(args, PORT_SETTINGS).and_then(|arg| arg.literal());
            match (host, port) {
                (Some(host), Some(port)) => Some(format!("{host}:{port}")),
                (Some(host), None) => Some(host),
                _ => literal_matching(args, looks_like_address),
            }
        }
    }
}
