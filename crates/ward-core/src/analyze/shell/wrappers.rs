//! Wrappers: programs that run a command given in their own arguments (`sudo`,
//! `env`, `nice`, `timeout`, `xargs`, ...). The walker records them in
//! [`crate::CommandInvocation::wrappers`] and analyses the command they run.

use super::args::{OptionSpec, parse};
use super::words::Arg;

const SUDO: OptionSpec = OptionSpec::new(
    "CDgpRrTtUu",
    &[
        "close-from",
        "chdir",
        "group",
        "host",
        "prompt",
        "role",
        "type",
        "command-timeout",
        "other-user",
        "user",
    ],
)
.stopping();
const DOAS: OptionSpec = OptionSpec::new("uC", &[]).stopping();
const NICE: OptionSpec = OptionSpec::new("n", &["adjustment"]).stopping();
const TIMEOUT: OptionSpec = OptionSpec::new("ks", &["kill-after", "signal"]).stopping();
const TIME: OptionSpec = OptionSpec::new("fo", &["format", "output"]).stopping();
const EXEC: OptionSpec = OptionSpec::new("a", &[]).stopping();
const XARGS: OptionSpec = OptionSpec::new(
    "aEdILnPs",
    &[
        "arg-file",
        "delimiter",
        "max-lines",
        "max-args",
        "max-procs",
        "max-chars",
        "process-slot-var",
    ],
)
.attached("eil")
.stopping();
const STDBUF: OptionSpec = OptionSpec::new("ioe", &["input", "output", "error"]).stopping();
const IONICE: OptionSpec =
    OptionSpec::new("cnpPu", &["class", "classdata", "pid", "pgid", "uid"]).stopping();
const PLAIN: OptionSpec = OptionSpec::NONE.stopping();
const TRACE: OptionSpec = OptionSpec::new(
    "abeEIoOpPsSuUX",
    &[
        "output",
        "signal",
        "trace",
        "attach",
        "string-limit",
        "user",
        "env",
        "trace-path",
    ],
)
.stopping();
const SYSTEMD_RUN: OptionSpec = OptionSpec::new(
    "pEMHuGs",
    &[
        "unit",
        "property",
        "description",
        "slice",
        "setenv",
        "machine",
        "host",
        "uid",
        "gid",
        "working-directory",
        "on-active",
        "on-boot",
        "on-startup",
        "on-unit-active",
        "on-unit-inactive",
        "on-calendar",
        "timer-property",
        "path-property",
        "socket-property",
        "service-type",
        "nice",
    ],
)
.stopping();
const FLOCK: OptionSpec =
    OptionSpec::new("wEc", &["timeout", "conflict-exit-code", "command"]).stopping();
const NPX: OptionSpec = OptionSpec::new("pc", &["package", "call", "cache", "registry"]).stopping();
const CHROOT: OptionSpec = OptionSpec::new("", &["userspec", "groups"]).stopping();

/// What a wrapper contributes, besides the command it runs.
#[derive(Debug, Default)]
pub(super) struct Unwrapped {
    /// How many of the wrapper's arguments are its own; the command follows.
    pub(super) skip: usize,
    /// Files the wrapper reads (`xargs -a FILE`).
    pub(super) reads: Vec<Arg>,
    /// Files the wrapper writes (`time -o FILE`).
    pub(super) writes: Vec<Arg>,
    /// The directory the command runs in (`env -C DIR`, `sudo -D DIR`).
    pub(super) directory: Option<Arg>,
    /// Whether the command gets more arguments from stdin (`xargs`).
    pub(super) args_from_stdin: bool,
    /// A command line to split into words and run before the rest (`env -S`).
    pub(super) split: Option<Arg>,
}

/// If `name` is a wrapper that runs a command given in `args`, what it adds.
pub(super) fn unwrap(name: &str, args: &[Arg]) -> Option<Unwrapped> {
    let unwrapped = match name {
        "sudo" => {
            let parsed = parse(args, &SUDO);
            let no_command = ["e", "edit", "l", "list", "v", "validate", "V", "version"];
            if parsed.has(&no_command) {
                return None;
            }
            // `sudo VAR=value command`: assignments come before the command.
            let assignments = args
                .get(parsed.rest..)
                .unwrap_or_default()
                .iter()
                .take_while(|arg| is_assignment(&arg.text))
                .count();
            Unwrapped {
                skip: parsed.rest + assignments,
                directory: parsed.value(&["D", "chdir"]).map(|value| value.to_arg()),
                ..Unwrapped::default()
            }
        }
        "strace" | "ltrace" => skipping(args, &TRACE, &["p", "attach"])?,
        "systemd-run" => skipping(args, &SYSTEMD_RUN, &[])?,
        "flock" => {
            // `flock [OPTIONS] FILE COMMAND...`; `flock -c CMD FILE` is shell code,
            // handled where `-c` strings are.
            let parsed = parse(args, &FLOCK);
            if parsed.has(&["c", "command"]) {
                return None;
            }
            Unwrapped {
                skip: parsed.rest + 1,
                ..Unwrapped::default()
            }
        }
        "npx" | "pnpx" | "bunx" => skipping(args, &NPX, &["c", "call"])?,
        "chroot" => {
            let parsed = parse(args, &CHROOT);
            Unwrapped {
                skip: parsed.rest + 1,
                ..Unwrapped::default()
            }
        }
        "unshare" | "firejail" | "taskset" | "numactl" | "chrt" | "prlimit" | "setpriv"
        | "caffeinate" | "catchsegv" | "valgrind" | "torsocks" | "proxychains" | "proxychains4" => {
            skipping(args, &PLAIN, &[])?
        }
        "doas" => skipping(args, &DOAS, &["C"])?,
        "env" => env(args),
        "nice" => skipping(args, &NICE, &[])?,
        "nohup" | "builtin" | "setsid" | "busybox" | "toybox" => skipping(args, &PLAIN, &[])?,
        "command" => skipping(args, &PLAIN, &["v", "V"])?,
        "exec" => skipping(args, &EXEC, &[])?,
        "stdbuf" => skipping(args, &STDBUF, &[])?,
        "ionice" => skipping(args, &IONICE, &["p", "P", "u", "pid", "pgid", "uid"])?,
        "timeout" => {
            // The first operand is the duration.
            let parsed = parse(args, &TIMEOUT);
            Unwrapped {
                skip: parsed.rest + 1,
                ..Unwrapped::default()
            }
        }
        "time" => {
            let parsed = parse(args, &TIME);
            Unwrapped {
                skip: parsed.rest,
                writes: parsed
                    .values(&["o", "output"])
                    .map(|value| value.to_arg())
                    .collect(),
                ..Unwrapped::default()
            }
        }
        "xargs" => {
            let parsed = parse(args, &XARGS);
            Unwrapped {
                skip: parsed.rest,
                reads: parsed
                    .values(&["a", "arg-file"])
                    .map(|value| value.to_arg())
                    .collect(),
                args_from_stdin: true,
                ..Unwrapped::default()
            }
        }
        _ => return None,
    };
    // A wrapper with nothing after its options runs nothing itself (`env` prints
    // the environment, `xargs` runs `echo`): then it is the command.
    (unwrapped.skip < args.len() || unwrapped.split.is_some()).then_some(unwrapped)
}

/// A wrapper that only skips its options, unless one of `no_command` is given.
fn skipping(args: &[Arg], spec: &OptionSpec, no_command: &[&str]) -> Option<Unwrapped> {
    let parsed = parse(args, spec);
    if parsed.has(no_command) {
        return None;
    }
    Some(Unwrapped {
        skip: parsed.rest,
        ..Unwrapped::default()
    })
}

/// `env [-i] [-u NAME] [-C DIR] [-S STRING] [NAME=VALUE]... [COMMAND [ARG]...]`.
fn env(args: &[Arg]) -> Unwrapped {
    let mut unwrapped = Unwrapped::default();
    let mut index = 0;
    while let Some(arg) = args.get(index) {
        let text = arg.text.as_str();
        index += 1;
        if text == "--" {
            break;
        }
        let with_value = |short: &str, long: &str| -> Option<Option<Arg>> {
            if text == short || text == long {
                return Some(None);
            }
            let attached = text
                .strip_prefix(short)
                .filter(|value| !value.is_empty())
                .or_else(|| {
                    text.strip_prefix(long)
                        .and_then(|rest| rest.strip_prefix('='))
                })?;
            Some(Some(Arg {
                text: attached.to_owned(),
                origin: arg.origin,
            }))
        };
        let mut take_value = |attached: Option<Arg>| {
            attached.or_else(|| {
                let next = args.get(index).cloned();
                index += 1;
                next
            })
        };
        if let Some(attached) = with_value("-u", "--unset") {
            take_value(attached);
        } else if let Some(attached) = with_value("-C", "--chdir") {
            unwrapped.directory = take_value(attached);
        } else if let Some(attached) = with_value("-S", "--split-string") {
            unwrapped.split = take_value(attached);
            break;
        } else if text.starts_with('-') || is_assignment(text) {
            // `-`, `-i`, `-0`, `-v` and `NAME=VALUE` take nothing more.
        } else {
            index -= 1;
            break;
        }
    }
    unwrapped.skip = index.min(args.len());
    unwrapped
}

/// Whether a word is `NAME=VALUE`.
fn is_assignment(text: &str) -> bool {
    text.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}
