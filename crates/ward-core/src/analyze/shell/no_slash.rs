//! Values only known when the line runs that never hold a `/`: a process id, a
//! number, the date. Each stands for one path component, so a path built from one
//! stays inside its known directory.

/// What stands for a value only known when the line runs but known to hold no
/// `/` (a process id, a number, the date): a glob of one path component. A path
/// built from it stays inside its known directory (`/tmp/lock-$$` is
/// `/tmp/lock-*`), where a value that may hold `/` or `..` could lead anywhere and
/// is left unknown.
pub(super) const NO_SLASH: &str = "*";

/// Variables the shell sets to a number.
pub(super) const NUMBERS: [&str; 10] = [
    "RANDOM",
    "SRANDOM",
    "BASHPID",
    "PPID",
    "SECONDS",
    "EPOCHSECONDS",
    "EPOCHREALTIME",
    "UID",
    "EUID",
    "LINENO",
];

/// Whether `date +FORMAT` prints no `/`: a quoted-or-plain `+FORMAT` whose
/// directives are of numbers and names (`%D`, `%x` and `%c` may print `/`).
pub(super) fn date_format_without_slash(format: &str) -> bool {
    let format = format.trim_matches(['\'', '"']);
    let Some(format) = format.strip_prefix('+') else {
        return false;
    };
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        match c {
            '/' | '$' | '`' | '\\' => return false,
            '%' => match chars.next() {
                Some('D' | 'x' | 'c' | 'r' | '+') | None => return false,
                Some(_) => {}
            },
            _ => {}
        }
    }
    true
}
