//! Lexical path resolution: `~` and `$HOME` expanded, relative paths joined to the
//! cwd, `.` and `..` resolved without touching the file system (symlinks are not
//! followed: analysis must not do I/O, and the path as written is what rules name).

use super::AnalysisContext;

/// Resolves a path as a shell in `context.cwd` would, lexically.
///
/// `~`, `~/x`, `$HOME`, `${HOME}` expand to the home directory; relative paths are
/// joined to the cwd; `..` never climbs above `/`.
pub fn resolve_path(raw: &str, context: &AnalysisContext) -> String {
    resolve_expanded(&expand_home(raw, &context.home), context)
}

/// [`resolve_path`] for a shell word whose expansions the shell analysis already
/// made: a `~` left in it was quoted (`rm -rf '~'` names a directory called `~`).
pub(crate) fn resolve_expanded(word: &str, context: &AnalysisContext) -> String {
    let joined = if word.starts_with('/') {
        word.to_owned()
    } else if context.cwd.is_empty() {
        format!("/{word}")
    } else {
        format!("{}/{}", context.cwd, word)
    };
    normalise(&joined)
}

/// `~`, `~/…`, `$HOME` and `${HOME}` at the start of `raw` replaced by `home`.
pub(crate) fn expand_home(raw: &str, home: &str) -> String {
    for prefix in ["~", "$HOME", "${HOME}"] {
        if let Some(rest) = raw.strip_prefix(prefix)
            && (rest.is_empty() || rest.starts_with('/'))
        {
            return format!("{home}{rest}");
        }
    }
    raw.to_owned()
}

fn normalise(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        return "/".to_owned();
    }
    let mut out = String::with_capacity(path.len());
    for part in parts {
        out.push('/');
        out.push_str(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> AnalysisContext {
        AnalysisContext {
            cwd: "/home/dev/app".to_owned(),
            home: "/home/dev".to_owned(),
            branch: None,
        }
    }

    #[test]
    fn resolves_relative_home_and_parent_paths() {
        let c = context();
        assert_eq!(resolve_path("src/main.rs", &c), "/home/dev/app/src/main.rs");
        assert_eq!(resolve_path("~", &c), "/home/dev");
        assert_eq!(resolve_path("~/.ssh/id_rsa", &c), "/home/dev/.ssh/id_rsa");
        assert_eq!(resolve_path("$HOME/.aws", &c), "/home/dev/.aws");
        assert_eq!(resolve_path("..", &c), "/home/dev");
        assert_eq!(resolve_path("../../../../..", &c), "/");
        assert_eq!(resolve_path("/", &c), "/");
        assert_eq!(resolve_path("./a/./b/../c", &c), "/home/dev/app/a/c");
        assert_eq!(resolve_path("~other/x", &c), "/home/dev/app/~other/x");
    }
}
