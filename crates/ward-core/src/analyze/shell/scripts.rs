//! Inline code in other languages (`python -c '…'`, `node -e '…'`, `perl -e`,
//! `ruby -e`, `php -r`, or a script fed to one of them through a heredoc or a pipe),
//! scanned for what it does: the calls that delete, write, read, run programs,
//! talk to the network, or run code Ward cannot see ([`Effect`]).
//!
//! This is a small hand-written lexer and a table of names, not a parser, on
//! purpose. Full parsers for these languages (rustpython-parser, swc, oxc) are far
//! too heavy for a hook that runs on every tool call of every agent and must answer
//! in a millisecond or two, and they reject the fragments agents actually write (a
//! Python 2 `print`, PHP without `<?php`, a script cut short). The scan instead:
//!
//! 1. `lex`: splits the code into tokens, dropping comments and reading string
//!    literals whole (decoded; a literal that interpolates run-time values has no
//!    value), so that text inside a string or a comment never looks like a call;
//! 2. `calls`: finds name chains (`os.path.join`, `require('fs').rmSync`,
//!    `File::Path::rmtree`, `$fs->remove`) followed by their arguments, with or
//!    without parentheses in Perl and Ruby, following the aliases that imports and
//!    assignments create (`import subprocess as sp`, `const cp = require(…)`);
//! 3. `table`: says which names delete, write, read, run, connect or evaluate, and
//!    what their arguments mean.
//!
//! Code given to `eval`/`exec` as a literal is scanned in turn; code built at run
//! time is [`Effect::Dynamic`]. Names not in the table (`print`, `json.dumps`) have
//! no effect. Broken code is not an error: the scan reads what it can. Work is
//! linear in the input, which is capped at [`MAX_CODE`].

mod args;
mod calls;
mod lex;
mod table;

#[cfg(test)]
mod tests;

use std::collections::HashMap;

pub(super) use args::HOME_MARKER;
use lex::Token;

/// Code larger than this (256 KiB) is not scanned at all: adversarial input costs
/// up to ~50 ms at this size, and no inline script an agent writes comes near it.
const MAX_CODE: usize = 256 << 10;
/// How deep code evaluated from a literal (`eval("exec('…')")`) is followed.
const MAX_EVAL_DEPTH: usize = 3;
/// Effects listed per script; past this many, one [`Effect::Dynamic`] stands for
/// the rest (a policy asks rather than trusting a truncated list).
const MAX_EFFECTS: usize = 1024;
/// Calls followed per script (some thousands for a long one); past this many the
/// rest is [`Effect::Dynamic`]. Keeps adversarial input (a megabyte of `f(`) to a
/// few milliseconds.
const MAX_CALLS: usize = 10_000;

/// Programs that give a shell to whoever holds their standard streams.
const SHELLS: &[&str] = &[
    "sh",
    "bash",
    "zsh",
    "dash",
    "ksh",
    "mksh",
    "csh",
    "tcsh",
    "fish",
    "ash",
    "busybox",
    "cmd",
    "powershell",
    "pwsh",
];

/// The language of a script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Language {
    Python,
    JavaScript,
    Perl,
    Ruby,
    Php,
}

/// Something a script does that a policy may care about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Effect {
    /// Deletes a path: `Some(literal path)` or `None` when the path is computed.
    Delete(Option<String>),
    /// Creates or modifies a file (`open(p, 'w')`, `fs.writeFileSync(p, …)`, `File.write`).
    Write(Option<String>),
    /// Reads a file (`open(p)`, `fs.readFileSync(p)`, `File.read`).
    Read(Option<String>),
    /// Runs shell code given as one string (`os.system`, `execSync`, backticks, `qx//`).
    Shell(Option<String>),
    /// Runs a program with an argument vector (`subprocess.run(["rm", "-rf", "x"])`,
    /// `spawn("rm", ["-rf", "x"])`): `Some(argv)` or `None` when computed.
    Exec(Option<Vec<String>>),
    /// Talks to the network: `Some(url or host[:port])` when a literal names it.
    Network(Option<String>),
    /// Runs code Ward cannot follow (eval of a computed string, a computed import or
    /// attribute, decoded code), with a short reason.
    Dynamic(String),
    /// Hands a shell to a network peer: a socket, then the standard streams
    /// redirected to it or a shell spawned.
    ReverseShell,
}

/// The effects of `code`, in order of appearance (a reverse shell, and decoded code
/// being run, are reported last: they are facts about the whole script).
/// Never panics; linear work on any input.
pub(super) fn scan(code: &str, language: Language) -> Vec<Effect> {
    if code.len() > MAX_CODE {
        return vec![Effect::Dynamic("too large".to_owned())];
    }
    let mut context = Context::new(code, language);
    context.scan_code(code);
    context.finish()
}

/// What a scan has learned so far: the effects, the local names of modules, and
/// the facts that only mean something together (a socket, then a shell).
struct Context {
    language: Language,
    effects: Vec<Effect>,
    /// Local names for modules and functions: `sp` → `subprocess`,
    /// `cp` → `child_process`, `system` → `os.system`.
    aliases: HashMap<String, String>,
    /// Modules all of whose names are imported (`from os import *`, Ruby
    /// `include FileUtils`): a bare name may be theirs.
    star_modules: Vec<String>,
    /// Perl: the script loads an HTTP client (LWP, HTTP::Tiny), so `$ua->get(…)`
    /// is a request.
    http_client: bool,
    /// A raw socket was created or connected (not an HTTP request).
    raw_socket: bool,
    /// A standard stream was redirected (`os.dup2`, `open(STDIN, ">&S")`, `reopen`).
    redirects_std_streams: bool,
    /// `pty.spawn`: a terminal for whatever holds the streams.
    pty: bool,
    /// Base64, hex or compressed data is decoded somewhere.
    decodes: bool,
    /// Some string literal names a shell (`"/bin/sh -i <&%d"`).
    names_a_shell: bool,
    /// Nesting of code scanned from `eval` literals.
    depth: usize,
    /// Calls seen so far, against [`MAX_CALLS`].
    calls: usize,
}

impl Context {
    fn new(code: &str, language: Language) -> Context {
        const PERL_HTTP_CLIENTS: &[&str] = &[
            "LWP",
            "HTTP::Tiny",
            "HTTP::Request",
            "Mojo::UserAgent",
            "Furl",
        ];
        Context {
            language,
            effects: Vec::new(),
            aliases: HashMap::new(),
            star_modules: Vec::new(),
            http_client: language == Language::Perl
                && PERL_HTTP_CLIENTS.iter().any(|client| code.contains(client)),
            raw_socket: false,
            redirects_std_streams: false,
            pty: false,
            decodes: false,
            names_a_shell: false,
            depth: 0,
            calls: 0,
        }
    }

    fn push(&mut self, effect: Effect) {
        match self.effects.len() {
            length if length + 1 < MAX_EFFECTS => self.effects.push(effect),
            length if length + 1 == MAX_EFFECTS => {
                self.effects
                    .push(Effect::Dynamic("too many effects to list".to_owned()));
            }
            _ => {}
        }
    }

    /// Counts a call; false once the script has more than [`MAX_CALLS`], and then
    /// the scan stops (saying so once).
    fn count_call(&mut self) -> bool {
        self.calls += 1;
        if self.calls == MAX_CALLS + 1 {
            self.dynamic("too many calls to follow");
        }
        self.calls <= MAX_CALLS
    }

    fn dynamic(&mut self, reason: &str) {
        self.push(Effect::Dynamic(reason.to_owned()));
    }

    fn scan_code(&mut self, code: &str) {
        let tokens = lex::tokenize(code, self.language);
        if tokens
            .iter()
            .any(|token| matches!(token, Token::Str(Some(text)) if names_shell(text)))
        {
            self.names_a_shell = true;
        }
        calls::Scanner::new(&tokens, self).run();
    }

    /// Code handed to `eval` as a literal: scanned like the script around it, and
    /// sharing its aliases and facts (a socket opened outside, a shell inside).
    fn scan_nested(&mut self, code: &str, reason: &str) {
        if self.depth >= MAX_EVAL_DEPTH {
            self.dynamic(reason);
            return;
        }
        self.depth += 1;
        self.scan_code(code);
        self.depth -= 1;
    }

    /// Adds the effects of the script as a whole.
    fn finish(mut self) -> Vec<Effect> {
        let spawns_shell = self.effects.iter().any(|effect| match effect {
            Effect::Shell(Some(command)) => names_shell(command),
            Effect::Exec(Some(argv)) => argv.first().is_some_and(|program| names_shell(program)),
            _ => false,
        });
        let runs_computed = self
            .effects
            .iter()
            .any(|effect| matches!(effect, Effect::Shell(None) | Effect::Exec(None)));
        // A socket together with redirected streams, a terminal, or a shell (named
        // as the program, or in a string when the command is assembled at run time)
        // is the shape of every reverse-shell one-liner.
        if self.raw_socket
            && (self.redirects_std_streams
                || self.pty
                || spawns_shell
                || (runs_computed && self.names_a_shell))
        {
            self.effects.push(Effect::ReverseShell);
        }
        let runs_unknown = self.effects.iter().any(|effect| {
            matches!(
                effect,
                Effect::Shell(None) | Effect::Exec(None) | Effect::Dynamic(_)
            )
        });
        if self.decodes && runs_unknown {
            self.effects
                .push(Effect::Dynamic("runs decoded code".to_owned()));
        }
        self.effects
    }
}

/// Whether a command's program is a shell (`/bin/sh -i`, `bash`, `cmd.exe`).
fn names_shell(command: &str) -> bool {
    let program = command.split_whitespace().next().unwrap_or_default();
    let base = program.rsplit(['/', '\\']).next().unwrap_or(program);
    let base = base.strip_suffix(".exe").unwrap_or(base);
    SHELLS.contains(&base)
}
