//! Which names do what, per language: the calls that delete, write, read, run,
//! connect or evaluate, and which of their arguments name the path, command or
//! address. A name matches a pattern by its last segment, with the qualifier the
//! pattern requires (`os.remove`, not `list.remove`); `*.x` accepts any qualifier
//! and a bare `x` only an unqualified call. A trailing `*` matches a prefix
//! (`os.execv*`). The first rule that matches wins.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::Context;
use super::Language;
use super::calls::Call;

mod acts;
mod rules;

use rules::RULES;

const PY: u8 = 1;
const JS: u8 = 2;
const PL: u8 = 4;
const RB: u8 = 8;
const PHP: u8 = 16;

/// What a call does, and how to read its arguments.
#[derive(Debug, Clone, Copy)]
enum Act {
    /// Deletes its first argument (a path or a list of paths), or its receiver.
    Delete,
    /// Deletes every argument (`unlink LIST`, `File.delete(a, b)`).
    DeleteEach,
    Write,
    /// Writes the path at this index (`chmod(mode, file)`, `symlink(target, link)`).
    WriteAt(usize),
    Read,
    /// Reads a file, or fetches a URL (PHP `file_get_contents`).
    ReadOrNetwork,
    /// Deletes its source and writes its destination.
    Move,
    /// Reads its source and writes its destination.
    Copy,
    /// Opens its first argument; the mode (argument at this index, or `mode=`)
    /// says whether it writes.
    Open(usize),
    PerlOpen,
    /// Ruby `open`: a file, a command (`"|cmd"`) or a URL (open-uri).
    RubyOpen,
    /// Runs its first argument as shell code.
    Shell,
    /// Perl and Ruby `system`/`exec`: one string is shell code, several are an
    /// argument vector.
    System,
    /// A string is shell code, a list an argument vector (`IO.popen`, `proc_open`).
    ShellOrList,
    /// Python `subprocess`: a list, or a string with `shell=True`.
    Subprocess,
    /// A program and a list of its arguments (`spawn`, `execFile`, `pcntl_exec`).
    Spawn,
    /// Node `fork`: runs a module in a new `node`.
    Fork,
    /// A path at this index, then a full argument vector (`os.execv`).
    ExecVector(usize),
    /// A path at this index, then `argv[0]`, then each argument (`os.execl`).
    ExecList(usize),
    /// An argument vector, or a program name (`pty.spawn`, `Bun.spawn`).
    Argv,
    /// Like `Argv`, in a pseudo-terminal.
    Pty,
    /// Redirects a standard stream (`os.dup2`, `STDIN.reopen`).
    Dup,
    /// Fetches the URL at this index.
    Network(usize),
    /// A request whose URL was set elsewhere, unless one was already reported.
    NetworkUnlessSeen,
    /// Connects a raw socket to the address from this index on.
    Socket(usize),
    /// Creates a raw socket.
    RawSocket,
    /// Runs its first argument as code: scanned when literal.
    Eval(&'static str),
    /// Runs its last argument as code (`new Function("a", "return a")`).
    EvalLast(&'static str),
    Dynamic(&'static str),
    /// Loads a module by name: dynamic unless the name is literal.
    Loader(&'static str),
    /// Python `getattr`: dynamic unless the attribute is literal.
    GetAttr,
    /// Calls the function named by its first argument with the rest
    /// (`send(:system, …)`, `call_user_func("system", …)`).
    Redirect(&'static str),
    /// Decodes base64, hex or compressed data.
    Decode,
    /// Decodes when an argument names an encoding or template (`Buffer.from(x,
    /// "base64")`, `unpack("m")`).
    DecodeIf(Marker),
}

#[derive(Debug, Clone, Copy)]
enum Marker {
    Encoding,
    PackTemplate,
}

impl Marker {
    fn matches(self, text: &str) -> bool {
        match self {
            Marker::Encoding => matches!(
                text.to_ascii_lowercase().as_str(),
                "base64"
                    | "base64url"
                    | "base32"
                    | "base85"
                    | "hex"
                    | "rot13"
                    | "rot_13"
                    | "zlib"
                    | "bz2"
                    | "uu"
            ),
            Marker::PackTemplate => text.starts_with(['m', 'H', 'h', 'u']),
        }
    }
}

/// A condition on the rest of the script.
#[derive(Debug, Clone, Copy)]
enum When {
    Always,
    /// `x.connect(…)` is a network connection once the script made a socket.
    RawSocket,
    /// Perl `$ua->get(…)` is a request when the script loads an HTTP client.
    HttpClient,
}

struct Rule {
    languages: u8,
    patterns: &'static [&'static str],
    act: Act,
    when: When,
}

const fn on(languages: u8, patterns: &'static [&'static str], act: Act) -> Rule {
    Rule {
        languages,
        patterns,
        act,
        when: When::Always,
    }
}

const fn when(languages: u8, patterns: &'static [&'static str], act: Act, when: When) -> Rule {
    Rule {
        languages,
        patterns,
        act,
        when,
    }
}

fn language_bit(language: Language) -> u8 {
    match language {
        Language::Python => PY,
        Language::JavaScript => JS,
        Language::Perl => PL,
        Language::Ruby => RB,
        Language::Php => PHP,
    }
}

fn glob(pattern: &str, text: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => text.starts_with(prefix),
        None => pattern == text,
    }
}

fn matches(pattern: &str, name: &str) -> bool {
    let Some((qualifier, last)) = pattern.rsplit_once('.') else {
        return glob(pattern, name);
    };
    let Some((name_qualifier, name_last)) = name.rsplit_once('.') else {
        return false;
    };
    glob(last, name_last)
        && (qualifier == "*"
            || name_qualifier == qualifier
            || name_qualifier
                .strip_suffix(qualifier)
                .is_some_and(|head| head.ends_with('.')))
}

/// The patterns by their last segment, the prefix ones (`os.execv*`) apart: a name
/// is compared with a handful of patterns rather than all of them, which keeps a
/// script made of thousands of calls fast.
struct Index {
    by_last: HashMap<&'static str, Vec<(usize, &'static str)>>,
    prefixes: Vec<(usize, &'static str)>,
}

static INDEX: LazyLock<Index> = LazyLock::new(|| {
    let mut index = Index {
        by_last: HashMap::new(),
        prefixes: Vec::new(),
    };
    for (at, rule) in RULES.iter().enumerate() {
        for pattern in rule.patterns {
            let last = pattern.rsplit('.').next().unwrap_or(pattern);
            if last.ends_with('*') {
                index.prefixes.push((at, pattern));
            } else {
                index.by_last.entry(last).or_default().push((at, pattern));
            }
        }
    }
    index
});

fn rule_for(context: &Context, name: &str) -> Option<&'static Rule> {
    let bit = language_bit(context.language);
    let holds = |rule: &Rule| match rule.when {
        When::Always => true,
        When::RawSocket => context.raw_socket,
        When::HttpClient => context.http_client,
    };
    let find = |candidate: &str| {
        let last = candidate.rsplit('.').next().unwrap_or(candidate);
        let same_last = INDEX
            .by_last
            .get(last)
            .map(Vec::as_slice)
            .unwrap_or_default();
        same_last
            .iter()
            .chain(&INDEX.prefixes)
            .filter(|(at, pattern)| {
                RULES.get(*at).is_some_and(|rule| {
                    rule.languages & bit != 0 && holds(rule) && matches(pattern, candidate)
                })
            })
            .map(|(at, _)| *at)
            .min()
            .and_then(|at| RULES.get(at))
    };
    find(name).or_else(|| {
        if name.contains('.') {
            return None;
        }
        context
            .star_modules
            .iter()
            .find_map(|module| find(&format!("{module}.{name}")))
    })
}

/// Whether the table knows `name` (calls without parentheses are read only then).
pub(super) fn knows(context: &Context, name: &str) -> bool {
    rule_for(context, name).is_some()
}

/// Adds the effects of `call` to the context.
pub(super) fn apply(context: &mut Context, call: &Call<'_, '_>) {
    if !context.count_call() {
        return;
    }
    if let Some(rule) = rule_for(context, call.name) {
        acts::apply(context, call, rule.act);
    }
}
