//! A rule's `arguments` pattern, matched against one argument of a command.
//!
//! Most argument patterns in the presets name whole words: `^reset$`,
//! `^(checkout|restore)$`. Those are matched as a set of words, without building a
//! regex: the hook is a fresh process per tool call, and a `git` command reaches a
//! dozen git rules whose regexes, each built for that one call, cost more than
//! the analysis of the command (a build is tens of microseconds plus the page
//! faults of first running the regex compiler). Anything else is a regex, as
//! written. The two forms match exactly the same arguments (a property test
//! checks it against the regex crate).

use regex::Regex;

/// One `arguments` pattern, ready to match.
#[derive(Debug)]
pub(crate) enum ArgumentPattern {
    /// `^word$` or `^(word|word…)$`: matches an argument equal to one of the words.
    Words(Vec<String>),
    /// Any other pattern.
    Regex(Regex),
}

impl ArgumentPattern {
    /// The pattern, as words when it is only an anchored alternation of them.
    pub(crate) fn build(pattern: &str) -> Result<ArgumentPattern, regex::Error> {
        if let Some(words) = anchored_words(pattern) {
            return Ok(ArgumentPattern::Words(words));
        }
        regex::RegexBuilder::new(pattern)
            .size_limit(1 << 20)
            .build()
            .map(ArgumentPattern::Regex)
    }

    /// Whether `argument` matches.
    pub(crate) fn is_match(&self, argument: &str) -> bool {
        match self {
            ArgumentPattern::Words(words) => words.iter().any(|word| word == argument),
            ArgumentPattern::Regex(regex) => regex.is_match(argument),
        }
    }
}

/// The characters the regex crate lets a pattern escape with `\`; escaped, each
/// stands for itself.
const ESCAPABLE: &[char] = &[
    '\\', '.', '+', '*', '?', '(', ')', '|', '[', ']', '{', '}', '^', '$', '#', '&', '-', '~',
];

/// The characters with a meaning of their own outside a class (without the `x`
/// flag, which needs `(?`); every other character stands for itself.
const SPECIAL: &[char] = &[
    '\\', '.', '+', '*', '?', '(', ')', '|', '[', ']', '{', '}', '^', '$',
];

/// The words of `^word$` or `^(word|…)$`, where a word is plain characters and
/// escaped metacharacters; `None` for any other pattern.
fn anchored_words(pattern: &str) -> Option<Vec<String>> {
    let inner = pattern.strip_prefix('^')?.strip_suffix('$')?;
    // A `$` that ends the pattern but is escaped (`^a\$`) is a literal dollar.
    if inner.ends_with('\\') && !inner.ends_with("\\\\") {
        return None;
    }
    let body = match inner.strip_prefix('(') {
        Some(rest) => rest.strip_suffix(')')?,
        None => inner,
    };
    let mut words = vec![String::new()];
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let escaped = chars.next()?;
                if !ESCAPABLE.contains(&escaped) {
                    return None;
                }
                words.last_mut()?.push(escaped);
            }
            // An alternation at the top level only when the words are grouped:
            // `^a|b$` means `(^a)|(b$)`.
            '|' if body.len() != inner.len() => words.push(String::new()),
            c if SPECIAL.contains(&c) => return None,
            c => words.last_mut()?.push(c),
        }
    }
    Some(words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn preset_style_patterns_are_words() {
        let cases: [(&str, &[&str]); 5] = [
            ("^reset$", &["reset"]),
            ("^(checkout|restore)$", &["checkout", "restore"]),
            ("^\\.$", &["."]),
            ("^(:/|:/\\.|\\*)$", &[":/", ":/.", "*"]),
            (
                "^(-d|--delete|--prune=now)$",
                &["-d", "--delete", "--prune=now"],
            ),
        ];
        for (pattern, words) in cases {
            let Ok(ArgumentPattern::Words(found)) = ArgumentPattern::build(pattern) else {
                panic!("{pattern} should be words");
            };
            assert_eq!(found, words, "{pattern}");
        }
    }

    #[test]
    fn other_patterns_stay_regexes() {
        for pattern in [
            "reset",
            "^reset",
            "^a|b$",
            "^(a|b)c$",
            "^([0-7]?[0-7])$",
            "^(a)|(b)$",
            "^a\\$",
            "^\\d$",
            "^(?i)reset$",
            "^a.b$",
        ] {
            assert!(
                matches!(
                    ArgumentPattern::build(pattern),
                    Ok(ArgumentPattern::Regex(_))
                ),
                "{pattern} should stay a regex"
            );
        }
    }

    proptest! {
        /// Words or regex, the pattern matches exactly what the regex crate says.
        #[test]
        fn words_match_what_the_regex_matches(
            pattern in "\\^?\\(?([a-c.|()$^\\\\*-]{0,3}\\|?){0,3}\\)?\\$?",
            argument in "[a-c.|()$^\\\\*-]{0,4}",
        ) {
            let Ok(regex) = Regex::new(&pattern) else {
                // Not a regex: it must not be taken as words either.
                prop_assert!(anchored_words(&pattern).is_none(), "{pattern}");
                return Ok(());
            };
            let built = ArgumentPattern::build(&pattern).unwrap();
            prop_assert_eq!(built.is_match(&argument), regex.is_match(&argument), "{} on {:?}", pattern, argument);
        }

        #[test]
        fn words_of_listed_alternatives_match_them(words in prop::collection::vec("[a-z=:/.*-]{1,6}", 1..4)) {
            let escaped: Vec<String> = words.iter().map(|w| regex::escape(w)).collect();
            let pattern = format!("^({})$", escaped.join("|"));
            let regex = Regex::new(&pattern).unwrap();
            let built = ArgumentPattern::build(&pattern).unwrap();
            prop_assert!(matches!(built, ArgumentPattern::Words(_)), "{}", pattern);
            for word in &words {
                prop_assert!(built.is_match(word) && regex.is_match(word));
            }
        }
    }
}
