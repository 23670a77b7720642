//! `fd` (`fdfind` on Debian), the `find` replacement: it reads the directories it
//! searches, and `-x` / `-X` run a command on what it finds, which is analysed
//! like `find -exec` (`fd . ~ --hidden -X rm -rf` deletes everything in the home
//! directory).

use super::walk::{Stream, Walker};
use super::words::Arg;
use crate::TargetKind;

/// Options that take a value (the next word, or `--option=value`) besides the
/// selective ones below.
const WITH_VALUE: [&str; 14] = [
    "-d",
    "--max-depth",
    "--min-depth",
    "--exact-depth",
    "-j",
    "--threads",
    "--base-directory",
    "--path-separator",
    "--search-path",
    "-c",
    "--color",
    "--format",
    "--ignore-file",
    "--max-buffer-time",
];

/// Options that take a value and select some entries only (by kind, name, size,
/// time or owner).
const SELECTIVE: [&str; 16] = [
    "-t",
    "--type",
    "-e",
    "--extension",
    "-E",
    "--exclude",
    "-S",
    "--size",
    "--changed-within",
    "--changed-after",
    "--changed-before",
    "--newer",
    "--older",
    "-o",
    "--owner",
    "--max-results",
];

/// Patterns that match every name.
const MATCH_ALL: [&str; 4] = ["", ".", "^", ".*"];

pub(super) fn fd(walker: &mut Walker<'_>, program: &str, args: &[Arg]) -> Stream {
    let mut operands: Vec<&Arg> = Vec::new();
    let mut search_paths: Vec<Arg> = Vec::new();
    let mut selective = false;
    let mut command: Option<Vec<Arg>> = None;
    let mut index = 0;
    while let Some(arg) = args.get(index) {
        index += 1;
        let text = arg.text.as_str();
        if matches!(text, "-x" | "--exec" | "-X" | "--exec-batch") {
            // The rest of the line, up to a `;`, is the command.
            let mut words = Vec::new();
            while let Some(word) = args.get(index) {
                index += 1;
                if word.is_literal() && word.text == ";" {
                    break;
                }
                words.push(word.clone());
            }
            command = Some(words);
            continue;
        }
        let (name, inline_value) = match text.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value)),
            _ => (text, None),
        };
        if WITH_VALUE.contains(&name) || SELECTIVE.contains(&name) {
            selective |= SELECTIVE.contains(&name);
            let value = match inline_value {
                Some(value) => Some(Arg {
                    text: value.to_owned(),
                    origin: arg.origin,
                }),
                None => {
                    index += 1;
                    args.get(index - 1).cloned()
                }
            };
            if let Some(value) = value
                && matches!(name, "--search-path" | "--base-directory")
            {
                search_paths.push(value);
            }
        } else if text == "--" {
            operands.extend(args.get(index..).unwrap_or_default());
            break;
        } else if !(text.starts_with('-') && text.len() > 1) {
            operands.push(arg);
        }
    }
    let mut operands = operands.into_iter();
    let pattern = operands.next();
    search_paths.extend(operands.cloned());
    if search_paths.is_empty() {
        search_paths.push(Arg::literal("."));
    }
    for path in &search_paths {
        walker.add_path(path, TargetKind::Read, program);
    }
    // What the command is given: everything in each directory when nothing filters
    // (`DIR/*`, as rm -rf of each entry empties it), else some files at any depth.
    let everything =
        !selective && pattern.is_none_or(|pattern| MATCH_ALL.contains(&pattern.text.as_str()));
    let found: Vec<Arg> = search_paths
        .iter()
        .map(|path| Arg {
            text: format!(
                "{}/{}",
                path.text.trim_end_matches('/'),
                if everything { "*" } else { "**/*" }
            ),
            origin: path.origin,
        })
        .collect();
    // `-x` runs the command once per path, `-X` once with them all: the same
    // paths are given either way.
    if let Some(words) = command {
        let placeholders = ["{}", "{/}", "{//}", "{.}", "{/.}"];
        let mut argv = Vec::new();
        let mut placed = false;
        for word in words {
            if placeholders.contains(&word.text.as_str()) {
                argv.extend(found.iter().cloned());
                placed = true;
            } else {
                argv.push(word);
            }
        }
        if !placed {
            // Without a placeholder, fd puts the path last.
            argv.extend(found.iter().cloned());
        }
        walker.invoke(argv, &Stream::Inherited, vec![program.to_owned()]);
    }
    Stream::output_of(program)
}
