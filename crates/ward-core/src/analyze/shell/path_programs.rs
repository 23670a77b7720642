//! `dirname`, `basename` and `realpath` of paths the line tells print known text,
//! so that what is built from their output is known too:
//! `rm -rf "$(dirname "$PWD")"` deletes the parent of the working directory.

use super::walk::{Stream, Walker};
use super::words::Arg;
use crate::analyze::paths::resolve_expanded;

/// The output of `program` when it is one of these and its operands are known.
pub(super) fn run(walker: &Walker<'_>, program: &str, args: &[Arg]) -> Option<Stream> {
    if !matches!(program, "dirname" | "basename" | "realpath") {
        return None;
    }
    // Options change the output in ways not followed here (`basename -s`,
    // `realpath --relative-to`): unknown.
    if args.is_empty()
        || args
            .iter()
            .any(|arg| !arg.is_literal() || arg.text.starts_with('-'))
    {
        return Some(Stream::output_of(program));
    }
    let lines: Vec<String> = match program {
        "dirname" => args.iter().map(|arg| dirname(&arg.text)).collect(),
        "basename" => match args {
            [name] => vec![basename(&name.text, "")],
            [name, suffix] => vec![basename(&name.text, &suffix.text)],
            _ => return Some(Stream::output_of(program)),
        },
        _ => args
            .iter()
            .map(|arg| resolve_expanded(&arg.text, &walker.scope.context))
            .collect(),
    };
    Some(Stream::Text(lines.join("\n") + "\n"))
}

/// POSIX `dirname`: the path without its last component.
fn dirname(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return if path.starts_with('/') { "/" } else { "." }.to_owned();
    }
    match trimmed.rfind('/') {
        None => ".".to_owned(),
        Some(slash) => {
            let parent = trimmed.get(..slash).unwrap_or("").trim_end_matches('/');
            if parent.is_empty() {
                "/".to_owned()
            } else {
                parent.to_owned()
            }
        }
    }
}

/// POSIX `basename`: the last component, without `suffix` unless it is all of it.
fn basename(path: &str, suffix: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return if path.is_empty() { "" } else { "/" }.to_owned();
    }
    let name = trimmed.rsplit('/').next().unwrap_or(trimmed);
    match name.strip_suffix(suffix) {
        Some(stripped) if !suffix.is_empty() && !stripped.is_empty() => stripped.to_owned(),
        _ => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{basename, dirname};

    #[test]
    fn dirname_and_basename_are_posixs() {
        for (path, parent) in [
            ("/home/dev/app", "/home/dev"),
            ("/home/dev/app/", "/home/dev"),
            ("/home", "/"),
            ("/", "/"),
            ("app", "."),
            ("a/b", "a"),
            ("//x", "/"),
        ] {
            assert_eq!(dirname(path), parent, "{path}");
        }
        for (path, suffix, name) in [
            ("/home/dev/app", "", "app"),
            ("src/main.c", ".c", "main"),
            ("main.c", "main.c", "main.c"),
            ("/", "", "/"),
            ("dir/", "", "dir"),
        ] {
            assert_eq!(basename(path, suffix), name, "{path} {suffix}");
        }
    }
}
