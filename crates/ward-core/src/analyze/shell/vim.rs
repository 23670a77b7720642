//! Vim's command-line commands: `vim -c ':!rm -rf ~'`, `vim +'!cmd'` and
//! `vim --cmd CMD` run Ex commands at start-up, and an Ex command `!CMD`,
//! `read !CMD` or `write !CMD` runs CMD in a shell (a way to run a command that
//! looks like opening an editor). The shell commands are analysed; Ex commands
//! that call `system()` are only known when they run.

use super::code::run_code;
use super::walk::{Stream, Walker};
use super::words::Arg;

/// The programs that take Vim's start-up commands.
pub(super) const VIMS: [&str; 7] = ["vim", "vi", "nvim", "gvim", "ex", "view", "vimdiff"];

pub(super) fn vim(walker: &mut Walker<'_>, program: &str, args: &[Arg], stdin: &Stream) {
    let mut index = 0;
    while let Some(arg) = args.get(index) {
        index += 1;
        let command = match arg.text.as_str() {
            // `-S FILE` sources a script: not analysed, only opened.
            "-S" => {
                index += 1;
                continue;
            }
            "-c" | "--cmd" => {
                index += 1;
                let Some(command) = args.get(index - 1) else {
                    break;
                };
                command
            }
            "--" => break,
            text if text.starts_with('+') && text.len() > 1 => arg,
            _ => continue,
        };
        let text = command.text.trim_start_matches('+');
        ex_command(walker, program, text, command, stdin);
    }
}

/// One Ex command line (commands may be joined with `|`, which a `!` command
/// takes as part of its shell command, as Vim does).
fn ex_command(walker: &mut Walker<'_>, program: &str, text: &str, from: &Arg, stdin: &Stream) {
    let mut text = text.trim_start_matches([':', ' ', '\t']);
    for prefix in ["silent!", "silent", "exe", "execute"] {
        if let Some(rest) = text.strip_prefix(prefix) {
            text = rest.trim_start();
        }
    }
    let shell = text.strip_prefix('!').or_else(|| {
        ["r", "read", "w", "write"].iter().find_map(|verb| {
            text.strip_prefix(verb)
                .map(str::trim_start)
                .and_then(|rest| rest.strip_prefix('!'))
        })
    });
    if let Some(shell) = shell {
        let code = Arg {
            text: shell.to_owned(),
            origin: from.origin,
        };
        run_code(walker, &code, &format!("{program} :!"), stdin);
    } else if text.contains("system(") || text.contains("systemlist(") {
        walker.opaque(format!(
            "`{program}` runs an Ex command that calls the shell: `{text}`"
        ));
    }
}
