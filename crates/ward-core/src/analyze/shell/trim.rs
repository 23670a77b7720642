//! `${NAME%PATTERN}`, `${NAME%%PATTERN}`, `${NAME#PATTERN}` and `${NAME##PATTERN}`
//! of a value the line tells: the value with the shortest or longest matching
//! suffix or prefix removed. Scripts use them for paths all the time
//! (`"${f%.c}.o"`, `"${PWD%/*}"` is the parent directory, `"${path##*/}"` the file
//! name), so leaving them unknown would make ordinary scripts opaque and would hide
//! `rm -rf "${PWD%/*}"`.

use brush_parser::word::{Parameter, ParameterExpr};

/// Which end a pattern is removed from, and how much of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Trim {
    /// `%`: the shortest matching suffix.
    ShortestSuffix,
    /// `%%`: the longest matching suffix.
    LongestSuffix,
    /// `#`: the shortest matching prefix.
    ShortestPrefix,
    /// `##`: the longest matching prefix.
    LongestPrefix,
}

/// The parameter, pattern and kind of a `${X%…}`, `${X%%…}`, `${X#…}` or `${X##…}`.
pub(super) fn trim_request(expression: &ParameterExpr) -> Option<(&Parameter, Option<&str>, Trim)> {
    let (parameter, pattern, how) = match expression {
        ParameterExpr::RemoveSmallestSuffixPattern {
            parameter,
            indirect: false,
            pattern,
        } => (parameter, pattern, Trim::ShortestSuffix),
        ParameterExpr::RemoveLargestSuffixPattern {
            parameter,
            indirect: false,
            pattern,
        } => (parameter, pattern, Trim::LongestSuffix),
        ParameterExpr::RemoveSmallestPrefixPattern {
            parameter,
            indirect: false,
            pattern,
        } => (parameter, pattern, Trim::ShortestPrefix),
        ParameterExpr::RemoveLargestPrefixPattern {
            parameter,
            indirect: false,
            pattern,
        } => (parameter, pattern, Trim::LongestPrefix),
        _ => return None,
    };
    Some((parameter, pattern.as_deref(), how))
}

/// The longest value trimmed: each candidate end is matched against the pattern,
/// so the work grows with the square of the length.
const MAX_TRIMMED_BYTES: usize = 1024;

/// `value` with `pattern` removed as `trim` says, or `None` when the pattern is
/// more than plain text with `*` and `?` (quotes, escapes, expansions, brackets
/// and extended globs are left to the caller as unknown) or the value is too long.
pub(super) fn trim(value: &str, pattern: &str, trim: Trim) -> Option<String> {
    if value.len() > MAX_TRIMMED_BYTES
        || !pattern.bytes().all(|byte| {
            byte.is_ascii_alphanumeric()
                || matches!(
                    byte,
                    b'/' | b'.'
                        | b'_'
                        | b'-'
                        | b'*'
                        | b'?'
                        | b','
                        | b':'
                        | b'='
                        | b'%'
                        | b'#'
                        | b'~'
                )
        })
    {
        return None;
    }
    // `*` matches `/` too, as in bash's parameter patterns; a pattern the glob
    // crate rejects (`a**`) is left unknown.
    let glob = glob::Pattern::new(pattern).ok()?;
    let options = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: false,
        require_literal_leading_dot: false,
    };
    // Byte offsets where the value may be cut (char boundaries), shortest removal
    // first.
    let mut cuts: Vec<usize> = (0..=value.len())
        .filter(|index| value.is_char_boundary(*index))
        .collect();
    if matches!(trim, Trim::ShortestSuffix | Trim::LongestPrefix) {
        cuts.reverse();
    }
    let suffix = matches!(trim, Trim::ShortestSuffix | Trim::LongestSuffix);
    for cut in cuts {
        let (kept, removed) = if suffix {
            (value.get(..cut)?, value.get(cut..)?)
        } else {
            (value.get(cut..)?, value.get(..cut)?)
        };
        if glob.matches_with(removed, options) {
            return Some(kept.to_owned());
        }
    }
    Some(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::{Trim, trim};

    #[test]
    fn trims_as_bash_does() {
        let cases = [
            ("/home/dev/app", "/*", Trim::ShortestSuffix, "/home/dev"),
            ("/home/dev/app", "/*", Trim::LongestSuffix, ""),
            ("/home/dev/", "/", Trim::ShortestSuffix, "/home/dev"),
            ("src/main.c", ".c", Trim::ShortestSuffix, "src/main"),
            ("a.tar.gz", ".*", Trim::ShortestSuffix, "a.tar"),
            ("a.tar.gz", ".*", Trim::LongestSuffix, "a"),
            ("/home/dev/app", "*/", Trim::LongestPrefix, "app"),
            ("/home/dev/app", "*/", Trim::ShortestPrefix, "home/dev/app"),
            ("v1.2.3", "v", Trim::ShortestPrefix, "1.2.3"),
            ("file", ".c", Trim::ShortestSuffix, "file"),
            ("abc", "?", Trim::ShortestSuffix, "ab"),
            ("abc", "*", Trim::ShortestSuffix, "abc"),
            ("abc", "*", Trim::LongestSuffix, ""),
        ];
        for (value, pattern, how, expected) in cases {
            assert_eq!(
                trim(value, pattern, how).as_deref(),
                Some(expected),
                "{value} {pattern} {how:?}"
            );
        }
    }

    #[test]
    fn patterns_beyond_star_and_question_mark_are_left_unknown() {
        for pattern in ["[ab]", "\"/\"", "$X", "\\*", "+(a)", "'x'"] {
            assert_eq!(
                trim("abc", pattern, Trim::ShortestSuffix),
                None,
                "{pattern}"
            );
        }
        assert_eq!(trim(&"a".repeat(2000), "a", Trim::ShortestSuffix), None);
    }
}
